/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_socache.h: one mod_socache instance with its life cycle: the
 * provider named by a directive (PROVIDER[:ARGS]), created in post_config,
 * its global mutex (for providers that are not multi-process safe, such as
 * shmcb) attached in child_init, and locked get/put that do not pile up
 * behind a server that stopped answering.
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_SOCACHE_H
#define AJWT_SOCACHE_H

#include "httpd.h"
#include "http_config.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"

/*
 * Per process: the calls into a provider pending now, and the last moment
 * (ms, wrapping) one began on an idle cache or ended. A call pending for
 * longer than AJWT_SOCACHE_STALL_MS means a server that holds its
 * connections without answering (neither apr_memcache nor apr_redis bound
 * a read), and the next calls fail at once instead of joining it.
 */
typedef struct {
    apr_uint32_t inflight;
    apr_uint32_t progress_ms;
} ajwt_stall_t;

typedef struct {
    const char *what;       /* the directive, for messages */
    const char *mutex_type; /* registered in pre_config */
    const char *spec;       /* PROVIDER[:ARGS] it was made from */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
    ajwt_stall_t stall;
} ajwt_socache_t;

/** How long a pending call may go without any call ending (ms). */
#define AJWT_SOCACHE_STALL_MS 1000

/**
 * Before a call into a provider: APR_TIMEUP (and no call may be made) when
 * one of this process has been pending too long; else APR_SUCCESS, and
 * ajwt_stall_leave() must follow the call.
 */
apr_status_t ajwt_stall_enter(ajwt_stall_t *st);

/** After the call that ajwt_stall_enter() allowed. */
void ajwt_stall_leave(ajwt_stall_t *st);

/**
 * Is the provider of spec (PROVIDER[:ARGS]) loaded? For directive
 * handlers. @return NULL, or the message refusing the directive.
 */
const char *ajwt_socache_check_spec(cmd_parms *cmd, const char *spec);

/**
 * Does spec name a list of servers (memcache:h1:p1,h2:p2 or the same for
 * redis), among which the provider shards the keys?
 */
int ajwt_socache_is_list(const char *spec);

/**
 * spec, except that a plain "shmcb" (shmcb's own default: 512 kB) becomes
 * "shmcb:RUNTIMEDIR/file(size)". In p.
 */
const char *ajwt_socache_sized(apr_pool_t *p, const char *spec,
                               const char *file, apr_size_t size);

/**
 * key behind one byte taken from hex (a hex digest, at least 2 digits):
 * shmcb files an entry in the subcache its key's first byte names (masked
 * to the number of subcaches, at most 256), so keys that all began alike
 * would share one of them. A NUL byte, which would end the key, becomes
 * 0x80: the subcache of 0x00 under every mask but 0xff. memcache and redis
 * hex-encode keys, so any byte will do there. In p.
 */
const char *ajwt_socache_spread(apr_pool_t *p, const char *hex,
                                const char *key);

/**
 * post_config: create and initialise c from spec under namespace ns (a
 * pconf cleanup destroys it). c->what and c->mutex_type must be set.
 * @return OK, or HTTP_INTERNAL_SERVER_ERROR after a startup log line.
 */
int ajwt_socache_create(ajwt_socache_t *c, const char *spec, const char *ns,
                        const struct ap_socache_hints *hints, server_rec *s,
                        apr_pool_t *pconf, apr_pool_t *ptemp);

/** child_init: attach the mutex, when there is one. */
void ajwt_socache_child_init(ajwt_socache_t *c, apr_pool_t *p, server_rec *s);

/**
 * Read key into buf (*plen: its size in, the value's length out).
 * @return APR_SUCCESS, APR_NOTFOUND, or the provider's error (the cache
 *         cannot be reached).
 */
apr_status_t ajwt_socache_get(ajwt_socache_t *c, request_rec *r,
                              const char *key, unsigned char *buf,
                              unsigned int *plen);

/** Store key until expiry (absolute). @return the provider's status. */
apr_status_t ajwt_socache_put(ajwt_socache_t *c, request_rec *r,
                              const char *key, apr_time_t expiry,
                              const unsigned char *val, unsigned int len);

#endif /* AJWT_SOCACHE_H */
