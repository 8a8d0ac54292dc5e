/* s2scheck: the command line. Dispatches to the subcommands in commands[]. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"

static int help(int argc, char **argv)
{
        const struct command *c;

        if (argc == 0) {
                command_print_usage(stdout);
                printf("\nExit codes: 0 match/valid, 1 mismatch, 2 usage or configuration error,\n"
                       "3 could not test. See docs/cli.md.\n");
                return EXIT_MATCH;
        }
        if (argc > 1) {
                fprintf(stderr, "s2scheck help: unexpected argument '%s'\n", argv[1]);
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        c = command_find(argv[0]);
        if (c == NULL) {
                fprintf(stderr, "s2scheck help: unknown command '%s'\n", argv[0]);
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        printf("usage: s2scheck %s\n\n%s", c->usage, c->help);
        if (c->help_tail != NULL)
                c->help_tail(stdout);
        return EXIT_MATCH;
}

int main(int argc, char **argv)
{
        const struct command *c;

        if (argc < 2) {
                fprintf(stderr, "s2scheck: missing command\n");
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        if (strcmp(argv[1], "--version") == 0) {
                printf("s2scheck %s\n", S2S_VERSION);
                return EXIT_MATCH;
        }
        if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
                return help(0, NULL);
        if (strcmp(argv[1], "help") == 0)
                return help(argc - 2, argv + 2);
        c = command_find(argv[1]);
        if (c == NULL) {
                fprintf(stderr, "s2scheck: unknown command '%s'\n", argv[1]);
                command_print_usage(stderr);
                return EXIT_USAGE;
        }
        for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
                if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
                        return help(1, argv + 1);
        }
        return c->run(argc - 2, argv + 2);
}
