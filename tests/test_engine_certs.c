/*
 * Certificate variants against TLS / SASL / dialback policies (issue 3): two
 * conforming engines (harness node and partner node) over memnet with real TLS,
 * where one side presents a certificate variant from docs/certificates.md (or no
 * certificate at all), for a representative set of settings pairs and knobs.
 * The expected outcomes are reference §3.7 applied on top of the §3.3 grid;
 * docs/certificate-policy.md has the same table in prose.
 *
 * Vocabulary: the "bearer" is the node presenting the variant. "init" means the
 * bearer initiates the scenario stream (its certificate is the TLS client
 * certificate, judged by the receiver for EXTERNAL, XEP-0178 steps 6-11); "recv"
 * means the bearer receives it (its certificate is the TLS server certificate,
 * judged by the initiator, RFC 6120 §13.7.2, reference §3.7 second bullet). Each
 * case runs twice: with the harness as bearer and with the partner as bearer, so
 * the two nodes are checked to behave alike.
 *
 * A case marked BUG below fails with the current engine; the report of issue 3
 * (and docs/certificate-policy.md §4) describes the fix.
 *
 * No per-test .timeout: with it, criterion 2.4.1's runner leaked 48 bytes
 * (criterion_run_all_tests) in the ASan build whenever these tests ran in parallel.
 * Every run is bounded by memnet_run's round limit and ctest's TIMEOUT.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "memnet.h"
#include "node.h"
#include "oracle.h"
#include "testcreds.h"
#include "tls.h"
#include "testrand.h"

#define HARNESS "harness.test"
#define PARTNER "partner.test"
#define MAX_FLAGS (2 * NODE_MAX_STREAMS)

/* ---- the variants ------------------------------------------------------------ */

enum vkind {
        V_GOOD, /* a PKIX-valid chain with an identity that proves the bare domain */
        V_BAD,  /* a certificate that does not prove the domain (chain or name) */
        V_NONE, /* no certificate at all: credentials with trust anchors only */
};

struct variant {
        const char *suffix; /* file name suffix after the domain; NULL = no certificate */
        enum vkind kind;
        const char *why; /* the rule that makes it good or bad */
};

/*
 * Which variants prove the stream's domain, as the engine decides it
 * (engine.c cert_proves: chain valid per gnutls_certificate_verify_peers2, and
 * certid_match != CERTID_NONE):
 * - DNS-ID, SRV-ID and xmppAddr each suffice alone (RFC 6120 §13.7.1.2, §13.7.1.4;
 *   RFC 6125 §6.5.1).
 * - The CN-ID is used only when no SAN identifier exists (RFC 6125 §6.4.4) and the
 *   engine accepts it (CERTID_CN counts as a match): RFC 6125 policy, not RFC 9525
 *   (which drops the fallback). Reference §2.5 CRT-4 leaves the choice open; see
 *   docs/certificate-policy.md (knob proposal cn_id_fallback).
 * - EKU: tls.c records eku_server / eku_client, but nothing enforces them: a
 *   serverAuth-only certificate is accepted as a TLS client certificate and a
 *   clientAuth-only one as a TLS server certificate. RFC 6120 §13.7 does not ask for
 *   EKU checks; this asserts the current behaviour (knob proposal require_eku).
 */
static const struct variant variants[] = {
    {"", V_GOOD, "DNS-ID + wildcard + SRV-ID (RFC 6120 §13.7.1.2)"},
    {"-all", V_GOOD, "DNS-ID, SRV-ID and xmppAddr"},
    {"-dns", V_GOOD, "DNS-ID alone (RFC 6120 §13.7.1.2)"},
    {"-srv", V_GOOD, "SRV-ID alone (RFC 6125 §6.5.1, RFC 4985)"},
    {"-xmpp", V_GOOD, "xmppAddr alone (RFC 6120 §13.7.1.4)"},
    {"-cn", V_GOOD, "CN-ID fallback without SAN (RFC 6125 §6.4.4; RFC 9525 would refuse)"},
    {"-serverauth", V_GOOD, "EKU serverAuth only: EKU not enforced (RFC 6120 is silent)"},
    {"-clientauth", V_GOOD, "EKU clientAuth only: EKU not enforced (RFC 6120 is silent)"},
    {"-expired", V_BAD, "expired (RFC 6120 §13.7.2, RFC 5280 §6)"},
    {"-notyet", V_BAD, "not yet valid (RFC 6120 §13.7.2, RFC 5280 §6)"},
    {"-wrongname", V_BAD, "valid chain, identity wrong.test (RFC 6125 §6)"},
    {"-selfsigned", V_BAD, "self-signed, no trust anchor (RFC 5280 §6)"},
    {"-ca2", V_BAD, "issuer not trusted (RFC 5280 §6)"},
    {"-wildcard", V_BAD, "*.d does not cover the bare domain d (RFC 6125 §6.4.3)"},
    {"-srvclient", V_BAD, "SRV-ID _xmpp-client is not an S2S identity (RFC 6120 §13.7.1.2)"},
    {NULL, V_NONE, "no certificate"},
};

