#include "dnszone.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <ldns/ldns.h>

#define ZONE_MAX_RCODES 16
#define ZONE_MAX_SECTION 64 /* records per reply section: bounds every reply */
#define UDP_PLAIN_MAX 512   /* RFC 1035 §4.2.1 */
#define UDP_EDNS_MAX 1232   /* what we advertise and the most we send over UDP */
#define TCP_MAX_QUERIES 16  /* per connection in dnszone_serve_tcp_once */
#define UDP_RECV_MAX 4096   /* a query larger than this is not one we answer */
#define RCODE_BADVERS 16    /* RFC 6891 §9: extended rcode 1, header rcode 0 */

struct zone_rcode {
        ldns_rdf *owner;
        uint8_t rcode;
};

struct dns_zone {
        ldns_rdf *apex;
        ldns_rr *soa;
        ldns_rdf *srv_host; /* NULL: the SRV target is the queried base name */
        uint32_t ttl;
        uint16_t port;
        uint16_t tls_port;
        bool no_service;
        bool no_glue;
        ldns_rdf *v4[DNSZONE_MAX_LISTENERS];
        size_t nv4;
        ldns_rdf *v6[DNSZONE_MAX_LISTENERS];
        size_t nv6;
        ldns_rr_list *extra;
        struct zone_rcode rcodes[ZONE_MAX_RCODES];
        size_t nrcodes;
};

/* Which types the zone synthesizes; extra records of one of these replace it. */
enum {
        HAVE_A = 1,
        HAVE_AAAA = 2,
        HAVE_SRV = 4,
};

static ldns_rdf *name_new(const char *s)
{
        ldns_rdf *d;

        if (s == NULL || s[0] == '\0' || strlen(s) > 254)
                return NULL;
        d = ldns_dname_new_frm_str(s);
        if (d == NULL)
                return NULL;
        if (ldns_rdf_get_type(d) != LDNS_RDF_TYPE_DNAME) {
                ldns_rdf_deep_free(d);
                return NULL;
        }
        return d;
}

/* An A or AAAA rdata from a literal; *type says which. */
static ldns_rdf *addr_new(const char *s, ldns_rr_type *type)
{
        unsigned char tmp[16];

        if (s == NULL)
                return NULL;
        if (inet_pton(AF_INET, s, tmp) == 1) {
                *type = LDNS_RR_TYPE_A;
                return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_A, 4, tmp);
        }
        if (inet_pton(AF_INET6, s, tmp) == 1) {
                *type = LDNS_RR_TYPE_AAAA;
                return ldns_rdf_new_frm_data(LDNS_RDF_TYPE_AAAA, 16, tmp);
        }
        return NULL;
}

static bool name_eq(const ldns_rdf *a, const ldns_rdf *b)
{
        return ldns_dname_compare(a, b) == 0;
}

static bool in_zone(const struct dns_zone *z, const ldns_rdf *name)
{
        return name_eq(name, z->apex) || ldns_dname_is_subdomain(name, z->apex);
}

/* Label idx of a wire-format name equals s, ignoring ASCII case (RFC 4343). */
static bool label_is(const ldns_rdf *name, unsigned idx, const char *s)
{
        const uint8_t *p = ldns_rdf_data(name);
        size_t n = ldns_rdf_size(name), off = 0, slen = strlen(s);
        unsigned i;

        for (i = 0; i <= idx; i++) {
                size_t len, k;

                if (off >= n || p[off] == 0 || p[off] > 63 || off + 1 + p[off] > n)
                        return false;
                len = p[off];
                if (i == idx) {
                        if (len != slen)
                                return false;
                        for (k = 0; k < len; k++) {
                                uint8_t c = p[off + 1 + k];

                                if (c >= 'A' && c <= 'Z')
                                        c = (uint8_t)(c - 'A' + 'a');
                                if (c != (uint8_t)s[k])
                                        return false;
                        }
                        return true;
                }
                off += 1 + len;
        }
        return false;
}

