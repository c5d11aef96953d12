/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_throttle.c: failed-attempt counters with exponential backoff (see
 * ajwt_throttle.h). A key (user name or client address) gets its free
 * attempts; each failure beyond them doubles the wait after the last
 * failure (1, 2, 4 ... seconds, at most AJWT_THROTTLE_MAX_WAIT); a key quiet
 * for AJWT_THROTTLE_MEMORY seconds is forgotten.
 * Glue layer.
 */
#include <string.h>

#include "apr_encode.h"
#include "apr_strings.h"
#include "apr_random.h"
#include "apr_atomic.h"
#include "apr_global_mutex.h"
#include "apr_thread_mutex.h"
#include "apr_hash.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_provider.h"
#include "ap_socache.h"
#include "util_mutex.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_socache.h"
#include "ajwt_throttle.h"
#include "ajwt_token.h"

#define TP_MUTEX_TYPE "auth-jwt-throttle"
#define TP_TABLE_MAX 10000 /* per-process fallback: keys kept at most */
/* Bytes of shared memory for the default (or plain "shmcb") cache. */
#define AJWT_THROTTLE_SHMCB_SIZE 8388608

typedef struct {
    apr_uint32_t count;  /* failures since the key was last forgotten */
    apr_uint32_t pending; /* attempts let through and not yet judged */
    apr_time_t last;     /* time of the last failure (microseconds: a wait
                          * of 1 s is a full second, whatever the clock
                          * second the failure fell in) */
} tp_record_t;

/* Set in post_config / child_init, read-only while serving; the records
 * themselves are guarded by tp_mutex (socache) or tp_tmutex (fallback). */
static const ap_socache_provider_t *tp_provider;
static ap_socache_instance_t *tp_instance;
/* per process: calls into tp_provider that a hung server holds */
static ajwt_stall_t tp_stall;
static apr_global_mutex_t *tp_mutex;
/* shmcb only: a secret, made at startup, that picks the first byte of every
 * key (see tp_key) */
static const char *tp_spread_secret;
static apr_hash_t *tp_table;
static apr_pool_t *tp_table_pool;
#if APR_HAS_THREADS
static apr_thread_mutex_t *tp_tmutex;
#endif

const char *ajwt_throttle_set_cache(cmd_parms *cmd, void *cfg,
                                    const char *arg)
{
    ajwt_server_conf_t *sc =
        ap_get_module_config(cmd->server->module_config, &auth_jwt_module);
    const char *colon = strchr(arg, ':');
    const char *name = colon ? apr_pstrmemdup(cmd->pool, arg,
                                              (apr_size_t)(colon - arg))
                             : arg;

    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                            AP_SOCACHE_PROVIDER_VERSION)) {
        return apr_psprintf(cmd->pool,
                            "%s: unknown socache provider '%s' (LoadModule "
                            "socache_%s_module ...)", cmd->cmd->name, name,
                            name);
    }
    sc->throttle_cache = apr_pstrdup(cmd->pool, arg);
    return NULL;
}

int ajwt_throttle_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp)
{
    return ap_mutex_register(pconf, TP_MUTEX_TYPE, NULL, APR_LOCK_DEFAULT, 0)
                   == APR_SUCCESS
               ? OK
               : HTTP_INTERNAL_SERVER_ERROR;
}

static apr_status_t tp_cleanup(void *data)
{
    if (tp_provider && tp_instance) {
        tp_provider->destroy(tp_instance, data);
    }
    tp_provider = NULL;
    tp_instance = NULL;
    tp_mutex = NULL;
    return APR_SUCCESS;
}

