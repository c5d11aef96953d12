/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_endpoint.c: login, refresh, logout and revoke handlers (contract §3,
 * §6; see ajwt_endpoint.h). Passwords are checked through httpd's authn
 * providers; refresh tokens live in the store (ajwt_store); answers are
 * written by ajwt_issue. Wrong user, wrong password and deactivated user
 * give byte-identical answers.
 *
 * Browser mode (contract §5, AuthJWTDeliveryType Cookie on the login,
 * refresh and logout locations): tokens travel in HttpOnly cookies only,
 * never in a body; POST needs a same-origin Origin or Sec-Fetch-Site (the
 * CSRF rule); login and logout answer 303 to a checked return_to; refresh
 * answers 200 {"expires_in"} to a POST (XHR/fetch) and 303 to a GET (the
 * redirect flow of a navigation whose access cookie has expired). Failed
 * logins and GET refreshes go to AuthJWTLoginRequiredLocation when the
 * context has one (error=invalid_grant or error=temporarily_unavailable for
 * logins); a refused refresh clears both cookies; a store outage never does
 * (503 JSON: the session may still be good).
 * Glue layer: APR, httpd.
 */

#include "apr_atomic.h"
#include "apr_lib.h"
#include "apr_md5.h" /* apr_password_validate */
#include "apr_strings.h"
#include "apr_time.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "mod_auth.h"
#include "util_script.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_claims.h"
#include "ajwt_body.h"
#include "ajwt_cookie.h"
#include "ajwt_issue.h"
#include "ajwt_store.h"
#include "ajwt_throttle.h"
#include "ajwt_audit.h"
#include "ajwt_url.h"
#include "ajwt_endpoint.h"
#include "ajwt_revoke.h"
#include "ajwt_authn.h"

/* A bcrypt hash of a throw-away password, checked for unknown users: of
 * htpasswd's default cost, or (post_config) of the highest cost found in
 * the configuration's AuthUserFile files, so that an unknown user costs as
 * much as the most expensive known one. Every failed login then sleeps out
 * the rest of the longest check known: endpoint_floor_us (that dummy check,
 * timed at startup) or the longest known-user check seen since
 * (ajwt_throttle_check_time). Set before the children fork, read-only
 * afterwards. */
static char endpoint_dummy_hash[80] =
    "$2y$05$8mCFkh7MT8TKzQRk0hK/P.opFY7uR4EGsDI7ER1FnO1HIoxlUBPd.";
static apr_uint32_t endpoint_floor_us;

/* The dummy's cost is capped: a cost-31 line must not stall the startup. */
#define AJWT_DUMMY_MAX_COST 14

/* Longest sleep that pads a failed login. */
#define AJWT_PAD_MAX_US 2000000

/* Fixed answer texts: every refused login looks the same. */
#define BAD_LOGIN "invalid username or password"
#define BAD_REFRESH "invalid refresh token"

/* How a request is answered. */
typedef enum {
    FLOW_JSON = 0,     /* contract §3: tokens and errors as JSON */
    FLOW_LOGIN,        /* cookie mode login: cookies, 303 to return_to */
    FLOW_REFRESH_POST, /* cookie mode refresh by XHR/fetch: 200 expires_in */
    FLOW_REFRESH_GET,  /* cookie mode refresh by navigation: 303 */
    FLOW_LOGOUT        /* cookie mode logout: cookies cleared, 303 */
} endpoint_flow_e;

/* One endpoint request: its context, body and way of answering. */
typedef struct {
    const ajwt_dir_conf_t *dc;
    const ajwt_body_t *body;
    endpoint_flow_e flow;
    const char *return_to; /* checked local path (cookie mode), else "/" */
} endpoint_req_t;

typedef int (*endpoint_fn)(request_rec *r, endpoint_req_t *q);

/** Current time in unix seconds. */
static apr_int64_t endpoint_now(void)
{
    return (apr_int64_t)apr_time_sec(apr_time_now());
}

/**
 * The store policy of dc at now, with the context binding of dc's issuer
 * and audience.
 * @return OK, or HTTP_INTERNAL_SERVER_ERROR (logged) when the binding
 *         cannot be computed.
 */
static int endpoint_policy(ajwt_store_policy_t *pol, request_rec *r,
                           const ajwt_dir_conf_t *dc, apr_int64_t now)
{
    pol->now = now;
    pol->refresh_lifetime = ajwt_conf_refresh_lifetime(dc);
    pol->family_lifetime = ajwt_conf_family_lifetime(dc);
    pol->reuse_interval = ajwt_conf_reuse_interval(dc);
    pol->context = ajwt_store_context(r, dc->iss, dc->aud);
    return pol->context ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/**
 * Add the access and refresh cookies of dc to r->err_headers_out (so that
 * they travel with redirects and error answers alike). A NULL token clears
 * its cookie (Max-Age=0, an Expires in 1970, the same Path).
 */
static void endpoint_cookies(request_rec *r, const ajwt_dir_conf_t *dc,
                             const char *access, apr_int64_t access_age,
                             const char *refresh, apr_int64_t refresh_age)
{
    ajwt_cookie_t c;
    int secure = ajwt_conf_cookie_secure(dc);

    c.name = ajwt_conf_access_cookie(dc);
    c.value = access;
    c.path = ajwt_conf_cookie_path(dc);
    c.max_age = access_age;
    c.secure = secure;
    c.same_site = "Lax";
    apr_table_add(r->err_headers_out, "Set-Cookie",
                  ajwt_cookie_header(r->pool, &c));
    if (!secure && (ajwt_cookie_name_needs_secure(c.name)
                    || ajwt_cookie_name_needs_secure(
                           ajwt_conf_refresh_cookie(dc)))) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02400)
                      "AuthJWTCookieSecure Off ignored for the cookies "
                      "'%s' and '%s': __Host- and __Secure- cookies are "
                      "always Secure", c.name, ajwt_conf_refresh_cookie(dc));
    }
    c.name = ajwt_conf_refresh_cookie(dc);
    c.value = refresh;
    c.path = ajwt_conf_refresh_cookie_path(dc, r);
    c.max_age = refresh_age;
    c.same_site = "Strict";
    apr_table_add(r->err_headers_out, "Set-Cookie",
                  ajwt_cookie_header(r->pool, &c));
}

