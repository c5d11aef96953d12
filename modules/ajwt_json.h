/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_json.h: strict JSON for JOSE, as a value tree that lives entirely in
 * an APR pool. Parsing refuses what JWT headers and claims must not contain
 * (duplicate member names, RFC 7515 §5.2 and RFC 8725 §3.9; anything outside
 * RFC 8259; invalid UTF-8); every node, string and member array is allocated
 * from the pool it is parsed or built into, so nothing is malloc'd and
 * nothing needs a cleanup: the tree goes when the pool is cleared.
 * The compact serialiser writes what json-c 0.16 wrote with
 * JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE, byte for byte,
 * so exported claims and issued tokens are unchanged.
 * Pure layer: APR only.
 */
#ifndef AJWT_JSON_H
#define AJWT_JSON_H

#include "apr_pools.h"
#include "ajwt_err.h"

/** Maximum nesting depth of objects and arrays accepted by the parser. */
#define AJWT_JSON_MAX_DEPTH 16

typedef enum {
    AJWT_JSON_NULL = 0,
    AJWT_JSON_BOOL,
    AJWT_JSON_NUMBER,
    AJWT_JSON_STRING,
    AJWT_JSON_ARRAY,
    AJWT_JSON_OBJECT
} ajwt_json_type_e;

/** A JSON value; opaque, read through the accessors below. */
typedef struct ajwt_json ajwt_json_t;

/**
 * Parse len bytes as exactly one JSON object, strictly: RFC 8259 grammar only,
 * valid UTF-8, no NUL bytes (not even as \u0000), no duplicate member names
 * in any object, nesting at most AJWT_JSON_MAX_DEPTH, nothing but whitespace
 * after the object. The tree is allocated from p (and only from p); members
 * keep document order.
 * @return APR_SUCCESS; APR_EINVAL with AJWT_E_MALFORMED (err->text names the
 *         reason; *pobj is NULL).
 */
apr_status_t ajwt_json_parse_object(const ajwt_json_t **pobj, apr_pool_t *p,
                                    const char *text, apr_size_t len,
                                    ajwt_err_t *err);

/* ---- reading; every accessor accepts NULL and then answers "absent" ---- */

/** The type of v; AJWT_JSON_NULL for v == NULL. */
ajwt_json_type_e ajwt_json_type(const ajwt_json_t *v);

/** Is v of type t? (v NULL is of no type, not even AJWT_JSON_NULL.) */
int ajwt_json_is(const ajwt_json_t *v, ajwt_json_type_e t);

/**
 * The member of object obj named name (NUL-terminated), or NULL when absent
 * or obj is not an object. A member whose value is JSON null is present:
 * the result is a node of type AJWT_JSON_NULL.
 */
const ajwt_json_t *ajwt_json_get(const ajwt_json_t *obj, const char *name);

/** ajwt_json_get with a name of len bytes (need not be NUL-terminated). */
const ajwt_json_t *ajwt_json_get_n(const ajwt_json_t *obj, const char *name,
                                   apr_size_t len);

/** Members of an object or items of an array; 0 for any other value. */
apr_size_t ajwt_json_count(const ajwt_json_t *v);

/**
 * Member i (in document order) of object obj: its value, with the name in
 * *pname (NUL-terminated) and its length in *plen (either may be NULL).
 * @return NULL when obj is not an object or i is out of range.
 */
const ajwt_json_t *ajwt_json_member(const ajwt_json_t *obj, apr_size_t i,
                                    const char **pname, apr_size_t *plen);

/** Item i of array arr, or NULL when arr is not an array or i >= count. */
const ajwt_json_t *ajwt_json_item(const ajwt_json_t *arr, apr_size_t i);

/**
 * The decoded UTF-8 text of a string (NUL-terminated; it contains no NUL,
 * the parser refuses \u0000), its length in *plen when plen is not NULL.
 * @return NULL when v is not a string.
 */
const char *ajwt_json_string(const ajwt_json_t *v, apr_size_t *plen);

/** The value of a number as a double (0.0 for anything else). */
double ajwt_json_double(const ajwt_json_t *v);

/**
 * Is v a number written as an integer (no fraction, no exponent) that fits
 * an int64? Then 1, with the value in *pval (pval may be NULL); else 0.
 */
int ajwt_json_int64(apr_int64_t *pval, const ajwt_json_t *v);

/** The text of a number as written in the input (NULL for anything else). */
const char *ajwt_json_number_text(const ajwt_json_t *v);

/** 1 for true, 0 for false and for anything that is not a boolean. */
int ajwt_json_bool(const ajwt_json_t *v);

/* ---- building (for issued tokens and endpoint answers) ---- */

/** A new empty object in p. */
ajwt_json_t *ajwt_json_new_object(apr_pool_t *p);

/** A new string in p holding a copy of the NUL-terminated s. */
ajwt_json_t *ajwt_json_new_string(apr_pool_t *p, const char *s);

/** A new integer number in p. */
ajwt_json_t *ajwt_json_new_int64(apr_pool_t *p, apr_int64_t v);

/**
 * Set member name (copied) of obj to val, both in p: a name already present
 * keeps its place and gets the new value (json-c's object_add), a new one
 * is appended. Does nothing when obj is not an object or val is NULL.
 */
void ajwt_json_set(ajwt_json_t *obj, apr_pool_t *p, const char *name,
                   const ajwt_json_t *val);

/* ---- writing ---- */

/**
 * The compact serialisation of v (NUL-terminated, in p; "null" for NULL),
 * as json-c 0.16 writes with JSON_C_TO_STRING_PLAIN |
 * JSON_C_TO_STRING_NOSLASHESCAPE: no whitespace; in strings '"', '\\', \b,
 * \f, \n, \r, \t escaped by name, other bytes below 0x20 as \u00xx (lower
 * case hex), everything else ('/', DEL, UTF-8) as is; integers that fit an
 * int64 in decimal (so -0 is written 0), other numbers as written in the
 * input. Its length goes to *plen when plen is not NULL.
 */
const char *ajwt_json_compact(apr_pool_t *p, const ajwt_json_t *v,
                              apr_size_t *plen);

#endif /* AJWT_JSON_H */
