/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_json.c: strict JSON for JOSE. One pass of a small validating parser
 * over the raw bytes (RFC 8259 grammar, UTF-8 per RFC 3629, no NUL, no lone
 * surrogates, depth limit, duplicate member names compared after unescaping)
 * builds the json-c object tree as it goes. json-c's own tokener is not
 * used: besides a second pass, it switches the thread's locale for every
 * parse (duplocale/newlocale take glibc's global locale lock), which the
 * per-request path of a threaded server must not do. Numbers are read in
 * the "C" locale made once (strtod_l).
 * Pure layer: APR and json-c only.
 */
#include <locale.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "apr_pools.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include <json-c/json.h>

#include "ajwt_json.h"

/* A member name as it compares: decoded UTF-8 bytes. */
typedef struct {
    const char *s;
    apr_size_t len;
} json_name_t;

typedef struct {
    const unsigned char *cur;
    const unsigned char *end;
    apr_pool_t *pool;
    apr_array_header_t *names; /* stack of member names of open objects */
    int depth;
    int oom;         /* json-c could not allocate */
    const char *why; /* reason of the first error, a fixed text */
} json_scan_t;

/* Members per object up to which names are compared pairwise; larger
 * objects are sorted instead. */
#define AJWT_JSON_PAIRWISE_MAX 16

static int scan_value(json_scan_t *sc, json_object **pval);

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
    pname->s = buf;
    pname->len = (apr_size_t)(o - buf);
}

/**
 * Scan a string (sc->cur at the opening quote). When pname is given, the
 * decoded text is stored there: a pointer into the input when the string
 * has no escapes, else a decoded copy in the pool (of the string's size).
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
        pname->s = (const char *)start;
        pname->len = (apr_size_t)(sc->cur - start);
    }
    sc->cur++;
    return 1;
}

/** A json-c allocation failed: give up the parse. */
static int scan_oom(json_scan_t *sc)
{
    sc->oom = 1;
    return scan_fail(sc, "out of memory");
}

/* Scan a string value and make its json_object. */
static int scan_string_value(json_scan_t *sc, json_object **pval)
{
    json_name_t text;

    if (!scan_string(sc, &text)) {
        return 0;
    }
    *pval = json_object_new_string_len(text.s, (int)text.len);
    return *pval ? 1 : scan_oom(sc);
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
 * The json_object of a validated number text: int64 when it is an integer
 * that fits, else a double that keeps its original text (as json-c's
 * tokener does, so that it serialises as written).
 */
static json_object *make_number(json_scan_t *sc, const unsigned char *s,
                                const unsigned char *e, int integer)
{
    const unsigned char *d = s + (*s == '-');
    char *text;
    double v;

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
            return json_object_new_int64(
                *s == '-' ? (u == (apr_uint64_t)INT64_MAX + 1
                                 ? INT64_MIN
                                 : -(apr_int64_t)u)
                          : (apr_int64_t)u);
        }
    }
    text = apr_pstrmemdup(sc->pool, (const char *)s, (apr_size_t)(e - s));
    pthread_once(&json_c_locale_once, json_make_c_locale);
    v = json_c_locale ? strtod_l(text, NULL, json_c_locale)
                      : strtod(text, NULL);
    return json_object_new_double_s(v, text);
}

/** Scan a number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static int scan_number(json_scan_t *sc, json_object **pval)
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
    *pval = make_number(sc, start, sc->cur, integer);
    return *pval ? 1 : scan_oom(sc);
}

/* Scan the literal word (true, false, null): null is json-c's NULL. */
static int scan_literal(json_scan_t *sc, const char *word,
                        json_object **pval)
{
    apr_size_t n = strlen(word);

    if ((apr_size_t)(sc->end - sc->cur) < n || memcmp(sc->cur, word, n)) {
        return scan_fail(sc, "invalid token");
    }
    sc->cur += n;
    if (*word == 'n') {
        *pval = NULL;
        return 1;
    }
    *pval = json_object_new_boolean(*word == 't');
    return *pval ? 1 : scan_oom(sc);
}

