/*
 * tls: two sessions wired back to back in memory, with the generated test PKI
 * (certs/, docs/certificates.md). Every handshake here is a real GnuTLS handshake.
 */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <criterion/redirect.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "buf.h"
#include "certid.h"
#include "testcreds.h"
#include "tls.h"

#define PRIO_13 "NORMAL:-VERS-ALL:+VERS-TLS1.3"
#define PRIO_12 "NORMAL:-VERS-ALL:+VERS-TLS1.2"
#define MAX_ROUNDS 64

static void cert_path(char *dst, size_t len, const char *name, const char *ext)
{
        snprintf(dst, len, "%s/%s.%s", S2S_CERT_DIR, name, ext);
}

/* Credentials trusting ca.pem, with certificate `name` (NULL: none). */
static struct tls_creds *creds(const char *name, const char *prio)
{
        return test_creds(name, prio);
}

/* Moves all pending ciphertext from a to b; returns the number of bytes moved. */
static size_t transfer(struct tls_session *a, struct tls_session *b)
{
        struct buf *out = tls_session_output(a);
        size_t n = out->len;

        if (n > 0) {
                cr_assert_eq(tls_session_input(b, out->data, n), 0);
                buf_consume(out, n);
        }
        return n;
}

struct pair {
        struct tls_creds *ccreds, *screds;
        struct tls_session *c, *s;
        enum tls_status cst, sst;
};

static void pair_open(struct pair *p, const char *client_cert, const char *server_cert,
                      const char *cprio, const char *sprio, bool request)
{
        char err[256];

        memset(p, 0, sizeof(*p));
        p->ccreds = creds(client_cert, cprio);
        p->screds = creds(server_cert, sprio);
        p->c = tls_session_new(p->ccreds, TLS_ROLE_CLIENT, "partner.test", false, NULL, err,
                               sizeof(err));
        cr_assert_not_null(p->c, "client: %s", err);
        p->s = tls_session_new(p->screds, TLS_ROLE_SERVER, NULL, request, NULL, err, sizeof(err));
        cr_assert_not_null(p->s, "server: %s", err);
}

/* Runs both handshakes, shuttling bytes, until a round moves nothing: then both sides
 * have seen all there is to see. Bounded: MAX_ROUNDS rounds. */
static void pair_handshake(struct pair *p)
{
        for (int i = 0; i < MAX_ROUNDS; i++) {
                p->cst = tls_session_handshake(p->c);
                p->sst = tls_session_handshake(p->s);
                if (transfer(p->c, p->s) + transfer(p->s, p->c) == 0)
                        return;
        }
}

static void pair_close(struct pair *p)
{
        tls_session_free(p->c);
        tls_session_free(p->s);
        tls_creds_free(p->ccreds);
        tls_creds_free(p->screds);
}

static void expect_done(struct pair *p)
{
        cr_assert_eq(p->cst, TLS_DONE, "client: %d %s", p->cst, tls_session_error(p->c));
        cr_assert_eq(p->sst, TLS_DONE, "server: %d %s", p->sst, tls_session_error(p->s));
}

Test(tls, handshake_tls13_mutual)
{
        struct pair p;
        struct tls_peer cv, sv;

        pair_open(&p, "harness.test", "partner.test", NULL, NULL, true);
        pair_handshake(&p);
        expect_done(&p);

        cr_assert_eq(tls_session_peer(p.c, &cv), 0, "%s", tls_session_error(p.c));
        cr_expect_str_eq(cv.version, "TLS1.3");
        cr_expect(strstr(cv.desc, "(TLS1.3)") != NULL, "desc %s", cv.desc);
        cr_expect(cv.has_cert);
        cr_expect(cv.chain_ok, "%s", cv.verify_text);
        cr_expect_eq(cv.verify_status, 0);
        cr_expect_not(cv.expired);
        cr_expect_not(cv.untrusted);
        cr_expect_not(cv.self_signed);
        cr_expect(cv.eku_present && cv.eku_server && cv.eku_client);
        cr_expect_str_eq(cv.subject, "CN=partner.test");
        cr_expect_str_eq(cv.issuer, "CN=s2scheck test CA,O=s2scheck");
        cr_expect(cv.not_before < cv.not_after);
        cr_expect_eq(certid_match(&cv.ids, "partner.test"), CERTID_DNS);
        cr_expect_eq(certid_match(&cv.ids, "harness.test"), CERTID_NONE);

        cr_assert_eq(tls_session_peer(p.s, &sv), 0, "%s", tls_session_error(p.s));
        cr_expect_str_eq(sv.version, "TLS1.3");
        cr_expect_str_eq(sv.sni, "partner.test");
        cr_expect(sv.has_cert, "client certificate requested and sent");
        cr_expect(sv.chain_ok, "%s", sv.verify_text);
        cr_expect_eq(certid_match(&sv.ids, "harness.test"), CERTID_DNS);
        cr_expect_eq(certid_match(&sv.ids, "h13-in.harness.test"), CERTID_DNS_WILDCARD);
        cr_expect_eq(certid_match(&sv.ids, "partner.test"), CERTID_NONE);

        tls_peer_cleanup(&cv);
        tls_peer_cleanup(&sv);
        tls_peer_cleanup(NULL);
        pair_close(&p);
}

Test(tls, handshake_tls12_mutual)
{
        struct pair p;
        struct tls_peer cv, sv;

        pair_open(&p, "harness.test", "partner.test", PRIO_12, PRIO_12, true);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.c, &cv), 0);
        cr_assert_eq(tls_session_peer(p.s, &sv), 0);
        cr_expect_str_eq(cv.version, "TLS1.2");
        cr_expect_str_eq(sv.version, "TLS1.2");
        cr_expect(strstr(cv.desc, "(TLS1.2)") != NULL, "desc %s", cv.desc);
        cr_expect(cv.chain_ok, "%s", cv.verify_text);
        cr_expect(sv.has_cert);
        cr_expect(sv.chain_ok, "%s", sv.verify_text);
        cr_expect_eq(certid_match(&sv.ids, "harness.test"), CERTID_DNS);
        tls_peer_cleanup(&cv);
        tls_peer_cleanup(&sv);
        pair_close(&p);
}

