/*
 * Hostile peers (design.md §6).
 *
 * 1. The reference partner in misbehaving mode (struct engine_misbehaviour)
 *    against a conforming harness, in memory with real TLS: each misbehaviour
 *    must show up on the harness as a FINDING_VIOLATION citing its rule (or, for
 *    silence, a timeout), and the harness must never count it as
 *    authentication. These are also the reference §3.9 wire-sequence checks:
 *    remove a check from the engine and its test here fails.
 * 2. Scripted raw-byte peers: exact XML fed to one engine, its output and
 *    findings checked (plaintext, no TLS).
 */
#include <criterion/criterion.h>

#include "memworld.h"

/* ---- 1. misbehaving reference partner ------------------------------------------- */

struct scenario {
        int hrow, prow;
        bool harness_initiates;
        const char *hcert; /* NULL = the harness's default certificate */
        bool peer_known;   /* the harness knows the partner's settings */
};

static void hostile(struct world *w, const struct scenario *sc,
                    const struct engine_misbehaviour *bad)
{
        struct node_config hc, pc;

        world_init(w, sc->hcert != NULL ? sc->hcert : HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, sc->hrow, w->hcreds);
        world_config(w, &pc, "partner", PARTNER, sc->prow, w->pcreds);
        pc.knobs.bad = *bad;
        if (sc->peer_known) {
                hc.peer_known = true;
                hc.peer_neg = pc.neg;
        }
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
        if (sc->harness_initiates)
                cr_assert_not_null(node_ping(w->harness, HARNESS, PARTNER, "p1"));
        else
                cr_assert_not_null(node_ping(w->partner, PARTNER, HARNESS, "p1"));
        world_run(w);
}

static void expect_violation(struct world *w, const char *rule, const char *text)
{
        cr_expect_not_null(world_finding(w->harness, FINDING_VIOLATION, rule, text),
                           "the harness did not report [%s] %s\n%s", rule, text ? text : "",
                           w->trace.data);
}

/* The harness's stream of the scenario. */
static struct engine *harness_side(struct world *w, const struct scenario *sc)
{
        return world_engine(w, w->harness,
                            sc->harness_initiates ? ENGINE_INITIATING : ENGINE_RECEIVING);
}

static void expect_unauthenticated(struct world *w, const struct scenario *sc)
{
        struct engine *h = harness_side(w, sc);

        cr_expect_not(engine_result(h)->authenticated, "%s", w->trace.data);
        cr_expect_eq(engine_result(h)->pairs, 0);
        cr_expect(engine_result(h)->final);
        cr_expect_eq(engine_result(h)->outcomes & OUTCOME_SUCCESS_SET, 0);
        if (!sc->harness_initiates)
                cr_expect_eq(w->stanzas, 0, "nothing may reach the harness\n%s", w->trace.data);
}

