#include "util.h"
#include "xmlstream.h"
#include "rules.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <libxml/globals.h>
#include <libxml/parser.h>
#include <libxml/parserInternals.h>
#include <libxml/xmlerror.h>
#include <libxml/xmlsave.h>

/* xmlParseChunk takes an int; toolchain.md §2a: feed at most 1 MiB at a time. */
#define XS_PIECE_MAX ((size_t)1 << 20)
/* libxml2 refuses nesting beyond 256 without XML_PARSE_HUGE; stay well below. */
#define XS_DEPTH_CAP 200u

/* Where the raw-byte accounting is, between events. */
enum xs_phase {
        PH_HEADER,  /* before the header's '>': bytes count against max_header */
        PH_BETWEEN, /* after a first-level boundary: whitespace is not counted */
        PH_ELEMENT, /* inside a first-level element (or the close tag) */
        PH_CLOSED,  /* after </stream:stream> */
};

/*
 * The XML declaration at the stream start is read by xs_scan before libxml2
 * parses it: libxml2 switches its input to a declared encoding (and its
 * encoding switch has crashed on a malformed declaration), so a declaration
 * that is not exactly XML 1.0 §2.8 with UTF-8 never reaches it (RFC 6120 §11.6).
 */
#define XS_DECL_MAX 160
enum xs_decl {
        DECL_UNDECIDED, /* the stream's first bytes still match "<?xml" */
        DECL_READING,   /* inside "<?xml ... ?>" */
        DECL_DONE,      /* checked, or the stream does not start with one */
};

/* Header strings, owned; xs_header points into them. */
enum { HS_TO, HS_FROM, HS_ID, HS_VERSION, HS_LANG, HS_CONTENT_NS, HS_STREAM_PREFIX, HS_DB, HS_N };

struct xs_parser {
        struct xs_limits lim;
        char *content_ns;
        xs_handler handler;
        void *user;

        xmlParserCtxtPtr ctxt;
        xmlDocPtr doc;      /* owns the first-level element under construction */
        xmlNodePtr top;     /* first-level element being built, or NULL */
        xmlNodePtr cur;     /* innermost open element of top */
        unsigned depth;     /* open elements, the stream root included */
        struct buf text;    /* character data not yet added to cur */
        struct buf scratch; /* decoded attribute values */

        size_t offset;    /* stream bytes accounted since the reset */
        size_t piece_end; /* stream offset at the end of the piece in libxml2 */
        enum xs_phase phase;
        size_t phase_bytes;
        unsigned utf8_need;             /* continuation bytes still expected */
        unsigned char utf8_lo, utf8_hi; /* range of the next continuation byte */
        enum xs_decl decl;              /* the XML declaration, checked before libxml2 sees it */
        char decl_text[XS_DECL_MAX];
        size_t decl_len;

        char *hs[HS_N];
        char **ns; /* 2 * nb_ns strings */
        struct xs_header header;
        int have_header;

        int paused;
        int dead;
        const char *err_cond;
        char err_text[320];
        size_t err_offset;
};

void xs_limits_default(struct xs_limits *l)
{
        l->max_element = 65536;
        l->max_depth = 16;
        l->max_attrs = 32;
        l->max_header = 4096;
}

/* ---- errors ---- */

/* Stream position libxml2 has reached, for errors it or its callbacks find. */
static size_t xs_parse_offset(const struct xs_parser *p)
{
        const xmlParserInputPtr in = p->ctxt != NULL ? p->ctxt->input : NULL;
        size_t off;

        if (in == NULL || in->cur == NULL || in->base == NULL)
                return p->offset;
        off = (size_t)in->consumed + (size_t)(in->cur - in->base);
        return off < p->piece_end ? off : p->piece_end;
}

