#include "certid.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>

/* A JID domainpart is at most 1023 bytes (RFC 7622 §3.2); nothing longer is a domain. */
#define CERTID_NAME_MAX 1023
/* A hostile certificate cannot make us read (or allocate for) more entries than this. */
#define CERTID_MAX_ENTRIES 1024

#define OID_SRV "1.3.6.1.5.5.7.8.7"
#define OID_XMPP "1.3.6.1.5.5.7.8.5"
#define SRV_SERVICE "_xmpp-server"

void certid_init(struct cert_ids *ids)
{
        memset(ids, 0, sizeof(*ids));
}

static void free_list(char **list, size_t n)
{
        for (size_t i = 0; i < n; i++)
                free(list[i]);
        free(list);
}

void certid_cleanup(struct cert_ids *ids)
{
        if (ids == NULL)
                return;
        free_list(ids->dns, ids->n_dns);
        free_list(ids->srv, ids->n_srv);
        free_list(ids->xmpp, ids->n_xmpp);
        free_list(ids->cn, ids->n_cn);
        certid_init(ids);
}

/* Appends a copy of the len bytes at s (which hold no NUL) to *list. */
static int list_add(char ***list, size_t *n, const char *s, size_t len)
{
        char **grown;
        char *copy;

        copy = malloc(len + 1);
        if (copy == NULL)
                return -1;
        memcpy(copy, s, len);
        copy[len] = '\0';
        grown = realloc(*list, (*n + 1) * sizeof(**list));
        if (grown == NULL) {
                free(copy);
                return -1;
        }
        grown[*n] = copy;
        *list = grown;
        (*n)++;
        return 0;
}

static bool has_nul(const char *s, size_t len)
{
        return memchr(s, '\0', len) != NULL;
}

static bool is_printable_ascii(const char *s, size_t len)
{
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)s[i] >= 0x80 || (unsigned char)s[i] < 0x20)
                        return false;
        return true;
}

/* Decodes a DER string of the given universal tag in short or long definite form, as
 * GnuTLS hands back an otherName value it did not turn into a virtual SAN type. */
static int der_string(const unsigned char *der, size_t len, unsigned char tag, const char **s,
                      size_t *slen)
{
        size_t hdr = 2, n;

        if (len < 2 || der[0] != tag)
                return -1;
        n = der[1];
        if (n & 0x80) {
                size_t k = n & 0x7f;
                if (k == 0 || k > 2 || len < 2 + k)
                        return -1;
                n = 0;
                for (size_t i = 0; i < k; i++)
                        n = (n << 8) | der[2 + i];
                hdr += k;
        }
        if (n != len - hdr)
                return -1;
        *s = (const char *)der + hdr;
        *slen = n;
        return 0;
}

/* Stores one SAN entry. Returns 0, or -1 on allocation failure; malformed entries are
 * counted in n_bad and skipped (they never match, but they are presented identifiers). */
static int add_san(gnutls_x509_crt_t crt, unsigned seq, unsigned type, const char *data, size_t len,
                   struct cert_ids *out)
{
        switch (type) {
        case GNUTLS_SAN_DNSNAME:
                /* dNSName is an IA5String (RFC 5280 §4.2.1.6): IDNs appear as A-labels. */
                if (len == 0 || has_nul(data, len) || !is_printable_ascii(data, len)) {
                        out->n_bad++;
                        return 0;
                }
                return list_add(&out->dns, &out->n_dns, data, len);
        case GNUTLS_SAN_OTHERNAME_SRV:
                if (len == 0 || has_nul(data, len) || !is_printable_ascii(data, len)) {
                        out->n_bad++;
                        return 0;
                }
                return list_add(&out->srv, &out->n_srv, data, len);
        case GNUTLS_SAN_OTHERNAME_XMPP:
                if (len == 0 || has_nul(data, len)) {
                        out->n_bad++;
                        return 0;
                }
                return list_add(&out->xmpp, &out->n_xmpp, data, len);
        case GNUTLS_SAN_URI:
                out->n_uri++;
                return 0;
        case GNUTLS_SAN_OTHERNAME: {
                /* An otherName GnuTLS did not decode: SRVName (RFC 4985) and xmppAddr
                 * (RFC 6120 §13.7.1.4) by OID, anything else is not an XMPP identifier. */
                char oid[128];
                size_t oidlen = sizeof(oid);
                const char *s;
                size_t slen;

                if (gnutls_x509_crt_get_subject_alt_othername_oid(crt, seq, oid, &oidlen) < 0)
                        return 0;
                if (strcmp(oid, OID_SRV) == 0) {
                        if (der_string((const unsigned char *)data, len, 0x16, &s, &slen) != 0)
                                out->n_bad++;
                        else
                                return add_san(crt, seq, GNUTLS_SAN_OTHERNAME_SRV, s, slen, out);
                } else if (strcmp(oid, OID_XMPP) == 0) {
                        if (der_string((const unsigned char *)data, len, 0x0c, &s, &slen) != 0)
                                out->n_bad++;
                        else
                                return add_san(crt, seq, GNUTLS_SAN_OTHERNAME_XMPP, s, slen, out);
                }
                return 0;
        }
        default:
                return 0; /* e-mail, IP address, DN, registeredID: not XMPP identifiers */
        }
}

