/* Licensed under the Apache License, Version 2.0. */

/* Strict JSON: the scanner's refusals, the pool tree's accessors and
 * builder, and the compact writer's agreement with json-c 0.16 (linked here
 * for the test only, as the reference the module used to serialise with). */
#include <stdio.h>
#include <string.h>

#include <json-c/json.h>

#include "apr_strings.h"

#include "ajwt_json.h"
#include "test_common.h"

static apr_status_t parse_n(const char *text, apr_size_t len)
{
    const ajwt_json_t *o;
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
    const ajwt_json_t *o, *v;
    ajwt_err_t err;
    const char *t = " {\"a\": [1, -0, 0.5, 1e5, 1E-5, -2.5e+3, true, false, "
                    "null, \"x\", {}, []], \"b\": {\"c\": \"\\u00e9\\n\"}, "
                    "\"\\ud83d\\ude00\": \"\xf0\x9f\x98\x80\"}\r\n\t";

    ck_assert_int_eq(
        ajwt_json_parse_object(&o, ajwt_test_pool, t, strlen(t), &err),
        APR_SUCCESS);
    ck_assert_ptr_nonnull(v = ajwt_json_get(o, "b"));
    ck_assert_ptr_nonnull(v = ajwt_json_get(v, "c"));
    ck_assert_str_eq(ajwt_json_string(v, NULL), "\xc3\xa9\n");
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
    const ajwt_json_t *o = (const ajwt_json_t *)1;
    ajwt_err_t err;

    ck_assert_int_eq(ajwt_json_parse_object(&o, ajwt_test_pool,
                                            "{\"a\":1,\"a\":2}", 13, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_MALFORMED);
    ck_assert_ptr_null(o);
    ck_assert_ptr_nonnull(strstr(err.text, "duplicate"));
}
END_TEST

/** Parse an object that must be accepted. */
static const ajwt_json_t *must(const char *text)
{
    const ajwt_json_t *o;
    ajwt_err_t err;

    ck_assert_msg(ajwt_json_parse_object(&o, ajwt_test_pool, text,
                                         strlen(text), &err) == APR_SUCCESS,
                  "refused: %s: %s", text, err.text);
    return o;
}

START_TEST(test_accessors)
{
    const ajwt_json_t *o = must("{\"s\":\"a\\\"b\",\"i\":-42,\"d\":2.50,"
                                "\"big\":12345678901234567890,\"t\":true,"
                                "\"f\":false,\"n\":null,\"a\":[1,\"x\",[]],"
                                "\"o\":{\"k\":{}},\"a.b\":1}");
    const ajwt_json_t *v;
    const char *name;
    apr_size_t len;
    apr_int64_t i;

    ck_assert_int_eq(ajwt_json_type(o), AJWT_JSON_OBJECT);
    ck_assert_uint_eq(ajwt_json_count(o), 10);
    /* members in document order */
    ck_assert_ptr_nonnull(v = ajwt_json_member(o, 0, &name, &len));
    ck_assert_str_eq(name, "s");
    ck_assert_uint_eq(len, 1);
    ck_assert_str_eq(ajwt_json_string(v, &len), "a\"b");
    ck_assert_uint_eq(len, 3);
    ck_assert_ptr_nonnull(ajwt_json_member(o, 9, &name, NULL));
    ck_assert_str_eq(name, "a.b");
    ck_assert_ptr_null(ajwt_json_member(o, 10, &name, NULL));
    /* by name, and by name and length */
    ck_assert(ajwt_json_int64(&i, ajwt_json_get(o, "i")));
    ck_assert_int_eq(i, -42);
    ck_assert(ajwt_json_get(o, "i") == ajwt_json_get_n(o, "ixyz", 1));
    ck_assert_ptr_null(ajwt_json_get_n(o, "a.b", 2));
    ck_assert_ptr_nonnull(ajwt_json_get_n(o, "a.b", 3));
    ck_assert_ptr_null(ajwt_json_get(o, "missing"));
    ck_assert_ptr_null(ajwt_json_get(ajwt_json_get(o, "a"), "x"));
    /* numbers: text, double, int64 */
    v = ajwt_json_get(o, "d");
    ck_assert(!ajwt_json_int64(NULL, v));
    ck_assert_str_eq(ajwt_json_number_text(v), "2.50");
    ck_assert(ajwt_json_double(v) == 2.5);
    v = ajwt_json_get(o, "big");
    ck_assert(!ajwt_json_int64(&i, v));
    ck_assert(ajwt_json_double(v) == 12345678901234567890.0);
    ck_assert_str_eq(ajwt_json_number_text(v), "12345678901234567890");
    ck_assert(ajwt_json_double(ajwt_json_get(o, "i")) == -42.0);
    /* booleans and null */
    ck_assert(ajwt_json_bool(ajwt_json_get(o, "t")));
    ck_assert(!ajwt_json_bool(ajwt_json_get(o, "f")));
    ck_assert(ajwt_json_is(ajwt_json_get(o, "f"), AJWT_JSON_BOOL));
    v = ajwt_json_get(o, "n");
    ck_assert_ptr_nonnull(v); /* present, as a null node */
    ck_assert(ajwt_json_is(v, AJWT_JSON_NULL));
    ck_assert(!ajwt_json_is(NULL, AJWT_JSON_NULL));
    /* arrays */
    v = ajwt_json_get(o, "a");
    ck_assert_uint_eq(ajwt_json_count(v), 3);
    ck_assert_str_eq(ajwt_json_string(ajwt_json_item(v, 1), NULL), "x");
    ck_assert_int_eq(ajwt_json_type(ajwt_json_item(v, 2)), AJWT_JSON_ARRAY);
    ck_assert_uint_eq(ajwt_json_count(ajwt_json_item(v, 2)), 0);
    ck_assert_ptr_null(ajwt_json_item(v, 3));
    ck_assert_ptr_null(ajwt_json_item(o, 0));
    /* the wrong type answers "absent" */
    ck_assert_ptr_null(ajwt_json_string(ajwt_json_get(o, "i"), NULL));
    ck_assert_ptr_null(ajwt_json_number_text(ajwt_json_get(o, "s")));
    ck_assert(ajwt_json_double(ajwt_json_get(o, "s")) == 0.0);
    ck_assert_uint_eq(ajwt_json_count(ajwt_json_get(o, "s")), 0);
}
END_TEST

/** The old writer: json-c with the flags ajwt_json_compact used. */
static const char *jsonc_text(json_object *o)
{
    const char *s = json_object_to_json_string_ext(
        o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
    const char *copy = apr_pstrdup(ajwt_test_pool, s);

    json_object_put(o);
    return copy;
}

/* Tricky strings: raw bytes of the decoded string. */
static const struct {
    const char *bytes;
    const char *json; /* what json-c 0.16 writes */
} str_cases[] = {
    {"", "\"\""},
    {"plain", "\"plain\""},
    {"q\"b\\s/", "\"q\\\"b\\\\s/\""},
    {"\b\f\n\r\t", "\"\\b\\f\\n\\r\\t\""},
    {"\x01\x1f\x0b\x1a", "\"\\u0001\\u001f\\u000b\\u001a\""},
    {"del\x7f", "\"del\x7f\""},
    {"</script>", "\"</script>\""},
    {"caf\xc3\xa9", "\"caf\xc3\xa9\""},
    {"\xc2\x85 C1", "\"\xc2\x85 C1\""},
    {"\xe2\x80\xa8\xe2\x80\xa9", "\"\xe2\x80\xa8\xe2\x80\xa9\""},
    {"\xf0\x9f\x98\x80", "\"\xf0\x9f\x98\x80\""},
    {"http://a/b?c=d&e", "\"http://a/b?c=d&e\""},
};

START_TEST(test_compact_strings_as_jsonc)
{
    const char *want = str_cases[_i].json;
    const char *bytes = str_cases[_i].bytes;
    ajwt_json_t *o = ajwt_json_new_object(ajwt_test_pool);
    json_object *jo = json_object_new_object();
    const ajwt_json_t *parsed;
    const char *text, *doc;

    /* a value and a name, built */
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool,
                                       ajwt_json_new_string(ajwt_test_pool,
                                                            bytes),
                                       NULL),
                     want);
    ck_assert_str_eq(jsonc_text(json_object_new_string(bytes)), want);
    ajwt_json_set(o, ajwt_test_pool, bytes,
                  ajwt_json_new_string(ajwt_test_pool, bytes));
    json_object_object_add(jo, bytes, json_object_new_string(bytes));
    text = ajwt_json_compact(ajwt_test_pool, o, NULL);
    ck_assert_str_eq(text, jsonc_text(jo));
    /* the same after parsing json-c's text back */
    parsed = must(text);
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, parsed, NULL), text);
    /* and parsed from fully escaped input */
    doc = apr_psprintf(ajwt_test_pool, "{\"v\":%s}", want);
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, must(doc), NULL), doc);
}
END_TEST

