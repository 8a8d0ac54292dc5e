#include "verdict.h"

static const char *const names[VERDICT_COUNT] = {"match", "mismatch", "error",
                                                 "skip",  "xfail",    "xpass"};

const char *verdict_name(enum verdict v)
{
        if ((unsigned)v >= VERDICT_COUNT)
                return "?";
        return names[v];
}

/* One line each, for `help codes` (the comments of enum verdict in our words). */
static const char *const texts[VERDICT_COUNT] = {
    "the partner did what its configuration implies",
    "it did something else",
    "the harness or the environment failed: nothing to judge",
    "not run (selection, or a prerequisite failed)",
    "a mismatch the scenario expects (a known partner quirk)",
    "a scenario expected to mismatch matched: the quirk is gone",
};

const char *verdict_text(enum verdict v)
{
        if ((unsigned)v >= VERDICT_COUNT)
                return "?";
        return texts[v];
}

static const char *const class_texts[CAUSE_CLASS_COUNT] = {
    NULL,
    "the partner broke the expectation or a rule (mismatch, xfail)",
    "a match only through an outcome the scenario accepts but the configuration does not imply",
    "DNS, connect, silence, the harness ran short: nothing was judged (error)",
    "what the operator or the scenario declared is stale (xpass)",
};

const char *cause_class_text(enum cause_class c)
{
        if ((unsigned)c >= CAUSE_CLASS_COUNT)
                return NULL;
        return class_texts[c];
}

static const char *const class_names[CAUSE_CLASS_COUNT] = {
    NULL, "partner-violation", "partner-choice", "harness-environment", "operator-input"};

const char *cause_class_name(enum cause_class c)
{
        if ((unsigned)c >= CAUSE_CLASS_COUNT)
                return NULL;
        return class_names[c];
}

static bool observation_agrees(const struct verdict_input *in)
{
        bool ok = oracle_consistent(in->expected, in->observed);

        for (int o = 0; !ok && o < OUTCOME_COUNT; o++) {
                if (in->accepted & OUTCOME_BIT(o))
                        ok = oracle_consistent((enum outcome)o, in->observed);
        }
        return ok;
}

bool verdict_outcome_agrees(const struct verdict_input *in)
{
        return !in->not_run && !in->environment_failed && in->observed != 0 &&
               observation_agrees(in);
}

static enum cause_class class_of(const struct verdict_input *in, enum verdict v)
{
        switch (v) {
        case VERDICT_MISMATCH:
        case VERDICT_XFAIL:
                return CAUSE_CLASS_PARTNER_VIOLATION;
        case VERDICT_ERROR:
                return CAUSE_CLASS_HARNESS_ENVIRONMENT;
        case VERDICT_XPASS:
                return CAUSE_CLASS_OPERATOR_INPUT;
        case VERDICT_MATCH:
                /* Only through an accepted alternative (reference §3.7, §3.10). */
                return in->accepted != 0 && !oracle_consistent(in->expected, in->observed)
                           ? CAUSE_CLASS_PARTNER_CHOICE
                           : CAUSE_CLASS_NONE;
        default:
                return CAUSE_CLASS_NONE;
        }
}

static struct verdict_judgement judged(const struct verdict_input *in, enum verdict v,
                                       enum verdict_basis basis)
{
        struct verdict_judgement j;

        j.verdict = v;
        j.basis = basis;
        j.cause_class = class_of(in, v);
        j.check_mismatch = false;
        return j;
}

struct verdict_judgement verdict_judge(const struct verdict_input *in)
{
        struct verdict_judgement j;
        enum verdict v;
        enum verdict_basis basis = VERDICT_BY_OUTCOME;

        if (in->not_run)
                return judged(in, VERDICT_SKIP, VERDICT_BY_NOT_RUN);
        if (in->partner_violated && !in->environment_failed && in->observed == 0) {
                v = VERDICT_MISMATCH;
                basis = VERDICT_BY_PARTNER_VIOLATION;
        } else if (in->environment_failed || in->observed == 0) {
                v = VERDICT_ERROR;
                basis = VERDICT_BY_ENVIRONMENT;
        } else if (!observation_agrees(in)) {
                v = VERDICT_MISMATCH;
        } else if (in->check_failed) {
                v = VERDICT_MISMATCH;
                basis = VERDICT_BY_CHECK;
        } else {
                v = VERDICT_MATCH;
        }
        if (in->harness_short && (v == VERDICT_MISMATCH || v == VERDICT_ERROR))
                j = judged(in, VERDICT_ERROR, VERDICT_BY_HARNESS_SHORT);
        else if (in->harness_refused && v == VERDICT_ERROR)
                j = judged(in, VERDICT_ERROR, VERDICT_BY_HARNESS_REFUSED);
        else if (in->expect_mismatch && v == VERDICT_MISMATCH)
                j = judged(in, VERDICT_XFAIL, basis);
        else if (in->expect_mismatch && v == VERDICT_MATCH)
                j = judged(in, VERDICT_XPASS, basis);
        else
                j = judged(in, v, basis);
        j.check_mismatch = basis == VERDICT_BY_CHECK;
        return j;
}
