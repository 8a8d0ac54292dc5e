/*
 * One answer for every harness domain on any stream (issue 10 items 1 and 2).
 * The harness runs one node per scenario domain, all at one address; a partner
 * may carry <db:verify/> and <db:result/> for any of them on one stream (XEP-0220
 * §2.6), or open its streams with the legacy dialback header, which names no
 * domain at all (RFC 6120 §4.7.2). Each request is answered and judged as the
 * node hosting its 'to' would (node_config.route, engine_vhost), and its result
 * reaches that node's observer.
 *
 * - engine level: a receiving engine asked for another server's domain answers
 *   with that server's secret and settings; a domain nobody serves still gets
 *   <item-not-found/> (DB-6); the legacy header is accepted (and answered
 *   without version) only when it declares dialback;
 * - node level, in memory: a base node (harness.test) that also receives the
 *   connections for b.harness.test (memnet_alias, as the runner's listener
 *   does), a node B hosting it, and a partner whose streams use the legacy header
 *   (misbehaviour legacy_header), in both directions.
 */
#include <criterion/criterion.h>
#include <strings.h>

#include "dialback.h"
#include "memworld.h"

#define B_DOMAIN "b.harness.test"
#define B_SECRET "b-secret-for-the-tests"
#define C_DOMAIN "c.harness.test"
#define LEGACY ((struct engine_misbehaviour){.legacy_header = true})
#define REUSE ((struct engine_misbehaviour){.reuse_connection = true})
#define OWN_ROUTE ((struct engine_misbehaviour){.verify_after_own_route = true})
#define LEGACY_OPEN                                                                                \
        "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "                               \
        "xmlns:stream='http://etherx.jabber.org/streams' "                                         \
        "xmlns:db='jabber:server:dialback'>"

/* ---- engine level: a receiving engine for harness.test, B answered through vhost ---- */

struct one {
        struct engine *e;
        struct neg_settings b_neg, c_neg; /* C: another node, H4 (Opt/Req/F) */
        enum dboff_reply b_dboff;
        bool b_silent;
        struct db_ledger b_ledger;
        struct buf b_trace; /* what B's own account received */
        char out[16384];
};

static void b_trace(void *user, const struct trace_entry *t)
{
        struct one *o = user;

        buf_printf(&o->b_trace, "%.*s\n", (int)t->len, t->text);
}

static bool b_vhost(void *user, const char *domain, struct engine_vhost *out)
{
        struct one *o = user;

        if (strcmp(domain, B_DOMAIN) != 0 && strcmp(domain, C_DOMAIN) != 0)
                return false;
        out->neg = strcmp(domain, B_DOMAIN) == 0 ? o->b_neg : o->c_neg;
        out->sem = SEMANTICS_MATRIX;
        out->dialback_off_reply = strcmp(domain, B_DOMAIN) == 0 ? o->b_dboff : DBOFF_STREAM_ERROR;
        out->secret = B_SECRET;
        out->db_answer = DB_ANSWER_TRUTHFUL;
        out->ledger = &o->b_ledger;
        out->trace = b_trace;
        out->trace_user = o;
        out->silent = o->b_silent && strcmp(domain, B_DOMAIN) == 0;
        return true;
}

/* A receiving engine hosting harness.test with settings row own_row; B has b_row;
 * vhost answers who else hosts a domain. */
static void one_new_vhost(struct one *o, int own_row, int b_row, engine_vhost_fn vhost)
{
        static const char *const hosted[] = {HARNESS};
        struct engine_config c;
        char err[256];

        memset(o, 0, sizeof(*o));
        buf_init(&o->b_trace, 0);
        cr_assert_eq(settings_from_row(b_row, &o->b_neg), 0);
        cr_assert_eq(settings_from_row(4, &o->c_neg), 0);
        memset(&c, 0, sizeof(c));
        c.role = ENGINE_RECEIVING;
        c.purpose = PURPOSE_AUTH;
        c.hosted = hosted;
        c.n_hosted = 1;
        cr_assert_eq(settings_from_row(own_row, &c.neg), 0);
        c.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&c.knobs);
        c.secret = "the-base-node-secret";
        xs_limits_default(&c.limits);
        c.vhost = vhost;
        c.vhost_user = o;
        c.random = test_random;
        o->e = engine_new(&c, err, sizeof(err));
        cr_assert_not_null(o->e, "%s", err);
}

static void one_new(struct one *o, int own_row, int b_row)
{
        one_new_vhost(o, own_row, b_row, b_vhost);
}

static void one_free(struct one *o)
{
        engine_free(o->e);
        buf_cleanup(&o->b_trace);
}

/* Feeds xml; returns what the engine answered to it. */
static const char *one_feed(struct one *o, const char *xml)
{
        struct buf *b = engine_output(o->e);
        size_t n;

        buf_consume(b, b->len);
        cr_assert_eq(engine_input(o->e, xml, strlen(xml)), 0);
        n = b->len < sizeof(o->out) - 1 ? b->len : sizeof(o->out) - 1;
        memcpy(o->out, b->data, n);
        o->out[n] = '\0';
        return o->out;
}

