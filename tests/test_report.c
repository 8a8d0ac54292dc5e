/*
 * Criterion tests for harness/report: run reports built by hand (every verdict,
 * transcripts with markup, control bytes and invalid UTF-8) go through the JSON
 * writer (checked by a strict parser written here, and by jq when installed),
 * the JUnit writer (validated against tests/schema/junit.xsd with libxml2), the
 * text report and the file writers. Classification expectations come from the
 * reference's §3.8 tables typed in as data, and from full grids of observations
 * of each class.
 */
#include <criterion/criterion.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>
#include <libxml/parser.h>
#include <libxml/xmlschemas.h>
#include <libxml/xpath.h>

#include "checkup.h"
#include "oracle.h"
#include "classify.h"
#include "report.h"
#include "results.h"
#include "settings.h"

#define JUNIT_XSD S2S_SOURCE_DIR "/tests/schema/junit.xsd"
/* The Jenkins xUnit plugin's schema (a copy, its source in its header). */
#define JUNIT10_XSD S2S_SOURCE_DIR "/tests/schema/junit-10.xsd"

/* A transcript with markup, every awkward C0 byte, DEL, invalid UTF-8 (stray
 * continuation, overlong, surrogate, truncated) and valid multi-byte text. */
static const char nasty[] = "<stream:stream to='a&b'>]]>\x01\x02\x08\x0b\x0c\x1b[31m\x1f\x7f"
                            "\x80 \xc0\xaf \xed\xa0\x80 \xef\xbf\xbe caf\xc3\xa9 \xe2\x82\xac"
                            " \xf0\x9f\x98\x80 \r\n\tend \xe2\x82";

/* ---- building reports ----------------------------------------------------- */

static struct scenario_result *add(struct run_report *r, const char *id, int hrow,
                                   enum direction dir, enum outcome expected, unsigned observed,
                                   enum verdict v)
{
        struct scenario_result *grown, *s;

        grown = realloc(r->results, (r->n_results + 1) * sizeof(*grown));
        cr_assert_not_null(grown);
        r->results = grown;
        s = &r->results[r->n_results++];
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "%s", id);
        snprintf(s->title, sizeof(s->title), "harness H%d %s", hrow, direction_name(dir));
        s->dir = dir;
        s->harness_row = hrow;
        cr_assert_eq(settings_from_row(hrow, &s->harness), 0);
        snprintf(s->harness_domain, sizeof(s->harness_domain), "s%zu.harness.test", r->n_results);
        s->expected = expected;
        s->observed = observed;
        s->verdict = v;
        s->seconds = 0.25;
        return s;
}

static void add_finding(struct scenario_result *s, const char *text)
{
        char **grown = realloc(s->findings, (s->n_findings + 1) * sizeof(*grown));

        cr_assert_not_null(grown);
        s->findings = grown;
        s->findings[s->n_findings] = strdup(text);
        cr_assert_not_null(s->findings[s->n_findings]);
        s->n_findings++;
}

static void set_transcript(struct scenario_result *s, const char *text)
{
        free(s->transcript);
        s->transcript = strdup(text);
        cr_assert_not_null(s->transcript);
}

static void init_report(struct run_report *r, const char *domain, int partner_row)
{
        memset(r, 0, sizeof(*r));
        r->tool_version = "9.9.9";
        snprintf(r->partner_domain, sizeof(r->partner_domain), "%s", domain);
        snprintf(r->partner_source, sizeof(r->partner_source), "fixtures/partners/%s.xml", domain);
        snprintf(r->target, sizeof(r->target), "built-in reference partner");
        cr_assert_eq(settings_from_row(partner_row, &r->partner), 0);
        r->started = 1714564800; /* 2024-05-01T12:00:00Z */
        r->seconds = 3.5;
}

#define B(o) OUTCOME_BIT(OUTCOME_##o)

/*
 * The mixed report: partner M7 (E4), a few results of every verdict, and the
 * nasty transcript everywhere. Counts: match 3, mismatch 2, error 1, skip 1,
 * xfail 1, xpass 1.
 */
static void mixed_report(struct run_report *r)
{
        struct scenario_result *s;

        init_report(r, "partner.example", 7);
        s = add(r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH);
        set_transcript(s, "<stream:features><starttls/></stream:features> & more");
        add(r, "H13-out", 13, DIR_OUTBOUND, OUTCOME_DT, B(DT), VERDICT_MATCH);
        add(r, "H17-out", 17, DIR_OUTBOUND, OUTCOME_F2, B(F2), VERDICT_MATCH);
        s = add(r, "H13-in", 13, DIR_INBOUND, OUTCOME_DT, B(F3) | B(F4), VERDICT_MISMATCH);
        snprintf(s->cause, sizeof(s->cause), "db:result answered type='invalid' <&> \x01");
        snprintf(s->spec, sizeof(s->spec), "XEP-0220 §2.1.3");
        snprintf(s->rationale, sizeof(s->rationale), "Dt is common to both sides");
        add_finding(s, "unexpected <failure/> while expecting <proceed/>");
        add_finding(s, "bad byte \xff here");
        add_finding(s, "escape \x1b[2J and C1 \xc2\x9b"
                       "1m");
        set_transcript(s, nasty);
        s = add(r, "H7-in", 7, DIR_INBOUND, OUTCOME_S, B(DT), VERDICT_MISMATCH);
        s->accepted = B(DT) | B(F3); /* only for the text; verdict set by hand */
        s = add(r, "H9-out", 9, DIR_OUTBOUND, OUTCOME_S, 0, VERDICT_ERROR);
        snprintf(s->cause, sizeof(s->cause), "connect to 127.0.0.1:5269 refused");
        set_transcript(s, nasty);
        s = add(r, "H1-out", 1, DIR_OUTBOUND, OUTCOME_S, 0, VERDICT_SKIP);
        snprintf(s->cause, sizeof(s->cause), "not selected");
        s = add(r, "H8-out", 8, DIR_OUTBOUND, OUTCOME_S, B(F3), VERDICT_XFAIL);
        snprintf(s->cause, sizeof(s->cause), "known quirk: EXTERNAL not offered");
        set_transcript(s, nasty);
        s = add(r, "H10-out", 10, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_XPASS);
        s->hsem = SEMANTICS_STRICT;
        classify_run(r);
}

/* ---- reading the reports back: jansson, into a plain tree the checks index -- */

enum jtype { J_NULL, J_BOOL, J_NUM, J_STR, J_ARR, J_OBJ };

struct jv {
        enum jtype type;
        double num;
        bool b;
        char *str; /* J_STR: decoded UTF-8 (NUL-free in our reports) */
        struct jv **items;
        char **keys; /* J_OBJ */
        size_t n;
};

static void jv_free(struct jv *v)
{
        if (v == NULL)
                return;
        for (size_t i = 0; i < v->n; i++) {
                jv_free(v->items[i]);
                if (v->keys != NULL)
                        free(v->keys[i]);
        }
        free(v->items);
        free(v->keys);
        free(v->str);
        free(v);
}

/* The tree of a jansson value (which did the strict RFC 8259 parsing). */
static struct jv *jv_from(json_t *j)
{
        struct jv *v = calloc(1, sizeof(*v));
        size_t n = json_is_array(j)    ? json_array_size(j)
                   : json_is_object(j) ? json_object_size(j)
                                       : 0;
        const char *key;
        json_t *m;
        size_t i = 0;

        cr_assert_not_null(v);
        v->items = calloc(n + 1, sizeof(*v->items));
        cr_assert_not_null(v->items);
        switch (json_typeof(j)) {
        case JSON_OBJECT:
                v->type = J_OBJ;
                v->keys = calloc(n + 1, sizeof(*v->keys));
                cr_assert_not_null(v->keys);
                json_object_foreach(j, key, m)
                {
                        v->keys[i] = strdup(key);
                        v->items[i++] = jv_from(m);
                }
                break;
        case JSON_ARRAY:
                v->type = J_ARR;
                json_array_foreach(j, i, m) v->items[i] = jv_from(m);
                break;
        case JSON_STRING:
                v->type = J_STR;
                v->str = strdup(json_string_value(j));
                break;
        case JSON_INTEGER:
        case JSON_REAL:
                v->type = J_NUM;
                v->num = json_number_value(j);
                break;
        case JSON_TRUE:
        case JSON_FALSE:
                v->type = J_BOOL;
                v->b = json_is_true(j);
                break;
        default:
                v->type = J_NULL;
        }
        v->n = n;
        return v;
}

/* Parses the whole text (one value, optional whitespace around); NULL when invalid:
 * jansson (RFC 8259: UTF-8 checked, no duplicate keys here either). */
static struct jv *json_parse(const char *text, size_t len)
{
        json_error_t err;
        json_t *j = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &err);
        struct jv *v;

        if (j == NULL)
                return NULL;
        v = jv_from(j);
        json_decref(j);
        return v;
}

/* Member key of object v (NULL when absent or v is not an object). */
static struct jv *jget(const struct jv *v, const char *key)
{
        if (v == NULL || v->type != J_OBJ)
                return NULL;
        for (size_t i = 0; i < v->n; i++) {
                if (strcmp(v->keys[i], key) == 0)
                        return v->items[i];
        }
        return NULL;
}

static const char *jstr(const struct jv *v, const char *key)
{
        struct jv *m = jget(v, key);

        cr_assert_not_null(m, "missing key %s", key);
        cr_assert_eq(m->type, J_STR, "key %s is not a string", key);
        return m->str;
}

static double jnum(const struct jv *v, const char *key)
{
        struct jv *m = jget(v, key);

        cr_assert_not_null(m, "missing key %s", key);
        cr_assert_eq(m->type, J_NUM, "key %s is not a number", key);
        return m->num;
}

static bool jbool(const struct jv *v, const char *key)
{
        struct jv *m = jget(v, key);

        cr_assert_not_null(m, "missing key %s", key);
        cr_assert_eq(m->type, J_BOOL, "key %s is not a boolean", key);
        return m->b;
}

static bool jis_null(const struct jv *v, const char *key)
{
        struct jv *m = jget(v, key);

        cr_assert_not_null(m, "missing key %s", key);
        return m->type == J_NULL;
}

/* "E1,E4" style join of a string array. */
static void jjoin(const struct jv *arr, char *out, size_t len)
{
        size_t o = 0;

        out[0] = '\0';
        cr_assert_not_null(arr);
        cr_assert_eq(arr->type, J_ARR);
        for (size_t i = 0; i < arr->n; i++) {
                cr_assert_eq(arr->items[i]->type, J_STR);
                o += (size_t)snprintf(out + o, len - o, "%s%s", i ? "," : "", arr->items[i]->str);
        }
}

static struct jv *report_to_json(const struct run_report *r, struct buf *b)
{
        struct jv *v;

        buf_init(b, 0);
        cr_assert_eq(report_json(r, b), 0);
        cr_assert_gt(b->len, 0);
        cr_assert_eq(b->data[b->len - 1], '\n');
        v = json_parse(b->data, b->len);
        cr_assert_not_null(v, "report_json wrote invalid JSON:\n%s", b->data);
        return v;
}

/* The parser itself must refuse what the writer must never produce. */
Test(report_json, checker_refuses_bad_json)
{
        static const char *const bad[] = {
            "{\"a\":1,}", "{\"a\" 1}", "[1 2]", "\"\x01\"", "\"\xc3\"", "\"\xed\xa0\x80\"",
            "{\"a\":01}", "\"\\x\"",   "[",     "{}x",      "nul",
        };
        static const char *const good[] = {"{}", "[]", "{\"a\":[1,-2.5e3,true,null,\"\\u00e9\"]}",
                                           "\"caf\xc3\xa9\""};

        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                struct jv *v = json_parse(bad[i], strlen(bad[i]));

                cr_expect_null(v, "accepted %s", bad[i]);
                jv_free(v);
        }
        for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
                struct jv *v = json_parse(good[i], strlen(good[i]));

                cr_expect_not_null(v, "refused %s", good[i]);
                jv_free(v);
        }
}

