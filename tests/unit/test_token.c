/* Licensed under the Apache License, Version 2.0. */

/*
 * Unit tests of ajwt_token: random refresh tokens, their shape, the SHA-256
 * digest that is stored, constant-time comparison.
 */
#include <string.h>

#include "apr_hash.h"
#include "apr_strings.h"

#include "ajwt_token.h"
#include "test_common.h"

/** Is every character of s in the base64url alphabet? */
static int all_b64url(const char *s)
{
    return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                     "0123456789-_") == strlen(s);
}

START_TEST(test_random_shape)
{
    const char *t = NULL;
    ajwt_err_t err;

    ck_assert_int_eq(
        ajwt_token_random(&t, ajwt_test_pool, AJWT_TOKEN_BYTES, &err),
        APR_SUCCESS);
    ck_assert_ptr_nonnull(t);
    ck_assert_uint_eq(strlen(t), AJWT_TOKEN_LEN);
    ck_assert(all_b64url(t));
    ck_assert(ajwt_token_is_wellformed(t));

    ck_assert_int_eq(ajwt_token_random(&t, ajwt_test_pool, 1, &err),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(t), 2);
    ck_assert(all_b64url(t));
    ck_assert_int_eq(ajwt_token_random(&t, ajwt_test_pool, 16, &err),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(t), 22);
    ck_assert_int_eq(ajwt_token_random(&t, ajwt_test_pool, 64, &err),
                     APR_SUCCESS);
    ck_assert_uint_eq(strlen(t), 86);
    ck_assert(all_b64url(t));
}
END_TEST

START_TEST(test_random_range)
{
    const char *t = "unset";
    ajwt_err_t err;

    ajwt_err_clear(&err);
    ck_assert_int_eq(ajwt_token_random(&t, ajwt_test_pool, 0, &err),
                     APR_EGENERAL);
    ck_assert_int_eq(err.code, AJWT_E_INTERNAL);
    ck_assert_ptr_null(t);
    ck_assert_int_eq(ajwt_token_random(&t, ajwt_test_pool, 65, &err),
                     APR_EGENERAL);
    ck_assert_ptr_null(t);
}
END_TEST

START_TEST(test_random_unique)
{
    apr_hash_t *seen = apr_hash_make(ajwt_test_pool);
    ajwt_err_t err;
    int i;

    for (i = 0; i < 1000; i++) {
        const char *t;

        ck_assert_int_eq(
            ajwt_token_random(&t, ajwt_test_pool, AJWT_TOKEN_BYTES, &err),
            APR_SUCCESS);
        ck_assert(ajwt_token_is_wellformed(t));
        ck_assert_msg(apr_hash_get(seen, t, APR_HASH_KEY_STRING) == NULL,
                      "draw %d repeats an earlier token", i);
        apr_hash_set(seen, t, APR_HASH_KEY_STRING, t);
    }
    ck_assert_uint_eq(apr_hash_count(seen), 1000);
}
END_TEST

START_TEST(test_wellformed)
{
    const char *ok = "AZaz09-_AZaz09-_AZaz09-_AZaz09-_AZaz09-_abc";

    ck_assert_uint_eq(strlen(ok), AJWT_TOKEN_LEN);
    ck_assert(ajwt_token_is_wellformed(ok));
    ck_assert(!ajwt_token_is_wellformed(apr_pstrndup(ajwt_test_pool, ok, 42)));
    ck_assert(
        !ajwt_token_is_wellformed(apr_pstrcat(ajwt_test_pool, ok, "A", NULL)));
    ck_assert(!ajwt_token_is_wellformed(
        "AZaz09+_AZaz09-_AZaz09-_AZaz09-_AZaz09-_abc"));
    ck_assert(!ajwt_token_is_wellformed(
        "AZaz09-/AZaz09-_AZaz09-_AZaz09-_AZaz09-_abc"));
    ck_assert(!ajwt_token_is_wellformed(
        "AZaz09-_AZaz09-_AZaz09-_AZaz09-_AZaz09-_ab="));
    ck_assert(!ajwt_token_is_wellformed(
        "AZaz09-_AZaz09-_AZaz09 _AZaz09-_AZaz09-_abc"));
    ck_assert(!ajwt_token_is_wellformed(
        "AZaz09-_AZaz09-_AZaz09-_AZaz09-_AZaz09-_ab\xc3"));
    ck_assert(!ajwt_token_is_wellformed(""));
    ck_assert(!ajwt_token_is_wellformed(NULL));
}
END_TEST

START_TEST(test_digest)
{
    const char *hex = NULL;
    ajwt_err_t err;

    ck_assert_int_eq(ajwt_token_digest(&hex, ajwt_test_pool, "abc", &err),
                     APR_SUCCESS);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223"
                          "b00361a396177a9cb410ff61f20015ad");
    ck_assert_uint_eq(strlen(hex), AJWT_DIGEST_HEX_LEN);
    ck_assert_int_eq(ajwt_token_digest(&hex, ajwt_test_pool, "", &err),
                     APR_SUCCESS);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb924"
                          "27ae41e4649b934ca495991b7852b855");
    ck_assert_int_eq(
        ajwt_token_digest(
            &hex, ajwt_test_pool,
            "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", &err),
        APR_SUCCESS);
    ck_assert_str_eq(hex, "248d6a61d20638b8e5c026930c3e6039"
                          "a33ce45964ff2167f6ecedd419db06c1");
    ck_assert_int_eq(ajwt_token_digest(&hex, ajwt_test_pool, NULL, &err),
                     APR_EGENERAL);
    ck_assert_ptr_null(hex);
}
END_TEST

START_TEST(test_equal)
{
    const char *a = "AZaz09-_AZaz09-_AZaz09-_AZaz09-_AZaz09-_abc";
    char *b = apr_pstrdup(ajwt_test_pool, a);

    ck_assert(ajwt_token_equal(a, b));
    ck_assert(ajwt_token_equal("", ""));
    b[0] = 'B';
    ck_assert(!ajwt_token_equal(a, b));
    b[0] = 'A';
    b[42] = 'd';
    ck_assert(!ajwt_token_equal(a, b));
    /* different lengths: a prefix is not equal, in either order */
    ck_assert(!ajwt_token_equal(a, apr_pstrndup(ajwt_test_pool, a, 42)));
    ck_assert(!ajwt_token_equal(apr_pstrndup(ajwt_test_pool, a, 42), a));
    ck_assert(!ajwt_token_equal(a, apr_pstrcat(ajwt_test_pool, a, "x", NULL)));
    ck_assert(!ajwt_token_equal(a, ""));
    ck_assert(!ajwt_token_equal(a, NULL));
    ck_assert(!ajwt_token_equal(NULL, a));
    ck_assert(!ajwt_token_equal(NULL, NULL));
}
END_TEST

TCase *ajwt_token_tcase(void)
{
    TCase *tc = tcase_create("token");

    ajwt_test_add_fixture(tc);
    tcase_add_test(tc, test_random_shape);
    tcase_add_test(tc, test_random_range);
    tcase_add_test(tc, test_random_unique);
    tcase_add_test(tc, test_wellformed);
    tcase_add_test(tc, test_digest);
    tcase_add_test(tc, test_equal);
    return tc;
}
