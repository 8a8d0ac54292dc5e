/*
 * The partner classification (reference §3.8, design.md §1 item 4): which partner
 * configurations and classes E1-E7 explain what a run observed, what contradicts
 * the others, which observations agree only by behaviour (docs/observables.md),
 * and the Set-CsXmppAllowedPartner line to suggest. Pure functions over the
 * scenario results of a run_report; report.c only formats what they say.
 * classify_run fills the run_report's summary fields; every other function
 * borrows the report and changes nothing.
 */
#ifndef S2S_CLASSIFY_H
#define S2S_CLASSIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "results.h"

/* The finding of an outbound certificate-variant scenario that closed (F3) where
 * dialback was expected (classify_cert_required_for_dialback). */
#define CLASSIFY_CERT_FOR_DIALBACK_TEXT                                                            \
        "the partner demands a valid certificate even for dialback: with a certificate that "      \
        "cannot prove the harness domain it closed instead of verifying with dialback "            \
        "(XEP-0178 step 9 allows dialback then; reference CRT-6, §3.7)"

/*
 * Fills r->counts (per verdict), r->cls and r->n_classified, the basis
 * (r->cls_dir, r->unjudged_dir, r->untold_rows, r->untold_dirs) and r->suggested.
 * The classification (reference §3.8, oracle_classify) uses every result that
 * observed something and whose verdict is neither error nor skip. suggested is
 * a Set-CsXmppAllowedPartner line: the partner's own settings when its row
 * explains every observation; else the canonical row of the one class that does
 * (E1->M2, E2->M9, E3->M10, E4->M7, E5->M13, E6->M15, E7->M17); "" when several
 * classes or none fit, when nothing was observed, or in a self-test. Call it
 * before the report formatters: they print what it filled in.
 */
void classify_run(struct run_report *r);

/*
 * Canonical row (1..18) of class k (1..7): the row classify_run suggests when the
 * observations say "class Ek" (all rows of a class look the same on the wire).
 * 0 for k out of range.
 */
int classify_canonical_row(int k);

/* What explains the observations, after classify_run. */
enum classify_state {
        CLASSIFY_NOTHING, /* no usable observation */
        CLASSIFY_OWN_ROW, /* the partner's own (valid) row explains everything */
        CLASSIFY_ONE,     /* exactly one class fits */
        CLASSIFY_SEVERAL, /* several classes fit: the observations do not decide */
        CLASSIFY_NONE,    /* no class fits */
};

enum classify_state classify_state(const struct run_report *r);

/* "nothing-observed", "matches", "class", "undecided", "none"; "?" out of range. */
const char *classify_state_name(enum classify_state st);

/* The rows (bit row-1) and classes (bit k-1) that explain the observations:
 * compared exactly, or by behaviour when no class does exactly. */
unsigned classify_rows(const struct run_report *r);
unsigned classify_classes(const struct run_report *r);

/* How many classes explain the observations. */
int classify_class_count(const struct run_report *r);

/* The lowest class k (1..7) in a class set (bit k-1); 0 for the empty set. */
int classify_lowest_class(unsigned classes);

/* The partner's own configuration row (1..18; settings_row), and whether it is
 * among the rows that explain the observations. */
int classify_own_row(const struct run_report *r);
bool classify_own_row_consistent(const struct run_report *r);

/* The row that explains the observations: the partner's own (state "matches") or
 * the canonical row of the one class that does (state "class"); 0 otherwise. */
int classify_explaining_row(const struct run_report *r);

/* Whether the classification uses s: it observed something, ran, is classified
 * and its verdict is neither error nor skip. */
bool classify_uses(const struct scenario_result *s);

/* A scenario the classification would have used had it been judged: a plain
 * oracle expectation, but it errored or did not run (issue 12 item 2). */
bool classify_unjudged(const struct scenario_result *s);

/* A match only through an alternative the scenario accepts (an UNDEFINED point of
 * the reference): the partner chose something its configuration does not imply
 * (reference §3.7, §3.10). */
bool classify_is_alternative(const struct scenario_result *s);

/* A finding no Lync setting expresses: a mismatch (or xfail) from a failed wire
 * check, or of a scenario outside the classification. */
bool classify_is_finding(const struct scenario_result *s);

/* The number of outbound certificate-variant scenarios in which dialback was
 * expected and the partner closed instead (CLASSIFY_CERT_FOR_DIALBACK_TEXT). */
size_t classify_cert_required_for_dialback(const struct run_report *r);

/* One contradiction: configuration row `row` does not predict an observation. */
struct classify_contradiction {
        int row;
        int cls; /* 0 for an invalid row */
        const struct scenario_result *s;
        enum outcome expected; /* what the row predicts for s */
};

/*
 * The contradictions worth showing: the partner's own row first (when it does
 * not explain the observations), then one per class that does not fit, named by
 * its canonical row. Writes at most 1 + ORACLE_CLASSES to out; returns how many.
 */
size_t classify_contradictions(const struct run_report *r, struct classify_contradiction *out);

/*
 * Whether s is an observation that row explains only by behaviour: it holds no
 * code the row predicts, only one the observing side cannot tell apart from it
 * (oracle_indistinguishable). *want gets the row's prediction, *alike the set.
 */
bool classify_behaviour_only(const struct scenario_result *s, int row, enum outcome *want,
                             unsigned *alike);

/*
 * Whether s, which went wrong under the partner's own configuration, is what row
 * predicts: the plain oracle with the partner configured as row gives a code s
 * observed (exactly, or one its observing side cannot tell apart). With the
 * suggested row of state "class", such findings are consequences of the one wrong
 * setting, not further faults: the text report says so once instead of listing them.
 */
bool classify_explained_by(const struct scenario_result *s, int row);

/* The number of observations the explaining row fits only by behaviour. */
size_t classify_behaviour_only_count(const struct run_report *r);

/* What a partner declared otherwise when an observation agrees with its row only
 * by behaviour, by direction and the row's prediction: *text and *rule (static
 * strings; a generic pair when the table has none). */
void classify_declared(enum direction dir, enum outcome want, const char **text, const char **rule);

#endif
