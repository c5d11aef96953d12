/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_json.h: strict JSON for JOSE over json-c. json-c alone accepts
 * duplicate member names (last wins) and some non-standard input; JWT
 * headers and claims must not (RFC 7515 §5.2, RFC 8725 §3.9), so the text is
 * first checked by a small validating scanner and then handed to json-c.
 * Every json_object returned here is owned by the pool it was parsed into
 * (a cleanup drops the reference), in mod_md's md_json manner.
 * Pure layer: APR and json-c only.
 */
#ifndef AJWT_JSON_H
#define AJWT_JSON_H

#include <json-c/json.h>

#include "apr_pools.h"
#include "ajwt_err.h"

/** Maximum nesting depth of objects and arrays accepted by the parser. */
#define AJWT_JSON_MAX_DEPTH 16

/**
 * Parse len bytes as exactly one JSON object, strictly: RFC 8259 grammar only,
 * valid UTF-8, no NUL bytes (not even as \u0000), no duplicate member names
 * in any object, nesting at most AJWT_JSON_MAX_DEPTH, nothing but whitespace
 * after the object. The object is released when p is cleared.
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_MALFORMED (err->text names the
 *         reason); APR_EGENERAL with AJWT_E_INTERNAL on allocation failure.
 */
apr_status_t ajwt_json_parse_object(json_object **pobj, apr_pool_t *p,
                                    const char *text, apr_size_t len,
                                    ajwt_err_t *err);

/** Tie obj's reference to p: json_object_put(obj) runs when p is cleared. */
void ajwt_json_pool_own(apr_pool_t *p, json_object *obj);

/** Compact serialisation of obj (no spaces, '/' not escaped), copied into p. */
const char *ajwt_json_compact(apr_pool_t *p, json_object *obj);

#endif /* AJWT_JSON_H */
