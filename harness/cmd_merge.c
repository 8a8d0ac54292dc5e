/* `merge`: the roll-up of a sharded fleet (docs/fleet.md). */
#include <stdio.h>

#include "cli.h"
#include "commands.h"
#include "fleet.h"
#include "util.h"

int cmd_merge(int argc, char **argv)
{
        const char *out = NULL, *dirs[FLEET_SHARDS_MAX];
        const struct cli_opt opts[] = {
            CLI_REQUIRED("--out", "DIR", &out, NULL,
                         "the folder the fleet's roll-up is written to"),
        };
        char err[256];
        size_t n;

        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), dirs, ARRAY_LEN(dirs), &n, err,
                      sizeof(err)) != 0)
                return command_usage_error("merge", err);
        if (out == NULL)
                return command_usage_error("merge", "missing --out DIR");
        if (n == 0)
                return command_usage_error("merge", "missing SHARD_DIR (the --out folders of "
                                                    "run --all --shard K/N)");
        return fleet_merge(dirs, n, out);
}
