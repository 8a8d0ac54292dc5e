#include "misbehave.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "util.h"

#define OUT (1u << DIR_OUTBOUND)
#define IN (1u << DIR_INBOUND)
#define BOTH (OUT | IN)
#define FLAG(field) offsetof(struct engine_misbehaviour, field)

/* A line of misbehave_list.h as a row: an X line sets its bool, a Y line none. */
#define ROW_WITH_FLAG(field, name, dirs, rule, what, needs, field_dirs, effect, effect_dirs, log)  \
        {name, dirs, rule, what, needs, FLAG(field), field_dirs, effect, effect_dirs, log},
#define ROW_WITHOUT_FLAG(name, dirs, rule, what, needs, effect, effect_dirs, log)                  \
        {name, dirs, rule, what, needs, MISBEHAVE_NO_FLAG, 0, effect, effect_dirs, log},

/*
 * What the harness does wrong on purpose. Each is a probe of one rule the
 * partner must enforce. The rows are misbehave_list.h's lines, in its order.
 */
static const struct misbehave_row rows[] = {MISBEHAVIOURS(ROW_WITH_FLAG, ROW_WITHOUT_FLAG)};

_Static_assert(ARRAY_LEN(rows) <= 32, "a scenario's misbehaviours are bits of an unsigned");

size_t misbehave_count(void)
{
        return ARRAY_LEN(rows);
}

const struct misbehave_row *misbehave_row(size_t i)
{
        return i < ARRAY_LEN(rows) ? &rows[i] : NULL;
}

int misbehave_lookup(const char *name)
{
        for (size_t i = 0; name != NULL && i < ARRAY_LEN(rows); i++) {
                if (strcmp(rows[i].name, name) == 0)
                        return (int)i;
        }
        return -1;
}

const char *misbehave_names(unsigned dirs, char *buf, size_t len)
{
        size_t used = 0;

        if (len > 0)
                buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
                if (rows[i].dirs & dirs)
                        util_list_add(buf, len, &used, rows[i].name);
        }
        return buf;
}

void misbehave_set_flag(struct engine_misbehaviour *bad, size_t flag)
{
        if (flag != MISBEHAVE_NO_FLAG && flag + sizeof(bool) <= sizeof(*bad))
                *(bool *)((char *)bad + flag) = true;
}

void misbehave_apply(unsigned set, enum direction dir, struct engine_misbehaviour *bad,
                     struct misbehave_effects *fx)
{
        unsigned d = 1u << dir;

        memset(fx, 0, sizeof(*fx));
        for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
                const struct misbehave_row *r = &rows[i];

                if ((set & (1u << i)) == 0)
                        continue;
                if (r->flag_dirs & d)
                        misbehave_set_flag(bad, r->flag);
                if ((r->effect_dirs & d) == 0)
                        continue;
                if (r->effect == MISBEHAVE_EFFECT_ANSWER_INVALID)
                        fx->answer_invalid = true;
                else if (r->effect == MISBEHAVE_EFFECT_WRONG_SENDER)
                        fx->wrong_sender = true;
        }
}
