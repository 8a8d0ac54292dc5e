/*
 * The preflight's probes (checkup.h): the harness's own set-up read offline, the
 * partner's DNS and TCP reachability probed directly, then one live exchange per
 * partner domain through the same net loop and nodes as a run: a preflight node
 * hosting "preflight[-N].DOMAIN" pings the partner domain (XEP-0199), which opens
 * a stream (features, STARTTLS, the partner's certificate) and asks the partner to
 * connect in (its answer, or its dialback verification).
 *
 * The TCP probe is the one socket outside net.c: a bounded non-blocking connect per
 * address, IPv4 and IPv6 judged separately, which net's stream set-up (first address
 * that works) cannot tell.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "certid.h"
#include "checkup.h"
#include "dns.h"
#include "dnszone.h"
#include "engine.h"
#include "infile.h"
#include "net.h"
#include "node.h"
#include "pki.h"
#include "preflight.h"
#include "rules.h"
#include "tls.h"
#include "xmlstream.h"

#define DEFAULT_DOMAIN "harness.test"
#define CONNECT_MS 3000
#define EXPIRY_WARN_D 14
#define MAX_DOMAINS (1 + PARTNER_ADDITIONAL_MAX)
#define CERT_MAX (256 * 1024)
#define NAMES_SHOWN 4
#define ACCEPT_GRACE_MS 1000 /* for a stream header after a connection came in */
#define LOOK_MS 250          /* the longest sleep in net_run between two looks */

/* What the live exchange saw for one partner domain. */
struct probe {
        struct checkup_ctx *ctx;
        const char *pdomain; /* the partner domain */
        char hdomain[300];   /* preflight[-N].DOMAIN */
        struct node *node;
        bool reachable; /* some address answered the TCP probe */
        bool sent;      /* the ping went out (a stream was opened for it) */
        bool out_seen;  /* an AUTH stream to pdomain ended or was looked at */
        struct engine_result out;
        char failure[256]; /* the transport's connect failure, "" if none */
        bool have_cert;
        bool cert_present, chain_ok, eku_server, expired;
        char verify_text[256];
        time_t not_after;
        enum certid_match match;
        char ids[400];
        bool db_asked; /* a <db:result/> went out: the partner must verify it */
        bool inbound;  /* a stream to hdomain arrived */
        bool answered; /* the ping's answer arrived */
};

static volatile sig_atomic_t pf_interrupted;
static struct net_loop *volatile pf_loop;

void checkup_interrupt(void)
{
        pf_interrupted = 1;
        if (pf_loop != NULL)
                net_interrupt(pf_loop);
}

bool checkup_interrupted(void)
{
        return pf_interrupted != 0;
}

struct checkup_ctx {
        struct probe p[MAX_DOMAINS];
        size_t n;
        struct net_loop *loop;
        bool tls_not_expected; /* the partner's TlsNegotiation is NotSupported */
        bool accepted_seen;    /* a connection reached --listen, first at accepted_at */
        struct timespec accepted_at;
};

static bool o_tls_not_expected(const struct checkup_ctx *c)
{
        return c->tls_not_expected;
}

void checkup_preflight_name(const char *domain, size_t i, char *out, size_t len)
{
        if (i == 0)
                snprintf(out, len, "preflight.%s", domain);
        else
                snprintf(out, len, "preflight-%zu.%s", i + 1, domain);
}

bool checkup_unspecified(const char *host)
{
        struct in6_addr a6;
        struct in_addr a4;

        if (inet_pton(AF_INET, host, &a4) == 1)
                return a4.s_addr == htonl(INADDR_ANY);
        if (inet_pton(AF_INET6, host, &a6) == 1)
                return IN6_IS_ADDR_UNSPECIFIED(&a6);
        return false;
}

const char *checkup_proxy_target(const struct partner *p, const char *target, char *buf, size_t len)
{
        if ((target != NULL && strcasecmp(target, "srv") != 0) || p->proxy_fqdn == NULL)
                return target;
        snprintf(buf, len, "%s:%u", p->proxy_fqdn, (unsigned)DNS_XMPP_PORT);
        return buf;
}

int checkup_check_syntax(const char *target, const char *resolver, char *err, size_t errlen)
{
        char host[DNS_HOST_MAX], why[256];
        uint16_t port;

        if (target != NULL && strcasecmp(target, "srv") != 0 &&
            dns_parse_hostport(target, DNS_XMPP_PORT, host, sizeof(host), &port, why,
                               sizeof(why)) != 0) {
                snprintf(err, errlen, "--target '%s': %s", target, why);
                return -1;
        }
        if (resolver != NULL &&
            dns_parse_hostport(resolver, 53, host, sizeof(host), &port, why, sizeof(why)) != 0) {
                snprintf(err, errlen, "--resolver '%s': %s", resolver, why);
                return -1;
        }
        return 0;
}

size_t checkup_scenario_names(const struct scenario_suite *suite, const struct partner *p,
                              const char *domain, char **names, size_t max)
{
        size_t n = 0;

        for (size_t i = 0; i < suite->n && n < max; i++) {
                const struct scenario *d = &suite->items[i];
                size_t copies = d->pdom == PARTNER_DOMAIN_ADDITIONAL && p->n_additional > 0
                                    ? p->n_additional
                                    : 1;

                if (!d->selected || d->cert != CERT_DEFAULT)
                        continue;
                for (size_t a = 0; a < copies && n < max; a++) {
                        char name[400];

                        /* runner.c setup_scenarios/setup_one: the same names. */
                        if (d->pdom == PARTNER_DOMAIN_ADDITIONAL && p->n_additional > 0)
                                snprintf(name, sizeof(name), "%.58s-a%zu.%s", d->id, a + 1, domain);
                        else
                                snprintf(name, sizeof(name), "%s.%s", d->id, domain);
                        for (char *q = name; *q; q++)
                                *q = (char)tolower((unsigned char)*q);
                        names[n] = strdup(name);
                        if (names[n] != NULL)
                                n++;
                }
        }
        return n;
}

