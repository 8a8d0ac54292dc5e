/*
 * The S2S negotiation engine: one XMPP server-to-server stream, one role,
 * sans-I/O (design.md §3). Bytes from the peer go in (engine_input), bytes
 * for the peer come out (engine_output), and what happened comes out as
 * events, findings and a trace. No sockets, clocks or files: the caller (the
 * node, over memory or real sockets) moves bytes, keeps time and connects
 * streams to each other.
 *
 * Roles (design.md §2):
 * - ENGINE_INITIATING: opened the TCP connection. Purpose AUTH: authenticates
 *   local -> remote with STARTTLS, SASL EXTERNAL (XEP-0178) or dialback
 *   (XEP-0220) as the settings allow, then carries stanzas. Purpose VERIFY:
 *   carries one <db:verify/> to the remote's authoritative server (XEP-0220
 *   step 2) and reports the answer.
 * - ENGINE_RECEIVING: accepted the TCP connection. Advertises features per its
 *   settings, judges what the peer does, asks its owner to verify dialback
 *   keys, and also plays the authoritative server for <db:verify/>.
 *
 * Settings are read as in reference §3.1/§3.2; each UNDEFINED point of
 * reference §3.10 that the engine must decide is a knob (struct engine_knobs)
 * whose default is the reference's.
 */
#ifndef S2S_ENGINE_H
#define S2S_ENGINE_H

#include <stdbool.h>
#include <stddef.h>

#include <libxml/tree.h>

#include "buf.h"
#include "dialback.h"
#include "misbehave_list.h"
#include "oracle.h"
#include "rules.h"
#include "settings.h"
#include "xmlstream.h"

struct tls_creds;

enum engine_role {
        ENGINE_INITIATING,
        ENGINE_RECEIVING,
};

enum engine_purpose {
        PURPOSE_AUTH,   /* authenticate and carry stanzas */
        PURPOSE_VERIFY, /* initiating only: send one db:verify and report the answer */
};

/*
 * What the authoritative role answers to <db:verify/> (XEP-0220 §2.2.2).
 * A receiving server can judge only the answer, never the key: the key is an
 * HMAC under the authoritative server's secret. So an authoritative server
 * that calls a forged key valid (DB_ANSWER_VALID) gets its initiator accepted,
 * and no conforming peer can tell; what a peer can see is an invalid, error or
 * missing answer (reported as a violation, remote-server-not-found or
 * remote-server-timeout). The lying server's own trace says "key ... is wrong;
 * answering valid".
 */
enum db_answer {
        DB_ANSWER_TRUTHFUL = 0, /* valid iff the key is right: a conforming server */
        DB_ANSWER_VALID,        /* always valid (misbehaviour) */
        DB_ANSWER_INVALID,      /* always invalid */
        DB_ANSWER_ERROR,        /* type='error' with <item-not-found/> */
        DB_ANSWER_NONE,         /* never answer */
};

/* Dialback result types (XEP-0220 §2.1.2, §2.2.1). The last three are all
 * type='error' on the wire; they differ in the condition the receiving server
 * reports to the initiator (XEP-0220 §2.5). */
enum db_type {
        DB_VALID,
        DB_INVALID,
        DB_ERROR,       /* the authoritative server answered type='error' */
        DB_TIMEOUT,     /* it never answered, or closed first: remote-server-timeout */
        DB_UNREACHABLE, /* no stream to it could be set up: remote-connection-failed */
};

/* Reference §3.7, §3.10 item 9: a peer certificate that fails our check. */
enum badcert_policy {
        BADCERT_REFERENCE = 0, /* abort when our TLS is Required, else go on with dialback */
        BADCERT_ABORT,         /* always close after the handshake */
        BADCERT_CONTINUE,      /* never close for it; SASL is simply impossible */
};

/* Reference §3.10 item 2: what Dialback=False does with a <db:result/>. */
enum dboff_reply {
        DBOFF_STREAM_ERROR = 0, /* <unsupported-stanza-type/> stream error (DB-14) */
        DBOFF_DB_ERROR,         /* <db:result type='error'> with <not-authorized/> */
        DBOFF_IGNORE,           /* silence ("will be ignored", Lync S2) */
};