/* The default priority allows both; a 1.2-only client still gets through. */
Test(tls, default_priority_accepts_tls12_client)
{
        struct pair p;
        struct tls_peer sv;

        pair_open(&p, NULL, "partner.test", PRIO_12, NULL, false);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.s, &sv), 0);
        cr_expect_str_eq(sv.version, "TLS1.2");
        tls_peer_cleanup(&sv);
        pair_close(&p);
}

/* GNUTLS_CERT_REQUEST, not REQUIRE: a peer without a certificate (dialback only) still
 * completes the handshake, and the server records that none was sent. */
Test(tls, client_without_certificate)
{
        struct pair p;
        struct tls_peer sv;

        pair_open(&p, NULL, "partner.test", NULL, NULL, true);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.s, &sv), 0);
        cr_expect_not(sv.has_cert);
        cr_expect_not(sv.chain_ok);
        cr_expect_eq(sv.ids.n_dns, 0);
        tls_peer_cleanup(&sv);
        pair_close(&p);
}

/* Without a CertificateRequest the client's certificate is not sent at all. */
Test(tls, client_certificate_not_requested)
{
        struct pair p;
        struct tls_peer sv;

        pair_open(&p, "harness.test", "partner.test", NULL, NULL, false);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.s, &sv), 0);
        cr_expect_not(sv.has_cert);
        tls_peer_cleanup(&sv);
        pair_close(&p);
}

/* ---- certificate variants, seen from both ends ---- */

struct variant {
        const char *suffix; /* appended to the domain; "" = the default certificate */
        bool chain_ok, expired, not_yet_valid, untrusted, self_signed;
        bool eku_server, eku_client;
        enum certid_match match; /* against the bare domain */
};

static const struct variant variants[] = {
    {"", true, false, false, false, false, true, true, CERTID_DNS},
    {"-all", true, false, false, false, false, true, true, CERTID_DNS},
    {"-dns", true, false, false, false, false, true, true, CERTID_DNS},
    {"-srv", true, false, false, false, false, true, true, CERTID_SRV},
    {"-xmpp", true, false, false, false, false, true, true, CERTID_XMPP},
    {"-wildcard", true, false, false, false, false, true, true, CERTID_NONE},
    {"-expired", false, true, false, false, false, true, true, CERTID_DNS},
    {"-notyet", false, false, true, false, false, true, true, CERTID_DNS},
    {"-wrongname", true, false, false, false, false, true, true, CERTID_NONE},
    {"-selfsigned", false, false, false, true, true, true, true, CERTID_DNS},
    {"-ca2", false, false, false, true, false, true, true, CERTID_DNS},
    {"-serverauth", true, false, false, false, false, true, false, CERTID_DNS},
    {"-clientauth", true, false, false, false, false, false, true, CERTID_DNS},
    {"-cn", true, false, false, false, false, true, true, CERTID_CN},
    {"-srvclient", true, false, false, false, false, true, true, CERTID_NONE},
};

#define N_VARIANTS (sizeof(variants) / sizeof(variants[0]))

/* Indices, not pointers: criterion re-executes the binary per test (toolchain §3.1). */
static size_t variant_index[N_VARIANTS];

static void expect_variant(const struct variant *v, const char *name, const char *domain,
                           const struct tls_peer *pv)
{
        cr_log_info("%s: status %#x \"%s\", %s", name, pv->verify_status, pv->verify_text,
                    certid_match_name(certid_match(&pv->ids, domain)));
        cr_expect(pv->has_cert, "%s: no certificate", name);
        cr_expect_eq(pv->chain_ok, v->chain_ok, "%s: chain_ok %d (%s)", name, pv->chain_ok,
                     pv->verify_text);
        cr_expect_eq(pv->expired, v->expired, "%s: expired %d", name, pv->expired);
        cr_expect_eq(pv->not_yet_valid, v->not_yet_valid, "%s: not_yet_valid %d", name,
                     pv->not_yet_valid);
        cr_expect_eq(pv->untrusted, v->untrusted, "%s: untrusted %d", name, pv->untrusted);
        cr_expect_eq(pv->self_signed, v->self_signed, "%s: self_signed %d", name, pv->self_signed);
        cr_expect(pv->eku_present, "%s: EKU present", name);
        cr_expect_eq(pv->eku_server, v->eku_server, "%s: eku_server %d", name, pv->eku_server);
        cr_expect_eq(pv->eku_client, v->eku_client, "%s: eku_client %d", name, pv->eku_client);
        cr_expect_eq(pv->verify_status == 0, v->chain_ok, "%s: status %#x", name,
                     pv->verify_status);
        cr_expect(v->chain_ok || strstr(pv->verify_text, "NOT trusted") != NULL,
                  "%s: verify_text \"%s\"", name, pv->verify_text);
        cr_expect_eq(certid_match(&pv->ids, domain), v->match, "%s: match %s", name,
                     certid_match_name(certid_match(&pv->ids, domain)));
}

ParameterizedTestParameters(tls, variant)
{
        for (size_t i = 0; i < N_VARIANTS; i++)
                variant_index[i] = i;
        return cr_make_param_array(size_t, variant_index, N_VARIANTS);
}

ParameterizedTest(size_t *idx, tls, variant)
{
        const struct variant *v = &variants[*idx];
        char partner[64], harness[64];
        struct pair p;
        struct tls_peer pv;

        snprintf(partner, sizeof(partner), "partner.test%s", v->suffix);
        snprintf(harness, sizeof(harness), "harness.test%s", v->suffix);

        /* The variant as the receiving server's certificate: what the client records. */
        pair_open(&p, "harness.test", partner, NULL, NULL, true);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.c, &pv), 0, "%s", tls_session_error(p.c));
        expect_variant(v, partner, "partner.test", &pv);
        tls_peer_cleanup(&pv);
        pair_close(&p);

        /* The variant as the initiating server's client certificate: what the server
         * records (XEP-0178 step 6-7). */
        pair_open(&p, harness, "partner.test", NULL, NULL, true);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.s, &pv), 0, "%s", tls_session_error(p.s));
        expect_variant(v, harness, "harness.test", &pv);
        tls_peer_cleanup(&pv);
        pair_close(&p);
}

