/*
 * XMPP stream reader and writer, sans-I/O (RFC 6120 §4, §11).
 *
 * Reader: a libxml2 SAX2 push parser that turns a peer's bytes, fed in any
 * chunking, into three events: the stream header, each first-level element
 * (whole, as an xmlNode), and the stream close. It refuses what RFC 6120 §11
 * forbids and enforces size limits, reporting each failure as the stream error
 * condition (RFC 6120 §4.9.3) that the engine should send.
 *
 * Events are delivered exactly when the '>' that completes them is fed, and the
 * handler may pause the reader there, so the engine can hand the bytes that
 * follow (for example a TLS ClientHello after <proceed/>, RFC 6120 §5.4.2.3)
 * to someone else.
 *
 * Conditions the reader reports (xs_error_condition):
 *   restricted-xml        DOCTYPE (stopped before any entity is declared),
 *                         comment, processing instruction, and any entity
 *                         reference but the five predefined ones (RFC 6120
 *                         §11.1; libxml2 calls the last one error 26 "not
 *                         defined", we report the RFC's restricted-xml)
 *   unsupported-encoding  BOM, UTF-16/32 bytes, an encoding declaration other
 *                         than UTF-8, invalid UTF-8 (overlong, surrogates,
 *                         > U+10FFFF) (RFC 6120 §11.6)
 *   invalid-namespace     root not {http://etherx.jabber.org/streams}stream,
 *                         or a content namespace other than the expected one
 *                         (RFC 6120 §4.8.1, §4.8.2)
 *   bad-namespace-prefix  an undeclared prefix (RFC 6120 §4.9.3.2)
 *   bad-format            non-whitespace text between first-level elements
 *   policy-violation      a struct xs_limits limit (RFC 6120 §4.9.3.14)
 *   not-well-formed       everything else libxml2 refuses (RFC 6120 §11.3)
 *   internal-server-error out of memory
 * The XML declaration (<?xml version='1.0'?>) is accepted (RFC 6120 §11.5);
 * the XML version it names is not checked.
 *
 * Writer: the stream header, a first-level element, the close tag and a stream
 * error, appended to a struct buf.
 */
#ifndef S2S_XMLSTREAM_H
#define S2S_XMLSTREAM_H

#include <stddef.h>

#include <libxml/tree.h>

#include "buf.h"

#define XS_NS_STREAMS "http://etherx.jabber.org/streams"
#define XS_NS_SERVER "jabber:server"
#define XS_NS_CLIENT "jabber:client"
#define XS_NS_DIALBACK "jabber:server:dialback"
#define XS_NS_STREAM_ERRORS "urn:ietf:params:xml:ns:xmpp-streams"
#define XS_NS_XML "http://www.w3.org/XML/1998/namespace"

/*
 * Limits on what a peer may send (design.md §3: everything the partner controls
 * is bounded). A breach is a policy-violation stream error (RFC 6120
 * §4.9.3.14) whose text names the limit.
 */
struct xs_limits {
        /* Bytes of one first-level element, from its '<' to its final '>'.
         * Whitespace between elements is not counted. Default 65536. */
        size_t max_element;
        /* Element nesting below the stream root: a first-level element is
         * depth 1, its children depth 2... Default 16, at most 200 (libxml2's
         * own limit is 256). */
        unsigned max_depth;
        /* Attributes on one element, namespace declarations (xmlns, xmlns:p)
         * included, as XML 1.0 counts them. Default 32. */
        unsigned max_attrs;
        /* Bytes from the first byte of the stream (XML declaration included)
         * to the '>' that ends the stream header. Default 4096. */
        size_t max_header;
};

/* Fills l with the defaults documented above. */
void xs_limits_default(struct xs_limits *l);

/*
 * The peer's stream header. Every string is owned by the parser and stays
 * valid until xs_reset or xs_free. Absent attributes are NULL.
 */
struct xs_header {
        const char *to;
        const char *from;
        const char *id;
        const char *version;
        const char *lang;          /* xml:lang */
        const char *content_ns;    /* the default namespace declared on the header */
        const char *stream_prefix; /* prefix bound to the stream namespace; NULL = default */
        /* Prefix bound to jabber:server:dialback on the header (XEP-0220 §2.4.1),
         * or NULL when the header does not declare it. */
        const char *db_prefix;
        /* Every namespace declaration on the header, as (prefix, uri) pairs;
         * a NULL prefix is the default namespace. */
        const char *const *ns;
        size_t nb_ns;
};

enum xs_event_kind {
        XS_EV_HEADER,  /* header is set */
        XS_EV_ELEMENT, /* element is set */
        XS_EV_CLOSE,   /* </stream:stream> (or a self-closed header) */
};

struct xs_event {
        enum xs_event_kind kind;
        const struct xs_header *header;
        /* A first-level element, owned by the parser and valid only during the
         * handler call. It is self-contained: every namespace it uses is
         * declared on it (copy it with xmlCopyNode(element, 1) to keep it). */
        xmlNodePtr element;
        /* Byte offset, from the start of the stream, just after the '>' that
         * completed this event. */
        size_t offset;
};

enum xs_action {
        XS_CONTINUE,
        XS_PAUSE, /* xs_feed returns right after the '>' that completed the event */
};

/* The handler must not call xs_feed, xs_reset or xs_free on its parser. */
typedef enum xs_action (*xs_handler)(void *user, const struct xs_event *ev);

