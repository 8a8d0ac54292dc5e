/*
 * A throw-away PKI made at run time with GnuTLS: one CA and leaf certificates
 * for any domains, in memory. `s2scheck run` with no target uses it so that
 * the harness and the built-in reference partner trust each other whatever
 * the partner's domain is; nothing is written to disk and the keys die with
 * the process.
 */
#ifndef S2S_PKI_H
#define S2S_PKI_H

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

/* Frees the PEM strings (the key is wiped first). NULL-safe. */
void pki_leaf_cleanup(struct pki_leaf *l);

#endif
