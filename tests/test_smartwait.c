/* harness/smartwait.c: the smart silence window's arithmetic and the scenarios'
 * start order (issue 13 item 4 a, b; docs/timeouts.md "Smart silence window"). */
#include <criterion/criterion.h>
#include <string.h>
#include "smartwait.h"

Test(smartwait, nothing_measured_keeps_the_full_timeout)
{
        struct smartwait_stats st = {0};

        cr_assert(!smartwait_measured(&st));
        cr_assert_eq(smartwait_window(&st, 15000), 15000);
        /* Answers on open streams alone do not cover a verify round trip. */
        smartwait_note(&st, SMARTWAIT_ON_STREAM, 3);
        smartwait_note(&st, SMARTWAIT_ON_STREAM, 40);
        cr_assert(!smartwait_measured(&st));
        cr_assert_eq(smartwait_window(&st, 15000), 15000);
        cr_assert_eq(st.answers, 2);
        cr_assert_eq(st.slowest_ms, 40);
}

Test(smartwait, floor_multiple_and_ceiling)
{
        struct smartwait_stats st = {0};

        smartwait_note(&st, SMARTWAIT_ROUND_TRIP, 20);
        cr_assert(smartwait_measured(&st));
        /* 4 x 20 ms is under the floor. */
        cr_assert_eq(smartwait_window(&st, 15000), SMARTWAIT_FLOOR_MS);
        /* The slowest answer of either kind counts. */
        smartwait_note(&st, SMARTWAIT_ON_STREAM, 700);
        cr_assert_eq(st.slowest_ms, 700);
        cr_assert_eq(smartwait_window(&st, 15000), SMARTWAIT_K * 700);
        /* A faster answer later does not shrink it. */
        smartwait_note(&st, SMARTWAIT_ROUND_TRIP, 5);
        cr_assert_eq(smartwait_window(&st, 15000), SMARTWAIT_K * 700);
        /* The wait's own timeout (or --step-timeout) is the ceiling, also below the floor. */
        cr_assert_eq(smartwait_window(&st, 2000), 2000);
        cr_assert_eq(smartwait_window(&st, 300), 300);
        /* No overflow for an absurd answer time. */
        smartwait_note(&st, SMARTWAIT_ROUND_TRIP, 4000000000u);
        cr_assert_eq(smartwait_window(&st, 15000), 15000);
}

Test(smartwait, describe_names_the_window_and_its_reason)
{
        struct smartwait_stats st = {0};
        char note[160];

        smartwait_note(&st, SMARTWAIT_ROUND_TRIP, 30);
        smartwait_describe(&st, smartwait_window(&st, 15000), 1003, note, sizeof(note));
        cr_assert_str_eq(note, "silence for 1003 ms (smart window: the floor 1000 ms; 4 x slowest "
                               "answer 30 ms)");
        smartwait_note(&st, SMARTWAIT_ROUND_TRIP, 600);
        smartwait_describe(&st, smartwait_window(&st, 15000), 2401, note, sizeof(note));
        cr_assert_str_eq(note, "silence for 2401 ms (smart window: 4 x slowest answer 600 ms)");
}

static size_t pick(const bool *lw, bool *started, size_t n, bool measured)
{
        size_t i = smartwait_pick(lw, started, n, measured);

        if (i < n)
                started[i] = true;
        return i;
}

Test(smartwait, order_measures_first_then_longest_wait_first)
{
        const bool lw[6] = {true, false, true, false, false, true};
        bool started[6] = {false};

        /* Not measured yet: the quick ones, in file order. */
        cr_assert_eq(pick(lw, started, 6, false), 1);
        cr_assert_eq(pick(lw, started, 6, false), 3);
        /* Measured: every long wait next, then the rest of the quick ones. */
        cr_assert_eq(pick(lw, started, 6, true), 0);
        cr_assert_eq(pick(lw, started, 6, true), 2);
        cr_assert_eq(pick(lw, started, 6, true), 5);
        cr_assert_eq(pick(lw, started, 6, true), 4);
        cr_assert_eq(pick(lw, started, 6, true), 6);
}

Test(smartwait, order_without_quick_ones_or_measurements_still_starts_all)
{
        const bool lw[3] = {true, true, false};
        bool started[3] = {false};

        /* Never measured: the quick one, then the long ones rather than none. */
        cr_assert_eq(pick(lw, started, 3, false), 2);
        cr_assert_eq(pick(lw, started, 3, false), 0);
        cr_assert_eq(pick(lw, started, 3, false), 1);
        cr_assert_eq(pick(lw, started, 3, false), 3);
        cr_assert_eq(smartwait_pick(lw, started, 0, false), 0);
}
