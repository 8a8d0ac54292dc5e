#include "dns.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <ldns/ldns.h>

#include "rules.h"

#define DNS_MAX_SRV 64           /* SRV records read from the two answers together */
#define DNS_MAX_CNAME_HOPS 8     /* CNAME chain followed inside one address answer */
#define DNS_DEFAULT_TIMEOUT 2000 /* ms per try */
#define DNS_EDNS_SIZE 1232       /* advertised UDP size (DNS flag day 2020) */
#define DNS_MAX_TRIES 255        /* ldns keeps the try count in a uint8_t */

/* One resolution: the resolver, where it points, and where errors go. */
struct dns_ctx {
        const struct dns_resolver_config *c;
        ldns_resolver *res;
        char server[160]; /* "127.0.0.1 port 5353 (udp)" for messages */
        char *err;
        size_t errlen;
};

enum qres {
        Q_OK,       /* NOERROR (records or NODATA) */
        Q_NXDOMAIN, /* the name does not exist */
        Q_FAIL      /* timeout, SERVFAIL, REFUSED, mismatched reply...: message in err */
};

static uint32_t rng_gnutls(void *ctx)
{
        uint32_t v = 0;

        (void)ctx;
        /* RFC 2782 only needs spread, not secrecy; a failing RNG degrades to order. */
        if (gnutls_rnd(GNUTLS_RND_NONCE, &v, sizeof(v)) != 0)
                v = 0;
        return v;
}

const char *dns_status_name(enum dns_status s)
{
        switch (s) {
        case DNS_FOUND_SRV:
                return "FOUND_SRV";
        case DNS_FOUND_FALLBACK:
                return "FOUND_FALLBACK";
        case DNS_NO_SERVICE:
                return "NO_SERVICE";
        case DNS_NXDOMAIN:
                return "NXDOMAIN";
        case DNS_NO_ADDRESS:
                return "NO_ADDRESS";
        case DNS_ERROR:
                return "ERROR";
        }
        return "?";
}

int dns_addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
        char a[INET6_ADDRSTRLEN];
        int n;

        if (ss->ss_family == AF_INET) {
                const struct sockaddr_in *s4 = (const struct sockaddr_in *)ss;

                if (inet_ntop(AF_INET, &s4->sin_addr, a, sizeof(a)) == NULL)
                        return -1;
                n = snprintf(buf, len, "%s:%u", a, (unsigned)ntohs(s4->sin_port));
        } else if (ss->ss_family == AF_INET6) {
                const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)ss;

                if (inet_ntop(AF_INET6, &s6->sin6_addr, a, sizeof(a)) == NULL)
                        return -1;
                n = snprintf(buf, len, "[%s]:%u", a, (unsigned)ntohs(s6->sin6_port));
        } else {
                return -1;
        }
        return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* Uniform in [0, total] (RFC 2782 "between 0 and the sum, inclusive"). */
static uint32_t rng_upto(uint32_t total, uint32_t (*rng)(void *), void *ctx)
{
        uint64_t range = (uint64_t)total + 1, limit;
        uint32_t v = 0;
        unsigned i;

        if (total == 0)
                return 0;
        /* Rejection sampling against modulo bias, bounded; the last draw is kept. */
        limit = (UINT64_C(1) << 32) - ((UINT64_C(1) << 32) % range);
        for (i = 0; i < 16; i++) {
                v = rng(ctx);
                if (v < limit)
                        break;
        }
        return (uint32_t)(v % range);
}

void dns_srv_order(struct dns_srv *recs, size_t n, uint32_t (*rng)(void *ctx), void *rng_ctx)
{
        size_t i, j, start, end, pos;

        if (rng == NULL)
                rng = rng_gnutls;
        /* Stable: records of equal priority keep the order the server gave. */
        for (i = 1; i < n; i++) {
                struct dns_srv tmp = recs[i];

                for (j = i; j > 0 && recs[j - 1].priority > tmp.priority; j--)
                        recs[j] = recs[j - 1];
                recs[j] = tmp;
        }
        for (start = 0; start < n; start = end) {
                for (end = start; end < n && recs[end].priority == recs[start].priority; end++)
                        ;
                /* RFC 2782: weight-0 records first in the running sum. */
                for (i = start + 1; i < end; i++) {
                        struct dns_srv tmp = recs[i];

                        if (tmp.weight != 0)
                                continue;
                        for (j = i; j > start && recs[j - 1].weight != 0; j--)
                                recs[j] = recs[j - 1];
                        recs[j] = tmp;
                }
                for (pos = start; pos + 1 < end; pos++) {
                        uint32_t total = 0, running = 0, r;
                        size_t pick = end - 1;
                        struct dns_srv tmp;

                        for (i = pos; i < end; i++)
                                total += recs[i].weight;
                        r = rng_upto(total, rng, rng_ctx);
                        for (i = pos; i < end; i++) {
                                running += recs[i].weight;
                                if (running >= r) {
                                        pick = i;
                                        break;
                                }
                        }
                        tmp = recs[pick];
                        for (j = pick; j > pos; j--)
                                recs[j] = recs[j - 1];
                        recs[pos] = tmp;
                }
        }
}

