/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_authn.c: AuthType JWT. The hot path: find the bearer token, verify
 * it against keys parsed at startup, check the claims, set r->user. No disk,
 * no database, nothing allocated outside the request pool. Also the RFC 6750
 * challenges, the 401-to-403 turn for authorization failures, the claim
 * export to CGI/PHP/SSI and the "jwt-claim" authz provider.
 * Glue layer.
 */
#include "apr_strings.h"
#include "apr_lib.h"
#include "apr_thread_proc.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_revoke.h"
#include "ajwt_jws.h"
#include "ajwt_claims.h"
#include "ajwt_authn.h"
#include "ajwt_url.h"
#include "ajwt_cookie.h"
#include "ajwt_vcache.h"

#define AJWT_CLAIM_HEADER "X-JWT-Claim-"
#define AJWT_CLAIM_HEADER_LEN (sizeof(AJWT_CLAIM_HEADER) - 1)
#define AJWT_CLAIM_ENV "JWT_CLAIM_"

/** Is this request under AuthType JWT (case-insensitive, exact)? */
static int is_jwt(request_rec *r)
{
    const char *type = ap_auth_type(r);
    return type && !ap_cstr_casecmp(type, AJWT_AUTH_TYPE);
}

ajwt_request_t *ajwt_authn_state(request_rec *r)
{
    while (r) {
        ajwt_request_t *st = ap_get_module_config(r->request_config,
                                                  &auth_jwt_module);
        if (st) {
            return st;
        }
        r = r->prev ? r->prev : r->main;
    }
    return NULL;
}

/** RFC 6750 b64token characters (plus the trailing '=' it allows). */
static int is_b64token_char(char c)
{
    return apr_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~'
           || c == '+' || c == '/' || c == '=';
}

/**
 * Find a bearer token in an Authorization header value.
 * @return 0 when the header holds no Bearer credentials (another scheme),
 *         1 with *ptoken set, -1 for Bearer with a missing or malformed token
 *         (nothing after it, two tokens, characters outside b64token).
 */
static int bearer_token(const char **ptoken, apr_pool_t *p, const char *hdr)
{
    const char *s = hdr, *e, *t;

    while (*s == ' ' || *s == '\t') {
        s++;
    }
    if (ap_cstr_casecmpn(s, "Bearer", 6)
        || (s[6] && s[6] != ' ' && s[6] != '\t')) {
        return 0;
    }
    for (s += 6; *s == ' ' || *s == '\t'; s++) {
        /* skip the separator */
    }
    for (e = s; *e && is_b64token_char(*e); e++) {
        /* the token */
    }
    for (t = e; *t == ' ' || *t == '\t'; t++) {
        /* trailing blanks */
    }
    if (e == s || *t) {
        return -1;
    }
    *ptoken = apr_pstrmemdup(p, s, (apr_size_t)(e - s));
    return 1;
}

const char *ajwt_authn_presented_token(request_rec *r,
                                      const char *cookie_name)
{
    const char *hdr = apr_table_get(r->headers_in, "Authorization");
    const char *tok = NULL;

    if (hdr) {
        return bearer_token(&tok, r->pool, hdr) == 1 ? tok : NULL;
    }
    if (cookie_name
        && ajwt_cookie_find(&tok, r->pool, apr_table_get(r->headers_in,
                                                         "Cookie"),
                            cookie_name) == 1
        && tok && *tok) {
        return tok;
    }
    return NULL;
}

/** The fixed error_description of each refusal (RFC 6750 §3). */
static const char *describe(ajwt_code_e code)
{
    switch (code) {
    case AJWT_E_TOO_LARGE:
        return "token too large";
    case AJWT_E_ALG:
        return "unexpected algorithm";
    case AJWT_E_KID:
        return "unknown key id";
    case AJWT_E_HEADER:
        return "unsupported token header";
    case AJWT_E_SIGNATURE:
        return "invalid signature";
    case AJWT_E_EXPIRED:
        return "token expired";
    case AJWT_E_NOT_YET_VALID:
        return "token not yet valid";
    case AJWT_E_ISSUER:
        return "wrong issuer";
    case AJWT_E_AUDIENCE:
        return "wrong audience";
    case AJWT_E_CLAIM:
        return "missing or invalid user claim";
    case AJWT_E_REVOKED:
        return "token revoked";
    default:
        return "malformed token";
    }
}

