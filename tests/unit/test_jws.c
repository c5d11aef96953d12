/* Licensed under the Apache License, Version 2.0. */

/*
 * Compact JWS: sign and verify with every algorithm, strict parsing, the
 * algorithm check before any crypto, key selection by kid, and the known
 * attacks (alg none, algorithm confusion, DER ECDSA signatures).
 */
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apr_strings.h"
#include "apr_tables.h"

#include "ajwt_b64url.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "test_common.h"

/* From test_key.c. */
void ajwt_test_keys_init(void);
const char *ajwt_test_pem(const char *type, const char *form);
ajwt_key_t *ajwt_test_key(const char *type, int want_private, const char *kid);

#define PAYLOAD "{\"sub\":\"alice\",\"exp\":2000000000}"

static const char *b64(const char *s)
{
    return ajwt_b64url_encode(ajwt_test_pool, (const unsigned char *)s,
                              strlen(s));
}

/* An HMAC key of len random bytes. */
static ajwt_key_t *secret_key(apr_size_t len, const char *kid)
{
    unsigned char buf[128];
    ajwt_key_t *k;

    ck_assert_int_eq(RAND_bytes(buf, (int)len), 1);
    ck_assert_int_eq(
        ajwt_key_from_secret(&k, ajwt_test_pool, buf, len, kid, NULL),
        APR_SUCCESS);
    return k;
}

/* b64(header).b64(payload).b64(sign_raw(alg, key)) for any header text. */
static const char *make_token(const char *header, const char *payload,
                              ajwt_alg_e alg, const ajwt_key_t *key)
{
    const char *input =
        apr_pstrcat(ajwt_test_pool, b64(header), ".", b64(payload), NULL);
    unsigned char *sig;
    apr_size_t n;
    ajwt_err_t err;

    ck_assert_msg(ajwt_jws_sign_raw(&sig, &n, ajwt_test_pool, alg, key,
                                    (const unsigned char *)input, strlen(input),
                                    &err) == APR_SUCCESS,
                  "sign: %s", err.text);
    return apr_pstrcat(ajwt_test_pool, input, ".",
                       ajwt_b64url_encode(ajwt_test_pool, sig, n), NULL);
}

static apr_array_header_t *keys1(const ajwt_key_t *k)
{
    apr_array_header_t *a =
        apr_array_make(ajwt_test_pool, 2, sizeof(const ajwt_key_t *));
    APR_ARRAY_PUSH(a, const ajwt_key_t *) = k;
    return a;
}

static apr_array_header_t *keys2(const ajwt_key_t *k1, const ajwt_key_t *k2)
{
    apr_array_header_t *a = keys1(k1);
    APR_ARRAY_PUSH(a, const ajwt_key_t *) = k2;
    return a;
}

/* Parse and verify; return the error code (AJWT_OK on success). */
static ajwt_code_e check(const char *token, ajwt_alg_e alg,
                         const apr_array_header_t *keys)
{
    ajwt_jws_t *jws;
    ajwt_err_t err;
    apr_status_t rv;

    ajwt_err_clear(&err);
    rv = ajwt_jws_parse(&jws, ajwt_test_pool, token, 8192, &err);
    if (rv == APR_SUCCESS) {
        rv = ajwt_jws_verify(jws, ajwt_test_pool, alg, keys, &err);
    }
    ck_assert_int_eq(rv == APR_SUCCESS, err.code == AJWT_OK);
    return err.code;
}

typedef struct {
    ajwt_alg_e alg;
    const char *keytype; /* NULL: HMAC secret */
    apr_size_t sig_len;  /* expected raw signature size, 0 = any */
} alg_case_t;

