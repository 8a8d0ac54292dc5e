/*
 * Nodes over real sockets (net.c): loopback TCP on 127.0.0.1 and ::1, real TLS
 * with the generated certificates, the harness's DNS zone served in the same
 * loop and queried with ldns, real timeouts measured with the monotonic clock.
 *
 * Every test has the same criterion .timeout: with mixed values criterion 2.4.1's
 * runner leaks 48 bytes (LeakSanitizer report in the ASan build, which ctest fails).
 */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "dns.h"
#include "dnszone.h"
#include "net.h"
#include "node.h"
#include "oracle.h"
#include "testcreds.h"
#include "tls.h"

#define HARNESS "harness.test"
#define PARTNER "partner.test"
#define MAX_RECS 256

/* What a stream ended with, copied when its result became final. */
struct rec {
        char node[16];
        enum engine_role role;
        enum engine_purpose purpose;
        char remote[256];
        struct engine_result res;
        char failure[256];
        char peer[NET_PEER_MAX];
        int64_t at_ms;
};

struct world {
        struct net_loop *l;
        struct tls_creds *hcreds, *pcreds;
        struct node *nodes[4];
        size_t nnodes;
        struct buf trace;
        int pongs;
        int closed;
        int bad;                  /* violations or errors between conforming servers */
        enum db_answer db_answer; /* for the next make_node */
        struct rec recs[MAX_RECS];
        size_t nrecs;
};

static int64_t mono_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_trace(void *user, struct stream *s, const struct trace_entry *t)
{
        struct world *w = user;

        if (w->trace.len > 400000)
                return;
        buf_printf(&w->trace, "%-22s %-7s %.*s\n", node_stream_label(s),
                   engine_trace_kind_name(t->kind), (int)(t->len > 300 ? 300 : t->len), t->text);
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

static void on_result(void *user, struct stream *s)
{
        struct world *w = user;
        struct engine *e = node_stream_engine(s);
        struct rec *r;

        if (w->nrecs >= MAX_RECS)
                return;
        r = &w->recs[w->nrecs++];
        snprintf(r->node, sizeof(r->node), "%s", node_config(node_stream_node(s))->name);
        r->role = engine_role(e);
        r->purpose = node_stream_purpose(s);
        snprintf(r->remote, sizeof(r->remote), "%s", node_stream_remote(s));
        r->res = *engine_result(e);
        snprintf(r->failure, sizeof(r->failure), "%s", node_stream_failure(s));
        snprintf(r->peer, sizeof(r->peer), "%s", net_stream_peer(s));
        r->at_ms = mono_ms();
}

static void on_closed(void *user, struct stream *s)
{
        struct world *w = user;
        size_t nf;
        const struct finding *f = engine_findings(node_stream_engine(s), &nf);

        w->closed++;
        for (size_t i = 0; i < nf; i++) {
                if (f[i].kind != FINDING_NOTE) {
                        w->bad++;
                        buf_printf(&w->trace, "BAD %s [%s]: %s\n", node_stream_label(s), f[i].rule,
                                   f[i].text);
                }
        }
}

static struct tls_creds *creds(const char *name)
{
        return test_creds(name, NULL);
}

static void world_init(struct world *w)
{
        char err[256];

        memset(w, 0, sizeof(*w));
        buf_init(&w->trace, 0);
        w->l = net_new(err, sizeof(err));
        cr_assert_not_null(w->l, "net_new: %s", err);
        w->hcreds = creds(HARNESS);
        w->pcreds = creds(PARTNER);
}

static void world_free(struct world *w)
{
        net_free(w->l);
        for (size_t i = 0; i < w->nnodes; i++)
                node_free(w->nodes[i]);
        tls_creds_free(w->hcreds);
        tls_creds_free(w->pcreds);
        buf_cleanup(&w->trace);
}

static struct node *make_node(struct world *w, const char *name, const char *const *domains,
                              size_t n, const struct neg_settings *neg, struct tls_creds *c)
{
        struct node_config cfg;
        struct node_transport t = net_transport(w->l);
        struct node_observer obs = {on_stanza, on_result, on_closed, w, NULL};
        char err[256];
        struct node *nd;

        memset(&cfg, 0, sizeof(cfg));
        cfg.name = name;
        for (size_t i = 0; i < n; i++)
                cfg.hosted[i] = domains[i];
        cfg.n_hosted = n;
        cfg.neg = *neg;
        cfg.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&cfg.knobs);
        cfg.creds = c;
        cfg.db_answer = w->db_answer;
        xs_limits_default(&cfg.limits);
        cfg.trace = on_trace;
        cfg.trace_user = w;
        cfg.answer_pings = true;
        nd = node_new(&cfg, &t, &obs, err, sizeof(err));
        cr_assert_not_null(nd, "node %s: %s", name, err);
        w->nodes[w->nnodes++] = nd;
        return nd;
}

static struct node *make_node1(struct world *w, const char *name, const char *domain,
                               const struct neg_settings *neg, struct tls_creds *c)
{
        const char *d[1] = {domain};

        return make_node(w, name, d, 1, neg, c);
}

static uint16_t listen_on(struct world *w, const char *addr, struct node *n)
{
        char err[256];
        uint16_t port = 0;

        cr_assert_eq(net_listen(w->l, addr, 0, n, &port, err, sizeof(err)), 0, "listen: %s", err);
        cr_assert_neq(port, 0);
        return port;
}

static void target(struct world *w, const char *domain, const char *host, uint16_t port)
{
        char err[256];

        cr_assert_eq(net_set_target(w->l, domain, host, port, err, sizeof(err)), 0, "%s", err);
}

