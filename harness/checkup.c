#include "checkup.h"

#include <string.h>
#include <strings.h>

#include "cli.h"
#include "json.h"

/* docs/cli.md "check" lists the same ids, in this order. */
const struct checkup_item checkup_items[] = {
    {"PRE-HARNESS-ADVERTISE", CHECKUP_HARNESS,
     "the address the harness zone publishes for DOMAIN and *.DOMAIN is one the partner can "
     "connect to (not 0.0.0.0 or ::)",
     "RFC 6120 §3.2.1 (DNS-1): the partner connects to the address it resolves",
     "give --advertise ADDR, the address the partner must use to reach --listen"},
    {"PRE-HARNESS-CERT", CHECKUP_HARNESS,
     "the harness certificate loads, its key matches, and it is within its validity dates",
     "RFC 6120 §13.7.2 (CRT-5): the partner validates the harness certificate",
     "pass the certificate and its own key (--cert F --key F), renewed if it expired"},
    {"PRE-HARNESS-NAMES", CHECKUP_HARNESS,
     "the harness certificate names DOMAIN and every harness subdomain that will run "
     "(DNS-ID, wildcard *.DOMAIN, SRV-ID or XmppAddr)",
     "RFC 6120 §13.7.2.1 (CRT-1), RFC 6125 §6.4: the partner checks the name it connected "
     "to",
     "use a certificate for DOMAIN and *.DOMAIN (docs/certificates.md), or --issuer-cert "
     "F --issuer-key F to issue one per scenario, or --domain for the name it has"},
    {"PRE-HARNESS-LISTEN", CHECKUP_HARNESS, "--listen and --serve-dns can be bound",
     "docs/cli.md: the partner's streams and DNS queries arrive there",
     "stop the program that holds the port, or pick another address or port"},
    {"PRE-DNS-SRV", CHECKUP_PARTNER,
     "the partner domain's _xmpps-server._tcp and _xmpp-server._tcp SRV records (or the "
     "A/AAAA fallback, or --target HOST)",
     "RFC 6120 §3.2.1-§3.2.2 (DNS-1, DNS-3), XEP-0368 §3 (DNS-6)",
     "publish _xmpp-server._tcp.DOMAIN SRV records for the partner (its admin), or give "
     "--target HOST[:PORT]"},
    {"PRE-DNS-ADDR", CHECKUP_PARTNER, "A/AAAA of each target the SRV records (or --target) name",
     "RFC 6120 §3.2.1 (DNS-1)", "publish A/AAAA records for the SRV target (the partner's admin)"},
    {"PRE-TCP-IPV4", CHECKUP_PARTNER, "a TCP connect to each IPv4 address of each target",
     "RFC 6120 §3.2.1 (DNS-1, DNS-2)",
     "check that the partner's server runs and that port 5269 (or the SRV port) is open to "
     "this machine"},
    {"PRE-TCP-IPV6", CHECKUP_PARTNER, "a TCP connect to each IPv6 address of each target",
     "RFC 6120 §3.2.1 (DNS-1, DNS-2)",
     "check IPv6 routing to the partner, or have its AAAA records removed if it does not "
     "serve IPv6"},
    {"PRE-STREAM", CHECKUP_PARTNER,
     "the partner answers a jabber:server stream header for the domain and offers features",
     "RFC 6120 §4.2, §4.3.2", "check that the partner serves this domain on that address"},
    {"PRE-TLS", CHECKUP_PARTNER, "STARTTLS (or direct TLS) completes with the partner",
     "RFC 6120 §5.4 (TLS-2..TLS-9), XEP-0368",
     "check the partner's TLS set-up (protocol versions, ciphers) and its TlsNegotiation "
     "setting"},
    {"PRE-CERT-CHAIN", CHECKUP_PARTNER,
     "the partner's certificate chains to the trust store (--ca, or the system's)",
     "RFC 6120 §13.7.2 (CRT-5), RFC 5280 §6",
     "give --ca with the CA that issued the partner's certificate, or have the partner send "
     "its whole chain"},
    {"PRE-CERT-NAMES", CHECKUP_PARTNER,
     "the partner's certificate names the domain (DNS-ID, SRV-ID or XmppAddr)",
     "RFC 6120 §13.7.2.1 (CRT-1, CRT-2), RFC 6125 §6.4",
     "the partner's certificate must cover every domain of the configuration (primary and "
     "additional): have it reissued, or remove the domain from the configuration"},
    {"PRE-CERT-EKU", CHECKUP_PARTNER,
     "the partner's certificate may be used as a TLS server (serverAuth or no EKU)",
     "RFC 5280 §4.2.1.12, RFC 6120 §13.7.2",
     "have the certificate reissued with extended key usage serverAuth (and clientAuth)"},
    {"PRE-CERT-EXPIRY", CHECKUP_PARTNER, "days until the partner's certificate expires",
     "RFC 5280 §4.1.2.5 (CRT-5)", "have the partner renew its certificate"},
    {"PRE-INBOUND", CHECKUP_INBOUND,
     "the partner connects in to a harness subdomain (the XEP-0199 ping trigger, or a "
     "dialback verification) within the time",
     "RFC 6120 §3.2 (the partner resolves the harness), XEP-0220 §2.1",
     "check DNS for *.DOMAIN (NS delegation to --serve-dns, or wildcard records) and that "
     "port 5269 (--listen) is open inbound; or run with --outbound-only"},
    {NULL, 0, NULL, NULL, NULL},
};

