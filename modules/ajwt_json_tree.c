/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_json_tree.c: reading, building and writing the pool-allocated JSON
 * tree of ajwt_json.h. The compact writer measures first and then writes
 * into one pool buffer of the exact size. Its output is json-c 0.16's with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, checked against
 * json-c by experiment (json_escape_str: '"', '\\', \b \f \n \r \t by name,
 * the other C0 bytes as \u00xx in lower case, nothing else escaped; parsed
 * integers that fit became int64, other numbers kept their text).
 * Pure layer: APR only.
 */
#include <string.h>

#include "apr_pools.h"
#include "apr_strings.h"

#include "ajwt_json.h"
#include "ajwt_json_tree.h"

/* ------------------------------------------------------------------------ */
/* reading                                                                    */

ajwt_json_type_e ajwt_json_type(const ajwt_json_t *v)
{
    return v ? v->type : AJWT_JSON_NULL;
}

int ajwt_json_is(const ajwt_json_t *v, ajwt_json_type_e t)
{
    return v && v->type == t;
}

const ajwt_json_t *ajwt_json_get_n(const ajwt_json_t *obj, const char *name,
                                   apr_size_t len)
{
    apr_size_t i;

    if (!ajwt_json_is(obj, AJWT_JSON_OBJECT) || !name) {
        return NULL;
    }
    for (i = 0; i < obj->u.obj.n; i++) {
        const ajwt_json_member_t *m = &obj->u.obj.m[i];
        if (m->len == len && memcmp(m->name, name, len) == 0) {
            return &m->value;
        }
    }
    return NULL;
}

const ajwt_json_t *ajwt_json_get(const ajwt_json_t *obj, const char *name)
{
    return name ? ajwt_json_get_n(obj, name, strlen(name)) : NULL;
}

apr_size_t ajwt_json_count(const ajwt_json_t *v)
{
    switch (ajwt_json_type(v)) {
    case AJWT_JSON_OBJECT:
        return v->u.obj.n;
    case AJWT_JSON_ARRAY:
        return v->u.arr.n;
    default:
        return 0;
    }
}

const ajwt_json_t *ajwt_json_member(const ajwt_json_t *obj, apr_size_t i,
                                    const char **pname, apr_size_t *plen)
{
    const ajwt_json_member_t *m;

    if (!ajwt_json_is(obj, AJWT_JSON_OBJECT) || i >= obj->u.obj.n) {
        return NULL;
    }
    m = &obj->u.obj.m[i];
    if (pname) {
        *pname = m->name;
    }
    if (plen) {
        *plen = m->len;
    }
    return &m->value;
}

const ajwt_json_t *ajwt_json_item(const ajwt_json_t *arr, apr_size_t i)
{
    if (!ajwt_json_is(arr, AJWT_JSON_ARRAY) || i >= arr->u.arr.n) {
        return NULL;
    }
    return &arr->u.arr.items[i];
}

const char *ajwt_json_string(const ajwt_json_t *v, apr_size_t *plen)
{
    if (!ajwt_json_is(v, AJWT_JSON_STRING)) {
        return NULL;
    }
    if (plen) {
        *plen = v->u.str.len;
    }
    return v->u.str.s;
}

double ajwt_json_double(const ajwt_json_t *v)
{
    return ajwt_json_is(v, AJWT_JSON_NUMBER) ? v->u.num.d : 0.0;
}

int ajwt_json_int64(apr_int64_t *pval, const ajwt_json_t *v)
{
    if (!ajwt_json_is(v, AJWT_JSON_NUMBER) || !v->u.num.is_int) {
        return 0;
    }
    if (pval) {
        *pval = v->u.num.i;
    }
    return 1;
}

const char *ajwt_json_number_text(const ajwt_json_t *v)
{
    return ajwt_json_is(v, AJWT_JSON_NUMBER) ? v->u.num.text : NULL;
}

int ajwt_json_bool(const ajwt_json_t *v)
{
    return ajwt_json_is(v, AJWT_JSON_BOOL) && v->u.b;
}

/* ------------------------------------------------------------------------ */
/* building                                                                   */

ajwt_json_t *ajwt_json_new_object(apr_pool_t *p)
{
    ajwt_json_t *v = apr_pcalloc(p, sizeof(*v));

    v->type = AJWT_JSON_OBJECT;
    return v;
}

ajwt_json_t *ajwt_json_new_string(apr_pool_t *p, const char *s)
{
    ajwt_json_t *v = apr_pcalloc(p, sizeof(*v));

    v->type = AJWT_JSON_STRING;
    v->u.str.len = strlen(s);
    v->u.str.s = apr_pstrmemdup(p, s, v->u.str.len);
    return v;
}

ajwt_json_t *ajwt_json_new_int64(apr_pool_t *p, apr_int64_t i)
{
    ajwt_json_t *v = apr_pcalloc(p, sizeof(*v));

    v->type = AJWT_JSON_NUMBER;
    v->u.num.text = apr_psprintf(p, "%" APR_INT64_T_FMT, i);
    v->u.num.i = i;
    v->u.num.d = (double)i;
    v->u.num.is_int = 1;
    return v;
}

/**
 * Set a member (see ajwt_json.h). The value node is copied into the
 * member array (shallowly: a container keeps sharing its entries), so
 * changes made to val afterwards are not seen through obj.
 */
