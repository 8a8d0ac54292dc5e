/*
 * Fleets (docs/fleet.md): `run --partner FILE --all` runs every partner of a file, each
 * in a child process of its own (one `s2scheck run --identity D`), at most --jobs
 * scenarios in flight over the fleet, and writes one folder per partner and a roll-up
 * (rollup.txt, rollup.json, rollup.xml). `--shard K/N` keeps a stable 1/N of the
 * partners; `s2scheck merge` joins the shards' roll-ups into the unsharded one.
 */
#ifndef S2S_FLEET_H
#define S2S_FLEET_H

#include <stddef.h>
#include <stdint.h>

#include "partner.h"

#define FLEET_JOBS_DEFAULT 8
#define FLEET_SHARDS_MAX 1000
#define FLEET_CHILD_JOBS_MAX 64 /* run --jobs's bound */

struct fleet_options {
        const char *partner_file;      /* the file every partner comes from */
        struct partner_list *list;     /* borrowed: the partners, in file order */
        const char *out_dir;           /* --out: created when missing */
        unsigned jobs;                 /* scenarios in flight over the fleet; 0: default */
        unsigned shard_k, shard_n;     /* --shard K/N; 0/0: every partner */
        const char *const *child_argv; /* the `run` options every child gets (borrowed) */
        size_t child_argc;
        const char *const *per_partner; /* --for DOMAIN:OPTION=VALUE, borrowed */
        size_t n_per_partner;
        unsigned child_bound_s; /* a child still running after this is stopped (SIGTERM) */
};

/* FNV-1a (32 bit) of the domain's bytes: the shard of a partner is hash % N. */
uint32_t fleet_domain_hash(const char *domain);

/* Parses "K/N" (1 <= K <= N <= FLEET_SHARDS_MAX). Returns 0 or -1. */
int fleet_parse_shard(const char *text, unsigned *k, unsigned *n);

/*
 * Runs the fleet and writes the roll-up into o->out_dir; prints rollup.txt to stdout.
 * Returns the fleet's exit code (docs/cli.md "Fleets"): the worst over partners with
 * 3 > 1 > 0, an invalid configuration counting as 1; EXIT_USAGE when the out folder
 * cannot be made; EXIT_UNTESTABLE when the roll-up cannot be written.
 */
int fleet_run(const struct fleet_options *o);

/*
 * `s2scheck merge`: reads DIR/rollup.json of each shard folder, checks they are the
 * shards 1..N of one fleet, each once, and writes the unsharded roll-up into out_dir
 * (and rollup.txt to stdout). Returns the fleet's exit code, or EXIT_USAGE with a
 * message on stderr.
 */
int fleet_merge(const char *const *dirs, size_t n_dirs, const char *out_dir);

#endif
