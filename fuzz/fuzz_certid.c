/*
 * Certificate identities (harness/certid.c) from arbitrary DER: the certificate is
 * imported with GnuTLS, its identities read with certid_from_x509, described, and
 * matched against a fixed set of reference identities (A-labels, a U-label, a
 * trailing dot, upper case, wildcard-looking and invalid references).
 */
#include <gnutls/x509.h>

#include "buf.h"
#include "certid.h"
#include "fuzz.h"

static const char *const references[] = {
    "partner.test",
    "PARTNER.Test.",
    "sub.partner.test",
    "a.b.partner.test",
    "harness.test",
    "xn--bcher-kva.example",
    "b\u00fccher.example",
    "*.partner.test",
    "test",
    "",
    ".",
    "partner..test",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        gnutls_datum_t der = {(unsigned char *)data, (unsigned)size};
        gnutls_x509_crt_t crt;
        struct cert_ids ids;
        struct buf b;

        if (size > 65536 || gnutls_x509_crt_init(&crt) != 0)
                return 0;
        if (gnutls_x509_crt_import(crt, &der, GNUTLS_X509_FMT_DER) != 0) {
                gnutls_x509_crt_deinit(crt);
                return 0;
        }
        if (certid_from_x509(crt, &ids) == 0) {
                buf_init(&b, 0);
                (void)certid_describe(&ids, &b);
                for (size_t i = 0; i < sizeof(references) / sizeof(references[0]); i++) {
                        enum certid_match m = certid_match(&ids, references[i]);

                        FUZZ_ASSERT(certid_match_name(m) != NULL);
                        if (m == CERTID_CN)
                                FUZZ_ASSERT(ids.n_dns + ids.n_srv + ids.n_xmpp + ids.n_uri +
                                                ids.n_bad ==
                                            0);
                }
                buf_cleanup(&b);
                certid_cleanup(&ids);
        }
        gnutls_x509_crt_deinit(crt);
        return 0;
}