/* Drains the engine's events: whether EV_PAIR_DONE came for (PARTNER, to), and how
 * many EV_NEED_VERIFY. */
static bool one_pair_done(struct one *o, const char *to, int *need_verify)
{
        struct engine_event ev;
        bool done = false;

        *need_verify = 0;
        while (engine_next_event(o->e, &ev)) {
                done |= ev.kind == EV_PAIR_DONE && strcmp(ev.to, to) == 0;
                *need_verify += ev.kind == EV_NEED_VERIFY;
                engine_event_cleanup(&ev);
        }
        return done;
}

static bool one_finding(struct one *o, enum finding_kind kind, enum rule_id rule)
{
        size_t n;
        const struct finding *f = engine_findings(o->e, &n);

        for (size_t i = 0; i < n; i++) {
                if (f[i].kind == kind && f[i].rule_id == rule)
                        return true;
        }
        return false;
}

/* Item 1: a db:verify for B is answered with B's secret and recorded in B's ledger. */
Test(vhost, verify_for_another_node)
{
        struct one o;
        char key[DIALBACK_KEY_LEN + 1], xml[512];
        const char *out;

        one_new(&o, 17, 17);
        one_feed(&o, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                     "xmlns:stream='http://etherx.jabber.org/streams' "
                     "xmlns:db='jabber:server:dialback' to='" HARNESS "' from='" PARTNER
                     "' version='1.0'>");
        cr_assert_eq(dialback_key(B_SECRET, PARTNER, B_DOMAIN, "sid1", key), 0);
        snprintf(xml, sizeof(xml),
                 "<db:verify from='" PARTNER "' to='" B_DOMAIN "' id='sid1'>%s</db:verify>", key);
        out = one_feed(&o, xml);
        cr_expect(strstr(out, "type=\"valid\"") != NULL, "B's key is valid: %s", out);
        cr_expect(strstr(out, "item-not-found") == NULL, "%s", out);
        cr_expect(db_ledger_has(&o.b_ledger, PARTNER, B_DOMAIN, "sid1", key));
        cr_expect(strstr(o.b_trace.data, "answering valid") != NULL, "B's account: %s",
                  o.b_trace.data);
        /* The same key under another secret (the base node's) is not B's. */
        snprintf(xml, sizeof(xml),
                 "<db:verify from='" PARTNER "' to='" B_DOMAIN "' id='sid2'>%s</db:verify>", key);
        out = one_feed(&o, xml);
        cr_expect(strstr(out, "type=\"invalid\"") != NULL, "%s", out);
        /* DB-6: a domain nobody at this address serves. */
        out = one_feed(&o, "<db:verify from='" PARTNER
                           "' to='nobody.harness.test' id='sid3'>00</db:verify>");
        cr_expect(strstr(out, "item-not-found") != NULL, "%s", out);
        one_free(&o);
}

/* Item 2: the legacy header is accepted, answered without version or features, and
 * its missing 'to' is a finding with its rule. */
Test(vhost, legacy_header_accepted)
{
        struct one o;
        const char *out;

        one_new(&o, 17, 17);
        out = one_feed(&o, LEGACY_OPEN);
        cr_assert(strstr(out, "<stream:stream") != NULL, "%s", out);
        cr_expect(strstr(strstr(out, "<stream:stream"), "version=") == NULL,
                  "no version to a version-less header: %s", out);
        cr_expect(strstr(out, "features") == NULL, "%s", out);
        cr_expect(strstr(out, "host-unknown") == NULL, "%s", out);
        cr_expect(one_finding(&o, FINDING_NOTE, RULE_H_HDR_TO));
        cr_expect_eq(engine_state(o.e), ST_EXPECT_NEGOTIATION);
        one_free(&o);
}

/* Without the dialback namespace, a header without 'to' is still refused. */
Test(vhost, no_to_without_dialback_refused)
{
        struct one o;
        const char *out;

        one_new(&o, 17, 17);
        out = one_feed(&o, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                           "xmlns:stream='http://etherx.jabber.org/streams'>");
        cr_expect(strstr(out, "host-unknown") != NULL, "%s", out);
        cr_expect_eq(engine_state(o.e), ST_CLOSED);
        one_free(&o);
}

/* Item 1, target multiplexing: a db:result for B is judged under B's settings. B
 * (H13: TLS Required, dialback) refuses plaintext dialback with policy-violation
 * (XEP-0220 §2.5, DB-7), although this node (H17) would accept it; the pair's
 * result is B's F2. */
