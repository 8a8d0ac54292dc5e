#include "classify.h"

#include <string.h>

#include "buf.h"
#include "domains.h"
#include "oracle.h"
#include "rules.h"
#include "settings.h"
#include "util.h"
#include "verdict.h"

/*
 * The row suggested for each class E1..E7 (reference §3.8). All rows of a class
 * accept the same methods with the same TLS behaviour, so they are the same on
 * the wire and any of them would do; the pick is a convention, the row whose
 * settings claim nothing the wire cannot show and that Microsoft's table B gives
 * without a warning where possible:
 *   E1 {M1,M2,M8} -> M2 Req/Req/F: M1's dialback never runs (warning), M8's
 *                    optional SASL is never optional in practice;
 *   E2 {M3,M9}    -> M9 Opt/Opt/T: table A's "most flexible" row; M3 requires
 *                    SASL on optional TLS;
 *   E3 {M4,M10}   -> M10 Opt/Opt/F: does not claim SASL is required on optional TLS;
 *   E4..E7 have one row each: M7, M13, M15, M17.
 */
static const int canonical_rows[ORACLE_CLASSES] = {2, 9, 10, 7, 13, 15, 17};

int classify_canonical_row(int k)
{
        if (k < 1 || k > ORACLE_CLASSES)
                return 0;
        return canonical_rows[k - 1];
}

/* The results the classification uses (classify.h). */
bool classify_uses(const struct scenario_result *s)
{
        /* The domains-* scenarios (tag "domains") are the domains verdict's
         * (domains.h): an unserved additional domain says nothing of the negotiation
         * settings (issue 13 item 1). */
        return !s->domains_scenario && s->observed != 0 && !s->not_run && !s->unclassified &&
               s->verdict != VERDICT_ERROR && s->verdict != VERDICT_SKIP;
}

/* A match only through an alternative the scenario accepts (an UNDEFINED point of
 * the reference, e.g. closing at the handshake instead of dialback with a bad
 * certificate): the partner chose something its configuration does not imply,
 * which is worth telling (reference §3.7, §3.10). */
bool classify_is_alternative(const struct scenario_result *s)
{
        return s->verdict == VERDICT_MATCH && s->accepted != 0 && s->observed != 0 &&
               !oracle_consistent(s->expected, s->observed);
}

/*
 * The number of outbound scenarios in which the harness presented a certificate that
 * cannot prove its domain, dialback was the outcome the configuration implies, and
 * the partner closed instead (F3): the partner demands a valid certificate even for
 * dialback (e.g. Prosody's s2s_secure_auth), which no Lync setting expresses.
 */
size_t classify_cert_required_for_dialback(const struct run_report *r)
{
        size_t n = 0;

        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];

                /* "none" does not count: with no certificate at all a partner may have
                 * other reasons to refuse (a TLS stack that wants a client certificate). */
                n += s->dir == DIR_OUTBOUND && strcmp(s->certificate, "default") != 0 &&
                     strcmp(s->certificate, "none") != 0 && s->expected == OUTCOME_DT &&
                     s->observed == OUTCOME_BIT(OUTCOME_F3) &&
                     (s->verdict == VERDICT_MATCH || s->verdict == VERDICT_XFAIL);
        }
        return n;
}

/* A finding no Lync setting expresses: a scenario that went wrong although no
 * partner configuration accounts for it (a failed wire check, or a mismatch of a
 * scenario outside the classification). */
bool classify_is_finding(const struct scenario_result *s)
{
        if (s->verdict != VERDICT_MISMATCH && s->verdict != VERDICT_XFAIL)
                return false;
        return s->unclassified || s->failed_check[0] != '\0';
}

/* The result behind observation number k (as numbered by classify_run). */
static const struct scenario_result *observation_result(const struct run_report *r, int k)
{
        int seen = 0;

        for (size_t i = 0; i < r->n_results; i++) {
                if (!classify_uses(&r->results[i]))
                        continue;
                if (seen++ == k)
                        return &r->results[i];
        }
        return NULL;
}

static int class_of_row(int row)
{
        for (int k = 1; k <= ORACLE_CLASSES; k++) {
                if (oracle_class_rows(k) & (1u << (row - 1)))
                        return k;
        }
        return 0;
}

int classify_lowest_class(unsigned classes)
{
        for (int k = 1; k <= ORACLE_CLASSES; k++) {
                if (classes & (1u << (k - 1)))
                        return k;
        }
        return 0;
}

