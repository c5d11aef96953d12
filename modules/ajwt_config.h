/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_config.h: server and directory configuration. Every field starts
 * unset (AJWT_UNSET or NULL); merging takes the nearer set value; defaults
 * live in one place and are applied by the getters, so a missing directive
 * can never leave a worker with a NULL it did not expect.
 * Glue layer.
 */
#ifndef AJWT_CONFIG_H
#define AJWT_CONFIG_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"
#include "mod_auth.h"

#include "ajwt_key.h"

#define AJWT_UNSET (-1)

/* Defaults (contract §2, §3). */
#define AJWT_DEFAULT_LEEWAY 0
#define AJWT_DEFAULT_MAX_TOKEN_SIZE 8192
#define AJWT_DEFAULT_USER_CLAIM "sub"
#define AJWT_DEFAULT_ACCESS_LIFETIME 600
#define AJWT_DEFAULT_REFRESH_LIFETIME 604800
#define AJWT_DEFAULT_FAMILY_LIFETIME 2592000
#define AJWT_DEFAULT_REUSE_INTERVAL 10
#define AJWT_DEFAULT_FORM_USERNAME "username"
#define AJWT_DEFAULT_FORM_PASSWORD "password"
#define AJWT_DEFAULT_REFRESH_TABLE "auth_jwt_refresh_token"
#define AJWT_DEFAULT_ACCESS_COOKIE "jwt_access"
#define AJWT_DEFAULT_REFRESH_COOKIE "jwt_refresh"
#define AJWT_DEFAULT_COOKIE_PATH "/"
/* Browsers keep cookies up to about 4096 bytes, name and attributes
 * included: a token over this cannot travel as a cookie. */
#define AJWT_COOKIE_TOKEN_MAX 4000

typedef enum {
    AJWT_DELIVERY_JSON = 0,
    AJWT_DELIVERY_COOKIE
} ajwt_delivery_e;

typedef enum {
    AJWT_EXPORT_ALL = 0,
    AJWT_EXPORT_NONE,
    AJWT_EXPORT_LIST
} ajwt_export_e;

/** A configured authn provider for the login handler (AuthJWTProvider). */
typedef struct ajwt_provider_t {
    const char *name;
    const authn_provider *provider;
    struct ajwt_provider_t *next;
} ajwt_provider_t;

typedef struct {
    const char *refresh_table;      /* AuthJWTRefreshTable */
    const char *throttle_cache;     /* AuthJWTThrottleCache */
    const char *revocation_cache;   /* AuthJWTRevocationCache */
} ajwt_server_conf_t;

typedef struct {
    /* token verification */
    int alg;                        /* ajwt_alg_e; AuthJWTSignatureAlgorithm */
    apr_array_header_t *keys;       /* const ajwt_key_t *: verification keys */
    const ajwt_key_t *signing_key;  /* private key or HMAC secret */
    const char *alg_source;         /* "file:line" of the alg directive */
    const char *iss;                /* AuthJWTIss */
    const char *aud;                /* AuthJWTAud */
    int leeway;                     /* AuthJWTLeeway */
    int max_token_size;             /* AuthJWTMaxTokenSize */
    const char *user_claim;         /* AuthJWTUserClaim */
    int export_mode;                /* ajwt_export_e; AuthJWTExportClaims */
    apr_array_header_t *export_names;
    int claim_headers;              /* AuthJWTClaimHeaders */
    const char *cookie_name;        /* AuthJWTCookieName */
    int pass_cookie;                /* AuthJWTPassCookie */
    int throttle;                   /* AuthJWTThrottle */
    int store_wait;                 /* AuthJWTStoreWait, seconds */
    const char *login_location;     /* AuthJWTLoginRequiredLocation */
    const char *refresh_location;   /* AuthJWTRefreshLocation */
    int allow_preflight;            /* AuthJWTAllowPreflight */
    int verify_cache;               /* AuthJWTVerifyCache */
    int revocation_failure;         /* AuthJWTRevocationCacheFailure:
                                       0 open, 1 closed */

    /* browser mode of the endpoints */
    int delivery;                   /* ajwt_delivery_e; AuthJWTDeliveryType */
    const char *refresh_cookie_name; /* AuthJWTRefreshCookieName */
    int cookie_secure;              /* AuthJWTCookieSecure */
    const char *cookie_path;        /* AuthJWTCookiePath */
    const char *refresh_cookie_path; /* AuthJWTRefreshCookiePath */

    /* endpoints */
    ajwt_provider_t *providers;     /* AuthJWTProvider */
    const char *form_username;      /* AuthJWTFormUsername */
    const char *form_password;      /* AuthJWTFormPassword */
    int access_lifetime;            /* AuthJWTAccessTokenLifetime */
    int refresh_lifetime;           /* AuthJWTRefreshTokenLifetime */
    int family_lifetime;            /* AuthJWTRefreshFamilyLifetime */
    int reuse_interval;             /* AuthJWTRefreshReuseInterval */
    const char *claims_query_label; /* AuthJWTClaimsQuery, prepared label */
} ajwt_dir_conf_t;