static int name_cmp(const void *a, const void *b)
{
    const json_name_t *x = a, *y = b;
    apr_size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->s, y->s, n);

    if (c) {
        return c;
    }
    return (x->len > y->len) - (x->len < y->len);
}

/**
 * Are there two equal names among the n names at names? Pairwise for small
 * objects, sorted for large ones (the names are popped afterwards, so
 * reordering them is harmless).
 */
static int has_duplicate(json_name_t *names, int n)
{
    int i, j;

    if (n <= AJWT_JSON_PAIRWISE_MAX) {
        for (i = 0; i < n; i++) {
            for (j = i + 1; j < n; j++) {
                if (!name_cmp(&names[i], &names[j])) {
                    return 1;
                }
            }
        }
        return 0;
    }
    qsort(names, (size_t)n, sizeof(*names), name_cmp);
    for (i = 1; i < n; i++) {
        if (!name_cmp(&names[i - 1], &names[i])) {
            return 1;
        }
    }
    return 0;
}

/* Scan one "name": value member of an object and add it to obj. */
static int scan_member(json_scan_t *sc, json_object *obj)
{
    json_name_t *slot;
    json_object *val = NULL;

    skip_ws(sc);
    if (sc->cur >= sc->end || *sc->cur != '"') {
        return scan_fail(sc, "member name expected");
    }
    slot = apr_array_push(sc->names);
    if (!scan_string(sc, slot)) {
        return 0;
    }
    skip_ws(sc);
    if (sc->cur >= sc->end || *sc->cur != ':') {
        return scan_fail(sc, "':' expected");
    }
    sc->cur++;
    if (!scan_value(sc, &val)) {
        return 0;
    }
    /* duplicates are refused when the object closes: a repeated name makes
     * the whole parse fail, so json-c need not look the name up */
    if (json_object_object_add_ex(obj, apr_pstrmemdup(sc->pool, slot->s,
                                                      slot->len),
                                  val, JSON_C_OBJECT_ADD_KEY_IS_NEW) != 0) {
        json_object_put(val);
        return scan_oom(sc);
    }
    return 1;
}

/**
 * Scan an object (sc->cur at '{'): members, then the duplicate check over
 * this object's names, which are then popped off the name stack.
 */
static int scan_object(json_scan_t *sc, json_object *obj)
{
    int base = sc->names->nelts;

    sc->cur++;
    skip_ws(sc);
    if (sc->cur < sc->end && *sc->cur == '}') {
        sc->cur++;
        return 1;
    }
    for (;;) {
        if (!scan_member(sc, obj)) {
            return 0;
        }
        skip_ws(sc);
        if (sc->cur < sc->end && *sc->cur == ',') {
            sc->cur++;
            continue;
        }
        if (sc->cur < sc->end && *sc->cur == '}') {
            break;
        }
        return scan_fail(sc, "',' or '}' expected");
    }
    sc->cur++;
    if (has_duplicate((json_name_t *)sc->names->elts + base,
                      sc->names->nelts - base)) {
        return scan_fail(sc, "duplicate member name");
    }
    sc->names->nelts = base;
    return 1;
}

/* Scan an array (sc->cur at '[') into arr. */
static int scan_array(json_scan_t *sc, json_object *arr)
{
    json_object *val;

    sc->cur++;
    skip_ws(sc);
    if (sc->cur < sc->end && *sc->cur == ']') {
        sc->cur++;
        return 1;
    }
    for (;;) {
        val = NULL;
        if (!scan_value(sc, &val)) {
            return 0;
        }
        if (json_object_array_add(arr, val) != 0) {
            json_object_put(val);
            return scan_oom(sc);
        }
        skip_ws(sc);
        if (sc->cur < sc->end && *sc->cur == ',') {
            sc->cur++;
            continue;
        }
        if (sc->cur < sc->end && *sc->cur == ']') {
            sc->cur++;
            return 1;
        }
        return scan_fail(sc, "',' or ']' expected");
    }
}