void ajwt_json_set(ajwt_json_t *obj, apr_pool_t *p, const char *name,
                   const ajwt_json_t *val)
{
    apr_size_t len, i;
    ajwt_json_member_t *m;

    if (!ajwt_json_is(obj, AJWT_JSON_OBJECT) || !name || !val) {
        return;
    }
    len = strlen(name);
    for (i = 0; i < obj->u.obj.n; i++) {
        if (obj->u.obj.m[i].len == len
            && !memcmp(obj->u.obj.m[i].name, name, len)) {
            obj->u.obj.m[i].value = *val;
            return;
        }
    }
    if (obj->u.obj.n == obj->u.obj.cap) {
        apr_size_t cap = obj->u.obj.cap ? 2 * obj->u.obj.cap : 8;
        m = apr_palloc(p, cap * sizeof(*m));
        if (obj->u.obj.n) {
            memcpy(m, obj->u.obj.m, obj->u.obj.n * sizeof(*m));
        }
        obj->u.obj.m = m;
        obj->u.obj.cap = cap;
    }
    m = &obj->u.obj.m[obj->u.obj.n++];
    m->name = apr_pstrmemdup(p, name, len);
    m->len = len;
    m->value = *val;
}

/* ------------------------------------------------------------------------ */
/* writing                                                                    */

/* The escape of byte c inside a string: a letter after '\\', 'u' for
 * \u00xx, or 0 when it is written as is. */
static char escape_of(unsigned char c)
{
    switch (c) {
    case '"':
        return '"';
    case '\\':
        return '\\';
    case '\b':
        return 'b';
    case '\f':
        return 'f';
    case '\n':
        return 'n';
    case '\r':
        return 'r';
    case '\t':
        return 't';
    default:
        return c < 0x20 ? 'u' : 0;
    }
}

/** Bytes of the quoted, escaped string s of len bytes. */
static apr_size_t string_size(const char *s, apr_size_t len)
{
    apr_size_t n = len + 2, i;

    for (i = 0; i < len; i++) {
        char e = escape_of((unsigned char)s[i]);
        n += e == 'u' ? 5 : e ? 1 : 0;
    }
    return n;
}

/** Write the quoted, escaped string at o; returns the end. */
static char *string_write(char *o, const char *s, apr_size_t len)
{
    static const char hex[] = "0123456789abcdef";
    apr_size_t i;

    *o++ = '"';
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        char e = escape_of(c);

        if (!e) {
            *o++ = (char)c;
            continue;
        }
        *o++ = '\\';
        *o++ = e;
        if (e == 'u') {
            *o++ = '0';
            *o++ = '0';
            *o++ = hex[c >> 4];
            *o++ = hex[c & 0xf];
        }
    }
    *o++ = '"';
    return o;
}

/**
 * The text a scalar is written as, in buf (room for 24 bytes) when it must
 * be formatted; NULL for containers.
 */
static const char *scalar_text(char *buf, const ajwt_json_t *v)
{
    switch (ajwt_json_type(v)) {
    case AJWT_JSON_NULL:
        return "null";
    case AJWT_JSON_BOOL:
        return v->u.b ? "true" : "false";
    case AJWT_JSON_NUMBER:
        if (v->u.num.is_int) {
            apr_snprintf(buf, 24, "%" APR_INT64_T_FMT, v->u.num.i);
            return buf;
        }
        return v->u.num.text;
    default:
        return NULL;
    }
}

/** Bytes of the compact serialisation of v. */
static apr_size_t value_size(const ajwt_json_t *v)
{
    char buf[24];
    apr_size_t n, i;

    switch (ajwt_json_type(v)) {
    case AJWT_JSON_STRING:
        return string_size(v->u.str.s, v->u.str.len);
    case AJWT_JSON_ARRAY:
        n = 2 + (v->u.arr.n ? v->u.arr.n - 1 : 0);
        for (i = 0; i < v->u.arr.n; i++) {
            n += value_size(&v->u.arr.items[i]);
        }
        return n;
    case AJWT_JSON_OBJECT:
        n = 2 + (v->u.obj.n ? v->u.obj.n - 1 : 0);
        for (i = 0; i < v->u.obj.n; i++) {
            const ajwt_json_member_t *m = &v->u.obj.m[i];
            n += string_size(m->name, m->len) + 1 + value_size(&m->value);
        }
        return n;
    default:
        return strlen(scalar_text(buf, v));
    }
}

/** Write the compact serialisation of v at o; returns the end. */
static char *value_write(char *o, const ajwt_json_t *v)
{
    char buf[24];
    const char *t;
    apr_size_t i, n;

    switch (ajwt_json_type(v)) {
    case AJWT_JSON_STRING:
        return string_write(o, v->u.str.s, v->u.str.len);
    case AJWT_JSON_ARRAY:
        *o++ = '[';
        for (i = 0; i < v->u.arr.n; i++) {
            if (i) {
                *o++ = ',';
            }
            o = value_write(o, &v->u.arr.items[i]);
        }
        *o++ = ']';
        return o;
    case AJWT_JSON_OBJECT:
        *o++ = '{';
        for (i = 0; i < v->u.obj.n; i++) {
            const ajwt_json_member_t *m = &v->u.obj.m[i];
            if (i) {
                *o++ = ',';
            }
            o = string_write(o, m->name, m->len);
            *o++ = ':';
            o = value_write(o, &m->value);
        }
        *o++ = '}';
        return o;
    default:
        t = scalar_text(buf, v);
        n = strlen(t);
        memcpy(o, t, n);
        return o + n;
    }
}

const char *ajwt_json_compact(apr_pool_t *p, const ajwt_json_t *v,
                              apr_size_t *plen)
{
    apr_size_t n = value_size(v);
    char *out = apr_palloc(p, n + 1);
    char *end = value_write(out, v);

    *end = '\0';
    if (plen) {
        *plen = (apr_size_t)(end - out);
    }
    return out;
}
