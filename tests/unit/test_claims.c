/* Licensed under the Apache License, Version 2.0. */

/*
 * Unit tests of ajwt_claims: time claims against an injected clock, issuer,
 * audience, the user claim, lookup and matching, export and building.
 */
#include <string.h>

#include "apr_strings.h"
#include "apr_tables.h"

#include "ajwt_claims.h"
#include "ajwt_json.h"
#include "test_common.h"

#define NOW 1700000000

/** Parse a JSON object text (strictly, as tokens are) into the pool. */
static const ajwt_json_t *js(const char *text)
{
    const ajwt_json_t *obj;
    ajwt_err_t err;

    ck_assert_msg(ajwt_json_parse_object(&obj, ajwt_test_pool, text,
                                         strlen(text), &err) == APR_SUCCESS,
                  "test JSON does not parse: %s: %s", text, err.text);
    return obj;
}

/** A policy at NOW with no leeway, no iss/aud, user claim "sub". */
static ajwt_claims_policy_t policy_at(apr_int64_t now, apr_int64_t leeway)
{
    ajwt_claims_policy_t pol;

    memset(&pol, 0, sizeof(pol));
    pol.now = now;
    pol.leeway = leeway;
    return pol;
}

/** Check a payload and return the error code (AJWT_OK on success). */
static ajwt_code_e run(const char *payload, const ajwt_claims_policy_t *pol)
{
    const char *user = "unset";
    ajwt_err_t err;
    apr_status_t rv;

    ajwt_err_clear(&err);
    rv = ajwt_claims_check(&user, js(payload), pol, &err);
    if (rv == APR_SUCCESS) {
        ck_assert_int_eq(err.code, AJWT_OK);
        ck_assert_ptr_nonnull(user);
        return AJWT_OK;
    }
    ck_assert_int_eq(rv, APR_EINVAL);
    ck_assert_int_ne(err.code, AJWT_OK);
    ck_assert_ptr_null(user);
    ck_assert(err.text[0] != '\0');
    return err.code;
}

/** run() with a payload "{"sub":"alice", <extra>}" at now with leeway. */
static ajwt_code_e run_t(const char *extra, apr_int64_t now, apr_int64_t leeway)
{
    ajwt_claims_policy_t pol = policy_at(now, leeway);

    return run(apr_psprintf(ajwt_test_pool, "{\"sub\":\"alice\",%s}", extra),
               &pol);
}

START_TEST(test_exp_boundary)
{
    ck_assert_int_eq(run_t("\"exp\":1000", 999, 0), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":1000", 1000, 0), AJWT_E_EXPIRED);
    ck_assert_int_eq(run_t("\"exp\":1000", 1001, 0), AJWT_E_EXPIRED);
    ck_assert_int_eq(run_t("\"exp\":0", 0, 0), AJWT_E_EXPIRED);
}
END_TEST

START_TEST(test_exp_leeway)
{
    ck_assert_int_eq(run_t("\"exp\":1000", 1009, 10), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":1000", 1010, 10), AJWT_E_EXPIRED);
    ck_assert_int_eq(run_t("\"exp\":1000", 1011, 10), AJWT_E_EXPIRED);
    ck_assert_int_eq(run_t("\"exp\":1000", 990, 10), AJWT_OK);
    /* a negative leeway counts as none */
    ck_assert_int_eq(run_t("\"exp\":1000", 999, -5), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":1000", 1000, -5), AJWT_E_EXPIRED);
}
END_TEST

START_TEST(test_nbf)
{
    const char *c = "\"exp\":2000,\"nbf\":1010";

    ck_assert_int_eq(run_t(c, 1000, 0), AJWT_E_NOT_YET_VALID);
    ck_assert_int_eq(run_t(c, 1009, 0), AJWT_E_NOT_YET_VALID);
    ck_assert_int_eq(run_t(c, 1010, 0), AJWT_OK);
    ck_assert_int_eq(run_t(c, 1000, 9), AJWT_E_NOT_YET_VALID);
    ck_assert_int_eq(run_t(c, 1000, 10), AJWT_OK);
    ck_assert_int_eq(run_t(c, 1500, 0), AJWT_OK);
}
END_TEST

