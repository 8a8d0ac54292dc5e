#include "oracle.h"
#include "util.h"

#include <stdio.h>
#include <string.h>

#include "rules.h"

static const char *const outcome_names[OUTCOME_COUNT] = {"S",  "Dt", "Dp", "F0",
                                                         "F1", "F2", "F3", "F4"};

/* Reference §3.3, one line each: the report's legend and `help codes` print these. */
static const char *const outcome_texts[OUTCOME_COUNT] = {
    "SASL EXTERNAL over TLS",
    "dialback over TLS",
    "dialback on a plaintext stream",
    "an invalid configuration (no method): Lync refuses to commit it",
    "TLS required by the initiator but not offered by the receiver",
    "TLS required by the receiver, refused by the initiator",
    "TLS up, no common authentication method",
    "plaintext, no common authentication method",
};

/* Reference §3.1: A(cfg) under matrix semantics, row by row (index = row - 1). */
static const unsigned matrix_methods[SETTINGS_ROWS] = {
    METHOD_S,                         /* M1  Req/Req/T */
    METHOD_S,                         /* M2  Req/Req/F */
    METHOD_S | METHOD_DT | METHOD_DP, /* M3  Opt/Req/T */
    METHOD_S,                         /* M4  Opt/Req/F */
    METHOD_DP,                        /* M5  NS/Req/T (matrix; commit-rejected) */
    0,                                /* M6  NS/Req/F */
    METHOD_S | METHOD_DT,             /* M7  Req/Opt/T (no TCP dialback: §1.6 item 2) */
    METHOD_S,                         /* M8  Req/Opt/F */
    METHOD_S | METHOD_DT | METHOD_DP, /* M9  Opt/Opt/T */
    METHOD_S,                         /* M10 Opt/Opt/F */
    METHOD_DP,                        /* M11 NS/Opt/T (matrix; commit-rejected) */
    0,                                /* M12 NS/Opt/F */
    METHOD_DT,                        /* M13 Req/NS/T */
    0,                                /* M14 Req/NS/F */
    METHOD_DT | METHOD_DP,            /* M15 Opt/NS/T */
    0,                                /* M16 Opt/NS/F */
    METHOD_DP,                        /* M17 NS/NS/T */
    0,                                /* M18 NS/NS/F */
};

/* Reference §3.8: the seven wire-distinguishable classes of valid rows. */
static const unsigned class_rows[ORACLE_CLASSES] = {
    (1u << 0) | (1u << 1) | (1u << 7), /* E1 = {M1, M2, M8} */
    (1u << 2) | (1u << 8),             /* E2 = {M3, M9} */
    (1u << 3) | (1u << 9),             /* E3 = {M4, M10} */
    1u << 6,                           /* E4 = {M7} */
    1u << 12,                          /* E5 = {M13} */
    1u << 14,                          /* E6 = {M15} */
    1u << 16,                          /* E7 = {M17} */
};

/* Reference §1.5 table B: column values exact, notes paraphrased. */
static const struct row_info row_infos[SETTINGS_ROWS] = {
    {"SASL over TLS", "WARNING: dialback does not run when both SASL and TLS are required"},
    {"SASL over TLS", ""},
    {"SASL over TLS, TLS Dialback, TCP Dialback",
     "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"SASL over TLS", "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"TCP Dialback", "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"WARNING: Not Valid Configuration",
     "WARNING: SASL needs TLS, which is unavailable; TCP dialback is False so unusable"},
    {"SASL over TLS, TLS Dialback", ""},
    {"SASL over TLS", ""},
    {"SASL over TLS, TLS Dialback, TCP Dialback",
     "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"SASL over TLS", "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"TCP Dialback", "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"WARNING: Not Valid Configuration",
     "WARNING: SASL needs TLS; optional TLS may make session negotiation fail"},
    {"TLS Dialback", "configuration allows TLS dialback"},
    {"Not Valid Configuration", "WARNING: SASL or Dialback must be enabled"},
    {"TLS Dialback, TCP Dialback",
     "TCP or TLS dialback accepted, depending on what the other end negotiates"},
    {"Not Valid Configuration", "WARNING: SASL or Dialback must be enabled"},
    {"TCP Dialback", "TCP dialback is the only method available"},
    {"Not Valid Configuration", "WARNING: SASL or Dialback must be enabled"},
};

const char *outcome_name(enum outcome o)
{
        if ((unsigned)o >= OUTCOME_COUNT)
                return "?";
        return outcome_names[o];
}

