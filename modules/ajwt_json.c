/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_json.c: strict JSON for JOSE. One pass of a small validating parser
 * over the raw bytes (RFC 8259 grammar, UTF-8 per RFC 3629, no NUL, no lone
 * surrogates, depth limit, duplicate member names compared after unescaping)
 * builds the value tree (ajwt_json_tree.h) as it goes, entirely from the
 * caller's pool: this runs for every protected request, which must not
 * touch malloc or take a lock. Values are gathered on one pool-grown stack
 * while their container is open and copied into a contiguous array of the
 * exact size when it closes. Numbers are read in the "C" locale made once
 * (strtod_l), never by switching the thread's locale.
 * Pure layer: APR only.
 */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "ajwt_json.h"
#include "ajwt_json_tree.h"

/* A member name as it compares: decoded UTF-8 bytes. */
typedef struct {
    const char *s;
    apr_size_t len;
} json_name_t;

typedef struct {
    const unsigned char *cur;
    const unsigned char *end;
    apr_pool_t *pool;
    apr_array_header_t *stack; /* ajwt_json_member_t: the members (or, with
                                  a NULL name, items) of open containers */
    int depth;
    const char *why; /* reason of the first error, a fixed text */
} json_scan_t;

/* Members per object up to which names are compared pairwise; larger
 * objects are sorted instead. */
#define AJWT_JSON_PAIRWISE_MAX 16

static int scan_value(json_scan_t *sc, ajwt_json_t *val);

static int scan_fail(json_scan_t *sc, const char *why)
{
    if (!sc->why) {
        sc->why = why;
    }
    return 0;
}

static void skip_ws(json_scan_t *sc)
{
    while (sc->cur < sc->end && (*sc->cur == ' ' || *sc->cur == '\t' ||
                                 *sc->cur == '\n' || *sc->cur == '\r')) {
        sc->cur++;
    }
}

/**
 * Length of the well-formed UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing above U+10FFFF) at s, or 0 when it is not one.
 */
static apr_size_t utf8_seq_len(const unsigned char *s, const unsigned char *end)
{
    apr_size_t n, i;
    unsigned char lo = 0x80, hi = 0xbf;

    if (s[0] >= 0xc2 && s[0] <= 0xdf) {
        n = 2;
    }
    else if (s[0] >= 0xe0 && s[0] <= 0xef) {
        n = 3;
        lo = (s[0] == 0xe0) ? 0xa0 : 0x80;
        hi = (s[0] == 0xed) ? 0x9f : 0xbf;
    }
    else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
        n = 4;
        lo = (s[0] == 0xf0) ? 0x90 : 0x80;
        hi = (s[0] == 0xf4) ? 0x8f : 0xbf;
    }
    else {
        return 0;
    }
    if ((apr_size_t)(end - s) < n || s[1] < lo || s[1] > hi) {
        return 0;
    }
    for (i = 2; i < n; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) {
            return 0;
        }
    }
    return n;
}

/* Value of four hex digits at s, or -1. */
static long hex4(const unsigned char *s)
{
    long v = 0;
    int i;

    for (i = 0; i < 4; i++) {
        int c = s[i], d;
        if (c >= '0' && c <= '9') {
            d = c - '0';
        }
        else if (c >= 'a' && c <= 'f') {
            d = c - 'a' + 10;
        }
        else if (c >= 'A' && c <= 'F') {
            d = c - 'A' + 10;
        }
        else {
            return -1;
        }
        v = (v << 4) | d;
    }
    return v;
}

/**
 * Scan a \u escape (sc->cur at the 'u'), including a following low
 * surrogate when the first is a high one. Stores the code point in *pcp.
 * @return 1, or 0 (NUL, lone surrogate, bad hex).
 */
static int scan_u_escape(json_scan_t *sc, unsigned long *pcp)
{
    long v, lo;

    if (sc->end - sc->cur < 5 || (v = hex4(sc->cur + 1)) < 0) {
        return scan_fail(sc, "bad \\u escape");
    }
    sc->cur += 5;
    if (v == 0) {
        return scan_fail(sc, "\\u0000 in string");
    }
    if (v >= 0xdc00 && v <= 0xdfff) {
        return scan_fail(sc, "lone surrogate escape");
    }
    if (v >= 0xd800 && v <= 0xdbff) {
        if (sc->end - sc->cur < 6 || sc->cur[0] != '\\' || sc->cur[1] != 'u' ||
            (lo = hex4(sc->cur + 2)) < 0xdc00 || lo > 0xdfff) {
            return scan_fail(sc, "lone surrogate escape");
        }
        sc->cur += 6;
        v = 0x10000 + ((v - 0xd800) << 10) + (lo - 0xdc00);
    }
    *pcp = (unsigned long)v;
    return 1;
}

