/*
 * Finding a partner's server: RFC 6120 §3.2 (DNS-1..DNS-4 of the reference),
 * XEP-0368 direct TLS (DNS-6) and RFC 2782 ordering, with ldns.
 *
 * dns_find_targets() queries a resolver the caller names (or the system one) and
 * returns connection targets in the order to try them. dns_srv_order() and
 * dns_parse_hostport() are pure.
 */
#ifndef S2S_DNS_H
#define S2S_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_MAX_TARGETS 16 /* targets kept after ordering; the rest are counted in dropped */
#define DNS_MAX_ADDRS 8    /* addresses kept per target */
#define DNS_HOST_MAX 256   /* a host name in text, without the trailing dot, plus NUL */
#define DNS_XMPP_PORT 5269 /* RFC 6120 §3.2.2 fallback port */

struct dns_resolver_config {
        const char *server;  /* "127.0.0.1" or "::1" (an IP literal); NULL: /etc/resolv.conf */
        uint16_t port;       /* 0: 53 */
        unsigned timeout_ms; /* per try; 0: 2000 */
        unsigned retries;    /* extra tries after the first (so retries + 1 tries) */
        bool tcp;            /* DNS over TCP only; over UDP a truncated answer retries on TCP */
        /* Randomness for RFC 2782 weighted order; NULL: gnutls_rnd. Tests pass their own. */
        uint32_t (*rng)(void *ctx);
        void *rng_ctx;
        /* Replaces the network (fuzz/fuzz_dns_reply.c, tests): called with each query in
         * wire form, it writes the reply into reply (at most cap bytes) and sets *rlen.
         * Returns 0, or -1 for "no reply" (reported as a timeout). The reply is then parsed
         * and checked exactly as one read from a socket. NULL: the network. */
        int (*exchange)(void *ctx, const uint8_t *query, size_t qlen, uint8_t *reply, size_t cap,
                        size_t *rlen);
        void *exchange_ctx;
};

enum dns_status {
        DNS_FOUND_SRV,      /* targets from _xmpps-server/_xmpp-server SRV records */
        DNS_FOUND_FALLBACK, /* no SRV at all: the domain's A/AAAA on 5269 (RFC 6120 §3.2.2) */
        DNS_NO_SERVICE,     /* lone "." SRV target: do not connect (RFC 6120 §3.2.1) */
        DNS_NXDOMAIN,       /* no SRV and the domain does not exist */
        DNS_NO_ADDRESS,     /* names found, but no target has an address */
        DNS_ERROR           /* SERVFAIL, REFUSED, timeout, bad reply: err names server and query */
};

struct dns_target {
        char host[DNS_HOST_MAX]; /* SRV target, or the domain itself on fallback */
        uint16_t port;
        uint16_t priority; /* SRV fields; 0 on fallback */
        uint16_t weight;
        bool direct_tls; /* from _xmpps-server: TLS at connect, no STARTTLS (XEP-0368 §3) */
        bool from_srv;
        size_t naddrs; /* IPv6 first, then IPv4; each with port set, ready for connect() */
        struct sockaddr_storage addrs[DNS_MAX_ADDRS];
        char note[200]; /* why naddrs is 0, e.g. "A/AAAA of x.test.: NXDOMAIN" */
};

struct dns_target_list {
        enum dns_status status;
        size_t count;
        struct dns_target targets[DNS_MAX_TARGETS];
        size_t dropped; /* SRV records beyond DNS_MAX_TARGETS (after ordering) */
};

/*
 * Finds where to connect for an S2S stream to domain (an A-label domain name; one
 * trailing dot allowed; an IP literal is used as is on 5269):
 *   1. SRV `_xmpps-server._tcp.D` and `_xmpp-server._tcp.D`; the records are merged
 *      and ordered by priority, then RFC 2782 weighted random order (XEP-0368 §3).
 *      A lone "." in _xmpp-server with no xmpps record: DNS_NO_SERVICE. A lone "."
 *      in _xmpps-server: use _xmpp-server only, and never fall back to A/AAAA.
 *   2. No SRV record at all (NXDOMAIN or NODATA for both): A/AAAA of D on port 5269.
 *   3. Each SRV target's A/AAAA: from the additional section when it has any,
 *      else queried (AAAA then A).
 * A query that times out, or ends in SERVFAIL/REFUSED/another error, makes the
 * whole lookup DNS_ERROR (an address query for one SRV target with a negative answer
 * only leaves that target without addresses, see note). Each query takes at most
 * (retries + 1) * timeout_ms. Returns the status (also stored in out->status);
 * err gets a one-line explanation for every status other than the two FOUND ones.
 */
enum dns_status dns_find_targets(const struct dns_resolver_config *c, const char *domain,
                                 struct dns_target_list *out, char *err, size_t errlen);

/*
 * Addresses for one explicit host and port (RFC 6120 §3.2.3, a configured host
 * replaces SRV). An IP literal is used as is, without DNS. Fills *out (from_srv
 * false). Returns DNS_FOUND_FALLBACK, DNS_NXDOMAIN, DNS_NO_ADDRESS or DNS_ERROR.
 */
enum dns_status dns_resolve_host(const struct dns_resolver_config *c, const char *host,
                                 uint16_t port, bool direct_tls, struct dns_target *out, char *err,
                                 size_t errlen);

/* One SRV record for dns_srv_order. */
struct dns_srv {
        uint16_t priority;
        uint16_t weight;
        uint16_t port;
        bool direct_tls;
        size_t index; /* the caller's reference to the record */
};

/*
 * Orders recs in place as RFC 2782 says: ascending priority; within one priority,
 * repeated weighted random selection (zero weights first in the running sum, so they
 * are picked rarely). rng as in dns_resolver_config (NULL: gnutls_rnd).
 */
void dns_srv_order(struct dns_srv *recs, size_t n, uint32_t (*rng)(void *ctx), void *rng_ctx);

/*
 * Parses "host", "host:port", "1.2.3.4:port", "[v6]:port", "[v6]" or a bare "v6"
 * (no port) into host (text without brackets) and *port. Without a port *port is
 * default_port; default_port 0 makes the port mandatory. Returns 0, or -1 with a
 * message in err (empty host, bad port, bad brackets, bad characters, too long).
 */
int dns_parse_hostport(const char *s, uint16_t default_port, char *host, size_t hostlen,
                       uint16_t *port, char *err, size_t errlen);

/* As dns_parse_hostport for a place to listen: the port may also be 0 ("any free
 * port"), and a missing port is 0. */
int dns_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port, char *err,
                     size_t errlen);

/* "127.0.0.1:5269" or "[::1]:5269" into buf. Returns 0, or -1 (not IPv4/IPv6, space). */
int dns_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len);

/* "FOUND_SRV", "NO_SERVICE", ... for logs and reports. */
const char *dns_status_name(enum dns_status s);

#endif
