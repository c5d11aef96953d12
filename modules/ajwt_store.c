/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_store.c: the refresh-token store over mod_dbd (see ajwt_store.h).
 * All SQL is fixed text with APR placeholders; the only thing pasted into it
 * is the table name, validated by AuthJWTRefreshTable as [A-Za-z0-9_]{1,64},
 * and only at configuration time. Times are unix seconds; 0 in used_at or
 * revoked_at means "not spent" / "not revoked".
 *
 * Labels: mod_dbd shares the main server's statement table with every
 * virtual host that has no DBD configuration of its own, and warns about
 * (AH02653) any label registered twice. So each statement is registered
 * once, on the main server, for the main server's AuthJWTRefreshTable,
 * under its fixed label. A server whose table differs uses the
 * table-qualified label "<label>@<table>", which is never registered but
 * prepared on first use on each connection (store_prepare_now); a virtual
 * host with its own DBDriver/DBDParams prepares the fixed labels the same
 * way.
 * Glue layer: APR, httpd, mod_dbd.
 */

#include "apr_atomic.h"
#include "apr_thread_cond.h"
#include "apr_thread_mutex.h"
#include "apr_hash.h"
#include "apr_optional.h"
#include "apr_strings.h"
#include "apr_time.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_mpm.h"
#include "http_main.h"
#include "http_core.h"

#include "apr_dbd.h"
#include "mod_dbd.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_claims.h"
#include "ajwt_token.h"
#include "ajwt_store.h"
#include "ajwt_revoke.h"
#include "ajwt_audit.h"

/* Statement labels (fixed) and their SQL; "@T" stands for the table. */
#define L_INSERT "ajwt_rt_insert"
#define L_SELECT "ajwt_rt_select"
#define L_CURRENT "ajwt_rt_current"
#define L_SPEND "ajwt_rt_spend"
#define L_REVOKE_FAMILY "ajwt_rt_revoke_family"
#define L_REVOKE_USER "ajwt_rt_revoke_user"
#define L_PURGE "ajwt_rt_purge"
#define L_PURGE_REVOKED "ajwt_rt_purge_revoked"
#define L_PEEK "ajwt_rt_peek"

static const struct {
    const char *label;
    const char *sql;
} store_sql[] = {
    { L_INSERT, "INSERT INTO @T (token_hash, family_id, parent_hash,"
                " username, context, generation, created_at, expires_at,"
                " family_expires_at)"
                " VALUES (%s, %s, %s, %s, %s, %lld, %lld, %lld, %lld)" },
    { L_SELECT, "SELECT family_id, username, generation, expires_at,"
                " family_expires_at, used_at, revoked_at, context FROM @T"
                " WHERE token_hash = %s FOR UPDATE" },
    { L_CURRENT, "SELECT token_hash, parent_hash FROM @T WHERE family_id = %s"
                 " AND used_at = 0 AND revoked_at = 0 FOR UPDATE" },
    /* spend the presented token and any sibling a grace issued beside it:
     * after a rotation the family has exactly one live token */
    { L_SPEND, "UPDATE @T SET used_at = %lld WHERE family_id = %s"
               " AND used_at = 0 AND revoked_at = 0" },
    { L_REVOKE_FAMILY, "UPDATE @T SET revoked_at = %lld"
                       " WHERE family_id = %s AND revoked_at = 0" },
    { L_REVOKE_USER, "UPDATE @T SET revoked_at = %lld"
                     " WHERE username = %s AND revoked_at = 0" },
    /* Spent rows stay until their family expires: presenting one revokes
     * the family, even after the token's own expiry (a thief's lineage
     * must not outlive the victim's token). Revoked rows are dead. */
    { L_PURGE, "DELETE FROM @T WHERE family_expires_at < %lld LIMIT 500" },
    { L_PURGE_REVOKED, "DELETE FROM @T WHERE revoked_at > 0"
                       " AND revoked_at < %lld LIMIT 500" },
    { L_PEEK, "SELECT username FROM @T WHERE token_hash = %s" },
};

/* MySQL/MariaDB error numbers worth a retry of the whole transaction. */
#define AJWT_ER_LOCK_WAIT_TIMEOUT 1205
#define AJWT_ER_LOCK_DEADLOCK 1213
#define AJWT_ROTATE_ATTEMPTS 3
/* Client error: the connection was silently re-established (the mysql
 * driver sets MYSQL_OPT_RECONNECT) and its prepared statements are gone. */
#define AJWT_CR_NO_PREPARE_STMT 2030

/* Columns of L_SELECT. */
enum {
    C_FAMILY, C_USER, C_GEN, C_EXP, C_FEXP, C_USED, C_REVOKED, C_CONTEXT,
    C_NCOLS
};

#define STORE_NSQL (sizeof(store_sql) / sizeof(store_sql[0]))
/** How long store_connect keeps replacing lost pooled connections. */
#define STORE_CONNECT_BUDGET apr_time_from_msec(500)

static APR_OPTIONAL_FN_TYPE(ap_dbd_acquire) *store_acquire;
static apr_uint32_t store_last_purge; /* minute of the last purge */
static apr_uint32_t store_query_count; /* for unique claims query labels */
static apr_hash_t *store_claims_sql;   /* label -> SQL, configuration pool */
static int store_pool_max = 10;        /* DBDMax (post_config) */
static apr_uint32_t store_down_until;  /* second until which to try less */

/* ------------------------------------------------------------------ */
/* configuration time                                                  */

/** Replace every "@T" in tmpl with table. */
static const char *store_render(apr_pool_t *p, const char *tmpl,
                                const char *table)
{
    const char *at = strstr(tmpl, "@T");
    const char *out = "";

    while (at) {
        out = apr_pstrcat(p, out, apr_pstrndup(p, tmpl, at - tmpl), table,
                          NULL);
        tmpl = at + 2;
        at = strstr(tmpl, "@T");
    }
    return apr_pstrcat(p, out, tmpl, NULL);
}

/**
 * Does the configuration use the store anywhere: a SetHandler naming one of
 * our endpoints? Only then are its statements registered with mod_dbd, whose
 * connections fail as a whole when one registered statement cannot be
 * prepared: a site that only verifies tokens and uses mod_dbd for something
 * else must not need our table. (A handler set some other way still works:
 * the store prepares its statements on first use.)
 */
