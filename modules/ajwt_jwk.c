/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_jwk.c: JWK Set input and public JWK output (see ajwt_jwk.h).
 * Input goes through the strict JSON parser and the strict base64url
 * decoder; keys are built with OpenSSL's EVP_PKEY_fromdata and checked with
 * EVP_PKEY_public_check before they are classified by the same policy as
 * PEM keys. Output is written as text: every member but "kid" is a fixed
 * name or base64url, and "kid" is escaped.
 * Pure layer: APR and OpenSSL only.
 */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "apr_strings.h"

#include "ajwt_b64url.h"
#include "ajwt_json.h"
#include "ajwt_jwk.h"

/* ------------------------------------------------------------------------ */
/* reading                                                                    */

/**
 * A string member of a JWK: *pval is NULL when absent.
 * @return 0, or -1 when present but not a string.
 */
static int jwk_string(const char **pval, const ajwt_json_t *jwk,
                      const char *name)
{
    const ajwt_json_t *v = ajwt_json_get(jwk, name);

    *pval = NULL;
    if (!v) {
        return 0;
    }
    if (!(*pval = ajwt_json_string(v, NULL))) {
        return -1;
    }
    return 0;
}

/** Does the "key_ops" member, when present, allow "verify"? -1: malformed. */
static int jwk_ops_verify(const ajwt_json_t *jwk)
{
    const ajwt_json_t *ops = ajwt_json_get(jwk, "key_ops");
    apr_size_t i, n;

    if (!ops) {
        return 1;
    }
    if (!ajwt_json_is(ops, AJWT_JSON_ARRAY)) {
        return -1;
    }
    n = ajwt_json_count(ops);
    for (i = 0; i < n; i++) {
        const char *op = ajwt_json_string(ajwt_json_item(ops, i), NULL);
        if (!op) {
            return -1;
        }
        if (!strcmp(op, "verify")) {
            return 1;
        }
    }
    return 0;
}

/**
 * A required base64url member, decoded; with want > 0 it must decode to
 * exactly want bytes. @return APR_SUCCESS or APR_EINVAL with err set.
 */
static apr_status_t jwk_bytes(unsigned char **pdata, apr_size_t *plen,
                              apr_pool_t *p, const ajwt_json_t *jwk,
                              const char *name, apr_size_t want,
                              ajwt_err_t *err)
{
    const char *s;

    if (jwk_string(&s, jwk, name) < 0 || !s || !*s) {
        return ajwt_err_set(err, AJWT_E_KEY, "\"%s\" missing or not a string",
                            name);
    }
    if (ajwt_b64url_decode(pdata, plen, p, s, strlen(s)) != APR_SUCCESS) {
        return ajwt_err_set(err, AJWT_E_KEY, "\"%s\" is not base64url", name);
    }
    if (want && *plen != want) {
        return ajwt_err_set(err, AJWT_E_KEY,
                            "\"%s\" is %" APR_SIZE_T_FMT " bytes, not %"
                            APR_SIZE_T_FMT, name, *plen, want);
    }
    return APR_SUCCESS;
}

/** Build a public EVP_PKEY of type from params; NULL on failure. */
static EVP_PKEY *pkey_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
    OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
    EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL)
                               : NULL;
    EVP_PKEY_CTX *check = NULL;
    EVP_PKEY *pkey = NULL;

    if (ctx && EVP_PKEY_fromdata_init(ctx) > 0 &&
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) > 0) {
        check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        if (!check || EVP_PKEY_public_check(check) <= 0) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
    }
    EVP_PKEY_CTX_free(check);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    return pkey;
}

