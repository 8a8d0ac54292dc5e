/*
 * Whitespace keepalives on an established stream (RFC 6120 §4.6.1; issue 12 item
 * 5, EnableKeepAlive): the knob whitespace_keepalives makes the initiating side
 * write that many single spaces, each a write of its own, right after
 * authentication and before its first stanza; a conforming receiving side takes
 * them as keepalives: the stream stays up and the ping is answered.
 */
#include "memworld.h"

/* Counts the harness's "send" trace lines that are exactly one space, and checks
 * that they all come before the ping. */
static int spaces_before_ping(const char *trace)
{
        int n = 0;
        const char *ping = strstr(trace, "urn:xmpp:ping");

        for (const char *p = strstr(trace, " send     \n"); p != NULL;
             p = strstr(p + 1, " send     \n")) {
                /* The label column starts the line: only the harness's streams. */
                const char *line = p;

                while (line > trace && line[-1] != '\n')
                        line--;
                if (strncmp(line, "harness", 7) != 0)
                        continue;
                cr_expect(ping == NULL || p < ping, "a keepalive after the ping");
                n++;
        }
        return n;
}

static void run(int hrow, int prow, unsigned keepalives, bool tls)
{
        struct world w;
        struct node_config hc, pc;

        world_init(&w, HARNESS, PARTNER);
        world_config(&w, &hc, "harness", HARNESS, hrow, w.hcreds);
        hc.knobs.whitespace_keepalives = keepalives;
        world_config(&w, &pc, "partner", PARTNER, prow, w.pcreds);
        w.harness = world_node(&w, &hc);
        w.partner = world_node(&w, &pc);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        world_run(&w);
        cr_expect_eq(spaces_before_ping(w.trace.data), (int)keepalives, "H%d x M%d\n%s", hrow, prow,
                     w.trace.data);
        cr_expect_eq(w.pongs, 1, "H%d x M%d: the ping is answered after %u keepalives\n%s", hrow,
                     prow, keepalives, w.trace.data);
        cr_expect_eq(world_count(w.partner, FINDING_VIOLATION), 0, "%s", w.trace.data);
        /* Under TLS or not, as the rows say. */
        cr_expect_eq(strstr(w.trace.data, "TLS established") != NULL, tls, "%s", w.trace.data);
        world_free(&w);
}

/* Under TLS (H1 x M1: STARTTLS, EXTERNAL): the spaces go inside TLS records. */
Test(keepalive, under_tls_after_sasl)
{
        run(1, 1, 3, true);
}

/* Dialback without TLS (H17 NS/NS/T x M17: Dp): the spaces go as they are. */
Test(keepalive, plaintext_dialback)
{
        run(17, 17, 2, false);
}

/* The default sends none. */
Test(keepalive, none_by_default)
{
        run(1, 1, 0, true);
}
