#include "net.h"

#include "util.h"
#include "xmlstream.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <stdarg.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NET_MAX_LISTENERS 32
#define NET_READ_CHUNK 16384  /* bytes read per connection per wakeup */
#define NET_WRITE_CHUNK 65536 /* bytes per send() call */
#define NET_ACCEPTS_PER_WAKEUP 16
#define NET_DATAGRAMS_PER_WAKEUP 16
#define NET_DNS_IDLE_MS 5000 /* a DNS-over-TCP client that says nothing is dropped */
#define NET_DNS_TCP_MAX_QUERIES 16
#define NET_DNS_UDP_MAX 4096
#define NET_MAX_WAIT_MS 1000 /* poll never sleeps longer, so until() is rechecked */
#define NET_MAX_DEAD 32      /* addresses remembered as dead (net_set_remember_dead) */
#define NET_REASON_MAX 512
#define NET_NOFILE_WANT 4096 /* soft RLIMIT_NOFILE asked for (NET_MAX_CONNS and more) */
#define NET_OWN_CONNS (NET_MAX_CONNS / 4) /* table rows kept for the harness's own connections */
#define NET_FD_RESERVE                                                                             \
        256 /* descriptors kept from accepted connections: outgoing                                \
               connections, listeners, DNS lookups, files */

enum listener_kind {
        LISTEN_NODE,    /* accepted connections become node_accept streams */
        LISTEN_DNS_TCP, /* DNS over TCP clients */
        LISTEN_DNS_UDP, /* DNS datagrams, answered in place */
};

struct listener {
        enum listener_kind kind;
        int fd;
        struct node *node;
        const struct dns_zone *zone;
        bool direct_tls; /* XEP-0368: accepted connections start with TLS */
        /* LISTEN_NODE with a router: the node is chosen by the stream's 'to'. */
        net_route_fn route;
        void *route_user;
};

enum conn_kind {
        CONN_STREAM, /* carries a node stream */
        CONN_DNS,    /* a DNS-over-TCP client of a zone we serve */
};

enum conn_phase {
        PH_QUEUED,     /* initiating: waiting for a lookup slot */
        PH_RESOLVING,  /* a lookup thread is running for it */
        PH_WAITING,    /* resolved: waiting for a connection slot or the pause (politeness) */
        PH_CONNECTING, /* a non-blocking connect() is under way */
        PH_OPEN,       /* bytes move */
        PH_ROUTING,    /* accepted by a router: reading the stream header for its 'to' */
        PH_LINGER,     /* stream released, our FIN sent: waiting for the peer's FIN */
        PH_DEAD,       /* socket closed; freed at the next compaction */
};

struct lookup;

struct conn {
        enum conn_kind kind;
        enum conn_phase phase;
        int fd;
        struct stream *s; /* CONN_STREAM until released */
        char domain[DNS_HOST_MAX];
        struct lookup *lk;               /* PH_RESOLVING */
        struct dns_target_list *targets; /* after the lookup: what to try */
        size_t ti, ai;                   /* next target, next address in it */
        char tried[NET_REASON_MAX];      /* attempts that failed, for the reason */
        char peer[NET_PEER_MAX];
        char trying[NET_PEER_MAX];
        bool eof;    /* the peer's FIN (or a reset) was seen */
        bool direct; /* the address being tried is a direct-TLS target (XEP-0368) */
        /* Accepted by a listener: its source address (no port) for the per-source
         * cap, when, and whether the peer has sent a byte yet (the idle drop). */
        bool accepted;
        bool heard;
        char src[INET6_ADDRSTRLEN];
        int64_t accepted_at;
        /* The running timer: -1 none. timer_state is the engine state it was started
         * for (engine_step_state), so a state change restarts it. The step began at step_start;
         * progress (not whitespace) last came at last_progress; step_base and seen are the engine's
         * input counters at the step's start and at the last read. */
        int64_t deadline;
        enum engine_state timer_state;
        bool timer_set;
        int64_t step_start, last_progress;
        struct engine_input_counts step_base, seen;
        /* The smart silence window of the running step (smartwait.h), 0: none (the
         * state's own timeout); move_at: when we last wrote with no answer since
         * (0: the peer has answered), for the answer times. */
        unsigned smart_ms;
        int64_t move_at;
        /* CONN_DNS */
        const struct dns_zone *zone;
        struct buf in, out;
        unsigned answered;
        /* PH_ROUTING: the router's listener, a reader for the header, its 'to'. */
        struct listener *router;
        struct xs_parser *rx;
        bool route_ready;
        char route_to[DNS_HOST_MAX];
        int64_t pace_at; /* net_set_pacing: the next paced write is due then */
};

/* One name resolution on a worker thread. Inputs and outputs are written by
 * one side at a time: the loop before the thread starts, the thread until it
 * sets done, the loop after it joins. conn is touched by the loop only. */
struct lookup {
        pthread_t thread;
        atomic_bool done;
        int wake_fd;
        char domain[DNS_HOST_MAX];
        bool override;
        char host[DNS_HOST_MAX];
        uint16_t port;
        struct dns_resolver_config rc;
        char server[INET6_ADDRSTRLEN];
        enum dns_status status;
        struct dns_target_list *list;
        char err[256];
        struct conn *conn;
};

/* What a poll entry stands for. */
struct pref {
        enum { REF_WAKE, REF_LISTENER, REF_CONN } kind;
        void *p;
};

#define NET_WHERE_MAX 64

struct target {
        bool any; /* domain NULL: every domain without its own entry */
        char domain[DNS_HOST_MAX];
        char host[DNS_HOST_MAX];
        uint16_t port;
};

struct net_loop {
        struct net_timeouts to;
        struct listener ls[NET_MAX_LISTENERS];
        size_t nls;
        struct conn **conns;
        size_t nconns, capconns;
        struct lookup *lookups[NET_MAX_LOOKUPS];
        size_t nlookups;
        struct target targets[NET_MAX_TARGETS];
        size_t ntargets;
        struct dns_resolver_config rc;
        char rc_server[INET6_ADDRSTRLEN];
        /* net_transport_same_server: where each domain was found (ring). */
        struct {
                char domain[DNS_HOST_MAX];
                char addr[NET_PEER_MAX];
        } where[NET_WHERE_MAX];
        size_t nwhere, next_where;
        int wake[2]; /* self-pipe: lookups done, net_interrupt */
        /* What the listeners accept, and what the loop went short of. */
        struct net_listen_limits lim;
        unsigned long nofile; /* the soft RLIMIT_NOFILE after net_new raised it */
        unsigned max_conns;   /* the connection table's bound: NET_MAX_CONNS, or more for a
                                 larger listener cap (net_set_listen_limits) */
        int spare_fd;         /* closed to accept-and-close when out of descriptors */
        struct net_pressure pressure;
        /* Addresses whose connect timed out (net_set_remember_dead). */
        bool remember_dead;
        struct sockaddr_storage dead[NET_MAX_DEAD];
        size_t ndead;
        /* Politeness towards the addresses we connect to (net_set_politeness). */
        unsigned cap;
        unsigned pause_ms;
        int64_t last_connect;
        /* The partner's answer times, and whether silence-decided steps use them
         * (net_set_smart_silence). */
        struct smartwait_stats answers;
        bool smart;
        /* Output pacing of one node's streams (net_set_pacing). */
        const struct node *pace_node;
        struct net_pacing pace;
        atomic_int interrupted;
        /* Poll set, rebuilt each round: pfd[i] belongs to ref[i]. */
        struct pollfd *pfd;
        struct pref *ref;
        size_t cappfd;
};

static int64_t now_ms(void)
{
        struct timespec ts;

        /* Monotonic only: wall-clock steps must not fire or stall timers. */
        if (clock_gettime(CLOCK_MONOTONIC, &ts) != 0)
                return 0;
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* One step timeout per engine state, every state included (engine_state_info). */
_Static_assert(NET_STATES == ENGINE_STATE_COUNT, "NET_STATES must count every engine state");

void net_timeouts_default(struct net_timeouts *t)
{
        memset(t, 0, sizeof(*t));
        t->connect_ms = 5000;
        t->step_cap_factor = 2;
        t->close_ms = 2000;
        /* Each state's timer follows its row in the engine's deadline table
         * (engine_state_info): a step timer, the close timer, or none where the
         * connect timeouts apply (START) or the result is final (EXPECT_STANZAS:
         * authenticated streams stay open, idle, until they are closed). */
        for (int i = 0; i < NET_STATES; i++) {
                const struct engine_state_info *si = engine_state_info((enum engine_state)i);
                enum engine_deadline d = si != NULL ? si->deadline : DEADLINE_NONE;

                t->step_ms[i] = d == DEADLINE_STEP ? 10000 : d == DEADLINE_CLOSE ? t->close_ms : 0;
        }
        /* A dialback result needs the receiver's verify round trip (XEP-0220 steps 2-4). */
        t->step_ms[ST_EXPECT_DB_RESULT] = 15000;
        t->step_ms[ST_EXPECT_STARTTLS] = 15000;
        t->step_ms[ST_EXPECT_AUTH] = 15000;
        /* The answer to an unsolicited claim: the settle time of a test stanza (10 s,
         * docs/timeouts.md "Per scenario"); silence after it is the answer. */
        t->step_ms[ST_EXPECT_CLAIM_ANSWER] = 10000;
}

static unsigned state_timeout(const struct net_loop *l, enum engine_state st)
{
        if (st == ST_EXPECT_CLOSE || st == ST_CLOSED)
                return l->to.close_ms;
        return l->to.step_ms[st];
}

static int set_fd_flags(int fd)
{
        int fl = fcntl(fd, F_GETFL);

        if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) != 0)
                return -1;
        /* Test peers (prosody, ejabberd) are spawned by the same process. */
        if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0)
                return -1;
        return 0;
}