static bool ip_literal(const char *host)
{
        struct in6_addr a6;
        struct in_addr a4;

        return inet_pton(AF_INET, host, &a4) == 1 || inet_pton(AF_INET6, host, &a6) == 1;
}

/* ---- harness side ------------------------------------------------------------- */

/* PRE-HARNESS-ADVERTISE: the zone must publish an address the partner can use. */
static void check_advertise(const struct checkup_options *o, const char *lhost,
                            struct checkup_report *r)
{
        const char *subj = o->advertise != NULL ? o->advertise : lhost;

        if (o->advertise != NULL) {
                if (!ip_literal(o->advertise) || checkup_unspecified(o->advertise)) {
                        checkup_add(r, "PRE-HARNESS-ADVERTISE", CHECKUP_FAIL, subj,
                                    "give --advertise an IPv4 or IPv6 address of this machine "
                                    "that the partner can reach (not 0.0.0.0 or ::)",
                                    "--advertise %s is not an address the partner can connect to",
                                    o->advertise);
                        return;
                }
                checkup_add(r, "PRE-HARNESS-ADVERTISE", CHECKUP_OK, subj, NULL,
                            "the harness zone publishes %s for %s and *.%s%s", o->advertise,
                            o->domain, o->domain,
                            o->serve_dns != NULL ? "" : " (with your own DNS: publish it there)");
                return;
        }
        if (checkup_unspecified(lhost)) {
                if (o->serve_dns != NULL)
                        checkup_add(r, "PRE-HARNESS-ADVERTISE", CHECKUP_FAIL, subj, NULL,
                                    "--listen %s with --serve-dns would publish A/AAAA %s for "
                                    "every scenario name: the partner cannot connect there",
                                    lhost, lhost);
                else
                        checkup_add(r, "PRE-HARNESS-ADVERTISE", CHECKUP_WARN, subj,
                                    "make sure your DNS records for DOMAIN and *.DOMAIN name an "
                                    "address of this machine the partner can reach, or give "
                                    "--advertise ADDR",
                                    "--listen %s: the address the partner must use is not known "
                                    "to the harness",
                                    lhost);
                return;
        }
        checkup_add(r, "PRE-HARNESS-ADVERTISE", CHECKUP_OK, subj, NULL,
                    "the partner is to connect to %s%s", lhost,
                    o->serve_dns != NULL ? " (published by --serve-dns)"
                                         : " (publish it in your DNS for DOMAIN and *.DOMAIN)");
}

#define CHAIN_MAX 16

/* The certificates of the --cert file, leaf first (deinit each). Returns how many, or 0
 * with the reason in err. */
static unsigned read_chain(const char *file, gnutls_x509_crt_t *list, char *err, size_t errlen)
{
        char *data = NULL;
        size_t len = 0;
        gnutls_datum_t d;
        unsigned n = CHAIN_MAX;
        int rc;

        if (infile_read_opt("--cert", file, "pass a PEM certificate", CERT_MAX, &data, &len, err,
                            errlen) != INFILE_OK)
                return 0;
        d.data = (unsigned char *)data;
        d.size = (unsigned)len;
        rc = gnutls_x509_crt_list_import(list, &n, &d, GNUTLS_X509_FMT_PEM, 0);
        free(data);
        if (rc < 0 || n == 0) {
                snprintf(err, errlen, "--cert %s: no PEM certificate (GnuTLS: %s)", file,
                         gnutls_strerror(rc));
                return 0;
        }
        return n;
}

/*
 * The chain of the harness certificate (RFC 6120 §13.7.2, CRT-5 on the partner's
 * side): against --ca (in a test, the CA both sides use) and the system's store (a
 * public CA). Neither is only a WARN: the partner may trust a CA this machine does not
 * know (a test CA it was given).
 */
static void check_harness_chain(const struct checkup_options *o, gnutls_x509_crt_t *list,
                                unsigned n, struct checkup_report *r)
{
        gnutls_x509_trust_list_t tl;
        unsigned status = 0;
        gnutls_datum_t text = {NULL, 0};

        if (gnutls_x509_trust_list_init(&tl, 0) < 0)
                return;
        if (o->ca != NULL)
                gnutls_x509_trust_list_add_trust_file(tl, o->ca, NULL, GNUTLS_X509_FMT_PEM, 0, 0);
        gnutls_x509_trust_list_add_system_trust(tl, 0, 0);
        if (gnutls_x509_trust_list_verify_crt2(tl, list, n, NULL, 0, 0, &status, NULL) < 0)
                status = GNUTLS_CERT_INVALID;
        if (status == 0) {
                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_OK, o->cert, NULL,
                            "the chain validates against %s",
                            o->ca ? "--ca or the system's store" : "the system's store");
        } else {
                gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0);
                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_WARN, o->cert,
                            "make sure the partner trusts the CA of the harness certificate "
                            "(a public CA, or the test CA given to its admin), and that --cert "
                            "holds the whole chain",
                            "the chain does not validate against %s (%s): the partner must "
                            "trust its CA by other means",
                            o->ca ? "--ca or the system's store" : "the system's store",
                            text.data ? (const char *)text.data : "invalid");
                gnutls_free(text.data);
        }
        gnutls_x509_trust_list_deinit(tl, 1);
}

/* PRE-HARNESS-NAMES for a certificate file: every name the run will use must be
 * covered (RFC 6125 §6.4; CRT-1 on the partner's side). */
