/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_err.h: the error record shared by the pure layers (base64url, JSON,
 * keys, JWS, claims, tokens). Header only. The pure layers never log: they
 * fill an ajwt_err_t and return an apr_status_t; the glue maps the code to an
 * HTTP status, an RFC 6750 challenge and a log line.
 * May include: APR, the C library.
 */
#ifndef AJWT_ERR_H
#define AJWT_ERR_H

#include <stdarg.h>
#include <stdio.h>

#include "apr_errno.h"

typedef enum {
    AJWT_OK = 0,
    AJWT_E_MALFORMED,     /* not a well-formed compact JWS / JSON / claim type */
    AJWT_E_TOO_LARGE,     /* over the configured size limit */
    AJWT_E_ALG,           /* alg missing, none, or not the configured one */
    AJWT_E_KID,           /* kid names no configured key, or is required */
    AJWT_E_HEADER,        /* crit present, typ not allowed */
    AJWT_E_SIGNATURE,     /* signature does not verify */
    AJWT_E_EXPIRED,       /* exp reached (with leeway) */
    AJWT_E_NOT_YET_VALID, /* nbf in the future, iat in the future */
    AJWT_E_ISSUER,        /* iss missing or different */
    AJWT_E_AUDIENCE,      /* aud missing or not containing ours */
    AJWT_E_CLAIM,         /* a required claim missing or of the wrong type */
    AJWT_E_REVOKED,       /* revoked: its jti or its user (revocation cache) */
    AJWT_E_KEY,           /* key material unusable (bad PEM, wrong type/size) */
    AJWT_E_INTERNAL       /* OpenSSL / allocation failure: a 500 */
} ajwt_code_e;

typedef struct {
    ajwt_code_e code;
    char text[160];
} ajwt_err_t;

/**
 * Record an error and return the matching status: APR_EGENERAL for
 * AJWT_E_INTERNAL, APR_EINVAL for everything else. err may be NULL.
 * The text must never contain a token, a secret or a password.
 */
static inline apr_status_t ajwt_err_set(ajwt_err_t *err, ajwt_code_e code,
                                        const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static inline apr_status_t ajwt_err_set(ajwt_err_t *err, ajwt_code_e code,
                                        const char *fmt, ...)
{
    if (err) {
        va_list ap;
        err->code = code;
        va_start(ap, fmt);
        vsnprintf(err->text, sizeof(err->text), fmt, ap);
        va_end(ap);
    }
    return code == AJWT_E_INTERNAL ? APR_EGENERAL : APR_EINVAL;
}

/** Reset an error record to "no error". */
static inline void ajwt_err_clear(ajwt_err_t *err)
{
    if (err) {
        err->code = AJWT_OK;
        err->text[0] = '\0';
    }
}

#endif /* AJWT_ERR_H */
