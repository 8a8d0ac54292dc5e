/* `validate` and `matrix`: what a partner configuration is and what it implies. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "json.h"
#include "oracle.h"
#include "partner.h"
#include "report.h"
#include "util.h"

/* Shared by both commands: PARTNER [--identity D]. */
static int load_partner(const char *cmd, const char *path, const char *identity, struct partner *p)
{
        char err[1024];

        if (path == NULL)
                return command_usage_error(cmd, "missing PARTNER file");
        if (partner_load(path, identity, p, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck: %s\n", err);
                return EXIT_USAGE;
        }
        partner_warn(p, stderr);
        return EXIT_MATCH;
}

static void print_settings_line(const struct partner *p)
{
        printf("  TlsNegotiation %s, SaslNegotiation %s, SupportDialbackNegotiation %s, "
               "PartnerType %s\n",
               neg_name(p->neg.tls), neg_name(p->neg.sasl), p->neg.dialback ? "True" : "False",
               partner_type_name(p->type));
        for (size_t i = 0; i < p->n_additional; i++)
                printf("  additional domain %s\n", p->additional[i]);
}

int cmd_validate(int argc, char **argv)
{
        const char *identity = NULL, *pos[1];
        bool cmdlet = false;
        const struct cli_opt opts[] = {
            CLI_IDENTITY(&identity),
            CLI_FLAG("--cmdlet", &cmdlet, NULL,
                     "also print the equivalent New-CsXmppAllowedPartner command"),
        };
        char err[256], methods[32];
        struct partner p;
        const struct row_info *info;
        const char *rule, *fix;
        size_t npos;
        int row, rc;

        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 1, &npos, err, sizeof(err)) != 0)
                return command_usage_error("validate", err);
        rc = load_partner("validate", npos > 0 ? pos[0] : NULL, identity, &p);
        if (rc != EXIT_MATCH)
                return rc;
        row = settings_row(&p.neg);
        info = oracle_row_info(row);
        printf("%s (%s)\n", p.primary, p.source);
        print_settings_line(&p);
        printf("  matrix row: M%d\n", row);
        printf("  Microsoft's matrix: \"%s\"%s%s\n", info->methods_text,
               info->note[0] != '\0' ? "; " : "", info->note);
        if (oracle_valid(&p.neg)) {
                printf("  valid: yes\n");
                printf("  accepted methods: %s\n",
                       methods_text(oracle_methods(&p.neg, SEMANTICS_MATRIX), ", ", methods,
                                    sizeof(methods)));
                printf("  class: E%d\n", oracle_class(&p.neg));
        } else {
                oracle_invalid_reason(&p.neg, &rule, &fix);
                printf("  valid: no\n");
                printf("  rule: %s\n", rule);
                printf("  fix: %s\n", fix);
        }
        if (cmdlet) {
                struct buf line;

                buf_init(&line, 0);
                if (partner_cmdlet(&p, "New", &line) != 0) {
                        fprintf(stderr, "s2scheck: out of memory\n");
                        buf_cleanup(&line);
                        partner_cleanup(&p);
                        return EXIT_UNTESTABLE;
                }
                printf("  cmdlet: %s\n", line.data);
                buf_cleanup(&line);
        }
        rc = oracle_valid(&p.neg) ? EXIT_MATCH : EXIT_MISMATCH;
        partner_cleanup(&p);
        return rc;
}

