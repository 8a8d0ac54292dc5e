/*
 * The harness zone answered from memory: real DNS messages built and parsed with
 * ldns, run through dnszone_answer.
 */
#include <criterion/criterion.h>

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include <ldns/ldns.h>

#include "dnszone.h"

#define QID 0x4a3b

static struct dns_zone *zone_with(const struct dnszone_config *cfg)
{
        char err[256] = "";
        struct dns_zone *z = dnszone_new(cfg, err, sizeof(err));

        cr_assert_not_null(z, "dnszone_new: %s", err);
        return z;
}

static struct dns_zone *zone_default(void)
{
        struct dnszone_config cfg = {
            .apex = "harness.test", .addrs = {"127.0.0.1"}, .naddrs = 1, .port = 15269};

        return zone_with(&cfg);
}

/* A query as a client would send it. */
static ldns_pkt *query_new(const char *name, ldns_rr_type t, ldns_rr_class c)
{
        ldns_rdf *n = ldns_dname_new_frm_str(name);
        ldns_pkt *q;

        cr_assert_not_null(n);
        q = ldns_pkt_query_new(n, t, c, LDNS_RD);
        cr_assert_not_null(q);
        ldns_pkt_set_id(q, QID);
        return q;
}

static ldns_pkt *answer_pkt(const struct dns_zone *z, const ldns_pkt *q, enum dnszone_transport tr,
                            size_t *wire_len)
{
        uint8_t *wire = NULL, *reply = NULL;
        size_t wlen = 0, rlen = 0;
        ldns_pkt *r = NULL;

        cr_assert_eq(ldns_pkt2wire(&wire, q, &wlen), LDNS_STATUS_OK);
        cr_assert_eq(dnszone_answer(z, wire, wlen, tr, &reply, &rlen), DNSZONE_REPLY);
        cr_assert_eq(ldns_wire2pkt(&r, reply, rlen), LDNS_STATUS_OK, "reply does not parse");
        if (wire_len != NULL)
                *wire_len = rlen;
        free(wire);
        free(reply);
        return r;
}

static ldns_pkt *ask(const struct dns_zone *z, const char *name, ldns_rr_type t)
{
        ldns_pkt *q = query_new(name, t, LDNS_RR_CLASS_IN), *r;

        r = answer_pkt(z, q, DNSZONE_UDP, NULL);
        ldns_pkt_free(q);
        return r;
}

/* The header rules every reply follows: id copied, QR, AA, no RA, question echoed. */
static void assert_header(const ldns_pkt *r, const char *qname, ldns_rr_type t)
{
        const ldns_rr *qq;
        ldns_rdf *n = ldns_dname_new_frm_str(qname);

        cr_assert_eq(ldns_pkt_id(r), QID);
        cr_assert(ldns_pkt_qr(r));
        cr_assert(ldns_pkt_aa(r), "AA must be set: the harness is authoritative");
        cr_assert_not(ldns_pkt_ra(r), "RA must be clear: the zone never recurses");
        cr_assert(ldns_pkt_rd(r), "RD is copied from the query");
        cr_assert_not(ldns_pkt_tc(r));
        cr_assert_eq(ldns_pkt_qdcount(r), 1);
        qq = ldns_rr_list_rr(ldns_pkt_question(r), 0);
        cr_assert_eq(ldns_rr_get_type(qq), t);
        cr_assert_eq(ldns_rdf_compare(ldns_rr_owner(qq), n), 0, "question name not copied");
        ldns_rdf_deep_free(n);
}

static void assert_srv(const ldns_rr *rr, uint16_t prio, uint16_t weight, uint16_t port,
                       const char *target)
{
        char *t;

        cr_assert_eq(ldns_rr_get_type(rr), LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_rdf2native_int16(ldns_rr_rdf(rr, 0)), prio);
        cr_assert_eq(ldns_rdf2native_int16(ldns_rr_rdf(rr, 1)), weight);
        cr_assert_eq(ldns_rdf2native_int16(ldns_rr_rdf(rr, 2)), port);
        t = ldns_rdf2str(ldns_rr_rdf(rr, 3));
        cr_assert_str_eq(t, target);
        free(t);
}