Test(vhost, result_judged_under_the_targets_settings)
{
        struct one o;
        struct engine_result r;
        const char *out;
        int need_verify;

        one_new(&o, 17, 13);
        one_feed(&o, LEGACY_OPEN);
        out = one_feed(&o, "<db:result from='" PARTNER "' to='" B_DOMAIN "'>00</db:result>");
        cr_expect(strstr(out, "policy-violation") != NULL, "%s", out);
        cr_expect(one_pair_done(&o, B_DOMAIN, &need_verify), "EV_PAIR_DONE for B");
        cr_expect_eq(need_verify, 0, "refused: nothing to verify");
        cr_assert_eq(engine_pair_result(o.e, PARTNER, B_DOMAIN, &r), 0);
        cr_expect_eq(r.outcomes, OUTCOME_BIT(OUTCOME_F2), "outcomes %#x", r.outcomes);
        cr_expect_not(r.authenticated);
        /* The same pair under this node's own settings would have been verified. */
        out = one_feed(&o, "<db:result from='" PARTNER "' to='" HARNESS "'>00</db:result>");
        cr_expect(strstr(out, "error") == NULL, "%s", out);
        cr_expect_eq(engine_pair_state(o.e, PARTNER, HARNESS), PAIR_PENDING);
        /* C (H4: dialback False) refuses its pair too, and its code is its own (F4: no
         * common plaintext method), not the F2 that B's pair showed on this stream. */
        out = one_feed(&o, "<db:result from='" PARTNER "' to='" C_DOMAIN "'>00</db:result>");
        cr_expect(strstr(out, "not-authorized") != NULL, "%s", out);
        cr_assert_eq(engine_pair_result(o.e, PARTNER, C_DOMAIN, &r), 0);
        cr_expect_eq(r.outcomes, OUTCOME_BIT(OUTCOME_F4), "outcomes %#x", r.outcomes);
        one_free(&o);
}

/* ---- node level: base + B at one address, a legacy-header partner ---- */

struct mux {
        struct world w;
        struct node *b;
        int pairs_to_b; /* on_pair calls on B */
        struct engine_result b_pair;
};

static struct node *mux_route(void *user, const char *domain)
{
        struct mux *m = user;

        if (strcasecmp(domain, B_DOMAIN) == 0)
                return m->b;
        return m->w.harness;
}

static void mux_on_pair(void *user, struct stream *s, const char *from, const char *to)
{
        struct mux *m = user;

        m->pairs_to_b++;
        cr_expect_eq(engine_pair_result(node_stream_engine(s), from, to, &m->b_pair), 0);
}

/* base hosts harness.test (row base_row), B hosts b.harness.test (row b_row), one
 * address; the partner has row p_row and misbehaviour pbad. With legacy_header,
 * B's connections reach the base node, as the runner's listener sends a header
 * without 'to' to its base node; else connections reach the node of their domain. */
static void mux_init(struct mux *m, int base_row, int b_row, int p_row,
                     struct engine_misbehaviour pbad, bool b_cert_only)
{
        bool legacy = pbad.legacy_header;
        struct node_config hc, bc, pc;
        struct node_transport t;
        struct node_observer bobs = {world_on_stanza, NULL, NULL, m, mux_on_pair};
        char err[256];

        memset(m, 0, sizeof(*m));
        world_init(&m->w, HARNESS, PARTNER);
        world_config(&m->w, &hc, "harness", HARNESS, base_row, m->w.hcreds);
        hc.route = mux_route;
        hc.route_user = m;
        world_config(&m->w, &bc, "b", B_DOMAIN, b_row, m->w.hcreds);
        bc.route = mux_route;
        bc.route_user = m;
        /* Dialback only from a certificate that proves the sender (Prosody's
         * s2s_secure_auth). */
        bc.knobs.dialback_requires_valid_cert = b_cert_only;
        world_config(&m->w, &pc, "partner", PARTNER, p_row, m->w.pcreds);
        pc.knobs.bad = pbad;
        m->w.harness = world_node(&m->w, &hc);
        m->w.partner = world_node(&m->w, &pc);
        t = memnet_transport(m->w.net);
        m->b = node_new(&bc, &t, &bobs, err, sizeof(err));
        cr_assert_not_null(m->b, "%s", err);
        if (legacy) {
                cr_assert_eq(memnet_alias(m->w.net, m->w.harness, B_DOMAIN), 0);
        } else {
                cr_assert_eq(memnet_add(m->w.net, m->b), 0);
                cr_assert_eq(memnet_share_address(m->w.net, m->w.harness, m->b), 0);
        }
}

static void mux_free(struct mux *m)
{
        memnet_reset(m->w.net);
        node_free(m->b);
        m->b = NULL;
        world_free(&m->w);
}

/* Whether the base node sent <item-not-found/> on any stream. */
static bool item_not_found_sent(const struct mux *m)
{
        return strstr(m->w.trace.data != NULL ? m->w.trace.data : "", "item-not-found") != NULL;
}

/* B pings the partner; B's one stream must authenticate with plaintext dialback. */
static struct engine *b_pings_partner(struct mux *m)
{
        struct stream *out[4];
        struct engine *e;

        cr_assert_not_null(node_ping(m->b, B_DOMAIN, PARTNER, "out1"));
        world_run(&m->w);
        cr_assert_eq(world_streams(m->b, ENGINE_INITIATING, PURPOSE_AUTH, out, 4), 1, "%s",
                     m->w.trace.data);
        e = node_stream_engine(out[0]);
        cr_expect_eq(engine_result(e)->method, METHOD_DP, "%s", m->w.trace.data);
        return e;
}

