/*
 * Criterion tests for the named wire checks (harness/checks.h): each check on
 * facts that hold and on facts that break it, with the rule named in the reason.
 */
#include <criterion/criterion.h>

#include <string.h>

#include "checks.h"

/* A finding as the engine records it: the rule id, its citation, the text, and
 * what it is about (cond, type; NULL = nothing). */
static struct finding fnd_about(enum finding_kind k, enum rule_id rule, const char *cond,
                                const char *type, const char *text)
{
        struct finding f;

        memset(&f, 0, sizeof(f));
        f.kind = k;
        f.rule_id = rule;
        snprintf(f.rule, sizeof(f.rule), "%s", rule_cite(rule));
        snprintf(f.text, sizeof(f.text), "%s", text);
        snprintf(f.cond, sizeof(f.cond), "%s", cond != NULL ? cond : "");
        snprintf(f.type, sizeof(f.type), "%s", type != NULL ? type : "");
        return f;
}

static struct finding fnd(enum finding_kind k, enum rule_id rule, const char *text)
{
        return fnd_about(k, rule, NULL, NULL, text);
}

static struct check_facts base(int partner_row, enum direction d)
{
        struct check_facts f;

        memset(&f, 0, sizeof(f));
        f.dir = d;
        cr_assert_eq(settings_from_row(partner_row, &f.partner), 0);
        f.proving_cert = true;
        f.observed = OUTCOME_BIT(OUTCOME_S);
        f.tls = true;
        f.method = METHOD_S;
        f.peer_error = "";
        f.pong = true;
        f.post_tls_id = "";
        f.verify_id = "";
        return f;
}

static bool eval(enum scenario_check c, const struct check_facts *f, char *why)
{
        return check_eval(c, f, why, 512);
}

Test(checks, success_set)
{
        unsigned out = check_success_set(DIR_OUTBOUND), in = check_success_set(DIR_INBOUND);

        cr_expect(out & (1u << CHECK_NEW_STREAM_ID));
        cr_expect(!(in & (1u << CHECK_NEW_STREAM_ID)));
        for (int c = CHECK_NO_STARTTLS_AFTER_TLS; c <= CHECK_PING_ANSWERED; c++) {
                if (c == CHECK_STREAM_ID_PRESENT)
                        continue;
                cr_expect(out & (1u << c), "%d", c);
                cr_expect(in & (1u << c), "%d", c);
        }
        /* Exactly those, and each in its row's directions only. */
        cr_expect_eq(out, (1u << CHECK_NEW_STREAM_ID) | (1u << CHECK_NO_STARTTLS_AFTER_TLS) |
                              (1u << CHECK_FROM_TO_ECHOED) | (1u << CHECK_PING_ANSWERED));
        cr_expect_eq(in, (1u << CHECK_NO_STARTTLS_AFTER_TLS) | (1u << CHECK_FROM_TO_ECHOED) |
                             (1u << CHECK_PING_ANSWERED));
}

/* What the runner waits for or tells the engine is a property of the check's row:
 * the runner names no check. */
Test(checks, needs_are_row_properties)
{
        const struct check_def *t = check_table();

        cr_expect_eq(check_set_with(CHECK_NEEDS_PING), 1u << CHECK_PING_ANSWERED);
        cr_expect_eq(check_set_with(CHECK_NEEDS_REACTION),
                     (1u << CHECK_INVALID_FROM) | (1u << CHECK_UNSOLICITED_IGNORED) |
                         (1u << CHECK_NO_STANZA_ACCEPTED) | (1u << CHECK_NOT_AUTHORIZED_CLOSE) |
                         (1u << CHECK_INVALID_NAMESPACE) | (1u << CHECK_HOST_UNKNOWN) |
                         (1u << CHECK_IMPROPER_ADDRESSING) | (1u << CHECK_NOT_WELL_FORMED));
        cr_expect_eq(check_set_with(CHECK_NEEDS_PEER_SETTINGS), 1u << CHECK_NO_PLAINTEXT_AUTH);
        cr_expect_eq(check_set_with(CHECK_ON_SUCCESS | CHECK_NEEDS_PING),
                     1u << CHECK_PING_ANSWERED);
        for (int c = 0; c < CHECK_COUNT; c++) {
                cr_expect_eq((check_set_with(CHECK_NEEDS_REACTION) >> c) & 1u,
                             (t[c].needs & CHECK_NEEDS_REACTION) != 0, "%s", t[c].name);
                cr_expect_eq((check_success_set(DIR_OUTBOUND) >> c) & 1u,
                             (t[c].needs & CHECK_ON_SUCCESS) && (t[c].dirs & SCENARIO_DIR_OUT),
                             "%s", t[c].name);
        }
}

