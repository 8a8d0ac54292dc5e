#include "report.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libxml/parser.h>
#include <libxml/xmlwriter.h>

#include "attention.h"
#include "checkup.h"
#include "classify.h"
#include "domains.h"
#include "json.h"
#include "oracle.h"
#include "settings.h"
#include "util.h"
#include "verdict.h"

#define PATH_BUF 4096

/* ---- causes ---------------------------------------------------------------- */

/* Whether the cause still lacks its rule: a failed check's cause already ends
 * with "[rule]". */
static bool spec_to_add(const struct scenario_result *s)
{
        char tail[sizeof(s->spec) + 4];
        size_t n, c;

        if (s->spec[0] == '\0')
                return false;
        n = (size_t)snprintf(tail, sizeof(tail), "[%s]", s->spec);
        c = strlen(s->cause);
        return !(n < sizeof(tail) && c >= n && strcmp(s->cause + c - n, tail) == 0);
}

/* ---- text helpers ------------------------------------------------------- */

/* "F1|F4" for a set of outcome codes; "" for the empty set. */
static const char *outcome_set_text(unsigned set, const char *sep, char *buf, size_t len)
{
        size_t o = 0;

        buf[0] = '\0';
        for (int c = 0; c < OUTCOME_COUNT; c++) {
                int n;

                if (!(set & OUTCOME_BIT(c)))
                        continue;
                n = snprintf(buf + o, len - o, "%s%s", o > 0 ? sep : "",
                             outcome_name((enum outcome)c));
                if (n < 0 || (size_t)n >= len - o)
                        break;
                o += (size_t)n;
        }
        return buf;
}

/* "M1, M2, M8" for a set of rows. */
static const char *rows_text(unsigned rows, char prefix, char *buf, size_t len)
{
        size_t o = 0;

        buf[0] = '\0';
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                int n;

                if (!(rows & (1u << (row - 1))))
                        continue;
                n = snprintf(buf + o, len - o, "%s%c%d", o > 0 ? ", " : "", prefix, row);
                if (n < 0 || (size_t)n >= len - o)
                        break;
                o += (size_t)n;
        }
        return buf;
}

/* ISO 8601 UTC: "2024-05-01T12:00:00Z" (zone true) or without the "Z". */
static const char *iso_time(time_t t, bool zone, char *buf, size_t len)
{
        struct tm tm;

        if (gmtime_r(&t, &tm) == NULL ||
            strftime(buf, len, zone ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%dT%H:%M:%S", &tm) == 0)
                snprintf(buf, len, "%s", zone ? "1970-01-01T00:00:00Z" : "1970-01-01T00:00:00");
        return buf;
}

static const char *tool_version(const struct run_report *r)
{
        return r->tool_version != NULL ? r->tool_version : S2S_VERSION;
}

static double clamp_seconds(double s)
{
        return s >= 0 && s < 1e9 ? s : 0;
}

enum clean_mode {
        CLEAN_JSON,     /* well-formed UTF-8; the JSON writer escapes controls */
        CLEAN_XML,      /* also no character XML 1.0 excludes */
        CLEAN_TERMINAL, /* also no control character at all (shown as \xNN) */
};

/* The replacement for one code point, or NULL to keep it. */
static const char *clean_replacement(unsigned cp, enum clean_mode mode, char *tmp, size_t len)
{
        switch (mode) {
        case CLEAN_JSON:
                return NULL;
        case CLEAN_XML:
                /* XML 1.0 §2.2 Char: no C0 control but TAB, LF, CR; no U+FFFE, U+FFFF. */
                if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0xfffe ||
                    cp == 0xffff)
                        return "\xef\xbf\xbd";
                return NULL;
        case CLEAN_TERMINAL:
                /* Text from the wire must not drive the terminal: C0, DEL and C1 (which
                 * some terminals read as 8-bit CSI) become visible text. */
                if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
                        snprintf(tmp, len, "\\x%02x", cp);
                        return tmp;
                }
                return NULL;
        }
        return NULL;
}

/*
 * Appends len bytes of s to out as well-formed UTF-8 (RFC 3629 §4): each byte of
 * an ill-formed sequence (stray continuation, overlong form, surrogate, beyond
 * U+10FFFF, truncated) becomes U+FFFD; then mode replaces what its output cannot
 * carry (clean_replacement).
 */
static int utf8_clean(struct buf *out, const char *s, size_t len, enum clean_mode mode)
{
        static const char fffd[] = "\xef\xbf\xbd";
        const unsigned char *p = (const unsigned char *)s;
        size_t i = 0;

        while (i < len) {
                uint32_t cp;
                size_t n = util_utf8_decode(&p[i], len - i, &cp);
                const char *rep;
                char tmp[8];

                if (n == 0) {
                        if (buf_append(out, fffd, 3) < 0)
                                return -1;
                        i++;
                        continue;
                }
                rep = clean_replacement(cp, mode, tmp, sizeof(tmp));
                if (rep != NULL ? buf_puts(out, rep) < 0 : buf_append(out, &p[i], n) < 0)
                        return -1;
                i += n;
        }
        return 0;
}

/* At most max bytes of s made safe for mode, NUL-terminated in b; "" on failure. */
static const char *clean(struct buf *b, const char *s, size_t max, enum clean_mode mode)
{
        buf_reset(b);
        if (s == NULL || utf8_clean(b, s, strnlen(s, max), mode) < 0 || buf_append(b, "", 0) < 0)
                return "";
        return b->data;
}

/* A fixed field of a result, made safe for the terminal (ids, harness domains). */
#define TCLEAN(b, field) clean(b, field, sizeof(field), CLEAN_TERMINAL)

/* ---- terminal report ---------------------------------------------------- */

static const char *verdict_color(enum verdict v)
{
        switch (v) {
        case VERDICT_MATCH:
                return "\033[32m";
        case VERDICT_MISMATCH:
        case VERDICT_XPASS:
                return "\033[1;31m";
        case VERDICT_ERROR:
                return "\033[35m";
        default:
                return "\033[33m";
        }
}

/* An ANSI SGR sequence (ESC [ ... m, the report's own colours) at s[i]: its length. */
static size_t sgr_len(const char *s, size_t i, size_t n)
{
        size_t j = i + 2;

        if (i + 1 >= n || s[i] != '\033' || s[i + 1] != '[')
                return 0;
        while (j < n && s[j] != 'm')
                j++;
        return j < n ? j + 1 - i : n - i;
}

/*
 * libsmartcols (util-linux) was considered for the tables (issue 14): it lays out
 * columns, but most of this report is wrapped prose, lists of ids and a cmdlet whose
 * broken lines need PowerShell's backtick, which it does not do; so one width function
 * serves them all and the table alike, and the build keeps its dependencies.
 *
 * The one width function of the terminal report: the bytes of s[0..n) that fill
 * at most cols columns (whole code points; a colour sequence takes none), and in
 * *used the columns they fill. Text from the wire holds no control character any
 * more (CLEAN_TERMINAL), so one code point is one column.
 */
static size_t text_fit(const char *s, size_t n, int cols, int *used)
{
        size_t i = 0;
        int c = 0;

        while (i < n) {
                size_t k = sgr_len(s, i, n);

                if (k > 0) {
                        i += k;
                        continue;
                }
                if (c >= cols)
                        break;
                for (k = i + 1; k < n && ((unsigned char)s[k] & 0xc0) == 0x80; k++)
                        ;
                c++;
                i = k;
        }
        if (used != NULL)
                *used = c;
        return i;
}

static int text_cols(const char *s, size_t n)
{
        int c;

        (void)text_fit(s, n, INT32_MAX, &c);
        return c;
}

#define ROW_BIT(n) ((n) >= 1 && (n) <= 31 ? 1u << ((n)-1) : 0u)

/* The terminal report being written: where, how wide, and the codes it used (for
 * the legend). */
struct tw {
        FILE *f;
        int width;
        bool color;
        const char *bold, *reset;
        struct buf para, t1, t2, t3; /* a paragraph; TCLEAN scratch */
        unsigned outcomes;           /* OUTCOME_BIT set */
        unsigned mrows, hrows;       /* ROW_BIT sets */
        unsigned eclasses;           /* bit k-1 */
};

/* A blank the wrapper does not break at ("36 mismatch" stays whole); printed as a
 * space. Text from the wire has no control character left (CLEAN_TERMINAL). */
#define TW_NBSP "\x01"

/* Writes s[0..n), each TW_NBSP as a blank. */
static void tw_put(struct tw *w, const char *s, size_t n)
{
        for (size_t i = 0; i < n; i++)
                fputc(s[i] == TW_NBSP[0] ? ' ' : s[i], w->f);
}

/* The end of the word at s: the next blank; with quotes, a quoted value ("a b") is
 * one word even with blanks in it. */
static const char *word_end(const char *s, bool quotes)
{
        const char *e = s;

        if (quotes && *e == '"') {
                for (e++; *e != '\0' && *e != '"'; e++)
                        ;
                e += *e == '"';
        }
        while (*e != '\0' && *e != ' ')
                e++;
        return e;
}

/*
 * Prints text word-wrapped at w->width, from column col of the current line; the
 * next lines indented by hang. A word wider than a line is cut at the width. With
 * cont (a PowerShell command), every broken line ends with cont (room kept for it)
 * and quoted values stay whole.
 */
static void tw_wrap_cont(struct tw *w, int col, int hang, const char *text, const char *cont)
{
        const char *s = text;
        bool fresh = true, quotes = cont[0] != '\0';
        int cw = text_cols(cont, strlen(cont));

        while (*s != '\0') {
                const char *e;
                int wc;

                while (*s == ' ')
                        s++;
                if (*s == '\0')
                        break;
                e = word_end(s, quotes);
                wc = text_cols(s, (size_t)(e - s));
                if (!fresh && col + 1 + wc + cw > w->width) {
                        fprintf(w->f, "%s\n%*s", cont, hang, "");
                        col = hang;
                        fresh = true;
                }
                if (!fresh) {
                        fputc(' ', w->f);
                        col++;
                }
                /* Too wide for any line: cut it. */
                while (!quotes && col + wc > w->width && w->width - col > 0) {
                        int used;
                        size_t k = text_fit(s, (size_t)(e - s), w->width - col, &used);

                        tw_put(w, s, k);
                        fprintf(w->f, "\n%*s", hang, "");
                        col = hang;
                        s += k;
                        wc -= used;
                }
                tw_put(w, s, (size_t)(e - s));
                col += wc;
                fresh = false;
                s = e;
        }
        fputc('\n', w->f);
}

static void tw_wrap_from(struct tw *w, int col, int hang, const char *text)
{
        tw_wrap_cont(w, col, hang, text, "");
}

static void tw_wrap(struct tw *w, int indent, int hang, const char *text)
{
        if (hang > w->width / 2)
                hang = 0;
        fprintf(w->f, "%*s", indent, "");
        tw_wrap_from(w, indent, hang, text);
}

