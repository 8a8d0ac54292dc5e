/*
 * Criterion tests for harness/settings: row numbering and parsing checked
 * against reference §1.5 table B, typed in here as data (not derived from the
 * implementation).
 */
#include <criterion/criterion.h>

#include <string.h>

#include "settings.h"

/* Reference §1.5 table B, columns M, TLS, SASL, Dialback, exactly in S1's row order. */
static const struct {
        int m;
        const char *tls;
        const char *sasl;
        const char *dialback;
} table_b[SETTINGS_ROWS] = {
    {1, "Required", "Required", "True"},
    {2, "Required", "Required", "False"},
    {3, "Optional", "Required", "True"},
    {4, "Optional", "Required", "False"},
    {5, "Not Supported", "Required", "True"},
    {6, "Not Supported", "Required", "False"},
    {7, "Required", "Optional", "True"},
    {8, "Required", "Optional", "False"},
    {9, "Optional", "Optional", "True"},
    {10, "Optional", "Optional", "False"},
    {11, "Not Supported", "Optional", "True"},
    {12, "Not Supported", "Optional", "False"},
    {13, "Required", "Not Supported", "True"},
    {14, "Required", "Not Supported", "False"},
    {15, "Optional", "Not Supported", "True"},
    {16, "Optional", "Not Supported", "False"},
    {17, "Not Supported", "Not Supported", "True"},
    {18, "Not Supported", "Not Supported", "False"},
};

/* Reference §3.1, column "TLS/SASL/DB", as printed. */
static const char *const summaries[SETTINGS_ROWS] = {
    "Req/Req/T", "Req/Req/F", "Opt/Req/T", "Opt/Req/F", "NS/Req/T", "NS/Req/F",
    "Req/Opt/T", "Req/Opt/F", "Opt/Opt/T", "Opt/Opt/F", "NS/Opt/T", "NS/Opt/F",
    "Req/NS/T",  "Req/NS/F",  "Opt/NS/T",  "Opt/NS/F",  "NS/NS/T",  "NS/NS/F",
};

/* The test's own reading of table B's words (independent of neg_parse). */
static enum neg word(const char *w)
{
        if (strcmp(w, "Required") == 0)
                return NEG_REQUIRED;
        if (strcmp(w, "Optional") == 0)
                return NEG_OPTIONAL;
        cr_assert_str_eq(w, "Not Supported", "table typo: %s", w);
        return NEG_NOTSUPPORTED;
}

Test(settings, table_b_rows_from_row)
{
        for (int i = 0; i < SETTINGS_ROWS; i++) {
                struct neg_settings s;

                memset(&s, 0xa5, sizeof(s));
                cr_assert_eq(table_b[i].m, i + 1);
                cr_assert_eq(settings_from_row(i + 1, &s), 0, "settings_from_row(%d) failed",
                             i + 1);
                cr_expect_eq(s.tls, word(table_b[i].tls), "M%d TLS: expected %s, got %s", i + 1,
                             table_b[i].tls, neg_name(s.tls));
                cr_expect_eq(s.sasl, word(table_b[i].sasl), "M%d SASL: expected %s, got %s", i + 1,
                             table_b[i].sasl, neg_name(s.sasl));
                cr_expect_eq(s.dialback, strcmp(table_b[i].dialback, "True") == 0,
                             "M%d Dialback: expected %s", i + 1, table_b[i].dialback);
        }
}

Test(settings, table_b_rows_to_row)
{
        for (int i = 0; i < SETTINGS_ROWS; i++) {
                struct neg_settings s = {
                    .tls = word(table_b[i].tls),
                    .sasl = word(table_b[i].sasl),
                    .dialback = strcmp(table_b[i].dialback, "True") == 0,
                };

                cr_expect_eq(settings_row(&s), i + 1, "%s/%s/%s: expected row %d, got %d",
                             table_b[i].tls, table_b[i].sasl, table_b[i].dialback, i + 1,
                             settings_row(&s));
        }
}

Test(settings, row_round_trip)
{
        unsigned seen = 0;

        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                struct neg_settings s;
                int back;

                cr_assert_eq(settings_from_row(row, &s), 0);
                back = settings_row(&s);
                cr_expect_eq(back, row, "row %d came back as %d", row, back);
                /* Every combination of the 3x3x2 space appears exactly once. */
                unsigned key = 1u << ((unsigned)s.tls * 6 + (unsigned)s.sasl * 2 + s.dialback);
                cr_expect_eq(seen & key, 0, "row %d repeats a combination", row);
                seen |= key;
        }
        cr_expect_eq(seen, (1u << SETTINGS_ROWS) - 1);
}

Test(settings, row_out_of_range)
{
        const int bad[] = {0, -1, SETTINGS_ROWS + 1, 100, -2147483647 - 1};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct neg_settings s = {NEG_OPTIONAL, NEG_OPTIONAL, true};

                cr_expect_eq(settings_from_row(bad[i], &s), -1, "row %d accepted", bad[i]);
        }
}

