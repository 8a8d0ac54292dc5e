/*
 * The subcommands of s2scheck. Each takes the words after its name and returns
 * an exit code (enum exit_code). Reports go to stdout, diagnostics to stderr.
 */
#ifndef S2S_COMMANDS_H
#define S2S_COMMANDS_H

#include <stdio.h>

struct command {
        const char *name;
        const char *args;    /* the positional arguments ("PARTNER"), or NULL */
        const char *summary; /* one line for the command list */
        const char *help;    /* the prose of `s2scheck help NAME`, one paragraph a line; the
                              * usage line and the options come from the option table */
        /* Must call cli_parse with its whole option table before anything with an effect,
         * and return command_usage_error(...) when it fails: help, the man page and the
         * completion call it in describe mode (cli_describe_begin) to read the table. */
        int (*run)(int argc, char **argv);
        void (*help_tail)(FILE *f); /* NULL, or prints more help from a table */
};

/* The command table, terminated by an entry with name NULL. */
extern const struct command commands[];

/* The command called name, or NULL. */
const struct command *command_find(const char *name);

/* The command closest to a misspelt name (edit distance <= 2), or NULL. */
const char *command_suggest(const char *name);

/* The `help` mode (--man, --completion, --options) closest to name, or NULL. */
const char *command_suggest_help_mode(const char *name);

/* The command list, for --help and usage errors. */
void command_print_usage(FILE *f);

/* `help NAME`: the usage line, the prose and the options, wrapped to the terminal. */
void command_print_help(FILE *f, const struct command *c);

/* Prints text, one paragraph a line, wrapped to command_term_width(). */
void command_print_text(FILE *f, const char *text);

/* The width help is wrapped to: COLUMNS, else the terminal's (TIOCGWINSZ), else 80. */
int command_term_width(void);

/* `help --man`, `help --completion` (bash), `help --options` (one line per option:
 * COMMAND, OPTION, METAVAR or "-", SECTION, HELP, tab-separated). */
void command_print_man(FILE *f);
void command_print_completion(FILE *f);
void command_print_options(FILE *f);

/* `help codes`: every code the reports use (outcome codes, matrix rows, classes,
 * harness rows, verdicts, cause classes), from the tables the code uses. */
void command_print_codes(FILE *f);

/* Prints "s2scheck: MSG" and the command's usage to stderr; returns EXIT_USAGE.
 * In describe mode (cli_describe_begin) prints nothing and returns EXIT_MATCH. */
int command_usage_error(const char *name, const char *msg);

int cmd_validate(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_rules(int argc, char **argv);

/* serve --help: the --misbehave names (hostile_print). */
void cmd_serve_help_tail(FILE *f);

#endif