/* STR-6 (RFC 6120 §4.3.3): a new id after each restart. */
Test(hostile, reuse_stream_id)
{
        struct world w;
        struct scenario sc = {1, 1, true, NULL, false}; /* S: two restarts */
        struct engine_misbehaviour bad = {.reuse_stream_id = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §4.3.3", "reused after a restart");
        /* Reported, not fatal: EXTERNAL does not depend on the id. */
        cr_expect_eq(engine_result(harness_side(&w, &sc))->method, METHOD_S);
        world_free(&w);
}

/* STR-6 where TLS is the only restart (H13 x M13, Dt): the pre-TLS id again after
 * the TLS restart is flagged too (issue 9: the id_seen loop had no test here). */
Test(hostile, reuse_stream_id_tls_only_restart)
{
        struct world w;
        struct scenario sc = {13, 13, true, NULL, false};
        struct engine_misbehaviour bad = {.reuse_stream_id = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §4.3.3", "reused after a restart");
        cr_expect_eq(engine_result(harness_side(&w, &sc))->restarts, 1, "%s", w.trace.data);
        world_free(&w);
}

/* TLS-9 (RFC 6120 §5.4.3.3): no STARTTLS after TLS. */
Test(hostile, starttls_after_tls)
{
        struct world w;
        struct scenario sc = {13, 13, true, NULL, false};
        struct engine_misbehaviour bad = {.starttls_after_tls = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §5.4.3.3", "STARTTLS offered again");
        cr_expect_eq(engine_result(harness_side(&w, &sc))->restarts, 1, "no second TLS");
        world_free(&w);
}

/* STR-2 (RFC 6120 §4.7.1): the response header's from is the domain asked for. */
Test(hostile, wrong_header_from)
{
        struct world w;
        struct scenario sc = {17, 17, true, NULL, false};
        struct engine_misbehaviour bad = {.wrong_header_from = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §4.7.1", "elsewhere.example");
        world_free(&w);
}

/* STR-2 (RFC 6120 §4.7.3): an id is a MUST, and dialback keys need it. */
Test(hostile, omit_stream_id)
{
        struct world w;
        struct scenario sc = {17, 17, true, NULL, false};
        struct engine_misbehaviour bad = {.omit_stream_id = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §4.7.3", "without an id");
        expect_unauthenticated(&w, &sc);
        cr_expect(strstr(w.trace.data, "<db:result") == NULL, "no key without an id\n%s",
                  w.trace.data);
        world_free(&w);
}

/* SASL-4 (XEP-0178 §3 step 9): EXTERNAL offered for a certificate that cannot pass. */
Test(hostile, external_bound_to_fail)
{
        struct world w;
        /* Opt/Req/T both: S, Dt and Dp accepted; the harness's certificate names wrong.test. */
        struct scenario sc = {3, 3, true, HARNESS "-wrongname", false};
        struct engine_misbehaviour bad = {.external_bound_to_fail = true};
        struct engine *h;

        hostile(&w, &sc, &bad);
        expect_violation(&w, "XEP-0178 §3 step 9", "then refused");
        h = harness_side(&w, &sc);
        /* EXTERNAL never counted; the harness went on with dialback (XEP-0178 v1.2). */
        cr_expect_neq(engine_result(h)->method, METHOD_S, "%s", w.trace.data);
        cr_expect_eq(
            engine_pair_state(world_engine(&w, w.partner, ENGINE_RECEIVING), HARNESS, PARTNER),
            engine_result(h)->authenticated ? PAIR_VALID : PAIR_FAILED);
        world_free(&w);
}

/* DB-14 / reference §3.6 F3(c): silence is a timeout, never success. */
Test(hostile, ignore_db_result)
{
        struct world w;
        struct scenario sc = {17, 17, true, NULL, false};
        struct engine_misbehaviour bad = {.ignore_db_result = true};

        hostile(&w, &sc, &bad);
        /* Nothing moves until a simulated timer runs out. Which side's timer fires
         * first is the transport's choice (memnet: the accepted side); either way the
         * harness ends in EXPECT_DB_RESULT, unanswered. */
        cr_expect_geq(w.timeouts, 1);
        cr_expect(strstr(engine_result(harness_side(&w, &sc))->cause, "EXPECT_DB_RESULT") != NULL,
                  "%s\n%s", engine_result(harness_side(&w, &sc))->cause, w.trace.data);
        cr_expect(strstr(w.trace.data, "type=\"") == NULL, "no dialback answer at all\n%s",
                  w.trace.data);
        expect_unauthenticated(&w, &sc);
        world_free(&w);
}

/* DB-3, reference §3.9: the key binds the post-TLS id; one over the pre-TLS id is invalid. */
Test(hostile, key_with_pre_tls_id)
{
        struct world w;
        struct scenario sc = {13, 13, false, NULL, false}; /* Dt, the partner initiates */
        struct engine_misbehaviour bad = {.key_with_pre_tls_id = true};
        struct engine *h;

        hostile(&w, &sc, &bad);
        expect_violation(&w, "XEP-0220 §2.1.1", "declared the key");
        expect_unauthenticated(&w, &sc);
        h = harness_side(&w, &sc);
        cr_expect_eq(engine_pair_state(h, PARTNER, HARNESS), PAIR_FAILED);
        cr_expect_eq(engine_state(h), ST_CLOSED, "DB-5: the first pair invalid closes");
        cr_expect(strstr(w.trace.data, "type=\"invalid\"") != NULL, "%s", w.trace.data);
        world_free(&w);
}

/* STR-7 (RFC 6120 §4.3.5): stanzas before authentication are refused. */
Test(hostile, stanza_before_auth)
{
        struct world w;
        struct scenario sc = {13, 13, false, NULL, false};
        struct engine_misbehaviour bad = {.stanza_before_auth = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §4.3.5", "before authentication");
        expect_unauthenticated(&w, &sc);
        cr_expect(strstr(w.trace.data, "<not-authorized") != NULL, "%s", w.trace.data);
        world_free(&w);
}

/* §2.8 (RFC 6120 §4.9.3.9): a from that was never authenticated. */
Test(hostile, stanza_unauth_from)
{
        struct world w;
        struct scenario sc = {13, 13, false, NULL, false};
        struct engine_misbehaviour bad = {.stanza_unauth_from = true};
        struct engine *h;

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §4.9.3.9", ENGINE_ROGUE_DOMAIN);
        h = harness_side(&w, &sc);
        /* The real pair was authenticated; the rogue domain never is. */
        cr_expect_eq(engine_pair_state(h, PARTNER, HARNESS), PAIR_VALID);
        cr_expect_eq(engine_pair_state(h, ENGINE_ROGUE_DOMAIN, HARNESS), PAIR_NONE);
        cr_expect_not(world_delivered_from(&w, ENGINE_ROGUE_DOMAIN), "%s", w.trace.data);
        cr_expect(strstr(w.trace.data, "<invalid-from") != NULL, "%s", w.trace.data);
        world_free(&w);
}

/* TLS-6 (RFC 6120 §5.4.2.2): <starttls/> that was not offered gets <failure/>. */
Test(hostile, starttls_unoffered)
{
        struct world w;
        struct scenario sc = {17, 17, false, NULL, false}; /* no TLS on either side */
        struct engine_misbehaviour bad = {.starttls_unoffered = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §5.4.2.2", "not offered");
        expect_unauthenticated(&w, &sc);
        cr_expect_not(engine_result(harness_side(&w, &sc))->tls);
        world_free(&w);
}

/* TLS-4 (RFC 6120 §5.3.4): no SASL before TLS. */
Test(hostile, auth_before_tls)
{
        struct world w;
        struct scenario sc = {1, 1, false, NULL, false};
        struct engine_misbehaviour bad = {.auth_before_tls = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 6120 §5.3.4", "<auth/> before TLS");
        cr_expect(strstr(w.trace.data, "<encryption-required") != NULL, "%s", w.trace.data);
        /* The premature <auth/> itself authenticates nothing: the partner goes on with
         * STARTTLS and EXTERNAL over TLS, so the only success is the proper S. */
        cr_expect_eq(engine_result(harness_side(&w, &sc))->outcomes, OUTCOME_BIT(OUTCOME_S), "%s",
                     w.trace.data);
        cr_expect(strstr(w.trace.data, "harness#1 in           tls     TLS established") != NULL,
                  "EXTERNAL must come after TLS\n%s", w.trace.data);
        world_free(&w);
}

/* DB-9 (XEP-0220 §3.1): a typed db:result nobody asked for is no authentication. */
Test(hostile, unsolicited_db_valid)
{
        struct world w;
        struct scenario sc = {17, 17, false, NULL, false};
        struct engine_misbehaviour bad = {.unsolicited_db_valid = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "XEP-0220 §3.1", "unsolicited db:result type='valid'");
        /* The partner then sends its ping as if authenticated: not-authorized. */
        expect_violation(&w, "RFC 6120 §4.3.5", "before authentication");
        expect_unauthenticated(&w, &sc);
        world_free(&w);
}

/*
 * DB-3..DB-5 (XEP-0220 §2.1-§2.3): a partner that answers type='valid' without
 * sending db:verify to the harness's authoritative server accepts any key. It
 * is a violation naming that, never Dp or Dt, on the harness's own stream
 * (harness initiates) and on the harness's reply stream when the partner
 * initiates (the harness answers the partner's ping over a stream of its own).
 * Rows: Dp (H17 x M17, plaintext) and Dt (H13 x M13, over TLS).
 */
Test(hostile, valid_without_verify)
{
        static const struct scenario runs[] = {
            {17, 17, true, NULL, false},
            {13, 13, true, NULL, false},
            {17, 17, false, NULL, false},
            {13, 13, false, NULL, false},
        };
        struct engine_misbehaviour bad = {.valid_without_verify = true};

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                struct world w;
                struct engine *h;

                hostile(&w, &runs[i], &bad);
                expect_violation(&w, "XEP-0220 §2.2", "accepted dialback without verifying");
                /* Inbound, the harness itself verifies the partner's key (a db:verify
                 * of its own); only the partner's side is blind. */
                if (runs[i].harness_initiates)
                        cr_expect(strstr(w.trace.data, "<db:verify") == NULL,
                                  "no verify was sent\n%s", w.trace.data);
                h = world_engine(&w, w.harness, ENGINE_INITIATING);
                cr_assert_not_null(h, "%s", w.trace.data);
                cr_expect(engine_result(h)->unverified_valid, "%s", w.trace.data);
                cr_expect_not(engine_result(h)->authenticated, "%s", w.trace.data);
                cr_expect_eq(engine_result(h)->outcomes & OUTCOME_SUCCESS_SET, 0, "%s",
                             w.trace.data);
                cr_expect_eq(engine_result(h)->method, 0);
                cr_expect(strstr(engine_result(h)->cause, "without verifying") != NULL, "%s",
                          engine_result(h)->cause);
                if (runs[i].harness_initiates)
                        expect_unauthenticated(&w, &runs[i]);
                world_free(&w);
        }
}

/* RFC 7590 §3.1, reference §3.6 F1: a TLS-Required partner must not go on in plaintext. */
/* The receiving role's states are named for what comes next (design.md §3): STARTTLS
 * when it was offered before TLS (RFC 6120 §5.4.2.1), then authentication alone
 * (§6.4.1, XEP-0220 §2.1); without STARTTLS offered, authentication at once. */
static void expect_receiving_states(int row, const char *const *want, size_t n_want,
                                    const char *never)
{
        struct scenario sc = {row, row, false, NULL, false};
        struct engine_misbehaviour honest = {0};
        struct world w;
        struct engine *h;

        hostile(&w, &sc, &honest);
        h = harness_side(&w, &sc);
        cr_assert_not_null(h, "%s", w.trace.data);
        cr_expect(engine_result(h)->authenticated, "row %d\n%s", row, w.trace.data);
        cr_expect_eq(engine_state(h), ST_EXPECT_STANZAS, "row %d", row);
        for (size_t i = 0; i < n_want; i++)
                cr_expect(strstr(w.trace.data, want[i]) != NULL, "row %d: no '%s'\n%s", row,
                          want[i], w.trace.data);
        if (never != NULL)
                cr_expect(strstr(w.trace.data, never) == NULL, "row %d: '%s'\n%s", row, never,
                          w.trace.data);
        world_free(&w);
}

Test(states, receiving_role_named_for_what_comes_next)
{
        static const char *const tls_then_sasl[] = {
            "EXPECT_HEADER -> EXPECT_STARTTLS", "EXPECT_STARTTLS -> EXPECT_TLS_HANDSHAKE",
            "EXPECT_HEADER -> EXPECT_AUTH", "EXPECT_AUTH -> EXPECT_HEADER",
            "EXPECT_HEADER -> EXPECT_STANZAS"};
        static const char *const plain_dialback[] = {"EXPECT_HEADER -> EXPECT_AUTH",
                                                     "EXPECT_AUTH -> EXPECT_STANZAS"};

        expect_receiving_states(1, tls_then_sasl, sizeof(tls_then_sasl) / sizeof(tls_then_sasl[0]),
                                NULL);
        expect_receiving_states(17, plain_dialback,
                                sizeof(plain_dialback) / sizeof(plain_dialback[0]),
                                "EXPECT_STARTTLS");
}

Test(hostile, tls_downgrade)
{
        struct world w;
        /* Harness NS/NS/T (Dp only); partner Req/NS/T (Dt only) that downgrades. */
        struct scenario sc = {17, 13, false, NULL, true};
        struct engine_misbehaviour bad = {.tls_downgrade = true};

        hostile(&w, &sc, &bad);
        expect_violation(&w, "RFC 7590 §3.1", "TLS downgrade");
        expect_unauthenticated(&w, &sc);
        cr_expect_eq(engine_result(harness_side(&w, &sc))->outcomes, OUTCOME_BIT(OUTCOME_F1), "%s",
                     w.trace.data);
        world_free(&w);
}

/* The same downgrade where the harness does not know the partner's settings:
 * plaintext dialback looks like Dp, and the harness goes on to verify it (it
 * fails later only because the partner's authoritative server demands TLS).
 * Seeing the downgrade needs the settings: that is what peer_known is for. */
Test(hostile, tls_downgrade_needs_peer_settings)
{
        struct world w;
        struct scenario sc = {17, 13, false, NULL, false};
        struct engine_misbehaviour bad = {.tls_downgrade = true};

        hostile(&w, &sc, &bad);
        cr_expect_null(world_finding(w.harness, FINDING_VIOLATION, "RFC 7590 §3.1", NULL));
        cr_expect(strstr(w.trace.data, "verifying " PARTNER " -> " HARNESS) != NULL, "%s",
                  w.trace.data);
        world_free(&w);
}

/* The partner conforming (no knob): the same scenarios are clean. */
Test(hostile, control_runs_are_clean)
{
        static const struct scenario runs[] = {
            {1, 1, true, NULL, false},    {13, 13, true, NULL, false},  {17, 17, true, NULL, false},
            {13, 13, false, NULL, false}, {17, 17, false, NULL, false}, {1, 1, false, NULL, false},
        };
        struct engine_misbehaviour none = {0};

        for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
                struct world w;

                hostile(&w, &runs[i], &none);
                cr_expect_eq(world_count(w.harness, FINDING_VIOLATION), 0, "%s", w.trace.data);
                cr_expect_eq(world_count(w.partner, FINDING_VIOLATION), 0, "%s", w.trace.data);
                cr_expect(engine_result(harness_side(&w, &runs[i]))->authenticated, "%s",
                          w.trace.data);
                cr_expect_eq(w.pongs, 1);
                world_free(&w);
        }
}

/*
 * Wire-level hostility (enum engine_wire, `serve --misbehave`), in both roles of
 * the partner: the harness ends unauthenticated, and its cause names what the
 * partner did. R: the harness initiates (H13 x M13, TLS then dialback); I: the
 * partner initiates (H1 x M1: SASL EXTERNAL, so no verify stream of the harness
 * meets the partner's hostility first).
 */
struct wire_case {
        enum engine_wire wire;
        const char *as_receiving; /* in the harness's cause, the partner receiving */
        const char *as_initiating;
};

static const struct wire_case wire_cases[] = {
    {WIRE_GARBAGE, "unsupported-encoding", "unsupported-encoding"},
    {WIRE_ENTITY_BOMB, "DOCTYPE", "DOCTYPE"},
    /* Before the first features the initiating harness bounds the bytes it takes
     * (whole in memory: that bound may come before the parser's own limits). */
    {WIRE_HUGE_ELEMENT, "too many bytes before features", "max_element"},
    {WIRE_DEEP_NESTING, "policy-violation", "max_depth"},
    {WIRE_MANY_ATTRIBUTES, "policy-violation", "max_header"},
    {WIRE_MANY_FEATURES, "too many bytes before features", "max_element"},
    {WIRE_WRONG_NAMESPACE, "invalid-namespace", "invalid-namespace"},
    {WIRE_UTF7_DECLARATION, "UTF-7", "UTF-7"},
    /* In memory the partner's own timer may end the stall first. */
    {WIRE_STALL, "while EXPECT_FEATURES", "while EXPECT_STARTTLS"},
    {WIRE_SILENCE, "never sent anything", "never sent anything"},
    {WIRE_CLOSE_AT_ONCE, "never sent anything", "never sent anything"},
    {WIRE_CLOSE_MID_TLS, "while EXPECT_TLS_HANDSHAKE", "while EXPECT_TLS_HANDSHAKE"},
    {WIRE_PROCEED_THEN_PLAINTEXT, "TLS handshake failed", "TLS handshake failed"},
};

Test(hostile, wire_behaviours_both_roles)
{
        for (size_t i = 0; i < sizeof(wire_cases) / sizeof(wire_cases[0]); i++) {
                const struct wire_case *c = &wire_cases[i];

                for (int initiates = 0; initiates < 2; initiates++) {
                        struct scenario sc = {initiates ? 1 : 13, initiates ? 1 : 13, !initiates,
                                              NULL, false};
                        struct engine_misbehaviour bad = {.wire = c->wire};
                        const char *want = initiates ? c->as_initiating : c->as_receiving;
                        struct world w;
                        struct engine *h;

                        hostile(&w, &sc, &bad);
                        h = harness_side(&w, &sc);
                        cr_assert_not_null(h, "wire %d: no harness stream\n%s", (int)c->wire,
                                           w.trace.data);
                        expect_unauthenticated(&w, &sc);
                        cr_expect_not_null(strstr(engine_result(h)->cause, want),
                                           "wire %d, partner %s: cause '%s' does not say '%s'\n%s",
                                           (int)c->wire, initiates ? "initiating" : "receiving",
                                           engine_result(h)->cause, want, w.trace.data);
                        world_free(&w);
                }
        }
}

/* wire_roles keeps the hostility on one side: the other side is conforming. */
Test(hostile, wire_roles_limit_the_side)
{
        struct world w;
        struct scenario sc = {13, 13, true, NULL, false};
        struct engine_misbehaviour bad = {.wire = WIRE_GARBAGE,
                                          .wire_roles = 1u << ENGINE_INITIATING};

        hostile(&w, &sc, &bad);
        /* The partner receives normally, and its dialback verify stream (initiating)
         * is the one that sends garbage: no verification, no authentication. */
        expect_unauthenticated(&w, &sc);
        cr_expect_eq(engine_result(harness_side(&w, &sc))->restarts, 1, "TLS went on\n%s",
                     w.trace.data);
        world_free(&w);
}

/* ---- 2. scripted raw-byte peers -------------------------------------------------- */

#define STREAM_OPEN(to, from)                                                                      \
        "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "                               \
        "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "       \
        "to='" to "' from='" from "' version='1.0'>"

struct solo {
        struct engine *e;
        struct buf trace;
        char out[65536]; /* everything the engine sent so far */
        size_t out_len;
};

static void solo_trace(void *user, const struct trace_entry *t)
{
        struct solo *s = user;

        if (s->trace.len < 200000)
                buf_printf(&s->trace, "%d %.*s\n", (int)t->kind, (int)t->len, t->text);
}

/* One engine without TLS; hosted[0] is its domain; bad: its misbehaviours (or NULL);
 * ledger: its authoritative server's record of db:verify requests (or NULL). */
static void solo_setup(struct solo *s, enum engine_role role, int row, const char *const *hosted,
                       size_t n_hosted, size_t before_features,
                       const struct engine_misbehaviour *bad, struct db_ledger *ledger)
{
        struct engine_config c;
        char err[256];

        memset(s, 0, sizeof(*s));
        buf_init(&s->trace, 0);
        memset(&c, 0, sizeof(c));
        c.role = role;
        c.purpose = PURPOSE_AUTH;
        c.hosted = hosted;
        c.n_hosted = n_hosted;
        c.remote_domain = role == ENGINE_INITIATING ? PARTNER : NULL;
        cr_assert_eq(settings_from_row(row, &c.neg), 0);
        c.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&c.knobs);
        if (bad != NULL)
                c.knobs.bad = *bad;
        c.secret = "s3cr3tf0rd14lb4ck";
        xs_limits_default(&c.limits);
        c.max_bytes_before_features = before_features;
        c.trace = solo_trace;
        c.trace_user = s;
        c.ledger = ledger;
        c.random = test_random;
        s->e = engine_new(&c, err, sizeof(err));
        cr_assert_not_null(s->e, "%s", err);
        if (role == ENGINE_INITIATING)
                cr_assert_eq(engine_start(s->e), 0);
}

static void solo_new_bad(struct solo *s, enum engine_role role, int row, const char *const *hosted,
                         size_t n_hosted, size_t before_features,
                         const struct engine_misbehaviour *bad)
{
        solo_setup(s, role, row, hosted, n_hosted, before_features, bad, NULL);
}

static void solo_new(struct solo *s, enum engine_role role, int row, const char *const *hosted,
                     size_t n_hosted, size_t before_features)
{
        solo_new_bad(s, role, row, hosted, n_hosted, before_features, NULL);
}

static void solo_free(struct solo *s)
{
        engine_free(s->e);
        buf_cleanup(&s->trace);
}

/* Moves the engine's output into s->out and returns what this call added. */
static const char *solo_drain(struct solo *s)
{
        struct buf *o = engine_output(s->e);
        size_t start = s->out_len;
        size_t n =
            o->len < sizeof(s->out) - 1 - s->out_len ? o->len : sizeof(s->out) - 1 - s->out_len;

        if (n > 0)
                memcpy(s->out + s->out_len, o->data, n);
        s->out_len += n;
        s->out[s->out_len] = '\0';
        buf_consume(o, o->len);
        return s->out + start;
}

/* Feeds xml and returns what the engine answered to it. */
static const char *solo_feed(struct solo *s, const char *xml)
{
        solo_drain(s);
        cr_assert_eq(engine_input(s->e, xml, strlen(xml)), 0);
        return solo_drain(s);
}

static bool solo_has(const struct solo *s, enum finding_kind kind, const char *rule,
                     const char *text)
{
        size_t n;
        const struct finding *f = engine_findings(s->e, &n);

        for (size_t i = 0; i < n; i++) {
                if (f[i].kind == kind && strstr(f[i].rule, rule) != NULL &&
                    (text == NULL || strstr(f[i].text, text) != NULL))
                        return true;
        }
        return false;
}

static int solo_event(struct solo *s, enum engine_event_kind kind, struct engine_event *out)
{
        struct engine_event ev;

        while (engine_next_event(s->e, &ev)) {
                if (ev.kind == kind) {
                        *out = ev;
                        return 1;
                }
                engine_event_cleanup(&ev);
        }
        return 0;
}

static const char *const h_only[] = {HARNESS};

/* A receiving engine (NS/NS/T: plaintext dialback) that has verified partner.test. */
static void solo_verified(struct solo *s)
{
        struct engine_event ev;
        const char *out;

        solo_new(s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        out = solo_feed(s, STREAM_OPEN(HARNESS, PARTNER));
        cr_assert(strstr(out, "<stream:features>") != NULL, "%s", out);
        solo_feed(s, "<db:result from='" PARTNER "' to='" HARNESS "'>abc</db:result>");
        cr_assert(solo_event(s, EV_NEED_VERIFY, &ev), "%s", s->trace.data);
        cr_assert_str_eq(ev.id, engine_stream_id(s->e));
        cr_assert_eq(engine_verify_result(s->e, PARTNER, HARNESS, ev.id, DB_VALID), 0);
        out = solo_drain(s);
        cr_assert(strstr(out, "type=\"valid\"") != NULL, "%s", out);
        cr_assert_eq(engine_state(s->e), ST_EXPECT_STANZAS);
}

/* SASL-7 (RFC 6120 §6.4.5): after the retry limit, <policy-violation/>. */
Test(scripted, sasl_retry_limit)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 1, h_only, 1, 0);
        solo_feed(&s, STREAM_OPEN(HARNESS, PARTNER));
        for (int i = 0; i < 2; i++) {
                out = solo_feed(&s, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                                    "mechanism='EXTERNAL'>=</auth>");
                cr_expect(strstr(out, "<encryption-required/>") != NULL, "%s", out);
                cr_expect_eq(engine_state(s.e), ST_EXPECT_AUTH);
        }
        out = solo_feed(&s, "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                            "mechanism='EXTERNAL'>=</auth>");
        cr_expect(strstr(out, "<policy-violation") != NULL, "%s", out);
        cr_expect(strstr(out, "</stream:stream>") != NULL);
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §5.3.4", "<auth/> before TLS"));
        cr_expect_not(engine_result(s.e)->authenticated);
        solo_free(&s);
}

/* DB-9 (XEP-0220 §3.1): a db:verify with a type answers nothing we asked: ignored. */
Test(scripted, unsolicited_db_verify)
{
        struct solo s;
        struct engine_event ev;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        solo_feed(&s, STREAM_OPEN(HARNESS, PARTNER));
        out =
            solo_feed(&s, "<db:verify from='" PARTNER "' to='" HARNESS "' id='x1' type='valid'/>");
        cr_expect_str_empty(out);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "unsolicited db:verify"));
        cr_expect_eq(engine_state(s.e), ST_EXPECT_AUTH);
        cr_expect_eq(solo_event(&s, EV_AUTHENTICATED, &ev), 0);
        solo_free(&s);
}

/* The harness's unsolicited <db:result type='valid'/> taken by the peer for a request
 * (Prosody 0.12 verifies the empty key and answers type='invalid', then stays silent):
 * that answer correlates by from/to and ends the stream as a failure (XEP-0220 §2.2.1,
 * §3.1), instead of being ignored while the stream waits for nothing. */
static void unsolicited_answered(const char *type, bool success)
{
        struct engine_misbehaviour bad = {.unsolicited_db_valid = true};
        struct solo s;
        char answer[256];
        const char *out;

        solo_new_bad(&s, ENGINE_INITIATING, 17, h_only, 1, 0, &bad);
        out = solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streams' "
                            "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                            "' id='sid1' version='1.0'><stream:features/>");
        cr_assert(strstr(out, "type=\"valid\"") != NULL, "%s\n%s", out, s.trace.data);
        cr_assert_eq(engine_state(s.e), ST_EXPECT_CLAIM_ANSWER, "%s", s.trace.data);
        cr_assert_not(engine_result(s.e)->final, "nothing decided by our own claim");
        snprintf(answer, sizeof(answer),
                 "<db:result from='" PARTNER "' to='" HARNESS "' id='sid1' type='%s'/>", type);
        out = solo_feed(&s, answer);
        cr_expect(engine_result(s.e)->final, "%s", s.trace.data);
        if (success) {
                cr_expect(engine_result(s.e)->authenticated, "%s", s.trace.data);
                cr_expect(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §2.2.1", "no key"));
        } else {
                cr_expect_not(engine_result(s.e)->authenticated, "%s", s.trace.data);
                cr_expect_eq(engine_result(s.e)->outcomes, OUTCOME_BIT(OUTCOME_F4), "%s",
                             s.trace.data);
                cr_expect(strstr(out, "</stream:stream>") != NULL, "%s", out);
                cr_expect_eq(engine_pair_state(s.e, HARNESS, PARTNER), PAIR_FAILED);
        }
        cr_expect_not(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "answers no request"));
        solo_free(&s);
}

Test(scripted, unsolicited_claim_answered_invalid)
{
        unsolicited_answered("invalid", false);
}

Test(scripted, unsolicited_claim_answered_error)
{
        unsolicited_answered("error", false);
}

Test(scripted, unsolicited_claim_answered_valid)
{
        unsolicited_answered("valid", true);
}

/* A typed result for another pair is still DB-9: ignored, and the claim stays open. */
Test(scripted, unsolicited_claim_other_pair_ignored)
{
        struct engine_misbehaviour bad = {.unsolicited_db_valid = true};
        struct solo s;

        solo_new_bad(&s, ENGINE_INITIATING, 17, h_only, 1, 0, &bad);
        solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                      "xmlns:stream='http://etherx.jabber.org/streams' "
                      "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                      "' id='sid1' version='1.0'><stream:features/>");
        solo_feed(&s, "<db:result from='" PARTNER "' to='other.test' type='invalid'/>");
        cr_expect(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "answers no request"));
        cr_expect_not(engine_result(s.e)->final, "%s", s.trace.data);
        cr_expect_eq(engine_state(s.e), ST_EXPECT_CLAIM_ANSWER);
        solo_free(&s);
}

/* Silence after the claim (issue 10): the claim's step timer ends the wait, and the
 * engine records the claim as ignored (DB-9), F4 in plaintext, not a timeout; it
 * then closes its stream. */
Test(scripted, unsolicited_claim_silence)
{
        struct engine_misbehaviour bad = {.unsolicited_db_valid = true};
        struct solo s;
        const char *out;

        solo_new_bad(&s, ENGINE_INITIATING, 17, h_only, 1, 0, &bad);
        solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                      "xmlns:stream='http://etherx.jabber.org/streams' "
                      "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                      "' id='sid1' version='1.0'><stream:features/>");
        cr_assert_eq(engine_state(s.e), ST_EXPECT_CLAIM_ANSWER, "%s", s.trace.data);
        cr_assert_eq(engine_state_info(ST_EXPECT_CLAIM_ANSWER)->deadline, DEADLINE_STEP);
        engine_timeout(s.e);
        out = solo_drain(&s);
        cr_expect(engine_result(s.e)->final);
        cr_expect_not(engine_result(s.e)->authenticated);
        cr_expect_eq(engine_result(s.e)->outcomes, OUTCOME_BIT(OUTCOME_F4), "%s", s.trace.data);
        cr_expect_str_eq(engine_result(s.e)->rule, "XEP-0220 §3.1");
        cr_expect(strstr(engine_result(s.e)->cause, "claim ignored") != NULL, "%s",
                  engine_result(s.e)->cause);
        cr_expect(strstr(engine_result(s.e)->cause, "timeout") == NULL, "%s",
                  engine_result(s.e)->cause);
        cr_expect(solo_has(&s, FINDING_NOTE, "XEP-0220 §3.1", "ignored our unsolicited"));
        cr_expect(strstr(out, "</stream:stream>") != NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_EXPECT_CLOSE);
        solo_free(&s);
}

/* DB-6 (XEP-0220 §2.2.1): a target we do not host is a dialback error, not a stream error. */
Test(scripted, db_result_not_hosted)
{
        struct solo s;
        struct engine_event ev;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        solo_feed(&s, STREAM_OPEN(HARNESS, PARTNER));
        out = solo_feed(&s, "<db:result from='" PARTNER "' to='nothere.test'>abc</db:result>");
        cr_expect(strstr(out, "type=\"error\"") != NULL, "%s", out);
        cr_expect(strstr(out, "<item-not-found xmlns=\"urn:ietf:params:xml:ns:xmpp-stanzas\"/>") !=
                      NULL,
                  "%s", out);
        cr_expect(strstr(out, "from=\"nothere.test\" to=\"" PARTNER "\"") != NULL, "%s", out);
        cr_expect(strstr(out, "stream:error") == NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_EXPECT_AUTH);
        cr_expect_eq(solo_event(&s, EV_NEED_VERIFY, &ev), 0);
        solo_free(&s);
}

/* STR-7 (RFC 6120 §4.3.5). */
Test(scripted, stanza_before_auth)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        solo_feed(&s, STREAM_OPEN(HARNESS, PARTNER));
        out = solo_feed(&s, "<message from='a@" PARTNER "' to='b@" HARNESS "'><body>x</body>"
                            "</message>");
        cr_expect(strstr(out, "<not-authorized xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>") !=
                      NULL,
                  "%s", out);
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §4.3.5", NULL));
        solo_free(&s);
}

/* §2.8 (RFC 6120 §4.9.3.9): a from domain not authenticated on the stream. */
Test(scripted, stanza_unauthenticated_from)
{
        struct solo s;
        struct engine_event ev;
        const char *out;

        solo_verified(&s);
        out = solo_feed(&s, "<message from='a@" PARTNER "' to='b@" HARNESS "'/>");
        cr_expect_str_empty(out);
        cr_assert(solo_event(&s, EV_STANZA, &ev));
        engine_event_cleanup(&ev);
        out = solo_feed(&s, "<message from='a@other.test' to='b@" HARNESS "'/>");
        cr_expect(strstr(out, "<invalid-from") != NULL, "%s", out);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §4.9.3.9", "other.test"));
        cr_expect_eq(solo_event(&s, EV_STANZA, &ev), 0);
        solo_free(&s);
}

/* §2.8 (RFC 6120 §8.1.1.2): both to and from, or improper-addressing. */
Test(scripted, stanza_missing_to)
{
        struct solo s;
        const char *out;

        solo_verified(&s);
        out = solo_feed(&s, "<message from='a@" PARTNER "'/>");
        cr_expect(strstr(out, "<improper-addressing") != NULL, "%s", out);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §8.1.1.2", NULL));
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        solo_free(&s);
}

Test(scripted, stanza_missing_from)
{
        struct solo s;
        const char *out;

        solo_verified(&s);
        out = solo_feed(&s, "<iq type='get' id='1' to='" HARNESS "'/>");
        cr_expect(strstr(out, "<improper-addressing") != NULL, "%s", out);
        solo_free(&s);
}

/* STR-4 (RFC 6120 §4.8.1): the stream namespace must be exact; we answer with our
 * own header first (§4.9.1.2). */
Test(scripted, wrong_stream_namespace)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        out = solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streamz' to='" HARNESS
                            "' from='" PARTNER "' version='1.0'>");
        cr_expect(strstr(out, "<stream:stream") != NULL, "%s", out);
        cr_expect(strstr(out, "<invalid-namespace") != NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §11", "invalid-namespace"));
        solo_free(&s);
}