/* create / merge, for the module record */
void *ajwt_config_create_server(apr_pool_t *p, server_rec *s);
void *ajwt_config_merge_server(apr_pool_t *p, void *basev, void *addv);
void *ajwt_config_create_dir(apr_pool_t *p, char *dir);
void *ajwt_config_merge_dir(apr_pool_t *p, void *basev, void *addv);

/** The directive table. */
extern const command_rec ajwt_config_cmds[];

/** This request's merged configuration. */
const ajwt_dir_conf_t *ajwt_config_dir(const request_rec *r);
const ajwt_server_conf_t *ajwt_config_server(const server_rec *s);

/* Getters: the value, or its default when unset. */
ajwt_alg_e ajwt_conf_alg(const ajwt_dir_conf_t *dc);
apr_int64_t ajwt_conf_leeway(const ajwt_dir_conf_t *dc);
apr_size_t ajwt_conf_max_token_size(const ajwt_dir_conf_t *dc);
const char *ajwt_conf_user_claim(const ajwt_dir_conf_t *dc);
ajwt_export_e ajwt_conf_export_mode(const ajwt_dir_conf_t *dc);
int ajwt_conf_claim_headers(const ajwt_dir_conf_t *dc);
const char *ajwt_conf_form_username(const ajwt_dir_conf_t *dc);
const char *ajwt_conf_form_password(const ajwt_dir_conf_t *dc);
apr_int64_t ajwt_conf_access_lifetime(const ajwt_dir_conf_t *dc);
apr_int64_t ajwt_conf_refresh_lifetime(const ajwt_dir_conf_t *dc);
apr_int64_t ajwt_conf_family_lifetime(const ajwt_dir_conf_t *dc);
apr_int64_t ajwt_conf_reuse_interval(const ajwt_dir_conf_t *dc);
const char *ajwt_conf_refresh_table(const ajwt_server_conf_t *sc);
int ajwt_conf_pass_cookie(const ajwt_dir_conf_t *dc);
int ajwt_conf_throttle(const ajwt_dir_conf_t *dc);
apr_int64_t ajwt_conf_store_wait(const ajwt_dir_conf_t *dc);
int ajwt_conf_allow_preflight(const ajwt_dir_conf_t *dc);
int ajwt_conf_verify_cache(const ajwt_dir_conf_t *dc);
/** 1 when AuthJWTRevocationCacheFailure is closed (default open: 0). */
int ajwt_conf_revocation_failure(const ajwt_dir_conf_t *dc);
ajwt_delivery_e ajwt_conf_delivery(const ajwt_dir_conf_t *dc);
int ajwt_conf_cookie_secure(const ajwt_dir_conf_t *dc);
const char *ajwt_conf_cookie_path(const ajwt_dir_conf_t *dc);
/** The access cookie's name: AuthJWTCookieName, else "jwt_access". */
const char *ajwt_conf_access_cookie(const ajwt_dir_conf_t *dc);
/** The refresh cookie's name: AuthJWTRefreshCookieName, else "jwt_refresh". */
const char *ajwt_conf_refresh_cookie(const ajwt_dir_conf_t *dc);
/**
 * The refresh cookie's Path: AuthJWTRefreshCookiePath; else the parent
 * path of AuthJWTRefreshLocation ("/auth/" for "/auth/refresh"); else the
 * parent path of this request's URI. "/" for __Host- cookies.
 */
const char *ajwt_conf_refresh_cookie_path(const ajwt_dir_conf_t *dc,
                                          const request_rec *r);

/**
 * Cross-check every configured section of every server (check_config
 * hook, so `apachectl configtest` sees it): keys fit the algorithm, an
 * algorithm is given where keys are. Logs each problem with its source.
 * @return OK or !OK (HTTP_INTERNAL_SERVER_ERROR).
 */
int ajwt_config_check(apr_pool_t *ptemp, server_rec *s);

/**
 * post_config: remember which SetHandler directives belong to the server
 * configuration (every <Directory>, <Location>, <Files>, <If> and the
 * server level of every virtual host), as opposed to .htaccess files.
 * @return OK.
 */
int ajwt_config_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                            apr_pool_t *ptemp, server_rec *s);

/**
 * Was r's handler set by a SetHandler of the server configuration? False
 * for .htaccess, AddHandler and RewriteRule [H=]: the token endpoints sign
 * with the server's key and must be enabled by the server's administrator.
 */
int ajwt_config_handler_trusted(const request_rec *r);

#endif /* AJWT_CONFIG_H */
