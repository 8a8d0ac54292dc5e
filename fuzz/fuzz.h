/*
 * Shared helpers for the libFuzzer targets (docs/fuzzing.md). Header-only (static) so
 * that each target is one translation unit.
 *
 * Every target is deterministic: what an input does depends only on its bytes (no
 * clock, no state kept between inputs except what the target loads once and never
 * changes), and everything an input allocates is freed before the call returns, so
 * LeakSanitizer can judge each input.
 */
#ifndef S2S_FUZZ_H
#define S2S_FUZZ_H

#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A contract of the code under test was broken: a finding, reported as a crash. */
#define FUZZ_ASSERT(cond)                                                                          \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__,        \
                                #cond);                                                            \
                        abort();                                                                   \
                }                                                                                  \
        } while (0)

/* Setup that cannot fail on a working build: stop the run when it does. */
#define FUZZ_SETUP(cond, what)                                                                     \
        do {                                                                                       \
                if (!(cond)) {                                                                     \
                        fprintf(stderr, "fuzz setup failed: %s\n", what);                          \
                        exit(2);                                                                   \
                }                                                                                  \
        } while (0)

/*
 * Chunk lengths taken from one input byte, so that the fuzzer explores how a stream
 * is cut: seed 0 gives the whole rest in one chunk; any other seed gives lengths
 * 1..seed from a small linear congruential generator seeded with it.
 */
struct fuzz_split {
        uint32_t state;
        size_t max;
};

static inline void fuzz_split_init(struct fuzz_split *s, uint8_t seed)
{
        s->state = (uint32_t)seed * 2654435761u + 1u;
        s->max = seed;
}

/* The next chunk length, at most left (left > 0). */
static inline size_t fuzz_split_next(struct fuzz_split *s, size_t left)
{
        size_t n;

        if (s->max == 0)
                return left;
        s->state = s->state * 1103515245u + 12345u;
        n = 1 + (size_t)((s->state >> 16) % s->max);
        return n < left ? n : left;
}

/* The folder the loaders' input files are written to, made once per process (under
 * $TMPDIR, else /dev/shm when there is one: a file system in memory doubles the
 * loader targets' speed over /tmp on disk) and removed at exit with the file. */
static char fuzz_dir[256];
static char fuzz_file[320];

static inline void fuzz_dir_remove(void)
{
        if (fuzz_file[0] != '\0')
                unlink(fuzz_file);
        if (fuzz_dir[0] != '\0')
                rmdir(fuzz_dir);
}

/* Makes the folder and names the file `name` in it; returns the file's path. */
static inline const char *fuzz_tmpfile(const char *name)
{
        const char *tmp = getenv("TMPDIR");

        if (tmp == NULL || tmp[0] == '\0')
                tmp = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";
        snprintf(fuzz_dir, sizeof(fuzz_dir), "%s/s2sfuzz.XXXXXX", tmp);
        FUZZ_SETUP(mkdtemp(fuzz_dir) != NULL, "mkdtemp");
        snprintf(fuzz_file, sizeof(fuzz_file), "%s/%s", fuzz_dir, name);
        atexit(fuzz_dir_remove);
        return fuzz_file;
}

/* Replaces the file's content with data. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size)
{
        int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        size_t off = 0;

        FUZZ_SETUP(fd >= 0, path);
        while (off < size) {
                ssize_t n = write(fd, data + off, size - off);

                FUZZ_SETUP(n > 0, "write");
                off += (size_t)n;
        }
        FUZZ_SETUP(close(fd) == 0, "close");
}

#endif
