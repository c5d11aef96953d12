/* Licensed under the Apache License, Version 2.0. */

/*
 * Fixed vectors: RFC 7515 Appendix A, RFC 7520 §4, RFC 8037 Appendix A
 * (rfc/jws-vectors.json), and Project Wycheproof (the files under wycheproof/).
 * Keys given as JWK are converted by a small test-only converter
 * (OSSL_PARAM_BLD and EVP_PKEY_fromdata), written as PEM and loaded through
 * ajwt_key_from_pem, so the module's own loading policy applies.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "apr_strings.h"
#include "apr_tables.h"

#include <json-c/json.h>

#include "ajwt_b64url.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_jwk.h"
#include "test_common.h"

/* ------------------------------------------------------------------ */
/* Helpers: JSON access, hex, JWK                                       */

/* Member name of obj as a string, or NULL. */
static const char *jstr(json_object *obj, const char *name)
{
    json_object *v;

    if (!obj || !json_object_object_get_ex(obj, name, &v) ||
        !json_object_is_type(v, json_type_string)) {
        return NULL;
    }
    return json_object_get_string(v);
}

static json_object *jget(json_object *obj, const char *name)
{
    json_object *v = NULL;

    json_object_object_get_ex(obj, name, &v);
    return v;
}

static apr_status_t put_json(void *obj)
{
    json_object_put(obj);
    return APR_SUCCESS;
}

/* Parse a vector file with json-c (vendor data: not strict; json-c is used
 * by the tests only, the module has its own parser), released with the
 * test pool. */
static json_object *read_json(const char *relpath)
{
    apr_size_t len;
    const char *text = ajwt_test_read_vector(relpath, &len);
    json_object *obj = json_tokener_parse(text);

    ck_assert_msg(obj != NULL, "cannot parse %s", relpath);
    apr_pool_cleanup_register(ajwt_test_pool, obj, put_json,
                              apr_pool_cleanup_null);
    return obj;
}

static int hexval(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    return c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Decode hex into the test pool. */
static unsigned char *unhex(const char *hex, apr_size_t *plen)
{
    apr_size_t n = strlen(hex) / 2, i;
    unsigned char *out = apr_palloc(ajwt_test_pool, n + 1);

    ck_assert_msg(strlen(hex) % 2 == 0, "odd hex");
    for (i = 0; i < n; i++) {
        int hi = hexval(hex[2 * i]), lo = hexval(hex[2 * i + 1]);
        ck_assert(hi >= 0 && lo >= 0);
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    *plen = n;
    return out;
}

/* A JWK member decoded from base64url, or NULL when absent. */
static unsigned char *jwk_bytes(json_object *jwk, const char *name,
                                apr_size_t *plen)
{
    const char *s = jstr(jwk, name);
    unsigned char *d;

    if (!s) {
        return NULL;
    }
    ck_assert_msg(ajwt_b64url_decode(&d, plen, ajwt_test_pool, s, strlen(s)) ==
                      APR_SUCCESS,
                  "JWK member %s not base64url", name);
    return d;
}

/* Push a JWK member as a BIGNUM parameter; 1 if present. */
static int push_bn(OSSL_PARAM_BLD *bld, const char *key, json_object *jwk,
                   const char *name, BIGNUM **bns, int *nbn)
{
    apr_size_t n;
    unsigned char *d = jwk_bytes(jwk, name, &n);

    if (!d) {
        return 0;
    }
    bns[*nbn] = BN_bin2bn(d, (int)n, NULL);
    ck_assert(OSSL_PARAM_BLD_push_BN(bld, key, bns[*nbn]));
    (*nbn)++;
    return 1;
}

/* RSA or EC parameters of a JWK into bld. @return 1 if private. */
static int jwk_params(OSSL_PARAM_BLD *bld, json_object *jwk, BIGNUM **bns,
                      int *nbn)
{
    static const char *const rsa_priv[][2] = {
        {OSSL_PKEY_PARAM_RSA_D, "d"},
        {OSSL_PKEY_PARAM_RSA_FACTOR1, "p"},
        {OSSL_PKEY_PARAM_RSA_FACTOR2, "q"},
        {OSSL_PKEY_PARAM_RSA_EXPONENT1, "dp"},
        {OSSL_PKEY_PARAM_RSA_EXPONENT2, "dq"},
        {OSSL_PKEY_PARAM_RSA_COEFFICIENT1, "qi"}};
    apr_size_t xl, yl, i;
    unsigned char *x, *y, *pt;
    int priv = 0;

    if (!strcmp(jstr(jwk, "kty"), "RSA")) {
        push_bn(bld, OSSL_PKEY_PARAM_RSA_N, jwk, "n", bns, nbn);
        push_bn(bld, OSSL_PKEY_PARAM_RSA_E, jwk, "e", bns, nbn);
        for (i = 0; i < 6; i++) {
            priv |= push_bn(bld, rsa_priv[i][0], jwk, rsa_priv[i][1], bns, nbn);
        }
        return priv;
    }
    x = jwk_bytes(jwk, "x", &xl);
    y = jwk_bytes(jwk, "y", &yl);
    ck_assert(x && y && xl == yl);
    pt = apr_palloc(ajwt_test_pool, 1 + xl + yl);
    pt[0] = 0x04;
    memcpy(pt + 1, x, xl);
    memcpy(pt + 1 + xl, y, yl);
    ck_assert(OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                              jstr(jwk, "crv"), 0));
    ck_assert(OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                               1 + xl + yl));
    return push_bn(bld, OSSL_PKEY_PARAM_PRIV_KEY, jwk, "d", bns, nbn);
}