static void assert_addr(const ldns_rr *rr, const char *owner, const char *addr)
{
        char *o = ldns_rdf2str(ldns_rr_owner(rr)), *a = ldns_rdf2str(ldns_rr_rdf(rr, 0));

        cr_assert_str_eq(o, owner);
        cr_assert_str_eq(a, addr);
        free(o);
        free(a);
}

static void assert_soa_authority(const ldns_pkt *r)
{
        const ldns_rr *soa;
        char *o;

        cr_assert_eq(ldns_pkt_nscount(r), 1, "negative answers carry the SOA");
        soa = ldns_rr_list_rr(ldns_pkt_authority(r), 0);
        cr_assert_eq(ldns_rr_get_type(soa), LDNS_RR_TYPE_SOA);
        o = ldns_rdf2str(ldns_rr_owner(soa));
        cr_assert_str_eq(o, "harness.test.");
        free(o);
}

Test(dnszone, srv_at_apex_with_glue)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "_xmpp-server._tcp.harness.test", LDNS_RR_TYPE_SRV);

        assert_header(r, "_xmpp-server._tcp.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 15269, "harness.test.");
        cr_assert_eq(ldns_pkt_arcount(r), 1);
        assert_addr(ldns_rr_list_rr(ldns_pkt_additional(r), 0), "harness.test.", "127.0.0.1");
        cr_assert_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r), 0)), DNSZONE_DEFAULT_TTL);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, srv_deep_subdomain_targets_itself)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "_xmpp-server._tcp.a.b.h13-in.harness.test", LDNS_RR_TYPE_SRV);

        assert_header(r, "_xmpp-server._tcp.a.b.h13-in.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 15269, "a.b.h13-in.harness.test.");
        assert_addr(ldns_rr_list_rr(ldns_pkt_additional(r), 0), "a.b.h13-in.harness.test.",
                    "127.0.0.1");
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, names_compare_without_case)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "_XMPP-Server._TCP.H13-In.Harness.TEST", LDNS_RR_TYPE_SRV);

        /* The question keeps the client's case (RFC 4343 §4.1). */
        assert_header(r, "_XMPP-Server._TCP.H13-In.Harness.TEST", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, a_and_aaaa_nodata_without_v6)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "h13-in.harness.test", LDNS_RR_TYPE_A);

        assert_header(r, "h13-in.harness.test", LDNS_RR_TYPE_A);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_addr(ldns_rr_list_rr(ldns_pkt_answer(r), 0), "h13-in.harness.test.", "127.0.0.1");
        ldns_pkt_free(r);

        r = ask(z, "h13-in.harness.test", LDNS_RR_TYPE_AAAA);
        assert_header(r, "h13-in.harness.test", LDNS_RR_TYPE_AAAA);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR, "NODATA, not NXDOMAIN");
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        assert_soa_authority(r);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, both_families)
{
        struct dnszone_config cfg = {.apex = "harness.test.",
                                     .addrs = {"127.0.0.1", "::1", "127.0.0.2"},
                                     .naddrs = 3,
                                     .port = 5269,
                                     .ttl = 7};
        struct dns_zone *z = zone_with(&cfg);
        ldns_pkt *r = ask(z, "x.harness.test", LDNS_RR_TYPE_AAAA);

        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_addr(ldns_rr_list_rr(ldns_pkt_answer(r), 0), "x.harness.test.", "::1");
        cr_assert_eq(ldns_rr_ttl(ldns_rr_list_rr(ldns_pkt_answer(r), 0)), 7);
        ldns_pkt_free(r);

        r = ask(z, "x.harness.test", LDNS_RR_TYPE_A);
        cr_assert_eq(ldns_pkt_ancount(r), 2);
        ldns_pkt_free(r);

        r = ask(z, "_xmpp-server._tcp.x.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_arcount(r), 3, "glue: two A and one AAAA");
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, outside_zone_is_nxdomain_with_soa)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "partner.test", LDNS_RR_TYPE_A);

        assert_header(r, "partner.test", LDNS_RR_TYPE_A);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        assert_soa_authority(r);
        ldns_pkt_free(r);

        /* A name that merely ends like the apex is outside it. */
        r = ask(z, "notharness.test", LDNS_RR_TYPE_A);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, xmpps_nodata_unless_direct_tls_port)
{
        struct dnszone_config cfg = {
            .apex = "harness.test", .addrs = {"127.0.0.1"}, .naddrs = 1, .port = 5269};
        struct dns_zone *z = zone_with(&cfg);
        ldns_pkt *r = ask(z, "_xmpps-server._tcp.s1.harness.test", LDNS_RR_TYPE_SRV);

        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        assert_soa_authority(r);
        ldns_pkt_free(r);
        dnszone_free(z);

        cfg.direct_tls_port = 5270;
        z = zone_with(&cfg);
        r = ask(z, "_xmpps-server._tcp.s1.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 5270, "s1.harness.test.");
        ldns_pkt_free(r);
        r = ask(z, "_xmpp-server._tcp.s1.harness.test", LDNS_RR_TYPE_SRV);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 5269, "s1.harness.test.");
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, service_names_have_no_address)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "_xmpp-server._tcp.s1.harness.test", LDNS_RR_TYPE_A);

        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);
        /* Other SRV services under the zone: NODATA. */
        r = ask(z, "_xmpp-client._tcp.s1.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, fixed_srv_host)
{
        struct dnszone_config cfg = {.apex = "harness.test",
                                     .addrs = {"127.0.0.1"},
                                     .naddrs = 1,
                                     .port = 5269,
                                     .srv_host = "xmpp.harness.test"};
        struct dns_zone *z = zone_with(&cfg);
        ldns_pkt *r = ask(z, "_xmpp-server._tcp.s7.harness.test", LDNS_RR_TYPE_SRV);

        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 5269, "xmpp.harness.test.");
        cr_assert_eq(ldns_pkt_arcount(r), 1);
        assert_addr(ldns_rr_list_rr(ldns_pkt_additional(r), 0), "xmpp.harness.test.", "127.0.0.1");
        ldns_pkt_free(r);
        dnszone_free(z);

        /* A host outside the zone (peers that use /etc/hosts): no glue we could know. */
        cfg.srv_host = "localhost";
        z = zone_with(&cfg);
        r = ask(z, "_xmpp-server._tcp.s7.harness.test", LDNS_RR_TYPE_SRV);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 5269, "localhost.");
        cr_assert_eq(ldns_pkt_arcount(r), 0);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, no_service_lone_dot)
{
        struct dnszone_config cfg = {.apex = "harness.test",
                                     .addrs = {"127.0.0.1"},
                                     .naddrs = 1,
                                     .port = 5269,
                                     .no_service = true};
        struct dns_zone *z = zone_with(&cfg);
        ldns_pkt *r = ask(z, "_xmpp-server._tcp.s2.harness.test", LDNS_RR_TYPE_SRV);

        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 0, ".");
        cr_assert_eq(ldns_pkt_arcount(r), 0);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, no_glue_option)
{
        struct dnszone_config cfg = {.apex = "harness.test",
                                     .addrs = {"127.0.0.1"},
                                     .naddrs = 1,
                                     .port = 5269,
                                     .no_glue = true};
        struct dns_zone *z = zone_with(&cfg);
        ldns_pkt *r = ask(z, "_xmpp-server._tcp.s2.harness.test", LDNS_RR_TYPE_SRV);

        cr_assert_eq(ldns_pkt_ancount(r), 1);
        cr_assert_eq(ldns_pkt_arcount(r), 0);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, soa_at_apex)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r = ask(z, "harness.test", LDNS_RR_TYPE_SOA);

        cr_assert_eq(ldns_pkt_ancount(r), 1);
        cr_assert_eq(ldns_rr_get_type(ldns_rr_list_rr(ldns_pkt_answer(r), 0)), LDNS_RR_TYPE_SOA);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, extra_records_for_other_domains)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r;

        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 10, 60, 5269,
                                     "xmpp1.partner.test"),
                     0);
        cr_assert_eq(
            dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 20, 0, 5270, "xmpp2.partner.test"),
            0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp1.partner.test", "127.0.0.5"), 0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp1.partner.test", "::1"), 0);
        cr_assert_eq(dnszone_add_addr(z, "xmpp1.partner.test", "not-an-address"), -1);
        cr_assert_eq(dnszone_add_srv(z, "bad..name", 0, 0, 1, "x.test"), -1);

        r = ask(z, "_xmpp-server._tcp.partner.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        cr_assert_eq(ldns_pkt_ancount(r), 2);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 10, 60, 5269, "xmpp1.partner.test.");
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 1), 20, 0, 5270, "xmpp2.partner.test.");
        cr_assert_eq(ldns_pkt_arcount(r), 2, "glue for xmpp1 (A and AAAA), none for xmpp2");
        ldns_pkt_free(r);

        r = ask(z, "xmpp1.partner.test", LDNS_RR_TYPE_AAAA);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_addr(ldns_rr_list_rr(ldns_pkt_answer(r), 0), "xmpp1.partner.test.", "::1");
        ldns_pkt_free(r);

        /* An owner with records of another type: NODATA, not NXDOMAIN. */
        r = ask(z, "_xmpp-server._tcp.partner.test", LDNS_RR_TYPE_A);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);

        r = ask(z, "xmpp2.partner.test", LDNS_RR_TYPE_A);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NXDOMAIN);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, extra_records_replace_synthesis_in_zone)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r;

        cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.multi.harness.test", 5, 1, 6000,
                                     "a.harness.test"),
                     0);
        cr_assert_eq(dnszone_add_nosrv(z, "_xmpp-server._tcp.off.harness.test"), 0);
        cr_assert_eq(dnszone_add_addr(z, "a.harness.test", "127.0.0.9"), 0);

        r = ask(z, "_xmpp-server._tcp.multi.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_ancount(r), 1, "the extra record replaces the synthesized one");
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 5, 1, 6000, "a.harness.test.");
        cr_assert_eq(ldns_pkt_arcount(r), 1);
        assert_addr(ldns_rr_list_rr(ldns_pkt_additional(r), 0), "a.harness.test.", "127.0.0.9");
        ldns_pkt_free(r);

        r = ask(z, "_xmpp-server._tcp.off.harness.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        assert_srv(ldns_rr_list_rr(ldns_pkt_answer(r), 0), 0, 0, 0, ".");
        ldns_pkt_free(r);

        /* The synthesized AAAA (none) stays for a.harness.test: NODATA. */
        r = ask(z, "a.harness.test", LDNS_RR_TYPE_AAAA);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, rcode_override)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *r;

        cr_assert_eq(dnszone_add_rcode(z, "_xmpp-server._tcp.broken.test", LDNS_RCODE_SERVFAIL), 0);
        cr_assert_eq(dnszone_add_rcode(z, "x.test", 16), -1, "only 4-bit rcodes");
        r = ask(z, "_xmpp-server._tcp.broken.test", LDNS_RR_TYPE_SRV);
        assert_header(r, "_xmpp-server._tcp.broken.test", LDNS_RR_TYPE_SRV);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_SERVFAIL);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, refused_for_class_ch_and_zone_transfer)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q = query_new("version.bind", LDNS_RR_TYPE_TXT, LDNS_RR_CLASS_CH), *r;

        r = answer_pkt(z, q, DNSZONE_UDP, NULL);
        assert_header(r, "version.bind", LDNS_RR_TYPE_TXT);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);
        ldns_pkt_free(q);

        q = query_new("harness.test", LDNS_RR_TYPE_AXFR, LDNS_RR_CLASS_IN);
        r = answer_pkt(z, q, DNSZONE_TCP, NULL);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_REFUSED);
        ldns_pkt_free(r);
        ldns_pkt_free(q);
        dnszone_free(z);
}

