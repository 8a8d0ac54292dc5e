/*
 * The expected-outcome oracle (reference §3): pure functions over negotiation
 * settings. No I/O, no allocation; every answer is a function of its arguments.
 */
#ifndef S2S_ORACLE_H
#define S2S_ORACLE_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

/* Authentication methods (reference §3.1), as bits of an accepted-method set. */
enum method {
        METHOD_S = 1u << 0,  /* SASL EXTERNAL over TLS */
        METHOD_DT = 1u << 1, /* dialback on a TLS-protected stream */
        METHOD_DP = 1u << 2, /* dialback on a plaintext stream */
};

/* Outcome codes (reference §3.3). */
enum outcome {
        OUTCOME_S = 0,
        OUTCOME_DT,
        OUTCOME_DP,
        OUTCOME_F0,
        OUTCOME_F1,
        OUTCOME_F2,
        OUTCOME_F3,
        OUTCOME_F4,
        OUTCOME_COUNT,
};

/* How a side reads "Required"/"Optional" (reference §3.1 vs §3.5). */
enum semantics {
        SEMANTICS_MATRIX = 0, /* Microsoft's matrix: the default, and always for partners */
        SEMANTICS_STRICT,     /* "Required" SASL means mandatory-to-negotiate */
};

/* Who opens the TCP connection. */
enum direction {
        DIR_OUTBOUND = 0, /* the harness initiates, the partner receives */
        DIR_INBOUND,      /* the partner initiates, the harness receives */
};

#define ORACLE_CLASSES 7 /* E1..E7 */

/* "S", "Dt", "Dp", "F0".."F4". */
const char *outcome_name(enum outcome o);

/* What the code means, one line ("SASL EXTERNAL over TLS"); "?" out of range. */
const char *outcome_text(enum outcome o);

/* Parses an outcome code (exact, case-sensitive). Returns 0, or -1. */
int outcome_parse(const char *text, enum outcome *out);

/* "outbound" / "inbound". */
const char *direction_name(enum direction d);

/* "S", "Dt", "Dp" for one method bit. */
const char *method_name(enum method m);

/* Writes "S,Dt" style text of a method set into buf (at least 12 bytes); "" for none. */
const char *methods_text(unsigned methods, const char *sep, char *buf, size_t len);

/* Accepted-method set A(cfg) (reference §3.1 table; §3.5 for SEMANTICS_STRICT). */
unsigned oracle_methods(const struct neg_settings *s, enum semantics sem);

/* Matrix-valid: not marked "Not Valid Configuration" in table B (reference §1.5). */
bool oracle_matrix_valid(const struct neg_settings *s);

/* Commit-valid: the Control Panel's rule that SASL needs TLS (reference §1.1). */
bool oracle_commit_valid(const struct neg_settings *s);

/* Valid = matrix-valid and commit-valid (reference §1.6 item 1). */
bool oracle_valid(const struct neg_settings *s);

/* Class 1..7 (E1..E7, reference §3.8) of a valid configuration, 0 for an invalid one. */
int oracle_class(const struct neg_settings *s);

/* Bit (row - 1) set for each row M1..M18 in class k (1..7); 0 for k out of range. */
unsigned oracle_class_rows(int k);

/*
 * Expected outcome of one negotiation (reference §3.3), initiator I against
 * receiver R. `why`, when not NULL, receives a one-line rationale naming the
 * rule; `ilabel` and `rlabel` name the two sides in it ("harness", "partner").
 */
enum outcome oracle_outcome(const struct neg_settings *i, enum semantics isem,
                            const struct neg_settings *r, enum semantics rsem, const char *ilabel,
                            const char *rlabel, char *why, size_t whylen);

/*
 * Expected outcome of a scenario: harness settings against the partner's
 * configuration in one direction. The partner is always read with matrix
 * semantics (reference §3.5: classify Lync partners with the matrix).
 */
enum outcome oracle_expect(const struct neg_settings *harness, enum semantics hsem,
                           const struct neg_settings *partner, enum direction dir, char *why,
                           size_t whylen);

/*
 * oracle_outcome with the methods in `without` (METHOD_* bits) taken out of the
 * common set (reference §3.7): a scenario that makes a method impossible, e.g. a
 * harness certificate that cannot prove the harness domain (no S). The F1, F2 and
 * F0 rules come first and are unchanged; nothing left in common gives F3 over TLS
 * and F4 in plaintext. without == 0 is oracle_outcome. The rationale says which
 * methods were excluded.
 */
enum outcome oracle_outcome_without(const struct neg_settings *i, enum semantics isem,
                                    const struct neg_settings *r, enum semantics rsem,
                                    unsigned without, const char *ilabel, const char *rlabel,
                                    char *why, size_t whylen);

/* oracle_expect with methods excluded, as oracle_outcome_without. */
enum outcome oracle_expect_without(const struct neg_settings *harness, enum semantics hsem,
                                   const struct neg_settings *partner, enum direction dir,
                                   unsigned without, char *why, size_t whylen);

/* What Microsoft's table B says of one row (values exact, notes paraphrased). */
struct row_info {
        const char *methods_text; /* "Expected Authentication Method(s)" column */
        const char *note;         /* warning / note, paraphrased; "" when none */
};

/* Row 1..18; NULL out of range. */
const struct row_info *oracle_row_info(int row);

