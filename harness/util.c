#include "util.h"

#include <stdio.h>

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