/* Records the first error only; the reader is dead from now on. */
static void xs_fail(struct xs_parser *p, const char *cond, size_t off, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void xs_fail(struct xs_parser *p, const char *cond, size_t off, const char *fmt, ...)
{
        va_list ap;

        if (p->dead)
                return;
        p->dead = 1;
        p->err_cond = cond;
        p->err_offset = off;
        va_start(ap, fmt);
        vsnprintf(p->err_text, sizeof(p->err_text), fmt, ap);
        va_end(ap);
        /* No xmlStopParser here: this runs inside libxml2's callbacks (its error
         * path included), where halting the parser frees input that libxml2 is
         * still reading. xs_push stops it once xmlParseChunk has returned; until
         * then every callback ignores a dead reader. */
}

static void xs_fail_memory(struct xs_parser *p)
{
        xs_fail(p, "internal-server-error", xs_parse_offset(p), "out of memory");
}

/* libxml2's error codes mapped to RFC 6120 §4.9.3 conditions. */
static const char *xs_condition_of(int code)
{
        switch (code) {
        case XML_ERR_UNDECLARED_ENTITY:
        case XML_WAR_UNDECLARED_ENTITY:
        case XML_ERR_ENTITY_LOOP:
        case XML_ERR_ENTITY_BOUNDARY:
        case XML_ERR_EXT_ENTITY_STANDALONE:
                /* RFC 6120 §11.1: no entity references but the predefined five. */
                return "restricted-xml";
        case XML_ERR_UNKNOWN_ENCODING:
        case XML_ERR_UNSUPPORTED_ENCODING:
        case XML_ERR_INVALID_ENCODING:
        case XML_ERR_ENCODING_NAME:
                return "unsupported-encoding"; /* RFC 6120 §11.6 */
        case XML_NS_ERR_UNDEFINED_NAMESPACE:
                return "bad-namespace-prefix"; /* RFC 6120 §4.9.3.2 */
        default:
                return "not-well-formed"; /* RFC 6120 §11.3 */
        }
}

/* Receives every libxml2 error for our contexts, so nothing reaches stderr. */
static void xs_on_error(void *user, xmlErrorPtr err)
{
        struct xs_parser *p = user;
        const char *cond, *why;
        enum rule_id rule;
        char msg[200];
        size_t n;

        if (p == NULL || err == NULL || p->dead)
                return;
        if (err->code == XML_ERR_USER_STOP)
                return;
        /* Warnings (e.g. a relative namespace URI) do not break a stream. */
        if (err->level == XML_ERR_WARNING && err->code != XML_WAR_UNDECLARED_ENTITY)
                return;
        snprintf(msg, sizeof(msg), "%s", err->message != NULL ? err->message : "");
        n = strlen(msg);
        while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
                msg[--n] = '\0';
        cond = xs_condition_of(err->code);
        if (strcmp(cond, "restricted-xml") == 0)
                why = "entity reference other than the five predefined ones",
                rule = RULE_H_XML_RESTRICTED;
        else if (strcmp(cond, "unsupported-encoding") == 0)
                why = "not UTF-8", rule = RULE_H_XML_UTF8;
        else if (strcmp(cond, "bad-namespace-prefix") == 0)
                why = "namespace prefix not declared", rule = RULE_H_XML_NS_PREFIX;
        else
                why = "not well-formed XML", rule = RULE_H_XML_WELLFORMED;
        xs_fail(p, cond, xs_parse_offset(p), "%s (%s); libxml2 error %d: %s", why, rule_cite(rule),
                err->code, msg);
}

/* ---- header strings ---- */

static void xs_header_clear(struct xs_parser *p)
{
        size_t i;

        for (i = 0; i < HS_N; i++) {
                free(p->hs[i]);
                p->hs[i] = NULL;
        }
        if (p->ns != NULL) {
                for (i = 0; i < 2 * p->header.nb_ns; i++)
                        free(p->ns[i]);
                free(p->ns);
                p->ns = NULL;
        }
        memset(&p->header, 0, sizeof(p->header));
        p->have_header = 0;
}

static int xs_set_string(char **slot, const char *s, size_t len)
{
        char *copy = malloc(len + 1);

        if (copy == NULL)
                return -1;
        memcpy(copy, s, len);
        copy[len] = '\0';
        free(*slot);
        *slot = copy;
        return 0;
}

/*
 * With XML_PARSE_NOENT off, libxml2 hands every '&' of an attribute value to
 * SAX2 as the text "&#38;" (toolchain.md §2a), and a '&' never appears any
 * other way, so replacing each "&#38;" gives the real value. The result is in
 * p->scratch.
 */
static int xs_decode_value(struct xs_parser *p, const xmlChar *start, const xmlChar *end)
{
        const char *s = (const char *)start, *e = (const char *)end;

        buf_reset(&p->scratch);
        while (s < e) {
                const char *amp = memchr(s, '&', (size_t)(e - s));

                if (amp == NULL)
                        return buf_append(&p->scratch, s, (size_t)(e - s));
                if (buf_append(&p->scratch, s, (size_t)(amp - s)) != 0 ||
                    buf_append(&p->scratch, "&", 1) != 0)
                        return -1;
                s = amp + 1;
                if ((size_t)(e - s) >= 4 && memcmp(s, "#38;", 4) == 0)
                        s += 4;
        }
        if (p->scratch.data == NULL)
                return buf_append(&p->scratch, "", 0);
        return 0;
}

/* ---- SAX callbacks ---- */

static void xs_emit(struct xs_parser *p, enum xs_event_kind kind, xmlNodePtr element)
{
        struct xs_event ev;

        ev.kind = kind;
        ev.header = &p->header;
        ev.element = element;
        ev.offset = p->piece_end;
        if (p->handler(p->user, &ev) == XS_PAUSE)
                p->paused = 1;
}

static void xs_on_header(struct xs_parser *p, const xmlChar *localname, const xmlChar *URI,
                         int nb_namespaces, const xmlChar **namespaces, int nb_attributes,
                         const xmlChar **attributes)
{
        const char *default_ns = NULL;
        int content_prefixed = 0, i;

        /* RFC 6120 §4.8.1: the root must be {http://etherx.jabber.org/streams}stream. */
        if (URI == NULL || strcmp((const char *)URI, XS_NS_STREAMS) != 0 ||
            strcmp((const char *)localname, "stream") != 0) {
                xs_fail(p, "invalid-namespace", xs_parse_offset(p),
                        "stream header is {%s}%s, not {" XS_NS_STREAMS "}stream (%s)",
                        URI != NULL ? (const char *)URI : "", (const char *)localname,
                        rule_cite(RULE_H_XML_STREAM_NS));
                return;
        }
        p->ns = calloc(2 * (size_t)nb_namespaces + 1, sizeof(char *));
        if (p->ns == NULL)
                goto nomem;
        for (i = 0; i < nb_namespaces; i++) {
                const char *prefix = (const char *)namespaces[2 * i];
                const char *uri = (const char *)namespaces[2 * i + 1];

                if (uri == NULL)
                        uri = "";
                if ((prefix != NULL && xs_set_string(&p->ns[2 * i], prefix, strlen(prefix)) != 0) ||
                    xs_set_string(&p->ns[2 * i + 1], uri, strlen(uri)) != 0)
                        goto nomem;
                p->header.nb_ns = (size_t)i + 1;
                if (prefix == NULL)
                        default_ns = uri;
                else if (strcmp(uri, p->content_ns) == 0)
                        content_prefixed = 1;
                if (prefix != NULL && strcmp(uri, XS_NS_DIALBACK) == 0 && p->hs[HS_DB] == NULL &&
                    xs_set_string(&p->hs[HS_DB], prefix, strlen(prefix)) != 0)
                        goto nomem;
                if (prefix != NULL && strcmp(uri, XS_NS_STREAMS) == 0 &&
                    p->hs[HS_STREAM_PREFIX] == NULL &&
                    xs_set_string(&p->hs[HS_STREAM_PREFIX], prefix, strlen(prefix)) != 0)
                        goto nomem;
        }
        /*
         * RFC 6120 §4.8.2: the content namespace is normally the default
         * namespace; an entity MAY instead bind it to a prefix, so a header
         * with no default namespace passes when it binds content_ns to one.
         */
        if (default_ns != NULL && strcmp(default_ns, p->content_ns) != 0) {
                xs_fail(p, "invalid-namespace", xs_parse_offset(p),
                        "content namespace '%s', expected '%s' (%s)", default_ns, p->content_ns,
                        rule_cite(RULE_H_XML_CONTENT_NS));
                return;
        }
        if (default_ns == NULL && !content_prefixed) {
                xs_fail(p, "invalid-namespace", xs_parse_offset(p),
                        "stream header declares no content namespace, expected '%s' (RFC 6120 "
                        "§4.8.2)",
                        p->content_ns);
                return;
        }
        if (default_ns != NULL &&
            xs_set_string(&p->hs[HS_CONTENT_NS], default_ns, strlen(default_ns)) != 0)
                goto nomem;
        for (i = 0; i < nb_attributes; i++) {
                const char *name = (const char *)attributes[5 * i];
                const char *auri = (const char *)attributes[5 * i + 2];
                int slot = -1;

                if (auri == NULL) {
                        if (strcmp(name, "to") == 0)
                                slot = HS_TO;
                        else if (strcmp(name, "from") == 0)
                                slot = HS_FROM;
                        else if (strcmp(name, "id") == 0)
                                slot = HS_ID;
                        else if (strcmp(name, "version") == 0)
                                slot = HS_VERSION;
                } else if (strcmp(auri, XS_NS_XML) == 0 && strcmp(name, "lang") == 0) {
                        slot = HS_LANG;
                }
                if (slot < 0)
                        continue;
                if (xs_decode_value(p, attributes[5 * i + 3], attributes[5 * i + 4]) != 0 ||
                    xs_set_string(&p->hs[slot], p->scratch.data, p->scratch.len) != 0)
                        goto nomem;
        }
        p->header.to = p->hs[HS_TO];
        p->header.from = p->hs[HS_FROM];
        p->header.id = p->hs[HS_ID];
        p->header.version = p->hs[HS_VERSION];
        p->header.lang = p->hs[HS_LANG];
        p->header.content_ns = p->hs[HS_CONTENT_NS];
        p->header.stream_prefix = p->hs[HS_STREAM_PREFIX];
        p->header.db_prefix = p->hs[HS_DB];
        p->header.ns = (const char *const *)p->ns;
        p->have_header = 1;
        p->depth = 1;
        p->phase = PH_BETWEEN;
        p->phase_bytes = 0;
        xs_emit(p, XS_EV_HEADER, NULL);
        return;
nomem:
        xs_fail_memory(p);
}

/* Adds pending character data to the element being built. */
static int xs_flush_text(struct xs_parser *p)
{
        xmlNodePtr t;

        if (p->text.len == 0)
                return 0;
        if (p->cur == NULL || p->text.len > (size_t)0x7fffffff)
                return -1;
        t = xmlNewDocTextLen(p->doc, (const xmlChar *)p->text.data, (int)p->text.len);
        if (t == NULL)
                return -1;
        if (xmlAddChild(p->cur, t) == NULL) {
                xmlFreeNode(t);
                return -1;
        }
        buf_reset(&p->text);
        return 0;
}

/*
 * The xmlNs for (prefix, uri) as seen from node. A binding that comes from the
 * stream header is not in the built tree, so it is declared on the first-level
 * element: that keeps each delivered element self-contained.
 */
static xmlNsPtr xs_resolve_ns(struct xs_parser *p, xmlNodePtr node, const xmlChar *prefix,
                              const xmlChar *uri)
{
        xmlNsPtr ns = xmlSearchNs(p->doc, node, prefix);

        if (ns != NULL && ns->href != NULL && xmlStrEqual(ns->href, uri))
                return ns;
        return xmlNewNs(ns == NULL ? p->top : node, uri, prefix);
}

static void xs_on_start(void *user, const xmlChar *localname, const xmlChar *prefix,
                        const xmlChar *URI, int nb_namespaces, const xmlChar **namespaces,
                        int nb_attributes, int nb_defaulted, const xmlChar **attributes)
{
        struct xs_parser *p = user;
        xmlNodePtr node;
        int i;

        (void)nb_defaulted;
        if (p->dead)
                return;
        if ((unsigned)nb_attributes + (unsigned)nb_namespaces > p->lim.max_attrs) {
                xs_fail(p, "policy-violation", xs_parse_offset(p),
                        "element <%s> has %d attributes, more than max_attrs = %u (RFC 6120 "
                        "§4.9.3.14)",
                        (const char *)localname, nb_attributes + nb_namespaces, p->lim.max_attrs);
                return;
        }
        if (p->depth == 0) {
                xs_on_header(p, localname, URI, nb_namespaces, namespaces, nb_attributes,
                             attributes);
                return;
        }
        /* p->depth is the level of the new element: first-level elements are 1. */
        if (p->depth > p->lim.max_depth) {
                xs_fail(p, "policy-violation", xs_parse_offset(p),
                        "element <%s> is nested %u deep, more than max_depth = %u (RFC 6120 "
                        "§4.9.3.14)",
                        (const char *)localname, p->depth, p->lim.max_depth);
                return;
        }
        if (xs_flush_text(p) != 0)
                goto nomem;
        node = xmlNewDocNode(p->doc, NULL, localname, NULL);
        if (node == NULL)
                goto nomem;
        if (p->cur == NULL) {
                p->top = node;
        } else if (xmlAddChild(p->cur, node) == NULL) {
                xmlFreeNode(node);
                goto nomem;
        }
        p->cur = node;
        p->depth++;
        for (i = 0; i < nb_namespaces; i++) {
                const xmlChar *nprefix = namespaces[2 * i];
                const xmlChar *nuri = namespaces[2 * i + 1];

                /* xmlns:xml is implicit; libxml2 refuses to declare it again. */
                if (nprefix != NULL && xmlStrEqual(nprefix, BAD_CAST "xml"))
                        continue;
                if (xmlNewNs(node, nuri != NULL ? nuri : BAD_CAST "", nprefix) == NULL)
                        goto nomem;
        }
        if (URI != NULL) {
                node->ns = xs_resolve_ns(p, node, prefix, URI);
                if (node->ns == NULL)
                        goto nomem;
        }
        for (i = 0; i < nb_attributes; i++) {
                const xmlChar *aname = attributes[5 * i];
                const xmlChar *aprefix = attributes[5 * i + 1];
                const xmlChar *auri = attributes[5 * i + 2];
                xmlNsPtr ans = NULL;

                if (auri != NULL) {
                        ans = xs_resolve_ns(p, node, aprefix, auri);
                        if (ans == NULL)
                                goto nomem;
                }
                if (xs_decode_value(p, attributes[5 * i + 3], attributes[5 * i + 4]) != 0)
                        goto nomem;
                /* xmlNewNsProp stores the value as it is (no entity parsing). */
                if (xmlNewNsProp(node, ans, aname, (const xmlChar *)p->scratch.data) == NULL)
                        goto nomem;
        }
        return;
nomem:
        xs_fail_memory(p);
}

static void xs_on_end(void *user, const xmlChar *localname, const xmlChar *prefix,
                      const xmlChar *URI)
{
        struct xs_parser *p = user;
        xmlNodePtr done;

        (void)localname;
        (void)prefix;
        (void)URI;
        if (p->dead || p->depth == 0)
                return;
        if (p->depth == 1) {
                p->depth = 0;
                p->phase = PH_CLOSED;
                xs_emit(p, XS_EV_CLOSE, NULL);
                return;
        }
        if (xs_flush_text(p) != 0) {
                xs_fail_memory(p);
                return;
        }
        p->depth--;
        if (p->depth > 1) {
                p->cur = p->cur->parent;
                return;
        }
        done = p->top;
        p->top = NULL;
        p->cur = NULL;
        p->phase = PH_BETWEEN;
        p->phase_bytes = 0;
        xs_emit(p, XS_EV_ELEMENT, done);
        xmlFreeNode(done);
}

static void xs_on_text(void *user, const xmlChar *ch, int len)
{
        struct xs_parser *p = user;
        int i;

        if (p->dead || len <= 0)
                return;
        if (p->depth >= 2) {
                if (buf_append(&p->text, ch, (size_t)len) != 0)
                        xs_fail_memory(p);
                return;
        }
        /* RFC 6120 §11.7: only whitespace may separate first-level elements. */
        for (i = 0; i < len; i++) {
                if (ch[i] != ' ' && ch[i] != '\t' && ch[i] != '\r' && ch[i] != '\n') {
                        xs_fail(p, "bad-format", xs_parse_offset(p),
                                "character data between first-level elements; only whitespace "
                                "is allowed there (%s)",
                                rule_cite(RULE_H_XML_BETWEEN));
                        return;
                }
        }
}

static void xs_on_cdata(void *user, const xmlChar *ch, int len)
{
        struct xs_parser *p = user;

        if (!p->dead && p->depth < 2) {
                xs_fail(p, "bad-format", xs_parse_offset(p),
                        "CDATA section between first-level elements (%s)",
                        rule_cite(RULE_H_XML_BETWEEN));
                return;
        }
        xs_on_text(user, ch, len);
}

static void xs_on_comment(void *user, const xmlChar *value)
{
        struct xs_parser *p = user;

        (void)value;
        xs_fail(p, "restricted-xml", xs_parse_offset(p), "XML comment not allowed in XMPP (%s)",
                rule_cite(RULE_H_XML_RESTRICTED));
}

static void xs_on_pi(void *user, const xmlChar *target, const xmlChar *data)
{
        struct xs_parser *p = user;

        (void)data;
        xs_fail(p, "restricted-xml", xs_parse_offset(p),
                "processing instruction <?%s?> not allowed in XMPP (%s)", (const char *)target,
                rule_cite(RULE_H_XML_RESTRICTED));
}

/*
 * Fires as soon as "<!DOCTYPE name" is read, before any <!ENTITY> is parsed
 * (toolchain.md §2a): stopping here means no entity is ever declared, so
 * billion-laughs and external entities never get anywhere.
 */
static void xs_on_subset(void *user, const xmlChar *name, const xmlChar *external_id,
                         const xmlChar *system_id)
{
        struct xs_parser *p = user;

        (void)name;
        (void)external_id;
        (void)system_id;
        xs_fail(p, "restricted-xml", xs_parse_offset(p), "DOCTYPE not allowed in XMPP (%s)",
                rule_cite(RULE_H_XML_RESTRICTED));
}

static void xs_on_entity_decl(void *user, const xmlChar *name, int type, const xmlChar *public_id,
                              const xmlChar *system_id, xmlChar *content)
{
        struct xs_parser *p = user;

        (void)type;
        (void)public_id;
        (void)system_id;
        (void)content;
        xs_fail(p, "restricted-xml", xs_parse_offset(p),
                "entity declaration '%s' not allowed in XMPP (%s)", (const char *)name,
                rule_cite(RULE_H_XML_RESTRICTED));
}

static void xs_on_reference(void *user, const xmlChar *name)
{
        struct xs_parser *p = user;

        xs_fail(p, "restricted-xml", xs_parse_offset(p),
                "entity reference &%s; not allowed in XMPP (%s)", (const char *)name,
                rule_cite(RULE_H_XML_RESTRICTED));
}

/* No entity exists but the predefined five, which libxml2 resolves itself. */
static xmlEntityPtr xs_get_entity(void *user, const xmlChar *name)
{
        (void)user;
        (void)name;
        return NULL;
}

/* Called once the XML declaration (if any) is read, before any element. */
static void xs_on_start_document(void *user)
{
        struct xs_parser *p = user;
        const xmlChar *enc = NULL;

        if (p->dead || p->ctxt == NULL)
                return;
        if (p->ctxt->encoding != NULL)
                enc = p->ctxt->encoding;
        else if (p->ctxt->input != NULL && p->ctxt->input->encoding != NULL)
                enc = p->ctxt->input->encoding;
        /* RFC 6120 §11.6: UTF-8 only. */
        if (enc != NULL && strcasecmp((const char *)enc, "UTF-8") != 0) {
                xs_fail(p, "unsupported-encoding", p->piece_end,
                        "declared encoding '%s'; XMPP streams are UTF-8 only (%s)",
                        (const char *)enc, rule_cite(RULE_H_XML_UTF8));
                return;
        }
        if (p->ctxt->input != NULL && p->ctxt->input->buf != NULL &&
            p->ctxt->input->buf->encoder != NULL)
                xs_fail(p, "unsupported-encoding", p->piece_end,
                        "input converted from a non-UTF-8 encoding (%s)",
                        rule_cite(RULE_H_XML_UTF8));
}

/* ---- lifecycle ---- */

static int xs_open_context(struct xs_parser *p)
{
        xmlSAXHandler sax;

        memset(&sax, 0, sizeof(sax));
        sax.initialized = XML_SAX2_MAGIC;
        sax.startDocument = xs_on_start_document;
        sax.startElementNs = xs_on_start;
        sax.endElementNs = xs_on_end;
        sax.characters = xs_on_text;
        sax.ignorableWhitespace = xs_on_text;
        sax.cdataBlock = xs_on_cdata;
        sax.comment = xs_on_comment;
        sax.processingInstruction = xs_on_pi;
        sax.internalSubset = xs_on_subset;
        sax.externalSubset = xs_on_subset;
        sax.entityDecl = xs_on_entity_decl;
        sax.reference = xs_on_reference;
        sax.getEntity = xs_get_entity;
        sax.getParameterEntity = xs_get_entity;
        sax.serror = xs_on_error;

        p->ctxt = xmlCreatePushParserCtxt(&sax, p, NULL, 0, NULL);
        if (p->ctxt == NULL)
                return -1;
        /* NONET; never NOENT (entities stay unexpanded), never HUGE (toolchain.md §2a). */
        if (xmlCtxtUseOptions(p->ctxt, XML_PARSE_NONET) != 0)
                return -1;
        p->doc = xmlNewDoc(BAD_CAST "1.0");
        if (p->doc == NULL)
                return -1;
        return 0;
}

static void xs_close_context(struct xs_parser *p)
{
        if (p->top != NULL)
                xmlFreeNode(p->top);
        p->top = NULL;
        p->cur = NULL;
        if (p->ctxt != NULL) {
                if (p->ctxt->myDoc != NULL)
                        xmlFreeDoc(p->ctxt->myDoc);
                p->ctxt->myDoc = NULL;
                xmlFreeParserCtxt(p->ctxt);
        }
        p->ctxt = NULL;
        if (p->doc != NULL)
                xmlFreeDoc(p->doc);
        p->doc = NULL;
}

struct xs_parser *xs_new(const struct xs_limits *limits, const char *content_ns, xs_handler h,
                         void *user)
{
        struct xs_parser *p;

        if (content_ns == NULL || h == NULL)
                return NULL;
        xmlInitParser();
        p = calloc(1, sizeof(*p));
        if (p == NULL)
                return NULL;
        if (limits != NULL)
                p->lim = *limits;
        else
                xs_limits_default(&p->lim);
        if (p->lim.max_depth > XS_DEPTH_CAP)
                p->lim.max_depth = XS_DEPTH_CAP;
        p->handler = h;
        p->user = user;
        buf_init(&p->text, 0);
        buf_init(&p->scratch, 0);
        p->content_ns = malloc(strlen(content_ns) + 1);
        if (p->content_ns == NULL)
                goto fail;
        memcpy(p->content_ns, content_ns, strlen(content_ns) + 1);
        if (xs_reset(p) != 0)
                goto fail;
        return p;
fail:
        xs_free(p);
        return NULL;
}

void xs_free(struct xs_parser *p)
{
        if (p == NULL)
                return;
        xs_close_context(p);
        xs_header_clear(p);
        buf_cleanup(&p->text);
        buf_cleanup(&p->scratch);
        free(p->content_ns);
        free(p);
}

int xs_reset(struct xs_parser *p)
{
        xs_close_context(p);
        xs_header_clear(p);
        buf_reset(&p->text);
        p->depth = 0;
        p->offset = 0;
        p->piece_end = 0;
        p->phase = PH_HEADER;
        p->phase_bytes = 0;
        p->utf8_need = 0;
        p->decl = DECL_UNDECIDED;
        p->decl_len = 0;
        p->paused = 0;
        p->dead = 0;
        p->err_cond = NULL;
        p->err_text[0] = '\0';
        p->err_offset = 0;
        if (xs_open_context(p) != 0) {
                xs_close_context(p);
                p->dead = 1;
                p->err_cond = "internal-server-error";
                snprintf(p->err_text, sizeof(p->err_text), "cannot create the XML parser");
                return -1;
        }
        return 0;
}

/* ---- feeding ---- */

static size_t xs_bad_utf8(unsigned char c, size_t i, const char **cond, char *text, size_t text_len)
{
        *cond = "unsupported-encoding";
        snprintf(text, text_len, "invalid UTF-8 byte 0x%02X (%s)", c, rule_cite(RULE_H_XML_UTF8));
        return i;
}

/* ---- the XML declaration (XML 1.0 §2.8) ---- */

static bool xs_is_space(char c)
{
        return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static size_t xs_skip_space(const char *d, size_t n, size_t i)
{
        while (i < n && xs_is_space(d[i]))
                i++;
        return i;
}

/*
 * One pseudo-attribute: S name Eq quoted-value. On success *vstart and *vlen point
 * at the value inside d and the index after the closing quote is returned;
 * 0 when d[i..] is not that (no value can end at index 0).
 */
static size_t xs_decl_attr(const char *d, size_t n, size_t i, const char *name, size_t *vstart,
                           size_t *vlen)
{
        size_t len = strlen(name), j = xs_skip_space(d, n, i);
        const char *close;
        char quote;

        if (j == i || n - j < len || memcmp(d + j, name, len) != 0)
                return 0;
        j = xs_skip_space(d, n, j + len);
        if (j >= n || d[j] != '=')
                return 0;
        j = xs_skip_space(d, n, j + 1);
        if (j >= n || (d[j] != '\'' && d[j] != '"'))
                return 0;
        quote = d[j];
        close = memchr(d + j + 1, quote, n - j - 1);
        if (close == NULL)
                return 0;
        *vstart = j + 1;
        *vlen = (size_t)(close - (d + j + 1));
        return (size_t)(close - d) + 1;
}

/*
 * Checks a whole declaration "<?xml ... ?>" (d, n). Returns NULL when it is
 * well-formed and declares UTF-8 or no encoding; otherwise the condition
 * ("not-well-formed" or "unsupported-encoding") with a sentence in text.
 */
static const char *xs_check_decl(const char *d, size_t n, char *text, size_t text_len)
{
        size_t i = 5, v, vlen, k, next;

        /* VersionInfo: '1.' [0-9]+ */
        i = xs_decl_attr(d, n, i, "version", &v, &vlen);
        if (i == 0 || vlen < 3 || d[v] != '1' || d[v + 1] != '.')
                goto malformed;
        for (k = 2; k < vlen; k++)
                if (d[v + k] < '0' || d[v + k] > '9')
                        goto malformed;
        /* EncodingDecl? EncName ::= [A-Za-z] ([A-Za-z0-9._] | '-')* */
        next = xs_decl_attr(d, n, i, "encoding", &v, &vlen);
        if (next != 0) {
                bool name_ok = vlen > 0 && ((d[v] | 0x20) >= 'a' && (d[v] | 0x20) <= 'z');

                for (k = 1; name_ok && k < vlen; k++) {
                        char c = d[v + k];

                        name_ok = ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') ||
                                  (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-';
                }
                if (!name_ok)
                        goto malformed;
                if (vlen != 5 || strncasecmp(d + v, "UTF-8", 5) != 0) {
                        snprintf(text, text_len,
                                 "declared encoding '%.*s'; XMPP streams are UTF-8 only (RFC "
                                 "6120 §11.6)",
                                 (int)(vlen < 40 ? vlen : 40), d + v);
                        return "unsupported-encoding";
                }
                i = next;
        }
        /* SDDecl? */
        next = xs_decl_attr(d, n, i, "standalone", &v, &vlen);
        if (next != 0) {
                if (!(vlen == 3 && memcmp(d + v, "yes", 3) == 0) &&
                    !(vlen == 2 && memcmp(d + v, "no", 2) == 0))
                        goto malformed;
                i = next;
        }
        i = xs_skip_space(d, n, i);
        if (i + 2 == n && d[i] == '?' && d[i + 1] == '>')
                return NULL;
malformed:
        snprintf(text, text_len,
                 "malformed XML declaration (XML 1.0 §2.8: version, then optional encoding and "
                 "standalone, then '?>') (%s)",
                 rule_cite(RULE_H_XML_WELLFORMED));
        return "not-well-formed";
}

/*
 * Follows the stream's first bytes through a possible XML declaration.
 * Returns NULL while all is well, or the condition (text set) when the
 * declaration must not reach libxml2.
 */
static const char *xs_scan_decl(struct xs_parser *p, unsigned char c, size_t at, char *text,
                                size_t text_len)
{
        static const char start[] = "<?xml";

        if (p->decl == DECL_UNDECIDED) {
                if (at >= sizeof(start) - 1 || (char)c != start[at]) {
                        p->decl = DECL_DONE;
                        return NULL;
                }
                p->decl_text[p->decl_len++] = (char)c;
                if (p->decl_len == sizeof(start) - 1)
                        p->decl = DECL_READING;
                return NULL;
        }
        if (p->decl != DECL_READING)
                return NULL;
        if (p->decl_len == sizeof(start) - 1 && !xs_is_space((char)c)) {
                /* "<?xmlfoo": a processing instruction, which xs_on_pi refuses. */
                p->decl = DECL_DONE;
                return NULL;
        }
        if (p->decl_len >= sizeof(p->decl_text)) {
                snprintf(text, text_len, "XML declaration longer than %zu bytes (%s)",
                         sizeof(p->decl_text), rule_cite(RULE_H_XML_WELLFORMED));
                return "not-well-formed";
        }
        p->decl_text[p->decl_len++] = (char)c;
        if (c != '>')
                return NULL;
        p->decl = DECL_DONE;
        return xs_check_decl(p->decl_text, p->decl_len, text, text_len);
}

/*
 * Checks raw bytes before libxml2 sees them: RFC 6120 §11.6 (UTF-8 only, no
 * BOM) decided on the bytes themselves so the condition does not depend on
 * how libxml2 reacts, and the size limits counted on the wire so memory stays
 * bounded while an element is still open. Returns how many bytes of s passed;
 * when that is less than n, p->err_* describe the problem (p->dead unset).
 */
static size_t xs_scan(struct xs_parser *p, const unsigned char *s, size_t n, const char **cond,
                      char *text, size_t text_len)
{
        size_t i;

        for (i = 0; i < n; i++) {
                unsigned char c = s[i];
                size_t at = p->offset + i;

                if (at == 0 && (c == 0xEF || c == 0xFE || c == 0xFF)) {
                        *cond = "unsupported-encoding";
                        snprintf(text, text_len,
                                 "byte-order mark (0x%02X) at stream start: XMPP streams are "
                                 "UTF-8 without BOM (%s)",
                                 c, rule_cite(RULE_H_XML_UTF8));
                        return i;
                }
                if (c == 0) {
                        /* A NUL among the first four bytes is UTF-16 or UTF-32 (XML 1.0 App. F). */
                        *cond = at < 4 ? "unsupported-encoding" : "not-well-formed";
                        if (at < 4)
                                snprintf(text, text_len,
                                         "NUL byte at stream start: UTF-16/UTF-32, not UTF-8 (%s)",
                                         rule_cite(RULE_H_XML_UTF8));
                        else
                                snprintf(text, text_len, "NUL byte is not an XML character (%s)",
                                         rule_cite(RULE_H_XML_WELLFORMED));
                        return i;
                }
                if (p->utf8_need > 0) {
                        if (c < p->utf8_lo || c > p->utf8_hi)
                                return xs_bad_utf8(c, i, cond, text, text_len);
                        p->utf8_need--;
                        p->utf8_lo = 0x80;
                        p->utf8_hi = 0xBF;
                } else if (c >= 0x80) {
                        int need = util_utf8_lead(c, &p->utf8_lo, &p->utf8_hi);

                        if (need < 0)
                                return xs_bad_utf8(c, i, cond, text, text_len);
                        p->utf8_need = (unsigned)need;
                }
                switch (p->phase) {
                case PH_HEADER:
                        *cond = xs_scan_decl(p, c, at, text, text_len);
                        if (*cond != NULL)
                                return i;
                        if (++p->phase_bytes > p->lim.max_header) {
                                *cond = "policy-violation";
                                snprintf(text, text_len,
                                         "stream header longer than max_header = %zu bytes "
                                         "(%s)",
                                         p->lim.max_header, rule_cite(RULE_H_SE_POLICY));
                                return i;
                        }
                        break;
                case PH_BETWEEN:
                        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
                                break;
                        p->phase = PH_ELEMENT;
                        p->phase_bytes = 0;
                        /* fall through */
                case PH_ELEMENT:
                        if (++p->phase_bytes > p->lim.max_element) {
                                *cond = "policy-violation";
                                snprintf(text, text_len,
                                         "first-level element longer than max_element = %zu "
                                         "bytes (%s)",
                                         p->lim.max_element, rule_cite(RULE_H_SE_POLICY));
                                return i;
                        }
                        break;
                case PH_CLOSED:
                        break;
                }
        }
        return n;
}

/*
 * libxml2's push parser waits for more input in two cases where no later
 * input can make the stream well-formed, and meanwhile swallows every later
 * element without an error: content starting with '&' is held until a ';'
 * arrives ("a & b</body></message>"), and a start tag is held while its last
 * '>' looks quoted ("<message id='a<b'/>"). Both are caught here, after each
 * piece, so the peer gets not-well-formed (RFC 6120 §11.3) instead of silence.
 */
static void xs_check_stall(struct xs_parser *p)
{
        const xmlParserInputPtr in = p->ctxt->input;
        const xmlChar *s;
        xmlChar quote = 0;

        if (p->dead || in == NULL || in->cur == NULL || in->end == NULL || in->cur >= in->end)
                return;
        if (p->ctxt->instate == XML_PARSER_CONTENT && *in->cur == '&') {
                /* A reference is '&' name ';' or '&#' digits ';'. */
                for (s = in->cur + 1; s < in->end; s++) {
                        if (*s == ';')
                                return;
                        if (strchr("<>&'\" \t\r\n", *s) != NULL) {
                                xs_fail(p, "not-well-formed", xs_parse_offset(p),
                                        "'&' not followed by an entity or character reference "
                                        "(%s)",
                                        rule_cite(RULE_H_XML_WELLFORMED));
                                return;
                        }
                }
                return;
        }
        if (p->ctxt->instate == XML_PARSER_START_TAG && *in->cur == '<') {
                for (s = in->cur + 1; s < in->end; s++) {
                        if (quote != 0 && *s == quote)
                                quote = 0;
                        else if (quote == 0 && (*s == '\'' || *s == '"'))
                                quote = *s;
                        else if (quote == 0 && *s == '>')
                                return;
                        else if (*s == '<') {
                                xs_fail(p, "not-well-formed", xs_parse_offset(p),
                                        "'<' inside a start tag (%s, XML 1.0 §3.1)",
                                        rule_cite(RULE_H_XML_WELLFORMED));
                                return;
                        }
                }
        }
}

/*
 * Hands one piece to libxml2. Its errors reach this reader through the SAX
 * serror of its own context; no process-wide libxml2 handler is touched.
 */
static void xs_push(struct xs_parser *p, const char *s, size_t n)
{
        int rc;

        p->piece_end = p->offset + n;
        rc = xmlParseChunk(p->ctxt, s, (int)n, 0);
        p->offset += n;
        if (rc != 0 && !p->dead && !p->ctxt->wellFormed)
                xs_fail(p, "not-well-formed", p->offset,
                        "not well-formed XML (%s); libxml2 error %d",
                        rule_cite(RULE_H_XML_WELLFORMED), rc);
        if (!p->dead)
                xs_check_stall(p);
        /* Outside every callback now: safe to halt libxml2 for good. */
        if (p->dead)
                xmlStopParser(p->ctxt);
}

enum xs_status xs_feed(struct xs_parser *p, const char *data, size_t len, size_t *consumed)
{
        size_t used = 0;

        if (consumed != NULL)
                *consumed = 0;
        if (p->dead)
                return XS_ERROR;
        p->paused = 0;
        while (used < len) {
                const char *gt = memchr(data + used, '>', len - used);
                size_t n = gt != NULL ? (size_t)(gt - (data + used)) + 1 : len - used;
                const char *cond = NULL;
                char text[sizeof(p->err_text)];
                size_t ok;

                /* Pieces end at each '>', so an event's callback fires exactly at
                 * the end of a piece and a pause leaves the rest untouched. */
                if (n > XS_PIECE_MAX)
                        n = XS_PIECE_MAX;
                ok = xs_scan(p, (const unsigned char *)data + used, n, &cond, text, sizeof(text));
                if (ok > 0)
                        xs_push(p, data + used, ok);
                used += ok;
                if (!p->dead && ok < n)
                        xs_fail(p, cond, p->offset, "%s", text);
                if (p->dead)
                        break;
                if (p->paused) {
                        if (consumed != NULL)
                                *consumed = used;
                        return XS_PAUSED;
                }
        }
        if (consumed != NULL)
                *consumed = used;
        return p->dead ? XS_ERROR : XS_OK;
}

const char *xs_error_condition(const struct xs_parser *p)
{
        return p->err_cond;
}

const char *xs_error_text(const struct xs_parser *p)
{
        return p->err_text;
}

size_t xs_error_offset(const struct xs_parser *p)
{
        return p->err_offset;
}

const struct xs_header *xs_get_header(const struct xs_parser *p)
{
        return p->have_header ? &p->header : NULL;
}

/* ---- writer ---- */

/*
 * Appends s escaped for an attribute value or text. Refuses what XML 1.0 §2.2
 * cannot carry: invalid UTF-8, control characters, U+FFFE and U+FFFF.
 */
static int xs_put_escaped(struct buf *out, const char *s)
{
        const unsigned char *u = (const unsigned char *)s;
        size_t i = 0;

        while (u[i] != '\0') {
                unsigned char c = u[i];
                const char *rep = NULL;
                size_t clen = 1;

                if (c < 0x80) {
                        if (c < 0x20 && c != '\t' && c != '\n' && c != '\r')
                                return -1;
                        switch (c) {
                        case '&':
                                rep = "&amp;";
                                break;
                        case '<':
                                rep = "&lt;";
                                break;
                        case '>':
                                rep = "&gt;";
                                break;
                        case '\'':
                                rep = "&apos;";
                                break;
                        case '"':
                                rep = "&quot;";
                                break;
                        /* Escaped so attribute-value normalisation keeps them. */
                        case '\t':
                                rep = "&#9;";
                                break;
                        case '\n':
                                rep = "&#10;";
                                break;
                        case '\r':
                                rep = "&#13;";
                                break;
                        default:
                                break;
                        }
                } else {
                        /* The string is NUL-terminated: a NUL cuts a sequence. */
                        clen = util_utf8_decode(u + i, strnlen(s + i, 4), NULL);
                        if (clen == 0)
                                return -1;
                        if (c == 0xEF && u[i + 1] == 0xBF && (u[i + 2] == 0xBE || u[i + 2] == 0xBF))
                                return -1;
                }
                if (rep != NULL) {
                        if (buf_puts(out, rep) != 0)
                                return -1;
                } else if (buf_append(out, u + i, clen) != 0) {
                        return -1;
                }
                i += clen;
        }
        return 0;
}

/* Restores out to its length before a failed write. */
static int xs_rollback(struct buf *out, size_t len)
{
        if (out->data != NULL && out->len > len) {
                out->len = len;
                out->data[len] = '\0';
        }
        return -1;
}

static int xs_put_attr(struct buf *out, const char *name, const char *value)
{
        if (buf_printf(out, " %s='", name) != 0 || xs_put_escaped(out, value) != 0 ||
            buf_puts(out, "'") != 0)
                return -1;
        return 0;
}

int xs_write_header(struct buf *out, const struct xs_header_out *h)
{
        size_t start = out->len;

        if (buf_puts(out, "<?xml version='1.0'?><stream:stream") != 0 ||
            xs_put_attr(out, "xmlns", h->content_ns != NULL ? h->content_ns : XS_NS_SERVER) != 0 ||
            xs_put_attr(out, "xmlns:stream", XS_NS_STREAMS) != 0)
                return xs_rollback(out, start);
        /* XEP-0220 §2.4.1: declaring the namespace announces dialback support. */
        if (h->dialback && xs_put_attr(out, "xmlns:db", XS_NS_DIALBACK) != 0)
                return xs_rollback(out, start);
        if ((h->to != NULL && xs_put_attr(out, "to", h->to) != 0) ||
            (h->from != NULL && xs_put_attr(out, "from", h->from) != 0) ||
            (h->id != NULL && xs_put_attr(out, "id", h->id) != 0) ||
            (!h->no_version && xs_put_attr(out, "version", "1.0") != 0) ||
            xs_put_attr(out, "xml:lang", h->lang != NULL ? h->lang : "en") != 0 ||
            buf_puts(out, ">") != 0)
                return xs_rollback(out, start);
        return 0;
}

static int xs_out_write(void *ctx, const char *data, int len)
{
        if (len < 0 || buf_append(ctx, data, (size_t)len) != 0)
                return -1;
        return len;
}

int xs_write_node(struct buf *out, xmlNodePtr node)
{
        size_t start = out->len;
        xmlOutputBufferPtr ob;
        int failed;

        if (node == NULL)
                return -1;
        ob = xmlOutputBufferCreateIO(xs_out_write, NULL, out, NULL);
        if (ob == NULL)
                return -1;
        /* Encoding "UTF-8" keeps non-ASCII text as UTF-8 (not char refs); format 0: no indentation.
         */
        xmlNodeDumpOutput(ob, node->doc, node, 0, 0, "UTF-8");
        failed = ob->error != 0;
        if (xmlOutputBufferClose(ob) < 0 || failed)
                return xs_rollback(out, start);
        return 0;
}

int xs_write_close(struct buf *out)
{
        return buf_puts(out, "</stream:stream>");
}

/* RFC 6120 §4.9.3.1 to §4.9.3.25. */
static const char *const xs_conditions[] = {
    "bad-format",
    "bad-namespace-prefix",
    "conflict",
    "connection-timeout",
    "host-gone",
    "host-unknown",
    "improper-addressing",
    "internal-server-error",
    "invalid-from",
    "invalid-namespace",
    "invalid-xml",
    "not-authorized",
    "not-well-formed",
    "policy-violation",
    "remote-connection-failed",
    "reset",
    "resource-constraint",
    "restricted-xml",
    "see-other-host",
    "system-shutdown",
    "undefined-condition",
    "unsupported-encoding",
    "unsupported-feature",
    "unsupported-stanza-type",
    "unsupported-version",
};

int xs_condition_is_defined(const char *condition)
{
        size_t i;

        if (condition == NULL)
                return 0;
        for (i = 0; i < ARRAY_LEN(xs_conditions); i++)
                if (strcmp(condition, xs_conditions[i]) == 0)
                        return 1;
        return 0;
}

int xs_write_stream_error(struct buf *out, const char *condition, const char *text)
{
        size_t start = out->len;

        /* RFC 6120 §4.9.2: exactly one defined condition. */
        if (!xs_condition_is_defined(condition))
                return -1;
        if (buf_printf(out, "<stream:error><%s xmlns='" XS_NS_STREAM_ERRORS "'/>", condition) != 0)
                return xs_rollback(out, start);
        if (text != NULL &&
            (buf_puts(out, "<text xmlns='" XS_NS_STREAM_ERRORS "' xml:lang='en'>") != 0 ||
             xs_put_escaped(out, text) != 0 || buf_puts(out, "</text>") != 0))
                return xs_rollback(out, start);
        if (buf_puts(out, "</stream:error>") != 0)
                return xs_rollback(out, start);
        return 0;
}

const char *xs_attr(xmlNodePtr node, const char *name)
{
        xmlAttrPtr a;

        if (node == NULL || node->type != XML_ELEMENT_NODE || name == NULL)
                return NULL;
        for (a = node->properties; a != NULL; a = a->next) {
                if (a->ns != NULL || !xmlStrEqual(a->name, BAD_CAST name))
                        continue;
                if (a->children == NULL)
                        return "";
                /* Values built by xmlNewNsProp/xmlNewProp are one text node. */
                if (a->children->type == XML_TEXT_NODE && a->children->next == NULL)
                        return (const char *)a->children->content;
                return NULL;
        }
        return NULL;
}

int xs_is(xmlNodePtr node, const char *ns, const char *local)
{
        return node != NULL && node->type == XML_ELEMENT_NODE && node->ns != NULL &&
               node->ns->href != NULL && ns != NULL && local != NULL &&
               xmlStrEqual(node->ns->href, BAD_CAST ns) && xmlStrEqual(node->name, BAD_CAST local);
}

int xs_random_system(void *user, void *out, size_t len)
{
        (void)user;
        return gnutls_rnd(GNUTLS_RND_NONCE, out, len) == 0 ? 0 : -1;
}

int xs_new_stream_id(xs_random_fn rnd, void *rnd_user, char *out, size_t len)
{
        unsigned char raw[16];
        gnutls_datum_t d = {raw, sizeof(raw)};
        size_t n = len;

        if (rnd == NULL || out == NULL || len < 2 * sizeof(raw) + 1)
                return -1;
        if (rnd(rnd_user, raw, sizeof(raw)) != 0)
                return -1;
        if (gnutls_hex_encode(&d, out, &n) != 0)
                return -1;
        return 0;
}