static const char *const state_names[] = {"nothing-observed", "matches", "class", "undecided",
                                          "none"};

const char *classify_state_name(enum classify_state st)
{
        if ((unsigned)st >= ARRAY_LEN(state_names))
                return "?";
        return state_names[st];
}

/* What explains the observations: compared exactly, or by behaviour when no class
 * does exactly (oracle.h, docs/observables.md). */
unsigned classify_rows(const struct run_report *r)
{
        return oracle_classification_rows(&r->cls);
}

unsigned classify_classes(const struct run_report *r)
{
        return oracle_classification_classes(&r->cls);
}

int classify_own_row(const struct run_report *r)
{
        return settings_row(&r->partner);
}

bool classify_own_row_consistent(const struct run_report *r)
{
        int row = classify_own_row(r);

        return row >= 1 && row <= SETTINGS_ROWS && (classify_rows(r) & (1u << (row - 1)));
}

enum classify_state classify_state(const struct run_report *r)
{
        if (r->n_classified == 0)
                return CLASSIFY_NOTHING;
        if (classify_own_row_consistent(r) && oracle_valid(&r->partner))
                return CLASSIFY_OWN_ROW;
        switch (classify_class_count(r)) {
        case 0:
                return CLASSIFY_NONE;
        case 1:
                return CLASSIFY_ONE;
        default:
                return CLASSIFY_SEVERAL;
        }
}

/*
 * The negotiation parameters (s; NULL: none) and, when the domains verdict
 * (domains.h) found additional domains the partner does not serve, the
 * -AdditionalDomains @{Remove=...} list modifier that drops them (a PSListModifier:
 * Set-CsXmppAllowedPartner reference, docs/cli.md). Nothing else: the run knows
 * nothing of the partner type or description, and partner_cmdlet's "Set" form
 * would clear the description ($Null). The identity is quoted as partner_cmdlet
 * does (` $ " escaped with a backtick). A line that would not fit whole is left
 * out rather than cut (a checked domain is at most 253 octets, so it fits).
 */
static void suggest(struct run_report *r, const struct neg_settings *s)
{
        struct buf b;
        size_t n = strnlen(r->partner_domain, sizeof(r->partner_domain));
        char remove[RESULT_TEXT_MAX];
        size_t nremove = domains_remove_clause(r, remove, sizeof(remove));
        int rc;

        r->suggested[0] = '\0';
        if (s == NULL && nremove == 0)
                return;
        buf_init(&b, sizeof(r->suggested) - 1);
        rc = buf_puts(&b, "Set-CsXmppAllowedPartner -Identity \"");
        for (size_t i = 0; rc == 0 && i < n; i++) {
                char c = r->partner_domain[i];

                if (c == '`' || c == '$' || c == '"')
                        rc = buf_append(&b, "`", 1);
                if (rc == 0)
                        rc = buf_append(&b, &c, 1);
        }
        if (rc == 0)
                rc = buf_puts(&b, "\"");
        if (rc == 0 && s != NULL)
                rc = buf_printf(&b,
                                " -TlsNegotiation %s -SaslNegotiation %s "
                                "-SupportDialbackNegotiation %s",
                                neg_name(s->tls), neg_name(s->sasl),
                                s->dialback ? "$True" : "$False");
        if (rc == 0 && nremove > 0)
                rc = buf_printf(&b, " %s", remove);
        if (rc == 0)
                memcpy(r->suggested, b.data, b.len + 1);
        buf_cleanup(&b);
}

#define OBS_CHUNK 64

/*
 * A scenario the classification would have used had it been judged: a plain
 * oracle expectation, but it errored or did not run (issue 12 item 2).
 */
bool classify_unjudged(const struct scenario_result *s)
{
        return !s->domains_scenario && !s->unclassified && s->harness_row >= 1 &&
               s->harness_row <= SETTINGS_ROWS &&
               (s->not_run || s->verdict == VERDICT_ERROR ||
                (s->observed == 0 && s->verdict != VERDICT_SKIP));
}

/*
 * What the classification rests on: observations per direction, the unjudged
 * scenarios per direction, and the rows that fit what was observed but predict
 * different outcomes for an unjudged scenario (they stay apart only for want of it).
 */
