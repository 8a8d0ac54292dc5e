/*
 * Criterion tests for harness/oracle, written against the reference tables
 * (s2s-spec §1.5, §3.1, §3.3, §3.4, §3.5, §3.8) typed in here as data. No
 * expectation is derived from the implementation: the grid is parsed from its
 * printed text, and a second, test-side reading of the §3.3 procedure checks
 * that the printed tables agree with each other before the code is held to them.
 */
#include <criterion/criterion.h>

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "oracle.h"
#include "settings.h"

#define S METHOD_S
#define DT METHOD_DT
#define DP METHOD_DP
#define ALL_ROWS ((1u << SETTINGS_ROWS) - 1)
#define BIT(row) (1u << ((row)-1))

/* ---- Reference data ------------------------------------------------------ */

/* §3.4, exactly as printed. */
static const char grid_text[] = "H \\ P          M1  M2  M3  M4  M7  M8  M9  M10 M13 M15 M17\n"
                                "H1   Req/Req/T S   S   S   S   S   S   S   S   F3  F3  F1\n"
                                "H2   Req/Req/F S   S   S   S   S   S   S   S   F3  F3  F1\n"
                                "H3   Opt/Req/T S   S   S   S   S   S   S   S   Dt  Dt  Dp\n"
                                "H4   Opt/Req/F S   S   S   S   S   S   S   S   F3  F3  F4\n"
                                "H5*  NS/Req/T  F2  F2  Dp  F4  F2  F2  Dp  F4  F2  Dp  Dp\n"
                                "H6*  NS/Req/F  F2  F2  F0  F0  F2  F2  F0  F0  F2  F0  F0\n"
                                "H7   Req/Opt/T S   S   S   S   S   S   S   S   Dt  Dt  F1\n"
                                "H8   Req/Opt/F S   S   S   S   S   S   S   S   F3  F3  F1\n"
                                "H9   Opt/Opt/T S   S   S   S   S   S   S   S   Dt  Dt  Dp\n"
                                "H10  Opt/Opt/F S   S   S   S   S   S   S   S   F3  F3  F4\n"
                                "H11* NS/Opt/T  F2  F2  Dp  F4  F2  F2  Dp  F4  F2  Dp  Dp\n"
                                "H12* NS/Opt/F  F2  F2  F0  F0  F2  F2  F0  F0  F2  F0  F0\n"
                                "H13  Req/NS/T  F3  F3  Dt  F3  Dt  F3  Dt  F3  Dt  Dt  F1\n"
                                "H14* Req/NS/F  F0  F0  F0  F0  F0  F0  F0  F0  F0  F0  F1\n"
                                "H15  Opt/NS/T  F3  F3  Dt  F3  Dt  F3  Dt  F3  Dt  Dt  Dp\n"
                                "H16* Opt/NS/F  F0  F0  F0  F0  F0  F0  F0  F0  F0  F0  F0\n"
                                "H17  NS/NS/T   F2  F2  Dp  F4  F2  F2  Dp  F4  F2  Dp  Dp\n"
                                "H18* NS/NS/F   F2  F2  F0  F0  F2  F2  F0  F0  F2  F0  F0\n";

#define NCOLS 11

/* §3.1 table: TLS/SASL/DB, matrix-valid, commit-valid, VALID, A(cfg), class (0 for "-"). */
static const struct {
        const char *summary;
        enum neg tls, sasl;
        bool db;
        bool matrix_valid, commit_valid, valid;
        unsigned a;
        int cls;
} t31[SETTINGS_ROWS] = {
    {"Req/Req/T", NEG_REQUIRED, NEG_REQUIRED, true, true, true, true, S, 1},
    {"Req/Req/F", NEG_REQUIRED, NEG_REQUIRED, false, true, true, true, S, 1},
    {"Opt/Req/T", NEG_OPTIONAL, NEG_REQUIRED, true, true, true, true, S | DT | DP, 2},
    {"Opt/Req/F", NEG_OPTIONAL, NEG_REQUIRED, false, true, true, true, S, 3},
    {"NS/Req/T", NEG_NOTSUPPORTED, NEG_REQUIRED, true, true, false, false, DP, 0},
    {"NS/Req/F", NEG_NOTSUPPORTED, NEG_REQUIRED, false, false, false, false, 0, 0},
    {"Req/Opt/T", NEG_REQUIRED, NEG_OPTIONAL, true, true, true, true, S | DT, 4},
    {"Req/Opt/F", NEG_REQUIRED, NEG_OPTIONAL, false, true, true, true, S, 1},
    {"Opt/Opt/T", NEG_OPTIONAL, NEG_OPTIONAL, true, true, true, true, S | DT | DP, 2},
    {"Opt/Opt/F", NEG_OPTIONAL, NEG_OPTIONAL, false, true, true, true, S, 3},
    {"NS/Opt/T", NEG_NOTSUPPORTED, NEG_OPTIONAL, true, true, false, false, DP, 0},
    {"NS/Opt/F", NEG_NOTSUPPORTED, NEG_OPTIONAL, false, false, false, false, 0, 0},
    {"Req/NS/T", NEG_REQUIRED, NEG_NOTSUPPORTED, true, true, true, true, DT, 5},
    {"Req/NS/F", NEG_REQUIRED, NEG_NOTSUPPORTED, false, false, true, false, 0, 0},
    {"Opt/NS/T", NEG_OPTIONAL, NEG_NOTSUPPORTED, true, true, true, true, DT | DP, 6},
    {"Opt/NS/F", NEG_OPTIONAL, NEG_NOTSUPPORTED, false, false, true, false, 0, 0},
    {"NS/NS/T", NEG_NOTSUPPORTED, NEG_NOTSUPPORTED, true, true, true, true, DP, 7},
    {"NS/NS/F", NEG_NOTSUPPORTED, NEG_NOTSUPPORTED, false, false, true, false, 0, 0},
};

/* §3.5: strict A(cfg) "differs from the matrix only for M3, which becomes {S}, and M5,
 * which becomes {}". */
static const unsigned strict_a[SETTINGS_ROWS] = {
    S, S, S /* M3 */, S, 0 /* M5 */, 0, S | DT, S, S | DT | DP, S, DP, 0, DT, 0, DT | DP, 0, DP, 0,
};

/* §3.5: grid cells that change under strict harness semantics (besides H5, below). */
static const struct {
        int h, m;
        const char *from, *to;
} strict_changes[] = {
    {3, 13, "Dt", "F3"},
    {3, 15, "Dt", "F3"},
    {3, 17, "Dp", "F4"},
};