/* Letters, digits, '-', '_' and dots between non-empty labels of at most 63. */
static int check_name(const char *s, char *err, size_t errlen, const char *what)
{
        size_t len = strlen(s), label = 0, i;

        if (len == 0) {
                snprintf(err, errlen, "%s is empty", what);
                return -1;
        }
        if (len > 253) {
                snprintf(err, errlen, "%s is longer than 253 characters", what);
                return -1;
        }
        for (i = 0; i < len; i++) {
                unsigned char ch = (unsigned char)s[i];

                if (ch == '.') {
                        if (label == 0) {
                                snprintf(err, errlen, "%s '%s' has an empty label", what, s);
                                return -1;
                        }
                        label = 0;
                        continue;
                }
                if (ch >= 0x80) {
                        snprintf(err, errlen,
                                 "%s '%s' is not ASCII: give the A-label (xn--...) form", what, s);
                        return -1;
                }
                if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                      (ch >= '0' && ch <= '9') || ch == '-' || ch == '_')) {
                        snprintf(err, errlen, "%s '%s' contains '%c'", what, s, ch);
                        return -1;
                }
                if (++label > 63) {
                        snprintf(err, errlen, "%s '%s' has a label longer than 63", what, s);
                        return -1;
                }
        }
        return 0;
}

static int parse_port(const char *s, uint16_t *port, char *err, size_t errlen)
{
        char *end = NULL;
        unsigned long v;
        size_t i;

        for (i = 0; s[i] != '\0'; i++)
                if (s[i] < '0' || s[i] > '9')
                        break;
        if (i == 0 || s[i] != '\0' || i > 5) {
                snprintf(err, errlen, "port '%s' is not a number from 1 to 65535", s);
                return -1;
        }
        errno = 0;
        v = strtoul(s, &end, 10);
        if (errno != 0 || end == NULL || *end != '\0' || v == 0 || v > 65535) {
                snprintf(err, errlen, "port '%s' is not a number from 1 to 65535", s);
                return -1;
        }
        *port = (uint16_t)v;
        return 0;
}

int dns_parse_hostport(const char *s, uint16_t default_port, char *host, size_t hostlen,
                       uint16_t *port, char *err, size_t errlen)
{
        unsigned char tmp[16];
        const char *h, *p = NULL, *colon;
        size_t hlen;
        bool literal6 = false;

        if (s == NULL || s[0] == '\0') {
                snprintf(err, errlen, "empty address: expected host[:port] or [IPv6]:port");
                return -1;
        }
        if (s[0] == '[') {
                const char *close = strchr(s, ']');

                if (close == NULL) {
                        snprintf(err, errlen, "'%s': '[' without ']'", s);
                        return -1;
                }
                h = s + 1;
                hlen = (size_t)(close - h);
                if (close[1] == ':')
                        p = close + 2;
                else if (close[1] != '\0') {
                        snprintf(err, errlen, "'%s': expected ':port' after ']'", s);
                        return -1;
                }
                literal6 = true;
        } else {
                colon = strchr(s, ':');
                h = s;
                if (colon != NULL && strchr(colon + 1, ':') != NULL) {
                        /* Several colons: a bare IPv6 literal, which cannot carry a port. */
                        hlen = strlen(s);
                        literal6 = true;
                } else if (colon != NULL) {
                        hlen = (size_t)(colon - s);
                        p = colon + 1;
                } else {
                        hlen = strlen(s);
                }
        }
        if (hlen == 0) {
                snprintf(err, errlen, "'%s': empty host", s);
                return -1;
        }
        if (hlen >= hostlen || hlen > 253) {
                snprintf(err, errlen, "'%s': host too long", s);
                return -1;
        }
        memcpy(host, h, hlen);
        host[hlen] = '\0';
        if (literal6 && inet_pton(AF_INET6, host, tmp) != 1) {
                snprintf(err, errlen, "'%s' is not an IPv6 address (use [IPv6]:port)", host);
                return -1;
        }
        if (!literal6 && inet_pton(AF_INET, host, tmp) != 1 &&
            check_name(host, err, errlen, "host") != 0)
                return -1;
        if (p != NULL)
                return parse_port(p, port, err, errlen);
        if (default_port == 0) {
                snprintf(err, errlen, "'%s': a port is required (host:port or [IPv6]:port)", s);
                return -1;
        }
        *port = default_port;
        return 0;
}

