#include "html.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "attention.h"
#include "classify.h"
#include "domains.h"
#include "oracle.h"
#include "report.h"
#include "rules.h"
#include "settings.h"
#include "util.h"
#include "verdict.h"

/* ---- escaping ----------------------------------------------------------------- */

int html_text(struct buf *out, const char *s, size_t len)
{
        static const char fffd[] = "\xef\xbf\xbd";
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0, run = 0; /* run: bytes from i kept as they are, not yet appended */

        while (i + run < len) {
                const unsigned char *c = &p[i + run];
                uint32_t cp = 0;
                size_t n = util_utf8_decode(c, len - i - run, &cp);
                const char *rep = NULL;

                if (n == 0) {
                        n = 1;
                        rep = fffd;
                } else if (cp == '&') {
                        rep = "&amp;";
                } else if (cp == '<') {
                        rep = "&lt;";
                } else if (cp == '>') {
                        rep = "&gt;";
                } else if (cp == '"') {
                        rep = "&quot;";
                } else if (cp == '\'') {
                        rep = "&#39;";
                } else if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
                           (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff) {
                        /* HTML's parse errors: controls and noncharacters in the input
                         * stream (WHATWG HTML §13.2.3.5). */
                        rep = fffd;
                }
                if (rep == NULL) {
                        run += n;
                        continue;
                }
                if (buf_append(out, &p[i], run) < 0 || buf_puts(out, rep) < 0)
                        return -1;
                i += run + n;
                run = 0;
        }
        return buf_append(out, &p[i], run);
}

/* ---- the writer ------------------------------------------------------------------ */

/* The output and whether a write failed: the writers below do nothing after a
 * failure, report_html checks once at the end. */
struct hw {
        struct buf *out;
        bool failed;
};

static void put(struct hw *w, const char *s)
{
        if (!w->failed && buf_puts(w->out, s) < 0)
                w->failed = true;
}

