#include "partner.h"

#include <errno.h>
#include <stddef.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/tree.h>
#include <libxml/xmlstring.h>

#include "domain.h"
#include "util.h"
#include "xmlload.h"

#define PARTNER_NS "urn:s2scheck:partner:1"
/* Lines in one text record; Get-CsXmppAllowedPartner prints 11. */
#define TEXT_KEYS_MAX 64

static const char *const type_names[] = {"Federated", "PublicVerified", "PublicUnverified"};

static const char ACCEPT_NEG_TEXT[] = "Required, Optional, NotSupported (or \"Not Supported\")";
static const char ACCEPT_NEG_XML[] = "Required, Optional, NotSupported";
static const char ACCEPT_TYPE_TEXT[] =
    "Federated, PublicVerified, PublicUnverified (or \"Public verified\", \"Public unverified\")";
static const char ACCEPT_TYPE_XML[] = "Federated, PublicVerified, PublicUnverified";

const char *partner_type_name(enum partner_type t)
{
        if ((unsigned)t > PARTNER_PUBLIC_UNVERIFIED)
                return "?";
        return type_names[t];
}

static char tolower_ascii(char c)
{
        return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive compare of text with spaces and tabs dropped against a cmdlet word. */
static bool folded_eq(const char *text, const char *word)
{
        const char *w = word;

        for (const char *p = text; *p != '\0'; p++) {
                if (*p == ' ' || *p == '\t')
                        continue;
                if (*w == '\0' || tolower_ascii(*p) != tolower_ascii(*w))
                        return false;
                w++;
        }
        return *w == '\0';
}

int partner_type_parse(const char *text, enum partner_type *out)
{
        if (text == NULL)
                return -1;
        for (int t = PARTNER_FEDERATED; t <= PARTNER_PUBLIC_UNVERIFIED; t++) {
                if (folded_eq(text, type_names[t])) {
                        *out = (enum partner_type)t;
                        return 0;
                }
        }
        return -1;
}

void partner_warn(const struct partner *p, FILE *f)
{
        const char *s = p->warnings;

        while (*s != '\0') {
                const char *nl = strchr(s, '\n');
                int len = nl != NULL ? (int)(nl - s) : (int)strlen(s);

                fprintf(f, "s2scheck: warning: %.*s\n", len, s);
                s += len + (nl != NULL);
        }
}

void partner_cleanup(struct partner *p)
{
        if (p == NULL)
                return;
        free(p->primary);
        for (size_t i = 0; i < p->n_additional; i++)
                free(p->additional[i]);
        free(p->additional);
        free(p->description);
        free(p->source);
        free(p->proxy_fqdn);
        memset(p, 0, sizeof(*p));
}

static void partner_defaults(struct partner *p)
{
        memset(p, 0, sizeof(*p));
        /* The cmdlet defaults (reference §1.2): row M1, PublicUnverified. */
        p->type = PARTNER_PUBLIC_UNVERIFIED;
        p->neg.tls = NEG_REQUIRED;
        p->neg.sasl = NEG_REQUIRED;
        p->neg.dialback = true;
        p->keepalive = -1; /* EnableKeepAlive not given */
}

int partner_init_from(struct partner *p, const char *primary, const struct neg_settings *neg)
{
        char norm[DOMAIN_MAX_LEN + 1];

        partner_defaults(p);
        if (domain_check(primary, norm, sizeof(norm), NULL, 0) < 0)
                goto fail;
        p->primary = strdup(norm);
        if (p->primary == NULL)
                goto fail;
        p->neg = *neg;
        return 0;
fail:
        memset(p, 0, sizeof(*p));
        return -1;
}

/* ---- PowerShell rendering ---------------------------------------------------- */

/*
 * A PowerShell double-quoted string: ` escapes `, $ and the quote characters,
 * including the typographic ones PowerShell also treats as quotes (U+201C..U+201E).
 */
static int ps_quote(struct buf *out, const char *s)
{
        if (buf_puts(out, "\"") < 0)
                return -1;
        for (const unsigned char *p = (const unsigned char *)s; *p != '\0'; p++) {
                const char *esc = NULL;

                switch (*p) {
                case '`':
                        esc = "``";
                        break;
                case '$':
                        esc = "`$";
                        break;
                case '"':
                        esc = "`\"";
                        break;
                case '\n':
                        esc = "`n";
                        break;
                case '\r':
                        esc = "`r";
                        break;
                case '\t':
                        esc = "`t";
                        break;
                default:
                        break;
                }
                if (esc != NULL) {
                        if (buf_puts(out, esc) < 0)
                                return -1;
                        continue;
                }
                if (*p < 0x20 || *p == 0x7f)
                        return -1;
                if (p[0] == 0xe2 && p[1] == 0x80 && p[2] >= 0x9c && p[2] <= 0x9e) {
                        if (buf_puts(out, "`") < 0)
                                return -1;
                }
                if (buf_append(out, p, 1) < 0)
                        return -1;
        }
        return buf_puts(out, "\"");
}

int partner_cmdlet(const struct partner *p, const char *verb, struct buf *out)
{
        bool set;

        if (p == NULL || p->primary == NULL || verb == NULL)
                return -1;
        if (strcmp(verb, "New") == 0)
                set = false;
        else if (strcmp(verb, "Set") == 0)
                set = true;
        else
                return -1;
        if (buf_printf(out, "%s-CsXmppAllowedPartner -Identity ", verb) < 0 ||
            ps_quote(out, p->primary) < 0 ||
            buf_printf(out,
                       " -PartnerType %s -TlsNegotiation %s -SaslNegotiation %s"
                       " -SupportDialbackNegotiation %s",
                       partner_type_name(p->type), neg_name(p->neg.tls), neg_name(p->neg.sasl),
                       p->neg.dialback ? "$True" : "$False") < 0)
                return -1;
        if (p->n_additional > 0) {
                if (buf_puts(out, " -AdditionalDomains ") < 0)
                        return -1;
                for (size_t i = 0; i < p->n_additional; i++) {
                        if ((i > 0 && buf_puts(out, ",") < 0) ||
                            ps_quote(out, p->additional[i]) < 0)
                                return -1;
                }
        } else if (set && buf_puts(out, " -AdditionalDomains $Null") < 0) {
                return -1;
        }
        if (p->description != NULL) {
                if (buf_puts(out, " -Description ") < 0 || ps_quote(out, p->description) < 0)
                        return -1;
        } else if (set && buf_puts(out, " -Description $Null") < 0) {
                return -1;
        }
        return 0;
}

/* ---- checks shared by both formats ------------------------------------------ */

static int set_primary(struct xmlload_where *ld, struct partner *p, const char *text, long line,
                       const char *field)
{
        char norm[DOMAIN_MAX_LEN + 1], why[512];

        if (domain_check(text, norm, sizeof(norm), why, sizeof(why)) < 0) {
                xmlload_failf(ld, line, field, "%s", why);
                return -1;
        }
        p->primary = strdup(norm);
        if (p->primary == NULL) {
                xmlload_failf(ld, line, field, "out of memory; accepted: a smaller file");
                return -1;
        }
        return 0;
}

static int add_domain(struct xmlload_where *ld, struct partner *p, const char *text, long line,
                      const char *field)
{
        char norm[DOMAIN_MAX_LEN + 1], why[512];
        char **grown;

        if (domain_check(text, norm, sizeof(norm), why, sizeof(why)) < 0) {
                xmlload_failf(ld, line, field, "%s", why);
                return -1;
        }
        if (strcmp(norm, p->primary) == 0) {
                xmlload_failf(
                    ld, line, field,
                    "\"%s\" is the primary domain (Identity); accepted: only other domains "
                    "of the partner",
                    norm);
                return -1;
        }
        for (size_t i = 0; i < p->n_additional; i++) {
                if (strcmp(norm, p->additional[i]) == 0) {
                        xmlload_failf(ld, line, field,
                                      "\"%s\" is listed twice; accepted: each domain once", norm);
                        return -1;
                }
        }
        if (p->n_additional >= PARTNER_ADDITIONAL_MAX) {
                xmlload_failf(ld, line, field,
                              "more than %d additional domains; accepted: at most %d per partner",
                              PARTNER_ADDITIONAL_MAX, PARTNER_ADDITIONAL_MAX);
                return -1;
        }
        grown = realloc(p->additional, (p->n_additional + 1) * sizeof(*grown));
        if (grown == NULL)
                goto oom;
        p->additional = grown;
        p->additional[p->n_additional] = strdup(norm);
        if (p->additional[p->n_additional] == NULL)
                goto oom;
        p->n_additional++;
        return 0;
oom:
        xmlload_failf(ld, line, field, "out of memory; accepted: a smaller file");
        return -1;
}

/* Description: free text, but one line of valid UTF-8 so it survives the cmdlet line. */
static int set_description(struct xmlload_where *ld, struct partner *p, const char *text, long line)
{
        size_t len = strlen(text);

        if (len == 0)
                return 0;
        if (len > PARTNER_DESCRIPTION_MAX) {
                xmlload_failf(ld, line, "Description",
                              "the text is %zu bytes long; accepted: at most %d bytes", len,
                              PARTNER_DESCRIPTION_MAX);
                return -1;
        }
        for (const unsigned char *c = (const unsigned char *)text; *c != '\0'; c++) {
                if (*c < 0x20 || *c == 0x7f) {
                        xmlload_failf(
                            ld, line, "Description",
                            "control character 0x%02x in the text; accepted: printable text "
                            "on one line",
                            *c);
                        return -1;
                }
        }
        if (!xmlCheckUTF8((const unsigned char *)text)) {
                xmlload_failf(ld, line, "Description",
                              "the text is not valid UTF-8; accepted: UTF-8 text (save the file as "
                              "UTF-8)");
                return -1;
        }
        p->description = strdup(text);
        if (p->description == NULL) {
                xmlload_failf(ld, line, "Description", "out of memory; accepted: a smaller file");
                return -1;
        }
        return 0;
}

static int parse_neg(struct xmlload_where *ld, const char *text, long line, const char *field,
                     const char *accepted, enum neg *out)
{
        if (neg_parse(text, out) < 0) {
                xmlload_failf(ld, line, field, "\"%.64s\" is not a value; accepted: %s", text,
                              accepted);
                return -1;
        }
        return 0;
}

static int parse_type(struct xmlload_where *ld, const char *text, long line, const char *accepted,
                      enum partner_type *out)
{
        if (partner_type_parse(text, out) < 0) {
                xmlload_failf(ld, line, "PartnerType", "\"%.64s\" is not a value; accepted: %s",
                              text, accepted);
                return -1;
        }
        return 0;
}

/* ---- reading the file -------------------------------------------------------- */

static int read_file(struct xmlload_where *ld, char **data, size_t *len)
{
        return xmlload_read_file(ld, PARTNER_FILE_MAX, "at most 1 MiB per file", false, data, len);
}

/* ---- picking one partner out of a file --------------------------------------- */

struct record {
        struct partner p;
        long line;
};

static void records_free(struct record *r, size_t n)
{
        for (size_t i = 0; i < n; i++)
                partner_cleanup(&r[i].p);
        free(r);
}

static struct partner *records_add(struct xmlload_where *ld, struct record **r, size_t *n,
                                   long line)
{
        struct record *grown = realloc(*r, (*n + 1) * sizeof(**r));

        if (grown == NULL) {
                xmlload_failf(ld, line, "file", "out of memory; accepted: a smaller file");
                return NULL;
        }
        *r = grown;
        partner_defaults(&grown[*n].p);
        grown[*n].line = line;
        (*n)++;
        return &grown[*n - 1].p;
}

/* Appends the primary domains of all records, comma-separated, to out (bounded). */
static void list_identities(const struct record *r, size_t n, char *out, size_t len)
{
        size_t used = 0;

        out[0] = '\0';
        for (size_t i = 0; i < n && used < len; i++) {
                int k = snprintf(out + used, len - used, "%s%s", i > 0 ? ", " : "", r[i].p.primary);
                if (k < 0)
                        break;
                used += (size_t)k;
        }
}

/*
 * Picks the record named by identity (or the only one) and moves it to out.
 * The records are freed either way.
 */
static int records_pick(struct xmlload_where *ld, struct record *r, size_t n, const char *identity,
                        struct partner *out, struct partner_list *all)
{
        char names[512], norm[DOMAIN_MAX_LEN + 1], why[512];
        size_t pick = n;

        if (n == 0) {
                xmlload_failf(
                    ld, 0, "file",
                    "no partner in the file; accepted: at least one partner with an Identity");
                goto fail;
        }
        for (size_t i = 1; i < n; i++) {
                for (size_t j = 0; j < i; j++) {
                        if (strcmp(r[i].p.primary, r[j].p.primary) == 0) {
                                xmlload_failf(
                                    ld, r[i].line, "Identity",
                                    "\"%s\" is also the partner at line %ld; accepted: each "
                                    "partner once per file",
                                    r[i].p.primary, r[j].line);
                                goto fail;
                        }
                }
        }
        if (all != NULL) {
                all->p = calloc(n, sizeof(*all->p));
                if (all->p == NULL) {
                        xmlload_failf(ld, 0, "file", "out of memory; accepted: a smaller file");
                        goto fail;
                }
                for (size_t i = 0; i < n; i++) {
                        all->p[i] = r[i].p;
                        memset(&r[i].p, 0, sizeof(r[i].p));
                }
                all->n = n;
                records_free(r, n);
                return 0;
        }
        list_identities(r, n, names, sizeof(names));
        if (identity == NULL) {
                if (n > 1) {
                        xmlload_failf(ld, 0, "--identity",
                                      "the file holds %zu partners and none was chosen; accepted: "
                                      "--identity with one of %s",
                                      n, names);
                        goto fail;
                }
                pick = 0;
        } else {
                if (domain_check(identity, norm, sizeof(norm), why, sizeof(why)) < 0) {
                        xmlload_failf(ld, 0, "--identity", "%s", why);
                        goto fail;
                }
                for (size_t i = 0; i < n; i++)
                        if (strcmp(r[i].p.primary, norm) == 0)
                                pick = i;
                if (pick == n) {
                        xmlload_failf(ld, 0, "--identity",
                                      "\"%s\" is not a partner in the file; accepted: one of %s",
                                      norm, names);
                        goto fail;
                }
        }
        *out = r[pick].p;
        memset(&r[pick].p, 0, sizeof(r[pick].p));
        records_free(r, n);
        return 0;
fail:
        records_free(r, n);
        return -1;
}

/* ---- the cmdlet text format ---------------------------------------------------- */

/* The properties Get-CsXmppAllowedPartner prints (reference §1.2); others are ignored. */
enum text_key {
        K_IDENTITY,
        K_DOMAIN,
        K_ADDITIONAL,
        K_CONNLIMIT,
        K_DESCRIPTION,
        K_KEEPALIVE,
        K_TYPE,
        K_PROXY,
        K_SASL,
        K_DIALBACK,
        K_TLS,
        K_COUNT,
};

static const char *const text_keys[K_COUNT] = {
    "Identity",          "Domain",
    "AdditionalDomains", "ConnectionLimit",
    "Description",       "EnableKeepAlive",
    "PartnerType",       "ProxyFqdn",
    "SaslNegotiation",   "SupportDialbackNegotiation",
    "TlsNegotiation",
};

/* One record being read: the values of the known keys, in place in the file buffer. */
struct text_rec {
        long line;
        char *val[K_COUNT];
        long at[K_COUNT];
        const char *seen[TEXT_KEYS_MAX];
        long seen_at[TEXT_KEYS_MAX];
        size_t n_seen;
        char warnings[PARTNER_WARNINGS]; /* the file's unknown keys (partner.warnings) */
        size_t warnings_len;
};

static int parse_bool(struct xmlload_where *ld, const char *text, long line, const char *field,
                      bool *out)
{
        if (strcasecmp(text, "true") == 0) {
                *out = true;
                return 0;
        }
        if (strcasecmp(text, "false") == 0) {
                *out = false;
                return 0;
        }
        xmlload_failf(ld, line, field, "\"%.64s\" is not a value; accepted: True, False", text);
        return -1;
}

static bool is_space(char c)
{
        return c == ' ' || c == '\t';
}

/* "{a.example, b.example}", "{}" or "": PowerShell's rendering of a string collection. */
static int text_additional(struct xmlload_where *ld, struct partner *p, char *v, long line)
{
        const char *field = "AdditionalDomains";
        size_t len = strlen(v);
        char *s;

        if (len == 0)
                return 0;
        if (v[0] != '{' || v[len - 1] != '}') {
                xmlload_failf(
                    ld, line, field,
                    "\"%.64s\" is not a list; accepted: {a.example, b.example}, {} or nothing", v);
                return -1;
        }
        v[len - 1] = '\0';
        s = v + 1;
        /* PowerShell cuts long lists at $FormatEnumerationLimit and appends "...". */
        if (len >= 5 && strcmp(v + len - 4, "...") == 0) {
                xmlload_failf(
                    ld, line, field,
                    "the list is cut short with \"...\" by PowerShell; accepted: the full list "
                    "(set $FormatEnumerationLimit = -1 before Get-CsXmppAllowedPartner)");
                return -1;
        }
        while (is_space(*s))
                s++;
        if (*s == '\0')
                return 0;
        for (;;) {
                char *comma = strchr(s, ',');
                char *end;

                if (comma != NULL)
                        *comma = '\0';
                end = s + strlen(s);
                while (end > s && is_space(end[-1]))
                        *--end = '\0';
                while (is_space(*s))
                        s++;
                if (add_domain(ld, p, s, line, field) < 0)
                        return -1;
                if (comma == NULL)
                        break;
                s = comma + 1;
        }
        return 0;
}

static int text_build(struct xmlload_where *ld, struct text_rec *t, struct partner *p)
{
        const char *id = t->val[K_IDENTITY], *dom = t->val[K_DOMAIN];
        char norm[DOMAIN_MAX_LEN + 1], why[512];

        if (id == NULL && dom == NULL) {
                xmlload_failf(
                    ld, t->line, "Identity",
                    "the partner starting here has neither Identity nor Domain; accepted: an "
                    "\"Identity : DOMAIN\" line in every partner");
                return -1;
        }
        if (id != NULL) {
                if (set_primary(ld, p, id, t->at[K_IDENTITY], "Identity") < 0)
                        return -1;
                if (dom != NULL) {
                        if (domain_check(dom, norm, sizeof(norm), why, sizeof(why)) < 0) {
                                xmlload_failf(ld, t->at[K_DOMAIN], "Domain", "%s", why);
                                return -1;
                        }
                        if (strcmp(norm, p->primary) != 0) {
                                xmlload_failf(
                                    ld, t->at[K_DOMAIN], "Domain",
                                    "\"%s\" differs from Identity \"%s\"; accepted: the same "
                                    "domain in both, or only one of them",
                                    norm, p->primary);
                                return -1;
                        }
                }
        } else if (set_primary(ld, p, dom, t->at[K_DOMAIN], "Domain") < 0) {
                return -1;
        }
        if (t->val[K_ADDITIONAL] != NULL &&
            text_additional(ld, p, t->val[K_ADDITIONAL], t->at[K_ADDITIONAL]) < 0)
                return -1;
        if (t->val[K_DESCRIPTION] != NULL &&
            set_description(ld, p, t->val[K_DESCRIPTION], t->at[K_DESCRIPTION]) < 0)
                return -1;
        if (t->val[K_TYPE] != NULL &&
            parse_type(ld, t->val[K_TYPE], t->at[K_TYPE], ACCEPT_TYPE_TEXT, &p->type) < 0)
                return -1;
        if (t->val[K_TLS] != NULL && parse_neg(ld, t->val[K_TLS], t->at[K_TLS], "TlsNegotiation",
                                               ACCEPT_NEG_TEXT, &p->neg.tls) < 0)
                return -1;
        if (t->val[K_SASL] != NULL &&
            parse_neg(ld, t->val[K_SASL], t->at[K_SASL], "SaslNegotiation", ACCEPT_NEG_TEXT,
                      &p->neg.sasl) < 0)
                return -1;
        if (t->val[K_DIALBACK] != NULL &&
            parse_bool(ld, t->val[K_DIALBACK], t->at[K_DIALBACK], "SupportDialbackNegotiation",
                       &p->neg.dialback) < 0)
                return -1;
        /* Not part of the negotiation model, but a typo in them still means a bad copy. */
        if (t->val[K_KEEPALIVE] != NULL && t->val[K_KEEPALIVE][0] != '\0') {
                bool on;

                if (parse_bool(ld, t->val[K_KEEPALIVE], t->at[K_KEEPALIVE], "EnableKeepAlive",
                               &on) < 0)
                        return -1;
                p->keepalive = on ? 1 : 0;
        }
        if (t->val[K_CONNLIMIT] != NULL && t->val[K_CONNLIMIT][0] != '\0') {
                const char *v = t->val[K_CONNLIMIT];
                char *end;
                unsigned long long n;

                errno = 0;
                n = strtoull(v, &end, 10);
                if (v[0] < '0' || v[0] > '9' || *end != '\0' || errno != 0 || n > 4294967295ULL) {
                        xmlload_failf(
                            ld, t->at[K_CONNLIMIT], "ConnectionLimit",
                            "\"%.64s\" is not a number; accepted: 0 to 4294967295 (UInt32)", v);
                        return -1;
                }
                p->connection_limit = (unsigned)n;
        }
        if (t->val[K_PROXY] != NULL && t->val[K_PROXY][0] != '\0') {
                if (domain_check(t->val[K_PROXY], norm, sizeof(norm), why, sizeof(why)) < 0) {
                        xmlload_failf(ld, t->at[K_PROXY], "ProxyFqdn", "%s", why);
                        return -1;
                }
                p->proxy_fqdn = strdup(norm);
                if (p->proxy_fqdn == NULL) {
                        xmlload_failf(ld, t->at[K_PROXY], "ProxyFqdn", "out of memory");
                        return -1;
                }
        }
        return 0;
}

/* Ends the record in t (if any) and appends it to the list. */
static int text_flush(struct xmlload_where *ld, struct text_rec *t, struct record **r, size_t *n)
{
        struct partner *p;

        if (t->n_seen == 0)
                return 0;
        p = records_add(ld, r, n, t->line);
        if (p == NULL)
                return -1;
        if (text_build(ld, t, p) < 0)
                return -1;
        /* The next record starts empty; the file's warnings carry on. */
        memset(t, 0, offsetof(struct text_rec, warnings));
        return 0;
}

/*
 * One "Name : Value" line (reference §1.2: ^\s*(\w+)\s*:\s*(.*)$), NUL-terminated in
 * place. Returns 0 when it is one, with *key and *val pointing into line.
 */
static int text_split(char *line, char **key, char **val)
{
        char *s = line, *k, *end;

        while (is_space(*s))
                s++;
        k = s;
        while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
               *s == '_')
                s++;
        if (s == k)
                return -1;
        end = s;
        while (is_space(*s))
                s++;
        if (*s != ':')
                return -1;
        *end = '\0';
        s++;
        while (is_space(*s))
                s++;
        end = s + strlen(s);
        while (end > s && is_space(end[-1]))
                *--end = '\0';
        *key = k;
        *val = s;
        return 0;
}

