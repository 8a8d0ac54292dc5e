/*
 * Golden replay: sessions recorded from REAL Prosody 0.12 and ejabberd 23.01
 * (the .session files of fixtures/streams/sessions, fixtures/streams/record.sh) are fed into
 * one engine, the harness's side of the recorded stream, chunk by chunk as the
 * partner sent them. Randomness comes from the session (our recorded stream id)
 * through engine_config.random, so each replay is deterministic:
 *   - the engine's first output equals what the harness sent then, byte for
 *     byte (our header, and features when receiving);
 *   - the stream id in force is the recorded one;
 *   - an AUTH stream ends in the outcome code the recorded run observed (and a
 *     VERIFY stream gets the recorded answer);
 *   - everything the engine reports (trace, events, findings, result, output)
 *     equals the committed *.expect, and two replays are equal.
 * fixtures/streams/README.md says what is replayed and what is not.
 * S2S_REPLAY_REGOLD=1 rewrites the *.expect files instead of comparing.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stddef.h>
#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buf.h"
#include "dialback.h"
#include "engine.h"
#include "misbehave.h"
#include "oracle.h"
#include "settings.h"
#include "testrand.h"
#include "xmlstream.h"

#define SESSION_DIR S2S_FIXTURE_DIR "/streams/sessions"
#define REPLAY_SECRET "golden-replay-secret"
#define MAX_CHUNKS 64
#define MAX_KEYS 4
#define FIELD 256

struct hkey {
        char recorded[DIALBACK_KEY_LEN + 1], replayed[DIALBACK_KEY_LEN + 1];
};

struct session {
        char name[FIELD], server[FIELD], scenario[FIELD], observed[FIELD], role[FIELD],
            purpose[FIELD], local[FIELD], remote[FIELD], answer[FIELD], version[FIELD],
            variant[FIELD];
        char vfrom[FIELD], vto[FIELD], vid[FIELD], vkey[FIELD];
        int row;
        unsigned misbehave; /* bits (1u << misbehave.h row): the scenario's misbehaviours */
        char dir[MAX_CHUNKS];
        struct buf chunk[MAX_CHUNKS];
        size_t n;
        struct hkey keys[MAX_KEYS];
        size_t n_keys;
};

/* Undoes strace2sessions.py's escaping (\\, \n, \r, \t, \xHH). */
static void unescape(const char *s, struct buf *out)
{
        while (*s != '\0' && *s != '\n') {
                char c = *s++;

                if (c == '\\' && *s != '\0') {
                        char e = *s++;

                        if (e == 'n')
                                c = '\n';
                        else if (e == 'r')
                                c = '\r';
                        else if (e == 't')
                                c = '\t';
                        else if (e == 'x') {
                                char hex[3] = {s[0], s[0] != '\0' ? s[1] : '\0', '\0'};

                                cr_assert(hex[0] != '\0' && hex[1] != '\0', "bad \\x escape");
                                c = (char)strtol(hex, NULL, 16);
                                s += 2;
                        } else
                                c = e;
                }
                cr_assert_eq(buf_append(out, &c, 1), 0);
        }
}

static void field(char *dst, const char *line, size_t skip)
{
        snprintf(dst, FIELD, "%.*s", (int)strcspn(line + skip, "\n"), line + skip);
}

/* The "word value" lines that fill one text field. */
static const struct {
        const char *word;
        size_t offset;
} text_fields[] = {
    {"server", offsetof(struct session, server)},
    {"scenario", offsetof(struct session, scenario)},
    {"observed", offsetof(struct session, observed)},
    {"role", offsetof(struct session, role)},
    {"purpose", offsetof(struct session, purpose)},
    {"local", offsetof(struct session, local)},
    {"remote", offsetof(struct session, remote)},
    {"answer", offsetof(struct session, answer)},
    {"version", offsetof(struct session, version)},
    {"variant", offsetof(struct session, variant)},
};

