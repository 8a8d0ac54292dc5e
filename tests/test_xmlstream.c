/*
 * Tests of harness/xmlstream: event sequences independent of chunking, exact
 * pause points, restart, RFC 6120 §11 refusals, limits, writer escaping, ids.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libxml/tree.h>

#include "buf.h"
#include "xmlstream.h"

#define STREAM_DIR S2S_FIXTURE_DIR "/streams"

/* ---- event recording ---- */

struct rec {
        struct buf log;     /* one line per event */
        size_t offsets[64]; /* event offsets, in order */
        size_t n;
        int pause_on_all;      /* pause after every event */
        const char *pause_on;  /* pause after an element with this local name */
        xmlNodePtr last;       /* copy of the last element */
        int element_is_doc_ok; /* every element came self-contained */
};

static void put_opt(struct buf *b, const char *name, const char *v)
{
        buf_printf(b, " %s=%s", name, v != NULL ? v : "(null)");
}

static enum xs_action on_event(void *user, const struct xs_event *ev)
{
        struct rec *r = user;
        size_t i;

        if (r->n < sizeof(r->offsets) / sizeof(r->offsets[0]))
                r->offsets[r->n] = ev->offset;
        r->n++;
        switch (ev->kind) {
        case XS_EV_HEADER:
                buf_puts(&r->log, "HEADER");
                put_opt(&r->log, "to", ev->header->to);
                put_opt(&r->log, "from", ev->header->from);
                put_opt(&r->log, "id", ev->header->id);
                put_opt(&r->log, "version", ev->header->version);
                put_opt(&r->log, "lang", ev->header->lang);
                put_opt(&r->log, "content_ns", ev->header->content_ns);
                put_opt(&r->log, "stream_prefix", ev->header->stream_prefix);
                put_opt(&r->log, "db", ev->header->db_prefix);
                buf_puts(&r->log, " ns=[");
                for (i = 0; i < ev->header->nb_ns; i++)
                        buf_printf(&r->log, "%s%s=%s", i > 0 ? " " : "",
                                   ev->header->ns[2 * i] != NULL ? ev->header->ns[2 * i] : "",
                                   ev->header->ns[2 * i + 1]);
                buf_printf(&r->log, "] @%zu\n", ev->offset);
                break;
        case XS_EV_ELEMENT:
                buf_puts(&r->log, "ELEMENT ");
                cr_assert_eq(xs_write_node(&r->log, ev->element), 0);
                buf_printf(&r->log, " @%zu\n", ev->offset);
                xmlFreeNode(r->last);
                r->last = xmlCopyNode(ev->element, 1);
                cr_assert_not_null(r->last);
                break;
        case XS_EV_CLOSE:
                buf_printf(&r->log, "CLOSE @%zu\n", ev->offset);
                break;
        }
        if (r->pause_on_all)
                return XS_PAUSE;
        if (r->pause_on != NULL && ev->kind == XS_EV_ELEMENT &&
            strcmp((const char *)ev->element->name, r->pause_on) == 0)
                return XS_PAUSE;
        return XS_CONTINUE;
}

static void rec_init(struct rec *r)
{
        memset(r, 0, sizeof(*r));
        buf_init(&r->log, 0);
        buf_puts(&r->log, "");
}

static void rec_cleanup(struct rec *r)
{
        buf_cleanup(&r->log);
        xmlFreeNode(r->last);
        r->last = NULL;
}

static char *read_file(const char *path, size_t *len)
{
        FILE *f = fopen(path, "rb");
        struct buf b;
        char tmp[4096];
        size_t n;

        cr_assert_not_null(f, "cannot open %s", path);
        buf_init(&b, 0);
        while ((n = fread(tmp, 1, sizeof(tmp), f)) > 0)
                cr_assert_eq(buf_append(&b, tmp, n), 0);
        fclose(f);
        if (b.data == NULL)
                buf_append(&b, "", 0);
        *len = b.len;
        return b.data;
}

/* Feeds data in the given chunk lengths (cycled); returns the final status. */
static enum xs_status feed_chunks(struct xs_parser *p, const char *data, size_t len,
                                  const size_t *chunks, size_t nchunks)
{
        size_t pos = 0, k = 0;

        while (pos < len) {
                size_t n = chunks[k++ % nchunks], used = 0;
                enum xs_status st;

                if (n > len - pos)
                        n = len - pos;
                st = xs_feed(p, data + pos, n, &used);
                if (st != XS_OK)
                        return st;
                cr_assert_eq(used, n);
                pos += n;
        }
        return XS_OK;
}

static enum xs_status run_whole(const char *data, size_t len, const struct xs_limits *lim,
                                const char *content_ns, struct rec *r, struct xs_parser **out)
{
        struct xs_parser *p = xs_new(lim, content_ns, on_event, r);
        size_t one = len > 0 ? len : 1;
        enum xs_status st;

        cr_assert_not_null(p);
        st = feed_chunks(p, data, len, &one, 1);
        if (out != NULL)
                *out = p;
        else
                xs_free(p);
        return st;
}

/* Condition after feeding data whole with the default limits, jabber:server. */
static const char *condition_of(const char *data, size_t len, struct rec *r, struct xs_parser **out)
{
        struct xs_parser *p = NULL;
        enum xs_status st = run_whole(data, len, NULL, XS_NS_SERVER, r, &p);

        *out = p;
        if (st == XS_OK)
                return "(none)";
        cr_assert_eq(st, XS_ERROR);
        return xs_error_condition(p);
}

/* A tiny deterministic generator, so the random splittings are reproducible. */
static unsigned long lcg_state;
static unsigned lcg(void)
{
        lcg_state = lcg_state * 6364136223846793005UL + 1442695040888963407UL;
        return (unsigned)(lcg_state >> 33);
}

/* ---- recorded streams ---- */

static int is_stream_fixture(const char *name)
{
        size_t n = strlen(name);

        return n > 4 && strcmp(name + n - 4, ".xml") == 0;
}

static size_t list_fixtures(char names[][128], size_t max)
{
        DIR *d = opendir(STREAM_DIR);
        struct dirent *e;
        size_t n = 0;

        cr_assert_not_null(d);
        while ((e = readdir(d)) != NULL && n < max) {
                if (!is_stream_fixture(e->d_name) || strlen(e->d_name) >= 128)
                        continue;
                memcpy(names[n++], e->d_name, strlen(e->d_name) + 1);
        }
        closedir(d);
        return n;
}