/* §3.8 classes and the signature (H17, H13, H2) table. */
static const unsigned class_members[ORACLE_CLASSES] = {
    BIT(1) | BIT(2) | BIT(8), /* E1 */
    BIT(3) | BIT(9),          /* E2 */
    BIT(4) | BIT(10),         /* E3 */
    BIT(7),                   /* E4 */
    BIT(13),                  /* E5 */
    BIT(15),                  /* E6 */
    BIT(17),                  /* E7 */
};

static const struct {
        int cls;
        const char *h17, *h13, *h2;
} signature[ORACLE_CLASSES] = {
    {1, "F2", "F3", "S"},  {4, "F2", "Dt", "S"},  {5, "F2", "Dt", "F3"}, {2, "Dp", "Dt", "S"},
    {6, "Dp", "Dt", "F3"}, {7, "Dp", "F1", "F1"}, {3, "F4", "F3", "S"},
};

/* Table B "Expected Authentication Method" column, values exact (§1.5). */
static const char *const table_b_methods[SETTINGS_ROWS] = {
    "SASL over TLS",
    "SASL over TLS",
    "SASL over TLS, TLS Dialback, TCP Dialback",
    "SASL over TLS",
    "TCP Dialback",
    "WARNING: Not Valid Configuration",
    "SASL over TLS, TLS Dialback",
    "SASL over TLS",
    "SASL over TLS, TLS Dialback, TCP Dialback",
    "SASL over TLS",
    "TCP Dialback",
    "WARNING: Not Valid Configuration",
    "TLS Dialback",
    "Not Valid Configuration",
    "TLS Dialback, TCP Dialback",
    "Not Valid Configuration",
    "TCP Dialback",
    "Not Valid Configuration",
};
/* Rows whose note column in table B is "(none)". */
static const unsigned table_b_no_note = BIT(2) | BIT(7) | BIT(8);

/* ---- Test-side helpers ---------------------------------------------------- */

static const char *const codes[OUTCOME_COUNT] = {"S", "Dt", "Dp", "F0", "F1", "F2", "F3", "F4"};

/* The test's own code table (outcome_parse is under test, so not used here). */
static enum outcome code(const char *text)
{
        for (int o = 0; o < OUTCOME_COUNT; o++) {
                if (strcmp(text, codes[o]) == 0)
                        return (enum outcome)o;
        }
        cr_assert_fail("unknown outcome code \"%s\" in a reference table", text);
        return OUTCOME_COUNT;
}

static enum outcome mirror(enum outcome o)
{
        if (o == OUTCOME_F1)
                return OUTCOME_F2;
        if (o == OUTCOME_F2)
                return OUTCOME_F1;
        return o;
}

static struct neg_settings row_settings(int row)
{
        struct neg_settings s;

        cr_assert_eq(settings_from_row(row, &s), 0, "settings_from_row(%d)", row);
        return s;
}

static int cols[NCOLS]; /* partner row of each grid column */
static enum outcome grid[SETTINGS_ROWS + 1][NCOLS];
static char grid_summary[SETTINGS_ROWS + 1][16];

/* Parses grid_text; asserts its shape (18 rows x 11 columns, header as printed). */
static void load_grid(void)
{
        char buf[sizeof(grid_text)];
        char *save = NULL;
        char *line;
        int h = 0;

        memcpy(buf, grid_text, sizeof(buf));
        line = strtok_r(buf, "\n", &save);
        cr_assert_not_null(line);
        {
                char *s2 = NULL;
                char *tok = strtok_r(line, " ", &s2);
                int n = 0;

                cr_assert_str_eq(tok, "H");
                tok = strtok_r(NULL, " ", &s2);
                cr_assert_str_eq(tok, "\\");
                tok = strtok_r(NULL, " ", &s2);
                cr_assert_str_eq(tok, "P");
                while ((tok = strtok_r(NULL, " ", &s2)) != NULL) {
                        cr_assert_lt(n, NCOLS);
                        cr_assert_eq(tok[0], 'M');
                        cols[n++] = (int)strtol(tok + 1, NULL, 10);
                }
                cr_assert_eq(n, NCOLS);
        }
        while ((line = strtok_r(NULL, "\n", &save)) != NULL) {
                char *s2 = NULL;
                char *tok = strtok_r(line, " ", &s2);
                int n = 0;

                h++;
                cr_assert_eq(tok[0], 'H');
                cr_assert_eq((int)strtol(tok + 1, NULL, 10), h, "grid row order");
                tok = strtok_r(NULL, " ", &s2);
                snprintf(grid_summary[h], sizeof(grid_summary[h]), "%s", tok);
                while ((tok = strtok_r(NULL, " ", &s2)) != NULL) {
                        cr_assert_lt(n, NCOLS);
                        grid[h][n++] = code(tok);
                }
                cr_assert_eq(n, NCOLS, "H%d has %d cells", h, n);
        }
        cr_assert_eq(h, SETTINGS_ROWS);
}

static int col_of(int m)
{
        for (int c = 0; c < NCOLS; c++) {
                if (cols[c] == m)
                        return c;
        }
        return -1;
}

/* §3.4 with its closing notes: the expected outcome for harness row h against any partner
 * row m, harness initiating, matrix semantics. */
static enum outcome ref_outbound(int h, int m)
{
        int c = col_of(m);

        if (c >= 0)
                return grid[h][c];
        if (m == 5 || m == 11) /* "behave like M17 under matrix semantics" */
                return grid[h][col_of(17)];
        /* A={}: F0, or F1/F2 when the TLS mismatch is detected first (§3.3 order). */
        cr_assert_eq(t31[m - 1].a, 0u, "M%d should have A={}", m);
        if (t31[h - 1].tls == NEG_REQUIRED && t31[m - 1].tls == NEG_NOTSUPPORTED)
                return OUTCOME_F1;
        if (t31[h - 1].tls == NEG_NOTSUPPORTED && t31[m - 1].tls == NEG_REQUIRED)
                return OUTCOME_F2;
        return OUTCOME_F0;
}

/* "For the reverse direction, use the same grid with F1 and F2 swapped" (§3.4). */
static enum outcome ref_expect(int h, int m, enum direction dir)
{
        enum outcome o = ref_outbound(h, m);

        return dir == DIR_OUTBOUND ? o : mirror(o);
}

/* §3.3 typed in by the test, over table §3.1 fields and the given A sets. */
static enum outcome ref_procedure(int irow, unsigned ai, int rrow, unsigned ar)
{
        enum neg ti = t31[irow - 1].tls, tr = t31[rrow - 1].tls;
        unsigned c = ai & ar;

        if (ti == NEG_REQUIRED && tr == NEG_NOTSUPPORTED)
                return OUTCOME_F1;
        if (ti == NEG_NOTSUPPORTED && tr == NEG_REQUIRED)
                return OUTCOME_F2;
        if (ai == 0 || ar == 0)
                return OUTCOME_F0;
        if (ti != NEG_NOTSUPPORTED && tr != NEG_NOTSUPPORTED)
                return (c & S) ? OUTCOME_S : (c & DT) ? OUTCOME_DT : OUTCOME_F3;
        return (c & DP) ? OUTCOME_DP : OUTCOME_F4;
}

