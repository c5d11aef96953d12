/* Licensed under the Apache License, Version 2.0. */

/*
 * Keys: the algorithm table, secrets, PEM loading policy, ajwt_key_fits.
 * Also the test key factory shared with test_jws.c and test_vectors.c
 * (ajwt_test_pem, ajwt_test_key): keys are generated once per process, in
 * an unchecked fixture, so the forked tests inherit them.
 */
#include <string.h>

#include <openssl/bio.h>
#include <openssl/encoder.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "apr_strings.h"

#include "ajwt_key.h"
#include "test_common.h"

/* Shared with the other test files (declared there). */
void ajwt_test_keys_init(void);
const char *ajwt_test_pem(const char *type, const char *form);
ajwt_key_t *ajwt_test_key(const char *type, int want_private, const char *kid);

typedef struct {
    const char *type;  /* "RSA2048", "P-256", "ED25519", ... */
    const char *algo;  /* EVP_PKEY_Q_keygen algorithm */
    const char *param; /* curve name, or NULL for RSA bits */
    size_t bits;
    EVP_PKEY *pkey;
} test_keydef_t;

static test_keydef_t test_keys[] = {
    {"RSA2048", "RSA", NULL, 2048, NULL},
    {"RSA2048b", "RSA", NULL, 2048, NULL},
    {"RSA1024", "RSA", NULL, 1024, NULL},
    {"P-256", "EC", "P-256", 0, NULL},
    {"P-256b", "EC", "P-256", 0, NULL},
    {"P-384", "EC", "P-384", 0, NULL},
    {"P-521", "EC", "P-521", 0, NULL},
    {"secp256k1", "EC", "secp256k1", 0, NULL},
    {"ED25519", "ED25519", NULL, 0, NULL},
    {"ED448", "ED448", NULL, 0, NULL},
};

#define N_TEST_KEYS (sizeof(test_keys) / sizeof(test_keys[0]))

void ajwt_test_keys_init(void)
{
    apr_size_t i;

    for (i = 0; i < N_TEST_KEYS; i++) {
        test_keydef_t *k = &test_keys[i];
        if (k->pkey) {
            continue;
        }
        if (k->param) {
            k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, k->algo, k->param);
        }
        else if (k->bits) {
            k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, k->algo, k->bits);
        }
        else {
            k->pkey = EVP_PKEY_Q_keygen(NULL, NULL, k->algo);
        }
        ck_assert_msg(k->pkey != NULL, "keygen %s", k->type);
    }
}

static EVP_PKEY *test_pkey(const char *type)
{
    apr_size_t i;

    ajwt_test_keys_init();
    for (i = 0; i < N_TEST_KEYS; i++) {
        if (!strcmp(test_keys[i].type, type)) {
            return test_keys[i].pkey;
        }
    }
    ck_abort_msg("no test key %s", type);
    return NULL;
}

/* A self-signed certificate for pkey, as PEM into bio. */
static int write_cert(BIO *bio, EVP_PKEY *pkey)
{
    X509 *x = X509_new();
    int ok =
        x && X509_set_version(x, 2) &&
        ASN1_INTEGER_set(X509_get_serialNumber(x), 1) &&
        X509_gmtime_adj(X509_getm_notBefore(x), 0) &&
        X509_gmtime_adj(X509_getm_notAfter(x), 3600) &&
        X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
                                   (const unsigned char *)"test", -1, -1, 0) &&
        X509_set_issuer_name(x, X509_get_subject_name(x)) &&
        X509_set_pubkey(x, pkey) &&
        X509_sign(x, pkey,
                  EVP_PKEY_get_base_id(pkey) == EVP_PKEY_ED25519
                      ? NULL
                      : EVP_sha256()) &&
        PEM_write_bio_X509(bio, x);

    X509_free(x);
    return ok;
}

/* PEM of one key via an encoder with the given structure. */
static int write_encoded(BIO *bio, EVP_PKEY *pkey, int selection,
                         const char *structure)
{
    OSSL_ENCODER_CTX *ctx =
        OSSL_ENCODER_CTX_new_for_pkey(pkey, selection, "PEM", structure, NULL);
    int ok = ctx && OSSL_ENCODER_CTX_get_num_encoders(ctx) > 0 &&
             OSSL_ENCODER_to_bio(ctx, bio);

    OSSL_ENCODER_CTX_free(ctx);
    return ok;
}

