/*
 * The S2S engine (harness/engine.c) fed a hostile peer's bytes, built four times
 * (fuzz/CMakeLists.txt):
 *   FUZZ_RECEIVING=1  the engine accepted the connection (hosts harness.test; the peer
 *                     claims partner.test), as when a partner connects to the harness
 *   FUZZ_RECEIVING=0  the engine opened it (harness.test -> partner.test)
 *   FUZZ_TLS=0        the input is the plaintext stream from its first byte
 *   FUZZ_TLS=1        a scripted peer first takes the engine through the stream header,
 *                     STARTTLS and a real TLS handshake in memory, with the generated
 *                     certificates (harness.test for the engine, partner.test for the
 *                     peer, both trusted): the input then arrives as TLS application
 *                     data, i.e. the post-TLS stream from its header on
 *
 * Input: byte 0 seeds the chunk lengths (fuzz.h); byte 1 picks the settings row
 * (reference rows 1-18; with TLS, only rows whose TLS is not NotSupported) and the
 * misbehaviour (at most one, of struct engine_misbehaviour); byte 2 holds knobs; byte
 * 3 picks the answer to each EV_NEED_VERIFY and how the stream ends (peer close,
 * timeout or our close); the rest is the peer's stream. Once authenticated, an
 * initiating engine also asks for a multiplexed pair and sends a stanza.
 *
 * Stream ids come from gnutls_rnd (engine.c) and so differ from run to run; nothing
 * an input does depends on their value, except that no input can guess one (a
 * dialback key over the real id cannot be forged here).
 */
#include <stddef.h>

#include "dialback.h"
#include "engine.h"
#include "fuzz.h"
#include "settings.h"
#include "tls.h"

#ifndef FUZZ_RECEIVING
#error "FUZZ_RECEIVING must be 0 or 1"
#endif
#ifndef FUZZ_TLS
#error "FUZZ_TLS must be 0 or 1"
#endif

#define HARNESS "harness.test"
#define EXTRA "extra.harness.test"
#define PARTNER "partner.test"
#define NS_STREAMS_DECL "xmlns:stream='http://etherx.jabber.org/streams'"
#define STARTTLS "<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'"

/* The misbehaviours one byte can switch on (index 0 = none). */
static const size_t misbehaviours[] = {
    offsetof(struct engine_misbehaviour, reuse_stream_id),
    offsetof(struct engine_misbehaviour, starttls_after_tls),
    offsetof(struct engine_misbehaviour, wrong_header_from),
    offsetof(struct engine_misbehaviour, omit_stream_id),
    offsetof(struct engine_misbehaviour, external_bound_to_fail),
    offsetof(struct engine_misbehaviour, ignore_db_result),
    offsetof(struct engine_misbehaviour, key_with_pre_tls_id),
    offsetof(struct engine_misbehaviour, stanza_before_auth),
    offsetof(struct engine_misbehaviour, stanza_unauth_from),
    offsetof(struct engine_misbehaviour, starttls_unoffered),
    offsetof(struct engine_misbehaviour, auth_before_tls),
    offsetof(struct engine_misbehaviour, unsolicited_db_valid),
    offsetof(struct engine_misbehaviour, tls_downgrade),
    offsetof(struct engine_misbehaviour, ignore_required_tls),
    offsetof(struct engine_misbehaviour, unhosted_db_target),
    offsetof(struct engine_misbehaviour, valid_without_verify),
};
#define N_MISBEHAVIOURS (sizeof(misbehaviours) / sizeof(misbehaviours[0]))

static const enum db_type verify_answers[] = {DB_VALID, DB_INVALID, DB_ERROR, DB_TIMEOUT,
                                              DB_UNREACHABLE};

#define SECRET "fuzz-dialback-secret"

static struct tls_creds *engine_creds, *peer_creds;
/* The engine's server's db:verify ledger (dialback.h), rebuilt for each input. */
static struct db_ledger ledger;
static int rows[SETTINGS_ROWS];
static size_t n_rows;

static struct tls_creds *load_creds(const char *name)
{
        char cert[512], key[512], ca[512], err[512];
        struct tls_creds_config c = {0};
        struct tls_creds *r;

        snprintf(ca, sizeof(ca), "%s/ca.pem", S2S_CERT_DIR);
        snprintf(cert, sizeof(cert), "%s/%s.pem", S2S_CERT_DIR, name);
        snprintf(key, sizeof(key), "%s/%s.key", S2S_CERT_DIR, name);
        c.ca_file = ca;
        c.cert_file = cert;
        c.key_file = key;
        r = tls_creds_new(&c, err, sizeof(err));
        if (r == NULL)
                fprintf(stderr, "credentials %s: %s\n", name, err);
        FUZZ_SETUP(r != NULL, "credentials (built by the certs target)");
        return r;
}

