/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_jwk.h: JSON Web Keys (RFC 7517, RFC 7518 §6, RFC 8037). A JWK Set
 * file is read into verification keys at configuration time; the public
 * half of configured keys is written out as a JWK Set for
 * jwt-jwks-handler. Only public material ever leaves: an HMAC secret is
 * never published, and the private members of an RSA, EC or OKP JWK are
 * ignored on input (the key is used to verify only).
 * Pure layer: APR and OpenSSL only.
 */
#ifndef AJWT_JWK_H
#define AJWT_JWK_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "ajwt_err.h"
#include "ajwt_key.h"

/**
 * Read a JWK Set ({"keys": [...]}, strict JSON) into verification keys
 * (const ajwt_key_t *, allocated from p, each marked optional). Keys are
 * passed over, and counted in *pskipped, when RFC 7517 says a verifier
 * should not use them: an unknown "kty" or "crv", "use" other than "sig",
 * "key_ops" without "verify", an "alg" that is not a JWS algorithm this
 * module supports. A key that is used must be well formed: RSA "n"/"e",
 * EC "crv"/"x"/"y" of the curve's exact size and on the curve, OKP
 * Ed25519 "x" of 32 bytes, oct "k"; canonical base64url; RSA of at least
 * 2048 bits; "kid" a non-empty string when present, unique in the set.
 * @return APR_SUCCESS (possibly with no key: the caller decides);
 *         APR_EINVAL with AJWT_E_MALFORMED or AJWT_E_KEY, err->text naming
 *         the key ("keys[2]") and the reason.
 */
apr_status_t ajwt_jwk_parse_set(apr_array_header_t **pkeys, int *pskipped,
                                apr_pool_t *p, const char *text,
                                apr_size_t len, ajwt_err_t *err);

/**
 * The public JWK of key as JSON text: "kty", "use":"sig", "alg" (alg's
 * name when alg is known), "kid" (the key's, else its RFC 7638 thumbprint),
 * then the public parameters. NULL for an HMAC secret or on an OpenSSL
 * failure.
 */
const char *ajwt_jwk_public(apr_pool_t *p, const ajwt_key_t *key,
                            ajwt_alg_e alg);

/**
 * The JWK Set text of the public keys among keys that fit alg (oct keys
 * and keys that do not fit are left out): {"keys":[...]}.
 */
const char *ajwt_jwk_public_set(apr_pool_t *p, const apr_array_header_t *keys,
                                ajwt_alg_e alg);

/**
 * The RFC 7638 JWK thumbprint (SHA-256, base64url) of a public key, or
 * NULL for an HMAC secret or on failure.
 */
const char *ajwt_jwk_thumbprint(apr_pool_t *p, const ajwt_key_t *key);

#endif /* AJWT_JWK_H */