START_TEST(test_iat)
{
    const char *c = "\"exp\":2000,\"iat\":1001";

    ck_assert_int_eq(run_t(c, 1000, 0), AJWT_E_NOT_YET_VALID);
    ck_assert_int_eq(run_t(c, 1000, 1), AJWT_OK);
    ck_assert_int_eq(run_t(c, 1001, 0), AJWT_OK);
    ck_assert_int_eq(run_t(c, 1500, 0), AJWT_OK);
}
END_TEST

START_TEST(test_exp_missing)
{
    ck_assert_int_eq(run_t("\"nbf\":1", NOW, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"iat\":1", NOW, 1000), AJWT_E_MALFORMED);
}
END_TEST

START_TEST(test_time_types)
{
    ck_assert_int_eq(run_t("\"exp\":\"2000\"", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":true", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":null", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":[2000]", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":{}", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":1e300", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":-1", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":-0.5", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":99999999999999999999", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":9223372036854775807", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":253402300799", 1000, 0), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":253402300799.5", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":253402300800", 1000, 0), AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":2000,\"nbf\":\"1\"", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":2000,\"nbf\":-1", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":2000,\"iat\":\"1\"", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":2000,\"iat\":1e300", 1000, 0),
                     AJWT_E_MALFORMED);
    ck_assert_int_eq(run_t("\"exp\":2000,\"iat\":false", 1000, 0),
                     AJWT_E_MALFORMED);
    /* an expired token with a malformed nbf is reported as expired */
    ck_assert_int_eq(run_t("\"exp\":500,\"nbf\":\"x\"", 1000, 0),
                     AJWT_E_EXPIRED);
}
END_TEST

START_TEST(test_fractional)
{
    ck_assert_int_eq(run_t("\"exp\":1000.5", 1000, 0), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":1000.5", 1001, 0), AJWT_E_EXPIRED);
    ck_assert_int_eq(run_t("\"exp\":1000.5", 1001, 1), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":1000.0", 1000, 0), AJWT_E_EXPIRED);
    ck_assert_int_eq(run_t("\"exp\":1e3", 999, 0), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":2000,\"nbf\":1000.5", 1000, 0),
                     AJWT_E_NOT_YET_VALID);
    ck_assert_int_eq(run_t("\"exp\":2000,\"nbf\":1000.5", 1001, 0), AJWT_OK);
    ck_assert_int_eq(run_t("\"exp\":2000,\"iat\":1000.5", 1000, 0),
                     AJWT_E_NOT_YET_VALID);
    ck_assert_int_eq(run_t("\"exp\":2000,\"iat\":1000.5", 1001, 0), AJWT_OK);
}
END_TEST

START_TEST(test_not_object)
{
    ajwt_claims_policy_t pol = policy_at(NOW, 0);

    const ajwt_json_t *p = js("{\"a\":[1,2],\"s\":\"exp\"}");
    const char *user;
    ajwt_err_t err;

    /* the parser gives objects only; members of other types, and NULL */
    ck_assert_int_eq(ajwt_claims_check(&user, ajwt_json_get(p, "a"), &pol,
                                       &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_MALFORMED);
    ck_assert_int_eq(ajwt_claims_check(&user, ajwt_json_get(p, "s"), &pol,
                                       &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_MALFORMED);
    ck_assert_int_eq(ajwt_claims_check(&user, NULL, &pol, &err), APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_MALFORMED);
}
END_TEST

/** Check {"exp":NOW+100,"sub":"alice", <extra>} with iss/aud set. */
static ajwt_code_e run_ia(const char *iss, const char *aud, const char *extra)
{
    ajwt_claims_policy_t pol = policy_at(NOW, 0);

    pol.iss = iss;
    pol.aud = aud;
    return run(apr_psprintf(ajwt_test_pool,
                            "{\"exp\":%d,\"sub\":\"alice\"%s%s}", NOW + 100,
                            *extra ? "," : "", extra),
               &pol);
}

START_TEST(test_audience)
{
    const char *a = "app";

    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":\"app\""), AJWT_OK);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":\"ap\""), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":\"app2\""), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":\"APP\""), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":\"\""), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":[\"x\",\"app\"]"), AJWT_OK);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":[\"app\"]"), AJWT_OK);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":[1,null,{\"a\":1},\"app\"]"),
                     AJWT_OK);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":[\"x\",\"apps\"]"),
                     AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":[[\"app\"]]"), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":[]"), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, ""), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":1"), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":null"), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":true"), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":{\"app\":1}"), AJWT_E_AUDIENCE);
    ck_assert_int_eq(run_ia(NULL, a, "\"aud\":\"appx\""), AJWT_E_AUDIENCE);
    /* "app\u0000x" never gets here: the parser refuses \u0000 */
    /* no audience configured: aud is not looked at */
    ck_assert_int_eq(run_ia(NULL, NULL, "\"aud\":42"), AJWT_OK);
}
END_TEST

