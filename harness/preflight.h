/*
 * Operator mistakes caught before the first scenario (design.md §7, "Preflight
 * before the suite"): an input file that is a FIFO or a device, a report path that
 * cannot be written or is not a regular file, a port that cannot be bound. Each
 * message names the option, the path and the fix, and the command exits 2
 * (docs/cli.md) in seconds instead of after a run of minutes.
 */
#ifndef S2S_PREFLIGHT_H
#define S2S_PREFLIGHT_H

#include <stdbool.h>
#include <stddef.h>

/* "-" as a report path: standard output (docs/cli.md). */
bool preflight_is_stdout(const char *path);

/*
 * An input file given by option opt (e.g. "--partner"): when path exists it must be a
 * regular file (symbolic links followed). A missing file is left to its loader, which
 * says so in its own terms. Returns 0, or -1 with "OPT PATH: why: fix" in err.
 */
int preflight_input(const char *opt, const char *path, char *err, size_t errlen);

/* One input file and the option that named it; a NULL path (option not given) passes. */
struct preflight_file {
        const char *opt;
        const char *path;
};

/* preflight_input for files[0..n). Returns 0, or -1 with the first error in err. */
int preflight_inputs(const struct preflight_file *files, size_t n, char *err, size_t errlen);

/*
 * A report file given by opt (e.g. "--json"): "-" passes; otherwise its directory
 * exists and is writable, and path itself does not exist or is a regular file (not a
 * symbolic link: the atomic writer would replace the link, e.g. /dev/stdout). Returns
 * 0, or -1 with "OPT PATH: why: fix" in err.
 */
int preflight_report(const char *opt, const char *path, char *err, size_t errlen);

/*
 * A report directory given by opt (e.g. "--transcripts"): an existing writable
 * directory, or a name that can be created in an existing writable directory.
 * Returns 0, or -1 with "OPT PATH: why: fix" in err.
 */
int preflight_report_dir(const char *opt, const char *path, char *err, size_t errlen);

/*
 * Rewrites err, the reason a listener on addr (given by opt, e.g. "--listen") could
 * not be set up, as "OPT ADDR: cannot listen: REASON: fix".
 */
void preflight_listen_failed(const char *opt, const char *addr, char *err, size_t errlen);

#endif
