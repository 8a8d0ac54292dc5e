/*
 * Silence is an answer, and no state is without a deadline (issue 10 item 3).
 *
 * 1. The deadline table (engine_state_info): every state has a row and a bound,
 *    and net's default timers follow it. A state added to enum engine_state
 *    without a row fails here.
 * 2. In memory: after a run settles, no stream waits in a state that has no
 *    timer of its own unless its result is final.
 * 3. The reference partner's silent behaviours (`serve --misbehave`
 *    drop-unauthenticated-stanzas, stall-without-tls) against a conforming
 *    harness, both directions: the harness judges the silence (F3/F4, F1|F4)
 *    and never counts it as authentication.
 */
#include <criterion/criterion.h>

#include "memworld.h"
#include "net.h"

/* ---- 1. the table ------------------------------------------------------------------ */

Test(deadlines, every_state_has_a_row_and_a_bound)
{
        for (int s = 0; s < ENGINE_STATE_COUNT; s++) {
                const struct engine_state_info *i = engine_state_info((enum engine_state)s);

                cr_assert_not_null(i, "state %d has no row", s);
                cr_expect_not_null(i->name, "state %d has no name", s);
                cr_expect_str_neq(engine_state_name((enum engine_state)s), "?", "state %d", s);
                cr_expect_neq(i->deadline, DEADLINE_NONE, "state %s has no deadline",
                              i->name ? i->name : "?");
                cr_expect_neq(i->roles, 0u, "state %s: no role enters it", i->name ? i->name : "?");
                cr_expect(i->on_expiry != NULL && i->on_expiry[0] != '\0',
                          "state %s: what happens when its deadline fires?",
                          i->name ? i->name : "?");
        }
        cr_expect_null(engine_state_info(ENGINE_STATE_COUNT));
        cr_expect_str_eq(engine_state_name(ENGINE_STATE_COUNT), "?");
}

/* A state whose wait has no timer of its own is only one entered with a final
 * result (the owner closes it); the connect timeouts cover only START. */
Test(deadlines, untimed_states_are_final_or_before_the_connection)
{
        for (int s = 0; s < ENGINE_STATE_COUNT; s++) {
                const struct engine_state_info *i = engine_state_info((enum engine_state)s);

                cr_assert_not_null(i);
                if (i->deadline == DEADLINE_OWNER)
                        cr_expect_eq(s, ST_EXPECT_STANZAS,
                                     "%s relies on its owner: only the authenticated, final "
                                     "EXPECT_STANZAS may",
                                     i->name);
                if (i->deadline == DEADLINE_CONNECT)
                        cr_expect_eq(s, ST_START, "%s: only START comes before the connection",
                                     i->name);
        }
}

/* net's default timers: a step timer for every STEP row, the close timer for every
 * CLOSE row, none where the row says the owner or the connect timeouts bound it. */
Test(deadlines, net_timers_follow_the_table)
{
        struct net_timeouts t;

        net_timeouts_default(&t);
        cr_assert_eq(NET_STATES, ENGINE_STATE_COUNT);
        for (int s = 0; s < ENGINE_STATE_COUNT; s++) {
                const struct engine_state_info *i = engine_state_info((enum engine_state)s);

                switch (i->deadline) {
                case DEADLINE_STEP:
                        cr_expect_gt(t.step_ms[s], 0u, "%s: no step timer", i->name);
                        break;
                case DEADLINE_CLOSE:
                        cr_expect_eq(t.step_ms[s], t.close_ms, "%s", i->name);
                        break;
                default:
                        cr_expect_eq(t.step_ms[s], 0u, "%s", i->name);
                        break;
                }
        }
        cr_expect_gt(t.close_ms, 0u);
        cr_expect_gt(t.connect_ms, 0u);
        /* The claim's answer waits the settle time of a test stanza (docs/timeouts.md). */
        cr_expect_eq(t.step_ms[ST_EXPECT_CLAIM_ANSWER], 10000u);
}

/* ---- 2. settled worlds ------------------------------------------------------------ */

