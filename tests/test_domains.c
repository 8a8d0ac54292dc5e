/*
 * Criterion tests for harness/domains (issue 13 item 1): run reports built by hand
 * with typed domain facts go through domains_judge (via classify_run), and the
 * negotiation classification, the suggested cmdlet, the exit code and the three
 * reports are checked. The partner is M8 (E1) with three additional domains, one
 * not served (host-unknown) and one its certificate does not cover.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/xpath.h>

#include "buf.h"
#include "checkup.h"
#include "classify.h"
#include "domains.h"
#include "report.h"
#include "results.h"
#include "runner.h"
#include "settings.h"

#define B(o) OUTCOME_BIT(OUTCOME_##o)

static struct scenario_result *add(struct run_report *r, const char *id, int hrow,
                                   enum direction dir, const char *pdomain, bool domains)
{
        struct scenario_result *grown, *s;
        struct neg_settings h;

        grown = realloc(r->results, (r->n_results + 1) * sizeof(*grown));
        cr_assert_not_null(grown);
        r->results = grown;
        s = &r->results[r->n_results++];
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->dir = dir;
        s->harness_row = hrow;
        cr_assert_eq(settings_from_row(hrow, &h), 0);
        s->harness = h;
        s->expected = oracle_expect(&h, SEMANTICS_MATRIX, &r->partner, dir, NULL, 0);
        snprintf(s->pdomain, sizeof(s->pdomain), "%s", pdomain);
        s->domains_scenario = domains;
        return s;
}

/* A result that observed what the partner's row implies (a match), served and
 * covered, authenticated when the outcome is a success. */
static struct scenario_result *conforming(struct run_report *r, const char *id, int hrow,
                                          enum direction dir, const char *pdomain, bool domains)
{
        struct scenario_result *s = add(r, id, hrow, dir, pdomain, domains);
        bool ok = (OUTCOME_BIT(s->expected) & OUTCOME_SUCCESS_SET) != 0;

        s->observed = OUTCOME_BIT(s->expected);
        s->verdict = VERDICT_MATCH;
        s->served = DOM_YES;
        s->cert_covers = DOM_YES;
        s->authenticated = ok ? DOM_YES : DOM_NO;
        return s;
}

/* partner.test (M8) with corp (fine), gone (host-unknown), other (no certificate
 * name). The negotiation scenarios fit M8 exactly. */
static void build(struct run_report *r)
{
        static const int rows[] = {1, 2, 13, 17, 9};
        struct scenario_result *s;
        char id[64];

        memset(r, 0, sizeof(*r));
        r->tool_version = "9.9.9";
        snprintf(r->partner_domain, sizeof(r->partner_domain), "partner.test");
        snprintf(r->target, sizeof(r->target), "127.0.0.1:5269");
        cr_assert_eq(settings_from_row(8, &r->partner), 0);
        snprintf(r->additional[0], sizeof(r->additional[0]), "corp.partner.test");
        snprintf(r->additional[1], sizeof(r->additional[1]), "gone.partner.test");
        snprintf(r->additional[2], sizeof(r->additional[2]), "other.test");
        r->n_additional = 3;
        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        snprintf(id, sizeof(id), "matrix-h%d-%s", rows[i], d ? "in" : "out");
                        conforming(r, id, rows[i], (enum direction)d, "partner.test", false);
                }
        }
        conforming(r, "domains-additional-h1-out.corp.partner.test", 1, DIR_OUTBOUND,
                   "corp.partner.test", true);
        conforming(r, "domains-additional-h1-in.corp.partner.test", 1, DIR_INBOUND,
                   "corp.partner.test", true);
        /* gone: host-unknown both ways (mismatch out, error in: no stream came). */
        s = add(r, "domains-additional-h1-out.gone.partner.test", 1, DIR_OUTBOUND,
                "gone.partner.test", true);
        s->observed = B(F4);
        s->verdict = VERDICT_MISMATCH;
        s->served = DOM_NO;
        s = add(r, "domains-additional-h1-in.gone.partner.test", 1, DIR_INBOUND,
                "gone.partner.test", true);
        s->verdict = VERDICT_ERROR;
        s->served = DOM_NO;
        /* other: served, the certificate does not name it. */
        s = add(r, "domains-additional-h1-out.other.test", 1, DIR_OUTBOUND, "other.test", true);
        s->observed = B(F1);
        s->verdict = VERDICT_MISMATCH;
        s->served = DOM_YES;
        s->cert_covers = DOM_NO;
        s->authenticated = DOM_NO;
}

/* The text report of r (owned by the caller). */
static char *render_text(const struct run_report *r)
{
        char *text = NULL;
        size_t tlen = 0;
        FILE *f = open_memstream(&text, &tlen);

        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, r, false), 0);
        cr_assert_eq(fclose(f), 0);
        return text;
}