static void check_names(const struct checkup_options *o, gnutls_x509_crt_t crt,
                        const struct checkup_ctx *c, struct checkup_report *r)
{
        struct cert_ids ids;
        struct buf desc;
        char missing[600];
        size_t used = 0, n_missing = 0, total = 0;

        certid_init(&ids);
        buf_init(&desc, 0);
        missing[0] = '\0';
        if (certid_from_x509(crt, &ids) != 0 || certid_describe(&ids, &desc) != 0 ||
            buf_append(&desc, "", 1) != 0) {
                checkup_add(r, "PRE-HARNESS-NAMES", CHECKUP_FAIL, o->cert, NULL,
                            "cannot read the names of the certificate (out of memory)");
                goto done;
        }
        for (size_t i = 0; i < 1 + c->n + o->n_names; i++) {
                const char *name = i == 0      ? o->domain
                                   : i <= c->n ? c->p[i - 1].hdomain
                                               : o->names[i - 1 - c->n];

                total++;
                if (certid_match(&ids, name) != CERTID_NONE &&
                    certid_match(&ids, name) != CERTID_CN)
                        continue;
                if (n_missing++ < NAMES_SHOWN && used < sizeof(missing)) {
                        int k = snprintf(missing + used, sizeof(missing) - used, "%s%s",
                                         used ? ", " : "", name);
                        if (k > 0)
                                used += (size_t)k;
                }
        }
        if (n_missing > 0)
                checkup_add(r, "PRE-HARNESS-NAMES", CHECKUP_FAIL, o->cert, NULL,
                            "the harness certificate (%s) does not cover %zu of the %zu harness "
                            "names the run uses: %s%s; the partner would refuse those streams "
                            "and every scenario would read as its fault",
                            (const char *)desc.data, n_missing, total, missing,
                            n_missing > NAMES_SHOWN ? ", ..." : "");
        else
                checkup_add(r, "PRE-HARNESS-NAMES", CHECKUP_OK, o->cert, NULL,
                            "%s covers %s and the %zu harness subdomains the run uses",
                            (const char *)desc.data, o->domain, total - 1);
done:
        buf_cleanup(&desc);
        certid_cleanup(&ids);
}

/*
 * PRE-HARNESS-CERT and PRE-HARNESS-NAMES; on success *creds is what the live
 * probe presents (the caller frees it and *pki).
 */
static void check_harness_cert(const struct checkup_options *o, const struct checkup_ctx *c,
                               struct tls_creds **creds, struct pki **pki, struct checkup_report *r)
{
        struct tls_creds_config cc = {0};
        char err[1024];
        unsigned warn_d = o->expiry_warn_d > 0 ? o->expiry_warn_d : EXPIRY_WARN_D;

        cc.ca_file = o->ca;
        cc.ca_opt = "--ca";
        cc.system_trust = true;
        cc.keylog = o->keylog;
        cc.keylog_user = o->keylog_user;
        if ((o->cert == NULL) != (o->key == NULL)) {
                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, o->cert ? o->cert : o->key,
                            "give both --cert FILE and --key FILE", "--cert and --key go together");
                return;
        }
        if (o->cert == NULL) {
                struct pki_leaf leaf = {0};
                const char *d[1] = {o->domain};

                if (o->issuer_cert == NULL || o->issuer_key == NULL) {
                        checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, o->domain,
                                    "give --cert FILE --key FILE (valid for DOMAIN and *.DOMAIN), "
                                    "or --issuer-cert FILE --issuer-key FILE (a CA the partner "
                                    "trusts)",
                                    "no harness certificate: the partner could not authenticate "
                                    "the harness");
                        return;
                }
                *pki = pki_load(o->issuer_cert, o->issuer_key, err, sizeof(err));
                if (*pki == NULL || pki_issue(*pki, d, 1, 1, &leaf, err, sizeof(err)) != 0) {
                        checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, o->issuer_cert,
                                    "pass a CA certificate and its own key", "%s", err);
                        return;
                }
                cc.cert_pem = leaf.cert_pem;
                cc.key_pem = leaf.key_pem;
                *creds = tls_creds_new(&cc, err, sizeof(err));
                pki_leaf_cleanup(&leaf);
                if (*creds == NULL) {
                        checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, o->issuer_cert, NULL, "%s",
                                    err);
                        return;
                }
                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_OK, o->issuer_cert, NULL,
                            "certificates are issued at run time by this CA (the partner must "
                            "trust it)");
                checkup_add(r, "PRE-HARNESS-NAMES", CHECKUP_OK, o->issuer_cert, NULL,
                            "each harness name gets a certificate of its own");
                return;
        }
        cc.cert_file = o->cert;
        cc.key_file = o->key;
        cc.cert_opt = "--cert";
        cc.key_opt = "--key";
        cc.refuse_expired = true;
        /* tls_creds_new refuses a key that does not match, and an expired certificate. */
        *creds = tls_creds_new(&cc, err, sizeof(err));
        if (*creds == NULL) {
                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, o->cert, "", "%s", err);
                /* The fix is in err; drop the generic one. */
                snprintf(r->f[r->n - 1].fix, sizeof(r->f[0].fix), "%s",
                         "see the text: it names the option, the file and the fix");
        } else {
                gnutls_x509_crt_t list[CHAIN_MAX], crt;
                unsigned n = read_chain(o->cert, list, err, sizeof(err));

                if (n == 0) {
                        checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, o->cert, NULL, "%s", err);
                        return;
                }
                crt = list[0];
                {
                        time_t end = gnutls_x509_crt_get_expiration_time(crt);
                        long days = (long)((end - time(NULL)) / 86400);

                        if (days < (long)warn_d)
                                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_WARN, o->cert,
                                            "renew the harness certificate before the run",
                                            "the key matches; the certificate expires in %ld "
                                            "days",
                                            days);
                        else
                                checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_OK, o->cert, NULL,
                                            "the key matches; valid for %ld more days", days);
                }
                check_harness_chain(o, list, n, r);
                check_names(o, crt, c, r);
                for (unsigned i = 0; i < n; i++)
                        gnutls_x509_crt_deinit(list[i]);
        }
}

/* ---- partner side: DNS and TCP ------------------------------------------------- */