/* The first record of node/role/purpose (optionally for one remote domain). */
static const struct rec *find_rec(const struct world *w, const char *node, enum engine_role role,
                                  enum engine_purpose purpose, const char *remote)
{
        for (size_t i = 0; i < w->nrecs; i++) {
                const struct rec *r = &w->recs[i];

                if (strcmp(r->node, node) == 0 && r->role == role && r->purpose == purpose &&
                    (remote == NULL || strcmp(r->remote, remote) == 0))
                        return r;
        }
        return NULL;
}

static size_t count_recs(const struct world *w, const char *node, enum engine_role role,
                         enum engine_purpose purpose)
{
        size_t k = 0;

        for (size_t i = 0; i < w->nrecs; i++) {
                if (strcmp(w->recs[i].node, node) == 0 && w->recs[i].role == role &&
                    w->recs[i].purpose == purpose)
                        k++;
        }
        return k;
}

static bool pongs_1(void *user)
{
        return ((struct world *)user)->pongs >= 1;
}

static bool pongs_20(void *user)
{
        return ((struct world *)user)->pongs >= 20;
}

static bool harness_out_final(void *user)
{
        const struct world *w = user;

        return find_rec(w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, NULL) != NULL;
}

/* Closes every stream politely and checks that all of them went away. */
static void close_and_drain(struct world *w)
{
        int rc;
        size_t left = 0;

        net_close_all(w->l);
        rc = net_run(w->l, 5000, NULL, NULL);
        cr_assert_eq(rc, NET_RUN_IDLE, "close: net_run returned %d\n%s", rc, w->trace.data);
        for (size_t i = 0; i < w->nnodes; i++) {
                struct stream *all[NODE_MAX_STREAMS];

                left += node_streams(w->nodes[i], all, NODE_MAX_STREAMS);
        }
        cr_expect_eq(left, 0, "%zu streams still open after close\n%s", left, w->trace.data);
        cr_expect_eq(w->bad, 0, "violations or errors between conforming servers\n%s",
                     w->trace.data);
        /* S2S_TRACE_NET=1 prints the wire traces of the tests that close this way. */
        if (getenv("S2S_TRACE_NET") != NULL)
                fprintf(stderr, "%s", w->trace.data);
}

static void settings(struct neg_settings *s, enum neg tls, enum neg sasl, bool db)
{
        s->tls = tls;
        s->sasl = sasl;
        s->dialback = db;
}

/* Harness pings partner over loopback sockets, both listening on 127.0.0.1:0. */
static void ping_over_targets(const struct neg_settings *ns, enum outcome want)
{
        struct world w;
        struct node *h, *p;
        uint16_t hport, pport;
        const struct rec *r;
        char why[512], peer[64];
        int rc;

        world_init(&w);
        cr_assert_eq(oracle_expect(ns, SEMANTICS_MATRIX, ns, DIR_OUTBOUND, why, sizeof(why)), want);
        h = make_node1(&w, "harness", HARNESS, ns, w.hcreds);
        p = make_node1(&w, "partner", PARTNER, ns, w.pcreds);
        hport = listen_on(&w, "127.0.0.1", h);
        pport = listen_on(&w, "127.0.0.1", p);
        target(&w, PARTNER, "127.0.0.1", pport);
        target(&w, HARNESS, "127.0.0.1", hport);

        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-1"));
        rc = net_run(w.l, 10000, pongs_1, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);

        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r, "no result for the harness's outbound stream\n%s", w.trace.data);
        cr_expect_eq(r->res.outcomes, OUTCOME_BIT(want), "outcomes %#x, want %s: %s\n%s",
                     r->res.outcomes, outcome_name(want), r->res.cause, w.trace.data);
        snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)pport);
        cr_expect_str_eq(r->peer, peer);
        /* The partner's receiving stream saw the harness come from loopback. */
        r = find_rec(&w, "partner", ENGINE_RECEIVING, PURPOSE_AUTH, NULL);
        cr_assert_not_null(r);
        cr_expect_eq(strncmp(r->peer, "127.0.0.1:", 10), 0, "accepted peer %s", r->peer);
        if (want != OUTCOME_S) {
                /* Dialback: the partner verified with the harness over its own socket. */
                r = find_rec(&w, "partner", ENGINE_INITIATING, PURPOSE_VERIFY, HARNESS);
                cr_assert_not_null(r, "no verify stream\n%s", w.trace.data);
                snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)hport);
                cr_expect_str_eq(r->peer, peer);
        }
        close_and_drain(&w);
        world_free(&w);
}

Test(net, ping_sasl_external_S, .timeout = 30)
{
        struct neg_settings s;

        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        ping_over_targets(&s, OUTCOME_S);
}

Test(net, ping_dialback_tls_Dt, .timeout = 30)
{
        struct neg_settings s;

        settings(&s, NEG_REQUIRED, NEG_NOTSUPPORTED, true);
        ping_over_targets(&s, OUTCOME_DT);
}

Test(net, ping_dialback_plain_Dp, .timeout = 30)
{
        struct neg_settings s;

        settings(&s, NEG_NOTSUPPORTED, NEG_NOTSUPPORTED, true);
        ping_over_targets(&s, OUTCOME_DP);
}

static struct dns_zone *zone_new(const char *apex, const char *addr, uint16_t port)
{
        struct dnszone_config zc = {0};
        struct dns_zone *z;
        char err[256];

        zc.apex = apex;
        zc.addrs[0] = addr;
        zc.naddrs = 1;
        zc.port = port;
        z = dnszone_new(&zc, err, sizeof(err));
        cr_assert_not_null(z, "zone: %s", err);
        return z;
}

