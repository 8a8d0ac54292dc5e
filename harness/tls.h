/*
 * TLS over memory buffers (sans-I/O) with GnuTLS, for STARTTLS on S2S streams
 * (RFC 6120 §5, RFC 7590).
 *
 * The caller moves bytes: ciphertext read from the wire goes in with
 * tls_session_input, ciphertext to write comes out of tls_session_output. GnuTLS
 * never sees a socket and nothing here reads a clock or blocks (GnuTLS itself
 * reads the clock only to check certificate validity dates).
 *
 * Certificate checks are recorded, never fatal inside this layer: the handshake
 * succeeds with any peer certificate (or none), and tls_session_peer reports
 * chain validation (RFC 6120 §13.7.2, RFC 5280 §6), extended key usage and the
 * presented identities (certid.h). What a failure means is the caller's policy
 * (reference §2.5 CRT-5/6, §3.7).
 */
#ifndef S2S_TLS_H
#define S2S_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "certid.h"

/* Default priority: TLS 1.3 and 1.2 only (RFC 7590 §3.1 via BCP 195: no SSL, no TLS
 * 1.0/1.1; Debian's plain NORMAL still enables 1.0 and 1.1). */
#define TLS_DEFAULT_PRIORITY "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

/* Where the credentials come from. All strings are borrowed for the call only. */
struct tls_creds_config {
        const char *ca_file;   /* PEM trust anchors; NULL = trust nothing (every chain fails) */
        const char *cert_file; /* PEM certificate (chain); NULL = no certificate */
        const char *key_file;  /* PEM private key for cert_file; both or neither */
        const char *priority;  /* GnuTLS priority string; NULL = TLS_DEFAULT_PRIORITY */
        /* In-memory PEM alternatives (e.g. the run-time PKI of pki.h); each is used
         * only when its file counterpart is NULL. */
        const char *ca_pem;
        const char *cert_pem;
        const char *key_pem;
        /* With neither ca_file nor ca_pem: true trusts the system's store
         * (gnutls_certificate_set_x509_system_trust; real partners use public CAs), and
         * a store with no certificate is an error; false trusts nothing. */
        bool system_trust;
        /* How the operator named the files ("--ca", "--cert", "--key"), so that each
         * error names the option, the file and the fix; NULL: "CA file",
         * "certificate", "key". */
        const char *ca_opt, *cert_opt, *key_opt;
        /* Refuse a cert_file that has expired or is not yet valid (the operator's own
         * certificate; a certificate variant may be expired on purpose). */
        bool refuse_expired;
        /* --keylog (keylog.h): when set, every session made with these credentials
         * hands it each of its secrets as one NSS key log line ("LABEL CLIENT_RANDOM
         * SECRET\n", hex; the SSLKEYLOGFILE format), for decrypting a capture. NULL: no
         * secret leaves GnuTLS (the default; $SSLKEYLOGFILE is ignored too). */
        void (*keylog)(void *user, const char *line);
        void *keylog_user;
};

struct tls_creds;

/* Loads trust anchors, certificate, key and priority once, to be shared by many
 * sessions (which borrow it: free the credentials only after their last session).
 * Files are read with infile_read (a FIFO or device is refused, never waited on).
 * Also keeps GnuTLS's own logging off stderr. Returns NULL and writes a reason into err
 * (never key material) on failure: "OPTION FILE: what is wrong (GnuTLS: ...): the
 * fix" for a file; a bad priority string names the position of the error. */
struct tls_creds *tls_creds_new(const struct tls_creds_config *c, char *err, size_t errlen);

/* NULL-safe. */
void tls_creds_free(struct tls_creds *c);

/* Whether c holds a certificate (and so can be a TLS server). False for NULL. */
bool tls_creds_has_cert(const struct tls_creds *c);

enum tls_role {
        TLS_ROLE_CLIENT, /* the initiating server after <proceed/> */
        TLS_ROLE_SERVER, /* the receiving server */
};

struct tls_session;

/* A TLS session in the given role over memory buffers, created non-blocking.
 * - sni: client only, the server name to send (RFC 7590 §3.2: harmless for STARTTLS,
 *   required for direct TLS); NULL sends none. Copied.
 * - request_client_cert: server only, send a CertificateRequest without requiring an
 *   answer (XEP-0178 step 6 needs the peer's certificate; a dialback-only peer may have
 *   none). The acceptable-CA list is not sent, so the peer offers whatever it has and the
 *   harness can judge it.
 * - A client presents the credentials' certificate whenever asked, even if the server's
 *   CertificateRequest names other CAs (so an untrusted certificate is really shown).
 * - alpn: NULL, or a protocol to offer (client) / accept (server), e.g. "xmpp-server".
 * Borrows creds. Returns NULL with a reason in err on failure. */
struct tls_session *tls_session_new(struct tls_creds *creds, enum tls_role role, const char *sni,
                                    bool request_client_cert, const char *alpn, char *err,
                                    size_t errlen);

