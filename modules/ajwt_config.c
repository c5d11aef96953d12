/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_config.c: configuration structs, the directive table and the
 * directive handlers. Values are parsed and validated when the directive is
 * read, key files included, so `apachectl configtest` names the file and line
 * of any bad value; the cross-checks that need the merged picture run in the
 * check_config hook (ajwt_config_check).
 * Glue layer.
 */
#include <errno.h>

#include "apr_strings.h"
#include "apr_file_io.h"
#include "apr_lib.h"

#include "httpd.h"
#include "http_config.h"
#include "http_core.h"
#include "http_log.h"
#include "ap_provider.h"
#include "mod_auth.h"

#include "ajwt_private.h"
#include "ajwt_b64url.h"
#include "ajwt_config.h"
#include "ajwt_jwk.h"
#include "ajwt_store.h"
#include "ajwt_throttle.h"
#include "ajwt_revoke.h"

#define AJWT_KEYFILE_MAX (1024 * 1024)

#define AJWT_MERGE_INT(f) (n->f = (add->f != AJWT_UNSET) ? add->f : base->f)
#define AJWT_MERGE_PTR(f) (n->f = (add->f != NULL) ? add->f : base->f)

/* ------------------------------------------------------------------------ */
/* create and merge                                                          */

void *ajwt_config_create_server(apr_pool_t *p, server_rec *s)
{
    ajwt_server_conf_t *sc = apr_pcalloc(p, sizeof(*sc));
    sc->refresh_table = NULL;
    sc->throttle_cache = NULL;
    sc->revocation_cache = NULL;
    return sc;
}

void *ajwt_config_merge_server(apr_pool_t *p, void *basev, void *addv)
{
    const ajwt_server_conf_t *base = basev, *add = addv;
    ajwt_server_conf_t *n = apr_pcalloc(p, sizeof(*n));
    AJWT_MERGE_PTR(refresh_table);
    AJWT_MERGE_PTR(throttle_cache);
    AJWT_MERGE_PTR(revocation_cache);
    return n;
}

void *ajwt_config_create_dir(apr_pool_t *p, char *dir)
{
    ajwt_dir_conf_t *dc = apr_pcalloc(p, sizeof(*dc));
    dc->alg = AJWT_UNSET;
    dc->keys = NULL;
    dc->signing_key = NULL;
    dc->alg_source = NULL;
    dc->iss = NULL;
    dc->aud = NULL;
    dc->leeway = AJWT_UNSET;
    dc->max_token_size = AJWT_UNSET;
    dc->user_claim = NULL;
    dc->export_mode = AJWT_UNSET;
    dc->export_names = NULL;
    dc->claim_headers = AJWT_UNSET;
    dc->cookie_name = NULL;
    dc->pass_cookie = AJWT_UNSET;
    dc->throttle = AJWT_UNSET;
    dc->store_wait = AJWT_UNSET;
    dc->login_location = NULL;
    dc->refresh_location = NULL;
    dc->allow_preflight = AJWT_UNSET;
    dc->verify_cache = AJWT_UNSET;
    dc->revocation_failure = AJWT_UNSET;
    dc->delivery = AJWT_UNSET;
    dc->refresh_cookie_name = NULL;
    dc->cookie_secure = AJWT_UNSET;
    dc->cookie_path = NULL;
    dc->refresh_cookie_path = NULL;
    dc->providers = NULL;
    dc->form_username = NULL;
    dc->form_password = NULL;
    dc->access_lifetime = AJWT_UNSET;
    dc->refresh_lifetime = AJWT_UNSET;
    dc->family_lifetime = AJWT_UNSET;
    dc->reuse_interval = AJWT_UNSET;
    dc->claims_query_label = NULL;
    return dc;
}

void *ajwt_config_merge_dir(apr_pool_t *p, void *basev, void *addv)
{
    const ajwt_dir_conf_t *base = basev, *add = addv;
    ajwt_dir_conf_t *n = apr_pcalloc(p, sizeof(*n));

    AJWT_MERGE_INT(alg);
    AJWT_MERGE_PTR(keys);
    AJWT_MERGE_PTR(signing_key);
    AJWT_MERGE_PTR(alg_source);
    AJWT_MERGE_PTR(iss);
    AJWT_MERGE_PTR(aud);
    AJWT_MERGE_INT(leeway);
    AJWT_MERGE_INT(max_token_size);
    AJWT_MERGE_PTR(user_claim);
    AJWT_MERGE_INT(export_mode);
    AJWT_MERGE_PTR(export_names);
    AJWT_MERGE_INT(claim_headers);
    AJWT_MERGE_PTR(cookie_name);
    AJWT_MERGE_INT(pass_cookie);
    AJWT_MERGE_INT(throttle);
    AJWT_MERGE_INT(store_wait);
    AJWT_MERGE_PTR(login_location);
    AJWT_MERGE_PTR(refresh_location);
    AJWT_MERGE_INT(allow_preflight);
    AJWT_MERGE_INT(verify_cache);
    AJWT_MERGE_INT(revocation_failure);
    AJWT_MERGE_INT(delivery);
    AJWT_MERGE_PTR(refresh_cookie_name);
    AJWT_MERGE_INT(cookie_secure);
    AJWT_MERGE_PTR(cookie_path);
    AJWT_MERGE_PTR(refresh_cookie_path);
    AJWT_MERGE_PTR(providers);
    AJWT_MERGE_PTR(form_username);
    AJWT_MERGE_PTR(form_password);
    AJWT_MERGE_INT(access_lifetime);
    AJWT_MERGE_INT(refresh_lifetime);
    AJWT_MERGE_INT(family_lifetime);
    AJWT_MERGE_INT(reuse_interval);
    AJWT_MERGE_PTR(claims_query_label);
    return n;
}

