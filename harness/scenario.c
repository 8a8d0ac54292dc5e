#include "scenario.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "checks.h"
#include "misbehave.h"
#include "rules.h"
#include "util.h"
#include "xmlload.h"

#define SCENARIO_NS "urn:s2scheck:scenario:1"
#define BOTH (SCENARIO_DIR_OUT | SCENARIO_DIR_IN)

/* ---- name tables ------------------------------------------------------------- */

static const struct scenario_name_info knobs[KNOB_COUNT] = {
    [KNOB_ON_BAD_PEER_CERT] = {"on-bad-peer-cert", BOTH, "H-CERT-POLICY; DB-12",
                               "a partner certificate that fails the harness's check: reference "
                               "= close when the harness's TLS is Required, else go on with "
                               "dialback",
                               "reference, abort, continue"},
    [KNOB_DIALBACK_OFF_REPLY] = {"dialback-off-reply", BOTH, "DB-14",
                                 "what a harness with dialback false answers to <db:result/>",
                                 "stream-error, db-error, ignore"},
    [KNOB_DIALBACK_AFTER_SASL_FAILURE] = {"dialback-after-sasl-failure", BOTH, "SASL-6",
                                          "after <failure/> to EXTERNAL, go on with dialback "
                                          "when allowed (default true)",
                                          "true, false"},
    [KNOB_SASL_SEND_AUTHZID] = {"sasl-send-authzid", BOTH, "SASL-5",
                                "send base64(from) as authzid instead of \"=\" (default false)",
                                "true, false"},
    [KNOB_DIALBACK_REQUIRES_VALID_CERT] = {"dialback-requires-valid-cert", BOTH, "DB-7",
                                           "accept dialback only from a peer whose certificate "
                                           "is valid for the sender (default false)",
                                           "true, false"},
    [KNOB_DECLARE_DB_WITHOUT_METHOD] = {"declare-db-without-method", BOTH, "DB-1",
                                        "declare xmlns:db even without a dialback method "
                                        "(default false)",
                                        "true, false"},
    [KNOB_SASL_MAX_FAILURES] = {"sasl-max-failures", BOTH, "SASL-7",
                                "SASL failures before <policy-violation/> (default: the "
                                "engine's)",
                                "a whole number 1-10"},
    [KNOB_WHITESPACE_KEEPALIVES] = {"whitespace-keepalives", SCENARIO_DIR_OUT, "H-KEEPALIVE",
                                    "whitespace keepalives the harness writes on its stream "
                                    "right after authentication, before the ping (default 0)",
                                    "a whole number 0-10"},
};

static const char *const db_answer_names[] = {"truthful", "valid", "invalid", "error", "none"};

/* Whether a <spec> is meant as a rule id: "STR-", "TLS-", "SASL-", "DB-" or "H-"
 * followed by capitals, digits and dashes only. */
static bool looks_like_rule_id(const char *v)
{
        static const char *const prefixes[] = {"STR-", "TLS-", "SASL-", "DB-", "H-"};
        size_t k = 0;

        for (size_t i = 0; i < ARRAY_LEN(prefixes) && k == 0; i++)
                if (strncmp(v, prefixes[i], strlen(prefixes[i])) == 0)
                        k = strlen(prefixes[i]);
        if (k == 0 || v[k] == '\0')
                return false;
        for (const char *p = v + k; *p != '\0'; p++)
                if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '-'))
                        return false;
        return true;
}

const struct scenario_name_info *scenario_checks(void)
{
        return check_names();
}

const struct scenario_name_info *scenario_knobs(void)
{
        return knobs;
}

const char *db_answer_name(enum db_answer a)
{
        if ((unsigned)a >= ARRAY_LEN(db_answer_names))
                return "?";
        return db_answer_names[a];
}

/* ---- errors -------------------------------------------------------------------- */

/* Joins the names of a table into "a, b, c" (bounded). */
static const char *names_list(const struct scenario_name_info *t, size_t n, unsigned dirs,
                              char *buf, size_t len)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (t[i].dirs & dirs)
                        util_list_add(buf, len, &used, t[i].name);
        }
        return buf;
}

static const char *dirs_text(unsigned dirs)
{
        if (dirs == BOTH)
                return "outbound or inbound";
        return dirs == SCENARIO_DIR_OUT ? "outbound" : "inbound";
}

/* ---- reading a file -------------------------------------------------------------- */

static int read_file(struct xmlload_where *ld, char **data, size_t *len)
{
        return xmlload_read_file(ld, SCENARIO_FILE_MAX, "at most 64 KiB per scenario", true, data,
                                 len);
}