/* Append code point cp as UTF-8 at *po. */
static void put_utf8(char **po, unsigned long cp)
{
    char *o = *po;

    if (cp < 0x80) {
        *o++ = (char)cp;
    }
    else if (cp < 0x800) {
        *o++ = (char)(0xc0 | (cp >> 6));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    else if (cp < 0x10000) {
        *o++ = (char)(0xe0 | (cp >> 12));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    else {
        *o++ = (char)(0xf0 | (cp >> 18));
        *o++ = (char)(0x80 | ((cp >> 12) & 0x3f));
        *o++ = (char)(0x80 | ((cp >> 6) & 0x3f));
        *o++ = (char)(0x80 | (cp & 0x3f));
    }
    *po = o;
}

/* Decode one escape (sc->cur after the backslash); append it at *po when
 * po is not NULL. */
static int scan_escape(json_scan_t *sc, char **po)
{
    static const char from[] = "\"\\/bfnrt";
    static const char to[] = "\"\\/\b\f\n\r\t";
    const char *hit;
    unsigned long cp;

    if (sc->cur >= sc->end) {
        return scan_fail(sc, "unterminated string");
    }
    if (*sc->cur == 'u') {
        if (!scan_u_escape(sc, &cp)) {
            return 0;
        }
    }
    else if (*sc->cur != '\0' && (hit = strchr(from, *sc->cur)) != NULL) {
        cp = (unsigned char)to[hit - from];
        sc->cur++;
    }
    else {
        return scan_fail(sc, "bad escape");
    }
    if (po) {
        put_utf8(po, cp);
    }
    return 1;
}

/* Step over one unescaped character of a string: no control characters,
 * well-formed UTF-8 only. */
static int scan_raw_char(json_scan_t *sc)
{
    unsigned char c = *sc->cur;
    apr_size_t n;

    if (c < 0x20) {
        return scan_fail(sc,
                         c ? "control character in string" : "NUL in string");
    }
    if (c < 0x80) {
        sc->cur++;
        return 1;
    }
    n = utf8_seq_len(sc->cur, sc->end);
    if (n == 0) {
        return scan_fail(sc, "invalid UTF-8");
    }
    sc->cur += n;
    return 1;
}

/**
 * Decode the already validated string body [s, e) into pool memory.
 */
static void decode_name(json_name_t *pname, apr_pool_t *pool,
                        const unsigned char *s, const unsigned char *e)
{
    json_scan_t t;
    char *buf = apr_palloc(pool, (apr_size_t)(e - s) + 1);
    char *o = buf;

    memset(&t, 0, sizeof(t));
    t.cur = s;
    t.end = e;
    while (t.cur < t.end) {
        if (*t.cur == '\\') {
            t.cur++;
            scan_escape(&t, &o);
        }
        else {
            *o++ = (char)*t.cur++;
        }
    }
    *o = '\0';
    pname->s = buf;
    pname->len = (apr_size_t)(o - buf);
}

/**
 * Scan a string (sc->cur at the opening quote). When pname is given, the
 * decoded text is stored there, NUL-terminated, in the pool: a copy of the
 * input when the string has no escapes, else the decoded bytes.
 * @return 1, or 0 with sc->why set.
 */
static int scan_string(json_scan_t *sc, json_name_t *pname)
{
    const unsigned char *start = ++sc->cur;
    int escaped = 0;

    while (sc->cur < sc->end && *sc->cur != '"') {
        if (*sc->cur == '\\') {
            escaped = 1;
            sc->cur++;
            if (!scan_escape(sc, NULL)) {
                return 0;
            }
        }
        else if (!scan_raw_char(sc)) {
            return 0;
        }
    }
    if (sc->cur >= sc->end) {
        return scan_fail(sc, "unterminated string");
    }
    if (pname && escaped) {
        decode_name(pname, sc->pool, start, sc->cur);
    }
    else if (pname) {
        pname->len = (apr_size_t)(sc->cur - start);
        pname->s = apr_pstrmemdup(sc->pool, (const char *)start, pname->len);
    }
    sc->cur++;
    return 1;
}

/* Scan a string value into val. */
static int scan_string_value(json_scan_t *sc, ajwt_json_t *val)
{
    json_name_t text;

    if (!scan_string(sc, &text)) {
        return 0;
    }
    val->type = AJWT_JSON_STRING;
    val->u.str.s = text.s;
    val->u.str.len = text.len;
    return 1;
}

static int is_digit(const json_scan_t *sc)
{
    return sc->cur < sc->end && *sc->cur >= '0' && *sc->cur <= '9';
}

/* Step over one or more digits. */
static int scan_digits(json_scan_t *sc)
{
    if (!is_digit(sc)) {
        return scan_fail(sc, "bad number");
    }
    while (is_digit(sc)) {
        sc->cur++;
    }
    return 1;
}

/* The "C" locale for strtod_l, made once (immutable afterwards). */
static locale_t json_c_locale;
static pthread_once_t json_c_locale_once = PTHREAD_ONCE_INIT;

static void json_make_c_locale(void)
{
    json_c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

/**
 * Fill val from a validated number text: the text as written, its double,
 * and, when it is written as an integer that fits an int64, that integer
 * (json-c's tokener made such numbers int64 and everything else a double
 * that kept its text; the serialiser writes them the same way).
 */
static void make_number(ajwt_json_t *val, json_scan_t *sc,
                        const unsigned char *s, const unsigned char *e,
                        int integer)
{
    const unsigned char *d = s + (*s == '-');
    char *text = apr_pstrmemdup(sc->pool, (const char *)s,
                                (apr_size_t)(e - s));

    val->type = AJWT_JSON_NUMBER;
    val->u.num.text = text;
    if (integer) {
        apr_uint64_t u = 0, limit = (*s == '-') ? (apr_uint64_t)INT64_MAX + 1
                                                : (apr_uint64_t)INT64_MAX;
        int fits = 1;

        for (; d < e; d++) {
            unsigned digit = (unsigned)(*d - '0');
            if (u > (limit - digit) / 10) {
                fits = 0;
                break;
            }
            u = u * 10 + digit;
        }
        if (fits) {
            val->u.num.is_int = 1;
            val->u.num.i = *s == '-' ? (u == (apr_uint64_t)INT64_MAX + 1
                                            ? INT64_MIN
                                            : -(apr_int64_t)u)
                                     : (apr_int64_t)u;
            val->u.num.d = (double)val->u.num.i;
            return;
        }
    }
    pthread_once(&json_c_locale_once, json_make_c_locale);
    val->u.num.d = json_c_locale ? strtod_l(text, NULL, json_c_locale)
                                 : strtod(text, NULL);
}

/** Scan a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(json_scan_t *sc, ajwt_json_t *val)
{
    const unsigned char *start = sc->cur;
    int integer = 1;

    if (*sc->cur == '-') {
        sc->cur++;
    }
    if (sc->cur < sc->end && *sc->cur == '0') {
        sc->cur++;
        if (is_digit(sc)) {
            return scan_fail(sc, "number with leading zero");
        }
    }
    else if (!scan_digits(sc)) {
        return 0;
    }
    if (sc->cur < sc->end && *sc->cur == '.') {
        integer = 0;
        sc->cur++;
        if (!scan_digits(sc)) {
            return 0;
        }
    }
    if (sc->cur < sc->end && (*sc->cur == 'e' || *sc->cur == 'E')) {
        integer = 0;
        sc->cur++;
        if (sc->cur < sc->end && (*sc->cur == '+' || *sc->cur == '-')) {
            sc->cur++;
        }
        if (!scan_digits(sc)) {
            return 0;
        }
    }
    make_number(val, sc, start, sc->cur, integer);
    return 1;
}


/* Scan the literal word (true, false, null) into val. */
static int scan_literal(json_scan_t *sc, const char *word, ajwt_json_t *val)
{
    apr_size_t n = strlen(word);

    if ((apr_size_t)(sc->end - sc->cur) < n || memcmp(sc->cur, word, n)) {
        return scan_fail(sc, "invalid token");
    }
    sc->cur += n;
    if (*word == 'n') {
        val->type = AJWT_JSON_NULL;
    }
    else {
        val->type = AJWT_JSON_BOOL;
        val->u.b = (*word == 't');
    }
    return 1;
}

static int name_cmp(const json_name_t *x, const json_name_t *y)
{
    apr_size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);

    if (c) {
        return c;
    }
    return (x->len > y->len) - (x->len < y->len);
}

/**
 * Sort the n names at a with tmp (room for n) as scratch: a bottom-up
 * merge sort, because qsort may call malloc for large arrays.
 */
static void sort_names(json_name_t *a, json_name_t *tmp, apr_size_t n)
{
    apr_size_t w, lo, i, j, k, mid, hi;

    for (w = 1; w < n; w *= 2) {
        for (lo = 0; lo < n; lo += 2 * w) {
            mid = lo + w < n ? lo + w : n;
            hi = lo + 2 * w < n ? lo + 2 * w : n;
            for (i = lo, j = mid, k = lo; k < hi; k++) {
                tmp[k] = (j >= hi || (i < mid && name_cmp(&a[i], &a[j]) <= 0))
                             ? a[i++]
                             : a[j++];
            }
        }
        memcpy(a, tmp, n * sizeof(*a));
    }
}

/**
 * Are there two equal names among the n members at m? Pairwise for small
 * objects; larger ones sort a copy of the names in the pool (the members
 * keep document order).
 */
static int has_duplicate(apr_pool_t *pool, const ajwt_json_member_t *m,
                         apr_size_t n)
{
    json_name_t *names;
    apr_size_t i, j;

    if (n <= AJWT_JSON_PAIRWISE_MAX) {
        for (i = 0; i < n; i++) {
            for (j = i + 1; j < n; j++) {
                if (m[i].len == m[j].len && !memcmp(m[i].name, m[j].name,
                                                    m[i].len)) {
                    return 1;
                }
            }
        }
        return 0;
    }
    names = apr_palloc(pool, 2 * n * sizeof(*names));
    for (i = 0; i < n; i++) {
        names[i].s = m[i].name;
        names[i].len = m[i].len;
    }
    sort_names(names, names + n, n);
    for (i = 1; i < n; i++) {
        if (!name_cmp(&names[i - 1], &names[i])) {
            return 1;
        }
    }
    return 0;
}

/* Scan one "name": value member of an object onto the stack. */
static int scan_member(json_scan_t *sc)
{
    json_name_t name;
    ajwt_json_t val;
    ajwt_json_member_t *slot;

    skip_ws(sc);
    if (sc->cur >= sc->end || *sc->cur != '"') {
        return scan_fail(sc, "member name expected");
    }
    if (!scan_string(sc, &name)) {
        return 0;
    }
    skip_ws(sc);
    if (sc->cur >= sc->end || *sc->cur != ':') {
        return scan_fail(sc, "':' expected");
    }
    sc->cur++;
    /* into a local first: nested values may grow (move) the stack */
    if (!scan_value(sc, &val)) {
        return 0;
    }
    slot = apr_array_push(sc->stack);
    slot->name = name.s;
    slot->len = name.len;
    slot->value = val;
    return 1;
}

/* Scan one array item onto the stack. */
static int scan_item(json_scan_t *sc)
{
    ajwt_json_t val;
    ajwt_json_member_t *slot;

    if (!scan_value(sc, &val)) {
        return 0;
    }
    slot = apr_array_push(sc->stack);
    slot->name = NULL;
    slot->len = 0;
    slot->value = val;
    return 1;
}

/**
 * Scan the members of an object or the items of an array (sc->cur at '{'
 * or '[') onto the stack, up to and including the closing bracket.
 */
static int scan_entries(json_scan_t *sc, int is_object)
{
    char close = is_object ? '}' : ']';

    sc->cur++;
    skip_ws(sc);
    if (sc->cur < sc->end && *sc->cur == close) {
        sc->cur++;
        return 1;
    }
    for (;;) {
        if (!(is_object ? scan_member(sc) : scan_item(sc))) {
            return 0;
        }
        skip_ws(sc);
        if (sc->cur < sc->end && *sc->cur == ',') {
            sc->cur++;
            continue;
        }
        if (sc->cur < sc->end && *sc->cur == close) {
            sc->cur++;
            return 1;
        }
        return scan_fail(sc, is_object ? "',' or '}' expected"
                                       : "',' or ']' expected");
    }
}

/**
 * Scan a nested container into val, counting depth: its entries gather on
 * the stack, then move into one array of the exact size; an object's names
 * are then checked for duplicates.
 */
static int scan_container(json_scan_t *sc, int is_object, ajwt_json_t *val)
{
    int base = sc->stack->nelts;
    const ajwt_json_member_t *top;
    apr_size_t i, n;

    if (++sc->depth > AJWT_JSON_MAX_DEPTH) {
        return scan_fail(sc, "nesting too deep");
    }
    if (!scan_entries(sc, is_object)) {
        return 0;
    }
    sc->depth--;
    top = (const ajwt_json_member_t *)sc->stack->elts + base;
    n = (apr_size_t)(sc->stack->nelts - base);
    if (is_object) {
        ajwt_json_member_t *m = n ? apr_palloc(sc->pool, n * sizeof(*m)) : NULL;
        if (n) {
            memcpy(m, top, n * sizeof(*m));
        }
        val->type = AJWT_JSON_OBJECT;
        val->u.obj.m = m;
        val->u.obj.n = val->u.obj.cap = n;
        if (has_duplicate(sc->pool, m, n)) {
            return scan_fail(sc, "duplicate member name");
        }
    }
    else {
        ajwt_json_t *items = n ? apr_palloc(sc->pool, n * sizeof(*items))
                               : NULL;
        for (i = 0; i < n; i++) {
            items[i] = top[i].value;
        }
        val->type = AJWT_JSON_ARRAY;
        val->u.arr.items = items;
        val->u.arr.n = val->u.arr.cap = n;
    }
    sc->stack->nelts = base;
    return 1;
}

/** Scan any value, with the whitespace around it, into val.
 * @return 1, or 0 with sc->why set. */
static int scan_value(json_scan_t *sc, ajwt_json_t *val)
{
    int ok;

    memset(val, 0, sizeof(*val));
    skip_ws(sc);
    if (sc->cur >= sc->end) {
        return scan_fail(sc, "value expected");
    }
    switch (*sc->cur) {
    case '{':
        ok = scan_container(sc, 1, val);
        break;
    case '[':
        ok = scan_container(sc, 0, val);
        break;
    case '"':
        ok = scan_string_value(sc, val);
        break;
    case 't':
        ok = scan_literal(sc, "true", val);
        break;
    case 'f':
        ok = scan_literal(sc, "false", val);
        break;
    case 'n':
        ok = scan_literal(sc, "null", val);
        break;
    default:
        if (*sc->cur == '-' || (*sc->cur >= '0' && *sc->cur <= '9')) {
            ok = scan_number(sc, val);
        }
        else {
            ok = scan_fail(sc, "invalid token");
        }
    }
    skip_ws(sc);
    return ok;
}

/**
 * Parse text as one JSON object with nothing but whitespace around it.
 * @return NULL with *pobj set, else a fixed text naming the reason.
 */
static const char *json_build(const ajwt_json_t **pobj, apr_pool_t *p,
                              const char *text, apr_size_t len)
{
    json_scan_t sc;
    ajwt_json_t *obj = apr_palloc(p, sizeof(*obj));

    memset(&sc, 0, sizeof(sc));
    sc.cur = (const unsigned char *)text;
    sc.end = sc.cur + len;
    sc.pool = p;
    sc.stack = apr_array_make(p, 16, sizeof(ajwt_json_member_t));
    skip_ws(&sc);
    if (sc.cur >= sc.end || *sc.cur != '{') {
        return "not a JSON object";
    }
    if (!scan_value(&sc, obj)) {
        return sc.why ? sc.why : "invalid JSON";
    }
    if (sc.cur != sc.end) {
        return "trailing data after JSON object";
    }
    *pobj = obj;
    return NULL;
}

apr_status_t ajwt_json_parse_object(const ajwt_json_t **pobj, apr_pool_t *p,
                                    const char *text, apr_size_t len,
                                    ajwt_err_t *err)
{
    const char *why;

    *pobj = NULL;
    if ((apr_size_t)(int)len != len) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "JSON: text too long");
    }
    why = json_build(pobj, p, text, len);
    if (why) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "JSON: %s", why);
    }
    return APR_SUCCESS;
}