/* Service names (`_xmpp-server._tcp`, ...) are not hosts: no A/AAAA there. */
static bool is_host_name(const ldns_rdf *name)
{
        const uint8_t *p = ldns_rdf_data(name);

        return ldns_rdf_size(name) < 2 || p[0] == 0 || p[1] != '_';
}

/* name = `<service>._tcp.<base>` with base at or under the apex: *base is new. */
static int service_base(const struct dns_zone *z, const ldns_rdf *name, const char *service,
                        ldns_rdf **base)
{
        ldns_rdf *once;

        *base = NULL;
        if (ldns_dname_label_count(name) < ldns_dname_label_count(z->apex) + 2)
                return 0;
        if (!label_is(name, 0, service) || !label_is(name, 1, "_tcp"))
                return 0;
        once = ldns_dname_left_chop(name);
        if (once == NULL)
                return -1;
        *base = ldns_dname_left_chop(once);
        ldns_rdf_deep_free(once);
        return *base != NULL ? 1 : -1;
}

static ldns_rr *rr_make(const ldns_rdf *owner, ldns_rr_type type, uint32_t ttl)
{
        ldns_rr *rr = ldns_rr_new();
        ldns_rdf *o = ldns_rdf_clone(owner);

        if (rr == NULL || o == NULL) {
                ldns_rr_free(rr);
                ldns_rdf_deep_free(o);
                return NULL;
        }
        ldns_rr_set_owner(rr, o);
        ldns_rr_set_type(rr, type);
        ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
        ldns_rr_set_ttl(rr, ttl);
        return rr;
}

/* Pushes rdf (taken over) as the next rdata field. */
static int rr_add(ldns_rr *rr, ldns_rdf *rdf)
{
        if (rdf == NULL)
                return -1;
        if (!ldns_rr_push_rdf(rr, rdf)) {
                ldns_rdf_deep_free(rdf);
                return -1;
        }
        return 0;
}

static ldns_rr *srv_make(const ldns_rdf *owner, uint32_t ttl, uint16_t prio, uint16_t weight,
                         uint16_t port, const ldns_rdf *target)
{
        ldns_rr *rr = rr_make(owner, LDNS_RR_TYPE_SRV, ttl);

        if (rr == NULL)
                return NULL;
        if (rr_add(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, prio)) != 0 ||
            rr_add(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, weight)) != 0 ||
            rr_add(rr, ldns_native2rdf_int16(LDNS_RDF_TYPE_INT16, port)) != 0 ||
            rr_add(rr, ldns_rdf_clone(target)) != 0) {
                ldns_rr_free(rr);
                return NULL;
        }
        return rr;
}

static ldns_rr *addr_rr_make(const ldns_rdf *owner, uint32_t ttl, const ldns_rdf *addr)
{
        ldns_rr_type t =
            ldns_rdf_get_type(addr) == LDNS_RDF_TYPE_A ? LDNS_RR_TYPE_A : LDNS_RR_TYPE_AAAA;
        ldns_rr *rr = rr_make(owner, t, ttl);

        if (rr == NULL)
                return NULL;
        if (rr_add(rr, ldns_rdf_clone(addr)) != 0) {
                ldns_rr_free(rr);
                return NULL;
        }
        return rr;
}

/* Appends rr (taken over) unless the section is full; a full section drops it. */
static int list_push(ldns_rr_list *l, ldns_rr *rr)
{
        if (rr == NULL)
                return -1;
        if (ldns_rr_list_rr_count(l) >= ZONE_MAX_SECTION) {
                ldns_rr_free(rr);
                return 0;
        }
        if (!ldns_rr_list_push_rr(l, rr)) {
                ldns_rr_free(rr);
                return -1;
        }
        return 0;
}

struct dns_zone *dnszone_new(const struct dnszone_config *cfg, char *err, size_t errlen)
{
        struct dns_zone *z;
        char *apex_txt = NULL, line[1024];
        size_t i;

