/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_jws.c: compact JWS (RFC 7515). Strict parsing before any
 * cryptography; the configured algorithm is compared with the header before
 * a key is touched; HMAC (constant-time compare of the full tag), RSA PKCS#1
 * v1.5 and PSS (salt = hash length, MGF1 with the same hash), ECDSA with raw
 * R||S of the curve's fixed size, Ed25519. Every call creates its own
 * OpenSSL contexts: keys are shared read-only between threads.
 * Pure layer: APR and OpenSSL only.
 */
#include <string.h>
#include <strings.h>

#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include <openssl/bn.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rsa.h>

#include "ajwt_b64url.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"

/** Size in bytes of one coordinate of an ES signature for alg. */
static apr_size_t ec_coord_len(ajwt_alg_e alg)
{
    switch (alg) {
    case AJWT_ALG_ES256:
        return 32;
    case AJWT_ALG_ES384:
        return 48;
    case AJWT_ALG_ES512:
        return 66;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ */
/* Parsing                                                              */

/**
 * Decode one base64url segment [s, s+len) and, when pobj is given, parse it
 * as a strict JSON object. what names the segment in messages.
 * @return APR_SUCCESS, or APR_EINVAL with AJWT_E_MALFORMED.
 */
static apr_status_t decode_segment(unsigned char **pdata, apr_size_t *plen,
                                   const ajwt_json_t **pobj, apr_pool_t *p,
                                   const char *s, apr_size_t len,
                                   const char *what, ajwt_err_t *err)
{
    apr_status_t rv;

    if (ajwt_b64url_decode(pdata, plen, p, s, len) != APR_SUCCESS) {
        return ajwt_err_set(err, AJWT_E_MALFORMED,
                            "%s is not canonical base64url", what);
    }
    if (!pobj) {
        return APR_SUCCESS;
    }
    rv = ajwt_json_parse_object(pobj, p, (const char *)*pdata, *plen, err);
    if (rv != APR_SUCCESS && err && err->code == AJWT_E_MALFORMED) {
        char why[sizeof(err->text)];
        apr_cpystrn(why, err->text, sizeof(why));
        ajwt_err_set(err, AJWT_E_MALFORMED, "%s: %s", what, why);
    }
    return rv;
}

/**
 * Optional string member name of obj: stored in *pval (NULL if absent).
 * @return APR_SUCCESS, or APR_EINVAL when present but not a string.
 */
static apr_status_t opt_string(const char **pval, const ajwt_json_t *obj,
                               const char *name, ajwt_err_t *err)
{
    const ajwt_json_t *v = ajwt_json_get(obj, name);

    *pval = NULL;
    if (!v) {
        return APR_SUCCESS;
    }
    if (!(*pval = ajwt_json_string(v, NULL))) {
        return ajwt_err_set(err, AJWT_E_MALFORMED,
                            "header '%s' is not a string", name);
    }
    return APR_SUCCESS;
}

/**
 * Check the JOSE header: alg a string, no crit, typ JWT or at+jwt, kid a
 * string; fills jws->alg, typ, kid.
 */
static apr_status_t check_header(ajwt_jws_t *jws, ajwt_err_t *err)
{
    apr_status_t rv;

    if ((rv = opt_string(&jws->alg, jws->header, "alg", err)) != APR_SUCCESS) {
        return rv;
    }
    if (!jws->alg) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "header has no 'alg'");
    }
    if (ajwt_json_get(jws->header, "crit")) {
        return ajwt_err_set(err, AJWT_E_HEADER, "header 'crit' not supported");
    }
    if ((rv = opt_string(&jws->typ, jws->header, "typ", err)) != APR_SUCCESS) {
        return ajwt_err_set(err, AJWT_E_HEADER, "header 'typ' not a string");
    }
    if (jws->typ && strcasecmp(jws->typ, "JWT") &&
        strcasecmp(jws->typ, "at+jwt")) {
        return ajwt_err_set(err, AJWT_E_HEADER, "header 'typ' not allowed");
    }
    return opt_string(&jws->kid, jws->header, "kid", err);
}

