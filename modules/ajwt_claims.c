/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_claims.c: the JWT claims set (RFC 7519 §4.1) over the pool JSON tree
 * of ajwt_json.h. Time claims are checked against an injected clock, so
 * tests need no real time. Checking, lookup, matching and export allocate
 * from the caller's pool only (the per-request path).
 * Pure layer: includes APR and the C library only; never logs.
 */
#include <string.h>

#include "apr_pools.h"
#include "apr_lib.h"
#include "apr_strings.h"
#include "apr_tables.h"

#include "ajwt_claims.h"
#include "ajwt_err.h"
#include "ajwt_json.h"

/** Is c a control character that must never reach a header or the env? */
static int is_ctl(unsigned char c)
{
    return c < 0x20 || c == 0x7f;
}

/**
 * Does the buffer hold a control character: C0 (NUL included), DEL, C1
 * (U+0080-U+009F, UTF-8 C2 80..C2 9F) or the line/paragraph separators
 * U+2028/U+2029 (E2 80 A8/A9)? 1 if so.
 */
static int has_ctl(const char *s, size_t len)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i;

    for (i = 0; i < len; i++) {
        if (is_ctl(u[i])) {
            return 1;
        }
        if (u[i] == 0xc2 && i + 1 < len && u[i + 1] >= 0x80
            && u[i + 1] <= 0x9f) {
            return 1;
        }
        if (u[i] == 0xe2 && i + 2 < len && u[i + 1] == 0x80
            && (u[i + 2] == 0xa8 || u[i + 2] == 0xa9)) {
            return 1;
        }
    }
    return 0;
}

/** Is the JSON string obj exactly equal to value (full length)? 1 if so. */
static int string_equals(const ajwt_json_t *obj, const char *value)
{
    size_t vlen = strlen(value);
    apr_size_t len;
    const char *s = ajwt_json_string(obj, &len);

    return s && len == vlen && memcmp(s, value, vlen) == 0;
}

/**
 * Read the NumericDate claim name from payload into *pval.
 * @return 1 when present and valid; 0 when absent; -1 (with err set to
 *         AJWT_E_MALFORMED) when not a JSON number or out of
 *         [0, AJWT_NUMERICDATE_MAX].
 */
static int numeric_date(double *pval, const ajwt_json_t *payload,
                        const char *name, ajwt_err_t *err)
{
    const ajwt_json_t *obj = ajwt_json_get(payload, name);
    double v;

    if (!obj) {
        return 0;
    }
    if (!ajwt_json_is(obj, AJWT_JSON_NUMBER)) {
        ajwt_err_set(err, AJWT_E_MALFORMED, "claim %s is not a number", name);
        return -1;
    }
    v = ajwt_json_double(obj);
    /* written so that NaN fails too */
    if (!(v >= 0.0 && v <= AJWT_NUMERICDATE_MAX)) {
        ajwt_err_set(err, AJWT_E_MALFORMED, "claim %s is out of range", name);
        return -1;
    }
    *pval = v;
    return 1;
}

/**
 * Check exp, nbf and iat against policy->now and policy->leeway. All values
 * involved are below 2^53, so the double arithmetic is exact for integers.
 * @return APR_SUCCESS, or APR_EINVAL with AJWT_E_MALFORMED (exp missing),
 *         AJWT_E_MALFORMED, AJWT_E_EXPIRED or AJWT_E_NOT_YET_VALID.
 */
