/* The command table and the usage error shared by the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "scenario.h"

const struct command commands[] = {
    {"validate", "validate PARTNER [--identity DOMAIN] [--cmdlet]",
     "check a partner configuration against the Lync rules",
     "Reads PARTNER (our XML format or the text Get-CsXmppAllowedPartner prints; the format\n"
     "is detected) and prints its row of Microsoft's negotiation matrix (M1-M18), whether\n"
     "the configuration is valid and, for an invalid one, the rule it breaks and the fix.\n"
     "\n"
     "  --identity DOMAIN  pick one partner from a file that holds several\n"
     "  --cmdlet           also print the equivalent New-CsXmppAllowedPartner command\n"
     "\n"
     "Exit: 0 valid, 2 invalid configuration or bad input.\n",
     cmd_validate},
    {"matrix", "matrix PARTNER [--identity DOMAIN] [--json] [--strict]",
     "print the expected outcome of every harness setting against a partner",
     "Prints the partner's row, validity, accepted methods (S, Dt, Dp) and class (E1-E7),\n"
     "then for each of the 18 harness-side settings H1-H18 and both directions\n"
     "(outbound: the harness initiates; inbound: the partner initiates) the expected\n"
     "outcome (S, Dt, Dp, F0-F4) and the rule behind it.\n"
     "\n"
     "  --identity DOMAIN  pick one partner from a file that holds several\n"
     "  --json             print the JSON form documented in docs/json-matrix.md\n"
     "  --strict           read the harness side with strict semantics (reference §3.5)\n"
     "\n"
     "Exit: 0 printed, 2 bad input.\n",
     cmd_matrix},
    {"list",
     "list [--scenarios DIR] [--add-scenarios DIR]... [--only TAG]... [--skip TAG]... [--json]",
     "list the scenarios a run would use",
     "Loads the scenario suite (every *.xml file of the folder, strictly checked; see\n"
     "docs/scenarios.md) and prints one line per selected scenario: id, direction,\n"
     "harness TLS/SASL/dialback, tags and title, then the count.\n"
     "\n"
     "  --scenarios DIR      use DIR instead of the default suite (" SCENARIO_DEFAULT_DIR ")\n"
     "  --add-scenarios DIR  add the scenarios of DIR (repeatable); ids stay unique\n"
     "  --only TAG           keep scenarios with this tag, id or direction (repeatable)\n"
     "  --skip TAG           drop scenarios with this tag, id or direction (repeatable)\n"
     "  --json               print the selection as JSON\n"
     "\n"
     "A --only/--skip word that matches no scenario is an error.\n"
     "Exit: 0 listed, 2 bad option or a suite that does not load (one line on stderr).\n",
     cmd_list},
    {NULL, NULL, NULL, NULL, NULL},
};

const struct command *command_find(const char *name)
{
        for (const struct command *c = commands; c->name != NULL; c++) {
                if (strcmp(c->name, name) == 0)
                        return c;
        }
        return NULL;
}

void command_print_usage(FILE *f)
{
        fprintf(f, "usage: s2scheck COMMAND [ARGS]\n"
                   "       s2scheck --help | --version | help COMMAND\n\ncommands:\n");
        for (const struct command *c = commands; c->name != NULL; c++)
                fprintf(f, "  %-10s %s\n", c->name, c->summary);
}

int command_usage_error(const char *name, const char *msg)
{
        const struct command *c = command_find(name);

        fprintf(stderr, "s2scheck %s: %s\n", name, msg);
        if (c != NULL)
                fprintf(stderr, "usage: s2scheck %s\n", c->usage);
        return EXIT_USAGE;
}
