/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_url.c: return_to validation and encoding, navigation detection
 * (see ajwt_url.h). Pure layer: APR only.
 */
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "ajwt_url.h"

/** Does the path part (before '?' or '#') hold a forbidden %XX escape? */
static int bad_escape_in_path(const char *s)
{
    static const char *const bad[] = {"%2f", "%5c", "%0d", "%0a", "%00",
                                      "%09"};
    apr_size_t i;

    for (; *s && *s != '?' && *s != '#'; s++) {
        if (*s != '%') {
            continue;
        }
        for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
            if (!strncasecmp(s, bad[i], 3)) {
                return 1;
            }
        }
    }
    return 0;
}

/** Any %XX escape of CR, LF or NUL anywhere (a header injection attempt)? */
static int bad_escape_anywhere(const char *s)
{
    for (; (s = strchr(s, '%')) != NULL; s++) {
        if (!strncasecmp(s, "%0d", 3) || !strncasecmp(s, "%0a", 3)
            || !strncmp(s, "%00", 3)) {
            return 1;
        }
    }
    return 0;
}

const char *ajwt_url_return_to(const char *c)
{
    const char *s;

    if (!c || c[0] != '/' || c[1] == '/' || c[1] == '\\'
        || strlen(c) > AJWT_RETURN_TO_MAX) {
        return "/";
    }
    for (s = c; *s; s++) {
        unsigned char u = (unsigned char)*s;
        if (u <= 0x20 || u >= 0x7f || u == '\\') {
            return "/";
        }
    }
    if (bad_escape_in_path(c) || bad_escape_anywhere(c)) {
        return "/";
    }
    return c;
}

const char *ajwt_url_encode_except(apr_pool_t *p, const char *s,
                                   const char *safe)
{
    static const char hex[] = "0123456789ABCDEF";
    apr_size_t n = 0;
    const char *c;
    char *out, *o;

    for (c = s; *c; c++) {
        n += (apr_isalnum(*c) || strchr(safe, *c)) ? 1 : 3;
    }
    o = out = apr_palloc(p, n + 1);
    for (c = s; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (apr_isalnum(u) || strchr(safe, u)) {
            *o++ = (char)u;
        }
        else {
            *o++ = '%';
            *o++ = hex[u >> 4];
            *o++ = hex[u & 15];
        }
    }
    *o = '\0';
    return out;
}

const char *ajwt_url_encode(apr_pool_t *p, const char *s)
{
    return ajwt_url_encode_except(p, s, "-._~/");
}

const char *ajwt_url_with_return(apr_pool_t *p, const char *location,
                                 const char *return_to)
{
    return apr_pstrcat(p, location, strchr(location, '?') ? "&" : "?",
                       "return_to=", ajwt_url_encode(p, return_to), NULL);
}

int ajwt_url_is_navigation(const char *accept, const char *requested_with)
{
    const char *a;

    if (!accept || requested_with) {
        return 0;
    }
    for (a = accept; *a; a++) {
        if (!strncasecmp(a, "text/html", 9)) {
            return 1;
        }
    }
    return 0;
}
