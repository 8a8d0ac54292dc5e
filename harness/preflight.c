#include "preflight.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"

/* Big enough for a path and a reason around it. */
#define PF_PATH 4096

bool preflight_is_stdout(const char *path)
{
        return path != NULL && strcmp(path, "-") == 0;
}

int preflight_input(const char *opt, const char *path, char *err, size_t errlen)
{
        struct stat st;

        if (stat(path, &st) != 0 || S_ISREG(st.st_mode))
                return 0;
        snprintf(err, errlen,
                 "%s %s: not a regular file but %s: pass the file itself (reading a FIFO or a "
                 "device could block the run)",
                 opt, path, infile_kind(st.st_mode));
        return -1;
}

int preflight_inputs(const struct preflight_file *files, size_t n, char *err, size_t errlen)
{
        for (size_t i = 0; i < n; i++) {
                if (files[i].path != NULL &&
                    preflight_input(files[i].opt, files[i].path, err, errlen) != 0)
                        return -1;
        }
        return 0;
}

/* The directory a new entry `path` goes into: "." for a bare name. */
static void parent_of(const char *path, char *dir, size_t len)
{
        const char *slash = strrchr(path, '/');

        if (slash == NULL)
                snprintf(dir, len, ".");
        else if (slash == path)
                snprintf(dir, len, "/");
        else
                snprintf(dir, len, "%.*s", (int)(slash - path), path);
}

/* The directory exists and the program may create files in it. */
static int writable_dir(const char *opt, const char *path, const char *dir, char *err,
                        size_t errlen)
{
        struct stat st;

        if (stat(dir, &st) != 0) {
                snprintf(err, errlen,
                         "%s %s: the directory %s cannot be used (%s): create it, or choose a "
                         "path in an existing directory",
                         opt, path, dir, strerror(errno));
                return -1;
        }
        if (!S_ISDIR(st.st_mode)) {
                snprintf(err, errlen, "%s %s: %s is not a directory but %s: choose another path",
                         opt, path, dir, infile_kind(st.st_mode));
                return -1;
        }
        /* access(2) also says EROFS for a read-only file system, even to root. */
        if (access(dir, W_OK | X_OK) != 0) {
                snprintf(err, errlen,
                         "%s %s: cannot write in %s (%s): choose a directory you can write in", opt,
                         path, dir, strerror(errno));
                return -1;
        }
        return 0;
}

int preflight_report(const char *opt, const char *path, char *err, size_t errlen)
{
        char dir[PF_PATH];
        struct stat st;
        const char *base;

        if (preflight_is_stdout(path))
                return 0;
        base = strrchr(path, '/');
        base = base != NULL ? base + 1 : path;
        if (path[0] == '\0' || base[0] == '\0') {
                snprintf(err, errlen,
                         "%s '%s': no file name: pass a file path, or '-' for "
                         "standard output",
                         opt, path);
                return -1;
        }
        /* lstat: the writer renames over the path, so a link (/dev/stdout) would be
         * replaced by a regular file rather than written through. */
        if (lstat(path, &st) == 0 && !S_ISREG(st.st_mode)) {
                snprintf(err, errlen,
                         "%s %s: not a regular file but %s: use '%s -' for standard output, or a "
                         "path to a regular file",
                         opt, path,
                         S_ISLNK(st.st_mode) ? "a symbolic link" : infile_kind(st.st_mode), opt);
                return -1;
        }
        parent_of(path, dir, sizeof(dir));
        return writable_dir(opt, path, dir, err, errlen);
}

int preflight_report_dir(const char *opt, const char *path, char *err, size_t errlen)
{
        char dir[PF_PATH], name[PF_PATH];
        struct stat st;
        size_t n;

        if (path[0] == '\0') {
                snprintf(err, errlen, "%s '': no directory name: pass a directory", opt);
                return -1;
        }
        /* "tr/" is created as "tr": its parent is the folder that holds "tr". */
        snprintf(name, sizeof(name), "%s", path);
        n = strlen(name);
        while (n > 1 && name[n - 1] == '/')
                name[--n] = '\0';
        if (stat(path, &st) == 0) {
                if (!S_ISDIR(st.st_mode)) {
                        snprintf(err, errlen,
                                 "%s %s: not a directory but %s: pass a directory (it is created "
                                 "when missing)",
                                 opt, path, infile_kind(st.st_mode));
                        return -1;
                }
                return writable_dir(opt, path, path, err, errlen);
        }
        parent_of(name, dir, sizeof(dir));
        return writable_dir(opt, path, dir, err, errlen);
}

void preflight_listen_failed(const char *opt, const char *addr, char *err, size_t errlen)
{
        char why[1024];

        snprintf(why, sizeof(why), "%s", err);
        snprintf(err, errlen,
                 "%s %s: cannot listen: %s: stop the program that holds the port, or pick "
                 "another port (port 0 picks a free one) on an address of this machine",
                 opt, addr, why);
}
