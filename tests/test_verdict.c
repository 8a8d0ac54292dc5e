/*
 * Tests of harness/verdict (issue 11 item 7): every rule verdict_judge states,
 * one test each, and the cause class of every verdict, so that a harness or
 * environment failure can never read as a partner violation (design.md §7).
 */
#include <criterion/criterion.h>

#include "verdict.h"

static struct verdict_input input(enum outcome expected, unsigned observed)
{
        struct verdict_input in = {0};

        in.expected = expected;
        in.observed = observed;
        return in;
}

static enum verdict judge(enum outcome expected, unsigned observed, bool env, bool violated)
{
        struct verdict_input in = input(expected, observed);

        in.environment_failed = env;
        in.partner_violated = violated;
        return verdict_judge(&in).verdict;
}

#define DT OUTCOME_BIT(OUTCOME_DT)
#define DP OUTCOME_BIT(OUTCOME_DP)
#define F2 OUTCOME_BIT(OUTCOME_F2)
#define F3 OUTCOME_BIT(OUTCOME_F3)

Test(verdict, names)
{
        cr_expect_str_eq(verdict_name(VERDICT_MATCH), "match");
        cr_expect_str_eq(verdict_name(VERDICT_XPASS), "xpass");
        cr_expect_str_eq(verdict_name(VERDICT_COUNT), "?");
        cr_expect_null(cause_class_name(CAUSE_CLASS_NONE));
        cr_expect_str_eq(cause_class_name(CAUSE_CLASS_PARTNER_VIOLATION), "partner-violation");
        cr_expect_str_eq(cause_class_name(CAUSE_CLASS_PARTNER_CHOICE), "partner-choice");
        cr_expect_str_eq(cause_class_name(CAUSE_CLASS_HARNESS_ENVIRONMENT), "harness-environment");
        cr_expect_str_eq(cause_class_name(CAUSE_CLASS_OPERATOR_INPUT), "operator-input");
        cr_expect_null(cause_class_name(CAUSE_CLASS_COUNT));
}

Test(verdict, success_matches_only_its_own_code)
{
        cr_expect_eq(judge(OUTCOME_DT, DT, false, false), VERDICT_MATCH);
        cr_expect_eq(judge(OUTCOME_DT, DP, false, false), VERDICT_MISMATCH);
        cr_expect_eq(judge(OUTCOME_DT, F3, false, false), VERDICT_MISMATCH);
}

Test(verdict, a_failure_set_matches_when_it_holds_the_expected_code)
{
        cr_expect_eq(judge(OUTCOME_F3, F2 | F3, false, false), VERDICT_MATCH);
        cr_expect_eq(judge(OUTCOME_F3, F2, false, false), VERDICT_MISMATCH);
        /* F0: any failure. */
        cr_expect_eq(judge(OUTCOME_F0, F2, false, false), VERDICT_MATCH);
        cr_expect_eq(judge(OUTCOME_F0, DT, false, false), VERDICT_MISMATCH);
}

Test(verdict, an_accepted_alternative_matches_as_a_partner_choice)
{
        struct verdict_input in = input(OUTCOME_DT, F3);
        struct verdict_judgement j;

        in.accepted = F3;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_MATCH);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_PARTNER_CHOICE);
        /* The expected code itself is no choice. */
        in.observed = DT;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_MATCH);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_NONE);
        /* Neither the expected nor an accepted code. */
        in.observed = DP;
        cr_expect_eq(verdict_judge(&in).verdict, VERDICT_MISMATCH);
}

Test(verdict, nothing_observed_is_an_error)
{
        struct verdict_input in = input(OUTCOME_DT, 0);
        struct verdict_judgement j = verdict_judge(&in);

        cr_expect_eq(j.verdict, VERDICT_ERROR);
        cr_expect_eq(j.basis, VERDICT_BY_ENVIRONMENT);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_HARNESS_ENVIRONMENT);
}

/* The rule issue 11 item 7 found untested: a partner that never answered a step
 * leaves a failure set (the step timer's), which agrees with a failure expected;
 * the environment failing still makes an error, whatever was observed. */
