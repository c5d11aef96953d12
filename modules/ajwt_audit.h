/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_audit.h: one parseable line per login success or failure and per
 * revocation, never with a password or a token:
 *   event=login outcome=failure user=bob reason=wrong_password
 *   client=192.0.2.7 family=-
 * Values are percent-encoded outside [A-Za-z0-9._@:-]. The line goes to the
 * error log at info (tag AJWT00300) and into the request's environment as
 * AJWT_AUDIT, so a CustomLog can keep an audit file:
 *   CustomLog ${APACHE_LOG_DIR}/jwt-audit.log "%t %{AJWT_AUDIT}e" env=AJWT_AUDIT
 * Glue layer.
 */
#ifndef AJWT_AUDIT_H
#define AJWT_AUDIT_H

#include "httpd.h"

/**
 * Record an audit event. event: "login" or "revoke"; outcome: "success",
 * "failure" or "done"; reason: a word ("wrong_password", "logout",
 * "reuse"...) or NULL; user and family may be NULL.
 */
void ajwt_audit(request_rec *r, const char *event, const char *outcome,
                const char *user, const char *reason, const char *family);

#endif /* AJWT_AUDIT_H */
