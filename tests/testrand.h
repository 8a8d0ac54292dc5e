/*
 * A deterministic xs_random_fn for tests and replays (engine_config.random):
 * the same sequence in every run, so that stream ids, and with them the
 * dialback keys and the transcripts, are the same every time. Never for the
 * real program: node.c passes xs_random_system.
 */
#ifndef S2SCHECK_TESTS_TESTRAND_H
#define S2SCHECK_TESTS_TESTRAND_H

#include <stddef.h>
#include <stdint.h>

/* user: a uint64_t state (any start value), or NULL for one shared state.
 * splitmix64 per 8 bytes. Always 0. */
static inline int test_random(void *user, void *out, size_t len)
{
        static uint64_t shared = 1;
        uint64_t *s = user != NULL ? (uint64_t *)user : &shared;
        unsigned char *o = (unsigned char *)out;
        uint64_t z = 0;

        for (size_t i = 0; i < len; i++) {
                if (i % 8 == 0) {
                        z = (*s += 0x9e3779b97f4a7c15ULL);
                        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
                        z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
                        z ^= z >> 31;
                }
                o[i] = (unsigned char)(z >> (8 * (i % 8)));
        }
        return 0;
}

#endif