Test(verdict, an_environment_failure_is_an_error_whatever_was_observed)
{
        const enum outcome expected[] = {OUTCOME_DT, OUTCOME_F0, OUTCOME_F3, OUTCOME_S};

        for (size_t i = 0; i < sizeof(expected) / sizeof(expected[0]); i++) {
                for (unsigned observed = 1; observed < (1u << OUTCOME_COUNT); observed++) {
                        struct verdict_input in = input(expected[i], observed);
                        struct verdict_judgement j;

                        in.environment_failed = true;
                        in.accepted = F3;
                        j = verdict_judge(&in);
                        cr_expect_eq(j.verdict, VERDICT_ERROR, "expected %d, observed %#x",
                                     (int)expected[i], observed);
                        cr_expect_eq(j.cause_class, CAUSE_CLASS_HARNESS_ENVIRONMENT);
                        cr_expect_not(verdict_outcome_agrees(&in));
                        /* Also with a violation, a failed check or a declared deviation. */
                        in.partner_violated = true;
                        in.check_failed = true;
                        in.expect_mismatch = true;
                        j = verdict_judge(&in);
                        cr_expect_eq(j.verdict, VERDICT_ERROR);
                        cr_expect_eq(j.cause_class, CAUSE_CLASS_HARNESS_ENVIRONMENT);
                }
        }
}

Test(verdict, a_failed_check_turns_a_match_into_a_mismatch)
{
        struct verdict_input in = input(OUTCOME_DT, DT);
        struct verdict_judgement j;

        cr_expect(verdict_outcome_agrees(&in));
        in.check_failed = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_MISMATCH);
        cr_expect_eq(j.basis, VERDICT_BY_CHECK);
        cr_expect(j.check_mismatch);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_PARTNER_VIOLATION);
        /* A mismatch stays a mismatch of the outcome: the check is not its cause. */
        in.observed = DP;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_MISMATCH);
        cr_expect_eq(j.basis, VERDICT_BY_OUTCOME);
        cr_expect_not(j.check_mismatch);
}

Test(verdict, partner_violation_with_nothing_observed_is_a_mismatch)
{
        struct verdict_input in = input(OUTCOME_DT, 0);
        struct verdict_judgement j;

        cr_expect_eq(judge(OUTCOME_DT, 0, false, true), VERDICT_MISMATCH);
        /* Whatever was expected: a failure code too. */
        cr_expect_eq(judge(OUTCOME_F3, 0, false, true), VERDICT_MISMATCH);
        /* The environment failing first stays the harness's side. */
        cr_expect_eq(judge(OUTCOME_DT, 0, true, true), VERDICT_ERROR);
        /* An observation, when there is one, is judged as such. */
        cr_expect_eq(judge(OUTCOME_F3, F3, false, true), VERDICT_MATCH);
        in.partner_violated = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.basis, VERDICT_BY_PARTNER_VIOLATION);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_PARTNER_VIOLATION);
        in.expect_mismatch = true;
        cr_expect_eq(verdict_judge(&in).verdict, VERDICT_XFAIL);
}

Test(verdict, a_declared_deviation_that_happens_is_an_xfail)
{
        struct verdict_input in = input(OUTCOME_DT, F3);
        struct verdict_judgement j;

        in.expect_mismatch = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_XFAIL);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_PARTNER_VIOLATION);
        /* Through a failed check too. */
        in.observed = DT;
        in.check_failed = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_XFAIL);
        cr_expect(j.check_mismatch);
        /* An error is no deviation. */
        in.observed = 0;
        cr_expect_eq(verdict_judge(&in).verdict, VERDICT_ERROR);
}

Test(verdict, a_declared_deviation_that_does_not_happen_is_an_xpass)
{
        struct verdict_input in = input(OUTCOME_DT, DT);
        struct verdict_judgement j;

        in.expect_mismatch = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_XPASS);
        /* The stale declaration is the operator's (or the scenario's), not the partner's. */
        cr_expect_eq(j.cause_class, CAUSE_CLASS_OPERATOR_INPUT);
}

