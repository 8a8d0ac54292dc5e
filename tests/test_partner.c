#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "partner.h"
#include "schema.h"

#define DIR S2S_FIXTURE_DIR "/partners/"

static bool is_zero(const struct partner *p)
{
        static const struct partner zero;

        return memcmp(p, &zero, sizeof(zero)) == 0;
}

/* Loads path, which must succeed. */
static void load_ok(const char *path, const char *identity, struct partner *p)
{
        char err[1024] = "";

        cr_assert_eq(partner_load(path, identity, p, err, sizeof(err)), 0, "%s: %s", path, err);
        cr_assert_str_eq(p->source, path);
}

/* Loads path, which must fail with a message starting with want_prefix and holding want. */
static void load_bad(const char *path, const char *identity, const char *want_prefix,
                     const char *want)
{
        struct partner p;
        char err[1024] = "";

        memset(&p, 0x5a, sizeof(p));
        cr_assert_eq(partner_load(path, identity, &p, err, sizeof(err)), -1, "%s accepted", path);
        cr_assert(is_zero(&p), "%s: struct not left zeroed", path);
        cr_assert(strncmp(err, want_prefix, strlen(want_prefix)) == 0,
                  "%s: got \"%s\", want prefix \"%s\"", path, err, want_prefix);
        cr_assert(strstr(err, want) != NULL, "%s: got \"%s\", want \"%s\"", path, err, want);
        cr_assert(strstr(err, "; accepted: ") != NULL, "%s: no accepted part: %s", path, err);
}

/* ---- every matrix row in both formats ---- */

static int rows[2 * SETTINGS_ROWS];

ParameterizedTestParameters(partner, matrix_rows)
{
        for (int i = 0; i < 2 * SETTINGS_ROWS; i++)
                rows[i] = i;
        return cr_make_param_array(int, rows, 2 * SETTINGS_ROWS);
}

ParameterizedTest(int *i, partner, matrix_rows)
{
        int row = *i / 2 + 1;
        bool xml = *i % 2 == 0;
        char path[512];
        struct partner p;
        struct neg_settings want;

        snprintf(path, sizeof(path), DIR "m%02d.%s", row, xml ? "xml" : "txt");
        load_ok(path, NULL, &p);
        cr_assert_eq(settings_row(&p.neg), row, "%s: row %d", path, settings_row(&p.neg));
        cr_assert_eq(settings_from_row(row, &want), 0);
        cr_assert_eq(p.neg.tls, want.tls);
        cr_assert_eq(p.neg.sasl, want.sasl);
        cr_assert_eq(p.neg.dialback, want.dialback);
        cr_assert_str_eq(p.primary, "partner.test");
        cr_assert_eq(p.format, xml ? PARTNER_FORMAT_XML : PARTNER_FORMAT_CMDLET_TEXT);
        for (size_t k = 0; k < p.n_additional; k++)
                cr_assert_str_neq(p.additional[k], p.primary);
        partner_cleanup(&p);
        cr_assert(is_zero(&p));
}

/* ---- defaults and variants ---- */

static void check_defaults(const char *path)
{
        struct partner p;

        load_ok(path, NULL, &p);
        /* Cmdlet defaults (reference §1.2): TLS Required, SASL Required, dialback True. */
        cr_assert_eq(p.neg.tls, NEG_REQUIRED);
        cr_assert_eq(p.neg.sasl, NEG_REQUIRED);
        cr_assert_eq(p.neg.dialback, true);
        cr_assert_eq(p.type, PARTNER_PUBLIC_UNVERIFIED);
        cr_assert_eq(p.n_additional, 0);
        cr_assert_null(p.additional);
        cr_assert_null(p.description);
        partner_cleanup(&p);
}

Test(partner, defaults_xml)
{
        check_defaults(DIR "m01.xml");
}

Test(partner, defaults_text)
{
        check_defaults(DIR "m01.txt");
}

