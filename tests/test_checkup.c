/* checkup: the preflight's items, findings, exit codes, JSON, and the harness-side
 * checks that need no partner (the partner is a refused loopback port here; the
 * live probes are exercised over the wire by tests/cli/check.sh). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkup.h"
#include "cli.h"
#include "infile.h"
#include "partner.h"

#define CERT(name) S2S_CERT_DIR "/" name

static struct partner p;
static struct checkup_report rep;

static void setup(void)
{
        char err[512];

        cr_assert_eq(partner_load(S2S_FIXTURE_DIR "/partners/m13.xml", NULL, &p, err, sizeof(err)),
                     0, "%s", err);
}

static void teardown(void)
{
        partner_cleanup(&p);
}

TestSuite(checkup, .init = setup, .fini = teardown, .timeout = 20);

static const struct checkup_finding *find(const char *id, const char *subject)
{
        for (size_t i = 0; i < rep.n; i++) {
                if (strcmp(rep.f[i].item->id, id) == 0 &&
                    (subject == NULL || strcmp(rep.f[i].subject, subject) == 0))
                        return &rep.f[i];
        }
        return NULL;
}

/* The finding of item id (about subject, NULL: any), which must be there with sev. */
static const struct checkup_finding *expect(const char *id, const char *subject,
                                            enum checkup_severity sev)
{
        const struct checkup_finding *f = find(id, subject);

        cr_assert_not_null(f, "no %s finding", id);
        cr_expect_eq(f->sev, sev, "%s %s: %s", id, checkup_severity_name(f->sev), f->text);
        return f;
}

/* The harness side with a certificate; the partner a refused port (no live part). */
static void run_offline(const char *cert, const char *key, const char *const *names, size_t n)
{
        struct checkup_options o = {0};
        char err[256];

        o.partner = &p;
        o.target = "127.0.0.1:1";
        o.ca = CERT("ca.pem");
        o.cert = cert;
        o.key = key;
        o.names = names;
        o.n_names = n;
        o.timeout_s = 5;
        cr_assert_eq(checkup_run(&o, &rep, err, sizeof(err)), 0, "%s", err);
}

Test(checkup, table_ids_unique_and_complete)
{
        size_t n = 0;

        for (const struct checkup_item *a = checkup_items; a->id != NULL; a++, n++) {
                cr_expect(strncmp(a->id, "PRE-", 4) == 0, "%s", a->id);
                cr_expect(a->checks[0] && a->rule[0] && a->fix[0], "%s", a->id);
                for (const struct checkup_item *b = a + 1; b->id != NULL; b++)
                        cr_expect_neq(strcmp(a->id, b->id), 0, "%s twice", a->id);
        }
        cr_expect_geq(n, 15);
        cr_expect_null(checkup_item_find("PRE-NOPE"));
}

Test(checkup, every_item_documented)
{
        char *doc = NULL, err[256];
        size_t len;

        cr_assert_eq(
            infile_read(S2S_FIXTURE_DIR "/../docs/cli.md", 1 << 20, &doc, &len, err, sizeof(err)),
            INFILE_OK, "%s", err);
        for (const struct checkup_item *a = checkup_items; a->id != NULL; a++) {
                char cell[64];

                snprintf(cell, sizeof(cell), "| %s |", a->id);
                cr_expect_not_null(strstr(doc, cell), "docs/cli.md has no row for %s", a->id);
        }
        free(doc);
}

Test(checkup, exit_codes)
{
        memset(&rep, 0, sizeof(rep));
        cr_expect_eq(checkup_exit_code(&rep), EXIT_MATCH);
        checkup_add(&rep, "PRE-DNS-SRV", CHECKUP_OK, "partner.test", NULL, "fine");
        cr_expect_eq(checkup_exit_code(&rep), EXIT_MATCH);
        cr_expect_str_empty(rep.f[0].fix, "no fix for an OK");
        checkup_add(&rep, "PRE-CERT-EXPIRY", CHECKUP_WARN, "partner.test", NULL, "soon");
        cr_expect_eq(checkup_exit_code(&rep), EXIT_MISMATCH);
        cr_expect_str_eq(rep.f[1].fix, checkup_item_find("PRE-CERT-EXPIRY")->fix);
        checkup_add(&rep, "PRE-INBOUND", CHECKUP_FAIL, "preflight.harness.test", NULL, "no");
        cr_expect_eq(checkup_exit_code(&rep), EXIT_UNTESTABLE);
        checkup_add(&rep, "PRE-HARNESS-NAMES", CHECKUP_FAIL, "h.pem", "custom fix", "no");
        cr_expect_eq(checkup_exit_code(&rep), EXIT_USAGE, "the operator's set-up comes first");
        cr_expect_str_eq(rep.f[3].fix, "custom fix");
        cr_expect(checkup_failed(&rep, "PRE-INBOUND"));
        cr_expect_not(checkup_failed(&rep, "PRE-DNS-SRV"));
        cr_expect_null(checkup_add(&rep, "PRE-UNKNOWN", CHECKUP_OK, "x", NULL, "x"));
}

