/*
 * What one stream costs (issue 13: 1,000 idle streams under 64 MiB): struct engine
 * stays small, and its tables and buffers grow only when data arrives and are
 * released when the owner drained them.
 */
#include <criterion/criterion.h>
#include <string.h>

#include "buf.h"
#include "engine.h"
#include "settings.h"
#include "testrand.h"
#include "xmlstream.h"

#define HARNESS "harness.test"
#define PARTNER "partner.test"

static struct engine *receiving(void)
{
        static const char *const hosted[] = {HARNESS};
        struct engine_config c;
        struct engine *e;
        char err[256];

        memset(&c, 0, sizeof(c));
        c.role = ENGINE_RECEIVING;
        c.purpose = PURPOSE_AUTH;
        c.hosted = hosted;
        c.n_hosted = 1;
        /* M17: no TLS, no SASL, dialback: the stream answers in plaintext. */
        cr_assert_eq(settings_from_row(17, &c.neg), 0);
        c.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&c.knobs);
        c.secret = "s3cr3tf0rd14lb4ck";
        xs_limits_default(&c.limits);
        c.random = test_random;
        e = engine_new(&c, err, sizeof(err));
        cr_assert_not_null(e, "engine_new: %s", err);
        return e;
}

static void input(struct engine *e, const char *text)
{
        cr_assert_eq(engine_input(e, text, strlen(text)), 0);
}

Test(engine_memory, the_struct_stays_under_its_budget)
{
        struct engine *e = receiving();
        struct engine_memory m;

        engine_memory(e, &m);
        /* 1,000 streams: under 8 MiB of fixed engine memory (it was 104 KB each). */
        cr_assert_leq(m.fixed, ENGINE_FIXED_MAX, "struct engine is %zu bytes", m.fixed);
        cr_assert_leq(m.fixed * 1000, 8u << 20);
        engine_free(e);
}

Test(engine_memory, tables_and_buffers_grow_only_when_data_arrives)
{
        struct engine *e = receiving();
        struct engine_memory m0, m;
        struct engine_event ev;
        int events = 0;

        engine_memory(e, &m0);
        cr_assert_eq(m0.bufs, 0, "a new stream holds %zu buffer bytes", m0.bufs);
        cr_assert_eq(m0.tables, strlen(HARNESS) + 1, "a new stream holds %zu table bytes",
                     m0.tables);

        /* The peer's header: our header and features are queued, then sent. */
        input(e, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                 "xmlns:stream='http://etherx.jabber.org/streams' "
                 "xmlns:db='jabber:server:dialback' from='" PARTNER "' to='" HARNESS
                 "' version='1.0'>");
        engine_memory(e, &m);
        cr_assert_gt(m.bufs, 0, "the answer is queued");
        cr_assert_gt(engine_output(e)->len, 0);
        /* As net.c's flush does once everything is sent. */
        buf_consume(engine_output(e), engine_output(e)->len);
        buf_trim(engine_output(e));
        engine_memory(e, &m);
        cr_assert_eq(m.bufs, 0, "the drained output still holds %zu bytes", m.bufs);
        cr_assert_eq(engine_state(e), ST_EXPECT_AUTH);

        /* A dialback request: a pair and an event (the verification it needs). */
        input(e, "<db:result from='" PARTNER "' to='" HARNESS "'>"
                 "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
                 "</db:result>");
        engine_memory(e, &m);
        cr_assert_gt(m.tables, m0.tables,
                     "the pair and the event take memory when they come (state %s, out '%s')",
                     engine_state_name(engine_state(e)),
                     engine_output(e)->data != NULL ? engine_output(e)->data : "");
        while (engine_next_event(e, &ev) == 1) {
                events += ev.kind == EV_NEED_VERIFY;
                engine_event_cleanup(&ev);
        }
        cr_assert_eq(events, 1, "one EV_NEED_VERIFY");
        engine_memory(e, &m);
        /* Drained: the queue is gone, the pair stays (it is the stream's state). */
        cr_assert_lt(m.tables, m0.tables + 2048, "after the drain: %zu table bytes", m.tables);
        cr_assert_gt(m.tables, m0.tables);
        engine_free(e);
}