Test(domains, unserved_domain_leaves_the_negotiation_class_alone)
{
        struct run_report r;

        build(&r);
        classify_run(&r);
        /* Without the domains-* results, M8 explains every observation. */
        cr_expect_eq(classify_state(&r), CLASSIFY_OWN_ROW, "state %s",
                     classify_state_name(classify_state(&r)));
        cr_expect_eq(r.n_classified, 10);
        cr_expect_eq(r.domains.n_domains, 4);
        cr_expect_eq(r.domains.not_served, 1);
        cr_expect_eq(r.domains.not_covered, 1);
        cr_expect_eq(r.domains.faults, 3, "faults %zu", r.domains.faults);
        cr_expect_str_eq(r.domains.summary, "1 of 4 not served, 1 not covered by the certificate");
        cr_expect_str_eq(r.suggested,
                         "Set-CsXmppAllowedPartner -Identity \"partner.test\" -TlsNegotiation "
                         "Required -SaslNegotiation Optional -SupportDialbackNegotiation $False "
                         "-AdditionalDomains @{Remove=\"gone.partner.test\"}");
        cr_expect_eq(runner_exit_code(&r), 1);
        run_report_cleanup(&r);
}

Test(domains, items_in_file_order_with_findings_and_fixes)
{
        struct run_report r;
        const struct domain_item *it;

        build(&r);
        classify_run(&r);
        cr_assert_eq(r.domains.n_items, 7, "items %zu", r.domains.n_items);
        it = &r.domains.items[0];
        cr_expect_str_eq(it->domain, "partner.test");
        cr_expect(it->primary);
        cr_expect_eq(it->dir, DIR_OUTBOUND);
        cr_expect_eq(it->served, DOM_YES);
        cr_expect_eq(it->authenticated, DOM_YES);
        cr_expect_str_eq(it->finding, "");
        cr_expect_eq(r.domains.items[1].dir, DIR_INBOUND);
        cr_expect_str_eq(r.domains.items[2].domain, "corp.partner.test");
        it = &r.domains.items[4];
        cr_expect_str_eq(it->domain, "gone.partner.test");
        cr_expect_eq(it->served, DOM_NO);
        cr_expect(strstr(it->finding, "gone.partner.test is not served by the partner "
                                      "(host-unknown)") == it->finding,
                  "%s", it->finding);
        cr_expect_str_eq(it->fix,
                         "remove gone.partner.test from AdditionalDomains, or ask the partner to "
                         "host it");
        it = &r.domains.items[6];
        cr_expect_str_eq(it->domain, "other.test");
        cr_expect(strstr(it->finding, "the partner's certificate does not cover other.test") ==
                      it->finding,
                  "%s", it->finding);
        run_report_cleanup(&r);
}

Test(domains, all_served_is_no_fault_and_exit_follows_the_verdicts)
{
        struct run_report r;

        build(&r);
        /* Drop the faulty results: gone and other are now never addressed. */
        r.n_results -= 3;
        classify_run(&r);
        cr_expect_eq(r.domains.faults, 0);
        cr_expect_eq(r.domains.not_served, 0);
        cr_expect_str_eq(r.domains.summary, "2 of 4 served, 2 not checked");
        cr_expect_eq(r.domains.served, 2);
        cr_expect_eq(r.domains.not_checked, 2);
        cr_expect_eq(runner_exit_code(&r), 0);
        cr_expect(strstr(r.suggested, "AdditionalDomains") == NULL, "%s", r.suggested);
        r.n_results += 3;
        run_report_cleanup(&r);
}

Test(domains, expected_failure_is_not_an_authentication_fault)
{
        struct run_report r;

        build(&r);
        r.n_results -= 3;
        /* H13 against M8 is F3 by the settings: not authenticating there is right. */
        for (size_t i = 0; i < r.n_results; i++)
                cr_assert(r.results[i].harness_row != 13 || r.results[i].authenticated == DOM_NO);
        classify_run(&r);
        cr_expect_eq(r.domains.not_auth, 0);
        cr_expect_eq(r.domains.items[0].authenticated, DOM_YES);
        r.n_results += 3;
        run_report_cleanup(&r);
}

Test(domains, an_error_is_no_authentication_fault)
{
        struct run_report r;
        struct scenario_result *s;

        memset(&r, 0, sizeof(r));
        snprintf(r.partner_domain, sizeof(r.partner_domain), "partner.test");
        cr_assert_eq(settings_from_row(8, &r.partner), 0);
        /* The only result: H1 outbound expects S, the partner stayed silent (error). */
        s = add(&r, "matrix-h1-out", 1, DIR_OUTBOUND, "partner.test", false);
        cr_assert_eq(s->expected, OUTCOME_S);
        s->verdict = VERDICT_ERROR;
        s->authenticated = DOM_NO;
        classify_run(&r);
        cr_expect_eq(r.domains.not_auth, 0);
        cr_expect_eq(r.domains.faults, 0);
        cr_expect_eq(runner_exit_code(&r), 3);
        /* Judged (a mismatch), the same facts are a fault of the domain. */
        s->verdict = VERDICT_MISMATCH;
        s->observed = B(F3);
        classify_run(&r);
        cr_expect_eq(r.domains.not_auth, 1);
        cr_expect(strstr(r.domains.items[0].finding, "partner.test never authenticated") ==
                      r.domains.items[0].finding,
                  "%s", r.domains.items[0].finding);
        run_report_cleanup(&r);
}

