/*
 * The harness's own authoritative DNS zone, answered from memory with ldns.
 *
 * A partner finds a harness domain through this zone (design.md §2): every name at
 * or under the apex exists, `_xmpp-server._tcp.<name>` points at the harness's
 * listener and `<name>` A/AAAA are the listener addresses, so each scenario can use
 * a fresh subdomain (`h13-in.harness.test`) with nothing to configure. Extra records
 * for arbitrary owner names (`_xmpp-server._tcp.partner.test` ...) can be added.
 *
 * dnszone_answer() is pure: query bytes in, reply bytes out. The serve helpers at the
 * end do one bounded blocking step on a socket the caller owns (tests, --serve-dns).
 */
#ifndef S2S_DNSZONE_H
#define S2S_DNSZONE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define DNSZONE_MAX_LISTENERS 4 /* per address family */
#define DNSZONE_MAX_EXTRA 64    /* records added with dnszone_add_* */
#define DNSZONE_DEFAULT_TTL 60

struct dnszone_config {
        const char *apex;                             /* "harness.test"; a trailing dot is fine */
        const char *addrs[DNSZONE_MAX_LISTENERS * 2]; /* listener IPv4/IPv6 literals */
        size_t naddrs;
        uint16_t port;            /* STARTTLS port in `_xmpp-server._tcp` SRV answers */
        uint16_t direct_tls_port; /* 0: `_xmpps-server._tcp` answers NODATA (XEP-0368) */
        uint32_t ttl;             /* 0: DNSZONE_DEFAULT_TTL; also the negative-answer TTL */
        /* NULL: an SRV for `_xmpp-server._tcp.N` targets N itself (A/AAAA of N in the
         * additional section). Otherwise this fixed host, e.g. "xmpp.harness.test", or
         * "localhost" for peers that resolve SRV targets through /etc/hosts. */
        const char *srv_host;
        /* true: `_xmpp-server._tcp` SRV under the apex is the lone "." record (RFC 6120
         * §3.2.1 "service not offered"), for tests of a partner's abort path. */
        bool no_service;
        /* true: SRV answers carry no A/AAAA in the additional section, so a resolver
         * must query the targets itself (tests of that path). */
        bool no_glue;
};

struct dns_zone;

/*
 * Builds a zone from cfg (borrowed; nothing is kept). Returns a new zone (free with
 * dnszone_free), or NULL with a message in err: bad apex, bad address, too many
 * listeners, or out of memory.
 */
struct dns_zone *dnszone_new(const struct dnszone_config *cfg, char *err, size_t errlen);

/* Frees the zone and its records; NULL-safe. */
void dnszone_free(struct dns_zone *z);

/*
 * Extra records for any owner name, inside the apex or not. For a name inside the
 * apex, extra records of a type replace the synthesized answer for that type. Each
 * returns 0, or -1 on a bad name/address or when DNSZONE_MAX_EXTRA is reached.
 */
int dnszone_add_srv(struct dns_zone *z, const char *owner, uint16_t priority, uint16_t weight,
                    uint16_t port, const char *target);
/* `owner SRV 0 0 0 .`: the service is decidedly not offered (RFC 2782). */
int dnszone_add_nosrv(struct dns_zone *z, const char *owner);
/* owner A or AAAA, by the form of the address literal. */
int dnszone_add_addr(struct dns_zone *z, const char *owner, const char *addr);
/* Every query for exactly this owner gets rcode (e.g. LDNS_RCODE_SERVFAIL = 2). */
int dnszone_add_rcode(struct dns_zone *z, const char *owner, uint8_t rcode);

enum dnszone_transport {
        DNSZONE_UDP, /* replies above 512 bytes (or the EDNS0 size) are truncated, TC=1 */
        DNSZONE_TCP,
};

enum dnszone_result {
        DNSZONE_REPLY = 0, /* *reply holds a message to send */
        DNSZONE_DROP,      /* send nothing: not a query, or too short to have an id */
        DNSZONE_ERROR = -1 /* out of memory; nothing to send */
};

/*
 * Answers one DNS message (without TCP length prefix). The reply copies the id, RD,
 * CD and question; AA=1, RA=0 (never recursion). Names outside the zone get
 * NXDOMAIN with the apex SOA; non-IN classes REFUSED; opcodes other than QUERY
 * NOTIMP; malformed queries FORMERR (or a drop when there is no header). EDNS0
 * queries get an OPT record (version other than 0: BADVERS, RFC 6891 §6.1.3).
 * On DNSZONE_REPLY *reply is malloc'd and owned by the caller (free()).
 */
enum dnszone_result dnszone_answer(const struct dns_zone *z, const uint8_t *query, size_t qlen,
                                   enum dnszone_transport tr, uint8_t **reply, size_t *rlen);

/* DNS over TCP prefixes each message with its 16-bit length (RFC 1035 §4.2.2). */
/* Appends the 2-byte length and msg to out. Returns 0, or -1 (len 0 or > 65535, or buf). */
int dnszone_tcp_frame(struct buf *out, const uint8_t *msg, size_t len);

enum dnszone_unframe {
        DNSZONE_FRAME_MSG,  /* msg, mlen point into in; consume 2 + mlen bytes */
        DNSZONE_FRAME_MORE, /* need more bytes */
        DNSZONE_FRAME_BAD   /* zero-length message: close the connection */
};

/* Looks for one complete message at the start of in (borrowed). */
enum dnszone_unframe dnszone_tcp_unframe(const uint8_t *in, size_t inlen, const uint8_t **msg,
                                         size_t *mlen);

/*
 * Waits up to timeout_ms for one datagram on udp_fd (caller's bound socket), answers
 * it and sends the reply back to its source. Returns 1 when a datagram was handled
 * (answered or dropped), 0 on timeout, -1 on a socket error.
 */
int dnszone_serve_udp_once(int udp_fd, const struct dns_zone *z, int timeout_ms);

/*
 * Waits up to timeout_ms for a connection on listen_fd, then answers framed queries
 * on it (at most 16, each read waiting at most timeout_ms) until the peer closes, and
 * closes it. Returns 1 when a connection was handled, 0 on timeout, -1 on error.
 */
int dnszone_serve_tcp_once(int listen_fd, const struct dns_zone *z, int timeout_ms);

#endif
