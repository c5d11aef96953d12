/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * fuzz_json.c: libFuzzer target over the decoders under the token parser,
 * called directly (tests/fuzz/README.md). Input: a mode byte, then the body.
 *   mode % 4 == 0: ajwt_json_parse_object(body). When accepted: the compact
 *       serialisation (ajwt_json_compact) must parse again and serialise to
 *       the same text; then the claims functions run on the object.
 *   mode % 4 == 1: ajwt_b64url_decode(body). When accepted, encoding the
 *       result must give back the body (canonical base64url only); and
 *       encoding the body as bytes must decode back to it.
 *   mode % 4 == 2: ajwt_b64_decode_any(body up to the first NUL), the
 *       configuration-secret decoder; the same text as a refresh token:
 *       ajwt_token_is_wellformed, ajwt_token_digest, ajwt_token_equal.
 *   mode % 4 == 3: body = path NUL value: ajwt_claims_lookup with that path
 *       on a fixed claims set, ajwt_claims_match with the value,
 *       ajwt_claims_text, ajwt_claims_env_name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "apr_pools.h"
#include "apr_strings.h"

#include "ajwt_b64url.h"
#include "ajwt_claims.h"
#include "ajwt_err.h"
#include "ajwt_json.h"
#include "ajwt_token.h"

#include "fuzz_common.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char fixed_claims[] =
    "{\"iss\":\"https://issuer.example\",\"sub\":\"alice\",\"aud\":[\"api\",1],"
    "\"exp\":4102444800,\"iat\":1.5e9,\"role\":\"admin\",\"n\":null,"
    "\"groups\":[\"a\",\"b\",true,2.50],\"realm_access\":{\"roles\":[\"x\"],"
    "\"a\":{\"b\":{\"c\":\"deep\"}}},\"a.b\":\"dotted\",\"\\u00e9\":\"e\","
    "\"ctl\":\"a\\u2028b\",\"obj\":{\"k\":[1,{\"z\":false}]}}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    fuzz_init();
    return 0;
}

static void json_mode(apr_pool_t *p, const uint8_t *data, size_t size,
                      int variant)
{
    const ajwt_json_t *obj = NULL, *again = NULL;
    const char *text, *text2;
    ajwt_err_t err;
    apr_status_t rv;

    ajwt_err_clear(&err);
    rv = ajwt_json_parse_object(&obj, p, (const char *)data, size, &err);
    if (rv != APR_SUCCESS) {
        if (obj || err.code == AJWT_OK) {
            fuzz_fail("JSON refused without a code or with a result", NULL);
        }
        return;
    }
    if (!ajwt_json_is(obj, AJWT_JSON_OBJECT)) {
        fuzz_fail("JSON accepted but not an object", NULL);
    }
    text = ajwt_json_compact(p, obj, NULL);
    ajwt_err_clear(&err);
    if (ajwt_json_parse_object(&again, p, text, strlen(text), &err) !=
        APR_SUCCESS) {
        fuzz_fail("compact JSON of an accepted object is refused", err.text);
    }
    text2 = ajwt_json_compact(p, again, NULL);
    if (strcmp(text, text2)) {
        fuzz_fail("compact JSON does not round-trip", NULL);
    }
    fuzz_claims(p, obj, variant);
}

static void b64url_mode(apr_pool_t *p, const uint8_t *data, size_t size)
{
    unsigned char *out;
    apr_size_t len;
    const char *enc;

    if (ajwt_b64url_decode(&out, &len, p, (const char *)data, size) ==
        APR_SUCCESS) {
        if (out[len] != '\0') {
            fuzz_fail("b64url output not NUL-terminated", NULL);
        }
        enc = ajwt_b64url_encode(p, out, len);
        if (strlen(enc) != size || memcmp(enc, data, size)) {
            fuzz_fail("b64url decode accepted a non-canonical input", NULL);
        }
    }
    enc = ajwt_b64url_encode(p, data, size);
    if (ajwt_b64url_decode(&out, &len, p, enc, strlen(enc)) != APR_SUCCESS ||
        len != size || (size && memcmp(out, data, size))) {
        fuzz_fail("b64url round trip failed", NULL);
    }
}

static void lookup_mode(apr_pool_t *p, const uint8_t *data, size_t size)
{
    static apr_pool_t *claims_pool; /* lives as long as the target */
    static const ajwt_json_t *claims; /* parsed once */
    const uint8_t *nul = size ? memchr(data, '\0', size) : NULL;
    char *path = fuzz_strndup(data, nul ? (size_t)(nul - data) : size);
    char *value = nul ? fuzz_strndup(nul + 1, size - (size_t)(nul - data) - 1)
                      : NULL;
    const ajwt_json_t *c;
    ajwt_err_t err;

    if (!claims) {
        if (apr_pool_create(&claims_pool, NULL) != APR_SUCCESS
            || ajwt_json_parse_object(&claims, claims_pool, fixed_claims,
                                      strlen(fixed_claims), &err)
                   != APR_SUCCESS) {
            fuzz_fail("fixed claims do not parse", NULL);
        }
    }
    c = ajwt_claims_lookup(claims, path);
    (void)ajwt_claims_match(c, value ? value : path);
    if (c) {
        (void)ajwt_claims_text(p, c);
    }
    (void)ajwt_claims_env_name(p, path);
    free(path);
    free(value);
}

/* A refresh token as a client sends it: shape check, digest, compare. */
static void token_mode(apr_pool_t *p, const char *s)
{
    static const char issued[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const char *hex = NULL;
    ajwt_err_t err;

    (void)ajwt_token_is_wellformed(s);
    ajwt_err_clear(&err);
    if (ajwt_token_digest(&hex, p, s, &err) != APR_SUCCESS ||
        strlen(hex) != AJWT_DIGEST_HEX_LEN ||
        strspn(hex, "0123456789abcdef") != AJWT_DIGEST_HEX_LEN) {
        fuzz_fail("token digest", err.text);
    }
    if (ajwt_token_equal(s, issued) != !strcmp(s, issued)) {
        fuzz_fail("ajwt_token_equal disagrees with strcmp", NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    apr_pool_t *p;
    unsigned char *out;
    apr_size_t len;
    unsigned int mode;
    char *s;

    if (size < 1) {
        return 0;
    }
    mode = data[0];
    data++;
    size--;
    p = fuzz_pool_begin();
    switch (mode % 4) {
    case 0: {
        /* An exact-size copy: the body is not NUL-terminated. */
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy) {
            abort();
        }
        if (size) {
            memcpy(copy, data, size);
        }
        json_mode(p, copy, size, (int)((mode >> 2) & 1));
        free(copy);
        break;
    }
    case 1: {
        uint8_t *copy = malloc(size ? size : 1);
        if (!copy) {
            abort();
        }
        if (size) {
            memcpy(copy, data, size);
        }
        b64url_mode(p, copy, size);
        free(copy);
        break;
    }
    case 2:
        s = fuzz_strndup(data, size);
        (void)ajwt_b64_decode_any(&out, &len, p, s);
        token_mode(p, s);
        free(s);
        break;
    default:
        lookup_mode(p, data, size);
        break;
    }
    fuzz_pool_end(p);
    return 0;
}