Test(checks, stream_ids_and_starttls_from_findings)
{
        struct check_facts f = base(9, DIR_OUTBOUND);
        struct finding v[2];
        char why[512];

        cr_expect(eval(CHECK_NEW_STREAM_ID, &f, why));
        v[0] = fnd(FINDING_VIOLATION, RULE_STR_6, "stream id 'x' reused after a restart");
        v[1] = fnd(FINDING_VIOLATION, RULE_TLS_9, "STARTTLS offered again");
        f.findings = v;
        f.n_findings = 2;
        cr_expect(!eval(CHECK_NEW_STREAM_ID, &f, why));
        cr_expect(strstr(why, "[STR-6: RFC 6120 §4.3.3]") != NULL, "%s", why);
        cr_expect(!eval(CHECK_NO_STARTTLS_AFTER_TLS, &f, why));
        cr_expect(strstr(why, "[TLS-9: RFC 6120 §5.4.3.3]") != NULL, "%s", why);
        /* A note with the same rule is not a violation. */
        v[0].kind = FINDING_NOTE;
        f.n_findings = 1;
        cr_expect(eval(CHECK_NEW_STREAM_ID, &f, why));
}

Test(checks, ping_answered_only_after_a_success)
{
        struct check_facts f = base(9, DIR_OUTBOUND);
        char why[512];

        cr_expect(eval(CHECK_PING_ANSWERED, &f, why));
        f.pong = false;
        cr_expect(!eval(CHECK_PING_ANSWERED, &f, why));
        cr_expect(strstr(why, "XEP-0199") != NULL, "%s", why);
        f.observed = OUTCOME_BIT(OUTCOME_F3);
        cr_expect(eval(CHECK_PING_ANSWERED, &f, why));
}

/* Negative scenario: after a failed or forged authentication the partner must not
 * process the harness's stanza (outbound), or send one itself (inbound). */
Test(checks, no_stanza_accepted)
{
        struct check_facts f = base(9, DIR_OUTBOUND);
        struct finding v = fnd(FINDING_VIOLATION, RULE_STR_7, "<iq/> before authentication");
        char why[512];

        f.observed = OUTCOME_BIT(OUTCOME_F3);
        f.pong = false;
        cr_expect(eval(CHECK_NO_STANZA_ACCEPTED, &f, why));
        f.stanzas_from_partner = 1;
        cr_expect(!eval(CHECK_NO_STANZA_ACCEPTED, &f, why));
        cr_expect(strstr(why, "processed a harness stanza") != NULL, "%s", why);
        f.stanzas_from_partner = 0;
        f.pong = true; /* the ping answered although the harness never authenticated */
        cr_expect(!eval(CHECK_NO_STANZA_ACCEPTED, &f, why));
        /* The partner ignored an early stanza, then authenticated the harness for real
         * (the outcome judges that) and answered the ping sent after it: nothing was
         * processed before authentication (Prosody 0.12, order-stanza-before-auth-out). */
        f.observed = OUTCOME_BIT(OUTCOME_S);
        cr_expect(eval(CHECK_NO_STANZA_ACCEPTED, &f, why), "%s", why);
        f.stanzas_from_partner = 1; /* but an answer to the early stanza counts */
        cr_expect(!eval(CHECK_NO_STANZA_ACCEPTED, &f, why));
        f = base(9, DIR_INBOUND);
        cr_expect(eval(CHECK_NO_STANZA_ACCEPTED, &f, why));
        f.findings = &v;
        f.n_findings = 1;
        cr_expect(!eval(CHECK_NO_STANZA_ACCEPTED, &f, why));
}

Test(checks, verify_id_post_tls)
{
        struct check_facts f = base(13, DIR_OUTBOUND);
        char why[512];

        cr_expect(eval(CHECK_VERIFY_ID_POST_TLS, &f, why)); /* no verify: nothing to judge */
        f.post_tls_id = "abc";
        f.verify_id = "abc";
        cr_expect(eval(CHECK_VERIFY_ID_POST_TLS, &f, why));
        f.verify_id = "pre";
        cr_expect(!eval(CHECK_VERIFY_ID_POST_TLS, &f, why));
        cr_expect(strstr(why, "XEP-0220 §2.1.2") != NULL, "%s", why);
}

/* Issue 9: a 'valid' with no verify behind it fails the check; it no longer holds
 * for want of a verify to judge. */
