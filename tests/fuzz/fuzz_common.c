/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fuzz_common.c: set-up and pipeline shared by the fuzz targets, and an
 * apr_palloc interposer. APR carves allocations out of 8 KiB blocks, so
 * AddressSanitizer cannot see a read or write past the end of, say, a
 * base64url output buffer: it is still inside the block. While a per-input
 * pool is active, this file's apr_palloc (which the pure layers and libapr
 * itself resolve to, libapr calling through its PLT) gives each allocation
 * from that pool its own malloc, so every overflow is caught exactly.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include <openssl/crypto.h>

#include "ajwt_b64url.h"
#include "ajwt_claims.h"
#include "ajwt_err.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_key.h"

#include "fuzz_common.h"
#include "fuzz_keys.h"

/* ------------------------------------------------------------------ */
/* apr_palloc interposer                                                */

typedef void *(*palloc_fn)(apr_pool_t *, apr_size_t);

static palloc_fn real_palloc;
static apr_pool_t *tracked;
static void **blocks;
static size_t nblocks, capblocks;
static unsigned long tracked_allocs; /* for the self-test in fuzz_init */

void *apr_palloc(apr_pool_t *p, apr_size_t size)
{
    if (p == tracked && tracked) {
        void *m = malloc(size ? size : 1);
        if (!m) {
            abort();
        }
        if (nblocks == capblocks) {
            capblocks = capblocks ? 2 * capblocks : 256;
            blocks = realloc(blocks, capblocks * sizeof(*blocks));
            if (!blocks) {
                abort();
            }
        }
        blocks[nblocks++] = m;
        tracked_allocs++;
        return m;
    }
    if (!real_palloc) {
        real_palloc = (palloc_fn)dlsym(RTLD_NEXT, "apr_palloc");
        if (!real_palloc) {
            abort();
        }
    }
    return real_palloc(p, size);
}

#undef apr_pcalloc
void *apr_pcalloc(apr_pool_t *p, apr_size_t size);
void *apr_pcalloc(apr_pool_t *p, apr_size_t size)
{
    return memset(apr_palloc(p, size), 0, size);
}

static apr_pool_t *root;

/* FUZZ_VERBOSE=1 in the environment: print each step's outcome (for
 * checking what the seeds reach; far too slow for fuzzing). */
int fuzz_verbose;

apr_pool_t *fuzz_pool_begin(void)
{
    apr_pool_t *p = NULL;

    if (apr_pool_create(&p, root) != APR_SUCCESS) {
        abort();
    }
    tracked = p;
    return p;
}

void fuzz_pool_end(apr_pool_t *p)
{
    size_t i;

    /* Cleanups (EVP frees) run while the blocks, which
     * also hold APR's cleanup records, are still there. */
    apr_pool_destroy(p);
    tracked = NULL;
    for (i = 0; i < nblocks; i++) {
        free(blocks[i]);
    }
    nblocks = 0;
}

char *fuzz_strndup(const uint8_t *data, size_t size)
{
    char *s = malloc(size + 1);

    if (!s) {
        abort();
    }
    if (size) {
        memcpy(s, data, size);
    }
    s[size] = '\0';
    return s;
}

void fuzz_fail(const char *what, const char *detail)
{
    fprintf(stderr, "FUZZ INVARIANT BROKEN: %s%s%s\n", what,
            detail ? ": " : "", detail ? detail : "");
    abort();
}

/* ------------------------------------------------------------------ */
/* Keys                                                                 */

static const char *const kinds[] = {"oct",  "rsa",  "p256",
                                    "p384", "p521", "ed25519"};
#define NKINDS 6
#define NSETS 3

static const ajwt_key_t *pub_keys[NSETS][NKINDS];  /* verify side */
static const ajwt_key_t *priv_keys[NKINDS];         /* set 0, signing */
static apr_array_header_t *key_arrays[4][NKINDS];

static int kind_index(const char *kind)
{
    int i;

    for (i = 0; i < NKINDS; i++) {
        if (!strcmp(kinds[i], kind)) {
            return i;
        }
    }
    abort();
}