static void check_one_fixture(const char *name)
{
        char path[512], epath[512];
        size_t len, elen, cs, run;
        char *data, *expected;
        struct rec base;
        size_t i;

        snprintf(path, sizeof(path), STREAM_DIR "/%s", name);
        snprintf(epath, sizeof(epath), STREAM_DIR "/%.*s.events", (int)(strlen(name) - 4), name);
        data = read_file(path, &len);
        expected = read_file(epath, &elen);

        rec_init(&base);
        cr_assert_eq(run_whole(data, len, NULL, XS_NS_SERVER, &base, NULL), XS_OK, "%s", name);
        cr_assert_str_eq(base.log.data, expected, "%s: events differ from %s", name, epath);
        /* Every event fires at the end of a '>' and offsets grow. */
        cr_assert_gt(base.n, 1);
        for (i = 0; i < base.n && i < 64; i++) {
                cr_assert_eq(data[base.offsets[i] - 1], '>', "%s event %zu", name, i);
                if (i > 0)
                        cr_assert_gt(base.offsets[i], base.offsets[i - 1]);
        }

        for (cs = 1; cs <= 64; cs++) {
                struct rec r;
                struct xs_parser *p;

                rec_init(&r);
                p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
                cr_assert_eq(feed_chunks(p, data, len, &cs, 1), XS_OK, "%s chunk %zu: %s", name, cs,
                             xs_error_text(p));
                cr_assert_str_eq(r.log.data, base.log.data, "%s chunk size %zu", name, cs);
                xs_free(p);
                rec_cleanup(&r);
        }
        lcg_state = 20240601;
        for (run = 0; run < 200; run++) {
                static const size_t spans[] = {2, 3, 5, 8, 17, 64, 400};
                size_t chunks[256], k, span = spans[run % 7];
                struct rec r;
                struct xs_parser *p;

                for (k = 0; k < 256; k++)
                        chunks[k] = 1 + lcg() % span;
                rec_init(&r);
                p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
                cr_assert_eq(feed_chunks(p, data, len, chunks, 256), XS_OK, "%s run %zu: %s", name,
                             run, xs_error_text(p));
                cr_assert_str_eq(r.log.data, base.log.data, "%s random run %zu", name, run);
                xs_free(p);
                rec_cleanup(&r);
        }
        rec_cleanup(&base);
        free(data);
        free(expected);
}

Test(streams, every_chunking_gives_the_recorded_events)
{
        char names[32][128];
        size_t n = list_fixtures(names, 32), i;

        cr_assert_geq(n, 6, "expected the recorded streams in " STREAM_DIR);
        for (i = 0; i < n; i++)
                check_one_fixture(names[i]);
}

/* Pausing at every event: each pause is exactly after the event's '>'. */
Test(streams, pause_at_every_event_stops_after_its_gt)
{
        char names[32][128];
        size_t n = list_fixtures(names, 32), i;

        for (i = 0; i < n; i++) {
                char path[512];
                size_t len, pos = 0, pauses = 0, used;
                char *data;
                struct rec base, r;
                struct xs_parser *p;
                enum xs_status st;

                snprintf(path, sizeof(path), STREAM_DIR "/%s", names[i]);
                data = read_file(path, &len);
                rec_init(&base);
                cr_assert_eq(run_whole(data, len, NULL, XS_NS_SERVER, &base, NULL), XS_OK);
                rec_init(&r);
                r.pause_on_all = 1;
                p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
                while (pos < len) {
                        st = xs_feed(p, data + pos, len - pos, &used);
                        cr_assert_neq(st, XS_ERROR);
                        pos += used;
                        if (st == XS_OK)
                                break;
                        cr_assert_eq(pos, r.offsets[r.n - 1], "%s pause %zu", names[i], pauses);
                        cr_assert_eq(data[pos - 1], '>');
                        pauses++;
                }
                cr_assert_eq(pos, len);
                cr_assert_eq(pauses, base.n);
                cr_assert_str_eq(r.log.data, base.log.data);
                xs_free(p);
                rec_cleanup(&r);
                rec_cleanup(&base);
                free(data);
        }
}

/* ---- pause before TLS, restart ---- */

static const char tls_stream[] =
    "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
    "xmlns:stream='http://etherx.jabber.org/streams' from='peer.test' to='harness.test' "
    "id='abc' version='1.0'><stream:features><starttls "
    "xmlns='urn:ietf:params:xml:ns:xmpp-tls'><required/></starttls></stream:features>"
    "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>"
    /* a TLS ClientHello: must never reach the XML parser */
    "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03<>\xff\x00\xc0";

Test(pause, proceed_then_tls_bytes_stops_exactly_after_gt)
{
        const char *proceed_end = strstr(tls_stream, "xmpp-tls'/>") + strlen("xmpp-tls'/>");
        size_t expect = (size_t)(proceed_end - tls_stream), used = 0;
        size_t len = sizeof(tls_stream) - 1;
        struct rec r;
        struct xs_parser *p;

        cr_redirect_stderr();
        rec_init(&r);
        r.pause_on = "proceed";
        p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
        cr_assert_eq(xs_feed(p, tls_stream, len, &used), XS_PAUSED);
        cr_assert_eq(used, expect, "consumed %zu, expected %zu", used, expect);
        cr_assert(xs_is(r.last, "urn:ietf:params:xml:ns:xmpp-tls", "proceed"));
        cr_assert_eq(r.n, 3); /* header, features, proceed */
        cr_assert_null(xs_error_condition(p));
        xs_free(p);
        rec_cleanup(&r);
        fflush(stderr);
        cr_assert_stderr_eq_str("");
}

