/* `list`: the scenarios a run would use, after folder and tag selection. */
#include <stdio.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "commands.h"
#include "json.h"
#include "misbehave.h"
#include "report.h"
#include "scenario.h"
#include "suitecli.h"
#include "util.h"

/* Tags as "a,b,c" into buf (bounded). */
static const char *tags_text(const struct scenario *s, char *buf, size_t len)
{
        size_t used = 0;

        buf[0] = '\0';
        for (size_t i = 0; i < s->n_tags && used < len; i++) {
                int k = snprintf(buf + used, len - used, "%s%s", i > 0 ? "," : "", s->tags[i]);

                if (k < 0)
                        break;
                used += (size_t)k;
        }
        return buf;
}

/* One line per scenario (its title wrapped under its column at the terminal's width,
 * report_table_row), the id and tags columns as wide as their widest entry. */
static void list_text(const struct scenario_suite *suite)
{
        int idw = 2, tagw = 4, width = command_term_width();
        char sum[16], tags[SCENARIO_TAGS_MAX * (SCENARIO_TAG_MAX + 1) + 1], fixed[512];

        for (size_t i = 0; i < suite->n; i++) {
                int w = (int)strlen(suite->items[i].id);
                int t = (int)strlen(tags_text(&suite->items[i], tags, sizeof(tags)));

                if (suite->items[i].selected && w > idw)
                        idw = w;
                if (suite->items[i].selected && t > tagw)
                        tagw = t;
        }
        for (size_t i = 0; i < suite->n; i++) {
                const struct scenario *s = &suite->items[i];

                if (!s->selected)
                        continue;
                snprintf(fixed, sizeof(fixed), "%-*s  %-8s  %-9s  %-*s  ", idw, s->id,
                         direction_name(s->dir), settings_summary(&s->harness, sum, sizeof(sum)),
                         tagw, tags_text(s, tags, sizeof(tags)));
                report_table_row(stdout, fixed, s->title, width);
        }
        printf("%zu scenario%s selected of %zu\n", suite->n_selected,
               suite->n_selected == 1 ? "" : "s", suite->n);
}

static void names_json(struct json *j, const char *key, const struct scenario_name_info *t,
                       size_t n, unsigned set)
{
        json_key(j, key);
        json_begin_array(j);
        for (size_t i = 0; i < n; i++) {
                if (set & (1u << i))
                        json_string(j, t[i].name);
        }
        json_end_array(j);
}

static void strings_json(struct json *j, const char *key, char *const *v, size_t n)
{
        json_key(j, key);
        json_begin_array(j);
        for (size_t i = 0; i < n; i++)
                json_string(j, v[i]);
        json_end_array(j);
}