static void use_dns(struct world *w, const char *addr, uint16_t port, bool tcp)
{
        struct dns_resolver_config rc = {0};

        rc.server = addr;
        rc.port = port;
        rc.timeout_ms = 1000;
        rc.retries = 1;
        rc.tcp = tcp;
        net_set_resolver(w->l, &rc);
}

/*
 * No target overrides: each domain is found through SRV in a zone served by the same
 * loop. The partner's SRV points at a host with only an A record (no fallback could
 * find it), on the partner's port. Dialback, so the verify streams resolve too.
 */
static void ping_over_dns(bool tcp)
{
        struct world w;
        struct neg_settings s;
        struct node *h, *p;
        struct dns_zone *z;
        uint16_t hport, pport, dport;
        const struct rec *r;
        char err[256], peer[64];
        int rc;

        world_init(&w);
        settings(&s, NEG_REQUIRED, NEG_NOTSUPPORTED, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        p = make_node1(&w, "partner", PARTNER, &s, w.pcreds);
        hport = listen_on(&w, "127.0.0.1", h);
        pport = listen_on(&w, "127.0.0.1", p);
        z = zone_new(HARNESS, "127.0.0.1", hport);
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp." PARTNER, 0, 0, pport, "xmpp." PARTNER),
                     0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp." PARTNER, "127.0.0.1"), 0);
        cr_assert_eq(net_serve_dns(w.l, "127.0.0.1", 0, z, &dport, err, sizeof(err)), 0, "%s", err);
        use_dns(&w, "127.0.0.1", dport, tcp);

        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-dns"));
        rc = net_run(w.l, 15000, pongs_1, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        cr_expect_eq(r->res.outcomes, OUTCOME_BIT(OUTCOME_DT), "%s\n%s", r->res.cause,
                     w.trace.data);
        snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)pport);
        cr_expect_str_eq(r->peer, peer);
        r = find_rec(&w, "partner", ENGINE_INITIATING, PURPOSE_VERIFY, HARNESS);
        cr_assert_not_null(r);
        snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)hport);
        cr_expect_str_eq(r->peer, peer);
        close_and_drain(&w);
        world_free(&w);
        dnszone_free(z);
}

Test(net, ping_via_srv_udp, .timeout = 30)
{
        ping_over_dns(false);
}

Test(net, ping_via_srv_tcp, .timeout = 30)
{
        ping_over_dns(true);
}

/* IPv6: both listeners on ::1, found through SRV + AAAA from a zone served on ::1. */
Test(net, ipv6_via_aaaa, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h, *p;
        struct dns_zone *z;
        uint16_t hport, pport, dport;
        const struct rec *r;
        char err[256], peer[64];
        int rc;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        p = make_node1(&w, "partner", PARTNER, &s, w.pcreds);
        hport = listen_on(&w, "::1", h);
        pport = listen_on(&w, "::1", p);
        z = zone_new(HARNESS, "::1", hport);
        cr_assert_eq(
            dnszone_add_srv(z, "_xmpp-server._tcp." PARTNER, 0, 0, pport, "xmpp6." PARTNER), 0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp6." PARTNER, "::1"), 0);
        cr_assert_eq(net_serve_dns(w.l, "::1", 0, z, &dport, err, sizeof(err)), 0, "%s", err);
        use_dns(&w, "::1", dport, false);

        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-v6"));
        rc = net_run(w.l, 15000, pongs_1, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        cr_expect_eq(r->res.outcomes, OUTCOME_BIT(OUTCOME_S), "%s", r->res.cause);
        snprintf(peer, sizeof(peer), "[::1]:%u", (unsigned)pport);
        cr_expect_str_eq(r->peer, peer);
        r = find_rec(&w, "partner", ENGINE_RECEIVING, PURPOSE_AUTH, NULL);
        cr_assert_not_null(r);
        cr_expect_eq(strncmp(r->peer, "[::1]:", 6), 0, "accepted peer %s", r->peer);
        close_and_drain(&w);
        world_free(&w);
        dnszone_free(z);
}

/* A port nobody listens on: bind one, note it, close it. */
static uint16_t closed_port(int family)
{
        struct sockaddr_storage ss;
        socklen_t len;
        int fd = socket(family, SOCK_STREAM, 0);
        uint16_t port;

        cr_assert_geq(fd, 0);
        memset(&ss, 0, sizeof(ss));
        if (family == AF_INET) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

                s4->sin_family = AF_INET;
                s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                len = sizeof(*s4);
        } else {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

                s6->sin6_family = AF_INET6;
                s6->sin6_addr = in6addr_loopback;
                len = sizeof(*s6);
        }
        cr_assert_eq(bind(fd, (struct sockaddr *)&ss, len), 0);
        len = sizeof(ss);
        cr_assert_eq(getsockname(fd, (struct sockaddr *)&ss, &len), 0);
        port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                       : ((struct sockaddr_in6 *)&ss)->sin6_port);
        close(fd);
        return port;
}

/* A raw listener on 127.0.0.1 (any port, written to *port) with the given backlog
 * that never accepts by itself. */
static int raw_listener(uint16_t *port, int backlog)
{
        struct sockaddr_in sa;
        socklen_t len = sizeof(sa);
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        cr_assert_geq(fd, 0);
        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
        cr_assert_eq(listen(fd, backlog), 0);
        cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
        *port = ntohs(sa.sin_port);
        return fd;
}

/* A raw listener that accepts TCP (in the kernel backlog) and never says a word. */
static int silent_listener(uint16_t *port)
{
        return raw_listener(port, 8);
}

