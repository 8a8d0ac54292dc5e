/*
 * Partner configurations: what a Lync / Skype for Business gateway holds for one
 * XMPP federated partner (reference §1.1, §1.2), loaded strictly from either
 *  - our XML format (namespace urn:s2scheck:partner:1, schema harness/schema/partner.rng), or
 *  - the text Get-CsXmppAllowedPartner prints in PowerShell's list view.
 * The file format is detected from the first character: '<' means XML.
 * docs/partner-format.md describes both formats, the defaults and the errors.
 */
#ifndef S2S_PARTNER_H
#define S2S_PARTNER_H

#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "settings.h"

/* Input bounds: anything larger is refused with a clear error. */
#define PARTNER_FILE_MAX (1024 * 1024)
#define PARTNER_ADDITIONAL_MAX 64
#define PARTNER_DESCRIPTION_MAX 1024

/* -PartnerType values, in the cmdlet's order (reference §1.1). */
enum partner_type {
        PARTNER_FEDERATED,
        PARTNER_PUBLIC_VERIFIED,
        PARTNER_PUBLIC_UNVERIFIED,
};

enum partner_format {
        PARTNER_FORMAT_XML,
        PARTNER_FORMAT_CMDLET_TEXT,
};

#define PARTNER_WARNINGS 512

struct partner {
        char *primary;           /* normalised domain (domain_check) */
        char **additional;       /* normalised, no duplicates, never the primary */
        size_t n_additional;     /* at most PARTNER_ADDITIONAL_MAX */
        char *description;       /* NULL when none; UTF-8 without control characters */
        enum partner_type type;  /* default PublicUnverified */
        struct neg_settings neg; /* defaults TLS Required, SASL Required, dialback True */
        char *source;            /* the file it came from; NULL for partner_init_from */
        enum partner_format format;
        /* The gateway's connection knobs (cmdlet text only; docs/partner-format.md,
         * issue 12 item 5). connection_limit: ConnectionLimit, 0 when empty or 0
         * (no limit given). proxy_fqdn: ProxyFqdn normalised, NULL when empty: the
         * host the gateway connects to for this partner. keepalive: EnableKeepAlive,
         * -1 when empty, else 0 / 1. */
        unsigned connection_limit;
        char *proxy_fqdn;
        int keepalive;
        /* The text format's unknown keys that are no misspelling of a known one
         * (those are errors), one "FILE:LINE: KEY: unknown key, ignored" a line;
         * "" when none. The caller prints them as warnings (partner_warn). */
        char warnings[PARTNER_WARNINGS];
};

/* Prints each line of p->warnings to f as "s2scheck: warning: LINE". */
void partner_warn(const struct partner *p, FILE *f);

/*
 * Loads the partner configuration in path. identity is NULL or a domain: with
 * several partners in the file it picks one (it is required then); with one, it
 * must name that one. Every field is checked (domains with domain_check) and the
 * whole file must be valid, not just the partner picked.
 * Returns 0 with *out filled (the caller owns it; free with partner_cleanup).
 * Returns -1 with *out zeroed (nothing to free) and one message in err:
 *   FILE:LINE: FIELD: what is wrong; accepted: what would be
 * (":LINE" left out when no line applies).
 */
int partner_load(const char *path, const char *identity, struct partner *out, char *err,
                 size_t errlen);

/* Frees everything p owns and zeroes it. Safe on a zeroed struct. */
void partner_cleanup(struct partner *p);

/* Every partner of one file, in file order (a fleet: run --all, docs/fleet.md). */
struct partner_list {
        struct partner *p; /* owned array */
        size_t n;
};

/*
 * Loads every partner in path, with partner_load's checks (the whole file valid, each
 * partner once). Returns 0 with *out filled (partner_list_cleanup), or -1 with *out
 * zeroed and one message in err, as partner_load.
 */
int partner_load_all(const char *path, struct partner_list *out, char *err, size_t errlen);

/* Frees every partner of l and zeroes it. Safe on a zeroed list. */
void partner_list_cleanup(struct partner_list *l);

/* The cmdlet spelling: "Federated", "PublicVerified", "PublicUnverified". */
const char *partner_type_name(enum partner_type t);

/*
 * Parses a partner type as the cmdlets or the Control Panel print it: case-insensitive,
 * spaces ignored ("Public verified" == "PublicVerified"). Returns 0 and sets *out, or -1.
 */
int partner_type_parse(const char *text, enum partner_type *out);

/*
 * Appends to out the one-line New-/Set-CsXmppAllowedPartner command (verb "New" or
 * "Set") that gives this configuration. Parameter order is fixed: -Identity,
 * -PartnerType, -TlsNegotiation, -SaslNegotiation, -SupportDialbackNegotiation, then
 * -AdditionalDomains and -Description when present. With "Set", an absent list or
 * description is written as $Null so that the command clears an old value.
 * Strings are in PowerShell double quotes with ` escapes.
 * Returns 0, or -1 for another verb, a control character that cannot be escaped, or
 * when out refuses the bytes.
 */
int partner_cmdlet(const struct partner *p, const char *verb, struct buf *out);

/*
 * Makes p a configuration with only a primary domain and the given settings (type
 * PublicUnverified, no additional domains, no description, source NULL). p is
 * overwritten, not cleaned first. Returns 0, or -1 (p zeroed) when primary fails
 * domain_check or memory runs out.
 */
int partner_init_from(struct partner *p, const char *primary, const struct neg_settings *neg);

#endif