static EVP_PKEY *rsa_pkey(apr_pool_t *p, const ajwt_json_t *jwk, ajwt_err_t *err)
{
    unsigned char *n, *e;
    apr_size_t nlen, elen;
    BIGNUM *bn = NULL, *be = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    EVP_PKEY *pkey = NULL;

    if (jwk_bytes(&n, &nlen, p, jwk, "n", 0, err) != APR_SUCCESS ||
        jwk_bytes(&e, &elen, p, jwk, "e", 0, err) != APR_SUCCESS) {
        return NULL;
    }
    if (nlen > 2048 || elen > 8) { /* 16384-bit modulus, 64-bit exponent */
        ajwt_err_set(err, AJWT_E_KEY, "RSA parameters too large");
        return NULL;
    }
    bn = BN_bin2bn(n, (int)nlen, NULL);
    be = BN_bin2bn(e, (int)elen, NULL);
    bld = OSSL_PARAM_BLD_new();
    if (bn && be && bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn)
        && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be)) {
        pkey = pkey_fromdata("RSA", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    BN_free(bn);
    BN_free(be);
    if (!pkey) {
        ajwt_err_set(err, AJWT_E_KEY, "not a valid RSA public key");
    }
    return pkey;
}

/** The OpenSSL group and coordinate size of a JWK "crv" (EC), or NULL. */
static const char *ec_group(const char *crv, apr_size_t *pcoord)
{
    if (!strcmp(crv, "P-256")) {
        *pcoord = 32;
        return "prime256v1";
    }
    if (!strcmp(crv, "P-384")) {
        *pcoord = 48;
        return "secp384r1";
    }
    if (!strcmp(crv, "P-521")) {
        *pcoord = 66;
        return "secp521r1";
    }
    return NULL;
}

static EVP_PKEY *ec_pkey(apr_pool_t *p, const ajwt_json_t *jwk, const char *group,
                         apr_size_t coord, ajwt_err_t *err)
{
    unsigned char *x, *y, *pt;
    apr_size_t xlen, ylen;
    OSSL_PARAM_BLD *bld;
    EVP_PKEY *pkey = NULL;

    if (jwk_bytes(&x, &xlen, p, jwk, "x", coord, err) != APR_SUCCESS ||
        jwk_bytes(&y, &ylen, p, jwk, "y", coord, err) != APR_SUCCESS) {
        return NULL;
    }
    pt = apr_palloc(p, 1 + 2 * coord); /* uncompressed point: 04 || x || y */
    pt[0] = 0x04;
    memcpy(pt + 1, x, coord);
    memcpy(pt + 1 + coord, y, coord);
    bld = OSSL_PARAM_BLD_new();
    if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
                                               group, 0)
        && OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pt,
                                            1 + 2 * coord)) {
        pkey = pkey_fromdata("EC", bld);
    }
    OSSL_PARAM_BLD_free(bld);
    if (!pkey) {
        ajwt_err_set(err, AJWT_E_KEY, "not a point on %s", group);
    }
    return pkey;
}

static EVP_PKEY *okp_pkey(apr_pool_t *p, const ajwt_json_t *jwk, ajwt_err_t *err)
{
    unsigned char *x;
    apr_size_t xlen;
    EVP_PKEY *pkey;

    if (jwk_bytes(&x, &xlen, p, jwk, "x", 32, err) != APR_SUCCESS) {
        return NULL;
    }
    pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, x, xlen);
    if (!pkey) {
        ajwt_err_set(err, AJWT_E_KEY, "not a valid Ed25519 public key");
    }
    return pkey;
}

/**
 * Does a JWK of kty (with crv) suit the JWS algorithm alg? RFC 7518 ties
 * every algorithm to one key type (and ES* to one curve).
 */
static int alg_suits(ajwt_alg_e alg, const char *kty, const char *crv)
{
    switch (ajwt_alg_kty(alg)) {
    case AJWT_KTY_OCT:
        return !strcmp(kty, "oct");
    case AJWT_KTY_RSA:
        return !strcmp(kty, "RSA");
    case AJWT_KTY_EC:
        return !strcmp(kty, "EC") && crv &&
               ((alg == AJWT_ALG_ES256 && !strcmp(crv, "P-256")) ||
                (alg == AJWT_ALG_ES384 && !strcmp(crv, "P-384")) ||
                (alg == AJWT_ALG_ES512 && !strcmp(crv, "P-521")));
    case AJWT_KTY_OKP:
        return !strcmp(kty, "OKP") && crv && !strcmp(crv, "Ed25519");
    }
    return 0;
}