/* The partner initiates to B with the legacy header (M17 x H17: Dp). */
Test(legacy, partner_initiates)
{
        struct mux m;

        mux_init(&m, 9, 17, 17, LEGACY, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in1"));
        world_run(&m.w);
        cr_expect_eq(m.pairs_to_b, 1, "the pair's result reached B\n%s", m.w.trace.data);
        cr_expect(m.b_pair.authenticated);
        cr_expect_eq(m.b_pair.outcomes, OUTCOME_BIT(OUTCOME_DP));
        cr_expect_eq(m.w.pongs, 1, "B answered the partner's ping\n%s", m.w.trace.data);
        cr_expect(world_finding_rule(m.w.harness, FINDING_NOTE, RULE_H_HDR_TO) != NULL, "%s",
                  m.w.trace.data);
        cr_expect_not(item_not_found_sent(&m), "%s", m.w.trace.data);
        cr_expect_eq(world_count(m.w.harness, FINDING_VIOLATION), 0, "%s", m.w.trace.data);
        mux_free(&m);
}

/* The same partner, where B requires TLS (H13): B's settings refuse the plaintext
 * pair with policy-violation, and B gets the F2 that the oracle predicts. */
Test(legacy, partner_initiates_refused_under_the_targets_settings)
{
        struct mux m;

        mux_init(&m, 9, 13, 17, LEGACY, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in1"));
        world_run(&m.w);
        cr_expect_eq(m.pairs_to_b, 1, "%s", m.w.trace.data);
        cr_expect_not(m.b_pair.authenticated);
        cr_expect_eq(m.b_pair.outcomes, OUTCOME_BIT(OUTCOME_F2), "%#x\n%s", m.b_pair.outcomes,
                     m.w.trace.data);
        cr_expect(strstr(m.w.trace.data, "policy-violation") != NULL, "%s", m.w.trace.data);
        cr_expect_eq(m.w.pongs, 0);
        mux_free(&m);
}

/* B initiates; the partner verifies B's key over a legacy VERIFY stream, which lands
 * on the base node and is answered with B's secret (no item-not-found). */
Test(legacy, harness_initiates)
{
        struct mux m;
        struct engine *e;

        mux_init(&m, 9, 17, 17, LEGACY, false);
        e = b_pings_partner(&m);
        /* B's 'valid' counts only if its own ledger holds the partner's verify. */
        cr_expect_not(engine_result(e)->unverified_valid);
        cr_expect_eq(m.w.pongs, 1, "%s", m.w.trace.data);
        cr_expect(strstr(m.w.trace.data, "db:verify for " B_DOMAIN ": served at this address") !=
                      NULL,
                  "%s", m.w.trace.data);
        cr_expect_not(item_not_found_sent(&m), "%s", m.w.trace.data);
        mux_free(&m);
}

/* ---- reuse-connection: one connection per address ---- */

/* The partner initiates: after its stream to A, its pair for B rides on that stream
 * (target multiplexing, judged and attributed as B's), and the verify requests it
 * makes as receiving server go on it too. */
static void reuse_partner_initiates(int hrow, int prow, unsigned method)
{
        struct mux m;
        struct stream *out[4];

        mux_init(&m, hrow, hrow, prow, REUSE, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, HARNESS, "in1"));
        world_run(&m.w);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in2"));
        world_run(&m.w);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_AUTH, out, 4), 1,
                     "one connection from the partner\n%s", m.w.trace.data);
        cr_expect_eq(m.pairs_to_b, 1, "B got its pair\n%s", m.w.trace.data);
        cr_expect(m.b_pair.authenticated);
        cr_expect_eq(m.b_pair.method, method);
        cr_expect_eq(m.w.pongs, 2, "%s", m.w.trace.data);
        cr_expect(strstr(m.w.trace.data, "verifying " HARNESS " -> " PARTNER " on this stream") !=
                      NULL,
                  "the partner verified A's key on its own stream\n%s", m.w.trace.data);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_VERIFY, out, 4), 0,
                     "no verify stream of the partner's\n%s", m.w.trace.data);
        cr_expect_not(item_not_found_sent(&m), "%s", m.w.trace.data);
        mux_free(&m);
}

Test(reuse, partner_initiates_plaintext)
{
        reuse_partner_initiates(17, 17, METHOD_DP);
}

Test(reuse, partner_initiates_tls)
{
        reuse_partner_initiates(13, 13, METHOD_DT);
}

/* The harness initiates from B after the partner has a connection to A: the partner
 * verifies B's key on that connection (to A's node), which answers with B's secret. */
Test(reuse, harness_initiates)
{
        struct mux m;
        struct stream *out[4];
        struct engine *e;

        mux_init(&m, 17, 17, 17, REUSE, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, HARNESS, "in1"));
        world_run(&m.w);
        e = b_pings_partner(&m);
        cr_expect_not(engine_result(e)->unverified_valid);
        cr_expect(strstr(m.w.trace.data, "db:verify for " B_DOMAIN ": served at this address") !=
                      NULL,
                  "B's key verified on the partner's connection to A\n%s", m.w.trace.data);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_VERIFY, out, 4), 0, "%s",
                     m.w.trace.data);
        cr_expect_eq(m.w.pongs, 2, "%s", m.w.trace.data);
        cr_expect_not(item_not_found_sent(&m), "%s", m.w.trace.data);
        mux_free(&m);
}