Test(net, silent_partner_times_out_in_expect_header, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct net_timeouts to;
        struct node *h;
        uint16_t port;
        int lfd, cfd, rc;
        int64_t t0, took;
        const struct rec *r;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        net_timeouts_default(&to);
        to.step_ms[ST_EXPECT_HEADER] = 300;
        net_set_timeouts(w.l, &to);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        lfd = silent_listener(&port);
        target(&w, PARTNER, "127.0.0.1", port);

        t0 = mono_ms();
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-silent"));
        rc = net_run(w.l, 10000, harness_out_final, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        took = r->at_ms - t0;
        cr_expect(strstr(r->res.cause, "timeout while EXPECT_HEADER") != NULL, "cause: %s",
                  r->res.cause);
        cr_expect(r->res.peer_silent);
        cr_expect(took >= 290 && took < 1000, "timed out after %lld ms, want about 300",
                  (long long)took);
        /* It really connected (the kernel accepted it) and says where. */
        cr_expect_eq(strncmp(r->peer, "127.0.0.1:", 10), 0, "peer %s", r->peer);
        cfd = accept(lfd, NULL, NULL);
        cr_expect_geq(cfd, 0, "the harness never connected");
        /* The stream is closed without waiting for the silent peer beyond close_ms. */
        rc = net_run(w.l, 5000, NULL, NULL);
        cr_expect_eq(rc, NET_RUN_IDLE);
        cr_expect_eq(w.closed, 1);
        if (cfd >= 0)
                close(cfd);
        close(lfd);
        world_free(&w);
}

Test(net, connection_refused_names_the_address, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h;
        uint16_t port = closed_port(AF_INET);
        char want[64];
        int64_t t0, took;
        const struct rec *r;
        int rc;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        target(&w, PARTNER, "127.0.0.1", port);
        t0 = mono_ms();
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-refused"));
        rc = net_run(w.l, 10000, NULL, NULL);
        took = mono_ms() - t0;
        cr_assert_eq(rc, NET_RUN_IDLE, "net_run returned %d", rc);
        cr_expect(took < 1000, "took %lld ms", (long long)took);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        snprintf(want, sizeof(want), "127.0.0.1:%u", (unsigned)port);
        cr_expect(strstr(r->failure, want) != NULL, "failure: %s", r->failure);
        cr_expect(strstr(r->failure, "refused") != NULL, "failure: %s", r->failure);
        cr_expect_str_eq(r->peer, "");
        cr_expect(!r->res.authenticated);
        cr_expect_eq(w.closed, 1);
        world_free(&w);
}

/* RFC 6120 §3.2.1: the first SRV target refuses, the second one is used. */
Test(net, next_srv_target_after_refusal, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h, *p;
        struct dns_zone *z;
        uint16_t hport, pport, dport, dead = closed_port(AF_INET6);
        const struct rec *r;
        char err[256], peer[64];
        int rc;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        p = make_node1(&w, "partner", PARTNER, &s, w.pcreds);
        hport = listen_on(&w, "127.0.0.1", h);
        pport = listen_on(&w, "127.0.0.1", p);
        z = zone_new(HARNESS, "127.0.0.1", hport);
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp." PARTNER, 0, 0, dead, "a." PARTNER), 0);
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp." PARTNER, 1, 0, pport, "b." PARTNER),
                     0);
        cr_assert_eq(dnszone_add_addr(z, "a." PARTNER, "::1"), 0);
        cr_assert_eq(dnszone_add_addr(z, "b." PARTNER, "127.0.0.1"), 0);
        cr_assert_eq(net_serve_dns(w.l, "127.0.0.1", 0, z, &dport, err, sizeof(err)), 0, "%s", err);
        use_dns(&w, "127.0.0.1", dport, false);
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-next"));
        rc = net_run(w.l, 15000, pongs_1, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        cr_expect_eq(r->res.outcomes, OUTCOME_BIT(OUTCOME_S), "%s", r->res.cause);
        snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)pport);
        cr_expect_str_eq(r->peer, peer);
        close_and_drain(&w);
        world_free(&w);
        dnszone_free(z);
}

Test(net, dns_no_service_fails_without_connecting, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h;
        struct dns_zone *z;
        uint16_t dport;
        const struct rec *r;
        char err[256];
        int rc;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        z = zone_new(HARNESS, "127.0.0.1", 5269);
        cr_assert_eq(dnszone_add_nosrv(z, "_xmpp-server._tcp." PARTNER), 0);
        cr_assert_eq(net_serve_dns(w.l, "127.0.0.1", 0, z, &dport, err, sizeof(err)), 0, "%s", err);
        use_dns(&w, "127.0.0.1", dport, false);
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-nosrv"));
        rc = net_run(w.l, 10000, NULL, NULL);
        cr_assert_eq(rc, NET_RUN_IDLE, "net_run returned %d", rc);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        cr_expect(strstr(r->failure, "NO_SERVICE") != NULL, "failure: %s", r->failure);
        cr_expect_str_eq(r->peer, "");
        world_free(&w);
        dnszone_free(z);
}

/*
 * Timers of dependent streams: the harness (authoritative for harness.test) never
 * answers <db:verify/>, so the partner's verify stream times out in
 * EXPECT_VERIFY_ANSWER (300 ms here) and the partner answers the harness's
 * <db:result/> with an error, well before the harness's own EXPECT_DB_RESULT timer.
 */