/*
 * A key that is not one of text_keys: a misspelling of one (Damerau-Levenshtein
 * distance <= 2, e.g. "TlsNegotation") is an error naming it, since reading the
 * default instead would test another configuration than the one meant; any other
 * key is a warning (a property a later Get-CsXmppAllowedPartner may print), but
 * for the few that PowerShell itself adds (ignored quietly).
 */
static int text_unknown_key(struct xmlload_where *ld, struct text_rec *t, const char *key,
                            long lineno)
{
        /* Properties PowerShell or the cmdlet print that say nothing about negotiation. */
        static const char *const quiet[] = {"PSComputerName", "PSShowComputerName", "RunspaceId",
                                            "Anchor"};
        const char *guess;
        int n;

        for (size_t i = 0; i < ARRAY_LEN(quiet); i++)
                if (strcasecmp(key, quiet[i]) == 0)
                        return 0;
        guess = util_closest(key, text_keys, K_COUNT, 2);
        if (guess != NULL) {
                xmlload_failf(
                    ld, lineno, key,
                    "unknown key; did you mean %s? (ignoring it would leave %s at its default); "
                    "accepted: %s",
                    guess, guess,
                    "the properties Get-CsXmppAllowedPartner prints (docs/partner-format.md)");
                return -1;
        }
        if (t->warnings_len + 1 >= sizeof(t->warnings))
                return 0;
        n = snprintf(t->warnings + t->warnings_len, sizeof(t->warnings) - t->warnings_len,
                     "%s%s:%ld: %s: unknown key, ignored", t->warnings_len > 0 ? "\n" : "",
                     ld->file, lineno, key);
        if (n > 0)
                t->warnings_len += (size_t)n < sizeof(t->warnings) - t->warnings_len
                                       ? (size_t)n
                                       : sizeof(t->warnings) - t->warnings_len - 1;
        return 0;
}

