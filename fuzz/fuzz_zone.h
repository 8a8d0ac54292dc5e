/*
 * The zones the DNS targets use (fuzz_dnszone.c answers fuzzed queries from them,
 * fuzz_dns_reply.c starts its replies from their answers): the harness's own zone in
 * its four shapes, with the partner records test_dns.c looks up.
 */
#ifndef S2S_FUZZ_ZONE_H
#define S2S_FUZZ_ZONE_H

#include "dnszone.h"
#include "fuzz.h"

#define FUZZ_ZONES 4

static struct dns_zone *fuzz_zones[FUZZ_ZONES];

static void fuzz_zones_free(void)
{
        for (size_t i = 0; i < FUZZ_ZONES; i++)
                dnszone_free(fuzz_zones[i]);
}

/* Zone 0: glue, direct TLS port; 1: no glue; 2: "service not offered"; 3: a fixed SRV
 * host and another TTL. Each also holds records outside the apex. */
static void fuzz_zones_init(void)
{
        char err[256] = "";

        for (size_t i = 0; i < FUZZ_ZONES; i++) {
                struct dnszone_config cfg = {.apex = "harness.test",
                                             .addrs = {"127.0.0.1", "::1"},
                                             .naddrs = 2,
                                             .port = 5269,
                                             .direct_tls_port = i == 0 ? 5270 : 0,
                                             .ttl = i == 3 ? 300 : 0,
                                             .srv_host = i == 3 ? "xmpp.harness.test" : NULL,
                                             .no_service = i == 2,
                                             .no_glue = i == 1};
                struct dns_zone *z = dnszone_new(&cfg, err, sizeof(err));

                FUZZ_SETUP(z != NULL, err);
                fuzz_zones[i] = z;
                FUZZ_SETUP(dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 10, 60, 5269,
                                           "xmpp1.partner.test") == 0 &&
                               dnszone_add_srv(z, "_xmpp-server._tcp.partner.test", 20, 0, 5271,
                                               "backup.partner.test") == 0 &&
                               dnszone_add_srv(z, "_xmpps-server._tcp.partner.test", 5, 0, 5223,
                                               "xmpp1.partner.test") == 0 &&
                               dnszone_add_addr(z, "xmpp1.partner.test", "127.0.0.2") == 0 &&
                               dnszone_add_addr(z, "xmpp1.partner.test", "::2") == 0 &&
                               dnszone_add_addr(z, "partner.test", "127.0.0.3") == 0 &&
                               dnszone_add_nosrv(z, "_xmpp-server._tcp.nosrv.test") == 0 &&
                               dnszone_add_rcode(z, "_xmpp-server._tcp.fail.test", 2) == 0,
                           "zone records");
        }
        atexit(fuzz_zones_free);
}

#endif