/* ---- verify-after-own-route ---- */

/* Whether the partner sent its db:verify on the stream of its own route, after that
 * route's 'valid': the trace order of the two lines. */
static bool verified_after_route(const struct mux *m, const char *harness_domain)
{
        char valid[256], verify[256];
        const char *v, *q, *t = m->w.trace.data != NULL ? m->w.trace.data : "";

        snprintf(valid, sizeof(valid), "outcome Dp: dialback authenticated " PARTNER " -> %s",
                 harness_domain);
        snprintf(verify, sizeof(verify), "verifying %s -> " PARTNER " on this stream",
                 harness_domain);
        v = strstr(t, valid);
        q = strstr(t, verify);
        return v != NULL && q != NULL && v < q;
}

/* The harness initiates: the partner authenticates its own route back first, then
 * verifies the harness's key on it; no verify stream of the partner's. */
Test(own_route, harness_initiates)
{
        struct mux m;
        struct stream *out[4];
        struct engine *e;

        mux_init(&m, 17, 17, 17, OWN_ROUTE, false);
        e = b_pings_partner(&m);
        cr_expect_not(engine_result(e)->unverified_valid);
        cr_expect_eq(m.w.pongs, 1, "%s", m.w.trace.data);
        cr_expect(strstr(m.w.trace.data, "waits for our route " PARTNER " -> " B_DOMAIN) != NULL,
                  "%s", m.w.trace.data);
        cr_expect(verified_after_route(&m, B_DOMAIN), "%s", m.w.trace.data);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_VERIFY, out, 4), 0, "%s",
                     m.w.trace.data);
        cr_expect_eq(world_count(m.w.harness, FINDING_VIOLATION) +
                         world_count(m.b, FINDING_VIOLATION),
                     0, "%s", m.w.trace.data);
        mux_free(&m);
}

/* The partner initiates: its route is valid before the harness's answer comes, so
 * its verify of the harness's key rides on it at once. */
Test(own_route, partner_initiates)
{
        struct mux m;
        struct stream *out[4];

        mux_init(&m, 17, 17, 17, OWN_ROUTE, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in1"));
        world_run(&m.w);
        cr_expect_eq(m.w.pongs, 1, "%s", m.w.trace.data);
        cr_expect(verified_after_route(&m, B_DOMAIN), "%s", m.w.trace.data);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_VERIFY, out, 4), 0, "%s",
                     m.w.trace.data);
        mux_free(&m);
}

/* The harness refuses the partner's route (B accepts dialback only from a certificate
 * that proves the sender; there is no TLS): the partner asks again on a verify stream
 * of its own, and the harness's stream still authenticates. */
Test(own_route, route_refused_falls_back)
{
        struct mux m;
        struct stream *out[4];

        mux_init(&m, 17, 17, 17, OWN_ROUTE, true);
        b_pings_partner(&m);
        cr_expect(strstr(m.w.trace.data, "not-authorized") != NULL, "%s", m.w.trace.data);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_VERIFY, out, 4), 1,
                     "the partner fell back to a verify stream\n%s", m.w.trace.data);
        mux_free(&m);
}

/* B's settings ignore dialback (Dialback False, reference §3.10 item 2 "ignored"):
 * nothing on the wire, and B's pair is over at once with B's code (F4: no common
 * plaintext method), not left waiting for a stream that carries other pairs. */
Test(vhost, ignored_by_the_targets_settings)
{
        struct one o;
        struct engine_result r;
        const char *out;
        int need_verify;

        one_new(&o, 17, 4);
        o.b_dboff = DBOFF_IGNORE;
        one_feed(&o, LEGACY_OPEN);
        out = one_feed(&o, "<db:result from='" PARTNER "' to='" B_DOMAIN "'>00</db:result>");
        cr_expect_str_empty(out);
        cr_expect(one_pair_done(&o, B_DOMAIN, &need_verify), "EV_PAIR_DONE for B");
        cr_expect_eq(need_verify, 0);
        cr_assert_eq(engine_pair_result(o.e, PARTNER, B_DOMAIN, &r), 0);
        cr_expect(r.final);
        cr_expect_eq(r.outcomes, OUTCOME_BIT(OUTCOME_F4), "outcomes %#x", r.outcomes);
        cr_expect(strstr(o.b_trace.data, "ignored") != NULL, "%s", o.b_trace.data);
        cr_expect_eq(engine_state(o.e), ST_EXPECT_NEGOTIATION);
        one_free(&o);
}

