/*
 * certid: RFC 6125 / RFC 6120 §13.7.1-2 matching on hand-built identity sets, and
 * certid_from_x509 on the generated test certificates (certs/, docs/certificates.md).
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdio.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "buf.h"
#include "certid.h"

#define MAXN 4

struct match_case {
        const char *name;
        char *dns[MAXN]; /* NULL-terminated lists */
        char *srv[MAXN];
        char *xmpp[MAXN];
        char *cn[MAXN];
        size_t n_uri;
        const char *ref;
        enum certid_match want;
};

static size_t count(char *const *list)
{
        size_t n = 0;

        while (n < MAXN && list[n] != NULL)
                n++;
        return n;
}

/* The lists point into the case table: never passed to certid_cleanup. */
static void ids_from_case(const struct match_case *c, struct cert_ids *ids)
{
        certid_init(ids);
        ids->dns = (char **)c->dns;
        ids->n_dns = count(c->dns);
        ids->srv = (char **)c->srv;
        ids->n_srv = count(c->srv);
        ids->xmpp = (char **)c->xmpp;
        ids->n_xmpp = count(c->xmpp);
        ids->cn = (char **)c->cn;
        ids->n_cn = count(c->cn);
        ids->n_uri = c->n_uri;
}

static const struct match_case match_cases[] = {
    /* DNS-ID, RFC 6125 §6.4.1: case-insensitive, one trailing dot ignored */
    {"dns exact", {"example.net"}, {0}, {0}, {0}, 0, "example.net", CERTID_DNS},
    {"dns presented upper case", {"Example.NET"}, {0}, {0}, {0}, 0, "example.net", CERTID_DNS},
    {"dns reference upper case", {"example.net"}, {0}, {0}, {0}, 0, "EXAMPLE.Net", CERTID_DNS},
    {"dns other domain", {"example.org"}, {0}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"dns suffix is not a match", {"example.net"}, {0}, {0}, {0}, 0, "a.example.net", CERTID_NONE},
    {"dns longer is not a match", {"a.example.net"}, {0}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"dns presented trailing dot", {"example.net."}, {0}, {0}, {0}, 0, "example.net", CERTID_DNS},
    {"dns reference trailing dot", {"example.net"}, {0}, {0}, {0}, 0, "example.net.", CERTID_DNS},
    {"dns second of several",
     {"a.test", "example.net"},
     {0},
     {0},
     {0},
     0,
     "example.net",
     CERTID_DNS},
    {"dns presented empty label", {"example..net"}, {0}, {0}, {0}, 0, "example..net", CERTID_NONE},
    /* wildcards, RFC 6125 §6.4.3 and §7.2 */
    {"wildcard one label",
     {"*.example.net"},
     {0},
     {0},
     {0},
     0,
     "a.example.net",
     CERTID_DNS_WILDCARD},
    {"wildcard case-insensitive",
     {"*.EXAMPLE.net"},
     {0},
     {0},
     {0},
     0,
     "Chat.example.NET",
     CERTID_DNS_WILDCARD},
    {"wildcard not the bare domain",
     {"*.example.net"},
     {0},
     {0},
     {0},
     0,
     "example.net",
     CERTID_NONE},
    {"wildcard not two labels",
     {"*.example.net"},
     {0},
     {0},
     {0},
     0,
     "a.b.example.net",
     CERTID_NONE},
    {"wildcard partial label",
     {"f*.example.net"},
     {0},
     {0},
     {0},
     0,
     "foo.example.net",
     CERTID_NONE},
    {"wildcard partial label suffix",
     {"*o.example.net"},
     {0},
     {0},
     {0},
     0,
     "foo.example.net",
     CERTID_NONE},
    {"wildcard twice", {"*.*.net"}, {0}, {0}, {0}, 0, "a.b.net", CERTID_NONE},
    {"wildcard not left-most", {"a.*.net"}, {0}, {0}, {0}, 0, "a.b.net", CERTID_NONE},
    {"wildcard over a TLD", {"*.net"}, {0}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"wildcard over .test", {"*.test"}, {0}, {0}, {0}, 0, "partner.test", CERTID_NONE},
    {"wildcard alone", {"*"}, {0}, {0}, {0}, 0, "example", CERTID_NONE},
    {"wildcard covers an A-label",
     {"*.example.net"},
     {0},
     {0},
     {0},
     0,
     "xn--bcher-kva.example.net",
     CERTID_DNS_WILDCARD},
    {"exact beats wildcard",
     {"*.example.net", "a.example.net"},
     {0},
     {0},
     {0},
     0,
     "a.example.net",
     CERTID_DNS},
    {"reference with a wildcard",
     {"*.example.net"},
     {0},
     {0},
     {0},
     0,
     "*.example.net",
     CERTID_NONE},
    /* IDN, RFC 6125 §6.4.2: A-labels */
    {"idn A-label both",
     {"xn--bcher-kva.test"},
     {0},
     {0},
     {0},
     0,
     "xn--bcher-kva.test",
     CERTID_DNS},
    {"idn U-label reference",
     {"xn--bcher-kva.test"},
     {0},
     {0},
     {0},
     0,
     "b\xc3\xbc"
     "cher.test",
     CERTID_DNS},
    {"idn U-label reference upper case",
     {"xn--bcher-kva.test"},
     {0},
     {0},
     {0},
     0,
     "B\xc3\x9c"
     "CHER.test",
     CERTID_DNS},
    {"idn A-label case",
     {"XN--BCHER-KVA.test"},
     {0},
     {0},
     {0},
     0,
     "xn--bcher-kva.test",
     CERTID_DNS},
    {"idn U-label presented DNS-ID refused",
     {"b\xc3\xbc"
      "cher.test"},
     {0},
     {0},
     {0},
     0,
     "b\xc3\xbc"
     "cher.test",
     CERTID_NONE},
    {"idn other name", {"xn--bcher-kva.test"}, {0}, {0}, {0}, 0, "bucher.test", CERTID_NONE},
    /* SRV-ID, RFC 6125 §6.5.1, RFC 4985 */
    {"srv exact", {0}, {"_xmpp-server.example.net"}, {0}, {0}, 0, "example.net", CERTID_SRV},
    {"srv domain case", {0}, {"_xmpp-server.EXAMPLE.Net"}, {0}, {0}, 0, "example.net", CERTID_SRV},
    {"srv service case", {0}, {"_XMPP-Server.example.net"}, {0}, {0}, 0, "example.net", CERTID_SRV},
    {"srv client service refused",
     {0},
     {"_xmpp-client.example.net"},
     {0},
     {0},
     0,
     "example.net",
     CERTID_NONE},
    {"srv other service refused",
     {0},
     {"_xmpps-server.example.net"},
     {0},
     {0},
     0,
     "example.net",
     CERTID_NONE},
    {"srv without service", {0}, {"example.net"}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"srv other domain",
     {0},
     {"_xmpp-server.example.org"},
     {0},
     {0},
     0,
     "example.net",
     CERTID_NONE},
    {"srv no wildcard",
     {0},
     {"_xmpp-server.*.example.net"},
     {0},
     {0},
     0,
     "a.example.net",
     CERTID_NONE},
    {"srv service only", {0}, {"_xmpp-server"}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"srv U-label reference",
     {0},
     {"_xmpp-server.xn--bcher-kva.test"},
     {0},
     {0},
     0,
     "b\xc3\xbc"
     "cher.test",
     CERTID_SRV},
    {"dns before srv",
     {"example.net"},
     {"_xmpp-server.example.net"},
     {0},
     {0},
     0,
     "example.net",
     CERTID_DNS},
    {"srv before wildcard",
     {"*.example.net"},
     {"_xmpp-server.a.example.net"},
     {0},
     {0},
     0,
     "a.example.net",
     CERTID_SRV},
    /* xmppAddr, RFC 6120 §13.7.1.4 */
    {"xmpp bare domain", {0}, {0}, {"example.net"}, {0}, 0, "example.net", CERTID_XMPP},
    {"xmpp domain case", {0}, {0}, {"Example.NET"}, {0}, 0, "example.net", CERTID_XMPP},
    {"xmpp full JID refused", {0}, {0}, {"juliet@example.net"}, {0}, 0, "example.net", CERTID_NONE},
    {"xmpp resource refused", {0}, {0}, {"example.net/res"}, {0}, 0, "example.net", CERTID_NONE},
    {"xmpp U-label",
     {0},
     {0},
     {"b\xc3\xbc"
      "cher.test"},
     {0},
     0,
     "xn--bcher-kva.test",
     CERTID_XMPP},
    {"xmpp no wildcard", {0}, {0}, {"*.example.net"}, {0}, 0, "a.example.net", CERTID_NONE},
    /* CN-ID, RFC 6125 §6.4.4: only without DNS-ID, SRV-ID, URI-ID, xmppAddr */
    {"cn fallback without SANs", {0}, {0}, {0}, {"example.net"}, 0, "example.net", CERTID_CN},
    {"cn fallback case", {0}, {0}, {0}, {"EXAMPLE.net"}, 0, "example.net", CERTID_CN},
    {"cn ignored with a DNS-ID",
     {"other.net"},
     {0},
     {0},
     {"example.net"},
     0,
     "example.net",
     CERTID_NONE},
    {"cn ignored with an SRV-ID",
     {0},
     {"_xmpp-client.example.net"},
     {0},
     {"example.net"},
     0,
     "example.net",
     CERTID_NONE},
    {"cn ignored with an xmppAddr",
     {0},
     {0},
     {"juliet@example.net"},
     {"example.net"},
     0,
     "example.net",
     CERTID_NONE},
    {"cn ignored with a URI-ID", {0}, {0}, {0}, {"example.net"}, 1, "example.net", CERTID_NONE},
    {"cn no wildcard", {0}, {0}, {0}, {"*.example.net"}, 0, "a.example.net", CERTID_NONE},
    {"cn other domain", {0}, {0}, {0}, {"example.org"}, 0, "example.net", CERTID_NONE},
    /* degenerate input */
    {"no identifiers", {0}, {0}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"empty reference", {"example.net"}, {0}, {0}, {0}, 0, "", CERTID_NONE},
    {"empty presented DNS-ID", {""}, {0}, {0}, {0}, 0, "example.net", CERTID_NONE},
    {"reference empty label", {"example..net"}, {0}, {0}, {0}, 0, "example..net", CERTID_NONE},
    {"reference only a dot", {"."}, {0}, {0}, {0}, 0, ".", CERTID_NONE},
    {"reference leading dot", {".example.net"}, {0}, {0}, {0}, 0, ".example.net", CERTID_NONE},
};