static int alg_kind(ajwt_alg_e alg)
{
    switch (alg) {
    case AJWT_ALG_RS256: case AJWT_ALG_RS384: case AJWT_ALG_RS512:
    case AJWT_ALG_PS256: case AJWT_ALG_PS384: case AJWT_ALG_PS512:
        return 1;
    case AJWT_ALG_ES256:
        return 2;
    case AJWT_ALG_ES384:
        return 3;
    case AJWT_ALG_ES512:
        return 4;
    case AJWT_ALG_EDDSA:
        return 5;
    default:
        return 0;
    }
}

ajwt_alg_e fuzz_alg(unsigned int nibble)
{
    nibble &= 15;
    return nibble < 13 ? (ajwt_alg_e)(AJWT_ALG_HS256 + (int)nibble)
                       : AJWT_ALG_UNKNOWN;
}

static const ajwt_key_t *load(const fuzz_keydef_t *d, int want_private,
                              const char *kid)
{
    ajwt_key_t *key = NULL;
    ajwt_err_t err;
    apr_status_t rv;
    const char *pem = want_private ? d->priv_pem : d->pub_pem;

    ajwt_err_clear(&err);
    if (d->secret) {
        rv = ajwt_key_from_secret(&key, root, (const unsigned char *)d->secret,
                                  d->secret_len, kid, &err);
    }
    else {
        rv = ajwt_key_from_pem(&key, root, pem, strlen(pem), want_private,
                               kid, &err);
    }
    if (rv != APR_SUCCESS) {
        fuzz_fail("cannot load a fuzz key", err.text);
    }
    return key;
}

static apr_array_header_t *one_key(const ajwt_key_t *k)
{
    apr_array_header_t *a = apr_array_make(root, 1, sizeof(const ajwt_key_t *));

    APR_ARRAY_PUSH(a, const ajwt_key_t *) = k;
    return a;
}

const apr_array_header_t *fuzz_keys(ajwt_alg_e alg, int which)
{
    return key_arrays[which & 3][alg_kind(alg)];
}

const ajwt_key_t *fuzz_hmac_key(void)
{
    return priv_keys[0];
}

const ajwt_key_t *fuzz_private_key(ajwt_alg_e alg)
{
    return alg == AJWT_ALG_UNKNOWN ? NULL : priv_keys[alg_kind(alg)];
}

/* Sign and verify a fixed input with every algorithm: proves that the
 * harness's keys are what the targets assume, and the pool interposer. */
static void self_test(void)
{
    static const char input[] = "eyJhbGciOiJIUzI1NiJ9.e30";
    apr_pool_t *p;
    unsigned char *sig;
    apr_size_t sig_len;
    ajwt_err_t err;
    int i;

    for (i = 0; i < 13; i++) {
        ajwt_alg_e alg = fuzz_alg((unsigned int)i);
        const apr_array_header_t *keys = fuzz_keys(alg, FUZZ_KEYS_OWN);
        const ajwt_key_t *k = APR_ARRAY_IDX(keys, 0, const ajwt_key_t *);

        p = fuzz_pool_begin();
        ajwt_err_clear(&err);
        if (ajwt_jws_sign_raw(&sig, &sig_len, p, alg, fuzz_private_key(alg),
                              (const unsigned char *)input, strlen(input),
                              &err) != APR_SUCCESS ||
            ajwt_jws_verify_raw(alg, k, (const unsigned char *)input,
                                strlen(input), sig, sig_len, p,
                                &err) != APR_SUCCESS) {
            fuzz_fail(ajwt_alg_name(alg), err.text);
        }
        fuzz_pool_end(p);
    }
    p = fuzz_pool_begin();
    tracked_allocs = 0;
    (void)apr_pstrdup(p, "x"); /* inside libapr: must reach our apr_palloc */
    if (tracked_allocs != 1) {
        fuzz_fail("apr_palloc interposition does not work", NULL);
    }
    fuzz_pool_end(p);
}

/* At exit, free the keys: APR may keep its blocks where LeakSanitizer does
 * not look, so keys reachable only from the root pool would be reported. */
