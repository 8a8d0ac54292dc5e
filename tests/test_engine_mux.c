/*
 * Dialback multiplexing (XEP-0220 §2.6) and the authoritative server's
 * answers, engine against engine in memory with real TLS.
 *
 * - A harness hosting harness.test and extra.harness.test pings partner.test
 *   from both domains. With dialback, one TCP stream carries both pairs
 *   (sender multiplexing); the partner's answers to the two harness domains
 *   ride on one stream too (target multiplexing: the harness advertised
 *   dialback errors and both domains are served by the same node). With SASL
 *   only (classes E1/E3) multiplexing is impossible and each domain gets its
 *   own stream (reference §3.7, last bullet).
 * - The harness as authoritative server answers invalid, error or nothing as
 *   told (design.md §2): the partner must never authenticate the harness then.
 */
#include <criterion/criterion.h>

#include "memworld.h"

/* Two nodes with the given settings rows; the harness also hosts EXTRA. */
static void mux_world(struct world *w, int hrow, int prow)
{
        struct node_config hc, pc;

        world_init(w, HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, hrow, w->hcreds);
        hc.hosted[1] = EXTRA;
        hc.n_hosted = 2;
        world_config(w, &pc, "partner", PARTNER, prow, w->pcreds);
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
}

static void no_violations(struct world *w)
{
        cr_expect_eq(world_count(w->harness, FINDING_VIOLATION), 0, "harness violations\n%s",
                     w->trace.data);
        cr_expect_eq(world_count(w->partner, FINDING_VIOLATION), 0, "partner violations\n%s",
                     w->trace.data);
        cr_expect_eq(world_count(w->harness, FINDING_ERROR), 0, "harness errors\n%s",
                     w->trace.data);
        cr_expect_eq(world_count(w->partner, FINDING_ERROR), 0, "partner errors\n%s",
                     w->trace.data);
}

/* Both pings from one dialback stream; the answers back on one stream as well. */
static void multiplexed(int hrow, int prow, unsigned method)
{
        struct world w;
        struct stream *out[8];
        struct engine *e;

        mux_world(&w, hrow, prow);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        cr_assert_not_null(node_ping(w.harness, EXTRA, PARTNER, "p2"));
        world_run(&w);

        cr_expect_eq(w.pongs, 2, "pongs %d\n%s", w.pongs, w.trace.data);
        cr_assert_eq(world_streams(w.harness, ENGINE_INITIATING, PURPOSE_AUTH, out, 8), 1,
                     "the harness should use one stream\n%s", w.trace.data);
        e = node_stream_engine(out[0]);
        cr_expect_eq(engine_result(e)->method, method);
        cr_expect_eq(engine_result(e)->pairs, 2, "pairs %u\n%s", engine_result(e)->pairs,
                     w.trace.data);
        cr_expect_eq(engine_pair_state(e, HARNESS, PARTNER), PAIR_VALID);
        cr_expect_eq(engine_pair_state(e, EXTRA, PARTNER), PAIR_VALID);
        /* The partner's receiving stream verified both pairs. */
        e = world_engine(&w, w.partner, ENGINE_RECEIVING);
        cr_expect_eq(engine_result(e)->pairs, 2);
        cr_expect_eq(engine_pair_state(e, EXTRA, PARTNER), PAIR_VALID);
        /* Target multiplexing on the partner's side: one stream for both harness domains. */
        cr_expect_eq(world_streams(w.partner, ENGINE_INITIATING, PURPOSE_AUTH, out, 8), 1,
                     "the partner should multiplex its answers\n%s", w.trace.data);
        e = node_stream_engine(out[0]);
        cr_expect_eq(engine_pair_state(e, PARTNER, HARNESS), PAIR_VALID);
        cr_expect_eq(engine_pair_state(e, PARTNER, EXTRA), PAIR_VALID);
        no_violations(&w);
        world_free(&w);
}

Test(mux, dialback_over_tls)
{
        multiplexed(13, 13, METHOD_DT); /* Req/NS/T both: Dt */
}

