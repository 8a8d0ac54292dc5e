/*
 * Criterion tests for harness/html: the escaping of one text (markup, controls,
 * invalid UTF-8), and the HTML report against the JSON report of the same run (every
 * scenario id, its verdict and the summary line appear), with a transcript that
 * tries to inject markup; the document is valid UTF-8, holds no script, no
 * reference outside itself, and every link inside it has its target.
 */
#include <criterion/criterion.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "classify.h"
#include "html.h"
#include "oracle.h"
#include "report.h"
#include "results.h"
#include "settings.h"
#include "util.h"

/* A transcript that tries to inject markup, with invalid UTF-8 (stray continuation,
 * overlong, surrogate, truncated), C0 and C1 controls, a noncharacter and a URL. */
static const char hostile[] = "<script>alert(1)</script><img src=x onerror=alert(2)>"
                              "<a href=\"https://evil.example/\">x</a> '\"&amp;"
                              "\x80\xc0\xaf\xed\xa0\x80\x01\x1b[31m\xc2\x85\xef\xbf\xbe"
                              " caf\xc3\xa9 \xe2\x82";

/* One result of a hand-made run, as data. */
struct row {
        const char *id, *tags;
        int hrow;
        enum direction dir;
        enum outcome expected;
        unsigned observed;
        enum verdict verdict;
        enum rule_id rule;
        const char *cause, *transcript;
};

#define B(o) OUTCOME_BIT(OUTCOME_##o)

/* Partner M7 (E4): two matrix matches, a matrix mismatch whose transcript is
 * hostile, an error, a skip and a scenario outside the matrix. */
static const struct row mixed[] = {
    {"matrix-h1-out", "matrix", 1, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH, RULE_NONE, "",
     "<stream:stream to='partner.example'>"},
    {"matrix-h13-in", "matrix", 13, DIR_INBOUND, OUTCOME_DT, B(DT), VERDICT_MATCH, RULE_NONE, "",
     NULL},
    {"matrix-h13-out", "matrix", 13, DIR_OUTBOUND, OUTCOME_DT, B(F3), VERDICT_MISMATCH, RULE_DB_3,
     "db:result answered type='invalid' <&>", hostile},
    {"cert-none-out", "certificate,tls", 2, DIR_OUTBOUND, OUTCOME_S, 0, VERDICT_ERROR, RULE_NONE,
     "connect: refused", ""},
    {"dialback-wrong-key-out", "dialback", 13, DIR_OUTBOUND, OUTCOME_F3, 0, VERDICT_SKIP, RULE_NONE,
     "", NULL},
};

/* Only matches: nothing needs attention. */
static const struct row clean_run[] = {
    {"matrix-h1-out", "matrix", 1, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH, RULE_NONE, "",
     "<stream:features/>"},
    {"matrix-h1-in", "matrix", 1, DIR_INBOUND, OUTCOME_S, B(S), VERDICT_MATCH, RULE_NONE, "", ""},
};

static void build(struct run_report *r, const struct row *rows, size_t n)
{
        memset(r, 0, sizeof(*r));
        r->tool_version = "9.9.9";
        snprintf(r->partner_domain, sizeof(r->partner_domain), "partner.example");
        snprintf(r->target, sizeof(r->target), "127.0.0.1:5269");
        cr_assert_eq(settings_from_row(7, &r->partner), 0);
        r->started = 1714564800;
        r->results = calloc(n, sizeof(*r->results));
        cr_assert_not_null(r->results);
        r->n_results = n;
        for (size_t i = 0; i < n; i++) {
                struct scenario_result *s = &r->results[i];
                const struct row *w = &rows[i];

                snprintf(s->id, sizeof(s->id), "%s", w->id);
                snprintf(s->title, sizeof(s->title), "H%d %s <b>title</b>", w->hrow,
                         direction_name(w->dir));
                snprintf(s->tags, sizeof(s->tags), "%s", w->tags);
                s->harness_row = w->hrow;
                cr_assert_eq(settings_from_row(w->hrow, &s->harness), 0);
                s->dir = w->dir;
                s->expected = w->expected;
                s->observed = w->observed;
                s->verdict = w->verdict;
                s->not_run = w->verdict == VERDICT_SKIP;
                s->rule_id = w->rule;
                s->cause_class = w->verdict == VERDICT_MISMATCH ? CAUSE_CLASS_PARTNER_VIOLATION
                                 : w->verdict == VERDICT_ERROR  ? CAUSE_CLASS_HARNESS_ENVIRONMENT
                                                                : CAUSE_CLASS_NONE;
                snprintf(s->cause, sizeof(s->cause), "%s", w->cause);
                snprintf(s->pdomain, sizeof(s->pdomain), "partner.example");
                if (w->transcript != NULL) {
                        s->transcript = strdup(w->transcript);
                        cr_assert_not_null(s->transcript);
                }
        }
        classify_run(r);
}