/*
 * Wire-level hostility of the reference partner (`serve --misbehave`, design.md
 * §6): bytes no server should send, to prove that the other side refuses them
 * with a verdict (never a crash, a hang or unbounded memory). R = as receiving
 * server, I = as initiating server (AUTH and VERIFY streams alike). Unless said
 * otherwise the bytes replace this side's first stream header, and the engine
 * sends nothing more on that stream (it still reads, and closes on its own
 * timers or errors).
 */
enum engine_wire {
        WIRE_NONE = 0,
        WIRE_GARBAGE,          /* R, I: 256 bytes of binary garbage */
        WIRE_ENTITY_BOMB,      /* R, I: a DOCTYPE declaring nested entities (billion laughs)
                                  before the header, and a reference to the biggest */
        WIRE_HUGE_ELEMENT,     /* R, I: the header, then one 10 MB <message/> */
        WIRE_DEEP_NESTING,     /* R, I: the header, then 10,000 nested elements */
        WIRE_MANY_ATTRIBUTES,  /* R, I: a header with 10,000 extra attributes */
        WIRE_MANY_FEATURES,    /* R, I: the header, then <stream:features/> with 10,000
                                  features */
        WIRE_WRONG_NAMESPACE,  /* R, I: a header whose stream namespace is not
                                  http://etherx.jabber.org/streams (RFC 6120 §4.8.1) */
        WIRE_UTF7_DECLARATION, /* R, I: the 39 bytes <?xml version="1.0" encoding="UTF-7"\x1a?> */
        WIRE_STALL,            /* R, I: the header, then nothing (pacing adds keepalives) */
        WIRE_SILENCE,          /* R, I: not a byte, ever */
        WIRE_CLOSE_AT_ONCE,    /* R: closes right after the accept; I: right after the
                                  connect; not a byte either way */
        WIRE_CLOSE_MID_TLS,    /* R, I: half of its first TLS flight, then the TCP close */
        WIRE_PROCEED_THEN_PLAINTEXT, /* R: <proceed/>, then a plaintext header and features
                                        instead of TLS; I: after <proceed/>, a plaintext
                                        header instead of TLS (RFC 6120 §5.4.3.3) */
};

/*
 * Misbehaviour of the reference partner (design.md §6), all off by default.
 * Each breaks one rule; a conforming engine on the other side reports it as a
 * FINDING_VIOLATION citing that rule (or, for silence, times out) and never
 * counts it as authentication. R = as receiving server, I = as initiating
 * server (AUTH streams only).
 */
/* The bool of an X line of misbehave_list.h (the scenario misbehaviours). */
#define ENGINE_MISBEHAVIOUR_BOOL(field, ...) bool field;
#define ENGINE_MISBEHAVIOUR_NONE(...)

struct engine_misbehaviour {
        /* One bool per X line of misbehave_list.h, named by its field column: the
         * line says what the harness then does wrong, in which directions, and the
         * rule it probes. */
        MISBEHAVIOURS(ENGINE_MISBEHAVIOUR_BOOL, ENGINE_MISBEHAVIOUR_NONE)
        /* The reference partner's knobs (hostile.c, `serve --misbehave`): */
        bool tls_downgrade;          /* I: TLS Required, no STARTTLS offered: dialback in
                                        plaintext anyway (RFC 7590 §3.1) */
        bool valid_without_verify;   /* R: answers db:result type='valid' at once, never
                                        sending db:verify to the authoritative server
                                        (XEP-0220 §2.1-§2.3: it accepts anyone) */
        enum engine_wire wire;       /* wire-level hostility (see enum engine_wire) */
        unsigned wire_roles;         /* where wire applies: bits (1u << enum engine_role);
                                        0 = both roles */
        bool verify_unhosted_target; /* R: a <db:result/> whose to it does not host is
                                        verified anyway (db:verify to the sender's
                                        authoritative server, then valid/invalid) instead
                                        of <item-not-found/> (XEP-0220 §2.2.1, DB-6) */
        bool starttls_not_required;  /* R (TLS Required): <starttls/> without <required/>,
                                        beside the dialback feature, before TLS (RFC 6120
                                        §5.4.1), and a plaintext <db:result/> dropped
                                        silently, no answer, no error (docs/peers.md) */
        bool drop_unauthenticated;   /* R: drops a stanza before authentication, or from a
                                        domain not authenticated, silently instead of the
                                        stream error (RFC 6120 §4.3.5 STR-7, §4.9.3.9) */
        bool stall_without_tls;      /* I (AUTH and VERIFY streams): TLS Required and no
                                        STARTTLS offered: sends nothing more and keeps the
                                        connection (instead of closing, reference §3.6 F1) */
        /* Deployed behaviours (issue 10), legal or common, that a harness must handle: */
        bool legacy_header;          /* I (AUTH and VERIFY): the pre-1.0 dialback header, no to,
                                        from or version, xmlns:db declared (RFC 6120 §4.7.2 MUST
                                        broken; XEP-0220 §2.4.1); dialback only. Only
                                        when its TLS is NotSupported: the header gets no
                                        features, so no STARTTLS */
        bool reuse_connection;       /* R: its db:verify for a domain at the address of one of its
                                        authenticated initiating streams goes on that stream;
                                        I: multiplexes targets at the same address on its stream
                                        whatever <dialback><errors/> says (XEP-0220 §2.6) */
        bool verify_after_own_route; /* R: to verify a key it first authenticates its own
                                        route (its domain -> the key's) with <db:result/>
                                        and sends <db:verify/> on it once valid */
};

