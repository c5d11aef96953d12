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

/* The value of each byte in the url (RFC 4648 §5) and the standard (§4)
 * alphabets; XX for a byte outside them (the high bit set: one test per
 * four characters finds it). */
#define XX 0xff
static const unsigned char b64url_values[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 0x3e, XX, XX,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, XX, XX, XX, XX, XX, XX,
    XX, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, XX, XX, XX, XX, 0x3f,
    XX, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
static const unsigned char b64std_values[256] = {
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, 0x3e, XX, XX, XX, 0x3f,
    0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x3a, 0x3b, 0x3c, 0x3d, XX, XX, XX, XX, XX, XX,
    XX, 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, XX, XX, XX, XX, XX,
    XX, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28,
    0x29, 0x2a, 0x2b, 0x2c, 0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
    XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX, XX,
};
#undef XX

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
 * Decode inlen characters of unpadded base64 by the value table vals,
 * canonically: inlen % 4 != 1 and zero unused trailing bits. Four
 * characters at a time: on the verify path of every request.
 * @return APR_SUCCESS, or APR_EINVAL for any other input.
 */
static apr_status_t b64_decode_core(unsigned char **pdata, apr_size_t *plen,
                                    apr_pool_t *p, const char *in,
                                    apr_size_t inlen,
                                    const unsigned char *vals)
{
    const unsigned char *s = (const unsigned char *)in;
    apr_size_t rem = inlen % 4;
    apr_size_t outlen = (inlen / 4) * 3 + (rem ? rem - 1 : 0);
    const unsigned char *end = s + (inlen - rem);
    unsigned char *out, *o;
    unsigned int a, b, c, d;

    if (rem == 1) {
        return APR_EINVAL;
    }
    out = o = apr_palloc(p, outlen + 1);
    for (; s < end; s += 4) {
        a = vals[s[0]];
        b = vals[s[1]];
        c = vals[s[2]];
        d = vals[s[3]];
        if ((a | b | c | d) & 0x80) {
            return APR_EINVAL;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
        *o++ = (unsigned char)((b << 4) | (c >> 2));
        *o++ = (unsigned char)((c << 6) | d);
    }
    if (rem) {
        a = vals[s[0]];
        b = vals[s[1]];
        c = rem == 3 ? vals[s[2]] : 0;
        if ((a | b | c) & 0x80) {
            return APR_EINVAL;
        }
        *o++ = (unsigned char)((a << 2) | (b >> 4));
        if (rem == 3) {
            *o++ = (unsigned char)((b << 4) | (c >> 2));
        }
        /* Non-canonical: the bits after the last byte must be zero. */
        if (rem == 2 ? (b & 0x0f) != 0 : (c & 0x03) != 0) {
            return APR_EINVAL;
        }
    }
    *o = '\0';
    *pdata = out;
    *plen = outlen;
    return APR_SUCCESS;
}

apr_status_t ajwt_b64url_decode(unsigned char **pdata, apr_size_t *plen,
                                apr_pool_t *p, const char *in, apr_size_t inlen)
{
    return b64_decode_core(pdata, plen, p, in, inlen, b64url_values);
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
        return b64_decode_core(pdata, plen, p, in, unpadded, b64std_values);
    }
    return b64_decode_core(pdata, plen, p, in, unpadded, b64url_values);
}