/* The strict grid of §3.5: the printed grid with the listed changes applied. */
static enum outcome ref_strict_outbound(int h, int c)
{
        enum outcome o = grid[h][c];

        for (size_t k = 0; k < sizeof(strict_changes) / sizeof(strict_changes[0]); k++) {
                if (strict_changes[k].h == h && strict_changes[k].m == cols[c]) {
                        cr_assert_eq(o, code(strict_changes[k].from), "§3.5 change list vs grid");
                        return code(strict_changes[k].to);
                }
        }
        if (h == 5 && o != OUTCOME_F2)
                return OUTCOME_F0;
        return o;
}

static void init(void)
{
        load_grid();
}

TestSuite(oracle, .init = init);

/* ---- The reference is self-consistent (guards the typed data) ------------- */

Test(oracle, reference_grid_matches_procedure)
{
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                cr_expect_str_eq(grid_summary[h], t31[h - 1].summary, "H%d label", h);
                for (int c = 0; c < NCOLS; c++) {
                        int m = cols[c];

                        cr_expect(t31[m - 1].valid, "column M%d is not a valid config", m);
                        cr_expect_eq(ref_procedure(h, t31[h - 1].a, m, t31[m - 1].a), grid[h][c],
                                     "reference: §3.3 on §3.1 gives %s for H%d x M%d, grid says %s",
                                     codes[ref_procedure(h, t31[h - 1].a, m, t31[m - 1].a)], h, m,
                                     codes[grid[h][c]]);
                        /* §3.3 last line: swapping roles only swaps F1 and F2. */
                        cr_expect_eq(ref_procedure(m, t31[m - 1].a, h, t31[h - 1].a),
                                     mirror(grid[h][c]), "reference: mirror fails at H%d x M%d", h,
                                     m);
                }
        }
}

Test(oracle, reference_strict_rules_match_list)
{
        for (int r = 1; r <= SETTINGS_ROWS; r++) {
                unsigned a = 0;

                if (t31[r - 1].tls != NEG_NOTSUPPORTED && t31[r - 1].sasl != NEG_NOTSUPPORTED)
                        a |= S;
                if (t31[r - 1].sasl != NEG_REQUIRED) {
                        if (t31[r - 1].tls != NEG_NOTSUPPORTED && t31[r - 1].db)
                                a |= DT;
                        if (t31[r - 1].tls != NEG_REQUIRED && t31[r - 1].db)
                                a |= DP;
                }
                cr_expect_eq(a, strict_a[r - 1], "reference §3.5 rules vs list at M%d", r);
                if (r != 3 && r != 5)
                        cr_expect_eq(strict_a[r - 1], t31[r - 1].a, "M%d", r);
        }
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                for (int c = 0; c < NCOLS; c++) {
                        int m = cols[c];

                        cr_expect_eq(ref_procedure(h, strict_a[h - 1], m, t31[m - 1].a),
                                     ref_strict_outbound(h, c),
                                     "reference: strict grid vs §3.3 at H%d x M%d", h, m);
                }
        }
}

/* ---- §3.1: validity, A(cfg), class ---------------------------------------- */

Test(oracle, table_3_1)
{
        for (int r = 1; r <= SETTINGS_ROWS; r++) {
                struct neg_settings s = row_settings(r);
                char sum[16];
                char got[16], want[16];

                settings_summary(&s, sum, sizeof(sum));
                cr_expect_str_eq(sum, t31[r - 1].summary, "M%d", r);
                cr_expect_eq(s.tls, t31[r - 1].tls, "M%d TLS", r);
                cr_expect_eq(s.sasl, t31[r - 1].sasl, "M%d SASL", r);
                cr_expect_eq(s.dialback, t31[r - 1].db, "M%d DB", r);
                cr_expect_eq(oracle_matrix_valid(&s), t31[r - 1].matrix_valid, "M%d matrix-valid",
                             r);
                cr_expect_eq(oracle_commit_valid(&s), t31[r - 1].commit_valid, "M%d commit-valid",
                             r);
                cr_expect_eq(oracle_valid(&s), t31[r - 1].valid, "M%d VALID", r);
                methods_text(oracle_methods(&s, SEMANTICS_MATRIX), ",", got, sizeof(got));
                methods_text(t31[r - 1].a, ",", want, sizeof(want));
                cr_expect_eq(oracle_methods(&s, SEMANTICS_MATRIX), t31[r - 1].a,
                             "M%d A(cfg): expected {%s}, got {%s}", r, want, got);
                cr_expect_eq(oracle_class(&s), t31[r - 1].cls, "M%d class: expected %d, got %d", r,
                             t31[r - 1].cls, oracle_class(&s));
        }
}

Test(oracle, valid_set_is_eleven)
{
        unsigned valid = 0;

        for (int r = 1; r <= SETTINGS_ROWS; r++) {
                struct neg_settings s = row_settings(r);

                if (oracle_valid(&s))
                        valid |= BIT(r);
        }
        /* §1.6 item 1 */
        cr_expect_eq(valid, BIT(1) | BIT(2) | BIT(3) | BIT(4) | BIT(7) | BIT(8) | BIT(9) | BIT(10) |
                                BIT(13) | BIT(15) | BIT(17));
}

Test(oracle, strict_methods)
{
        for (int r = 1; r <= SETTINGS_ROWS; r++) {
                struct neg_settings s = row_settings(r);
                char got[16], want[16];

                methods_text(oracle_methods(&s, SEMANTICS_STRICT), ",", got, sizeof(got));
                methods_text(strict_a[r - 1], ",", want, sizeof(want));
                cr_expect_eq(oracle_methods(&s, SEMANTICS_STRICT), strict_a[r - 1],
                             "M%d strict A: expected {%s}, got {%s}", r, want, got);
        }
}

Test(oracle, class_rows)
{
        unsigned all = 0;

        for (int k = 1; k <= ORACLE_CLASSES; k++) {
                cr_expect_eq(oracle_class_rows(k), class_members[k - 1], "E%d: 0x%x", k,
                             oracle_class_rows(k));
                cr_expect_eq(all & class_members[k - 1], 0u);
                all |= class_members[k - 1];
                for (int r = 1; r <= SETTINGS_ROWS; r++) {
                        if (class_members[k - 1] & BIT(r))
                                cr_expect_eq(t31[r - 1].cls, k, "§3.1 vs §3.8 for M%d", r);
                }
        }
        cr_expect_eq(oracle_class_rows(0), 0u);
        cr_expect_eq(oracle_class_rows(ORACLE_CLASSES + 1), 0u);
        cr_expect_eq(oracle_class_rows(-1), 0u);
        for (int r = 1; r <= SETTINGS_ROWS; r++)
                cr_expect_eq((all & BIT(r)) != 0, t31[r - 1].valid, "M%d in a class", r);
}