static int text_line(struct xmlload_where *ld, struct text_rec *t, char *line, long lineno)
{
        char *key, *val;

        if (text_split(line, &key, &val) < 0) {
                xmlload_failf(
                    ld, lineno, "line",
                    "\"%.60s\" is not a \"Name : Value\" line; accepted: Name : Value lines, "
                    "one blank line between partners",
                    line);
                return -1;
        }
        for (size_t i = 0; i < t->n_seen; i++) {
                if (strcasecmp(t->seen[i], key) == 0) {
                        for (int k = 0; k < K_COUNT; k++)
                                if (strcasecmp(key, text_keys[k]) == 0)
                                        key = (char *)text_keys[k];
                        xmlload_failf(ld, lineno, key,
                                      "the key appears twice in one partner (first at line %ld); "
                                      "accepted: each key once, with a blank line between partners",
                                      t->seen_at[i]);
                        return -1;
                }
        }
        if (t->n_seen >= TEXT_KEYS_MAX) {
                xmlload_failf(
                    ld, lineno, key,
                    "more than %d lines in one partner; accepted: at most %d, with a blank "
                    "line between partners",
                    TEXT_KEYS_MAX, TEXT_KEYS_MAX);
                return -1;
        }
        if (t->n_seen == 0)
                t->line = lineno;
        t->seen[t->n_seen] = key;
        t->seen_at[t->n_seen] = lineno;
        t->n_seen++;
        for (int k = 0; k < K_COUNT; k++) {
                if (strcasecmp(key, text_keys[k]) == 0) {
                        t->val[k] = val;
                        t->at[k] = lineno;
                        return 0;
                }
        }
        return text_unknown_key(ld, t, key, lineno);
}