START_TEST(test_compact_escapes_as_jsonc)
{
    /* every byte value in a string; UTF-8 above 0x7f as U+0080..U+00FF */
    char one[3];
    int c;

    for (c = 1; c < 256; c++) {
        const char *mine;

        if (c < 0x80) {
            one[0] = (char)c;
            one[1] = '\0';
        }
        else {
            one[0] = (char)(0xc0 | (c >> 6));
            one[1] = (char)(0x80 | (c & 0x3f));
            one[2] = '\0';
        }
        mine = ajwt_json_compact(ajwt_test_pool,
                                 ajwt_json_new_string(ajwt_test_pool, one),
                                 NULL);
        ck_assert_msg(!strcmp(mine, jsonc_text(json_object_new_string(one))),
                      "byte %02x: %s", c, mine);
    }
}
END_TEST

/* Numbers as parsed: json-c's tokener made an integer that fits an int64
 * an int64 and kept the text of everything else. */
static const struct {
    const char *text;
    const char *json;
} num_cases[] = {
    {"1", "1"},
    {"-1", "-1"},
    {"0", "0"},
    {"-0", "0"},
    {"1.0", "1.0"},
    {"-0.0", "-0.0"},
    {"1e3", "1e3"},
    {"1E+3", "1E+3"},
    {"2.50", "2.50"},
    {"0.1", "0.1"},
    {"1e-7", "1e-7"},
    {"1e400", "1e400"},
    {"12345678901234567890", "12345678901234567890"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775808", "-9223372036854775808"},
    {"9223372036854775808", "9223372036854775808"},
    {"-9223372036854775809", "-9223372036854775809"},
};

/** The json-c object the old parser made of a number: an int64 when it
 * was an integer that fits, else a double that keeps its text. */
static json_object *jsonc_number(const ajwt_json_t *n)
{
    apr_int64_t i;

    if (ajwt_json_int64(&i, n)) {
        return json_object_new_int64(i);
    }
    return json_object_new_double_s(ajwt_json_double(n),
                                    ajwt_json_number_text(n));
}

START_TEST(test_compact_numbers_as_jsonc)
{
    const char *num = num_cases[_i].text;
    const char *doc = apr_psprintf(ajwt_test_pool, "{\"n\":%s,\"a\":[%s]}",
                                   num, num);
    const char *want = apr_psprintf(ajwt_test_pool, "{\"n\":%s,\"a\":[%s]}",
                                    num_cases[_i].json, num_cases[_i].json);
    const ajwt_json_t *o = must(doc);
    json_object *jo = json_object_new_object();
    json_object *ja = json_object_new_array();

    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, o, NULL), want);
    /* json-c objects made as the old parser made them */
    json_object_object_add(jo, "n", jsonc_number(ajwt_json_get(o, "n")));
    json_object_array_add(ja, jsonc_number(ajwt_json_get(o, "n")));
    json_object_object_add(jo, "a", ja);
    ck_assert_str_eq(jsonc_text(jo), want);
    /* the text as written is still there */
    ck_assert_str_eq(ajwt_json_number_text(ajwt_json_get(o, "n")), num);
}
END_TEST