Test(partner, text_control_panel_spellings)
{
        struct partner p;

        /* "Public verified", FALSE */
        load_ok(DIR "m04.txt", NULL, &p);
        cr_assert_eq(p.type, PARTNER_PUBLIC_VERIFIED);
        cr_assert_eq(p.neg.dialback, false);
        partner_cleanup(&p);
        /* "Not Supported" with CRLF line ends */
        load_ok(DIR "m05.txt", NULL, &p);
        cr_assert_eq(p.neg.tls, NEG_NOTSUPPORTED);
        partner_cleanup(&p);
        /* "not supported", "OPTIONAL", "true" */
        load_ok(DIR "m11.txt", NULL, &p);
        cr_assert_eq(p.neg.tls, NEG_NOTSUPPORTED);
        cr_assert_eq(p.neg.sasl, NEG_OPTIONAL);
        cr_assert_eq(p.neg.dialback, true);
        partner_cleanup(&p);
        /* "Public unverified" */
        load_ok(DIR "m12.txt", NULL, &p);
        cr_assert_eq(p.type, PARTNER_PUBLIC_UNVERIFIED);
        partner_cleanup(&p);
}

Test(partner, text_additional_and_description)
{
        struct partner p;

        load_ok(DIR "m06.txt", NULL, &p);
        cr_assert_eq(p.n_additional, 2);
        cr_assert_str_eq(p.additional[0], "corp.partner.test");
        cr_assert_str_eq(p.additional[1], "eu.partner.test");
        cr_assert_str_eq(p.description, "Fabrikam: \"gateway\" $test `quoted`");
        partner_cleanup(&p);
        load_ok(DIR "m09.txt", NULL, &p);
        cr_assert_eq(p.type, PARTNER_FEDERATED);
        cr_assert_eq(p.n_additional, 1);
        cr_assert_str_eq(p.additional[0], "corp.partner.test");
        partner_cleanup(&p);
        /* "AdditionalDomains :" with nothing after it, no spaces around ':' */
        load_ok(DIR "m10.txt", NULL, &p);
        cr_assert_eq(p.n_additional, 0);
        partner_cleanup(&p);
}

Test(partner, text_identity_forms)
{
        struct partner p;

        /* only Domain, lower-case keys */
        load_ok(DIR "m03.txt", NULL, &p);
        cr_assert_str_eq(p.primary, "partner.test");
        partner_cleanup(&p);
        /* Identity and Domain agree once normalised (case, root dot) */
        load_ok(DIR "m08.txt", NULL, &p);
        cr_assert_str_eq(p.primary, "partner.test");
        partner_cleanup(&p);
        /* BOM, blank lines around the record, unknown keys */
        load_ok(DIR "m07.txt", NULL, &p);
        cr_assert_eq(settings_row(&p.neg), 7);
        partner_cleanup(&p);
}

Test(partner, xml_variants)
{
        struct partner p;

        load_ok(DIR "m04.xml", NULL, &p);
        cr_assert_eq(p.n_additional, 2);
        cr_assert_str_eq(p.additional[0], "corp.partner.test");
        cr_assert_str_eq(p.additional[1], "eu.partner.test"); /* "EU.Partner.Test." */
        cr_assert_null(p.description);
        partner_cleanup(&p);
        load_ok(DIR "m05.xml", NULL, &p);
        cr_assert_eq(p.type, PARTNER_FEDERATED);
        partner_cleanup(&p);
        /* a wrapped description collapses to one line; &amp; is decoded */
        load_ok(DIR "m07.xml", NULL, &p);
        cr_assert_str_eq(p.description, "Fabrikam & partners, row M7");
        partner_cleanup(&p);
        load_ok(DIR "m08.xml", NULL, &p);
        cr_assert_str_eq(p.primary, "partner.test"); /* Identity="Partner.Test" */
        partner_cleanup(&p);
        load_ok(DIR "m09.xml", NULL, &p);
        cr_assert_eq(p.type, PARTNER_PUBLIC_VERIFIED);
        cr_assert_str_eq(p.description, "Row M9 of the complete matrix");
        partner_cleanup(&p);
        load_ok(DIR "m10.xml", NULL, &p); /* <AdditionalDomains/> */
        cr_assert_eq(p.n_additional, 0);
        partner_cleanup(&p);
        load_ok(DIR "m11.xml", NULL, &p); /* whitespace around the token */
        cr_assert_eq(p.neg.tls, NEG_NOTSUPPORTED);
        partner_cleanup(&p);
}

