#include "domain.h"
#include "util.h"

#include <gnutls/gnutls.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

/* Input longer than this is refused before any work: no name is close to it. */
#define DOMAIN_SCAN_MAX 1024

static bool is_ldh(unsigned char c)
{
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

/*
 * An "xn--" label is an A-label only if it decodes to a non-ASCII U-label that
 * encodes back to the same label (RFC 5891 §5.4: the conversion must round-trip).
 * GnuTLS's decoder alone is lax ("xn--abc" decodes to ""), hence the round trip.
 */
static bool alabel_valid(const char *label, size_t len)
{
        gnutls_datum_t u = {NULL, 0}, a = {NULL, 0};
        bool ok = false, non_ascii = false;

        if (gnutls_idna_reverse_map(label, (unsigned)len, &u, 0) < 0)
                goto done;
        for (unsigned i = 0; i < u.size; i++)
                if (u.data[i] >= 0x80)
                        non_ascii = true;
        if (!non_ascii)
                goto done;
        if (gnutls_idna_map((const char *)u.data, u.size, &a, 0) < 0)
                goto done;
        ok = a.size == len && strncasecmp((const char *)a.data, label, len) == 0;
done:
        gnutls_free(u.data);
        gnutls_free(a.data);
        return ok;
}

/* A U-label name: refused, but the message gives the A-label form to use instead. */
static int refuse_ulabel(const char *in, size_t len, char *why, size_t whylen)
{
        gnutls_datum_t a = {NULL, 0};
        char norm[DOMAIN_MAX_LEN + 1];

        if (gnutls_idna_map(in, (unsigned)len, &a, 0) == 0 &&
            domain_check((const char *)a.data, norm, sizeof(norm), NULL, 0) == 0) {
                util_format(why, whylen,
                            "\"%s\" contains non-ASCII characters; accepted: ASCII names only, so "
                            "use the A-label form %s",
                            in, norm);
        } else {
                util_format(
                    why, whylen,
                    "\"%s\" contains non-ASCII characters and is not a valid internationalised "
                    "name; accepted: letters, digits, hyphens and xn-- A-labels",
                    in);
        }
        gnutls_free(a.data);
        return -1;
}

static int check_label(const char *label, size_t len, char *why, size_t whylen)
{
        int n = len > 40 ? 40 : (int)len;
        const char *more = len > 40 ? "..." : "";

        if (len == 0) {
                util_format(why, whylen,
                            "the name has an empty label (a leading dot or two dots in a row); "
                            "accepted: non-empty labels separated by single dots");
                return -1;
        }
        if (len > DOMAIN_MAX_LABEL) {
                util_format(
                    why, whylen,
                    "label \"%.*s%s\" is %zu octets long; accepted: 1 to 63 octets per label "
                    "(RFC 1035 §2.3.4)",
                    n, label, more, len);
                return -1;
        }
        for (size_t i = 0; i < len; i++) {
                unsigned char c = (unsigned char)label[i];

                if (!is_ldh(c)) {
                        if (c > 0x20 && c < 0x7f)
                                util_format(why, whylen,
                                            "character '%c' in label \"%.*s%s\" is not allowed; "
                                            "accepted: letters, digits and hyphens (RFC 1123 §2.1)",
                                            c, n, label, more);
                        else
                                util_format(
                                    why, whylen,
                                    "control or space character 0x%02x in label \"%.*s%s\" is "
                                    "not allowed; accepted: letters, digits and hyphens "
                                    "(RFC 1123 §2.1)",
                                    c, n, label, more);
                        return -1;
                }
        }
        if (label[0] == '-' || label[len - 1] == '-') {
                util_format(
                    why, whylen,
                    "label \"%.*s%s\" %s with a hyphen; accepted: hyphens only inside a label "
                    "(RFC 1123 §2.1)",
                    n, label, more, label[0] == '-' ? "starts" : "ends");
                return -1;
        }
        /* RFC 5890 §2.3.1: "??--" labels are reserved; only "xn--" ones (A-labels) exist. */
        if (len >= 4 && label[2] == '-' && label[3] == '-') {
                if (strncmp(label, "xn--", 4) != 0) {
                        util_format(
                            why, whylen,
                            "label \"%.*s%s\" has hyphens in positions 3 and 4 but is not an "
                            "xn-- A-label; accepted: such labels only as A-labels "
                            "(RFC 5890 §2.3.1)",
                            n, label, more);
                        return -1;
                }
                if (!alabel_valid(label, len)) {
                        util_format(
                            why, whylen,
                            "label \"%.*s%s\" is not a valid A-label; accepted: an xn-- label "
                            "that decodes to a valid U-label and back (RFC 5891 §5.4)",
                            n, label, more);
                        return -1;
                }
        }
        return 0;
}

int domain_check(const char *in, char *norm, size_t normlen, char *why, size_t whylen)
{
        char buf[DOMAIN_MAX_LEN + 2];
        size_t len, start;

        if (in == NULL || in[0] == '\0') {
                util_format(why, whylen,
                            "the name is empty; accepted: a DNS name such as partner.example");
                return -1;
        }
        len = strnlen(in, DOMAIN_SCAN_MAX);
        for (size_t i = 0; i < len; i++)
                if ((unsigned char)in[i] >= 0x80) {
                        if (len >= DOMAIN_SCAN_MAX)
                                break;
                        return refuse_ulabel(in, len, why, whylen);
                }
        /* RFC 1035 §2.3.4: 255 octets on the wire = 253 as text, plus the root dot. */
        if (len > DOMAIN_MAX_LEN + 1 || (len == DOMAIN_MAX_LEN + 1 && in[len - 1] != '.')) {
                util_format(
                    why, whylen,
                    "the name is %s%zu octets long; accepted: at most %d octets (RFC 1035 §2.3.4)",
                    len >= DOMAIN_SCAN_MAX ? "over " : "", len, DOMAIN_MAX_LEN);
                return -1;
        }
        for (size_t i = 0; i < len; i++) {
                char c = in[i];

                buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
        }
        if (len > 0 && buf[len - 1] == '.')
                len--;
        buf[len] = '\0';
        if (len == 0) {
                util_format(why, whylen,
                            "the name is only the root \".\"; accepted: a DNS name such as "
                            "partner.example");
                return -1;
        }
        start = 0;
        for (size_t i = 0; i <= len; i++) {
                if (i < len && buf[i] != '.')
                        continue;
                if (check_label(buf + start, i - start, why, whylen) < 0)
                        return -1;
                if (i == len) {
                        /* RFC 3696 §2: a top-level label is never all-numeric. */
                        bool digits = true;

                        for (size_t k = start; k < len; k++)
                                if (buf[k] < '0' || buf[k] > '9')
                                        digits = false;
                        if (digits) {
                                util_format(
                                    why, whylen,
                                    "the last label \"%s\" is all digits (an IP address is not "
                                    "a domain); accepted: a DNS name whose last label has a "
                                    "letter (RFC 3696 §2)",
                                    buf + start);
                                return -1;
                        }
                }
                start = i + 1;
        }
        if (norm != NULL) {
                if (normlen <= len) {
                        util_format(why, whylen, "internal: output buffer too small");
                        return -1;
                }
                memcpy(norm, buf, len + 1);
        }
        return 0;
}