/* An IP literal into a sockaddr with port; 0, or -1 when s is not one. */
static int literal_addr(const char *s, uint16_t port, struct sockaddr_storage *ss)
{
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        memset(ss, 0, sizeof(*ss));
        if (inet_pton(AF_INET, s, &s4->sin_addr) == 1) {
                s4->sin_family = AF_INET;
                s4->sin_port = htons(port);
                return 0;
        }
        memset(ss, 0, sizeof(*ss));
        if (inet_pton(AF_INET6, s, &s6->sin6_addr) == 1) {
                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(port);
                return 0;
        }
        return -1;
}

static void ctx_close(struct dns_ctx *x)
{
        ldns_resolver_deep_free(x->res);
        x->res = NULL;
}

/* Builds the resolver by hand so that a given server never involves /etc/resolv.conf. */
static int ctx_open(struct dns_ctx *x, const struct dns_resolver_config *c, char *err,
                    size_t errlen)
{
        unsigned timeout_ms = c->timeout_ms != 0 ? c->timeout_ms : DNS_DEFAULT_TIMEOUT;
        unsigned tries = c->retries >= DNS_MAX_TRIES ? DNS_MAX_TRIES : c->retries + 1;
        uint16_t port = c->port != 0 ? c->port : 53;
        const char *proto = c->tcp ? "tcp" : "udp";
        struct timeval tv;
        ldns_status st;

        memset(x, 0, sizeof(*x));
        x->c = c;
        x->err = err;
        x->errlen = errlen;
        if (c->server != NULL) {
                unsigned char tmp[16];
                ldns_rdf *ns = NULL;

                if (inet_pton(AF_INET, c->server, tmp) == 1)
                        ns = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, tmp);
                else if (inet_pton(AF_INET6, c->server, tmp) == 1)
                        ns = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, tmp);
                else {
                        snprintf(err, errlen, "DNS server '%s' is not an IPv4/IPv6 address",
                                 c->server);
                        return -1;
                }
                x->res = ldns_resolver_new();
                if (ns == NULL || x->res == NULL ||
                    ldns_resolver_push_nameserver(x->res, ns) != LDNS_STATUS_OK) {
                        ldns_rdf_deep_free(ns);
                        snprintf(err, errlen, "DNS server %s: out of memory", c->server);
                        goto fail;
                }
                ldns_rdf_deep_free(ns);
                snprintf(x->server, sizeof(x->server), "%s port %u (%s)", c->server, (unsigned)port,
                         proto);
        } else {
                char *first = NULL;

                st = ldns_resolver_new_frm_file(&x->res, NULL);
                if (st != LDNS_STATUS_OK || x->res == NULL ||
                    ldns_resolver_nameserver_count(x->res) == 0) {
                        snprintf(err, errlen, "system resolver (/etc/resolv.conf): %s",
                                 st != LDNS_STATUS_OK ? ldns_get_errorstr_by_id(st)
                                                      : "no nameserver");
                        goto fail;
                }
                first = ldns_rdf2str(ldns_resolver_nameservers(x->res)[0]);
                snprintf(x->server, sizeof(x->server), "%s port %u (%s, from /etc/resolv.conf%s)",
                         first != NULL ? first : "?", (unsigned)port, proto,
                         ldns_resolver_nameserver_count(x->res) > 1 ? ", first of several" : "");
                free(first);
        }
        tv.tv_sec = (time_t)(timeout_ms / 1000);
        tv.tv_usec = (suseconds_t)((timeout_ms % 1000) * 1000);
        ldns_resolver_set_port(x->res, port);
        ldns_resolver_set_timeout(x->res, tv);
        ldns_resolver_set_retry(x->res, (uint8_t)tries);
        ldns_resolver_set_retrans(x->res, 0); /* else ldns sleeps seconds between servers */
        ldns_resolver_set_usevc(x->res, c->tcp);
        ldns_resolver_set_fallback(x->res, true); /* TC=1 over UDP: retry over TCP */
        ldns_resolver_set_recursive(x->res, true);
        ldns_resolver_set_dnssec(x->res, false);
        ldns_resolver_set_defnames(x->res, false);
        ldns_resolver_set_dnsrch(x->res, false);
        ldns_resolver_set_random(x->res, false);
        ldns_resolver_set_fail(x->res, false);
        ldns_resolver_set_edns_udp_size(x->res, DNS_EDNS_SIZE);
        return 0;
fail:
        ctx_close(x);
        return -1;
}

/* "name TYPE" for messages. */
static void describe(const ldns_rdf *name, ldns_rr_type t, char *buf, size_t len)
{
        char *n = ldns_rdf2str(name), *ts = ldns_rr_type2str(t);

        snprintf(buf, len, "%s %s", n != NULL ? n : "?", ts != NULL ? ts : "?");
        free(n);
        free(ts);
}

