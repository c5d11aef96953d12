/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_key.c: the algorithm table, the digests fetched once per process,
 * and key material parsed from memory (HMAC secrets, PEM public and private
 * keys). Keys are immutable after loading and shared between threads; the
 * EVP_PKEY is freed by a cleanup on the pool given at load time.
 * Pure layer: APR and OpenSSL only.
 */
#include <string.h>

#include "apr_lib.h"
#include "apr_pools.h"
#include "apr_strings.h"

#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/params.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "ajwt_key.h"

typedef struct {
    const char *name;
    ajwt_kty_e kty;
    int md_index; /* into ajwt_mds, -1 for none */
    apr_size_t hash_len;
    int curve_nid; /* ES*: the one curve allowed */
} ajwt_alg_info_t;

/* Indexed by ajwt_alg_e. */
static const ajwt_alg_info_t ajwt_algs[] = {
    {NULL, 0, -1, 0, 0},
    {"HS256", AJWT_KTY_OCT, 0, 32, 0},
    {"HS384", AJWT_KTY_OCT, 1, 48, 0},
    {"HS512", AJWT_KTY_OCT, 2, 64, 0},
    {"RS256", AJWT_KTY_RSA, 0, 32, 0},
    {"RS384", AJWT_KTY_RSA, 1, 48, 0},
    {"RS512", AJWT_KTY_RSA, 2, 64, 0},
    {"PS256", AJWT_KTY_RSA, 0, 32, 0},
    {"PS384", AJWT_KTY_RSA, 1, 48, 0},
    {"PS512", AJWT_KTY_RSA, 2, 64, 0},
    {"ES256", AJWT_KTY_EC, 0, 32, NID_X9_62_prime256v1},
    {"ES384", AJWT_KTY_EC, 1, 48, NID_secp384r1},
    {"ES512", AJWT_KTY_EC, 2, 64, NID_secp521r1},
    {"EdDSA", AJWT_KTY_OKP, -1, 0, 0},
};

#define AJWT_NALGS ((int)(sizeof(ajwt_algs) / sizeof(ajwt_algs[0])))

static const char *const ajwt_md_names[] = {"SHA256", "SHA384", "SHA512"};

/* Fetched once by ajwt_crypto_init(); read-only afterwards. */
static EVP_MD *ajwt_mds[3];
static EVP_MAC *ajwt_hmac_mac;

/** Minimum RSA modulus size accepted at load time and for RS and PS. */
#define AJWT_RSA_MIN_BITS 2048

static const ajwt_alg_info_t *alg_info(ajwt_alg_e alg)
{
    if ((int)alg <= 0 || (int)alg >= AJWT_NALGS) {
        return &ajwt_algs[0];
    }
    return &ajwt_algs[alg];
}

ajwt_alg_e ajwt_alg_from_name(const char *name)
{
    int i;

    if (!name) {
        return AJWT_ALG_UNKNOWN;
    }
    for (i = 1; i < AJWT_NALGS; i++) {
        if (!strcmp(name, ajwt_algs[i].name)) {
            return (ajwt_alg_e)i;
        }
    }
    return AJWT_ALG_UNKNOWN;
}

const char *ajwt_alg_name(ajwt_alg_e alg)
{
    return alg_info(alg)->name;
}

ajwt_kty_e ajwt_alg_kty(ajwt_alg_e alg)
{
    return alg_info(alg)->kty;
}

apr_size_t ajwt_alg_hash_len(ajwt_alg_e alg)
{
    return alg_info(alg)->hash_len;
}

const EVP_MD *ajwt_alg_md(ajwt_alg_e alg)
{
    int i = alg_info(alg)->md_index;

    return i < 0 ? NULL : ajwt_mds[i];
}

