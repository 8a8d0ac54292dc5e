/*
 * The domains verdict (issue 13 item 1): for the partner's primary domain and each
 * additional domain (partner file AdditionalDomains), in each direction, whether
 * the partner serves it (RFC 6120 §4.9.3.6 host-unknown, §4.9.3.5 host-gone), whether
 * its certificate covers it (RFC 6120 §13.7.2, RFC 6125 §6) and whether it
 * authenticates (own stream, or dialback multiplexing, XEP-0220 §2.6; reference
 * §3.7). Pure functions over the typed facts of a run_report's results
 * (scenario_result.pdomain, served, cert_covers, authenticated); no cause or trace
 * text is read. The negotiation classification (classify.h) leaves the results
 * tagged "domains" out, so an unserved additional domain is this verdict's fault,
 * not a wrong negotiation class.
 */
#ifndef S2S_DOMAINS_H
#define S2S_DOMAINS_H

#include <stddef.h>

#include "results.h"

/*
 * Fills r->domains from r->partner_domain, r->additional and the results: one item
 * per domain and direction that some result addressed, with its facts and, for a
 * fault, the finding and its fix. Facts combine as: YES when any result showed it,
 * NO when some result showed the contrary and none showed it. A domain is
 * "not authenticated" only when it is served, its certificate is not known to fail,
 * and some judged result (not an error) expected success (S, Dt or Dp) there yet
 * none authenticated.
 * classify_run calls it; nothing else changes.
 */
void domains_judge(struct run_report *r);

/* "yes", "no", "unknown". */
const char *dom_fact_name(enum dom_fact f);

/*
 * The -AdditionalDomains @{Remove=...} part of a Set-CsXmppAllowedPartner line
 * (a PSListModifier: Lync Server 2013 / Skype for Business Set-CsXmppAllowedPartner
 * reference) naming each additional domain the partner does not serve, written to
 * out (len bytes, NUL-terminated); "" when there is none or it does not fit.
 * Returns the number of domains named.
 */
size_t domains_remove_clause(const struct run_report *r, char *out, size_t len);

#endif