static int text_load(struct xmlload_where *ld, char *data, size_t len, const char *identity,
                     struct partner *out, struct partner_list *all)
{
        struct record *r = NULL;
        size_t n = 0;
        struct text_rec *t;
        char *s = data, *end = data + len;
        long lineno = 0;

        t = calloc(1, sizeof(*t));
        if (t == NULL) {
                xmlload_failf(ld, 0, "file", "out of memory; accepted: a smaller file");
                return -1;
        }
        while (s < end) {
                char *nl = memchr(s, '\n', (size_t)(end - s));
                char *eol = nl != NULL ? nl : end;
                bool blank = true;

                lineno++;
                if (eol > s && eol[-1] == '\r')
                        eol[-1] = '\0';
                *eol = '\0';
                for (char *c = s; *c != '\0'; c++)
                        if (!is_space(*c))
                                blank = false;
                if (blank) {
                        if (text_flush(ld, t, &r, &n) < 0)
                                goto fail;
                } else if (text_line(ld, t, s, lineno) < 0) {
                        goto fail;
                }
                s = eol + 1;
        }
        if (text_flush(ld, t, &r, &n) < 0)
                goto fail;
        if (records_pick(ld, r, n, identity, out, all) != 0) {
                free(t);
                return -1;
        }
        snprintf(out->warnings, sizeof(out->warnings), "%s", t->warnings);
        free(t);
        return 0;
fail:
        free(t);
        records_free(r, n);
        return -1;
}