static void summarize_basis(struct run_report *r)
{
        unsigned fit = oracle_classification_rows(&r->cls);

        memset(r->cls_dir, 0, sizeof(r->cls_dir));
        memset(r->unjudged_dir, 0, sizeof(r->unjudged_dir));
        r->untold_rows = 0;
        r->untold_dirs = 0;
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];
                struct neg_settings h, p;
                unsigned differ = 0;
                int first = -1;

                if ((unsigned)s->dir > DIR_INBOUND)
                        continue;
                if (classify_uses(s)) {
                        r->cls_dir[s->dir]++;
                        continue;
                }
                if (!classify_unjudged(s))
                        continue;
                r->unjudged_dir[s->dir]++;
                /* With nothing observed every row fits: "nothing observed" says it all. */
                if (r->n_classified == 0 || settings_from_row(s->harness_row, &h) != 0)
                        continue;
                for (int m = 1; m <= SETTINGS_ROWS; m++) {
                        enum outcome o;

                        if (!(fit & (1u << (m - 1))) || settings_from_row(m, &p) != 0)
                                continue;
                        o = oracle_expect(&h, s->hsem, &p, s->dir, NULL, 0);
                        if (first < 0)
                                first = (int)o;
                        else if ((int)o != first)
                                differ = 1;
                }
                if (differ) {
                        r->untold_rows |= fit;
                        r->untold_dirs |= 1u << s->dir;
                }
        }
}

void classify_run(struct run_report *r)
{
        struct observation obs[OBS_CHUNK];
        size_t n = 0, base = 0;

        memset(r->counts, 0, sizeof(r->counts));
        oracle_classify_begin(&r->cls);
        r->suggested[0] = '\0';
        domains_judge(r);
        /* Classified in chunks so that no allocation can fail. */
        for (size_t i = 0; i <= r->n_results; i++) {
                const struct scenario_result *s = i < r->n_results ? &r->results[i] : NULL;

                if (s != NULL && (unsigned)s->verdict < VERDICT_COUNT)
                        r->counts[s->verdict]++;
                if (s != NULL && classify_uses(s)) {
                        obs[n].harness_row = s->harness_row;
                        obs[n].hsem = s->hsem;
                        obs[n].dir = s->dir;
                        obs[n].observed = s->observed;
                        n++;
                }
                if (n == OBS_CHUNK || (s == NULL && n > 0)) {
                        oracle_classify_add(&r->cls, obs, n, base);
                        base += n;
                        n = 0;
                }
        }
        r->n_classified = base;
        oracle_classify_end(&r->cls);
        summarize_basis(r);
        /* A self-test classifies the reference partner, not the partner's server: no
         * gateway setting is suggested from it (issue 12 item 2). */
        if (r->self_test)
                return;
        switch (classify_state(r)) {
        case CLASSIFY_OWN_ROW:
                suggest(r, &r->partner);
                break;
        case CLASSIFY_ONE: {
                struct neg_settings s;

                if (settings_from_row(
                        classify_canonical_row(classify_lowest_class(classify_classes(r))), &s) ==
                    0)
                        suggest(r, &s);
                break;
        }
        default:
                /* No negotiation row to suggest; the domain list may still need fixing. */
                suggest(r, NULL);
                break;
        }
}

static bool contradiction_of(const struct run_report *r, int row, struct classify_contradiction *c)
{
        struct neg_settings p, h;
        int k = oracle_classification_conflict(&r->cls, row);

        if (k < 0 || settings_from_row(row, &p) != 0)
                return false;
        c->s = observation_result(r, k);
        if (c->s == NULL || settings_from_row(c->s->harness_row, &h) != 0)
                return false;
        c->row = row;
        c->cls = class_of_row(row);
        c->expected = oracle_expect(&h, c->s->hsem, &p, c->s->dir, NULL, 0);
        return true;
}

/*
 * The contradictions worth showing: the partner's own row first (when it does
 * not explain the observations), then one per class that does not fit, named by
 * its canonical row (rows of a class are contradicted by the same observation).
 * Returns how many were written to out (at most 1 + ORACLE_CLASSES).
 */
size_t classify_contradictions(const struct run_report *r, struct classify_contradiction *out)
{
        size_t n = 0;
        int own = classify_own_row(r), own_cls = 0;

        if (r->n_classified == 0)
                return 0;
        if (own >= 1 && own <= SETTINGS_ROWS && contradiction_of(r, own, &out[n])) {
                own_cls = out[n].cls;
                n++;
        }
        for (int k = 1; k <= ORACLE_CLASSES; k++) {
                if ((classify_classes(r) & (1u << (k - 1))) || k == own_cls)
                        continue;
                if (contradiction_of(r, classify_canonical_row(k), &out[n])) {
                        n++;
                        continue;
                }
                /* Should rows of a class ever differ, name the first one contradicted. */
                for (int row = 1; row <= SETTINGS_ROWS; row++) {
                        if ((oracle_class_rows(k) & (1u << (row - 1))) &&
                            contradiction_of(r, row, &out[n])) {
                                n++;
                                break;
                        }
                }
        }
        return n;
}