/* The HTML report of r, NUL-terminated (owned by the caller). */
static char *html_of(const struct run_report *r)
{
        struct buf b;
        char *s;

        buf_init(&b, 0);
        cr_assert_eq(report_html(r, &b), 0);
        cr_assert_eq(buf_append(&b, "", 1), 0);
        s = strdup(b.data);
        cr_assert_not_null(s);
        buf_cleanup(&b);
        return s;
}

static json_t *json_of(const struct run_report *r)
{
        struct buf b;
        json_error_t err;
        json_t *j;

        buf_init(&b, 0);
        cr_assert_eq(report_json(r, &b), 0);
        j = json_loadb(b.data, b.len, 0, &err);
        cr_assert_not_null(j, "the JSON report does not parse: %s", err.text);
        buf_cleanup(&b);
        return j;
}

static size_t count(const char *hay, const char *needle)
{
        size_t n = 0;

        for (const char *p = strstr(hay, needle); p != NULL; p = strstr(p + 1, needle))
                n++;
        return n;
}

/* html_text of s, NUL-terminated in a static buffer. */
static const char *escaped(const char *s, size_t len)
{
        static char out[256];
        struct buf b;

        buf_init(&b, 0);
        cr_assert_eq(html_text(&b, s, len), 0);
        cr_assert_lt(b.len, sizeof(out));
        memcpy(out, b.data, b.len);
        out[b.len] = '\0';
        buf_cleanup(&b);
        return out;
}

#define FFFD "\xef\xbf\xbd"

Test(html, text_escapes_markup_and_quotes)
{
        cr_assert_str_eq(escaped("a<b>&\"'c", 8), "a&lt;b&gt;&amp;&quot;&#39;c");
        cr_assert_str_eq(escaped("plain text\tand\r\nlines", 21), "plain text\tand\r\nlines");
        cr_assert_str_eq(escaped("", 0), "");
}

Test(html, text_replaces_invalid_utf8_controls_and_noncharacters)
{
        cr_assert_str_eq(escaped("caf\xc3\xa9 \xe2\x82\xac", 9), "caf\xc3\xa9 \xe2\x82\xac");
        cr_assert_str_eq(escaped("\x80", 1), FFFD);
        cr_assert_str_eq(escaped("\xc0\xaf", 2), FFFD FFFD);          /* overlong */
        cr_assert_str_eq(escaped("\xed\xa0\x80", 3), FFFD FFFD FFFD); /* surrogate */
        cr_assert_str_eq(escaped("x\xe2\x82", 3), "x" FFFD FFFD);     /* truncated */
        cr_assert_str_eq(escaped("\x01\x1b\x7f", 3), FFFD FFFD FFFD);
        cr_assert_str_eq(escaped("\xc2\x85", 2), FFFD); /* C1 NEL */
        cr_assert_str_eq(escaped("\xef\xbf\xbe", 3), FFFD);
        /* A NUL inside the given length is a control too. */
        cr_assert_str_eq(escaped("a\0b", 3), "a" FFFD "b");
}

/* Every scenario id and its verdict, and the summary line, from the JSON report of
 * the same run. */
