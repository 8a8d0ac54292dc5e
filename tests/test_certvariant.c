/*
 * harness/certvariant.c: one table of certificate variants. Every other place that
 * names them is checked against it here: the schema (scenario.rng), the loader's
 * accepted list (tests/test_scenario.c), the static test PKI (certs/leaf/NAME.tmpl),
 * docs/scenarios.md and docs/certificates.md, and the leaf each row makes.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "certvariant.h"
#include "scenario.h"
#include "schema.h"

/* The whole of a file under the source tree, NUL-terminated (malloc'd). */
static char *slurp(const char *rel)
{
        char path[512];
        FILE *f;
        long n;
        char *text;

        snprintf(path, sizeof(path), S2S_SOURCE_DIR "/%s", rel);
        f = fopen(path, "r");
        cr_assert_not_null(f, "%s", path);
        cr_assert_eq(fseek(f, 0, SEEK_END), 0);
        n = ftell(f);
        cr_assert_gt(n, 0);
        rewind(f);
        text = malloc((size_t)n + 1);
        cr_assert_not_null(text);
        cr_assert_eq(fread(text, 1, (size_t)n, f), (size_t)n);
        text[n] = '\0';
        fclose(f);
        return text;
}

/* The table's names, sep-separated, in order. */
static void table_names(const char *sep, char *out, size_t len)
{
        size_t used = 0;

        out[0] = '\0';
        for (int v = 0; v < CERT_COUNT; v++)
                used += (size_t)snprintf(out + used, len - used, "%s%s", v ? sep : "",
                                         cert_variant_name((enum cert_variant)v));
}

Test(certvariant, rows_and_lookup)
{
        for (int v = 0; v < CERT_COUNT; v++) {
                const struct cert_variant_row *r = cert_variant((enum cert_variant)v);

                cr_assert_not_null(r);
                cr_assert(r->name != NULL && r->what != NULL, "variant %d", v);
                cr_assert_eq(cert_variant_lookup(r->name), v, "%s", r->name);
        }
        cr_assert_null(cert_variant(CERT_COUNT));
        cr_assert_str_eq(cert_variant_name(CERT_COUNT), "?");
        cr_assert_eq(cert_variant_lookup("bogus"), -1);
}

/* harness/schema/scenario.rng lists exactly the table's names, in its order. */
Test(certvariant, schema_lists_the_table)
{
        const char *rng = schema_get("scenario", NULL), *p, *end;
        char got[1024] = "", want[1024];
        size_t used = 0;

        cr_assert_not_null(rng);
        p = strstr(rng, "<element name=\"certificate\">");
        cr_assert_not_null(p);
        end = strstr(p, "</choice>");
        cr_assert_not_null(end);
        while ((p = strstr(p, "<value>")) != NULL && p < end) {
                const char *q = strstr(p, "</value>");

                used += (size_t)snprintf(got + used, sizeof(got) - used, "%s%.*s", used ? " " : "",
                                         (int)(q - p - 7), p + 7);
                p = q;
        }
        table_names(" ", want, sizeof(want));
        cr_assert_str_eq(got, want);
}

/* Every issued variant has a template of the static PKI (certs/leaf/NAME.tmpl,
 * certs/gen-certs.sh), and the docs describe every variant. */
Test(certvariant, pki_templates_and_docs_list_the_table)
{
        char *scen = slurp("docs/scenarios.md"), *certs = slurp("docs/certificates.md");
        const char *table = strstr(scen, "| variant | what the harness presents |"), *table_end;

        cr_assert_not_null(table, "docs/scenarios.md has no variant table");
        table_end = strstr(table, "\n\n");
        cr_assert_not_null(table_end);
        for (int v = 0; v < CERT_COUNT; v++) {
                const struct cert_variant_row *r = cert_variant((enum cert_variant)v);
                char rel[256], cell[128], in_certs[128];
                const char *p = table;
                bool found = false;

                if (r->issued) {
                        snprintf(rel, sizeof(rel), S2S_SOURCE_DIR "/certs/leaf/%s.tmpl", r->name);
                        cr_assert_eq(access(rel, R_OK), 0, "no %s", rel);
                        if (v == CERT_DEFAULT)
                                snprintf(in_certs, sizeof(in_certs), "| `<d>` (default) |");
                        else
                                snprintf(in_certs, sizeof(in_certs), "| `<d>-%s` |", r->name);
                        cr_assert(strstr(certs, in_certs) != NULL,
                                  "docs/certificates.md has no row %s", in_certs);
                }
                /* A row of the variant table starts "| a / b |" or "| a |". */
                while (!found && (p = strstr(p, "\n| ")) != NULL && p < table_end) {
                        size_t n = strcspn(p + 3, "|");

                        snprintf(cell, sizeof(cell), " %.*s", (int)n, p + 3);
                        for (char *t = strtok(cell, " /"); t != NULL; t = strtok(NULL, " /"))
                                found |= strcmp(t, r->name) == 0;
                        p += 3;
                }
                cr_assert(found, "docs/scenarios.md's variant table has no row for %s", r->name);
        }
        free(scen);
        free(certs);
}

/* The leaf each row makes (the switch runner.c had before the table). */
Test(certvariant, spec_of_each_row)
{
        const char *doms[1] = {"s.harness.test"}, *wrong[1] = {"wrong.test"};
        struct pki_leaf_spec spec;
        bool other;

        cr_assert_eq(cert_variant_spec(CERT_NONE, doms, 1, wrong, &spec, &other), -1);
        cr_assert_eq(cert_variant_spec(CERT_DEFAULT, doms, 1, wrong, &spec, &other), 0);
        cr_assert_eq(spec.ids, PKI_ID_DNS | PKI_ID_WILDCARD | PKI_ID_SRV);
        cr_assert(spec.domains == doms && !other);
        cr_assert_eq(cert_variant_spec(CERT_WRONGNAME, doms, 1, wrong, &spec, &other), 0);
        cr_assert(spec.domains == wrong && spec.ids == PKI_ID_DNS);
        cr_assert_eq(cert_variant_spec(CERT_CA2, doms, 1, wrong, &spec, &other), 0);
        cr_assert(other && spec.ids == (PKI_ID_DNS | PKI_ID_SRV));
        cr_assert_eq(cert_variant_spec(CERT_EXPIRED, doms, 1, wrong, &spec, &other), 0);
        cr_assert(spec.not_after_s < 0 && spec.not_before_s < spec.not_after_s);
        cr_assert_eq(cert_variant_spec(CERT_CN, doms, 1, wrong, &spec, &other), 0);
        cr_assert_eq(spec.ids, 0);
        cr_assert_eq(cert_variant_spec(CERT_SELFSIGNED, doms, 1, wrong, &spec, &other), 0);
        cr_assert(spec.self_signed);
        cr_assert_eq(cert_variant_spec(CERT_SERVERAUTH, doms, 1, wrong, &spec, &other), 0);
        cr_assert_eq(spec.eku, PKI_EKU_SERVER);
        /* Only the variants with other names do not prove the scenario's domain. */
        for (int v = 0; v < CERT_COUNT; v++)
                cr_assert_eq(cert_variant((enum cert_variant)v)->names_domain,
                             v != CERT_WRONGNAME && v != CERT_WILDCARD && v != CERT_SRVCLIENT &&
                                 v != CERT_NONE,
                             "%s", cert_variant_name((enum cert_variant)v));
}
