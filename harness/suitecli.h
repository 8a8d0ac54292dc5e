/*
 * The suite options that `list` and `run` share (docs/cli.md): --scenarios,
 * --add-scenarios, --quirks, --only, --skip, and loading the suite they name.
 */
#ifndef S2S_SUITECLI_H
#define S2S_SUITECLI_H

#include <stddef.h>

#include "cli.h"
#include "scenario.h"
#include "settings.h"

#define SUITE_CLI_NOPTS 5
#define SUITE_CLI_WORDS_MAX 64

struct suite_cli {
        const char *dir; /* --scenarios; NULL: data_scenarios_dir() */
        const char *add[16];
        size_t n_add;
        const char *quirks[8];
        size_t n_quirks;
        const char *only[SUITE_CLI_WORDS_MAX];
        size_t n_only;
        const char *skip[SUITE_CLI_WORDS_MAX];
        size_t n_skip;
};

/* Zeroes sc and fills opts[0..SUITE_CLI_NOPTS) with option entries that write
 * into sc (which must outlive the parse). */
void suite_cli_opts(struct suite_cli *sc, struct cli_opt *opts);

/*
 * Loads the suite sc names: the folder, the added folders, the quirks files
 * (quirks.h; partner is the run's configuration for their conditions, NULL for
 * none), then the selection. A suite that does not load does not run:
 * returns EXIT_MATCH with *suite filled (scenario_suite_cleanup), or EXIT_USAGE
 * after printing one line (and, for a selection word, command's usage) to
 * stderr, with *suite empty.
 */
int suite_cli_load(const struct suite_cli *sc, const char *command,
                   const struct neg_settings *partner, struct scenario_suite *suite);

#endif
