/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_key.h: algorithms and key material. A key is parsed once, at
 * configuration time, from memory (the glue reads the file); it is immutable
 * afterwards and safe to share between threads. The EVP_PKEY (or the HMAC
 * secret) lives as long as the pool given at load time: a cleanup frees it.
 * A key is loaded without an algorithm (the directive naming the algorithm
 * may come later or be inherited); ajwt_key_fits() tells whether a key can be
 * used with an algorithm and is checked at configuration time and again,
 * cheaply, before every use.
 * Pure layer: APR, OpenSSL only.
 */
#ifndef AJWT_KEY_H
#define AJWT_KEY_H

#include <openssl/evp.h>

#include "apr_pools.h"
#include "ajwt_err.h"

typedef enum {
    AJWT_ALG_UNKNOWN = 0, /* also what "none" maps to: never usable */
    AJWT_ALG_HS256, AJWT_ALG_HS384, AJWT_ALG_HS512,
    AJWT_ALG_RS256, AJWT_ALG_RS384, AJWT_ALG_RS512,
    AJWT_ALG_PS256, AJWT_ALG_PS384, AJWT_ALG_PS512,
    AJWT_ALG_ES256, AJWT_ALG_ES384, AJWT_ALG_ES512,
    AJWT_ALG_EDDSA
} ajwt_alg_e;

typedef enum {
    AJWT_KTY_OCT = 1, /* HMAC secret */
    AJWT_KTY_RSA,
    AJWT_KTY_EC,
    AJWT_KTY_OKP      /* Ed25519 */
} ajwt_kty_e;

typedef struct ajwt_key_t {
    ajwt_kty_e kty;
    const char *kid;             /* NULL when the key has none */
    const char *source;          /* where it came from, for messages:
                                    "file.pem (httpd.conf:12)"; may be NULL */
    int is_private;              /* holds a private key: can sign */
    ajwt_alg_e alg;              /* a JWK's "alg": the one algorithm the key
                                    may be used with; AJWT_ALG_UNKNOWN: any
                                    it fits */
    int optional;                /* one key of a JWK Set: where it does not
                                    fit a location's algorithm it is passed
                                    over instead of refusing the
                                    configuration */
    const unsigned char *secret; /* AJWT_KTY_OCT */
    apr_size_t secret_len;
    EVP_PKEY *pkey;              /* RSA / EC / OKP */
    int bits;                    /* RSA modulus bits, EC field bits */
    int curve_nid;               /* EC: NID_X9_62_prime256v1, NID_secp384r1,
                                    NID_secp521r1; 0 otherwise */
    EVP_MAC_CTX *hmac[3];        /* oct: HMAC-SHA256/384/512 contexts keyed
                                    at load time, duplicated per use (no
                                    per-request algorithm fetch) */
    EVP_MD_CTX *verify[AJWT_ALG_EDDSA + 1]; /* RSA/EC/OKP: a verification
                                    context per algorithm the key fits,
                                    initialised at load time and copied per
                                    use (ajwt_key_verify_ctx) */
    EVP_MD_CTX *sign[AJWT_ALG_EDDSA + 1]; /* the same for signing, private
                                    keys only (ajwt_key_sign_ctx) */
} ajwt_key_t;

/**
 * Map a JWS "alg" name to the enum, comparing exactly (RFC 7515 §4.1.1 names
 * are case-sensitive: "hs256" is not "HS256"). "none" and anything unknown
 * give AJWT_ALG_UNKNOWN.
 */
ajwt_alg_e ajwt_alg_from_name(const char *name);

/** The JWS name of alg ("HS256" ...), or NULL for AJWT_ALG_UNKNOWN. */
const char *ajwt_alg_name(ajwt_alg_e alg);

/** The key type an algorithm needs. */
ajwt_kty_e ajwt_alg_kty(ajwt_alg_e alg);

/** Hash output size in bytes of the algorithm's digest (32/48/64; Ed25519: 0). */
apr_size_t ajwt_alg_hash_len(ajwt_alg_e alg);

/**
 * The digest of alg, fetched once by ajwt_crypto_init() (NULL for EdDSA).
 */
const EVP_MD *ajwt_alg_md(ajwt_alg_e alg);

/**
 * Fetch the OpenSSL algorithm objects once per process. Call at
 * configuration time (idempotent, not thread-safe: before any threads).
 * @return APR_SUCCESS, or APR_EGENERAL with AJWT_E_INTERNAL.
 */
apr_status_t ajwt_crypto_init(ajwt_err_t *err);

