/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_jws.h: compact JWS (RFC 7515) parsing, verification and signing.
 * Parsing is strict and happens before any cryptography; the algorithm is
 * the configured one, never the token's choice, and it is checked against
 * the header before the signature is computed. HMAC tags compare in constant
 * time; ECDSA signatures are raw R||S of the curve's fixed size (RFC 7518
 * §3.4), never DER; PSS uses a salt of the hash length.
 * Pure layer: APR and OpenSSL only.
 */
#ifndef AJWT_JWS_H
#define AJWT_JWS_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "ajwt_err.h"
#include "ajwt_json.h"
#include "ajwt_key.h"

typedef struct {
    const char *signing_input;      /* "<header b64>.<payload b64>" */
    apr_size_t signing_input_len;
    const ajwt_json_t *header;      /* in the parse pool */
    const ajwt_json_t *payload;     /* in the parse pool */
    const char *alg;                /* header "alg" as given */
    const char *kid;                /* header "kid" or NULL */
    const char *typ;                /* header "typ" or NULL */
    const unsigned char *sig;       /* decoded signature */
    apr_size_t sig_len;
} ajwt_jws_t;

/**
 * Parse a compact JWS strictly, without verifying it: the whole string is at
 * most max_size bytes (checked before any decoding; 0 means no limit), has
 * exactly three segments, header and payload non-empty, signature present
 * (may be empty only to be refused later), each canonical base64url; header
 * and payload are strict JSON objects (ajwt_json_parse_object). In the
 * header: "alg" must be a string; "crit" refuses the token (AJWT_E_HEADER);
 * "typ", when present, must be a string equal to "JWT" or "at+jwt" ignoring
 * case (AJWT_E_HEADER); "kid", when present, must be a string. "jku", "jwk",
 * "x5u", "x5c" are ignored (never fetched, never trusted).
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_TOO_LARGE, AJWT_E_MALFORMED or
 *         AJWT_E_HEADER.
 */
apr_status_t ajwt_jws_parse(ajwt_jws_t **pjws, apr_pool_t *p,
                            const char *compact, apr_size_t max_size,
                            ajwt_err_t *err);

/**
 * Choose the key for a token's kid among keys (an array of const ajwt_key_t*)
 * for alg, passing over the keys of a JWK Set that do not fit alg: with a kid, the key with that kid; a kid naming no key is AJWT_E_KID, except
 * that with exactly one configured key that has no kid the token's kid is
 * ignored. Without a kid: the key, when exactly one is configured, else
 * AJWT_E_KID.
 */
apr_status_t ajwt_jws_select_key(const ajwt_key_t **pkey,
                                 const apr_array_header_t *keys,
                                 ajwt_alg_e alg, const char *kid,
                                 ajwt_err_t *err);

/**
 * Verify a parsed token: the header "alg" must equal alg's name exactly
 * (else AJWT_E_ALG, before any cryptography); the key is chosen by
 * ajwt_jws_select_key() and must fit alg (AJWT_E_KEY otherwise, which the
 * glue treats as a server fault); then the signature (AJWT_E_SIGNATURE).
 */
apr_status_t ajwt_jws_verify(const ajwt_jws_t *jws, apr_pool_t *p,
                             ajwt_alg_e alg, const apr_array_header_t *keys,
                             ajwt_err_t *err);

/**
 * Verify sig over data with key under alg. ECDSA: sig must be exactly twice
 * the curve's coordinate size. HMAC: full-length tag, CRYPTO_memcmp.
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_SIGNATURE (or AJWT_E_KEY when
 *         key does not fit alg); APR_EGENERAL with AJWT_E_INTERNAL.
 */
apr_status_t ajwt_jws_verify_raw(ajwt_alg_e alg, const ajwt_key_t *key,
                                 const unsigned char *data, apr_size_t len,
                                 const unsigned char *sig, apr_size_t sig_len,
                                 apr_pool_t *p, ajwt_err_t *err);

/**
 * Sign data with key under alg (key must be private or oct and fit alg).
 * ECDSA output is raw R||S of fixed size.
 */
apr_status_t ajwt_jws_sign_raw(unsigned char **psig, apr_size_t *psig_len,
                               apr_pool_t *p, ajwt_alg_e alg,
                               const ajwt_key_t *key,
                               const unsigned char *data, apr_size_t len,
                               ajwt_err_t *err);

/**
 * Make a compact JWS of payload: header {"alg":..,"typ":"JWT","kid":..}
 * (kid only when the key has one), compact JSON, base64url, signed.
 */
apr_status_t ajwt_jws_sign(const char **pcompact, apr_pool_t *p,
                           ajwt_alg_e alg, const ajwt_key_t *key,
                           const ajwt_json_t *payload, ajwt_err_t *err);

#endif /* AJWT_JWS_H */
