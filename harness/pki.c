#include "pki.h"

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "infile.h"

#define PKI_DAY (24 * 60 * 60)
/* A CA certificate or key file is small; a larger file is neither. */
#define PKI_FILE_MAX (1024u * 1024)

struct pki {
        gnutls_x509_privkey_t key;
        gnutls_x509_crt_t crt;
        char *ca_pem;
        /* The intermediate CA of the chain variants, made on first use. */
        gnutls_x509_privkey_t ikey;
        gnutls_x509_crt_t icrt;
        char *ica_pem;
};

static char *datum_to_str(const gnutls_datum_t *d)
{
        char *s = malloc(d->size + 1);

        if (s == NULL)
                return NULL;
        memcpy(s, d->data, d->size);
        s[d->size] = '\0';
        return s;
}

static int new_key(gnutls_x509_privkey_t *key)
{
        if (gnutls_x509_privkey_init(key) < 0)
                return -1;
        if (gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
                                         GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0) {
                gnutls_x509_privkey_deinit(*key);
                return -1;
        }
        return 0;
}

/* Version, random serial, validity and subject key of a new certificate. */
static int init_crt(gnutls_x509_crt_t crt, gnutls_x509_privkey_t key, const char *cn)
{
        unsigned char serial[16];
        time_t now = time(NULL);

        if (gnutls_rnd(GNUTLS_RND_NONCE, serial, sizeof(serial)) < 0)
                return -1;
        serial[0] &= 0x7f; /* a positive INTEGER */
        if (gnutls_x509_crt_set_version(crt, 3) < 0 ||
            gnutls_x509_crt_set_serial(crt, serial, sizeof(serial)) < 0 ||
            gnutls_x509_crt_set_activation_time(crt, now - PKI_DAY) < 0 ||
            gnutls_x509_crt_set_expiration_time(crt, now + 30 * PKI_DAY) < 0 ||
            gnutls_x509_crt_set_key(crt, key) < 0 ||
            gnutls_x509_crt_set_dn_by_oid(crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn,
                                          (unsigned)strlen(cn)) < 0)
                return -1;
        return 0;
}

struct pki *pki_new(const char *cn, char *err, size_t errlen)
{
        struct pki *p = calloc(1, sizeof(*p));
        gnutls_datum_t pem = {NULL, 0};