/** Quote a realm for a challenge: backslash before '"' and '\'. */
static const char *quote(apr_pool_t *p, const char *s)
{
    apr_size_t n = 0;
    const char *c;
    char *out, *o;

    for (c = s; *c; c++) {
        n += (*c == '"' || *c == '\\') ? 2 : 1;
    }
    o = out = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        if (*c == '"' || *c == '\\') {
            *o++ = '\\';
        }
        *o++ = *c;
    }
    *o = '\0';
    return out;
}

/** The request the client sent: before internal redirects and sub-requests. */
static request_rec *initial(request_rec *r)
{
    for (;;) {
        while (r->prev) {
            r = r->prev;
        }
        if (!r->main) {
            return r;
        }
        r = r->main;
    }
}

/**
 * The method the client sent. An ErrorDocument redirect turns the failed
 * request's method into GET (keeping the original in its REQUEST_METHOD
 * variable) yet still passes its body on, so neither the redirect's nor
 * the failed request's method field can be trusted for the CSRF rule.
 */
static const char *client_method(request_rec *r)
{
    request_rec *first = initial(r);
    const char *m = apr_table_get(first->subprocess_env, "REQUEST_METHOD");

    return m ? m : first->method;
}

/**
 * CSRF rule for cookie-authenticated requests: safe methods pass; unsafe
 * ones (POST, PUT, PATCH, DELETE and anything else not GET/HEAD/OPTIONS)
 * need an Origin equal to our own scheme://host[:port], or Sec-Fetch-Site
 * "same-origin" or "none". A request with neither header is refused.
 * @return 1 when the request may proceed.
 */
static int same_origin(request_rec *r)
{
    const char *origin, *site, *host;
    const char *method = client_method(r);

    if (!strcmp(method, "GET") || !strcmp(method, "HEAD")
        || !strcmp(method, "OPTIONS")) {
        return 1;
    }
    site = apr_table_get(r->headers_in, "Sec-Fetch-Site");
    if (site && (!ap_cstr_casecmp(site, "same-origin")
                 || !ap_cstr_casecmp(site, "none"))) {
        return 1;
    }
    origin = apr_table_get(r->headers_in, "Origin");
    host = apr_table_get(r->headers_in, "Host");
    if (!origin || !host) {
        return 0;
    }
    return !ap_cstr_casecmp(origin, apr_pstrcat(r->pool, ap_http_scheme(r),
                                                "://", host, NULL));
}

/** Would a token verified under a give the same answer under b? */
static int same_policy(const ajwt_dir_conf_t *a, const ajwt_dir_conf_t *b)
{
    if (a == b) {
        return 1;
    }
    return a->alg == b->alg && a->keys == b->keys
           && a->leeway == b->leeway && a->max_token_size == b->max_token_size
           && !ap_cstr_casecmp(ajwt_conf_user_claim(a), ajwt_conf_user_claim(b))
           && ((!a->iss && !b->iss) || (a->iss && b->iss && !strcmp(a->iss, b->iss)))
           && ((!a->aud && !b->aud) || (a->aud && b->aud && !strcmp(a->aud, b->aud)));
}

/* This process's verified-token cache, created on first use (only
 * processes that serve a location with AuthJWTVerifyCache On pay for it),
 * in its own pool, under apr_thread_once; then only used through its own
 * locks (ajwt_vcache.h). */
static ajwt_vcache_t *authn_vcache;
static apr_pool_t *authn_vcache_pool;
static server_rec *authn_vcache_server;
#if APR_HAS_THREADS
static apr_thread_once_t *authn_vcache_once;
#else
static int authn_vcache_tried;
#endif

void ajwt_authn_child_init(apr_pool_t *p, server_rec *s)
{
    authn_vcache = NULL;
    authn_vcache_server = s;
    if (apr_pool_create(&authn_vcache_pool, p) != APR_SUCCESS) {
        authn_vcache_pool = NULL;
        return;
    }
#if APR_HAS_THREADS
    if (apr_thread_once_init(&authn_vcache_once, p) != APR_SUCCESS) {
        authn_vcache_pool = NULL;
    }
#else
    authn_vcache_tried = 0;
#endif
}

