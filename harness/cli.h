/*
 * Command-line parsing shared by the subcommands: long options (`--name VALUE`,
 * `--name=VALUE`, flags), positional arguments, and one-line errors that the
 * caller prints with the usage (exit 2).
 */
#ifndef S2S_CLI_H
#define S2S_CLI_H

#include <stdbool.h>
#include <stddef.h>

/* Exit codes: a contract for CI jobs (docs/cli.md). */
enum exit_code {
        EXIT_MATCH = 0,      /* everything matched / valid */
        EXIT_MISMATCH = 1,   /* at least one mismatch */
        EXIT_USAGE = 2,      /* usage, configuration or input error; invalid configuration */
        EXIT_UNTESTABLE = 3, /* could not test: DNS, connect, timeout, internal error */
};

struct cli_opt {
        const char *name;    /* "--json" */
        const char *metavar; /* "FILE" for an option with a value; NULL for a flag */
        const char **value;  /* set for an option with a value (last one wins unless list) */
        bool *flag;          /* set to true for a flag */
        /* For repeatable options: every value is appended here (borrowed argv strings). */
        const char **list;
        size_t *list_len;
        size_t list_cap;
};

/*
 * Parses argv[0..argc) (the words after the subcommand). Positional words go to
 * pos (at most max_pos); `--` ends the options. Returns 0, or -1 with a one-line
 * message in err (unknown option, missing value, too many arguments).
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts, const char **pos,
              size_t max_pos, size_t *npos, char *err, size_t errlen);

/* Parses a whole number in [min, max] from text. Returns 0 or -1. */
int cli_number(const char *text, long min, long max, long *out);

#endif