apr_status_t ajwt_crypto_init(ajwt_err_t *err)
{
    int i;

    for (i = 0; i < 3; i++) {
        if (!ajwt_mds[i]) {
            ajwt_mds[i] = EVP_MD_fetch(NULL, ajwt_md_names[i], NULL);
        }
        if (!ajwt_mds[i]) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_E_INTERNAL, "cannot fetch digest %s",
                                ajwt_md_names[i]);
        }
    }
    if (!ajwt_hmac_mac) {
        ajwt_hmac_mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    }
    if (!ajwt_hmac_mac) {
        ERR_clear_error();
        return ajwt_err_set(err, AJWT_E_INTERNAL, "cannot fetch HMAC");
    }
    return APR_SUCCESS;
}

void ajwt_crypto_release(void)
{
    int i;

    for (i = 0; i < 3; i++) {
        EVP_MD_free(ajwt_mds[i]);
        ajwt_mds[i] = NULL;
    }
    EVP_MAC_free(ajwt_hmac_mac);
    ajwt_hmac_mac = NULL;
}

/** Pool cleanup of an oct key: free its HMAC contexts, wipe the secret. */
static apr_status_t secret_cleanup(void *data)
{
    ajwt_key_t *key = data;
    int i;

    for (i = 0; i < 3; i++) {
        EVP_MAC_CTX_free(key->hmac[i]);
        key->hmac[i] = NULL;
    }
    OPENSSL_cleanse((void *)key->secret, key->secret_len);
    return APR_SUCCESS;
}

/**
 * Key one HMAC context per digest with the secret (once, at load time).
 * Without ajwt_crypto_init the contexts stay NULL and the one-shot HMAC()
 * is used instead.
 */
static void secret_contexts(ajwt_key_t *key)
{
    int i;

    for (i = 0; i < 3 && ajwt_hmac_mac; i++) {
        OSSL_PARAM params[2];
        EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(ajwt_hmac_mac);

        params[0] = OSSL_PARAM_construct_utf8_string(
            OSSL_MAC_PARAM_DIGEST, (char *)ajwt_md_names[i], 0);
        params[1] = OSSL_PARAM_construct_end();
        if (ctx && EVP_MAC_init(ctx, key->secret, key->secret_len, params)) {
            key->hmac[i] = ctx;
        }
        else {
            EVP_MAC_CTX_free(ctx);
            ERR_clear_error();
        }
    }
}

EVP_MAC_CTX *ajwt_key_hmac_ctx(const ajwt_key_t *key, ajwt_alg_e alg)
{
    int i = alg_info(alg)->md_index;

    if (key->kty != AJWT_KTY_OCT || ajwt_alg_kty(alg) != AJWT_KTY_OCT || i < 0
        || !key->hmac[i]) {
        return NULL;
    }
    return EVP_MAC_CTX_dup(key->hmac[i]);
}

apr_status_t ajwt_key_check_secret(const unsigned char *secret,
                                   apr_size_t len, ajwt_err_t *err)
{
    apr_size_t i = 0;

    ajwt_err_clear(err);
    while (i < len && apr_isspace(secret[i])) {
        i++;
    }
    if (len - i >= 10 && !memcmp(secret + i, "-----BEGIN", 10)) {
        return ajwt_err_set(err, AJWT_E_KEY,
                            "this is a PEM key, not an HMAC secret (RS/PS/"
                            "ES/EdDSA verify with a public key file; an HMAC "
                            "secret made of a public key is public)");
    }
    if (len < AJWT_MIN_SECRET) {
        return ajwt_err_set(err, AJWT_E_KEY,
                            "the secret is %" APR_SIZE_T_FMT " bytes; HMAC "
                            "needs at least the hash size (32/48/64 bytes "
                            "for HS256/384/512)", len);
    }
    return APR_SUCCESS;
}

apr_status_t ajwt_key_from_secret(ajwt_key_t **pkey, apr_pool_t *p,
                                  const unsigned char *secret, apr_size_t len,
                                  const char *kid, ajwt_err_t *err)
{
    ajwt_key_t *key = apr_pcalloc(p, sizeof(*key));
    unsigned char *copy = apr_palloc(p, len ? len : 1);

    if (len) {
        memcpy(copy, secret, len);
    }
    ajwt_err_clear(err);
    key->kty = AJWT_KTY_OCT;
    key->kid = kid ? apr_pstrdup(p, kid) : NULL;
    key->is_private = 1;
    key->secret = copy;
    key->secret_len = len;
    secret_contexts(key);
    apr_pool_cleanup_register(p, key, secret_cleanup, apr_pool_cleanup_null);
    *pkey = key;
    return APR_SUCCESS;
}