/**
 * Find the two dots of a compact JWS of len bytes: exactly two, header and
 * payload non-empty. @return APR_SUCCESS, or APR_EINVAL (AJWT_E_MALFORMED).
 */
static apr_status_t split_compact(const char **pd1, const char **pd2,
                                  const char *compact, apr_size_t len,
                                  ajwt_err_t *err)
{
    const char *end = compact + len;
    const char *d1 = memchr(compact, '.', len);
    const char *d2 =
        d1 ? memchr(d1 + 1, '.', (apr_size_t)(end - d1 - 1)) : NULL;

    if (!d2 || memchr(d2 + 1, '.', (apr_size_t)(end - d2 - 1))) {
        return ajwt_err_set(err, AJWT_E_MALFORMED,
                            "not three dot-separated segments");
    }
    if (d1 == compact || d2 == d1 + 1) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "empty header or payload");
    }
    *pd1 = d1;
    *pd2 = d2;
    return APR_SUCCESS;
}

apr_status_t ajwt_jws_parse(ajwt_jws_t **pjws, apr_pool_t *p,
                            const char *compact, apr_size_t max_size,
                            ajwt_err_t *err)
{
    int limited = max_size > 0 && max_size < APR_SIZE_MAX;
    apr_size_t len = limited ? strnlen(compact, max_size + 1) : strlen(compact);
    const char *d1 = NULL, *d2 = NULL, *end = compact + len;
    ajwt_jws_t *jws;
    unsigned char *hdr, *pl, *sig;
    apr_size_t hlen, plen;
    apr_status_t rv;

    *pjws = NULL;
    if (limited && len > max_size) {
        return ajwt_err_set(err, AJWT_E_TOO_LARGE, "token too large");
    }
    if ((rv = split_compact(&d1, &d2, compact, len, err)) != APR_SUCCESS) {
        return rv;
    }
    jws = apr_pcalloc(p, sizeof(*jws));
    rv = decode_segment(&hdr, &hlen, &jws->header, p, compact,
                        (apr_size_t)(d1 - compact), "header", err);
    if (rv == APR_SUCCESS) {
        rv = check_header(jws, err);
    }
    if (rv == APR_SUCCESS) {
        rv = decode_segment(&pl, &plen, &jws->payload, p, d1 + 1,
                            (apr_size_t)(d2 - d1 - 1), "payload", err);
    }
    if (rv == APR_SUCCESS) {
        rv = decode_segment(&sig, &jws->sig_len, NULL, p, d2 + 1,
                            (apr_size_t)(end - d2 - 1), "signature", err);
    }
    if (rv != APR_SUCCESS) {
        return rv;
    }
    jws->sig = sig;
    jws->signing_input_len = (apr_size_t)(d2 - compact);
    jws->signing_input = apr_pstrmemdup(p, compact, jws->signing_input_len);
    *pjws = jws;
    return APR_SUCCESS;
}

/** Is k a candidate for alg? A key of a JWK Set that does not fit alg is
 * passed over; any other key is a candidate (and refused later, as a
 * server fault, when it does not fit). */
static int key_candidate(const ajwt_key_t *k, ajwt_alg_e alg)
{
    ajwt_err_t unused;

    return !k->optional || ajwt_key_fits(k, alg, &unused) == APR_SUCCESS;
}

apr_status_t ajwt_jws_select_key(const ajwt_key_t **pkey,
                                 const apr_array_header_t *keys,
                                 ajwt_alg_e alg, const char *kid,
                                 ajwt_err_t *err)
{
    const ajwt_key_t *const *k;
    const ajwt_key_t *only = NULL;
    int i, n = 0, total = keys ? keys->nelts : 0;

    *pkey = NULL;
    k = total ? (const ajwt_key_t *const *)keys->elts : NULL;
    for (i = 0; i < total; i++) {
        if (key_candidate(k[i], alg)) {
            if (kid && k[i]->kid && !strcmp(k[i]->kid, kid)) {
                *pkey = k[i];
                return APR_SUCCESS;
            }
            only = k[i];
            n++;
        }
    }
    if (n == 0) {
        return ajwt_err_set(err, AJWT_E_KEY, "no key configured");
    }
    if (n == 1 && (!kid || !only->kid)) {
        *pkey = only;
        return APR_SUCCESS;
    }
    return ajwt_err_set(err, AJWT_E_KID, kid ? "token kid names no key"
                                             : "token has no kid, several keys");
}

