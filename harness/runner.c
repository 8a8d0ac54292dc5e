#include "runner.h"

#include <ctype.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dialback.h"
#include "dns.h"
#include "dnszone.h"
#include "jid.h"
#include "net.h"
#include "node.h"
#include "pki.h"
#include "report.h"
#include "tls.h"
#include "xmlstream.h"

#define DEFAULT_DOMAIN "harness.test"
#define DEFAULT_JOBS 4
#define DEFAULT_TIMEOUT_S 30
#define TRANSCRIPT_MAX (1u << 20) /* per scenario */
#define PONG_WAIT_S 10.0
#define TICK_MS 20
/* The trigger of an inbound scenario against a real partner authenticates with
 * H9 (Opt/Opt/True): it succeeds against every valid configuration (reference §3.4). */
#define TRIGGER_ROW 9

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
        enum scen_state st;
        char domain[256];
        char ping_id[80];
        struct node *node;    /* the scenario's harness node (settings H) */
        struct node *trigger; /* inbound against a real partner: authenticates with H9 */
        struct buf log;
        double t0, deadline, settle_deadline;
        /* The stream the scenario is about, and what it ended with. */
        struct stream *main;
        bool have_result;
        struct engine_result result;
        char failure[256]; /* connect failure of the main stream */
        char trigger_why[512];
        bool pong;
        bool finalized;
        bool log_closed;
};

struct runner {
        const struct run_options *o;
        const struct partner *p;
        struct net_loop *loop;
        struct pki *pki;
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
};