Test(report_json, mixed_report_has_the_documented_fields)
{
        struct run_report r;
        struct buf b;
        struct jv *v, *p, *res, *sum, *cls, *x;
        char joined[256];

        mixed_report(&r);
        /* Lists are arrays (schema 2): tags were "a,b", refs "x; y". */
        snprintf(r.results[3].tags, sizeof(r.results[3].tags), "matrix,dialback");
        snprintf(r.results[3].refs, sizeof(r.results[3].refs), "RFC 6120 §4.4; XEP-0220 §2.1.3");
        v = report_to_json(&r, &b);
        cr_expect_eq(jnum(v, "schema"), 2);
        cr_expect_str_eq(jstr(v, "tool"), "s2scheck 9.9.9");
        p = jget(v, "partner");
        cr_expect_str_eq(jstr(p, "domain"), "partner.example");
        cr_expect_str_eq(jstr(p, "source"), "fixtures/partners/partner.example.xml");
        cr_expect_str_eq(jstr(p, "row"), "M7");
        cr_expect_str_eq(jstr(p, "tls"), "Required");
        cr_expect_str_eq(jstr(p, "sasl"), "Optional");
        cr_expect(jbool(p, "dialback"));
        cr_expect(jbool(p, "valid"));
        cr_expect_str_eq(jstr(p, "class"), "E4");
        cr_expect(jis_null(p, "invalid_reason"));
        cr_expect_str_eq(jstr(v, "target"), "built-in reference partner");
        cr_expect_str_eq(jstr(v, "started"), "2024-05-01T12:00:00Z");
        cr_expect_float_eq(jnum(v, "seconds"), 3.5, 1e-9);
        cr_expect_not(jbool(v, "incomplete"));
        cr_expect(jis_null(v, "incomplete_reason"));

        res = jget(v, "results");
        cr_assert_not_null(res);
        cr_assert_eq(res->type, J_ARR);
        cr_assert_eq(res->n, 9);
        /* The mismatch with the nasty transcript. */
        x = res->items[3];
        cr_expect_str_eq(jstr(x, "id"), "H13-in");
        cr_expect_str_eq(jstr(x, "title"), "harness H13 inbound");
        cr_expect_str_eq(jstr(x, "direction"), "inbound");
        cr_expect_str_eq(jstr(jget(x, "harness"), "row"), "H13");
        cr_expect_str_eq(jstr(jget(x, "harness"), "tls"), "Required");
        cr_expect_str_eq(jstr(jget(x, "harness"), "sasl"), "NotSupported");
        cr_expect(jbool(jget(x, "harness"), "dialback"));
        cr_expect_str_eq(jstr(jget(x, "harness"), "semantics"), "matrix");
        cr_expect_str_eq(jstr(x, "expected"), "Dt");
        jjoin(jget(x, "observed"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "F3,F4");
        jjoin(jget(x, "tags"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "matrix,dialback");
        cr_expect_eq(jget(x, "refs")->n, 2);
        jjoin(jget(x, "refs"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "RFC 6120 §4.4,XEP-0220 §2.1.3");
        cr_expect_eq(jget(res->items[0], "tags")->type, J_ARR);
        cr_expect_eq(jget(res->items[0], "tags")->n, 0);
        cr_expect_str_eq(jstr(x, "verdict"), "mismatch");
        cr_expect_str_eq(jstr(x, "cause"), "db:result answered type='invalid' <&> \x01");
        cr_expect_str_eq(jstr(x, "spec"), "XEP-0220 §2.1.3");
        cr_expect_str_eq(jstr(x, "rationale"), "Dt is common to both sides");
        jjoin(jget(x, "findings"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "unexpected <failure/> while expecting <proceed/>,"
                                 "bad byte \xef\xbf\xbd here,"
                                 "escape \x1b[2J and C1 \xc2\x9b"
                                 "1m");
        /* Controls survive as \u escapes; each invalid byte becomes U+FFFD. */
        cr_expect_str_eq(jstr(x, "transcript"),
                         "<stream:stream to='a&b'>]]>\x01\x02\x08\x0b\x0c\x1b[31m\x1f\x7f"
                         "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                         "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbe caf\xc3\xa9 "
                         "\xe2\x82\xac \xf0\x9f\x98\x80 \r\n\tend \xef\xbf\xbd\xef\xbf\xbd");
        cr_expect_float_eq(jnum(x, "seconds"), 0.25, 1e-9);
        /* accepted codes, a null observation, a null transcript, strict semantics */
        jjoin(jget(res->items[4], "accepted"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "Dt,F3");
        cr_expect_eq(jget(res->items[5], "observed")->type, J_ARR);
        cr_expect_eq(jget(res->items[5], "observed")->n, 0);
        cr_expect_str_eq(jstr(res->items[5], "verdict"), "error");
        cr_expect(jis_null(res->items[2], "transcript"));
        cr_expect_str_eq(jstr(jget(res->items[8], "harness"), "semantics"), "strict");
        cr_expect_str_eq(jstr(res->items[8], "verdict"), "xpass");

        sum = jget(v, "summary");
        cr_expect_eq(jnum(sum, "total"), 9);
        cr_expect_eq(jnum(sum, "match"), 3);
        cr_expect_eq(jnum(sum, "mismatch"), 2);
        cr_expect_eq(jnum(sum, "error"), 1);
        cr_expect_eq(jnum(sum, "skip"), 1);
        cr_expect_eq(jnum(sum, "xfail"), 1);
        cr_expect_eq(jnum(sum, "xpass"), 1);

        /* H13-in observed F3|F4 and H7-in Dt: no valid configuration does both
         * with H2 S, H13 Dt, H17 F2 outbound (E4) ... so none fits. */
        cls = jget(v, "classification");
        cr_expect_eq(jnum(cls, "observations"), 7);
        cr_expect_str_eq(jstr(cls, "state"), "none");
        cr_expect_not(jbool(cls, "partner_row_consistent"));
        jjoin(jget(cls, "classes"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "");
        cr_expect(jis_null(cls, "suggested"));
        cr_expect(jis_null(cls, "suggested_config"));
        x = jget(cls, "contradictions");
        cr_assert_not_null(x);
        cr_expect_eq(x->n, 7, "partner row (E4) and the six other classes");
        cr_expect_str_eq(jstr(x->items[0], "config"), "M7");
        cr_expect(jbool(x->items[0], "partner_row"));
        jv_free(v);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* jq, when installed, must read the report and agree on a few facts. */
Test(report_json, jq_reads_it)
{
        struct run_report r;
        struct buf b;
        char path[] = "/tmp/s2s-report-jq-XXXXXX", cmd[512], line[64] = "";
        int fd;
        FILE *p;
        struct jv *v;

        if (system("command -v jq >/dev/null 2>&1") != 0)
                cr_skip_test("jq not installed (the self-contained checks above still ran)");
        mixed_report(&r);
        v = report_to_json(&r, &b);
        jv_free(v);
        fd = mkstemp(path);
        cr_assert_geq(fd, 0);
        cr_assert_eq(write(fd, b.data, b.len), (ssize_t)b.len);
        close(fd);
        snprintf(cmd, sizeof(cmd),
                 "jq -r '[.schema, .summary.mismatch, (.results|length), "
                 "(.results[3].observed | join(\"|\")),"
                 " .classification.state] | map(tostring) | join(\" \")' %s",
                 path);
        p = popen(cmd, "r");
        cr_assert_not_null(p);
        cr_expect_not_null(fgets(line, sizeof(line), p));
        cr_expect_eq(pclose(p), 0);
        unlink(path);
        cr_expect_str_eq(line, "2 2 9 F3|F4 none\n");
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* ---- classification -------------------------------------------------------- */

/* The canonical rows and their gateway lines, typed from the task. */
static const struct {
        int k, row;
        const char *line;
} canon[] = {
    {1, 2,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation Required "
     "-SaslNegotiation Required -SupportDialbackNegotiation $False"},
    {2, 9,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation Optional "
     "-SaslNegotiation Optional -SupportDialbackNegotiation $True"},
    {3, 10,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation Optional "
     "-SaslNegotiation Optional -SupportDialbackNegotiation $False"},
    {4, 7,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation Required "
     "-SaslNegotiation Optional -SupportDialbackNegotiation $True"},
    {5, 13,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation Required "
     "-SaslNegotiation NotSupported -SupportDialbackNegotiation $True"},
    {6, 15,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation Optional "
     "-SaslNegotiation NotSupported -SupportDialbackNegotiation $True"},
    {7, 17,
     "Set-CsXmppAllowedPartner -Identity \"partner.example\" -TlsNegotiation NotSupported "
     "-SaslNegotiation NotSupported -SupportDialbackNegotiation $True"},
};

/* Reference §3.8: members of each class, as printed. */
static const char *const class_members[] = {"M1, M2, M8", "M3, M9", "M4, M10", "M7",
                                            "M13",        "M15",    "M17"};

/*
 * Every harness row in both directions, observed as the row `obs_row` would
 * answer: a full, consistent set of observations of that partner.
 */
static void full_grid(struct run_report *r, int obs_row)
{
        struct neg_settings p, h;

        cr_assert_eq(settings_from_row(obs_row, &p), 0);
        for (int hrow = 1; hrow <= SETTINGS_ROWS; hrow++) {
                for (int d = 0; d < 2; d++) {
                        char id[16];
                        enum outcome o;

                        settings_from_row(hrow, &h);
                        o = oracle_expect(&h, SEMANTICS_MATRIX, &p, (enum direction)d, NULL, 0);
                        snprintf(id, sizeof(id), "H%d-%s", hrow, d ? "in" : "out");
                        add(r, id, hrow, (enum direction)d, o, OUTCOME_BIT(o), VERDICT_MATCH);
                }
        }
}

/* A full set from the canonical row of each class, with a partner file in another
 * class: that class alone, its canonical row suggested, "any row would do". */
Test(report_classify, full_grid_of_each_class)
{
        for (size_t i = 0; i < sizeof(canon) / sizeof(canon[0]); i++) {
                struct run_report r;
                char *text = NULL;
                size_t len = 0;
                FILE *f;
                char want[160];

                init_report(&r, "partner.example", canon[i].k == 5 ? 2 : 13);
                full_grid(&r, canon[i].row);
                classify_run(&r);
                cr_expect_eq(r.n_classified, 36);
                cr_expect_eq(r.cls.classes, 1u << (canon[i].k - 1), "class E%d", canon[i].k);
                cr_expect_str_eq(r.suggested, canon[i].line, "class E%d", canon[i].k);
                cr_expect_eq(classify_canonical_row(canon[i].k), canon[i].row);
                f = open_memstream(&text, &len);
                cr_assert_not_null(f);
                cr_assert_eq(report_text(f, &r, false), 0);
                fclose(f);
                snprintf(want, sizeof(want), "The observations fit class E%d: %s.", canon[i].k,
                         class_members[canon[i].k - 1]);
                cr_expect_not_null(strstr(text, want), "E%d: %s", canon[i].k, text);
                cr_expect_not_null(strstr(text, "any of them would do"));
                cr_expect_not_null(strstr(text, canon[i].line));
                cr_expect_not_null(strstr(text, "does not explain the observations"));
                free(text);
                run_report_cleanup(&r);
        }
}

/* §3.8's three probes (H17, H13, H2 outbound) classify a conforming partner.
 * The table is typed from the reference, not computed. */
Test(report_classify, probe_signatures)
{
        static const struct {
                int k;
                unsigned h17, h13, h2;
        } sig[] = {
            {1, B(F2), B(F3), B(S)}, {4, B(F2), B(DT), B(S)},  {5, B(F2), B(DT), B(F3)},
            {2, B(DP), B(DT), B(S)}, {6, B(DP), B(DT), B(F3)}, {7, B(DP), B(F1), B(F1)},
            {3, B(F4), B(F3), B(S)},
        };

        for (size_t i = 0; i < sizeof(sig) / sizeof(sig[0]); i++) {
                struct run_report r;

                init_report(&r, "partner.example", sig[i].k == 5 ? 2 : 13);
                add(&r, "H17-out", 17, DIR_OUTBOUND, OUTCOME_F0, sig[i].h17, VERDICT_MISMATCH);
                add(&r, "H13-out", 13, DIR_OUTBOUND, OUTCOME_F0, sig[i].h13, VERDICT_MISMATCH);
                add(&r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_F0, sig[i].h2, VERDICT_MISMATCH);
                classify_run(&r);
                cr_expect_eq(r.cls.classes, 1u << (sig[i].k - 1), "E%d: got classes %#x", sig[i].k,
                             r.cls.classes);
                cr_expect_str_eq(r.suggested, canon[sig[i].k - 1].line);
                run_report_cleanup(&r);
        }
}

/* The partner's own row explains everything: say so and suggest its own settings. */
Test(report_classify, own_row_matches)
{
        struct run_report r;
        struct buf b;
        struct jv *v, *cls;
        char *text = NULL, joined[128];
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 1); /* M1, class E1 with M2 and M8 */
        full_grid(&r, 2);                      /* observed as M2: the same on the wire */
        classify_run(&r);
        cr_expect_eq(r.cls.classes, 1u << 0);
        cr_expect_str_eq(r.suggested, "Set-CsXmppAllowedPartner -Identity \"partner.example\" "
                                      "-TlsNegotiation Required -SaslNegotiation Required "
                                      "-SupportDialbackNegotiation $True");
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "The configuration matches: M1 (Req/Req/T, class E1)"),
                           "%s", text);
        free(text);

        v = report_to_json(&r, &b);
        cls = jget(v, "classification");
        cr_expect_str_eq(jstr(cls, "state"), "matches");
        cr_expect(jbool(cls, "partner_row_consistent"));
        cr_expect_str_eq(jstr(cls, "suggested_config"), "M1");
        jjoin(jget(cls, "configs"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "M1,M2,M8");
        jjoin(jget(cls, "invalid_configs"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "");
        jjoin(jget(cls, "classes"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "E1");
        cr_expect_eq(jget(cls, "contradictions")->n, 6, "the six other classes");
        cr_expect_str_eq(jstr(cls, "compared"), "exact");
        cr_expect_eq(jget(cls, "behaviour_only")->n, 0);
        jv_free(v);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* M17's observations also fit M5 and M11, which Lync refuses to commit. */
Test(report_classify, invalid_rows_listed_apart)
{
        struct run_report r;
        struct buf b;
        struct jv *v, *cls;
        char joined[128];

        init_report(&r, "partner.example", 2);
        full_grid(&r, 17);
        classify_run(&r);
        v = report_to_json(&r, &b);
        cls = jget(v, "classification");
        jjoin(jget(cls, "configs"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "M17");
        jjoin(jget(cls, "invalid_configs"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "M5,M11");
        cr_expect_str_eq(jstr(cls, "suggested_config"), "M17");
        jv_free(v);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* One probe cannot decide: several classes, no suggestion. */
Test(report_classify, undecided)
{
        struct run_report r;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 13);
        add(&r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_F3, B(S), VERDICT_MISMATCH);
        classify_run(&r);
        /* H2 S: E1, E2, E3, E4 (§3.8 table) */
        cr_expect_eq(r.cls.classes, 0x0f);
        cr_expect_str_eq(r.suggested, "");
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "do not decide between classes E1, E2, E3, E4"), "%s",
                           text);
        free(text);
        run_report_cleanup(&r);
}

/* Contradictory observations: no class, one contradiction per class named. */
Test(report_classify, contradictory)
{
        struct run_report r;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 7);
        /* H17 F2 needs T=Req (E1/E4/E5); H13 F1 needs T=NS (E7). */
        add(&r, "H17-out", 17, DIR_OUTBOUND, OUTCOME_F2, B(F2), VERDICT_MATCH);
        add(&r, "H13-out", 13, DIR_OUTBOUND, OUTCOME_DT, B(F1), VERDICT_MISMATCH);
        add(&r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH);
        classify_run(&r);
        cr_expect_eq(r.cls.classes, 0);
        cr_expect_str_eq(r.suggested, "");
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "No partner configuration explains the observations"));
        cr_expect_not_null(strstr(text, "The configured row M7 (Req/Opt/T) does not explain the "
                                        "observations: H13-out (outbound) observed F1 where M7 "
                                        "predicts Dt."),
                           "%s", text);
        /* E1 predicts F3 for H13; E7 predicts Dp for H17 (the first observation). */
        cr_expect_not_null(strstr(text, "E1 (M2): H13-out (outbound) observed F1, M2 predicts F3"),
                           "%s", text);
        cr_expect_not_null(
            strstr(text, "E7 (M17): H17-out (outbound) observed F2, M17 predicts Dp"), "%s", text);
        cr_expect_null(strstr(text, "E4 (M7)"), "the partner's own class is named once");
        free(text);
        run_report_cleanup(&r);
}

/* Errors, skips and empty observations are not evidence. */
Test(report_classify, only_usable_results_count)
{
        struct run_report r;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 7);
        add(&r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_S, B(F1), VERDICT_ERROR);
        add(&r, "H13-out", 13, DIR_OUTBOUND, OUTCOME_DT, B(F1), VERDICT_SKIP);
        add(&r, "H17-out", 17, DIR_OUTBOUND, OUTCOME_F2, 0, VERDICT_MISMATCH);
        classify_run(&r);
        cr_expect_eq(r.n_classified, 0);
        cr_expect_str_eq(r.suggested, "");
        cr_expect_eq(r.counts[VERDICT_ERROR], 1);
        cr_expect_eq(r.counts[VERDICT_SKIP], 1);
        cr_expect_eq(r.counts[VERDICT_MISMATCH], 1);
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "Nothing was observed that can classify the partner"));
        free(text);
        run_report_cleanup(&r);
}

/* More observations than one classification chunk: still one answer, and the
 * contradiction index points past the first chunk. */
Test(report_classify, many_observations)
{
        struct run_report r;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 7);
        for (int i = 0; i < 5; i++)
                full_grid(&r, 7); /* 180 observations of E4 */
        classify_run(&r);
        cr_expect_eq(r.n_classified, 180);
        cr_expect_eq(r.cls.classes, 1u << 3);
        add(&r, "late-H13-out", 13, DIR_OUTBOUND, OUTCOME_DT, B(F3), VERDICT_MISMATCH);
        classify_run(&r);
        cr_expect_eq(r.cls.first_conflict[7 - 1], 180);
        cr_expect_eq(r.cls.classes & (1u << 3), 0);
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "late-H13-out (outbound) observed F3 where M7 predicts Dt"),
                           "%s", text);
        free(text);
        run_report_cleanup(&r);
}