Test(dnszone, notimp_for_other_opcodes)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q = query_new("harness.test", LDNS_RR_TYPE_SOA, LDNS_RR_CLASS_IN), *r;

        ldns_pkt_set_opcode(q, LDNS_PACKET_NOTIFY);
        r = answer_pkt(z, q, DNSZONE_UDP, NULL);
        cr_assert_eq(ldns_pkt_id(r), QID);
        cr_assert_eq(ldns_pkt_get_opcode(r), LDNS_PACKET_NOTIFY);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOTIMPL);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);
        ldns_pkt_free(q);
        dnszone_free(z);
}

Test(dnszone, edns_query_gets_opt)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q = query_new("_xmpp-server._tcp.e.harness.test", LDNS_RR_TYPE_SRV,
                                LDNS_RR_CLASS_IN),
                 *r;

        ldns_pkt_set_edns_udp_size(q, 4096);
        ldns_pkt_set_edns_do(q, true);
        r = answer_pkt(z, q, DNSZONE_UDP, NULL);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR);
        cr_assert_eq(ldns_pkt_ancount(r), 1);
        cr_assert(ldns_pkt_edns(r), "an EDNS0 query gets an OPT record back");
        cr_assert_eq(ldns_pkt_edns_udp_size(r), 1232);
        cr_assert_eq(ldns_pkt_edns_version(r), 0);
        ldns_pkt_free(r);
        ldns_pkt_free(q);

        /* Without EDNS0 in the query, none in the reply (RFC 6891 §7). */
        r = ask(z, "e.harness.test", LDNS_RR_TYPE_A);
        cr_assert_not(ldns_pkt_edns(r));
        ldns_pkt_free(r);
        dnszone_free(z);
}

