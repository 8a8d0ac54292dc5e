#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "certid.h"
#include "pki.h"
#include "tls.h"

static struct tls_creds *creds_from(struct pki *p, const struct pki_leaf *l)
{
        struct tls_creds_config c = {0};
        char err[256];
        struct tls_creds *r;

        c.ca_pem = pki_ca_pem(p);
        c.cert_pem = l->cert_pem;
        c.key_pem = l->key_pem;
        r = tls_creds_new(&c, err, sizeof(err));
        cr_assert_not_null(r, "%s", err);
        return r;
}

/* Moves ciphertext both ways until both handshakes end (bounded). */
static void handshake(struct tls_session *a, struct tls_session *b)
{
        enum tls_status sa = TLS_AGAIN, sb = TLS_AGAIN;

        for (int i = 0; i < 50 && (sa == TLS_AGAIN || sb == TLS_AGAIN); i++) {
                struct buf *oa, *ob;

                sa = tls_session_handshake(a);
                oa = tls_session_output(a);
                cr_assert_eq(tls_session_input(b, oa->data, oa->len), 0);
                buf_consume(oa, oa->len);
                sb = tls_session_handshake(b);
                ob = tls_session_output(b);
                cr_assert_eq(tls_session_input(a, ob->data, ob->len), 0);
                buf_consume(ob, ob->len);
        }
        cr_assert_eq(sa, TLS_DONE, "client: %s", tls_session_error(a));
        cr_assert_eq(sb, TLS_DONE, "server: %s", tls_session_error(b));
}

Test(pki, issued_leaves_verify_and_match)
{
        char err[256];
        struct pki *p = pki_new("s2scheck run-time CA", err, sizeof(err));
        const char *pd[] = {"fabrikam.example", "corp.fabrikam.example"};
        const char *hd[] = {"harness.example"};
        struct pki_leaf pl, hl;
        struct tls_creds *pc, *hc;
        struct tls_session *client, *server;
        struct tls_peer peer;

        cr_assert_not_null(p, "%s", err);
        cr_assert_eq(pki_issue(p, pd, 2, 0, &pl, err, sizeof(err)), 0, "%s", err);
        cr_assert_eq(pki_issue(p, hd, 1, 1, &hl, err, sizeof(err)), 0, "%s", err);
        cr_assert_not_null(strstr(pl.key_pem, "PRIVATE KEY"));
        pc = creds_from(p, &pl);
        hc = creds_from(p, &hl);
        client =
            tls_session_new(hc, TLS_ROLE_CLIENT, "fabrikam.example", false, NULL, err, sizeof(err));
        server = tls_session_new(pc, TLS_ROLE_SERVER, NULL, true, NULL, err, sizeof(err));
        cr_assert(client != NULL && server != NULL, "%s", err);
        handshake(client, server);

        cr_assert_eq(tls_session_peer(client, &peer), 0);
        cr_expect(peer.chain_ok, "partner chain: %s", peer.verify_text);
        cr_expect(peer.eku_server && peer.eku_client);
        cr_expect_eq(certid_match(&peer.ids, "fabrikam.example"), CERTID_DNS);
        cr_expect_eq(certid_match(&peer.ids, "corp.fabrikam.example"), CERTID_DNS);
        cr_expect_eq(certid_match(&peer.ids, "x.fabrikam.example"), CERTID_NONE);
        tls_peer_cleanup(&peer);

        cr_assert_eq(tls_session_peer(server, &peer), 0);
        cr_expect(peer.chain_ok, "harness chain: %s", peer.verify_text);
        cr_expect_eq(certid_match(&peer.ids, "harness.example"), CERTID_DNS);
        /* The wildcard covers per-scenario subdomains (one label only). */
        cr_expect_eq(certid_match(&peer.ids, "h13-out.harness.example"), CERTID_DNS_WILDCARD);
        cr_expect_eq(certid_match(&peer.ids, "a.b.harness.example"), CERTID_NONE);
        tls_peer_cleanup(&peer);

        tls_session_free(client);
        tls_session_free(server);
        tls_creds_free(pc);
        tls_creds_free(hc);
        pki_leaf_cleanup(&pl);
        pki_leaf_cleanup(&hl);
        pki_free(p);
}