apr_status_t ajwt_jws_verify(const ajwt_jws_t *jws, apr_pool_t *p,
                             ajwt_alg_e alg, const apr_array_header_t *keys,
                             ajwt_err_t *err)
{
    const char *name = ajwt_alg_name(alg);
    const ajwt_key_t *key;
    apr_status_t rv;

    /* The algorithm is the configured one: compare before any crypto. */
    if (!name || !jws->alg || strcmp(jws->alg, name)) {
        return ajwt_err_set(err, AJWT_E_ALG, "algorithm not accepted");
    }
    if ((rv = ajwt_jws_select_key(&key, keys, alg, jws->kid, err)) != APR_SUCCESS ||
        (rv = ajwt_key_fits(key, alg, err)) != APR_SUCCESS) {
        return rv;
    }
    return ajwt_jws_verify_raw(
        alg, key, (const unsigned char *)jws->signing_input,
        jws->signing_input_len, jws->sig, jws->sig_len, p, err);
}

/* ------------------------------------------------------------------ */
/* Signature primitives                                                 */

/**
 * HMAC of data under key's secret with alg's digest into out (at least
 * EVP_MAX_MD_SIZE bytes). @return the tag length, or 0 on failure.
 */
static unsigned int hmac_tag(unsigned char *out, ajwt_alg_e alg,
                             const ajwt_key_t *key, const unsigned char *data,
                             apr_size_t len)
{
    static const unsigned char empty = 0;
    unsigned int outlen = 0;
    const EVP_MD *md = ajwt_alg_md(alg);
    EVP_MAC_CTX *ctx = ajwt_key_hmac_ctx(key, alg);

    if (ctx) {
        size_t n = 0;
        int ok = EVP_MAC_update(ctx, data ? data : &empty, len)
                 && EVP_MAC_final(ctx, out, &n, EVP_MAX_MD_SIZE);
        EVP_MAC_CTX_free(ctx);
        return ok ? (unsigned int)n : 0;
    }
    if (!md || (apr_size_t)(int)key->secret_len != key->secret_len ||
        !HMAC(md, key->secret, (int)key->secret_len, data ? data : &empty, len,
              out, &outlen)) {
        return 0;
    }
    return outlen;
}

/**
 * Convert a raw R||S signature of 2 * coord bytes to DER.
 * @return the DER length (der allocated from p), or 0 on failure.
 */
static int ecdsa_raw_to_der(unsigned char **pder, apr_pool_t *p,
                            const unsigned char *sig, apr_size_t coord)
{
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, (int)coord, NULL);
    BIGNUM *s = BN_bin2bn(sig + coord, (int)coord, NULL);
    unsigned char *der, *d;
    int n = 0;

    if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s)) {
        BN_free(r);
        BN_free(s);
        ECDSA_SIG_free(es);
        return 0;
    }
    n = i2d_ECDSA_SIG(es, NULL);
    if (n > 0) {
        der = d = apr_palloc(p, (apr_size_t)n);
        n = i2d_ECDSA_SIG(es, &d);
        *pder = der;
    }
    ECDSA_SIG_free(es); /* frees r and s */
    return n > 0 ? n : 0;
}

/**
 * Convert a DER ECDSA signature to raw R||S of 2 * coord bytes in out.
 * @return 1, or 0 when the DER is bad or a value does not fit.
 */
