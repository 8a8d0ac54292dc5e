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

/* What a result showed of one fact about a partner domain (domains.h). */
enum dom_fact {
        DOM_UNKNOWN = 0, /* not shown either way */
        DOM_NO,
        DOM_YES,
};

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
        /* The domains verdict's facts (domains.h), from typed engine data: the partner
         * domain the scenario addressed (the primary, or an additional domain), whether
         * the scenario is tagged "domains" (then left out of the negotiation
         * classification), whether the partner serves that domain (stream opened, or
         * host-unknown / host-gone), whether its certificate covers it (certid_match on
         * the presented identities) and whether a pair of it authenticated. */
        char pdomain[256];
        bool domains_scenario;
        enum dom_fact served, cert_covers, authenticated;
};

/* The partner's domains, one item per domain and direction (domains.h). */
#define RUN_DOMAINS_MAX 65 /* the primary and PARTNER_ADDITIONAL_MAX additional domains */
#define RUN_DOMAIN_ITEMS (2 * RUN_DOMAINS_MAX)

struct domain_item {
        char domain[256];
        bool primary;
        enum direction dir;
        enum dom_fact served, cert_covers, authenticated;
        size_t results; /* the results that addressed this domain in this direction */
        char finding[RESULT_TEXT_MAX]; /* the fault, "" when none */
        char fix[RESULT_TEXT_MAX];     /* its fix, "" when none */
};

struct domains_verdict {
        struct domain_item items[RUN_DOMAIN_ITEMS];
        size_t n_items;
        size_t n_domains;              /* the primary and the additional domains */
        size_t not_served;             /* domains not served in some direction */
        size_t served;                 /* domains served (yes in some direction, never no) */
        size_t not_checked;            /* domains of which no result showed whether served */
        size_t not_covered;            /* domains the partner's certificate does not cover */
        size_t not_auth;               /* domains that never authenticated where they should */
        size_t faults;                 /* items with a finding */
        char summary[RESULT_TEXT_MAX]; /* "2 of 3 not served", "3 of 3 served", ... */
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
        /* The partner file's additional domains (the runner copies them), and the
         * domains verdict over them and the primary (domains_judge, from classify_run). */
        char additional[RUN_DOMAINS_MAX - 1][256];
        size_t n_additional;
        struct domains_verdict domains;
        /* How the run was invoked, for the JSON report's "invocation" (docs/report-json.md;
         * issue 14 item 4). Borrowed from the command: its argv and option values. */
        struct run_invocation {
                int argc;
                char *const *argv;
                const char *scenarios; /* --scenarios, NULL: the default folder */
                const char *const *add, *const *quirks, *const *only, *const *skip;
                size_t n_add, n_quirks, n_only, n_skip;
                const char *domain; /* --domain as given, NULL: the default */
                unsigned timeout_s, step_timeout_ms, jobs;
        } invocation;
        /* --transcripts DIR (NULL without), and --no-transcripts-inline: the reports then
         * name each transcript's file there instead of carrying the text. */
        const char *transcripts_dir;
        bool no_transcripts_inline;
};

/* Frees every owned part and zeroes r. NULL-safe. */
void run_report_cleanup(struct run_report *r);

/* Frees the owned parts of one result. */
void scenario_result_cleanup(struct scenario_result *s);

#endif
