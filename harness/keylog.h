/*
 * The TLS key log (`--keylog F`, docs/cli.md, docs/security.md "Decrypting a capture"):
 * the secrets of every TLS session of a run, one NSS key log line each (the
 * SSLKEYLOGFILE format Wireshark reads), appended to a file the operator names.
 *
 * A debugging aid, off unless asked for. The lines come from tls.c (the sessions'
 * keylog hook, tls_creds_config.keylog); this module only owns the file, so that the
 * TLS layer stays free of I/O. No report, log or transcript ever holds a line of it.
 */
#ifndef S2S_KEYLOG_H
#define S2S_KEYLOG_H

#include <stddef.h>
#include <stdio.h>

struct keylog;

/*
 * Opens path for appending (created with mode 0600; an existing regular file is
 * appended to as it is). opt is how the operator named it ("--keylog"), for the
 * errors. Refuses a directory, a FIFO, a device or anything that is not a regular
 * file, and a path that cannot be written, with "OPT PATH: why: fix" in err; NULL
 * then. On success writes to note (may be NULL; the command's stderr) that the key log
 * is on and where, and a warning when an existing file can be read by others.
 */
struct keylog *keylog_open(const char *opt, const char *path, FILE *note, char *err, size_t errlen);

/*
 * The --keylog option of command cmd ("run"): path NULL leaves *out NULL (off);
 * else keylog_open with the note on stderr, and on failure one line
 * "s2scheck CMD: --keylog PATH: why: fix" on stderr. Returns 0, or -1 (exit 2).
 */
int keylog_option(const char *cmd, const char *path, struct keylog **out);

/*
 * Appends one line (with its newline) in one write, so that the runs of a fleet
 * sharing the file do not interleave. user is the struct keylog (the signature of
 * tls_creds_config.keylog). A failed write is counted, never fatal to the run.
 */
void keylog_write(void *user, const char *line);

/* The number of lines written, and of lines that could not be written. */
size_t keylog_lines(const struct keylog *k);
size_t keylog_failed(const struct keylog *k);

/* Closes the file. NULL-safe. */
void keylog_close(struct keylog *k);

#endif