static void free_creds(void)
{
        tls_creds_free(engine_creds);
        tls_creds_free(peer_creds);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
        (void)argc;
        (void)argv;
        engine_creds = load_creds(HARNESS);
        peer_creds = load_creds(PARTNER);
        atexit(free_creds);
        for (int row = 1; row <= SETTINGS_ROWS; row++) {
                struct neg_settings s;

                FUZZ_SETUP(settings_from_row(row, &s) == 0, "settings_from_row");
                if (!FUZZ_TLS || s.tls != NEG_NOTSUPPORTED)
                        rows[n_rows++] = row;
        }
        return 0;
}

/* The engine's randomness (engine_config.random): a counter restarted for each
 * input, so that an input replays exactly (the same stream ids every time). */
static uint64_t fuzz_random_state;

static int fuzz_random(void *user, void *out, size_t len)
{
        unsigned char *o = out;

        (void)user;
        for (size_t i = 0; i < len; i++)
                o[i] = (unsigned char)(fuzz_random_state >> (8 * (i % 8)));
        fuzz_random_state++;
        return 0;
}

static struct engine *new_engine(const uint8_t *ctl)
{
        static const char *const hosted[] = {HARNESS, EXTRA};
        struct engine_config c;
        struct engine *e;
        char err[256];
        unsigned mb = ctl[1] / SETTINGS_ROWS % (N_MISBEHAVIOURS + 1);

        fuzz_random_state = 0;
        memset(&c, 0, sizeof(c));
        c.role = FUZZ_RECEIVING ? ENGINE_RECEIVING : ENGINE_INITIATING;
        c.purpose = PURPOSE_AUTH;
        c.hosted = hosted;
        c.n_hosted = 2;
        c.remote_domain = FUZZ_RECEIVING ? NULL : PARTNER;
        FUZZ_SETUP(settings_from_row(rows[ctl[1] % n_rows], &c.neg) == 0, "row");
        c.sem = (ctl[2] & 0x80) != 0 ? SEMANTICS_STRICT : SEMANTICS_MATRIX;
        engine_knobs_default(&c.knobs);
        c.knobs.on_bad_peer_cert = (enum badcert_policy)(ctl[2] % 3);
        c.knobs.dialback_off_reply = (enum dboff_reply)(ctl[2] / 3 % 3);
        c.knobs.dialback_after_sasl_failure = (ctl[2] & 0x10) == 0;
        c.knobs.sasl_send_authzid = (ctl[2] & 0x20) != 0;
        c.knobs.dialback_requires_valid_cert = (ctl[2] & 0x40) != 0;
        c.knobs.declare_db_without_method = (ctl[3] & 0x80) != 0;
        /* An initiator that sends <auth/> instead of <starttls/> never reaches TLS. */
        if (FUZZ_TLS && mb > 0 &&
            misbehaviours[mb - 1] == offsetof(struct engine_misbehaviour, auth_before_tls))
                mb = 0;
        if (mb > 0)
                *(bool *)((char *)&c.knobs.bad + misbehaviours[mb - 1]) = true;
        c.creds = engine_creds;
        c.secret = SECRET;
        c.random = fuzz_random;
        c.ledger = &ledger;
        c.db_answer = (enum db_answer)(ctl[3] / 8 % 5);
        if (!FUZZ_RECEIVING && !FUZZ_TLS && (ctl[3] & 0x40) != 0) {
                c.purpose = PURPOSE_VERIFY;
                c.verify_from = PARTNER;
                c.verify_to = HARNESS;
                c.verify_id = "fuzz-stream-id";
                c.verify_key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
        }
        xs_limits_default(&c.limits);
        e = engine_new(&c, err, sizeof(err));
        FUZZ_SETUP(e != NULL, err);
        if (!FUZZ_RECEIVING)
                FUZZ_SETUP(engine_start(e) == 0, "engine_start");
        return e;
}

/* A <message/> from harness.test to partner.test. */
static void send_stanza(struct engine *e, const char *from)
{
        xmlNodePtr m = xmlNewNode(NULL, BAD_CAST "message");

        FUZZ_SETUP(m != NULL, "xmlNewNode");
        xmlNewProp(m, BAD_CAST "from", BAD_CAST from);
        xmlNewProp(m, BAD_CAST "to", BAD_CAST PARTNER);
        (void)engine_send_stanza(e, m);
        xmlFreeNode(m);
}

/* Answers what the engine asks and exercises what an owner does on each event. */
static void handle_events(struct engine *e, const uint8_t *ctl, int *extra_asked)
{
        struct engine_event ev;

        while (engine_next_event(e, &ev)) {
                if (ev.kind == EV_NEED_VERIFY)
                        (void)engine_verify_result(e, ev.from, ev.to, ev.id,
                                                   verify_answers[ctl[3] % 5]);
                if (ev.kind == EV_AUTHENTICATED && !FUZZ_RECEIVING && !*extra_asked) {
                        *extra_asked = 1;
                        send_stanza(e, HARNESS);
                        (void)engine_add_pair(e, EXTRA, PARTNER);
                        (void)engine_pair_state(e, EXTRA, PARTNER);
                }
                engine_event_cleanup(&ev);
        }
}

