/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_vcache.h: the verified-token cache (AuthJWTVerifyCache). It remembers
 * that a token's signature was verified, so that a client sending the same
 * token again costs one SHA-256 instead of an RSA/ECDSA/EdDSA verification.
 *
 * What it promises:
 * - An entry is keyed by the SHA-256 of the whole compact token and by the
 *   scope it was verified under (the location's key set and algorithm), so a
 *   token verified under one location's keys or algorithm never passes for
 *   another's.
 * - It only stands in for the signature check: the caller still parses the
 *   token strictly and checks every claim (exp, nbf, iss, aud) and any
 *   revocation on every request.
 * - An entry never outlives the token's exp: a lookup at or after it misses.
 * - Bounded: a fixed number of entries allocated at creation; inserting into
 *   a full set replaces its entry that expires first. No allocation, disk or
 *   database access after creation.
 * - Thread-safe without a global lock: the table is split into shards, each
 *   with its own mutex, held only to copy one small entry.
 * Pure layer: APR and OpenSSL only.
 */
#ifndef AJWT_VCACHE_H
#define AJWT_VCACHE_H

#include "apr_pools.h"
#include "apr_time.h"
#include "ajwt_err.h"

#define AJWT_VCACHE_DIGEST_LEN 32  /* SHA-256 */
#define AJWT_VCACHE_DEFAULT_ENTRIES 4096

typedef struct ajwt_vcache_t ajwt_vcache_t;

/**
 * Create a cache of at least nentries entries (rounded up to whole sets of
 * every shard) in p; its mutexes go with p.
 * @return APR_SUCCESS, or the APR error of a mutex creation.
 */
apr_status_t ajwt_vcache_create(ajwt_vcache_t **pc, apr_pool_t *p,
                                apr_size_t nentries);

/** How many entries the cache holds at most. */
apr_size_t ajwt_vcache_capacity(const ajwt_vcache_t *c);

/**
 * The cache key of a compact token: SHA-256 of its len bytes, with the
 * digest fetched by ajwt_crypto_init().
 * @return APR_SUCCESS, or APR_EGENERAL with AJWT_E_INTERNAL.
 */
apr_status_t ajwt_vcache_digest(unsigned char *out, const char *token,
                                apr_size_t len, ajwt_err_t *err);

/**
 * Was the token with this digest verified under scope and alg (scope: a
 * non-NULL pointer that identifies the key set and stays valid as long as
 * the cache), with its exp still ahead of now?
 * @return 1 on a hit, 0 otherwise.
 */
int ajwt_vcache_lookup(ajwt_vcache_t *c, const unsigned char *digest,
                       const void *scope, int alg, apr_time_t now);

/**
 * Remember that the token with this digest was verified under scope and
 * alg; the entry is dead from until (the token's exp) on. An entry already
 * dead (until <= now) is not stored.
 */
void ajwt_vcache_insert(ajwt_vcache_t *c, const unsigned char *digest,
                        const void *scope, int alg, apr_time_t until,
                        apr_time_t now);

#endif /* AJWT_VCACHE_H */
