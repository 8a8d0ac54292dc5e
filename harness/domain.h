/*
 * DNS names as partner domains: the domainpart of a server JID (RFC 7622 §3.2)
 * that a gateway looks up with SRV (RFC 6120 §3.2) and matches against the peer
 * certificate (RFC 6125 §6.4). Only the A-label (ASCII) form is accepted, so that
 * what the administrator typed is byte for byte what goes on the wire and into
 * certificate comparison.
 */
#ifndef S2S_DOMAIN_H
#define S2S_DOMAIN_H

#include <stddef.h>

/* RFC 1035 §2.3.4 / RFC 1123 §2.1 limits, as text without the root dot. */
#define DOMAIN_MAX_LEN 253
#define DOMAIN_MAX_LABEL 63

/*
 * Checks in (NUL-terminated) as a partner domain:
 *  - LDH labels (letters, digits, hyphen; RFC 1123 §2.1) of 1..63 octets, no
 *    leading or trailing hyphen, no empty label, at most 253 octets in all;
 *  - one trailing dot (the DNS root) is allowed and dropped;
 *  - a label with hyphens in positions 3-4 must be an "xn--" A-label that GnuTLS
 *    decodes and re-encodes to the same label (RFC 5890 §2.3.1, RFC 5891 §5.4);
 *  - non-ASCII input (a U-label name) is refused; why then gives its A-label form;
 *  - an all-numeric last label (an IPv4 address) is refused (RFC 3696 §2).
 * On success writes the lower-cased name to norm (normlen >= DOMAIN_MAX_LEN + 1 is
 * always enough) and returns 0. On failure returns -1 and writes one sentence to
 * why: what is wrong and what would be accepted. norm and why may be NULL when the
 * caller does not need them.
 */
int domain_check(const char *in, char *norm, size_t normlen, char *why, size_t whylen);

#endif