/* Same with the bytes arriving one at a time: the pause lands on the same byte. */
Test(pause, proceed_byte_by_byte)
{
        const char *proceed_end = strstr(tls_stream, "xmpp-tls'/>") + strlen("xmpp-tls'/>");
        size_t expect = (size_t)(proceed_end - tls_stream), pos = 0, used;
        struct rec r;
        struct xs_parser *p;
        enum xs_status st = XS_OK;

        rec_init(&r);
        r.pause_on = "proceed";
        p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
        while (pos < sizeof(tls_stream) - 1) {
                st = xs_feed(p, tls_stream + pos, 1, &used);
                pos += used;
                if (st != XS_OK)
                        break;
        }
        cr_assert_eq(st, XS_PAUSED);
        cr_assert_eq(pos, expect);
        xs_free(p);
        rec_cleanup(&r);
}

Test(restart, reset_accepts_a_new_header)
{
        static const char second[] =
            "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
            "xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' "
            "from='peer.test' to='harness.test' id='second-id' version='1.0'>"
            "<stream:features><mechanisms xmlns='urn:ietf:params:xml:ns:xmpp-sasl'>"
            "<mechanism>EXTERNAL</mechanism></mechanisms></stream:features>";
        size_t used = 0;
        struct rec r;
        struct xs_parser *p;
        const struct xs_header *h;

        rec_init(&r);
        r.pause_on = "proceed";
        p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
        cr_assert_eq(xs_feed(p, tls_stream, sizeof(tls_stream) - 1, &used), XS_PAUSED);
        cr_assert_str_eq(xs_get_header(p)->id, "abc");
        /* Without a reset a second header is not well-formed. */
        cr_assert_eq(xs_reset(p), 0);
        cr_assert_null(xs_get_header(p));
        r.pause_on = NULL;
        cr_assert_eq(xs_feed(p, second, sizeof(second) - 1, &used), XS_OK);
        cr_assert_eq(used, sizeof(second) - 1);
        h = xs_get_header(p);
        cr_assert_not_null(h);
        cr_assert_str_eq(h->id, "second-id");
        cr_assert_str_eq(h->db_prefix, "db");
        cr_assert(xs_is(r.last, XS_NS_STREAMS, "features"));
        cr_assert_eq(r.offsets[r.n - 1], sizeof(second) - 1); /* offsets restart at 0 */
        /* reset also revives a dead reader */
        cr_assert_eq(xs_feed(p, "<!-- x -->", 10, &used), XS_ERROR);
        cr_assert_eq(xs_feed(p, second, 5, &used), XS_ERROR);
        cr_assert_eq(used, 0);
        cr_assert_eq(xs_reset(p), 0);
        cr_assert_eq(xs_feed(p, second, sizeof(second) - 1, &used), XS_OK);
        xs_free(p);
        rec_cleanup(&r);
}

/* ---- RFC 6120 §11 refusals ---- */

#define HDR_BARE                                                                                   \
        "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' "    \
        "to='harness.test' from='peer.test' version='1.0'>"
#define HDR "<?xml version='1.0'?>" HDR_BARE

struct bad_case {
        const char *name;
        const char *data;
        size_t len; /* 0 = strlen */
        const char *condition;
};

static const char billion_laughs[] =
    "<?xml version='1.0'?><!DOCTYPE lolz [<!ENTITY lol 'lol'>"
    "<!ENTITY lol1 '&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;'>"
    "<!ENTITY lol2 '&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;'>"
    "<!ENTITY lol3 '&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;'>"
    "<!ENTITY lol4 '&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;'>"
    "<!ENTITY lol5 '&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;'>"
    "<!ENTITY lol6 '&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;'>"
    "<!ENTITY lol7 '&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;'>"
    "<!ENTITY lol8 '&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;'>"
    "<!ENTITY lol9 '&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;'>]>"
    "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>"
    "<message><body>&lol9;</body></message>";

#define UTF7_SUB "<?xml version=\"1.0\" encoding=\"UTF-7\"\x1a?>"
#define LONG_DECL                                                                                  \
        "<?xml version='1.0'                                                               "       \
        "                                                                                  "       \
        "?>" HDR_BARE