/* ---- §3.4: the grid ------------------------------------------------------- */

Test(oracle, grid_outbound)
{
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs = row_settings(h);

                for (int c = 0; c < NCOLS; c++) {
                        struct neg_settings ps = row_settings(cols[c]);
                        enum outcome got =
                            oracle_expect(&hs, SEMANTICS_MATRIX, &ps, DIR_OUTBOUND, NULL, 0);

                        cr_expect_eq(got, grid[h][c], "H%d x M%d outbound: expected %s, got %s", h,
                                     cols[c], codes[grid[h][c]], outcome_name(got));
                }
        }
}

Test(oracle, grid_inbound_mirror)
{
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs = row_settings(h);

                for (int c = 0; c < NCOLS; c++) {
                        struct neg_settings ps = row_settings(cols[c]);
                        enum outcome got =
                            oracle_expect(&hs, SEMANTICS_MATRIX, &ps, DIR_INBOUND, NULL, 0);
                        enum outcome want = mirror(grid[h][c]);

                        cr_expect_eq(got, want, "H%d x M%d inbound: expected %s, got %s", h,
                                     cols[c], codes[want], outcome_name(got));
                }
        }
}

Test(oracle, invalid_partner_columns)
{
        static const int invalid[] = {5, 6, 11, 12, 14, 16, 18};

        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs = row_settings(h);

                for (size_t i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
                        int m = invalid[i];
                        struct neg_settings ps = row_settings(m);

                        for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                                enum outcome want = ref_expect(h, m, (enum direction)d);
                                enum outcome got = oracle_expect(&hs, SEMANTICS_MATRIX, &ps,
                                                                 (enum direction)d, NULL, 0);

                                cr_expect_eq(got, want, "H%d x M%d %s: expected %s, got %s", h, m,
                                             d == DIR_OUTBOUND ? "outbound" : "inbound",
                                             codes[want], outcome_name(got));
                                if (m != 5 && m != 11)
                                        cr_expect(got == OUTCOME_F0 || got == OUTCOME_F1 ||
                                                      got == OUTCOME_F2,
                                                  "H%d x M%d: A={} gives only F0/F1/F2", h, m);
                        }
                }
        }
}

/* oracle_outcome over every pair of rows, both roles, against §3.3 on §3.1's A sets. */
Test(oracle, procedure_all_pairs)
{
        for (int i = 1; i <= SETTINGS_ROWS; i++) {
                struct neg_settings is = row_settings(i);

                for (int r = 1; r <= SETTINGS_ROWS; r++) {
                        struct neg_settings rs = row_settings(r);

                        for (int si = 0; si < 2; si++) {
                                for (int sr = 0; sr < 2; sr++) {
                                        unsigned ai = si ? strict_a[i - 1] : t31[i - 1].a;
                                        unsigned ar = sr ? strict_a[r - 1] : t31[r - 1].a;
                                        enum outcome want = ref_procedure(i, ai, r, ar);
                                        enum outcome got =
                                            oracle_outcome(&is, (enum semantics)si, &rs,
                                                           (enum semantics)sr, "I", "R", NULL, 0);

                                        cr_expect_eq(got, want,
                                                     "I=M%d(%s) R=M%d(%s): expected %s, got %s", i,
                                                     si ? "strict" : "matrix", r,
                                                     sr ? "strict" : "matrix", codes[want],
                                                     outcome_name(got));
                                }
                        }
                }
        }
}

/* ---- §3.5: strict harness ------------------------------------------------- */

Test(oracle, strict_grid)
{
        int changed = 0;

        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs = row_settings(h);

                for (int c = 0; c < NCOLS; c++) {
                        struct neg_settings ps = row_settings(cols[c]);
                        enum outcome want = ref_strict_outbound(h, c);
                        enum outcome out =
                            oracle_expect(&hs, SEMANTICS_STRICT, &ps, DIR_OUTBOUND, NULL, 0);
                        enum outcome in =
                            oracle_expect(&hs, SEMANTICS_STRICT, &ps, DIR_INBOUND, NULL, 0);

                        if (want != grid[h][c]) {
                                changed++;
                                cr_expect(h == 3 || h == 5, "§3.5 changes only H3 and H5");
                        }
                        cr_expect_eq(out, want,
                                     "strict H%d x M%d outbound: expected %s (matrix %s), got %s",
                                     h, cols[c], codes[want], codes[grid[h][c]], outcome_name(out));
                        cr_expect_eq(in, mirror(want),
                                     "strict H%d x M%d inbound: expected %s, got %s", h, cols[c],
                                     codes[mirror(want)], outcome_name(in));
                }
        }
        /* 3 listed cells + H5's non-F2 cells (M3 M4 M9 M10 M15 M17). */
        cr_expect_eq(changed, 3 + 6, "changed cells: %d", changed);
}

/* ---- §3.8: signature and classification ------------------------------------ */

Test(oracle, signature_table)
{
        static const int probes[3] = {17, 13, 2};

        for (int k = 0; k < ORACLE_CLASSES; k++) {
                const char *want[3] = {signature[k].h17, signature[k].h13, signature[k].h2};
                unsigned members = class_members[signature[k].cls - 1];

                for (int r = 1; r <= SETTINGS_ROWS; r++) {
                        struct neg_settings ps = row_settings(r);

                        if (!(members & BIT(r)))
                                continue;
                        for (int p = 0; p < 3; p++) {
                                struct neg_settings hs = row_settings(probes[p]);
                                enum outcome got = oracle_expect(&hs, SEMANTICS_MATRIX, &ps,
                                                                 DIR_OUTBOUND, NULL, 0);

                                cr_expect_eq(
                                    got, code(want[p]), "E%d M%d probe H%d: expected %s, got %s",
                                    signature[k].cls, r, probes[p], want[p], outcome_name(got));
                                /* The signature table agrees with the grid. */
                                cr_expect_eq(ref_outbound(probes[p], r), code(want[p]),
                                             "reference: §3.8 vs §3.4 at H%d x M%d", probes[p], r);
                        }
                }
                for (int j = 0; j < k; j++) {
                        cr_expect(strcmp(signature[j].h17, signature[k].h17) != 0 ||
                                      strcmp(signature[j].h13, signature[k].h13) != 0 ||
                                      strcmp(signature[j].h2, signature[k].h2) != 0,
                                  "signatures of E%d and E%d coincide", signature[j].cls,
                                  signature[k].cls);
                }
        }
}