/* The domain a stanza_unauth_from misbehaviour claims. */
#define ENGINE_ROGUE_DOMAIN "rogue.example"
/* The 'to' of the unhosted_stream_to misbehaviour: under .invalid (RFC 6761 §6.4), so
 * that no partner hosts it. */
#define ENGINE_UNHOSTED_DOMAIN "unhosted.s2scheck.invalid"
/* The stream namespace of the wrong_stream_ns misbehaviour (not RFC 6120 §4.8.1's). */
#define ENGINE_WRONG_STREAM_NS "urn:s2scheck:not-the-streams-namespace"

/* The reference's UNDEFINED points, as knobs. engine_knobs_default gives the
 * reference defaults. */
struct engine_knobs {
        enum badcert_policy on_bad_peer_cert;
        enum dboff_reply dialback_off_reply;
        /* XEP-0178 v1.2 step 11: after <failure/> to EXTERNAL, go on with dialback
         * when dialback is allowed (default true). */
        bool dialback_after_sasl_failure;
        /* Reference §3.10 item 12: send base64(from) as authzid instead of "=". */
        bool sasl_send_authzid;
        /* Receiving: accept dialback only from a peer whose certificate is valid for
         * the sender (Prosody's s2s_secure_auth; default false). */
        bool dialback_requires_valid_cert;
        /* Reference §3.10 item 3: declare xmlns:db even without a dialback method
         * (default: declare iff Dialback is True). */
        bool declare_db_without_method;
        /* RFC 6120 §6.4.5 (SASL-7): failures before <policy-violation/>. */
        unsigned sasl_max_failures;
        /* Reference §3.10 item 8 (RFC 6120 §5.4.3.2, TLS-8): after a failed TLS
         * handshake, the node reconnects without TLS (never when our TLS is
         * Required). Default false: no downgrade the reference does not ask for. */
        bool retry_plaintext_after_tls_failure;
        /* RFC 6120 §4.6.1: the initiating side writes this many whitespace keepalives
         * (one space each, a write of its own, under TLS when TLS is up) on its stream
         * right after authentication, before any stanza, as a Lync gateway with
         * EnableKeepAlive does on an idle stream (issue 12 item 5). Default 0. */
        unsigned whitespace_keepalives;
        /* Misbehaviour for hostile tests; engine_knobs_default turns all off. */
        struct engine_misbehaviour bad;
};

void engine_knobs_default(struct engine_knobs *k);

/* A rule a peer (or we) broke, or a fact worth reporting. */
enum finding_kind {
        FINDING_VIOLATION, /* the peer broke a MUST/SHOULD of the cited section */
        FINDING_NOTE,      /* worth reporting, not a violation */
        FINDING_ERROR,     /* the harness or the environment failed */
};

#define ENGINE_TEXT_MAX 512

struct finding {
        enum finding_kind kind;
        char state[40];             /* the state it happened in */
        enum rule_id rule_id;       /* the rule (rules.h) */
        char rule[64];              /* its citation, rule_cite(rule_id) */
        char text[ENGINE_TEXT_MAX]; /* "unexpected <failure/> while expecting <proceed/>" */
        /* What the finding is about, as data: a stream error or dialback error
         * condition ("invalid-from", "item-not-found"), "" when none. */
        char cond[48];
        char type[16]; /* a dialback answer's type ("valid", "invalid", "error"), "" */
};

