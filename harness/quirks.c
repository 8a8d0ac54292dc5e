#include "quirks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "settings.h"
#include "util.h"
#include "xmlload.h"

#define QUIRKS_NS "urn:s2scheck:quirks:1"
#define QUIRKS_ACCEPTED                                                                            \
        "<quirks xmlns=\"" QUIRKS_NS "\" partner=\"NAME\"> with <quirk scenario=\"ID\" "           \
        "reason=\"TEXT\"/> elements, optionally partner-tls, partner-sasl (Required Optional "     \
        "NotSupported) and partner-dialback (true, false) (docs/scenarios.md)"

static bool is_ours(const xmlNode *n, const char *name)
{
        return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
               xmlStrEqual(n->ns->href, BAD_CAST QUIRKS_NS) && xmlStrEqual(n->name, BAD_CAST name);
}

static struct scenario *find(struct scenario_suite *suite, const char *id)
{
        for (size_t i = 0; i < suite->n; i++)
                if (strcmp(suite->items[i].id, id) == 0)
                        return &suite->items[i];
        return NULL;
}

/* s with every run of XML whitespace made one space, trimmed; NULL on OOM. */
static char *one_line(const char *s)
{
        char *out = malloc(strlen(s) + 1), *o = out;
        bool gap = false;

        if (out == NULL)
                return NULL;
        for (; *s != '\0'; s++) {
                if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
                        gap = o != out;
                        continue;
                }
                if (gap)
                        *o++ = ' ';
                gap = false;
                *o++ = *s;
        }
        *o = '\0';
        return out;
}

/* One pending change: applied only when the whole file is good. */
struct change {
        struct scenario *s;
        char *reason;
        char *at;
};

/* Whether the space-separated negotiation values of attribute name (absent: any)
 * include v. The schema has checked the words. */
static bool neg_listed(const xmlNode *q, const char *name, enum neg v)
{
        xmlChar *raw = xmlGetNoNsProp(q, BAD_CAST name);
        bool hit = false;
        char *save = NULL;

        if (raw == NULL)
                return true;
        for (char *w = strtok_r((char *)raw, " \t\r\n", &save); w != NULL;
             w = strtok_r(NULL, " \t\r\n", &save)) {
                enum neg n;

                if (neg_parse(w, &n) == 0 && n == v)
                        hit = true;
        }
        xmlFree(raw);
        return hit;
}

/* Whether the quirk's conditions hold for partner (NULL: always). */
static bool applies(const xmlNode *q, const struct neg_settings *partner)
{
        xmlChar *db;
        bool ok;

        if (partner == NULL)
                return true;
        if (!neg_listed(q, "partner-tls", partner->tls) ||
            !neg_listed(q, "partner-sasl", partner->sasl))
                return false;
        db = xmlGetNoNsProp(q, BAD_CAST "partner-dialback");
        ok = db == NULL || xmlStrEqual(db, BAD_CAST(partner->dialback ? "true" : "false"));
        xmlFree(db);
        return ok;
}

/* Checks one <quirk> against the suite and the changes before it; fills *c. */
static int check_quirk(struct scenario_suite *suite, const struct xmlload_where *w,
                       const xmlNode *q, const struct neg_settings *partner,
                       const struct change *done, size_t n_done, struct change *c)
{
        long line = xmlGetLineNo(q);
        xmlChar *id = xmlGetNoNsProp(q, BAD_CAST "scenario");
        xmlChar *reason = xmlGetNoNsProp(q, BAD_CAST "reason");
        char at[1100];
        int rc = -1;

        if (id == NULL || reason == NULL) { /* the schema requires both */
                xmlload_failf(w, line, "quirk", "out of memory; accepted: -");
                goto done;
        }
        c->s = find(suite, (const char *)id);
        if (c->s == NULL) {
                xmlload_failf(w, line, "quirk@scenario",
                              "no scenario of the suite has the id \"%.64s\"; accepted: an id that "
                              "`s2scheck list` shows",
                              (const char *)id);
                goto done;
        }
        if (!applies(q, partner)) {
                c->s = NULL; /* not for this partner configuration */
                rc = 0;
                goto done;
        }
        for (size_t i = 0; i < n_done; i++) {
                if (done[i].s == c->s) {
                        xmlload_failf(w, line, "quirk@scenario",
                                      "\"%s\" is also listed at %s; accepted: each scenario once",
                                      c->s->id, done[i].at);
                        goto done;
                }
        }
        if (c->s->quirk_at != NULL) {
                xmlload_failf(
                    w, line, "quirk@scenario",
                    "\"%s\" is also listed at %s; accepted: each scenario once across all "
                    "--quirks files",
                    c->s->id, c->s->quirk_at);
                goto done;
        }
        if (c->s->xfail != NULL) {
                xmlload_failf(
                    w, line, "quirk@scenario",
                    "%s:%ld already expects a deviation (<xfail reason=\"%.80s\">); accepted: "
                    "a scenario without <xfail>",
                    c->s->file, c->s->line, c->s->xfail);
                goto done;
        }
        snprintf(at, sizeof(at), "%s:%ld", w->file, line);
        c->reason = one_line((const char *)reason);
        c->at = strdup(at);
        if (c->reason == NULL || c->at == NULL) {
                free(c->reason);
                free(c->at);
                xmlload_failf(w, line, "quirk", "out of memory; accepted: -");
                goto done;
        }
        rc = 0;
done:
        xmlFree(id);
        xmlFree(reason);
        return rc;
}