const struct checkup_item *checkup_item_find(const char *id)
{
        for (const struct checkup_item *it = checkup_items; it->id != NULL; it++) {
                if (strcmp(it->id, id) == 0)
                        return it;
        }
        return NULL;
}

struct checkup_finding *checkup_add(struct checkup_report *r, const char *id,
                                    enum checkup_severity sev, const char *subject, const char *fix,
                                    const char *fmt, ...)
{
        const struct checkup_item *it = checkup_item_find(id);
        struct checkup_finding *f;
        va_list ap;

        if (it == NULL)
                return NULL;
        if (r->n >= CHECKUP_MAX) {
                r->dropped++;
                return NULL;
        }
        f = &r->f[r->n++];
        memset(f, 0, sizeof(*f));
        f->item = it;
        f->sev = sev;
        snprintf(f->subject, sizeof(f->subject), "%s", subject != NULL ? subject : "");
        va_start(ap, fmt);
        vsnprintf(f->text, sizeof(f->text), fmt, ap);
        va_end(ap);
        if (sev != CHECKUP_OK)
                snprintf(f->fix, sizeof(f->fix), "%s", fix != NULL ? fix : it->fix);
        return f;
}

enum checkup_severity checkup_worst(const struct checkup_report *r, int side)
{
        enum checkup_severity w = CHECKUP_OK;

        for (size_t i = 0; i < r->n; i++) {
                if ((side < 0 || (int)r->f[i].item->side == side) && r->f[i].sev > w)
                        w = r->f[i].sev;
        }
        return w;
}

bool checkup_failed(const struct checkup_report *r, const char *id)
{
        for (size_t i = 0; i < r->n; i++) {
                if (r->f[i].sev == CHECKUP_FAIL && strcmp(r->f[i].item->id, id) == 0)
                        return true;
        }
        return false;
}

int checkup_exit_code(const struct checkup_report *r)
{
        if (checkup_worst(r, CHECKUP_HARNESS) == CHECKUP_FAIL)
                return EXIT_USAGE;
        if (checkup_worst(r, -1) == CHECKUP_FAIL)
                return EXIT_UNTESTABLE;
        if (checkup_worst(r, -1) == CHECKUP_WARN)
                return EXIT_MISMATCH;
        return EXIT_MATCH;
}

/* A FAIL that no scenario would judge for what it is: the harness's own set-up, a
 * partner no address of which accepts TCP, a partner certificate that does not name its
 * primary domain (every negotiation scenario would read as a mismatch; an additional
 * domain is the domains verdict's, domains.h), and,
 * unless without_inbound, a partner that cannot connect in. Any other partner FAIL (a
 * stream, TLS or a chain that fails) is behaviour the scenarios judge themselves. */
static bool stops(const struct checkup_report *r, bool without_inbound)
{
        bool tcp_ok = false, tcp_tried = false;

        if (checkup_worst(r, CHECKUP_HARNESS) == CHECKUP_FAIL)
                return true;
        for (size_t i = 0; i < r->n; i++) {
                const char *id = r->f[i].item->id;

                if (strcmp(id, "PRE-TCP-IPV4") == 0 || strcmp(id, "PRE-TCP-IPV6") == 0) {
                        tcp_tried = true;
                        tcp_ok = tcp_ok || r->f[i].sev == CHECKUP_OK;
                }
        }
        if (!tcp_ok && (tcp_tried || checkup_worst(r, CHECKUP_PARTNER) == CHECKUP_FAIL))
                return true;
        for (size_t i = 0; i < r->n; i++) {
                /* An additional domain's name is the domains verdict's (domains.h). */
                if (r->f[i].sev == CHECKUP_FAIL &&
                    strcmp(r->f[i].item->id, "PRE-CERT-NAMES") == 0 &&
                    (r->primary[0] == '\0' || strcasecmp(r->f[i].subject, r->primary) == 0))
                        return true;
        }
        return !without_inbound && checkup_failed(r, "PRE-INBOUND");
}

