/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_b64url.h: base64url without padding (RFC 7515 §2, RFC 4648 §5), strict.
 * Pure layer: APR only.
 */
#ifndef AJWT_B64URL_H
#define AJWT_B64URL_H

#include "apr_pools.h"

/**
 * Encode len bytes as unpadded base64url. Returns a NUL-terminated string
 * allocated from p (the empty string for len 0).
 */
const char *ajwt_b64url_encode(apr_pool_t *p, const unsigned char *data,
                               apr_size_t len);

/**
 * Strictly decode unpadded base64url: only A-Z a-z 0-9 '-' '_', no '=',
 * no whitespace, inlen % 4 != 1, and the unused trailing bits must be zero
 * (canonical encoding only). The output is NUL-terminated for convenience
 * (the NUL is not counted in *plen).
 * @return APR_SUCCESS, or APR_EINVAL for any non-canonical input.
 */
apr_status_t ajwt_b64url_decode(unsigned char **pdata, apr_size_t *plen,
                                apr_pool_t *p, const char *in,
                                apr_size_t inlen);

/**
 * Decode a configuration secret given as standard base64 or base64url,
 * with or without '=' padding (RFC 4648 §4 and §5; the two alphabets may not
 * be mixed). Surrounding whitespace is not allowed.
 * @return APR_SUCCESS, or APR_EINVAL when the text is not valid base64.
 */
apr_status_t ajwt_b64_decode_any(unsigned char **pdata, apr_size_t *plen,
                                 apr_pool_t *p, const char *in);

#endif /* AJWT_B64URL_H */
