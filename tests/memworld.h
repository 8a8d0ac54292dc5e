/*
 * Shared helpers for the in-memory engine tests: a harness node and a partner
 * node on a memnet, with real TLS credentials from the generated PKI, a wire
 * trace, and lookups over the findings of every stream. Header-only (static
 * inline) so each criterion binary takes what it uses.
 */
#ifndef S2S_TEST_MEMWORLD_H
#define S2S_TEST_MEMWORLD_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "memnet.h"
#include "node.h"
#include "oracle.h"
#include "testcreds.h"
#include "testrand.h"
#include "tls.h"

#define HARNESS "harness.test"
#define EXTRA "extra.harness.test"
#define PARTNER "partner.test"
#define WORLD_MAX_SEEN 16

struct world {
        struct tls_creds *hcreds, *pcreds;
        struct memnet *net;
        struct node *harness, *partner;
        struct buf trace;
        int pongs;                           /* iq results delivered to any node */
        int stanzas;                         /* stanzas delivered to any node */
        char seen_from[WORLD_MAX_SEEN][256]; /* from of each delivered stanza */
        int timeouts;                        /* simulated timeouts of the last run */
};

static inline void world_on_trace(void *user, struct stream *s, const struct trace_entry *t)
{
        struct world *w = user;

        if (w->trace.len > 400000)
                return;
        buf_printf(&w->trace, "%-22s %-7s %.*s\n", node_stream_label(s),
                   engine_trace_kind_name(t->kind), (int)(t->len > 400 ? 400 : t->len), t->text);
}

static inline void world_on_stanza(void *user, struct stream *s, xmlNodePtr st)
{
        struct world *w = user;
        xmlChar *type = xmlGetProp(st, BAD_CAST "type");
        xmlChar *from = xmlGetProp(st, BAD_CAST "from");

        (void)s;
        if (type != NULL && strcmp((const char *)type, "result") == 0)
                w->pongs++;
        if (w->stanzas < WORLD_MAX_SEEN)
                snprintf(w->seen_from[w->stanzas], sizeof(w->seen_from[0]), "%s",
                         from != NULL ? (const char *)from : "");
        w->stanzas++;
        xmlFree(type);
        xmlFree(from);
}

/* Credentials from the generated PKI: <name>.pem/.key, trusting ca.pem. */
static inline struct tls_creds *world_creds(const char *name)
{
        return test_creds(name, NULL);
}

/* hcert/pcert: certificate names under S2S_CERT_DIR ("harness.test", ...). */
static inline void world_init(struct world *w, const char *hcert, const char *pcert)
{
        memset(w, 0, sizeof(*w));
        w->hcreds = world_creds(hcert);
        w->pcreds = world_creds(pcert);
        w->net = memnet_new();
        cr_assert_not_null(w->net);
        buf_init(&w->trace, 0);
}

/* Node settings with the reference defaults; the test changes what it needs. */
static inline void world_config(struct world *w, struct node_config *cfg, const char *name,
                                const char *domain, int row, struct tls_creds *c)
{
        memset(cfg, 0, sizeof(*cfg));
        cfg->name = name;
        cfg->hosted[0] = domain;
        cfg->n_hosted = 1;
        cr_assert_eq(settings_from_row(row, &cfg->neg), 0);
        cfg->sem = SEMANTICS_MATRIX;
        engine_knobs_default(&cfg->knobs);
        cfg->creds = c;
        cfg->db_answer = DB_ANSWER_TRUTHFUL;
        xs_limits_default(&cfg->limits);
        cfg->trace = world_on_trace;
        cfg->trace_user = w;
        cfg->answer_pings = true;
        /* Deterministic stream ids (engine_config.random): a run replays exactly. */
        cfg->random = test_random;
}

static inline struct node *world_node(struct world *w, const struct node_config *cfg)
{
        struct node_transport t = memnet_transport(w->net);
        struct node_observer obs = {world_on_stanza, NULL, NULL, w, NULL};
        char err[256];
        struct node *n = node_new(cfg, &t, &obs, err, sizeof(err));

        cr_assert_not_null(n, "node %s: %s", cfg->name, err);
        cr_assert_eq(memnet_add(w->net, n), 0);
        return n;
}