/* A pair of B's still being verified when the stream closes ends with it. */
Test(vhost, pending_pair_ends_with_the_stream)
{
        struct one o;
        struct engine_result r;

        one_new(&o, 17, 17);
        one_feed(&o, LEGACY_OPEN);
        one_feed(&o, "<db:result from='" PARTNER "' to='" B_DOMAIN "'>00</db:result>");
        cr_expect_eq(engine_pair_result(o.e, PARTNER, B_DOMAIN, &r), -1, "not over yet");
        one_feed(&o, "</stream:stream>");
        cr_assert_eq(engine_pair_result(o.e, PARTNER, B_DOMAIN, &r), 0);
        cr_expect_not(r.authenticated);
        cr_expect(r.outcomes != 0 && !(r.outcomes & OUTCOME_SUCCESS_SET), "%#x", r.outcomes);
        /* Not the partner's last word: it may ask again on another stream. */
        cr_expect_not(r.final);
        one_free(&o);
}

/* B is silent (scenario misbehaviour silent-authoritative): it answers nothing on
 * another node's stream either, neither a db:verify nor a db:result. */
Test(vhost, silent_target_says_nothing)
{
        struct one o;
        struct engine_result r;
        const char *out;

        one_new(&o, 17, 17);
        o.b_silent = true;
        one_feed(&o, LEGACY_OPEN);
        out = one_feed(&o,
                       "<db:verify from='" PARTNER "' to='" B_DOMAIN "' id='sid1'>00</db:verify>");
        cr_expect_str_empty(out);
        out = one_feed(&o, "<db:result from='" PARTNER "' to='" B_DOMAIN "'>00</db:result>");
        cr_expect_str_empty(out);
        cr_assert_eq(engine_pair_result(o.e, PARTNER, B_DOMAIN, &r), 0);
        cr_expect_not(r.authenticated);
        cr_expect_eq(r.outcomes, OUTCOME_BIT(OUTCOME_F4), "%#x", r.outcomes);
        cr_expect(strstr(o.b_trace.data, "silent, as told") != NULL, "%s", o.b_trace.data);
        one_free(&o);
}

/* ---- reuse-connection across scenarios negotiated differently (issue 11) ---- */

/* The partner initiates, with one connection per address: first to A (base_row),
 * then a ping to B (b_row). When A's stream was negotiated under other settings
 * than B's, B's pair is not carried on it: A's stream answers the pair with
 * <resource-constraint/> (XEP-0220 §2.5, DB-7), the partner opens a stream of its
 * own to B, and B's result is that stream's, with the method B's negotiation
 * gives (want), whatever stream the partner happened to reuse. */
static void reuse_other_settings(int base_row, int b_row, unsigned want)
{
        struct mux m;
        struct stream *out[4];
        size_t n;

        mux_init(&m, base_row, b_row, 15, REUSE, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, HARNESS, "in1"));
        world_run(&m.w);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in2"));
        world_run(&m.w);
        cr_expect(strstr(m.w.trace.data, "resource-constraint") != NULL,
                  "A's stream refused B's pair\n%s", m.w.trace.data);
        cr_expect_eq(m.pairs_to_b, 0, "no result for B from A's stream\n%s", m.w.trace.data);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_AUTH, out, 4), 2,
                     "a stream of the partner's own for B\n%s", m.w.trace.data);
        n = world_streams(m.b, ENGINE_RECEIVING, PURPOSE_AUTH, out, 4);
        cr_assert_eq(n, 1, "%s", m.w.trace.data);
        cr_expect(engine_result(node_stream_engine(out[0]))->authenticated, "%s", m.w.trace.data);
        cr_expect_eq(engine_result(node_stream_engine(out[0]))->method, want, "method %u\n%s",
                     engine_result(node_stream_engine(out[0]))->method, m.w.trace.data);
        cr_expect_eq(m.w.pongs, 2, "%s", m.w.trace.data);
        /* The refusal is the harness's choice, never the partner's fault. */
        cr_expect_eq(world_count(m.w.harness, FINDING_VIOLATION) +
                         world_count(m.b, FINDING_VIOLATION),
                     0, "%s", m.w.trace.data);
        mux_free(&m);
}

/* The defect of issue 10: a TLS-Optional partner (M15) reusing a plaintext stream
 * (A: H17, TLS NotSupported) for B (H15, TLS Optional) showed Dp; its own stream to
 * B negotiates TLS: Dt (matrix M15 x H15). */
Test(reuse, tls_optional_pair_not_carried_in_plaintext)
{
        reuse_other_settings(17, 15, METHOD_DT);
}

/* The reverse: A's stream runs TLS (H15), B's settings do not offer it (H17). On A's
 * stream B's settings refused the pair (no Dt there: not-authorized, a failure); on
 * its own plaintext stream B gets Dp (M15 x H17). */
Test(reuse, plaintext_pair_not_carried_over_tls)
{
        reuse_other_settings(15, 17, METHOD_DP);
}

/* The same settings (M15 x H15 on both): the pair still rides on A's stream and B's
 * result comes from it (XEP-0220 §2.6), as before. */
Test(reuse, same_settings_still_multiplexed)
{
        reuse_partner_initiates(15, 15, METHOD_DT);
}

