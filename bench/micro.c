/* Licensed under the Apache License, Version 2.0. */

/*
 * bench/micro.c: the module's per-request work on a token, alone, with no
 * Apache around it: strict parse (base64url, JSON), signature check, claims
 * check and claim export, in a request-sized pool cleared each time, as
 * ajwt_authn does. Prints µs per token for each algorithm family next to
 * the bare signature verification (ajwt_jws_verify_raw), so that the cost
 * the module adds around the cryptography is visible (`make bench-micro`).
 * Usage: micro KEYDIR [SECONDS]   (KEYDIR: rsa.pem, ec.pem, ed.pem, hs256.bin)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_general.h"
#include "apr_file_io.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "ajwt_b64url.h"
#include "ajwt_claims.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_key.h"

static apr_pool_t *top;

static const char *slurp(const char *dir, const char *name, apr_size_t *plen)
{
    const char *path = apr_pstrcat(top, dir, "/", name, NULL);
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;

    if (apr_file_open(&f, path, APR_FOPEN_READ, 0, top) != APR_SUCCESS
        || apr_file_info_get(&fi, APR_FINFO_SIZE, f) != APR_SUCCESS) {
        fprintf(stderr, "micro: cannot read %s\n", path);
        exit(2);
    }
    buf = apr_palloc(top, (apr_size_t)fi.size + 1);
    apr_file_read_full(f, buf, (apr_size_t)fi.size, plen);
    buf[fi.size] = '\0';
    apr_file_close(f);
    return buf;
}

static void die(const char *what, const ajwt_err_t *err)
{
    fprintf(stderr, "micro: %s: %s\n", what, err->text);
    exit(2);
}

/** µs per call of one full verification (or of the bare signature check). */
static double run(ajwt_alg_e alg, const ajwt_key_t *key, const char *token,
                  double seconds, int bare)
{
    apr_array_header_t *keys = apr_array_make(top, 1, sizeof(ajwt_key_t *));
    ajwt_claims_policy_t pol = { 0 };
    apr_pool_t *rp;
    apr_time_t start = apr_time_now(), end = start + apr_time_from_sec(1) * seconds;
    long n = 0;
    ajwt_err_t err;
    ajwt_jws_t *jws = NULL;

    *(const ajwt_key_t **)apr_array_push(keys) = key;
    pol.now = (double)apr_time_now() / APR_USEC_PER_SEC;
    pol.iss = "https://issuer.example.test";
    pol.aud = "example-app";
    apr_pool_create(&rp, top);
    if (ajwt_jws_parse(&jws, rp, token, 8192, &err) != APR_SUCCESS) {
        die("parse", &err);
    }
    while (apr_time_now() < end) {
        int i;

        for (i = 0; i < 100; i++, n++) {
            if (bare) {
                if (ajwt_jws_verify_raw(alg, key,
                                        (const unsigned char *)jws->signing_input,
                                        jws->signing_input_len, jws->sig,
                                        jws->sig_len, rp, &err) != APR_SUCCESS) {
                    die("verify_raw", &err);
                }
                continue;
            }
            {
                ajwt_jws_t *j = NULL;
                const char *user;

                if (ajwt_jws_parse(&j, rp, token, 8192, &err) != APR_SUCCESS
                    || ajwt_jws_verify(j, rp, alg, keys, &err) != APR_SUCCESS
                    || ajwt_claims_check(&user, j->payload, &pol, &err)
                           != APR_SUCCESS) {
                    die("verify", &err);
                }
                ajwt_claims_export(rp, j->payload, NULL);
                apr_pool_clear(rp);
            }
        }
    }
    return (double)(apr_time_now() - start) / (double)n;
}

static const char *sign(ajwt_alg_e alg, const ajwt_key_t *key)
{
    ajwt_err_t err;
    const char *out;
    ajwt_json_t *payload = ajwt_json_new_object(top);
    apr_int64_t now = apr_time_sec(apr_time_now());
    static const char *const strings[][2] = {
        {"iss", "https://issuer.example.test"}, {"aud", "example-app"},
        {"sub", "alice"}};
    size_t i;

    for (i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        ajwt_json_set(payload, top, strings[i][0],
                      ajwt_json_new_string(top, strings[i][1]));
    }
    ajwt_json_set(payload, top, "iat", ajwt_json_new_int64(top, now));
    ajwt_json_set(payload, top, "nbf", ajwt_json_new_int64(top, now));
    ajwt_json_set(payload, top, "exp", ajwt_json_new_int64(top, now + 3600));
    ajwt_json_set(payload, top, "jti",
                  ajwt_json_new_string(top, "d0e8c3a1-5b9f-4c1e-9a7d"));
    ajwt_json_set(payload, top, "role", ajwt_json_new_string(top, "admin"));
    ajwt_json_set(payload, top, "email",
                  ajwt_json_new_string(top, "alice@example.test"));
    if (ajwt_jws_sign(&out, top, alg, key, payload, &err) != APR_SUCCESS) {
        die("sign", &err);
    }
    return out;
}

int main(int argc, char **argv)
{
    static const struct {
        const char *label, *file;
        ajwt_alg_e alg;
    } cases[] = {
        { "HS256", "hs256.bin", AJWT_ALG_HS256 },
        { "RS256", "rsa.pem", AJWT_ALG_RS256 },
        { "PS256", "rsa.pem", AJWT_ALG_PS256 },
        { "ES256", "ec.pem", AJWT_ALG_ES256 },
        { "EdDSA", "ed.pem", AJWT_ALG_EDDSA },
    };
    double seconds = argc > 2 ? atof(argv[2]) : 1.0;
    ajwt_err_t err;
    size_t i;

    if (argc < 2) {
        fprintf(stderr, "usage: micro KEYDIR [SECONDS]\n");
        return 2;
    }
    apr_initialize();
    apr_pool_create(&top, NULL);
    if (ajwt_crypto_init(&err) != APR_SUCCESS) {
        die("crypto init", &err);
    }
    printf("%-6s %12s %12s %12s\n", "alg", "full µs", "bare µs", "added µs");
    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        apr_size_t len;
        const char *data = slurp(argv[1], cases[i].file, &len);
        ajwt_key_t *key;
        const char *token;
        double full, bare;

        if (cases[i].alg == AJWT_ALG_HS256) {
            if (ajwt_key_from_secret(&key, top, (const unsigned char *)data,
                                     len, NULL, &err) != APR_SUCCESS) {
                die("key", &err);
            }
        }
        else if (ajwt_key_from_pem(&key, top, data, len, 1, NULL, &err)
                 != APR_SUCCESS) {
            die("key", &err);
        }
        token = sign(cases[i].alg, key);
        /* alternate the two, five times each, and keep each one's best:
         * on a shared machine a single timing can be off by tens of µs */
        full = bare = 1e30;
        for (int round = 0; round < 5; round++) {
            double f = run(cases[i].alg, key, token, seconds / 5, 0);
            double b = run(cases[i].alg, key, token, seconds / 5, 1);
            full = f < full ? f : full;
            bare = b < bare ? b : bare;
        }
        printf("%-6s %12.2f %12.2f %12.2f\n", cases[i].label, full, bare,
               full - bare);
    }
    apr_pool_destroy(top);
    apr_terminate();
    return 0;
}
