/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_body.c: reading and parsing endpoint bodies (see ajwt_body.h).
 * Glue layer: APR, httpd, json-c.
 */

#include "apr_buckets.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_protocol.h"
#include "http_log.h"
#include "util_filter.h"

#include <json-c/json.h>

#include "ajwt_private.h"
#include "ajwt_json.h"
#include "ajwt_body.h"

typedef enum { BODY_FORM = 1, BODY_JSON } body_type_e;

/**
 * Is s (len bytes) well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) without NUL bytes?
 */
static int body_utf8_ok(const unsigned char *s, apr_size_t len)
{
    apr_size_t i = 0;

    while (i < len) {
        unsigned char c = s[i];
        apr_size_t n, k;
        unsigned long cp;

        if (c == 0) {
            return 0;
        }
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) { n = 1; cp = c & 0x1F; }
        else if (c >= 0xE0 && c <= 0xEF) { n = 2; cp = c & 0x0F; }
        else if (c >= 0xF0 && c <= 0xF4) { n = 3; cp = c & 0x07; }
        else {
            return 0;
        }
        if (len - i <= n) {
            return 0;
        }
        for (k = 1; k <= n; k++) {
            if ((s[i + k] & 0xC0) != 0x80) {
                return 0;
            }
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000)
            || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return 0;
        }
        i += n + 1;
    }
    return 1;
}

/** The body type named by a Content-Type value (parameters ignored), or 0. */
static int body_type(const char *ct)
{
    const char *end;
    apr_size_t len;

    if (!ct) {
        return 0;
    }
    while (*ct == ' ' || *ct == '\t') {
        ct++;
    }
    end = ct + strcspn(ct, "; \t");
    len = end - ct;
    if (len == 33 && !ap_cstr_casecmpn(ct, "application/x-www-form-urlencoded",
                                       len)) {
        return BODY_FORM;
    }
    if (len == 16 && !ap_cstr_casecmpn(ct, "application/json", len)) {
        return BODY_JSON;
    }
    return 0;
}

/**
 * Read the whole body into a buffer of at most AJWT_BODY_MAX bytes.
 * @return OK, HTTP_REQUEST_ENTITY_TOO_LARGE, or the mapped read error.
 */
static int body_read_raw(char **pbuf, apr_size_t *plen, request_rec *r)
{
    const char *cl = apr_table_get(r->headers_in, "Content-Length");
    apr_bucket_brigade *bb;
    char *buf = apr_palloc(r->pool, AJWT_BODY_MAX + 1);
    apr_size_t len = 0;
    int seen_eos = 0;

    if (cl && apr_atoi64(cl) > AJWT_BODY_MAX) {
        return HTTP_REQUEST_ENTITY_TOO_LARGE;
    }
    bb = apr_brigade_create(r->pool, r->connection->bucket_alloc);
    while (!seen_eos) {
        apr_bucket *e;
        apr_status_t rv = ap_get_brigade(r->input_filters, bb,
                                         AP_MODE_READBYTES, APR_BLOCK_READ,
                                         AJWT_BODY_MAX + 1 - len);
        if (rv != APR_SUCCESS) {
            ap_log_rerror(APLOG_MARK, APLOG_INFO, rv, r, AJWT_LOGNO(02100)
                          "reading the request body failed");
            return ap_map_http_request_error(rv, HTTP_BAD_REQUEST);
        }
        for (e = APR_BRIGADE_FIRST(bb); e != APR_BRIGADE_SENTINEL(bb);
             e = APR_BUCKET_NEXT(e)) {
            const char *data;
            apr_size_t n;
            if (APR_BUCKET_IS_EOS(e)) {
                seen_eos = 1;
                break;
            }
            if (APR_BUCKET_IS_METADATA(e)) {
                continue;
            }
            rv = apr_bucket_read(e, &data, &n, APR_BLOCK_READ);
            if (rv != APR_SUCCESS) {
                return HTTP_BAD_REQUEST;
            }
            if (n > AJWT_BODY_MAX - len) {
                return HTTP_REQUEST_ENTITY_TOO_LARGE;
            }
            memcpy(buf + len, data, n);
            len += n;
        }
        apr_brigade_cleanup(bb);
    }
    buf[len] = '\0';
    *pbuf = buf;
    *plen = len;
    return OK;
}

