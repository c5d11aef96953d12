/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_issue.h: what the endpoints send: signed access tokens, the RFC 6749
 * §5.1 token answer and §5.2 error answers, all JSON built in the request
 * pool (ajwt_json.h) and written once with Cache-Control: no-store and
 * Pragma: no-cache.
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_ISSUE_H
#define AJWT_ISSUE_H

#include "httpd.h"
#include "apr_tables.h"

#include "ajwt_config.h"

/**
 * Make a signed access token for user with the alg, signing key, iss, aud
 * and lifetime of dc: iat = nbf = now, a random jti, plus the extra claims
 * (ajwt_claim_kv_t, may be NULL).
 * @return OK with *ptoken set, or HTTP_INTERNAL_SERVER_ERROR (logged: no
 *         signing key, signing failure).
 */
int ajwt_issue_access(const char **ptoken, request_rec *r,
                      const ajwt_dir_conf_t *dc, const char *user,
                      const apr_array_header_t *extra, apr_int64_t now);

/**
 * Send the 200 token answer {"access_token", "token_type": "Bearer",
 * "expires_in", "refresh_token", "refresh_expires_in"}.
 * @return OK (the handler's return value).
 */
int ajwt_issue_send_tokens(request_rec *r, const char *access,
                           apr_int64_t expires_in, const char *refresh,
                           apr_int64_t refresh_expires_in);

/**
 * Send {"error": error, "error_description": description} with status.
 * A 405 carries Allow: POST unless the caller already set an Allow header;
 * a 413 closes the connection.
 * @return OK (the handler's return value).
 */
int ajwt_issue_send_error(request_rec *r, int status, const char *error,
                          const char *description);

/**
 * Send 200 with the empty object {} (logout, revoke).
 * @return OK.
 */
int ajwt_issue_send_empty(request_rec *r);

/**
 * Send 200 {"expires_in": expires_in}: a browser-mode refresh by XHR or
 * fetch, whose tokens travel in cookies only.
 * @return OK.
 */
int ajwt_issue_send_expires(request_rec *r, apr_int64_t expires_in);

/**
 * Send 303 See Other to location (a local path the caller has checked),
 * with no body, Cache-Control: no-store and Pragma: no-cache. Cookies set
 * in r->err_headers_out travel with it.
 * @return OK.
 */
int ajwt_issue_send_redirect(request_rec *r, const char *location);

#endif /* AJWT_ISSUE_H */