static const struct bad_case bad_cases[] = {
    {"doctype", "<?xml version='1.0'?><!DOCTYPE stream:stream>" HDR, 0, "restricted-xml"},
    {"billion laughs", billion_laughs, 0, "restricted-xml"},
    {"external entity",
     "<?xml version='1.0'?><!DOCTYPE s [<!ENTITY xxe SYSTEM 'file:///etc/passwd'>]>" HDR
     "<message><body>&xxe;</body></message>",
     0, "restricted-xml"},
    {"comment before header", "<?xml version='1.0'?><!-- hi -->" HDR, 0, "restricted-xml"},
    {"comment between stanzas", HDR "<iq type='get' id='1'/><!-- hi --><iq/>", 0, "restricted-xml"},
    {"comment in stanza", HDR "<message><!-- hi --><body>x</body></message>", 0, "restricted-xml"},
    {"processing instruction", HDR "<?foo bar?><iq/>", 0, "restricted-xml"},
    {"processing instruction in stanza", HDR "<message><?php x ?></message>", 0, "restricted-xml"},
    {"undefined entity", HDR "<message><body>&nbsp;</body></message>", 0, "restricted-xml"},
    {"undefined entity in attribute", HDR "<message id='&foo;'/>", 0, "restricted-xml"},
    {"latin-1 declaration",
     "<?xml version='1.0' encoding='ISO-8859-1'?><stream:stream xmlns='jabber:server' "
     "xmlns:stream='http://etherx.jabber.org/streams'><message><body>caf\xe9</body></message>",
     0, "unsupported-encoding"},
    {"utf-16 declaration on utf-8 bytes",
     "<?xml version='1.0' encoding='UTF-16'?><stream:stream xmlns='jabber:server' "
     "xmlns:stream='http://etherx.jabber.org/streams'>",
     0, "unsupported-encoding"},
    {"invalid utf-8", HDR "<message><body>\xc3\x28</body></message>", 0, "unsupported-encoding"},
    {"overlong utf-8", HDR "<message><body>\xc0\xaf</body></message>", 0, "unsupported-encoding"},
    {"utf-8 surrogate", HDR "<message><body>\xed\xa0\x80</body></message>", 0,
     "unsupported-encoding"},
    {"utf-8 bom", "\xef\xbb\xbf" HDR, 0, "unsupported-encoding"},
    /* The 39 bytes that crashed libxml2's encoding switch (issue 9). */
    {"utf-7 declaration with a control byte", UTF7_SUB, 0, "unsupported-encoding"},
    {"utf-7 declaration", "<?xml version='1.0' encoding='UTF-7'?>" HDR_BARE, 0,
     "unsupported-encoding"},
    {"utf8 without the dash", "<?xml version='1.0' encoding='UTF8'?>" HDR_BARE, 0,
     "unsupported-encoding"},
    {"ebcdic declaration", "<?xml version='1.0' encoding='IBM037'?>" HDR_BARE, 0,
     "unsupported-encoding"},
    {"control byte in the declaration", "<?xml version='1.0'\x1a?>" HDR_BARE, 0, "not-well-formed"},
    {"declaration without version", "<?xml encoding='UTF-8'?>" HDR_BARE, 0, "not-well-formed"},
    {"declaration with version 2.0", "<?xml version='2.0'?>" HDR_BARE, 0, "not-well-formed"},
    {"declaration with an unknown pseudo-attribute", "<?xml version='1.0' foo='bar'?>" HDR_BARE, 0,
     "not-well-formed"},
    {"declaration with a bad encoding name", "<?xml version='1.0' encoding='-x'?>" HDR_BARE, 0,
     "not-well-formed"},
    {"declaration with standalone maybe", "<?xml version='1.0' standalone='maybe'?>" HDR_BARE, 0,
     "not-well-formed"},
    {"declaration with '>' inside", "<?xml version='1.0' encoding='a>b'?>" HDR_BARE, 0,
     "not-well-formed"},
    {"declaration longer than its limit", LONG_DECL, 0, "not-well-formed"},
    {"declaration not at the start", " <?xml version='1.0'?>" HDR_BARE, 0, "not-well-formed"},
    {"utf-16le bytes", "<\0?\0x\0m\0l\0 \0", 12, "unsupported-encoding"},
    {"utf-16 bom", "\xff\xfe<\0?\0x\0m\0l\0", 12, "unsupported-encoding"},
    {"wrong stream namespace",
     "<stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streamz'>", 0,
     "invalid-namespace"},
    {"wrong root name",
     "<stream:streams xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams'>", 0,
     "invalid-namespace"},
    {"client content namespace",
     "<stream:stream xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>", 0,
     "invalid-namespace"},
    {"no content namespace", "<stream:stream xmlns:stream='http://etherx.jabber.org/streams'>", 0,
     "invalid-namespace"},
    {"undeclared stream prefix", "<stream:stream xmlns='jabber:server' to='x'>", 0,
     "bad-namespace-prefix"},
    {"undeclared prefix in stanza", HDR "<db:result from='a' to='b'>key</db:result>", 0,
     "bad-namespace-prefix"},
    {"mismatched tags", HDR "<message><body>x</message>", 0, "not-well-formed"},
    {"duplicate attribute", HDR "<message id='1' id='2'/>", 0, "not-well-formed"},
    {"raw ampersand", HDR "<message><body>a & b</body></message>", 0, "not-well-formed"},
    {"lt in attribute", HDR "<message id='a<b'/>", 0, "not-well-formed"},
    {"nul byte", HDR "<message>\0</message>", sizeof(HDR) - 1 + 19, "not-well-formed"},
    {"text between stanzas", HDR "<iq/>hello<iq/>", 0, "bad-format"},
    {"second root after close", HDR "</stream:stream><stream:stream>", 0, "not-well-formed"},
};

static void check_bad_case(const struct bad_case *c, int byte_by_byte)
{
        size_t len = c->len != 0 ? c->len : strlen(c->data);
        struct rec r;
        struct xs_parser *p;
        const char *cond;
        size_t used = 0;

        rec_init(&r);
        if (byte_by_byte) {
                size_t one = 1;

                p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
                cr_assert_eq(feed_chunks(p, c->data, len, &one, 1), XS_ERROR, "%s", c->name);
                cond = xs_error_condition(p);
        } else {
                cond = condition_of(c->data, len, &r, &p);
        }
        cr_assert_str_eq(cond, c->condition, "%s (%s): got %s: %s", c->name,
                         byte_by_byte ? "byte by byte" : "whole", cond, xs_error_text(p));
        cr_assert_neq(xs_error_text(p)[0], '\0');
        cr_assert_leq(xs_error_offset(p), len);
        /* Dead until reset. */
        cr_assert_eq(xs_feed(p, "<iq/>", 5, &used), XS_ERROR);
        cr_assert_eq(used, 0);
        cr_assert_str_eq(xs_error_condition(p), c->condition);
        xs_free(p);
        rec_cleanup(&r);
}

Test(forbidden, each_gives_its_condition_and_stderr_stays_empty)
{
        size_t i;

        cr_redirect_stderr();
        for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
                check_bad_case(&bad_cases[i], 0);
                check_bad_case(&bad_cases[i], 1);
        }
        fflush(stderr);
        cr_assert_stderr_eq_str("");
}

Test(forbidden, doctype_text_names_the_rule)
{
        struct rec r;
        struct xs_parser *p;

        rec_init(&r);
        cr_assert_str_eq(condition_of(bad_cases[0].data, strlen(bad_cases[0].data), &r, &p),
                         "restricted-xml");
        cr_assert_str_eq(xs_error_text(p), "DOCTYPE not allowed in XMPP (RFC 6120 §11.1)");
        cr_assert_eq(r.n, 0);
        xs_free(p);
        rec_cleanup(&r);
}

Test(forbidden, billion_laughs_is_fast)
{
        struct timespec a, b;
        struct rec r;
        struct xs_parser *p;
        double ms;
        size_t one = 1;

        rec_init(&r);
        clock_gettime(CLOCK_MONOTONIC, &a);
        cr_assert_str_eq(condition_of(billion_laughs, strlen(billion_laughs), &r, &p),
                         "restricted-xml");
        xs_free(p);
        p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
        cr_assert_eq(feed_chunks(p, billion_laughs, strlen(billion_laughs), &one, 1), XS_ERROR);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        cr_assert_lt(ms, 200.0, "took %.1f ms", ms);
        cr_assert_eq(r.n, 0);
        xs_free(p);
        rec_cleanup(&r);
}

