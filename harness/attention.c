#include "attention.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

bool attention_needed(const struct scenario_result *s)
{
        return !s->not_run && (s->verdict == VERDICT_MISMATCH || s->verdict == VERDICT_XPASS ||
                               s->verdict == VERDICT_ERROR);
}

/* The group key of s: its rule, which says the cause exactly; without one, the
 * verdict and whose side the cause is on (an error of the environment and an error
 * of the partner are not one cause). */
static void key_of(const struct scenario_result *s, char *key, size_t len)
{
        const char *cls = cause_class_name(s->cause_class);

        if (s->rule_id != RULE_NONE)
                util_format(key, len, "%s", rule_name(s->rule_id));
        else if (cls == NULL)
                util_format(key, len, "%s", verdict_name(s->verdict));
        else
                util_format(key, len, "%s: %s", verdict_name(s->verdict), cls);
}

int attention_collect(const struct run_report *r, struct attention *out)
{
        char key[sizeof(out->groups[0].key)];

        memset(out, 0, sizeof(*out));
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];
                struct attention_group *g = NULL;
                size_t *m;

                if (!attention_needed(s))
                        continue;
                key_of(s, key, sizeof(key));
                for (size_t k = 0; k < out->n_groups && g == NULL; k++)
                        if (strcmp(out->groups[k].key, key) == 0)
                                g = &out->groups[k];
                if (g == NULL) {
                        struct attention_group *grown =
                            realloc(out->groups, (out->n_groups + 1) * sizeof(*grown));

                        if (grown == NULL)
                                goto oom;
                        out->groups = grown;
                        g = &out->groups[out->n_groups++];
                        memset(g, 0, sizeof(*g));
                        g->rule = s->rule_id;
                        g->verdict = s->verdict;
                        g->cls = s->cause_class;
                        util_format(g->key, sizeof(g->key), "%s", key);
                }
                m = realloc(g->members, (g->n + 1) * sizeof(*m));
                if (m == NULL)
                        goto oom;
                g->members = m;
                g->members[g->n++] = i;
                out->n_results++;
        }
        return 0;
oom:
        attention_free(out);
        return -1;
}

void attention_free(struct attention *a)
{
        for (size_t k = 0; k < a->n_groups; k++)
                free(a->groups[k].members);
        free(a->groups);
        memset(a, 0, sizeof(*a));
}

bool attention_pass(const struct run_report *r, const struct attention *a)
{
        return a->n_results == 0 && r->domains.faults == 0 && !r->incomplete;
}