/* ------------------------------------------------------------------------ */
/* getters                                                                   */

const ajwt_dir_conf_t *ajwt_config_dir(const request_rec *r)
{
    return ap_get_module_config(r->per_dir_config, &auth_jwt_module);
}

const ajwt_server_conf_t *ajwt_config_server(const server_rec *s)
{
    return ap_get_module_config(s->module_config, &auth_jwt_module);
}

#define AJWT_GET(type, name, field, dflt)                                    \
    type ajwt_conf_##name(const ajwt_dir_conf_t *dc)                         \
    {                                                                        \
        return (dc->field != AJWT_UNSET) ? (type)dc->field : (type)(dflt);   \
    }
#define AJWT_GET_STR(name, field, dflt)                                      \
    const char *ajwt_conf_##name(const ajwt_dir_conf_t *dc)                  \
    {                                                                        \
        return dc->field ? dc->field : (dflt);                               \
    }

AJWT_GET(ajwt_alg_e, alg, alg, AJWT_ALG_UNKNOWN)
AJWT_GET(apr_int64_t, leeway, leeway, AJWT_DEFAULT_LEEWAY)
AJWT_GET(apr_size_t, max_token_size, max_token_size,
         AJWT_DEFAULT_MAX_TOKEN_SIZE)
AJWT_GET(ajwt_export_e, export_mode, export_mode, AJWT_EXPORT_ALL)
AJWT_GET(int, claim_headers, claim_headers, 0)
AJWT_GET(apr_int64_t, access_lifetime, access_lifetime,
         AJWT_DEFAULT_ACCESS_LIFETIME)
AJWT_GET(apr_int64_t, refresh_lifetime, refresh_lifetime,
         AJWT_DEFAULT_REFRESH_LIFETIME)
AJWT_GET(apr_int64_t, family_lifetime, family_lifetime,
         AJWT_DEFAULT_FAMILY_LIFETIME)
AJWT_GET(apr_int64_t, reuse_interval, reuse_interval,
         AJWT_DEFAULT_REUSE_INTERVAL)
AJWT_GET(int, pass_cookie, pass_cookie, 0)
AJWT_GET(int, throttle, throttle, 1)
AJWT_GET(apr_int64_t, store_wait, store_wait, 5)
AJWT_GET(int, allow_preflight, allow_preflight, 0)
AJWT_GET(int, verify_cache, verify_cache, 0)
AJWT_GET(int, revocation_failure, revocation_failure, 0)
AJWT_GET(ajwt_delivery_e, delivery, delivery, AJWT_DELIVERY_JSON)
AJWT_GET(int, cookie_secure, cookie_secure, 1)
AJWT_GET_STR(user_claim, user_claim, AJWT_DEFAULT_USER_CLAIM)
AJWT_GET_STR(access_cookie, cookie_name, AJWT_DEFAULT_ACCESS_COOKIE)
AJWT_GET_STR(refresh_cookie, refresh_cookie_name, AJWT_DEFAULT_REFRESH_COOKIE)
AJWT_GET_STR(form_username, form_username, AJWT_DEFAULT_FORM_USERNAME)
AJWT_GET_STR(form_password, form_password, AJWT_DEFAULT_FORM_PASSWORD)

const char *ajwt_conf_cookie_path(const ajwt_dir_conf_t *dc)
{
    /* __Host- cookies must have Path=/ (RFC 6265bis) */
    if (!strncmp(ajwt_conf_access_cookie(dc), "__Host-", 7)) {
        return "/";
    }
    return dc->cookie_path ? dc->cookie_path : AJWT_DEFAULT_COOKIE_PATH;
}

/** The directory part of a path, with its trailing '/' ("/a/b" -> "/a/"). */
static const char *parent_path(apr_pool_t *p, const char *path)
{
    const char *q = path ? strchr(path, '?') : NULL;
    const char *end = q ? q : (path ? path + strlen(path) : NULL);
    const char *slash = NULL, *c;

    if (!path || *path != '/') {
        return "/";
    }
    for (c = path; c < end; c++) {
        if (*c == '/') {
            slash = c;
        }
    }
    return apr_pstrmemdup(p, path, (apr_size_t)(slash - path) + 1);
}

const char *ajwt_conf_refresh_cookie_path(const ajwt_dir_conf_t *dc,
                                          const request_rec *r)
{
    if (!strncmp(ajwt_conf_refresh_cookie(dc), "__Host-", 7)) {
        return "/";
    }
    if (dc->refresh_cookie_path) {
        return dc->refresh_cookie_path;
    }
    return parent_path(r->pool, dc->refresh_location ? dc->refresh_location
                                                     : r->uri);
}

const char *ajwt_conf_refresh_table(const ajwt_server_conf_t *sc)
{
    return (sc && sc->refresh_table) ? sc->refresh_table
                                     : AJWT_DEFAULT_REFRESH_TABLE;
}

