#include "xmlload.h"

#include <errno.h>
#include <stdarg.h>
#include <libxml/parser.h>
#include <libxml/relaxng.h>
#include <libxml/xmlerror.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "infile.h"
#include "schema.h"
#include "util.h"

int xmlload_read_file(const struct xmlload_where *w, size_t max, const char *limit, bool refuse_nul,
                      char **data, size_t *len)
{
        char why[256];
        char *b = NULL;
        size_t n = 0;

        switch (infile_read(w->file, max, &b, &n, why, sizeof(why))) {
        case INFILE_OK:
                break;
        case INFILE_TOO_LARGE: /* the limit is said in the format's own terms */
                xmlload_failf(w, 0, "file", "the file is %s; accepted: %s", why, limit);
                return -1;
        case INFILE_NOT_REGULAR:
                xmlload_failf(w, 0, "file", "%s; accepted: a regular file", why);
                return -1;
        case INFILE_NO_MEMORY:
                xmlload_failf(w, 0, "file", "out of memory; accepted: a smaller file");
                return -1;
        case INFILE_UNREADABLE:
        default:
                xmlload_failf(w, 0, "file", "%s; accepted: a readable file", why);
                return -1;
        }
        if (refuse_nul && memchr(b, '\0', n) != NULL) {
                xmlload_failf(w, 0, "file", "the file contains NUL bytes; accepted: UTF-8 XML");
                free(b);
                return -1;
        }
        *data = b;
        *len = n;
        return 0;
}

/* Keeps the first error, and the first element a validation error names. */
static void keep(struct xmlload_error *e, const xmlError *error)
{
        size_t n;

        if (error == NULL || error->level < XML_ERR_ERROR)
                return;
        if (e->node == NULL && error->node != NULL) {
                const xmlNode *node = error->node;

                if (node->type != XML_ELEMENT_NODE && node->parent != NULL)
                        node = node->parent;
                if (node->type == XML_ELEMENT_NODE) {
                        e->node = node;
                        e->line = error->line > 0 ? error->line : xmlGetLineNo(node);
                }
        }
        if (e->set)
                return;
        e->set = true;
        if (e->line <= 0)
                e->line = error->line;
        snprintf(e->msg, sizeof(e->msg), "%s", error->message != NULL ? error->message : "?");
        n = strlen(e->msg);
        while (n > 0 && (e->msg[n - 1] == '\n' || e->msg[n - 1] == ' '))
                e->msg[--n] = '\0';
}

static void parser_serror(void *ctx, xmlErrorPtr error)
{
        xmlParserCtxtPtr ctxt = ctx;

        keep(ctxt->_private, error);
}

static void schema_serror(void *ctx, xmlErrorPtr error)
{
        keep(ctx, error);
}

/* A DTD could declare entities; it is refused before any declaration is read. */
static void refuse_dtd(void *ctx, const xmlChar *name, const xmlChar *ext_id, const xmlChar *sys_id)
{
        xmlParserCtxtPtr ctxt = ctx;
        struct xmlload_error *e = ctxt->_private;

        (void)name;
        (void)ext_id;
        (void)sys_id;
        if (!e->set) {
                e->set = true;
                e->dtd = true;
                e->line = xmlSAX2GetLineNumber(ctxt);
                snprintf(e->msg, sizeof(e->msg), "a <!DOCTYPE> is not allowed");
        }
        xmlStopParser(ctxt);
}

