/* Licensed under the Apache License, Version 2.0. */

/*
 * Unit tests of ajwt_vcache: the verified-token cache. Hits only for the
 * same digest, scope and algorithm before the entry's end; bounded size;
 * a full set gives up the entry that dies first; many threads at once.
 */
#include <string.h>

#include "apr_thread_proc.h"

#include "ajwt_vcache.h"
#include "test_common.h"

#define SEC(n) ((apr_time_t)(n) * APR_USEC_PER_SEC)

static const int scope_a = 1, scope_b = 2; /* two key sets */

static void digest_of(unsigned char *d, const char *token)
{
    ajwt_err_t err;

    ck_assert_int_eq(ajwt_vcache_digest(d, token, strlen(token), &err),
                     APR_SUCCESS);
}

START_TEST(test_digest_is_sha256)
{
    /* SHA-256("abc"), FIPS 180-2 B.1 */
    static const unsigned char abc[32] = {
        0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
        0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
        0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad };
    unsigned char d[AJWT_VCACHE_DIGEST_LEN];

    digest_of(d, "abc");
    ck_assert_mem_eq(d, abc, 32);
}
END_TEST

START_TEST(test_hit_only_for_same_token_scope_alg)
{
    ajwt_vcache_t *c;
    unsigned char d[32], e[32];

    ck_assert_int_eq(ajwt_vcache_create(&c, ajwt_test_pool, 64), APR_SUCCESS);
    digest_of(d, "header.payload.sig");
    digest_of(e, "header.payload.sig2");
    ck_assert(!ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(100)));
    ajwt_vcache_insert(c, d, &scope_a, 1, SEC(200), SEC(100));
    ck_assert(ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(100)));
    ck_assert(ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(200) - 1));
    /* another token, key set or algorithm: a miss */
    ck_assert(!ajwt_vcache_lookup(c, e, &scope_a, 1, SEC(100)));
    ck_assert(!ajwt_vcache_lookup(c, d, &scope_b, 1, SEC(100)));
    ck_assert(!ajwt_vcache_lookup(c, d, &scope_a, 2, SEC(100)));
    ck_assert(!ajwt_vcache_lookup(c, d, NULL, 1, SEC(100)));
}
END_TEST

START_TEST(test_never_outlives_exp)
{
    ajwt_vcache_t *c;
    unsigned char d[32];

    ck_assert_int_eq(ajwt_vcache_create(&c, ajwt_test_pool, 64), APR_SUCCESS);
    digest_of(d, "t");
    ajwt_vcache_insert(c, d, &scope_a, 1, SEC(200), SEC(100));
    ck_assert(!ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(200)));
    ck_assert(!ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(300)));
    /* an entry already dead is not stored at all */
    digest_of(d, "u");
    ajwt_vcache_insert(c, d, &scope_a, 1, SEC(100), SEC(100));
    ck_assert(!ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(50)));
}
END_TEST

START_TEST(test_bounded_and_evicts_first_to_die)
{
    ajwt_vcache_t *c;
    unsigned char d[32], keep[32];
    char tok[32];
    int i, hits = 0;

    ck_assert_int_eq(ajwt_vcache_create(&c, ajwt_test_pool, 64), APR_SUCCESS);
    ck_assert_uint_eq(ajwt_vcache_capacity(c), 64);
    /* a long-lived entry, then many short-lived ones */
    digest_of(keep, "long-lived");
    ajwt_vcache_insert(c, keep, &scope_a, 1, SEC(10000), SEC(100));
    for (i = 0; i < 5000; i++) {
        snprintf(tok, sizeof(tok), "tok-%d", i);
        digest_of(d, tok);
        ajwt_vcache_insert(c, d, &scope_a, 1, SEC(500 + i % 7), SEC(100));
    }
    ck_assert(ajwt_vcache_lookup(c, keep, &scope_a, 1, SEC(100)));
    for (i = 0; i < 5000; i++) {
        snprintf(tok, sizeof(tok), "tok-%d", i);
        digest_of(d, tok);
        hits += ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(100));
    }
    ck_assert_int_le(hits, 64);
    ck_assert_int_gt(hits, 0);
}
END_TEST

START_TEST(test_reinsert_updates)
{
    ajwt_vcache_t *c;
    unsigned char d[32];

    ck_assert_int_eq(ajwt_vcache_create(&c, ajwt_test_pool, 1), APR_SUCCESS);
    ck_assert_uint_ge(ajwt_vcache_capacity(c), 1);
    digest_of(d, "t");
    ajwt_vcache_insert(c, d, &scope_a, 1, SEC(200), SEC(100));
    ajwt_vcache_insert(c, d, &scope_a, 1, SEC(300), SEC(100));
    ck_assert(ajwt_vcache_lookup(c, d, &scope_a, 1, SEC(250)));
}
END_TEST

#if APR_HAS_THREADS
static ajwt_vcache_t *shared;

static void *APR_THREAD_FUNC hammer(apr_thread_t *t, void *data)
{
    unsigned char d[32];
    char tok[32];
    long n = (long)data;
    int i;

    for (i = 0; i < 20000; i++) {
        snprintf(tok, sizeof(tok), "t%ld-%d", n, i % 300);
        digest_of(d, tok);
        if (!ajwt_vcache_lookup(shared, d, &scope_a, 1, SEC(100))) {
            ajwt_vcache_insert(shared, d, &scope_a, 1, SEC(200), SEC(100));
        }
    }
    apr_thread_exit(t, APR_SUCCESS);
    return NULL;
}

START_TEST(test_threads)
{
    apr_thread_t *th[8];
    apr_status_t rv;
    unsigned char d[32];
    long i;

    ck_assert_int_eq(ajwt_vcache_create(&shared, ajwt_test_pool, 256),
                     APR_SUCCESS);
    for (i = 0; i < 8; i++) {
        ck_assert_int_eq(apr_thread_create(&th[i], NULL, hammer, (void *)i,
                                           ajwt_test_pool), APR_SUCCESS);
    }
    for (i = 0; i < 8; i++) {
        apr_thread_join(&rv, th[i]);
    }
    /* still consistent: an entry inserted now is found */
    digest_of(d, "after");
    ajwt_vcache_insert(shared, d, &scope_a, 1, SEC(200), SEC(100));
    ck_assert(ajwt_vcache_lookup(shared, d, &scope_a, 1, SEC(100)));
}
END_TEST
#endif

TCase *ajwt_vcache_tcase(void)
{
    TCase *tc = tcase_create("vcache");

    ajwt_test_add_fixture(tc);
    tcase_add_test(tc, test_digest_is_sha256);
    tcase_add_test(tc, test_hit_only_for_same_token_scope_alg);
    tcase_add_test(tc, test_never_outlives_exp);
    tcase_add_test(tc, test_bounded_and_evicts_first_to_die);
    tcase_add_test(tc, test_reinsert_updates);
#if APR_HAS_THREADS
    tcase_add_test(tc, test_threads);
#endif
    return tc;
}
