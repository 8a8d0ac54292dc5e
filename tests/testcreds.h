/*
 * Credentials from the PKI the build generates (certs/gen-certs.sh,
 * docs/certificates.md), for the tests: one helper instead of a copy per file.
 */
#ifndef S2S_TESTCREDS_H
#define S2S_TESTCREDS_H

#include <criterion/criterion.h>
#include <stdio.h>

#include "tls.h"

/*
 * Trusts S2S_CERT_DIR/ca.pem and presents <name>.pem with <name>.key (name NULL:
 * no certificate). priority: a GnuTLS priority string, NULL for the default;
 * keylog, keylog_user: tls_creds_config's key log hook (NULL: none).
 * Fails the test when the files do not load.
 */
static inline struct tls_creds *test_creds_keylog(const char *name, const char *priority,
                                                  void (*keylog)(void *, const char *),
                                                  void *keylog_user)
{
        char cert[512], key[512], ca[512], err[512];
        struct tls_creds_config c = {0};
        struct tls_creds *r;

        snprintf(ca, sizeof(ca), "%s/ca.pem", S2S_CERT_DIR);
        c.ca_file = ca;
        if (name != NULL) {
                snprintf(cert, sizeof(cert), "%s/%s.pem", S2S_CERT_DIR, name);
                snprintf(key, sizeof(key), "%s/%s.key", S2S_CERT_DIR, name);
                c.cert_file = cert;
                c.key_file = key;
        }
        c.priority = priority;
        c.keylog = keylog;
        c.keylog_user = keylog_user;
        r = tls_creds_new(&c, err, sizeof(err));
        cr_assert_not_null(r, "credentials %s: %s", name != NULL ? name : "(none)", err);
        return r;
}

/* test_creds_keylog without a key log hook. */
static inline struct tls_creds *test_creds(const char *name, const char *priority)
{
        return test_creds_keylog(name, priority, NULL, NULL);
}

#endif
