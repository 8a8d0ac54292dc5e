#include "results.h"

#include <stdlib.h>
#include <string.h>

void scenario_result_cleanup(struct scenario_result *s)
{
        if (s == NULL)
                return;
        free(s->transcript);
        s->transcript = NULL;
        for (size_t i = 0; i < s->n_findings; i++)
                free(s->findings[i]);
        free(s->findings);
        free(s->finding_rules);
        s->findings = NULL;
        s->finding_rules = NULL;
        s->n_findings = 0;
}

int scenario_result_add_finding(struct scenario_result *s, const char *line, enum rule_id rule)
{
        char *copy = strdup(line);
        char **lines;
        enum rule_id *rules;

        if (copy == NULL)
                goto fail;
        lines = realloc(s->findings, (s->n_findings + 1) * sizeof(*lines));
        if (lines == NULL)
                goto fail;
        s->findings = lines;
        rules = realloc(s->finding_rules, (s->n_findings + 1) * sizeof(*rules));
        if (rules == NULL)
                goto fail;
        s->finding_rules = rules;
        s->findings[s->n_findings] = copy;
        s->finding_rules[s->n_findings] = rule;
        s->n_findings++;
        return 0;
fail:
        free(copy);
        return -1;
}

void run_report_cleanup(struct run_report *r)
{
        if (r == NULL)
                return;
        for (size_t i = 0; i < r->n_results; i++)
                scenario_result_cleanup(&r->results[i]);
        free(r->results);
        refusals_cleanup(&r->refused);
        memset(r, 0, sizeof(*r));
}

const char *error_cause_name(enum error_cause c)
{
        switch (c) {
        case ERROR_CAUSE_ENVIRONMENT:
                return "environment";
        case ERROR_CAUSE_HARNESS:
                return "harness";
        default:
                return NULL;
        }
}