static void tw_printf(struct tw *w, int indent, int hang, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void tw_printf(struct tw *w, int indent, int hang, const char *fmt, ...)
{
        va_list ap;
        int rc;

        buf_reset(&w->para);
        va_start(ap, fmt);
        rc = buf_vprintf(&w->para, fmt, ap);
        va_end(ap);
        if (rc < 0 || buf_append(&w->para, "", 0) < 0)
                return;
        tw_wrap(w, indent, hang, w->para.data);
}

/* A section of the report: a blank line, then its bold title and what follows it
 * ("title (N; ...):"), wrapped. */
static void tw_section(struct tw *w, const char *title, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void tw_section(struct tw *w, const char *title, const char *fmt, ...)
{
        char rest[256];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(rest, sizeof(rest), fmt, ap);
        va_end(ap);
        fputc('\n', w->f);
        tw_printf(w, 0, 2, "%s%s%s%s", w->bold, title, w->reset, rest);
}

/* A cell of width cols: s cut with an ellipsis when wider, else padded (unless last). */
static void tw_cell(struct tw *w, const char *s, int cols, bool last)
{
        size_t n = strlen(s);
        int used;
        size_t k = text_fit(s, n, cols, &used);

        if (k < n) {
                k = text_fit(s, n, cols - 1, &used);
                fwrite(s, 1, k, w->f);
                fputs("\xe2\x80\xa6", w->f);
                used++;
        } else {
                fwrite(s, 1, k, w->f);
        }
        if (!last)
                fprintf(w->f, "%*s", cols - used, "");
}

/* The code names, marked as used for the legend. */
static const char *tw_code(struct tw *w, enum outcome o)
{
        w->outcomes |= OUTCOME_BIT(o);
        return outcome_name(o);
}

static const char *tw_codes(struct tw *w, unsigned set, const char *sep, char *buf, size_t len)
{
        w->outcomes |= set;
        return outcome_set_text(set, sep, buf, len);
}

static const char *tw_rows(struct tw *w, unsigned rows, char prefix, char *buf, size_t len)
{
        if (prefix == 'M')
                w->mrows |= rows;
        else
                w->eclasses |= rows;
        return rows_text(rows, prefix, buf, len);
}

static int tw_m(struct tw *w, int row)
{
        w->mrows |= ROW_BIT(row);
        return row;
}

static int tw_e(struct tw *w, int k)
{
        w->eclasses |= ROW_BIT(k);
        return k;
}

/* s's cause made safe for the terminal, with its rule's section when the cause does
 * not end with it already ("cause [RFC 6120 §4.4]"); in w->t2 (and w->t3). */
static const char *tw_cause(struct tw *w, const struct scenario_result *s)
{
        buf_reset(&w->t2);
        (void)buf_puts(&w->t2, TCLEAN(&w->t3, s->cause));
        if (spec_to_add(s))
                (void)buf_printf(&w->t2, " [%s]", TCLEAN(&w->t3, s->spec));
        if (buf_append(&w->t2, "", 0) < 0 || w->t2.data == NULL)
                return "";
        return w->t2.data;
}

struct text_row {
        char id[4 * sizeof(((struct scenario_result *)0)->id)]; /* room for \xNN escapes */
        const char *dir;
        char harness[32];
        char expected[48];
        char observed[48];
        const char *verdict;
};

static void text_row_fill(struct tw *w, const struct scenario_result *s, struct text_row *t)
{
        char set[40], acc[40];

        snprintf(t->id, sizeof(t->id), "%s", TCLEAN(&w->t1, s->id));
        t->dir = s->dir == DIR_INBOUND ? "in" : "out";
        w->hrows |= ROW_BIT(s->harness_row);
        snprintf(t->harness, sizeof(t->harness), "H%d %s%s", s->harness_row,
                 settings_summary(&s->harness, set, sizeof(set)),
                 s->hsem == SEMANTICS_STRICT ? " strict" : "");
        if (s->accepted != 0)
                snprintf(t->expected, sizeof(t->expected), "%s (or %s)", tw_code(w, s->expected),
                         tw_codes(w, s->accepted, ",", acc, sizeof(acc)));
        else
                snprintf(t->expected, sizeof(t->expected), "%s", tw_code(w, s->expected));
        if (s->not_run)
                snprintf(t->observed, sizeof(t->observed), "(not run)");
        else if (s->observed == 0)
                snprintf(t->observed, sizeof(t->observed), "-");
        else
                tw_codes(w, s->observed, "|", t->observed, sizeof(t->observed));
        t->verdict = verdict_name(s->verdict);
}

static int width_of(const char *s, int min)
{
        int n = text_cols(s, strnlen(s, 200));

        return n > min ? n : min;
}

/* One row of the table: the cells at their widths, cut at the terminal's edge; the
 * last one (the verdict) in paint, not padded. */
static void text_table_row(struct tw *w, const char *const cells[6], const int wc[6],
                           const char *paint)
{
        int col = 0;

        for (int c = 0; c < 5 && col + wc[c] <= w->width; c++) {
                tw_cell(w, cells[c], wc[c], false);
                col += wc[c];
                if (col + 2 < w->width) {
                        fputs("  ", w->f);
                        col += 2;
                }
        }
        if (col < w->width) {
                fputs(paint, w->f);
                tw_cell(w, cells[5], w->width - col < wc[5] ? w->width - col : wc[5], true);
                if (paint[0] != '\0')
                        fputs(w->reset, w->f);
        }
}

/* The full per-scenario table (--verbose): one row per scenario, cut to the width,
 * with the cause, rule and findings under every row that is not a match. */
static void text_table(struct tw *w, const struct run_report *r)
{
        struct text_row t;
        int wc[6] = {2, 3, 7, 8, 8, 7}, total = 0;
        static const char *const head[6] = {"ID",       "DIR",      "HARNESS",
                                            "EXPECTED", "OBSERVED", "VERDICT"};

        for (size_t i = 0; i < r->n_results; i++) {
                text_row_fill(w, &r->results[i], &t);
                wc[0] = width_of(t.id, wc[0]);
                wc[2] = width_of(t.harness, wc[2]);
                wc[3] = width_of(t.expected, wc[3]);
                wc[4] = width_of(t.observed, wc[4]);
                wc[5] = width_of(t.verdict, wc[5]);
        }
        for (int c = 0; c < 6; c++)
                total += wc[c] + (c < 5 ? 2 : 0);
        /* Too wide for the terminal: the id column gives way first, then the harness
         * column, each down to a readable minimum; the rest is cut at the edge. */
        for (int c = 0; total > w->width && c < 3; c += 2) {
                int give = total - w->width, room = wc[c] - (c == 0 ? 12 : 7);

                if (room <= 0)
                        continue;
                give = give < room ? give : room;
                wc[c] -= give;
                total -= give;
        }
        fputc('\n', w->f);
        fputs(w->bold, w->f);
        text_table_row(w, head, wc, "");
        fputs(w->reset, w->f);
        fputc('\n', w->f);
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];
                const char *cells[6];

                text_row_fill(w, s, &t);
                cells[0] = t.id;
                cells[1] = t.dir;
                cells[2] = t.harness;
                cells[3] = t.expected;
                cells[4] = t.observed;
                cells[5] = t.verdict;
                text_table_row(w, cells, wc, w->color ? verdict_color(s->verdict) : "");
                /* No trailing blanks after the last column. */
                fputc('\n', w->f);
                if (s->verdict == VERDICT_MATCH || s->not_run)
                        continue;
                if (s->cause[0] != '\0')
                        tw_printf(w, 4, 6, "cause: %s", tw_cause(w, s));
                if (s->verdict == VERDICT_XFAIL && s->known_deviation[0] != '\0')
                        tw_printf(w, 4, 6, "known deviation: %s",
                                  TCLEAN(&w->t1, s->known_deviation));
                if (s->rationale[0] != '\0' &&
                    (s->verdict == VERDICT_MISMATCH || s->verdict == VERDICT_XPASS))
                        tw_printf(w, 4, 6, "expected because: %s", TCLEAN(&w->t1, s->rationale));
                for (size_t k = 0; k < s->n_findings; k++) {
                        if (s->findings[k] != NULL)
                                tw_printf(w, 4, 6, "finding: %s",
                                          clean(&w->t1, s->findings[k], SIZE_MAX, CLEAN_TERMINAL));
                }
        }
}

/* With a classification by behaviour: the observations that agree with the explaining
 * row only as codes their side cannot tell apart (docs/observables.md). */
static void text_behaviour_only(struct tw *w, const struct run_report *r)
{
        int row = classify_explaining_row(r);
        size_t n = classify_behaviour_only_count(r);
        enum outcome want;
        unsigned alike;
        char obs[40], set[40];
        const char *text, *rule;

        if (n == 0)
                return;
        tw_printf(w, 2, 4,
                  "Compared by behaviour: no configuration explains the observations exactly. "
                  "%zu observation%s agree%s with M%d only through codes the observing side "
                  "cannot tell apart (docs/observables.md): the partner does what M%d does but "
                  "declares otherwise:",
                  n, n == 1 ? "" : "s", n == 1 ? "s" : "", tw_m(w, row), row);
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];

                if (!classify_behaviour_only(s, row, &want, &alike))
                        continue;
                classify_declared(s->dir, want, &text, &rule);
                tw_printf(w, 4, 6,
                          "%s (%s, H%d): observed %s, M%d predicts %s (%s look the same there): "
                          "%s [%s]",
                          TCLEAN(&w->t1, s->id), direction_name(s->dir), s->harness_row,
                          tw_codes(w, s->observed, "|", obs, sizeof(obs)), row, tw_code(w, want),
                          tw_codes(w, alike, "|", set, sizeof(set)), text, rule);
        }
}

/* What the classification rests on when a direction is thin or missing (issue 12
 * item 2): the unjudged scenarios and the rows they would have told apart. */
static void text_basis(struct tw *w, const struct run_report *r)
{
        char rows[128];

        for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                size_t n = r->unjudged_dir[d];

                if (n == 0)
                        continue;
                if (r->cls_dir[d] == 0)
                        tw_printf(w, 2, 4,
                                  "%zu %s scenario%s could not be judged (error or not run): "
                                  "the classification rests on %s observations only.",
                                  n, direction_name((enum direction)d), n == 1 ? "" : "s",
                                  direction_name(d == DIR_INBOUND ? DIR_OUTBOUND : DIR_INBOUND));
                else
                        tw_printf(w, 2, 4,
                                  "%zu %s scenario%s could not be judged (error or not run); "
                                  "the classification rests on %zu %s observation%s.",
                                  n, direction_name((enum direction)d), n == 1 ? "" : "s",
                                  r->cls_dir[d], direction_name((enum direction)d),
                                  r->cls_dir[d] == 1 ? "" : "s");
        }
        if (r->untold_rows != 0)
                tw_printf(w, 2, 4,
                          "Rows %s fit what was observed but predict different outcomes for "
                          "the unjudged %s scenarios: they could not be told apart because %s "
                          "missing. Fix what stopped those scenarios (their causes above) and "
                          "run again.",
                          tw_rows(w, r->untold_rows, 'M', rows, sizeof(rows)),
                          r->untold_dirs == (1u << DIR_INBOUND)    ? "inbound"
                          : r->untold_dirs == (1u << DIR_OUTBOUND) ? "outbound"
                                                                   : "inbound and outbound",
                          r->untold_dirs == (1u << DIR_INBOUND)    ? "the inbound direction is"
                          : r->untold_dirs == (1u << DIR_OUTBOUND) ? "the outbound direction is"
                                                                   : "observations of both "
                                                                     "directions are");
}

/*
 * The run in one line (issue 13 item 1): "negotiation: matches M8 (E1); domains: 2 of
 * 3 not served". The negotiation part comes from the classification (negotiation
 * scenarios only), the domains part from the domains verdict (domains.h).
 */
static void summary_line(const struct run_report *r, char *out, size_t len)
{
        char neg[160], rows[128];
        unsigned cls = classify_classes(r);

        switch (classify_state(r)) {
        case CLASSIFY_NOTHING:
                snprintf(neg, sizeof(neg), "nothing observed");
                break;
        case CLASSIFY_OWN_ROW:
                snprintf(neg, sizeof(neg), "matches M%d (E%d)", classify_own_row(r),
                         oracle_class(&r->partner));
                break;
        case CLASSIFY_ONE:
                snprintf(neg, sizeof(neg), "class E%d (suggested M%d), not the configured M%d",
                         classify_lowest_class(cls),
                         classify_canonical_row(classify_lowest_class(cls)), classify_own_row(r));
                break;
        case CLASSIFY_SEVERAL:
                snprintf(neg, sizeof(neg), "undecided between %s",
                         rows_text(cls, 'E', rows, sizeof(rows)));
                break;
        default:
                snprintf(neg, sizeof(neg), "no configuration explains the observations");
                break;
        }
        snprintf(out, len, "negotiation: %s%s; domains: %s", r->self_test ? "(self-test) " : "",
                 neg, r->domains.summary);
}

/* The partner's domains: the verdict, then each domain and direction with a fault
 * and its fix (every one with verbose). */
static void text_domains(struct tw *w, const struct run_report *r, bool verbose)
{
        const struct domains_verdict *d = &r->domains;

        tw_printf(w, 0, 2, "%sDomains%s (primary and AdditionalDomains): %s", w->bold, w->reset,
                  TCLEAN(&w->t1, d->summary));
        for (size_t i = 0; i < d->n_items; i++) {
                const struct domain_item *it = &d->items[i];

                if (!verbose && it->finding[0] == '\0')
                        continue;
                tw_printf(w, 2, 4,
                          "%-10s %-8s %s: served %s, certificate covers it %s, authenticated %s",
                          it->primary ? "primary" : "additional", direction_name(it->dir),
                          TCLEAN(&w->t1, it->domain), dom_fact_name(it->served),
                          dom_fact_name(it->cert_covers), dom_fact_name(it->authenticated));
                if (it->finding[0] != '\0') {
                        tw_printf(w, 4, 6, "finding: %s", TCLEAN(&w->t1, it->finding));
                        tw_printf(w, 4, 6, "fix: %s", TCLEAN(&w->t1, it->fix));
                }
        }
}