/* Engine level: a db:result for B on a stream whose owner negotiated otherwise
 * (engine_vhost.other_negotiation) gets <resource-constraint/>, no pair result
 * and no finding; B's account says why. A legacy stream (no 'to') carries it. */
static bool other_vhost(void *user, const char *domain, struct engine_vhost *out)
{
        if (!b_vhost(user, domain, out))
                return false;
        out->other_negotiation = true;
        return true;
}

Test(vhost, other_negotiation_refused_with_resource_constraint)
{
        struct one o;
        struct engine_result r;
        const char *out;
        int need_verify;
        size_t nf;

        one_new_vhost(&o, 17, 17, other_vhost);
        one_feed(&o, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                     "xmlns:stream='http://etherx.jabber.org/streams' "
                     "xmlns:db='jabber:server:dialback' to='" HARNESS "' from='" PARTNER
                     "' version='1.0'>");
        out = one_feed(&o, "<db:result from='" PARTNER "' to='" B_DOMAIN "'>00</db:result>");
        cr_expect(strstr(out, "resource-constraint") != NULL, "%s", out);
        cr_expect(strstr(out, "type=\"error\"") != NULL, "%s", out);
        cr_expect_not(one_pair_done(&o, B_DOMAIN, &need_verify), "no result for B");
        cr_expect_eq(need_verify, 0);
        cr_expect_eq(engine_pair_result(o.e, PARTNER, B_DOMAIN, &r), -1);
        engine_findings(o.e, &nf);
        cr_expect_eq(nf, 0, "a note in the trace, not a finding");
        cr_expect(strstr(o.b_trace.data, "not taken there") != NULL, "B's account: %s",
                  o.b_trace.data);
        cr_expect_eq(engine_state(o.e), ST_EXPECT_NEGOTIATION, "the stream goes on");
        /* A db:verify for B is still answered: its answer does not depend on the stream. */
        out =
            one_feed(&o, "<db:verify from='" PARTNER "' to='" B_DOMAIN "' id='s1'>00</db:verify>");
        cr_expect(strstr(out, "type=\"invalid\"") != NULL, "%s", out);
        one_free(&o);
}

/* ---- late answers on a stream that multiplexes (issue 11, reuse) ---- */

static int engine_input_str(struct engine *e, const char *xml)
{
        return engine_input(e, xml, strlen(xml));
}

/* An initiating stream (H17 x partner) authenticated, with <dialback><errors/>. */
static struct engine *mux_initiator(void)
{
        static const char *const hosted[] = {HARNESS};
        struct engine_config c;
        struct engine_event ev;
        struct engine *e;
        char err[256];

        memset(&c, 0, sizeof(c));
        c.role = ENGINE_INITIATING;
        c.purpose = PURPOSE_AUTH;
        c.hosted = hosted;
        c.n_hosted = 1;
        c.remote_domain = PARTNER;
        c.random = test_random;
        cr_assert_eq(settings_from_row(17, &c.neg), 0);
        c.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&c.knobs);
        c.secret = "the-harness-secret";
        xs_limits_default(&c.limits);
        e = engine_new(&c, err, sizeof(err));
        cr_assert_not_null(e, "%s", err);
        cr_assert_eq(engine_start(e), 0);
        cr_assert_eq(engine_input_str(e, "<stream:stream xmlns='jabber:server' "
                                         "xmlns:stream='http://etherx.jabber.org/streams' "
                                         "xmlns:db='jabber:server:dialback' from='" PARTNER
                                         "' to='" HARNESS "' id='sid1' version='1.0'>"
                                         "<stream:features><dialback "
                                         "xmlns='urn:xmpp:features:dialback'><errors/>"
                                         "</dialback></stream:features>"),
                     0);
        cr_assert_eq(
            engine_input_str(e, "<db:result from='" PARTNER "' to='" HARNESS "' type='valid'/>"),
            0);
        cr_assert_eq(engine_state(e), ST_EXPECT_STANZAS);
        while (engine_next_event(e, &ev))
                engine_event_cleanup(&ev);
        return e;
}

static size_t count_findings(const struct engine *e, enum finding_kind kind, const char *text)
{
        size_t n, k = 0;
        const struct finding *f = engine_findings(e, &n);

        for (size_t i = 0; i < n; i++)
                k += f[i].kind == kind && strstr(f[i].text, text) != NULL;
        return k;
}

/* Pairs asked for at once (nothing from the peer in between) share the step: one
 * timeout refuses them all, as a silent peer deserves (ejabberd without dialback
 * drops a multiplexed db:result: docs/peers.md). */
Test(late, pairs_asked_for_at_once_share_the_step)
{
        struct engine *e = mux_initiator();

        cr_assert_eq(engine_add_pair(e, HARNESS, "b.partner.test"), 0);
        cr_assert_eq(engine_add_pair(e, HARNESS, "c.partner.test"), 0);
        engine_timeout(e);
        cr_expect_eq(engine_pair_state(e, HARNESS, "b.partner.test"), PAIR_FAILED);
        cr_expect_eq(engine_pair_state(e, HARNESS, "c.partner.test"), PAIR_FAILED);
        cr_expect_eq(engine_step_state(e), ST_EXPECT_STANZAS);
        engine_free(e);
}