Test(checks, verify_id_post_tls_without_any_verify)
{
        struct check_facts f = base(13, DIR_OUTBOUND);
        char why[512];

        f.post_tls_id = "abc";
        f.unverified_valid = true;
        cr_expect(!eval(CHECK_VERIFY_ID_POST_TLS, &f, why));
        cr_expect(strstr(why, "no <db:verify/> reached") != NULL, "%s", why);
        f.unverified_valid = false;
        f.method = METHOD_DT;
        cr_expect(!eval(CHECK_VERIFY_ID_POST_TLS, &f, why), "dialback credited with no verify");
        f.method = METHOD_S;
        cr_expect(eval(CHECK_VERIFY_ID_POST_TLS, &f, why), "SASL needs no verify");
}

/* Reference §3.8: <required/> exactly when TLS is Required, EXTERNAL only after TLS
 * and only when S is accepted, dialback signalled as configured. */
Test(checks, features_consistent_outbound)
{
        struct check_facts f = base(7, DIR_OUTBOUND); /* M7 Req/Opt/T: {S, Dt} */
        struct check_features x[3] = {
            {.starttls = 2, .db_declared = true},
            {.post_tls = true, .external = true, .dialback = true, .db_declared = true},
            {.post_tls = true, .after_sasl = true},
        };
        struct finding v = fnd(FINDING_VIOLATION, RULE_SASL_4, "refused");
        char why[512];

        f.features = x;
        f.n_features = 3;
        cr_expect(eval(CHECK_FEATURES_CONSISTENT, &f, why), "%s", why);
        x[0].starttls = 1; /* no <required/> although TLS is Required */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        cr_expect(strstr(why, "without <required/>") != NULL, "%s", why);
        x[0].starttls = 2;
        x[0].dialback = true; /* M7 has no TCP dialback */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        x[0].dialback = false;
        x[1].dialback = false;
        x[1].db_declared = false; /* Dt configured, not signalled */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        x[1].dialback = true;
        x[1].external = false; /* S accepted and the certificate proves the harness */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        f.proving_cert = false;
        cr_expect(eval(CHECK_FEATURES_CONSISTENT, &f, why), "%s", why);
        x[0].external = true; /* EXTERNAL before TLS */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        x[0].external = false;
        /* EXTERNAL advertised but bound to fail. */
        f.findings = &v;
        f.n_findings = 1;
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        cr_expect(strstr(why, "bound to fail") != NULL, "%s", why);
        /* M13 (Req/NS/T) advertising EXTERNAL after TLS. */
        f = base(13, DIR_OUTBOUND);
        x[1].external = true;
        f.features = x;
        f.n_features = 2;
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        cr_expect(strstr(why, "accepts no SASL") != NULL, "%s", why);
}

Test(checks, features_consistent_inbound)
{
        struct check_facts f = base(17, DIR_INBOUND); /* M17 NS/NS/T: {Dp} */
        char why[512];

        f.tls = false;
        f.method = METHOD_DP;
        cr_expect(eval(CHECK_FEATURES_CONSISTENT, &f, why), "%s", why);
        f.tls = true; /* TLS NotSupported, yet TLS */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
        f = base(13, DIR_INBOUND); /* M13 {Dt} authenticating with S */
        cr_expect(!eval(CHECK_FEATURES_CONSISTENT, &f, why));
}