static double now_s(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* snprintf that may cut: wire text and domains are bounded, the buffers are too. */
static void textf(char *dst, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void textf(char *dst, size_t len, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(dst, len, fmt, ap);
        va_end(ap);
}

void runner_interrupt(void)
{
        interrupted = 1;
        if (active_loop != NULL)
                net_interrupt(active_loop);
}

int runner_exit_code(const struct run_report *rep)
{
        if (rep->counts[VERDICT_MISMATCH] > 0 || rep->counts[VERDICT_XPASS] > 0)
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

static void on_trace(void *user, struct stream *st, const struct trace_entry *t)
{
        static const char *const kinds[] = {"send", "recv", "state", "tls", "finding", "note"};
        struct scen *s = user;

        if (s->log_closed || s->log.len > TRANSCRIPT_MAX)
                return;
        buf_printf(&s->log, "[%8.3f] %-22s %-7s %.*s\n", now_s() - s->t0, node_stream_label(st),
                   kinds[t->kind], (int)(t->len > 8192 ? 8192 : t->len), t->text);
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
                char **grown;

                if (f[i].kind == FINDING_NOTE && strncmp(f[i].rule, "reference", 9) == 0)
                        continue;
                snprintf(line, sizeof(line), "%s %s [%s] in %s: %s", node_stream_label(st),
                         f[i].kind == FINDING_VIOLATION ? "violation"
                         : f[i].kind == FINDING_ERROR   ? "error"
                                                        : "note",
                         f[i].rule, f[i].state, f[i].text);
                grown = realloc(res->findings, (res->n_findings + 1) * sizeof(*grown));
                if (grown == NULL)
                        return;
                res->findings = grown;
                res->findings[res->n_findings] = strdup(line);
                if (res->findings[res->n_findings] != NULL)
                        res->n_findings++;
        }
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
        }
        if (!s->finalized)
                add_findings(s, st);
        if (s->main == st)
                s->main = NULL;
        s->r->changed = true;
}

static void on_stanza(void *user, struct stream *st, xmlNodePtr stanza)
{
        struct scen *s = user;
        const char *type = xs_attr(stanza, "type"), *id = xs_attr(stanza, "id");

        (void)st;
        if (xs_is(stanza, XS_NS_SERVER, "iq") && type != NULL && id != NULL &&
            strcmp(id, s->ping_id) == 0) {
                if (strcmp(type, "result") == 0) {
                        s->pong = true;
                        logf_(s, "runner: the ping %s was answered", id);
                } else {
                        logf_(s, "runner: the ping %s was answered with type '%s'", id, type);
                }
                s->r->changed = true;
        }
}

static void on_trigger_result(void *user, struct stream *st)
{
        struct scen *s = user;
        const struct engine_result *res = engine_result(node_stream_engine(st));

        if (engine_role(node_stream_engine(st)) != ENGINE_INITIATING ||
            node_stream_purpose(st) != PURPOSE_AUTH || res->authenticated)
                return;
        textf(s->trigger_why, sizeof(s->trigger_why),
              "the trigger stream (H%d) could not authenticate: %s%s%s", TRIGGER_ROW, res->cause,
              node_stream_failure(st)[0] ? "; " : "", node_stream_failure(st));
        s->r->changed = true;
}

/* ---- set-up ---------------------------------------------------------------------- */

static struct tls_creds *creds_files(const char *ca, const char *cert, const char *key, char *err,
                                     size_t errlen)
{
        struct tls_creds_config c = {0};

        c.ca_file = ca;
        c.cert_file = cert;
        c.key_file = key;
        return tls_creds_new(&c, err, errlen);
}

static struct tls_creds *creds_leaf(struct pki *p, const struct pki_leaf *l, char *err,
                                    size_t errlen)
{
        struct tls_creds_config c = {0};

        c.ca_pem = pki_ca_pem(p);
        c.cert_pem = l->cert_pem;
        c.key_pem = l->key_pem;
        return tls_creds_new(&c, err, errlen);
}

static int setup_pki(struct runner *r, char *err, size_t errlen)
{
        const struct run_options *o = r->o;
        const char *pdomains[NODE_MAX_HOSTED];
        const char *hdomains[1] = {r->domain};
        size_t np = 0;

        if (o->target == NULL) {
                if (o->ca != NULL || o->cert != NULL || o->key != NULL) {
                        snprintf(err, errlen,
                                 "--ca, --cert and --key apply to runs with --target; the built-in "
                                 "reference partner uses a run-time PKI for both sides");
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
                r->pcreds = creds_leaf(r->pki, &r->pleaf, err, errlen);
                if (r->pcreds == NULL)
                        return -1;
                r->hcreds = creds_leaf(r->pki, &r->hleaf, err, errlen);
                return r->hcreds != NULL ? 0 : -1;
        }
        if ((o->cert == NULL) != (o->key == NULL)) {
                snprintf(err, errlen, "--cert and --key go together");
                return -1;
        }
        if (o->cert == NULL) {
                snprintf(err, errlen,
                         "a run against --target needs the harness certificate: --cert FILE --key "
                         "FILE (valid for %s and *.%s) and --ca FILE (the partner's CA)",
                         r->domain, r->domain);
                return -1;
        }
        r->hcreds = creds_files(o->ca, o->cert, o->key, err, errlen);
        return r->hcreds != NULL ? 0 : -1;
}

static struct node *new_node(struct runner *r, const char *name, const char *const *domains,
                             size_t n, const struct neg_settings *neg, struct tls_creds *creds,
                             const char *secret, const struct node_observer *obs,
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
        cfg.db_answer = DB_ANSWER_TRUTHFUL;
        xs_limits_default(&cfg.limits);
        cfg.trace = trace;
        cfg.trace_user = trace_user;
        cfg.answer_pings = true;
        return node_new(&cfg, &t, obs, err, errlen);
}

/* Routes an accepted connection by its stream's 'to' (virtual hosting). */
static struct node *route(void *user, const char *to)
{
        struct runner *r = user;

        for (size_t i = 0; to != NULL && i < r->n; i++) {
                if (r->sc[i].node != NULL && strcasecmp(r->sc[i].domain, to) == 0)
                        return r->sc[i].node;
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
        if (o->step_timeout_ms > 0) {
                for (int s = 0; s < NET_STATES; s++) {
                        if (t.step_ms[s] != 0)
                                t.step_ms[s] = o->step_timeout_ms;
                }
        }
        net_set_timeouts(r->loop, &t);
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
                              err, errlen) != 0)
                return -1;
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
                zc.addrs[zc.naddrs++] = r->listen_host;
                zc.port = r->listen_port;
                r->zone = dnszone_new(&zc, err, errlen);
                if (r->zone == NULL ||
                    net_serve_dns(r->loop, host, dport, r->zone, NULL, err, errlen) != 0)
                        return -1;
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
                /* "--target srv": found through its SRV records (RFC 6120 §3.2, XEP-0368). */
                if (strcasecmp(o->target, RUN_TARGET_SRV) == 0)
                        return 0;
                if (parse_hostport(o->target, "--target", 5269, host, sizeof(host), &port, err,
                                   errlen) != 0)
                        return -1;
                for (size_t i = 0; i < n; i++) {
                        if (net_set_target(r->loop, domains[i], host, port, err, errlen) != 0)
                                return -1;
                }
                return 0;
        }
        r->ref = new_node(r, "partner", domains, n, &r->p->neg, r->pcreds, NULL, NULL, NULL, NULL,
                          err, errlen);
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

static int setup_scenarios(struct runner *r, struct run_report *rep, char *err, size_t errlen)
{
        size_t n = 2 * SETTINGS_ROWS;

        rep->results = calloc(n, sizeof(*rep->results));
        r->sc = calloc(n, sizeof(*r->sc));
        if (rep->results == NULL || r->sc == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        rep->n_results = n;
        r->n = n;
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        size_t i = (size_t)(h - 1) * 2 + (size_t)d;
                        struct scen *s = &r->sc[i];
                        struct scenario_result *res = &rep->results[i];
                        char sum[16];

                        s->r = r;
                        s->res = res;
                        buf_init(&s->log, 0);
                        res->dir = (enum direction)d;
                        res->harness_row = h;
                        settings_from_row(h, &res->harness);
                        res->hsem = SEMANTICS_MATRIX;
                        snprintf(res->id, sizeof(res->id), "H%d-%s", h,
                                 d == DIR_OUTBOUND ? "out" : "in");
                        snprintf(res->title, sizeof(res->title), "H%d %s, %s", h,
                                 settings_summary(&res->harness, sum, sizeof(sum)),
                                 d == DIR_OUTBOUND ? "the harness initiates"
                                                   : "the partner initiates");
                        textf(s->domain, sizeof(s->domain), "%s.%s", res->id, r->domain);
                        lower(s->domain);
                        snprintf(res->harness_domain, sizeof(res->harness_domain), "%s", s->domain);
                        snprintf(s->ping_id, sizeof(s->ping_id), "s2scheck-%s", res->id);
                        res->expected =
                            oracle_expect(&res->harness, res->hsem, &r->p->neg, res->dir,
                                          res->rationale, sizeof(res->rationale));
                        res->verdict = VERDICT_SKIP;
                        snprintf(res->cause, sizeof(res->cause), "not run");
                }
        }
        return 0;
}

