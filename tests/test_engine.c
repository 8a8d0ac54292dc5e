/*
 * Engine against engine, in memory, with real TLS and the generated
 * certificates: every harness setting H1-H18 against every partner
 * configuration M1-M18, in both directions (design.md §6). The outcome each
 * side observes must agree with the oracle, both sides must stay free of
 * violations (two conforming servers), and every success must carry a ping
 * that is answered.
 */
#include <criterion/criterion.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "memnet.h"
#include "memworld.h"
#include "node.h"
#include "oracle.h"
#include "testcreds.h"
#include "tls.h"

/* Both nodes' dialback secret: it must never reach a trace (design.md §4). */
#define TEST_SECRET "s2scheck-test-dialback-secret-never-shown"
/* hex(SHA-256(TEST_SECRET)), the HMAC key of XEP-0185: never shown either. */
static char secret_hash[65];

/* A node of the world (memworld.h) with settings neg and the shared TEST_SECRET. */
static struct node *make_node(struct world *w, const char *name, const char *domain,
                              const struct neg_settings *neg, struct tls_creds *c)
{
        struct node_config cfg;

        world_config(w, &cfg, name, domain, 1, c);
        cfg.neg = *neg;
        cfg.secret = TEST_SECRET;
        return world_node(w, &cfg);
}

/* The harness's stream that the scenario is about. */
static struct stream *scenario_stream(struct node *h, enum direction dir)
{
        struct stream *all[NODE_MAX_STREAMS];
        size_t n = node_streams(h, all, NODE_MAX_STREAMS);

        for (size_t i = 0; i < n; i++) {
                struct engine *e = node_stream_engine(all[i]);

                if (dir == DIR_OUTBOUND && engine_role(e) == ENGINE_INITIATING &&
                    node_stream_purpose(all[i]) == PURPOSE_AUTH)
                        return all[i];
                if (dir == DIR_INBOUND && engine_role(e) == ENGINE_RECEIVING &&
                    !engine_verify_only(e))
                        return all[i];
        }
        return NULL;
}

/* The partner's stream on the other end of the scenario. */
static struct stream *counterpart(struct node *p, enum direction dir)
{
        return scenario_stream(p, dir == DIR_OUTBOUND ? DIR_INBOUND : DIR_OUTBOUND);
}

static void codes_text(unsigned set, char *out, size_t len)
{
        size_t used = 0;

        out[0] = '\0';
        for (int o = 0; o < OUTCOME_COUNT && used < len; o++) {
                if (set & OUTCOME_BIT(o))
                        used += (size_t)snprintf(out + used, len - used, "%s%s", used ? "|" : "",
                                                 outcome_name((enum outcome)o));
        }
        if (set == 0)
                snprintf(out, len, "none");
}

/* Every stream of both nodes: no violation or internal error between conforming servers. */
static void check_findings(struct world *w, const char *cell)
{
        struct node *nodes[2] = {w->harness, w->partner};

        for (int k = 0; k < 2; k++) {
                struct stream *all[NODE_MAX_STREAMS];
                size_t n = node_streams(nodes[k], all, NODE_MAX_STREAMS);

                for (size_t i = 0; i < n; i++) {
                        size_t nf;
                        const struct finding *f = engine_findings(node_stream_engine(all[i]), &nf);

                        for (size_t j = 0; j < nf; j++) {
                                cr_expect(f[j].kind == FINDING_NOTE, "%s: %s %s [%s]: %s\n%s", cell,
                                          node_stream_label(all[i]),
                                          f[j].kind == FINDING_VIOLATION ? "violation" : "error",
                                          f[j].rule, f[j].text, w->trace.data);
                        }
                }
        }
}