/* A bounded non-blocking connect. Returns 0, or -1 with the reason in why. */
static int tcp_probe(const struct sockaddr_storage *ss, unsigned ms, char *why, size_t len)
{
        socklen_t sl =
            ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
        int fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        int rc = -1, soerr = 0;
        socklen_t el = sizeof(soerr);
        struct pollfd pfd;

        if (fd < 0) {
                snprintf(why, len, "socket: %s", strerror(errno));
                return -1;
        }
        if (connect(fd, (const struct sockaddr *)ss, sl) == 0) {
                rc = 0;
                goto done;
        }
        if (errno != EINPROGRESS) {
                snprintf(why, len, "%s", strerror(errno));
                goto done;
        }
        pfd.fd = fd;
        pfd.events = POLLOUT;
        for (;;) {
                int n = poll(&pfd, 1, (int)ms);

                if (n < 0 && errno == EINTR && !pf_interrupted)
                        continue;
                if (n < 0) {
                        snprintf(why, len, "interrupted");
                        goto done;
                }
                if (n == 0) {
                        snprintf(why, len, "no answer within %u ms", ms);
                        goto done;
                }
                break;
        }
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &el) != 0 || soerr != 0) {
                snprintf(why, len, "%s", strerror(soerr != 0 ? soerr : errno));
                goto done;
        }
        rc = 0;
done:
        close(fd);
        return rc;
}

static long remaining_ms(const struct timespec *end)
{
        struct timespec t;

        clock_gettime(CLOCK_MONOTONIC, &t);
        return (long)(end->tv_sec - t.tv_sec) * 1000 + (end->tv_nsec - t.tv_nsec) / 1000000;
}

/* Addresses already probed (one --target serves every domain): the result once. */
struct probed {
        char addr[NET_PEER_MAX];
        bool ok;
        char why[128];
};

static void probe_domain(const struct checkup_options *o, const struct dns_resolver_config *rc,
                         struct probe *pr, struct probed *seen, size_t *n_seen,
                         const struct timespec *end, struct checkup_report *r)
{
        static struct dns_target_list list;
        char err[512], host[DNS_HOST_MAX];
        unsigned cms = o->connect_ms > 0 ? o->connect_ms : CONNECT_MS;
        enum dns_status st;
        uint16_t port;

        memset(&list, 0, sizeof(list));
        if (remaining_ms(end) <= 0) {
                checkup_add(r, "PRE-DNS-SRV", CHECKUP_WARN, pr->pdomain,
                            "give the check more time (--timeout S), or fix what made the "
                            "earlier lookups slow (a resolver that does not answer)",
                            "not looked up: the check's time was up");
                return;
        }
        if (o->target == NULL || strcasecmp(o->target, "srv") == 0) {
                st = dns_find_targets(rc, pr->pdomain, &list, err, sizeof(err));
                switch (st) {
                case DNS_FOUND_SRV:
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_OK, pr->pdomain, NULL,
                                    "%zu SRV target%s, first %s port %u%s", list.count,
                                    list.count == 1 ? "" : "s", list.targets[0].host,
                                    list.targets[0].port,
                                    list.targets[0].direct_tls ? " (direct TLS)" : "");
                        break;
                case DNS_FOUND_FALLBACK:
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_WARN, pr->pdomain, NULL,
                                    "no _xmpp-server or _xmpps-server SRV records: A/AAAA of %s on "
                                    "port 5269 (%s, DNS-3)",
                                    pr->pdomain, rule_cite(RULE_H_DNS_FALLBACK));
                        break;
                default:
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_FAIL, pr->pdomain, NULL, "%s: %s",
                                    dns_status_name(st), err);
                        return;
                }
        } else {
                if (dns_parse_hostport(o->target, DNS_XMPP_PORT, host, sizeof(host), &port, err,
                                       sizeof(err)) != 0) {
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_FAIL, o->target,
                                    "give --target HOST[:PORT] or --target srv", "--target: %s",
                                    err);
                        return;
                }
                if (o->proxy_fqdn != NULL)
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_OK, pr->pdomain, NULL,
                                    "not looked up: ProxyFqdn %s in the partner file replaces "
                                    "SRV (the gateway connects there; the certificate must "
                                    "still name %s)",
                                    o->proxy_fqdn, pr->pdomain);
                else
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_OK, pr->pdomain, NULL,
                                    "not looked up: --target %s replaces SRV (%s, DNS-4)",
                                    o->target, rule_cite(RULE_H_DNS_CONFIGURED));
                st = dns_resolve_host(rc, host, port, false, &list.targets[0], err, sizeof(err));
                list.count = 1;
                if (st != DNS_FOUND_FALLBACK) {
                        checkup_add(r, "PRE-DNS-ADDR", CHECKUP_FAIL, host,
                                    o->proxy_fqdn != NULL
                                        ? "check ProxyFqdn in the partner file, and --resolver"
                                        : "check the host name of --target (or give its "
                                          "address), and --resolver",
                                    "%s: %s", dns_status_name(st), err);
                        return;
                }
        }
        for (size_t t = 0; t < list.count; t++) {
                const struct dns_target *tg = &list.targets[t];

                if (tg->naddrs == 0) {
                        checkup_add(r, "PRE-DNS-ADDR", CHECKUP_FAIL, tg->host, NULL,
                                    "no address: %s", tg->note[0] ? tg->note : "no A/AAAA");
                        continue;
                }
                checkup_add(r, "PRE-DNS-ADDR", CHECKUP_OK, tg->host, NULL, "%zu address%s",
                            tg->naddrs, tg->naddrs == 1 ? "" : "es");
                for (size_t a = 0; a < tg->naddrs; a++) {
                        const struct sockaddr_storage *ss = &tg->addrs[a];
                        const char *id =
                            ss->ss_family == AF_INET6 ? "PRE-TCP-IPV6" : "PRE-TCP-IPV4";
                        char addr[NET_PEER_MAX];
                        struct probed *p = NULL;
                        long left = remaining_ms(end);

                        if (dns_addr_str(ss, addr, sizeof(addr)) != 0)
                                snprintf(addr, sizeof(addr), "?");
                        for (size_t k = 0; k < *n_seen; k++) {
                                if (strcmp(seen[k].addr, addr) == 0)
                                        p = &seen[k];
                        }
                        if (p == NULL && *n_seen < MAX_DOMAINS * DNS_MAX_ADDRS) {
                                p = &seen[(*n_seen)++];
                                snprintf(p->addr, sizeof(p->addr), "%s", addr);
                                if (left <= 0) {
                                        p->ok = false;
                                        snprintf(p->why, sizeof(p->why),
                                                 "not tried: the check's time is up");
                                } else {
                                        p->ok =
                                            tcp_probe(ss, left < (long)cms ? (unsigned)left : cms,
                                                      p->why, sizeof(p->why)) == 0;
                                }
                        } else if (p == NULL) {
                                continue;
                        }
                        if (p->ok) {
                                pr->reachable = true;
                                checkup_add(r, id, CHECKUP_OK, addr, NULL, "%s (%s) accepts TCP",
                                            tg->host, pr->pdomain);
                        } else {
                                checkup_add(r, id, CHECKUP_FAIL, addr, NULL,
                                            "%s (%s): cannot connect: %s", tg->host, pr->pdomain,
                                            p->why);
                        }
                }
        }
}

