/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_url.h: the small URL rules of browser mode: which return_to values
 * are safe to redirect to (local paths only: no open redirect, no header
 * injection), building "location?return_to=...", and what counts as a
 * browser navigation.
 * Pure layer: APR only.
 */
#ifndef AJWT_URL_H
#define AJWT_URL_H

#include "apr_pools.h"

/** Longest return_to kept; longer ones fall back to "/". */
#define AJWT_RETURN_TO_MAX 2048

/**
 * Is candidate a safe local redirect target? It must start with exactly one
 * '/' (not "//", not "/\"), contain only printable ASCII without spaces and
 * backslashes, no percent-encoded '/', '\', CR, LF, NUL or TAB in its path,
 * no scheme, and be at most AJWT_RETURN_TO_MAX bytes.
 * @return candidate when safe, else "/". NULL or empty gives "/".
 */
const char *ajwt_url_return_to(const char *candidate);

/**
 * Percent-encode s: everything but ALPHA, DIGIT and the bytes of safe
 * becomes %XX (upper case hex).
 */
const char *ajwt_url_encode_except(apr_pool_t *p, const char *s,
                                   const char *safe);

/** Percent-encode s for a query value (safe: "-._~/"). */
const char *ajwt_url_encode(apr_pool_t *p, const char *s);

/**
 * "location?return_to=<encoded>" ('&' when location already has a query).
 */
const char *ajwt_url_with_return(apr_pool_t *p, const char *location,
                                 const char *return_to);

/**
 * Is a request a browser navigation: its Accept header includes text/html
 * (case-insensitive) and it carries no X-Requested-With header?
 */
int ajwt_url_is_navigation(const char *accept, const char *requested_with);

#endif /* AJWT_URL_H */