static void putf(struct hw *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void putf(struct hw *w, const char *fmt, ...)
{
        va_list ap;

        if (w->failed)
                return;
        va_start(ap, fmt);
        if (buf_vprintf(w->out, fmt, ap) < 0)
                w->failed = true;
        va_end(ap);
}

/* Text of at most max bytes (a fixed field may lack its NUL), escaped. */
static void text(struct hw *w, const char *s, size_t max)
{
        if (!w->failed && s != NULL && html_text(w->out, s, strnlen(s, max)) < 0)
                w->failed = true;
}

#define TEXT(w, field) text(w, field, sizeof(field))
#define STR(w, s) text(w, s, SIZE_MAX)

/* ---- colours: one table each ------------------------------------------------------- */

/* The colours of each verdict (index enum verdict): background and text, chosen so
 * that the text stays readable on its background; the verdict's name is always
 * printed too (colour is never the only carrier of meaning). */
static const struct {
        const char *bg, *fg;
} verdict_colors[VERDICT_COUNT] = {
    [VERDICT_MATCH] = {"#cdeccf", "#1b5e20"}, [VERDICT_MISMATCH] = {"#f4a6a6", "#7a0000"},
    [VERDICT_ERROR] = {"#e3c8ee", "#4a148c"}, [VERDICT_SKIP] = {"#e6e6e6", "#3a3a3a"},
    [VERDICT_XFAIL] = {"#fde3b8", "#6d4100"}, [VERDICT_XPASS] = {"#f7c6d9", "#7a0036"},
};

/* The oracle grid's colours: an authenticated stream (S, Dt, Dp) or a failure. */
static const char *const outcome_bg[OUTCOME_COUNT] = {
    [OUTCOME_S] = "#b9e4c9",  [OUTCOME_DT] = "#cfe8f7", [OUTCOME_DP] = "#fff1b8",
    [OUTCOME_F0] = "#d9d9d9", [OUTCOME_F1] = "#d9d9d9", [OUTCOME_F2] = "#d9d9d9",
    [OUTCOME_F3] = "#d9d9d9", [OUTCOME_F4] = "#d9d9d9",
};

static bool outcome_success(enum outcome o)
{
        return o == OUTCOME_S || o == OUTCOME_DT || o == OUTCOME_DP;
}

static const char style[] =
    "body{font:15px/1.4 system-ui,sans-serif;margin:0;color:#1a1a1a;background:#fff;"
    "-webkit-print-color-adjust:exact;print-color-adjust:exact}"
    "main{max-width:1240px;margin:0 auto;padding:0 16px 32px}"
    "header.top{padding:18px 24px;border-bottom:6px solid #555}"
    "header.pass{background:#e3f4e4;border-color:#2e7d32}"
    "header.attention{background:#fbe3e3;border-color:#b71c1c}"
    "h1{font-size:34px;margin:0 0 6px}h2{margin-top:28px;border-bottom:1px solid #ccc}"
    ".summary{font-size:20px;font-weight:600;margin:4px 0}"
    ".cmdlet{font:17px/1.4 monospace;background:#1e1e1e;color:#f0f0f0;padding:10px 14px;"
    "white-space:pre-wrap;overflow-wrap:anywhere;border-radius:4px}"
    ".grids{display:flex;flex-wrap:wrap;gap:20px}"
    "table{border-collapse:collapse}th,td{border:1px solid #999;padding:3px 8px;"
    "text-align:left;vertical-align:top}"
    "table.grid td{min-width:92px;font-size:12px}table.grid td b{font-size:13px}"
    "table.grid th{font-size:13px;white-space:nowrap}"
    "table.grid caption{font-weight:600;text-align:left;padding-bottom:4px;font-size:14px}"
    "table.grid a{color:inherit}"
    "td.none{background:#fff;color:#777}"
    ".badge{display:inline-block;min-width:68px;padding:0 6px;border-radius:3px;"
    "font-weight:700;text-align:center}"
    "details{border:1px solid #ccc;border-radius:4px;margin:4px 0;padding:2px 8px}"
    "details[open]{background:#fafafa}summary{cursor:pointer}"
    "pre.transcript{white-space:pre-wrap;word-break:break-all;font-size:12px;"
    "background:#f2f2f2;padding:8px;max-height:600px;overflow:auto}"
    ".group{border-left:6px solid #999;padding:2px 12px;margin:10px 0}"
    "dl.fields{display:grid;grid-template-columns:max-content auto;gap:2px 12px}"
    "dl.fields dt{font-weight:600}dl.fields dd{margin:0}"
    ".muted{color:#555}footer{color:#555;font-size:13px;margin-top:32px}"
    "@media print{details{break-inside:avoid}pre.transcript{max-height:none}}";

static void styles(struct hw *w)
{
        put(w, "<style>");
        put(w, style);
        for (int v = 0; v < VERDICT_COUNT; v++)
                putf(w, ".v-%s{background:%s;color:%s}.g-%s{border-color:%s}",
                     verdict_name((enum verdict)v), verdict_colors[v].bg, verdict_colors[v].fg,
                     verdict_name((enum verdict)v), verdict_colors[v].fg);
        for (int o = 0; o < OUTCOME_COUNT; o++)
                putf(w, ".o-%s{background:%s}", outcome_name((enum outcome)o), outcome_bg[o]);
        put(w, "</style>\n");
}

/* ---- parts ------------------------------------------------------------------------ */

/* A link to a scenario's section: id="s-ID". */
static void scenario_link(struct hw *w, const struct scenario_result *s)
{
        put(w, "<a href=\"#s-");
        TEXT(w, s->id);
        put(w, "\"><code>");
        TEXT(w, s->id);
        put(w, "</code></a>");
}

/* A rule: its id, linking its text in the "Rules cited" section (id="rule-ID"). */
static void rule_link(struct hw *w, enum rule_id rule)
{
        put(w, "<a href=\"#rule-");
        STR(w, rule_name(rule));
        put(w, "\">");
        STR(w, rule_name(rule));
        put(w, "</a> (");
        STR(w, rule_cite(rule));
        put(w, ")");
}

static void badge(struct hw *w, enum verdict v)
{
        putf(w, "<span class=\"badge v-%s\">%s</span>", verdict_name(v), verdict_name(v));
}

static bool is_matrix_cell(const struct scenario_result *s, int row, enum direction dir)
{
        /* The matrix scenarios are those whose first tag is "matrix" (scenarios/
         * matrix-h*-*.xml), as the JUnit report's suites (docs/report-junit.md). */
        return s->harness_row == row && s->dir == dir && strcspn(s->tags, ",") == 6 &&
               memcmp(s->tags, "matrix", 6) == 0;
}

static void grid_head(struct hw *w, const char *caption)
{
        put(w, "<table class=\"grid\"><caption>");
        STR(w, caption);
        put(w, "</caption><thead><tr><th>harness row</th><th>inbound</th><th>outbound</th>"
               "</tr></thead><tbody>\n");
}

static void grid_row_head(struct hw *w, int row)
{
        struct neg_settings h;
        char sum[32] = "";

        if (settings_from_row(row, &h) == 0)
                settings_summary(&h, sum, sizeof(sum));
        putf(w, "<tr><th>H%d <span class=\"muted\">%s</span></th>", row, sum);
}

/* This run: each matrix scenario's verdict, expected and observed. */
static void grid_run(struct hw *w, const struct run_report *r)
{
        static const enum direction dirs[] = {DIR_INBOUND, DIR_OUTBOUND};
        char obs[48];

        grid_head(w, "This run: expected \xe2\x86\x92 observed");
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                grid_row_head(w, row);
                for (size_t d = 0; d < ARRAY_LEN(dirs); d++) {
                        const struct scenario_result *s = NULL;

                        for (size_t i = 0; i < r->n_results && s == NULL; i++)
                                if (is_matrix_cell(&r->results[i], row, dirs[d]))
                                        s = &r->results[i];
                        if (s == NULL) {
                                put(w, "<td class=\"none\">not in this run</td>");
                                continue;
                        }
                        report_outcome_set(s->observed, "|", obs, sizeof(obs));
                        putf(w, "<td class=\"v-%s\"><b>%s</b><br>", verdict_name(s->verdict),
                             verdict_name(s->verdict));
                        putf(w, "%s \xe2\x86\x92 %s<br>", outcome_name(s->expected),
                             s->observed ? obs : "nothing");
                        scenario_link(w, s);
                        put(w, "</td>");
                }
                put(w, "</tr>\n");
        }
        put(w, "</tbody></table>\n");
}

