/* preflight: the operator's paths, checked before the first scenario. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preflight.h"
#include "testdir.h"

static char dir[64];

static void setup(void)
{
        test_dir_make(dir, sizeof(dir), "preflight");
}

static void teardown(void)
{
        test_dir_remove(dir);
}

static void touch(const char *path)
{
        FILE *f = fopen(path, "w");

        cr_assert_not_null(f);
        cr_assert_eq(fclose(f), 0);
}

TestSuite(preflight, .init = setup, .fini = teardown, .timeout = 10);

Test(preflight, inputs)
{
        char fifo[128], file[128], err[512] = "";
        struct preflight_file in[] = {{"--partner", NULL}, {"--ca", NULL}, {"--key", NULL}};

        snprintf(fifo, sizeof(fifo), "%s/p.fifo", dir);
        snprintf(file, sizeof(file), "%s/p.xml", dir);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        touch(file);
        in[0].path = file;
        in[1].path = "/nonexistent/ca.pem"; /* its loader says so in its own terms */
        cr_expect_eq(preflight_inputs(in, 3, err, sizeof(err)), 0, "%s", err);
        in[2].path = fifo;
        cr_expect_eq(preflight_inputs(in, 3, err, sizeof(err)), -1);
        cr_expect(strncmp(err, "--key ", 6) == 0 && strstr(err, fifo) != NULL &&
                      strstr(err, "a FIFO") != NULL && strstr(err, "pass the file itself") != NULL,
                  "%s", err);
        cr_expect_eq(preflight_input("--ca", "/dev/null", err, sizeof(err)), -1);
        cr_expect_str_eq(err, "--ca /dev/null: not a regular file but a character device: pass "
                              "the file itself (reading a FIFO or a device could block the run)");
        cr_expect_eq(preflight_input("--cert", dir, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "a directory"), "%s", err);
}

Test(preflight, report_files)
{
        static const struct {
                const char *path, *says;
        } bad[] = {
            {"/dev/stdout", "--json /dev/stdout: not a regular file but a symbolic link: use "
                            "'--json -' for standard output"},
            {"/dev/null", "--json /dev/null: not a regular file but a character device"},
            {"/tmp", "--json /tmp: not a regular file but a directory"},
            {"/nonexistent/r.json", "--json /nonexistent/r.json: the directory /nonexistent "
                                    "cannot be used (No such file or directory): create it"},
            {"/dev/null/r.json", "/dev/null is not a directory"},
            {"dir/", "no file name"},
        };
        char path[128], err[512];

        cr_expect_eq(preflight_report("--json", "-", err, sizeof(err)), 0);
        cr_expect(preflight_is_stdout("-"));
        cr_expect_not(preflight_is_stdout("./-"));
        cr_expect_not(preflight_is_stdout(NULL));
        snprintf(path, sizeof(path), "%s/new.json", dir);
        cr_expect_eq(preflight_report("--json", path, err, sizeof(err)), 0, "%s", err);
        touch(path);
        cr_expect_eq(preflight_report("--json", path, err, sizeof(err)), 0, "%s", err);
        cr_expect_eq(preflight_report("--json", "bare.json", err, sizeof(err)), 0, "%s", err);
        for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
                err[0] = '\0';
                cr_expect_eq(preflight_report("--json", bad[i].path, err, sizeof(err)), -1, "%s",
                             bad[i].path);
                cr_expect_not_null(strstr(err, bad[i].says), "%s: %s", bad[i].path, err);
        }
        snprintf(path, sizeof(path), "%s/r.fifo", dir);
        cr_assert_eq(mkfifo(path, 0600), 0);
        cr_expect_eq(preflight_report("--junit", path, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "a FIFO: use '--junit -'"), "%s", err);
}

/* Even root cannot write on a read-only mount; as another user, a 0555 folder does. */
Test(preflight, report_in_a_read_only_folder)
{
        char ro[128], path[160], err[512] = "";

        snprintf(ro, sizeof(ro), "%s/ro", dir);
        cr_assert_eq(mkdir(ro, 0555), 0);
        if (geteuid() == 0) {
                cr_assert_eq(chown(dir, 65534, 65534), 0);
                cr_assert_eq(chown(ro, 65534, 65534), 0);
                cr_assert_eq(setgid(65534), 0);
                cr_assert_eq(setuid(65534), 0);
        }
        snprintf(path, sizeof(path), "%s/r.json", ro);
        cr_expect_eq(preflight_report("--json", path, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "cannot write in"), "%s", err);
        cr_expect_not_null(strstr(err, "Permission denied"), "%s", err);
        snprintf(path, sizeof(path), "%s/tr", ro);
        cr_expect_eq(preflight_report_dir("--transcripts", path, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "--transcripts "), "%s", err);
}

Test(preflight, report_dirs)
{
        char path[128], err[512] = "";

        cr_expect_eq(preflight_report_dir("--transcripts", dir, err, sizeof(err)), 0, "%s", err);
        snprintf(path, sizeof(path), "%s/tr/", dir); /* created by the run */
        cr_expect_eq(preflight_report_dir("--transcripts", path, err, sizeof(err)), 0, "%s", err);
        snprintf(path, sizeof(path), "%s/a/b", dir); /* only one level is created */
        cr_expect_eq(preflight_report_dir("--transcripts", path, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "cannot be used"), "%s", err);
        snprintf(path, sizeof(path), "%s/file", dir);
        touch(path);
        cr_expect_eq(preflight_report_dir("--transcripts", path, err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "not a directory but a regular file"), "%s", err);
        cr_expect_eq(preflight_report_dir("--transcripts", "/dev/null", err, sizeof(err)), -1);
        cr_expect_not_null(strstr(err, "a character device"), "%s", err);
}

Test(preflight, listen_failure_names_option_address_fix)
{
        char err[512] = "bind 127.0.0.1 port 5269: Address already in use";

        preflight_listen_failed("--listen", "127.0.0.1:5269", err, sizeof(err));
        cr_expect_str_eq(err, "--listen 127.0.0.1:5269: cannot listen: bind 127.0.0.1 port 5269: "
                              "Address already in use: stop the program that holds the port, or "
                              "pick another port (port 0 picks a free one) on an address of this "
                              "machine");
}