/* A second pair asked for later, while the first is pending, gets a step of its own: the
 * step timer refuses only the first; the second's answer, then the first's late
 * answer, are taken as they are (valid; a note), not as unsolicited results
 * (DB-9); a second late answer is one. */
Test(late, pair_added_while_another_pending)
{
        struct engine *e = mux_initiator();
        struct engine_event ev;
        bool failed_b = false, auth_c = false;

        cr_assert_eq(engine_add_pair(e, HARNESS, "b.partner.test"), 0);
        /* The peer says something (a whitespace keepalive, RFC 6120 §4.6.1): a pair
         * asked for from now on is later than the step. */
        cr_assert_eq(engine_input_str(e, " "), 0);
        cr_assert_eq(engine_add_pair(e, HARNESS, "c.partner.test"), 0, "while b is pending");
        cr_expect_eq(engine_step_state(e), ST_EXPECT_DB_RESULT);
        engine_timeout(e);
        cr_expect_eq(engine_pair_state(e, HARNESS, "b.partner.test"), PAIR_FAILED);
        cr_expect_eq(engine_pair_state(e, HARNESS, "c.partner.test"), PAIR_PENDING,
                     "c asked for later: its own step");
        cr_expect_eq(engine_step_state(e), ST_EXPECT_DB_RESULT);
        cr_assert_eq(
            engine_input_str(e, "<db:result from='c.partner.test' to='" HARNESS "' type='valid'/>"),
            0);
        cr_assert_eq(
            engine_input_str(e, "<db:result from='b.partner.test' to='" HARNESS "' type='valid'/>"),
            0);
        while (engine_next_event(e, &ev)) {
                failed_b |= ev.kind == EV_PAIR_FAILED && strcmp(ev.to, "b.partner.test") == 0;
                auth_c |= ev.kind == EV_AUTHENTICATED && strcmp(ev.to, "c.partner.test") == 0;
                engine_event_cleanup(&ev);
        }
        cr_expect(failed_b);
        cr_expect(auth_c);
        cr_expect_eq(engine_pair_state(e, HARNESS, "c.partner.test"), PAIR_VALID);
        cr_expect_eq(engine_pair_state(e, HARNESS, "b.partner.test"), PAIR_FAILED,
                     "a late valid does not revive a pair given up");
        cr_expect_eq(count_findings(e, FINDING_NOTE, "late answer"), 1);
        cr_expect_eq(count_findings(e, FINDING_VIOLATION, "answers no request"), 0);
        cr_expect_eq(engine_step_state(e), ST_EXPECT_STANZAS);
        /* A second answer to the same request is unsolicited (DB-9). */
        cr_assert_eq(
            engine_input_str(e, "<db:result from='b.partner.test' to='" HARNESS "' type='valid'/>"),
            0);
        cr_expect_eq(count_findings(e, FINDING_VIOLATION, "answers no request"), 1);
        engine_free(e);
}

/* Node level: the partner answers a second ping of a pair still pending on its
 * reused stream (the stanza waits for the pair, engine_add_pair says it is
 * pending); both pongs arrive, on the one stream. */
Test(late, second_ping_while_pair_pending)
{
        struct mux m;
        struct stream *out[4];

        mux_init(&m, 15, 15, 15, REUSE, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, HARNESS, "in1"));
        world_run(&m.w);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in2"));
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in3"));
        world_run(&m.w);
        cr_expect_eq(world_streams(m.w.partner, ENGINE_INITIATING, PURPOSE_AUTH, out, 4), 1, "%s",
                     m.w.trace.data);
        cr_expect_eq(m.w.pongs, 3, "%s", m.w.trace.data);
        cr_expect_eq(m.pairs_to_b, 1, "%s", m.w.trace.data);
        mux_free(&m);
}

/* A stream authenticated by SASL EXTERNAL (M9 x H9: S) carries no dialback pair for
 * another scenario, even one with the same settings: that scenario's own stream
 * would have authenticated by SASL too. B's result is S, on its own stream. */
Test(reuse, no_dialback_pair_on_a_sasl_stream)
{
        struct mux m;
        struct stream *out[4];

        mux_init(&m, 9, 9, 9, REUSE, false);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, HARNESS, "in1"));
        world_run(&m.w);
        cr_assert_not_null(node_ping(m.w.partner, PARTNER, B_DOMAIN, "in2"));
        world_run(&m.w);
        cr_expect_eq(m.pairs_to_b, 0, "%s", m.w.trace.data);
        cr_assert_eq(world_streams(m.b, ENGINE_RECEIVING, PURPOSE_AUTH, out, 4), 1, "%s",
                     m.w.trace.data);
        cr_expect_eq(engine_result(node_stream_engine(out[0]))->method, METHOD_S, "%s",
                     m.w.trace.data);
        cr_expect(strstr(m.w.trace.data, "resource-constraint") != NULL, "%s", m.w.trace.data);
        cr_expect_eq(m.w.pongs, 2, "%s", m.w.trace.data);
        mux_free(&m);
}