/* reference/peers.md "Timing": Nagle delays the first write after a TLS 1.3
 * handshake by about 40 ms on loopback. */
static int set_nodelay(int fd)
{
        int one = 1;

        return setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void wake(int fd)
{
        ssize_t n = write(fd, "w", 1);

        /* A full pipe already guarantees a wakeup. */
        (void)n;
}

/* ---- limits: what the listeners accept, what the harness runs short of ---- */

void net_listen_limits_default(struct net_listen_limits *lim)
{
        lim->per_source = 256;
        lim->total = NET_MAX_CONNS - NET_OWN_CONNS;
        lim->idle_ms = 5000;
}

const char *net_shortage_name(enum net_shortage k)
{
        switch (k) {
        case NET_SHORT_TABLE:
                return "connection table full";
        case NET_SHORT_FDS:
                return "out of file descriptors";
        case NET_SHORT_MEMORY:
                return "out of memory";
        case NET_SHORT_LISTEN_CAP:
                return "listener cap reached";
        default:
                return "none";
        }
}

void net_pressure(const struct net_loop *l, struct net_pressure *out)
{
        *out = l->pressure;
}

/* The harness lacked a resource: counted, and the last one kept in words. */
static void shortage(struct net_loop *l, enum net_shortage k, const char *fmt, ...)
{
        va_list ap;
        size_t used;

        l->pressure.shortages++;
        l->pressure.last = k;
        snprintf(l->pressure.last_text, sizeof(l->pressure.last_text),
                 "%s: ", net_shortage_name(k));
        used = strlen(l->pressure.last_text);
        va_start(ap, fmt);
        vsnprintf(l->pressure.last_text + used, sizeof(l->pressure.last_text) - used, fmt, ap);
        va_end(ap);
}

static enum net_shortage errno_shortage(int err)
{
        if (err == EMFILE || err == ENFILE)
                return NET_SHORT_FDS;
        if (err == ENOMEM || err == ENOBUFS || err == EAGAIN)
                return NET_SHORT_MEMORY;
        return NET_SHORT_NONE;
}

/*
 * A fresh Debian has a soft limit of 1,024 descriptors: too few for a full
 * connection table. Raise it towards the hard limit; the total accept cap
 * follows what we got (accepted_cap).
 */
static unsigned long raise_nofile(unsigned long want_fds)
{
        struct rlimit rl;

        if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
                return 1024;
        if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want_fds) {
                rlim_t want = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want_fds
                                  ? (rlim_t)want_fds
                                  : rl.rlim_max;

                if (want > rl.rlim_cur) {
                        rl.rlim_cur = want;
                        if (setrlimit(RLIMIT_NOFILE, &rl) != 0 &&
                            getrlimit(RLIMIT_NOFILE, &rl) != 0)
                                return 1024;
                }
        }
        return rl.rlim_cur == RLIM_INFINITY ? want_fds : (unsigned long)rl.rlim_cur;
}

/* The total cap in force: the configured one, lowered to leave NET_FD_RESERVE
 * descriptors (or half of a small limit) to the harness's own connections. */
static unsigned accepted_cap(const struct net_loop *l)
{
        unsigned long fds =
            l->nofile > 2 * NET_FD_RESERVE ? l->nofile - NET_FD_RESERVE : l->nofile / 2;

        return fds < l->lim.total ? (unsigned)fds : l->lim.total;
}

void net_set_listen_limits(struct net_loop *l, const struct net_listen_limits *lim)
{
        l->lim = *lim;
        /* A cap over the default table: the table and the descriptor limit follow,
         * with room for one outgoing connection per accepted one (serve opens a
         * verify stream for each dialback request it receives). */
        if (lim->total > NET_MAX_CONNS - NET_OWN_CONNS) {
                l->max_conns = 2 * lim->total;
                if (l->nofile < (unsigned long)l->max_conns + NET_FD_RESERVE)
                        l->nofile = raise_nofile((unsigned long)l->max_conns + NET_FD_RESERVE);
        }
}

unsigned net_listen_cap(const struct net_loop *l, unsigned long *nofile)
{
        if (nofile != NULL)
                *nofile = l->nofile;
        return accepted_cap(l);
}

struct net_loop *net_new(char *err, size_t errlen)
{
        struct net_loop *l = calloc(1, sizeof(*l));

        if (l == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        l->wake[0] = l->wake[1] = -1;
        net_timeouts_default(&l->to);
        net_listen_limits_default(&l->lim);
        l->max_conns = NET_MAX_CONNS;
        l->nofile = raise_nofile(NET_NOFILE_WANT);
        l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
        net_set_resolver(l, NULL);
        atomic_init(&l->interrupted, 0);
        if (pipe(l->wake) != 0 || set_fd_flags(l->wake[0]) != 0 || set_fd_flags(l->wake[1]) != 0) {
                snprintf(err, errlen, "self-pipe: %s", strerror(errno));
                goto fail;
        }
        return l;
fail:
        net_free(l);
        return NULL;
}

void net_set_timeouts(struct net_loop *l, const struct net_timeouts *t)
{
        l->to = *t;
}

void net_set_resolver(struct net_loop *l, const struct dns_resolver_config *c)
{
        memset(&l->rc, 0, sizeof(l->rc));
        l->rc_server[0] = '\0';
        if (c == NULL) {
                l->rc.timeout_ms = 1500;
                l->rc.retries = 1;
                return;
        }
        l->rc = *c;
        if (c->server != NULL) {
                snprintf(l->rc_server, sizeof(l->rc_server), "%s", c->server);
                l->rc.server = l->rc_server;
        }
}

/* ---- addresses ---- */

static int parse_addr(const char *addr, uint16_t port, struct sockaddr_storage *ss,
                      socklen_t *sslen)
{
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        memset(ss, 0, sizeof(*ss));
        if (addr != NULL && inet_pton(AF_INET, addr, &s4->sin_addr) == 1) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                *sslen = sizeof(*s4);
                return 0;
        }
        if (addr != NULL && inet_pton(AF_INET6, addr, &s6->sin6_addr) == 1) {
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                *sslen = sizeof(*s6);
                return 0;
        }
        return -1;
}

static uint16_t sock_port(int fd)
{
        struct sockaddr_storage ss;
        socklen_t len = sizeof(ss);

        if (getsockname(fd, (struct sockaddr *)&ss, &len) != 0)
                return 0;
        if (ss.ss_family == AF_INET)
                return ntohs(((struct sockaddr_in *)&ss)->sin_port);
        if (ss.ss_family == AF_INET6)
                return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
        return 0;
}

