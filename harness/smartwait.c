#include "smartwait.h"

#include <stdio.h>

void smartwait_note(struct smartwait_stats *st, enum smartwait_kind kind, unsigned ms)
{
        st->answers++;
        if (kind == SMARTWAIT_ROUND_TRIP)
                st->round_trips++;
        if (ms > st->slowest_ms)
                st->slowest_ms = ms;
}

bool smartwait_measured(const struct smartwait_stats *st)
{
        return st->round_trips > 0;
}

unsigned smartwait_window(const struct smartwait_stats *st, unsigned ceiling_ms)
{
        unsigned long long w;

        if (!smartwait_measured(st))
                return ceiling_ms;
        w = (unsigned long long)SMARTWAIT_K * st->slowest_ms;
        if (w < SMARTWAIT_FLOOR_MS)
                w = SMARTWAIT_FLOOR_MS;
        return w < ceiling_ms ? (unsigned)w : ceiling_ms;
}

void smartwait_describe(const struct smartwait_stats *st, unsigned window_ms, unsigned silent_ms,
                        char *out, size_t len)
{
        bool floor = (unsigned long long)SMARTWAIT_K * st->slowest_ms < SMARTWAIT_FLOOR_MS &&
                     window_ms == SMARTWAIT_FLOOR_MS;

        if (floor)
                snprintf(out, len,
                         "silence for %u ms (smart window: the floor %u ms; %u x slowest answer "
                         "%u ms)",
                         silent_ms, SMARTWAIT_FLOOR_MS, SMARTWAIT_K, st->slowest_ms);
        else
                snprintf(out, len, "silence for %u ms (smart window: %u x slowest answer %u ms)",
                         silent_ms, SMARTWAIT_K, st->slowest_ms);
}

static size_t first(const bool *long_wait, const bool *started, size_t n, bool want_long)
{
        for (size_t i = 0; i < n; i++) {
                if (!started[i] && long_wait[i] == want_long)
                        return i;
        }
        return n;
}

size_t smartwait_pick(const bool *long_wait, const bool *started, size_t n, bool measured)
{
        size_t i;

        if (!measured) {
                i = first(long_wait, started, n, false);
                if (i < n)
                        return i;
        }
        i = first(long_wait, started, n, true);
        return i < n ? i : first(long_wait, started, n, false);
}