#define N_MATCH (sizeof(match_cases) / sizeof(match_cases[0]))

/* Criterion runs each test in a re-executed worker (reference/toolchain.md §3.1), where
 * pointers from the parent are meaningless: the parameters are table indices. */
static size_t match_index[N_MATCH];

ParameterizedTestParameters(certid, match)
{
        for (size_t i = 0; i < N_MATCH; i++)
                match_index[i] = i;
        return cr_make_param_array(size_t, match_index, N_MATCH);
}

ParameterizedTest(size_t *idx, certid, match)
{
        const struct match_case *c = &match_cases[*idx];
        struct cert_ids ids;
        enum certid_match got;

        ids_from_case(c, &ids);
        got = certid_match(&ids, c->ref);
        cr_expect_eq(got, c->want, "%s: reference \"%s\": got %s, want %s", c->name, c->ref,
                     certid_match_name(got), certid_match_name(c->want));
}

Test(certid, table_is_large_enough)
{
        cr_expect_geq(N_MATCH, 20);
}

Test(certid, null_arguments_match_nothing)
{
        struct cert_ids ids;
        char *dns[] = {"example.net"};

        certid_init(&ids);
        ids.dns = dns;
        ids.n_dns = 1;
        cr_expect_eq(certid_match(&ids, NULL), CERTID_NONE);
        cr_expect_eq(certid_match(NULL, "example.net"), CERTID_NONE);
        cr_expect_eq(certid_match(&ids, "example.net"), CERTID_DNS);
}

