/*
 * The S2S engine. One place changes state (set_state) and traces "A -> B";
 * every deviation becomes a finding naming the state, the element and the rule.
 */
#include "engine.h"

#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "certid.h"
#include "jid.h"
#include "tls.h"
#include "util.h"

#define NS_TLS "urn:ietf:params:xml:ns:xmpp-tls"
#define NS_SASL "urn:ietf:params:xml:ns:xmpp-sasl"
#define NS_DB_FEATURE "urn:xmpp:features:dialback"
#define NS_BIDI_FEATURE "urn:xmpp:features:bidi"
#define NS_STANZAS "urn:ietf:params:xml:ns:xmpp-stanzas"

#define MAX_EVENTS 32
#define MAX_FINDINGS 64
#define MAX_PAIRS 16
#define MAX_IDS 8
#define MAX_VERIFIES 8 /* db:verify requests open on one AUTH stream */
#define DOMAIN_MAX 256
#define ID_MAX 128
#define DEFAULT_BEFORE_FEATURES 16384
#define TLS_PUMP_ROUNDS 64
#define HOSTILE_COUNT 10000                    /* nesting, attributes, features */
#define HOSTILE_HUGE_BYTES (10u * 1024 * 1024) /* the huge element's text */

/* What the parser handler asked for when it paused the reader. */
enum switch_kind {
        SWITCH_NONE,
        SWITCH_TLS,     /* the bytes after this element are TLS records */
        SWITCH_RESTART, /* the bytes after this element belong to a new stream */
};

/* What the initiating side learnt from <stream:features/>. */
struct peer_features {
        bool seen;
        bool starttls, starttls_required;
        bool mechanisms, external;
        bool dialback, dialback_errors;
        bool bidi;
        unsigned count; /* first-level children */
};

/* A dialback domain pair (XEP-0220 §2.6 multiplexing); from is always the
 * initiating side's domain. */
struct pair {
        char from[DOMAIN_MAX], to[DOMAIN_MAX];
        bool pending, verified, failed;
        /* Initiating: the stream id and key of our db:result, which the peer's
         * db:verify must carry to our authoritative server (engine_config.ledger). */
        char id[ID_MAX], key[DIALBACK_KEY_LEN + 1];
        /* Receiving: the target is another server's at this address (engine_vhost),
         * judged under its settings; how it ended (engine_pair_result). */
        bool vhost, done;
        bool cut; /* ended by the stream's close, not by an answer: not final */
        /* Initiating: refused by our step timer (engine_timeout), and whether the
         * peer's late answer to it came since (one is a note, a second is DB-9). */
        bool timed_out, late_answer;
        unsigned seq; /* initiating: order of a multiplexed request (engine_add_pair) */
        struct neg_settings neg;
        enum semantics sem;
        unsigned outcomes;
        char cause[ENGINE_TEXT_MAX], rule[64];
        enum rule_id rule_id;
};

#define MAX_HOSTED 16

/* A db:verify request sent on an AUTH stream (engine_send_verify). */
struct verify_req {
        char from[DOMAIN_MAX], to[DOMAIN_MAX], id[ID_MAX];
};

struct engine {
        struct engine_config cfg;
        char *hosted_store[MAX_HOSTED]; /* copies of cfg->hosted (strdup) */
        const char *hosted[MAX_HOSTED];
        char remote[DOMAIN_MAX];
        char secret[DIALBACK_KEY_LEN * 2 + 1];
        char v_from[DOMAIN_MAX], v_to[DOMAIN_MAX], v_id[ID_MAX], v_key[DIALBACK_KEY_LEN + 1];

        enum engine_state state;
        struct xs_parser *xs;
        struct buf out;   /* wire bytes for the peer */
        struct buf plain; /* scratch: plaintext out of TLS */
        enum switch_kind pending_switch;

        struct tls_session *tls;
        bool tls_attempted, tls_up;
        bool direct_tls; /* XEP-0368: TLS from the first byte */
        struct tls_peer peer;
        bool have_peer;
        bool peer_cert_bad; /* initiating: the peer's certificate failed our check */

        char stream_id[ID_MAX];
        char ids[MAX_IDS][ID_MAX]; /* every stream id seen or issued, for STR-6 */
        size_t n_ids;
        bool header_sent; /* receiving: our response header for the current stream */
        bool legacy;      /* the peer's header had no version (RFC 6120 §4.7.5) */
        bool no_to;       /* receiving: the peer's header had no 'to' (legacy dialback) */

        struct peer_features feat;
        bool peer_db_declared;
        char peer_from[DOMAIN_MAX], peer_to[DOMAIN_MAX];
        size_t bytes_in;
        bool first_features_seen;
        struct engine_input_counts counts; /* for the owner's step timer */

        /* Progress. */
        bool sasl_done, sasl_tried;
        /* Misbehaviour stanza-before-auth: the early stanza went out, so a failure waits
         * for the peer's answer (<not-authorized/>) instead of closing first. */
        bool early_stanza_sent;
        bool awaiting_peer_close; /* in EXPECT_CLOSE without our </stream:stream> sent */
        unsigned sasl_failures;
        bool starttls_offered;   /* receiving: offered in the current features */
        bool starttls_unoffered; /* receiving: the peer asked for TLS we did not offer */
        bool auth_attempted;     /* receiving: the peer tried SASL or dialback */
        bool claim_open;         /* initiating: our unsolicited db:result, not yet answered */
        /* initiating: the target of our db:result that the peer does not host
         * (unhosted_db_target misbehaviour), "" when none */
        char unhosted_target[DOMAIN_MAX];
        bool verify_only;      /* receiving: only db:verify so far */
        bool got_verify;       /* receiving: a db:verify arrived */
        enum outcome detected; /* F1/F2 detected explicitly, else OUTCOME_COUNT */
        /* Dialback pairs: ours when initiating, the peer's when receiving. */
        struct pair *pairs[MAX_PAIRS]; /* each allocated when the pair is asked for */
        /* Multiplexed requests sent (pair.seq), and the newest one the running step
         * timer covers: the requests sent before any byte came from the peer since
         * the step began (counts.bytes then: mux_step_bytes). One sent later has a
         * step of its own (engine_timeout refuses only the pairs the step covered). */
        unsigned mux_seq, mux_step_seq;
        unsigned long long mux_step_bytes;
        size_t n_pairs;
        char sasl_identity[DOMAIN_MAX];
        /* Initiating AUTH: db:verify requests sent on this stream (engine_send_verify). */
        struct verify_req *verifies; /* MAX_VERIFIES of them, from the first request */
        size_t n_verifies;

        /*
         * On demand (issue 13: an idle stream held 104 KB of fixed tables): the
         * event queue (events[ev_head .. ev_head + ev_len), at most MAX_EVENTS, freed
         * whenever the owner drained it) and the findings (at most MAX_FINDINGS),
         * each grown as entries come; the bounds are those of the fixed tables.
         */
        struct engine_event *events;
        size_t ev_head, ev_len, ev_cap;
        struct finding *findings;
        size_t n_findings, findings_cap;
        size_t dropped_findings;
        struct engine_result result;
        /* Wire hostility (knobs.bad.wire): done once; then the engine sends nothing. */
        bool hostile_sent;
        bool muted;
};

/* The struct itself stays small: its tables are allocated as they fill (issue 13:
 * 1,000 idle streams under 64 MiB; docs/performance.md). */
_Static_assert(sizeof(struct engine) <= ENGINE_FIXED_MAX, "struct engine grew past its budget");

/*
 * Makes room in *table (capacity *cap items of size sz, n of them used) for one
 * more item, doubling it up to max items. Returns 0, or -1 at max or out of memory
 * (the table is then unchanged).
 */
static int grow_table(void **table, size_t *cap, size_t n, size_t max, size_t sz)
{
        size_t want;
        void *t;

        if (n < *cap)
                return 0;
        if (n >= max)
                return -1;
        want = *cap > 0 ? *cap * 2 : 4;
        if (want > max)
                want = max;
        t = realloc(*table, want * sz);
        if (t == NULL)
                return -1;
        *table = t;
        *cap = want;
        return 0;
}

#define I_ (1u << ENGINE_INITIATING)
#define R_ (1u << ENGINE_RECEIVING)

/*
 * One row per state: its name, who enters it, what bounds the wait in it, and
 * what the engine records when that bound fires (engine_timeout_detail). A
 * state added to enum engine_state without a row here has DEADLINE_NONE and
 * fails tests/test_engine_silence.c. docs/timeouts.md shows the table.
 */
static const struct engine_state_info state_info[ENGINE_STATE_COUNT] = {
    [ST_START] = {"START", I_, DEADLINE_CONNECT,
                  "the connection's failure (DNS, connect): no stream, no bytes"},
    [ST_EXPECT_HEADER] = {"EXPECT_HEADER", I_ | R_, DEADLINE_STEP,
                          "timeout while EXPECT_HEADER: F3 after TLS, else the failure codes "
                          "this side cannot tell apart"},
    [ST_EXPECT_FEATURES] = {"EXPECT_FEATURES", I_, DEADLINE_STEP,
                            "timeout while EXPECT_FEATURES (F3 after TLS, else F4)"},
    [ST_EXPECT_PROCEED] = {"EXPECT_PROCEED", I_, DEADLINE_STEP,
                           "timeout while EXPECT_PROCEED (F3: TLS attempted)"},
    [ST_EXPECT_TLS_HANDSHAKE] = {"EXPECT_TLS_HANDSHAKE", I_ | R_, DEADLINE_STEP,
                                 "timeout while EXPECT_TLS_HANDSHAKE (F3); no close tag"},
    [ST_EXPECT_SASL_RESULT] = {"EXPECT_SASL_RESULT", I_, DEADLINE_STEP,
                               "timeout while EXPECT_SASL_RESULT (F3)"},
    [ST_EXPECT_DB_RESULT] = {"EXPECT_DB_RESULT", I_, DEADLINE_STEP,
                             "timeout while EXPECT_DB_RESULT (dialback ignored?): F3 after "
                             "TLS, else F4"},
    [ST_EXPECT_VERIFY_ANSWER] = {"EXPECT_VERIFY_ANSWER", I_, DEADLINE_STEP,
                                 "could not verify: timeout; the requester answers "
                                 "type='error' <remote-server-timeout/>"},
    [ST_EXPECT_STARTTLS] = {"EXPECT_STARTTLS", R_, DEADLINE_STEP,
                            "timeout while EXPECT_STARTTLS: F2 with our TLS Required, else "
                            "the failure codes this side cannot tell apart"},
    [ST_EXPECT_AUTH] = {"EXPECT_AUTH", R_, DEADLINE_STEP,
                        "timeout while EXPECT_AUTH: F1|F4 when no STARTTLS was offered and "
                        "nothing tried, F3 after TLS"},
    [ST_EXPECT_CLAIM_ANSWER] = {"EXPECT_CLAIM_ANSWER", I_, DEADLINE_STEP,
                                "the claim and the stanzas sent under it ignored (XEP-0220 "
                                "§3.1, DB-9): F3 after TLS, else F4; not a timeout"},
    [ST_EXPECT_STANZAS] = {"EXPECT_STANZAS", I_ | R_, DEADLINE_OWNER,
                           "nothing: the result is final; the owner closes the stream (a "
                           "multiplexed pair awaiting its db:result is timed as "
                           "EXPECT_DB_RESULT, engine_step_state, and refused when it fires)"},
    [ST_EXPECT_CLOSE] = {"EXPECT_CLOSE", I_ | R_, DEADLINE_CLOSE,
                         "trace note 'the peer did not close its stream in time'; the "
                         "result is unchanged"},
    [ST_CLOSED] = {"CLOSED", I_ | R_, DEADLINE_CLOSE,
                   "the connection is dropped with what the peer did not take"},
};

#undef I_
#undef R_

const struct engine_state_info *engine_state_info(enum engine_state s)
{
        if ((unsigned)s >= ENGINE_STATE_COUNT)
                return NULL;
        return &state_info[s];
}

const char *engine_state_name(enum engine_state s)
{
        const struct engine_state_info *i = engine_state_info(s);

        return i != NULL && i->name != NULL ? i->name : "?";
}

void engine_knobs_default(struct engine_knobs *k)
{
        memset(k, 0, sizeof(*k));
        k->on_bad_peer_cert = BADCERT_REFERENCE;
        k->dialback_off_reply = DBOFF_STREAM_ERROR;
        k->dialback_after_sasl_failure = true;
        k->sasl_send_authzid = false;
        k->dialback_requires_valid_cert = false;
        k->declare_db_without_method = false;
        k->sasl_max_failures = 3;
}

void engine_event_cleanup(struct engine_event *ev)
{
        if (ev->stanza != NULL) {
                xmlFreeNode(ev->stanza);
                ev->stanza = NULL;
        }
}

/* ---- tracing, findings, state ------------------------------------------------ */

const char *engine_trace_kind_name(enum trace_kind k)
{
        static const char *const names[] = {
            [TRACE_SEND] = "send", [TRACE_RECV] = "recv",       [TRACE_STATE] = "state",
            [TRACE_TLS] = "tls",   [TRACE_FINDING] = "finding", [TRACE_NOTE] = "note",
        };

        return (unsigned)k < ARRAY_LEN(names) ? names[k] : "?";
}

static void trace_obs(struct engine *e, enum trace_kind kind, const char *text, size_t len,
                      const struct engine_obs *obs)
{
        struct trace_entry t = {kind, text, len, obs};

        if (e->cfg.trace != NULL)
                e->cfg.trace(e->cfg.trace_user, &t);
}

static void trace(struct engine *e, enum trace_kind kind, const char *text, size_t len)
{
        trace_obs(e, kind, text, len, NULL);
}

/* A formatted trace line (cut at ENGINE_TEXT_MAX) telling obs (NULL: nothing). */
static void vtracef(struct engine *e, enum trace_kind kind, const struct engine_obs *obs,
                    const char *fmt, va_list ap)
{
        char text[ENGINE_TEXT_MAX];

        if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
                return;
        trace_obs(e, kind, text, strlen(text), obs);
}

static void tracef(struct engine *e, enum trace_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tracef(struct engine *e, enum trace_kind kind, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vtracef(e, kind, NULL, fmt, ap);
        va_end(ap);
}

/* tracef with the observation the line tells (never NULL). */
static void tracef_obs(struct engine *e, enum trace_kind kind, const struct engine_obs *obs,
                       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void tracef_obs(struct engine *e, enum trace_kind kind, const struct engine_obs *obs,
                       const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vtracef(e, kind, obs, fmt, ap);
        va_end(ap);
}

static const char *or_empty(const char *s)
{
        return s != NULL ? s : "";
}

/* The first child element of n in namespace ns other than <text/>, or "" */
static const char *child_condition(xmlNodePtr n, const char *ns)
{
        for (xmlNodePtr c = n->children; c != NULL; c = c->next)
                if (c->type == XML_ELEMENT_NODE && !xs_is(c, ns, "text") &&
                    xs_is(c, ns, (const char *)c->name))
                        return (const char *)c->name;
        return "";
}

/* What element n (sent or received) tells as data: false for an element no
 * observation describes. Strings in *o are borrowed from n. */
static bool element_obs(xmlNodePtr n, bool sent, struct engine_obs *o)
{
        memset(o, 0, sizeof(*o));
        if (xs_is(n, XS_NS_DIALBACK, "result"))
                o->kind = sent ? OBS_DB_RESULT_SENT : OBS_DB_RESULT_RECV;
        else if (xs_is(n, XS_NS_DIALBACK, "verify"))
                o->kind = sent ? OBS_DB_VERIFY_SENT : OBS_DB_VERIFY_RECV;
        else if (!sent && xs_is(n, NS_SASL, "success"))
                o->kind = OBS_SASL_SUCCESS;
        else if (!sent && xs_is(n, NS_SASL, "failure"))
                o->kind = OBS_SASL_FAILURE;
        else if (!sent && xs_is(n, XS_NS_STREAMS, "error"))
                o->kind = OBS_STREAM_ERROR_RECV;
        else
                return false;
        o->id = or_empty(xs_attr(n, "id"));
        o->from = or_empty(xs_attr(n, "from"));
        o->to = or_empty(xs_attr(n, "to"));
        o->type = or_empty(xs_attr(n, "type"));
        o->cond = o->kind == OBS_SASL_FAILURE        ? child_condition(n, NS_SASL)
                  : o->kind == OBS_STREAM_ERROR_RECV ? child_condition(n, XS_NS_STREAM_ERRORS)
                                                     : "";
        return true;
}

/* A finding: stored (bounded) and traced. cond and type (NULL = none) say what it
 * is about as data (struct finding). */
static void vfinding(struct engine *e, enum finding_kind kind, enum rule_id rule, const char *cond,
                     const char *type, const char *fmt, va_list ap)
{
        struct finding f;

        memset(&f, 0, sizeof(f));
        f.kind = kind;
        snprintf(f.state, sizeof(f.state), "%s", engine_state_name(e->state));
        f.rule_id = rule;
        snprintf(f.rule, sizeof(f.rule), "%s", rule_cite(rule));
        snprintf(f.cond, sizeof(f.cond), "%s", cond != NULL ? cond : "");
        snprintf(f.type, sizeof(f.type), "%s", type != NULL ? type : "");
        vsnprintf(f.text, sizeof(f.text), fmt, ap);
        tracef(e, TRACE_FINDING, "%s [%s] in %s: %s",
               kind == FINDING_VIOLATION ? "violation"
               : kind == FINDING_NOTE    ? "note"
                                         : "error",
               f.rule, f.state, f.text);
        if (e->n_findings >= MAX_FINDINGS ||
            grow_table((void **)&e->findings, &e->findings_cap, e->n_findings, MAX_FINDINGS,
                       sizeof(f)) != 0) {
                e->dropped_findings++;
                return;
        }
        e->findings[e->n_findings++] = f;
}

static void finding(struct engine *e, enum finding_kind kind, enum rule_id rule, const char *fmt,
                    ...) __attribute__((format(printf, 4, 5)));

static void finding(struct engine *e, enum finding_kind kind, enum rule_id rule, const char *fmt,
                    ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfinding(e, kind, rule, NULL, NULL, fmt, ap);
        va_end(ap);
}

/* A finding about a condition cond and/or a dialback type (NULL = none). */
static void finding_about(struct engine *e, enum finding_kind kind, enum rule_id rule,
                          const char *cond, const char *type, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

static void finding_about(struct engine *e, enum finding_kind kind, enum rule_id rule,
                          const char *cond, const char *type, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vfinding(e, kind, rule, cond, type, fmt, ap);
        va_end(ap);
}

static void set_state(struct engine *e, enum engine_state s)
{
        if (e->state == s)
                return;
        tracef(e, TRACE_STATE, "%s -> %s", engine_state_name(e->state), engine_state_name(s));
        e->state = s;
}

static struct engine_event *push_event(struct engine *e, enum engine_event_kind kind)
{
        struct engine_event *ev;

        if (e->ev_len >= MAX_EVENTS) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL,
                        "event queue full; the owner does not drain it");
                return NULL;
        }
        if (e->ev_head + e->ev_len == e->ev_cap && e->ev_head > 0) {
                memmove(e->events, e->events + e->ev_head, e->ev_len * sizeof(*ev));
                e->ev_head = 0;
        }
        if (grow_table((void **)&e->events, &e->ev_cap, e->ev_head + e->ev_len, MAX_EVENTS,
                       sizeof(*ev)) != 0) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "out of memory for an event");
                return NULL;
        }
        ev = &e->events[e->ev_head + e->ev_len];
        memset(ev, 0, sizeof(*ev));
        ev->kind = kind;
        e->ev_len++;
        return ev;
}

/* Copies at most dstlen-1 bytes; an over-long source is cut (and is then a
 * different name, which the checks that use it will notice). */
static void copy_str(char *dst, size_t dstlen, const char *src)
{
        snprintf(dst, dstlen, "%s", src != NULL ? src : "");
}

static bool domain_eq(const char *a, const char *b)
{
        return a != NULL && b != NULL && strcasecmp(a, b) == 0;
}

static bool hosts(const struct engine *e, const char *domain)
{
        for (size_t i = 0; i < e->cfg.n_hosted; i++) {
                if (domain_eq(e->cfg.hosted[i], domain))
                        return true;
        }
        return false;
}

