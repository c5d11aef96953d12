/* Licensed under the Apache License, Version 2.0. */

/* One Suite of all the pure layers' test cases. Check forks per test, so a
 * crash in a parser is one failure, not a dead run (CK_FORK=no for gdb and
 * valgrind). */
#include <stdio.h>
#include <stdlib.h>

#include "apr_general.h"
#include "apr_file_io.h"
#include "apr_strings.h"

#include "ajwt_key.h"
#include "test_common.h"

apr_pool_t *ajwt_test_pool;

static void pool_setup(void)
{
    ck_assert_int_eq(apr_pool_create(&ajwt_test_pool, NULL), APR_SUCCESS);
}

static void pool_teardown(void)
{
    apr_pool_destroy(ajwt_test_pool);
    ajwt_test_pool = NULL;
}

void ajwt_test_add_fixture(TCase *tc)
{
    tcase_add_checked_fixture(tc, pool_setup, pool_teardown);
}

const char *ajwt_test_read_vector(const char *relpath, apr_size_t *plen)
{
    const char *path = apr_pstrcat(ajwt_test_pool, AJWT_TESTVECTORS, "/",
                                   relpath, NULL);
    apr_file_t *f;
    apr_finfo_t fi;
    char *buf;
    apr_size_t n;

    ck_assert_msg(apr_file_open(&f, path, APR_FOPEN_READ, 0, ajwt_test_pool)
                      == APR_SUCCESS, "cannot open %s", path);
    ck_assert_int_eq(apr_file_info_get(&fi, APR_FINFO_SIZE, f), APR_SUCCESS);
    n = (apr_size_t)fi.size;
    buf = apr_palloc(ajwt_test_pool, n + 1);
    ck_assert_int_eq(apr_file_read_full(f, buf, n, NULL), APR_SUCCESS);
    buf[n] = '\0';
    apr_file_close(f);
    if (plen) {
        *plen = n;
    }
    return buf;
}

int main(void)
{
    Suite *s;
    SRunner *sr;
    int failed;
    ajwt_err_t err;

    apr_initialize();
    atexit(apr_terminate);
    if (ajwt_crypto_init(&err) != APR_SUCCESS) {
        fprintf(stderr, "crypto init: %s\n", err.text);
        return 2;
    }
    s = suite_create("mod_auth_jwt pure layers");
    suite_add_tcase(s, ajwt_b64url_tcase());
    suite_add_tcase(s, ajwt_json_tcase());
    suite_add_tcase(s, ajwt_key_tcase());
    suite_add_tcase(s, ajwt_jws_tcase());
    suite_add_tcase(s, ajwt_vectors_tcase());
    suite_add_tcase(s, ajwt_claims_tcase());
    suite_add_tcase(s, ajwt_token_tcase());
    suite_add_tcase(s, ajwt_url_tcase());
    suite_add_tcase(s, ajwt_vcache_tcase());
    suite_add_tcase(s, ajwt_jwk_tcase());
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
