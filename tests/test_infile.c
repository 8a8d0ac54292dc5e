/* infile: whole, bounded reads of the operator's files; never a wait on a FIFO. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "infile.h"
#include "testdir.h"

static char dir[64];

static void setup(void)
{
        test_dir_make(dir, sizeof(dir), "infile");
}

static void teardown(void)
{
        test_dir_remove(dir);
}

static void put(const char *path, const char *data, size_t len)
{
        FILE *f = fopen(path, "wb");

        cr_assert_not_null(f);
        cr_assert_eq(fwrite(data, 1, len, f), len);
        cr_assert_eq(fclose(f), 0);
}

TestSuite(infile, .init = setup, .fini = teardown, .timeout = 10);

Test(infile, reads_a_regular_file_whole)
{
        char path[128], err[256] = "", *data = NULL;
        size_t len = 0;

        snprintf(path, sizeof(path), "%s/f", dir);
        put(path, "a\0b", 3);
        cr_assert_eq(infile_read(path, 3, &data, &len, err, sizeof(err)), INFILE_OK, "%s", err);
        cr_expect_eq(len, 3);
        cr_expect_eq(memcmp(data, "a\0b", 4), 0, "NUL-terminated, NUL bytes kept");
        free(data);
        put(path, "", 0);
        cr_assert_eq(infile_read(path, 3, &data, &len, err, sizeof(err)), INFILE_OK, "%s", err);
        cr_expect_eq(len, 0);
        cr_expect_str_eq(data, "");
        free(data);
}

Test(infile, one_byte_too_many)
{
        char path[128], err[256] = "", *data = NULL;
        size_t len = 0;

        snprintf(path, sizeof(path), "%s/big", dir);
        put(path, "12345", 5);
        cr_expect_eq(infile_read(path, 4, &data, &len, err, sizeof(err)), INFILE_TOO_LARGE);
        cr_expect_str_eq(err, "larger than 4 bytes");
        cr_expect_null(data);
}

Test(infile, missing_file)
{
        char err[256] = "", *data = NULL;
        size_t len = 0;

        cr_expect_eq(infile_read("/nonexistent/x", 4, &data, &len, err, sizeof(err)),
                     INFILE_UNREADABLE);
        cr_expect_str_eq(err, "cannot open: No such file or directory");
}

/* The hang of issue 9: a FIFO with no writer. The suite's timeout catches a block. */
Test(infile, fifo_is_refused_without_blocking)
{
        char path[128], err[256] = "", *data = NULL;
        size_t len = 0;

        snprintf(path, sizeof(path), "%s/fifo", dir);
        cr_assert_eq(mkfifo(path, 0600), 0);
        cr_expect_eq(infile_read(path, 1024, &data, &len, err, sizeof(err)), INFILE_NOT_REGULAR);
        cr_expect_str_eq(err, "not a regular file but a FIFO");
        cr_expect_null(data);
}

/* Through a symbolic link too: the type of what is read counts, not of the name. */
Test(infile, devices_directories_and_links_to_them)
{
        static const struct {
                const char *path, *says;
        } cases[] = {
            {"/dev/null", "not a regular file but a character device"},
            {"/tmp", "not a regular file but a directory"},
        };
        char err[256], *data = NULL;
        size_t len = 0;

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                err[0] = '\0';
                cr_expect_eq(infile_read(cases[i].path, 1024, &data, &len, err, sizeof(err)),
                             INFILE_NOT_REGULAR, "%s: %s", cases[i].path, err);
                cr_expect_not_null(strstr(err, cases[i].says), "%s: %s", cases[i].path, err);
        }
        cr_expect_null(data);
}

Test(infile, kind_names)
{
        cr_expect_str_eq(infile_kind(S_IFREG), "a regular file");
        cr_expect_str_eq(infile_kind(S_IFSOCK), "a socket");
        cr_expect_str_eq(infile_kind(S_IFBLK), "a block device");
}