/* ---- JUnit --------------------------------------------------------------- */

static void quiet(void *ctx, const char *msg, ...)
{
        (void)ctx;
        (void)msg;
}

/* Validates doc against the schema xsd. Returns xmlSchemaValidateDoc's result. */
static int validate_xsd(xmlDocPtr doc, const char *xsd)
{
        xmlSchemaParserCtxtPtr pc;
        xmlSchemaPtr schema;
        xmlSchemaValidCtxtPtr vc;
        int rc;

        xmlSetGenericErrorFunc(NULL, quiet);
        pc = xmlSchemaNewParserCtxt(xsd);
        cr_assert_not_null(pc);
        schema = xmlSchemaParse(pc);
        cr_assert_not_null(schema, "%s does not compile", xsd);
        vc = xmlSchemaNewValidCtxt(schema);
        cr_assert_not_null(vc);
        rc = xmlSchemaValidateDoc(vc, doc);
        xmlSchemaFreeValidCtxt(vc);
        xmlSchemaFree(schema);
        xmlSchemaFreeParserCtxt(pc);
        return rc;
}

/* Validates doc against tests/schema/junit.xsd, the project's schema, and against
 * the Jenkins xUnit plugin's junit-10.xsd: 0 when both accept it. */
static int validate(xmlDocPtr doc)
{
        int rc = validate_xsd(doc, JUNIT_XSD);

        return rc != 0 ? rc : validate_xsd(doc, JUNIT10_XSD);
}