/* A bound (and for TCP listening) socket. Returns the fd or -1 with err. */
static int bound_socket(const char *addr, uint16_t port, int type, char *err, size_t errlen)
{
        struct sockaddr_storage ss;
        socklen_t sslen;
        int fd, one = 1;

        if (parse_addr(addr, port, &ss, &sslen) != 0) {
                snprintf(err, errlen, "%s: not an IPv4 or IPv6 address literal",
                         addr != NULL ? addr : "(null)");
                return -1;
        }
        fd = socket(ss.ss_family, type, 0);
        if (fd < 0) {
                snprintf(err, errlen, "socket for %s: %s", addr, strerror(errno));
                return -1;
        }
        if (set_fd_flags(fd) != 0 ||
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
            (ss.ss_family == AF_INET6 &&
             setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
            (type == SOCK_STREAM && set_nodelay(fd) != 0)) {
                snprintf(err, errlen, "socket options for %s: %s", addr, strerror(errno));
                goto fail;
        }
        if (bind(fd, (struct sockaddr *)&ss, sslen) != 0) {
                snprintf(err, errlen, "bind %s port %u: %s", addr, (unsigned)port, strerror(errno));
                goto fail;
        }
        if (type == SOCK_STREAM && listen(fd, 128) != 0) {
                snprintf(err, errlen, "listen %s port %u: %s", addr, (unsigned)port,
                         strerror(errno));
                goto fail;
        }
        return fd;
fail:
        close(fd);
        return -1;
}

static int add_listener(struct net_loop *l, enum listener_kind kind, int fd, struct node *n,
                        const struct dns_zone *z, char *err, size_t errlen)
{
        if (l->nls >= NET_MAX_LISTENERS) {
                snprintf(err, errlen, "too many listeners (at most %d)", NET_MAX_LISTENERS);
                return -1;
        }
        l->ls[l->nls].kind = kind;
        l->ls[l->nls].fd = fd;
        l->ls[l->nls].node = n;
        l->ls[l->nls].zone = z;
        l->nls++;
        return 0;
}

int net_listen(struct net_loop *l, const char *addr, uint16_t port, struct node *node,
               uint16_t *bound_port, char *err, size_t errlen)
{
        int fd = bound_socket(addr, port, SOCK_STREAM, err, errlen);

        if (fd < 0)
                return -1;
        if (add_listener(l, LISTEN_NODE, fd, node, NULL, err, errlen) != 0) {
                close(fd);
                return -1;
        }
        if (bound_port != NULL)
                *bound_port = sock_port(fd);
        return 0;
}

int net_listen_router(struct net_loop *l, const char *addr, uint16_t port, net_route_fn route,
                      void *user, uint16_t *bound_port, char *err, size_t errlen)
{
        if (route == NULL) {
                snprintf(err, errlen, "a router listener needs a route function");
                return -1;
        }
        if (net_listen(l, addr, port, NULL, bound_port, err, errlen) != 0)
                return -1;
        l->ls[l->nls - 1].route = route;
        l->ls[l->nls - 1].route_user = user;
        return 0;
}

int net_listen_direct_tls(struct net_loop *l, const char *addr, uint16_t port, struct node *node,
                          uint16_t *bound_port, char *err, size_t errlen)
{
        if (net_listen(l, addr, port, node, bound_port, err, errlen) != 0)
                return -1;
        l->ls[l->nls - 1].direct_tls = true;
        return 0;
}

int net_serve_dns(struct net_loop *l, const char *addr, uint16_t port, const struct dns_zone *z,
                  uint16_t *bound, char *err, size_t errlen)
{
        int ufd = -1, tfd = -1;

        if (l->nls + 2 > NET_MAX_LISTENERS) {
                snprintf(err, errlen, "too many listeners (at most %d)", NET_MAX_LISTENERS);
                return -1;
        }
        /* Port 0: the UDP port the kernel picks may be taken for TCP; try a few. */
        for (int attempt = 0; attempt < 8 && tfd < 0; attempt++) {
                ufd = bound_socket(addr, port, SOCK_DGRAM, err, errlen);
                if (ufd < 0)
                        return -1;
                tfd = bound_socket(addr, sock_port(ufd), SOCK_STREAM, err, errlen);
                if (tfd < 0) {
                        close(ufd);
                        ufd = -1;
                        if (port != 0)
                                return -1;
                }
        }
        if (tfd < 0)
                return -1;
        add_listener(l, LISTEN_DNS_UDP, ufd, NULL, z, err, errlen);
        add_listener(l, LISTEN_DNS_TCP, tfd, NULL, z, err, errlen);
        if (bound != NULL)
                *bound = sock_port(ufd);
        return 0;
}

/* ---- connections ---- */

static struct conn *conn_add(struct net_loop *l, enum conn_kind kind)
{
        struct conn *c;

        if (l->nconns >= l->max_conns) {
                shortage(l, NET_SHORT_TABLE, "%u connections open", l->max_conns);
                return NULL;
        }
        if (l->nconns == l->capconns) {
                size_t cap = l->capconns ? l->capconns * 2 : 32;
                struct conn **nc = realloc(l->conns, cap * sizeof(*nc));

                if (nc == NULL) {
                        shortage(l, NET_SHORT_MEMORY, "the connection table cannot grow");
                        return NULL;
                }
                l->conns = nc;
                l->capconns = cap;
        }
        c = calloc(1, sizeof(*c));
        if (c == NULL) {
                shortage(l, NET_SHORT_MEMORY, "no memory for a connection");
                return NULL;
        }
        c->kind = kind;
        c->fd = -1;
        c->deadline = -1;
        buf_init(&c->in, 2 + 65535);
        buf_init(&c->out, 0);
        l->conns[l->nconns++] = c;
        return c;
}

static void conn_close_fd(struct conn *c)
{
        if (c->fd >= 0)
                close(c->fd);
        c->fd = -1;
}

/* Ends a connection at once: socket closed, stream released, lookup detached. */
static void conn_kill(struct conn *c)
{
        conn_close_fd(c);
        if (c->lk != NULL) {
                c->lk->conn = NULL;
                c->lk = NULL;
        }
        if (c->s != NULL) {
                struct stream *s = c->s;

                /* on_closed (inside release) may still ask net_stream_peer. */
                node_stream_release(s);
                c->s = NULL;
        }
        c->phase = PH_DEAD;
        c->deadline = -1;
}

static void conn_free(struct conn *c)
{
        free(c->targets);
        xs_free(c->rx);
        buf_cleanup(&c->in);
        buf_cleanup(&c->out);
        free(c);
}

/* Frees dead connections. Only between rounds: the poll set points at conns. */
static void compact(struct net_loop *l)
{
        size_t k = 0;

        for (size_t i = 0; i < l->nconns; i++) {
                if (l->conns[i]->phase == PH_DEAD)
                        conn_free(l->conns[i]);
                else
                        l->conns[k++] = l->conns[i];
        }
        l->nconns = k;
}

/*
 * The step timer (docs/timeouts.md "The step timer"): the step's time from the
 * last progress, but never past the hard cap (step_ms * step_cap_factor from the
 * step's start), and an accepted connection that has said nothing is dropped
 * after idle_ms.
 */
static int64_t step_deadline(const struct net_loop *l, const struct conn *c)
{
        unsigned ms = state_timeout(l, c->timer_state);
        unsigned factor = l->to.step_cap_factor > 1 ? l->to.step_cap_factor : 1;
        int64_t d = -1;

        if (ms > 0) {
                unsigned soft_ms = c->smart_ms > 0 ? c->smart_ms : ms;
                int64_t soft = c->last_progress + soft_ms,
                        hard = c->step_start + (int64_t)ms * factor;

                d = soft < hard ? soft : hard;
        }
        if (c->accepted && !c->heard && l->lim.idle_ms > 0) {
                int64_t idle = c->accepted_at + l->lim.idle_ms;

                if (d < 0 || idle < d)
                        d = idle;
        }
        return d;
}

/*
 * The steps whose outcome silence may decide (docs/timeouts.md "Smart silence
 * window"): the answer to our db:result, the receiving side's wait for the peer's
 * STARTTLS or authentication (which covers a dialback round trip), and the answer
 * to an unsolicited claim. The node says whether its scenario's expectation
 * allows silence (node_config.smart_silence).
 */
static bool silence_decides(enum engine_state st)
{
        return st == ST_EXPECT_DB_RESULT || st == ST_EXPECT_STARTTLS || st == ST_EXPECT_AUTH ||
               st == ST_EXPECT_CLAIM_ANSWER;
}

/* A negotiation step with a timer of its own: an answer is awaited in it (not an
 * authenticated stream, whose stanzas may be answered on another stream, nor a
 * close). */
static bool timed_step(const struct net_loop *l, enum engine_state st)
{
        return st != ST_EXPECT_CLOSE && st != ST_CLOSED && l->to.step_ms[st] > 0;
}

/* The step's smart window, 0 when the state's own timeout applies. */
static unsigned smart_window(const struct net_loop *l, const struct conn *c)
{
        unsigned ms = state_timeout(l, c->timer_state), w;

        if (!l->smart || ms == 0 || !silence_decides(c->timer_state) ||
            !node_config(node_stream_node(c->s))->smart_silence)
                return 0;
        w = smartwait_window(&l->answers, ms);
        return w < ms ? w : 0;
}

static void timer_restart(struct net_loop *l, struct conn *c, int64_t t)
{
        struct engine *e = node_stream_engine(c->s);

        c->timer_set = true;
        c->timer_state = engine_step_state(e);
        c->step_start = c->last_progress = t;
        engine_input_counts(e, &c->step_base);
        c->seen = c->step_base;
        c->smart_ms = smart_window(l, c);
        c->deadline = step_deadline(l, c);
}

/* The peer answered our last move (a new state or progress): its time counts. A
 * db:result answered needed the partner's verify round trip (smartwait.h). */
static void answer_seen(struct net_loop *l, struct conn *c, int64_t t)
{
        if (c->move_at <= 0 || !timed_step(l, c->timer_state))
                return;
        smartwait_note(&l->answers,
                       c->timer_state == ST_EXPECT_DB_RESULT ? SMARTWAIT_ROUND_TRIP
                                                             : SMARTWAIT_ON_STREAM,
                       t > c->move_at ? (unsigned)(t - c->move_at) : 0);
        c->move_at = 0;
}

/* Progress within a step: text that is not XML whitespace, or TLS handshake
 * bytes. A whitespace keepalive (RFC 6120 §4.6.1) is not progress. */
static bool made_progress(const struct engine_input_counts *before,
                          const struct engine_input_counts *now)
{
        return now->handshake > before->handshake ||
               now->text - now->space > before->text - before->space;
}

/* Bytes arrived within the step: the timer restarts only on progress. */
static void timer_bytes(struct net_loop *l, struct conn *c, int64_t t)
{
        struct engine_input_counts now;

        c->heard = true;
        if (engine_step_state(node_stream_engine(c->s)) != c->timer_state) {
                if (c->timer_set)
                        answer_seen(l, c, t);
                timer_restart(l, c, t);
                return;
        }
        engine_input_counts(node_stream_engine(c->s), &now);
        if (made_progress(&c->seen, &now)) {
                answer_seen(l, c, t);
                c->last_progress = t;
        }
        c->seen = now;
        c->deadline = step_deadline(l, c);
}

/* What trickled in during a step that timed out, for the cause; "" when the
 * peer sent nothing in it (the engine then says so itself). */
static void step_detail(const struct net_loop *l, const struct conn *c, int64_t t, char *out,
                        size_t len)
{
        struct engine_input_counts now;
        unsigned long long bytes, text, space;
        unsigned ms = state_timeout(l, c->timer_state);
        unsigned factor = l->to.step_cap_factor > 1 ? l->to.step_cap_factor : 1;
        bool capped = t >= c->step_start + (int64_t)ms * factor && factor > 1;
        double secs = (double)(t - c->step_start) / 1000.0;

        out[0] = '\0';
        engine_input_counts(node_stream_engine(c->s), &now);
        bytes = now.bytes - c->step_base.bytes;
        text = now.text - c->step_base.text;
        space = now.space - c->step_base.space;
        if (bytes == 0)
                return;
        if (text > 0 && text == space && now.handshake == c->step_base.handshake)
                snprintf(out, len,
                         "the peer trickled %llu bytes (whitespace only) over %.3g s without "
                         "completing the step%s",
                         bytes, secs, capped ? " (hard cap)" : "");
        else
                snprintf(out, len,
                         "the peer trickled %llu bytes over %.3g s without completing the step%s",
                         bytes, secs, capped ? " (hard cap)" : "");
}

/* Just before a smart window fires: the window as the run's answers now say (a
 * slower answer seen since the step began widens it). Returns whether the step
 * has time left. */
static bool smart_widened(struct net_loop *l, struct conn *c, int64_t t)
{
        unsigned w = smart_window(l, c);

        if (w == c->smart_ms)
                return false;
        c->smart_ms = w;
        c->deadline = step_deadline(l, c);
        return c->deadline > t;
}

/* A step the smart window ended says so, and with what (smartwait_describe), before
 * what trickled in: the reader judges the silence by it. */
static void smart_detail(const struct net_loop *l, const struct conn *c, int64_t t, char *out,
                         size_t len)
{
        char note[160], rest[NET_REASON_MAX];
        int64_t silent = t - c->last_progress;

        if (c->smart_ms == 0 || silent < (int64_t)c->smart_ms ||
            t >= c->step_start + (int64_t)state_timeout(l, c->timer_state))
                return;
        smartwait_describe(&l->answers, c->smart_ms, (unsigned)silent, note, sizeof(note));
        snprintf(rest, sizeof(rest), "%s", out);
        util_format(out, len, "%s%s%s", note, rest[0] ? "; " : "", rest);
}

/* The step timer follows the engine: a new state starts a new step. */
static void timer_refresh(struct net_loop *l, struct conn *c, int64_t t)
{
        if (c->kind != CONN_STREAM || c->phase != PH_OPEN || c->s == NULL)
                return;
        if (!c->timer_set || engine_step_state(node_stream_engine(c->s)) != c->timer_state)
                timer_restart(l, c, t);
}

static void append_reason(struct conn *c, const char *fmt, const char *a, const char *b)
{
        size_t used = strlen(c->tried);

        if (used + 3 >= sizeof(c->tried))
                return;
        snprintf(c->tried + used, sizeof(c->tried) - used, "%s", used > 0 ? "; " : "");
        used = strlen(c->tried);
        snprintf(c->tried + used, sizeof(c->tried) - used, fmt, a, b);
}

static void stream_failed(struct conn *c, const char *why)
{
        struct stream *s = c->s;

        conn_close_fd(c);
        c->deadline = -1;
        /* The stream is released by the next service round, once it is done. */
        c->phase = PH_OPEN;
        c->eof = true;
        node_stream_failed(s, why);
}

static void where_put(struct net_loop *l, const char *domain, const char *addr);

static void connected(struct net_loop *l, struct conn *c, int64_t t)
{
        snprintf(c->peer, sizeof(c->peer), "%s", c->trying);
        where_put(l, c->domain, c->peer);
        c->phase = PH_OPEN;
        c->timer_set = false;
        if (c->direct)
                node_stream_set_direct_tls(c->s);
        node_stream_connected(c->s);
        timer_restart(l, c, t);
}

/*
 * Outgoing connections to one address in flight (docs/cli.md --partner-connections):
 * connecting, or open and negotiating. An authenticated stream with nothing awaited
 * (EXPECT_STANZAS, no multiplexed pair pending) is idle: it holds no slot. The
 * runner bounds how many scenarios (and so idle streams) there are, and reserves
 * each its connections (runner.c conns_needed).
 */
static unsigned outgoing_to(const struct net_loop *l, const char *addr)
{
        unsigned n = 0;

        for (size_t i = 0; i < l->nconns; i++) {
                const struct conn *o = l->conns[i];

                if (o->kind != CONN_STREAM || o->targets == NULL ||
                    (o->phase != PH_CONNECTING && o->phase != PH_OPEN) ||
                    strcmp(o->phase == PH_OPEN ? o->peer : o->trying, addr) != 0)
                        continue;
                if (o->phase == PH_OPEN && o->s != NULL &&
                    engine_step_state(node_stream_engine(o->s)) == ST_EXPECT_STANZAS)
                        continue;
                n++;
        }
        return n;
}

/*
 * Whether c may connect to c->trying now: at most l->cap connections to one address
 * at once, and l->pause_ms between two connects. Otherwise c waits (PH_WAITING) and
 * service() asks again; the pause is also a timer so the loop wakes for it.
 */
static bool polite_to_connect(struct net_loop *l, struct conn *c, int64_t t)
{
        bool full = l->cap > 0 && outgoing_to(l, c->trying) >= l->cap;
        bool early = l->pause_ms > 0 && l->last_connect > 0 && t - l->last_connect < l->pause_ms;

        if (full || early) {
                c->phase = PH_WAITING;
                c->deadline = early ? l->last_connect + l->pause_ms : -1;
                return false;
        }
        l->last_connect = t;
        return true;
}

void net_set_smart_silence(struct net_loop *l, bool on)
{
        l->smart = on;
}

void net_answers(const struct net_loop *l, struct smartwait_stats *out)
{
        *out = l->answers;
}

void net_note_answer(struct net_loop *l, enum smartwait_kind kind, unsigned ms)
{
        smartwait_note(&l->answers, kind, ms);
}

void net_set_politeness(struct net_loop *l, unsigned cap, unsigned pause_ms)
{
        l->cap = cap;
        l->pause_ms = pause_ms;
}

void net_set_remember_dead(struct net_loop *l, bool on)
{
        l->remember_dead = on;
        l->ndead = 0;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
        if (a->ss_family != b->ss_family)
                return false;
        if (a->ss_family == AF_INET) {
                const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

                return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
        }
        if (a->ss_family == AF_INET6) {
                const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

                return x->sin6_port == y->sin6_port &&
                       memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr)) == 0;
        }
        return false;
}

