#include "runner.h"

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <ctype.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "certid.h"
#include "certvariant.h"
#include "checks.h"
#include "checkup.h"
#include "dialback.h"
#include "dns.h"
#include "dnszone.h"
#include "infile.h"
#include "jid.h"
#include "misbehave.h"
#include "net.h"
#include "node.h"
#include "pki.h"
#include "preflight.h"
#include "classify.h"
#include "report.h"
#include "scenario.h"
#include "smartwait.h"
#include "tls.h"
#include "util.h"
#include "xmlstream.h"

#define DEFAULT_DOMAIN "harness.test"
#ifndef RUNNER_CERT_DIR
#define RUNNER_CERT_DIR "certs" /* --cert-dir default when the build does not say */
#endif
#define DEFAULT_JOBS 4
#define DEFAULT_TIMEOUT_S 30
#define TRANSCRIPT_MAX (1u << 20) /* per scenario */
/* The run-level transcript of streams no scenario owns (refusals.h): its bytes, and
 * the streams of the base node whose trace lines it keeps (by serial; later ones
 * are only counted), so that a stranger connecting a million times costs nothing. */
#define RUN_TRANSCRIPT_MAX (1u << 20)
#define RUN_TRANSCRIBED_MAX 64u
#define PONG_WAIT_S 10.0
#define TRIGGER_GRACE_S 2.0 /* after a failed trigger, before giving up on the partner */
#define PONG_WAIT_REF_S 3.0 /* the in-process reference partner answers at once */
/* Step timeout with the in-process reference partner (no network in between), unless
 * --step-timeout says otherwise: keeps the silent-peer scenarios short. */
#define REF_STEP_MS 2000
/* The trigger of an inbound scenario against a real partner authenticates with
 * H9 (Opt/Opt/True): it succeeds against every valid configuration (reference §3.4). */
#define TRIGGER_ROW 9
#define PINGS_MAX 24 /* the scenario's own, one per extra sender, one per extra target */
#define FEATURES_MAX 8
#define FACT_FINDINGS_MAX 256
#define WRONG_DOMAIN MISBEHAVE_WRONG_DOMAIN /* the wrong-from misbehaviour (misbehave.c) */

static volatile sig_atomic_t interrupted;
static struct net_loop *volatile active_loop;

enum scen_state {
        SC_PENDING,
        SC_RUNNING,
        SC_SETTLING, /* authenticated; waiting for the ping's answer */
        SC_DONE,
};

struct scen {
        struct runner *r;
        struct scenario_result *res;
        const struct scenario *def; /* the scenario file it comes from (borrowed) */
        enum scen_state st;
        char domain[256];
        const char *pdomain; /* the partner domain addressed */
        const char *sender;  /* the harness domain the scenario's stream comes from */
        char mux[SCENARIO_MULTIPLEX_MAX][256];
        size_t n_mux;
        char ping_ids[PINGS_MAX][96];
        size_t n_pings;
        unsigned answered;       /* bit k: ping_ids[k] answered (outbound) or received (inbound) */
        struct tls_creds *creds; /* owned; NULL: the run's harness credentials */
        bool no_creds;           /* variant none: the harness has no certificate */
        struct engine_knobs knobs;
        enum db_answer db_answer;
        bool skip;
        char skip_why[RESULT_TEXT_MAX];
        /* Facts for the wire checks (checks.h), from the harness's own streams. */
        unsigned main_serial; /* outbound: the scenario's stream (node serial), 0 until seen */
        bool main_tls, main_sasl;
        struct check_features feat[FEATURES_MAX];
        size_t n_feat;
        char post_tls_id[128], verify_id[128];
        bool sasl_pre_tls;
        bool db_result_sent;
        unsigned stanzas_in;
        struct finding *fnd;
        size_t n_fnd;
        struct node *node;    /* the scenario's harness node (settings H) */
        struct node *trigger; /* inbound against a real partner: authenticates with H9 */
        /* The db:verify requests the scenario's domains' authoritative server got:
         * node and trigger share it (and the secret), so a 'valid' on the trigger
         * counts only if node answered the partner's verify (dialback.h). */
        struct db_ledger ledger;
        struct buf log;
        double t0, deadline, settle_deadline;
        /* The smart silence window (smartwait.h): the scenario's expectation allows
         * silence (its nodes' silence-decided steps may end early); it is expected
         * to wait long (started early, runner_pick); the settling's start, its own
         * time and the window it got. */
        bool smart_silence, smart_settle, long_wait;
        double settle_t0;
        unsigned settle_full_ms, settle_window_ms;
        /* The stream the scenario is about, and what it ended with. */
        struct stream *main;
        bool have_result;
        struct engine_result result;
        char failure[256]; /* connect failure of the main stream */
        char trigger_why[512];
        bool finalized;
        bool log_closed;
        /* Inbound: a receiving stream that carried only db:verify and authenticated
         * nothing (a partner that verifies on its own outbound stream, then goes
         * quiet): what it ended with, used when no other stream came in. */
        bool have_fallback;
        /* Inbound, real partner: the trigger stream of the scenario's own domain failed
         * (when), so the partner has no ping to answer and will not connect in. */
        bool trigger_failed;
        double trigger_failed_at;
        /* The partner answered the trigger's dialback 'valid' without verifying it
         * (engine_result.unverified_valid): a violation of its own, judged as such. */
        bool trigger_unverified;
        char trigger_rule[64];
        enum rule_id trigger_rule_id;
        enum rule_id check_rule; /* the rule of the first failed check (run_checks) */
        struct engine_result fallback;
        /* The domains verdict's facts (domains.h), taken from the engine of the
         * scenario's stream while it exists: whether the partner's certificate covers
         * the partner domain addressed (certid_match), whether the partner opened its
         * stream (outbound: its stream id came), and the stream error condition on the
         * trigger stream to that domain (inbound against a real partner). */
        enum dom_fact cert;
        bool peer_opened;
        char trigger_error[64];
        /* The loop's shortage and per-source refusal counts when the scenario
         * started (net_pressure). */
        unsigned long shortages0, refused0;
        /* The streams refused outside any scenario when it started (refusals.h). */
        struct refusals refusals0;
};

