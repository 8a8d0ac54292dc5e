/*
 * Criterion tests for harness/attention: results needing attention grouped by cause.
 * Reports are built by hand: one group per rule in the order first met, errors
 * without a rule grouped by whose side the cause is on, matches and skips left out,
 * each scenario in exactly one group.
 */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "attention.h"

static void add(struct run_report *r, const char *id, enum verdict v, enum rule_id rule,
                enum cause_class cls)
{
        struct scenario_result *grown = realloc(r->results, (r->n_results + 1) * sizeof(*grown));
        struct scenario_result *s;

        cr_assert_not_null(grown);
        r->results = grown;
        s = &r->results[r->n_results++];
        memset(s, 0, sizeof(*s));
        snprintf(s->id, sizeof(s->id), "%s", id);
        s->verdict = v;
        s->rule_id = rule;
        s->cause_class = cls;
}

Test(attention, grouped_by_rule_in_first_met_order)
{
        struct run_report r;
        struct attention a;

        memset(&r, 0, sizeof(r));
        add(&r, "a", VERDICT_MISMATCH, RULE_DB_3, CAUSE_CLASS_PARTNER_VIOLATION);
        add(&r, "b", VERDICT_MATCH, RULE_NONE, CAUSE_CLASS_NONE);
        add(&r, "c", VERDICT_MISMATCH, RULE_DB_1, CAUSE_CLASS_PARTNER_VIOLATION);
        add(&r, "d", VERDICT_XPASS, RULE_DB_3, CAUSE_CLASS_NONE);
        add(&r, "e", VERDICT_ERROR, RULE_NONE, CAUSE_CLASS_HARNESS_ENVIRONMENT);
        add(&r, "f", VERDICT_SKIP, RULE_NONE, CAUSE_CLASS_NONE);
        add(&r, "g", VERDICT_ERROR, RULE_NONE, CAUSE_CLASS_HARNESS_ENVIRONMENT);
        add(&r, "h", VERDICT_ERROR, RULE_NONE, CAUSE_CLASS_PARTNER_VIOLATION);

        cr_assert_eq(attention_collect(&r, &a), 0);
        cr_assert_eq(a.n_groups, 4);
        cr_assert_eq(a.n_results, 6);
        cr_assert_str_eq(a.groups[0].key, rule_name(RULE_DB_3));
        cr_assert_eq(a.groups[0].n, 2);
        cr_assert_eq(a.groups[0].members[0], 0);
        cr_assert_eq(a.groups[0].members[1], 3);
        cr_assert_str_eq(a.groups[1].key, rule_name(RULE_DB_1));
        cr_assert_eq(a.groups[1].n, 1);
        cr_assert_eq(a.groups[2].rule, RULE_NONE);
        cr_assert_eq(a.groups[2].n, 2, "both environment errors in one group");
        cr_assert_eq(a.groups[2].members[1], 6);
        cr_assert_eq(a.groups[3].n, 1, "an error on the partner's side is another cause");
        cr_assert_eq(a.groups[3].members[0], 7);
        cr_assert_str_neq(a.groups[2].key, a.groups[3].key);
        attention_free(&a);
        cr_assert_eq(a.n_groups, 0);
        free(r.results);
}

Test(attention, xpass_without_rule_has_a_key)
{
        struct run_report r;
        struct attention a;

        memset(&r, 0, sizeof(r));
        add(&r, "a", VERDICT_XPASS, RULE_NONE, CAUSE_CLASS_NONE);
        cr_assert_eq(attention_collect(&r, &a), 0);
        cr_assert_eq(a.n_groups, 1);
        cr_assert_str_eq(a.groups[0].key, "xpass");
        attention_free(&a);
        free(r.results);
}

Test(attention, not_run_and_clean_runs_need_none)
{
        struct run_report r;
        struct attention a;

        memset(&r, 0, sizeof(r));
        add(&r, "a", VERDICT_MATCH, RULE_NONE, CAUSE_CLASS_NONE);
        add(&r, "b", VERDICT_ERROR, RULE_NONE, CAUSE_CLASS_HARNESS_ENVIRONMENT);
        r.results[1].not_run = true;
        add(&r, "c", VERDICT_XFAIL, RULE_DB_1, CAUSE_CLASS_NONE);
        cr_assert_eq(attention_collect(&r, &a), 0);
        cr_assert_eq(a.n_groups, 0);
        cr_assert_eq(a.n_results, 0);
        attention_free(&a);
        free(r.results);
}

/* The headings' verdict: pass only with nothing needing attention, no domain fault
 * and a complete run. */
Test(attention, pass_needs_no_attention_no_domain_fault_and_a_complete_run)
{
        struct run_report r;
        struct attention a;

        memset(&r, 0, sizeof(r));
        add(&r, "a", VERDICT_MATCH, RULE_NONE, CAUSE_CLASS_NONE);
        add(&r, "b", VERDICT_XFAIL, RULE_DB_3, CAUSE_CLASS_PARTNER_VIOLATION);
        cr_assert_eq(attention_collect(&r, &a), 0);
        cr_assert(attention_pass(&r, &a));
        r.domains.faults = 1;
        cr_assert_not(attention_pass(&r, &a), "a domain fault");
        r.domains.faults = 0;
        r.incomplete = true;
        cr_assert_not(attention_pass(&r, &a), "an incomplete run");
        r.incomplete = false;
        attention_free(&a);
        add(&r, "c", VERDICT_ERROR, RULE_NONE, CAUSE_CLASS_HARNESS_ENVIRONMENT);
        cr_assert_eq(attention_collect(&r, &a), 0);
        cr_assert_not(attention_pass(&r, &a), "an error needs attention");
        attention_free(&a);
        free(r.results);
}
