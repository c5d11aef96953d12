/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_token.h: opaque refresh tokens and identifiers. A refresh token is
 * 256 random bits from the OpenSSL CSPRNG as base64url (43 characters); only
 * its SHA-256 (lowercase hex, 64 characters) is ever stored.
 * Pure layer: APR and OpenSSL only.
 */
#ifndef AJWT_TOKEN_H
#define AJWT_TOKEN_H

#include "apr_pools.h"
#include "ajwt_err.h"

#define AJWT_TOKEN_BYTES 32    /* refresh token entropy */
#define AJWT_TOKEN_LEN 43      /* its base64url length */
#define AJWT_DIGEST_HEX_LEN 64 /* SHA-256 hex */

/**
 * nbytes random bytes (1..64) from RAND_bytes as base64url, into *pout.
 * @return APR_SUCCESS, or APR_EGENERAL with AJWT_E_INTERNAL.
 */
apr_status_t ajwt_token_random(const char **pout, apr_pool_t *p,
                               apr_size_t nbytes, ajwt_err_t *err);

/**
 * Is text shaped like a refresh token this module issues: exactly
 * AJWT_TOKEN_LEN characters of the base64url alphabet?
 */
int ajwt_token_is_wellformed(const char *text);

/**
 * SHA-256 of text (its strlen bytes) as 64 lowercase hex characters.
 * @return APR_SUCCESS, or APR_EGENERAL with AJWT_E_INTERNAL.
 */
apr_status_t ajwt_token_digest(const char **phex, apr_pool_t *p,
                               const char *text, ajwt_err_t *err);

/**
 * Compare two strings in time that depends only on their lengths, not on
 * where they differ. Returns 1 when equal.
 */
int ajwt_token_equal(const char *a, const char *b);

#endif /* AJWT_TOKEN_H */