/* Scan a nested container, counting depth; *pval receives it (released
 * again when anything inside fails). */
static int scan_container(json_scan_t *sc, int is_object, json_object **pval)
{
    json_object *c;
    int ok;

    if (++sc->depth > AJWT_JSON_MAX_DEPTH) {
        return scan_fail(sc, "nesting too deep");
    }
    c = is_object ? json_object_new_object() : json_object_new_array();
    if (!c) {
        return scan_oom(sc);
    }
    ok = is_object ? scan_object(sc, c) : scan_array(sc, c);
    sc->depth--;
    if (!ok) {
        json_object_put(c);
        return 0;
    }
    *pval = c;
    return 1;
}

/** Scan any value, with the whitespace around it, into *pval (NULL for
 * null). @return 1, or 0 (nothing is left allocated). */
static int scan_value(json_scan_t *sc, json_object **pval)
{
    int ok;

    *pval = NULL;
    skip_ws(sc);
    if (sc->cur >= sc->end) {
        return scan_fail(sc, "value expected");
    }
    switch (*sc->cur) {
    case '{':
        ok = scan_container(sc, 1, pval);
        break;
    case '[':
        ok = scan_container(sc, 0, pval);
        break;
    case '"':
        ok = scan_string_value(sc, pval);
        break;
    case 't':
        ok = scan_literal(sc, "true", pval);
        break;
    case 'f':
        ok = scan_literal(sc, "false", pval);
        break;
    case 'n':
        ok = scan_literal(sc, "null", pval);
        break;
    default:
        if (*sc->cur == '-' || (*sc->cur >= '0' && *sc->cur <= '9')) {
            ok = scan_number(sc, pval);
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
 * @return NULL with *pobj set, else a fixed text naming the reason
 *         (*poom set when it was an allocation failure).
 */
static const char *json_build(json_object **pobj, int *poom, apr_pool_t *p,
                              const char *text, apr_size_t len)
{
    json_scan_t sc;
    json_object *obj = NULL;

    *pobj = NULL;
    memset(&sc, 0, sizeof(sc));
    sc.cur = (const unsigned char *)text;
    sc.end = sc.cur + len;
    sc.pool = p;
    sc.names = apr_array_make(p, 16, sizeof(json_name_t));
    skip_ws(&sc);
    if (sc.cur >= sc.end || *sc.cur != '{') {
        return "not a JSON object";
    }
    if (!scan_value(&sc, &obj)) {
        *poom = sc.oom;
        return sc.why ? sc.why : "invalid JSON";
    }
    if (sc.cur != sc.end) {
        json_object_put(obj);
        return "trailing data after JSON object";
    }
    *pobj = obj;
    return NULL;
}

static apr_status_t json_put_cleanup(void *obj)
{
    json_object_put(obj);
    return APR_SUCCESS;
}

void ajwt_json_pool_own(apr_pool_t *p, json_object *obj)
{
    if (obj) {
        apr_pool_cleanup_register(p, obj, json_put_cleanup,
                                  apr_pool_cleanup_null);
    }
}

apr_status_t ajwt_json_parse_object(json_object **pobj, apr_pool_t *p,
                                    const char *text, apr_size_t len,
                                    ajwt_err_t *err)
{
    int oom = 0;
    const char *why;

    if ((apr_size_t)(int)len != len) {
        *pobj = NULL;
        return ajwt_err_set(err, AJWT_E_MALFORMED, "JSON: text too long");
    }
    why = json_build(pobj, &oom, p, text, len);
    if (why) {
        return ajwt_err_set(err, oom ? AJWT_E_INTERNAL : AJWT_E_MALFORMED,
                            "JSON: %s", why);
    }
    ajwt_json_pool_own(p, *pobj);
    return APR_SUCCESS;
}

const char *ajwt_json_compact(apr_pool_t *p, json_object *obj)
{
    const char *s = json_object_to_json_string_ext(
        obj, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);

    return apr_pstrdup(p, s ? s : "null");
}