struct runner {
        const struct run_options *o;
        const struct partner *p;
        struct net_loop *loop;
        struct pki *pki, *pki2; /* pki2: the other CA of the ca2 variant */
        struct pki_leaf hleaf, pleaf;
        struct tls_creds *hcreds, *pcreds;
        struct node *ref;  /* the built-in reference partner */
        struct node *base; /* answers streams for unknown harness names (host-unknown) */
        struct dns_zone *zone;
        struct scen *sc;
        size_t n;
        bool changed;
        char domain[256];
        char listen_host[64];
        uint16_t listen_port;
        size_t done;
        /* Streams of the base node (no scenario owns them): counted by cause, and
         * their trace lines in the run-level transcript (bounded). */
        struct refusals refused;
        struct buf runlog;
        double t0;
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void runner_interrupt(void)
{
        interrupted = 1;
        if (active_loop != NULL)
                net_interrupt(active_loop);
}

int runner_exit_code(const struct run_report *rep)
{
        /* A domains fault (domains.h) is a mismatch too (issue 13 item 1). */
        if (rep->counts[VERDICT_MISMATCH] > 0 || rep->counts[VERDICT_XPASS] > 0 ||
            rep->domains.faults > 0)
                return 1;
        if (rep->counts[VERDICT_ERROR] > 0 || rep->incomplete)
                return 3;
        return 0;
}

/* ---- transcripts -------------------------------------------------------------- */

static void logf_(struct scen *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void logf_(struct scen *s, const char *fmt, ...)
{
        va_list ap;

        if (s->log_closed || s->log.len > TRANSCRIPT_MAX)
                return;
        buf_printf(&s->log, "[%8.3f] ", now_s() - s->t0);
        va_start(ap, fmt);
        buf_vprintf(&s->log, fmt, ap);
        va_end(ap);
        buf_puts(&s->log, "\n");
}

/* Facts of the scenario's outbound stream and of the partner's db:verify, for the
 * wire checks (checks.h), read from the engine's typed observations (the trace
 * entries' obs), never from the trace text. */
static void trace_facts(struct scen *s, struct stream *st, const struct trace_entry *t)
{
        struct engine *e = node_stream_engine(st);
        const struct engine_obs *o = t->obs;

        if (o == NULL)
                return;
        /* A receiving stream of another node reports here what it did for this
         * scenario's domains (node_config.route: XEP-0220 §2.6 multiplexing). */
        if (node_stream_node(st) != s->node && engine_role(e) != ENGINE_RECEIVING)
                return;
        if (engine_role(e) == ENGINE_RECEIVING) {
                /* The partner's first request (a db:verify without a type). */
                if (o->kind == OBS_DB_VERIFY_RECV && s->verify_id[0] == '\0' && o->type[0] == '\0')
                        snprintf(s->verify_id, sizeof(s->verify_id), "%s", o->id);
                return;
        }
        if (s->res->dir != DIR_OUTBOUND || node_stream_purpose(st) != PURPOSE_AUTH)
                return;
        if (s->main_serial == 0)
                s->main_serial = node_stream_serial(st);
        if (node_stream_serial(st) != s->main_serial)
                return;
        switch (o->kind) {
        case OBS_DB_RESULT_SENT:
                s->db_result_sent = true;
                break;
        case OBS_TLS_UP:
                s->main_tls = true;
                break;
        case OBS_HEADER_RECV:
                if (s->main_tls && !s->main_sasl && s->post_tls_id[0] == '\0')
                        snprintf(s->post_tls_id, sizeof(s->post_tls_id), "%s", o->id);
                break;
        case OBS_SASL_SUCCESS:
                if (!s->main_tls)
                        s->sasl_pre_tls = true;
                s->main_sasl = true;
                break;
        case OBS_FEATURES:
                if (s->n_feat < FEATURES_MAX) {
                        struct check_features *f = &s->feat[s->n_feat++];

                        memset(f, 0, sizeof(*f));
                        f->post_tls = s->main_tls;
                        f->after_sasl = s->main_sasl;
                        f->starttls = o->starttls;
                        f->external = o->external;
                        f->dialback = o->dialback;
                        f->db_declared = o->db;
                }
                break;
        default:
                break;
        }
}

static void on_trace(void *user, struct stream *st, const struct trace_entry *t)
{
        struct scen *s = user;

        if (!s->finalized)
                trace_facts(s, st, t);
        if (s->log_closed || s->log.len > TRANSCRIPT_MAX)
                return;
        buf_printf(&s->log, "[%8.3f] %-22s %-7s %.*s\n", now_s() - s->t0, node_stream_label(st),
                   engine_trace_kind_name(t->kind), (int)(t->len > 8192 ? 8192 : t->len), t->text);
}

/* ---- streams no scenario owns ---------------------------------------------------- */

static bool run_transcribed(struct stream *st)
{
        return node_stream_serial(st) <= RUN_TRANSCRIBED_MAX;
}

static void on_base_trace(void *user, struct stream *st, const struct trace_entry *t)
{
        struct runner *r = user;

        if (!run_transcribed(st))
                return;
        if (r->runlog.len > RUN_TRANSCRIPT_MAX) {
                r->refused.transcript_truncated = true;
                return;
        }
        buf_printf(&r->runlog, "[%8.3f] %-22s %-7s %.*s\n", now_s() - r->t0, node_stream_label(st),
                   engine_trace_kind_name(t->kind), (int)(t->len > 8192 ? 8192 : t->len), t->text);
}

/*
 * A stream of the base node ends: unless it authenticated or only carried
 * db:verify (answered outside any scenario, not refused), the harness refused it,
 * and that must show in the reports (issue 10: never refuse a stream silently).
 */
static void on_base_closed(void *user, struct stream *st)
{
        struct runner *r = user;
        struct engine *e = node_stream_engine(st);
        const struct engine_result *res = engine_result(e);
        char key[REFUSAL_CAUSE_MAX];

        /* A stream whose pairs were each judged for a scenario's domain (a legacy
         * header without 'to', XEP-0220 §2.6) is in those scenarios' transcripts. */
        if (engine_role(e) != ENGINE_RECEIVING || res->authenticated || engine_verify_only(e) ||
            engine_vhost_pairs(e) > 0)
                return;
        /* Not final: the harness closed it (the run ended) before it came to a result. */
        if (res->final)
                refusals_result_key(res->cause, res->rule_id, res->header_no_to, key, sizeof(key));
        else
                snprintf(key, sizeof(key), "closed by the harness before any result");
        refusals_add(&r->refused, key, res->final ? res->rule : "");
        if (!run_transcribed(st)) {
                r->refused.transcript_truncated = true;
                return;
        }
        if (r->runlog.len <= RUN_TRANSCRIPT_MAX)
                buf_printf(&r->runlog,
                           "[%8.3f] runner: %s refused outside any scenario: %s%s%s%s\n",
                           now_s() - r->t0, node_stream_label(st), key, res->rule[0] ? " [" : "",
                           res->rule, res->rule[0] ? "]" : "");
}

/* ---- node observers ------------------------------------------------------------- */

static bool is_main_candidate(const struct scen *s, struct stream *st)
{
        struct engine *e = node_stream_engine(st);

        if (node_stream_node(st) != s->node)
                return false;
        if (s->res->dir == DIR_OUTBOUND)
                return engine_role(e) == ENGINE_INITIATING &&
                       node_stream_purpose(st) == PURPOSE_AUTH;
        return engine_role(e) == ENGINE_RECEIVING && !engine_verify_only(e);
}

static void add_findings(struct scen *s, struct stream *st)
{
        size_t nf;
        const struct finding *f = engine_findings(node_stream_engine(st), &nf);
        struct scenario_result *res = s->res;

        for (size_t i = 0; i < nf; i++) {
                char line[ENGINE_TEXT_MAX + 160];

                if (s->n_fnd < FACT_FINDINGS_MAX) {
                        struct finding *g = realloc(s->fnd, (s->n_fnd + 1) * sizeof(*g));

                        if (g != NULL) {
                                s->fnd = g;
                                s->fnd[s->n_fnd++] = f[i];
                        }
                }

                /* The step timer's note: the cause says it already. */
                if (f[i].kind == FINDING_NOTE && f[i].rule_id == RULE_H_STEP_TIMEOUT)
                        continue;
                snprintf(line, sizeof(line), "%s %s [%s] in %s: %s", node_stream_label(st),
                         f[i].kind == FINDING_VIOLATION ? "violation"
                         : f[i].kind == FINDING_ERROR   ? "error"
                                                        : "note",
                         f[i].rule, f[i].state, f[i].text);
                if (scenario_result_add_finding(res, line, f[i].rule_id) != 0)
                        return;
        }
}

/* What the scenario's stream st shows of the partner domain addressed (domains.h):
 * whether the partner's certificate covers it (RFC 6120 §13.7.2, RFC 6125 §6) and,
 * outbound, whether the partner opened its stream (a stream id came). */
static void note_domain_facts(struct scen *s, struct stream *st)
{
        struct engine *e = node_stream_engine(st);
        const struct tls_peer *peer = engine_peer(e);

        if (peer != NULL && peer->has_cert)
                s->cert = certid_match(&peer->ids, s->pdomain) != CERTID_NONE ? DOM_YES : DOM_NO;
        if (engine_role(e) == ENGINE_INITIATING && engine_stream_id(e)[0] != '\0')
                s->peer_opened = true;
}

static void on_result(void *user, struct stream *st)
{
        struct scen *s = user;

        if (s->have_result || !is_main_candidate(s, st) || node_stream_superseded(st))
                return;
        s->main = st;
        s->have_result = true;
        s->result = *engine_result(node_stream_engine(st));
        snprintf(s->failure, sizeof(s->failure), "%s", node_stream_failure(st));
        note_domain_facts(s, st);
        s->r->changed = true;
}

static void on_closed(void *user, struct stream *st)
{
        struct scen *s = user;

        /* A receiving stream that ends without ever being judged (the partner closed
         * before saying anything useful) is still the scenario's stream. */
        if (!s->have_result && is_main_candidate(s, st) && !node_stream_superseded(st) &&
            engine_result(node_stream_engine(st))->final) {
                s->have_result = true;
                s->result = *engine_result(node_stream_engine(st));
                snprintf(s->failure, sizeof(s->failure), "%s", node_stream_failure(st));
                note_domain_facts(s, st);
        }
        if (!s->have_result && !s->have_fallback && s->res->dir == DIR_INBOUND &&
            node_stream_node(st) == s->node &&
            engine_role(node_stream_engine(st)) == ENGINE_RECEIVING &&
            engine_verify_only(node_stream_engine(st)) &&
            engine_result(node_stream_engine(st))->final) {
                s->have_fallback = true;
                s->fallback = *engine_result(node_stream_engine(st));
        }
        if (!s->finalized)
                add_findings(s, st);
        if (s->main == st) {
                /* A stream error after authentication (e.g. <invalid-from/>) counts too. */
                snprintf(s->result.peer_error, sizeof(s->result.peer_error), "%s",
                         engine_result(node_stream_engine(st))->peer_error);
                s->main = NULL;
        }
        s->r->changed = true;
}

/*
 * A pair for this scenario's domain carried on a receiving stream of another node
 * (the partner reused a connection to the harness address, XEP-0220 §2.6 target
 * multiplexing, or sent a legacy header without 'to'): inbound, that pair is the
 * scenario's result, and that stream's findings are the scenario's too.
 */
static void on_pair(void *user, struct stream *st, const char *from, const char *to)
{
        struct scen *s = user;
        struct engine_result pr;

        if (s->finalized || s->have_result || s->res->dir != DIR_INBOUND ||
            engine_pair_result(node_stream_engine(st), from, to, &pr) != 0)
                return;
        logf_(s, "runner: the pair %s -> %s came on %s, a stream of another node (%s, %s): %s",
              from, to, node_stream_label(st), rule_name(RULE_DB_10), rule_cite(RULE_DB_10),
              pr.cause);
        add_findings(s, st);
        s->r->changed = true;
        if (!pr.final) {
                /* Refused on another node's stream: the partner may open its own. */
                if (!s->have_fallback) {
                        s->have_fallback = true;
                        s->fallback = pr;
                }
                return;
        }
        s->have_result = true;
        s->result = pr;
        s->failure[0] = '\0';
        note_domain_facts(s, st);
}

static void on_stanza(void *user, struct stream *st, xmlNodePtr stanza)
{
        struct scen *s = user;
        const char *type = xs_attr(stanza, "type"), *id = xs_attr(stanza, "id");
        bool ping = false;

        (void)st;
        if (s->finalized)
                return;
        for (size_t k = 0; id != NULL && type != NULL && k < s->n_pings; k++) {
                if (strcmp(id, s->ping_ids[k]) != 0 || !xs_is(stanza, XS_NS_SERVER, "iq"))
                        continue;
                ping = true;
                /* Outbound (and the trigger of a real partner): the answer to our ping.
                 * Inbound from the reference partner: its own ping arrived. */
                if (strcmp(type, "result") == 0 ||
                    (strcmp(type, "get") == 0 && s->res->dir == DIR_INBOUND)) {
                        s->answered |= 1u << k;
                        logf_(s, "runner: the ping %s %s", id,
                              strcmp(type, "get") == 0 ? "arrived" : "was answered");
                } else {
                        logf_(s, "runner: the ping %s was answered with type '%s'", id, type);
                }
                s->r->changed = true;
        }
        if (!ping)
                s->stanzas_in++; /* the pings are facts of their own (pong) */
}

static bool all_answered(const struct scen *s)
{
        return s->n_pings > 0 && s->answered == (1u << s->n_pings) - 1;
}

static void on_trigger_result(void *user, struct stream *st)
{
        struct scen *s = user;
        const struct engine_result *res = engine_result(node_stream_engine(st));

        if (engine_role(node_stream_engine(st)) != ENGINE_INITIATING ||
            node_stream_purpose(st) != PURPOSE_AUTH || res->authenticated)
                return;
        util_format(s->trigger_why, sizeof(s->trigger_why),
                    "the trigger stream (H%d) could not authenticate: %s%s%s", TRIGGER_ROW,
                    res->cause, node_stream_failure(st)[0] ? "; " : "", node_stream_failure(st));
        if (!node_stream_superseded(st) &&
            strcmp(engine_local_domain(node_stream_engine(st)), s->domain) == 0 &&
            !s->trigger_failed) {
                s->trigger_failed = true;
                snprintf(s->trigger_error, sizeof(s->trigger_error), "%s", res->peer_error);
                /* The trigger went to the partner domain addressed: what its stream
                 * showed of it counts for the domains verdict too (domains.h). */
                note_domain_facts(s, st);
                s->trigger_failed_at = now_s();
                if (res->unverified_valid) {
                        s->trigger_unverified = true;
                        snprintf(s->trigger_rule, sizeof(s->trigger_rule), "%s", res->rule);
                        s->trigger_rule_id = res->rule_id;
                }
        }
        s->r->changed = true;
}

/* ---- set-up ---------------------------------------------------------------------- */

/* Every credentials of the run log their sessions' secrets when --keylog asks. */
static struct tls_creds *run_creds(const struct run_options *o, struct tls_creds_config *c,
                                   char *err, size_t errlen)
{
        c->keylog = o->keylog;
        c->keylog_user = o->keylog_user;
        return tls_creds_new(c, err, errlen);
}

/* The trust of a run against --target: --ca, or else the system's store (real
 * partners use public CAs); an empty store stops the run (docs/cli.md). */
static void target_trust(const struct run_options *o, struct tls_creds_config *c)
{
        c->ca_file = o->ca;
        c->ca_opt = "--ca";
        c->system_trust = true;
}

static struct tls_creds *creds_files(const struct run_options *o, char *err, size_t errlen)
{
        struct tls_creds_config c = {0};

        target_trust(o, &c);
        c.cert_file = o->cert;
        c.key_file = o->key;
        c.cert_opt = "--cert";
        c.key_opt = "--key";
        c.refuse_expired = true;
        return run_creds(o, &c, err, errlen);
}

static struct tls_creds *creds_leaf(const struct run_options *o, struct pki *p,
                                    const struct pki_leaf *l, char *err, size_t errlen)
{
        struct tls_creds_config c = {0};

        c.ca_pem = pki_ca_pem(p);
        c.cert_pem = l->cert_pem;
        c.key_pem = l->key_pem;
        return run_creds(o, &c, err, errlen);
}

static int setup_pki(struct runner *r, char *err, size_t errlen)
{
        const struct run_options *o = r->o;
        const char *pdomains[NODE_MAX_HOSTED];
        const char *hdomains[1] = {r->domain};
        size_t np = 0;

        if (o->target == NULL) {
                if (o->ca != NULL || o->cert != NULL || o->key != NULL || o->issuer_cert != NULL ||
                    o->issuer_key != NULL) {
                        snprintf(
                            err, errlen,
                            "--ca, --cert, --key, --issuer-cert and --issuer-key apply to runs "
                            "with --target; the built-in reference partner uses a run-time "
                            "PKI for both sides");
                        return -1;
                }
                r->pki = pki_new("s2scheck run-time CA", err, errlen);
                if (r->pki == NULL)
                        return -1;
                pdomains[np++] = r->p->primary;
                for (size_t i = 0; i < r->p->n_additional && np < NODE_MAX_HOSTED; i++)
                        pdomains[np++] = r->p->additional[i];
                if (pki_issue(r->pki, pdomains, np, 0, &r->pleaf, err, errlen) != 0 ||
                    pki_issue(r->pki, hdomains, 1, 1, &r->hleaf, err, errlen) != 0)
                        return -1;
                r->pcreds = creds_leaf(o, r->pki, &r->pleaf, err, errlen);
                if (r->pcreds == NULL)
                        return -1;
                r->hcreds = creds_leaf(o, r->pki, &r->hleaf, err, errlen);
                return r->hcreds != NULL ? 0 : -1;
        }
        if ((o->cert == NULL) != (o->key == NULL)) {
                snprintf(err, errlen, "--cert and --key go together");
                return -1;
        }
        if ((o->issuer_cert == NULL) != (o->issuer_key == NULL)) {
                snprintf(err, errlen, "--issuer-cert and --issuer-key go together");
                return -1;
        }
        if (o->issuer_cert != NULL) {
                /* A CA the partner trusts: every variant is issued for its scenario's
                 * own domain (docs/certificates.md), as with the reference partner. */
                r->pki = pki_load(o->issuer_cert, o->issuer_key, err, errlen);
                if (r->pki == NULL)
                        return -1;
        }
        if (o->cert == NULL) {
                struct tls_creds_config c = {0};

                if (r->pki == NULL) {
                        snprintf(err, errlen,
                                 "a run against --target needs the harness certificate: --cert "
                                 "FILE --key FILE (valid for %s and *.%s), or --issuer-cert FILE "
                                 "--issuer-key FILE (a CA the partner trusts), and --ca FILE "
                                 "(the partner's CA)",
                                 r->domain, r->domain);
                        return -1;
                }
                if (pki_issue(r->pki, hdomains, 1, 1, &r->hleaf, err, errlen) != 0)
                        return -1;
                target_trust(o, &c);
                c.cert_pem = r->hleaf.cert_pem;
                c.key_pem = r->hleaf.key_pem;
                r->hcreds = run_creds(o, &c, err, errlen);
                return r->hcreds != NULL ? 0 : -1;
        }
        r->hcreds = creds_files(o, err, errlen);
        return r->hcreds != NULL ? 0 : -1;
}

static struct node *route(void *user, const char *to);

/* routed: the node answers for every harness domain (node_config.route). */
static struct node *new_node(struct runner *r, const char *name, bool routed,
                             const char *const *domains, size_t n, const struct neg_settings *neg,
                             struct tls_creds *creds, const char *secret, struct db_ledger *ledger,
                             const struct node_observer *obs,
                             void (*trace)(void *, struct stream *, const struct trace_entry *),
                             void *trace_user, char *err, size_t errlen)
{
        struct node_config cfg;
        struct node_transport t = net_transport(r->loop);

        memset(&cfg, 0, sizeof(cfg));
        cfg.name = name;
        for (size_t i = 0; i < n && i < NODE_MAX_HOSTED; i++)
                cfg.hosted[cfg.n_hosted++] = domains[i];
        cfg.neg = *neg;
        cfg.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&cfg.knobs);
        cfg.creds = creds;
        cfg.secret = secret;
        cfg.ledger = ledger;
        cfg.db_answer = DB_ANSWER_TRUTHFUL;
        xs_limits_default(&cfg.limits);
        cfg.trace = trace;
        cfg.trace_user = trace_user;
        cfg.answer_pings = true;
        if (routed) {
                cfg.route = route;
                cfg.route_user = r;
        }
        return node_new(&cfg, &t, obs, err, errlen);
}

/* Routes an accepted connection by its stream's 'to' (virtual hosting). */
static struct node *route(void *user, const char *to)
{
        struct runner *r = user;