/**
 * Release what ajwt_crypto_init fetched (when the configuration that used
 * it is dropped: a restart unloads the module, and the fetched objects
 * must not outlive it). Not thread-safe; after it, call ajwt_crypto_init
 * again before using keys.
 */
void ajwt_crypto_release(void);

/** The shortest HMAC secret accepted from configuration (HS256's hash). */
#define AJWT_MIN_SECRET 32

/**
 * The load-time policy for an HMAC secret from configuration (a directive
 * or an "oct" JWK): at least AJWT_MIN_SECRET bytes, and not PEM text (an
 * HMAC secret made of a public key is public).
 * @return APR_SUCCESS, or APR_EINVAL with AJWT_E_KEY and the reason.
 */
apr_status_t ajwt_key_check_secret(const unsigned char *secret,
                                   apr_size_t len, ajwt_err_t *err);

/**
 * Make an HMAC key from raw secret bytes (copied into p). Any length is
 * accepted here; ajwt_key_fits() enforces the minimum for an algorithm.
 */
apr_status_t ajwt_key_from_secret(ajwt_key_t **pkey, apr_pool_t *p,
                                  const unsigned char *secret, apr_size_t len,
                                  const char *kid, ajwt_err_t *err);

/**
 * Parse a PEM key from memory: a public key ("PUBLIC KEY", "RSA PUBLIC KEY",
 * or a certificate's key) when want_private is 0, a private key ("PRIVATE
 * KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"; unencrypted) when it is 1.
 * Only RSA (>= 2048 bits), EC P-256/P-384/P-521 and Ed25519 are accepted.
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_KEY and a reason.
 */
apr_status_t ajwt_key_from_pem(ajwt_key_t **pkey, apr_pool_t *p,
                               const char *pem, apr_size_t len,
                               int want_private, const char *kid,
                               ajwt_err_t *err);

/**
 * Make a key of an RSA, EC or Ed25519 EVP_PKEY built elsewhere (a JWK),
 * classified by the same policy as ajwt_key_from_pem. Takes ownership of
 * evp, also on failure. alg restricts the key to one algorithm
 * (AJWT_ALG_UNKNOWN: none).
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_KEY and a reason.
 */
apr_status_t ajwt_key_from_pkey(ajwt_key_t **pkey, apr_pool_t *p,
                                EVP_PKEY *evp, int is_private,
                                const char *kid, ajwt_alg_e alg,
                                ajwt_err_t *err);

/**
 * Can key be used with alg? A key restricted to one algorithm (key->alg)
 * fits only that one. Otherwise: HS*: an oct key of at least the hash size;
 * RS and PS: RSA >= 2048 bits; ES256/384/512: EC on P-256/P-384/P-521 exactly;
 * EdDSA: Ed25519.
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_KEY and a reason.
 */
apr_status_t ajwt_key_fits(const ajwt_key_t *key, ajwt_alg_e alg,
                           ajwt_err_t *err);

/**
 * A new digest-sign (sign 1) or digest-verify context for key under alg,
 * with PKCS#1 v1.5 or PSS (salt = hash length, MGF1 with the same hash)
 * padding for RSA: EVP_DigestSign/EVP_DigestVerify, then EVP_MD_CTX_free.
 * It fetches the signature implementation: for verification use
 * ajwt_key_verify_ctx. @return NULL on an OpenSSL failure.
 */
EVP_MD_CTX *ajwt_key_md_ctx(ajwt_alg_e alg, const ajwt_key_t *key, int sign);

/**
 * A verification context for key under alg: a copy of the one made at load
 * time (no algorithm fetch, no key setup per use), or a new one when there
 * is none (the key does not fit alg, or ajwt_crypto_init had not run).
 * The caller frees it. @return NULL on an OpenSSL failure.
 */
EVP_MD_CTX *ajwt_key_verify_ctx(const ajwt_key_t *key, ajwt_alg_e alg);

/** The same for signing with a private key. */
EVP_MD_CTX *ajwt_key_sign_ctx(const ajwt_key_t *key, ajwt_alg_e alg);

/**
 * A fresh HMAC context for an oct key under an HS algorithm, already keyed
 * (a copy of the one made at load time): update, final, EVP_MAC_CTX_free.
 * NULL when the key has none (not oct, or ajwt_crypto_init had not run).
 */
EVP_MAC_CTX *ajwt_key_hmac_ctx(const ajwt_key_t *key, ajwt_alg_e alg);

/**
 * Do a and b hold the same key material (the same secret, or the same public
 * key, whether or not either also holds the private half)? kid is ignored.
 */
int ajwt_key_same(const ajwt_key_t *a, const ajwt_key_t *b);

#endif /* AJWT_KEY_H */
