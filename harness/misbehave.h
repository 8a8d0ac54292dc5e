/*
 * The misbehaviours a scenario asks the harness to commit (<misbehave what=NAME/>,
 * docs/scenarios.md), one row each (design.md §7, issue 11 item 3): the name, the
 * scenario directions it applies to, the rule it probes, a sentence, what the
 * harness side needs for it to take effect, and what it sets: a bool of struct
 * engine_misbehaviour (for the directions the row says) and/or a node-level
 * effect. misbehave_apply is the only code that maps names to behaviour; the
 * loader (scenario.c), `list` and the runner read the rows.
 *
 * A new misbehaviour touches two source files: its line in misbehave_list.h
 * (which yields both its row here and its bool in engine.h's struct
 * engine_misbehaviour) and its engine site (the code in engine.c that acts on
 * the bool), plus a scenario and a test.
 */
#ifndef S2S_MISBEHAVE_H
#define S2S_MISBEHAVE_H

#include <stddef.h>

#include "engine.h"
#include "rules.h"
#include "oracle.h"

/* What the harness side needs for a misbehaviour to take effect (bits). */
#define MISBEHAVE_NEEDS_TLS 0x1u        /* harness TLS Required or Optional */
#define MISBEHAVE_NEEDS_DIALBACK 0x2u   /* harness dialback true */
#define MISBEHAVE_NEEDS_OWN_ANSWER 0x4u /* no <authoritative answer/> of the scenario */

/* Effects outside the engine's misbehaviour bools. */
enum misbehave_effect {
        MISBEHAVE_EFFECT_NONE = 0,
        /* The harness's authoritative server answers invalid to the partner's db:verify. */
        MISBEHAVE_EFFECT_ANSWER_INVALID,
        /* The stream (header, dialback, stanzas) comes from MISBEHAVE_WRONG_DOMAIN. */
        MISBEHAVE_EFFECT_WRONG_SENDER,
};

/* The domain the wrong-sender effect uses (a domain the harness cannot prove). */
#define MISBEHAVE_WRONG_DOMAIN "wrong.test"

struct misbehave_row {
        const char *name;  /* "reuse-stream-id" */
        unsigned dirs;     /* directions it applies to: bits (1u << enum direction) */
        enum rule_id rule; /* the rule it probes (its citation: rule_cite) */
        const char *what;  /* one sentence */
        unsigned needs;    /* MISBEHAVE_NEEDS_* */
        size_t flag;       /* offsetof a bool in struct engine_misbehaviour, or MISBEHAVE_NO_FLAG */
        unsigned flag_dirs; /* directions in which flag is set (a subset of dirs) */
        enum misbehave_effect effect;
        unsigned effect_dirs; /* directions in which effect applies */
        const char *log;      /* the runner's transcript line when it applies, or NULL */
};

#define MISBEHAVE_NO_FLAG ((size_t)-1)

/* The number of rows; a scenario's set is bits (1u << row index), so at most 32. */
size_t misbehave_count(void);

/* Row i (0 <= i < misbehave_count()), or NULL. */
const struct misbehave_row *misbehave_row(size_t i);

/* The index of the row called name, or -1. */
int misbehave_lookup(const char *name);

/* The names of the rows for directions dirs, ", "-separated, into buf. Returns buf. */
const char *misbehave_names(unsigned dirs, char *buf, size_t len);

/* Sets the bool at offset flag (offsetof(struct engine_misbehaviour, x)) in bad: the one
 * way both this table and `serve --misbehave` (hostile.c) turn a misbehaviour on. */
void misbehave_set_flag(struct engine_misbehaviour *bad, size_t flag);

/* What a set of misbehaviours does besides the engine's bools. */
struct misbehave_effects {
        bool answer_invalid; /* MISBEHAVE_EFFECT_ANSWER_INVALID */
        bool wrong_sender;   /* MISBEHAVE_EFFECT_WRONG_SENDER */
};

/*
 * Applies the set (bits over the rows) for a scenario in direction dir: sets the
 * rows' bools in bad (initialised by the caller) and fills *fx. The loader has
 * already refused rows that cannot take effect (misbehave_row's dirs, needs).
 */
void misbehave_apply(unsigned set, enum direction dir, struct engine_misbehaviour *bad,
                     struct misbehave_effects *fx);

#endif