static int alg_is_pss(ajwt_alg_e alg)
{
    return alg == AJWT_ALG_PS256 || alg == AJWT_ALG_PS384 ||
           alg == AJWT_ALG_PS512;
}

EVP_MD_CTX *ajwt_key_md_ctx(ajwt_alg_e alg, const ajwt_key_t *key, int sign)
{
    EVP_MD_CTX *mctx = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    const EVP_MD *md = ajwt_alg_md(alg);
    int ok;

    if (!mctx || !key->pkey || (!md && alg != AJWT_ALG_EDDSA)) {
        EVP_MD_CTX_free(mctx);
        return NULL;
    }
    ok = sign ? EVP_DigestSignInit(mctx, &pctx, md, NULL, key->pkey)
              : EVP_DigestVerifyInit(mctx, &pctx, md, NULL, key->pkey);
    if (ok == 1 && key->kty == AJWT_KTY_RSA) {
        if (alg_is_pss(alg)) {
            ok =
                EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) > 0 &&
                EVP_PKEY_CTX_set_rsa_pss_saltlen(
                    pctx, (int)ajwt_alg_hash_len(alg)) > 0 &&
                EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, md) > 0;
        }
        else {
            ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) > 0;
        }
    }
    if (ok != 1) {
        EVP_MD_CTX_free(mctx);
        return NULL;
    }
    return mctx;
}

/** A copy of the template tmpl[alg], or a new context. */
static EVP_MD_CTX *md_ctx_copy(EVP_MD_CTX *const *tmpl, const ajwt_key_t *key,
                               ajwt_alg_e alg, int sign)
{
    EVP_MD_CTX *mctx;

    if (alg <= AJWT_ALG_UNKNOWN || alg > AJWT_ALG_EDDSA || !tmpl[alg]) {
        return ajwt_key_md_ctx(alg, key, sign);
    }
    mctx = EVP_MD_CTX_new();
    if (mctx && EVP_MD_CTX_copy_ex(mctx, tmpl[alg]) != 1) {
        EVP_MD_CTX_free(mctx);
        ERR_clear_error();
        return ajwt_key_md_ctx(alg, key, sign);
    }
    return mctx;
}

EVP_MD_CTX *ajwt_key_verify_ctx(const ajwt_key_t *key, ajwt_alg_e alg)
{
    return md_ctx_copy(key->verify, key, alg, 0);
}

EVP_MD_CTX *ajwt_key_sign_ctx(const ajwt_key_t *key, ajwt_alg_e alg)
{
    return md_ctx_copy(key->sign, key, alg, 1);
}

/** Make the verification (and, for a private key, signing) contexts of
 * every algorithm key fits (load time; without ajwt_crypto_init they stay
 * NULL). */
static void verify_contexts(ajwt_key_t *key)
{
    int a;
    ajwt_err_t err;

    for (a = AJWT_ALG_HS256; a <= AJWT_ALG_EDDSA; a++) {
        if (ajwt_alg_kty((ajwt_alg_e)a) == key->kty
            && (a == AJWT_ALG_EDDSA || ajwt_alg_md((ajwt_alg_e)a))
            && ajwt_key_fits(key, (ajwt_alg_e)a, &err) == APR_SUCCESS) {
            key->verify[a] = ajwt_key_md_ctx((ajwt_alg_e)a, key, 0);
            if (key->is_private) {
                key->sign[a] = ajwt_key_md_ctx((ajwt_alg_e)a, key, 1);
            }
            ERR_clear_error();
        }
    }
}