/* Calls get(crt, seq, buf, &size, ...) growing buf as GnuTLS asks. The result is
 * in *buf (owned by the caller), *size bytes. */
static int read_san(gnutls_x509_crt_t crt, unsigned seq, char **buf, size_t *cap, size_t *size,
                    unsigned *type)
{
        for (int tries = 0; tries < 2; tries++) {
                int rc;

                *size = *cap;
                rc = gnutls_x509_crt_get_subject_alt_name2(crt, seq, *buf, size, type, NULL);
                if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER)
                        return rc;
                char *grown = realloc(*buf, *size + 1);
                if (grown == NULL)
                        return GNUTLS_E_MEMORY_ERROR;
                *buf = grown;
                *cap = *size + 1;
        }
        return GNUTLS_E_SHORT_MEMORY_BUFFER;
}

static int read_cn(gnutls_x509_crt_t crt, unsigned idx, char **buf, size_t *cap, size_t *size)
{
        for (int tries = 0; tries < 2; tries++) {
                int rc;

                *size = *cap;
                rc = gnutls_x509_crt_get_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, idx, 0, *buf,
                                                   size);
                if (rc != GNUTLS_E_SHORT_MEMORY_BUFFER)
                        return rc;
                char *grown = realloc(*buf, *size + 1);
                if (grown == NULL)
                        return GNUTLS_E_MEMORY_ERROR;
                *buf = grown;
                *cap = *size + 1;
        }
        return GNUTLS_E_SHORT_MEMORY_BUFFER;
}

int certid_from_x509(gnutls_x509_crt_t crt, struct cert_ids *out)
{
        size_t cap = 256, size;
        char *buf;
        unsigned type;
        int rc;

        certid_init(out);
        buf = malloc(cap);
        if (buf == NULL)
                return -1;
        for (unsigned seq = 0;; seq++) {
                if (seq >= CERTID_MAX_ENTRIES) {
                        out->n_bad++; /* more names than any real certificate has */
                        break;
                }
                rc = read_san(crt, seq, &buf, &cap, &size, &type);
                if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                        break;
                if (rc == GNUTLS_E_MEMORY_ERROR)
                        goto fail;
                if (rc < 0) {
                        /* An unparseable SAN: the rest cannot be trusted either, but what
                         * was presented still rules out the CN fallback. */
                        out->n_bad++;
                        break;
                }
                if (add_san(crt, seq, type, buf, size, out) != 0)
                        goto fail;
        }
        for (unsigned idx = 0;; idx++) {
                if (idx >= CERTID_MAX_ENTRIES)
                        break;
                rc = read_cn(crt, idx, &buf, &cap, &size);
                if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                        break;
                if (rc == GNUTLS_E_MEMORY_ERROR)
                        goto fail;
                if (rc < 0)
                        break; /* an undecodable CN string is no CN-ID */
                /* get_dn_by_oid returns the text NUL-terminated, size excluding the NUL. */
                if (size == 0 || has_nul(buf, size))
                        continue;
                if (list_add(&out->cn, &out->n_cn, buf, size) != 0)
                        goto fail;
        }
        free(buf);
        return 0;
fail:
        free(buf);
        certid_cleanup(out);
        return -1;
}