Test(scripted, wrong_content_namespace)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        out = solo_feed(&s, "<stream:stream xmlns='jabber:client' "
                            "xmlns:stream='http://etherx.jabber.org/streams' to='" HARNESS
                            "' from='" PARTNER "' version='1.0'>");
        cr_expect(strstr(out, "<invalid-namespace") != NULL, "%s", out);
        solo_free(&s);
}

/* STR-10 (RFC 6120 §11.1): no DTD. */
Test(scripted, doctype)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        out = solo_feed(&s, "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY x 'y'>]>");
        cr_expect(strstr(out, "<restricted-xml") != NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        solo_free(&s);
}

/*
 * STR-11 (RFC 6120 §11.6): the 39 bytes of issue 9 (a UTF-7 declaration with a
 * control byte) crashed libxml2's encoding switch. Either role answers with
 * <unsupported-encoding/>, records the violation and closes.
 */
#define UTF7_HEADER "<?xml version=\"1.0\" encoding=\"UTF-7\"\x1a?>"

Test(scripted, utf7_header_receiving)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_RECEIVING, 17, h_only, 1, 0);
        out = solo_feed(&s, UTF7_HEADER);
        cr_expect(strstr(out, "<unsupported-encoding") != NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §11", "unsupported-encoding"), "%s",
                  s.trace.data);
        cr_expect_not(engine_result(s.e)->authenticated);
        solo_free(&s);
}