static int store_in_use(const ap_directive_t *d)
{
    for (; d; d = d->next) {
        if (!ap_cstr_casecmp(d->directive, "SetHandler") && d->args
            && ap_strstr_c(d->args, "jwt-")
            && (ap_strstr_c(d->args, "jwt-login-handler")
                || ap_strstr_c(d->args, "jwt-refresh-handler")
                || ap_strstr_c(d->args, "jwt-logout-handler")
                || ap_strstr_c(d->args, "jwt-revoke-handler"))) {
            return 1;
        }
        if (d->first_child && store_in_use(d->first_child)) {
            return 1;
        }
    }
    return 0;
}

/* The gate: at most gate_max requests of a process may hold or wait for a
 * pooled connection at once (gate_max = DBDMax); any other waits at most
 * AuthJWTStoreWait for a place and then answers 503, where mod_dbd's own
 * pool would block the worker without a limit. Set in post_config and
 * child_init, read-only afterwards; gate_free is guarded by gate_mutex. */
static int gate_max;
static int gate_free;
#if APR_HAS_THREADS
static apr_thread_mutex_t *gate_mutex;
static apr_thread_cond_t *gate_cond;
#endif

/** The arguments of the last directive named name at this level of the
 * tree (the one in force there), or NULL (mod_dbd keeps its settings
 * private, so the store reads them from the configuration tree). */
static const char *store_directive(const ap_directive_t *d, const char *name)
{
    const char *found = NULL;

    for (; d; d = d->next) {
        if (!ap_cstr_casecmp(d->directive, name) && d->args) {
            found = d->args;
        }
    }
    return found;
}

/**
 * The smallest DBDMax of any pool: the main server's (mod_dbd's default 10
 * when not set) and each <VirtualHost>'s own. One gate per process guards
 * every pool, so it must fit the smallest: with more places than a pool has
 * connections, a request would wait in mod_dbd's pool, without a limit.
 */
static int store_dbd_max(const ap_directive_t *d, int inherited)
{
    const char *v = store_directive(d, "DBDMax");
    int n = v ? atoi(v) : 0, least;

    least = n > 0 ? n : inherited;
    for (; d; d = d->next) {
        if (d->first_child && !ap_cstr_casecmp(d->directive, "<VirtualHost")) {
            int inner = store_dbd_max(d->first_child, least);
            if (inner < least) {
                least = inner;
            }
        }
    }
    return least;
}

/** Does any directive of the tree (at any depth) start with prefix? */
static int store_has_directive(const ap_directive_t *d, const char *prefix)
{
    for (; d; d = d->next) {
        if (!ap_cstr_casecmpn(d->directive, prefix, strlen(prefix))
            || (d->first_child
                && store_has_directive(d->first_child, prefix))) {
            return 1;
        }
    }
    return 0;
}

/** Does the DBDParams text set key to value? Parsed as apr_dbd_mysql
 * does: key=value pairs split at spaces, tabs, line ends and ";|,", keys
 * compared ignoring case (the last one counts). */
static int store_param_is(const char *params, const char *key,
                          const char *value)
{
    static const char delims[] = " \t\r\n;|,\"";
    const char *p = params;
    apr_size_t klen = strlen(key), vlen = strlen(value), n;
    int is = 0;

    while (*p) {
        p += strspn(p, delims);
        n = strcspn(p, delims);
        if (n > klen && p[klen] == '=' && !ap_cstr_casecmpn(p, key, klen)) {
            is = n - klen - 1 == vlen && !strncmp(p + klen + 1, value, vlen);
        }
        p += n;
    }
    return is;
}

/** Does a DBDParams in force anywhere (main server or a <VirtualHost>)
 * lack reconnect=0? Only with DBDriver mysql. */
static int store_driver_reconnects(const ap_directive_t *d)
{
    const char *params = store_directive(d, "DBDParams");
    const char *driver = store_directive(d, "DBDriver");

    if (params && (!driver || !ap_cstr_casecmp(driver, "mysql"))
        && !store_param_is(params, "reconnect", "0")) {
        return 1;
    }
    for (; d; d = d->next) {
        if (d->first_child && !ap_cstr_casecmp(d->directive, "<VirtualHost")
            && store_driver_reconnects(d->first_child)) {
            return 1;
        }
    }
    return 0;
}

void ajwt_store_check_reconnect(server_rec *s)
{
    /* The MySQL driver reconnects a lost connection by itself unless
     * DBDParams say reconnect=0, and a reconnected connection has lost
     * every prepared statement. The store prepares its own again
     * (AJWT02016), but other modules' statements (mod_authn_dbd,
     * DBDPrepareSQL) then fail on that connection for as long as it lives.
     * With reconnect=0 mod_dbd itself replaces a lost connection,
     * statements and all, and the store retries the acquisition
     * (store_connect). */
    if (store_in_use(ap_conftree) && store_driver_reconnects(ap_conftree)
        && (store_has_directive(ap_conftree, "AuthDBD")
            || store_has_directive(ap_conftree, "DBDPrepareSQL"))) {
        ap_log_error(APLOG_MARK, APLOG_WARNING, 0, s, AJWT_LOGNO(02030)
                     "DBDParams without reconnect=0: after a database "
                     "restart or wait_timeout, the statements of other "
                     "modules (AuthDBD..., DBDPrepareSQL) fail on the "
                     "reconnected connections; add reconnect=0 to "
                     "DBDParams");
    }
}

void ajwt_store_child_init(apr_pool_t *p, server_rec *s)
{
#if APR_HAS_THREADS
    if (gate_max > 0
        && (apr_thread_mutex_create(&gate_mutex, APR_THREAD_MUTEX_DEFAULT, p)
                != APR_SUCCESS
            || apr_thread_cond_create(&gate_cond, p) != APR_SUCCESS)) {
        ap_log_error(APLOG_MARK, APLOG_ERR, 0, s, AJWT_LOGNO(02028)
                     "cannot create the database gate: no bounded wait");
        gate_max = 0;
    }
    gate_free = gate_max;
#endif
}