static const char *local_domain(const struct engine *e)
{
        return e->cfg.n_hosted > 0 ? e->cfg.hosted[0] : "";
}

static unsigned own_methods(const struct engine *e)
{
        return oracle_methods(&e->cfg.neg, e->cfg.sem);
}

/* ---- result ------------------------------------------------------------------ */

/*
 * The failure codes that fit what this side saw (reference §3.3, §3.6). The
 * initiating side knows its own settings and what the peer advertised, so it
 * mostly knows the exact code; the receiving side sometimes cannot tell a
 * TLS-Required peer (F1) from one with no common plaintext method (F4).
 */
static unsigned failure_outcomes_for(const struct engine *e, const struct neg_settings *neg,
                                     enum semantics sem, enum outcome detected)
{
        unsigned set = 0;

        if (detected != OUTCOME_COUNT)
                return OUTCOME_BIT(detected);
        if (oracle_methods(neg, sem) == 0)
                set |= OUTCOME_BIT(OUTCOME_F0);
        if (e->tls_up || e->tls_attempted)
                return set | OUTCOME_BIT(OUTCOME_F3);
        if (e->cfg.role == ENGINE_INITIATING)
                return set | OUTCOME_BIT(OUTCOME_F4);
        if (neg->tls == NEG_REQUIRED)
                return set | OUTCOME_BIT(OUTCOME_F2);
        if (e->starttls_unoffered)
                return set | OUTCOME_BIT(OUTCOME_F1);
        if (e->starttls_offered || e->auth_attempted)
                return set | OUTCOME_BIT(OUTCOME_F4);
        return set | OUTCOME_BIT(OUTCOME_F1) | OUTCOME_BIT(OUTCOME_F4);
}

static unsigned failure_outcomes(const struct engine *e)
{
        return failure_outcomes_for(e, &e->cfg.neg, e->cfg.sem, e->detected);
}

static void finish(struct engine *e, unsigned outcomes, enum rule_id rule, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Records the outcome once: the first success or failure explains the stream. */
static void finish(struct engine *e, unsigned outcomes, enum rule_id rule, const char *fmt, ...)
{
        va_list ap;
        char codes[64] = "";

        if (e->result.final)
                return;
        e->result.final = true;
        e->result.outcomes = outcomes;
        e->result.tls = e->tls_up;
        e->result.rule_id = rule;
        copy_str(e->result.rule, sizeof(e->result.rule), rule_cite(rule));
        va_start(ap, fmt);
        vsnprintf(e->result.cause, sizeof(e->result.cause), fmt, ap);
        va_end(ap);
        for (int o = 0; o < OUTCOME_COUNT; o++) {
                if (outcomes & OUTCOME_BIT(o)) {
                        size_t n = strlen(codes);
                        snprintf(codes + n, sizeof(codes) - n, "%s%s", n > 0 ? "|" : "",
                                 outcome_name((enum outcome)o));
                }
        }
        tracef(e, TRACE_NOTE, "outcome %s: %s [%s]", codes, e->result.cause, rule_cite(rule));
}

static void finish_success(struct engine *e, unsigned method, const char *peer_domain)
{
        enum outcome o = method == METHOD_S ? OUTCOME_S : e->tls_up ? OUTCOME_DT : OUTCOME_DP;

        e->result.authenticated = true;
        e->result.method = method == METHOD_S ? METHOD_S : e->tls_up ? METHOD_DT : METHOD_DP;
        copy_str(e->result.peer_domain, sizeof(e->result.peer_domain), peer_domain);
        finish(e, OUTCOME_BIT(o), method == METHOD_S ? RULE_H_SASL_OK : RULE_H_DB_OK,
               "%s authenticated %s -> %s", method == METHOD_S ? "SASL EXTERNAL" : "dialback",
               e->cfg.role == ENGINE_INITIATING ? local_domain(e) : peer_domain,
               e->cfg.role == ENGINE_INITIATING ? e->remote : e->peer_to);
}

static void finish_failure(struct engine *e, enum rule_id rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void finish_failure(struct engine *e, enum rule_id rule, const char *fmt, ...)
{
        char text[ENGINE_TEXT_MAX];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        finish(e, failure_outcomes(e), rule, "%s", text);
}

/* ---- sending ----------------------------------------------------------------- */

static void flush_tls(struct engine *e)
{
        struct buf *tout;

        if (e->tls == NULL)
                return;
        tout = tls_session_output(e->tls);
        if (tout->len > 0) {
                if (buf_append(&e->out, tout->data, tout->len) != 0)
                        finding(e, FINDING_ERROR, RULE_H_INTERNAL, "output buffer full");
                buf_consume(tout, tout->len);
        }
}

static void send_bytes(struct engine *e, const char *data, size_t len)
{
        if (e->state == ST_CLOSED)
                return;
        if (e->cfg.role == ENGINE_RECEIVING && e->cfg.knobs.bad.silent)
                return; /* misbehaving: a server that accepts and never answers */
        if (e->muted)
                return; /* misbehaving: nothing after the hostile bytes */
        if (e->tls_up) {
                if (tls_session_write(e->tls, data, len) != 0)
                        finding(e, FINDING_ERROR, RULE_H_INTERNAL, "TLS write failed: %s",
                                tls_session_error(e->tls));
                flush_tls(e);
                return;
        }
        if (buf_append(&e->out, data, len) != 0)
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "output buffer full");
}

static void send_text(struct engine *e, const char *xml)
{
        trace(e, TRACE_SEND, xml, strlen(xml));
        send_bytes(e, xml, strlen(xml));
}

static void send_buf(struct engine *e, struct buf *b)
{
        if (b->len == 0)
                return;
        trace(e, TRACE_SEND, b->data, b->len);
        send_bytes(e, b->data, b->len);
}

static void send_node(struct engine *e, xmlNodePtr node)
{
        struct buf b;
        struct engine_obs o;

        buf_init(&b, 0);
        if (xs_write_node(&b, node) != 0) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "could not serialise an element");
        } else if (b.len > 0) {
                trace_obs(e, TRACE_SEND, b.data, b.len, element_obs(node, true, &o) ? &o : NULL);
                send_bytes(e, b.data, b.len);
        }
        buf_cleanup(&b);
}

/* A new element in namespace ns with a prefix (NULL = default namespace). */
static xmlNodePtr new_elem(const char *ns, const char *prefix, const char *name)
{
        xmlNodePtr n = xmlNewNode(NULL, BAD_CAST name);
        xmlNsPtr nsp;

        if (n == NULL)
                return NULL;
        nsp = xmlNewNs(n, BAD_CAST ns, prefix != NULL ? BAD_CAST prefix : NULL);
        if (nsp == NULL) {
                xmlFreeNode(n);
                return NULL;
        }
        xmlSetNs(n, nsp);
        return n;
}

static void set_attr(xmlNodePtr n, const char *name, const char *value)
{
        if (value != NULL)
                xmlNewProp(n, BAD_CAST name, BAD_CAST value);
}

/* <db:NAME from to [id] [type]>[key][<error type='cancel'><COND/></error>]</db:NAME> */
static void send_db(struct engine *e, const char *name, const char *from, const char *to,
                    const char *id, const char *type, const char *key, const char *error_cond)
{
        xmlNodePtr n = new_elem(XS_NS_DIALBACK, "db", name);

        if (n == NULL) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "out of memory");
                return;
        }
        set_attr(n, "from", from);
        set_attr(n, "to", to);
        set_attr(n, "id", id);
        set_attr(n, "type", type);
        if (key != NULL)
                xmlNodeAddContent(n, BAD_CAST key);
        if (error_cond != NULL) {
                /* XEP-0220 §2.5: <error/> is in the stream's content namespace
                 * (jabber:server), not in the dialback one. */
                xmlNodePtr err = new_elem(XS_NS_SERVER, NULL, "error");
                xmlNodePtr cond = new_elem(NS_STANZAS, NULL, error_cond);

                if (err != NULL && cond != NULL) {
                        xmlNewProp(err, BAD_CAST "type", BAD_CAST "cancel");
                        xmlAddChild(err, cond);
                        xmlAddChild(n, err);
                } else {
                        xmlFreeNode(err);
                        xmlFreeNode(cond);
                }
        }
        send_node(e, n);
        xmlFreeNode(n);
}

/* The wire hostility in force for this stream's role (knobs.bad.wire_roles). */
static enum engine_wire wire(const struct engine *e)
{
        unsigned roles = e->cfg.knobs.bad.wire_roles;

        if (roles != 0 && (roles & (1u << e->cfg.role)) == 0)
                return WIRE_NONE;
        return e->cfg.knobs.bad.wire;
}

/* A raw stream header (no escaping: our own domains and ids) with a chosen stream
 * namespace and n extra attributes, for the hostile headers. */
static int hostile_open(struct buf *b, const char *stream_ns, unsigned n_attrs, const char *to,
                        const char *from, const char *id)
{
        if (buf_printf(b, "<stream:stream xmlns='" XS_NS_SERVER "' xmlns:stream='%s'", stream_ns) !=
                0 ||
            (to != NULL && buf_printf(b, " to='%s'", to) != 0) ||
            (from != NULL && buf_printf(b, " from='%s'", from) != 0) ||
            (id != NULL && buf_printf(b, " id='%s'", id) != 0))
                return -1;
        for (unsigned i = 0; i < n_attrs; i++) {
                if (buf_printf(b, " a%u='%u'", i, i) != 0)
                        return -1;
        }
        return buf_puts(b, " version='1.0'>");
}

/* Appends what comes after a normal header: the huge element, the nesting, the
 * features. */
static int hostile_tail(struct buf *b, enum engine_wire w)
{
        char chunk[4096];

        switch (w) {
        case WIRE_HUGE_ELEMENT:
                memset(chunk, 'A', sizeof(chunk));
                if (buf_puts(b, "<message xmlns='" XS_NS_SERVER "'><body>") != 0)
                        return -1;
                for (size_t n = 0; n < HOSTILE_HUGE_BYTES; n += sizeof(chunk)) {
                        if (buf_append(b, chunk, sizeof(chunk)) != 0)
                                return -1;
                }
                return buf_puts(b, "</body></message>");
        case WIRE_DEEP_NESTING:
                for (unsigned i = 0; i < HOSTILE_COUNT; i++) {
                        if (buf_puts(b, "<a>") != 0)
                                return -1;
                }
                for (unsigned i = 0; i < HOSTILE_COUNT; i++) {
                        if (buf_puts(b, "</a>") != 0)
                                return -1;
                }
                return 0;
        case WIRE_MANY_FEATURES:
                if (buf_puts(b, "<stream:features>") != 0)
                        return -1;
                for (unsigned i = 0; i < HOSTILE_COUNT; i++) {
                        if (buf_printf(b, "<f%u xmlns='urn:example:feature:%u'/>", i, i) != 0)
                                return -1;
                }
                return buf_puts(b, "</stream:features>");
        default:
                return 0;
        }
}

/*
 * The bytes of a header-site hostility (enum engine_wire) into b, given the
 * header we would have sent (normal). Returns 0, or -1 when out of memory.
 */
static int hostile_bytes(struct buf *b, enum engine_wire w, const struct buf *normal,
                         const char *to, const char *from, const char *id)
{
        static const char utf7[] = "<?xml version=\"1.0\" encoding=\"UTF-7\"\x1a?>";

        switch (w) {
        case WIRE_GARBAGE:
                for (unsigned i = 0; i < 256; i++) {
                        unsigned char c = (unsigned char)(i * 151u + 7u); /* starts with 0x07 */
                        if (buf_append(b, &c, 1) != 0)
                                return -1;
                }
                return 0;
        case WIRE_ENTITY_BOMB:
                if (buf_puts(
                        b, "<?xml version='1.0'?><!DOCTYPE stream:stream [<!ENTITY l0 'lol'>") != 0)
                        return -1;
                for (unsigned i = 1; i < 10; i++) {
                        if (buf_printf(b, "<!ENTITY l%u '", i) != 0)
                                return -1;
                        for (unsigned k = 0; k < 10; k++) {
                                if (buf_printf(b, "&l%u;", i - 1) != 0)
                                        return -1;
                        }
                        if (buf_puts(b, "'>") != 0)
                                return -1;
                }
                if (buf_puts(b, "]>") != 0 || hostile_open(b, XS_NS_STREAMS, 0, to, from, id) != 0)
                        return -1;
                return buf_puts(b, "<message xmlns='" XS_NS_SERVER "'><body>&l9;</body></message>");
        case WIRE_MANY_ATTRIBUTES:
                return buf_puts(b, "<?xml version='1.0'?>") != 0 ||
                               hostile_open(b, XS_NS_STREAMS, HOSTILE_COUNT, to, from, id) != 0
                           ? -1
                           : 0;
        case WIRE_WRONG_NAMESPACE:
                return buf_puts(b, "<?xml version='1.0'?>") != 0 ||
                               hostile_open(b, "http://etherx.jabber.org/streams/wrong", 0, to,
                                            from, id) != 0
                           ? -1
                           : 0;
        case WIRE_UTF7_DECLARATION:
                return buf_append(b, utf7, sizeof(utf7) - 1);
        default:
                /* The header itself is fine; what follows is not. */
                if (buf_append(b, normal->data, normal->len) != 0)
                        return -1;
                return hostile_tail(b, w);
        }
}

/* Sends the hostile bytes in place of our first stream header, then mutes the
 * engine. Returns true when it did (the caller sends nothing else). */
static bool send_hostile_header(struct engine *e, const struct buf *normal, const char *to,
                                const char *from, const char *id)
{
        enum engine_wire w = wire(e);
        struct buf b;

        if (e->hostile_sent || w == WIRE_NONE || w == WIRE_SILENCE || w == WIRE_CLOSE_AT_ONCE ||
            w == WIRE_CLOSE_MID_TLS || w == WIRE_PROCEED_THEN_PLAINTEXT)
                return false;
        e->hostile_sent = true;
        buf_init(&b, 0);
        if (hostile_bytes(&b, w, normal, to, from, id) != 0) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "out of memory for the hostile bytes");
        } else {
                tracef(e, TRACE_NOTE,
                       "misbehaving: %zu hostile bytes in place of the stream header", b.len);
                send_bytes(e, b.data, b.len);
        }
        buf_cleanup(&b);
        e->muted = true;
        e->header_sent = true;
        return true;
}

/* The legacy_header knob: the pre-1.0 header has no version, so it gets no features
 * and never STARTTLS; a server whose TLS is Optional or Required would not choose it
 * (the deployed case is a server without a certificate), so only a TLS NotSupported
 * side sends it and the knob changes nothing for the others. */
static bool sends_legacy_header(const struct engine *e)
{
        return e->cfg.knobs.bad.legacy_header && e->cfg.neg.tls == NEG_NOTSUPPORTED;
}

static void send_header(struct engine *e, const char *to, const char *from, const char *id)
{
        struct xs_header_out h;
        struct buf b;

        memset(&h, 0, sizeof(h));
        h.to = to;
        h.from = from;
        h.id = id;
        /* XEP-0220 §2.4.1: xmlns:db declares dialback support (reference §3.2). */
        h.dialback = e->cfg.neg.dialback && ((own_methods(e) & (METHOD_DT | METHOD_DP)) != 0 ||
                                             e->cfg.knobs.declare_db_without_method);
        /* RFC 6120 §4.7.5: a version-less header is answered without one. */
        h.no_version = e->cfg.role == ENGINE_RECEIVING ? e->legacy : sends_legacy_header(e);
        buf_init(&b, 0);
        if (xs_write_header(&b, &h) != 0)
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "could not write a stream header");
        else if (!send_hostile_header(e, &b, to, from, id))
                send_buf(e, &b);
        buf_cleanup(&b);
        e->header_sent = true;
}

/* Sends </stream:stream> (and close_notify) and waits for the peer's close. */
static void close_stream(struct engine *e)
{
        if (e->state == ST_CLOSED || e->state == ST_EXPECT_CLOSE)
                return;
        send_text(e, "</stream:stream>");
        if (e->tls_up) {
                if (tls_session_bye(e->tls) == 0)
                        flush_tls(e);
        }
        set_state(e, ST_EXPECT_CLOSE);
}

static void push_verify_answer(struct engine *e, size_t i, enum db_type type);
static void pair_done(struct engine *e, struct pair *p, unsigned outcomes, enum rule_id rule,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static unsigned pair_failure_outcomes(const struct engine *e, const struct neg_settings *neg,
                                      enum semantics sem);

static void closed(struct engine *e)
{
        if (e->state == ST_CLOSED)
                return;
        /* XEP-0220 §2.5: a connection that ends without the answer is a timeout. */
        while (e->n_verifies > 0)
                push_verify_answer(e, e->n_verifies - 1, DB_TIMEOUT);
        /* Other servers' pairs still being verified end with the stream. */
        for (size_t i = 0; i < e->n_pairs; i++) {
                struct pair *p = e->pairs[i];

                if (p->vhost && !p->done && !p->verified) {
                        p->pending = false;
                        p->failed = true;
                        p->cut = true;
                        pair_done(e, p, pair_failure_outcomes(e, &p->neg, p->sem), RULE_STR_8,
                                  "the stream closed before %s -> %s was verified", p->from, p->to);
                }
        }
        set_state(e, ST_CLOSED);
        push_event(e, EV_CLOSED);
}

/*
 * A stream error (RFC 6120 §4.9.1.1): the error, the close tag, then the TCP
 * close. A receiving side that has not answered the header yet sends its own
 * header first (§4.9.1.2).
 */
static void stream_error(struct engine *e, const char *cond, const char *text)
{
        struct buf b;

        if (e->state == ST_CLOSED)
                return;
        if (e->cfg.role == ENGINE_RECEIVING && !e->header_sent) {
                char id[ID_MAX];

                if (xs_new_stream_id(e->cfg.random, e->cfg.random_user, id, sizeof(id)) != 0)
                        id[0] = '\0';
                send_header(e, e->peer_from[0] != '\0' ? e->peer_from : NULL,
                            hosts(e, e->peer_to) ? e->peer_to : local_domain(e), id);
        }
        buf_init(&b, 0);
        if (xs_write_stream_error(&b, cond, text) != 0)
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "could not write stream error %s", cond);
        else
                send_buf(e, &b);
        buf_cleanup(&b);
        send_text(e, "</stream:stream>");
        if (e->tls_up && tls_session_bye(e->tls) == 0)
                flush_tls(e);
        closed(e);
}

/* ---- stream ids -------------------------------------------------------------- */

static bool id_seen(const struct engine *e, const char *id)
{
        for (size_t i = 0; i < e->n_ids; i++) {
                if (strcmp(e->ids[i], id) == 0)
                        return true;
        }
        return false;
}

static void remember_id(struct engine *e, const char *id)
{
        copy_str(e->stream_id, sizeof(e->stream_id), id);
        if (e->n_ids < MAX_IDS)
                copy_str(e->ids[e->n_ids++], ID_MAX, id);
}

/* ---- domain pairs ------------------------------------------------------------- */

static struct pair *find_pair(struct engine *e, const char *from, const char *to)
{
        for (size_t i = 0; i < e->n_pairs; i++) {
                if (domain_eq(e->pairs[i]->from, from) && domain_eq(e->pairs[i]->to, to))
                        return e->pairs[i];
        }
        return NULL;
}

/* The pair (from, to), created when new. NULL when the table is full. */
static struct pair *get_pair(struct engine *e, const char *from, const char *to)
{
        struct pair *p = find_pair(e, from, to);

        if (p != NULL)
                return p;
        if (e->n_pairs >= MAX_PAIRS)
                return NULL;
        p = calloc(1, sizeof(*p));
        if (p == NULL)
                return NULL;
        e->pairs[e->n_pairs++] = p;
        copy_str(p->from, sizeof(p->from), from);
        copy_str(p->to, sizeof(p->to), to);
        return p;
}

static bool any_verified(const struct engine *e)
{
        for (size_t i = 0; i < e->n_pairs; i++) {
                if (e->pairs[i]->verified)
                        return true;
        }
        return false;
}