/* An EVP_PKEY from an RSA or EC JWK. *ppriv says whether it is private. */
static EVP_PKEY *jwk_to_pkey_fromdata(json_object *jwk, int *ppriv)
{
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(
        NULL, strcmp(jstr(jwk, "kty"), "RSA") ? "EC" : "RSA", NULL);
    BIGNUM *bns[8];
    OSSL_PARAM *params;
    EVP_PKEY *pkey = NULL;
    int nbn = 0, i;

    *ppriv = jwk_params(bld, jwk, bns, &nbn);
    params = OSSL_PARAM_BLD_to_param(bld);
    ck_assert(params && ctx && EVP_PKEY_fromdata_init(ctx) == 1);
    ck_assert(EVP_PKEY_fromdata(ctx, &pkey,
                                *ppriv ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                                params) == 1);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    for (i = 0; i < nbn; i++) {
        BN_clear_free(bns[i]);
    }
    return pkey;
}

/* An EVP_PKEY from an OKP (Ed25519) JWK. */
static EVP_PKEY *jwk_to_pkey_okp(json_object *jwk, int *ppriv)
{
    apr_size_t n;
    unsigned char *d = jwk_bytes(jwk, "d", &n);

    ck_assert_str_eq(jstr(jwk, "crv"), "Ed25519");
    *ppriv = d != NULL;
    if (d) {
        return EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, d, n);
    }
    d = jwk_bytes(jwk, "x", &n);
    return EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, d, n);
}

/**
 * Convert a JWK (oct, RSA, EC, OKP) into an ajwt key through PEM and
 * ajwt_key_from_pem (or ajwt_key_from_secret). public_only drops the
 * private part. @return the key, or NULL when the module's policy refuses
 * it (err says why).
 */
static ajwt_key_t *jwk_to_key(json_object *jwk, int public_only,
                              ajwt_err_t *err)
{
    const char *kty = jstr(jwk, "kty"), *kid = jstr(jwk, "kid");
    ajwt_key_t *key = NULL;
    EVP_PKEY *pkey;
    BIO *bio;
    char *pem;
    long n;
    int priv;
    apr_size_t klen;
    unsigned char *k;

    ck_assert_ptr_nonnull(kty);
    if (!strcmp(kty, "oct")) {
        k = jwk_bytes(jwk, "k", &klen);
        ajwt_key_from_secret(&key, ajwt_test_pool, k, klen, kid, err);
        return key;
    }
    pkey = strcmp(kty, "OKP") ? jwk_to_pkey_fromdata(jwk, &priv)
                              : jwk_to_pkey_okp(jwk, &priv);
    ck_assert_ptr_nonnull(pkey);
    priv = priv && !public_only;
    bio = BIO_new(BIO_s_mem());
    ck_assert(
        priv ? PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL)
             : PEM_write_bio_PUBKEY(bio, pkey));
    n = BIO_get_mem_data(bio, &pem);
    if (ajwt_key_from_pem(&key, ajwt_test_pool, pem, (apr_size_t)n, priv, kid,
                          err) != APR_SUCCESS) {
        key = NULL;
    }
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    return key;
}