Test(pki, another_ca_is_not_trusted)
{
        char err[256];
        struct pki *p1 = pki_new("one", err, sizeof(err));
        struct pki *p2 = pki_new("two", err, sizeof(err));
        const char *d[] = {"a.example"};
        struct pki_leaf l1, l2;
        struct tls_creds *c1, *c2;
        struct tls_session *client, *server;
        struct tls_peer peer;

        cr_assert(p1 != NULL && p2 != NULL);
        cr_assert_eq(pki_issue(p1, d, 1, 0, &l1, err, sizeof(err)), 0);
        cr_assert_eq(pki_issue(p2, d, 1, 0, &l2, err, sizeof(err)), 0);
        c1 = creds_from(p1, &l1);
        c2 = creds_from(p2, &l2);
        client = tls_session_new(c1, TLS_ROLE_CLIENT, NULL, false, NULL, err, sizeof(err));
        server = tls_session_new(c2, TLS_ROLE_SERVER, NULL, false, NULL, err, sizeof(err));
        handshake(client, server);
        cr_assert_eq(tls_session_peer(client, &peer), 0);
        cr_expect_not(peer.chain_ok);
        cr_expect(peer.untrusted);
        tls_peer_cleanup(&peer);
        tls_session_free(client);
        tls_session_free(server);
        tls_creds_free(c1);
        tls_creds_free(c2);
        pki_leaf_cleanup(&l1);
        pki_leaf_cleanup(&l2);
        pki_free(p1);
        pki_free(p2);
}

Test(pki, refuses_no_domain)
{
        char err[256];
        struct pki *p = pki_new("x", err, sizeof(err));
        struct pki_leaf l;

        cr_assert_not_null(p);
        cr_expect_eq(pki_issue(p, NULL, 0, 0, &l, err, sizeof(err)), -1);
        cr_expect_null(l.cert_pem);
        pki_free(p);
}

/* The build's test CA (certs/gen-certs.sh) loaded from its files signs leaves that a
 * peer trusting only ca.pem accepts: the --issuer-cert path of `run`. */
Test(pki, loaded_issuer_signs_trusted_leaves)
{
        char err[256];
        struct pki *p = pki_load(S2S_CERT_DIR "/ca.pem", S2S_CERT_DIR "/ca.key", err, sizeof(err));
        const char *d[] = {"cert-expired-out.harness.test"};
        struct pki_leaf l, pl;
        struct tls_creds_config c = {0}, pc = {0};
        struct tls_creds *hc, *partner;
        struct tls_session *client, *server;
        struct tls_peer peer;

        cr_assert_not_null(p, "%s", err);
        cr_assert_eq(pki_issue(p, d, 1, 0, &l, err, sizeof(err)), 0, "%s", err);
        c.ca_file = S2S_CERT_DIR "/ca.pem";
        c.cert_pem = l.cert_pem;
        c.key_pem = l.key_pem;
        hc = tls_creds_new(&c, err, sizeof(err));
        cr_assert_not_null(hc, "%s", err);
        /* The partner: the build's own partner.test files, trusting ca.pem only. */
        pc.ca_file = S2S_CERT_DIR "/ca.pem";
        pc.cert_file = S2S_CERT_DIR "/partner.test.pem";
        pc.key_file = S2S_CERT_DIR "/partner.test.key";
        partner = tls_creds_new(&pc, err, sizeof(err));
        cr_assert_not_null(partner, "%s", err);
        client =
            tls_session_new(hc, TLS_ROLE_CLIENT, "partner.test", false, NULL, err, sizeof(err));
        server = tls_session_new(partner, TLS_ROLE_SERVER, NULL, true, NULL, err, sizeof(err));
        cr_assert(client != NULL && server != NULL, "%s", err);
        handshake(client, server);
        cr_assert_eq(tls_session_peer(server, &peer), 0);
        cr_expect(peer.chain_ok, "chain: %s", peer.verify_text);
        cr_expect_eq(certid_match(&peer.ids, d[0]), CERTID_DNS);
        tls_peer_cleanup(&peer);
        cr_expect_not_null(strstr(pki_ca_pem(p), "BEGIN CERTIFICATE"));
        /* The same CA also signs a second leaf (no state spent by the first). */
        cr_expect_eq(pki_issue(p, d, 1, 1, &pl, err, sizeof(err)), 0, "%s", err);
        pki_leaf_cleanup(&pl);
        tls_session_free(client);
        tls_session_free(server);
        tls_creds_free(hc);
        tls_creds_free(partner);
        pki_leaf_cleanup(&l);
        pki_free(p);
}