#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

static const char *variant_name(const struct variant *v)
{
        if (v->suffix == NULL)
                return "(none)";
        return v->suffix[0] == '\0' ? "(default)" : v->suffix + 1;
}

/* ---- the policies -------------------------------------------------------------- */

#define S OUTCOME_S
#define DT OUTCOME_DT
#define DP OUTCOME_DP
#define F1 OUTCOME_F1
#define F3 OUTCOME_F3

/*
 * One settings pair (the same row on both sides) with knobs, and the outcome as the
 * initiating side counts it (reference §3.3 codes) for each kind of variant:
 * - good: the §3.4 grid cell (certificates play no role).
 * - bad_init: the bearer initiates. XEP-0178 step 9: the receiver does not offer
 *   EXTERNAL (SASL-4; the engine offers it only when it can succeed), or refuses it
 *   with <not-authorized/> (step 11). Reference §3.7 bullet 1b / XEP-0178 v1.2:
 *   fall back to Dt when Dt is common, else F3. With dialback_requires_valid_cert
 *   (Prosody's s2s_secure_auth) dialback is refused too: F3.
 * - bad_recv: the bearer receives; the initiator's check of RFC 6120 §13.7.2 fails.
 *   Reference §3.7 bullet 2 (UNDEFINED, §3.10 item 9, knob on_bad_peer_cert):
 *   REFERENCE = TLS Required -> abort after the handshake, counted F1-equivalent
 *   ("TLS unusable"); TLS Optional -> continue, with Dt if common. ABORT always
 *   aborts (F1). CONTINUE never aborts: EXTERNAL is not attempted (the engine does
 *   not authenticate to a server it cannot authenticate), so Dt if common, else F3.
 * - none_init: the bearer has no certificate and initiates: as bad_init for
 *   EXTERNAL, but the bearer is also the authoritative server (XEP-0220 step 2) and
 *   a server without a certificate cannot do TLS, so a TLS-Required verifier gets
 *   no verification (F3); an Optional one verifies in plaintext (Dt).
 * - none_recv: the bearer has no certificate and receives: it cannot be a TLS
 *   server, so it must not offer STARTTLS at all (RFC 6120 §5.4.2.2 otherwise
 *   demands <failure/>): a TLS-Required initiator finds no STARTTLS (F1, §3.3), an
 *   Optional pair with Dp in common uses plaintext dialback (Dp).
 * The *_bug flags mark the cells of a certificate-less node (docs/certificate-policy.md
 * §4, fixed defect 1: such a node once offered STARTTLS, answered <proceed/> and then
 * failed internally); certs_bug::no_certificate_tls_server runs them on their own, so
 * that defect coming back names itself.
 */
struct policy {
        const char *name;
        int row; /* settings row M1..M18 of both sides */
        enum badcert_policy on_bad;
        bool db_requires_cert;
        enum outcome good, bad_init, bad_recv, none_init, none_recv;
        bool none_init_bug, none_recv_bug;
};

static const struct policy policies[] = {
    /* (a) SASL only, Req/Req/F (M2) both: only S is possible (E1). */
    {"a_sasl_only_M2", 2, BADCERT_REFERENCE, false, S, F3, F1, F3, F1, false, true},
    /* (b) SASL + dialback, Opt/Opt/T (M9) both: S when the certificate is good,
     * else Dt (XEP-0178 v1.2 step 11; reference §3.7). TLS Optional: a bad server
     * certificate does not abort (reference §3.7 bullet 2). */
    {"b_sasl_db_M9", 9, BADCERT_REFERENCE, false, S, DT, DT, DT, DP, true, true},
    /* (b) Req/Opt/T (M7) both: as M9, but a TLS-Required initiator aborts on a bad
     * server certificate (F1-equivalent) and a Required verifier cannot verify
     * against a server without a certificate. */
    {"b_sasl_db_M7", 7, BADCERT_REFERENCE, false, S, DT, F1, F3, F1, true, true},
    /* (c) dialback only, Req/NS/T (M13) both: Dt regardless of the initiator's
     * certificate (the receiver does not even ask for one, XEP-0178 step 6 is
     * about EXTERNAL); a bad receiver certificate aborts the TLS-Required initiator. */
    {"c_db_only_M13", 13, BADCERT_REFERENCE, false, DT, DT, F1, F3, F1, true, true},
    /* (c) with dialback_requires_valid_cert on both nodes: a receiver accepts
     * dialback only from a certificate that proves the sender: F3 otherwise. */
    {"c_db_only_M13_secure", 13, BADCERT_REFERENCE, true, DT, F3, F1, F3, F1, false, true},
    /* on_bad_peer_cert = ABORT: always F1 on a bad server certificate. */
    {"knob_abort_M2", 2, BADCERT_ABORT, false, S, F3, F1, F3, F1, false, true},
    {"knob_abort_M7", 7, BADCERT_ABORT, false, S, DT, F1, F3, F1, true, true},
    {"knob_abort_M9", 9, BADCERT_ABORT, false, S, DT, F1, DT, DP, true, true},
    {"knob_abort_M13", 13, BADCERT_ABORT, false, DT, DT, F1, F3, F1, true, true},
    /* on_bad_peer_cert = CONTINUE: never abort; EXTERNAL is impossible, so Dt when
     * common (weak, reference §3.7), F3 when only S is allowed. */
    {"knob_continue_M2", 2, BADCERT_CONTINUE, false, S, F3, F3, F3, F1, false, true},
    {"knob_continue_M7", 7, BADCERT_CONTINUE, false, S, DT, DT, F3, F1, true, true},
    {"knob_continue_M9", 9, BADCERT_CONTINUE, false, S, DT, DT, DT, DP, true, true},
    {"knob_continue_M13", 13, BADCERT_CONTINUE, false, DT, DT, DT, F3, F1, true, true},
};

