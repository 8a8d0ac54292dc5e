/*
 * Criterion tests for oracle_expect_without / oracle_outcome_without (reference
 * §3.7: a scenario that makes methods impossible). Expectations are worked out
 * here from the §3.1 method table and the §3.3 procedure, cell by cell.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "oracle.h"
#include "settings.h"

static struct neg_settings row(int r)
{
        struct neg_settings s;

        cr_assert_eq(settings_from_row(r, &s), 0);
        return s;
}

static enum outcome out(int h, int m, enum direction d, unsigned without)
{
        struct neg_settings hs = row(h), ps = row(m);

        return oracle_expect_without(&hs, SEMANTICS_MATRIX, &ps, d, without, NULL, 0);
}

Test(oracle_without, zero_is_the_plain_oracle)
{
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                for (int m = 1; m <= SETTINGS_ROWS; m++) {
                        struct neg_settings hs = row(h), ps = row(m);

                        for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++)
                                cr_expect_eq(out(h, m, (enum direction)d, 0),
                                             oracle_expect(&hs, SEMANTICS_MATRIX, &ps,
                                                           (enum direction)d, NULL, 0),
                                             "H%d M%d dir %d", h, m, d);
                }
        }
}

/* H9 (all methods) against M9 (all methods): S, then Dt without S, then F3 without
 * S and Dt (TLS is still used: Dp only applies without TLS). */
Test(oracle_without, removes_methods_from_the_common_set)
{
        cr_expect_eq(out(9, 9, DIR_OUTBOUND, 0), OUTCOME_S);
        cr_expect_eq(out(9, 9, DIR_OUTBOUND, METHOD_S), OUTCOME_DT);
        cr_expect_eq(out(9, 9, DIR_INBOUND, METHOD_S), OUTCOME_DT);
        cr_expect_eq(out(9, 9, DIR_OUTBOUND, METHOD_S | METHOD_DT), OUTCOME_F3);
        /* M7 {S,Dt}: without S -> Dt; M1 {S}: without S -> F3 (TLS up, nothing left). */
        cr_expect_eq(out(9, 7, DIR_OUTBOUND, METHOD_S), OUTCOME_DT);
        cr_expect_eq(out(9, 1, DIR_OUTBOUND, METHOD_S), OUTCOME_F3);
        /* Plaintext (H17 NS/NS/T vs M9): Dp; without Dp -> F4. */
        cr_expect_eq(out(17, 9, DIR_OUTBOUND, 0), OUTCOME_DP);
        cr_expect_eq(out(17, 9, DIR_OUTBOUND, METHOD_DP), OUTCOME_F4);
        /* Excluding a method that was not common changes nothing. */
        cr_expect_eq(out(13, 13, DIR_OUTBOUND, METHOD_S), OUTCOME_DT);
}

/* F1, F2 and F0 are decided on the configurations as they are, before `without`. */
Test(oracle_without, f0_f1_f2_come_first)
{
        cr_expect_eq(out(1, 17, DIR_OUTBOUND, METHOD_S), OUTCOME_F1);
        cr_expect_eq(out(17, 1, DIR_OUTBOUND, METHOD_DP), OUTCOME_F2);
        cr_expect_eq(out(17, 1, DIR_INBOUND, METHOD_DP), OUTCOME_F1);
        cr_expect_eq(out(14, 9, DIR_OUTBOUND, METHOD_S), OUTCOME_F0);
}

Test(oracle_without, rationale_names_the_exclusion)
{
        struct neg_settings hs = row(9), ps = row(9);
        char why[512];

        cr_assert_eq(oracle_expect_without(&hs, SEMANTICS_MATRIX, &ps, DIR_OUTBOUND,
                                           METHOD_S | METHOD_DP, why, sizeof(why)),
                     OUTCOME_DT);
        cr_expect(strncmp(why, "Dt:", 3) == 0, "%s", why);
        cr_expect(strstr(why, "rules out S,Dp") != NULL, "%s", why);
        cr_assert_eq(
            oracle_expect_without(&hs, SEMANTICS_MATRIX, &ps, DIR_OUTBOUND, 0, why, sizeof(why)),
            OUTCOME_S);
        cr_expect(strstr(why, "rules out") == NULL, "%s", why);
}