/** Pool cleanup: give the request's place in the gate back. */
static apr_status_t store_gate_leave(void *data)
{
#if APR_HAS_THREADS
    apr_thread_mutex_lock(gate_mutex);
    gate_free++;
    apr_thread_cond_signal(gate_cond);
    apr_thread_mutex_unlock(gate_mutex);
#endif
    return APR_SUCCESS;
}

int ajwt_store_gate(request_rec *r, apr_interval_time_t wait)
{
#if APR_HAS_THREADS
    apr_time_t deadline = apr_time_now() + wait;
    void *inside = NULL;
    int admitted;

    if (gate_max <= 0 || !gate_mutex) {
        return 1;
    }
    apr_pool_userdata_get(&inside, "ajwt-gate", r->pool);
    if (inside) {
        return 1;
    }
    apr_thread_mutex_lock(gate_mutex);
    while (gate_free <= 0 && apr_time_now() < deadline) {
        apr_thread_cond_timedwait(gate_cond, gate_mutex,
                                  deadline - apr_time_now());
    }
    admitted = gate_free > 0;
    if (admitted) {
        gate_free--;
    }
    apr_thread_mutex_unlock(gate_mutex);
    if (!admitted) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02029)
                      "all %d database connections of this process stayed "
                      "busy for %" APR_TIME_T_FMT " ms (DBDMax, "
                      "AuthJWTStoreWait): answering 503", gate_max,
                      apr_time_as_msec(wait));
        return 0;
    }
    apr_pool_userdata_setn((void *)1, "ajwt-gate", NULL, r->pool);
    apr_pool_cleanup_register(r->pool, NULL, store_gate_leave,
                              apr_pool_cleanup_null);
#endif
    return 1;
}

int ajwt_store_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                           apr_pool_t *ptemp, server_rec *s)
{
    int threaded = 0;
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare;
    const char *table;
    apr_size_t i;

    store_pool_max = store_dbd_max(ap_conftree, 10);
    ap_mpm_query(AP_MPMQ_IS_THREADED, &threaded);
    gate_max = (threaded != AP_MPMQ_NOT_SUPPORTED && threaded)
                   ? store_pool_max
                   : 0;
    prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    store_acquire = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_acquire);
    if (!store_in_use(ap_conftree)) {
        return OK;
    }
    if (!prepare || !store_acquire) {
        /* a configuration error, not an outage: refuse to start */
        store_acquire = NULL;
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_CRIT, 0, s,
                     AJWT_LOGNO(02022) "a jwt-login/refresh/logout/revoke "
                     "handler is configured but mod_dbd is not loaded "
                     "(LoadModule dbd_module, DBDriver mysql, DBDParams ...)");
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_CONFIG) {
        ajwt_store_check_reconnect(s); /* into the error log, once */
    }
    /* Once, on the main server (s): see the file comment. */
    table = ajwt_conf_refresh_table(ajwt_config_server(s));
    for (i = 0; i < STORE_NSQL; i++) {
        prepare(s, store_render(pconf, store_sql[i].sql, table),
                store_sql[i].label);
    }
    return OK;
}

/** Pool cleanup: forget the claims SQL of a configuration being dropped. */
static apr_status_t store_forget(void *data)
{
    *(apr_hash_t **)data = NULL;
    return APR_SUCCESS;
}

const char *ajwt_store_register_query(cmd_parms *cmd, const char *sql,
                                      const char **plabel)
{
    APR_OPTIONAL_FN_TYPE(ap_dbd_prepare) *prepare;
    const char *label;

    prepare = APR_RETRIEVE_OPTIONAL_FN(ap_dbd_prepare);
    if (!prepare) {
        return "AuthJWTClaimsQuery requires mod_dbd "
               "(LoadModule dbd_module ...)";
    }
    label = apr_psprintf(cmd->pool, "ajwt_claims_%u",
                         (unsigned)apr_atomic_inc32(&store_query_count));
    sql = apr_pstrdup(cmd->pool, sql);
    if (!store_claims_sql) {
        store_claims_sql = apr_hash_make(cmd->pool);
        apr_pool_cleanup_register(cmd->pool, &store_claims_sql,
                                  store_forget, apr_pool_cleanup_null);
    }
    apr_hash_set(store_claims_sql, label, APR_HASH_KEY_STRING, sql);
    prepare(cmd->server, sql, label);
    *plabel = label;
    return NULL;
}

/* ------------------------------------------------------------------ */
/* statements                                                          */

static apr_dbd_prepared_t *store_prepare_now(int *pknown, request_rec *r,
                                             ap_dbd_t *dbd,
                                             const char *label);

/**
 * This request's pooled connection (mod_dbd keeps it for the request).
 * mod_dbd checks an idle connection before handing it out and, when the
 * check fails (the database restarted or closed it: wait_timeout), drops it
 * and answers NULL; the next acquisition takes the next idle one or opens a
 * new one. So a NULL is retried, once per connection the pool may hold, as
 * long as the attempts stay quick. When every attempt failed, the database
 * is down rather than the pool stale: for a second the process's other
 * requests try twice only (store_down_until), so that an outage costs the
 * database and the error log two connection attempts per request, not
 * DBDMax + 1.
 */
static ap_dbd_t *store_connect(request_rec *r)
{
    apr_time_t start = apr_time_now();
    ap_dbd_t *dbd = NULL;
    int i, tries = store_pool_max + 1;

    if (!store_acquire) {
        return NULL;
    }
    if ((apr_time_t)apr_atomic_read32(&store_down_until)
        > apr_time_sec(start)) {
        tries = 2;
    }
    for (i = 0; i < tries; i++) {
        if ((dbd = store_acquire(r)) != NULL
            || apr_time_now() - start > STORE_CONNECT_BUDGET) {
            break;
        }
    }
    if (!dbd) {
        apr_atomic_set32(&store_down_until,
                         (apr_uint32_t)(apr_time_sec(start) + 1));
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02000)
                      "refresh token store: no database connection (mod_dbd "
                      "logged why: the database is down, DBDParams are wrong, "
                      "or a statement failed to prepare, e.g. the table of "
                      "conf/schema-mysql.sql is missing)");
    }
    else if (i > 0) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02031)
                      "refresh token store: connected after replacing %d "
                      "lost pooled connection(s)", i);
    }
    return dbd;
}

