/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_vcache.c: the verified-token cache (see ajwt_vcache.h). A table of
 * VC_SHARDS shards; a digest picks its shard and, within it, a set of
 * VC_WAYS entries. The digest is uniformly random, so its first bytes index
 * directly.
 * Pure layer: APR and OpenSSL only.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "apr_thread_mutex.h"

#include "ajwt_key.h"
#include "ajwt_vcache.h"

#define VC_SHARDS 16
#define VC_WAYS 4

typedef struct {
    unsigned char digest[AJWT_VCACHE_DIGEST_LEN];
    const void *scope;  /* NULL: empty */
    int alg;
    apr_time_t until;   /* the token's exp */
} vc_entry_t;

typedef struct {
#if APR_HAS_THREADS
    apr_thread_mutex_t *mutex;
#endif
    vc_entry_t *entries; /* sets * VC_WAYS */
} vc_shard_t;

struct ajwt_vcache_t {
    apr_size_t sets; /* per shard */
    vc_shard_t shards[VC_SHARDS];
};

apr_status_t ajwt_vcache_create(ajwt_vcache_t **pc, apr_pool_t *p,
                                apr_size_t nentries)
{
    ajwt_vcache_t *c = apr_pcalloc(p, sizeof(*c));
    apr_size_t per = VC_SHARDS * VC_WAYS;
    int i;

    c->sets = nentries ? (nentries + per - 1) / per : 1;
    for (i = 0; i < VC_SHARDS; i++) {
#if APR_HAS_THREADS
        apr_status_t rv = apr_thread_mutex_create(&c->shards[i].mutex,
                                                  APR_THREAD_MUTEX_DEFAULT, p);
        if (rv != APR_SUCCESS) {
            return rv;
        }
#endif
        c->shards[i].entries =
            apr_pcalloc(p, c->sets * VC_WAYS * sizeof(vc_entry_t));
    }
    *pc = c;
    return APR_SUCCESS;
}

apr_size_t ajwt_vcache_capacity(const ajwt_vcache_t *c)
{
    return c->sets * VC_SHARDS * VC_WAYS;
}

apr_status_t ajwt_vcache_digest(unsigned char *out, const char *token,
                                apr_size_t len, ajwt_err_t *err)
{
    const EVP_MD *md = ajwt_alg_md(AJWT_ALG_HS256); /* SHA-256, prefetched */
    unsigned int n = 0;

    if (!md || EVP_Digest(token, len, out, &n, md, NULL) != 1
        || n != AJWT_VCACHE_DIGEST_LEN) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "SHA-256 failed");
    }
    return APR_SUCCESS;
}

/** The shard and the first entry of the set of digest. */
static vc_entry_t *vc_set(ajwt_vcache_t *c, const unsigned char *digest,
                          vc_shard_t **pshard)
{
    apr_uint32_t h = ((apr_uint32_t)digest[0] << 24)
                     | ((apr_uint32_t)digest[1] << 16)
                     | ((apr_uint32_t)digest[2] << 8) | digest[3];
    vc_shard_t *shard = &c->shards[h % VC_SHARDS];

    *pshard = shard;
    return shard->entries + ((h / VC_SHARDS) % c->sets) * VC_WAYS;
}

static void vc_lock(vc_shard_t *shard)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(shard->mutex);
#endif
}

static void vc_unlock(vc_shard_t *shard)
{
#if APR_HAS_THREADS
    apr_thread_mutex_unlock(shard->mutex);
#endif
}

static int vc_same(const vc_entry_t *e, const unsigned char *digest,
                   const void *scope, int alg)
{
    return e->scope == scope && e->alg == alg
           && !CRYPTO_memcmp(e->digest, digest, AJWT_VCACHE_DIGEST_LEN);
}

int ajwt_vcache_lookup(ajwt_vcache_t *c, const unsigned char *digest,
                       const void *scope, int alg, apr_time_t now)
{
    vc_shard_t *shard;
    vc_entry_t *set = vc_set(c, digest, &shard);
    int i, hit = 0;

    if (!scope) {
        return 0;
    }
    vc_lock(shard);
    for (i = 0; i < VC_WAYS; i++) {
        if (vc_same(&set[i], digest, scope, alg)) {
            hit = now < set[i].until;
            break;
        }
    }
    vc_unlock(shard);
    return hit;
}

void ajwt_vcache_insert(ajwt_vcache_t *c, const unsigned char *digest,
                        const void *scope, int alg, apr_time_t until,
                        apr_time_t now)
{
    vc_shard_t *shard;
    vc_entry_t *set = vc_set(c, digest, &shard);
    vc_entry_t *victim = NULL;
    int i;

    if (!scope || until <= now) {
        return;
    }
    vc_lock(shard);
    for (i = 0; i < VC_WAYS; i++) {
        vc_entry_t *e = &set[i];

        if (vc_same(e, digest, scope, alg) || !e->scope || e->until <= now) {
            victim = e; /* itself, an empty or a dead entry */
            break;
        }
        if (!victim || e->until < victim->until) {
            victim = e; /* else the one that dies first */
        }
    }
    memcpy(victim->digest, digest, AJWT_VCACHE_DIGEST_LEN);
    victim->scope = scope;
    victim->alg = alg;
    victim->until = until;
    vc_unlock(shard);
}