/* ---- the live exchange ------------------------------------------------------- */

static struct probe *probe_of(struct checkup_ctx *c, const struct node *n)
{
        for (size_t i = 0; i < c->n; i++) {
                if (c->p[i].node == n)
                        return &c->p[i];
        }
        return NULL;
}

/* Keeps what an AUTH stream to the partner showed: its result and certificate. */
static void capture(struct checkup_ctx *c, struct stream *s)
{
        struct probe *p = probe_of(c, node_stream_node(s));
        struct engine *e = node_stream_engine(s);
        const struct tls_peer *peer;

        if (p == NULL || e == NULL || engine_role(e) != ENGINE_INITIATING ||
            node_stream_purpose(s) != PURPOSE_AUTH ||
            strcasecmp(node_stream_remote(s), p->pdomain) != 0)
                return;
        p->out_seen = true;
        p->out = *engine_result(e);
        if (engine_pair_state(e, p->hdomain, p->pdomain) != PAIR_NONE)
                p->db_asked = true;
        snprintf(p->failure, sizeof(p->failure), "%s", node_stream_failure(s));
        peer = engine_peer(e);
        if (peer == NULL || p->have_cert)
                return;
        p->have_cert = true;
        p->cert_present = peer->has_cert;
        p->chain_ok = peer->chain_ok;
        p->eku_server = peer->eku_server;
        p->expired = peer->expired;
        p->not_after = peer->not_after;
        snprintf(p->verify_text, sizeof(p->verify_text), "%s", peer->verify_text);
        p->match = certid_match(&peer->ids, p->pdomain);
        {
                struct buf b;

                buf_init(&b, 0);
                if (certid_describe(&peer->ids, &b) == 0 && buf_append(&b, "", 1) == 0)
                        snprintf(p->ids, sizeof(p->ids), "%s", (const char *)b.data);
                buf_cleanup(&b);
        }
}

static void on_result(void *user, struct stream *s)
{
        capture(user, s);
}

static void on_closed(void *user, struct stream *s)
{
        capture(user, s);
}

static void on_stanza(void *user, struct stream *s, xmlNodePtr stanza)
{
        struct checkup_ctx *c = user;
        struct probe *p = probe_of(c, node_stream_node(s));
        const char *type = xs_attr(stanza, "type"), *id = xs_attr(stanza, "id");

        if (p != NULL && type != NULL && id != NULL && xs_is(stanza, XS_NS_SERVER, "iq") &&
            strcmp(type, "result") == 0 && strncmp(id, "preflight-", 10) == 0)
                p->answered = true;
}

/* Routes an accepted stream by its 'to'; each arrival is the partner reaching in. */
static struct node *route(void *user, const char *to)
{
        struct checkup_ctx *c = user;

        for (size_t i = 0; to != NULL && i < c->n; i++) {
                if (strcasecmp(c->p[i].hdomain, to) == 0) {
                        c->p[i].inbound = true;
                        return c->p[i].node;
                }
        }
        return c->n > 0 ? c->p[0].node : NULL;
}

/* A connection reached --listen a second ago and no stream has named a preflight
 * domain since: its stream is broken (a hostile partner), but the partner found the
 * harness. */
static bool accepted_a_while(struct checkup_ctx *c, unsigned long accepted)
{
        struct timespec t;

        if (accepted == 0)
                return false;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (!c->accepted_seen) {
                c->accepted_seen = true;
                c->accepted_at = t;
                return false;
        }
        return (t.tv_sec - c->accepted_at.tv_sec) * 1000 +
                   (t.tv_nsec - c->accepted_at.tv_nsec) / 1000000 >=
               ACCEPT_GRACE_MS;
}

static bool all_settled(void *user)
{
        struct checkup_ctx *c = user;
        struct net_pressure np;

        net_pressure(c->loop, &np);
        for (size_t i = 0; i < c->n; i++) {
                struct probe *p = &c->p[i];
                struct stream *ss[NODE_MAX_STREAMS];
                size_t n = node_streams(p->node, ss, NODE_MAX_STREAMS);

                if (!p->sent || p->answered)
                        continue;
                for (size_t k = 0; k < n; k++)
                        capture(c, ss[k]);
                /* The AUTH stream failed for good (a refused dialback included: the
                 * partner's verification has already come in or given up), so no
                 * answer will come. */
                if (p->out_seen && p->out.final && !p->out.authenticated)
                        continue;
                /* Every item is known: the certificate (or a stream without TLS), and
                 * the partner has reached in. How its streams go on is the run's to
                 * judge (a hostile partner's may never end). */
                if ((p->inbound || accepted_a_while(c, np.accepted)) &&
                    (p->have_cert || (p->out_seen && o_tls_not_expected(c))))
                        continue;
                return false;
        }
        return true;
}

