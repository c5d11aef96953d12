/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fuzz_verify.c: libFuzzer target over the bearer-token path of the pure
 * layers: ajwt_jws_parse, ajwt_jws_verify, ajwt_claims_check,
 * ajwt_claims_export (tests/fuzz/README.md).
 *
 * Input: one selector byte, then the body.
 *   selector bits 0-3: configured algorithm, 0..12 = HS256 .. EdDSA,
 *                      13..15 = AJWT_ALG_UNKNOWN ("none" configured);
 *            bits 4-5: key set (FUZZ_KEYS_OWN, _RFC, _KID, _MULTI);
 *            bits 6-7: mode:
 *     0  body is a compact token; size limit 8192 (the module's default);
 *        claims policy with iss and aud;
 *     1  the same without a size limit; policy with leeway and user claim
 *        "email";
 *     2  body is the PAYLOAD JSON: the target signs
 *        b64url({"alg":"HSxxx","typ":"JWT"}).b64url(body) with the HMAC key
 *        (HS256/384/512 by the algorithm bits mod 3), so that arbitrary JSON
 *        gets past the signature into the claims and export code;
 *     3  body is HEADER JSON, a NUL byte, PAYLOAD JSON (no NUL: all payload,
 *        default header), signed likewise.
 * In modes 2 and 3 a parse that succeeds must verify (the target signed it
 * with the configured algorithm's key), unless the header names another
 * algorithm; any disagreement aborts.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "ajwt_b64url.h"
#include "ajwt_err.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"

#include "fuzz_common.h"

#define FUZZ_MAX_TOKEN 8192

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

/* Modes 2 and 3: sign header.payload with HMAC and run the pipeline. */
static void signed_json(apr_pool_t *p, unsigned int sel, const uint8_t *hdr,
                        size_t hlen, const uint8_t *pl, size_t plen)
{
    ajwt_alg_e alg = (ajwt_alg_e)(AJWT_ALG_HS256 + (int)((sel & 15) % 3));
    const char *def_hdr, *input, *compact;
    unsigned char *sig;
    apr_size_t sig_len;
    ajwt_jws_t *jws = NULL;
    ajwt_err_t err;
    apr_status_t rv;
    int parsed;

    if (!hdr) {
        def_hdr = apr_psprintf(p, "{\"alg\":\"%s\",\"typ\":\"JWT\"}",
                               ajwt_alg_name(alg));
        hdr = (const uint8_t *)def_hdr;
        hlen = strlen(def_hdr);
    }
    input = apr_pstrcat(p, ajwt_b64url_encode(p, hdr, hlen), ".",
                        ajwt_b64url_encode(p, pl, plen), NULL);
    ajwt_err_clear(&err);
    if (ajwt_jws_sign_raw(&sig, &sig_len, p, alg, fuzz_hmac_key(),
                          (const unsigned char *)input, strlen(input),
                          &err) != APR_SUCCESS) {
        fuzz_fail("HMAC signing failed", err.text);
    }
    compact = apr_pstrcat(p, input, ".", ajwt_b64url_encode(p, sig, sig_len),
                          NULL);
    rv = fuzz_pipeline(p, compact, 0, alg, fuzz_keys(alg, FUZZ_KEYS_OWN),
                       (int)((sel >> 4) & 1), &parsed, &jws);
    if (parsed && rv != APR_SUCCESS && !strcmp(jws->alg, ajwt_alg_name(alg))) {
        fuzz_fail("a token the target signed does not verify", NULL);
    }
}

/*
 * When a token does not parse (the payloads of RFC 7520 and RFC 8037 are not
 * JSON objects, for instance), still run the signature primitive over
 * "<everything before the last dot>" and the decoded last segment with the
 * first configured key, so mutated signatures reach every verify path.
 */
static void raw_verify(apr_pool_t *p, const char *token, ajwt_alg_e alg,
                       const apr_array_header_t *keys)
{
    const char *dot = strrchr(token, '.');
    unsigned char *sig;
    apr_size_t sig_len;
    ajwt_err_t err;
    apr_status_t rv;

    if (!dot || alg == AJWT_ALG_UNKNOWN ||
        ajwt_b64url_decode(&sig, &sig_len, p, dot + 1, strlen(dot + 1)) !=
            APR_SUCCESS) {
        return;
    }
    ajwt_err_clear(&err);
    rv = ajwt_jws_verify_raw(alg, APR_ARRAY_IDX(keys, 0, const ajwt_key_t *),
                             (const unsigned char *)token,
                             (apr_size_t)(dot - token), sig, sig_len, p, &err);
    if (fuzz_verbose) {
        fprintf(stderr, "  raw verify: %s\n",
                rv == APR_SUCCESS ? "ok" : err.text);
    }
    if (rv != APR_SUCCESS && err.code == AJWT_OK) {
        fuzz_fail("raw verify failed without a code", NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned int sel;
    apr_pool_t *p;
    const uint8_t *nul;
    const apr_array_header_t *keys;
    char *token;
    ajwt_alg_e alg;
    int parsed;

    if (size < 1) {
        return 0;
    }
    sel = data[0];
    data++;
    size--;
    alg = fuzz_alg(sel & 15);
    p = fuzz_pool_begin();
    switch (sel >> 6) {
    case 0:
    case 1:
        /* An exact-size malloc copy: reads past the end are caught. */
        token = fuzz_strndup(data, size);
        keys = fuzz_keys(alg, (int)((sel >> 4) & 3));
        (void)fuzz_pipeline(p, token, (sel >> 6) ? 0 : FUZZ_MAX_TOKEN, alg,
                            keys, (int)(sel >> 6), &parsed, NULL);
        if (!parsed) {
            raw_verify(p, token, alg, keys);
        }
        free(token);
        break;
    case 2:
        signed_json(p, sel, NULL, 0, data, size);
        break;
    default:
        nul = size ? memchr(data, '\0', size) : NULL;
        if (nul) {
            signed_json(p, sel, data, (size_t)(nul - data), nul + 1,
                        size - (size_t)(nul - data) - 1);
        }
        else {
            signed_json(p, sel, NULL, 0, data, size);
        }
        break;
    }
    fuzz_pool_end(p);
    return 0;
}