/* dns_resolver_config.exchange in place of ldns_resolver_send_pkt: the same statuses
 * (no reply is a network error), the reply decoded by ldns_wire2pkt as ldns does. */
static ldns_status exchange(struct dns_ctx *x, const ldns_pkt *q, ldns_pkt **out)
{
        uint8_t *wire = NULL, reply[LDNS_MAX_PACKETLEN];
        size_t wlen = 0, rlen = 0;
        ldns_status st = ldns_pkt2wire(&wire, q, &wlen);

        *out = NULL;
        if (st != LDNS_STATUS_OK)
                return st;
        if (x->c->exchange(x->c->exchange_ctx, wire, wlen, reply, sizeof(reply), &rlen) != 0 ||
            rlen > sizeof(reply))
                st = LDNS_STATUS_NETWORK_ERR;
        else
                st = ldns_wire2pkt(out, reply, rlen);
        free(wire);
        return st;
}

/*
 * One query. ldns takes the first datagram that reaches its socket, so the id and
 * the question are checked here (RFC 5452 §9.1) before the answer is believed.
 */
static enum qres ctx_query(struct dns_ctx *x, const ldns_rdf *name, ldns_rr_type t, ldns_pkt **out)
{
        ldns_pkt *q = NULL, *a = NULL;
        const ldns_rr *qq;
        ldns_status st;
        uint16_t id = 0;
        char what[DNS_HOST_MAX + 32];
        unsigned timeout_ms = x->c->timeout_ms != 0 ? x->c->timeout_ms : DNS_DEFAULT_TIMEOUT;
        enum qres r = Q_FAIL;

        *out = NULL;
        describe(name, t, what, sizeof(what));
        st = ldns_resolver_prepare_query_pkt(&q, x->res, name, t, LDNS_RR_CLASS_IN, LDNS_RD);
        if (st != LDNS_STATUS_OK || q == NULL) {
                snprintf(x->err, x->errlen, "DNS query %s: cannot build it (%s)", what,
                         ldns_get_errorstr_by_id(st));
                goto fail;
        }
        if (gnutls_rnd(GNUTLS_RND_NONCE, &id, sizeof(id)) == 0)
                ldns_pkt_set_id(q, id);
        id = ldns_pkt_id(q);
        st = x->c->exchange != NULL ? exchange(x, q, &a) : ldns_resolver_send_pkt(&a, x->res, q);
        if (st == LDNS_STATUS_NETWORK_ERR || st == LDNS_STATUS_RES_NO_NS) {
                snprintf(x->err, x->errlen,
                         "DNS query %s to %s: no answer within %u ms x %u tries (%s)", what,
                         x->server, timeout_ms, (unsigned)ldns_resolver_retry(x->res),
                         ldns_get_errorstr_by_id(st));
                goto fail;
        }
        if (st != LDNS_STATUS_OK || a == NULL) {
                snprintf(x->err, x->errlen, "DNS query %s to %s: failed (%s)", what, x->server,
                         ldns_get_errorstr_by_id(st != LDNS_STATUS_OK ? st : LDNS_STATUS_ERR));
                goto fail;
        }
        qq = ldns_rr_list_rr_count(ldns_pkt_question(a)) == 1
                 ? ldns_rr_list_rr(ldns_pkt_question(a), 0)
                 : NULL;
        if (ldns_pkt_id(a) != id || !ldns_pkt_qr(a) || qq == NULL || ldns_rr_get_type(qq) != t ||
            ldns_rr_get_class(qq) != LDNS_RR_CLASS_IN ||
            ldns_dname_compare(ldns_rr_owner(qq), name) != 0) {
                snprintf(x->err, x->errlen,
                         "DNS query %s to %s: the reply does not match the query (id or "
                         "question)",
                         what, x->server);
                goto fail;
        }
        if (ldns_pkt_tc(a)) {
                snprintf(x->err, x->errlen, "DNS query %s to %s: the reply is truncated (TC=1)",
                         what, x->server);
                goto fail;
        }
        switch (ldns_pkt_get_rcode(a)) {
        case LDNS_RCODE_NOERROR:
                r = Q_OK;
                break;
        case LDNS_RCODE_NXDOMAIN:
                r = Q_NXDOMAIN;
                break;
        default: {
                char *rc = ldns_pkt_rcode2str(ldns_pkt_get_rcode(a));

                snprintf(x->err, x->errlen, "DNS query %s to %s: answered %s", what, x->server,
                         rc != NULL ? rc : "an error");
                free(rc);
                goto fail;
        }
        }
        ldns_pkt_free(q);
        *out = a;
        return r;
fail:
        ldns_pkt_free(q);
        ldns_pkt_free(a);
        return Q_FAIL;
}