/* Each wrong pair is refused with the file it is about. */
Test(pki, load_refuses_wrong_issuers)
{
        static const struct {
                const char *cert, *key, *says;
        } cases[] = {
            {S2S_CERT_DIR "/partner.test.pem", S2S_CERT_DIR "/partner.test.key",
             "partner.test.pem: not a CA certificate"},
            {S2S_CERT_DIR "/ca.pem", S2S_CERT_DIR "/ca2.key",
             "ca2.key is not the key of --issuer-cert"},
            {S2S_CERT_DIR "/missing.pem", S2S_CERT_DIR "/ca.key",
             "--issuer-cert " S2S_CERT_DIR "/missing.pem: cannot open: No such file"},
            {S2S_CERT_DIR "/ca.pem", S2S_CERT_DIR "/missing.key",
             "--issuer-key " S2S_CERT_DIR "/missing.key: cannot open: No such file"},
            {S2S_CERT_DIR "/ca.key", S2S_CERT_DIR "/ca.key", "ca.key: not a PEM certificate"},
            {S2S_CERT_DIR "/ca.pem", S2S_CERT_DIR "/ca.pem",
             "ca.pem: not an unencrypted PEM private key"},
        };

        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                char err[512] = "";
                struct pki *p = pki_load(cases[i].cert, cases[i].key, err, sizeof(err));

                cr_expect_null(p, "case %zu loaded", i);
                cr_expect_not_null(strstr(err, cases[i].says), "case %zu: \"%s\"", i, err);
                pki_free(p);
        }
}

/* A FIFO as --issuer-key is refused at once, naming the option (no blocking read). */
Test(pki, load_refuses_a_fifo, .timeout = 10)
{
        char dir[] = "/tmp/s2s-pki-XXXXXX", fifo[64], err[512] = "";
        struct pki *p;

        cr_assert_not_null(mkdtemp(dir));
        snprintf(fifo, sizeof(fifo), "%s/ca.key", dir);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        p = pki_load(S2S_CERT_DIR "/ca.pem", fifo, err, sizeof(err));
        cr_expect_null(p);
        cr_expect_not_null(strstr(err, "--issuer-key "), "%s", err);
        cr_expect_not_null(strstr(err, "not a regular file but a FIFO: pass the unencrypted PEM "
                                       "key of --issuer-cert"),
                           "%s", err);
        pki_free(p);
        unlink(fifo);
        rmdir(dir);
}

/* The leaf the server side presents, as the client's tls_session_peer sees it. */
static void peer_of(struct pki *p, const struct pki_leaf *l, struct tls_peer *peer)
{
        char err[256];
        struct tls_creds *cc = creds_from(p, l), *sc = creds_from(p, l);
        struct tls_session *client, *server;

        client = tls_session_new(cc, TLS_ROLE_CLIENT, NULL, false, NULL, err, sizeof(err));
        server = tls_session_new(sc, TLS_ROLE_SERVER, NULL, false, NULL, err, sizeof(err));
        cr_assert(client != NULL && server != NULL, "%s", err);
        handshake(client, server);
        cr_assert_eq(tls_session_peer(client, peer), 0);
        tls_session_free(client);
        tls_session_free(server);
        tls_creds_free(cc);
        tls_creds_free(sc);
}

/* Issue 15 item 4: a leaf from the intermediate CA verifies against the root only when
 * the intermediate is sent with it. */
Test(pki, chain_variants_send_or_omit_the_intermediate)
{
        char err[256];
        struct pki *p = pki_new("root", err, sizeof(err));
        const char *d[] = {"a.example"};
        struct pki_leaf_spec spec = {.domains = d, .n = 1, .ids = PKI_ID_DNS};
        struct pki_leaf full, leaf;
        struct tls_peer peer;
        const char *second;

        cr_assert_not_null(p, "%s", err);
        cr_assert(pki_can_chain(p, err, sizeof(err)), "%s", err);
        spec.chain = PKI_CHAIN_FULL;
        cr_assert_eq(pki_issue_spec(p, &spec, &full, err, sizeof(err)), 0, "%s", err);
        spec.chain = PKI_CHAIN_LEAF_ONLY;
        cr_assert_eq(pki_issue_spec(p, &spec, &leaf, err, sizeof(err)), 0, "%s", err);
        second = strstr(full.cert_pem + 1, "-----BEGIN CERTIFICATE-----");
        cr_expect_not_null(second, "the full chain holds the intermediate after the leaf");
        cr_expect_null(strstr(leaf.cert_pem + 1, "-----BEGIN CERTIFICATE-----"),
                       "the leaf alone: one certificate");

        peer_of(p, &full, &peer);
        cr_expect(peer.chain_ok, "leaf + intermediate: %s", peer.verify_text);
        cr_expect_str_eq(peer.issuer, "CN=s2scheck run-time intermediate CA");
        tls_peer_cleanup(&peer);
        peer_of(p, &leaf, &peer);
        cr_expect_not(peer.chain_ok, "the leaf alone verified");
        cr_expect(peer.untrusted, "the leaf alone: issuer unknown (%s)", peer.verify_text);
        tls_peer_cleanup(&peer);
        pki_leaf_cleanup(&full);
        pki_leaf_cleanup(&leaf);
        pki_free(p);
}