static void matrix_json(const struct partner *p, enum semantics hsem, struct buf *out)
{
        struct json j;
        const char *rule, *fix;
        int row = settings_row(&p->neg);
        unsigned a = oracle_methods(&p->neg, SEMANTICS_MATRIX);
        char tmp[32];

        json_init(&j, out);
        json_begin_object(&j);
        json_kv_int(&j, "schema", 1); /* docs/schema/matrix.schema.json */
        json_kv_string(&j, "partner", p->primary);
        snprintf(tmp, sizeof(tmp), "M%d", row);
        json_kv_string(&j, "row", tmp);
        json_kv_bool(&j, "valid", oracle_valid(&p->neg));
        json_key(&j, "class");
        if (oracle_valid(&p->neg)) {
                snprintf(tmp, sizeof(tmp), "E%d", oracle_class(&p->neg));
                json_string(&j, tmp);
        } else {
                json_null(&j);
        }
        json_key(&j, "methods");
        json_begin_array(&j);
        for (unsigned m = METHOD_S; m <= METHOD_DP; m <<= 1) {
                if (a & m)
                        json_string(&j, method_name((enum method)m));
        }
        json_end_array(&j);
        if (oracle_invalid_reason(&p->neg, &rule, &fix) == 0) {
                json_kv_string(&j, "invalid_rule", rule);
                json_kv_string(&j, "invalid_fix", fix);
        }
        json_kv_string(&j, "semantics", hsem == SEMANTICS_STRICT ? "strict" : "matrix");
        json_key(&j, "cells");
        json_begin_array(&j);
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs;

                settings_from_row(h, &hs);
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        char why[512];
                        enum outcome o =
                            oracle_expect(&hs, hsem, &p->neg, (enum direction)d, why, sizeof(why));

                        json_begin_object(&j);
                        snprintf(tmp, sizeof(tmp), "H%d", h);
                        json_kv_string(&j, "harness", tmp);
                        json_kv_string(&j, "tls", neg_name(hs.tls));
                        json_kv_string(&j, "sasl", neg_name(hs.sasl));
                        json_kv_bool(&j, "dialback", hs.dialback);
                        json_kv_bool(&j, "harness_valid", oracle_valid(&hs));
                        json_kv_string(&j, "direction", direction_name((enum direction)d));
                        json_kv_string(&j, "expected", outcome_name(o));
                        json_kv_string(&j, "rationale", why);
                        json_end_object(&j);
                }
        }
        json_end_array(&j);
        json_end_object(&j);
        if (json_finish(&j) == 0)
                buf_puts(out, "\n");
}

static void matrix_text(const struct partner *p, enum semantics hsem)
{
        char methods[32], sum[16];
        int row = settings_row(&p->neg), width = command_term_width();

        printf("%s: row M%d (%s), %s", p->primary, row, settings_summary(&p->neg, sum, sizeof(sum)),
               oracle_valid(&p->neg) ? "valid" : "NOT valid");
        if (oracle_valid(&p->neg))
                printf(", class E%d, methods %s\n", oracle_class(&p->neg),
                       methods_text(oracle_methods(&p->neg, SEMANTICS_MATRIX), ",", methods,
                                    sizeof(methods)));
        else
                printf(" (cells run as negative tests)\n");
        report_table_row(stdout, "",
                         hsem == SEMANTICS_STRICT
                             ? "harness side read with strict (H-STRICT) semantics; outbound = "
                               "the harness initiates"
                             : "harness side read with matrix (H-OUTCOME) semantics; outbound = "
                               "the harness initiates",
                         width);
        putchar('\n');
        printf("%-4s %-10s %-9s %-3s %s\n", "H", "TLS/SASL/D", "direction", "exp", "rationale");
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs;

                settings_from_row(h, &hs);
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        char why[512], hname[8], fixed[64];
                        enum outcome o =
                            oracle_expect(&hs, hsem, &p->neg, (enum direction)d, why, sizeof(why));

                        snprintf(hname, sizeof(hname), "H%d%s", h, oracle_valid(&hs) ? "" : "*");
                        snprintf(fixed, sizeof(fixed), "%-4s %-10s %-9s %-3s ", hname,
                                 settings_summary(&hs, sum, sizeof(sum)),
                                 direction_name((enum direction)d), outcome_name(o));
                        /* The rationale wraps under its column at the terminal's width. */
                        report_table_row(stdout, fixed, why, width);
                }
        }
        printf("\n* harness settings that Lync would refuse to commit (negative tests)\n");
}

int cmd_matrix(int argc, char **argv)
{
        const char *identity = NULL, *pos[1];
        bool json = false, strict = false;
        const struct cli_opt opts[] = {
            CLI_IDENTITY(&identity),
            CLI_FLAG("--json", &json, NULL,
                     "print the JSON form documented in docs/json-matrix.md"),
            CLI_FLAG("--strict", &strict, NULL,
                     "read the harness side with strict semantics (docs/cli.md, matrix)"),
        };
        char err[256];
        struct partner p;
        size_t npos;
        int rc;

        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 1, &npos, err, sizeof(err)) != 0)
                return command_usage_error("matrix", err);
        rc = load_partner("matrix", npos > 0 ? pos[0] : NULL, identity, &p);
        if (rc != EXIT_MATCH)
                return rc;
        if (json) {
                struct buf out;

                buf_init(&out, 0);
                matrix_json(&p, strict ? SEMANTICS_STRICT : SEMANTICS_MATRIX, &out);
                if (out.len == 0 || fwrite(out.data, 1, out.len, stdout) != out.len) {
                        fprintf(stderr, "s2scheck: could not write the JSON matrix\n");
                        rc = EXIT_UNTESTABLE;
                }
                buf_cleanup(&out);
        } else {
                matrix_text(&p, strict ? SEMANTICS_STRICT : SEMANTICS_MATRIX);
        }
        partner_cleanup(&p);
        return rc;
}