Test(verdict, not_run_is_a_skip)
{
        struct verdict_input in = input(OUTCOME_DT, DT);
        struct verdict_judgement j;

        in.not_run = true;
        in.environment_failed = true;
        in.partner_violated = true;
        in.check_failed = true;
        in.expect_mismatch = true;
        in.harness_short = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_SKIP);
        cr_expect_eq(j.basis, VERDICT_BY_NOT_RUN);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_NONE);
        cr_expect_not(verdict_outcome_agrees(&in));
}

/* A harness that ran short voids a mismatch (it may be its own doing): never a
 * partner violation; a match stands. */
Test(verdict, a_harness_shortage_voids_a_mismatch_or_an_error)
{
        struct verdict_input in = input(OUTCOME_DT, DP);
        struct verdict_judgement j;

        in.harness_short = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_ERROR);
        cr_expect_eq(j.basis, VERDICT_BY_HARNESS_SHORT);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_HARNESS_ENVIRONMENT);
        /* A failed check's mismatch and a partner violation too. */
        in.observed = DT;
        in.check_failed = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_ERROR);
        cr_expect(j.check_mismatch);
        in.check_failed = false;
        in.observed = 0;
        in.partner_violated = true;
        cr_expect_eq(verdict_judge(&in).cause_class, CAUSE_CLASS_HARNESS_ENVIRONMENT);
        /* An error of the environment becomes the harness's. */
        in.partner_violated = false;
        cr_expect_eq(verdict_judge(&in).basis, VERDICT_BY_HARNESS_SHORT);
        /* Before a declared deviation: not an xfail. */
        in.observed = DP;
        in.expect_mismatch = true;
        cr_expect_eq(verdict_judge(&in).verdict, VERDICT_ERROR);
        /* A match stands. */
        in.expect_mismatch = false;
        in.observed = DT;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_MATCH);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_NONE);
}

Test(verdict, a_listener_cap_makes_an_error_the_harnesss_but_not_a_mismatch)
{
        struct verdict_input in = input(OUTCOME_DT, 0);
        struct verdict_judgement j;

        in.harness_refused = true;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_ERROR);
        cr_expect_eq(j.basis, VERDICT_BY_HARNESS_REFUSED);
        /* A stranger at the cap cannot hide the partner's mismatch. */
        in.observed = DP;
        j = verdict_judge(&in);
        cr_expect_eq(j.verdict, VERDICT_MISMATCH);
        cr_expect_eq(j.cause_class, CAUSE_CLASS_PARTNER_VIOLATION);
}

/* Whatever the inputs, an error is never the partner's and a mismatch always is. */
Test(verdict, a_cause_class_follows_its_verdict)
{
        for (unsigned bits = 0; bits < (1u << 7); bits++) {
                for (unsigned observed = 0; observed < (1u << OUTCOME_COUNT); observed += 7) {
                        struct verdict_input in = input(OUTCOME_DT, observed);
                        struct verdict_judgement j;

                        in.not_run = bits & 1;
                        in.environment_failed = bits & 2;
                        in.expect_mismatch = bits & 4;
                        in.partner_violated = bits & 8;
                        in.check_failed = bits & 16;
                        in.harness_short = bits & 32;
                        in.harness_refused = bits & 64;
                        j = verdict_judge(&in);
                        if (j.verdict == VERDICT_ERROR)
                                cr_expect_eq(j.cause_class, CAUSE_CLASS_HARNESS_ENVIRONMENT);
                        if (j.verdict == VERDICT_MISMATCH || j.verdict == VERDICT_XFAIL)
                                cr_expect_eq(j.cause_class, CAUSE_CLASS_PARTNER_VIOLATION);
                        if (j.cause_class == CAUSE_CLASS_PARTNER_VIOLATION)
                                cr_expect(!in.environment_failed && !in.harness_short &&
                                          !in.not_run);
                }
        }
}
