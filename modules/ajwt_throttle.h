/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_throttle.h: throttling of password and refresh-token guessing, per
 * user name and per client address, with exponential backoff. Counters live
 * in mod_socache (AuthJWTThrottleCache, default shmcb; memcache or redis to
 * share them between servers); without a socache provider loaded, in a
 * per-process table. On by default (AuthJWTThrottle).
 * Glue layer.
 */
#ifndef AJWT_THROTTLE_H
#define AJWT_THROTTLE_H

#include "httpd.h"
#include "http_config.h"

/** Failures allowed before backoff starts: per user name from one address,
 * per user name from everywhere (high: a stranger must not be able to lock
 * a user out cheaply), per address. User names are compared ignoring case. */
#define AJWT_THROTTLE_FREE_USER 10
#define AJWT_THROTTLE_FREE_USER_ALL 100
#define AJWT_THROTTLE_FREE_ADDR 100
/** Longest wait imposed, and how long a quiet key is remembered (s). */
#define AJWT_THROTTLE_MAX_WAIT 300
#define AJWT_THROTTLE_MEMORY 900

/** pre_config: register the mutex type (Mutex auth-jwt-throttle ...). */
int ajwt_throttle_pre_config(apr_pool_t *pconf, apr_pool_t *plog,
                             apr_pool_t *ptemp);

/** post_config: create the cache (and its mutex when the provider needs
 * one). @return OK, or !OK with a startup log line. */
int ajwt_throttle_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);

/** child_init: attach the mutex in the child. */
void ajwt_throttle_child_init(apr_pool_t *p, server_rec *s);

/** AuthJWTThrottleCache PROVIDER[:ARGS] (server config). */
const char *ajwt_throttle_set_cache(cmd_parms *cmd, void *cfg,
                                    const char *arg);

/**
 * Is this attempt throttled? user may be NULL (refresh: address only).
 * @return 0, or the seconds to wait (the caller answers 429 with
 *         Retry-After).
 */
apr_int64_t ajwt_throttle_check(request_rec *r, const char *user);

/** Count a failed attempt (wrong password, unknown user or token). */
void ajwt_throttle_failure(request_rec *r, const char *user);

/** A successful login clears the user name's counter (not the address's). */
void ajwt_throttle_success(request_rec *r, const char *user);

/**
 * The longest a known user's password check has taken (µs), kept beside the
 * counters (shared by every process with a socache, else per process; it
 * never decays, so that a guesser cannot lower it with fast wrong
 * passwords); sample_us (0: none) raises it first. Failed logins are padded
 * to it, so that unknown users and wrong passwords answer alike.
 */
apr_uint32_t ajwt_throttle_check_time(request_rec *r, apr_uint32_t sample_us);

#endif /* AJWT_THROTTLE_H */