static void vcache_create(void)
{
    apr_status_t rv = ajwt_vcache_create(&authn_vcache, authn_vcache_pool,
                                         AJWT_VCACHE_DEFAULT_ENTRIES);

    if (rv != APR_SUCCESS) {
        authn_vcache = NULL;
        ap_log_error(APLOG_MARK, APLOG_ERR, rv, authn_vcache_server,
                     AJWT_LOGNO(01011) "cannot create the verified-token "
                     "cache: AuthJWTVerifyCache is off in this process");
    }
}

/** This process's verified-token cache, or NULL. */
static ajwt_vcache_t *vcache(void)
{
    if (!authn_vcache_pool) {
        return NULL;
    }
#if APR_HAS_THREADS
    apr_thread_once(authn_vcache_once, vcache_create);
#else
    if (!authn_vcache_tried) {
        authn_vcache_tried = 1;
        vcache_create();
    }
#endif
    return authn_vcache;
}

/**
 * The signature of jws under dc, through the verified-token cache when
 * AuthJWTVerifyCache is on: a hit stands for a verification that succeeded
 * under the same key set and algorithm (*pdigest is then NULL); on a miss
 * *pdigest receives the token's digest so that the caller can remember it
 * once the claims have passed too.
 */
static apr_status_t verify_signature(const unsigned char **pdigest,
                                     request_rec *r, const ajwt_dir_conf_t *dc,
                                     const ajwt_jws_t *jws, const char *token,
                                     ajwt_alg_e alg, ajwt_err_t *err)
{
    ajwt_vcache_t *c = ajwt_conf_verify_cache(dc) ? vcache() : NULL;
    unsigned char *digest;

    *pdigest = NULL;
    if (c) {
        digest = apr_palloc(r->pool, AJWT_VCACHE_DIGEST_LEN);
        if (ajwt_vcache_digest(digest, token, strlen(token), err)
            != APR_SUCCESS) {
            return APR_EGENERAL;
        }
        if (ajwt_vcache_lookup(c, digest, dc->keys, (int)alg,
                               r->request_time)) {
            ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                          "signature known from the verify cache");
            return APR_SUCCESS;
        }
        *pdigest = digest;
    }
    return ajwt_jws_verify(jws, r->pool, alg, dc->keys, err);
}

/** Remember a token whose signature and claims passed, until its exp. */
static void remember(request_rec *r, const ajwt_dir_conf_t *dc,
                     const unsigned char *digest, ajwt_alg_e alg,
                     const ajwt_json_t *payload)
{
    const ajwt_json_t *exp = ajwt_json_get(payload, "exp");

    /* ajwt_claims_check has made sure exp is a number in range */
    if (digest && ajwt_json_is(exp, AJWT_JSON_NUMBER)) {
        ajwt_vcache_insert(authn_vcache, digest, dc->keys, (int)alg,
                           (apr_time_t)(ajwt_json_double(exp)
                                        * APR_USEC_PER_SEC),
                           r->request_time);
    }
}

/** The claims rules of dc, at this moment. */
static void claims_policy(ajwt_claims_policy_t *policy,
                          const ajwt_dir_conf_t *dc)
{
    policy->now = (double)apr_time_now() / APR_USEC_PER_SEC;
    policy->leeway = ajwt_conf_leeway(dc);
    policy->iss = dc->iss;
    policy->aud = dc->aud;
    policy->user_claim = ajwt_conf_user_claim(dc);
}

apr_status_t ajwt_authn_token_claims(const ajwt_json_t **ppayload,
                                     request_rec *r,
                                     const ajwt_dir_conf_t *dc,
                                     const char *token, ajwt_err_t *err)
{
    ajwt_alg_e alg = ajwt_conf_alg(dc);
    ajwt_claims_policy_t policy;
    ajwt_jws_t *jws;
    const char *user;

    *ppayload = NULL;
    if (alg == AJWT_ALG_UNKNOWN || !dc->keys || dc->keys->nelts == 0) {
        return ajwt_err_set(err, AJWT_E_KEY, "no verification key here");
    }
    claims_policy(&policy, dc);
    if (ajwt_jws_parse(&jws, r->pool, token, ajwt_conf_max_token_size(dc),
                       err) != APR_SUCCESS
        || ajwt_jws_verify(jws, r->pool, alg, dc->keys, err) != APR_SUCCESS
        || ajwt_claims_check(&user, jws->payload, &policy, err)
               != APR_SUCCESS) {
        return APR_EINVAL;
    }
    *ppayload = jws->payload;
    return APR_SUCCESS;
}

