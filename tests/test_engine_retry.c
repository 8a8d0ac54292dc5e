/*
 * Reference §3.10 item 8 (RFC 6120 §5.4.3.2, TLS-8): after a failed TLS
 * handshake an initiating server MAY reconnect without TLS. The knob
 * retry_plaintext_after_tls_failure decides; a TLS-Required side never does.
 * The handshake is made to fail by version: TLS 1.3 only against TLS 1.2 only.
 */
#include "memworld.h"

/* The harness's outbound AUTH streams: how many, and the last one's outcome. */
static unsigned outbound(struct world *w, size_t *count)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t n = node_streams(w->harness, all, NODE_MAX_STREAMS);
        unsigned last = 0;

        *count = 0;
        for (size_t i = 0; i < n; i++) {
                struct engine *e = node_stream_engine(all[i]);

                if (engine_role(e) != ENGINE_INITIATING ||
                    node_stream_purpose(all[i]) != PURPOSE_AUTH)
                        continue;
                (*count)++;
                last = engine_result(e)->outcomes;
        }
        return last;
}

static void run(int hrow, int prow, bool retry, unsigned want, size_t want_streams)
{
        struct world w;
        struct node_config hc, pc;
        unsigned got;
        size_t count;

        memset(&w, 0, sizeof(w));
        w.hcreds = test_creds(HARNESS, "NORMAL:-VERS-ALL:+VERS-TLS1.3");
        w.pcreds = test_creds(PARTNER, "NORMAL:-VERS-ALL:+VERS-TLS1.2");
        w.net = memnet_new();
        buf_init(&w.trace, 0);
        world_config(&w, &hc, "harness", HARNESS, hrow, w.hcreds);
        hc.knobs.retry_plaintext_after_tls_failure = retry;
        world_config(&w, &pc, "partner", PARTNER, prow, w.pcreds);
        /* The partner's verify stream meets the same broken TLS: it retries too. */
        pc.knobs.retry_plaintext_after_tls_failure = retry;
        w.harness = world_node(&w, &hc);
        w.partner = world_node(&w, &pc);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        world_run(&w);
        got = outbound(&w, &count);
        cr_expect_not_null(strstr(w.trace.data, "TLS handshake failed"), "%s", w.trace.data);
        cr_expect_eq(got, want, "H%d x M%d retry=%d: outcome set 0x%x, want 0x%x\n%s", hrow, prow,
                     retry, got, want, w.trace.data);
        cr_expect_eq(count, want_streams, "H%d x M%d retry=%d: %zu outbound streams\n%s", hrow,
                     prow, retry, count, w.trace.data);
        world_free(&w);
}

/* Opt/NS/T against Opt/NS/T: Dt expected, but TLS cannot be agreed. */
Test(retry, plaintext_retry_gives_dp)
{
        run(15, 15, true, OUTCOME_BIT(OUTCOME_DP), 2);
}

Test(retry, no_retry_by_default)
{
        run(15, 15, false, OUTCOME_BIT(OUTCOME_F3), 1);
}

/* A TLS-Required initiator never downgrades (RFC 7590 §3.1), knob or not. */
Test(retry, tls_required_never_retries)
{
        run(13, 15, true, OUTCOME_BIT(OUTCOME_F3), 1);
}