struct xs_parser;

/*
 * Creates a reader. limits NULL means xs_limits_default. content_ns is the
 * content namespace the header must declare (XS_NS_SERVER for S2S, RFC 6120
 * §4.8.2); it is copied. h receives the events with user as first argument.
 * Returns NULL on allocation failure.
 */
struct xs_parser *xs_new(const struct xs_limits *limits, const char *content_ns, xs_handler h,
                         void *user);

/* Frees the reader; NULL is fine. */
void xs_free(struct xs_parser *p);

/*
 * Starts a new stream on the same reader: a fresh libxml2 context, error
 * cleared, offsets from 0 again, the previous header gone. Used after
 * STARTTLS and SASL success (RFC 6120 §4.3.3, §5.4.3.3, §6.4.6). Returns 0, or
 * -1 on allocation failure (the reader is then dead until a reset succeeds).
 */
int xs_reset(struct xs_parser *p);

enum xs_status {
        XS_OK,     /* all len bytes consumed */
        XS_PAUSED, /* the handler paused; *consumed bytes were used, the rest not looked at */
        XS_ERROR,  /* stream error, see xs_error_*; the reader stays dead until xs_reset */
};

/*
 * Feeds len bytes of the peer's stream. *consumed (may be NULL) receives how
 * many bytes were used: len on XS_OK; on XS_PAUSED the count up to and
 * including the '>' of the event whose handler paused; on XS_ERROR the bytes
 * used before the error (0 when the reader was already dead).
 */
enum xs_status xs_feed(struct xs_parser *p, const char *data, size_t len, size_t *consumed);

/* The stream error condition name of RFC 6120 §4.9.3 ("restricted-xml"...),
 * or NULL when there is no error. Owned by the reader. */
const char *xs_error_condition(const struct xs_parser *p);

/* A sentence for humans explaining the error, with its RFC section; "" when
 * there is no error. Owned by the reader, valid until the next feed or reset. */
const char *xs_error_text(const struct xs_parser *p);

/* Byte offset, from the start of the stream, at or just after which the error
 * was detected. 0 when there is no error. */
size_t xs_error_offset(const struct xs_parser *p);

/* The header of the current stream, or NULL before it arrived. Owned by the
 * reader, valid until xs_reset or xs_free. */
const struct xs_header *xs_get_header(const struct xs_parser *p);

/* What to put in the header xs_write_header writes. NULL fields are left out. */
struct xs_header_out {
        const char *content_ns; /* NULL means jabber:server */
        const char *to;
        const char *from;
        const char *id;   /* a response header only (RFC 6120 §4.7.3) */
        const char *lang; /* NULL means "en" */
        int dialback;     /* declare xmlns:db='jabber:server:dialback' (XEP-0220 §2.4.1) */
        int no_version;   /* omit version: the pre-1.0 form, or the answer to a
                             version-less header (RFC 6120 §4.7.5) */
};

/*
 * Appends "<?xml version='1.0'?><stream:stream xmlns=... xmlns:stream=...
 * [xmlns:db=...] [to=..] [from=..] [id=..] version='1.0' xml:lang=..>" with
 * every value escaped. Returns 0, or -1 when a value is not valid XML text
 * (invalid UTF-8, control characters) or the buffer cannot grow.
 */
int xs_write_header(struct buf *out, const struct xs_header_out *h);

/*
 * Appends node serialised by libxml2: no XML declaration, no indentation. The
 * node stays the caller's. Returns 0 or -1.
 */
int xs_write_node(struct buf *out, xmlNodePtr node);

/* Appends "</stream:stream>". Returns 0 or -1. */
int xs_write_close(struct buf *out);

/*
 * Appends <stream:error><COND xmlns='urn:ietf:params:xml:ns:xmpp-streams'/>
 * [<text xmlns=... xml:lang='en'>text</text>]</stream:error> (RFC 6120
 * §4.9.2). condition must be one of the 25 names of RFC 6120 §4.9.3; text may
 * be NULL. Returns 0, or -1 for an unknown condition, bad text or no memory.
 */
int xs_write_stream_error(struct buf *out, const char *condition, const char *text);

/* Whether condition is one of the stream error conditions of RFC 6120 §4.9.3. */
int xs_condition_is_defined(const char *condition);

/* The value of node's attribute name that has no namespace, or NULL. Borrowed
 * from node. */
const char *xs_attr(xmlNodePtr node, const char *name);

/* 1 when node is an element named local in namespace ns, else 0. */
int xs_is(xmlNodePtr node, const char *ns, const char *local);

/*
 * A source of randomness: fills out with len unpredictable bytes, returns 0
 * or -1. The engine never draws randomness itself (design.md §7): its owner
 * passes one, the real one (gnutls_rnd) or, in tests and replays, a
 * deterministic one.
 */
typedef int (*xs_random_fn)(void *user, void *out, size_t len);

/* An xs_random_fn over gnutls_rnd(GNUTLS_RND_NONCE); user is unused. */
int xs_random_system(void *user, void *out, size_t len);

/*
 * Writes a fresh unpredictable stream id (RFC 6120 §4.7.3; XEP-0220 keys
 * depend on it): 16 bytes from rnd as 32 lower-case hex digits and a NUL.
 * len must be at least 33. Returns 0 or -1 (no randomness, or len too small).
 */
int xs_new_stream_id(xs_random_fn rnd, void *rnd_user, char *out, size_t len);

#endif