/* ---- the XML format ------------------------------------------------------------ */

static bool is_ours(const xmlNode *n, const char *name)
{
        return n != NULL && n->type == XML_ELEMENT_NODE && n->ns != NULL &&
               xmlStrEqual(n->ns->href, BAD_CAST PARTNER_NS) &&
               (name == NULL || xmlStrEqual(n->name, BAD_CAST name));
}

/* Element text with XML whitespace trimmed (the schema's token type does the same). */
static char *xml_text(const xmlNode *n, bool collapse)
{
        xmlChar *raw = xmlNodeGetContent(n);
        char *out, *o;
        const char *s;
        bool space = false;

        if (raw == NULL)
                return strdup("");
        out = malloc(strlen((const char *)raw) + 1);
        if (out == NULL) {
                xmlFree(raw);
                return NULL;
        }
        o = out;
        for (s = (const char *)raw; *s != '\0'; s++) {
                bool ws = *s == ' ' || *s == '\t' || *s == '\n' || *s == '\r';

                if (ws) {
                        space = o != out;
                        if (!collapse && o != out)
                                *o++ = *s;
                        continue;
                }
                if (collapse && space)
                        *o++ = ' ';
                space = false;
                *o++ = *s;
        }
        *o = '\0';
        while (o > out && (o[-1] == ' ' || o[-1] == '\t' || o[-1] == '\n' || o[-1] == '\r'))
                *--o = '\0';
        xmlFree(raw);
        return out;
}