Test(scripted, utf7_header_initiating)
{
        struct solo s;
        const char *out;

        solo_new(&s, ENGINE_INITIATING, 17, h_only, 1, 0);
        out = solo_feed(&s, UTF7_HEADER);
        cr_expect(strstr(out, "<unsupported-encoding") != NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §11", "unsupported-encoding"), "%s",
                  s.trace.data);
        cr_expect(engine_result(s.e)->final);
        cr_expect_not(engine_result(s.e)->authenticated);
        solo_free(&s);
}

/* Bounded input (design.md §3): too much before the first features. */
Test(scripted, bytes_before_features)
{
        struct solo s;
        char pad[700];
        const char *out;

        solo_new(&s, ENGINE_INITIATING, 17, h_only, 1, 512);
        solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                      "xmlns:stream='http://etherx.jabber.org/streams' from='" PARTNER
                      "' to='" HARNESS "' id='i1' version='1.0'>");
        memset(pad, ' ', sizeof(pad) - 1);
        pad[sizeof(pad) - 1] = '\0';
        out = solo_feed(&s, pad);
        cr_expect(strstr(out, "<policy-violation") != NULL, "%s", out);
        cr_expect(solo_has(&s, FINDING_VIOLATION, "RFC 6120 §4.9.3.14", "before the first"));
        cr_expect_eq(engine_state(s.e), ST_CLOSED);
        solo_free(&s);
}