/** Pool cleanup of an RSA/EC/OKP key: its contexts, then the EVP_PKEY. */
static apr_status_t pkey_cleanup(void *data)
{
    ajwt_key_t *key = data;
    int a;

    for (a = 0; a <= AJWT_ALG_EDDSA; a++) {
        EVP_MD_CTX_free(key->verify[a]);
        EVP_MD_CTX_free(key->sign[a]);
        key->verify[a] = key->sign[a] = NULL;
    }
    EVP_PKEY_free(key->pkey);
    key->pkey = NULL;
    return APR_SUCCESS;
}

/**
 * The NID of an EC key's named curve, or NID_undef.
 */
static int ec_curve_nid(const EVP_PKEY *pkey)
{
    char name[64];
    size_t n = 0;
    int nid;

    if (!EVP_PKEY_get_utf8_string_param(pkey, OSSL_PKEY_PARAM_GROUP_NAME, name,
                                        sizeof(name), &n)) {
        return NID_undef;
    }
    nid = OBJ_sn2nid(name);
    if (nid == NID_undef) {
        nid = OBJ_txt2nid(name);
    }
    return nid;
}

/*
 * The y coordinates (little-endian, sign bit of x cleared) of the Ed25519
 * points of small order: 1 (the neutral element), p-1 (order 2), 0
 * (order 4) and the two of order 8. Any signature "verifies" under such a
 * key for some message, so no key may be one of them (nor encode y >= p).
 */
static const unsigned char ed25519_small_order[][32] = {
    {0x00},
    {0x01},
    {0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},
    {0x26, 0xe8, 0x95, 0x8f, 0xc2, 0xb2, 0x27, 0xb0, 0x45, 0xc3, 0xf4,
     0x89, 0xf2, 0xef, 0x98, 0xf0, 0xd5, 0xdf, 0xac, 0x05, 0xd3, 0xc6,
     0x33, 0x39, 0xb1, 0x38, 0x02, 0x88, 0x6d, 0x53, 0xfc, 0x05},
    {0xc7, 0x17, 0x6a, 0x70, 0x3d, 0x4d, 0xd8, 0x4f, 0xba, 0x3c, 0x0b,
     0x76, 0x0d, 0x10, 0x67, 0x0f, 0x2a, 0x20, 0x53, 0xfa, 0x2c, 0x39,
     0xcc, 0xc6, 0x4e, 0xc7, 0xfd, 0x77, 0x92, 0xac, 0x03, 0x7a},
};

/** Is the 32-byte Ed25519 public key a small-order or non-canonical point? */
static int ed25519_weak(const unsigned char a[32])
{
    unsigned char y[32];
    apr_size_t i;
    int ge_p = 1;

    memcpy(y, a, 32);
    y[31] &= 0x7f;
    for (i = 0; i < sizeof(ed25519_small_order) / 32; i++) {
        if (!memcmp(y, ed25519_small_order[i], 32)) {
            return 1;
        }
    }
    /* y >= p = 2^255 - 19: every byte 0xff but the first >= 0xed */
    for (i = 1; i < 31; i++) {
        ge_p &= y[i] == 0xff;
    }
    return ge_p && y[31] == 0x7f && y[0] >= 0xed;
}

/**
 * Classify pkey into key (kty, bits, curve) by the load-time policy: RSA of
 * at least 2048 bits, EC on P-256/384/521, Ed25519 (not a small-order
 * point).
 * @return APR_SUCCESS, or APR_EINVAL with AJWT_E_KEY.
 */
