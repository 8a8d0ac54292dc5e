/* keylog.c: the --keylog file (docs/security.md). */
#include <criterion/criterion.h>

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "keylog.h"
#include "testdir.h"

static char dir[64];

static void setup(void)
{
        test_dir_make(dir, sizeof(dir), "keylog");
}

static void teardown(void)
{
        test_dir_remove(dir);
}

TestSuite(keylog, .init = setup, .fini = teardown);

static size_t file_text(const char *path, char *out, size_t len)
{
        FILE *f = fopen(path, "r");
        size_t n;

        cr_assert_not_null(f, "%s", path);
        n = fread(out, 1, len - 1, f);
        out[n] = '\0';
        fclose(f);
        return n;
}

Test(keylog, created_0600_and_appended)
{
        char path[128], err[512], text[256];
        struct keylog *k;
        struct stat st;

        snprintf(path, sizeof(path), "%s/keys", dir);
        k = keylog_open("--keylog", path, NULL, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        keylog_write(k, "A 00 11\n");
        keylog_write(k, "B 22 33\n");
        cr_expect_eq(keylog_lines(k), 2);
        cr_expect_eq(keylog_failed(k), 0);
        keylog_close(k);
        cr_assert_eq(stat(path, &st), 0);
        cr_expect_eq(st.st_mode & 0777, 0600, "mode %o", (unsigned)(st.st_mode & 0777));
        k = keylog_open("--keylog", path, NULL, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        keylog_write(k, "C 44 55\n");
        keylog_close(k);
        file_text(path, text, sizeof(text));
        cr_expect_str_eq(text, "A 00 11\nB 22 33\nC 44 55\n");
        keylog_close(NULL);
}

Test(keylog, note_says_on_and_warns_on_a_readable_file)
{
        char path[128], err[512], note[1024];
        FILE *f;
        struct keylog *k;
        int fd;

        snprintf(path, sizeof(path), "%s/open", dir);
        fd = open(path, O_WRONLY | O_CREAT, 0644);
        cr_assert_geq(fd, 0);
        cr_assert_eq(fchmod(fd, 0644), 0);
        close(fd);
        f = tmpfile();
        cr_assert_not_null(f);
        k = keylog_open("--keylog", path, f, err, sizeof(err));
        cr_assert_not_null(k, "%s", err);
        keylog_close(k);
        rewind(f);
        note[fread(note, 1, sizeof(note) - 1, f)] = '\0';
        fclose(f);
        cr_expect(strstr(note, ": on: the TLS secrets of this run are appended there") != NULL,
                  "%s", note);
        cr_expect(strstr(note, "can be read by others (mode 644): chmod 600 it") != NULL, "%s",
                  note);
}

Test(keylog, refuses_what_is_not_a_writable_file)
{
        char path[128], err[512];

        cr_expect_null(keylog_open("--keylog", dir, NULL, err, sizeof(err)));
        cr_expect(strstr(err, "not a regular file but a directory: name a file") != NULL, "%s",
                  err);
        cr_expect(strncmp(err, "--keylog ", 9) == 0, "%s", err);

        snprintf(path, sizeof(path), "%s/fifo", dir);
        cr_assert_eq(mkfifo(path, 0600), 0);
        cr_expect_null(keylog_open("--keylog", path, NULL, err, sizeof(err)));
        cr_expect(strstr(err, "not a regular file but a FIFO") != NULL, "%s", err);

        snprintf(path, sizeof(path), "%s/missing/keys", dir);
        cr_expect_null(keylog_open("--keylog", path, NULL, err, sizeof(err)));
        cr_expect(strstr(err, "cannot open it for writing (No such file or directory): name a "
                              "file in a folder you can write") != NULL,
                  "%s", err);

        cr_expect_null(keylog_open("--keylog", "", NULL, err, sizeof(err)));
        cr_expect_str_eq(err, "--keylog needs a file name");
}