/* ------------------------------------------------------------------------ */
/* helpers for directive handlers                                            */

/** "path (conf-file:line)", naming where a value came from. */
static const char *source_of(cmd_parms *cmd, const char *what)
{
    if (cmd->directive && cmd->directive->filename) {
        return apr_psprintf(cmd->pool, "%s (%s:%d)", what,
                            cmd->directive->filename,
                            cmd->directive->line_num);
    }
    return apr_pstrdup(cmd->pool, what);
}

/**
 * Parse a non-negative integer in [min, max].
 * @return NULL, or an error naming the directive and the value.
 */
static const char *parse_int(cmd_parms *cmd, const char *arg, int min, int max,
                             int *out)
{
    char *end = NULL;
    apr_int64_t v;

    if (!*arg || !apr_isdigit(*arg)) {
        goto bad;
    }
    errno = 0;
    v = apr_strtoi64(arg, &end, 10);
    if (errno || !end || *end || v < min || v > max) {
        goto bad;
    }
    *out = (int)v;
    return NULL;
bad:
    return apr_psprintf(cmd->pool,
                        "%s: '%s' is not a whole number from %d to %d",
                        cmd->cmd->name, arg, min, max);
}

/**
 * Read a whole (small) file given relative to ServerRoot.
 * @return NULL, or an error naming the directive and the file.
 */
static const char *read_file(cmd_parms *cmd, const char *arg, char **pbuf,
                             apr_size_t *plen)
{
    const char *path = ap_server_root_relative(cmd->temp_pool, arg);
    apr_file_t *f;
    apr_finfo_t fi;
    apr_status_t rv;
    char *buf;

    if (!path) {
        return apr_psprintf(cmd->pool, "%s: invalid file path '%s'",
                            cmd->cmd->name, arg);
    }
    rv = apr_file_open(&f, path, APR_FOPEN_READ | APR_FOPEN_BINARY, 0,
                       cmd->temp_pool);
    if (rv == APR_SUCCESS) {
        rv = apr_file_info_get(&fi, APR_FINFO_SIZE, f);
        if (rv == APR_SUCCESS && (fi.size <= 0 || fi.size > AJWT_KEYFILE_MAX)) {
            apr_file_close(f);
            return apr_psprintf(cmd->pool, "%s: '%s' is empty or too large",
                                cmd->cmd->name, path);
        }
    }
    if (rv == APR_SUCCESS) {
        buf = apr_palloc(cmd->temp_pool, (apr_size_t)fi.size + 1);
        rv = apr_file_read_full(f, buf, (apr_size_t)fi.size, NULL);
        apr_file_close(f);
    }
    if (rv != APR_SUCCESS) {
        char ebuf[120];
        return apr_psprintf(cmd->pool, "%s: cannot read '%s': %s",
                            cmd->cmd->name, path,
                            apr_strerror(rv, ebuf, sizeof(ebuf)));
    }
    buf[fi.size] = '\0';
    *pbuf = buf;
    *plen = (apr_size_t)fi.size;
    return NULL;
}

/** Are two optional key ids equal (both absent, or the same text)? */
static int same_kid(const char *a, const char *b)
{
    return (!a && !b) || (a && b && !strcmp(a, b));
}

/**
 * Add a verification key to this section; with the algorithm already known
 * in the same section, check that the key fits it now. The same key given
 * twice under the same kid (typically a private key and its public half) is
 * one key: the private one is kept, so that tokens without a kid still find
 * exactly one key.
 */
static const char *add_key(cmd_parms *cmd, ajwt_dir_conf_t *dc,
                           ajwt_key_t *key, int signs)
{
    ajwt_err_t err;
    int i;

    for (i = 0; dc->keys && i < dc->keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(dc->keys, i, const ajwt_key_t *);
        if (same_kid(k->kid, key->kid) && ajwt_key_same(k, key)) {
            if (key->is_private || k->kty == AJWT_KTY_OCT) {
                APR_ARRAY_IDX(dc->keys, i, const ajwt_key_t *) = key;
            }
            if (signs) {
                dc->signing_key = key;
            }
            return NULL;
        }
        if (key->kid && k->kid && !strcmp(k->kid, key->kid)) {
            return apr_psprintf(cmd->pool, "%s: key id '%s' is used twice",
                                cmd->cmd->name, key->kid);
        }
    }
    if (dc->alg != AJWT_UNSET && !key->optional
        && ajwt_key_fits(key, (ajwt_alg_e)dc->alg, &err) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s does not fit %s: %s",
                            cmd->cmd->name, key->source,
                            ajwt_alg_name((ajwt_alg_e)dc->alg), err.text);
    }
    if (!dc->keys) {
        dc->keys = apr_array_make(cmd->pool, 2, sizeof(const ajwt_key_t *));
    }
    APR_ARRAY_PUSH(dc->keys, const ajwt_key_t *) = key;
    if (signs) {
        dc->signing_key = key;
    }
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* directive handlers                                                        */