#define N_POLICIES (sizeof(policies) / sizeof(policies[0]))

static enum outcome expected(const struct policy *p, const struct variant *v, bool on_init)
{
        switch (v->kind) {
        case V_GOOD:
                return p->good;
        case V_BAD:
                return on_init ? p->bad_init : p->bad_recv;
        default:
                return on_init ? p->none_init : p->none_recv;
        }
}

static bool is_bug(const struct policy *p, const struct variant *v, bool on_init)
{
        return v->kind == V_NONE && (on_init ? p->none_init_bug : p->none_recv_bug);
}

static bool success(enum outcome o)
{
        return (OUTCOME_SUCCESS_SET & OUTCOME_BIT(o)) != 0;
}

/* ---- the world ------------------------------------------------------------------ */

/* What the trace showed about SASL EXTERNAL on one stream. */
struct sflags {
        struct stream *s;
        bool ext_offered;  /* receiving: <mechanism>EXTERNAL</mechanism> offered */
        bool ext_accepted; /* receiving: <success/> for EXTERNAL */
        bool auth_sent;    /* initiating: <auth mechanism='EXTERNAL'/> sent */
};

struct world {
        struct memnet *net;
        struct node *harness, *partner;
        struct buf trace;
        int pongs;
        struct sflags flags[MAX_FLAGS];
        size_t n_flags;
};

static struct sflags *flags_of(struct world *w, struct stream *s)
{
        for (size_t i = 0; i < w->n_flags; i++) {
                if (w->flags[i].s == s)
                        return &w->flags[i];
        }
        if (w->n_flags >= MAX_FLAGS)
                return NULL;
        memset(&w->flags[w->n_flags], 0, sizeof(w->flags[0]));
        w->flags[w->n_flags].s = s;
        return &w->flags[w->n_flags++];
}

static bool starts(const struct trace_entry *t, const char *prefix)
{
        size_t n = strlen(prefix);

        return t->len >= n && memcmp(t->text, prefix, n) == 0;
}

static bool contains(const struct trace_entry *t, const char *needle)
{
        size_t n = strlen(needle);

        for (size_t i = 0; n <= t->len && i + n <= t->len; i++) {
                if (memcmp(t->text + i, needle, n) == 0)
                        return true;
        }
        return false;
}

static void on_trace(void *user, struct stream *s, const struct trace_entry *t)
{
        struct world *w = user;
        struct sflags *f = flags_of(w, s);

        /* The engine's own words (engine.c r_send_features, r_on_auth, i_send_auth). */
        if (f != NULL && t->kind == TRACE_NOTE && starts(t, "offering EXTERNAL"))
                f->ext_offered = true;
        if (f != NULL && t->kind == TRACE_NOTE && starts(t, "EXTERNAL accepted"))
                f->ext_accepted = true;
        if (f != NULL && t->kind == TRACE_SEND && contains(t, "mechanism='EXTERNAL'"))
                f->auth_sent = true;
        if (w->trace.len > 200000)
                return;
        buf_printf(&w->trace, "%-20s %-7s %.*s\n", node_stream_label(s),
                   engine_trace_kind_name(t->kind), (int)(t->len > 400 ? 400 : t->len), t->text);
}

static void on_stanza(void *user, struct stream *s, xmlNodePtr st)
{
        struct world *w = user;
        xmlChar *type = xmlGetProp(st, BAD_CAST "type");

        (void)s;
        if (type != NULL && strcmp((const char *)type, "result") == 0)
                w->pongs++;
        xmlFree(type);
}

