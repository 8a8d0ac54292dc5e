/*
 * The HTML report (`run --html FILE`, docs/report-html.md): one self-contained
 * file to read in a browser or attach to a ticket. No external asset, no script, no
 * network: a strict Content-Security-Policy says so to the browser. Every text,
 * above all the partner's bytes in the transcripts, is escaped.
 */
#ifndef S2S_HTML_H
#define S2S_HTML_H

#include <stddef.h>

#include "buf.h"

/* report_html (declared in report.h with the other formats) is written here. */

/*
 * Appends the first len bytes of s to out as HTML text, also safe inside a quoted
 * attribute: & < > " ' become references; invalid UTF-8, the C0 controls but TAB,
 * LF and CR, DEL, the C1 controls and the noncharacters U+FFFE and U+FFFF become
 * U+FFFD. Returns 0, or -1 out of memory.
 */
int html_text(struct buf *out, const char *s, size_t len);

#endif
