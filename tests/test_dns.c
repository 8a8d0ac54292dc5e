/*
 * Resolving a partner with real DNS packets over loopback: each test binds UDP and
 * TCP sockets on 127.0.0.1 (or ::1) port 0, forks a child that answers from a
 * dns_zone with dnszone_serve_*_once, runs dns_find_targets against it and stops
 * the child by its PID.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <ldns/ldns.h>

#include "dns.h"
#include "dnszone.h"

#define SERVER_LIFETIME_MS 20000 /* a forgotten child exits on its own */

enum server_mode {
        SERVE_ZONE,    /* answer from the zone */
        SERVE_WRONGID, /* answer, but with another id: a spoofed or stray reply */
};

struct server {
        pid_t pid;
        uint16_t port;
        int udp; /* kept open by the parent only for the silent server */
};

static long now_ms(void)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Binds UDP and TCP on the same loopback port (port 0 for UDP, then the same for TCP). */
static void bind_pair(int family, int *udp, int *tcp, uint16_t *port)
{
        unsigned attempt;

        for (attempt = 0; attempt < 20; attempt++) {
                struct sockaddr_storage ss;
                socklen_t sl;
                int one = 1;

                memset(&ss, 0, sizeof(ss));
                if (family == AF_INET) {
                        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

                        s4->sin_family = AF_INET;
                        s4->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
                        sl = sizeof(*s4);
                } else {
                        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

                        s6->sin6_family = AF_INET6;
                        s6->sin6_addr = in6addr_loopback;
                        sl = sizeof(*s6);
                }
                *udp = socket(family, SOCK_DGRAM, 0);
                cr_assert_geq(*udp, 0);
                cr_assert_eq(bind(*udp, (struct sockaddr *)&ss, sl), 0, "bind udp: %s",
                             strerror(errno));
                cr_assert_eq(getsockname(*udp, (struct sockaddr *)&ss, &sl), 0);
                *port = ntohs(family == AF_INET ? ((struct sockaddr_in *)&ss)->sin_port
                                                : ((struct sockaddr_in6 *)&ss)->sin6_port);
                *tcp = socket(family, SOCK_STREAM, 0);
                cr_assert_geq(*tcp, 0);
                cr_assert_eq(setsockopt(*tcp, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
                if (bind(*tcp, (struct sockaddr *)&ss, sl) == 0 && listen(*tcp, 8) == 0)
                        return;
                close(*udp);
                close(*tcp);
        }
        cr_assert_fail("no free UDP+TCP port pair on loopback");
}

static void child_loop(int udp, int tcp, const struct dns_zone *z, enum server_mode mode)
{
        long end = now_ms() + SERVER_LIFETIME_MS;
        unsigned rounds;

        for (rounds = 0; rounds < 100000 && now_ms() < end; rounds++) {
                struct pollfd p[2] = {{.fd = udp, .events = POLLIN}, {.fd = tcp, .events = POLLIN}};

                if (poll(p, 2, 100) < 0 && errno != EINTR)
                        _exit(2);
                if ((p[0].revents & POLLIN) && mode == SERVE_WRONGID) {
                        uint8_t in[4096], *reply = NULL;
                        struct sockaddr_storage from;
                        socklen_t fl = sizeof(from);
                        size_t rlen = 0;
                        ssize_t n = recvfrom(udp, in, sizeof(in), 0, (struct sockaddr *)&from, &fl);

                        if (n > 0 && dnszone_answer(z, in, (size_t)n, DNSZONE_UDP, &reply, &rlen) ==
                                         DNSZONE_REPLY) {
                                reply[1] ^= 0x5a;
                                (void)sendto(udp, reply, rlen, 0, (struct sockaddr *)&from, fl);
                        }
                        free(reply);
                } else if (p[0].revents & POLLIN) {
                        if (dnszone_serve_udp_once(udp, z, 0) < 0)
                                _exit(3);
                }
                if (p[1].revents & POLLIN) {
                        if (dnszone_serve_tcp_once(tcp, z, 1000) < 0)
                                _exit(4);
                }
        }
        _exit(0);
}

static void server_start_family(struct server *s, const struct dns_zone *z, enum server_mode mode,
                                int family)
{
        pid_t parent = getpid();
        int udp, tcp;

        bind_pair(family, &udp, &tcp, &s->port);
        s->udp = -1;
        s->pid = fork();
        cr_assert_geq(s->pid, 0);
        if (s->pid == 0) {
                /* Dies with the test process; and if the parent is already gone, at once. */
                if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent)
                        _exit(1);
                child_loop(udp, tcp, z, mode);
        }
        close(udp);
        close(tcp);
}

static void server_start(struct server *s, const struct dns_zone *z)
{
        server_start_family(s, z, SERVE_ZONE, AF_INET);
}

/* A bound UDP socket nobody reads: queries vanish, no reply ever comes. */
static void server_silent(struct server *s)
{
        int tcp;

        bind_pair(AF_INET, &s->udp, &tcp, &s->port);
        close(tcp);
        s->pid = -1;
}

static void server_stop(struct server *s)
{
        int st;

        if (s->pid > 0) {
                cr_assert_eq(kill(s->pid, SIGKILL), 0);
                cr_assert_eq(waitpid(s->pid, &st, 0), s->pid);
                s->pid = -1;
        }
        if (s->udp >= 0)
                close(s->udp);
        s->udp = -1;
}

static struct dns_zone *zone_new(const struct dnszone_config *cfg)
{
        char err[256] = "";
        struct dns_zone *z = dnszone_new(cfg, err, sizeof(err));

        cr_assert_not_null(z, "%s", err);
        return z;
}

/* harness.test on 127.0.0.1:5269, plus the partner records the tests look up. */
static struct dns_zone *zone_partner(bool no_glue)
{
        struct dnszone_config cfg = {.apex = "harness.test",
                                     .addrs = {"127.0.0.1"},
                                     .naddrs = 1,
                                     .port = 5269,
                                     .no_glue = no_glue};
        struct dns_zone *z = zone_new(&cfg);

        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 10, 60, 5269,
                                     "xmpp1.partner.test"),
                     0);
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 10, 40, 5270,
                                     "xmpp2.partner.test"),
                     0);
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 20, 0, 5271,
                                     "backup.partner.test"),
                     0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp1.partner.test", "127.0.0.11"), 0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp2.partner.test", "127.0.0.12"), 0);
        cr_assert_eq(dnszone_add_addr(z, "backup.partner.test", "127.0.0.13"), 0);
        cr_assert_eq(dnszone_add_addr(z, "backup.partner.test", "::1"), 0);
        return z;
}