/* NULL-safe. Sends nothing: call tls_session_bye first for a clean close. */
void tls_session_free(struct tls_session *s);

/* Queues ciphertext received from the peer (copied). Returns 0, or -1 when the input
 * queue (4 MiB) is full (the caller has stopped calling handshake/read) or after
 * tls_session_input_eof. */
int tls_session_input(struct tls_session *s, const void *data, size_t len);

/* Records that the peer closed the transport: once the queued input is used up, GnuTLS
 * sees end-of-file (a close without close_notify is then reported as such). */
void tls_session_input_eof(struct tls_session *s);

/* The ciphertext waiting to be sent. Owned by the session; the caller writes what it can
 * and removes it with buf_consume. Valid until tls_session_free. */
struct buf *tls_session_output(struct tls_session *s);

enum tls_status {
        TLS_AGAIN,  /* needs more input from the peer (after sending any output) */
        TLS_DONE,   /* handshake complete */
        TLS_FAILED, /* fatal error: see tls_session_error; the session is dead */
        TLS_CLOSED, /* the peer sent close_notify */
};

/* Advances the handshake as far as the queued input allows. On a fatal error it queues
 * the appropriate alert for the peer (GnuTLS does not), records the error text and any
 * alert received, and returns TLS_FAILED; later calls return the same. Returns TLS_DONE
 * once complete (also on every later call). */
enum tls_status tls_session_handshake(struct tls_session *s);

/* Encrypts len bytes of plaintext into the output queue. Only after TLS_DONE.
 * Returns 0 or -1 (error recorded). */
int tls_session_write(struct tls_session *s, const void *data, size_t len);

/* Decrypts all queued input, appending the plaintext to plain (caller's buffer; its
 * limit applies and exceeding it fails the session). Returns TLS_AGAIN when the input
 * is used up and the session is open, TLS_CLOSED on close_notify (plaintext before it
 * has been appended), TLS_FAILED on error (including a transport close without
 * close_notify: RFC 5246 §7.2.1 / RFC 8446 §6.1 truncation). */
enum tls_status tls_session_read(struct tls_session *s, struct buf *plain);

/* Queues a close_notify alert. Returns 0 or -1. */
int tls_session_bye(struct tls_session *s);

/* Text of the last error ("" when none). Owned by the session. */
const char *tls_session_error(const struct tls_session *s);

/* The alert received from the peer that ended the session (a
 * gnutls_alert_description_t), or -1 when none was. */
int tls_session_alert_received(const struct tls_session *s);

/* The fatal alert this side queued for the peer on failure, or -1. */
int tls_session_alert_sent(const struct tls_session *s);

/* Name of an alert code, e.g. "Handshake failed"; "none" for -1. Static storage. */
const char *tls_alert_name(int alert);

/* What the handshake established and what the peer presented. */
struct tls_peer {
        char version[16];       /* "TLS1.3" */
        char desc[128];         /* gnutls_session_get_desc, e.g. "(TLS1.3)-(ECDHE-SECP256R1)-..." */
        char alpn[32];          /* negotiated ALPN protocol, "" when none */
        char sni[256];          /* server role: the name the client sent, "" when none */
        bool has_cert;          /* the peer sent a certificate */
        unsigned verify_status; /* gnutls_certificate_status_t bits, chain only (no name) */
        char verify_text[256];  /* gnutls_certificate_verification_status_print */
        bool chain_ok;          /* has_cert and verify_status == 0 */
        bool expired;           /* GNUTLS_CERT_EXPIRED */
        bool not_yet_valid;     /* GNUTLS_CERT_NOT_ACTIVATED */
        bool untrusted;         /* GNUTLS_CERT_SIGNER_NOT_FOUND: no path to a trust anchor */
        bool self_signed;       /* the leaf is its own issuer */
        bool eku_present;       /* the leaf has an extended key usage extension */
        bool eku_server, eku_client;  /* usable for serverAuth / clientAuth: listed, or
                                         anyExtendedKeyUsage, or no EKU at all (RFC 5280
                                         §4.2.1.12) */
        time_t not_before, not_after; /* of the leaf */
        char subject[256];            /* RFC 4514 DN of the leaf (truncated) */
        char issuer[256];
        struct cert_ids ids; /* the leaf's identities; owned, freed by tls_peer_cleanup */
};

/* Fills *out after TLS_DONE (fields for the certificate are zero when has_cert is false).
 * Chain verification uses the session's trust anchors, without a hostname: identity is
 * certid_match's job. Returns 0, or -1 (error recorded) when called before the handshake
 * completed or on allocation/parse failure. */
int tls_session_peer(struct tls_session *s, struct tls_peer *out);

/* Frees what tls_session_peer allocated. NULL-safe. */
void tls_peer_cleanup(struct tls_peer *p);

#endif
