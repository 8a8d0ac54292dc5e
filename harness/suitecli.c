#include "suitecli.h"

#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "datadir.h"
#include "preflight.h"
#include "quirks.h"
#include "util.h"

void suite_cli_opts(struct suite_cli *sc, struct cli_opt *opts)
{
        memset(sc, 0, sizeof(*sc));
        memset(opts, 0, SUITE_CLI_NOPTS * sizeof(*opts));
        opts[0] = (struct cli_opt){.name = "--scenarios",
                                   .metavar = "DIR",
                                   .value = &sc->dir,
                                   .help = "use the scenarios of DIR instead of the default suite "
                                           "(PREFIX/share/s2scheck/scenarios; docs/cli.md, Files)",
                                   .section = "Scenarios"};
        opts[1] = (struct cli_opt){.name = "--add-scenarios",
                                   .help = "add the scenarios of DIR; ids stay unique",
                                   .section = "Scenarios",
                                   .metavar = "DIR",
                                   .list = sc->add,
                                   .list_len = &sc->n_add,
                                   .list_cap = ARRAY_LEN(sc->add)};
        opts[2] = (struct cli_opt){.name = "--quirks",
                                   .help = "a quirks file: known deviations of the partner, "
                                           "accepted with a reason (docs/scenarios.md)",
                                   .section = "Scenarios",
                                   .metavar = "FILE",
                                   .list = sc->quirks,
                                   .list_len = &sc->n_quirks,
                                   .list_cap = ARRAY_LEN(sc->quirks)};
        opts[3] = (struct cli_opt){.name = "--only",
                                   .help = "keep the scenarios with this tag, id or direction",
                                   .section = "Scenarios",
                                   .metavar = "TAG",
                                   .list = sc->only,
                                   .list_len = &sc->n_only,
                                   .list_cap = ARRAY_LEN(sc->only)};
        opts[4] = (struct cli_opt){.name = "--skip",
                                   .help = "drop the scenarios with this tag, id or direction",
                                   .section = "Scenarios",
                                   .metavar = "TAG",
                                   .list = sc->skip,
                                   .list_len = &sc->n_skip,
                                   .list_cap = ARRAY_LEN(sc->skip)};
}

int suite_cli_load(const struct suite_cli *sc, const char *command,
                   const struct neg_settings *partner, struct scenario_suite *suite)
{
        char err[1024];

        if (scenario_load_dir(sc->dir != NULL ? sc->dir : data_scenarios_dir(), suite, err,
                              sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck: %s\n", err);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < sc->n_add; i++) {
                if (scenario_suite_add_dir(suite, sc->add[i], err, sizeof(err)) != 0)
                        goto fail;
        }
        for (size_t i = 0; i < sc->n_quirks; i++) {
                if (preflight_input("--quirks", sc->quirks[i], err, sizeof(err)) != 0 ||
                    quirks_apply(suite, sc->quirks[i], partner, err, sizeof(err)) != 0)
                        goto fail;
        }
        if (scenario_select(suite, sc->only, sc->n_only, sc->skip, sc->n_skip, err, sizeof(err)) !=
            0) {
                scenario_suite_cleanup(suite);
                return command_usage_error(command, err);
        }
        return EXIT_MATCH;
fail:
        fprintf(stderr, "s2scheck: %s\n", err);
        scenario_suite_cleanup(suite);
        return EXIT_USAGE;
}