static const char *set_alg(cmd_parms *cmd, void *cfg, const char *arg)
{
    ajwt_dir_conf_t *dc = cfg;
    ajwt_alg_e alg = ajwt_alg_from_name(arg);
    ajwt_err_t err;
    int i;

    if (alg == AJWT_ALG_UNKNOWN) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not supported (use one of HS256 HS384 "
                            "HS512 RS256 RS384 RS512 PS256 PS384 PS512 ES256 "
                            "ES384 ES512 EdDSA; 'none' is never allowed)",
                            cmd->cmd->name, arg);
    }
    for (i = 0; dc->keys && i < dc->keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(dc->keys, i, const ajwt_key_t *);
        if (!k->optional && ajwt_key_fits(k, alg, &err) != APR_SUCCESS) {
            return apr_psprintf(cmd->pool, "%s %s: key %s does not fit: %s",
                                cmd->cmd->name, arg,
                                k->source ? k->source : "", err.text);
        }
    }
    dc->alg = alg;
    dc->alg_source = source_of(cmd, arg);
    return NULL;
}

static const char *secret_key(cmd_parms *cmd, ajwt_dir_conf_t *dc,
                              const unsigned char *bytes, apr_size_t len,
                              const char *what)
{
    ajwt_key_t *key;
    ajwt_err_t err;

    if (ajwt_key_check_secret(bytes, len, &err) != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s: %s", cmd->cmd->name, what,
                            err.text);
    }
    if (ajwt_key_from_secret(&key, cmd->pool, bytes, len, NULL, &err)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: %s", cmd->cmd->name, err.text);
    }
    key->source = source_of(cmd, what);
    return add_key(cmd, dc, key, 1);
}

static const char *set_secret(cmd_parms *cmd, void *cfg, const char *arg)
{
    unsigned char *bytes;
    apr_size_t len;

    if (ajwt_b64_decode_any(&bytes, &len, cmd->temp_pool, arg)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: the value is not valid base64",
                            cmd->cmd->name);
    }
    return secret_key(cmd, cfg, bytes, len, "shared secret");
}

static const char *set_secret_file(cmd_parms *cmd, void *cfg, const char *arg)
{
    char *buf;
    apr_size_t len;
    const char *msg = read_file(cmd, arg, &buf, &len);

    return msg ? msg
               : secret_key(cmd, cfg, (const unsigned char *)buf, len, arg);
}

static const char *set_pem_key(cmd_parms *cmd, void *cfg, const char *path,
                               const char *kid)
{
    int want_private = cmd->info != NULL;
    ajwt_key_t *key;
    ajwt_err_t err;
    char *buf;
    apr_size_t len;
    const char *msg = read_file(cmd, path, &buf, &len);

    if (msg) {
        return msg;
    }
    if (kid && !*kid) {
        return apr_psprintf(cmd->pool, "%s: empty key id", cmd->cmd->name);
    }
    if (ajwt_key_from_pem(&key, cmd->pool, buf, len, want_private,
                          kid ? apr_pstrdup(cmd->pool, kid) : NULL, &err)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, path,
                            err.text);
    }
    key->source = source_of(cmd, path);
    return add_key(cmd, cfg, key, want_private);
}

/**
 * AuthJWTJWKSFile PATH: the keys of a JWK Set file as verification keys.
 * Keys a verifier should not use are passed over (and counted in the log);
 * a file with no key left is refused.
 */
static const char *set_jwks_file(cmd_parms *cmd, void *cfg, const char *path)
{
    apr_array_header_t *keys;
    ajwt_err_t err;
    char *buf;
    apr_size_t len;
    int i, skipped;
    const char *msg = read_file(cmd, path, &buf, &len);

    if (msg) {
        return msg;
    }
    if (ajwt_jwk_parse_set(&keys, &skipped, cmd->pool, buf, len, &err)
        != APR_SUCCESS) {
        return apr_psprintf(cmd->pool, "%s: '%s': %s", cmd->cmd->name, path,
                            err.text);
    }
    if (keys->nelts == 0) {
        return apr_psprintf(cmd->pool, "%s: '%s' holds no signature "
                            "verification key (%d passed over: not for "
                            "\"sig\", or of a type or algorithm not "
                            "supported)", cmd->cmd->name, path, skipped);
    }
    for (i = 0; i < keys->nelts; i++) {
        ajwt_key_t *k = APR_ARRAY_IDX(keys, i, ajwt_key_t *);
        k->source = apr_psprintf(cmd->pool, "%s key %s", source_of(cmd, path),
                                 k->kid ? k->kid : "(no kid)");
        if ((msg = add_key(cmd, cfg, k, 0)) != NULL) {
            return msg;
        }
    }
    if (skipped) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_INFO, 0, cmd->server,
                     AJWT_LOGNO(00105) "%s: %d key(s) of '%s' passed over "
                     "(not for \"sig\", or of a type or algorithm not "
                     "supported)", cmd->cmd->name, skipped, path);
    }
    return NULL;
}

static const char *set_export(cmd_parms *cmd, void *cfg, int argc,
                              char *const argv[])
{
    ajwt_dir_conf_t *dc = cfg;
    int i;

    if (argc < 1) {
        return "AuthJWTExportClaims: give All, None or claim names";
    }
    if (argc == 1 && !strcasecmp(argv[0], "All")) {
        dc->export_mode = AJWT_EXPORT_ALL;
        return NULL;
    }
    if (argc == 1 && !strcasecmp(argv[0], "None")) {
        dc->export_mode = AJWT_EXPORT_NONE;
        return NULL;
    }
    dc->export_mode = AJWT_EXPORT_LIST;
    dc->export_names = apr_array_make(cmd->pool, argc, sizeof(const char *));
    for (i = 0; i < argc; i++) {
        if (!strcasecmp(argv[i], "All") || !strcasecmp(argv[i], "None")) {
            return "AuthJWTExportClaims: All and None stand alone";
        }
        APR_ARRAY_PUSH(dc->export_names, const char *) =
            apr_pstrdup(cmd->pool, argv[i]);
    }
    return NULL;
}

