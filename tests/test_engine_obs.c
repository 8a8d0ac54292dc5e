/*
 * Criterion tests for the engine's typed observations (issue 11 item 2, struct
 * engine_obs on trace entries): what the runner and the checks read instead of
 * the human trace. Real negotiations between two nodes in memory (memworld.h).
 */
#include <criterion/criterion.h>

#include <string.h>

#include "memworld.h"

#define OBS_MAX 64

/* What the harness's initiating stream observed, in order. */
struct seen {
        struct world *w;
        enum obs_kind kind[OBS_MAX];
        int starttls[OBS_MAX];
        bool external[OBS_MAX], dialback[OBS_MAX];
        char id[OBS_MAX][64], type[OBS_MAX][16];
        size_t n;
        /* Every observation on every stream: each string must be non-NULL. */
        size_t all;
};

static void on_trace(void *user, struct stream *s, const struct trace_entry *t)
{
        struct seen *v = user;
        const struct engine_obs *o = t->obs;

        world_on_trace(v->w, s, t);
        if (o == NULL)
                return;
        cr_assert(o->id != NULL && o->from != NULL && o->to != NULL && o->type != NULL &&
                  o->cond != NULL);
        v->all++;
        if (engine_role(node_stream_engine(s)) != ENGINE_INITIATING ||
            node_stream_purpose(s) != PURPOSE_AUTH || v->n >= OBS_MAX)
                return;
        v->kind[v->n] = o->kind;
        v->starttls[v->n] = o->starttls;
        v->external[v->n] = o->external;
        v->dialback[v->n] = o->dialback;
        snprintf(v->id[v->n], sizeof(v->id[0]), "%s", o->id);
        snprintf(v->type[v->n], sizeof(v->type[0]), "%s", o->type);
        v->n++;
}

static void run(struct world *w, struct seen *v, int hrow, int prow)
{
        struct node_config hc, pc;

        memset(v, 0, sizeof(*v));
        v->w = w;
        world_init(w, HARNESS, PARTNER);
        world_config(w, &hc, "harness", HARNESS, hrow, w->hcreds);
        hc.trace = on_trace;
        hc.trace_user = v;
        world_config(w, &pc, "partner", PARTNER, prow, w->pcreds);
        w->harness = world_node(w, &hc);
        w->partner = world_node(w, &pc);
        cr_assert_not_null(node_ping(w->harness, HARNESS, PARTNER, "p1"));
        world_run(w);
}

static int count(const struct seen *v, enum obs_kind k)
{
        int c = 0;

        for (size_t i = 0; i < v->n; i++)
                c += v->kind[i] == k;
        return c;
}

/* H1 x M1 (STARTTLS, then SASL EXTERNAL): features before and after TLS and after
 * SASL, one header per stream with a fresh id each, TLS up, SASL success. */
Test(obs, sasl_path)
{
        struct world w;
        struct seen v;
        int feats = 0, headers = 0;

        run(&w, &v, 1, 1);
        cr_expect_eq(count(&v, OBS_TLS_UP), 1, "%s", w.trace.data);
        cr_expect_eq(count(&v, OBS_SASL_SUCCESS), 1, "%s", w.trace.data);
        cr_expect_eq(count(&v, OBS_DB_RESULT_SENT), 0, "no dialback on the SASL path");
        for (size_t i = 0; i < v.n; i++) {
                if (v.kind[i] == OBS_HEADER_RECV) {
                        cr_expect_neq(v.id[i][0], '\0', "header %d has an id", headers);
                        for (size_t k = 0; k < i; k++)
                                if (v.kind[k] == OBS_HEADER_RECV)
                                        cr_expect_str_neq(v.id[i], v.id[k], "ids differ");
                        headers++;
                }
                if (v.kind[i] != OBS_FEATURES)
                        continue;
                /* M1 is TLS Required: <required/> first, then EXTERNAL, then nothing. */
                if (feats == 0)
                        cr_expect_eq(v.starttls[i], 2, "%s", w.trace.data);
                if (feats == 1) {
                        cr_expect_eq(v.starttls[i], 0, "no STARTTLS after TLS");
                        cr_expect(v.external[i], "EXTERNAL after TLS");
                }
                if (feats == 2)
                        cr_expect(!v.external[i] && v.starttls[i] == 0, "after SASL");
                feats++;
        }
        cr_expect_eq(headers, 3, "three streams: plain, TLS, SASL\n%s", w.trace.data);
        cr_expect_eq(feats, 3, "%s", w.trace.data);
        cr_expect_eq(w.pongs, 1);
        world_free(&w);
}

/* H13 x M13 (TLS, dialback): the request sent and the peer's typed answer. */
Test(obs, dialback_path)
{
        struct world w;
        struct seen v;
        bool request = false, valid = false;

        run(&w, &v, 13, 13);
        for (size_t i = 0; i < v.n; i++) {
                if (v.kind[i] == OBS_DB_RESULT_SENT && v.type[i][0] == '\0')
                        request = true;
                if (v.kind[i] == OBS_DB_RESULT_RECV && strcmp(v.type[i], "valid") == 0)
                        valid = true;
        }
        cr_expect(request, "the db:result request is observed\n%s", w.trace.data);
        cr_expect(valid, "the type='valid' answer is observed\n%s", w.trace.data);
        cr_expect_eq(count(&v, OBS_SASL_SUCCESS), 0);
        cr_expect_gt(v.all, v.n, "the other streams (verify, authoritative) observe too");
        world_free(&w);
}
