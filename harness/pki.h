/*
 * A throw-away PKI made at run time with GnuTLS: one CA and leaf certificates
 * for any domains, in memory. `s2scheck run` with no target uses it so that
 * the harness and the built-in reference partner trust each other whatever
 * the partner's domain is; nothing is written to disk and the keys die with
 * the process.
 */
#ifndef S2S_PKI_H
#define S2S_PKI_H

#include <stdbool.h>
#include <stddef.h>

struct pki;

/* A leaf: PEM certificate and PEM private key (owned; pki_leaf_cleanup frees). */
struct pki_leaf {
        char *cert_pem;
        char *key_pem;
};

/* A new CA named cn (ECDSA P-256, valid from yesterday for 30 days). Returns NULL
 * with a reason in err. */
struct pki *pki_new(const char *cn, char *err, size_t errlen);

/*
 * A CA from files: cert_file (PEM, a CA certificate: basicConstraints CA) and
 * key_file (its PEM private key). For runs against a real partner that trusts a
 * test CA the operator controls: the run then issues every certificate variant
 * for each scenario's own domain (docs/certificates.md). Returns NULL with a
 * reason in err that names the option (--issuer-cert, --issuer-key), the file and
 * the fix (unreadable or not a regular file, not PEM, not a CA, key not the
 * certificate's).
 */
struct pki *pki_load(const char *cert_file, const char *key_file, char *err, size_t errlen);

/* NULL-safe. */
void pki_free(struct pki *p);

/* The CA certificate as PEM; owned by p. */
const char *pki_ca_pem(const struct pki *p);

/*
 * Issues a leaf for domains[0..n): a DNS-ID for each, plus the wildcard
 * "*.<domain>" for each when wildcards is non-zero (per-scenario subdomains),
 * subject CN domains[0], EKU serverAuth and clientAuth (one certificate serves
 * both S2S directions). Returns 0, or -1 with a reason in err.
 */
int pki_issue(struct pki *p, const char *const *domains, size_t n, int wildcards,
              struct pki_leaf *out, char *err, size_t errlen);

/* Identities a leaf presents (struct pki_leaf_spec.ids), for each of its domains. */
#define PKI_ID_DNS (1u << 0)        /* DNS-ID <domain> (RFC 6125 §6.4) */
#define PKI_ID_WILDCARD (1u << 1)   /* DNS-ID *.<domain> (RFC 6125 §6.4.3) */
#define PKI_ID_SRV (1u << 2)        /* SRV-ID _xmpp-server.<domain> (RFC 4985) */
#define PKI_ID_SRV_CLIENT (1u << 3) /* SRV-ID _xmpp-client.<domain>: the wrong service */
#define PKI_ID_XMPP (1u << 4)       /* id-on-xmppAddr <domain> (RFC 6120 §13.7.1.4) */

/* Extended key usages (struct pki_leaf_spec.eku). */
#define PKI_EKU_SERVER (1u << 0) /* serverAuth: may act as the TLS server */
#define PKI_EKU_CLIENT (1u << 1) /* clientAuth: may act as the TLS client */

/* How a leaf reaches the CA (struct pki_leaf_spec.chain): the chain variants. */
enum pki_chain {
        PKI_CHAIN_DIRECT = 0, /* signed by the CA itself */
        PKI_CHAIN_FULL,       /* signed by the intermediate; cert_pem: leaf, intermediate */
        PKI_CHAIN_LEAF_ONLY,  /* signed by the intermediate; cert_pem: the leaf alone */
};

/* What a leaf looks like: the certificate variants of docs/certificates.md. */
struct pki_leaf_spec {
        const char *const *domains; /* borrowed; domains[0] is the subject CN */
        size_t n;
        unsigned ids;      /* PKI_ID_* bits; 0: no subjectAltName at all (CN only) */
        unsigned eku;      /* PKI_EKU_* bits; 0: both */
        long not_before_s; /* validity as offsets from now in seconds; both 0: */
        long not_after_s;  /* from a day ago for 30 days */
        bool self_signed;  /* signed with its own key instead of the CA's */
        /* PKI_CHAIN_FULL or _LEAF_ONLY: issued by p's intermediate CA (made on first
         * use, issued by p's CA, pathLen 0), which the PEM then carries or not. */
        enum pki_chain chain;
};

/*
 * Whether p can make the intermediate of the chain variants: false, with why, when
 * its CA's basicConstraints pathLen is 0 (an --issuer-cert that may issue leaves
 * only; RFC 5280 §4.2.1.9).
 */
bool pki_can_chain(const struct pki *p, char *why, size_t whylen);

/*
 * Issues a leaf as spec says (key usage digitalSignature, ECDSA P-256). p signs
 * it unless spec->self_signed. Returns 0 with *out filled, or -1 with a reason in
 * err.
 */
int pki_issue_spec(struct pki *p, const struct pki_leaf_spec *spec, struct pki_leaf *out, char *err,
                   size_t errlen);

/* Frees the PEM strings (the key is wiped first). NULL-safe. */
void pki_leaf_cleanup(struct pki_leaf *l);

#endif