static void text_classification(struct tw *w, const struct run_report *r)
{
        struct classify_contradiction cs[1 + ORACLE_CLASSES];
        size_t nc = classify_contradictions(r, cs);
        char set[40], obs[40], rows[128];
        int own = classify_own_row(r);

        tw_printf(w, 0, 2,
                  "%sClassification%s (docs/observables.md), from %zu observation%s (%zu "
                  "outbound, %zu inbound):",
                  w->bold, w->reset, r->n_classified, r->n_classified == 1 ? "" : "s",
                  r->cls_dir[DIR_OUTBOUND], r->cls_dir[DIR_INBOUND]);
        if (r->self_test)
                tw_printf(w, 2, 4,
                          "%sSELF-TEST:%s the partner was s2scheck's built-in reference partner, "
                          "configured from the partner file; %s's real server was never "
                          "contacted and nothing below is a verdict on it (give --target to test "
                          "it).",
                          w->bold, w->reset, TCLEAN(&w->t1, r->partner_domain));
        text_basis(w, r);
        switch (classify_state(r)) {
        case CLASSIFY_NOTHING:
                tw_printf(w, 2, 4,
                          "Nothing was observed that can classify the partner (every scenario "
                          "errored, was skipped or did not run).");
                return;
        case CLASSIFY_OWN_ROW:
                tw_printf(w, 2, 4, "%s%s: M%d (%s, class E%d) explains every observation.",
                          r->self_test ? "The reference partner behaves as configured"
                                       : "The configuration matches",
                          r->cls.by_behaviour ? " by behaviour" : "", tw_m(w, own),
                          settings_summary(&r->partner, set, sizeof(set)),
                          tw_e(w, oracle_class(&r->partner)));
                text_behaviour_only(w, r);
                if (classify_class_count(r) > 1)
                        tw_printf(w, 2, 4,
                                  "(The observations are also consistent with other classes: "
                                  "%s; run the §3.8 probes H17, H13 and H2 outbound to tell them "
                                  "apart.)",
                                  tw_rows(w, classify_classes(r), 'E', rows, sizeof(rows)));
                return;
        default:
                break;
        }
        for (size_t i = 0; i < nc && own >= 1; i++) {
                if (cs[i].row != own)
                        continue;
                tw_printf(w, 2, 4,
                          "The configured row M%d (%s) does not explain the observations: %s "
                          "(%s) observed %s where M%d predicts %s.",
                          tw_m(w, own), settings_summary(&r->partner, set, sizeof(set)),
                          TCLEAN(&w->t1, cs[i].s->id), direction_name(cs[i].s->dir),
                          tw_codes(w, cs[i].s->observed, "|", obs, sizeof(obs)), own,
                          tw_code(w, cs[i].expected));
        }
        if (classify_own_row_consistent(r) && !oracle_valid(&r->partner))
                tw_printf(w, 2, 4,
                          "The configured row M%d explains the observations but is not a valid "
                          "configuration (Lync refuses to commit it).",
                          tw_m(w, own));
        switch (classify_state(r)) {
        case CLASSIFY_ONE: {
                int k = classify_lowest_class(classify_classes(r));
                struct neg_settings s;

                settings_from_row(classify_canonical_row(k), &s);
                tw_printf(w, 2, 4,
                          "The observations fit class E%d%s: %s. All rows of a class look the "
                          "same on the wire, so any of them would do; suggested: M%d (%s).",
                          tw_e(w, k), r->cls.by_behaviour ? " by behaviour" : "",
                          tw_rows(w, oracle_class_rows(k), 'M', rows, sizeof(rows)),
                          tw_m(w, classify_canonical_row(k)),
                          settings_summary(&s, set, sizeof(set)));
                text_behaviour_only(w, r);
                break;
        }
        case CLASSIFY_SEVERAL:
                tw_printf(w, 2, 4,
                          "The observations do not decide between classes %s%s. Run the §3.8 "
                          "probes (H17, H13, H2 outbound) to tell them apart.",
                          tw_rows(w, classify_classes(r), 'E', rows, sizeof(rows)),
                          r->cls.by_behaviour ? " (compared by behaviour: none fits exactly, "
                                                "docs/observables.md)"
                                              : "");
                for (int k = 1; k <= ORACLE_CLASSES; k++) {
                        if (classify_classes(r) & (1u << (k - 1)))
                                tw_printf(
                                    w, 4, 6, "E%d: %s", k,
                                    tw_rows(w, oracle_class_rows(k), 'M', rows, sizeof(rows)));
                }
                break;
        case CLASSIFY_NONE:
                tw_printf(w, 2, 4,
                          "%sNo partner configuration explains the observations.%s "
                          "Contradictions (first per class):",
                          w->color ? "\033[1;31m" : "", w->reset);
                for (size_t i = 0; i < nc; i++) {
                        if (cs[i].row == own)
                                continue;
                        tw_printf(w, 4, 6, "E%d (M%d): %s (%s) observed %s, M%d predicts %s",
                                  tw_e(w, cs[i].cls), tw_m(w, cs[i].row),
                                  TCLEAN(&w->t1, cs[i].s->id), direction_name(cs[i].s->dir),
                                  tw_codes(w, cs[i].s->observed, "|", obs, sizeof(obs)), cs[i].row,
                                  tw_code(w, cs[i].expected));
                }
                break;
        default:
                break;
        }
}

/* The label scenarios are grouped under in a list: "mismatch, expected S, observed Dt". */
typedef void (*text_label_fn)(struct tw *w, const struct scenario_result *s, char *buf, size_t len);

static void label_attention(struct tw *w, const struct scenario_result *s, char *buf, size_t len)
{
        char acc[40], obs[40];

        /* An error judged nothing: what was expected does not tell its scenarios apart. */
        if (s->verdict == VERDICT_ERROR) {
                snprintf(buf, len, "error, observed %s",
                         s->observed != 0 ? tw_codes(w, s->observed, "|", obs, sizeof(obs))
                                          : "nothing");
                return;
        }
        snprintf(buf, len, "%s, expected %s%s%s%s, observed %s", verdict_name(s->verdict),
                 tw_code(w, s->expected), s->accepted != 0 ? " (or " : "",
                 s->accepted != 0 ? tw_codes(w, s->accepted, ",", acc, sizeof(acc)) : "",
                 s->accepted != 0 ? ")" : "",
                 s->observed != 0 ? tw_codes(w, s->observed, "|", obs, sizeof(obs)) : "nothing");
}

static void label_choice(struct tw *w, const struct scenario_result *s, char *buf, size_t len)
{
        char obs[40];

        snprintf(buf, len, "%s where the configuration implies %s",
                 tw_codes(w, s->observed, "|", obs, sizeof(obs)), tw_code(w, s->expected));
}

/*
 * The scenarios idx[0..n) as one wrapped line per label ("LABEL: id, id, ...", at
 * indent), the labels in the order first met; with cause, the first scenario's
 * cause after the label (errors: what the environment said). On memory shortage,
 * one line each.
 */
static void text_grouped(struct tw *w, const struct run_report *r, const size_t *idx, size_t n,
                         text_label_fn label, bool cause, int indent)
{
        bool *done = calloc(n, sizeof(*done));
        struct buf ids;
        char a[160], b[160];
        bool many;

        buf_init(&ids, 0);
        for (size_t k = 0; k < n; k++) {
                const struct scenario_result *s = &r->results[idx[k]];

                if (done != NULL && done[k])
                        continue;
                label(w, s, a, sizeof(a));
                buf_reset(&ids);
                many = false;
                for (size_t m = k; m < n; m++) {
                        const struct scenario_result *t = &r->results[idx[m]];

                        if (m > k) {
                                if (done == NULL || done[m])
                                        continue;
                                label(w, t, b, sizeof(b));
                                if (strcmp(a, b) != 0 || t->verdict != s->verdict)
                                        continue;
                        }
                        if (done != NULL)
                                done[m] = true;
                        many = many || m > k;
                        (void)buf_printf(&ids, "%s%s", m > k ? ", " : "", TCLEAN(&w->t1, t->id));
                }
                (void)buf_append(&ids, "", 0);
                if (cause && s->cause[0] != '\0')
                        tw_printf(w, indent, indent + 2, "%s (%s%s): %s", a, many ? "first: " : "",
                                  TCLEAN(&w->t2, s->cause), ids.data != NULL ? ids.data : "");
                else
                        tw_printf(w, indent, indent + 2, "%s: %s", a,
                                  ids.data != NULL ? ids.data : "");
        }
        buf_cleanup(&ids);
        free(done);
}

/* What needs attention (attention.h), one entry per cause: the rule and its
 * requirement, then the scenarios it covers, grouped by what was expected and
 * observed. */
static void text_attention(struct tw *w, const struct run_report *r, const struct attention *att)
{
        if (att->n_results == 0)
                return;
        tw_section(w, "Needing attention", ": %zu scenario%s, %zu cause%s:", att->n_results,
                   att->n_results == 1 ? "" : "s", att->n_groups, att->n_groups == 1 ? "" : "s");
        for (size_t g = 0; g < att->n_groups; g++) {
                const struct attention_group *grp = &att->groups[g];
                const struct rule *ru = rule_get(grp->rule);
                const char *paint = w->color ? verdict_color(grp->verdict) : "";

                if (grp->rule != RULE_NONE)
                        tw_printf(w, 2, 4, "%s%s%s [%s]: %s", paint, ru->id, w->reset, ru->source,
                                  ru->req);
                else
                        tw_printf(w, 2, 4, "%s%s%s", paint, TCLEAN(&w->t1, grp->key), w->reset);
                text_grouped(w, r, grp->members, grp->n, label_attention,
                             grp->verdict != VERDICT_MISMATCH || grp->rule == RULE_NONE, 4);
        }
}

/* How many results of r have the property. */
static size_t count_of(const struct run_report *r, bool (*has)(const struct scenario_result *))
{
        size_t n = 0;

        for (size_t i = 0; i < r->n_results; i++)
                n += has(&r->results[i]);
        return n;
}

static bool is_xfail(const struct scenario_result *s)
{
        return s->verdict == VERDICT_XFAIL;
}

/*
 * The findings no Lync setting expresses. With a suggested row (state "class"),
 * those it predicts are consequences of the one wrong setting: one line says so
 * (their causes are grouped above); the others are listed.
 */
static void text_findings(struct tw *w, const struct run_report *r)
{
        int row = classify_state(r) == CLASSIFY_ONE ? classify_explaining_row(r) : 0;
        size_t n = count_of(r, classify_is_finding), nx = 0;

        for (size_t i = 0; i < r->n_results && row != 0; i++)
                nx += classify_is_finding(&r->results[i]) &&
                      classify_explained_by(&r->results[i], row);
        if (n == 0)
                return;
        tw_section(w, "Findings no Lync setting expresses",
                   " (%zu; not used by the classification):", n);
        if (nx > 0)
                tw_printf(w, 2, 4,
                          "%s%zu %s what the suggested M%d predicts: consequences of the one "
                          "wrong setting (the configured M%d), not further faults (--verbose "
                          "shows each).",
                          nx == n ? "All " : "", nx, nx == 1 ? "is" : "are", tw_m(w, row),
                          tw_m(w, classify_own_row(r)));
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];

                if (!classify_is_finding(s) || (row != 0 && classify_explained_by(s, row)))
                        continue;
                tw_printf(w, 2, 4, "%s (%s): %s", TCLEAN(&w->t1, s->id), verdict_name(s->verdict),
                          tw_cause(w, s));
        }
}

/* The choices the partner made where the reference accepts several outcomes, by
 * what it chose (verbose: each with its cause). */
static void text_choices(struct tw *w, const struct run_report *r, bool verbose)
{
        size_t n = count_of(r, classify_is_alternative), *idx,
               nc = classify_cert_required_for_dialback(r);

        if (n == 0)
                return;
        tw_section(w, "Choices on points the reference leaves open",
                   " (%zu; accepted alternatives, docs/observables.md):", n);
        if (nc > 0)
                tw_printf(w, 2, 4, "In short: %s (%zu scenario%s).",
                          CLASSIFY_CERT_FOR_DIALBACK_TEXT, nc, nc == 1 ? "" : "s");
        idx = calloc(n, sizeof(*idx));
        n = 0;
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];
                char obs[48];

                if (!classify_is_alternative(s))
                        continue;
                if (idx != NULL && !verbose) {
                        idx[n++] = i;
                        continue;
                }
                tw_printf(w, 2, 4, "%s (%s): %s where the configuration implies %s: %s",
                          TCLEAN(&w->t1, s->id), verdict_name(s->verdict),
                          tw_codes(w, s->observed, "|", obs, sizeof(obs)), tw_code(w, s->expected),
                          tw_cause(w, s));
        }
        if (idx != NULL && n > 0)
                text_grouped(w, r, idx, n, label_choice, false, 2);
        free(idx);
}

/* The known deviations that happened (xfail): each with its reason, so that a quirk the
 * run forgives is never silent. */
static void text_known(struct tw *w, const struct run_report *r)
{
        size_t n = count_of(r, is_xfail);

        if (n == 0)
                return;
        tw_section(w, "Known deviations", " (%zu xfail: expected, not counted as mismatch):", n);
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];

                if (s->verdict == VERDICT_XFAIL)
                        tw_printf(w, 2, 4, "%s: %s", TCLEAN(&w->t1, s->id),
                                  s->known_deviation[0] != '\0' ? TCLEAN(&w->t2, s->known_deviation)
                                                                : TCLEAN(&w->t2, s->cause));
        }
}

/* "the partner connected N times to DOMAIN ... and was refused: ..." (refusals.h). */
static void refused_line(const struct run_report *r, char *out, size_t len)
{
        char causes[RESULT_TEXT_MAX];
        const struct refusals *x = &r->refused;

        refusals_text(x, NULL, causes, sizeof(causes));
        snprintf(out, len,
                 "the partner connected %lu time%s to %s without reaching a scenario and was "
                 "refused: %s",
                 x->total, x->total == 1 ? "" : "s", x->domain[0] ? x->domain : "the harness",
                 causes);
}

/* Streams the harness refused outside any scenario: never silent (issue 10). */
static void text_refused(struct tw *w, const struct run_report *r)
{
        char line[2 * RESULT_TEXT_MAX], dropped[160] = "";

        if (r->refused.total == 0 && r->refused.dropped_before_header == 0)
                return;
        if (r->refused.total > 0)
                refused_line(r, line, sizeof(line));
        if (r->refused.dropped_before_header > 0)
                snprintf(dropped, sizeof(dropped),
                         "; %lu connection%s to the run's listeners said nothing in time and %s "
                         "dropped before any stream began",
                         r->refused.dropped_before_header,
                         r->refused.dropped_before_header == 1 ? "" : "s",
                         r->refused.dropped_before_header == 1 ? "was" : "were");
        fputc('\n', w->f);
        tw_printf(w, 0, 2, "%sRefused streams:%s %s%s%s", w->bold, w->reset,
                  r->refused.total > 0 ? clean(&w->t1, line, sizeof(line), CLEAN_TERMINAL) : "none",
                  r->refused.total > 0 ? " (the run-level transcript, " REPORT_RUN_TRANSCRIPT
                                         " with --transcripts, has them)"
                                       : "",
                  dropped);
}

