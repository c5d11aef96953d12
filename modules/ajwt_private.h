/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_private.h: what every glue file shares: the module declaration for
 * per-module log levels (LogLevel auth_jwt:debug) and the log tag macro.
 * Glue layers only (they may include httpd headers); never included by the
 * pure layers.
 */
#ifndef AJWT_PRIVATE_H
#define AJWT_PRIVATE_H

#include "httpd.h"
#include "http_config.h"
#include "http_log.h"

/* One tag per log call site, never reused, from debug upward, none on trace.
 * The next free number is kept in tests/tools/next-logno; `make check`
 * refuses duplicates and untagged calls. */
#define AJWT_LOGNO(n) "AJWT" #n ": "

extern module AP_MODULE_DECLARE_DATA auth_jwt_module;

/* mod_auth_jwt.c gets this from AP_DECLARE_MODULE itself. */
#if defined(APLOG_USE_MODULE) && !defined(AJWT_MODULE_FILE)
APLOG_USE_MODULE(auth_jwt);
#endif

/** The AuthType this module answers, compared case-insensitively. */
#define AJWT_AUTH_TYPE "JWT"

#endif /* AJWT_PRIVATE_H */