static const alg_case_t alg_cases[] = {
    {AJWT_ALG_HS256, NULL, 32},       {AJWT_ALG_HS384, NULL, 48},
    {AJWT_ALG_HS512, NULL, 64},       {AJWT_ALG_RS256, "RSA2048", 256},
    {AJWT_ALG_RS384, "RSA2048", 256}, {AJWT_ALG_RS512, "RSA2048", 256},
    {AJWT_ALG_PS256, "RSA2048", 256}, {AJWT_ALG_PS384, "RSA2048", 256},
    {AJWT_ALG_PS512, "RSA2048", 256}, {AJWT_ALG_ES256, "P-256", 64},
    {AJWT_ALG_ES384, "P-384", 96},    {AJWT_ALG_ES512, "P-521", 132},
    {AJWT_ALG_EDDSA, "ED25519", 64},
};

START_TEST(test_sign_verify_all_algs)
{
    const alg_case_t *c = &alg_cases[_i];
    ajwt_key_t *priv, *pub;
    const ajwt_json_t *payload;
    const char *tok;
    ajwt_jws_t *jws;
    ajwt_err_t err;
    char *bad;

    if (c->keytype) {
        priv = ajwt_test_key(c->keytype, 1, "k1");
        pub = ajwt_test_key(c->keytype, 0, "k1");
    }
    else {
        priv = pub = secret_key(ajwt_alg_hash_len(c->alg), "k1");
    }
    ck_assert_int_eq(ajwt_json_parse_object(&payload, ajwt_test_pool, PAYLOAD,
                                            strlen(PAYLOAD), &err),
                     APR_SUCCESS);
    ck_assert_msg(ajwt_jws_sign(&tok, ajwt_test_pool, c->alg, priv, payload,
                                &err) == APR_SUCCESS,
                  "%s: %s", ajwt_alg_name(c->alg), err.text);
    ck_assert_int_eq(ajwt_jws_parse(&jws, ajwt_test_pool, tok, 0, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(jws->alg, ajwt_alg_name(c->alg));
    ck_assert_str_eq(jws->typ, "JWT");
    ck_assert_str_eq(jws->kid, "k1");
    ck_assert_uint_eq(jws->sig_len, c->sig_len);
    ck_assert_int_eq(check(tok, c->alg, keys1(pub)), AJWT_OK);
    ck_assert_int_eq(check(tok, c->alg, keys1(priv)), AJWT_OK);
    /* A flipped bit in the signature, then in the payload. */
    bad = apr_pstrdup(ajwt_test_pool, tok);
    bad[strlen(bad) - 3] = bad[strlen(bad) - 3] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(check(bad, c->alg, keys1(pub)), AJWT_E_SIGNATURE);
    bad = apr_pstrdup(ajwt_test_pool, tok);
    *strchr(bad, '.') = '\0';
    bad = apr_pstrcat(ajwt_test_pool, bad, ".",
                      b64("{\"sub\":\"mallory\",\"exp\":2000000000}"),
                      strrchr(tok, '.'), NULL);
    ck_assert_int_eq(check(bad, c->alg, keys1(pub)), AJWT_E_SIGNATURE);
}
END_TEST

START_TEST(test_sign_header_shape)
{
    ajwt_key_t *k = secret_key(32, NULL);
    const ajwt_json_t *payload;
    const char *tok;
    ajwt_err_t err;

    const char *text = "{\"iss\":\"https://x/y\"}";

    ck_assert_int_eq(ajwt_json_parse_object(&payload, ajwt_test_pool, text,
                                            strlen(text), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(
        ajwt_jws_sign(&tok, ajwt_test_pool, AJWT_ALG_HS256, k, payload, &err),
        APR_SUCCESS);
    ck_assert_int_eq(
        strncmp(tok, b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"),
                strlen(b64("{\"alg\":\"HS256\",\"typ\":\"JWT\"}"))),
        0);
    ck_assert_ptr_nonnull(strstr(tok, b64("{\"iss\":\"https://x/y\"}")));
}
END_TEST

START_TEST(test_sign_refusals)
{
    ajwt_key_t *pub = ajwt_test_key("P-256", 0, NULL);
    ajwt_key_t *short_secret = secret_key(31, NULL);
    const ajwt_json_t *payload = ajwt_json_new_object(ajwt_test_pool);
    const char *tok;
    ajwt_err_t err;

    ck_assert_int_eq(
        ajwt_jws_sign(&tok, ajwt_test_pool, AJWT_ALG_ES256, pub, payload, &err),
        APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ck_assert_int_eq(ajwt_jws_sign(&tok, ajwt_test_pool, AJWT_ALG_HS256,
                                   short_secret, payload, &err),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_sign(&tok, ajwt_test_pool, AJWT_ALG_ES384,
                                   ajwt_test_key("P-256", 1, NULL), payload,
                                   &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
}
END_TEST

START_TEST(test_alg_none_and_case)
{
    ajwt_key_t *k = secret_key(32, NULL);
    apr_array_header_t *keys = keys1(k);
    const char *p = b64(PAYLOAD);
    const char *good =
        make_token("{\"alg\":\"HS256\"}", PAYLOAD, AJWT_ALG_HS256, k);
    const char *sig = strrchr(good, '.');

    ck_assert_int_eq(check(good, AJWT_ALG_HS256, keys), AJWT_OK);
    ck_assert_int_eq(
        check(apr_pstrcat(ajwt_test_pool, b64("{\"alg\":\"none\"}"), ".", p,
                          ".", NULL),
              AJWT_ALG_HS256, keys),
        AJWT_E_ALG);
    ck_assert_int_eq(
        check(apr_pstrcat(ajwt_test_pool, b64("{\"alg\":\"None\"}"), ".", p,
                          ".", NULL),
              AJWT_ALG_HS256, keys),
        AJWT_E_ALG);
    ck_assert_int_eq(
        check(apr_pstrcat(ajwt_test_pool, b64("{\"alg\":\"NONE\"}"), ".", p,
                          sig, NULL),
              AJWT_ALG_HS256, keys),
        AJWT_E_ALG);
    /* Signed correctly but claiming "hs256". */
    ck_assert_int_eq(
        check(make_token("{\"alg\":\"hs256\"}", PAYLOAD, AJWT_ALG_HS256, k),
              AJWT_ALG_HS256, keys),
        AJWT_E_ALG);
    /* The configured algorithm can never be "none". */
    ck_assert_int_eq(
        check(apr_pstrcat(ajwt_test_pool, b64("{\"alg\":\"none\"}"), ".", p,
                          ".", NULL),
              AJWT_ALG_UNKNOWN, keys),
        AJWT_E_ALG);
}
END_TEST

START_TEST(test_algorithm_confusion)
{
    const char *pem = ajwt_test_pem("RSA2048", "pub");
    ajwt_key_t *rsa = ajwt_test_key("RSA2048", 0, NULL);
    ajwt_key_t *pem_secret;
    const char *tok;

    /* HS256 keyed with the public key's PEM bytes, as an attacker would. */
    ajwt_key_from_secret(&pem_secret, ajwt_test_pool,
                         (const unsigned char *)pem, strlen(pem), NULL, NULL);
    tok = make_token("{\"alg\":\"HS256\",\"typ\":\"JWT\"}", PAYLOAD,
                     AJWT_ALG_HS256, pem_secret);
    ck_assert_int_eq(check(tok, AJWT_ALG_RS256, keys1(rsa)), AJWT_E_ALG);
    /* Even a misconfigured HS256 with an RSA key does not fall into HMAC. */
    ck_assert_int_eq(check(tok, AJWT_ALG_HS256, keys1(rsa)), AJWT_E_KEY);
}
END_TEST

START_TEST(test_alg_key_mismatch)
{
    ajwt_key_t *p256 = ajwt_test_key("P-256", 1, NULL);
    ajwt_key_t *rsa = ajwt_test_key("RSA2048", 1, NULL);
    const char *es =
        make_token("{\"alg\":\"ES256\"}", PAYLOAD, AJWT_ALG_ES256, p256);
    const char *rs =
        make_token("{\"alg\":\"RS256\"}", PAYLOAD, AJWT_ALG_RS256, rsa);
    const char *ps =
        make_token("{\"alg\":\"PS256\"}", PAYLOAD, AJWT_ALG_PS256, rsa);

    ck_assert_int_eq(check(es, AJWT_ALG_ES384, keys1(p256)), AJWT_E_ALG);
    ck_assert_int_eq(check(es, AJWT_ALG_ES256, keys1(rsa)), AJWT_E_KEY);
    ck_assert_int_eq(check(rs, AJWT_ALG_PS256, keys1(rsa)), AJWT_E_ALG);
    ck_assert_int_eq(check(ps, AJWT_ALG_RS256, keys1(rsa)), AJWT_E_ALG);
    /* The right alg and key but the other key of the same kind. */
    ck_assert_int_eq(
        check(es, AJWT_ALG_ES256, keys1(ajwt_test_key("P-256b", 0, NULL))),
        AJWT_E_SIGNATURE);
    ck_assert_int_eq(
        check(rs, AJWT_ALG_RS256, keys1(ajwt_test_key("RSA2048b", 0, NULL))),
        AJWT_E_SIGNATURE);
    /* verify_raw refuses a key that does not fit. */
    ck_assert_int_eq(
        ajwt_jws_verify_raw(AJWT_ALG_ES384, p256, (const unsigned char *)"x", 1,
                            (const unsigned char *)"", 0, ajwt_test_pool, NULL),
        APR_EINVAL);
}
END_TEST

START_TEST(test_pss_vs_pkcs1)
{
    ajwt_key_t *rsa = ajwt_test_key("RSA2048", 1, NULL);
    unsigned char *sig;
    apr_size_t n;
    ajwt_err_t err;

    /* A PKCS#1 v1.5 signature is not a PSS one and vice versa. */
    ajwt_jws_sign_raw(&sig, &n, ajwt_test_pool, AJWT_ALG_RS256, rsa,
                      (const unsigned char *)"abc", 3, &err);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_PS256, rsa,
                                         (const unsigned char *)"abc", 3, sig,
                                         n, ajwt_test_pool, &err),
                     APR_EINVAL);
    ajwt_jws_sign_raw(&sig, &n, ajwt_test_pool, AJWT_ALG_PS256, rsa,
                      (const unsigned char *)"abc", 3, &err);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_RS256, rsa,
                                         (const unsigned char *)"abc", 3, sig,
                                         n, ajwt_test_pool, &err),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_PS384, rsa,
                                         (const unsigned char *)"abc", 3, sig,
                                         n, ajwt_test_pool, &err),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_PS256, rsa,
                                         (const unsigned char *)"abc", 3, sig,
                                         n, ajwt_test_pool, &err),
                     APR_SUCCESS);
}
END_TEST

START_TEST(test_ecdsa_signature_forms)
{
    ajwt_key_t *k = ajwt_test_key("P-256", 1, NULL);
    const char *input = apr_pstrcat(ajwt_test_pool, b64("{\"alg\":\"ES256\"}"),
                                    ".", b64(PAYLOAD), NULL);
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    unsigned char der[128], *raw;
    size_t derlen = sizeof(der);
    apr_size_t n;
    ajwt_err_t err;

    /* DER from OpenSSL directly: refused, whatever its length. */
    ck_assert_int_eq(
        EVP_DigestSignInit(mctx, NULL, EVP_sha256(), NULL, k->pkey), 1);
    ck_assert_int_eq(EVP_DigestSign(mctx, der, &derlen,
                                    (const unsigned char *)input,
                                    strlen(input)),
                     1);
    EVP_MD_CTX_free(mctx);
    ck_assert_int_eq(
        check(apr_pstrcat(ajwt_test_pool, input, ".",
                          ajwt_b64url_encode(ajwt_test_pool, der, derlen),
                          NULL),
              AJWT_ALG_ES256, keys1(k)),
        AJWT_E_SIGNATURE);
    /* Raw, then one byte short, one byte long, doubled. */
    ajwt_jws_sign_raw(&raw, &n, ajwt_test_pool, AJWT_ALG_ES256, k,
                      (const unsigned char *)input, strlen(input), &err);
    ck_assert_uint_eq(n, 64);
    ck_assert_int_eq(
        ajwt_jws_verify_raw(AJWT_ALG_ES256, k, (const unsigned char *)input,
                            strlen(input), raw, 64, ajwt_test_pool, &err),
        APR_SUCCESS);
    ck_assert_int_eq(
        ajwt_jws_verify_raw(AJWT_ALG_ES256, k, (const unsigned char *)input,
                            strlen(input), raw, 63, ajwt_test_pool, &err),
        APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_SIGNATURE);
    raw = apr_pmemdup(ajwt_test_pool, raw, 65);
    ck_assert_int_eq(
        ajwt_jws_verify_raw(AJWT_ALG_ES256, k, (const unsigned char *)input,
                            strlen(input), raw, 65, ajwt_test_pool, &err),
        APR_EINVAL);
    ck_assert_int_eq(
        ajwt_jws_verify_raw(AJWT_ALG_ES256, k, (const unsigned char *)input,
                            strlen(input), raw, 0, ajwt_test_pool, &err),
        APR_EINVAL);
}
END_TEST

START_TEST(test_hmac_truncated_tag)
{
    ajwt_key_t *k = secret_key(32, NULL);
    unsigned char *sig;
    apr_size_t n;

    ajwt_jws_sign_raw(&sig, &n, ajwt_test_pool, AJWT_ALG_HS256, k,
                      (const unsigned char *)"m", 1, NULL);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_HS256, k,
                                         (const unsigned char *)"m", 1, sig, 16,
                                         ajwt_test_pool, NULL),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_HS256, k,
                                         (const unsigned char *)"m", 1, sig, 0,
                                         ajwt_test_pool, NULL),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_verify_raw(AJWT_ALG_HS256, k,
                                         (const unsigned char *)"m", 1, sig, 32,
                                         ajwt_test_pool, NULL),
                     APR_SUCCESS);
}
END_TEST