const char *outcome_text(enum outcome o)
{
        if ((unsigned)o >= OUTCOME_COUNT)
                return "?";
        return outcome_texts[o];
}

int outcome_parse(const char *text, enum outcome *out)
{
        for (int o = 0; o < OUTCOME_COUNT; o++) {
                if (text != NULL && strcmp(text, outcome_names[o]) == 0) {
                        *out = (enum outcome)o;
                        return 0;
                }
        }
        return -1;
}

const char *direction_name(enum direction d)
{
        return d == DIR_INBOUND ? "inbound" : "outbound";
}

const char *method_name(enum method m)
{
        switch (m) {
        case METHOD_S:
                return "S";
        case METHOD_DT:
                return "Dt";
        case METHOD_DP:
                return "Dp";
        }
        return "?";
}

const char *methods_text(unsigned methods, const char *sep, char *buf, size_t len)
{
        static const enum method order[] = {METHOD_S, METHOD_DT, METHOD_DP};
        size_t used = 0;

        if (len == 0)
                return buf;
        buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_LEN(order); i++) {
                int n;

                if (!(methods & order[i]))
                        continue;
                n = snprintf(buf + used, len - used, "%s%s", used > 0 ? sep : "",
                             method_name(order[i]));
                if (n < 0 || (size_t)n >= len - used)
                        break;
                used += (size_t)n;
        }
        return buf;
}

unsigned oracle_methods(const struct neg_settings *s, enum semantics sem)
{
        unsigned a = 0;

        if (sem == SEMANTICS_MATRIX)
                return matrix_methods[settings_row(s) - 1];
        /* Reference §3.5: "Required" SASL is mandatory-to-negotiate. */
        if (s->tls != NEG_NOTSUPPORTED && s->sasl != NEG_NOTSUPPORTED)
                a |= METHOD_S;
        if (s->sasl == NEG_REQUIRED)
                return a;
        if (s->tls != NEG_NOTSUPPORTED && s->dialback)
                a |= METHOD_DT;
        if (s->tls != NEG_REQUIRED && s->dialback)
                a |= METHOD_DP;
        return a;
}

bool oracle_matrix_valid(const struct neg_settings *s)
{
        return matrix_methods[settings_row(s) - 1] != 0;
}

bool oracle_commit_valid(const struct neg_settings *s)
{
        /* Reference §1.1 commit rule: SASL Required/Optional needs TLS Required/Optional. */
        return !(s->sasl != NEG_NOTSUPPORTED && s->tls == NEG_NOTSUPPORTED);
}

bool oracle_valid(const struct neg_settings *s)
{
        return oracle_matrix_valid(s) && oracle_commit_valid(s);
}

int oracle_class(const struct neg_settings *s)
{
        unsigned bit = 1u << (settings_row(s) - 1);

        if (!oracle_valid(s))
                return 0;
        for (int k = 0; k < ORACLE_CLASSES; k++) {
                if (class_rows[k] & bit)
                        return k + 1;
        }
        return 0;
}

unsigned oracle_class_rows(int k)
{
        if (k < 1 || k > ORACLE_CLASSES)
                return 0;
        return class_rows[k - 1];
}

static void describe(char *why, size_t whylen, const char *fmt, const char *a, const char *b,
                     const char *c, const char *d)
{
        if (why != NULL && whylen > 0)
                snprintf(why, whylen, fmt, a, b, c, d);
}

/* Appends " (ID: source)" of rule to why (rules.h: the citation is looked up). */
static void cite_after(char *why, size_t whylen, enum rule_id rule)
{
        size_t n;

        if (why == NULL || whylen == 0)
                return;
        n = strlen(why);
        if (n < whylen)
                snprintf(why + n, whylen - n, " (%s: %s)", rule_name(rule), rule_cite(rule));
}

enum outcome oracle_outcome(const struct neg_settings *i, enum semantics isem,
                            const struct neg_settings *r, enum semantics rsem, const char *ilabel,
                            const char *rlabel, char *why, size_t whylen)
{
        return oracle_outcome_without(i, isem, r, rsem, 0, ilabel, rlabel, why, whylen);
}

