/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_body.h: the request body of the login, refresh, logout and revoke
 * endpoints: read with a hard cap (Content-Length and chunked alike, never
 * buffering more than the cap), then parsed as
 * application/x-www-form-urlencoded or as a JSON object of strings (JSON
 * booleans are kept apart, for flags such as "all"). Field names compare
 * exactly (case-sensitively: "Username" is not "username"); a name given
 * twice, NUL bytes and invalid UTF-8 are refused.
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_BODY_H
#define AJWT_BODY_H

#include "httpd.h"
#include "apr_hash.h"

/** Largest accepted request body, in bytes. */
#define AJWT_BODY_MAX 8192

/** A parsed endpoint body. */
typedef struct {
    apr_hash_t *fields; /* name -> string value, each exact name once */
    apr_hash_t *flags;  /* JSON booleans: name -> "true" / "false" */
} ajwt_body_t;

/**
 * Read and parse r's body.
 * @return OK with *pbody set; HTTP_REQUEST_ENTITY_TOO_LARGE (over
 *         AJWT_BODY_MAX); HTTP_BAD_REQUEST with *preason (a short text for
 *         error_description) for an unsupported Content-Type or a malformed
 *         body; another HTTP status when reading from the client failed.
 */
int ajwt_body_read(ajwt_body_t **pbody, const char **preason, request_rec *r);

/**
 * As ajwt_body_read, except that an empty body (zero bytes, with any
 * Content-Type or none) gives an empty ajwt_body_t: browser-mode refresh
 * and logout, whose token travels in a cookie, may send no body at all.
 * @return as ajwt_body_read.
 */
int ajwt_body_read_optional(ajwt_body_t **pbody, const char **preason,
                            request_rec *r);

/** A body with no fields, for a request that has none (a GET). */
ajwt_body_t *ajwt_body_empty(apr_pool_t *p);

/**
 * Look up a string field.
 * @return 1 with *pvalue set; 0 when absent; -1 when present but not a
 *         string (a JSON boolean).
 */
int ajwt_body_get(const char **pvalue, const ajwt_body_t *body,
                  const char *name);

/**
 * Look up a boolean flag: JSON true/false, or the strings "true"/"1" and
 * "false"/"0" (letter case ignored).
 * @return 1 with *pflag set; 0 when absent (*pflag = 0); -1 for any other
 *         value.
 */
int ajwt_body_flag(int *pflag, const ajwt_body_t *body, const char *name);

/**
 * Is name acceptable as a login name: not empty, well-formed UTF-8, no
 * control character (C0, DEL, C1), no leading or trailing white space
 * (Unicode White_Space)? Databases that ignore trailing spaces in
 * comparisons would otherwise let "mallory " log in as a second spelling
 * of "mallory".
 * @return 1 or 0.
 */
int ajwt_body_name_ok(const char *name);

#endif /* AJWT_BODY_H */