static bool is_ours(const xmlNode *n, const char *name)
{
        return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
               xmlStrEqual(n->ns->href, BAD_CAST SCENARIO_NS) &&
               (name == NULL || xmlStrEqual(n->name, BAD_CAST name));
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* s with XML whitespace trimmed and inner runs collapsed to one space; NULL on OOM. */
static char *collapse(const char *s)
{
        char *out = malloc(strlen(s) + 1), *o;
        bool space = false;

        if (out == NULL)
                return NULL;
        o = out;
        for (; *s != '\0'; s++) {
                if (is_space(*s)) {
                        space = o != out;
                        continue;
                }
                if (space)
                        *o++ = ' ';
                space = false;
                *o++ = *s;
        }
        *o = '\0';
        return out;
}

static char *node_text(const xmlNode *n)
{
        xmlChar *raw = xmlNodeGetContent(n);
        char *out;

        if (raw == NULL)
                return strdup("");
        out = collapse((const char *)raw);
        xmlFree(raw);
        return out;
}

/* An attribute's value, collapsed; NULL when absent (or on OOM, with *oom set). */
static char *attr_text(const xmlNode *n, const char *name, bool *oom)
{
        xmlChar *raw = xmlGetNoNsProp(n, BAD_CAST name);
        char *out;

        if (raw == NULL)
                return NULL;
        out = collapse((const char *)raw);
        xmlFree(raw);
        if (out == NULL)
                *oom = true;
        return out;
}

/* ---- explaining a schema failure --------------------------------------------------- */

/*
 * libxml2's RELAX NG messages name an element but rarely the rule ("Element
 * scenario failed to validate content"). The schema decides; this walk only
 * finds the first element (document order) that breaks a rule and says it in
 * the format's own terms. When it finds nothing, libxml2's message is used.
 */
struct attr_rule {
        const char *name;
        const char *values; /* space-separated accepted values, NULL: free text */
        bool required;
        bool list; /* a space-separated list of values */
};

struct elem_rule {
        const char *name;
        const char *parent; /* NULL: the root */
        unsigned max;       /* per parent; 0: any number */
        bool text;          /* holds text (no child elements) */
        const char *accepted;
        struct attr_rule attrs[4];
};

#define NEG_VALUES "Required Optional NotSupported"
#define BOOL_VALUES "true false"

static const struct elem_rule elem_rules[] = {
    {"scenario",
     NULL,
     1,
     false,
     "<scenario id=\"ID\" direction=\"outbound|inbound\">",
     {{"id", NULL, true, false}, {"direction", "outbound inbound", true, false}}},
    {"title", "scenario", 1, true, "one line of text", {{0}}},
    {"tag", "scenario", 0, true, "a tag", {{0}}},
    {"spec", "scenario", 0, true, "a rule id of docs/rules.md such as \"TLS-9\"", {{0}}},
    {"harness",
     "scenario",
     1,
     false,
     "<harness tls=\"...\" sasl=\"...\" dialback=\"...\" semantics=\"...\"/>",
     {{"tls", NEG_VALUES, false, false},
      {"sasl", NEG_VALUES, false, false},
      {"dialback", BOOL_VALUES, false, false},
      {"semantics", "matrix strict", false, false}}},
    {"certificate",
     "scenario",
     1,
     false,
     "<certificate variant=\"...\"/>",
     {{"variant",
       "default all dns srv srvclient xmpp wildcard cn expired notyet wrongname selfsigned ca2 "
       "serverauth clientauth chain nointermediate none",
       true, false}}},
    {"authoritative",
     "scenario",
     1,
     false,
     "<authoritative answer=\"...\"/>",
     {{"answer", "truthful valid invalid error none", true, false}}},
    {"partner-domain",
     "scenario",
     1,
     false,
     "<partner-domain select=\"primary|additional\"/>",
     {{"select", "primary additional", true, false}}},
    {"multiplex",
     "scenario",
     0,
     false,
     "<multiplex from=\"LABEL\"/> or <multiplex to=\"additional\"/>",
     {{"from", NULL, false, false}, {"to", "additional", false, false}}},
    {"misbehave",
     "scenario",
     0,
     false,
     "<misbehave what=\"NAME\"/>",
     {{"what", NULL, true, false}}},
    {"knob",
     "scenario",
     0,
     false,
     "<knob name=\"NAME\" value=\"VALUE\"/>",
     {{"name", NULL, true, false}, {"value", NULL, true, false}}},
    {"requires",
     "scenario",
     1,
     false,
     "<requires partner-tls=\"...\" partner-dialback=\"...\" partner-keepalive=\"...\"/>",
     {{"partner-tls", NEG_VALUES, false, true},
      {"partner-dialback", BOOL_VALUES, false, false},
      {"partner-keepalive", BOOL_VALUES, false, false}}},
    {"expect",
     "scenario",
     1,
     false,
     "<oracle/> with <also-accept>, or <outcome>, and <check>",
     {{0}}},
    {"xfail", "scenario", 1, false, "<xfail reason=\"TEXT\"/>", {{"reason", NULL, true, false}}},
    {"oracle",
     "expect",
     1,
     false,
     "<oracle/> or <oracle without=\"S Dt Dp\"/>",
     {{"without", "S Dt Dp", false, true}}},
    {"also-accept", "expect", 0, true, "an outcome code", {{0}}},
    {"outcome", "expect", 0, true, "an outcome code", {{0}}},
    {"check", "expect", 0, false, "<check name=\"NAME\"/>", {{"name", NULL, true, false}}},
};

static const char ACCEPT_SCENARIO_CHILDREN[] =
    "title, tag, spec, harness, certificate, authoritative, partner-domain, multiplex, "
    "misbehave, knob, requires, expect, xfail";
static const char ACCEPT_EXPECT_CHILDREN[] = "oracle, also-accept, outcome, check";

static const struct elem_rule *rule_for(const xmlNode *n)
{
        const char *parent = NULL;

        if (n->parent != NULL && n->parent->type == XML_ELEMENT_NODE)
                parent = (const char *)n->parent->name;
        for (size_t i = 0; i < ARRAY_LEN(elem_rules); i++) {
                const struct elem_rule *r = &elem_rules[i];

                if (!xmlStrEqual(n->name, BAD_CAST r->name))
                        continue;
                if ((r->parent == NULL) != (parent == NULL))
                        continue;
                if (r->parent != NULL && strcmp(r->parent, parent) != 0)
                        continue;
                return r;
        }
        return NULL;
}

/* "a b c" -> "a, b, c" */
static const char *values_text(const char *values, char *buf, size_t len)
{
        size_t o = 0;

        for (const char *v = values; *v != '\0' && o + 3 < len; v++) {
                if (*v == ' ') {
                        buf[o++] = ',';
                        buf[o++] = ' ';
                } else {
                        buf[o++] = *v;
                }
        }
        buf[o] = '\0';
        return buf;
}

static bool value_in(const char *values, const char *v, size_t vlen)
{
        const char *p = values;

        while (*p != '\0') {
                size_t n = strcspn(p, " ");

                if (n == vlen && strncmp(p, v, n) == 0)
                        return true;
                p += n;
                while (*p == ' ')
                        p++;
        }
        return false;
}

/* Checks one attribute value against its rule; 0, or -1 with the error written. */
static int explain_value(struct xmlload_where *ld, long line, const char *field,
                         const struct attr_rule *a, const char *value)
{
        char acc[512];
        const char *p = value;

        if (a->values == NULL)
                return 0;
        if (!a->list) {
                if (value_in(a->values, value, strlen(value)))
                        return 0;
                xmlload_failf(ld, line, field, "\"%.64s\" is not a value; accepted: %s", value,
                              values_text(a->values, acc, sizeof(acc)));
                return -1;
        }
        if (*p == '\0') {
                xmlload_failf(ld, line, field, "the list is empty; accepted: one or more of %s",
                              values_text(a->values, acc, sizeof(acc)));
                return -1;
        }
        while (*p != '\0') {
                size_t n = strcspn(p, " ");

                if (!value_in(a->values, p, n)) {
                        xmlload_failf(
                            ld, line, field,
                            "\"%.*s\" is not a value; accepted: a space-separated list of %s",
                            (int)(n > 64 ? 64 : n), p, values_text(a->values, acc, sizeof(acc)));
                        return -1;
                }
                p += n;
                while (*p == ' ')
                        p++;
        }
        return 0;
}

/* Explains one element; returns -1 when it found (and wrote) the problem. */
static int explain_element(struct xmlload_where *ld, const xmlNode *n)
{
        const struct elem_rule *r;
        long line = xmlGetLineNo(n);
        const char *name = (const char *)n->name;
        const char *parent = n->parent != NULL && n->parent->type == XML_ELEMENT_NODE
                                 ? (const char *)n->parent->name
                                 : NULL;
        char field[96];
        unsigned count = 0;
        bool oom = false;

        r = is_ours(n, NULL) ? rule_for(n) : NULL;
        if (r == NULL) {
                xmlload_failf(
                    ld, line, name,
                    "element <%s> is not part of the format%s; accepted: %s in <%s>", name,
                    is_ours(n, NULL) ? "" : " (or not in namespace " SCENARIO_NS ")",
                    parent != NULL && strcmp(parent, "expect") == 0 ? ACCEPT_EXPECT_CHILDREN
                                                                    : ACCEPT_SCENARIO_CHILDREN,
                    parent != NULL ? parent : "scenario");
                return -1;
        }
        /* The second one is the mistake: count the siblings up to this one. */
        for (const xmlNode *s = n->parent != NULL ? n->parent->children : NULL; s != NULL;
             s = s->next) {
                if (s->type == XML_ELEMENT_NODE && is_ours(s, name))
                        count++;
                if (s == n)
                        break;
        }
        if (r->max > 0 && count > r->max && n->parent->type == XML_ELEMENT_NODE) {
                xmlload_failf(
                    ld, line, name,
                    "the element appears more than once; accepted: at most one <%s> in <%s>", name,
                    parent);
                return -1;
        }
        for (const xmlAttr *a = n->properties; a != NULL; a = a->next) {
                bool known = false;
                char acc[256];
                size_t used = 0;

                for (size_t i = 0; i < ARRAY_LEN(r->attrs) && r->attrs[i].name != NULL; i++) {
                        if (a->ns == NULL && xmlStrEqual(a->name, BAD_CAST r->attrs[i].name))
                                known = true;
                        if (used < sizeof(acc)) {
                                int k = snprintf(acc + used, sizeof(acc) - used, "%s%s",
                                                 used > 0 ? ", " : "", r->attrs[i].name);
                                if (k > 0)
                                        used += (size_t)k;
                        }
                }
                if (!known) {
                        snprintf(field, sizeof(field), "%s@%s%s%s", name,
                                 a->ns != NULL && a->ns->prefix != NULL
                                     ? (const char *)a->ns->prefix
                                     : "",
                                 a->ns != NULL && a->ns->prefix != NULL ? ":" : "",
                                 (const char *)a->name);
                        xmlload_failf(
                            ld, line, field, "attribute %s is not part of <%s>; accepted: %s",
                            (const char *)a->name, name, used > 0 ? acc : "no attributes");
                        return -1;
                }
        }
        for (size_t i = 0; i < ARRAY_LEN(r->attrs) && r->attrs[i].name != NULL; i++) {
                const struct attr_rule *a = &r->attrs[i];
                char *v = attr_text(n, a->name, &oom);
                int rc;

                snprintf(field, sizeof(field), "%s@%s", name, a->name);
                if (v == NULL) {
                        if (oom) {
                                xmlload_failf(ld, line, field, "out of memory; accepted: -");
                                return -1;
                        }
                        if (a->required) {
                                xmlload_failf(ld, line, field,
                                              "the attribute is missing; accepted: %s",
                                              r->accepted);
                                return -1;
                        }
                        continue;
                }
                rc = explain_value(ld, line, field, a, v);
                free(v);
                if (rc < 0)
                        return -1;
        }
        if (strcmp(name, "multiplex") == 0) {
                bool from = xmlHasProp(n, BAD_CAST "from") != NULL;
                bool to = xmlHasProp(n, BAD_CAST "to") != NULL;

                if (from == to) {
                        xmlload_failf(ld, line, name, "%s; accepted: %s",
                                      from ? "both from and to" : "neither from nor to",
                                      r->accepted);
                        return -1;
                }
        }
        if (strcmp(name, "expect") == 0) {
                const xmlNode *outcome = NULL, *oracle = NULL;

                for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                        if (is_ours(c, "outcome") && outcome == NULL)
                                outcome = c;
                        if ((is_ours(c, "oracle") || is_ours(c, "also-accept")) && oracle == NULL)
                                oracle = c;
                }
                if (outcome != NULL && oracle != NULL) {
                        const xmlNode *later =
                            xmlGetLineNo(outcome) >= xmlGetLineNo(oracle) ? outcome : oracle;

                        xmlload_failf(
                            ld, xmlGetLineNo(later), (const char *)later->name,
                            "<outcome> and <%s> in one <expect>; accepted: either <oracle/> "
                            "(with <also-accept>) or an explicit set of <outcome> elements",
                            (const char *)oracle->name);
                        return -1;
                }
        }
        for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                if (c->type == XML_ELEMENT_NODE && r->text) {
                        xmlload_failf(ld, xmlGetLineNo(c), name,
                                      "element <%s> inside it; accepted: %s", (const char *)c->name,
                                      r->accepted);
                        return -1;
                }
                if ((c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) && !r->text) {
                        for (const xmlChar *t = c->content; t != NULL && *t != '\0'; t++) {
                                if (!is_space((char)*t)) {
                                        xmlload_failf(
                                            ld, xmlGetLineNo(c) > 0 ? xmlGetLineNo(c) : line, name,
                                            "text inside <%s>; accepted: %s", name, r->accepted);
                                        return -1;
                                }
                        }
                }
        }
        if (r->text) {
                char *t = node_text(n);
                size_t max = strcmp(name, "title") == 0 ? 200 : strcmp(name, "spec") == 0 ? 128 : 0;

                if (t == NULL) {
                        xmlload_failf(ld, line, name, "out of memory; accepted: -");
                        return -1;
                }
                if (max > 0 && strlen(t) > max) {
                        xmlload_failf(ld, line, name,
                                      "the text is %zu bytes long; accepted: at most %zu",
                                      strlen(t), max);
                        free(t);
                        return -1;
                }
                free(t);
        }
        if (strcmp(name, "xfail") == 0) {
                xmlChar *reason = xmlGetNoNsProp(n, BAD_CAST "reason");
                size_t len = reason != NULL ? strlen((const char *)reason) : 0;

                xmlFree(reason);
                if (len == 0 || len > 300) {
                        xmlload_failf(
                            ld, line, "xfail@reason",
                            "the reason is %zu bytes long; accepted: 1-300 bytes saying why "
                            "the partner deviates",
                            len);
                        return -1;
                }
        }
        for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                if (c->type == XML_ELEMENT_NODE && explain_element(ld, c) < 0)
                        return -1;
        }
        return 0;
}

