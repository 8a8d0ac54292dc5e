/*
 * `serve --misbehave NAME`: the hostile behaviours of the reference partner, one
 * table (design.md §7). A name sets engine knobs (the protocol misbehaviours of
 * struct engine_misbehaviour, or one wire-level enum engine_wire) and the
 * net's output pacing (struct net_pacing); hostile_apply is the only place that
 * maps names to them. Each row says where the behaviour shows: R = the partner
 * as receiving server (the harness connects in: outbound scenarios, and the
 * trigger stream of inbound ones), I = the partner as initiating server (it
 * connects out to the harness: inbound scenarios, dialback verify streams).
 */
#ifndef S2S_HOSTILE_H
#define S2S_HOSTILE_H

#include <stddef.h>
#include <stdio.h>

#include "engine.h"
#include "net.h"

/*
 * Adds the behaviour called name to bad and pace (both initialised by the
 * caller: engine_knobs_default, zeros). Returns 0, or -1 with one line in err:
 * an unknown name (with the accepted names), or a second name that replaces the
 * same bytes as one already applied.
 */
int hostile_apply(const char *name, struct engine_misbehaviour *bad, struct net_pacing *pace,
                  char *err, size_t errlen);

/* Prints one line per name: "  NAME  [R, I]  what the partner does". */
void hostile_print(FILE *f);

#endif