/** Clear both cookies of dc (logout, a refused refresh). */
static void endpoint_clear_cookies(request_rec *r, const ajwt_dir_conf_t *dc)
{
    endpoint_cookies(r, dc, NULL, 0, NULL, 0);
}

/**
 * Answer a refusal the way q's flow wants it. JSON, except in cookie mode:
 * a login refused (invalid_grant) or not checkable (503) goes 303 to
 * AuthJWTLoginRequiredLocation with return_to and error when the context
 * has one; a refused refresh (invalid_grant) clears both cookies, and a
 * refused GET refresh goes 303 to the login location with return_to when
 * there is one. Other errors (invalid_request, 500, a 503 on refresh or
 * logout) stay JSON and leave the cookies alone.
 * @return OK (the handler's return value).
 */
static int endpoint_fail(request_rec *r, const endpoint_req_t *q, int status,
                         const char *error, const char *description)
{
    const char *login = q->dc->login_location;
    int refused = !strcmp(error, "invalid_grant");

    switch (q->flow) {
    case FLOW_LOGIN:
        if (login && (refused || status == HTTP_SERVICE_UNAVAILABLE)) {
            return ajwt_issue_send_redirect(
                r, apr_pstrcat(r->pool,
                               ajwt_url_with_return(r->pool, login,
                                                    q->return_to),
                               "&error=", error, NULL));
        }
        break;
    case FLOW_REFRESH_POST:
    case FLOW_REFRESH_GET:
        if (!refused) {
            break;
        }
        endpoint_clear_cookies(r, q->dc);
        if (q->flow == FLOW_REFRESH_GET && login) {
            return ajwt_issue_send_redirect(
                r, ajwt_url_with_return(r->pool, login, q->return_to));
        }
        break;
    default:
        break;
    }
    return ajwt_issue_send_error(r, status, error, description);
}

/** Answer for a store failure (already logged). */
static int endpoint_unavailable(request_rec *r, const endpoint_req_t *q)
{
    return endpoint_fail(r, q, HTTP_SERVICE_UNAVAILABLE,
                         "temporarily_unavailable",
                         "the token store is unavailable, retry later");
}

/** Answer for an internal failure (already logged). */
static int endpoint_server_error(request_rec *r)
{
    return ajwt_issue_send_error(r, HTTP_INTERNAL_SERVER_ERROR,
                                 "server_error",
                                 "the request could not be processed");
}

/**
 * Fetch a required string field.
 * @return OK with *pvalue set, or the 400 invalid_request answer's status
 *         (DONE) after sending it.
 */
static int endpoint_field(const char **pvalue, request_rec *r,
                          const ajwt_body_t *body, const char *name)
{
    int found = ajwt_body_get(pvalue, body, name);

    if (found == 1) {
        return OK;
    }
    ajwt_issue_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                          apr_psprintf(r->pool, found ? "field '%s' must be "
                                       "a string" : "missing field '%s'",
                                       name));
    return DONE;
}

/** How long since start, in µs, at most AJWT_PAD_MAX_US. */
static apr_uint32_t endpoint_took(apr_time_t start)
{
    apr_time_t took = apr_time_now() - start;

    if (took < 0) {
        return 0; /* the clock stepped back */
    }
    return took > AJWT_PAD_MAX_US ? AJWT_PAD_MAX_US : (apr_uint32_t)took;
}

/**
 * Make a failed login (unknown user: after one bcrypt check of a throw-away
 * hash; wrong password) take as long as the slowest known-user check seen,
 * counted from start.
 */
static void endpoint_pad(request_rec *r, const char *password,
                         apr_time_t start, int unknown)
{
    apr_time_t left;

    if (unknown) {
        (void)apr_password_validate(password, endpoint_dummy_hash);
    }
    left = (apr_time_t)ajwt_throttle_check_time(r, 0);
    if (left < (apr_time_t)endpoint_floor_us) {
        left = (apr_time_t)endpoint_floor_us;
    }
    left -= apr_time_now() - start;
    if (left > 0) {
        apr_sleep(left > AJWT_PAD_MAX_US ? AJWT_PAD_MAX_US : left);
    }
}

/**
 * Check user's password through the configured authn providers (default:
 * "file"), as mod_auth_basic does. A known user's verdict teaches the
 * per-process time estimate; an unknown user is padded to it.
 * @return the provider's verdict: AUTH_GRANTED, AUTH_DENIED,
 *         AUTH_USER_NOT_FOUND or AUTH_GENERAL_ERROR (logged).
 */
