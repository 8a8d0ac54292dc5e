#include "checks.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "util.h"

static bool fail(struct check_why *w, enum rule_id rule, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* false, with the reason in w followed by the rule: "... [TLS-9: RFC 6120 §5.4.3.3]". */
static bool fail(struct check_why *w, enum rule_id rule, const char *fmt, ...)
{
        char *why = w->text;
        size_t whylen = w->len;
        va_list ap;
        size_t n;

        w->rule = rule;
        va_start(ap, fmt);
        util_vformat(why, whylen, fmt, ap);
        va_end(ap);
        n = why != NULL && whylen > 0 ? strlen(why) : 0;
        if (rule != RULE_NONE && n + 1 < whylen)
                snprintf(why + n, whylen - n, " [%s: %s]", rule_name(rule), rule_cite(rule));
        return false;
}

/* The first finding of kind under rule. */
static const struct finding *find(const struct check_facts *f, enum finding_kind kind,
                                  enum rule_id rule)
{
        for (size_t i = 0; i < f->n_findings; i++) {
                const struct finding *x = &f->findings[i];

                if (x->kind == kind && x->rule_id == rule)
                        return x;
        }
        return NULL;
}

/* The first finding of kind under rule about condition cond and/or dialback type
 * type (NULL: any). */
static const struct finding *find_about(const struct check_facts *f, enum finding_kind kind,
                                        enum rule_id rule, const char *cond, const char *type)
{
        for (size_t i = 0; i < f->n_findings; i++) {
                const struct finding *x = &f->findings[i];

                if (x->kind == kind && x->rule_id == rule &&
                    (cond == NULL || strcmp(x->cond, cond) == 0) &&
                    (type == NULL || strcmp(x->type, type) == 0))
                        return x;
        }
        return NULL;
}

static bool violation_free(const struct check_facts *f, enum rule_id rule, const char *what,
                           struct check_why *w)
{
        const struct finding *x = find(f, FINDING_VIOLATION, rule);

        if (x == NULL)
                return true;
        return fail(w, x->rule_id, "%s: %s", what, x->text);
}

/* What the partner advertises agrees with its configuration (docs/observables.md). */
static bool features_out(const struct check_facts *f, struct check_why *w)
{
        unsigned a = oracle_methods(&f->partner, SEMANTICS_MATRIX);
        int want_starttls = f->partner.tls == NEG_REQUIRED   ? 2
                            : f->partner.tls == NEG_OPTIONAL ? 1
                                                             : 0;
        static const char *const st[] = {"no STARTTLS", "STARTTLS without <required/>",
                                         "STARTTLS with <required/>"};

        if (find(f, FINDING_VIOLATION, RULE_SASL_4) != NULL)
                return fail(w, RULE_SASL_4,
                            "EXTERNAL was advertised but bound to fail: offered, then refused "
                            "with <not-authorized/>");
        for (size_t i = 0; i < f->n_features; i++) {
                const struct check_features *x = &f->features[i];

                if (x->after_sasl)
                        continue;
                if (!x->post_tls) {
                        if (x->starttls != want_starttls)
                                return fail(w, RULE_TLS_2,
                                            "the partner (TLS %s) advertised %s before TLS",
                                            neg_name(f->partner.tls), st[x->starttls]);
                        if (x->external)
                                return fail(w, RULE_H_EXTERNAL_PRE_TLS,
                                            "EXTERNAL advertised before TLS");
                        if ((a & METHOD_DP) && !x->dialback && !x->db_declared)
                                return fail(w, RULE_DB_1,
                                            "dialback is configured for plaintext (TCP "
                                            "dialback) but not signalled before TLS");
                        if (!(a & METHOD_DP) && x->dialback)
                                return fail(w, RULE_H_FEATURES_CONFIG,
                                            "the dialback feature is advertised before TLS, "
                                            "but the configuration accepts no TCP dialback");
                        continue;
                }
                if (x->starttls != 0)
                        return fail(w, RULE_TLS_9, "STARTTLS advertised again after TLS");
                if (x->external && !(a & METHOD_S))
                        return fail(w, RULE_H_FEATURES_CONFIG,
                                    "EXTERNAL advertised after TLS, but the configuration "
                                    "accepts no SASL");
                if (!x->external && (a & METHOD_S) && f->proving_cert)
                        return fail(w, RULE_SASL_4,
                                    "the configuration accepts SASL EXTERNAL, but it is not "
                                    "advertised after TLS to a certificate that proves the "
                                    "harness domain");
                if ((a & METHOD_DT) && !x->dialback && !x->db_declared)
                        return fail(w, RULE_DB_1,
                                    "dialback over TLS is configured but not signalled after "
                                    "TLS");
                if (!(a & METHOD_DT) && x->dialback)
                        return fail(w, RULE_H_FEATURES_CONFIG,
                                    "the dialback feature is advertised after TLS, but the "
                                    "configuration accepts no TLS dialback");
        }
        return true;
}

/* Inbound: what the partner used agrees with its configuration. */
static bool features_in(const struct check_facts *f, struct check_why *w)
{
        unsigned a = oracle_methods(&f->partner, SEMANTICS_MATRIX);
        char m[16];

        if (f->partner.tls == NEG_NOTSUPPORTED && f->tls)
                return fail(w, RULE_H_FEATURES_CONFIG,
                            "the partner (TLS NotSupported) started TLS");
        if (f->method != 0 && !(a & f->method))
                return fail(w, RULE_H_FEATURES_CONFIG,
                            "the partner authenticated with %s, which its configuration does not "
                            "accept",
                            methods_text(f->method, ",", m, sizeof(m)));
        if (f->partner.tls == NEG_REQUIRED && f->method != 0 && !f->tls)
                return fail(w, RULE_H_DOWNGRADE,
                            "the partner (TLS Required) authenticated without TLS");
        return true;
}

/* Outbound: the partner processed a harness stanza although nothing authenticated the
 * harness. An answered ping counts only without a success: after one (judged by the
 * outcome) it is the expected answer, no sign that an earlier stanza was processed. */
static bool stanza_accepted(const struct check_facts *f)
{
        return (f->pong && !(f->observed & OUTCOME_SUCCESS_SET)) || f->stanzas_from_partner > 0;
}

static const char *error_or_none(const struct check_facts *f)
{
        return f->peer_error != NULL && f->peer_error[0] ? f->peer_error : "none";
}

/* ---- the predicates, one per row ----------------------------------------------- */

static bool new_stream_id(const struct check_facts *f, struct check_why *w)
{
        return violation_free(f, RULE_STR_6, "stream id not new", w);
}

static bool stream_id_present(const struct check_facts *f, struct check_why *w)
{
        return violation_free(f, RULE_H_HDR_ID, "stream id missing", w);
}

static bool no_starttls_after_tls(const struct check_facts *f, struct check_why *w)
{
        if (f->dir == DIR_OUTBOUND)
                return violation_free(f, RULE_TLS_9, "STARTTLS after TLS", w);
        return violation_free(f, RULE_TLS_6, "<starttls/> after TLS", w);
}

static bool from_to_echoed(const struct check_facts *f, struct check_why *w)
{
        return violation_free(f, RULE_H_HDR_FROM, "header from", w) &&
               violation_free(f, RULE_H_HDR_TO, "header to", w) &&
               violation_free(f, RULE_H_STANZA_ADDR, "stanza addressing", w) &&
               violation_free(f, RULE_DB_2, "dialback from/to", w);
}

static bool ping_answered(const struct check_facts *f, struct check_why *w)
{
        /* The test stanza follows authentication. */
        if (f->pong || !(f->observed & OUTCOME_SUCCESS_SET))
                return true;
        return fail(w, RULE_H_PING,
                    f->dir == DIR_OUTBOUND
                        ? "the ping sent after authentication was not answered"
                        : "no test stanza of the partner arrived after authentication");
}

static bool no_stanza_accepted(const struct check_facts *f, struct check_why *w)
{
        unsigned n;

        if (f->dir == DIR_INBOUND)
                return violation_free(f, RULE_STR_7, "a stanza before authentication", w);
        if (!stanza_accepted(f))
                return true;
        n = f->stanzas_from_partner + (f->pong && !(f->observed & OUTCOME_SUCCESS_SET) ? 1u : 0u);
        return fail(w, RULE_STR_7,
                    "the partner processed a harness stanza sent without authentication (%u "
                    "answer%s)",
                    n, n == 1 ? "" : "s");
}

static bool verify_id_post_tls(const struct check_facts *f, struct check_why *w)
{
        if (f->verify_id == NULL || f->verify_id[0] == '\0') {
                /* No verify: nothing to judge, unless the partner said valid anyway. */
                if (!f->unverified_valid && !(f->method & (METHOD_DT | METHOD_DP)))
                        return true;
                return fail(w, RULE_H_DB_UNVERIFIED,
                            "no <db:verify/> reached the harness's authoritative server, yet the "
                            "partner answered type='valid'");
        }
        if (f->post_tls_id == NULL || f->post_tls_id[0] == '\0' ||
            strcmp(f->verify_id, f->post_tls_id) == 0)
                return true;
        return fail(w, RULE_DB_3,
                    "the partner's <db:verify/> carries id '%s', not the post-TLS stream id '%s'",
                    f->verify_id, f->post_tls_id);
}

static bool features_consistent(const struct check_facts *f, struct check_why *w)
{
        return f->dir == DIR_OUTBOUND ? features_out(f, w) : features_in(f, w);
}

static bool starttls_failure_close(const struct check_facts *f, struct check_why *w)
{
        /* Only an unoffered <starttls/> is judged: a partner that offers STARTTLS
         * never gets one. */
        if (f->n_features > 0 && f->features[0].starttls != 0)
                return true;
        if (find(f, FINDING_NOTE, RULE_TLS_6) != NULL)
                return true;
        return fail(w, RULE_TLS_6, "an unoffered <starttls/> did not get <failure/>");
}

/*
 * The partner closed with stream error condition cond (RFC 6120 §4.9.3): on the
 * scenario's stream (its typed peer_error), or on another harness stream (the STR-11
 * note the engine records with the condition). The negatives ask for the one
 * condition the RFC names; none of them is left open to a set.
 */
static bool got_condition(const struct check_facts *f, const char *cond)
{
        return (f->peer_error != NULL && strcmp(f->peer_error, cond) == 0) ||
               find_about(f, FINDING_NOTE, RULE_STR_11, cond, NULL) != NULL;
}

/* A negative's stream error: cond, else a failure citing rule about what was sent. */
static bool condition_check(const struct check_facts *f, struct check_why *w, const char *cond,
                            enum rule_id rule, const char *sent)
{
        if (got_condition(f, cond))
                return true;
        return fail(w, rule, "%s did not get <%s/> (stream error: %s)", sent, cond,
                    error_or_none(f));
}

static bool invalid_from(const struct check_facts *f, struct check_why *w)
{
        /* The stanza is sent once authenticated: nothing to judge otherwise. */
        if (!(f->observed & OUTCOME_SUCCESS_SET))
                return true;
        return condition_check(f, w, "invalid-from", RULE_H_SE_INVALID_FROM,
                               "a stanza from an unauthenticated domain");
}

static bool invalid_namespace(const struct check_facts *f, struct check_why *w)
{
        return condition_check(f, w, "invalid-namespace", RULE_H_SE_INVALID_NAMESPACE,
                               "a stream header in the wrong stream namespace");
}

static bool host_unknown(const struct check_facts *f, struct check_why *w)
{
        return condition_check(f, w, "host-unknown", RULE_H_SE_HOST_UNKNOWN,
                               "a stream header to a domain the partner does not host");
}

static bool improper_addressing(const struct check_facts *f, struct check_why *w)
{
        /* Sent once authenticated, as invalid-from's stanza. */
        if (!(f->observed & OUTCOME_SUCCESS_SET))
                return true;
        return condition_check(f, w, "improper-addressing", RULE_H_SE_IMPROPER_ADDRESSING,
                               "a stanza without 'to'");
}

static bool not_well_formed(const struct check_facts *f, struct check_why *w)
{
        if (!(f->observed & OUTCOME_SUCCESS_SET))
                return true;
        return condition_check(f, w, "not-well-formed", RULE_H_SE_NOT_WELL_FORMED,
                               "a stanza that is not well-formed XML");
}

static bool db_invalid_close(const struct check_facts *f, struct check_why *w)
{
        /* Judged only when a key was offered: a partner without a common dialback
         * method never verifies one. */
        if (!f->db_result_sent)
                return true;
        if (find_about(f, FINDING_NOTE, RULE_DB_5, NULL, "invalid") != NULL)
                return true;
        return fail(w, RULE_DB_5, "a rejected key did not get <db:result type='invalid'/>");
}

static bool db_item_not_found(const struct check_facts *f, struct check_why *w)
{
        const struct finding *x;

        if (!f->db_result_sent)
                return true;
        /* Verified anyway (valid or invalid): name what the partner did. */
        if ((x = find(f, FINDING_VIOLATION, RULE_DB_6)) != NULL)
                return fail(w, RULE_DB_6, "%s", x->text);
        if (find_about(f, FINDING_NOTE, RULE_DB_7, "item-not-found", NULL) != NULL)
                return true;
        return fail(w, RULE_DB_6, "dialback to an unhosted domain did not get <item-not-found/>");
}

static bool no_plaintext_auth(const struct check_facts *f, struct check_why *w)
{
        const struct finding *x;

        if ((x = find(f, FINDING_VIOLATION, RULE_H_DOWNGRADE)) != NULL)
                return fail(w, RULE_H_DOWNGRADE, "%s", x->text);
        if (f->partner.tls == NEG_REQUIRED && (f->observed & OUTCOME_SUCCESS_SET) && !f->tls)
                return fail(w, RULE_H_DOWNGRADE,
                            "the partner (TLS Required) authenticated a plaintext stream");
        return true;
}

static bool unsolicited_ignored(const struct check_facts *f, struct check_why *w)
{
        if (!stanza_accepted(f) && !(f->observed & OUTCOME_SUCCESS_SET))
                return true;
        return fail(w, RULE_DB_9,
                    "an unsolicited <db:result type='valid'/> was taken as authentication");
}

static bool not_authorized_close(const struct check_facts *f, struct check_why *w)
{
        if (f->peer_error != NULL && strcmp(f->peer_error, "not-authorized") == 0)
                return true;
        /* A partner that requires TLS may name that policy instead: the stanza came
         * before TLS too (RFC 6120 §4.9.3.14). */
        if (f->peer_error != NULL && strcmp(f->peer_error, "policy-violation") == 0 &&
            f->partner.tls == NEG_REQUIRED && !f->tls)
                return true;
        return fail(w, RULE_STR_7,
                    "a stanza before authentication did not get <not-authorized/> (stream "
                    "error: %s)",
                    error_or_none(f));
}

static bool no_sasl_before_tls(const struct check_facts *f, struct check_why *w)
{
        if (!f->sasl_success_pre_tls)
                return true;
        return fail(w, RULE_H_SASL_PRE_TLS, "<auth/> before TLS got <success/>");
}

static bool features_after_sasl(const struct check_facts *f, struct check_why *w)
{
        return violation_free(f, RULE_SASL_9, "features after SASL", w);
}

#define BOTH (SCENARIO_DIR_OUT | SCENARIO_DIR_IN)

static const struct check_def table[CHECK_COUNT] = {
    [CHECK_NEW_STREAM_ID] = {"new-stream-id",
                             SCENARIO_DIR_OUT,
                             {RULE_STR_6, RULE_TLS_9},
                             "the partner's stream id changes after each restart",
                             new_stream_id,
                             CHECK_ON_SUCCESS},
    [CHECK_STREAM_ID_PRESENT] = {"stream-id-present",
                                 SCENARIO_DIR_OUT,
                                 {RULE_H_HDR_ID},
                                 "every response header of the partner carries an id",
                                 stream_id_present,
                                 0},
    [CHECK_NO_STARTTLS_AFTER_TLS] = {"no-starttls-after-tls",
                                     BOTH,
                                     {RULE_TLS_9, RULE_TLS_6},
                                     "outbound: the post-TLS features offer no STARTTLS; "
                                     "inbound: the partner sends no second <starttls/>",
                                     no_starttls_after_tls,
                                     CHECK_ON_SUCCESS},
    [CHECK_FROM_TO_ECHOED] = {"from-to-echoed",
                              BOTH,
                              {RULE_H_HDR_FROM, RULE_H_HDR_TO, RULE_H_STANZA_ADDR, RULE_DB_2},
                              "headers and dialback elements carry the right from and to",
                              from_to_echoed,
                              CHECK_ON_SUCCESS},
    [CHECK_PING_ANSWERED] = {"ping-answered",
                             BOTH,
                             {RULE_H_PING},
                             "the test stanza (an XMPP ping) is accepted and answered",
                             ping_answered,
                             CHECK_ON_SUCCESS | CHECK_NEEDS_PING},
    [CHECK_NO_STANZA_ACCEPTED] = {"no-stanza-accepted",
                                  BOTH,
                                  {RULE_STR_7, RULE_DB_2},
                                  "outbound: the partner processes no stanza of the harness; "
                                  "inbound: the partner sends no stanza before it is "
                                  "authenticated",
                                  no_stanza_accepted,
                                  CHECK_NEEDS_REACTION},
    [CHECK_VERIFY_ID_POST_TLS] = {"verify-id-post-tls",
                                  SCENARIO_DIR_OUT,
                                  {RULE_DB_3, RULE_H_DB_UNVERIFIED},
                                  "the partner's <db:verify/> id is the post-TLS stream id",
                                  verify_id_post_tls,
                                  0},
    [CHECK_FEATURES_CONSISTENT] = {"features-consistent",
                                   BOTH,
                                   {RULE_H_FEATURES_CONFIG, RULE_TLS_2, RULE_SASL_4, RULE_DB_1},
                                   "what the partner advertises (outbound) or uses (inbound) "
                                   "agrees with its configuration",
                                   features_consistent,
                                   0},
    [CHECK_STARTTLS_FAILURE_CLOSE] = {"starttls-failure-close",
                                      SCENARIO_DIR_OUT,
                                      {RULE_TLS_6},
                                      "an unoffered <starttls/> gets <failure/> and the "
                                      "stream closes",
                                      starttls_failure_close,
                                      0},
    [CHECK_INVALID_FROM] = {"invalid-from",
                            SCENARIO_DIR_OUT,
                            {RULE_H_SE_INVALID_FROM},
                            "a stanza from an unauthenticated domain gets <invalid-from/>",
                            invalid_from,
                            CHECK_NEEDS_REACTION},
    [CHECK_DB_INVALID_CLOSE] = {"db-invalid-close",
                                SCENARIO_DIR_OUT,
                                {RULE_DB_5},
                                "a key the authoritative server rejects gets <db:result "
                                "type='invalid'/> and the stream closes",
                                db_invalid_close,
                                0},
    [CHECK_DB_ITEM_NOT_FOUND] = {"db-item-not-found",
                                 SCENARIO_DIR_OUT,
                                 {RULE_DB_6},
                                 "a dialback request for an unhosted domain gets a dialback "
                                 "error <item-not-found/>, not a stream error",
                                 db_item_not_found,
                                 0},
    [CHECK_NO_PLAINTEXT_AUTH] = {"no-plaintext-auth",
                                 BOTH,
                                 {RULE_H_DOWNGRADE, RULE_TLS_3},
                                 "a partner with TLS Required authenticates nothing on a "
                                 "plaintext stream",
                                 no_plaintext_auth,
                                 CHECK_NEEDS_PEER_SETTINGS},
    [CHECK_UNSOLICITED_IGNORED] = {"unsolicited-ignored",
                                   SCENARIO_DIR_OUT,
                                   {RULE_DB_9},
                                   "an unsolicited <db:result type='valid'/> authenticates "
                                   "nothing",
                                   unsolicited_ignored,
                                   CHECK_NEEDS_REACTION},
    [CHECK_NOT_AUTHORIZED_CLOSE] = {"not-authorized-close",
                                    SCENARIO_DIR_OUT,
                                    {RULE_STR_7},
                                    "a stanza before authentication gets <not-authorized/> and "
                                    "the stream closes",
                                    not_authorized_close,
                                    CHECK_NEEDS_REACTION},
    [CHECK_NO_SASL_BEFORE_TLS] = {"no-sasl-before-tls",
                                  SCENARIO_DIR_OUT,
                                  {RULE_H_SASL_PRE_TLS},
                                  "<auth/> on the plaintext stream never gets <success/>",
                                  no_sasl_before_tls,
                                  0},
    [CHECK_FEATURES_AFTER_SASL] = {"features-after-sasl",
                                   SCENARIO_DIR_OUT,
                                   {RULE_SASL_9},
                                   "the features after SASL <success/> offer neither STARTTLS "
                                   "nor SASL mechanisms",
                                   features_after_sasl,
                                   0},
    [CHECK_INVALID_NAMESPACE] = {"invalid-namespace",
                                 SCENARIO_DIR_OUT,
                                 {RULE_H_SE_INVALID_NAMESPACE, RULE_H_XML_STREAM_NS},
                                 "a stream header in the wrong stream namespace gets "
                                 "<invalid-namespace/>",
                                 invalid_namespace,
                                 CHECK_NEEDS_REACTION},
    [CHECK_HOST_UNKNOWN] = {"host-unknown",
                            SCENARIO_DIR_OUT,
                            {RULE_H_SE_HOST_UNKNOWN},
                            "a stream header to a domain the partner does not host gets "
                            "<host-unknown/>",
                            host_unknown,
                            CHECK_NEEDS_REACTION},
    [CHECK_IMPROPER_ADDRESSING] = {"improper-addressing",
                                   SCENARIO_DIR_OUT,
                                   {RULE_H_SE_IMPROPER_ADDRESSING, RULE_H_STANZA_ADDR},
                                   "a stanza without 'to' gets <improper-addressing/>",
                                   improper_addressing,
                                   CHECK_NEEDS_REACTION},
    [CHECK_NOT_WELL_FORMED] = {"not-well-formed",
                               SCENARIO_DIR_OUT,
                               {RULE_H_SE_NOT_WELL_FORMED, RULE_H_XML_WELLFORMED},
                               "a stanza that is not well-formed XML gets <not-well-formed/>",
                               not_well_formed,
                               CHECK_NEEDS_REACTION},
};

const struct check_def *check_table(void)
{
        return table;
}

const struct scenario_name_info *check_names(void)
{
        /* Built once from the table (the program is single-threaded). */
        static struct scenario_name_info names[CHECK_COUNT];
        static char specs[CHECK_COUNT][160];
        static bool built;

        if (!built) {
                for (int c = 0; c < CHECK_COUNT; c++) {
                        size_t n = 0;

                        specs[c][0] = '\0';
                        for (int k = 0; k < CHECK_RULES_MAX && table[c].rules[k] != RULE_NONE;
                             k++) {
                                int w = snprintf(specs[c] + n, sizeof(specs[c]) - n, "%s%s",
                                                 k > 0 ? "; " : "", rule_cite(table[c].rules[k]));

                                if (w < 0 || (size_t)w >= sizeof(specs[c]) - n)
                                        break;
                                n += (size_t)w;
                        }
                        names[c].name = table[c].name;
                        names[c].dirs = table[c].dirs;
                        names[c].spec = specs[c];
                        names[c].what = table[c].what;
                        names[c].values = NULL;
                }
                built = true;
        }
        return names;
}

bool check_eval_rule(enum scenario_check c, const struct check_facts *f, char *why, size_t whylen,
                     enum rule_id *rule)
{
        struct check_why w = {why, whylen, RULE_NONE};
        bool ok;

        if (why != NULL && whylen > 0)
                why[0] = '\0';
        if ((int)c < 0 || c >= CHECK_COUNT || table[c].holds == NULL)
                ok = fail(&w, RULE_NONE, "unknown check");
        else
                ok = table[c].holds(f, &w);
        if (rule != NULL)
                *rule = ok ? RULE_NONE : w.rule;
        return ok;
}

bool check_eval(enum scenario_check c, const struct check_facts *f, char *why, size_t whylen)
{
        return check_eval_rule(c, f, why, whylen, NULL);
}

unsigned check_success_set(enum direction dir)
{
        unsigned s = 0;

        for (int c = 0; c < CHECK_COUNT; c++) {
                if ((table[c].needs & CHECK_ON_SUCCESS) && (table[c].dirs & (1u << dir)))
                        s |= 1u << c;
        }
        return s;
}

unsigned check_set_with(unsigned needs)
{
        unsigned s = 0;

        for (int c = 0; c < CHECK_COUNT; c++) {
                if ((table[c].needs & needs) == needs)
                        s |= 1u << c;
        }
        return s;
}