/* Credentials for domain + suffix; suffix NULL = trust anchors only, no certificate. */
static struct tls_creds *creds(const char *domain, const char *suffix)
{
        char name[256];

        snprintf(name, sizeof(name), "%s%s", domain, suffix != NULL ? suffix : "");
        return test_creds(suffix != NULL ? name : NULL, NULL);
}

static struct node *make_node(struct world *w, const char *name, const char *domain,
                              const struct policy *p, struct tls_creds *c)
{
        struct node_config cfg;
        struct node_transport t = memnet_transport(w->net);
        struct node_observer obs = {on_stanza, NULL, NULL, w, NULL};
        char err[256];
        struct node *n;

        memset(&cfg, 0, sizeof(cfg));
        cfg.name = name;
        cfg.hosted[0] = domain;
        cfg.n_hosted = 1;
        cr_assert_eq(settings_from_row(p->row, &cfg.neg), 0);
        cfg.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&cfg.knobs);
        cfg.knobs.on_bad_peer_cert = p->on_bad;
        cfg.knobs.dialback_requires_valid_cert = p->db_requires_cert;
        cfg.creds = c;
        cfg.db_answer = DB_ANSWER_TRUTHFUL;
        xs_limits_default(&cfg.limits);
        cfg.trace = on_trace;
        cfg.trace_user = w;
        cfg.answer_pings = true;
        n = node_new(&cfg, &t, &obs, err, sizeof(err));
        cr_assert_not_null(n, "node %s: %s", name, err);
        cr_assert_eq(memnet_add(w->net, n), 0);
        return n;
}

/* The initiating AUTH stream of the scenario (the first one the node opened). */
static struct stream *initiating_stream(struct node *n)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < k; i++) {
                if (engine_role(node_stream_engine(all[i])) == ENGINE_INITIATING &&
                    node_stream_purpose(all[i]) == PURPOSE_AUTH)
                        return all[i];
        }
        return NULL;
}

/* The receiving stream of the scenario (not a stream used only for db:verify). */
static struct stream *receiving_stream(struct node *n)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < k; i++) {
                struct engine *e = node_stream_engine(all[i]);

                if (engine_role(e) == ENGINE_RECEIVING && !engine_verify_only(e))
                        return all[i];
        }
        return NULL;
}

static void codes_text(unsigned set, char *out, size_t len)
{
        size_t used = 0;

        out[0] = '\0';
        for (int o = 0; o < OUTCOME_COUNT && used < len; o++) {
                if (set & OUTCOME_BIT(o))
                        used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "|" : "",
                                                 outcome_name((enum outcome)o));
        }
        if (set == 0)
                snprintf(out, len, "none");
}

/* True when some initiating stream aborted right after a TLS handshake because the
 * server certificate failed (engine.c after_tls_initiating, reference §3.7). */
static bool aborted_after_handshake(struct world *w)
{
        struct node *nodes[2] = {w->harness, w->partner};

        for (int k = 0; k < 2; k++) {
                struct stream *all[NODE_MAX_STREAMS];
                size_t n = node_streams(nodes[k], all, NODE_MAX_STREAMS);

                for (size_t i = 0; i < n; i++) {
                        const struct engine_result *r = engine_result(node_stream_engine(all[i]));

                        if (r->final && strncmp(r->cause, "TLS unusable", 12) == 0)
                                return true;
                }
        }
        return false;
}

/*
 * The findings of fixed defect 2 (docs/certificate-policy.md §4): an initiator that
 * aborted after the handshake sent </stream:stream> on the new TLS stream without
 * opening it (RFC 6120 §5.4.3.3), the receiver answered not-well-formed without a
 * response header (defect 3, RFC 6120 §4.9.1.2), the initiator then reported
 * bad-namespace-prefix and wrote to a closed TLS session (internal error).
 * certs::policy tolerates exactly these (!strict);
 * certs_bug_close::abort_after_handshake_closes_cleanly is strict and fails on them.
 */
static bool bug2_finding(const struct finding *f)
{
        return (f->kind == FINDING_VIOLATION && strcmp(f->rule, "RFC 6120 §11, §4.9.3") == 0) ||
               (f->kind == FINDING_ERROR && strncmp(f->text, "TLS write failed", 16) == 0);
}

/*
 * Between two conforming servers the only violation allowed is the one a bad
 * server certificate causes (RFC 6120 §13.7.2, recorded by the initiating side),
 * and never an internal error.
 */
