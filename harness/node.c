#include "node.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dialback.h"
#include "jid.h"
#include "xmlstream.h"

#define DOMAIN_MAX 256
#define MAX_QUEUED 16
#define MAX_CARRIED 32 /* db:verify requests carried on AUTH streams (reuse_connection) */
#define NS_PING "urn:xmpp:ping"

struct stream {
        struct node *node;
        struct engine *e;
        unsigned serial;
        char label[80];
        enum engine_role role;
        enum engine_purpose purpose;
        char local[DOMAIN_MAX];  /* initiating: our from */
        char remote[DOMAIN_MAX]; /* initiating: the domain we connect to */
        /* VERIFY streams: the receiving stream waiting for the answer, which may be
         * another node's (node_config.route): found again by node and serial. */
        struct stream *requester;
        struct node *requester_node;
        unsigned requester_serial;
        /* Receiving: the node the last engine_vhost question named (its trace). */
        struct node *vhost_node;
        char failure[256];
        xmlNodePtr queued[MAX_QUEUED]; /* stanzas waiting for authentication */
        size_t n_queued;
        bool reported;
        bool plaintext_only; /* a retry without TLS (reference §3.10 item 8) */
        /* VERIFY streams: the request, kept for a retry. */
        char v_from[DOMAIN_MAX], v_to[DOMAIN_MAX], v_id[128], v_key[DIALBACK_KEY_LEN + 1];
        bool superseded; /* failed, and a retry carries on for it */
        void *user;
};

struct node {
        struct node_config cfg;
        char hosted_store[NODE_MAX_HOSTED][DOMAIN_MAX];
        char name[32];
        char secret[DIALBACK_KEY_LEN + 1];
        /* db:verify requests this server's authoritative role received: the proof
         * its initiating streams ask for before counting a 'valid' (dialback.h).
         * ledger points at own_ledger or at the one the config shares. */
        struct db_ledger own_ledger;
        struct db_ledger *ledger;
        struct node_transport transport;
        struct node_observer obs;
        struct stream **streams; /* grows on demand, up to max_streams */
        size_t n_streams, cap_streams, max_streams;
        unsigned next_serial;
        /* reuse_connection: db:verify requests sent on an authenticated AUTH stream
         * (carrier) for a receiving stream (requester), by (from, to, id) as the
         * answer will name them. */
        struct {
                struct stream *carrier, *requester;
                struct node *requester_node;
                unsigned carrier_serial, requester_serial;
                char from[DOMAIN_MAX], to[DOMAIN_MAX], id[128], key[DIALBACK_KEY_LEN + 1];
                bool waiting; /* verify_after_own_route: not sent until the route is valid */
        } carried[MAX_CARRIED];
        size_t n_carried;
};

static void node_trace(void *user, const struct trace_entry *t)
{
        struct stream *s = user;

        if (s->node->cfg.trace != NULL)
                s->node->cfg.trace(s->node->cfg.trace_user, s, t);
}

static bool hosts(const struct node *n, const char *domain);

/* The other node at this address that hosts domain (node_config.route), or NULL. */
static struct node *route_to(struct node *n, const char *domain)
{
        struct node *b;

        if (n->cfg.route == NULL || domain == NULL || hosts(n, domain))
                return NULL;
        b = n->cfg.route(n->cfg.route_user, domain);
        return b != NULL && b != n && hosts(b, domain) ? b : NULL;
}

/* engine_vhost.trace: the other node's account of what its domain got here. */
static void vhost_trace(void *user, const struct trace_entry *t)
{
        struct stream *s = user;
        struct node *b = s->vhost_node;

        if (b != NULL && b->cfg.trace != NULL)
                b->cfg.trace(b->cfg.trace_user, s, t);
}

/*
 * Whether a stream that node a negotiated is one that node b would have negotiated
 * the same way with the same peer: the same settings, semantics, certificate,
 * knobs and knowledge of the peer (engine_vhost.other_negotiation). The knobs are
 * compared as bytes: a difference in padding only makes b's pair take a stream of
 * its own, which is never wrong.
 */
static bool same_negotiation(const struct node *a, const struct node *b)
{
        return a->cfg.neg.tls == b->cfg.neg.tls && a->cfg.neg.sasl == b->cfg.neg.sasl &&
               a->cfg.neg.dialback == b->cfg.neg.dialback && a->cfg.sem == b->cfg.sem &&
               a->cfg.creds == b->cfg.creds &&
               memcmp(&a->cfg.knobs, &b->cfg.knobs, sizeof(a->cfg.knobs)) == 0 &&
               a->cfg.peer_known == b->cfg.peer_known &&
               (!a->cfg.peer_known || (a->cfg.peer_neg.tls == b->cfg.peer_neg.tls &&
                                       a->cfg.peer_neg.sasl == b->cfg.peer_neg.sasl &&
                                       a->cfg.peer_neg.dialback == b->cfg.peer_neg.dialback));
}