ajwt_store_e ajwt_store_connect(request_rec *r)
{
    return store_connect(r) ? AJWT_STORE_OK : AJWT_STORE_UNAVAILABLE;
}

/**
 * Acquire this request's connection and find the statement labelled label
 * (mod_session_dbd's dbd_init shape); logs with a tag on failure.
 * @return APR_SUCCESS, or APR_EGENERAL (database unavailable).
 */
static apr_status_t store_init(ap_dbd_t **pdbd, apr_dbd_prepared_t **pstmt,
                               request_rec *r, const char *label)
{
    ap_dbd_t *dbd = store_connect(r);
    int known = 1;

    if (!dbd) {
        return APR_EGENERAL; /* logged by store_connect */
    }
    *pstmt = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
    if (!*pstmt) {
        *pstmt = store_prepare_now(&known, r, dbd, label);
    }
    if (!*pstmt) {
        if (!known) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02001)
                          "refresh token store: no statement '%s' known",
                          label);
        }
        return APR_EGENERAL;
    }
    *pdbd = dbd;
    return APR_SUCCESS;
}

/** Is rv a lock conflict that a retry of the transaction may resolve? */
static int store_is_retryable(int rv)
{
    return rv == AJWT_ER_LOCK_DEADLOCK || rv == AJWT_ER_LOCK_WAIT_TIMEOUT
           || rv == AJWT_CR_NO_PREPARE_STMT;
}

/** The main server's AuthJWTRefreshTable: what the fixed labels use. */
static const char *store_main_table(void)
{
    return ajwt_conf_refresh_table(ajwt_config_server(ap_server_conf));
}

/**
 * The label to use on r's server for the fixed label base: base itself when
 * the server's table is the main server's, else "base@table". Other labels
 * (claims queries) are returned unchanged.
 */
static const char *store_label(request_rec *r, const char *base)
{
    const char *table;

    if (strncmp(base, "ajwt_rt_", 8)) {
        return base;
    }
    table = ajwt_conf_refresh_table(ajwt_config_server(r->server));
    if (!strcmp(table, store_main_table())) {
        return base;
    }
    return apr_pstrcat(r->pool, base, "@", table, NULL);
}

/** Is t a table name AuthJWTRefreshTable accepts: [A-Za-z0-9_]{1,64}? */
static int store_table_ok(const char *t)
{
    apr_size_t n = strspn(t, "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_");

    return n > 0 && n <= 64 && t[n] == '\0';
}

/**
 * The SQL of one of our labels, or NULL: a fixed label means the main
 * server's table, a qualified one ("ajwt_rt_insert@t") the table named in
 * it (which may belong to another virtual host sharing this connection, so
 * the label, not r's server, decides); claims queries by their label.
 */
static const char *store_sql_for(request_rec *r, const char *label)
{
    const char *at = strchr(label, '@');
    apr_size_t n = at ? (apr_size_t)(at - label) : strlen(label);
    const char *table = at ? at + 1 : store_main_table();
    apr_size_t i;

    for (i = 0; i < STORE_NSQL; i++) {
        if (strlen(store_sql[i].label) == n
            && !strncmp(label, store_sql[i].label, n)) {
            return store_table_ok(table)
                       ? store_render(r->pool, store_sql[i].sql, table)
                       : NULL;
        }
    }
    return store_claims_sql
               ? apr_hash_get(store_claims_sql, label, APR_HASH_KEY_STRING)
               : NULL;
}

/**
 * Prepare one of our statements on this connection now, when it was not
 * registered with mod_dbd for this connection's group (qualified labels,
 * a virtual host with its own DBD settings, a handler set without
 * SetHandler); kept for the connection's life.
 * @return the statement; NULL with *pknown = 0 for a label we have no SQL
 *         for (the caller logs), or NULL after logging the driver's error.
 */
static apr_dbd_prepared_t *store_prepare_now(int *pknown, request_rec *r,
                                             ap_dbd_t *dbd,
                                             const char *label)
{
    const char *sql = store_sql_for(r, label);
    apr_dbd_prepared_t *stmt = NULL;
    int rv;

    *pknown = (sql != NULL);
    if (!sql) {
        return NULL;
    }
    /* the hash lives as long as the connection: so must the label */
    label = apr_pstrdup(dbd->pool, label);
    rv = apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle, sql, label,
                         &stmt);
    if (rv != 0) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02018)
                      "refresh token store: preparing '%s' failed (%d): %s "
                      "(does the table exist? see conf/schema-mysql.sql)",
                      label, rv, apr_dbd_error(dbd->driver, dbd->handle, rv));
        return NULL;
    }
    apr_hash_set(dbd->prepared, label, APR_HASH_KEY_STRING, stmt);
    return stmt;
}

/**
 * The connection was re-established behind mod_dbd's back and lost its
 * prepared statements: prepare ours again on it (other modules' statements
 * are theirs to worry about).
 * @return 0, or the driver's error (logged).
 */
static int store_reprepare(request_rec *r, ap_dbd_t *dbd)
{
    apr_hash_index_t *hi;
    int rv = 0;

    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AJWT_LOGNO(02016)
                  "refresh token store: the database connection was "
                  "re-established; preparing the statements again");
    for (hi = apr_hash_first(r->pool, dbd->prepared); hi;
         hi = apr_hash_next(hi)) {
        const void *key;
        const char *label, *sql;
        apr_dbd_prepared_t *stmt = NULL;

        apr_hash_this(hi, &key, NULL, NULL);
        label = key;
        if (!(sql = store_sql_for(r, label))) {
            continue;
        }
        rv = apr_dbd_prepare(dbd->driver, dbd->pool, dbd->handle, sql, label,
                             &stmt);
        if (rv) {
            ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02017)
                          "refresh token store: preparing '%s' failed (%d):"
                          " %s", label, rv,
                          apr_dbd_error(dbd->driver, dbd->handle, rv));
            return rv;
        }
        apr_hash_set(dbd->prepared, label, APR_HASH_KEY_STRING, stmt);
    }
    return 0;
}

