/* Baselines: reportdiff over small hand-made reports (the fields run --json writes). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reportdiff.h"

/* A report with two results and a classification state; times and ids vary freely. */
static void report(struct buf *rb, const char *v1, const char *o1, const char *v2,
                   const char *state, const char *extra)
{
        buf_reset(rb);
        cr_assert_eq(buf_printf(rb,
                                "{\"schema\":1,\"started\":\"%s\",\"results\":["
                                "{\"id\":\"s1\",\"expected\":\"Dt\",\"observed\":%s,"
                                "\"verdict\":\"%s\",\"seconds\":%d,\"cause\":\"stream id %d\"},"
                                "{\"id\":\"s2\",\"expected\":\"S\",\"observed\":\"S\","
                                "\"verdict\":\"%s\",\"seconds\":1}],"
                                "\"classification\":{\"state\":\"%s\",\"classes\":[\"E4\"],"
                                "\"suggested_config\":\"M7\"}%s}",
                                state, o1, v1, (int)(o1[1] + v1[0]), (int)strlen(v1), v2, state,
                                extra),
                     0);
}

static struct reportdiff_sum diff_of(const struct buf *old, const struct buf *new, bool json,
                                     struct buf *o)
{
        char path[] = "/tmp/test_reportdiff_XXXXXX", err[512];
        struct reportdiff_sum s;
        int fd = mkstemp(path);

        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, old->data, old->len), (ssize_t)old->len);
        close(fd);
        buf_reset(o);
        cr_assert_eq(reportdiff(path, "new", new, json, o, &s, err, sizeof(err)), 0, "%s", err);
        buf_append(o, "", 1);
        unlink(path);
        return s;
}

/* The two reports and the output, fresh for each test. */
static struct buf a, b, out;

static void setup(void)
{
        buf_init(&a, 0);
        buf_init(&b, 0);
        buf_init(&out, 0);
}

static void teardown(void)
{
        buf_cleanup(&a);
        buf_cleanup(&b);
        buf_cleanup(&out);
}

TestSuite(reportdiff, .init = setup, .fini = teardown);

Test(reportdiff, same_outcomes_other_times_is_no_change)
{
        struct reportdiff_sum s;

        report(&a, "match", "\"Dt\"", "match", "matches", "");
        report(&b, "match", "\"Dt\"", "match", "matches", "");
        /* other times and cause texts */
        memcpy(strstr(b.data, "\"seconds\":") + 10, "9", 1);
        s = diff_of(&a, &b, false, &out);
        cr_assert_not(s.changed);
        cr_assert_not(s.worse);
        cr_assert(strstr(out.data, "no change\n") != NULL, "%s", out.data);
}

Test(reportdiff, regression_fixed_and_observed)
{
        struct reportdiff_sum s;

        report(&a, "match", "\"Dt\"", "match", "matches", "");
        report(&b, "mismatch", "\"F3\"", "match", "matches", "");
        s = diff_of(&a, &b, false, &out);
        cr_assert(s.worse);
        cr_assert_eq(s.regressions, 1);
        cr_assert_eq(s.observed, 0, "a verdict change is one line, not also an observed one");
        cr_assert(strstr(out.data, "regression  s1: match -> mismatch (expected Dt; observed Dt "
                                   "-> F3)") != NULL,
                  "%s", out.data);
        s = diff_of(&b, &a, false, &out);
        cr_assert_not(s.worse);
        cr_assert(s.changed);
        cr_assert_eq(s.fixed, 1);
        /* Same verdict, other codes: an observed change, not worse. */
        report(&b, "match", "\"Dt|F3\"", "match", "matches", "");
        s = diff_of(&a, &b, true, &out);
        cr_assert_eq(s.observed, 1);
        cr_assert_not(s.worse);
        cr_assert(strstr(out.data, "\"observed\": [") != NULL, "%s", out.data);
}

Test(reportdiff, classification_worse_and_domains)
{
        struct reportdiff_sum s;

        report(&a, "match", "\"Dt\"", "match", "matches",
               ",\"domains\":{\"summary\":\"all served\",\"entries\":[{\"domain\":\"a.test\","
               "\"direction\":\"inbound\",\"served\":true,\"seconds\":1}]}");
        report(&b, "match", "\"Dt\"", "match", "none",
               ",\"domains\":{\"summary\":\"1 of 1 not served\",\"entries\":[{\"domain\":"
               "\"a.test\",\"direction\":\"inbound\",\"served\":false,\"seconds\":2}]}");
        s = diff_of(&a, &b, false, &out);
        cr_assert(s.classification_changed);
        cr_assert(s.worse, "matches -> none is worse");
        cr_assert_eq(s.domains, 1);
        cr_assert(strstr(out.data, "domain      a.test inbound: changed") != NULL, "%s", out.data);
}

Test(reportdiff, added_mismatch_is_a_regression_and_bad_input_is_refused)
{
        struct reportdiff_sum s;
        char err[256];

        report(&a, "match", "\"Dt\"", "match", "matches", "");
        report(&b, "match", "\"Dt\"", "match", "matches", "");
        memcpy(strstr(b.data, "\"s2\""), "\"s3\"", 4);
        memcpy(strstr(b.data, "\"verdict\":\"match\",\"seconds\":1"), "\"verdict\":\"xpass\"", 17);
        s = diff_of(&a, &b, false, &out);
        cr_assert_eq(s.added, 1);
        cr_assert_eq(s.removed, 1);
        cr_assert_eq(s.regressions, 1, "%s", out.data);
        buf_reset(&b);
        buf_puts(&b, "{\"results\": 3}");
        cr_assert_eq(
            reportdiff("/nonexistent/old.json", "new", &b, false, &out, &s, err, sizeof(err)), -1);
        cr_assert_eq(reportdiff_check("/nonexistent/old.json", err, sizeof(err)), -1);
}

/* A schema 1 baseline ("F3|F4", null) against a schema 2 report (arrays): the same
 * codes are no change, other codes are, and the text joins them with '|'. */
Test(reportdiff, schema1_strings_compare_with_schema2_arrays)
{
        struct reportdiff_sum s;

        report(&a, "match", "\"F3|F4\"", "match", "matches", "");
        report(&b, "match", "[\"F3\",\"F4\"]", "match", "matches", "");
        memcpy(strstr(b.data, "\"schema\":1"), "\"schema\":2", 10);
        s = diff_of(&a, &b, false, &out);
        cr_assert_not(s.changed, "%s", out.data);
        report(&b, "match", "[\"F3\"]", "match", "matches", "");
        s = diff_of(&a, &b, false, &out);
        cr_assert(s.changed);
        cr_assert_eq(s.observed, 1);
        cr_assert(strstr(out.data, "observed F3|F4 -> F3)") != NULL, "%s", out.data);
        report(&a, "match", "null", "match", "matches", "");
        report(&b, "match", "[]", "match", "matches", "");
        s = diff_of(&a, &b, true, &out);
        cr_assert_not(s.changed, "%s", out.data);
}
