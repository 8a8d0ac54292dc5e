/*
 * The results of a run that need attention (mismatch, xpass, error), grouped by
 * cause: one group per cause key (the rule behind the verdict, else the verdict and
 * whose side the cause is on), in the order first met, each scenario in exactly one
 * group. The text, Markdown and HTML reports print one line (or row, or section) per
 * group with the scenarios it covers, instead of the same cause under every row.
 */
#ifndef S2S_ATTENTION_H
#define S2S_ATTENTION_H

#include <stdbool.h>
#include <stddef.h>

#include "results.h"
#include "rules.h"
#include "verdict.h"

/* Whether s needs attention: run, and mismatch, xpass or error. */
bool attention_needed(const struct scenario_result *s);

struct attention_group {
        enum rule_id rule;    /* the rule behind the cause, or RULE_NONE */
        enum verdict verdict; /* the verdict of the group's first scenario */
        enum cause_class cls; /* whose side the cause is on */
        char key[64];         /* the rule's id, else "<verdict>: <cause class>" */
        size_t n;             /* scenarios in the group */
        size_t *members;      /* their indices in run_report.results, run order */
};

struct attention {
        struct attention_group *groups;
        size_t n_groups;
        size_t n_results; /* scenarios needing attention, all groups together */
};

/* Groups r's results needing attention. 0, or -1 out of memory (out then empty). */
int attention_collect(const struct run_report *r, struct attention *out);

void attention_free(struct attention *a);

/* The run's verdict for the headings of the Markdown and HTML reports: "pass" when
 * nothing needs attention (a, from attention_collect), no domain has a fault and the
 * run is complete; otherwise "needs attention". */
bool attention_pass(const struct run_report *r, const struct attention *a);

#endif