/* An XML declaration is not a PI (RFC 6120 §11.5); UTF-8 may be declared. */
Test(forbidden, xml_declaration_is_allowed)
{
        static const char *ok[] = {
            HDR "<iq/>",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>" HDR_BARE "<iq/>",
            "<?xml version='1.0' encoding='utf-8'?>" HDR_BARE "<iq/>",
            "<?xml version = '1.1'  encoding = \"Utf-8\" standalone='yes' ?>" HDR_BARE "<iq/>",
            "<?xml version='1.0' standalone=\"no\"?>\n" HDR_BARE "<iq/>",
            HDR_BARE "<iq/>",
        };
        size_t i;

        for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
                struct rec r;

                rec_init(&r);
                cr_assert_eq(run_whole(ok[i], strlen(ok[i]), NULL, XS_NS_SERVER, &r, NULL), XS_OK,
                             "%s", ok[i]);
                cr_assert_eq(r.n, 2);
                rec_cleanup(&r);
        }
}

/*
 * Issue 9: these 39 bytes made libxml2 read freed input inside its encoding
 * switch. At every split they give unsupported-encoding and no event, the
 * declaration never reaching libxml2's encoding code.
 */
Test(forbidden, utf7_declaration_at_every_split)
{
        static const char s[] = UTF7_SUB;
        size_t n = sizeof(s) - 1, chunk;

        cr_assert_eq(n, 39);
        for (chunk = 1; chunk <= n; chunk++) {
                struct rec r;
                struct xs_parser *p;

                rec_init(&r);
                p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
                cr_assert_not_null(p);
                cr_assert_eq(feed_chunks(p, s, n, &chunk, 1), XS_ERROR, "chunk %zu", chunk);
                cr_assert_str_eq(xs_error_condition(p), "unsupported-encoding");
                cr_assert_not_null(strstr(xs_error_text(p), "UTF-7"), "%s", xs_error_text(p));
                cr_assert_eq(r.n, 0);
                /* A reset gives a working reader again. */
                cr_assert_eq(xs_reset(p), 0);
                cr_assert_eq(xs_feed(p, HDR, strlen(HDR), NULL), XS_OK);
                cr_assert_eq(r.n, 1);
                xs_free(p);
                rec_cleanup(&r);
        }
}

/* RFC 6120 §4.8.2 lets the content namespace be bound to a prefix instead. */
Test(forbidden, prefixed_content_namespace_is_accepted)
{
        static const char s[] = "<stream:stream xmlns:stream='http://etherx.jabber.org/streams' "
                                "xmlns:s='jabber:server'><s:iq type='get'/>";
        struct rec r;

        rec_init(&r);
        cr_assert_eq(run_whole(s, sizeof(s) - 1, NULL, XS_NS_SERVER, &r, NULL), XS_OK);
        cr_assert(xs_is(r.last, XS_NS_SERVER, "iq"));
        rec_cleanup(&r);
}

Test(forbidden, content_namespace_is_a_parameter)
{
        static const char s[] = "<stream:stream xmlns='jabber:client' "
                                "xmlns:stream='http://etherx.jabber.org/streams'><iq/>";
        struct rec r;
        struct xs_parser *p;

        rec_init(&r);
        cr_assert_eq(run_whole(s, sizeof(s) - 1, NULL, XS_NS_CLIENT, &r, &p), XS_OK);
        cr_assert_str_eq(xs_get_header(p)->content_ns, XS_NS_CLIENT);
        cr_assert(xs_is(r.last, XS_NS_CLIENT, "iq"));
        xs_free(p);
        rec_cleanup(&r);
}

/* ---- limits ---- */

static const char *limit_run(const struct xs_limits *lim, const char *data)
{
        static char cond[64];
        struct rec r;
        struct xs_parser *p;
        size_t one = 1;
        enum xs_status st, st1;
        char cond1[64];

        rec_init(&r);
        st = run_whole(data, strlen(data), lim, XS_NS_SERVER, &r, &p);
        snprintf(cond, sizeof(cond), "%s", st == XS_OK ? "(none)" : xs_error_condition(p));
        if (st != XS_OK)
                cr_assert(strstr(xs_error_text(p), "max_") != NULL, "%s", xs_error_text(p));
        xs_free(p);
        /* Byte by byte gives the same verdict. */
        p = xs_new(lim, XS_NS_SERVER, on_event, &r);
        st1 = feed_chunks(p, data, strlen(data), &one, 1);
        snprintf(cond1, sizeof(cond1), "%s", st1 == XS_OK ? "(none)" : xs_error_condition(p));
        cr_assert_str_eq(cond1, cond);
        xs_free(p);
        rec_cleanup(&r);
        return cond;
}

Test(limits, defaults_are_documented_values)
{
        struct xs_limits l;

        xs_limits_default(&l);
        cr_assert_eq(l.max_element, 65536);
        cr_assert_eq(l.max_depth, 16);
        cr_assert_eq(l.max_attrs, 32);
        cr_assert_eq(l.max_header, 4096);
}

Test(limits, max_element)
{
        struct xs_limits l;
        struct buf s;
        const char *el = "<message><body></body></message>"; /* 32 bytes */
        size_t i;

        xs_limits_default(&l);
        l.max_element = 100;
        buf_init(&s, 0);
        /* whitespace before the element does not count */
        buf_puts(&s, HDR "   \n  <message><body>");
        for (i = 0; i < 100 - strlen(el); i++)
                buf_puts(&s, "x");
        buf_puts(&s, "</body></message>  ");
        cr_assert_str_eq(limit_run(&l, s.data), "(none)");
        buf_reset(&s);
        buf_puts(&s, HDR "<message><body>");
        for (i = 0; i < 101 - strlen(el); i++)
                buf_puts(&s, "x");
        buf_puts(&s, "</body></message>");
        cr_assert_str_eq(limit_run(&l, s.data), "policy-violation");
        /* an element that never ends is cut off at the limit, not buffered */
        buf_reset(&s);
        buf_puts(&s, HDR "<message><body>");
        for (i = 0; i < 5000; i++)
                buf_puts(&s, "y");
        cr_assert_str_eq(limit_run(&l, s.data), "policy-violation");
        buf_cleanup(&s);
}