/* ---- several partners in one file ---- */

static void check_multi(const char *path)
{
        struct partner p;

        load_bad(path, NULL, "", "--identity: the file holds 3 partners and none was chosen");
        load_bad(path, NULL, "",
                 "accepted: --identity with one of alpha.test, partner.test, beta.test");
        load_bad(path, "gamma.test", "",
                 "\"gamma.test\" is not a partner in the file; accepted: "
                 "one of alpha.test, partner.test, beta.test");
        load_bad(path, "corp.beta.test", "", "is not a partner in the file"); /* not additional */
        load_bad(path, "bad..name", "", "--identity: the name has an empty label");

        load_ok(path, "alpha.test", &p);
        cr_assert_eq(settings_row(&p.neg), 7);
        cr_assert_eq(p.type, PARTNER_PUBLIC_VERIFIED);
        partner_cleanup(&p);
        load_ok(path, "Partner.Test.", &p);
        cr_assert_str_eq(p.primary, "partner.test");
        cr_assert_eq(settings_row(&p.neg), 13);
        cr_assert_str_eq(p.description, "the middle one");
        partner_cleanup(&p);
        load_ok(path, "beta.test", &p);
        cr_assert_eq(settings_row(&p.neg), 17);
        cr_assert_eq(p.n_additional, 1);
        cr_assert_str_eq(p.additional[0], "corp.beta.test");
        partner_cleanup(&p);
}

Test(partner, multi_text)
{
        check_multi(DIR "multi.txt");
}

Test(partner, multi_xml)
{
        check_multi(DIR "multi.xml");
}

Test(partner, single_with_identity)
{
        struct partner p;

        load_ok(DIR "single-list.xml", NULL, &p);
        cr_assert_eq(settings_row(&p.neg), 9);
        partner_cleanup(&p);
        load_ok(DIR "m02.txt", "partner.test", &p);
        partner_cleanup(&p);
        load_bad(DIR "m02.txt", "other.test", DIR "m02.txt: --identity: ",
                 "\"other.test\" is not a partner in the file; accepted: one of partner.test");
        load_bad(DIR "m02.xml", "other.test", DIR "m02.xml: --identity: ", "one of partner.test");
}

/* ---- broken inputs: one error kind each ---- */

struct bad_case {
        const char *file;  /* under bad/ */
        const char *where; /* expected ":LINE: FIELD: " after the path (or ": FIELD: ") */
        const char *what;  /* a substring of the rest */
};