/* Rows (valid or not) that the reference says explain the observations. */
static unsigned ref_rows(const struct observation *obs, size_t n, int *first_conflict)
{
        unsigned rows = 0;

        for (int m = 1; m <= SETTINGS_ROWS; m++) {
                first_conflict[m - 1] = -1;
                for (size_t k = 0; k < n; k++) {
                        enum outcome want;

                        if (obs[k].hsem == SEMANTICS_MATRIX) {
                                want = ref_expect(obs[k].harness_row, m, obs[k].dir);
                        } else {
                                want = ref_procedure(obs[k].harness_row,
                                                     strict_a[obs[k].harness_row - 1], m,
                                                     t31[m - 1].a);
                                if (obs[k].dir == DIR_INBOUND)
                                        want = mirror(want);
                        }
                        /* A set agrees when it holds the code; F0 only forbids success. */
                        if (want == OUTCOME_F0 ? (obs[k].observed & 0x7u) != 0
                                               : !(obs[k].observed & (1u << want))) {
                                first_conflict[m - 1] = (int)k;
                                break;
                        }
                }
                if (first_conflict[m - 1] < 0)
                        rows |= BIT(m);
        }
        return rows;
}

static void check_classify(const struct observation *obs, size_t n, unsigned want_rows,
                           unsigned want_classes, const char *what)
{
        struct classification cl;
        int fc[SETTINGS_ROWS];
        unsigned rr = ref_rows(obs, n, fc);

        /* The expectation the caller states from the tables agrees with the tables. */
        cr_expect_eq(rr, want_rows, "%s: reference rows 0x%x vs stated 0x%x", what, rr, want_rows);
        memset(&cl, 0x5a, sizeof(cl));
        oracle_classify(obs, n, &cl);
        cr_expect_eq(cl.rows, want_rows, "%s: rows expected 0x%x, got 0x%x", what, want_rows,
                     cl.rows);
        cr_expect_eq(cl.classes, want_classes, "%s: classes expected 0x%x, got 0x%x", what,
                     want_classes, cl.classes);
        for (int m = 1; m <= SETTINGS_ROWS; m++) {
                cr_expect_eq(cl.first_conflict[m - 1], fc[m - 1],
                             "%s: M%d first_conflict expected %d, got %d", what, m, fc[m - 1],
                             cl.first_conflict[m - 1]);
        }
        /* Behaviour never rules out what the exact comparison keeps, and decides only
         * when no class fits exactly. */
        cr_expect_eq(cl.behaviour_rows & cl.rows, cl.rows, "%s: behaviour rows 0x%x lost 0x%x",
                     what, cl.behaviour_rows, cl.rows);
        cr_expect_eq(cl.by_behaviour, want_classes == 0 && cl.behaviour_classes != 0,
                     "%s: by_behaviour %d", what, cl.by_behaviour);
        if (!cl.by_behaviour) {
                cr_expect_eq(oracle_classification_rows(&cl), cl.rows, "%s", what);
                cr_expect_eq(oracle_classification_classes(&cl), cl.classes, "%s", what);
        }
}

Test(oracle, classify_signature)
{
        static const int probes[3] = {17, 13, 2};

        for (int k = 0; k < ORACLE_CLASSES; k++) {
                const char *want[3] = {signature[k].h17, signature[k].h13, signature[k].h2};
                int cls = signature[k].cls;
                struct observation obs[3];
                unsigned rows = class_members[cls - 1];
                char what[32];

                for (int p = 0; p < 3; p++) {
                        obs[p].harness_row = probes[p];
                        obs[p].hsem = SEMANTICS_MATRIX;
                        obs[p].dir = DIR_OUTBOUND;
                        obs[p].observed = 1u << code(want[p]);
                }
                /* §3.4: M5/M11 behave like M17, so they share E7's signature. */
                if (cls == 7)
                        rows |= BIT(5) | BIT(11);
                snprintf(what, sizeof(what), "signature E%d", cls);
                check_classify(obs, 3, rows, 1u << (cls - 1), what);
        }
}

/* check_classify also holds that a conforming partner is never classified by behaviour:
 * E1 and E3, which differ only in <required/> (H17 F2 vs F4), stay apart. */
Test(oracle, classify_full_observation_set)
{
        for (int m = 1; m <= SETTINGS_ROWS; m++) {
                struct observation obs[2 * SETTINGS_ROWS];
                size_t n = 0;
                int cls = t31[m - 1].cls;
                unsigned rows;
                char what[48];

                if (!t31[m - 1].valid)
                        continue;
                for (int h = 1; h <= SETTINGS_ROWS; h++) {
                        for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                                obs[n].harness_row = h;
                                obs[n].hsem = SEMANTICS_MATRIX;
                                obs[n].dir = (enum direction)d;
                                obs[n].observed =
                                    1u << (d == DIR_OUTBOUND ? grid[h][col_of(m)]
                                                             : mirror(grid[h][col_of(m)]));
                                n++;
                        }
                }
                cr_assert_eq(n, 36u);
                rows = class_members[cls - 1];
                if (cls == 7)
                        rows |= BIT(5) | BIT(11);
                snprintf(what, sizeof(what), "36 cells of M%d", m);
                check_classify(obs, n, rows, 1u << (cls - 1), what);
        }
}

Test(oracle, classify_full_observation_set_strict)
{
        for (int m = 1; m <= SETTINGS_ROWS; m++) {
                struct observation obs[2 * SETTINGS_ROWS];
                size_t n = 0;
                int cls = t31[m - 1].cls;
                unsigned rows;
                char what[48];

                if (!t31[m - 1].valid)
                        continue;
                for (int h = 1; h <= SETTINGS_ROWS; h++) {
                        for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                                enum outcome o = ref_strict_outbound(h, col_of(m));

                                obs[n].harness_row = h;
                                obs[n].hsem = SEMANTICS_STRICT;
                                obs[n].dir = (enum direction)d;
                                obs[n].observed = 1u << (d == DIR_OUTBOUND ? o : mirror(o));
                                n++;
                        }
                }
                rows = class_members[cls - 1];
                if (cls == 7)
                        rows |= BIT(5) | BIT(11);
                snprintf(what, sizeof(what), "36 strict cells of M%d", m);
                check_classify(obs, n, rows, 1u << (cls - 1), what);
        }
}