struct xml_field {
        const char *name;
        const char *const *values; /* NULL: free text */
        const char *accepted;
};

static const char *const neg_values[] = {"Required", "Optional", "NotSupported", NULL};
static const char *const type_values[] = {"Federated", "PublicVerified", "PublicUnverified", NULL};
static const char *const bool_values[] = {"true", "false", NULL};

static const struct xml_field xml_fields[] = {
    {"Description", NULL, "text of at most 1024 bytes"},
    {"AdditionalDomains", NULL, "<Domain> elements only"},
    {"Domain", NULL, "a DNS name such as corp.partner.example"},
    {"PartnerType", type_values, ACCEPT_TYPE_XML},
    {"TlsNegotiation", neg_values, ACCEPT_NEG_XML},
    {"SaslNegotiation", neg_values, ACCEPT_NEG_XML},
    {"SupportDialbackNegotiation", bool_values, "true, false"},
};

static const char ACCEPT_CHILDREN[] =
    "Description, AdditionalDomains, PartnerType, TlsNegotiation, SaslNegotiation, "
    "SupportDialbackNegotiation, each at most once, in "
    "XmppAllowedPartner";

/*
 * libxml2's RELAX NG messages name the element but not the rule ("Element
 * XmppAllowedPartner failed to validate content"); the schema decides, this only
 * says in the user's terms what the element at fault got wrong.
 */
