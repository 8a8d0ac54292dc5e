/*
 * The subcommands of s2scheck. Each takes the words after its name and returns
 * an exit code (enum exit_code). Reports go to stdout, diagnostics to stderr.
 */
#ifndef S2S_COMMANDS_H
#define S2S_COMMANDS_H

#include <stdio.h>

struct command {
        const char *name;
        const char *usage;   /* one line: "validate PARTNER [--identity D] [--cmdlet]" */
        const char *summary; /* one line for the command list */
        const char *help;    /* the rest of `s2scheck help NAME` */
        int (*run)(int argc, char **argv);
        void (*help_tail)(FILE *f); /* NULL, or prints more help from a table */
};

/* The command table, terminated by an entry with name NULL. */
extern const struct command commands[];

/* The command called name, or NULL. */
const struct command *command_find(const char *name);

/* The command list, for --help and usage errors. */
void command_print_usage(FILE *f);

/* Prints "s2scheck: MSG" and the command's usage to stderr; returns EXIT_USAGE. */
int command_usage_error(const char *name, const char *msg);

int cmd_validate(int argc, char **argv);
int cmd_matrix(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_serve(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_merge(int argc, char **argv);
int cmd_diff(int argc, char **argv);

/* serve --help: the --misbehave names (hostile_print). */
void cmd_serve_help_tail(FILE *f);

#endif