static const char *set_provider(cmd_parms *cmd, void *cfg, const char *arg)
{
    ajwt_dir_conf_t *dc = cfg;
    ajwt_provider_t *np = apr_pcalloc(cmd->pool, sizeof(*np)), *last;

    np->name = apr_pstrdup(cmd->pool, arg);
    np->provider = ap_lookup_provider(AUTHN_PROVIDER_GROUP, np->name,
                                      AUTHN_PROVIDER_VERSION);
    if (!np->provider) {
        return apr_psprintf(cmd->pool,
                            "%s: unknown authn provider '%s' (is "
                            "mod_authn_%s loaded?)", cmd->cmd->name, arg, arg);
    }
    if (!np->provider->check_password) {
        return apr_psprintf(cmd->pool,
                            "%s: authn provider '%s' cannot check passwords",
                            cmd->cmd->name, arg);
    }
    if (!dc->providers) {
        dc->providers = np;
        return NULL;
    }
    for (last = dc->providers; last->next; last = last->next) {
        /* find the end */
    }
    last->next = np;
    return NULL;
}

static const char *set_int(cmd_parms *cmd, void *cfg, const char *arg)
{
    /* cmd->info: offset of the int field; min/max by directive */
    int *field = (int *)((char *)cfg + (apr_size_t)cmd->info);
    int min = 1, max = 10 * 365 * 86400; /* ten years */

    if (!strcmp(cmd->cmd->name, "AuthJWTLeeway")) {
        min = 0;
        max = 86400;
    }
    else if (!strcmp(cmd->cmd->name, "AuthJWTRefreshReuseInterval")) {
        min = 0;
        max = 3600;
    }
    else if (!strcmp(cmd->cmd->name, "AuthJWTStoreWait")) {
        min = 1;
        max = 300;
    }
    else if (!strcmp(cmd->cmd->name, "AuthJWTMaxTokenSize")) {
        min = 256;
        max = 1024 * 1024;
    }
    return parse_int(cmd, arg, min, max, field);
}

static const char *set_name(cmd_parms *cmd, void *cfg, const char *arg)
{
    const char **field = (const char **)((char *)cfg + (apr_size_t)cmd->info);

    if (!*arg) {
        return apr_psprintf(cmd->pool, "%s: empty value", cmd->cmd->name);
    }
    *field = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/**
 * Count the APR placeholders of an SQL text as apr_dbd_prepare sees them
 * (it does not skip quoted literals, so neither does this): "%s" counts in
 * *pstrings, any other '%' followed by a letter in *pothers; "%%" is a
 * literal percent sign.
 */
static void count_placeholders(const char *sql, int *pstrings, int *pothers)
{
    *pstrings = *pothers = 0;
    for (; *sql; sql++) {
        if (*sql != '%') {
            continue;
        }
        if (sql[1] == '%') {
            sql++;
        }
        else if (sql[1] == 's') {
            (*pstrings)++;
        }
        else if (apr_isalpha(sql[1])) {
            (*pothers)++;
        }
    }
}

/** AuthJWTCookieName, AuthJWTRefreshCookieName: an RFC 6265 cookie-name
 * (an HTTP token). cmd->info: the offset of the field. */
static const char *set_cookie_name(cmd_parms *cmd, void *cfg, const char *arg)
{
    const char **field = (const char **)((char *)cfg + (apr_size_t)cmd->info);
    const char *c;

    for (c = arg; *c; c++) {
        if (!apr_isalnum(*c) && !strchr("!#$%&'*+-.^_`|~", *c)) {
            break;
        }
    }
    if (c == arg || *c) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a cookie name",
                            cmd->cmd->name, arg);
    }
    *field = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

