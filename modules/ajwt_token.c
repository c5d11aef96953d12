/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_token.c: opaque refresh tokens and identifiers: random generation
 * from the OpenSSL CSPRNG, the SHA-256 digest that is stored instead of the
 * token, and constant-time comparison.
 * Pure layer: includes APR, OpenSSL and the C library only; never logs.
 */
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "apr_pools.h"

#include "ajwt_b64url.h"
#include "ajwt_err.h"
#include "ajwt_key.h"
#include "ajwt_token.h"

/** Largest nbytes ajwt_token_random accepts. */
#define AJWT_TOKEN_MAX_BYTES 64

/**
 * nbytes (1..64) random bytes from RAND_bytes as unpadded base64url.
 * @return APR_SUCCESS with *pout set (allocated from p); APR_EGENERAL with
 *         AJWT_E_INTERNAL when nbytes is out of range or the CSPRNG fails.
 */
apr_status_t ajwt_token_random(const char **pout, apr_pool_t *p,
                               apr_size_t nbytes, ajwt_err_t *err)
{
    unsigned char buf[AJWT_TOKEN_MAX_BYTES];

    *pout = NULL;
    if (nbytes < 1 || nbytes > AJWT_TOKEN_MAX_BYTES) {
        return ajwt_err_set(err, AJWT_E_INTERNAL,
                            "random token size out of range");
    }
    if (RAND_bytes(buf, (int)nbytes) != 1) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return ajwt_err_set(err, AJWT_E_INTERNAL, "RAND_bytes failed");
    }
    *pout = ajwt_b64url_encode(p, buf, nbytes);
    OPENSSL_cleanse(buf, sizeof(buf));
    if (!*pout) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "base64url encoding failed");
    }
    return APR_SUCCESS;
}

/** Is c in the base64url alphabet (A-Z a-z 0-9 '-' '_')? */
static int is_b64url(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/**
 * Is text shaped like a refresh token this module issues: exactly
 * AJWT_TOKEN_LEN characters of the base64url alphabet?
 * @return 1 if so; 0 otherwise, also for NULL. Reads at most
 *         AJWT_TOKEN_LEN + 1 bytes.
 */
int ajwt_token_is_wellformed(const char *text)
{
    size_t i;

    if (!text) {
        return 0;
    }
    for (i = 0; i < AJWT_TOKEN_LEN; i++) {
        if (!is_b64url((unsigned char)text[i])) {
            return 0; /* also stops at the NUL of a short text */
        }
    }
    return text[AJWT_TOKEN_LEN] == '\0';
}

/**
 * SHA-256 of text (its strlen bytes) as 64 lowercase hex characters.
 * @return APR_SUCCESS with *phex set (allocated from p); APR_EGENERAL with
 *         AJWT_E_INTERNAL when OpenSSL fails or text is NULL.
 */
apr_status_t ajwt_token_digest(const char **phex, apr_pool_t *p,
                               const char *text, ajwt_err_t *err)
{
    static const char hexdigits[] = "0123456789abcdef";
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0, i;
    const EVP_MD *sha256;
    char *hex;

    *phex = NULL;
    if (!text) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "nothing to digest");
    }
    /* the SHA-256 fetched once by ajwt_crypto_init (EVP_sha256() would
     * fetch it again on every call) */
    sha256 = ajwt_alg_md(AJWT_ALG_HS256);
    if (EVP_Digest(text, strlen(text), md, &mdlen,
                   sha256 ? sha256 : EVP_sha256(), NULL) != 1 ||
        mdlen * 2 != AJWT_DIGEST_HEX_LEN) {
        return ajwt_err_set(err, AJWT_E_INTERNAL, "SHA-256 failed");
    }
    hex = apr_palloc(p, AJWT_DIGEST_HEX_LEN + 1);
    for (i = 0; i < mdlen; i++) {
        hex[2 * i] = hexdigits[md[i] >> 4];
        hex[2 * i + 1] = hexdigits[md[i] & 0x0f];
    }
    hex[AJWT_DIGEST_HEX_LEN] = '\0';
    *phex = hex;
    return APR_SUCCESS;
}

/**
 * Compare two strings in time that depends only on their lengths: strings
 * of different lengths are unequal without looking at their content, equal
 * lengths are compared with CRYPTO_memcmp.
 * @return 1 when equal; 0 when different or either is NULL.
 */
int ajwt_token_equal(const char *a, const char *b)
{
    size_t la, lb;

    if (!a || !b) {
        return 0;
    }
    la = strlen(a);
    lb = strlen(b);
    if (la != lb) {
        return 0;
    }
    return CRYPTO_memcmp(a, b, la) == 0;
}
