/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_revoke.h: immediate revocation of access tokens across servers
 * (AuthJWTRevocationCache, contract §6). Two kinds of entries live in a
 * mod_socache provider shared by the servers (shmcb on one server,
 * memcache or redis across several):
 * - a revoked token: its jti (logout), until the token's exp;
 * - a revoked user: the first second whose tokens are good again (logout
 *   all=true, deactivation, jwt-revoke-handler); every token of that user
 *   with an earlier iat is refused. Issuing a token for that user waits
 *   until that second, so that a new login is never caught by it.
 * Without the directive none of this runs: no lookup on any request.
 * When the cache cannot be reached a protected location lets tokens
 * through (AuthJWTRevocationCacheFailure open, the default) or answers 503
 * (closed), and says so in the error log (at most every 10 s per process).
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_REVOKE_H
#define AJWT_REVOKE_H

#include "httpd.h"
#include "http_config.h"

#include "ajwt_config.h"
#include "ajwt_json.h"
#include "ajwt_err.h"

/** Bytes of shared memory for "AuthJWTRevocationCache shmcb" (no size). */
#define AJWT_REVOKE_SHMCB_SIZE 8388608

/** AuthJWTRevocationCache PROVIDER[:ARGS] (main server config only). */
const char *ajwt_revoke_set_cache(cmd_parms *cmd, void *cfg, const char *arg);

/** pre_config: register the mutex type (Mutex auth-jwt-revocation ...). */
int ajwt_revoke_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp);

/** post_config: create the cache when the directive is set. */
int ajwt_revoke_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s);

/** child_init: attach the cache's mutex. */
void ajwt_revoke_child_init(apr_pool_t *p, server_rec *s);

/** Is a revocation cache configured? */
int ajwt_revoke_enabled(void);

/**
 * The hot-path check of a token whose signature and claims passed: its
 * jti revoked, or its user (the "sub" claim, else user) revoked after its
 * iat (a token without iat counts as issued before).
 * @return OK; HTTP_UNAUTHORIZED with err set (AJWT_E_REVOKED); or, when the
 *         cache cannot be reached and the location's failure mode is
 *         closed, HTTP_SERVICE_UNAVAILABLE.
 */
int ajwt_revoke_check(request_rec *r, const ajwt_dir_conf_t *dc,
                      const ajwt_json_t *payload, const char *user,
                      ajwt_err_t *err);

/**
 * Revoke one access token (its jti) until exp (seconds since the epoch)
 * plus the larger of leeway and 5 minutes (at most 30 days from now).
 * @return APR_SUCCESS, or the cache's error (logged).
 */
apr_status_t ajwt_revoke_token(request_rec *r, const char *jti,
                               apr_int64_t exp, apr_int64_t leeway);

/**
 * Revoke every access token of user issued so far (the user name exactly,
 * as the store and the token's "sub" have it), for 7 days.
 * @return APR_SUCCESS, or the cache's error (logged).
 */
apr_status_t ajwt_revoke_user(request_rec *r, const char *user);

/**
 * Before issuing a token for user at *pnow (seconds): when the user was
 * revoked in this very second, wait for the next one and move *pnow to it,
 * so that the new token's iat is not before the revocation. Never waits
 * more than a second: an entry further ahead (a server whose clock is
 * ahead) is logged and not waited for.
 */
void ajwt_revoke_issue_wait(request_rec *r, const char *user,
                            apr_int64_t *pnow);

#endif /* AJWT_REVOKE_H */