/* What partner row M<row> implies (what: "configured", "suggested"): the oracle's
 * outcome for every cell. */
static void grid_oracle(struct hw *w, const struct neg_settings *partner, const char *what)
{
        static const enum direction dirs[] = {DIR_INBOUND, DIR_OUTBOUND};
        char caption[160], sum[32];

        settings_summary(partner, sum, sizeof(sum));
        util_format(caption, sizeof(caption), "Oracle: %s M%d (%s)", what, settings_row(partner),
                    sum);
        grid_head(w, caption);
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                struct neg_settings h;

                grid_row_head(w, row);
                for (size_t d = 0; d < ARRAY_LEN(dirs); d++) {
                        enum outcome o;

                        if (settings_from_row(row, &h) != 0) {
                                put(w, "<td class=\"none\">?</td>");
                                continue;
                        }
                        o = oracle_expect(&h, SEMANTICS_MATRIX, partner, dirs[d], NULL, 0);
                        putf(w, "<td class=\"o-%s\"><b>%s</b><br>%s</td>", outcome_name(o),
                             outcome_name(o), outcome_success(o) ? "authenticated" : "fails");
                }
                put(w, "</tr>\n");
        }
        put(w, "</tbody></table>\n");
}

static void top(struct hw *w, const struct run_report *r, bool pass)
{
        char line[600];
        size_t n[VERDICT_COUNT] = {0};

        for (size_t i = 0; i < r->n_results; i++)
                if ((unsigned)r->results[i].verdict < VERDICT_COUNT)
                        n[r->results[i].verdict]++;
        report_summary_line(r, line, sizeof(line));
        putf(w, "<header class=\"top %s\">\n<h1 id=\"verdict\">s2scheck: %s</h1>\n",
             pass ? "pass" : "attention", pass ? "pass" : "needs attention");
        put(w, "<p class=\"summary\">");
        TEXT(w, line);
        put(w, "</p>\n");
        if (r->self_test)
                put(w, "<p><b>SELF-TEST</b>: the partner was s2scheck's built-in reference "
                       "partner, configured by the partner file; the partner's own server was "
                       "not contacted, so this is no verdict on it.</p>\n");
        if (r->suggested[0] != '\0') {
                put(w, "<p>Suggested gateway setting:</p>\n<pre class=\"cmdlet\" id=\"cmdlet\">");
                TEXT(w, r->suggested);
                put(w, "</pre>\n");
        } else {
                putf(w, "<p class=\"muted\" id=\"cmdlet\">No command to suggest%s.</p>\n",
                     r->self_test ? ": a self-test checks the harness against its own "
                                    "reference partner"
                                  : ": the observations name no one configuration");
        }
        put(w, "<p>partner <code>");
        TEXT(w, r->partner_domain);
        put(w, "</code> (");
        TEXT(w, r->partner_source);
        put(w, "), target ");
        TEXT(w, r->target);
        putf(w,
             "<br>%zu scenarios: %zu match, %zu mismatch, %zu error, %zu skip, %zu xfail, %zu "
             "xpass; classification: %s</p>\n",
             r->n_results, n[VERDICT_MATCH], n[VERDICT_MISMATCH], n[VERDICT_ERROR], n[VERDICT_SKIP],
             n[VERDICT_XFAIL], n[VERDICT_XPASS], classify_state_name(classify_state(r)));
        if (r->incomplete) {
                put(w, "<p><b>Incomplete:</b> ");
                TEXT(w, r->incomplete_reason);
                put(w, "</p>\n");
        }
        put(w, "</header>\n");
}

