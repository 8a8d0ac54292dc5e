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

/* One observation: what a harness setting saw in one direction. */
struct observation {
        int harness_row; /* 1..18 */
        enum semantics hsem;
        enum direction dir;
        unsigned observed; /* set of OUTCOME_BIT()s */
};

/* Which partner configurations explain a set of observations (reference §3.8). */
struct classification {
        unsigned rows;    /* bit (r-1): row Mr (valid or not) predicts every observation */
        unsigned classes; /* bit (k-1): every row of class Ek predicts every observation */
        /* For each row Mr (index r-1): index of the first observation it does not
         * predict, or -1 when it predicts them all. */
        int first_conflict[SETTINGS_ROWS];
};

/* Fills *out. With n == 0 every configuration is consistent. */
void oracle_classify(const struct observation *obs, size_t n, struct classification *out);

#endif