/* The suggested Set-CsXmppAllowedPartner line, cut at the width into lines PowerShell
 * joins again (a trailing backtick continues a command), so that it pastes whole. */
static void text_cmdlet(struct tw *w, const char *line)
{
        fputs("  ", w->f);
        tw_wrap_cont(w, 2, 4, line, " `");
}

/*
 * One line (wrapped) naming the codes this report used, from the tables the code
 * uses (oracle.h outcome_text, settings_summary, oracle_class_rows); `s2scheck help
 * codes` lists them all.
 */
static void text_legend(struct tw *w)
{
        struct buf b;
        char set[40], rows[128];
        const char *sep = "";

        buf_init(&b, 0);
        (void)buf_puts(&b, "Codes: ");
        for (int c = 0; c < OUTCOME_COUNT; c++) {
                if (!(w->outcomes & OUTCOME_BIT(c)))
                        continue;
                (void)buf_printf(&b, "%s%s %s", sep, outcome_name((enum outcome)c),
                                 outcome_text((enum outcome)c));
                sep = "; ";
        }
        if (w->mrows != 0) {
                const char *comma = "";

                (void)buf_puts(&b, sep);
                for (int row = 1; row <= SETTINGS_ROWS; row++) {
                        struct neg_settings s;

                        if (!(w->mrows & ROW_BIT(row)) || settings_from_row(row, &s) != 0)
                                continue;
                        (void)buf_printf(&b, "%sM%d %s", comma, row,
                                         settings_summary(&s, set, sizeof(set)));
                        comma = ", ";
                }
                (void)buf_puts(&b, ": Lync partner rows (TLS/SASL/dialback)");
                sep = "; ";
        }
        if (w->eclasses != 0) {
                const char *comma = "";

                (void)buf_puts(&b, sep);
                for (int k = 1; k <= ORACLE_CLASSES; k++) {
                        if (!(w->eclasses & ROW_BIT(k)))
                                continue;
                        (void)buf_printf(&b, "%sE%d {%s}", comma, k,
                                         rows_text(oracle_class_rows(k), 'M', rows, sizeof(rows)));
                        comma = ", ";
                }
                (void)buf_puts(&b, ": classes of rows alike on the wire");
                sep = "; ";
        }
        if (w->hrows != 0) {
                (void)buf_printf(&b, "%sH1-H%d harness rows (TLS/SASL/dialback)", sep,
                                 SETTINGS_ROWS);
                sep = "; ";
        }
        (void)buf_printf(&b, "%sall codes: s2scheck help codes", sep);
        (void)buf_append(&b, "", 0);
        if (b.data != NULL)
                tw_wrap(w, 0, 2, b.data);
        buf_cleanup(&b);
}

int report_text(FILE *f, const struct run_report *r, bool color)
{
        const struct report_text_options o = {.color = color, .verbose = true, .width = 100000};

        return report_text_with(f, r, &o);
}

int report_text_with(FILE *f, const struct run_report *r, const struct report_text_options *o)
{
        struct tw w = {
            .f = f,
            .width = o->width >= 20 ? o->width : 80,
            .color = o->color,
            .bold = o->color ? "\033[1m" : "",
            .reset = o->color ? "\033[0m" : "",
        };
        char set[40], when[32];
        int row = classify_own_row(r);
        const char *rule, *fix;
        size_t not_run = 0;
        struct attention att;
        bool have_att;

        /* Everything that may come from the wire or a file goes through TCLEAN. */
        buf_init(&w.para, 0);
        buf_init(&w.t1, 0);
        buf_init(&w.t2, 0);
        buf_init(&w.t3, 0);
        have_att = attention_collect(r, &att) == 0;
        {
                struct buf b;

                buf_init(&b, 0);
                (void)buf_printf(&b, "%ss2scheck %s%s: partner ", w.bold,
                                 clean(&w.t1, tool_version(r), SIZE_MAX, CLEAN_TERMINAL), w.reset);
                (void)buf_puts(&b, r->partner_domain[0] != '\0' ? TCLEAN(&w.t1, r->partner_domain)
                                                                : "(unnamed)");
                if (r->partner_source[0] != '\0')
                        (void)buf_printf(&b, " (%s)", TCLEAN(&w.t1, r->partner_source));
                (void)buf_printf(&b, ", target %s",
                                 r->target[0] != '\0' ? TCLEAN(&w.t1, r->target) : "(none)");
                (void)buf_append(&b, "", 0);
                if (b.data != NULL)
                        tw_wrap(&w, 0, 2, b.data);
                buf_cleanup(&b);
        }
        if (!r->self_test && r->partner_conns > 0)
                tw_printf(&w, 0, 2, "at most %u connections at once to one partner address",
                          r->partner_conns);
        if (r->self_test)
                tw_printf(&w, 0, 2,
                          "%sSELF-TEST%s (no --target): the partner is s2scheck's built-in "
                          "reference partner, configured from the partner file; %s's real "
                          "server is never contacted and this run is no verdict on it.",
                          o->color ? "\033[1;33m" : "", w.reset,
                          r->partner_domain[0] != '\0' ? TCLEAN(&w.t2, r->partner_domain)
                                                       : "the partner");
        if (oracle_invalid_reason(&r->partner, &rule, &fix) == 0)
                tw_printf(&w, 0, 2,
                          "partner configuration: M%d %s (TLS %s, SASL %s, dialback %s), NOT "
                          "VALID: %s; fix: %s",
                          tw_m(&w, row), settings_summary(&r->partner, set, sizeof(set)),
                          neg_name(r->partner.tls), neg_name(r->partner.sasl),
                          r->partner.dialback ? "True" : "False", rule, fix);
        else
                tw_printf(&w, 0, 2,
                          "partner configuration: M%d %s (TLS %s, SASL %s, dialback %s), class E%d",
                          tw_m(&w, row), settings_summary(&r->partner, set, sizeof(set)),
                          neg_name(r->partner.tls), neg_name(r->partner.sasl),
                          r->partner.dialback ? "True" : "False",
                          tw_e(&w, oracle_class(&r->partner)));
        tw_printf(&w, 0, 2, "started %s, %.1f s", iso_time(r->started, true, when, sizeof(when)),
                  clamp_seconds(r->seconds));
        for (size_t i = 0; i < r->n_results; i++)
                not_run += r->results[i].not_run;
        if (r->preflight_stopped)
                tw_printf(&w, 0, 2,
                          "%sINCOMPLETE:%s the preflight stopped the run (%s); %zu scenario%s "
                          "did not run. The preflight's checklist is on standard error and in "
                          "the JSON and JUnit reports.",
                          o->color ? "\033[1;31m" : "", w.reset,
                          TCLEAN(&w.t1, r->incomplete_reason), not_run, not_run == 1 ? "" : "s");
        else if (r->incomplete)
                tw_printf(&w, 0, 2,
                          "%sINCOMPLETE:%s the run was interrupted (%s); %zu scenario%s did not "
                          "run.",
                          o->color ? "\033[1;31m" : "", w.reset,
                          r->incomplete_reason[0] != '\0' ? TCLEAN(&w.t1, r->incomplete_reason)
                                                          : "no reason given",
                          not_run, not_run == 1 ? "" : "s");

        /* What needs attention first (the table too with --verbose), then the verdict
         * at the end, where the eye lands: the summary, the classification, the domains
         * and the command to enter. */
        if (o->verbose)
                text_table(&w, r);
        if (have_att)
                text_attention(&w, r, &att);
        text_findings(&w, r);
        text_choices(&w, r, o->verbose);
        if (!o->verbose)
                text_known(&w, r);
        text_refused(&w, r);

        fputc('\n', f);
        {
                char line[RESULT_TEXT_MAX + 256];
                struct buf b;

                buf_init(&b, 0);
                (void)buf_printf(&b, "%sSummary:%s %zu scenario%s:", w.bold, w.reset, r->n_results,
                                 r->n_results == 1 ? "" : "s");
                for (int v = 0; v < VERDICT_COUNT; v++) {
                        bool paint = o->color && r->counts[v] > 0 && v != VERDICT_MATCH;

                        (void)buf_printf(&b, "%s %s%u" TW_NBSP "%s%s", v > 0 ? "," : "",
                                         paint ? verdict_color((enum verdict)v) : "", r->counts[v],
                                         verdict_name((enum verdict)v), paint ? w.reset : "");
                }
                (void)buf_append(&b, "", 0);
                if (b.data != NULL)
                        tw_wrap(&w, 0, 2, b.data);
                buf_cleanup(&b);
                if (r->incomplete)
                        tw_printf(&w, 0, 2, "(incomplete: %zu not run)", not_run);
                summary_line(r, line, sizeof(line));
                tw_printf(&w, 0, 2, "%s", TCLEAN(&w.t1, line));
        }
        fputc('\n', f);
        text_classification(&w, r);
        fputc('\n', f);
        text_domains(&w, r, o->verbose);
        if (r->suggested[0] != '\0') {
                fputc('\n', f);
                tw_printf(&w, 0, 2, "%sSuggested setting%s (Lync Management Shell):", w.bold,
                          w.reset);
                text_cmdlet(&w, TCLEAN(&w.t1, r->suggested));
        }
        tw_m(&w, classify_explaining_row(r));
        fputc('\n', f);
        text_legend(&w);
        if (have_att)
                attention_free(&att);
        buf_cleanup(&w.para);
        buf_cleanup(&w.t1);
        buf_cleanup(&w.t2);
        buf_cleanup(&w.t3);
        if (fflush(f) != 0 || ferror(f))
                return -1;
        return 0;
}

/* ---- progress ----------------------------------------------------------- */

void report_progress(FILE *f, bool tty, size_t done, size_t total,
                     const struct scenario_result *just_finished)
{
        char line[160];
        struct buf tmp;

        buf_init(&tmp, 0);
        if (just_finished != NULL)
                snprintf(line, sizeof(line), "[%zu/%zu] %s %s: %s (%.1f s)", done, total,
                         TCLEAN(&tmp, just_finished->id), direction_name(just_finished->dir),
                         verdict_name(just_finished->verdict),
                         clamp_seconds(just_finished->seconds));
        else
                snprintf(line, sizeof(line), "[%zu/%zu] running", done, total);
        if (tty) {
                /* Padding, not an erase-line escape: the line stays free of control codes. */
                fprintf(f, "\r%-79.79s", line);
                if (done >= total)
                        fputc('\n', f);
        } else {
                fprintf(f, "%s\n", line);
        }
        fflush(f);
        buf_cleanup(&tmp);
}

/* ---- JSON --------------------------------------------------------------- */

/* A JSON string value from n bytes at most of s, made valid UTF-8 first. */
static void jstr_n(struct json *j, struct buf *tmp, const char *s, size_t max)
{
        if (s == NULL) {
                json_null(j);
                return;
        }
        buf_reset(tmp);
        if (utf8_clean(tmp, s, strnlen(s, max), CLEAN_JSON) < 0 || buf_append(tmp, "", 0) < 0) {
                j->failed = true;
                return;
        }
        json_string(j, tmp->data != NULL ? tmp->data : "");
}

#define JSTR(j, tmp, key, field)                                                                   \
        do {                                                                                       \
                json_key(j, key);                                                                  \
                jstr_n(j, tmp, field, sizeof(field));                                              \
        } while (0)

/* key: an array of the items of the list s (at most max bytes) that the runner joined
 * with sep, each without the spaces after sep; [] for "" (schema 2: tags and refs were
 * the joined strings). */
static void jstr_list(struct json *j, struct buf *tmp, const char *key, const char *s, size_t max,
                      char sep)
{
        size_t len = strnlen(s, max), at = 0;

        json_key(j, key);
        json_begin_array(j);
        while (at < len) {
                size_t n = 0;

                while (at < len && s[at] == ' ')
                        at++;
                while (at + n < len && s[at + n] != sep)
                        n++;
                if (n > 0)
                        jstr_n(j, tmp, s + at, n);
                at += n + 1;
        }
        json_end_array(j);
}

/* A rule id (docs/rules.md) under key (NULL: an array item), null for none. */
static void rule_json(struct json *j, const char *key, enum rule_id rule)
{
        if (key != NULL)
                json_key(j, key);
        if (rule != RULE_NONE)
                json_string(j, rule_name(rule));
        else
                json_null(j);
}

void report_json_outcomes(struct json *j, const char *key, unsigned set)
{
        json_key(j, key);
        json_begin_array(j);
        for (int c = 0; c < OUTCOME_COUNT; c++) {
                if (set & OUTCOME_BIT(c))
                        json_string(j, outcome_name((enum outcome)c));
        }
        json_end_array(j);
}

/*
 * key: the transcript text, unless --no-transcripts-inline (then null), and
 * key_file: its file under --transcripts DIR (DIR/name), null without --transcripts
 * (docs/report-json.md).
 */
static void json_transcript(struct json *j, struct buf *tmp, const struct run_report *r,
                            const char *key, const char *key_file, const char *text,
                            const char *name)
{
        char path[1024];

        json_key(j, key);
        if (r->no_transcripts_inline || text == NULL)
                json_null(j);
        else
                jstr_n(j, tmp, text, SIZE_MAX);
        json_key(j, key_file);
        if (r->transcripts_dir != NULL &&
            snprintf(path, sizeof(path), "%s/%s", r->transcripts_dir, name) < (int)sizeof(path))
                jstr_n(j, tmp, path, sizeof(path));
        else
                json_null(j);
}