/**
 * PEM text of a test key in the test pool. form: "pub" (PUBLIC KEY),
 * "rsapub" (RSA PUBLIC KEY), "cert" (CERTIFICATE), "priv" (PKCS#8),
 * "trad" (RSA/EC PRIVATE KEY), "encrypted" (ENCRYPTED PRIVATE KEY).
 */
const char *ajwt_test_pem(const char *type, const char *form)
{
    EVP_PKEY *pkey = test_pkey(type);
    BIO *bio = BIO_new(BIO_s_mem());
    char *data;
    long n;
    int ok = 0;
    const char *res;

    if (!strcmp(form, "pub")) {
        ok = PEM_write_bio_PUBKEY(bio, pkey);
    }
    else if (!strcmp(form, "rsapub")) {
        ok = write_encoded(bio, pkey, EVP_PKEY_PUBLIC_KEY, "type-specific");
    }
    else if (!strcmp(form, "cert")) {
        ok = write_cert(bio, pkey);
    }
    else if (!strcmp(form, "priv")) {
        ok = PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0, NULL, NULL);
    }
    else if (!strcmp(form, "trad")) {
        ok = PEM_write_bio_PrivateKey_traditional(bio, pkey, NULL, NULL, 0,
                                                  NULL, NULL);
    }
    else if (!strcmp(form, "encrypted")) {
        ok = PEM_write_bio_PKCS8PrivateKey(bio, pkey, EVP_aes_128_cbc(), "pw",
                                           2, NULL, NULL);
    }
    ck_assert_msg(ok, "cannot write %s as %s", type, form);
    n = BIO_get_mem_data(bio, &data);
    res = apr_pstrmemdup(ajwt_test_pool, data, (apr_size_t)n);
    BIO_free(bio);
    return res;
}

/** Load a test key through ajwt_key_from_pem (public or PKCS#8 private). */
ajwt_key_t *ajwt_test_key(const char *type, int want_private, const char *kid)
{
    const char *pem = ajwt_test_pem(type, want_private ? "priv" : "pub");
    ajwt_key_t *key = NULL;
    ajwt_err_t err;

    ck_assert_msg(ajwt_key_from_pem(&key, ajwt_test_pool, pem, strlen(pem),
                                    want_private, kid, &err) == APR_SUCCESS,
                  "load %s: %s", type, err.text);
    return key;
}

/* Load pem; return the status, and the key in *pkey. */
static apr_status_t load(ajwt_key_t **pkey, const char *pem, int priv,
                         ajwt_err_t *err)
{
    ajwt_err_clear(err);
    return ajwt_key_from_pem(pkey, ajwt_test_pool, pem, strlen(pem), priv, NULL,
                             err);
}

START_TEST(test_alg_names)
{
    static const char *names[] = {"HS256", "HS384", "HS512", "RS256", "RS384",
                                  "RS512", "PS256", "PS384", "PS512", "ES256",
                                  "ES384", "ES512", "EdDSA"};
    apr_size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        ajwt_alg_e alg = ajwt_alg_from_name(names[i]);
        ck_assert_int_ne(alg, AJWT_ALG_UNKNOWN);
        ck_assert_str_eq(ajwt_alg_name(alg), names[i]);
    }
    ck_assert_int_eq(ajwt_alg_from_name("none"), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name("None"), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name("hs256"), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name("HS256 "), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name("EDDSA"), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name("Ed25519"), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name(""), AJWT_ALG_UNKNOWN);
    ck_assert_int_eq(ajwt_alg_from_name(NULL), AJWT_ALG_UNKNOWN);
    ck_assert_ptr_null(ajwt_alg_name(AJWT_ALG_UNKNOWN));
    ck_assert_ptr_null(ajwt_alg_name((ajwt_alg_e)99));
}
END_TEST

