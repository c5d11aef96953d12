/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_authn.h: authentication of protected requests from the access token
 * alone (AuthType JWT): find the bearer token, verify it, set r->user, answer
 * RFC 6750 challenges, export claims to CGI/PHP/SSI, and the "jwt-claim"
 * authorization provider. Glue layer.
 */
#ifndef AJWT_AUTHN_H
#define AJWT_AUTHN_H

#include "httpd.h"
#include "apr_tables.h"

#include "ajwt_err.h"
#include "ajwt_config.h"
#include "ajwt_json.h"

/** What authentication found for a request; lives in r->pool of the
 * request that verified the token and is found again by its internal
 * redirects and sub-requests (ajwt_authn_state). */
typedef struct {
    const char *token;      /* the compact token as presented */
    int outcome;            /* 0: no token, 1: verified, -1: refused */
    ajwt_err_t err;         /* why it was refused */
    const ajwt_json_t *payload; /* verified claims (in the request pool) */
    const char *user;       /* the user claim */
    const void *policy;     /* the ajwt_dir_conf_t it was verified under */
    int from_cookie;        /* found in the AuthJWTCookieName cookie */
    int preflight;          /* a CORS preflight let through unauthenticated */
    int in_authz;           /* re-entry guard of ajwt_authn_authz_forbid */
} ajwt_request_t;

/** check_authn hook: DECLINED unless AuthType JWT; OK with r->user set;
 * 401 (with a challenge noted) for no or a refused token; 500 for a server
 * misconfiguration (no AuthName, no algorithm, no key). */
int ajwt_authn_check(request_rec *r);

/**
 * The access token r presents: its Authorization: Bearer header, else
 * (cookie_name not NULL) that cookie when sent exactly once; NULL for none
 * or a malformed header.
 */
const char *ajwt_authn_presented_token(request_rec *r,
                                       const char *cookie_name);

/**
 * Verify an access token under dc as a protected location would
 * (signature, claims; not the revocation cache): for the logout handler,
 * which revokes the access token presented with it.
 * @return APR_SUCCESS with *ppayload; APR_EINVAL with err set.
 */
apr_status_t ajwt_authn_token_claims(const ajwt_json_t **ppayload,
                                     request_rec *r,
                                     const ajwt_dir_conf_t *dc,
                                     const char *token, ajwt_err_t *err);

/** note_auth_failure hook: sets WWW-Authenticate: Bearer ... for AuthType
 * JWT (no error code without a token, invalid_token with a description for a
 * refused one); OK when handled, DECLINED for other types. */
int ajwt_authn_note_failure(request_rec *r, const char *auth_type);

/** check_authz hook placed just before mod_authz_core's: runs the
 * authorization once and turns its 401 for a validly authenticated JWT user
 * into 403, as the contract asks without AuthzSendForbiddenOnFailure. */
int ajwt_authn_authz_forbid(request_rec *r);

/** access_checker_ex hook: with AuthJWTAllowPreflight On, a CORS preflight
 * (OPTIONS with Origin and Access-Control-Request-Method) under AuthType JWT
 * is let through without authentication (OK); DECLINED otherwise. */
int ajwt_authn_preflight(request_rec *r);

/** handler hook: answers the preflights ajwt_authn_preflight let through
 * (204 with Allow), so the location's own handler never runs for them. */
int ajwt_authn_preflight_handler(request_rec *r);

/** child_init: create this process's verified-token cache
 * (AuthJWTVerifyCache; ajwt_vcache.h). */
void ajwt_authn_child_init(apr_pool_t *p, server_rec *s);

/** fixups hook: under AuthType JWT, drop incoming X-JWT-Claim-* headers and
 * export the verified claims (JWT_CLAIM_*, optionally X-JWT-Claim-*); with
 * AuthJWTCookieName, hide the token cookies from the application unless
 * AuthJWTPassCookie On. */
int ajwt_authn_fixups(request_rec *r);

/** The verification state of r or of the request it was redirected from or
 * is a sub-request of; NULL when none. */
ajwt_request_t *ajwt_authn_state(request_rec *r);

/** Register the "jwt-claim" authz provider (Require jwt-claim NAME VALUE...). */
void ajwt_authz_register(apr_pool_t *p);

#endif /* AJWT_AUTHN_H */