/** Log a failed statement (lock conflicts at debug: the caller retries). */
static void store_log_failure(request_rec *r, ap_dbd_t *dbd,
                              const char *label, int rv)
{
    const char *text = apr_dbd_error(dbd->driver, dbd->handle, rv);

    if (store_is_retryable(rv)) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02002)
                      "refresh token store: '%s' needs a retry "
                      "(%d): %s", label, rv, text ? text : "");
        return;
    }
    ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02003)
                  "refresh token store: '%s' failed (%d): %s", label, rv,
                  text ? text : "(no error text)");
}

/**
 * Run an update/insert/delete statement with binary arguments.
 * @return 0, -1 when the statement is unavailable, or the driver's error.
 */
static int store_exec(int *nrows, request_rec *r, const char *label,
                      const void **args)
{
    ap_dbd_t *dbd;
    apr_dbd_prepared_t *stmt;
    int rv;

    *nrows = 0;
    label = store_label(r, label);
    if (store_init(&dbd, &stmt, r, label) != APR_SUCCESS) {
        return -1;
    }
    rv = apr_dbd_pbquery(dbd->driver, r->pool, dbd->handle, nrows, stmt,
                         args);
    if (rv == AJWT_CR_NO_PREPARE_STMT && store_reprepare(r, dbd) == 0) {
        stmt = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
        rv = apr_dbd_pbquery(dbd->driver, r->pool, dbd->handle, nrows, stmt,
                             args);
    }
    if (rv) {
        store_log_failure(r, dbd, label, rv);
    }
    return rv;
}

/**
 * Run a select with binary arguments and read every row to the end; the
 * first maxrows rows are copied into *prows (an array of const char **, one
 * entry per column, NULL for SQL NULL). *pnames gets the column names when
 * pnames is not NULL.
 * @return 0, -1 when the statement is unavailable, or the driver's error.
 */
static int store_select(apr_array_header_t **prows,
                        apr_array_header_t **pnames, request_rec *r,
                        const char *label, const void **args, int maxrows)
{
    ap_dbd_t *dbd;
    apr_dbd_prepared_t *stmt;
    apr_dbd_results_t *res = NULL;
    apr_dbd_row_t *row = NULL;
    int rv, ncols, i;

    *prows = apr_array_make(r->pool, 2, sizeof(const char **));
    label = store_label(r, label);
    if (store_init(&dbd, &stmt, r, label) != APR_SUCCESS) {
        return -1;
    }
    rv = apr_dbd_pbselect(dbd->driver, r->pool, dbd->handle, &res, stmt, 0,
                          args);
    if (rv == AJWT_CR_NO_PREPARE_STMT && store_reprepare(r, dbd) == 0) {
        stmt = apr_hash_get(dbd->prepared, label, APR_HASH_KEY_STRING);
        rv = apr_dbd_pbselect(dbd->driver, r->pool, dbd->handle, &res, stmt,
                              0, args);
    }
    if (rv) {
        store_log_failure(r, dbd, label, rv);
        return rv;
    }
    ncols = apr_dbd_num_cols(dbd->driver, res);
    if (pnames) {
        *pnames = apr_array_make(r->pool, ncols, sizeof(const char *));
        for (i = 0; i < ncols; i++) {
            const char *name = apr_dbd_get_name(dbd->driver, res, i);
            APR_ARRAY_PUSH(*pnames, const char *) =
                apr_pstrdup(r->pool, name ? name : "");
        }
    }
    while ((rv = apr_dbd_get_row(dbd->driver, r->pool, res, &row, -1)) == 0) {
        const char **cols;
        if ((*prows)->nelts >= maxrows) {
            continue; /* read to the end, keep only what was asked for */
        }
        cols = apr_pcalloc(r->pool, (ncols + 1) * sizeof(*cols));
        for (i = 0; i < ncols; i++) {
            const char *v = apr_dbd_get_entry(dbd->driver, row, i);
            cols[i] = v ? apr_pstrdup(r->pool, v) : NULL;
        }
        APR_ARRAY_PUSH(*prows, const char **) = cols;
    }
    if (rv != -1) {
        store_log_failure(r, dbd, label, rv);
        return rv;
    }
    return 0;
}

/** A column as a number (0 for NULL or garbage). */
static apr_int64_t store_num(const char *v)
{
    return v ? apr_atoi64(v) : 0;
}

/* ------------------------------------------------------------------ */
/* issuing                                                             */

/** Fill g with a fresh random token and its digest. */
static apr_status_t store_new_token(ajwt_store_grant_t *g, request_rec *r)
{
    ajwt_err_t err;
    apr_status_t rv;

    ajwt_err_clear(&err);
    rv = ajwt_token_random(&g->token, r->pool, AJWT_TOKEN_BYTES, &err);
    if (rv == APR_SUCCESS) {
        rv = ajwt_token_digest(&g->digest, r->pool, g->token, &err);
    }
    if (rv != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, rv, r, AJWT_LOGNO(02004)
                      "refresh token store: cannot make a token: %s",
                      err.text);
    }
    return rv;
}

/**
 * Insert g (already holding token, family, user, generation, expiry);
 * parent is the digest of the token it replaces ("" for a new family),
 * context the binding of its family.
 */
static int store_insert(request_rec *r, const ajwt_store_grant_t *g,
                        const char *parent, const char *context,
                        apr_int64_t now, apr_int64_t family_expires_at)
{
    apr_int64_t gen = g->generation, created = now, exp = g->expires_at;
    apr_int64_t fexp = family_expires_at;
    const void *args[] = { g->digest, g->family_id, parent, g->username,
                           context, &gen, &created, &exp, &fexp };
    int nrows, rv;

    rv = store_exec(&nrows, r, L_INSERT, args);
    if (rv == 0 && nrows != 1) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02005)
                      "refresh token store: insert affected %d rows", nrows);
        return -1;
    }
    return rv;
}