static bool is_dead(const struct net_loop *l, const struct sockaddr_storage *ss)
{
        for (size_t i = 0; l->remember_dead && i < l->ndead; i++) {
                if (same_addr(&l->dead[i], ss))
                        return true;
        }
        return false;
}

/* RFC 6120 §3.2.1: try the next address of the next target until one connects. */
static void connect_next(struct net_loop *l, struct conn *c, int64_t t)
{
        while (c->targets != NULL && c->ti < c->targets->count) {
                const struct dns_target *tg = &c->targets->targets[c->ti];
                const struct sockaddr_storage *ss;
                char port[8];
                socklen_t len;
                int fd;

                if (tg->direct_tls &&
                    node_config(node_stream_node(c->s))->neg.tls == NEG_NOTSUPPORTED) {
                        /* XEP-0368 targets speak TLS from the first byte. */
                        snprintf(port, sizeof(port), "%u", (unsigned)tg->port);
                        append_reason(c, "%s:%s skipped (direct TLS, and our TLS is NotSupported)",
                                      tg->host, port);
                        c->ti++;
                        c->ai = 0;
                        continue;
                }
                c->direct = tg->direct_tls;
                if (c->ai >= tg->naddrs) {
                        if (tg->naddrs == 0)
                                append_reason(c, "%s: %s", tg->host,
                                              tg->note[0] ? tg->note : "no address");
                        c->ti++;
                        c->ai = 0;
                        continue;
                }
                ss = &tg->addrs[c->ai++];
                if (dns_addr_str(ss, c->trying, sizeof(c->trying)) != 0)
                        snprintf(c->trying, sizeof(c->trying), "(bad address)");
                if (is_dead(l, ss)) {
                        char ms[32];

                        /* One connect timeout per dead address and run, not one per
                         * stream (issue 12 item 3). */
                        snprintf(ms, sizeof(ms), "%u", l->to.connect_ms);
                        append_reason(c,
                                      "%s: no answer within %s ms earlier in this run (not "
                                      "tried again)",
                                      c->trying, ms);
                        continue;
                }
                if (!polite_to_connect(l, c, t)) {
                        c->ai--; /* the same address, once there is room */
                        return;
                }
                len = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
                fd = socket(ss->ss_family, SOCK_STREAM, 0);
                if (fd < 0) {
                        if (errno_shortage(errno) != NET_SHORT_NONE)
                                shortage(l, errno_shortage(errno), "a socket to %s: %s", c->trying,
                                         strerror(errno));
                        append_reason(c, "%s: %s", c->trying, strerror(errno));
                        continue;
                }
                if (set_fd_flags(fd) != 0 || set_nodelay(fd) != 0) {
                        append_reason(c, "%s: %s", c->trying, strerror(errno));
                        close(fd);
                        continue;
                }
                c->fd = fd;
                if (connect(fd, (const struct sockaddr *)ss, len) == 0) {
                        connected(l, c, t);
                        return;
                }
                if (errno == EINPROGRESS || errno == EINTR) {
                        c->phase = PH_CONNECTING;
                        c->deadline = t + l->to.connect_ms;
                        return;
                }
                append_reason(c, "%s: %s", c->trying, strerror(errno));
                conn_close_fd(c);
        }
        {
                char why[NET_REASON_MAX + DNS_HOST_MAX + 32];

                snprintf(why, sizeof(why), "cannot connect to %s: %s", c->domain,
                         c->tried[0] ? c->tried : "no target");
                stream_failed(c, why);
        }
}

/* The connect() under way finished (POLLOUT/POLLERR) or timed out. */
static void connect_done(struct net_loop *l, struct conn *c, int64_t t, bool timed_out)
{
        int soerr = 0;
        socklen_t len = sizeof(soerr);

        if (timed_out) {
                char ms[32];

                snprintf(ms, sizeof(ms), "%u", l->to.connect_ms);
                append_reason(c, "%s: no answer within %s ms", c->trying, ms);
                if (l->remember_dead && l->ndead < NET_MAX_DEAD && c->targets != NULL &&
                    c->ti < c->targets->count && c->ai > 0 &&
                    !is_dead(l, &c->targets->targets[c->ti].addrs[c->ai - 1]))
                        l->dead[l->ndead++] = c->targets->targets[c->ti].addrs[c->ai - 1];
        } else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) != 0) {
                append_reason(c, "%s: %s", c->trying, strerror(errno));
        } else if (soerr == EINPROGRESS || soerr == EALREADY) {
                return;
        } else if (soerr == 0) {
                connected(l, c, t);
                return;
        } else {
                append_reason(c, "%s: %s", c->trying, strerror(soerr));
        }
        conn_close_fd(c);
        connect_next(l, c, t);
}