/* Every stream of n that still waits is either timed by its state or final. */
static void expect_bounded(struct world *w, struct node *n)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < k; i++) {
                struct engine *e = node_stream_engine(all[i]);
                const struct engine_state_info *si = engine_state_info(engine_state(e));

                cr_assert_not_null(si);
                if (si->deadline == DEADLINE_OWNER)
                        cr_expect(engine_result(e)->final,
                                  "%s waits in %s with no timer and no result\n%s",
                                  node_stream_label(all[i]), si->name, w->trace.data);
        }
}

struct run {
        int hrow, prow;
        bool harness_initiates;
        struct engine_misbehaviour hbad, pbad; /* the harness's, the partner's */
};

static void run_world(struct world *w, const struct run *r)
{
        struct node_config hc, pc;

        world_init(w, HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, r->hrow, w->hcreds);
        world_config(w, &pc, "partner", PARTNER, r->prow, w->pcreds);
        hc.knobs.bad = r->hbad;
        pc.knobs.bad = r->pbad;
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
        if (r->harness_initiates)
                cr_assert_not_null(node_ping(w->harness, HARNESS, PARTNER, "p1"));
        else
                cr_assert_not_null(node_ping(w->partner, PARTNER, HARNESS, "p1"));
        world_run(w);
}

/* The harness's stream of the run (its only one in that role). */
static struct engine *harness_stream(struct world *w, bool initiating)
{
        struct engine *e =
            world_engine(w, w->harness, initiating ? ENGINE_INITIATING : ENGINE_RECEIVING);

        cr_assert_not_null(e, "%s", w->trace.data);
        return e;
}

/* After a run settles, every stream still open is timed by its state or final
 * (in memory; scripted/unsolicited_claim_silence checks the claim's own state). */
Test(deadlines, no_stream_waits_untimed_after_a_run)
{
        static const struct run runs[] = {
            {17, 17, true, {.unsolicited_db_valid = true}, {.drop_unauthenticated = true}},
            {13, 13, true, {.unsolicited_db_valid = true}, {.drop_unauthenticated = true}},
            {17, 17, true, {.unsolicited_db_valid = true}, {0}},
            {17, 17, true, {.stanza_before_auth = true}, {.drop_unauthenticated = true}},
            {17, 17, true, {.stanza_unauth_from = true}, {.drop_unauthenticated = true}},
            {17, 13, false, {0}, {.stall_without_tls = true}},
            {13, 13, true, {0}, {0}},
            {1, 1, false, {0}, {0}},
        };

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                struct world w;

                run_world(&w, &runs[i]);
                expect_bounded(&w, w.harness);
                expect_bounded(&w, w.partner);
                world_free(&w);
        }
}

/* ---- 3. silent partners --------------------------------------------------------- */

static bool traced(const struct world *w, const char *text)
{
        return w->trace.data != NULL && strstr(w->trace.data, text) != NULL;
}

/*
 * DB-9 (XEP-0220 §3.1): the partner drops the harness's unsolicited <db:result
 * type='valid'/> silently, and the ping sent under it too (a stanza before
 * authentication, dropped instead of <not-authorized/>). Silence is its answer:
 * the harness records "claim ignored", F4 in plaintext (H17 x M17) and F3 over
 * TLS (H13 x M13); nothing authenticated, nothing delivered. (memnet times out
 * the newest waiting stream first, the partner's, which then closes: the claim's
 * own timer is scripted/unsolicited_claim_silence in test_engine_hostile.c.)
 */