/* The invocation (issue 14 item 4): argv, the selection, quirks, domain and timeouts. */
static void json_strings(struct json *j, struct buf *tmp, const char *key, const char *const *v,
                         size_t n)
{
        json_key(j, key);
        json_begin_array(j);
        for (size_t i = 0; i < n; i++)
                jstr_n(j, tmp, v[i], SIZE_MAX);
        json_end_array(j);
}

/* key: n, or null for 0 (the option not given: its default applies, docs/timeouts.md). */
static void json_uint_or_null(struct json *j, const char *key, unsigned n)
{
        json_key(j, key);
        if (n > 0)
                json_int(j, n);
        else
                json_null(j);
}

static void json_invocation(struct json *j, struct buf *tmp, const struct run_report *r)
{
        const struct run_invocation *v = &r->invocation;

        json_key(j, "invocation");
        json_begin_object(j);
        json_strings(j, tmp, "argv", (const char *const *)v->argv,
                     v->argv != NULL ? (size_t)v->argc : 0);
        json_key(j, "scenarios");
        jstr_n(j, tmp, v->scenarios, SIZE_MAX);
        json_strings(j, tmp, "add", v->add, v->n_add);
        json_strings(j, tmp, "only", v->only, v->n_only);
        json_strings(j, tmp, "skip", v->skip, v->n_skip);
        json_strings(j, tmp, "quirks", v->quirks, v->n_quirks);
        json_key(j, "domain");
        jstr_n(j, tmp, v->domain, SIZE_MAX);
        json_uint_or_null(j, "timeout_s", v->timeout_s);
        json_uint_or_null(j, "step_timeout_ms", v->step_timeout_ms);
        json_uint_or_null(j, "jobs", v->jobs);
        json_key(j, "transcripts");
        jstr_n(j, tmp, r->transcripts_dir, SIZE_MAX);
        json_kv_bool(j, "transcripts_inline", !r->no_transcripts_inline);
        json_end_object(j);
}

static void json_result(struct json *j, struct buf *tmp, const struct run_report *r,
                        const struct scenario_result *s)
{
        char file[sizeof(s->id) + 8];

        char name[8];

        json_begin_object(j);
        JSTR(j, tmp, "id", s->id);
        JSTR(j, tmp, "title", s->title);
        json_kv_string(j, "direction", direction_name(s->dir));
        json_key(j, "harness");
        json_begin_object(j);
        snprintf(name, sizeof(name), "H%d", s->harness_row);
        json_kv_string(j, "row", name);
        json_kv_string(j, "tls", neg_name(s->harness.tls));
        json_kv_string(j, "sasl", neg_name(s->harness.sasl));
        json_kv_bool(j, "dialback", s->harness.dialback);
        json_kv_string(j, "semantics", s->hsem == SEMANTICS_STRICT ? "strict" : "matrix");
        JSTR(j, tmp, "domain", s->harness_domain);
        json_end_object(j);
        json_kv_string(j, "expected", outcome_name(s->expected));
        report_json_outcomes(j, "accepted", s->accepted);
        /* An array like accepted, [] when nothing was observed (schema 2). */
        report_json_outcomes(j, "observed", s->observed);
        json_kv_string(j, "verdict", verdict_name(s->verdict));
        json_key(j, "error_cause");
        if (s->verdict == VERDICT_ERROR && error_cause_name(s->error_cause) != NULL)
                json_string(j, error_cause_name(s->error_cause));
        else
                json_null(j);
        json_key(j, "cause_class");
        if (cause_class_name(s->cause_class) != NULL)
                json_string(j, cause_class_name(s->cause_class));
        else
                json_null(j);
        json_kv_bool(j, "not_run", s->not_run);
        JSTR(j, tmp, "cause", s->cause);
        json_key(j, "known_deviation");
        if (s->known_deviation[0] != '\0')
                jstr_n(j, tmp, s->known_deviation, sizeof(s->known_deviation));
        else
                json_null(j);
        JSTR(j, tmp, "spec", s->spec);
        rule_json(j, "rule", s->rule_id);
        JSTR(j, tmp, "rationale", s->rationale);
        jstr_list(j, tmp, "tags", s->tags, sizeof(s->tags), ',');
        jstr_list(j, tmp, "refs", s->refs, sizeof(s->refs), ';');
        json_key(j, "certificate");
        if (s->certificate[0] != '\0')
                jstr_n(j, tmp, s->certificate, sizeof(s->certificate));
        else
                json_string(j, "default");
        json_kv_bool(j, "classified", !s->unclassified);
        json_key(j, "failed_check");
        if (s->failed_check[0] != '\0')
                jstr_n(j, tmp, s->failed_check, sizeof(s->failed_check));
        else
                json_null(j);
        json_key(j, "findings");
        json_begin_array(j);
        for (size_t k = 0; k < s->n_findings; k++) {
                if (s->findings[k] != NULL)
                        jstr_n(j, tmp, s->findings[k], SIZE_MAX);
        }
        json_end_array(j);
        /* findings[k]'s rule id (docs/rules.md), parallel to findings (added in 0.4.0). */
        json_key(j, "finding_rules");
        json_begin_array(j);
        for (size_t k = 0; k < s->n_findings; k++) {
                if (s->findings[k] != NULL)
                        rule_json(j, NULL,
                                  s->finding_rules != NULL ? s->finding_rules[k] : RULE_NONE);
        }
        json_end_array(j);
        json_key(j, "seconds");
        json_double(j, clamp_seconds(s->seconds));
        snprintf(file, sizeof(file), "%.*s.txt", (int)strnlen(s->id, sizeof(s->id)), s->id);
        json_transcript(j, tmp, r, "transcript", "transcript_file", s->transcript, file);
        json_end_object(j);
}

/* "refused": the streams refused outside any scenario (docs/report-json.md). */
static void json_refused(struct json *j, struct buf *tmp, const struct run_report *r)
{
        const struct refusals *x = &r->refused;

        json_key(j, "refused");
        json_begin_object(j);
        json_kv_int(j, "total", (long long)x->total);
        JSTR(j, tmp, "domain", x->domain);
        json_key(j, "causes");
        json_begin_array(j);
        for (size_t i = 0; i < x->n_causes; i++) {
                json_begin_object(j);
                JSTR(j, tmp, "cause", x->causes[i].cause);
                json_key(j, "rule");
                if (x->causes[i].rule[0] != '\0')
                        jstr_n(j, tmp, x->causes[i].rule, sizeof(x->causes[i].rule));
                else
                        json_null(j);
                json_kv_int(j, "count", (long long)x->causes[i].count);
                json_end_object(j);
        }
        json_end_array(j);
        json_kv_int(j, "other", (long long)x->other);
        json_kv_int(j, "dropped_before_header", (long long)x->dropped_before_header);
        json_transcript(j, tmp, r, "transcript", "transcript_file", x->transcript,
                        REPORT_RUN_TRANSCRIPT);
        json_kv_bool(j, "transcript_truncated", x->transcript_truncated);
        json_end_object(j);
}

/* The domains section (docs/report-json.md "domains"). */
static void json_domains(struct json *j, struct buf *tmp, const struct run_report *r)
{
        const struct domains_verdict *d = &r->domains;

        json_key(j, "domains");
        json_begin_object(j);
        JSTR(j, tmp, "summary", d->summary);
        json_kv_int(j, "domains", (long long)d->n_domains);
        json_kv_int(j, "faults", (long long)d->faults);
        json_kv_int(j, "served", (long long)d->served);
        json_kv_int(j, "not_served", (long long)d->not_served);
        json_kv_int(j, "not_checked", (long long)d->not_checked);
        json_kv_int(j, "not_covered", (long long)d->not_covered);
        json_kv_int(j, "not_authenticated", (long long)d->not_auth);
        json_key(j, "items");
        json_begin_array(j);
        for (size_t i = 0; i < d->n_items; i++) {
                const struct domain_item *it = &d->items[i];

                json_begin_object(j);
                JSTR(j, tmp, "domain", it->domain);
                json_kv_string(j, "role", it->primary ? "primary" : "additional");
                json_kv_string(j, "direction", direction_name(it->dir));
                json_kv_string(j, "served", dom_fact_name(it->served));
                json_kv_string(j, "cert_covers", dom_fact_name(it->cert_covers));
                json_kv_string(j, "authenticated", dom_fact_name(it->authenticated));
                json_kv_int(j, "results", (long long)it->results);
                json_key(j, "finding");
                if (it->finding[0] != '\0')
                        jstr_n(j, tmp, it->finding, sizeof(it->finding));
                else
                        json_null(j);
                json_key(j, "fix");
                if (it->fix[0] != '\0')
                        jstr_n(j, tmp, it->fix, sizeof(it->fix));
                else
                        json_null(j);
                json_end_object(j);
        }
        json_end_array(j);
        json_end_object(j);
}