/* Trace entries, in order; the caller adds timestamps. */
enum trace_kind {
        TRACE_SEND,    /* XML we sent (plaintext, before TLS protection) */
        TRACE_RECV,    /* XML the peer sent (one header or element) */
        TRACE_STATE,   /* "EXPECT_FEATURES -> EXPECT_PROCEED" */
        TRACE_TLS,     /* handshake results, peer certificate */
        TRACE_FINDING, /* a finding, also kept in the engine */
        TRACE_NOTE,    /* decisions: "offering EXTERNAL: certificate valid for h.test" */
};

/*
 * Typed observations (design.md §7, "Observations are data"): what the engine
 * saw, as data, attached to the trace entry that tells it to people. Code reads
 * these, never the trace text.
 */
enum obs_kind {
        OBS_NONE = 0,
        OBS_HEADER_RECV,       /* the peer's stream header: id, from, to */
        OBS_FEATURES,          /* the peer's <stream:features/>: starttls, external, dialback, db */
        OBS_TLS_UP,            /* the TLS handshake completed */
        OBS_SASL_SUCCESS,      /* <success/> received */
        OBS_SASL_FAILURE,      /* <failure/> to <auth/> received: cond */
        OBS_DB_RESULT_SENT,    /* a <db:result/> sent: from, to, type ("" for a request) */
        OBS_DB_RESULT_RECV,    /* a <db:result/> received: from, to, type */
        OBS_DB_VERIFY_SENT,    /* a <db:verify/> sent: from, to, id, type */
        OBS_DB_VERIFY_RECV,    /* a <db:verify/> received: from, to, id, type */
        OBS_STREAM_ERROR_RECV, /* the peer's stream error: cond */
};

struct engine_obs {
        enum obs_kind kind;
        int starttls;                /* OBS_FEATURES: 0 none, 1 offered, 2 <required/> */
        bool external, dialback, db; /* OBS_FEATURES: EXTERNAL, dialback feature, xmlns:db */
        const char *id, *from, *to;  /* borrowed for the call; "" when absent */
        const char *type, *cond;     /* dialback type, error or SASL condition; "" if none */
};

struct trace_entry {
        enum trace_kind kind;
        const char *text; /* borrowed for the call */
        size_t len;
        const struct engine_obs *obs; /* what the entry tells, as data; NULL if nothing */
};

typedef void (*engine_trace_fn)(void *user, const struct trace_entry *e);

/* The kind's word in transcripts: "send", "recv", "state", "tls", "finding", "note"
 * ("?" for a value that is no kind). */
const char *engine_trace_kind_name(enum trace_kind k);

/*
 * Another server at this stream's address that hosts a domain this engine does
 * not (virtual hosting: the harness's scenario nodes share one listener, and a
 * peer may carry <db:verify/> and <db:result/> for any of them on one stream,
 * XEP-0220 §2.6). What a receiving engine needs to answer for that domain as
 * its own server would: its settings, its authoritative secret, answer policy
 * and ledger (XEP-0220 §2.2.2), and its trace (that server's account of the
 * exchange). Everything is borrowed for the duration of the call that asked.
 */
struct engine_vhost {
        struct neg_settings neg;
        enum semantics sem;
        enum dboff_reply dialback_off_reply;
        bool dialback_requires_valid_cert;
        const char *secret;
        enum db_answer db_answer;
        struct db_ledger *ledger;
        engine_trace_fn trace; /* may be NULL */
        void *trace_user;
        /* That server's own misbehaviour as receiving server (a scenario's knobs):
         * silent answers nothing at all (misbehaviour silent, a wire silence);
         * ignore_db_result leaves <db:result/> unanswered. */
        bool silent, ignore_db_result;
        /* That server would not have negotiated this stream as the server that owns
         * it did (other TLS/SASL/dialback settings, semantics, certificate or knobs):
         * its <db:result/> is refused here with <resource-constraint/> (XEP-0220 §2.5,
         * reference DB-7) so that the peer opens a stream of its own, negotiated as
         * that server negotiates (a stream whose header named no 'to' is exempt: the
         * peer's own stream would be one like it). A <db:verify/> is answered as
         * usual: its answer does not depend on the stream. */
        bool other_negotiation;
};