static apr_array_header_t *keys1(const ajwt_key_t *k)
{
    apr_array_header_t *a =
        apr_array_make(ajwt_test_pool, 1, sizeof(const ajwt_key_t *));
    APR_ARRAY_PUSH(a, const ajwt_key_t *) = k;
    return a;
}

/* A compact token split at its last dot: signing input and signature. */
typedef struct {
    const char *input;
    apr_size_t input_len;
    unsigned char *sig;
    apr_size_t sig_len;
    int ok; /* signature segment is canonical base64url */
} split_t;

static split_t split_token(const char *tok)
{
    split_t s;
    const char *dot = strrchr(tok, '.');

    memset(&s, 0, sizeof(s));
    ck_assert_ptr_nonnull(dot);
    s.input = tok;
    s.input_len = (apr_size_t)(dot - tok);
    s.ok = ajwt_b64url_decode(&s.sig, &s.sig_len, ajwt_test_pool, dot + 1,
                              strlen(dot + 1)) == APR_SUCCESS;
    return s;
}

/* ------------------------------------------------------------------ */
/* RFC vectors                                                          */

static json_object *rfc_vector(const char *id)
{
    json_object *all = jget(read_json("rfc/jws-vectors.json"), "vectors");
    apr_size_t i;

    for (i = 0; i < json_object_array_length(all); i++) {
        json_object *v = json_object_array_get_idx(all, i);
        if (!strcmp(jstr(v, "id"), id)) {
            return v;
        }
    }
    ck_abort_msg("no vector %s", id);
    return NULL;
}

/* Does the payload of tok decode to a JSON object? */
static int payload_is_object(const char *tok)
{
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    unsigned char *pl;
    apr_size_t n;
    const ajwt_json_t *o;

    return d2 &&
           ajwt_b64url_decode(&pl, &n, ajwt_test_pool, d1 + 1,
                              (apr_size_t)(d2 - d1 - 1)) == APR_SUCCESS &&
           ajwt_json_parse_object(&o, ajwt_test_pool, (const char *)pl, n,
                                  NULL) == APR_SUCCESS;
}

static const char *const rfc_ids[] = {"V1", "V2", "V3", "V4", "V6",
                                      "V7", "V8", "V9", "V10"};

/* Deterministic algorithms: re-signing must reproduce the token. */
static int deterministic(ajwt_alg_e alg)
{
    return (alg >= AJWT_ALG_HS256 && alg <= AJWT_ALG_RS512) ||
           alg == AJWT_ALG_EDDSA;
}