int report_json(const struct run_report *r, struct buf *out)
{
        struct json j;
        struct buf tmp;
        struct classify_contradiction cs[1 + ORACLE_CLASSES];
        size_t nc = classify_contradictions(r, cs);
        char name[64];
        const char *rule, *fix;
        enum classify_state st = classify_state(r);
        int row = classify_own_row(r), k;

        buf_init(&tmp, 0);
        json_init(&j, out);
        json_begin_object(&j);
        json_kv_int(&j, "schema", REPORT_JSON_SCHEMA);
        snprintf(name, sizeof(name), "s2scheck %s", tool_version(r));
        json_key(&j, "tool");
        jstr_n(&j, &tmp, name, sizeof(name));

        json_key(&j, "partner");
        json_begin_object(&j);
        JSTR(&j, &tmp, "domain", r->partner_domain);
        JSTR(&j, &tmp, "source", r->partner_source);
        snprintf(name, sizeof(name), "M%d", row);
        json_kv_string(&j, "row", name);
        json_kv_string(&j, "tls", neg_name(r->partner.tls));
        json_kv_string(&j, "sasl", neg_name(r->partner.sasl));
        json_kv_bool(&j, "dialback", r->partner.dialback);
        json_kv_bool(&j, "valid", oracle_valid(&r->partner));
        json_key(&j, "class");
        k = oracle_class(&r->partner);
        if (k > 0) {
                snprintf(name, sizeof(name), "E%d", k);
                json_string(&j, name);
        } else {
                json_null(&j);
        }
        json_key(&j, "invalid_reason");
        if (oracle_invalid_reason(&r->partner, &rule, &fix) == 0) {
                json_begin_object(&j);
                json_kv_string(&j, "rule", rule);
                json_kv_string(&j, "fix", fix);
                json_end_object(&j);
        } else {
                json_null(&j);
        }
        json_end_object(&j);

        JSTR(&j, &tmp, "target", r->target);
        /* Typed (issue 12 item 2): a self-test can never read as a verdict on the partner. */
        json_key(&j, "target_info");
        json_begin_object(&j);
        json_kv_string(&j, "kind", r->self_test ? "self-test" : "partner");
        json_key(&j, "address");
        if (r->self_test)
                json_null(&j);
        else
                jstr_n(&j, &tmp, r->target, sizeof(r->target));
        json_kv_bool(&j, "partner_contacted", !r->self_test);
        json_kv_int(&j, "connections", (long long)r->partner_conns);
        json_end_object(&j);
        json_kv_string(&j, "started", iso_time(r->started, true, name, sizeof(name)));
        json_key(&j, "seconds");
        json_double(&j, clamp_seconds(r->seconds));
        json_kv_bool(&j, "incomplete", r->incomplete);
        json_key(&j, "incomplete_reason");
        if (r->incomplete)
                jstr_n(&j, &tmp, r->incomplete_reason, sizeof(r->incomplete_reason));
        else
                json_null(&j);
        /* The preflight before the run (docs/report-json.md): check's findings. */
        json_key(&j, "preflight");
        if (r->preflight != NULL)
                checkup_json_findings(r->preflight, &j);
        else
                json_null(&j);
        json_kv_bool(&j, "stopped_by_preflight", r->preflight_stopped);
        json_invocation(&j, &tmp, r);

        json_key(&j, "results");
        json_begin_array(&j);
        for (size_t i = 0; i < r->n_results; i++)
                json_result(&j, &tmp, r, &r->results[i]);
        json_end_array(&j);

        json_key(&j, "summary");
        json_begin_object(&j);
        json_kv_int(&j, "total", (long long)r->n_results);
        for (int v = 0; v < VERDICT_COUNT; v++)
                json_kv_int(&j, verdict_name((enum verdict)v), r->counts[v]);
        {
                char line[RESULT_TEXT_MAX + 256];

                summary_line(r, line, sizeof(line));
                JSTR(&j, &tmp, "line", line);
        }
        json_end_object(&j);

        json_domains(&j, &tmp, r);

        json_refused(&j, &tmp, r);

        json_key(&j, "findings_outside_lync");
        json_begin_array(&j);
        for (size_t i = 0; i < r->n_results; i++) {
                if (classify_is_finding(&r->results[i]))
                        jstr_n(&j, &tmp, r->results[i].id, sizeof(r->results[i].id));
        }
        json_end_array(&j);
        json_key(&j, "alternatives");
        json_begin_array(&j);
        for (size_t i = 0; i < r->n_results; i++) {
                if (classify_is_alternative(&r->results[i]))
                        jstr_n(&j, &tmp, r->results[i].id, sizeof(r->results[i].id));
        }
        json_end_array(&j);
        json_key(&j, "finding_patterns");
        json_begin_array(&j);
        if (classify_cert_required_for_dialback(r) > 0)
                json_string(&j, "certificate-required-for-dialback");
        if (classify_behaviour_only_count(r) > 0)
                json_string(&j, "declared-otherwise");
        json_end_array(&j);

        json_key(&j, "classification");
        json_begin_object(&j);
        json_kv_int(&j, "observations", (long long)r->n_classified);
        json_kv_bool(&j, "self_test", r->self_test);
        json_kv_int(&j, "outbound_observations", (long long)r->cls_dir[DIR_OUTBOUND]);
        json_kv_int(&j, "inbound_observations", (long long)r->cls_dir[DIR_INBOUND]);
        json_kv_int(&j, "unjudged_outbound", (long long)r->unjudged_dir[DIR_OUTBOUND]);
        json_kv_int(&j, "unjudged_inbound", (long long)r->unjudged_dir[DIR_INBOUND]);
        json_key(&j, "untold_configs");
        json_begin_array(&j);
        for (int m = 1; m <= SETTINGS_ROWS; m++) {
                if (r->untold_rows & (1u << (m - 1))) {
                        snprintf(name, sizeof(name), "M%d", m);
                        json_string(&j, name);
                }
        }
        json_end_array(&j);
        json_key(&j, "missing_directions");
        json_begin_array(&j);
        for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                if (r->untold_dirs & (1u << d))
                        json_string(&j, direction_name((enum direction)d));
        }
        json_end_array(&j);
        json_kv_string(&j, "state", classify_state_name(st));
        json_kv_bool(&j, "partner_row_consistent",
                     r->n_classified > 0 && classify_own_row_consistent(r));
        json_kv_string(&j, "compared", r->cls.by_behaviour ? "behaviour" : "exact");
        json_key(&j, "classes");
        json_begin_array(&j);
        for (k = 1; k <= ORACLE_CLASSES; k++) {
                if (classify_classes(r) & (1u << (k - 1))) {
                        snprintf(name, sizeof(name), "E%d", k);
                        json_string(&j, name);
                }
        }
        json_end_array(&j);
        for (int pass = 0; pass < 2; pass++) {
                json_key(&j, pass == 0 ? "configs" : "invalid_configs");
                json_begin_array(&j);
                for (int m = 1; m <= SETTINGS_ROWS; m++) {
                        struct neg_settings s;

                        if (!(classify_rows(r) & (1u << (m - 1))) ||
                            settings_from_row(m, &s) != 0 || oracle_valid(&s) != (pass == 0))
                                continue;
                        snprintf(name, sizeof(name), "M%d", m);
                        json_string(&j, name);
                }
                json_end_array(&j);
        }
        json_key(&j, "suggested_config");
        if (r->suggested[0] != '\0' && (st == CLASSIFY_OWN_ROW || st == CLASSIFY_ONE)) {
                k = st == CLASSIFY_OWN_ROW
                        ? row
                        : classify_canonical_row(classify_lowest_class(classify_classes(r)));
                snprintf(name, sizeof(name), "M%d", k);
                json_string(&j, name);
        } else {
                json_null(&j);
        }
        json_key(&j, "suggested");
        if (r->suggested[0] != '\0')
                jstr_n(&j, &tmp, r->suggested, sizeof(r->suggested));
        else
                json_null(&j);
        json_key(&j, "behaviour_only");
        json_begin_array(&j);
        for (size_t i = 0;
             r->cls.by_behaviour && classify_explaining_row(r) > 0 && i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];
                enum outcome want;
                unsigned alike;
                const char *text, *rule;

                if (!classify_behaviour_only(s, classify_explaining_row(r), &want, &alike))
                        continue;
                json_begin_object(&j);
                JSTR(&j, &tmp, "id", s->id);
                json_kv_string(&j, "direction", direction_name(s->dir));
                snprintf(name, sizeof(name), "H%d", s->harness_row);
                json_kv_string(&j, "harness", name);
                json_kv_string(&j, "expected", outcome_name(want));
                report_json_outcomes(&j, "observed", s->observed);
                report_json_outcomes(&j, "indistinguishable", alike);
                classify_declared(s->dir, want, &text, &rule);
                json_kv_string(&j, "declared_otherwise", text);
                json_kv_string(&j, "rule", rule);
                json_end_object(&j);
        }
        json_end_array(&j);
        json_key(&j, "contradictions");
        json_begin_array(&j);
        for (size_t i = 0; i < nc; i++) {
                json_begin_object(&j);
                snprintf(name, sizeof(name), "M%d", cs[i].row);
                json_kv_string(&j, "config", name);
                json_key(&j, "class");
                if (cs[i].cls > 0) {
                        snprintf(name, sizeof(name), "E%d", cs[i].cls);
                        json_string(&j, name);
                } else {
                        json_null(&j);
                }
                json_kv_bool(&j, "partner_row", cs[i].row == row);
                JSTR(&j, &tmp, "id", cs[i].s->id);
                json_kv_string(&j, "direction", direction_name(cs[i].s->dir));
                snprintf(name, sizeof(name), "H%d", cs[i].s->harness_row);
                json_kv_string(&j, "harness", name);
                json_kv_string(&j, "expected", outcome_name(cs[i].expected));
                report_json_outcomes(&j, "observed", cs[i].s->observed);
                json_end_object(&j);
        }
        json_end_array(&j);
        json_end_object(&j);

        json_end_object(&j);
        buf_cleanup(&tmp);
        if (json_finish(&j) < 0 || buf_puts(out, "\n") < 0)
                return -1;
        return 0;
}

/* ---- JUnit XML ---------------------------------------------------------- */

enum junit_kind { JUNIT_PASS, JUNIT_FAILURE, JUNIT_ERROR, JUNIT_SKIPPED };

static enum junit_kind junit_kind(const struct scenario_result *s)
{
        if (s->not_run)
                return JUNIT_SKIPPED;
        switch (s->verdict) {
        case VERDICT_MISMATCH:
        case VERDICT_XPASS:
                return JUNIT_FAILURE;
        case VERDICT_ERROR:
                return JUNIT_ERROR;
        case VERDICT_SKIP:
                return JUNIT_SKIPPED;
        default:
                return JUNIT_PASS; /* match, and xfail (a known deviation: documented) */
        }
}

struct xw {
        xmlTextWriterPtr w;
        struct buf tmp; /* the cleaned text of the current attribute or text node */
};

/* Cleans at most max bytes of s into x->tmp (NUL-terminated). */
static int x_clean(struct xw *x, const char *s, size_t max)
{
        buf_reset(&x->tmp);
        if (s != NULL && utf8_clean(&x->tmp, s, strnlen(s, max), CLEAN_XML) < 0)
                return -1;
        return buf_append(&x->tmp, "", 0);
}

static int x_attr(struct xw *x, const char *name, const char *value, size_t max)
{
        if (x_clean(x, value, max) < 0)
                return -1;
        return xmlTextWriterWriteAttribute(x->w, BAD_CAST name, BAD_CAST x->tmp.data) < 0 ? -1 : 0;
}

