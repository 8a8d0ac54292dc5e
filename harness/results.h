/*
 * The results of a run: what the runner fills in and the reports print
 * (text, JSON, JUnit, transcripts). Plain data; report.h formats it.
 */
#ifndef S2S_RESULTS_H
#define S2S_RESULTS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "oracle.h"
#include "refusals.h"
#include "rules.h"
#include "settings.h"
#include "verdict.h"

#define RESULT_TEXT_MAX 512

/* Why a result is an error (design.md §7: a cause has a class). */
enum error_cause {
        ERROR_CAUSE_NONE = 0,    /* not an error */
        ERROR_CAUSE_ENVIRONMENT, /* DNS, connect, silence before anything, no result */
        ERROR_CAUSE_HARNESS,     /* the harness ran short (net_pressure): table, descriptors,
                                    memory, a listener cap */
};

/* Appends a copy of line, under rule, to s's findings. 0, or -1 when out of memory
 * (nothing added). */
struct scenario_result;
int scenario_result_add_finding(struct scenario_result *s, const char *line, enum rule_id rule);

/* "environment", "harness"; NULL for ERROR_CAUSE_NONE. */
const char *error_cause_name(enum error_cause c);

/* One scenario: one harness setting, one direction, one negotiation. */
struct checkup_report; /* checkup.h */

struct scenario_result {
        /* stable id: the scenario's id, with ".<domain>" for each additional partner
         * domain of a <partner-domain select="additional"/> scenario */
        char id[128];
        char title[256];      /* one line for people */
        char tags[544];       /* the scenario's tags, comma-separated; "" when none */
        char refs[2080];      /* the scenario's <spec> references, "; "-separated */
        char certificate[16]; /* the certificate variant the harness presented */
        enum direction dir;
        int harness_row; /* 1..18 */
        struct neg_settings harness;
        enum semantics hsem;
        char harness_domain[256]; /* the scenario's harness (sub)domain */
        enum outcome expected;
        unsigned accepted; /* further accepted codes (OUTCOME_BIT set) */
        unsigned observed; /* codes consistent with the wire; 0 = nothing observed */
        enum verdict verdict;
        enum error_cause error_cause; /* with verdict error: whose failure it was */
        enum cause_class cause_class; /* whose side the cause is on (verdict.h) */
        bool not_run; /* the run was interrupted before this scenario ran (verdict skip) */
        char rationale[RESULT_TEXT_MAX]; /* why the oracle expects `expected` */
        char cause[RESULT_TEXT_MAX];     /* what happened and why, with the rule */
        char spec[128];                  /* the RFC/XEP section behind the cause */
        enum rule_id rule_id;            /* the rule behind the cause (rules.h), or RULE_NONE */
        char *transcript;                /* owned text, NUL-terminated; may be NULL */
        char **findings;                 /* owned lines: violations and notes */
        size_t n_findings;
        /* The rule of each finding line (n_findings, owned), or NULL when the lines
         * were filled in by hand (tests): then no line has a rule. */
        enum rule_id *finding_rules;
        double seconds; /* wall time of the scenario */
        /* The expectation does not come from the plain oracle (a misbehaviour, a
         * certificate variant, an explicit set, `without`, a knob): the result is a
         * finding and is left out of the classification (reference §3.8). */
        bool unclassified;
        char failed_check[64]; /* the named wire check that failed, "" when none */
        /* A known deviation the run expects (<xfail> or a --quirks entry): its reason and
         * where it was declared; "" when none. */
        char known_deviation[RESULT_TEXT_MAX];
};

/* A whole run against one partner. */
struct run_report {
        const char *tool_version;
        char partner_domain[256];
        char partner_source[512]; /* the partner file */
        char target[256];         /* "built-in reference partner" or host[:port] */
        struct neg_settings partner;
        struct scenario_result *results; /* owned array */
        size_t n_results;
        /* Filled by classify_run. */
        unsigned counts[VERDICT_COUNT];
        struct classification cls;
        size_t n_classified;             /* observations the classification used */
        char suggested[RESULT_TEXT_MAX]; /* Set-CsXmppAllowedPartner line, "" when none fits */
        bool incomplete;                 /* interrupted: some scenarios did not run */
        char incomplete_reason[512];     /* the preflight's reason names a file or address */
        time_t started;
        double seconds;
        /* Streams refused outside any scenario, with the run-level transcript. */
        struct refusals refused;
        /* No --target: the partner was the built-in reference partner, the partner's
         * real server was never contacted (issue 12 item 2). Set by the runner. */
        bool self_test;
        /* What the classification rests on (classify_run): its observations per
         * direction (index enum direction), the scenarios of each direction that the
         * classification would have used but that errored or did not run, and the
         * rows (bit row-1) that fit the observations but predict different outcomes
         * for those scenarios: the missing direction is what would tell them apart. */
        size_t cls_dir[2];
        size_t unjudged_dir[2];
        unsigned untold_rows;
        unsigned untold_dirs; /* bits 1u << enum direction */
        /* A real partner: connections at once to one of its addresses
         * (--partner-connections, or the partner file's ConnectionLimit). */
        unsigned partner_conns;
        /* The preflight's findings when one ran before the run (borrowed), and whether
         * it stopped the run (every scenario then not run, the report incomplete). */
        const struct checkup_report *preflight;
        bool preflight_stopped;
};

/* Frees every owned part and zeroes r. NULL-safe. */
void run_report_cleanup(struct run_report *r);

/* Frees the owned parts of one result. */
void scenario_result_cleanup(struct scenario_result *s);

#endif