START_TEST(test_rfc_vector)
{
    json_object *v = rfc_vector(rfc_ids[_i]);
    const char *tok = jstr(v, "token");
    ajwt_alg_e alg = ajwt_alg_from_name(jstr(v, "alg"));
    ajwt_key_t *key, *pub;
    split_t s = split_token(tok);
    unsigned char *sig;
    apr_size_t n;
    ajwt_jws_t *jws;
    ajwt_err_t err;

    ck_assert_int_ne(alg, AJWT_ALG_UNKNOWN);
    key = jwk_to_key(jget(v, "jwk"), 0, &err);
    pub = jwk_to_key(jget(v, "jwk"), 1, &err);
    ck_assert_msg(key && pub, "%s: key refused: %s", rfc_ids[_i], err.text);
    ck_assert(s.ok);
    /* Verified with the private key and with the public key alone. */
    ck_assert_msg(ajwt_jws_verify_raw(alg, key, (const unsigned char *)s.input,
                                      s.input_len, s.sig, s.sig_len,
                                      ajwt_test_pool, &err) == APR_SUCCESS,
                  "%s: %s", rfc_ids[_i], err.text);
    ck_assert_int_eq(ajwt_jws_verify_raw(
                         alg, pub, (const unsigned char *)s.input, s.input_len,
                         s.sig, s.sig_len, ajwt_test_pool, &err),
                     APR_SUCCESS);
    /* The whole-token path: only JSON-object payloads are JWTs. */
    if (payload_is_object(tok)) {
        ck_assert_int_eq(ajwt_jws_parse(&jws, ajwt_test_pool, tok, 8192, &err),
                         APR_SUCCESS);
        ck_assert_msg(ajwt_jws_verify(jws, ajwt_test_pool, alg, keys1(pub),
                                      &err) == APR_SUCCESS,
                      "%s: %s", rfc_ids[_i], err.text);
    }
    else {
        ck_assert_int_eq(ajwt_jws_parse(&jws, ajwt_test_pool, tok, 8192, &err),
                         APR_EINVAL);
        ck_assert_int_eq(err.code, AJWT_E_MALFORMED);
    }
    /* Re-signed: byte for byte when deterministic, else verifiable. */
    ck_assert_int_eq(ajwt_jws_sign_raw(&sig, &n, ajwt_test_pool, alg, key,
                                       (const unsigned char *)s.input,
                                       s.input_len, &err),
                     APR_SUCCESS);
    if (deterministic(alg)) {
        ck_assert_str_eq(
            apr_pstrcat(ajwt_test_pool,
                        apr_pstrmemdup(ajwt_test_pool, s.input, s.input_len),
                        ".", ajwt_b64url_encode(ajwt_test_pool, sig, n), NULL),
            tok);
    }
    ck_assert_int_eq(
        ajwt_jws_verify_raw(alg, pub, (const unsigned char *)s.input,
                            s.input_len, sig, n, ajwt_test_pool, &err),
        APR_SUCCESS);
    /* One bit off: refused. */
    s.sig[s.sig_len / 2] ^= 0x01;
    ck_assert_int_eq(ajwt_jws_verify_raw(
                         alg, pub, (const unsigned char *)s.input, s.input_len,
                         s.sig, s.sig_len, ajwt_test_pool, &err),
                     APR_EINVAL);
}
END_TEST

