/*
 * An in-memory transport for nodes: connections are pairs of streams whose
 * bytes are moved by memnet_run, with no sockets and no clocks. It is how the
 * whole negotiation matrix runs in one process, fast and deterministic
 * (design.md §6), with real TLS over the moved bytes.
 *
 * Time is simulated: when nothing moves any more and some stream still waits,
 * the newest waiting stream gets its step timeout (so a verify stream times out
 * before the stream that waits for it, as real timers would order them).
 */
#ifndef S2S_MEMNET_H
#define S2S_MEMNET_H

#include <stddef.h>

#include "node.h"

struct memnet;

struct memnet *memnet_new(void);

/* Frees the links (not the nodes). NULL-safe. */
void memnet_free(struct memnet *m);

/* Registers a node as the server of each of its hosted domains. */
int memnet_add(struct memnet *m, struct node *n);

/*
 * Serves domain at n's address (virtual hosting, as the runner's listener does
 * for every harness name): connections for domain reach n, and n's streams count
 * as the same server for it. domain is copied. Returns 0 or -1 (table full).
 */
int memnet_alias(struct memnet *m, struct node *n, const char *domain);

/* Puts node b at node a's address without moving its domains: connections still
 * reach the node that hosts their domain (as the runner's listener routes by the
 * stream's 'to'), and streams to either count as the same server (XEP-0220 §2.6).
 * Returns 0 or -1 (table full). */
int memnet_share_address(struct memnet *m, struct node *a, struct node *b);

/* The transport to give node_new: connect() links to the registered node. */
struct node_transport memnet_transport(struct memnet *m);

/* Optional chunking of every transfer (1 = byte by byte; 0 = whole). */
void memnet_set_chunk(struct memnet *m, size_t chunk);

/*
 * Moves bytes until every stream is closed or max_rounds passes, applying
 * simulated timeouts when nothing moves. Returns the number of timeouts
 * applied, or -1 when max_rounds ran out.
 */
int memnet_run(struct memnet *m, unsigned max_rounds);

/* Drops every link and releases their streams (between scenarios). */
void memnet_reset(struct memnet *m);

#endif