static apr_status_t check_times(const ajwt_json_t *payload,
                                const ajwt_claims_policy_t *policy,
                                ajwt_err_t *err)
{
    double now = policy->now;
    double leeway = policy->leeway > 0 ? (double)policy->leeway : 0.0;
    double v;
    int rv;

    rv = numeric_date(&v, payload, "exp", err);
    if (rv < 0) {
        return APR_EINVAL;
    }
    if (rv == 0) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "claim exp is missing");
    }
    if (now - leeway >= v) {
        return ajwt_err_set(err, AJWT_E_EXPIRED, "token expired");
    }
    rv = numeric_date(&v, payload, "nbf", err);
    if (rv < 0) {
        return APR_EINVAL;
    }
    if (rv > 0 && now + leeway < v) {
        return ajwt_err_set(err, AJWT_E_NOT_YET_VALID, "token not yet valid");
    }
    rv = numeric_date(&v, payload, "iat", err);
    if (rv < 0) {
        return APR_EINVAL;
    }
    if (rv > 0 && v > now + leeway) {
        return ajwt_err_set(err, AJWT_E_NOT_YET_VALID,
                            "token issued in the future");
    }
    return APR_SUCCESS;
}

/**
 * Does the aud claim name value: equal to it as a string, or an array
 * holding a string equal to it (other elements are ignored)?
 * @return APR_SUCCESS, or APR_EINVAL with AJWT_E_AUDIENCE.
 */
static apr_status_t check_audience(const ajwt_json_t *payload,
                                   const char *value, ajwt_err_t *err)
{
    const ajwt_json_t *aud = ajwt_json_get(payload, "aud");
    apr_size_t i, n;

    if (!aud) {
        return ajwt_err_set(err, AJWT_E_AUDIENCE, "claim aud is missing");
    }
    if (ajwt_json_is(aud, AJWT_JSON_STRING)) {
        if (string_equals(aud, value)) {
            return APR_SUCCESS;
        }
    }
    else if (ajwt_json_is(aud, AJWT_JSON_ARRAY)) {
        n = ajwt_json_count(aud);
        for (i = 0; i < n; i++) {
            if (string_equals(ajwt_json_item(aud, i), value)) {
                return APR_SUCCESS;
            }
        }
    }
    else {
        return ajwt_err_set(err, AJWT_E_AUDIENCE, "claim aud has a bad type");
    }
    return ajwt_err_set(err, AJWT_E_AUDIENCE, "audience not accepted");
}

/**
 * Find the user claim (name, top level): a non-empty string without control
 * characters. *puser points into the payload.
 * @return APR_SUCCESS, or APR_EINVAL with AJWT_E_CLAIM.
 */
static apr_status_t find_user(const char **puser, const ajwt_json_t *payload,
                              const char *name, ajwt_err_t *err)
{
    const ajwt_json_t *obj = ajwt_json_get(payload, name);
    const char *s;
    apr_size_t len;

    if (!obj) {
        return ajwt_err_set(err, AJWT_E_CLAIM, "user claim is missing");
    }
    if (!(s = ajwt_json_string(obj, &len))) {
        return ajwt_err_set(err, AJWT_E_CLAIM, "user claim is not a string");
    }
    if (len == 0) {
        return ajwt_err_set(err, AJWT_E_CLAIM, "user claim is empty");
    }
    if (has_ctl(s, len)) {
        return ajwt_err_set(err, AJWT_E_CLAIM,
                            "user claim has a control character");
    }
    *puser = s;
    return APR_SUCCESS;
}

/**
 * Check a payload against a policy and find the user (see ajwt_claims.h).
 * Order: exp, nbf, iat, iss, aud, user claim.
 * @return APR_SUCCESS with *puser set; APR_EINVAL with err->code one of
 *         AJWT_E_MALFORMED (payload not an object, time claim not a number
 *         or out of range), AJWT_E_MALFORMED (exp missing), AJWT_E_CLAIM (bad user claim),
 *         AJWT_E_EXPIRED, AJWT_E_NOT_YET_VALID, AJWT_E_ISSUER,
 *         AJWT_E_AUDIENCE.
 */