static int xml_validate(struct xmlload_where *ld, xmlDocPtr doc)
{
        struct xmlload_error e;
        int v = xmlload_validate(ld, doc, "scenario", &e);

        if (v < 0)
                return -1;
        if (v == 0) {
                if (explain_element(ld, xmlDocGetRootElement(doc)) == 0)
                        xmlload_failf(ld, e.line, "XML",
                                      "%s; accepted: a scenario as in docs/scenarios.md", e.msg);
                return -1;
        }
        return 0;
}

/* ---- building the scenario (the document is valid against the schema) -------------- */

static void scenario_cleanup(struct scenario *s)
{
        free(s->id);
        free(s->file);
        free(s->title);
        for (size_t i = 0; i < s->n_tags; i++)
                free(s->tags[i]);
        free(s->tags);
        for (size_t i = 0; i < s->n_specs; i++)
                free(s->specs[i]);
        free(s->specs);
        for (size_t i = 0; i < s->n_mux_from; i++)
                free(s->mux_from[i]);
        free(s->mux_from);
        free(s->xfail);
        free(s->quirk_at);
        memset(s, 0, sizeof(*s));
}

static void scenario_defaults(struct scenario *s)
{
        memset(s, 0, sizeof(*s));
        /* H9: the harness setting that lets every method be tried (docs/scenarios.md). */
        s->harness.tls = NEG_OPTIONAL;
        s->harness.sasl = NEG_OPTIONAL;
        s->harness.dialback = true;
        s->sem = SEMANTICS_MATRIX;
        s->cert = CERT_DEFAULT;
        s->authoritative = DB_ANSWER_TRUTHFUL;
        s->pdom = PARTNER_DOMAIN_PRIMARY;
        engine_knobs_default(&s->knobs);
        s->requires_partner_dialback = -1;
        s->requires_partner_keepalive = -1;
        s->expect_oracle = true;
}

