#include "tls.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "infile.h"
#include "util.h"

/* Queued, not yet decrypted ciphertext. A peer that floods us faster than the engine
 * reads is cut off rather than buffered without end. */
#define TLS_INPUT_LIMIT (4u * 1024 * 1024)
/* gnutls_record_recv/handshake calls per tls_session_* call; each one makes progress,
 * so this only guards against a library loop. */
#define TLS_MAX_STEPS 100000

struct tls_creds {
        gnutls_certificate_credentials_t x509;
        gnutls_priority_t prio;
        bool has_cert;
        void (*keylog)(void *user, const char *line);
        void *keylog_user;
};

struct tls_session {
        gnutls_session_t gs;
        enum tls_role role;
        const struct tls_creds *creds;
        struct buf in; /* ciphertext from the peer, consumed from the front by pull */
        struct buf out;
        bool eof;       /* the peer closed the transport */
        bool done;      /* handshake complete */
        bool failed;    /* fatal error: the session is dead */
        bool closed;    /* close_notify received */
        int alert_recv; /* -1 or gnutls_alert_description_t */
        int alert_sent;
        char error[256];
};

static void quiet_log(int level, const char *msg)
{
        (void)level;
        (void)msg;
}

static void quiet_audit(gnutls_session_t s, const char *msg)
{
        (void)s;
        (void)msg;
}

/* reference/toolchain.md §2b: only GNUTLS_DEBUG_LEVEL in the environment makes GnuTLS
 * print, and these calls silence it from here on. */
static void tls_quiet(void)
{
        gnutls_global_set_log_function(quiet_log);
        gnutls_global_set_audit_log_function(quiet_audit);
        gnutls_global_set_log_level(0);
}

/* Operator files are small; a larger one is not a certificate, a key or a CA list. */
#define TLS_PEM_FILE_MAX (4u * 1024 * 1024)

static const char *label(const char *opt, const char *dflt)
{
        return opt != NULL ? opt : dflt;
}

/* Reads a PEM file whole; the error is "LABEL FILE: why: fix". Free with free_pem. */
static int read_pem(const char *lbl, const char *file, const char *fix, gnutls_datum_t *out,
                    char *err, size_t errlen)
{
        char *data = NULL;
        size_t len = 0;

        if (infile_read_opt(lbl, file, fix, TLS_PEM_FILE_MAX, &data, &len, err, errlen) !=
            INFILE_OK)
                return -1;
        out->data = (unsigned char *)data;
        out->size = (unsigned)len;
        return 0;
}

/* Key material is wiped before it is freed. */
static void free_pem(gnutls_datum_t *d)
{
        if (d->data != NULL)
                gnutls_memset(d->data, 0, d->size);
        free(d->data);
        d->data = NULL;
        d->size = 0;
}

static int load_trust(struct tls_creds *cr, const struct tls_creds_config *c, char *err,
                      size_t errlen)
{
        const char *lbl = label(c->ca_opt, "CA file");
        const char *fix = "pass the partner's CA certificate (PEM)";
        gnutls_datum_t d = {NULL, 0};
        int rc;

        if (c->ca_file != NULL) {
                if (read_pem(lbl, c->ca_file, fix, &d, err, errlen) != 0)
                        return -1;
                /* Returns the number of certificates loaded; none is an error for us. */
                rc = gnutls_certificate_set_x509_trust_mem(cr->x509, &d, GNUTLS_X509_FMT_PEM);
                free_pem(&d);
                if (rc == 0)
                        util_format(err, errlen, "%s %s: no PEM certificate in it: %s", lbl,
                                    c->ca_file, fix);
                else if (rc < 0)
                        util_format(err, errlen, "%s %s: not a PEM certificate (GnuTLS: %s): %s",
                                    lbl, c->ca_file, gnutls_strerror(rc), fix);
                return rc > 0 ? 0 : -1;
        }
        if (c->ca_pem != NULL) {
                d.data = (unsigned char *)c->ca_pem;
                d.size = (unsigned)strlen(c->ca_pem);
                rc = gnutls_certificate_set_x509_trust_mem(cr->x509, &d, GNUTLS_X509_FMT_PEM);
                if (rc <= 0)
                        util_format(err, errlen, "cannot load the in-memory CA: %s",
                                    rc == 0 ? "no certificate in it" : gnutls_strerror(rc));
                return rc > 0 ? 0 : -1;
        }
        if (!c->system_trust)
                return 0;
        /* Debian's GnuTLS reads /etc/ssl/certs/ca-certificates.crt (ca-certificates). */
        rc = gnutls_certificate_set_x509_system_trust(cr->x509);
        if (rc <= 0) {
                util_format(err, errlen,
                            "no %s given and the system trust store is empty (%s%s): install the "
                            "ca-certificates package, or pass %s FILE (the partner's CA)",
                            lbl, rc == 0 ? "0 certificates loaded" : "GnuTLS: ",
                            rc == 0 ? "" : gnutls_strerror(rc), lbl);
                return -1;
        }
        return 0;
}