static bool text_field(struct session *s, const char *line)
{
        for (size_t i = 0; i < sizeof(text_fields) / sizeof(text_fields[0]); i++) {
                size_t k = strlen(text_fields[i].word);

                if (strncmp(line, text_fields[i].word, k) == 0 && line[k] == ' ') {
                        field((char *)s + text_fields[i].offset, line, k + 1);
                        return true;
                }
        }
        return false;
}

static void session_load(struct session *s, const char *name)
{
        char path[512], line[65536];
        FILE *f;

        memset(s, 0, sizeof(*s));
        snprintf(s->name, sizeof(s->name), "%s", name);
        snprintf(path, sizeof(path), SESSION_DIR "/%s", name);
        f = fopen(path, "r");
        cr_assert_not_null(f, "%s", path);
        while (fgets(line, sizeof(line), f) != NULL) {
                cr_assert(strchr(line, '\n') != NULL, "%s: a line longer than %zu", name,
                          sizeof(line));
                if (line[0] == '#')
                        continue;
                if ((line[0] == '<' || line[0] == '>') && line[1] == ' ') {
                        cr_assert_lt(s->n, MAX_CHUNKS, "%s: too many chunks", name);
                        s->dir[s->n] = line[0];
                        buf_init(&s->chunk[s->n], 0);
                        unescape(line + 2, &s->chunk[s->n]);
                        s->n++;
                } else if (text_field(s, line))
                        continue;
                else if (strncmp(line, "row ", 4) == 0)
                        s->row = (int)strtol(line + 4, NULL, 10);
                else if (strncmp(line, "misbehave ", 10) == 0) {
                        int m;

                        line[strcspn(line, "\n")] = '\0';
                        m = misbehave_lookup(line + 10);
                        cr_assert_geq(m, 0, "%s: unknown misbehaviour %s", name, line + 10);
                        s->misbehave |= 1u << m;
                } else if (strncmp(line, "verify ", 7) == 0)
                        cr_assert_eq(sscanf(line + 7, "%255s %255s %255s %255s", s->vfrom, s->vto,
                                            s->vid, s->vkey),
                                     4, "%s: %s", name, line);
                else if (strncmp(line, "harness-key ", 12) == 0) {
                        char rcv[FIELD], orig[FIELD], sid[FIELD];
                        struct hkey *k = &s->keys[s->n_keys];

                        cr_assert_lt(s->n_keys, MAX_KEYS);
                        cr_assert_eq(sscanf(line + 12, "%64s %255s %255s %255s", k->recorded, rcv,
                                            orig, sid),
                                     4, "%s: %s", name, line);
                        /* The key our engine makes for the same pair and id. */
                        cr_assert_eq(dialback_key(REPLAY_SECRET, rcv, orig, sid, k->replayed), 0);
                        s->n_keys++;
                } else if (line[0] != '\n')
                        cr_assert_fail("%s: unknown line %s", name, line);
        }
        fclose(f);
        cr_assert(s->n > 0 && s->row >= 1 && s->row <= 18 && s->local[0] != '\0',
                  "%s: incomplete session", name);
}

static void session_free(struct session *s)
{
        for (size_t i = 0; i < s->n; i++)
                buf_cleanup(&s->chunk[i]);
}

/* The chunk's text with every recorded harness key replaced by ours (the
 * partner only echoes it: XEP-0220 §2.1.2, §2.3). */
static void substitute(const struct session *s, const struct buf *in, struct buf *out)
{
        buf_init(out, 0);
        cr_assert_eq(buf_append(out, in->data, in->len), 0);
        for (size_t k = 0; k < s->n_keys; k++) {
                for (size_t i = 0; i + DIALBACK_KEY_LEN <= out->len; i++) {
                        if (memcmp(out->data + i, s->keys[k].recorded, DIALBACK_KEY_LEN) == 0)
                                memcpy(out->data + i, s->keys[k].replayed, DIALBACK_KEY_LEN);
                }
        }
}