/** A URL path of our own site: starts with one '/', printable, no spaces. */
static const char *set_local_path(cmd_parms *cmd, void *cfg, const char *arg)
{
    const char **field = (const char **)((char *)cfg + (apr_size_t)cmd->info);
    const char *c;

    for (c = arg; *c; c++) {
        if (*c <= 0x20 || *c >= 0x7f || strchr("\\;,\"", *c)) {
            break;
        }
    }
    if (arg[0] != '/' || arg[1] == '/' || *c) {
        return apr_psprintf(cmd->pool, "%s: '%s' is not a local URL path "
                            "(like /auth/login; no spaces, quotes, '\\', ';' "
                            "or ',')", cmd->cmd->name, arg);
    }
    *field = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

static const char *set_delivery(cmd_parms *cmd, void *cfg, const char *arg)
{
    ajwt_dir_conf_t *dc = cfg;

    if (!strcasecmp(arg, "Json")) {
        dc->delivery = AJWT_DELIVERY_JSON;
    }
    else if (!strcasecmp(arg, "Cookie")) {
        dc->delivery = AJWT_DELIVERY_COOKIE;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not Json or Cookie",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

/** AuthJWTRevocationCacheFailure open|closed. */
static const char *set_revocation_failure(cmd_parms *cmd, void *cfg,
                                          const char *arg)
{
    ajwt_dir_conf_t *dc = cfg;

    if (!strcasecmp(arg, "open")) {
        dc->revocation_failure = 0;
    }
    else if (!strcasecmp(arg, "closed")) {
        dc->revocation_failure = 1;
    }
    else {
        return apr_psprintf(cmd->pool, "%s: '%s' is not open or closed",
                            cmd->cmd->name, arg);
    }
    return NULL;
}

static const char *set_claims_query(cmd_parms *cmd, void *cfg, const char *arg)
{
    ajwt_dir_conf_t *dc = cfg;
    int strings, others;

    if (!*arg) {
        return "AuthJWTClaimsQuery: empty query";
    }
    count_placeholders(arg, &strings, &others);
    if (strings != 1 || others != 0) {
        return apr_psprintf(cmd->pool,
                            "AuthJWTClaimsQuery: the query needs exactly one "
                            "%%s (the user name) and no other placeholder; "
                            "'%s' has %d %%s and %d other", arg, strings,
                            others);
    }
    return ajwt_store_register_query(cmd, arg, &dc->claims_query_label);
}

static const char *set_table(cmd_parms *cmd, void *cfg, const char *arg)
{
    ajwt_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &auth_jwt_module);
    const char *c;

    for (c = arg; *c; c++) {
        if (!apr_isalnum(*c) && *c != '_') {
            break;
        }
    }
    if (*c || c == arg || c - arg > 64) {
        return apr_psprintf(cmd->pool,
                            "%s: '%s' is not a table name ([A-Za-z0-9_], at "
                            "most 64 characters)", cmd->cmd->name, arg);
    }
    sc->refresh_table = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

#define DIR_OFFSET(f) (void *)APR_OFFSETOF(ajwt_dir_conf_t, f)
/* Key material and SQL: server config and <Directory>/<Location> only, never
 * .htaccess, so a directory owner cannot point the module at another key. */
#define AJWT_PRIV (RSRC_CONF | ACCESS_CONF)
/* What a protected location requires: also .htaccess (AllowOverride
 * AuthConfig), like AuthName. */
#define AJWT_AUTH (RSRC_CONF | ACCESS_CONF | OR_AUTHCFG)

const command_rec ajwt_config_cmds[] = {
    AP_INIT_TAKE1("AuthJWTSignatureAlgorithm", set_alg, NULL, AJWT_PRIV,
                  "JWS algorithm of tokens: HS256 ... ES512, EdDSA"),
    AP_INIT_TAKE1("AuthJWTSignatureSharedSecret", set_secret, NULL, AJWT_PRIV,
                  "HMAC secret, base64 or base64url"),
    AP_INIT_TAKE1("AuthJWTSignatureSharedSecretFile", set_secret_file, NULL,
                  AJWT_PRIV, "file holding the raw HMAC secret"),
    AP_INIT_TAKE12("AuthJWTSignaturePublicKeyFile", set_pem_key, NULL,
                   AJWT_PRIV, "PEM public key file [key id]; repeatable"),
    AP_INIT_TAKE1("AuthJWTJWKSFile", set_jwks_file, NULL, AJWT_PRIV,
                  "JWK Set file whose keys verify tokens; repeatable"),
    AP_INIT_TAKE12("AuthJWTSignaturePrivateKeyFile", set_pem_key, (void *)1,
                   AJWT_PRIV, "PEM private key file [key id] that signs"),
    AP_INIT_TAKE1("AuthJWTIss", set_name, DIR_OFFSET(iss), AJWT_AUTH,
                  "required issuer (iss) of tokens, and issuer of new ones"),
    AP_INIT_TAKE1("AuthJWTAud", set_name, DIR_OFFSET(aud), AJWT_AUTH,
                  "required audience (aud) of tokens, and audience of new ones"),
    AP_INIT_TAKE1("AuthJWTLeeway", set_int, DIR_OFFSET(leeway), AJWT_AUTH,
                  "seconds of clock skew allowed for exp/nbf/iat"),
    AP_INIT_TAKE1("AuthJWTMaxTokenSize", set_int, DIR_OFFSET(max_token_size),
                  AJWT_AUTH, "largest token accepted, in bytes"),
    AP_INIT_TAKE1("AuthJWTUserClaim", set_name, DIR_OFFSET(user_claim),
                  AJWT_AUTH, "claim that names the user (default sub)"),
    AP_INIT_TAKE_ARGV("AuthJWTExportClaims", set_export, NULL, AJWT_AUTH,
                      "All, None, or the claims to export as JWT_CLAIM_*"),
    AP_INIT_FLAG("AuthJWTClaimHeaders", ap_set_flag_slot,
                 DIR_OFFSET(claim_headers), AJWT_AUTH,
                 "also pass claims as X-JWT-Claim-* request headers"),
    AP_INIT_TAKE1("AuthJWTCookieName", set_cookie_name,
                  DIR_OFFSET(cookie_name), AJWT_AUTH,
                  "cookie that may carry the access token"),
    AP_INIT_FLAG("AuthJWTPassCookie", ap_set_flag_slot,
                 DIR_OFFSET(pass_cookie), AJWT_AUTH,
                 "pass the access cookie on to the application"),
    AP_INIT_TAKE1("AuthJWTLoginRequiredLocation", set_local_path,
                  DIR_OFFSET(login_location), AJWT_AUTH,
                  "where browser navigations without a valid token go"),
    AP_INIT_TAKE1("AuthJWTRefreshLocation", set_local_path,
                  DIR_OFFSET(refresh_location), AJWT_AUTH,
                  "where browser navigations with an expired token go"),
    AP_INIT_FLAG("AuthJWTAllowPreflight", ap_set_flag_slot,
                 DIR_OFFSET(allow_preflight), AJWT_AUTH,
                 "let CORS preflight requests through without a token"),
    AP_INIT_FLAG("AuthJWTVerifyCache", ap_set_flag_slot,
                 DIR_OFFSET(verify_cache), AJWT_AUTH,
                 "remember verified signatures per process (default Off)"),
    AP_INIT_TAKE1("AuthJWTRevocationCacheFailure", set_revocation_failure,
                  NULL, AJWT_AUTH,
                  "open (default) or closed: what a protected location does "
                  "when the revocation cache cannot be reached"),
    AP_INIT_TAKE1("AuthJWTRevocationCache", ajwt_revoke_set_cache, NULL,
                  RSRC_CONF,
                  "mod_socache provider[:args] shared by the servers for "
                  "revoked access tokens (main server config)"),
    AP_INIT_TAKE1("AuthJWTDeliveryType", set_delivery, NULL, AJWT_PRIV,
                  "Json (default) or Cookie: how the endpoints hand out tokens"),
    AP_INIT_TAKE1("AuthJWTRefreshCookieName", set_cookie_name,
                  DIR_OFFSET(refresh_cookie_name), AJWT_PRIV,
                  "cookie that carries the refresh token (Cookie delivery)"),
    AP_INIT_FLAG("AuthJWTCookieSecure", ap_set_flag_slot,
                 DIR_OFFSET(cookie_secure), AJWT_PRIV,
                 "mark the cookies Secure (default On)"),
    AP_INIT_TAKE1("AuthJWTCookiePath", set_local_path,
                  DIR_OFFSET(cookie_path), AJWT_PRIV,
                  "Path of the access cookie (default /)"),
    AP_INIT_TAKE1("AuthJWTRefreshCookiePath", set_local_path,
                  DIR_OFFSET(refresh_cookie_path), AJWT_PRIV,
                  "Path of the refresh cookie"),
    AP_INIT_ITERATE("AuthJWTProvider", set_provider, NULL, AJWT_PRIV,
                    "authn providers that check login passwords"),
    AP_INIT_TAKE1("AuthJWTFormUsername", set_name, DIR_OFFSET(form_username),
                  AJWT_PRIV, "login field holding the user name"),
    AP_INIT_TAKE1("AuthJWTFormPassword", set_name, DIR_OFFSET(form_password),
                  AJWT_PRIV, "login field holding the password"),
    AP_INIT_TAKE1("AuthJWTAccessTokenLifetime", set_int,
                  DIR_OFFSET(access_lifetime), AJWT_PRIV,
                  "seconds an issued access token is valid"),
    AP_INIT_TAKE1("AuthJWTRefreshTokenLifetime", set_int,
                  DIR_OFFSET(refresh_lifetime), AJWT_PRIV,
                  "seconds a refresh token is valid, renewed on rotation"),
    AP_INIT_TAKE1("AuthJWTRefreshFamilyLifetime", set_int,
                  DIR_OFFSET(family_lifetime), AJWT_PRIV,
                  "absolute seconds a login's refresh tokens live"),
    AP_INIT_TAKE1("AuthJWTRefreshReuseInterval", set_int,
                  DIR_OFFSET(reuse_interval), AJWT_PRIV,
                  "seconds a just-rotated refresh token still works"),
    AP_INIT_TAKE1("AuthJWTClaimsQuery", set_claims_query, NULL, AJWT_PRIV,
                  "SQL giving extra claims for a user (%s = user name)"),
    AP_INIT_TAKE1("AuthJWTRefreshTable", set_table, NULL, RSRC_CONF,
                  "table holding refresh tokens"),
    AP_INIT_TAKE1("AuthJWTStoreWait", set_int, DIR_OFFSET(store_wait),
                  AJWT_PRIV, "seconds a handler waits for a database "
                  "connection before answering 503"),
    AP_INIT_FLAG("AuthJWTThrottle", ap_set_flag_slot, DIR_OFFSET(throttle),
                 AJWT_PRIV, "throttle failed logins and refreshes (default On)"),
    AP_INIT_TAKE1("AuthJWTThrottleCache", ajwt_throttle_set_cache, NULL,
                  RSRC_CONF, "socache PROVIDER[:ARGS] of the throttle counters"),
    {NULL}
};

/* ------------------------------------------------------------------------ */
/* whole-configuration check (check_config: runs for configtest too)         */

/**
 * Check one section against the server defaults it merges onto.
 * @return 1 when fine, 0 after logging a problem.
 */
static int check_section(server_rec *s, const ajwt_dir_conf_t *dflt,
                         const ajwt_dir_conf_t *dc)
{
    int alg = dc->alg != AJWT_UNSET ? dc->alg : dflt->alg;
    const apr_array_header_t *keys = dc->keys ? dc->keys : dflt->keys;
    const char *src = dc->alg != AJWT_UNSET ? dc->alg_source : dflt->alg_source;
    ajwt_err_t err;
    int i, usable = 0;

    if (!keys) {
        return 1;
    }
    if (alg == AJWT_UNSET) {
        const ajwt_key_t *k = APR_ARRAY_IDX(keys, 0, const ajwt_key_t *);
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                     AJWT_LOGNO(00101) "key %s is configured but no "
                     "AuthJWTSignatureAlgorithm applies to it",
                     k->source ? k->source : "");
        return 0;
    }
    for (i = 0; i < keys->nelts; i++) {
        const ajwt_key_t *k = APR_ARRAY_IDX(keys, i, const ajwt_key_t *);
        if (ajwt_key_fits(k, (ajwt_alg_e)alg, &err) == APR_SUCCESS) {
            usable++;
        }
        else if (!k->optional) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                         AJWT_LOGNO(00102) "key %s does not fit "
                         "AuthJWTSignatureAlgorithm %s: %s",
                         k->source ? k->source : "",
                         src ? src : ajwt_alg_name((ajwt_alg_e)alg), err.text);
            return 0;
        }
    }
    if (!usable) {
        /* only JWK Set keys, none of them for this algorithm */
        const ajwt_key_t *k = APR_ARRAY_IDX(keys, 0, const ajwt_key_t *);
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                     AJWT_LOGNO(00106) "no key of %s fits "
                     "AuthJWTSignatureAlgorithm %s",
                     k->source ? k->source : "",
                     src ? src : ajwt_alg_name((ajwt_alg_e)alg));
        return 0;
    }
    return 1;
}

