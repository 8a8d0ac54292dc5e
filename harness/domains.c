#include "domains.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "checkup.h"
#include "oracle.h"
#include "rules.h"
#include "util.h"

static const char *const fact_names[] = {"unknown", "no", "yes"};

const char *dom_fact_name(enum dom_fact f)
{
        if ((unsigned)f >= ARRAY_LEN(fact_names))
                return "unknown";
        return fact_names[f];
}

/* YES wins over NO, NO over UNKNOWN (domains.h). */
static enum dom_fact combine(enum dom_fact a, enum dom_fact b)
{
        return a > b ? a : b;
}

/* The item for (domain, dir), appended when new; NULL when the table is full. */
static struct domain_item *item_for(struct domains_verdict *d, const char *domain, bool primary,
                                    enum direction dir)
{
        struct domain_item *it;

        for (size_t i = 0; i < d->n_items; i++) {
                if (d->items[i].dir == dir && strcasecmp(d->items[i].domain, domain) == 0)
                        return &d->items[i];
        }
        if (d->n_items >= RUN_DOMAIN_ITEMS)
                return NULL;
        it = &d->items[d->n_items++];
        memset(it, 0, sizeof(*it));
        snprintf(it->domain, sizeof(it->domain), "%s", domain);
        it->primary = primary;
        it->dir = dir;
        return it;
}

/* Whether domain is one of the partner's (primary: *primary set). */
static bool partner_domain(const struct run_report *r, const char *domain, bool *primary)
{
        *primary = strcasecmp(domain, r->partner_domain) == 0;
        if (*primary)
                return true;
        for (size_t i = 0; i < r->n_additional; i++) {
                if (strcasecmp(domain, r->additional[i]) == 0)
                        return true;
        }
        return false;
}

/* The finding and fix of one item, if it is a fault (the wording). */
static void judge_item(struct domain_item *it, bool *ns, bool *nc, bool *na)
{
        const char *dir = it->dir == DIR_OUTBOUND ? "the harness initiating to it"
                                                  : "the partner initiating from it";

        if (it->served == DOM_NO) {
                *ns = true;
                /* RFC 6120 §4.9.3.6 (host-unknown), §4.9.3.5 (host-gone). */
                snprintf(it->finding, sizeof(it->finding),
                         "%s is not served by the partner (host-unknown) (%s; RFC 6120 "
                         "§4.9.3.6)",
                         it->domain, dir);
                if (it->primary)
                        snprintf(it->fix, sizeof(it->fix),
                                 "check the partner's Identity (%s), or ask the partner to host "
                                 "it",
                                 it->domain);
                else
                        snprintf(it->fix, sizeof(it->fix),
                                 "remove %s from AdditionalDomains, or ask the partner to host it",
                                 it->domain);
        } else if (it->cert_covers == DOM_NO) {
                *nc = true;
                snprintf(it->finding, sizeof(it->finding),
                         "the partner's certificate does not cover %s (%s; %s: %s)", it->domain,
                         dir, rule_name(RULE_H_CERT_PROOF), rule_cite(RULE_H_CERT_PROOF));
                snprintf(it->fix, sizeof(it->fix),
                         "ask the partner for a certificate that names %s (a DNS-ID or SRV-ID); "
                         "until then only dialback can authenticate it",
                         it->domain);
        } else if (it->authenticated == DOM_NO) {
                *na = true;
                snprintf(it->finding, sizeof(it->finding),
                         "%s never authenticated where the partner's settings imply it should "
                         "(%s; each additional domain needs its own stream or "
                         "dialback multiplexing, %s: %s)",
                         it->domain, dir, rule_name(RULE_DB_10), rule_cite(RULE_DB_10));
                snprintf(it->fix, sizeof(it->fix),
                         "see the domains-* results for %s: its own stream or dialback "
                         "multiplexing must authenticate it",
                         it->domain);
        }
}

/* The domain's index: 0 for the primary, 1 + its place in additional. */
static size_t domain_index(const struct run_report *r, const struct domain_item *it)
{
        for (size_t a = 0; !it->primary && a < r->n_additional && a < RUN_DOMAINS_MAX - 1; a++) {
                if (strcasecmp(it->domain, r->additional[a]) == 0)
                        return a + 1;
        }
        return 0;
}

/* Sorts the items by (domain index, direction): an insertion sort (at most
 * RUN_DOMAIN_ITEMS items), with no allocation. */
static void sort_items(const struct run_report *r, struct domains_verdict *d)
{
        struct domain_item tmp;

        for (size_t i = 1; i < d->n_items; i++) {
                size_t j = i;

                tmp = d->items[i];
                while (j > 0 && (domain_index(r, &d->items[j - 1]) > domain_index(r, &tmp) ||
                                 (domain_index(r, &d->items[j - 1]) == domain_index(r, &tmp) &&
                                  d->items[j - 1].dir > tmp.dir))) {
                        d->items[j] = d->items[j - 1];
                        j--;
                }
                d->items[j] = tmp;
        }
}

