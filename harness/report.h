/*
 * Reports of a run (design.md §3): the terminal table and summary, the JSON
 * contract (docs/report-json.md), JUnit XML for CI (docs/report-junit.md), one
 * transcript file per scenario, and the runner's progress line. Every function
 * borrows the run_report; none changes it (classify.h fills in the summary first).
 */
#ifndef S2S_REPORT_H
#define S2S_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "results.h"

struct json; /* json.h (not included: fleet.c and reportdiff.c use jansson) */

/* The "schema" field of the JSON report; bumped on any incompatible change. */
#define REPORT_JSON_SCHEMA 2

/* key: the outcome codes of set (OUTCOME_BIT) as a JSON array, in code order, []
 * for none: the form of every list of codes in the JSON outputs (run report,
 * list --json; docs/report-json.md). */
void report_json_outcomes(struct json *j, const char *key, unsigned set);

struct report_text_options {
        bool color;   /* ANSI colours (report_color_choice); else no escape sequence */
        bool verbose; /* the full per-scenario table too (--verbose, --table) */
        int width;    /* columns to wrap and cut at (command_term_width); < 20: 80 */
};

/*
 * Writes the terminal report to f (docs/cli.md "The text report"): the header;
 * with verbose the table of every scenario (cause and rule under every row that is
 * not a match); what needs attention, one entry per cause (attention.h) with the
 * scenarios it covers; the findings and choices; then at the end, where the eye
 * lands, the summary, the classification, the domains verdict, the suggested
 * cmdlet and a legend of the codes used. No line is wider than o->width.
 * Returns 0, or -1 when writing to f failed.
 */
int report_text_with(FILE *f, const struct run_report *r, const struct report_text_options *o);

/* report_text_with verbose and with no width limit: every line whole (tests). */
int report_text(FILE *f, const struct run_report *r, bool color);

/*
 * One row of a text table (list, matrix) within width columns (< 20: 80): fixed (the
 * padded columns) as it is, then text (the last, free column) word-wrapped under its
 * column; when fixed leaves it fewer than 24 columns, fixed is cut (with an
 * ellipsis) and text follows on lines indented by 4. The terminal report's width
 * function, so that every table of the tool follows the terminal alike.
 */
void report_table_row(FILE *f, const char *fixed, const char *text, int width);

/*
 * --color WHEN (auto, always, never; NULL is auto): whether to colour a report on a
 * stream. auto: tty and no_color (the NO_COLOR variable, NULL when unset) unset or
 * empty (no-color.org). 0 with *out set, or -1 for any other WHEN.
 */
int report_color_choice(const char *when, bool tty, const char *no_color, bool *out);

/*
 * Appends the JSON report (docs/report-json.md, "schema": 1) to out, one object
 * and a newline. Text from the wire is made valid UTF-8 (invalid bytes become
 * U+FFFD). Returns 0, or -1 when out refused the bytes (out then holds a partial
 * document; the caller discards it).
 */
int report_json(const struct run_report *r, struct buf *out);

/*
 * Appends the JUnit XML report (docs/report-junit.md) to out, written with
 * libxml2's xmlTextWriter. Text is made well-formed XML 1.0 first (invalid UTF-8
 * and the C0 controls XML forbids become U+FFFD). Returns 0, or -1 on a libxml2
 * or memory failure (out unchanged then).
 */
int report_junit(const struct run_report *r, struct buf *out);

/* Appends the run's Markdown summary (docs/cli.md "Reports": the verdict line, the
 * classification and cmdlet, what needs attention grouped by cause, the domains
 * verdict), for $GITHUB_STEP_SUMMARY or a merge request note. 0, or -1 out of memory. */
int report_markdown(const struct run_report *r, struct buf *out);

/*
 * Writes data to path so that path holds either its old content or all of data,
 * never a part: a temporary file in the same directory, written, fsync'd, then
 * renamed over path (mode 0644). On any failure the temporary file is removed and
 * err gets "path: what failed: why". Returns 0 or -1.
 */
int report_write_atomic(const char *path, const struct buf *data, char *err, size_t errlen);

/* The run-level transcript's file name in the --transcripts directory: the streams
 * the harness refused outside any scenario (refusals.h). Scenario ids have no '_'. */
#define REPORT_RUN_TRANSCRIPT "_run.txt"

/*
 * Writes each scenario's transcript to dir/<id>.txt (atomically, as above; an
 * empty file when there is none), creating dir (mode 0755) when missing. An id
 * that is not a safe file name ([A-Za-z0-9._-], not starting with '.') is refused.
 * Also writes the run-level transcript, dir/REPORT_RUN_TRANSCRIPT (empty when no
 * stream was refused outside any scenario).
 * Returns 0, or -1 with err set at the first failure (files written before stay).
 */
int report_write_transcripts(const char *dir, const struct run_report *r, char *err, size_t errlen);

/*
 * Shows the runner's progress after a scenario finished (just_finished may be
 * NULL, e.g. before the first). On a TTY: one line rewritten in place with a
 * carriage return, ended with a newline when done == total. Otherwise one plain
 * line per call. Never colours.
 */
void report_progress(FILE *f, bool tty, size_t done, size_t total,
                     const struct scenario_result *just_finished);

/*
 * Appends the HTML report (docs/report-html.md; harness/html.c) to out: the verdict
 * and the cmdlet first, the matrix as grids (this run; what the configured row, and
 * the suggested one when one class explains the run, imply), the domains verdict,
 * what needs attention grouped by cause with the rules' text, then one collapsible
 * section per scenario with its transcript, and the rules cited. Self-contained, no
 * script, every text escaped (html_text, html.h). Returns 0, or -1 out of memory
 * (out then holds a partial document).
 */
int report_html(const struct run_report *r, struct buf *out);

/* The run in one line, as the text report's summary: "negotiation: matches M8 (E1);
 * domains: 3 of 3 served" (for the HTML report, html.h). */
void report_summary_line(const struct run_report *r, char *out, size_t len);

/* "expected Dt (or F3), observed F1|F4" for one result. */
void report_expected_observed(const struct scenario_result *s, char *out, size_t len);

/* "F1|F4" for a set of outcome codes (OUTCOME_BIT) joined by sep; "" for none. Returns out. */
const char *report_outcome_set(unsigned set, const char *sep, char *out, size_t len);

#endif
