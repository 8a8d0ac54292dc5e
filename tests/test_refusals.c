/*
 * refusals: the count of streams refused outside any scenario, by cause, and the
 * summary text every report prints (issue 10: never refuse a stream silently).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "refusals.h"

#define HOST_UNKNOWN_RULE "RFC 6120 §4.9.3.6"

Test(refusals, cause_keys)
{
        char k[REFUSAL_CAUSE_MAX];

        /* Told apart by the rule and the header as data, whatever the wording. */
        refusals_result_key("anything", RULE_H_SE_HOST_UNKNOWN, true, k, sizeof(k));
        cr_expect_str_eq(k, "host-unknown (no 'to')");
        refusals_result_key("anything: else", RULE_H_SE_HOST_UNKNOWN, false, k, sizeof(k));
        cr_expect_str_eq(k, "host-unknown (a 'to' not served here)");
        refusals_result_key("host-unknown: x", RULE_STR_10, true, k, sizeof(k));
        cr_expect_str_eq(k, "host-unknown", "another rule keys by the cause's head");
        /* Wire text after the first ':' (names, ids) is dropped: one key per reason. */
        refusals_cause_key("XML refused (invalid-namespace): stream header is {x}stream", k,
                           sizeof(k));
        cr_expect_str_eq(k, "XML refused (invalid-namespace)");
        refusals_cause_key("timeout while EXPECT_NEGOTIATION : 3 bytes", k, sizeof(k));
        cr_expect_str_eq(k, "timeout while EXPECT_NEGOTIATION");
        refusals_cause_key("", k, sizeof(k));
        cr_expect_str_eq(k, "closed without a cause");
        refusals_cause_key(NULL, k, sizeof(k));
        cr_expect_str_eq(k, "closed without a cause");
        /* Bounded by the output. */
        refusals_cause_key("abcdefghij", k, 5);
        cr_expect_str_eq(k, "abcd");
}

Test(refusals, counts_and_text_most_frequent_first)
{
        struct refusals r;
        char text[512];

        memset(&r, 0, sizeof(r));
        cr_expect_eq(refusals_text(&r, NULL, text, sizeof(text)), 0);
        cr_expect_str_eq(text, "");
        refusals_add(&r, "XML refused (invalid-namespace)", "RFC 6120 §4.9.3");
        for (int i = 0; i < 80; i++)
                refusals_add(&r, "host-unknown (no 'to')", HOST_UNKNOWN_RULE);
        for (int i = 0; i < 5; i++)
                refusals_add(&r, "XML refused (invalid-namespace)", "RFC 6120 §4.9.3");
        refusals_add(&r, "closed without a cause", "");
        cr_expect_eq(r.total, 87);
        cr_expect_eq(r.n_causes, 3);
        cr_expect_eq(refusals_text(&r, NULL, text, sizeof(text)), 87);
        cr_expect_str_eq(text, "80 host-unknown (no 'to') [" HOST_UNKNOWN_RULE "], "
                               "6 XML refused (invalid-namespace) [RFC 6120 §4.9.3], "
                               "1 closed without a cause");
        /* Cut to the buffer, still a string. */
        cr_expect_eq(refusals_text(&r, NULL, text, 20), 87);
        cr_expect_lt(strlen(text), 20);
        refusals_cleanup(&r);
        cr_expect_eq(r.total, 0);
}

/* What happened since a mark (a scenario's start): only the streams after it. */
Test(refusals, since_a_mark)
{
        struct refusals r, mark;
        char text[512];

        memset(&r, 0, sizeof(r));
        refusals_add(&r, "host-unknown (no 'to')", HOST_UNKNOWN_RULE);
        refusals_mark(&r, &mark);
        cr_expect_null(mark.transcript);
        cr_expect_eq(refusals_text(&r, &mark, text, sizeof(text)), 0);
        cr_expect_str_eq(text, "");
        refusals_add(&r, "host-unknown (no 'to')", HOST_UNKNOWN_RULE);
        refusals_add(&r, "host-unknown (no 'to')", HOST_UNKNOWN_RULE);
        refusals_add(&r, "XML refused (not-well-formed)", "RFC 6120 §4.9.3");
        cr_expect_eq(refusals_text(&r, &mark, text, sizeof(text)), 3);
        cr_expect_str_eq(text, "2 host-unknown (no 'to') [" HOST_UNKNOWN_RULE "], "
                               "1 XML refused (not-well-formed) [RFC 6120 §4.9.3]");
}

/* A stranger with many causes: the table stays bounded, the rest is "other". */
Test(refusals, bounded_causes)
{
        struct refusals r;
        char text[2048], cause[32];

        memset(&r, 0, sizeof(r));
        for (int i = 0; i < 1000; i++) {
                snprintf(cause, sizeof(cause), "cause %d", i % 50);
                refusals_add(&r, cause, "rule");
        }
        cr_expect_eq(r.total, 1000);
        cr_expect_eq(r.n_causes, REFUSAL_CAUSES_MAX);
        cr_expect_eq(r.other, 1000 - REFUSAL_CAUSES_MAX * 20);
        cr_expect_eq(refusals_text(&r, NULL, text, sizeof(text)), 1000);
        cr_expect_not_null(strstr(text, "840 for other causes"), "%s", text);
}
