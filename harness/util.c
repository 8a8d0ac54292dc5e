#include "util.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

void util_vformat(char *dst, size_t len, const char *fmt, va_list ap)
{
        if (dst == NULL || len == 0)
                return;
        vsnprintf(dst, len, fmt, ap);
}

void util_format(char *dst, size_t len, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        util_vformat(dst, len, fmt, ap);
        va_end(ap);
}

const char *util_list_add(char *buf, size_t len, size_t *used, const char *item)
{
        int k;

        if (len == 0 || *used >= len)
                return buf;
        if (*used == 0)
                buf[0] = '\0';
        k = snprintf(buf + *used, len - *used, "%s%s", *used > 0 ? ", " : "", item);
        if (k > 0)
                *used += (size_t)k;
        return buf;
}

int util_popcount(unsigned v)
{
        int n = 0;

        for (; v != 0; v &= v - 1)
                n++;
        return n;
}

int util_utf8_lead(unsigned char c, unsigned char *lo, unsigned char *hi)
{
        *lo = 0x80;
        *hi = 0xBF;
        if (c < 0x80)
                return 0;
        if (c >= 0xC2 && c <= 0xDF)
                return 1;
        if (c >= 0xE0 && c <= 0xEF) {
                if (c == 0xE0)
                        *lo = 0xA0; /* no overlong forms */
                else if (c == 0xED)
                        *hi = 0x9F; /* no surrogates */
                return 2;
        }
        if (c >= 0xF0 && c <= 0xF4) {
                if (c == 0xF0)
                        *lo = 0x90;
                else if (c == 0xF4)
                        *hi = 0x8F; /* nothing above U+10FFFF */
                return 3;
        }
        return -1;
}

size_t util_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
        unsigned char lo, hi;
        int n;
        uint32_t v;

        if (len == 0)
                return 0;
        n = util_utf8_lead(s[0], &lo, &hi);
        if (n < 0 || (size_t)n >= len)
                return 0;
        v = n == 0 ? s[0] : s[0] & (n == 1 ? 0x1F : n == 2 ? 0x0F : 0x07);
        for (int k = 1; k <= n; k++) {
                if (s[k] < (k == 1 ? lo : 0x80) || s[k] > (k == 1 ? hi : 0xBF))
                        return 0;
                v = (v << 6) | (s[k] & 0x3F);
        }
        if (cp != NULL)
                *cp = v;
        return (size_t)n + 1;
}

int util_edit_distance(const char *a, const char *b)
{
        enum { MAXW = 63 };
        int d[MAXW + 1][MAXW + 1];
        size_t la = strlen(a), lb = strlen(b);

        if (la > MAXW || lb > MAXW)
                return 99;
        for (size_t i = 0; i <= la; i++)
                d[i][0] = (int)i;
        for (size_t j = 0; j <= lb; j++)
                d[0][j] = (int)j;
        for (size_t i = 1; i <= la; i++) {
                for (size_t j = 1; j <= lb; j++) {
                        int ca = tolower((unsigned char)a[i - 1]);
                        int cb = tolower((unsigned char)b[j - 1]);
                        int best = d[i - 1][j - 1] + (ca != cb);

                        if (d[i - 1][j] + 1 < best)
                                best = d[i - 1][j] + 1;
                        if (d[i][j - 1] + 1 < best)
                                best = d[i][j - 1] + 1;
                        if (i > 1 && j > 1 && ca == tolower((unsigned char)b[j - 2]) &&
                            tolower((unsigned char)a[i - 2]) == cb && d[i - 2][j - 2] + 1 < best)
                                best = d[i - 2][j - 2] + 1;
                        d[i][j] = best;
                }
        }
        return d[la][lb];
}

const char *util_closest(const char *w, const char *const *words, size_t n, int max_dist)
{
        const char *best = NULL;
        int best_d = max_dist + 1;

        for (size_t i = 0; i < n; i++) {
                int dist;

                if (words[i] == NULL)
                        continue;
                if (strcmp(w, words[i]) == 0)
                        return NULL;
                dist = util_edit_distance(w, words[i]);
                if (dist < best_d) {
                        best_d = dist;
                        best = words[i];
                }
        }
        return best;
}
