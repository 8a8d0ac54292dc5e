/*
 * A node is one XMPP server's S2S side: the domains it hosts, its negotiation
 * settings, credentials and dialback secret, and the streams it has open. It
 * wires engines together the way a server does (design.md §2):
 * - a stanza for a remote domain goes out on an authenticated initiating
 *   stream, opening one (through the transport) when there is none;
 * - a <db:result/> arriving on a receiving stream is verified over a new
 *   initiating VERIFY stream to the sender's authoritative server (XEP-0220
 *   step 2), and the answer goes back to the receiving stream (step 4);
 * - an XEP-0199 ping addressed to the node is answered.
 *
 * Bytes move through a transport the owner provides: memory (memnet) in tests,
 * sockets (net) in live runs. The node never touches I/O or clocks itself.
 */
#ifndef S2S_NODE_H
#define S2S_NODE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "dialback.h"
#include "engine.h"

#define NODE_MAX_HOSTED 16
#define NODE_MAX_STREAMS 64 /* streams open at once, unless node_config.max_streams says */

struct node;
struct stream;

/* Connects a new initiating stream to the server of a domain. */
struct node_transport {
        /*
         * Asks for a connection from stream s (initiating, not started) to the
         * server that serves domain. Returns 0 when the connection is under way
         * (the transport calls node_stream_connected when it is up, or
         * node_stream_failed), or -1 when it cannot even try.
         */
        int (*connect)(void *user, struct stream *s, const char *domain);
        void *user;
        /*
         * Optional (NULL = never): whether domain is served at the same address and
         * port as the server initiating stream s is connected to, which XEP-0220
         * §2.6 requires for target multiplexing. Initialise the struct with
         * designated initialisers so that this field is NULL when unused.
         */
        bool (*same_server)(void *user, struct stream *s, const char *domain);
};

/* Observes what a node receives and how its streams end (e.g. the harness). */
struct node_observer {
        /* A stanza accepted on a receiving stream (after the node's own ping handling). */
        void (*on_stanza)(void *user, struct stream *s, xmlNodePtr stanza);
        /* A stream reached its final result (authenticated or failed). */
        void (*on_result)(void *user, struct stream *s);
        /* A stream is closed and about to be freed. */
        void (*on_closed)(void *user, struct stream *s);
        void *user;
        /* A pair (from, to) for one of this node's domains, carried on a receiving
         * stream of another node at the same address (XEP-0220 §2.6 target
         * multiplexing, or a legacy header without 'to'), ended: its result is
         * engine_pair_result(node_stream_engine(s), from, to). May be NULL. */
        void (*on_pair)(void *user, struct stream *s, const char *from, const char *to);
};

struct node_config {
        const char *name;                    /* for traces: "harness", "partner" */
        const char *hosted[NODE_MAX_HOSTED]; /* hosted[0] is the primary domain */
        size_t n_hosted;
        struct neg_settings neg;
        enum semantics sem;
        struct engine_knobs knobs;
        struct tls_creds *creds; /* borrowed */
        const char *secret;      /* NULL: a random per-run secret */
        /* The db:verify requests received by this server's authoritative role
         * (dialback.h), borrowed. Nodes that share a secret speak for one server
         * and must share it, so that a 'valid' on one node's stream finds the
         * verify another node answered. NULL: the node keeps its own. */
        struct db_ledger *ledger;
        enum db_answer db_answer;
        struct xs_limits limits;
        /* Every trace entry of every stream, with the stream it belongs to. */
        void (*trace)(void *user, struct stream *s, const struct trace_entry *e);
        void *trace_user;
        bool answer_pings; /* reply to XEP-0199 pings addressed to a hosted domain */
        /* The expectation of this node's scenario allows silence: net may end its
         * silence-decided steps after the run's smart window (net_set_smart_silence). */
        bool smart_silence;
        /* The peer's configured settings, when known (passed to every engine). */
        bool peer_known;
        struct neg_settings peer_neg;
        /*
         * Optional (NULL = none): the node that speaks for a domain at this node's
         * address (virtual hosting; the runner's scenario nodes share one
         * listener). A <db:verify/> or <db:result/> on one of this node's
         * receiving streams for a domain that node hosts is answered and judged as
         * that node would (its secret, answer policy, ledger and settings), its
         * verify stream is that node's, and its result and stanzas go to that
         * node's observer. Returning this node or NULL means nobody else.
         */
        struct node *(*route)(void *user, const char *domain);
        void *route_user;
        /* Randomness for every engine of the node (engine_config.random); NULL:
         * xs_random_system (gnutls_rnd). Tests pass a deterministic one. */
        xs_random_fn random;
        void *random_user;
        /* Streams open at once (0: NODE_MAX_STREAMS); the table grows as they come
         * (`serve --max-connections`). A stream past it is not opened. */
        size_t max_streams;
};