        for (size_t i = 0; to != NULL && i < r->n; i++) {
                struct scen *s = &r->sc[i];

                if (s->node == NULL)
                        continue;
                if (strcasecmp(s->domain, to) == 0)
                        return s->node;
                for (size_t k = 0; k < s->n_mux; k++) {
                        if (strcasecmp(s->mux[k], to) == 0)
                                return s->node;
                }
        }
        return r->base;
}

static int parse_hostport(const char *text, const char *what, uint16_t default_port, char *host,
                          size_t hostlen, uint16_t *port, char *err, size_t errlen)
{
        char perr[256];

        if (dns_parse_hostport(text, default_port, host, hostlen, port, perr, sizeof(perr)) != 0) {
                snprintf(err, errlen, "%s '%s': %s", what, text, perr);
                return -1;
        }
        return 0;
}

static int setup_net(struct runner *r, char *err, size_t errlen)
{
        const struct run_options *o = r->o;
        struct net_timeouts t;
        char host[256];
        uint16_t port = 0;

        r->loop = net_new(err, errlen);
        if (r->loop == NULL)
                return -1;
        net_timeouts_default(&t);
        if (o->step_timeout_ms > 0 || o->target == NULL) {
                unsigned ms = o->step_timeout_ms > 0 ? o->step_timeout_ms : REF_STEP_MS;

                for (int s = 0; s < NET_STATES; s++) {
                        if (t.step_ms[s] != 0)
                                t.step_ms[s] = ms;
                }
        }
        net_set_timeouts(r->loop, &t);
        /* A dead partner address costs one connect timeout per run (issue 12 item 3). */
        net_set_remember_dead(r->loop, o->target != NULL);
        /* Waits decided by silence end after what this partner's answers took
         * (docs/timeouts.md "Smart silence window"); the in-process reference
         * partner has short steps of its own (REF_STEP_MS). */
        net_set_smart_silence(r->loop, o->target != NULL);
        snprintf(r->listen_host, sizeof(r->listen_host), "127.0.0.1");
        if (o->listen != NULL) {
                char perr[256];

                if (dns_parse_listen(o->listen, r->listen_host, sizeof(r->listen_host),
                                     &r->listen_port, perr, sizeof(perr)) != 0) {
                        snprintf(err, errlen, "--listen '%s': %s", o->listen, perr);
                        return -1;
                }
        }
        if (net_listen_router(r->loop, r->listen_host, r->listen_port, route, r, &r->listen_port,
                              err, errlen) != 0) {
                preflight_listen_failed("--listen", o->listen != NULL ? o->listen : "127.0.0.1:0",
                                        err, errlen);
                return -1;
        }
        if (o->resolver != NULL) {
                struct dns_resolver_config rc = {0};

                if (parse_hostport(o->resolver, "--resolver", 53, host, sizeof(host), &port, err,
                                   errlen) != 0)
                        return -1;
                rc.server = host;
                rc.port = port;
                rc.timeout_ms = 1500;
                rc.retries = 1;
                net_set_resolver(r->loop, &rc);
        }
        if (o->serve_dns != NULL) {
                struct dnszone_config zc = {0};
                uint16_t dport;

                if (parse_hostport(o->serve_dns, "--serve-dns", 53, host, sizeof(host), &dport, err,
                                   errlen) != 0)
                        return -1;
                zc.apex = r->domain;
                /* An unspecified listen address is no address to publish (issue 12). */
                if (o->advertise == NULL && checkup_unspecified(r->listen_host)) {
                        snprintf(err, errlen,
                                 "--listen %s with --serve-dns would publish %s for every "
                                 "scenario name: give --advertise ADDR, the address the "
                                 "partner must connect to",
                                 r->listen_host, r->listen_host);
                        return -1;
                }
                zc.addrs[zc.naddrs++] = o->advertise != NULL ? o->advertise : r->listen_host;
                zc.port = r->listen_port;
                r->zone = dnszone_new(&zc, err, errlen);
                if (r->zone == NULL)
                        return -1;
                if (net_serve_dns(r->loop, host, dport, r->zone, NULL, err, errlen) != 0) {
                        preflight_listen_failed("--serve-dns", o->serve_dns, err, errlen);
                        return -1;
                }
        }
        return 0;
}

/* The reference partner: a node in this loop, reached through target overrides. */
static int setup_partner(struct runner *r, char *err, size_t errlen)
{
        const struct run_options *o = r->o;
        const char *domains[NODE_MAX_HOSTED];
        size_t n = 0;
        uint16_t pport = 0;
        char host[256];
        uint16_t port;

        domains[n++] = r->p->primary;
        for (size_t i = 0; i < r->p->n_additional && n < NODE_MAX_HOSTED; i++)
                domains[n++] = r->p->additional[i];
        if (o->target != NULL) {
                /* A real partner is treated politely: few connections at once, spaced. */
                net_set_politeness(r->loop, o->partner_conns > 0 ? o->partner_conns : DEFAULT_JOBS,
                                   o->pause_ms);
                /* "--target srv": found through its SRV records (RFC 6120 §3.2, XEP-0368),
                 * unless the partner file names the gateway's ProxyFqdn: then that host, on
                 * 5269, as a configured host replaces SRV (RFC 6120 §3.2.3); the partner's
                 * certificate is still checked against the partner's domain (issue 12
                 * item 5). */
                if (strcasecmp(o->target, RUN_TARGET_SRV) == 0) {
                        for (size_t i = 0; r->p->proxy_fqdn != NULL && i < n; i++) {
                                if (net_set_target(r->loop, domains[i], r->p->proxy_fqdn, 5269, err,
                                                   errlen) != 0)
                                        return -1;
                        }
                        return 0;
                }
                if (parse_hostport(o->target, "--target", 5269, host, sizeof(host), &port, err,
                                   errlen) != 0)
                        return -1;
                for (size_t i = 0; i < n; i++) {
                        if (net_set_target(r->loop, domains[i], host, port, err, errlen) != 0)
                                return -1;
                }
                return 0;
        }
        r->ref = new_node(r, "partner", false, domains, n, &r->p->neg, r->pcreds, NULL, NULL, NULL,
                          NULL, NULL, err, errlen);
        if (r->ref == NULL)
                return -1;
        if (net_listen(r->loop, "127.0.0.1", 0, r->ref, &pport, err, errlen) != 0)
                return -1;
        for (size_t i = 0; i < n; i++) {
                if (net_set_target(r->loop, domains[i], "127.0.0.1", pport, err, errlen) != 0)
                        return -1;
        }
        /* Every other name (the harness's scenario domains) is the harness listener. */
        return net_set_target(r->loop, NULL, r->listen_host, r->listen_port, err, errlen);
}

/* ---- scenarios ------------------------------------------------------------------ */

static void lower(char *s)
{
        for (; *s != '\0'; s++)
                *s = (char)tolower((unsigned char)*s);
}

/* "a, b" of the scenario's strings into dst (bounded). */
static void join(char *dst, size_t len, char *const *v, size_t n, const char *sep)
{
        size_t used = 0;

        dst[0] = '\0';
        for (size_t i = 0; i < n && used < len; i++) {
                int k = snprintf(dst + used, len - used, "%s%s", i > 0 ? sep : "", v[i]);

                if (k < 0)
                        break;
                used += (size_t)k;
        }
}

/* engine_knobs.bad and the node settings for the scenario's misbehaviours (harness side;
 * the loader already refused those that cannot take effect in this direction). */
static void apply_misbehaviour(struct scen *s)
{
        struct misbehave_effects fx;

        misbehave_apply(s->def->misbehave, s->def->dir, &s->knobs.bad, &fx);
        if (fx.answer_invalid)
                s->db_answer = DB_ANSWER_INVALID;
        if (fx.wrong_sender)
                s->sender = WRONG_DOMAIN;
}

/* Whether the partner meets the scenario's <requires>; else a reason. */
static bool requires_met(const struct scenario *d, const struct partner *partner, char *why,
                         size_t len)
{
        const struct neg_settings *p = &partner->neg;

        /* EnableKeepAlive (cmdlet text only; docs/partner-format.md): not set is not True. */
        if (d->requires_partner_keepalive >= 0 &&
            (d->requires_partner_keepalive == 1) != (partner->keepalive == 1)) {
                snprintf(why, len, "requires a partner file with EnableKeepAlive %s",
                         d->requires_partner_keepalive == 1 ? "True" : "False (or not set)");
                return false;
        }
        if (d->requires_partner_tls != 0 && !(d->requires_partner_tls & (1u << p->tls))) {
                snprintf(why, len, "requires a partner whose TLS is not %s", neg_name(p->tls));
                return false;
        }
        if (d->requires_partner_dialback >= 0 &&
            (d->requires_partner_dialback == 1) != p->dialback) {
                snprintf(why, len, "requires a partner with dialback %s",
                         d->requires_partner_dialback == 1 ? "True" : "False");
                return false;
        }
        return true;
}

/* Whether the expectation is the plain oracle's, so that the observation may classify
 * the partner (reference §3.8); everything else is a finding. */
static bool plain_oracle(const struct scenario *d)
{
        return d->expect_oracle && d->oracle_without == 0 && d->also_accept == 0 &&
               d->misbehave == 0 && d->cert == CERT_DEFAULT && d->knobs_set == 0 &&
               d->authoritative == DB_ANSWER_TRUTHFUL && d->xfail == NULL;
}

static int add_ping(struct scen *s, const char *what)
{
        if (s->n_pings >= PINGS_MAX)
                return -1;
        util_format(s->ping_ids[s->n_pings], sizeof(s->ping_ids[0]), "s2scheck-%s-%s", s->res->id,
                    what);
        s->n_pings++;
        return 0;
}

/* Not run (selection, a prerequisite, the preflight, a signal): verdict_judge says skip. */
static void judge_not_run(struct scenario_result *res)
{
        struct verdict_input vi = {0};
        struct verdict_judgement j;

        vi.not_run = true;
        j = verdict_judge(&vi);
        res->verdict = j.verdict;
        res->cause_class = j.cause_class;
}

/* Fills one result and its scen from scenario d against partner domain pdom. */
static void setup_one(struct runner *r, struct scen *s, const struct scenario *d, const char *pdom,
                      const char *label)
{
        struct scenario_result *res = s->res;
        char why[RESULT_TEXT_MAX];

        s->r = r;
        s->def = d;
        s->pdomain = pdom;
        buf_init(&s->log, 0);
        if (label != NULL)
                util_format(res->id, sizeof(res->id), "%s.%s", d->id, pdom);
        else
                util_format(res->id, sizeof(res->id), "%s", d->id);
        util_format(res->title, sizeof(res->title), "%s%s%s", d->title[0] ? d->title : d->id,
                    label != NULL ? " -> " : "", label != NULL ? pdom : "");
        join(res->tags, sizeof(res->tags), d->tags, d->n_tags, ",");
        snprintf(res->pdomain, sizeof(res->pdomain), "%s", pdom);
        res->domains_scenario = scenario_has_tag(d, "domains");
        join(res->refs, sizeof(res->refs), d->specs, d->n_specs, "; ");
        util_format(res->certificate, sizeof(res->certificate), "%s", cert_variant_name(d->cert));
        res->dir = d->dir;
        res->harness = d->harness;
        res->harness_row = settings_row(&d->harness);
        res->hsem = d->sem;
        res->unclassified = !plain_oracle(d);
        util_format(s->domain, sizeof(s->domain), "%s.%s", label != NULL ? label : d->id,
                    r->domain);
        lower(s->domain);
        snprintf(res->harness_domain, sizeof(res->harness_domain), "%s", s->domain);
        s->sender = s->domain;
        s->knobs = d->knobs;
        s->db_answer = d->authoritative;
        apply_misbehaviour(s);
        for (size_t k = 0; k < d->n_mux_from && k < SCENARIO_MULTIPLEX_MAX; k++) {
                util_format(s->mux[k], sizeof(s->mux[k]), "%s.%s", d->mux_from[k], s->domain);
                s->n_mux++;
        }
        if (d->expect_oracle) {
                res->expected = oracle_expect_without(&res->harness, res->hsem, &r->p->neg,
                                                      res->dir, d->oracle_without, res->rationale,
                                                      sizeof(res->rationale));
                res->accepted = d->also_accept & ~OUTCOME_BIT(res->expected);
        } else {
                char set[64];
                size_t used = 0;

                res->expected = OUTCOME_F4;
                for (int o = OUTCOME_COUNT - 1; o >= 0; o--) {
                        if (d->outcomes & OUTCOME_BIT(o))
                                res->expected = (enum outcome)o;
                }
                res->accepted = d->outcomes & ~OUTCOME_BIT(res->expected);
                set[0] = '\0';
                for (int o = 0; o < OUTCOME_COUNT && used < sizeof(set); o++) {
                        if (d->outcomes & OUTCOME_BIT(o)) {
                                int k = snprintf(set + used, sizeof(set) - used, "%s%s",
                                                 used ? "," : "", outcome_name((enum outcome)o));
                                if (k > 0)
                                        used += (size_t)k;
                        }
                }
                util_format(
                    res->rationale, sizeof(res->rationale),
                    "explicit outcome set {%s}: the harness breaks the protocol on purpose, so "
                    "the oracle does not apply (%s)",
                    set, d->file);
        }
        /* A real partner's silence may decide this scenario when its expectation has
         * no success, or accepts what a step's timeout gives (F3 after TLS, F4 in
         * plaintext: engine_timeout); it waits long when silence may decide, or when
         * it waits for answers to extra senders or for the partner's reaction (the
         * scenario file's data: expectation, multiplex, checks). */
        s->smart_silence =
            r->o->target != NULL &&
            (((OUTCOME_BIT(res->expected) | res->accepted) & OUTCOME_SUCCESS_SET) == 0 ||
             (res->accepted & (OUTCOME_BIT(OUTCOME_F3) | OUTCOME_BIT(OUTCOME_F4))) != 0);
        /* Its settling may end by silence when silence cannot make a partner fault
         * of it: the expectation allows silence, or a missing answer is the
         * expected deviation (an xfail or a quirk). A required answer keeps its
         * whole settle time: a partner whose answer waits for its own retries
         * (tests/cli/deployed-all.sh, M17 with its knobs: after 4.4 s) is slow,
         * not wrong. */
        s->smart_settle = r->o->target != NULL && (s->smart_silence || d->xfail != NULL);
        s->long_wait = s->smart_silence || s->n_mux > 0 || d->mux_additional ||
                       (d->checks & check_set_with(CHECK_NEEDS_REACTION)) != 0;
        judge_not_run(res);
        snprintf(res->cause, sizeof(res->cause), "not run");
        /* Pings: the scenario's own, one per extra sender, one per extra target. */
        add_ping(s, "0");
        for (size_t k = 0; k < s->n_mux; k++)
                add_ping(s, d->mux_from[k]);
        if (d->mux_additional) {
                for (size_t k = 0; k < r->p->n_additional && k + 2 < PINGS_MAX; k++) {
                        char w[16];

                        snprintf(w, sizeof(w), "t%zu", k + 1);
                        add_ping(s, w);
                }
        }
        if (!requires_met(d, r->p, why, sizeof(why))) {
                s->skip = true;
                util_format(s->skip_why, sizeof(s->skip_why), "skipped: the scenario %s", why);
        } else if ((d->pdom == PARTNER_DOMAIN_ADDITIONAL || d->mux_additional) &&
                   r->p->n_additional == 0) {
                s->skip = true;
                util_format(s->skip_why, sizeof(s->skip_why),
                            "skipped: the partner has no additional domain");
        } else if (r->o->no_inbound != NULL &&
                   (d->dir == DIR_INBOUND || d->harness.dialback ||
                    (OUTCOME_BIT(res->expected) & OUTCOME_SUCCESS_SET) ||
                    (d->checks & check_set_with(CHECK_NEEDS_PING)))) {
                /* --outbound-only: the preflight found the partner cannot connect in,
                 * which an inbound scenario, a dialback verification and the answer
                 * to the test ping of a success (reference §3.6) all need. */
                s->skip = true;
                util_format(s->skip_why, sizeof(s->skip_why),
                            "not judged (--outbound-only): this scenario needs the partner to "
                            "connect in (inbound, dialback verification, or the answer to the test "
                            "ping), and %s",
                            r->o->no_inbound);
        }
}

static int setup_scenarios(struct runner *r, struct run_report *rep, char *err, size_t errlen)
{
        const struct scenario_suite *suite = r->o->suite;
        size_t n = 0, k = 0;

        for (size_t i = 0; i < suite->n; i++) {
                const struct scenario *d = &suite->items[i];

                if (!d->selected)
                        continue;
                n += d->pdom == PARTNER_DOMAIN_ADDITIONAL && r->p->n_additional > 0
                         ? r->p->n_additional
                         : 1;
        }
        rep->results = calloc(n > 0 ? n : 1, sizeof(*rep->results));
        r->sc = calloc(n > 0 ? n : 1, sizeof(*r->sc));
        if (rep->results == NULL || r->sc == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        rep->n_results = n;
        r->n = n;
        for (size_t i = 0; i < suite->n; i++) {
                const struct scenario *d = &suite->items[i];

                if (!d->selected)
                        continue;
                if (d->pdom != PARTNER_DOMAIN_ADDITIONAL || r->p->n_additional == 0) {
                        r->sc[k].res = &rep->results[k];
                        setup_one(r, &r->sc[k], d, r->p->primary, NULL);
                        k++;
                        continue;
                }
                for (size_t a = 0; a < r->p->n_additional; a++) {
                        char label[96];

                        /* One harness label per run: the id (at most 63) cut to leave room
                         * for the domain's number. */
                        snprintf(label, sizeof(label), "%.58s-a%zu", d->id, a + 1);
                        r->sc[k].res = &rep->results[k];
                        setup_one(r, &r->sc[k], d, r->p->additional[a], label);
                        k++;
                }
        }
        /* Every harness domain names one scenario (routing by 'to'). */
        for (size_t i = 0; i < n; i++) {
                for (size_t j = i + 1; j < n; j++) {
                        if (strcasecmp(r->sc[i].domain, r->sc[j].domain) == 0) {
                                snprintf(err, errlen,
                                         "scenarios %s and %s would share the harness "
                                         "domain %s",
                                         rep->results[i].id, rep->results[j].id, r->sc[i].domain);
                                return -1;
                        }
                }
        }
        return 0;
}

/* The leaf the run-time PKI issues for a certificate variant (certvariant.c). */
static int issue_variant(struct runner *r, struct scen *s, struct pki_leaf *leaf, char *err,
                         size_t errlen)
{
        const char *doms[1] = {s->domain}, *wrong[1] = {WRONG_DOMAIN};
        struct pki_leaf_spec spec;
        struct pki *signer = r->pki;
        bool other_ca;

        if (cert_variant_spec(s->def->cert, doms, 1, wrong, &spec, &other_ca) != 0) {
                snprintf(err, errlen, "certificate variant '%s' issues no certificate",
                         cert_variant_name(s->def->cert));
                return -1;
        }
        if (other_ca) {
                if (r->pki2 == NULL &&
                    (r->pki2 = pki_new("s2scheck other CA", err, errlen)) == NULL)
                        return -1;
                signer = r->pki2;
        }
        return pki_issue_spec(signer, &spec, leaf, err, errlen);
}

/* Whether the PEM certificate file presents an identity for domain (certid). */
static bool file_names(const char *file, const char *domain)
{
        gnutls_datum_t d = {NULL, 0};
        gnutls_x509_crt_t crt = NULL;
        struct cert_ids ids;
        char why[256], *data = NULL;
        size_t len = 0;
        bool ok = false;

        /* infile_read: a FIFO in --cert-dir must not block the run. */
        if (infile_read(file, 1024 * 1024, &data, &len, why, sizeof(why)) != INFILE_OK)
                return false;
        d.data = (unsigned char *)data;
        d.size = (unsigned)len;
        if (gnutls_x509_crt_init(&crt) >= 0 &&
            gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) >= 0 &&
            certid_from_x509(crt, &ids) == 0) {
                ok = certid_match(&ids, domain) != CERTID_NONE;
                certid_cleanup(&ids);
        }
        if (crt != NULL)
                gnutls_x509_crt_deinit(crt);
        free(data);
        return ok;
}

/*
 * The scenario's credentials: the run's own for the default certificate, else the
 * variant (run-time PKI; with --target, files <cert-dir>/<domain>-<variant>.pem/.key).
 * Returns 0, or -1 on an internal failure; a variant that cannot be had skips the
 * scenario.
 */
static int scenario_creds(struct runner *r, struct scen *s, char *err, size_t errlen)
{
        const struct scenario *d = s->def;
        struct tls_creds_config c = {0};
        char certf[1100], keyf[1100];

        if (d->cert == CERT_DEFAULT && s->n_mux == 0)
                return 0;
        if (r->o->target == NULL || r->pki != NULL) {
                /* Issued now: the run-time PKI, or --issuer-cert with --target. The default
                 * variant's wildcard covers the extra senders LABEL.<scenario domain>. */
                struct pki_leaf leaf = {0};

                char why[300];

                if (cert_variant(d->cert)->chain != PKI_CHAIN_DIRECT &&
                    !pki_can_chain(r->pki, why, sizeof(why))) {
                        s->skip = true;
                        util_format(s->skip_why, sizeof(s->skip_why),
                                    "skipped: certificate variant '%s': %s",
                                    cert_variant_name(d->cert), why);
                        return 0;
                }
                if (r->o->target == NULL)
                        c.ca_pem = pki_ca_pem(r->pki);
                else
                        target_trust(r->o, &c);
                if (d->cert != CERT_NONE) {
                        if (issue_variant(r, s, &leaf, err, errlen) != 0)
                                return -1;
                        c.cert_pem = leaf.cert_pem;
                        c.key_pem = leaf.key_pem;
                }
                s->creds = run_creds(r->o, &c, err, errlen);
                pki_leaf_cleanup(&leaf);
                if (s->creds == NULL)
                        return -1;
                s->no_creds = d->cert == CERT_NONE;
                return 0;
        }
        if (d->cert == CERT_DEFAULT) {
                /* The operator's certificate. Each extra sender may need a stream of its
                 * own with SASL EXTERNAL (XEP-0178), and the partner answers its ping on
                 * a stream to that name, whose certificate it checks (RFC 6120
                 * §13.7.2.1): the certificate must name it, and *.DOMAIN does not cover
                 * LABEL.<id>.DOMAIN (RFC 6125 §6.4.3). */
                for (size_t k = 0; k < s->n_mux; k++) {
                        if (file_names(r->o->cert, s->mux[k]))
                                continue;
                        s->skip = true;
                        util_format(s->skip_why, sizeof(s->skip_why),
                                    "skipped: %s does not name the extra sender %s (give a "
                                    "certificate that also names *.%s, or --issuer-cert and "
                                    "--issuer-key)",
                                    r->o->cert, s->mux[k], s->domain);
                        break;
                }
                return 0;
        }
        target_trust(r->o, &c);
        if (d->cert != CERT_NONE) {
                const char *dir = r->o->cert_dir != NULL ? r->o->cert_dir : RUNNER_CERT_DIR;

                snprintf(certf, sizeof(certf), "%s/%s-%s.pem", dir, r->domain,
                         cert_variant_name(d->cert));
                snprintf(keyf, sizeof(keyf), "%s/%s-%s.key", dir, r->domain,
                         cert_variant_name(d->cert));
                if (access(certf, R_OK) != 0 || access(keyf, R_OK) != 0) {
                        s->skip = true;
                        util_format(s->skip_why, sizeof(s->skip_why),
                                    "skipped: certificate variant '%s' needs %s and its key (give "
                                    "--cert-dir DIR; docs/certificates.md)",
                                    cert_variant_name(d->cert), certf);
                        return 0;
                }
                /* The variants that keep the right names must name the scenario's own
                 * domain, or the run would test a wrong name instead. */
                if (cert_variant(d->cert)->names_domain && !file_names(certf, s->domain)) {
                        s->skip = true;
                        util_format(
                            s->skip_why, sizeof(s->skip_why),
                            "skipped: %s does not name the scenario's domain %s; issue variant "
                            "'%s' for it (docs/certificates.md)",
                            certf, s->domain, cert_variant_name(d->cert));
                        return 0;
                }
                /* And the variants that must not prove it must not: a file made for the
                 * bare harness domain can cover the scenario's subdomain (the wildcard
                 * variant's *.harness.test names cert-wildcard-out.harness.test), and the
                 * partner would then be blamed for accepting a certificate that is right. */
                if (!cert_variant(d->cert)->names_domain && file_names(certf, s->domain)) {
                        s->skip = true;
                        util_format(
                            s->skip_why, sizeof(s->skip_why),
                            "skipped: %s is meant not to prove the scenario's domain, yet it "
                            "names %s (%s, %s: a wildcard covers one label); give "
                            "--issuer-cert and --issuer-key so that variant '%s' is issued for "
                            "%s itself (docs/certificates.md)",
                            certf, s->domain, rule_name(RULE_H_CERT_WILDCARD),
                            rule_cite(RULE_H_CERT_WILDCARD), cert_variant_name(d->cert), s->domain);
                        return 0;
                }
                c.cert_file = certf;
                c.key_file = keyf;
        }
        s->creds = run_creds(r->o, &c, err, errlen);
        if (s->creds == NULL) {
                char why[512];

                snprintf(why, sizeof(why), "%s", err);
                s->skip = true;
                util_format(s->skip_why, sizeof(s->skip_why),
                            "skipped: certificate variant '%s' could not be loaded: %s",
                            cert_variant_name(d->cert), why);
        }
        s->no_creds = d->cert == CERT_NONE;
        return 0;
}

/* The scenario's harness node: its settings, knobs, certificate and answers. */
static struct node *scenario_node(struct scen *s, const char *secret,
                                  const struct node_observer *obs, char *err, size_t errlen)
{
        struct runner *r = s->r;
        struct node_config cfg;
        struct node_transport t = net_transport(r->loop);

        memset(&cfg, 0, sizeof(cfg));
        cfg.name = "harness";
        cfg.hosted[cfg.n_hosted++] = s->sender;
        for (size_t k = 0; k < s->n_mux && cfg.n_hosted < NODE_MAX_HOSTED; k++)
                cfg.hosted[cfg.n_hosted++] = s->mux[k];
        cfg.neg = s->res->harness;
        cfg.sem = s->res->hsem;
        cfg.knobs = s->knobs;
        cfg.creds = s->creds != NULL || s->no_creds ? s->creds : r->hcreds;
        cfg.secret = secret;
        cfg.ledger = &s->ledger;
        cfg.db_answer = s->db_answer;
        xs_limits_default(&cfg.limits);
        cfg.trace = on_trace;
        cfg.trace_user = s;
        cfg.answer_pings = true;
        cfg.smart_silence = s->smart_silence;
        /* Every harness domain is answered for on any stream to this address. */
        cfg.route = route;
        cfg.route_user = r;
        /* The partner's configured settings let the harness see a TLS downgrade
         * (RFC 7590 §3.1) where a scenario asks for it. */
        if (s->def->checks & check_set_with(CHECK_NEEDS_PEER_SETTINGS)) {
                cfg.peer_known = true;
                cfg.peer_neg = r->p->neg;
        }
        return node_new(&cfg, &t, obs, err, errlen);
}

static void take_log(struct scen *s);

static void skip_now(struct scen *s)
{
        judge_not_run(s->res);
        snprintf(s->res->cause, sizeof(s->res->cause), "%s", s->skip_why);
        logf_(s, "runner: %s", s->skip_why);
        take_log(s);
        s->finalized = true;
        s->st = SC_DONE;
        s->r->done++;
}

/* Sends the scenario's pings: from the scenario's sender (and each extra sender) to
 * the partner domain (and each extra target). */
static void send_pings(struct scen *s, struct node *n, bool reverse)
{
        struct runner *r = s->r;
        size_t k = 0;

        if (reverse) {
                /* The reference partner pings the harness: it must initiate. */
                if (node_ping(n, s->pdomain, s->domain, s->ping_ids[k++]) == NULL)
                        snprintf(s->trigger_why, sizeof(s->trigger_why),
                                 "the reference partner could not open a stream");
                for (size_t m = 0; m < s->n_mux; m++)
                        node_ping(n, s->pdomain, s->mux[m], s->ping_ids[k++]);
                return;
        }
        if (node_ping(n, s->sender, s->pdomain, s->ping_ids[k++]) == NULL)
                snprintf(s->trigger_why, sizeof(s->trigger_why), "could not open a stream");
        for (size_t m = 0; m < s->n_mux; m++)
                node_ping(n, s->mux[m], s->pdomain, s->ping_ids[k++]);
        if (s->def->mux_additional) {
                for (size_t a = 0; a < r->p->n_additional && k < s->n_pings; a++)
                        node_ping(n, s->sender, r->p->additional[a], s->ping_ids[k++]);
        }
}

/* How often the harness ran short, and refused a source at its cap, so far
 * (finalize's scen_pressure compares). */
static void harness_pressure(const struct runner *r, unsigned long *shortages,
                             unsigned long *refused)
{
        struct net_pressure p;

        net_pressure(r->loop, &p);
        *shortages = p.shortages;
        *refused = p.refused_source;
}

static int start_scenario(struct scen *s, char *err, size_t errlen)
{
        struct runner *r = s->r;
        struct node_observer obs = {on_stanza, on_result, on_closed, s, on_pair};
        char secret[DIALBACK_KEY_LEN + 1];

        s->t0 = now_s();
        s->deadline = s->t0 + (r->o->timeout_s > 0 ? r->o->timeout_s : DEFAULT_TIMEOUT_S);
        harness_pressure(r, &s->shortages0, &s->refused0);
        refusals_mark(&r->refused, &s->refusals0);
        if (!s->skip && scenario_creds(r, s, err, errlen) != 0)
                return -1;
        if (s->skip) {
                skip_now(s);
                return 0;
        }
        /* The trigger and the scenario node answer db:verify for the same domain:
         * they share one secret (never logged). */
        if (dialback_new_secret(secret) != 0) {
                snprintf(err, errlen, "no randomness for a dialback secret");
                return -1;
        }
        s->node = scenario_node(s, secret, &obs, err, errlen);
        if (s->node == NULL)
                return -1;
        s->st = SC_RUNNING;
        logf_(s, "runner: scenario %s (%s) from %s against %s; expected %s: %s", s->res->id,
              s->res->title, s->def->file, s->pdomain, outcome_name(s->res->expected),
              s->res->rationale);
        for (size_t m = 0; m < misbehave_count(); m++) {
                if ((s->def->misbehave & (1u << m)) && misbehave_row(m)->log != NULL)
                        logf_(s, "runner: %s", misbehave_row(m)->log);
        }
        if (s->res->dir == DIR_OUTBOUND) {
                send_pings(s, s->node, false);
                return 0;
        }
        if (r->ref != NULL) {
                logf_(s, "runner: asking the reference partner to send a ping to %s", s->domain);
                send_pings(s, r->ref, true);
                return 0;
        }
        {
                /* A real partner connects in to answer a ping (design.md §2, XEP-0199). */
                struct neg_settings trig;
                struct node_observer tobs = {NULL, on_trigger_result, NULL, s, NULL};
                const char *d[1 + SCENARIO_MULTIPLEX_MAX];
                size_t nd = 0;

                d[nd++] = s->domain;
                for (size_t m = 0; m < s->n_mux; m++)
                        d[nd++] = s->mux[m];
                settings_from_row(TRIGGER_ROW, &trig);
                /* The trigger must authenticate every sender: the scenario's own default
                 * certificate also names the extra senders (scenario_creds); a variant
                 * is for the scenario's stream, not for the trigger. */
                s->trigger = new_node(r, "trigger", false, d, nd, &trig,
                                      s->def->cert == CERT_DEFAULT && s->creds != NULL ? s->creds
                                                                                       : r->hcreds,
                                      secret, &s->ledger, &tobs, on_trace, s, err, errlen);
                if (s->trigger == NULL)
                        return -1;
                logf_(s, "runner: triggering: a ping from %s to %s over an H%d stream", s->domain,
                      s->pdomain, TRIGGER_ROW);
                if (node_ping(s->trigger, s->domain, s->pdomain, s->ping_ids[0]) == NULL)
                        snprintf(s->trigger_why, sizeof(s->trigger_why),
                                 "the trigger could not open a stream");
                for (size_t m = 0; m < s->n_mux; m++)
                        node_ping(s->trigger, s->mux[m], s->pdomain, s->ping_ids[1 + m]);
        }
        return 0;
}

static void close_node_streams(struct node *n)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k;