const char *ajwt_store_context(request_rec *r, const char *iss,
                               const char *aud)
{
    const char *hex;
    ajwt_err_t err;

    ajwt_err_clear(&err);
    if (ajwt_token_digest(&hex, r->pool,
                          apr_pstrcat(r->pool, iss ? iss : "", "\n",
                                      aud ? aud : "", NULL),
                          &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02020)
                      "refresh token store: context digest failed: %s",
                      err.text);
        return NULL;
    }
    return hex;
}

ajwt_store_e ajwt_store_create_family(ajwt_store_grant_t *out,
                                      request_rec *r, const char *username,
                                      const ajwt_store_policy_t *pol)
{
    ajwt_store_grant_t fam;
    apr_int64_t fexp = pol->now + pol->family_lifetime;
    apr_int64_t exp = pol->now + pol->refresh_lifetime;

    memset(out, 0, sizeof(*out));
    if (store_new_token(&fam, r) != APR_SUCCESS) {
        return AJWT_STORE_UNAVAILABLE;
    }
    out->family_id = fam.token; /* 256 random bits, never shown */
    if (store_new_token(out, r) != APR_SUCCESS) {
        return AJWT_STORE_UNAVAILABLE;
    }
    out->username = username;
    out->generation = 0;
    out->expires_at = exp < fexp ? exp : fexp;
    if (store_insert(r, out, "", pol->context, pol->now, fexp) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    return AJWT_STORE_OK;
}

/* ------------------------------------------------------------------ */
/* rotation                                                            */

/** The presented token's row, parsed. */
typedef struct {
    const char *family_id;
    const char *username;
    const char *context;
    apr_int64_t generation, expires_at, family_expires_at, used_at, revoked_at;
} store_row_t;

/** Spend (used_at = now) every live token of the family, the presented
 * one (locked by the caller) among them: at least 1 row expected. */
static int store_spend(request_rec *r, const char *family_id, apr_int64_t now)
{
    const void *args[] = { &now, family_id };
    int nrows, rv;

    rv = store_exec(&nrows, r, L_SPEND, args);
    if (rv == 0 && nrows < 1) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02006)
                      "refresh token store: spending a locked live token "
                      "affected %d rows", nrows);
        return -1;
    }
    return rv;
}

/** Revoke every row of a family (within the caller's transaction). */
static int store_revoke_family(request_rec *r, const char *family_id,
                               apr_int64_t now)
{
    const void *args[] = { &now, family_id };
    int nrows;

    return store_exec(&nrows, r, L_REVOKE_FAMILY, args);
}

/**
 * Is the spent token (row, digest) within its reuse grace: the interval is
 * not 0, it was spent less than reuse_interval whole seconds ago, and it is
 * the immediate predecessor of its family's current token (the parent_hash
 * of a live token)? The grace issues one more live sibling beside the
 * current one, so that browser tabs racing on one cookie jar all keep a
 * working token whichever answer the jar keeps; the first of them to be
 * refreshed spends the others (store_spend), so after the interval at most
 * one lineage can still refresh. *pcurrent receives a current digest.
 * @return 0 with *pin set, or the driver error of the lookup (logged).
 */
static int store_in_grace(int *pin, const char **pcurrent, request_rec *r,
                          const store_row_t *row, const char *digest,
                          const ajwt_store_policy_t *pol)
{
    apr_array_header_t *cur;
    const void *args[] = { row->family_id };
    const char **c;
    int rv, i;
    apr_int64_t since = pol->now - row->used_at;

    *pin = 0;
    *pcurrent = NULL;
    if (since < 0) {
        since = -since; /* spent by a server whose clock runs ahead */
    }
    if (pol->reuse_interval <= 0 || since >= pol->reuse_interval) {
        return 0;
    }
    rv = store_select(&cur, NULL, r, L_CURRENT, args, 64);
    for (i = 0; !rv && i < cur->nelts; i++) {
        c = APR_ARRAY_IDX(cur, i, const char **);
        if (c[0] && c[1] && !strcmp(c[1], digest)) {
            *pin = 1;
            *pcurrent = c[0];
            break;
        }
    }
    return rv;
}

/**
 * Decide the fate of a spent token (cases B and C of the design): within
 * its reuse grace (store_in_grace) it gets a sibling of the current token;
 * anything else (an older ancestor, a superseded sibling, too late, an
 * interval of 0) revokes the family.
 * @return AJWT_STORE_OK (*psupersede set to the current digest),
 *         AJWT_STORE_REUSED, or AJWT_STORE_UNAVAILABLE with *prv set.
 */
static ajwt_store_e store_judge_spent(const char **psupersede, int *prv,
                                      request_rec *r, const store_row_t *row,
                                      const char *digest,
                                      const ajwt_store_policy_t *pol)
{
    int in_grace;

    *prv = store_in_grace(&in_grace, psupersede, r, row, digest, pol);
    if (*prv) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (in_grace) {
        return AJWT_STORE_OK;
    }
    ap_log_rerror(APLOG_MARK, APLOG_WARNING, 0, r, AJWT_LOGNO(02007)
                  "refresh token reuse detected: user '%s', family '%.8s', "
                  "token '%.8s' (generation %" APR_INT64_T_FMT "), client %s;"
                  " family revoked", row->username, row->family_id, digest,
                  row->generation, r->useragent_ip);
    return AJWT_STORE_REUSED;
}

/** Read and parse the presented token's row (locked). */
static int store_read_row(store_row_t *row, int *pfound, request_rec *r,
                          const char *digest)
{
    apr_array_header_t *rows;
    const void *args[] = { digest };
    const char **c;
    int rv;

    *pfound = 0;
    rv = store_select(&rows, NULL, r, L_SELECT, args, 1);
    if (rv || rows->nelts == 0) {
        return rv;
    }
    c = APR_ARRAY_IDX(rows, 0, const char **);
    row->family_id = c[C_FAMILY] ? c[C_FAMILY] : "";
    row->username = c[C_USER] ? c[C_USER] : "";
    row->generation = store_num(c[C_GEN]);
    row->expires_at = store_num(c[C_EXP]);
    row->family_expires_at = store_num(c[C_FEXP]);
    row->used_at = store_num(c[C_USED]);
    row->revoked_at = store_num(c[C_REVOKED]);
    row->context = c[C_CONTEXT] ? c[C_CONTEXT] : "";
    *pfound = 1;
    return 0;
}