static void check_findings(struct world *w, const char *cell, bool bad_cert, bool strict)
{
        struct node *nodes[2] = {w->harness, w->partner};
        bool tolerate = !strict && aborted_after_handshake(w);

        for (int k = 0; k < 2; k++) {
                struct stream *all[NODE_MAX_STREAMS];
                size_t n = node_streams(nodes[k], all, NODE_MAX_STREAMS);

                for (size_t i = 0; i < n; i++) {
                        size_t nf;
                        const struct finding *f = engine_findings(node_stream_engine(all[i]), &nf);

                        for (size_t j = 0; j < nf; j++) {
                                bool cert_rule =
                                    strncmp(f[j].rule, "RFC 6120 §13.7.2", 17) == 0 && bad_cert;

                                if (tolerate && bug2_finding(&f[j]))
                                        continue;
                                cr_expect(f[j].kind == FINDING_NOTE ||
                                              (f[j].kind == FINDING_VIOLATION && cert_rule),
                                          "%s: %s %s [%s]: %s\n%s", cell, node_stream_label(all[i]),
                                          f[j].kind == FINDING_VIOLATION ? "violation" : "error",
                                          f[j].rule, f[j].text, w->trace.data);
                        }
                }
        }
}

/* No stream of `judge` of the given role has the flag set. */
static bool none_flagged(struct world *w, struct node *judge, enum engine_role role, bool accepted)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t n = node_streams(judge, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < n; i++) {
                struct sflags *f = flags_of(w, all[i]);

                if (f == NULL || engine_role(node_stream_engine(all[i])) != role)
                        continue;
                if (accepted ? f->ext_accepted : f->auth_sent)
                        return false;
        }
        return true;
}

/*
 * One run: the variant on `bearer_is_harness ? harness : partner`, which initiates
 * the scenario stream when on_init. The initiating node pings the other; the pong
 * comes back over a stream in the other direction, which meets the variant in the
 * opposite role.
 */
