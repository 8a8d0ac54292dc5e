/*
 * Real sockets for nodes: the only module that touches sockets, poll and clocks
 * (design.md §3). It is memnet's sibling: the same node_transport, but every
 * stream is a non-blocking TCP connection (IPv4 or IPv6, TCP_NODELAY) driven by
 * one poll() loop, with a timer per negotiation step (docs/timeouts.md).
 *
 * One loop runs every stream of a run: the listeners of one or more nodes (the
 * harness and, with no --target, the in-process reference partner), the
 * connections they initiate, and the harness's DNS zone over UDP and TCP.
 *
 * Name resolution (dns_find_targets, dns_resolve_host) is blocking in ldns, so
 * it runs on a short-lived worker thread per lookup (at most NET_MAX_LOOKUPS at
 * a time); the loop keeps serving sockets, including the DNS zone the lookup may
 * be asking. Everything else happens on the thread that calls net_run.
 *
 * Ownership: the loop borrows the nodes, zones and resolver strings it is given
 * (the resolver config is copied). It releases (node_stream_release) every
 * stream it drives once that stream's connection is closed, so a node observer's
 * on_closed is the last moment a stream exists. Free the loop (or call
 * net_forget_node) before freeing a node it drives.
 */
#ifndef S2S_NET_H
#define S2S_NET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "dnszone.h"
#include "engine.h"
#include "node.h"
#include "smartwait.h"

#define NET_STATES (ST_CLOSED + 1) /* one step timeout per enum engine_state */
#define NET_MAX_LOOKUPS 8          /* resolver threads running at once; more wait */
#define NET_MAX_TARGETS 32         /* net_set_target overrides */
#define NET_PEER_MAX 64            /* "[::1]:5269" */
#define NET_MAX_CONNS 1024         /* the connection table: accepted, outgoing, DNS over TCP */

/*
 * Timeouts in milliseconds (docs/timeouts.md). A stream's timer restarts whenever
 * its engine state changes or the peer makes progress within the step (bytes
 * that are not XML whitespace, or TLS handshake bytes); whitespace keepalives do
 * not count. Whatever arrives, a step ends at step_ms * step_cap_factor (the hard
 * cap). When the timer runs out the engine records "timeout while EXPECT_X", with
 * what trickled in during the step when anything did (node_stream_timeout_detail).
 */
struct net_timeouts {
        unsigned connect_ms;          /* each TCP connect attempt (one address) */
        unsigned step_ms[NET_STATES]; /* per engine state; 0 = no timer (ST_EXPECT_STANZAS:
                                         an authenticated stream may stay idle) */
        unsigned close_ms;            /* ST_EXPECT_CLOSE, flushing after ST_CLOSED, and the
                                         linger for the peer's FIN after our shutdown */
        unsigned step_cap_factor;     /* hard cap of a step: step_ms times this (0 or 1:
                                         progress never extends a step) */
};

/* connect 5 s, each negotiation step 10 s, EXPECT_DB_RESULT and the receiving side's
 * EXPECT_STARTTLS and EXPECT_AUTH 15 s (they wait for a dialback verify round trip), close 2 s,
 * authenticated streams no timer, hard cap 2 x the step. */
void net_timeouts_default(struct net_timeouts *t);

/*
 * What the listeners accept (docs/timeouts.md "Listeners"). Counted over every
 * listener of the loop, over accepted connections still open (DNS over TCP
 * included). A connection over a cap is accepted and closed at once.
 */
struct net_listen_limits {
        unsigned per_source; /* open at once from one source address */
        unsigned total;      /* open at once in all; the loop lowers it to what the
                                file descriptor limit allows */
        unsigned idle_ms;    /* dropped when nothing came within this time (0: never) */
};

/* 256 per source, 768 in all (of NET_MAX_CONNS: the rest is for the harness's
 * own connections), idle 5 s. */
void net_listen_limits_default(struct net_listen_limits *lim);