Test(domains, the_domain_fix_alone_when_no_row_fits)
{
        struct run_report r;
        char *text;
        const char *want = "Set-CsXmppAllowedPartner -Identity \"partner.test\" "
                           "-AdditionalDomains @{Remove=\"gone.partner.test\"}";

        build(&r);
        /* H17 outbound observed S: no configuration explains that and the rest. */
        r.results[6].observed = B(S);
        r.results[6].verdict = VERDICT_MISMATCH;
        classify_run(&r);
        cr_assert_eq(classify_state(&r), CLASSIFY_NONE, "%s",
                     classify_state_name(classify_state(&r)));
        cr_expect_str_eq(r.suggested, want);
        text = render_text(&r);
        cr_expect(strstr(text, want) != NULL, "%s", text);
        free(text);
        run_report_cleanup(&r);
}

Test(domains, the_preflight_certificate_names_count)
{
        static struct checkup_report pre;
        struct run_report r;

        build(&r);
        r.n_results -= 3; /* no scenario addressed gone or other */
        memset(&pre, 0, sizeof(pre));
        cr_assert_not_null(checkup_add(&pre, "PRE-CERT-NAMES", CHECKUP_OK, "partner.test", NULL,
                                       "names partner.test"));
        cr_assert_not_null(checkup_add(&pre, "PRE-CERT-NAMES", CHECKUP_FAIL, "other.test", NULL,
                                       "does not name other.test"));
        r.preflight = &pre;
        classify_run(&r);
        cr_expect_eq(r.domains.not_covered, 1);
        cr_expect_str_eq(r.domains.summary,
                         "2 of 4 served, 2 not checked, 1 not covered by the certificate");
        cr_expect_eq(runner_exit_code(&r), 1);
        /* A run the preflight stopped says nothing of the domains. */
        r.preflight_stopped = true;
        classify_run(&r);
        cr_expect_eq(r.domains.faults, 0);
        r.preflight = NULL;
        r.n_results += 3;
        run_report_cleanup(&r);
}

Test(domains, primary_not_served_names_the_identity)
{
        struct run_report r;

        build(&r);
        r.n_results -= 3;
        for (size_t i = 0; i < r.n_results; i++) {
                if (strcmp(r.results[i].pdomain, "partner.test") == 0 &&
                    r.results[i].dir == DIR_OUTBOUND) {
                        r.results[i].served = DOM_NO;
                        r.results[i].authenticated = DOM_UNKNOWN;
                }
        }
        classify_run(&r);
        cr_expect_eq(r.domains.not_served, 1);
        cr_expect(strstr(r.domains.items[0].fix, "Identity") != NULL, "%s", r.domains.items[0].fix);
        /* The primary is never in a Remove list. */
        cr_expect(strstr(r.suggested, "Remove") == NULL, "%s", r.suggested);
        r.n_results += 3;
        run_report_cleanup(&r);
}

Test(domains, reports_carry_the_section)
{
        struct run_report r;
        struct buf json, junit;
        char *text;
        xmlDocPtr doc;
        xmlXPathContextPtr ctx;
        xmlXPathObjectPtr o;

        build(&r);
        classify_run(&r);
        buf_init(&json, 0);
        cr_assert_eq(report_json(&r, &json), 0);
        cr_expect(strstr(json.data, "\"domains\":{\"summary\":\"1 of 4 not served, 1 not covered "
                                    "by the certificate\"") != NULL,
                  "%s", json.data);
        cr_expect(strstr(json.data, "\"line\":\"negotiation: matches M8 (E1); domains: 1 of 4 "
                                    "not served") != NULL);
        cr_expect(strstr(json.data, "\"domain\":\"gone.partner.test\",\"role\":\"additional\","
                                    "\"direction\":\"outbound\",\"served\":\"no\"") != NULL);
        buf_init(&junit, 0);
        cr_assert_eq(report_junit(&r, &junit), 0);
        doc = xmlReadMemory(junit.data, (int)junit.len, "junit.xml", NULL, XML_PARSE_NONET);
        cr_assert_not_null(doc);
        ctx = xmlXPathNewContext(doc);
        o = xmlXPathEvalExpression(
            BAD_CAST "count(//testcase[@classname='s2scheck.partner.test.domains']/failure)", ctx);
        cr_expect_eq(o->floatval, 3);
        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
        xmlFreeDoc(doc);
        text = render_text(&r);
        cr_expect(strstr(text, "negotiation: matches M8 (E1); domains: 1 of 4 not served") != NULL,
                  "%s", text);
        cr_expect(strstr(text, "fix: remove gone.partner.test from AdditionalDomains") != NULL);
        free(text);
        buf_cleanup(&json);
        buf_cleanup(&junit);
        run_report_cleanup(&r);
}
