/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_revoke.c: revoked tokens and users in a shared mod_socache (see
 * ajwt_revoke.h). Keys are "ajwt:j:" or "ajwt:u:" and the SHA-256 of the jti
 * or of the user name, exactly as the token's "sub" spells it (the store's
 * user names are case-sensitive too), behind one byte taken from that
 * digest (ajwt_socache_spread: spread over shmcb's subcaches); no user name
 * reaches the cache's own logs. A revoked user's value is the first good
 * second, in decimal.
 *
 * A memcache or redis server that is down answers "not found" to every
 * lookup once apr_memcache/apr_redis has marked it dead, which cannot be
 * told from "not revoked": so when nothing was found, a probe entry is
 * written, at most once a second per process, and a failed write is the
 * cache being out of reach.
 * Glue layer: APR, httpd.
 */
#include <stdlib.h>
#include <string.h>

#include "apr_atomic.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "util_mutex.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_socache.h"
#include "ajwt_token.h"
#include "ajwt_revoke.h"

#define RV_MUTEX_TYPE "auth-jwt-revocation"
/* How long a revoked user stays revoked: 7 days, which covers the access
 * tokens issued before the revocation unless AuthJWTAccessTokenLifetime
 * is set above that (the README says so; a longer-lived token of a revoked
 * user is refused by its refresh family being gone, not by this entry). */
#define RV_USER_MEMORY (7 * 86400)
/* Slack after a revoked token's exp: clock skew between the servers (at
 * least; the location's AuthJWTLeeway when larger). */
#define RV_TOKEN_SLACK 300
/* memcached reads an expiry of more than 30 days as a date: no entry is
 * stored for longer (a token living longer than that outlives its
 * revocation entry; ours live minutes). */
#define RV_MAX_TTL (30 * 86400 - 60)
#define RV_LOG_EVERY 10 /* s between two "cannot reach" lines per process */

static ajwt_socache_t rv_cache = {"AuthJWTRevocationCache", RV_MUTEX_TYPE,
                                  NULL, NULL, NULL, NULL, {0, 0}};
/* per process: the cache answered a write until this second; the last
 * "cannot reach" line was logged at this second */
static apr_uint32_t rv_ok_until;
static apr_uint32_t rv_logged_at;

const char *ajwt_revoke_set_cache(cmd_parms *cmd, void *cfg, const char *arg)
{
    ajwt_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &auth_jwt_module);
    const char *msg = ap_check_cmd_context(cmd, GLOBAL_ONLY);

    if (msg) {
        return msg;
    }
    if ((msg = ajwt_socache_check_spec(cmd, arg)) != NULL) {
        return msg;
    }
    if (ajwt_socache_is_list(arg)) {
        /* apr_memcache/apr_redis spread keys over the servers of a list and
         * move a dead server's keys to the others, where they are "not
         * found": its revocations would be lost without a word */
        return apr_psprintf(cmd->pool,
                            "%s: '%s' names several servers; revocations "
                            "need one store that every server shares (one "
                            "memcached or redis, made highly available on "
                            "its own)", cmd->cmd->name, arg);
    }
    sc->revocation_cache = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

int ajwt_revoke_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    return ap_mutex_register(pconf, RV_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
                   == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

int ajwt_revoke_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    const ajwt_server_conf_t *sc = ajwt_config_server(s);
    static const struct ap_socache_hints hints = {71, 24,
                                                  apr_time_from_sec(600)};

    rv_cache.instance = NULL;
    rv_cache.provider = NULL;
    rv_cache.mutex = NULL;
    if (!sc->revocation_cache) {
        return OK;
    }
    /* shmcb's default of 512 kB holds a few thousand entries: when full it
     * drops the oldest, revocations among them. Give it room for about
     * 50,000 (logouts of the last 10 minutes, plus users). */
    return ajwt_socache_create(&rv_cache,
                               ajwt_socache_sized(ptemp, sc->revocation_cache,
                                                  "ajwt-revocation",
                                                  AJWT_REVOKE_SHMCB_SIZE),
                               "ajwt-revocation", &hints, s, pconf, ptemp);
}

void ajwt_revoke_child_init(apr_pool_t *p, server_rec *s)
{
    ajwt_socache_child_init(&rv_cache, p, s);
}

int ajwt_revoke_enabled(void)
{
    return rv_cache.instance != NULL;
}

/** The cache key of a jti ('j') or a user ('u'), or NULL on failure. */
static const char *rv_key(request_rec *r, char kind, const char *text)
{
    const char *hex;
    ajwt_err_t err;

    if (ajwt_token_digest(&hex, r->pool, text, &err) != APR_SUCCESS) {
        return NULL;
    }
    return ajwt_socache_spread(r->pool, hex,
                               apr_pstrcat(r->pool, kind == 'u' ? "ajwt:u:"
                                                                : "ajwt:j:",
                                           hex, NULL));
}

/** Log that the cache cannot be reached, at most every RV_LOG_EVERY s. */
static void rv_log_unreachable(request_rec *r, apr_status_t rv,
                               const char *what)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_uint32_t last = apr_atomic_read32(&rv_logged_at);

    if (now - last >= RV_LOG_EVERY
        && apr_atomic_cas32(&rv_logged_at, now, last) == last) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AJWT_LOGNO(03010)
                      "AuthJWTRevocationCache '%s' cannot be reached (%s); "
                      "further failures of this process are not logged for "
                      "%d s", rv_cache.spec, what, RV_LOG_EVERY);
    }
}

