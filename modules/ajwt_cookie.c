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

/**
 * The next pair of a Cookie header from *ps: [*pstart, *pend) without the
 * separating ';' and blanks; *ps moves past it.
 * @return 1 for a pair, 0 at the end.
 */
static int next_pair(const char **pstart, const char **pend, const char **ps)
{
    const char *s = *ps, *e;

    while (s && (*s == ' ' || *s == '\t' || *s == ';')) {
        s++;
    }
    if (!s || !*s) {
        return 0;
    }
    e = strchr(s, ';');
    if (!e) {
        e = s + strlen(s);
    }
    *pstart = s;
    *pend = e;
    *ps = e;
    return 1;
}

/**
 * Is the pair [s, e) named name (exactly; blanks allowed before '=')?
 * @return its value, trimmed, in [*pv, *pve), and 1; or 0.
 */
static int pair_named(const char **pv, const char **pve, const char *s,
                      const char *e, const char *name)
{
    apr_size_t n = name ? strlen(name) : 0;
    const char *v;

    if (!name || (apr_size_t)(e - s) <= n || strncmp(s, name, n)) {
        return 0;
    }
    for (v = s + n; v < e && (*v == ' ' || *v == '\t'); v++) {
    }
    if (v == e || *v != '=') {
        return 0;
    }
    for (v++; v < e && (*v == ' ' || *v == '\t'); v++) {
    }
    for (; e > v && (e[-1] == ' ' || e[-1] == '\t'); e--) {
    }
    *pv = v;
    *pve = e;
    return 1;
}

int ajwt_cookie_find(const char **pvalue, apr_pool_t *p, const char *header,
                     const char *name)
{
    const char *s, *e, *v, *ve, *cur = header;
    int found = 0;

    *pvalue = NULL;
    while (found < 2 && next_pair(&s, &e, &cur)) {
        if (pair_named(&v, &ve, s, e, name)) {
            *pvalue = apr_pstrmemdup(p, v, (apr_size_t)(ve - v));
            found++;
        }
    }
    if (found != 1) {
        *pvalue = NULL;
    }
    return found;
}

const char *ajwt_cookie_without(apr_pool_t *p, const char *header,
                                const char *name1, const char *name2)
{
    const char *s, *e, *v, *ve, *cur = header;
    char *out = NULL;

    while (next_pair(&s, &e, &cur)) {
        if (!pair_named(&v, &ve, s, e, name1)
            && !pair_named(&v, &ve, s, e, name2)) {
            const char *pair = apr_pstrmemdup(p, s, (apr_size_t)(e - s));
            out = out ? apr_pstrcat(p, out, "; ", pair, NULL) : (char *)pair;
        }
    }
    return out;
}