static authn_status endpoint_check_password(request_rec *r,
                                            const ajwt_dir_conf_t *dc,
                                            const char *user,
                                            const char *password)
{
    ajwt_provider_t fallback;
    const ajwt_provider_t *p = dc->providers;
    authn_status st = AUTH_USER_NOT_FOUND;
    apr_time_t start = apr_time_now();

    if (!p) {
        fallback.name = "file";
        fallback.provider = ap_lookup_provider(AUTHN_PROVIDER_GROUP, "file",
                                               AUTHN_PROVIDER_VERSION);
        fallback.next = NULL;
        if (!fallback.provider || !fallback.provider->check_password) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02200)
                          "no AuthJWTProvider set and the default 'file' "
                          "provider is not loaded (mod_authn_file): %s",
                          r->uri);
            return AUTH_GENERAL_ERROR;
        }
        p = &fallback;
    }
    for (; p; p = p->next) {
        if (!p->provider || !p->provider->check_password) {
            continue;
        }
        apr_table_setn(r->notes, AUTHN_PROVIDER_NAME_NOTE, p->name);
        st = p->provider->check_password(r, user, password);
        apr_table_unset(r->notes, AUTHN_PROVIDER_NAME_NOTE);
        if (st != AUTH_USER_NOT_FOUND) {
            break;
        }
    }
    if (st == AUTH_GRANTED || st == AUTH_DENIED) {
        ajwt_throttle_check_time(r, endpoint_took(start));
    }
    if (st == AUTH_DENIED || st == AUTH_USER_NOT_FOUND) {
        endpoint_pad(r, password, start, st == AUTH_USER_NOT_FOUND);
    }
    else if (st == AUTH_GENERAL_ERROR) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02201)
                      "authn provider '%s' failed checking user '%s': %s",
                      p ? p->name : "?", user, r->uri);
    }
    return st;
}

/**
 * The value of a column named "sub" among the claims query's columns, or
 * NULL: the subject as the database spells it (an empty value counts as no
 * row: *pbad is set).
 */
static const char *endpoint_claims_sub(int *pbad,
                                       const apr_array_header_t *extra)
{
    int i;

    *pbad = 0;
    for (i = 0; extra && i < extra->nelts; i++) {
        const ajwt_claim_kv_t *kv = &APR_ARRAY_IDX(extra, i, ajwt_claim_kv_t);
        if (!strcmp(kv->name, "sub")) {
            *pbad = (kv->value[0] == '\0');
            return *pbad ? NULL : kv->value;
        }
    }
    return NULL;
}

/**
 * Run the claims query (when configured) for user. No row means the user is
 * deactivated: every family of the user is revoked. A column "sub" names
 * the user's canonical spelling, stored in *psub (else *psub = user); it
 * may differ from user in letter case only.
 * @return AJWT_STORE_OK (*pextra set, NULL without a query),
 *         AJWT_STORE_NO_ROW, AJWT_STORE_INVALID (a sub naming another user:
 *         a configuration error, logged) or AJWT_STORE_UNAVAILABLE.
 */
static ajwt_store_e endpoint_claims(apr_array_header_t **pextra,
                                    const char **psub, request_rec *r,
                                    const ajwt_dir_conf_t *dc,
                                    const char *user, apr_int64_t now)
{
    ajwt_store_e st;
    const char *sub = NULL;
    int bad = 0;

    *pextra = NULL;
    *psub = user;
    if (!dc->claims_query_label) {
        return AJWT_STORE_OK;
    }
    st = ajwt_store_claims(pextra, r, dc->claims_query_label, user);
    if (st == AJWT_STORE_OK) {
        sub = endpoint_claims_sub(&bad, *pextra);
        if (bad) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02210)
                          "AuthJWTClaimsQuery returned an empty 'sub' for "
                          "user '%s': treated as no row", user);
            st = AJWT_STORE_NO_ROW;
        }
        if (sub && ap_cstr_casecmp(sub, user)) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02025)
                          "AuthJWTClaimsQuery returned 'sub' '%s' for user "
                          "'%s': a sub column may only respell the user name "
                          "(letter case), never name another user", sub, user);
            return AJWT_STORE_INVALID;
        }
        *psub = sub ? sub : user;
    }
    if (st == AJWT_STORE_NO_ROW) {
        if (ajwt_store_revoke_user(r, user, now) != AJWT_STORE_OK) {
            return AJWT_STORE_UNAVAILABLE;
        }
        ajwt_audit(r, "revoke", "done", user, "deactivated", NULL);
    }
    return st;
}

/**
 * Sign the access token for sub and send the grant g: the JSON token
 * answer, or in cookie mode both cookies with a 303 to return_to (login,
 * GET refresh) or 200 {"expires_in"} (POST refresh).
 */
static int endpoint_send_grant(request_rec *r, const endpoint_req_t *q,
                               const ajwt_store_grant_t *g, const char *sub,
                               const apr_array_header_t *extra,
                               apr_int64_t now)
{
    const ajwt_dir_conf_t *dc = q->dc;
    apr_int64_t lifetime = ajwt_conf_access_lifetime(dc);
    const char *access;

    if (ajwt_issue_access(&access, r, dc, sub, extra, now) != OK) {
        return ajwt_issue_send_error(r, HTTP_INTERNAL_SERVER_ERROR,
                                     "server_error",
                                     "the token could not be issued");
    }
    if (strlen(access) > ajwt_conf_max_token_size(dc)) {
        /* it would be refused by every location with the same limit */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02026)
                      "issued access token for user '%s' is %" APR_SIZE_T_FMT
                      " bytes, over AuthJWTMaxTokenSize %" APR_SIZE_T_FMT
                      " (too many or too long claims from "
                      "AuthJWTClaimsQuery?)", sub, strlen(access),
                      ajwt_conf_max_token_size(dc));
        return endpoint_server_error(r);
    }
    if (q->flow == FLOW_JSON) {
        ajwt_issue_send_tokens(r, access, lifetime, g->token,
                               g->expires_at - now);
        ajwt_store_purge(r, now);
        return OK;
    }
    if (strlen(access) > AJWT_COOKIE_TOKEN_MAX) {
        /* a browser would drop the cookie: set none, so the new (or
         * rotated) refresh token never reaches the client either */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02401)
                      "issued access token for user '%s' is %" APR_SIZE_T_FMT
                      " bytes, over the %d a cookie can carry "
                      "(AuthJWTDeliveryType Cookie; too many or too long "
                      "claims from AuthJWTClaimsQuery?): no cookie set, %s",
                      sub, strlen(access), AJWT_COOKIE_TOKEN_MAX, r->uri);
        return endpoint_server_error(r);
    }
    endpoint_cookies(r, dc, access, lifetime, g->token, g->expires_at - now);
    ajwt_store_purge(r, now);
    if (q->flow == FLOW_REFRESH_POST) {
        return ajwt_issue_send_expires(r, lifetime);
    }
    return ajwt_issue_send_redirect(r, q->return_to);
}