/*
 * A lower-case DNS label (RFC 1123 §2.1 LDH, no leading or trailing hyphen):
 * ids name the scenario's harness subdomain, and tags and labels share the rule
 * so that selection words are easy to type.
 */
static const char *label_problem(const char *s, size_t max)
{
        size_t n = strlen(s);

        if (n == 0)
                return "it is empty";
        if (n > max)
                return "it is too long";
        for (const char *c = s; *c != '\0'; c++) {
                if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-'))
                        return "it holds a character other than a-z, 0-9 and '-'";
        }
        if (s[0] == '-' || s[n - 1] == '-')
                return "it starts or ends with '-'";
        return NULL;
}

static int check_label(struct xmlload_where *ld, long line, const char *field, const char *what,
                       const char *s, size_t max)
{
        const char *why = label_problem(s, max);

        if (why == NULL)
                return 0;
        xmlload_failf(
            ld, line, field,
            "\"%.80s\" is not a valid %s: %s; accepted: lower-case letters, digits and '-' "
            "(not first or last), at most %zu characters",
            s, what, why, max);
        return -1;
}

/* Appends a copy of text to a bounded string list; refuses duplicates. */
static int list_add(struct xmlload_where *ld, long line, const char *field, char ***list, size_t *n,
                    size_t max, const char *text)
{
        char **grown;

        for (size_t i = 0; i < *n; i++) {
                if (strcmp((*list)[i], text) == 0) {
                        xmlload_failf(ld, line, field,
                                      "\"%.80s\" is listed twice; accepted: each once", text);
                        return -1;
                }
        }
        if (*n >= max) {
                xmlload_failf(ld, line, field, "more than %zu <%s> elements; accepted: at most %zu",
                              max, field, max);
                return -1;
        }
        grown = realloc(*list, (*n + 1) * sizeof(*grown));
        if (grown == NULL)
                goto oom;
        *list = grown;
        grown[*n] = strdup(text);
        if (grown[*n] == NULL)
                goto oom;
        (*n)++;
        return 0;
oom:
        xmlload_failf(ld, line, field, "out of memory; accepted: a smaller suite");
        return -1;
}

/* Finds name in a table; -1 when unknown (error written). */
static int table_lookup(struct xmlload_where *ld, long line, const char *field, const char *what,
                        const struct scenario_name_info *t, size_t n, const char *name)
{
        char acc[1024];

        for (size_t i = 0; i < n; i++) {
                if (strcmp(t[i].name, name) == 0)
                        return (int)i;
        }
        xmlload_failf(ld, line, field, "\"%.64s\" is not a known %s; accepted: %s", name, what,
                      names_list(t, n, BOTH, acc, sizeof(acc)));
        return -1;
}

static int parse_neg_value(const char *text, enum neg *out)
{
        static const char *const names[] = {"Required", "Optional", "NotSupported"};

        for (int i = 0; i < 3; i++) {
                if (strcmp(text, names[i]) == 0) {
                        *out = (enum neg)i;
                        return 0;
                }
        }
        return -1;
}

static int parse_index(const char *text, const char *const *names, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (strcmp(text, names[i]) == 0)
                        return (int)i;
        }
        return -1;
}

static int parse_bool_value(struct xmlload_where *ld, long line, const char *field,
                            const char *text, bool *out)
{
        if (strcmp(text, "true") == 0) {
                *out = true;
                return 0;
        }
        if (strcmp(text, "false") == 0) {
                *out = false;
                return 0;
        }
        xmlload_failf(ld, line, field, "\"%.64s\" is not a value; accepted: true, false", text);
        return -1;
}

static int set_knob(struct xmlload_where *ld, long line, struct scenario *s, const char *name,
                    const char *value)
{
        static const char *const badcert[] = {"reference", "abort", "continue"};
        static const char *const dboff[] = {"stream-error", "db-error", "ignore"};
        int k = table_lookup(ld, line, "knob@name", "knob", knobs, KNOB_COUNT, name);
        int v;
        long num;
        char *end = NULL;

        if (k < 0)
                return -1;
        if ((knobs[k].dirs & (1u << s->dir)) == 0) {
                xmlload_failf(ld, line, "knob@name",
                              "\"%s\" only applies to %s scenarios; accepted: a knob for "
                              "direction %s",
                              name, dirs_text(knobs[k].dirs), direction_name(s->dir));
                return -1;
        }
        if (s->knobs_set & (1u << k)) {
                xmlload_failf(ld, line, "knob@name",
                              "\"%s\" is set twice; accepted: each knob once", name);
                return -1;
        }
        s->knobs_set |= 1u << k;
        switch ((enum scenario_knob)k) {
        case KNOB_ON_BAD_PEER_CERT:
                v = parse_index(value, badcert, ARRAY_LEN(badcert));
                if (v < 0)
                        goto bad;
                s->knobs.on_bad_peer_cert = (enum badcert_policy)v;
                return 0;
        case KNOB_DIALBACK_OFF_REPLY:
                v = parse_index(value, dboff, ARRAY_LEN(dboff));
                if (v < 0)
                        goto bad;
                s->knobs.dialback_off_reply = (enum dboff_reply)v;
                return 0;
        case KNOB_DIALBACK_AFTER_SASL_FAILURE:
                return parse_bool_value(ld, line, "knob@value", value,
                                        &s->knobs.dialback_after_sasl_failure);
        case KNOB_SASL_SEND_AUTHZID:
                return parse_bool_value(ld, line, "knob@value", value, &s->knobs.sasl_send_authzid);
        case KNOB_DIALBACK_REQUIRES_VALID_CERT:
                return parse_bool_value(ld, line, "knob@value", value,
                                        &s->knobs.dialback_requires_valid_cert);
        case KNOB_DECLARE_DB_WITHOUT_METHOD:
                return parse_bool_value(ld, line, "knob@value", value,
                                        &s->knobs.declare_db_without_method);
        case KNOB_SASL_MAX_FAILURES:
                errno = 0;
                num = strtol(value, &end, 10);
                if (errno != 0 || end == value || *end != '\0' || num < 1 || num > 10)
                        goto bad;
                s->knobs.sasl_max_failures = (unsigned)num;
                return 0;
        case KNOB_WHITESPACE_KEEPALIVES:
                errno = 0;
                num = strtol(value, &end, 10);
                if (errno != 0 || end == value || *end != '\0' || num < 0 || num > 10)
                        goto bad;
                s->knobs.whitespace_keepalives = (unsigned)num;
                return 0;
        case KNOB_COUNT:
                break;
        }
bad:
        xmlload_failf(ld, line, "knob@value", "\"%.64s\" is not a value of %s; accepted: %s", value,
                      name, knobs[k].values);
        return -1;
}

