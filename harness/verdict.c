#include "verdict.h"

/* A word of the vocabulary: its name in reports and its meaning in one line (`help
 * codes`), one row each, so the two cannot drift apart. */
struct word {
        const char *name, *text;
};

static const struct word verdicts[VERDICT_COUNT] = {
    {"match", "the partner did what its configuration implies"},
    {"mismatch", "it did something else"},
    {"error", "the harness or the environment failed: nothing to judge"},
    {"skip", "not run (selection, or a prerequisite failed)"},
    {"xfail", "a mismatch the scenario expects (a known partner quirk)"},
    {"xpass", "a scenario expected to mismatch matched: the quirk is gone"},
};

static const struct word cause_classes[CAUSE_CLASS_COUNT] = {
    {NULL, NULL},
    {"partner-violation", "the partner broke the expectation or a rule (mismatch, xfail)"},
    {"partner-choice", "a match only through an outcome the scenario accepts but the "
                       "configuration does not imply"},
    {"harness-environment",
     "DNS, connect, silence, the harness ran short: nothing was judged (error)"},
    {"operator-input", "what the operator or the scenario declared is stale (xpass)"},
};

/* The row of v in a table of n, or NULL out of range. */
static const struct word *word_of(const struct word *t, unsigned n, unsigned v)
{
        return v < n ? &t[v] : NULL;
}

const char *verdict_name(enum verdict v)
{
        const struct word *w = word_of(verdicts, VERDICT_COUNT, (unsigned)v);

        return w != NULL ? w->name : "?";
}

const char *verdict_text(enum verdict v)
{
        const struct word *w = word_of(verdicts, VERDICT_COUNT, (unsigned)v);

        return w != NULL ? w->text : "?";
}

const char *cause_class_name(enum cause_class c)
{
        const struct word *w = word_of(cause_classes, CAUSE_CLASS_COUNT, (unsigned)c);

        return w != NULL ? w->name : NULL;
}

const char *cause_class_text(enum cause_class c)
{
        const struct word *w = word_of(cause_classes, CAUSE_CLASS_COUNT, (unsigned)c);

        return w != NULL ? w->text : NULL;
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