Test(checkup, full_report_counts_dropped)
{
        memset(&rep, 0, sizeof(rep));
        for (int i = 0; i < CHECKUP_MAX + 3; i++)
                checkup_add(&rep, "PRE-TCP-IPV4", CHECKUP_OK, "a", NULL, "%d", i);
        cr_expect_eq(rep.n, CHECKUP_MAX);
        cr_expect_eq(rep.dropped, 3);
}

Test(checkup, json_shape)
{
        struct buf b;

        memset(&rep, 0, sizeof(rep));
        checkup_add(&rep, "PRE-TCP-IPV6", CHECKUP_FAIL, "[::1]:5269", NULL, "refused \"x\"");
        buf_init(&b, 0);
        cr_assert_eq(checkup_json(&rep, "srv", "partner.test", &b), 0);
        cr_assert_eq(buf_append(&b, "", 1), 0);
        cr_expect_not_null(strstr((char *)b.data, "\"command\":\"check\""), "%s", (char *)b.data);
        cr_expect_not_null(strstr((char *)b.data, "\"target\":\"srv\""));
        cr_expect_not_null(strstr((char *)b.data, "\"result\":\"fail\""));
        cr_expect_not_null(strstr((char *)b.data, "\"exit\":3"));
        cr_expect_not_null(strstr((char *)b.data, "\"side\":\"partner\""));
        cr_expect_not_null(strstr((char *)b.data, "refused \\\"x\\\""));
        buf_cleanup(&b);
}

Test(checkup, unspecified_addresses)
{
        cr_expect(checkup_unspecified("0.0.0.0"));
        cr_expect(checkup_unspecified("::"));
        cr_expect(checkup_unspecified("0:0::0"));
        cr_expect_not(checkup_unspecified("127.0.0.1"));
        cr_expect_not(checkup_unspecified("::1"));
        cr_expect_not(checkup_unspecified("harness.test"));
}

Test(checkup, preflight_names)
{
        char n[64];

        checkup_preflight_name("h.test", 0, n, sizeof(n));
        cr_expect_str_eq(n, "preflight.h.test");
        checkup_preflight_name("h.test", 2, n, sizeof(n));
        cr_expect_str_eq(n, "preflight-3.h.test");
}

Test(checkup, wildcard_certificate_covers_every_scenario_name)
{
        const char *names[] = {"matrix-h1-in.harness.test", "cert-x-a1.harness.test"};
        const struct checkup_finding *f;

        run_offline(CERT("harness.test.pem"), CERT("harness.test.key"), names, 2);
        f = expect("PRE-HARNESS-NAMES", NULL, CHECKUP_OK);
        f = expect("PRE-HARNESS-CERT", NULL, CHECKUP_OK);
        /* The dead partner: a FAIL per address, inbound not judged, exit 3. */
        f = expect("PRE-TCP-IPV4", "127.0.0.1:1", CHECKUP_FAIL);
        cr_expect_not_null(strstr(f->text, "cannot connect"), "%s", f->text);
        f = expect("PRE-INBOUND", NULL, CHECKUP_WARN);
        cr_expect_null(find("PRE-STREAM", NULL), "no live exchange with a dead partner");
        cr_expect_eq(checkup_exit_code(&rep), EXIT_UNTESTABLE);
}

Test(checkup, name_two_levels_down_is_not_covered_by_the_wildcard)
{
        const char *names[] = {"matrix-h1-in.harness.test", "x.matrix-h1-in.harness.test"};
        const struct checkup_finding *f;

        run_offline(CERT("harness.test.pem"), CERT("harness.test.key"), names, 2);
        f = expect("PRE-HARNESS-NAMES", NULL, CHECKUP_FAIL);
        cr_expect_not_null(strstr(f->text, "does not cover 1 of the 4 harness names the run uses: "
                                           "x.matrix-h1-in.harness.test"),
                           "%s", f->text);
        cr_expect_eq(checkup_exit_code(&rep), EXIT_USAGE);
}