        z = calloc(1, sizeof(*z));
        if (z == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        z->extra = ldns_rr_list_new();
        if (z->extra == NULL) {
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        z->apex = name_new(cfg->apex);
        if (z->apex == NULL || ldns_dname_label_count(z->apex) == 0) {
                snprintf(err, errlen, "zone apex '%s' is not a domain name",
                         cfg->apex != NULL ? cfg->apex : "(null)");
                goto fail;
        }
        if (cfg->srv_host != NULL) {
                z->srv_host = name_new(cfg->srv_host);
                if (z->srv_host == NULL) {
                        snprintf(err, errlen, "SRV host '%s' is not a domain name", cfg->srv_host);
                        goto fail;
                }
        }
        if (cfg->naddrs > DNSZONE_MAX_LISTENERS * 2) {
                snprintf(err, errlen, "too many listener addresses (%zu)", cfg->naddrs);
                goto fail;
        }
        for (i = 0; i < cfg->naddrs; i++) {
                ldns_rr_type t;
                ldns_rdf *a = addr_new(cfg->addrs[i], &t);

                if (a == NULL) {
                        snprintf(err, errlen, "listener address '%s' is not an IP address",
                                 cfg->addrs[i] != NULL ? cfg->addrs[i] : "(null)");
                        goto fail;
                }
                if ((t == LDNS_RR_TYPE_A ? z->nv4 : z->nv6) >= DNSZONE_MAX_LISTENERS) {
                        ldns_rdf_deep_free(a);
                        snprintf(err, errlen, "more than %d listener addresses of one family",
                                 DNSZONE_MAX_LISTENERS);
                        goto fail;
                }
                if (t == LDNS_RR_TYPE_A)
                        z->v4[z->nv4++] = a;
                else
                        z->v6[z->nv6++] = a;
        }
        z->ttl = cfg->ttl != 0 ? cfg->ttl : DNSZONE_DEFAULT_TTL;
        z->port = cfg->port;
        z->tls_port = cfg->direct_tls_port;
        z->no_service = cfg->no_service;
        z->no_glue = cfg->no_glue;

        /* The SOA closes every negative answer; its MINIMUM is the negative TTL
         * (RFC 2308 §5), the same short TTL so fresh scenarios never see stale data. */
        apex_txt = ldns_rdf2str(z->apex);
        if (apex_txt == NULL) {
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        if ((size_t)snprintf(line, sizeof(line),
                             "%s %u IN SOA %s hostmaster.%s 1 3600 600 86400 %u", apex_txt, z->ttl,
                             apex_txt, apex_txt, z->ttl) >= sizeof(line) ||
            ldns_rr_new_frm_str(&z->soa, line, 0, NULL, NULL) != LDNS_STATUS_OK) {
                snprintf(err, errlen, "cannot build the SOA record of '%s'", apex_txt);
                goto fail;
        }
        free(apex_txt);
        return z;
fail:
        free(apex_txt);
        dnszone_free(z);
        return NULL;
}

void dnszone_free(struct dns_zone *z)
{
        size_t i;

        if (z == NULL)
                return;
        ldns_rdf_deep_free(z->apex);
        ldns_rr_free(z->soa);
        ldns_rdf_deep_free(z->srv_host);
        for (i = 0; i < z->nv4; i++)
                ldns_rdf_deep_free(z->v4[i]);
        for (i = 0; i < z->nv6; i++)
                ldns_rdf_deep_free(z->v6[i]);
        ldns_rr_list_deep_free(z->extra);
        for (i = 0; i < z->nrcodes; i++)
                ldns_rdf_deep_free(z->rcodes[i].owner);
        free(z);
}

static int extra_push(struct dns_zone *z, ldns_rr *rr)
{
        if (rr == NULL)
                return -1;
        if (ldns_rr_list_rr_count(z->extra) >= DNSZONE_MAX_EXTRA ||
            !ldns_rr_list_push_rr(z->extra, rr)) {
                ldns_rr_free(rr);
                return -1;
        }
        return 0;
}

int dnszone_add_srv(struct dns_zone *z, const char *owner, uint16_t priority, uint16_t weight,
                    uint16_t port, const char *target)
{
        ldns_rdf *o = name_new(owner), *t = name_new(target);
        int rc = -1;

        if (o != NULL && t != NULL)
                rc = extra_push(z, srv_make(o, z->ttl, priority, weight, port, t));
        ldns_rdf_deep_free(o);
        ldns_rdf_deep_free(t);
        return rc;
}

int dnszone_add_nosrv(struct dns_zone *z, const char *owner)
{
        return dnszone_add_srv(z, owner, 0, 0, 0, ".");
}

int dnszone_add_addr(struct dns_zone *z, const char *owner, const char *addr)
{
        ldns_rr_type t;
        ldns_rdf *o = name_new(owner), *a = addr_new(addr, &t);
        int rc = -1;

        if (o != NULL && a != NULL)
                rc = extra_push(z, addr_rr_make(o, z->ttl, a));
        ldns_rdf_deep_free(o);
        ldns_rdf_deep_free(a);
        return rc;
}

int dnszone_add_rcode(struct dns_zone *z, const char *owner, uint8_t rcode)
{
        ldns_rdf *o;

        if (z->nrcodes >= ZONE_MAX_RCODES || rcode > 15)
                return -1;
        o = name_new(owner);
        if (o == NULL)
                return -1;
        z->rcodes[z->nrcodes].owner = o;
        z->rcodes[z->nrcodes].rcode = rcode;
        z->nrcodes++;
        return 0;
}

/* The synthesized SRV for `_xmpp-server._tcp.N` / `_xmpps-server._tcp.N` under the apex. */
static int synth_srv(const struct dns_zone *z, const ldns_rdf *name, ldns_rr_list *out)
{
        ldns_rdf *base = NULL, *root = NULL;
        const ldns_rdf *target;
        bool starttls;
        int rc;

        rc = service_base(z, name, "_xmpp-server", &base);
        starttls = rc == 1;
        if (rc == 0) {
                rc = service_base(z, name, "_xmpps-server", &base);
                /* XEP-0368: no direct-TLS port configured -> NODATA. */
                if (rc == 1 && z->tls_port == 0)
                        rc = 0;
        }
        if (rc != 1) {
                ldns_rdf_deep_free(base);
                return rc < 0 ? -1 : 0;
        }
        if (starttls && z->no_service) {
                /* RFC 2782 / RFC 6120 §3.2.1: lone "." = service decidedly not offered. */
                root = ldns_dname_new_frm_str(".");
                rc = root != NULL ? list_push(out, srv_make(name, z->ttl, 0, 0, 0, root)) : -1;
        } else {
                target = z->srv_host != NULL ? z->srv_host : base;
                rc = list_push(
                    out, srv_make(name, z->ttl, 0, 0, starttls ? z->port : z->tls_port, target));
        }
        ldns_rdf_deep_free(root);
        ldns_rdf_deep_free(base);
        return rc;
}

/*
 * Appends the records of name and type (LDNS_RR_TYPE_ANY: every type) to out.
 * Returns 1 when the name exists (NODATA rather than NXDOMAIN), 0 when it does
 * not, -1 on allocation failure.
 */
static int zone_lookup(const struct dns_zone *z, const ldns_rdf *name, ldns_rr_type type,
                       ldns_rr_list *out)
{
        unsigned have = 0;
        int exists = 0;
        size_t i;

        for (i = 0; i < ldns_rr_list_rr_count(z->extra); i++) {
                const ldns_rr *rr = ldns_rr_list_rr(z->extra, i);
                ldns_rr_type t = ldns_rr_get_type(rr);

                if (!name_eq(ldns_rr_owner(rr), name))
                        continue;
                exists = 1;
                have |= t == LDNS_RR_TYPE_A      ? HAVE_A
                        : t == LDNS_RR_TYPE_AAAA ? HAVE_AAAA
                                                 : HAVE_SRV;
                if ((type == t || type == LDNS_RR_TYPE_ANY) &&
                    list_push(out, ldns_rr_clone(rr)) != 0)
                        return -1;
        }
        if (!in_zone(z, name))
                return exists;

        /* Every name at or under the apex exists: each scenario's fresh subdomain. */
        if ((type == LDNS_RR_TYPE_SRV || type == LDNS_RR_TYPE_ANY) && !(have & HAVE_SRV) &&
            synth_srv(z, name, out) != 0)
                return -1;
        if (is_host_name(name)) {
                if ((type == LDNS_RR_TYPE_A || type == LDNS_RR_TYPE_ANY) && !(have & HAVE_A))
                        for (i = 0; i < z->nv4; i++)
                                if (list_push(out, addr_rr_make(name, z->ttl, z->v4[i])) != 0)
                                        return -1;
                if ((type == LDNS_RR_TYPE_AAAA || type == LDNS_RR_TYPE_ANY) && !(have & HAVE_AAAA))
                        for (i = 0; i < z->nv6; i++)
                                if (list_push(out, addr_rr_make(name, z->ttl, z->v6[i])) != 0)
                                        return -1;
        }
        if ((type == LDNS_RR_TYPE_SOA || type == LDNS_RR_TYPE_ANY) && name_eq(name, z->apex) &&
            list_push(out, ldns_rr_clone(z->soa)) != 0)
                return -1;
        return 1;
}

static int rcode_override(const struct dns_zone *z, const ldns_rdf *name)
{
        size_t i;

        for (i = 0; i < z->nrcodes; i++)
                if (name_eq(z->rcodes[i].owner, name))
                        return z->rcodes[i].rcode;
        return -1;
}

/* Moves every record of src into pkt's section; src is freed. */
static int push_all(ldns_pkt *pkt, ldns_pkt_section sec, ldns_rr_list *src)
{
        size_t i, n = ldns_rr_list_rr_count(src);
        int rc = 0;

        for (i = 0; i < n; i++) {
                ldns_rr *rr = ldns_rr_list_rr(src, i);

                if (rc == 0 && ldns_pkt_push_rr(pkt, sec, rr))
                        continue;
                ldns_rr_free(rr);
                rc = -1;
        }
        ldns_rr_list_free(src);
        return rc;
}

/* Addresses of the SRV targets we know, so a resolver needs no second round trip. */
static int add_glue(const struct dns_zone *z, const ldns_rr_list *answer, ldns_pkt *reply)
{
        ldns_rr_list *glue = ldns_rr_list_new();
        size_t i;

        if (glue == NULL)
                return -1;
        for (i = 0; i < ldns_rr_list_rr_count(answer); i++) {
                const ldns_rr *rr = ldns_rr_list_rr(answer, i);
                const ldns_rdf *target;
                size_t j;
                bool seen = false;

                if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SRV || ldns_rr_rd_count(rr) != 4)
                        continue;
                target = ldns_rr_rdf(rr, 3);
                if (ldns_dname_label_count(target) == 0 || rcode_override(z, target) >= 0)
                        continue;
                for (j = 0; j < i && !seen; j++) {
                        const ldns_rr *prev = ldns_rr_list_rr(answer, j);

                        seen = ldns_rr_get_type(prev) == LDNS_RR_TYPE_SRV &&
                               ldns_rr_rd_count(prev) == 4 && name_eq(ldns_rr_rdf(prev, 3), target);
                }
                if (seen)
                        continue;
                if (zone_lookup(z, target, LDNS_RR_TYPE_A, glue) < 0 ||
                    zone_lookup(z, target, LDNS_RR_TYPE_AAAA, glue) < 0) {
                        ldns_rr_list_deep_free(glue);
                        return -1;
                }
        }
        return push_all(reply, LDNS_SECTION_ADDITIONAL, glue);
}

/* Header, question and OPT of the reply to q; sections are filled by the caller. */
static ldns_pkt *reply_new(const ldns_pkt *q)
{
        ldns_pkt *r = ldns_pkt_new();
        const ldns_rr_list *question = ldns_pkt_question(q);

        if (r == NULL)
                return NULL;
        ldns_pkt_set_id(r, ldns_pkt_id(q));
        ldns_pkt_set_qr(r, true);
        ldns_pkt_set_opcode(r, ldns_pkt_get_opcode(q));
        ldns_pkt_set_aa(r, true);
        ldns_pkt_set_rd(r, ldns_pkt_rd(q));
        ldns_pkt_set_cd(r, ldns_pkt_cd(q));
        ldns_pkt_set_ra(r, false);
        if (ldns_pkt_qdcount(q) == 1 && ldns_rr_list_rr_count(question) == 1) {
                ldns_rr *qr = ldns_rr_clone(ldns_rr_list_rr(question, 0));

                if (qr == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_QUESTION, qr)) {
                        ldns_rr_free(qr);
                        ldns_pkt_free(r);
                        return NULL;
                }
        }
        if (ldns_pkt_edns(q))
                ldns_pkt_set_edns_udp_size(r, UDP_EDNS_MAX);
        return r;
}

static void reply_rcode(ldns_pkt *r, unsigned rcode)
{
        ldns_pkt_set_rcode(r, (uint8_t)(rcode & 0x0f));
        ldns_pkt_set_edns_extended_rcode(r, (uint8_t)(rcode >> 4));
}

/* Fills the sections of r for the single question of q. Returns 0 or -1 (memory). */
static int reply_fill(const struct dns_zone *z, const ldns_pkt *q, ldns_pkt *r)
{
        const ldns_rr *qrr;
        const ldns_rdf *qname;
        ldns_rr_type qtype;
        ldns_rr_list *answer;
        ldns_rr *soa;
        int exists, rcode;

        if (ldns_pkt_get_opcode(q) != LDNS_PACKET_QUERY) {
                reply_rcode(r, LDNS_RCODE_NOTIMPL); /* RFC 1035 §4.1.1 */
                return 0;
        }
        if (ldns_pkt_edns(q) && ldns_pkt_edns_version(q) != 0) {
                reply_rcode(r, RCODE_BADVERS); /* RFC 6891 §6.1.3 */
                return 0;
        }
        if (ldns_pkt_qdcount(q) != 1 || ldns_rr_list_rr_count(ldns_pkt_question(q)) != 1) {
                reply_rcode(r, LDNS_RCODE_FORMERR);
                return 0;
        }
        qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
        qname = ldns_rr_owner(qrr);
        qtype = ldns_rr_get_type(qrr);
        if (qname == NULL || ldns_rdf_get_type(qname) != LDNS_RDF_TYPE_DNAME ||
            qtype == LDNS_RR_TYPE_OPT) {
                reply_rcode(r, LDNS_RCODE_FORMERR);
                return 0;
        }
        if (ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN || qtype == LDNS_RR_TYPE_AXFR ||
            qtype == LDNS_RR_TYPE_IXFR) {
                reply_rcode(r, LDNS_RCODE_REFUSED); /* an IN zone; no zone transfers */
                return 0;
        }
        rcode = rcode_override(z, qname);
        if (rcode >= 0) {
                reply_rcode(r, (unsigned)rcode);
                return 0;
        }
        answer = ldns_rr_list_new();
        if (answer == NULL)
                return -1;
        exists = zone_lookup(z, qname, qtype, answer);
        if (exists < 0) {
                ldns_rr_list_deep_free(answer);
                return -1;
        }
        if (exists == 0 || ldns_rr_list_rr_count(answer) == 0) {
                /* NXDOMAIN or NODATA: the SOA gives the negative TTL (RFC 2308 §2). */
                ldns_rr_list_free(answer);
                reply_rcode(r, exists == 0 ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR);
                soa = ldns_rr_clone(z->soa);
                if (soa == NULL || !ldns_pkt_push_rr(r, LDNS_SECTION_AUTHORITY, soa)) {
                        ldns_rr_free(soa);
                        return -1;
                }
                return 0;
        }
        reply_rcode(r, LDNS_RCODE_NOERROR);
        if (!z->no_glue && add_glue(z, answer, r) != 0) {
                ldns_rr_list_deep_free(answer);
                return -1;
        }
        return push_all(r, LDNS_SECTION_ANSWER, answer);
}

/* FORMERR for bytes ldns cannot parse: only the header is trusted (RFC 1035 §4.1.1). */
static enum dnszone_result formerr_raw(const uint8_t *query, uint8_t **reply, size_t *rlen)
{
        uint8_t *r = calloc(1, 12);

