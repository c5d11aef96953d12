/* Licensed under the Apache License, Version 2.0. */

/*
 * JWK Sets: keys a verifier should pass over, malformed keys refused with
 * the key's index, publication of public members only, and key selection
 * among a set's keys by algorithm.
 */
#include <string.h>

#include "apr_strings.h"
#include "apr_tables.h"

#include "ajwt_jwk.h"
#include "ajwt_jws.h"
#include "ajwt_key.h"
#include "test_common.h"

ajwt_key_t *ajwt_test_key(const char *type, int want_private, const char *kid);

/* Parse set; return the status, with the keys and skipped count. */
static apr_status_t parse(const char *set, apr_array_header_t **pkeys,
                          int *pskipped, ajwt_err_t *err)
{
    return ajwt_jwk_parse_set(pkeys, pskipped, ajwt_test_pool, set,
                              strlen(set), err);
}

/* Replace the first occurrence of from in s by to. */
static const char *subst(const char *s, const char *from, const char *to)
{
    const char *at = strstr(s, from);

    ck_assert_ptr_nonnull(at);
    return apr_pstrcat(ajwt_test_pool,
                       apr_pstrmemdup(ajwt_test_pool, s, (apr_size_t)(at - s)),
                       to, at + strlen(from), NULL);
}

/* The public JWK of a test key, without "use" (tests add their own). */
static const char *jwk_of(const char *type, const char *kid, ajwt_alg_e alg)
{
    const char *j = ajwt_jwk_public(ajwt_test_pool,
                                    ajwt_test_key(type, 0, kid), alg);

    ck_assert_ptr_nonnull(j);
    return subst(j, "\"use\":\"sig\",", ""); /* tests add their own */
}

START_TEST(test_jwk_roundtrip_every_type)
{
    static const struct {
        const char *type;
        ajwt_alg_e alg;
    } c[] = {{"RSA2048", AJWT_ALG_RS256}, {"RSA2048", AJWT_ALG_PS512},
             {"P-256", AJWT_ALG_ES256},   {"P-384", AJWT_ALG_ES384},
             {"P-521", AJWT_ALG_ES512},   {"ED25519", AJWT_ALG_EDDSA}};
    ajwt_key_t *priv = ajwt_test_key(c[_i].type, 1, "k1");
    apr_array_header_t *in = apr_array_make(ajwt_test_pool, 1,
                                            sizeof(const ajwt_key_t *));
    apr_array_header_t *out;
    const char *set;
    ajwt_err_t err;
    int skipped;

    APR_ARRAY_PUSH(in, const ajwt_key_t *) = priv;
    set = ajwt_jwk_public_set(ajwt_test_pool, in, c[_i].alg);
    ck_assert_ptr_null(strstr(set, "\"d\""));
    ck_assert_ptr_nonnull(strstr(set, "\"kid\":\"k1\""));
    ck_assert_int_eq(parse(set, &out, &skipped, &err), APR_SUCCESS);
    ck_assert_int_eq(out->nelts, 1);
    ck_assert(ajwt_key_same(priv, APR_ARRAY_IDX(out, 0, const ajwt_key_t *)));
    ck_assert_str_eq(APR_ARRAY_IDX(out, 0, const ajwt_key_t *)->kid, "k1");
    ck_assert_str_eq(ajwt_jwk_thumbprint(ajwt_test_pool, priv),
                     ajwt_jwk_thumbprint(ajwt_test_pool,
                                         APR_ARRAY_IDX(out, 0,
                                                       const ajwt_key_t *)));
}
END_TEST

START_TEST(test_jwk_no_kid_gets_thumbprint)
{
    ajwt_key_t *k = ajwt_test_key("P-256", 0, NULL);
    const char *j = ajwt_jwk_public(ajwt_test_pool, k, AJWT_ALG_ES256);
    const char *tp = ajwt_jwk_thumbprint(ajwt_test_pool, k);

    ck_assert_ptr_nonnull(tp);
    ck_assert_uint_eq(strlen(tp), 43);
    ck_assert_ptr_nonnull(strstr(j, apr_pstrcat(ajwt_test_pool, "\"kid\":\"",
                                                tp, "\"", NULL)));
}
END_TEST

START_TEST(test_jwk_secrets_never_published)
{
    static const unsigned char secret[32] = "0123456789abcdef0123456789abcde";
    ajwt_key_t *hs;
    apr_array_header_t *keys = apr_array_make(ajwt_test_pool, 2,
                                              sizeof(const ajwt_key_t *));
    ajwt_err_t err;
    const char *set;

    ck_assert_int_eq(ajwt_key_from_secret(&hs, ajwt_test_pool, secret, 32,
                                          "s", &err),
                     APR_SUCCESS);
    APR_ARRAY_PUSH(keys, const ajwt_key_t *) = hs;
    ck_assert_str_eq(ajwt_jwk_public_set(ajwt_test_pool, keys, AJWT_ALG_HS256),
                     "{\"keys\":[]}");
    ck_assert_ptr_null(ajwt_jwk_public(ajwt_test_pool, hs, AJWT_ALG_HS256));
    ck_assert_ptr_null(ajwt_jwk_thumbprint(ajwt_test_pool, hs));
    /* A key that does not fit the algorithm is not published either. */
    APR_ARRAY_PUSH(keys, const ajwt_key_t *) = ajwt_test_key("P-256", 0, "e");
    set = ajwt_jwk_public_set(ajwt_test_pool, keys, AJWT_ALG_ES384);
    ck_assert_str_eq(set, "{\"keys\":[]}");
    set = ajwt_jwk_public_set(ajwt_test_pool, keys, AJWT_ALG_ES256);
    ck_assert_ptr_nonnull(strstr(set, "\"kid\":\"e\""));
    ck_assert_ptr_null(strstr(set, "\"k\""));
}
END_TEST