/* The parse itself; e says why when it returns NULL. */
static xmlDocPtr parse(const char *data, size_t len, const char *url, struct xmlload_error *e)
{
        xmlParserCtxtPtr ctxt;
        xmlDocPtr doc;

        memset(e, 0, sizeof(*e));
        if (len > (size_t)0x7fffffff) {
                e->set = true;
                snprintf(e->msg, sizeof(e->msg), "the document is too large");
                return NULL;
        }
        ctxt = xmlNewParserCtxt();
        if (ctxt == NULL) {
                e->set = true;
                snprintf(e->msg, sizeof(e->msg), "out of memory");
                return NULL;
        }
        ctxt->_private = e;
        ctxt->sax->serror = parser_serror;
        ctxt->sax->internalSubset = refuse_dtd;
        /* No NOENT (entities stay unexpanded), never HUGE, no network (toolchain.md §2a). */
        doc = xmlCtxtReadMemory(ctxt, data, (int)len, url, NULL,
                                XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
        if (doc != NULL && (doc->intSubset != NULL || doc->extSubset != NULL) && !e->set) {
                e->set = true;
                e->dtd = true;
                snprintf(e->msg, sizeof(e->msg), "a <!DOCTYPE> is not allowed");
        }
        if (doc != NULL && (!ctxt->wellFormed || e->set)) {
                xmlFreeDoc(doc);
                doc = NULL;
        }
        if (doc == NULL && !e->set) {
                e->set = true;
                snprintf(e->msg, sizeof(e->msg), "the document cannot be parsed");
        }
        if (doc == NULL) {
                char why[sizeof(e->msg)];

                snprintf(why, sizeof(why), "%s", e->msg);
                snprintf(e->msg, sizeof(e->msg), "%.200s; accepted: %s", why,
                         e->dtd ? "XML without a DTD or entity declarations" : "well-formed XML");
        }
        xmlFreeParserCtxt(ctxt);
        return doc;
}

xmlDocPtr xmlload_parse(const struct xmlload_where *w, const char *data, size_t len)
{
        struct xmlload_error e;
        xmlDocPtr doc = parse(data, len, w->file, &e);

        if (doc == NULL)
                xmlload_failf(w, e.line, "XML", "%s", e.msg);
        return doc;
}

/*
 * The built-in schemas, each compiled at its first use and kept for the process
 * (compiling the scenario schema cost 54 of the 66 ms of a one-scenario run when
 * every file compiled it again: docs/performance.md). Used from the main thread
 * only (the DNS lookup threads never load files); freed at exit.
 */
static struct compiled {
        const char *name;
        xmlRelaxNGPtr rng;
} compiled[8];
static size_t n_compiled;

static void compiled_free(void)
{
        for (size_t i = 0; i < n_compiled; i++)
                xmlRelaxNGFree(compiled[i].rng);
        n_compiled = 0;
}

/* The compiled schema called name, compiling text at the first call; NULL when it
 * does not compile (e says why when libxml2 did). */
static xmlRelaxNGPtr compiled_get(const char *name, const char *text, size_t len,
                                  struct xmlload_error *e)
{
        xmlRelaxNGParserCtxtPtr pctxt;
        xmlRelaxNGPtr rng;

        for (size_t i = 0; i < n_compiled; i++) {
                if (strcmp(compiled[i].name, name) == 0)
                        return compiled[i].rng;
        }
        pctxt = xmlRelaxNGNewMemParserCtxt(text, (int)len);
        if (pctxt == NULL)
                return NULL;
        xmlRelaxNGSetParserStructuredErrors(pctxt, schema_serror, e);
        rng = xmlRelaxNGParse(pctxt);
        xmlRelaxNGFreeParserCtxt(pctxt);
        if (rng == NULL)
                return NULL;
        if (n_compiled == ARRAY_LEN(compiled))
                return rng; /* not kept: the caller frees what is not in the table */
        if (n_compiled == 0)
                atexit(compiled_free);
        compiled[n_compiled].name = name;
        compiled[n_compiled].rng = rng;
        n_compiled++;
        return rng;
}

static bool compiled_kept(xmlRelaxNGPtr rng)
{
        for (size_t i = 0; i < n_compiled; i++) {
                if (compiled[i].rng == rng)
                        return true;
        }
        return false;
}

int xmlload_validate(const struct xmlload_where *w, xmlDocPtr doc, const char *schema,
                     struct xmlload_error *e)
{
        xmlRelaxNGPtr rng = NULL;
        xmlRelaxNGValidCtxtPtr vctxt = NULL;
        const char *text;
        size_t len;
        int rc = -1;

        memset(e, 0, sizeof(*e));
        text = schema_get(schema, &len);
        if (text == NULL) {
                xmlload_failf(w, 0, "XML", "internal: the %s schema is not built in; accepted: -",
                              schema);
                return -1;
        }
        rng = compiled_get(schema, text, len, e);
        if (rng == NULL)
                goto internal;
        vctxt = xmlRelaxNGNewValidCtxt(rng);
        if (vctxt == NULL)
                goto internal;
        xmlRelaxNGSetValidStructuredErrors(vctxt, schema_serror, e);
        rc = xmlRelaxNGValidateDoc(vctxt, doc) == 0 ? 1 : 0;
        if (rc == 0 && !e->set) {
                e->set = true;
                snprintf(e->msg, sizeof(e->msg), "the document does not match the schema");
        }
        goto done;
internal:
        xmlload_failf(w, 0, "XML", "internal: the built-in schema does not load (%s); accepted: -",
                      e->set ? e->msg : "out of memory");
        rc = -1;
done:
        xmlRelaxNGFreeValidCtxt(vctxt);
        if (rng != NULL && !compiled_kept(rng))
                xmlRelaxNGFree(rng);
        return rc;
}

static void drop(void *ctx, xmlErrorPtr error)
{
        (void)ctx;
        (void)error;
}

void xmlload_quiet(struct xmlload_quiet *saved)
{
        saved->handler = xmlStructuredError;
        saved->ctx = xmlStructuredErrorContext;
        xmlSetStructuredErrorFunc(NULL, drop);
}

void xmlload_unquiet(const struct xmlload_quiet *saved)
{
        xmlSetStructuredErrorFunc(saved->ctx, saved->handler);
}

void xmlload_error_line(char *err, size_t errlen, const char *file, long line, const char *field,
                        const char *msg)
{
        if (err == NULL || errlen == 0)
                return;
        if (line > 0)
                snprintf(err, errlen, "%s:%ld: %s: %s", file, line, field, msg);
        else
                snprintf(err, errlen, "%s: %s: %s", file, field, msg);
        /* One line, whatever the input or libxml2's message held ("...!\nBytes: 0xC3"). */
        for (char *c = err; *c != '\0'; c++) {
                if (*c == '\n' || *c == '\r' || *c == '\t')
                        *c = ' ';
                else if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        *c = '?';
        }
}

void xmlload_failf(const struct xmlload_where *w, long line, const char *field, const char *fmt,
                   ...)
{
        char msg[768];
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(msg, sizeof(msg), fmt, ap);
        va_end(ap);
        xmlload_error_line(w->err, w->errlen, w->file, line, field, msg);
}