Test(limits, max_element_default_64k)
{
        struct buf s;
        size_t i;
        const char *head = "<message><body>", *tail = "</body></message>";

        buf_init(&s, 0);
        buf_puts(&s, HDR);
        buf_puts(&s, head);
        for (i = 0; i < 65536 - strlen(head) - strlen(tail); i++)
                buf_puts(&s, "z");
        buf_puts(&s, tail);
        cr_assert_str_eq(limit_run(NULL, s.data), "(none)");
        buf_reset(&s);
        buf_puts(&s, HDR);
        buf_puts(&s, head);
        for (i = 0; i < 65537 - strlen(head) - strlen(tail); i++)
                buf_puts(&s, "z");
        buf_puts(&s, tail);
        cr_assert_str_eq(limit_run(NULL, s.data), "policy-violation");
        buf_cleanup(&s);
}

static void nested(struct buf *s, unsigned levels)
{
        unsigned i;

        buf_puts(s, HDR);
        for (i = 0; i < levels; i++)
                buf_puts(s, "<a>");
        for (i = 0; i < levels; i++)
                buf_puts(s, "</a>");
}

Test(limits, max_depth)
{
        struct buf s;

        buf_init(&s, 0);
        nested(&s, 16);
        cr_assert_str_eq(limit_run(NULL, s.data), "(none)");
        buf_reset(&s);
        nested(&s, 17);
        cr_assert_str_eq(limit_run(NULL, s.data), "policy-violation");
        buf_reset(&s);
        nested(&s, 1000);
        cr_assert_str_eq(limit_run(NULL, s.data), "policy-violation");
        buf_cleanup(&s);
}

static void attrs(struct buf *s, unsigned n, int on_header)
{
        unsigned i;

        if (on_header) {
                /* the header already has 2 declarations and 3 attributes */
                buf_puts(s, "<stream:stream xmlns='jabber:server' "
                            "xmlns:stream='http://etherx.jabber.org/streams' to='a' from='b' "
                            "version='1.0'");
                for (i = 5; i < n; i++)
                        buf_printf(s, " x%u='%u'", i, i);
                buf_puts(s, ">");
                return;
        }
        buf_puts(s, HDR "<iq xmlns:q='urn:q'"); /* a declaration counts as an attribute */
        for (i = 1; i < n; i++)
                buf_printf(s, " a%u='%u'", i, i);
        buf_puts(s, "/>");
}

Test(limits, max_attrs)
{
        struct buf s;

        buf_init(&s, 0);
        attrs(&s, 32, 0);
        cr_assert_str_eq(limit_run(NULL, s.data), "(none)");
        buf_reset(&s);
        attrs(&s, 33, 0);
        cr_assert_str_eq(limit_run(NULL, s.data), "policy-violation");
        buf_reset(&s);
        attrs(&s, 32, 1);
        cr_assert_str_eq(limit_run(NULL, s.data), "(none)");
        buf_reset(&s);
        attrs(&s, 33, 1);
        cr_assert_str_eq(limit_run(NULL, s.data), "policy-violation");
        buf_cleanup(&s);
}

Test(limits, max_header)
{
        struct xs_limits l;
        size_t hl = strlen(HDR);
        char *s = malloc(hl + 64);

        xs_limits_default(&l);
        l.max_header = hl;
        snprintf(s, hl + 64, "%s<iq/>", HDR);
        cr_assert_str_eq(limit_run(&l, s), "(none)");
        l.max_header = hl - 1;
        cr_assert_str_eq(limit_run(&l, s), "policy-violation");
        free(s);
}

/* ---- attribute values and text ---- */

Test(values, attribute_entities_round_trip)
{
        static const char s[] = HDR "<message id='1 &amp; 2 &lt; 3 &#38; 4 &#38;#38; &gt; &quot;"
                                    "&apos; &#x263A;' to=\"a&amp;b\"><body>t &amp; &lt;x&gt; "
                                    "&#38;amp;</body></message>";
        struct rec r;
        struct buf out;
        xmlNodePtr body;

        rec_init(&r);
        cr_assert_eq(run_whole(s, sizeof(s) - 1, NULL, XS_NS_SERVER, &r, NULL), XS_OK);
        cr_assert_str_eq(xs_attr(r.last, "id"), "1 & 2 < 3 & 4 &#38; > \"' \xe2\x98\xba");
        cr_assert_str_eq(xs_attr(r.last, "to"), "a&b");
        body = xmlFirstElementChild(r.last);
        cr_assert(xs_is(body, XS_NS_SERVER, "body"));
        {
                xmlChar *t = xmlNodeGetContent(body);

                cr_assert_str_eq((const char *)t, "t & <x> &amp;");
                xmlFree(t);
        }
        /* Serialised and parsed again: the same values. */
        buf_init(&out, 0);
        buf_puts(&out, HDR);
        cr_assert_eq(xs_write_node(&out, r.last), 0);
        rec_cleanup(&r);
        rec_init(&r);
        cr_assert_eq(run_whole(out.data, out.len, NULL, XS_NS_SERVER, &r, NULL), XS_OK);
        cr_assert_str_eq(xs_attr(r.last, "id"), "1 & 2 < 3 & 4 &#38; > \"' \xe2\x98\xba");
        cr_assert_str_eq(xs_attr(r.last, "to"), "a&b");
        buf_cleanup(&out);
        rec_cleanup(&r);
}

Test(values, header_attributes_and_namespaces)
{
        static const char s[] = "<?xml version='1.0'?><s:stream xmlns:s='" XS_NS_STREAMS
                                "' xmlns='jabber:server' xmlns:dialback='jabber:server:dialback' "
                                "to='h&amp;.test' from='p.test' id='i&lt;d' version='1.0' "
                                "xml:lang='de'>";
        struct rec r;
        struct xs_parser *p;
        const struct xs_header *h;

        rec_init(&r);
        cr_assert_eq(run_whole(s, sizeof(s) - 1, NULL, XS_NS_SERVER, &r, &p), XS_OK);
        h = xs_get_header(p);
        cr_assert_not_null(h);
        cr_assert_str_eq(h->to, "h&.test");
        cr_assert_str_eq(h->from, "p.test");
        cr_assert_str_eq(h->id, "i<d");
        cr_assert_str_eq(h->version, "1.0");
        cr_assert_str_eq(h->lang, "de");
        cr_assert_str_eq(h->content_ns, "jabber:server");
        cr_assert_str_eq(h->stream_prefix, "s");
        cr_assert_str_eq(h->db_prefix, "dialback");
        cr_assert_eq(h->nb_ns, 3);
        xs_free(p);
        rec_cleanup(&r);
}