/**
 * Did the cache answer lately? When it has not for a second, write the
 * probe entry: a provider that lost its server fails the write.
 */
static int rv_reachable(request_rec *r)
{
    apr_uint32_t now = (apr_uint32_t)apr_time_sec(apr_time_now());
    apr_status_t rv;

    if (apr_atomic_read32(&rv_ok_until) >= now) {
        return 1;
    }
    rv = ajwt_socache_put(&rv_cache, r, "ajwt:probe",
                          apr_time_now() + apr_time_from_sec(60),
                          (const unsigned char *)"1", 1);
    if (rv != APR_SUCCESS) {
        rv_log_unreachable(r, rv, "probe write");
        return 0;
    }
    apr_atomic_set32(&rv_ok_until, now + 1);
    return 1;
}

/**
 * Look key up. @return 1 found (value in buf, NUL-terminated), 0 not
 * found, -1 the cache failed.
 */
static int rv_lookup(request_rec *r, const char *key, char *buf,
                     unsigned int size)
{
    unsigned int len = size - 1;
    apr_status_t rv;

    if (!key) {
        return -1;
    }
    rv = ajwt_socache_get(&rv_cache, r, key, (unsigned char *)buf, &len);
    if (rv == APR_SUCCESS) {
        buf[len < size ? len : size - 1] = '\0';
        return 1;
    }
    if (rv == APR_NOTFOUND) {
        return 0;
    }
    /* the next "not found" of this process must be proven by a probe */
    apr_atomic_set32(&rv_ok_until, 0);
    rv_log_unreachable(r, rv, "lookup");
    return -1;
}

/** A string claim of payload, or NULL. */
static const char *string_claim(const ajwt_json_t *payload, const char *name)
{
    return ajwt_json_string(ajwt_json_get(payload, name), NULL);
}

/** The user's first good second, when revoked: 1 found, 0, -1 failure. */
static int rv_user_since(request_rec *r, const char *user, apr_int64_t *psince)
{
    char buf[24];
    int found = rv_lookup(r, rv_key(r, 'u', user), buf, sizeof(buf));

    *psince = found == 1 ? apr_atoi64(buf) : 0;
    return found;
}

int ajwt_revoke_check(request_rec *r, const ajwt_dir_conf_t *dc,
                      const ajwt_json_t *payload, const char *user,
                      ajwt_err_t *err)
{
    const char *jti = string_claim(payload, "jti");
    const char *sub = string_claim(payload, "sub");
    const ajwt_json_t *iat = ajwt_json_get(payload, "iat");
    apr_int64_t since;
    char buf[8];
    int fj = 0, fu;

    if (!rv_cache.instance) {
        return OK;
    }
    if (jti && (fj = rv_lookup(r, rv_key(r, 'j', jti), buf, sizeof(buf)))
                   == 1) {
        ajwt_err_set(err, AJWT_E_REVOKED, "token revoked (logout)");
        return HTTP_UNAUTHORIZED;
    }
    fu = rv_user_since(r, sub ? sub : user, &since);
    if (fu == 1) {
        double issued = ajwt_json_is(iat, AJWT_JSON_NUMBER)
                            ? ajwt_json_double(iat)
                            : -1;
        if (issued < (double)since) {
            ajwt_err_set(err, AJWT_E_REVOKED,
                         "token revoked (its user was revoked after it was "
                         "issued)");
            return HTTP_UNAUTHORIZED;
        }
        if (fj >= 0) {
            return OK; /* both answered */
        }
    }
    else if (fj >= 0 && fu == 0 && rv_reachable(r)) {
        return OK;
    }
    if (ajwt_conf_revocation_failure(dc)) {
        ajwt_err_set(err, AJWT_E_INTERNAL, "revocation cache unreachable");
        return HTTP_SERVICE_UNAVAILABLE;
    }
    return OK; /* open: the token's signature and claims are good */
}