START_TEST(test_alg_properties)
{
    ck_assert_int_eq(ajwt_alg_kty(AJWT_ALG_HS384), AJWT_KTY_OCT);
    ck_assert_int_eq(ajwt_alg_kty(AJWT_ALG_PS256), AJWT_KTY_RSA);
    ck_assert_int_eq(ajwt_alg_kty(AJWT_ALG_ES512), AJWT_KTY_EC);
    ck_assert_int_eq(ajwt_alg_kty(AJWT_ALG_EDDSA), AJWT_KTY_OKP);
    ck_assert_uint_eq(ajwt_alg_hash_len(AJWT_ALG_HS256), 32);
    ck_assert_uint_eq(ajwt_alg_hash_len(AJWT_ALG_RS384), 48);
    ck_assert_uint_eq(ajwt_alg_hash_len(AJWT_ALG_ES512), 64);
    ck_assert_uint_eq(ajwt_alg_hash_len(AJWT_ALG_EDDSA), 0);
    ck_assert_ptr_null(ajwt_alg_md(AJWT_ALG_EDDSA));
    ck_assert_ptr_null(ajwt_alg_md(AJWT_ALG_UNKNOWN));
    ck_assert_int_eq(EVP_MD_get_size(ajwt_alg_md(AJWT_ALG_PS512)), 64);
    ck_assert_int_eq(EVP_MD_get_size(ajwt_alg_md(AJWT_ALG_ES256)), 32);
    ck_assert_int_eq(ajwt_crypto_init(NULL), APR_SUCCESS); /* idempotent */
}
END_TEST

START_TEST(test_secret_fits)
{
    unsigned char s[64];
    ajwt_key_t *k;
    ajwt_err_t err;

    memset(s, 'x', sizeof(s));
    ck_assert_int_eq(
        ajwt_key_from_secret(&k, ajwt_test_pool, s, 31, "k1", &err),
        APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_OCT);
    ck_assert_str_eq(k->kid, "k1");
    ck_assert_ptr_ne(k->secret, s); /* copied */
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS256, &err), APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ajwt_key_from_secret(&k, ajwt_test_pool, s, 32, NULL, &err);
    ck_assert_ptr_null(k->kid);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS256, &err), APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS384, &err), APR_EINVAL);
    ajwt_key_from_secret(&k, ajwt_test_pool, s, 48, NULL, &err);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS384, &err), APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS512, &err), APR_EINVAL);
    ajwt_key_from_secret(&k, ajwt_test_pool, s, 64, NULL, &err);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS512, &err), APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_RS256, &err), APR_EINVAL);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_UNKNOWN, &err), APR_EINVAL);
    ck_assert_int_eq(
        ajwt_key_from_secret(&k, ajwt_test_pool, NULL, 0, NULL, &err),
        APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_fits(k, AJWT_ALG_HS256, &err), APR_EINVAL);
}
END_TEST

