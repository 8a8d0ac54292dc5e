/*
 * Reading DNS replies (harness/dns.c): dns_find_targets and dns_resolve_host with the
 * network replaced by dns_resolver_config.exchange, which answers each query from the
 * input.
 *
 * Input: byte 0 picks the lookup (which domain or host, fuzz_zone.h's zone for the
 * replies); then one record per query, in order:
 *   mode (1 byte), length (2 bytes, big-endian), payload (length bytes)
 * mode & 3 == 0: the payload is the whole reply; with mode & 4 its first two bytes
 *                are replaced by the query's id (else a mismatched id is likely)
 * mode & 3 == 1: the zone's own answer to the query, then the payload as patches of
 *                3 bytes each (offset high, offset low, new byte) inside it
 * mode & 3 == 2: the zone's answer cut to the first two payload bytes (big-endian)
 *                as a length, with the rest of the payload appended
 * mode & 3 == 3: no reply (a timeout)
 * When the records run out the query gets no reply. The SRV order's randomness comes
 * from a counter, so every run of an input is the same.
 */
#include "dns.h"
#include "dnszone.h"
#include "fuzz.h"
#include "fuzz_zone.h"

struct replies {
        const uint8_t *p;
        size_t left;
        const struct dns_zone *zone;
        uint32_t rng;
};

static const char *const domains[] = {
    "partner.test", "h1-in.harness.test", "nosrv.test", "fail.test", "absent.test", "127.0.0.1",
};
#define N_DOMAINS (sizeof(domains) / sizeof(domains[0]))

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        fuzz_zones_init();
        return 0;
}

static uint32_t counter(void *ctx)
{
        struct replies *r = ctx;

        return r->rng++;
}

/* The zone's answer to query into reply; returns its length (0: none). */
static size_t zone_answer(const struct replies *r, const uint8_t *query, size_t qlen,
                          uint8_t *reply, size_t cap)
{
        uint8_t *a = NULL;
        size_t alen = 0;

        if (dnszone_answer(r->zone, query, qlen, DNSZONE_TCP, &a, &alen) != DNSZONE_REPLY)
                return 0;
        if (alen > cap)
                alen = cap;
        memcpy(reply, a, alen);
        free(a);
        return alen;
}

static int exchange(void *ctx, const uint8_t *query, size_t qlen, uint8_t *reply, size_t cap,
                    size_t *rlen)
{
        struct replies *r = ctx;
        const uint8_t *pl;
        size_t len, n;
        uint8_t mode;

        if (r->left < 3)
                return -1;
        mode = r->p[0];
        len = (size_t)r->p[1] << 8 | r->p[2];
        if (len > r->left - 3)
                len = r->left - 3;
        pl = r->p + 3;
        r->p += 3 + len;
        r->left -= 3 + len;
        switch (mode & 3) {
        case 0:
                n = len < cap ? len : cap;
                memcpy(reply, pl, n);
                if ((mode & 4) != 0 && n >= 2 && qlen >= 2)
                        memcpy(reply, query, 2);
                break;
        case 1:
                n = zone_answer(r, query, qlen, reply, cap);
                for (size_t i = 0; i + 3 <= len; i += 3) {
                        size_t at = (size_t)pl[i] << 8 | pl[i + 1];

                        if (at < n)
                                reply[at] = pl[i + 2];
                }
                break;
        case 2:
                n = zone_answer(r, query, qlen, reply, cap);
                if (len >= 2) {
                        size_t cut = (size_t)pl[0] << 8 | pl[1];

                        n = cut < n ? cut : n;
                        for (size_t i = 2; i < len && n < cap; i++)
                                reply[n++] = pl[i];
                }
                break;
        default:
                return -1;
        }
        *rlen = n;
        return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct replies r;
        struct dns_resolver_config c;
        struct dns_target_list list;
        struct dns_target t;
        const char *domain;
        char err[512];
        enum dns_status st;

        if (size < 1)
                return 0;
        memset(&r, 0, sizeof(r));
        r.p = data + 1;
        r.left = size - 1;
        r.zone = fuzz_zones[data[0] / N_DOMAINS % FUZZ_ZONES];
        memset(&c, 0, sizeof(c));
        c.server = "127.0.0.1";
        c.port = 53;
        c.timeout_ms = 1;
        c.retries = (data[0] & 0x80) != 0 ? 1 : 0;
        c.rng = counter;
        c.rng_ctx = &r;
        c.exchange = exchange;
        c.exchange_ctx = &r;
        domain = domains[data[0] % N_DOMAINS];
        err[0] = '\0';
        if ((data[0] & 0x40) != 0) {
                st =
                    dns_resolve_host(&c, domain, 5269, (data[0] & 0x20) != 0, &t, err, sizeof(err));
                FUZZ_ASSERT(st == DNS_FOUND_FALLBACK || st == DNS_NXDOMAIN ||
                            st == DNS_NO_ADDRESS || st == DNS_ERROR);
                FUZZ_ASSERT(t.naddrs <= DNS_MAX_ADDRS);
        } else {
                st = dns_find_targets(&c, domain, &list, err, sizeof(err));
                FUZZ_ASSERT(st == list.status && list.count <= DNS_MAX_TARGETS);
                if (st != DNS_FOUND_SRV && st != DNS_FOUND_FALLBACK)
                        FUZZ_ASSERT(err[0] != '\0');
                for (size_t i = 0; i < list.count; i++) {
                        char a[64];

                        FUZZ_ASSERT(list.targets[i].naddrs <= DNS_MAX_ADDRS);
                        for (size_t k = 0; k < list.targets[i].naddrs; k++)
                                FUZZ_ASSERT(dns_addr_str(&list.targets[i].addrs[k], a, sizeof(a)) ==
                                            0);
                }
        }
        return 0;
}