struct seq {
        const uint32_t *v;
        size_t n, i;
};

static uint32_t seq_next(void *ctx)
{
        struct seq *s = ctx;

        return s->n == 0 ? 0 : s->v[s->i++ % s->n];
}

static struct dns_resolver_config resolver(const struct server *s, struct seq *rng)
{
        struct dns_resolver_config c = {.server = "127.0.0.1",
                                        .port = s->port,
                                        .timeout_ms = 2000,
                                        .retries = 1,
                                        .rng = rng != NULL ? seq_next : NULL,
                                        .rng_ctx = rng};
        return c;
}

static void assert_addr(const struct sockaddr_storage *ss, const char *want)
{
        char got[80];

        cr_assert_eq(dns_addr_str(ss, got, sizeof(got)), 0);
        cr_assert_str_eq(got, want);
}

static void assert_partner_order(const struct dns_target_list *l, const char *first,
                                 const char *second)
{
        cr_assert_eq(l->status, DNS_FOUND_SRV);
        cr_assert_eq(l->count, 3);
        cr_assert_eq(l->dropped, 0);
        cr_assert_str_eq(l->targets[0].host, first);
        cr_assert_str_eq(l->targets[1].host, second);
        cr_assert_str_eq(l->targets[2].host, "backup.partner.test");
        cr_assert_eq(l->targets[2].priority, 20);
        cr_assert_eq(l->targets[2].port, 5271);
        /* IPv6 first, then IPv4, with the SRV port. */
        cr_assert_eq(l->targets[2].naddrs, 2);
        assert_addr(&l->targets[2].addrs[0], "[::1]:5271");
        assert_addr(&l->targets[2].addrs[1], "127.0.0.13:5271");
        for (size_t i = 0; i < 3; i++) {
                cr_assert(l->targets[i].from_srv);
                cr_assert_not(l->targets[i].direct_tls);
        }
}