/* DB-5: an invalid later pair gets <forbidden/>; the verified pair keeps working. */
Test(scripted, later_pair_invalid_keeps_stream)
{
        struct solo s;
        struct engine_event ev;
        const char *out;

        solo_verified(&s);
        solo_feed(&s, "<db:result from='second.test' to='" HARNESS "'>def</db:result>");
        cr_assert(solo_event(&s, EV_NEED_VERIFY, &ev));
        cr_assert_eq(engine_verify_result(s.e, "second.test", HARNESS, ev.id, DB_INVALID), 0);
        out = solo_drain(&s);
        cr_expect(strstr(out, "<forbidden") != NULL, "%s", out);
        cr_expect(strstr(out, "</stream:stream>") == NULL, "%s", out);
        cr_expect_eq(engine_state(s.e), ST_EXPECT_STANZAS);
        cr_expect_eq(engine_pair_state(s.e, "second.test", HARNESS), PAIR_FAILED);
        /* R MUST keep processing stanzas of the pairs already verified (XEP-0220 §2.6). */
        solo_feed(&s, "<message from='a@" PARTNER "' to='b@" HARNESS "'/>");
        cr_expect(solo_event(&s, EV_STANZA, &ev));
        engine_event_cleanup(&ev);
        out = solo_feed(&s, "<message from='a@second.test' to='b@" HARNESS "'/>");
        cr_expect(strstr(out, "<invalid-from") != NULL, "%s", out);
        solo_free(&s);
}