START_TEST(test_issuer)
{
    const char *i = "https://auth.example.test";

    ck_assert_int_eq(run_ia(i, NULL, "\"iss\":\"https://auth.example.test\""),
                     AJWT_OK);
    ck_assert_int_eq(run_ia(i, NULL, "\"iss\":\"https://other.test\""),
                     AJWT_E_ISSUER);
    ck_assert_int_eq(run_ia(i, NULL, "\"iss\":\"https://auth.example\""),
                     AJWT_E_ISSUER);
    ck_assert_int_eq(
        run_ia(i, NULL, "\"iss\":\"https://auth.example.test.evil\""),
        AJWT_E_ISSUER);
    /* "...test\u0000x" never gets here: the parser refuses \u0000 */
    ck_assert_int_eq(run_ia(i, NULL, "\"iss\":\"\""), AJWT_E_ISSUER);
    ck_assert_int_eq(run_ia(i, NULL, ""), AJWT_E_ISSUER);
    ck_assert_int_eq(run_ia(i, NULL, "\"iss\":null"), AJWT_E_ISSUER);
    ck_assert_int_eq(run_ia(i, NULL, "\"iss\":[\"https://auth.example.test\"]"),
                     AJWT_E_ISSUER);
    /* no issuer configured: iss is not looked at */
    ck_assert_int_eq(run_ia(NULL, NULL, "\"iss\":7"), AJWT_OK);
    /* both configured and both right */
    ck_assert_int_eq(
        run_ia(i, "app",
               "\"iss\":\"https://auth.example.test\",\"aud\":\"app\""),
        AJWT_OK);
}
END_TEST

/** Check {"exp":NOW+100, <claims>} with the user claim uc. */
static ajwt_code_e run_u(const char *uc, const char *claims, const char **pu)
{
    ajwt_claims_policy_t pol = policy_at(NOW, 0);
    ajwt_err_t err;
    const ajwt_json_t *payload;
    apr_status_t rv;

    pol.user_claim = uc;
    payload = js(apr_psprintf(ajwt_test_pool, "{\"exp\":%d%s%s}", NOW + 100,
                              *claims ? "," : "", claims));
    ajwt_err_clear(&err);
    *pu = NULL;
    rv = ajwt_claims_check(pu, payload, &pol, &err);
    ck_assert_int_eq(rv == APR_SUCCESS, err.code == AJWT_OK);
    return err.code;
}