/* Fills *out for domain and returns true when some server at this address hosts
 * it; false when none does (then DB-6 item-not-found). */
typedef bool (*engine_vhost_fn)(void *user, const char *domain, struct engine_vhost *out);

struct engine_config {
        enum engine_role role;
        enum engine_purpose purpose;
        /* Domains this server hosts (copied, at most 16). Initiating: hosted[0] is
         * the stream's from. Receiving: the stream's to must be one of them. */
        const char *const *hosted;
        size_t n_hosted;
        const char *remote_domain; /* initiating: the stream's to (the peer's domain) */
        struct neg_settings neg;
        enum semantics sem;
        struct engine_knobs knobs;
        struct tls_creds *creds; /* borrowed; NULL = no TLS possible */
        const char *secret;      /* dialback secret of this server (authoritative role) */
        enum db_answer db_answer;
        /* PURPOSE_VERIFY: the request to carry (from = the receiving server that
         * asks, to = the originating domain, id = the stream id, key). Copied. */
        const char *verify_from, *verify_to, *verify_id, *verify_key;
        struct xs_limits limits;
        size_t max_bytes_before_features; /* initiating: bound on bytes before the first
                                             features (default 16384 when 0) */
        /* This server's record of the db:verify requests its authoritative role
         * received (borrowed, shared by the server's streams; dialback.h).
         * Receiving: each db:verify is recorded. Initiating: a type='valid' counts
         * only when the peer's db:verify for that exact key, id and pair is in it
         * (DB-3..DB-5, XEP-0220 §2.1-§2.3); otherwise it is the violation "accepted
         * dialback without verifying". NULL only for an engine with no
         * authoritative server of its own to ask (unit tests of one engine): a
         * 'valid' is then taken as it comes. A node always passes its own. */
        struct db_ledger *ledger;
        engine_trace_fn trace; /* may be NULL */
        void *trace_user;
        /* The peer's configured settings, when the caller knows them (the harness
         * judging a partner configuration). Lets a receiving engine see a peer whose
         * TLS is Required go on without TLS (RFC 7590 §3.1 downgrade). */
        bool peer_known;
        struct neg_settings peer_neg;
        /* Receiving: asked for a db:verify or db:result 'to' that is not in hosted
         * (NULL: nobody else is asked, such a 'to' gets item-not-found, DB-6). */
        engine_vhost_fn vhost;
        void *vhost_user;
        /* Required: where the engine's randomness comes from (stream ids, RFC 6120
         * §4.7.3). Owners pass xs_random_system; tests and golden replays pass a
         * deterministic one, so that a recorded session replays byte for byte.
         * The engine reads no clock (its owner keeps the timers): there is no
         * time callback. */
        xs_random_fn random;
        void *random_user;
};

/* Named for what is expected next (design.md §3). */
enum engine_state {
        ST_START,                /* initiating, before engine_start */
        ST_EXPECT_HEADER,        /* the peer's stream header */
        ST_EXPECT_FEATURES,      /* initiating: <stream:features/> */
        ST_EXPECT_PROCEED,       /* initiating: <proceed/> after our <starttls/> */
        ST_EXPECT_TLS_HANDSHAKE, /* both: TLS records */
        ST_EXPECT_SASL_RESULT,   /* initiating: <success/> or <failure/> */
        ST_EXPECT_DB_RESULT,     /* initiating: <db:result type=.../> */
        ST_EXPECT_VERIFY_ANSWER, /* initiating VERIFY: <db:verify type=.../> */
        ST_EXPECT_STARTTLS,      /* receiving, STARTTLS offered: <starttls/> (or, TLS
                                    Optional, what EXPECT_AUTH takes) */
        ST_EXPECT_AUTH,          /* receiving, nothing but authentication left: <auth/>,
                                    <db:result/>, <db:verify/>, and the verification of
                                    a pending <db:result/> (engine_verify_result) */
        ST_EXPECT_CLAIM_ANSWER,  /* initiating (misbehaving: unsolicited db:result
                                    type='valid'): the peer's answer to the claim, or
                                    silence (XEP-0220 §3.1) */
        ST_EXPECT_STANZAS,       /* authenticated: stanzas (receiving) or nothing (initiating) */
        ST_EXPECT_CLOSE,         /* we sent </stream:stream>; the peer's close */
        ST_CLOSED,               /* done: close the TCP connection once output is sent */
        ENGINE_STATE_COUNT,      /* not a state: the number of states (keep it last) */
};