static enum outcome decide(const struct neg_settings *i, enum semantics isem,
                           const struct neg_settings *r, enum semantics rsem, unsigned without,
                           const char *ilabel, const char *rlabel, char *why, size_t whylen)
{
        unsigned ai = oracle_methods(i, isem);
        unsigned ar = oracle_methods(r, rsem);
        /* Reference §3.7: what the scenario makes impossible (a certificate that cannot
         * prove the harness domain rules out S) leaves the common set, not A(cfg): the
         * F0/F1/F2 rules still see the configurations as they are. */
        unsigned common = ai & ar & ~without;
        char ti[16], tr[16];

        methods_text(ai, ",", ti, sizeof(ti));
        methods_text(ar, ",", tr, sizeof(tr));
        if (i->tls == NEG_REQUIRED && r->tls == NEG_NOTSUPPORTED) {
                describe(why, whylen,
                         "F1: %s (initiator) requires TLS but %s (receiver) offers no STARTTLS; "
                         "the initiator must close without authenticating%s%s",
                         ilabel, rlabel, "", "");
                cite_after(why, whylen, RULE_H_DOWNGRADE);
                return OUTCOME_F1;
        }
        if (i->tls == NEG_NOTSUPPORTED && r->tls == NEG_REQUIRED) {
                describe(why, whylen,
                         "F2: %s (receiver) requires TLS (<required/>) but %s (initiator) has TLS "
                         "NotSupported; it must send <unsupported-feature/>%s%s",
                         rlabel, ilabel, "", "");
                cite_after(why, whylen, RULE_TLS_3);
                return OUTCOME_F2;
        }
        if (ai == 0 || ar == 0) {
                describe(why, whylen,
                         "F0: %s accepts no authentication method (Lync: SASL or Dialback must "
                         "be enabled); negative test, nothing may succeed%s%s%s",
                         ai == 0 ? ilabel : rlabel, "", "", "");
                cite_after(why, whylen, RULE_H_NO_METHOD);
                return OUTCOME_F0;
        }
        if (i->tls != NEG_NOTSUPPORTED && r->tls != NEG_NOTSUPPORTED) {
                if (common & METHOD_S) {
                        describe(why, whylen,
                                 "S: TLS on both sides and both accept SASL EXTERNAL (%s {%s}, "
                                 "%s {%s}): STARTTLS then EXTERNAL",
                                 ilabel, ti, rlabel, tr);
                        cite_after(why, whylen, RULE_H_SASL_OK);
                        return OUTCOME_S;
                }
                if (common & METHOD_DT) {
                        describe(why, whylen,
                                 "Dt: TLS on both sides, no common SASL, both accept TLS dialback "
                                 "(%s {%s}, %s {%s}): STARTTLS then XEP-0220 dialback",
                                 ilabel, ti, rlabel, tr);
                        return OUTCOME_DT;
                }
                describe(why, whylen,
                         "F3: TLS on both sides but no common method (%s {%s}, %s {%s}); "
                         "authentication must fail",
                         ilabel, ti, rlabel, tr);
                cite_after(why, whylen, RULE_H_NO_METHOD);
                return OUTCOME_F3;
        }
        if (common & METHOD_DP) {
                describe(why, whylen,
                         "Dp: TLS NotSupported on one side and both accept plaintext dialback "
                         "(%s {%s}, %s {%s}): XEP-0220 without TLS",
                         ilabel, ti, rlabel, tr);
                return OUTCOME_DP;
        }
        describe(why, whylen,
                 "F4: no TLS and no common plaintext method (%s {%s}, %s {%s}); authentication "
                 "must fail",
                 ilabel, ti, rlabel, tr);
        cite_after(why, whylen, RULE_H_NO_METHOD);
        return OUTCOME_F4;
}

enum outcome oracle_outcome_without(const struct neg_settings *i, enum semantics isem,
                                    const struct neg_settings *r, enum semantics rsem,
                                    unsigned without, const char *ilabel, const char *rlabel,
                                    char *why, size_t whylen)
{
        enum outcome o = decide(i, isem, r, rsem, without, ilabel, rlabel, why, whylen);
        char w[16];
        size_t used;

        if (without == 0 || why == NULL || whylen == 0)
                return o;
        used = strlen(why);
        if (used + 1 < whylen)
                snprintf(why + used, whylen - used, "; the scenario rules out %s",
                         methods_text(without, ",", w, sizeof(w)));
        return o;
}

enum outcome oracle_expect(const struct neg_settings *harness, enum semantics hsem,
                           const struct neg_settings *partner, enum direction dir, char *why,
                           size_t whylen)
{
        return oracle_expect_without(harness, hsem, partner, dir, 0, why, whylen);
}

