/* Licensed under the Apache License, Version 2.0. */

/* Strict JSON: the scanner's refusals and json-c's agreement. */
#include <stdio.h>
#include <string.h>

#include "apr_strings.h"

#include "ajwt_json.h"
#include "test_common.h"

static apr_status_t parse_n(const char *text, apr_size_t len)
{
    json_object *o;
    ajwt_err_t err;

    ajwt_err_clear(&err);
    return ajwt_json_parse_object(&o, ajwt_test_pool, text, len, &err);
}

static apr_status_t parse(const char *text)
{
    return parse_n(text, strlen(text));
}

#define OK(t)  ck_assert_msg(parse(t) == APR_SUCCESS, "refused: %s", t)
#define BAD(t) ck_assert_msg(parse(t) == APR_EINVAL, "accepted: %s", t)

START_TEST(test_valid)
{
    json_object *o, *v;
    ajwt_err_t err;
    const char *t = " {\"a\": [1, -0, 0.5, 1e5, 1E-5, -2.5e+3, true, false, "
                    "null, \"x\", {}, []], \"b\": {\"c\": \"\\u00e9\\n\"}, "
                    "\"\\ud83d\\ude00\": \"\xf0\x9f\x98\x80\"}\r\n\t";

    ck_assert_int_eq(
        ajwt_json_parse_object(&o, ajwt_test_pool, t, strlen(t), &err),
        APR_SUCCESS);
    ck_assert(json_object_object_get_ex(o, "b", &v));
    ck_assert(json_object_object_get_ex(v, "c", &v));
    ck_assert_str_eq(json_object_get_string(v), "\xc3\xa9\n");
    OK("{}");
    OK("{\"\":1}");
    OK("{\"a\":\"\xc2\x80\xe0\xa0\x80\xed\x9f\xbf\xee\x80\x80\xf4\x8f\xbf\xbf"
       "\"}");
    OK("{\"a\":1,\"A\":2}");
    OK("{\"a\":{\"a\":1}}"); /* same name at different levels */
    OK("{\"a\":[{\"b\":1},{\"b\":2}]}");
    OK("{\"n\":12345678901234567890}");
}
END_TEST

START_TEST(test_duplicates)
{
    BAD("{\"a\":1,\"a\":2}");
    BAD("{\"a\":1,\"b\":2,\"a\":3}");
    BAD("{\"a\":1,\"\\u0061\":2}"); /* escaped equal */
    BAD("{\"\\u0061\":1,\"a\":2}");
    BAD("{\"\\/\":1,\"/\":2}");
    BAD("{\"\xc3\xa9\":1,\"\\u00e9\":2}"); /* UTF-8 vs escape */
    BAD("{\"\\ud83d\\ude00\":1,\"\xf0\x9f\x98\x80\":2}");
    BAD("{\"x\":{\"a\":1,\"a\":1}}"); /* nested */
    BAD("{\"x\":[1,{\"b\":true,\"b\":false}]}");
    BAD("{\"\":1,\"\":2}");
}
END_TEST

/* An object of 100 members k0..k99 followed by one last member name. */
static const char *large_object(const char *last)
{
    char buf[2048];
    apr_size_t n = 0;
    int i;

    buf[n++] = '{';
    for (i = 0; i < 100; i++) {
        n +=
            (apr_size_t)snprintf(buf + n, sizeof(buf) - n, "\"k%d\":%d,", i, i);
    }
    snprintf(buf + n, sizeof(buf) - n, "\"%s\":0}", last);
    return apr_pstrdup(ajwt_test_pool, buf);
}

START_TEST(test_duplicates_large_object)
{
    ck_assert_int_eq(parse(large_object("k5")), APR_EINVAL);
    ck_assert_int_eq(parse(large_object("k\\u0036")), APR_EINVAL);
    ck_assert_int_eq(parse(large_object("k99")), APR_EINVAL);
    ck_assert_int_eq(parse(large_object("k\\u0078")), APR_SUCCESS);
    ck_assert_int_eq(parse(large_object("k100")), APR_SUCCESS);
}
END_TEST

START_TEST(test_nul_and_controls)
{
    ck_assert_int_eq(parse_n("{\"a\":\"x\0y\"}", 10), APR_EINVAL);
    ck_assert_int_eq(parse_n("{\"a\":1}\0", 8), APR_EINVAL);
    ck_assert_int_eq(parse_n("{\"a\0\":1}", 8), APR_EINVAL);
    BAD("{\"a\":\"\\u0000\"}");
    BAD("{\"\\u0000\":1}");
    BAD("{\"a\":\"tab\there\"}");
    BAD("{\"a\":\"nl\nhere\"}");
    BAD("{\"a\":\"\x1f\"}");
    OK("{\"a\":\"\x7f\"}");
}
END_TEST

