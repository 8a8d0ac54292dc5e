/*
 * Strict loading of s2scheck's own XML files (partner configurations, scenarios,
 * quirks): a bounded read, a parse that refuses any DTD and never touches the
 * network, validation against a RELAX NG schema built into the program
 * (schema.h). libxml2's messages are captured with their line, never printed
 * (toolchain.md §2a). Errors are one line, "FILE:LINE: FIELD: what; accepted: what
 * would do"; each format explains its own schema errors in its own terms.
 */
#ifndef S2S_XMLLOAD_H
#define S2S_XMLLOAD_H

#include <libxml/tree.h>
#include <stdbool.h>
#include <stddef.h>

/* One loader run: the file it reads and where its one-line error goes. */
struct xmlload_where {
        const char *file;
        char *err;
        size_t errlen;
};

/* The first error libxml2 reported (later ones only confuse). */
struct xmlload_error {
        bool set;
        bool dtd;            /* a <!DOCTYPE> was refused */
        long line;           /* 0: unknown */
        char msg[320];       /* libxml2's message, trailing newline removed */
        const xmlNode *node; /* validation: the element at fault, when known */
};

/*
 * Parses data, the contents of w->file, as one XML document. No DTD (refused
 * before any declaration is read), no entity expansion, no network, never
 * XML_PARSE_HUGE. Returns the document (xmlFreeDoc), or NULL with the error in w:
 * "FILE:LINE: XML: what; accepted: what would do".
 */
xmlDocPtr xmlload_parse(const struct xmlload_where *w, const char *data, size_t len);

/*
 * Validates doc against the built-in schema harness/schema/<schema>.rng.
 * Returns 1 valid; 0 invalid, with e holding libxml2's first error and the
 * element at fault, for the format to explain in its own terms; or -1 when the
 * schema itself cannot be used (an internal error, written into w). Each schema
 * is compiled once per process, at its first use, and freed at exit.
 */
int xmlload_validate(const struct xmlload_where *w, xmlDocPtr doc, const char *schema,
                     struct xmlload_error *e);

/*
 * Silences libxml2's global error handler until xmlload_unquiet restores it
 * (validation errors of other contexts would otherwise be printed). Keep the
 * pair in one function.
 */
struct xmlload_quiet {
        xmlStructuredErrorFunc handler;
        void *ctx;
};
void xmlload_quiet(struct xmlload_quiet *saved);
void xmlload_unquiet(const struct xmlload_quiet *saved);

/*
 * Writes "FILE:LINE: FIELD: message" into w->err (xmlload_error_line), the message
 * formatted like printf.
 */
void xmlload_failf(const struct xmlload_where *w, long line, const char *field, const char *fmt,
                   ...) __attribute__((format(printf, 4, 5)));

/*
 * Reads w->file whole into *data (NUL-terminated, caller frees) and its length into
 * *len: at most max bytes (limit says it for people: "at most 64 KiB per scenario");
 * with refuse_nul a NUL byte is refused (partner files explain theirs themselves).
 * Returns 0, or -1 with the error in w ("FILE: file: cannot open: ...; accepted: ...").
 */
int xmlload_read_file(const struct xmlload_where *w, size_t max, const char *limit, bool refuse_nul,
                      char **data, size_t *len);

/*
 * Writes the one-line load error "FILE:LINE: FIELD: message" (":LINE" only when
 * line > 0) into err; control characters from the input or libxml2's messages
 * become spaces or '?', so the line stays one line. msg is already formatted.
 */
void xmlload_error_line(char *err, size_t errlen, const char *file, long line, const char *field,
                        const char *msg);

#endif