enum outcome oracle_expect_without(const struct neg_settings *harness, enum semantics hsem,
                                   const struct neg_settings *partner, enum direction dir,
                                   unsigned without, char *why, size_t whylen)
{
        if (dir == DIR_OUTBOUND)
                return oracle_outcome_without(harness, hsem, partner, SEMANTICS_MATRIX, without,
                                              "harness", "partner", why, whylen);
        return oracle_outcome_without(partner, SEMANTICS_MATRIX, harness, hsem, without, "partner",
                                      "harness", why, whylen);
}

const struct row_info *oracle_row_info(int row)
{
        if (row < 1 || row > SETTINGS_ROWS)
                return NULL;
        return &row_infos[row - 1];
}

int oracle_invalid_reason(const struct neg_settings *s, const char **rule, const char **fix)
{
        if (oracle_valid(s))
                return -1;
        if (!oracle_commit_valid(s)) {
                *rule = "SASL negotiation needs TLS: SASL is Required or Optional while TLS is "
                        "NotSupported (Lync commit rule)";
                if (oracle_matrix_valid(s))
                        *fix =
                            "set SaslNegotiation NotSupported (dialback over plaintext remains), "
                            "or allow TLS (TlsNegotiation Required or Optional); note that the "
                            "matrix lists this row but the Control Panel refuses to commit it";
                else
                        *fix = "set SaslNegotiation NotSupported and SupportDialbackNegotiation "
                               "True, or allow TLS (TlsNegotiation Required or Optional)";
                return 0;
        }
        *rule = "SASL or Dialback must be enabled: SaslNegotiation is NotSupported and "
                "SupportDialbackNegotiation is False, so no authentication method is left";
        *fix = "set SupportDialbackNegotiation True, or SaslNegotiation Optional or Required "
               "(with TLS Required or Optional)";
        return 0;
}

bool oracle_consistent(enum outcome expected, unsigned observed_set)
{
        if (observed_set == 0)
                return false;
        if (expected == OUTCOME_F0)
                return (observed_set & OUTCOME_SUCCESS_SET) == 0;
        return (observed_set & OUTCOME_BIT(expected)) != 0;
}

/*
 * The failure code of a TLS situation (reference §3.3 without the methods): F1 or F2
 * when the TLS rule fails first, else F3 with TLS on both sides and F4 without. The
 * engine reports it when authentication fails there (with F0 beside it when its own
 * side has no method).
 */
static enum outcome tls_failure(const struct neg_settings *i, const struct neg_settings *r)
{
        if (i->tls == NEG_REQUIRED && r->tls == NEG_NOTSUPPORTED)
                return OUTCOME_F1;
        if (i->tls == NEG_NOTSUPPORTED && r->tls == NEG_REQUIRED)
                return OUTCOME_F2;
        if (i->tls != NEG_NOTSUPPORTED && r->tls != NEG_NOTSUPPORTED)
                return OUTCOME_F3;
        return OUTCOME_F4;
}

/* What a side sees of an outcome whatever the partner declares (oracle.h): the
 * method of a success, or whether TLS was up when authentication failed. */
enum footprint {
        FP_S,
        FP_DT,
        FP_DP,
        FP_FAIL_TLS,   /* F3 */
        FP_FAIL_PLAIN, /* F1, F2, F4 */
        FP_NONE,       /* F0: a statement about configurations, not an observation */
};

static enum footprint footprint(enum outcome o)
{
        switch (o) {
        case OUTCOME_S:
                return FP_S;
        case OUTCOME_DT:
                return FP_DT;
        case OUTCOME_DP:
                return FP_DP;
        case OUTCOME_F3:
                return FP_FAIL_TLS;
        case OUTCOME_F1:
        case OUTCOME_F2:
        case OUTCOME_F4:
                return FP_FAIL_PLAIN;
        default:
                return FP_NONE;
        }
}

unsigned oracle_side_codes(const struct neg_settings *harness, enum semantics hsem,
                           enum direction dir)
{
        unsigned set = 0;

        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                struct neg_settings p;

                settings_from_row(row, &p);
                set |= OUTCOME_BIT(oracle_expect(harness, hsem, &p, dir, NULL, 0));
                set |= OUTCOME_BIT(dir == DIR_OUTBOUND ? tls_failure(harness, &p)
                                                       : tls_failure(&p, harness));
        }
        return set;
}

