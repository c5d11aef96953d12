/* Licensed under the Apache License, Version 2.0. */

/*
 * hotpath_malloc.c: the per-request token work must not allocate outside
 * the request pool. This program replaces malloc, calloc and realloc (for
 * the whole process, libraries included) with counting wrappers around
 * glibc's, warms a pool up, then parses an HS256 token (ajwt_jws_parse),
 * checks its claims (ajwt_claims_check), runs "Require jwt-claim" lookup
 * and match and the claim export, and clears the pool, 100 times. It fails
 * when any of that called malloc. The signature check (OpenSSL, which
 * allocates its contexts itself) is counted and reported separately.
 * Run by `make check-hotpath` (part of `make check`); glibc only, and not
 * under a sanitizer (which owns malloc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_pools.h"
#include "apr_tables.h"

#include "ajwt_claims.h"
#include "ajwt_jws.h"
#include "ajwt_key.h"

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);

static int counting;
static long nalloc;

void *malloc(size_t n)
{
    nalloc += counting;
    return __libc_malloc(n);
}

void *calloc(size_t a, size_t b)
{
    nalloc += counting;
    return __libc_calloc(a, b);
}

void *realloc(void *q, size_t n)
{
    nalloc += counting;
    return __libc_realloc(q, n);
}

/* {"alg":"HS256","kid":"k1","typ":"JWT"} . iss aud sub iat nbf exp(2100)
 * jti role email groups[a,b,c] n(1.5), signed with SECRET (PyJWT). */
static const char token[] =
    "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIiwidHlwIjoiSldUIn0."
    "eyJpc3MiOiJodHRwczovL2lzc3Vlci5leGFtcGxlLnRlc3QiLCJhdWQiOiJleGFtcGxl"
    "LWFwcCIsInN1YiI6ImFsaWNlIiwiaWF0IjoxNzAwMDAwMDAwLCJuYmYiOjE3MDAwMDAw"
    "MDAsImV4cCI6NDEwMjQ0NDgwMCwianRpIjoiZDBlOGMzYTEtNWI5Zi00YzFlLTlhN2Qi"
    "LCJyb2xlIjoiYWRtaW4iLCJlbWFpbCI6ImFsaWNlQGV4YW1wbGUudGVzdCIsImdyb3Vw"
    "cyI6WyJhIiwiYiIsImMiXSwibiI6MS41fQ."
    "CYQtM-A-BpQUCnBasSI1Zvixu0MQ4O8HbMntnKob-So";
#define SECRET "secret-secret-secret-secret-secret!"
#define ROUNDS 100
#define WARMUP 3

/** One request's token work without the signature; 0 when it all passed. */
static int token_work(apr_pool_t *p, ajwt_jws_t **pjws, ajwt_err_t *err)
{
    ajwt_claims_policy_t pol = {1.8e9, 0, "https://issuer.example.test",
                                "example-app", NULL};
    const char *user;

    return ajwt_jws_parse(pjws, p, token, 0, err) != APR_SUCCESS
           || ajwt_claims_check(&user, (*pjws)->payload, &pol, err)
                  != APR_SUCCESS
           || !ajwt_claims_match(ajwt_claims_lookup((*pjws)->payload,
                                                    "groups"),
                                 "b")
           || ajwt_claims_export(p, (*pjws)->payload, NULL)->nelts != 11;
}

int main(void)
{
    apr_pool_t *root, *p;
    apr_array_header_t *keys;
    ajwt_key_t *key;
    ajwt_err_t err;
    long work = 0, verify = 0;
    int i;

    apr_initialize();
    apr_pool_create(&root, NULL);
    ajwt_err_clear(&err);
    if (ajwt_crypto_init(&err) != APR_SUCCESS
        || ajwt_key_from_secret(&key, root, (const unsigned char *)SECRET,
                                strlen(SECRET), "k1", &err) != APR_SUCCESS) {
        fprintf(stderr, "hotpath: setup failed: %s\n", err.text);
        return 2;
    }
    keys = apr_array_make(root, 1, sizeof(const ajwt_key_t *));
    APR_ARRAY_PUSH(keys, const ajwt_key_t *) = key;
    apr_pool_create(&p, root);
    for (i = 0; i < WARMUP + ROUNDS; i++) {
        ajwt_jws_t *jws;
        int failed;

        nalloc = 0;
        counting = i >= WARMUP;
        failed = token_work(p, &jws, &err);
        counting = 0;
        work += nalloc;
        if (failed) {
            fprintf(stderr, "hotpath: token refused: %s\n", err.text);
            return 2;
        }
        nalloc = 0;
        counting = i >= WARMUP;
        failed = ajwt_jws_verify(jws, p, AJWT_ALG_HS256, keys, &err)
                 != APR_SUCCESS;
        counting = 0;
        verify += nalloc;
        if (failed) {
            fprintf(stderr, "hotpath: signature refused: %s\n", err.text);
            return 2;
        }
        apr_pool_clear(p);
    }
    printf("hotpath: malloc calls per token: %.2f for parse, claims check, "
           "lookup/match and export (must be 0); %.2f in OpenSSL's HS256 "
           "check (not counted against it)\n",
           (double)work / ROUNDS, (double)verify / ROUNDS);
    return work == 0 ? 0 : 1;
}
