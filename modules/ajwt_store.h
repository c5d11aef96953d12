/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_store.h: the refresh-token store over mod_dbd. One table (schema in
 * conf/schema-mysql.sql, name from AuthJWTRefreshTable) holds the SHA-256 of
 * every refresh token with its family, user, generation and times; the token
 * itself is never stored. Statements have fixed labels and are registered
 * with ap_dbd_prepare at configuration time (once, on the main server; see
 * ajwt_store.c for virtual hosts); every request uses the pooled
 * connection of ap_dbd_acquire. Every row is bound to the context (issuer
 * and audience) of the endpoint that issued its family: a refresh token is
 * only good where tokens for the same iss and aud are issued. Rotation
 * (check, spend, insert successor) is one transaction with row locks, so
 * two processes or servers can never both rotate the same token.
 * Glue layer: APR, httpd, mod_dbd.
 */
#ifndef AJWT_STORE_H
#define AJWT_STORE_H

#include "httpd.h"
#include "http_config.h"
#include "apr_tables.h"

/** Outcome of a store operation; the endpoint maps it to an answer. */
typedef enum {
    AJWT_STORE_OK = 0,
    AJWT_STORE_INVALID,    /* unknown, expired or revoked token: invalid_grant */
    AJWT_STORE_REUSED,     /* spent token presented, family revoked (logged) */
    AJWT_STORE_WRONG_CONTEXT, /* token of another iss/aud (logged), untouched */
    AJWT_STORE_NO_ROW,     /* claims query returned no row: user deactivated */
    AJWT_STORE_UNAVAILABLE /* database unreachable or failing (logged): 503 */
} ajwt_store_e;

/** Times and lifetimes for issuing and rotating, in seconds. */
typedef struct {
    apr_int64_t now;              /* unix seconds */
    apr_int64_t refresh_lifetime; /* AuthJWTRefreshTokenLifetime */
    apr_int64_t family_lifetime;  /* AuthJWTRefreshFamilyLifetime */
    apr_int64_t reuse_interval;   /* AuthJWTRefreshReuseInterval */
    const char *context;          /* ajwt_store_context() of the endpoint */
} ajwt_store_policy_t;

/** A refresh token just issued (the only time its clear text exists). */
typedef struct {
    const char *token;      /* base64url, to hand to the client once */
    const char *digest;     /* its SHA-256 hex (what the table holds) */
    const char *family_id;
    const char *username;
    apr_int64_t generation;
    apr_int64_t expires_at; /* unix seconds */
} ajwt_store_grant_t;

/**
 * The binding of a context's refresh tokens: the SHA-256 hex of
 * "iss\naud" (an unset value counts as the empty string).
 * @return the 64-character digest, or NULL (logged) when hashing failed.
 */
const char *ajwt_store_context(request_rec *r, const char *iss,
                               const char *aud);

/**
 * post_config hook, to run before mod_dbd's: register the store's statements
 * once, on the main server, for its AuthJWTRefreshTable (virtual hosts
 * share them through mod_dbd, or prepare them on first use).
 * @return OK (also when mod_dbd is not loaded: the store is then unusable and
 *         the endpoints answer 503).
 */
int ajwt_store_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s);

/**
 * Register an AuthJWTClaimsQuery statement at configuration time under a new
 * unique label ("ajwt_claims_<n>"), stored in *plabel.
 * @return NULL, or an error message when mod_dbd is not loaded.
 */
const char *ajwt_store_register_query(cmd_parms *cmd, const char *sql,
                                      const char **plabel);

/**
 * Start a new family for username (login), bound to pol->context: a fresh
 * token of generation 0 expiring at min(now + refresh_lifetime, now +
 * family_lifetime).
 * @return AJWT_STORE_OK with *out filled, or AJWT_STORE_UNAVAILABLE.
 */
ajwt_store_e ajwt_store_create_family(ajwt_store_grant_t *out,
                                      request_rec *r, const char *username,
                                      const ajwt_store_policy_t *pol);