/* ---- lookups ---- */

static void *lookup_main(void *arg)
{
        struct lookup *k = arg;

        if (k->override) {
                k->list->count = 1;
                k->status = dns_resolve_host(&k->rc, k->host, k->port, false, &k->list->targets[0],
                                             k->err, sizeof(k->err));
                k->list->status = k->status;
        } else {
                k->status = dns_find_targets(&k->rc, k->domain, k->list, k->err, sizeof(k->err));
        }
        atomic_store(&k->done, true);
        wake(k->wake_fd);
        return NULL;
}

static const struct target *target_for(const struct net_loop *l, const char *domain)
{
        const struct target *any = NULL;

        for (size_t i = 0; i < l->ntargets; i++) {
                if (l->targets[i].any)
                        any = &l->targets[i];
                else if (strcasecmp(l->targets[i].domain, domain) == 0)
                        return &l->targets[i];
        }
        return any;
}

static void lookup_free(struct lookup *k)
{
        if (k == NULL)
                return;
        free(k->list);
        free(k);
}

/* Starts the lookup of a queued connection. Returns 0, or -1 when it failed (the
 * stream has been failed). */
static int lookup_start(struct net_loop *l, struct conn *c)
{
        const struct target *tg = target_for(l, c->domain);
        struct lookup *k = calloc(1, sizeof(*k));

        if (k == NULL || (k->list = calloc(1, sizeof(*k->list))) == NULL) {
                lookup_free(k);
                shortage(l, NET_SHORT_MEMORY, "a DNS lookup for %s", c->domain);
                stream_failed(c, "out of memory for the DNS lookup");
                return -1;
        }
        atomic_init(&k->done, false);
        k->wake_fd = l->wake[1];
        snprintf(k->domain, sizeof(k->domain), "%s", c->domain);
        k->rc = l->rc;
        if (l->rc.server != NULL) {
                snprintf(k->server, sizeof(k->server), "%s", l->rc.server);
                k->rc.server = k->server;
        }
        if (tg != NULL) {
                k->override = true;
                snprintf(k->host, sizeof(k->host), "%s", tg->host);
                k->port = tg->port;
        }
        k->conn = c;
        if (pthread_create(&k->thread, NULL, lookup_main, k) != 0) {
                lookup_free(k);
                shortage(l, NET_SHORT_MEMORY, "no thread for a DNS lookup of %s", c->domain);
                stream_failed(c, "cannot start a DNS lookup thread");
                return -1;
        }
        l->lookups[l->nlookups++] = k;
        c->lk = k;
        c->phase = PH_RESOLVING;
        return 0;
}

/* A finished lookup: connect to what it found, or fail the stream with why. */
static void lookup_apply(struct net_loop *l, struct lookup *k, int64_t t)
{
        struct conn *c = k->conn;
        char why[NET_REASON_MAX + 3 * DNS_HOST_MAX];

        if (c == NULL)
                return;
        c->lk = NULL;
        if (k->status != DNS_FOUND_SRV && k->status != DNS_FOUND_FALLBACK) {
                if (k->override)
                        snprintf(why, sizeof(why), "target %s port %u for %s: %s (%s)", k->host,
                                 (unsigned)k->port, c->domain, k->err, dns_status_name(k->status));
                else
                        snprintf(why, sizeof(why), "DNS for %s: %s (%s)", c->domain, k->err,
                                 dns_status_name(k->status));
                stream_failed(c, why);
                return;
        }
        c->targets = k->list;
        k->list = NULL;
        c->ti = c->ai = 0;
        connect_next(l, c, t);
}

/* Joins finished lookup threads (they have set done, so the join is immediate). */
static void lookups_reap(struct net_loop *l, int64_t t, bool wait_all)
{
        size_t k = 0;

        for (size_t i = 0; i < l->nlookups; i++) {
                struct lookup *lk = l->lookups[i];

                if (!wait_all && !atomic_load(&lk->done)) {
                        l->lookups[k++] = lk;
                        continue;
                }
                /* wait_all (net_free): bounded by the resolver's own timeouts. */
                pthread_join(lk->thread, NULL);
                lookup_apply(l, lk, t);
                lookup_free(lk);
        }
        l->nlookups = wait_all ? 0 : k;
}

static int tp_connect(void *user, struct stream *s, const char *domain)
{
        struct net_loop *l = user;
        struct conn *c = conn_add(l, CONN_STREAM);

        if (c == NULL)
                return -1;
        c->s = s;
        c->phase = PH_QUEUED;
        snprintf(c->domain, sizeof(c->domain), "%s", domain);
        node_stream_set_user(s, c);
        return 0;
}

/*
 * No same_server: over sockets the streams of one address may belong to
 * different nodes (the runner's per-scenario harness nodes share a listener), so
 * nodes here open one stream per target domain and never multiplex targets
 * (XEP-0220 §2.6 makes target multiplexing optional). Sender multiplexing needs
 * no such check and still works.
 */
struct node_transport net_transport(struct net_loop *l)
{
        struct node_transport t = {.connect = tp_connect, .user = l, .same_server = NULL};

        return t;
}

static void where_put(struct net_loop *l, const char *domain, const char *addr)
{
        size_t k = l->next_where;

        for (size_t i = 0; i < l->nwhere; i++) {
                if (strcasecmp(l->where[i].domain, domain) == 0)
                        k = i;
        }
        snprintf(l->where[k].domain, sizeof(l->where[k].domain), "%s", domain);
        snprintf(l->where[k].addr, sizeof(l->where[k].addr), "%s", addr);
        if (k == l->next_where) {
                l->next_where = (l->next_where + 1) % NET_WHERE_MAX;
                if (l->nwhere < NET_WHERE_MAX)
                        l->nwhere++;
        }
}

/* The first address of domain into addr: remembered, else looked up now. */
static int where_is(struct net_loop *l, const char *domain, char *addr, size_t len)
{
        const struct target *tg = target_for(l, domain);
        struct dns_target_list *list;
        char err[256];
        int rc = -1;

        for (size_t i = 0; i < l->nwhere; i++) {
                if (strcasecmp(l->where[i].domain, domain) == 0) {
                        snprintf(addr, len, "%s", l->where[i].addr);
                        return 0;
                }
        }
        list = calloc(1, sizeof(*list));
        if (list == NULL)
                return -1;
        if (tg != NULL) {
                list->count = 1;
                list->status = dns_resolve_host(&l->rc, tg->host, tg->port, false,
                                                &list->targets[0], err, sizeof(err));
        } else {
                dns_find_targets(&l->rc, domain, list, err, sizeof(err));
        }
        for (size_t i = 0; rc != 0 && i < list->count; i++) {
                if (list->targets[i].naddrs > 0 &&
                    dns_addr_str(&list->targets[i].addrs[0], addr, len) == 0)
                        rc = 0;
        }
        free(list);
        if (rc == 0)
                where_put(l, domain, addr);
        return rc;
}

static bool tp_same_server(void *user, struct stream *s, const char *domain)
{
        struct net_loop *l = user;
        const struct conn *c = node_stream_user(s);
        char addr[NET_PEER_MAX], at[NET_PEER_MAX];

        if (c == NULL || c->accepted || c->phase == PH_DEAD || c->phase == PH_LINGER)
                return false;
        /* Connected: where it is; still on its way: where its domain is. */
        if (c->phase == PH_OPEN && c->peer[0] != '\0')
                snprintf(at, sizeof(at), "%s", c->peer);
        else if (where_is(l, c->domain, at, sizeof(at)) != 0)
                return false;
        return where_is(l, domain, addr, sizeof(addr)) == 0 && strcmp(addr, at) == 0;
}

struct node_transport net_transport_same_server(struct net_loop *l)
{
        struct node_transport t = {.connect = tp_connect, .user = l, .same_server = tp_same_server};

        return t;
}

int net_set_target(struct net_loop *l, const char *domain, const char *host, uint16_t port,
                   char *err, size_t errlen)
{
        struct target *tg = NULL;

        if (host == NULL || host[0] == '\0' || strlen(host) >= DNS_HOST_MAX || port == 0 ||
            (domain != NULL && strlen(domain) >= DNS_HOST_MAX)) {
                snprintf(err, errlen, "target: need a host (shorter than %d) and a port",
                         DNS_HOST_MAX);
                return -1;
        }
        for (size_t i = 0; i < l->ntargets; i++) {
                if ((domain == NULL && l->targets[i].any) ||
                    (domain != NULL && !l->targets[i].any &&
                     strcasecmp(l->targets[i].domain, domain) == 0))
                        tg = &l->targets[i];
        }
        if (tg == NULL) {
                if (l->ntargets >= NET_MAX_TARGETS) {
                        snprintf(err, errlen, "too many targets (at most %d)", NET_MAX_TARGETS);
                        return -1;
                }
                tg = &l->targets[l->ntargets++];
        }
        tg->any = domain == NULL;
        snprintf(tg->domain, sizeof(tg->domain), "%s", domain != NULL ? domain : "");
        snprintf(tg->host, sizeof(tg->host), "%s", host);
        tg->port = port;
        return 0;
}

void net_clear_targets(struct net_loop *l)
{
        l->ntargets = 0;
}

/* ---- moving bytes ---- */

