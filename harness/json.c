#include "json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void json_init(struct json *j, struct buf *out)
{
        memset(j, 0, sizeof(*j));
        j->out = out;
}

static void put(struct json *j, const char *s, size_t n)
{
        if (!j->failed && buf_append(j->out, s, n) != 0)
                j->failed = true;
}

/* Separates values: a comma before every value but the first of its container. */
static void before_value(struct json *j)
{
        if (j->after_key) {
                j->after_key = false;
                return;
        }
        if (j->depth > 0) {
                if (j->need_comma[j->depth - 1])
                        put(j, ",", 1);
                j->need_comma[j->depth - 1] = true;
        }
}

static void open_container(struct json *j, char c)
{
        before_value(j);
        if (j->depth >= JSON_MAX_DEPTH) {
                j->failed = true;
                return;
        }
        put(j, &c, 1);
        j->need_comma[j->depth++] = false;
}

static void close_container(struct json *j, char c)
{
        if (j->depth <= 0 || j->after_key) {
                j->failed = true;
                return;
        }
        j->depth--;
        put(j, &c, 1);
}

void json_begin_object(struct json *j)
{
        open_container(j, '{');
}

void json_end_object(struct json *j)
{
        close_container(j, '}');
}

void json_begin_array(struct json *j)
{
        open_container(j, '[');
}

void json_end_array(struct json *j)
{
        close_container(j, ']');
}

static void put_escaped(struct json *j, const char *s)
{
        put(j, "\"", 1);
        for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
                char esc[8];

                switch (*p) {
                case '"':
                        put(j, "\\\"", 2);
                        break;
                case '\\':
                        put(j, "\\\\", 2);
                        break;
                case '\n':
                        put(j, "\\n", 2);
                        break;
                case '\r':
                        put(j, "\\r", 2);
                        break;
                case '\t':
                        put(j, "\\t", 2);
                        break;
                default:
                        if (*p < 0x20 || *p == 0x7f) {
                                snprintf(esc, sizeof(esc), "\\u%04x", *p);
                                put(j, esc, 6);
                        } else {
                                put(j, (const char *)p, 1);
                        }
                }
        }
        put(j, "\"", 1);
}

void json_key(struct json *j, const char *key)
{
        before_value(j);
        put_escaped(j, key);
        put(j, ":", 1);
        j->after_key = true;
}

void json_string(struct json *j, const char *s)
{
        if (s == NULL) {
                json_null(j);
                return;
        }
        before_value(j);
        put_escaped(j, s);
}

void json_int(struct json *j, long long v)
{
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%lld", v);

        before_value(j);
        put(j, tmp, (size_t)n);
}

void json_double(struct json *j, double v)
{
        char tmp[64];
        int n;

        before_value(j);
        if (!isfinite(v)) {
                put(j, "null", 4);
                return;
        }
        n = snprintf(tmp, sizeof(tmp), "%.6g", v);
        put(j, tmp, (size_t)n);
}

void json_bool(struct json *j, bool v)
{
        before_value(j);
        if (v)
                put(j, "true", 4);
        else
                put(j, "false", 5);
}

void json_null(struct json *j)
{
        before_value(j);
        put(j, "null", 4);
}

void json_kv_string(struct json *j, const char *key, const char *s)
{
        json_key(j, key);
        json_string(j, s);
}

void json_kv_int(struct json *j, const char *key, long long v)
{
        json_key(j, key);
        json_int(j, v);
}

void json_kv_bool(struct json *j, const char *key, bool v)
{
        json_key(j, key);
        json_bool(j, v);
}

int json_finish(struct json *j)
{
        return (j->failed || j->depth != 0 || j->after_key) ? -1 : 0;
}