        if (n == NULL)
                return;
        k = node_streams(n, all, NODE_MAX_STREAMS);
        for (size_t i = 0; i < k; i++)
                engine_close(node_stream_engine(all[i]));
}

/* The transcript moves to the result; what the scenario's streams still say
 * while they close is not kept (log_closed). */
static void take_log(struct scen *s)
{
        s->res->transcript = s->log.data;
        s->log.data = NULL;
        buf_cleanup(&s->log);
        s->log_closed = true;
}

/* Whether the verdict waits for the test stanza (run_checks). A harness that
 * misbehaves after authenticating (a stanza from a domain never authenticated) may
 * rightly lose its stream first, and a certificate variant is also the harness's
 * server certificate on the stream the answer comes back on: the ping is then only
 * checked when the scenario names it. */
static bool wants_ping(const struct scen *s)
{
        return (s->def->misbehave == 0 && s->def->cert == CERT_DEFAULT) ||
               (s->def->checks & check_set_with(CHECK_NEEDS_PING));
}

/*
 * The scenario's named checks, plus the success checks of reference §3.6 when the
 * outcome is a success that matched (`agrees`). Every failure is a finding line;
 * the first one is the scenario's failed_check, and its line and rule go to
 * first/first_spec for verdict_judge to make the cause of. Returns whether one failed.
 */
