/*
 * A growable byte buffer with a read cursor: the engine's input and output queues.
 * The bytes are always followed by a NUL (not counted in len), so text can be
 * read in place.
 */
#ifndef S2S_BUF_H
#define S2S_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
        char *data;   /* owned; NULL until the first append */
        size_t len;   /* bytes stored, from data[0] */
        size_t cap;   /* allocated bytes */
        size_t limit; /* 0 = no limit; appends that would exceed it fail */
};

/* Empty buffer; limit 0 means unbounded. */
void buf_init(struct buf *b, size_t limit);

/* Frees the bytes; the buffer is empty and reusable afterwards. */
void buf_cleanup(struct buf *b);

/* Appends len bytes. Returns 0, or -1 on allocation failure or when the limit is hit. */
int buf_append(struct buf *b, const void *data, size_t len);

/* Appends a NUL-terminated string. Returns 0 or -1 as buf_append. */
int buf_puts(struct buf *b, const char *s);

/* Appends printf-formatted text. Returns 0 or -1 as buf_append. */
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* As buf_printf with a va_list. */
int buf_vprintf(struct buf *b, const char *fmt, va_list ap);

/* Drops the first n bytes (all when n >= len). */
void buf_consume(struct buf *b, size_t n);

/* Frees the memory of an empty buffer (data is NULL after; the limit stays): a
 * drained queue of an idle stream holds nothing (issue 13). */
void buf_trim(struct buf *b);

/* Empties the buffer, keeping its memory. */
void buf_reset(struct buf *b);

#endif