/**
 * Verify st->token under dc and record the outcome in st.
 * @return OK (st->outcome 1, st->user set), HTTP_UNAUTHORIZED (refused,
 *         logged at INFO) or HTTP_INTERNAL_SERVER_ERROR (logged at ERR).
 */
static int verify(request_rec *r, const ajwt_dir_conf_t *dc,
                  ajwt_request_t *st)
{
    ajwt_alg_e alg = ajwt_conf_alg(dc);
    ajwt_claims_policy_t policy;
    ajwt_jws_t *jws = NULL;
    const unsigned char *digest = NULL;
    int revoked;

    if (alg == AJWT_ALG_UNKNOWN || !dc->keys || dc->keys->nelts == 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(01001)
                      "AuthType JWT needs AuthJWTSignatureAlgorithm and a key "
                      "for %s", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    claims_policy(&policy, dc);
    if (ajwt_jws_parse(&jws, r->pool, st->token, ajwt_conf_max_token_size(dc),
                       &st->err) == APR_SUCCESS
        && verify_signature(&digest, r, dc, jws, st->token, alg, &st->err)
               == APR_SUCCESS
        && ajwt_claims_check(&st->user, jws->payload, &policy, &st->err)
               == APR_SUCCESS) {
        remember(r, dc, digest, alg, jws->payload);
        revoked = ajwt_revoke_enabled()
                      ? ajwt_revoke_check(r, dc, jws->payload, st->user,
                                          &st->err)
                      : OK;
        if (revoked == HTTP_SERVICE_UNAVAILABLE) {
            st->outcome = -1; /* AuthJWTRevocationCacheFailure closed */
            return revoked;
        }
        if (revoked == OK) {
            st->outcome = 1;
            st->payload = jws->payload;
            st->policy = dc;
            return OK;
        }
    }
    st->outcome = -1;
    if (st->err.code == AJWT_E_INTERNAL || st->err.code == AJWT_E_KEY) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(01002)
                      "cannot verify token: %s, for %s", st->err.text, r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(01003)
                  "bearer token rejected: %s (kid '%.64s'), for %s", st->err.text,
                  (jws && jws->kid) ? jws->kid : "", r->uri);
    return HTTP_UNAUTHORIZED;
}

/**
 * Find the token of r: the Authorization: Bearer header, else (with
 * AuthJWTCookieName) the access cookie, else the cookie token an earlier
 * request of this chain read (the fixups hide the cookie from the
 * application, and internal redirects share the headers).
 * @return 1 with st->token set, 0 for none, -1 for a malformed Bearer header.
 */
static int find_token(request_rec *r, const ajwt_dir_conf_t *dc,
                      ajwt_request_t *st)
{
    const char *hdr = apr_table_get(r->headers_in,
                                    (r->proxyreq == PROXYREQ_PROXY)
                                        ? "Proxy-Authorization"
                                        : "Authorization");
    ajwt_request_t *prior;
    int found = hdr ? bearer_token(&st->token, r->pool, hdr) : 0, n;

    if (found || !dc->cookie_name) {
        return found;
    }
    /* a cookie sent twice (two Paths, or one tossed in by a sibling
     * domain) is no token: refused quietly, never logged at error level */
    n = ajwt_cookie_find(&st->token, r->pool,
                         apr_table_get(r->headers_in, "Cookie"),
                         dc->cookie_name);
    if (n == 1 && st->token && *st->token) {
        st->from_cookie = 1;
        return 1;
    }
    st->token = NULL;
    if (n > 1) {
        /* refused like an invalid token: to the login page, never through
         * a refresh that could not fix it (a redirect loop) */
        st->outcome = -1;
        ajwt_err_set(&st->err, AJWT_E_MALFORMED, "access cookie sent twice");
        return 0;
    }
    prior = ajwt_authn_state(r->prev ? r->prev : r->main);
    if (prior && prior->from_cookie && prior->token) {
        st->token = prior->token;
        st->from_cookie = 1;
        return 1;
    }
    return 0;
}

