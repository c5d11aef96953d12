/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_cookie.h: Set-Cookie values of browser mode (contract §5): the
 * access and refresh cookies the login and refresh handlers set, and the
 * expired twins that logout and a failed refresh send to clear them, and
 * reading one cookie out of a Cookie header.
 * Pure layer: APR only.
 */
#ifndef AJWT_COOKIE_H
#define AJWT_COOKIE_H

#include "apr.h"
#include "apr_pools.h"

/** What a Set-Cookie value says. */
typedef struct {
    const char *name;      /* an RFC 6265 cookie-name (checked at config) */
    const char *value;     /* the token; NULL clears the cookie */
    const char *path;      /* Path attribute */
    apr_int64_t max_age;   /* seconds; ignored when clearing */
    int secure;            /* add Secure */
    const char *same_site; /* "Lax" or "Strict" */
} ajwt_cookie_t;

/**
 * Must a cookie of this name be Secure whatever the configuration says?
 * Browsers drop "__Host-" and "__Secure-" cookies that are not (RFC
 * 6265bis §4.1.3), clearing ones included.
 * @return 1 or 0.
 */
int ajwt_cookie_name_needs_secure(const char *name);

/**
 * The Set-Cookie value for c: "name=value; Path=...; Max-Age=N; HttpOnly;
 * [Secure; ]SameSite=...". With c->value NULL it clears the cookie:
 * an empty value, Max-Age=0 and an Expires in 1970. A negative max_age
 * counts as 0. Secure is added for c->secure or a name that needs it.
 */
const char *ajwt_cookie_header(apr_pool_t *p, const ajwt_cookie_t *c);

/**
 * Look for the cookie name in a Cookie header value: pairs separated by
 * ';', white space around them ignored, names compared exactly. Unlike
 * httpd's ap_cookie_read, a name sent twice (two Paths) is not logged at
 * error level: the caller decides.
 * @return how many pairs carry name, capped at 2; with exactly 1, *pvalue
 *         is its value (copied into p, possibly empty), else NULL.
 */
int ajwt_cookie_find(const char **pvalue, apr_pool_t *p, const char *header,
                     const char *name);

/**
 * A Cookie header value without the cookies named name1 or name2 (either may
 * be NULL), parsed as ajwt_cookie_find does; the other pairs kept in order,
 * joined by "; ". NULL when nothing is left.
 */
const char *ajwt_cookie_without(apr_pool_t *p, const char *header,
                                const char *name1, const char *name2);

#endif /* AJWT_COOKIE_H */
