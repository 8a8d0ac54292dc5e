#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void buf_init(struct buf *b, size_t limit)
{
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
        b->limit = limit;
}

void buf_cleanup(struct buf *b)
{
        free(b->data);
        b->data = NULL;
        b->len = 0;
        b->cap = 0;
}

static int buf_reserve(struct buf *b, size_t extra)
{
        size_t need, cap;
        char *p;

        if (extra > ((size_t)-1) / 2 - b->len)
                return -1;
        need = b->len + extra + 1; /* room for the trailing NUL */
        if (b->limit != 0 && b->len + extra > b->limit)
                return -1;
        if (need <= b->cap)
                return 0;
        cap = b->cap != 0 ? b->cap : 256;
        while (cap < need)
                cap *= 2;
        p = realloc(b->data, cap);
        if (p == NULL)
                return -1;
        b->data = p;
        b->cap = cap;
        return 0;
}

int buf_append(struct buf *b, const void *data, size_t len)
{
        if (buf_reserve(b, len) != 0)
                return -1;
        if (len > 0)
                memcpy(b->data + b->len, data, len);
        b->len += len;
        b->data[b->len] = '\0';
        return 0;
}

int buf_puts(struct buf *b, const char *s)
{
        return buf_append(b, s, strlen(s));
}

int buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
        va_list copy;
        int n;

        va_copy(copy, ap);
        n = vsnprintf(NULL, 0, fmt, copy);
        va_end(copy);
        if (n < 0 || buf_reserve(b, (size_t)n) != 0)
                return -1;
        vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
        b->len += (size_t)n;
        return 0;
}

int buf_printf(struct buf *b, const char *fmt, ...)
{
        va_list ap;
        int rc;

        va_start(ap, fmt);
        rc = buf_vprintf(b, fmt, ap);
        va_end(ap);
        return rc;
}

void buf_consume(struct buf *b, size_t n)
{
        if (n >= b->len) {
                buf_reset(b);
                return;
        }
        memmove(b->data, b->data + n, b->len - n);
        b->len -= n;
        b->data[b->len] = '\0';
}

void buf_trim(struct buf *b)
{
        if (b->len == 0)
                buf_cleanup(b);
}

void buf_reset(struct buf *b)
{
        b->len = 0;
        if (b->data != NULL)
                b->data[0] = '\0';
}