static int ecdsa_der_to_raw(unsigned char *out, const unsigned char *der,
                            apr_size_t derlen, apr_size_t coord)
{
    const unsigned char *d = der;
    ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &d, (long)derlen);
    const BIGNUM *r, *s;
    int ok;

    if (!es) {
        return 0;
    }
    ECDSA_SIG_get0(es, &r, &s);
    ok = BN_bn2binpad(r, out, (int)coord) == (int)coord &&
         BN_bn2binpad(s, out + coord, (int)coord) == (int)coord;
    ECDSA_SIG_free(es);
    return ok;
}

/**
 * Verify with an EVP_PKEY (RSA, EC with sig already DER, Ed25519).
 * @return APR_SUCCESS; AJWT_E_SIGNATURE; AJWT_E_INTERNAL.
 */
static apr_status_t pkey_verify(ajwt_alg_e alg, const ajwt_key_t *key,
                                const unsigned char *data, apr_size_t len,
                                const unsigned char *sig, apr_size_t sig_len,
                                ajwt_err_t *err)
{
    static const unsigned char empty = 0;
    EVP_MD_CTX *mctx = ajwt_key_verify_ctx(key, alg);
    int rc;

    if (!mctx) {
        ERR_clear_error();
        return ajwt_err_set(err, AJWT_E_INTERNAL, "verify setup failed");
    }
    rc = EVP_DigestVerify(mctx, sig_len ? sig : &empty, sig_len,
                          data ? data : &empty, len);
    EVP_MD_CTX_free(mctx);
    ERR_clear_error();
    if (rc != 1) {
        return ajwt_err_set(err, AJWT_E_SIGNATURE, "signature does not verify");
    }
    return APR_SUCCESS;
}

apr_status_t ajwt_jws_verify_raw(ajwt_alg_e alg, const ajwt_key_t *key,
                                 const unsigned char *data, apr_size_t len,
                                 const unsigned char *sig, apr_size_t sig_len,
                                 apr_pool_t *p, ajwt_err_t *err)
{
    unsigned char tag[EVP_MAX_MD_SIZE];
    unsigned char *der;
    apr_size_t coord = ec_coord_len(alg);
    unsigned int tlen;
    int derlen;
    apr_status_t rv;

    if ((rv = ajwt_key_fits(key, alg, err)) != APR_SUCCESS) {
        return rv;
    }
    switch (key->kty) {
    case AJWT_KTY_OCT:
        if (!(tlen = hmac_tag(tag, alg, key, data, len))) {
            return ajwt_err_set(err, AJWT_E_INTERNAL, "HMAC failed");
        }
        if (sig_len != tlen || CRYPTO_memcmp(tag, sig, tlen) != 0) {
            OPENSSL_cleanse(tag, sizeof(tag));
            return ajwt_err_set(err, AJWT_E_SIGNATURE,
                                "signature does not verify");
        }
        OPENSSL_cleanse(tag, sizeof(tag));
        return APR_SUCCESS;
    case AJWT_KTY_EC:
        if (sig_len != 2 * coord) {
            return ajwt_err_set(err, AJWT_E_SIGNATURE,
                                "ECDSA signature of wrong length");
        }
        if (!(derlen = ecdsa_raw_to_der(&der, p, sig, coord))) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_E_INTERNAL,
                                "ECDSA conversion failed");
        }
        return pkey_verify(alg, key, data, len, der, (apr_size_t)derlen, err);
    case AJWT_KTY_OKP:
        if (sig_len != 64) {
            return ajwt_err_set(err, AJWT_E_SIGNATURE,
                                "EdDSA signature of wrong length");
        }
        /* fall through */
    default:
        return pkey_verify(alg, key, data, len, sig, sig_len, err);
    }
}

/**
 * Sign with an EVP_PKEY; ECDSA output converted to raw R||S.
 */