Test(mux, dialback_plaintext)
{
        multiplexed(17, 17, METHOD_DP); /* NS/NS/T both: Dp */
}

/* SASL-only (E1): two streams from the harness, each carrying one pair. */
static void sasl_only(int hrow, int prow)
{
        struct world w;
        struct stream *out[8];
        size_t n;

        mux_world(&w, hrow, prow);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        cr_assert_not_null(node_ping(w.harness, EXTRA, PARTNER, "p2"));
        world_run(&w);

        cr_expect_eq(w.pongs, 2, "pongs %d\n%s", w.pongs, w.trace.data);
        n = world_streams(w.harness, ENGINE_INITIATING, PURPOSE_AUTH, out, 8);
        cr_assert_eq(n, 2, "the harness should open two streams, opened %zu\n%s", n, w.trace.data);
        for (size_t i = 0; i < n; i++) {
                struct engine *e = node_stream_engine(out[i]);

                cr_expect_eq(engine_result(e)->method, METHOD_S);
                cr_expect_eq(engine_result(e)->pairs, 1);
                /* Multiplexing is refused on a SASL-only stream. */
                cr_expect_eq(engine_add_pair(e, i == 0 ? EXTRA : HARNESS, PARTNER), -1);
        }
        cr_expect_eq(engine_pair_state(node_stream_engine(out[0]), HARNESS, PARTNER), PAIR_VALID);
        cr_expect_eq(engine_pair_state(node_stream_engine(out[0]), EXTRA, PARTNER), PAIR_NONE);
        cr_expect_eq(engine_pair_state(node_stream_engine(out[1]), EXTRA, PARTNER), PAIR_VALID);
        cr_expect_eq(world_streams(w.partner, ENGINE_INITIATING, PURPOSE_AUTH, out, 8), 2);
        no_violations(&w);
        world_free(&w);
}

Test(mux, sasl_only_e1)
{
        sasl_only(1, 1); /* Req/Req/T both */
}

Test(mux, sasl_only_e3)
{
        sasl_only(10, 4); /* Opt/Opt/F harness, Opt/Req/F partner */
}

/* An authenticated stream refuses stanzas of pairs it does not carry. */
Test(mux, send_stanza_needs_pair)
{
        struct world w;
        struct stream *out[2];
        struct engine *e;
        xmlNodePtr m;

        mux_world(&w, 13, 13);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        world_run(&w);
        cr_assert_eq(world_streams(w.harness, ENGINE_INITIATING, PURPOSE_AUTH, out, 2), 1);
        e = node_stream_engine(out[0]);
        cr_assert_eq(engine_state(e), ST_EXPECT_STANZAS, "%s", w.trace.data);
        m = xmlNewNode(NULL, BAD_CAST "message");
        xmlSetNs(m, xmlNewNs(m, BAD_CAST XS_NS_SERVER, NULL));
        xmlNewProp(m, BAD_CAST "from", BAD_CAST "a@" EXTRA);
        xmlNewProp(m, BAD_CAST "to", BAD_CAST "b@" PARTNER);
        /* EXTRA is hosted but was never authenticated on this stream. */
        cr_expect_eq(engine_send_stanza(e, m), -1);
        xmlSetProp(m, BAD_CAST "from", BAD_CAST "a@" HARNESS);
        cr_expect_eq(engine_send_stanza(e, m), 0);
        xmlSetProp(m, BAD_CAST "to", BAD_CAST "b@other.test");
        cr_expect_eq(engine_send_stanza(e, m), -1, "a target never authenticated");
        xmlUnsetProp(m, BAD_CAST "to");
        cr_expect_eq(engine_send_stanza(e, m), -1, "no to (RFC 6120 §8.1.1.2)");
        xmlFreeNode(m);
        world_free(&w);
}

/* ---- the harness as authoritative server (cfg.db_answer) ------------------------ */

/* The harness initiates with dialback; its authoritative role answers as told. */
static struct world *told(struct world *w, int row, enum db_answer a)
{
        struct node_config hc, pc;