Test(net, unanswered_verify_times_out_first, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct net_timeouts to;
        struct node *h, *p;
        uint16_t hport, pport;
        const struct rec *rv, *rh;
        int64_t t0;
        int rc;

        world_init(&w);
        settings(&s, NEG_NOTSUPPORTED, NEG_NOTSUPPORTED, true);
        net_timeouts_default(&to);
        to.step_ms[ST_EXPECT_VERIFY_ANSWER] = 300;
        to.step_ms[ST_EXPECT_DB_RESULT] = 3000;
        net_set_timeouts(w.l, &to);
        /* The harness as an authoritative server that never answers. */
        w.db_answer = DB_ANSWER_NONE;
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        w.db_answer = DB_ANSWER_TRUTHFUL;
        p = make_node1(&w, "partner", PARTNER, &s, w.pcreds);
        hport = listen_on(&w, "127.0.0.1", h);
        pport = listen_on(&w, "127.0.0.1", p);
        target(&w, PARTNER, "127.0.0.1", pport);
        target(&w, HARNESS, "127.0.0.1", hport);
        t0 = mono_ms();
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-noverify"));
        rc = net_run(w.l, 10000, harness_out_final, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        rv = find_rec(&w, "partner", ENGINE_INITIATING, PURPOSE_VERIFY, HARNESS);
        rh = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(rv, "no verify result\n%s", w.trace.data);
        cr_assert_not_null(rh);
        cr_expect(strstr(rv->res.cause, "timeout") != NULL, "verify: %s", rv->res.cause);
        cr_expect(!rh->res.authenticated);
        cr_expect(strstr(rh->res.cause, "timeout") == NULL, "harness: %s\n%s", rh->res.cause,
                  w.trace.data);
        cr_expect(rv->at_ms - t0 >= 290 && rh->at_ms - t0 < 2000, "verify %lld ms, result %lld ms",
                  (long long)(rv->at_ms - t0), (long long)(rh->at_ms - t0));
        close_and_drain(&w);
        world_free(&w);
}

static struct net_loop *sig_loop;

static void on_signal(int sig)
{
        (void)sig;
        net_interrupt(sig_loop);
}

struct poke {
        struct net_loop *l;
        pthread_t target;
        bool by_signal;
};

static void *poker(void *arg)
{
        struct poke *p = arg;
        struct timespec ts = {0, 100 * 1000 * 1000};

        nanosleep(&ts, NULL);
        if (p->by_signal)
                pthread_kill(p->target, SIGUSR1);
        else
                net_interrupt(p->l);
        return NULL;
}

/* A stream that waits (silent peer, long timeouts) keeps net_run busy; an interrupt
 * from another thread or a signal handler ends it promptly. */
static void interrupt_case(bool by_signal)
{
        struct world w;
        struct neg_settings s;
        struct node *h;
        struct poke pk;
        pthread_t th;
        uint16_t port;
        int lfd, rc;
        int64_t t0, took;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        lfd = silent_listener(&port);
        target(&w, PARTNER, "127.0.0.1", port);
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-int"));
        if (by_signal) {
                struct sigaction sa;

                memset(&sa, 0, sizeof(sa));
                sa.sa_handler = on_signal;
                sigemptyset(&sa.sa_mask);
                sig_loop = w.l;
                cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
        }
        pk.l = w.l;
        pk.target = pthread_self();
        pk.by_signal = by_signal;
        t0 = mono_ms();
        cr_assert_eq(pthread_create(&th, NULL, poker, &pk), 0);
        rc = net_run(w.l, 20000, NULL, NULL);
        took = mono_ms() - t0;
        pthread_join(th, NULL);
        cr_expect_eq(rc, NET_RUN_INTERRUPTED, "net_run returned %d", rc);
        cr_expect(took >= 90 && took < 600, "interrupted after %lld ms", (long long)took);
        /* The flag is consumed: the next run goes on until its own limit. */
        rc = net_run(w.l, 150, NULL, NULL);
        cr_expect_eq(rc, NET_RUN_MAX_TIME, "second net_run returned %d", rc);
        close(lfd);
        world_free(&w);
}

Test(net, interrupt_from_thread, .timeout = 30)
{
        interrupt_case(false);
}

Test(net, interrupt_from_signal_handler, .timeout = 30)
{
        interrupt_case(true);
}

Test(net, idle_loop_returns_at_once, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h;
        int64_t t0;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        listen_on(&w, "127.0.0.1", h);
        t0 = mono_ms();
        cr_expect_eq(net_run(w.l, 5000, NULL, NULL), NET_RUN_IDLE);
        cr_expect(mono_ms() - t0 < 100);
        world_free(&w);
}

/* 20 pings to 20 distinct partner domains (a node hosts at most NODE_MAX_HOSTED, so
 * two partner nodes: 16 + 4), all in flight at once in one loop. */
Test(net, twenty_concurrent_pings, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h, *pa, *pb;
        uint16_t hport, paport, pbport;
        char names[20][64];
        const char *da[16], *db[4];
        int rc;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        for (int i = 0; i < 20; i++) {
                snprintf(names[i], sizeof(names[i]), "p%d." PARTNER, i + 1);
                if (i < 16)
                        da[i] = names[i];
                else
                        db[i - 16] = names[i];
        }
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        pa = make_node(&w, "partnerA", da, 16, &s, w.pcreds);
        pb = make_node(&w, "partnerB", db, 4, &s, w.pcreds);
        hport = listen_on(&w, "127.0.0.1", h);
        paport = listen_on(&w, "127.0.0.1", pa);
        pbport = listen_on(&w, "::1", pb);
        target(&w, HARNESS, "127.0.0.1", hport);
        for (int i = 0; i < 20; i++)
                target(&w, names[i], i < 16 ? "127.0.0.1" : "::1", i < 16 ? paport : pbport);
        for (int i = 0; i < 20; i++) {
                char id[16];

                snprintf(id, sizeof(id), "ping-%d", i + 1);
                cr_assert_not_null(node_ping(h, HARNESS, names[i], id));
        }
        rc = net_run(w.l, 40000, pongs_20, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d, %d pongs\n%s", rc, w.pongs,
                     w.trace.data);
        cr_expect_eq(count_recs(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH), 20);
        for (int i = 0; i < 20; i++) {
                const struct rec *r =
                    find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, names[i]);
                char peer[64];

                cr_assert_not_null(r, "%s: no result", names[i]);
                cr_expect_eq(r->res.outcomes, OUTCOME_BIT(OUTCOME_S), "%s: %s", names[i],
                             r->res.cause);
                if (i < 16)
                        snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)paport);
                else
                        snprintf(peer, sizeof(peer), "[::1]:%u", (unsigned)pbport);
                cr_expect_str_eq(r->peer, peer, "%s", names[i]);
        }
        close_and_drain(&w);
        world_free(&w);
}