Test(values, no_dialback_declared_gives_null_prefix)
{
        struct rec r;
        struct xs_parser *p;

        rec_init(&r);
        cr_assert_eq(run_whole(HDR, strlen(HDR), NULL, XS_NS_SERVER, &r, &p), XS_OK);
        cr_assert_null(xs_get_header(p)->db_prefix);
        cr_assert_null(xs_get_header(p)->id);
        xs_free(p);
        rec_cleanup(&r);
}

/* Long text made of many characters() calls is kept whole. */
Test(values, text_accumulates)
{
        struct buf s;
        struct rec r;
        xmlChar *t;
        size_t i;
        size_t one = 1;
        struct xs_parser *p;

        buf_init(&s, 0);
        buf_puts(&s, HDR "<message><body>");
        for (i = 0; i < 1000; i++)
                buf_puts(&s, "a&amp;\xc3\xa9");
        buf_puts(&s, "</body></message>");
        rec_init(&r);
        p = xs_new(NULL, XS_NS_SERVER, on_event, &r);
        cr_assert_eq(feed_chunks(p, s.data, s.len, &one, 1), XS_OK);
        t = xmlNodeGetContent(r.last);
        cr_assert_eq(strlen((const char *)t), 4000);
        cr_assert_eq(memcmp(t,
                            "a&\xc3\xa9"
                            "a&",
                            6),
                     0);
        cr_assert_eq(xmlChildElementCount(r.last), 1);
        cr_assert_eq(r.last->children->children->type, XML_TEXT_NODE);
        cr_assert_null(r.last->children->children->next); /* one text node */
        xmlFree(t);
        xs_free(p);
        rec_cleanup(&r);
        buf_cleanup(&s);
}

/* ---- writer ---- */

Test(writer, header_exact_bytes)
{
        struct buf b;
        struct xs_header_out h = {.to = "harness.test", .from = "peer.test", .dialback = 1};

        buf_init(&b, 0);
        cr_assert_eq(xs_write_header(&b, &h), 0);
        cr_assert_str_eq(b.data, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                                 "xmlns:stream='http://etherx.jabber.org/streams' "
                                 "xmlns:db='jabber:server:dialback' to='harness.test' "
                                 "from='peer.test' version='1.0' xml:lang='en'>");
        buf_reset(&b);
        h.dialback = 0;
        h.id = "abc";
        h.to = NULL;
        cr_assert_eq(xs_write_header(&b, &h), 0);
        cr_assert_str_eq(b.data, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                                 "xmlns:stream='http://etherx.jabber.org/streams' "
                                 "from='peer.test' id='abc' version='1.0' xml:lang='en'>");
        buf_cleanup(&b);
}

Test(writer, header_escapes_and_parses_back)
{
        struct buf b;
        struct xs_header_out h = {.to = "a<b>&'\"c",
                                  .from = "\xc3\xa9t\xc3\xa9.test",
                                  .id = "x\ty\nz",
                                  .lang = "fr",
                                  .dialback = 1};
        struct rec r;
        struct xs_parser *p;
        const struct xs_header *got;

        buf_init(&b, 0);
        cr_assert_eq(xs_write_header(&b, &h), 0);
        cr_assert(strstr(b.data, "to='a&lt;b&gt;&amp;&apos;&quot;c'") != NULL, "%s", b.data);
        rec_init(&r);
        cr_assert_eq(run_whole(b.data, b.len, NULL, XS_NS_SERVER, &r, &p), XS_OK);
        got = xs_get_header(p);
        cr_assert_str_eq(got->to, h.to);
        cr_assert_str_eq(got->from, h.from);
        cr_assert_str_eq(got->id, h.id);
        cr_assert_str_eq(got->version, "1.0");
        cr_assert_str_eq(got->lang, "fr");
        cr_assert_str_eq(got->content_ns, XS_NS_SERVER);
        cr_assert_str_eq(got->stream_prefix, "stream");
        cr_assert_str_eq(got->db_prefix, "db");
        xs_free(p);
        rec_cleanup(&r);
        buf_cleanup(&b);
}

Test(writer, header_refuses_bad_text)
{
        struct buf b;
        struct xs_header_out bad_utf8 = {.to = "a\xc3", .from = "b"};
        struct xs_header_out control = {.to = "a\x01", .from = "b"};

        buf_init(&b, 0);
        buf_puts(&b, "keep");
        cr_assert_eq(xs_write_header(&b, &bad_utf8), -1);
        cr_assert_eq(xs_write_header(&b, &control), -1);
        cr_assert_str_eq(b.data, "keep"); /* nothing half-written */
        buf_cleanup(&b);
}

Test(writer, node_escaping_and_round_trip)
{
        xmlNodePtr m = xmlNewNode(NULL, BAD_CAST "message");
        xmlNsPtr ns = xmlNewNs(m, BAD_CAST XS_NS_SERVER, NULL);
        xmlNodePtr body;
        struct buf b;
        struct rec r;
        xmlChar *t;

        xmlSetNs(m, ns);
        xmlNewNsProp(m, NULL, BAD_CAST "id", BAD_CAST "<>&'\"");
        xmlNewNsProp(m, NULL, BAD_CAST "to", BAD_CAST "j\xc3\xbcliet@h.test");
        body = xmlNewChild(m, ns, BAD_CAST "body", NULL);
        xmlNodeAddContent(body, BAD_CAST "1 < 2 > 0 & 'q' \"d\" \xe6\xbc\xa2");
        buf_init(&b, 0);
        cr_assert_eq(xs_write_node(&b, m), 0);
        cr_assert_eq(strncmp(b.data, "<message", 8), 0, "%s", b.data); /* no declaration */
        cr_assert_null(strchr(b.data, '\n'));                          /* no indentation */
        cr_assert(strstr(b.data, "1 &lt; 2 &gt; 0 &amp; 'q' \"d\" \xe6\xbc\xa2") != NULL, "%s",
                  b.data);
        cr_assert(strstr(b.data, "id=\"&lt;&gt;&amp;'&quot;\"") != NULL, "%s", b.data);
        rec_init(&r);
        {
                struct buf s;

                buf_init(&s, 0);
                buf_puts(&s, HDR);
                buf_append(&s, b.data, b.len);
                cr_assert_eq(run_whole(s.data, s.len, NULL, XS_NS_SERVER, &r, NULL), XS_OK);
                buf_cleanup(&s);
        }
        cr_assert_str_eq(xs_attr(r.last, "id"), "<>&'\"");
        cr_assert_str_eq(xs_attr(r.last, "to"), "j\xc3\xbcliet@h.test");
        t = xmlNodeGetContent(r.last);
        cr_assert_str_eq((const char *)t, "1 < 2 > 0 & 'q' \"d\" \xe6\xbc\xa2");
        xmlFree(t);
        rec_cleanup(&r);
        buf_cleanup(&b);
        xmlFreeNode(m);
}