START_TEST(test_pem_public_forms)
{
    ajwt_key_t *k;
    ajwt_err_t err;

    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "pub"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_RSA);
    ck_assert_int_eq(k->bits, 2048);
    ck_assert_int_eq(k->is_private, 0);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "rsapub"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_RSA);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "cert"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_RSA);
    ck_assert_int_eq(load(&k, ajwt_test_pem("P-384", "cert"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->curve_nid, NID_secp384r1);
    ck_assert_int_eq(load(&k, ajwt_test_pem("ED25519", "pub"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_OKP);
}
END_TEST

START_TEST(test_pem_curves)
{
    ajwt_key_t *k;
    ajwt_err_t err;

    ck_assert_int_eq(load(&k, ajwt_test_pem("P-256", "pub"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_EC);
    ck_assert_int_eq(k->curve_nid, NID_X9_62_prime256v1);
    ck_assert_int_eq(k->bits, 256);
    ck_assert_int_eq(load(&k, ajwt_test_pem("P-521", "pub"), 0, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->curve_nid, NID_secp521r1);
    ck_assert_int_eq(load(&k, ajwt_test_pem("secp256k1", "pub"), 0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ck_assert_ptr_null(k);
    ck_assert_int_eq(load(&k, ajwt_test_pem("ED448", "pub"), 0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA1024", "pub"), 0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ck_assert_ptr_nonnull(strstr(err.text, "1024"));
}
END_TEST

START_TEST(test_pem_private_forms)
{
    ajwt_key_t *k;
    ajwt_err_t err;

    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "priv"), 1, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->is_private, 1);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "trad"), 1, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_RSA);
    ck_assert_int_eq(load(&k, ajwt_test_pem("P-256", "trad"), 1, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(k->curve_nid, NID_X9_62_prime256v1);
    ck_assert_int_eq(load(&k, ajwt_test_pem("ED25519", "priv"), 1, &err),
                     APR_SUCCESS);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA1024", "priv"), 1, &err),
                     APR_EINVAL);
    ck_assert_int_eq(load(&k, ajwt_test_pem("P-256", "encrypted"), 1, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
}
END_TEST

START_TEST(test_pem_ec_parameters_block)
{
    const char *pem =
        apr_pstrcat(ajwt_test_pool,
                    "-----BEGIN EC PARAMETERS-----\nBggqhkjOPQMBBw==\n"
                    "-----END EC PARAMETERS-----\n",
                    ajwt_test_pem("P-256", "trad"), NULL);
    ajwt_key_t *k;
    ajwt_err_t err;

    ck_assert_int_eq(load(&k, pem, 1, &err), APR_SUCCESS);
    ck_assert_int_eq(k->kty, AJWT_KTY_EC);
}
END_TEST

START_TEST(test_pem_wrong_kind)
{
    ajwt_key_t *k;
    ajwt_err_t err;

    /* A private key PEM where a public key is wanted, and vice versa. */
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "priv"), 0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ck_assert_int_eq(load(&k, ajwt_test_pem("P-256", "trad"), 0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "pub"), 1, &err),
                     APR_EINVAL);
    ck_assert_int_eq(load(&k, ajwt_test_pem("RSA2048", "cert"), 1, &err),
                     APR_EINVAL);
    ck_assert_int_eq(load(&k, "", 0, &err), APR_EINVAL);
    ck_assert_int_eq(load(&k, "not a key", 0, &err), APR_EINVAL);
    ck_assert_int_eq(load(&k,
                          "-----BEGIN PUBLIC KEY-----\nAAAA\n"
                          "-----END PUBLIC KEY-----\n",
                          0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
}
END_TEST

/* An Ed25519 public key that is a point of order 8: refused at load. */
START_TEST(test_pem_ed25519_small_order)
{
    ajwt_key_t *k;
    ajwt_err_t err;

    ck_assert_int_eq(load(&k,
                          "-----BEGIN PUBLIC KEY-----\n"
                          "MCowBQYDK2VwAyEAJuiVj8KyJ7BFw/SJ8u+Y8NXfrAXTxjM5sTgCiG1T/AU=\n"
                          "-----END PUBLIC KEY-----\n",
                          0, &err),
                     APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ck_assert_ptr_nonnull(strstr(err.text, "small order"));
    /* a genuine one still loads */
    ck_assert_int_eq(load(&k, ajwt_test_pem("ED25519", "pub"), 0, &err),
                     APR_SUCCESS);
}
END_TEST

/* HMAC secrets from configuration: 32 bytes at least, never PEM text. */
START_TEST(test_secret_policy)
{
    static const char pem[] = "  -----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B\n";
    unsigned char s[64];
    ajwt_err_t err;

    memset(s, 'k', sizeof(s));
    ck_assert_int_eq(ajwt_key_check_secret(s, 31, &err), APR_EINVAL);
    ck_assert_int_eq(err.code, AJWT_E_KEY);
    ck_assert_int_eq(ajwt_key_check_secret(s, 32, &err), APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_check_secret((const unsigned char *)pem,
                                           sizeof(pem) - 1, &err),
                     APR_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.text, "PEM"));
}
END_TEST

START_TEST(test_fits_matrix)
{
    ajwt_key_t *rsa = ajwt_test_key("RSA2048", 0, NULL);
    ajwt_key_t *p256 = ajwt_test_key("P-256", 0, NULL);
    ajwt_key_t *p384 = ajwt_test_key("P-384", 0, NULL);
    ajwt_key_t *p521 = ajwt_test_key("P-521", 0, NULL);
    ajwt_key_t *ed = ajwt_test_key("ED25519", 0, NULL);
    ajwt_err_t err;
    int a;

    for (a = AJWT_ALG_HS256; a <= AJWT_ALG_EDDSA; a++) {
        int rs = a >= AJWT_ALG_RS256 && a <= AJWT_ALG_PS512;
        ck_assert_int_eq(ajwt_key_fits(rsa, a, &err) == APR_SUCCESS, rs);
        ck_assert_int_eq(ajwt_key_fits(p256, a, &err) == APR_SUCCESS,
                         a == AJWT_ALG_ES256);
        ck_assert_int_eq(ajwt_key_fits(p384, a, &err) == APR_SUCCESS,
                         a == AJWT_ALG_ES384);
        ck_assert_int_eq(ajwt_key_fits(p521, a, &err) == APR_SUCCESS,
                         a == AJWT_ALG_ES512);
        ck_assert_int_eq(ajwt_key_fits(ed, a, &err) == APR_SUCCESS,
                         a == AJWT_ALG_EDDSA);
    }
    ck_assert_int_eq(ajwt_key_fits(NULL, AJWT_ALG_RS256, &err), APR_EINVAL);
}
END_TEST

START_TEST(test_pool_cleanup)
{
    apr_pool_t *sub;
    ajwt_key_t *k;
    ajwt_err_t err;
    const char *pem = ajwt_test_pem("P-256", "priv");

    apr_pool_create(&sub, ajwt_test_pool);
    ck_assert_int_eq(ajwt_key_from_pem(&k, sub, pem, strlen(pem), 1, "x", &err),
                     APR_SUCCESS);
    apr_pool_destroy(sub); /* EVP_PKEY freed: checked by LeakSanitizer */
}
END_TEST

START_TEST(test_same)
{
    ajwt_key_t *priv = ajwt_test_key("P-256", 1, NULL);
    ajwt_key_t *pub = ajwt_test_key("P-256", 0, "k1");
    ajwt_key_t *other = ajwt_test_key("P-256b", 0, NULL);
    ajwt_key_t *s1, *s2, *s3;
    static const unsigned char a[32] = "0123456789abcdef0123456789abcdef";
    static const unsigned char b[32] = "0123456789abcdef0123456789abcdeF";

    ck_assert_int_eq(ajwt_key_same(priv, pub), 1); /* kid is not material */
    ck_assert_int_eq(ajwt_key_same(pub, priv), 1);
    ck_assert_int_eq(ajwt_key_same(pub, other), 0);
    ck_assert_int_eq(ajwt_key_same(pub, ajwt_test_key("RSA2048", 0, NULL)), 0);
    ck_assert_int_eq(ajwt_key_from_secret(&s1, ajwt_test_pool, a, 32, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_from_secret(&s2, ajwt_test_pool, a, 32, "x", NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_from_secret(&s3, ajwt_test_pool, b, 32, NULL, NULL),
                     APR_SUCCESS);
    ck_assert_int_eq(ajwt_key_same(s1, s2), 1);
    ck_assert_int_eq(ajwt_key_same(s1, s3), 0);
    ck_assert_int_eq(ajwt_key_same(s1, pub), 0);
}
END_TEST

TCase *ajwt_key_tcase(void)
{
    TCase *tc = tcase_create("key");

    tcase_add_unchecked_fixture(tc, ajwt_test_keys_init, NULL);
    ajwt_test_add_fixture(tc);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_alg_names);
    tcase_add_test(tc, test_alg_properties);
    tcase_add_test(tc, test_secret_fits);
    tcase_add_test(tc, test_pem_public_forms);
    tcase_add_test(tc, test_pem_curves);
    tcase_add_test(tc, test_pem_private_forms);
    tcase_add_test(tc, test_pem_ec_parameters_block);
    tcase_add_test(tc, test_pem_wrong_kind);
    tcase_add_test(tc, test_pem_ed25519_small_order);
    tcase_add_test(tc, test_secret_policy);
    tcase_add_test(tc, test_fits_matrix);
    tcase_add_test(tc, test_pool_cleanup);
    tcase_add_test(tc, test_same);
    return tc;
}
