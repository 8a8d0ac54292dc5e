/*
 * The stream reader (harness/xmlstream.c) on arbitrary bytes cut at arbitrary places.
 *
 * Input: byte 0 seeds the chunk lengths (fuzz.h), byte 1 holds flags, the rest is the
 * peer's stream. Flags: 1 = jabber:client instead of jabber:server; 2 = the handler
 * pauses on every event (as the engine does after <proceed/>); 4 = after an error,
 * reset and go on with the rest (a new stream); 8 = reset once after the header (a
 * STARTTLS restart). Each header is written back with xs_write_header and each
 * element with xs_write_node. Checked: the feed contract of xmlstream.h (consumed
 * counts, a defined stream error condition on XS_ERROR).
 */
#include "fuzz.h"
#include "xmlstream.h"

#define F_CLIENT 1
#define F_PAUSE 2
#define F_RESET_ON_ERROR 4
#define F_RESTART 8

struct run {
        unsigned flags;
        int headers;
        struct buf out;
};

static enum xs_action on_event(void *user, const struct xs_event *ev)
{
        struct run *r = user;

        if (ev->kind == XS_EV_HEADER) {
                struct xs_header_out h = {0};

                h.content_ns = ev->header->content_ns;
                h.to = ev->header->from;
                h.from = ev->header->to;
                h.id = ev->header->id;
                h.lang = ev->header->lang;
                h.dialback = ev->header->db_prefix != NULL;
                (void)xs_write_header(&r->out, &h);
                r->headers++;
        } else if (ev->kind == XS_EV_ELEMENT) {
                (void)xs_write_node(&r->out, ev->element);
                (void)xs_attr(ev->element, "type");
        }
        buf_consume(&r->out, r->out.len);
        return (r->flags & F_PAUSE) != 0 ? XS_PAUSE : XS_CONTINUE;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct run r;
        struct fuzz_split split;
        struct xs_parser *p;
        const char *in;
        size_t left, restarted = 0;

        if (size < 2)
                return 0;
        memset(&r, 0, sizeof(r));
        buf_init(&r.out, 0);
        r.flags = data[1];
        fuzz_split_init(&split, data[0]);
        in = (const char *)data + 2;
        left = size - 2;
        p = xs_new(NULL, (r.flags & F_CLIENT) != 0 ? XS_NS_CLIENT : XS_NS_SERVER, on_event, &r);
        FUZZ_SETUP(p != NULL, "xs_new");
        while (left > 0) {
                size_t len = fuzz_split_next(&split, left), used = 0;
                enum xs_status st = xs_feed(p, in, len, &used);

                FUZZ_ASSERT(used <= len);
                if (st == XS_OK)
                        FUZZ_ASSERT(used == len);
                if (st == XS_PAUSED)
                        FUZZ_ASSERT(used > 0);
                in += used;
                left -= used;
                if (st == XS_ERROR) {
                        const char *cond = xs_error_condition(p);

                        FUZZ_ASSERT(cond != NULL && xs_condition_is_defined(cond));
                        FUZZ_ASSERT(xs_error_text(p)[0] != '\0');
                        (void)xs_write_stream_error(&r.out, cond, xs_error_text(p));
                        buf_consume(&r.out, r.out.len);
                        if ((r.flags & F_RESET_ON_ERROR) == 0 || used == 0)
                                break;
                        FUZZ_SETUP(xs_reset(p) == 0, "xs_reset");
                        continue;
                }
                FUZZ_ASSERT(xs_error_condition(p) == NULL);
                if ((r.flags & F_RESTART) != 0 && r.headers > 0 && restarted == 0 &&
                    xs_get_header(p) != NULL) {
                        restarted = 1;
                        FUZZ_SETUP(xs_reset(p) == 0, "xs_reset");
                }
        }
        xs_free(p);
        buf_cleanup(&r.out);
        return 0;
}