/* Sends what the stream (or DNS client) has queued. Returns false on a write error. */
static bool flush(int fd, struct buf *out)
{
        for (unsigned i = 0; out->len > 0 && i < 1024; i++) {
                size_t n = out->len < NET_WRITE_CHUNK ? out->len : NET_WRITE_CHUNK;
                ssize_t w = send(fd, out->data, n, MSG_NOSIGNAL);

                if (w > 0) {
                        buf_consume(out, (size_t)w);
                        continue;
                }
                if (w < 0 && errno == EINTR)
                        continue;
                if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
                        return true;
                return false;
        }
        buf_trim(out); /* all sent: an idle stream keeps no output buffer */
        return true;
}

/* ---- output pacing (net_set_pacing) ---- */

void net_set_pacing(struct net_loop *l, const struct node *n, const struct net_pacing *p)
{
        l->pace_node = p != NULL ? n : NULL;
        memset(&l->pace, 0, sizeof(l->pace));
        if (p != NULL)
                l->pace = *p;
}

static bool paced(const struct net_loop *l, const struct conn *c)
{
        return l->pace_node != NULL && c->kind == CONN_STREAM && c->s != NULL &&
               node_stream_node(c->s) == l->pace_node &&
               (l->pace.drip_ms > 0 || l->pace.keepalive_ms > 0) &&
               (l->pace.roles == 0 ||
                (l->pace.roles & (1u << engine_role(node_stream_engine(c->s)))) != 0);
}

/* Writes what pacing allows at t: one byte (drip), a space (keepalive on an idle
 * stream), or everything (keepalive only, with bytes queued). Returns false on a
 * write error. */
static bool pace_write(const struct net_loop *l, struct conn *c, struct buf *out, int64_t t)
{
        static const char space = ' ';
        bool drip = l->pace.drip_ms > 0 && out->len > 0;
        ssize_t w;

        if (out->len > 0 && !drip) {
                c->pace_at = t + l->pace.keepalive_ms;
                return flush(c->fd, out);
        }
        /* Keepalives only once the stream has said something (never before a header). */
        if (c->pace_at > t || (!drip && (l->pace.keepalive_ms == 0 || c->pace_at == 0)))
                return true;
        w = send(c->fd, drip ? out->data : &space, 1, MSG_NOSIGNAL);
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return false;
        if (w == 1 && drip)
                buf_consume(out, 1);
        c->pace_at = t + (drip ? l->pace.drip_ms : l->pace.keepalive_ms);
        return true;
}

/* Sends a stream's queued bytes, paced or not. Returns false on a write error. */
static bool stream_write(const struct net_loop *l, struct conn *c, struct buf *out, int64_t t)
{
        if (paced(l, c))
                return pace_write(l, c, out, t);
        return out->len == 0 || flush(c->fd, out);
}

/* The next paced write of any stream that has one to make (a byte queued under
 * drip, or a keepalive once the stream has spoken), -1 none: an idle paced
 * stream must not make poll return at once. */
static int64_t pace_deadline(const struct net_loop *l)
{
        int64_t d = -1;

        for (size_t i = 0; i < l->nconns; i++) {
                const struct conn *c = l->conns[i];
                bool queued;

                if (c->phase != PH_OPEN || c->fd < 0 || !paced(l, c))
                        continue;
                queued = node_stream_output(c->s)->len > 0;
                if (!(queued && l->pace.drip_ms > 0) &&
                    !(!queued && l->pace.keepalive_ms > 0 && c->pace_at != 0))
                        continue;
                if (d < 0 || c->pace_at < d)
                        d = c->pace_at;
        }
        return d;
}

/* Our side is done: FIN after the last byte, then wait briefly for the peer's. */
static void stream_finish(struct net_loop *l, struct conn *c, int64_t t)
{
        struct stream *s = c->s;

        if (c->fd >= 0 && !c->eof) {
                shutdown(c->fd, SHUT_WR);
                c->phase = PH_LINGER;
                c->deadline = t + l->to.close_ms;
        } else {
                conn_close_fd(c);
                c->phase = PH_DEAD;
                c->deadline = -1;
        }
        node_stream_release(s);
        c->s = NULL;
}

/* One pass over every stream: start lookups, write, finish, restart timers. */
static void service(struct net_loop *l, int64_t t)
{
        for (size_t i = 0; i < l->nconns; i++) {
                struct conn *c = l->conns[i];
                struct buf *out;
                size_t queued;

                if (c->kind == CONN_DNS) {
                        if (c->phase == PH_OPEN && !flush(c->fd, &c->out))
                                conn_kill(c);
                        else if (c->phase == PH_OPEN && c->out.len == 0 &&
                                 (c->eof || c->answered >= NET_DNS_TCP_MAX_QUERIES))
                                conn_kill(c);
                        continue;
                }
                if (c->s == NULL)
                        continue;
                if (c->phase == PH_QUEUED) {
                        if (l->nlookups >= NET_MAX_LOOKUPS || lookup_start(l, c) == 0)
                                continue;
                }
                if (c->phase == PH_WAITING) {
                        connect_next(l, c, t);
                        continue;
                }
                if (c->phase != PH_OPEN)
                        continue;
                out = node_stream_output(c->s);
                queued = out->len;
                /* A state change no answer of the peer made (our own move, another
                 * stream's news): what we wrote before it is no longer awaited. */
                if (c->timer_set && engine_step_state(node_stream_engine(c->s)) != c->timer_state)
                        c->move_at = 0;
                if (!timed_step(l, engine_step_state(node_stream_engine(c->s))))
                        queued = 0; /* nothing we write now awaits an answer here */
                if (c->fd >= 0 && !stream_write(l, c, out, t)) {
                        /* The peer is gone: what it did not take is lost. */
                        buf_consume(out, out->len);
                        c->eof = true;
                        node_stream_peer_closed(c->s);
                } else if (c->fd >= 0 && out->len < queued && c->move_at <= 0)
                        c->move_at = t; /* our move: the peer's answer is timed from here */
                if (c->fd < 0 && out->len > 0)
                        buf_consume(out, out->len); /* never connected: nowhere to send */
                if (node_stream_done(c->s) && out->len == 0) {
                        stream_finish(l, c, t);
                        continue;
                }
                timer_refresh(l, c, t);
        }
}

/* Streams that are resolving, connecting, negotiating or closing. */
static bool any_active(const struct net_loop *l)
{
        for (size_t i = 0; i < l->nconns; i++) {
                const struct conn *c = l->conns[i];

                if (c->phase == PH_ROUTING)
                        return true;
                if (c->kind != CONN_STREAM || c->s == NULL)
                        continue;
                if (c->phase != PH_OPEN || c->deadline >= 0 || node_stream_output(c->s)->len > 0)
                        return true;
        }
        return false;
}

static void stream_read(struct net_loop *l, struct conn *c, int64_t t)
{
        char chunk[NET_READ_CHUNK];
        ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);

        if (n > 0) {
                node_stream_input(c->s, chunk, (size_t)n);
                /* Progress gives the step its time again, up to the hard cap. */
                if (c->s != NULL && c->phase == PH_OPEN)
                        timer_bytes(l, c, t);
                return;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        /* EOF or a reset: either way the peer's side is gone (RFC 6120 §4.4). */
        c->eof = true;
        node_stream_peer_closed(c->s);
}

static void linger_read(struct conn *c)
{
        char chunk[NET_READ_CHUNK];
        ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);

        if (n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)))
                return;
        conn_kill(c);
}

static void dns_udp(int fd, const struct dns_zone *z)
{
        for (int i = 0; i < NET_DATAGRAMS_PER_WAKEUP; i++) {
                uint8_t q[NET_DNS_UDP_MAX];
                struct sockaddr_storage from;
                socklen_t flen = sizeof(from);
                ssize_t n = recvfrom(fd, q, sizeof(q), 0, (struct sockaddr *)&from, &flen);
                uint8_t *reply = NULL;
                size_t rlen = 0;
                ssize_t sent;

                if (n < 0)
                        return;
                if (dnszone_answer(z, q, (size_t)n, DNSZONE_UDP, &reply, &rlen) != DNSZONE_REPLY)
                        continue;
                /* A client that cannot take the reply retries; nothing to keep. */
                sent = sendto(fd, reply, rlen, MSG_NOSIGNAL, (struct sockaddr *)&from, flen);
                (void)sent;
                free(reply);
        }
}

static void dns_tcp_read(struct conn *c, int64_t t)
{
        char chunk[NET_READ_CHUNK];
        ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        if (n <= 0) {
                c->eof = true;
                return;
        }
        c->deadline = t + NET_DNS_IDLE_MS;
        if (buf_append(&c->in, chunk, (size_t)n) != 0) {
                conn_kill(c);
                return;
        }
        while (c->answered < NET_DNS_TCP_MAX_QUERIES) {
                const uint8_t *msg;
                size_t mlen, rlen = 0;
                uint8_t *reply = NULL;
                enum dnszone_unframe u =
                    dnszone_tcp_unframe((const uint8_t *)c->in.data, c->in.len, &msg, &mlen);

                if (u == DNSZONE_FRAME_MORE)
                        return;
                if (u == DNSZONE_FRAME_BAD) {
                        c->eof = true;
                        return;
                }
                if (dnszone_answer(c->zone, msg, mlen, DNSZONE_TCP, &reply, &rlen) ==
                    DNSZONE_REPLY) {
                        if (dnszone_tcp_frame(&c->out, reply, rlen) != 0)
                                c->eof = true;
                        free(reply);
                }
                buf_consume(&c->in, 2 + mlen);
                c->answered++;
        }
}

/* A routed connection has the EXPECT_HEADER step from its accept to say whom it
 * wants (bytes do not extend it), and idle_ms to say anything at all. */