/* engine_config.vhost: a receiving stream asks who else at this address hosts domain. */
static bool stream_vhost(void *user, const char *domain, struct engine_vhost *out)
{
        struct stream *s = user;
        struct node *b = route_to(s->node, domain);

        if (b == NULL)
                return false;
        s->vhost_node = b;
        out->neg = b->cfg.neg;
        out->sem = b->cfg.sem;
        out->dialback_off_reply = b->cfg.knobs.dialback_off_reply;
        out->dialback_requires_valid_cert = b->cfg.knobs.dialback_requires_valid_cert;
        out->secret = b->secret;
        out->db_answer = b->cfg.db_answer;
        out->ledger = b->ledger;
        out->trace = vhost_trace;
        out->trace_user = s;
        out->silent =
            b->cfg.knobs.bad.silent || (b->cfg.knobs.bad.wire == WIRE_SILENCE &&
                                        (b->cfg.knobs.bad.wire_roles == 0 ||
                                         (b->cfg.knobs.bad.wire_roles & (1u << ENGINE_RECEIVING))));
        out->ignore_db_result = b->cfg.knobs.bad.ignore_db_result;
        out->other_negotiation = !same_negotiation(s->node, b);
        return true;
}

struct node *node_new(const struct node_config *cfg, const struct node_transport *t,
                      const struct node_observer *obs, char *err, size_t errlen)
{
        struct node *n;

        if (cfg->n_hosted == 0 || cfg->n_hosted > NODE_MAX_HOSTED) {
                snprintf(err, errlen, "a node hosts 1 to %d domains", NODE_MAX_HOSTED);
                return NULL;
        }
        n = calloc(1, sizeof(*n));
        if (n == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        n->cfg = *cfg;
        for (size_t i = 0; i < cfg->n_hosted; i++) {
                snprintf(n->hosted_store[i], DOMAIN_MAX, "%s", cfg->hosted[i]);
                n->cfg.hosted[i] = n->hosted_store[i];
        }
        snprintf(n->name, sizeof(n->name), "%s", cfg->name != NULL ? cfg->name : "node");
        n->cfg.name = n->name;
        n->max_streams = cfg->max_streams > 0 ? cfg->max_streams : NODE_MAX_STREAMS;
        if (cfg->secret != NULL) {
                snprintf(n->secret, sizeof(n->secret), "%s", cfg->secret);
        } else if (dialback_new_secret(n->secret) != 0) {
                snprintf(err, errlen, "no randomness for a dialback secret");
                free(n);
                return NULL;
        }
        n->cfg.secret = NULL; /* only n->secret is used; it never leaves the node */
        n->ledger = cfg->ledger != NULL ? cfg->ledger : &n->own_ledger;
        if (t != NULL)
                n->transport = *t;
        if (obs != NULL)
                n->obs = *obs;
        return n;
}

void node_free(struct node *n)
{
        if (n == NULL)
                return;
        while (n->n_streams > 0)
                node_stream_release(n->streams[n->n_streams - 1]);
        free(n->streams);
        free(n);
}

const struct node_config *node_config(const struct node *n)
{
        return &n->cfg;
}

static struct stream *stream_new(struct node *n, enum engine_role role, enum engine_purpose purpose,
                                 const char *local, const char *remote, const char *v_from,
                                 const char *v_to, const char *v_id, const char *v_key,
                                 bool plaintext_only)
{
        struct engine_config ec;
        struct stream *s;
        const char *hosted[NODE_MAX_HOSTED];
        size_t nh = 0;
        char err[256];

        if (n->n_streams >= n->max_streams)
                return NULL;
        if (n->n_streams == n->cap_streams) {
                size_t cap = n->cap_streams ? n->cap_streams * 2 : 16;
                struct stream **ns;

                if (cap > n->max_streams)
                        cap = n->max_streams;
                ns = realloc(n->streams, cap * sizeof(*ns));
                if (ns == NULL)
                        return NULL;
                n->streams = ns;
                n->cap_streams = cap;
        }
        s = calloc(1, sizeof(*s));
        if (s == NULL)
                return NULL;
        s->node = n;
        s->role = role;
        s->purpose = purpose;
        s->serial = ++n->next_serial;
        snprintf(s->local, sizeof(s->local), "%s", local != NULL ? local : n->cfg.hosted[0]);
        snprintf(s->remote, sizeof(s->remote), "%s", remote != NULL ? remote : "");
        snprintf(s->label, sizeof(s->label), "%s#%u %s%s", n->name, s->serial,
                 role == ENGINE_INITIATING ? "out" : "in",
                 purpose == PURPOSE_VERIFY ? " verify" : "");
        /* The stream's from comes first; the engine hosts the node's other domains too. */
        hosted[nh++] = s->local;
        for (size_t i = 0; i < n->cfg.n_hosted && nh < NODE_MAX_HOSTED; i++) {
                if (strcasecmp(n->cfg.hosted[i], s->local) != 0)
                        hosted[nh++] = n->cfg.hosted[i];
        }
        memset(&ec, 0, sizeof(ec));
        ec.role = role;
        ec.purpose = purpose;
        ec.hosted = hosted;
        ec.n_hosted = nh;
        ec.remote_domain = role == ENGINE_INITIATING ? s->remote : NULL;
        ec.neg = n->cfg.neg;
        if (plaintext_only)
                ec.neg.tls = NEG_NOTSUPPORTED;
        ec.sem = n->cfg.sem;
        ec.knobs = n->cfg.knobs;
        ec.creds = n->cfg.creds;
        ec.secret = n->secret;
        ec.ledger = n->ledger;
        ec.db_answer = n->cfg.db_answer;
        ec.verify_from = v_from;
        ec.verify_to = v_to;
        ec.verify_id = v_id;
        ec.verify_key = v_key;
        ec.limits = n->cfg.limits;
        ec.trace = node_trace;
        ec.trace_user = s;
        ec.peer_known = n->cfg.peer_known;
        ec.peer_neg = n->cfg.peer_neg;
        ec.random = n->cfg.random != NULL ? n->cfg.random : xs_random_system;
        ec.random_user = n->cfg.random != NULL ? n->cfg.random_user : NULL;
        if (role == ENGINE_RECEIVING && n->cfg.route != NULL) {
                ec.vhost = stream_vhost;
                ec.vhost_user = s;
        }
        s->e = engine_new(&ec, err, sizeof(err));
        if (s->e == NULL) {
                free(s);
                return NULL;
        }
        n->streams[n->n_streams++] = s;
        return s;
}

static void process(struct stream *s);

/* Opens an initiating stream and asks the transport to connect it. */
static struct stream *open_stream_tls(struct node *n, enum engine_purpose purpose,
                                      const char *local, const char *remote, const char *v_from,
                                      const char *v_to, const char *v_id, const char *v_key,
                                      bool plaintext_only)
{
        struct stream *s = stream_new(n, ENGINE_INITIATING, purpose, local, remote, v_from, v_to,
                                      v_id, v_key, plaintext_only);

        if (s == NULL)
                return NULL;
        s->plaintext_only = plaintext_only;
        if (purpose == PURPOSE_VERIFY) {
                snprintf(s->v_from, sizeof(s->v_from), "%s", v_from);
                snprintf(s->v_to, sizeof(s->v_to), "%s", v_to);
                snprintf(s->v_id, sizeof(s->v_id), "%s", v_id);
                snprintf(s->v_key, sizeof(s->v_key), "%s", v_key);
        }
        if (n->transport.connect == NULL ||
            n->transport.connect(n->transport.user, s, remote) != 0) {
                node_stream_failed(s, "the transport cannot connect");
                return s;
        }
        return s;
}

static struct stream *open_stream(struct node *n, enum engine_purpose purpose, const char *local,
                                  const char *remote, const char *v_from, const char *v_to,
                                  const char *v_id, const char *v_key)
{
        return open_stream_tls(n, purpose, local, remote, v_from, v_to, v_id, v_key, false);
}

static bool hosts(const struct node *n, const char *domain)
{
        for (size_t i = 0; i < n->cfg.n_hosted; i++) {
                if (strcasecmp(n->cfg.hosted[i], domain) == 0)
                        return true;
        }
        return false;
}

/* The from and to domains of a stanza. Returns 0 or -1. */
static int stanza_pair(xmlNodePtr stanza, char fd[DOMAIN_MAX], char td[DOMAIN_MAX])
{
        const char *from = xs_attr(stanza, "from"), *to = xs_attr(stanza, "to");

        if (from == NULL || to == NULL || jid_domain(from, fd, DOMAIN_MAX) != 0 ||
            jid_domain(to, td, DOMAIN_MAX) != 0)
                return -1;
        return 0;
}

/* An initiating AUTH stream that is authenticated or still on its way there. */
static bool stream_usable(const struct stream *c)
{
        enum engine_state st = engine_state(c->e);

        if (c->role != ENGINE_INITIATING || c->purpose != PURPOSE_AUTH)
                return false;
        if (st == ST_EXPECT_STANZAS)
                return true;
        return st != ST_CLOSED && st != ST_EXPECT_CLOSE && !engine_result(c->e)->final;
}

static bool same_server(struct node *n, struct stream *c, const char *td)
{
        if (strcasecmp(c->remote, td) == 0)
                return true;
        return n->transport.same_server != NULL &&
               n->transport.same_server(n->transport.user, c, td);
}

static void enqueue(struct stream *s, xmlNodePtr stanza)
{
        if (s->n_queued >= MAX_QUEUED)
                return;
        s->queued[s->n_queued] = xmlCopyNode(stanza, 1);
        if (s->queued[s->n_queued] != NULL)
                s->n_queued++;
}

struct stream *node_send(struct node *n, xmlNodePtr stanza)
{
        char fd[DOMAIN_MAX], td[DOMAIN_MAX];
        struct stream *s = NULL;

        if (stanza_pair(stanza, fd, td) != 0 || !hosts(n, fd))
                return NULL;
        /* A stream whose own pair this is, or that carries it already. */
        for (size_t i = 0; s == NULL && i < n->n_streams; i++) {
                struct stream *c = n->streams[i];
                enum pair_state ps;

                if (!stream_usable(c))
                        continue;
                ps = engine_pair_state(c->e, fd, td);
                if ((strcasecmp(c->local, fd) == 0 && strcasecmp(c->remote, td) == 0) ||
                    ps == PAIR_PENDING || ps == PAIR_VALID)
                        s = c;
        }
        /* XEP-0220 §2.6 multiplexing: sender multiplexing (same target, another of our
         * domains), or target multiplexing to the same server. A stanza may wait in the
         * queue of a stream still negotiating: once it is authenticated flush_queue adds
         * the pair or moves the stanza to a stream of its own, and a stream that fails
         * hands it on (requeue_others), so it never shares a failure it was not part of. */
        for (size_t i = 0; s == NULL && i < n->n_streams; i++) {
                struct stream *c = n->streams[i];
                bool sender_mux = strcasecmp(c->remote, td) == 0;

                if (!stream_usable(c) || engine_pair_state(c->e, fd, td) == PAIR_FAILED ||
                    (!sender_mux && !same_server(n, c, td)))
                        continue;
                if (engine_state(c->e) != ST_EXPECT_STANZAS) {
                        s = c;
                        continue;
                }
                if (engine_add_pair(c->e, fd, td) == 0)
                        s = c;
        }
        if (s == NULL)
                s = open_stream(n, PURPOSE_AUTH, fd, td, NULL, NULL, NULL, NULL);
        if (s == NULL)
                return NULL;
        if (engine_state(s->e) == ST_EXPECT_STANZAS &&
            engine_pair_state(s->e, fd, td) == PAIR_VALID)
                engine_send_stanza(s->e, stanza);
        else
                enqueue(s, stanza);
        return s;
}

struct stream *node_ping(struct node *n, const char *from, const char *to, const char *id)
{
        xmlNodePtr iq = xmlNewNode(NULL, BAD_CAST "iq");
        xmlNodePtr ping;
        struct stream *s;

        if (iq == NULL)
                return NULL;
        xmlSetNs(iq, xmlNewNs(iq, BAD_CAST XS_NS_SERVER, NULL));
        xmlNewProp(iq, BAD_CAST "type", BAD_CAST "get");
        xmlNewProp(iq, BAD_CAST "id", BAD_CAST id);
        xmlNewProp(iq, BAD_CAST "from", BAD_CAST from);
        xmlNewProp(iq, BAD_CAST "to", BAD_CAST to);
        ping = xmlNewChild(iq, NULL, BAD_CAST "ping", NULL);
        if (ping != NULL)
                xmlSetNs(ping, xmlNewNs(ping, BAD_CAST NS_PING, NULL));
        s = node_send(n, iq);
        xmlFreeNode(iq);
        return s;
}

struct stream *node_accept(struct node *n)
{
        return stream_new(n, ENGINE_RECEIVING, PURPOSE_AUTH, NULL, NULL, NULL, NULL, NULL, NULL,
                          false);
}

static void report(struct stream *s)
{
        if (s->reported || !engine_result(s->e)->final)
                return;
        s->reported = true;
        if (s->node->obs.on_result != NULL)
                s->node->obs.on_result(s->node->obs.user, s);
}

static struct stream *find_stream(struct node *n, const struct stream *s)
{
        for (size_t i = 0; i < n->n_streams; i++) {
                if (n->streams[i] == s)
                        return n->streams[i];
        }
        return NULL;
}

/* The receiving stream a VERIFY stream answers, if it is still there. */
static struct stream *requester(const struct stream *v)
{
        struct stream *r;

        if (v->requester == NULL || v->requester_node == NULL)
                return NULL;
        r = find_stream(v->requester_node, v->requester);
        return r != NULL && r->serial == v->requester_serial ? r : NULL;
}

static void set_requester(struct stream *v, struct stream *r)
{
        v->requester = r;
        v->requester_node = r != NULL ? r->node : NULL;
        v->requester_serial = r != NULL ? r->serial : 0;
}

/* Records the verify request of r for ev as carried on AUTH stream c. */
static void carried_add(struct node *n, struct stream *c, struct stream *r,
                        const struct engine_event *ev, bool waiting)
{
        n->carried[n->n_carried].carrier = c;
        n->carried[n->n_carried].carrier_serial = c->serial;
        n->carried[n->n_carried].requester = r;
        n->carried[n->n_carried].requester_node = r->node;
        n->carried[n->n_carried].requester_serial = r->serial;
        snprintf(n->carried[n->n_carried].from, DOMAIN_MAX, "%s", ev->from);
        snprintf(n->carried[n->n_carried].to, DOMAIN_MAX, "%s", ev->to);
        snprintf(n->carried[n->n_carried].id, sizeof(n->carried[0].id), "%s", ev->id);
        snprintf(n->carried[n->n_carried].key, sizeof(n->carried[0].key), "%s", ev->key);
        n->carried[n->n_carried].waiting = waiting;
        n->n_carried++;
}

/*
 * Misbehaviour reuse_connection (XEP-0220 §2.1.2 "a separate stream (new or
 * reused)"): the verify request of receiving stream r for ev goes on an
 * authenticated initiating stream already open to the authoritative server's
 * address. Returns true when it went.
 */
static bool carry_verify(struct node *n, struct stream *r, const struct engine_event *ev)
{
        if (!n->cfg.knobs.bad.reuse_connection || n->n_carried >= MAX_CARRIED)
                return false;
        for (size_t i = 0; i < n->n_streams; i++) {
                struct stream *c = n->streams[i];

                if (!stream_usable(c) || engine_state(c->e) != ST_EXPECT_STANZAS ||
                    strcasecmp(c->local, ev->to) != 0 || !same_server(n, c, ev->from) ||
                    engine_send_verify(c->e, ev->to, ev->from, ev->id, ev->key) != 0)
                        continue;
                carried_add(n, c, r, ev, false);
                return true;
        }
        return false;
}

static bool own_pair(const struct stream *s, const char *from, const char *to);

static void carried_update(struct stream *c);

/*
 * Misbehaviour verify_after_own_route: before it verifies ev's key, the node
 * authenticates its own route (ev->to -> ev->from) on an initiating stream (one it
 * has, or a new one), and sends the <db:verify/> on it once that pair is valid.
 * Returns true when the request waits there (or went).
 */
static bool verify_after_route(struct node *n, struct stream *r, const struct engine_event *ev)
{
        struct stream *c = NULL;

        if (!n->cfg.knobs.bad.verify_after_own_route || n->n_carried >= MAX_CARRIED)
                return false;
        for (size_t i = 0; c == NULL && i < n->n_streams; i++) {
                if (stream_usable(n->streams[i]) && own_pair(n->streams[i], ev->to, ev->from))
                        c = n->streams[i];
        }
        if (c == NULL)
                c = open_stream(n, PURPOSE_AUTH, ev->to, ev->from, NULL, NULL, NULL, NULL);
        if (c == NULL || engine_state(c->e) == ST_CLOSED)
                return false;
        carried_add(n, c, r, ev, true);
        {
                char note[DOMAIN_MAX * 4 + 160];
                struct trace_entry t = {TRACE_NOTE, note, 0, NULL};

                snprintf(note, sizeof(note),
                         "misbehaving: the db:verify for %s -> %s waits for our route %s -> %s",
                         ev->from, ev->to, ev->to, ev->from);
                t.len = strlen(note);
                node_trace(c, &t);
        }
        carried_update(c);
        return true;
}

/* The requests waiting for stream c's own route (verify_after_route): sent once
 * that route is valid; asked again on a verify stream of their own once it cannot
 * be (refused, or the stream closed first), as without the behaviour. */
/*
 * Ends carried request i. With retry, the request goes again on a verify stream
 * of its own, as it would have without the behaviour; otherwise, or when that
 * stream cannot even start, the receiving stream that asked (if still there) gets
 * answer.
 */
static void carried_end(struct node *n, size_t i, bool retry, enum db_type answer)
{
        char from[DOMAIN_MAX], to[DOMAIN_MAX], id[128], key[DIALBACK_KEY_LEN + 1];
        struct stream *r = find_stream(n->carried[i].requester_node, n->carried[i].requester);
        struct stream *v = NULL;

        memcpy(from, n->carried[i].from, sizeof(from));
        memcpy(to, n->carried[i].to, sizeof(to));
        memcpy(id, n->carried[i].id, sizeof(id));
        memcpy(key, n->carried[i].key, sizeof(key));
        if (r != NULL && r->serial != n->carried[i].requester_serial)
                r = NULL;
        n->carried[i] = n->carried[--n->n_carried];
        if (r == NULL)
                return;
        if (retry)
                v = open_stream(n, PURPOSE_VERIFY, to, from, to, from, id, key);
        if (v != NULL && !(engine_state(v->e) == ST_CLOSED && v->failure[0] != '\0')) {
                set_requester(v, r);
                return;
        }
        engine_verify_result(r->e, from, to, id, retry ? DB_UNREACHABLE : answer);
        process(r);
}

static void carried_update(struct stream *c)
{
        struct node *n = c->node;
        enum pair_state own = engine_pair_state(c->e, c->local, c->remote);
        const struct engine_result *res = engine_result(c->e);
        bool hopeless = engine_state(c->e) == ST_CLOSED || own == PAIR_FAILED ||
                        (res->final && !res->authenticated);

        for (size_t i = 0; i < n->n_carried;) {
                if (n->carried[i].carrier != c || !n->carried[i].waiting) {
                        i++;
                        continue;
                }
                if (own == PAIR_VALID &&
                    engine_send_verify(c->e, n->carried[i].to, n->carried[i].from, n->carried[i].id,
                                       n->carried[i].key) == 0) {
                        n->carried[i++].waiting = false;
                        continue;
                }
                if (!hopeless) {
                        i++;
                        continue;
                }
                carried_end(n, i, true, DB_UNREACHABLE);
        }
}

/* The answer carried on AUTH stream c (EV_VERIFY_ANSWER): to the receiving stream
 * that asked, if it is still there. A carrier that closed without the answer (the
 * other side was closing it) does not decide: the request goes again on a verify
 * stream of its own, as it would have without reuse. */
static void carried_answer(struct stream *c, const struct engine_event *ev)
{
        struct node *n = c->node;

        for (size_t i = 0; i < n->n_carried; i++) {
                if (n->carried[i].carrier != c || n->carried[i].carrier_serial != c->serial ||
                    strcasecmp(n->carried[i].from, ev->from) != 0 ||
                    strcasecmp(n->carried[i].to, ev->to) != 0 ||
                    strcmp(n->carried[i].id, ev->id) != 0)
                        continue;
                carried_end(n, i, ev->type == DB_TIMEOUT && engine_state(c->e) == ST_CLOSED,
                            ev->type);
                return;
        }
}

/* XEP-0199: answer a ping addressed to one of our domains. */
static bool answer_ping(struct node *n, xmlNodePtr st)
{
        const char *type = xs_attr(st, "type");
        const char *from = xs_attr(st, "from"), *to = xs_attr(st, "to"), *id = xs_attr(st, "id");
        xmlNodePtr iq;
        bool is_ping = false;

        if (!xs_is(st, XS_NS_SERVER, "iq") || type == NULL || strcmp(type, "get") != 0)
                return false;
        for (xmlNodePtr c = st->children; c != NULL; c = c->next) {
                if (xs_is(c, NS_PING, "ping"))
                        is_ping = true;
        }
        if (!is_ping || !n->cfg.answer_pings)
                return false;
        iq = xmlNewNode(NULL, BAD_CAST "iq");
        if (iq == NULL)
                return false;
        xmlSetNs(iq, xmlNewNs(iq, BAD_CAST XS_NS_SERVER, NULL));
        xmlNewProp(iq, BAD_CAST "type", BAD_CAST "result");
        if (id != NULL)
                xmlNewProp(iq, BAD_CAST "id", BAD_CAST id);
        xmlNewProp(iq, BAD_CAST "from", BAD_CAST to);
        xmlNewProp(iq, BAD_CAST "to", BAD_CAST from);
        node_send(n, iq);
        xmlFreeNode(iq);
        return true;
}

/*
 * Sends the queued stanzas whose pair is now valid, asks for the pairs not yet
 * on the stream (XEP-0220 §2.6), and moves the stanzas whose pair cannot ride
 * on it to a stream of their own (reference §3.7: SASL-only streams). Stanzas of
 * a refused pair are dropped (XEP-0220 §2.2.1).
 */
static bool own_pair(const struct stream *s, const char *from, const char *to)
{
        return strcasecmp(s->local, from) == 0 && strcasecmp(s->remote, to) == 0;
}

/* A stream that ends with stanzas for other pairs in its queue hands them on. */
static void requeue_others(struct stream *s)
{
        xmlNodePtr q[MAX_QUEUED];
        size_t nq = s->n_queued;

        if (s->role != ENGINE_INITIATING)
                return;
        memcpy(q, s->queued, nq * sizeof(q[0]));
        s->n_queued = 0;
        for (size_t i = 0; i < nq; i++) {
                char fd[DOMAIN_MAX], td[DOMAIN_MAX];

                if (stanza_pair(q[i], fd, td) == 0 && !own_pair(s, fd, td))
                        node_send(s->node, q[i]);
                xmlFreeNode(q[i]);
        }
}

/*
 * Reference §3.10 item 8 (RFC 6120 §5.4.3.2): after a failed TLS handshake an
 * initiating server MAY reconnect without TLS, as its policy allows; a TLS-Required
 * one must not (RFC 7590 §3.1). The retry takes over the stream's stanzas.
 */
static bool will_retry(const struct stream *s)
{
        const struct node *n = s->node;
        const struct engine_result *res = engine_result(s->e);

        return s->role == ENGINE_INITIATING && !s->plaintext_only &&
               n->cfg.knobs.retry_plaintext_after_tls_failure && res->tls_failed &&
               !res->authenticated && n->cfg.neg.tls != NEG_REQUIRED;
}

static void retry_without_tls(struct stream *s)
{
        struct node *n = s->node;
        struct stream *r;
        char note[DOMAIN_MAX * 2 + 200];
        struct trace_entry t = {TRACE_NOTE, NULL, 0, NULL};

        if (!will_retry(s))
                return;
        r = open_stream_tls(n, s->purpose, s->local, s->remote,
                            s->purpose == PURPOSE_VERIFY ? s->v_from : NULL,
                            s->purpose == PURPOSE_VERIFY ? s->v_to : NULL,
                            s->purpose == PURPOSE_VERIFY ? s->v_id : NULL,
                            s->purpose == PURPOSE_VERIFY ? s->v_key : NULL, true);
        if (r == NULL)
                return;
        /* A verify retry answers the same receiving stream. */
        r->requester = s->requester;
        r->requester_node = s->requester_node;
        r->requester_serial = s->requester_serial;
        s->requester = NULL;
        s->superseded = true;
        snprintf(note, sizeof(note),
                 "TLS handshake failed: retrying %s -> %s without TLS on %s (DB-12)", s->local,
                 s->remote, r->label);
        t.kind = TRACE_NOTE;
        t.text = note;
        t.len = strlen(note);
        node_trace(s, &t);
        for (size_t i = 0; i < s->n_queued && r->n_queued < MAX_QUEUED; i++)
                r->queued[r->n_queued++] = s->queued[i];
        s->n_queued = 0;
}

static void flush_queue(struct stream *s)
{
        xmlNodePtr q[MAX_QUEUED];
        size_t nq = s->n_queued;

        memcpy(q, s->queued, nq * sizeof(q[0]));
        s->n_queued = 0;
        for (size_t i = 0; i < nq; i++) {
                char fd[DOMAIN_MAX], td[DOMAIN_MAX];
                enum pair_state ps = PAIR_FAILED;

                if (stanza_pair(q[i], fd, td) == 0)
                        ps = engine_pair_state(s->e, fd, td);
                if (ps == PAIR_VALID) {
                        engine_send_stanza(s->e, q[i]);
                } else if (ps == PAIR_PENDING ||
                           (ps == PAIR_NONE && engine_add_pair(s->e, fd, td) == 0)) {
                        s->queued[s->n_queued++] = q[i];
                        continue;
                } else if (ps == PAIR_NONE || (ps == PAIR_FAILED && !own_pair(s, fd, td))) {
                        /* Refused here (XEP-0220 §2.6): its own stream may still work. */
                        node_send(s->node, q[i]);
                }
                xmlFreeNode(q[i]);
        }
}

static void handle_event(struct stream *s, struct engine_event *ev)
{
        struct node *n = s->node;

        switch (ev->kind) {
        case EV_NEED_VERIFY: {
                /* XEP-0220 step 2: ask ev->from's authoritative server, from our domain ev->to
                 * (from the node that hosts ev->to, when another node at this address does:
                 * its settings, certificate and account). */
                struct node *vn = route_to(n, ev->to);
                struct stream *v;

                if (carry_verify(vn != NULL ? vn : n, s, ev) ||
                    verify_after_route(vn != NULL ? vn : n, s, ev))
                        break;
                v = open_stream(vn != NULL ? vn : n, PURPOSE_VERIFY, ev->to, ev->from, ev->to,
                                ev->from, ev->id, ev->key);
                if (v == NULL) {
                        engine_verify_result(s->e, ev->from, ev->to, ev->id, DB_UNREACHABLE);
                        break;
                }
                set_requester(v, s);
                /* A transport that failed at once left v without a requester to tell. */
                if (engine_state(v->e) == ST_CLOSED && v->failure[0] != '\0')
                        engine_verify_result(s->e, ev->from, ev->to, ev->id, DB_UNREACHABLE);
                break;
        }
        case EV_VERIFY_ANSWER:
                if (s->purpose == PURPOSE_AUTH) {
                        carried_answer(s, ev);
                        break;
                }
                /* A plaintext retry will ask again (retry_without_tls). */
                if (will_retry(s))
                        break;
                if (requester(s) != NULL) {
                        struct stream *r = requester(s);

                        set_requester(s, NULL);
                        engine_verify_result(r->e, ev->from, ev->to, ev->id, ev->type);
                        process(r);
                }
                break;
        case EV_PAIR_DONE: {
                /* Another node's pair (XEP-0220 §2.6): its result is that node's. */
                struct node *b = route_to(n, ev->to);

                if (b != NULL && b->obs.on_pair != NULL)
                        b->obs.on_pair(b->obs.user, s, ev->from, ev->to);
                break;
        }
        case EV_AUTHENTICATED:
        case EV_PAIR_FAILED:
                if (s->role == ENGINE_INITIATING)
                        flush_queue(s);
                break;
        case EV_STANZA: {
                /* A stanza for another node's domain on a pair verified for it here. */
                char fd[DOMAIN_MAX], td[DOMAIN_MAX];
                struct node *b = NULL;

                if (stanza_pair(ev->stanza, fd, td) == 0)
                        b = route_to(n, td);
                if (b == NULL)
                        b = n;
                answer_ping(b, ev->stanza);
                if (b->obs.on_stanza != NULL)
                        b->obs.on_stanza(b->obs.user, s, ev->stanza);
                break;
        }
        case EV_CLOSED:
                retry_without_tls(s);
                requeue_others(s);
                break;
        }
}

/* Handles every pending event of the stream (bounded by the engine's queue). */
static void process(struct stream *s)
{
        struct engine_event ev;

        for (int i = 0; i < 64 && engine_next_event(s->e, &ev); i++) {
                handle_event(s, &ev);
                engine_event_cleanup(&ev);
        }
        if (s->role == ENGINE_INITIATING && s->purpose == PURPOSE_AUTH && s->node->n_carried > 0)
                carried_update(s);
        report(s);
}

int node_stream_set_direct_tls(struct stream *s)
{
        int rc = engine_set_direct_tls(s->e);

        process(s);
        return rc;
}

void node_stream_connected(struct stream *s)
{
        if (engine_start(s->e) == 0)
                process(s);
}

void node_stream_failed(struct stream *s, const char *why)
{
        snprintf(s->failure, sizeof(s->failure), "%s", why);
        engine_peer_closed(s->e);
        process(s);
        if (requester(s) != NULL) {
                struct stream *r = requester(s);

                set_requester(s, NULL);
                /* Nobody answered: XEP-0220 §2.5 remote-connection-failed territory. */
                engine_verify_result(r->e, s->remote, s->local, engine_stream_id(r->e),
                                     DB_UNREACHABLE);
                process(r);
        }
}

void node_stream_input(struct stream *s, const void *data, size_t len)
{
        engine_input(s->e, data, len);
        process(s);
}

void node_stream_peer_closed(struct stream *s)
{
        engine_peer_closed(s->e);
        process(s);
}

void node_stream_timeout(struct stream *s)
{
        node_stream_timeout_detail(s, NULL);
}

void node_stream_timeout_detail(struct stream *s, const char *detail)
{
        engine_timeout_detail(s->e, detail);
        process(s);
}

struct buf *node_stream_output(struct stream *s)
{
        return engine_output(s->e);
}

bool node_stream_done(const struct stream *s)
{
        return engine_wants_close(s->e);
}

void node_stream_release(struct stream *s)
{
        struct node *n = s->node;

        if (n->obs.on_closed != NULL)
                n->obs.on_closed(n->obs.user, s);
        for (size_t i = 0; i < n->n_streams; i++) {
                if (n->streams[i]->requester == s)
                        n->streams[i]->requester = NULL;
        }
        for (size_t i = 0; i < n->n_streams; i++) {
                if (n->streams[i] == s) {
                        memmove(&n->streams[i], &n->streams[i + 1],
                                (n->n_streams - i - 1) * sizeof(n->streams[0]));
                        n->n_streams--;
                        break;
                }
        }
        for (size_t i = 0; i < s->n_queued; i++)
                xmlFreeNode(s->queued[i]);
        engine_free(s->e);
        free(s);
}

struct engine *node_stream_engine(struct stream *s)
{
        return s->e;
}

struct node *node_stream_node(struct stream *s)
{
        return s->node;
}

enum engine_purpose node_stream_purpose(const struct stream *s)
{
        return s->purpose;
}

const char *node_stream_remote(const struct stream *s)
{
        return s->remote;
}

unsigned node_stream_serial(const struct stream *s)
{
        return s->serial;
}

const char *node_stream_label(const struct stream *s)
{
        return s->label;
}

bool node_stream_superseded(const struct stream *s)
{
        return s->superseded;
}

const char *node_stream_failure(const struct stream *s)
{
        return s->failure;
}

void node_stream_set_user(struct stream *s, void *user)
{
        s->user = user;
}

void *node_stream_user(const struct stream *s)
{
        return s->user;
}

size_t node_streams(struct node *n, struct stream **out, size_t max)
{
        size_t k = n->n_streams < max ? n->n_streams : max;

        if (k > 0) /* streams is NULL until the first stream */
                memcpy(out, n->streams, k * sizeof(out[0]));
        return k;
}