/* DB-10 on the initiating side, scripted: sender multiplexing without
 * negotiation; target multiplexing refused without <dialback><errors/>. */
Test(scripted, initiator_multiplexing)
{
        static const char *const two[] = {HARNESS, EXTRA};
        struct solo s;
        struct engine_event ev;
        const char *out;

        solo_new(&s, ENGINE_INITIATING, 17, two, 2, 0);
        out = solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streams' "
                            "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                            "' id='sid1' version='1.0'><stream:features/>");
        cr_assert(strstr(out, "<db:result") != NULL, "%s\n%s", out, s.trace.data);
        cr_expect_eq(engine_add_pair(s.e, EXTRA, PARTNER), -1, "not authenticated yet");
        solo_feed(&s, "<db:result from='" PARTNER "' to='" HARNESS "' type='valid'/>");
        cr_assert_eq(engine_state(s.e), ST_EXPECT_STANZAS, "%s", s.trace.data);
        cr_assert(solo_event(&s, EV_AUTHENTICATED, &ev));

        cr_expect_eq(engine_add_pair(s.e, "nothosted.test", PARTNER), -1);
        cr_expect_eq(engine_add_pair(s.e, HARNESS, "other.test"), -1,
                     "target multiplexing needs <dialback><errors/>");
        cr_assert_eq(engine_add_pair(s.e, EXTRA, PARTNER), 0);
        out = solo_drain(&s);
        cr_expect(strstr(out, "from=\"" EXTRA "\" to=\"" PARTNER "\"") != NULL, "%s", out);
        cr_expect_eq(engine_pair_state(s.e, EXTRA, PARTNER), PAIR_PENDING);
        cr_expect_eq(engine_add_pair(s.e, EXTRA, PARTNER), 0, "already pending");
        cr_expect_str_empty(solo_drain(&s), "no second request");

        /* A typed result for a pair never asked for: DB-9, ignored. */
        solo_feed(&s, "<db:result from='" PARTNER "' to='third.test' type='valid'/>");
        cr_expect(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "third.test"));
        cr_expect_eq(engine_pair_state(s.e, "third.test", PARTNER), PAIR_NONE);

        /* The later pair refused: the stream stays for the first. */
        solo_feed(&s, "<db:result from='" PARTNER "' to='" EXTRA "' type='error'>"
                      "<error type='cancel'><forbidden "
                      "xmlns='urn:ietf:params:xml:ns:xmpp-stanzas'/></error></db:result>");
        cr_expect(solo_event(&s, EV_PAIR_FAILED, &ev));
        cr_expect_str_eq(ev.from, EXTRA);
        cr_expect_eq(engine_state(s.e), ST_EXPECT_STANZAS);
        cr_expect_eq(engine_pair_state(s.e, EXTRA, PARTNER), PAIR_FAILED);
        cr_expect_eq(engine_pair_state(s.e, HARNESS, PARTNER), PAIR_VALID);
        cr_expect_eq(engine_add_pair(s.e, EXTRA, PARTNER), -1, "refused once, not again here");
        cr_expect_eq(engine_result(s.e)->pairs, 1);
        solo_free(&s);
}

