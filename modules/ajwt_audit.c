/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_audit.c: the audit line (see ajwt_audit.h). Glue layer.
 */
#include <string.h>

#include "apr_lib.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_log.h"

#include "ajwt_private.h"
#include "ajwt_audit.h"
#include "ajwt_url.h"

/** value percent-encoded outside [A-Za-z0-9._@:-]; "-" for NULL or empty. */
static const char *audit_value(apr_pool_t *p, const char *v)
{
    return (v && *v) ? ajwt_url_encode_except(p, v, "._@:-") : "-";
}

void ajwt_audit(request_rec *r, const char *event, const char *outcome,
                const char *user, const char *reason, const char *family)
{
    const char *line = apr_psprintf(
        r->pool, "event=%s outcome=%s user=%s reason=%s client=%s family=%s",
        event, outcome, audit_value(r->pool, user),
        audit_value(r->pool, reason), audit_value(r->pool, r->useragent_ip),
        family ? audit_value(r->pool, apr_pstrndup(r->pool, family, 8)) : "-");
    const char *before = apr_table_get(r->subprocess_env, "AJWT_AUDIT");

    apr_table_setn(r->subprocess_env, "AJWT_AUDIT",
                   before ? apr_pstrcat(r->pool, before, " | ", line, NULL)
                          : line);
    ap_log_rerror(APLOG_MARK, APLOG_INFO, 0, r, AJWT_LOGNO(00300) "audit: %s",
                  line);
}