/** Can this context sign? Logs and answers 500 when it cannot. */
static int endpoint_can_sign(request_rec *r, const ajwt_dir_conf_t *dc)
{
    if (dc->signing_key && ajwt_conf_alg(dc) != AJWT_ALG_UNKNOWN) {
        return OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02202)
                  "no signing key configured for the %s: %s", r->handler,
                  r->uri);
    ajwt_issue_send_error(r, HTTP_INTERNAL_SERVER_ERROR, "server_error",
                          "the server cannot issue tokens");
    return DONE;
}

/* Every Cookie header of a request, joined by "; " (apr_table_do). */
typedef struct {
    apr_pool_t *pool;
    const char *all;
} endpoint_cookies_t;

/** apr_table_do callback: append one Cookie header to the joined text. */
static int endpoint_cookie_line(void *data, const char *key, const char *value)
{
    endpoint_cookies_t *c = data;

    c->all = c->all ? apr_pstrcat(c->pool, c->all, "; ", value, NULL) : value;
    return 1;
}

/**
 * The refresh cookie of dc in r's Cookie headers, or NULL. A name sent
 * twice (an old cookie under another Path) counts as none, logged at info:
 * presenting the wrong one could be a spent token and revoke the family.
 */
static const char *endpoint_refresh_cookie(request_rec *r,
                                           const ajwt_dir_conf_t *dc)
{
    const char *name = ajwt_conf_refresh_cookie(dc), *value;
    endpoint_cookies_t c;

    c.pool = r->pool;
    c.all = NULL;
    apr_table_do(endpoint_cookie_line, &c, r->headers_in, "Cookie", NULL);
    if (ajwt_cookie_find(&value, r->pool, c.all, name) > 1) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02404)
                      "refresh cookie '%s' sent more than once (an old "
                      "cookie under another Path?): none used, client %s",
                      name, r->useragent_ip);
    }
    return (value && *value) ? value : NULL;
}

/**
 * The presented refresh token: the body field refresh_token; in cookie
 * mode, when the body has none, the refresh cookie (endpoint_refresh_cookie).
 * @return OK with *ptoken set (NULL in cookie mode when there is none), or
 *         DONE after sending the 400 for a missing (JSON mode) or
 *         non-string field.
 */
static int endpoint_presented(const char **ptoken, request_rec *r,
                              const endpoint_req_t *q)
{
    if (q->flow == FLOW_JSON
        || ajwt_body_get(ptoken, q->body, "refresh_token") != 0) {
        return endpoint_field(ptoken, r, q->body, "refresh_token");
    }
    *ptoken = endpoint_refresh_cookie(r, q->dc);
    return OK;
}

/**
 * Throttled (AuthJWTThrottle): 429 with Retry-After and slow_down, before
 * any password or token is looked at.
 * @return the handler's status, or DECLINED when the attempt may proceed.
 */
static int endpoint_throttled(request_rec *r, const endpoint_req_t *q,
                              const char *user)
{
    apr_int64_t wait;

    if (!ajwt_conf_throttle(q->dc)
        || (wait = ajwt_throttle_check(r, user)) <= 0) {
        return DECLINED;
    }
    ajwt_audit(r, user ? "login" : "refresh", "failure", user, "throttled",
               NULL);
    apr_table_setn(r->err_headers_out, "Retry-After",
                   apr_psprintf(r->pool, "%" APR_INT64_T_FMT, wait));
    return ajwt_issue_send_error(r, HTTP_TOO_MANY_REQUESTS, "slow_down",
                                 "too many failed attempts, retry later");
}

/** Count a failed attempt for the throttle (when it is on). */
static void endpoint_count_failure(request_rec *r, const endpoint_req_t *q,
                                   const char *user)
{
    if (ajwt_conf_throttle(q->dc)) {
        ajwt_throttle_failure(r, user);
    }
}

/**
 * A cookie-mode refresh without a refresh cookie. The cookie is
 * SameSite=Strict, so a navigation that another site started (a link in a
 * mail, after the access cookie expired) arrives without it: bounce once
 * through a same-origin page, whose own navigation carries it. Nothing is
 * cleared: a request without the cookie says nothing about the session, and
 * clearing would let any site log users out.
 * @return the handler's status.
 */
static int endpoint_no_cookie(request_rec *r, const endpoint_req_t *q)
{
    const char *login = q->dc->login_location;
    const char *again;

    if (q->flow == FLOW_REFRESH_GET && !ap_strstr_c(r->args ? r->args : "",
                                                    "ajwt_bounce=1")) {
        again = ap_escape_html(r->pool,
                               apr_pstrcat(r->pool,
                                           ajwt_url_with_return(
                                               r->pool, r->uri, q->return_to),
                                           "&ajwt_bounce=1", NULL));
        apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
        ap_set_content_type(r, "text/html; charset=utf-8");
        ap_rprintf(r, "<!DOCTYPE html><html><head><meta charset=\"utf-8\">"
                   "<meta http-equiv=\"refresh\" content=\"0;url=%s\">"
                   "<title>Continue</title></head><body><a href=\"%s\">"
                   "Continue</a></body></html>\n", again, again);
        return OK;
    }
    if (q->flow == FLOW_REFRESH_GET && login) {
        return ajwt_issue_send_redirect(
            r, ajwt_url_with_return(r->pool, login, q->return_to));
    }
    return ajwt_issue_send_error(r, HTTP_BAD_REQUEST, "invalid_grant",
                                 BAD_REFRESH);
}