/** Parse a urlencoded form into fields. */
static int body_parse_form(apr_table_t *fields, const char **preason,
                           char *buf, apr_size_t len)
{
    char *pair, *state = NULL;

    if (memchr(buf, '\0', len)) {
        *preason = "NUL byte in the request body";
        return HTTP_BAD_REQUEST;
    }
    for (pair = apr_strtok(buf, "&", &state); pair;
         pair = apr_strtok(NULL, "&", &state)) {
        char *value = strchr(pair, '=');
        if (value) {
            *value++ = '\0';
        }
        else {
            value = pair + strlen(pair); /* "" */
        }
        if (ap_unescape_urlencoded(pair) || ap_unescape_urlencoded(value)) {
            *preason = "malformed form encoding";
            return HTTP_BAD_REQUEST;
        }
        if (!body_utf8_ok((unsigned char *)pair, strlen(pair))
            || !body_utf8_ok((unsigned char *)value, strlen(value))) {
            *preason = "form field is not valid UTF-8";
            return HTTP_BAD_REQUEST;
        }
        if (apr_table_get(fields, pair)) {
            *preason = "duplicated field";
            return HTTP_BAD_REQUEST;
        }
        apr_table_setn(fields, pair, value);
    }
    return OK;
}

/** Parse a JSON object of strings (and booleans) into body. */
static int body_parse_json(ajwt_body_t *body, const char **preason,
                           request_rec *r, const char *buf, apr_size_t len)
{
    json_object *obj;
    ajwt_err_t err;

    ajwt_err_clear(&err);
    if (ajwt_json_parse_object(&obj, r->pool, buf, len, &err)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02101)
                      "endpoint JSON body refused: %s", err.text);
        *preason = "malformed JSON body";
        return HTTP_BAD_REQUEST;
    }
    json_object_object_foreach(obj, name, val) {
        switch (json_object_get_type(val)) {
        case json_type_string:
            apr_table_set(body->fields, name, json_object_get_string(val));
            break;
        case json_type_boolean:
            apr_table_set(body->flags, name,
                          json_object_get_boolean(val) ? "true" : "false");
            break;
        default:
            *preason = "every field must be a string";
            return HTTP_BAD_REQUEST;
        }
    }
    return OK;
}

int ajwt_body_read(ajwt_body_t **pbody, const char **preason, request_rec *r)
{
    ajwt_body_t *body;
    char *buf = NULL;
    apr_size_t len = 0;
    int type, rc;

    *preason = "bad request body";
    type = body_type(apr_table_get(r->headers_in, "Content-Type"));
    rc = body_read_raw(&buf, &len, r);
    if (rc != OK) {
        return rc;
    }
    if (!type) {
        *preason = "the body must be application/x-www-form-urlencoded "
                   "or application/json";
        return HTTP_BAD_REQUEST;
    }
    body = apr_pcalloc(r->pool, sizeof(*body));
    body->fields = apr_table_make(r->pool, 4);
    body->flags = apr_table_make(r->pool, 1);
    rc = (type == BODY_FORM)
             ? body_parse_form(body->fields, preason, buf, len)
             : body_parse_json(body, preason, r, buf, len);
    if (rc == OK) {
        *pbody = body;
    }
    return rc;
}

int ajwt_body_get(const char **pvalue, const ajwt_body_t *body,
                  const char *name)
{
    *pvalue = apr_table_get(body->fields, name);
    if (*pvalue) {
        return 1;
    }
    return apr_table_get(body->flags, name) ? -1 : 0;
}

int ajwt_body_flag(int *pflag, const ajwt_body_t *body, const char *name)
{
    const char *v = apr_table_get(body->flags, name);

    *pflag = 0;
    if (!v) {
        v = apr_table_get(body->fields, name);
    }
    if (!v) {
        return 0;
    }
    if (!ap_cstr_casecmp(v, "true") || !strcmp(v, "1")) {
        *pflag = 1;
        return 1;
    }
    if (!ap_cstr_casecmp(v, "false") || !strcmp(v, "0")) {
        return 1;
    }
    return -1;
}