static void legend(struct hw *w)
{
        put(w, "<p class=\"muted\">Outcome codes: <b>S</b> SASL EXTERNAL over TLS, <b>Dt</b> "
               "dialback over TLS, <b>Dp</b> dialback in plaintext, <b>F0</b>-<b>F4</b> no "
               "authenticated stream (F0 a configuration with no method, F1 TLS required by the "
               "initiator but not offered, F2 TLS required by the receiver but refused, F3 TLS "
               "up but no common method, F4 plaintext and no common method). H1-H18: the harness "
               "side's "
               "settings (TLS/SASL/dialback), numbered as the rows M1-M18 of the matrix. "
               "The oracle grids: what a partner on row Mk implies in each cell. Verdicts: ");
        for (int v = 0; v < VERDICT_COUNT; v++) {
                badge(w, (enum verdict)v);
                put(w, " ");
        }
        put(w, "</p>\n");
}

static void domains(struct hw *w, const struct run_report *r)
{
        const struct domains_verdict *d = &r->domains;

        put(w, "<section id=\"domains\"><h2>Domains: ");
        TEXT(w, d->summary);
        put(w, "</h2>\n");
        if (d->n_items == 0) {
                put(w, "<p class=\"muted\">No result addressed a partner domain.</p></section>\n");
                return;
        }
        put(w, "<table><thead><tr><th>domain</th><th></th><th>direction</th><th>served</th>"
               "<th>certificate covers it</th><th>authenticated</th><th>finding and fix</th>"
               "</tr></thead><tbody>\n");
        for (size_t i = 0; i < d->n_items && i < ARRAY_LEN(d->items); i++) {
                const struct domain_item *it = &d->items[i];

                put(w, "<tr><td><code>");
                TEXT(w, it->domain);
                putf(w, "</code></td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>%s</td><td>",
                     it->primary ? "primary" : "additional", direction_name(it->dir),
                     dom_fact_name(it->served), dom_fact_name(it->cert_covers),
                     dom_fact_name(it->authenticated));
                if (it->finding[0] != '\0') {
                        TEXT(w, it->finding);
                        put(w, "<br><b>fix:</b> ");
                        TEXT(w, it->fix);
                }
                put(w, "</td></tr>\n");
        }
        put(w, "</tbody></table></section>\n");
}