/**
 * The claims of a refreshing user (the claims query, when configured).
 * @return DECLINED to go on (*pextra, *psub set), or the status of the
 *         answer sent: invalid_grant for a deactivated user, 500 for a
 *         misconfigured query, 503 when the database fails.
 */
static int endpoint_refresh_claims(apr_array_header_t **pextra,
                                   const char **psub, request_rec *r,
                                   const endpoint_req_t *q, const char *user,
                                   apr_int64_t now)
{
    switch (endpoint_claims(pextra, psub, r, q->dc, user, now)) {
    case AJWT_STORE_OK:
        return DECLINED;
    case AJWT_STORE_NO_ROW:
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02203)
                      "refresh refused: user '%s' is deactivated, client %s",
                      user, r->useragent_ip);
        return endpoint_fail(r, q, HTTP_BAD_REQUEST, "invalid_grant",
                             BAD_REFRESH);
    case AJWT_STORE_INVALID:
        return endpoint_server_error(r);
    default:
        return endpoint_unavailable(r, q);
    }
}

/** The refresh flow (refresh handler, or login with that grant_type). */
static int endpoint_refresh_grant(request_rec *r, const endpoint_req_t *q)
{
    const ajwt_dir_conf_t *dc = q->dc;
    ajwt_store_policy_t pol;
    ajwt_store_grant_t g;
    apr_array_header_t *extra = NULL;
    const char *presented, *sub = NULL, *user;
    int rc;

    if (endpoint_presented(&presented, r, q) != OK
        || endpoint_can_sign(r, dc) != OK) {
        return OK;
    }
    if ((rc = endpoint_throttled(r, q, NULL)) != DECLINED) {
        return rc;
    }
    if (!presented) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02402)
                      "refresh refused: no refresh cookie '%s', client %s",
                      ajwt_conf_refresh_cookie(dc), r->useragent_ip);
        return endpoint_no_cookie(r, q);
    }
    if (endpoint_policy(&pol, r, dc, endpoint_now()) != OK) {
        return endpoint_server_error(r);
    }
    /* The claims first: a failing query must not spend the token. */
    switch (ajwt_store_peek_user(&user, r, presented)) {
    case AJWT_STORE_OK:
        break;
    case AJWT_STORE_UNAVAILABLE:
        return endpoint_unavailable(r, q);
    default: /* unknown: the rotation below logs and refuses it */
        user = NULL;
    }
    if (user && (rc = endpoint_refresh_claims(&extra, &sub, r, q, user,
                                              pol.now)) != DECLINED) {
        return rc;
    }
    switch (ajwt_store_rotate(&g, r, presented, &pol)) {
    case AJWT_STORE_OK:
        break;
    case AJWT_STORE_UNAVAILABLE:
        return endpoint_unavailable(r, q);
    default: /* invalid, reused, another context (all logged) */
        endpoint_count_failure(r, q, NULL);
        return endpoint_fail(r, q, HTTP_BAD_REQUEST, "invalid_grant",
                             BAD_REFRESH);
    }
    if ((!user || strcmp(user, g.username))
        && (rc = endpoint_refresh_claims(&extra, &sub, r, q, g.username,
                                         pol.now)) != DECLINED) {
        /* the token was unknown a moment ago (or its row changed): the
         * claims of the user the rotation found */
        return rc;
    }
    r->user = apr_pstrdup(r->pool, sub);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02204)
                  "refresh token rotated for user '%s', family '%.8s', "
                  "generation %" APR_INT64_T_FMT, sub, g.family_id,
                  g.generation);
    return endpoint_send_grant(r, q, &g, sub, extra, pol.now);
}

/** A refused login: log why (never the password), answer invalid_grant. */
static int endpoint_login_refused(request_rec *r, const endpoint_req_t *q,
                                  const char *user, const char *reason)
{
    char *word = apr_pstrdup(r->pool, reason), *w = word;
    const char *c;

    endpoint_count_failure(r, q, user);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02205)
                  "login refused for user '%s': %s, client %s", user, reason,
                  r->useragent_ip);
    /* the reason as one word: "deactivated (no claims row)" becomes
     * "deactivated_no_claims_row" */
    for (c = reason; *c; c++) {
        if (apr_isalnum(*c)) {
            *w++ = *c;
        }
        else if (w > word && w[-1] != '_') {
            *w++ = '_';
        }
    }
    while (w > word && w[-1] == '_') {
        w--;
    }
    *w = '\0';
    ajwt_audit(r, "login", "failure", user, word, NULL);
    return endpoint_fail(r, q, HTTP_BAD_REQUEST, "invalid_grant", BAD_LOGIN);
}

