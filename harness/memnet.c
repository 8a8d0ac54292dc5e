#include "memnet.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MEMNET_MAX_NODES 8
#define MEMNET_MAX_LINKS 128
#define MEMNET_MAX_ALIASES 8

/* One TCP connection: a is the initiating stream, b the accepted one. */
struct link {
        struct stream *a, *b;
        bool started;
        bool a_closed, b_closed; /* that side closed its end */
        bool refused;            /* no node serves the domain */
};

struct memnet {
        struct node *nodes[MEMNET_MAX_NODES];
        size_t n_nodes;
        struct link links[MEMNET_MAX_LINKS];
        size_t n_links;
        size_t chunk;
        struct {
                struct node *n;
                char domain[256];
        } aliases[MEMNET_MAX_ALIASES];
        size_t n_aliases;
        struct node *shared[MEMNET_MAX_ALIASES][2]; /* pairs of nodes at one address */
        size_t n_shared;
};

struct memnet *memnet_new(void)
{
        return calloc(1, sizeof(struct memnet));
}

void memnet_free(struct memnet *m)
{
        if (m == NULL)
                return;
        memnet_reset(m);
        free(m);
}

int memnet_add(struct memnet *m, struct node *n)
{
        if (m->n_nodes >= MEMNET_MAX_NODES)
                return -1;
        m->nodes[m->n_nodes++] = n;
        return 0;
}

int memnet_alias(struct memnet *m, struct node *n, const char *domain)
{
        if (m->n_aliases >= MEMNET_MAX_ALIASES || strlen(domain) >= sizeof(m->aliases[0].domain))
                return -1;
        m->aliases[m->n_aliases].n = n;
        memcpy(m->aliases[m->n_aliases].domain, domain, strlen(domain) + 1);
        m->n_aliases++;
        return 0;
}

int memnet_share_address(struct memnet *m, struct node *a, struct node *b)
{
        if (m->n_shared >= MEMNET_MAX_ALIASES)
                return -1;
        m->shared[m->n_shared][0] = a;
        m->shared[m->n_shared][1] = b;
        m->n_shared++;
        return 0;
}

static bool one_address(const struct memnet *m, const struct node *a, const struct node *b)
{
        if (a == b)
                return true;
        for (size_t i = 0; i < m->n_shared; i++) {
                if ((m->shared[i][0] == a && m->shared[i][1] == b) ||
                    (m->shared[i][0] == b && m->shared[i][1] == a))
                        return true;
        }
        return false;
}

void memnet_set_chunk(struct memnet *m, size_t chunk)
{
        m->chunk = chunk;
}

static struct node *serving(struct memnet *m, const char *domain)
{
        for (size_t i = 0; i < m->n_aliases; i++) {
                if (strcasecmp(m->aliases[i].domain, domain) == 0)
                        return m->aliases[i].n;
        }
        for (size_t i = 0; i < m->n_nodes; i++) {
                const struct node_config *c = node_config(m->nodes[i]);

                for (size_t k = 0; k < c->n_hosted; k++) {
                        if (strcasecmp(c->hosted[k], domain) == 0)
                                return m->nodes[i];
                }
        }
        return NULL;
}

static int mem_connect(void *user, struct stream *s, const char *domain)
{
        struct memnet *m = user;
        struct node *peer = serving(m, domain);
        struct link *l;

        if (m->n_links >= MEMNET_MAX_LINKS)
                return -1;
        l = &m->links[m->n_links++];
        memset(l, 0, sizeof(*l));
        l->a = s;
        if (peer == NULL) {
                l->refused = true;
                return 0;
        }
        l->b = node_accept(peer);
        if (l->b == NULL)
                l->refused = true;
        return 0;
}

/* The node at the other end of s is the server of domain (one address and port each). */
static bool mem_same_server(void *user, struct stream *s, const char *domain)
{
        struct memnet *m = user;
        struct node *peer = serving(m, domain);

        for (size_t i = 0; i < m->n_links; i++) {
                if (m->links[i].a == s)
                        return peer != NULL && m->links[i].b != NULL &&
                               one_address(m, node_stream_node(m->links[i].b), peer);
        }
        return false;
}