/**
 * Rotate the presented refresh token in one transaction (retried on
 * deadlock): a current token is spent and gets a successor; the immediate
 * predecessor of the current token, presented less than reuse_interval
 * whole seconds after its rotation (never when the interval is 0),
 * supersedes the current token with a new one; any other spent token
 * revokes the family. A token bound to another context than pol->context is
 * refused and left alone, spent or not.
 * @return AJWT_STORE_OK with *out filled; AJWT_STORE_INVALID (unknown,
 *         expired, revoked); AJWT_STORE_WRONG_CONTEXT (logged at INFO);
 *         AJWT_STORE_REUSED (family revoked, logged at WARNING);
 *         AJWT_STORE_UNAVAILABLE (logged).
 */
ajwt_store_e ajwt_store_rotate(ajwt_store_grant_t *out, request_rec *r,
                               const char *presented,
                               const ajwt_store_policy_t *pol);

/**
 * Revoke the family of the presented token (any known token will do), or
 * with all set every family of its user, but only when the token is live:
 * not revoked, not expired, bound to pol->context, and unspent or within
 * the reuse grace of ajwt_store_rotate. A dead token with all set revokes
 * its own family only. *pusername receives the token's user (NULL when
 * unknown); *prevoked is 1 when a family (or the user) that still had a
 * live token was revoked now, 0 when there was nothing left to revoke.
 * @return AJWT_STORE_OK (also for an unknown token: nothing to revoke),
 *         or AJWT_STORE_UNAVAILABLE.
 */
ajwt_store_e ajwt_store_revoke_token(const char **pusername, int *prevoked,
                                     request_rec *r, const char *presented,
                                     int all,
                                     const ajwt_store_policy_t *pol);

/**
 * Revoke every family of username (logout all, deactivation, revoke handler).
 * @return AJWT_STORE_OK or AJWT_STORE_UNAVAILABLE.
 */
ajwt_store_e ajwt_store_revoke_user(request_rec *r, const char *username,
                                    apr_int64_t now);

/**
 * Run the prepared claims query labelled label with username as its one
 * parameter; *pextra receives the first row as an array of ajwt_claim_kv_t
 * (column name, value as text; NULL columns left out).
 * @return AJWT_STORE_OK, AJWT_STORE_NO_ROW, or AJWT_STORE_UNAVAILABLE.
 */
ajwt_store_e ajwt_store_claims(apr_array_header_t **pextra, request_rec *r,
                               const char *label, const char *username);

/**
 * The user of a presented refresh token, without locking or judging it (so
 * that the claims query can run before the rotation spends the token).
 * @return AJWT_STORE_OK with *puser set, AJWT_STORE_INVALID (malformed or
 *         unknown), or AJWT_STORE_UNAVAILABLE (logged).
 */
ajwt_store_e ajwt_store_peek_user(const char **puser, request_rec *r,
                                  const char *presented);

/**
 * Delete the rows of families expired for more than a minute, and rows
 * revoked more than a minute ago (at most 500 each), at most once a minute
 * per process. Spent rows of live families stay: reuse detection needs them.
 * Failures are logged and otherwise ignored.
 */
void ajwt_store_purge(request_rec *r, apr_int64_t now);

/** child_init: create this process's gate in front of the pool. */
void ajwt_store_child_init(apr_pool_t *p, server_rec *s);

/**
 * Warn (AJWT02030) when the store is in use, a DBDParams in force lacks
 * reconnect=0 and other modules prepare statements too (they would fail on
 * connections the MySQL driver re-established by itself). Called from
 * check_config (so that configtest shows it) and from post_config (so that
 * the error log has it).
 */
void ajwt_store_check_reconnect(server_rec *s);

/**
 * Acquire this request's pooled connection now (the store's own calls and
 * other modules on mod_dbd in the same request then share it), replacing
 * pooled connections the database has dropped (bounded: see the .c file).
 * @return AJWT_STORE_OK, or AJWT_STORE_UNAVAILABLE.
 */
ajwt_store_e ajwt_store_connect(request_rec *r);

/**
 * Take a place in this process's gate in front of mod_dbd's pool (threaded
 * MPMs: at most DBDMax requests hold or wait for a connection), waiting at
 * most wait. The place is given back when the request ends; a request
 * enters once.
 * @return 1 when admitted, 0 when every connection stayed busy (logged).
 */
int ajwt_store_gate(request_rec *r, apr_interval_time_t wait);

#endif /* AJWT_STORE_H */