/** Password check, claims, new family, answer. */
static int endpoint_password_grant(request_rec *r, const endpoint_req_t *q,
                                   const char *user, const char *password)
{
    const ajwt_dir_conf_t *dc = q->dc;
    ajwt_store_policy_t pol;
    ajwt_store_grant_t g;
    apr_array_header_t *extra;
    const char *sub;
    int rc;

    if ((rc = endpoint_throttled(r, q, user)) != DECLINED) {
        return rc;
    }
    if (!ajwt_body_name_ok(user)) {
        /* never asked of a provider: "mallory " must not be a second
         * spelling of "mallory" (MariaDB ignores trailing spaces) */
        endpoint_pad(r, password, apr_time_now(), 1);
        return endpoint_login_refused(r, q, user,
                                      "not a canonical user name");
    }
    /* the connection first: a provider on mod_dbd (mod_authn_dbd) shares
     * it, checked, instead of meeting a pooled connection lost to a
     * database restart (ajwt_store_connect) */
    if (ajwt_store_connect(r) != AJWT_STORE_OK) {
        return endpoint_unavailable(r, q);
    }
    switch (endpoint_check_password(r, dc, user, password)) {
    case AUTH_GRANTED:
        if (ajwt_conf_throttle(dc)) {
            ajwt_throttle_success(r, user);
        }
        break;
    case AUTH_USER_NOT_FOUND:
        return endpoint_login_refused(r, q, user, "unknown user");
    case AUTH_DENIED:
        return endpoint_login_refused(r, q, user, "wrong password");
    default:
        return endpoint_fail(r, q, HTTP_SERVICE_UNAVAILABLE,
                             "temporarily_unavailable",
                             "the password could not be checked");
    }
    if (endpoint_policy(&pol, r, dc, endpoint_now()) != OK) {
        return endpoint_server_error(r);
    }
    switch (endpoint_claims(&extra, &sub, r, dc, user, pol.now)) {
    case AJWT_STORE_OK:
        break;
    case AJWT_STORE_NO_ROW:
        return endpoint_login_refused(r, q, user,
                                      "deactivated (no claims row)");
    case AJWT_STORE_INVALID:
        return endpoint_server_error(r);
    default:
        return endpoint_unavailable(r, q);
    }
    if (ajwt_store_create_family(&g, r, sub, &pol) != AJWT_STORE_OK) {
        return endpoint_unavailable(r, q);
    }
    r->user = apr_pstrdup(r->pool, sub);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02206)
                  "login of user '%s', new family '%.8s', client %s", sub,
                  g.family_id, r->useragent_ip);
    ajwt_audit(r, "login", "success", sub, NULL, g.family_id);
    return endpoint_send_grant(r, q, &g, sub, extra, pol.now);
}

/**
 * Check grant_type: absent or equal to expected is fine; on the login
 * endpoint "refresh_token" switches to the refresh flow (*pswitch).
 * @return OK, or DONE after sending the error answer.
 */
static int endpoint_grant_type(int *pswitch, request_rec *r,
                               const ajwt_body_t *body, const char *expected,
                               int allow_refresh)
{
    const char *gt;
    int found = ajwt_body_get(&gt, body, "grant_type");

    *pswitch = 0;
    if (found == 0 || (found == 1 && !strcmp(gt, expected))) {
        return OK;
    }
    if (found == 1 && allow_refresh && !strcmp(gt, "refresh_token")) {
        *pswitch = 1;
        return OK;
    }
    if (found < 0) {
        ajwt_issue_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                              "field 'grant_type' must be a string");
    }
    else {
        ajwt_issue_send_error(r, HTTP_BAD_REQUEST, "unsupported_grant_type",
                              "unsupported grant_type");
    }
    return DONE;
}

/** jwt-login-handler. */
static int endpoint_login(request_rec *r, endpoint_req_t *q)
{
    const char *user, *password;
    int to_refresh;

    if (endpoint_grant_type(&to_refresh, r, q->body, "password", 1) != OK) {
        return OK;
    }
    if (to_refresh) {
        if (q->flow == FLOW_LOGIN) {
            q->flow = FLOW_REFRESH_POST;
        }
        return endpoint_refresh_grant(r, q);
    }
    if (endpoint_field(&user, r, q->body, ajwt_conf_form_username(q->dc))
            != OK
        || endpoint_field(&password, r, q->body,
                          ajwt_conf_form_password(q->dc)) != OK
        || endpoint_can_sign(r, q->dc) != OK) {
        return OK;
    }
    return endpoint_password_grant(r, q, user, password);
}

/** jwt-refresh-handler. */
static int endpoint_refresh(request_rec *r, endpoint_req_t *q)
{
    int unused;

    if (endpoint_grant_type(&unused, r, q->body, "refresh_token", 0) != OK) {
        return OK;
    }
    return endpoint_refresh_grant(r, q);
}

/**
 * With AuthJWTRevocationCache: revoke the access token presented with a
 * logout (Bearer header, or the access cookie in cookie mode) until its exp.
 * Called only once the logout revoked a live refresh-token family, so that
 * every entry in the cache costs a login (no loop of refresh and logout
 * can flood it), and only a token this location would accept counts:
 * anything else is nothing to revoke.
 */
static void endpoint_revoke_access(request_rec *r, const endpoint_req_t *q)
{
    const char *token, *jti;
    const ajwt_json_t *payload, *exp;
    ajwt_err_t err;

    if (!ajwt_revoke_enabled()) {
        return;
    }
    token = ajwt_authn_presented_token(
        r, q->flow == FLOW_JSON ? NULL : ajwt_conf_access_cookie(q->dc));
    if (!token) {
        return;
    }
    if (ajwt_authn_token_claims(&payload, r, q->dc, token, &err)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02032)
                      "logout: the access token presented is not revoked: "
                      "%s", err.text);
        return;
    }
    jti = ajwt_json_string(ajwt_json_get(payload, "jti"), NULL);
    exp = ajwt_json_get(payload, "exp");
    if (jti && ajwt_json_is(exp, AJWT_JSON_NUMBER)) {
        ajwt_revoke_token(r, jti, (apr_int64_t)ajwt_json_double(exp),
                          ajwt_conf_leeway(q->dc));
    }
}

/**
 * jwt-logout-handler: revoke the token's family (or all of its user), and
 * with a revocation cache the access token presented. In cookie mode both
 * cookies are cleared whatever happens next, a missing token is nothing to
 * revoke, and the answer is 303 to return_to.
 */
static int endpoint_logout(request_rec *r, endpoint_req_t *q)
{
    ajwt_store_policy_t pol;
    const char *presented, *user;
    int all, revoked;

    if (q->flow != FLOW_JSON) {
        endpoint_clear_cookies(r, q->dc);
    }
    if (endpoint_presented(&presented, r, q) != OK) {
        return OK;
    }
    if (ajwt_body_flag(&all, q->body, "all") < 0) {
        return ajwt_issue_send_error(r, HTTP_BAD_REQUEST, "invalid_request",
                                     "field 'all' must be true or false");
    }
    if (presented) {
        if (endpoint_policy(&pol, r, q->dc, endpoint_now()) != OK) {
            return endpoint_server_error(r);
        }
        if (ajwt_store_revoke_token(&user, &revoked, r, presented, all, &pol)
            != AJWT_STORE_OK) {
            return endpoint_unavailable(r, q);
        }
        if (revoked) {
            endpoint_revoke_access(r, q);
        }
        if (user) {
            ajwt_audit(r, "revoke", "done", user, all ? "logout_all" : "logout",
                       NULL);
        }
    }
    if (q->flow == FLOW_JSON) {
        return ajwt_issue_send_empty(r);
    }
    return ajwt_issue_send_redirect(r, q->return_to);
}

