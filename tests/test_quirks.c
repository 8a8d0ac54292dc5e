/* quirks_apply: the per-partner overlay of known deviations (docs/scenarios.md). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "quirks.h"
#include "scenario.h"
#include "testdir.h"

static char dir[64];

static void setup(void)
{
        test_dir_make(dir, sizeof(dir), "quirks");
}

static void teardown(void)
{
        test_dir_remove(dir);
}

/* Writes text to DIR/name and returns the path (static buffer, one at a time). */
static const char *file(const char *name, const char *text)
{
        static char path[128];
        FILE *f;

        snprintf(path, sizeof(path), "%s/%s", dir, name);
        f = fopen(path, "w");
        cr_assert_not_null(f);
        cr_assert_geq(fputs(text, f), 0);
        cr_assert_eq(fclose(f), 0);
        return path;
}

static struct scenario *by_id(struct scenario_suite *s, const char *id)
{
        for (size_t i = 0; i < s->n; i++)
                if (strcmp(s->items[i].id, id) == 0)
                        return &s->items[i];
        cr_assert_fail("no scenario %s", id);
        return NULL;
}

static void load(struct scenario_suite *s)
{
        char err[1024];

        cr_assert_eq(scenario_load_dir(SCENARIO_DEFAULT_DIR, s, err, sizeof(err)), 0, "%s", err);
}

/* No scenario of the default suite carries an xfail: the quirks belong to partners. */
static size_t count_xfail(struct scenario_suite *s)
{
        size_t n = 0;

        for (size_t i = 0; i < s->n; i++)
                n += s->items[i].xfail != NULL;
        return n;
}

Test(quirks, marks_the_listed_scenarios, .init = setup, .fini = teardown)
{
        struct scenario_suite s;
        char err[1024], at[160];
        const char *f = file("p.xml", "<quirks xmlns='urn:s2scheck:quirks:1' partner='Prosody'>\n"
                                      "  <quirk scenario='cert-clientauth-out'\n"
                                      "         reason='wants serverAuth\n   as well'/>\n"
                                      "  <quirk scenario='matrix-h1-in' reason='two'/>\n"
                                      "</quirks>\n");

        load(&s);
        cr_assert_eq(count_xfail(&s), 0);
        cr_assert_eq(quirks_apply(&s, f, NULL, err, sizeof(err)), 0, "%s", err);
        cr_expect_eq(count_xfail(&s), 2);
        cr_expect_str_eq(by_id(&s, "cert-clientauth-out")->xfail, "wants serverAuth as well");
        /* libxml2 numbers an element by the line its start tag ends on. */
        snprintf(at, sizeof(at), "%s:4", f);
        cr_expect_str_eq(by_id(&s, "cert-clientauth-out")->quirk_at, at);
        cr_expect_str_eq(by_id(&s, "matrix-h1-in")->xfail, "two");
        scenario_suite_cleanup(&s);
}

Test(quirks, an_empty_list_changes_nothing, .init = setup, .fini = teardown)
{
        struct scenario_suite s;
        char err[1024];

        load(&s);
        cr_assert_eq(quirks_apply(&s, file("e.xml", "<quirks xmlns='urn:s2scheck:quirks:1'/>"),
                                  NULL, err, sizeof(err)),
                     0, "%s", err);
        cr_expect_eq(count_xfail(&s), 0);
        scenario_suite_cleanup(&s);
}

/* Each broken file: -1, the suite untouched (not even the good quirks before the bad
 * one), and one line naming the file, the line and what would be accepted. */