static void judge_live(const struct checkup_options *o, struct probe *p, bool listening,
                       unsigned long accepted, struct checkup_report *r)
{
        unsigned warn_d = o->expiry_warn_d > 0 ? o->expiry_warn_d : EXPIRY_WARN_D;
        bool tls_expected = o->partner->neg.tls != NEG_NOTSUPPORTED;
        bool through = false; /* the partner had reason to connect in */

        if (!p->out_seen) {
                checkup_add(r, "PRE-STREAM", CHECKUP_FAIL, p->pdomain, NULL,
                            "no stream to the partner could be opened%s",
                            p->sent ? " in the time" : "");
                return;
        }
        if (p->failure[0] != '\0' || p->out.peer_silent) {
                checkup_add(r, "PRE-STREAM", CHECKUP_FAIL, p->pdomain, NULL, "%s",
                            p->failure[0] != '\0' ? p->failure : p->out.cause);
                return;
        }
        checkup_add(r, "PRE-STREAM", CHECKUP_OK, p->pdomain, NULL, "%s",
                    p->out.tls || p->out.authenticated || p->out.restarts > 0
                        ? "the partner answered the stream header and offered features"
                        : "the partner answered the stream header (what followed: PRE-TLS)");
        if (!p->out.tls) {
                checkup_add(r, "PRE-TLS", tls_expected ? CHECKUP_FAIL : CHECKUP_OK, p->pdomain,
                            NULL, "%s%s",
                            tls_expected ? "no TLS: "
                                         : "no TLS, as TlsNegotiation NotSupported "
                                           "says",
                            tls_expected ? p->out.cause : "");
                through = !tls_expected;
        } else {
                checkup_add(r, "PRE-TLS", CHECKUP_OK, p->pdomain, NULL, "TLS established");
        }
        if (p->have_cert && !p->cert_present) {
                checkup_add(r, "PRE-CERT-CHAIN", CHECKUP_FAIL, p->pdomain, NULL,
                            "the partner sent no certificate");
        } else if (p->have_cert) {
                long days = (long)((p->not_after - time(NULL)) / 86400);

                checkup_add(r, "PRE-CERT-CHAIN", p->chain_ok ? CHECKUP_OK : CHECKUP_FAIL,
                            p->pdomain, NULL, "%s",
                            p->chain_ok ? "the chain validates against the trust store"
                                        : p->verify_text);
                if (p->match == CERTID_NONE || p->match == CERTID_CN)
                        checkup_add(r, "PRE-CERT-NAMES", CHECKUP_FAIL, p->pdomain, NULL,
                                    "the partner's certificate (%s) does not name %s: streams "
                                    "for this domain fail the certificate check",
                                    p->ids, p->pdomain);
                else
                        checkup_add(r, "PRE-CERT-NAMES", CHECKUP_OK, p->pdomain, NULL,
                                    "names %s by %s", p->pdomain, certid_match_name(p->match));
                checkup_add(r, "PRE-CERT-EKU", p->eku_server ? CHECKUP_OK : CHECKUP_WARN,
                            p->pdomain, NULL, "%s",
                            p->eku_server ? "serverAuth (or no EKU)"
                                          : "the extended key usage does not allow serverAuth");
                checkup_add(r, "PRE-CERT-EXPIRY",
                            p->expired || days < 0 ? CHECKUP_FAIL
                            : days < (long)warn_d  ? CHECKUP_WARN
                                                   : CHECKUP_OK,
                            p->pdomain, NULL, "%s %ld days", days < 0 ? "expired" : "expires in",
                            days < 0 ? -days : days);
                through = p->chain_ok && p->match != CERTID_NONE && p->match != CERTID_CN;
        }
        if (p->answered || p->inbound) {
                checkup_add(r, "PRE-INBOUND", CHECKUP_OK, p->hdomain, NULL,
                            "the partner (%s) connected in to %s%s", p->pdomain, p->hdomain,
                            p->answered ? " and answered the ping" : "");
        } else if (p->out.unverified_valid) {
                /* XEP-0220 §2.1.2-§2.2 (DB-3, DB-4): it said valid without asking the
                 * harness, so it never had to connect in; the scenarios judge that. */
                checkup_add(r, "PRE-INBOUND", CHECKUP_WARN, p->hdomain,
                            "see the run's dialback scenarios",
                            "not judged: the partner accepted the harness's dialback without "
                            "verifying it, and never connected in");
        } else if (accepted > 0) {
                /* Its streams may be broken (a hostile partner, `serve --misbehave`), but
                 * the partner found the harness and its port: the run can judge them. */
                checkup_add(r, "PRE-INBOUND", CHECKUP_OK, p->hdomain, NULL,
                            "the partner connected in (%lu connection%s), though no stream "
                            "named %s",
                            accepted, accepted == 1 ? "" : "s", p->hdomain);
        } else if (!listening) {
                checkup_add(r, "PRE-INBOUND", CHECKUP_FAIL, p->hdomain, NULL,
                            "not tried: the harness could not listen");
        } else if (through && (p->db_asked || p->out.authenticated)) {
                checkup_add(r, "PRE-INBOUND", CHECKUP_FAIL, p->hdomain, NULL,
                            "the partner could not reach %s: inbound and dialback scenarios "
                            "cannot be judged (%s)",
                            p->hdomain,
                            p->out.authenticated ? "it never answered the ping"
                            : p->out.final && p->out.cause[0] != '\0'
                                ? p->out.cause
                                : "it did not verify the harness's dialback within the "
                                  "check's time");
        } else {
                checkup_add(r, "PRE-INBOUND", CHECKUP_WARN, p->hdomain,
                            "fix the partner-side FAIL above first",
                            "not judged: the stream to %s failed before the partner had to "
                            "connect in",
                            p->pdomain);
        }
}