/*
 * The total cap in force (net_listen_limits.total, lowered to what the file
 * descriptor limit allows), and that limit (the soft RLIMIT_NOFILE) in *nofile
 * when not NULL. A cap over the default table grows the table (to twice the cap:
 * an outgoing connection for each accepted one) and raises the limit as far as
 * the hard limit allows (net_set_listen_limits).
 */
struct net_loop;
unsigned net_listen_cap(const struct net_loop *l, unsigned long *nofile);

struct net_loop;

/* Replaces the limits (copied); connections already accepted are kept. */
void net_set_listen_limits(struct net_loop *l, const struct net_listen_limits *lim);

/* Why the harness itself could not do something (not the peer's doing). */
enum net_shortage {
        NET_SHORT_NONE = 0,
        NET_SHORT_TABLE,      /* the connection table (NET_MAX_CONNS) was full */
        NET_SHORT_FDS,        /* out of file descriptors (EMFILE, ENFILE) */
        NET_SHORT_MEMORY,     /* out of memory (or threads, kernel buffers) */
        NET_SHORT_LISTEN_CAP, /* a listener cap refused a connection that may have
                                 been the partner's */
};

/* "connection table full", "out of file descriptors", ... */
const char *net_shortage_name(enum net_shortage k);

/* How the loop fared under load, counted from net_new (counters only grow, so
 * a caller compares two snapshots to see what happened in between). */
struct net_pressure {
        unsigned long shortages;      /* times the harness lacked a resource (enum net_shortage) */
        enum net_shortage last;       /* the kind of the last one */
        char last_text[192];          /* the last one in words, with the numbers */
        unsigned long accepted;       /* connections the listeners took */
        unsigned long refused_source; /* closed at once: their source was at its cap */
        unsigned long refused_total;  /* closed at once: the total cap or the table */
        unsigned long dropped_idle;   /* accepted, sent nothing in time, dropped */
        unsigned long polls;          /* poll() calls of net_run / net_run_wait */
        unsigned long polls_nowait;   /* of those, with a zero timeout (a look, no sleep) */
};

/* Copies the counters into *out. */
void net_pressure(const struct net_loop *l, struct net_pressure *out);

/*
 * A loop with default timeouts and listener limits, no listeners and the system
 * resolver. It raises the process's soft RLIMIT_NOFILE towards its hard limit
 * (NET_MAX_CONNS and a reserve need more than the usual 1,024). Returns NULL
 * with a reason in err.
 */
struct net_loop *net_new(char *err, size_t errlen);

/*
 * Closes every socket at once (no polite close: call net_close_all and net_run
 * first for that), releases the streams the loop still drives, and waits for
 * running lookups to end (each is bounded by the resolver's timeouts). NULL-safe.
 */
void net_free(struct net_loop *l);

/* Replaces the timeouts (copied); streams already timing pick them up at their
 * next restart. */
void net_set_timeouts(struct net_loop *l, const struct net_timeouts *t);

/*
 * Listens on addr ("127.0.0.1", "::1": an IP literal) and port (0: any free port,
 * written to *bound_port, which may be NULL). SO_REUSEADDR; an IPv6 listener is
 * IPv6-only. Every accepted connection becomes node_accept(node) (borrowed) and is
 * driven by the loop. Returns 0, or -1 with a reason in err.
 */
int net_listen(struct net_loop *l, const char *addr, uint16_t port, struct node *node,
               uint16_t *bound_port, char *err, size_t errlen);

/* As net_listen, for XEP-0368 direct TLS: every accepted connection starts with
 * the TLS handshake (the node's TLS setting must allow TLS). */
int net_listen_direct_tls(struct net_loop *l, const char *addr, uint16_t port, struct node *node,
                          uint16_t *bound_port, char *err, size_t errlen);

/* Chooses the node for a routed connection from its stream header's 'to' (NULL
 * when the header had none or was not XML); NULL refuses the connection. */
typedef struct node *(*net_route_fn)(void *user, const char *to);