static int set_outcome(struct xmlload_where *ld, long line, const char *field, const char *text,
                       unsigned *set)
{
        enum outcome o;

        if (outcome_parse(text, &o) != 0) {
                xmlload_failf(
                    ld, line, field,
                    "\"%.64s\" is not an outcome code; accepted: S, Dt, Dp, F0, F1, F2, F3, F4",
                    text);
                return -1;
        }
        if (*set & OUTCOME_BIT(o)) {
                xmlload_failf(ld, line, field, "\"%s\" is listed twice; accepted: each code once",
                              text);
                return -1;
        }
        *set |= OUTCOME_BIT(o);
        return 0;
}

static int build_expect(struct xmlload_where *ld, const xmlNode *n, struct scenario *s)
{
        bool oom = false;
        long oracle_line = xmlGetLineNo(n);
        int rc;

        for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                long line = xmlGetLineNo(c);
                char *text = NULL, *name = NULL;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                if (is_ours(c, "oracle")) {
                        char *without = attr_text(c, "without", &oom);

                        oracle_line = line;
                        if (oom)
                                goto oom;
                        for (char *w = without; w != NULL && *w != '\0';) {
                                size_t k = strcspn(w, " ");
                                unsigned bit = strncmp(w, "S", k) == 0 && k == 1    ? METHOD_S
                                               : k == 2 && strncmp(w, "Dt", 2) == 0 ? METHOD_DT
                                                                                    : METHOD_DP;

                                if (s->oracle_without & bit) {
                                        xmlload_failf(
                                            ld, line, "oracle@without",
                                            "\"%.*s\" is listed twice; accepted: each method "
                                            "once",
                                            (int)k, w);
                                        free(without);
                                        return -1;
                                }
                                s->oracle_without |= bit;
                                w += k;
                                while (*w == ' ')
                                        w++;
                        }
                        free(without);
                        continue;
                }
                if (is_ours(c, "check")) {
                        int k;

                        name = attr_text(c, "name", &oom);
                        if (name == NULL)
                                goto oom;
                        k = table_lookup(ld, line, "check@name", "check", check_names(),
                                         CHECK_COUNT, name);
                        if (k < 0) {
                                free(name);
                                return -1;
                        }
                        if (s->checks & (1u << k)) {
                                xmlload_failf(ld, line, "check@name",
                                              "\"%s\" is listed twice; accepted: each check once",
                                              name);
                                free(name);
                                return -1;
                        }
                        if ((check_names()[k].dirs & (1u << s->dir)) == 0) {
                                xmlload_failf(
                                    ld, line, "check@name",
                                    "\"%s\" only applies to %s scenarios; accepted: a check "
                                    "for direction %s",
                                    name, dirs_text(check_names()[k].dirs), direction_name(s->dir));
                                free(name);
                                return -1;
                        }
                        s->checks |= 1u << k;
                        free(name);
                        continue;
                }
                text = node_text(c);
                if (text == NULL)
                        goto oom;
                if (is_ours(c, "outcome")) {
                        s->expect_oracle = false;
                        rc = set_outcome(ld, line, "outcome", text, &s->outcomes);
                } else {
                        rc = set_outcome(ld, line, "also-accept", text, &s->also_accept);
                }
                free(text);
                if (rc < 0)
                        return -1;
        }
        if (s->expect_oracle && util_popcount(s->oracle_without) == 3) {
                xmlload_failf(
                    ld, oracle_line, "oracle@without",
                    "every method is taken away, so nothing can succeed; accepted: an explicit "
                    "set of <outcome> codes instead");
                return -1;
        }
        return 0;
oom:
        xmlload_failf(ld, xmlGetLineNo(n), "expect", "out of memory; accepted: -");
        return -1;
}

static int build_requires(struct xmlload_where *ld, const xmlNode *n, struct scenario *s)
{
        bool oom = false;
        long line = xmlGetLineNo(n);
        char *tls = attr_text(n, "partner-tls", &oom);
        char *db = attr_text(n, "partner-dialback", &oom);
        char *ka = attr_text(n, "partner-keepalive", &oom);
        int rc = -1;

        if (oom) {
                xmlload_failf(ld, line, "requires", "out of memory; accepted: -");
                goto done;
        }
        if (tls == NULL && db == NULL && ka == NULL) {
                xmlload_failf(ld, line, "requires",
                              "no condition; accepted: partner-tls=\"...\", "
                              "partner-dialback=\"...\" and/or partner-keepalive=\"...\"");
                goto done;
        }
        for (char *w = tls; w != NULL && *w != '\0';) {
                size_t k = strcspn(w, " ");
                char save = w[k];
                enum neg v;

                w[k] = '\0';
                if (parse_neg_value(w, &v) != 0) {
                        xmlload_failf(ld, line, "requires@partner-tls",
                                      "\"%.64s\" is not a value; accepted: Required, Optional, "
                                      "NotSupported",
                                      w);
                        goto done;
                }
                if (s->requires_partner_tls & (1u << v)) {
                        xmlload_failf(ld, line, "requires@partner-tls",
                                      "\"%s\" is listed twice; accepted: each value once", w);
                        goto done;
                }
                s->requires_partner_tls |= 1u << v;
                w[k] = save;
                w += k;
                while (*w == ' ')
                        w++;
        }
        if (db != NULL) {
                bool b;

                if (parse_bool_value(ld, line, "requires@partner-dialback", db, &b) < 0)
                        goto done;
                s->requires_partner_dialback = b ? 1 : 0;
        }
        if (ka != NULL) {
                bool b;

                if (parse_bool_value(ld, line, "requires@partner-keepalive", ka, &b) < 0)
                        goto done;
                s->requires_partner_keepalive = b ? 1 : 0;
        }
        rc = 0;
done:
        free(tls);
        free(db);
        free(ka);
        return rc;
}

