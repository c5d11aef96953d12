/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_claims.h: the JWT claims set (RFC 7519 §4.1) over the pool JSON tree
 * (ajwt_json.h): time claims
 * against an injected clock, issuer, audience, the user claim; lookup and
 * matching for "Require jwt-claim"; flattening for export to the
 * environment; building the claims of newly issued tokens.
 * Pure layer: APR only.
 */
#ifndef AJWT_CLAIMS_H
#define AJWT_CLAIMS_H

#include "apr_pools.h"
#include "apr_tables.h"
#include "ajwt_err.h"
#include "ajwt_json.h"

/** Largest accepted NumericDate: 9999-12-31T23:59:59Z. */
#define AJWT_NUMERICDATE_MAX 253402300799.0

typedef struct {
    double now;             /* seconds since the epoch, with fractions
                               (the injected clock) */
    apr_int64_t leeway;     /* seconds of clock skew allowed, >= 0 */
    const char *iss;        /* when set: "iss" required and equal */
    const char *aud;        /* when set: "aud" required, equal or containing */
    const char *user_claim; /* claim naming the user; NULL means "sub" */
} ajwt_claims_policy_t;

/**
 * Check a payload against a policy and find the user:
 * - "exp" required, a JSON number (integer or fractional) in
 *   [0, AJWT_NUMERICDATE_MAX]; expired when now - leeway >= exp;
 * - "nbf", when present, a number in range; not yet valid when
 *   now + leeway < nbf;
 * - "iat", when present, a number in range; refused when
 *   iat > now + leeway (AJWT_E_NOT_YET_VALID);
 * - "iss"/"aud" as the policy says (exact, full-length comparison);
 * - the user claim present, a non-empty string without control characters.
 * *puser points into the payload (lives as long as it).
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_EXPIRED, AJWT_E_NOT_YET_VALID,
 *         AJWT_E_ISSUER, AJWT_E_AUDIENCE, AJWT_E_MALFORMED (time claim not a
 *         number or out of range) or AJWT_E_CLAIM (exp missing, or the
 *         user claim missing or unusable).
 */
apr_status_t ajwt_claims_check(const char **puser, const ajwt_json_t *payload,
                               const ajwt_claims_policy_t *policy,
                               ajwt_err_t *err);

/**
 * Find a claim by a dotted path ("a.b" looks up member b of object a); a
 * path without dots is one member name. Returns NULL when absent or null.
 */
const ajwt_json_t *ajwt_claims_lookup(const ajwt_json_t *payload,
                                      const char *path);

/**
 * Does claim match value? A string equals it exactly; a number or boolean
 * whose text (as ajwt_claims_text would give) equals it; an array contains
 * an element that matches. Objects and null never match.
 */
int ajwt_claims_match(const ajwt_json_t *claim, const char *value);

/**
 * The text of a claim for export: strings as is, numbers and booleans as
 * JSON text, arrays of scalars (string/number/boolean) joined with ',',
 * anything else (objects, mixed arrays) as compact JSON, null as "".
 * Returns NULL when the text would contain a control character (C0, DEL,
 * C1, U+2028/U+2029), which must not be exported.
 */
const char *ajwt_claims_text(apr_pool_t *p, const ajwt_json_t *claim);

/**
 * Map a claim name to an environment-safe name: every byte outside
 * [A-Za-z0-9_] becomes '_'. Returns NULL for an empty name.
 */
const char *ajwt_claims_env_name(apr_pool_t *p, const char *name);

typedef struct {
    const char *name;  /* environment-safe name (ajwt_claims_env_name) */
    const char *value; /* ajwt_claims_text */
} ajwt_claim_kv_t;

/**
 * Flatten the top-level claims for export: all of them when names is NULL,
 * else only those whose (original) names are in names (const char *).
 * Claims whose text is NULL are skipped, and so are claims whose mapped
 * names equal each other ignoring case ("role"/"ROLE", "a-b"/"a_b": neither
 * is exported). Returns an array of ajwt_claim_kv_t in payload order.
 */
apr_array_header_t *ajwt_claims_export(apr_pool_t *p,
                                       const ajwt_json_t *payload,
                                       const apr_array_header_t *names);

/**
 * Build the claims of a new access token: iss and aud when non-NULL, sub,
 * iat = nbf = now, exp = now + lifetime, jti, then each extra pair (an array
 * of ajwt_claim_kv_t with original names, values as strings; NULL for none),
 * never overriding a registered claim set before it. The object is allocated
 * from p; serialise it with ajwt_json_compact (ajwt_jws_sign does).
 */
const ajwt_json_t *ajwt_claims_build(apr_pool_t *p, const char *iss,
                                     const char *aud, const char *sub,
                                     apr_int64_t now, apr_int64_t lifetime,
                                     const char *jti,
                                     const apr_array_header_t *extra);

#endif /* AJWT_CLAIMS_H */