/* The stream's own 'to' domain: the peer's when initiating, ours when receiving. */
/* Initiating, authenticated: a multiplexed pair still waits for its db:result. */
static bool pair_awaited(const struct engine *e)
{
        if (e->cfg.role != ENGINE_INITIATING || e->state != ST_EXPECT_STANZAS)
                return false;
        for (size_t i = 0; i < e->n_pairs; i++) {
                if (e->pairs[i]->pending)
                        return true;
        }
        return false;
}

static const char *stream_to(const struct engine *e)
{
        return e->cfg.role == ENGINE_INITIATING ? e->remote : e->peer_to;
}

/* Whether (from, to) may carry stanzas: a verified dialback pair, or the SASL
 * identity towards the stream's 'to' (RFC 6120 §4.3.6.2, SASL-11). */
static bool pair_ok(const struct engine *e, const char *from, const char *to)
{
        if (e->sasl_done && domain_eq(e->sasl_identity, from) && domain_eq(stream_to(e), to))
                return true;
        for (size_t i = 0; i < e->n_pairs; i++) {
                if (e->pairs[i]->verified && domain_eq(e->pairs[i]->from, from) &&
                    domain_eq(e->pairs[i]->to, to))
                        return true;
        }
        return false;
}

/* ---- TLS --------------------------------------------------------------------- */

static void describe_peer_cert(struct engine *e)
{
        struct buf ids;

        buf_init(&ids, 0);
        if (e->peer.has_cert && certid_describe(&e->peer.ids, &ids) != 0)
                buf_reset(&ids);
        struct engine_obs o = {
            .kind = OBS_TLS_UP, .id = "", .from = "", .to = "", .type = "", .cond = ""};

        tracef_obs(
            e, TRACE_TLS, &o, "TLS established%s: %s %s%s%s%s%s; peer certificate: %s%s%s%s%s",
            e->direct_tls ? " (direct TLS)" : "", e->peer.version, e->peer.desc,
            e->peer.alpn[0] ? ", ALPN " : "", e->peer.alpn, e->peer.sni[0] ? ", SNI " : "",
            e->peer.sni, e->peer.has_cert ? "" : "none",
            e->peer.has_cert ? (ids.data != NULL ? ids.data : "") : "",
            e->peer.has_cert ? "; chain: " : "",
            e->peer.has_cert ? (e->peer.chain_ok ? "valid" : e->peer.verify_text) : "",
            e->peer.has_cert ? (e->peer.eku_server ? "; EKU serverAuth" : "; no serverAuth EKU")
                             : "");
        buf_cleanup(&ids);
}

/* Whether the peer's certificate proves `domain` (RFC 6120 §13.7.2, RFC 6125). */
static bool cert_proves(const struct engine *e, const char *domain, enum certid_match *how)
{
        enum certid_match m = CERTID_NONE;

        if (e->have_peer && e->peer.has_cert)
                m = certid_match(&e->peer.ids, domain);
        if (how != NULL)
                *how = m;
        return e->have_peer && e->peer.chain_ok && m != CERTID_NONE;
}

static void start_tls(struct engine *e)
{
        char err[256];
        bool server = e->cfg.role == ENGINE_RECEIVING;
        /* XEP-0178 step 6: ask for the peer's certificate whenever EXTERNAL or a
         * certificate-checked dialback may follow. */
        bool want_cert =
            (own_methods(e) & METHOD_S) != 0 || e->cfg.knobs.dialback_requires_valid_cert;

        e->tls_attempted = true;
        /* XEP-0368 §3: ALPN "xmpp-server" on direct TLS (SNI is sent either way). */
        e->tls = tls_session_new(e->cfg.creds, server ? TLS_ROLE_SERVER : TLS_ROLE_CLIENT,
                                 server ? NULL : e->remote, server && want_cert,
                                 e->direct_tls ? "xmpp-server" : NULL, err, sizeof(err));
        set_state(e, ST_EXPECT_TLS_HANDSHAKE);
        if (e->tls == NULL) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "cannot start TLS: %s", err);
                finish_failure(e, RULE_TLS_8, "TLS could not start: %s", err);
                closed(e);
        }
}

static void i_verify_failed(struct engine *e, enum db_type type, const char *why);

static void tls_failed(struct engine *e)
{
        const char *why = tls_session_error(e->tls);
        int alert = tls_session_alert_received(e->tls);

        flush_tls(e); /* the alert we queued */
        finding(e, FINDING_NOTE, RULE_TLS_8, "TLS handshake failed: %s%s%s", why,
                alert >= 0 ? "; alert from peer: " : "", alert >= 0 ? tls_alert_name(alert) : "");
        /* TLS-8: close TCP without </stream:stream>; the old stream is gone. */
        e->result.tls_failed = true;
        if (e->cfg.purpose == PURPOSE_VERIFY && e->cfg.role == ENGINE_INITIATING)
                i_verify_failed(e, DB_UNREACHABLE, "the TLS handshake failed");
        finish_failure(e, RULE_TLS_8, "TLS handshake failed (%s)", why);
        closed(e);
}

static void after_tls_initiating(struct engine *e);
static void after_tls_receiving(struct engine *e);
static void feed_plain(struct engine *e, const char *data, size_t len);

static void tls_done(struct engine *e)
{
        e->tls_up = true;
        e->result.tls = true;
        e->result.restarts++;
        if (tls_session_peer(e->tls, &e->peer) == 0)
                e->have_peer = true;
        else
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "cannot read TLS peer: %s",
                        tls_session_error(e->tls));
        describe_peer_cert(e);
        /* RFC 6120 §5.4.3.3: both sides drop what they learnt before TLS. */
        memset(&e->feat, 0, sizeof(e->feat));
        e->peer_db_declared = false;
        /* A new stream: a stream error now needs our new header first (§4.9.1.2). */
        e->header_sent = false;
        if (xs_reset(e->xs) != 0)
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "cannot reset the XML reader");
        set_state(e, ST_EXPECT_HEADER);
        if (e->cfg.role == ENGINE_INITIATING)
                after_tls_initiating(e);
        else
                after_tls_receiving(e);
}

/* Runs the TLS layer as far as the queued input allows. */
static void pump_tls_rounds(struct engine *e)
{
        for (int round = 0; round < TLS_PUMP_ROUNDS && e->tls != NULL; round++) {
                enum tls_status st;

                if (e->state == ST_CLOSED)
                        return;
                if (e->state == ST_EXPECT_TLS_HANDSHAKE) {
                        size_t before = e->out.len;

                        st = tls_session_handshake(e->tls);
                        flush_tls(e);
                        if (wire(e) == WIRE_CLOSE_MID_TLS && e->out.len > before + 1) {
                                /* Misbehaving: half of the first flight, then the TCP close. */
                                e->out.len = before + (e->out.len - before) / 2;
                                tracef(e, TRACE_NOTE,
                                       "misbehaving: closing after %zu bytes of the TLS handshake",
                                       e->out.len - before);
                                finish_failure(e, RULE_H_MISBEHAVIOUR,
                                               "closed in the middle of TLS");
                                closed(e);
                                return;
                        }
                        if (st == TLS_AGAIN)
                                return;
                        if (st != TLS_DONE) {
                                tls_failed(e);
                                return;
                        }
                        tls_done(e);
                        continue;
                }
                if (!e->tls_up)
                        return;
                buf_reset(&e->plain);
                st = tls_session_read(e->tls, &e->plain);
                flush_tls(e);
                if (e->plain.len > 0)
                        feed_plain(e, e->plain.data, e->plain.len);
                if (st == TLS_CLOSED) {
                        tracef(e, TRACE_TLS, "peer sent close_notify");
                        if (e->state != ST_CLOSED) {
                                finish_failure(e, RULE_STR_8, "the peer closed TLS while %s",
                                               engine_state_name(e->state));
                                closed(e);
                        }
                        return;
                }
                if (st == TLS_FAILED) {
                        finding(e, FINDING_VIOLATION, RULE_H_TLS_RECORD, "TLS record error: %s",
                                tls_session_error(e->tls));
                        finish_failure(e, RULE_H_TLS_RECORD, "TLS failed: %s",
                                       tls_session_error(e->tls));
                        closed(e);
                        return;
                }
                return; /* TLS_AGAIN: all input used */
        }
}

/* Decrypts and handles what TLS has; the plaintext scratch is released after (an
 * idle stream keeps no buffer). */
static void pump_tls(struct engine *e)
{
        pump_tls_rounds(e);
        buf_cleanup(&e->plain);
}

/* ---- initiating side ---------------------------------------------------------- */

/* Step 1 of XEP-0220 for (from, to): the stream's own pair, or a multiplexed one. */
static void i_send_db_result(struct engine *e, const char *from, const char *to)
{
        char key[DIALBACK_KEY_LEN + 1];
        const char *sid = e->stream_id;
        struct pair *p;
        char unhosted[DOMAIN_MAX];

        if (e->cfg.knobs.bad.unhosted_db_target && domain_eq(to, e->remote)) {
                snprintf(unhosted, sizeof(unhosted), "unhosted.%.200s", to);
                to = unhosted;
                copy_str(e->unhosted_target, sizeof(e->unhosted_target), to);
                tracef(e, TRACE_NOTE, "misbehaving: dialback for %s, which the peer does not host",
                       to);
        }

        if (e->cfg.knobs.bad.key_with_pre_tls_id && e->n_ids > 0) {
                sid = e->ids[0];
                tracef(e, TRACE_NOTE, "misbehaving: dialback key over the pre-TLS id %s", sid);
        }
        /* XEP-0220 §2.1.1: the key binds the receiving and originating domains and
         * the stream id in force (the post-TLS id after STARTTLS, reference §3.9). */
        p = get_pair(e, from, to);
        if (p == NULL || dialback_key(e->secret, to, from, sid, key) != 0) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "cannot compute the dialback key");
                finish_failure(e, RULE_DB_8, "cannot compute the dialback key");
                close_stream(e);
                return;
        }
        p->pending = true;
        p->failed = false;
        copy_str(p->id, sizeof(p->id), sid);
        copy_str(p->key, sizeof(p->key), key);
        send_db(e, "result", from, to, NULL, NULL, key, NULL);
        if (e->state != ST_EXPECT_STANZAS)
                set_state(e, ST_EXPECT_DB_RESULT);
}

/* A stanza as XML text, for the misbehaviours that bypass engine_send_stanza. */
static void send_raw_ping(struct engine *e, const char *from, const char *to, const char *id)
{
        char xml[DOMAIN_MAX * 2 + 160];

        snprintf(xml, sizeof(xml),
                 "<iq xmlns='" XS_NS_SERVER "' type='get' id='%s' from='%s' to='%s'>"
                 "<ping xmlns='urn:xmpp:ping'/></iq>",
                 id, from, to);
        send_text(e, xml);
}

/* The initiating side has just authenticated its stream's pair. */
static void i_authenticated(struct engine *e, unsigned method)
{
        struct engine_event *ev;

        set_state(e, ST_EXPECT_STANZAS);
        e->result.pairs++;
        finish_success(e, method, e->remote);
        ev = push_event(e, EV_AUTHENTICATED);
        if (ev != NULL) {
                copy_str(ev->from, sizeof(ev->from), local_domain(e));
                copy_str(ev->to, sizeof(ev->to), e->remote);
        }
        if (e->cfg.knobs.bad.stanza_unauth_from && e->cfg.purpose == PURPOSE_AUTH) {
                tracef(e, TRACE_NOTE, "misbehaving: a stanza from %s, never authenticated",
                       ENGINE_ROGUE_DOMAIN);
                send_raw_ping(e, ENGINE_ROGUE_DOMAIN, e->remote, "rogue-1");
        }
        if (e->cfg.knobs.bad.stanza_without_to && e->cfg.purpose == PURPOSE_AUTH) {
                /* RFC 6120 §8.1.1.2: a server-to-server stanza without 'to' gets
                 * <improper-addressing/> (§4.9.3.7). */
                char xml[DOMAIN_MAX + 160];

                tracef(e, TRACE_NOTE, "misbehaving: a stanza without a to");
                snprintf(xml, sizeof(xml),
                         "<iq xmlns='" XS_NS_SERVER "' type='get' id='noto-1' from='%s'>"
                         "<ping xmlns='urn:xmpp:ping'/></iq>",
                         local_domain(e));
                send_text(e, xml);
        }
        if (e->cfg.knobs.bad.malformed_stanza && e->cfg.purpose == PURPOSE_AUTH) {
                /* RFC 6120 §11.4: XML that is not well-formed gets <not-well-formed/>
                 * (§4.9.3.13). */
                char xml[DOMAIN_MAX * 2 + 160];

                tracef(e, TRACE_NOTE, "misbehaving: a stanza whose end tag does not match");
                snprintf(xml, sizeof(xml),
                         "<message xmlns='" XS_NS_SERVER "' from='%s' to='%s' id='bad-1'>"
                         "<body>s2scheck</bdy></message>",
                         local_domain(e), e->remote);
                send_text(e, xml);
        }
        /* RFC 6120 §4.6.1: whitespace between stanzas is a keepalive; a peer must
         * tolerate it on an established stream (issue 12 item 5). */
        for (unsigned k = 0;
             k < e->cfg.knobs.whitespace_keepalives && e->cfg.purpose == PURPOSE_AUTH; k++)
                send_text(e, " ");
}

static void i_send_auth(struct engine *e)
{
        char data[DOMAIN_MAX * 2] = "=";

        if (e->cfg.knobs.sasl_send_authzid) {
                gnutls_datum_t in = {(unsigned char *)local_domain(e),
                                     (unsigned)strlen(local_domain(e))};
                gnutls_datum_t b64 = {NULL, 0};

                /* XEP-0178 step 10: authzid = the stream's from, base64-encoded. */
                if (gnutls_base64_encode2(&in, &b64) == 0) {
                        snprintf(data, sizeof(data), "%.*s", (int)b64.size, (char *)b64.data);
                        gnutls_free(b64.data);
                }
        }
        e->sasl_tried = true;
        {
                char xml[DOMAIN_MAX * 2 + 128];

                snprintf(xml, sizeof(xml), "<auth xmlns='%s' mechanism='EXTERNAL'>%s</auth>",
                         NS_SASL, data);
                send_text(e, xml);
        }
        set_state(e, ST_EXPECT_SASL_RESULT);
}

static bool peer_signals_dialback(const struct engine *e)
{
        return e->feat.dialback || e->peer_db_declared;
}

static void i_no_method(struct engine *e, const char *where)
{
        char mine[32];

        methods_text(own_methods(e), ",", mine, sizeof(mine));
        tracef(e, TRACE_NOTE,
               "no usable method %s: we accept {%s}; peer offered EXTERNAL: %s, "
               "dialback: %s",
               where, mine, e->feat.external ? "yes" : "no",
               peer_signals_dialback(e) ? "yes" : "no");
        finish_failure(e, RULE_H_NO_METHOD,
                       "no common authentication method %s (we accept {%s}; the peer offered "
                       "EXTERNAL: %s, dialback: %s)",
                       where, mine, e->feat.external ? "yes" : "no",
                       peer_signals_dialback(e) ? "yes" : "no");
        if (e->early_stanza_sent && e->state != ST_CLOSED && e->state != ST_EXPECT_CLOSE) {
                /* RFC 6120 §4.3.5: the probe is the peer's answer to the early stanza;
                 * closing now would cut it off. Wait for it (bounded by the step
                 * timeout), then answer its close. */
                tracef(e, TRACE_NOTE, "waiting for the peer's answer to the early stanza");
                e->awaiting_peer_close = true;
                set_state(e, ST_EXPECT_CLOSE);
                return;
        }
        close_stream(e);
}

/*
 * DB-9 (XEP-0220 §3.1): a result that answers no request is dropped silently,
 * and the stanzas sent under it then came before authentication. Silence, or a
 * close without a word, is the peer's answer to our unsolicited claim: nothing
 * authenticated (F3 after TLS, F4 in plaintext), not a timeout. how: what ended
 * the wait.
 */
static void i_claim_ignored(struct engine *e, const char *how)
{
        e->claim_open = false;
        finding(e, FINDING_NOTE, RULE_DB_9,
                "the peer ignored our unsolicited db:result type='valid' and answered none of "
                "the stanzas sent under it (%s)",
                how);
        finish_failure(e, RULE_DB_9,
                       "claim ignored: the unsolicited db:result type='valid' was dropped "
                       "silently (DB-9) and the stanzas sent under it were not answered (%s)",
                       how);
}

/* Authentication for an AUTH stream once features are known. */
static void i_authenticate(struct engine *e)
{
        unsigned a = own_methods(e);
        /* XEP-0220 §2.1.1: the key needs the receiving server's stream id. */
        bool can_db = peer_signals_dialback(e) && e->stream_id[0] != '\0';

        if (e->cfg.knobs.bad.unsolicited_db_valid && e->cfg.purpose == PURPOSE_AUTH) {
                struct pair *p = get_pair(e, local_domain(e), e->remote);
                struct engine_event *ev;

                /* Misbehaviour: claims success by itself and carries on as if authenticated. */
                tracef(e, TRACE_NOTE, "misbehaving: unsolicited db:result type='valid'");
                send_db(e, "result", local_domain(e), e->remote, NULL, "valid", NULL, NULL);
                if (p != NULL)
                        p->verified = true;
                e->claim_open = true;
                /* What is expected next is the peer's answer to the claim, or silence:
                 * a step of its own, with its own deadline (docs/timeouts.md). */
                set_state(e, ST_EXPECT_CLAIM_ANSWER);
                ev = push_event(e, EV_AUTHENTICATED);
                if (ev != NULL) {
                        copy_str(ev->from, sizeof(ev->from), local_domain(e));
                        copy_str(ev->to, sizeof(ev->to), e->remote);
                }
                return;
        }
        if (e->tls_up) {
                if ((a & METHOD_S) && e->feat.external && !e->peer_cert_bad) {
                        i_send_auth(e);
                        return;
                }
                if ((a & METHOD_DT) && can_db) {
                        i_send_db_result(e, local_domain(e), e->remote);
                        return;
                }
                i_no_method(e, "after TLS");
                return;
        }
        if (((a & METHOD_DP) || (e->cfg.knobs.bad.tls_downgrade && (a & METHOD_DT))) && can_db) {
                i_send_db_result(e, local_domain(e), e->remote);
                return;
        }
        i_no_method(e, e->stream_id[0] == '\0' && peer_signals_dialback(e)
                           ? "without TLS (no stream id for a dialback key)"
                           : "without TLS");
}

static void i_send_verify(struct engine *e)
{
        /* XEP-0220 §2.1.2 step 2: from = the receiving server, to = the originating domain. */
        send_db(e, "verify", e->v_from, e->v_to, e->v_id, NULL, e->v_key, NULL);
        set_state(e, ST_EXPECT_VERIFY_ANSWER);
}

static void i_verify_failed(struct engine *e, enum db_type type, const char *why)
{
        struct engine_event *ev = push_event(e, EV_VERIFY_ANSWER);

        if (ev != NULL) {
                copy_str(ev->from, sizeof(ev->from), e->v_to);
                copy_str(ev->to, sizeof(ev->to), e->v_from);
                copy_str(ev->id, sizeof(ev->id), e->v_id);
                ev->type = type;
        }
        finish_failure(e, RULE_DB_4, "could not verify: %s", why);
}

static void i_negotiate(struct engine *e);