static bool run_checks(struct scen *s, bool agrees, char *first, size_t first_len, char *first_spec,
                       size_t first_spec_len)
{
        struct scenario_result *res = s->res;
        const struct scenario_name_info *names = scenario_checks();
        struct check_facts f;
        unsigned set = s->def->checks;
        bool success = agrees && (res->observed & OUTCOME_SUCCESS_SET);

        if (success)
                set |= check_success_set(res->dir);
        /* A harness that misbehaves after authenticating (e.g. a stanza from a domain
         * never authenticated) may rightly lose its stream before the test stanza is
         * answered: the ping is then only checked when the scenario names it. */
        if (!wants_ping(s))
                set &= ~check_set_with(CHECK_NEEDS_PING);
        memset(&f, 0, sizeof(f));
        f.dir = res->dir;
        f.partner = s->r->p->neg;
        f.proving_cert = s->def->cert == CERT_DEFAULT && s->sender == s->domain;
        f.observed = res->observed;
        f.tls = s->have_result && s->result.tls;
        f.method = s->have_result ? s->result.method : 0;
        f.peer_error = s->have_result ? s->result.peer_error : "";
        f.pong = all_answered(s);
        f.stanzas_from_partner = s->stanzas_in;
        f.findings = s->fnd;
        f.n_findings = s->n_fnd;
        f.features = s->feat;
        f.n_features = s->n_feat;
        f.sasl_success_pre_tls = s->sasl_pre_tls;
        f.db_result_sent = s->db_result_sent;
        f.post_tls_id = s->post_tls_id;
        f.verify_id = s->verify_id;
        f.unverified_valid = s->have_result && s->result.unverified_valid;
        for (int c = 0; c < CHECK_COUNT; c++) {
                char why[RESULT_TEXT_MAX - 80], line[RESULT_TEXT_MAX];
                enum rule_id rule;

                if (!(set & (1u << c)))
                        continue;
                if (check_eval_rule((enum scenario_check)c, &f, why, sizeof(why), &rule)) {
                        logf_(s, "runner: check %s holds", names[c].name);
                        continue;
                }
                util_format(line, sizeof(line), "check %s failed: %s", names[c].name, why);
                logf_(s, "runner: %s", line);
                scenario_result_add_finding(res, line, rule);
                if (res->failed_check[0] != '\0')
                        continue;
                snprintf(res->failed_check, sizeof(res->failed_check), "%s", names[c].name);
                snprintf(first, first_len, "%s", line);
                snprintf(first_spec, first_spec_len, "%s", names[c].spec);
                s->check_rule = rule;
        }
        return res->failed_check[0] != '\0';
}