static void run_one(const struct policy *p, const struct variant *v, bool on_init,
                    bool bearer_is_harness, bool strict)
{
        struct world w;
        struct tls_creds *hc, *pc;
        struct node *init, *recv, *bearer, *other;
        struct stream *is, *rs;
        const struct engine_result *ir, *rr;
        enum outcome want = expected(p, v, on_init), back = expected(p, v, !on_init);
        char cell[160], got[64], rgot[64];
        struct sflags *rf;
        int rc;

        snprintf(cell, sizeof(cell), "%s: %s on the %s (%s)%s", p->name, variant_name(v),
                 on_init ? "initiator" : "receiver", bearer_is_harness ? HARNESS : PARTNER,
                 is_bug(p, v, on_init) ? " [no-certificate cell]" : "");
        memset(&w, 0, sizeof(w));
        buf_init(&w.trace, 0);
        hc = bearer_is_harness ? creds(HARNESS, v->suffix) : creds(HARNESS, "");
        pc = bearer_is_harness ? creds(PARTNER, "") : creds(PARTNER, v->suffix);
        w.net = memnet_new();
        cr_assert_not_null(w.net);
        w.harness = make_node(&w, "harness", HARNESS, p, hc);
        w.partner = make_node(&w, "partner", PARTNER, p, pc);
        bearer = bearer_is_harness ? w.harness : w.partner;
        other = bearer_is_harness ? w.partner : w.harness;
        init = on_init ? bearer : other;
        recv = on_init ? other : bearer;
        cr_assert_not_null(node_ping(init, init == w.harness ? HARNESS : PARTNER,
                                     init == w.harness ? PARTNER : HARNESS, "ping-1"));
        rc = memnet_run(w.net, 10000);
        cr_assert_geq(rc, 0, "%s: memnet did not settle\n%s", cell, w.trace.data);

        is = initiating_stream(init);
        cr_assert_not_null(is, "%s: no initiating stream\n%s", cell, w.trace.data);
        ir = engine_result(node_stream_engine(is));
        codes_text(ir->outcomes, got, sizeof(got));
        /* The outcome as the initiator counts it: exactly the table's code. */
        cr_expect_eq(ir->outcomes, OUTCOME_BIT(want),
                     "%s: expected %s, initiator observed %s (%s)\n%s", cell, outcome_name(want),
                     got, ir->cause, w.trace.data);

        rs = receiving_stream(recv);
        if (rs != NULL) {
                rr = engine_result(node_stream_engine(rs));
                codes_text(rr->outcomes, rgot, sizeof(rgot));
                if (success(want)) {
                        cr_expect_eq(rr->outcomes, OUTCOME_BIT(want),
                                     "%s: expected %s, receiver observed %s\n%s", cell,
                                     outcome_name(want), rgot, w.trace.data);
                } else {
                        cr_expect(rr->outcomes != 0 && !(rr->outcomes & OUTCOME_SUCCESS_SET),
                                  "%s: expected a failure, receiver observed %s\n%s", cell, rgot,
                                  w.trace.data);
                }
                /* Reference §3.7: an initiator that aborts after the handshake leaves
                 * the receiver with TLS up and no authentication: F3 on its side. */
                if (want == OUTCOME_F1 && v->kind == V_BAD)
                        cr_expect_eq(rr->outcomes, OUTCOME_BIT(OUTCOME_F3),
                                     "%s: the receiver of an aborted stream observed %s\n%s", cell,
                                     rgot, w.trace.data);
                /* EXTERNAL succeeded on the scenario stream iff the table says S. */
                rf = flags_of(&w, rs);
                cr_assert_not_null(rf);
                cr_expect_eq(rf->ext_accepted, want == OUTCOME_S,
                             "%s: EXTERNAL accepted %d, expected outcome %s\n%s", cell,
                             rf->ext_accepted, outcome_name(want), w.trace.data);
        } else {
                cr_expect(!success(want), "%s: the receiver never got the stream\n%s", cell,
                          w.trace.data);
        }
        cr_expect_eq(ir->method == METHOD_S, want == OUTCOME_S, "%s: initiator method %u", cell,
                     ir->method);

        if (v->kind != V_GOOD) {
                /* XEP-0178 step 11: nobody accepts EXTERNAL from a certificate that does
                 * not prove the stream's from; step 9 (SASL-4): nor offers it. */
                cr_expect(none_flagged(&w, other, ENGINE_RECEIVING, true),
                          "%s: EXTERNAL accepted for the bearer\n%s", cell, w.trace.data);
                if (on_init && rs != NULL)
                        cr_expect(!flags_of(&w, rs)->ext_offered,
                                  "%s: EXTERNAL offered to the bearer\n%s", cell, w.trace.data);
                /* RFC 6120 §13.7.2: the other node never authenticates with EXTERNAL to
                 * a server whose certificate it could not check (engine peer_cert_bad). */
                cr_expect(none_flagged(&w, other, ENGINE_INITIATING, false),
                          "%s: <auth/> sent to the bearer\n%s", cell, w.trace.data);
        } else if (oracle_methods(&node_config(recv)->neg, SEMANTICS_MATRIX) & METHOD_S) {
                /* SRV-ID-only, xmppAddr-only, DNS-ID-only (and CN, EKU-only) certificates
                 * prove the domain: EXTERNAL is offered to an initiating bearer. */
                if (on_init && rs != NULL)
                        cr_expect(flags_of(&w, rs)->ext_offered,
                                  "%s: EXTERNAL not offered for a good certificate\n%s", cell,
                                  w.trace.data);
        }
        if (v->kind == V_BAD && !on_init) {
                /* RFC 6120 §13.7.2: the initiator records the server certificate failure. */
                size_t nf;
                const struct finding *f = engine_findings(node_stream_engine(is), &nf);
                bool seen = false;

                for (size_t j = 0; j < nf; j++)
                        seen = seen || (f[j].kind == FINDING_VIOLATION &&
                                        strncmp(f[j].rule, "RFC 6120 §13.7.2", 17) == 0);
                cr_expect(seen, "%s: no finding about the server certificate\n%s", cell,
                          w.trace.data);
        }
        if (v->suffix != NULL)
                cr_expect(ir->tls, "%s: TLS was not established\n%s", cell, w.trace.data);
        /* The ping is answered only when both directions authenticate. */
        cr_expect_eq(w.pongs, success(want) && success(back) ? 1 : 0,
                     "%s: %d pongs (this direction %s, the reverse %s)\n%s", cell, w.pongs,
                     outcome_name(want), outcome_name(back), w.trace.data);
        check_findings(&w, cell, v->kind == V_BAD, strict);
        if (getenv("S2S_TRACE_CELL") != NULL && strcmp(getenv("S2S_TRACE_CELL"), cell) == 0)
                fprintf(stderr, "%s\n%s", cell, w.trace.data);

        memnet_reset(w.net);
        node_free(w.harness);
        node_free(w.partner);
        memnet_free(w.net);
        tls_creds_free(hc);
        tls_creds_free(pc);
        buf_cleanup(&w.trace);
}

/* Every variant of one policy, both roles, both bearers; bug cells only if asked. */
static void run_policy(const struct policy *p, bool bugs)
{
        for (size_t i = 0; i < N_VARIANTS; i++) {
                for (int on_init = 1; on_init >= 0; on_init--) {
                        if (is_bug(p, &variants[i], on_init) != bugs)
                                continue;
                        run_one(p, &variants[i], on_init, true, bugs);
                        run_one(p, &variants[i], on_init, false, bugs);
                }
        }
}

/* Indices, not pointers: criterion re-executes the binary per test (toolchain §3.1). */
static size_t policy_index[N_POLICIES];

ParameterizedTestParameters(certs, policy)
{
        for (size_t i = 0; i < N_POLICIES; i++)
                policy_index[i] = i;
        return cr_make_param_array(size_t, policy_index, N_POLICIES);
}

