/* Licensed under the Apache License, Version 2.0. */

/* return_to validation (no open redirect, no header injection), encoding,
 * navigation detection. */
#include "ajwt_cookie.h"
#include "ajwt_url.h"
#include "test_common.h"

START_TEST(test_return_to_accepted)
{
    static const char *const ok[] = {
        "/", "/app", "/app/page.php?x=1&y=two", "/a/b/c.html#frag",
        "/search?q=%2Fetc%2Fpasswd", "/~user/x", "/a%20b",
        "/caf%C3%A9",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        ck_assert_str_eq(ajwt_url_return_to(ok[i]), ok[i]);
    }
}
END_TEST

START_TEST(test_return_to_refused)
{
    static const char *const bad[] = {
        NULL, "", "app", "//evil.test", "//evil.test/x", "/\\evil.test",
        "\\\\evil.test", "https://evil.test/", "http:/evil", "javascript:alert(1)",
        "/%2F%2Fevil.test", "/%2f%2fevil.test", "/%5Cevil.test",
        "/a\\b", "/a b", "/a\tb", "/a\r\nSet-Cookie: x=1", "/a\nb",
        "/a%0d%0aSet-Cookie:%20x=1", "/x?y=%0A", "/x?y=%00", "/\x7f",
        "/caf\xc3\xa9", " /app", "/app ",
    };
    apr_size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(!strcmp(ajwt_url_return_to(bad[i]), "/"),
                      "accepted: %s", bad[i] ? bad[i] : "(null)");
    }
}
END_TEST

START_TEST(test_return_to_length)
{
    char *s = apr_palloc(ajwt_test_pool, AJWT_RETURN_TO_MAX + 2);

    memset(s, 'a', AJWT_RETURN_TO_MAX + 1);
    s[0] = '/';
    s[AJWT_RETURN_TO_MAX] = '\0';
    ck_assert_str_eq(ajwt_url_return_to(s), s);
    s[AJWT_RETURN_TO_MAX] = 'a';
    s[AJWT_RETURN_TO_MAX + 1] = '\0';
    ck_assert_str_eq(ajwt_url_return_to(s), "/");
}
END_TEST

START_TEST(test_encode_and_with_return)
{
    apr_pool_t *p = ajwt_test_pool;

    ck_assert_str_eq(ajwt_url_encode(p, "/a/b?x=1&y=a b"),
                     "/a/b%3Fx%3D1%26y%3Da%20b");
    ck_assert_str_eq(ajwt_url_encode(p, "\r\n\xc3\xa9"), "%0D%0A%C3%A9");
    ck_assert_str_eq(ajwt_url_with_return(p, "/login.php", "/app?x=1"),
                     "/login.php?return_to=/app%3Fx%3D1");
    ck_assert_str_eq(ajwt_url_with_return(p, "/login.php?lang=en", "/"),
                     "/login.php?lang=en&return_to=/");
}
END_TEST

START_TEST(test_navigation)
{
    ck_assert_int_eq(ajwt_url_is_navigation(
                         "text/html,application/xhtml+xml,*/*;q=0.8", NULL), 1);
    ck_assert_int_eq(ajwt_url_is_navigation("TEXT/HTML", NULL), 1);
    ck_assert_int_eq(ajwt_url_is_navigation("text/html", "XMLHttpRequest"), 0);
    ck_assert_int_eq(ajwt_url_is_navigation("application/json", NULL), 0);
    ck_assert_int_eq(ajwt_url_is_navigation("*/*", NULL), 0);
    ck_assert_int_eq(ajwt_url_is_navigation(NULL, NULL), 0);
}
END_TEST

START_TEST(test_cookies_without)
{
    apr_pool_t *p = ajwt_test_pool;

    ck_assert_str_eq(ajwt_cookie_without(p, "a=1; at=TOKEN; b=2", "at",
                                              "rt"), "a=1; b=2");
    ck_assert_str_eq(ajwt_cookie_without(p, "at=x;rt=y;keep=1", "at",
                                              "rt"), "keep=1");
    ck_assert_ptr_null(ajwt_cookie_without(p, "at=x; rt=y", "at", "rt"));
    /* names compare exactly: "att" and "xat" stay */
    ck_assert_str_eq(ajwt_cookie_without(p, "att=1; xat=2; at=3", "at",
                                              NULL), "att=1; xat=2");
    ck_assert_str_eq(ajwt_cookie_without(p, "a=1", NULL, NULL), "a=1");
    ck_assert_ptr_null(ajwt_cookie_without(p, "", "at", NULL));
}
END_TEST

START_TEST(test_cookie_header)
{
    apr_pool_t *p = ajwt_test_pool;
    ajwt_cookie_t c = {"at", "TOKEN", "/", 600, 1, "Lax"};
    const char *h = ajwt_cookie_header(p, &c);

    ck_assert_ptr_nonnull(strstr(h, "at=TOKEN"));
    ck_assert_ptr_nonnull(strstr(h, "Path=/"));
    ck_assert_ptr_nonnull(strstr(h, "Max-Age=600"));
    ck_assert_ptr_nonnull(strstr(h, "HttpOnly"));
    ck_assert_ptr_nonnull(strstr(h, "Secure"));
    ck_assert_ptr_nonnull(strstr(h, "SameSite=Lax"));
    c.secure = 0;
    ck_assert_ptr_null(strstr(ajwt_cookie_header(p, &c), "Secure"));
    c.name = "__Host-at"; /* always Secure */
    ck_assert_ptr_nonnull(strstr(ajwt_cookie_header(p, &c), "Secure"));
    c.value = NULL; /* clearing */
    h = ajwt_cookie_header(p, &c);
    ck_assert_ptr_nonnull(strstr(h, "Max-Age=0"));
    ck_assert_ptr_nonnull(strstr(h, "Expires="));
    ck_assert_int_eq(ajwt_cookie_name_needs_secure("__Secure-x"), 1);
    ck_assert_int_eq(ajwt_cookie_name_needs_secure("plain"), 0);
}
END_TEST

START_TEST(test_cookie_find)
{
    apr_pool_t *p = ajwt_test_pool;
    const char *v;

    ck_assert_int_eq(ajwt_cookie_find(&v, p, "a=1; at=TOK; b=2", "at"), 1);
    ck_assert_str_eq(v, "TOK");
    ck_assert_int_eq(ajwt_cookie_find(&v, p, "att=1; xat=2", "at"), 0);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(ajwt_cookie_find(&v, p, "at=1; at=2", "at"), 2);
    ck_assert_ptr_null(v);
    ck_assert_int_eq(ajwt_cookie_find(&v, p, NULL, "at"), 0);
    ck_assert_int_eq(ajwt_cookie_find(&v, p, "at=", "at"), 1);
    ck_assert_str_eq(v, "");
}
END_TEST

TCase *ajwt_url_tcase(void)
{
    TCase *tc = tcase_create("url");

    ajwt_test_add_fixture(tc);
    tcase_add_test(tc, test_return_to_accepted);
    tcase_add_test(tc, test_return_to_refused);
    tcase_add_test(tc, test_return_to_length);
    tcase_add_test(tc, test_encode_and_with_return);
    tcase_add_test(tc, test_navigation);
    tcase_add_test(tc, test_cookies_without);
    tcase_add_test(tc, test_cookie_header);
    tcase_add_test(tc, test_cookie_find);
    return tc;
}