/**
 * One JWK of a set. *pkey stays NULL, with APR_SUCCESS, when the key is
 * to be passed over (see ajwt_jwk_parse_set).
 */
static apr_status_t jwk_import(ajwt_key_t **pkey, apr_pool_t *p,
                               const ajwt_json_t *jwk, ajwt_err_t *err)
{
    const char *kty, *kid, *use, *alg_name, *crv;
    ajwt_alg_e alg = AJWT_ALG_UNKNOWN;
    apr_size_t coord = 0;
    const char *group = NULL;
    EVP_PKEY *evp = NULL;
    int ops;

    *pkey = NULL;
    if (!ajwt_json_is(jwk, AJWT_JSON_OBJECT)) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "not a JSON object");
    }
    if (jwk_string(&kty, jwk, "kty") < 0 || !kty) {
        return ajwt_err_set(err, AJWT_E_KEY, "\"kty\" missing or not a string");
    }
    if (jwk_string(&kid, jwk, "kid") < 0 || (kid && !*kid)) {
        return ajwt_err_set(err, AJWT_E_KEY, "\"kid\" empty or not a string");
    }
    if (jwk_string(&use, jwk, "use") < 0 || jwk_string(&crv, jwk, "crv") < 0
        || jwk_string(&alg_name, jwk, "alg") < 0
        || (ops = jwk_ops_verify(jwk)) < 0) {
        return ajwt_err_set(err, AJWT_E_KEY,
                            "\"use\", \"crv\", \"alg\" or \"key_ops\" of the "
                            "wrong type");
    }
    if ((use && strcmp(use, "sig")) || !ops) {
        return APR_SUCCESS; /* for encryption, or not for verifying */
    }
    if (alg_name) {
        alg = ajwt_alg_from_name(alg_name);
        if (alg == AJWT_ALG_UNKNOWN) {
            return APR_SUCCESS; /* e.g. RSA-OAEP, or an algorithm we lack */
        }
        if (!alg_suits(alg, kty, crv)) {
            return ajwt_err_set(err, AJWT_E_KEY, "\"alg\" %s does not fit "
                                "this key type", alg_name);
        }
    }
    if (!strcmp(kty, "oct")) {
        unsigned char *k;
        apr_size_t klen;
        ajwt_key_t *key;

        if (jwk_bytes(&k, &klen, p, jwk, "k", 0, err) != APR_SUCCESS
            || ajwt_key_check_secret(k, klen, err) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        if (ajwt_key_from_secret(&key, p, k, klen, kid, err) != APR_SUCCESS) {
            return APR_EINVAL;
        }
        key->alg = alg;
        key->optional = 1;
        *pkey = key;
        return APR_SUCCESS;
    }
    if (!strcmp(kty, "RSA")) {
        evp = rsa_pkey(p, jwk, err);
    }
    else if (!strcmp(kty, "EC")) {
        if (!crv) {
            return ajwt_err_set(err, AJWT_E_KEY, "\"crv\" missing");
        }
        if (!(group = ec_group(crv, &coord))) {
            return APR_SUCCESS; /* a curve no JWS algorithm here uses */
        }
        evp = ec_pkey(p, jwk, group, coord, err);
    }
    else if (!strcmp(kty, "OKP")) {
        if (!crv) {
            return ajwt_err_set(err, AJWT_E_KEY, "\"crv\" missing");
        }
        if (strcmp(crv, "Ed25519")) {
            return APR_SUCCESS; /* Ed448, X25519, X448 */
        }
        evp = okp_pkey(p, jwk, err);
    }
    else {
        return APR_SUCCESS; /* a key type we do not know (RFC 7517 §5) */
    }
    ERR_clear_error();
    if (!evp) {
        return APR_EINVAL;
    }
    if (ajwt_key_from_pkey(pkey, p, evp, 0, kid, alg, err) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    (*pkey)->optional = 1;
    return APR_SUCCESS;
}

apr_status_t ajwt_jwk_parse_set(apr_array_header_t **pkeys, int *pskipped,
                                apr_pool_t *p, const char *text,
                                apr_size_t len, ajwt_err_t *err)
{
    const ajwt_json_t *set, *list;
    apr_array_header_t *keys;
    size_t i, j, n;

    *pkeys = NULL;
    *pskipped = 0;
    if (ajwt_json_parse_object(&set, p, text, len, err) != APR_SUCCESS) {
        return APR_EINVAL;
    }
    list = ajwt_json_get(set, "keys");
    if (!ajwt_json_is(list, AJWT_JSON_ARRAY)) {
        return ajwt_err_set(err, AJWT_E_MALFORMED,
                            "not a JWK Set: no \"keys\" array");
    }
    n = ajwt_json_count(list);
    keys = apr_array_make(p, n ? (int)n : 1, sizeof(const ajwt_key_t *));
    for (i = 0; i < n; i++) {
        ajwt_key_t *key;
        ajwt_err_t why;

        if (jwk_import(&key, p, ajwt_json_item(list, i), &why)
            != APR_SUCCESS) {
            return ajwt_err_set(err, why.code, "keys[%u]: %s", (unsigned)i,
                                why.text);
        }
        if (!key) {
            (*pskipped)++;
            continue;
        }
        for (j = 0; key->kid && j < (size_t)keys->nelts; j++) {
            const ajwt_key_t *k = APR_ARRAY_IDX(keys, j, const ajwt_key_t *);
            if (k->kid && !strcmp(k->kid, key->kid)) {
                return ajwt_err_set(err, AJWT_E_KEY,
                                    "keys[%u]: \"kid\" '%.40s' is used twice",
                                    (unsigned)i, key->kid);
            }
        }
        APR_ARRAY_PUSH(keys, const ajwt_key_t *) = key;
    }
    *pkeys = keys;
    return APR_SUCCESS;
}

/* ------------------------------------------------------------------------ */
/* writing                                                                    */

/** text as a JSON string literal (quotes, backslash and controls escaped). */
static const char *json_quote(apr_pool_t *p, const char *text)
{
    apr_size_t n = strlen(text);
    char *out = apr_palloc(p, 6 * n + 3), *o = out;
    const unsigned char *s;

    *o++ = '"';
    for (s = (const unsigned char *)text; *s; s++) {
        if (*s == '"' || *s == '\\') {
            *o++ = '\\';
            *o++ = (char)*s;
        }
        else if (*s < 0x20 || *s == 0x7f) {
            o += apr_snprintf(o, 7, "\\u%04x", *s);
        }
        else {
            *o++ = (char)*s;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/** An unsigned big-endian parameter of pkey, base64url, padded to pad bytes
 * (0: minimal, as RFC 7518 §6.3.1 wants for "n" and "e"). */
static const char *bn_param(apr_pool_t *p, const EVP_PKEY *pkey,
                            const char *name, int pad)
{
    BIGNUM *bn = NULL;
    unsigned char *buf;
    int len;
    const char *out = NULL;

    if (!EVP_PKEY_get_bn_param(pkey, name, &bn)) {
        return NULL;
    }
    len = pad ? pad : BN_num_bytes(bn);
    buf = apr_palloc(p, (apr_size_t)len + 1);
    if (BN_bn2binpad(bn, buf, len) == len) {
        out = ajwt_b64url_encode(p, buf, (apr_size_t)len);
    }
    BN_free(bn);
    return out;
}

/** The EC coordinate size and JWK "crv" of a curve NID. */
static const char *ec_crv(int nid, int *pcoord)
{
    switch (nid) {
    case NID_X9_62_prime256v1:
        *pcoord = 32;
        return "P-256";
    case NID_secp384r1:
        *pcoord = 48;
        return "P-384";
    case NID_secp521r1:
        *pcoord = 66;
        return "P-521";
    }
    return NULL;
}

/**
 * The required public members of key (RFC 7638 §3.2), in lexicographic
 * order, without braces: the thumbprint input and the tail of the JWK.
 */
static const char *public_members(apr_pool_t *p, const ajwt_key_t *key)
{
    unsigned char raw[32];
    size_t rawlen = sizeof(raw);
    const char *a, *b, *crv;
    int coord;

    switch (key->kty) {
    case AJWT_KTY_RSA:
        a = bn_param(p, key->pkey, OSSL_PKEY_PARAM_RSA_E, 0);
        b = bn_param(p, key->pkey, OSSL_PKEY_PARAM_RSA_N, 0);
        return a && b ? apr_pstrcat(p, "\"e\":\"", a, "\",\"kty\":\"RSA\","
                                    "\"n\":\"", b, "\"", NULL)
                      : NULL;
    case AJWT_KTY_EC:
        if (!(crv = ec_crv(key->curve_nid, &coord))) {
            return NULL;
        }
        a = bn_param(p, key->pkey, OSSL_PKEY_PARAM_EC_PUB_X, coord);
        b = bn_param(p, key->pkey, OSSL_PKEY_PARAM_EC_PUB_Y, coord);
        return a && b ? apr_pstrcat(p, "\"crv\":\"", crv, "\",\"kty\":\"EC\","
                                    "\"x\":\"", a, "\",\"y\":\"", b, "\"",
                                    NULL)
                      : NULL;
    case AJWT_KTY_OKP:
        if (!EVP_PKEY_get_raw_public_key(key->pkey, raw, &rawlen)) {
            return NULL;
        }
        return apr_pstrcat(p, "\"crv\":\"Ed25519\",\"kty\":\"OKP\",\"x\":\"",
                           ajwt_b64url_encode(p, raw, rawlen), "\"", NULL);
    default:
        return NULL; /* an HMAC secret is never published */
    }
}

const char *ajwt_jwk_thumbprint(apr_pool_t *p, const ajwt_key_t *key)
{
    const char *members = public_members(p, key);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    const char *json;

    ERR_clear_error();
    if (!members) {
        return NULL;
    }
    json = apr_pstrcat(p, "{", members, "}", NULL);
    if (!EVP_Digest(json, strlen(json), md, &mdlen,
                    ajwt_alg_md(AJWT_ALG_HS256) ? ajwt_alg_md(AJWT_ALG_HS256)
                                                : EVP_sha256(),
                    NULL)) {
        ERR_clear_error();
        return NULL;
    }
    return ajwt_b64url_encode(p, md, mdlen);
}

const char *ajwt_jwk_public(apr_pool_t *p, const ajwt_key_t *key,
                            ajwt_alg_e alg)
{
    const char *members = public_members(p, key);
    const char *name = ajwt_alg_name(alg);
    const char *kid = key->kid ? key->kid : ajwt_jwk_thumbprint(p, key);

    ERR_clear_error();
    if (!members || !kid) {
        return NULL;
    }
    return apr_pstrcat(p, "{\"use\":\"sig\",",
                       name ? apr_pstrcat(p, "\"alg\":\"", name, "\",", NULL)
                            : "",
                       "\"kid\":", json_quote(p, kid), ",", members, "}",
                       NULL);
}

const char *ajwt_jwk_public_set(apr_pool_t *p, const apr_array_header_t *keys,
                                ajwt_alg_e alg)
{
    const char *out = "{\"keys\":[";
    const char *sep = "";
    int i;

    for (i = 0; keys && i < keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(keys, i, const ajwt_key_t *);
        ajwt_err_t unused;
        const char *jwk;

        if (k->kty == AJWT_KTY_OCT ||
            ajwt_key_fits(k, alg, &unused) != APR_SUCCESS ||
            !(jwk = ajwt_jwk_public(p, k, alg))) {
            continue;
        }
        out = apr_pstrcat(p, out, sep, jwk, NULL);
        sep = ",";
    }
    return apr_pstrcat(p, out, "]}", NULL);
}
