/* Licensed under the Apache License, Version 2.0 (the "License"); you may not
 * use this file except in compliance with the License. You may obtain a copy
 * of the License at http://www.apache.org/licenses/LICENSE-2.0
 */

/*
 * ajwt_json_tree.h: the layout of ajwt_json_t, shared by the parser
 * (ajwt_json.c) and the accessors, builder and serialiser
 * (ajwt_json_tree.c). Private to those two files: everything else reads
 * the tree through ajwt_json.h.
 * Pure layer: APR only.
 */
#ifndef AJWT_JSON_TREE_H
#define AJWT_JSON_TREE_H

#include "apr_pools.h"
#include "ajwt_json.h"

typedef struct ajwt_json_member ajwt_json_member_t;

struct ajwt_json {
    ajwt_json_type_e type;
    union {
        int b; /* AJWT_JSON_BOOL */
        struct {
            const char *s; /* decoded UTF-8, NUL-terminated, no NUL inside */
            apr_size_t len;
        } str;
        struct {
            const char *text; /* as written, NUL-terminated */
            double d;
            apr_int64_t i; /* the value when is_int */
            int is_int;    /* integer syntax and fits an int64 */
        } num;
        struct {
            ajwt_json_t *items; /* contiguous, n of them */
            apr_size_t n, cap;
        } arr;
        struct {
            ajwt_json_member_t *m; /* contiguous, document order */
            apr_size_t n, cap;
        } obj;
    } u;
};

struct ajwt_json_member {
    const char *name; /* decoded, NUL-terminated */
    apr_size_t len;
    ajwt_json_t value; /* held by value: one allocation per container */
};

#endif /* AJWT_JSON_TREE_H */
