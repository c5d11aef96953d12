/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_b64url.c: strict base64url without padding (RFC 7515 §2) for tokens,
 * and a tolerant-of-alphabet, strict-of-content decoder for configured
 * secrets (standard or url alphabet, padded or not).
 * Pure layer: APR and the C library only.
 */
#include <string.h>

#include "apr_pools.h"
#include "apr_errno.h"

#include "ajwt_b64url.h"

static const char b64url_chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of c in the alphabet whose last two characters are c62 and c63,
 * or -1 when c is not in it. */
static int b64_value(unsigned char c, char c62, char c63)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }
    if (c == (unsigned char)c62) {
        return 62;
    }
    if (c == (unsigned char)c63) {
        return 63;
    }
    return -1;
}

const char *ajwt_b64url_encode(apr_pool_t *p, const unsigned char *data,
                               apr_size_t len)
{
    apr_size_t outlen = (len / 3) * 4 + ((len % 3) ? (len % 3) + 1 : 0);
    char *out = apr_palloc(p, outlen + 1);
    char *o = out;
    apr_size_t i;

    for (i = 0; i + 2 < len; i += 3) {
        unsigned long v = ((unsigned long)data[i] << 16) |
                          ((unsigned long)data[i + 1] << 8) | data[i + 2];
        *o++ = b64url_chars[(v >> 18) & 0x3f];
        *o++ = b64url_chars[(v >> 12) & 0x3f];
        *o++ = b64url_chars[(v >> 6) & 0x3f];
        *o++ = b64url_chars[v & 0x3f];
    }
    if (len - i == 1) {
        *o++ = b64url_chars[(data[i] >> 2) & 0x3f];
        *o++ = b64url_chars[(data[i] << 4) & 0x3f];
    }
    else if (len - i == 2) {
        unsigned long v = ((unsigned long)data[i] << 8) | data[i + 1];
        *o++ = b64url_chars[(v >> 10) & 0x3f];
        *o++ = b64url_chars[(v >> 4) & 0x3f];
        *o++ = b64url_chars[(v << 2) & 0x3f];
    }
    *o = '\0';
    return out;
}

/**
 * Decode inlen characters of unpadded base64 in the alphabet ending in
 * c62/c63, canonically: inlen % 4 != 1 and zero unused trailing bits.
 * @return APR_SUCCESS, or APR_EINVAL for any other input.
 */
static apr_status_t b64_decode_core(unsigned char **pdata, apr_size_t *plen,
                                    apr_pool_t *p, const char *in,
                                    apr_size_t inlen, char c62, char c63)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t rem = inlen % 4;
    apr_size_t outlen = (inlen / 4) * 3 + (rem ? rem - 1 : 0);
    unsigned char *out, *o;
    unsigned long acc = 0;
    apr_size_t i;
    int bits = 0;

    if (rem == 1) {
        return APR_EINVAL;
    }
    out = o = apr_palloc(p, outlen + 1);
    for (i = 0; i < inlen; i++) {
        int v = b64_value(s[i], c62, c63);
        if (v < 0) {
            return APR_EINVAL;
        }
        acc = ((acc << 6) | (unsigned long)v) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            *o++ = (unsigned char)((acc >> bits) & 0xff);
        }
    }
    /* Non-canonical: the bits left over after the last byte must be zero. */
    if (bits > 0 && (acc & ((1UL << bits) - 1)) != 0) {
        return APR_EINVAL;
    }
    *o = '\0';
    *pdata = out;
    *plen = outlen;
    return APR_SUCCESS;
}

apr_status_t ajwt_b64url_decode(unsigned char **pdata, apr_size_t *plen,
                                apr_pool_t *p, const char *in, apr_size_t inlen)
{
    return b64_decode_core(pdata, plen, p, in, inlen, '-', '_');
}

apr_status_t ajwt_b64_decode_any(unsigned char **pdata, apr_size_t *plen,
                                 apr_pool_t *p, const char *in)
{
    apr_size_t len = strlen(in);
    apr_size_t unpadded = len;
    int has_std = strpbrk(in, "+/") != NULL;
    int has_url = strpbrk(in, "-_") != NULL;

    if (has_std && has_url) {
        return APR_EINVAL;
    }
    while (unpadded > 0 && in[unpadded - 1] == '=' && len - unpadded < 2) {
        unpadded--;
    }
    if (unpadded < len && len % 4 != 0) {
        return APR_EINVAL; /* padding present but not to a full quantum */
    }
    if (has_std) {
        return b64_decode_core(pdata, plen, p, in, unpadded, '+', '/');
    }
    return b64_decode_core(pdata, plen, p, in, unpadded, '-', '_');
}
