/*
 * Small helpers every module needs the same way, written once (issue 11 item 8):
 * the element count of an array, bounded message formatting into a caller's
 * buffer, a bit count, and one UTF-8 decoder (RFC 3629 §4).
 */
#ifndef S2S_UTIL_H
#define S2S_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/* The number of elements of an array (not a pointer). */
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/*
 * Formats into dst (len bytes, always NUL-terminated, cut when too long): the
 * one helper behind every "err, errlen" and "why, whylen" out parameter. Does
 * nothing when dst is NULL or len is 0.
 */
void util_format(char *dst, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* util_format with a va_list. */
void util_vformat(char *dst, size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/*
 * Appends ", item" (just item when *used is 0) to the list in buf (len bytes,
 * NUL-terminated, *used bytes so far), cutting when full. Returns buf.
 */
const char *util_list_add(char *buf, size_t len, size_t *used, const char *item);

/* The number of bits set in v. */
int util_popcount(unsigned v);

/*
 * UTF-8 lead byte c (RFC 3629 §4): returns how many continuation bytes follow
 * (0 for ASCII), and in *lo, *hi the range of the first of them (the others are
 * 0x80-0xBF), which excludes overlong forms, surrogates and code points above
 * U+10FFFF. Returns -1 for a byte that cannot start a character.
 */
int util_utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi);

/*
 * Decodes the character at s (len bytes available): returns its length in bytes
 * (1-4) with the code point in *cp (may be NULL), or 0 when the bytes there are
 * not well-formed UTF-8 (a stray continuation, an overlong form, a surrogate,
 * beyond U+10FFFF, or cut by len).
 */
size_t util_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp);

/*
 * The Damerau-Levenshtein distance (optimal string alignment: insertions,
 * deletions, substitutions, transpositions of two adjacent characters) between a
 * and b, ASCII case ignored; words longer than 63 bytes count as 99.
 */
int util_edit_distance(const char *a, const char *b);

/*
 * The word of words[0..n) closest to w within max_dist (util_edit_distance), the
 * first on a tie; NULL when none is that close or w is one of them exactly.
 */
const char *util_closest(const char *w, const char *const *words, size_t n, int max_dist);

#endif
