/*
 * Tests of harness/verdict: one verdict per kind of observation, and the
 * partner violation that leaves nothing observed (issue 9: the inbound
 * trigger answered 'valid' without a verify).
 */
#include <criterion/criterion.h>

#include "verdict.h"

static enum verdict judge(enum outcome expected, unsigned observed, bool env, bool violated)
{
        struct verdict_input in = {0};

        in.expected = expected;
        in.observed = observed;
        in.environment_failed = env;
        in.partner_violated = violated;
        return verdict_judge(&in);
}

Test(verdict, success_matches_only_its_own_code)
{
        cr_expect_eq(judge(OUTCOME_DT, OUTCOME_BIT(OUTCOME_DT), false, false), VERDICT_MATCH);
        cr_expect_eq(judge(OUTCOME_DT, OUTCOME_BIT(OUTCOME_DP), false, false), VERDICT_MISMATCH);
        cr_expect_eq(judge(OUTCOME_DT, OUTCOME_BIT(OUTCOME_F3), false, false), VERDICT_MISMATCH);
}

Test(verdict, nothing_observed_is_an_error)
{
        cr_expect_eq(judge(OUTCOME_DT, 0, false, false), VERDICT_ERROR);
        cr_expect_eq(judge(OUTCOME_DT, OUTCOME_BIT(OUTCOME_DT), true, false), VERDICT_ERROR);
}

Test(verdict, partner_violation_with_nothing_observed_is_a_mismatch)
{
        struct verdict_input in = {0};

        cr_expect_eq(judge(OUTCOME_DT, 0, false, true), VERDICT_MISMATCH);
        /* Whatever was expected: a failure code too. */
        cr_expect_eq(judge(OUTCOME_F3, 0, false, true), VERDICT_MISMATCH);
        /* The environment failing first stays the harness's side. */
        cr_expect_eq(judge(OUTCOME_DT, 0, true, true), VERDICT_ERROR);
        /* An observation, when there is one, is judged as such. */
        cr_expect_eq(judge(OUTCOME_F3, OUTCOME_BIT(OUTCOME_F3), false, true), VERDICT_MATCH);
        in.expected = OUTCOME_DT;
        in.partner_violated = true;
        in.expect_mismatch = true;
        cr_expect_eq(verdict_judge(&in), VERDICT_XFAIL);
}