static void claim_ignored(int row, enum outcome want)
{
        struct run r = {
            row, row, true, {.unsolicited_db_valid = true}, {.drop_unauthenticated = true}};
        struct world w;
        const struct engine_result *res;

        run_world(&w, &r);
        res = engine_result(harness_stream(&w, true));
        cr_expect(res->final, "%s", w.trace.data);
        cr_expect_eq(res->outcomes, OUTCOME_BIT(want), "%s", w.trace.data);
        cr_expect_not(res->authenticated);
        cr_expect_str_eq(res->rule, "XEP-0220 §3.1");
        cr_expect(strstr(res->cause, "claim ignored") != NULL, "%s", res->cause);
        cr_expect(strstr(res->cause, "timeout") == NULL, "silence is no timeout: %s", res->cause);
        cr_expect(traced(&w, "-> EXPECT_CLAIM_ANSWER"), "%s", w.trace.data);
        cr_expect(traced(&w, "misbehaving: dropping <iq/> before authentication"), "%s",
                  w.trace.data);
        cr_expect_not(traced(&w, "not-authorized"), "%s", w.trace.data);
        cr_expect_eq(w.stanzas, 0, "%s", w.trace.data);
        cr_expect_eq(w.pongs, 0);
        cr_expect_geq(w.timeouts, 1, "the claim's step timer ended it");
        world_free(&w);
}

Test(silence, claim_ignored_plaintext_is_f4)
{
        claim_ignored(17, OUTCOME_F4);
}

Test(silence, claim_ignored_over_tls_is_f3)
{
        claim_ignored(13, OUTCOME_F3);
}

/* A conforming partner still closes on the stanza sent under the claim (RFC 6120
 * §4.3.5): the claim's step ends at once, not by its timer. */
Test(silence, claim_refused_by_a_conforming_partner)
{
        struct run r = {17, 17, true, {.unsolicited_db_valid = true}, {0}};
        struct world w;
        const struct engine_result *res;

        run_world(&w, &r);
        res = engine_result(harness_stream(&w, true));
        cr_expect(res->final);
        cr_expect_eq(res->outcomes, OUTCOME_BIT(OUTCOME_F4), "%s", w.trace.data);
        cr_expect_str_eq(res->peer_error, "not-authorized");
        cr_expect(strstr(res->cause, "claim ignored") == NULL, "%s", res->cause);
        world_free(&w);
}

/* drop-unauthenticated-stanzas, partner receiving, against a harness that misbehaves
 * as hbad says: the stanza is dropped without a stream error, and the stream
 * authenticates (Dp, H17 x M17) as if nothing had been sent. */
static void run_dropped(struct world *w, struct engine_misbehaviour hbad)
{
        struct run r = {17, 17, true, hbad, {.drop_unauthenticated = true}};
        const struct engine_result *res;

        run_world(w, &r);
        res = engine_result(harness_stream(w, true));
        cr_expect_eq(res->outcomes, OUTCOME_BIT(OUTCOME_DP), "%s", w->trace.data);
        cr_expect_str_empty(res->peer_error);
        cr_expect(traced(w, "misbehaving: dropping <iq/>"), "%s", w->trace.data);
}

/* The early stanza gets neither an answer nor <not-authorized/>; only the ping sent
 * after authentication is answered. */
Test(silence, early_stanza_dropped)
{
        struct world w;

        run_dropped(&w, (struct engine_misbehaviour){.stanza_before_auth = true});
        cr_expect(traced(&w, "misbehaving: dropping <iq/> before authentication"), "%s",
                  w.trace.data);
        cr_expect_eq(w.pongs, 1, "only the ping after authentication\n%s", w.trace.data);
        cr_expect_null(world_finding(w.partner, FINDING_VIOLATION, "RFC 6120 §4.3.5", NULL));
        world_free(&w);
}

/* A stanza from a domain never authenticated is dropped instead of <invalid-from/>;
 * the stream stays up. */
Test(silence, unauthenticated_from_dropped)
{
        struct world w;

        run_dropped(&w, (struct engine_misbehaviour){.stanza_unauth_from = true});
        cr_expect_not(traced(&w, "invalid-from"), "%s", w.trace.data);
        cr_expect(traced(&w, "misbehaving: dropping <iq/> " ENGINE_ROGUE_DOMAIN " -> " PARTNER
                             " silently"),
                  "%s", w.trace.data);
        for (int i = 0; i < w.stanzas && i < WORLD_MAX_SEEN; i++)
                cr_expect(strstr(w.seen_from[i], ENGINE_ROGUE_DOMAIN) == NULL,
                          "the rogue stanza was delivered");
        cr_expect_eq(engine_state(harness_stream(&w, true)), ST_EXPECT_STANZAS);
        world_free(&w);
}