/** The expiry of an entry wanted until until (s): at most RV_MAX_TTL on. */
static apr_time_t rv_expiry(apr_int64_t until)
{
    apr_int64_t now = apr_time_sec(apr_time_now());

    return apr_time_from_sec(until - now > RV_MAX_TTL ? now + RV_MAX_TTL
                             : until);
}

apr_status_t ajwt_revoke_token(request_rec *r, const char *jti,
                               apr_int64_t exp, apr_int64_t leeway)
{
    const char *key = rv_key(r, 'j', jti);
    apr_int64_t until = exp + (leeway > RV_TOKEN_SLACK ? leeway
                                                       : RV_TOKEN_SLACK);
    apr_status_t rv;

    if (!rv_cache.instance) {
        return APR_SUCCESS;
    }
    rv = key ? ajwt_socache_put(&rv_cache, r, key, rv_expiry(until),
                                (const unsigned char *)"1", 1)
             : APR_EGENERAL;
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AJWT_LOGNO(03011)
                      "cannot record the revoked access token '%.8s' in "
                      "AuthJWTRevocationCache '%s': it stays valid until it "
                      "expires", jti, rv_cache.spec);
        return rv;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(03012)
                  "access token '%.8s' revoked until %" APR_INT64_T_FMT, jti,
                  exp);
    return APR_SUCCESS;
}

apr_status_t ajwt_revoke_user(request_rec *r, const char *user)
{
    const char *key = rv_key(r, 'u', user);
    apr_int64_t since = apr_time_sec(apr_time_now()) + 1;
    const char *val = apr_psprintf(r->pool, "%" APR_INT64_T_FMT, since);
    apr_status_t rv;

    if (!rv_cache.instance) {
        return APR_SUCCESS;
    }
    rv = key ? ajwt_socache_put(&rv_cache, r, key,
                                rv_expiry(since + RV_USER_MEMORY),
                                (const unsigned char *)val,
                                (unsigned int)strlen(val))
             : APR_EGENERAL;
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AJWT_LOGNO(03013)
                      "cannot record the revocation of user '%s' in "
                      "AuthJWTRevocationCache '%s': the access tokens "
                      "issued so far stay valid until they expire", user,
                      rv_cache.spec);
        return rv;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(03014)
                  "access tokens of user '%s' issued before %" APR_INT64_T_FMT
                  " revoked", user, since);
    return APR_SUCCESS;
}

void ajwt_revoke_issue_wait(request_rec *r, const char *user,
                            apr_int64_t *pnow)
{
    apr_int64_t since;
    apr_time_t now;

    if (!rv_cache.instance || rv_user_since(r, user, &since) != 1) {
        return;
    }
    now = apr_time_now();
    if (now >= apr_time_from_sec(since)) {
        return;
    }
    if (apr_time_from_sec(since) - now > apr_time_from_sec(1)) {
        /* written by a server whose clock is ahead of ours (or by hand):
         * waiting for it would hold this worker as long; the new token is
         * refused by the other servers until our clock gets there */
        ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AJWT_LOGNO(03016)
                      "user '%s' was revoked until %" APR_INT64_T_FMT
                      ", %" APR_INT64_T_FMT " s ahead of this server's "
                      "clock: the token issued now is refused until then "
                      "(synchronise the clocks)", user, since,
                      since - apr_time_sec(now));
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(03015)
                  "user '%s' was revoked this second: the new token "
                  "waits for the next", user);
    apr_sleep(apr_time_from_sec(since) - now);
    if (*pnow < since) {
        *pnow = since;
    }
}