static void xml_schema_fail(struct xmlload_where *ld, const struct xmlload_error *e)
{
        const xmlNode *n = e->node;
        const struct xml_field *f = NULL;
        long line = e->line;
        char *text;

        if (n == NULL) {
                xmlload_failf(ld, line, "XML",
                              "%s; accepted: a document as in docs/partner-format.md", e->msg);
                return;
        }
        if (line <= 0)
                line = xmlGetLineNo(n);
        for (size_t i = 0; i < ARRAY_LEN(xml_fields); i++)
                if (xmlStrEqual(n->name, BAD_CAST xml_fields[i].name))
                        f = &xml_fields[i];
        if (!is_ours(n, NULL) || (f == NULL && !is_ours(n, "XmppAllowedPartner") &&
                                  !is_ours(n, "XmppAllowedPartners"))) {
                bool in_list = n->parent != NULL && is_ours(n->parent, "AdditionalDomains");
                const char *names[ARRAY_LEN(xml_fields)];
                const char *guess;

                for (size_t i = 0; i < ARRAY_LEN(xml_fields); i++)
                        names[i] = xml_fields[i].name;
                guess = in_list ? NULL
                                : util_closest((const char *)n->name, names, ARRAY_LEN(names), 2);
                if (guess != NULL) {
                        xmlload_failf(ld, line, (const char *)n->name,
                                      "unknown element; did you mean %s?; accepted: %s", guess,
                                      ACCEPT_CHILDREN);
                        return;
                }
                xmlload_failf(
                    ld, line, (const char *)n->name,
                    "element <%s> is not part of the format (or not in namespace " PARTNER_NS
                    "); accepted: %s",
                    (const char *)n->name,
                    in_list ? "<Domain> elements in AdditionalDomains" : ACCEPT_CHILDREN);
                return;
        }
        if (is_ours(n, "XmppAllowedPartner") || is_ours(n, "XmppAllowedPartners")) {
                xmlChar *id = xmlGetNoNsProp(n, BAD_CAST "Identity");
                const xmlAttr *extra = NULL;

                for (const xmlAttr *a = n->properties; a != NULL; a = a->next)
                        if (a->ns != NULL || !xmlStrEqual(a->name, BAD_CAST "Identity"))
                                extra = a;
                if (is_ours(n, "XmppAllowedPartner") && id == NULL)
                        xmlload_failf(ld, line, "Identity",
                                      "the attribute is missing; accepted: <XmppAllowedPartner "
                                      "Identity=\"DOMAIN\"> on every partner");
                else if (extra != NULL)
                        xmlload_failf(
                            ld, line, (const char *)extra->name,
                            "attribute %s is not part of the format; accepted: Identity on "
                            "XmppAllowedPartner only",
                            (const char *)extra->name);
                else if (is_ours(n, "XmppAllowedPartners") &&
                         xmlFirstElementChild((xmlNode *)n) == NULL)
                        xmlload_failf(ld, line, (const char *)n->name,
                                      "the list holds no partner; accepted: one or more "
                                      "<XmppAllowedPartner> elements");
                else
                        xmlload_failf(ld, line, (const char *)n->name, "%s; accepted: %s", e->msg,
                                      is_ours(n, "XmppAllowedPartners")
                                          ? "one or more <XmppAllowedPartner> elements only"
                                          : ACCEPT_CHILDREN);
                xmlFree(id);
                return;
        }
        for (const xmlNode *s = n->parent != NULL ? n->parent->children : NULL; s != NULL;
             s = s->next) {
                if (s != n && s->type == XML_ELEMENT_NODE && xmlStrEqual(s->name, n->name) &&
                    !xmlStrEqual(n->name, BAD_CAST "Domain")) {
                        xmlload_failf(
                            ld, line, f->name,
                            "the element appears more than once; accepted: at most one <%s> "
                            "per partner",
                            f->name);
                        return;
                }
        }
        for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                if (c->type == XML_ELEMENT_NODE &&
                    !xmlStrEqual(n->name, BAD_CAST "AdditionalDomains")) {
                        xmlload_failf(ld, line, f->name,
                                      "element <%s> inside it; accepted: text only, one of %s",
                                      (const char *)c->name, f->accepted);
                        return;
                }
        }
        text = xml_text(n, false);
        if (text != NULL && f->values != NULL) {
                bool known = false;

                for (const char *const *v = f->values; *v != NULL; v++)
                        if (strcmp(text, *v) == 0)
                                known = true;
                if (!known) {
                        xmlload_failf(ld, line, f->name, "\"%.64s\" is not a value; accepted: %s",
                                      text, f->accepted);
                        free(text);
                        return;
                }
        }
        if (text != NULL && xmlStrEqual(n->name, BAD_CAST "Description") &&
            strlen(text) > PARTNER_DESCRIPTION_MAX) {
                xmlload_failf(ld, line, f->name,
                              "the text is %zu bytes long; accepted: at most %d bytes",
                              strlen(text), PARTNER_DESCRIPTION_MAX);
                free(text);
                return;
        }
        free(text);
        xmlload_failf(ld, line, f->name, "%s; accepted: %s", e->msg, f->accepted);
}

static int xml_validate(struct xmlload_where *ld, xmlDocPtr doc)
{
        struct xmlload_error e;
        int v = xmlload_validate(ld, doc, "partner", &e);

        if (v < 0)
                return -1;
        if (v == 0) {
                xml_schema_fail(ld, &e);
                return -1;
        }
        return 0;
}

/* One <XmppAllowedPartner>, already valid against the schema. */
static int xml_partner(struct xmlload_where *ld, const xmlNode *n, struct partner *p)
{
        xmlChar *id = xmlGetNoNsProp(n, BAD_CAST "Identity");
        char *text = NULL;
        int rc = -1;

        if (id == NULL) {
                xmlload_failf(ld, xmlGetLineNo(n), "Identity",
                              "the attribute is missing; accepted: "
                              "Identity=\"DOMAIN\"");
                return -1;
        }
        if (set_primary(ld, p, (const char *)id, xmlGetLineNo(n), "Identity") < 0)
                goto done;
        for (const xmlNode *c = n->children; c != NULL; c = c->next) {
                long line;

                if (c->type != XML_ELEMENT_NODE)
                        continue;
                line = xmlGetLineNo(c);
                if (is_ours(c, "AdditionalDomains")) {
                        for (const xmlNode *d = c->children; d != NULL; d = d->next) {
                                if (!is_ours(d, "Domain"))
                                        continue;
                                text = xml_text(d, false);
                                if (text == NULL ||
                                    add_domain(ld, p, text, xmlGetLineNo(d), "Domain") < 0)
                                        goto done;
                                free(text);
                                text = NULL;
                        }
                        continue;
                }
                text = xml_text(c, is_ours(c, "Description"));
                if (text == NULL) {
                        xmlload_failf(ld, line, (const char *)c->name,
                                      "out of memory; accepted: -");
                        goto done;
                }
                if (is_ours(c, "Description")) {
                        if (set_description(ld, p, text, line) < 0)
                                goto done;
                } else if (is_ours(c, "PartnerType")) {
                        if (parse_type(ld, text, line, ACCEPT_TYPE_XML, &p->type) < 0)
                                goto done;
                } else if (is_ours(c, "TlsNegotiation")) {
                        if (parse_neg(ld, text, line, "TlsNegotiation", ACCEPT_NEG_XML,
                                      &p->neg.tls) < 0)
                                goto done;
                } else if (is_ours(c, "SaslNegotiation")) {
                        if (parse_neg(ld, text, line, "SaslNegotiation", ACCEPT_NEG_XML,
                                      &p->neg.sasl) < 0)
                                goto done;
                } else if (is_ours(c, "SupportDialbackNegotiation")) {
                        p->neg.dialback = strcmp(text, "true") == 0;
                }
                free(text);
                text = NULL;
        }
        rc = 0;
done:
        free(text);
        xmlFree(id);
        return rc;
}