void domains_judge(struct run_report *r)
{
        struct domains_verdict *d = &r->domains;
        /* Per domain: not served / not covered / not authenticated in some direction. */
        bool ns[RUN_DOMAINS_MAX] = {false}, nc[RUN_DOMAINS_MAX] = {false},
             na[RUN_DOMAINS_MAX] = {false}, sy[RUN_DOMAINS_MAX] = {false};

        memset(d, 0, sizeof(*d));
        d->n_domains =
            1 + (r->n_additional < RUN_DOMAINS_MAX - 1 ? r->n_additional : RUN_DOMAINS_MAX - 1);
        for (size_t i = 0; i < r->n_results; i++) {
                const struct scenario_result *s = &r->results[i];
                struct domain_item *it;
                bool primary;

                if (s->not_run || s->verdict == VERDICT_SKIP || s->pdomain[0] == '\0' ||
                    !partner_domain(r, s->pdomain, &primary))
                        continue;
                it = item_for(d, s->pdomain, primary, s->dir);
                if (it == NULL)
                        continue;
                it->results++;
                it->served = combine(it->served, s->served);
                it->cert_covers = combine(it->cert_covers, s->cert_covers);
                /* Authentication counts where some judged result expected it: an
                 * expected failure says nothing against the domain, and an error is
                 * the harness's or the environment's (design.md §7). */
                if (s->authenticated == DOM_YES ||
                    (s->verdict != VERDICT_ERROR &&
                     (OUTCOME_BIT(s->expected) & OUTCOME_SUCCESS_SET) != 0))
                        it->authenticated = combine(it->authenticated, s->authenticated);
        }
        /* The preflight's PRE-CERT-NAMES per domain (typed: id, severity, subject): the
         * partner's certificate on a stream to that domain, even when no scenario of
         * the run addressed it (docs/cli.md "check"). Not when the preflight stopped
         * the run: no scenario ran, the report says nothing of the domains. */
        for (size_t i = 0; r->preflight != NULL && !r->preflight_stopped && i < r->preflight->n;
             i++) {
                const struct checkup_finding *f = &r->preflight->f[i];
                struct domain_item *it;
                bool primary;

                if (strcmp(f->item->id, "PRE-CERT-NAMES") != 0 ||
                    (f->sev != CHECKUP_OK && f->sev != CHECKUP_FAIL) ||
                    !partner_domain(r, f->subject, &primary))
                        continue;
                it = item_for(d, f->subject, primary, DIR_OUTBOUND);
                if (it != NULL)
                        it->cert_covers =
                            combine(it->cert_covers, f->sev == CHECKUP_OK ? DOM_YES : DOM_NO);
        }
        /* The partner file's order: the primary, then each additional domain; outbound
         * before inbound (a stable order for reports and diffs). */
        sort_items(r, d);
        for (size_t i = 0; i < d->n_items; i++) {
                struct domain_item *it = &d->items[i];
                size_t k = domain_index(r, it);

                judge_item(it, &ns[k], &nc[k], &na[k]);
                sy[k] |= it->served == DOM_YES;
                d->faults += it->finding[0] != '\0';
        }
        for (size_t k = 0; k < d->n_domains; k++) {
                d->not_served += ns[k];
                d->not_covered += nc[k];
                d->not_auth += na[k];
                d->served += sy[k] && !ns[k];
        }
        d->not_checked = d->n_domains - d->served - d->not_served;
        {
                struct buf b;

                buf_init(&b, sizeof(d->summary) - 1);
                if (d->n_items == 0)
                        buf_printf(&b, "%zu domain%s, none checked", d->n_domains,
                                   d->n_domains == 1 ? "" : "s");
                else if (d->not_served > 0)
                        buf_printf(&b, "%zu of %zu not served", d->not_served, d->n_domains);
                else
                        buf_printf(&b, "%zu of %zu served", d->served, d->n_domains);
                if (d->n_items > 0 && d->not_checked > 0)
                        buf_printf(&b, ", %zu not checked", d->not_checked);
                if (d->not_covered > 0)
                        buf_printf(&b, ", %zu not covered by the certificate", d->not_covered);
                if (d->not_auth > 0)
                        buf_printf(&b, ", %zu not authenticated", d->not_auth);
                if (b.data != NULL)
                        snprintf(d->summary, sizeof(d->summary), "%s", b.data);
                buf_cleanup(&b);
        }
}

size_t domains_remove_clause(const struct run_report *r, char *out, size_t len)
{
        struct buf b;
        size_t n = 0;
        int rc;

        if (len == 0)
                return 0;
        out[0] = '\0';
        buf_init(&b, len - 1);
        rc = buf_puts(&b, "-AdditionalDomains @{Remove=");
        for (size_t i = 0; rc == 0 && i < r->domains.n_items; i++) {
                const struct domain_item *it = &r->domains.items[i];
                bool seen = false;

                if (it->primary || it->served != DOM_NO)
                        continue;
                /* Once per domain, though both directions may show it. */
                for (size_t j = 0; j < i; j++) {
                        const struct domain_item *o = &r->domains.items[j];

                        seen |= o->served == DOM_NO && strcasecmp(o->domain, it->domain) == 0;
                }
                if (seen)
                        continue;
                /* Domains are checked names (domain_check): no quote or backtick. */
                rc = buf_printf(&b, "%s\"%s\"", n > 0 ? "," : "", it->domain);
                n++;
        }
        if (rc == 0)
                rc = buf_puts(&b, "}");
        if (rc == 0 && n > 0 && b.data != NULL)
                memcpy(out, b.data, b.len + 1);
        else
                n = 0;
        buf_cleanup(&b);
        return n;
}