static int build_harness(struct xmlload_where *ld, const xmlNode *n, struct scenario *s)
{
        static const char *const names[] = {"tls", "sasl", "dialback", "semantics"};
        long line = xmlGetLineNo(n);
        bool oom = false;

        for (size_t i = 0; i < ARRAY_LEN(names); i++) {
                char *v = attr_text(n, names[i], &oom);
                char field[32];
                int rc = 0;

                if (v == NULL) {
                        if (oom) {
                                xmlload_failf(ld, line, "harness", "out of memory; accepted: -");
                                return -1;
                        }
                        continue;
                }
                snprintf(field, sizeof(field), "harness@%s", names[i]);
                if (i == 0 || i == 1) {
                        enum neg *dst = i == 0 ? &s->harness.tls : &s->harness.sasl;

                        if (parse_neg_value(v, dst) != 0) {
                                xmlload_failf(
                                    ld, line, field,
                                    "\"%.64s\" is not a value; accepted: Required, Optional, "
                                    "NotSupported",
                                    v);
                                rc = -1;
                        }
                } else if (i == 2) {
                        rc = parse_bool_value(ld, line, field, v, &s->harness.dialback);
                } else if (strcmp(v, "strict") == 0) {
                        s->sem = SEMANTICS_STRICT;
                } else if (strcmp(v, "matrix") == 0) {
                        s->sem = SEMANTICS_MATRIX;
                } else {
                        xmlload_failf(ld, line, field,
                                      "\"%.64s\" is not a value; accepted: matrix, strict", v);
                        rc = -1;
                }
                free(v);
                if (rc < 0)
                        return -1;
        }
        return 0;
}

/* Reads one attribute that the schema made required. */
static char *required_attr(struct xmlload_where *ld, const xmlNode *n, const char *name,
                           const char *field)
{
        bool oom = false;
        char *v = attr_text(n, name, &oom);

        if (v == NULL)
                xmlload_failf(ld, xmlGetLineNo(n), field, "%s; accepted: -",
                              oom ? "out of memory" : "the attribute is missing");
        return v;
}

/* Cross-field rules: a setting that cannot take effect is a mistake, not a no-op. */
static int check_consistency(struct xmlload_where *ld, const xmlNode *root, struct scenario *s,
                             long mb_line[SCENARIO_MISBEHAVE_MAX], long auth_line, long cert_line)
{
        unsigned dirbit = 1u << s->dir;

        for (size_t m = 0; m < misbehave_count(); m++) {
                const struct misbehave_row *row = misbehave_row(m);
                const char *name = row->name;

                if ((s->misbehave & (1u << m)) == 0)
                        continue;
                if ((row->dirs & dirbit) == 0) {
                        xmlload_failf(
                            ld, mb_line[m], "misbehave@what",
                            "\"%s\" only applies to %s scenarios; accepted: a misbehaviour "
                            "for direction %s",
                            name, dirs_text(row->dirs), direction_name(s->dir));
                        return -1;
                }
                if ((row->needs & MISBEHAVE_NEEDS_DIALBACK) && !s->harness.dialback) {
                        xmlload_failf(
                            ld, mb_line[m], "misbehave@what",
                            "\"%s\" needs dialback on the harness side; accepted: <harness "
                            "dialback=\"true\"/> (the default)",
                            name);
                        return -1;
                }
                if ((row->needs & MISBEHAVE_NEEDS_TLS) && s->harness.tls == NEG_NOTSUPPORTED) {
                        xmlload_failf(ld, mb_line[m], "misbehave@what",
                                      "\"%s\" needs TLS on the harness side; accepted: <harness "
                                      "tls=\"Required\"/> or \"Optional\"",
                                      name);
                        return -1;
                }
                if ((row->needs & MISBEHAVE_NEEDS_OWN_ANSWER) &&
                    s->authoritative != DB_ANSWER_TRUTHFUL) {
                        xmlload_failf(ld, mb_line[m], "misbehave@what",
                                      "\"%s\" and <authoritative answer=\"%s\"/> contradict "
                                      "each other; accepted: one of them",
                                      name, db_answer_name(s->authoritative));
                        return -1;
                }
        }
        /* XEP-0220 §2.2: the harness is the authoritative server only for its own
         * domains, that is, when it initiates. */
        if (auth_line > 0 && s->dir != DIR_OUTBOUND) {
                xmlload_failf(ld, auth_line, "authoritative",
                              "the harness answers <db:verify/> only when it initiates (%s, %s); "
                              "accepted: <authoritative/> in outbound scenarios",
                              rule_name(RULE_DB_4), rule_cite(RULE_DB_4));
                return -1;
        }
        if (auth_line > 0 && !s->harness.dialback) {
                xmlload_failf(
                    ld, auth_line, "authoritative",
                    "the harness side does no dialback; accepted: <harness dialback=\"true\"/> "
                    "with <authoritative/>");
                return -1;
        }
        if (cert_line > 0 && s->cert == CERT_NONE && s->dir != DIR_OUTBOUND) {
                xmlload_failf(
                    ld, cert_line, "certificate@variant",
                    "a receiving harness without a certificate cannot offer TLS; accepted: "
                    "variant=\"none\" in outbound scenarios");
                return -1;
        }
        if (s->mux_additional && s->pdom == PARTNER_DOMAIN_ADDITIONAL) {
                xmlload_failf(ld, xmlGetLineNo(root), "multiplex@to",
                              "<multiplex to=\"additional\"/> with <partner-domain "
                              "select=\"additional\"/>; accepted: one of them");
                return -1;
        }
        return 0;
}