apr_status_t ajwt_claims_check(const char **puser,
                               const ajwt_json_t *payload,
                               const ajwt_claims_policy_t *policy,
                               ajwt_err_t *err)
{
    const ajwt_json_t *iss;
    apr_status_t rv;

    *puser = NULL;
    if (!ajwt_json_is(payload, AJWT_JSON_OBJECT)) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "claims are not an object");
    }
    rv = check_times(payload, policy, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (policy->iss) {
        if (!(iss = ajwt_json_get(payload, "iss"))) {
            return ajwt_err_set(err, AJWT_E_ISSUER, "claim iss is missing");
        }
        if (!string_equals(iss, policy->iss)) {
            return ajwt_err_set(err, AJWT_E_ISSUER, "issuer not accepted");
        }
    }
    if (policy->aud) {
        rv = check_audience(payload, policy->aud, err);
        if (rv != APR_SUCCESS) {
            return rv;
        }
    }
    return find_user(puser, payload,
                     policy->user_claim ? policy->user_claim : "sub", err);
}

/**
 * Find a claim by a dotted path: each dot-separated segment names a member
 * of the object reached so far.
 * @return the claim (part of payload's tree), or NULL when absent, when a
 *         segment is empty, when an intermediate value is not an object, or
 *         when the claim is JSON null.
 */
const ajwt_json_t *ajwt_claims_lookup(const ajwt_json_t *payload,
                                      const char *path)
{
    const ajwt_json_t *cur = payload;
    const char *seg = path;

    if (!path) {
        return NULL;
    }
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);

        if (len == 0 || !ajwt_json_is(cur, AJWT_JSON_OBJECT)) {
            return NULL;
        }
        cur = ajwt_json_get_n(cur, seg, len);
        if (ajwt_json_is(cur, AJWT_JSON_NULL)) {
            return NULL;
        }
        if (!dot || !cur) {
            return cur;
        }
        seg = dot + 1;
    }
}

/** Is obj a string, number or boolean? */
static int is_scalar(const ajwt_json_t *obj)
{
    switch (ajwt_json_type(obj)) {
    case AJWT_JSON_STRING:
    case AJWT_JSON_NUMBER:
    case AJWT_JSON_BOOL:
        return obj != NULL;
    default:
        return 0;
    }
}

/** Does a scalar claim match value (ajwt_claims_match without arrays)?
 * Numbers and booleans compare as their compact JSON text, written into a
 * small stack buffer when it fits (the per-request path allocates
 * nothing for it). */
static int scalar_match(const ajwt_json_t *obj, const char *value)
{
    if (ajwt_json_is(obj, AJWT_JSON_STRING)) {
        return string_equals(obj, value);
    }
    if (ajwt_json_is(obj, AJWT_JSON_BOOL)) {
        return strcmp(ajwt_json_bool(obj) ? "true" : "false", value) == 0;
    }
    if (ajwt_json_is(obj, AJWT_JSON_NUMBER)) {
        apr_int64_t i;
        char buf[24];

        if (ajwt_json_int64(&i, obj)) {
            apr_snprintf(buf, sizeof(buf), "%" APR_INT64_T_FMT, i);
            return strcmp(buf, value) == 0;
        }
        return strcmp(ajwt_json_number_text(obj), value) == 0;
    }
    return 0;
}

/**
 * Does claim match value (see ajwt_claims.h)? Array elements are matched
 * as scalars; nested arrays, objects and null never match.
 * @return 1 on a match, 0 otherwise (also for NULL arguments).
 */
int ajwt_claims_match(const ajwt_json_t *claim, const char *value)
{
    apr_size_t i, n;

    if (!claim || !value) {
        return 0;
    }
    if (ajwt_json_is(claim, AJWT_JSON_ARRAY)) {
        n = ajwt_json_count(claim);
        for (i = 0; i < n; i++) {
            if (scalar_match(ajwt_json_item(claim, i), value)) {
                return 1;
            }
        }
        return 0;
    }
    return scalar_match(claim, value);
}

/** Is every element of the array a scalar (vacuously true when empty)? */
static int all_scalars(const ajwt_json_t *arr)
{
    apr_size_t i, n = ajwt_json_count(arr);

    for (i = 0; i < n; i++) {
        if (!is_scalar(ajwt_json_item(arr, i))) {
            return 0;
        }
    }
    return 1;
}