static void i_on_features(struct engine *e, xmlNodePtr feats)
{
        bool pre_tls = !e->tls_up;
        struct engine_obs fo;

        memset(&e->feat, 0, sizeof(e->feat));
        e->feat.seen = true;
        e->first_features_seen = true;
        for (xmlNodePtr c = feats->children; c != NULL; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                e->feat.count++;
                if (xs_is(c, NS_TLS, "starttls")) {
                        e->feat.starttls = true;
                        for (xmlNodePtr r = c->children; r != NULL; r = r->next) {
                                if (xs_is(r, NS_TLS, "required"))
                                        e->feat.starttls_required = true;
                        }
                } else if (xs_is(c, NS_SASL, "mechanisms")) {
                        e->feat.mechanisms = true;
                        for (xmlNodePtr m = c->children; m != NULL; m = m->next) {
                                xmlChar *t;

                                if (!xs_is(m, NS_SASL, "mechanism"))
                                        continue;
                                t = xmlNodeGetContent(m);
                                if (t != NULL && strcmp((const char *)t, "EXTERNAL") == 0)
                                        e->feat.external = true;
                                xmlFree(t);
                        }
                } else if (xs_is(c, NS_DB_FEATURE, "dialback")) {
                        e->feat.dialback = true;
                        for (xmlNodePtr r = c->children; r != NULL; r = r->next) {
                                if (xs_is(r, NS_DB_FEATURE, "errors"))
                                        e->feat.dialback_errors = true;
                        }
                } else if (xs_is(c, NS_BIDI_FEATURE, "bidi")) {
                        e->feat.bidi = true;
                }
        }
        fo.kind = OBS_FEATURES;
        fo.starttls = e->feat.starttls ? (e->feat.starttls_required ? 2 : 1) : 0;
        fo.external = e->feat.external;
        fo.dialback = e->feat.dialback;
        fo.db = e->peer_db_declared;
        fo.id = fo.from = fo.to = fo.type = fo.cond = "";
        tracef_obs(e, TRACE_NOTE, &fo,
                   "features: starttls=%s external=%s dialback=%s%s xmlns:db=%s (%u children)",
                   e->feat.starttls ? (e->feat.starttls_required ? "required" : "offered") : "no",
                   e->feat.external ? "yes" : "no", e->feat.dialback ? "yes" : "no",
                   e->feat.dialback_errors ? "(errors)" : "", e->peer_db_declared ? "yes" : "no",
                   e->feat.count);
        if (!pre_tls && e->feat.starttls)
                finding(e, FINDING_VIOLATION, RULE_TLS_9,
                        "STARTTLS offered again after TLS was established");
        if (pre_tls && e->feat.external)
                finding(e, FINDING_VIOLATION, RULE_H_EXTERNAL_PRE_TLS,
                        "EXTERNAL offered before TLS, when no certificate can exist");
        i_negotiate(e);
}

/* What to do with the features in e->feat: TLS, then SASL or dialback (or verify). */
static void i_negotiate(struct engine *e)
{
        bool pre_tls = !e->tls_up;

        if (e->sasl_done) {
                /* RFC 6120 §6.4.6: after SASL the features are empty or voluntary. */
                if (e->feat.mechanisms || e->feat.starttls)
                        finding(e, FINDING_VIOLATION, RULE_SASL_9,
                                "features after SASL success still offer %s",
                                e->feat.starttls ? "STARTTLS" : "SASL mechanisms");
                i_authenticated(e, METHOD_S);
                return;
        }

        if (!pre_tls && e->cfg.purpose == PURPOSE_AUTH && e->cfg.knobs.bad.starttls_after_tls &&
            !e->sasl_tried) {
                tracef(e, TRACE_NOTE, "misbehaving: <starttls/> again on the TLS stream");
                e->sasl_tried = true; /* once */
                send_text(e, "<starttls xmlns='" NS_TLS "'/>");
                set_state(e, ST_EXPECT_PROCEED);
                return;
        }
        if (pre_tls && e->cfg.purpose == PURPOSE_AUTH) {
                const struct engine_misbehaviour *bad = &e->cfg.knobs.bad;

                if (bad->stanza_before_auth && !e->sasl_tried && !e->tls_attempted) {
                        tracef(e, TRACE_NOTE, "misbehaving: a stanza before authentication");
                        send_raw_ping(e, local_domain(e), e->remote, "early-1");
                        e->early_stanza_sent = true;
                }
                if (bad->auth_before_tls && !e->sasl_tried) {
                        tracef(e, TRACE_NOTE, "misbehaving: <auth/> before TLS");
                        i_send_auth(e);
                        return;
                }
                if (bad->starttls_unoffered && !e->feat.starttls && e->cfg.creds != NULL) {
                        tracef(e, TRACE_NOTE, "misbehaving: <starttls/> that was not offered");
                        send_text(e, "<starttls xmlns='" NS_TLS "'/>");
                        set_state(e, ST_EXPECT_PROCEED);
                        return;
                }
        }
        if (pre_tls) {
                /* TLS-3 (RFC 6120 §5.3.1): STARTTLS alone is mandatory-to-negotiate too. */
                bool mandatory =
                    e->feat.starttls && (e->feat.starttls_required || e->feat.count == 1);

                if (e->feat.starttls && e->cfg.neg.tls != NEG_NOTSUPPORTED &&
                    e->cfg.creds != NULL) {
                        send_text(e, "<starttls xmlns='" NS_TLS "'/>");
                        set_state(e, ST_EXPECT_PROCEED);
                        return;
                }
                if (mandatory && e->cfg.knobs.bad.ignore_required_tls &&
                    e->cfg.purpose == PURPOSE_AUTH) {
                        /* Whatever follows, the peer required TLS that we did not do: a
                         * failure is F2 (F4 for STARTTLS alone), a success a downgrade. */
                        tracef(e, TRACE_NOTE, "misbehaving: ignoring mandatory STARTTLS");
                        e->detected = e->feat.starttls_required ? OUTCOME_F2 : OUTCOME_F4;
                        i_authenticate(e);
                        return;
                }
                if (mandatory) {
                        /* F2 is a TLS-Required receiver; STARTTLS offered alone (TLS-3)
                         * by an Optional one leaves no common plaintext method: F4
                         * (reference §3.6), with the same <unsupported-feature/>. */
                        e->detected = e->feat.starttls_required ? OUTCOME_F2 : OUTCOME_F4;
                        finish_failure(e, RULE_TLS_3,
                                       "the peer requires TLS (%s) and our TLS is NotSupported",
                                       e->feat.starttls_required ? "<required/>"
                                                                 : "STARTTLS is the only feature");
                        if (e->cfg.purpose == PURPOSE_VERIFY)
                                i_verify_failed(e, DB_UNREACHABLE,
                                                "the authoritative server requires TLS");
                        stream_error(e, "unsupported-feature", "TLS is not supported here");
                        return;
                }
                if (!e->feat.starttls && e->cfg.neg.tls == NEG_REQUIRED &&
                    e->cfg.knobs.bad.tls_downgrade && e->cfg.purpose == PURPOSE_AUTH) {
                        tracef(e, TRACE_NOTE,
                               "misbehaving: TLS is Required and not offered; "
                               "going on in plaintext");
                } else if (!e->feat.starttls && e->cfg.neg.tls == NEG_REQUIRED &&
                           e->cfg.knobs.bad.stall_without_tls) {
                        /* Misbehaving (AUTH and VERIFY streams alike): TLS-2 (RFC 6120
                         * §5.4.1) and RFC 7590 §3.1 forbid going on, and reference §3.6 F1
                         * expects a close; this side sends no close, no stream error, not
                         * another byte. The stream stays in EXPECT_FEATURES, so
                         * its own step timer (or the peer's close) still ends it here, and
                         * a VERIFY stream's requester then gets its error answer. */
                        e->detected = OUTCOME_F1;
                        tracef(e, TRACE_NOTE,
                               "misbehaving: TLS is Required and not offered; "
                               "stalling silently instead of closing");
                        e->muted = true;
                        return;
                } else if (!e->feat.starttls && e->cfg.neg.tls == NEG_REQUIRED) {
                        e->detected = OUTCOME_F1;
                        finish_failure(
                            e, RULE_H_DOWNGRADE,
                            "our TLS is Required and the peer offers no STARTTLS; closing "
                            "without authenticating");
                        if (e->cfg.purpose == PURPOSE_VERIFY)
                                i_verify_failed(e, DB_UNREACHABLE,
                                                "the authoritative server offers no TLS");
                        close_stream(e);
                        return;
                }
        }
        if (e->cfg.purpose == PURPOSE_VERIFY) {
                i_send_verify(e);
                return;
        }
        i_authenticate(e);
}

static void after_tls_initiating(struct engine *e)
{
        /* RFC 6120 §13.7.2: the certificate must prove the domain we asked for
         * (never an SRV target). */
        enum certid_match how;
        bool ok = cert_proves(e, e->remote, &how);

        if (ok) {
                tracef(e, TRACE_NOTE, "peer certificate valid for %s (%s)", e->remote,
                       certid_match_name(how));
        } else {
                bool abort_now;

                e->peer_cert_bad = true;
                finding(e, FINDING_VIOLATION, RULE_H_CERT_PROOF,
                        "the peer's certificate does not prove %s: %s", e->remote,
                        !e->have_peer || !e->peer.has_cert ? "no certificate"
                        : !e->peer.chain_ok                ? e->peer.verify_text
                                                           : "no identifier matches");
                switch (e->cfg.knobs.on_bad_peer_cert) {
                case BADCERT_ABORT:
                        abort_now = true;
                        break;
                case BADCERT_CONTINUE:
                        abort_now = false;
                        break;
                default:
                        /* Reference §3.7: with TLS Required a failed check makes TLS unusable. */
                        abort_now = e->cfg.neg.tls == NEG_REQUIRED;
                }
                if (abort_now && e->cfg.purpose == PURPOSE_AUTH) {
                        e->detected = OUTCOME_F1;
                        finish_failure(e, RULE_H_CERT_POLICY,
                                       "TLS unusable: the peer's certificate does not prove %s",
                                       e->remote);
                        /* No header was sent on the new stream: </stream:stream> would be
                         * ill-formed. close_notify, then the TCP close (RFC 6120 §5.4.3.2). */
                        if (tls_session_bye(e->tls) == 0)
                                flush_tls(e);
                        closed(e);
                        return;
                }
        }
        send_header(e, e->remote, local_domain(e), NULL);
}

static void i_on_header(struct engine *e, const struct xs_header *h)
{
        const char *id = h->id;

        /* STR-2 (RFC 6120 §4.7.1-3): from = the domain we asked for; id present and new.
         * A header that named no domain (legacy_header) asked for none. */
        if (!sends_legacy_header(e) && (h->from == NULL || !domain_eq(h->from, e->remote)))
                finding(e, FINDING_VIOLATION, RULE_H_HDR_FROM,
                        "response header from='%s', expected '%s'", h->from ? h->from : "(none)",
                        e->remote);
        if (h->to != NULL && !domain_eq(h->to, local_domain(e)))
                finding(e, FINDING_VIOLATION, RULE_H_HDR_TO,
                        "response header to='%s', expected our domain '%s'", h->to,
                        local_domain(e));
        if (id == NULL || id[0] == '\0') {
                /* No id, no dialback key (XEP-0220 §2.1.1): dialback is impossible. */
                finding(e, FINDING_VIOLATION, RULE_H_HDR_ID, "response header without an id");
                e->stream_id[0] = '\0';
        } else {
                if (id_seen(e, id))
                        finding(e, FINDING_VIOLATION, RULE_STR_6,
                                "stream id '%s' reused after a restart", id);
                remember_id(e, id);
        }
        e->peer_db_declared = h->db_prefix != NULL;
        if (h->version == NULL) {
                /* RFC 6120 §4.7.5: a pre-1.0 peer sends no features; only legacy dialback. */
                e->legacy = true;
                finding(e, FINDING_NOTE, RULE_STR_3,
                        "response header has no version: no features will follow");
                memset(&e->feat, 0, sizeof(e->feat));
                e->feat.seen = true;
                if (e->cfg.purpose == PURPOSE_VERIFY) {
                        i_send_verify(e);
                        return;
                }
                i_authenticate(e);
                return;
        }
        if (strcmp(h->version, "1.0") != 0)
                finding(e, FINDING_NOTE, RULE_STR_3, "response version '%s'", h->version);
        set_state(e, ST_EXPECT_FEATURES);
}

/* The condition inside a dialback error (XEP-0220 §2.5), or "(none)". */
static const char *db_error_condition(xmlNodePtr n)
{
        for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
                if (c->type != XML_ELEMENT_NODE || strcmp((const char *)c->name, "error") != 0)
                        continue;
                for (xmlNodePtr k = c->children; k != NULL; k = k->next) {
                        if (k->type == XML_ELEMENT_NODE &&
                            xs_is(k, NS_STANZAS, (const char *)k->name) &&
                            strcmp((const char *)k->name, "text") != 0)
                                return (const char *)k->name;
                }
        }
        return "(none)";
}

/* Whether the peer's db:verify for pair p reached our authoritative server
 * (engine_config.ledger; true when there is no ledger to ask). */
static bool peer_verified(const struct engine *e, const struct pair *p)
{
        if (e->cfg.ledger == NULL)
                return true;
        /* The request the peer sends our authoritative server names itself as
         * from (the receiving server) and us as to (XEP-0220 §2.1.2). */
        return db_ledger_has(e->cfg.ledger, p->to, p->from, p->id, p->key);
}

/* Step 4 of XEP-0220 for one of our pending pairs (the stream's own, or multiplexed). */
static void i_on_db_result(struct engine *e, xmlNodePtr n)
{
        const char *type = xs_attr(n, "type");
        const char *from = xs_attr(n, "from"), *to = xs_attr(n, "to");
        struct pair *p = from != NULL && to != NULL ? find_pair(e, to, from) : NULL;
        bool first = e->state == ST_EXPECT_DB_RESULT;
        bool blind;    /* 'valid' with no db:verify behind it (DB-3..DB-5) */
        bool unhosted; /* a verdict on our unhosted target (DB-6) */
        struct engine_event *ev;

        /* Our unsolicited <db:result type='valid'/> (misbehaviour) carried from and to:
         * a peer may take it for a request with an empty key (Prosody 0.12 verifies it).
         * Its typed answer for that pair correlates by from/to on this stream (XEP-0220
         * §3.1) and is its verdict: invalid or error refuse the pair, valid grants it. */
        if (type != NULL && p != NULL && e->claim_open && domain_eq(p->from, local_domain(e)) &&
            domain_eq(p->to, e->remote)) {
                e->claim_open = false;
                if (strcmp(type, "valid") == 0) {
                        finding(e, FINDING_VIOLATION, RULE_DB_5,
                                "the peer answered type='valid' to a db:result that carried no "
                                "key");
                        set_state(e, ST_EXPECT_STANZAS);
                        finish_success(e, METHOD_DT, e->remote);
                        return;
                }
                p->verified = false;
                p->failed = true;
                finding_about(e, FINDING_NOTE, RULE_DB_5, NULL, type,
                              "the peer took our unsolicited db:result for a request and answered "
                              "type='%s'",
                              type);
                finish_failure(e, RULE_DB_5, "dialback result type='%s'", type);
                close_stream(e);
                return;
        }
        /* A multiplexed pair our step timer gave up (XEP-0220 §2.1.1: the initiator
         * may time out) while another pair kept the stream busy, answered late: it
         * answers a request we did send, so it is no unsolicited result (DB-9), but
         * the pair stays refused here (its stanzas went to a stream of their own). */
        if (type != NULL && p != NULL && !p->pending && p->timed_out && !p->late_answer) {
                p->late_answer = true;
                finding(e, FINDING_NOTE, RULE_DB_2,
                        "late answer type='%s' for the multiplexed pair %s -> %s, after its "
                        "step ran out; ignored",
                        type, p->from, p->to);
                return;
        }
        /* DB-9 (XEP-0220 §3.1): a typed result must answer a request of ours. */
        if (type == NULL || p == NULL || !p->pending) {
                finding(e, FINDING_VIOLATION, RULE_DB_9,
                        "db:result (type=%s from=%s to=%s) answers no request of ours; ignored",
                        type ? type : "none", from ? from : "none", to ? to : "none");
                return;
        }
        p->pending = false;
        /* DB-6 (XEP-0220 §2.2.1): the peer does not host the target of our probe, so
         * the only answer is a dialback error <item-not-found/>. Verifying it anyway
         * and answering valid (or invalid) accepts a pair for a domain it does not
         * serve: never authentication. */
        unhosted = e->unhosted_target[0] != '\0' && domain_eq(p->to, e->unhosted_target) &&
                   strcmp(type, "error") != 0;
        blind = !unhosted && strcmp(type, "valid") == 0 && !peer_verified(e, p);
        if (unhosted) {
                finding(e, FINDING_VIOLATION, RULE_DB_6,
                        "the peer verified dialback for %s, a domain it does not host, and "
                        "answered type='%s' instead of a dialback error <item-not-found/> (DB-6)",
                        p->to, type);
        } else if (blind) {
                /* DB-3..DB-5 (XEP-0220 §2.1-§2.3): a receiving server learns whether the
                 * key is right only from our authoritative server. A 'valid' it never
                 * asked for means it accepts any key: it would accept anyone. */
                e->result.unverified_valid = true;
                finding(e, FINDING_VIOLATION, RULE_H_DB_UNVERIFIED,
                        "the partner accepted dialback without verifying the key: no "
                        "db:verify for %s -> %s (id %s) reached %s's authoritative server",
                        p->from, p->to, p->id, p->from);
        } else if (strcmp(type, "valid") == 0) {
                p->verified = true;
                if (first) {
                        i_authenticated(e, METHOD_DT);
                        return;
                }
                e->result.pairs++;
                tracef(e, TRACE_NOTE, "multiplexed pair %s -> %s authenticated", p->from, p->to);
                ev = push_event(e, EV_AUTHENTICATED);
                if (ev != NULL) {
                        copy_str(ev->from, sizeof(ev->from), p->from);
                        copy_str(ev->to, sizeof(ev->to), p->to);
                }
                return;
        }
        p->failed = true;
        if (strcmp(type, "error") == 0)
                finding_about(e, FINDING_NOTE, RULE_DB_7, db_error_condition(n), type,
                              "dialback for %s -> %s: error <%s/>", p->from, p->to,
                              db_error_condition(n));
        else if (!blind && !unhosted)
                finding_about(e, FINDING_NOTE, RULE_DB_5, NULL, type,
                              "dialback for %s -> %s answered type='%s'", p->from, p->to, type);
        if (first && unhosted) {
                finish_failure(e, RULE_DB_5,
                               "dialback for %s, which the peer does not host, answered type='%s' "
                               "instead of <item-not-found/>",
                               p->to, type);
                close_stream(e);
                return;
        }
        if (first && blind) {
                finish_failure(e, RULE_H_DB_UNVERIFIED,
                               "the partner accepted dialback without verifying the key: no "
                               "db:verify reached %s's authoritative server",
                               p->from);
                close_stream(e);
                return;
        }
        if (first) {
                finish_failure(e, RULE_DB_5, "dialback result type='%s'", type);
                /* DB-5: after invalid, send nothing more on this connection; an error
                 * leaves the stream usable, but it carries no pair. */
                close_stream(e);
                return;
        }
        /* A later pair: the stream goes on for the pairs already valid (XEP-0220 §2.6). */
        ev = push_event(e, EV_PAIR_FAILED);
        if (ev != NULL) {
                copy_str(ev->from, sizeof(ev->from), p->from);
                copy_str(ev->to, sizeof(ev->to), p->to);
                ev->type = strcmp(type, "invalid") == 0 || unhosted ? DB_INVALID : DB_ERROR;
        }
}

/* The request engine_send_verify sent that the answer n (from/to swapped) matches,
 * or -1. */
static int verify_request(const struct engine *e, xmlNodePtr n)
{
        const char *id = xs_attr(n, "id"), *from = xs_attr(n, "from"), *to = xs_attr(n, "to");

        for (size_t i = 0; id != NULL && i < e->n_verifies; i++) {
                if (strcmp(e->verifies[i].id, id) == 0 && domain_eq(e->verifies[i].to, from) &&
                    domain_eq(e->verifies[i].from, to))
                        return (int)i;
        }
        return -1;
}

static void push_verify_answer(struct engine *e, size_t i, enum db_type type)
{
        struct engine_event *ev = push_event(e, EV_VERIFY_ANSWER);

        if (ev != NULL) {
                /* The request's from and to, swapped as the answer names them. */
                memcpy(ev->from, e->verifies[i].to, sizeof(ev->from));
                memcpy(ev->to, e->verifies[i].from, sizeof(ev->to));
                memcpy(ev->id, e->verifies[i].id, sizeof(ev->id));
                ev->type = type;
        }
        e->verifies[i] = e->verifies[--e->n_verifies];
}

/* XEP-0220 §2.2.2 step 3 on an AUTH stream that carried our db:verify: true when n
 * answered one (DB-9: a typed db:verify that answers nothing is not ours). */