static struct node *preflight_node(struct net_loop *loop, struct probe *p,
                                   const struct checkup_options *o, struct tls_creds *creds,
                                   struct checkup_ctx *c, char *err, size_t errlen)
{
        struct node_config cfg;
        struct node_transport t = net_transport(loop);
        struct node_observer obs = {
            .on_stanza = on_stanza, .on_result = on_result, .on_closed = on_closed, .user = c};

        memset(&cfg, 0, sizeof(cfg));
        cfg.name = "preflight";
        cfg.hosted[cfg.n_hosted++] = p->hdomain;
        /* A harness side the partner's configuration accepts: TLS when it has TLS,
         * and the methods it has (SASL EXTERNAL needs the partner to trust us; with
         * dialback it connects in to verify). A partner with no method at all
         * authenticates nothing and is never asked to connect in (PRE-INBOUND WARN). */
        cfg.neg.tls = o->partner->neg.tls == NEG_NOTSUPPORTED ? NEG_NOTSUPPORTED : NEG_REQUIRED;
        cfg.neg.sasl = o->partner->neg.sasl == NEG_NOTSUPPORTED || cfg.neg.tls == NEG_NOTSUPPORTED
                           ? NEG_NOTSUPPORTED
                           : NEG_OPTIONAL;
        cfg.neg.dialback = o->partner->neg.dialback;
        cfg.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&cfg.knobs);
        /* A bad certificate is reported (PRE-CERT-*), not a reason to stop. */
        cfg.knobs.on_bad_peer_cert = BADCERT_CONTINUE;
        cfg.creds = creds;
        cfg.db_answer = DB_ANSWER_TRUTHFUL;
        xs_limits_default(&cfg.limits);
        cfg.answer_pings = true;
        return node_new(&cfg, &t, &obs, err, errlen);
}

static int live(const struct checkup_options *o, struct checkup_ctx *c, struct tls_creds *creds,
                const char *lhost, uint16_t lport, const struct dns_resolver_config *rc,
                const struct timespec *end, struct checkup_report *r)
{
        struct net_loop *loop;
        struct dns_zone *zone = NULL;
        char err[1024], host[DNS_HOST_MAX];
        uint16_t port, bound = 0;
        bool listening = false;
        int rv = -1;

        loop = net_new(err, sizeof(err));
        if (loop == NULL) {
                checkup_add(r, "PRE-HARNESS-LISTEN", CHECKUP_FAIL, lhost, NULL, "%s", err);
                return -1;
        }
        pf_loop = loop;
        c->loop = loop;
        c->tls_not_expected = o->partner->neg.tls == NEG_NOTSUPPORTED;
        if (o->step_timeout_ms > 0) {
                struct net_timeouts t;

                net_timeouts_default(&t);
                for (int k = 0; k < NET_STATES; k++) {
                        if (t.step_ms[k] != 0)
                                t.step_ms[k] = o->step_timeout_ms;
                }
                net_set_timeouts(loop, &t);
        }
        for (size_t i = 0; i < c->n; i++) {
                c->p[i].node = preflight_node(loop, &c->p[i], o, creds, c, err, sizeof(err));
                if (c->p[i].node == NULL) {
                        checkup_add(r, "PRE-HARNESS-CERT", CHECKUP_FAIL, c->p[i].hdomain, NULL,
                                    "%s", err);
                        goto out;
                }
        }
        if (net_listen_router(loop, lhost, lport, route, c, &bound, err, sizeof(err)) != 0) {
                preflight_listen_failed("--listen", o->listen != NULL ? o->listen : lhost, err,
                                        sizeof(err));
                checkup_add(r, "PRE-HARNESS-LISTEN", CHECKUP_FAIL, o->listen ? o->listen : lhost,
                            "", "%s", err);
                snprintf(r->f[r->n - 1].fix, sizeof(r->f[0].fix), "see the text");
        } else {
                listening = true;
                checkup_add(r, "PRE-HARNESS-LISTEN", CHECKUP_OK, o->listen ? o->listen : lhost,
                            NULL, "listening on %s port %u", lhost, bound);
        }
        if (o->serve_dns != NULL && listening) {
                struct dnszone_config zc = {0};

                zc.apex = o->domain;
                zc.addrs[zc.naddrs++] = o->advertise != NULL ? o->advertise : lhost;
                zc.port = bound;
                if (dns_parse_hostport(o->serve_dns, 53, host, sizeof(host), &port, err,
                                       sizeof(err)) != 0 ||
                    (zone = dnszone_new(&zc, err, sizeof(err))) == NULL ||
                    net_serve_dns(loop, host, port, zone, NULL, err, sizeof(err)) != 0) {
                        preflight_listen_failed("--serve-dns", o->serve_dns, err, sizeof(err));
                        checkup_add(r, "PRE-HARNESS-LISTEN", CHECKUP_FAIL, o->serve_dns, "", "%s",
                                    err);
                        snprintf(r->f[r->n - 1].fix, sizeof(r->f[0].fix), "see the text");
                        listening = false;
                } else {
                        checkup_add(r, "PRE-HARNESS-LISTEN", CHECKUP_OK, o->serve_dns, NULL,
                                    "serving the zone of %s", o->domain);
                }
        }
        if (o->target != NULL && strcasecmp(o->target, "srv") != 0) {
                if (dns_parse_hostport(o->target, DNS_XMPP_PORT, host, sizeof(host), &port, err,
                                       sizeof(err)) != 0)
                        goto out;
                for (size_t i = 0; i < c->n; i++) {
                        if (net_set_target(loop, c->p[i].pdomain, host, port, err, sizeof(err)) !=
                            0)
                                goto out;
                }
        }
        net_set_resolver(loop, rc);
        for (size_t i = 0; i < c->n; i++) {
                char id[32];

                if (!c->p[i].reachable)
                        continue;
                snprintf(id, sizeof(id), "preflight-%zu", i + 1);
                c->p[i].sent =
                    node_ping(c->p[i].node, c->p[i].hdomain, c->p[i].pdomain, id) != NULL;
        }
        /* Bounded by the check's end (and a round count). net_run_wait sleeps in poll
         * when no stream is active (waiting for the partner to connect in), so each
         * round sleeps until an event or LOOK_MS: accepted_a_while needs a look after
         * its grace even when no socket wakes the loop. */
        for (unsigned rounds = 0; rounds < 100000; rounds++) {
                long left = remaining_ms(end);
                int rr;

                if (left <= 0 || all_settled(c) || pf_interrupted)
                        break;
                rr =
                    net_run_wait(loop, (unsigned)(left < LOOK_MS ? left : LOOK_MS), all_settled, c);
                if (rr == NET_RUN_ERROR || rr == NET_RUN_UNTIL || rr == NET_RUN_INTERRUPTED)
                        break;
        }
        for (size_t i = 0; i < c->n; i++) {
                struct stream *ss[NODE_MAX_STREAMS];
                size_t n = node_streams(c->p[i].node, ss, NODE_MAX_STREAMS);

                for (size_t k = 0; k < n; k++)
                        capture(c, ss[k]);
        }
        {
                struct net_pressure np;

                net_pressure(loop, &np);
                for (size_t i = 0; i < c->n; i++) {
                        if (c->p[i].reachable)
                                judge_live(o, &c->p[i], listening, np.accepted, r);
                }
        }
        rv = 0;
out:
        net_close_all(loop);
        net_run(loop, 200, NULL, NULL);
        for (size_t i = 0; i < c->n; i++) {
                if (c->p[i].node != NULL)
                        net_forget_node(loop, c->p[i].node);
        }
        if (zone != NULL)
                net_forget_zone(loop, zone);
        pf_loop = NULL;
        net_free(loop);
        for (size_t i = 0; i < c->n; i++) {
                node_free(c->p[i].node);
                c->p[i].node = NULL;
        }
        dnszone_free(zone);
        return rv;
}