/**
 * Answer a request without a valid token: a browser navigation goes to
 * AuthJWTRefreshLocation (no token, or an expired one: the browser drops an
 * access cookie when its Max-Age ends) or AuthJWTLoginRequiredLocation
 * (any other refusal, or no refresh location) with return_to; everything
 * else gets the 401 challenge.
 * @return HTTP_MOVED_TEMPORARILY or HTTP_UNAUTHORIZED.
 */
static int refuse(request_rec *r, const ajwt_dir_conf_t *dc,
                  const ajwt_request_t *st)
{
    const char *to = NULL;
    request_rec *first = initial(r);

    if (ajwt_url_is_navigation(apr_table_get(r->headers_in, "Accept"),
                               apr_table_get(r->headers_in,
                                             "X-Requested-With"))) {
        int expired = st->outcome == 0 || st->err.code == AJWT_E_EXPIRED;
        to = (expired && dc->refresh_location) ? dc->refresh_location
                                               : dc->login_location;
    }
    if (!to) {
        ap_note_auth_failure(r);
        return HTTP_UNAUTHORIZED;
    }
    apr_table_setn(r->headers_out, "Location",
                   ajwt_url_with_return(r->pool, to,
                                        ajwt_url_return_to(
                                            first->unparsed_uri)));
    apr_table_setn(r->err_headers_out, "Cache-Control", "no-store");
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(01010)
                  "browser navigation without a valid token sent to %s, "
                  "for %s", to, r->uri);
    return HTTP_MOVED_TEMPORARILY;
}

int ajwt_authn_check(request_rec *r)
{
    const ajwt_dir_conf_t *dc;
    ajwt_request_t *st, *prior;
    int found, rv;

    if (!is_jwt(r)) {
        return DECLINED;
    }
    if (!ap_auth_name(r)) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(01004)
                      "AuthType JWT without AuthName, for %s", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    r->ap_auth_type = (char *)AJWT_AUTH_TYPE;
    dc = ajwt_config_dir(r);
    st = apr_pcalloc(r->pool, sizeof(*st));
    ap_set_module_config(r->request_config, &auth_jwt_module, st);
    found = find_token(r, dc, st);
    if (found < 0) {
        st->outcome = -1;
        ajwt_err_set(&st->err, AJWT_E_MALFORMED, "malformed bearer credentials");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(01005)
                      "malformed Authorization: Bearer header, for %s", r->uri);
        return refuse(r, dc, st);
    }
    if (!found) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(01006)
                      "no bearer token, for %s", r->uri);
        return refuse(r, dc, st);
    }

    /* A redirect or sub-request of a request that verified this very token
     * under the same rules reuses the result. */
    prior = ajwt_authn_state(r->prev ? r->prev : r->main);
    if (prior && prior->outcome == 1 && !strcmp(prior->token, st->token)
        && same_policy(prior->policy, dc)) {
        ap_set_module_config(r->request_config, &auth_jwt_module, prior);
        r->user = (char *)prior->user;
        return OK;
    }
    rv = verify(r, dc, st);
    if (rv == OK && st->from_cookie && !same_origin(r)) {
        /* refused: never a verified state that an ErrorDocument redirect
         * or a sub-request could reuse */
        st->outcome = -1;
        ajwt_err_set(&st->err, AJWT_E_HEADER, "cross-site request");
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(01009)
                      "cross-site %s with a cookie token refused for user "
                      "'%s', for %s", client_method(r), st->user, r->uri);
        return HTTP_FORBIDDEN;
    }
    if (rv == OK) {
        r->user = apr_pstrdup(r->pool, st->user);
        ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                      "token accepted for user '%s'", r->user);
    }
    return rv == HTTP_UNAUTHORIZED ? refuse(r, dc, st) : rv;
}

int ajwt_authn_note_failure(request_rec *r, const char *auth_type)
{
    ajwt_request_t *st;
    const char *realm, *value;

    if (!auth_type || ap_cstr_casecmp(auth_type, AJWT_AUTH_TYPE)) {
        return DECLINED;
    }
    st = ajwt_authn_state(r);
    if (st && st->outcome == 1 && r->user) {
        return OK; /* an authorization failure: answered with 403 */
    }
    realm = quote(r->pool, ap_auth_name(r) ? ap_auth_name(r) : "");
    if (st && st->outcome < 0) {
        value = apr_psprintf(r->pool,
                             "Bearer realm=\"%s\", error=\"invalid_token\", "
                             "error_description=\"%s\"",
                             realm, describe(st->err.code));
    }
    else {
        value = apr_psprintf(r->pool, "Bearer realm=\"%s\"", realm);
    }
    apr_table_setn(r->err_headers_out,
                   (r->proxyreq == PROXYREQ_PROXY) ? "Proxy-Authenticate"
                                                   : "WWW-Authenticate",
                   value);
    return OK;
}

