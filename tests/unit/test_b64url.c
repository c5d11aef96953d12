/* Licensed under the Apache License, Version 2.0. */

/* base64url: strict decoding, canonical round trips, the secret decoder. */
#include <string.h>

#include <openssl/rand.h>

#include "ajwt_b64url.h"
#include "test_common.h"

/* Decode in strictly; return the status. */
static apr_status_t dec(const char *in)
{
    unsigned char *d;
    apr_size_t n;

    return ajwt_b64url_decode(&d, &n, ajwt_test_pool, in, strlen(in));
}

START_TEST(test_encode_known)
{
    apr_pool_t *p = ajwt_test_pool;

    ck_assert_str_eq(ajwt_b64url_encode(p, (const unsigned char *)"", 0), "");
    ck_assert_str_eq(ajwt_b64url_encode(p, (const unsigned char *)"f", 1),
                     "Zg");
    ck_assert_str_eq(ajwt_b64url_encode(p, (const unsigned char *)"fo", 2),
                     "Zm8");
    ck_assert_str_eq(ajwt_b64url_encode(p, (const unsigned char *)"foo", 3),
                     "Zm9v");
    ck_assert_str_eq(
        ajwt_b64url_encode(p, (const unsigned char *)"\xfb\xff\xfe", 3),
        "-__-");
}
END_TEST

START_TEST(test_decode_known)
{
    unsigned char *d;
    apr_size_t n;

    ck_assert_int_eq(ajwt_b64url_decode(&d, &n, ajwt_test_pool, "Zm9vYg", 6),
                     APR_SUCCESS);
    ck_assert_uint_eq(n, 4);
    ck_assert_str_eq((char *)d, "foob");
    ck_assert_int_eq(ajwt_b64url_decode(&d, &n, ajwt_test_pool, "", 0),
                     APR_SUCCESS);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(ajwt_b64url_decode(&d, &n, ajwt_test_pool, "-__-", 4),
                     APR_SUCCESS);
    ck_assert_int_eq(memcmp(d, "\xfb\xff\xfe", 3), 0);
}
END_TEST

START_TEST(test_decode_refused)
{
    ck_assert_int_eq(dec("Zg=="), APR_EINVAL);    /* padding */
    ck_assert_int_eq(dec("Zm8="), APR_EINVAL);    /* padding */
    ck_assert_int_eq(dec("+__-"), APR_EINVAL);    /* standard alphabet */
    ck_assert_int_eq(dec("-__/"), APR_EINVAL);    /* standard alphabet */
    ck_assert_int_eq(dec("Zm9v Yg"), APR_EINVAL); /* whitespace */
    ck_assert_int_eq(dec("Zm9v\nYg"), APR_EINVAL);
    ck_assert_int_eq(dec(" Zm9v"), APR_EINVAL);
    ck_assert_int_eq(dec("Zm9vY"), APR_EINVAL); /* length % 4 == 1 */
    ck_assert_int_eq(dec("A"), APR_EINVAL);
    ck_assert_int_eq(dec("Zh"), APR_EINVAL); /* trailing bits not zero */
    ck_assert_int_eq(dec("Zm9"), APR_EINVAL);
    ck_assert_int_eq(dec("Zm8"), APR_SUCCESS);
    ck_assert_int_eq(dec("Zm?v"), APR_EINVAL);
    ck_assert_int_eq(dec("Zm9v."), APR_EINVAL);
}
END_TEST

START_TEST(test_decode_embedded_nul)
{
    unsigned char *d;
    apr_size_t n;

    ck_assert_int_eq(ajwt_b64url_decode(&d, &n, ajwt_test_pool, "Zm\0v", 4),
                     APR_EINVAL);
}
END_TEST

START_TEST(test_roundtrip_all_lengths)
{
    unsigned char buf[64];
    apr_size_t len, n;
    int round;

    for (round = 0; round < 8; round++) {
        for (len = 0; len <= sizeof(buf); len++) {
            const char *enc;
            unsigned char *d;
            ck_assert_int_eq(RAND_bytes(buf, (int)sizeof(buf)), 1);
            enc = ajwt_b64url_encode(ajwt_test_pool, buf, len);
            ck_assert_uint_eq(strlen(enc), (len * 4 + 2) / 3);
            ck_assert_ptr_null(strpbrk(enc, "=+/"));
            ck_assert_int_eq(
                ajwt_b64url_decode(&d, &n, ajwt_test_pool, enc, strlen(enc)),
                APR_SUCCESS);
            ck_assert_uint_eq(n, len);
            ck_assert_int_eq(memcmp(d, buf, len), 0);
            ck_assert_int_eq(d[n], 0);
        }
    }
}
END_TEST

/* Decode with ajwt_b64_decode_any and compare with expected bytes. */
static void any_ok(const char *in, const char *want, apr_size_t wantlen)
{
    unsigned char *d;
    apr_size_t n;

    ck_assert_msg(ajwt_b64_decode_any(&d, &n, ajwt_test_pool, in) ==
                      APR_SUCCESS,
                  "refused %s", in);
    ck_assert_uint_eq(n, wantlen);
    ck_assert_int_eq(memcmp(d, want, wantlen), 0);
}

static apr_status_t any(const char *in)
{
    unsigned char *d;
    apr_size_t n;

    return ajwt_b64_decode_any(&d, &n, ajwt_test_pool, in);
}

START_TEST(test_decode_any)
{
    any_ok("-__-", "\xfb\xff\xfe", 3);
    any_ok("+//+", "\xfb\xff\xfe", 3);
    any_ok("Zg==", "f", 1);
    any_ok("Zg", "f", 1);
    any_ok("Zm8=", "fo", 2);
    any_ok("Zm8", "fo", 2);
    any_ok("+w==", "\xfb", 1);
    any_ok("-w", "\xfb", 1);
    any_ok("", "", 0);
    ck_assert_int_eq(any("+_=="), APR_EINVAL);  /* mixed alphabets */
    ck_assert_int_eq(any("Zg="), APR_EINVAL);   /* short padding */
    ck_assert_int_eq(any("Zg==="), APR_EINVAL); /* too much padding */
    ck_assert_int_eq(any("===="), APR_EINVAL);
    ck_assert_int_eq(any(" Zg=="), APR_EINVAL); /* whitespace */
    ck_assert_int_eq(any("Zg==\n"), APR_EINVAL);
    ck_assert_int_eq(any("Z=g="), APR_EINVAL);
    ck_assert_int_eq(any("Zh=="), APR_EINVAL); /* non-canonical */
}
END_TEST

TCase *ajwt_b64url_tcase(void)
{
    TCase *tc = tcase_create("b64url");

    ajwt_test_add_fixture(tc);
    tcase_add_test(tc, test_encode_known);
    tcase_add_test(tc, test_decode_known);
    tcase_add_test(tc, test_decode_refused);
    tcase_add_test(tc, test_decode_embedded_nul);
    tcase_add_test(tc, test_roundtrip_all_lengths);
    tcase_add_test(tc, test_decode_any);
    return tc;
}
