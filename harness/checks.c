#include "checks.h"
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static bool fail(char *why, size_t whylen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static bool fail(char *why, size_t whylen, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        util_vformat(why, whylen, fmt, ap);
        va_end(ap);
        return false;
}

/* The first finding of kind whose rule starts with rule and whose text holds text. */
static const struct finding *find(const struct check_facts *f, enum finding_kind kind,
                                  const char *rule, const char *text)
{
        for (size_t i = 0; i < f->n_findings; i++) {
                const struct finding *x = &f->findings[i];

                if (x->kind == kind && strncmp(x->rule, rule, strlen(rule)) == 0 &&
                    (text == NULL || strstr(x->text, text) != NULL))
                        return x;
        }
        return NULL;
}

static bool violation_free(const struct check_facts *f, const char *rule, const char *text,
                           const char *what, char *why, size_t whylen)
{
        const struct finding *x = find(f, FINDING_VIOLATION, rule, text);

        if (x == NULL)
                return true;
        return fail(why, whylen, "%s: %s [%s]", what, x->text, x->rule);
}

/* Reference §3.8: what the partner advertises agrees with its configuration. */
static bool features_out(const struct check_facts *f, char *why, size_t whylen)
{
        unsigned a = oracle_methods(&f->partner, SEMANTICS_MATRIX);
        int want_starttls = f->partner.tls == NEG_REQUIRED   ? 2
                            : f->partner.tls == NEG_OPTIONAL ? 1
                                                             : 0;
        static const char *const st[] = {"no STARTTLS", "STARTTLS without <required/>",
                                         "STARTTLS with <required/>"};

        if (find(f, FINDING_VIOLATION, "XEP-0178 §3 step 9", NULL) != NULL)
                return fail(why, whylen,
                            "EXTERNAL was advertised but bound to fail: offered, then refused "
                            "with <not-authorized/> [XEP-0178 §3 step 9]");
        for (size_t i = 0; i < f->n_features; i++) {
                const struct check_features *x = &f->features[i];

                if (x->after_sasl)
                        continue;
                if (!x->post_tls) {
                        if (x->starttls != want_starttls)
                                return fail(why, whylen,
                                            "the partner (TLS %s) advertised %s before TLS "
                                            "[RFC 6120 §5.4.1; reference §3.2]",
                                            neg_name(f->partner.tls), st[x->starttls]);
                        if (x->external)
                                return fail(why, whylen,
                                            "EXTERNAL advertised before TLS [RFC 6120 §5.3.4; "
                                            "XEP-0178 §3]");
                        if ((a & METHOD_DP) && !x->dialback && !x->db_declared)
                                return fail(why, whylen,
                                            "dialback is configured for plaintext (TCP "
                                            "dialback) but not signalled before TLS [XEP-0220 "
                                            "§2; reference §3.2]");
                        if (!(a & METHOD_DP) && x->dialback)
                                return fail(why, whylen,
                                            "the dialback feature is advertised before TLS, "
                                            "but the configuration accepts no TCP dialback "
                                            "[reference §3.2, §3.8]");
                        continue;
                }
                if (x->starttls != 0)
                        return fail(why, whylen,
                                    "STARTTLS advertised again after TLS [RFC 6120 §5.4.3.3]");
                if (x->external && !(a & METHOD_S))
                        return fail(why, whylen,
                                    "EXTERNAL advertised after TLS, but the configuration "
                                    "accepts no SASL [reference §3.2, §3.8]");
                if (!x->external && (a & METHOD_S) && f->proving_cert)
                        return fail(why, whylen,
                                    "the configuration accepts SASL EXTERNAL, but it is not "
                                    "advertised after TLS to a certificate that proves the "
                                    "harness domain [XEP-0178 §3 step 6; reference §3.2]");
                if ((a & METHOD_DT) && !x->dialback && !x->db_declared)
                        return fail(why, whylen,
                                    "dialback over TLS is configured but not signalled after "
                                    "TLS [XEP-0220 §2; reference §3.2]");
                if (!(a & METHOD_DT) && x->dialback)
                        return fail(why, whylen,
                                    "the dialback feature is advertised after TLS, but the "
                                    "configuration accepts no TLS dialback [reference §3.2, "
                                    "§3.8]");
        }
        return true;
}

/* Inbound: what the partner used agrees with its configuration. */
static bool features_in(const struct check_facts *f, char *why, size_t whylen)
{
        unsigned a = oracle_methods(&f->partner, SEMANTICS_MATRIX);
        char m[16];

        if (f->partner.tls == NEG_NOTSUPPORTED && f->tls)
                return fail(why, whylen,
                            "the partner (TLS NotSupported) started TLS [RFC 6120 §5.4.1; "
                            "reference §3.2]");
        if (f->method != 0 && !(a & f->method))
                return fail(why, whylen,
                            "the partner authenticated with %s, which its configuration does not "
                            "accept [reference §3.1, §3.8]",
                            methods_text(f->method, ",", m, sizeof(m)));
        if (f->partner.tls == NEG_REQUIRED && f->method != 0 && !f->tls)
                return fail(why, whylen,
                            "the partner (TLS Required) authenticated without TLS [RFC 7590 "
                            "§3.1]");
        return true;
}

/* Outbound: the partner processed a harness stanza although nothing authenticated the
 * harness. An answered ping counts only without a success: after one (judged by the
 * outcome) it is the expected answer, no sign that an earlier stanza was processed. */
static bool stanza_accepted(const struct check_facts *f)
{
        return (f->pong && !(f->observed & OUTCOME_SUCCESS_SET)) || f->stanzas_from_partner > 0;
}

bool check_eval(enum scenario_check c, const struct check_facts *f, char *why, size_t whylen)
{
        const struct finding *x;
        unsigned n;

        if (why != NULL && whylen > 0)
                why[0] = '\0';
        switch (c) {
        case CHECK_NEW_STREAM_ID:
                return violation_free(f, "RFC 6120 §4.3.3", NULL, "stream id not new", why, whylen);
        case CHECK_STREAM_ID_PRESENT:
                return violation_free(f, "RFC 6120 §4.7.3", NULL, "stream id missing", why, whylen);
        case CHECK_NO_STARTTLS_AFTER_TLS:
                if (f->dir == DIR_OUTBOUND)
                        return violation_free(f, "RFC 6120 §5.4.3.3", NULL, "STARTTLS after TLS",
                                              why, whylen);
                return violation_free(f, "RFC 6120 §5.4.2.2", "not offered",
                                      "<starttls/> after TLS", why, whylen);
        case CHECK_FROM_TO_ECHOED:
                if (!violation_free(f, "RFC 6120 §4.7.1", NULL, "header from", why, whylen) ||
                    !violation_free(f, "RFC 6120 §4.7.2", NULL, "header to", why, whylen) ||
                    !violation_free(f, "RFC 6120 §8.1.1.2", NULL, "stanza addressing", why,
                                    whylen) ||
                    !violation_free(f, "XEP-0220 §2.1.1", "without from/to", "dialback from/to",
                                    why, whylen))
                        return false;
                return true;
        case CHECK_PING_ANSWERED:
                /* The test stanza follows authentication (reference §3.6). */
                if (f->pong || !(f->observed & OUTCOME_SUCCESS_SET))
                        return true;
                return fail(why, whylen,
                            f->dir == DIR_OUTBOUND
                                ? "the ping sent after authentication was not answered [RFC 6120 "
                                  "§8.1.2; XEP-0199; reference §3.6]"
                                : "no test stanza of the partner arrived after authentication "
                                  "[RFC 6120 §8.1.2; XEP-0199; reference §3.6]");
        case CHECK_NO_STANZA_ACCEPTED:
                if (f->dir == DIR_INBOUND)
                        return violation_free(f, "RFC 6120 §4.3.5", NULL,
                                              "a stanza before authentication", why, whylen);
                if (!stanza_accepted(f))
                        return true;
                n = f->stanzas_from_partner +
                    (f->pong && !(f->observed & OUTCOME_SUCCESS_SET) ? 1u : 0u);
                return fail(why, whylen,
                            "the partner processed a harness stanza sent without "
                            "authentication (%u answer%s) [RFC 6120 §4.3.5; XEP-0220 §2.1.1]",
                            n, n == 1 ? "" : "s");
        case CHECK_VERIFY_ID_POST_TLS:
                if (f->verify_id == NULL || f->verify_id[0] == '\0') {
                        /* No verify: nothing to judge, unless the partner said valid anyway. */
                        if (!f->unverified_valid && !(f->method & (METHOD_DT | METHOD_DP)))
                                return true;
                        return fail(why, whylen,
                                    "no <db:verify/> reached the harness's authoritative "
                                    "server, yet the partner answered type='valid' [XEP-0220 "
                                    "§2.1.2, §2.2]");
                }
                if (f->post_tls_id == NULL || f->post_tls_id[0] == '\0' ||
                    strcmp(f->verify_id, f->post_tls_id) == 0)
                        return true;
                return fail(why, whylen,
                            "the partner's <db:verify/> carries id '%s', not the post-TLS stream "
                            "id '%s' [XEP-0220 §2.1.2]",
                            f->verify_id, f->post_tls_id);
        case CHECK_FEATURES_CONSISTENT:
                return f->dir == DIR_OUTBOUND ? features_out(f, why, whylen)
                                              : features_in(f, why, whylen);
        case CHECK_STARTTLS_FAILURE_CLOSE:
                /* Only an unoffered <starttls/> is judged: a partner that offers STARTTLS
                 * never gets one. */
                if (f->n_features > 0 && f->features[0].starttls != 0)
                        return true;
                if (find(f, FINDING_NOTE, "RFC 6120 §5.4.2.2", "<failure/>") != NULL)
                        return true;
                return fail(why, whylen,
                            "an unoffered <starttls/> did not get <failure/> [RFC 6120 §5.4.2.2]");
        case CHECK_INVALID_FROM:
                /* The stanza is sent once authenticated: nothing to judge otherwise. */
                if (!(f->observed & OUTCOME_SUCCESS_SET))
                        return true;
                if (f->peer_error != NULL && strcmp(f->peer_error, "invalid-from") == 0)
                        return true;
                if (find(f, FINDING_NOTE, "RFC 6120 §4.9", "<invalid-from/>") != NULL)
                        return true;
                return fail(why, whylen,
                            "a stanza from an unauthenticated domain did not get <invalid-from/> "
                            "(stream error: %s) [RFC 6120 §4.9.3.9]",
                            f->peer_error != NULL && f->peer_error[0] ? f->peer_error : "none");
        case CHECK_DB_INVALID_CLOSE:
                /* Judged only when a key was offered: a partner without a common
                 * dialback method never verifies one. */
                if (!f->db_result_sent)
                        return true;
                if (find(f, FINDING_NOTE, "XEP-0220 §2.2.1", "type='invalid'") != NULL)
                        return true;
                return fail(why, whylen,
                            "a rejected key did not get <db:result type='invalid'/> [XEP-0220 "
                            "§2.2.1]");
        case CHECK_DB_ITEM_NOT_FOUND:
                if (!f->db_result_sent)
                        return true;
                /* Verified anyway (valid or invalid): name what the partner did. */
                if ((x = find(f, FINDING_VIOLATION, "XEP-0220 §2.2.1", "does not host")) != NULL)
                        return fail(why, whylen, "%s [%s]", x->text, x->rule);
                if (find(f, FINDING_NOTE, "XEP-0220 §2.5", "<item-not-found/>") != NULL)
                        return true;
                return fail(why, whylen,
                            "dialback to an unhosted domain did not get <item-not-found/> "
                            "[XEP-0220 §2.2.1]");
        case CHECK_NO_PLAINTEXT_AUTH:
                if ((x = find(f, FINDING_VIOLATION, "RFC 7590 §3.1", NULL)) != NULL)
                        return fail(why, whylen, "%s [%s]", x->text, x->rule);
                if (f->partner.tls == NEG_REQUIRED && (f->observed & OUTCOME_SUCCESS_SET) &&
                    !f->tls)
                        return fail(why, whylen,
                                    "the partner (TLS Required) authenticated a plaintext stream "
                                    "[RFC 6120 §5.3.1; RFC 7590 §3.1]");
                return true;
        case CHECK_UNSOLICITED_IGNORED:
                if (!stanza_accepted(f) && !(f->observed & OUTCOME_SUCCESS_SET))
                        return true;
                return fail(why, whylen,
                            "an unsolicited <db:result type='valid'/> was taken as "
                            "authentication [XEP-0220 §3.1]");
        case CHECK_NOT_AUTHORIZED_CLOSE:
                if (f->peer_error != NULL && strcmp(f->peer_error, "not-authorized") == 0)
                        return true;
                /* A partner that requires TLS may name that policy instead: the stanza
                 * came before TLS too (RFC 6120 §4.9.3.14; reference STR table .14). */
                if (f->peer_error != NULL && strcmp(f->peer_error, "policy-violation") == 0 &&
                    f->partner.tls == NEG_REQUIRED && !f->tls)
                        return true;
                return fail(why, whylen,
                            "a stanza before authentication did not get <not-authorized/> "
                            "(stream error: %s) [RFC 6120 §4.3.5, §4.9.3.12]",
                            f->peer_error != NULL && f->peer_error[0] ? f->peer_error : "none");
        case CHECK_NO_SASL_BEFORE_TLS:
                if (!f->sasl_success_pre_tls)
                        return true;
                return fail(why, whylen,
                            "<auth/> before TLS got <success/> [RFC 6120 §5.3.4, §6.5.4]");
        case CHECK_COUNT:
                break;
        }
        return fail(why, whylen, "unknown check");
}

unsigned check_success_set(enum direction dir)
{
        unsigned s = (1u << CHECK_NO_STARTTLS_AFTER_TLS) | (1u << CHECK_FROM_TO_ECHOED) |
                     (1u << CHECK_PING_ANSWERED);

        if (dir == DIR_OUTBOUND)
                s |= 1u << CHECK_NEW_STREAM_ID;
        return s;
}