        if (r == NULL)
                return DNSZONE_ERROR;
        r[0] = query[0];
        r[1] = query[1];
        r[2] = (uint8_t)(0x80 | (query[2] & 0x79)); /* QR, opcode and RD copied */
        r[3] = LDNS_RCODE_FORMERR;
        *reply = r;
        *rlen = 12;
        return DNSZONE_REPLY;
}

enum dnszone_result dnszone_answer(const struct dns_zone *z, const uint8_t *query, size_t qlen,
                                   enum dnszone_transport tr, uint8_t **reply, size_t *rlen)
{
        ldns_pkt *q = NULL, *r = NULL;
        uint8_t *wire = NULL;
        size_t size = 0, max;
        enum dnszone_result res = DNSZONE_ERROR;

        *reply = NULL;
        *rlen = 0;
        if (query == NULL || qlen < LDNS_HEADER_SIZE || qlen > 65535)
                return DNSZONE_DROP;
        if (query[2] & 0x80)
                return DNSZONE_DROP; /* a response: answering it could loop */
        if (ldns_wire2pkt(&q, query, qlen) != LDNS_STATUS_OK)
                return formerr_raw(query, reply, rlen);

        r = reply_new(q);
        if (r == NULL || reply_fill(z, q, r) != 0)
                goto fail;
        if (ldns_pkt2wire(&wire, r, &size) != LDNS_STATUS_OK)
                goto fail;