static int xml_load(struct xmlload_where *ld, const char *data, size_t len, const char *identity,
                    struct partner *out, struct partner_list *all)
{
        xmlDocPtr doc;
        const xmlNode *root;
        struct record *r = NULL;
        size_t n = 0;
        int rc = -1;

        doc = xmlload_parse(ld, data, len);
        if (doc == NULL)
                return -1;
        root = xmlDocGetRootElement(doc);
        if (root == NULL ||
            !(is_ours(root, "XmppAllowedPartner") || is_ours(root, "XmppAllowedPartners"))) {
                xmlload_failf(
                    ld, root != NULL ? xmlGetLineNo(root) : 0, "XML",
                    "the root element <%s> (namespace \"%s\") is not a partner "
                    "configuration; accepted: <XmppAllowedPartner> or <XmppAllowedPartners> in "
                    "namespace " PARTNER_NS,
                    root != NULL ? (const char *)root->name : "",
                    root != NULL && root->ns != NULL ? (const char *)root->ns->href : "none");
                goto done;
        }
        if (xml_validate(ld, doc) < 0)
                goto done;
        if (is_ours(root, "XmppAllowedPartner")) {
                struct partner *p = records_add(ld, &r, &n, xmlGetLineNo(root));

                if (p == NULL || xml_partner(ld, root, p) < 0)
                        goto done;
        } else {
                for (const xmlNode *c = root->children; c != NULL; c = c->next) {
                        struct partner *p;

                        if (!is_ours(c, "XmppAllowedPartner"))
                                continue;
                        p = records_add(ld, &r, &n, xmlGetLineNo(c));
                        if (p == NULL || xml_partner(ld, c, p) < 0)
                                goto done;
                }
        }
        rc = records_pick(ld, r, n, identity, out, all);
        r = NULL;
        n = 0;
done:
        records_free(r, n);
        xmlFreeDoc(doc);
        return rc;
}

/* ---- entry point ------------------------------------------------------------- */

static int load(const char *path, const char *identity, struct partner *out,
                struct partner_list *all, char *err, size_t errlen)
{
        struct xmlload_where ld = {path != NULL ? path : "(null)", err, errlen};
        struct xmlload_quiet quiet;
        char *data = NULL;
        size_t len = 0, skip = 0;
        enum partner_format format;
        int rc = -1;

        if (err != NULL && errlen > 0)
                err[0] = '\0';
        memset(out, 0, sizeof(*out));
        if (path == NULL) {
                xmlload_failf(&ld, 0, "file", "no file name; accepted: a path");
                return -1;
        }
        if (read_file(&ld, &data, &len) < 0)
                return -1;
        /* Windows PowerShell's ">" writes UTF-16; say so rather than "not a Name : Value line". */
        if (len >= 2 && (((unsigned char)data[0] == 0xff && (unsigned char)data[1] == 0xfe) ||
                         ((unsigned char)data[0] == 0xfe && (unsigned char)data[1] == 0xff))) {
                xmlload_failf(
                    &ld, 1, "file",
                    "the file is UTF-16; accepted: UTF-8 or ASCII (Out-File -Encoding utf8, or "
                    "iconv -f UTF-16 -t UTF-8)");
                goto done;
        }
        if (memchr(data, '\0', len) != NULL) {
                xmlload_failf(&ld, 0, "file",
                              "the file contains NUL bytes; accepted: UTF-8 or ASCII text");
                goto done;
        }
        if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
                skip = 3;
        {
                size_t i = skip;

                while (i < len &&
                       (data[i] == ' ' || data[i] == '\t' || data[i] == '\r' || data[i] == '\n'))
                        i++;
                format =
                    (i < len && data[i] == '<') ? PARTNER_FORMAT_XML : PARTNER_FORMAT_CMDLET_TEXT;
        }
        xmlload_quiet(&quiet);
        if (format == PARTNER_FORMAT_XML)
                rc = xml_load(&ld, data, len, identity, out, all);
        else
                rc = text_load(&ld, data + skip, len - skip, identity, out, all);
        xmlload_unquiet(&quiet);
        if (rc < 0)
                goto done;
        for (size_t i = 0; i < (all != NULL ? all->n : 1); i++) {
                struct partner *p = all != NULL ? &all->p[i] : out;

                p->format = format;
                p->source = strdup(path);
                if (p->source == NULL) {
                        xmlload_failf(&ld, 0, "file", "out of memory; accepted: -");
                        rc = -1;
                        break;
                }
        }
        if (rc < 0) {
                if (all != NULL)
                        partner_list_cleanup(all);
                else
                        partner_cleanup(out);
        }
done:
        free(data);
        if (rc < 0)
                memset(out, 0, sizeof(*out));
        return rc;
}

int partner_load(const char *path, const char *identity, struct partner *out, char *err,
                 size_t errlen)
{
        return load(path, identity, out, NULL, err, errlen);
}

int partner_load_all(const char *path, struct partner_list *out, char *err, size_t errlen)
{
        struct partner unused;

        memset(out, 0, sizeof(*out));
        return load(path, NULL, &unused, out, err, errlen);
}

void partner_list_cleanup(struct partner_list *l)
{
        for (size_t i = 0; l->p != NULL && i < l->n; i++)
                partner_cleanup(&l->p[i]);
        free(l->p);
        memset(l, 0, sizeof(*l));
}