START_TEST(test_user_claim)
{
    const char *u;

    ck_assert_int_eq(run_u(NULL, "\"sub\":\"alice\"", &u), AJWT_OK);
    ck_assert_str_eq(u, "alice");
    ck_assert_int_eq(run_u(NULL, "", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":42", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":null", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":[\"alice\"]", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":\"\"", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":\"al\\nice\"", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":\"alice\\r\"", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u(NULL, "\"sub\":\"alice\\u007f\"", &u), AJWT_E_CLAIM);
    /* "alice\u0000bob" cannot reach the check: the parser refuses it */
    ck_assert_int_eq(run_u(NULL, "\"sub\":\"\\u00e9l\\u00e8ve\"", &u), AJWT_OK);
    ck_assert_str_eq(u, "\xc3\xa9l\xc3\xa8ve");
    /* AuthJWTUserClaim email */
    ck_assert_int_eq(
        run_u("email", "\"sub\":\"s-1\",\"email\":\"a@example.test\"", &u),
        AJWT_OK);
    ck_assert_str_eq(u, "a@example.test");
    ck_assert_int_eq(run_u("email", "\"sub\":\"s-1\"", &u), AJWT_E_CLAIM);
    ck_assert_int_eq(run_u("email", "\"sub\":\"s-1\",\"email\":true", &u),
                     AJWT_E_CLAIM);
    ck_assert_ptr_null(u);
}
END_TEST

START_TEST(test_user_points_into_payload)
{
    ajwt_claims_policy_t pol = policy_at(NOW, 0);
    const ajwt_json_t *payload = js("{\"exp\":1800000000,\"sub\":\"bob\"}");
    const char *u = NULL;
    ajwt_err_t err;

    ck_assert_int_eq(ajwt_claims_check(&u, payload, &pol, &err), APR_SUCCESS);
    ck_assert_ptr_eq(u, ajwt_json_string(ajwt_json_get(payload, "sub"), NULL));
}
END_TEST

START_TEST(test_lookup)
{
    const ajwt_json_t *p = js("{\"a\":{\"b\":\"x\",\"c\":{\"d\":[1,2]}},"
                        "\"s\":\"top\",\"n\":null,\"a.b\":\"flat\"}");
    const ajwt_json_t *o;

    o = ajwt_claims_lookup(p, "s");
    ck_assert_str_eq(ajwt_json_string(o, NULL), "top");
    o = ajwt_claims_lookup(p, "a.b");
    ck_assert_str_eq(ajwt_json_string(o, NULL), "x");
    o = ajwt_claims_lookup(p, "a.c.d");
    ck_assert(ajwt_json_is(o, AJWT_JSON_ARRAY));
    o = ajwt_claims_lookup(p, "a");
    ck_assert(ajwt_json_is(o, AJWT_JSON_OBJECT));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "missing"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "a.missing"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "a.b.c"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "s.x"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "a.c.d.0"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "n"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "n.x"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, ""));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "a."));
    ck_assert_ptr_null(ajwt_claims_lookup(p, ".a"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "a..b"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, "ab"));
    ck_assert_ptr_null(ajwt_claims_lookup(p, NULL));
    ck_assert_ptr_null(ajwt_claims_lookup(NULL, "a"));
}
END_TEST

START_TEST(test_match)
{
    const ajwt_json_t *p = js("{\"s\":\"admin\",\"i\":42,\"d\":1.5,\"t\":true,"
                        "\"f\":false,\"arr\":[\"a\",\"b\",3,true],"
                        "\"o\":{\"x\":\"admin\"},\"n\":null,"
                        "\"nest\":[[\"deep\"]],\"m\":-0,\"e\":1E+3}");
    const ajwt_json_t *s = ajwt_claims_lookup(p, "s");

    ck_assert(ajwt_claims_match(s, "admin"));
    ck_assert(!ajwt_claims_match(s, "admi"));
    ck_assert(!ajwt_claims_match(s, "admins"));
    ck_assert(!ajwt_claims_match(s, "Admin"));
    ck_assert(!ajwt_claims_match(s, ""));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "i"), "42"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "i"), "42.0"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "i"), "4"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "d"), "1.5"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "t"), "true"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "t"), "1"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "f"), "false"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "arr"), "b"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "arr"), "3"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "arr"), "true"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "arr"), "c"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "arr"), "a,b"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "o"), "admin"));
    ck_assert(
        !ajwt_claims_match(ajwt_claims_lookup(p, "o"), "{\"x\":\"admin\"}"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "o.x"), "admin"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "n"), ""));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "n"), "null"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "nest"), "deep"));
    /* numbers match as the serialiser writes them (json-c's text) */
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "m"), "0"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "m"), "-0"));
    ck_assert(ajwt_claims_match(ajwt_claims_lookup(p, "e"), "1E+3"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "e"), "1000"));
    ck_assert(!ajwt_claims_match(ajwt_claims_lookup(p, "missing"), "admin"));
    ck_assert(!ajwt_claims_match(s, NULL));
}
END_TEST

/** ajwt_claims_text of the member "v" of the JSON object text. */
static const char *text_of(const char *json)
{
    const ajwt_json_t *p = js(json);

    return ajwt_claims_text(ajwt_test_pool, ajwt_claims_lookup(p, "v"));
}

