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
        s->findings = NULL;
        s->n_findings = 0;
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
