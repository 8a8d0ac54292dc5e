#include "refusals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The head of a cause, up to its first ':' (wire text after it: names, ids). */
static void cause_head(const char *text, char *out, size_t len)
{
        size_t n = 0;

        if (text == NULL || text[0] == '\0') {
                snprintf(out, len, "closed without a cause");
                return;
        }
        while (text[n] != '\0' && text[n] != ':' && n + 1 < len)
                n++;
        while (n > 0 && text[n - 1] == ' ')
                n--;
        memcpy(out, text, n);
        out[n] = '\0';
}

void refusals_result_key(const char *cause, enum rule_id rule, bool no_to, char *out, size_t len)
{
        if (len == 0)
                return;
        /* RFC 6120 §4.9.3.6: both are host-unknown, but a missing 'to' (the legacy
         * dialback header, issue 10) is a different story from a name not served. */
        if (rule == RULE_H_SE_HOST_UNKNOWN)
                snprintf(out, len, "%s",
                         no_to ? "host-unknown (no 'to')"
                               : "host-unknown (a 'to' not served here)");
        else
                cause_head(cause, out, len);
}

void refusals_cause_key(const char *text, char *out, size_t len)
{
        if (len == 0)
                return;
        cause_head(text, out, len);
}

void refusals_add(struct refusals *r, const char *cause, const char *rule)
{
        r->total++;
        for (size_t i = 0; i < r->n_causes; i++) {
                if (strcmp(r->causes[i].cause, cause) == 0 &&
                    strcmp(r->causes[i].rule, rule != NULL ? rule : "") == 0) {
                        r->causes[i].count++;
                        return;
                }
        }
        if (r->n_causes == REFUSAL_CAUSES_MAX) {
                r->other++;
                return;
        }
        snprintf(r->causes[r->n_causes].cause, sizeof(r->causes[0].cause), "%s", cause);
        snprintf(r->causes[r->n_causes].rule, sizeof(r->causes[0].rule), "%s",
                 rule != NULL ? rule : "");
        r->causes[r->n_causes].count = 1;
        r->n_causes++;
}

void refusals_mark(const struct refusals *r, struct refusals *mark)
{
        *mark = *r;
        mark->transcript = NULL;
}

/* The count of cause i in r less its count in since (0 when since had none yet). */
static unsigned long delta(const struct refusals *r, const struct refusals *since, size_t i)
{
        unsigned long before = since != NULL && i < since->n_causes ? since->causes[i].count : 0;

        return r->causes[i].count - before;
}

unsigned long refusals_text(const struct refusals *r, const struct refusals *since, char *out,
                            size_t len)
{
        bool done[REFUSAL_CAUSES_MAX] = {false};
        unsigned long total = r->total - (since != NULL ? since->total : 0);
        unsigned long other = r->other - (since != NULL ? since->other : 0);
        size_t used = 0;

        if (len == 0)
                return total;
        out[0] = '\0';
        /* Most frequent first; causes are few (REFUSAL_CAUSES_MAX), so a selection. */
        for (size_t round = 0; round < r->n_causes; round++) {
                size_t best = r->n_causes;
                int k;

                for (size_t i = 0; i < r->n_causes; i++) {
                        if (!done[i] && delta(r, since, i) > 0 &&
                            (best == r->n_causes || delta(r, since, i) > delta(r, since, best)))
                                best = i;
                }
                if (best == r->n_causes)
                        break;
                done[best] = true;
                k = snprintf(out + used, len - used, "%s%lu %s%s%s%s", used > 0 ? ", " : "",
                             delta(r, since, best), r->causes[best].cause,
                             r->causes[best].rule[0] ? " [" : "", r->causes[best].rule,
                             r->causes[best].rule[0] ? "]" : "");
                if (k < 0 || (size_t)k >= len - used)
                        return total;
                used += (size_t)k;
        }
        if (other > 0)
                snprintf(out + used, len - used, "%s%lu for other causes", used > 0 ? ", " : "",
                         other);
        return total;
}

void refusals_cleanup(struct refusals *r)
{
        if (r == NULL)
                return;
        free(r->transcript);
        memset(r, 0, sizeof(*r));
}