/*
 * XEP-0368: the partner's `_xmpps-server` SRV record (priority 0) points at a
 * direct-TLS listener, its `_xmpp-server` record (priority 10) at a closed port.
 * The harness connects with TLS from the first byte, sends SNI = the partner's
 * domain and ALPN xmpp-server, and SASL EXTERNAL succeeds without STARTTLS.
 */
Test(net, direct_tls_via_xmpps_srv, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct node *h, *p;
        struct dns_zone *z;
        uint16_t hport, pdirect, dport;
        const struct rec *r;
        char err[256], peer[64];
        int rc;

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        p = make_node1(&w, "partner", PARTNER, &s, w.pcreds);
        hport = listen_on(&w, "127.0.0.1", h);
        cr_assert_eq(net_listen_direct_tls(w.l, "127.0.0.1", 0, p, &pdirect, err, sizeof(err)), 0,
                     "%s", err);
        z = zone_new(HARNESS, "127.0.0.1", hport);
        cr_assert_eq(
            dnszone_add_srv(z, "_xmpps-server._tcp." PARTNER, 0, 0, pdirect, "xmpp." PARTNER), 0);
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp." PARTNER, 10, 0, closed_port(AF_INET),
                                     "xmpp." PARTNER),
                     0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp." PARTNER, "127.0.0.1"), 0);
        cr_assert_eq(net_serve_dns(w.l, "127.0.0.1", 0, z, &dport, err, sizeof(err)), 0, "%s", err);
        use_dns(&w, "127.0.0.1", dport, false);

        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-direct"));
        rc = net_run(w.l, 15000, pongs_1, &w);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        r = find_rec(&w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        cr_expect_eq(r->res.outcomes, OUTCOME_BIT(OUTCOME_S), "%s\n%s", r->res.cause, w.trace.data);
        snprintf(peer, sizeof(peer), "127.0.0.1:%u", (unsigned)pdirect);
        cr_expect_str_eq(r->peer, peer);
        cr_expect_not_null(strstr(w.trace.data, "TLS established (direct TLS)"), "%s",
                           w.trace.data);
        /* The partner saw the SNI and ALPN XEP-0368 §3 asks for. */
        cr_expect_not_null(strstr(w.trace.data, "ALPN xmpp-server, SNI " PARTNER), "%s",
                           w.trace.data);
        /* No STARTTLS on a direct-TLS stream. */
        cr_expect_null(strstr(w.trace.data, "STARTTLS offered again"), "%s", w.trace.data);
        cr_expect_eq(w.bad, 0, "%s", w.trace.data);
        close_and_drain(&w);
        world_free(&w);
        dnszone_free(z);
}

/* ---- bounded listeners and steps (docs/timeouts.md "Listeners", "The step timer") ---- */

/* A raw TCP connection to 127.0.0.1:port from the loopback address src (a
 * stranger on another address than the partner's), non-blocking. */
static int raw_connect(const char *src, uint16_t port)
{
        struct sockaddr_in from, to;
        int fd = socket(AF_INET, SOCK_STREAM, 0);

        cr_assert_geq(fd, 0);
        memset(&from, 0, sizeof(from));
        from.sin_family = AF_INET;
        cr_assert_eq(inet_pton(AF_INET, src, &from.sin_addr), 1);
        cr_assert_eq(bind(fd, (struct sockaddr *)&from, sizeof(from)), 0, "bind %s: %s", src,
                     strerror(errno));
        memset(&to, 0, sizeof(to));
        to.sin_family = AF_INET;
        to.sin_port = htons(port);
        to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cr_assert_eq(connect(fd, (struct sockaddr *)&to, sizeof(to)), 0, "connect: %s",
                     strerror(errno));
        return fd;
}

/* Whether the harness closed fd (EOF or reset) within wait_ms. */
static bool closed_by_harness(int fd, int wait_ms)
{
        struct pollfd p = {.fd = fd, .events = POLLIN};
        char c;

        if (poll(&p, 1, wait_ms) <= 0)
                return false;
        return recv(fd, &c, 1, MSG_DONTWAIT) <= 0;
}