/* drop-unauthenticated-stanzas with the partner initiating: it concerns what the
 * partner receives, so its own ping and the harness's answer go through. */
Test(silence, drop_knob_partner_initiating)
{
        struct run r = {13, 13, false, {0}, {.drop_unauthenticated = true}};
        struct world w;

        run_world(&w, &r);
        cr_expect_eq(engine_result(harness_stream(&w, false))->outcomes, OUTCOME_BIT(OUTCOME_DT),
                     "%s", w.trace.data);
        cr_expect_eq(w.pongs, 1, "%s", w.trace.data);
        cr_expect_not(traced(&w, "misbehaving: dropping"), "%s", w.trace.data);
        world_free(&w);
}

/*
 * stall-without-tls, partner initiating with TLS Required (M13) against a harness
 * that offers no STARTTLS (H17): the partner neither closes nor sends another byte.
 * The harness's step timer ends its receiving stream: F1|F4, the two failures it
 * cannot tell apart from here (reference §3.6), never a success, never an error.
 */
Test(silence, stall_without_tls_partner_initiating)
{
        struct run r = {17, 13, false, {0}, {.stall_without_tls = true}};
        struct world w;
        const struct engine_result *res;

        run_world(&w, &r);
        res = engine_result(harness_stream(&w, false));
        cr_expect(res->final, "%s", w.trace.data);
        cr_expect_eq(res->outcomes, OUTCOME_BIT(OUTCOME_F1) | OUTCOME_BIT(OUTCOME_F4), "%s",
                     w.trace.data);
        cr_expect_not(res->authenticated);
        cr_expect_not(res->peer_silent, "it sent its header");
        cr_expect(strstr(res->cause, "timeout while EXPECT_AUTH") != NULL, "%s", res->cause);
        cr_expect(strstr(res->cause, "did not close") != NULL, "%s", res->cause);
        cr_expect(traced(&w, "misbehaving: TLS is Required and not offered; stalling"), "%s",
                  w.trace.data);
        cr_expect_eq(w.stanzas, 0);
        world_free(&w);
}

/* Without the knob the same partner closes at once (F1): the cause says so. */
Test(silence, no_stall_partner_closes)
{
        struct run r = {17, 13, false, {0}, {0}};
        struct world w;
        const struct engine_result *res;

        run_world(&w, &r);
        res = engine_result(harness_stream(&w, false));
        cr_expect_eq(res->outcomes, OUTCOME_BIT(OUTCOME_F1) | OUTCOME_BIT(OUTCOME_F4), "%s",
                     w.trace.data);
        cr_expect(strstr(res->cause, "closed") != NULL, "%s", res->cause);
        cr_expect_not(traced(&w, "stalling"));
        world_free(&w);
}

/* stall-without-tls with the partner receiving: it concerns the partner's own
 * outgoing streams, so H17 -> M13 is the usual F2 (the partner requires TLS). */
Test(silence, stall_knob_partner_receiving)
{
        struct run r = {17, 13, true, {0}, {.stall_without_tls = true}};
        struct world w;

        run_world(&w, &r);
        cr_expect_eq(engine_result(harness_stream(&w, true))->outcomes, OUTCOME_BIT(OUTCOME_F2),
                     "%s", w.trace.data);
        cr_expect_not(traced(&w, "stalling"), "%s", w.trace.data);
        world_free(&w);
}

/* H9 (hosting HARNESS and EXTRA) against M9 that never answers a db:result
 * (`ignore_db_result`): SASL EXTERNAL authenticates the first pair, and a pair
 * multiplexed by dialback waits for nothing. */
static void ignoring_world(struct world *w)
{
        struct node_config hc, pc;

        world_init(w, HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, 9, w->hcreds);
        hc.hosted[1] = EXTRA;
        hc.n_hosted = 2;
        world_config(w, &pc, "partner", PARTNER, 9, w->pcreds);
        pc.knobs.bad.ignore_db_result = true;
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
}