/* The codes of side that look like o (oracle_indistinguishable). */
static unsigned alike(unsigned side, enum outcome o)
{
        unsigned set = OUTCOME_BIT(o);
        enum footprint fp = footprint(o);

        /* A code this side never reports has nothing to be confused with. */
        if ((fp != FP_FAIL_TLS && fp != FP_FAIL_PLAIN) || !(side & set))
                return set;
        for (int c = 0; c < OUTCOME_COUNT; c++) {
                if ((side & OUTCOME_BIT(c)) && footprint((enum outcome)c) == fp)
                        set |= OUTCOME_BIT(c);
        }
        return set;
}

unsigned oracle_indistinguishable(const struct neg_settings *harness, enum semantics hsem,
                                  enum direction dir, enum outcome o)
{
        return alike(oracle_side_codes(harness, hsem, dir), o);
}

static bool consistent_with_set(unsigned expected_set, unsigned observed_set)
{
        for (int c = 0; c < OUTCOME_COUNT; c++) {
                if ((expected_set & OUTCOME_BIT(c)) &&
                    oracle_consistent((enum outcome)c, observed_set))
                        return true;
        }
        return false;
}

bool oracle_consistent_observable(const struct neg_settings *harness, enum semantics hsem,
                                  enum direction dir, enum outcome expected, unsigned observed_set)
{
        return consistent_with_set(oracle_indistinguishable(harness, hsem, dir, expected),
                                   observed_set);
}

void oracle_classify_begin(struct classification *c)
{
        memset(c, 0, sizeof(*c));
        c->rows = (1u << SETTINGS_ROWS) - 1;
        c->behaviour_rows = c->rows;
        for (int row = 0; row < SETTINGS_ROWS; row++) {
                c->first_conflict[row] = -1;
                c->first_behaviour_conflict[row] = -1;
        }
}

void oracle_classify_add(struct classification *c, const struct observation *obs, size_t n,
                         size_t base)
{
        for (size_t k = 0; k < n; k++) {
                struct neg_settings h;
                unsigned side = 0;
                bool known = settings_from_row(obs[k].harness_row, &h) == 0;

                if (known)
                        side = oracle_side_codes(&h, obs[k].hsem, obs[k].dir);
                for (int row = 1; row <= SETTINGS_ROWS; row++) {
                        unsigned bit = 1u << (row - 1);
                        struct neg_settings p;
                        enum outcome want = OUTCOME_COUNT;

                        settings_from_row(row, &p);
                        if (known)
                                want = oracle_expect(&h, obs[k].hsem, &p, obs[k].dir, NULL, 0);
                        if ((c->rows & bit) &&
                            (!known || !oracle_consistent(want, obs[k].observed))) {
                                c->rows &= ~bit;
                                c->first_conflict[row - 1] = (int)(base + k);
                        }
                        if ((c->behaviour_rows & bit) &&
                            (!known || !consistent_with_set(alike(side, want), obs[k].observed))) {
                                c->behaviour_rows &= ~bit;
                                c->first_behaviour_conflict[row - 1] = (int)(base + k);
                        }
                }
        }
}

void oracle_classify_end(struct classification *c)
{
        c->classes = 0;
        c->behaviour_classes = 0;
        for (int k = 1; k <= ORACLE_CLASSES; k++) {
                if ((class_rows[k - 1] & c->rows) == class_rows[k - 1])
                        c->classes |= 1u << (k - 1);
                if ((class_rows[k - 1] & c->behaviour_rows) == class_rows[k - 1])
                        c->behaviour_classes |= 1u << (k - 1);
        }
        c->by_behaviour = c->classes == 0 && c->behaviour_classes != 0;
}

void oracle_classify(const struct observation *obs, size_t n, struct classification *out)
{
        oracle_classify_begin(out);
        oracle_classify_add(out, obs, n, 0);
        oracle_classify_end(out);
}

unsigned oracle_classification_rows(const struct classification *c)
{
        return c->by_behaviour ? c->behaviour_rows : c->rows;
}

unsigned oracle_classification_classes(const struct classification *c)
{
        return c->by_behaviour ? c->behaviour_classes : c->classes;
}

int oracle_classification_conflict(const struct classification *c, int row)
{
        if (row < 1 || row > SETTINGS_ROWS)
                return -1;
        return c->by_behaviour ? c->first_behaviour_conflict[row - 1] : c->first_conflict[row - 1];
}