static void find(const struct dns_resolver_config *c, const char *domain, struct dns_target_list *l,
                 enum dns_status want, char *err, size_t errlen)
{
        enum dns_status s = dns_find_targets(c, domain, l, err, errlen);

        cr_assert_eq(s, want, "%s: got %s, want %s (%s)", domain, dns_status_name(s),
                     dns_status_name(want), err);
        cr_assert_eq(l->status, s);
}

Test(dns, srv_weighted_order_deterministic)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        static const uint32_t low[] = {10}, high[] = {70};
        struct seq r1 = {low, 1, 0}, r2 = {high, 1, 0};
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        server_start(&s, z);
        /* Priority 10: running sums 60 (xmpp1), 100 (xmpp2); draw r in [0,100]. */
        c = resolver(&s, &r1);
        find(&c, "partner.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        assert_partner_order(&l, "xmpp1.partner.test", "xmpp2.partner.test");
        cr_assert_eq(l.targets[0].port, 5269);
        cr_assert_eq(l.targets[0].weight, 60);
        cr_assert_eq(l.targets[0].naddrs, 1);
        assert_addr(&l.targets[0].addrs[0], "127.0.0.11:5269");
        assert_addr(&l.targets[1].addrs[0], "127.0.0.12:5270");
        cr_assert_eq(r1.i, 1, "one draw: the last record of a priority needs none");

        c = resolver(&s, &r2);
        find(&c, "partner.test.", &l, DNS_FOUND_SRV, err, sizeof(err));
        assert_partner_order(&l, "xmpp2.partner.test", "xmpp1.partner.test");
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, srv_targets_queried_without_glue)
{
        struct dns_zone *z = zone_partner(true);
        struct server s;
        static const uint32_t low[] = {0};
        struct seq r = {low, 1, 0};
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        server_start(&s, z);
        c = resolver(&s, &r);
        find(&c, "partner.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        assert_partner_order(&l, "xmpp1.partner.test", "xmpp2.partner.test");
        assert_addr(&l.targets[0].addrs[0], "127.0.0.11:5269");
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, srv_over_tcp)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        server_start(&s, z);
        c = resolver(&s, NULL); /* gnutls_rnd: only the priority order is fixed */
        c.tcp = true;
        find(&c, "partner.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        cr_assert_eq(l.count, 3);
        cr_assert_str_eq(l.targets[2].host, "backup.partner.test");
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, resolver_on_ipv6_loopback)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        server_start_family(&s, z, SERVE_ZONE, AF_INET6);
        c = resolver(&s, NULL);
        c.server = "::1";
        find(&c, "partner.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        cr_assert_eq(l.count, 3);
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, xmpps_and_xmpp_merged)
{
        struct dnszone_config cfg = {.apex = "harness.test",
                                     .addrs = {"127.0.0.1"},
                                     .naddrs = 1,
                                     .port = 5269,
                                     .direct_tls_port = 5223};
        struct dns_zone *z = zone_new(&cfg);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        struct seq r = {NULL, 0, 0};
        char err[512];

        /* Across priorities, xmpp (10) before xmpps (20) whatever the order of queries. */
        cr_assert_eq(dnszone_add_srv(z, "_xmpps-server._tcp.partner.test", 20, 0, 5270,
                                     "xmpp1.partner.test"),
                     0);
        cr_assert_eq(
            dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 10, 0, 5269, "xmpp1.partner.test"),
            0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp1.partner.test", "127.0.0.11"), 0);
        server_start(&s, z);
        c = resolver(&s, &r);

        /* Same priority and weight 0: xmpps (asked first) stays first. */
        find(&c, "m.harness.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        cr_assert_eq(l.count, 2);
        cr_assert(l.targets[0].direct_tls);
        cr_assert_eq(l.targets[0].port, 5223);
        cr_assert_not(l.targets[1].direct_tls);
        cr_assert_eq(l.targets[1].port, 5269);
        assert_addr(&l.targets[0].addrs[0], "127.0.0.1:5223");
        assert_addr(&l.targets[1].addrs[0], "127.0.0.1:5269");

        find(&c, "partner.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        cr_assert_eq(l.count, 2);
        cr_assert_not(l.targets[0].direct_tls);
        cr_assert_eq(l.targets[0].priority, 10);
        cr_assert(l.targets[1].direct_tls);
        assert_addr(&l.targets[1].addrs[0], "127.0.0.11:5270");
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, lone_dot_is_no_service)
{
        struct dnszone_config cfg = {.apex = "harness.test",
                                     .addrs = {"127.0.0.1"},
                                     .naddrs = 1,
                                     .port = 5269,
                                     .no_service = true};
        struct dns_zone *z = zone_new(&cfg);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        /* xmpps "." and an address for the domain: still no fallback (XEP-0368 §3). */
        cr_assert_eq(dnszone_add_nosrv(z, "_xmpps-server._tcp.tlsoff.test"), 0);
        cr_assert_eq(dnszone_add_addr(z, "tlsoff.test", "127.0.0.31"), 0);
        /* xmpps "." but _xmpp-server records: use those. */
        cr_assert_eq(dnszone_add_nosrv(z, "_xmpps-server._tcp.mixed.test"), 0);
        cr_assert_eq(
            dnszone_add_srv(z, "_xmpp-server._tcp.mixed.test", 0, 0, 5269, "h.harness.test"), 0);
        server_start(&s, z);
        c = resolver(&s, NULL);

        find(&c, "s2.harness.test", &l, DNS_NO_SERVICE, err, sizeof(err));
        cr_assert_eq(l.count, 0);
        cr_assert(strstr(err, "RFC 6120 §3.2.1") != NULL, "%s", err);

        find(&c, "tlsoff.test", &l, DNS_NO_SERVICE, err, sizeof(err));
        cr_assert_eq(l.count, 0);
        cr_assert(strstr(err, "XEP-0368") != NULL, "%s", err);

        find(&c, "mixed.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        cr_assert_eq(l.count, 1);
        cr_assert_not(l.targets[0].direct_tls);
        assert_addr(&l.targets[0].addrs[0], "127.0.0.1:5269");
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, no_srv_falls_back_to_a_on_5269)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        cr_assert_eq(dnszone_add_addr(z, "plain.test", "127.0.0.21"), 0);
        cr_assert_eq(dnszone_add_addr(z, "plain.test", "::1"), 0);
        server_start(&s, z);
        c = resolver(&s, NULL);
        find(&c, "plain.test", &l, DNS_FOUND_FALLBACK, err, sizeof(err));
        cr_assert_eq(l.count, 1);
        cr_assert_str_eq(l.targets[0].host, "plain.test");
        cr_assert_eq(l.targets[0].port, 5269);
        cr_assert_not(l.targets[0].from_srv);
        cr_assert_eq(l.targets[0].naddrs, 2);
        assert_addr(&l.targets[0].addrs[0], "[::1]:5269");
        assert_addr(&l.targets[0].addrs[1], "127.0.0.21:5269");
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, nxdomain_and_no_address)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        /* A name that exists (it owns a record) but has no address. */
        cr_assert_eq(dnszone_add_srv(z, "noaddr.test", 0, 0, 1, "x.test"), 0);
        /* SRV targets without any address: no A/AAAA fallback of the domain (DNS-2). */
        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.dangling.test", 0, 0, 5269, "gone.test"),
                     0);
        cr_assert_eq(dnszone_add_addr(z, "dangling.test", "127.0.0.41"), 0);
        server_start(&s, z);
        c = resolver(&s, NULL);

        find(&c, "nowhere.example", &l, DNS_NXDOMAIN, err, sizeof(err));
        cr_assert(strstr(err, "NXDOMAIN") != NULL, "%s", err);
        cr_assert(strstr(err, "nowhere.example") != NULL, "%s", err);

        find(&c, "noaddr.test", &l, DNS_NO_ADDRESS, err, sizeof(err));

        find(&c, "dangling.test", &l, DNS_NO_ADDRESS, err, sizeof(err));
        cr_assert_eq(l.count, 1);
        cr_assert_str_eq(l.targets[0].host, "gone.test");
        cr_assert_eq(l.targets[0].naddrs, 0);
        cr_assert(strstr(l.targets[0].note, "NXDOMAIN") != NULL, "%s", l.targets[0].note);
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, servfail_names_server_and_query)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512], port[16];

        cr_assert_eq(dnszone_add_rcode(z, "_xmpp-server._tcp.broken.test", LDNS_RCODE_SERVFAIL), 0);
        server_start(&s, z);
        c = resolver(&s, NULL);
        find(&c, "broken.test", &l, DNS_ERROR, err, sizeof(err));
        snprintf(port, sizeof(port), "port %u", (unsigned)s.port);
        cr_assert(strstr(err, "SERVFAIL") != NULL, "%s", err);
        cr_assert(strstr(err, "_xmpp-server._tcp.broken.test. SRV") != NULL, "%s", err);
        cr_assert(strstr(err, "127.0.0.1") != NULL && strstr(err, port) != NULL, "%s", err);
        cr_assert_eq(l.count, 0);
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, silent_server_times_out_within_bound)
{
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];
        long t0, elapsed;

        server_silent(&s);
        c = resolver(&s, NULL);
        c.timeout_ms = 300;
        c.retries = 1;
        t0 = now_ms();
        find(&c, "partner.test", &l, DNS_ERROR, err, sizeof(err));
        elapsed = now_ms() - t0;
        /* Two tries of 300 ms for the first query, then the lookup stops. */
        cr_assert_geq(elapsed, 550, "gave up after %ld ms", elapsed);
        cr_assert_lt(elapsed, 1500, "took %ld ms", elapsed);
        cr_assert(strstr(err, "no answer within 300 ms x 2 tries") != NULL, "%s", err);
        cr_assert(strstr(err, "_xmpps-server._tcp.partner.test. SRV") != NULL, "%s", err);
        cr_log_info("silent server: DNS_ERROR after %ld ms: %s", elapsed, err);

        c.tcp = true; /* nobody listens on TCP: refused at once */
        t0 = now_ms();
        find(&c, "partner.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert_lt(now_ms() - t0, 1500);
        server_stop(&s);
}