/*
 * Whether the harness itself ran short (connection table, descriptors, memory)
 * while the scenario ran, or its per-source listener cap refused connections
 * meanwhile (design.md §7: a cause has a class); verdict_judge decides what that
 * voids. *short_n and *refused_n get the counts for the cause.
 */
static void scen_pressure(struct scen *s, struct net_pressure *p, unsigned long *short_n,
                          unsigned long *refused_n)
{
        net_pressure(s->r->loop, p);
        *short_n = p->shortages > s->shortages0 ? p->shortages - s->shortages0 : 0;
        *refused_n = p->refused_source > s->refused0 ? p->refused_source - s->refused0 : 0;
}

/* The cause of an error verdict_judge laid on the harness (VERDICT_BY_HARNESS_*). */
static void harness_cause(struct scen *s, enum verdict_basis basis, const struct net_pressure *p,
                          unsigned long short_n, unsigned long refused_n)
{
        struct scenario_result *res = s->res;
        char was[RESULT_TEXT_MAX];

        snprintf(was, sizeof(was), "%s", res->cause);
        if (basis == VERDICT_BY_HARNESS_SHORT)
                util_format(res->cause, sizeof(res->cause),
                            "the harness ran short during this scenario (%lu time%s; last: %s): "
                            "nothing to judge (it saw: %s)",
                            short_n, short_n > 1 ? "s" : "", p->last_text, was);
        else
                util_format(
                    res->cause, sizeof(res->cause),
                    "the harness ran short during this scenario: its per-source listener cap "
                    "refused %lu connection%s (the partner's may have been one): nothing to "
                    "judge (it saw: %s)",
                    refused_n, refused_n > 1 ? "s" : "", was);
        res->error_cause = ERROR_CAUSE_HARNESS;
        res->rule_id = RULE_H_HARNESS_SHORT;
        snprintf(res->spec, sizeof(res->spec), "%s", rule_cite(res->rule_id));
        logf_(s, "runner: %s", res->cause);
}

/*
 * " (meanwhile it connected N times to harness.test without reaching a scenario and
 * was refused: ...)" when streams were refused outside any scenario while s ran
 * (a partner whose streams the harness could not attribute, issue 10), else "".
 */
static void refused_meanwhile(const struct scen *s, char *out, size_t len)
{
        char causes[RESULT_TEXT_MAX / 2];
        unsigned long n = refusals_text(&s->r->refused, &s->refusals0, causes, sizeof(causes));

        out[0] = '\0';
        if (n > 0)
                util_format(out, len,
                            " (meanwhile it connected %lu time%s to %s without reaching a scenario "
                            "and was refused: %s)",
                            n, n == 1 ? "" : "s", s->r->domain, causes);
}

/* Whether a stream error condition says the partner does not serve the 'to' domain
 * (RFC 6120 §4.9.3.6 host-unknown, §4.9.3.5 host-gone). */
static bool not_served(const char *condition)
{
        return strcmp(condition, "host-unknown") == 0 || strcmp(condition, "host-gone") == 0;
}

/*
 * The domains verdict's facts of a finished scenario (results.h, domains.h), from
 * typed data only: the stream error conditions, the stream id, the certificate's
 * identities (note_domain_facts) and whether a pair authenticated.
 */
static void domain_facts(struct scen *s)
{
        struct scenario_result *res = s->res;
        bool got = s->have_result && s->failure[0] == '\0';

        /* A stream opened on purpose to a domain the partner does not host (the
         * unhosted-to misbehaviour) tells nothing about the partner's own domain. */
        if (s->knobs.bad.unhosted_stream_to)
                return;
        res->cert_covers = s->cert;
        if (res->dir == DIR_OUTBOUND) {
                if (got && not_served(s->result.peer_error))
                        res->served = DOM_NO;
                else if (s->peer_opened)
                        res->served = DOM_YES;
        } else {
                /* Inbound: the partner initiated from the domain, or (a real partner)
                 * the trigger stream to it was refused as not served, or opened. */
                if (got && strcasecmp(s->result.peer_domain, s->pdomain) == 0)
                        res->served = DOM_YES;
                else if (not_served(s->trigger_error))
                        res->served = DOM_NO;
                else if (s->peer_opened)
                        res->served = DOM_YES;
        }
        if (got && res->served != DOM_NO &&
            (res->dir == DIR_OUTBOUND || strcasecmp(s->result.peer_domain, s->pdomain) == 0))
                res->authenticated = s->result.authenticated ? DOM_YES : DOM_NO;
}