/*
 * A listener shared by several nodes (virtual hosting): each accepted
 * connection is read until its stream header is complete (bounded by the
 * EXPECT_HEADER step timeout), then handed to route(user, to) and replayed to
 * that node's new receiving stream. Returns 0, or -1 with err.
 */
int net_listen_router(struct net_loop *l, const char *addr, uint16_t port, net_route_fn route,
                      void *user, uint16_t *bound_port, char *err, size_t errlen);

/*
 * Serves zone z (borrowed: it must outlive the loop or net_forget_zone) on addr,
 * over UDP and TCP on the same port (0: any free port, written to *bound). Answers
 * only from the zone (dnszone_answer), never forwards. Returns 0, or -1 with err.
 */
int net_serve_dns(struct net_loop *l, const char *addr, uint16_t port, const struct dns_zone *z,
                  uint16_t *bound, char *err, size_t errlen);

/* Stops serving z (closes its sockets). */
void net_forget_zone(struct net_loop *l, const struct dns_zone *z);

/*
 * The transport for node_new. connect() (which never blocks) queues the stream;
 * the loop then resolves the domain and tries each address in order (RFC 6120
 * §3.2.1) until one connects, and calls node_stream_connected or, when every
 * address failed, node_stream_failed with the addresses and errors tried.
 */
struct node_transport net_transport(struct net_loop *l);

/*
 * As net_transport, with same_server: a domain is served by the server an
 * initiating stream is connected to (or, still connecting, the server of the
 * domain it was opened for) when the domain's first address (a configured
 * target, or DNS looked up once, synchronously, bounded by the resolver's
 * timeouts, then remembered) is that stream's address and port. For
 * a node whose streams may all serve one address (the reference partner's
 * reuse-connection behaviour, XEP-0220 §2.6); the runner's nodes keep
 * net_transport.
 */
struct node_transport net_transport_same_server(struct net_loop *l);

/*
 * A configured host and port for domain (NULL: for every domain without its own
 * entry), used instead of SRV (RFC 6120 §3.2.3; --target). host is an IP literal or
 * a name (resolved A/AAAA with the loop's resolver). A second call for the same
 * domain replaces the first. Returns 0, or -1 (bad host, table full) with err.
 */
int net_set_target(struct net_loop *l, const char *domain, const char *host, uint16_t port,
                   char *err, size_t errlen);

/* Forgets every net_set_target entry. */
void net_clear_targets(struct net_loop *l);

/*
 * The resolver for domains without a target (copied, including the server
 * string; NULL: back to the system resolver, 1.5 s per try, 1 retry). Its rng, if
 * any, is called from the lookup threads.
 */
void net_set_resolver(struct net_loop *l, const struct dns_resolver_config *c);

enum net_run_result {
        NET_RUN_IDLE = 0,        /* no stream is negotiating, connecting or closing */
        NET_RUN_UNTIL = 1,       /* until() returned true */
        NET_RUN_MAX_TIME = 2,    /* max_ms passed */
        NET_RUN_INTERRUPTED = 3, /* net_interrupt was called */
        NET_RUN_ERROR = -1,      /* poll failed */
};

/*
 * Runs the loop: accepts, connects, moves bytes, serves DNS, applies timeouts.
 * Returns (enum net_run_result) when until(user) is true (checked after every
 * wakeup; until may be NULL), when no stream is active (streams idle in
 * ST_EXPECT_STANZAS do not count), when max_ms passes, or when net_interrupt was
 * called (the flag is then cleared). Every poll() wait is bounded by the nearest
 * timer and by max_ms.
 */
int net_run(struct net_loop *l, unsigned max_ms, bool (*until)(void *user), void *user);

/*
 * As net_run, but when no stream is active it does not return NET_RUN_IDLE: it
 * sleeps in poll until an event, the nearest timer or max_ms (issue 12 item 3: a
 * caller waiting for a deadline of its own passes the time to it instead of
 * calling net_run in a loop). Returns NET_RUN_UNTIL, NET_RUN_MAX_TIME,
 * NET_RUN_INTERRUPTED or NET_RUN_ERROR.
 */