Test(quirks, refuses_broken_files, .init = setup, .fini = teardown)
{
        static const struct {
                const char *text, *says;
        } cases[] = {
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n"
             "<quirk scenario='matrix-h1-in' reason='a'/>\n"
             "<quirk scenario='no-such-scenario' reason='b'/></quirks>",
             ":3: quirk@scenario: no scenario of the suite has the id \"no-such-scenario\""},
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n"
             "<quirk scenario='matrix-h1-in' reason='a'/>\n"
             "<quirk scenario='matrix-h1-in' reason='b'/></quirks>",
             ":3: quirk@scenario: \"matrix-h1-in\" is also listed at "},
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n<quirk scenario='matrix-h1-in'/></quirks>",
             ":2: quirk@reason: the reason is missing; accepted: 1-300 bytes"},
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n<quirk scenario='matrix-h1-in' reason='a' "
             "when='x'/></quirks>",
             ":2: quirk: attribute when is not part of the format; accepted: "},
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n<quirk scenario='matrix-h1-in' "
             "reason=''/></quirks>",
             ":2: quirk@reason: the reason is empty; accepted: 1-300 bytes"},
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n<other/></quirks>", ":2: other: "},
            {"<quirks xmlns='urn:other'/>", "is not a quirks list; accepted: <quirks"},
            {"<?xml version='1.0'?>\n<!DOCTYPE quirks [<!ENTITY a 'b'>]>\n"
             "<quirks xmlns='urn:s2scheck:quirks:1'/>",
             "XML: a <!DOCTYPE> is not allowed; accepted: XML without a DTD"},
            {"<quirks xmlns='urn:s2scheck:quirks:1'>\n<quirk", ": XML: "},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct scenario_suite s;
                char err[1024] = "", name[32];
                const char *f;

                snprintf(name, sizeof(name), "bad%zu.xml", i);
                f = file(name, cases[i].text);
                load(&s);
                cr_expect_eq(quirks_apply(&s, f, NULL, err, sizeof(err)), -1, "case %zu applied",
                             i);
                cr_expect_not_null(strstr(err, cases[i].says), "case %zu: \"%s\"", i, err);
                cr_expect_eq(strncmp(err, f, strlen(f)), 0, "case %zu names the file: %s", i, err);
                cr_expect_null(strchr(err, '\n'), "case %zu: one line", i);
                cr_expect_eq(count_xfail(&s), 0, "case %zu changed the suite", i);
                scenario_suite_cleanup(&s);
        }
}

/* Two files may not both describe one scenario, and a quirk may not hide a scenario's
 * own <xfail>. */
Test(quirks, one_reason_per_scenario, .init = setup, .fini = teardown)
{
        struct scenario_suite s;
        char err[1024], a[128];
        struct scenario *sc;

        load(&s);
        snprintf(a, sizeof(a), "%s",
                 file("a.xml", "<quirks xmlns='urn:s2scheck:quirks:1'>"
                               "<quirk scenario='matrix-h2-out' reason='a'/></quirks>"));
        cr_assert_eq(quirks_apply(&s, a, NULL, err, sizeof(err)), 0, "%s", err);
        cr_expect_eq(quirks_apply(&s,
                                  file("b.xml", "<quirks xmlns='urn:s2scheck:quirks:1'>"
                                                "<quirk scenario='matrix-h2-out' reason='b'/>"
                                                "</quirks>"),
                                  NULL, err, sizeof(err)),
                     -1);
        cr_expect_not_null(strstr(err, "is also listed at"), "%s", err);
        cr_expect_not_null(strstr(err, a), "%s", err);
        sc = by_id(&s, "matrix-h3-out");
        sc->xfail = strdup("the scenario's own");
        cr_assert_not_null(sc->xfail);
        cr_expect_eq(quirks_apply(&s,
                                  file("c.xml", "<quirks xmlns='urn:s2scheck:quirks:1'>"
                                                "<quirk scenario='matrix-h3-out' reason='c'/>"
                                                "</quirks>"),
                                  NULL, err, sizeof(err)),
                     -1);
        cr_expect_not_null(strstr(err, "already expects a deviation"), "%s", err);
        cr_expect_str_eq(sc->xfail, "the scenario's own");
        scenario_suite_cleanup(&s);
}