Test(dnszone, edns_unknown_version_badvers)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q = query_new("e.harness.test", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN), *r;

        ldns_pkt_set_edns_udp_size(q, 1232);
        ldns_pkt_set_edns_version(q, 1);
        r = answer_pkt(z, q, DNSZONE_UDP, NULL);
        cr_assert(ldns_pkt_edns(r));
        cr_assert_eq(ldns_pkt_edns_version(r), 0);
        cr_assert_eq(ldns_pkt_edns_extended_rcode(r), 1, "BADVERS = 16 = ext 1, rcode 0");
        cr_assert_eq(ldns_pkt_get_rcode(r), 0);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);
        ldns_pkt_free(q);
        dnszone_free(z);
}

Test(dnszone, two_questions_formerr)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q = query_new("a.harness.test", LDNS_RR_TYPE_A, LDNS_RR_CLASS_IN), *r;
        ldns_rr *extra = NULL;

        cr_assert_eq(ldns_rr_new_question_frm_str(&extra, "b.harness.test. IN A", NULL, NULL),
                     LDNS_STATUS_OK);
        cr_assert(ldns_pkt_push_rr(q, LDNS_SECTION_QUESTION, extra));
        r = answer_pkt(z, q, DNSZONE_UDP, NULL);
        cr_assert_eq(ldns_pkt_id(r), QID);
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        ldns_pkt_free(r);
        ldns_pkt_free(q);
        dnszone_free(z);
}