/* Adds an A/AAAA rdf to t unless full or already there. */
static void target_add_addr(struct dns_target *t, const ldns_rdf *rdf)
{
        struct sockaddr_storage ss;
        size_t i;

        memset(&ss, 0, sizeof(ss));
        if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_A && ldns_rdf_size(rdf) == 4) {
                struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

                s4->sin_family = AF_INET;
                s4->sin_port = htons(t->port);
                memcpy(&s4->sin_addr, ldns_rdf_data(rdf), 4);
        } else if (ldns_rdf_get_type(rdf) == LDNS_RDF_TYPE_AAAA && ldns_rdf_size(rdf) == 16) {
                struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

                s6->sin6_family = AF_INET6;
                s6->sin6_port = htons(t->port);
                memcpy(&s6->sin6_addr, ldns_rdf_data(rdf), 16);
        } else {
                return;
        }
        for (i = 0; i < t->naddrs; i++)
                if (memcmp(&t->addrs[i], &ss, sizeof(ss)) == 0)
                        return;
        if (t->naddrs < DNS_MAX_ADDRS)
                t->addrs[t->naddrs++] = ss;
}

/*
 * Adds the type-t records of name from one section of pkt, following CNAMEs inside
 * that section (a recursive resolver puts the chain in the answer). Returns how many
 * records matched.
 */
static size_t take_addrs(const ldns_pkt *pkt, ldns_pkt_section sec, const ldns_rdf *name,
                         ldns_rr_type t, struct dns_target *tg)
{
        const ldns_rr_list *list =
            sec == LDNS_SECTION_ANSWER ? ldns_pkt_answer(pkt) : ldns_pkt_additional(pkt);
        const ldns_rdf *cur = name;
        size_t i, n, found = 0;
        unsigned hops;

        if (list == NULL)
                return 0;
        n = ldns_rr_list_rr_count(list);
        for (hops = 0; hops < DNS_MAX_CNAME_HOPS; hops++) {
                const ldns_rdf *next = NULL;

                for (i = 0; i < n && next == NULL; i++) {
                        const ldns_rr *rr = ldns_rr_list_rr(list, i);

                        if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME &&
                            ldns_rr_rd_count(rr) == 1 &&
                            ldns_dname_compare(ldns_rr_owner(rr), cur) == 0)
                                next = ldns_rr_rdf(rr, 0);
                }
                if (next == NULL)
                        break;
                cur = next;
        }
        for (i = 0; i < n; i++) {
                const ldns_rr *rr = ldns_rr_list_rr(list, i);

                if (ldns_rr_get_type(rr) != t || ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
                    ldns_rr_rd_count(rr) != 1 || ldns_dname_compare(ldns_rr_owner(rr), cur) != 0)
                        continue;
                target_add_addr(tg, ldns_rr_rdf(rr, 0));
                found++;
        }
        return found;
}

/*
 * Queries AAAA then A of name into tg. Returns 0 (addresses or not: tg->note says
 * why none), 1 when both answers were NXDOMAIN, -1 when a query failed (err set).
 */
static int resolve_addrs(struct dns_ctx *x, const ldns_rdf *name, struct dns_target *tg)
{
        static const ldns_rr_type types[2] = {LDNS_RR_TYPE_AAAA, LDNS_RR_TYPE_A};
        unsigned nx = 0, i;

        for (i = 0; i < 2; i++) {
                ldns_pkt *a = NULL;
                enum qres r = ctx_query(x, name, types[i], &a);

                if (r == Q_FAIL)
                        return -1;
                if (r == Q_NXDOMAIN)
                        nx++;
                else
                        (void)take_addrs(a, LDNS_SECTION_ANSWER, name, types[i], tg);
                ldns_pkt_free(a);
        }
        if (tg->naddrs == 0) {
                char *n = ldns_rdf2str(name);

                snprintf(tg->note, sizeof(tg->note), "A/AAAA of %s: %s", n != NULL ? n : "?",
                         nx == 2 ? "NXDOMAIN" : "no address records");
                free(n);
        }
        return nx == 2 ? 1 : 0;
}

/* Text of a name without the trailing dot. */
static void name_text(const ldns_rdf *name, char *buf, size_t len)
{
        char *s = ldns_rdf2str(name);
        size_t n;

        if (s == NULL) {
                snprintf(buf, len, "?");
                return;
        }
        n = strlen(s);
        if (n > 1 && s[n - 1] == '.')
                s[n - 1] = '\0';
        snprintf(buf, len, "%s", s);
        free(s);
}