static void scenario_json(struct json *j, const struct scenario *s)
{
        char tmp[32];

        json_begin_object(j);
        json_kv_string(j, "id", s->id);
        json_kv_string(j, "file", s->file);
        json_kv_string(j, "title", s->title);
        json_kv_string(j, "direction", direction_name(s->dir));
        strings_json(j, "tags", s->tags, s->n_tags);
        strings_json(j, "spec", s->specs, s->n_specs);
        json_key(j, "harness");
        json_begin_object(j);
        snprintf(tmp, sizeof(tmp), "H%d", settings_row(&s->harness));
        json_kv_string(j, "row", tmp);
        json_kv_string(j, "tls", neg_name(s->harness.tls));
        json_kv_string(j, "sasl", neg_name(s->harness.sasl));
        json_kv_bool(j, "dialback", s->harness.dialback);
        json_kv_string(j, "semantics", s->sem == SEMANTICS_STRICT ? "strict" : "matrix");
        json_end_object(j);
        json_kv_string(j, "certificate", cert_variant_name(s->cert));
        json_kv_string(j, "authoritative", db_answer_name(s->authoritative));
        json_kv_string(j, "partner_domain",
                       s->pdom == PARTNER_DOMAIN_ADDITIONAL ? "additional" : "primary");
        strings_json(j, "multiplex_from", s->mux_from, s->n_mux_from);
        json_kv_bool(j, "multiplex_additional", s->mux_additional);
        json_key(j, "misbehave");
        json_begin_array(j);
        for (size_t i = 0; i < misbehave_count(); i++) {
                if (s->misbehave & (1u << i))
                        json_string(j, misbehave_row(i)->name);
        }
        json_end_array(j);
        names_json(j, "knobs", scenario_knobs(), KNOB_COUNT, s->knobs_set);
        json_key(j, "requires");
        json_begin_object(j);
        json_key(j, "partner_tls");
        json_begin_array(j);
        for (int v = NEG_REQUIRED; v <= NEG_NOTSUPPORTED; v++) {
                if (s->requires_partner_tls & (1u << v))
                        json_string(j, neg_name((enum neg)v));
        }
        json_end_array(j);
        json_key(j, "partner_dialback");
        if (s->requires_partner_dialback < 0)
                json_null(j);
        else
                json_bool(j, s->requires_partner_dialback == 1);
        json_key(j, "partner_keepalive");
        if (s->requires_partner_keepalive < 0)
                json_null(j);
        else
                json_bool(j, s->requires_partner_keepalive == 1);
        json_end_object(j);
        json_key(j, "expect");
        json_begin_object(j);
        json_kv_bool(j, "oracle", s->expect_oracle);
        if (s->expect_oracle) {
                json_key(j, "oracle_without");
                json_begin_array(j);
                for (unsigned m = METHOD_S; m <= METHOD_DP; m <<= 1) {
                        if (s->oracle_without & m)
                                json_string(j, method_name((enum method)m));
                }
                json_end_array(j);
                report_json_outcomes(j, "also_accept", s->also_accept);
        } else {
                report_json_outcomes(j, "outcomes", s->outcomes);
        }
        names_json(j, "checks", scenario_checks(), CHECK_COUNT, s->checks);
        json_end_object(j);
        json_key(j, "xfail");
        if (s->xfail != NULL)
                json_string(j, s->xfail);
        else
                json_null(j);
        json_end_object(j);
}

static int list_json(const struct scenario_suite *suite)
{
        struct buf out;
        struct json j;
        int rc = EXIT_MATCH;

        buf_init(&out, 0);
        json_init(&j, &out);
        json_begin_object(&j);
        json_kv_int(&j, "schema", 1); /* docs/schema/list.schema.json */
        json_kv_int(&j, "total", (long long)suite->n);
        json_kv_int(&j, "selected", (long long)suite->n_selected);
        json_key(&j, "scenarios");
        json_begin_array(&j);
        for (size_t i = 0; i < suite->n; i++) {
                if (suite->items[i].selected)
                        scenario_json(&j, &suite->items[i]);
        }
        json_end_array(&j);
        json_end_object(&j);
        if (json_finish(&j) != 0 || buf_puts(&out, "\n") != 0 ||
            fwrite(out.data, 1, out.len, stdout) != out.len) {
                fprintf(stderr, "s2scheck: could not write the JSON list\n");
                rc = EXIT_UNTESTABLE;
        }
        buf_cleanup(&out);
        return rc;
}

int cmd_list(int argc, char **argv)
{
        const char *pos[1];
        size_t npos;
        bool json = false;
        struct suite_cli sc;
        struct cli_opt opts[SUITE_CLI_NOPTS + 1];
        struct scenario_suite suite;
        char err[1024];
        int rc;

        suite_cli_opts(&sc, opts);
        opts[SUITE_CLI_NOPTS] = (struct cli_opt){.name = "--json",
                                                 .flag = &json,
                                                 .help = "print the selection as JSON",
                                                 .section = "Reports"};
        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 0, &npos, err, sizeof(err)) != 0)
                return command_usage_error("list", err);
        rc = suite_cli_load(&sc, "list", NULL, &suite);
        if (rc != EXIT_MATCH)
                return rc;
        if (json)
                rc = list_json(&suite);
        else
                list_text(&suite);
        scenario_suite_cleanup(&suite);
        return rc;
}
