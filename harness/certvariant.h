/*
 * The certificate variants a scenario can present (<certificate variant=NAME/>),
 * one row each (design.md §7, issue 11 item 3): the name, what the harness
 * presents, and the leaf the run-time PKI issues for it. The loader
 * (scenario.c), the PKI (runner.c via cert_variant_spec), `list` and the reports
 * read the rows; tests/test_certvariant.c checks that the schema
 * (harness/schema/scenario.rng), the loader's error text, the static test PKI
 * (certs/leaf/NAME.tmpl) and the docs (docs/scenarios.md, docs/certificates.md)
 * list exactly these names.
 */
#ifndef S2S_CERTVARIANT_H
#define S2S_CERTVARIANT_H

#include <stdbool.h>
#include <stddef.h>

#include "pki.h"

/* The certificate the harness presents (certs/leaf/<name>.tmpl; none = no certificate). */
enum cert_variant {
        CERT_DEFAULT = 0,
        CERT_ALL,
        CERT_DNS,
        CERT_SRV,
        CERT_SRVCLIENT,
        CERT_XMPP,
        CERT_WILDCARD,
        CERT_CN,
        CERT_EXPIRED,
        CERT_NOTYET,
        CERT_WRONGNAME,
        CERT_SELFSIGNED,
        CERT_CA2,
        CERT_SERVERAUTH,
        CERT_CLIENTAUTH,
        CERT_CHAIN,
        CERT_NOINTERMEDIATE,
        CERT_NONE,
        CERT_COUNT,
};

struct cert_variant_row {
        const char *name; /* "wildcard": the scenario's value, certs/leaf/<name>.tmpl */
        const char *what; /* what the harness presents (docs/scenarios.md) */
        bool issued;      /* false: no certificate at all (none) */
        /* The leaf (struct pki_leaf_spec): identities, EKUs, validity offsets. */
        unsigned ids;
        unsigned eku;
        long not_before_s, not_after_s;
        bool self_signed;
        bool other_ca;     /* issued by a second CA the partner does not trust */
        bool wrong_name;   /* issued for the wrong domain instead of the scenario's */
        bool names_domain; /* the leaf proves the scenario's own domain (RFC 6125) */
        /* Issued by an intermediate CA, sent with it or without it (pki.h). */
        enum pki_chain chain;
};

/* The row of v, or NULL when v is not a variant. */
const struct cert_variant_row *cert_variant(enum cert_variant v);

/* The name of v; "?" when v is not a variant. */
const char *cert_variant_name(enum cert_variant v);

/* The variant called name, or -1. */
int cert_variant_lookup(const char *name);

/*
 * The leaf spec of v for domains (n of them, borrowed) and wrong (the domain a
 * wrong_name variant names instead), into *spec. *other_ca says whether a second
 * CA must sign it. Returns 0, or -1 when v issues no certificate.
 */
int cert_variant_spec(enum cert_variant v, const char *const *domains, size_t n,
                      const char *const *wrong, struct pki_leaf_spec *spec, bool *other_ca);

#endif