static void run_cell(struct world *w, int h, int m, enum direction dir)
{
        struct neg_settings hs, ps;
        char cell[64], why[512], got[64], pgot[64];
        enum outcome want;
        struct stream *s, *ps_stream;
        unsigned seen, pseen;
        int rc;

        settings_from_row(h, &hs);
        settings_from_row(m, &ps);
        snprintf(cell, sizeof(cell), "H%d x M%d %s", h, m, direction_name(dir));
        want = oracle_expect(&hs, SEMANTICS_MATRIX, &ps, dir, why, sizeof(why));
        w->net = memnet_new();
        cr_assert_not_null(w->net);
        buf_init(&w->trace, 0);
        w->pongs = 0;
        w->stanzas = 0;
        w->harness = make_node(w, "harness", HARNESS, &hs, w->hcreds);
        w->partner = make_node(w, "partner", PARTNER, &ps, w->pcreds);
        if (dir == DIR_OUTBOUND)
                cr_assert_not_null(node_ping(w->harness, HARNESS, PARTNER, "ping-1"));
        else
                cr_assert_not_null(node_ping(w->partner, PARTNER, HARNESS, "ping-1"));
        rc = memnet_run(w->net, 10000);
        cr_assert_geq(rc, 0, "%s: memnet did not settle\n%s", cell, w->trace.data);

        s = scenario_stream(w->harness, dir);
        cr_assert_not_null(s, "%s: the harness has no scenario stream\n%s", cell, w->trace.data);
        seen = engine_result(node_stream_engine(s))->outcomes;
        codes_text(seen, got, sizeof(got));
        cr_expect(oracle_consistent(want, seen), "%s: expected %s, harness observed %s (%s)\n%s",
                  cell, outcome_name(want), got, engine_result(node_stream_engine(s))->cause,
                  w->trace.data);
        /* What the side saw is among the codes the classification assumes it can report
         * (oracle_side_codes, docs/observables.md). */
        cr_expect_eq(seen & ~oracle_side_codes(&hs, SEMANTICS_MATRIX, dir), 0u,
                     "%s: harness observed %s, outside the side's codes 0x%x\n%s", cell, got,
                     oracle_side_codes(&hs, SEMANTICS_MATRIX, dir), w->trace.data);
        /* A success is seen exactly; never a success where a failure is due. */
        if (want <= OUTCOME_DP)
                cr_expect_eq(seen, OUTCOME_BIT(want), "%s: success %s seen as %s\n%s", cell,
                             outcome_name(want), got, w->trace.data);

        ps_stream = counterpart(w->partner, dir);
        if (ps_stream != NULL) {
                pseen = engine_result(node_stream_engine(ps_stream))->outcomes;
                codes_text(pseen, pgot, sizeof(pgot));
                cr_expect(oracle_consistent(want, pseen),
                          "%s: expected %s, partner observed %s\n%s", cell, outcome_name(want),
                          pgot, w->trace.data);
        } else {
                /* Only a partner that never got a connection: the harness failed first. */
                cr_expect(!(OUTCOME_SUCCESS_SET & OUTCOME_BIT(want)), "%s: no partner stream",
                          cell);
        }
        if (want <= OUTCOME_DP)
                cr_expect_eq(w->pongs, 1, "%s: ping answered %d times\n%s", cell, w->pongs,
                             w->trace.data);
        check_findings(w, cell);
        cr_expect_null(strstr(w->trace.data, TEST_SECRET), "%s: the dialback secret was traced",
                       cell);
        cr_expect_null(strstr(w->trace.data, secret_hash), "%s: the dialback HMAC key was traced",
                       cell);
        cr_expect_null(strstr(w->trace.data, "PRIVATE KEY"), "%s: key material was traced", cell);
        /* S2S_TRACE_CELL="H13 x M7 outbound" prints that cell's wire trace. */
        if (getenv("S2S_TRACE_CELL") != NULL && strcmp(getenv("S2S_TRACE_CELL"), cell) == 0)
                fprintf(stderr, "%s\n%s", cell, w->trace.data);

        memnet_reset(w->net);
        node_free(w->harness);
        node_free(w->partner);
        memnet_free(w->net);
        buf_cleanup(&w->trace);
}

static void run_partner_row(int m)
{
        struct world w;
        unsigned char digest[32];

        cr_assert_eq(gnutls_hash_fast(GNUTLS_DIG_SHA256, TEST_SECRET, strlen(TEST_SECRET), digest),
                     0);
        for (int i = 0; i < 32; i++)
                snprintf(secret_hash + 2 * i, 3, "%02x", digest[i]);

        memset(&w, 0, sizeof(w));
        w.hcreds = world_creds(HARNESS);
        w.pcreds = world_creds(PARTNER);
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                run_cell(&w, h, m, DIR_OUTBOUND);
                run_cell(&w, h, m, DIR_INBOUND);
        }
        tls_creds_free(w.hcreds);
        tls_creds_free(w.pcreds);
}

#define PARTNER_ROW(m)                                                                             \
        Test(matrix, partner_m##m, .timeout = 120)                                                 \
        {                                                                                          \
                run_partner_row(m);                                                                \
        }

PARTNER_ROW(1)
PARTNER_ROW(2)
PARTNER_ROW(3)
PARTNER_ROW(4)
PARTNER_ROW(5)
PARTNER_ROW(6)
PARTNER_ROW(7)
PARTNER_ROW(8)
PARTNER_ROW(9)
PARTNER_ROW(10)
PARTNER_ROW(11)
PARTNER_ROW(12)
PARTNER_ROW(13)
PARTNER_ROW(14)
PARTNER_ROW(15)
PARTNER_ROW(16)
PARTNER_ROW(17)
PARTNER_ROW(18)