static bool i_on_verify_answer(struct engine *e, xmlNodePtr n)
{
        const char *type = xs_attr(n, "type");
        int i = verify_request(e, n);

        if (type == NULL || i < 0)
                return false;
        tracef(e, TRACE_NOTE, "authoritative answer on this stream: %s", type);
        push_verify_answer(e, (size_t)i,
                           strcmp(type, "valid") == 0     ? DB_VALID
                           : strcmp(type, "invalid") == 0 ? DB_INVALID
                                                          : DB_ERROR);
        return true;
}

static void i_on_element(struct engine *e, xmlNodePtr n)
{
        switch (e->state) {
        case ST_EXPECT_FEATURES:
                if (xs_is(n, XS_NS_STREAMS, "features")) {
                        i_on_features(e, n);
                        return;
                }
                break;
        case ST_EXPECT_PROCEED:
                if (xs_is(n, NS_TLS, "proceed") && wire(e) == WIRE_PROCEED_THEN_PLAINTEXT) {
                        /* Misbehaving: no TLS after <proceed/>, a new plaintext stream. */
                        tracef(e, TRACE_NOTE, "misbehaving: plaintext after <proceed/>");
                        e->pending_switch = SWITCH_RESTART;
                        set_state(e, ST_EXPECT_HEADER);
                        send_header(e, e->remote, local_domain(e), NULL);
                        e->muted = true;
                        return;
                }
                if (xs_is(n, NS_TLS, "proceed")) {
                        e->pending_switch = SWITCH_TLS;
                        return;
                }
                if (xs_is(n, NS_TLS, "failure")) {
                        /* TLS-6 (RFC 6120 §5.4.2.2): the peer closes after <failure/>. */
                        finding(e, FINDING_NOTE, RULE_TLS_6,
                                "the peer answered <starttls/> with <failure/>");
                        /* Asked for TLS the peer never offered (a misbehaving or
                         * downgrade probe): with our TLS Required that is F1, the
                         * peer offering no TLS; otherwise TLS was tried and failed. */
                        if (!e->tls_up && !e->feat.starttls && e->cfg.neg.tls == NEG_REQUIRED)
                                e->detected = OUTCOME_F1;
                        else
                                e->tls_attempted = true;
                        finish_failure(e, RULE_TLS_6, "STARTTLS refused with <failure/>");
                        close_stream(e);
                        return;
                }
                break;
        case ST_EXPECT_SASL_RESULT:
                if (xs_is(n, NS_SASL, "success")) {
                        e->sasl_done = true;
                        copy_str(e->sasl_identity, sizeof(e->sasl_identity), local_domain(e));
                        e->result.restarts++;
                        e->pending_switch = SWITCH_RESTART;
                        /* RFC 6120 §6.4.6: new header, no </stream:stream> first. */
                        send_header(e, e->remote, local_domain(e), NULL);
                        set_state(e, ST_EXPECT_HEADER);
                        return;
                }
                if (xs_is(n, NS_SASL, "failure")) {
                        const char *cond = "(none)";

                        for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
                                if (c->type == XML_ELEMENT_NODE &&
                                    strcmp((const char *)c->name, "text"))
                                        cond = (const char *)c->name;
                        }
                        finding(e, FINDING_NOTE, RULE_SASL_6, "EXTERNAL refused with <%s/>", cond);
                        tracef(e, TRACE_NOTE, "SASL EXTERNAL failed: %s", cond);
                        if (e->feat.external && strcmp(cond, "not-authorized") == 0)
                                finding(e, FINDING_VIOLATION, RULE_SASL_4,
                                        "EXTERNAL was offered, then refused with "
                                        "<not-authorized/>: it should be offered only when "
                                        "the certificate proves the stream's from");
                        if (!e->tls_up && e->cfg.knobs.bad.auth_before_tls) {
                                /* The premature <auth/> was refused (RFC 6120 §6.5.4): go on
                                 * as a conforming server would, STARTTLS first. */
                                i_negotiate(e);
                                return;
                        }
                        if (e->cfg.knobs.dialback_after_sasl_failure &&
                            (own_methods(e) & (e->tls_up ? METHOD_DT : METHOD_DP)) &&
                            peer_signals_dialback(e) && e->stream_id[0] != '\0') {
                                i_send_db_result(e, local_domain(e), e->remote);
                                return;
                        }
                        finish_failure(e, RULE_SASL_6, "SASL EXTERNAL refused (<%s/>)", cond);
                        close_stream(e);
                        return;
                }
                break;
        case ST_EXPECT_DB_RESULT:
        case ST_EXPECT_CLAIM_ANSWER:
        case ST_EXPECT_STANZAS:
                if (xs_is(n, XS_NS_DIALBACK, "result")) {
                        i_on_db_result(e, n);
                        return;
                }
                if (xs_is(n, XS_NS_DIALBACK, "verify") && i_on_verify_answer(e, n))
                        return;
                break;
        case ST_EXPECT_VERIFY_ANSWER:
                if (xs_is(n, XS_NS_DIALBACK, "verify")) {
                        const char *type = xs_attr(n, "type"), *id = xs_attr(n, "id");
                        const char *from = xs_attr(n, "from"), *to = xs_attr(n, "to");
                        struct engine_event *ev;

                        if (type == NULL || id == NULL || strcmp(id, e->v_id) != 0 ||
                            !domain_eq(from, e->v_to) || !domain_eq(to, e->v_from)) {
                                finding(e, FINDING_VIOLATION, RULE_DB_9,
                                        "db:verify answer does not match our request; ignored");
                                return;
                        }
                        ev = push_event(e, EV_VERIFY_ANSWER);
                        if (ev != NULL) {
                                copy_str(ev->from, sizeof(ev->from), from);
                                copy_str(ev->to, sizeof(ev->to), to);
                                copy_str(ev->id, sizeof(ev->id), id);
                                ev->type = strcmp(type, "valid") == 0     ? DB_VALID
                                           : strcmp(type, "invalid") == 0 ? DB_INVALID
                                                                          : DB_ERROR;
                        }
                        tracef(e, TRACE_NOTE, "authoritative answer: %s", type);
                        finish(e, 0, RULE_DB_4, "verification answered type='%s'", type);
                        close_stream(e);
                        return;
                }
                break;
        default:
                break;
        }
        if (xs_is(n, XS_NS_STREAMS, "error"))
                return; /* handled by the caller */
        {
                struct buf b;

                buf_init(&b, 0);
                xs_write_node(&b, n);
                finding(e, FINDING_VIOLATION, RULE_H_SE_UNSUPPORTED_STANZA,
                        "unexpected <%s/> while %s: %.200s", (const char *)n->name,
                        engine_state_name(e->state), b.data != NULL ? b.data : "");
                buf_cleanup(&b);
        }
}

/* ---- receiving side ------------------------------------------------------------ */

static void r_send_features(struct engine *e)
{
        unsigned a = own_methods(e);
        struct buf f;

        buf_init(&f, 0);
        buf_puts(&f, "<stream:features>");
        e->starttls_offered = false;
        if (e->sasl_done) {
                /* RFC 6120 §6.4.6: nothing left to negotiate. */
        } else if (!e->tls_up) {
                /* A server without a certificate cannot finish a handshake: no STARTTLS. */
                bool can_tls =
                    e->cfg.neg.tls != NEG_NOTSUPPORTED && tls_creds_has_cert(e->cfg.creds);

                bool unmarked = e->cfg.knobs.bad.starttls_not_required &&
                                e->cfg.neg.tls == NEG_REQUIRED && can_tls;

                if (unmarked) {
                        /* Misbehaviour: TLS Required, yet neither <required/> (TLS-2,
                         * RFC 6120 §5.4.1) nor STARTTLS alone (TLS-3, §5.3.1): dialback
                         * is signalled too. */
                        e->starttls_offered = true;
                        tracef(e, TRACE_NOTE,
                               "misbehaving: TLS is Required, <starttls/> offered without "
                               "<required/>");
                        buf_puts(&f, "<starttls xmlns='" NS_TLS "'/>");
                        if (a & METHOD_DT)
                                buf_puts(&f, "<dialback xmlns='" NS_DB_FEATURE
                                             "'><errors/></dialback>");
                } else if (can_tls) {
                        e->starttls_offered = true;
                        /* TLS-2/TLS-3: <required/> iff Required, and nothing else then. */
                        buf_puts(&f, e->cfg.neg.tls == NEG_REQUIRED
                                         ? "<starttls xmlns='" NS_TLS "'><required/></starttls>"
                                         : "<starttls xmlns='" NS_TLS "'/>");
                }
                if (e->cfg.neg.tls != NEG_REQUIRED && (a & METHOD_DP))
                        buf_puts(&f, "<dialback xmlns='" NS_DB_FEATURE "'><errors/></dialback>");
        } else {
                enum certid_match how;

                if (e->cfg.knobs.bad.starttls_after_tls) {
                        tracef(e, TRACE_NOTE, "misbehaving: STARTTLS offered again after TLS");
                        buf_puts(&f, "<starttls xmlns='" NS_TLS "'/>");
                }
                if (a & METHOD_S) {
                        bool proves = e->peer_from[0] != '\0' && cert_proves(e, e->peer_from, &how);

                        if (e->cfg.knobs.bad.external_bound_to_fail) {
                                tracef(e, TRACE_NOTE,
                                       "misbehaving: offering EXTERNAL bound to fail (the "
                                       "certificate %s '%s')",
                                       proves ? "proves" : "does not prove", e->peer_from);
                                buf_puts(&f, "<mechanisms xmlns='" NS_SASL
                                             "'><mechanism>EXTERNAL</mechanism></mechanisms>");
                        }
                        /* XEP-0178 step 9 / SASL-4: offer EXTERNAL only when it can succeed. */
                        if (proves && !e->cfg.knobs.bad.external_bound_to_fail) {
                                buf_puts(&f, "<mechanisms xmlns='" NS_SASL
                                             "'><mechanism>EXTERNAL</mechanism></mechanisms>");
                                tracef(e, TRACE_NOTE,
                                       "offering EXTERNAL: certificate proves %s (%s)",
                                       e->peer_from, certid_match_name(how));
                        } else {
                                tracef(
                                    e, TRACE_NOTE,
                                    "not offering EXTERNAL: the peer's certificate does not prove "
                                    "'%s' (%s)",
                                    e->peer_from,
                                    !e->have_peer || !e->peer.has_cert ? "no certificate"
                                    : !e->peer.chain_ok                ? e->peer.verify_text
                                                                       : "no identifier matches");
                        }
                }
                if (a & METHOD_DT)
                        buf_puts(&f, "<dialback xmlns='" NS_DB_FEATURE "'><errors/></dialback>");
        }
        buf_puts(&f, "</stream:features>");
        send_buf(e, &f);
        buf_cleanup(&f);
}

static void r_on_header(struct engine *e, const struct xs_header *h)
{
        char id[ID_MAX];

        copy_str(e->peer_from, sizeof(e->peer_from), h->from);
        copy_str(e->peer_to, sizeof(e->peer_to), h->to);
        e->peer_db_declared = h->db_prefix != NULL;
        e->header_sent = false;
        if (h->id != NULL && h->id[0] != '\0')
                finding(e, FINDING_NOTE, RULE_H_HDR_ID,
                        "initiating header carries id='%s' (ignored)", h->id);
        e->no_to = h->to == NULL && e->peer_db_declared;
        if (e->no_to) {
                /* The pre-1.0 dialback form (XEP-0220 §2.4.1 declared, no to, from or
                 * version): deployed, though to is a MUST (RFC 6120 §4.7.2, STR-1). Each
                 * db:result and db:verify names its target, and is judged for it. */
                finding(e, FINDING_NOTE, RULE_H_HDR_TO,
                        "initiating header has no 'to', a MUST (the legacy dialback form, "
                        "deployed and accepted by Prosody): each <db:result/> and "
                        "<db:verify/> is taken for the domain it names");
        } else if (h->to == NULL || !hosts(e, h->to)) {
                /* RFC 6120 §4.9.3.6: the stream's to names a domain we do not serve. */
                e->result.header_no_to = h->to == NULL;
                finding(e, FINDING_VIOLATION, RULE_H_SE_HOST_UNKNOWN,
                        "stream to='%s' is not served here", h->to ? h->to : "(none)");
                finish_failure(e, RULE_H_SE_HOST_UNKNOWN, "host-unknown: to='%s'",
                               h->to ? h->to : "(none)");
                stream_error(e, "host-unknown", NULL);
                return;
        }
        if ((h->from == NULL || h->from[0] == '\0') && !e->no_to)
                finding(e, FINDING_VIOLATION, RULE_H_HDR_FROM,
                        "initiating server sent no 'from' on its stream header");
        if (h->version != NULL && strncmp(h->version, "1.", 2) != 0) {
                finish_failure(e, RULE_H_SE_UNSUPPORTED_VERSION, "unsupported version '%s'",
                               h->version);
                stream_error(e, "unsupported-version", NULL);
                return;
        }
        if (e->cfg.knobs.bad.reuse_stream_id && e->stream_id[0] != '\0') {
                tracef(e, TRACE_NOTE, "misbehaving: stream id %s again", e->stream_id);
                copy_str(id, sizeof(id), e->stream_id);
        } else if (xs_new_stream_id(e->cfg.random, e->cfg.random_user, id, sizeof(id)) != 0) {
                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "no randomness for a stream id");
                stream_error(e, "internal-server-error", NULL);
                return;
        }
        remember_id(e, id);
        if (e->cfg.knobs.bad.omit_stream_id || e->cfg.knobs.bad.wrong_header_from)
                tracef(e, TRACE_NOTE, "misbehaving: response header %s",
                       e->cfg.knobs.bad.omit_stream_id ? "without an id" : "with a wrong from");
        e->legacy = h->version == NULL;
        /* STR-11 (RFC 6120 §4.9.1.3): with no to, our from is our own domain. */
        send_header(e, e->peer_from[0] != '\0' ? e->peer_from : NULL,
                    e->cfg.knobs.bad.wrong_header_from ? "elsewhere.example"
                    : e->no_to                         ? local_domain(e)
                                                       : h->to,
                    e->cfg.knobs.bad.omit_stream_id ? NULL : id);
        if (e->legacy) {
                finding(e, FINDING_NOTE, RULE_STR_3,
                        "initiating header has no version: no features sent (legacy dialback)");
        } else {
                r_send_features(e);
        }
        if (e->sasl_done) {
                set_state(e, ST_EXPECT_STANZAS);
                e->result.pairs++;
                finish_success(e, METHOD_S, e->sasl_identity);
                {
                        struct engine_event *ev = push_event(e, EV_AUTHENTICATED);
                        if (ev != NULL) {
                                copy_str(ev->from, sizeof(ev->from), e->sasl_identity);
                                copy_str(ev->to, sizeof(ev->to), e->peer_to);
                        }
                }
                return;
        }
        /* STARTTLS offered: it comes next (or, TLS Optional, authentication in
         * plaintext); else only authentication is left (RFC 6120 §5.3.1, §6.4.1). */
        set_state(e, e->starttls_offered && !e->tls_up ? ST_EXPECT_STARTTLS : ST_EXPECT_AUTH);
}

static void after_tls_receiving(struct engine *e)
{
        /* Wait for the initiator's new header (RFC 6120 §5.4.3.3). */
        (void)e;
}

static void r_sasl_failure(struct engine *e, const char *cond, const char *why)
{
        char xml[256];

        snprintf(xml, sizeof(xml), "<failure xmlns='%s'><%s/></failure>", NS_SASL, cond);
        send_text(e, xml);
        tracef(e, TRACE_NOTE, "EXTERNAL refused: %s", why);
        e->sasl_failures++;
        if (e->sasl_failures >= e->cfg.knobs.sasl_max_failures) {
                /* SASL-7 (RFC 6120 §6.4.5): too many retries. */
                finish_failure(e, RULE_SASL_7, "SASL EXTERNAL failed %u times: %s",
                               e->sasl_failures, why);
                stream_error(e, "policy-violation", "too many SASL failures");
        }
}

static void r_on_auth(struct engine *e, xmlNodePtr n)
{
        const char *mech = xs_attr(n, "mechanism");
        xmlChar *text;
        char authzid[DOMAIN_MAX] = "";
        enum certid_match how;

        e->auth_attempted = true;
        e->sasl_tried = true;
        if (!e->tls_up) {
                finding(e, FINDING_VIOLATION, RULE_H_SASL_PRE_TLS, "<auth/> before TLS");
                if (e->cfg.neg.tls == NEG_REQUIRED)
                        e->detected = OUTCOME_F2;
                r_sasl_failure(e, "encryption-required", "no TLS yet");
                return;
        }
        if (mech == NULL || strcmp(mech, "EXTERNAL") != 0 || !(own_methods(e) & METHOD_S)) {
                r_sasl_failure(e, "invalid-mechanism", "mechanism not offered");
                return;
        }
        if (e->cfg.knobs.bad.external_bound_to_fail) {
                r_sasl_failure(e, "not-authorized", "misbehaving: EXTERNAL offered, then refused");
                return;
        }
        text = xmlNodeGetContent(n);
        if (text != NULL && text[0] != '\0' && strcmp((const char *)text, "=") != 0) {
                gnutls_datum_t in = {text, (unsigned)strlen((const char *)text)};
                gnutls_datum_t out = {NULL, 0};

                if (gnutls_base64_decode2(&in, &out) != 0 || out.size >= sizeof(authzid) ||
                    memchr(out.data, '\0', out.size) != NULL) {
                        gnutls_free(out.data);
                        xmlFree(text);
                        r_sasl_failure(e, "incorrect-encoding", "authzid is not valid base64");
                        return;
                }
                memcpy(authzid, out.data, out.size);
                authzid[out.size] = '\0';
                gnutls_free(out.data);
        }
        xmlFree(text);
        /* SASL-5 (RFC 6120 §6.3.8): an S2S authzid, when sent, is the bare from domain. */
        if (authzid[0] != '\0' && !domain_eq(authzid, e->peer_from)) {
                r_sasl_failure(e, "invalid-authzid", "authzid differs from the stream's from");
                return;
        }
        /* XEP-0178 step 11: succeed iff the certificate proves the stream's from. */
        if (e->peer_from[0] == '\0' || !cert_proves(e, e->peer_from, &how)) {
                r_sasl_failure(e, "not-authorized", "certificate does not prove the stream's from");
                return;
        }
        tracef(e, TRACE_NOTE, "EXTERNAL accepted for %s (%s)", e->peer_from,
               certid_match_name(how));
        send_text(e, "<success xmlns='" NS_SASL "'/>");
        e->sasl_done = true;
        e->result.restarts++;
        e->header_sent = false; /* the restarted stream needs our new header (§4.9.1.2) */
        copy_str(e->sasl_identity, sizeof(e->sasl_identity), e->peer_from);
        e->pending_switch = SWITCH_RESTART;
        set_state(e, ST_EXPECT_HEADER);
}

/*
 * Whose rules judge a dialback request for a target: this server's when it hosts
 * it, else those of the server at this address that does (engine_vhost, XEP-0220
 * §2.6 target multiplexing), else nobody's (false: DB-6 item-not-found).
 */
struct db_policy {
        bool vhost;
        bool silent, ignore_result; /* that server's own misbehaviour (engine_vhost) */
        bool other_negotiation;     /* engine_vhost.other_negotiation */
        struct neg_settings neg;
        enum semantics sem;
        enum dboff_reply dboff;
        bool requires_cert;
        const char *secret;
        enum db_answer answer;
        struct db_ledger *ledger;
        engine_trace_fn trace;
        void *trace_user;
};