const char *engine_state_name(enum engine_state s);

/*
 * No state without a deadline (docs/timeouts.md): what bounds the wait in each
 * state, whoever owns the stream. The engine keeps no clock; its owner applies
 * the timer the row names and, when it runs out, calls engine_timeout (or
 * closes the stream), and the row says what the engine then records.
 */
enum engine_deadline {
        DEADLINE_NONE = 0, /* no bound: never valid (tests/test_engine_silence.c) */
        DEADLINE_CONNECT,  /* before the stream: DNS and TCP connect timeouts */
        DEADLINE_STEP,     /* the step timer of the state (net_timeouts.step_ms[state]) */
        DEADLINE_CLOSE,    /* the close timer (net_timeouts.close_ms) */
        DEADLINE_OWNER,    /* nothing is awaited: the result is final, and the owner
                              closes the stream (runner: at the scenario's end, after
                              the settle time; serve and net: net_close_all) */
};

struct engine_state_info {
        const char *name; /* "EXPECT_FEATURES" */
        unsigned roles;   /* bits (1u << enum engine_role) that enter it */
        enum engine_deadline deadline;
        const char *on_expiry; /* what the engine records when the deadline fires */
};

/* The row of state s, or NULL when s is not a state. */
const struct engine_state_info *engine_state_info(enum engine_state s);

/* Requests and reports for the owner of the stream. */
enum engine_event_kind {
        EV_NEED_VERIFY,   /* receiving: verify (from,to,id,key) with from's authoritative server */
        EV_VERIFY_ANSWER, /* initiating VERIFY: the authoritative answer (type) */
        EV_AUTHENTICATED, /* a domain pair is authenticated on this stream */
        EV_STANZA,        /* receiving: an accepted stanza (node owned by the event) */
        EV_CLOSED,        /* the stream is over; the result is final */
        /* initiating: a multiplexed pair (engine_add_pair) was refused (type, from/to =
         * our pair); the stream goes on for the pairs already valid */
        EV_PAIR_FAILED,
        /* receiving: the verification of a pair whose target another server at this
         * address hosts (engine_vhost) ended; engine_pair_result tells how */
        EV_PAIR_DONE,
};

struct engine_event {
        enum engine_event_kind kind;
        char from[256], to[256], id[128], key[DIALBACK_KEY_LEN + 1];
        enum db_type type;
        xmlNodePtr stanza; /* EV_STANZA: owned by the event; engine_event_cleanup frees */
};

void engine_event_cleanup(struct engine_event *ev);

/* How the stream authenticated, or how it failed (reference §3.3, §3.6). */
struct engine_result {
        bool final;
        /* Codes consistent with what this side saw (OUTCOME_BIT set): one success
         * code, or the failure codes it cannot tell apart. */
        unsigned outcomes;
        bool tls;                    /* TLS was established */
        bool authenticated;          /* a pair was authenticated */
        char cause[ENGINE_TEXT_MAX]; /* why it ended as it did, with the rule */
        char rule[64];               /* the citation behind cause, rule_cite(rule_id) */
        enum rule_id rule_id;        /* the rule behind cause (rules.h) */
        char peer_error[64];         /* stream error condition the peer sent, "" if none */
        char peer_domain[256];       /* the domain the peer authenticated as / claimed */
        unsigned restarts;           /* stream restarts seen (TLS, SASL) */
        bool peer_silent;            /* not one byte came from the peer */
        bool tls_failed;             /* a TLS handshake was tried and failed */
        /* The method that authenticated (METHOD_S, METHOD_DT, METHOD_DP), 0 if none. */
        unsigned method;
        /* Domain pairs authenticated on this stream (SASL counts as one). */
        unsigned pairs;
        /* Initiating: the peer answered type='valid' for a pair whose key never
         * reached our authoritative server in a db:verify (engine_config.ledger):
         * it accepts dialback without verifying, so it would accept anyone. */
        bool unverified_valid;
        /* Receiving: the peer's stream header named no 'to' (RFC 6120 §4.7.2). */
        bool header_no_to;
};