Test(dnszone, malformed_bytes)
{
        struct dns_zone *z = zone_default();
        /* Header says one question, but the name runs off the end. */
        static const uint8_t cut[] = {0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'h', 'a'};
        static const uint8_t shortq[] = {0x12, 0x34, 0x01};
        static const uint8_t response[] = {0x12, 0x34, 0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0};
        uint8_t *reply = NULL;
        size_t rlen = 0;
        ldns_pkt *r = NULL;

        cr_assert_eq(dnszone_answer(z, cut, sizeof(cut), DNSZONE_UDP, &reply, &rlen),
                     DNSZONE_REPLY);
        cr_assert_eq(rlen, 12);
        cr_assert_eq(ldns_wire2pkt(&r, reply, rlen), LDNS_STATUS_OK);
        cr_assert_eq(ldns_pkt_id(r), 0x1234);
        cr_assert(ldns_pkt_qr(r));
        cr_assert(ldns_pkt_rd(r));
        cr_assert_eq(ldns_pkt_get_rcode(r), LDNS_RCODE_FORMERR);
        ldns_pkt_free(r);
        free(reply);

        reply = NULL;
        cr_assert_eq(dnszone_answer(z, shortq, sizeof(shortq), DNSZONE_UDP, &reply, &rlen),
                     DNSZONE_DROP, "no header, no id: nothing to answer");
        cr_assert_null(reply);
        cr_assert_eq(dnszone_answer(z, response, sizeof(response), DNSZONE_UDP, &reply, &rlen),
                     DNSZONE_DROP, "a response is never answered");
        cr_assert_eq(dnszone_answer(z, NULL, 0, DNSZONE_UDP, &reply, &rlen), DNSZONE_DROP);
        dnszone_free(z);
}