START_TEST(test_jwk_kid_escaped)
{
    const char *j = jwk_of("P-256", "a\"b\\c\x01", AJWT_ALG_ES256);

    ck_assert_ptr_nonnull(strstr(j, "\"kid\":\"a\\\"b\\\\c\\u0001\""));
}
END_TEST

/* Keys RFC 7517 says a verifier ignores: passed over, counted. */
START_TEST(test_jwk_passed_over)
{
    const char *ec = jwk_of("P-256", "e", AJWT_ALG_UNKNOWN);
    const char *body = ec + 1; /* without the opening brace */
    const char *set = apr_pstrcat(
        ajwt_test_pool, "{\"keys\":[",
        "{\"use\":\"enc\",", body, ",",                          /* enc */
        "{\"key_ops\":[\"encrypt\"],", subst(body, "\"e\"", "\"e2\""), ",",
        "{\"alg\":\"ECDH-ES\",", subst(body, "\"e\"", "\"e3\""), ",",
        "{\"kty\":\"foo\",\"kid\":\"f\"},",                      /* kty */
        "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\"AAAA\"},",  /* curve */
        "{\"kty\":\"EC\",\"crv\":\"secp256k1\",\"x\":\"AA\",\"y\":\"AA\"},",
        "{\"key_ops\":[\"sign\",\"verify\"],",
        subst(body, "\"e\"", "\"e4\""), "]}", NULL);
    apr_array_header_t *keys;
    ajwt_err_t err;
    int skipped;

    ck_assert_msg(parse(set, &keys, &skipped, &err) == APR_SUCCESS, "%s",
                  err.text);
    ck_assert_int_eq(skipped, 6);
    ck_assert_int_eq(keys->nelts, 1);
    ck_assert_str_eq(APR_ARRAY_IDX(keys, 0, const ajwt_key_t *)->kid, "e4");
    /* An empty set is not an error here (the directive refuses it). */
    ck_assert_int_eq(parse("{\"keys\":[]}", &keys, &skipped, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(keys->nelts, 0);
}
END_TEST

#define OKP(x) "{\"keys\":[{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" x "\"}]}"

START_TEST(test_jwk_refused)
{
    const char *ec = jwk_of("P-256", "e", AJWT_ALG_ES256);
    const char *rsa = jwk_of("RSA2048", "r", AJWT_ALG_RS256);
    const char *x = strstr(ec, "\"x\":\"") + 5;
    const char *xval = apr_pstrmemdup(ajwt_test_pool, x,
                                      (apr_size_t)(strchr(x, '"') - x));
    /* y of the point moved by one: not on the curve */
    const char *y = strstr(ec, "\"y\":\"") + 5;
    char flip = y[0] == 'A' ? 'B' : 'A';
    const char *offcurve = apr_pstrcat(
        ajwt_test_pool, apr_pstrmemdup(ajwt_test_pool, ec, (apr_size_t)(y - ec)),
        apr_pstrmemdup(ajwt_test_pool, &flip, 1), y + 1, NULL);
    const char *cases[] = {
        "[]",
        "{\"keys\":{}}",
        "{\"nokeys\":[]}",
        "{\"keys\":[1]}",
        "{\"keys\":[{\"kid\":\"x\"}]}",
        "{\"keys\":[{\"kty\":1}]}",
        "{\"keys\":[{\"kty\":\"oct\"}]}",
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAA=\"}]}",
        "{\"keys\":[{\"kty\":\"EC\",\"x\":\"AA\",\"y\":\"AA\"}]}",
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[", subst(ec, "\"e\"", "\"\""),
                    "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[", subst(ec, "\"e\"", "7"),
                    "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[", ec, ",", ec, "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[", subst(ec, xval, "AA"),
                    "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[", offcurve, "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[",
                    subst(ec, "\"kid\"", "\"use\":\"sig\",\"use\":\"sig\","
                                          "\"kid\""), "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[",
                    subst(rsa, "\"RS256\"", "\"ES256\""), "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[",
                    subst(ec, "\"ES256\"", "\"ES384\""), "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[",
                    subst(ec, "\"kid\"", "\"use\":5,\"kid\""), "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[",
                    subst(ec, "\"kid\"", "\"key_ops\":\"verify\",\"kid\""),
                    "]}", NULL),
        apr_pstrcat(ajwt_test_pool, "{\"keys\":[", subst(ec, "\"x\"", "\"z\""),
                    "]}", NULL),
        /* HMAC secrets: shorter than 32 bytes, or PEM text */
        "{\"keys\":[{\"kty\":\"oct\",\"k\":\"AAAAAAAAAAAAAAAAAAAAAA\"}]}",
        "{\"keys\":[{\"kty\":\"oct\",\"alg\":\"HS256\",\"k\":"
        "\"LS0tLS1CRUdJTiBQVUJMSUMgS0VZLS0tLS0KTUlJQklqQU5CZ2txaGtpRzl3MEJBUUVGQUFPQwo\"}]}",
        /* Ed25519 points of small order (1, 0, p-1, p, p+1, the two of
         * order 8, 1 with the sign bit): any signature would do */
        OKP("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        OKP("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        OKP("7P_______________________________________38"),
        OKP("7f_______________________________________38"),
        OKP("7v_______________________________________38"),
        OKP("JuiVj8KyJ7BFw_SJ8u-Y8NXfrAXTxjM5sTgCiG1T_AU"),
        OKP("xxdqcD1N2E-6PAt2DRBnDyogU_osOczGTsf9d5KsA3o"),
        OKP("AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA"),
    };
    apr_array_header_t *keys;
    ajwt_err_t err;
    int skipped;

    ck_assert_msg(parse(cases[_i], &keys, &skipped, &err) == APR_EINVAL,
                  "case %d accepted: %s", _i, cases[_i]);
    ck_assert_ptr_null(keys);
    ck_assert(err.code == AJWT_E_MALFORMED || err.code == AJWT_E_KEY);
    ck_assert_uint_gt(strlen(err.text), 0);
}
END_TEST

/* Keys of a set that do not fit the location's algorithm are passed over
 * when a token's key is chosen; configured keys are not. */
START_TEST(test_jwk_select_by_alg)
{
    const char *set = apr_pstrcat(
        ajwt_test_pool, "{\"keys\":[", jwk_of("RSA2048", "r", AJWT_ALG_UNKNOWN),
        ",", jwk_of("P-256", "e", AJWT_ALG_UNKNOWN), ",",
        jwk_of("P-256b", "e2", AJWT_ALG_ES256), "]}", NULL);
    apr_array_header_t *keys;
    const ajwt_key_t *sel;
    ajwt_err_t err;
    int skipped;

    ck_assert_int_eq(parse(set, &keys, &skipped, &err), APR_SUCCESS);
    ck_assert_int_eq(keys->nelts, 3);
    /* RS256: only "r" is a candidate, so a token without kid finds it. */
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys, AJWT_ALG_RS256, NULL,
                                         &err),
                     APR_SUCCESS);
    ck_assert_str_eq(sel->kid, "r");
    /* ... and a kid of a key for another algorithm names no key. */
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys, AJWT_ALG_RS256, "e",
                                         &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KID);
    /* ES256: two candidates, so the kid decides. */
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys, AJWT_ALG_ES256, NULL,
                                         &err),
                     APR_EINVAL);
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys, AJWT_ALG_ES256, "e2",
                                         &err),
                     APR_SUCCESS);
    ck_assert_str_eq(sel->kid, "e2");
    /* The "alg" member restricts: e2 is ES256 only (and P-256 fits no
     * other algorithm anyway); the RSA key without "alg" fits PS256. */
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys, AJWT_ALG_PS256, NULL,
                                         &err),
                     APR_SUCCESS);
    ck_assert_str_eq(sel->kid, "r");
    ck_assert_int_eq(ajwt_jws_select_key(&sel, keys, AJWT_ALG_EDDSA, NULL,
                                         &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
}
END_TEST

START_TEST(test_jwk_alg_restricts)
{
    const char *set = apr_pstrcat(ajwt_test_pool, "{\"keys\":[",
                                  jwk_of("RSA2048", "r", AJWT_ALG_PS256),
                                  "]}", NULL);
    apr_array_header_t *keys;
    const ajwt_key_t *k;
    ajwt_err_t err;
    int skipped;

    ck_assert_int_eq(parse(set, &keys, &skipped, &err), APR_SUCCESS);
    k = APR_ARRAY_IDX(keys, 0, const ajwt_key_t *);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_PS256, &err), APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_RS256, &err), APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
}
END_TEST

TCase *ajwt_jwk_tcase(void)
{
    TCase *tc = tcase_create("jwk");

    ajwt_test_add_fixture(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_jwk_roundtrip_every_type, 0, 6);
    tcase_add_test(tc, test_jwk_no_kid_gets_thumbprint);
    tcase_add_test(tc, test_jwk_secrets_never_published);
    tcase_add_test(tc, test_jwk_kid_escaped);
    tcase_add_test(tc, test_jwk_passed_over);
    tcase_add_loop_test(tc, test_jwk_refused, 0, 30);
    tcase_add_test(tc, test_jwk_select_by_alg);
    tcase_add_test(tc, test_jwk_alg_restricts);
    return tc;
}
