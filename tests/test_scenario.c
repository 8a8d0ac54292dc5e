#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "misbehave.h"
#include "rules.h"
#include "scenario.h"
#include "util.h"

#define BAD S2S_FIXTURE_DIR "/scenarios/bad/"
#define USER S2S_FIXTURE_DIR "/scenarios/user"
#define CLASH S2S_FIXTURE_DIR "/scenarios/clash"

static bool is_zero(const struct scenario_suite *s)
{
        return s->items == NULL && s->n == 0 && s->n_selected == 0;
}

static void load_default(struct scenario_suite *s)
{
        char err[1024] = "";

        cr_assert_eq(scenario_load_dir(SCENARIO_DEFAULT_DIR, s, err, sizeof(err)), 0, "%s", err);
}

static const struct scenario *find(const struct scenario_suite *s, const char *id)
{
        for (size_t i = 0; i < s->n; i++) {
                if (strcmp(s->items[i].id, id) == 0)
                        return &s->items[i];
        }
        cr_assert_fail("scenario %s not in the suite", id);
        return NULL;
}

static size_t count_xml(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        size_t n = 0;

        cr_assert_not_null(d, "%s", dir);
        while ((de = readdir(d)) != NULL) {
                size_t len = strlen(de->d_name);

                if (de->d_name[0] != '.' && len > 4 && strcmp(de->d_name + len - 4, ".xml") == 0)
                        n++;
        }
        closedir(d);
        return n;
}

/* ---- the default suite ---- */

Test(scenario, default_suite_loads_every_file)
{
        struct scenario_suite s;

        load_default(&s);
        cr_assert_gt(s.n, 100, "only %zu scenarios", s.n);
        cr_assert_eq(s.n, count_xml(SCENARIO_DEFAULT_DIR), "a file was not loaded");
        for (size_t i = 0; i < s.n; i++) {
                const struct scenario *a = &s.items[i];
                char want[512];

                /* Convention of the default suite: the file is named after the id. */
                snprintf(want, sizeof(want), "%s/%s.xml", SCENARIO_DEFAULT_DIR, a->id);
                cr_expect_str_eq(a->file, want);
                cr_expect_gt(a->n_tags, 0, "%s has no tag", a->id);
                cr_expect_gt(a->n_specs, 0, "%s has no spec reference", a->id);
                cr_expect_neq(a->title[0], '\0', "%s has no title", a->id);
                cr_expect_null(a->xfail, "%s: the default suite expects no partner quirk", a->id);
                /* A negative test with an explicit set states why in a spec reference
                 * and carries no also-accept (the schema allows none there). */
                if (!a->expect_oracle) {
                        cr_expect_neq(a->outcomes, 0u, "%s", a->id);
                        cr_expect_eq(a->also_accept, 0u, "%s", a->id);
                        cr_expect_eq(a->outcomes & OUTCOME_SUCCESS_SET, 0u,
                                     "%s: an explicit set accepts a success", a->id);
                }
                for (size_t j = 0; j < i; j++)
                        cr_assert_str_neq(a->id, s.items[j].id, "id %s twice", a->id);
                if (i > 0)
                        cr_expect_lt(strcmp(s.items[i - 1].file, a->file), 0, "not in name order");
        }
        scenario_suite_cleanup(&s);
        cr_assert(is_zero(&s));
}

Test(scenario, matrix_rows_both_directions)
{
        struct scenario_suite s;
        size_t n = 0;

        load_default(&s);
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        char id[32];
                        const struct scenario *a;

                        snprintf(id, sizeof(id), "matrix-h%d-%s", h,
                                 d == DIR_OUTBOUND ? "out" : "in");
                        a = find(&s, id);
                        cr_assert_eq(settings_row(&a->harness), h, "%s: row %d", id,
                                     settings_row(&a->harness));
                        cr_assert_eq(a->dir, (enum direction)d, "%s", id);
                        cr_assert(a->expect_oracle, "%s must leave the outcome to the oracle", id);
                        cr_assert_eq(a->also_accept, 0u, "%s", id);
                        cr_assert_eq(a->misbehave, 0u, "%s", id);
                        cr_assert_eq(a->sem, SEMANTICS_MATRIX, "%s", id);
                        cr_assert_eq(a->cert, CERT_DEFAULT, "%s", id);
                        cr_assert(scenario_has_tag(a, "matrix"));
                        cr_assert_eq(scenario_has_tag(a, "invalid-harness"),
                                     !oracle_valid(&a->harness), "%s", id);
                }
        }
        for (size_t i = 0; i < s.n; i++)
                n += scenario_has_tag(&s.items[i], "matrix");
        cr_assert_eq(n, 36);
        scenario_suite_cleanup(&s);
}