/*
 * For an invalid configuration: the rule it breaks and the fix, one sentence each.
 * Returns 0 and sets both, or -1 for a valid configuration.
 */
int oracle_invalid_reason(const struct neg_settings *s, const char **rule, const char **fix);

/* A set of outcome codes, as bits. */
#define OUTCOME_BIT(o) (1u << (unsigned)(o))
#define OUTCOME_SUCCESS_SET                                                                        \
        (OUTCOME_BIT(OUTCOME_S) | OUTCOME_BIT(OUTCOME_DT) | OUTCOME_BIT(OUTCOME_DP))

/*
 * Whether an observation (a set of codes that fit what was seen on the wire: one
 * code for a success, sometimes several for a failure the observing side cannot
 * tell apart) agrees with an expected code. F0 (an invalid configuration) only
 * says that nothing may succeed, so any non-empty set without a success code
 * agrees with it.
 */
bool oracle_consistent(enum outcome expected, unsigned observed_set);

/*
 * What one harness side can tell apart (docs/observables.md). Of a negotiation
 * a side sees, whatever the partner declares, whether it authenticated and with
 * which method (S, Dt, Dp) and, when it did not, whether TLS was established
 * (F3) or not (F1, F2, F4). Which of F1, F2 and F4 a failure without TLS is
 * depends on why the partner did not go on: its own TLS policy or having no
 * common method, which the side learns only from what the partner declares
 * (<required/>, RFC 6120 §5.4.1) or cannot learn at all (a receiving side whose
 * peer leaves without a word: F1|F4). F0 is no observation: it says that
 * nothing may succeed.
 */

/*
 * The codes a harness side (its settings, read with hsem, in direction dir)
 * can report: for every partner row M1..M18, the oracle's outcome, and the
 * failure code of the same TLS situation (what the engine reports when
 * authentication fails there: F1 or F2 when the TLS rule fails first, else F3
 * over TLS and F4 in plaintext). An OUTCOME_BIT set.
 */
unsigned oracle_side_codes(const struct neg_settings *harness, enum semantics hsem,
                           enum direction dir);

/*
 * The codes that look the same as o from that side: o, and for a failure
 * (F1..F4) the side can report, every code of oracle_side_codes that is also a
 * failure with the same TLS state (F3 over TLS; F1, F2, F4 without). A success,
 * F0, or a code the side never reports: o alone.
 * E.g. an initiating harness with TLS NotSupported: F2|F4; a receiving one:
 * F1|F4. An OUTCOME_BIT set.
 */
unsigned oracle_indistinguishable(const struct neg_settings *harness, enum semantics hsem,
                                  enum direction dir, enum outcome o);

/*
 * Whether an observation agrees with an expected code by behaviour: with one of
 * the codes oracle_indistinguishable gives for it (oracle_consistent each).
 */
bool oracle_consistent_observable(const struct neg_settings *harness, enum semantics hsem,
                                  enum direction dir, enum outcome expected, unsigned observed_set);

/* One observation: what a harness setting saw in one direction. */
struct observation {
        int harness_row; /* 1..18 */
        enum semantics hsem;
        enum direction dir;
        unsigned observed; /* set of OUTCOME_BIT()s */
};

/*
 * Which partner configurations explain a set of observations (reference §3.8),
 * compared two ways: exactly (oracle_consistent: each observation holds the
 * predicted code), and by behaviour (oracle_consistent_observable: it holds a
 * code that side cannot tell apart from the predicted one). The exact
 * comparison decides; the behaviour one only when no valid class explains the
 * observations exactly (by_behaviour): then the partner does what a row does
 * but declares something else (e.g. TLS Required without <required/>), and the
 * observations that differ exactly are its findings (docs/observables.md).
 */
struct classification {
        unsigned rows;    /* bit (r-1): row Mr (valid or not) predicts every observation */
        unsigned classes; /* bit (k-1): every row of class Ek predicts every observation */
        /* For each row Mr (index r-1): index of the first observation it does not
         * predict, or -1 when it predicts them all. */
        int first_conflict[SETTINGS_ROWS];
        /* The same three, compared by behaviour (a superset of the exact ones). */
        unsigned behaviour_rows;
        unsigned behaviour_classes;
        int first_behaviour_conflict[SETTINGS_ROWS];
        /* No class explains the observations exactly and at least one does by
         * behaviour: the behaviour fields are the classification. */
        bool by_behaviour;
};

/* Fills *out. With n == 0 every configuration is consistent. */
void oracle_classify(const struct observation *obs, size_t n, struct classification *out);

/*
 * oracle_classify in parts, for observations that come in chunks: begin, then
 * add each chunk (base = the number of observations added before it, so that
 * first_conflict indexes the whole set), then end (classes and by_behaviour).
 */
void oracle_classify_begin(struct classification *c);
void oracle_classify_add(struct classification *c, const struct observation *obs, size_t n,
                         size_t base);
void oracle_classify_end(struct classification *c);

/* The rows and classes that explain the observations: the behaviour ones when
 * c->by_behaviour, else the exact ones. */
unsigned oracle_classification_rows(const struct classification *c);
unsigned oracle_classification_classes(const struct classification *c);
/* The index of the first observation row (1..18) does not explain in the
 * comparison that decided, or -1. */
int oracle_classification_conflict(const struct classification *c, int row);

#endif