static apr_status_t key_classify(ajwt_key_t *key, const EVP_PKEY *pkey,
                                 ajwt_err_t *err)
{
    key->bits = EVP_PKEY_get_bits(pkey);
    switch (EVP_PKEY_get_base_id(pkey)) {
    case EVP_PKEY_RSA:
        if (key->bits < AJWT_RSA_MIN_BITS) {
            return ajwt_err_set(err, AJWT_E_KEY,
                                "RSA key of %d bits, at least %d required",
                                key->bits, AJWT_RSA_MIN_BITS);
        }
        key->kty = AJWT_KTY_RSA;
        return APR_SUCCESS;
    case EVP_PKEY_EC:
        key->curve_nid = ec_curve_nid(pkey);
        if (key->curve_nid != NID_X9_62_prime256v1 &&
            key->curve_nid != NID_secp384r1 &&
            key->curve_nid != NID_secp521r1) {
            return ajwt_err_set(err, AJWT_E_KEY,
                                "EC key not on P-256, P-384 or P-521");
        }
        key->kty = AJWT_KTY_EC;
        return APR_SUCCESS;
    case EVP_PKEY_ED25519: {
        unsigned char a[32];
        size_t alen = sizeof(a);

        if (EVP_PKEY_get_raw_public_key(pkey, a, &alen) != 1 || alen != 32
            || ed25519_weak(a)) {
            ERR_clear_error();
            return ajwt_err_set(err, AJWT_E_KEY,
                                "Ed25519 public key is a point of small "
                                "order or not canonical");
        }
        key->kty = AJWT_KTY_OKP;
        return APR_SUCCESS;
    }
    default:
        return ajwt_err_set(err, AJWT_E_KEY,
                            "unsupported key type (RSA, EC or Ed25519 only)");
    }
}

/**
 * Decode the DER of one PEM block by its label.
 * @return the key (a new reference), or NULL when the label is not one
 *         wanted or the content does not decode.
 */