int net_run_wait(struct net_loop *l, unsigned max_ms, bool (*until)(void *user), void *user);

/*
 * With on, an address whose connect timed out (connect_ms) is not tried again by
 * later streams of the loop: they record "no answer ... earlier in this run" and
 * go on to the next address (RFC 6120 §3.2.1), so a dead partner costs one connect
 * timeout per address and run. Refused connects fail at once and are not
 * remembered. Turning it on or off forgets the addresses remembered so far.
 */
void net_set_remember_dead(struct net_loop *l, bool on);

/*
 * The smart silence window (docs/timeouts.md "Smart silence window", smartwait.h).
 * The loop always measures the peers' answer times: from our write to the peer's
 * next state change or progress on that stream. With on, a step whose outcome
 * silence may decide (EXPECT_DB_RESULT, EXPECT_STARTTLS, EXPECT_AUTH,
 * EXPECT_CLAIM_ANSWER) on a stream of a node with node_config.smart_silence ends
 * after smartwait_window() of silence, fixed when the step starts; the hard cap
 * and the state's own timeout still bound it. Off by default.
 */
void net_set_smart_silence(struct net_loop *l, bool on);

/* The answer times measured so far (copied into *out). */
void net_answers(const struct net_loop *l, struct smartwait_stats *out);

/* Adds an answer the owner timed itself (the runner: a test stanza's answer). */
void net_note_answer(struct net_loop *l, enum smartwait_kind kind, unsigned ms);

/*
 * Politeness towards a partner (issue: a per-partner cap): at most cap
 * connections at once to any one address we connect to (0: no cap), and at
 * least pause_ms between two outgoing connects (0: none). Connections over the
 * cap wait, resolved, until there is room; the scenario's own timeout bounds
 * the wait.
 */
void net_set_politeness(struct net_loop *l, unsigned cap, unsigned pause_ms);

/*
 * Output pacing for hostile tests (`serve --misbehave`): how the streams of one
 * node write. drip_ms > 0: one byte per drip_ms; keepalive_ms > 0: while the
 * stream has nothing queued, one space per keepalive_ms, written as is (meant
 * for streams that have not started TLS: a space inside TLS would break it).
 * Zeros: write freely, no keepalive. roles limits pacing to the accepted
 * (receiving) or the initiated streams.
 */
struct net_pacing {
        unsigned drip_ms;
        unsigned keepalive_ms;
        unsigned roles; /* streams paced: bits (1u << enum engine_role); 0 = all */
};

/* Paces every stream of node n (accepted and initiated) as p says (copied); one
 * node at a time: a second call replaces the first, p NULL stops pacing. */
void net_set_pacing(struct net_loop *l, const struct node *n, const struct net_pacing *p);

/* Makes net_run return NET_RUN_INTERRUPTED promptly. Async-signal-safe and
 * callable from any thread (an atomic flag and a write to a pipe). */
void net_interrupt(struct net_loop *l);

/*
 * Closes every stream politely: authenticated or negotiating streams send
 * </stream:stream> (and close_notify under TLS); streams still resolving or
 * connecting fail with "closed before the connection was up". Run the loop
 * afterwards to let the closes finish (bounded by close_ms).
 */
void net_close_all(struct net_loop *l);

/* Drops every connection of node n at once (its streams are released) and closes
 * its listeners. Call before node_free(n) when the loop lives on. */
void net_forget_node(struct net_loop *l, struct node *n);

/*
 * The peer address a stream's connection used: for an initiating stream the
 * address that connected (RFC 6120 §3.2.1 tried them in order), for an accepted
 * one the remote address; "" when there is none (yet). Valid while the stream
 * exists (so in on_result and on_closed); points into the loop.
 */
const char *net_stream_peer(const struct stream *s);

#endif
