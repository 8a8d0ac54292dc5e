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
        /* The documentation, the one source of --help, the man page and the completion
         * (commands.c): one line of help (wrapped to the terminal), the section it is
         * listed under (NULL: "Options"), and whether the usage line shows it as
         * required (the command still checks it). */
        const char *help;
        const char *section;
        bool required;
};

/* Rows of an option table: an option with a value, a required one, a flag. */
#define CLI_VALUE(n, mv, var, sec, h)                                                              \
        {                                                                                          \
                .name = (n), .metavar = (mv), .value = (var), .section = (sec), .help = (h)        \
        }
#define CLI_REQUIRED(n, mv, var, sec, h)                                                           \
        {                                                                                          \
                .name = (n), .metavar = (mv), .value = (var), .section = (sec), .help = (h),       \
                .required = true                                                                   \
        }
#define CLI_FLAG(n, var, sec, h)                                                                   \
        {                                                                                          \
                .name = (n), .flag = (var), .section = (sec), .help = (h)                          \
        }

/* The rows several commands share, with one text each. */
#define CLI_PARTNER(var)                                                                           \
        CLI_REQUIRED("--partner", "FILE", var, "Partner", "the partner configuration")
#define CLI_IDENTITY(var)                                                                          \
        CLI_VALUE("--identity", "DOMAIN", var, "Partner",                                          \
                  "pick one partner from a file that holds several")

#define CLI_KEYLOG(var)                                                                            \
        CLI_VALUE("--keylog", "FILE", var, "Debugging",                                            \
                  "append the TLS secrets of every session to FILE (created 0600; the "            \
                  "SSLKEYLOGFILE format Wireshark reads; never in a report; docs/security.md)")

/*
 * Describe mode: while fn is set, cli_parse parses nothing; it hands the table to
 * fn and fails, and command_usage_error returns quietly, so that calling a command
 * with no arguments yields its option table (the help generator's source).
 */
typedef void (*cli_describe_fn)(const struct cli_opt *opts, size_t nopts, size_t max_pos,
                                void *ctx);
void cli_describe_begin(cli_describe_fn fn, void *ctx);
void cli_describe_end(void);
bool cli_describing(void);

/*
 * Parses argv[0..argc) (the words after the subcommand). Positional words go to
 * pos (at most max_pos); `--` ends the options. Returns 0, or -1 with a one-line
 * message in err (unknown option, with the closest known name as "did you mean";
 * missing value; too many arguments).
 */
int cli_parse(int argc, char **argv, const struct cli_opt *opts, size_t nopts, const char **pos,
              size_t max_pos, size_t *npos, char *err, size_t errlen);

/* Parses a whole number in [min, max] from text. Returns 0 or -1. */
int cli_number(const char *text, long min, long max, long *out);

#endif