static xmlDocPtr junit_doc(const struct run_report *r, struct buf *b)
{
        xmlDocPtr doc;

        buf_init(b, 0);
        cr_assert_eq(report_junit(r, b), 0);
        doc = xmlReadMemory(b->data, (int)b->len, "junit.xml", NULL,
                            XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        cr_assert_not_null(doc, "not well-formed:\n%s", b->data);
        return doc;
}

static double xpath_num(xmlDocPtr doc, const char *expr)
{
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr o;
        double v;

        cr_assert_not_null(ctx);
        o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
        cr_assert_not_null(o, "%s", expr);
        v = xmlXPathCastToNumber(o);
        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
        return v;
}

/* The string value of expr, malloc'd. */
static char *xpath_str(xmlDocPtr doc, const char *expr)
{
        xmlXPathContextPtr ctx = xmlXPathNewContext(doc);
        xmlXPathObjectPtr o;
        xmlChar *s;
        char *copy;

        cr_assert_not_null(ctx);
        o = xmlXPathEvalExpression(BAD_CAST expr, ctx);
        cr_assert_not_null(o, "%s", expr);
        s = xmlXPathCastToString(o);
        copy = strdup((const char *)s);
        xmlFree(s);
        xmlXPathFreeObject(o);
        xmlXPathFreeContext(ctx);
        return copy;
}

#define XSTR_EQ(doc, expr, want)                                                                   \
        do {                                                                                       \
                char *got_ = xpath_str(doc, expr);                                                 \
                cr_expect_str_eq(got_, want, "%s", expr);                                          \
                free(got_);                                                                        \
        } while (0)

Test(report_junit, validates_and_counts)
{
        struct run_report r;
        struct buf b;
        xmlDocPtr doc;

        mixed_report(&r);
        /* The suites follow the first tag, in run order: matrix (H2, H13, H17 out, H7 in),
         * certificate (H13 in, tagged certificate first, and H1 out), untagged (H9 out),
         * dialback (H8, H10 out). */
        for (size_t i = 0; i < r.n_results; i++)
                snprintf(r.results[i].tags, sizeof(r.results[i].tags), "%s",
                         i == 3   ? "certificate,matrix"
                         : i == 5 ? ""
                         : i == 6 ? "certificate"
                         : i >= 7 ? "dialback"
                                  : "matrix");
        doc = junit_doc(&r, &b);
        cr_expect_eq(validate(doc), 0, "invalid against junit.xsd or junit-10.xsd:\n%s", b.data);
        cr_expect_eq(xpath_num(doc, "count(/testsuites/testsuite)"), 5);
        for (int i = 0; i < 5; i++) {
                static const char *const suite[] = {"verdict", "matrix", "certificate", "untagged",
                                                    "dialback"};
                static const double tests[] = {1, 4, 2, 1, 2}, failures[] = {1, 1, 1, 0, 1},
                                    errors[] = {0, 0, 0, 1, 0}, skipped[] = {0, 0, 1, 0, 0};
                char at[64];

                snprintf(at, sizeof(at), "/testsuites/testsuite[%d]/@name", i + 1);
                XSTR_EQ(doc, at, suite[i]);
                snprintf(at, sizeof(at), "/testsuites/testsuite[%d]/@tests", i + 1);
                cr_expect_eq(xpath_num(doc, at), tests[i], "%s", at);
                snprintf(at, sizeof(at), "/testsuites/testsuite[%d]/@failures", i + 1);
                cr_expect_eq(xpath_num(doc, at), failures[i], "%s", at);
                snprintf(at, sizeof(at), "/testsuites/testsuite[%d]/@errors", i + 1);
                cr_expect_eq(xpath_num(doc, at), errors[i], "%s", at);
                snprintf(at, sizeof(at), "/testsuites/testsuite[%d]/@skipped", i + 1);
                cr_expect_eq(xpath_num(doc, at), skipped[i], "%s", at);
        }
        /* 9 scenarios and "configuration matches" (mixed_report has no domains items). */
        cr_expect_eq(xpath_num(doc, "count(//testcase)"), 10);
        cr_expect_eq(xpath_num(doc, "count(/testsuites/testsuite[1]/testcase)"), 1);
        XSTR_EQ(doc, "/testsuites/testsuite[1]/testcase/@name", "configuration matches");
        XSTR_EQ(doc, "/testsuites/testsuite[1]/testcase/@classname",
                "s2scheck.partner.example.verdict");
        /* 2 mismatch + xpass + the classification, which the mismatches contradict. */
        cr_expect_eq(classify_state(&r), CLASSIFY_NONE);
        XSTR_EQ(doc, "/testsuites/testsuite[1]/testcase/failure/@type", "classification");
        cr_expect_eq(xpath_num(doc, "count(//testcase/failure)"), 4);
        cr_expect_eq(xpath_num(doc, "count(//testcase/error)"), 1);
        cr_expect_eq(xpath_num(doc, "count(//testcase/skipped)"), 1);
        cr_expect_eq(xpath_num(doc, "/testsuites/@tests"), 10);
        cr_expect_eq(xpath_num(doc, "/testsuites/@failures"), 4);
        cr_expect_eq(xpath_num(doc, "/testsuites/@errors"), 1);
        /* junit-10.xsd refuses testsuites@skipped: the suites carry it. */
        cr_expect_eq(xpath_num(doc, "count(/testsuites/@skipped)"), 0);
        cr_expect_eq(xpath_num(doc, "sum(/testsuites/testsuite/@tests)"), 10);
        cr_expect_eq(xpath_num(doc, "sum(/testsuites/testsuite/@failures)"), 4);
        cr_expect_eq(xpath_num(doc, "sum(/testsuites/testsuite/@skipped)"), 1);
        XSTR_EQ(doc, "/testsuites/testsuite[3]/testcase[1]/@name", "H13-in");
        XSTR_EQ(doc, "/testsuites/@name", "s2scheck");
        XSTR_EQ(doc, "/testsuites/testsuite[2]/@timestamp", "2024-05-01T12:00:00");
        XSTR_EQ(doc, "/testsuites/@time", "3.500");
        /* The name is the id alone; the title opens system-out. */
        XSTR_EQ(doc, "//testcase[@name='H13-in']/@name", "H13-in");
        XSTR_EQ(doc, "substring-before(//testcase[@name='H13-in']/system-out, '\n')",
                "title: harness H13 inbound");
        XSTR_EQ(doc, "//testcase[@name='H13-in']/@classname", "s2scheck.partner.example.inbound");
        XSTR_EQ(doc, "//testcase[@name='H13-in']/failure/@message", "expected Dt, observed F3|F4");
        XSTR_EQ(doc, "//testcase[@name='H13-in']/failure/@type", "mismatch");
        XSTR_EQ(doc, "//testcase[@name='H7-in']/failure/@message",
                "expected S (or Dt,F3), observed Dt");
        XSTR_EQ(doc, "//testcase[@name='H10-out']/failure/@message",
                "expected to mismatch but matched");
        XSTR_EQ(doc, "//testcase[@name='H10-out']/failure/@type", "xpass");
        XSTR_EQ(doc, "//testcase[@name='H9-out']/error/@message",
                "connect to 127.0.0.1:5269 refused");
        XSTR_EQ(doc, "//testcase[@name='H1-out']/skipped/@message", "not selected");
        /* The xfail passes, with the note first in system-out. */
        cr_expect_eq(xpath_num(doc,
                               "count(//testcase[@name='H8-out']/*[self::failure or self::error or "
                               "self::skipped])"),
                     0);
        XSTR_EQ(doc,
                "substring-before(substring-after(//testcase[@name='H8-out']/system-out, "
                "'\n\n'), ';')",
                "xfail: a known deviation the scenario expects: expected S, observed F3");
        /* Markup and controls: the body keeps < and &, the \x01 becomes U+FFFD. */
        XSTR_EQ(doc, "substring-after(//testcase[@name='H13-in']/failure, 'cause: ')",
                "db:result answered type='invalid' <&> \xef\xbf\xbd\n"
                "expected because: Dt is common to both sides\n"
                "finding: unexpected <failure/> while expecting <proceed/>\n"
                "finding: bad byte \xef\xbf\xbd here\n"
                "finding: escape \xef\xbf\xbd[2J and C1 \xc2\x9b"
                "1m\n");
        XSTR_EQ(doc, "substring-after(//testcase[@name='H2-out']/system-out, 'tags: matrix\n\n')",
                "<stream:features><starttls/></stream:features> & more");
        /* The transcript, with every XML-forbidden character replaced; the CR survives
         * as a character reference. */
        XSTR_EQ(doc,
                "substring-after(//testcase[@name='H13-in']/system-out, "
                "'tags: certificate,matrix\n\n')",
                "<stream:stream to='a&b'>]]>\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
                "\xef\xbf\xbd\xef\xbf\xbd[31m\xef\xbf\xbd\x7f"
                "\xef\xbf\xbd \xef\xbf\xbd\xef\xbf\xbd "
                "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd \xef\xbf\xbd caf\xc3\xa9 "
                "\xe2\x82\xac \xf0\x9f\x98\x80 \r\n\tend \xef\xbf\xbd\xef\xbf\xbd");
        XSTR_EQ(doc, "//property[@name='partner_config']/@value", "M7 Req/Opt/T");
        xmlFreeDoc(doc);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* The schema is not a rubber stamp: it refuses reports that break it. */
Test(report_junit, schema_refuses_broken_reports)
{
        static const char *const bad[] = {
            /* testcase without a name */
            "<testsuites name='s' tests='1' failures='0' errors='0' time='0'>"
            "<testsuite name='s' tests='1' failures='0' errors='0' skipped='0' time='0' "
            "timestamp='2024-05-01T12:00:00'><testcase classname='c' time='0'/></testsuite>"
            "</testsuites>",
            /* failure and error together */
            "<testsuites name='s' tests='1' failures='1' errors='1' time='0'>"
            "<testsuite name='s' tests='1' failures='1' errors='1' skipped='0' time='0' "
            "timestamp='2024-05-01T12:00:00'><testcase name='n' classname='c' time='0'>"
            "<failure message='m' type='t'/><error message='m' type='t'/></testcase>"
            "</testsuite></testsuites>",
            /* negative count, zone in the timestamp */
            "<testsuites name='s' tests='-1' failures='0' errors='0' time='0'>"
            "<testsuite name='s' tests='1' failures='0' errors='0' skipped='0' time='0' "
            "timestamp='2024-05-01T12:00:00Z'/></testsuites>",
            /* testsuites@skipped, which the Jenkins xUnit plugin's junit-10.xsd refuses */
            "<testsuites name='s' tests='0' failures='0' errors='0' skipped='0' time='0'>"
            "<testsuite name='s' tests='0' failures='0' errors='0' skipped='0' time='0'/>"
            "</testsuites>",
            /* two suites with one name */
            "<testsuites name='s' tests='0' failures='0' errors='0' time='0'>"
            "<testsuite name='s' tests='0' failures='0' errors='0' skipped='0' time='0'/>"
            "<testsuite name='s' tests='0' failures='0' errors='0' skipped='0' time='0'/>"
            "</testsuites>",
        };
        static const char good[] =
            "<testsuites name='s' tests='0' failures='0' errors='0' time='0'>"
            "<testsuite name='s' tests='0' failures='0' errors='0' skipped='0' time='0'/>"
            "</testsuites>";
        xmlDocPtr ok = xmlReadMemory(good, (int)strlen(good), "good.xml", NULL,
                                     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

        /* The bad documents differ from this one only by their fault. */
        cr_assert_not_null(ok);
        cr_expect_eq(validate(ok), 0);
        xmlFreeDoc(ok);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                xmlDocPtr doc =
                    xmlReadMemory(bad[i], (int)strlen(bad[i]), "bad.xml", NULL,
                                  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);

                cr_assert_not_null(doc);
                cr_expect_neq(validate_xsd(doc, JUNIT_XSD), 0, "accepted bad[%zu]", i);
                xmlFreeDoc(doc);
        }
}

/* An interrupted run: scenarios that never ran are skipped "not run: interrupted". */
Test(report_junit, incomplete_run)
{
        struct run_report r;
        struct buf b, jb;
        xmlDocPtr doc;
        struct jv *v;
        struct scenario_result *s;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 7);
        add(&r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH);
        s = add(&r, "H13-out", 13, DIR_OUTBOUND, OUTCOME_DT, 0, VERDICT_SKIP);
        s->not_run = true;
        snprintf(s->cause, sizeof(s->cause), "not run: interrupted"); /* as the runner says */
        s = add(&r, "H17-out", 17, DIR_OUTBOUND, OUTCOME_F2, 0, VERDICT_SKIP);
        s->not_run = true;
        snprintf(s->cause, sizeof(s->cause), "not run: interrupted");
        r.incomplete = true;
        snprintf(r.incomplete_reason, sizeof(r.incomplete_reason), "SIGINT");
        classify_run(&r);

        doc = junit_doc(&r, &b);
        cr_expect_eq(validate(doc), 0, "%s", b.data);
        cr_expect_eq(xpath_num(doc, "count(//skipped[@message='not run: interrupted'])"), 2);
        cr_expect_eq(xpath_num(doc, "sum(/testsuites/testsuite/@skipped)"), 2);
        XSTR_EQ(doc, "//property[@name='incomplete']/@value", "SIGINT");
        xmlFreeDoc(doc);

        v = report_to_json(&r, &jb);
        cr_expect(jbool(v, "incomplete"));
        cr_expect_str_eq(jstr(v, "incomplete_reason"), "SIGINT");
        cr_expect(jbool(jget(v, "results")->items[1], "not_run"));
        cr_expect_not(jbool(jget(v, "results")->items[0], "not_run"));
        jv_free(v);

        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "INCOMPLETE: the run was interrupted (SIGINT); 2 "
                                        "scenarios did not run."),
                           "%s", text);
        cr_expect_not_null(strstr(text, "(not run)"));
        free(text);
        buf_cleanup(&b);
        buf_cleanup(&jb);
        run_report_cleanup(&r);
}

/* A run the preflight stopped: every report is written, marked incomplete, each
 * scenario skipped with the preflight's reason, the findings in JSON and JUnit. */