static int x_attrf(struct xw *x, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int x_attrf(struct xw *x, const char *name, const char *fmt, ...)
{
        char v[512];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(v, sizeof(v), fmt, ap);
        va_end(ap);
        return x_attr(x, name, v, sizeof(v));
}

static int x_text(struct xw *x, const char *text, size_t len)
{
        buf_reset(&x->tmp);
        if (utf8_clean(&x->tmp, text, len, CLEAN_XML) < 0 || buf_append(&x->tmp, "", 0) < 0)
                return -1;
        return xmlTextWriterWriteString(x->w, BAD_CAST x->tmp.data) < 0 ? -1 : 0;
}

static int x_start(struct xw *x, const char *name)
{
        return xmlTextWriterStartElement(x->w, BAD_CAST name) < 0 ? -1 : 0;
}

static int x_end(struct xw *x)
{
        return xmlTextWriterEndElement(x->w) < 0 ? -1 : 0;
}

static int x_property(struct xw *x, const char *name, const char *value, size_t max)
{
        if (x_start(x, "property") < 0 || x_attr(x, "name", name, 64) < 0 ||
            x_attr(x, "value", value, max) < 0 || x_end(x) < 0)
                return -1;
        return 0;
}

/* "expected Dt (or F3), observed F1|F4" */
static void expected_observed(const struct scenario_result *s, char *buf, size_t len)
{
        char acc[40], obs[40];

        outcome_set_text(s->accepted, ",", acc, sizeof(acc));
        outcome_set_text(s->observed, "|", obs, sizeof(obs));
        snprintf(buf, len, "expected %s%s%s%s, observed %s", outcome_name(s->expected),
                 s->accepted ? " (or " : "", acc, s->accepted ? ")" : "",
                 s->observed ? obs : "nothing");
}

/* The body of a failure or error: rule, cause, rationale, findings. */
static int junit_body(struct xw *x, const struct scenario_result *s)
{
        struct buf b;
        int rc = -1;

        buf_init(&b, 0);
        if ((s->spec[0] && buf_printf(&b, "rule: %.*s\n", (int)sizeof(s->spec), s->spec) < 0) ||
            (s->rule_id != RULE_NONE &&
             buf_printf(&b, "rule id: %s\n", rule_name(s->rule_id)) < 0) ||
            (s->cause[0] && buf_printf(&b, "cause: %.*s\n", (int)sizeof(s->cause), s->cause) < 0) ||
            (s->rationale[0] && buf_printf(&b, "expected because: %.*s\n",
                                           (int)sizeof(s->rationale), s->rationale) < 0))
                goto fail;
        for (size_t k = 0; k < s->n_findings; k++) {
                if (s->findings[k] != NULL && buf_printf(&b, "finding: %s\n", s->findings[k]) < 0)
                        goto fail;
        }
        if (b.len > 0 && x_text(x, b.data, b.len) < 0)
                goto fail;
        rc = 0;
fail:
        buf_cleanup(&b);
        return rc;
}

/* The suite a scenario's case goes in (docs/report-junit.md): its first tag,
 * "untagged" when it has none. */
static void junit_suite_of(const struct scenario_result *s, char *name, size_t len)
{
        size_t n = strcspn(s->tags, ",");

        if (n == 0)
                snprintf(name, len, "untagged");
        else
                snprintf(name, len, "%.*s", (int)n, s->tags);
}

static int junit_case(struct xw *x, const struct run_report *r, const struct scenario_result *s)
{
        char eo[128];
        struct buf out;
        int rc = -1;

        buf_init(&out, 0);
        expected_observed(s, eo, sizeof(eo));
        /* The name is the id alone, so that editing a title does not rename the test in
         * a CI's history; the title opens system-out. */
        if (x_start(x, "testcase") < 0 || x_attr(x, "name", s->id, sizeof(s->id)) < 0 ||
            x_attrf(x, "classname", "s2scheck.%.*s.%s", (int)sizeof(r->partner_domain),
                    r->partner_domain, direction_name(s->dir)) < 0 ||
            x_attrf(x, "time", "%.3f", clamp_seconds(s->seconds)) < 0)
                goto fail;
        switch (junit_kind(s)) {
        case JUNIT_SKIPPED:
                if (x_start(x, "skipped") < 0 ||
                    x_attr(x, "message",
                           s->cause[0]  ? s->cause
                           : s->not_run ? "not run"
                                        : "skipped",
                           sizeof(s->cause)) < 0 ||
                    x_end(x) < 0)
                        goto fail;
                break;
        case JUNIT_FAILURE:
                if (x_start(x, "failure") < 0 ||
                    x_attr(x, "message",
                           s->verdict == VERDICT_XPASS ? "expected to mismatch but matched" : eo,
                           sizeof(eo)) < 0 ||
                    x_attr(x, "type", verdict_name(s->verdict), 16) < 0 || junit_body(x, s) < 0 ||
                    x_end(x) < 0)
                        goto fail;
                break;
        case JUNIT_ERROR:
                if (x_start(x, "error") < 0 ||
                    x_attr(x, "message", s->cause[0] ? s->cause : "error", sizeof(s->cause)) < 0 ||
                    x_attr(x, "type", "error", 16) < 0 || junit_body(x, s) < 0 || x_end(x) < 0)
                        goto fail;
                break;
        case JUNIT_PASS:
                break;
        }
        if (buf_printf(&out, "title: %.*s\ntags: %.*s\n\n", (int)sizeof(s->title), s->title,
                       (int)sizeof(s->tags), s->tags) < 0)
                goto fail;
        if (s->verdict == VERDICT_XFAIL &&
            buf_printf(&out, "xfail: a known deviation the scenario expects: %s; %.*s\n\n", eo,
                       (int)sizeof(s->cause), s->cause) < 0)
                goto fail;
        if (!s->not_run && r->no_transcripts_inline && r->transcripts_dir != NULL &&
            buf_printf(&out, "transcript: %s/%.*s.txt\n", r->transcripts_dir,
                       (int)strnlen(s->id, sizeof(s->id)), s->id) < 0)
                goto fail;
        if (!s->not_run && !r->no_transcripts_inline && s->transcript != NULL &&
            buf_puts(&out, s->transcript) < 0)
                goto fail;
        if (x_start(x, "system-out") < 0 || x_text(x, out.data, out.len) < 0 || x_end(x) < 0)
                goto fail;
        if (x_end(x) < 0)
                goto fail;
        rc = 0;
fail:
        buf_cleanup(&out);
        return rc;
}

/* A suite's counts: n[junit_kind] over its cases, and its seconds. */
struct junit_tally {
        size_t n[4];
        size_t tests;
        double seconds;
};

/* The counts of the scenarios in suite (NULL: every scenario). */
static void junit_tally_scenarios(const struct run_report *r, const char *suite,
                                  struct junit_tally *t)
{
        char name[sizeof(r->results[0].tags)];

        for (size_t i = 0; i < r->n_results; i++) {
                junit_suite_of(&r->results[i], name, sizeof(name));
                if (suite != NULL && strcmp(name, suite) != 0)
                        continue;
                t->n[junit_kind(&r->results[i])]++;
                t->tests++;
                t->seconds += clamp_seconds(r->results[i].seconds);
        }
}

/* The verdict suite's cases: "configuration matches", then one per domains item. */
static void junit_tally_verdict(const struct run_report *r, struct junit_tally *t)
{
        enum classify_state st = classify_state(r);

        t->tests += 1 + r->domains.n_items;
        t->n[st == CLASSIFY_OWN_ROW   ? JUNIT_PASS
             : st == CLASSIFY_NOTHING ? JUNIT_SKIPPED
                                      : JUNIT_FAILURE]++;
        t->n[JUNIT_FAILURE] += r->domains.faults;
}

/* name, tests, failures, errors, then skipped and the timestamp for a testsuite
 * (junit-10.xsd has no testsuites@skipped nor testsuites@timestamp). */
static int junit_counts(struct xw *x, const struct run_report *r, const char *name,
                        const struct junit_tally *t, double seconds, bool suite)
{
        char when[32];

        if (x_attr(x, "name", name, 544) < 0 || x_attrf(x, "tests", "%zu", t->tests) < 0 ||
            x_attrf(x, "failures", "%zu", t->n[JUNIT_FAILURE]) < 0 ||
            x_attrf(x, "errors", "%zu", t->n[JUNIT_ERROR]) < 0 ||
            (suite && x_attrf(x, "skipped", "%zu", t->n[JUNIT_SKIPPED]) < 0) ||
            x_attrf(x, "time", "%.3f", clamp_seconds(seconds)) < 0)
                return -1;
        /* Ant's and Jenkins' schemas take the timestamp without a zone; it is UTC. */
        if (suite && x_attr(x, "timestamp", iso_time(r->started, false, when, sizeof(when)),
                            sizeof(when)) < 0)
                return -1;
        return 0;
}

/*
 * The classification as a case of its own, "configuration matches": it passes when
 * the partner's own row explains every observation, is skipped when nothing was
 * observed, and fails otherwise with the run's summary line and the suggestion.
 */
static int junit_classification(struct xw *x, const struct run_report *r)
{
        enum classify_state st = classify_state(r);
        char line[512];

        summary_line(r, line, sizeof(line));
        if (x_start(x, "testcase") < 0 || x_attr(x, "name", "configuration matches", 32) < 0 ||
            x_attrf(x, "classname", "s2scheck.%.*s.verdict", (int)sizeof(r->partner_domain),
                    r->partner_domain) < 0 ||
            x_attr(x, "time", "0.000", 8) < 0)
                return -1;
        if (st == CLASSIFY_NOTHING &&
            (x_start(x, "skipped") < 0 ||
             x_attr(x, "message", "nothing observed that can classify the partner", 64) < 0 ||
             x_end(x) < 0))
                return -1;
        if (st != CLASSIFY_NOTHING && st != CLASSIFY_OWN_ROW &&
            (x_start(x, "failure") < 0 || x_attr(x, "message", line, sizeof(line)) < 0 ||
             x_attr(x, "type", "classification", 16) < 0 ||
             (r->suggested[0] != '\0' &&
              (x_text(x, "suggested: ", 11) < 0 ||
               x_text(x, r->suggested, strnlen(r->suggested, sizeof(r->suggested))) < 0)) ||
             x_end(x) < 0))
                return -1;
        if (x_start(x, "system-out") < 0 || x_text(x, line, strlen(line)) < 0 || x_end(x) < 0)
                return -1;
        return x_end(x);
}

/*
 * The partner's domains (docs/report-junit.md): one testcase per domain and
 * direction in the suite "verdict" (classname s2scheck.<partner>.domains), a
 * <failure> with the fix for each fault.
 */
static int junit_domains(struct xw *x, const struct run_report *r)
{
        const struct domains_verdict *d = &r->domains;

        for (size_t i = 0; i < d->n_items; i++) {
                const struct domain_item *it = &d->items[i];
                char facts[96];

                snprintf(facts, sizeof(facts),
                         "served %s, certificate covers it %s, authenticated %s",
                         dom_fact_name(it->served), dom_fact_name(it->cert_covers),
                         dom_fact_name(it->authenticated));
                if (x_start(x, "testcase") < 0 ||
                    x_attrf(x, "name", "%s %.*s (%s)", it->primary ? "primary" : "additional",
                            (int)sizeof(it->domain), it->domain, direction_name(it->dir)) < 0 ||
                    x_attrf(x, "classname", "s2scheck.%.*s.domains", (int)sizeof(r->partner_domain),
                            r->partner_domain) < 0 ||
                    x_attr(x, "time", "0.000", 8) < 0)
                        return -1;
                if (it->finding[0] != '\0' &&
                    (x_start(x, "failure") < 0 ||
                     x_attr(x, "message", it->finding, sizeof(it->finding)) < 0 ||
                     x_attr(x, "type", "domain", 8) < 0 || x_text(x, "fix: ", 5) < 0 ||
                     x_text(x, it->fix, strlen(it->fix)) < 0 || x_end(x) < 0))
                        return -1;
                if (x_start(x, "system-out") < 0 || x_text(x, facts, strlen(facts)) < 0 ||
                    x_end(x) < 0 || x_end(x) < 0)
                        return -1;
        }
        return 0;
}

/* refused_streams (always) and refused (the summary line, when any was). */
static int junit_refused_properties(struct xw *x, const struct run_report *r)
{
        char n[32], line[2 * RESULT_TEXT_MAX];

        snprintf(n, sizeof(n), "%lu", r->refused.total);
        if (x_property(x, "refused_streams", n, sizeof(n)) < 0)
                return -1;
        if (r->refused.total == 0)
                return 0;
        refused_line(r, line, sizeof(line));
        return x_property(x, "refused", line, sizeof(line));
}

/* The classification's basis as suite properties (issue 12 item 2). */
static int x_attr_basis(struct xw *x, const struct run_report *r)
{
        char v[160];

        snprintf(v, sizeof(v), "%zu outbound, %zu inbound; unjudged: %zu outbound, %zu inbound",
                 r->cls_dir[DIR_OUTBOUND], r->cls_dir[DIR_INBOUND], r->unjudged_dir[DIR_OUTBOUND],
                 r->unjudged_dir[DIR_INBOUND]);
        if (x_property(x, "observations", v, sizeof(v)) < 0)
                return -1;
        if (r->untold_rows == 0)
                return 0;
        rows_text(r->untold_rows, 'M', v, sizeof(v));
        return x_property(x, "untold_configs", v, sizeof(v));
}

/* The preflight's counts and whether it stopped the run (docs/report-junit.md). */
static int junit_preflight_property(struct xw *x, const struct run_report *r)
{
        size_t count[3] = {0, 0, 0};
        char v[128];

        if (r->preflight == NULL)
                return 0;
        for (size_t i = 0; i < r->preflight->n; i++)
                count[r->preflight->f[i].sev]++;
        snprintf(v, sizeof(v), "%zu OK, %zu WARN, %zu FAIL%s", count[CHECKUP_OK],
                 count[CHECKUP_WARN], count[CHECKUP_FAIL],
                 r->preflight_stopped ? ": stopped the run" : "");
        return x_property(x, "preflight", v, sizeof(v));
}

/* The suite's system-out: the preflight's checklist, then the run-level transcript
 * of the refused streams. */
static int junit_system_out(struct xw *x, const struct run_report *r)
{
        struct buf b;
        int rc = 0;

        buf_init(&b, 0);
        if (r->preflight != NULL && checkup_format(r->preflight, &b) != 0)
                rc = -1;
        if (rc == 0 && r->refused.transcript != NULL && r->refused.transcript[0] != '\0' &&
            (r->no_transcripts_inline
                 ? buf_printf(&b, "transcript: %s/" REPORT_RUN_TRANSCRIPT "\n",
                              r->transcripts_dir != NULL ? r->transcripts_dir : ".")
                 : buf_puts(&b, r->refused.transcript)) != 0)
                rc = -1;
        if (rc == 0 && b.len > 0 &&
            (x_start(x, "system-out") < 0 || x_text(x, b.data, b.len) < 0 || x_end(x) < 0))
                rc = -1;
        buf_cleanup(&b);
        return rc;
}

/*
 * The run's JUnit report (docs/report-junit.md): testsuites, then the suite
 * "verdict" (the run's properties, "configuration matches", one case per item of
 * the domains verdict, the run-level system-out), then one suite per first tag of
 * the scenarios, in the order the run met them.
 */
int report_junit(const struct run_report *r, struct buf *out)
{
        struct xw x = {0};
        xmlBufferPtr xb = NULL;
        char cfg[64], set[40], tool[80], name[sizeof(r->results[0].tags)];
        struct junit_tally all = {0}, verdict = {0};
        int rc = -1;

        buf_init(&x.tmp, 0);
        xmlInitParser();
        xb = xmlBufferCreate();
        if (xb == NULL)
                goto fail;
        x.w = xmlNewTextWriterMemory(xb, 0);
        if (x.w == NULL)
                goto fail;
        snprintf(tool, sizeof(tool), "s2scheck %s", tool_version(r));
        snprintf(cfg, sizeof(cfg), "M%d %s", classify_own_row(r),
                 settings_summary(&r->partner, set, sizeof(set)));
        junit_tally_verdict(r, &verdict);
        all = verdict;
        junit_tally_scenarios(r, NULL, &all);
        if (xmlTextWriterSetIndent(x.w, 1) < 0 ||
            xmlTextWriterSetIndentString(x.w, BAD_CAST "  ") < 0 ||
            xmlTextWriterStartDocument(x.w, NULL, "UTF-8", NULL) < 0 ||
            x_start(&x, "testsuites") < 0 ||
            junit_counts(&x, r, "s2scheck", &all, r->seconds, false) < 0 ||
            x_start(&x, "testsuite") < 0 || junit_counts(&x, r, "verdict", &verdict, 0, true) < 0 ||
            x_start(&x, "properties") < 0 || x_property(&x, "tool", tool, sizeof(tool)) < 0 ||
            x_property(&x, "partner", r->partner_domain, sizeof(r->partner_domain)) < 0 ||
            x_property(&x, "partner_source", r->partner_source, sizeof(r->partner_source)) < 0 ||
            x_property(&x, "partner_config", cfg, sizeof(cfg)) < 0 ||
            x_property(&x, "target", r->target, sizeof(r->target)) < 0 ||
            x_property(&x, "target_kind", r->self_test ? "self-test" : "partner", 16) < 0 ||
            (r->self_test &&
             x_property(&x, "self_test",
                        "the built-in reference partner, not the partner's real server", 80) < 0) ||
            x_attr_basis(&x, r) < 0 ||
            x_property(&x, "classification", classify_state_name(classify_state(r)), 32) < 0 ||
            x_property(&x, "domains", r->domains.summary, sizeof(r->domains.summary)) < 0 ||
            (r->suggested[0] &&
             x_property(&x, "suggested", r->suggested, sizeof(r->suggested)) < 0) ||
            (r->incomplete &&
             x_property(&x, "incomplete",
                        r->incomplete_reason[0] ? r->incomplete_reason : "interrupted",
                        sizeof(r->incomplete_reason)) < 0) ||
            junit_refused_properties(&x, r) < 0 || junit_preflight_property(&x, r) < 0 ||
            x_end(&x) < 0 || junit_classification(&x, r) < 0 || junit_domains(&x, r) < 0 ||
            junit_system_out(&x, r) < 0 || x_end(&x) < 0)
                goto fail;
        for (size_t i = 0; i < r->n_results; i++) {
                struct junit_tally t = {0};
                bool seen = false;

                junit_suite_of(&r->results[i], name, sizeof(name));
                for (size_t k = 0; k < i && !seen; k++) {
                        char other[sizeof(name)];

                        junit_suite_of(&r->results[k], other, sizeof(other));
                        seen = strcmp(name, other) == 0;
                }
                if (seen)
                        continue;
                junit_tally_scenarios(r, name, &t);
                if (x_start(&x, "testsuite") < 0 ||
                    junit_counts(&x, r, name, &t, t.seconds, true) < 0)
                        goto fail;
                for (size_t k = i; k < r->n_results; k++) {
                        char other[sizeof(name)];

                        junit_suite_of(&r->results[k], other, sizeof(other));
                        if (strcmp(name, other) == 0 && junit_case(&x, r, &r->results[k]) < 0)
                                goto fail;
                }
                if (x_end(&x) < 0)
                        goto fail;
        }
        if (x_end(&x) < 0 || xmlTextWriterEndDocument(x.w) < 0)
                goto fail;
        xmlFreeTextWriter(x.w); /* flushes into xb */
        x.w = NULL;
        if (buf_append(out, xmlBufferContent(xb), (size_t)xmlBufferLength(xb)) < 0)
                goto fail;
        rc = 0;
fail:
        if (x.w != NULL)
                xmlFreeTextWriter(x.w);
        if (xb != NULL)
                xmlBufferFree(xb);
        buf_cleanup(&x.tmp);
        return rc;
}

/* ---- Markdown summary ----------------------------------------------------- */

/* Text for a Markdown table cell or line: utf8-cleaned, '|' escaped, newlines as
 * spaces, at most max bytes of s. */
static int md_text(struct buf *out, struct buf *tmp, const char *s, size_t max)
{
        buf_reset(tmp);
        if (s == NULL)
                return 0;
        if (utf8_clean(tmp, s, strnlen(s, max), CLEAN_XML) < 0)
                return -1;
        for (size_t i = 0; i < tmp->len; i++) {
                char c = tmp->data[i];

                if ((c == '|' && buf_puts(out, "\\|") < 0) ||
                    ((c == '\n' || c == '\r') && buf_puts(out, " ") < 0) ||
                    (c != '|' && c != '\n' && c != '\r' && buf_append(out, &c, 1) < 0))
                        return -1;
        }
        return 0;
}

/*
 * The run as Markdown for $GITHUB_STEP_SUMMARY or a merge request note
 * (docs/cli.md "Reports"): the verdict line, the classification and its cmdlet, the
 * results needing attention grouped by cause (one row per rule, the scenarios it
 * covers), the domains verdict.
 */
int report_markdown(const struct run_report *r, struct buf *out)
{
        struct buf tmp;
        char line[512], eo[128];
        size_t n[VERDICT_COUNT] = {0}, attention;
        struct attention att;
        int rc = -1;

        if (attention_collect(r, &att) < 0)
                return -1;
        attention = att.n_results;
        buf_init(&tmp, 0);
        for (size_t i = 0; i < r->n_results; i++)
                n[r->results[i].verdict]++;
        summary_line(r, line, sizeof(line));
        if (buf_printf(out, "## s2scheck: %s\n\n",
                       attention_pass(r, &att) ? "pass" : "needs attention") < 0 ||
            buf_puts(out, "**") < 0 || md_text(out, &tmp, line, sizeof(line)) < 0 ||
            buf_puts(out, "**\n\n") < 0 || buf_puts(out, "- partner: `") < 0 ||
            md_text(out, &tmp, r->partner_domain, sizeof(r->partner_domain)) < 0 ||
            buf_puts(out, "`, target: ") < 0 ||
            md_text(out, &tmp, r->target, sizeof(r->target)) < 0 ||
            buf_printf(out,
                       "\n- %zu scenarios: %zu match, %zu mismatch, %zu error, %zu skip, %zu "
                       "xfail, %zu xpass\n",
                       r->n_results, n[VERDICT_MATCH], n[VERDICT_MISMATCH], n[VERDICT_ERROR],
                       n[VERDICT_SKIP], n[VERDICT_XFAIL], n[VERDICT_XPASS]) < 0 ||
            buf_printf(out, "- classification: %s\n", classify_state_name(classify_state(r))) < 0 ||
            (r->incomplete &&
             (buf_puts(out, "- **incomplete**: ") < 0 ||
              md_text(out, &tmp, r->incomplete_reason, sizeof(r->incomplete_reason)) < 0 ||
              buf_puts(out, "\n") < 0)))
                goto fail;
        if (r->suggested[0] != '\0' &&
            (buf_puts(out, "\nSuggested command:\n\n```powershell\n") < 0 ||
             buf_append(out, r->suggested, strnlen(r->suggested, sizeof(r->suggested))) < 0 ||
             buf_puts(out, "\n```\n") < 0))
                goto fail;
        if (attention > 0 &&
            buf_puts(out, "\n### Needing attention, by cause\n\n| cause | rule | scenarios |\n"
                          "|---|---|---|\n") < 0)
                goto fail;
        /* One row per cause (attention.h), in the order first met; each scenario once. */
        for (size_t g = 0; g < att.n_groups; g++) {
                const struct attention_group *grp = &att.groups[g];
                const struct scenario_result *s = &r->results[grp->members[0]];

                if (buf_puts(out, "| ") < 0 || md_text(out, &tmp, grp->key, sizeof(grp->key)) < 0 ||
                    buf_puts(out, " | ") < 0 || md_text(out, &tmp, s->spec, sizeof(s->spec)) < 0 ||
                    buf_puts(out, " | ") < 0)
                        goto fail;
                for (size_t k = 0; k < grp->n; k++) {
                        const struct scenario_result *t = &r->results[grp->members[k]];

                        expected_observed(t, eo, sizeof(eo));
                        if (buf_puts(out, k == 0 ? "`" : ", `") < 0 ||
                            md_text(out, &tmp, t->id, sizeof(t->id)) < 0 ||
                            buf_printf(out, "` (%s: ", verdict_name(t->verdict)) < 0 ||
                            md_text(out, &tmp, t->verdict == VERDICT_ERROR ? t->cause : eo,
                                    t->verdict == VERDICT_ERROR ? sizeof(t->cause) : sizeof(eo)) <
                                0 ||
                            buf_puts(out, ")") < 0)
                                goto fail;
                }
                if (buf_puts(out, " |\n") < 0)
                        goto fail;
        }
        if (buf_puts(out, "\n### Domains: ") < 0 ||
            md_text(out, &tmp, r->domains.summary, sizeof(r->domains.summary)) < 0 ||
            buf_puts(out, "\n\n") < 0)
                goto fail;
        for (size_t i = 0; i < r->domains.n_items; i++) {
                const struct domain_item *it = &r->domains.items[i];

                if (it->finding[0] == '\0')
                        continue;
                if (buf_puts(out, "- ") < 0 ||
                    md_text(out, &tmp, it->finding, sizeof(it->finding)) < 0 ||
                    buf_puts(out, "; fix: ") < 0 ||
                    md_text(out, &tmp, it->fix, sizeof(it->fix)) < 0 || buf_puts(out, "\n") < 0)
                        goto fail;
        }
        rc = 0;
fail:
        attention_free(&att);
        buf_cleanup(&tmp);
        return rc;
}

/* ---- shared with the HTML report (html.h) ------------------------------------ */

void report_summary_line(const struct run_report *r, char *out, size_t len)
{
        summary_line(r, out, len);
}

void report_expected_observed(const struct scenario_result *s, char *out, size_t len)
{
        expected_observed(s, out, len);
}

const char *report_outcome_set(unsigned set, const char *sep, char *out, size_t len)
{
        return outcome_set_text(set, sep, out, len);
}

/* ---- files -------------------------------------------------------------- */

static int write_all(int fd, const char *p, size_t len)
{
        /* Bounded: each round writes at least one byte or fails (EINTR retried a few times). */
        int interrupted = 0;

        while (len > 0) {
                ssize_t n = write(fd, p, len);

                if (n < 0 && errno == EINTR && ++interrupted < 100)
                        continue;
                if (n <= 0) {
                        if (n == 0)
                                errno = EIO;
                        return -1;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

int report_write_atomic(const char *path, const struct buf *data, char *err, size_t errlen)
{
        char tmp[PATH_BUF], dir[PATH_BUF];
        const char *slash, *base, *what = NULL;
        struct stat st;
        int fd = -1, saved = 0, dfd;
        bool created = false;

        if (path == NULL || path[0] == '\0') {
                util_format(err, errlen, "(empty path): no file name");
                return -1;
        }
        slash = strrchr(path, '/');
        base = slash != NULL ? slash + 1 : path;
        if (base[0] == '\0') {
                util_format(err, errlen, "%s: no file name after the last '/'", path);
                return -1;
        }
        /* The temporary file sits next to the target: rename(2) is atomic only
         * within one file system. */
        if (snprintf(tmp, sizeof(tmp), "%.*s.%s.tmp-XXXXXX", slash ? (int)(slash - path + 1) : 0,
                     path, base) >= (int)sizeof(tmp) ||
            snprintf(dir, sizeof(dir), "%.*s", slash ? (int)(slash - path + 1) : 1,
                     slash ? path : ".") >= (int)sizeof(dir)) {
                util_format(err, errlen, "%s: path too long", path);
                return -1;
        }
        /* The rename would replace a device, a FIFO or a link (/dev/stdout) with a
         * regular file; preflight_report refuses them earlier, this is the last word. */
        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                util_format(err, errlen, "%s: not a regular file: use '-' for standard output",
                            path);
                return -1;
        }
        fd = mkstemp(tmp);
        if (fd < 0) {
                saved = errno;
                util_format(err, errlen, "%s: cannot create a temporary file in %s: %s", path, dir,
                            strerror(saved));
                return -1;
        }
        created = true;
        if (fchmod(fd, 0644) < 0)
                what = "cannot set the mode of";
        else if (write_all(fd, data->data, data->len) < 0)
                what = "cannot write";
        else if (fsync(fd) < 0)
                what = "cannot sync";
        if (what != NULL)
                goto fail;
        if (close(fd) < 0) {
                fd = -1;
                what = "cannot close";
                goto fail;
        }
        fd = -1;
        if (rename(tmp, path) < 0) {
                what = "cannot rename";
                goto fail;
        }
        /* The file is in place and complete; syncing the directory only makes the
         * rename durable, so a failure here is not reported as a failed write. */
        dfd = open(dir, O_RDONLY | O_DIRECTORY);
        if (dfd >= 0) {
                (void)fsync(dfd);
                close(dfd);
        }
        return 0;
fail:
        saved = errno;
        if (fd >= 0)
                close(fd);
        if (created)
                unlink(tmp);
        util_format(err, errlen, "%s: %s the temporary file %s: %s", path, what, tmp,
                    strerror(saved));
        return -1;
}

/* A scenario id that is safe as a file name in dir: no path, no hidden file. */
static bool safe_name(const char *id, size_t max)
{
        size_t n = strnlen(id, max);

        if (n == 0 || n == max || id[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++) {
                char c = id[i];

                if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '.' || c == '_' || c == '-'))
                        return false;
        }
        return true;
}

int report_write_transcripts(const char *dir, const struct run_report *r, char *err, size_t errlen)
{
        struct stat st;
        char path[PATH_BUF];
        struct buf data;

        if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
                util_format(err, errlen, "%s: cannot create the directory: %s", dir,
                            strerror(errno));
                return -1;
        }
        if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
                util_format(err, errlen, "%s: not a directory", dir);
                return -1;
        }
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];

                if (!safe_name(s->id, sizeof(s->id))) {
                        util_format(err, errlen,
                                    "%s: scenario id \"%.*s\" is not a safe file name; accepted: "
                                    "letters, digits, '.', '_', '-', not starting with '.'",
                                    dir, (int)strnlen(s->id, 40), s->id);
                        return -1;
                }
                if (snprintf(path, sizeof(path), "%s/%s.txt", dir, s->id) >= (int)sizeof(path)) {
                        util_format(err, errlen, "%s: path too long", dir);
                        return -1;
                }
                /* Borrowed view of the transcript: report_write_atomic only reads it. */
                data.data = s->transcript;
                data.len = s->transcript != NULL ? strlen(s->transcript) : 0;
                data.cap = data.len;
                data.limit = 0;
                if (report_write_atomic(path, &data, err, errlen) < 0)
                        return -1;
        }
        /* The streams no scenario owned; no scenario id has a '_' (docs/scenarios.md). */
        if (snprintf(path, sizeof(path), "%s/" REPORT_RUN_TRANSCRIPT, dir) >= (int)sizeof(path)) {
                util_format(err, errlen, "%s: path too long", dir);
                return -1;
        }
        data.data = r->refused.transcript;
        data.len = r->refused.transcript != NULL ? strlen(r->refused.transcript) : 0;
        data.cap = data.len;
        data.limit = 0;
        return report_write_atomic(path, &data, err, errlen);
}