/* Every prefix of a real query and bounded random noise: a reply that parses with
 * the query's id, or a drop, never a crash (ASan build runs this too). */
Test(dnszone, truncations_and_noise_never_crash)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q =
            query_new("_xmpp-server._tcp.n.harness.test", LDNS_RR_TYPE_SRV, LDNS_RR_CLASS_IN);
        uint8_t *wire = NULL, noise[300];
        size_t wlen = 0, len, i;
        uint32_t seed = 12345;
        unsigned round;

        ldns_pkt_set_edns_udp_size(q, 1232);
        cr_assert_eq(ldns_pkt2wire(&wire, q, &wlen), LDNS_STATUS_OK);
        for (len = 0; len <= wlen; len++) {
                uint8_t *reply = NULL;
                size_t rlen = 0;
                enum dnszone_result res = dnszone_answer(z, wire, len, DNSZONE_UDP, &reply, &rlen);
                ldns_pkt *r = NULL;

                cr_assert(res == DNSZONE_REPLY || res == DNSZONE_DROP);
                if (res == DNSZONE_DROP) {
                        cr_assert_lt(len, 12);
                        continue;
                }
                cr_assert_eq(ldns_wire2pkt(&r, reply, rlen), LDNS_STATUS_OK);
                cr_assert_eq(ldns_pkt_id(r), QID);
                if (len < wlen)
                        cr_assert_neq(ldns_pkt_get_rcode(r), LDNS_RCODE_NOERROR,
                                      "prefix of %zu bytes answered NOERROR", len);
                ldns_pkt_free(r);
                free(reply);
        }
        for (round = 0; round < 2000; round++) {
                uint8_t *reply = NULL;
                size_t rlen = 0;

                len = 12 + round % (sizeof(noise) - 12);
                for (i = 0; i < len; i++) {
                        seed = seed * 1103515245u + 12345u;
                        noise[i] = (uint8_t)(seed >> 16);
                }
                noise[2] &= 0x7f; /* a query, so that it gets parsed */
                if (round % 2)
                        memcpy(noise + 4, "\x00\x01\x00\x00\x00\x00\x00\x00", 8);
                cr_assert_neq(dnszone_answer(z, noise, len, round % 3 ? DNSZONE_UDP : DNSZONE_TCP,
                                             &reply, &rlen),
                              DNSZONE_ERROR);
                free(reply);
        }
        free(wire);
        ldns_pkt_free(q);
        dnszone_free(z);
}