Test(quirks, refuses_a_missing_file)
{
        struct scenario_suite s;
        char err[1024];

        load(&s);
        cr_expect_eq(quirks_apply(&s, "/nonexistent/q.xml", NULL, err, sizeof(err)), -1);
        cr_expect_str_eq(err, "/nonexistent/q.xml: file: cannot open: No such file or directory; "
                              "accepted: a readable file");
        scenario_suite_cleanup(&s);
}

/* Conditions: a quirk applies only to the partner configurations it names; the ids
 * of the others are still checked, and two quirks of one scenario may coexist when
 * their conditions do not meet. */
Test(quirks, conditions_on_the_partner_configuration, .init = setup, .fini = teardown)
{
        static const struct {
                struct neg_settings p;
                const char *h1out, *h2out;
        } cases[] = {
            {{NEG_REQUIRED, NEG_OPTIONAL, true}, "tls-sasl", "db"},
            {{NEG_OPTIONAL, NEG_REQUIRED, false}, "tls-sasl", NULL},
            {{NEG_NOTSUPPORTED, NEG_NOTSUPPORTED, true}, "plain", "db"},
            {{NEG_REQUIRED, NEG_NOTSUPPORTED, false}, NULL, NULL},
        };
        const char *f = file("c.xml", "<quirks xmlns='urn:s2scheck:quirks:1'>\n"
                                      "<quirk scenario='matrix-h1-out' reason='tls-sasl'\n"
                                      "  partner-tls='Required Optional' partner-sasl='Required "
                                      "Optional'/>\n"
                                      "<quirk scenario='matrix-h1-out' reason='plain' "
                                      "partner-tls='NotSupported'/>\n"
                                      "<quirk scenario='matrix-h2-out' reason='db' "
                                      "partner-dialback='true'/>\n"
                                      "</quirks>\n");

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct scenario_suite s;
                char err[1024];
                const char *got;

                load(&s);
                cr_assert_eq(quirks_apply(&s, f, &cases[i].p, err, sizeof(err)), 0, "%zu: %s", i,
                             err);
                got = by_id(&s, "matrix-h1-out")->xfail;
                if (cases[i].h1out == NULL)
                        cr_expect_null(got, "case %zu: %s", i, got);
                else
                        cr_expect(got != NULL && strcmp(got, cases[i].h1out) == 0, "case %zu: %s",
                                  i, got != NULL ? got : "(none)");
                got = by_id(&s, "matrix-h2-out")->xfail;
                if (cases[i].h2out == NULL)
                        cr_expect_null(got, "case %zu: %s", i, got);
                else
                        cr_expect(got != NULL && strcmp(got, cases[i].h2out) == 0, "case %zu", i);
                scenario_suite_cleanup(&s);
        }
        /* Overlapping conditions for one configuration: the second is refused. */
        {
                struct scenario_suite s;
                struct neg_settings p = {NEG_REQUIRED, NEG_REQUIRED, true};
                char err[1024];

                load(&s);
                cr_expect_eq(
                    quirks_apply(&s,
                                 file("o.xml", "<quirks xmlns='urn:s2scheck:quirks:1'>"
                                               "<quirk scenario='matrix-h3-out' reason='a' "
                                               "partner-tls='Required'/>\n"
                                               "<quirk scenario='matrix-h3-out' reason='b' "
                                               "partner-dialback='true'/></quirks>"),
                                 &p, err, sizeof(err)),
                    -1);
                cr_expect_not_null(strstr(err, ":2: quirk@scenario: \"matrix-h3-out\" is also "
                                               "listed at "),
                                   "%s", err);
                /* A bad value is the schema's to refuse. */
                cr_expect_eq(
                    quirks_apply(&s,
                                 file("v.xml", "<quirks xmlns='urn:s2scheck:quirks:1'>\n"
                                               "<quirk scenario='matrix-h3-out' reason='a' "
                                               "partner-tls='Mandatory'/></quirks>"),
                                 &p, err, sizeof(err)),
                    -1);
                cr_expect_not_null(strstr(err, ":2: quirk: "), "%s", err);
                scenario_suite_cleanup(&s);
        }
}