/* Runs the net until it settles; the run must settle. */
static inline void world_run(struct world *w)
{
        int rc = memnet_run(w->net, 20000);

        cr_assert_geq(rc, 0, "memnet did not settle\n%s", w->trace.data);
        w->timeouts = rc;
}

static inline void world_free(struct world *w)
{
        if (getenv("S2S_TRACE") != NULL)
                fprintf(stderr, "%s\n", w->trace.data != NULL ? w->trace.data : "");
        memnet_reset(w->net);
        node_free(w->harness);
        node_free(w->partner);
        memnet_free(w->net);
        buf_cleanup(&w->trace);
        tls_creds_free(w->hcreds);
        tls_creds_free(w->pcreds);
}

/* The node's streams of one role and purpose, in creation order. */
static inline size_t world_streams(struct node *n, enum engine_role role,
                                   enum engine_purpose purpose, struct stream **out, size_t max)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS), got = 0;

        for (size_t i = 0; i < k; i++) {
                struct engine *e = node_stream_engine(all[i]);

                if (engine_role(e) != role || node_stream_purpose(all[i]) != purpose)
                        continue;
                if (role == ENGINE_RECEIVING && engine_verify_only(e) && purpose == PURPOSE_AUTH)
                        continue;
                if (got < max)
                        out[got] = all[i];
                got++;
        }
        return got;
}

/* The first stream of that role (receiving: not a verify-only stream), or fail. */
static inline struct engine *world_engine(struct world *w, struct node *n, enum engine_role role)
{
        struct stream *s[1] = {NULL};

        cr_assert_geq(world_streams(n, role, PURPOSE_AUTH, s, 1), 1, "no %s stream\n%s",
                      role == ENGINE_INITIATING ? "initiating" : "receiving", w->trace.data);
        return node_stream_engine(s[0]);
}

/* A finding of kind on any stream of n whose rule and text contain the given
 * substrings (NULL = any). */
static inline const struct finding *world_finding(struct node *n, enum finding_kind kind,
                                                  const char *rule, const char *text)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < k; i++) {
                size_t nf;
                const struct finding *f = engine_findings(node_stream_engine(all[i]), &nf);

                for (size_t j = 0; j < nf; j++) {
                        if (f[j].kind != kind)
                                continue;
                        if (rule != NULL && strstr(f[j].rule, rule) == NULL)
                                continue;
                        if (text != NULL && strstr(f[j].text, text) == NULL)
                                continue;
                        return &f[j];
                }
        }
        return NULL;
}

/* A finding of kind under rule (rules.h) on any stream of n, NULL if none. */
static inline const struct finding *world_finding_rule(struct node *n, enum finding_kind kind,
                                                       enum rule_id rule)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < k; i++) {
                size_t nf;
                const struct finding *f = engine_findings(node_stream_engine(all[i]), &nf);

                for (size_t j = 0; j < nf; j++)
                        if (f[j].kind == kind && f[j].rule_id == rule)
                                return &f[j];
        }
        return NULL;
}

/* Number of findings of kind over every stream of n. */
static inline size_t world_count(struct node *n, enum finding_kind kind)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t k = node_streams(n, all, NODE_MAX_STREAMS), c = 0;

        for (size_t i = 0; i < k; i++) {
                size_t nf;
                const struct finding *f = engine_findings(node_stream_engine(all[i]), &nf);

                for (size_t j = 0; j < nf; j++)
                        c += f[j].kind == kind;
        }
        return c;
}

/* Whether a stanza from that JID was delivered to a node. */
static inline bool world_delivered_from(const struct world *w, const char *from)
{
        for (int i = 0; i < w->stanzas && i < WORLD_MAX_SEEN; i++) {
                if (strcmp(w->seen_from[i], from) == 0)
                        return true;
        }
        return false;
}

#endif
