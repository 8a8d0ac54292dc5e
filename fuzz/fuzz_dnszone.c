/*
 * The harness's DNS responder (harness/dnszone.c) on an arbitrary query packet.
 * Byte 0 picks the zone (fuzz_zone.h) and the transport (UDP truncates, TCP does
 * not); the rest is the query. Every reply must parse back with ldns. The same bytes
 * also go through the DNS-over-TCP unframer.
 */
#include <ldns/ldns.h>

#include "dnszone.h"
#include "fuzz.h"
#include "fuzz_zone.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        fuzz_zones_init();
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        enum dnszone_transport tr;
        const struct dns_zone *z;
        const uint8_t *msg;
        uint8_t *reply = NULL;
        size_t rlen = 0, mlen;
        enum dnszone_result r;

        if (size < 1)
                return 0;
        z = fuzz_zones[data[0] % FUZZ_ZONES];
        tr = (data[0] & 0x80) != 0 ? DNSZONE_TCP : DNSZONE_UDP;
        r = dnszone_answer(z, data + 1, size - 1, tr, &reply, &rlen);
        FUZZ_ASSERT(r == DNSZONE_REPLY || r == DNSZONE_DROP);
        if (r == DNSZONE_REPLY) {
                ldns_pkt *p = NULL;

                FUZZ_ASSERT(reply != NULL && rlen >= 12);
                FUZZ_ASSERT(tr == DNSZONE_TCP || rlen <= 65535);
                FUZZ_ASSERT(ldns_wire2pkt(&p, reply, rlen) == LDNS_STATUS_OK);
                ldns_pkt_free(p);
                free(reply);
        }
        if (dnszone_tcp_unframe(data + 1, size - 1, &msg, &mlen) == DNSZONE_FRAME_MSG)
                FUZZ_ASSERT(msg == data + 3 && mlen + 2 <= size - 1);
        return 0;
}