        max = 65535;
        if (tr == DNSZONE_UDP) {
                max = UDP_PLAIN_MAX;
                if (ldns_pkt_edns(q) && ldns_pkt_edns_udp_size(q) > UDP_PLAIN_MAX)
                        max = ldns_pkt_edns_udp_size(q) < UDP_EDNS_MAX ? ldns_pkt_edns_udp_size(q)
                                                                       : UDP_EDNS_MAX;
        }
        if (size > max) {
                /* RFC 2181 §9: drop the sections and set TC; the client retries over TCP. */
                free(wire);
                wire = NULL;
                ldns_pkt_free(r);
                r = reply_new(q);
                if (r == NULL)
                        goto fail;
                ldns_pkt_set_tc(r, true);
                if (ldns_pkt2wire(&wire, r, &size) != LDNS_STATUS_OK || size > max)
                        goto fail;
        }
        *reply = wire;
        *rlen = size;
        wire = NULL;
        res = DNSZONE_REPLY;
fail:
        free(wire);
        ldns_pkt_free(r);
        ldns_pkt_free(q);
        return res;
}

int dnszone_tcp_frame(struct buf *out, const uint8_t *msg, size_t len)
{
        uint8_t hdr[2];

        if (len == 0 || len > 65535)
                return -1;
        hdr[0] = (uint8_t)(len >> 8);
        hdr[1] = (uint8_t)(len & 0xff);
        if (buf_append(out, hdr, 2) != 0 || buf_append(out, msg, len) != 0)
                return -1;
        return 0;
}

enum dnszone_unframe dnszone_tcp_unframe(const uint8_t *in, size_t inlen, const uint8_t **msg,
                                         size_t *mlen)
{
        size_t len;

        *msg = NULL;
        *mlen = 0;
        if (inlen < 2)
                return DNSZONE_FRAME_MORE;
        len = ((size_t)in[0] << 8) | in[1];
        if (len == 0)
                return DNSZONE_FRAME_BAD;
        if (inlen - 2 < len)
                return DNSZONE_FRAME_MORE;
        *msg = in + 2;
        *mlen = len;
        return DNSZONE_FRAME_MSG;
}

/* 1 readable/writable, 0 timeout, -1 error. */
static int wait_fd(int fd, short events, int timeout_ms)
{
        struct pollfd p = {.fd = fd, .events = events, .revents = 0};
        int n;

        n = poll(&p, 1, timeout_ms < 0 ? 0 : timeout_ms);
        if (n < 0)
                return errno == EINTR ? 0 : -1;
        return n > 0 ? 1 : 0;
}

int dnszone_serve_udp_once(int udp_fd, const struct dns_zone *z, int timeout_ms)
{
        uint8_t in[UDP_RECV_MAX], *reply = NULL;
        struct sockaddr_storage from;
        socklen_t fromlen = sizeof(from);
        size_t rlen = 0;
        ssize_t n;
        int w;

        w = wait_fd(udp_fd, POLLIN, timeout_ms);
        if (w <= 0)
                return w;
        n = recvfrom(udp_fd, in, sizeof(in), MSG_TRUNC, (struct sockaddr *)&from, &fromlen);
        if (n < 0)
                return errno == EINTR || errno == EAGAIN ? 0 : -1;
        if ((size_t)n > sizeof(in))
                return 1; /* larger than any query we answer: dropped */
        switch (dnszone_answer(z, in, (size_t)n, DNSZONE_UDP, &reply, &rlen)) {
        case DNSZONE_REPLY:
                /* A lost reply is the client's timeout, not our error. */
                (void)sendto(udp_fd, reply, rlen, 0, (struct sockaddr *)&from, fromlen);
                free(reply);
                return 1;
        case DNSZONE_DROP:
                return 1;
        case DNSZONE_ERROR:
                break;
        }
        return -1;
}

static int send_all(int fd, const uint8_t *p, size_t len, int timeout_ms)
{
        size_t off = 0;
        unsigned rounds;

        for (rounds = 0; off < len && rounds < 64; rounds++) {
                ssize_t n;

                if (wait_fd(fd, POLLOUT, timeout_ms) != 1)
                        return -1;
                n = send(fd, p + off, len - off, MSG_NOSIGNAL);
                if (n < 0) {
                        if (errno == EINTR || errno == EAGAIN)
                                continue;
                        return -1;
                }
                off += (size_t)n;
        }
        return off == len ? 0 : -1;
}

int dnszone_serve_tcp_once(int listen_fd, const struct dns_zone *z, int timeout_ms)
{
        struct buf in, out;
        uint8_t chunk[4096];
        unsigned answered = 0, reads = 0;
        int cfd, w;

        w = wait_fd(listen_fd, POLLIN, timeout_ms);
        if (w <= 0)
                return w;
        cfd = accept(listen_fd, NULL, NULL);
        if (cfd < 0)
                return errno == EINTR || errno == EAGAIN || errno == ECONNABORTED ? 0 : -1;
        buf_init(&in, 2 + 65535);
        buf_init(&out, 2 + 65535);
        while (answered < TCP_MAX_QUERIES && reads < 4 * TCP_MAX_QUERIES + 64) {
                const uint8_t *msg;
                size_t mlen, rlen = 0;
                uint8_t *reply = NULL;
                enum dnszone_unframe u;
                enum dnszone_result res;
                ssize_t n;

                u = dnszone_tcp_unframe((const uint8_t *)in.data, in.len, &msg, &mlen);
                if (u == DNSZONE_FRAME_BAD)
                        break;
                if (u == DNSZONE_FRAME_MORE) {
                        if (wait_fd(cfd, POLLIN, timeout_ms) != 1)
                                break;
                        n = recv(cfd, chunk, sizeof(chunk), 0);
                        reads++;
                        if (n <= 0 || buf_append(&in, chunk, (size_t)n) != 0)
                                break;
                        continue;
                }
                res = dnszone_answer(z, msg, mlen, DNSZONE_TCP, &reply, &rlen);
                buf_consume(&in, 2 + mlen);
                answered++;
                if (res == DNSZONE_DROP)
                        continue;
                if (res != DNSZONE_REPLY)
                        break;
                buf_reset(&out);
                w = dnszone_tcp_frame(&out, reply, rlen);
                free(reply);
                if (w != 0 || send_all(cfd, (const uint8_t *)out.data, out.len, timeout_ms) != 0)
                        break;
        }
        buf_cleanup(&in);
        buf_cleanup(&out);
        close(cfd);
        return 1;
}