Test(oracle, classify_contradiction)
{
        /* H17 F4 leaves only E3 {M4, M10} (§3.8); H2 F3 is E5/E6 only: no row predicts both. */
        const struct observation two[] = {
            {17, SEMANTICS_MATRIX, DIR_OUTBOUND, 1u << OUTCOME_F4},
            {2, SEMANTICS_MATRIX, DIR_OUTBOUND, 1u << OUTCOME_F3},
        };
        /* Same, with a consistent observation (H1 S) in between: the conflict is at index 2. */
        const struct observation three[] = {
            {17, SEMANTICS_MATRIX, DIR_OUTBOUND, 1u << OUTCOME_F4},
            {1, SEMANTICS_MATRIX, DIR_OUTBOUND, 1u << OUTCOME_S},
            {13, SEMANTICS_MATRIX, DIR_OUTBOUND, 1u << OUTCOME_DT},
        };
        /* Inbound, H17 receiving: F1 needs a TLS-Required partner, Dp one without TLS
         * Required, so no row gives both. */
        const struct observation inbound[] = {
            {17, SEMANTICS_MATRIX, DIR_INBOUND, 1u << OUTCOME_DP},
            {17, SEMANTICS_MATRIX, DIR_INBOUND, 1u << OUTCOME_F1},
        };
        struct classification cl;

        /* Only the invalid M16 (no method: F0 against both) fits, since F0 forbids
         * nothing but success; no class does. */
        check_classify(two, 2, 1u << 15, 0, "H17 F4 + H2 F3");
        oracle_classify(two, 2, &cl);
        cr_expect_eq(cl.first_conflict[4 - 1], 1, "M4 is contradicted by observation 1");
        cr_expect_eq(cl.first_conflict[10 - 1], 1, "M10 is contradicted by observation 1");
        cr_expect_eq(cl.first_conflict[13 - 1], 0, "M13 is contradicted by observation 0");
        cr_expect_eq(cl.first_conflict[17 - 1], 0, "M17 is contradicted by observation 0");

        check_classify(three, 3, 0, 0, "H17 F4 + H1 S + H13 Dt");
        oracle_classify(three, 3, &cl);
        cr_expect_eq(cl.first_conflict[4 - 1], 2);
        cr_expect_eq(cl.first_conflict[10 - 1], 2);
        cr_expect_eq(cl.first_conflict[1 - 1], 0);

        check_classify(inbound, 2, 0, 0, "H17 inbound Dp + F1");
        oracle_classify(inbound, 2, &cl);
        cr_expect_eq(cl.first_conflict[17 - 1], 1);
        cr_expect_eq(cl.first_conflict[1 - 1], 0);
        /* A success is seen as itself, so by behaviour nothing fits either. */
        cr_expect_not(cl.by_behaviour);
        cr_expect_eq(cl.behaviour_classes, 0u, "0x%x", cl.behaviour_classes);

        /* By behaviour, H17 F4 is also a TLS-Required partner that omits <required/>
         * (F2|F4): "two" is E5 and "three" E4 (docs/observables.md). */
        oracle_classify(two, 2, &cl);
        cr_expect(cl.by_behaviour);
        cr_expect_eq(cl.behaviour_classes, 1u << (5 - 1), "0x%x", cl.behaviour_classes);
        oracle_classify(three, 3, &cl);
        cr_expect(cl.by_behaviour);
        cr_expect_eq(cl.behaviour_classes, 1u << (4 - 1), "0x%x", cl.behaviour_classes);
}

Test(oracle, classify_empty)
{
        struct observation dummy = {1, SEMANTICS_MATRIX, DIR_OUTBOUND, 1u << OUTCOME_S};
        struct classification cl;

        memset(&cl, 0x5a, sizeof(cl));
        oracle_classify(&dummy, 0, &cl);
        cr_expect_eq(cl.rows, ALL_ROWS, "rows 0x%x", cl.rows);
        cr_expect_eq(cl.classes, (1u << ORACLE_CLASSES) - 1, "classes 0x%x", cl.classes);
        for (int m = 1; m <= SETTINGS_ROWS; m++)
                cr_expect_eq(cl.first_conflict[m - 1], -1, "M%d", m);
}

/* ---- Rationales, names, texts ---------------------------------------------- */

static void check_rationale(enum outcome got, const char *why, const char *ctx, const char *label1,
                            const char *label2)
{
        size_t n = strlen(codes[got]);

        cr_expect_gt(strlen(why), 0u, "%s: empty rationale", ctx);
        cr_expect(strncmp(why, codes[got], n) == 0 && !isalnum((unsigned char)why[n]),
                  "%s: rationale \"%s\" does not start with %s", ctx, why, codes[got]);
        cr_expect(strstr(why, "§") != NULL || strstr(why, "XEP-") != NULL,
                  "%s: rationale \"%s\" cites no section", ctx, why);
        cr_expect(strstr(why, label1) != NULL || strstr(why, label2) != NULL,
                  "%s: rationale \"%s\" names neither side", ctx, why);
}

Test(oracle, rationales)
{
        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs = row_settings(h);

                for (int m = 1; m <= SETTINGS_ROWS; m++) {
                        struct neg_settings ps = row_settings(m);

                        for (int sem = 0; sem < 2; sem++) {
                                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                                        char why[512];
                                        char ctx[64];
                                        enum outcome got;

                                        memset(why, 0, sizeof(why));
                                        got = oracle_expect(&hs, (enum semantics)sem, &ps,
                                                            (enum direction)d, why, sizeof(why));
                                        snprintf(ctx, sizeof(ctx), "H%d x M%d %s %s", h, m,
                                                 sem ? "strict" : "matrix",
                                                 d ? "inbound" : "outbound");
                                        cr_assert_lt((unsigned)got, (unsigned)OUTCOME_COUNT);
                                        check_rationale(got, why, ctx, "harness", "partner");
                                        if (sem == SEMANTICS_MATRIX)
                                                cr_expect_eq(got,
                                                             ref_expect(h, m, (enum direction)d),
                                                             "%s", ctx);
                                }
                        }
                }
        }
}

Test(oracle, rationale_labels_and_buffers)
{
        struct neg_settings a = row_settings(1), b = row_settings(17);
        char why[512];
        char small[8];
        enum outcome got;

        got = oracle_outcome(&a, SEMANTICS_MATRIX, &b, SEMANTICS_MATRIX, "ALPHA", "BETA", why,
                             sizeof(why));
        cr_expect_eq(got, OUTCOME_F1);
        check_rationale(got, why, "ALPHA/BETA", "ALPHA", "BETA");
        /* A short buffer is truncated, not overrun. */
        memset(small, '#', sizeof(small));
        got = oracle_outcome(&a, SEMANTICS_MATRIX, &b, SEMANTICS_MATRIX, "x", "y", small, 4);
        cr_expect_eq(got, OUTCOME_F1);
        cr_expect_str_eq(small, "F1:", "truncated rationale \"%s\"", small);
        cr_expect_eq(small[4], '#');
        /* No buffer at all. */
        cr_expect_eq(oracle_expect(&a, SEMANTICS_MATRIX, &b, DIR_INBOUND, NULL, 0), OUTCOME_F2);
}