static int apply_doc(struct scenario_suite *suite, const struct xmlload_where *w,
                     const xmlNode *root, const struct neg_settings *partner)
{
        struct change *ch = NULL;
        size_t n = 0, cap = 0;
        int rc = -1;

        for (const xmlNode *q = root->children; q != NULL; q = q->next) {
                if (!is_ours(q, "quirk"))
                        continue;
                if (n == cap) {
                        size_t ncap = cap != 0 ? cap * 2 : 16;
                        struct change *grown = realloc(ch, ncap * sizeof(*grown));

                        if (grown == NULL) {
                                xmlload_failf(w, xmlGetLineNo(q), "quirk",
                                              "out of memory; accepted: fewer quirks");
                                goto done;
                        }
                        ch = grown;
                        cap = ncap;
                }
                memset(&ch[n], 0, sizeof(ch[n]));
                if (check_quirk(suite, w, q, partner, ch, n, &ch[n]) != 0)
                        goto done;
                if (ch[n].s != NULL)
                        n++;
        }
        for (size_t i = 0; i < n; i++) {
                ch[i].s->xfail = ch[i].reason;
                ch[i].s->quirk_at = ch[i].at;
        }
        n = 0;
        rc = 0;
done:
        for (size_t i = 0; i < n; i++) {
                free(ch[i].reason);
                free(ch[i].at);
        }
        free(ch);
        return rc;
}

static bool known_attr(const xmlAttr *a)
{
        static const char *const known[] = {"scenario", "reason", "partner-tls", "partner-sasl",
                                            "partner-dialback"};

        if (a->ns != NULL)
                return false;
        for (size_t i = 0; i < ARRAY_LEN(known); i++)
                if (xmlStrEqual(a->name, BAD_CAST known[i]))
                        return true;
        return false;
}

/* libxml2 says only "Element quirk failed to validate attributes": name what. */
static void explain(const struct xmlload_where *w, const struct xmlload_error *e)
{
        const xmlNode *q = e->node;
        xmlChar *v;
        int n;

        if (q != NULL && is_ours(q, "quirk")) {
                for (const xmlAttr *a = q->properties; a != NULL; a = a->next) {
                        if (!known_attr(a)) {
                                xmlload_failf(
                                    w, e->line, "quirk",
                                    "attribute %s is not part of the format; accepted: %s",
                                    (const char *)a->name, QUIRKS_ACCEPTED);
                                return;
                        }
                }
                v = xmlGetNoNsProp(q, BAD_CAST "scenario");
                if (v == NULL) {
                        xmlload_failf(w, e->line, "quirk@scenario",
                                      "the attribute is missing; accepted: a scenario id");
                        return;
                }
                xmlFree(v);
                v = xmlGetNoNsProp(q, BAD_CAST "reason");
                n = v != NULL ? xmlStrlen(v) : -1;
                xmlFree(v);
                if (n < 1 || n > 300) {
                        xmlload_failf(w, e->line, "quirk@reason",
                                      "the reason is %s; accepted: 1-300 bytes",
                                      n < 0    ? "missing"
                                      : n == 0 ? "empty"
                                               : "too long");
                        return;
                }
        }
        xmlload_failf(w, e->line, q != NULL ? (const char *)q->name : "XML", "%s; accepted: %s",
                      e->msg, QUIRKS_ACCEPTED);
}

int quirks_apply(struct scenario_suite *suite, const char *file, const struct neg_settings *partner,
                 char *err, size_t errlen)
{
        const struct xmlload_where w = {file != NULL ? file : "(null)", err, errlen};
        struct xmlload_quiet quiet;
        struct xmlload_error e;
        xmlDocPtr doc = NULL;
        const xmlNode *root;
        char *data = NULL;
        size_t len = 0;
        int v, rc = -1;

        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (file == NULL) {
                xmlload_failf(&w, 0, "file", "no file name; accepted: a path");
                return -1;
        }
        if (xmlload_read_file(&w, QUIRKS_FILE_MAX, "at most 256 KiB", true, &data, &len) != 0)
                return -1;
        xmlload_quiet(&quiet);
        doc = xmlload_parse(&w, data, len);
        if (doc == NULL)
                goto done;
        root = xmlDocGetRootElement(doc);
        if (root == NULL || !is_ours(root, "quirks")) {
                xmlload_failf(
                    &w, root != NULL ? xmlGetLineNo(root) : 0, "XML",
                    "the root element <%s> (namespace \"%s\") is not a quirks list; accepted: "
                    "%s",
                    root != NULL ? (const char *)root->name : "",
                    root != NULL && root->ns != NULL ? (const char *)root->ns->href : "none",
                    QUIRKS_ACCEPTED);
                goto done;
        }
        v = xmlload_validate(&w, doc, "quirks", &e);
        if (v < 0)
                goto done;
        if (v == 0) {
                explain(&w, &e);
                goto done;
        }
        rc = apply_doc(suite, &w, root, partner);
done:
        xmlload_unquiet(&quiet);
        xmlFreeDoc(doc);
        free(data);
        return rc;
}