ParameterizedTest(size_t *i, certs, policy)
{
        run_policy(&policies[*i], false);
}

/*
 * A node whose credentials hold no certificate offers no STARTTLS (RFC 6120
 * §5.4.2.2; docs/certificate-policy.md §4, defect 1, fixed in engine.c
 * r_send_features): a TLS-Required initiator finds none (F1), an Optional pair goes
 * on in plaintext, and no internal error happens between conforming servers. The
 * defect it guards against: STARTTLS offered, <proceed/> answered, then no TLS server
 * session ("server needs a certificate"), an internal error and a TCP close.
 */
ParameterizedTestParameters(certs_bug, no_certificate_tls_server)
{
        for (size_t i = 0; i < N_POLICIES; i++)
                policy_index[i] = i;
        return cr_make_param_array(size_t, policy_index, N_POLICIES);
}

ParameterizedTest(size_t *i, certs_bug, no_certificate_tls_server)
{
        run_policy(&policies[*i], true);
}

/* ---- EXTERNAL asked for without an offer ---------------------------------------- */

/*
 * A hand-driven initiator that sends <auth mechanism='EXTERNAL'/> whatever the
 * features say, against a receiving engine (Req/Req/F): the receiver must refuse
 * with <not-authorized/> every certificate that does not prove the stream's from
 * (XEP-0178 step 11, RFC 6120 §6.5.10), even though its feature list already hid
 * EXTERNAL, and accept the ones that do.
 */
static void move_to_engine(struct tls_session *c, struct engine *r)
{
        struct buf *o = tls_session_output(c);

        if (o->len > 0) {
                cr_assert_eq(engine_input(r, o->data, o->len), 0);
                buf_consume(o, o->len);
        }
}

static void move_to_client(struct engine *r, struct tls_session *c)
{
        struct buf *o = engine_output(r);

        if (o->len > 0) {
                cr_assert_eq(tls_session_input(c, o->data, o->len), 0);
                buf_consume(o, o->len);
        }
}

static void client_say(struct tls_session *c, struct engine *r, const char *xml)
{
        cr_assert_eq(tls_session_write(c, xml, strlen(xml)), 0, "%s", tls_session_error(c));
        move_to_engine(c, r);
}

static void client_hear(struct tls_session *c, struct engine *r, struct buf *plain)
{
        move_to_client(r, c);
        cr_assert_neq(tls_session_read(c, plain), TLS_FAILED, "%s", tls_session_error(c));
}

#define STREAM_HEADER                                                                              \
        "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "                               \
        "xmlns:stream='http://etherx.jabber.org/streams' from='" HARNESS "' to='" PARTNER          \
        "' version='1.0'>"

static size_t variant_index[N_VARIANTS];

ParameterizedTestParameters(certs, external_insisted)
{
        for (size_t i = 0; i < N_VARIANTS; i++)
                variant_index[i] = i;
        return cr_make_param_array(size_t, variant_index, N_VARIANTS);
}

/*
 * Opens a receiving engine (Req/Req/F, partner.test) and takes a hand-driven
 * initiator presenting the variant through the plaintext stream, STARTTLS and the
 * TLS handshake: the engine then waits for the post-TLS header.
 */
static void raw_open(const struct variant *v, struct tls_creds **hc, struct tls_creds **pc,
                     struct engine **r, struct tls_session **c)
{
        static const char *const hosted[1] = {PARTNER};
        static const char starttls[] = "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";
        struct engine_config cfg;
        char err[256];
        enum tls_status st = TLS_AGAIN;

        *hc = creds(HARNESS, v->suffix);
        *pc = creds(PARTNER, "");
        memset(&cfg, 0, sizeof(cfg));
        cfg.role = ENGINE_RECEIVING;
        cfg.purpose = PURPOSE_AUTH;
        cfg.hosted = hosted;
        cfg.n_hosted = 1;
        cr_assert_eq(settings_from_row(2, &cfg.neg), 0); /* Req/Req/F: S only */
        engine_knobs_default(&cfg.knobs);
        cfg.creds = *pc;
        cfg.secret = "not-used-for-sasl";
        xs_limits_default(&cfg.limits);
        cfg.random = test_random;
        *r = engine_new(&cfg, err, sizeof(err));
        cr_assert_not_null(*r, "%s", err);

        /* Plaintext: header, features with <required/>, STARTTLS, <proceed/>. */
        cr_assert_eq(engine_input(*r, STREAM_HEADER, strlen(STREAM_HEADER)), 0);
        cr_assert_not_null(strstr(engine_output(*r)->data, "<required/>"));
        buf_consume(engine_output(*r), engine_output(*r)->len);
        cr_assert_eq(engine_input(*r, starttls, strlen(starttls)), 0);
        cr_assert_not_null(strstr(engine_output(*r)->data, "<proceed"));
        buf_consume(engine_output(*r), engine_output(*r)->len);

