/* Licensed under the Apache License, Version 2.0. */

/*
 * Unit tests of the pure layers (Check). Each test_<area>.c exports one
 * TCase constructor, registered in main.c. Every test gets a fresh APR pool
 * from the checked fixture (ajwt_test_pool).
 */
#ifndef AJWT_TEST_COMMON_H
#define AJWT_TEST_COMMON_H

#include <check.h>

#include "apr_pools.h"

#ifndef AJWT_TESTVECTORS
#define AJWT_TESTVECTORS "tests/unit/vectors"
#endif

/** The pool of the running test (created/destroyed by the fixture). */
extern apr_pool_t *ajwt_test_pool;

/** Add the per-test pool fixture to tc. */
void ajwt_test_add_fixture(TCase *tc);

/** Read a whole file under AJWT_TESTVECTORS into the test pool (NUL-terminated). */
const char *ajwt_test_read_vector(const char *relpath, apr_size_t *plen);

TCase *ajwt_b64url_tcase(void);
TCase *ajwt_json_tcase(void);
TCase *ajwt_key_tcase(void);
TCase *ajwt_jws_tcase(void);
TCase *ajwt_vectors_tcase(void);
TCase *ajwt_claims_tcase(void);
TCase *ajwt_token_tcase(void);
TCase *ajwt_url_tcase(void);
TCase *ajwt_vcache_tcase(void);
TCase *ajwt_jwk_tcase(void);

#endif /* AJWT_TEST_COMMON_H */
