#include "infile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *infile_kind(mode_t mode)
{
        if (S_ISREG(mode))
                return "a regular file";
        if (S_ISDIR(mode))
                return "a directory";
        if (S_ISFIFO(mode))
                return "a FIFO";
        if (S_ISCHR(mode))
                return "a character device";
        if (S_ISBLK(mode))
                return "a block device";
        if (S_ISSOCK(mode))
                return "a socket";
        return "not a regular file";
}

static enum infile_status not_regular(mode_t mode, char *err, size_t errlen)
{
        snprintf(err, errlen, "not a regular file but %s", infile_kind(mode));
        return INFILE_NOT_REGULAR;
}

enum infile_status infile_read(const char *path, size_t max, char **data, size_t *len, char *err,
                               size_t errlen)
{
        struct stat st;
        char *b = NULL;
        size_t n = 0;
        enum infile_status rc = INFILE_UNREADABLE;
        int fd;

        /* Checked before the open: opening a device can have effects of its own. */
        if (stat(path, &st) != 0) {
                snprintf(err, errlen, "cannot open: %s", strerror(errno));
                return INFILE_UNREADABLE;
        }
        if (!S_ISREG(st.st_mode))
                return not_regular(st.st_mode, err, errlen);
        /* And again on what was opened: the name may have been swapped in between. */
        fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (fd < 0) {
                snprintf(err, errlen, "cannot open: %s", strerror(errno));
                return INFILE_UNREADABLE;
        }
        if (fstat(fd, &st) != 0) {
                snprintf(err, errlen, "cannot read: %s", strerror(errno));
                goto out;
        }
        if (!S_ISREG(st.st_mode)) {
                rc = not_regular(st.st_mode, err, errlen);
                goto out;
        }
        b = malloc(max + 2);
        if (b == NULL) {
                snprintf(err, errlen, "out of memory");
                rc = INFILE_NO_MEMORY;
                goto out;
        }
        /* One byte more than allowed tells a file that is too large. */
        while (n <= max) {
                ssize_t k = read(fd, b + n, max + 1 - n);

                if (k < 0 && errno == EINTR)
                        continue;
                if (k < 0) {
                        snprintf(err, errlen, "cannot read: %s", strerror(errno));
                        goto out;
                }
                if (k == 0)
                        break;
                n += (size_t)k;
        }
        if (n > max) {
                snprintf(err, errlen, "larger than %zu bytes", max);
                rc = INFILE_TOO_LARGE;
                goto out;
        }
        b[n] = '\0';
        *data = b;
        *len = n;
        b = NULL;
        rc = INFILE_OK;
out:
        free(b);
        close(fd);
        return rc;
}

enum infile_status infile_read_opt(const char *opt, const char *path, const char *fix, size_t max,
                                   char **data, size_t *len, char *err, size_t errlen)
{
        char why[256];
        enum infile_status st = infile_read(path, max, data, len, why, sizeof(why));

        if (st != INFILE_OK)
                snprintf(err, errlen, "%s %s: %s: %s", opt, path, why, fix);
        return st;
}