Test(report_junit, stopped_by_preflight)
{
        struct run_report r;
        struct checkup_report *cr = calloc(1, sizeof(*cr));
        struct buf b, jb;
        xmlDocPtr doc;
        struct jv *v, *pf;
        struct scenario_result *s;
        char *text = NULL, *out;
        size_t len = 0;
        FILE *f;
        const char *why = "the preflight found PRE-TCP-IPV4 FAIL on 127.0.0.1:1";

        cr_assert_not_null(cr);
        cr_assert_not_null(
            checkup_add(cr, "PRE-DNS-ADDR", CHECKUP_OK, "127.0.0.1", NULL, "1 address"));
        cr_assert_not_null(checkup_add(cr, "PRE-TCP-IPV4", CHECKUP_FAIL, "127.0.0.1:1", NULL,
                                       "cannot connect: Connection refused"));
        init_report(&r, "partner.example", 7);
        for (int i = 0; i < 2; i++) {
                s = add(&r, i ? "H17-out" : "H13-out", i ? 17 : 13, DIR_OUTBOUND, OUTCOME_DT, 0,
                        VERDICT_SKIP);
                s->not_run = true;
                snprintf(s->cause, sizeof(s->cause), "not run: %s", why);
        }
        r.incomplete = true;
        r.preflight = cr;
        r.preflight_stopped = true;
        snprintf(r.incomplete_reason, sizeof(r.incomplete_reason), "%s", why);
        classify_run(&r);

        doc = junit_doc(&r, &b);
        cr_expect_eq(validate(doc), 0, "%s", b.data);
        cr_expect_eq(xpath_num(doc, "count(//skipped[@message='not run: the preflight found "
                                    "PRE-TCP-IPV4 FAIL on 127.0.0.1:1'])"),
                     2);
        XSTR_EQ(doc, "//property[@name='preflight']/@value",
                "1 OK, 0 WARN, 1 FAIL: stopped the run");
        out = xpath_str(doc, "/testsuites/testsuite/system-out");
        cr_expect_not_null(strstr(out, "FAIL PRE-TCP-IPV4          127.0.0.1:1: cannot connect"),
                           "%s", out);
        cr_expect_not_null(strstr(out, "fix: check that the partner's server runs"), "%s", out);
        free(out);
        xmlFreeDoc(doc);

        v = report_to_json(&r, &jb);
        cr_expect(jbool(v, "incomplete"));
        cr_expect(jbool(v, "stopped_by_preflight"));
        pf = jget(v, "preflight");
        cr_assert_not_null(pf);
        cr_assert_eq(pf->n, 2);
        cr_expect_str_eq(jstr(pf->items[1], "id"), "PRE-TCP-IPV4");
        cr_expect_str_eq(jstr(pf->items[1], "severity"), "FAIL");
        cr_expect_str_eq(jstr(pf->items[1], "side"), "partner");
        cr_expect_not_null(strstr(jstr(pf->items[1], "fix"), "partner's server runs"));
        cr_expect(jis_null(pf->items[0], "fix"));
        jv_free(v);

        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "INCOMPLETE: the preflight stopped the run (the preflight "
                                        "found PRE-TCP-IPV4 FAIL on 127.0.0.1:1); 2 scenarios "
                                        "did not run."),
                           "%s", text);
        free(text);
        buf_cleanup(&b);
        buf_cleanup(&jb);
        run_report_cleanup(&r);
        free(cr);
}

/* A run with no preflight: "preflight" is null, never an empty list that would read
 * as a preflight that found nothing. */
Test(report_json, no_preflight_is_null)
{
        struct run_report r;
        struct buf jb;
        struct jv *v;

        init_report(&r, "partner.example", 7);
        add(&r, "H2-out", 2, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH);
        classify_run(&r);
        v = report_to_json(&r, &jb);
        cr_expect(jis_null(v, "preflight"));
        cr_expect_not(jbool(v, "stopped_by_preflight"));
        jv_free(v);
        buf_cleanup(&jb);
        run_report_cleanup(&r);
}

/* ---- text ---------------------------------------------------------------- */

static char *text_of(const struct run_report *r, bool color)
{
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, r, color), 0);
        fclose(f);
        return text;
}

/* The line of the table that starts with id. */
static const char *table_line(const char *text, const char *id, char *out, size_t len)
{
        size_t n = strlen(id);

        for (const char *p = text; *p != '\0';) {
                const char *e = strchr(p, '\n');
                size_t l = e != NULL ? (size_t)(e - p) : strlen(p);

                if (strncmp(p, id, n) == 0 && p[n] == ' ') {
                        snprintf(out, len, "%.*s", (int)l, p);
                        return out;
                }
                p += l + (e != NULL);
        }
        return NULL;
}

/* Collapses runs of spaces, so that column widths do not matter. */
static void squeeze(char *s)
{
        char *o = s;

        for (char *p = s; *p; p++) {
                if (*p == ' ' && o > s && o[-1] == ' ')
                        continue;
                *o++ = *p;
        }
        *o = '\0';
}

Test(report_text, table_summary_and_no_colour)
{
        struct run_report r;
        char *text, line[256];

        mixed_report(&r);
        text = text_of(&r, false);
        cr_expect_null(strchr(text, '\033'), "escape codes without colour");
        cr_expect_not_null(strstr(text, "partner configuration: M7 Req/Opt/T (TLS Required, SASL "
                                        "Optional, dialback True), class E4"));
        cr_assert_not_null(table_line(text, "H13-in", line, sizeof(line)), "%s", text);
        squeeze(line);
        cr_expect_str_eq(line, "H13-in in H13 Req/NS/T Dt F3|F4 mismatch");
        cr_assert_not_null(table_line(text, "H10-out", line, sizeof(line)));
        squeeze(line);
        cr_expect_str_eq(line, "H10-out out H10 Opt/Opt/F strict S S xpass");
        cr_assert_not_null(table_line(text, "H9-out", line, sizeof(line)));
        squeeze(line);
        cr_expect_str_eq(line, "H9-out out H9 Opt/Opt/T S - error");
        cr_assert_not_null(table_line(text, "H7-in", line, sizeof(line)));
        squeeze(line);
        cr_expect_str_eq(line, "H7-in in H7 Req/Opt/T S (or Dt,F3) Dt mismatch");
        /* Wire text cannot drive the terminal: controls are shown, not sent. */
        cr_expect_not_null(strstr(text, "    cause: db:result answered type='invalid' <&> \\x01 "
                                        "[XEP-0220 §2.1.3]"),
                           "%s", text);
        cr_expect_not_null(strstr(text, "    finding: escape \\x1b[2J and C1 \\x9b1m\n"));
        cr_expect_not_null(strstr(text, "    finding: bad byte \xef\xbf\xbd here\n"));
        cr_expect_not_null(strstr(text, "    finding: unexpected <failure/> while expecting"));
        cr_expect_not_null(strstr(text, "Summary: 9 scenarios: 3 match, 2 mismatch, 1 error, 1 "
                                        "skip, 1 xfail, 1 xpass"),
                           "%s", text);
        free(text);

        text = text_of(&r, true);
        cr_expect_not_null(strstr(text, "\033[1;31mmismatch\033[0m"));
        cr_expect_not_null(strstr(text, "\033[32mmatch\033[0m"));
        free(text);
        run_report_cleanup(&r);
}

/* The text of r as `run` prints it: not verbose, wrapped at width columns. */
static char *text_at(const struct run_report *r, int width, bool verbose)
{
        const struct report_text_options o = {.width = width, .verbose = verbose};
        char *text = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&text, &len);

        cr_assert_not_null(f);
        cr_assert_eq(report_text_with(f, r, &o), 0);
        fclose(f);
        return text;
}

/* The widest line of text, in code points. */
static int widest_line(const char *text)
{
        int widest = 0, col = 0;

        for (const unsigned char *p = (const unsigned char *)text; *p != '\0'; p++) {
                if (*p == '\n') {
                        col = 0;
                        continue;
                }
                col += (*p & 0xc0) != 0x80;
                widest = col > widest ? col : widest;
        }
        return widest;
}

/* Issue 14 item 1: what needs attention grouped by cause (each cause once, with the
 * scenarios it covers), then the verdict at the end; no table without --verbose; no
 * line wider than the terminal; a legend of the codes used, and only those. */
Test(report_text, attention_first_verdict_last)
{
        struct run_report r;
        char *text;
        const char *att, *sum, *cls, *dom, *legend;

        mixed_report(&r);
        text = text_at(&r, 80, false);
        cr_expect_leq(widest_line(text), 80, "%s", text);
        cr_expect_null(strstr(text, "\nID "), "no table without --verbose:\n%s", text);
        att = strstr(text, "Needing attention: ");
        sum = strstr(text, "\nSummary: ");
        cls = strstr(text, "\nClassification ");
        dom = strstr(text, "\nDomains ");
        legend = strstr(text, "\nCodes: ");
        cr_assert(att != NULL && sum != NULL && cls != NULL && dom != NULL && legend != NULL, "%s",
                  text);
        cr_expect(att < sum && sum < cls && cls < dom && dom < legend, "%s", text);
        /* One entry per cause, the scenario under it once. */
        cr_assert_not_null(strstr(att, "H13-in"), "%s", text);
        cr_expect(strstr(strstr(att, "H13-in") + 1, "H13-in") > sum, "%s", text);
        cr_expect_null(strstr(att, "    cause: "), "%s", text);
        /* The codes the report used are in the legend; one it did not use is not. */
        cr_expect_not_null(strstr(legend, "; F3 TLS"), "%s", text);
        cr_expect_not_null(strstr(legend, "help codes"), "%s", text);
        cr_expect_null(strstr(legend, "H1-H18"), "no harness row without the table:\n%s", text);
        free(text);

        text = text_at(&r, 40, true);
        cr_expect_leq(widest_line(text), 40, "%s", text);
        cr_expect_not_null(strstr(text, "\nID "), "the table with --verbose:\n%s", text);
        free(text);
        run_report_cleanup(&r);
}

/* Text from the wire with no blank to break at (a long cause, a long id) is cut at
 * the width, at every width and in both layouts; colour sequences take no column. */
Test(report_text, long_words_cut_at_width)
{
        struct run_report r;
        struct scenario_result *s;

        mixed_report(&r);
        s = &r.results[0];
        memset(s->cause, 'x', sizeof(s->cause) - 1);
        s->cause[sizeof(s->cause) - 1] = '\0';
        s->verdict = VERDICT_MISMATCH;
        classify_run(&r);
        for (int width = 20; width <= 100; width += 7) {
                for (int verbose = 0; verbose < 2; verbose++) {
                        char *text = text_at(&r, width, verbose);

                        cr_expect_leq(widest_line(text), width, "width %d:\n%s", width, text);
                        free(text);
                }
        }
        run_report_cleanup(&r);
}

/* --color: auto is a terminal with NO_COLOR unset or empty (no-color.org); always and
 * never whatever the terminal; any other word is refused. */
Test(report_text, color_choice)
{
        bool c = false;

        cr_expect_eq(report_color_choice(NULL, true, NULL, &c), 0);
        cr_expect(c);
        cr_expect_eq(report_color_choice("auto", true, "", &c), 0);
        cr_expect(c, "an empty NO_COLOR does not disable colour");
        cr_expect_eq(report_color_choice("auto", true, "1", &c), 0);
        cr_expect_not(c);
        cr_expect_eq(report_color_choice("auto", false, NULL, &c), 0);
        cr_expect_not(c);
        cr_expect_eq(report_color_choice("always", false, "1", &c), 0);
        cr_expect(c);
        cr_expect_eq(report_color_choice("never", true, NULL, &c), 0);
        cr_expect_not(c);
        cr_expect_eq(report_color_choice("sometimes", true, NULL, &c), -1);
}