static void finalize(struct scen *s)
{
        struct scenario_result *res = s->res;
        struct verdict_input vi = {0};
        struct verdict_judgement j;
        struct net_pressure pressure;
        unsigned long short_n, refused_n;
        struct stream *all[NODE_MAX_STREAMS];
        size_t k;
        char refused[RESULT_TEXT_MAX / 2 + 128];
        char check_line[RESULT_TEXT_MAX], check_spec[sizeof(res->spec)];

        if (s->finalized)
                return;
        /* Findings of streams still open now (closed ones were taken in on_closed). */
        k = node_streams(s->node, all, NODE_MAX_STREAMS);
        for (size_t i = 0; i < k; i++)
                add_findings(s, all[i]);
        k = s->trigger != NULL ? node_streams(s->trigger, all, NODE_MAX_STREAMS) : 0;
        for (size_t i = 0; i < k; i++)
                add_findings(s, all[i]);
        s->finalized = true;
        vi.expected = res->expected;
        vi.accepted = res->accepted;
        if (!s->have_result && !s->have_fallback && res->dir == DIR_INBOUND) {
                /* Still open at the deadline: its wait ends now, as its own timer would. */
                k = node_streams(s->node, all, NODE_MAX_STREAMS);
                for (size_t i = 0; i < k; i++) {
                        struct engine *e = node_stream_engine(all[i]);

                        if (engine_role(e) != ENGINE_RECEIVING || !engine_verify_only(e))
                                continue;
                        if (!engine_result(e)->final)
                                node_stream_timeout(all[i]);
                        if (engine_result(e)->final) {
                                s->have_fallback = true;
                                s->fallback = *engine_result(e);
                                break;
                        }
                }
        }
        refused_meanwhile(s, refused, sizeof(refused));
        if (refused[0] != '\0')
                logf_(s,
                      "runner: streams outside any scenario while this one ran%s; their "
                      "trace is in the run-level transcript (" REPORT_RUN_TRANSCRIPT ")",
                      refused);
        if (!s->have_result && s->have_fallback) {
                logf_(s, "runner: no other stream came in: judging the partner's stream that "
                         "carried only db:verify");
                s->have_result = true;
                s->result = s->fallback;
        }
        if (s->have_result) {
                res->observed = s->result.outcomes;
                snprintf(res->cause, sizeof(res->cause), "%s", s->result.cause);
                snprintf(res->spec, sizeof(res->spec), "%s", s->result.rule);
                res->rule_id = s->result.rule_id;
                if (s->failure[0] != '\0') {
                        vi.environment_failed = true;
                        snprintf(res->cause, sizeof(res->cause), "could not connect: %s",
                                 s->failure);
                        res->rule_id = RULE_H_CONNECT;
                        snprintf(res->spec, sizeof(res->spec), "%s", rule_cite(res->rule_id));
                } else if (s->result.peer_silent) {
                        /* Nothing said before the timeout: nothing to judge (docs/cli.md exit 3).
                         */
                        vi.environment_failed = true;
                }
        } else if (s->trigger_unverified) {
                /* Not "could not test": the partner's own answer on the trigger stream
                 * broke XEP-0220 §2.2 (it would accept anyone), so that is the verdict. */
                vi.partner_violated = true;
                util_format(
                    res->cause, sizeof(res->cause),
                    "the partner never connected in to %s%s, and on the trigger stream to %s "
                    "broke %s (%s): %s",
                    s->domain, refused, s->pdomain, rule_name(RULE_H_DB_UNVERIFIED),
                    rule_cite(RULE_H_DB_UNVERIFIED), s->trigger_why);
                snprintf(res->spec, sizeof(res->spec), "%s", s->trigger_rule);
                res->rule_id = s->trigger_rule_id;
        } else {
                vi.environment_failed = true;
                if (s->res->dir == DIR_INBOUND)
                        util_format(res->cause, sizeof(res->cause),
                                    "the partner never connected in to %s%s%s%s", s->domain,
                                    refused, s->trigger_why[0] ? ": " : "", s->trigger_why);
                else
                        util_format(res->cause, sizeof(res->cause),
                                    "no result for the stream to %s%s%s", s->pdomain,
                                    s->trigger_why[0] ? ": " : "", s->trigger_why);
                res->rule_id = RULE_H_NO_STREAM;
                snprintf(res->spec, sizeof(res->spec), "%s", rule_cite(res->rule_id));
        }
        vi.observed = res->observed;
        /* A known deviation (docs/scenarios.md <xfail>, or a quirk). */
        vi.expect_mismatch = s->def->xfail != NULL;
        if (vi.expect_mismatch)
                util_format(res->known_deviation, sizeof(res->known_deviation), "%s (%s %s)",
                            s->def->xfail, s->def->quirk_at != NULL ? "quirk at" : "scenario",
                            s->def->quirk_at != NULL ? s->def->quirk_at : s->def->file);
        /* The wire checks judge what was observed: not an environment failure. */
        if (!vi.environment_failed && (vi.observed != 0 || vi.partner_violated))
                vi.check_failed = run_checks(s, verdict_outcome_agrees(&vi), check_line,
                                             sizeof(check_line), check_spec, sizeof(check_spec));
        scen_pressure(s, &pressure, &short_n, &refused_n);
        vi.harness_short = short_n > 0;
        vi.harness_refused = refused_n > 0;
        j = verdict_judge(&vi);
        res->verdict = j.verdict;
        res->cause_class = j.cause_class;
        if (j.check_mismatch) {
                snprintf(res->cause, sizeof(res->cause), "%s", check_line);
                snprintf(res->spec, sizeof(res->spec), "%s", check_spec);
                res->rule_id = s->check_rule;
        }
        if (j.basis == VERDICT_BY_ENVIRONMENT)
                res->error_cause = ERROR_CAUSE_ENVIRONMENT;
        else if (j.basis == VERDICT_BY_HARNESS_SHORT || j.basis == VERDICT_BY_HARNESS_REFUSED)
                harness_cause(s, j.basis, &pressure, short_n, refused_n);
        if (res->verdict == VERDICT_XFAIL)
                logf_(s, "runner: expected deviation: %s", res->known_deviation);
        else if (res->verdict == VERDICT_XPASS)
                util_format(res->cause, sizeof(res->cause),
                            "expected to deviate: %s; but it matched: the quirk is gone",
                            res->known_deviation);
        domain_facts(s);
        res->seconds = now_s() - s->t0;
        logf_(s, "runner: verdict %s (expected %s)", verdict_name(res->verdict),
              outcome_name(res->expected));
        take_log(s);
        s->st = SC_DONE;
        s->r->done++;
        close_node_streams(s->node);
        close_node_streams(s->trigger);
}

/* After a success: the test stanza answered (when it counts) and, when the harness
 * misbehaves once authenticated, the partner's reaction (its stream closed): the
 * checks whose row says CHECK_NEEDS_REACTION (checks.c). */
static bool wants_reaction(const struct scen *s)
{
        return (s->def->checks & check_set_with(CHECK_NEEDS_REACTION)) != 0;
}

static bool settled(const struct scen *s)
{
        if ((s->result.outcomes & OUTCOME_SUCCESS_SET) && wants_ping(s) && !all_answered(s))
                return false;
        /* Checks that judge how the partner reacts to what the harness does (a stanza
         * too early, a from never authenticated) wait for that reaction: the partner
         * closing its stream, also when the harness has already failed. */
        if (wants_reaction(s))
                return s->main == NULL;
        return true;
}

/*
 * Settling (a test stanza's answer, a reaction): its own time is PONG_WAIT_S
 * against a real partner; when silence may decide it (smart_settle) shortened by
 * --step-timeout and by the smart window of what the run has measured so far
 * (smartwait_window, looked at again at every tick: a slower answer elsewhere
 * widens it); PONG_WAIT_REF_S with the reference partner. Never past the
 * scenario's deadline.
 */
static void settle_window(struct scen *s)
{
        struct smartwait_stats st;

        s->settle_window_ms = s->settle_full_ms;
        if (s->smart_settle) {
                net_answers(s->r->loop, &st);
                s->settle_window_ms = smartwait_window(&st, s->settle_full_ms);
        }
        s->settle_deadline = s->settle_t0 + s->settle_window_ms / 1000.0;
        if (s->settle_deadline > s->deadline)
                s->settle_deadline = s->deadline;
}

static void settle_start(struct scen *s, double now)
{
        const struct run_options *o = s->r->o;
        unsigned full = (unsigned)((s->r->ref != NULL ? PONG_WAIT_REF_S : PONG_WAIT_S) * 1000.0);

        if (s->smart_settle && o->step_timeout_ms > 0 && o->step_timeout_ms < full)
                full = o->step_timeout_ms;
        s->settle_full_ms = full;
        s->settle_t0 = now;
        settle_window(s);
}

/* The settling's end: an answer's time is measured (a test stanza answered needed
 * the partner's connection in, a round trip); silence that a smart window ended
 * says so in the transcript. */
static void settle_end(struct scen *s, double now)
{
        unsigned ms = (unsigned)((now - s->settle_t0) * 1000.0);
        struct smartwait_stats st;
        char note[160];

        if (settled(s)) {
                if (s->r->ref == NULL)
                        net_note_answer(
                            s->r->loop,
                            wants_reaction(s) ? SMARTWAIT_ON_STREAM : SMARTWAIT_ROUND_TRIP, ms);
                return;
        }
        if (s->settle_window_ms >= s->settle_full_ms || now >= s->deadline)
                return;
        net_answers(s->r->loop, &st);
        smartwait_describe(&st, s->settle_window_ms, ms, note, sizeof(note));
        logf_(s, "runner: settling ended: %s", note);
}

/*
 * Inbound against a real partner: the trigger of the scenario's own domain failed a
 * while ago (TRIGGER_GRACE_S: a partner may still be on its way in, e.g. to verify
 * dialback) and nothing of the partner's is open on the scenario's node. Waiting
 * for the scenario timeout would add nothing.
 */
static bool trigger_hopeless(const struct scen *s, double now)
{
        struct stream *open[4];

        if (!s->trigger_failed || now < s->trigger_failed_at + TRIGGER_GRACE_S)
                return false;
        return node_streams(s->node, open, ARRAY_LEN(open)) == 0;
}

/* Advances one running scenario; returns true when it finished. */
static bool tick(struct scen *s, double now)
{
        if (s->st == SC_RUNNING) {
                if (s->have_result) {
                        if (((s->result.outcomes & OUTCOME_SUCCESS_SET) || wants_reaction(s)) &&
                            !settled(s)) {
                                /* Reference §3.6: a success also needs the test stanza;
                                 * a reaction check needs the partner's answer. */
                                s->st = SC_SETTLING;
                                settle_start(s, now);
                                return false;
                        }
                        finalize(s);
                        return true;
                }
                if (now >= s->deadline) {
                        logf_(s, "runner: scenario timeout");
                        finalize(s);
                        return true;
                }
                if (trigger_hopeless(s, now)) {
                        logf_(s, "runner: the trigger failed and the partner has not connected "
                                 "in: it has no ping to answer");
                        finalize(s);
                        return true;
                }
                return false;
        }
        if (s->st == SC_SETTLING)
                settle_window(s); /* an answer slower than any before widens it */
        if (s->st == SC_SETTLING && (settled(s) || now >= s->settle_deadline)) {
                settle_end(s, now);
                finalize(s);
                return true;
        }
        return false;
}

static bool until_changed(void *user)
{
        struct runner *r = user;

        return r->changed || interrupted;
}

static void progress(struct runner *r, const struct scenario_result *res)
{
        if (!r->o->quiet)
                report_progress(stderr, r->o->progress_tty, r->done, r->n, res);
}

/*
 * Connections to a real partner a scenario may hold at once: its stream and a dialback
 * verification, and a stream of its own for each extra sender or target that cannot be
 * multiplexed (XEP-0220 §2.6). Two scenarios with extra senders started together under
 * the cap would each wait for the other's slots until the ping timed out.
 */
static unsigned conns_needed(const struct scen *s)
{
        unsigned n = 2 + (unsigned)s->n_mux;

        if (s->def->mux_additional)
                n += (unsigned)s->r->p->n_additional;
        return n;
}

/*
 * How long the loop may sleep before a running scenario has a deadline of its own
 * (its timeout, its settling time, the grace after a failed trigger): every other
 * reason to look again is an event that sets r->changed (issue 12 item 3: no
 * polling on a tick).
 */