/*
 * A multiplexed pair (XEP-0220 §2.6) asked for on an authenticated stream, whose
 * db:result the partner never answers (`ignore_db_result`): the stream is timed
 * as EXPECT_DB_RESULT while the pair waits (engine_step_state), the pair is then
 * refused with DB_TIMEOUT (XEP-0220 §2.1.1) and the stream goes on for the pair
 * already valid. H9 x M9: SASL EXTERNAL first, the extra sender by dialback.
 */
Test(silence, multiplexed_pair_unanswered)
{
        struct world w;
        struct stream *out[8];
        struct engine *e;

        ignoring_world(&w);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        cr_assert_not_null(node_ping(w.harness, EXTRA, PARTNER, "p2"));
        world_run(&w);

        cr_assert_geq(world_streams(w.harness, ENGINE_INITIATING, PURPOSE_AUTH, out, 8), 1, "%s",
                      w.trace.data);
        e = node_stream_engine(out[0]);
        cr_expect_eq(engine_result(e)->method, METHOD_S, "%s", w.trace.data);
        cr_expect_eq(engine_pair_state(e, HARNESS, PARTNER), PAIR_VALID);
        cr_expect_eq(engine_pair_state(e, EXTRA, PARTNER), PAIR_FAILED, "%s", w.trace.data);
        cr_expect_eq(engine_state(e), ST_EXPECT_STANZAS, "the valid pair keeps the stream\n%s",
                     w.trace.data);
        cr_expect_eq(engine_step_state(e), ST_EXPECT_STANZAS, "nothing awaited any more");
        cr_expect(
            traced(&w, "no answer to the db:result for the multiplexed pair " EXTRA " -> " PARTNER),
            "%s", w.trace.data);
        cr_expect(traced(&w, "misbehaving: ignoring db:result " EXTRA " -> " PARTNER), "%s",
                  w.trace.data);
        cr_expect_geq(w.pongs, 1, "the valid pair's ping\n%s", w.trace.data);
        expect_bounded(&w, w.harness);
        world_free(&w);
}

/* While the multiplexed pair waits, the step state is EXPECT_DB_RESULT; before it,
 * after it and for a receiving stream, the step state is the state. */
Test(deadlines, step_state_of_an_awaited_pair)
{
        struct world w;
        struct stream *out[8];
        struct engine *e = NULL;

        ignoring_world(&w);
        cr_assert_not_null(node_ping(w.harness, HARNESS, PARTNER, "p1"));
        /* Round by round (memnet_run is -1 while bytes move) until the stream is up. */
        for (int round = 0; round < 500; round++) {
                cr_assert_leq(memnet_run(w.net, 1), 0, "no timeout before authentication\n%s",
                              w.trace.data);
                if (world_streams(w.harness, ENGINE_INITIATING, PURPOSE_AUTH, out, 8) < 1)
                        continue;
                e = node_stream_engine(out[0]);
                cr_expect_eq(engine_step_state(e), engine_state(e));
                if (engine_state(e) == ST_EXPECT_STANZAS)
                        break;
        }
        cr_assert_not_null(e);
        cr_assert_eq(engine_state(e), ST_EXPECT_STANZAS, "%s", w.trace.data);
        cr_assert_not_null(node_ping(w.harness, EXTRA, PARTNER, "p2"));
        cr_expect_eq(engine_pair_state(e, EXTRA, PARTNER), PAIR_PENDING, "%s", w.trace.data);
        cr_expect_eq(engine_state(e), ST_EXPECT_STANZAS);
        cr_expect_eq(engine_step_state(e), ST_EXPECT_DB_RESULT);
        world_run(&w);
        cr_expect_eq(engine_pair_state(e, EXTRA, PARTNER), PAIR_FAILED, "%s", w.trace.data);
        cr_expect_eq(engine_step_state(e), engine_state(e));
        e = world_engine(&w, w.partner, ENGINE_RECEIVING);
        cr_expect_eq(engine_step_state(e), engine_state(e));
        world_free(&w);
}