static int build(struct xmlload_where *ld, const xmlNode *root, struct scenario *s)
{
        long mb_line[SCENARIO_MISBEHAVE_MAX] = {0}, auth_line = 0, cert_line = 0;
        char *v = NULL, *w = NULL;
        int idx;

        scenario_defaults(s);
        s->line = xmlGetLineNo(root);
        s->file = strdup(ld->file);
        s->title = strdup("");
        if (s->file == NULL || s->title == NULL)
                goto oom;
        s->id = required_attr(ld, root, "id", "scenario@id");
        if (s->id == NULL)
                return -1;
        if (check_label(ld, s->line, "scenario@id", "scenario id", s->id, SCENARIO_ID_MAX) < 0)
                return -1;
        v = required_attr(ld, root, "direction", "scenario@direction");
        if (v == NULL)
                return -1;
        s->dir = strcmp(v, "inbound") == 0 ? DIR_INBOUND : DIR_OUTBOUND;
        free(v);
        v = NULL;
        /* Settings first: the direction-dependent checks below need them. */
        for (const xmlNode *c = root->children; c != NULL; c = c->next) {
                if (is_ours(c, "harness") && build_harness(ld, c, s) < 0)
                        return -1;
        }
        for (const xmlNode *c = root->children; c != NULL; c = c->next) {
                long line = xmlGetLineNo(c);

                if (c->type != XML_ELEMENT_NODE || is_ours(c, "harness"))
                        continue;
                if (is_ours(c, "title")) {
                        free(s->title);
                        s->title = node_text(c);
                        if (s->title == NULL)
                                goto oom;
                } else if (is_ours(c, "tag")) {
                        v = node_text(c);
                        if (v == NULL)
                                goto oom;
                        if (check_label(ld, line, "tag", "tag", v, SCENARIO_TAG_MAX) < 0 ||
                            list_add(ld, line, "tag", &s->tags, &s->n_tags, SCENARIO_TAGS_MAX, v) <
                                0)
                                goto fail;
                } else if (is_ours(c, "spec")) {
                        v = node_text(c);
                        if (v == NULL)
                                goto oom;
                        if (v[0] == '\0' ||
                            (looks_like_rule_id(v) && rule_by_name(v) == RULE_NONE)) {
                                xmlload_failf(ld, line, "spec",
                                              "%s; accepted: a rule id of docs/rules.md such as "
                                              "\"TLS-9\" (or a section in words)",
                                              v[0] == '\0' ? "the reference is empty"
                                                           : "no such rule id");
                                goto fail;
                        }
                        if (list_add(ld, line, "spec", &s->specs, &s->n_specs, SCENARIO_SPECS_MAX,
                                     v) < 0)
                                goto fail;
                } else if (is_ours(c, "certificate")) {
                        v = required_attr(ld, c, "variant", "certificate@variant");
                        if (v == NULL)
                                return -1;
                        idx = cert_variant_lookup(v);
                        if (idx < 0) {
                                xmlload_failf(
                                    ld, line, "certificate@variant",
                                    "\"%.64s\" is not a value; accepted: see docs/scenarios.md", v);
                                goto fail;
                        }
                        s->cert = (enum cert_variant)idx;
                        cert_line = line;
                } else if (is_ours(c, "authoritative")) {
                        v = required_attr(ld, c, "answer", "authoritative@answer");
                        if (v == NULL)
                                return -1;
                        idx = parse_index(v, db_answer_names, ARRAY_LEN(db_answer_names));
                        if (idx < 0) {
                                xmlload_failf(
                                    ld, line, "authoritative@answer",
                                    "\"%.64s\" is not a value; accepted: truthful, valid, "
                                    "invalid, error, none",
                                    v);
                                goto fail;
                        }
                        s->authoritative = (enum db_answer)idx;
                        auth_line = line;
                } else if (is_ours(c, "partner-domain")) {
                        v = required_attr(ld, c, "select", "partner-domain@select");
                        if (v == NULL)
                                return -1;
                        s->pdom = strcmp(v, "additional") == 0 ? PARTNER_DOMAIN_ADDITIONAL
                                                               : PARTNER_DOMAIN_PRIMARY;
                } else if (is_ours(c, "multiplex")) {
                        bool oom = false;

                        v = attr_text(c, "from", &oom);
                        if (oom)
                                goto oom;
                        if (v == NULL) {
                                if (s->mux_additional) {
                                        xmlload_failf(
                                            ld, line, "multiplex@to",
                                            "\"additional\" is listed twice; accepted: each "
                                            "once");
                                        return -1;
                                }
                                s->mux_additional = true;
                        } else if (check_label(ld, line, "multiplex@from", "domain label", v,
                                               SCENARIO_ID_MAX) < 0 ||
                                   list_add(ld, line, "multiplex", &s->mux_from, &s->n_mux_from,
                                            SCENARIO_MULTIPLEX_MAX, v) < 0) {
                                goto fail;
                        }
                } else if (is_ours(c, "misbehave")) {
                        v = required_attr(ld, c, "what", "misbehave@what");
                        if (v == NULL)
                                return -1;
                        idx = misbehave_lookup(v);
                        if (idx < 0) {
                                char acc[1024];

                                xmlload_failf(ld, line, "misbehave@what",
                                              "\"%.64s\" is not a known misbehaviour; accepted: %s",
                                              v, misbehave_names(BOTH, acc, sizeof(acc)));
                                goto fail;
                        }
                        if (s->misbehave & (1u << idx)) {
                                xmlload_failf(
                                    ld, line, "misbehave@what",
                                    "\"%s\" is listed twice; accepted: each misbehaviour once", v);
                                goto fail;
                        }
                        s->misbehave |= 1u << idx;
                        mb_line[idx] = line;
                } else if (is_ours(c, "knob")) {
                        v = required_attr(ld, c, "name", "knob@name");
                        if (v == NULL)
                                return -1;
                        w = required_attr(ld, c, "value", "knob@value");
                        if (w == NULL || set_knob(ld, line, s, v, w) < 0)
                                goto fail;
                        free(w);
                        w = NULL;
                } else if (is_ours(c, "requires")) {
                        if (build_requires(ld, c, s) < 0)
                                return -1;
                } else if (is_ours(c, "expect")) {
                        if (build_expect(ld, c, s) < 0)
                                return -1;
                } else if (is_ours(c, "xfail")) {
                        v = required_attr(ld, c, "reason", "xfail@reason");
                        if (v == NULL)
                                return -1;
                        if (v[0] == '\0') {
                                xmlload_failf(
                                    ld, line, "xfail@reason",
                                    "the reason is empty; accepted: why the partner deviates");
                                goto fail;
                        }
                        s->xfail = v;
                        v = NULL;
                }
                free(v);
                v = NULL;
        }
        return check_consistency(ld, root, s, mb_line, auth_line, cert_line);
oom:
        xmlload_failf(ld, s->line, "scenario", "out of memory; accepted: a smaller suite");
fail:
        free(v);
        free(w);
        return -1;
}

/* Loads one file into *s (cleaned by the caller on failure). */
static int load_file(struct xmlload_where *ld, struct scenario *s)
{
        xmlDocPtr doc;
        const xmlNode *root;
        char *data = NULL;
        size_t len = 0;
        int rc = -1;

        memset(s, 0, sizeof(*s));
        if (read_file(ld, &data, &len) < 0)
                return -1;
        doc = xmlload_parse(ld, data, len);
        if (doc == NULL)
                goto done;
        root = xmlDocGetRootElement(doc);
        if (root == NULL || !is_ours(root, "scenario")) {
                xmlload_failf(
                    ld, root != NULL ? xmlGetLineNo(root) : 0, "XML",
                    "the root element <%s> (namespace \"%s\") is not a scenario; accepted: "
                    "<scenario> in namespace " SCENARIO_NS,
                    root != NULL ? (const char *)root->name : "",
                    root != NULL && root->ns != NULL ? (const char *)root->ns->href : "none");
                goto done;
        }
        if (xml_validate(ld, doc) < 0)
                goto done;
        rc = build(ld, root, s);
done:
        xmlFreeDoc(doc);
        free(data);
        return rc;
}

/* ---- folders and suites ---------------------------------------------------------------- */

static int cmp_names(const void *a, const void *b)
{
        return strcmp(*(char *const *)a, *(char *const *)b);
}

static void free_names(char **names, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
}

static bool ends_with_xml(const char *name)
{
        size_t n = strlen(name);

        return n > 4 && strcmp(name + n - 4, ".xml") == 0;
}