START_TEST(test_rfc_v5_none_refused)
{
    json_object *v = rfc_vector("V5");
    const char *tok = jstr(v, "token");
    json_object *v1 = rfc_vector("V1");
    ajwt_key_t *hs = jwk_to_key(jget(v1, "jwk"), 0, NULL);
    ajwt_jws_t *jws;
    ajwt_err_t err;
    int a;

    ck_assert_int_eq(ajwt_alg_from_name(jstr(v, "alg")), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_jws_parse(&jws, ajwt_test_pool, tok, 8192, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(jws->alg, "none");
    for (a = AJWT_ALG_UNKNOWN; a <= AJWT_ALG_EDDSA; a++) {
        ck_assert_int_eq(
            ajwt_jws_verify(jws, ajwt_test_pool, a, keys1(hs), &err),
            APR_EINVAL);
        ck_assert_int_eq(err.code, AJWT_E_ALG);
    }
}
END_TEST

/* V3 has a high-S signature; V1 re-signed through ajwt_jws_verify. */
START_TEST(test_rfc_v3_high_s)
{
    json_object *v = rfc_vector("V3");
    split_t s = split_token(jstr(v, "token"));
    ajwt_key_t *pub = jwk_to_key(jget(v, "jwk"), 1, NULL);
    BIGNUM *sv = BN_bin2bn(s.sig + 32, 32, NULL);
    BIGNUM *half = NULL;

    /* n/2 of P-256, rounded down. */
    BN_hex2bn(&half,
              "7FFFFFFF800000007FFFFFFFFFFFFFFFDE737D56D38BCF4279DCE5617E"
              "3192A8");
    ck_assert_int_gt(BN_cmp(sv, half), 0);
    BN_free(sv);
    BN_free(half);
    ck_assert_int_eq(ajwt_jws_verify_raw(
                         AJWT_ALG_ES256, pub, (const unsigned char *)s.input,
                         s.input_len, s.sig, s.sig_len, ajwt_test_pool, NULL),
                     APR_SUCCESS);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Wycheproof: primitive files                                          */

typedef enum { WP_HMAC, WP_PEM } wp_kind_e;

typedef struct {
    const char *file;
    wp_kind_e kind;
    ajwt_alg_e alg;
} wp_file_t;

static const wp_file_t wp_files[] = {
    {"hmac_sha256_test.json", WP_HMAC, AJWT_ALG_HS256},
    {"hmac_sha384_test.json", WP_HMAC, AJWT_ALG_HS384},
    {"hmac_sha512_test.json", WP_HMAC, AJWT_ALG_HS512},
    {"rsa_signature_2048_sha256_test.json", WP_PEM, AJWT_ALG_RS256},
    {"rsa_signature_3072_sha384_test.json", WP_PEM, AJWT_ALG_RS384},
    {"rsa_signature_4096_sha512_test.json", WP_PEM, AJWT_ALG_RS512},
    {"rsa_pss_2048_sha256_mgf1_32_test.json", WP_PEM, AJWT_ALG_PS256},
    {"rsa_pss_2048_sha384_mgf1_48_test.json", WP_PEM, AJWT_ALG_PS384},
    {"rsa_pss_4096_sha512_mgf1_64_test.json", WP_PEM, AJWT_ALG_PS512},
    {"ecdsa_secp256r1_sha256_p1363_test.json", WP_PEM, AJWT_ALG_ES256},
    {"ecdsa_secp384r1_sha384_p1363_test.json", WP_PEM, AJWT_ALG_ES384},
    {"ecdsa_secp521r1_sha512_p1363_test.json", WP_PEM, AJWT_ALG_ES512},
    {"ed25519_test.json", WP_PEM, AJWT_ALG_EDDSA},
};

typedef struct {
    int cases, mismatches, acceptable, policy, skipped;
} wp_count_t;

/**
 * Record one outcome. policy: a "valid" case the module refuses on purpose
 * (short HMAC key, truncated tag, small RSA key): refusal expected.
 */
static void wp_record(wp_count_t *c, const char *file, json_object *t,
                      int accepted, int policy)
{
    const char *result = jstr(t, "result");

    c->cases++;
    if (!strcmp(result, "acceptable")) {
        c->acceptable++;
        return;
    }
    if (policy && !strcmp(result, "valid")) {
        c->policy++;
        if (accepted) {
            c->mismatches++;
        }
        return;
    }
    if (accepted != !strcmp(result, "valid")) {
        c->mismatches++;
        fprintf(stderr, "wycheproof %s: tcId %d (%s) %s\n", file,
                json_object_get_int(jget(t, "tcId")), jstr(t, "comment"),
                accepted ? "accepted" : "refused");
    }
}

/* The key of one Wycheproof group, or NULL when policy refuses it. */
static ajwt_key_t *wp_group_key(const wp_file_t *f, json_object *g,
                                json_object *t, int *ppolicy)
{
    ajwt_key_t *key = NULL;
    apr_size_t n;
    unsigned char *raw;
    const char *pem;

    *ppolicy = 0;
    if (f->kind == WP_HMAC) {
        raw = unhex(jstr(t, "key"), &n);
        ajwt_key_from_secret(&key, ajwt_test_pool, raw, n, NULL, NULL);
        *ppolicy = n < ajwt_alg_hash_len(f->alg) ||
                   json_object_get_int(jget(g, "tagSize")) / 8 !=
                       (int)ajwt_alg_hash_len(f->alg);
        return key;
    }
    pem = jstr(g, "publicKeyPem");
    ck_assert_ptr_nonnull(pem);
    if (ajwt_key_from_pem(&key, ajwt_test_pool, pem, strlen(pem), 0, NULL,
                          NULL) != APR_SUCCESS) {
        *ppolicy = 1;
        return NULL;
    }
    return key;
}

/* PSS groups must use salt = hash length and MGF1 with the same hash. */
static int wp_group_in_scope(const wp_file_t *f, json_object *g)
{
    const char *mgf_sha = jstr(g, "mgfSha");

    if (f->alg < AJWT_ALG_PS256 || f->alg > AJWT_ALG_PS512) {
        return 1;
    }
    return json_object_get_int(jget(g, "sLen")) ==
               (int)ajwt_alg_hash_len(f->alg) &&
           mgf_sha && !strcmp(mgf_sha, jstr(g, "sha"));
}

START_TEST(test_wycheproof_file)
{
    const wp_file_t *f = &wp_files[_i];
    json_object *doc =
        read_json(apr_pstrcat(ajwt_test_pool, "wycheproof/", f->file, NULL));
    json_object *groups = jget(doc, "testGroups");
    wp_count_t c = {0, 0, 0, 0, 0};
    apr_size_t gi, ti;

    for (gi = 0; gi < json_object_array_length(groups); gi++) {
        json_object *g = json_object_array_get_idx(groups, gi);
        json_object *tests = jget(g, "tests");
        for (ti = 0; ti < json_object_array_length(tests); ti++) {
            json_object *t = json_object_array_get_idx(tests, ti);
            apr_size_t mlen, slen;
            unsigned char *msg = unhex(jstr(t, "msg"), &mlen);
            unsigned char *sig =
                unhex(jstr(t, f->kind == WP_HMAC ? "tag" : "sig"), &slen);
            int policy;
            ajwt_key_t *key = wp_group_key(f, g, t, &policy);
            if (!wp_group_in_scope(f, g)) {
                c.skipped++;
                continue;
            }
            wp_record(&c, f->file, t,
                      key && ajwt_jws_verify_raw(f->alg, key, msg, mlen, sig,
                                                 slen, ajwt_test_pool,
                                                 NULL) == APR_SUCCESS,
                      policy);
        }
    }
    printf("wycheproof %s: %d cases, %d mismatches (%d acceptable, %d valid "
           "refused by policy, %d skipped)\n",
           f->file, c.cases, c.mismatches, c.acceptable, c.policy, c.skipped);
    ck_assert_int_eq(c.mismatches, 0);
    ck_assert_int_gt(c.cases, 100);
}
END_TEST

/* ------------------------------------------------------------------ */
/* Wycheproof: whole JWS tokens                                         */

/* Test-side JWK import policy: "use" must be "sig", "key_ops" must allow
 * "verify". */
static int jwk_usable(json_object *jwk)
{
    const char *use = jstr(jwk, "use");
    json_object *ops = jget(jwk, "key_ops");
    apr_size_t i;

    if (use && strcmp(use, "sig")) {
        return 0;
    }
    if (!ops) {
        return 1;
    }
    for (i = 0; i < json_object_array_length(ops); i++) {
        const char *op =
            json_object_get_string(json_object_array_get_idx(ops, i));
        if (op && !strcmp(op, "verify")) {
            return 1;
        }
    }
    return 0;
}

/* The algorithm a JWK is configured for: its "alg", else by key type. */
static ajwt_alg_e jwk_alg(json_object *jwk)
{
    ajwt_alg_e alg = ajwt_alg_from_name(jstr(jwk, "alg"));
    const char *kty = jstr(jwk, "kty"), *crv = jstr(jwk, "crv");

    if (alg != AJWT_ALG_UNKNOWN) {
        return alg;
    }
    if (!strcmp(kty, "EC")) {
        return !strcmp(crv, "P-256")   ? AJWT_ALG_ES256
               : !strcmp(crv, "P-384") ? AJWT_ALG_ES384
                                       : AJWT_ALG_ES512;
    }
    if (!strcmp(kty, "OKP")) {
        return AJWT_ALG_EDDSA;
    }
    return !strcmp(kty, "RSA") ? AJWT_ALG_RS256 : AJWT_ALG_HS256;
}

/**
 * The signature alone, for tokens the JWT parser refuses only because the
 * payload is not a JSON object: strict split, header alg equal to the
 * configured one, verify_raw. @return 1 if the signature is accepted.
 */
static int jws_signature_only(const char *tok, ajwt_alg_e alg,
                              const ajwt_key_t *key)
{
    const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    unsigned char *h, *pl;
    apr_size_t hl, pll;
    const ajwt_json_t *hdr;
    const char *alg_name;
    split_t s;

    if (!d2 || strchr(d2 + 1, '.') ||
        ajwt_b64url_decode(&h, &hl, ajwt_test_pool, tok,
                           (apr_size_t)(d1 - tok)) != APR_SUCCESS ||
        ajwt_b64url_decode(&pl, &pll, ajwt_test_pool, d1 + 1,
                           (apr_size_t)(d2 - d1 - 1)) != APR_SUCCESS ||
        ajwt_json_parse_object(&hdr, ajwt_test_pool, (const char *)h, hl,
                               NULL) != APR_SUCCESS ||
        !(alg_name = ajwt_json_string(ajwt_json_get(hdr, "alg"), NULL)) ||
        strcmp(alg_name, ajwt_alg_name(alg)) || ajwt_json_get(hdr, "crit")) {
        return 0;
    }
    s = split_token(tok);
    return s.ok && ajwt_jws_verify_raw(alg, key, (const unsigned char *)s.input,
                                       s.input_len, s.sig, s.sig_len,
                                       ajwt_test_pool, NULL) == APR_SUCCESS;
}

/* Run one whole-token case; counts into c. */
static void jws_case(wp_count_t *c, int *pnon_object, json_object *t,
                     ajwt_alg_e alg, const ajwt_key_t *key)
{
    static const char *const file = "json_web_signature_test.json";
    json_object *jws_v = jget(t, "jws");
    int id = json_object_get_int(jget(t, "tcId"));
    const char *tok;
    ajwt_jws_t *jws;
    int accepted;

    if (id == 367 || id == 370) { /* labelled invalid, identical to valid */
        c->skipped++;
        return;
    }
    if (!json_object_is_type(jws_v, json_type_string)) {
        wp_record(c, file, t, 0, 0); /* JSON serialisation: not compact */
        return;
    }
    tok = json_object_get_string(jws_v);
    accepted =
        key &&
        ajwt_jws_parse(&jws, ajwt_test_pool, tok, 0, NULL) == APR_SUCCESS &&
        ajwt_jws_verify(jws, ajwt_test_pool, alg, keys1(key), NULL) ==
            APR_SUCCESS;
    if (key && !payload_is_object(tok)) {
        /* A JWT needs a JSON object payload, so the whole-token path
         * refuses these; judge the rest (structure, alg, signature) alone. */
        ck_assert(!accepted);
        (*pnon_object)++;
        accepted = jws_signature_only(tok, alg, key);
    }
    /* 372/373: a '?' inside a segment, labelled valid: strictly refused. */
    wp_record(c, file, t, accepted, id == 372 || id == 373 || !key);
}

START_TEST(test_wycheproof_jws)
{
    json_object *doc = read_json("wycheproof/json_web_signature_test.json");
    json_object *groups = jget(doc, "testGroups");
    wp_count_t c = {0, 0, 0, 0, 0};
    int non_object = 0, keys_refused = 0;
    apr_size_t gi, ti;

    for (gi = 0; gi < json_object_array_length(groups); gi++) {
        json_object *g = json_object_array_get_idx(groups, gi);
        json_object *jwk =
            jget(g, "public") ? jget(g, "public") : jget(g, "private");
        json_object *tests = jget(g, "tests");
        ajwt_key_t *key = jwk_usable(jwk) ? jwk_to_key(jwk, 1, NULL) : NULL;
        ajwt_alg_e alg = jwk_alg(jwk);

        /* RFC 7520 §4.2 (Figure 20) is PS384; the file's JWK says PS256. */
        if (!strncmp(jstr(g, "comment"), "rfc7520", 7) &&
            alg == AJWT_ALG_PS256) {
            alg = AJWT_ALG_PS384;
        }
        keys_refused += key == NULL;
        for (ti = 0; ti < json_object_array_length(tests); ti++) {
            jws_case(&c, &non_object, json_object_array_get_idx(tests, ti), alg,
                     key);
        }
    }
    printf(
        "wycheproof json_web_signature_test.json: %d cases, %d mismatches "
        "(%d acceptable, %d valid refused by policy, %d skipped; %d "
        "non-object payloads judged without the payload check; %d group keys "
        "refused)\n",
        c.cases, c.mismatches, c.acceptable, c.policy, c.skipped, non_object,
        keys_refused);
    ck_assert_int_eq(c.mismatches, 0);
    ck_assert_int_eq(c.skipped, 2);
}
END_TEST

/* The RFC keys read as a JWK Set (private members ignored): each verifies
 * its token, and its RFC 7638 thumbprint matches an independent
 * implementation (python3-jwcrypto; V10's is the one RFC 8037 A.3 gives). */
static const char *const jwk_ids[][2] = {
    {"V2", "IsUn6_e04MaShXFIISMp4kG62LWzMIPy_MvSA5pJgX8"},
    {"V3", "oKIywvGUpTVTyxMQ3bwIIeQUudfr_CkLMjCE19ECD-U"},
    {"V4", "u5YUSjQ2-2chBi51NSk3t3g7IM4o2KYcnPqPtCNGd3U"},
    {"V6", "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"},
    {"V7", "9jg46WB3rR_AHD-EBXdN7cBkH1WOu0tA3M9fm21mqTI"},
    {"V8", "dHri3SADZkrush5HU_50AoRhcKFryN-PI6jPBtPL55M"},
    {"V10", "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"},
};

START_TEST(test_rfc_jwk_set)
{
    json_object *v = rfc_vector(jwk_ids[_i][0]);
    ajwt_alg_e alg = ajwt_alg_from_name(jstr(v, "alg"));
    const char *set = apr_pstrcat(
        ajwt_test_pool, "{\"keys\":[",
        json_object_to_json_string_ext(jget(v, "jwk"), JSON_C_TO_STRING_PLAIN),
        "]}", NULL);
    split_t s = split_token(jstr(v, "token"));
    apr_array_header_t *keys, *again;
    const ajwt_key_t *key;
    const char *pub;
    ajwt_err_t err;
    int skipped;

    ck_assert_msg(ajwt_jwk_parse_set(&keys, &skipped, ajwt_test_pool, set,
                                     strlen(set), &err) == APR_SUCCESS,
                  "%s: %s", jwk_ids[_i][0], err.text);
    ck_assert_int_eq(keys->nelts, 1);
    ck_assert_int_eq(skipped, 0);
    key = APR_ARRAY_IDX(keys, 0, const ajwt_key_t *);
    ck_assert_int_eq(key->is_private, 0);
    ck_assert_int_eq(key->optional, 1);
    ck_assert_int_eq(ajwt_jws_verify_raw(alg, key,
                                         (const unsigned char *)s.input,
                                         s.input_len, s.sig, s.sig_len,
                                         ajwt_test_pool, &err),
                     APR_SUCCESS);
    ck_assert_str_eq(ajwt_jwk_thumbprint(ajwt_test_pool, key), jwk_ids[_i][1]);
    /* Published and read back: the same key, and nothing private. */
    pub = ajwt_jwk_public_set(ajwt_test_pool, keys, alg);
    ck_assert_ptr_null(strstr(pub, "\"d\""));
    ck_assert_ptr_null(strstr(pub, "\"p\""));
    ck_assert_ptr_nonnull(strstr(pub, "\"use\":\"sig\""));
    ck_assert_int_eq(ajwt_jwk_parse_set(&again, &skipped, ajwt_test_pool, pub,
                                        strlen(pub), &err),
                     APR_SUCCESS);
    ck_assert_int_eq(again->nelts, 1);
    ck_assert(ajwt_key_same(key, APR_ARRAY_IDX(again, 0, const ajwt_key_t *)));
    ck_assert_int_eq(APR_ARRAY_IDX(again, 0, const ajwt_key_t *)->alg, alg);
}
END_TEST

TCase *ajwt_vectors_tcase(void)
{
    TCase *tc = tcase_create("vectors");

    ajwt_test_add_fixture(tc);
    tcase_set_timeout(tc, 300);
    tcase_add_loop_test(tc, test_rfc_vector, 0,
                        (int)(sizeof(rfc_ids) / sizeof(rfc_ids[0])));
    tcase_add_test(tc, test_rfc_v5_none_refused);
    tcase_add_test(tc, test_rfc_v3_high_s);
    tcase_add_loop_test(tc, test_rfc_jwk_set, 0,
                        (int)(sizeof(jwk_ids) / sizeof(jwk_ids[0])));
    tcase_add_loop_test(tc, test_wycheproof_file, 0,
                        (int)(sizeof(wp_files) / sizeof(wp_files[0])));
    tcase_add_test(tc, test_wycheproof_jws);
    return tc;
}
