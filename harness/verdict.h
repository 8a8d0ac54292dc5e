/*
 * Verdicts (design.md §3): what an observation means against an expectation,
 * kept apart from the cause (the rule and the wire evidence). Pure.
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

/* What the harness saw of one scenario. */
struct verdict_input {
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
};

/*
 * Judges one scenario. A success observation matches only its own code; a
 * failure set matches when it holds the expected code (or any accepted one);
 * F0 matches any failure (oracle_consistent). An environment failure is an
 * error verdict whatever was expected; a partner violation with nothing
 * observed is a mismatch (an xfail when expected).
 */
enum verdict verdict_judge(const struct verdict_input *in);

#endif