static apr_status_t pkey_sign(unsigned char **psig, apr_size_t *psig_len,
                              apr_pool_t *p, ajwt_alg_e alg,
                              const ajwt_key_t *key, const unsigned char *data,
                              apr_size_t len, ajwt_err_t *err)
{
    static const unsigned char empty = 0;
    EVP_MD_CTX *mctx = ajwt_key_sign_ctx(key, alg);
    apr_size_t coord = ec_coord_len(alg);
    size_t n = 0;
    unsigned char *buf = NULL, *raw;
    int ok =
        mctx && EVP_DigestSign(mctx, NULL, &n, data ? data : &empty, len) == 1;

    if (ok) {
        buf = apr_palloc(p, n);
        ok = EVP_DigestSign(mctx, buf, &n, data ? data : &empty, len) == 1;
    }
    EVP_MD_CTX_free(mctx);
    if (ok && coord) {
        raw = apr_palloc(p, 2 * coord);
        ok = ecdsa_der_to_raw(raw, buf, n, coord);
        buf = raw;
        n = 2 * coord;
    }
    ERR_clear_error();
    if (!ok) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "signing failed");
    }
    *psig = buf;
    *psig_len = n;
    return APR_SUCCESS;
}

apr_status_t ajwt_jws_sign_raw(unsigned char **psig, apr_size_t *psig_len,
                               apr_pool_t *p, ajwt_alg_e alg,
                               const ajwt_key_t *key, const unsigned char *data,
                               apr_size_t len, ajwt_err_t *err)
{
    unsigned char tag[EVP_MAX_MD_SIZE];
    unsigned int tlen;
    apr_status_t rv;

    if ((rv = ajwt_key_fits(key, alg, err)) != APR_SUCCESS) {
        return rv;
    }
    if (!key->is_private) {
        return ajwt_err_set(err, AJWT_E_KEY, "key cannot sign (public only)");
    }
    if (key->kty != AJWT_KTY_OCT) {
        return pkey_sign(psig, psig_len, p, alg, key, data, len, err);
    }
    if (!(tlen = hmac_tag(tag, alg, key, data, len))) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "HMAC failed");
    }
    *psig = apr_pmemdup(p, tag, tlen);
    *psig_len = tlen;
    OPENSSL_cleanse(tag, sizeof(tag));
    return APR_SUCCESS;
}

/* The compact JSON of the JOSE header for alg and key. */
static const char *sign_header(apr_pool_t *p, ajwt_alg_e alg,
                               const ajwt_key_t *key)
{
    ajwt_json_t *h = ajwt_json_new_object(p);

    ajwt_json_set(h, p, "alg", ajwt_json_new_string(p, ajwt_alg_name(alg)));
    ajwt_json_set(h, p, "typ", ajwt_json_new_string(p, "JWT"));
    if (key->kid) {
        ajwt_json_set(h, p, "kid", ajwt_json_new_string(p, key->kid));
    }
    return ajwt_json_compact(p, h, NULL);
}

apr_status_t ajwt_jws_sign(const char **pcompact, apr_pool_t *p, ajwt_alg_e alg,
                           const ajwt_key_t *key, const ajwt_json_t *payload,
                           ajwt_err_t *err)
{
    const char *hdr, *pl, *input;
    unsigned char *sig;
    apr_size_t sig_len;
    apr_status_t rv;

    *pcompact = NULL;
    if ((rv = ajwt_key_fits(key, alg, err)) != APR_SUCCESS) {
        return rv;
    }
    if (!payload || !(hdr = sign_header(p, alg, key))) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "cannot build token");
    }
    pl = ajwt_json_compact(p, payload, NULL);
    input = apr_pstrcat(
        p, ajwt_b64url_encode(p, (const unsigned char *)hdr, strlen(hdr)), ".",
        ajwt_b64url_encode(p, (const unsigned char *)pl, strlen(pl)), NULL);
    rv = ajwt_jws_sign_raw(&sig, &sig_len, p, alg, key,
                           (const unsigned char *)input, strlen(input), err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    *pcompact =
        apr_pstrcat(p, input, ".", ajwt_b64url_encode(p, sig, sig_len), NULL);
    return APR_SUCCESS;
}
