/*
 * The smart silence window (issue 13 item 4, docs/timeouts.md "Smart silence
 * window"): what the run has measured of the partner's answers, the window a
 * wait decided by silence gets from it, and the order that lets the run measure
 * before it waits. Pure functions: no clock, no socket (net.c and runner.c feed
 * them), tested in tests/test_smartwait.c.
 */
#ifndef S2S_SMARTWAIT_H
#define S2S_SMARTWAIT_H

#include <stdbool.h>
#include <stddef.h>

/* window = clamp(SMARTWAIT_K x slowest answer, SMARTWAIT_FLOOR_MS, the wait's own
 * timeout). The reasons for both numbers are in docs/timeouts.md. */
#define SMARTWAIT_K 4u
#define SMARTWAIT_FLOOR_MS 1000u

/* What an answer cost the partner. */
enum smartwait_kind {
        /* an answer on an open stream (a header, features, proceed, a close) */
        SMARTWAIT_ON_STREAM,
        /* an answer that needed the partner's own round trip over a new connection:
         * its db:result answer (it verified with our authoritative server: DNS, TCP,
         * TLS, db:verify), or the answer to a test stanza (it connected in) */
        SMARTWAIT_ROUND_TRIP,
};

struct smartwait_stats {
        unsigned long answers;     /* every answer measured */
        unsigned long round_trips; /* of which SMARTWAIT_ROUND_TRIP */
        unsigned slowest_ms;       /* the slowest answer of either kind */
};

/* Records one answer that took ms. */
void smartwait_note(struct smartwait_stats *st, enum smartwait_kind kind, unsigned ms);

/*
 * Whether the run has measured enough to shorten a wait: at least one round trip
 * (the slowest kind of answer a silence window must cover).
 */
bool smartwait_measured(const struct smartwait_stats *st);

/*
 * The window for a wait whose own timeout is ceiling_ms (the step timeout or the
 * settle time, already capped by --step-timeout): clamp(K x slowest, floor,
 * ceiling), or ceiling_ms when nothing is measured yet. Never above ceiling_ms.
 */
unsigned smartwait_window(const struct smartwait_stats *st, unsigned ceiling_ms);

/*
 * The transcript note of a wait that a smart window ended: "silence for N ms
 * (smart window: 4 x slowest answer M ms)", or "... (smart window: the floor
 * 1000 ms; 4 x slowest answer M ms)" when the floor set it.
 */
void smartwait_describe(const struct smartwait_stats *st, unsigned window_ms, unsigned silent_ms,
                        char *out, size_t len);

/*
 * The next scenario to start (docs/timeouts.md "Order"): of those not started
 * (started[i] false), the first quick one (long_wait[i] false) while the run has
 * not measured a round trip, so that the long waits can use a window; then the
 * first long one (its wait overlaps the quick ones that follow); then the first
 * quick one. Returns n when every scenario has started.
 */
size_t smartwait_pick(const bool *long_wait, const bool *started, size_t n, bool measured);

#endif