static EVP_PKEY *pem_block_key(const char *label, const unsigned char *der,
                               long len, int want_private)
{
    const unsigned char *d = der;
    EVP_PKEY *pkey = NULL;
    X509 *x509;

    if (want_private) {
        if (!strcmp(label, "PRIVATE KEY") ||
            !strcmp(label, "RSA PRIVATE KEY") ||
            !strcmp(label, "EC PRIVATE KEY")) {
            pkey = d2i_AutoPrivateKey(NULL, &d, len);
        }
    }
    else if (!strcmp(label, "PUBLIC KEY")) {
        pkey = d2i_PUBKEY(NULL, &d, len);
    }
    else if (!strcmp(label, "RSA PUBLIC KEY")) {
        pkey = d2i_PublicKey(EVP_PKEY_RSA, NULL, &d, len);
    }
    else if (!strcmp(label, "CERTIFICATE")) {
        x509 = d2i_X509(NULL, &d, len);
        pkey = x509 ? X509_get_pubkey(x509) : NULL;
        X509_free(x509);
    }
    if (pkey && d != der + len) { /* trailing bytes inside the block */
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    return pkey;
}

/**
 * Read the first key block of a PEM text (skipping "EC PARAMETERS").
 * @return the key, or NULL with err set (AJWT_E_KEY).
 */
static EVP_PKEY *pem_read_key(const char *pem, apr_size_t len, int want_private,
                              ajwt_err_t *err)
{
    BIO *bio = BIO_new_mem_buf(pem, (int)len);
    char *label = NULL, *header = NULL;
    unsigned char *der = NULL;
    long derlen = 0;
    EVP_PKEY *pkey = NULL;
    int ok;

    if (!bio || (apr_size_t)(int)len != len) {
        BIO_free(bio);
        ajwt_err_set(err, AJWT_E_KEY, "key text too large");
        return NULL;
    }
    while ((ok = PEM_read_bio(bio, &label, &header, &der, &derlen)) &&
           !strcmp(label, "EC PARAMETERS")) {
        OPENSSL_free(label);
        OPENSSL_free(header);
        OPENSSL_free(der);
    }
    if (!ok) {
        ajwt_err_set(err, AJWT_E_KEY, "no PEM block found");
    }
    else if (header && header[0]) {
        ajwt_err_set(err, AJWT_E_KEY, "encrypted PEM keys are not supported");
    }
    else if (!(pkey = pem_block_key(label, der, derlen, want_private))) {
        ajwt_err_set(err, AJWT_E_KEY, "PEM block '%.40s' is not a %s key",
                     label, want_private ? "usable private" : "usable public");
    }
    OPENSSL_free(label);
    OPENSSL_free(header);
    OPENSSL_free(der);
    BIO_free(bio);
    ERR_clear_error();
    return pkey;
}

apr_status_t ajwt_key_from_pkey(ajwt_key_t **pkey, apr_pool_t *p,
                                EVP_PKEY *evp, int is_private,
                                const char *kid, ajwt_alg_e alg,
                                ajwt_err_t *err)
{
    ajwt_key_t *key = apr_pcalloc(p, sizeof(*key));
    apr_status_t rv = key_classify(key, evp, err);

    *pkey = NULL;
    if (rv != APR_SUCCESS) {
        EVP_PKEY_free(evp);
        return rv;
    }
    key->pkey = evp;
    key->kid = kid ? apr_pstrdup(p, kid) : NULL;
    key->is_private = is_private ? 1 : 0;
    key->alg = alg;
    verify_contexts(key);
    apr_pool_cleanup_register(p, key, pkey_cleanup, apr_pool_cleanup_null);
    *pkey = key;
    return APR_SUCCESS;
}

apr_status_t ajwt_key_from_pem(ajwt_key_t **pkey, apr_pool_t *p,
                               const char *pem, apr_size_t len,
                               int want_private, const char *kid,
                               ajwt_err_t *err)
{
    EVP_PKEY *evp = pem_read_key(pem, len, want_private, err);

    *pkey = NULL;
    if (!evp) {
        return APR_EINVAL;
    }
    return ajwt_key_from_pkey(pkey, p, evp, want_private, kid,
                              AJWT_ALG_UNKNOWN, err);
}

apr_status_t ajwt_key_fits(const ajwt_key_t *key, ajwt_alg_e alg,
                           ajwt_err_t *err)
{
    const ajwt_alg_info_t *ai = alg_info(alg);

    if (!ai->name) {
        return ajwt_err_set(err, AJWT_E_KEY, "no usable algorithm");
    }
    if (!key || key->kty != ai->kty) {
        return ajwt_err_set(err, AJWT_E_KEY, "key type does not fit %s",
                            ai->name);
    }
    if (key->alg != AJWT_ALG_UNKNOWN && key->alg != alg) {
        return ajwt_err_set(err, AJWT_E_KEY, "key is for %s, not %s",
                            ajwt_alg_name(key->alg), ai->name);
    }
    switch (key->kty) {
    case AJWT_KTY_OCT:
        if (key->secret_len < ai->hash_len) {
            return ajwt_err_set(err, AJWT_E_KEY,
                                "%s secret shorter than %u bytes", ai->name,
                                (unsigned)ai->hash_len);
        }
        return APR_SUCCESS;
    case AJWT_KTY_RSA:
        if (!key->pkey || key->bits < AJWT_RSA_MIN_BITS) {
            return ajwt_err_set(err, AJWT_E_KEY, "RSA key too small for %s",
                                ai->name);
        }
        return APR_SUCCESS;
    case AJWT_KTY_EC:
        if (!key->pkey || key->curve_nid != ai->curve_nid) {
            return ajwt_err_set(err, AJWT_E_KEY,
                                "EC key is not on the curve of %s", ai->name);
        }
        return APR_SUCCESS;
    case AJWT_KTY_OKP:
        if (!key->pkey) {
            return ajwt_err_set(err, AJWT_E_KEY, "no Ed25519 key");
        }
        return APR_SUCCESS;
    }
    return ajwt_err_set(err, AJWT_E_KEY, "unknown key type");
}

int ajwt_key_same(const ajwt_key_t *a, const ajwt_key_t *b)
{
    if (a->kty != b->kty) {
        return 0;
    }
    if (a->kty == AJWT_KTY_OCT) {
        return a->secret_len == b->secret_len
               && CRYPTO_memcmp(a->secret, b->secret, a->secret_len) == 0;
    }
    return a->pkey && b->pkey && EVP_PKEY_eq(a->pkey, b->pkey) == 1;
}