Test(report_text, invalid_partner_named)
{
        struct run_report r;
        char *text;

        init_report(&r, "partner.example", 6);
        classify_run(&r);
        text = text_of(&r, false);
        cr_expect_not_null(strstr(text, "M6 NS/Req/F"));
        cr_expect_not_null(strstr(text, "NOT VALID: SASL negotiation needs TLS"), "%s", text);
        free(text);
        run_report_cleanup(&r);
}

/* ---- progress ------------------------------------------------------------ */

Test(report_progress, tty_and_plain)
{
        struct run_report r;
        char *text = NULL;
        size_t len = 0;
        FILE *f;

        mixed_report(&r);
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        report_progress(f, false, 0, 2, NULL);
        report_progress(f, false, 1, 2, &r.results[0]);
        report_progress(f, false, 2, 2, &r.results[3]);
        fclose(f);
        cr_expect_str_eq(text, "[0/2] running\n"
                               "[1/2] H2-out outbound: match (0.2 s)\n"
                               "[2/2] H13-in inbound: mismatch (0.2 s)\n");
        free(text);

        text = NULL;
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        report_progress(f, true, 1, 2, &r.results[0]);
        fflush(f);
        cr_expect_eq(text[0], '\r');
        cr_expect_null(strchr(text, '\n'), "no newline before the end");
        cr_expect_eq(len, 80);
        report_progress(f, true, 2, 2, &r.results[3]);
        fclose(f);
        cr_expect_eq(len, 161);
        cr_expect_eq(text[160], '\n');
        cr_expect_null(strchr(text, '\033'));
        cr_expect_eq(strncmp(text + 80, "\r[2/2] H13-in inbound: mismatch", 31), 0);
        free(text);
        run_report_cleanup(&r);
}

/* ---- files --------------------------------------------------------------- */

static char tmpdir[64];

static void make_tmpdir(void)
{
        snprintf(tmpdir, sizeof(tmpdir), "/tmp/s2s-report-XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
}

/* Names in dir, sorted, joined with ",". */
static void listing(const char *dir, char *out, size_t len)
{
        struct dirent **names;
        int n = scandir(dir, &names, NULL, alphasort);
        size_t o = 0;

        out[0] = '\0';
        cr_assert_geq(n, 0);
        for (int i = 0; i < n; i++) {
                if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0)
                        o += (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "",
                                              names[i]->d_name);
                free(names[i]);
        }
        free(names);
}

static void remove_tree(const char *dir)
{
        struct dirent **names;
        int n = scandir(dir, &names, NULL, alphasort);
        char path[512];

        for (int i = 0; i < n; i++) {
                if (strcmp(names[i]->d_name, ".") != 0 && strcmp(names[i]->d_name, "..") != 0) {
                        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
                        if (unlink(path) < 0 && errno == EISDIR)
                                remove_tree(path);
                        else if (errno == EISDIR)
                                rmdir(path);
                }
                free(names[i]);
        }
        if (n >= 0)
                free(names);
        rmdir(dir);
}

static char *slurp(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        char *data = NULL;
        size_t cap = 0;

        cr_assert_not_null(f, "%s", path);
        *len = 0;
        for (;;) {
                char chunk[4096];
                size_t n = fread(chunk, 1, sizeof(chunk), f);

                if (n == 0)
                        break;
                data = realloc(data, cap + n + 1);
                cr_assert_not_null(data);
                memcpy(data + cap, chunk, n);
                cap += n;
        }
        fclose(f);
        if (data == NULL)
                data = calloc(1, 1);
        data[cap] = '\0';
        *len = cap;
        return data;
}

static void put_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f);
        fputs(text, f);
        fclose(f);
}

Test(report_files, atomic_write_replaces)
{
        char path[128], names[256], err[512] = "";
        struct buf b;
        size_t len;
        char *got;
        struct stat st;

        make_tmpdir();
        snprintf(path, sizeof(path), "%s/report.json", tmpdir);
        put_file(path, "old content that is longer than the new one\n");
        buf_init(&b, 0);
        buf_puts(&b, "{\"new\":true}\n");
        cr_assert_eq(report_write_atomic(path, &b, err, sizeof(err)), 0, "%s", err);
        got = slurp(path, &len);
        cr_expect_str_eq(got, "{\"new\":true}\n");
        free(got);
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 0777, 0644);
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "report.json", "temporary files left: %s", names);

        /* A relative name writes into the working directory. */
        cr_assert_eq(chdir(tmpdir), 0);
        cr_assert_eq(report_write_atomic("rel.xml", &b, err, sizeof(err)), 0, "%s", err);
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "rel.xml,report.json");
        buf_cleanup(&b);
        remove_tree(tmpdir);
}

/* Failures after the temporary file exists: nothing is left behind and the old
 * target is untouched. */
Test(report_files, atomic_write_failures_leave_nothing)
{
        char path[128], names[256], err[512] = "";
        struct buf b;
        struct rlimit rl = {4096, 4096};
        size_t len;
        char *got;

        make_tmpdir();
        buf_init(&b, 0);
        for (int i = 0; i < 4096; i++)
                buf_puts(&b, "0123456789abcdef");

        /* The target is a directory: refused before a temporary file exists (the
         * rename would fail; for a device or a link it would replace it). */
        snprintf(path, sizeof(path), "%s/adir", tmpdir);
        cr_assert_eq(mkdir(path, 0755), 0);
        cr_expect_eq(report_write_atomic(path, &b, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "not a regular file"), "%s", err);
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "adir", "left: %s", names);
        rmdir(path);

        /* A write that cannot complete (file size limit, EFBIG): even as root. */
        snprintf(path, sizeof(path), "%s/report.xml", tmpdir);
        put_file(path, "old\n");
        signal(SIGXFSZ, SIG_IGN);
        cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);
        cr_expect_eq(report_write_atomic(path, &b, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "cannot write"), "%s", err);
        cr_expect_not_null(strstr(err, strerror(EFBIG)), "%s", err);
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "report.xml", "left: %s", names);
        got = slurp(path, &len);
        cr_expect_str_eq(got, "old\n");
        free(got);

        /* No directory; a directory nobody may create files in (sysfs refuses even root). */
        snprintf(path, sizeof(path), "%s/missing/report.xml", tmpdir);
        cr_expect_eq(report_write_atomic(path, &b, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "cannot create a temporary file"), "%s", err);
        cr_expect_eq(report_write_atomic("/sys/s2scheck-report.xml", &b, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "/sys/s2scheck-report.xml: cannot create a temporary"), "%s",
                           err);
        cr_expect_eq(access("/sys/s2scheck-report.xml", F_OK), -1);
        cr_expect_eq(report_write_atomic("dir/", &b, err, sizeof(err)), -1);
        buf_cleanup(&b);
        remove_tree(tmpdir);
}

/* A read-only directory. Root ignores mode bits, so as root the test (its own
 * process under criterion) gives the directory to nobody and becomes nobody. */
Test(report_files, atomic_write_read_only_dir)
{
        char path[128], names[256], err[512] = "";
        struct buf b;

        make_tmpdir();
        if (geteuid() == 0) {
                cr_assert_eq(chown(tmpdir, 65534, 65534), 0);
                cr_assert_eq(setgid(65534), 0);
                cr_assert_eq(setuid(65534), 0);
        }
        cr_assert_eq(chmod(tmpdir, 0555), 0);
        snprintf(path, sizeof(path), "%s/report.json", tmpdir);
        buf_init(&b, 0);
        buf_puts(&b, "{}\n");
        cr_expect_eq(report_write_atomic(path, &b, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, strerror(EACCES)), "%s", err);
        cr_expect_eq(access(path, F_OK), -1);
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "");
        cr_assert_eq(chmod(tmpdir, 0755), 0);
        buf_cleanup(&b);
        remove_tree(tmpdir);
}

/* A FIFO or a link (e.g. /dev/stdout) is never replaced by the report, and the
 * write does not block on the FIFO. */
Test(report_files, atomic_write_keeps_fifos_and_links, .timeout = 10)
{
        char path[128], link[128], names[256], err[512] = "";
        struct buf b;
        struct stat st;

        make_tmpdir();
        buf_init(&b, 0);
        buf_puts(&b, "{}\n");
        snprintf(path, sizeof(path), "%s/fifo", tmpdir);
        cr_assert_eq(mkfifo(path, 0644), 0);
        cr_expect_eq(report_write_atomic(path, &b, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "not a regular file"), "%s", err);
        cr_assert_eq(lstat(path, &st), 0);
        cr_expect(S_ISFIFO(st.st_mode));
        snprintf(link, sizeof(link), "%s/out", tmpdir);
        cr_assert_eq(symlink("/dev/null", link), 0);
        cr_expect_eq(report_write_atomic(link, &b, err, sizeof(err)), -1);
        cr_assert_eq(lstat(link, &st), 0);
        cr_expect(S_ISLNK(st.st_mode), "the link was replaced");
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "fifo,out", "left: %s", names);
        buf_cleanup(&b);
        remove_tree(tmpdir);
}

Test(report_files, transcripts)
{
        struct run_report r;
        char dir[160], path[224], names[512], err[512] = "";
        size_t len;
        char *got;

        make_tmpdir();
        mixed_report(&r);
        snprintf(dir, sizeof(dir), "%s/transcripts", tmpdir);
        cr_assert_eq(report_write_transcripts(dir, &r, err, sizeof(err)), 0, "%s", err);
        listing(dir, names, sizeof(names));
        cr_expect_str_eq(names, "H1-out.txt,H10-out.txt,H13-in.txt,H13-out.txt,H17-out.txt,"
                                "H2-out.txt,H7-in.txt,H8-out.txt,H9-out.txt,_run.txt");
        snprintf(path, sizeof(path), "%s/H13-in.txt", dir);
        got = slurp(path, &len);
        cr_expect_eq(len, strlen(nasty));
        cr_expect_eq(memcmp(got, nasty, len), 0, "transcript files keep the raw bytes");
        free(got);
        snprintf(path, sizeof(path), "%s/H17-out.txt", dir);
        got = slurp(path, &len);
        cr_expect_eq(len, 0);
        free(got);
        /* Again into the existing directory: replaced, nothing else left. */
        cr_assert_eq(report_write_transcripts(dir, &r, err, sizeof(err)), 0, "%s", err);
        listing(dir, names, sizeof(names));
        cr_expect_eq(strlen(names), strlen("H1-out.txt,H10-out.txt,H13-in.txt,H13-out.txt,"
                                           "H17-out.txt,H2-out.txt,H7-in.txt,H8-out.txt,"
                                           "H9-out.txt,_run.txt"));

        /* An id that would escape the directory is refused. */
        snprintf(r.results[0].id, sizeof(r.results[0].id), "../escape");
        cr_expect_eq(report_write_transcripts(dir, &r, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "not a safe file name"), "%s", err);
        listing(tmpdir, names, sizeof(names));
        cr_expect_str_eq(names, "transcripts");
        /* The directory path is a file. */
        snprintf(path, sizeof(path), "%s/H13-in.txt", dir);
        cr_expect_eq(report_write_transcripts(path, &r, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "not a directory"), "%s", err);
        run_report_cleanup(&r);
        remove_tree(tmpdir);
}

/* ---- ownership ----------------------------------------------------------- */

Test(report_results, cleanup_frees_and_zeroes)
{
        struct run_report r, zero;

        mixed_report(&r);
        run_report_cleanup(&r);
        memset(&zero, 0, sizeof(zero));
        cr_expect_eq(memcmp(&r, &zero, sizeof(r)), 0);
        run_report_cleanup(&r); /* again: nothing left to free */
        run_report_cleanup(NULL);
        scenario_result_cleanup(NULL);
}

