/* harness/misbehave.c: one row per misbehaviour, applied by one function. */
#include <criterion/criterion.h>
#include <string.h>
#include "misbehave.h"
#include "rules.h"
#include "scenario.h"

/* Applying one row sets its bool in the directions it names, and nothing else. */
Test(misbehave, each_row_sets_exactly_its_flag)
{
        for (size_t i = 0; i < misbehave_count(); i++) {
                const struct misbehave_row *r = misbehave_row(i);

                cr_assert_eq(r->flag_dirs & ~r->dirs, 0, "%s: flag outside its directions",
                             r->name);
                cr_assert_eq(r->effect_dirs & ~r->dirs, 0, "%s: effect outside its directions",
                             r->name);
                cr_assert(r->flag != MISBEHAVE_NO_FLAG || r->effect != MISBEHAVE_EFFECT_NONE,
                          "%s: a row that does nothing", r->name);
                cr_assert(r->rule != RULE_NONE && rule_cite(r->rule)[0] != '\0',
                          "%s: probes no rule of the table", r->name);
                for (int d = DIR_OUTBOUND; d <= DIR_INBOUND; d++) {
                        struct engine_misbehaviour bad, want;
                        struct misbehave_effects fx;

                        memset(&bad, 0, sizeof(bad));
                        memset(&want, 0, sizeof(want));
                        misbehave_apply(1u << i, (enum direction)d, &bad, &fx);
                        if (r->flag_dirs & (1u << d))
                                *(bool *)((char *)&want + r->flag) = true;
                        cr_assert(memcmp(&bad, &want, sizeof(bad)) == 0, "%s, direction %d",
                                  r->name, d);
                        cr_assert_eq(fx.answer_invalid,
                                     r->effect == MISBEHAVE_EFFECT_ANSWER_INVALID &&
                                         (r->effect_dirs & (1u << d)) != 0,
                                     "%s", r->name);
                        cr_assert_eq(fx.wrong_sender,
                                     r->effect == MISBEHAVE_EFFECT_WRONG_SENDER &&
                                         (r->effect_dirs & (1u << d)) != 0,
                                     "%s", r->name);
                }
        }
}

Test(misbehave, names_are_unique_and_found)
{
        char all[2048];

        for (size_t i = 0; i < misbehave_count(); i++) {
                cr_assert_eq(misbehave_lookup(misbehave_row(i)->name), (int)i);
                for (size_t k = i + 1; k < misbehave_count(); k++)
                        cr_assert(misbehave_row(i)->flag == MISBEHAVE_NO_FLAG ||
                                      misbehave_row(i)->flag != misbehave_row(k)->flag,
                                  "%s and %s set the same bool", misbehave_row(i)->name,
                                  misbehave_row(k)->name);
        }
        cr_assert_eq(misbehave_lookup("no-such-misbehaviour"), -1);
        cr_assert_null(misbehave_row(misbehave_count()));
        cr_assert_leq(misbehave_count(), SCENARIO_MISBEHAVE_MAX);
        misbehave_names(SCENARIO_DIR_IN, all, sizeof(all));
        cr_assert_str_eq(all, "reuse-stream-id, starttls-after-tls, wrong-from, no-id, "
                              "external-bound-to-fail, ignore-db-result");
}

/* The wrong-from row: the header's from when the harness receives, the whole stream's
 * sender when it initiates. */
Test(misbehave, wrong_from_differs_by_direction)
{
        struct engine_misbehaviour bad;
        struct misbehave_effects fx;
        unsigned set = 1u << misbehave_lookup("wrong-from");

        memset(&bad, 0, sizeof(bad));
        misbehave_apply(set, DIR_INBOUND, &bad, &fx);
        cr_assert(bad.wrong_header_from && !fx.wrong_sender);
        memset(&bad, 0, sizeof(bad));
        misbehave_apply(set, DIR_OUTBOUND, &bad, &fx);
        cr_assert(!bad.wrong_header_from && fx.wrong_sender);
}

/* misbehave_list.h is the one place a misbehaviour is written: each X line's bool in
 * struct engine_misbehaviour is the flag of the row of the same name, and a Y line's
 * row sets no bool. */
#define CHECK_X(field, name, ...)                                                                  \
        do {                                                                                       \
                int i = misbehave_lookup(name);                                                    \
                cr_assert_geq(i, 0, "%s: no row", name);                                           \
                cr_assert_eq(misbehave_row((size_t)i)->flag,                                       \
                             offsetof(struct engine_misbehaviour, field), "%s: not %s", name,      \
                             #field);                                                              \
                lines++;                                                                           \
        } while (0);
#define CHECK_Y(name, ...)                                                                         \
        do {                                                                                       \
                int i = misbehave_lookup(name);                                                    \
                cr_assert_geq(i, 0, "%s: no row", name);                                           \
                cr_assert_eq(misbehave_row((size_t)i)->flag, MISBEHAVE_NO_FLAG, "%s", name);       \
                lines++;                                                                           \
        } while (0);

Test(misbehave, each_list_line_is_one_row_and_its_bool)
{
        size_t lines = 0;

        MISBEHAVIOURS(CHECK_X, CHECK_Y)
        cr_assert_eq(lines, misbehave_count());
}
