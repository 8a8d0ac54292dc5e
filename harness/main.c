/* s2scheck: the command line. Dispatches to the subcommands in commands[]. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

/* S2S_CONTRACT (CMakeLists.txt): bumped with every change of the CLI, exit codes or
 * report fields that a script or CI job may rely on (docs/cli.md, "Versions"). */
#ifndef S2S_CONTRACT
#define S2S_CONTRACT 0
#endif

static void unknown_command(const char *who, const char *name)
{
        const char *guess = command_suggest(name);

        if (guess != NULL)
                fprintf(stderr, "%s: unknown command '%s'; did you mean %s?\n", who, name, guess);
        else
                fprintf(stderr, "%s: unknown command '%s'\n", who, name);
        command_print_usage(stderr);
}

static int help(int argc, char **argv)
{
        const struct command *c;

        if (argc == 0) {
                command_print_usage(stdout);
                command_print_text(stdout, "\nExit codes: 0 match/valid, 1 mismatch (validate: "
                                           "breaks a Lync rule), 2 usage or configuration error, "
                                           "3 could not test. See docs/cli.md.\n");
                return EXIT_MATCH;
        }
        if (argc > 1) {
                fprintf(stderr, "s2scheck help: unexpected argument '%s'\n", argv[1]);
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[0], "--man") == 0) {
                command_print_man(stdout);
                return EXIT_MATCH;
        }
        if (strcmp(argv[0], "--completion") == 0) {
                command_print_completion(stdout);
                return EXIT_MATCH;
        }
        if (strcmp(argv[0], "codes") == 0) {
                command_print_codes(stdout);
                return EXIT_MATCH;
        }
        if (strcmp(argv[0], "--options") == 0) {
                command_print_options(stdout);
                return EXIT_MATCH;
        }
        c = command_find(argv[0]);
        if (c == NULL && argv[0][0] == '-') {
                const char *guess = command_suggest_help_mode(argv[0]);

                fprintf(stderr, "s2scheck help: unknown option '%s'%s%s%s\n", argv[0],
                        guess != NULL ? "; did you mean " : "", guess != NULL ? guess : "",
                        guess != NULL ? "?" : "");
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        if (c == NULL) {
                unknown_command("s2scheck help", argv[0]);
                return EXIT_USAGE;
        }
        command_print_help(stdout, c);
        return EXIT_MATCH;
}

int main(int argc, char **argv)
{
        const struct command *c;

        /* TLS secrets leave the process only through --keylog (docs/security.md):
         * GnuTLS would otherwise append every session's secrets to $SSLKEYLOGFILE on its
         * own (it reads the variable at its first handshake), and so would the run's
         * children (run --all). */
        unsetenv("SSLKEYLOGFILE");
        if (argc < 2) {
                fprintf(stderr, "s2scheck: missing command\n");
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("s2scheck %s (contract %d)\n", S2S_VERSION, S2S_CONTRACT);
                return EXIT_MATCH;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
                return help(0, NULL);
        if (strcmp(argv[1], "help") == 0)
                return help(argc - 2, argv + 2);
        c = command_find(argv[1]);
        if (c == NULL) {
                unknown_command("s2scheck", argv[1]);
                return EXIT_USAGE;
        }
        for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return help(1, argv + 1);
        }
        return c->run(argc - 2, argv + 2);
}