int ajwt_throttle_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s)
{
    const ajwt_server_conf_t *sc = ajwt_config_server(s);
    const char *spec = sc->throttle_cache ? sc->throttle_cache : "shmcb";
    const char *colon, *name;
    static const struct ap_socache_hints hints = {48, sizeof(tp_record_t),
                                                  apr_time_from_sec(60)};
    unsigned char secret[16];
    const char *err;
    apr_status_t rv;

    tp_spread_secret = NULL;
    /* shmcb's own default of 512 kB holds a few thousand counters, and a
     * full one forgets the oldest: junk failures would wipe a throttled
     * user's. 8 MB holds about 100,000. */
    spec = ajwt_socache_sized(ptemp, spec, "ajwt-throttle",
                              AJWT_THROTTLE_SHMCB_SIZE);
    if (!strncmp(spec, "shmcb", 5)) {
        if (apr_generate_random_bytes(secret, sizeof(secret)) != APR_SUCCESS) {
            return HTTP_INTERNAL_SERVER_ERROR;
        }
        tp_spread_secret = apr_pencode_base16_binary(
            pconf, secret, sizeof(secret), APR_ENCODE_LOWER, NULL);
    }
    colon = strchr(spec, ':');
    name = colon ? apr_pstrmemdup(ptemp, spec, (apr_size_t)(colon - spec))
                 : spec;
    tp_provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                     AP_SOCACHE_PROVIDER_VERSION);
    if (!tp_provider) {
        /* no socache module loaded: per-process counters (child_init) */
        ap_log_error(APLOG_MARK, APLOG_DEBUG, 0, s, AJWT_LOGNO(00110)
                     "socache '%s' not loaded: login throttling keeps its "
                     "counters per process", name);
        return OK;
    }
    apr_pool_cleanup_register(pconf, s, tp_cleanup, apr_pool_cleanup_null);
    err = tp_provider->create(&tp_instance, colon ? colon + 1 : NULL, ptemp,
                              pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                     AJWT_LOGNO(00111) "AuthJWTThrottleCache '%s': %s", spec,
                     err);
        tp_instance = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (tp_provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&tp_mutex, NULL, TP_MUTEX_TYPE, NULL, s,
                                    pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                         AJWT_LOGNO(00112) "cannot create the throttle mutex");
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    rv = tp_provider->init(tp_instance, "ajwt-throttle", &hints, s, pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                     AJWT_LOGNO(00113) "cannot initialise the throttle cache "
                     "'%s'", spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return OK;
}

void ajwt_throttle_child_init(apr_pool_t *p, server_rec *s)
{
    if (tp_mutex) {
        apr_status_t rv = apr_global_mutex_child_init(
            &tp_mutex, apr_global_mutex_lockfile(tp_mutex), p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, AJWT_LOGNO(00114)
                         "cannot attach the throttle mutex in the child");
        }
    }
    if (!tp_provider) {
        tp_table_pool = p;
        tp_table = apr_hash_make(p);
#if APR_HAS_THREADS
        apr_thread_mutex_create(&tp_tmutex, APR_THREAD_MUTEX_DEFAULT, p);
#endif
    }
}

/** Lock the counters (socache mutex or the process's table mutex). */
static void tp_lock(void)
{
    if (tp_mutex) {
        apr_global_mutex_lock(tp_mutex);
    }
#if APR_HAS_THREADS
    if (!tp_provider && tp_tmutex) {
        apr_thread_mutex_lock(tp_tmutex);
    }
#endif
}

static void tp_unlock(void)
{
#if APR_HAS_THREADS
    if (!tp_provider && tp_tmutex) {
        apr_thread_mutex_unlock(tp_tmutex);
    }
#endif
    if (tp_mutex) {
        apr_global_mutex_unlock(tp_mutex);
    }
}

/** Read a key's record (locked by the caller). @return 1 when found. */
static int tp_get(request_rec *r, const char *key, tp_record_t *rec)
{
    unsigned int len = sizeof(*rec);

    if (tp_provider && tp_instance) {
        apr_status_t rv;

        if (ajwt_stall_enter(&tp_stall) != APR_SUCCESS) {
            return 0; /* a server that hangs: not throttled meanwhile */
        }
        rv = tp_provider->retrieve(tp_instance, r->server,
                                   (const unsigned char *)key,
                                   (unsigned int)strlen(key),
                                   (unsigned char *)rec, &len, r->pool);
        ajwt_stall_leave(&tp_stall);
        return rv == APR_SUCCESS && len == sizeof(*rec);
    }
    if (tp_table) {
        const tp_record_t *found = apr_hash_get(tp_table, key,
                                                APR_HASH_KEY_STRING);
        if (found) {
            *rec = *found;
            return 1;
        }
    }
    return 0;
}

/** Write a key's record (locked by the caller). */
static void tp_put(request_rec *r, const char *key, const tp_record_t *rec)
{
    if (tp_provider && tp_instance) {
        if (ajwt_stall_enter(&tp_stall) != APR_SUCCESS) {
            return;
        }
        tp_provider->store(tp_instance, r->server, (const unsigned char *)key,
                           (unsigned int)strlen(key),
                           apr_time_now()
                               + apr_time_from_sec(AJWT_THROTTLE_MEMORY),
                           (unsigned char *)rec, sizeof(*rec), r->pool);
        ajwt_stall_leave(&tp_stall);
        return;
    }
    if (tp_table) {
        tp_record_t *slot = apr_hash_get(tp_table, key, APR_HASH_KEY_STRING);
        if (!slot) {
            if (apr_hash_count(tp_table) >= TP_TABLE_MAX) {
                apr_hash_clear(tp_table); /* crude, bounded memory */
            }
            slot = apr_palloc(tp_table_pool, sizeof(*slot));
            apr_hash_set(tp_table, apr_pstrdup(tp_table_pool, key),
                         APR_HASH_KEY_STRING, slot);
        }
        *slot = *rec;
    }
}