int report_color_choice(const char *when, bool tty, const char *no_color, bool *out)
{
        if (when == NULL || strcmp(when, "auto") == 0)
                *out = tty && (no_color == NULL || no_color[0] == '\0');
        else if (strcmp(when, "always") == 0)
                *out = true;
        else if (strcmp(when, "never") == 0)
                *out = false;
        else
                return -1;
        return 0;
}

void report_table_row(FILE *f, const char *fixed, const char *text, int width)
{
        struct tw w = {.f = f, .width = width >= 20 ? width : 80, .bold = "", .reset = ""};
        int cols = text_cols(fixed, strlen(fixed));

        if (cols + 24 <= w.width) {
                fputs(fixed, f);
                tw_wrap_from(&w, cols, cols, text);
                return;
        }
        /* The fixed columns leave no room: them alone (cut at the edge when wider),
         * without their padding, then the text on the next lines. */
        {
                size_t n = strlen(fixed);
                char *trimmed;

                while (n > 0 && fixed[n - 1] == ' ')
                        n--;
                trimmed = strndup(fixed, n);
                cols = text_cols(fixed, n);
                tw_cell(&w, trimmed != NULL ? trimmed : fixed, cols < w.width ? cols : w.width,
                        true);
                free(trimmed);
        }
        fputc('\n', f);
        tw_wrap(&w, 4, 4, text);
}