static const char *find(const char *hay, size_t n, const char *needle)
{
        size_t k = strlen(needle);

        for (size_t i = 0; i + k <= n; i++) {
                if (memcmp(hay + i, needle, k) == 0)
                        return hay + i;
        }
        return NULL;
}

/* The value of attribute name in the first <stream:stream ...> of text. */
static void header_attr(const struct buf *b, const char *name, char *out, size_t outlen)
{
        char pat[32];
        const char *h, *p, *end = b->data + b->len;

        out[0] = '\0';
        h = find(b->data, b->len, "<stream:stream");
        if (h == NULL)
                return;
        snprintf(pat, sizeof(pat), " %s=", name);
        p = find(h, (size_t)(end - h), pat);
        if (p == NULL || p + strlen(pat) + 1 >= end)
                return;
        p += strlen(pat);
        snprintf(out, outlen, "%.*s", (int)(strchr(p + 1, *p) - p - 1), p + 1);
}

/* The recorded run's observed codes ("F1|F4") as OUTCOME_BITs. */
static unsigned observed_codes(const struct session *s)
{
        char copy[FIELD];
        unsigned bits = 0;

        snprintf(copy, sizeof(copy), "%s", s->observed);
        for (char *save = NULL, *t = strtok_r(copy, "|", &save); t != NULL;
             t = strtok_r(NULL, "|", &save)) {
                bool found = false;

                for (int o = 0; o < OUTCOME_COUNT; o++) {
                        if (strcmp(outcome_name((enum outcome)o), t) == 0) {
                                bits |= OUTCOME_BIT(o);
                                found = true;
                        }
                }
                cr_assert(found, "%s: recorded outcome %s is no outcome code", s->name, t);
        }
        return bits;
}

/* Randomness for the replayed engine: our recorded stream id first, then a
 * fixed sequence. */
struct replay_random {
        unsigned char id[16];
        bool have_id, used;
        uint64_t state;
};

static int replay_random(void *user, void *out, size_t len)
{
        struct replay_random *r = user;

        if (r->have_id && !r->used && len == sizeof(r->id)) {
                memcpy(out, r->id, len);
                r->used = true;
                return 0;
        }
        return test_random(&r->state, out, len);
}

static void on_trace(void *user, const struct trace_entry *t)
{
        buf_printf(user, "trace %s %.*s\n", engine_trace_kind_name(t->kind), (int)t->len, t->text);
}

static enum db_type answer_type(const char *a)
{
        if (strcmp(a, "valid") == 0)
                return DB_VALID;
        if (strcmp(a, "invalid") == 0)
                return DB_INVALID;
        return DB_ERROR;
}

static const char *const event_names[] = {
    [EV_NEED_VERIFY] = "need-verify",
    [EV_VERIFY_ANSWER] = "verify-answer",
    [EV_AUTHENTICATED] = "authenticated",
    [EV_STANZA] = "stanza",
    [EV_CLOSED] = "closed",
    [EV_PAIR_FAILED] = "pair-failed",
    [EV_PAIR_DONE] = "pair-done",
};

/* Drains events (answering EV_NEED_VERIFY as the recording's authoritative
 * server did) and output into the digest. Returns the output's length. */
static size_t drain(struct engine *e, const struct session *s, struct buf *digest,
                    struct buf *first_out, int *verify_answer)
{
        struct engine_event ev;
        struct buf *out = engine_output(e);
        size_t n = out->len;