static void check_consistent(const struct run_report *r, const char *html)
{
        json_t *j = json_of(r), *results = json_object_get(j, "results"), *v;
        const char *line =
            json_string_value(json_object_get(json_object_get(j, "summary"), "line"));
        struct buf b;
        size_t i;

        cr_assert(json_is_array(results));
        cr_assert_eq(json_array_size(results), r->n_results);
        cr_assert_not_null(line);
        buf_init(&b, 0);
        cr_assert_eq(html_text(&b, line, strlen(line)), 0);
        cr_assert_eq(buf_append(&b, "", 1), 0);
        cr_assert_not_null(strstr(html, b.data), "the summary line '%s' is missing", line);
        json_array_foreach(results, i, v)
        {
                const char *id = json_string_value(json_object_get(v, "id"));
                const char *verdict = json_string_value(json_object_get(v, "verdict"));
                char want[256];

                cr_assert_not_null(id);
                cr_assert_not_null(verdict);
                snprintf(want, sizeof(want),
                         "<details id=\"s-%s\"><summary><span class=\"badge v-%s\">%s</span>", id,
                         verdict, verdict);
                cr_assert_eq(count(html, want), 1, "scenario %s (%s) is not there once", id,
                             verdict);
        }
        buf_cleanup(&b);
        json_decref(j);
}

/* What holds of every document: valid UTF-8 without controls but TAB/LF/CR, no
 * script, no reference outside itself, every internal link resolves. */
static void check_document(const char *html)
{
        const unsigned char *p = (const unsigned char *)html;
        size_t len = strlen(html), i = 0;

        while (i < len) {
                uint32_t cp;
                size_t n = util_utf8_decode(&p[i], len - i, &cp);

                cr_assert_gt(n, 0, "invalid UTF-8 at byte %zu", i);
                cr_assert(!(cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r'),
                          "control U+%04X at byte %zu", (unsigned)cp, i);
                i += n;
        }
        cr_assert_eq(strncmp(html, "<!DOCTYPE html>\n", 16), 0);
        cr_assert_not_null(strstr(html, "<meta http-equiv=\"Content-Security-Policy\" "
                                        "content=\"default-src 'none'; style-src "
                                        "'unsafe-inline'; img-src data:;"));
        cr_assert_eq(count(html, "<script"), 0);
        cr_assert_eq(count(html, "<img"), 0);
        cr_assert_eq(count(html, "src=\""), 0);
        cr_assert_eq(count(html, "<link"), 0);
        cr_assert_eq(count(html, "http://"), 0);
        cr_assert_eq(count(html, "https://evil"), 1, "the hostile URL appears once, as text");
        cr_assert_eq(count(html, "href=\"h"), 0);
        for (const char *h = strstr(html, "href=\""); h != NULL; h = strstr(h + 1, "href=\"")) {
                char target[300];
                size_t n = strcspn(h + 6, "\"");

                cr_assert_eq(h[6], '#', "a link that leaves the document: %.60s", h);
                cr_assert_lt(n + 8, sizeof(target));
                snprintf(target, sizeof(target), "id=\"%.*s\"", (int)n - 1, h + 7);
                cr_assert_not_null(strstr(html, target), "no target for %.*s", (int)n, h + 6);
        }
        cr_assert_str_eq(html + len - 8, "</html>\n");
}

Test(html, mixed_run_matches_json_and_escapes_the_wire)
{
        struct run_report r;
        char *html;

        build(&r, mixed, ARRAY_LEN(mixed));
        html = html_of(&r);
        check_consistent(&r, html);
        check_document(html);
        cr_assert_not_null(strstr(html, "<h1 id=\"verdict\">s2scheck: needs attention</h1>"));
        cr_assert_null(strstr(html, "SELF-TEST"), "a run against a real partner is no self-test");
        /* The hostile transcript is text. */
        cr_assert_not_null(strstr(html, "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x "
                                        "onerror=alert(2)&gt;&lt;a href=&quot;https://evil."
                                        "example/&quot;&gt;x&lt;/a&gt; &#39;&quot;&amp;amp;"));
        cr_assert_not_null(strstr(html, FFFD FFFD FFFD FFFD FFFD FFFD FFFD FFFD
                                  "[31m" FFFD FFFD " caf\xc3\xa9 " FFFD FFFD "</pre>"));
        cr_assert_not_null(strstr(html, "db:result answered type=&#39;invalid&#39; &lt;&amp;&gt;"));
        cr_assert_eq(count(html, "<b>title</b>"), 0);
        cr_assert_eq(count(html, "&lt;b&gt;title&lt;/b&gt;"), ARRAY_LEN(mixed));
        /* The matrix: all 18 rows; this run's mismatch cell, and the oracle's. */
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                char th[32];

                snprintf(th, sizeof(th), "<tr><th>H%d <span", row);
                cr_assert_geq(count(html, th), 2, "H%d is not in both grids", row);
        }
        cr_assert_not_null(
            strstr(html, "<td class=\"v-mismatch\"><b>mismatch</b><br>Dt \xe2\x86\x92 F3<br><a "
                         "href=\"#s-matrix-h13-out\">"));
        cr_assert_eq(count(html, "<td class=\"none\">not in this run</td>"), 36 - 3);
        /* The cause's group cites its rule, whose text the report carries. */
        cr_assert_not_null(strstr(html, "<a href=\"#rule-DB-3\">DB-3</a>"));
        cr_assert_eq(count(html, "<dt id=\"rule-DB-3\">DB-3</dt>"), 1);
        cr_assert_eq(
            count(html, escaped(rule_get(RULE_DB_3)->req, strlen(rule_get(RULE_DB_3)->req))), 2,
            "the rule's text, in its group and in the rules cited");
        free(html);
        run_report_cleanup(&r);
}