START_TEST(test_bad_utf8)
{
    BAD("{\"a\":\"\xff\"}");
    BAD("{\"a\":\"\x80\"}");             /* lone continuation */
    BAD("{\"a\":\"\xc0\xaf\"}");         /* overlong '/' */
    BAD("{\"a\":\"\xc1\xbf\"}");         /* overlong */
    BAD("{\"a\":\"\xe0\x80\xaf\"}");     /* overlong 3-byte */
    BAD("{\"a\":\"\xf0\x80\x80\xaf\"}"); /* overlong 4-byte */
    BAD("{\"a\":\"\xed\xa0\x80\"}");     /* UTF-8 encoded surrogate */
    BAD("{\"a\":\"\xf4\x90\x80\x80\"}"); /* above U+10FFFF */
    BAD("{\"a\":\"\xf5\x80\x80\x80\"}");
    BAD("{\"a\":\"\xc3\"}"); /* truncated */
    BAD("{\"a\":\"\xe2\x82\"}");
    BAD("{\"\xc3\":1}");
    BAD("{\"a\":\"\\ud800\"}"); /* lone high surrogate */
    BAD("{\"a\":\"\\udc00\"}"); /* lone low surrogate */
    BAD("{\"a\":\"\\ud800\\u0041\"}");
    BAD("{\"a\":\"\\ud800x\"}");
    BAD("{\"a\":\"\\u12\"}");
    BAD("{\"a\":\"\\u12g4\"}");
    BAD("{\"a\":\"\\x41\"}");
    BAD("{\"a\":\"\\'\"}");
    BAD("{\"a\xc3\xa9\":1, \xc3\xa9:2}");
}
END_TEST

/* {"a":[[...]]} with levels containers in all. */
static const char *nested(int levels)
{
    char *buf = apr_palloc(ajwt_test_pool, (apr_size_t)levels * 2 + 8);
    int i, n = 0;

    n += sprintf(buf, "{\"a\":");
    for (i = 1; i < levels; i++) {
        buf[n++] = '[';
    }
    for (i = 1; i < levels; i++) {
        buf[n++] = ']';
    }
    buf[n++] = '}';
    buf[n] = '\0';
    return buf;
}

START_TEST(test_depth)
{
    ck_assert_int_eq(parse(nested(AJWT_JSON_MAX_DEPTH)), APR_SUCCESS);
    ck_assert_int_eq(parse(nested(AJWT_JSON_MAX_DEPTH + 1)), APR_EINVAL);
    ck_assert_int_eq(parse(nested(1000)), APR_EINVAL);
}
END_TEST

START_TEST(test_grammar)
{
    BAD("");
    BAD("   ");
    BAD("[]");
    BAD("\"s\"");
    BAD("1");
    BAD("null");
    BAD("{} x");
    BAD("{}{}");
    BAD("{},");
    BAD("{\"a\":1}}");
    BAD("{");
    BAD("{\"a\"");
    BAD("{\"a\":}");
    BAD("{\"a\":1,}");
    BAD("{,}");
    BAD("{\"a\":[1,]}");
    BAD("{\"a\":[,1]}");
    BAD("{a:1}");
    BAD("{'a':1}");
    BAD("{\"a\" 1}");
    BAD("{\"a\":1 \"b\":2}");
    BAD("{\"a\":01}");
    BAD("{\"a\":-01}");
    BAD("{\"a\":1.}");
    BAD("{\"a\":.5}");
    BAD("{\"a\":+1}");
    BAD("{\"a\":1e}");
    BAD("{\"a\":1e+}");
    BAD("{\"a\":-}");
    BAD("{\"a\":0x10}");
    BAD("{\"a\":NaN}");
    BAD("{\"a\":Infinity}");
    BAD("{\"a\":-Infinity}");
    BAD("{\"a\":True}");
    BAD("{\"a\":nul}");
    BAD("{\"a\":undefined}");
    BAD("{\"a\":1} // c");
    BAD("{/*c*/\"a\":1}");
    BAD("\xef\xbb\xbf{}"); /* BOM */
    BAD("{\"a\":\"unterminated}");
    BAD("{\"a\":1}\x0b"); /* vertical tab is not JSON whitespace */
    OK("{\"a\":-0.0e0}");
    OK("{\"a\":0}");
}
END_TEST

START_TEST(test_error_text)
{
    json_object *o = (json_object *)1;
    ajwt_err_t err;

    ck_assert_int_eq(ajwt_json_parse_object(&o, ajwt_test_pool,
                                            "{\"a\":1,\"a\":2}", 13, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_MALFORMED);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicate"));
}
END_TEST

START_TEST(test_compact_and_own)
{
    json_object *o = json_object_new_object();

    json_object_object_add(o, "iss", json_object_new_string("https://a/b"));
    json_object_object_add(o, "n", json_object_new_int(3));
    ajwt_json_pool_own(ajwt_test_pool, o);
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, o),
                     "{\"iss\":\"https://a/b\",\"n\":3}");
}
END_TEST

TCase *ajwt_json_tcase(void)
{
    TCase *tc = tcase_create("json");

    ajwt_test_add_fixture(tc);
    tcase_add_test(tc, test_valid);
    tcase_add_test(tc, test_duplicates);
    tcase_add_test(tc, test_duplicates_large_object);
    tcase_add_test(tc, test_nul_and_controls);
    tcase_add_test(tc, test_bad_utf8);
    tcase_add_test(tc, test_depth);
    tcase_add_test(tc, test_grammar);
    tcase_add_test(tc, test_error_text);
    tcase_add_test(tc, test_compact_and_own);
    return tc;
}