/* Fields read from the files, against what the files say. */
Test(scenario, fields_and_defaults)
{
        struct scenario_suite s;
        const struct scenario *a;
        struct engine_knobs def;

        engine_knobs_default(&def);
        load_default(&s);

        a = find(&s, "matrix-h9-out"); /* everything at its default */
        cr_assert_eq(a->harness.tls, NEG_OPTIONAL);
        cr_assert_eq(a->harness.sasl, NEG_OPTIONAL);
        cr_assert(a->harness.dialback);
        cr_assert_eq(a->cert, CERT_DEFAULT);
        cr_assert_eq(a->authoritative, DB_ANSWER_TRUTHFUL);
        cr_assert_eq(a->pdom, PARTNER_DOMAIN_PRIMARY);
        cr_assert(a->expect_oracle);
        cr_assert_eq(a->oracle_without | a->also_accept | a->checks | a->knobs_set, 0u);
        cr_assert_eq(memcmp(&a->knobs, &def, sizeof(def)), 0);
        cr_assert_eq(a->requires_partner_tls, 0u);
        cr_assert_eq(a->requires_partner_dialback, -1);
        cr_assert_eq(a->n_mux_from, 0);
        cr_assert_not(a->mux_additional);
        cr_assert_str_eq(a->specs[0], "H-OUTCOME");

        a = find(&s, "cert-wrongname-out");
        cr_assert_eq(a->cert, CERT_WRONGNAME);
        cr_assert(a->expect_oracle);
        cr_assert_eq(a->oracle_without, (unsigned)METHOD_S);
        cr_assert_eq(a->also_accept, OUTCOME_BIT(OUTCOME_F3));

        a = find(&s, "cert-xmpp-in");
        cr_assert_eq(a->dir, DIR_INBOUND);
        cr_assert_eq(a->also_accept,
                     OUTCOME_BIT(OUTCOME_F1) | OUTCOME_BIT(OUTCOME_F3) | OUTCOME_BIT(OUTCOME_DT));

        a = find(&s, "dialback-pre-tls-key-out");
        cr_assert_eq(settings_row(&a->harness), 15);
        cr_assert_eq(a->misbehave, 1u << misbehave_lookup("pre-tls-dialback-key"));
        cr_assert_eq(a->requires_partner_tls, (1u << NEG_REQUIRED) | (1u << NEG_OPTIONAL));
        cr_assert_eq(a->requires_partner_dialback, 1);
        cr_assert_not(a->expect_oracle);
        cr_assert_eq(a->outcomes, OUTCOME_BIT(OUTCOME_F3) | OUTCOME_BIT(OUTCOME_F4));
        cr_assert_eq(a->checks, 1u << CHECK_NO_STANZA_ACCEPTED);

        a = find(&s, "dialback-authoritative-error-out");
        cr_assert_eq(a->authoritative, DB_ANSWER_ERROR);

        a = find(&s, "strict-h3-out");
        cr_assert_eq(a->sem, SEMANTICS_STRICT);

        a = find(&s, "undefined-authzid-out");
        cr_assert_eq(a->knobs_set, 1u << KNOB_SASL_SEND_AUTHZID);
        cr_assert(a->knobs.sasl_send_authzid);
        cr_assert_eq(a->knobs.on_bad_peer_cert, def.on_bad_peer_cert);

        a = find(&s, "undefined-dboff-ignore-in");
        cr_assert_eq(a->knobs.dialback_off_reply, DBOFF_IGNORE);
        cr_assert_not(a->harness.dialback);

        a = find(&s, "domains-mux-sender-h13-out");
        cr_assert_eq(a->n_mux_from, 2);
        cr_assert_str_eq(a->mux_from[0], "mux1");
        cr_assert_str_eq(a->mux_from[1], "mux2");

        a = find(&s, "domains-mux-target-h9-out");
        cr_assert(a->mux_additional);

        a = find(&s, "domains-additional-h1-in");
        cr_assert_eq(a->pdom, PARTNER_DOMAIN_ADDITIONAL);
        scenario_suite_cleanup(&s);
}