/** Check every section of an array of per-dir config vectors. */
static int check_sections(server_rec *s, const ajwt_dir_conf_t *dflt,
                          apr_array_header_t *sections)
{
    int i, ok = 1;

    for (i = 0; sections && i < sections->nelts; i++) {
        ap_conf_vector_t *v = APR_ARRAY_IDX(sections, i, ap_conf_vector_t *);
        const ajwt_dir_conf_t *dc = ap_get_module_config(v, &auth_jwt_module);
        if (dc && !check_section(s, dflt, dc)) {
            ok = 0;
        }
    }
    return ok;
}

int ajwt_config_check(apr_pool_t *ptemp, server_rec *s)
{
    int ok = 1;

    for (; s; s = s->next) {
        core_server_config *core = ap_get_core_module_config(s->module_config);
        const ajwt_dir_conf_t *dflt =
            ap_get_module_config(s->lookup_defaults, &auth_jwt_module);
        ajwt_dir_conf_t empty;

        if (!dflt) {
            ajwt_dir_conf_t *e = ajwt_config_create_dir(ptemp, NULL);
            empty = *e;
            dflt = &empty;
        }
        ok &= check_section(s, dflt, dflt);
        ok &= check_sections(s, dflt, core->sec_dir);
        ok &= check_sections(s, dflt, core->sec_url);
    }
    return ok ? OK : HTTP_INTERNAL_SERVER_ERROR;
}