int ajwt_authn_authz_forbid(request_rec *r)
{
    ajwt_request_t *st;
    int rv;

    if (!is_jwt(r) || !r->user) {
        return DECLINED;
    }
    st = ajwt_authn_state(r);
    if (!st || st->outcome != 1 || st->in_authz) {
        return DECLINED;
    }
    st->in_authz = 1;
    rv = ap_run_auth_checker(r);
    st->in_authz = 0;
    if (rv == HTTP_UNAUTHORIZED) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(01007)
                      "user '%s' is authenticated but not authorized, for %s",
                      r->user, r->uri);
        apr_table_unset(r->err_headers_out, "WWW-Authenticate");
        return HTTP_FORBIDDEN;
    }
    return rv;
}

/**
 * Is name an X-JWT-Claim-* header, ignoring case and treating '_' as '-'?
 * Back ends that fold '_' into '-' (many do) must not see a forged
 * "X_JWT_Claim_role" either.
 */
static int is_claim_header(const char *name)
{
    apr_size_t i;

    for (i = 0; i < AJWT_CLAIM_HEADER_LEN; i++) {
        char c = name[i] == '_' ? '-' : name[i];
        if (!c || apr_tolower(c) != apr_tolower(AJWT_CLAIM_HEADER[i])) {
            return 0;
        }
    }
    return 1;
}

/** Remove every incoming X-JWT-Claim-* header: no client may forge them. */
static void strip_claim_headers(request_rec *r)
{
    const apr_array_header_t *arr = apr_table_elts(r->headers_in);
    const apr_table_entry_t *e = (const apr_table_entry_t *)arr->elts;
    apr_array_header_t *drop = NULL;
    int i;

    for (i = 0; i < arr->nelts; i++) {
        if (e[i].key && is_claim_header(e[i].key)) {
            if (!drop) {
                drop = apr_array_make(r->pool, 2, sizeof(const char *));
            }
            APR_ARRAY_PUSH(drop, const char *) = e[i].key;
        }
    }
    for (i = 0; drop && i < drop->nelts; i++) {
        apr_table_unset(r->headers_in, APR_ARRAY_IDX(drop, i, const char *));
    }
}

/** The handler that answers a preflight let through (never the location's
 * own handler: a CGI or PHP script would run for OPTIONS too). */
#define AJWT_PREFLIGHT_HANDLER "jwt-preflight (internal)"

int ajwt_authn_preflight(request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    ajwt_request_t *st;

    if (!is_jwt(r) || r->method_number != M_OPTIONS
        || !ajwt_conf_allow_preflight(ajwt_config_dir(r))
        || !apr_table_get(r->headers_in, "Origin")
        || !apr_table_get(r->headers_in, "Access-Control-Request-Method")
        || apr_table_get(r->headers_in, "Transfer-Encoding")
        || (cl && strcmp(cl, "0"))) {
        return DECLINED; /* a preflight has no body */
    }
    st = apr_pcalloc(r->pool, sizeof(*st));
    st->preflight = 1;
    ap_set_module_config(r->request_config, &auth_jwt_module, st);
    ap_log_rerror(APLOG_MARK, APLOG_TRACE1, 0, r,
                  "CORS preflight let through without a token: %s", r->uri);
    return OK;
}

int ajwt_authn_preflight_handler(request_rec *r)
{
    if (!r->handler || strcmp(r->handler, AJWT_PREFLIGHT_HANDLER)) {
        return DECLINED;
    }
    /* 204 and Allow; CORS headers come from the admin's Header directives */
    apr_table_setn(r->headers_out, "Allow", "GET, HEAD, POST, OPTIONS");
    r->status = HTTP_NO_CONTENT;
    return OK;
}