static unsigned next_wake_ms(const struct runner *r, double now)
{
        double next = now + DEFAULT_TIMEOUT_S;

        for (size_t i = 0; i < r->n; i++) {
                const struct scen *s = &r->sc[i];

                if (s->st == SC_RUNNING) {
                        if (s->deadline < next)
                                next = s->deadline;
                        if (s->trigger_failed && s->trigger_failed_at + TRIGGER_GRACE_S < next)
                                next = s->trigger_failed_at + TRIGGER_GRACE_S;
                } else if (s->st == SC_SETTLING && s->settle_deadline < next) {
                        next = s->settle_deadline;
                }
        }
        if (next <= now)
                return 0;
        /* Rounded up: waking a millisecond early would only look and sleep again. */
        return (unsigned)((next - now) * 1000.0) + 1;
}

/*
 * The next scenario to start: against a real partner, quick ones until the run
 * has measured a round trip, then those expected to wait long, so that their
 * waits overlap the quick ones (smartwait_pick, docs/timeouts.md "Order"); with
 * the reference partner, the files' order. r->n when all have started.
 */
static size_t runner_pick(const struct runner *r, const bool *started, const bool *long_wait)
{
        struct smartwait_stats st;

        if (r->o->target == NULL) {
                for (size_t i = 0; i < r->n; i++) {
                        if (!started[i])
                                return i;
                }
                return r->n;
        }
        net_answers(r->loop, &st);
        return smartwait_pick(long_wait, started, r->n, smartwait_measured(&st));
}

static int run_all(struct runner *r, struct run_report *rep, char *err, size_t errlen)
{
        const struct run_options *o = r->o;
        unsigned jobs = o->jobs > 0 ? o->jobs : DEFAULT_JOBS;
        unsigned cap = UINT_MAX;
        bool *started, *long_wait;
        size_t pick;

        if (o->target != NULL) {
                /* A scenario may hold two connections to a real partner at once (its stream
                 * and a dialback verification), so the connection cap bounds the jobs;
                 * conns_needed() counts the scenarios that need more. */
                cap = o->partner_conns > 0 ? o->partner_conns : DEFAULT_JOBS;
                if (jobs > cap / 2)
                        jobs = cap / 2 > 0 ? cap / 2 : 1;
        }
        started = calloc(r->n > 0 ? r->n : 1, sizeof(*started));
        long_wait = calloc(r->n > 0 ? r->n : 1, sizeof(*long_wait));
        if (started == NULL || long_wait == NULL) {
                free(started);
                free(long_wait);
                snprintf(err, errlen, "no memory for the scenario order");
                return -1;
        }
        for (size_t i = 0; i < r->n; i++)
                long_wait[i] = r->sc[i].long_wait;
        progress(r, NULL);
        while (r->done < r->n) {
                double now = now_s();
                size_t running = 0;
                unsigned used = 0;

                if (interrupted)
                        break;
                for (size_t i = 0; i < r->n; i++) {
                        if (r->sc[i].st == SC_RUNNING || r->sc[i].st == SC_SETTLING) {
                                if (tick(&r->sc[i], now)) {
                                        progress(r, r->sc[i].res);
                                } else {
                                        running++;
                                        used += conns_needed(&r->sc[i]);
                                }
                        }
                }
                pick = runner_pick(r, started, long_wait);
                while (pick < r->n && running < jobs &&
                       (running == 0 || used + conns_needed(&r->sc[pick]) <= cap)) {
                        started[pick] = true;
                        if (start_scenario(&r->sc[pick], err, errlen) != 0) {
                                free(started);
                                free(long_wait);
                                return -1;
                        }
                        if (r->sc[pick].st != SC_DONE) {
                                running++;
                                used += conns_needed(&r->sc[pick]);
                        }
                        pick = runner_pick(r, started, long_wait);
                }
                r->changed = false;
                if (r->done >= r->n)
                        break;
                if (net_run_wait(r->loop, next_wake_ms(r, now_s()), until_changed, r) ==
                    NET_RUN_ERROR) {
                        free(started);
                        free(long_wait);
                        snprintf(err, errlen, "the event loop failed");
                        return -1;
                }
        }
        free(started);
        free(long_wait);
        if (interrupted) {
                rep->incomplete = true;
                snprintf(rep->incomplete_reason, sizeof(rep->incomplete_reason),
                         "interrupted by a signal after %zu of %zu scenarios", r->done, r->n);
                for (size_t i = 0; i < r->n; i++) {
                        struct scen *s = &r->sc[i];

                        if (s->st == SC_DONE)
                                continue;
                        if (s->st != SC_PENDING)
                                take_log(s);
                        judge_not_run(s->res);
                        s->res->not_run = true;
                        snprintf(s->res->cause, sizeof(s->res->cause), "not run: interrupted");
                        s->st = SC_DONE;
                }
        }
        /* Close every stream politely, bounded by the close timeout. */
        net_close_all(r->loop);
        net_run(r->loop, 3000, NULL, NULL);
        return 0;
}

static void cleanup(struct runner *r)
{
        net_free(r->loop);
        active_loop = NULL;
        for (size_t i = 0; i < r->n; i++) {
                node_free(r->sc[i].node);
                node_free(r->sc[i].trigger);
                tls_creds_free(r->sc[i].creds);
                free(r->sc[i].fnd);
                buf_cleanup(&r->sc[i].log);
        }
        free(r->sc);
        node_free(r->ref);
        node_free(r->base);
        buf_cleanup(&r->runlog);
        dnszone_free(r->zone);
        tls_creds_free(r->hcreds);
        tls_creds_free(r->pcreds);
        pki_leaf_cleanup(&r->hleaf);
        pki_leaf_cleanup(&r->pleaf);
        pki_free(r->pki);
        pki_free(r->pki2);
}

/* The refusals and the run-level transcript move to the report, with the
 * listener's counts of connections that never reached a stream. */
static void take_refusals(struct runner *r, struct run_report *rep)
{
        struct net_pressure p;

        net_pressure(r->loop, &p);
        rep->refused = r->refused;
        snprintf(rep->refused.domain, sizeof(rep->refused.domain), "%s", r->domain);
        rep->refused.dropped_before_header = p.dropped_idle;
        if (rep->refused.transcript_truncated)
                buf_printf(&r->runlog,
                           "runner: the run-level transcript keeps the first %u streams and "
                           "about %u bytes; the later ones are only counted (%lu refused in "
                           "all)\n",
                           RUN_TRANSCRIBED_MAX, RUN_TRANSCRIPT_MAX, rep->refused.total);
        rep->refused.transcript = r->runlog.data;
        r->runlog.data = NULL;
        buf_cleanup(&r->runlog);
}

/*
 * With S2SCHECK_STATS=1 in the environment: one line on stderr with the loop's poll
 * calls, so that a test can tell a loop that sleeps from one that spins (issue 12
 * item 3; docs/cli.md "Environment").
 */
static void stats_line(struct runner *r, const struct run_report *rep)
{
        const char *on = getenv("S2SCHECK_STATS");
        struct net_pressure p;
        struct smartwait_stats st;

        if (on == NULL || strcmp(on, "1") != 0)
                return;
        net_pressure(r->loop, &p);
        net_answers(r->loop, &st);
        fprintf(stderr,
                "s2scheck: stats: %lu polls, %lu without sleeping, %zu scenarios, %.1f s; "
                "%lu answers (%lu round trips), slowest %u ms\n",
                p.polls, p.polls_nowait, rep->n_results, rep->seconds, st.answers, st.round_trips,
                st.slowest_ms);
}

/* The runner's start, and the report's header: what is tested, against what. */
static void runner_begin(struct runner *r, const struct run_options *o, struct run_report *rep,
                         double t0)
{
        memset(r, 0, sizeof(*r));
        memset(rep, 0, sizeof(*rep));
        r->t0 = t0;
        buf_init(&r->runlog, 0);
        r->o = o;
        r->p = o->partner;
        snprintf(r->domain, sizeof(r->domain), "%s",
                 o->domain != NULL ? o->domain : DEFAULT_DOMAIN);
        lower(r->domain);
        rep->tool_version = S2S_VERSION;
        rep->started = time(NULL);
        rep->partner = r->p->neg;
        snprintf(rep->partner_domain, sizeof(rep->partner_domain), "%s", r->p->primary);
        for (size_t i = 0; i < r->p->n_additional && i < ARRAY_LEN(rep->additional); i++)
                snprintf(rep->additional[rep->n_additional++], sizeof(rep->additional[0]), "%s",
                         r->p->additional[i]);
        snprintf(rep->partner_source, sizeof(rep->partner_source), "%s",
                 r->p->source != NULL ? r->p->source : "");
        snprintf(rep->target, sizeof(rep->target), "%s",
                 o->target != NULL ? o->target : "built-in reference partner");
        rep->self_test = o->target == NULL;
        rep->partner_conns = o->target == NULL      ? 0
                             : o->partner_conns > 0 ? o->partner_conns
                                                    : DEFAULT_JOBS;
        if (o->target != NULL && strcasecmp(o->target, RUN_TARGET_SRV) == 0 &&
            r->p->proxy_fqdn != NULL)
                snprintf(rep->target, sizeof(rep->target), "%s:5269 (ProxyFqdn)", r->p->proxy_fqdn);
        rep->preflight = o->preflight;
}

int runner_not_run(const struct run_options *o, const char *why, struct run_report *rep, char *err,
                   size_t errlen)
{
        struct runner r;
        int rc = -1;

        runner_begin(&r, o, rep, now_s());
        if (setup_scenarios(&r, rep, err, errlen) != 0)
                goto out;
        rep->incomplete = true;
        rep->preflight_stopped = true;
        snprintf(rep->incomplete_reason, sizeof(rep->incomplete_reason), "%s", why);
        for (size_t i = 0; i < r.n; i++) {
                struct scenario_result *res = r.sc[i].res;

                judge_not_run(res);
                /* A scenario that would have been skipped anyway keeps its own reason. */
                if (r.sc[i].skip) {
                        util_format(res->cause, sizeof(res->cause), "%s", r.sc[i].skip_why);
                        continue;
                }
                res->not_run = true;
                util_format(res->cause, sizeof(res->cause), "not run: %s", why);
        }
        classify_run(rep);
        rc = 0;
out:
        cleanup(&r);
        return rc;
}

int runner_run(const struct run_options *o, struct run_report *rep, char *err, size_t errlen)
{
        struct runner r;
        struct neg_settings base_neg;
        const char *base_domain[1];
        int rc = -1;
        double t0 = now_s();

        runner_begin(&r, o, rep, t0);
        interrupted = o->interrupted ? 1 : 0;
        if (setup_pki(&r, err, errlen) != 0 || setup_net(&r, err, errlen) != 0)
                goto out;
        active_loop = r.loop;
        if (setup_scenarios(&r, rep, err, errlen) != 0)
                goto out;
        settings_from_row(TRIGGER_ROW, &base_neg);
        base_domain[0] = r.domain;
        {
                struct node_observer bobs = {NULL, NULL, on_base_closed, &r, NULL};

                r.base = new_node(&r, "harness-base", true, base_domain, 1, &base_neg, r.hcreds,
                                  NULL, NULL, &bobs, on_base_trace, &r, err, errlen);
        }
        if (r.base == NULL || setup_partner(&r, err, errlen) != 0)
                goto out;
        if (run_all(&r, rep, err, errlen) != 0)
                goto out;
        rep->seconds = now_s() - t0;
        stats_line(&r, rep);
        take_refusals(&r, rep);
        classify_run(rep);
        rc = 0;
out:
        cleanup(&r);
        return rc;
}
