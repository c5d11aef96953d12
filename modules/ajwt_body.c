/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_body.c: reading and parsing endpoint bodies (see ajwt_body.h).
 * Glue layer: APR, httpd.
 */

#include "apr_buckets.h"
#include "apr_hash.h"
#include "apr_strings.h"

#include "httpd.h"
#include "http_protocol.h"
#include "http_log.h"
#include "util_filter.h"

#include "ajwt_private.h"
#include "ajwt_json.h"
#include "ajwt_body.h"

typedef enum { BODY_FORM = 1, BODY_JSON } body_type_e;

/**
 * Decode the UTF-8 sequence at s[i] (len bytes in all) into *pcp and
 * advance *pi past it. Well-formed means RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF.
 * @return 1, or 0 for an ill-formed or truncated sequence.
 */
static int body_utf8_next(unsigned long *pcp, apr_size_t *pi,
                          const unsigned char *s, apr_size_t len)
{
    apr_size_t i = *pi, n, k;
    unsigned char c = s[i];
    unsigned long cp;

    if (c < 0x80) {
        *pcp = c;
        *pi = i + 1;
        return 1;
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
    *pcp = cp;
    *pi = i + n + 1;
    return 1;
}

/**
 * Is s (len bytes) well-formed UTF-8 (see body_utf8_next) without NUL
 * bytes?
 */
static int body_utf8_ok(const unsigned char *s, apr_size_t len)
{
    apr_size_t i = 0;
    unsigned long cp;

    while (i < len) {
        if (!body_utf8_next(&cp, &i, s, len) || cp == 0) {
            return 0;
        }
    }
    return 1;
}

/** Is cp a control character (C0, DEL, C1)? */
static int body_is_control(unsigned long cp)
{
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}

/** Is cp Unicode White_Space (controls aside, which are refused anyway)? */
static int body_is_space(unsigned long cp)
{
    return cp == 0x20 || cp == 0xA0 || cp == 0x1680
           || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028
           || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
}

int ajwt_body_name_ok(const char *name)
{
    const unsigned char *s = (const unsigned char *)name;
    apr_size_t len = strlen(name), i = 0;
    unsigned long cp = 0;
    int first = 1;

    if (len == 0) {
        return 0;
    }
    while (i < len) {
        if (!body_utf8_next(&cp, &i, s, len) || body_is_control(cp)
            || (first && body_is_space(cp))) {
            return 0;
        }
        first = 0;
    }
    return !body_is_space(cp); /* cp is the last code point */
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

/**
 * Add name = value to h unless the exact name is already there (names are
 * compared case-sensitively, as OAuth 2.0 parameters are).
 * @return OK, or HTTP_BAD_REQUEST with *preason set for a duplicate.
 */
static int body_add(apr_hash_t *h, const char **preason, const char *name,
                    const char *value)
{
    if (apr_hash_get(h, name, APR_HASH_KEY_STRING)) {
        *preason = "duplicated field";
        return HTTP_BAD_REQUEST;
    }
    apr_hash_set(h, name, APR_HASH_KEY_STRING, value);
    return OK;
}

/** Parse a urlencoded form into fields. */
static int body_parse_form(apr_hash_t *fields, const char **preason,
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
        if (body_add(fields, preason, pair, value) != OK) {
            return HTTP_BAD_REQUEST;
        }
    }
    return OK;
}

/** Parse a JSON object of strings (and booleans) into body. */
static int body_parse_json(ajwt_body_t *body, const char **preason,
                           request_rec *r, const char *buf, apr_size_t len)
{
    const ajwt_json_t *obj;
    ajwt_err_t err;
    apr_size_t i, n;

    ajwt_err_clear(&err);
    if (ajwt_json_parse_object(&obj, r->pool, buf, len, &err)
        != APR_SUCCESS) {
        ap_log_rerror(APLOG_MARK, APLOG_DEBUG, 0, r, AJWT_LOGNO(02101)
                      "endpoint JSON body refused: %s", err.text);
        *preason = "malformed JSON body";
        return HTTP_BAD_REQUEST;
    }
    /* The scanner has refused duplicate member names (exact comparison),
     * \u0000 and invalid UTF-8; a string and a boolean of one name cannot
     * both exist, but body_add checks across the two maps anyway. */
    n = ajwt_json_count(obj);
    for (i = 0; i < n; i++) {
        const char *key;
        const ajwt_json_t *val = ajwt_json_member(obj, i, &key, NULL);
        int rc;

        if (apr_hash_get(body->fields, key, APR_HASH_KEY_STRING)
            || apr_hash_get(body->flags, key, APR_HASH_KEY_STRING)) {
            *preason = "duplicated field";
            return HTTP_BAD_REQUEST;
        }
        /* names and strings live in r->pool with the tree */
        switch (ajwt_json_type(val)) {
        case AJWT_JSON_STRING:
            rc = body_add(body->fields, preason, key,
                          ajwt_json_string(val, NULL));
            break;
        case AJWT_JSON_BOOL:
            rc = body_add(body->flags, preason, key,
                          ajwt_json_bool(val) ? "true" : "false");
            break;
        default:
            *preason = "every field must be a string";
            return HTTP_BAD_REQUEST;
        }
        if (rc != OK) {
            return rc;
        }
    }
    return OK;
}

ajwt_body_t *ajwt_body_empty(apr_pool_t *p)
{
    ajwt_body_t *body = apr_pcalloc(p, sizeof(*body));

    body->fields = apr_hash_make(p);
    body->flags = apr_hash_make(p);
    return body;
}

/**
 * ajwt_body_read and ajwt_body_read_optional: allow_empty makes a body of
 * zero bytes an empty ajwt_body_t whatever its Content-Type.
 */
static int body_read(ajwt_body_t **pbody, const char **preason,
                     request_rec *r, int allow_empty)
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
    if (allow_empty && len == 0) {
        *pbody = ajwt_body_empty(r->pool);
        return OK;
    }
    if (!type) {
        *preason = "the body must be application/x-www-form-urlencoded "
                   "or application/json";
        return HTTP_BAD_REQUEST;
    }
    body = ajwt_body_empty(r->pool);
    rc = (type == BODY_FORM)
             ? body_parse_form(body->fields, preason, buf, len)
             : body_parse_json(body, preason, r, buf, len);
    if (rc == OK) {
        *pbody = body;
    }
    return rc;
}

int ajwt_body_read(ajwt_body_t **pbody, const char **preason, request_rec *r)
{
    return body_read(pbody, preason, r, 0);
}

int ajwt_body_read_optional(ajwt_body_t **pbody, const char **preason,
                            request_rec *r)
{
    return body_read(pbody, preason, r, 1);
}

int ajwt_body_get(const char **pvalue, const ajwt_body_t *body,
                  const char *name)
{
    *pvalue = apr_hash_get(body->fields, name, APR_HASH_KEY_STRING);
    if (*pvalue) {
        return 1;
    }
    return apr_hash_get(body->flags, name, APR_HASH_KEY_STRING) ? -1 : 0;
}

int ajwt_body_flag(int *pflag, const ajwt_body_t *body, const char *name)
{
    const char *v = apr_hash_get(body->flags, name, APR_HASH_KEY_STRING);

    *pflag = 0;
    if (!v) {
        v = apr_hash_get(body->fields, name, APR_HASH_KEY_STRING);
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