struct engine;

/* The bytes of struct engine itself (a _Static_assert in engine.c keeps it under):
 * its tables (findings, events, pairs, db:verify requests), its I/O buffers and
 * the XML reader's are allocated when data comes (engine_memory). */
#define ENGINE_FIXED_MAX 8192

/* What one engine holds, in bytes, for tests and bench/mem-bench.sh. */
struct engine_memory {
        size_t fixed;  /* sizeof(struct engine) */
        size_t tables; /* findings, events, pairs, db:verify requests, hosted domains */
        size_t bufs;   /* the output and plaintext buffers (their capacity) */
};

/* Fills *out for e. */
void engine_memory(const struct engine *e, struct engine_memory *out);

/*
 * Creates an engine for one stream. Strings in cfg are copied; creds stays
 * and the borrowed creds. Returns NULL with a reason in err on failure.
 */
struct engine *engine_new(const struct engine_config *cfg, char *err, size_t errlen);

/* NULL-safe. */
void engine_free(struct engine *e);

/*
 * XEP-0368 direct TLS: TLS from the first byte (the initiating side sends SNI =
 * the stream's domain and ALPN "xmpp-server"), then the stream; STARTTLS is
 * then never used. Call before engine_start (initiating) or before the first
 * input (receiving). Returns 0, or -1 when it is too late or there is no TLS.
 */
int engine_set_direct_tls(struct engine *e);

/* Initiating: queues the stream header (after the TLS handshake with direct
 * TLS). Returns 0 or -1. */
int engine_start(struct engine *e);

/* Bytes received from the peer. Returns 0, or -1 on an internal failure
 * (recorded as a FINDING_ERROR; the stream is then closed). */
int engine_input(struct engine *e, const void *data, size_t len);

/* The peer closed its side of the TCP connection. */
void engine_peer_closed(struct engine *e);

/* The owner's timer for the current step ran out (the owner keeps clocks). */
void engine_timeout(struct engine *e);

/* As engine_timeout; detail (may be NULL; copied) is what the owner saw in the
 * step, appended to the cause: "timeout while EXPECT_X: <detail>". */
void engine_timeout_detail(struct engine *e, const char *detail);

/*
 * What came from the peer so far, counted from the engine's start (the owner
 * keeps the differences per step, docs/timeouts.md "The step timer"). Text is
 * plaintext handed to the XML reader (after TLS decryption); space is the part
 * of it that is XML whitespace (a keepalive between elements is nothing else).
 */
struct engine_input_counts {
        unsigned long long bytes;     /* every byte in, as received (TLS records included) */
        unsigned long long handshake; /* bytes in while a TLS handshake was under way */
        unsigned long long text;      /* plaintext bytes given to the XML reader */
        unsigned long long space;     /* of text: XML whitespace (RFC 6120 §4.6.1 keepalives) */
};

/* Copies the counters into *out. */
void engine_input_counts(const struct engine *e, struct engine_input_counts *out);

/* Bytes to send; the caller drains them with buf_consume. Owned by the engine. */
struct buf *engine_output(struct engine *e);

/* True when the TCP connection should be closed once the output is sent. */
bool engine_wants_close(const struct engine *e);

/* Pops the next event into *out. Returns 1, or 0 when there is none. */
int engine_next_event(struct engine *e, struct engine_event *out);

/* Receiving: the answer to an EV_NEED_VERIFY (XEP-0220 step 3 -> step 4). */
int engine_verify_result(struct engine *e, const char *from, const char *to, const char *id,
                         enum db_type type);

/*
 * Sends a stanza (borrowed) on an authenticated initiating stream. Returns 0,
 * or -1 when the stream is not authenticated or the stanza's from/to domains
 * are not a pair authenticated on it (RFC 6120 §4.9.3.9, XEP-0220 §2.6): the
 * receiving server would close the stream with <invalid-from/>.
 */
int engine_send_stanza(struct engine *e, xmlNodePtr stanza);

/* A domain pair's state on a stream. */
enum pair_state {
        PAIR_NONE,    /* never asked for on this stream */
        PAIR_PENDING, /* initiating: db:result sent; receiving: being verified */
        PAIR_VALID,   /* authenticated (dialback valid, or the SASL identity and the stream's to) */
        PAIR_FAILED,  /* refused (invalid or error) */
};