static int start_scenario(struct scen *s, char *err, size_t errlen)
{
        struct runner *r = s->r;
        struct node_observer obs = {on_stanza, on_result, on_closed, s};
        const char *d[1] = {s->domain};
        char secret[DIALBACK_KEY_LEN + 1];

        s->t0 = now_s();
        s->deadline = s->t0 + (r->o->timeout_s > 0 ? r->o->timeout_s : DEFAULT_TIMEOUT_S);
        /* The trigger and the scenario node answer db:verify for the same domain:
         * they share one secret (never logged). */
        if (dialback_new_secret(secret) != 0) {
                snprintf(err, errlen, "no randomness for a dialback secret");
                return -1;
        }
        s->node = new_node(r, "harness", d, 1, &s->res->harness, r->hcreds, secret, &obs, on_trace,
                           s, err, errlen);
        if (s->node == NULL)
                return -1;
        s->st = SC_RUNNING;
        logf_(s, "runner: scenario %s (%s) against %s; expected %s: %s", s->res->id, s->res->title,
              r->p->primary, outcome_name(s->res->expected), s->res->rationale);
        if (s->res->dir == DIR_OUTBOUND) {
                if (node_ping(s->node, s->domain, r->p->primary, s->ping_id) == NULL) {
                        snprintf(s->trigger_why, sizeof(s->trigger_why), "could not open a stream");
                }
                return 0;
        }
        if (r->ref != NULL) {
                /* The reference partner connects in when it has something to say. */
                logf_(s, "runner: asking the reference partner to send a ping to %s", s->domain);
                if (node_ping(r->ref, r->p->primary, s->domain, s->ping_id) == NULL)
                        snprintf(s->trigger_why, sizeof(s->trigger_why),
                                 "the reference partner could not open a stream");
                return 0;
        }
        {
                /* A real partner connects in to answer a ping (design.md §2, XEP-0199). */
                struct neg_settings trig;
                struct node_observer tobs = {NULL, on_trigger_result, NULL, s};

                settings_from_row(TRIGGER_ROW, &trig);
                s->trigger = new_node(r, "trigger", d, 1, &trig, r->hcreds, secret, &tobs, on_trace,
                                      s, err, errlen);
                if (s->trigger == NULL)
                        return -1;
                logf_(s, "runner: triggering: a ping from %s to %s over an H%d stream", s->domain,
                      r->p->primary, TRIGGER_ROW);
                if (node_ping(s->trigger, s->domain, r->p->primary, s->ping_id) == NULL)
                        snprintf(s->trigger_why, sizeof(s->trigger_why),
                                 "the trigger could not open a stream");
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

static void finalize(struct scen *s)
{
        struct scenario_result *res = s->res;
        struct verdict_input vi = {0};
        struct stream *all[NODE_MAX_STREAMS];
        size_t k;

        if (s->finalized)
                return;
        /* Findings of streams still open now (closed ones were taken in on_closed). */
        k = node_streams(s->node, all, NODE_MAX_STREAMS);
        for (size_t i = 0; i < k; i++)
                add_findings(s, all[i]);
        s->finalized = true;
        vi.expected = res->expected;
        vi.accepted = res->accepted;
        if (s->have_result) {
                res->observed = s->result.outcomes;
                snprintf(res->cause, sizeof(res->cause), "%s", s->result.cause);
                snprintf(res->spec, sizeof(res->spec), "%s", s->result.rule);
                if (s->failure[0] != '\0') {
                        vi.environment_failed = true;
                        snprintf(res->cause, sizeof(res->cause), "could not connect: %s",
                                 s->failure);
                        snprintf(res->spec, sizeof(res->spec), "RFC 6120 §3.2");
                } else if (s->result.peer_silent) {
                        /* Nothing said before the timeout: nothing to judge (docs/cli.md exit 3).
                         */
                        vi.environment_failed = true;
                }
        } else {
                vi.environment_failed = true;
                if (s->res->dir == DIR_INBOUND)
                        textf(res->cause, sizeof(res->cause),
                              "the partner never connected in to %s%s%s", s->domain,
                              s->trigger_why[0] ? ": " : "", s->trigger_why);
                else
                        textf(res->cause, sizeof(res->cause), "no result for the stream to %s%s%s",
                              s->r->p->primary, s->trigger_why[0] ? ": " : "", s->trigger_why);
                snprintf(res->spec, sizeof(res->spec), "design.md §2");
        }
        vi.observed = res->observed;
        res->verdict = verdict_judge(&vi);
        if (res->verdict == VERDICT_MATCH && (res->observed & OUTCOME_SUCCESS_SET) && !s->pong &&
            res->dir == DIR_OUTBOUND) {
                /* Reference §3.6: a success also requires an accepted test stanza. */
                char line[200];
                char **grown = realloc(res->findings, (res->n_findings + 1) * sizeof(*grown));

                snprintf(line, sizeof(line),
                         "note: the ping %s sent after authentication was not answered in time",
                         s->ping_id);
                if (grown != NULL) {
                        res->findings = grown;
                        res->findings[res->n_findings] = strdup(line);
                        if (res->findings[res->n_findings] != NULL)
                                res->n_findings++;
                }
        }
        res->seconds = now_s() - s->t0;
        logf_(s, "runner: verdict %s (expected %s)", verdict_name(res->verdict),
              outcome_name(res->expected));
        take_log(s);
        s->st = SC_DONE;
        s->r->done++;
        close_node_streams(s->node);
        close_node_streams(s->trigger);
}

/* Advances one running scenario; returns true when it finished. */
static bool tick(struct scen *s, double now)
{
        if (s->st == SC_RUNNING) {
                if (s->have_result) {
                        if ((s->result.outcomes & OUTCOME_SUCCESS_SET) &&
                            s->res->dir == DIR_OUTBOUND && !s->pong) {
                                s->st = SC_SETTLING;
                                s->settle_deadline = now + PONG_WAIT_S;
                                if (s->settle_deadline > s->deadline)
                                        s->settle_deadline = s->deadline;
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
                return false;
        }
        if (s->st == SC_SETTLING && (s->pong || now >= s->settle_deadline)) {
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

static int run_all(struct runner *r, struct run_report *rep, char *err, size_t errlen)
{
        const struct run_options *o = r->o;
        unsigned jobs = o->jobs > 0 ? o->jobs : DEFAULT_JOBS;
        size_t next = 0;

        if (o->target != NULL) {
                /* A scenario may hold two connections to a real partner at once (its stream
                 * and a dialback verification), so the connection cap bounds the jobs. */
                unsigned cap = o->partner_conns > 0 ? o->partner_conns : DEFAULT_JOBS;

                if (jobs > cap / 2)
                        jobs = cap / 2 > 0 ? cap / 2 : 1;
        }
        progress(r, NULL);
        while (r->done < r->n) {
                double now = now_s();
                size_t running = 0;

                if (interrupted)
                        break;
                for (size_t i = 0; i < r->n; i++) {
                        if (r->sc[i].st == SC_RUNNING || r->sc[i].st == SC_SETTLING) {
                                if (tick(&r->sc[i], now))
                                        progress(r, r->sc[i].res);
                                else
                                        running++;
                        }
                }
                while (next < r->n && running < jobs) {
                        if (start_scenario(&r->sc[next], err, errlen) != 0)
                                return -1;
                        next++;
                        running++;
                }
                r->changed = false;
                if (net_run(r->loop, TICK_MS, until_changed, r) == NET_RUN_ERROR) {
                        snprintf(err, errlen, "the event loop failed");
                        return -1;
                }
        }
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
                        s->res->verdict = VERDICT_SKIP;
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
                buf_cleanup(&r->sc[i].log);
        }
        free(r->sc);
        node_free(r->ref);
        node_free(r->base);
        dnszone_free(r->zone);
        tls_creds_free(r->hcreds);
        tls_creds_free(r->pcreds);
        pki_leaf_cleanup(&r->hleaf);
        pki_leaf_cleanup(&r->pleaf);
        pki_free(r->pki);
}

int runner_run(const struct run_options *o, struct run_report *rep, char *err, size_t errlen)
{
        struct runner r;
        struct neg_settings base_neg;
        const char *base_domain[1];
        int rc = -1;
        double t0 = now_s();

        memset(&r, 0, sizeof(r));
        memset(rep, 0, sizeof(*rep));
        interrupted = 0;
        r.o = o;
        r.p = o->partner;
        snprintf(r.domain, sizeof(r.domain), "%s", o->domain != NULL ? o->domain : DEFAULT_DOMAIN);
        lower(r.domain);
        rep->tool_version = S2S_VERSION;
        rep->started = time(NULL);
        rep->partner = r.p->neg;
        snprintf(rep->partner_domain, sizeof(rep->partner_domain), "%s", r.p->primary);
        snprintf(rep->partner_source, sizeof(rep->partner_source), "%s",
                 r.p->source != NULL ? r.p->source : "");
        snprintf(rep->target, sizeof(rep->target), "%s",
                 o->target != NULL ? o->target : "built-in reference partner");
        if (setup_pki(&r, err, errlen) != 0 || setup_net(&r, err, errlen) != 0)
                goto out;
        active_loop = r.loop;
        if (setup_scenarios(&r, rep, err, errlen) != 0)
                goto out;
        settings_from_row(TRIGGER_ROW, &base_neg);
        base_domain[0] = r.domain;
        r.base = new_node(&r, "harness", base_domain, 1, &base_neg, r.hcreds, NULL, NULL, NULL,
                          NULL, err, errlen);
        if (r.base == NULL || setup_partner(&r, err, errlen) != 0)
                goto out;
        if (run_all(&r, rep, err, errlen) != 0)
                goto out;
        rep->seconds = now_s() - t0;
        report_summarize(rep);
        rc = 0;
out:
        cleanup(&r);
        return rc;
}
