/* `diff`: what changed between two run reports (reportdiff.h, docs/cli.md "diff"). */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "reportdiff.h"
#include "util.h"

int cmd_diff(int argc, char **argv)
{
        const char *pos[2], *fail_on = NULL;
        bool json = false;
        const struct cli_opt opts[] = {
            CLI_FLAG("--json", &json, NULL,
                     "print the changes as JSON (docs/report-json.md, \"Diff\")"),
            CLI_VALUE("--fail-on", "regression", &fail_on, NULL,
                      "exit 1 only when NEW is worse than OLD"),
        };
        struct reportdiff_sum sum;
        char err[1024];
        struct buf out;
        size_t n;
        int rc;

        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 2, &n, err, sizeof(err)) != 0)
                return command_usage_error("diff", err);
        if (n != 2)
                return command_usage_error("diff", "needs OLD.json and NEW.json");
        if (fail_on != NULL && strcmp(fail_on, "regression") != 0)
                return command_usage_error("diff", "--fail-on takes 'regression'");
        buf_init(&out, 0);
        if (reportdiff(pos[0], pos[1], NULL, json, &out, &sum, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck diff: %s\n", err);
                buf_cleanup(&out);
                return EXIT_USAGE;
        }
        rc = fwrite(out.data, 1, out.len, stdout) == out.len && fflush(stdout) == 0
                 ? (fail_on != NULL ? (sum.worse ? EXIT_MISMATCH : EXIT_MATCH)
                                    : (sum.changed ? EXIT_MISMATCH : EXIT_MATCH))
                 : EXIT_UNTESTABLE;
        buf_cleanup(&out);
        return rc;
}