/* Copies cfg (hosted strings are copied). Returns NULL with a reason in err. */
struct node *node_new(const struct node_config *cfg, const struct node_transport *t,
                      const struct node_observer *obs, char *err, size_t errlen);

/* Frees the node and every stream it still has. NULL-safe. */
void node_free(struct node *n);

/* Settings can change between scenarios (the reference partner keeps them). */
const struct node_config *node_config(const struct node *n);

/*
 * Sends a stanza (copied) from one of the node's domains to a remote domain:
 * on a stream where the (from, to) pair is authenticated when one exists; else
 * multiplexed (XEP-0220 §2.6) on a dialback stream to the same server (the same
 * target; or another target when the transport says it is the same server);
 * else queued on a new stream. A stanza queued on a stream that turns out to be
 * unable to carry its pair (SASL only, reference §3.7) moves to a new stream of
 * its own when that stream authenticates. Returns the stream used, or NULL
 * when no stream could be opened.
 */
struct stream *node_send(struct node *n, xmlNodePtr stanza);

/* Builds and sends an XEP-0199 ping iq. Returns the stream or NULL. */
struct stream *node_ping(struct node *n, const char *from, const char *to, const char *id);

/* A new receiving stream for an accepted connection. */
struct stream *node_accept(struct node *n);

/* XEP-0368: the connection is direct TLS (a `_xmpps-server` target or a direct-TLS
 * listener). Call before node_stream_connected / the first input. Returns 0 or -1
 * (the node's settings or credentials allow no TLS). */
int node_stream_set_direct_tls(struct stream *s);

/* The transport's connection is up: the stream sends its header. */
void node_stream_connected(struct stream *s);

/* The transport could not connect (reason recorded in the result). */
void node_stream_failed(struct stream *s, const char *why);

/* Bytes from the peer; events are handled before it returns. */
void node_stream_input(struct stream *s, const void *data, size_t len);

/* The peer closed the TCP connection. */
void node_stream_peer_closed(struct stream *s);

/* The step timer of the stream ran out. */
void node_stream_timeout(struct stream *s);

/* As node_stream_timeout, with what the transport saw in the step
 * (engine_timeout_detail; detail may be NULL). */
void node_stream_timeout_detail(struct stream *s, const char *detail);

/* Bytes to send (drain with buf_consume). */
struct buf *node_stream_output(struct stream *s);

/* True when the connection should be closed once output is sent. */
bool node_stream_done(const struct stream *s);

/* Frees a closed stream (the transport calls it after closing the connection). */
void node_stream_release(struct stream *s);

struct engine *node_stream_engine(struct stream *s);
struct node *node_stream_node(struct stream *s);
enum engine_purpose node_stream_purpose(const struct stream *s);
const char *node_stream_remote(const struct stream *s);  /* initiating: the domain asked for */
unsigned node_stream_serial(const struct stream *s);     /* 1, 2, ... per node */
const char *node_stream_label(const struct stream *s);   /* "harness#3 out" */
const char *node_stream_failure(const struct stream *s); /* connect failure, "" if none */
/* True when the stream failed its TLS handshake and a plaintext retry carries on
 * for it (engine_knobs.retry_plaintext_after_tls_failure): its result is not final
 * for what it was opened for. */
bool node_stream_superseded(const struct stream *s);

/* Owner data for the transport. */
void node_stream_set_user(struct stream *s, void *user);
void *node_stream_user(const struct stream *s);

/* Streams of the node, in creation order (for timeouts and reports). */
size_t node_streams(struct node *n, struct stream **out, size_t max);

#endif