/* Parse only; return the error code. */
static ajwt_code_e parse_code(const char *token, apr_size_t max)
{
    ajwt_jws_t *jws;
    ajwt_err_t err;

    ajwt_err_clear(&err);
    ajwt_jws_parse(&jws, ajwt_test_pool, token, max, &err);
    return err.code;
}

/* A token with the given header text and a dummy signature. */
static const char *with_header(const char *header)
{
    return apr_pstrcat(ajwt_test_pool, b64(header), ".", b64(PAYLOAD), ".c2ln",
                       NULL);
}

START_TEST(test_parse_structure)
{
    const char *h = b64("{\"alg\":\"HS256\"}");
    const char *p = b64(PAYLOAD);

    ck_assert_int_eq(parse_code(with_header("{\"alg\":\"HS256\"}"), 0),
                     AJWT_OK);
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, ".", p, NULL), 0),
        AJWT_E_MALFORMED); /* two segments */
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, ".", p, ".c2ln.c2ln", NULL),
                   0),
        AJWT_E_MALFORMED); /* four dots */
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, ".", p, ".c2ln.", NULL), 0),
        AJWT_E_MALFORMED);
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, ".", p, ".c2ln", NULL), 0),
        AJWT_E_MALFORMED); /* empty header */
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, "..c2ln", NULL), 0),
        AJWT_E_MALFORMED); /* empty payload */
    ck_assert_int_eq(parse_code("..", 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(parse_code("", 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, ".", p, ".", NULL), 0),
        AJWT_OK); /* empty signature parses... */
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, "=.", p, ".c2ln", NULL), 0),
        AJWT_E_MALFORMED); /* padding */
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, ".", p, ".c2ln ", NULL), 0),
        AJWT_E_MALFORMED); /* whitespace */
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, " ", h, ".", p, ".c2ln", NULL),
                   0),
        AJWT_E_MALFORMED);
    ck_assert_int_eq(
        parse_code(apr_pstrcat(ajwt_test_pool, h, ".", p, ".c2l+", NULL), 0),
        AJWT_E_MALFORMED); /* standard alphabet */
    ck_assert_int_eq(
        parse_code(
            apr_pstrcat(ajwt_test_pool, h, ".", b64("[1]"), ".c2ln", NULL), 0),
        AJWT_E_MALFORMED); /* payload not an object */
}
END_TEST

