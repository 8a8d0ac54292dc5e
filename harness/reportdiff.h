/*
 * Baselines (issue 13 item 3, docs/cli.md "diff"): what changed between two run
 * reports (report.json), per scenario and per partner domain, ignoring what differs
 * between any two runs (times, stream ids, ports, transcripts, cause texts): new
 * mismatches (regressions), fixed ones, changed verdicts and observed outcomes, added
 * and removed scenarios, and a changed classification. Reads JSON with jansson; this
 * header does not expose it (json.h and jansson.h do not mix, json.h).
 */
#ifndef S2S_REPORTDIFF_H
#define S2S_REPORTDIFF_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

struct reportdiff_sum {
        bool changed; /* anything at all differs */
        bool worse;   /* a regression: docs/cli.md "diff" says which changes are */
        size_t regressions, fixed, verdicts, observed, added, removed, domains;
        bool classification_changed;
};

/*
 * Compares the report in old_path with the one in new_path, or with new_text when it
 * is not NULL (new_path is then only its label). Appends the text form, or with json
 * the JSON form (docs/report-json.md "Diff"), to out and fills *sum. Returns 0, or -1
 * with a one-line message in err (a file that does not read or is not a run report).
 */
int reportdiff(const char *old_path, const char *new_path, const struct buf *new_text, bool json,
               struct buf *out, struct reportdiff_sum *sum, char *err, size_t errlen);

/* Whether path holds a run report reportdiff can read: 0, or -1 with err (checked
 * before a run with --baseline, so that a bad baseline costs no run). */
int reportdiff_check(const char *path, char *err, size_t errlen);

#endif