        for (int guard = 0; guard < 64 && engine_next_event(e, &ev) == 1; guard++) {
                buf_printf(digest, "event %s from=%s to=%s id=%s key=%s type=%d\n",
                           event_names[ev.kind], ev.from, ev.to, ev.id, ev.key, (int)ev.type);
                if (ev.kind == EV_NEED_VERIFY) {
                        cr_assert(s->answer[0] != '\0', "%s: a db:result and no answer recorded",
                                  s->name);
                        cr_assert_eq(
                            engine_verify_result(e, ev.from, ev.to, ev.id, answer_type(s->answer)),
                            0);
                } else if (ev.kind == EV_VERIFY_ANSWER)
                        *verify_answer = (int)ev.type;
                engine_event_cleanup(&ev);
        }
        n = out->len;
        if (n > 0) {
                buf_printf(digest, "output %.*s\n", (int)n, out->data);
                if (first_out->len == 0)
                        cr_assert_eq(buf_append(first_out, out->data, n), 0);
                buf_consume(out, n);
        }
        return n;
}

/* One replay of s into a fresh engine; the digest of all it reported into d. */
static void replay(const struct session *s, struct buf *d)
{
        const char *hosted[1] = {s->local};
        struct engine_config c;
        struct replay_random rnd;
        struct engine *e;
        struct buf first_out, sub;
        char err[256], rec_id[FIELD];
        const struct engine_result *r;
        const struct finding *f;
        size_t nf, first_sent = 0;
        int verify_answer = -1;
        bool receiving = strcmp(s->role, "receiving") == 0;
        bool verify = strcmp(s->purpose, "verify") == 0;

        while (first_sent < s->n && s->dir[first_sent] != '>')
                first_sent++;
        cr_assert_lt(first_sent, s->n, "%s: the harness sent nothing", s->name);
        memset(&rnd, 0, sizeof(rnd));
        rnd.state = 42;
        /* Our stream id when receiving (the peer's when initiating). */
        header_attr(&s->chunk[first_sent], "id", rec_id, sizeof(rec_id));
        if (receiving) {
                gnutls_datum_t hex = {(unsigned char *)rec_id, (unsigned)strlen(rec_id)};
                size_t len = sizeof(rnd.id);

                cr_assert_eq(gnutls_hex_decode(&hex, rnd.id, &len), 0, "%s: id %s", s->name,
                             rec_id);
                rnd.have_id = len == sizeof(rnd.id);
        }
        memset(&c, 0, sizeof(c));
        c.role = receiving ? ENGINE_RECEIVING : ENGINE_INITIATING;
        c.purpose = verify ? PURPOSE_VERIFY : PURPOSE_AUTH;
        c.hosted = hosted;
        c.n_hosted = 1;
        c.remote_domain = receiving ? NULL : s->remote;
        cr_assert_eq(settings_from_row(s->row, &c.neg), 0);
        c.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&c.knobs);
        if (s->misbehave != 0) {
                /* What the harness did wrong on purpose (the recorded negatives). */
                struct misbehave_effects fx;
                size_t len = strlen(s->scenario);
                bool out = len > 4 && strcmp(s->scenario + len - 4, "-out") == 0;

                misbehave_apply(s->misbehave, out ? DIR_OUTBOUND : DIR_INBOUND, &c.knobs.bad, &fx);
        }
        c.secret = REPLAY_SECRET;
        if (verify) {
                c.verify_from = s->vfrom;
                c.verify_to = s->vto;
                c.verify_id = s->vid;
                c.verify_key = s->vkey;
        }
        xs_limits_default(&c.limits);
        c.trace = on_trace;
        c.trace_user = d;
        c.random = replay_random;
        c.random_user = &rnd;
        e = engine_new(&c, err, sizeof(err));
        cr_assert_not_null(e, "%s: %s", s->name, err);
        buf_init(&first_out, 0);
        if (!receiving)
                cr_assert_eq(engine_start(e), 0);
        drain(e, s, d, &first_out, &verify_answer);
        for (size_t i = 0; i < s->n; i++) {
                if (s->dir[i] != '<')
                        continue;
                substitute(s, &s->chunk[i], &sub);
                buf_printf(d, "input %.*s\n", (int)sub.len, sub.data);
                cr_assert_eq(engine_input(e, sub.data, sub.len), 0, "%s: chunk %zu", s->name, i);
                buf_cleanup(&sub);
                drain(e, s, d, &first_out, &verify_answer);
        }
        engine_peer_closed(e);
        drain(e, s, d, &first_out, &verify_answer);

        /* Against the recording itself. */
        cr_assert_eq(first_out.len, s->chunk[first_sent].len,
                     "%s: our first output differs from the recorded one:\n%.*s\n---\n%.*s",
                     s->name, (int)first_out.len, first_out.data, (int)s->chunk[first_sent].len,
                     s->chunk[first_sent].data);
        cr_assert(memcmp(first_out.data, s->chunk[first_sent].data, first_out.len) == 0,
                  "%s: our first output differs from the recorded one", s->name);
        buf_cleanup(&first_out);
        if (receiving) {
                cr_assert_str_eq(engine_stream_id(e), rec_id, "%s", s->name);
        } else {
                char peer_id[FIELD];
                size_t k = 0;

                while (k < s->n && s->dir[k] != '<')
                        k++;
                cr_assert_lt(k, s->n);
                header_attr(&s->chunk[k], "id", peer_id, sizeof(peer_id));
                cr_assert_str_eq(engine_stream_id(e), peer_id, "%s", s->name);
        }
        r = engine_result(e);
        if (verify) {
                cr_assert_eq(verify_answer, (int)answer_type("valid"),
                             "%s: the recorded authoritative server answered valid", s->name);
        } else if (strcmp(s->purpose, "auth") == 0) {
                unsigned want = observed_codes(s);

                cr_assert_eq(r->outcomes, want, "%s: replayed outcomes 0x%x, recorded %s (0x%x)",
                             s->name, r->outcomes, s->observed, want);
                cr_assert_eq(r->authenticated, (want & OUTCOME_SUCCESS_SET) != 0, "%s", s->name);
        } else {
                /* The partner's db:verify to us (XEP-0220 §2.2.2): only that. */
                cr_assert(engine_verify_only(e), "%s", s->name);
        }
        buf_printf(d,
                   "result final=%d outcomes=0x%x tls=%d authenticated=%d method=%u pairs=%u "
                   "restarts=%u peer_error=%s peer_domain=%s silent=%d cause=%s rule=%s\n",
                   r->final, r->outcomes, r->tls, r->authenticated, r->method, r->pairs,
                   r->restarts, r->peer_error, r->peer_domain, r->peer_silent, r->cause, r->rule);
        buf_printf(d, "stream-id %s state %s\n", engine_stream_id(e),
                   engine_state_name(engine_state(e)));
        f = engine_findings(e, &nf);
        for (size_t i = 0; i < nf; i++)
                buf_printf(d, "finding %d %s %s %s\n", (int)f[i].kind, f[i].state, f[i].rule,
                           f[i].text);
        engine_free(e);
}