static void attention_section(struct hw *w, const struct run_report *r, const struct attention *a)
{
        char eo[160];

        putf(w,
             "<section id=\"attention\"><h2>Needing attention, by cause: %zu scenarios, %zu "
             "causes</h2>\n",
             a->n_results, a->n_groups);
        if (a->n_groups == 0)
                put(w, "<p>Nothing: no mismatch, no xpass, no error.</p>\n");
        for (size_t g = 0; g < a->n_groups; g++) {
                const struct attention_group *grp = &a->groups[g];
                const char *cls = cause_class_name(grp->cls);

                putf(w, "<div class=\"group g-%s\"><h3>", verdict_name(grp->verdict));
                TEXT(w, grp->key);
                putf(w, " <span class=\"muted\">(%zu scenario%s)</span></h3>\n<p>", grp->n,
                     grp->n == 1 ? "" : "s");
                badge(w, grp->verdict);
                if (cls != NULL) {
                        put(w, " cause on the side of: ");
                        STR(w, cls);
                }
                if (grp->rule != RULE_NONE) {
                        put(w, "<br>rule ");
                        rule_link(w, grp->rule);
                        put(w, ": ");
                        STR(w, rule_get(grp->rule)->req);
                }
                put(w, "</p>\n<ul>\n");
                for (size_t k = 0; k < grp->n; k++) {
                        const struct scenario_result *s = &r->results[grp->members[k]];

                        report_expected_observed(s, eo, sizeof(eo));
                        put(w, "<li>");
                        scenario_link(w, s);
                        put(w, ": ");
                        TEXT(w, eo);
                        if (s->cause[0] != '\0') {
                                put(w, "; ");
                                TEXT(w, s->cause);
                        }
                        put(w, "</li>\n");
                }
                put(w, "</ul></div>\n");
        }
        put(w, "</section>\n");
}

static void field(struct hw *w, const char *name, const char *value, size_t max)
{
        if (value == NULL || value[0] == '\0')
                return;
        putf(w, "<dt>%s</dt><dd>", name);
        text(w, value, max);
        put(w, "</dd>\n");
}

#define FIELD(w, name, f) field(w, name, f, sizeof(f))

static void scenario(struct hw *w, const struct run_report *r, const struct scenario_result *s)
{
        char eo[160], sum[32];
        const char *cls = cause_class_name(s->cause_class);

        report_expected_observed(s, eo, sizeof(eo));
        settings_summary(&s->harness, sum, sizeof(sum));
        put(w, "<details id=\"s-");
        TEXT(w, s->id);
        put(w, "\"><summary>");
        badge(w, s->verdict);
        put(w, " <code>");
        TEXT(w, s->id);
        put(w, "</code> ");
        TEXT(w, s->title);
        put(w, " <span class=\"muted\">");
        TEXT(w, eo);
        put(w, "</span></summary>\n<dl class=\"fields\">\n");
        putf(w, "<dt>verdict</dt><dd>%s</dd>\n<dt>direction</dt><dd>%s</dd>\n",
             verdict_name(s->verdict), direction_name(s->dir));
        putf(w, "<dt>harness</dt><dd>H%d %s%s</dd>\n", s->harness_row, sum,
             s->hsem == SEMANTICS_STRICT ? " (strict)" : "");
        FIELD(w, "expected, observed", eo);
        FIELD(w, "why expected", s->rationale);
        if (cls != NULL)
                field(w, "cause on the side of", cls, SIZE_MAX);
        FIELD(w, "cause", s->cause);
        if (s->rule_id != RULE_NONE) {
                put(w, "<dt>rule</dt><dd>");
                rule_link(w, s->rule_id);
                put(w, "</dd>\n");
        } else {
                FIELD(w, "reference", s->spec);
        }
        FIELD(w, "failed check", s->failed_check);
        FIELD(w, "known deviation", s->known_deviation);
        FIELD(w, "certificate", s->certificate);
        FIELD(w, "harness domain", s->harness_domain);
        FIELD(w, "partner domain", s->pdomain);
        FIELD(w, "tags", s->tags);
        putf(w, "<dt>time</dt><dd>%.2f s</dd>\n",
             s->seconds >= 0 && s->seconds < 1e9 ? s->seconds : 0);
        put(w, "</dl>\n");
        if (s->n_findings > 0) {
                put(w, "<p>Findings:</p><ul>\n");
                for (size_t k = 0; k < s->n_findings; k++) {
                        put(w, "<li>");
                        STR(w, s->findings[k]);
                        if (s->finding_rules != NULL && s->finding_rules[k] != RULE_NONE) {
                                put(w, " [");
                                rule_link(w, s->finding_rules[k]);
                                put(w, "]");
                        }
                        put(w, "</li>\n");
                }
                put(w, "</ul>\n");
        }
        if (r->no_transcripts_inline && r->transcripts_dir != NULL) {
                put(w, "<p>Transcript: <code>");
                STR(w, r->transcripts_dir);
                put(w, "/");
                TEXT(w, s->id);
                put(w, ".txt</code></p>\n");
        } else if (s->transcript != NULL && s->transcript[0] != '\0') {
                put(w, "<p>Transcript:</p><pre class=\"transcript\">");
                STR(w, s->transcript);
                put(w, "</pre>\n");
        } else {
                put(w, "<p class=\"muted\">No transcript.</p>\n");
        }
        put(w, "</details>\n");
}