Test(checkup, certificate_without_wildcard)
{
        const char *names[] = {"matrix-h1-in.harness.test"};
        const struct checkup_finding *f;

        run_offline(CERT("harness.test-dns.pem"), CERT("harness.test-dns.key"), names, 1);
        f = expect("PRE-HARNESS-NAMES", NULL, CHECKUP_FAIL);
        cr_expect_not_null(strstr(f->text, "does not cover 2 of the 3"), "%s", f->text);
        cr_expect_not_null(strstr(f->fix, "*.DOMAIN"), "%s", f->fix);
}

Test(checkup, key_of_another_certificate)
{
        const struct checkup_finding *f;

        run_offline(CERT("harness.test.pem"), CERT("partner.test.key"), NULL, 0);
        f = expect("PRE-HARNESS-CERT", NULL, CHECKUP_FAIL);
        cr_expect_not_null(strstr(f->text, "--key"), "%s", f->text);
        cr_expect_null(find("PRE-HARNESS-NAMES", NULL));
        cr_expect_eq(checkup_exit_code(&rep), EXIT_USAGE);
}

Test(checkup, expired_certificate)
{
        const struct checkup_finding *f;

        run_offline(CERT("harness.test-expired.pem"), CERT("harness.test-expired.key"), NULL, 0);
        f = expect("PRE-HARNESS-CERT", NULL, CHECKUP_FAIL);
        cr_expect_not_null(strstr(f->text, "expired"), "%s", f->text);
}

Test(checkup, listen_any_with_zone_needs_advertise)
{
        struct checkup_options o = {0};
        const struct checkup_finding *f;
        char err[256];

        o.partner = &p;
        o.target = "127.0.0.1:1";
        o.ca = CERT("ca.pem");
        o.cert = CERT("harness.test.pem");
        o.key = CERT("harness.test.key");
        o.listen = "0.0.0.0:0";
        o.serve_dns = "127.0.0.1:0";
        cr_assert_eq(checkup_run(&o, &rep, err, sizeof(err)), 0);
        f = expect("PRE-HARNESS-ADVERTISE", NULL, CHECKUP_FAIL);
        cr_expect_not_null(strstr(f->fix, "--advertise"), "%s", f->fix);
        o.advertise = "127.0.0.2";
        cr_assert_eq(checkup_run(&o, &rep, err, sizeof(err)), 0);
        f = expect("PRE-HARNESS-ADVERTISE", NULL, CHECKUP_OK);
        o.advertise = "::";
        cr_assert_eq(checkup_run(&o, &rep, err, sizeof(err)), 0);
        f = find("PRE-HARNESS-ADVERTISE", NULL);
        cr_expect_eq(f->sev, CHECKUP_FAIL);
        o.advertise = NULL;
        o.serve_dns = NULL;
        cr_assert_eq(checkup_run(&o, &rep, err, sizeof(err)), 0);
        f = find("PRE-HARNESS-ADVERTISE", NULL);
        cr_expect_eq(f->sev, CHECKUP_WARN, "your own DNS: a warning, not a stop");
}

/* How many findings of item id have severity sev, and one of them in *out. */
static size_t count(const char *id, enum checkup_severity sev, const struct checkup_finding **out)
{
        size_t n = 0;

        for (size_t i = 0; i < rep.n; i++) {
                if (strcmp(rep.f[i].item->id, id) == 0 && rep.f[i].sev == sev) {
                        *out = &rep.f[i];
                        n++;
                }
        }
        return n;
}

Test(checkup, harness_chain)
{
        const struct checkup_finding *f = NULL;

        run_offline(CERT("harness.test.pem"), CERT("harness.test.key"), NULL, 0);
        cr_expect_eq(count("PRE-HARNESS-CERT", CHECKUP_OK, &f), 2, "key and dates, chain");
        cr_expect_eq(count("PRE-HARNESS-CERT", CHECKUP_WARN, &f), 0);
        run_offline(CERT("harness.test-selfsigned.pem"), CERT("harness.test-selfsigned.key"), NULL,
                    0);
        cr_assert_eq(count("PRE-HARNESS-CERT", CHECKUP_WARN, &f), 1);
        cr_expect_not_null(strstr(f->text, "the chain does not validate"), "%s", f->text);
        cr_expect_not_null(strstr(f->fix, "trusts the CA"), "%s", f->fix);
}