static void check_session(const char *name)
{
        struct session s;
        struct buf a, b, want;
        char path[512];
        FILE *f;
        bool regold = getenv("S2S_REPLAY_REGOLD") != NULL;

        session_load(&s, name);
        buf_init(&a, 0);
        buf_init(&b, 0);
        replay(&s, &a);
        replay(&s, &b);
        cr_assert(a.len == b.len && memcmp(a.data, b.data, a.len) == 0, "%s: two replays differ",
                  name);
        snprintf(path, sizeof(path), SESSION_DIR "/%.*s.expect", (int)(strlen(name) - 8), name);
        if (regold) {
                f = fopen(path, "w");
                cr_assert_not_null(f, "%s", path);
                cr_assert_eq(fwrite(a.data, 1, a.len, f), a.len);
                fclose(f);
        } else {
                char chunk[4096];
                size_t n;

                f = fopen(path, "r");
                cr_assert_not_null(f, "%s: no golden file (S2S_REPLAY_REGOLD=1 writes it)", path);
                buf_init(&want, 0);
                while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
                        cr_assert_eq(buf_append(&want, chunk, n), 0);
                fclose(f);
                if (want.len != a.len || memcmp(want.data, a.data, a.len) != 0) {
                        size_t i = 0;

                        while (i < want.len && i < a.len && want.data[i] == a.data[i])
                                i++;
                        cr_assert_fail("%s: the replay differs from %s at byte %zu:\n"
                                       "golden: %.200s\nreplay: %.200s",
                                       name, path, i, want.data + i, a.data + i);
                }
                buf_cleanup(&want);
        }
        buf_cleanup(&a);
        buf_cleanup(&b);
        session_free(&s);
}