START_TEST(test_text)
{
    ck_assert_str_eq(text_of("{\"v\":\"plain text\"}"), "plain text");
    ck_assert_str_eq(text_of("{\"v\":\"a/b \\u00e9\"}"), "a/b \xc3\xa9");
    ck_assert_str_eq(text_of("{\"v\":\"\"}"), "");
    ck_assert_str_eq(text_of("{\"v\":42}"), "42");
    ck_assert_str_eq(text_of("{\"v\":-7}"), "-7");
    ck_assert_str_eq(text_of("{\"v\":1700000000}"), "1700000000");
    ck_assert_str_eq(text_of("{\"v\":1.5}"), "1.5");
    ck_assert_str_eq(text_of("{\"v\":true}"), "true");
    ck_assert_str_eq(text_of("{\"v\":false}"), "false");
    ck_assert_str_eq(text_of("{\"v\":null}"), "");
    ck_assert_str_eq(text_of("{\"v\":[\"a\",\"b\",\"c\"]}"), "a,b,c");
    ck_assert_str_eq(text_of("{\"v\":[\"x\",1,true,2.5]}"), "x,1,true,2.5");
    ck_assert_str_eq(text_of("{\"v\":[\"only\"]}"), "only");
    ck_assert_str_eq(text_of("{\"v\":[]}"), "");
    ck_assert_str_eq(text_of("{\"v\":[\"a\",{\"b\":1}]}"), "[\"a\",{\"b\":1}]");
    ck_assert_str_eq(text_of("{\"v\":[\"a\",null]}"), "[\"a\",null]");
    ck_assert_str_eq(text_of("{\"v\":[[1,2],3]}"), "[[1,2],3]");
    ck_assert_str_eq(text_of("{\"v\":{\"a\":\"x/y\",\"b\":[1,2],\"c\":{}}}"),
                     "{\"a\":\"x/y\",\"b\":[1,2],\"c\":{}}");
    ck_assert_str_eq(text_of("{\"v\":{}}"), "{}");
    /* JSON escapes a newline inside an object, so that text is safe */
    ck_assert_str_eq(text_of("{\"v\":{\"a\":\"x\\ny\"}}"), "{\"a\":\"x\\ny\"}");
}
END_TEST

START_TEST(test_text_control_chars)
{
    ck_assert_ptr_null(text_of("{\"v\":\"a\\nb\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"a\\rb\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"tab\\there\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"\\u001f\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"del\\u007f\"}"));
    ck_assert_ptr_null(text_of("{\"v\":[\"ok\",\"bad\\n\"]}"));
    ck_assert_ptr_null(text_of("{\"v\":\"C1 \\u0085 next line\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"C1 \\u009f\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"line \\u2028 separator\"}"));
    ck_assert_ptr_null(text_of("{\"v\":\"para \\u2029 separator\"}"));
    ck_assert_ptr_nonnull(text_of("{\"v\":\"caf\\u00e9 \\u00a0 \\u2027\"}"));
}
END_TEST

START_TEST(test_env_name)
{
    apr_pool_t *p = ajwt_test_pool;

    ck_assert_str_eq(ajwt_claims_env_name(p, "a-b.c"), "a_b_c");
    ck_assert_str_eq(ajwt_claims_env_name(p, "Given_Name9"), "Given_Name9");
    ck_assert_str_eq(ajwt_claims_env_name(p, "https://x.test/role"),
                     "https___x_test_role");
    ck_assert_str_eq(ajwt_claims_env_name(p, "\xc3\xa9"), "__");
    ck_assert_str_eq(ajwt_claims_env_name(p, "a b=c\n"), "a_b_c_");
    ck_assert_ptr_null(ajwt_claims_env_name(p, ""));
    ck_assert_ptr_null(ajwt_claims_env_name(p, NULL));
}
END_TEST

/** The kv at index i of an export result. */
static const ajwt_claim_kv_t *kv_at(const apr_array_header_t *a, int i)
{
    ck_assert_int_lt(i, a->nelts);
    return &APR_ARRAY_IDX(a, i, ajwt_claim_kv_t);
}