/** Hide the token cookies from the application (AuthJWTPassCookie Off). */
static void hide_cookies(request_rec *r, const ajwt_dir_conf_t *dc)
{
    const char *cookie = apr_table_get(r->headers_in, "Cookie");
    const char *rest;

    if (!cookie || !dc->cookie_name || ajwt_conf_pass_cookie(dc)) {
        return;
    }
    rest = ajwt_cookie_without(r->pool, cookie, dc->cookie_name,
                                    ajwt_conf_refresh_cookie(dc));
    if (rest) {
        apr_table_setn(r->headers_in, "Cookie", rest);
    }
    else {
        apr_table_unset(r->headers_in, "Cookie");
    }
}

int ajwt_authn_fixups(request_rec *r)
{
    const ajwt_dir_conf_t *dc = ajwt_config_dir(r);
    const apr_array_header_t *kvs;
    ajwt_request_t *st;
    int i, headers;

    /* the token cookies reach no application, protected or not (a public
     * phpinfo() page must not show a working bearer token); our own
     * handlers read them */
    if (!r->handler || strncmp(r->handler, "jwt-", 4)) {
        hide_cookies(r, dc);
    }
    if (!is_jwt(r)) {
        return DECLINED;
    }
    strip_claim_headers(r);
    st = ajwt_authn_state(r);
    if (st && st->preflight) {
        r->handler = AJWT_PREFLIGHT_HANDLER;
        return OK;
    }
    if (!st || st->outcome != 1 || !r->user
        || ajwt_conf_export_mode(dc) == AJWT_EXPORT_NONE) {
        return DECLINED;
    }
    kvs = ajwt_claims_export(r->pool, st->payload,
                             ajwt_conf_export_mode(dc) == AJWT_EXPORT_LIST
                                 ? dc->export_names
                                 : NULL);
    headers = ajwt_conf_claim_headers(dc);
    for (i = 0; i < kvs->nelts; i++) {
        const ajwt_claim_kv_t *kv = &APR_ARRAY_IDX(kvs, i, ajwt_claim_kv_t);
        apr_table_setn(r->subprocess_env,
                       apr_pstrcat(r->pool, AJWT_CLAIM_ENV, kv->name, NULL),
                       kv->value);
        if (headers) {
            apr_table_setn(r->headers_in,
                           apr_pstrcat(r->pool, AJWT_CLAIM_HEADER, kv->name,
                                       NULL),
                           kv->value);
        }
    }
    return OK;
}

/* ------------------------------------------------------------------------ */
/* Require jwt-claim NAME VALUE...                                           */

static const char *claim_parse(cmd_parms *cmd, const char *line,
                               const void **parsed)
{
    apr_array_header_t *words = apr_array_make(cmd->pool, 4, sizeof(char *));
    const char *t = line;

    while (*t) {
        char *w = ap_getword_conf(cmd->pool, &t);
        if (*w) {
            APR_ARRAY_PUSH(words, char *) = w;
        }
    }
    if (words->nelts < 2) {
        return "Require jwt-claim: give a claim name and at least one value";
    }
    *parsed = words;
    return NULL;
}

static authz_status claim_check(request_rec *r, const char *line,
                                const void *parsed)
{
    const apr_array_header_t *words = parsed;
    const char *name = APR_ARRAY_IDX(words, 0, const char *);
    ajwt_request_t *st;
    const ajwt_json_t *claim;
    int i;

    if (!r->user) {
        return AUTHZ_DENIED_NO_USER;
    }
    st = ajwt_authn_state(r);
    if (!st || st->outcome != 1) {
        return AUTHZ_DENIED;
    }
    claim = ajwt_claims_lookup(st->payload, name);
    for (i = 1; claim && i < words->nelts; i++) {
        if (ajwt_claims_match(claim, APR_ARRAY_IDX(words, i, const char *))) {
            return AUTHZ_GRANTED;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(01008)
                  "Require jwt-claim '%s' not met by user '%s', for %s", name,
                  r->user, r->uri);
    return AUTHZ_DENIED;
}

static const authz_provider claim_provider = {
    &claim_check,
    &claim_parse,
};

void ajwt_authz_register(apr_pool_t *p)
{
    ap_register_auth_provider(p, AUTHZ_PROVIDER_GROUP, "jwt-claim",
                              AUTHZ_PROVIDER_VERSION, &claim_provider,
                              AP_AUTH_INTERNAL_PER_CONF);
}