/** Text of a scalar copied into p (a string as is, else its compact JSON),
 * with its length in *plen. */
static const char *scalar_text(apr_size_t *plen, apr_pool_t *p,
                               const ajwt_json_t *obj)
{
    const char *s = ajwt_json_string(obj, plen);

    return s ? apr_pstrmemdup(p, s, *plen) : ajwt_json_compact(p, obj, plen);
}

/** Scalars of arr joined with ',' into p (length in *plen). */
static const char *join_scalars(apr_size_t *plen, apr_pool_t *p,
                                const ajwt_json_t *arr)
{
    apr_size_t i, n = ajwt_json_count(arr);
    struct iovec *vec;
    apr_size_t len;

    if (n == 0) {
        *plen = 0;
        return "";
    }
    vec = apr_pcalloc(p, sizeof(*vec) * (2 * n - 1));
    for (i = 0; i < n; i++) {
        const char *s = scalar_text(&len, p, ajwt_json_item(arr, i));

        vec[2 * i].iov_base = (void *)s;
        vec[2 * i].iov_len = len;
        if (i + 1 < n) {
            vec[2 * i + 1].iov_base = (void *)",";
            vec[2 * i + 1].iov_len = 1;
        }
    }
    return apr_pstrcatv(p, vec, 2 * n - 1, plen);
}

/**
 * The text of a claim for export (see ajwt_claims.h), allocated from p.
 * @return the text, or NULL when it would contain a control character.
 */
const char *ajwt_claims_text(apr_pool_t *p, const ajwt_json_t *claim)
{
    const char *text;
    apr_size_t len;

    switch (ajwt_json_type(claim)) {
    case AJWT_JSON_NULL:
        return "";
    case AJWT_JSON_STRING:
    case AJWT_JSON_NUMBER:
    case AJWT_JSON_BOOL:
        text = scalar_text(&len, p, claim);
        break;
    case AJWT_JSON_ARRAY:
        if (all_scalars(claim)) {
            text = join_scalars(&len, p, claim);
            break;
        }
        text = ajwt_json_compact(p, claim, &len); /* a mixed array: as JSON */
        break;
    default:
        text = ajwt_json_compact(p, claim, &len);
        break;
    }
    if (has_ctl(text, len)) {
        return NULL;
    }
    return text;
}

/**
 * Map a claim name to an environment-safe name, allocated from p: every
 * byte outside [A-Za-z0-9_] becomes '_'.
 * @return the name, or NULL when name is NULL or empty.
 */