START_TEST(test_compact_shapes)
{
    const char *deep = nested(AJWT_JSON_MAX_DEPTH);
    ajwt_json_t *b = ajwt_json_new_object(ajwt_test_pool);
    apr_size_t len;

    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, must("{}"), NULL),
                     "{}");
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, must(" { \"a\" : [ ] ,"
                                                            " \"b\" : { } } "),
                                       &len),
                     "{\"a\":[],\"b\":{}}");
    ck_assert_uint_eq(len, 15);
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, must(deep), NULL),
                     deep);
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool,
                                       must("{\"z\":null,\"t\":true,"
                                            "\"f\":false,\"o\":{\"x\":[null,"
                                            "{}]}}"),
                                       NULL),
                     "{\"z\":null,\"t\":true,\"f\":false,\"o\":{\"x\":[null,"
                     "{}]}}");
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, NULL, NULL), "null");
    /* built: a repeated name keeps its place with the new value */
    ajwt_json_set(b, ajwt_test_pool, "iss",
                  ajwt_json_new_string(ajwt_test_pool, "https://a/b"));
    ajwt_json_set(b, ajwt_test_pool, "n", ajwt_json_new_int64(ajwt_test_pool,
                                                              3));
    ajwt_json_set(b, ajwt_test_pool, "iss",
                  ajwt_json_new_string(ajwt_test_pool, "x"));
    ajwt_json_set(b, ajwt_test_pool, "e", ajwt_json_new_object(ajwt_test_pool));
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, b, NULL),
                     "{\"iss\":\"x\",\"n\":3,\"e\":{}}");
}
END_TEST

START_TEST(test_build_many_members)
{
    ajwt_json_t *b = ajwt_json_new_object(ajwt_test_pool);
    const ajwt_json_t *back;
    const char *text;
    apr_int64_t v;
    int i;

    for (i = 0; i < 100; i++) {
        ajwt_json_set(b, ajwt_test_pool,
                      apr_psprintf(ajwt_test_pool, "k%d", i),
                      ajwt_json_new_int64(ajwt_test_pool, i));
    }
    ck_assert_uint_eq(ajwt_json_count(b), 100);
    text = ajwt_json_compact(ajwt_test_pool, b, NULL);
    back = must(text);
    ck_assert_uint_eq(ajwt_json_count(back), 100);
    ck_assert(ajwt_json_int64(&v, ajwt_json_get(back, "k99")));
    ck_assert_int_eq(v, 99);
    ck_assert_str_eq(ajwt_json_compact(ajwt_test_pool, back, NULL), text);
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
    tcase_add_test(tc, test_accessors);
    tcase_add_loop_test(tc, test_compact_strings_as_jsonc, 0,
                        sizeof(str_cases) / sizeof(str_cases[0]));
    tcase_add_test(tc, test_compact_escapes_as_jsonc);
    tcase_add_loop_test(tc, test_compact_numbers_as_jsonc, 0,
                        sizeof(num_cases) / sizeof(num_cases[0]));
    tcase_add_test(tc, test_compact_shapes);
    tcase_add_test(tc, test_build_many_members);
    return tc;
}
