/*
 * Streams the harness refused outside any scenario (issue 10: never refuse a
 * stream silently). A connection to the harness's listener whose stream no
 * scenario owns (an unknown name, no 'to', a wrong namespace, garbage...) is
 * answered by the run's base node, which refuses it; the runner counts each such
 * stream here by cause, with the rule behind it, so that every report can say
 * "the partner connected 86 times to harness.test and was refused: 80
 * host-unknown (no 'to') [RFC 6120 §4.9.3.6], ...". Everything is bounded: the
 * number of distinct causes (the rest are counted as "other"), and the run-level
 * transcript (the runner caps its bytes and the streams it transcribes).
 * Plain data and pure functions: no I/O, no clock.
 */
#ifndef S2S_REFUSALS_H
#define S2S_REFUSALS_H

#include <stdbool.h>
#include <stddef.h>

#include "rules.h"

#define REFUSAL_CAUSES_MAX 8
#define REFUSAL_CAUSE_MAX 96
#define REFUSAL_RULE_MAX 64

struct refusal_cause {
        char cause[REFUSAL_CAUSE_MAX]; /* "host-unknown (no 'to')" */
        char rule[REFUSAL_RULE_MAX];   /* "RFC 6120 §4.9.3.6" */
        unsigned long count;
};

struct refusals {
        unsigned long total; /* streams refused outside any scenario */
        unsigned long other; /* of total: causes beyond REFUSAL_CAUSES_MAX */
        struct refusal_cause causes[REFUSAL_CAUSES_MAX];
        size_t n_causes;
        /* Connections to the listener that sent nothing in time and were dropped
         * before any stream began (net_pressure dropped_idle). */
        unsigned long dropped_before_header;
        char domain[256]; /* the harness's base domain (the run's --domain) */
        /* The run-level transcript: the refused streams' trace lines, labelled
         * (owned, NUL-terminated; NULL when nothing was recorded). */
        char *transcript;
        bool transcript_truncated; /* its bounds cut it */
};

/*
 * The cause key of a refused stream from its engine result's cause text (e.g.
 * "host-unknown: to='(none)'"): a missing 'to' and an unserved one are told
 * apart, and everything after the first ':' (wire text: names, ids) is dropped
 * so that streams refused for the same reason share one key. Writes at most len
 * bytes (NUL included) to out; "" when text is empty gives "closed without a
 * cause".
 */
void refusals_cause_key(const char *text, char *out, size_t len);

/* The key of a refused stream from what its engine recorded as data: a
 * host-unknown refusal (rule H-SE-HOST-UNKNOWN) is told apart by whether the
 * header named a 'to' (no_to); any other refusal keys its cause text as
 * refusals_cause_key does (its head, for grouping only; nothing is decided from
 * it). */
void refusals_result_key(const char *cause, enum rule_id rule, bool no_to, char *out, size_t len);

/* Counts one refused stream under cause (a key from refusals_cause_key) and rule. */
void refusals_add(struct refusals *r, const char *cause, const char *rule);

/*
 * "80 host-unknown (no 'to') [RFC 6120 §4.9.3.6], 6 invalid-namespace [...]":
 * the counts of r, less those of since when not NULL (a copy of r taken earlier
 * with refusals_mark), most frequent first, into out (len bytes, cut when
 * longer). Returns the number of streams counted (0: out is "").
 */
unsigned long refusals_text(const struct refusals *r, const struct refusals *since, char *out,
                            size_t len);

/* A copy of r's counts (no transcript) to pass to refusals_text later as since. */
void refusals_mark(const struct refusals *r, struct refusals *mark);

/* Frees the transcript and zeroes r. NULL-safe. */
void refusals_cleanup(struct refusals *r);

#endif