Test(certid, overlong_reference_matches_nothing)
{
        char ref[1100];
        struct cert_ids ids;
        char *dns[] = {ref};

        /* 1100 bytes of labels "aaaa...a.": longer than a JID domainpart may be. */
        for (size_t i = 0; i < sizeof(ref) - 1; i++)
                ref[i] = (i % 10 == 9) ? '.' : 'a';
        ref[sizeof(ref) - 2] = 'a';
        ref[sizeof(ref) - 1] = '\0';
        certid_init(&ids);
        ids.dns = dns;
        ids.n_dns = 1;
        cr_expect_eq(certid_match(&ids, ref), CERTID_NONE);
}

Test(certid, match_names)
{
        cr_expect_str_eq(certid_match_name(CERTID_NONE), "none");
        cr_expect_str_eq(certid_match_name(CERTID_DNS), "DNS-ID");
        cr_expect_str_eq(certid_match_name(CERTID_DNS_WILDCARD), "DNS-ID (wildcard)");
        cr_expect_str_eq(certid_match_name(CERTID_SRV), "SRV-ID");
        cr_expect_str_eq(certid_match_name(CERTID_XMPP), "XmppAddr");
        cr_expect_str_eq(certid_match_name(CERTID_CN), "CN-ID");
}

Test(certid, describe)
{
        struct cert_ids ids;
        char *dns[] = {"partner.test"};
        char *srv[] = {"_xmpp-server.partner.test"};
        char *cn[] = {"partner.test"};
        struct buf b;

        buf_init(&b, 0);
        certid_init(&ids);
        cr_assert_eq(certid_describe(&ids, &b), 0);
        cr_expect_str_eq(b.data, "no identifiers");
        buf_reset(&b);
        ids.dns = dns;
        ids.n_dns = 1;
        ids.srv = srv;
        ids.n_srv = 1;
        ids.cn = cn;
        ids.n_cn = 1;
        ids.n_uri = 2;
        cr_assert_eq(certid_describe(&ids, &b), 0);
        cr_expect_str_eq(
            b.data,
            "DNS-ID partner.test, SRV-ID _xmpp-server.partner.test, CN partner.test, 2 URI-ID(s)");
        buf_cleanup(&b);
}

