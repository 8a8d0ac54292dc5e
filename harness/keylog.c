#include "keylog.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"

struct keylog {
        int fd;
        size_t lines, failed;
};

struct keylog *keylog_open(const char *opt, const char *path, FILE *note, char *err, size_t errlen)
{
        struct keylog *k;
        struct stat st;
        int fd;

        if (path == NULL || path[0] == '\0') {
                snprintf(err, errlen, "%s needs a file name", opt);
                return NULL;
        }
        /* Checked before open: opening a FIFO for writing would wait for a reader. */
        if (stat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                snprintf(err, errlen,
                         "%s %s: not a regular file but %s: name a file (created 0600, lines "
                         "appended)",
                         opt, path, infile_kind(st.st_mode));
                return NULL;
        }
        /* O_NONBLOCK: a FIFO put there since the stat fails instead of blocking. */
        fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOCTTY | O_CLOEXEC | O_NONBLOCK, 0600);
        if (fd < 0) {
                snprintf(err, errlen,
                         "%s %s: cannot open it for writing (%s): name a file in a folder you "
                         "can write",
                         opt, path, strerror(errno));
                return NULL;
        }
        if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
                snprintf(err, errlen, "%s %s: not a regular file: name a file", opt, path);
                close(fd);
                return NULL;
        }
        if (note != NULL)
                fprintf(note,
                        "s2scheck: %s %s: on: the TLS secrets of this run are appended there "
                        "(a debugging aid: with a capture they decrypt every stream; delete the "
                        "file after use)\n",
                        opt, path);
        if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0 && note != NULL)
                fprintf(note,
                        "s2scheck: %s %s: the file can be read by others (mode %03o): "
                        "chmod 600 it, it holds TLS secrets\n",
                        opt, path, (unsigned)(st.st_mode & 0777));
        k = calloc(1, sizeof(*k));
        if (k == NULL) {
                snprintf(err, errlen, "out of memory");
                close(fd);
                return NULL;
        }
        k->fd = fd;
        return k;
}

int keylog_option(const char *cmd, const char *path, struct keylog **out)
{
        char err[1200];

        *out = NULL;
        if (path == NULL)
                return 0;
        *out = keylog_open("--keylog", path, stderr, err, sizeof(err));
        if (*out != NULL)
                return 0;
        fprintf(stderr, "s2scheck %s: %s\n", cmd, err);
        return -1;
}

void keylog_write(void *user, const char *line)
{
        struct keylog *k = user;
        size_t len = strlen(line);
        ssize_t n;

        /* A regular file in append mode: one write is one line, whole or failed. */
        do
                n = write(k->fd, line, len);
        while (n < 0 && errno == EINTR);
        if (n == (ssize_t)len)
                k->lines++;
        else
                k->failed++;
}

size_t keylog_lines(const struct keylog *k)
{
        return k != NULL ? k->lines : 0;
}

size_t keylog_failed(const struct keylog *k)
{
        return k != NULL ? k->failed : 0;
}

void keylog_close(struct keylog *k)
{
        if (k == NULL)
                return;
        close(k->fd);
        free(k);
}