/* ---- matching ---- */

static int ascii_lower(int c)
{
        return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* Case-insensitive ASCII comparison of two counted strings (RFC 6125 §6.4.1); never the
 * locale's idea of case. */
static bool ascii_eq(const char *a, size_t alen, const char *b, size_t blen)
{
        if (alen != blen)
                return false;
        for (size_t i = 0; i < alen; i++)
                if (ascii_lower((unsigned char)a[i]) != ascii_lower((unsigned char)b[i]))
                        return false;
        return true;
}

/* Length without one trailing dot: "example.net." names the same domain. */
static size_t strip_dot(const char *s, size_t len)
{
        return len > 0 && s[len - 1] == '.' ? len - 1 : len;
}

/* A usable DNS name in A-label form: printable ASCII, no empty label, no '*'. */
static bool valid_name(const char *s, size_t len)
{
        if (len == 0 || len > CERTID_NAME_MAX || !is_printable_ascii(s, len))
                return false;
        if (s[0] == '.' || s[len - 1] == '.')
                return false;
        for (size_t i = 0; i < len; i++) {
                if (s[i] == '*' || s[i] == ' ')
                        return false;
                if (s[i] == '.' && s[i + 1] == '.')
                        return false;
        }
        return true;
}

/* Exact DNS-ID comparison of a presented name against the normalised reference. */
static bool dns_exact(const char *presented, const char *ref, size_t reflen)
{
        size_t plen = strip_dot(presented, strlen(presented));

        if (!valid_name(presented, plen))
                return false;
        return ascii_eq(presented, plen, ref, reflen);
}

/* RFC 6125 §6.4.3: "*" only as the complete left-most label, matching exactly one label.
 * Partial-label wildcards ("f*.example.net", "xn--*"), wildcards in other labels and more
 * than one wildcard are refused. So is a wildcard over a single label ("*.net", "*.test"):
 * §7.2 says clients SHOULD NOT match it, and without a public-suffix list a single label
 * is the only suffix we can recognise. */
static bool dns_wildcard(const char *presented, const char *ref, size_t reflen)
{
        size_t plen = strip_dot(presented, strlen(presented));
        const char *suffix, *dot;
        size_t slen;

        if (plen < 2 || presented[0] != '*' || presented[1] != '.')
                return false;
        suffix = presented + 2;
        slen = plen - 2;
        if (!valid_name(suffix, slen) || memchr(suffix, '.', slen) == NULL)
                return false;
        dot = memchr(ref, '.', reflen);
        if (dot == NULL || dot == ref)
                return false;
        return ascii_eq(dot + 1, reflen - (size_t)(dot + 1 - ref), suffix, slen);
}

/* RFC 6125 §6.5.1: the service label must be "_xmpp-server" (RFC 6120 §13.7.1.2: S2S), the
 * domain part is compared as a DNS-ID; an SRV-ID carries no wildcard. */
static bool srv_match(const char *presented, const char *ref, size_t reflen)
{
        size_t plen = strip_dot(presented, strlen(presented));
        size_t svc = strlen(SRV_SERVICE);

        if (plen <= svc + 1 || presented[svc] != '.')
                return false;
        if (!ascii_eq(presented, svc, SRV_SERVICE, svc))
                return false;
        if (!valid_name(presented + svc + 1, plen - svc - 1))
                return false;
        return ascii_eq(presented + svc + 1, plen - svc - 1, ref, reflen);
}

/* Writes the A-label form of name (ASCII is taken as is) into out. Returns 0, or -1 when
 * the name cannot be converted or is not a valid domain name. */
static int to_alabel(const char *name, char *out, size_t outlen)
{
        size_t len = strlen(name);
        gnutls_datum_t mapped = {NULL, 0};

        if (len == 0 || len > CERTID_NAME_MAX || has_nul(name, len))
                return -1;
        if (!is_printable_ascii(name, len)) {
                /* RFC 6125 §6.4.2: IDNs are compared as A-labels. */
                if (gnutls_idna_map(name, (unsigned)len, &mapped, 0) < 0)
                        return -1;
                if (mapped.size == 0 || mapped.size >= outlen) {
                        gnutls_free(mapped.data);
                        return -1;
                }
                memcpy(out, mapped.data, mapped.size);
                out[mapped.size] = '\0';
                gnutls_free(mapped.data);
        } else {
                if (len >= outlen)
                        return -1;
                memcpy(out, name, len + 1);
        }
        len = strip_dot(out, strlen(out));
        out[len] = '\0';
        return valid_name(out, len) ? 0 : -1;
}

/* RFC 6120 §13.7.1.4: the xmppAddr is a JID; for a server it is the bare domain. */
static bool xmpp_match(const char *presented, const char *ref, size_t reflen)
{
        char a[CERTID_NAME_MAX + 2];

        if (strchr(presented, '@') != NULL || strchr(presented, '/') != NULL)
                return false;
        if (to_alabel(presented, a, sizeof(a)) != 0)
                return false;
        return ascii_eq(a, strlen(a), ref, reflen);
}

enum certid_match certid_match(const struct cert_ids *ids, const char *domain)
{
        char ref[CERTID_NAME_MAX + 2];
        size_t reflen;

        if (ids == NULL || domain == NULL || to_alabel(domain, ref, sizeof(ref)) != 0)
                return CERTID_NONE;
        reflen = strlen(ref);

        for (size_t i = 0; i < ids->n_dns; i++)
                if (dns_exact(ids->dns[i], ref, reflen))
                        return CERTID_DNS;
        for (size_t i = 0; i < ids->n_srv; i++)
                if (srv_match(ids->srv[i], ref, reflen))
                        return CERTID_SRV;
        for (size_t i = 0; i < ids->n_xmpp; i++)
                if (xmpp_match(ids->xmpp[i], ref, reflen))
                        return CERTID_XMPP;
        for (size_t i = 0; i < ids->n_dns; i++)
                if (dns_wildcard(ids->dns[i], ref, reflen))
                        return CERTID_DNS_WILDCARD;

        /* RFC 6125 §6.4.4: the CN-ID only when no other identifier type is presented. */
        if (ids->n_dns == 0 && ids->n_srv == 0 && ids->n_xmpp == 0 && ids->n_uri == 0 &&
            ids->n_bad == 0) {
                for (size_t i = 0; i < ids->n_cn; i++)
                        if (dns_exact(ids->cn[i], ref, reflen))
                                return CERTID_CN;
        }
        return CERTID_NONE;
}

const char *certid_match_name(enum certid_match m)
{
        switch (m) {
        case CERTID_NONE:
                return "none";
        case CERTID_DNS:
                return "DNS-ID";
        case CERTID_DNS_WILDCARD:
                return "DNS-ID (wildcard)";
        case CERTID_SRV:
                return "SRV-ID";
        case CERTID_XMPP:
                return "XmppAddr";
        case CERTID_CN:
                return "CN-ID";
        }
        return "unknown";
}

static int describe_list(struct buf *out, bool *first, const char *label, char **list, size_t n)
{
        for (size_t i = 0; i < n; i++) {
                if (buf_printf(out, "%s%s %s", *first ? "" : ", ", label, list[i]) != 0)
                        return -1;
                *first = false;
        }
        return 0;
}

int certid_describe(const struct cert_ids *ids, struct buf *out)
{
        bool first = true;

        if (describe_list(out, &first, "DNS-ID", ids->dns, ids->n_dns) != 0 ||
            describe_list(out, &first, "SRV-ID", ids->srv, ids->n_srv) != 0 ||
            describe_list(out, &first, "XmppAddr", ids->xmpp, ids->n_xmpp) != 0 ||
            describe_list(out, &first, "CN", ids->cn, ids->n_cn) != 0)
                return -1;
        if (ids->n_uri > 0) {
                if (buf_printf(out, "%s%zu URI-ID(s)", first ? "" : ", ", ids->n_uri) != 0)
                        return -1;
                first = false;
        }
        if (ids->n_bad > 0) {
                if (buf_printf(out, "%s%zu malformed SAN(s)", first ? "" : ", ", ids->n_bad) != 0)
                        return -1;
                first = false;
        }
        if (first)
                return buf_puts(out, "no identifiers");
        return 0;
}