        world_init(w, HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, row, w->hcreds);
        hc.db_answer = a;
        world_config(w, &pc, "partner", PARTNER, row, w->pcreds);
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
        cr_assert_not_null(node_ping(w->harness, HARNESS, PARTNER, "p1"));
        world_run(w);
        return w;
}

static void not_authenticated(struct world *w, const char *result_type)
{
        struct engine *h = world_engine(w, w->harness, ENGINE_INITIATING);
        struct engine *p = world_engine(w, w->partner, ENGINE_RECEIVING);

        cr_expect_not(engine_result(h)->authenticated, "%s", w->trace.data);
        cr_expect_not(engine_result(p)->authenticated, "%s", w->trace.data);
        cr_expect_eq(engine_pair_state(p, HARNESS, PARTNER), PAIR_FAILED);
        cr_expect_eq(w->pongs, 0);
        cr_expect_eq(w->stanzas, 0, "no stanza may pass\n%s", w->trace.data);
        cr_expect(strstr(w->trace.data, result_type) != NULL, "no %s in\n%s", result_type,
                  w->trace.data);
}

static void authoritative_invalid(int row)
{
        struct world w;

        told(&w, row, DB_ANSWER_INVALID);
        /* XEP-0220 §2.2.1: the partner sends type='invalid' and closes the stream. */
        not_authenticated(&w, "type=\"invalid\"");
        cr_expect_eq(engine_state(world_engine(&w, w.partner, ENGINE_RECEIVING)), ST_CLOSED);
        cr_expect_not_null(
            world_finding(w.partner, FINDING_VIOLATION, "XEP-0220 §2.1.1", "declared the key"),
            "%s", w.trace.data);
        world_free(&w);
}

Test(authoritative, invalid_dt)
{
        authoritative_invalid(13);
}

Test(authoritative, invalid_dp)
{
        authoritative_invalid(17);
}

Test(authoritative, error)
{
        struct world w;

        told(&w, 13, DB_ANSWER_ERROR);
        /* XEP-0220 §2.5: an error in step 3 reaches the initiator as remote-server-not-found. */
        not_authenticated(&w, "remote-server-not-found");
        world_free(&w);
}

Test(authoritative, silent)
{
        struct world w;

        told(&w, 13, DB_ANSWER_NONE);
        /* The partner's verify stream times out: an error, never valid (XEP-0220 §2.5). */
        not_authenticated(&w, "remote-server-timeout");
        cr_expect_geq(w.timeouts, 1);
        world_free(&w);
}

/*
 * VALID for a key that is wrong. The harness initiates with a key over the
 * pre-TLS id (a forgery as far as the partner can tell) and its authoritative
 * role vouches for it. The partner cannot see the forgery: the key is an HMAC
 * under the harness's secret and only the authoritative server can check it,
 * so a receiving server accepts whatever its authoritative server calls valid
 * (XEP-0220 §2.2). The same holds for the harness judging a partner whose
 * authoritative server lies: what the harness can see is the authoritative
 * server's answer, never the secret. This test pins that limit down: if it ever
 * fails, the engine started second-guessing 'valid' answers.
 */
Test(authoritative, valid_for_wrong_key_cannot_be_seen)
{
        struct world w;
        struct node_config hc, pc;
        struct engine *p;

        world_init(&w, HARNESS, PARTNER);
        world_config(&w, &hc, "harness", HARNESS, 13, w.hcreds);
        hc.db_answer = DB_ANSWER_VALID;
        hc.knobs.bad.key_with_pre_tls_id = true;
        world_config(&w, &pc, "partner", PARTNER, 13, w.pcreds);
        w.harness = world_node(&w, &hc);
        w.partner = world_node(&w, &pc);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        world_run(&w);
        p = world_engine(&w, w.partner, ENGINE_RECEIVING);
        cr_expect(engine_result(p)->authenticated, "%s", w.trace.data);
        /* The lie is visible only inside the lying server's own trace. */
        cr_expect(strstr(w.trace.data, "is wrong; answering valid") != NULL, "%s", w.trace.data);
        world_free(&w);
}