/** jwt-revoke-handler: revoke every family of username (admin). */
static int endpoint_revoke(request_rec *r, endpoint_req_t *q)
{
    const char *user;

    if (!r->user) {
        /* no authentication ran here: this would let anyone log anyone
         * out, so refuse rather than trust the location to be private */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02211)
                      "the jwt-revoke-handler location needs "
                      "authentication (e.g. AuthType JWT and Require "
                      "jwt-claim role admin); request refused: %s", r->uri);
        return ajwt_issue_send_error(r, HTTP_FORBIDDEN, "access_denied",
                                     "authentication required");
    }
    if (endpoint_field(&user, r, q->body, "username") != OK) {
        return OK;
    }
    if (ajwt_store_revoke_user(r, user, endpoint_now()) != AJWT_STORE_OK) {
        return endpoint_unavailable(r, q);
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02207)
                  "user '%s' revoked by '%s', client %s", user,
                  r->user ? r->user : "-", r->useragent_ip);
    ajwt_audit(r, "revoke", "done", user,
               apr_pstrcat(r->pool, "admin:", r->user, NULL), NULL);
    return ajwt_issue_send_empty(r);
}

/** The endpoint function for a handler name, or NULL. */
static endpoint_fn endpoint_lookup(const char *handler)
{
    if (!handler) {
        return NULL;
    }
    if (!strcmp(handler, AJWT_HANDLER_LOGIN)) {
        return endpoint_login;
    }
    if (!strcmp(handler, AJWT_HANDLER_REFRESH)) {
        return endpoint_refresh;
    }
    if (!strcmp(handler, AJWT_HANDLER_LOGOUT)) {
        return endpoint_logout;
    }
    if (!strcmp(handler, AJWT_HANDLER_REVOKE)) {
        return endpoint_revoke;
    }
    return NULL;
}

/**
 * The CSRF rule of contract §5 for cookie-mode POSTs: Sec-Fetch-Site
 * "same-origin" or "none", or an Origin equal to our own
 * scheme://host[:port] (scheme from ap_http_scheme, host[:port] from the
 * Host header). Neither header, "same-site", "cross-site", "null" or
 * another origin: refused.
 * @return 1 when the request may proceed.
 */
static int endpoint_same_origin(request_rec *r)
{
    const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    const char *origin = apr_table_get(r->headers_in, "Origin");
    const char *host = apr_table_get(r->headers_in, "Host");

    if (site && (!ap_cstr_casecmp(site, "same-origin")
                 || !ap_cstr_casecmp(site, "none"))) {
        return 1;
    }
    if (!origin || !host) {
        return 0;
    }
    return !ap_cstr_casecmp(origin, apr_pstrcat(r->pool, ap_http_scheme(r),
                                                "://", host, NULL));
}

/**
 * The checked return_to of a cookie-mode request: the body field
 * return_to, else the query argument return_to; "/" when absent or unsafe
 * (ajwt_url_return_to).
 */
static const char *endpoint_return_to(request_rec *r, const ajwt_body_t *body)
{
    const char *v = NULL;
    apr_table_t *args = NULL;

    if (ajwt_body_get(&v, body, "return_to") != 1) {
        v = NULL;
        if (r->args) {
            ap_args_to_table(r, &args);
            v = apr_table_get(args, "return_to");
        }
    }
    return ajwt_url_return_to(v);
}

/**
 * Run an endpoint once it has a place in the database gate (at most
 * AuthJWTStoreWait seconds of waiting when every pooled connection of the
 * process is busy; then 503 rather than a worker blocked for ever).
 */
static int endpoint_run(endpoint_fn fn, request_rec *r, endpoint_req_t *q)
{
    if (!ajwt_store_gate(r, apr_time_from_sec(ajwt_conf_store_wait(q->dc)))) {
        return endpoint_unavailable(r, q);
    }
    return fn(r, q);
}

/**
 * The cookie-mode flow for fn and the method, or -1 when the method is
 * not allowed: POST everywhere, and GET (not HEAD: httpd gives HEAD the
 * method number of GET, and a HEAD must never rotate) on refresh.
 */
static int endpoint_cookie_flow(request_rec *r, endpoint_fn fn)
{
    if (fn == endpoint_refresh && r->method_number == M_GET
        && !r->header_only) {
        return FLOW_REFRESH_GET;
    }
    if (r->method_number != M_POST) {
        return -1;
    }
    if (fn == endpoint_login) {
        return FLOW_LOGIN;
    }
    return fn == endpoint_refresh ? FLOW_REFRESH_POST : FLOW_LOGOUT;
}

/** The highest bcrypt cost ($2y$/$2a$/$2b$) in the htpasswd file at path
 * (relative to ServerRoot), or 0. Startup only. */
static unsigned endpoint_file_cost(apr_pool_t *p, const char *path)
{
    apr_file_t *f;
    char line[1024];
    unsigned best = 0;

    path = ap_server_root_relative(p, path);
    if (!path || apr_file_open(&f, path, APR_FOPEN_READ, 0, p) != APR_SUCCESS) {
        return 0;
    }
    while (apr_file_gets(line, sizeof(line), f) == APR_SUCCESS) {
        const char *h = strchr(line, ':');

        if (h && h[1] == '$' && h[2] == '2' && h[3] && strchr("yab", h[3])
            && h[4] == '$' && apr_isdigit(h[5]) && apr_isdigit(h[6])) {
            unsigned cost = (unsigned)((h[5] - '0') * 10 + (h[6] - '0'));
            best = cost > best ? cost : best;
        }
    }
    apr_file_close(f);
    return best;
}

