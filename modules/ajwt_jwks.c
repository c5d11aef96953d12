/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_jwks.c: jwt-jwks-handler (see ajwt_jwks.h). The keys were parsed at
 * startup; a request only writes their public members out.
 * Glue layer: APR, httpd.
 */
#include <string.h>

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"
#include "http_protocol.h"

#include "ajwt_private.h"
#include "ajwt_config.h"
#include "ajwt_issue.h"
#include "ajwt_jwk.h"
#include "ajwt_jwks.h"

/* Verifiers may keep the set this long: a rotation publishes the new key
 * at least this long before it signs (README, key rotation). */
#define JWKS_MAX_AGE "300"

int ajwt_jwks_handler(request_rec *r)
{
    const ajwt_dir_conf_t *dc;
    const char *text;

    if (!r->handler || strcmp(r->handler, AJWT_HANDLER_JWKS)) {
        return DECLINED;
    }
    r->allowed = (AP_METHOD_BIT << M_GET);
    if (r->method_number != M_GET) {
        apr_table_setn(r->headers_out, "Allow", "GET, HEAD");
        return ajwt_issue_send_error(r, HTTP_METHOD_NOT_ALLOWED,
                                     "invalid_request", "use GET");
    }
    dc = ajwt_config_dir(r);
    text = ajwt_jwk_public_set(r->pool, dc->keys, ajwt_conf_alg(dc));
    apr_table_setn(r->headers_out, "Cache-Control",
                   "public, max-age=" JWKS_MAX_AGE);
    apr_table_setn(r->headers_out, "X-Content-Type-Options", "nosniff");
    ap_set_content_type(r, "application/jwk-set+json");
    ap_set_content_length(r, strlen(text));
    if (!r->header_only) {
        ap_rwrite(text, strlen(text), r);
    }
    return OK;
}
