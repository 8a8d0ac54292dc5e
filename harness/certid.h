/*
 * Certificate identities (RFC 6120 §13.7.1-2, RFC 6125, RFC 4985): which XMPP
 * domain names a certificate presents, and whether one of them matches a
 * reference identity. Matching is pure: no I/O, no clock, no trust decisions
 * (chain validation is the tls module's job, the verdict the caller's).
 *
 * Name forms (docs/certificates.md has the full rules):
 * - DNS-IDs, SRV-IDs and the reference identity are compared in A-label form,
 *   ASCII case-insensitively, ignoring one trailing dot (RFC 6125 §6.4.1-2).
 *   A reference in U-labels is converted with gnutls_idna_map (IDNA2008);
 *   presented DNS-IDs and SRV-IDs must already be A-labels (they are IA5Strings).
 * - A wildcard is accepted only as the whole left-most label of a DNS-ID, over
 *   at least two further labels, and matches exactly one label (RFC 6125 §6.4.3,
 *   §7.2: no "*.tld"; no public-suffix list is consulted).
 * - SRV-IDs must name the service "_xmpp-server"; their domain is compared as a
 *   DNS-ID without wildcards (RFC 6125 §6.5.1, RFC 6120 §13.7.1.2).
 * - An xmppAddr matches only when it is exactly the bare domain
 *   (RFC 6120 §13.7.1.4); a U-label xmppAddr is converted to A-labels first.
 * - The CN-ID is a separate result, CERTID_CN, returned only when the
 *   certificate presents no DNS-ID, SRV-ID, URI-ID or xmppAddr at all
 *   (RFC 6125 §6.4.4). RFC 9525 §6 drops the CN fallback; a caller following
 *   RFC 9525 treats CERTID_CN as no match.
 */
#ifndef S2S_CERTID_H
#define S2S_CERTID_H

#include <stddef.h>

#include <gnutls/x509.h>

#include "buf.h"

/* The identifiers a certificate presents, in certificate order. All strings are owned
 * by the struct and NUL-terminated; certid_cleanup frees them. */
struct cert_ids {
        char **dns; /* DNS-IDs (dNSName), as presented, e.g. "*.example.net" */
        size_t n_dns;
        char **srv; /* SRV-IDs as "_xmpp-server.example.net" (any service is kept) */
        size_t n_srv;
        char **xmpp; /* id-on-xmppAddr values (UTF-8) */
        size_t n_xmpp;
        char **cn; /* subject commonName values */
        size_t n_cn;
        size_t n_uri; /* URI-IDs seen: not matched for XMPP, but they rule out the CN fallback */
        size_t n_bad; /* SAN entries skipped as malformed (embedded NUL, non-ASCII DNS-ID,
                         undecodable SRV-ID); they too rule out the CN fallback */
};

/* Which presented identifier matched. */
enum certid_match {
        CERTID_NONE = 0,
        CERTID_DNS,          /* a DNS-ID equal to the reference */
        CERTID_DNS_WILDCARD, /* a "*.domain" DNS-ID covering the reference */
        CERTID_SRV,          /* an SRV-ID "_xmpp-server.<reference>" */
        CERTID_XMPP,         /* an xmppAddr equal to the reference */
        CERTID_CN,           /* the CN fallback (no SAN identifiers at all); policy decides */
};

/* Empty set of identifiers (no allocation). */
void certid_init(struct cert_ids *ids);

/* Reads the SAN (DNS-ID, SRV-ID, xmppAddr, URI-ID count) and subject CN values of crt into
 * *out, which it initialises first. The certificate is borrowed. A SAN entry or extension
 * that cannot be parsed ends the SAN list and is counted in n_bad (a hostile certificate
 * still yields what it presented before). Returns 0, or -1 on allocation failure (out is
 * then empty). */
int certid_from_x509(gnutls_x509_crt_t crt, struct cert_ids *out);

/* Frees every string; ids is empty afterwards. NULL-safe. */
void certid_cleanup(struct cert_ids *ids);

/* Matches the reference identity `domain` (the stream's domain as configured or as sent
 * in to/from: never a name learnt from DNS such as an SRV target, RFC 6125 §6.2.1) against
 * ids. When several identifiers match, the result is the first of DNS-ID, SRV-ID,
 * xmppAddr, wildcard DNS-ID; CERTID_CN only as described above. An invalid reference
 * (empty, empty label, not convertible to A-labels, longer than 1023 bytes) matches
 * nothing. */
enum certid_match certid_match(const struct cert_ids *ids, const char *domain);

/* Short name of a match kind, e.g. "DNS-ID" ("none" for CERTID_NONE). Static storage. */
const char *certid_match_name(enum certid_match m);

/* Appends a one-line description of ids to out, e.g.
 * "DNS-ID partner.test, SRV-ID _xmpp-server.partner.test, CN partner.test"
 * ("no identifiers" when empty). Returns 0 or -1 as buf_append. */
int certid_describe(const struct cert_ids *ids, struct buf *out);

#endif