START_TEST(test_export_all)
{
    const ajwt_json_t *p = js("{\"sub\":\"alice\",\"exp\":1800000000,"
                        "\"roles\":[\"a\",\"b\"],\"x-y\":{\"k\":1},"
                        "\"bad\":\"line\\nbreak\",\"n\":null,\"ok\":true}");
    apr_array_header_t *a = ajwt_claims_export(ajwt_test_pool, p, NULL);

    ck_assert_int_eq(a->nelts, 6);
    ck_assert_str_eq(kv_at(a, 0)->name, "sub");
    ck_assert_str_eq(kv_at(a, 0)->value, "alice");
    ck_assert_str_eq(kv_at(a, 1)->name, "exp");
    ck_assert_str_eq(kv_at(a, 1)->value, "1800000000");
    ck_assert_str_eq(kv_at(a, 2)->name, "roles");
    ck_assert_str_eq(kv_at(a, 2)->value, "a,b");
    ck_assert_str_eq(kv_at(a, 3)->name, "x_y");
    ck_assert_str_eq(kv_at(a, 3)->value, "{\"k\":1}");
    ck_assert_str_eq(kv_at(a, 4)->name, "n");
    ck_assert_str_eq(kv_at(a, 4)->value, "");
    ck_assert_str_eq(kv_at(a, 5)->name, "ok");
    ck_assert_str_eq(kv_at(a, 5)->value, "true");
}
END_TEST

START_TEST(test_export_collisions)
{
    const ajwt_json_t *p = js("{\"sub\":\"alice\",\"role\":\"user\","
                        "\"ROLE\":\"admin\",\"ro-le\":1,\"ro_le\":2,"
                        "\"ok\":true}");
    apr_array_header_t *a = ajwt_claims_export(ajwt_test_pool, p, NULL);

    /* role/ROLE and ro-le/ro_le clash: none of the four is exported */
    ck_assert_int_eq(a->nelts, 2);
    ck_assert_str_eq(kv_at(a, 0)->name, "sub");
    ck_assert_str_eq(kv_at(a, 1)->name, "ok");
}
END_TEST

START_TEST(test_export_filtered)
{
    const ajwt_json_t *p = js("{\"sub\":\"alice\",\"email\":\"a@x.test\","
                        "\"x-y\":\"dash\",\"x_y\":\"under\",\"exp\":5}");
    apr_array_header_t *names =
        apr_array_make(ajwt_test_pool, 4, sizeof(const char *));
    apr_array_header_t *a;

    APR_ARRAY_PUSH(names, const char *) = "x-y";
    APR_ARRAY_PUSH(names, const char *) = "email";
    APR_ARRAY_PUSH(names, const char *) = "absent";
    a = ajwt_claims_export(ajwt_test_pool, p, names);
    ck_assert_int_eq(a->nelts, 2);
    /* payload order, not the order of names */
    ck_assert_str_eq(kv_at(a, 0)->name, "email");
    ck_assert_str_eq(kv_at(a, 0)->value, "a@x.test");
    ck_assert_str_eq(kv_at(a, 1)->name, "x_y");
    ck_assert_str_eq(kv_at(a, 1)->value, "dash");

    /* an empty list exports nothing; a non-object payload neither */
    names = apr_array_make(ajwt_test_pool, 1, sizeof(const char *));
    ck_assert_int_eq(ajwt_claims_export(ajwt_test_pool, p, names)->nelts, 0);
    ck_assert_int_eq(ajwt_claims_export(ajwt_test_pool,
                                        ajwt_claims_lookup(js("{\"a\":[1]}"),
                                                           "a"),
                                        NULL)->nelts,
                     0);
}
END_TEST

/** Expect the string member name of obj to be value. */
static void expect_str(const ajwt_json_t *obj, const char *name,
                       const char *value)
{
    const ajwt_json_t *m = ajwt_json_get(obj, name);

    ck_assert_msg(m != NULL, "no %s", name);
    ck_assert(ajwt_json_is(m, AJWT_JSON_STRING));
    ck_assert_str_eq(ajwt_json_string(m, NULL), value);
}

/** Expect the integer member name of obj to be value. */
static void expect_int(const ajwt_json_t *obj, const char *name,
                       apr_int64_t value)
{
    const ajwt_json_t *m = ajwt_json_get(obj, name);
    apr_int64_t v;

    ck_assert_msg(m != NULL, "no %s", name);
    ck_assert(ajwt_json_int64(&v, m));
    ck_assert_int_eq(v, value);
}

