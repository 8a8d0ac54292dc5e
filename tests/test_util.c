/* harness/util.c: the helpers written once (issue 11 item 8). */
#include <criterion/criterion.h>
#include <string.h>
#include "util.h"

Test(util, array_len_counts_elements)
{
        static const int four[4] = {0};
        static const char *const two[] = {"a", "b"};

        cr_assert_eq(ARRAY_LEN(four), 4);
        cr_assert_eq(ARRAY_LEN(two), 2);
}

Test(util, format_cuts_and_tolerates_no_buffer)
{
        char small[6] = "xxxxx";

        util_format(small, sizeof(small), "%s-%d", "abcdef", 7);
        cr_assert_str_eq(small, "abcde");
        util_format(NULL, 10, "%s", "ignored");
        util_format(small, 0, "%s", "ignored");
        cr_assert_str_eq(small, "abcde");
}

Test(util, popcount)
{
        cr_assert_eq(util_popcount(0), 0);
        cr_assert_eq(util_popcount(1), 1);
        cr_assert_eq(util_popcount(0x90), 2);
        cr_assert_eq(util_popcount(~0u), (int)(8 * sizeof(unsigned)));
}

/* RFC 3629 §4: well-formed sequences decode; every ill-formed kind is refused. */
Test(util, utf8_decode)
{
        static const struct {
                const char *bytes;
                size_t len;
                size_t want;
                uint32_t cp;
        } cases[] = {
            {"A", 1, 1, 0x41},
            {"\xc3\xa9", 2, 2, 0xe9},
            {"\xe2\x82\xac", 3, 3, 0x20ac},
            {"\xf0\x9d\x84\x9e", 4, 4, 0x1d11e},
            {"\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff},
            {"\x80", 1, 0, 0},             /* stray continuation */
            {"\xc0\xaf", 2, 0, 0},         /* overlong */
            {"\xe0\x80\xaf", 3, 0, 0},     /* overlong, 3 bytes */
            {"\xed\xa0\x80", 3, 0, 0},     /* surrogate */
            {"\xf4\x90\x80\x80", 4, 0, 0}, /* above U+10FFFF */
            {"\xf5\x80\x80\x80", 4, 0, 0}, /* no such lead byte */
            {"\xe2\x82", 2, 0, 0},         /* cut by len */
            {"\xe2\x82\xac", 2, 0, 0},     /* cut by len, the bytes are there */
            {"", 0, 0, 0},
        };

        for (size_t i = 0; i < ARRAY_LEN(cases); i++) {
                uint32_t cp = 0xdeadbeef;
                size_t n =
                    util_utf8_decode((const unsigned char *)cases[i].bytes, cases[i].len, &cp);

                cr_assert_eq(n, cases[i].want, "case %zu: length %zu", i, n);
                if (n > 0)
                        cr_assert_eq(cp, cases[i].cp, "case %zu: U+%04X", i, (unsigned)cp);
        }
}

Test(util, edit_distance)
{
        cr_assert_eq(util_edit_distance("", ""), 0);
        cr_assert_eq(util_edit_distance("abc", ""), 3);
        cr_assert_eq(util_edit_distance("TlsNegotation", "TlsNegotiation"), 1);
        cr_assert_eq(util_edit_distance("tlsnegotiation", "TlsNegotiation"), 0, "case ignored");
        cr_assert_eq(util_edit_distance("--partenr", "--partner"), 1, "a transposition is one");
        cr_assert_eq(util_edit_distance("kitten", "sitting"), 3);
        cr_assert_eq(util_edit_distance("ca", "abc"), 3, "optimal string alignment");
}

Test(util, closest)
{
        static const char *const words[] = {"validate", "matrix", "run", "list", NULL};

        cr_assert_str_eq(util_closest("valdiate", words, 5, 2), "validate");
        cr_assert_str_eq(util_closest("lsit", words, 5, 2), "list");
        cr_assert_null(util_closest("run", words, 5, 2), "an exact word has no suggestion");
        cr_assert_null(util_closest("frobnicate", words, 5, 2), "too far");
        cr_assert_str_eq(util_closest("rn", words, 5, 1), "run");
}