static struct net_loop *limited_world(struct world *w, unsigned per_source, unsigned total,
                                      unsigned idle_ms, uint16_t *port)
{
        struct neg_settings s;
        struct net_listen_limits lim;
        struct node *h;

        world_init(w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        h = make_node1(w, "harness", HARNESS, &s, w->hcreds);
        *port = listen_on(w, "127.0.0.1", h);
        net_listen_limits_default(&lim);
        lim.per_source = per_source;
        lim.total = total;
        lim.idle_ms = idle_ms;
        net_set_listen_limits(w->l, &lim);
        return w->l;
}

Test(net, listener_caps_per_source_and_total, .timeout = 30)
{
        struct world w;
        struct net_pressure p;
        uint16_t port;
        int fd[7];
        bool refused[7];

        limited_world(&w, 3, 5, 0, &port);
        /* 4 from one stranger (its cap is 3), then 3 from another (2 fit the total of 5). */
        for (int i = 0; i < 7; i++) {
                fd[i] = raw_connect(i < 4 ? "127.0.0.2" : "127.0.0.3", port);
                net_run(w.l, 100, NULL, NULL);
        }
        for (int i = 0; i < 7; i++)
                refused[i] = closed_by_harness(fd[i], 200);
        net_pressure(w.l, &p);
        cr_expect(!refused[0] && !refused[1] && !refused[2], "the first 3 are kept");
        cr_expect(refused[3], "the 4th from one source is closed at once");
        cr_expect(!refused[4] && !refused[5], "another source fits under the total");
        cr_expect(refused[6], "the 6th in all is closed at once");
        cr_expect_eq(p.accepted, 5);
        cr_expect_eq(p.refused_source, 1);
        cr_expect_eq(p.refused_total, 1);
        /* A stranger at its own cap is not the harness's shortage; the total cap is. */
        cr_expect_eq(p.shortages, 1, "shortages %lu (%s)", p.shortages, p.last_text);
        cr_expect_eq(p.last, NET_SHORT_LISTEN_CAP);
        cr_expect(strstr(p.last_text, "total cap") != NULL, "%s", p.last_text);
        for (int i = 0; i < 7; i++)
                close(fd[i]);
        world_free(&w);
}

Test(net, idle_accepted_connection_is_dropped, .timeout = 30)
{
        struct world w;
        struct net_pressure p;
        uint16_t port;
        int idle, talker;
        int64_t t0, took = -1;
        const char *hdr = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                          "xmlns:stream='http://etherx.jabber.org/streams' to='harness.test' "
                          "version='1.0'>";

        limited_world(&w, 0, 100, 200, &port);
        t0 = mono_ms();
        idle = raw_connect("127.0.0.2", port);
        talker = raw_connect("127.0.0.2", port);
        cr_assert_eq(send(talker, hdr, strlen(hdr), 0), (ssize_t)strlen(hdr));
        /* Bounded: at most 20 rounds of 100 ms. */
        for (int i = 0; i < 20 && took < 0; i++) {
                net_run(w.l, 100, NULL, NULL);
                if (closed_by_harness(idle, 0))
                        took = mono_ms() - t0;
        }
        cr_expect(took >= 190 && took < 1000, "the idle one was dropped after %lld ms, want 200",
                  (long long)took);
        cr_expect(!closed_by_harness(talker, 0), "the one that spoke is still served");
        net_pressure(w.l, &p);
        cr_expect_eq(p.dropped_idle, 1);
        cr_expect_eq(p.shortages, 0);
        close(idle);
        close(talker);
        world_free(&w);
}

/* A partner that answers the harness's header, then sends `drip` one piece at a
 * time every 50 ms (at most 60 pieces: 3 s), never completing the features. */
struct dripper {
        int lfd;
        const char *drip;
        size_t piece;
        atomic_int stop;
};

static void *drip_main(void *arg)
{
        struct dripper *d = arg;
        struct pollfd p = {.fd = d->lfd, .events = POLLIN};
        const char *hdr = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                          "xmlns:stream='http://etherx.jabber.org/streams' "
                          "xmlns:db='jabber:server:dialback' from='partner.test' "
                          "to='harness.test' id='drip-1' version='1.0'>";
        char junk[4096];
        int fd;
        size_t off = 0;

        if (poll(&p, 1, 5000) <= 0 || (fd = accept(d->lfd, NULL, NULL)) < 0)
                return NULL;
        p.fd = fd;
        if (poll(&p, 1, 5000) <= 0 || recv(fd, junk, sizeof(junk), 0) <= 0 ||
            send(fd, hdr, strlen(hdr), MSG_NOSIGNAL) < 0) {
                close(fd);
                return NULL;
        }
        for (int i = 0; i < 60 && !atomic_load(&d->stop); i++) {
                size_t n = strlen(d->drip + off) < d->piece ? strlen(d->drip + off) : d->piece;

                if (n == 0 || send(fd, d->drip + off, n, MSG_NOSIGNAL) < 0)
                        break;
                off += n;
                poll(NULL, 0, 50);
        }
        close(fd);
        return NULL;
}

/* The harness connects to a dripping partner; EXPECT_FEATURES has 300 ms. The
 * step must end between lo and hi ms, with a cause naming the state, the
 * trickle and `want`. Returns the harness's record. */
static const struct rec *drip_case(struct world *w, const char *drip, int64_t lo, int64_t hi,
                                   const char *want)
{
        struct neg_settings s;
        struct net_timeouts to;
        struct node *h;
        struct dripper d = {.drip = drip, .piece = 1};
        pthread_t th;
        uint16_t port;
        int64_t t0, took;
        int rc;
        const struct rec *r;

        world_init(w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        net_timeouts_default(&to);
        to.step_ms[ST_EXPECT_FEATURES] = 300;
        net_set_timeouts(w->l, &to);
        h = make_node1(w, "harness", HARNESS, &s, w->hcreds);
        d.lfd = silent_listener(&port);
        atomic_init(&d.stop, 0);
        target(w, PARTNER, "127.0.0.1", port);
        cr_assert_eq(pthread_create(&th, NULL, drip_main, &d), 0);
        t0 = mono_ms();
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-drip"));
        rc = net_run(w->l, 10000, harness_out_final, w);
        atomic_store(&d.stop, 1);
        pthread_join(th, NULL);
        close(d.lfd);
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w->trace.data);
        r = find_rec(w, "harness", ENGINE_INITIATING, PURPOSE_AUTH, PARTNER);
        cr_assert_not_null(r);
        took = r->at_ms - t0;
        cr_expect(took >= lo && took < hi, "timed out after %lld ms, want %lld to %lld",
                  (long long)took, (long long)lo, (long long)hi);
        cr_expect(strstr(r->res.cause, "timeout while EXPECT_FEATURES: the peer trickled ") != NULL,
                  "cause: %s", r->res.cause);
        cr_expect(strstr(r->res.cause, want) != NULL, "cause: %s, want %s", r->res.cause, want);
        return r;
}

Test(net, whitespace_keepalives_are_not_progress, .timeout = 30)
{
        struct world w;
        const char *spaces = "                                                  "
                             "                                                  ";

        /* Without the rule, a space every 50 ms would keep the step alive for 5 s. */
        drip_case(&w, spaces, 290, 550, "(whitespace only)");
        world_free(&w);
}

Test(net, byte_drip_stops_at_the_hard_cap, .timeout = 30)
{
        struct world w;
        const struct rec *r;

        /* Each byte is progress and restarts the 300 ms, but the step ends at 2 x 300. */
        r = drip_case(&w,
                      "<stream:features><starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
                      "<dialback xmlns='urn:xmpp:features:dialback'/><unknown "
                      "xmlns='urn:example:drip'/>",
                      590, 900, "(hard cap)");
        cr_expect(strstr(r->res.cause, "whitespace") == NULL, "cause: %s", r->res.cause);
        world_free(&w);
}

/* ---- issue 12 item 3: waits sleep; a dead address costs one connect timeout -- */

/* net_run_wait with nothing active sleeps in poll until max_ms (net_run would
 * return NET_RUN_IDLE at once, and a caller looping on it would spin). */
Test(net, run_wait_sleeps_when_idle, .timeout = 30)
{
        struct world w;
        struct net_pressure before, after;
        int64_t t0, took;

        world_init(&w);
        net_pressure(w.l, &before);
        t0 = mono_ms();
        cr_expect_eq(net_run_wait(w.l, 300, NULL, NULL), NET_RUN_MAX_TIME);
        took = mono_ms() - t0;
        net_pressure(w.l, &after);
        cr_expect(took >= 290 && took < 1000, "took %lld ms, want about 300", (long long)took);
        cr_expect_leq(after.polls - before.polls, 3, "%lu polls in 300 ms",
                      after.polls - before.polls);
        cr_expect_eq(after.polls_nowait, before.polls_nowait, "no zero-timeout poll");
        world_free(&w);
}

/* A listener whose accept queue is full: the kernel drops further SYNs, so a
 * connect there gets no answer (a dead address, on loopback). Returns the
 * listener; fills fds[0..n) with the connections that fill it. */
static int blackhole(uint16_t *port, int *fds, size_t n)
{
        struct sockaddr_in sa;
        int fd = raw_listener(port, 0);

        memset(&sa, 0, sizeof(sa));
        sa.sin_family = AF_INET;
        sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sa.sin_port = htons(*port);
        for (size_t i = 0; i < n; i++) {
                fds[i] = socket(AF_INET, SOCK_STREAM, 0);
                cr_assert_geq(fds[i], 0);
                cr_assert_eq(fcntl(fds[i], F_SETFL, O_NONBLOCK), 0);
                (void)connect(fds[i], (struct sockaddr *)&sa, sizeof(sa));
        }
        nanosleep(&(struct timespec){0, 100 * 1000 * 1000}, NULL);
        return fd;
}

static bool harness_out_two(void *user)
{
        return count_recs(user, "harness", ENGINE_INITIATING, PURPOSE_AUTH) >= 2;
}

/* With net_set_remember_dead, the second stream to an address whose connect timed
 * out fails at once, saying so; the first one waited connect_ms. */
Test(net, dead_address_costs_one_connect_timeout, .timeout = 30)
{
        struct world w;
        struct neg_settings s;
        struct net_timeouts to;
        struct node *h;
        uint16_t port;
        int fill[4], lfd, rc;
        int64_t t0, took;
        char want[96];

        world_init(&w);
        settings(&s, NEG_OPTIONAL, NEG_OPTIONAL, true);
        net_timeouts_default(&to);
        to.connect_ms = 400;
        net_set_timeouts(w.l, &to);
        net_set_remember_dead(w.l, true);
        h = make_node1(&w, "harness", HARNESS, &s, w.hcreds);
        lfd = blackhole(&port, fill, 4);
        target(&w, PARTNER, "127.0.0.1", port);
        t0 = mono_ms();
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-dead-1"));
        rc = net_run(w.l, 10000, harness_out_final, &w);
        took = mono_ms() - t0;
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        snprintf(want, sizeof(want), "127.0.0.1:%u: no answer within 400 ms", (unsigned)port);
        cr_expect(strstr(w.recs[0].failure, want) != NULL, "failure: %s", w.recs[0].failure);
        cr_expect(took >= 390 && took < 2000, "the first took %lld ms", (long long)took);
        /* A stream of its own (the first one failed and is gone). */
        t0 = mono_ms();
        cr_assert_not_null(node_ping(h, HARNESS, PARTNER, "ping-dead-2"));
        rc = net_run(w.l, 10000, harness_out_two, &w);
        took = mono_ms() - t0;
        cr_assert_eq(rc, NET_RUN_UNTIL, "net_run returned %d\n%s", rc, w.trace.data);
        cr_expect(took < 200, "the second took %lld ms: it tried the dead address again",
                  (long long)took);
        cr_expect(strstr(w.recs[1].failure, "earlier in this run (not tried again)") != NULL,
                  "failure: %s", w.recs[1].failure);
        for (size_t i = 0; i < 4; i++)
                close(fill[i]);
        close(lfd);
        world_free(&w);
}