/* What one SRV query found. */
enum srv_kind {
        SRV_NONE,   /* NXDOMAIN or NODATA */
        SRV_DOT,    /* the lone "." record */
        SRV_RECORDS /* usable records */
};

struct srv_set {
        ldns_pkt *pkt; /* kept for the additional section */
        enum srv_kind kind;
};

/* Appends the usable SRV records of one answer to recs/targets (targets borrowed from
 * set->pkt's records are cloned). Returns 0 or -1 (memory). */
static int srv_collect(struct dns_ctx *x, const ldns_rdf *qname, bool direct_tls,
                       struct srv_set *set, struct dns_srv *recs, ldns_rdf **targets, size_t *n)
{
        ldns_rr_list *l;
        size_t i, cnt, dots = 0, good = 0;
        enum qres r;

        set->kind = SRV_NONE;
        r = ctx_query(x, qname, LDNS_RR_TYPE_SRV, &set->pkt);
        if (r == Q_FAIL)
                return -1;
        if (r == Q_NXDOMAIN)
                return 0;
        l = ldns_pkt_rr_list_by_name_and_type(set->pkt, qname, LDNS_RR_TYPE_SRV,
                                              LDNS_SECTION_ANSWER);
        if (l == NULL)
                return 0; /* NODATA */
        cnt = ldns_rr_list_rr_count(l);
        for (i = 0; i < cnt; i++) {
                const ldns_rr *rr = ldns_rr_list_rr(l, i);
                const ldns_rdf *tg;

                if (ldns_rr_rd_count(rr) != 4 ||
                    ldns_rdf_get_type(ldns_rr_rdf(rr, 3)) != LDNS_RDF_TYPE_DNAME)
                        continue;
                tg = ldns_rr_rdf(rr, 3);
                if (ldns_dname_label_count(tg) == 0) {
                        dots++;
                        continue;
                }
                good++;
                if (*n >= DNS_MAX_SRV)
                        continue;
                targets[*n] = ldns_rdf_clone(tg);
                if (targets[*n] == NULL) {
                        ldns_rr_list_deep_free(l);
                        snprintf(x->err, x->errlen, "out of memory");
                        return -1;
                }
                recs[*n].priority = ldns_rdf2native_int16(ldns_rr_rdf(rr, 0));
                recs[*n].weight = ldns_rdf2native_int16(ldns_rr_rdf(rr, 1));
                recs[*n].port = ldns_rdf2native_int16(ldns_rr_rdf(rr, 2));
                recs[*n].direct_tls = direct_tls;
                recs[*n].index = *n;
                (*n)++;
        }
        ldns_rr_list_deep_free(l);
        /* RFC 2782: "." means "decidedly not available" only as the single record;
         * mixed with real targets it is ignored. */
        if (good > 0)
                set->kind = SRV_RECORDS;
        else if (dots == 1 && cnt == 1)
                set->kind = SRV_DOT;
        return 0;
}

static enum dns_status finish(struct dns_target_list *out, enum dns_status s)
{
        out->status = s;
        return s;
}

/* Fallback on the domain's own A/AAAA at port 5269 (RFC 6120 §3.2.2). */
static enum dns_status fallback(struct dns_ctx *x, const ldns_rdf *dname, const char *domain,
                                struct dns_target_list *out)
{
        struct dns_target *t = &out->targets[0];
        int r;

        memset(t, 0, sizeof(*t));
        snprintf(t->host, sizeof(t->host), "%s", domain);
        t->port = DNS_XMPP_PORT;
        r = resolve_addrs(x, dname, t);
        if (r < 0)
                return finish(out, DNS_ERROR);
        out->count = 1;
        if (r == 1) {
                snprintf(x->err, x->errlen,
                         "%s: no _xmpp-server/_xmpps-server SRV and the domain does not exist "
                         "(NXDOMAIN from %s)",
                         domain, x->server);
                return finish(out, DNS_NXDOMAIN);
        }
        if (t->naddrs == 0) {
                snprintf(x->err, x->errlen,
                         "%s: no _xmpp-server/_xmpps-server SRV and no A/AAAA record (from %s)",
                         domain, x->server);
                return finish(out, DNS_NO_ADDRESS);
        }
        return finish(out, DNS_FOUND_FALLBACK);
}

