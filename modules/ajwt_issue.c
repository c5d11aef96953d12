/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_issue.c: access tokens and JSON answers of the endpoints (see
 * ajwt_issue.h).
 * Glue layer: APR, httpd.
 */

#include "apr_strings.h"

#include "httpd.h"
#include "http_protocol.h"
#include "http_log.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_claims.h"
#include "ajwt_json.h"
#include "ajwt_jws.h"
#include "ajwt_token.h"
#include "ajwt_issue.h"
#include "ajwt_revoke.h"

/** Random bytes in a jti. */
#define AJWT_JTI_BYTES 16

int ajwt_issue_access(const char **ptoken, request_rec *r,
                      const ajwt_dir_conf_t *dc, const char *user,
                      const apr_array_header_t *extra, apr_int64_t now)
{
    ajwt_alg_e alg = ajwt_conf_alg(dc);
    const char *jti;
    const ajwt_json_t *claims;
    ajwt_err_t err;

    if (!dc->signing_key || alg == AJWT_ALG_UNKNOWN) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02300)
                      "no signing key configured (need "
                      "AuthJWTSignatureAlgorithm and a private key or "
                      "shared secret here): %s", r->uri);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ajwt_err_clear(&err);
    ajwt_revoke_issue_wait(r, user, &now);
    if (ajwt_token_random(&jti, r->pool, AJWT_JTI_BYTES, &err)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02301)
                      "cannot make a jti: %s", err.text);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    claims = ajwt_claims_build(r->pool, dc->iss, dc->aud, user, now,
                               ajwt_conf_access_lifetime(dc), jti, extra);
    if (ajwt_jws_sign(ptoken, r->pool, alg, dc->signing_key, claims, &err)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_ERR, 0, r, AJWT_LOGNO(02302)
                      "signing an access token for '%s' failed: %s", user,
                      err.text);
        return HTTP_INTERNAL_SERVER_ERROR;
    }
    ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02303)
                  "issued access token jti '%s' for '%s'", jti, user);
    return OK;
}

/** Write obj as the whole answer with status. */
static int issue_send(request_rec *r, int status, const ajwt_json_t *obj)
{
    apr_size_t len;
    const char *text = ajwt_json_compact(r->pool, obj, &len);

    r->status = status;
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    ap_set_content_type(r, "application/json");
    ap_set_content_length(r, len);
    if (!r->header_only) {
        ap_rwrite(text, len, r);
    }
    return OK;
}

/** Set a string member of o (in r->pool). */
static void set_str(request_rec *r, ajwt_json_t *o, const char *name,
                    const char *value)
{
    ajwt_json_set(o, r->pool, name, ajwt_json_new_string(r->pool, value));
}

/** Set an integer member of o (in r->pool). */
static void set_int(request_rec *r, ajwt_json_t *o, const char *name,
                    apr_int64_t value)
{
    ajwt_json_set(o, r->pool, name, ajwt_json_new_int64(r->pool, value));
}

int ajwt_issue_send_tokens(request_rec *r, const char *access,
                           apr_int64_t expires_in, const char *refresh,
                           apr_int64_t refresh_expires_in)
{
    ajwt_json_t *o = ajwt_json_new_object(r->pool);

    set_str(r, o, "access_token", access);
    set_str(r, o, "token_type", "Bearer");
    set_int(r, o, "expires_in", expires_in);
    set_str(r, o, "refresh_token", refresh);
    set_int(r, o, "refresh_expires_in", refresh_expires_in);
    return issue_send(r, HTTP_OK, o);
}

int ajwt_issue_send_error(request_rec *r, int status, const char *error,
                          const char *description)
{
    ajwt_json_t *o = ajwt_json_new_object(r->pool);

    set_str(r, o, "error", error);
    set_str(r, o, "error_description", description);
    if (status == HTTP_METHOD_NOT_ALLOWED
        && !apr_table_get(r->headers_out, "Allow")) {
        apr_table_setn(r->headers_out, "Allow", "POST");
    }
    if (status == HTTP_REQUEST_ENTITY_TOO_LARGE) {
        /* the rest of the body is not read: do not reuse the connection */
        r->connection->keepalive = AP_CONN_CLOSE;
    }
    return issue_send(r, status, o);
}

int ajwt_issue_send_empty(request_rec *r)
{
    return issue_send(r, HTTP_OK, ajwt_json_new_object(r->pool));
}

int ajwt_issue_send_expires(request_rec *r, apr_int64_t expires_in)
{
    ajwt_json_t *o = ajwt_json_new_object(r->pool);

    set_int(r, o, "expires_in", expires_in);
    return issue_send(r, HTTP_OK, o);
}

int ajwt_issue_send_redirect(request_rec *r, const char *location)
{
    r->status = HTTP_SEE_OTHER;
    apr_table_setn(r->headers_out, "Location", location);
    apr_table_setn(r->headers_out, "Cache-Control", "no-store");
    apr_table_setn(r->headers_out, "Pragma", "no-cache");
    ap_set_content_length(r, 0);
    return OK;
}
