#include "verdict.h"

static const char *const names[VERDICT_COUNT] = {"match", "mismatch", "error",
                                                 "skip",  "xfail",    "xpass"};

const char *verdict_name(enum verdict v)
{
        if ((unsigned)v >= VERDICT_COUNT)
                return "?";
        return names[v];
}

enum verdict verdict_judge(const struct verdict_input *in)
{
        bool ok;

        if (in->partner_violated && !in->environment_failed && in->observed == 0)
                return in->expect_mismatch ? VERDICT_XFAIL : VERDICT_MISMATCH;
        if (in->environment_failed || in->observed == 0)
                return VERDICT_ERROR;
        ok = oracle_consistent(in->expected, in->observed);
        for (int o = 0; !ok && o < OUTCOME_COUNT; o++) {
                if (in->accepted & OUTCOME_BIT(o))
                        ok = oracle_consistent((enum outcome)o, in->observed);
        }
        if (in->expect_mismatch)
                return ok ? VERDICT_XPASS : VERDICT_XFAIL;
        return ok ? VERDICT_MATCH : VERDICT_MISMATCH;
}