/* With <dialback><errors/></dialback> target multiplexing is allowed. */
Test(scripted, initiator_target_multiplexing)
{
        struct solo s;
        struct engine_event ev;
        const char *out;

        solo_new(&s, ENGINE_INITIATING, 17, h_only, 1, 0);
        solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                      "xmlns:stream='http://etherx.jabber.org/streams' "
                      "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                      "' id='sid1' version='1.0'><stream:features><dialback "
                      "xmlns='urn:xmpp:features:dialback'><errors/></dialback></stream:features>");
        solo_feed(&s, "<db:result from='" PARTNER "' to='" HARNESS "' type='valid'/>");
        cr_assert(solo_event(&s, EV_AUTHENTICATED, &ev));
        cr_assert_eq(engine_add_pair(s.e, HARNESS, "other.test"), 0);
        out = solo_drain(&s);
        cr_expect(strstr(out, "to=\"other.test\"") != NULL, "%s", out);
        solo_feed(&s, "<db:result from='other.test' to='" HARNESS "' type='valid'/>");
        cr_expect(solo_event(&s, EV_AUTHENTICATED, &ev));
        cr_expect_str_eq(ev.to, "other.test");
        cr_expect_eq(engine_result(s.e)->pairs, 2);
        solo_free(&s);
}

/* Issue 9, mutation hole (a): a multiplexed pair's request is answered once. A
 * second 'valid', or a 'valid' after 'invalid', answers no request (DB-9): the
 * pair is neither verified again nor counted twice. */
static void solo_two_pairs(struct solo *s)
{
        static const char *const two[] = {HARNESS, EXTRA};
        struct engine_event ev;

        solo_new(s, ENGINE_INITIATING, 17, two, 2, 0);
        solo_feed(s, "<stream:stream xmlns='jabber:server' "
                     "xmlns:stream='http://etherx.jabber.org/streams' "
                     "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                     "' id='sid1' version='1.0'><stream:features/>");
        solo_feed(s, "<db:result from='" PARTNER "' to='" HARNESS "' type='valid'/>");
        cr_assert(solo_event(s, EV_AUTHENTICATED, &ev), "%s", s->trace.data);
        cr_assert_eq(engine_add_pair(s->e, EXTRA, PARTNER), 0);
        cr_assert_eq(engine_pair_state(s->e, EXTRA, PARTNER), PAIR_PENDING);
}

Test(scripted, multiplexed_valid_twice)
{
        struct solo s;

        solo_two_pairs(&s);
        solo_feed(&s, "<db:result from='" PARTNER "' to='" EXTRA "' type='valid'/>");
        cr_expect_eq(engine_pair_state(s.e, EXTRA, PARTNER), PAIR_VALID);
        cr_expect_eq(engine_result(s.e)->pairs, 2);
        cr_expect_not(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "answers no request"));
        solo_feed(&s, "<db:result from='" PARTNER "' to='" EXTRA "' type='valid'/>");
        cr_expect(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "answers no request"), "%s",
                  s.trace.data);
        cr_expect_eq(engine_result(s.e)->pairs, 2, "the pair is counted once");
        cr_expect_eq(engine_state(s.e), ST_EXPECT_STANZAS);
        solo_free(&s);
}

Test(scripted, multiplexed_valid_after_invalid)
{
        struct solo s;
        struct engine_event ev;

        solo_two_pairs(&s);
        solo_feed(&s, "<db:result from='" PARTNER "' to='" EXTRA "' type='invalid'/>");
        cr_assert(solo_event(&s, EV_PAIR_FAILED, &ev));
        cr_expect_eq(engine_pair_state(s.e, EXTRA, PARTNER), PAIR_FAILED);
        solo_feed(&s, "<db:result from='" PARTNER "' to='" EXTRA "' type='valid'/>");
        cr_expect(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §3.1", "answers no request"), "%s",
                  s.trace.data);
        cr_expect_eq(engine_pair_state(s.e, EXTRA, PARTNER), PAIR_FAILED, "refused stays refused");
        cr_expect_eq(engine_result(s.e)->pairs, 1);
        cr_expect_not(solo_event(&s, EV_AUTHENTICATED, &ev));
        solo_free(&s);
}

/*
 * The ledger decides (XEP-0220 §2.1-§2.3): 'valid' counts only when the
 * authoritative server received the db:verify for exactly that key, stream id
 * and pair. Anything else (no verify, another id, another key, the domains
 * swapped) is "accepted dialback without verifying".
 */