/* Addresses of every ordered SRV target: glue first, else queries. */
static int srv_addresses(struct dns_ctx *x, struct dns_target_list *out, ldns_rdf **names,
                         const struct srv_set *sets, size_t nsets)
{
        size_t i, j, k;

        for (i = 0; i < out->count; i++) {
                struct dns_target *t = &out->targets[i];
                bool copied = false;
                size_t glue = 0;

                for (j = 0; j < i && !copied; j++) {
                        if (ldns_dname_compare(names[i], names[j]) != 0)
                                continue;
                        /* Same host as an earlier target: reuse, with this port. */
                        for (k = 0; k < out->targets[j].naddrs; k++) {
                                struct sockaddr_storage *ss = &t->addrs[k];

                                *ss = out->targets[j].addrs[k];
                                if (ss->ss_family == AF_INET)
                                        ((struct sockaddr_in *)ss)->sin_port = htons(t->port);
                                else
                                        ((struct sockaddr_in6 *)ss)->sin6_port = htons(t->port);
                        }
                        t->naddrs = out->targets[j].naddrs;
                        memcpy(t->note, out->targets[j].note, sizeof(t->note));
                        copied = true;
                }
                if (copied)
                        continue;
                for (j = 0; j < nsets; j++) {
                        if (sets[j].pkt == NULL)
                                continue;
                        glue += take_addrs(sets[j].pkt, LDNS_SECTION_ADDITIONAL, names[i],
                                           LDNS_RR_TYPE_AAAA, t);
                        glue += take_addrs(sets[j].pkt, LDNS_SECTION_ADDITIONAL, names[i],
                                           LDNS_RR_TYPE_A, t);
                }
                if (glue == 0 && resolve_addrs(x, names[i], t) < 0)
                        return -1;
        }
        return 0;
}

enum dns_status dns_find_targets(const struct dns_resolver_config *c, const char *domain,
                                 struct dns_target_list *out, char *err, size_t errlen)
{
        static const char *const services[2] = {"_xmpps-server", "_xmpp-server"};
        struct dns_ctx x;
        struct srv_set sets[2];
        struct dns_srv recs[DNS_MAX_SRV];
        ldns_rdf *targets[DNS_MAX_SRV], *ordered[DNS_MAX_TARGETS];
        ldns_rdf *dname = NULL, *qname = NULL;
        char dom[DNS_HOST_MAX], qtext[DNS_HOST_MAX + 32];
        size_t n = 0, i, len;
        enum dns_status s = DNS_ERROR;

        memset(out, 0, sizeof(*out));
        memset(sets, 0, sizeof(sets));
        memset(&x, 0, sizeof(x));
        out->status = DNS_ERROR;
        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (domain == NULL || (len = strlen(domain)) == 0 || len >= sizeof(dom)) {
                snprintf(err, errlen, "domain is empty or too long");
                return DNS_ERROR;
        }
        memcpy(dom, domain, len + 1);
        if (len > 1 && dom[len - 1] == '.')
                dom[len - 1] = '\0';

        /* An IP literal has no name to look up: connect to it on 5269. */
        if (literal_addr(dom, DNS_XMPP_PORT, &out->targets[0].addrs[0]) == 0) {
                snprintf(out->targets[0].host, sizeof(out->targets[0].host), "%s", dom);
                out->targets[0].port = DNS_XMPP_PORT;
                out->targets[0].naddrs = 1;
                out->count = 1;
                return finish(out, DNS_FOUND_FALLBACK);
        }
        if (check_name(dom, err, errlen, "domain") != 0)
                return DNS_ERROR;
        if (ctx_open(&x, c, err, errlen) != 0)
                return DNS_ERROR;
        dname = ldns_dname_new_frm_str(dom);
        if (dname == NULL) {
                snprintf(err, errlen, "domain '%s' is not a DNS name", dom);
                goto done;
        }

        /* DNS-6 (XEP-0368 §3) and DNS-1 (RFC 6120 §3.2.1): both SRV sets, merged. */
        for (i = 0; i < 2; i++) {
                snprintf(qtext, sizeof(qtext), "%s._tcp.%s", services[i], dom);
                qname = ldns_dname_new_frm_str(qtext);
                if (qname == NULL) {
                        snprintf(err, errlen, "'%s' is not a DNS name (too long?)", qtext);
                        goto done;
                }
                if (srv_collect(&x, qname, i == 0, &sets[i], recs, targets, &n) != 0)
                        goto done;
                ldns_rdf_deep_free(qname);
                qname = NULL;
        }

        if (n == 0) {
                if (sets[1].kind == SRV_DOT) {
                        snprintf(err, errlen,
                                 "_xmpp-server._tcp.%s has the lone SRV target \".\": the domain "
                                 "offers no XMPP server-to-server service (%s)",
                                 dom, rule_cite(RULE_H_DNS_SRV));
                        s = finish(out, DNS_NO_SERVICE);
                } else if (sets[0].kind == SRV_DOT) {
                        snprintf(err, errlen,
                                 "_xmpps-server._tcp.%s has the lone SRV target \".\" and there "
                                 "is no _xmpp-server record; no A/AAAA fallback (%s)",
                                 dom, rule_cite(RULE_H_DNS_XMPPS));
                        s = finish(out, DNS_NO_SERVICE);
                } else {
                        /* DNS-3: no SRV answer at all. */
                        s = fallback(&x, dname, dom, out);
                }
                goto done;
        }