Test(checks, reactions_to_harness_misbehaviour)
{
        struct check_facts f = base(9, DIR_OUTBOUND);
        struct finding v[2];
        char why[512];

        cr_expect(!eval(CHECK_INVALID_FROM, &f, why));
        f.peer_error = "invalid-from";
        cr_expect(eval(CHECK_INVALID_FROM, &f, why));
        f.peer_error = "not-authorized";
        cr_expect(eval(CHECK_NOT_AUTHORIZED_CLOSE, &f, why));
        f.peer_error = "";
        cr_expect(!eval(CHECK_NOT_AUTHORIZED_CLOSE, &f, why));
        /* policy-violation only from a partner that requires TLS, before TLS. */
        f.peer_error = "policy-violation";
        cr_expect(!eval(CHECK_NOT_AUTHORIZED_CLOSE, &f, why), "M9 does not require TLS");
        f.partner.tls = NEG_REQUIRED;
        f.tls = false;
        cr_expect(eval(CHECK_NOT_AUTHORIZED_CLOSE, &f, why));
        f.tls = true;
        cr_expect(!eval(CHECK_NOT_AUTHORIZED_CLOSE, &f, why), "after TLS it is no excuse");
        f = base(9, DIR_OUTBOUND);
        f.db_result_sent = true;
        cr_expect(!eval(CHECK_DB_INVALID_CLOSE, &f, why));
        v[0] = fnd_about(FINDING_NOTE, RULE_DB_5, NULL, "invalid",
                         "dialback for a -> b answered type='invalid'");
        v[1] = fnd_about(FINDING_NOTE, RULE_DB_7, "item-not-found", "error",
                         "dialback for a -> b: error <item-not-found/>");
        f.findings = v;
        f.n_findings = 2;
        cr_expect(eval(CHECK_DB_INVALID_CLOSE, &f, why));
        cr_expect(eval(CHECK_DB_ITEM_NOT_FOUND, &f, why));
        f.sasl_success_pre_tls = true;
        cr_expect(!eval(CHECK_NO_SASL_BEFORE_TLS, &f, why));
        /* A TLS-Required partner authenticating a plaintext stream. */
        f = base(1, DIR_INBOUND);
        f.observed = OUTCOME_BIT(OUTCOME_DP);
        f.tls = false;
        cr_expect(!eval(CHECK_NO_PLAINTEXT_AUTH, &f, why));
        cr_expect(strstr(why, "RFC 7590") != NULL, "%s", why);
        /* An unsolicited valid result taken as authentication. */
        f = base(9, DIR_OUTBOUND);
        f.observed = OUTCOME_BIT(OUTCOME_F3);
        f.pong = false;
        cr_expect(eval(CHECK_UNSOLICITED_IGNORED, &f, why));
        f.stanzas_from_partner = 1;
        cr_expect(!eval(CHECK_UNSOLICITED_IGNORED, &f, why));
}

/* Issue 11: checks read what a finding is about as data (its rule id, condition
 * and dialback type), never its wording: the same rule about another condition
 * does not count, and rewording the text changes nothing. */
Test(checks, findings_judged_by_rule_and_condition)
{
        struct check_facts f = base(9, DIR_OUTBOUND);
        struct finding v[1];
        char why[512];

        f.db_result_sent = true;
        v[0] = fnd_about(FINDING_NOTE, RULE_DB_7, "remote-connection-failed", "error",
                         "anything at all, even <item-not-found/>");
        f.findings = v;
        f.n_findings = 1;
        cr_expect(!eval(CHECK_DB_ITEM_NOT_FOUND, &f, why), "another condition counted");
        cr_expect(strstr(why, "[DB-6: XEP-0220 §2.2.1]") != NULL, "%s", why);
        v[0] = fnd_about(FINDING_NOTE, RULE_DB_7, "item-not-found", "error", "reworded");
        cr_expect(eval(CHECK_DB_ITEM_NOT_FOUND, &f, why), "%s", why);
        v[0] = fnd_about(FINDING_NOTE, RULE_DB_5, NULL, "valid", "type='invalid' in the text");
        cr_expect(!eval(CHECK_DB_INVALID_CLOSE, &f, why), "the text decided, not the type");
        /* A stream error the partner sent on another harness stream. */
        f.peer_error = "";
        v[0] = fnd_about(FINDING_NOTE, RULE_STR_11, "not-authorized", NULL, "<invalid-from/>");
        cr_expect(!eval(CHECK_INVALID_FROM, &f, why));
        v[0] = fnd_about(FINDING_NOTE, RULE_STR_11, "invalid-from", NULL, "reworded");
        cr_expect(eval(CHECK_INVALID_FROM, &f, why), "%s", why);
        /* <failure/> to an unoffered <starttls/>: the note under TLS-6. */
        f.n_findings = 0;
        cr_expect(!eval(CHECK_STARTTLS_FAILURE_CLOSE, &f, why));
        v[0] = fnd(FINDING_NOTE, RULE_TLS_6, "reworded");
        f.n_findings = 1;
        cr_expect(eval(CHECK_STARTTLS_FAILURE_CLOSE, &f, why), "%s", why);
        v[0].kind = FINDING_VIOLATION; /* the violation under TLS-6 is the other side's */
        cr_expect(!eval(CHECK_STARTTLS_FAILURE_CLOSE, &f, why));
}

/* The check table: every row named, with a predicate and rules that resolve; the
 * scenario loader's names are the table's. */
