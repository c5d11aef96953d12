/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fuzz_common.h: what the libFuzzer targets share: process set-up (APR,
 * ajwt_crypto_init, the keys of fuzz_keys.h loaded once), a per-input pool
 * whose every allocation is a separate malloc (so AddressSanitizer sees
 * overflows that APR's pool blocks would hide), and the parse, verify,
 * claims and export pipeline.
 */
#ifndef FUZZ_COMMON_H
#define FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "apr_pools.h"
#include "apr_tables.h"

#include "ajwt_claims.h"
#include "ajwt_jws.h"
#include "ajwt_key.h"

/* The fixed clock of every claims check: 2023-11-14T22:13:20.25Z. */
#define FUZZ_NOW 1700000000.25
#define FUZZ_ISS "https://issuer.example"
#define FUZZ_AUD "api"

/* Key sets selectable per input. */
enum {
    FUZZ_KEYS_OWN = 0,  /* the generated key of the algorithm's type */
    FUZZ_KEYS_RFC = 1,  /* the RFC 7515/8037 vector key, else OWN */
    FUZZ_KEYS_KID = 2,  /* the RFC 7520 vector key (with kid), else OWN */
    FUZZ_KEYS_MULTI = 3 /* three keys with kids k1 (own), k2 (RFC),
                           k3 (of another type) */
};

/** Set by FUZZ_VERBOSE=1: print the outcome of each step. */
extern int fuzz_verbose;

/** Set up APR, OpenSSL and the keys once; aborts on failure. */
void fuzz_init(void);

/** Abort with a message: a broken invariant (libFuzzer saves the input). */
void fuzz_fail(const char *what, const char *detail);

/** The algorithm for a selector nibble: 0..12 HS256..EdDSA, else UNKNOWN. */
ajwt_alg_e fuzz_alg(unsigned int nibble);

/** The configured keys (const ajwt_key_t *) for alg in key set which. */
const apr_array_header_t *fuzz_keys(ajwt_alg_e alg, int which);

/** The generated HMAC key (64 bytes, fits HS256/384/512). */
const ajwt_key_t *fuzz_hmac_key(void);

/** The generated private key for alg (HMAC key for HS*), or NULL. */
const ajwt_key_t *fuzz_private_key(ajwt_alg_e alg);

/**
 * A fresh pool for one input. Until fuzz_pool_end(), every apr_palloc from
 * it (also those made inside libapr: apr_pstrdup, apr_array_push...) is a
 * malloc of its own, freed after the pool is destroyed.
 */
apr_pool_t *fuzz_pool_begin(void);
void fuzz_pool_end(apr_pool_t *p);

/** A NUL-terminated malloc copy of data, exactly size + 1 bytes. */
char *fuzz_strndup(const uint8_t *data, size_t size);

/**
 * What the module does with a bearer token, and then some: ajwt_jws_parse
 * with max_size, ajwt_jws_verify with alg and keys, and (whether or not the
 * signature verified, for coverage) ajwt_claims_check under one of two
 * policies, ajwt_claims_export of all and of some claims, lookup and match.
 * @return the status of ajwt_jws_verify, or of ajwt_jws_parse when parsing
 *         failed; *pparsed tells which (may be NULL).
 */
apr_status_t fuzz_pipeline(apr_pool_t *p, const char *compact,
                           apr_size_t max_size, ajwt_alg_e alg,
                           const apr_array_header_t *keys, int variant,
                           int *pparsed, ajwt_jws_t **pjws);

/** The claims half of fuzz_pipeline, on any JSON object. */
void fuzz_claims(apr_pool_t *p, const ajwt_json_t *payload, int variant);

#endif /* FUZZ_COMMON_H */