/* A certificate that is not valid now, for the operator's own (c->refuse_expired). */
static int check_validity(gnutls_x509_crt_t crt, const char *lbl, const char *file, char *err,
                          size_t errlen)
{
        time_t now = time(NULL), from = gnutls_x509_crt_get_activation_time(crt);
        time_t until = gnutls_x509_crt_get_expiration_time(crt);
        time_t when = until < now ? until : from;
        char date[64] = "?";
        struct tm tm;

        if (from <= now && now <= until)
                return 0;
        if (gmtime_r(&when, &tm) != NULL)
                strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S UTC", &tm);
        util_format(err, errlen,
                    "%s %s: %s %s: pass a certificate that is valid now (docs/certificates.md "
                    "says how to issue one)",
                    lbl, file, until < now ? "expired on" : "not valid before", date);
        return -1;
}

/* The operator's certificate and key files: each error says which file is wrong. */
static int load_cert_files(struct tls_creds *cr, const struct tls_creds_config *c, char *err,
                           size_t errlen)
{
        const char *clbl = label(c->cert_opt, "certificate");
        const char *klbl = label(c->key_opt, "key");
        gnutls_datum_t cd = {NULL, 0}, kd = {NULL, 0};
        gnutls_x509_crt_t *crts = NULL;
        gnutls_x509_privkey_t key = NULL;
        unsigned ncrts = 0;
        char fix[160];
        int rc, ret = -1;

        snprintf(fix, sizeof(fix), "pass the key that belongs to %s", clbl);
        if (read_pem(clbl, c->cert_file, "pass the harness certificate (PEM)", &cd, err, errlen) !=
                0 ||
            read_pem(klbl, c->key_file, fix, &kd, err, errlen) != 0)
                goto out;
        rc = gnutls_x509_crt_list_import2(&crts, &ncrts, &cd, GNUTLS_X509_FMT_PEM, 0);
        if (rc < 0 || ncrts == 0) {
                util_format(
                    err, errlen,
                    "%s %s: not a PEM certificate (GnuTLS: %s): pass the harness certificate "
                    "(PEM)",
                    clbl, c->cert_file,
                    rc < 0 ? gnutls_strerror(rc) : "no certificate in the file");
                goto out;
        }
        if (c->refuse_expired && check_validity(crts[0], clbl, c->cert_file, err, errlen) != 0)
                goto out;
        /* The GnuTLS error text names the problem, never the key's content. */
        rc = gnutls_x509_privkey_init(&key);
        if (rc >= 0)
                rc = gnutls_x509_privkey_import2(key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
        if (rc < 0) {
                util_format(err, errlen,
                            "%s %s: not an unencrypted PEM private key (GnuTLS: %s): %s", klbl,
                            c->key_file, gnutls_strerror(rc), fix);
                goto out;
        }
        rc = gnutls_certificate_set_x509_key(cr->x509, crts, ncrts, key);
        if (rc == GNUTLS_E_CERTIFICATE_KEY_MISMATCH) {
                util_format(err, errlen, "%s %s is not the key of %s %s (GnuTLS: %s): %s", klbl,
                            c->key_file, clbl, c->cert_file, gnutls_strerror(rc), fix);
                goto out;
        }
        if (rc < 0) {
                util_format(err, errlen, "%s %s with %s %s: cannot be used (GnuTLS: %s)", clbl,
                            c->cert_file, klbl, c->key_file, gnutls_strerror(rc));
                goto out;
        }
        cr->has_cert = true;
        ret = 0;
out:
        for (unsigned i = 0; i < ncrts; i++)
                gnutls_x509_crt_deinit(crts[i]);
        gnutls_free(crts);
        if (key != NULL)
                gnutls_x509_privkey_deinit(key);
        free_pem(&cd);
        free_pem(&kd);
        return ret;
}

struct tls_creds *tls_creds_new(const struct tls_creds_config *c, char *err, size_t errlen)
{
        struct tls_creds *cr;
        const char *prio = c->priority != NULL ? c->priority : TLS_DEFAULT_PRIORITY;
        const char *errpos = NULL;
        int rc;

        tls_quiet();
        util_format(err, errlen, "%s", "");
        if ((c->cert_file == NULL) != (c->key_file == NULL) ||
            (c->cert_file == NULL && (c->cert_pem == NULL) != (c->key_pem == NULL))) {
                util_format(err, errlen,
                            "a TLS certificate needs its key and a key its certificate");
                return NULL;
        }
        cr = calloc(1, sizeof(*cr));
        if (cr == NULL) {
                util_format(err, errlen, "out of memory");
                return NULL;
        }
        rc = gnutls_certificate_allocate_credentials(&cr->x509);
        if (rc < 0) {
                cr->x509 = NULL;
                util_format(err, errlen, "TLS credentials: %s", gnutls_strerror(rc));
                goto fail;
        }
        cr->keylog = c->keylog;
        cr->keylog_user = c->keylog_user;
        if (load_trust(cr, c, err, errlen) != 0)
                goto fail;
        if (c->cert_file == NULL && c->cert_pem != NULL) {
                gnutls_datum_t cd = {(unsigned char *)c->cert_pem, (unsigned)strlen(c->cert_pem)};
                gnutls_datum_t kd = {(unsigned char *)c->key_pem, (unsigned)strlen(c->key_pem)};

                rc = gnutls_certificate_set_x509_key_mem2(cr->x509, &cd, &kd, GNUTLS_X509_FMT_PEM,
                                                          NULL, 0);
                if (rc < 0) {
                        util_format(err, errlen, "cannot load the in-memory certificate: %s",
                                    gnutls_strerror(rc));
                        goto fail;
                }
                cr->has_cert = true;
        }
        if (c->cert_file != NULL && load_cert_files(cr, c, err, errlen) != 0)
                goto fail;
        rc = gnutls_priority_init(&cr->prio, prio, &errpos);
        if (rc < 0) {
                cr->prio = NULL;
                if (rc == GNUTLS_E_INVALID_REQUEST && errpos != NULL && errpos >= prio)
                        util_format(err, errlen,
                                    "bad TLS priority string \"%s\": error at position %ld (at "
                                    "\"%s\")",
                                    prio, (long)(errpos - prio), errpos);
                else
                        util_format(err, errlen, "bad TLS priority string \"%s\": %s", prio,
                                    gnutls_strerror(rc));
                goto fail;
        }
        return cr;
fail:
        tls_creds_free(cr);
        return NULL;
}

bool tls_creds_has_cert(const struct tls_creds *c)
{
        return c != NULL && c->has_cert;
}

void tls_creds_free(struct tls_creds *c)
{
        if (c == NULL)
                return;
        if (c->prio != NULL)
                gnutls_priority_deinit(c->prio);
        if (c->x509 != NULL)
                gnutls_certificate_free_credentials(c->x509);
        free(c);
}

/* ---- transport callbacks: memory buffers instead of a socket ---- */

static ssize_t tls_push(gnutls_transport_ptr_t ptr, const void *data, size_t len)
{
        struct tls_session *s = ptr;

        if (buf_append(&s->out, data, len) != 0) {
                gnutls_transport_set_errno(s->gs, ENOMEM);
                return -1;
        }
        return (ssize_t)len;
}

static ssize_t tls_pull(gnutls_transport_ptr_t ptr, void *data, size_t len)
{
        struct tls_session *s = ptr;

        if (s->in.len == 0) {
                if (s->eof)
                        return 0;
                gnutls_transport_set_errno(s->gs, EAGAIN);
                return -1;
        }
        if (len > s->in.len)
                len = s->in.len;
        memcpy(data, s->in.data, len);
        buf_consume(&s->in, len);
        buf_trim(&s->in); /* drained: an idle session keeps no input queue */
        return (ssize_t)len;
}

/* Without this GnuTLS would poll() the (non-existent) descriptor when it wants to wait. */
static int tls_pull_timeout(gnutls_transport_ptr_t ptr, unsigned ms)
{
        struct tls_session *s = ptr;

        (void)ms;
        if (s->in.len > 0 || s->eof)
                return 1;
        gnutls_transport_set_errno(s->gs, EAGAIN);
        return -1;
}

/*
 * GnuTLS's key log hook (gnutls_session_set_keylog_function): one NSS key log line per
 * secret, "LABEL <client random> <secret>" in lower-case hex, the labels as GnuTLS
 * names them (TLS 1.3: CLIENT_HANDSHAKE_TRAFFIC_SECRET ... ; TLS 1.2: CLIENT_RANDOM).
 * The line is wiped once handed over.
 */
static int tls_keylog(gnutls_session_t gs, const char *label, const gnutls_datum_t *secret)
{
        struct tls_session *s = gnutls_session_get_ptr(gs);
        gnutls_datum_t crandom = {NULL, 0}, srandom = {NULL, 0};
        /* Labels are short; randoms are 32 bytes; secrets at most 64 (SHA-384 is 48). */
        char line[64 + 1 + 2 * 32 + 1 + 2 * 64 + 2];
        size_t n;
        int w;

        if (s == NULL || s->creds->keylog == NULL || secret->size > 64)
                return 0;
        gnutls_session_get_random(gs, &crandom, &srandom);
        w = snprintf(line, sizeof(line), "%s ", label);
        if (w < 0 || (size_t)w >= sizeof(line) - (2 * 32 + 1 + 2 * 64 + 2) || crandom.size != 32)
                return 0;
        n = (size_t)w;
        for (unsigned i = 0; i < crandom.size; i++, n += 2)
                snprintf(line + n, 3, "%02x", crandom.data[i]);
        line[n++] = ' ';
        for (unsigned i = 0; i < secret->size; i++, n += 2)
                snprintf(line + n, 3, "%02x", secret->data[i]);
        line[n++] = '\n';
        line[n] = '\0';
        s->creds->keylog(s->creds->keylog_user, line);
        gnutls_memset(line, 0, sizeof(line));
        return 0;
}

struct tls_session *tls_session_new(struct tls_creds *creds, enum tls_role role, const char *sni,
                                    bool request_client_cert, const char *alpn, char *err,
                                    size_t errlen)
{
        struct tls_session *s;
        unsigned flags;
        int rc;

        util_format(err, errlen, "%s", "");
        if (role == TLS_ROLE_SERVER && !creds->has_cert) {
                util_format(err, errlen, "a TLS server needs a certificate");
                return NULL;
        }
        s = calloc(1, sizeof(*s));
        if (s == NULL) {
                util_format(err, errlen, "out of memory");
                return NULL;
        }
        s->role = role;
        s->creds = creds;
        s->alert_recv = -1;
        s->alert_sent = -1;
        buf_init(&s->in, TLS_INPUT_LIMIT);
        buf_init(&s->out, 0);

        /* GNUTLS_FORCE_CLIENT_CERT: present our certificate even when the peer's
         * CertificateRequest lists other CAs, so that a scenario with an untrusted harness
         * certificate (reference §3.7) really shows it to the partner. */
        flags =
            (role == TLS_ROLE_CLIENT ? GNUTLS_CLIENT | GNUTLS_FORCE_CLIENT_CERT : GNUTLS_SERVER) |
            GNUTLS_NONBLOCK;
        rc = gnutls_init(&s->gs, flags);
        if (rc < 0) {
                s->gs = NULL;
                util_format(err, errlen, "gnutls_init: %s", gnutls_strerror(rc));
                goto fail;
        }
        rc = gnutls_priority_set(s->gs, creds->prio);
        if (rc < 0) {
                util_format(err, errlen, "gnutls_priority_set: %s", gnutls_strerror(rc));
                goto fail;
        }
        rc = gnutls_credentials_set(s->gs, GNUTLS_CRD_CERTIFICATE, creds->x509);
        if (rc < 0) {
                util_format(err, errlen, "gnutls_credentials_set: %s", gnutls_strerror(rc));
                goto fail;
        }
        if (role == TLS_ROLE_CLIENT && sni != NULL && sni[0] != '\0') {
                rc = gnutls_server_name_set(s->gs, GNUTLS_NAME_DNS, sni, strlen(sni));
                if (rc < 0) {
                        util_format(err, errlen, "SNI \"%s\": %s", sni, gnutls_strerror(rc));
                        goto fail;
                }
        }
        if (role == TLS_ROLE_SERVER && request_client_cert) {
                /* REQUEST, not REQUIRE: a dialback-only peer may have no certificate
                 * (XEP-0220), and judging it is the caller's job. */
                gnutls_certificate_server_set_request(s->gs, GNUTLS_CERT_REQUEST);
                /* Without the CA list the peer sends its certificate even when another CA
                 * issued it, so that an untrusted certificate can be reported as such. */
                gnutls_certificate_send_x509_rdn_sequence(s->gs, 1);
        }
        if (alpn != NULL) {
                gnutls_datum_t proto = {(unsigned char *)alpn, (unsigned)strlen(alpn)};

                rc = gnutls_alpn_set_protocols(s->gs, &proto, 1, 0);
                if (rc < 0) {
                        util_format(err, errlen, "ALPN \"%s\": %s", alpn, gnutls_strerror(rc));
                        goto fail;
                }
        }
        /* Timeouts belong to the net layer; GnuTLS must never wait on its own. */
        gnutls_handshake_set_timeout(s->gs, 0);
        gnutls_transport_set_ptr(s->gs, s);
        gnutls_transport_set_push_function(s->gs, tls_push);
        gnutls_transport_set_pull_function(s->gs, tls_pull);
        gnutls_transport_set_pull_timeout_function(s->gs, tls_pull_timeout);
        /* Always a hook of ours: GnuTLS's default one appends to $SSLKEYLOGFILE, and the
         * secrets leave the process only when --keylog asks (docs/security.md). */
        gnutls_session_set_ptr(s->gs, s);
        gnutls_session_set_keylog_function(s->gs, tls_keylog);
        return s;
fail:
        tls_session_free(s);
        return NULL;
}

void tls_session_free(struct tls_session *s)
{
        if (s == NULL)
                return;
        if (s->gs != NULL)
                gnutls_deinit(s->gs);
        buf_cleanup(&s->in);
        buf_cleanup(&s->out);
        free(s);
}

int tls_session_input(struct tls_session *s, const void *data, size_t len)
{
        if (s->eof)
                return -1;
        return buf_append(&s->in, data, len);
}

void tls_session_input_eof(struct tls_session *s)
{
        s->eof = true;
}

struct buf *tls_session_output(struct tls_session *s)
{
        return &s->out;
}

static void record(struct tls_session *s, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void record(struct tls_session *s, const char *fmt, ...)
{
        va_list ap;

        va_start(ap, fmt);
        vsnprintf(s->error, sizeof(s->error), fmt, ap);
        va_end(ap);
}

/* A fatal GnuTLS error: note any alert the peer sent, tell the peer ours, and kill the
 * session. GnuTLS does not send the alert itself (reference/toolchain.md §2b); without it
 * the peer only sees the transport close. */
static enum tls_status fail_with(struct tls_session *s, const char *what, int rc)
{
        if (rc == GNUTLS_E_FATAL_ALERT_RECEIVED) {
                s->alert_recv = (int)gnutls_alert_get(s->gs);
                record(s, "%s failed: the peer sent the fatal alert \"%s\"", what,
                       tls_alert_name(s->alert_recv));
        } else if (rc == GNUTLS_E_PREMATURE_TERMINATION || rc == GNUTLS_E_PULL_ERROR ||
                   rc == GNUTLS_E_PUSH_ERROR) {
                /* The transport is gone (or our queue is); an alert cannot arrive. */
                record(s, "%s failed: %s", what, gnutls_strerror(rc));
        } else {
                int level;
                int alert = gnutls_error_to_alert(rc, &level);

                if (gnutls_alert_send_appropriate(s->gs, rc) == 0 && alert >= 0)
                        s->alert_sent = alert;
                record(s, "%s failed: %s (sent alert \"%s\")", what, gnutls_strerror(rc),
                       tls_alert_name(s->alert_sent));
        }
        s->failed = true;
        return TLS_FAILED;
}

enum tls_status tls_session_handshake(struct tls_session *s)
{
        if (s->failed)
                return TLS_FAILED;
        if (s->done)
                return TLS_DONE;
        for (int step = 0; step < TLS_MAX_STEPS; step++) {
                int rc = gnutls_handshake(s->gs);

                if (rc == GNUTLS_E_SUCCESS) {
                        s->done = true;
                        return TLS_DONE;
                }
                if (rc == GNUTLS_E_AGAIN || rc == GNUTLS_E_INTERRUPTED)
                        return TLS_AGAIN;
                if (rc == GNUTLS_E_WARNING_ALERT_RECEIVED) {
                        /* e.g. unrecognized_name in answer to SNI: not fatal, go on. */
                        s->alert_recv = (int)gnutls_alert_get(s->gs);
                        continue;
                }
                if (!gnutls_error_is_fatal(rc))
                        continue;
                return fail_with(s, "TLS handshake", rc);
        }
        record(s, "TLS handshake: no progress after %d steps", TLS_MAX_STEPS);
        s->failed = true;
        return TLS_FAILED;
}

int tls_session_write(struct tls_session *s, const void *data, size_t len)
{
        const char *p = data;

        if (s->failed || !s->done) {
                if (!s->failed)
                        record(s, "TLS write before the handshake completed");
                return -1;
        }
        for (int step = 0; len > 0; step++) {
                ssize_t n;

                if (step >= TLS_MAX_STEPS) {
                        record(s, "TLS write: no progress after %d steps", TLS_MAX_STEPS);
                        s->failed = true;
                        return -1;
                }
                n = gnutls_record_send(s->gs, p, len);
                if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                        continue; /* not expected with a memory push; GnuTLS asks for a retry */
                if (n < 0) {
                        fail_with(s, "TLS write", (int)n);
                        return -1;
                }
                p += n;
                len -= (size_t)n;
        }
        return 0;
}

enum tls_status tls_session_read(struct tls_session *s, struct buf *plain)
{
        char tmp[16384];

        if (s->failed)
                return TLS_FAILED;
        if (s->closed)
                return TLS_CLOSED;
        if (!s->done) {
                record(s, "TLS read before the handshake completed");
                return TLS_FAILED;
        }
        for (int step = 0; step < TLS_MAX_STEPS; step++) {
                size_t before = s->in.len;
                ssize_t n = gnutls_record_recv(s->gs, tmp, sizeof(tmp));

                if (n > 0) {
                        if (buf_append(plain, tmp, (size_t)n) != 0) {
                                record(s, "TLS read: plaintext buffer full");
                                s->failed = true;
                                return TLS_FAILED;
                        }
                        continue;
                }
                if (n == 0) {
                        s->closed = true;
                        return TLS_CLOSED;
                }
                /* A TLS 1.3 post-handshake message (NewSessionTicket, KeyUpdate) is
                 * handled inside gnutls_record_recv, which then returns GNUTLS_E_AGAIN
                 * whatever follows it (_gnutls13_recv_async_handshake). Records may still
                 * be queued: go on while a call used input. Prosody (OpenSSL) sends two
                 * tickets and then the stream header; stopping here lost the header. */
                if ((n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED) && s->in.len < before)
                        continue;
                if (n == GNUTLS_E_AGAIN || n == GNUTLS_E_INTERRUPTED)
                        return TLS_AGAIN;
                if (n == GNUTLS_E_REHANDSHAKE) {
                        /* RFC 6120 §5.3.5: renegotiation is optional; we refuse it. */
                        int rc =
                            gnutls_alert_send(s->gs, GNUTLS_AL_WARNING, GNUTLS_A_NO_RENEGOTIATION);
                        if (rc < 0)
                                return fail_with(s, "TLS read", rc);
                        continue;
                }
                if (n == GNUTLS_E_WARNING_ALERT_RECEIVED) {
                        s->alert_recv = (int)gnutls_alert_get(s->gs);
                        continue;
                }
                if (!gnutls_error_is_fatal((int)n))
                        continue;
                return fail_with(s, "TLS read", (int)n);
        }
        record(s, "TLS read: no progress after %d steps", TLS_MAX_STEPS);
        s->failed = true;
        return TLS_FAILED;
}

int tls_session_bye(struct tls_session *s)
{
        int rc;

        if (s->failed)
                return -1;
        rc = gnutls_bye(s->gs, GNUTLS_SHUT_WR);
        if (rc < 0) {
                record(s, "TLS close: %s", gnutls_strerror(rc));
                return -1;
        }
        return 0;
}

const char *tls_session_error(const struct tls_session *s)
{
        return s->error;
}

int tls_session_alert_received(const struct tls_session *s)
{
        return s->alert_recv;
}

int tls_session_alert_sent(const struct tls_session *s)
{
        return s->alert_sent;
}

const char *tls_alert_name(int alert)
{
        const char *name;

        if (alert < 0)
                return "none";
        name = gnutls_alert_get_name((gnutls_alert_description_t)alert);
        return name != NULL ? name : "unknown alert";
}

/* ---- peer information ---- */

static void copy_text(char *dst, size_t dstlen, const char *src, size_t srclen)
{
        size_t n = srclen < dstlen - 1 ? srclen : dstlen - 1;

        memcpy(dst, src, n);
        dst[n] = '\0';
}

static int leaf_dn(gnutls_x509_crt_t crt, bool issuer, char *dst, size_t dstlen)
{
        gnutls_datum_t dn = {NULL, 0};
        int rc;

        rc = issuer ? gnutls_x509_crt_get_issuer_dn3(crt, &dn, 0)
                    : gnutls_x509_crt_get_dn3(crt, &dn, 0);
        if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE) {
                dst[0] = '\0';
                return 0;
        }
        if (rc < 0)
                return -1;
        copy_text(dst, dstlen, (const char *)dn.data, dn.size);
        gnutls_free(dn.data);
        return 0;
}

/* RFC 5280 §4.2.1.12: no EKU extension means any purpose; anyExtendedKeyUsage too. */
static int leaf_eku(gnutls_x509_crt_t crt, struct tls_peer *out)
{
        bool any = false;

        out->eku_server = false;
        out->eku_client = false;
        for (unsigned i = 0; i < 64; i++) {
                char oid[128];
                size_t size = sizeof(oid);
                int rc = gnutls_x509_crt_get_key_purpose_oid(crt, i, oid, &size, NULL);

                if (rc == GNUTLS_E_REQUESTED_DATA_NOT_AVAILABLE)
                        break;
                if (rc == GNUTLS_E_SHORT_MEMORY_BUFFER)
                        continue; /* an OID this long is none of ours */
                if (rc < 0)
                        return -1;
                out->eku_present = true;
                if (strcmp(oid, GNUTLS_KP_TLS_WWW_SERVER) == 0)
                        out->eku_server = true;
                else if (strcmp(oid, GNUTLS_KP_TLS_WWW_CLIENT) == 0)
                        out->eku_client = true;
                else if (strcmp(oid, GNUTLS_KP_ANY) == 0)
                        any = true;
        }
        if (!out->eku_present || any) {
                out->eku_server = true;
                out->eku_client = true;
        }
        return 0;
}

int tls_session_peer(struct tls_session *s, struct tls_peer *out)
{
        const gnutls_datum_t *certs;
        unsigned n_certs = 0;
        gnutls_x509_crt_t crt = NULL;
        gnutls_datum_t text = {NULL, 0};
        gnutls_datum_t alpn;
        char *desc;
        const char *ver;
        unsigned status = 0;
        int rc;

        memset(out, 0, sizeof(*out));
        certid_init(&out->ids);
        if (!s->done || s->failed) {
                if (!s->failed)
                        record(s, "TLS peer information before the handshake completed");
                return -1;
        }
        ver = gnutls_protocol_get_name(gnutls_protocol_get_version(s->gs));
        copy_text(out->version, sizeof(out->version), ver != NULL ? ver : "unknown",
                  strlen(ver != NULL ? ver : "unknown"));
        desc = gnutls_session_get_desc(s->gs);
        if (desc != NULL) {
                copy_text(out->desc, sizeof(out->desc), desc, strlen(desc));
                gnutls_free(desc);
        }
        if (gnutls_alpn_get_selected_protocol(s->gs, &alpn) == 0)
                copy_text(out->alpn, sizeof(out->alpn), (const char *)alpn.data, alpn.size);
        if (s->role == TLS_ROLE_SERVER) {
                size_t size = sizeof(out->sni);
                unsigned type;

                if (gnutls_server_name_get(s->gs, out->sni, &size, &type, 0) < 0 ||
                    type != GNUTLS_NAME_DNS)
                        out->sni[0] = '\0';
        }

        certs = gnutls_certificate_get_peers(s->gs, &n_certs);
        if (certs == NULL || n_certs == 0)
                return 0;
        out->has_cert = true;

        /* RFC 6120 §13.7.2 / RFC 5280 §6 path validation against our trust anchors,
         * deliberately without a name: identity is matched by certid. */
        rc = gnutls_certificate_verify_peers2(s->gs, &status);
        if (rc < 0) {
                record(s, "TLS peer certificate verification: %s", gnutls_strerror(rc));
                goto fail;
        }
        out->verify_status = status;
        out->chain_ok = status == 0;
        out->expired = (status & GNUTLS_CERT_EXPIRED) != 0;
        out->not_yet_valid = (status & GNUTLS_CERT_NOT_ACTIVATED) != 0;
        out->untrusted = (status & GNUTLS_CERT_SIGNER_NOT_FOUND) != 0;
        if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &text, 0) == 0) {
                size_t n = strnlen((const char *)text.data, text.size);

                while (n > 0 && text.data[n - 1] == ' ') /* GnuTLS ends each sentence with one */
                        n--;
                copy_text(out->verify_text, sizeof(out->verify_text), (const char *)text.data, n);
                gnutls_free(text.data);
        }

        if (gnutls_x509_crt_init(&crt) < 0) {
                crt = NULL;
                record(s, "TLS peer certificate: out of memory");
                goto fail;
        }
        rc = gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER);
        if (rc < 0) {
                record(s, "TLS peer certificate: %s", gnutls_strerror(rc));
                goto fail;
        }
        out->not_before = gnutls_x509_crt_get_activation_time(crt);
        out->not_after = gnutls_x509_crt_get_expiration_time(crt);
        out->self_signed = gnutls_x509_crt_check_issuer(crt, crt) != 0;
        if (leaf_dn(crt, false, out->subject, sizeof(out->subject)) != 0 ||
            leaf_dn(crt, true, out->issuer, sizeof(out->issuer)) != 0 || leaf_eku(crt, out) != 0) {
                record(s, "TLS peer certificate: unreadable subject, issuer or key usage");
                goto fail;
        }
        if (certid_from_x509(crt, &out->ids) != 0) {
                record(s, "TLS peer certificate: unreadable identities");
                goto fail;
        }
        gnutls_x509_crt_deinit(crt);
        return 0;
fail:
        if (crt != NULL)
                gnutls_x509_crt_deinit(crt);
        tls_peer_cleanup(out);
        return -1;
}

void tls_peer_cleanup(struct tls_peer *p)
{
        if (p == NULL)
                return;
        certid_cleanup(&p->ids);
}
