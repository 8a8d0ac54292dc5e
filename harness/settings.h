/*
 * Negotiation settings: the TLS / SASL / dialback triple that both a Lync partner
 * configuration and a harness-side setting are made of (reference §1.2, §1.5).
 *
 * The 18 combinations are numbered as the rows of Microsoft's complete matrix
 * (reference §1.5 table B): M1..M18 for a partner, H1..H18 for the harness side,
 * same numbering.
 */
#ifndef S2S_SETTINGS_H
#define S2S_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

/* TlsNegotiation / SaslNegotiation values, in the cmdlets' order. */
enum neg {
        NEG_REQUIRED = 0,
        NEG_OPTIONAL = 1,
        NEG_NOTSUPPORTED = 2,
};

struct neg_settings {
        enum neg tls;
        enum neg sasl;
        bool dialback; /* SupportDialbackNegotiation */
};

#define SETTINGS_ROWS 18

/* The cmdlet spelling: "Required", "Optional", "NotSupported". */
const char *neg_name(enum neg v);

/* Short spelling used in tables: "Req", "Opt", "NS". */
const char *neg_short(enum neg v);

/*
 * Parses a TLS/SASL value as the cmdlets or the Control Panel print it:
 * case-insensitive, inner spaces ignored ("Not Supported" == "NotSupported").
 * Returns 0 and sets *out, or -1 when the text is none of the three values.
 */
int neg_parse(const char *text, enum neg *out);

/* Row number 1..18 of a combination in the complete matrix (reference §1.5). */
int settings_row(const struct neg_settings *s);

/* The combination of row 1..18. Returns -1 for a row out of range. */
int settings_from_row(int row, struct neg_settings *out);

/* "Req/Opt/T" style summary into buf (at least 16 bytes). Returns buf. */
const char *settings_summary(const struct neg_settings *s, char *buf, size_t len);

#endif