/* ------------------------------------------------------------------------ */
/* where a handler may come from                                             */

/* The SetHandler expressions of the server configuration (not .htaccess):
 * built by ajwt_config_post_config, read-only while serving. */
static apr_hash_t *trusted_handlers;

static apr_status_t forget_trusted(void *data)
{
    trusted_handlers = NULL;
    return APR_SUCCESS;
}

/** Record the SetHandler of one section, and of the sections inside it. */
static void trust_vector(apr_pool_t *p, ap_conf_vector_t *v);

static void trust_sections(apr_pool_t *p, apr_array_header_t *sections)
{
    int i;

    for (i = 0; sections && i < sections->nelts; i++) {
        trust_vector(p, APR_ARRAY_IDX(sections, i, ap_conf_vector_t *));
    }
}

static void trust_vector(apr_pool_t *p, ap_conf_vector_t *v)
{
    core_dir_config *cd = v ? ap_get_core_module_config(v) : NULL;

    if (!cd) {
        return;
    }
    if (cd->expr_handler) {
        const void **key = apr_palloc(p, sizeof(*key));
        *key = cd->expr_handler;
        apr_hash_set(trusted_handlers, key, sizeof(*key), "");
    }
    trust_sections(p, cd->sec_file);
    trust_sections(p, cd->sec_if);
}

int ajwt_config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s)
{
    trusted_handlers = apr_hash_make(pconf);
    apr_pool_cleanup_register(pconf, NULL, forget_trusted,
                              apr_pool_cleanup_null);
    for (; s; s = s->next) {
        core_server_config *core = ap_get_core_module_config(s->module_config);
        trust_vector(pconf, s->lookup_defaults);
        trust_sections(pconf, core->sec_dir);
        trust_sections(pconf, core->sec_url);
    }
    return OK;
}

int ajwt_config_handler_trusted(const request_rec *r)
{
    core_dir_config *cd = ap_get_core_module_config(r->per_dir_config);
    const void *key = cd ? cd->expr_handler : NULL;

    return key && trusted_handlers
           && apr_hash_get(trusted_handlers, &key, sizeof(key)) != NULL;
}
