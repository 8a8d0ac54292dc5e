/*
 * A small streaming JSON writer onto a buf: objects, arrays, strings (escaped
 * per RFC 8259), numbers, booleans and null. Commas are placed by the writer.
 * No library of the stack writes JSON, so this is hand-written and kept minimal.
 */
#ifndef S2S_JSON_H
#define S2S_JSON_H

#include <stdbool.h>

#include "buf.h"

/*
 * jansson (which reads JSON back: fleet.c) exports json_string and json_null too, and a
 * program holding both would call one for the other (even inside jansson). The writer's
 * are therefore linked as s2s_json_*; a file includes this header or <jansson.h>, not
 * both.
 */
#ifdef JANSSON_H
#error "json.h and jansson.h in one file: their json_string and json_null differ"
#endif
#define json_string s2s_json_string
#define json_null s2s_json_null

#define JSON_MAX_DEPTH 32

struct json {
        struct buf *out;                 /* borrowed */
        int depth;                       /* open containers */
        bool need_comma[JSON_MAX_DEPTH]; /* per level: a value was already written */
        bool after_key;                  /* a key was written; its value comes next */
        bool failed;                     /* sticky: an append failed or nesting broke */
};

/* Starts writing onto out (borrowed; must outlive the writer). */
void json_init(struct json *j, struct buf *out);

void json_begin_object(struct json *j);
void json_end_object(struct json *j);
void json_begin_array(struct json *j);
void json_end_array(struct json *j);

/* Writes an object key; the next call writes its value. */
void json_key(struct json *j, const char *key);

/* A string value; NULL writes null. */
void json_string(struct json *j, const char *s);
void json_int(struct json *j, long long v);
void json_double(struct json *j, double v);
void json_bool(struct json *j, bool v);
void json_null(struct json *j);

/* Key + value shorthands. */
void json_kv_string(struct json *j, const char *key, const char *s);
void json_kv_int(struct json *j, const char *key, long long v);
void json_kv_bool(struct json *j, const char *key, bool v);

/* 0 when everything was written and every container closed; -1 otherwise. */
int json_finish(struct json *j);

#endif