        if (p == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        if (new_key(&p->key) != 0) {
                p->key = NULL;
                snprintf(err, errlen, "cannot generate the run-time CA key");
                goto fail;
        }
        if (gnutls_x509_crt_init(&p->crt) < 0) {
                p->crt = NULL;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        if (init_crt(p->crt, p->key, cn) != 0 ||
            /* No pathLen: the chain variants need an intermediate below it. */
            gnutls_x509_crt_set_basic_constraints(p->crt, 1, -1) < 0 ||
            gnutls_x509_crt_set_key_usage(p->crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) <
                0 ||
            gnutls_x509_crt_sign2(p->crt, p->crt, p->key, GNUTLS_DIG_SHA256, 0) < 0 ||
            gnutls_x509_crt_export2(p->crt, GNUTLS_X509_FMT_PEM, &pem) < 0) {
                snprintf(err, errlen, "cannot make the run-time CA certificate");
                goto fail;
        }
        p->ca_pem = datum_to_str(&pem);
        gnutls_free(pem.data);
        if (p->ca_pem == NULL) {
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        return p;
fail:
        pki_free(p);
        return NULL;
}

/* The issuer files are named by their options: pki_load serves only them. */
#define ISSUER_CERT_FIX "pass the certificate of a CA the partner trusts (PEM)"
#define ISSUER_KEY_FIX "pass the unencrypted PEM key of --issuer-cert"

struct pki *pki_load(const char *cert_file, const char *key_file, char *err, size_t errlen)
{
        struct pki *p = calloc(1, sizeof(*p));
        gnutls_datum_t cd = {NULL, 0}, kd = {NULL, 0};
        unsigned char cid[64], kid[64];
        size_t clen = sizeof(cid), klen = sizeof(kid), clen_file = 0, klen_file = 0;
        char *cdata = NULL, *kdata = NULL;
        unsigned ca = 0;
        int r;

        if (p == NULL) {
                snprintf(err, errlen, "out of memory");
                return NULL;
        }
        if (infile_read_opt("--issuer-cert", cert_file, ISSUER_CERT_FIX, PKI_FILE_MAX, &cdata,
                            &clen_file, err, errlen) != INFILE_OK ||
            infile_read_opt("--issuer-key", key_file, ISSUER_KEY_FIX, PKI_FILE_MAX, &kdata,
                            &klen_file, err, errlen) != INFILE_OK)
                goto fail;
        cd.data = (unsigned char *)cdata;
        cd.size = (unsigned)clen_file;
        kd.data = (unsigned char *)kdata;
        kd.size = (unsigned)klen_file;
        if (gnutls_x509_crt_init(&p->crt) < 0) {
                p->crt = NULL;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        if (gnutls_x509_privkey_init(&p->key) < 0) {
                p->key = NULL;
                snprintf(err, errlen, "out of memory");
                goto fail;
        }
        if ((r = gnutls_x509_crt_import(p->crt, &cd, GNUTLS_X509_FMT_PEM)) < 0) {
                snprintf(err, errlen, "--issuer-cert %s: not a PEM certificate (GnuTLS: %s): %s",
                         cert_file, gnutls_strerror(r), ISSUER_CERT_FIX);
                goto fail;
        }
        if ((r = gnutls_x509_privkey_import(p->key, &kd, GNUTLS_X509_FMT_PEM)) < 0) {
                snprintf(err, errlen,
                         "--issuer-key %s: not an unencrypted PEM private key (GnuTLS: %s): %s",
                         key_file, gnutls_strerror(r), ISSUER_KEY_FIX);
                goto fail;
        }
        /* RFC 5280 §4.2.1.9: only a CA certificate may sign the leaves. */
        if (gnutls_x509_crt_get_basic_constraints(p->crt, NULL, &ca, NULL) < 0 || !ca) {
                snprintf(err, errlen,
                         "--issuer-cert %s: not a CA certificate (basicConstraints CA:TRUE): %s",
                         cert_file, ISSUER_CERT_FIX);
                goto fail;
        }
        if (gnutls_x509_crt_get_key_id(p->crt, 0, cid, &clen) < 0 ||
            gnutls_x509_privkey_get_key_id(p->key, 0, kid, &klen) < 0 || clen != klen ||
            memcmp(cid, kid, clen) != 0) {
                snprintf(err, errlen, "--issuer-key %s is not the key of --issuer-cert %s: %s",
                         key_file, cert_file, ISSUER_KEY_FIX);
                goto fail;
        }
        /* infile_read NUL-terminates: the file's text is the CA's PEM as it is. */
        p->ca_pem = cdata;
        gnutls_memset(kdata, 0, klen_file);
        free(kdata);
        return p;
fail:
        free(cdata);
        if (kdata != NULL) {
                gnutls_memset(kdata, 0, klen_file);
                free(kdata);
        }
        pki_free(p);
        return NULL;
}

void pki_free(struct pki *p)
{
        if (p == NULL)
                return;
        if (p->crt != NULL)
                gnutls_x509_crt_deinit(p->crt);
        if (p->key != NULL)
                gnutls_x509_privkey_deinit(p->key);
        if (p->icrt != NULL)
                gnutls_x509_crt_deinit(p->icrt);
        if (p->ikey != NULL)
                gnutls_x509_privkey_deinit(p->ikey);
        free(p->ca_pem);
        free(p->ica_pem);
        free(p);
}

const char *pki_ca_pem(const struct pki *p)
{
        return p->ca_pem;
}

int pki_issue(struct pki *p, const char *const *domains, size_t n, int wildcards,
              struct pki_leaf *out, char *err, size_t errlen)
{
        struct pki_leaf_spec spec = {0};

        spec.domains = domains;
        spec.n = n;
        spec.ids = PKI_ID_DNS | (wildcards ? PKI_ID_WILDCARD : 0);
        return pki_issue_spec(p, &spec, out, err, errlen);
}

/* An otherName value: a DER string of the given tag (IA5String 0x16, UTF8String 0x0c). */
static int add_othername(gnutls_x509_crt_t crt, const char *oid, unsigned char tag,
                         const char *prefix, const char *domain)
{
        unsigned char der[600];
        size_t plen = strlen(prefix), dlen = strlen(domain), len = plen + dlen, hdr;

        if (len > 500)
                return -1;
        der[0] = tag;
        if (len < 128) {
                der[1] = (unsigned char)len;
                hdr = 2;
        } else if (len < 256) {
                der[1] = 0x81;
                der[2] = (unsigned char)len;
                hdr = 3;
        } else {
                der[1] = 0x82;
                der[2] = (unsigned char)(len >> 8);
                der[3] = (unsigned char)(len & 0xff);
                hdr = 4;
        }
        memcpy(der + hdr, prefix, plen);
        memcpy(der + hdr + plen, domain, dlen);
        return gnutls_x509_crt_set_subject_alt_othername(crt, oid, der, (unsigned)(hdr + len),
                                                         GNUTLS_FSAN_APPEND) < 0
                   ? -1
                   : 0;
}

static int add_dns(gnutls_x509_crt_t crt, const char *name)
{
        return gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, name,
                                                    (unsigned)strlen(name), GNUTLS_FSAN_APPEND) < 0
                   ? -1
                   : 0;
}

static int add_ids(gnutls_x509_crt_t crt, const struct pki_leaf_spec *spec)
{
        for (size_t i = 0; i < spec->n; i++) {
                const char *d = spec->domains[i];
                char wild[300];

                if ((spec->ids & PKI_ID_DNS) && add_dns(crt, d) != 0)
                        return -1;
                if (spec->ids & PKI_ID_WILDCARD) {
                        snprintf(wild, sizeof(wild), "*.%s", d);
                        if (add_dns(crt, wild) != 0)
                                return -1;
                }
                /* RFC 4985 SRVName and RFC 6120 §13.7.1.4 id-on-xmppAddr. */
                if ((spec->ids & PKI_ID_SRV) &&
                    add_othername(crt, "1.3.6.1.5.5.7.8.7", 0x16, "_xmpp-server.", d) != 0)
                        return -1;
                if ((spec->ids & PKI_ID_SRV_CLIENT) &&
                    add_othername(crt, "1.3.6.1.5.5.7.8.7", 0x16, "_xmpp-client.", d) != 0)
                        return -1;
                if ((spec->ids & PKI_ID_XMPP) &&
                    add_othername(crt, "1.3.6.1.5.5.7.8.5", 0x0c, "", d) != 0)
                        return -1;
        }
        return 0;
}

bool pki_can_chain(const struct pki *p, char *why, size_t whylen)
{
        unsigned critical = 0, ca = 0;
        int pathlen = -1;

        if (gnutls_x509_crt_get_basic_constraints(p->crt, &critical, &ca, &pathlen) >= 0 &&
            pathlen == 0) {
                snprintf(why, whylen,
                         "the issuing CA's basicConstraints pathLen is 0: it cannot issue the "
                         "intermediate CA of the chain variants (basicConstraints); give "
                         "--issuer-cert a CA without that limit");
                return false;
        }
        return true;
}

/* p's intermediate CA (issued by p's CA, pathLen 0), made on first use. */
static int intermediate(struct pki *p, char *err, size_t errlen)
{
        gnutls_datum_t pem = {NULL, 0};

        if (p->icrt != NULL)
                return 0;
        if (!pki_can_chain(p, err, errlen))
                return -1;
        if (new_key(&p->ikey) != 0) {
                p->ikey = NULL;
                snprintf(err, errlen, "cannot generate the intermediate CA key");
                return -1;
        }
        if (gnutls_x509_crt_init(&p->icrt) < 0) {
                p->icrt = NULL;
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        if (init_crt(p->icrt, p->ikey, "s2scheck run-time intermediate CA") != 0 ||
            gnutls_x509_crt_set_basic_constraints(p->icrt, 1, 0) < 0 ||
            gnutls_x509_crt_set_key_usage(p->icrt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN) <
                0 ||
            gnutls_x509_crt_sign2(p->icrt, p->crt, p->key, GNUTLS_DIG_SHA256, 0) < 0 ||
            gnutls_x509_crt_export2(p->icrt, GNUTLS_X509_FMT_PEM, &pem) < 0) {
                gnutls_x509_crt_deinit(p->icrt);
                p->icrt = NULL;
                snprintf(err, errlen, "cannot make the intermediate CA certificate");
                return -1;
        }
        p->ica_pem = datum_to_str(&pem);
        gnutls_free(pem.data);
        if (p->ica_pem == NULL) {
                gnutls_x509_crt_deinit(p->icrt);
                p->icrt = NULL;
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        return 0;
}

/* *pem followed by more (the intermediate after the leaf), reallocated. */
static int append_pem(char **pem, const char *more)
{
        size_t a = strlen(*pem), b = strlen(more);
        char *s = realloc(*pem, a + b + 1);

        if (s == NULL)
                return -1;
        memcpy(s + a, more, b + 1);
        *pem = s;
        return 0;
}

int pki_issue_spec(struct pki *p, const struct pki_leaf_spec *spec, struct pki_leaf *out, char *err,
                   size_t errlen)
{
        gnutls_x509_privkey_t key = NULL;
        gnutls_x509_crt_t crt = NULL;
        gnutls_datum_t cpem = {NULL, 0}, kpem = {NULL, 0};
        unsigned eku = spec->eku != 0 ? spec->eku : PKI_EKU_SERVER | PKI_EKU_CLIENT;
        time_t now = time(NULL);
        int rc = -1;

        memset(out, 0, sizeof(*out));
        if (spec->n == 0) {
                snprintf(err, errlen, "a certificate needs at least one domain");
                return -1;
        }
        if (spec->chain != PKI_CHAIN_DIRECT && !spec->self_signed &&
            intermediate(p, err, errlen) != 0)
                return -1;
        if (new_key(&key) != 0) {
                snprintf(err, errlen, "cannot generate a key");
                return -1;
        }
        if (gnutls_x509_crt_init(&crt) < 0) {
                crt = NULL;
                goto bad;
        }
        if (init_crt(crt, key, spec->domains[0]) != 0 || add_ids(crt, spec) != 0)
                goto bad;
        if ((spec->not_before_s != 0 || spec->not_after_s != 0) &&
            (gnutls_x509_crt_set_activation_time(crt, now + spec->not_before_s) < 0 ||
             gnutls_x509_crt_set_expiration_time(crt, now + spec->not_after_s) < 0))
                goto bad;
        if (gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE) < 0 ||
            ((eku & PKI_EKU_SERVER) &&
             gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_SERVER, 0) < 0) ||
            ((eku & PKI_EKU_CLIENT) &&
             gnutls_x509_crt_set_key_purpose_oid(crt, GNUTLS_KP_TLS_WWW_CLIENT, 0) < 0))
                goto bad;
        if (spec->self_signed ? gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0
            : spec->chain != PKI_CHAIN_DIRECT
                ? gnutls_x509_crt_sign2(crt, p->icrt, p->ikey, GNUTLS_DIG_SHA256, 0) < 0
                : gnutls_x509_crt_sign2(crt, p->crt, p->key, GNUTLS_DIG_SHA256, 0) < 0)
                goto bad;
        if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &cpem) < 0 ||
            gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &kpem) < 0)
                goto bad;
        out->cert_pem = datum_to_str(&cpem);
        out->key_pem = datum_to_str(&kpem);
        if (out->cert_pem == NULL || out->key_pem == NULL ||
            (spec->chain == PKI_CHAIN_FULL && !spec->self_signed &&
             append_pem(&out->cert_pem, p->ica_pem) != 0)) {
                pki_leaf_cleanup(out);
                snprintf(err, errlen, "out of memory");
                goto out;
        }
        rc = 0;
        goto out;
bad:
        snprintf(err, errlen, "cannot make a certificate for %s", spec->domains[0]);
out:
        if (kpem.data != NULL) {
                gnutls_memset(kpem.data, 0, kpem.size);
                gnutls_free(kpem.data);
        }
        gnutls_free(cpem.data);
        if (crt != NULL)
                gnutls_x509_crt_deinit(crt);
        gnutls_x509_privkey_deinit(key);
        return rc;
}

void pki_leaf_cleanup(struct pki_leaf *l)
{
        if (l == NULL)
                return;
        free(l->cert_pem);
        if (l->key_pem != NULL) {
                gnutls_memset(l->key_pem, 0, strlen(l->key_pem));
                free(l->key_pem);
        }
        l->cert_pem = NULL;
        l->key_pem = NULL;
}