static const struct bad_case bad[] = {
    {"tls-value.txt", ":10: TlsNegotiation: ",
     "\"Mandatory\" is not a value; accepted: Required, Optional, NotSupported (or \"Not "
     "Supported\")"},
    {"sasl-value.txt", ":8: SaslNegotiation: ", "\"Maybe\" is not a value"},
    {"type-value.txt", ":6: PartnerType: ",
     "\"Trusted\" is not a value; accepted: Federated, PublicVerified, PublicUnverified"},
    {"dialback-value.txt",
     ":9: SupportDialbackNegotiation: ", "\"Yes\" is not a value; accepted: True, False"},
    {"no-identity.txt", ":2: Identity: ", "neither Identity nor Domain"},
    {"identity-domain-differ.txt",
     ":2: Domain: ", "\"other.test\" differs from Identity \"partner.test\""},
    {"misspelt-key.txt", ":5: TlsNegotation: ", "unknown key; did you mean TlsNegotiation?"},
    {"misspelt-element.xml",
     ":4: TlsNegotation: ", "unknown element; did you mean TlsNegotiation?;"},
    {"duplicate-key.txt",
     ":11: TlsNegotiation: ", "appears twice in one partner (first at line 10)"},
    {"not-name-value.txt", ":11: line: ", "the next line\" is not a \"Name : Value\" line"},
    {"identity-ulabel.txt", ":1: Identity: ", "use the A-label form xn--bcher-kva.example"},
    {"identity-hyphen.txt", ":1: Identity: ", "label \"-partner\" starts with a hyphen"},
    {"identity-empty-label.txt", ":1: Identity: ", "empty label"},
    {"additional-not-list.txt", ":2: AdditionalDomains: ", "is not a list"},
    {"additional-truncated.txt", ":2: AdditionalDomains: ", "$FormatEnumerationLimit = -1"},
    {"additional-duplicate.txt",
     ":2: AdditionalDomains: ", "\"corp.partner.test\" is listed twice"},
    {"additional-primary.txt", ":2: AdditionalDomains: ", "\"partner.test\" is the primary domain"},
    {"additional-too-many.txt", ":2: AdditionalDomains: ", "accepted: at most 64 per partner"},
    {"additional-bad-domain.txt", ":2: AdditionalDomains: ", "character '_' in label \"corp_2\""},
    {"description-control.txt", ":4: Description: ", "control character 0x07"},
    {"connection-limit.txt", ":3: ConnectionLimit: ", "\"lots\" is not a number"},
    {"invalid-alabel.txt", ":1: Identity: ", "\"xn--abc\" is not a valid A-label"},
    {"ip-address.txt", ":1: Identity: ", "all digits"},
    {"duplicate-identity.txt", ":23: Identity: ", "\"partner.test\" is also the partner at line 1"},
    {"empty.txt", ": file: ", "no partner in the file"},
    {"utf16.txt", ":1: file: ", "the file is UTF-16"},
    {"tls-value.xml", ":3: TlsNegotiation: ",
     "\"Mandatory\" is not a value; accepted: Required, Optional, NotSupported"},
    {"dialback-value.xml",
     ":3: SupportDialbackNegotiation: ", "\"True\" is not a value; accepted: true, false"},
    {"type-value.xml", ":3: PartnerType: ", "\"Public verified\" is not a value"},
    {"neg-spaced.xml", ":3: SaslNegotiation: ", "\"Not Supported\" is not a value"},
    {"unknown-element.xml", ":4: ProxyFqdn: ", "element <ProxyFqdn> is not part of the format"},
    {"duplicate-element.xml", ":5: TlsNegotiation: ", "appears more than once"},
    {"no-identity.xml", ":2: Identity: ", "the attribute is missing"},
    {"extra-attribute.xml", ":2: Domain: ", "attribute Domain is not part of the format"},
    {"wrong-namespace.xml", ":2: XML: ", "(namespace \"urn:example:other\") is not a partner"},
    {"no-namespace.xml", ":2: XML: ", "(namespace \"none\")"},
    {"doctype-laughs.xml", ":2: XML: ", "a <!DOCTYPE> is not allowed"},
    {"doctype-external.xml", ":2: XML: ", "a <!DOCTYPE> is not allowed"},
    {"not-well-formed.xml", ":3: XML: ", "Opening and ending tag mismatch"},
    {"undefined-entity.xml", ":3: XML: ", "Entity 'nbsp' not defined"},
    {"identity-bad.xml", ":2: Identity: ", "empty label"},
    {"identity-too-long.xml", ":3: Identity: ", "is 309 octets long; accepted: at most 253"},
    {"identity-ulabel.xml", ":2: Identity: ", "use the A-label form xn--bcher-kva.example"},
    {"additional-primary.xml", ":5: Domain: ", "\"partner.test\" is the primary domain"},
    {"additional-bad-domain.xml", ":4: Domain: ", "label \"corp-\" ends with a hyphen"},
    {"description-long.xml", ":3: Description: ", "1100 bytes long; accepted: at most 1024"},
    {"duplicate-identity.xml", ":5: Identity: ", "\"partner.test\" is also the partner at line 3"},
    {"empty-list.xml", ":2: XmppAllowedPartners: ", "the list holds no partner"},
};

#define N_BAD (sizeof(bad) / sizeof(bad[0]))
static size_t bad_idx[N_BAD];