/* ---- certid_from_x509 on the generated certificates ---- */

struct x509_case {
        const char *file; /* under S2S_CERT_DIR, without .pem */
        char *dns[MAXN];
        char *srv[MAXN];
        char *xmpp[MAXN];
        char *cn[MAXN];
        const char *ref;
        enum certid_match want;
};

#define P "partner.test"
#define SRVP "_xmpp-server.partner.test"
#define H "harness.test"
#define SRVH "_xmpp-server.harness.test"

static const struct x509_case x509_cases[] = {
    {P, {P, "*." P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P, {P, "*." P}, {SRVP}, {0}, {P}, "h13-in." P, CERTID_DNS_WILDCARD},
    {P "-all", {P}, {SRVP}, {P}, {P}, P, CERTID_DNS},
    {P "-dns", {P}, {0}, {0}, {P}, P, CERTID_DNS},
    {P "-srv", {0}, {SRVP}, {0}, {P}, P, CERTID_SRV},
    {P "-xmpp", {0}, {0}, {P}, {P}, P, CERTID_XMPP},
    {P "-wildcard", {"*." P}, {0}, {0}, {P}, P, CERTID_NONE},
    {P "-wildcard", {"*." P}, {0}, {0}, {P}, "chat." P, CERTID_DNS_WILDCARD},
    {P "-expired", {P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P "-notyet", {P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P "-wrongname", {"wrong.test"}, {0}, {0}, {"wrong.test"}, P, CERTID_NONE},
    {P "-selfsigned", {P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P "-ca2", {P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P "-serverauth", {P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P "-clientauth", {P}, {SRVP}, {0}, {P}, P, CERTID_DNS},
    {P "-cn", {0}, {0}, {0}, {P}, P, CERTID_CN},
    {P "-srvclient", {0}, {"_xmpp-client." P}, {0}, {P}, P, CERTID_NONE},
    {H, {H, "*." H}, {SRVH}, {0}, {H}, "h13-in." H, CERTID_DNS_WILDCARD},
    {H, {H, "*." H}, {SRVH}, {0}, {H}, P, CERTID_NONE},
    {H "-all", {H}, {SRVH}, {H}, {H}, H, CERTID_DNS},
    {H "-srv", {0}, {SRVH}, {0}, {H}, H, CERTID_SRV},
    {H "-xmpp", {0}, {0}, {H}, {H}, H, CERTID_XMPP},
    {H "-cn", {0}, {0}, {0}, {H}, H, CERTID_CN},
    {"idn",
     {"xn--bcher-kva.test"},
     {"_xmpp-server.xn--bcher-kva.test"},
     {0},
     {"xn--bcher-kva.test"},
     "b\xc3\xbc"
     "cher.test",
     CERTID_DNS},
};

#define N_X509 (sizeof(x509_cases) / sizeof(x509_cases[0]))

static size_t x509_index[N_X509];

ParameterizedTestParameters(certid, from_x509)
{
        for (size_t i = 0; i < N_X509; i++)
                x509_index[i] = i;
        return cr_make_param_array(size_t, x509_index, N_X509);
}

static void expect_list(const char *file, const char *what, char **got, size_t n_got,
                        char *const *want)
{
        size_t n_want = count(want);

        cr_expect_eq(n_got, n_want, "%s: %zu %s, want %zu", file, n_got, what, n_want);
        for (size_t i = 0; i < n_got && i < n_want; i++)
                cr_expect_str_eq(got[i], want[i], "%s: %s[%zu]", file, what, i);
}

ParameterizedTest(size_t *idx, certid, from_x509)
{
        const struct x509_case *c = &x509_cases[*idx];
        char path[512];
        gnutls_datum_t pem = {NULL, 0};
        gnutls_x509_crt_t crt;
        struct cert_ids ids;
        enum certid_match got;

        snprintf(path, sizeof(path), "%s/%s.pem", S2S_CERT_DIR, c->file);
        cr_assert_eq(gnutls_load_file(path, &pem), 0, "cannot read %s", path);
        cr_assert_eq(gnutls_x509_crt_init(&crt), 0);
        cr_assert_eq(gnutls_x509_crt_import(crt, &pem, GNUTLS_X509_FMT_PEM), 0);
        gnutls_free(pem.data);

        cr_assert_eq(certid_from_x509(crt, &ids), 0);
        expect_list(c->file, "DNS-IDs", ids.dns, ids.n_dns, c->dns);
        expect_list(c->file, "SRV-IDs", ids.srv, ids.n_srv, c->srv);
        expect_list(c->file, "xmppAddrs", ids.xmpp, ids.n_xmpp, c->xmpp);
        expect_list(c->file, "CNs", ids.cn, ids.n_cn, c->cn);
        cr_expect_eq(ids.n_uri, 0);
        cr_expect_eq(ids.n_bad, 0);
        got = certid_match(&ids, c->ref);
        cr_expect_eq(got, c->want, "%s for \"%s\": got %s, want %s", c->file, c->ref,
                     certid_match_name(got), certid_match_name(c->want));
        certid_cleanup(&ids);
        cr_expect_eq(ids.n_dns, 0);
        cr_expect_null(ids.dns);
        certid_cleanup(&ids); /* idempotent */
        certid_cleanup(NULL);
        gnutls_x509_crt_deinit(crt);
}

/* A self-signed certificate with CN partner.test and the given DER subjectAltName
 * extension, re-imported from DER so that the extension is read as a peer's would be
 * (GnuTLS writers refuse some malformed names, so the extension is built by hand). */
static gnutls_x509_crt_t crt_with_san(const unsigned char *san, size_t len)
{
        gnutls_x509_crt_t crt, out;
        gnutls_x509_privkey_t key;
        gnutls_datum_t der = {NULL, 0};

        cr_assert_eq(gnutls_x509_privkey_init(&key), 0);
        cr_assert_eq(gnutls_x509_privkey_generate(
                         key, GNUTLS_PK_ECDSA, GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0),
                     0);
        cr_assert_eq(gnutls_x509_crt_init(&crt), 0);
        cr_assert_eq(gnutls_x509_crt_set_version(crt, 3), 0);
        cr_assert_eq(gnutls_x509_crt_set_key(crt, key), 0);
        cr_assert_eq(gnutls_x509_crt_set_serial(crt, "\x01", 1), 0);
        cr_assert_eq(gnutls_x509_crt_set_activation_time(crt, 1000000000), 0);
        cr_assert_eq(gnutls_x509_crt_set_expiration_time(crt, 2000000000), 0);
        cr_assert_eq(
            gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, "partner.test", 12),
            0);
        cr_assert_eq(gnutls_x509_crt_set_extension_by_oid(crt, "2.5.29.17", san, len, 0), 0);
        cr_assert_eq(gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0), 0);
        cr_assert_eq(gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_DER, &der), 0);
        cr_assert_eq(gnutls_x509_crt_init(&out), 0);
        cr_assert_eq(gnutls_x509_crt_import(out, &der, GNUTLS_X509_FMT_DER), 0);
        gnutls_free(der.data);
        gnutls_x509_crt_deinit(crt);
        gnutls_x509_privkey_deinit(key);
        return out;
}

/* RFC 6125 §6.4.4: a URI-ID is a presented identifier too, so the CN is not consulted. */
Test(certid, from_x509_uri_rules_out_cn)
{
        static const unsigned char san[] = {0x30, 0x13, 0x86, 0x11, 'x', 'm', 'p',
                                            'p',  ':',  'p',  'a',  'r', 't', 'n',
                                            'e',  'r',  '.',  't',  'e', 's', 't'};
        gnutls_x509_crt_t crt = crt_with_san(san, sizeof(san));
        struct cert_ids ids;

        cr_assert_eq(certid_from_x509(crt, &ids), 0);
        cr_expect_eq(ids.n_uri, 1);
        cr_expect_eq(ids.n_dns + ids.n_srv + ids.n_xmpp, 0);
        cr_assert_eq(ids.n_cn, 1);
        cr_expect_str_eq(ids.cn[0], "partner.test");
        cr_expect_eq(certid_match(&ids, "partner.test"), CERTID_NONE);
        certid_cleanup(&ids);
        gnutls_x509_crt_deinit(crt);
}

/* A dNSName with an embedded NUL ("partner.test\0evil.test", the classic prefix attack)
 * is skipped as malformed, and it still rules out the CN fallback. */
Test(certid, from_x509_embedded_nul_refused)
{
        static const unsigned char san[] = {0x30, 0x18, 0x82, 0x16, 'p', 'a', 'r', 't', 'n',
                                            'e',  'r',  '.',  't',  'e', 's', 't', 0,   'e',
                                            'v',  'i',  'l',  '.',  't', 'e', 's', 't'};
        gnutls_x509_crt_t crt = crt_with_san(san, sizeof(san));
        struct cert_ids ids;

        cr_assert_eq(certid_from_x509(crt, &ids), 0);
        cr_expect_eq(ids.n_dns, 0);
        cr_expect_eq(ids.n_bad, 1);
        cr_expect_eq(certid_match(&ids, "partner.test"), CERTID_NONE);
        cr_expect_eq(certid_match(&ids, "evil.test"), CERTID_NONE);
        certid_cleanup(&ids);
        gnutls_x509_crt_deinit(crt);
}

/* An SRVName whose value is a UTF8String instead of an IA5String (RFC 4985 §2): GnuTLS
 * hands it back as a raw otherName, and it is counted as malformed, not matched. */
Test(certid, from_x509_srv_wrong_string_type)
{
        static const unsigned char san[] = {0x30, 0x29, 0xa0, 0x27, 0x06, 0x08, 0x2b, 0x06, 0x01,
                                            0x05, 0x05, 0x07, 0x08, 0x07, 0xa0, 0x1b, 0x0c, 0x19,
                                            '_',  'x',  'm',  'p',  'p',  '-',  's',  'e',  'r',
                                            'v',  'e',  'r',  '.',  'p',  'a',  'r',  't',  'n',
                                            'e',  'r',  '.',  't',  'e',  's',  't'};
        gnutls_x509_crt_t crt = crt_with_san(san, sizeof(san));
        struct cert_ids ids;

        cr_assert_eq(certid_from_x509(crt, &ids), 0);
        cr_expect_eq(ids.n_srv, 0);
        cr_expect_eq(ids.n_bad, 1);
        cr_expect_eq(certid_match(&ids, "partner.test"), CERTID_NONE);
        certid_cleanup(&ids);
        gnutls_x509_crt_deinit(crt);
}

/* The same SRVName as a proper IA5String is read (GnuTLS decodes it itself). */
Test(certid, from_x509_srv_ia5)
{
        static const unsigned char san[] = {0x30, 0x29, 0xa0, 0x27, 0x06, 0x08, 0x2b, 0x06, 0x01,
                                            0x05, 0x05, 0x07, 0x08, 0x07, 0xa0, 0x1b, 0x16, 0x19,
                                            '_',  'x',  'm',  'p',  'p',  '-',  's',  'e',  'r',
                                            'v',  'e',  'r',  '.',  'p',  'a',  'r',  't',  'n',
                                            'e',  'r',  '.',  't',  'e',  's',  't'};
        gnutls_x509_crt_t crt = crt_with_san(san, sizeof(san));
        struct cert_ids ids;

        cr_assert_eq(certid_from_x509(crt, &ids), 0);
        cr_assert_eq(ids.n_srv, 1);
        cr_expect_str_eq(ids.srv[0], "_xmpp-server.partner.test");
        cr_expect_eq(ids.n_bad, 0);
        cr_expect_eq(certid_match(&ids, "partner.test"), CERTID_SRV);
        certid_cleanup(&ids);
        gnutls_x509_crt_deinit(crt);
}
