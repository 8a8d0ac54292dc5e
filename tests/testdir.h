/*
 * A scratch folder under /tmp for one test, and its removal: one helper instead of
 * a copy per test file.
 */
#ifndef S2S_TESTDIR_H
#define S2S_TESTDIR_H

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

/* Makes /tmp/s2s-<what>-XXXXXX into dir (at least 64 bytes). */
static inline void test_dir_make(char *dir, size_t len, const char *what)
{
        snprintf(dir, len, "/tmp/s2s-%s-XXXXXX", what);
        cr_assert_not_null(mkdtemp(dir));
}

/* Removes dir and everything in it. */
static inline void test_dir_remove(const char *dir)
{
        char cmd[128];

        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
        cr_assert_eq(system(cmd), 0);
}

#endif
