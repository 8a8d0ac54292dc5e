/*
 * Criterion tests for pki_issue_spec: each certificate variant the runner issues
 * (docs/certificates.md) is checked with GnuTLS and certid, not by reading our
 * own code back: identities, EKUs, validity and the issuer.
 */
#include <criterion/criterion.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <string.h>
#include <time.h>

#include "certid.h"
#include "pki.h"

static struct pki *ca;

static void setup(void)
{
        char err[256];

        ca = pki_new("test CA", err, sizeof(err));
        cr_assert_not_null(ca, "%s", err);
}

static void teardown(void)
{
        pki_free(ca);
}

static gnutls_x509_crt_t issue(const struct pki_leaf_spec *spec)
{
        struct pki_leaf leaf;
        gnutls_x509_crt_t crt;
        gnutls_datum_t d;
        char err[256];

        cr_assert_eq(pki_issue_spec(ca, spec, &leaf, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(gnutls_x509_crt_init(&crt), 0);
        d.data = (unsigned char *)leaf.cert_pem;
        d.size = (unsigned)strlen(leaf.cert_pem);
        cr_assert_eq(gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM), 0);
        pki_leaf_cleanup(&leaf);
        return crt;
}

static enum certid_match match(gnutls_x509_crt_t crt, const char *domain)
{
        struct cert_ids ids;
        enum certid_match k;

        cr_assert_eq(certid_from_x509(crt, &ids), 0);
        k = certid_match(&ids, domain);
        certid_cleanup(&ids);
        return k;
}

static unsigned verify(gnutls_x509_crt_t crt)
{
        gnutls_x509_trust_list_t tl;
        gnutls_x509_crt_t cacrt;
        gnutls_datum_t d;
        unsigned status = 0;

        cr_assert_eq(gnutls_x509_crt_init(&cacrt), 0);
        d.data = (unsigned char *)pki_ca_pem(ca);
        d.size = (unsigned)strlen(pki_ca_pem(ca));
        cr_assert_eq(gnutls_x509_crt_import(cacrt, &d, GNUTLS_X509_FMT_PEM), 0);
        cr_assert_eq(gnutls_x509_trust_list_init(&tl, 0), 0);
        cr_assert_eq(gnutls_x509_trust_list_add_cas(tl, &cacrt, 1, 0), 1);
        cr_assert_eq(gnutls_x509_trust_list_verify_crt(tl, &crt, 1, 0, &status, NULL), 0);
        gnutls_x509_trust_list_deinit(tl, 1);
        return status;
}

static bool has_eku(gnutls_x509_crt_t crt, const char *oid)
{
        char buf[128];

        for (unsigned i = 0;; i++) {
                size_t len = sizeof(buf);

                if (gnutls_x509_crt_get_key_purpose_oid(crt, i, buf, &len, NULL) < 0)
                        return false;
                if (strcmp(buf, oid) == 0)
                        return true;
        }
}

TestSuite(runner_pki, .init = setup, .fini = teardown);

Test(runner_pki, identity_variants)
{
        const char *d[1] = {"s.harness.test"};
        struct pki_leaf_spec spec = {.domains = d, .n = 1};
        gnutls_x509_crt_t c;

        spec.ids = PKI_ID_SRV;
        c = issue(&spec);
        cr_expect_eq(match(c, "s.harness.test"), CERTID_SRV);
        cr_expect_eq(verify(c), 0u);
        gnutls_x509_crt_deinit(c);
        spec.ids = PKI_ID_XMPP;
        c = issue(&spec);
        cr_expect_eq(match(c, "s.harness.test"), CERTID_XMPP);
        gnutls_x509_crt_deinit(c);
        spec.ids = PKI_ID_SRV_CLIENT; /* the wrong service */
        c = issue(&spec);
        cr_expect_eq(match(c, "s.harness.test"), CERTID_NONE);
        gnutls_x509_crt_deinit(c);
        spec.ids = PKI_ID_WILDCARD; /* *.d does not cover d */
        c = issue(&spec);
        cr_expect_eq(match(c, "s.harness.test"), CERTID_NONE);
        cr_expect_eq(match(c, "x.s.harness.test"), CERTID_DNS_WILDCARD);
        gnutls_x509_crt_deinit(c);
        spec.ids = 0; /* no subjectAltName: CN only */
        c = issue(&spec);
        cr_expect_eq(match(c, "s.harness.test"), CERTID_CN);
        gnutls_x509_crt_deinit(c);
        spec.ids = PKI_ID_DNS;
        c = issue(&spec);
        cr_expect_eq(match(c, "s.harness.test"), CERTID_DNS);
        gnutls_x509_crt_deinit(c);
}

Test(runner_pki, validity_issuer_and_eku)
{
        const char *d[1] = {"s.harness.test"};
        struct pki_leaf_spec spec = {.domains = d, .n = 1, .ids = PKI_ID_DNS};
        gnutls_x509_crt_t c;

        spec.not_before_s = -2L * 365 * 86400;
        spec.not_after_s = -1L * 365 * 86400;
        c = issue(&spec);
        cr_expect(verify(c) & GNUTLS_CERT_EXPIRED);
        gnutls_x509_crt_deinit(c);
        spec.not_before_s = 20L * 365 * 86400;
        spec.not_after_s = 21L * 365 * 86400;
        c = issue(&spec);
        cr_expect(verify(c) & GNUTLS_CERT_NOT_ACTIVATED);
        gnutls_x509_crt_deinit(c);
        spec.not_before_s = spec.not_after_s = 0;
        spec.self_signed = true;
        c = issue(&spec);
        cr_expect(verify(c) & GNUTLS_CERT_SIGNER_NOT_FOUND);
        gnutls_x509_crt_deinit(c);
        spec.self_signed = false;
        spec.eku = PKI_EKU_SERVER;
        c = issue(&spec);
        cr_expect(has_eku(c, GNUTLS_KP_TLS_WWW_SERVER));
        cr_expect(!has_eku(c, GNUTLS_KP_TLS_WWW_CLIENT));
        gnutls_x509_crt_deinit(c);
        spec.eku = PKI_EKU_CLIENT;
        c = issue(&spec);
        cr_expect(!has_eku(c, GNUTLS_KP_TLS_WWW_SERVER));
        cr_expect(has_eku(c, GNUTLS_KP_TLS_WWW_CLIENT));
        gnutls_x509_crt_deinit(c);
}