static void feed(struct engine *e, const char *s)
{
        FUZZ_SETUP(engine_input(e, s, strlen(s)) == 0, s);
        buf_consume(engine_output(e), engine_output(e)->len);
}

/* Moves every byte queued on one side to the other. */
static void to_engine(struct tls_session *t, struct engine *e)
{
        struct buf *o = tls_session_output(t);

        if (o->len > 0)
                (void)engine_input(e, o->data, o->len);
        buf_consume(o, o->len);
}

static void to_peer(struct engine *e, struct tls_session *t)
{
        struct buf *o = engine_output(e);

        if (o->len > 0)
                FUZZ_SETUP(tls_session_input(t, o->data, o->len) == 0, "tls_session_input");
        buf_consume(o, o->len);
}

/*
 * The scripted peer up to a completed TLS handshake, the engine then expecting the
 * post-TLS stream header. Returns the peer's session.
 */
static struct tls_session *handshake(struct engine *e)
{
        char err[256];
        struct tls_session *t;
        enum tls_status st = TLS_AGAIN;

        if (FUZZ_RECEIVING) {
                feed(e, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' " NS_STREAMS_DECL
                        " to='" HARNESS "' from='" PARTNER "' version='1.0'>" STARTTLS "/>");
                t = tls_session_new(peer_creds, TLS_ROLE_CLIENT, HARNESS, false, NULL, err,
                                    sizeof(err));
        } else {
                feed(e, "<?xml version='1.0'?><stream:stream xmlns='jabber:server' " NS_STREAMS_DECL
                        " from='" PARTNER "' to='" HARNESS "' id='fuzz-pre-tls' version='1.0'>"
                        "<stream:features>" STARTTLS "><required/></starttls></stream:features>");
                FUZZ_SETUP(engine_state(e) == ST_EXPECT_PROCEED, "engine sent no <starttls/>");
                t = tls_session_new(peer_creds, TLS_ROLE_SERVER, NULL, true, NULL, err,
                                    sizeof(err));
        }
        FUZZ_SETUP(t != NULL, err);
        if (!FUZZ_RECEIVING) {
                static const char proceed[] = "<proceed xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>";

                FUZZ_SETUP(engine_input(e, proceed, sizeof(proceed) - 1) == 0, "proceed");
                to_peer(e, t);
        }
        FUZZ_SETUP(engine_state(e) == ST_EXPECT_TLS_HANDSHAKE, "engine not in TLS");
        for (int round = 0; round < 32 && (st != TLS_DONE || engine_state(e) != ST_EXPECT_HEADER);
             round++) {
                st = tls_session_handshake(t);
                FUZZ_SETUP(st != TLS_FAILED, tls_session_error(t));
                to_engine(t, e);
                to_peer(e, t);
        }
        FUZZ_SETUP(st == TLS_DONE && engine_state(e) == ST_EXPECT_HEADER, "TLS handshake");
        return t;
}

/*
 * An empty ledger, except that partner.test's db:verify of our key for the stream ids
 * the corpus uses ("s1", "s2") has reached our authoritative server: an initiating
 * engine can then meet both a verified and an unverified type='valid'.
 */
static void ledger_reset(void)
{
        static const char *const ids[] = {"s1", "s2"};
        char key[DIALBACK_KEY_LEN + 1];

        memset(&ledger, 0, sizeof(ledger));
        for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
                FUZZ_SETUP(dialback_key(SECRET, PARTNER, HARNESS, ids[i], key) == 0, "key");
                db_ledger_record(&ledger, PARTNER, HARNESS, ids[i], key);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
        struct fuzz_split split;
        struct engine *e;
        struct tls_session *t = NULL;
        const uint8_t *ctl = data;
        size_t left, nf;
        int extra_asked = 0;

        if (size < 4)
                return 0;
        ledger_reset();
        e = new_engine(ctl);
        if (FUZZ_TLS)
                t = handshake(e);
        buf_consume(engine_output(e), engine_output(e)->len);
        fuzz_split_init(&split, ctl[0]);
        data += 4;
        left = size - 4;
        while (left > 0 && engine_state(e) != ST_CLOSED) {
                size_t len = fuzz_split_next(&split, left);

                if (t != NULL) {
                        FUZZ_SETUP(tls_session_write(t, data, len) == 0, tls_session_error(t));
                        to_engine(t, e);
                } else {
                        (void)engine_input(e, data, len);
                }
                buf_consume(engine_output(e), engine_output(e)->len);
                handle_events(e, ctl, &extra_asked);
                data += len;
                left -= len;
        }
        switch (ctl[3] / 40 % 4) {
        case 0:
                engine_peer_closed(e);
                break;
        case 1:
                engine_timeout(e);
                break;
        case 2:
                engine_close(e);
                break;
        default:
                break;
        }
        handle_events(e, ctl, &extra_asked);
        (void)engine_wants_close(e);
        (void)engine_findings(e, &nf);
        FUZZ_ASSERT(engine_result(e) != NULL);
        tls_session_free(t);
        engine_free(e);
        return 0;
}