Test(dnszone, udp_truncates_tcp_does_not)
{
        struct dns_zone *z = zone_default();
        ldns_pkt *q, *r;
        char target[128];
        size_t rlen = 0;
        unsigned i;

        for (i = 0; i < 30; i++) {
                snprintf(target, sizeof(target),
                         "a-rather-long-target-label-number-%02u.harness.test", i);
                cr_assert_eq(dnszone_add_srv(z, "_xmpp-server._tcp.big.test", 1, 1, 5269, target),
                             0);
        }
        q = query_new("_xmpp-server._tcp.big.test", LDNS_RR_TYPE_SRV, LDNS_RR_CLASS_IN);
        r = answer_pkt(z, q, DNSZONE_UDP, &rlen);
        cr_assert(ldns_pkt_tc(r), "an answer over 512 bytes sets TC over UDP");
        cr_assert_eq(ldns_pkt_ancount(r), 0);
        cr_assert_eq(ldns_pkt_qdcount(r), 1);
        cr_assert_leq(rlen, 512);
        ldns_pkt_free(r);

        ldns_pkt_set_edns_udp_size(q, 4096);
        r = answer_pkt(z, q, DNSZONE_UDP, &rlen);
        cr_assert(ldns_pkt_tc(r), "capped at 1232 even when the client offers more");
        cr_assert_leq(rlen, 1232);
        ldns_pkt_free(r);

        r = answer_pkt(z, q, DNSZONE_TCP, &rlen);
        cr_assert_not(ldns_pkt_tc(r));
        cr_assert_eq(ldns_pkt_ancount(r), 30);
        cr_assert_eq(ldns_pkt_arcount(r), 30, "glue for every in-zone target");
        ldns_pkt_free(r);
        ldns_pkt_free(q);
        dnszone_free(z);
}

Test(dnszone, extra_records_are_bounded)
{
        struct dns_zone *z = zone_default();
        unsigned i;

        for (i = 0; i < DNSZONE_MAX_EXTRA; i++)
                cr_assert_eq(dnszone_add_addr(z, "many.test", "127.0.0.1"), 0);
        cr_assert_eq(dnszone_add_addr(z, "many.test", "127.0.0.1"), -1);
        dnszone_free(z);
}

Test(dnszone, config_errors)
{
        char err[256];
        struct dnszone_config cfg = {.apex = "bad..apex", .port = 1};

        cr_assert_null(dnszone_new(&cfg, err, sizeof(err)));
        cr_assert(strstr(err, "apex") != NULL, "%s", err);
        cfg.apex = ".";
        cr_assert_null(dnszone_new(&cfg, err, sizeof(err)));
        cfg.apex = "harness.test";
        cfg.addrs[0] = "127.0.0.300";
        cfg.naddrs = 1;
        cr_assert_null(dnszone_new(&cfg, err, sizeof(err)));
        cr_assert(strstr(err, "127.0.0.300") != NULL, "%s", err);
        cfg.addrs[0] = "127.0.0.1";
        cfg.addrs[1] = "127.0.0.2";
        cfg.addrs[2] = "127.0.0.3";
        cfg.addrs[3] = "127.0.0.4";
        cfg.addrs[4] = "127.0.0.5";
        cfg.naddrs = 5;
        cr_assert_null(dnszone_new(&cfg, err, sizeof(err)));
        cr_assert(strstr(err, "listener") != NULL, "%s", err);
        cfg.naddrs = 4;
        dnszone_free(zone_with(&cfg));
        dnszone_free(NULL);
}

Test(dnszone, tcp_framing)
{
        struct buf b;
        static const uint8_t msg[] = {1, 2, 3, 4, 5};
        const uint8_t *m = NULL;
        size_t mlen = 0;

        buf_init(&b, 0);
        cr_assert_eq(dnszone_tcp_frame(&b, msg, sizeof(msg)), 0);
        cr_assert_eq(dnszone_tcp_frame(&b, msg, 0), -1);
        cr_assert_eq(b.len, 7);
        cr_assert_eq((uint8_t)b.data[0], 0);
        cr_assert_eq((uint8_t)b.data[1], 5);
        cr_assert_eq(dnszone_tcp_unframe((const uint8_t *)b.data, 1, &m, &mlen),
                     DNSZONE_FRAME_MORE);
        cr_assert_eq(dnszone_tcp_unframe((const uint8_t *)b.data, 6, &m, &mlen),
                     DNSZONE_FRAME_MORE);
        cr_assert_eq(dnszone_tcp_unframe((const uint8_t *)b.data, b.len, &m, &mlen),
                     DNSZONE_FRAME_MSG);
        cr_assert_eq(mlen, 5);
        cr_assert_eq(memcmp(m, msg, 5), 0);
        cr_assert_eq(dnszone_tcp_unframe((const uint8_t *)"\0\0x", 3, &m, &mlen),
                     DNSZONE_FRAME_BAD);
        buf_cleanup(&b);
}