START_TEST(test_build)
{
    apr_array_header_t *extra =
        apr_array_make(ajwt_test_pool, 4, sizeof(ajwt_claim_kv_t));
    ajwt_claim_kv_t kv;
    const ajwt_json_t *o;
    ajwt_claims_policy_t pol = policy_at(NOW, 0);
    const char *u;
    ajwt_err_t err;

    kv.name = "email";
    kv.value = "a@x.test";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;
    kv.name = "sub";
    kv.value = "mallory";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;
    kv.name = "exp";
    kv.value = "9999999999";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;
    kv.name = "aud";
    kv.value = "other";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;
    kv.name = "level";
    kv.value = "3";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;
    kv.name = "email";
    kv.value = "second@x.test";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;

    o = ajwt_claims_build(ajwt_test_pool, "https://iss.test", "app", "alice",
                          NOW, 900, "jti-1", extra);
    ck_assert_ptr_nonnull(o);
    ck_assert_uint_eq(ajwt_json_count(o), 9);
    expect_str(o, "iss", "https://iss.test");
    expect_str(o, "aud", "app");
    expect_str(o, "sub", "alice");
    expect_int(o, "iat", NOW);
    expect_int(o, "nbf", NOW);
    expect_int(o, "exp", NOW + 900);
    expect_str(o, "jti", "jti-1");
    expect_str(o, "email", "a@x.test");
    expect_str(o, "level", "3");
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, o, NULL),
                     "{\"iss\":\"https://iss.test\",\"aud\":\"app\","
                     "\"sub\":\"alice\",\"iat\":1700000000,"
                     "\"nbf\":1700000000,\"exp\":1700000900,"
                     "\"jti\":\"jti-1\",\"email\":\"a@x.test\","
                     "\"level\":\"3\"}");

    /* what we build, we accept */
    pol.iss = "https://iss.test";
    pol.aud = "app";
    ck_assert_int_eq(ajwt_claims_check(&u, o, &pol, &err), APR_SUCCESS);
    ck_assert_str_eq(u, "alice");
    pol.now = NOW + 900;
    ck_assert_int_eq(ajwt_claims_check(&u, o, &pol, &err), APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_EXPIRED);
}
END_TEST

START_TEST(test_build_minimal)
{
    apr_array_header_t *extra =
        apr_array_make(ajwt_test_pool, 1, sizeof(ajwt_claim_kv_t));
    ajwt_claim_kv_t kv;
    const ajwt_json_t *o;

    /* a registered name stays out even when build did not set it */
    kv.name = "iss";
    kv.value = "https://forged.test";
    APR_ARRAY_PUSH(extra, ajwt_claim_kv_t) = kv;
    o = ajwt_claims_build(ajwt_test_pool, NULL, NULL, "bob", 100, 60, "j",
                          extra);
    ck_assert_ptr_nonnull(o);
    ck_assert_ptr_null(ajwt_json_get(o, "iss"));
    ck_assert_ptr_null(ajwt_json_get(o, "aud"));
    ck_assert_uint_eq(ajwt_json_count(o), 5);
    expect_str(o, "sub", "bob");
    expect_int(o, "iat", 100);
    expect_int(o, "nbf", 100);
    expect_int(o, "exp", 160);
    expect_str(o, "jti", "j");

    o = ajwt_claims_build(ajwt_test_pool, NULL, NULL, "bob", 100, 60, "j",
                          NULL);
    ck_assert_uint_eq(ajwt_json_count(o), 5);
}
END_TEST

TCase *ajwt_claims_tcase(void)
{
    TCase *tc = tcase_create("claims");

    ajwt_test_add_fixture(tc);
    tcase_add_test(tc, test_exp_boundary);
    tcase_add_test(tc, test_exp_leeway);
    tcase_add_test(tc, test_nbf);
    tcase_add_test(tc, test_iat);
    tcase_add_test(tc, test_exp_missing);
    tcase_add_test(tc, test_time_types);
    tcase_add_test(tc, test_fractional);
    tcase_add_test(tc, test_not_object);
    tcase_add_test(tc, test_audience);
    tcase_add_test(tc, test_issuer);
    tcase_add_test(tc, test_user_claim);
    tcase_add_test(tc, test_user_points_into_payload);
    tcase_add_test(tc, test_lookup);
    tcase_add_test(tc, test_match);
    tcase_add_test(tc, test_text);
    tcase_add_test(tc, test_text_control_chars);
    tcase_add_test(tc, test_env_name);
    tcase_add_test(tc, test_export_all);
    tcase_add_test(tc, test_export_collisions);
    tcase_add_test(tc, test_export_filtered);
    tcase_add_test(tc, test_build);
    tcase_add_test(tc, test_build_minimal);
    return tc;
}