Test(scripted, valid_needs_the_exact_verify)
{
        enum { NONE, RIGHT, OTHER_ID, OTHER_KEY, SWAPPED, UPPER_CASE, N };

        for (int k = NONE; k < N; k++) {
                struct db_ledger ledger = {0};
                struct solo s;
                char key[DIALBACK_KEY_LEN + 1];
                const char *out;
                bool ok = k == RIGHT || k == UPPER_CASE;

                solo_setup(&s, ENGINE_INITIATING, 17, h_only, 1, 0, NULL, &ledger);
                out =
                    solo_feed(&s, "<stream:stream xmlns='jabber:server' "
                                  "xmlns:stream='http://etherx.jabber.org/streams' "
                                  "xmlns:db='jabber:server:dialback' from='" PARTNER
                                  "' to='" HARNESS "' id='sid1' version='1.0'><stream:features/>");
                cr_assert(strstr(out, "<db:result") != NULL, "%s", out);
                cr_assert_eq(dialback_key("s3cr3tf0rd14lb4ck", PARTNER, HARNESS, "sid1", key), 0);
                cr_assert(strstr(out, key) != NULL, "the key is over (%s, %s, sid1)", PARTNER,
                          HARNESS);
                if (k == RIGHT)
                        db_ledger_record(&ledger, PARTNER, HARNESS, "sid1", key);
                else if (k == UPPER_CASE)
                        db_ledger_record(&ledger, "PARTNER.test", "Harness.Test", "sid1", key);
                else if (k == OTHER_ID)
                        db_ledger_record(&ledger, PARTNER, HARNESS, "sid2", key);
                else if (k == OTHER_KEY)
                        db_ledger_record(&ledger, PARTNER, HARNESS, "sid1", "0123");
                else if (k == SWAPPED)
                        db_ledger_record(&ledger, HARNESS, PARTNER, "sid1", key);
                solo_feed(&s, "<db:result from='" PARTNER "' to='" HARNESS "' type='valid'/>");
                cr_expect_eq(engine_result(s.e)->authenticated, ok, "case %d\n%s", k, s.trace.data);
                cr_expect_eq(engine_result(s.e)->unverified_valid, !ok, "case %d", k);
                cr_expect_eq(solo_has(&s, FINDING_VIOLATION, "XEP-0220 §2.2", "without verifying"),
                             !ok, "case %d", k);
                solo_free(&s);
        }
}

/* ---- 3. deployed behaviours: starttls-not-required (docs/peers.md) --------------- */

/*
 * The partner is M13 (TLS Required, dialback only) but offers <starttls/> without
 * <required/> (RFC 6120 §5.4.1) and drops a plaintext <db:result/> silently. Runs one
 * harness row in the direction given and checks the harness's codes, and whether
 * M13's prediction holds exactly or only by behaviour (oracle_indistinguishable).
 * The caller frees *w.
 */
static void starttls_not_required(struct world *w, const struct scenario *sc, unsigned want,
                                  bool exact)
{
        struct engine_misbehaviour bad = {.starttls_not_required = true};
        struct neg_settings hs, ps;
        enum direction dir = sc->harness_initiates ? DIR_OUTBOUND : DIR_INBOUND;
        enum outcome pred;
        unsigned got;

        hostile(w, sc, &bad);
        got = engine_result(harness_side(w, sc))->outcomes;
        cr_expect_eq(got, want, "H%d %s: outcomes 0x%x, want 0x%x (%s)\n%s", sc->hrow,
                     direction_name(dir), got, want, engine_result(harness_side(w, sc))->cause,
                     w->trace.data);
        settings_from_row(sc->hrow, &hs);
        settings_from_row(sc->prow, &ps);
        pred = oracle_expect(&hs, SEMANTICS_MATRIX, &ps, dir, NULL, 0);
        cr_expect_eq(oracle_consistent(pred, got), exact, "H%d: M13 predicts %s exactly?", sc->hrow,
                     outcome_name(pred));
        cr_expect(oracle_consistent_observable(&hs, SEMANTICS_MATRIX, dir, pred, got),
                  "H%d %s: M13's %s must hold by behaviour", sc->hrow, direction_name(dir),
                  outcome_name(pred));
        if (sc->harness_initiates && hs.tls == NEG_NOTSUPPORTED) {
                /* What the harness saw offered, and that the partner said nothing back. */
                cr_expect(strstr(w->trace.data, "features: starttls=offered") != NULL, "%s",
                          w->trace.data);
                cr_expect(strstr(w->trace.data, "<required/></starttls>") == NULL, "%s",
                          w->trace.data);
                cr_expect(strstr(w->trace.data, "policy-violation") == NULL,
                          "no DB-7 error, no stream error\n%s", w->trace.data);
        }
}

/* H17 (NS/NS/T) initiating: it takes the unmarked <starttls/> as optional, offers
 * plaintext dialback and times out in EXPECT_DB_RESULT: F4 where M13 predicts F2. */
Test(hostile, starttls_not_required_h17_out)
{
        struct world w;
        struct scenario sc = {17, 13, true, NULL, false};

        starttls_not_required(&w, &sc, OUTCOME_BIT(OUTCOME_F4), false);
        cr_expect_geq(w.timeouts, 1);
        cr_expect(strstr(engine_result(harness_side(&w, &sc))->cause, "EXPECT_DB_RESULT") != NULL,
                  "%s\n%s", engine_result(harness_side(&w, &sc))->cause, w.trace.data);
        cr_expect(strstr(w.trace.data, "misbehaving: dropping plaintext db:result") != NULL, "%s",
                  w.trace.data);
        expect_unauthenticated(&w, &sc);
        world_free(&w);
}

/*
 * The other cells. Outbound H6 (NS/Req/F, no method): F0|F4, not F2; H13 (Req/NS/T)
 * starts TLS as offered and TLS dialback succeeds as M13 predicts. The partner
 * initiating is unchanged (the knob is R only): H17 receiving sees the TLS-Required
 * partner leave (F1|F4); H13 receiving verifies the key over TLS on the partner's
 * authoritative stream, which offers the unmarked <starttls/> too (Dt).
 */
Test(hostile, starttls_not_required_other_cells)
{
        static const struct {
                struct scenario sc;
                unsigned want;
                bool exact;
        } cells[] = {
            {{6, 13, true, NULL, false}, OUTCOME_BIT(OUTCOME_F0) | OUTCOME_BIT(OUTCOME_F4), false},
            {{13, 13, true, NULL, false}, OUTCOME_BIT(OUTCOME_DT), true},
            {{17, 13, false, NULL, false}, OUTCOME_BIT(OUTCOME_F1) | OUTCOME_BIT(OUTCOME_F4), true},
            {{13, 13, false, NULL, false}, OUTCOME_BIT(OUTCOME_DT), true},
        };

        for (size_t i = 0; i < sizeof(cells) / sizeof(cells[0]); i++) {
                struct world w;

                starttls_not_required(&w, &cells[i].sc, cells[i].want, cells[i].exact);
                world_free(&w);
        }
}
