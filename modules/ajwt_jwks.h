/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_jwks.h: jwt-jwks-handler (contract §6): the verification keys of
 * the location's context as a JWK Set (RFC 7517 §5), public members only.
 * Glue layer: APR, httpd.
 */
#ifndef AJWT_JWKS_H
#define AJWT_JWKS_H

#include "httpd.h"

#define AJWT_HANDLER_JWKS "jwt-jwks-handler"

/**
 * The handler hook for jwt-jwks-handler: GET (and HEAD) answer 200 with
 * {"keys": [...]}, Content-Type application/jwk-set+json: every RSA, EC
 * and Ed25519 verification key of the context that fits its algorithm,
 * with "kid" (the configured one, else the RFC 7638 thumbprint), "use":
 * "sig" and "alg". HMAC secrets are never published (a context with only a
 * secret answers {"keys":[]}). Other methods: 405 with Allow.
 * @return DECLINED for other handlers.
 */
int ajwt_jwks_handler(request_rec *r);

#endif /* AJWT_JWKS_H */
