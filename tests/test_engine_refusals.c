/*
 * Deployed refusal behaviours (issue 10), in memory with real TLS.
 *
 * verify-unhosted-target: a partner that, as receiving server, verifies a
 * <db:result/> whose target it does not host instead of answering a dialback
 * error <item-not-found/> (XEP-0220 §2.2.1, reference DB-6). The harness asks
 * for such a target on purpose (its unhosted_db_target misbehaviour, scenario
 * dialback-unhosted-target-out): the answer must be a violation citing the rule
 * and never authentication, whether the partner's verdict is valid or invalid.
 */
#include <criterion/criterion.h>

#include "memworld.h"

struct run {
        int hrow, prow;
        bool partner_knob;   /* verify_unhosted_target on the partner */
        bool harness_probes; /* unhosted_db_target on the harness */
        enum db_answer auth; /* the harness's authoritative answer */
};

static void world_run_case(struct world *w, const struct run *c, bool harness_initiates)
{
        struct node_config hc, pc;

        world_init(w, HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, c->hrow, w->hcreds);
        world_config(w, &pc, "partner", PARTNER, c->prow, w->pcreds);
        hc.knobs.bad.unhosted_db_target = c->harness_probes;
        hc.db_answer = c->auth;
        pc.knobs.bad.verify_unhosted_target = c->partner_knob;
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
        if (harness_initiates)
                cr_assert_not_null(node_ping(w->harness, HARNESS, PARTNER, "p1"));
        else
                cr_assert_not_null(node_ping(w->partner, PARTNER, HARNESS, "p1"));
        world_run(w);
}

/* The harness's first initiating AUTH stream (the scenario's stream). */
static struct engine *first_out(struct world *w)
{
        return world_engine(w, w->harness, ENGINE_INITIATING);
}

/*
 * The partner verifies the unhosted target: its db:verify reaches the harness's
 * authoritative server (so the answer is not blind), and it answers valid
 * (truthful authoritative server) or invalid. Dp (H17 x M17, plaintext) and Dt
 * (H13 x M13, over TLS).
 */
Test(verify_unhosted_target, judged_as_db6_violation)
{
        static const struct run runs[] = {
            {17, 17, true, true, DB_ANSWER_TRUTHFUL},
            {13, 13, true, true, DB_ANSWER_TRUTHFUL},
            {17, 17, true, true, DB_ANSWER_INVALID},
            {13, 13, true, true, DB_ANSWER_INVALID},
        };

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                struct world w;
                struct engine *h;
                const struct finding *f;
                const char *type =
                    runs[i].auth == DB_ANSWER_INVALID ? "type='invalid'" : "type='valid'";

                world_run_case(&w, &runs[i], true);
                cr_expect(strstr(w.trace.data, "verifying db:result for unhosted.") != NULL,
                          "the partner took the misbehaviour\n%s", w.trace.data);
                cr_expect(strstr(w.trace.data, "<item-not-found xmlns") == NULL,
                          "no item-not-found was sent\n%s", w.trace.data);
                f = world_finding(w.harness, FINDING_VIOLATION, "XEP-0220 §2.2.1", "does not host");
                cr_assert_not_null(f, "case %zu: no DB-6 violation\n%s", i, w.trace.data);
                cr_expect(strstr(f->text, type) != NULL, "%s", f->text);
                cr_expect(strstr(f->text, "<item-not-found/>") != NULL, "%s", f->text);
                h = first_out(&w);
                cr_expect(engine_result(h)->final);
                cr_expect_not(engine_result(h)->authenticated, "case %zu\n%s", i, w.trace.data);
                cr_expect_eq(engine_result(h)->outcomes & OUTCOME_SUCCESS_SET, 0);
                cr_expect_eq(engine_result(h)->method, 0);
                cr_expect_not(engine_result(h)->unverified_valid);
                cr_expect_str_eq(engine_result(h)->rule, "XEP-0220 §2.2.1");
                cr_expect(strstr(engine_result(h)->cause, "does not host") != NULL, "%s",
                          engine_result(h)->cause);
                /* TLS on the Dt row: F3 only; plaintext Dp: F4 only. */
                cr_expect_eq(engine_result(h)->outcomes,
                             OUTCOME_BIT(runs[i].hrow == 13 ? OUTCOME_F3 : OUTCOME_F4), "%x",
                             engine_result(h)->outcomes);
                world_free(&w);
        }
}

/* Control: a conforming partner answers the same probe with <item-not-found/>, which
 * is a note, not a violation. */
Test(verify_unhosted_target, conforming_partner_answers_item_not_found)
{
        static const struct run runs[] = {
            {17, 17, false, true, DB_ANSWER_TRUTHFUL},
            {13, 13, false, true, DB_ANSWER_TRUTHFUL},
        };

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                struct world w;
                struct engine *h;

                world_run_case(&w, &runs[i], true);
                cr_expect_not_null(
                    world_finding(w.harness, FINDING_NOTE, "XEP-0220 §2.5", "<item-not-found/>"),
                    "%s", w.trace.data);
                cr_expect_null(
                    world_finding(w.harness, FINDING_VIOLATION, "XEP-0220 §2.2.1", "does not host"),
                    "%s", w.trace.data);
                h = first_out(&w);
                cr_expect_not(engine_result(h)->authenticated);
                world_free(&w);
        }
}

/*
 * The knob changes nothing for hosted targets, in either direction: the harness
 * initiating without the probe, and the partner initiating (its pings come in; the
 * harness's answers go out on a stream of its own to the partner as receiving).
 */
Test(verify_unhosted_target, hosted_targets_unchanged_both_directions)
{
        static const struct run runs[] = {
            {17, 17, true, false, DB_ANSWER_TRUTHFUL},
            {13, 13, true, false, DB_ANSWER_TRUTHFUL},
        };

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                for (int dir = 0; dir < 2; dir++) {
                        struct world w;
                        enum engine_role role = dir == 0 ? ENGINE_INITIATING : ENGINE_RECEIVING;
                        struct engine *h;

                        world_run_case(&w, &runs[i], dir == 0);
                        h = world_engine(&w, w.harness, role);
                        cr_expect(engine_result(h)->authenticated, "case %zu dir %d\n%s", i, dir,
                                  w.trace.data);
                        cr_expect_eq(world_count(w.harness, FINDING_VIOLATION), 0, "%s",
                                     w.trace.data);
                        cr_expect_eq(w.pongs, 1, "the ping was answered\n%s", w.trace.data);
                        world_free(&w);
                }
        }
}