/* The row that explains the observations: the partner's own (state "matches") or the
 * canonical row of the one class that does (state "class"); 0 otherwise. */
int classify_explaining_row(const struct run_report *r)
{
        switch (classify_state(r)) {
        case CLASSIFY_OWN_ROW:
                return classify_own_row(r);
        case CLASSIFY_ONE:
                return classify_canonical_row(classify_lowest_class(classify_classes(r)));
        default:
                return 0;
        }
}

/*
 * Whether s is an observation that row explains only by behaviour: it holds no code
 * the row predicts, only one that the observing side cannot tell apart from it
 * (oracle_indistinguishable). *want gets the row's prediction, *alike the set.
 */
bool classify_behaviour_only(const struct scenario_result *s, int row, enum outcome *want,
                             unsigned *alike)
{
        struct neg_settings p, h;

        if (!classify_uses(s) || settings_from_row(row, &p) != 0 ||
            settings_from_row(s->harness_row, &h) != 0)
                return false;
        *want = oracle_expect(&h, s->hsem, &p, s->dir, NULL, 0);
        *alike = oracle_indistinguishable(&h, s->hsem, s->dir, *want);
        return !oracle_consistent(*want, s->observed) &&
               oracle_consistent_observable(&h, s->hsem, s->dir, *want, s->observed);
}

/*
 * What a partner declared otherwise when an observation agrees with its row only by
 * behaviour (docs/observables.md), by direction and the row's prediction: the
 * failures without TLS that look alike differ only in what the partner says.
 */
static const struct {
        enum direction dir;
        enum outcome want;
        const char *text;
        enum rule_id rule;
} declared_otherwise[] = {
    {DIR_OUTBOUND, OUTCOME_F2,
     "it refused plaintext as a TLS-Required server does, but did not mark STARTTLS "
     "<required/>",
     RULE_TLS_2},
    {DIR_OUTBOUND, OUTCOME_F4,
     "it marked STARTTLS <required/>, which the row (TLS Optional) does not", RULE_TLS_2},
    {DIR_INBOUND, OUTCOME_F1, "it went on without TLS although the row requires TLS",
     RULE_H_DOWNGRADE},
    {DIR_INBOUND, OUTCOME_F4,
     "it asked for TLS that was not offered, as a TLS-Required server does", RULE_TLS_6},
};

/* The declaration text and rule for a behaviour-only observation; a generic pair when
 * the table has none. */
void classify_declared(enum direction dir, enum outcome want, const char **text, const char **rule)
{
        *text = "what it declared differs from what it did";
        *rule = rule_cite(RULE_H_OUTCOME);
        for (size_t i = 0; i < ARRAY_LEN(declared_otherwise); i++) {
                if (declared_otherwise[i].dir == dir && declared_otherwise[i].want == want) {
                        *text = declared_otherwise[i].text;
                        *rule = rule_cite(declared_otherwise[i].rule);
                }
        }
}

/* The number of observations the explaining row fits only by behaviour. */
size_t classify_behaviour_only_count(const struct run_report *r)
{
        int row = r->cls.by_behaviour ? classify_explaining_row(r) : 0;
        size_t n = 0;
        enum outcome want;
        unsigned alike;

        for (size_t i = 0; row > 0 && i < r->n_results; i++)
                n += classify_behaviour_only(&r->results[i], row, &want, &alike);
        return n;
}

int classify_class_count(const struct run_report *r)
{
        return util_popcount(classify_classes(r));
}

bool classify_explained_by(const struct scenario_result *s, int row)
{
        struct neg_settings p, h;
        enum outcome want;

        if (s->not_run || s->observed == 0 || settings_from_row(row, &p) != 0 ||
            settings_from_row(s->harness_row, &h) != 0)
                return false;
        want = oracle_expect(&h, s->hsem, &p, s->dir, NULL, 0);
        return oracle_consistent(want, s->observed) ||
               oracle_consistent_observable(&h, s->hsem, s->dir, want, s->observed);
}