Test(checks, table_rows)
{
        const struct check_def *t = check_table();
        const struct scenario_name_info *n = scenario_checks();

        for (int c = 0; c < CHECK_COUNT; c++) {
                cr_assert_not_null(t[c].name, "row %d", c);
                cr_expect_not_null(t[c].holds, "%s", t[c].name);
                cr_expect_neq(t[c].dirs, 0u, "%s", t[c].name);
                cr_expect_neq(t[c].rules[0], RULE_NONE, "%s cites no rule", t[c].name);
                for (int k = 0; k < CHECK_RULES_MAX && t[c].rules[k] != RULE_NONE; k++)
                        cr_expect_eq(rule_by_name(rule_name(t[c].rules[k])), t[c].rules[k], "%s",
                                     t[c].name);
                cr_expect_str_eq(n[c].name, t[c].name);
                cr_expect(strstr(n[c].spec, rule_cite(t[c].rules[0])) == n[c].spec, "%s: %s",
                          t[c].name, n[c].spec);
        }
}

/* SASL-9 (RFC 6120 §6.4.6): the check added with the table, a row and a predicate. */
Test(checks, features_after_sasl)
{
        struct check_facts f = base(1, DIR_OUTBOUND);
        struct finding v = fnd(FINDING_VIOLATION, RULE_SASL_9,
                               "features after SASL success still "
                               "offer STARTTLS");
        char why[512];
        enum rule_id rule;

        cr_expect(check_eval_rule(CHECK_FEATURES_AFTER_SASL, &f, why, sizeof(why), &rule));
        cr_expect_eq(rule, RULE_NONE);
        f.findings = &v;
        f.n_findings = 1;
        cr_expect_not(check_eval_rule(CHECK_FEATURES_AFTER_SASL, &f, why, sizeof(why), &rule));
        cr_expect_eq(rule, RULE_SASL_9);
        cr_expect(strstr(why, "[SASL-9: RFC 6120 §6.4.6]") != NULL, "%s", why);
        v.kind = FINDING_NOTE;
        cr_expect(eval(CHECK_FEATURES_AFTER_SASL, &f, why), "a note is no violation");
}

/* Issue 15 item 6: the negatives ask for the exact condition RFC 6120 §4.9.3 names,
 * read from the typed condition (peer_error, or an STR-11 note's cond): a near
 * condition, none, or the right word in a finding's text does not count. */
Test(checks, negatives_get_the_exact_condition)
{
        static const struct {
                enum scenario_check c;
                const char *cond, *near, *cite;
                bool after_auth; /* judged only once the stream authenticated */
        } rows[] = {
            {CHECK_INVALID_NAMESPACE, "invalid-namespace", "bad-namespace-prefix",
             "[H-SE-INVALID-NAMESPACE: RFC 6120 §4.9.3.10]", false},
            {CHECK_HOST_UNKNOWN, "host-unknown", "host-gone",
             "[H-SE-HOST-UNKNOWN: RFC 6120 §4.9.3.6]", false},
            {CHECK_IMPROPER_ADDRESSING, "improper-addressing", "invalid-from",
             "[H-SE-IMPROPER-ADDRESSING: RFC 6120 §4.9.3.7]", true},
            {CHECK_NOT_WELL_FORMED, "not-well-formed", "invalid-xml",
             "[H-SE-NOT-WELL-FORMED: RFC 6120 §4.9.3.13]", true},
        };
        struct finding v[1];
        char why[512];

        for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
                struct check_facts f = base(9, DIR_OUTBOUND);

                f.peer_error = rows[i].cond;
                cr_expect(eval(rows[i].c, &f, why), "%s: %s", rows[i].cond, why);
                f.peer_error = rows[i].near;
                cr_expect(!eval(rows[i].c, &f, why), "%s taken for %s", rows[i].near, rows[i].cond);
                cr_expect(strstr(why, rows[i].cite) != NULL, "%s", why);
                cr_expect(strstr(why, rows[i].near) != NULL, "the reason names what came: %s", why);
                f.peer_error = "";
                cr_expect(!eval(rows[i].c, &f, why), "%s: no stream error", rows[i].cond);
                cr_expect(strstr(why, "(stream error: none)") != NULL, "%s", why);
                /* On another harness stream: the STR-11 note's condition, not its text. */
                v[0] = fnd_about(FINDING_NOTE, RULE_STR_11, rows[i].near, NULL, rows[i].cond);
                f.findings = v;
                f.n_findings = 1;
                cr_expect(!eval(rows[i].c, &f, why), "%s: the text decided", rows[i].cond);
                v[0] = fnd_about(FINDING_NOTE, RULE_STR_11, rows[i].cond, NULL, "reworded");
                cr_expect(eval(rows[i].c, &f, why), "%s: %s", rows[i].cond, why);
                /* A stanza sent once authenticated: nothing to judge without that. */
                f.n_findings = 0;
                f.observed = OUTCOME_BIT(OUTCOME_F4);
                cr_expect_eq(eval(rows[i].c, &f, why), rows[i].after_auth, "%s", rows[i].cond);
        }
}
