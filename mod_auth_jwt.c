/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * mod_auth_jwt: JWT access tokens and database-backed refresh tokens for
 * Apache httpd 2.4. This file is the module record and hook registration
 * only; the work lives in modules/:
 *   ajwt_config   directives, server/dir configuration
 *   ajwt_authn    AuthType JWT, challenges, claim export, Require jwt-claim
 *   ajwt_endpoint login / refresh / logout / revoke handlers
 *   ajwt_store    refresh tokens over mod_dbd
 *   ajwt_b64url, ajwt_json, ajwt_key, ajwt_jws, ajwt_claims, ajwt_token:
 *                 the httpd-free token layers, unit-tested alone
 */
#define AJWT_MODULE_FILE
#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"
#include "http_request.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_authn.h"
#include "ajwt_endpoint.h"
#include "ajwt_jwks.h"
#include "ajwt_store.h"
#include "ajwt_throttle.h"
#include "ajwt_revoke.h"

/** pconf cleanup: the fetched algorithms go with the configuration. */
static apr_status_t ajwt_crypto_cleanup(void *data)
{
    ajwt_crypto_release();
    return APR_SUCCESS;
}

/** pre_config: fetch the OpenSSL algorithms once, before any key is read;
 * released with the configuration pool (after the keys that use them). */
static int ajwt_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp)
{
    ajwt_err_t err;

    apr_pool_cleanup_register(pconf, NULL, ajwt_crypto_cleanup,
                              apr_pool_cleanup_null);
    if (ajwt_crypto_init(&err) != APR_SUCCESS) {
        ap_log_perror(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, plog,
                      AJWT_LOGNO(00001) "cannot initialise OpenSSL: %s",
                      err.text);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

/** check_config: whole-configuration checks, seen by configtest too. */
static int ajwt_check_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp, server_rec *s)
{
    ajwt_store_check_reconnect(s);
    return ajwt_config_check(ptemp, s);
}

static void ajwt_register_hooks(apr_pool_t *p)
{
    /* Our statements must be registered before mod_dbd prepares them. */
    static const char *const before_dbd[] = {"mod_dbd.c", NULL};
    /* The 401-to-403 turn wraps mod_authz_core's authorization. */
    static const char *const before_authz[] = {"mod_authz_core.c", NULL};

    ap_hook_pre_config(ajwt_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_config(ajwt_throttle_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_pre_config(ajwt_revoke_pre_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_config(ajwt_check_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ajwt_store_post_config, NULL, before_dbd,
                        APR_HOOK_MIDDLE);
    ap_hook_post_config(ajwt_config_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ajwt_throttle_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ajwt_revoke_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_post_config(ajwt_endpoint_post_config, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ajwt_throttle_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ajwt_revoke_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ajwt_store_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_child_init(ajwt_authn_child_init, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_check_access_ex(ajwt_authn_preflight, NULL, NULL, APR_HOOK_FIRST,
                            AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authn(ajwt_authn_check, NULL, NULL, APR_HOOK_MIDDLE,
                        AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_check_authz(ajwt_authn_authz_forbid, NULL, before_authz,
                        APR_HOOK_LAST, AP_AUTH_INTERNAL_PER_CONF);
    ap_hook_note_auth_failure(ajwt_authn_note_failure, NULL, NULL,
                              APR_HOOK_MIDDLE);
    ap_hook_fixups(ajwt_authn_fixups, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ajwt_authn_preflight_handler, NULL, NULL,
                    APR_HOOK_REALLY_FIRST);
    ap_hook_handler(ajwt_endpoint_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ap_hook_handler(ajwt_jwks_handler, NULL, NULL, APR_HOOK_MIDDLE);
    ajwt_authz_register(p);
}

AP_DECLARE_MODULE(auth_jwt) = {
    STANDARD20_MODULE_STUFF,
    ajwt_config_create_dir,
    ajwt_config_merge_dir,
    ajwt_config_create_server,
    ajwt_config_merge_server,
    ajwt_config_cmds,
    ajwt_register_hooks,
#if defined(AP_MODULE_FLAG_NONE)
    AP_MODULE_FLAG_ALWAYS_MERGE
#endif
};