struct node_transport memnet_transport(struct memnet *m)
{
        struct node_transport t = {
            .connect = mem_connect, .user = m, .same_server = mem_same_server};

        return t;
}

/* Moves what `from` has to send into `to`. Returns bytes moved. */
static size_t move(struct memnet *m, struct stream *from, struct stream *to)
{
        struct buf *out = node_stream_output(from);
        size_t total = 0;

        while (out->len > 0) {
                size_t n = m->chunk > 0 && m->chunk < out->len ? m->chunk : out->len;
                char tmp[65536];

                if (n > sizeof(tmp))
                        n = sizeof(tmp);
                memcpy(tmp, out->data, n);
                buf_consume(out, n);
                total += n;
                if (to != NULL)
                        node_stream_input(to, tmp, n);
                /* node_stream_input may have closed or grown either side; loop re-reads. */
        }
        return total;
}

static bool link_open(const struct link *l)
{
        return !(l->a_closed && (l->b == NULL || l->b_closed));
}

/* One pass over every link. Returns true when anything happened. */
static bool step(struct memnet *m)
{
        bool busy = false;

        for (size_t i = 0; i < m->n_links; i++) {
                struct link *l = &m->links[i];

                if (!link_open(l))
                        continue;
                if (!l->started) {
                        l->started = true;
                        busy = true;
                        if (l->refused) {
                                node_stream_failed(l->a,
                                                   "connection refused (no server for the domain)");
                                l->a_closed = l->b_closed = true;
                                continue;
                        }
                        node_stream_connected(l->a);
                }
                if (!l->a_closed && move(m, l->a, l->b_closed ? NULL : l->b) > 0)
                        busy = true;
                if (!l->b_closed && move(m, l->b, l->a_closed ? NULL : l->a) > 0)
                        busy = true;
                if (!l->a_closed && node_stream_done(l->a) && node_stream_output(l->a)->len == 0) {
                        l->a_closed = true;
                        busy = true;
                        if (!l->b_closed)
                                node_stream_peer_closed(l->b);
                }
                if (!l->b_closed && node_stream_done(l->b) && node_stream_output(l->b)->len == 0) {
                        l->b_closed = true;
                        busy = true;
                        if (!l->a_closed)
                                node_stream_peer_closed(l->a);
                }
        }
        return busy;
}

/* The newest stream that is still waiting for something. */
static struct stream *newest_waiting(struct memnet *m)
{
        for (size_t i = m->n_links; i > 0; i--) {
                struct link *l = &m->links[i - 1];

                if (l->b != NULL && !l->b_closed && !node_stream_done(l->b) &&
                    engine_step_state(node_stream_engine(l->b)) != ST_EXPECT_STANZAS)
                        return l->b;
                if (!l->a_closed && !node_stream_done(l->a) &&
                    engine_step_state(node_stream_engine(l->a)) != ST_EXPECT_STANZAS)
                        return l->a;
        }
        return NULL;
}

int memnet_run(struct memnet *m, unsigned max_rounds)
{
        int timeouts = 0;

        for (unsigned round = 0; round < max_rounds; round++) {
                struct stream *w;

                if (step(m))
                        continue;
                w = newest_waiting(m);
                if (w == NULL)
                        return timeouts;
                node_stream_timeout(w);
                timeouts++;
        }
        return -1;
}

void memnet_reset(struct memnet *m)
{
        /* Release the accepted side first: it may be the requester of a verify stream. */
        for (size_t i = 0; i < m->n_links; i++) {
                if (m->links[i].b != NULL)
                        node_stream_release(m->links[i].b);
        }
        for (size_t i = 0; i < m->n_links; i++)
                node_stream_release(m->links[i].a);
        m->n_links = 0;
}