START_TEST(test_empty_signature_refused)
{
    ajwt_key_t *k = secret_key(32, NULL);
    const char *tok = apr_pstrcat(ajwt_test_pool, b64("{\"alg\":\"HS256\"}"),
                                  ".", b64(PAYLOAD), ".", NULL);

    ck_assert_int_eq(check(tok, AJWT_ALG_HS256, keys1(k)), AJWT_E_SIGNATURE);
    ck_assert_int_eq(
        check(tok, AJWT_ALG_ES256, keys1(ajwt_test_key("P-256", 0, NULL))),
        AJWT_E_ALG);
}
END_TEST

START_TEST(test_parse_header_rules)
{
    ck_assert_int_eq(parse_code(with_header("[\"alg\",\"HS256\"]"), 0),
                     AJWT_E_MALFORMED); /* header not an object */
    ck_assert_int_eq(parse_code(with_header("\"HS256\""), 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(parse_code(with_header("{}"), 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(parse_code(with_header("{\"alg\":null}"), 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(parse_code(with_header("{\"alg\":[\"HS256\"]}"), 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"none\",\"alg\":\"HS256\"}"), 0),
        AJWT_E_MALFORMED); /* duplicate */
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}"), 0),
        AJWT_E_HEADER);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"crit\":[]}"), 0),
        AJWT_E_HEADER);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"typ\":\"JOSE\"}"), 0),
        AJWT_E_HEADER);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"typ\":\"JWTX\"}"), 0),
        AJWT_E_HEADER);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"typ\":1}"), 0),
        AJWT_E_HEADER);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"typ\":\"at+JWT\"}"), 0),
        AJWT_OK);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"typ\":\"jwt\"}"), 0),
        AJWT_OK);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"kid\":7}"), 0),
        AJWT_E_MALFORMED);
    ck_assert_int_eq(
        parse_code(with_header("{\"alg\":\"HS256\",\"jku\":\"https://e/\","
                               "\"x5u\":\"https://e/\",\"jwk\":{}}"),
                   0),
        AJWT_OK); /* ignored */
}
END_TEST