Test(tls, wildcard_certificate_covers_subdomain)
{
        struct pair p;
        struct tls_peer cv;

        pair_open(&p, NULL, "partner.test-wildcard", NULL, NULL, false);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.c, &cv), 0);
        cr_expect(cv.chain_ok);
        cr_expect_eq(certid_match(&cv.ids, "partner.test"), CERTID_NONE);
        cr_expect_eq(certid_match(&cv.ids, "chat.partner.test"), CERTID_DNS_WILDCARD);
        tls_peer_cleanup(&cv);
        pair_close(&p);
}

/* ---- data ---- */

/* Shuttles bytes and decrypts on both sides until nothing moves (bounded). */
static void pump(struct pair *p, struct buf *cplain, struct buf *splain, enum tls_status *cst,
                 enum tls_status *sst)
{
        *cst = *sst = TLS_AGAIN;
        for (int i = 0; i < MAX_ROUNDS; i++) {
                size_t moved = transfer(p->c, p->s) + transfer(p->s, p->c);

                *cst = tls_session_read(p->c, cplain);
                *sst = tls_session_read(p->s, splain);
                if (moved == 0 && tls_session_output(p->c)->len == 0 &&
                    tls_session_output(p->s)->len == 0)
                        return;
        }
}

static void data_roundtrip(const char *cprio, const char *sprio)
{
        struct pair p;
        struct buf cplain, splain;
        enum tls_status cst, sst;
        size_t big_len = 100 * 1024;
        char *big = malloc(big_len);

        cr_assert_not_null(big);
        for (size_t i = 0; i < big_len; i++)
                big[i] = (char)('a' + (i * 7 + i / 251) % 26);
        buf_init(&cplain, 0);
        buf_init(&splain, 0);
        pair_open(&p, "harness.test", "partner.test", cprio, sprio, true);
        pair_handshake(&p);
        expect_done(&p);

        cr_assert_eq(tls_session_write(p.c, "<stream:stream>", 15), 0);
        cr_assert_eq(tls_session_write(p.s, "<stream:features/>", 18), 0);
        pump(&p, &cplain, &splain, &cst, &sst);
        cr_expect_eq(cst, TLS_AGAIN);
        cr_expect_eq(sst, TLS_AGAIN);
        cr_assert_eq(splain.len, 15);
        cr_expect_eq(memcmp(splain.data, "<stream:stream>", 15), 0);
        cr_assert_eq(cplain.len, 18);
        cr_expect_eq(memcmp(cplain.data, "<stream:features/>", 18), 0);
        buf_reset(&cplain);
        buf_reset(&splain);

        /* 100 KiB each way: several records, fed to the peer in one piece. */
        cr_assert_eq(tls_session_write(p.c, big, big_len), 0);
        cr_assert_eq(tls_session_write(p.s, big, big_len), 0);
        cr_expect_gt(tls_session_output(p.c)->len, big_len, "ciphertext includes overhead");
        pump(&p, &cplain, &splain, &cst, &sst);
        cr_expect_eq(cst, TLS_AGAIN, "%s", tls_session_error(p.c));
        cr_expect_eq(sst, TLS_AGAIN, "%s", tls_session_error(p.s));
        cr_assert_eq(splain.len, big_len);
        cr_expect_eq(memcmp(splain.data, big, big_len), 0);
        cr_assert_eq(cplain.len, big_len);
        cr_expect_eq(memcmp(cplain.data, big, big_len), 0);

        buf_cleanup(&cplain);
        buf_cleanup(&splain);
        free(big);
        pair_close(&p);
}

Test(tls, data_roundtrip_tls13)
{
        data_roundtrip(NULL, NULL);
}

Test(tls, data_roundtrip_tls12)
{
        data_roundtrip(PRIO_12, PRIO_12);
}

/* Ciphertext delivered one byte at a time still decrypts: the pull callback never
 * returns more than is queued, and EAGAIN in between. */
Test(tls, data_byte_by_byte)
{
        struct pair p;
        struct buf plain;
        struct buf *out;
        const char msg[] = "<presence/>";

        buf_init(&plain, 0);
        pair_open(&p, NULL, "partner.test", NULL, NULL, false);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_write(p.c, msg, sizeof(msg) - 1), 0);
        out = tls_session_output(p.c);
        for (size_t i = 0; i < out->len; i++) {
                cr_assert_eq(tls_session_input(p.s, out->data + i, 1), 0);
                cr_assert_eq(tls_session_read(p.s, &plain), TLS_AGAIN, "%s",
                             tls_session_error(p.s));
                if (i + 1 < out->len)
                        cr_assert_eq(plain.len, 0, "plaintext before the record was complete");
        }
        buf_consume(out, out->len);
        cr_assert_eq(plain.len, sizeof(msg) - 1);
        cr_expect_eq(memcmp(plain.data, msg, plain.len), 0);
        buf_cleanup(&plain);
        pair_close(&p);
}

Test(tls, close_notify_is_closed)
{
        struct pair p;
        struct buf cplain, splain;
        enum tls_status cst, sst;

        buf_init(&cplain, 0);
        buf_init(&splain, 0);
        pair_open(&p, NULL, "partner.test", NULL, NULL, false);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_write(p.c, "</stream:stream>", 16), 0);
        cr_assert_eq(tls_session_bye(p.c), 0);
        pump(&p, &cplain, &splain, &cst, &sst);
        cr_expect_eq(sst, TLS_CLOSED, "server: %d %s", sst, tls_session_error(p.s));
        cr_assert_eq(splain.len, 16, "data before close_notify is delivered");
        cr_expect_eq(memcmp(splain.data, "</stream:stream>", 16), 0);
        cr_expect_eq(tls_session_read(p.s, &splain), TLS_CLOSED, "stays closed");
        buf_cleanup(&cplain);
        buf_cleanup(&splain);
        pair_close(&p);
}