Test(html, clean_run_passes)
{
        struct run_report r;
        char *html;

        build(&r, clean_run, ARRAY_LEN(clean_run));
        r.self_test = true;
        html = html_of(&r);
        check_consistent(&r, html);
        cr_assert_not_null(strstr(html, "<h1 id=\"verdict\">s2scheck: pass</h1>"));
        cr_assert_not_null(strstr(html, "<header class=\"top pass\">"));
        cr_assert_not_null(strstr(html, "Nothing: no mismatch, no xpass, no error."));
        cr_assert_not_null(strstr(html, "<p><b>SELF-TEST</b>: "));
        cr_assert_eq(count(html, "http://") + count(html, "https://"), 0);
        free(html);
        run_report_cleanup(&r);
}

/* The verdicts' colours come from one table: each verdict has its rule, and a
 * badge names the verdict in text beside its colour. */
Test(html, every_verdict_has_a_colour_and_a_name)
{
        struct run_report r;
        char *html;

        build(&r, clean_run, ARRAY_LEN(clean_run));
        html = html_of(&r);
        for (int v = 0; v < VERDICT_COUNT; v++) {
                char rule[64], badge[96];

                snprintf(rule, sizeof(rule), ".v-%s{background:#", verdict_name((enum verdict)v));
                snprintf(badge, sizeof(badge), "<span class=\"badge v-%s\">%s</span>",
                         verdict_name((enum verdict)v), verdict_name((enum verdict)v));
                cr_assert_eq(count(html, rule), 1, "%s", rule);
                cr_assert_geq(count(html, badge), 1, "%s", badge);
        }
        free(html);
        run_report_cleanup(&r);
}

/* --no-transcripts-inline: each scenario names its transcript's file instead. */
Test(html, transcripts_by_reference)
{
        struct run_report r;
        char *html;

        build(&r, mixed, ARRAY_LEN(mixed));
        r.transcripts_dir = "out/tr<x>";
        r.no_transcripts_inline = true;
        html = html_of(&r);
        cr_assert_eq(count(html, "<pre class=\"transcript\">"), 0);
        cr_assert_eq(count(html, "alert(1)"), 0);
        cr_assert_eq(
            count(html, "<p>Transcript: <code>out/tr&lt;x&gt;/matrix-h13-out.txt</code></p>"), 1);
        cr_assert_eq(count(html, "<p>Transcript: <code>out/tr&lt;x&gt;/"), ARRAY_LEN(mixed));
        free(html);
        run_report_cleanup(&r);
}