ParameterizedTestParameters(partner, bad_fixture)
{
        for (size_t i = 0; i < N_BAD; i++)
                bad_idx[i] = i;
        return cr_make_param_array(size_t, bad_idx, N_BAD);
}

/* criterion workers are exec'd afresh, so parameters are indexes, not pointers. */
ParameterizedTest(size_t *i, partner, bad_fixture)
{
        const struct bad_case *c = &bad[*i];
        char path[512], prefix[640];

        snprintf(path, sizeof(path), DIR "bad/%s", c->file);
        snprintf(prefix, sizeof(prefix), "%s%s", path, c->where);
        load_bad(path, NULL, prefix, c->what);
}

/* Every file under bad/ is in the table, so a new broken fixture cannot go untested. */
Test(partner, bad_fixtures_all_listed)
{
        char cmd[600], name[256];
        FILE *ls;
        size_t n = 0;

        snprintf(cmd, sizeof(cmd), "ls '%s'", DIR "bad");
        ls = popen(cmd, "r");
        cr_assert_not_null(ls);
        while (fgets(name, sizeof(name), ls) != NULL) {
                bool found = false;

                name[strcspn(name, "\n")] = '\0';
                for (size_t i = 0; i < N_BAD; i++)
                        if (strcmp(bad[i].file, name) == 0)
                                found = true;
                cr_expect(found, "bad/%s has no expected message in test_partner.c", name);
                n++;
        }
        cr_assert_eq(pclose(ls), 0);
        cr_assert_eq(n, N_BAD);
}

Test(partner, missing_file)
{
        load_bad(DIR "no-such-file.xml", NULL,
                 DIR "no-such-file.xml: file: cannot open: ", "No such file");
}

/* A FIFO (no writer) or a device is refused at once: reading it would block. */
Test(partner, fifo_and_device_refused, .timeout = 10)
{
        char dir[] = "/tmp/s2s-partner-XXXXXX", fifo[64], prefix[128];

        cr_assert_not_null(mkdtemp(dir));
        snprintf(fifo, sizeof(fifo), "%s/p.xml", dir);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        snprintf(prefix, sizeof(prefix), "%s: file: ", fifo);
        load_bad(fifo, NULL, prefix, "not a regular file but a FIFO; accepted: a regular file");
        load_bad("/dev/zero", NULL, "/dev/zero: file: ", "not a regular file but a character");
        unlink(fifo);
        rmdir(dir);
}

/* An unknown key far from every known one is read past with a warning (forward
 * compatibility); PowerShell's own properties without one. */
Test(partner, text_unknown_key_warns)
{
        char path[] = "/tmp/s2s-partner-unknown-XXXXXX";
        int fd = mkstemp(path);
        FILE *f;
        struct partner p;
        char want[256];

        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        fputs("Identity : partner.test\nFutureProperty : 1\nTlsNegotiation : Optional\n"
              "PSComputerName : EDGE01\n\nIdentity : other.test\nAnotherNewOne : x\n",
              f);
        cr_assert_eq(fclose(f), 0);
        load_ok(path, "partner.test", &p);
        cr_assert_eq(p.neg.tls, NEG_OPTIONAL, "the known keys around it are read");
        snprintf(want, sizeof(want),
                 "%s:2: FutureProperty: unknown key, ignored\n%s:7: AnotherNewOne: unknown key, "
                 "ignored",
                 path, path);
        cr_assert_str_eq(p.warnings, want);
        partner_cleanup(&p);
        load_ok(DIR "m01.txt", NULL, &p);
        cr_assert_str_eq(p.warnings, "", "a clean file has no warning");
        partner_cleanup(&p);
        unlink(path);
}

Test(partner, file_too_big)
{
        char path[] = "/tmp/s2s-partner-big-XXXXXX";
        int fd = mkstemp(path);
        FILE *f;
        char prefix[128];

        cr_assert_geq(fd, 0);
        f = fdopen(fd, "w");
        cr_assert_not_null(f);
        fputs("Identity : partner.test\n", f);
        for (size_t i = 0; i < PARTNER_FILE_MAX / 16; i++)
                fputs("Unknown_key : x\n", f);
        cr_assert_eq(fclose(f), 0);
        snprintf(prefix, sizeof(prefix), "%s: file: ", path);
        load_bad(path, NULL, prefix, "larger than 1048576 bytes");
        unlink(path);
}