/* A transport close without close_notify is a truncation, not a clean close. */
Test(tls, eof_without_close_notify_fails)
{
        struct pair p;
        struct buf plain;

        buf_init(&plain, 0);
        pair_open(&p, NULL, "partner.test", NULL, NULL, false);
        pair_handshake(&p);
        expect_done(&p);
        tls_session_input_eof(p.s);
        cr_expect_eq(tls_session_read(p.s, &plain), TLS_FAILED);
        cr_expect(strstr(tls_session_error(p.s), "TLS read failed") != NULL, "%s",
                  tls_session_error(p.s));
        cr_expect_eq(tls_session_alert_sent(p.s), -1, "no alert to a closed transport");
        buf_cleanup(&plain);
        pair_close(&p);
}

/* ---- failures ---- */

/* Version mismatch (1.2-only vs 1.3-only): both sides fail, the side that detects it
 * sends an alert, and its peer receives that alert (not a bare transport close). */
static void version_mismatch(const char *cprio, const char *sprio)
{
        struct pair p;
        int sent, recv;

        pair_open(&p, NULL, "partner.test", cprio, sprio, false);
        pair_handshake(&p);
        cr_expect_eq(p.cst, TLS_FAILED, "client: %d", p.cst);
        cr_expect_eq(p.sst, TLS_FAILED, "server: %d", p.sst);
        cr_expect_neq(tls_session_error(p.c)[0], '\0');
        cr_expect_neq(tls_session_error(p.s)[0], '\0');
        cr_expect(strstr(tls_session_error(p.c), "premature") == NULL, "client: %s",
                  tls_session_error(p.c));
        cr_expect(strstr(tls_session_error(p.s), "premature") == NULL, "server: %s",
                  tls_session_error(p.s));
        /* Whoever failed first sent the alert; the other received exactly that alert. */
        if (tls_session_alert_sent(p.s) >= 0) {
                sent = tls_session_alert_sent(p.s);
                recv = tls_session_alert_received(p.c);
        } else {
                sent = tls_session_alert_sent(p.c);
                recv = tls_session_alert_received(p.s);
        }
        cr_expect_geq(sent, 0, "an alert was sent (client: %s / server: %s)",
                      tls_session_error(p.c), tls_session_error(p.s));
        cr_expect_eq(recv, sent, "received alert %s, sent %s", tls_alert_name(recv),
                     tls_alert_name(sent));
        cr_expect(strstr(tls_session_error(p.s), "alert") != NULL, "%s", tls_session_error(p.s));
        cr_expect(strstr(tls_session_error(p.c), "alert") != NULL, "%s", tls_session_error(p.c));
        cr_log_info("client: %s", tls_session_error(p.c));
        cr_log_info("server: %s", tls_session_error(p.s));
        cr_expect_eq(tls_session_handshake(p.c), TLS_FAILED, "failure is sticky");
        cr_expect_eq(tls_session_write(p.c, "x", 1), -1);
        pair_close(&p);
}

Test(tls, version_mismatch_12_client_13_server)
{
        version_mismatch(PRIO_12, PRIO_13);
}

Test(tls, version_mismatch_13_client_12_server)
{
        version_mismatch(PRIO_13, PRIO_12);
}

/* Non-TLS bytes (a peer that ignored <proceed/> and kept talking XML) fail the server's
 * handshake cleanly, with an error text and no crash. */
Test(tls, garbage_input_fails_server)
{
        struct tls_creds *cr = creds("partner.test", NULL);
        char err[256];
        struct tls_session *s =
            tls_session_new(cr, TLS_ROLE_SERVER, NULL, true, NULL, err, sizeof(err));
        static const char junk[] = "<stream:stream xmlns='jabber:server' to='partner.test'>"
                                   "<db:result from='harness.test'>abc</db:result>";

        cr_assert_not_null(s, "%s", err);
        cr_assert_eq(tls_session_input(s, junk, sizeof(junk) - 1), 0);
        cr_expect_eq(tls_session_handshake(s), TLS_FAILED);
        cr_expect_neq(tls_session_error(s)[0], '\0');
        cr_log_info("garbage: %s", tls_session_error(s));
        tls_session_free(s);
        tls_creds_free(cr);
}

Test(tls, garbage_input_fails_client)
{
        struct tls_creds *cr = creds(NULL, NULL);
        char err[256];
        struct tls_session *c =
            tls_session_new(cr, TLS_ROLE_CLIENT, "partner.test", false, NULL, err, sizeof(err));
        unsigned char junk[512];

        cr_assert_not_null(c, "%s", err);
        cr_expect_eq(tls_session_handshake(c), TLS_AGAIN);
        cr_expect_gt(tls_session_output(c)->len, 0, "ClientHello queued");
        /* A plausible record header (handshake, TLS 1.2) with nonsense contents. */
        for (size_t i = 0; i < sizeof(junk); i++) /* deterministic filler */
                junk[i] = (unsigned char)(i * 131 + 17);
        junk[0] = 0x16;
        junk[1] = 0x03;
        junk[2] = 0x03;
        junk[3] = 0x01;
        junk[4] = 0xfb;
        junk[5] = 0x02; /* ServerHello, of the record's length less its own header */
        junk[6] = 0x00;
        junk[7] = 0x01;
        junk[8] = 0xf7;
        cr_assert_eq(tls_session_input(c, junk, sizeof(junk)), 0);
        cr_expect_eq(tls_session_handshake(c), TLS_FAILED);
        cr_expect_neq(tls_session_error(c)[0], '\0');
        cr_expect_geq(tls_session_alert_sent(c), 0, "%s", tls_session_error(c));
        tls_session_free(c);
        tls_creds_free(cr);
}

Test(tls, transport_close_during_handshake)
{
        struct pair p;

        pair_open(&p, NULL, "partner.test", NULL, NULL, false);
        cr_expect_eq(tls_session_handshake(p.c), TLS_AGAIN);
        tls_session_input_eof(p.c);
        cr_expect_eq(tls_session_handshake(p.c), TLS_FAILED);
        cr_expect_neq(tls_session_error(p.c)[0], '\0');
        cr_expect_eq(tls_session_input(p.c, "x", 1), -1, "no input after EOF");
        pair_close(&p);
}

/* A plain GnuTLS server that sends its acceptable-CA list (the default, as most servers
 * do): our client must still present a certificate from another CA. */
struct raw_server {
        gnutls_session_t gs;
        struct buf in, out;
};