bool checkup_stops_run(const struct checkup_report *r)
{
        return stops(r, false);
}

bool checkup_stops_run_outbound(const struct checkup_report *r)
{
        return stops(r, true);
}

const char *checkup_severity_name(enum checkup_severity s)
{
        switch (s) {
        case CHECKUP_OK:
                return "OK";
        case CHECKUP_WARN:
                return "WARN";
        case CHECKUP_FAIL:
                return "FAIL";
        }
        return "?";
}

int checkup_format(const struct checkup_report *r, struct buf *out)
{
        size_t count[3] = {0, 0, 0};
        int rc = 0;

        for (size_t i = 0; i < r->n; i++) {
                const struct checkup_finding *x = &r->f[i];

                count[x->sev]++;
                rc |= buf_printf(out, "%-4s %-21s %s: %s\n", checkup_severity_name(x->sev),
                                 x->item->id, x->subject, x->text);
                if (x->sev != CHECKUP_OK)
                        rc |= buf_printf(out, "     fix: %s\n", x->fix);
        }
        if (r->dropped > 0)
                rc |= buf_printf(out, "(%zu more findings not kept)\n", r->dropped);
        rc |= buf_printf(out, "preflight: %zu OK, %zu WARN, %zu FAIL: %s\n", count[CHECKUP_OK],
                         count[CHECKUP_WARN], count[CHECKUP_FAIL],
                         count[CHECKUP_FAIL] > 0   ? "the run would not be meaningful"
                         : count[CHECKUP_WARN] > 0 ? "ready, with warnings"
                                                   : "ready");
        return rc != 0 ? -1 : 0;
}

int checkup_print(FILE *f, const struct checkup_report *r)
{
        struct buf b;
        int rc;

        buf_init(&b, 0);
        rc = checkup_format(r, &b);
        if (rc == 0 && b.len > 0 && fwrite(b.data, 1, b.len, f) != b.len)
                rc = -1;
        buf_cleanup(&b);
        return rc != 0 || ferror(f) ? -1 : 0;
}

static const char *side_name(enum checkup_side s)
{
        switch (s) {
        case CHECKUP_HARNESS:
                return "harness";
        case CHECKUP_PARTNER:
                return "partner";
        case CHECKUP_INBOUND:
                return "inbound";
        }
        return "?";
}

void checkup_json_findings(const struct checkup_report *r, struct json *j)
{
        json_begin_array(j);
        for (size_t i = 0; i < r->n; i++) {
                const struct checkup_finding *x = &r->f[i];

                json_begin_object(j);
                json_kv_string(j, "id", x->item->id);
                json_kv_string(j, "side", side_name(x->item->side));
                json_kv_string(j, "severity", checkup_severity_name(x->sev));
                json_kv_string(j, "subject", x->subject);
                json_kv_string(j, "text", x->text);
                json_kv_string(j, "rule", x->item->rule);
                json_kv_string(j, "fix", x->sev != CHECKUP_OK ? x->fix : NULL);
                json_end_object(j);
        }
        json_end_array(j);
}

int checkup_json(const struct checkup_report *r, const char *target, const char *partner,
                 struct buf *out)
{
        struct json j;
        enum checkup_severity w = checkup_worst(r, -1);

        json_init(&j, out);
        json_begin_object(&j);
        json_kv_int(&j, "schema", 1); /* docs/schema/check.schema.json */
        json_kv_string(&j, "version", S2S_VERSION);
        json_kv_string(&j, "command", "check");
        json_kv_string(&j, "partner", partner);
        json_kv_string(&j, "target", target);
        json_kv_string(&j, "result",
                       w == CHECKUP_FAIL   ? "fail"
                       : w == CHECKUP_WARN ? "warn"
                                           : "ok");
        json_kv_int(&j, "exit", checkup_exit_code(r));
        json_kv_int(&j, "dropped", (long long)r->dropped);
        json_key(&j, "findings");
        checkup_json_findings(r, &j);
        json_end_object(&j);
        if (json_finish(&j) != 0)
                return -1;
        return buf_append(out, "\n", 1);
}
