/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_cookie.c: Set-Cookie values (see ajwt_cookie.h).
 * Pure layer: APR only.
 */
#include <string.h>

#include "apr_strings.h"

#include "ajwt_cookie.h"

int ajwt_cookie_name_needs_secure(const char *name)
{
    return name &&
           (!strncmp(name, "__Host-", 7) || !strncmp(name, "__Secure-", 9));
}

const char *ajwt_cookie_header(apr_pool_t *p, const ajwt_cookie_t *c)
{
    int secure = c->secure || ajwt_cookie_name_needs_secure(c->name);
    const char *tail = apr_pstrcat(p, "; HttpOnly", secure ? "; Secure" : "",
                                   "; SameSite=", c->same_site, NULL);

    if (!c->value) {
        return apr_pstrcat(p, c->name, "=; Path=", c->path,
                           "; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 "
                           "GMT",
                           tail, NULL);
    }
    /* apr_psprintf knows APR_INT64_T_FMT, not "%lld" */
    return apr_psprintf(p, "%s=%s; Path=%s; Max-Age=%" APR_INT64_T_FMT "%s",
                        c->name, c->value, c->path,
                        c->max_age > 0 ? c->max_age : (apr_int64_t)0, tail);
}

int ajwt_cookie_find(const char **pvalue, apr_pool_t *p, const char *header,
                     const char *name)
{
    apr_size_t n = strlen(name);
    const char *s = header, *e, *v, *end;
    int found = 0;

    *pvalue = NULL;
    while (s && *s && found < 2) {
        while (*s == ' ' || *s == '\t' || *s == ';') {
            s++;
        }
        e = strchr(s, ';');
        if (!e) {
            e = s + strlen(s);
        }
        if ((apr_size_t)(e - s) > n && !strncmp(s, name, n)) {
            v = s + n;
            while (*v == ' ' || *v == '\t') {
                v++;
            }
            if (*v == '=') {
                for (v++; *v == ' ' || *v == '\t'; v++) {
                }
                for (end = e; end > v && (end[-1] == ' ' || end[-1] == '\t');
                     end--) {
                }
                *pvalue = apr_pstrmemdup(p, v, (apr_size_t)(end - v));
                found++;
            }
        }
        s = e;
    }
    if (found != 1) {
        *pvalue = NULL;
    }
    return found;
}