/* ---- selection ---- */

Test(scenario, select_by_tag_id_direction)
{
        struct scenario_suite s;
        const char *only[4], *skip[4];
        char err[512] = "";
        size_t out = 0;

        load_default(&s);
        cr_assert_eq(scenario_select(&s, NULL, 0, NULL, 0, err, sizeof(err)), 0);
        cr_assert_eq(s.n_selected, s.n);

        only[0] = "matrix";
        cr_assert_eq(scenario_select(&s, only, 1, NULL, 0, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(s.n_selected, 36);
        for (size_t i = 0; i < s.n; i++)
                cr_assert_eq(s.items[i].selected, scenario_has_tag(&s.items[i], "matrix"));

        skip[0] = "matrix";
        cr_assert_eq(scenario_select(&s, NULL, 0, skip, 1, err, sizeof(err)), 0);
        cr_assert_eq(s.n_selected, s.n - 36);

        skip[0] = "invalid-harness";
        cr_assert_eq(scenario_select(&s, only, 1, skip, 1, err, sizeof(err)), 0);
        cr_assert_eq(s.n_selected, 22); /* 11 valid harness rows x 2 directions */

        only[0] = "matrix-h13-out";
        only[1] = "cert-expired-in";
        cr_assert_eq(scenario_select(&s, only, 2, NULL, 0, err, sizeof(err)), 0);
        cr_assert_eq(s.n_selected, 2);
        cr_assert(find(&s, "matrix-h13-out")->selected);
        cr_assert(find(&s, "cert-expired-in")->selected);

        only[0] = "outbound";
        cr_assert_eq(scenario_select(&s, only, 1, NULL, 0, err, sizeof(err)), 0);
        for (size_t i = 0; i < s.n; i++) {
                cr_assert_eq(s.items[i].selected, s.items[i].dir == DIR_OUTBOUND);
                out += s.items[i].dir == DIR_OUTBOUND;
        }
        cr_assert_eq(s.n_selected, out);
        scenario_suite_cleanup(&s);
}

Test(scenario, select_unknown_word_is_an_error)
{
        struct scenario_suite s;
        const char *only[] = {"matrix"}, *skip[] = {"matirx"};
        char err[512] = "";

        load_default(&s);
        cr_assert_eq(scenario_select(&s, only, 1, NULL, 0, err, sizeof(err)), 0);
        cr_assert_eq(scenario_select(&s, only, 1, skip, 1, err, sizeof(err)), -1);
        cr_assert(strstr(err, "--skip matirx: no scenario has this tag") != NULL, "%s", err);
        cr_assert_eq(s.n_selected, 36, "the earlier selection must stay");
        scenario_suite_cleanup(&s);
}

/* ---- adding a user's folder ---- */

Test(scenario, add_user_folder)
{
        struct scenario_suite s;
        char err[1024] = "";
        size_t n;
        const struct scenario *a;

        load_default(&s);
        n = s.n;
        cr_assert_eq(scenario_suite_add_dir(&s, USER, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(s.n, n + 2);
        a = find(&s, "user-known-quirk-out");
        cr_assert_str_eq(a->xfail,
                         "gateway 7.1 closes the connection at the handshake (vendor case 1234)");
        cr_assert_eq(a->knobs.on_bad_peer_cert, BADCERT_ABORT);
        cr_assert_eq(a->cert, CERT_WILDCARD);
        a = find(&s, "user-mux-in");
        cr_assert_eq(a->n_mux_from, 3);
        scenario_suite_cleanup(&s);
}

Test(scenario, add_folder_with_clashing_id)
{
        struct scenario_suite s;
        char err[1024] = "";
        size_t n;

        load_default(&s);
        n = s.n;
        cr_assert_eq(scenario_suite_add_dir(&s, CLASH, err, sizeof(err)), -1);
        cr_assert_str_eq(err, CLASH "/matrix-h1-out.xml:4: scenario@id: \"matrix-h1-out\" is also "
                                    "the id of " SCENARIO_DEFAULT_DIR
                                    "/matrix-h1-out.xml:6; accepted: each id once in the suite");
        cr_assert_eq(s.n, n, "the suite must be unchanged");
        find(&s, "matrix-h1-out");
        /* Alone, the same folder loads. */
        scenario_suite_cleanup(&s);
        cr_assert_eq(scenario_load_dir(CLASH, &s, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(s.n, 1);
        scenario_suite_cleanup(&s);
}

/* ---- broken folders: one precise message each ---- */

struct bad_case {
        const char *dir;   /* under bad/ */
        const char *where; /* expected "FILE:LINE: FIELD: " after the folder path */
        const char *what;  /* a substring of the rest */
};

static const struct bad_case bad[] = {
    {"unknown-element", "s.xml:4: frobnicate: ",
     "element <frobnicate> is not part of the format; accepted: title, tag, spec"},
    {"unknown-attribute", "s.xml:3: harness@speed: ",
     "attribute speed is not part of <harness>; accepted: tls, sasl, dialback, semantics"},
    {"bad-enum-value", "s.xml:4: harness@tls: ",
     "\"Mandatory\" is not a value; accepted: Required, Optional, NotSupported"},
    {"bad-direction",
     "s.xml:2: scenario@direction: ", "\"sideways\" is not a value; accepted: outbound, inbound"},
    {"missing-direction", "s.xml:2: scenario@direction: ", "the attribute is missing"},
    {"duplicate-id", "b.xml:2: scenario@id: ",
     "\"same-id\" is also the id of " BAD "duplicate-id/a.xml:2; accepted: each id once"},
    {"unknown-misbehaviour", "s.xml:4: misbehave@what: ",
     "\"eat-bytes\" is not a known misbehaviour; accepted: reuse-stream-id, starttls-after-tls"},
    {"bad-outcome", "s.xml:5: outcome: ",
     "\"F5\" is not an outcome code; accepted: S, Dt, Dp, F0, F1, F2, F3, F4"},
    {"bad-also-accept", "s.xml:5: also-accept: ", "\"dt\" is not an outcome code"},
    {"not-well-formed", "s.xml:3: XML: ", "Opening and ending tag mismatch"},
    {"doctype", "s.xml:2: XML: ", "a <!DOCTYPE> is not allowed"},
    {"unknown-check",
     "s.xml:4: check@name: ", "\"looks-fine\" is not a known check; accepted: new-stream-id"},
    {"unknown-knob", "s.xml:3: knob@name: ", "\"turbo\" is not a known knob"},
    {"bad-knob-value", "s.xml:3: knob@value: ",
     "\"ignore\" is not a value of on-bad-peer-cert; accepted: reference, abort, continue"},
    {"duplicate-knob", "s.xml:4: knob@name: ", "\"sasl-send-authzid\" is set twice"},
    {"misbehave-direction",
     "s.xml:4: misbehave@what: ", "\"reuse-stream-id\" only applies to inbound scenarios"},
    {"misbehave-needs-dialback",
     "s.xml:4: misbehave@what: ", "\"wrong-dialback-key\" needs dialback on the harness side"},
    {"misbehave-twice", "s.xml:4: misbehave@what: ", "\"no-id\" is listed twice"},
    {"check-direction",
     "s.xml:4: check@name: ", "\"verify-id-post-tls\" only applies to outbound scenarios"},
    {"authoritative-inbound",
     "s.xml:4: authoritative: ", "the harness answers <db:verify/> only when it initiates"},
    {"certificate-none-inbound", "s.xml:3: certificate@variant: ",
     "a receiving harness without a certificate cannot offer TLS"},
    {"outcome-with-oracle", "s.xml:5: outcome: ", "<outcome> and <oracle> in one <expect>"},
    {"oracle-without-all", "s.xml:4: oracle@without: ", "every method is taken away"},
    {"oracle-without-bad", "s.xml:4: oracle@without: ",
     "\"SASL\" is not a value; accepted: a space-separated list of S, Dt, Dp"},
    {"duplicate-element",
     "s.xml:5: harness: ", "the element appears more than once; accepted: at most one <harness>"},
    {"bad-id", "s.xml:2: scenario@id: ", "\"Matrix_H1\" is not a valid scenario id"},
    {"bad-tag", "s.xml:4: tag: ", "\"Needs Review\" is not a valid tag"},
    {"duplicate-tag", "s.xml:5: tag: ", "\"matrix\" is listed twice"},
    {"wrong-namespace", "s.xml:2: XML: ", "(namespace \"urn:s2scheck:scenario:2\") is not a"},
    {"no-namespace", "s.xml:2: XML: ", "(namespace \"none\") is not a scenario"},
    {"text-in-empty-element", "s.xml:3: harness: ", "text inside <harness>"},
    {"multiplex-both", "s.xml:3: multiplex: ", "both from and to"},
    {"multiplex-bad-label", "s.xml:3: multiplex@from: ", "\"mux.one\" is not a valid domain label"},
    {"requires-empty", "s.xml:3: requires: ", "no condition"},
    {"requires-bad-list", "s.xml:3: requires@partner-tls: ", "\"Sometimes\" is not a value"},
    {"xfail-empty", "s.xml:3: xfail@reason: ", "the reason is 0 bytes long"},
    {"title-element-inside", "s.xml:3: title: ", "element <b> inside it"},
    {"empty-folder", ": folder: ", "no scenario file (*.xml) in it"},
};

#define N_BAD (sizeof(bad) / sizeof(bad[0]))
static size_t bad_idx[N_BAD];

ParameterizedTestParameters(scenario, bad_folder)
{
        for (size_t i = 0; i < N_BAD; i++)
                bad_idx[i] = i;
        return cr_make_param_array(size_t, bad_idx, N_BAD);
}

ParameterizedTest(size_t *i, scenario, bad_folder)
{
        const struct bad_case *c = &bad[*i];
        struct scenario_suite s;
        char dir[512], prefix[768], err[1024] = "";
        bool folder_msg = c->where[0] == ':';

        /* The folder-level message names the folder as given; file messages add "/". */
        snprintf(dir, sizeof(dir), BAD "%s", c->dir);
        snprintf(prefix, sizeof(prefix), "%s%s%s", dir, folder_msg ? "" : "/", c->where);
        memset(&s, 0x5a, sizeof(s));
        cr_assert_eq(scenario_load_dir(dir, &s, err, sizeof(err)), -1, "%s loaded", dir);
        cr_assert(is_zero(&s), "%s: suite not left empty", dir);
        cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "%s: got \"%s\", want prefix \"%s\"",
                  c->dir, err, prefix);
        cr_assert(strstr(err, c->what) != NULL, "%s: got \"%s\", want \"%s\"", c->dir, err,
                  c->what);
        cr_assert(strstr(err, "; accepted: ") != NULL, "%s: no accepted part: %s", c->dir, err);
        cr_assert_null(strchr(err, '\n'), "%s: more than one line", c->dir);
}

/* Every folder under bad/ is in the table, so a new broken fixture cannot go untested. */
Test(scenario, bad_folders_all_listed)
{
        DIR *d = opendir(BAD);
        struct dirent *de;
        size_t n = 0;

        cr_assert_not_null(d);
        while ((de = readdir(d)) != NULL) {
                bool found = false;

                if (de->d_name[0] == '.')
                        continue;
                for (size_t i = 0; i < N_BAD; i++)
                        found |= strcmp(bad[i].dir, de->d_name) == 0;
                cr_expect(found, "bad/%s has no expected message in test_scenario.c", de->d_name);
                n++;
        }
        closedir(d);
        cr_assert_eq(n, N_BAD);
}

/* A broken file in an added folder leaves the loaded suite as it was. */
Test(scenario, add_bad_folder_keeps_suite)
{
        struct scenario_suite s;
        char err[1024] = "";
        size_t n;

        load_default(&s);
        n = s.n;
        cr_assert_eq(scenario_suite_add_dir(&s, BAD "bad-outcome", err, sizeof(err)), -1);
        cr_assert(strstr(err, "bad-outcome/s.xml:5: outcome: ") != NULL, "%s", err);
        cr_assert_eq(s.n, n);
        find(&s, "matrix-h18-in");
        scenario_suite_cleanup(&s);
}

/* libxml2 must stay off stderr, whatever the XML (toolchain.md §2a, §3.4). */
Test(scenario, broken_folders_keep_stderr_empty, .init = cr_redirect_stderr)
{
        for (size_t i = 0; i < N_BAD; i++) {
                char dir[512], err[1024];
                struct scenario_suite s;

                snprintf(dir, sizeof(dir), BAD "%s", bad[i].dir);
                cr_assert_eq(scenario_load_dir(dir, &s, err, sizeof(err)), -1);
        }
        fflush(stderr);
        cr_assert_stderr_eq_str("");
}

Test(scenario, missing_folder)
{
        struct scenario_suite s;
        char err[512] = "";

        cr_assert_eq(scenario_load_dir("/nonexistent/scenarios", &s, err, sizeof(err)), -1);
        cr_assert_str_eq(err, "/nonexistent/scenarios: folder: cannot open: No such file or "
                              "directory; accepted: a readable folder of scenarios");
        cr_assert(is_zero(&s));
}

/* ---- bounds, with temporary folders ---- */

static void write_file(const char *path, const char *text)
{
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f, "%s", path);
        cr_assert_geq(fputs(text, f), 0);
        cr_assert_eq(fclose(f), 0);
}

static void remove_tree(const char *dir)
{
        DIR *d = opendir(dir);
        struct dirent *de;
        char path[600];

        cr_assert_not_null(d);
        while ((de = readdir(d)) != NULL) {
                if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                        continue;
                snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
                cr_assert_eq(unlink(path), 0, "%s", path);
        }
        closedir(d);
        cr_assert_eq(rmdir(dir), 0);
}

Test(scenario, file_too_big)
{
        char dir[] = "/tmp/s2s-scenario-big-XXXXXX", path[600], prefix[700], err[1024] = "";
        struct scenario_suite s;
        FILE *f;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(path, sizeof(path), "%s/big.xml", dir);
        f = fopen(path, "w");
        cr_assert_not_null(f);
        fputs("<scenario xmlns=\"urn:s2scheck:scenario:1\" id=\"big\" direction=\"outbound\">\n",
              f);
        for (size_t i = 0; i < SCENARIO_FILE_MAX / 16; i++)
                fputs("<tag>abcdef</tag>\n", f);
        fputs("</scenario>\n", f);
        cr_assert_eq(fclose(f), 0);
        snprintf(prefix, sizeof(prefix), "%s: file: the file is larger than 65536 bytes", path);
        cr_assert_eq(scenario_load_dir(dir, &s, err, sizeof(err)), -1);
        cr_assert(strncmp(err, prefix, strlen(prefix)) == 0, "%s", err);
        remove_tree(dir);
}

Test(scenario, too_many_files)
{
        char dir[] = "/tmp/s2s-scenario-many-XXXXXX", path[600], text[256], err[1024] = "";
        struct scenario_suite s;

        cr_assert_not_null(mkdtemp(dir));
        for (int i = 0; i <= SCENARIO_FILES_MAX; i++) {
                snprintf(path, sizeof(path), "%s/s%04d.xml", dir, i);
                snprintf(text, sizeof(text),
                         "<scenario xmlns=\"urn:s2scheck:scenario:1\" id=\"s%04d\" "
                         "direction=\"outbound\"/>\n",
                         i);
                write_file(path, text);
        }
        cr_assert_eq(scenario_load_dir(dir, &s, err, sizeof(err)), -1);
        cr_assert(strstr(err, ": folder: more than 2000 scenario files") != NULL, "%s", err);
        /* One fewer loads. */
        snprintf(path, sizeof(path), "%s/s%04d.xml", dir, SCENARIO_FILES_MAX);
        cr_assert_eq(unlink(path), 0);
        cr_assert_eq(scenario_load_dir(dir, &s, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(s.n, SCENARIO_FILES_MAX);
        scenario_suite_cleanup(&s);
        remove_tree(dir);
}

/*
 * The name tables and the schema agree: every misbehaviour, check and knob value
 * the tables document loads in a direction it applies to, and is refused in one
 * it does not.
 */
static int load_one(const char *dir, const char *body, const char *direction, char *err,
                    size_t errlen)
{
        char path[600], text[2048];
        struct scenario_suite s;
        int rc;

        snprintf(path, sizeof(path), "%s/t.xml", dir);
        snprintf(text, sizeof(text),
                 "<scenario xmlns=\"urn:s2scheck:scenario:1\" id=\"t\" direction=\"%s\">\n"
                 "%s</scenario>\n",
                 direction, body);
        write_file(path, text);
        rc = scenario_load_dir(dir, &s, err, errlen);
        scenario_suite_cleanup(&s);
        return rc;
}

/* The loader's explanation of a bad certificate variant lists certvariant.c's table. */
Test(scenario, certificate_variants_are_the_table)
{
        char dir[] = "/tmp/s2s-scenario-cert-XXXXXX", err[2048], want[1024];
        size_t used = 0;

        cr_assert_not_null(mkdtemp(dir));
        cr_assert_eq(
            load_one(dir, "<certificate variant=\"bogus\"/>\n", "outbound", err, sizeof(err)), -1);
        want[0] = '\0';
        for (int v = 0; v < CERT_COUNT; v++)
                util_list_add(want, sizeof(want), &used, cert_variant_name((enum cert_variant)v));
        cr_assert(strstr(err, want) != NULL, "the loader accepts [%s], the table has [%s]", err,
                  want);
        for (int v = 0; v < CERT_COUNT; v++) {
                char body[128];

                snprintf(body, sizeof(body), "<certificate variant=\"%s\"/>\n",
                         cert_variant_name((enum cert_variant)v));
                cr_assert_eq(load_one(dir, body, "outbound", err, sizeof(err)), 0, "%s: %s", body,
                             err);
        }
        remove_tree(dir);
}

Test(scenario, name_tables_load)
{
        char dir[] = "/tmp/s2s-scenario-names-XXXXXX", body[512], err[1024];
        const struct scenario_name_info *ck = scenario_checks();
        const struct scenario_name_info *kn = scenario_knobs();

        cr_assert_not_null(mkdtemp(dir));
        for (size_t i = 0; i < misbehave_count(); i++) {
                const struct misbehave_row *mb = misbehave_row(i);

                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        bool ok = (mb->dirs & (1u << d)) != 0;

                        snprintf(body, sizeof(body), "<misbehave what=\"%s\"/>\n", mb->name);
                        cr_assert_eq(load_one(dir, body, direction_name((enum direction)d), err,
                                              sizeof(err)),
                                     ok ? 0 : -1, "%s %s: %s", mb->name,
                                     direction_name((enum direction)d), err);
                }
        }
        for (int i = 0; i < CHECK_COUNT; i++) {
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        bool ok = (ck[i].dirs & (1u << d)) != 0;

                        snprintf(body, sizeof(body), "<expect><check name=\"%s\"/></expect>\n",
                                 ck[i].name);
                        cr_assert_eq(load_one(dir, body, direction_name((enum direction)d), err,
                                              sizeof(err)),
                                     ok ? 0 : -1, "%s: %s", ck[i].name, err);
                }
        }
        for (int i = 0; i < KNOB_COUNT; i++) {
                char values[128];

                if (i == KNOB_SASL_MAX_FAILURES) {
                        cr_assert_str_eq(kn[i].values, "a whole number 1-10");
                        snprintf(values, sizeof(values), "1, 10");
                } else if (i == KNOB_WHITESPACE_KEEPALIVES) {
                        cr_assert_str_eq(kn[i].values, "a whole number 0-10");
                        snprintf(values, sizeof(values), "0, 10");
                        /* Keepalives on the harness's own outbound stream only. */
                        snprintf(body, sizeof(body), "<knob name=\"%s\" value=\"1\"/>\n",
                                 kn[i].name);
                        cr_assert_eq(load_one(dir, body, "inbound", err, sizeof(err)), -1,
                                     "%s inbound", kn[i].name);
                } else {
                        snprintf(values, sizeof(values), "%s", kn[i].values);
                }
                for (char *v = strtok(values, ", "); v != NULL; v = strtok(NULL, ", ")) {
                        snprintf(body, sizeof(body), "<knob name=\"%s\" value=\"%s\"/>\n",
                                 kn[i].name, v);
                        cr_assert_eq(load_one(dir, body, "outbound", err, sizeof(err)), 0,
                                     "%s=%s: %s", kn[i].name, v, err);
                }
                snprintf(body, sizeof(body), "<knob name=\"%s\" value=\"11\"/>\n", kn[i].name);
                cr_assert_eq(load_one(dir, body, "outbound", err, sizeof(err)), -1, "%s=11",
                             kn[i].name);
        }
        for (int v = 0; v < CERT_COUNT; v++) {
                snprintf(body, sizeof(body), "<certificate variant=\"%s\"/>\n",
                         cert_variant_name((enum cert_variant)v));
                cr_assert_eq(load_one(dir, body, "outbound", err, sizeof(err)), 0, "%s", err);
        }
        remove_tree(dir);
}

/* Children may come in any order, and XML whitespace around values is ignored. */
Test(scenario, any_order_and_whitespace)
{
        char dir[] = "/tmp/s2s-scenario-order-XXXXXX", err[1024] = "";
        struct scenario_suite s;
        const struct scenario *a;

        cr_assert_not_null(mkdtemp(dir));
        {
                char path[600];

                snprintf(path, sizeof(path), "%s/o.xml", dir);
                write_file(path, "<s:scenario xmlns:s=\"urn:s2scheck:scenario:1\" id=\"o\" "
                                 "direction=\" inbound \">\n"
                                 "  <s:expect><s:check name=\"ping-answered\"/>"
                                 "<s:also-accept> F3 </s:also-accept><s:oracle/></s:expect>\n"
                                 "  <s:tag> late </s:tag>\n"
                                 "  <s:harness dialback=\"false\" tls=\"Required\"/>\n"
                                 "  <s:title>  two\n   lines  </s:title>\n"
                                 "</s:scenario>\n");
        }
        cr_assert_eq(scenario_load_dir(dir, &s, err, sizeof(err)), 0, "%s", err);
        a = &s.items[0];
        cr_assert_eq(a->dir, DIR_INBOUND);
        cr_assert_str_eq(a->tags[0], "late");
        cr_assert_str_eq(a->title, "two lines");
        cr_assert_eq(settings_row(&a->harness), 8); /* Req/Opt/F */
        cr_assert_eq(a->also_accept, OUTCOME_BIT(OUTCOME_F3));
        cr_assert_eq(a->checks, 1u << CHECK_PING_ANSWERED);
        scenario_suite_cleanup(&s);
        remove_tree(dir);
}

/* Issue 11: the knob table cites rule ids of docs/rules.md ("ID" or "ID; ID"). */
Test(scenario, knob_specs_are_rule_ids)
{
        const struct scenario_name_info *kn = scenario_knobs();

        for (int i = 0; i < KNOB_COUNT; i++) {
                char ids[128], *save = NULL;

                snprintf(ids, sizeof(ids), "%s", kn[i].spec);
                for (char *w = strtok_r(ids, "; ", &save); w != NULL;
                     w = strtok_r(NULL, "; ", &save))
                        cr_expect_neq(rule_by_name(w), RULE_NONE, "%s: %s", kn[i].name, w);
        }
}