const char *ajwt_claims_env_name(apr_pool_t *p, const char *name)
{
    char *out, *c;

    if (!name || !*name) {
        return NULL;
    }
    out = apr_pstrdup(p, name);
    for (c = out; *c; c++) {
        unsigned char u = (unsigned char)*c;
        if (!((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') ||
              (u >= '0' && u <= '9') || u == '_')) {
            *c = '_';
        }
    }
    return out;
}

/** Is name one of the strings in names (an array of const char *)? */
static int name_listed(const apr_array_header_t *names, const char *name)
{
    int i;

    for (i = 0; i < names->nelts; i++) {
        const char *n = APR_ARRAY_IDX(names, i, const char *);
        if (n && strcmp(n, name) == 0) {
            return 1;
        }
    }
    return 0;
}

/** Are a and b equal ignoring ASCII case? */
static int same_nocase(const char *a, const char *b)
{
    while (*a && apr_tolower(*a) == apr_tolower(*b)) {
        a++;
        b++;
    }
    return *a == *b;
}

/**
 * Remove every entry whose name equals another's ignoring case: "role" and
 * "ROLE", or "ro-le" and "ro_le", would reach CGI as one HTTP_ variable or
 * shadow each other, so the application could see a value that "Require
 * jwt-claim" did not check. Neither is exported.
 */
static void drop_collisions(apr_array_header_t *kvs)
{
    ajwt_claim_kv_t *e = (ajwt_claim_kv_t *)kvs->elts;
    int i, j, n = 0;

    for (i = 0; i < kvs->nelts; i++) {
        int clash = 0;
        for (j = 0; j < kvs->nelts && !clash; j++) {
            clash = (i != j && same_nocase(e[i].name, e[j].name));
        }
        if (!clash) {
            e[n++] = e[i];
        }
    }
    kvs->nelts = n;
}

/**
 * Flatten the top-level claims for export (see ajwt_claims.h).
 * @return an array of ajwt_claim_kv_t from p in payload order; empty when
 *         payload is not an object. Never NULL.
 */
apr_array_header_t *ajwt_claims_export(apr_pool_t *p,
                                       const ajwt_json_t *payload,
                                       const apr_array_header_t *names)
{
    apr_size_t i, n = ajwt_json_count(payload);
    apr_array_header_t *out = apr_array_make(p, n ? (int)n : 1,
                                             sizeof(ajwt_claim_kv_t));

    if (!ajwt_json_is(payload, AJWT_JSON_OBJECT)) {
        return out;
    }
    for (i = 0; i < n; i++) {
        const char *key;
        const ajwt_json_t *val = ajwt_json_member(payload, i, &key, NULL);
        ajwt_claim_kv_t kv;

        if (names && !name_listed(names, key)) {
            continue;
        }
        kv.name = ajwt_claims_env_name(p, key);
        kv.value = ajwt_claims_text(p, val);
        if (kv.name && kv.value) {
            APR_ARRAY_PUSH(out, ajwt_claim_kv_t) = kv;
        }
    }
    drop_collisions(out);
    return out;
}

/** Registered claims that ajwt_claims_build sets and extras may not. */
static const char *const registered[] = {"iss", "aud", "sub", "iat",
                                         "nbf", "exp", "jti"};

/** Is name one of the claims ajwt_claims_build sets itself? */
static int is_registered(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(registered) / sizeof(registered[0]); i++) {
        if (strcmp(registered[i], name) == 0) {
            return 1;
        }
    }
    return 0;
}

/** Set a string member when value is not NULL. */
static void set_string(ajwt_json_t *obj, apr_pool_t *p, const char *name,
                       const char *value)
{
    if (value) {
        ajwt_json_set(obj, p, name, ajwt_json_new_string(p, value));
    }
}

/**
 * Build the claims of a new access token (see ajwt_claims.h). Extra pairs
 * named like a registered claim (iss aud sub iat nbf exp jti, whether set
 * or not) are ignored, as are repeated extra names after the first and
 * pairs with a NULL or empty name or a NULL value.
 * @return the object, allocated from p (never NULL).
 */
const ajwt_json_t *ajwt_claims_build(apr_pool_t *p, const char *iss,
                                     const char *aud, const char *sub,
                                     apr_int64_t now, apr_int64_t lifetime,
                                     const char *jti,
                                     const apr_array_header_t *extra)
{
    ajwt_json_t *obj = ajwt_json_new_object(p);
    int i;

    set_string(obj, p, "iss", iss);
    set_string(obj, p, "aud", aud);
    set_string(obj, p, "sub", sub);
    ajwt_json_set(obj, p, "iat", ajwt_json_new_int64(p, now));
    ajwt_json_set(obj, p, "nbf", ajwt_json_new_int64(p, now));
    ajwt_json_set(obj, p, "exp", ajwt_json_new_int64(p, now + lifetime));
    set_string(obj, p, "jti", jti);
    for (i = 0; extra && i < extra->nelts; i++) {
        const ajwt_claim_kv_t *kv = &APR_ARRAY_IDX(extra, i, ajwt_claim_kv_t);

        if (!kv->name || !*kv->name || !kv->value || is_registered(kv->name)
            || ajwt_json_get(obj, kv->name)) {
            continue;
        }
        set_string(obj, p, kv->name, kv->value);
    }
    return obj;
}