int checkup_run(const struct checkup_options *in, struct checkup_report *r, char *err,
                size_t errlen)
{
        struct checkup_options o = *in;
        struct checkup_ctx *c;
        struct tls_creds *creds = NULL;
        struct pki *pki = NULL;
        struct dns_resolver_config rc = {0};
        struct probed *seen;
        size_t n_seen = 0;
        char lhost[256], rhost[256];
        uint16_t lport = 0, rport = 0;
        struct timespec end;
        bool any_reachable = false;

        memset(r, 0, sizeof(*r));
        if (o.domain == NULL)
                o.domain = DEFAULT_DOMAIN;
        clock_gettime(CLOCK_MONOTONIC, &end);
        end.tv_sec += o.timeout_s > 0 ? o.timeout_s : CHECKUP_DEFAULT_TIMEOUT_S;
        c = calloc(1, sizeof(*c));
        seen = calloc(MAX_DOMAINS * DNS_MAX_ADDRS, sizeof(*seen));
        if (c == NULL || seen == NULL) {
                free(c);
                free(seen);
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        c->p[c->n++].pdomain = o.partner->primary;
        snprintf(r->primary, sizeof(r->primary), "%s", o.partner->primary);
        for (size_t i = 0; i < o.partner->n_additional && c->n < MAX_DOMAINS; i++)
                c->p[c->n++].pdomain = o.partner->additional[i];
        for (size_t i = 0; i < c->n; i++) {
                c->p[i].ctx = c;
                checkup_preflight_name(o.domain, i, c->p[i].hdomain, sizeof(c->p[i].hdomain));
        }

        /* The harness side. */
        snprintf(lhost, sizeof(lhost), "127.0.0.1");
        if (o.listen != NULL &&
            dns_parse_listen(o.listen, lhost, sizeof(lhost), &lport, err, errlen) != 0) {
                checkup_add(r, "PRE-HARNESS-LISTEN", CHECKUP_FAIL, o.listen,
                            "give --listen ADDR[:PORT]", "--listen '%s': %s", o.listen, err);
        }
        check_advertise(&o, lhost, r);
        check_harness_cert(&o, c, &creds, &pki, r);

        /* The partner side: DNS and TCP for each domain. */
        rc.timeout_ms = 1500;
        rc.retries = 1;
        if (o.resolver != NULL) {
                if (dns_parse_hostport(o.resolver, 53, rhost, sizeof(rhost), &rport, err, errlen) !=
                    0) {
                        checkup_add(r, "PRE-DNS-SRV", CHECKUP_FAIL, o.resolver,
                                    "give --resolver ADDR[:PORT] (an IP address)",
                                    "--resolver '%s': %s", o.resolver, err);
                        goto done;
                }
                rc.server = rhost;
                rc.port = rport;
        }
        for (size_t i = 0; i < c->n; i++) {
                probe_domain(&o, &rc, &c->p[i], seen, &n_seen, &end, r);
                any_reachable = any_reachable || c->p[i].reachable;
        }
        /* The live exchange needs a reachable partner and the harness's credentials. */
        if (any_reachable && creds != NULL && !checkup_failed(r, "PRE-HARNESS-LISTEN") &&
            !pf_interrupted)
                live(&o, c, creds, lhost, lport, &rc, &end, r);
        else if (!any_reachable)
                checkup_add(r, "PRE-INBOUND", CHECKUP_WARN, c->p[0].hdomain,
                            "fix the partner-side FAIL above first",
                            "not judged: no address of the partner accepts TCP");
done:
        tls_creds_free(creds);
        pki_free(pki);
        free(seen);
        free(c);
        return 0;
}
