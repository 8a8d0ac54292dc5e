/*
 * Reading a file the operator named (a partner configuration, a scenario, a
 * quirks file, a CA, certificate or key), whole and bounded, without ever
 * blocking: a FIFO, a device, a socket or a directory is refused, never opened
 * for a read that could wait forever (issue 9: a FIFO as --partner hung the run).
 */
#ifndef S2S_INFILE_H
#define S2S_INFILE_H

#include <stddef.h>
#include <sys/types.h>

/* What a file type is called in messages: "a FIFO", "a directory", "a character
 * device"...; "a regular file" for S_IFREG. Static storage. */
const char *infile_kind(mode_t mode);

enum infile_status {
        INFILE_OK = 0,
        INFILE_UNREADABLE,  /* cannot open or read (missing, permissions, I/O) */
        INFILE_NOT_REGULAR, /* a FIFO, device, socket or directory: never read */
        INFILE_TOO_LARGE,   /* more than max bytes */
        INFILE_NO_MEMORY,
};

/*
 * Reads path whole into *data (NUL-terminated, caller frees; it may hold NUL bytes)
 * and its length into *len, at most max bytes. Only a regular file is read: the type
 * is checked before the open and again on the opened descriptor (O_NONBLOCK |
 * O_NOCTTY, so a FIFO or terminal swapped in between cannot block or become the
 * controlling terminal). Returns INFILE_OK, or another status with the reason in err,
 * without the file name ("cannot open: No such file or directory", "not a regular file
 * but a FIFO", "larger than 65536 bytes").
 */
enum infile_status infile_read(const char *path, size_t max, char **data, size_t *len, char *err,
                               size_t errlen);

/* infile_read for a file the operator gave with option opt (e.g. "--key"): the error
 * is "OPT PATH: why: fix". */
enum infile_status infile_read_opt(const char *opt, const char *path, const char *fix, size_t max,
                                   char **data, size_t *len, char *err, size_t errlen);

#endif
