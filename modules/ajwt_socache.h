/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_socache.h: one mod_socache instance with its life cycle: the
 * provider named by a directive (PROVIDER[:ARGS]), created in post_config,
 * its global mutex (for providers that are not multi-process safe, such as
 * shmcb) attached in child_init, and locked get/put.
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_SOCACHE_H
#define AJWT_SOCACHE_H

#include "httpd.h"
#include "http_config.h"
#include "ap_socache.h"
#include "apr_global_mutex.h"

typedef struct {
    const char *what;       /* the directive, for messages */
    const char *mutex_type; /* registered in pre_config */
    const char *spec;       /* PROVIDER[:ARGS] it was made from */
    const ap_socache_provider_t *provider;
    ap_socache_instance_t *instance;
    apr_global_mutex_t *mutex;
} ajwt_socache_t;

/**
 * Is the provider of spec (PROVIDER[:ARGS]) loaded? For directive
 * handlers. @return NULL, or the message refusing the directive.
 */
const char *ajwt_socache_check_spec(cmd_parms *cmd, const char *spec);

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