/* libxml2 must stay off stderr, whatever the XML (toolchain.md §2a, §3.4). */
Test(partner, broken_xml_keeps_stderr_empty, .init = cr_redirect_stderr)
{
        for (size_t i = 0; i < N_BAD; i++) {
                char path[512], err[1024];
                struct partner p;

                if (strstr(bad[i].file, ".xml") == NULL)
                        continue;
                snprintf(path, sizeof(path), DIR "bad/%s", bad[i].file);
                cr_assert_eq(partner_load(path, NULL, &p, err, sizeof(err)), -1);
        }
        fflush(stderr);
        cr_assert_stderr_eq_str("");
}

/* ---- the cmdlet line ---- */

static void check_cmdlet(const struct partner *p, const char *verb, const char *want)
{
        struct buf b;

        buf_init(&b, 0);
        cr_assert_eq(partner_cmdlet(p, verb, &b), 0);
        cr_assert_str_eq(b.data, want);
        buf_cleanup(&b);
}

Test(partner, cmdlet_plain)
{
        struct partner p;
        struct neg_settings s;

        cr_assert_eq(settings_from_row(7, &s), 0);
        cr_assert_eq(partner_init_from(&p, "Partner.Test.", &s), 0);
        cr_assert_null(p.source);
        check_cmdlet(&p, "New",
                     "New-CsXmppAllowedPartner -Identity \"partner.test\" -PartnerType "
                     "PublicUnverified -TlsNegotiation Required -SaslNegotiation Optional "
                     "-SupportDialbackNegotiation $True");
        check_cmdlet(&p, "Set",
                     "Set-CsXmppAllowedPartner -Identity \"partner.test\" -PartnerType "
                     "PublicUnverified -TlsNegotiation Required -SaslNegotiation Optional "
                     "-SupportDialbackNegotiation $True -AdditionalDomains $Null -Description "
                     "$Null");
        partner_cleanup(&p);
}

Test(partner, cmdlet_full)
{
        struct partner p;

        load_ok(DIR "m06.txt", NULL, &p);
        check_cmdlet(&p, "New",
                     "New-CsXmppAllowedPartner -Identity \"partner.test\" -PartnerType "
                     "PublicUnverified -TlsNegotiation NotSupported -SaslNegotiation Required "
                     "-SupportDialbackNegotiation $False -AdditionalDomains "
                     "\"corp.partner.test\",\"eu.partner.test\" -Description "
                     "\"Fabrikam: `\"gateway`\" `$test ``quoted``\"");
        partner_cleanup(&p);
        load_ok(DIR "m09.xml", NULL, &p);
        check_cmdlet(&p, "Set",
                     "Set-CsXmppAllowedPartner -Identity \"partner.test\" -PartnerType "
                     "PublicVerified -TlsNegotiation Optional -SaslNegotiation Optional "
                     "-SupportDialbackNegotiation $True -AdditionalDomains "
                     "\"corp.partner.test\",\"eu.partner.test\" -Description \"Row M9 of the "
                     "complete matrix\"");
        partner_cleanup(&p);
}

Test(partner, cmdlet_escapes_and_refusals)
{
        struct partner p;
        struct neg_settings s = {NEG_OPTIONAL, NEG_NOTSUPPORTED, true};
        struct buf b;

        cr_assert_eq(partner_init_from(&p, "partner.test", &s), 0);
        p.type = PARTNER_FEDERATED;
        /* PowerShell also ends a "..." string at typographic quotes. */
        p.description = strdup("say \xe2\x80\x9chi\xe2\x80\x9d\ttab");
        cr_assert_not_null(p.description);
        check_cmdlet(&p, "New",
                     "New-CsXmppAllowedPartner -Identity \"partner.test\" -PartnerType Federated "
                     "-TlsNegotiation Optional -SaslNegotiation NotSupported "
                     "-SupportDialbackNegotiation $True -Description \"say `\xe2\x80\x9chi`"
                     "\xe2\x80\x9d`ttab\"");
        buf_init(&b, 0);
        cr_assert_eq(partner_cmdlet(&p, "Get", &b), -1);
        cr_assert_eq(partner_cmdlet(&p, "new", &b), -1);
        p.description[0] = '\x01';
        cr_assert_eq(partner_cmdlet(&p, "New", &b), -1);
        buf_cleanup(&b);
        partner_cleanup(&p);
}