/**
 * The body of one rotation transaction. *prv receives the driver error of a
 * failed statement (0 otherwise), so the caller can roll back and retry.
 */
static ajwt_store_e store_rotate_txn(ajwt_store_grant_t *out, int *prv,
                                     request_rec *r, const char *digest,
                                     const ajwt_store_policy_t *pol)
{
    store_row_t row;
    const char *supersede = NULL;
    ajwt_store_e st;
    apr_int64_t exp = pol->now + pol->refresh_lifetime;
    int found;

    *prv = store_read_row(&row, &found, r, digest);
    if (*prv) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (!found || row.revoked_at != 0 || row.family_expires_at <= pol->now
        || (row.used_at == 0 && row.expires_at <= pol->now)) {
        /* a spent token is judged below even after its own expiry */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02008)
                      "refresh token '%.8s' refused: %s%s%s", digest,
                      !found ? "unknown" : row.revoked_at ? "revoked"
                                                          : "expired",
                      found ? ", user " : "", found ? row.username : "");
        return AJWT_STORE_INVALID;
    }
    if (!pol->context || strcmp(row.context, pol->context)) {
        /* sent to the wrong place, not stolen: leave the family alone */
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02019)
                      "refresh token '%.8s' of user '%s' refused: refresh "
                      "token issued for another audience (iss/aud), "
                      "client %s", digest, row.username, r->useragent_ip);
        return AJWT_STORE_WRONG_CONTEXT;
    }
    if (row.used_at == 0) {
        supersede = digest; /* case A: it is the current token */
    }
    else {
        st = store_judge_spent(&supersede, prv, r, &row, digest, pol);
        if (st == AJWT_STORE_REUSED) {
            *prv = store_revoke_family(r, row.family_id, pol->now);
            out->family_id = row.family_id; /* for the audit line */
            out->username = row.username;
            return *prv ? AJWT_STORE_UNAVAILABLE : AJWT_STORE_REUSED;
        }
        if (st != AJWT_STORE_OK) {
            return st;
        }
    }
    /* case A spends the family's live tokens; case B (grace) spends
     * nothing: the new token is a sibling of the current one */
    if (row.used_at == 0
        && (*prv = store_spend(r, row.family_id, pol->now)) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (store_new_token(out, r) != APR_SUCCESS) {
        *prv = -1;
        return AJWT_STORE_UNAVAILABLE;
    }
    out->family_id = row.family_id;
    out->username = row.username;
    out->generation = row.generation + 1;
    out->expires_at = exp < row.family_expires_at ? exp : row.family_expires_at;
    *prv = store_insert(r, out, digest, row.context, pol->now,
                        row.family_expires_at);
    return *prv ? AJWT_STORE_UNAVAILABLE : AJWT_STORE_OK;
}

/**
 * Run store_rotate_txn in a transaction: commit its outcome, roll back on
 * any failure. *pretry is set when a lock conflict suggests another try.
 */
static ajwt_store_e store_rotate_once(ajwt_store_grant_t *out, int *pretry,
                                      request_rec *r, const char *digest,
                                      const ajwt_store_policy_t *pol)
{
    ap_dbd_t *dbd;
    apr_dbd_prepared_t *stmt;
    apr_dbd_transaction_t *txn = NULL;
    ajwt_store_e st;
    int rv, erv;

    *pretry = 0;
    if (store_init(&dbd, &stmt, r, store_label(r, L_SELECT)) != APR_SUCCESS) {
        return AJWT_STORE_UNAVAILABLE;
    }
    rv = apr_dbd_transaction_start(dbd->driver, r->pool, dbd->handle, &txn);
    if (rv) {
        store_log_failure(r, dbd, "transaction start", rv);
        return AJWT_STORE_UNAVAILABLE;
    }
    st = store_rotate_txn(out, &rv, r, digest, pol);
    if (!rv) {
        /* COMMIT as a statement: apr_dbd_transaction_end only says that
         * mysql_commit failed, not why, and a Galera certification
         * conflict (1213 at commit: rows replicate, locks do not) must be
         * told from a real failure to be retried */
        int n;
        rv = apr_dbd_query(dbd->driver, dbd->handle, &n, "COMMIT");
        if (rv) {
            store_log_failure(r, dbd, "commit", rv);
        }
    }
    if (rv) {
        apr_dbd_transaction_mode_set(dbd->driver, txn,
                                     APR_DBD_TRANSACTION_ROLLBACK);
        *pretry = store_is_retryable(rv);
    }
    erv = apr_dbd_transaction_end(dbd->driver, r->pool, txn);
    if (erv && !rv) {
        store_log_failure(r, dbd, "transaction commit", erv);
        *pretry = store_is_retryable(erv);
        return AJWT_STORE_UNAVAILABLE;
    }
    return rv ? AJWT_STORE_UNAVAILABLE : st;
}

ajwt_store_e ajwt_store_rotate(ajwt_store_grant_t *out, request_rec *r,
                               const char *presented,
                               const ajwt_store_policy_t *pol)
{
    const char *digest;
    ajwt_err_t err;
    ajwt_store_e st = AJWT_STORE_UNAVAILABLE;
    int attempt, retry = 1;

    memset(out, 0, sizeof(*out));
    if (!ajwt_token_is_wellformed(presented)) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02009)
                      "refresh token refused: not a token of this module");
        return AJWT_STORE_INVALID;
    }
    ajwt_err_clear(&err);
    if (ajwt_token_digest(&digest, r->pool, presented, &err) != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02010)
                      "refresh token store: digest failed: %s", err.text);
        return AJWT_STORE_UNAVAILABLE;
    }
    for (attempt = 1; retry && attempt <= AJWT_ROTATE_ATTEMPTS; attempt++) {
        st = store_rotate_once(out, &retry, r, digest, pol);
    }
    if (st == AJWT_STORE_REUSED) {
        ajwt_audit(r, "revoke", "done", out->username, "reuse",
                   out->family_id);
    }
    if (retry) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02011)
                      "refresh token store: rotation of '%.8s' still in "
                      "lock conflict after %d attempts", digest,
                      AJWT_ROTATE_ATTEMPTS);
    }
    return st;
}