static void fuzz_fini(void)
{
    apr_pool_destroy(root);
    root = NULL;
    apr_terminate();
}

void fuzz_init(void)
{
    static int done;
    ajwt_err_t err;
    size_t i;
    int k, s;

    if (done) {
        return;
    }
    done = 1;
    if (apr_initialize() != APR_SUCCESS ||
        apr_pool_create(&root, NULL) != APR_SUCCESS) {
        fuzz_fail("apr_initialize", NULL);
    }
    atexit(fuzz_fini);
    fuzz_verbose = getenv("FUZZ_VERBOSE") && *getenv("FUZZ_VERBOSE") == '1';
    ajwt_err_clear(&err);
    if (ajwt_crypto_init(&err) != APR_SUCCESS) {
        fuzz_fail("ajwt_crypto_init", err.text);
    }
    for (i = 0; i < sizeof(fuzz_keydefs) / sizeof(fuzz_keydefs[0]); i++) {
        const fuzz_keydef_t *d = &fuzz_keydefs[i];
        k = kind_index(d->kind);
        pub_keys[d->set][k] = load(d, 0, d->kid);
        if (d->set == 0) {
            priv_keys[k] = d->secret ? pub_keys[0][k] : load(d, 1, NULL);
        }
    }
    for (k = 0; k < NKINDS; k++) {
        const fuzz_keydef_t *own = NULL, *rfc = NULL, *other = NULL;
        apr_array_header_t *multi;

        if (!pub_keys[0][k]) {
            fuzz_fail("no generated key of kind", kinds[k]);
        }
        for (s = 0; s < NSETS; s++) {
            key_arrays[s][k] = one_key(pub_keys[s][k] ? pub_keys[s][k]
                                                      : pub_keys[0][k]);
        }
        /* MULTI: k1 = own, k2 = an RFC key of the same type (or own again),
         * k3 = a key of another type (select by kid, then AJWT_E_KEY). */
        for (i = 0; i < sizeof(fuzz_keydefs) / sizeof(fuzz_keydefs[0]); i++) {
            const fuzz_keydef_t *d = &fuzz_keydefs[i];
            int dk = kind_index(d->kind);
            if (d->set == 0 && dk == k) {
                own = d;
            }
            else if (d->set != 0 && dk == k && !rfc) {
                rfc = d;
            }
            else if (d->set == 0 && dk == (k + 1) % NKINDS) {
                other = d;
            }
        }
        multi = apr_array_make(root, 3, sizeof(const ajwt_key_t *));
        APR_ARRAY_PUSH(multi, const ajwt_key_t *) = load(own, 0, "k1");
        APR_ARRAY_PUSH(multi, const ajwt_key_t *) = load(rfc ? rfc : own, 0,
                                                         "k2");
        APR_ARRAY_PUSH(multi, const ajwt_key_t *) = load(other, 0, "k3");
        key_arrays[FUZZ_KEYS_MULTI][k] = multi;
    }
    self_test();
}

/* ------------------------------------------------------------------ */
/* Pipeline                                                             */