/* The *.xml regular files of dir, sorted; hidden names skipped. */
static int list_dir(struct xmlload_where *ld, const char *dir, char ***out, size_t *nout)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char **names = NULL;
        size_t n = 0;
        bool slash = dir[0] != '\0' && dir[strlen(dir) - 1] == '/';

        *out = NULL;
        *nout = 0;
        if (d == NULL) {
                xmlload_failf(ld, 0, "folder",
                              "cannot open: %s; accepted: a readable folder of scenarios",
                              strerror(errno));
                return -1;
        }
        /* Bounded: readdir ends, and more than SCENARIO_FILES_MAX files is an error. */
        while ((de = readdir(d)) != NULL) {
                char path[4096];
                struct stat st;
                char **grown;

                if (de->d_name[0] == '.' || !ends_with_xml(de->d_name))
                        continue;
                if (snprintf(path, sizeof(path), "%s%s%s", dir, slash ? "" : "/", de->d_name) >=
                    (int)sizeof(path)) {
                        xmlload_failf(ld, 0, "folder",
                                      "the path of %s is too long; accepted: shorter paths",
                                      de->d_name);
                        goto fail;
                }
                if (stat(path, &st) != 0 || !S_ISREG(st.st_mode))
                        continue;
                if (n >= SCENARIO_FILES_MAX) {
                        xmlload_failf(
                            ld, 0, "folder",
                            "more than %d scenario files; accepted: at most %d per folder",
                            SCENARIO_FILES_MAX, SCENARIO_FILES_MAX);
                        goto fail;
                }
                grown = realloc(names, (n + 1) * sizeof(*grown));
                if (grown == NULL)
                        goto oom;
                names = grown;
                names[n] = strdup(path);
                if (names[n] == NULL)
                        goto oom;
                n++;
        }
        closedir(d);
        d = NULL;
        if (n == 0) {
                xmlload_failf(
                    ld, 0, "folder",
                    "no scenario file (*.xml) in it; accepted: a folder with at least one "
                    "scenario");
                goto fail;
        }
        qsort(names, n, sizeof(*names), cmp_names);
        *out = names;
        *nout = n;
        return 0;
oom:
        xmlload_failf(ld, 0, "folder", "out of memory; accepted: fewer files");
fail:
        if (d != NULL)
                closedir(d);
        free_names(names, n);
        return -1;
}

void scenario_suite_cleanup(struct scenario_suite *suite)
{
        if (suite == NULL)
                return;
        for (size_t i = 0; i < suite->n; i++)
                scenario_cleanup(&suite->items[i]);
        free(suite->items);
        memset(suite, 0, sizeof(*suite));
}

/* Loads dir and appends to suite; on failure the suite is as it was. */
static int add_dir(struct scenario_suite *suite, const char *dir, char *err, size_t errlen)
{
        struct xmlload_where ld = {dir != NULL ? dir : "(null)", err, errlen};
        struct xmlload_quiet quiet;
        char **names = NULL;
        size_t n = 0, base = suite->n;
        struct scenario *grown;
        int rc = -1;

        if (err != NULL && errlen > 0)
                err[0] = '\0';
        if (dir == NULL) {
                xmlload_failf(&ld, 0, "folder", "no folder name; accepted: a path");
                return -1;
        }
        if (list_dir(&ld, dir, &names, &n) < 0)
                return -1;
        if (suite->n + n > SCENARIO_SUITE_MAX) {
                xmlload_failf(&ld, 0, "folder",
                              "the suite would hold %zu scenarios; accepted: at most %d in all",
                              suite->n + n, SCENARIO_SUITE_MAX);
                goto done;
        }
        grown = realloc(suite->items, (suite->n + n) * sizeof(*grown));
        if (grown == NULL) {
                xmlload_failf(&ld, 0, "folder", "out of memory; accepted: fewer files");
                goto done;
        }
        suite->items = grown;
        xmlload_quiet(&quiet);
        for (size_t i = 0; i < n; i++) {
                struct xmlload_where fl = {names[i], err, errlen};
                struct scenario *s = &suite->items[suite->n];

                if (load_file(&fl, s) < 0) {
                        scenario_cleanup(s);
                        break;
                }
                for (size_t j = 0; j < suite->n; j++) {
                        if (strcmp(suite->items[j].id, s->id) == 0) {
                                xmlload_failf(
                                    &fl, s->line, "scenario@id",
                                    "\"%s\" is also the id of %s:%ld; accepted: each id once "
                                    "in the suite",
                                    s->id, suite->items[j].file, suite->items[j].line);
                                scenario_cleanup(s);
                                goto restore;
                        }
                }
                suite->n++;
        }
restore:
        xmlload_unquiet(&quiet);
        if (suite->n == base + n)
                rc = 0;
done:
        if (rc < 0) {
                for (size_t i = base; i < suite->n; i++)
                        scenario_cleanup(&suite->items[i]);
                suite->n = base;
                if (base == 0) {
                        free(suite->items);
                        suite->items = NULL;
                }
        }
        suite->n_selected = 0;
        for (size_t i = 0; i < suite->n; i++)
                suite->items[i].selected = false;
        free_names(names, n);
        return rc;
}

int scenario_load_dir(const char *dir, struct scenario_suite *out, char *err, size_t errlen)
{
        memset(out, 0, sizeof(*out));
        return add_dir(out, dir, err, errlen);
}

int scenario_suite_add_dir(struct scenario_suite *suite, const char *dir, char *err, size_t errlen)
{
        return add_dir(suite, dir, err, errlen);
}

/* ---- selection ------------------------------------------------------------------------- */

bool scenario_has_tag(const struct scenario *s, const char *tag)
{
        for (size_t i = 0; i < s->n_tags; i++) {
                if (strcmp(s->tags[i], tag) == 0)
                        return true;
        }
        return false;
}

static bool matches(const struct scenario *s, const char *word)
{
        return strcmp(s->id, word) == 0 || scenario_has_tag(s, word) ||
               strcmp(direction_name(s->dir), word) == 0;
}

static bool matches_any(const struct scenario *s, const char *const *words, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (matches(s, words[i]))
                        return true;
        }
        return false;
}

/* The first word that names nothing in the suite, or NULL. */
static const char *unknown_word(const struct scenario_suite *suite, const char *const *words,
                                size_t n)
{
        for (size_t i = 0; i < n; i++) {
                bool found = false;

                for (size_t j = 0; j < suite->n && !found; j++)
                        found = matches(&suite->items[j], words[i]);
                if (!found)
                        return words[i];
        }
        return NULL;
}

int scenario_select(struct scenario_suite *suite, const char *const *only, size_t n_only,
                    const char *const *skip, size_t n_skip, char *err, size_t errlen)
{
        const char *bad = unknown_word(suite, only, n_only);
        const char *opt = "--only";

        if (bad == NULL) {
                bad = unknown_word(suite, skip, n_skip);
                opt = "--skip";
        }
        if (bad != NULL) {
                if (err != NULL && errlen > 0)
                        snprintf(err, errlen,
                                 "%s %s: no scenario has this tag, id or direction; accepted: a "
                                 "tag or id that `s2scheck list` shows",
                                 opt, bad);
                return -1;
        }
        suite->n_selected = 0;
        for (size_t i = 0; i < suite->n; i++) {
                struct scenario *s = &suite->items[i];

                s->selected =
                    (n_only == 0 || matches_any(s, only, n_only)) && !matches_any(s, skip, n_skip);
                if (s->selected)
                        suite->n_selected++;
        }
        return 0;
}