Test(oracle, outcome_names)
{
        for (int o = 0; o < OUTCOME_COUNT; o++) {
                enum outcome back = OUTCOME_COUNT;

                cr_expect_str_eq(outcome_name((enum outcome)o), codes[o]);
                cr_expect_eq(outcome_parse(codes[o], &back), 0, "%s", codes[o]);
                cr_expect_eq(back, (enum outcome)o, "%s", codes[o]);
        }
        {
                static const char *const bad[] = {"s", "dt", "DT", "dp", "f1",  "F5",
                                                  "F", "",   "S ", " S", "Dtx", "SASL"};
                enum outcome o;

                for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
                        cr_expect_eq(outcome_parse(bad[i], &o), -1, "\"%s\" accepted", bad[i]);
                cr_expect_eq(outcome_parse(NULL, &o), -1);
        }
        cr_expect_str_eq(direction_name(DIR_OUTBOUND), "outbound");
        cr_expect_str_eq(direction_name(DIR_INBOUND), "inbound");
        cr_expect_str_eq(method_name(METHOD_S), "S");
        cr_expect_str_eq(method_name(METHOD_DT), "Dt");
        cr_expect_str_eq(method_name(METHOD_DP), "Dp");
}

Test(oracle, methods_text_all_sets)
{
        static const char *const comma[8] = {"",   "S",    "Dt",    "S,Dt",
                                             "Dp", "S,Dp", "Dt,Dp", "S,Dt,Dp"};
        static const char *const spaced[8] = {"",   "S",     "Dt",     "S, Dt",
                                              "Dp", "S, Dp", "Dt, Dp", "S, Dt, Dp"};

        for (unsigned m = 0; m < 8; m++) {
                char buf[12];
                char wide[32];

                memset(buf, '#', sizeof(buf));
                cr_expect_eq(methods_text(m, ",", buf, sizeof(buf)), buf);
                cr_expect_str_eq(buf, comma[m], "set 0x%x", m);
                cr_expect_str_eq(methods_text(m, ", ", wide, sizeof(wide)), spaced[m]);
        }
        {
                char buf[8];

                memset(buf, '#', sizeof(buf));
                methods_text(S | DT | DP, ",", buf, 4);
                cr_expect_lt(strlen(buf), 4u, "\"%s\" overran len", buf);
                cr_expect_eq(buf[4], '#');
        }
}

Test(oracle, row_info_table_b)
{
        for (int r = 1; r <= SETTINGS_ROWS; r++) {
                const struct row_info *ri = oracle_row_info(r);

                cr_assert_not_null(ri, "M%d", r);
                cr_expect_str_eq(ri->methods_text, table_b_methods[r - 1], "M%d", r);
                cr_assert_not_null(ri->note);
                cr_expect_eq(ri->note[0] == '\0', (table_b_no_note & BIT(r)) != 0,
                             "M%d note \"%s\"", r, ri->note);
        }
        cr_expect_null(oracle_row_info(0));
        cr_expect_null(oracle_row_info(SETTINGS_ROWS + 1));
}

Test(oracle, invalid_reasons)
{
        for (int r = 1; r <= SETTINGS_ROWS; r++) {
                struct neg_settings s = row_settings(r);
                const char *rule = NULL, *fix = NULL;
                int rc = oracle_invalid_reason(&s, &rule, &fix);

                if (t31[r - 1].valid) {
                        cr_expect_eq(rc, -1, "M%d is valid", r);
                        continue;
                }
                cr_expect_eq(rc, 0, "M%d is invalid", r);
                cr_assert_not_null(rule, "M%d rule", r);
                cr_assert_not_null(fix, "M%d fix", r);
                cr_expect_gt(strlen(rule), 0u, "M%d rule", r);
                cr_expect_gt(strlen(fix), 0u, "M%d fix", r);
                if (r == 5 || r == 11) {
                        char both[1024];

                        snprintf(both, sizeof(both), "%s %s", rule, fix);
                        cr_expect(
                            strstr(both, "Control Panel") != NULL &&
                                strstr(both, "commit") != NULL && strstr(both, "refuse") != NULL,
                            "M%d: \"%s\" should say the Control Panel refuses to commit", r, both);
                }
        }
}

Test(oracle, consistent_sets)
{
        const unsigned f1f4 = (1u << OUTCOME_F1) | (1u << OUTCOME_F4);

        cr_expect(oracle_consistent(OUTCOME_S, 1u << OUTCOME_S));
        cr_expect_not(oracle_consistent(OUTCOME_S, 1u << OUTCOME_DT));
        cr_expect(oracle_consistent(OUTCOME_F1, f1f4));
        cr_expect(oracle_consistent(OUTCOME_F4, f1f4));
        cr_expect_not(oracle_consistent(OUTCOME_F2, f1f4));
        /* F0 forbids success only. */
        cr_expect(oracle_consistent(OUTCOME_F0, f1f4));
        cr_expect(oracle_consistent(OUTCOME_F0, 1u << OUTCOME_F3));
        cr_expect_not(oracle_consistent(OUTCOME_F0, 1u << OUTCOME_DP));
        cr_expect_not(oracle_consistent(OUTCOME_F0, 0));
        cr_expect_not(oracle_consistent(OUTCOME_F3, 0));
}

Test(oracle, classify_ambiguous_inbound_failure)
{
        /* H17 receiving (no STARTTLS offered) saw the partner close without trying:
         * F1 (partner requires TLS) or F4 (no common plaintext method). */
        const struct observation obs[] = {
            {17, SEMANTICS_MATRIX, DIR_INBOUND, (1u << OUTCOME_F1) | (1u << OUTCOME_F4)},
        };
        struct classification cl;

        oracle_classify(obs, 1, &cl);
        /* Inbound H17: M1/M2/M7/M8/M13 give F1, M4/M10 give F4; F0 rows fit any failure. */
        cr_expect_eq(cl.rows,
                     (1u << 0) | (1u << 1) | (1u << 3) | (1u << 5) | (1u << 6) | (1u << 7) |
                         (1u << 9) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 15) | (1u << 17),
                     "rows 0x%x", cl.rows);
        cr_expect_eq(cl.classes, (1u << 0) | (1u << 2) | (1u << 3) | (1u << 4), "classes 0x%x",
                     cl.classes);
}

/* ---- What a harness side can tell apart (docs/observables.md) ---------------- */

/*
 * The failures a side cannot tell apart, stated from the reference rather than
 * derived: without TLS an initiating side with TLS NotSupported sees a partner that
 * requires TLS (F2, §3.3) fail as one with no common plaintext method (F4) once the
 * partner omits <required/> (RFC 6120 §5.4.1); a receiving side with TLS NotSupported
 * sees a partner that requires TLS leave (F1) as one with no common method (F4, §3.6
 * F1: "no defined stream condition"). Every other failure is seen as itself: F1 needs
 * an initiator with TLS Required, F2 a receiver with TLS Required, F3 needs TLS up.
 */