/** Walk the configuration: the highest bcrypt cost of any AuthUserFile,
 * and whether a login handler is configured at all. */
static unsigned endpoint_tree_cost(apr_pool_t *p, const ap_directive_t *d,
                                   int *plogin)
{
    unsigned best = 0, c;

    for (; d; d = d->next) {
        if (!ap_cstr_casecmp(d->directive, "AuthUserFile") && d->args) {
            const char *args = d->args;
            c = endpoint_file_cost(p, ap_getword_conf(p, &args));
            best = c > best ? c : best;
        }
        if (!ap_cstr_casecmp(d->directive, "SetHandler") && d->args
            && ap_strstr_c(d->args, "jwt-login-handler")) {
            *plogin = 1;
        }
        if (d->first_child) {
            c = endpoint_tree_cost(p, d->first_child, plogin);
            best = c > best ? c : best;
        }
    }
    return best;
}

int ajwt_endpoint_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    unsigned char salt[16];
    int login = 0;
    unsigned cost = endpoint_tree_cost(ptemp, ap_conftree, &login);
    apr_time_t t0;

    if (!login) {
        return OK;
    }
    if (cost > AJWT_DUMMY_MAX_COST) {
        cost = AJWT_DUMMY_MAX_COST;
    }
    if (cost > 5 && apr_generate_random_bytes(salt, sizeof(salt)) == APR_SUCCESS
        && apr_bcrypt_encode("ajwt-throw-away", cost, salt, sizeof(salt),
                             endpoint_dummy_hash, sizeof(endpoint_dummy_hash))
               != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, AJWT_LOGNO(02212)
                     "cannot make a bcrypt dummy hash of cost %u: unknown "
                     "users are checked at cost 5", cost);
    }
    t0 = apr_time_now();
    (void)apr_password_validate("x", endpoint_dummy_hash);
    endpoint_floor_us = endpoint_took(t0);
    return OK;
}

int ajwt_endpoint_handler(request_rec *r)
{
    endpoint_fn fn = endpoint_lookup(r->handler);
    endpoint_req_t q;
    ajwt_body_t *body = NULL;
    const char *reason;
    int rc, flow, cookie;

    if (!fn) {
        return DECLINED;
    }
    if (!ajwt_config_handler_trusted(r)) {
        /* SetHandler jwt-... in a .htaccess (or AddHandler, RewriteRule
         * [H=]): a directory owner must not run a token endpoint that signs
         * with the server's key */
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02027)
                      "%s refused: token endpoints must be enabled with "
                      "SetHandler in the server configuration (not .htaccess, "
                      "AddHandler or RewriteRule), for %s", r->handler,
                      r->uri);
        return HTTP_FORBIDDEN;
    }
    q.dc = ajwt_config_dir(r);
    cookie = fn != endpoint_revoke
             && ajwt_conf_delivery(q.dc) == AJWT_DELIVERY_COOKIE;
    flow = cookie ? endpoint_cookie_flow(r, fn)
                  : (r->method_number == M_POST ? FLOW_JSON : -1);
    r->allowed = (AP_METHOD_BIT << M_POST);
    if (cookie && fn == endpoint_refresh) {
        r->allowed |= (AP_METHOD_BIT << M_GET);
    }
    if (flow < 0) {
        if (cookie && fn == endpoint_refresh) {
            apr_table_setn(r->headers_out, "Allow", "GET, POST");
        }
        return ajwt_issue_send_error(r, HTTP_METHOD_NOT_ALLOWED,
                                     "invalid_request",
                                     (r->allowed & (AP_METHOD_BIT << M_GET))
                                         ? "use GET or POST"
                                         : "use POST");
    }
    q.flow = (endpoint_flow_e)flow;
    if (q.flow == FLOW_REFRESH_GET) {
        /* a navigation: no body, no Origin rule (the refresh cookie is
         * SameSite=Strict, so a cross-site navigation does not carry it) */
        q.body = ajwt_body_empty(r->pool);
        q.return_to = endpoint_return_to(r, q.body);
        return endpoint_run(fn, r, &q);
    }
    if (cookie && !endpoint_same_origin(r)) {
        const char *origin = apr_table_get(r->headers_in, "Origin");
        const char *site = apr_table_get(r->headers_in, "Sec-Fetch-Site");

        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02403)
                      "cross-site %s refused (Origin '%s', Sec-Fetch-Site "
                      "'%s'), client %s: %s", r->method,
                      origin ? ap_escape_logitem(r->pool, origin) : "-",
                      site ? ap_escape_logitem(r->pool, site) : "-",
                      r->useragent_ip, r->uri);
        return ajwt_issue_send_error(r, HTTP_FORBIDDEN, "access_denied",
                                     "cross-site request refused");
    }
    rc = cookie ? ajwt_body_read_optional(&body, &reason, r)
                : ajwt_body_read(&body, &reason, r);
    if (rc == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02208)
                      "endpoint body over %d bytes refused: %s",
                      AJWT_BODY_MAX, r->uri);
        return ajwt_issue_send_error(r, rc, "invalid_request",
                                     "request body too large");
    }
    if (rc == HTTP_BAD_REQUEST) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02209)
                      "endpoint body refused: %s: %s", reason, r->uri);
        return ajwt_issue_send_error(r, rc, "invalid_request", reason);
    }
    if (rc != OK) {
        return rc;
    }
    q.body = body;
    q.return_to = cookie ? endpoint_return_to(r, body) : "/";
    return endpoint_run(fn, r, &q);
}