        /* The TLS handshake, the variant as the client certificate. */
        *c = tls_session_new(*hc, TLS_ROLE_CLIENT, PARTNER, false, NULL, err, sizeof(err));
        cr_assert_not_null(*c, "%s", err);
        for (int round = 0; round < 32; round++) {
                st = tls_session_handshake(*c);
                cr_assert_neq(st, TLS_FAILED, "%s: %s", variant_name(v), tls_session_error(*c));
                move_to_engine(*c, *r);
                move_to_client(*r, *c);
                if (st == TLS_DONE && engine_state(*r) == ST_EXPECT_HEADER)
                        break;
        }
        cr_assert_eq(st, TLS_DONE);
        cr_assert_eq(engine_state(*r), ST_EXPECT_HEADER, "%s", engine_state_name(engine_state(*r)));
}

static void raw_close(struct tls_creds *hc, struct tls_creds *pc, struct engine *r,
                      struct tls_session *c)
{
        tls_session_free(c);
        engine_free(r);
        tls_creds_free(hc);
        tls_creds_free(pc);
}

ParameterizedTest(size_t *vi, certs, external_insisted)
{
        const struct variant *v = &variants[*vi];
        struct tls_creds *hc, *pc;
        struct engine *r;
        struct tls_session *c;
        struct buf plain;
        bool good = v->kind == V_GOOD;

        raw_open(v, &hc, &pc, &r, &c);
        buf_init(&plain, 0);

        /* Restart: the features show EXTERNAL iff the certificate proves the from. */
        client_say(c, r, STREAM_HEADER);
        client_hear(c, r, &plain);
        cr_assert_not_null(strstr(plain.data, "</stream:features>"), "%s", plain.data);
        cr_expect_eq(strstr(plain.data, "EXTERNAL") != NULL, good,
                     "%s: features %s (XEP-0178 step 9)", variant_name(v), plain.data);
        buf_reset(&plain);

        /* Insist: EXTERNAL with authzid = the from (XEP-0178 step 10). */
        client_say(c, r,
                   "<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' "
                   "mechanism='EXTERNAL'>aGFybmVzcy50ZXN0</auth>");
        client_hear(c, r, &plain);
        if (good) {
                cr_expect_not_null(strstr(plain.data, "<success"), "%s (%s): %s", variant_name(v),
                                   v->why, plain.data);
        } else {
                cr_expect_null(strstr(plain.data, "<success"), "%s (%s): %s", variant_name(v),
                               v->why, plain.data);
                cr_expect_not_null(strstr(plain.data, "<not-authorized/>"), "%s: %s",
                                   variant_name(v), plain.data);
                cr_expect_eq(engine_result(r)->method, 0u);
        }

        buf_cleanup(&plain);
        raw_close(hc, pc, r, c);
}

/*
 * The initiator that gives up after the handshake because the receiver's
 * certificate is bad (reference §3.7, TLS Required) closes the new stream cleanly:
 * close_notify and a TCP close, no XML errors on either side, no internal error
 * (docs/certificate-policy.md §4, defect 2, fixed). Strict, unlike certs::policy,
 * which tolerates that defect's findings.
 */
Test(certs_bug_close, abort_after_handshake_closes_cleanly)
{
        const struct policy *p = &policies[0]; /* a_sasl_only_M2: TLS Required */

        for (size_t i = 0; i < N_VARIANTS; i++) {
                if (variants[i].kind != V_BAD)
                        continue;
                run_one(p, &variants[i], false, true, true);
                run_one(p, &variants[i], false, false, true);
        }
}

/*
 * After TLS the receiving engine has not answered the new stream yet, so a stream
 * error is preceded by its response header (RFC 6120 §4.9.1.2; docs/certificate-policy.md
 * §4, defect 3, fixed: engine.c tls_done resets header_sent). Triggered as defect 2
 * triggered it: </stream:stream> before any header.
 */
Test(certs_bug_close, stream_error_after_tls_has_header)
{
        struct tls_creds *hc, *pc;
        struct engine *r;
        struct tls_session *c;
        struct buf plain;
        const char *hdr, *err;

        raw_open(&variants[0], &hc, &pc, &r, &c);
        buf_init(&plain, 0);
        client_say(c, r, "</stream:stream>");
        client_hear(c, r, &plain);
        err = plain.data != NULL ? strstr(plain.data, "<stream:error") : NULL;
        hdr = plain.data != NULL ? strstr(plain.data, "<stream:stream") : NULL;
        cr_assert_not_null(err, "no stream error: %s", plain.data ? plain.data : "");
        cr_expect(hdr != NULL && hdr < err, "stream error without a response header: %s",
                  plain.data);
        buf_cleanup(&plain);
        raw_close(hc, pc, r, c);
}