static int64_t route_deadline(const struct net_loop *l, const struct conn *c)
{
        int64_t d = c->accepted_at + state_timeout(l, ST_EXPECT_HEADER);

        if (!c->heard && l->lim.idle_ms > 0 && c->accepted_at + l->lim.idle_ms < d)
                d = c->accepted_at + l->lim.idle_ms;
        return d;
}

static enum xs_action route_header(void *user, const struct xs_event *ev)
{
        struct conn *c = user;

        if (ev->kind == XS_EV_HEADER) {
                snprintf(c->route_to, sizeof(c->route_to), "%s",
                         ev->header->to != NULL ? ev->header->to : "");
                c->route_ready = true;
        }
        return XS_PAUSE;
}

/*
 * Hands a routed connection to the node its header names (or the router's
 * default for an unknown or missing 'to'), which re-reads every byte so far
 * with its own engine.
 */
static void route_finish(struct net_loop *l, struct conn *c, int64_t t)
{
        struct listener *ls = c->router;
        struct node *n = ls->route(ls->route_user, c->route_to[0] != '\0' ? c->route_to : NULL);

        xs_free(c->rx);
        c->rx = NULL;
        c->router = NULL;
        c->s = n != NULL ? node_accept(n) : NULL;
        if (c->s == NULL) {
                conn_kill(c);
                return;
        }
        node_stream_set_user(c->s, c);
        c->phase = PH_OPEN;
        timer_restart(l, c, t);
        if (c->in.len > 0) {
                node_stream_input(c->s, c->in.data, c->in.len);
                buf_reset(&c->in);
        }
        if (c->eof && c->s != NULL)
                node_stream_peer_closed(c->s);
}

static void route_read(struct net_loop *l, struct conn *c, int64_t t)
{
        char chunk[NET_READ_CHUNK];
        ssize_t n = recv(c->fd, chunk, sizeof(chunk), 0);
        size_t used = 0;
        enum xs_status st;

        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
                return;
        if (n <= 0) {
                /* Gone before saying whom it wanted: nothing to hand to a node. */
                conn_kill(c);
                return;
        }
        c->heard = true;
        c->deadline = route_deadline(l, c);
        if (buf_append(&c->in, chunk, (size_t)n) != 0) {
                route_finish(l, c, t); /* oversized: the node's engine refuses it */
                return;
        }
        st = xs_feed(c->rx, chunk, (size_t)n, &used);
        /* A header, or XML the node's engine will refuse with the right error. */
        if (c->route_ready || st == XS_ERROR || st == XS_PAUSED)
                route_finish(l, c, t);
}

/* Why the listeners refuse a new connection, or ADMIT_OK. */
enum admit {
        ADMIT_OK = 0,
        ADMIT_SOURCE_CAP, /* its source address is at lim.per_source */
        ADMIT_TOTAL_CAP,  /* accepted connections are at the total cap */
        ADMIT_TABLE_FULL, /* the connection table is full */
};

/* Counts the accepted connections still open, in all and from src; *src_heard
 * tells whether one from src has sent anything (a real stream, maybe the
 * partner's, not only idle connections). */
static enum admit admit_check(const struct net_loop *l, const char *src, bool *src_heard)
{
        unsigned total = 0, from = 0;

        *src_heard = false;
        for (size_t i = 0; i < l->nconns; i++) {
                const struct conn *o = l->conns[i];

                if (!o->accepted || o->phase == PH_DEAD)
                        continue;
                total++;
                if (strcmp(o->src, src) == 0) {
                        from++;
                        *src_heard = *src_heard || o->heard;
                }
        }
        if (l->nconns >= l->max_conns)
                return ADMIT_TABLE_FULL;
        if (total >= accepted_cap(l))
                return ADMIT_TOTAL_CAP;
        if (l->lim.per_source > 0 && from >= l->lim.per_source)
                return ADMIT_SOURCE_CAP;
        return ADMIT_OK;
}

/*
 * Closes a connection the caps refuse, at once. A source at its own cap is a
 * stranger's flood unless it also carries streams: only then (and for the
 * total cap and the table, which refuse anyone) may a partner's connection
 * have been lost, which the harness records as its own shortage.
 */
static void admit_refuse(struct net_loop *l, int fd, enum admit why, const char *src, bool heard)
{
        close(fd);
        if (why == ADMIT_SOURCE_CAP) {
                l->pressure.refused_source++;
                if (heard)
                        shortage(l, NET_SHORT_LISTEN_CAP,
                                 "refused a connection from %s, at its cap of %u connections, "
                                 "which also carries streams",
                                 src, l->lim.per_source);
                return;
        }
        l->pressure.refused_total++;
        if (why == ADMIT_TABLE_FULL)
                shortage(l, NET_SHORT_TABLE, "%u connections open: refused one from %s",
                         l->max_conns, src);
        else
                shortage(l, NET_SHORT_LISTEN_CAP,
                         "%u accepted connections open (the total cap): refused one from %s",
                         accepted_cap(l), src);
}

/* accept() failed for want of descriptors or memory: the listener stays
 * readable, so take the connection with the spare descriptor and close it. */
static void accept_shed(struct net_loop *l, struct listener *ls, int err)
{
        enum net_shortage k = errno_shortage(err);
        int fd;

        if (k == NET_SHORT_NONE)
                return;
        shortage(l, k, "accept on a listener: %s", strerror(err));
        if (k != NET_SHORT_FDS || l->spare_fd < 0)
                return;
        close(l->spare_fd);
        fd = accept(ls->fd, NULL, NULL);
        if (fd >= 0)
                close(fd);
        l->pressure.refused_total++;
        l->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
}

static void src_str(const struct sockaddr_storage *ss, char *out, size_t len)
{
        const void *a = ss->ss_family == AF_INET6
                            ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
                            : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

        if (inet_ntop(ss->ss_family, a, out, (socklen_t)len) == NULL)
                snprintf(out, len, "?");
}

/* An admitted connection becomes a stream of the listener's node (or waits for
 * its header, with a router; or is a DNS client). Returns 0, or -1 (closed). */
static int accept_one(struct net_loop *l, struct listener *ls, int fd,
                      const struct sockaddr_storage *ss, const char *src, int64_t t)
{
        struct conn *c;

        if (set_fd_flags(fd) != 0 || set_nodelay(fd) != 0 ||
            (c = conn_add(l, ls->kind == LISTEN_NODE ? CONN_STREAM : CONN_DNS)) == NULL) {
                close(fd);
                return -1;
        }
        l->pressure.accepted++;
        c->fd = fd;
        c->phase = PH_OPEN;
        c->accepted = true;
        c->accepted_at = t;
        snprintf(c->src, sizeof(c->src), "%s", src);
        if (dns_addr_str(ss, c->peer, sizeof(c->peer)) != 0)
                c->peer[0] = '\0';
        if (ls->kind == LISTEN_DNS_TCP) {
                c->zone = ls->zone;
                c->deadline = t + NET_DNS_IDLE_MS;
                return 0;
        }
        if (ls->route != NULL) {
                /* Virtual hosting: the node is known once the header's 'to' is. */
                c->phase = PH_ROUTING;
                c->router = ls;
                c->rx = xs_new(NULL, XS_NS_SERVER, route_header, c);
                if (c->rx == NULL) {
                        conn_kill(c);
                        return -1;
                }
                c->deadline = route_deadline(l, c);
                return 0;
        }
        c->s = node_accept(ls->node);
        if (c->s == NULL) {
                /* The node's stream table is full: refuse by closing. */
                conn_kill(c);
                return -1;
        }
        node_stream_set_user(c->s, c);
        if (ls->direct_tls && node_stream_set_direct_tls(c->s) != 0) {
                conn_kill(c);
                return -1;
        }
        timer_restart(l, c, t);
        return 0;
}

static void accept_some(struct net_loop *l, struct listener *ls, int64_t t)
{
        for (int i = 0; i < NET_ACCEPTS_PER_WAKEUP; i++) {
                struct sockaddr_storage ss;
                socklen_t len = sizeof(ss);
                int fd = accept(ls->fd, (struct sockaddr *)&ss, &len);
                char src[INET6_ADDRSTRLEN];
                enum admit why;
                bool heard;

                if (fd < 0) {
                        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                                accept_shed(l, ls, errno);
                        return;
                }
                src_str(&ss, src, sizeof(src));
                why = admit_check(l, src, &heard);
                if (why != ADMIT_OK) {
                        admit_refuse(l, fd, why, src, heard);
                        continue;
                }
                accept_one(l, ls, fd, &ss, src, t);
        }
}

/* Timers that ran out, newest connection first (a verify stream before the
 * stream that waits for it, as memnet orders them). */
static void expire(struct net_loop *l, int64_t t)
{
        for (size_t i = l->nconns; i > 0; i--) {
                struct conn *c = l->conns[i - 1];

                timer_refresh(l, c, t);
                if (c->deadline < 0 || c->deadline > t)
                        continue;
                c->deadline = -1;
                switch (c->phase) {
                case PH_CONNECTING:
                        connect_done(l, c, t, true);
                        break;
                case PH_OPEN:
                        if (c->kind == CONN_DNS) {
                                conn_kill(c);
                        } else if (node_stream_done(c->s)) {
                                /* Closed, but the peer does not take our last bytes. */
                                conn_kill(c);
                        } else if (c->smart_ms > 0 && smart_widened(l, c, t)) {
                                break; /* a slower answer elsewhere gave it more time */
                        } else if (c->accepted && !c->heard) {
                                /* Said nothing at all: dropped, nobody to judge. */
                                l->pressure.dropped_idle++;
                                conn_kill(c);
                        } else {
                                char detail[NET_REASON_MAX];

                                step_detail(l, c, t, detail, sizeof(detail));
                                smart_detail(l, c, t, detail, sizeof(detail));
                                node_stream_timeout_detail(c->s, detail);
                                c->timer_set = false;
                        }
                        break;
                case PH_ROUTING: /* said no stream header in time: no node to judge it */
                        if (!c->heard)
                                l->pressure.dropped_idle++;
                        conn_kill(c);
                        break;
                case PH_LINGER:
                        conn_kill(c);
                        break;
                default:
                        break;
                }
        }
}