/*
 * Matches through an accepted alternative are listed apart from the findings, and
 * outbound variants closed with F3 where dialback was implied make the
 * certificate-required-for-dialback pattern ("none" alone does not).
 */
Test(report_findings, alternatives_and_the_dialback_pattern)
{
        struct run_report r;
        struct scenario_result *s;
        struct buf b;
        struct jv *v;
        char *text = NULL, joined[256];
        size_t len = 0;
        FILE *f;

        init_report(&r, "partner.example", 7);
        s = add(&r, "cert-none-out", 9, DIR_OUTBOUND, OUTCOME_DT, B(F3), VERDICT_MATCH);
        snprintf(s->certificate, sizeof(s->certificate), "none");
        s->accepted = B(F3);
        s->unclassified = true;
        s = add(&r, "plain-out", 9, DIR_OUTBOUND, OUTCOME_S, B(S), VERDICT_MATCH);
        snprintf(s->certificate, sizeof(s->certificate), "default");
        classify_run(&r);
        v = report_to_json(&r, &b);
        jjoin(jget(v, "alternatives"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "cert-none-out");
        jjoin(jget(v, "finding_patterns"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "", "no certificate at all is not the pattern");
        jjoin(jget(v, "findings_outside_lync"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "", "an accepted alternative is not a finding");
        jv_free(v);
        buf_cleanup(&b);

        s = add(&r, "cert-expired-out", 9, DIR_OUTBOUND, OUTCOME_DT, B(F3), VERDICT_MATCH);
        snprintf(s->certificate, sizeof(s->certificate), "expired");
        s->accepted = B(F3);
        s->unclassified = true;
        /* Inbound, or the implied outcome itself: not the pattern, not alternatives. */
        s = add(&r, "cert-expired-in", 9, DIR_INBOUND, OUTCOME_DT, B(F3), VERDICT_MATCH);
        snprintf(s->certificate, sizeof(s->certificate), "expired");
        s->accepted = B(F3);
        s = add(&r, "cert-wrongname-out", 9, DIR_OUTBOUND, OUTCOME_DT, B(DT), VERDICT_MATCH);
        snprintf(s->certificate, sizeof(s->certificate), "wrongname");
        s->accepted = B(F3);
        classify_run(&r);
        v = report_to_json(&r, &b);
        jjoin(jget(v, "alternatives"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "cert-none-out,cert-expired-out,cert-expired-in");
        jjoin(jget(v, "finding_patterns"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "certificate-required-for-dialback");
        jv_free(v);
        buf_cleanup(&b);
        f = open_memstream(&text, &len);
        cr_assert_not_null(f);
        cr_assert_eq(report_text(f, &r, false), 0);
        fclose(f);
        cr_expect_not_null(strstr(text, "Choices on points the reference leaves open (3;"), "%s",
                           text);
        cr_expect_not_null(strstr(text, "In short: the partner demands a valid certificate even "
                                        "for dialback"),
                           "%s", text);
        cr_expect_not_null(strstr(text, "(1 scenario)."), "%s", text);
        cr_expect_not_null(strstr(text, "  cert-expired-out (match): F3 where the configuration "
                                        "implies Dt:"),
                           "%s", text);
        cr_expect_null(strstr(text, "Findings no Lync setting expresses"), "%s", text);
        free(text);
        run_report_cleanup(&r);
}

/*
 * A partner that does what M13 does but offers <starttls/> without <required/>: the
 * harness rows with TLS NotSupported see F4 (F0|F4 without a method of their own)
 * where M13 predicts F2. No class fits exactly; by behaviour E5 does, and the six
 * cells are listed as what the partner declares otherwise (docs/observables.md).
 */
Test(report_classify, by_behaviour)
{
        for (int file_row = 13; file_row >= 7; file_row -= 6) {
                struct run_report r;
                struct buf b;
                struct jv *v, *cls, *only;
                char *text = NULL, joined[128];
                size_t len = 0;
                FILE *f;
                struct neg_settings p, h;

                init_report(&r, "partner.example", file_row);
                cr_assert_eq(settings_from_row(13, &p), 0);
                for (int hrow = 1; hrow <= SETTINGS_ROWS; hrow++) {
                        for (int d = 0; d < 2; d++) {
                                char id[16];
                                enum outcome o;
                                unsigned seen;

                                settings_from_row(hrow, &h);
                                o = oracle_expect(&h, SEMANTICS_MATRIX, &p, (enum direction)d, NULL,
                                                  0);
                                seen = OUTCOME_BIT(o);
                                if (d == 0 && h.tls == NEG_NOTSUPPORTED)
                                        seen =
                                            B(F4) |
                                            (oracle_methods(&h, SEMANTICS_MATRIX) == 0 ? B(F0) : 0);
                                snprintf(id, sizeof(id), "H%d-%s", hrow, d ? "in" : "out");
                                add(&r, id, hrow, (enum direction)d, o, seen,
                                    oracle_consistent(o, seen) ? VERDICT_MATCH : VERDICT_MISMATCH);
                        }
                }
                classify_run(&r);
                cr_expect_eq(r.cls.classes, 0u, "exactly, nothing fits");
                cr_expect(r.cls.by_behaviour);
                f = open_memstream(&text, &len);
                cr_assert_not_null(f);
                cr_assert_eq(report_text(f, &r, false), 0);
                fclose(f);
                cr_expect_null(strstr(text, "No partner configuration explains"), "%s", text);
                cr_expect_not_null(strstr(text, file_row == 13
                                                    ? "The configuration matches by behaviour: M13"
                                                    : "The observations fit class E5 by behaviour"),
                                   "%s", text);
                cr_expect_not_null(strstr(text, "6 observations agree with M13 only"), "%s", text);
                cr_expect_not_null(
                    strstr(text, "H17-out (outbound, H17): observed F4, M13 predicts F2 (F2|F4"),
                    "%s", text);
                cr_expect_not_null(strstr(text, "did not mark STARTTLS <required/> [RFC 6120 "
                                                "§5.4.1]"),
                                   "%s", text);
                free(text);

                v = report_to_json(&r, &b);
                cls = jget(v, "classification");
                cr_expect_str_eq(jstr(cls, "state"), file_row == 13 ? "matches" : "class");
                cr_expect_str_eq(jstr(cls, "compared"), "behaviour");
                cr_expect_str_eq(jstr(cls, "suggested_config"), "M13");
                jjoin(jget(cls, "classes"), joined, sizeof(joined));
                cr_expect_str_eq(joined, "E5");
                only = jget(cls, "behaviour_only");
                cr_assert_not_null(only);
                cr_expect_eq(only->n, 6);
                cr_expect_str_eq(jstr(only->items[0], "rule"), "RFC 6120 §5.4.1");
                jjoin(jget(only->items[0], "indistinguishable"), joined, sizeof(joined));
                cr_expect_str_eq(joined, "F2,F4");
                jjoin(jget(v, "finding_patterns"), joined, sizeof(joined));
                cr_expect_str_eq(joined, "declared-otherwise");
                jv_free(v);
                buf_cleanup(&b);
                run_report_cleanup(&r);
        }
}

/* ---- streams refused outside any scenario (issue 10) ----------------------- */

/* The mixed report with 86 refused streams: text, JSON, JUnit and the run-level
 * transcript file all carry them; a run without any still says so in JSON/JUnit. */
Test(report_refused, in_every_report)
{
        struct run_report r;
        struct buf b, jb;
        struct jv *v, *x;
        xmlDocPtr doc;
        char *text, dir[160], path[224], *got;
        size_t len;
        char err[512] = "";
        const char *line = "the partner connected 86 times to harness.test without reaching a "
                           "scenario and was refused: 80 host-unknown (no 'to') [RFC 6120 "
                           "§4.9.3.6], 6 XML refused (invalid-namespace) [RFC 6120 §4.9.3]";

        mixed_report(&r);
        v = report_to_json(&r, &jb);
        x = jget(v, "refused");
        cr_assert_not_null(x, "always present");
        cr_expect_eq(jnum(x, "total"), 0);
        cr_expect_eq(jget(x, "causes")->n, 0);
        cr_expect(jis_null(x, "transcript"));
        jv_free(v);
        buf_cleanup(&jb);
        doc = junit_doc(&r, &b);
        XSTR_EQ(doc, "//property[@name='refused_streams']/@value", "0");
        cr_expect_eq(xpath_num(doc, "count(//property[@name='refused'])"), 0);
        xmlFreeDoc(doc);
        buf_cleanup(&b);
        text = text_of(&r, false);
        cr_expect_null(strstr(text, "Refused streams"), "%s", text);
        free(text);

        snprintf(r.refused.domain, sizeof(r.refused.domain), "harness.test");
        for (int i = 0; i < 6; i++)
                refusals_add(&r.refused, "XML refused (invalid-namespace)", "RFC 6120 §4.9.3");
        for (int i = 0; i < 80; i++)
                refusals_add(&r.refused, "host-unknown (no 'to')", "RFC 6120 §4.9.3.6");
        r.refused.transcript = strdup(nasty);

        text = text_of(&r, false);
        cr_expect_not_null(strstr(text, line), "%s", text);
        cr_expect_not_null(strstr(text, "_run.txt with --transcripts"), "%s", text);
        free(text);

        v = report_to_json(&r, &jb);
        x = jget(v, "refused");
        cr_expect_eq(jnum(x, "total"), 86);
        cr_expect_str_eq(jstr(x, "domain"), "harness.test");
        cr_assert_eq(jget(x, "causes")->n, 2);
        cr_expect_str_eq(jstr(jget(x, "causes")->items[1], "cause"), "host-unknown (no 'to')");
        cr_expect_str_eq(jstr(jget(x, "causes")->items[1], "rule"), "RFC 6120 §4.9.3.6");
        cr_expect_eq(jnum(jget(x, "causes")->items[1], "count"), 80);
        cr_expect_eq(jnum(x, "other"), 0);
        cr_expect_eq(jnum(x, "dropped_before_header"), 0);
        cr_expect_not(jbool(x, "transcript_truncated"));
        cr_expect_not_null(jstr(x, "transcript"));
        jv_free(v);
        buf_cleanup(&jb);

        doc = junit_doc(&r, &b);
        cr_expect_eq(validate(doc), 0, "%s", b.data);
        XSTR_EQ(doc, "//property[@name='refused_streams']/@value", "86");
        XSTR_EQ(doc, "//property[@name='refused']/@value", line);
        cr_expect_eq(xpath_num(doc, "count(/testsuites/testsuite/system-out)"), 1);
        xmlFreeDoc(doc);
        buf_cleanup(&b);

        make_tmpdir();
        snprintf(dir, sizeof(dir), "%s/t", tmpdir);
        cr_assert_eq(report_write_transcripts(dir, &r, err, sizeof(err)), 0, "%s", err);
        snprintf(path, sizeof(path), "%s/_run.txt", dir);
        got = slurp(path, &len);
        cr_expect_eq(len, strlen(nasty));
        cr_expect_eq(memcmp(got, nasty, len), 0, "the run-level transcript keeps the raw bytes");
        free(got);
        remove_tree(tmpdir);
        run_report_cleanup(&r);
}

/* ---- what a run is about and what its classification rests on (issue 12 item 2) */

/*
 * A self-test (no --target) says so in the text header and classification, in the
 * JSON target_info and classification.self_test, and in the JUnit properties, and
 * suggests no gateway setting: the partner's real server was never contacted.
 */
Test(report_basis, self_test_is_no_verdict_on_the_partner)
{
        struct run_report r;
        struct buf b;
        struct jv *v, *ti;
        char *text;

        init_report(&r, "partner.example", 1);
        r.self_test = true;
        full_grid(&r, 1);
        classify_run(&r);
        cr_expect_str_eq(r.suggested, "", "no suggestion from a self-test");
        text = text_of(&r, false);
        cr_expect_not_null(strstr(text, "SELF-TEST (no --target): the partner is s2scheck's "
                                        "built-in reference partner"),
                           "%s", text);
        cr_expect_not_null(strstr(text, "partner.example's real server was never contacted"), "%s",
                           text);
        cr_expect_null(strstr(text, "The configuration matches"), "%s", text);
        cr_expect_null(strstr(text, "Set-CsXmppAllowedPartner"), "%s", text);
        free(text);
        v = report_to_json(&r, &b);
        ti = jget(v, "target_info");
        cr_expect_str_eq(jstr(ti, "kind"), "self-test");
        cr_expect(jis_null(ti, "address"));
        cr_expect(!jbool(ti, "partner_contacted"));
        cr_expect(jbool(jget(v, "classification"), "self_test"));
        cr_expect(jis_null(jget(v, "classification"), "suggested"));
        jv_free(v);
        buf_cleanup(&b);
        buf_init(&b, 0);
        cr_assert_eq(report_junit(&r, &b), 0);
        cr_expect_not_null(strstr(b.data, "<property name=\"target_kind\" value=\"self-test\"/>"));
        buf_cleanup(&b);
        run_report_cleanup(&r);

        /* The same observations from a real partner: a verdict on it, suggested. */
        init_report(&r, "partner.example", 1);
        snprintf(r.target, sizeof(r.target), "127.0.0.1:5269");
        full_grid(&r, 1);
        classify_run(&r);
        cr_expect_neq(r.suggested[0], '\0');
        text = text_of(&r, false);
        cr_expect_null(strstr(text, "SELF-TEST"));
        cr_expect_not_null(strstr(text, "The configuration matches: M1"));
        cr_expect_not_null(strstr(text, "from 36 observations (18 outbound, 18 inbound)"));
        free(text);
        v = report_to_json(&r, &b);
        ti = jget(v, "target_info");
        cr_expect_str_eq(jstr(ti, "kind"), "partner");
        cr_expect_str_eq(jstr(ti, "address"), "127.0.0.1:5269");
        cr_expect(jbool(ti, "partner_contacted"));
        cr_expect_eq(jget(jget(v, "classification"), "untold_configs")->n, 0);
        jv_free(v);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/*
 * The partner could not connect in: every inbound scenario errored, and of the
 * outbound ones only H2 ran (a full outbound set would tell every class apart by
 * itself). The classification says it rests on outbound observations only, and
 * names the rows that fit them but that inbound observations would have told apart.
 */
Test(report_basis, a_missing_direction_is_named)
{
        struct run_report r;
        struct buf b;
        struct jv *v, *cls;
        struct neg_settings p, h;
        char *text, want[160], rows[128], joined[128];
        unsigned fit;
        size_t o = 0;

        init_report(&r, "partner.example", 1);
        snprintf(r.target, sizeof(r.target), "127.0.0.1:5269");
        cr_assert_eq(settings_from_row(1, &p), 0);
        for (int hrow = 1; hrow <= SETTINGS_ROWS; hrow++) {
                char id[16];
                enum outcome e;
                struct scenario_result *s;

                settings_from_row(hrow, &h);
                e = oracle_expect(&h, SEMANTICS_MATRIX, &p, DIR_OUTBOUND, NULL, 0);
                snprintf(id, sizeof(id), "H%d-out", hrow);
                /* A full outbound set tells every class apart on its own: one probe. */
                if (hrow == 2)
                        add(&r, id, hrow, DIR_OUTBOUND, e, OUTCOME_BIT(e), VERDICT_MATCH);
                else
                        add(&r, id, hrow, DIR_OUTBOUND, e, 0, VERDICT_SKIP);
                e = oracle_expect(&h, SEMANTICS_MATRIX, &p, DIR_INBOUND, NULL, 0);
                snprintf(id, sizeof(id), "H%d-in", hrow);
                s = add(&r, id, hrow, DIR_INBOUND, e, 0, VERDICT_ERROR);
                s->error_cause = ERROR_CAUSE_ENVIRONMENT;
        }
        classify_run(&r);
        cr_expect_eq(r.cls_dir[DIR_OUTBOUND], 1);
        cr_expect_eq(r.cls_dir[DIR_INBOUND], 0);
        cr_expect_eq(r.unjudged_dir[DIR_INBOUND], 18);
        cr_expect_eq(r.unjudged_dir[DIR_OUTBOUND], 0);
        cr_expect_eq(r.untold_dirs, 1u << DIR_INBOUND);
        fit = oracle_classification_rows(&r.cls);
        /* Outbound alone cannot tell M1 from every row that answers outbound alike; the
         * untold rows are those, and each must fit what was observed. */
        cr_expect(r.untold_rows & 1u, "M1 is among them");
        cr_expect_eq(r.untold_rows & ~fit, 0u, "only rows that fit");
        cr_expect_gt(__builtin_popcount(r.untold_rows), 1);
        rows[0] = '\0';
        for (int m = 1; m <= SETTINGS_ROWS; m++) {
                if (r.untold_rows & (1u << (m - 1)))
                        o +=
                            (size_t)snprintf(rows + o, sizeof(rows) - o, "%sM%d", o ? ", " : "", m);
        }
        text = text_of(&r, false);
        cr_expect_not_null(strstr(text, "from 1 observation (1 outbound, 0 inbound)"), "%s", text);
        cr_expect_not_null(strstr(text, "18 inbound scenarios could not be judged (error or not "
                                        "run): the classification rests on outbound observations "
                                        "only."),
                           "%s", text);
        snprintf(want, sizeof(want), "Rows %s fit what was observed", rows);
        cr_expect_not_null(strstr(text, want), "%s", text);
        cr_expect_not_null(strstr(text, "because the inbound direction is missing"), "%s", text);
        free(text);
        v = report_to_json(&r, &b);
        cls = jget(v, "classification");
        cr_expect_eq(jnum(cls, "outbound_observations"), 1);
        cr_expect_eq(jnum(cls, "inbound_observations"), 0);
        cr_expect_eq(jnum(cls, "unjudged_inbound"), 18);
        jjoin(jget(cls, "missing_directions"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "inbound");
        jjoin(jget(cls, "untold_configs"), joined, sizeof(joined));
        for (char *c = rows; *c; c++) /* "M1, M2" -> "M1,M2" */
                if (*c == ' ')
                        memmove(c, c + 1, strlen(c));
        cr_expect_str_eq(joined, rows);
        jv_free(v);
        buf_cleanup(&b);
        buf_init(&b, 0);
        cr_assert_eq(report_junit(&r, &b), 0);
        cr_expect_not_null(strstr(b.data, "<property name=\"observations\" value=\"1 outbound, 0 "
                                          "inbound; unjudged: 0 outbound, 18 inbound\"/>"),
                           "%s", b.data);
        cr_expect_not_null(strstr(b.data, "<property name=\"untold_configs\""));
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* --no-transcripts-inline (with --transcripts DIR): the reports name each transcript's
 * file instead of carrying its text; the invocation is recorded (issue 14 item 4). */
Test(report_json, transcripts_by_reference_and_invocation)
{
        struct run_report r;
        struct buf b;
        struct jv *v, *x, *inv;
        xmlDocPtr doc;
        char *out;
        char joined[256];
        static char *argv[] = {"--partner", "p.xml", "--only", "matrix", NULL};
        static const char *only[] = {"matrix"};

        mixed_report(&r);
        r.invocation = (struct run_invocation){
            .argc = 4, .argv = argv, .only = only, .n_only = 1, .timeout_s = 12};
        r.transcripts_dir = "/t";
        v = report_to_json(&r, &b);
        x = jget(v, "results")->items[3];
        cr_expect_not_null(strstr(jstr(x, "transcript"), "<stream:stream"), "inline by default");
        cr_expect_str_eq(jstr(x, "transcript_file"), "/t/H13-in.txt");
        cr_expect_str_eq(jstr(jget(v, "refused"), "transcript_file"), "/t/_run.txt");
        inv = jget(v, "invocation");
        jjoin(jget(inv, "argv"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "--partner,p.xml,--only,matrix");
        jjoin(jget(inv, "only"), joined, sizeof(joined));
        cr_expect_str_eq(joined, "matrix");
        cr_expect_eq(jnum(inv, "timeout_s"), 12);
        cr_expect(jis_null(inv, "step_timeout_ms"), "not given: null");
        cr_expect(jis_null(inv, "domain"));
        cr_expect_str_eq(jstr(inv, "transcripts"), "/t");
        cr_expect(jbool(inv, "transcripts_inline"));
        jv_free(v);
        buf_cleanup(&b);

        r.no_transcripts_inline = true;
        v = report_to_json(&r, &b);
        x = jget(v, "results")->items[3];
        cr_expect(jis_null(x, "transcript"));
        cr_expect_str_eq(jstr(x, "transcript_file"), "/t/H13-in.txt");
        cr_expect_not(jbool(jget(v, "invocation"), "transcripts_inline"));
        cr_expect_null(strstr(b.data, "<stream:stream"), "no transcript text in the JSON");
        jv_free(v);
        buf_cleanup(&b);

        doc = junit_doc(&r, &b);
        cr_expect_eq(validate(doc), 0, "%s", b.data);
        out = xpath_str(doc, "//testcase[@name='H13-in']/system-out");
        cr_expect_not_null(strstr(out, "transcript: /t/H13-in.txt\n"), "%s", out);
        cr_expect_null(strstr(out, "<stream:stream"), "%s", out);
        free(out);
        xmlFreeDoc(doc);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}

/* The Markdown summary (issue 14 item 4): the verdict first, what needs attention
 * grouped by cause, one row per cause with each scenario once. */
Test(report_markdown, groups_by_cause)
{
        struct run_report r;
        struct buf b;
        size_t rows = 0;

        mixed_report(&r);
        /* Two mismatches under one rule, the xpass and the error under others. */
        r.results[3].rule_id = RULE_NONE;
        r.results[4].rule_id = r.results[3].rule_id;
        buf_init(&b, 0);
        cr_assert_eq(report_markdown(&r, &b), 0);
        cr_assert_eq(buf_append(&b, "", 1), 0);
        cr_expect_eq(strncmp(b.data, "## s2scheck: needs attention\n", 29), 0, "%s", b.data);
        cr_expect_not_null(strstr(b.data, "- 9 scenarios: 3 match, 2 mismatch, 1 error, 1 skip"),
                           "%s", b.data);
        cr_expect_not_null(strstr(b.data, "| mismatch | XEP-0220 §2.1.3 | `H13-in` (mismatch: "
                                          "expected Dt, observed F3\\|F4), `H7-in` (mismatch: "),
                           "%s", b.data);
        cr_expect_not_null(strstr(b.data, "`H9-out` (error: connect to 127.0.0.1:5269 refused)"),
                           "%s", b.data);
        cr_expect_not_null(strstr(b.data, "`H10-out` (xpass: "), "%s", b.data);
        for (const char *p = strstr(b.data, "|---|"); p != NULL; p = strchr(p + 1, '\n'))
                rows += p[1] == '|';
        cr_expect_eq(rows, 3, "one row per cause (mismatch, error, xpass):\n%s", b.data);
        cr_expect_null(strstr(b.data, "H2-out"), "a match needs no attention:\n%s", b.data);
        cr_expect_not_null(strstr(b.data, "### Domains: "), "%s", b.data);
        buf_cleanup(&b);
        run_report_cleanup(&r);
}