/**
 * Seconds a key must still wait (rounded up), given its free attempts.
 * Attempts let through but not judged yet count as failures: a burst of
 * parallel guesses gets no more than the free attempts (they wait a second
 * for the ones in flight).
 */
static apr_int64_t tp_wait(const tp_record_t *rec, apr_uint32_t free,
                           apr_time_t now)
{
    int remembered = now - rec->last <= apr_time_from_sec(AJWT_THROTTLE_MEMORY);
    apr_uint32_t n = (remembered ? rec->count : 0) + rec->pending;
    apr_uint32_t over;
    apr_time_t penalty, left;

    if (n < free) {
        return 0;
    }
    over = n - free + 1; /* the first attempt after them waits 1 s */
    penalty = apr_time_from_sec(over > 9 ? AJWT_THROTTLE_MAX_WAIT
                                         : ((apr_int64_t)1 << (over - 1)));
    if (penalty > apr_time_from_sec(AJWT_THROTTLE_MAX_WAIT)) {
        penalty = apr_time_from_sec(AJWT_THROTTLE_MAX_WAIT);
    }
    left = rec->last + penalty - now;
    if (left <= 0) {
        return rec->pending ? 1 : 0;
    }
    return (left + APR_USEC_PER_SEC - 1) / APR_USEC_PER_SEC;
}

/** The user name folded to lower case (one counter for every spelling). */
static const char *fold(request_rec *r, const char *user)
{
    char *u = apr_pstrdup(r->pool, user);

    ap_str_tolower(u);
    return u;
}

/**
 * The cache key of a counter named text. shmcb files an entry in the
 * subcache its key's first byte names: with every key starting alike, all
 * counters shared one subcache (a 32nd of the memory), where a few hundred
 * junk failures wiped a throttled user's. So on shmcb a byte from a keyed
 * digest of the name comes first: spread over the subcaches, and not one
 * an attacker can aim at by choosing user names. (memcache and redis hash
 * keys themselves; every server must compute the same key there.)
 */
static const char *tp_key(request_rec *r, const char *text)
{
    const char *hex;
    ajwt_err_t err;

    if (!tp_spread_secret
        || ajwt_token_digest(&hex, r->pool,
                             apr_pstrcat(r->pool, tp_spread_secret, text,
                                         NULL),
                             &err) != APR_SUCCESS) {
        return text;
    }
    return ajwt_socache_spread(r->pool, hex, text);
}

/** The counter of a user name tried from this address. */
static const char *key_user(request_rec *r, const char *user)
{
    return user ? tp_key(r, apr_pstrcat(r->pool, "ajwt:u:", r->useragent_ip,
                                        ":", fold(r, user), NULL))
                : NULL;
}

/** The counter of a user name tried from anywhere. */
static const char *key_user_all(request_rec *r, const char *user)
{
    return user ? tp_key(r, apr_pstrcat(r->pool, "ajwt:U:", fold(r, user),
                                        NULL))
                : NULL;
}

static const char *key_addr(request_rec *r)
{
    return tp_key(r, apr_pstrcat(r->pool, "ajwt:a:", r->useragent_ip, NULL));
}

/* The keys an attempt let through holds a pending mark on, until it is
 * judged (failure, success) or, failing that, until the request ends. */
typedef struct {
    request_rec *r;
    const char *keys[3];
    int held;
} tp_pending_t;

#define TP_PENDING_NOTE "ajwt-throttle-pending"

/** Add delta to key's pending attempts (locked by the caller). */
static void tp_pend(request_rec *r, const char *key, int delta)
{
    tp_record_t rec;

    if (!tp_get(r, key, &rec)) {
        if (delta < 0) {
            return; /* forgotten meanwhile */
        }
        memset(&rec, 0, sizeof(rec)); /* no failure yet: last stays 0 */
    }
    if (delta > 0) {
        rec.pending++;
    }
    else if (rec.pending > 0) {
        rec.pending--;
    }
    tp_put(r, key, &rec);
}

static void tp_release_locked(tp_pending_t *pd)
{
    int i;

    if (pd->held) {
        for (i = 0; i < 3; i++) {
            if (pd->keys[i]) {
                tp_pend(pd->r, pd->keys[i], -1);
            }
        }
        pd->held = 0;
    }
}

/** Request cleanup: an attempt that was never judged gives its marks back. */
static apr_status_t tp_pending_cleanup(void *data)
{
    tp_pending_t *pd = data;

    if (pd->held) {
        tp_lock();
        tp_release_locked(pd);
        tp_unlock();
    }
    return APR_SUCCESS;
}

static tp_pending_t *tp_pending(request_rec *r)
{
    void *pd = NULL;

    apr_pool_userdata_get(&pd, TP_PENDING_NOTE, r->pool);
    return pd;
}

