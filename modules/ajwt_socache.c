/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_socache.c: a mod_socache instance and its life cycle (see
 * ajwt_socache.h).
 * Glue layer: APR, httpd.
 */
#include <string.h>

#include "apr_atomic.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "ap_provider.h"
#include "util_mutex.h"

#include "ajwt_private.h"
#include "ajwt_socache.h"

/** The provider name of a spec, in p. */
static const char *spec_name(apr_pool_t *p, const char *spec,
                             const char **pargs)
{
    const char *colon = strchr(spec, ':');

    *pargs = colon ? colon + 1 : NULL;
    return colon ? apr_pstrmemdup(p, spec, (apr_size_t)(colon - spec)) : spec;
}

const char *ajwt_socache_check_spec(cmd_parms *cmd, const char *spec)
{
    const char *args;
    const char *name = spec_name(cmd->temp_pool, spec, &args);

    if (!ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                            AP_SOCACHE_PROVIDER_VERSION)) {
        return apr_psprintf(cmd->pool,
                            "%s: unknown socache provider '%s' (LoadModule "
                            "socache_%s_module ...)", cmd->cmd->name, name,
                            name);
    }
    return NULL;
}

int ajwt_socache_is_list(const char *spec)
{
    return (!strncmp(spec, "memcache:", 9) || !strncmp(spec, "redis:", 6))
           && strchr(spec, ',') != NULL;
}

const char *ajwt_socache_sized(apr_pool_t *p, const char *spec,
                               const char *file, apr_size_t size)
{
    if (strcmp(spec, "shmcb")) {
        return spec;
    }
    return apr_psprintf(p, "shmcb:%s(%" APR_SIZE_T_FMT ")",
                        ap_runtime_dir_relative(p, file), size);
}

/** The value of a hex digit (0 for anything else). */
static unsigned int hex_digit(char h)
{
    return h >= '0' && h <= '9'   ? (unsigned int)(h - '0')
           : h >= 'a' && h <= 'f' ? (unsigned int)(h - 'a' + 10)
           : h >= 'A' && h <= 'F' ? (unsigned int)(h - 'A' + 10)
                                  : 0;
}

const char *ajwt_socache_spread(apr_pool_t *p, const char *hex,
                                const char *key)
{
    unsigned int spread = hex_digit(hex[0]) << 4 | hex_digit(hex[1]);

    return apr_psprintf(p, "%c%s", spread ? (int)spread : 0x80, key);
}

/** pconf cleanup of a kept instance: forget it here, destroy nothing. */
static apr_status_t socache_forget(void *data)
{
    ajwt_socache_t *c = data;

    c->provider = NULL;
    c->instance = NULL;
    c->mutex = NULL;
    return APR_SUCCESS;
}

/** pconf cleanup of an instance of this generation: destroy it. */
static apr_status_t socache_cleanup(void *data)
{
    ajwt_socache_t *c = data;

    if (c->provider && c->instance) {
        c->provider->destroy(c->instance, NULL);
    }
    return socache_forget(c);
}

/* A shmcb instance kept in the process pool across configuration
 * generations (see socache_make). */
typedef struct {
    const char *spec;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex; /* the one lock of the segment */
} socache_kept_t;

/**
 * Create and initialise c->instance. Its entries must outlive a graceful
 * restart or a reload (a revocation that a reload forgets is no
 * revocation), but shmcb keeps them in shared memory that belongs to the
 * pool it was made in: made in pconf, every reload would start empty. So
 * a shmcb instance is made once in the process pool and reused by every
 * later generation with the same spec (the shared memory stays mapped in
 * the children of each), with its mutex: during a graceful restart the
 * old generation's children still use the segment, and they must take the
 * same lock as the new ones. memcache and redis keep their entries in
 * their servers: a new client per generation loses nothing.
 */
static int socache_make(ajwt_socache_t *c, const char *name,
                        const char *args, const char *ns,
                        const struct ap_socache_hints *hints, server_rec *s,
                        apr_pool_t *pconf, apr_pool_t *ptemp)
{
    apr_pool_t *pp = s->process->pool;
    const char *key = apr_pstrcat(ptemp, "ajwt-socache:", ns, NULL);
    int keep = !strcmp(name, "shmcb");
    socache_kept_t *kept = NULL;
    const char *err;
    apr_status_t rv;

    apr_pool_cleanup_register(pconf, c, keep ? socache_forget
                                             : socache_cleanup,
                              apr_pool_cleanup_null);
    if (keep) {
        apr_pool_userdata_get((void **)&kept, key, pp);
        if (kept && !strcmp(kept->spec, c->spec)) {
            c->instance = kept->instance;
            c->mutex = kept->mutex;
            return OK;
        }
        if (kept) {
            /* another size or path now: drop the old segment */
            c->provider->destroy(kept->instance, s);
            kept->spec = "";
        }
    }
    err = c->provider->create(&c->instance, args, ptemp, keep ? pp : pconf);
    if (err) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                     AJWT_LOGNO(03002) "%s '%s': %s", c->what, c->spec, err);
        c->instance = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    rv = c->provider->init(c->instance, ns, hints, s, keep ? pp : pconf);
    if (rv != APR_SUCCESS) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                     AJWT_LOGNO(03004) "%s: cannot initialise '%s'", c->what,
                     c->spec);
        c->instance = NULL;
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    if (c->provider->flags & AP_SOCACHE_FLAG_NOTMPSAFE) {
        rv = ap_global_mutex_create(&c->mutex, NULL, c->mutex_type, NULL, s,
                                    keep ? pp : pconf, 0);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, rv, s,
                         AJWT_LOGNO(03003) "%s: cannot create the mutex %s",
                         c->what, c->mutex_type);
            return HTTP_INTERNAL_SERVER_ERROR;
        }
    }
    if (keep) {
        if (!kept) {
            kept = apr_pcalloc(pp, sizeof(*kept));
            apr_pool_userdata_set(kept, key, apr_pool_cleanup_null, pp);
        }
        kept->spec = apr_pstrdup(pp, c->spec);
        kept->instance = c->instance;
        kept->mutex = c->mutex;
    }
    return OK;
}