/* The text of every rule a result or finding cites, once each, in table order:
 * the report carries it, so a rule link works wherever the file is read (the same
 * rows as docs/rules.md, which `s2scheck rules --markdown` generates). */
static void rules_cited(struct hw *w, const struct run_report *r)
{
        bool any = false;

        put(w, "<section id=\"rules\"><h2>Rules cited</h2>\n<p class=\"muted\">From the "
               "rule table (docs/rules.md in the s2scheck sources, <code>s2scheck rules</code>)."
               "</p>\n<dl class=\"fields\">\n");
        for (int id = 0; id < RULE_COUNT; id++) {
                bool cited = false;

                if (id == RULE_NONE)
                        continue;
                for (size_t i = 0; i < r->n_results && !cited; i++) {
                        const struct scenario_result *s = &r->results[i];

                        cited = s->rule_id == (enum rule_id)id;
                        for (size_t k = 0; k < s->n_findings && !cited && s->finding_rules; k++)
                                cited = s->finding_rules[k] == (enum rule_id)id;
                }
                if (!cited)
                        continue;
                any = true;
                put(w, "<dt id=\"rule-");
                STR(w, rule_name((enum rule_id)id));
                put(w, "\">");
                STR(w, rule_name((enum rule_id)id));
                put(w, "</dt><dd>");
                STR(w, rule_cite((enum rule_id)id));
                putf(w, ", %s: ", rule_severity_name(rule_get((enum rule_id)id)->severity));
                STR(w, rule_get((enum rule_id)id)->req);
                put(w, "</dd>\n");
        }
        put(w, "</dl>\n");
        if (!any)
                put(w, "<p>No result cites a rule.</p>\n");
        put(w, "</section>\n");
}

int report_html(const struct run_report *r, struct buf *out)
{
        struct hw w = {.out = out, .failed = false};
        struct attention a;
        char when[32] = "";
        struct tm tm;
        bool pass;

        if (attention_collect(r, &a) < 0)
                return -1;
        pass = attention_pass(r, &a);
        if (gmtime_r(&r->started, &tm) != NULL)
                strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
        put(&w, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
                "style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action "
                "'none'\">\n<meta name=\"viewport\" content=\"width=device-width, "
                "initial-scale=1\">\n<title>s2scheck ");
        TEXT(&w, r->partner_domain);
        putf(&w, ": %s</title>\n", pass ? "pass" : "needs attention");
        styles(&w);
        put(&w, "</head>\n<body>\n");
        top(&w, r, pass);
        put(&w, "<main>\n<section id=\"matrix\"><h2>The matrix</h2>\n");
        legend(&w);
        put(&w, "<div class=\"grids\">\n");
        grid_run(&w, r);
        grid_oracle(&w, &r->partner, "configured");
        /* One class explains the run, not the configured row: what its row implies,
         * beside, is what the run should be compared with (the cmdlet above). */
        if (classify_state(r) == CLASSIFY_ONE) {
                struct neg_settings sug;
                int row = classify_canonical_row(classify_lowest_class(classify_classes(r)));

                if (settings_from_row(row, &sug) == 0)
                        grid_oracle(&w, &sug, "suggested");
        }
        put(&w, "</div></section>\n");
        domains(&w, r);
        attention_section(&w, r, &a);
        putf(&w, "<section id=\"scenarios\"><h2>Scenarios (%zu)</h2>\n", r->n_results);
        for (size_t i = 0; i < r->n_results; i++)
                scenario(&w, r, &r->results[i]);
        put(&w, "</section>\n");
        rules_cited(&w, r);
        put(&w, "<footer>s2scheck ");
        STR(&w, r->tool_version != NULL ? r->tool_version : S2S_VERSION);
        putf(&w,
             ", run started %s, %.1f s. Self-contained: no script, no external resource."
             "</footer>\n</main>\n</body>\n</html>\n",
             when, r->seconds >= 0 && r->seconds < 1e9 ? r->seconds : 0);
        attention_free(&a);
        return w.failed ? -1 : 0;
}