apr_int64_t ajwt_throttle_check(request_rec *r, const char *user)
{
    apr_time_t now = apr_time_now();
    apr_int64_t wait = 0, w;
    const char *ku = key_user(r, user), *kall = key_user_all(r, user);
    const char *ka = key_addr(r);
    tp_pending_t *pd;
    tp_record_t rec;

    tp_lock();
    if (ku && tp_get(r, ku, &rec)) {
        wait = tp_wait(&rec, AJWT_THROTTLE_FREE_USER, now);
    }
    if (kall && tp_get(r, kall, &rec)
        && (w = tp_wait(&rec, AJWT_THROTTLE_FREE_USER_ALL, now)) > wait) {
        wait = w;
    }
    if (tp_get(r, ka, &rec)
        && (w = tp_wait(&rec, AJWT_THROTTLE_FREE_ADDR, now)) > wait) {
        wait = w;
    }
    if (!wait && !tp_pending(r)) {
        /* let through: marked pending until judged */
        pd = apr_pcalloc(r->pool, sizeof(*pd));
        pd->r = r;
        pd->keys[0] = ku;
        pd->keys[1] = kall;
        pd->keys[2] = ka;
        pd->held = 1;
        tp_pend(r, ka, 1);
        if (ku) {
            tp_pend(r, ku, 1);
            tp_pend(r, kall, 1);
        }
        apr_pool_userdata_setn(pd, TP_PENDING_NOTE, NULL, r->pool);
        apr_pool_cleanup_register(r->pool, pd, tp_pending_cleanup,
                                  apr_pool_cleanup_null);
    }
    tp_unlock();
    if (wait) {
        ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(00115)
                      "attempt throttled for %" APR_INT64_T_FMT " s: user "
                      "'%s', client %s", wait, user ? user : "-",
                      r->useragent_ip);
    }
    return wait;
}

/** One more failure for key (locked by the caller). */
static void tp_count(request_rec *r, const char *key, apr_time_t now)
{
    tp_record_t rec;

    if (!tp_get(r, key, &rec)) {
        memset(&rec, 0, sizeof(rec));
    }
    if (now - rec.last > apr_time_from_sec(AJWT_THROTTLE_MEMORY)) {
        rec.count = 0; /* old failures are forgotten, pending marks kept */
    }
    rec.count++;
    rec.last = now;
    tp_put(r, key, &rec);
}

void ajwt_throttle_failure(request_rec *r, const char *user)
{
    apr_time_t now = apr_time_now();
    const char *ku = key_user(r, user), *kall = key_user_all(r, user);
    tp_pending_t *pd = tp_pending(r);

    tp_lock();
    if (pd) {
        tp_release_locked(pd); /* the mark becomes a failure */
    }
    if (ku) {
        tp_count(r, ku, now);
        tp_count(r, kall, now);
    }
    tp_count(r, key_addr(r), now);
    tp_unlock();
}

/** Forget a key (locked by the caller). */
static void tp_forget(request_rec *r, const char *key)
{
    if (tp_provider && tp_instance) {
        tp_provider->remove(tp_instance, r->server,
                            (const unsigned char *)key,
                            (unsigned int)strlen(key), r->pool);
    }
    else if (tp_table) {
        apr_hash_set(tp_table, key, APR_HASH_KEY_STRING, NULL);
    }
}

void ajwt_throttle_success(request_rec *r, const char *user)
{
    tp_pending_t *pd = tp_pending(r);

    tp_lock();
    if (pd) {
        tp_release_locked(pd);
    }
    if (user) {
        tp_forget(r, key_user(r, user));
        tp_forget(r, key_user_all(r, user));
    }
    tp_unlock();
}

/* This process's own longest check: the socache entry may be lost (a
 * restart recreates shmcb, a quiet spell lets it expire); this is not. */
static apr_uint32_t tp_local_check_us;

apr_uint32_t ajwt_throttle_check_time(request_rec *r, apr_uint32_t sample_us)
{
    static const char key[] = "ajwt:pad";
    tp_record_t rec;
    apr_uint32_t v, local;

    while ((local = apr_atomic_read32(&tp_local_check_us)) < sample_us
           && apr_atomic_cas32(&tp_local_check_us, sample_us, local) != local) {
        /* another thread raised it meanwhile: look again */
    }

    tp_lock();
    if (!tp_get(r, key, &rec)) {
        memset(&rec, 0, sizeof(rec));
    }
    v = rec.count;
    /* rewritten when raised, and now and then so that the entry does not
     * expire while logins go on */
    if (sample_us > v || (sample_us && apr_time_now() - rec.last
                                           > apr_time_from_sec(60))) {
        rec.count = sample_us > v ? sample_us : v;
        rec.last = apr_time_now();
        tp_put(r, key, &rec);
        v = rec.count;
    }
    tp_unlock();
    local = apr_atomic_read32(&tp_local_check_us);
    return v > local ? v : local;
}