/* ---- small API ---- */

Test(partner, type_names)
{
        enum partner_type t;

        cr_assert_str_eq(partner_type_name(PARTNER_FEDERATED), "Federated");
        cr_assert_str_eq(partner_type_name(PARTNER_PUBLIC_VERIFIED), "PublicVerified");
        cr_assert_str_eq(partner_type_name(PARTNER_PUBLIC_UNVERIFIED), "PublicUnverified");
        cr_assert_eq(partner_type_parse("Public verified", &t), 0);
        cr_assert_eq(t, PARTNER_PUBLIC_VERIFIED);
        cr_assert_eq(partner_type_parse("publicunverified", &t), 0);
        cr_assert_eq(t, PARTNER_PUBLIC_UNVERIFIED);
        cr_assert_eq(partner_type_parse(" FEDERATED ", &t), 0);
        cr_assert_eq(t, PARTNER_FEDERATED);
        cr_assert_eq(partner_type_parse("Public", &t), -1);
        cr_assert_eq(partner_type_parse("PublicVerifiedX", &t), -1);
        cr_assert_eq(partner_type_parse("", &t), -1);
        cr_assert_eq(partner_type_parse(NULL, &t), -1);
}

Test(partner, init_from_refuses_bad_domain)
{
        struct partner p;
        struct neg_settings s = {NEG_REQUIRED, NEG_REQUIRED, true};

        cr_assert_eq(partner_init_from(&p, "bad..domain", &s), -1);
        cr_assert(is_zero(&p));
        partner_cleanup(&p); /* safe on a zeroed struct */
        partner_cleanup(NULL);
}

/* The schema is built in (schema.h) and is byte for byte the one in the source tree. */
Test(partner, schema_built_in)
{
        size_t len = 0, n;
        const char *rng = schema_get("partner", &len);
        static char src[65536];
        FILE *f = fopen(S2S_FIXTURE_DIR "/../harness/schema/partner.rng", "rb");

        cr_assert_not_null(rng);
        cr_assert_not_null(f);
        n = fread(src, 1, sizeof(src), f);
        fclose(f);
        cr_assert_eq(len, n);
        cr_assert(memcmp(rng, src, n) == 0);
        cr_assert_eq(rng[len], '\0');
        cr_assert_null(schema_get("no-such-schema", &len));
        cr_assert_null(schema_get(NULL, NULL));
}

/* Issue 12 item 5: ConnectionLimit, ProxyFqdn and EnableKeepAlive are kept, not only
 * checked; empty or absent, they say so. */
Test(partner, text_gateway_knobs)
{
        struct partner p;

        load_ok(DIR "gateway-knobs.txt", NULL, &p);
        cr_expect_eq(p.connection_limit, 3);
        cr_assert_not_null(p.proxy_fqdn);
        cr_expect_str_eq(p.proxy_fqdn, "proxy.partner.test", "normalised");
        cr_expect_eq(p.keepalive, 1);
        partner_cleanup(&p);
        cr_expect(is_zero(&p));
        /* m01.txt: none of the three keys. */
        load_ok(DIR "m01.txt", NULL, &p);
        cr_expect_eq(p.connection_limit, 0);
        cr_expect_null(p.proxy_fqdn);
        cr_expect_eq(p.keepalive, -1);
        partner_cleanup(&p);
        /* The XML format has none of them. */
        load_ok(DIR "m01.xml", NULL, &p);
        cr_expect_eq(p.connection_limit, 0);
        cr_expect_null(p.proxy_fqdn);
        cr_expect_eq(p.keepalive, -1);
        partner_cleanup(&p);
}