Test(replay, every_recorded_session)
{
        DIR *d = opendir(SESSION_DIR);
        struct dirent *de;
        char names[64][256];
        size_t n = 0;
        bool prosody = false, ejabberd = false;

        cr_assert_not_null(d, SESSION_DIR);
        while ((de = readdir(d)) != NULL) {
                size_t len = strlen(de->d_name);

                if (len <= 8 || len >= sizeof(names[0]) ||
                    strcmp(de->d_name + len - 8, ".session") != 0)
                        continue;
                cr_assert_lt(n, 64);
                memcpy(names[n++], de->d_name, len + 1);
                prosody |= strncmp(de->d_name, "prosody-", 8) == 0;
                ejabberd |= strncmp(de->d_name, "ejabberd-", 9) == 0;
        }
        closedir(d);
        cr_assert(prosody && ejabberd, "sessions of both real servers are recorded");
        for (size_t i = 0; i < n; i++)
                check_session(names[i]);
}

/* A receiving engine for harness.test, H17 (no TLS, dialback), no randomness yet. */
static void plain_receiving(struct engine_config *c, const char *const *hosted)
{
        memset(c, 0, sizeof(*c));
        c->role = ENGINE_RECEIVING;
        c->purpose = PURPOSE_AUTH;
        c->hosted = hosted;
        c->n_hosted = 1;
        cr_assert_eq(settings_from_row(17, &c->neg), 0);
        engine_knobs_default(&c->knobs);
        xs_limits_default(&c->limits);
}

Test(replay, engine_refuses_a_config_without_randomness)
{
        const char *hosted[1] = {"harness.test"};
        struct engine_config c;
        char err[256] = "";

        plain_receiving(&c, hosted);
        cr_assert_null(engine_new(&c, err, sizeof(err)));
        cr_assert(strstr(err, "random") != NULL, "%s", err);
}

/* The id in the header comes from the callback: another sequence, another id. */
Test(replay, stream_id_comes_from_the_callback)
{
        const char *hosted[1] = {"harness.test"};
        static const char hdr[] = "<?xml version='1.0'?><stream:stream xmlns='jabber:server' "
                                  "xmlns:stream='http://etherx.jabber.org/streams' "
                                  "xmlns:db='jabber:server:dialback' from='partner.test' "
                                  "to='harness.test' version='1.0'>";
        char ids[2][64];

        for (int k = 0; k < 2; k++) {
                struct replay_random rnd;
                struct engine_config c;
                struct engine *e;
                char err[256];

                memset(&rnd, 0, sizeof(rnd));
                memset(rnd.id, k == 0 ? 0xab : 0x01, sizeof(rnd.id));
                rnd.have_id = true;
                plain_receiving(&c, hosted);
                c.random = replay_random;
                c.random_user = &rnd;
                e = engine_new(&c, err, sizeof(err));
                cr_assert_not_null(e, "%s", err);
                cr_assert_eq(engine_input(e, hdr, sizeof(hdr) - 1), 0);
                snprintf(ids[k], sizeof(ids[k]), "%s", engine_stream_id(e));
                engine_free(e);
        }
        cr_assert_str_eq(ids[0], "abababababababababababababababab");
        cr_assert_str_eq(ids[1], "01010101010101010101010101010101");
}