static bool db_policy(struct engine *e, const char *to, struct db_policy *p)
{
        struct engine_vhost vh;

        memset(p, 0, sizeof(*p));
        if (hosts(e, to)) {
                p->neg = e->cfg.neg;
                p->sem = e->cfg.sem;
                p->dboff = e->cfg.knobs.dialback_off_reply;
                p->requires_cert = e->cfg.knobs.dialback_requires_valid_cert;
                p->secret = e->secret;
                p->answer = e->cfg.db_answer;
                p->ledger = e->cfg.ledger;
                return true;
        }
        memset(&vh, 0, sizeof(vh));
        if (e->cfg.role != ENGINE_RECEIVING || e->cfg.vhost == NULL ||
            !e->cfg.vhost(e->cfg.vhost_user, to, &vh) || vh.secret == NULL)
                return false;
        p->vhost = true;
        p->neg = vh.neg;
        p->sem = vh.sem;
        p->dboff = vh.dialback_off_reply;
        p->requires_cert = vh.dialback_requires_valid_cert;
        p->secret = vh.secret;
        p->answer = vh.db_answer;
        p->ledger = vh.ledger;
        p->trace = vh.trace;
        p->trace_user = vh.trace_user;
        p->silent = vh.silent;
        p->ignore_result = vh.ignore_db_result;
        p->other_negotiation = vh.other_negotiation;
        return true;
}