static int64_t next_deadline(const struct net_loop *l)
{
        int64_t d = -1;

        for (size_t i = 0; i < l->nconns; i++) {
                int64_t x = l->conns[i]->deadline;

                if (x >= 0 && (d < 0 || x < d))
                        d = x;
        }
        if (l->pace_node != NULL) {
                int64_t p = pace_deadline(l);

                if (p >= 0 && (d < 0 || p < d))
                        d = p;
        }
        return d;
}

static int poll_grow(struct net_loop *l, size_t need)
{
        struct pollfd *p;
        struct pref *r;

        if (need <= l->cappfd)
                return 0;
        p = realloc(l->pfd, need * sizeof(*p));
        if (p == NULL)
                return -1;
        l->pfd = p;
        r = realloc(l->ref, need * sizeof(*r));
        if (r == NULL)
                return -1;
        l->ref = r;
        l->cappfd = need;
        return 0;
}

/* Fills the poll set. Returns its size, or -1 on allocation failure. */
static long poll_build(struct net_loop *l)
{
        size_t n = 0;

        if (poll_grow(l, 1 + l->nls + l->nconns) != 0)
                return -1;
        l->pfd[n].fd = l->wake[0];
        l->pfd[n].events = POLLIN;
        l->ref[n].kind = REF_WAKE;
        l->ref[n++].p = NULL;
        for (size_t i = 0; i < l->nls; i++) {
                if (l->ls[i].fd < 0)
                        continue;
                l->pfd[n].fd = l->ls[i].fd;
                l->pfd[n].events = POLLIN;
                l->ref[n].kind = REF_LISTENER;
                l->ref[n++].p = &l->ls[i];
        }
        for (size_t i = 0; i < l->nconns; i++) {
                struct conn *c = l->conns[i];
                short ev = 0;

                if (c->fd < 0)
                        continue;
                if (c->phase == PH_CONNECTING) {
                        ev = POLLOUT;
                } else if (c->phase == PH_ROUTING) {
                        ev = POLLIN;
                } else if (c->phase == PH_OPEN || c->phase == PH_LINGER) {
                        /* After the peer's FIN, POLLIN would fire on every round. */
                        ev = c->eof ? 0 : POLLIN;
                        if ((c->kind == CONN_DNS && c->out.len > 0) ||
                            (c->s != NULL && node_stream_output(c->s)->len > 0 &&
                             !(paced(l, c) && l->pace.drip_ms > 0)))
                                ev |= POLLOUT; /* a drip wakes by its deadline */
                }
                if (ev == 0)
                        continue;
                l->pfd[n].fd = c->fd;
                l->pfd[n].events = ev;
                l->ref[n].kind = REF_CONN;
                l->ref[n++].p = c;
        }
        return (long)n;
}

static void handle(struct net_loop *l, size_t n, int64_t t)
{
        for (size_t i = 0; i < n; i++) {
                short re = l->pfd[i].revents;
                struct conn *c;

                if (re == 0)
                        continue;
                if (l->ref[i].kind == REF_WAKE) {
                        char drain[64];

                        while (read(l->wake[0], drain, sizeof(drain)) > 0)
                                ;
                        lookups_reap(l, t, false);
                        continue;
                }
                if (l->ref[i].kind == REF_LISTENER) {
                        struct listener *ls = l->ref[i].p;

                        if (ls->fd < 0)
                                continue;
                        if (ls->kind == LISTEN_DNS_UDP)
                                dns_udp(ls->fd, ls->zone);
                        else
                                accept_some(l, ls, t);
                        continue;
                }
                c = l->ref[i].p;
                if (c->fd != l->pfd[i].fd || c->phase == PH_DEAD)
                        continue; /* closed earlier in this round */
                switch (c->phase) {
                case PH_CONNECTING:
                        connect_done(l, c, t, false);
                        break;
                case PH_OPEN:
                        if (c->kind == CONN_DNS) {
                                if (re & (POLLIN | POLLHUP | POLLERR))
                                        dns_tcp_read(c, t);
                        } else if (c->s != NULL && !c->eof && (re & (POLLIN | POLLHUP | POLLERR))) {
                                stream_read(l, c, t);
                        }
                        break;
                case PH_ROUTING:
                        route_read(l, c, t);
                        break;
                case PH_LINGER:
                        linger_read(c);
                        break;
                default:
                        break;
                }
        }
}

/* net_run, or with stay (net_run_wait) a loop that sleeps in poll when nothing is
 * active instead of returning NET_RUN_IDLE. */
static int run_loop(struct net_loop *l, unsigned max_ms, bool (*until)(void *user), void *user,
                    bool stay)
{
        int64_t end = now_ms() + max_ms;

        for (;;) {
                int64_t t = now_ms(), d;
                long n;
                int wait, rc;
                bool active;

                if (atomic_exchange(&l->interrupted, 0))
                        return NET_RUN_INTERRUPTED;
                service(l, t);
                compact(l);
                if (until != NULL && until(user))
                        return NET_RUN_UNTIL;
                if (t >= end)
                        return NET_RUN_MAX_TIME;
                active = any_active(l);
                d = next_deadline(l);
                wait = NET_MAX_WAIT_MS;
                if (end - t < wait)
                        wait = (int)(end - t);
                if (d >= 0 && d - t < wait)
                        wait = d > t ? (int)(d - t) : 0;
                /* Nothing active: one look (no wait) for bytes or connections already
                 * queued in the kernel, e.g. a ping our other node has not read yet. */
                if (!active && !stay)
                        wait = 0;
                n = poll_build(l);
                if (n < 0)
                        return NET_RUN_ERROR;
                l->pressure.polls++;
                if (wait == 0)
                        l->pressure.polls_nowait++;
                rc = poll(l->pfd, (nfds_t)n, wait);
                if (rc < 0) {
                        if (errno == EINTR)
                                continue;
                        return NET_RUN_ERROR;
                }
                t = now_ms();
                if (rc == 0 && !stay && !active && !any_active(l))
                        return NET_RUN_IDLE;
                handle(l, (size_t)n, t);
                expire(l, t);
        }
}

int net_run(struct net_loop *l, unsigned max_ms, bool (*until)(void *user), void *user)
{
        return run_loop(l, max_ms, until, user, false);
}

int net_run_wait(struct net_loop *l, unsigned max_ms, bool (*until)(void *user), void *user)
{
        return run_loop(l, max_ms, until, user, true);
}

void net_interrupt(struct net_loop *l)
{
        int saved = errno;

        atomic_store(&l->interrupted, 1);
        if (l->wake[1] >= 0)
                wake(l->wake[1]);
        errno = saved;
}

void net_close_all(struct net_loop *l)
{
        for (size_t i = 0; i < l->nconns; i++) {
                struct conn *c = l->conns[i];
                enum engine_state st;

                if (c->kind != CONN_STREAM || c->s == NULL)
                        continue;
                if (c->phase != PH_OPEN) {
                        if (c->lk != NULL) {
                                c->lk->conn = NULL;
                                c->lk = NULL;
                        }
                        stream_failed(c, "closed before the connection was up");
                        continue;
                }
                st = engine_state(node_stream_engine(c->s));
                if (st != ST_CLOSED && st != ST_EXPECT_CLOSE && c->fd >= 0)
                        engine_close(node_stream_engine(c->s));
        }
}

void net_forget_node(struct net_loop *l, struct node *n)
{
        for (size_t i = 0; i < l->nconns; i++) {
                struct conn *c = l->conns[i];

                if (c->s != NULL && node_stream_node(c->s) == n)
                        conn_kill(c);
        }
        for (size_t i = 0; i < l->nls; i++) {
                if (l->ls[i].kind == LISTEN_NODE && l->ls[i].node == n && l->ls[i].fd >= 0) {
                        close(l->ls[i].fd);
                        l->ls[i].fd = -1;
                }
        }
}

void net_forget_zone(struct net_loop *l, const struct dns_zone *z)
{
        for (size_t i = 0; i < l->nconns; i++) {
                if (l->conns[i]->kind == CONN_DNS && l->conns[i]->zone == z)
                        conn_kill(l->conns[i]);
        }
        for (size_t i = 0; i < l->nls; i++) {
                if (l->ls[i].kind != LISTEN_NODE && l->ls[i].zone == z && l->ls[i].fd >= 0) {
                        close(l->ls[i].fd);
                        l->ls[i].fd = -1;
                }
        }
}

void net_free(struct net_loop *l)
{
        if (l == NULL)
                return;
        for (size_t i = 0; i < l->nconns; i++)
                conn_kill(l->conns[i]);
        lookups_reap(l, now_ms(), true);
        compact(l);
        free(l->conns);
        for (size_t i = 0; i < l->nls; i++) {
                if (l->ls[i].fd >= 0)
                        close(l->ls[i].fd);
        }
        if (l->wake[0] >= 0)
                close(l->wake[0]);
        if (l->wake[1] >= 0)
                close(l->wake[1]);
        if (l->spare_fd >= 0)
                close(l->spare_fd);
        free(l->pfd);
        free(l->ref);
        free(l);
}

const char *net_stream_peer(const struct stream *s)
{
        const struct conn *c = node_stream_user(s);

        return c != NULL ? c->peer : "";
}