START_TEST(test_size_limit)
{
    ajwt_key_t *k = secret_key(32, NULL);
    const char *tok =
        make_token("{\"alg\":\"HS256\"}", PAYLOAD, AJWT_ALG_HS256, k);
    apr_size_t len = strlen(tok);
    char *huge = apr_palloc(ajwt_test_pool, 100001);

    ck_assert_int_eq(parse_code(tok, len), AJWT_OK);
    ck_assert_int_eq(parse_code(tok, len - 1), AJWT_E_TOO_LARGE);
    /* Garbage over the limit: refused by size, before any decoding. */
    memset(huge, '!', 100000);
    huge[100000] = '\0';
    ck_assert_int_eq(parse_code(huge, 8192), AJWT_E_TOO_LARGE);
    ck_assert_int_eq(parse_code(huge, 0), AJWT_E_MALFORMED);
    memset(huge, 'A', 100000);
    huge[10] = '.';
    huge[20] = '.';
    ck_assert_int_eq(parse_code(huge, 8192), AJWT_E_TOO_LARGE);
}
END_TEST

START_TEST(test_kid_selection)
{
    ajwt_key_t *a = secret_key(32, "a");
    ajwt_key_t *b = secret_key(32, "b");
    ajwt_key_t *nokid = secret_key(32, NULL);
    const ajwt_key_t *sel;
    ajwt_err_t err;
    const char *tb = make_token("{\"alg\":\"HS256\",\"kid\":\"b\"}", PAYLOAD,
                                AJWT_ALG_HS256, b);
    const char *tc = make_token("{\"alg\":\"HS256\",\"kid\":\"c\"}", PAYLOAD,
                                AJWT_ALG_HS256, b);
    const char *t0 =
        make_token("{\"alg\":\"HS256\"}", PAYLOAD, AJWT_ALG_HS256, b);
    const char *tn = make_token("{\"alg\":\"HS256\",\"kid\":\"zzz\"}", PAYLOAD,
                                AJWT_ALG_HS256, nokid);

    ck_assert_int_eq(check(tb, AJWT_ALG_HS256, keys2(a, b)), AJWT_OK);
    ck_assert_int_eq(check(tc, AJWT_ALG_HS256, keys2(a, b)), AJWT_E_KID);
    ck_assert_int_eq(check(t0, AJWT_ALG_HS256, keys2(a, b)), AJWT_E_KID);
    ck_assert_int_eq(check(t0, AJWT_ALG_HS256, keys1(b)), AJWT_OK);
    ck_assert_int_eq(check(tc, AJWT_ALG_HS256, keys1(b)), AJWT_E_KID);
    /* Single key without kid: the token's kid is ignored. */
    ck_assert_int_eq(check(tn, AJWT_ALG_HS256, keys1(nokid)), AJWT_OK);
    /* ...but not when there are two keys. */
    ck_assert_int_eq(check(tn, AJWT_ALG_HS256, keys2(nokid, a)), AJWT_E_KID);
    /* The kid names the wrong key: signature fails. */
    ck_assert_int_eq(check(tb, AJWT_ALG_HS256, keys2(b, a)), AJWT_OK);
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys2(a, b), AJWT_ALG_HS256, "a", &err),
                     APR_SUCCESS);
    ck_assert_ptr_eq(sel, a);
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys2(a, b), AJWT_ALG_HS256, "A", &err),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_select_key(&sel,
                                         apr_array_make(ajwt_test_pool, 1,
                                                        sizeof(ajwt_key_t *)),
                                         AJWT_ALG_HS256, NULL, &err),
                     APR_EINVAL);
    ck_assert_ptr_null(sel);
}
END_TEST

