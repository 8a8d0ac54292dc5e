#include "certvariant.h"

#include <string.h>

#include "util.h"

#define YEAR_S (365L * 24 * 60 * 60)
#define IDS_RIGHT (PKI_ID_DNS | PKI_ID_SRV) /* right names: DNS-ID and SRV-ID */

/* docs/certificates.md says why each exists; docs/scenarios.md lists them. */
static const struct cert_variant_row rows[CERT_COUNT] = {
    [CERT_DEFAULT] = {"default", "DNS-ID, wildcard DNS-ID, SRV-ID (the normal certificate)", true,
                      PKI_ID_DNS | PKI_ID_WILDCARD | PKI_ID_SRV, 0, 0, 0, false, false, false, true,
                      PKI_CHAIN_DIRECT},
    [CERT_ALL] = {"all", "DNS-ID, SRV-ID and xmppAddr", true, IDS_RIGHT | PKI_ID_XMPP, 0, 0, 0,
                  false, false, false, true, PKI_CHAIN_DIRECT},
    [CERT_DNS] = {"dns", "one identifier type only: DNS-ID", true, PKI_ID_DNS, 0, 0, 0, false,
                  false, false, true, PKI_CHAIN_DIRECT},
    [CERT_SRV] = {"srv", "one identifier type only: SRV-ID", true, PKI_ID_SRV, 0, 0, 0, false,
                  false, false, true, PKI_CHAIN_DIRECT},
    [CERT_SRVCLIENT] = {"srvclient",
                        "SRV-ID for `_xmpp-client` only (the wrong service, rule H-CERT-SRV-ID)",
                        true, PKI_ID_SRV_CLIENT, 0, 0, 0, false, false, false, false,
                        PKI_CHAIN_DIRECT},
    [CERT_XMPP] = {"xmpp", "one identifier type only: xmppAddr", true, PKI_ID_XMPP, 0, 0, 0, false,
                   false, false, true, PKI_CHAIN_DIRECT},
    [CERT_WILDCARD] =
        {"wildcard", "`*.domain` only, which does not match the bare domain (rule H-CERT-WILDCARD)",
         true, PKI_ID_WILDCARD, 0, 0, 0, false, false, false, false, PKI_CHAIN_DIRECT},
    [CERT_CN] = {"cn", "no subjectAltName, only the CN (rule H-CERT-CN)", true, 0, 0, 0, 0, false,
                 false, false, true, PKI_CHAIN_DIRECT},
    [CERT_EXPIRED] = {"expired", "right names, outside the validity period (expired)", true,
                      IDS_RIGHT, 0, -2 * YEAR_S, -1 * YEAR_S, false, false, false, true,
                      PKI_CHAIN_DIRECT},
    [CERT_NOTYET] = {"notyet", "right names, outside the validity period (not yet valid)", true,
                     IDS_RIGHT, 0, 20 * YEAR_S, 21 * YEAR_S, false, false, false, true,
                     PKI_CHAIN_DIRECT},
    [CERT_WRONGNAME] = {"wrongname", "a valid chain for `wrong.test`", true, PKI_ID_DNS, 0, 0, 0,
                        false, false, true, false, PKI_CHAIN_DIRECT},
    [CERT_SELFSIGNED] = {"selfsigned", "right names, self-signed (not issued by a CA)", true,
                         IDS_RIGHT, 0, 0, 0, true, false, false, true, PKI_CHAIN_DIRECT},
    [CERT_CA2] = {"ca2", "right names, issued by a CA the partner does not trust", true, IDS_RIGHT,
                  0, 0, 0, false, true, false, true, PKI_CHAIN_DIRECT},
    [CERT_SERVERAUTH] = {"serverauth", "right names, only the serverAuth extended key usage", true,
                         IDS_RIGHT, PKI_EKU_SERVER, 0, 0, false, false, false, true,
                         PKI_CHAIN_DIRECT},
    [CERT_CLIENTAUTH] = {"clientauth", "right names, only the clientAuth extended key usage", true,
                         IDS_RIGHT, PKI_EKU_CLIENT, 0, 0, false, false, false, true,
                         PKI_CHAIN_DIRECT},
    [CERT_CHAIN] = {"chain",
                    "right names, issued by an intermediate CA, sent with the intermediate", true,
                    IDS_RIGHT, 0, 0, 0, false, false, false, true, PKI_CHAIN_FULL},
    [CERT_NOINTERMEDIATE] = {"nointermediate",
                             "right names, issued by an intermediate CA, sent without it (an "
                             "incomplete chain)",
                             true, IDS_RIGHT, 0, 0, 0, false, false, false, true,
                             PKI_CHAIN_LEAF_ONLY},
    [CERT_NONE] = {"none",
                   "no certificate (outbound only: a receiving harness without a certificate "
                   "cannot offer TLS)",
                   false, 0, 0, 0, 0, false, false, false, false, PKI_CHAIN_DIRECT},
};

const struct cert_variant_row *cert_variant(enum cert_variant v)
{
        return (unsigned)v < CERT_COUNT ? &rows[v] : NULL;
}

const char *cert_variant_name(enum cert_variant v)
{
        return (unsigned)v < CERT_COUNT ? rows[v].name : "?";
}

int cert_variant_lookup(const char *name)
{
        for (size_t i = 0; name != NULL && i < ARRAY_LEN(rows); i++) {
                if (strcmp(rows[i].name, name) == 0)
                        return (int)i;
        }
        return -1;
}

int cert_variant_spec(enum cert_variant v, const char *const *domains, size_t n,
                      const char *const *wrong, struct pki_leaf_spec *spec, bool *other_ca)
{
        const struct cert_variant_row *r = cert_variant(v);

        memset(spec, 0, sizeof(*spec));
        *other_ca = false;
        if (r == NULL || !r->issued)
                return -1;
        spec->domains = r->wrong_name ? wrong : domains;
        spec->n = r->wrong_name ? 1 : n;
        spec->ids = r->ids;
        spec->eku = r->eku;
        spec->not_before_s = r->not_before_s;
        spec->not_after_s = r->not_after_s;
        spec->self_signed = r->self_signed;
        spec->chain = r->chain;
        *other_ca = r->other_ca;
        return 0;
}
