/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_endpoint.h: the token endpoints (contract §3, §6): jwt-login-handler,
 * jwt-refresh-handler, jwt-logout-handler and jwt-revoke-handler.
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_ENDPOINT_H
#define AJWT_ENDPOINT_H

#include "httpd.h"

#define AJWT_HANDLER_LOGIN "jwt-login-handler"
#define AJWT_HANDLER_REFRESH "jwt-refresh-handler"
#define AJWT_HANDLER_LOGOUT "jwt-logout-handler"
#define AJWT_HANDLER_REVOKE "jwt-revoke-handler"

/**
 * The handler hook: serves the four endpoint handlers and declines every
 * other handler name. POST only, except GET on jwt-refresh-handler under
 * AuthJWTDeliveryType Cookie (contract §5; HEAD stays 405 there, so that it
 * never rotates). In cookie mode the login, refresh and logout handlers
 * refuse cross-site POSTs with 403 and answer with cookies and 303s.
 * @return DECLINED for other handlers; OK once an answer (success or a JSON
 *         error with its status) has been written.
 */
int ajwt_endpoint_handler(request_rec *r);

/**
 * post_config: make the dummy hash that unknown users are checked against
 * as costly as the most expensive bcrypt line of the configuration's
 * AuthUserFile files, and time it: failed logins take at least that long
 * from the first request on.
 */
int ajwt_endpoint_post_config(apr_pool_t *pconf, apr_pool_t *plog,
                              apr_pool_t *ptemp, server_rec *s);

#endif /* AJWT_ENDPOINT_H */