/* ------------------------------------------------------------------ */
/* revocation, claims, purge                                           */

ajwt_store_e ajwt_store_revoke_user(request_rec *r, const char *username,
                                    apr_int64_t now)
{
    const void *args[] = { &now, username };
    int nrows;

    if (store_exec(&nrows, r, L_REVOKE_USER, args) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02012)
                  "refresh tokens of user '%s' revoked (%d rows)", username,
                  nrows);
    /* and, with a revocation cache, the access tokens issued so far (a
     * cache failure is logged there: the database part stands) */
    ajwt_revoke_user(r, username);
    return AJWT_STORE_OK;
}

/**
 * May the token (row, digest) speak for its user in a logout with all=true:
 * not revoked, not expired, bound to this context, and unspent or within
 * its reuse grace? *plive receives the answer, *pwhy why not.
 * @return 0, or the driver error of the grace lookup (logged).
 */
static int store_is_live(int *plive, const char **pwhy, request_rec *r,
                         const store_row_t *row, const char *digest,
                         const ajwt_store_policy_t *pol)
{
    const char *current;

    *plive = 0;
    *pwhy = row->revoked_at ? "revoked"
            : (row->expires_at <= pol->now
               || row->family_expires_at <= pol->now) ? "expired"
            : (!pol->context || strcmp(row->context, pol->context))
                ? "issued for another audience"
            : NULL;
    if (*pwhy) {
        return 0;
    }
    if (row->used_at == 0) {
        *plive = 1;
        return 0;
    }
    *pwhy = "spent";
    return store_in_grace(plive, &current, r, row, digest, pol);
}

ajwt_store_e ajwt_store_revoke_token(const char **pusername, int *prevoked,
                                     request_rec *r, const char *presented,
                                     int all, const ajwt_store_policy_t *pol)
{
    const char *digest, *why = NULL;
    apr_int64_t now = pol->now;
    store_row_t row;
    ajwt_err_t err;
    int found, nrows, live = 0;

    *pusername = NULL;
    *prevoked = 0;
    ajwt_err_clear(&err);
    if (!ajwt_token_is_wellformed(presented)
        || ajwt_token_digest(&digest, r->pool, presented, &err)
               != APR_SUCCESS) {
        return AJWT_STORE_OK; /* nothing of ours to revoke */
    }
    if (store_read_row(&row, &found, r, digest) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (!found) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02013)
                      "logout with unknown refresh token '%.8s'", digest);
        return AJWT_STORE_OK;
    }
    *pusername = row.username;
    if (all && store_is_live(&live, &why, r, &row, digest, pol) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (live) {
        *prevoked = 1;
        return ajwt_store_revoke_user(r, row.username, now);
    }
    if (all) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02021)
                      "logout of all families of user '%s' refused: "
                      "refresh token '%.8s' is %s; only its own family is "
                      "revoked, client %s", row.username, digest,
                      why ? why : "not live", r->useragent_ip);
    }
    {
        const void *args[] = { &now, row.family_id };
        if (store_exec(&nrows, r, L_REVOKE_FAMILY, args) != 0) {
            return AJWT_STORE_UNAVAILABLE;
        }
    }
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(02014)
                  "refresh token family '%.8s' of user '%s' revoked "
                  "(%d rows)", row.family_id, row.username, nrows);
    *prevoked = nrows > 0;
    return AJWT_STORE_OK;
}

ajwt_store_e ajwt_store_claims(apr_array_header_t **pextra, request_rec *r,
                               const char *label, const char *username)
{
    apr_array_header_t *rows, *names;
    const void *args[] = { username };
    const char **cols;
    int i;

    *pextra = apr_array_make(r->pool, 4, sizeof(ajwt_claim_kv_t));
    if (store_select(&rows, &names, r, label, args, 1) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (rows->nelts == 0) {
        return AJWT_STORE_NO_ROW;
    }
    cols = APR_ARRAY_IDX(rows, 0, const char **);
    for (i = 0; i < names->nelts; i++) {
        ajwt_claim_kv_t *kv;
        if (!cols[i]) {
            continue;
        }
        kv = apr_array_push(*pextra);
        kv->name = APR_ARRAY_IDX(names, i, const char *);
        kv->value = cols[i];
    }
    return AJWT_STORE_OK;
}

void ajwt_store_purge(request_rec *r, apr_int64_t now)
{
    apr_uint32_t minute = (apr_uint32_t)(now / 60);
    apr_uint32_t last = apr_atomic_read32(&store_last_purge);
    apr_int64_t before = now - 60;
    const void *args[] = { &before };
    int nrows;

    if (last == minute
        || apr_atomic_cas32(&store_last_purge, minute, last) != last) {
        return;
    }
    if (store_exec(&nrows, r, L_PURGE, args) == 0 && nrows > 0) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02015)
                      "refresh token store: purged %d expired rows", nrows);
    }
    if (store_exec(&nrows, r, L_PURGE_REVOKED, args) == 0 && nrows > 0) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02024)
                      "refresh token store: purged %d revoked rows", nrows);
    }
}

ajwt_store_e ajwt_store_peek_user(const char **puser, request_rec *r,
                                  const char *presented)
{
    apr_array_header_t *rows;
    const char *digest;
    const void *args[1];
    ajwt_err_t err;

    *puser = NULL;
    if (!ajwt_token_is_wellformed(presented)) {
        return AJWT_STORE_INVALID;
    }
    ajwt_err_clear(&err);
    if (ajwt_token_digest(&digest, r->pool, presented, &err) != APR_SUCCESS) {
        return AJWT_STORE_UNAVAILABLE;
    }
    args[0] = digest;
    if (store_select(&rows, NULL, r, L_PEEK, args, 1) != 0) {
        return AJWT_STORE_UNAVAILABLE;
    }
    if (rows->nelts == 0) {
        return AJWT_STORE_INVALID;
    }
    *puser = APR_ARRAY_IDX(rows, 0, const char **)[0];
    return *puser ? AJWT_STORE_OK : AJWT_STORE_INVALID;
}