Test(writer, close_and_stream_error)
{
        struct buf b;

        buf_init(&b, 0);
        cr_assert_eq(xs_write_close(&b), 0);
        cr_assert_str_eq(b.data, "</stream:stream>");
        buf_reset(&b);
        cr_assert_eq(xs_write_stream_error(&b, "restricted-xml", "DOCTYPE <not> allowed & no"), 0);
        cr_assert_str_eq(b.data, "<stream:error><restricted-xml "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/><text "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-streams' "
                                 "xml:lang='en'>DOCTYPE &lt;not&gt; allowed &amp; "
                                 "no</text></stream:error>");
        buf_reset(&b);
        cr_assert_eq(xs_write_stream_error(&b, "host-unknown", NULL), 0);
        cr_assert_str_eq(b.data, "<stream:error><host-unknown "
                                 "xmlns='urn:ietf:params:xml:ns:xmpp-streams'/></stream:error>");
        buf_reset(&b);
        cr_assert_eq(xs_write_stream_error(&b, "no-such-condition", NULL), -1);
        cr_assert_eq(b.len, 0);
        buf_cleanup(&b);
}

/* What we write, we read: header + error + close through our own reader. */
Test(writer, own_output_parses)
{
        struct buf b;
        struct xs_header_out h = {.to = "a.test", .from = "b.test", .id = "1", .dialback = 1};
        struct rec r;
        struct xs_parser *p;
        xmlNodePtr cond;

        buf_init(&b, 0);
        cr_assert_eq(xs_write_header(&b, &h), 0);
        cr_assert_eq(xs_write_stream_error(&b, "policy-violation", "too big"), 0);
        cr_assert_eq(xs_write_close(&b), 0);
        rec_init(&r);
        cr_assert_eq(run_whole(b.data, b.len, NULL, XS_NS_SERVER, &r, &p), XS_OK);
        cr_assert_eq(r.n, 3);
        cr_assert(xs_is(r.last, XS_NS_STREAMS, "error"));
        cond = xmlFirstElementChild(r.last);
        cr_assert(xs_is(cond, XS_NS_STREAM_ERRORS, "policy-violation"));
        cr_assert(strstr(r.log.data, "CLOSE") != NULL);
        xs_free(p);
        rec_cleanup(&r);
        buf_cleanup(&b);
}

Test(writer, conditions_are_the_25_of_rfc6120)
{
        cr_assert(xs_condition_is_defined("bad-format"));
        cr_assert(xs_condition_is_defined("unsupported-version"));
        cr_assert(xs_condition_is_defined("restricted-xml"));
        cr_assert_not(xs_condition_is_defined("xml-not-well-formed"));
        cr_assert_not(xs_condition_is_defined(NULL));
}

Test(helpers, attr_and_is)
{
        xmlNodePtr n = xmlNewNode(NULL, BAD_CAST "result");
        xmlNsPtr db = xmlNewNs(n, BAD_CAST XS_NS_DIALBACK, BAD_CAST "db");
        xmlNsPtr other = xmlNewNs(n, BAD_CAST "urn:other", BAD_CAST "o");

        xmlSetNs(n, db);
        xmlNewNsProp(n, NULL, BAD_CAST "from", BAD_CAST "a.test");
        xmlNewNsProp(n, other, BAD_CAST "to", BAD_CAST "wrong");
        xmlNewNsProp(n, NULL, BAD_CAST "type", BAD_CAST "");
        cr_assert_str_eq(xs_attr(n, "from"), "a.test");
        cr_assert_null(xs_attr(n, "to")); /* namespaced attribute is not "to" */
        cr_assert_str_eq(xs_attr(n, "type"), "");
        cr_assert_null(xs_attr(n, "id"));
        cr_assert_null(xs_attr(NULL, "id"));
        cr_assert(xs_is(n, XS_NS_DIALBACK, "result"));
        cr_assert_not(xs_is(n, XS_NS_DIALBACK, "verify"));
        cr_assert_not(xs_is(n, XS_NS_SERVER, "result"));
        cr_assert_not(xs_is(NULL, XS_NS_SERVER, "result"));
        xmlFreeNode(n);
}

/* ---- stream ids ---- */

static int cmp_ids(const void *a, const void *b)
{
        return strcmp(a, b);
}

Test(ids, thousand_distinct_well_formed)
{
        static char ids[1000][33];
        size_t i, k;
        char small[32];

        for (i = 0; i < 1000; i++) {
                cr_assert_eq(xs_new_stream_id(xs_random_system, NULL, ids[i], sizeof(ids[i])), 0);
                cr_assert_eq(strlen(ids[i]), 32);
                for (k = 0; k < 32; k++)
                        cr_assert(strchr("0123456789abcdef", ids[i][k]) != NULL, "%s", ids[i]);
        }
        qsort(ids, 1000, sizeof(ids[0]), cmp_ids);
        for (i = 1; i < 1000; i++)
                cr_assert_str_neq(ids[i], ids[i - 1]);
        cr_assert_eq(xs_new_stream_id(xs_random_system, NULL, small, sizeof(small)), -1);
        cr_assert_eq(xs_new_stream_id(NULL, NULL, ids[0], sizeof(ids[0])), -1);
}