Test(dns, reply_with_wrong_id_is_rejected)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];

        server_start_family(&s, z, SERVE_WRONGID, AF_INET);
        c = resolver(&s, NULL);
        find(&c, "partner.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert(strstr(err, "does not match") != NULL, "%s", err);
        server_stop(&s);
        dnszone_free(z);
}

/* dns_resolver_config.exchange in place of the network (fuzz/fuzz_dns_reply.c): each
 * query reaches the callback in wire form and its reply is parsed and checked as one
 * from a socket; no reply is a timeout. */
struct exchange_ctx {
        const struct dns_zone *z;
        int calls;
        bool wrong_id;
};

static int exchange_zone(void *user, const uint8_t *query, size_t qlen, uint8_t *reply, size_t cap,
                         size_t *rlen)
{
        struct exchange_ctx *x = user;
        uint8_t *a = NULL;
        size_t alen = 0;

        x->calls++;
        if (x->z == NULL)
                return -1;
        cr_assert_eq(dnszone_answer(x->z, query, qlen, DNSZONE_TCP, &a, &alen), DNSZONE_REPLY);
        cr_assert_leq(alen, cap);
        memcpy(reply, a, alen);
        if (x->wrong_id)
                reply[0] ^= 0xff;
        *rlen = alen;
        free(a);
        return 0;
}