        dns_srv_order(recs, n, c->rng, c->rng_ctx);
        for (i = 0; i < n; i++) {
                struct dns_target *t;

                if (i >= DNS_MAX_TARGETS) {
                        out->dropped++;
                        continue;
                }
                t = &out->targets[i];
                ordered[i] = targets[recs[i].index];
                name_text(ordered[i], t->host, sizeof(t->host));
                t->port = recs[i].port;
                t->priority = recs[i].priority;
                t->weight = recs[i].weight;
                t->direct_tls = recs[i].direct_tls;
                t->from_srv = true;
                out->count++;
        }
        if (srv_addresses(&x, out, ordered, sets, 2) != 0)
                goto done;
        s = DNS_NO_ADDRESS;
        for (i = 0; i < out->count; i++)
                if (out->targets[i].naddrs > 0)
                        s = DNS_FOUND_SRV;
        if (s == DNS_NO_ADDRESS)
                snprintf(err, errlen, "%s: SRV targets found, but none has an address (%s)", dom,
                         out->targets[0].note);
        /* DNS-2 (RFC 6120 §3.2.1): with SRV records, no A/AAAA fallback, even now. */
        finish(out, s);
done:
        for (i = 0; i < n; i++)
                ldns_rdf_deep_free(targets[i]);
        for (i = 0; i < 2; i++)
                ldns_pkt_free(sets[i].pkt);
        ldns_rdf_deep_free(qname);
        ldns_rdf_deep_free(dname);
        ctx_close(&x);
        out->status = s;
        return s;
}

enum dns_status dns_resolve_host(const struct dns_resolver_config *c, const char *host,
                                 uint16_t port, bool direct_tls, struct dns_target *out, char *err,
                                 size_t errlen)
{
        struct dns_ctx x;
        ldns_rdf *name = NULL;
        enum dns_status s = DNS_ERROR;
        int r;

        memset(out, 0, sizeof(*out));
        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (host == NULL) {
                snprintf(err, errlen, "host is empty");
                return DNS_ERROR;
        }
        snprintf(out->host, sizeof(out->host), "%s", host);
        out->port = port;
        out->direct_tls = direct_tls;
        if (literal_addr(host, port, &out->addrs[0]) == 0) {
                out->naddrs = 1;
                return DNS_FOUND_FALLBACK;
        }
        if (check_name(host, err, errlen, "host") != 0)
                return DNS_ERROR;
        if (ctx_open(&x, c, err, errlen) != 0)
                return DNS_ERROR;
        name = ldns_dname_new_frm_str(host);
        if (name == NULL) {
                snprintf(err, errlen, "host '%s' is not a DNS name", host);
                goto done;
        }
        r = resolve_addrs(&x, name, out);
        if (r < 0)
                goto done;
        if (r == 1) {
                snprintf(err, errlen, "%s: NXDOMAIN (from %s)", host, x.server);
                s = DNS_NXDOMAIN;
        } else if (out->naddrs == 0) {
                snprintf(err, errlen, "%s: no A/AAAA record (from %s)", host, x.server);
                s = DNS_NO_ADDRESS;
        } else {
                s = DNS_FOUND_FALLBACK;
        }
done:
        ldns_rdf_deep_free(name);
        ctx_close(&x);
        return s;
}

int dns_parse_listen(const char *s, char *host, size_t hostlen, uint16_t *port, char *err,
                     size_t errlen)
{
        char copy[DNS_HOST_MAX + 16];
        size_t n;
        const char *colon;

        if (s == NULL || strlen(s) >= sizeof(copy)) {
                snprintf(err, errlen, "not an address[:port]");
                return -1;
        }
        snprintf(copy, sizeof(copy), "%s", s);
        n = strlen(copy);
        colon = strrchr(copy, ':');
        /* An explicit ":0" (after "]" or as the only colon) asks for any free port;
         * dns_parse_hostport wants 1..65535, so parse ":1" and give 0. */
        if (n > 2 && strcmp(copy + n - 2, ":0") == 0 &&
            ((n > 3 && copy[n - 3] == ']') || colon == strchr(copy, ':'))) {
                copy[n - 1] = '1';
                if (dns_parse_hostport(copy, 0, host, hostlen, port, err, errlen) != 0)
                        return -1;
                *port = 0;
                return 0;
        }
        /* With a port: as it says. Without: any free port. */
        if (dns_parse_hostport(copy, 0, host, hostlen, port, err, errlen) == 0)
                return 0;
        if (dns_parse_hostport(copy, 1, host, hostlen, port, err, errlen) != 0)
                return -1;
        *port = 0;
        return 0;
}
