/*
 * The command table, and everything generated from it and from the commands'
 * option tables (struct cli_opt rows in cmd_*.c, read through cli_describe): the
 * usage lines, `help COMMAND` wrapped to the terminal, the man page s2scheck(1),
 * the bash completion and the `help --options` dump. Nothing here lists an option
 * by hand, so help cannot miss one (tests/cli/help.sh).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "classify.h"
#include "cli.h"
#include "commands.h"
#include "datadir.h"
#include "oracle.h"
#include "settings.h"
#include "util.h"
#include "verdict.h"

/*
 * help: one paragraph per line ("\n" ends it); the generator wraps it. A line
 * that starts with a space is kept as it is (an example).
 */
const struct command commands[] = {
    {"validate", "PARTNER", "check a partner configuration against the Lync rules",
     "Reads PARTNER (our XML format or the text Get-CsXmppAllowedPartner prints; the format is "
     "detected) and prints its row of Microsoft's negotiation matrix (M1-M18), whether the "
     "configuration is valid and, for an invalid one, the rule it breaks and the fix.\n"
     "Exit: 0 valid, 1 the configuration breaks a Lync rule, 2 usage error or unreadable "
     "input.\n",
     cmd_validate, NULL},
    {"matrix", "PARTNER", "print the expected outcome of every harness setting against a partner",
     "Prints the partner's row, validity, accepted methods (S, Dt, Dp) and class (E1-E7), then "
     "for each of the 18 harness-side settings H1-H18 and both directions (outbound: the "
     "harness initiates; inbound: the partner initiates) the expected outcome (S, Dt, Dp, "
     "F0-F4) and the rule behind it.\n"
     "Exit: 0 printed, 2 bad input.\n",
     cmd_matrix, NULL},
    {"run", NULL, "run the conformance suite against a partner, on the wire",
     "Runs the selected scenarios (docs/scenarios.md; default: every file of the installed "
     "scenarios/ folder) as real S2S negotiations against the partner and compares what "
     "happens with what its configuration implies. With no --target the partner is the "
     "built-in reference partner: a conforming server that behaves exactly as PARTNER says, "
     "started in-process on loopback.\n"
     "Files, report paths, certificates and ports are checked before the first scenario; with "
     "--target the preflight of `s2scheck check` runs first and a FAIL stops the run (exit 2 "
     "for the harness's set-up, 3 for the partner's) within seconds.\n"
     "Exit: 0 all match, 1 a mismatch, 2 usage or configuration error, 3 could not test.\n",
     cmd_run, NULL},
    {"check", NULL, "preflight: is everything in place for a run against a real partner?",
     "Checks both sides before a run (docs/cli.md, \"check\"), each item a finding with an id, "
     "OK / WARN / FAIL and the fix: the harness certificate (key, expiry, the names DOMAIN and "
     "every scenario subdomain), the address the harness zone publishes, the listeners; for "
     "the partner's primary and each additional domain: SRV, A/AAAA, TCP to each IPv4 and IPv6 "
     "address, the stream and its features, STARTTLS, the certificate (chain, names, EKU, "
     "expiry); and whether the partner connects in to the harness (a ping from "
     "preflight.DOMAIN). `run --target` runs the same check first. With no --target the "
     "partner is found through DNS (as --target srv).\n"
     "Exit: 0 ready, 1 ready with warnings, 2 usage error or a FAIL of the harness's own "
     "set-up, 3 a FAIL on the partner's side or inbound.\n",
     cmd_check, NULL},
    {"serve", NULL, "run the reference partner as a standalone server",
     "Runs a conforming S2S server that behaves exactly as PARTNER says (its TLS, SASL and "
     "dialback settings, its domains), so that the harness, or your own gateway, can be run "
     "against a known-good partner. It answers XEP-0199 pings and dialback verifications, "
     "connects out through the resolver to reach the other side's domains, and logs one line "
     "per stream outcome to stderr. --serve-dns serves the partner's own zone (SRV and A/AAAA "
     "for its domains, pointing at --listen) so that `run --target srv` can find it. It runs "
     "until SIGINT or SIGTERM.\n"
     "--misbehave NAME (repeatable) makes it a hostile partner, for regression tests of the "
     "side that talks to it. [R] shows when it receives a connection, [I] when it opens one "
     "(docs/cli.md); --misbehave-as receiving|initiating limits the wire behaviours to that "
     "side (default: both). NAME is one of the names listed at the end.\n",
     cmd_serve, cmd_serve_help_tail},
    {"list", NULL, "list the scenarios a run would use",
     "Loads the scenario suite (every *.xml file of the folder, strictly checked; see "
     "docs/scenarios.md) and prints one line per selected scenario: id, direction, harness "
     "TLS/SASL/dialback, tags and title, then the count. A --only/--skip word that matches no "
     "scenario is an error.\n"
     "Exit: 0 listed, 2 bad option or a suite that does not load (one line on stderr).\n",
     cmd_list, NULL},
    {"merge", "SHARD_DIR...", "join the roll-ups of a fleet's shards into one",
     "Reads SHARD_DIR/rollup.json of each `run --all --shard K/N --out SHARD_DIR` and writes the "
     "fleet's roll-up (rollup.txt, rollup.json, rollup.xml) into --out DIR, as one unsharded "
     "`run --all` would have (times aside); prints rollup.txt. The folders must be the shards "
     "1..N of one partner file, each once (docs/fleet.md).\n"
     "Exit: the fleet's (docs/cli.md \"Fleets\"): 0, 1 or 3; 2 for a bad option or shard set.\n",
     cmd_merge, NULL},
    {"diff", "OLD.json NEW.json", "what changed between two run reports",
     "Compares two reports of `run --json` (docs/cli.md \"diff\"), per scenario and per partner "
     "domain, ignoring times, ids, ports, transcripts and cause texts: new mismatches "
     "(regressions), fixed ones, other verdict changes, changed observed outcomes, added and "
     "removed scenarios, a changed classification.\n"
     "Exit: 0 no change (with --fail-on regression: not worse), 1 a change (worse), 2 usage "
     "error or a file that is not a run report.\n",
     cmd_diff, NULL},
    {"rules", NULL, "print the rule table (ids, sources, requirements)",
     "Prints every rule s2scheck judges: its id (the protocol reference's STR-*, TLS-*, SASL-*, "
     "DB-*, or the harness's own H-*), severity, source section and requirement. The scenario "
     "options choose the scenarios --markdown lists.\n"
     "Exit: 0 printed, 2 bad option or a suite that does not load.\n",
     cmd_rules, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

/* `help` itself: its modes and topics, for the completion and the man page. */
static const char *const help_modes[] = {"--man", "--completion", "--options", NULL};
static const char *const help_topics[] = {"codes", NULL};

const struct command *command_find(const char *name)
{
        for (const struct command *c = commands; c->name != NULL; c++) {
                if (strcmp(c->name, name) == 0)
                        return c;
        }
        return NULL;
}

const char *command_suggest_help_mode(const char *name)
{
        return util_closest(name, help_modes, ARRAY_LEN(help_modes) - 1, 2);
}

const char *command_suggest(const char *name)
{
        const char *names[32];
        size_t n = 0;

        for (const struct command *c = commands; c->name != NULL && n + 1 < ARRAY_LEN(names); c++)
                names[n++] = c->name;
        names[n++] = "help";
        return util_closest(name, names, n, 2);
}

/* ---- the option table of a command, through cli_describe ---- */

struct optlist {
        struct cli_opt o[96];
        size_t n;
        size_t max_pos;
};

static void collect(const struct cli_opt *opts, size_t nopts, size_t max_pos, void *ctx)
{
        struct optlist *l = ctx;

        l->max_pos = max_pos;
        for (size_t i = 0; i < nopts && l->n < ARRAY_LEN(l->o); i++)
                if (opts[i].name != NULL)
                        l->o[l->n++] = opts[i];
}

static void command_options(const struct command *c, struct optlist *l)
{
        char *argv[] = {NULL};

        memset(l, 0, sizeof(*l));
        cli_describe_begin(collect, l);
        (void)c->run(0, argv);
        cli_describe_end();
}

static const char *section_of(const struct cli_opt *o)
{
        return o->section != NULL ? o->section : "Options";
}

static bool repeatable(const struct cli_opt *o)
{
        return o->list != NULL;
}

/* ---- text wrapping ---- */

int command_term_width(void)
{
        const char *cols = getenv("COLUMNS");
        struct winsize ws;
        long v;

        if (cols != NULL && cli_number(cols, 20, 1000, &v) == 0)
                return (int)v;
        if (isatty(STDOUT_FILENO) && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20)
                return ws.ws_col;
        return 80;
}

/* Joins the words of one usage item ("[--listen ADDR]"): wrap() prints it as a space. */
#define NBSP '\x01'

/*
 * Prints text (no newline inside) word-wrapped: the first line continues at
 * column col (already printed), the next lines start at column indent; width
 * is the line limit. A word longer than a line is printed on its own line.
 */
static void wrap(FILE *f, const char *text, int col, int indent, int width)
{
        const char *s = text;
        bool first = true;

        while (*s != '\0') {
                const char *e;
                int len;

                while (*s == ' ' || *s == NBSP)
                        s++;
                if (*s == '\0')
                        break;
                for (e = s; *e != '\0' && *e != ' '; e++)
                        ;
                if (indent + (int)(e - s) > width) /* too long for any line: split it */
                        for (e = s; *e != '\0' && *e != ' ' && *e != NBSP; e++)
                                ;
                len = (int)(e - s);
                if (!first && col + 1 + len > width) {
                        fprintf(f, "\n%*s", indent, "");
                        col = indent;
                        first = true;
                }
                if (!first) {
                        fputc(' ', f);
                        col++;
                }
                for (int i = 0; i < len; i++)
                        fputc(s[i] == NBSP ? ' ' : s[i], f);
                col += len;
                first = false;
                s = e;
        }
        fputc('\n', f);
}

/* Each paragraph of text (one a line) wrapped at width; lines starting with a space kept. */
static void wrap_paragraphs(FILE *f, const char *text, int width)
{
        const char *s = text;

        while (*s != '\0') {
                const char *nl = strchr(s, '\n');
                size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);
                char *para = strndup(s, len);

                if (para == NULL)
                        return;
                if (para[0] == ' ' || para[0] == '\0')
                        fprintf(f, "%s\n", para);
                else {
                        wrap(f, para, 0, 0, width);
                        if (nl != NULL && nl[1] != '\0')
                                fputc('\n', f);
                }
                free(para);
                s = nl != NULL ? nl + 1 : s + len;
        }
}

/* "--name METAVAR", the left column of an option. */
static void opt_label(const struct cli_opt *o, char *buf, size_t len)
{
        if (o->metavar != NULL)
                snprintf(buf, len, "%s %s", o->name, o->metavar);
        else
                snprintf(buf, len, "%s", o->name);
}

/* The usage line: "run --partner FILE [--identity DOMAIN] [--only TAG]... ". */
static void usage_words(const struct command *c, const struct optlist *l, char *buf, size_t len)
{
        size_t used = 0;

        used += (size_t)snprintf(buf, len, "%s", c->name);
        if (c->args != NULL && used < len)
                used += (size_t)snprintf(buf + used, len - used, " %s", c->args);
        for (size_t i = 0; i < l->n && used < len; i++) {
                char label[128];

                opt_label(&l->o[i], label, sizeof(label));
                for (char *sp = strchr(label, ' '); sp != NULL; sp = strchr(sp, ' '))
                        *sp = NBSP;
                used +=
                    (size_t)snprintf(buf + used, len - used, l->o[i].required ? " %s%s" : " [%s]%s",
                                     label, repeatable(&l->o[i]) ? "..." : "");
        }
}

static void print_usage_line(FILE *f, const struct command *c, const struct optlist *l, int width)
{
        char words[4096];

        usage_words(c, l, words, sizeof(words));
        fprintf(f, "usage: s2scheck ");
        wrap(f, words, 16, 16 + (int)strlen(c->name) + 1, width);
}

static void print_options(FILE *f, const struct optlist *l, int width)
{
        const char *sections[16];
        size_t nsec = 0;
        int labw = 0, hcol;

        for (size_t i = 0; i < l->n; i++) {
                char label[128];
                bool seen = false;
                int w;

                opt_label(&l->o[i], label, sizeof(label));
                w = (int)strlen(label);
                if (w <= 26 && w > labw)
                        labw = w;
                for (size_t k = 0; k < nsec; k++)
                        seen = seen || strcmp(sections[k], section_of(&l->o[i])) == 0;
                if (!seen && nsec < ARRAY_LEN(sections))
                        sections[nsec++] = section_of(&l->o[i]);
        }
        /* The help column: after the labels, or below them when that leaves less than
         * 40 columns for the text (a narrow terminal). */
        hcol = width - (labw + 4) >= 40 ? labw + 4 : 8;
        for (size_t k = 0; k < nsec; k++) {
                fprintf(f, "\n%s:\n", sections[k]);
                for (size_t i = 0; i < l->n; i++) {
                        const struct cli_opt *o = &l->o[i];
                        char label[128], help[512];
                        int col;

                        if (strcmp(section_of(o), sections[k]) != 0)
                                continue;
                        opt_label(o, label, sizeof(label));
                        snprintf(help, sizeof(help), "%s%s", o->help != NULL ? o->help : "",
                                 repeatable(o) ? " (repeatable)" : "");
                        col = fprintf(f, "  %s", label);
                        if ((int)strlen(label) > labw || hcol < labw + 4) {
                                fprintf(f, "\n%*s", hcol, "");
                        } else {
                                fprintf(f, "%*s", hcol - col, "");
                        }
                        wrap(f, help, hcol, hcol, width);
                }
        }
}

void command_print_text(FILE *f, const char *text)
{
        wrap_paragraphs(f, text, command_term_width());
}

void command_print_usage(FILE *f)
{
        int width = command_term_width();

        fprintf(f, "usage: s2scheck COMMAND [ARGS]\n       ");
        wrap(f,
             "s2scheck --help | --version | help COMMAND | help\x01"
             "codes | help\x01--man | "
             "help\x01--completion | help\x01--options",
             7, 16, width);
        fprintf(f, "\ncommands:\n");
        for (const struct command *c = commands; c->name != NULL; c++) {
                fprintf(f, "  %-10s ", c->name);
                wrap(f, c->summary, 13, 13, width);
        }
}

void command_print_help(FILE *f, const struct command *c)
{
        struct optlist l;
        int width = command_term_width();

        command_options(c, &l);
        print_usage_line(f, c, &l, width);
        fputc('\n', f);
        wrap_paragraphs(f, c->help, width);
        print_options(f, &l, width);
        if (c->help_tail != NULL) {
                fputc('\n', f);
                c->help_tail(f);
        }
}

int command_usage_error(const char *name, const char *msg)
{
        const struct command *c = command_find(name);

        if (cli_describing())
                return EXIT_MATCH;
        fprintf(stderr, "s2scheck %s: %s\n", name, msg);
        if (c != NULL) {
                struct optlist l;

                command_options(c, &l);
                print_usage_line(stderr, c, &l, command_term_width());
        }
        return EXIT_USAGE;
}

/* ---- help --options: COMMAND TAB OPTION TAB METAVAR TAB SECTION TAB HELP ---- */

void command_print_options(FILE *f)
{
        for (const struct command *c = commands; c->name != NULL; c++) {
                struct optlist l;

                command_options(c, &l);
                for (size_t i = 0; i < l.n; i++)
                        fprintf(f, "%s\t%s\t%s\t%s\t%s\n", c->name, l.o[i].name,
                                l.o[i].metavar != NULL ? l.o[i].metavar : "-", section_of(&l.o[i]),
                                l.o[i].help != NULL ? l.o[i].help : "");
        }
}

/* ---- help codes: the vocabulary of the reports ---- */

/* "M1, M2, M8" for a row set (bit row-1). */
static const char *rows_text_of(unsigned rows, char *buf, size_t len)
{
        size_t used = 0;

        buf[0] = '\0';
        for (int row = 1; row <= SETTINGS_ROWS && used < len; row++)
                if (rows & (1u << (row - 1)))
                        used += (size_t)snprintf(buf + used, len - used, "%sM%d",
                                                 used > 0 ? ", " : "", row);
        return buf;
}

/* "  CODE  text", the text wrapped under itself. */
static void code_line(FILE *f, int width, int codew, const char *code, const char *text)
{
        fprintf(f, "  %-*s  ", codew, code);
        wrap(f, text, codew + 4, codew + 4, width);
}

/* A heading of `help codes` ("\n" first for a blank line; one trailing "\n"), wrapped. */
static void heading(FILE *f, int width, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void heading(FILE *f, int width, const char *fmt, ...)
{
        char text[512];
        size_t n;
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(text, sizeof(text), fmt, ap);
        va_end(ap);
        n = strlen(text);
        if (n > 0 && text[n - 1] == '\n')
                text[n - 1] = '\0';
        if (text[0] == '\n')
                fputc('\n', f);
        wrap(f, text[0] == '\n' ? text + 1 : text, 0, 2, width);
}

/* The 18 rows of the grid, as partner rows (kind 'M': methods, class or why not
 * valid, Microsoft's note) or as harness rows ('H': the settings spelt out). */
static void grid_rows(FILE *f, int width, char kind)
{
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                struct neg_settings s;
                const struct row_info *ri = oracle_row_info(row);
                char code[8], text[512], set[40];

                if (settings_from_row(row, &s) != 0 || ri == NULL)
                        continue;
                snprintf(code, sizeof(code), "%c%d", kind, row);
                settings_summary(&s, set, sizeof(set));
                if (kind == 'H')
                        snprintf(text, sizeof(text), "%s: TLS %s, SASL %s, dialback %s", set,
                                 neg_name(s.tls), neg_name(s.sasl), s.dialback ? "True" : "False");
                else if (oracle_valid(&s))
                        snprintf(text, sizeof(text), "%s: %s; class E%d%s%s", set, ri->methods_text,
                                 oracle_class(&s), ri->note[0] != '\0' ? "; " : "", ri->note);
                else
                        snprintf(text, sizeof(text), "%s: not valid (%s)", set,
                                 ri->note[0] != '\0' ? ri->note : ri->methods_text);
                code_line(f, width, 4, code, text);
        }
}

/*
 * Every code the reports use, from the tables the code uses: outcome codes
 * (oracle.h), the matrix rows and harness rows (settings.h, oracle_row_info),
 * the classes (oracle_class_rows, classify_canonical_row), verdicts and cause
 * classes (verdict.h).
 */
static void codes_print(FILE *f, int width)
{
        char text[512], rows[128], methods[32];

        heading(f, width, "Outcome codes (EXPECTED, OBSERVED; docs/outcome-model.md §4):\n");
        for (int o = 0; o < OUTCOME_COUNT; o++)
                code_line(f, width, 4, outcome_name((enum outcome)o),
                          outcome_text((enum outcome)o));
        heading(f, width,
                "\nMatrix rows M1-M%d: the partner configuration (TLS/SASL/dialback; Req, "
                "Opt, NS = Required, Optional, NotSupported; T, F = dialback True, False), "
                "Microsoft's negotiation matrix:\n",
                SETTINGS_ROWS);
        grid_rows(f, width, 'M');
        heading(f, width,
                "\nClasses E1-E%d: the valid rows that look the same on the wire "
                "(docs/outcome-model.md §8); the classification names a class and suggests one of "
                "its rows:\n",
                ORACLE_CLASSES);
        for (int k = 1; k <= ORACLE_CLASSES; k++) {
                struct neg_settings s;
                char code[8];

                if (settings_from_row(classify_canonical_row(k), &s) != 0)
                        continue;
                snprintf(code, sizeof(code), "E%d", k);
                snprintf(text, sizeof(text), "%s; methods %s; suggested M%d",
                         rows_text_of(oracle_class_rows(k), rows, sizeof(rows)),
                         methods_text(oracle_methods(&s, SEMANTICS_MATRIX), ", ", methods,
                                      sizeof(methods)),
                         classify_canonical_row(k));
                code_line(f, width, 4, code, text);
        }
        heading(f, width,
                "\nHarness rows H1-H%d: the harness's own settings in a scenario, the same "
                "grid (a \"strict\" row reads Required SASL as mandatory):\n",
                SETTINGS_ROWS);
        grid_rows(f, width, 'H');
        heading(f, width, "\nVerdicts:\n");
        for (int v = 0; v < VERDICT_COUNT; v++)
                code_line(f, width, 8, verdict_name((enum verdict)v),
                          verdict_text((enum verdict)v));
        heading(f, width, "\nCause classes (whose side a cause is on):\n");
        for (int c = 1; c < CAUSE_CLASS_COUNT; c++)
                code_line(f, width, 19, cause_class_name((enum cause_class)c),
                          cause_class_text((enum cause_class)c));
}

void command_print_codes(FILE *f)
{
        codes_print(f, command_term_width());
}

/* ---- help --man: s2scheck(1) in roff ---- */

/* Text for roff: "-" as "\-", "\" as "\e", a leading "." or "'" escaped. */
static void roff(FILE *f, const char *s, size_t len)
{
        for (size_t i = 0; i < len && s[i] != '\0'; i++) {
                if (i == 0 && (s[i] == '.' || s[i] == '\''))
                        fputs("\\&", f);
                if (s[i] == '-')
                        fputs("\\-", f);
                else if (s[i] == NBSP)
                        fputs("\\ ", f);
                else if (s[i] == '\\')
                        fputs("\\e", f);
                else
                        fputc(s[i], f);
        }
}

static void roff_paragraphs(FILE *f, const char *text)
{
        const char *s = text;

        while (*s != '\0') {
                const char *nl = strchr(s, '\n');
                size_t len = nl != NULL ? (size_t)(nl - s) : strlen(s);

                fputs(".PP\n", f);
                roff(f, s, len);
                fputc('\n', f);
                s = nl != NULL ? nl + 1 : s + len;
        }
}

void command_print_man(FILE *f)
{
        fprintf(f,
                ".\\\" Generated by `s2scheck help --man` from the option tables; do not edit.\n"
                ".TH S2SCHECK 1 \"\" \"s2scheck %s\" \"User Commands\"\n"
                ".SH NAME\ns2scheck \\- check XMPP server\\-to\\-server federation with a "
                "Lync/Skype for Business partner\n.SH SYNOPSIS\n.nh\n.ad l\n",
                S2S_VERSION);
        for (const struct command *c = commands; c->name != NULL; c++) {
                struct optlist l;
                char words[4096];

                command_options(c, &l);
                usage_words(c, &l, words, sizeof(words));
                fputs(".B s2scheck\n", f);
                roff(f, words, strlen(words));
                fputs("\n.br\n", f);
        }
        fputs(".B s2scheck\n\\-\\-help | \\-\\-version | help COMMAND | help codes | help "
              "\\-\\-man | help \\-\\-completion | help \\-\\-options\n",
              f);
        fputs(".SH DESCRIPTION\n.PP\ns2scheck drives real S2S negotiations (RFC 6120, XEP-0220, "
              "XEP-0178) against a partner and compares what happens with what its "
              "configuration implies.\n",
              f);
        fputs(".SH COMMANDS\n", f);
        for (const struct command *c = commands; c->name != NULL; c++) {
                struct optlist l;
                const char *sec = NULL;

                command_options(c, &l);
                fprintf(f, ".SS %s\n", c->name);
                roff(f, c->summary, strlen(c->summary));
                fputc('\n', f);
                roff_paragraphs(f, c->help);
                for (size_t i = 0; i < l.n; i++) {
                        const struct cli_opt *o = &l.o[i];

                        if (sec == NULL || strcmp(sec, section_of(o)) != 0) {
                                sec = section_of(o);
                                fputs(".PP\n", f);
                                roff(f, sec, strlen(sec));
                                fputs(":\n", f);
                        }
                        fputs(".TP\n.B ", f);
                        roff(f, o->name, strlen(o->name));
                        if (o->metavar != NULL) {
                                fputs(" \" \"\n.I ", f);
                                roff(f, o->metavar, strlen(o->metavar));
                        }
                        fputc('\n', f);
                        if (o->help != NULL)
                                roff(f, o->help, strlen(o->help));
                        if (repeatable(o))
                                fputs(" (repeatable)", f);
                        fputc('\n', f);
                }
                if (c->help_tail != NULL) {
                        char *tail = NULL;
                        size_t tlen = 0;
                        FILE *m = open_memstream(&tail, &tlen);

                        if (m != NULL) {
                                c->help_tail(m);
                                fclose(m);
                                fputs(".PP\n.nf\n", f);
                                roff(f, tail, tlen);
                                fputs(".fi\n", f);
                                free(tail);
                        }
                }
        }
        {
                char *codes = NULL;
                size_t clen = 0;
                FILE *m = open_memstream(&codes, &clen);

                /* `help codes`, the vocabulary of the reports, at a fixed width. */
                if (m != NULL) {
                        codes_print(m, 78);
                        fclose(m);
                        fputs(".SH CODES\n.PP\nWhat `s2scheck help codes` prints:\n.PP\n.nf\n", f);
                        roff(f, codes, clen);
                        fputs(".fi\n", f);
                        free(codes);
                }
        }
        fputs(".SH EXIT STATUS\n.TP\n0\nmatch / valid\n.TP\n1\na mismatch; for validate, a "
              "configuration that breaks a Lync rule\n.TP\n2\nusage, configuration or input "
              "error\n.TP\n3\ncould not test\n",
              f);
        fputs(".SH ENVIRONMENT\n.TP\n.B COLUMNS\nthe width help, the text report of run and the "
              "text of list and matrix are wrapped to (else the terminal's, else 80)\n.TP\n"
              ".B NO_COLOR\nset and not empty: run \\-\\-color auto (the default) does not "
              "colour the text report (https://no-color.org)\n",
              f);
        fputs(".SH FILES\n.TP\n.I PREFIX/share/s2scheck/scenarios\nthe default scenario suite, "
              "found relative to the binary (PREFIX/bin/s2scheck); \\-\\-scenarios overrides "
              "it\n",
              f);
        fputs(".SH SEE ALSO\nThe documentation under docs/ in the sources: cli.md, "
              "report\\-json.md, report\\-junit.md, scenarios.md.\n",
              f);
}

/* ---- help --completion: bash ---- */

static bool takes_file(const struct cli_opt *o)
{
        return o->metavar != NULL &&
               (strstr(o->metavar, "FILE") != NULL || strcmp(o->metavar, "F") == 0);
}

void command_print_completion(FILE *f)
{
        fputs("# bash completion for s2scheck; generated by `s2scheck help --completion` from "
              "the option tables.\n"
              "_s2scheck() {\n"
              "\tlocal cur prev cmd opts files dirs values\n"
              "\tcur=${COMP_WORDS[COMP_CWORD]}\n"
              "\tprev=${COMP_WORDS[COMP_CWORD-1]}\n"
              "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
              "\t\tCOMPREPLY=($(compgen -W \"help --help --version",
              f);
        for (const struct command *c = commands; c->name != NULL; c++)
                fprintf(f, " %s", c->name);
        fputs("\" -- \"$cur\"))\n\t\treturn\n\tfi\n\tcmd=${COMP_WORDS[1]}\n\tcase $cmd in\n", f);
        fputs("\thelp) opts=\"", f);
        for (size_t i = 0; help_modes[i] != NULL; i++)
                fprintf(f, "%s ", help_modes[i]);
        for (size_t i = 0; help_topics[i] != NULL; i++)
                fprintf(f, "%s ", help_topics[i]);
        for (const struct command *c = commands; c->name != NULL; c++)
                fprintf(f, "%s ", c->name);
        fputs("\"; files=; dirs=; values= ;;\n", f);
        for (const struct command *c = commands; c->name != NULL; c++) {
                struct optlist l;

                command_options(c, &l);
                fprintf(f, "\t%s)\n\t\topts=\"--help", c->name);
                for (size_t i = 0; i < l.n; i++)
                        fprintf(f, " %s", l.o[i].name);
                fputs("\"\n\t\tfiles=\"", f);
                for (size_t i = 0; i < l.n; i++)
                        if (takes_file(&l.o[i]))
                                fprintf(f, " %s", l.o[i].name);
                fputs("\"\n\t\tdirs=\"", f);
                for (size_t i = 0; i < l.n; i++)
                        if (l.o[i].metavar != NULL && strcmp(l.o[i].metavar, "DIR") == 0)
                                fprintf(f, " %s", l.o[i].name);
                fputs("\"\n\t\tvalues=\"", f);
                for (size_t i = 0; i < l.n; i++)
                        if (l.o[i].metavar != NULL && !takes_file(&l.o[i]) &&
                            strcmp(l.o[i].metavar, "DIR") != 0)
                                fprintf(f, " %s", l.o[i].name);
                fputs("\"\n\t\t;;\n", f);
        }
        fputs("\t*) return ;;\n\tesac\n"
              "\tcase \" $files \" in *\" $prev \"*) COMPREPLY=($(compgen -f -- \"$cur\")); "
              "return ;; esac\n"
              "\tcase \" $dirs \" in *\" $prev \"*) COMPREPLY=($(compgen -d -- \"$cur\")); "
              "return ;; esac\n"
              "\tcase \" $values \" in *\" $prev \"*) COMPREPLY=(); return ;; esac\n"
              "\tif [[ $cur == -* || $cmd == help ]]; then\n"
              "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
              "\telse\n"
              "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
              "\tfi\n"
              "}\n"
              "complete -F _s2scheck s2scheck\n",
              f);
}