Test(dns, exchange_replaces_the_network)
{
        struct dns_zone *z = zone_partner(false);
        static const uint32_t low[] = {10};
        struct seq r = {low, 1, 0};
        struct exchange_ctx x = {z, 0, false};
        struct dns_resolver_config c = {.server = "127.0.0.1",
                                        .port = 9, /* discard: nothing may be sent there */
                                        .timeout_ms = 100,
                                        .rng = seq_next,
                                        .rng_ctx = &r,
                                        .exchange = exchange_zone,
                                        .exchange_ctx = &x};
        struct dns_target_list l;
        char err[512];

        find(&c, "partner.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        assert_partner_order(&l, "xmpp1.partner.test", "xmpp2.partner.test");
        cr_assert_eq(x.calls, 2, "the two SRV queries; the addresses came as glue");

        x.wrong_id = true;
        find(&c, "partner.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert(strstr(err, "does not match") != NULL, "%s", err);

        x.z = NULL;
        find(&c, "partner.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert(strstr(err, "no answer") != NULL, "%s", err);
        dnszone_free(z);
}

Test(dns, truncated_udp_answer_retried_over_tcp)
{
        struct dnszone_config cfg = {
            .apex = "harness.test", .addrs = {"127.0.0.1"}, .naddrs = 1, .port = 5269};
        struct dns_zone *z = zone_new(&cfg);
        struct server s;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512], target[128];
        unsigned i;

        for (i = 0; i < 30; i++) {
                snprintf(target, sizeof(target),
                         "a-rather-long-target-label-number-%02u.harness.test", i);
                cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.big.test", 1, 1, 5269, target),
                             0);
        }
        server_start(&s, z);
        c = resolver(&s, NULL);
        find(&c, "big.test", &l, DNS_FOUND_SRV, err, sizeof(err));
        cr_assert_eq(l.count, DNS_MAX_TARGETS);
        cr_assert_eq(l.dropped, 30 - DNS_MAX_TARGETS);
        for (i = 0; i < l.count; i++) {
                cr_assert_eq(l.targets[i].naddrs, 1);
                assert_addr(&l.targets[i].addrs[0], "127.0.0.1:5269");
        }
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, resolve_explicit_host)
{
        struct dns_zone *z = zone_partner(false);
        struct server s;
        struct dns_target t;
        struct dns_resolver_config c;
        char err[512];

        server_start(&s, z);
        c = resolver(&s, NULL);
        cr_assert_eq(dns_resolve_host(&c, "xmpp2.partner.test", 15270, false, &t, err, sizeof(err)),
                     DNS_FOUND_FALLBACK, "%s", err);
        cr_assert_eq(t.naddrs, 1);
        assert_addr(&t.addrs[0], "127.0.0.12:15270");
        cr_assert_eq(dns_resolve_host(&c, "missing.partner.test", 1, false, &t, err, sizeof(err)),
                     DNS_NXDOMAIN);
        server_stop(&s);
        dnszone_free(z);
}

Test(dns, literals_need_no_dns)
{
        struct server s;
        struct dns_target t;
        struct dns_target_list l;
        struct dns_resolver_config c;
        char err[512];
        long t0 = now_ms();

        server_silent(&s); /* any query would take the whole timeout */
        c = resolver(&s, NULL);
        c.timeout_ms = 3000;
        cr_assert_eq(dns_resolve_host(&c, "::1", 5269, true, &t, err, sizeof(err)),
                     DNS_FOUND_FALLBACK);
        assert_addr(&t.addrs[0], "[::1]:5269");
        cr_assert(t.direct_tls);
        find(&c, "127.0.0.7", &l, DNS_FOUND_FALLBACK, err, sizeof(err));
        assert_addr(&l.targets[0].addrs[0], "127.0.0.7:5269");
        cr_assert_lt(now_ms() - t0, 1000);
        server_stop(&s);
}

Test(dns, bad_input_rejected_before_any_query)
{
        struct dns_resolver_config c = {.server = "localhost", .port = 53};
        struct dns_target_list l;
        char err[512];

        find(&c, "partner.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert(strstr(err, "not an IPv4/IPv6 address") != NULL, "%s", err);
        c.server = "127.0.0.1";
        find(&c, "bad domain.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert(strstr(err, "' '") != NULL, "%s", err);
        find(&c, "b\xc3\xa4r.test", &l, DNS_ERROR, err, sizeof(err));
        cr_assert(strstr(err, "A-label") != NULL, "%s", err);
        find(&c, "a..b", &l, DNS_ERROR, err, sizeof(err));
        find(&c, "", &l, DNS_ERROR, err, sizeof(err));
}

/* Pure parts: RFC 2782 ordering and host:port parsing. */

Test(dns_pure, srv_order_priority_then_weight)
{
        struct dns_srv r[5] = {{.priority = 20, .weight = 5, .index = 0},
                               {.priority = 10, .weight = 0, .index = 1},
                               {.priority = 10, .weight = 30, .index = 2},
                               {.priority = 5, .weight = 0, .index = 3},
                               {.priority = 10, .weight = 70, .index = 4}};
        static const uint32_t draws[] = {0};
        struct seq s = {draws, 1, 0};

        /* r = 0 always picks the first of the running sum: the zero weight one. */
        dns_srv_order(r, 5, seq_next, &s);
        cr_assert_eq(r[0].index, 3);
        cr_assert_eq(r[1].index, 1);
        cr_assert_eq(r[2].index, 2);
        cr_assert_eq(r[3].index, 4);
        cr_assert_eq(r[4].index, 0);
}

Test(dns_pure, srv_order_draw_selects_by_running_sum)
{
        struct dns_srv r[3] = {{.priority = 1, .weight = 10, .index = 0},
                               {.priority = 1, .weight = 20, .index = 1},
                               {.priority = 1, .weight = 30, .index = 2}};
        /* Sums 10, 30, 60. Draw 31 (mod 61) -> index 2; then sums 10, 30: draw 11 -> 1. */
        static const uint32_t draws[] = {31, 11};
        struct seq s = {draws, 2, 0};

        dns_srv_order(r, 3, seq_next, &s);
        cr_assert_eq(r[0].index, 2);
        cr_assert_eq(r[1].index, 1);
        cr_assert_eq(r[2].index, 0);
        cr_assert_eq(s.i, 2);
}

Test(dns_pure, srv_order_spread_with_gnutls_rnd)
{
        unsigned first60 = 0, zero_first = 0, i;

        for (i = 0; i < 20000; i++) {
                struct dns_srv r[2] = {{.priority = 0, .weight = 60, .index = 0},
                                       {.priority = 0, .weight = 40, .index = 1}};
                struct dns_srv z[2] = {{.priority = 0, .weight = 100, .index = 0},
                                       {.priority = 0, .weight = 0, .index = 1}};

                dns_srv_order(r, 2, NULL, NULL);
                first60 += r[0].index == 0;
                dns_srv_order(z, 2, NULL, NULL);
                zero_first += z[0].index == 1;
        }
        /* Expected 12000 (60 %) and about 198 (1/101); bounds are > 6 sigma wide. */
        cr_assert(first60 > 11580 && first60 < 12420, "weight 60 first %u / 20000", first60);
        cr_assert(zero_first > 90 && zero_first < 320, "weight 0 first %u / 20000", zero_first);
}

struct hp_case {
        const char *in;
        uint16_t def;
        int rc;
        const char *host;
        uint16_t port;
        const char *err_has;
};

Test(dns_pure, parse_hostport)
{
        static const struct hp_case cases[] = {
            {"partner.test", 5269, 0, "partner.test", 5269, NULL},
            {"partner.test:15269", 5269, 0, "partner.test", 15269, NULL},
            {"127.0.0.1:53", 0, 0, "127.0.0.1", 53, NULL},
            {"[::1]:5353", 0, 0, "::1", 5353, NULL},
            {"[::1]", 53, 0, "::1", 53, NULL},
            {"::1", 53, 0, "::1", 53, NULL},
            {"fe80::1:2", 7, 0, "fe80::1:2", 7, NULL},
            {"host", 0, -1, NULL, 0, "port is required"},
            {"", 53, -1, NULL, 0, "empty"},
            {":53", 53, -1, NULL, 0, "empty host"},
            {"h:0", 53, -1, NULL, 0, "1 to 65535"},
            {"h:65536", 53, -1, NULL, 0, "1 to 65535"},
            {"h:5x", 53, -1, NULL, 0, "1 to 65535"},
            {"h:", 53, -1, NULL, 0, "1 to 65535"},
            {"h:-1", 53, -1, NULL, 0, "1 to 65535"},
            {"[::1", 53, -1, NULL, 0, "without ']'"},
            {"[::1]x", 53, -1, NULL, 0, "after ']'"},
            {"[127.0.0.1]:53", 53, -1, NULL, 0, "not an IPv6"},
            {"1:2:zz", 53, -1, NULL, 0, "not an IPv6"},
            {"bad host:1", 53, -1, NULL, 0, "contains ' '"},
            {"a..b:1", 53, -1, NULL, 0, "empty label"},
        };
        size_t i;

        for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char host[DNS_HOST_MAX] = "", err[256] = "";
                uint16_t port = 0;
                int rc = dns_parse_hostport(cases[i].in, cases[i].def, host, sizeof(host), &port,
                                            err, sizeof(err));

                cr_assert_eq(rc, cases[i].rc, "'%s': rc %d (%s)", cases[i].in, rc, err);
                if (rc == 0) {
                        cr_assert_str_eq(host, cases[i].host, "'%s'", cases[i].in);
                        cr_assert_eq(port, cases[i].port, "'%s'", cases[i].in);
                } else {
                        cr_assert(strstr(err, cases[i].err_has) != NULL, "'%s': %s", cases[i].in,
                                  err);
                }
        }
}

Test(dns_pure, parse_hostport_small_buffer)
{
        char host[4], err[128];
        uint16_t port;

        cr_assert_eq(
            dns_parse_hostport("partner.test:1", 0, host, sizeof(host), &port, err, sizeof(err)),
            -1);
        cr_assert(strstr(err, "too long") != NULL, "%s", err);
}

Test(parse, listen_allows_any_port)
{
        char host[DNS_HOST_MAX], err[256];
        uint16_t port = 99;

        cr_assert_eq(dns_parse_listen("127.0.0.1:0", host, sizeof(host), &port, err, sizeof(err)),
                     0, "%s", err);
        cr_expect_str_eq(host, "127.0.0.1");
        cr_expect_eq(port, 0);
        cr_assert_eq(dns_parse_listen("[::1]:0", host, sizeof(host), &port, err, sizeof(err)), 0);
        cr_expect_str_eq(host, "::1");
        cr_expect_eq(port, 0);
        cr_assert_eq(dns_parse_listen("127.0.0.1", host, sizeof(host), &port, err, sizeof(err)), 0);
        cr_expect_eq(port, 0);
        cr_assert_eq(dns_parse_listen("::1", host, sizeof(host), &port, err, sizeof(err)), 0);
        cr_expect_str_eq(host, "::1");
        cr_expect_eq(port, 0);
        cr_assert_eq(
            dns_parse_listen("127.0.0.1:5269", host, sizeof(host), &port, err, sizeof(err)), 0);
        cr_expect_eq(port, 5269);
        cr_expect_eq(dns_parse_listen("127.0.0.1:x", host, sizeof(host), &port, err, sizeof(err)),
                     -1);
        cr_expect_eq(dns_parse_listen("", host, sizeof(host), &port, err, sizeof(err)), -1);
}