/* A line for the other server's own account too (its transcript). */
static void vhost_trace(const struct db_policy *p, enum trace_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void vhost_vtrace(const struct db_policy *p, enum trace_kind kind,
                         const struct engine_obs *obs, const char *fmt, va_list ap)
{
        char text[ENGINE_TEXT_MAX + 64];
        struct trace_entry t;

        if (!p->vhost || p->trace == NULL)
                return;
        if (vsnprintf(text, sizeof(text), fmt, ap) < 0)
                return;
        t.kind = kind;
        t.text = text;
        t.len = strlen(text);
        t.obs = obs;
        p->trace(p->trace_user, &t);
}

static void vhost_trace(const struct db_policy *p, enum trace_kind kind, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vhost_vtrace(p, kind, NULL, fmt, ap);
        va_end(ap);
}

/* vhost_trace with what the line tells as data. */
static void vhost_trace_obs(const struct db_policy *p, enum trace_kind kind,
                            const struct engine_obs *obs, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void vhost_trace_obs(const struct db_policy *p, enum trace_kind kind,
                            const struct engine_obs *obs, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vhost_vtrace(p, kind, obs, fmt, ap);
        va_end(ap);
}

/*
 * The failure codes of another server's pair: as failure_outcomes under that
 * server's settings, with only what this pair showed (a stream that carries many
 * servers' pairs must not lend one pair's F2 to the next): F2 when those settings
 * require TLS and the stream has none (XEP-0220 §2.5 policy-violation).
 */
static unsigned pair_failure_outcomes(const struct engine *e, const struct neg_settings *neg,
                                      enum semantics sem)
{
        return failure_outcomes_for(
            e, neg, sem, neg->tls == NEG_REQUIRED && !e->tls_up ? OUTCOME_F2 : OUTCOME_COUNT);
}

/* A pair of another server's ends (EV_PAIR_DONE; engine_pair_result). */
static void pair_done(struct engine *e, struct pair *p, unsigned outcomes, enum rule_id rule,
                      const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void pair_done(struct engine *e, struct pair *p, unsigned outcomes, enum rule_id rule,
                      const char *fmt, ...)
{
        struct engine_event *ev;
        va_list ap;

        if (p == NULL || !p->vhost || p->done)
                return;
        p->done = true;
        p->outcomes = outcomes;
        p->rule_id = rule;
        copy_str(p->rule, sizeof(p->rule), rule_cite(rule));
        va_start(ap, fmt);
        vsnprintf(p->cause, sizeof(p->cause), fmt, ap);
        va_end(ap);
        ev = push_event(e, EV_PAIR_DONE);
        if (ev != NULL) {
                copy_str(ev->from, sizeof(ev->from), p->from);
                copy_str(ev->to, sizeof(ev->to), p->to);
                ev->type = p->verified ? DB_VALID : DB_INVALID;
        }
}

/* Whether a pair decides the stream's own result: this server's pairs do; another
 * server's (target multiplexing) report through EV_PAIR_DONE instead, except on a
 * stream whose header named no target (legacy dialback): its pairs are all it has. */
static bool own_result(const struct engine *e, const struct db_policy *pol)
{
        return !pol->vhost || e->no_to;
}

/* A refusal of (from, to) in step 1: the dialback error, and for another server's
 * target the pair's own result. */
static void db_refuse(struct engine *e, const struct db_policy *pol, const char *from,
                      const char *to, const char *cond, enum rule_id rule, const char *why)
{
        send_db(e, "result", to, from, NULL, "error", NULL, cond);
        if (pol->vhost) {
                struct pair *p = get_pair(e, from, to);

                vhost_trace(pol, TRACE_NOTE, "db:result %s -> %s refused (%s): %s [%s]", from, to,
                            cond, why, rule_cite(rule));
                if (p != NULL) {
                        p->vhost = true;
                        p->failed = true;
                        p->pending = false;
                        pair_done(e, p, pair_failure_outcomes(e, &pol->neg, pol->sem), rule, "%s",
                                  why);
                }
        }
}

/*
 * Whether this stream may carry a pair for another server at this address
 * (XEP-0220 §2.6 target multiplexing): only when that server would have
 * negotiated it as its owner did. Otherwise the pair would be judged under one
 * server's settings on another's TLS and SASL state (a TLS-Optional peer on a
 * stream negotiated without TLS shows Dp where its own stream shows Dt), and
 * which stream the peer picks is a matter of timing. A stream authenticated by
 * SASL EXTERNAL does not carry dialback pairs for others either: that server's
 * own stream would have authenticated by SASL too. A legacy stream (no 'to') is
 * what the peer's own stream would be: it carries everything.
 */
static bool carries_for(const struct engine *e, const struct db_policy *pol)
{
        return !pol->vhost || e->no_to || (!pol->other_negotiation && e->result.method != METHOD_S);
}

/*
 * A pair that this stream does not carry (carries_for): the dialback error
 * XEP-0220 §2.5 gives for a receiving server that cannot add another domain
 * pair to a stream, <resource-constraint/> (reference DB-7: the initiator opens
 * a new connection). Not a verdict on the pair, and nothing the peer did wrong
 * (target multiplexing is allowed, §2.6): no pair result and no finding, a note
 * in both servers' accounts.
 */
static void mux_refuse(struct engine *e, const struct db_policy *pol, const char *from,
                       const char *to)
{
        const char *why = e->result.method == METHOD_S
                              ? "this stream authenticated by SASL EXTERNAL, as that domain's "
                                "own stream would"
                              : "this stream was negotiated under other settings than that "
                                "domain's";

        send_db(e, "result", to, from, NULL, "error", NULL, "resource-constraint");
        tracef(e, TRACE_NOTE,
               "db:result %s -> %s not carried here (%s): <resource-constraint/>, a stream of "
               "its own is needed (%s, %s)",
               from, to, why, rule_name(RULE_DB_7), rule_cite(RULE_DB_7));
        vhost_trace(pol, TRACE_NOTE,
                    "db:result %s -> %s came on another node's stream and was not taken there "
                    "(%s): <resource-constraint/>, so that the partner opens a stream of its "
                    "own, negotiated under this scenario's settings (%s: %s; %s: %s)",
                    from, to, why, rule_name(RULE_DB_7), rule_cite(RULE_DB_7),
                    rule_name(RULE_DB_10), rule_cite(RULE_DB_10));
}

/*
 * Another server's pair that its settings ignore (reference §3.10 item 2, Lync
 * "ignored"): nothing goes on the wire, and the pair is over for that server at
 * once with the code its own stream would end with when the peer gives up or the
 * step timer fires (the stream may carry other pairs and outlive the scenario).
 */
static void vhost_ignored(struct engine *e, const struct db_policy *pol, const char *from,
                          const char *to)
{
        struct pair *p = get_pair(e, from, to);
        const char *why = pol->silent          ? "silent, as told"
                          : pol->ignore_result ? "ignore-db-result, as told"
                                               : "SupportDialbackNegotiation False; DB-14";

        vhost_trace(pol, TRACE_NOTE, "db:result %s -> %s ignored (%s): no answer", from, to, why);
        if (p == NULL)
                return;
        p->vhost = true;
        p->failed = true;
        p->pending = false;
        pair_done(e, p, pair_failure_outcomes(e, &pol->neg, pol->sem),
                  pol->silent || pol->ignore_result ? RULE_DB_7 : RULE_DB_14,
                  "dialback ignored here (%s): %s -> %s got no answer", why, from, to);
}

static void r_on_db_result(struct engine *e, xmlNodePtr n)
{
        const char *from = xs_attr(n, "from"), *to = xs_attr(n, "to");
        struct db_policy pol;
        unsigned a;
        xmlChar *key;
        struct pair *p;
        struct engine_event *ev;

        if (xs_attr(n, "type") != NULL) {
                /* DB-9 (XEP-0220 §3.1): an unsolicited typed result is not authentication. */
                finding(e, FINDING_VIOLATION, RULE_DB_9,
                        "unsolicited db:result type='%s' from='%s'; ignored", xs_attr(n, "type"),
                        from ? from : "(none)");
                return;
        }
        e->auth_attempted = true;
        e->verify_only = false;
        if (from == NULL || to == NULL) {
                finding(e, FINDING_VIOLATION, RULE_DB_2, "db:result without from/to");
                finish_failure(e, RULE_DB_2, "db:result without from/to");
                stream_error(e, "improper-addressing", "db:result needs from and to");
                return;
        }
        if (e->cfg.knobs.bad.ignore_db_result) {
                tracef(e, TRACE_NOTE, "misbehaving: ignoring db:result %s -> %s", from, to);
                return;
        }
        if (!e->tls_up && e->cfg.peer_known && e->cfg.peer_neg.tls == NEG_REQUIRED) {
                /* RFC 7590 §3.1, reference §3.6 F1: a TLS-Required peer must refuse to go on
                 * in plaintext; one that does would not notice STARTTLS being stripped. */
                finding(e, FINDING_VIOLATION, RULE_H_DOWNGRADE,
                        "the peer's TLS is Required, yet it asks for dialback (%s -> %s) "
                        "without TLS: a TLS downgrade",
                        from, to);
                if (e->cfg.neg.tls == NEG_NOTSUPPORTED)
                        e->detected = OUTCOME_F1;
                finish_failure(e, RULE_H_DOWNGRADE,
                               "TLS-Required peer went on in plaintext; not accepted");
                stream_error(e, "policy-violation", "TLS is Required for this peer");
                return;
        }
        if (!db_policy(e, to, &pol)) {
                if (!e->cfg.knobs.bad.verify_unhosted_target) {
                        /* DB-6 (XEP-0220 §2.2.1): a dialback error, not a stream error. */
                        send_db(e, "result", to, from, NULL, "error", NULL, "item-not-found");
                        tracef(e, TRACE_NOTE, "db:result for %s, which is not hosted here", to);
                        return;
                }
                tracef(e, TRACE_NOTE,
                       "misbehaving: verifying db:result for %s, which is not hosted here, "
                       "instead of <item-not-found/>",
                       to);
                db_policy(e, local_domain(e), &pol); /* under its own settings */
        }
        a = oracle_methods(&pol.neg, pol.sem);
        if (pol.vhost) {
                /* XEP-0220 §2.6: target multiplexing to another server at this address;
                 * judged as that server would, and reported to it. */
                tracef(e, TRACE_NOTE,
                       "db:result %s -> %s: %s is served at this address by another node; "
                       "judged under its settings (%s: %s)",
                       from, to, to, rule_name(RULE_DB_10), rule_cite(RULE_DB_10));
                struct engine_obs o;

                element_obs(n, false, &o);
                vhost_trace_obs(&pol, TRACE_RECV, &o,
                                "<db:result from='%s' to='%s'/> (on %s stream)", from, to,
                                e->no_to ? "a legacy" : "another node's");
                if (!carries_for(e, &pol)) {
                        mux_refuse(e, &pol, from, to);
                        return;
                }
                if (pol.silent || pol.ignore_result) {
                        /* That server answers nothing, as it would on its own stream. */
                        vhost_ignored(e, &pol, from, to);
                        return;
                }
        }
        if (!pol.neg.dialback) {
                tracef(e, TRACE_NOTE, "dialback is off here (SupportDialbackNegotiation False)");
                switch (pol.dboff) {
                case DBOFF_IGNORE:
                        if (pol.vhost)
                                vhost_ignored(e, &pol, from, to);
                        return;
                case DBOFF_DB_ERROR:
                        db_refuse(e, &pol, from, to, "not-authorized", RULE_DB_7,
                                  "dialback refused: not supported here");
                        if (own_result(e, &pol))
                                finish_failure(e, RULE_DB_7,
                                               "dialback refused: not supported here");
                        return;
                default:
                        if (pol.vhost) {
                                /* One stream carries other servers' pairs: a dialback error
                                 * for this one, not a stream error for all (XEP-0220 §2.5). */
                                db_refuse(e, &pol, from, to, "not-authorized", RULE_DB_7,
                                          "dialback refused: not supported by that domain");
                                return;
                        }
                        finish_failure(e, RULE_H_SE_UNSUPPORTED_STANZA,
                                       "dialback refused: not supported here");
                        stream_error(e, "unsupported-stanza-type", "dialback is not supported");
                        return;
                }
        }
        if (!e->tls_up && e->cfg.knobs.bad.starttls_not_required &&
            e->cfg.neg.tls == NEG_REQUIRED) {
                /* Misbehaviour: no DB-7 <policy-violation/> (XEP-0220 §2.5), no stream
                 * error: silence. */
                tracef(e, TRACE_NOTE, "misbehaving: dropping plaintext db:result %s -> %s", from,
                       to);
                return;
        }
        if (!e->tls_up && !(a & METHOD_DP)) {
                /* DB-7 policy-violation: TLS is required before dialback here. */
                if (pol.neg.tls == NEG_REQUIRED)
                        e->detected = OUTCOME_F2;
                db_refuse(e, &pol, from, to,
                          (a & METHOD_DT) ? "policy-violation" : "not-authorized", RULE_DB_7,
                          (a & METHOD_DT) ? "plaintext dialback refused (TLS required first)"
                                          : "plaintext dialback refused (dialback not accepted)");
                if (own_result(e, &pol))
                        finish_failure(e, RULE_DB_7, "plaintext dialback refused (%s)",
                                       (a & METHOD_DT) ? "TLS required first"
                                                       : "dialback not accepted");
                return;
        }
        if (e->tls_up && !(a & METHOD_DT)) {
                /* DB-7 not-authorized: only a certificate (SASL EXTERNAL) is accepted here. */
                db_refuse(e, &pol, from, to, "not-authorized", RULE_DB_7,
                          "dialback refused: that side accepts only SASL EXTERNAL");
                if (own_result(e, &pol))
                        finish_failure(e, RULE_DB_7, "dialback refused: this side accepts {%s}",
                                       (a & METHOD_S) ? "S" : "");
                return;
        }
        if (pol.requires_cert && !cert_proves(e, from, NULL)) {
                db_refuse(e, &pol, from, to, "not-authorized", RULE_DB_7,
                          "dialback refused: the certificate does not prove the sender");
                if (own_result(e, &pol))
                        finish_failure(e, RULE_DB_7,
                                       "dialback refused: the certificate does not prove %s", from);
                return;
        }
        p = find_pair(e, from, to);
        if (p != NULL && p->pending) {
                finding(e, FINDING_NOTE, RULE_DB_2,
                        "second db:result for %s -> %s while the first is being verified", from,
                        to);
                return;
        }
        p = get_pair(e, from, to);
        if (p == NULL) {
                /* XEP-0220 §2.5: no room for another pair on this connection. */
                send_db(e, "result", to, from, NULL, "error", NULL, "resource-constraint");
                return;
        }
        p->pending = true;
        p->failed = false;
        p->vhost = pol.vhost;
        p->done = false;
        p->neg = pol.neg;
        p->sem = pol.sem;
        if (e->cfg.knobs.bad.valid_without_verify) {
                tracef(e, TRACE_NOTE,
                       "misbehaving: %s -> %s valid without asking %s's authoritative server", from,
                       to, from);
                engine_verify_result(e, from, to, e->stream_id, DB_VALID);
                return;
        }
        key = xmlNodeGetContent(n);
        ev = push_event(e, EV_NEED_VERIFY);
        if (ev != NULL) {
                copy_str(ev->from, sizeof(ev->from), from);
                copy_str(ev->to, sizeof(ev->to), to);
                /* DB-3: the id of our header on this stream (post-TLS id after STARTTLS). */
                copy_str(ev->id, sizeof(ev->id), e->stream_id);
                copy_str(ev->key, sizeof(ev->key), key != NULL ? (const char *)key : "");
        }
        xmlFree(key);
        tracef(e, TRACE_NOTE, "verifying %s -> %s with %s's authoritative server (id %s)", from, to,
               from, e->stream_id);
}

static void r_on_db_verify(struct engine *e, xmlNodePtr n)
{
        const char *from = xs_attr(n, "from"), *to = xs_attr(n, "to"), *id = xs_attr(n, "id");
        char expect[DIALBACK_KEY_LEN + 1];
        struct db_policy pol;
        xmlChar *key;
        const char *type = NULL;
        bool right;

        if (xs_attr(n, "type") != NULL) {
                finding(e, FINDING_VIOLATION, RULE_DB_9, "unsolicited db:verify type='%s'; ignored",
                        xs_attr(n, "type"));
                return;
        }
        if (!e->auth_attempted)
                e->verify_only = true;
        e->got_verify = true;
        if (from == NULL || to == NULL || id == NULL) {
                stream_error(e, "improper-addressing", "db:verify needs from, to and id");
                return;
        }
        if (!db_policy(e, to, &pol)) {
                /* DB-6 (XEP-0220 §2.2.2): nobody at this address hosts to. */
                send_db(e, "verify", to, from, id, "error", NULL, "item-not-found");
                return;
        }
        key = xmlNodeGetContent(n);
        if (pol.vhost) {
                tracef(e, TRACE_NOTE,
                       "db:verify for %s: served at this address by another node, answering "
                       "as its authoritative server (%s: %s; %s: %s)",
                       to, rule_name(RULE_DB_4), rule_cite(RULE_DB_4), rule_name(RULE_DB_10),
                       rule_cite(RULE_DB_10));
                struct engine_obs o;

                element_obs(n, false, &o);
                vhost_trace_obs(&pol, TRACE_RECV, &o,
                                "<db:verify from='%s' to='%s' id='%s'/> (on %s stream)", from, to,
                                id, e->no_to ? "a legacy" : "another node's");
                if (pol.silent) {
                        /* A silent authoritative server (XEP-0220 §2.5) says nothing here
                         * either. */
                        vhost_trace(&pol, TRACE_NOTE, "authoritative: silent, as told");
                        xmlFree(key);
                        return;
                }
        }
        /* The proof an initiating stream of ours asks for before it counts 'valid'. */
        db_ledger_record(pol.ledger, from, to, id, key != NULL ? (const char *)key : "");
        /* DB-4 (XEP-0220 §2.2.2): recompute the key from from, to, id and the secret. */
        right = key != NULL && dialback_key(pol.secret, from, to, id, expect) == 0 &&
                dialback_key_equal(expect, (const char *)key);
        xmlFree(key);
        switch (pol.answer) {
        case DB_ANSWER_VALID:
                type = "valid";
                break;
        case DB_ANSWER_INVALID:
                type = "invalid";
                break;
        case DB_ANSWER_ERROR:
                send_db(e, "verify", to, from, id, "error", NULL, "item-not-found");
                tracef(e, TRACE_NOTE, "authoritative: answering error as told (key %s)",
                       right ? "right" : "wrong");
                vhost_trace(&pol, TRACE_NOTE, "authoritative: answering error as told (key %s)",
                            right ? "right" : "wrong");
                return;
        case DB_ANSWER_NONE:
                tracef(e, TRACE_NOTE, "authoritative: not answering, as told (key %s)",
                       right ? "right" : "wrong");
                vhost_trace(&pol, TRACE_NOTE, "authoritative: not answering, as told (key %s)",
                            right ? "right" : "wrong");
                return;
        default:
                type = right ? "valid" : "invalid";
        }
        tracef(e, TRACE_NOTE, "authoritative: key for %s -> %s id %s is %s; answering %s", to, from,
               id, right ? "right" : "wrong", type);
        vhost_trace(&pol, TRACE_NOTE, "authoritative: key for %s -> %s id %s is %s; answering %s",
                    to, from, id, right ? "right" : "wrong", type);
        send_db(e, "verify", to, from, id, type, NULL, NULL);
}

/* Whether domain is authenticated on this stream for some pair. */
static bool authenticated_from(const struct engine *e, const char *domain)
{
        if (e->sasl_done && domain_eq(e->sasl_identity, domain))
                return true;
        for (size_t i = 0; i < e->n_pairs; i++) {
                if (e->pairs[i]->verified && domain_eq(e->pairs[i]->from, domain))
                        return true;
        }
        return false;
}

static void r_on_stanza(struct engine *e, xmlNodePtr n)
{
        const char *from = xs_attr(n, "from"), *to = xs_attr(n, "to");
        char fd[DOMAIN_MAX], td[DOMAIN_MAX];
        struct engine_event *ev;

        if (!e->sasl_done && !any_verified(e) && e->cfg.knobs.bad.drop_unauthenticated) {
                /* Misbehaving: not processed (STR-7 holds so far), but no <not-authorized/>. */
                tracef(e, TRACE_NOTE, "misbehaving: dropping <%s/> before authentication silently",
                       (const char *)n->name);
                return;
        }
        if (!e->sasl_done && !any_verified(e)) {
                /* STR-7 (RFC 6120 §4.3.5): no stanza before authentication. */
                finding(e, FINDING_VIOLATION, RULE_STR_7, "<%s/> before authentication",
                        (const char *)n->name);
                if (e->cfg.neg.tls == NEG_REQUIRED && !e->tls_up)
                        e->detected = OUTCOME_F2;
                finish_failure(e, RULE_STR_7, "stanza before authentication");
                stream_error(e, "not-authorized", NULL);
                return;
        }
        if (from == NULL || to == NULL || jid_domain(from, fd, sizeof(fd)) != 0 ||
            jid_domain(to, td, sizeof(td)) != 0) {
                finding(e, FINDING_VIOLATION, RULE_H_STANZA_ADDR,
                        "<%s/> without both a valid to and from", (const char *)n->name);
                stream_error(e, "improper-addressing", NULL);
                return;
        }
        if (e->cfg.knobs.bad.drop_unauthenticated &&
            (!authenticated_from(e, fd) || (hosts(e, td) && !pair_ok(e, fd, td)))) {
                /* Misbehaving: dropped instead of <invalid-from/> (RFC 6120 §4.9.3.9). */
                tracef(e, TRACE_NOTE,
                       "misbehaving: dropping <%s/> %s -> %s silently: not an authenticated pair",
                       (const char *)n->name, fd, td);
                return;
        }
        if (!authenticated_from(e, fd)) {
                finding(e, FINDING_VIOLATION, RULE_H_SE_INVALID_FROM,
                        "stanza from '%s', a domain not authenticated on this stream", fd);
                stream_error(e, "invalid-from", NULL);
                return;
        }
        /* A verified pair of another server at this address (XEP-0220 §2.6) is
         * served here too. */
        if (!hosts(e, td) && !pair_ok(e, fd, td)) {
                finding(e, FINDING_VIOLATION, RULE_H_SE_HOST_UNKNOWN,
                        "stanza to '%s', not served here", td);
                stream_error(e, "host-unknown", NULL);
                return;
        }
        if (!pair_ok(e, fd, td)) {
                /* XEP-0220 §2.6: each (sender, target) pair is verified on its own. */
                finding(e, FINDING_VIOLATION, RULE_DB_10,
                        "stanza %s -> %s: that domain pair is not authenticated on this stream", fd,
                        td);
                stream_error(e, "invalid-from", NULL);
                return;
        }
        ev = push_event(e, EV_STANZA);
        if (ev != NULL) {
                copy_str(ev->from, sizeof(ev->from), from);
                copy_str(ev->to, sizeof(ev->to), to);
                ev->stanza = xmlCopyNode(n, 1);
        }
}

static bool is_stanza(xmlNodePtr n)
{
        return xs_is(n, XS_NS_SERVER, "message") || xs_is(n, XS_NS_SERVER, "presence") ||
               xs_is(n, XS_NS_SERVER, "iq");
}

/* <starttls/> in EXPECT_STARTTLS (TLS-1, RFC 6120 §5.4.2.1): <proceed/>, then TLS. */
static void r_on_starttls(struct engine *e)
{
        send_text(e, "<proceed xmlns='" NS_TLS "'/>");
        if (wire(e) == WIRE_PROCEED_THEN_PLAINTEXT) {
                /* Misbehaving: a plaintext stream where TLS records belong. */
                tracef(e, TRACE_NOTE, "misbehaving: plaintext after <proceed/>");
                send_header(e, e->peer_from[0] != '\0' ? e->peer_from : NULL, e->peer_to,
                            e->stream_id);
                r_send_features(e);
                e->muted = true;
                return;
        }
        e->pending_switch = SWITCH_TLS;
}

/* An element the state did not expect, or one taken in any state. */
static void r_on_other(struct engine *e, xmlNodePtr n)
{
        if (xs_is(n, NS_TLS, "starttls")) {
                /* TLS-6 (RFC 6120 §5.4.2.2): failure, then close. */
                finding(e, FINDING_VIOLATION, RULE_TLS_6,
                        "<starttls/> when STARTTLS was not offered");
                if (!e->tls_up)
                        e->starttls_unoffered = true;
                if (!e->tls_up && e->cfg.neg.tls == NEG_NOTSUPPORTED)
                        e->detected = OUTCOME_F1;
                send_text(e, "<failure xmlns='" NS_TLS "'/>");
                finish_failure(e, RULE_TLS_6, "STARTTLS asked for but not offered");
                send_text(e, "</stream:stream>");
                closed(e);
                return;
        }
        if (xs_is(n, NS_SASL, "auth")) {
                finding(e, FINDING_VIOLATION, RULE_SASL_5, "<auth/> while %s",
                        engine_state_name(e->state));
                r_sasl_failure(e, "malformed-request", "unexpected auth");
                return;
        }
        if (xs_is(n, NS_SASL, "abort")) {
                send_text(e, "<failure xmlns='" NS_SASL "'><aborted/></failure>");
                return;
        }
        if (xs_is(n, XS_NS_DIALBACK, "result")) {
                r_on_db_result(e, n);
                return;
        }
        if (xs_is(n, XS_NS_DIALBACK, "verify")) {
                r_on_db_verify(e, n);
                return;
        }
        if (is_stanza(n)) {
                r_on_stanza(e, n);
                return;
        }
        finding(e, FINDING_VIOLATION, RULE_H_SE_UNSUPPORTED_STANZA,
                "unsupported first-level element <%s/>", (const char *)n->name);
        finish_failure(e, RULE_H_SE_UNSUPPORTED_STANZA, "unsupported element <%s/>",
                       (const char *)n->name);
        stream_error(e, "unsupported-stanza-type", NULL);
}

/* The receiving role's transitions, like i_on_element's: what the state expects, then
 * what any state takes (dialback, stanzas) or refuses. */
static void r_on_element(struct engine *e, xmlNodePtr n)
{
        switch (e->state) {
        case ST_EXPECT_STARTTLS:
                if (xs_is(n, NS_TLS, "starttls")) {
                        r_on_starttls(e);
                        return;
                }
                /* TLS Optional: authentication in plaintext (r_on_auth judges it). */
                /* fallthrough */
        case ST_EXPECT_AUTH:
                if (xs_is(n, NS_SASL, "auth")) {
                        r_on_auth(e, n);
                        return;
                }
                break;
        default:
                break;
        }
        r_on_other(e, n);
}

/* ---- parser events --------------------------------------------------------------- */

static void on_peer_stream_error(struct engine *e, xmlNodePtr n)
{
        const char *cond = "(none)";
        xmlChar *text = NULL;

        for (xmlNodePtr c = n->children; c != NULL; c = c->next) {
                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (xs_is(c, XS_NS_STREAM_ERRORS, "text"))
                        text = xmlNodeGetContent(c);
                else if (xs_is(c, XS_NS_STREAM_ERRORS, (const char *)c->name))
                        cond = (const char *)c->name;
        }
        copy_str(e->result.peer_error, sizeof(e->result.peer_error), cond);
        finding_about(e, FINDING_NOTE, RULE_STR_11, cond, NULL, "peer sent stream error <%s/>%s%s",
                      cond, text != NULL ? ": " : "", text != NULL ? (const char *)text : "");
        /* F2 as the receiving side sees it: the TLS-less initiator refuses our
         * mandatory TLS with <unsupported-feature/> (RFC 6120 §4.9.3.23). */
        if (e->cfg.role == ENGINE_RECEIVING && strcmp(cond, "unsupported-feature") == 0 &&
            e->cfg.neg.tls == NEG_REQUIRED && !e->tls_up)
                e->detected = OUTCOME_F2;
        if (e->cfg.purpose == PURPOSE_VERIFY && e->cfg.role == ENGINE_INITIATING &&
            !e->result.final)
                i_verify_failed(e, DB_ERROR, "stream error from the authoritative server");
        finish_failure(e, RULE_STR_11, "the peer sent stream error <%s/>%s%s", cond,
                       text != NULL ? ": " : "", text != NULL ? (const char *)text : "");
        xmlFree(text);
        /* RFC 6120 §4.9.1.1: answer the close and close. */
        if (e->state != ST_EXPECT_CLOSE || e->awaiting_peer_close)
                send_text(e, "</stream:stream>");
        closed(e);
}

static void trace_header(struct engine *e, const struct xs_header *h)
{
        struct engine_obs o = {.kind = OBS_HEADER_RECV,
                               .id = or_empty(h->id),
                               .from = or_empty(h->from),
                               .to = or_empty(h->to),
                               .type = "",
                               .cond = ""};

        tracef_obs(e, TRACE_RECV, &o,
                   "<stream:stream from='%s' to='%s' id='%s' version='%s'> (xmlns:db %s)",
                   h->from ? h->from : "", h->to ? h->to : "", h->id ? h->id : "",
                   h->version ? h->version : "",
                   h->db_prefix != NULL ? "declared" : "not declared");
}

static enum xs_action on_xs_event(void *user, const struct xs_event *ev)
{
        struct engine *e = user;

        if (e->state == ST_CLOSED)
                return XS_PAUSE;
        switch (ev->kind) {
        case XS_EV_HEADER:
                trace_header(e, ev->header);
                if (e->state != ST_EXPECT_HEADER) {
                        finding(e, FINDING_VIOLATION, RULE_H_HDR_ONCE,
                                "a second stream header while %s", engine_state_name(e->state));
                        stream_error(e, "not-well-formed", NULL);
                        break;
                }
                if (e->cfg.role == ENGINE_INITIATING)
                        i_on_header(e, ev->header);
                else
                        r_on_header(e, ev->header);
                break;
        case XS_EV_ELEMENT: {
                struct buf b;

                buf_init(&b, 0);
                if (xs_write_node(&b, ev->element) == 0) {
                        struct engine_obs o;

                        trace_obs(e, TRACE_RECV, b.data, b.len,
                                  element_obs(ev->element, false, &o) ? &o : NULL);
                }
                buf_cleanup(&b);
                if (xs_is(ev->element, XS_NS_STREAMS, "error")) {
                        on_peer_stream_error(e, ev->element);
                        break;
                }
                if (e->state == ST_EXPECT_CLOSE)
                        break; /* RFC 6120 §4.4: the peer may still be sending; ignore */
                if (e->cfg.role == ENGINE_INITIATING)
                        i_on_element(e, ev->element);
                else
                        r_on_element(e, ev->element);
                break;
        }
        case XS_EV_CLOSE:
                trace(e, TRACE_RECV, "</stream:stream>", 16);
                if (!e->result.final && e->state == ST_EXPECT_CLAIM_ANSWER)
                        i_claim_ignored(e, "then the peer closed its stream");
                if (!e->result.final) {
                        if (e->cfg.purpose == PURPOSE_VERIFY && e->cfg.role == ENGINE_INITIATING)
                                i_verify_failed(e, DB_TIMEOUT,
                                                "the authoritative server closed the stream");
                        finish_failure(e, RULE_STR_8, "the peer closed the stream while %s",
                                       engine_state_name(e->state));
                }
                if (e->state != ST_EXPECT_CLOSE || e->awaiting_peer_close)
                        send_text(e, "</stream:stream>");
                if (e->tls_up && tls_session_bye(e->tls) == 0)
                        flush_tls(e);
                closed(e);
                break;
        }
        if (e->state == ST_CLOSED || e->pending_switch != SWITCH_NONE)
                return XS_PAUSE;
        return XS_CONTINUE;
}

static void parse_error(struct engine *e)
{
        const char *cond = xs_error_condition(e->xs);
        const char *text = xs_error_text(e->xs);

        if (e->state == ST_EXPECT_CLOSE) {
                /* We already closed our side (RFC 6120 §4.4): nothing more is written. */
                tracef(e, TRACE_NOTE, "unreadable data after our close (%s): closing",
                       cond ? cond : "error");
                closed(e);
                return;
        }
        finding(e, FINDING_VIOLATION, RULE_STR_10, "%s: %s", cond ? cond : "error", text);
        finish_failure(e, RULE_STR_12, "XML refused (%s): %s", cond ? cond : "error", text);
        stream_error(e, cond != NULL && xs_condition_is_defined(cond) ? cond : "bad-format", NULL);
}

/* Counts plaintext for engine_input_counts: whitespace is not progress. */
static void count_text(struct engine *e, const char *data, size_t len)
{
        e->counts.text += len;
        for (size_t i = 0; i < len; i++) {
                if (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n')
                        e->counts.space++;
        }
}

/* Feeds plaintext to the XML reader, honouring pauses for TLS and restarts. */
static void feed_plain(struct engine *e, const char *data, size_t len)
{
        count_text(e, data, len);
        /* Each round consumes bytes or switches once; the bound is generous. */
        for (size_t round = 0; len > 0 && round < len + 16; round++) {
                size_t used = 0;
                enum xs_status st;

                if (e->state == ST_CLOSED)
                        return;
                st = xs_feed(e->xs, data, len, &used);
                data += used;
                len -= used;
                if (st == XS_ERROR) {
                        parse_error(e);
                        return;
                }
                if (st != XS_PAUSED)
                        continue;
                if (e->state == ST_CLOSED)
                        return;
                switch (e->pending_switch) {
                case SWITCH_TLS:
                        e->pending_switch = SWITCH_NONE;
                        start_tls(e);
                        if (e->tls == NULL)
                                return;
                        if (len > 0 && tls_session_input(e->tls, data, len) != 0)
                                finding(e, FINDING_ERROR, RULE_H_INTERNAL, "TLS input queue full");
                        pump_tls(e);
                        return;
                case SWITCH_RESTART:
                        e->pending_switch = SWITCH_NONE;
                        if (xs_reset(e->xs) != 0) {
                                finding(e, FINDING_ERROR, RULE_H_INTERNAL,
                                        "cannot reset the XML reader");
                                closed(e);
                                return;
                        }
                        break;
                default:
                        break;
                }
        }
}

/* ---- public API ------------------------------------------------------------------- */

struct engine *engine_new(const struct engine_config *cfg, char *err, size_t errlen)
{
        struct engine *e = calloc(1, sizeof(*e));

        if (e == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        e->cfg = *cfg;
        if (cfg->random == NULL) {
                snprintf(err, errlen, "engine needs a random source (engine_config.random)");
                goto fail;
        }
        if (cfg->n_hosted == 0 || cfg->hosted == NULL || cfg->n_hosted > MAX_HOSTED) {
                snprintf(err, errlen, "engine needs 1 to %d hosted domains", MAX_HOSTED);
                goto fail;
        }
        for (size_t i = 0; i < cfg->n_hosted; i++) {
                e->hosted_store[i] =
                    strndup(cfg->hosted[i] != NULL ? cfg->hosted[i] : "", DOMAIN_MAX - 1);
                if (e->hosted_store[i] == NULL) {
                        snprintf(err, errlen, "out of memory");
                        goto fail;
                }
                e->hosted[i] = e->hosted_store[i];
        }
        e->cfg.hosted = e->hosted;
        if (cfg->role == ENGINE_INITIATING && cfg->remote_domain == NULL) {
                snprintf(err, errlen, "initiating engine needs a remote domain");
                goto fail;
        }
        copy_str(e->remote, sizeof(e->remote), cfg->remote_domain);
        copy_str(e->secret, sizeof(e->secret), cfg->secret);
        copy_str(e->v_from, sizeof(e->v_from), cfg->verify_from);
        copy_str(e->v_to, sizeof(e->v_to), cfg->verify_to);
        copy_str(e->v_id, sizeof(e->v_id), cfg->verify_id);
        copy_str(e->v_key, sizeof(e->v_key), cfg->verify_key);
        e->cfg.remote_domain = NULL;
        e->cfg.secret = NULL;
        e->cfg.verify_from = e->cfg.verify_to = e->cfg.verify_id = e->cfg.verify_key = NULL;
        if (e->cfg.max_bytes_before_features == 0)
                e->cfg.max_bytes_before_features = DEFAULT_BEFORE_FEATURES;
        if (e->cfg.limits.max_element == 0)
                xs_limits_default(&e->cfg.limits);
        if (e->cfg.knobs.sasl_max_failures == 0)
                e->cfg.knobs.sasl_max_failures = 3;
        if (cfg->purpose == PURPOSE_VERIFY &&
            (e->v_from[0] == '\0' || e->v_to[0] == '\0' || e->v_id[0] == '\0')) {
                snprintf(err, errlen, "a verify stream needs from, to and id");
                goto fail;
        }
        e->detected = OUTCOME_COUNT;
        buf_init(&e->out, 0);
        buf_init(&e->plain, 0);
        e->xs = xs_new(&e->cfg.limits, XS_NS_SERVER, on_xs_event, e);
        if (e->xs == NULL) {
                snprintf(err, errlen, "cannot create the XML reader");
                goto fail;
        }
        e->result.peer_silent = true;
        e->state = cfg->role == ENGINE_INITIATING ? ST_START : ST_EXPECT_HEADER;
        /* Misbehaving: not one byte (close-at-once also closes, engine_wants_close). */
        e->muted = wire(e) == WIRE_SILENCE || wire(e) == WIRE_CLOSE_AT_ONCE;
        return e;
fail:
        engine_free(e);
        return NULL;
}

void engine_free(struct engine *e)
{
        if (e == NULL)
                return;
        while (e->ev_len > 0) {
                engine_event_cleanup(&e->events[e->ev_head]);
                e->ev_head++;
                e->ev_len--;
        }
        free(e->events);
        free(e->findings);
        free(e->verifies);
        for (size_t i = 0; i < e->n_pairs; i++)
                free(e->pairs[i]);
        for (size_t i = 0; i < MAX_HOSTED; i++)
                free(e->hosted_store[i]);
        if (e->have_peer)
                tls_peer_cleanup(&e->peer);
        tls_session_free(e->tls);
        xs_free(e->xs);
        buf_cleanup(&e->out);
        buf_cleanup(&e->plain);
        free(e);
}

int engine_set_direct_tls(struct engine *e)
{
        bool fresh = e->cfg.role == ENGINE_INITIATING
                         ? e->state == ST_START
                         : e->state == ST_EXPECT_HEADER && e->result.peer_silent;

        if (!fresh || e->tls != NULL || e->cfg.creds == NULL || e->cfg.neg.tls == NEG_NOTSUPPORTED)
                return -1;
        e->direct_tls = true;
        tracef(e, TRACE_NOTE, "direct TLS (XEP-0368): TLS from the first byte");
        if (e->cfg.role == ENGINE_RECEIVING) {
                start_tls(e);
                return e->tls != NULL ? 0 : -1;
        }
        return 0;
}

int engine_start(struct engine *e)
{
        if (e->cfg.role != ENGINE_INITIATING || e->state != ST_START)
                return -1;
        if (e->direct_tls) {
                /* The stream header follows the handshake (after_tls_initiating). */
                start_tls(e);
                if (e->tls != NULL)
                        pump_tls(e);
                return e->tls != NULL ? 0 : -1;
        }
        set_state(e, ST_EXPECT_HEADER);
        if (sends_legacy_header(e)) {
                /* Deployed: the pre-1.0 dialback header (XEP-0220 §2.4.1), no to, from or
                 * version, although to is a MUST (RFC 6120 §4.7.2). */
                tracef(e, TRACE_NOTE,
                       "misbehaving: legacy dialback header (no to, from or "
                       "version) for %s",
                       e->remote);
                send_header(e, NULL, NULL, NULL);
                return 0;
        }
        if (e->cfg.purpose == PURPOSE_AUTH && e->cfg.knobs.bad.unhosted_stream_to) {
                /* Misbehaving: RFC 6120 §4.9.3.6 asks the partner for <host-unknown/>. */
                tracef(e, TRACE_NOTE, "misbehaving: initial header to %s, which %s does not host",
                       ENGINE_UNHOSTED_DOMAIN, e->remote);
                send_header(e, ENGINE_UNHOSTED_DOMAIN, local_domain(e), NULL);
                return 0;
        }
        if (e->cfg.purpose == PURPOSE_AUTH && e->cfg.knobs.bad.wrong_stream_ns) {
                /* Misbehaving: RFC 6120 §4.8.1 asks the partner for <invalid-namespace/>. */
                struct buf b;

                buf_init(&b, 0);
                tracef(e, TRACE_NOTE, "misbehaving: initial header in the stream namespace %s",
                       ENGINE_WRONG_STREAM_NS);
                if (hostile_open(&b, ENGINE_WRONG_STREAM_NS, 0, e->remote, local_domain(e), NULL) !=
                    0)
                        finding(e, FINDING_ERROR, RULE_H_INTERNAL,
                                "could not write a stream header");
                else
                        send_buf(e, &b);
                buf_cleanup(&b);
                e->header_sent = true;
                return 0;
        }
        /* STR-1 (RFC 6120 §4.7): to, from, version; no id from the initiator. */
        send_header(e, e->remote, local_domain(e), NULL);
        return 0;
}

int engine_input(struct engine *e, const void *data, size_t len)
{
        if (len == 0)
                return 0;
        e->result.peer_silent = false;
        e->counts.bytes += len;
        if (e->tls != NULL && !e->tls_up)
                e->counts.handshake += len;
        if (e->state == ST_CLOSED)
                return 0;
        if (!e->first_features_seen && e->cfg.role == ENGINE_INITIATING) {
                e->bytes_in += len;
                if (e->bytes_in > e->cfg.max_bytes_before_features) {
                        finding(e, FINDING_VIOLATION, RULE_H_SE_POLICY,
                                "more than %zu bytes before the first features",
                                e->cfg.max_bytes_before_features);
                        finish_failure(e, RULE_H_SE_POLICY,
                                       "policy-violation: too many bytes "
                                       "before features");
                        stream_error(e, "policy-violation", "too much data before features");
                        return 0;
                }
        }
        if (e->tls != NULL) {
                if (tls_session_input(e->tls, data, len) != 0) {
                        finding(e, FINDING_ERROR, RULE_H_INTERNAL, "TLS input queue full");
                        closed(e);
                        return -1;
                }
                pump_tls(e);
                return 0;
        }
        feed_plain(e, data, len);
        return 0;
}

void engine_peer_closed(struct engine *e)
{
        if (e->state == ST_CLOSED)
                return;
        if (e->tls != NULL)
                tls_session_input_eof(e->tls);
        if (!e->result.final && e->state == ST_EXPECT_CLAIM_ANSWER)
                i_claim_ignored(e, "then the peer closed the TCP connection");
        if (!e->result.final) {
                if (e->cfg.purpose == PURPOSE_VERIFY && e->cfg.role == ENGINE_INITIATING)
                        i_verify_failed(e, DB_TIMEOUT,
                                        "the authoritative server closed the connection");
                finish_failure(e, RULE_STR_8, "the peer closed the TCP connection while %s%s",
                               engine_state_name(e->state),
                               e->result.peer_silent ? " (it never sent anything)" : "");
        }
        closed(e);
}

void engine_timeout(struct engine *e)
{
        engine_timeout_detail(e, NULL);
}

void engine_input_counts(const struct engine *e, struct engine_input_counts *out)
{
        *out = e->counts;
}

void engine_timeout_detail(struct engine *e, const char *detail)
{
        bool with = detail != NULL && detail[0] != '\0';

        if (e->state == ST_CLOSED)
                return;
        if (e->state == ST_EXPECT_CLOSE) {
                tracef(e, TRACE_NOTE, "the peer did not close its stream in time");
                closed(e);
                return;
        }
        if (e->state == ST_EXPECT_CLAIM_ANSWER) {
                if (with) /* how long the silence was, by what window (net.c) */
                        tracef(e, TRACE_NOTE, "%s", detail);
                i_claim_ignored(e, "silence for the claim's step");
                close_stream(e);
                return;
        }
        if (pair_awaited(e)) {
                /* XEP-0220 §2.1.1 (DB-2): the initiator may time out a pair it asked
                 * for; the pairs already valid keep the stream (§2.6). A pair asked
                 * for after the step began and after the peer said something (while
                 * another was pending) is not timed out with it: the owner starts a
                 * new step for it (the timer restarts after a timeout), so each
                 * request waits a whole step of the peer's silence. */
                unsigned covered = e->mux_step_seq;

                e->mux_step_seq = e->mux_seq;
                e->mux_step_bytes = e->counts.bytes;
                for (size_t i = 0; i < e->n_pairs; i++) {
                        struct pair *p = e->pairs[i];
                        struct engine_event *ev;

                        if (!p->pending || p->seq > covered)
                                continue;
                        p->pending = false;
                        p->failed = true;
                        p->timed_out = true;
                        finding(e, FINDING_NOTE, RULE_DB_2,
                                "no answer to the db:result for the multiplexed pair %s -> %s "
                                "within its step%s%s",
                                p->from, p->to, with ? ": " : "", with ? detail : "");
                        ev = push_event(e, EV_PAIR_FAILED);
                        if (ev != NULL) {
                                copy_str(ev->from, sizeof(ev->from), p->from);
                                copy_str(ev->to, sizeof(ev->to), p->to);
                                ev->type = DB_TIMEOUT;
                        }
                }
                return;
        }
        finding(e, FINDING_NOTE, RULE_H_STEP_TIMEOUT, "timeout while %s%s",
                engine_state_name(e->state),
                e->state == ST_EXPECT_DB_RESULT ? " (dialback ignored?)" : "");
        if (!e->result.final) {
                if (e->cfg.purpose == PURPOSE_VERIFY && e->cfg.role == ENGINE_INITIATING)
                        i_verify_failed(e, DB_TIMEOUT, "timeout");
                /* Reference §3.6: an initiator with TLS Required that finds no STARTTLS
                 * should close (F1); one that stalls instead looks, from here, like one
                 * with no common plaintext method (F4): say what was seen. */
                bool stalled_unoffered = e->cfg.role == ENGINE_RECEIVING &&
                                         e->state == ST_EXPECT_AUTH && !e->tls_up &&
                                         !e->starttls_offered && !e->auth_attempted &&
                                         !e->got_verify && !e->result.peer_silent;

                finish_failure(
                    e, RULE_H_STEP_TIMEOUT, "timeout while %s%s%s%s%s", engine_state_name(e->state),
                    e->result.peer_silent ? " (the peer never sent anything)" : "",
                    stalled_unoffered ? " (no STARTTLS offered; the peer tried nothing and did "
                                        "not close)"
                                      : "",
                    with ? ": " : "", with ? detail : "");
        }
        if (e->state != ST_EXPECT_TLS_HANDSHAKE)
                send_text(e, "</stream:stream>");
        closed(e);
}

struct buf *engine_output(struct engine *e)
{
        return &e->out;
}

bool engine_wants_close(const struct engine *e)
{
        /* Misbehaving: the connection is closed as soon as it is up. */
        if (wire(e) == WIRE_CLOSE_AT_ONCE && e->state != ST_START)
                return true;
        return e->state == ST_CLOSED;
}

int engine_next_event(struct engine *e, struct engine_event *out)
{
        if (e->ev_len == 0)
                return 0;
        *out = e->events[e->ev_head];
        memset(&e->events[e->ev_head], 0, sizeof(e->events[e->ev_head]));
        e->ev_head++;
        e->ev_len--;
        if (e->ev_len == 0) { /* drained: an idle stream keeps no queue */
                free(e->events);
                e->events = NULL;
                e->ev_head = e->ev_cap = 0;
        }
        return 1;
}

int engine_verify_result(struct engine *e, const char *from, const char *to, const char *id,
                         enum db_type type)
{
        struct pair *p = find_pair(e, from, to);
        bool first = !any_verified(e) && !e->sasl_done;
        const char *cond;
        bool own;

        if (p == NULL || !p->pending)
                return -1;
        own = !p->vhost || e->no_to;
        if (id != NULL && strcmp(id, e->stream_id) != 0)
                finding(e, FINDING_NOTE, RULE_DB_3, "verification for id %s, stream id is %s", id,
                        e->stream_id);
        p->pending = false;
        if (e->state == ST_CLOSED)
                return 0;
        if (type == DB_VALID) {
                p->verified = true;
                e->result.pairs++;
                send_db(e, "result", to, from, NULL, "valid", NULL, NULL);
                if (first) {
                        set_state(e, ST_EXPECT_STANZAS);
                        if (own)
                                finish_success(e, METHOD_DT, from);
                }
                pair_done(e, p, OUTCOME_BIT(e->tls_up ? OUTCOME_DT : OUTCOME_DP), RULE_H_DB_OK,
                          "dialback authenticated %s -> %s", from, to);
                {
                        struct engine_event *ev = push_event(e, EV_AUTHENTICATED);
                        if (ev != NULL) {
                                copy_str(ev->from, sizeof(ev->from), from);
                                copy_str(ev->to, sizeof(ev->to), to);
                        }
                }
                return 0;
        }
        p->failed = true;
        if (type == DB_INVALID) {
                /* The peer claimed a domain whose own authoritative server disowns the key:
                 * forged, or keyed on another stream id than this stream's (reference §3.9). */
                finding(e, FINDING_VIOLATION, RULE_H_DB_KEY_INVALID,
                        "the authoritative server of %s declared the key for %s -> %s invalid "
                        "(stream id %s)",
                        from, from, to, e->stream_id);
                pair_done(e, p, pair_failure_outcomes(e, &p->neg, p->sem), RULE_DB_5,
                          "the authoritative server answered invalid for %s -> %s", from, to);
                if (first) {
                        send_db(e, "result", to, from, NULL, "invalid", NULL, NULL);
                        if (own)
                                finish_failure(
                                    e, RULE_DB_5,
                                    "the authoritative server answered invalid for %s -> %s", from,
                                    to);
                        /* DB-5: the stream's first pair invalid: the stream MUST be closed. */
                        close_stream(e);
                } else {
                        /* DB-5: other pairs are valid: a <forbidden/> error keeps them. */
                        send_db(e, "result", to, from, NULL, "error", NULL, "forbidden");
                }
                return 0;
        }
        /* XEP-0220 §2.5: an error answer in step 3 is remote-server-not-found for the
         * initiator; no answer is remote-server-timeout; no stream is
         * remote-connection-failed. */
        cond = type == DB_TIMEOUT       ? "remote-server-timeout"
               : type == DB_UNREACHABLE ? "remote-connection-failed"
                                        : "remote-server-not-found";
        send_db(e, "result", to, from, NULL, "error", NULL, cond);
        pair_done(e, p, pair_failure_outcomes(e, &p->neg, p->sem), RULE_DB_7,
                  "verification of %s -> %s failed (%s)", from, to, cond);
        if (own)
                finish_failure(e, RULE_DB_7, "verification of %s -> %s failed (%s)", from, to,
                               cond);
        return 0;
}

int engine_pair_result(const struct engine *e, const char *from, const char *to,
                       struct engine_result *out)
{
        const struct pair *p = NULL;

        for (size_t i = 0; from != NULL && to != NULL && i < e->n_pairs; i++) {
                if (domain_eq(e->pairs[i]->from, from) && domain_eq(e->pairs[i]->to, to))
                        p = e->pairs[i];
        }
        if (p == NULL || !p->done)
                return -1;
        *out = e->result;
        /* A refused pair multiplexed on a stream with a target of its own is not the
         * initiator's last word: it may open a stream for it (XEP-0220 §2.5, §2.6). */
        out->final = (p->verified || e->no_to) && !p->cut;
        out->outcomes = p->outcomes;
        out->authenticated = p->verified;
        out->method = p->verified ? (e->tls_up ? METHOD_DT : METHOD_DP) : 0;
        out->pairs = p->verified ? 1 : 0;
        out->unverified_valid = false;
        copy_str(out->cause, sizeof(out->cause), p->cause);
        copy_str(out->rule, sizeof(out->rule), p->rule);
        out->rule_id = p->rule_id;
        copy_str(out->peer_domain, sizeof(out->peer_domain), p->from);
        return 0;
}

unsigned engine_vhost_pairs(const struct engine *e)
{
        unsigned k = 0;

        for (size_t i = 0; i < e->n_pairs; i++)
                k += e->pairs[i]->vhost;
        return k;
}

int engine_send_stanza(struct engine *e, xmlNodePtr stanza)
{
        const char *from = xs_attr(stanza, "from"), *to = xs_attr(stanza, "to");
        char fd[DOMAIN_MAX], td[DOMAIN_MAX];

        /* Misbehaving (unsolicited_db_valid): stanzas go out under our own claim. */
        if (e->cfg.role != ENGINE_INITIATING ||
            (e->state != ST_EXPECT_STANZAS && e->state != ST_EXPECT_CLAIM_ANSWER))
                return -1;
        /* RFC 6120 §8.1.1.2: S2S stanzas carry both; §4.9.3.9: from an authenticated pair. */
        if (from == NULL || to == NULL || jid_domain(from, fd, sizeof(fd)) != 0 ||
            jid_domain(to, td, sizeof(td)) != 0 || !pair_ok(e, fd, td)) {
                tracef(e, TRACE_NOTE, "not sending a stanza %s -> %s: not an authenticated pair",
                       from ? from : "(none)", to ? to : "(none)");
                return -1;
        }
        send_node(e, stanza);
        return 0;
}

enum pair_state engine_pair_state(const struct engine *e, const char *from, const char *to)
{
        if (from == NULL || to == NULL)
                return PAIR_NONE;
        if (pair_ok(e, from, to))
                return PAIR_VALID;
        for (size_t i = 0; i < e->n_pairs; i++) {
                const struct pair *p = e->pairs[i];

                if (!domain_eq(p->from, from) || !domain_eq(p->to, to))
                        continue;
                if (p->pending)
                        return PAIR_PENDING;
                if (p->failed)
                        return PAIR_FAILED;
        }
        return PAIR_NONE;
}

int engine_add_pair(struct engine *e, const char *from, const char *to)
{
        unsigned need = e->tls_up ? METHOD_DT : METHOD_DP;
        enum pair_state ps;

        if (e->cfg.role != ENGINE_INITIATING || e->cfg.purpose != PURPOSE_AUTH ||
            e->state != ST_EXPECT_STANZAS || from == NULL || to == NULL || !hosts(e, from) ||
            to[0] == '\0')
                return -1;
        ps = engine_pair_state(e, from, to);
        if (ps == PAIR_PENDING || ps == PAIR_VALID)
                return 0;
        if (ps == PAIR_FAILED)
                return -1;
        /* Multiplexing is dialback (XEP-0220 §2.6): both sides must accept it on this
         * stream, as it is now (TLS or not); a SASL-only stream cannot (reference §3.7). */
        if (!(own_methods(e) & need) || !peer_signals_dialback(e) || e->stream_id[0] == '\0') {
                tracef(e, TRACE_NOTE, "cannot multiplex %s -> %s: dialback not usable here", from,
                       to);
                return -1;
        }
        if (!domain_eq(to, e->remote)) {
                /* XEP-0220 §2.6: target multiplexing only after <dialback><errors/>. */
                if (!e->feat.dialback_errors && e->cfg.knobs.bad.reuse_connection) {
                        tracef(e, TRACE_NOTE,
                               "misbehaving: multiplexing to %s without <dialback><errors/> "
                               "(same address)",
                               to);
                } else if (!e->feat.dialback_errors) {
                        tracef(e, TRACE_NOTE,
                               "cannot multiplex to %s: the peer advertised no dialback errors",
                               to);
                        return -1;
                }
                /* RFC 6120 §13.7.2: the certificate must prove the new target too. */
                if (e->tls_up && !cert_proves(e, to, NULL)) {
                        tracef(e, TRACE_NOTE,
                               "cannot multiplex to %s: the certificate does not prove it", to);
                        return -1;
                }
        }
        tracef(e, TRACE_NOTE, "multiplexing %s -> %s on this stream (%s: %s)", from, to,
               rule_name(RULE_DB_10), rule_cite(RULE_DB_10));
        {
                /* The step timer starts with this pair, or covers it when nothing
                 * came from the peer since the step began (pairs asked for at once). */
                bool covered = !pair_awaited(e) || e->counts.bytes == e->mux_step_bytes;
                struct pair *p;

                i_send_db_result(e, from, to);
                p = find_pair(e, from, to);
                if (p != NULL && p->pending) {
                        p->seq = ++e->mux_seq;
                        if (covered) {
                                e->mux_step_seq = p->seq;
                                e->mux_step_bytes = e->counts.bytes;
                        }
                }
        }
        return 0;
}

int engine_send_verify(struct engine *e, const char *from, const char *to, const char *id,
                       const char *key)
{
        if (e->cfg.role != ENGINE_INITIATING || e->cfg.purpose != PURPOSE_AUTH ||
            e->state != ST_EXPECT_STANZAS || from == NULL || to == NULL || id == NULL ||
            e->n_verifies >= MAX_VERIFIES)
                return -1;
        if (e->verifies == NULL) {
                e->verifies = calloc(MAX_VERIFIES, sizeof(*e->verifies));
                if (e->verifies == NULL)
                        return -1;
        }
        copy_str(e->verifies[e->n_verifies].from, DOMAIN_MAX, from);
        copy_str(e->verifies[e->n_verifies].to, DOMAIN_MAX, to);
        copy_str(e->verifies[e->n_verifies].id, ID_MAX, id);
        e->n_verifies++;
        tracef(e, TRACE_NOTE,
               "verifying %s -> %s on this stream (an existing connection to %s's "
               "address, %s: %s)",
               to, from, to, rule_name(RULE_DB_3), rule_cite(RULE_DB_3));
        send_db(e, "verify", from, to, id, NULL, key, NULL);
        return 0;
}

void engine_close(struct engine *e)
{
        close_stream(e);
}

enum engine_state engine_state(const struct engine *e)
{
        return e->state;
}

enum engine_state engine_step_state(const struct engine *e)
{
        return pair_awaited(e) ? ST_EXPECT_DB_RESULT : e->state;
}

enum engine_role engine_role(const struct engine *e)
{
        return e->cfg.role;
}

const struct engine_result *engine_result(const struct engine *e)
{
        return &e->result;
}

const char *engine_local_domain(const struct engine *e)
{
        return local_domain(e);
}

const char *engine_stream_id(const struct engine *e)
{
        return e->stream_id;
}

bool engine_verify_only(const struct engine *e)
{
        return e->verify_only && !e->auth_attempted;
}

void engine_memory(const struct engine *e, struct engine_memory *out)
{
        memset(out, 0, sizeof(*out));
        out->fixed = sizeof(*e);
        out->tables = e->ev_cap * sizeof(*e->events) + e->findings_cap * sizeof(*e->findings) +
                      e->n_pairs * sizeof(**e->pairs) +
                      (e->verifies != NULL ? MAX_VERIFIES * sizeof(*e->verifies) : 0);
        for (size_t i = 0; i < MAX_HOSTED; i++)
                out->tables += e->hosted_store[i] != NULL ? strlen(e->hosted_store[i]) + 1 : 0;
        out->bufs = e->out.cap + e->plain.cap;
}

const struct finding *engine_findings(const struct engine *e, size_t *n)
{
        *n = e->n_findings;
        return e->findings;
}

const struct tls_peer *engine_peer(const struct engine *e)
{
        return e->have_peer ? &e->peer : NULL;
}