int ajwt_socache_create(ajwt_socache_t *c, const char *spec, const char *ns,
                        const struct ap_socache_hints *hints, server_rec *s,
                        apr_pool_t *pconf, apr_pool_t *ptemp)
{
    const char *args;
    const char *name = spec_name(ptemp, spec, &args);

    c->spec = apr_pstrdup(pconf, spec);
    c->provider = ap_lookup_provider(AP_SOCACHE_PROVIDER_GROUP, name,
                                     AP_SOCACHE_PROVIDER_VERSION);
    if (!c->provider) {
        ap_log_error(APLOG_MARK, APLOG_STARTUP | APLOG_ERR, 0, s,
                     AJWT_LOGNO(03001) "%s '%s': socache provider not loaded",
                     c->what, spec);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    return socache_make(c, name, args, ns, hints, s, pconf, ptemp);
}

void ajwt_socache_child_init(ajwt_socache_t *c, apr_pool_t *p, server_rec *s)
{
    if (c->mutex) {
        apr_status_t rv = apr_global_mutex_child_init(
            &c->mutex, apr_global_mutex_lockfile(c->mutex), p);
        if (rv != APR_SUCCESS) {
            ap_log_error(APLOG_MARK, APLOG_ERR, rv, s, AJWT_LOGNO(03005)
                         "%s: cannot attach the mutex in the child", c->what);
        }
    }
}

/** Milliseconds, wrapping every 49 days (only differences are used). */
static apr_uint32_t socache_ms(void)
{
    return (apr_uint32_t)(apr_time_now() / 1000);
}

apr_status_t ajwt_stall_enter(ajwt_stall_t *st)
{
    apr_uint32_t now = socache_ms();

    if (apr_atomic_read32(&st->inflight) > 0) {
        if (now - apr_atomic_read32(&st->progress_ms)
            > AJWT_SOCACHE_STALL_MS) {
            return APR_TIMEUP;
        }
    }
    else {
        apr_atomic_set32(&st->progress_ms, now);
    }
    apr_atomic_inc32(&st->inflight);
    return APR_SUCCESS;
}

void ajwt_stall_leave(ajwt_stall_t *st)
{
    apr_atomic_set32(&st->progress_ms, socache_ms());
    apr_atomic_dec32(&st->inflight);
}

/** Begin a call on c: the stall guard, then c's mutex. */
static apr_status_t socache_enter(ajwt_socache_t *c)
{
    apr_status_t rv = ajwt_stall_enter(&c->stall);

    if (rv == APR_SUCCESS && c->mutex) {
        apr_global_mutex_lock(c->mutex);
    }
    return rv;
}

static void socache_leave(ajwt_socache_t *c)
{
    if (c->mutex) {
        apr_global_mutex_unlock(c->mutex);
    }
    ajwt_stall_leave(&c->stall);
}

apr_status_t ajwt_socache_get(ajwt_socache_t *c, request_rec *r,
                              const char *key, unsigned char *buf,
                              unsigned int *plen)
{
    apr_status_t rv;

    if (!c->instance) {
        return APR_NOTFOUND;
    }
    if ((rv = socache_enter(c)) != APR_SUCCESS) {
        return rv;
    }
    rv = c->provider->retrieve(c->instance, r->server,
                               (const unsigned char *)key,
                               (unsigned int)strlen(key), buf, plen, r->pool);
    socache_leave(c);
    return rv;
}

apr_status_t ajwt_socache_put(ajwt_socache_t *c, request_rec *r,
                              const char *key, apr_time_t expiry,
                              const unsigned char *val, unsigned int len)
{
    apr_status_t rv;

    if (!c->instance) {
        return APR_EGENERAL;
    }
    if ((rv = socache_enter(c)) != APR_SUCCESS) {
        return rv;
    }
    rv = c->provider->store(c->instance, r->server,
                            (const unsigned char *)key,
                            (unsigned int)strlen(key), expiry,
                            (unsigned char *)val, len, r->pool);
    socache_leave(c);
    return rv;
}
