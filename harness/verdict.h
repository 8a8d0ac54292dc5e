/*
 * Verdicts (design.md §3, §7): what an observation means against an expectation,
 * kept apart from the cause (the rule and the wire evidence), and whose side the
 * cause is on. Pure: the runner gathers the facts, this decides; nothing else
 * changes a verdict.
 */
#ifndef S2S_VERDICT_H
#define S2S_VERDICT_H

#include <stdbool.h>
#include <stddef.h>

#include "oracle.h"

enum verdict {
        VERDICT_MATCH = 0, /* the partner did what its configuration implies */
        VERDICT_MISMATCH,  /* it did something else */
        VERDICT_ERROR,     /* the harness or the environment failed: nothing to judge */
        VERDICT_SKIP,      /* not run (selection, or a prerequisite failed) */
        VERDICT_XFAIL,     /* a mismatch the scenario expects (a known partner quirk) */
        VERDICT_XPASS,     /* a scenario expected to mismatch matched: the quirk is gone */
        VERDICT_COUNT,
};

/* "match", "mismatch", "error", "skip", "xfail", "xpass". */
const char *verdict_name(enum verdict v);

/*
 * Whose side a verdict's cause is on (design.md §7). Only a partner violation is
 * ever the partner's fault; a harness or environment failure never reads as one.
 */
enum cause_class {
        CAUSE_CLASS_NONE = 0,            /* nothing to blame: a plain match, a skip */
        CAUSE_CLASS_PARTNER_VIOLATION,   /* the partner broke the expectation or a rule
                                            (mismatch, xfail) */
        CAUSE_CLASS_PARTNER_CHOICE,      /* a match only through an outcome the scenario
                                            accepts but the configuration does not imply
                                            (an UNDEFINED point of the reference) */
        CAUSE_CLASS_HARNESS_ENVIRONMENT, /* DNS, connect, silence, the harness ran short:
                                            nothing was judged (error) */
        CAUSE_CLASS_OPERATOR_INPUT,      /* what the operator or the scenario declared is
                                            stale: a known deviation that did not happen
                                            (xpass) */
        CAUSE_CLASS_COUNT,
};

/* "partner-violation", "partner-choice", "harness-environment", "operator-input";
 * NULL for CAUSE_CLASS_NONE. */
const char *cause_class_name(enum cause_class c);

/* What a verdict, a cause class means, one line (`help codes`); "?" / NULL out of
 * range, NULL for CAUSE_CLASS_NONE. */
const char *verdict_text(enum verdict v);
const char *cause_class_text(enum cause_class c);

/* What the harness saw of one scenario. */
struct verdict_input {
        bool not_run;            /* not run: selection, a prerequisite, the preflight, a signal */
        enum outcome expected;   /* the oracle's code */
        unsigned accepted;       /* extra codes the scenario accepts (OUTCOME_BIT set), 0 = none */
        unsigned observed;       /* codes consistent with the wire (OUTCOME_BIT set), 0 = none */
        bool environment_failed; /* DNS, connect, internal error, or silence before anything */
        bool expect_mismatch;    /* the scenario declares a known deviation (XFAIL) */
        /* The partner broke a rule on a harness stream the scenario depends on (e.g.
         * it answered the inbound trigger's dialback 'valid' without verifying it,
         * XEP-0220 §2.2), so the scenario's own stream never came: nothing was
         * observed, yet the partner is at fault. A mismatch whatever was expected. */
        bool partner_violated;
        bool check_failed; /* a named wire check failed (checks.h) */
        /* The harness itself ran short while the scenario ran (net_pressure:
         * connection table, descriptors, memory): a mismatch or an error is then
         * not the partner's doing. */
        bool harness_short;
        /* Its per-source listener cap refused connections meanwhile: an error is
         * then the harness's (the partner's may have been among them); a mismatch
         * stands, or a stranger could hide one. */
        bool harness_refused;
};

/* Which rule of verdict_judge decided: the runner words the cause from it. */
enum verdict_basis {
        VERDICT_BY_NOT_RUN = 0,       /* not_run */
        VERDICT_BY_OUTCOME,           /* the observed codes against the expected ones */
        VERDICT_BY_ENVIRONMENT,       /* environment_failed, or nothing observed */
        VERDICT_BY_PARTNER_VIOLATION, /* partner_violated with nothing observed */
        VERDICT_BY_CHECK,             /* a failed check turned a match into a mismatch */
        VERDICT_BY_HARNESS_SHORT,     /* harness_short voided a mismatch or an error */
        VERDICT_BY_HARNESS_REFUSED,   /* harness_refused made an error the harness's */
};

struct verdict_judgement {
        enum verdict verdict;
        enum verdict_basis basis;
        enum cause_class cause_class;
        /* Rule 4 applied: a failed check turned the match into a mismatch (its line is
         * the cause), also when rule 5 or 6 then changed the verdict. */
        bool check_mismatch;
};

/*
 * Whether the observation alone agrees with the expectation: the observed set
 * holds the expected code or an accepted one (oracle_consistent; F0 matches any
 * failure), something was observed and the environment did not fail. The runner
 * asks it to pick the success checks before it has their results.
 */
bool verdict_outcome_agrees(const struct verdict_input *in);

/*
 * Judges one scenario, every rule in this order:
 *  1. not run: skip;
 *  2. a partner violation with nothing observed (and no environment failure): a
 *     mismatch whatever was expected;
 *  3. an environment failure, or nothing observed: an error whatever was observed;
 *  4. otherwise the outcome: match when it agrees (verdict_outcome_agrees), else
 *     mismatch; a failed check turns that match into a mismatch;
 *  5. the harness ran short: a mismatch or an error becomes an error (the
 *     harness's); its listener cap refused connections: an error is the harness's;
 *  6. a declared deviation: mismatch becomes xfail, match becomes xpass.
 * The cause class follows the verdict (enum cause_class). Never fails.
 */
struct verdict_judgement verdict_judge(const struct verdict_input *in);

#endif