START_TEST(test_kid_wrong_key_signature)
{
    ajwt_key_t *a = secret_key(32, "a");
    ajwt_key_t *b = secret_key(32, "b");
    /* Header names "a" but the token was signed with b. */
    const char *t = make_token("{\"alg\":\"HS256\",\"kid\":\"a\"}", PAYLOAD,
                               AJWT_ALG_HS256, b);

    ck_assert_int_eq(check(t, AJWT_ALG_HS256, keys2(a, b)), AJWT_E_SIGNATURE);
}
END_TEST

TCase *ajwt_jws_tcase(void)
{
    TCase *tc = tcase_create("jws");

    tcase_add_unchecked_fixture(tc, ajwt_test_keys_init, NULL);
    ajwt_test_add_fixture(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_sign_verify_all_algs, 0,
                        (int)(sizeof(alg_cases) / sizeof(alg_cases[0])));
    tcase_add_test(tc, test_sign_header_shape);
    tcase_add_test(tc, test_sign_refusals);
    tcase_add_test(tc, test_alg_none_and_case);
    tcase_add_test(tc, test_algorithm_confusion);
    tcase_add_test(tc, test_alg_key_mismatch);
    tcase_add_test(tc, test_pss_vs_pkcs1);
    tcase_add_test(tc, test_ecdsa_signature_forms);
    tcase_add_test(tc, test_hmac_truncated_tag);
    tcase_add_test(tc, test_parse_structure);
    tcase_add_test(tc, test_empty_signature_refused);
    tcase_add_test(tc, test_parse_header_rules);
    tcase_add_test(tc, test_size_limit);
    tcase_add_test(tc, test_kid_selection);
    tcase_add_test(tc, test_kid_wrong_key_signature);
    return tc;
}