Test(settings, names)
{
        cr_expect_str_eq(neg_name(NEG_REQUIRED), "Required");
        cr_expect_str_eq(neg_name(NEG_OPTIONAL), "Optional");
        cr_expect_str_eq(neg_name(NEG_NOTSUPPORTED), "NotSupported");
        cr_expect_str_eq(neg_short(NEG_REQUIRED), "Req");
        cr_expect_str_eq(neg_short(NEG_OPTIONAL), "Opt");
        cr_expect_str_eq(neg_short(NEG_NOTSUPPORTED), "NS");
}

Test(settings, neg_parse_accepts)
{
        static const struct {
                const char *text;
                enum neg want;
        } ok[] = {
            {"Required", NEG_REQUIRED},          {"required", NEG_REQUIRED},
            {"REQUIRED", NEG_REQUIRED},          {"rEqUiReD", NEG_REQUIRED},
            {"Optional", NEG_OPTIONAL},          {"optional", NEG_OPTIONAL},
            {"OPTIONAL", NEG_OPTIONAL},          {"NotSupported", NEG_NOTSUPPORTED},
            {"notsupported", NEG_NOTSUPPORTED},  {"NOTSUPPORTED", NEG_NOTSUPPORTED},
            {"Not Supported", NEG_NOTSUPPORTED}, /* the Control Panel's spelling */
            {"not supported", NEG_NOTSUPPORTED}, {"NOT SUPPORTED", NEG_NOTSUPPORTED},
        };

        for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                enum neg v = (enum neg) - 1;

                cr_expect_eq(neg_parse(ok[i].text, &v), 0, "\"%s\" refused", ok[i].text);
                cr_expect_eq(v, ok[i].want, "\"%s\" parsed as %d", ok[i].text, (int)v);
        }
        /* Every word of table B parses to the test's own reading of it. */
        for (int i = 0; i < SETTINGS_ROWS; i++) {
                enum neg t, s;

                cr_expect_eq(neg_parse(table_b[i].tls, &t), 0);
                cr_expect_eq(t, word(table_b[i].tls));
                cr_expect_eq(neg_parse(table_b[i].sasl, &s), 0);
                cr_expect_eq(s, word(table_b[i].sasl));
        }
        /* The cmdlet names round-trip. */
        for (int v = NEG_REQUIRED; v <= NEG_NOTSUPPORTED; v++) {
                enum neg back;

                cr_expect_eq(neg_parse(neg_name((enum neg)v), &back), 0);
                cr_expect_eq(back, (enum neg)v);
        }
}

Test(settings, neg_parse_refuses)
{
        static const char *const bad[] = {
            "Mandatory", "", "Req", "Opt", "NS", "True", "False", "Require", "Requiredd", "Not",
            "Supported", "Optional Required", "RequiredRequired",
            /* overlong */
            "RequiredRequiredRequiredRequiredRequiredRequiredRequiredRequired",
            "NotSupportedNotSupportedNotSupportedNotSupportedNotSupportedNotSupported"};
        char huge[4096];

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                enum neg v;

                cr_expect_eq(neg_parse(bad[i], &v), -1, "\"%s\" accepted", bad[i]);
        }
        cr_expect_eq(neg_parse(NULL, &(enum neg){NEG_REQUIRED}), -1, "NULL accepted");
        memset(huge, 'x', sizeof(huge) - 1);
        huge[sizeof(huge) - 1] = '\0';
        cr_expect_eq(neg_parse(huge, &(enum neg){NEG_REQUIRED}), -1, "4095 x accepted");
        /* A valid word followed by a long tail must not be truncated into a match. */
        memcpy(huge, "Optional", 8);
        cr_expect_eq(neg_parse(huge, &(enum neg){NEG_REQUIRED}), -1, "Optionalxxx.. accepted");
}

Test(settings, summaries)
{
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                struct neg_settings s;
                char buf[16];
                const char *r;

                cr_assert_eq(settings_from_row(row, &s), 0);
                r = settings_summary(&s, buf, sizeof(buf));
                cr_expect_eq(r, buf, "settings_summary must return buf");
                cr_expect_str_eq(buf, summaries[row - 1], "M%d: expected %s, got %s", row,
                                 summaries[row - 1], buf);
        }
}

Test(settings, summary_small_buffer)
{
        struct neg_settings s = {NEG_REQUIRED, NEG_REQUIRED, true};
        char buf[8];

        memset(buf, '#', sizeof(buf));
        settings_summary(&s, buf, 5);
        cr_expect_str_eq(buf, "Req/", "truncated summary must stay a C string");
        cr_expect_eq(buf[5], '#', "wrote past len");
}