static ssize_t raw_push(gnutls_transport_ptr_t p, const void *d, size_t n)
{
        struct raw_server *r = p;

        return buf_append(&r->out, d, n) == 0 ? (ssize_t)n : -1;
}

static ssize_t raw_pull(gnutls_transport_ptr_t p, void *d, size_t n)
{
        struct raw_server *r = p;

        if (r->in.len == 0) {
                gnutls_transport_set_errno(r->gs, EAGAIN);
                return -1;
        }
        if (n > r->in.len)
                n = r->in.len;
        memcpy(d, r->in.data, n);
        buf_consume(&r->in, n);
        return (ssize_t)n;
}

Test(tls, client_cert_sent_despite_ca_list)
{
        char ca[512], crt[512], key[512], err[256];
        gnutls_certificate_credentials_t x509;
        struct raw_server r;
        struct tls_creds *cc = creds("harness.test-ca2", NULL);
        struct tls_session *c =
            tls_session_new(cc, TLS_ROLE_CLIENT, NULL, false, NULL, err, sizeof(err));
        enum tls_status cst = TLS_AGAIN;
        int src = GNUTLS_E_AGAIN;
        unsigned n_certs = 0;

        cr_assert_not_null(c, "%s", err);
        cert_path(ca, sizeof(ca), "ca", "pem");
        cert_path(crt, sizeof(crt), "partner.test", "pem");
        cert_path(key, sizeof(key), "partner.test", "key");
        cr_assert_eq(gnutls_certificate_allocate_credentials(&x509), 0);
        cr_assert_eq(gnutls_certificate_set_x509_trust_file(x509, ca, GNUTLS_X509_FMT_PEM), 1);
        cr_assert_eq(
            gnutls_certificate_set_x509_key_file2(x509, crt, key, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
        buf_init(&r.in, 0);
        buf_init(&r.out, 0);
        cr_assert_eq(gnutls_init(&r.gs, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
        cr_assert_eq(gnutls_set_default_priority(r.gs), 0);
        cr_assert_eq(gnutls_credentials_set(r.gs, GNUTLS_CRD_CERTIFICATE, x509), 0);
        gnutls_certificate_server_set_request(r.gs, GNUTLS_CERT_REQUEST);
        gnutls_transport_set_ptr(r.gs, &r);
        gnutls_transport_set_push_function(r.gs, raw_push);
        gnutls_transport_set_pull_function(r.gs, raw_pull);

        for (int i = 0; i < MAX_ROUNDS; i++) {
                struct buf *out = tls_session_output(c);
                size_t moved;

                cst = tls_session_handshake(c);
                if (src != 0)
                        src = gnutls_handshake(r.gs);
                moved = out->len + r.out.len;
                cr_assert_eq(buf_append(&r.in, out->data, out->len), 0);
                buf_consume(out, out->len);
                cr_assert_eq(tls_session_input(c, r.out.data, r.out.len), 0);
                buf_consume(&r.out, r.out.len);
                if (moved == 0)
                        break;
        }
        cr_expect_eq(cst, TLS_DONE, "%s", tls_session_error(c));
        cr_expect_eq(src, 0, "%s", gnutls_strerror(src));
        cr_expect_not_null(gnutls_certificate_get_peers(r.gs, &n_certs));
        cr_expect_eq(n_certs, 1, "the ca2 certificate was presented");
        gnutls_deinit(r.gs);
        gnutls_certificate_free_credentials(x509);
        buf_cleanup(&r.in);
        buf_cleanup(&r.out);
        tls_session_free(c);
        tls_creds_free(cc);
}

/* TLS 1.3 NewSessionTickets (two, as OpenSSL sends them; Prosody is an OpenSSL server)
 * followed by application data in the same input: gnutls_record_recv returns
 * GNUTLS_E_AGAIN after each ticket, and tls_session_read must still decrypt all of it. */
Test(tls, tickets_then_data_in_one_input)
{
        char ca[512], crt[512], key[512], err[256];
        gnutls_certificate_credentials_t x509;
        gnutls_datum_t tkey = {NULL, 0};
        struct raw_server r;
        struct tls_creds *cc = creds("harness.test", PRIO_13);
        struct tls_session *c =
            tls_session_new(cc, TLS_ROLE_CLIENT, "partner.test", false, NULL, err, sizeof(err));
        enum tls_status cst = TLS_AGAIN;
        int src = GNUTLS_E_AGAIN;
        static const char msg[] = "<stream:stream from='partner.test'>";
        struct buf plain;

        cr_assert_not_null(c, "%s", err);
        buf_init(&plain, 0);
        cert_path(ca, sizeof(ca), "ca", "pem");
        cert_path(crt, sizeof(crt), "partner.test", "pem");
        cert_path(key, sizeof(key), "partner.test", "key");
        cr_assert_eq(gnutls_certificate_allocate_credentials(&x509), 0);
        cr_assert_eq(gnutls_certificate_set_x509_trust_file(x509, ca, GNUTLS_X509_FMT_PEM), 1);
        cr_assert_eq(
            gnutls_certificate_set_x509_key_file2(x509, crt, key, GNUTLS_X509_FMT_PEM, NULL, 0), 0);
        cr_assert_eq(gnutls_session_ticket_key_generate(&tkey), 0);
        buf_init(&r.in, 0);
        buf_init(&r.out, 0);
        cr_assert_eq(gnutls_init(&r.gs, GNUTLS_SERVER | GNUTLS_NONBLOCK), 0);
        cr_assert_eq(gnutls_priority_set_direct(r.gs, PRIO_13, NULL), 0);
        cr_assert_eq(gnutls_credentials_set(r.gs, GNUTLS_CRD_CERTIFICATE, x509), 0);
        cr_assert_eq(gnutls_session_ticket_enable_server(r.gs, &tkey), 0);
        gnutls_transport_set_ptr(r.gs, &r);
        gnutls_transport_set_push_function(r.gs, raw_push);
        gnutls_transport_set_pull_function(r.gs, raw_pull);
        for (int i = 0; i < MAX_ROUNDS; i++) {
                struct buf *out = tls_session_output(c);
                size_t moved;

                if (cst != TLS_DONE)
                        cst = tls_session_handshake(c);
                if (src != 0)
                        src = gnutls_handshake(r.gs);
                moved = out->len;
                cr_assert_eq(buf_append(&r.in, out->data, out->len), 0);
                buf_consume(out, out->len);
                if (src != 0 || cst != TLS_DONE) {
                        moved += r.out.len;
                        cr_assert_eq(tls_session_input(c, r.out.data, r.out.len), 0);
                        buf_consume(&r.out, r.out.len);
                }
                if (moved == 0)
                        break;
        }
        cr_assert_eq(cst, TLS_DONE, "%s", tls_session_error(c));
        cr_assert_eq(src, 0, "%s", gnutls_strerror(src));
        /* Whatever tickets the handshake queued, two more, then data: one input. */
        cr_assert_eq(gnutls_session_ticket_send(r.gs, 2, 0), 0);
        cr_assert_eq(gnutls_record_send(r.gs, msg, sizeof(msg) - 1), (ssize_t)(sizeof(msg) - 1));
        cr_assert_eq(tls_session_input(c, r.out.data, r.out.len), 0);
        buf_consume(&r.out, r.out.len);
        cr_expect_eq(tls_session_read(c, &plain), TLS_AGAIN, "%s", tls_session_error(c));
        cr_expect_eq(plain.len, sizeof(msg) - 1, "decrypted %zu of %zu bytes", plain.len,
                     sizeof(msg) - 1);
        cr_expect(plain.len == sizeof(msg) - 1 && memcmp(plain.data, msg, plain.len) == 0);
        gnutls_deinit(r.gs);
        gnutls_free(tkey.data);
        gnutls_certificate_free_credentials(x509);
        buf_cleanup(&plain);
        buf_cleanup(&r.in);
        buf_cleanup(&r.out);
        tls_session_free(c);
        tls_creds_free(cc);
}

/* ---- API edges ---- */

Test(tls, alpn_and_sni)
{
        struct tls_creds *cc = creds(NULL, NULL), *sc = creds("partner.test", NULL);
        char err[256];
        struct pair p = {0};
        struct tls_peer cv, sv;

        p.c = tls_session_new(cc, TLS_ROLE_CLIENT, "partner.test", false, "xmpp-server", err,
                              sizeof(err));
        cr_assert_not_null(p.c, "%s", err);
        p.s = tls_session_new(sc, TLS_ROLE_SERVER, NULL, false, "xmpp-server", err, sizeof(err));
        cr_assert_not_null(p.s, "%s", err);
        p.ccreds = cc;
        p.screds = sc;
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.c, &cv), 0);
        cr_assert_eq(tls_session_peer(p.s, &sv), 0);
        cr_expect_str_eq(cv.alpn, "xmpp-server");
        cr_expect_str_eq(sv.alpn, "xmpp-server");
        cr_expect_str_eq(sv.sni, "partner.test");
        cr_expect_str_eq(cv.sni, "", "the client records no SNI");
        tls_peer_cleanup(&cv);
        tls_peer_cleanup(&sv);
        pair_close(&p);
}

Test(tls, before_handshake_is_refused)
{
        struct pair p;
        struct tls_peer pv;
        struct buf plain;

        buf_init(&plain, 0);
        pair_open(&p, NULL, "partner.test", NULL, NULL, false);
        cr_expect_eq(tls_session_write(p.c, "x", 1), -1);
        cr_expect_neq(tls_session_error(p.c)[0], '\0');
        cr_expect_eq(tls_session_read(p.c, &plain), TLS_FAILED);
        cr_expect_eq(tls_session_peer(p.c, &pv), -1);
        tls_peer_cleanup(&pv);
        /* Those refusals did not kill the session. */
        pair_handshake(&p);
        expect_done(&p);
        buf_cleanup(&plain);
        pair_close(&p);
}

Test(tls, input_queue_is_bounded)
{
        struct pair p;
        char *chunk = calloc(1, 1024 * 1024);

        cr_assert_not_null(chunk);
        pair_open(&p, NULL, "partner.test", NULL, NULL, false);
        for (int i = 0; i < 4; i++)
                cr_assert_eq(tls_session_input(p.s, chunk, 1024 * 1024), 0);
        cr_expect_eq(tls_session_input(p.s, chunk, 1), -1);
        free(chunk);
        pair_close(&p);
}

Test(tls, server_needs_certificate)
{
        struct tls_creds *cr = creds(NULL, NULL);
        char err[256];

        cr_expect_null(tls_session_new(cr, TLS_ROLE_SERVER, NULL, false, NULL, err, sizeof(err)));
        cr_expect(strstr(err, "certificate") != NULL, "%s", err);
        tls_creds_free(cr);
        tls_creds_free(NULL);
        tls_session_free(NULL);
}

Test(tls, bad_priority_names_position)
{
        struct tls_creds_config c = {0};
        char err[256];

        c.priority = "NORMAL:+VERS-TLS1.2:%BOGUS";
        cr_expect_null(tls_creds_new(&c, err, sizeof(err)));
        cr_expect(strstr(err, "position 20") != NULL, "%s", err);
        cr_expect(strstr(err, "%BOGUS") != NULL, "%s", err);
}

/* Error texts name files, never key material. */
Test(tls, load_errors_hide_keys)
{
        struct tls_creds_config c = {0};
        char ca[512], crt[512], key[512], err[512];
        gnutls_datum_t keypem = {NULL, 0};

        cert_path(ca, sizeof(ca), "ca", "pem");
        cert_path(crt, sizeof(crt), "partner.test", "pem");
        cert_path(key, sizeof(key), "harness.test", "key"); /* not this certificate's key */
        c.ca_file = ca;
        c.cert_file = crt;
        c.key_file = key;
        cr_expect_null(tls_creds_new(&c, err, sizeof(err)));
        cr_expect(strstr(err, "partner.test.pem") != NULL, "%s", err);
        cr_assert_eq(gnutls_load_file(key, &keypem), 0);
        {
                /* The base64 body of the key, first line after the header. */
                const char *body = strchr((const char *)keypem.data, '\n');
                char line[32];

                cr_assert_not_null(body);
                snprintf(line, sizeof(line), "%.20s", body + 1);
                cr_expect(strstr(err, line) == NULL, "key material in \"%s\"", err);
                cr_expect(strstr(err, "PRIVATE KEY") == NULL, "%s", err);
        }
        gnutls_free(keypem.data);

        c.cert_file = key; /* a key where the certificate should be */
        c.key_file = key;
        cr_expect_null(tls_creds_new(&c, err, sizeof(err)));
        cr_expect(strstr(err, "PRIVATE KEY") == NULL, "%s", err);

        c.ca_file = "/nonexistent/ca.pem";
        c.cert_file = NULL;
        c.key_file = NULL;
        cr_expect_null(tls_creds_new(&c, err, sizeof(err)));
        cr_expect(strstr(err, "/nonexistent/ca.pem") != NULL, "%s", err);

        c.ca_file = NULL;
        c.cert_file = crt;
        cr_expect_null(tls_creds_new(&c, err, sizeof(err)), "certificate without key");
}

/* An untrusting client (no CA file) still completes the handshake and records why the
 * chain failed: verification never aborts inside the TLS layer. */
Test(tls, no_trust_anchors_records_untrusted)
{
        struct tls_creds_config c = {0};
        char err[256];
        struct pair p = {0};
        struct tls_peer cv;

        p.ccreds = tls_creds_new(&c, err, sizeof(err));
        cr_assert_not_null(p.ccreds, "%s", err);
        p.screds = creds("partner.test", NULL);
        p.c = tls_session_new(p.ccreds, TLS_ROLE_CLIENT, NULL, false, NULL, err, sizeof(err));
        p.s = tls_session_new(p.screds, TLS_ROLE_SERVER, NULL, false, NULL, err, sizeof(err));
        cr_assert(p.c != NULL && p.s != NULL);
        pair_handshake(&p);
        expect_done(&p);
        cr_assert_eq(tls_session_peer(p.c, &cv), 0);
        cr_expect_not(cv.chain_ok);
        cr_expect(cv.untrusted, "%s", cv.verify_text);
        cr_expect_eq(certid_match(&cv.ids, "partner.test"), CERTID_DNS);
        tls_peer_cleanup(&cv);
        pair_close(&p);
}

/* Logging stays off stderr, also through failures (reference/toolchain.md §2b). */
Test(tls, quiet_on_stderr, .init = cr_redirect_stderr)
{
        struct pair p;

        pair_open(&p, "harness.test", "partner.test-expired", PRIO_13, NULL, true);
        pair_handshake(&p);
        expect_done(&p);
        pair_close(&p);
        pair_open(&p, NULL, "partner.test", PRIO_12, PRIO_13, false);
        pair_handshake(&p);
        cr_expect_eq(p.cst, TLS_FAILED);
        pair_close(&p);
        fflush(stderr);
        cr_expect_stderr_eq_str("");
}

/* The operator's files: each error names the option, the file and the fix (issue 9:
 * a missing --cert and a missing --key both said "Error while reading file."). */
Test(tls, operator_file_errors_name_option_file_fix, .timeout = 10)
{
        char ca[512], crt[512], key[512], pkey[512], expired[512], expkey[512], notyet[512];
        char notyetkey[512], tmp[] = "/tmp/s2s-tls-XXXXXX", fifo[64], err[1024];
        struct {
                const char *ca, *cert, *key;
                const char *says[3];
        } cases[] = {
            {ca,
             "/nonexistent/h.pem",
             key,
             {"--cert /nonexistent/h.pem: cannot open: No such file",
              "pass the harness certificate (PEM)", NULL}},
            {ca,
             crt,
             "/nonexistent/h.key",
             {"--key /nonexistent/h.key: cannot open: No such file",
              "pass the key that belongs to --cert", NULL}},
            {ca,
             crt,
             ca,
             {"--key ", "ca.pem: not an unencrypted PEM private key (GnuTLS: ",
              "): pass the key that belongs to --cert"}},
            {ca,
             crt,
             pkey,
             {"--key ", "partner.test.key is not the key of --cert ",
              "harness.test.pem (GnuTLS: "}},
            {ca,
             expired,
             expkey,
             {"--cert ", "harness.test-expired.pem: expired on ",
              "pass a certificate that is valid now"}},
            {ca, notyet, notyetkey, {"harness.test-notyet.pem: not valid before ", NULL, NULL}},
            {ca, key, key, {"--cert ", "harness.test.key: not a PEM certificate (GnuTLS: ", NULL}},
            {key,
             crt,
             key,
             {"--ca ", "harness.test.key: no PEM certificate in it: pass the partner's CA", NULL}},
            {"/tmp", crt, key, {"--ca /tmp: not a regular file but a directory", NULL, NULL}},
            {fifo,
             crt,
             key,
             {"--ca /tmp/s2s-tls-", "/ca.pem: not a regular file but a FIFO", NULL}},
        };

        cert_path(ca, sizeof(ca), "ca", "pem");
        cert_path(crt, sizeof(crt), "harness.test", "pem");
        cert_path(key, sizeof(key), "harness.test", "key");
        cert_path(pkey, sizeof(pkey), "partner.test", "key");
        cert_path(expired, sizeof(expired), "harness.test-expired", "pem");
        cert_path(expkey, sizeof(expkey), "harness.test-expired", "key");
        cert_path(notyet, sizeof(notyet), "harness.test-notyet", "pem");
        cert_path(notyetkey, sizeof(notyetkey), "harness.test-notyet", "key");
        cr_assert_not_null(mkdtemp(tmp));
        snprintf(fifo, sizeof(fifo), "%s/ca.pem", tmp);
        cr_assert_eq(mkfifo(fifo, 0600), 0);
        for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
                struct tls_creds_config c = {0};

                c.ca_file = cases[i].ca;
                c.cert_file = cases[i].cert;
                c.key_file = cases[i].key;
                c.ca_opt = "--ca";
                c.cert_opt = "--cert";
                c.key_opt = "--key";
                c.refuse_expired = true;
                err[0] = '\0';
                cr_expect_null(tls_creds_new(&c, err, sizeof(err)), "case %zu loaded", i);
                for (int k = 0; k < 3 && cases[i].says[k] != NULL; k++)
                        cr_expect_not_null(strstr(err, cases[i].says[k]), "case %zu: \"%s\"", i,
                                           err);
        }
        unlink(fifo);
        rmdir(tmp);
}

/* A certificate variant may be expired on purpose: only refuse_expired refuses it. */
Test(tls, expired_certificate_loads_as_a_variant)
{
        struct tls_creds_config c = {0};
        char crt[512], key[512], err[512] = "";
        struct tls_creds *cr;

        cert_path(crt, sizeof(crt), "harness.test-expired", "pem");
        cert_path(key, sizeof(key), "harness.test-expired", "key");
        c.cert_file = crt;
        c.key_file = key;
        cr = tls_creds_new(&c, err, sizeof(err));
        cr_expect_not_null(cr, "%s", err);
        cr_expect(tls_creds_has_cert(cr));
        tls_creds_free(cr);
}

/* Without a CA file the system's store is used (Debian: ca-certificates). The empty
 * store is tested by tests/cli/operator.sh, which hides the bundle in a mount
 * namespace. */
Test(tls, system_trust_store)
{
        struct tls_creds_config c = {0};
        char err[512] = "";
        struct tls_creds *cr;
        struct stat st;

        c.system_trust = true;
        c.ca_opt = "--ca";
        cr = tls_creds_new(&c, err, sizeof(err));
        if (stat("/etc/ssl/certs/ca-certificates.crt", &st) == 0 && st.st_size > 0) {
                cr_expect_not_null(cr, "%s", err);
        } else {
                cr_expect_null(cr);
                cr_expect_not_null(strstr(err, "no --ca given and the system trust store is empty"),
                                   "%s", err);
                cr_expect_not_null(strstr(err, "install the ca-certificates package, or pass --ca"),
                                   "%s", err);
        }
        tls_creds_free(cr);
}

/* --keylog (tls_creds_config.keylog): the lines each side hands over. */
struct keylines {
        char text[4096];
        size_t n;
};

static void keylines_add(void *user, const char *line)
{
        struct keylines *k = user;
        size_t len = strlen(k->text);

        cr_assert_lt(len + strlen(line), sizeof(k->text));
        memcpy(k->text + len, line, strlen(line) + 1);
        k->n++;
}

/* Whether every line of text is "LABEL <64 hex> <secret_hex hex>\n" with one of labels. */
static bool keylines_well_formed(const char *text, const char *const *labels, size_t nlabels,
                                 size_t secret_hex)
{
        const char *p = text;

        while (*p != '\0') {
                const char *sp = strchr(p, ' ');
                bool known = false;
                size_t i;

                if (sp == NULL)
                        return false;
                for (i = 0; i < nlabels; i++)
                        known |= strlen(labels[i]) == (size_t)(sp - p) &&
                                 strncmp(labels[i], p, (size_t)(sp - p)) == 0;
                if (!known)
                        return false;
                p = sp + 1;
                for (i = 0; i < 64; i++, p++)
                        if (strchr("0123456789abcdef", *p) == NULL || *p == '\0')
                                return false;
                if (*p++ != ' ')
                        return false;
                for (i = 0; i < secret_hex; i++, p++)
                        if (strchr("0123456789abcdef", *p) == NULL || *p == '\0')
                                return false;
                if (*p++ != '\n')
                        return false;
        }
        return true;
}

static void keylog_pair(const char *prio, struct keylines *ck, struct keylines *sk)
{
        struct pair p;
        char err[256];

        memset(&p, 0, sizeof(p));
        memset(ck, 0, sizeof(*ck));
        memset(sk, 0, sizeof(*sk));
        p.ccreds = test_creds_keylog("harness.test", prio, keylines_add, ck);
        p.screds = test_creds_keylog("partner.test", prio, keylines_add, sk);
        p.c = tls_session_new(p.ccreds, TLS_ROLE_CLIENT, "partner.test", false, NULL, err,
                              sizeof(err));
        cr_assert_not_null(p.c, "%s", err);
        p.s = tls_session_new(p.screds, TLS_ROLE_SERVER, NULL, true, NULL, err, sizeof(err));
        cr_assert_not_null(p.s, "%s", err);
        pair_handshake(&p);
        expect_done(&p);
        pair_close(&p);
}

Test(tls, keylog_tls13_both_ends_log_the_same_secrets)
{
        static const char *const labels[] = {
            "CLIENT_HANDSHAKE_TRAFFIC_SECRET", "SERVER_HANDSHAKE_TRAFFIC_SECRET",
            "CLIENT_TRAFFIC_SECRET_0", "SERVER_TRAFFIC_SECRET_0", "EXPORTER_SECRET"};
        struct keylines ck, sk;

        /* The default priority's TLS 1.3 suite here is AES-256-GCM-SHA384: 48-byte secrets. */
        keylog_pair(PRIO_13 ":-AES-128-GCM:-AES-128-CCM:-CHACHA20-POLY1305", &ck, &sk);
        cr_expect_eq(ck.n, 5, "client lines: %s", ck.text);
        cr_expect(keylines_well_formed(ck.text, labels, 5, 96), "client: %s", ck.text);
        cr_expect_str_eq(ck.text, sk.text, "both ends derive the same secrets");
        for (size_t i = 0; i < 4; i++) {
                char want[64];

                snprintf(want, sizeof(want), "%s ", labels[i]);
                cr_expect(strstr(ck.text, want) != NULL, "%s missing: %s", labels[i], ck.text);
        }
}

Test(tls, keylog_tls12_client_random)
{
        static const char *const labels[] = {"CLIENT_RANDOM"};
        struct keylines ck, sk;

        keylog_pair(PRIO_12, &ck, &sk);
        cr_expect_eq(ck.n, 1, "client lines: %s", ck.text);
        cr_expect(keylines_well_formed(ck.text, labels, 1, 96), "client: %s", ck.text);
        cr_expect_str_eq(ck.text, sk.text);
}

Test(tls, keylog_off_by_default)
{
        struct pair p;

        /* Without a hook nothing is handed out: the pair of test_creds has none, and
         * the handshake still completes (the hook of tls.c swallows the secrets). */
        pair_open(&p, "harness.test", "partner.test", NULL, NULL, true);
        pair_handshake(&p);
        expect_done(&p);
        pair_close(&p);
}