static unsigned ref_alike(const struct neg_settings *h, enum direction dir, enum outcome o)
{
        unsigned f2f4 = (1u << OUTCOME_F2) | (1u << OUTCOME_F4);
        unsigned f1f4 = (1u << OUTCOME_F1) | (1u << OUTCOME_F4);

        if (h->tls == NEG_NOTSUPPORTED && dir == DIR_OUTBOUND && (f2f4 & (1u << o)))
                return f2f4;
        if (h->tls == NEG_NOTSUPPORTED && dir == DIR_INBOUND && (f1f4 & (1u << o)))
                return f1f4;
        return 1u << o;
}

Test(oracle, indistinguishable_sets)
{
        for (int hr = 1; hr <= SETTINGS_ROWS; hr++) {
                struct neg_settings h = row_settings(hr);

                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        for (int sem = SEMANTICS_MATRIX; sem <= SEMANTICS_STRICT; sem++) {
                                for (int o = 0; o < OUTCOME_COUNT; o++) {
                                        unsigned got = oracle_indistinguishable(
                                            &h, (enum semantics)sem, (enum direction)d,
                                            (enum outcome)o);
                                        unsigned want =
                                            ref_alike(&h, (enum direction)d, (enum outcome)o);

                                        cr_expect_eq(got, want, "H%d %s %s %s: got 0x%x, want 0x%x",
                                                     hr, d == DIR_OUTBOUND ? "out" : "in",
                                                     sem ? "strict" : "matrix", codes[o], got,
                                                     want);
                                }
                        }
                }
        }
}

Test(oracle, side_codes)
{
        struct neg_settings h17 = row_settings(17), h13 = row_settings(13), h6 = row_settings(6);
        unsigned f0 = 1u << OUTCOME_F0;

        /* §3.4 row H17 (F2, Dp, F4), F0 against the partner rows without a method. */
        cr_expect_eq(oracle_side_codes(&h17, SEMANTICS_MATRIX, DIR_OUTBOUND),
                     (1u << OUTCOME_F2) | (1u << OUTCOME_DP) | (1u << OUTCOME_F4) | f0);
        /* Inbound the same row with F1 and F2 swapped (§3.4). */
        cr_expect_eq(oracle_side_codes(&h17, SEMANTICS_MATRIX, DIR_INBOUND),
                     (1u << OUTCOME_F1) | (1u << OUTCOME_DP) | (1u << OUTCOME_F4) | f0);
        /* H13: F3, Dt, F1 (and F0). */
        cr_expect_eq(oracle_side_codes(&h13, SEMANTICS_MATRIX, DIR_OUTBOUND),
                     (1u << OUTCOME_F3) | (1u << OUTCOME_DT) | (1u << OUTCOME_F1) | f0);
        /* H6 has no method: the oracle says F2 or F0, and the engine's failure code of a
         * plaintext stream (F4) is reported beside F0. */
        cr_expect_eq(oracle_side_codes(&h6, SEMANTICS_MATRIX, DIR_OUTBOUND),
                     (1u << OUTCOME_F2) | (1u << OUTCOME_F4) | f0);
        /* A success is never merged with anything, nor F0 (which forbids success only). */
        cr_expect_eq(oracle_indistinguishable(&h17, SEMANTICS_MATRIX, DIR_OUTBOUND, OUTCOME_DP),
                     1u << OUTCOME_DP);
        cr_expect_eq(oracle_indistinguishable(&h17, SEMANTICS_MATRIX, DIR_OUTBOUND, OUTCOME_F0),
                     f0);
        cr_expect(oracle_consistent_observable(&h6, SEMANTICS_MATRIX, DIR_OUTBOUND, OUTCOME_F2,
                                               f0 | (1u << OUTCOME_F4)));
        cr_expect_not(oracle_consistent_observable(&h13, SEMANTICS_MATRIX, DIR_OUTBOUND, OUTCOME_F1,
                                                   1u << OUTCOME_F3));
}

/* The 36 cells of a partner that is M13 (E5) but offers <starttls/> without <required/>
 * and drops plaintext dialback: the harness rows with TLS NotSupported see F4 where
 * M13 predicts F2 (with F0 beside it for the rows without a method), as the engine
 * reports them. */
static size_t m13_without_required(struct observation *obs)
{
        size_t n = 0;

        for (int h = 1; h <= SETTINGS_ROWS; h++) {
                struct neg_settings hs = row_settings(h);

                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        enum outcome o = grid[h][col_of(13)];

                        obs[n].harness_row = h;
                        obs[n].hsem = SEMANTICS_MATRIX;
                        obs[n].dir = (enum direction)d;
                        if (d == DIR_INBOUND)
                                obs[n].observed = 1u << mirror(o);
                        else if (hs.tls == NEG_NOTSUPPORTED)
                                obs[n].observed =
                                    (1u << OUTCOME_F4) | (t31[h - 1].a == 0 ? 1u << OUTCOME_F0 : 0);
                        else
                                obs[n].observed = 1u << o;
                        n++;
                }
        }
        return n;
}

Test(oracle, classify_by_behaviour)
{
        struct observation obs[2 * SETTINGS_ROWS];
        size_t n = m13_without_required(obs);
        struct classification cl;

        oracle_classify(obs, n, &cl);
        /* Exactly, nothing valid fits (today's "no configuration explains"). */
        cr_expect_eq(cl.classes, 0u, "classes 0x%x", cl.classes);
        cr_expect_eq(cl.rows, 0u, "rows 0x%x", cl.rows);
        /* By behaviour, only its own row. */
        cr_expect(cl.by_behaviour);
        cr_expect_eq(cl.behaviour_rows, BIT(13), "behaviour rows 0x%x", cl.behaviour_rows);
        cr_expect_eq(cl.behaviour_classes, 1u << (5 - 1), "behaviour classes 0x%x",
                     cl.behaviour_classes);
        cr_expect_eq(oracle_classification_classes(&cl), 1u << (5 - 1));
        cr_expect_eq(oracle_classification_conflict(&cl, 13), -1);
        /* M13's first exact conflict is the first TLS-NotSupported outbound cell, H5. */
        cr_expect_eq(cl.first_conflict[13 - 1], 8, "M13 exact conflict %d",
                     cl.first_conflict[13 - 1]);
        /* E3 (F4 at H17) still falls, by behaviour, at H1 outbound (S vs F3). */
        cr_expect_eq(oracle_classification_conflict(&cl, 4), 0);

        /* The same in chunks, as classify_run adds them. */
        {
                struct classification parts;

                oracle_classify_begin(&parts);
                oracle_classify_add(&parts, obs, 10, 0);
                oracle_classify_add(&parts, obs + 10, n - 10, 10);
                oracle_classify_end(&parts);
                cr_expect_eq(memcmp(&parts, &cl, sizeof(cl)), 0, "chunked differs");
        }
}
