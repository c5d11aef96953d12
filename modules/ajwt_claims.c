/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_claims.c: the JWT claims set (RFC 7519 §4.1) over json-c. Time claims
 * are checked against an injected clock, so tests need no real time.
 * Pure layer: includes APR, json-c and the C library only; never logs.
 */
#include <string.h>

#include <json-c/json.h>

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
static int string_equals(json_object *obj, const char *value)
{
    size_t vlen = strlen(value);
    int len;

    if (!json_object_is_type(obj, json_type_string)) {
        return 0;
    }
    len = json_object_get_string_len(obj);
    return len >= 0 && (size_t)len == vlen &&
           memcmp(json_object_get_string(obj), value, vlen) == 0;
}

/**
 * Read the NumericDate claim name from payload into *pval.
 * @return 1 when present and valid; 0 when absent; -1 (with err set to
 *         AJWT_E_MALFORMED) when not a JSON number or out of
 *         [0, AJWT_NUMERICDATE_MAX].
 */
static int numeric_date(double *pval, json_object *payload, const char *name,
                        ajwt_err_t *err)
{
    json_object *obj;
    double v;

    if (!json_object_object_get_ex(payload, name, &obj)) {
        return 0;
    }
    if (!json_object_is_type(obj, json_type_int) &&
        !json_object_is_type(obj, json_type_double)) {
        ajwt_err_set(err, AJWT_E_MALFORMED, "claim %s is not a number", name);
        return -1;
    }
    v = json_object_get_double(obj);
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
static apr_status_t check_times(json_object *payload,
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
static apr_status_t check_audience(json_object *payload, const char *value,
                                   ajwt_err_t *err)
{
    json_object *aud;
    size_t i, n;

    if (!json_object_object_get_ex(payload, "aud", &aud)) {
        return ajwt_err_set(err, AJWT_E_AUDIENCE, "claim aud is missing");
    }
    if (json_object_is_type(aud, json_type_string)) {
        if (string_equals(aud, value)) {
            return APR_SUCCESS;
        }
    }
    else if (json_object_is_type(aud, json_type_array)) {
        n = json_object_array_length(aud);
        for (i = 0; i < n; i++) {
            if (string_equals(json_object_array_get_idx(aud, i), value)) {
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
static apr_status_t find_user(const char **puser, json_object *payload,
                              const char *name, ajwt_err_t *err)
{
    json_object *obj;
    const char *s;
    int len;

    if (!json_object_object_get_ex(payload, name, &obj)) {
        return ajwt_err_set(err, AJWT_E_CLAIM, "user claim is missing");
    }
    if (!json_object_is_type(obj, json_type_string)) {
        return ajwt_err_set(err, AJWT_E_CLAIM, "user claim is not a string");
    }
    s = json_object_get_string(obj);
    len = json_object_get_string_len(obj);
    if (len <= 0) {
        return ajwt_err_set(err, AJWT_E_CLAIM, "user claim is empty");
    }
    if (has_ctl(s, (size_t)len)) {
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
apr_status_t ajwt_claims_check(const char **puser, json_object *payload,
                               const ajwt_claims_policy_t *policy,
                               ajwt_err_t *err)
{
    json_object *iss;
    apr_status_t rv;

    *puser = NULL;
    if (!json_object_is_type(payload, json_type_object)) {
        return ajwt_err_set(err, AJWT_E_MALFORMED, "claims are not an object");
    }
    rv = check_times(payload, policy, err);
    if (rv != APR_SUCCESS) {
        return rv;
    }
    if (policy->iss) {
        if (!json_object_object_get_ex(payload, "iss", &iss)) {
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

/** The member of obj named by len bytes at name, or NULL when absent. */
static json_object *member_n(json_object *obj, const char *name, size_t len)
{
    json_object_object_foreach(obj, key, val)
    {
        if (strlen(key) == len && memcmp(key, name, len) == 0) {
            return val;
        }
    }
    return NULL;
}

/**
 * Find a claim by a dotted path: each dot-separated segment names a member
 * of the object reached so far.
 * @return the claim (owned by payload), or NULL when absent, when a
 *         segment is empty, when an intermediate value is not an object, or
 *         when the claim is JSON null (json-c's representation of null).
 */
json_object *ajwt_claims_lookup(json_object *payload, const char *path)
{
    json_object *cur = payload;
    const char *seg = path;

    if (!path) {
        return NULL;
    }
    for (;;) {
        const char *dot = strchr(seg, '.');
        size_t len = dot ? (size_t)(dot - seg) : strlen(seg);

        if (len == 0 || !json_object_is_type(cur, json_type_object)) {
            return NULL;
        }
        cur = member_n(cur, seg, len);
        if (!dot || !cur) {
            return cur;
        }
        seg = dot + 1;
    }
}

/** Is obj a string, number or boolean? */
static int is_scalar(json_object *obj)
{
    switch (json_object_get_type(obj)) {
    case json_type_string:
    case json_type_int:
    case json_type_double:
    case json_type_boolean:
        return 1;
    default:
        return 0;
    }
}

/**
 * The JSON text of a number or boolean as json-c prints it (doubles keep
 * the text they were parsed from). Valid until obj is next serialised.
 */
static const char *scalar_json(json_object *obj)
{
    return json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN);
}

/** Does a scalar claim match value (ajwt_claims_match without arrays)? */
static int scalar_match(json_object *obj, const char *value)
{
    const char *text;

    if (json_object_is_type(obj, json_type_string)) {
        return string_equals(obj, value);
    }
    if (!is_scalar(obj)) {
        return 0;
    }
    text = scalar_json(obj);
    return text && strcmp(text, value) == 0;
}

/**
 * Does claim match value (see ajwt_claims.h)? Array elements are matched
 * as scalars; nested arrays, objects and null never match.
 * @return 1 on a match, 0 otherwise (also for NULL arguments).
 */
int ajwt_claims_match(json_object *claim, const char *value)
{
    size_t i, n;

    if (!claim || !value) {
        return 0;
    }
    if (json_object_is_type(claim, json_type_array)) {
        n = json_object_array_length(claim);
        for (i = 0; i < n; i++) {
            if (scalar_match(json_object_array_get_idx(claim, i), value)) {
                return 1;
            }
        }
        return 0;
    }
    return scalar_match(claim, value);
}

/** Is every element of the array a scalar (vacuously true when empty)? */
static int all_scalars(json_object *arr)
{
    size_t i, n = json_object_array_length(arr);

    for (i = 0; i < n; i++) {
        if (!is_scalar(json_object_array_get_idx(arr, i))) {
            return 0;
        }
    }
    return 1;
}

/** Text of a scalar, copied into p with its length in *plen. */
static const char *scalar_text(apr_size_t *plen, apr_pool_t *p,
                               json_object *obj)
{
    const char *s;

    if (json_object_is_type(obj, json_type_string)) {
        *plen = (apr_size_t)json_object_get_string_len(obj);
        return apr_pstrmemdup(p, json_object_get_string(obj), *plen);
    }
    s = scalar_json(obj);
    if (!s) {
        return NULL;
    }
    *plen = strlen(s);
    return apr_pstrmemdup(p, s, *plen);
}

/** Scalars of arr joined with ',' into p (length in *plen). */
static const char *join_scalars(apr_size_t *plen, apr_pool_t *p,
                                json_object *arr)
{
    size_t i, n = json_object_array_length(arr);
    struct iovec *vec;
    apr_size_t len;

    if (n == 0) {
        *plen = 0;
        return "";
    }
    vec = apr_pcalloc(p, sizeof(*vec) * (2 * n - 1));
    for (i = 0; i < n; i++) {
        const char *s = scalar_text(&len, p, json_object_array_get_idx(arr, i));
        if (!s) {
            return NULL;
        }
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
 * @return the text, or NULL when it would contain a control character or
 *         json-c could not serialise the claim.
 */
const char *ajwt_claims_text(apr_pool_t *p, json_object *claim)
{
    const char *text;
    apr_size_t len;

    switch (json_object_get_type(claim)) {
    case json_type_null:
        return "";
    case json_type_string:
    case json_type_int:
    case json_type_double:
    case json_type_boolean:
        text = scalar_text(&len, p, claim);
        break;
    case json_type_array:
        if (all_scalars(claim)) {
            text = join_scalars(&len, p, claim);
            break;
        }
        text = ajwt_json_compact(p, claim); /* a mixed array: as JSON */
        len = text ? strlen(text) : 0;
        break;
    default:
        text = ajwt_json_compact(p, claim);
        len = text ? strlen(text) : 0;
        break;
    }
    if (!text || has_ctl(text, len)) {
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
apr_array_header_t *ajwt_claims_export(apr_pool_t *p, json_object *payload,
                                       const apr_array_header_t *names)
{
    apr_array_header_t *out = apr_array_make(p, 16, sizeof(ajwt_claim_kv_t));

    if (!json_object_is_type(payload, json_type_object)) {
        return out;
    }
    json_object_object_foreach(payload, key, val)
    {
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

/** Add a member; a NULL value (allocation failure) fails. 1 on success. */
static int add(json_object *obj, const char *name, json_object *val)
{
    if (!val) {
        return 0;
    }
    if (json_object_object_add(obj, name, val) != 0) {
        json_object_put(val);
        return 0;
    }
    return 1;
}

/**
 * Build the claims of a new access token (see ajwt_claims.h). Extra pairs
 * named like a registered claim (iss aud sub iat nbf exp jti, whether set
 * or not) are ignored, as are repeated extra names after the first and
 * pairs with a NULL or empty name or a NULL value.
 * @return the object, owned by p; NULL when json-c fails to allocate.
 */
json_object *ajwt_claims_build(apr_pool_t *p, const char *iss, const char *aud,
                               const char *sub, apr_int64_t now,
                               apr_int64_t lifetime, const char *jti,
                               const apr_array_header_t *extra)
{
    json_object *obj = json_object_new_object();
    int ok, i;

    if (!obj) {
        return NULL;
    }
    ok = (!iss || add(obj, "iss", json_object_new_string(iss))) &&
         (!aud || add(obj, "aud", json_object_new_string(aud))) &&
         (!sub || add(obj, "sub", json_object_new_string(sub))) &&
         add(obj, "iat", json_object_new_int64(now)) &&
         add(obj, "nbf", json_object_new_int64(now)) &&
         add(obj, "exp", json_object_new_int64(now + lifetime)) &&
         (!jti || add(obj, "jti", json_object_new_string(jti)));
    for (i = 0; ok && extra && i < extra->nelts; i++) {
        const ajwt_claim_kv_t *kv = &APR_ARRAY_IDX(extra, i, ajwt_claim_kv_t);

        if (!kv->name || !*kv->name || !kv->value || is_registered(kv->name) ||
            json_object_object_get_ex(obj, kv->name, NULL)) {
            continue;
        }
        ok = add(obj, kv->name, json_object_new_string(kv->value));
    }
    if (!ok) {
        json_object_put(obj);
        return NULL;
    }
    ajwt_json_pool_own(p, obj);
    return obj;
}