void fuzz_claims(apr_pool_t *p, const ajwt_json_t *payload, int variant)
{
    static const char *const paths[] = {
        "sub", "role", "groups", "realm_access.roles", "a.b.c", "a..b", ".",
        "resource_access.api.roles", "email_verified", "n"};
    static const char *const values[] = {"admin", "1", "true", "", "1.5",
                                         "x,y"};
    ajwt_claims_policy_t pol;
    apr_array_header_t *names, *kvs;
    const char *user = NULL;
    ajwt_err_t err;
    apr_status_t rv;
    size_t i, j;
    int n;

    memset(&pol, 0, sizeof(pol));
    pol.now = FUZZ_NOW;
    if (variant & 1) {
        pol.leeway = 60;
        pol.user_claim = "email";
    }
    else {
        pol.iss = FUZZ_ISS;
        pol.aud = FUZZ_AUD;
    }
    ajwt_err_clear(&err);
    rv = ajwt_claims_check(&user, payload, &pol, &err);
    if (fuzz_verbose) {
        fprintf(stderr, "  claims: %s\n", rv == APR_SUCCESS ? user : err.text);
    }
    if (rv == APR_SUCCESS) {
        if (!user || !*user || err.code != AJWT_OK) {
            fuzz_fail("claims accepted without a user", err.text);
        }
    }
    else if (err.code == AJWT_OK || user) {
        fuzz_fail("claims refused without a code", NULL);
    }

    kvs = ajwt_claims_export(p, payload, NULL);
    for (n = 0; n < kvs->nelts; n++) {
        const ajwt_claim_kv_t *kv = &APR_ARRAY_IDX(kvs, n, ajwt_claim_kv_t);
        const char *c;
        if (!kv->name || !kv->value || !*kv->name) {
            fuzz_fail("export gave a NULL or empty name/value", NULL);
        }
        for (c = kv->name; *c; c++) {
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                        "0123456789_", *c)) {
                fuzz_fail("export name not environment-safe", kv->name);
            }
        }
        for (c = kv->value; *c; c++) {
            if ((unsigned char)*c < 0x20 || *c == 0x7f) {
                fuzz_fail("export value has a control character", kv->name);
            }
        }
    }
    names = apr_array_make(p, 4, sizeof(const char *));
    APR_ARRAY_PUSH(names, const char *) = "sub";
    APR_ARRAY_PUSH(names, const char *) = "role";
    APR_ARRAY_PUSH(names, const char *) = "groups";
    APR_ARRAY_PUSH(names, const char *) = "email";
    (void)ajwt_claims_export(p, payload, names);

    for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        const ajwt_json_t *c = ajwt_claims_lookup(payload, paths[i]);
        if (c) {
            (void)ajwt_claims_text(p, c);
        }
        for (j = 0; j < sizeof(values) / sizeof(values[0]); j++) {
            (void)ajwt_claims_match(c, values[j]);
        }
    }
}

apr_status_t fuzz_pipeline(apr_pool_t *p, const char *compact,
                           apr_size_t max_size, ajwt_alg_e alg,
                           const apr_array_header_t *keys, int variant,
                           int *pparsed, ajwt_jws_t **pjws)
{
    ajwt_jws_t *jws = NULL;
    ajwt_err_t err;
    apr_status_t rv;

    if (pparsed) {
        *pparsed = 0;
    }
    if (pjws) {
        *pjws = NULL;
    }
    ajwt_err_clear(&err);
    rv = ajwt_jws_parse(&jws, p, compact, max_size, &err);
    if (fuzz_verbose) {
        fprintf(stderr, "  parse: %s\n", rv == APR_SUCCESS ? "ok" : err.text);
    }
    if (rv != APR_SUCCESS) {
        if (jws || err.code == AJWT_OK) {
            fuzz_fail("parse failed without a code or with a result", NULL);
        }
        return rv;
    }
    if (!jws || !jws->header || !jws->payload || !jws->alg ||
        jws->signing_input_len != strlen(jws->signing_input) ||
        (max_size && strlen(compact) > max_size)) {
        fuzz_fail("parse succeeded with an incomplete result", NULL);
    }
    if (pparsed) {
        *pparsed = 1;
    }
    if (pjws) {
        *pjws = jws;
    }
    ajwt_err_clear(&err);
    rv = ajwt_jws_verify(jws, p, alg, keys, &err);
    if (fuzz_verbose) {
        fprintf(stderr, "  verify %s: %s\n", ajwt_alg_name(alg) ? ajwt_alg_name(alg) : "none",
                rv == APR_SUCCESS ? "ok" : err.text);
    }
    if (rv == APR_SUCCESS) {
        /* The algorithm is never the token's choice. */
        if (alg == AJWT_ALG_UNKNOWN || strcmp(jws->alg, ajwt_alg_name(alg))) {
            fuzz_fail("verified under another algorithm", jws->alg);
        }
    }
    else if (err.code == AJWT_OK) {
        fuzz_fail("verify failed without a code", NULL);
    }
    fuzz_claims(p, jws->payload, variant);
    return rv;
}