/* The state of (from, to) on this stream; from is the initiating side's domain. */
enum pair_state engine_pair_state(const struct engine *e, const char *from, const char *to);

/*
 * Receiving: how the pair (from, to) ended, as a result of its own (the pair's
 * method and outcome, the stream's TLS and restarts), for a pair whose target
 * another server at this address hosts (EV_PAIR_DONE): its verdict belongs to
 * that server. final is false for a refused pair multiplexed on a stream whose
 * header named a target, and for a pair the stream's close cut short: the
 * initiator may still try it on another stream (XEP-0220 §2.5, §2.6). Returns 0,
 * or -1 when there is no such pair or it is not over.
 */
int engine_pair_result(const struct engine *e, const char *from, const char *to,
                       struct engine_result *out);

/* Receiving: how many pairs this stream carried for other servers at this address
 * (engine_vhost); their results went to those servers (EV_PAIR_DONE). */
unsigned engine_vhost_pairs(const struct engine *e);

/*
 * Dialback multiplexing (XEP-0220 §2.6) on an authenticated initiating AUTH
 * stream: asks for (from, to) with a <db:result/> keyed on the stream id in
 * force. from must be one of our hosted domains (sender multiplexing needs
 * nothing more); a to other than the stream's is target multiplexing, done
 * only when the peer advertised <dialback><errors/></dialback> and (with TLS)
 * its certificate proves to; the caller must know that to is served by the same
 * server (same address and port). EV_AUTHENTICATED or EV_PAIR_FAILED follows.
 * Returns 0 when the request is sent (or the pair is already pending or valid),
 * -1 when the pair cannot ride on this stream: not authenticated yet, dialback
 * not usable here (a SASL-only stream, reference §3.7), or the pair was refused
 * before. The caller then opens a stream of its own for the pair.
 */
int engine_add_pair(struct engine *e, const char *from, const char *to);

/*
 * XEP-0220 §2.1.2 step 2 on an existing connection: sends <db:verify/> (from =
 * the receiving server that asks, to = the originating domain, id, key) on an
 * authenticated initiating AUTH stream to the authoritative server's address.
 * Its answer comes as EV_VERIFY_ANSWER (from = the originating domain, to = the
 * asking one, id, type), matched by id, from and to; if the stream closes first,
 * each open request gets one with type DB_TIMEOUT. Returns 0, or -1 when the
 * stream cannot carry it (not an authenticated AUTH stream, too many open).
 */
int engine_send_verify(struct engine *e, const char *from, const char *to, const char *id,
                       const char *key);

/* Closes the stream politely (</stream:stream>, close_notify). */
void engine_close(struct engine *e);

enum engine_state engine_state(const struct engine *e);

/*
 * The state whose timer applies to the stream now: its state, except that an
 * authenticated initiating stream (EXPECT_STANZAS) on which a multiplexed pair
 * (engine_add_pair) awaits its db:result is timed as EXPECT_DB_RESULT. When that
 * timer runs out, engine_timeout refuses the pairs the step covered (EV_PAIR_FAILED,
 * DB_TIMEOUT: XEP-0220 §2.1.1, the initiator may time out), those asked for before
 * the peer said anything since it began (one asked for later waits for the next
 * step), and the stream goes on for the pairs already valid.
 */
enum engine_state engine_step_state(const struct engine *e);
enum engine_role engine_role(const struct engine *e);
const struct engine_result *engine_result(const struct engine *e);

/* The stream id in force (ours when receiving, the peer's when initiating). */
const char *engine_stream_id(const struct engine *e);

/* The domain this side speaks for: an initiating stream's 'from' (its sender), a
 * receiving stream's hosted domain once the header named it; "" before. */
const char *engine_local_domain(const struct engine *e);

/* True when the peer only used this stream for db:verify (receiving). */
bool engine_verify_only(const struct engine *e);

/* Findings so far, in order. */
const struct finding *engine_findings(const struct engine *e, size_t *n);

/* What the TLS handshake established and the peer presented (tls_session_peer), or
 * NULL before TLS completed. Owned by the engine; valid until engine_free. The
 * preflight (`s2scheck check`) reads the partner's certificate from it. */
struct tls_peer;
const struct tls_peer *engine_peer(const struct engine *e);

#endif
