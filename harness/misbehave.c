#include "misbehave.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "rules.h"
#include "util.h"

#define OUT (1u << DIR_OUTBOUND)
#define IN (1u << DIR_INBOUND)
#define BOTH (OUT | IN)
#define FLAG(field) offsetof(struct engine_misbehaviour, field)

/*
 * What the harness does wrong on purpose. Each is a probe of one rule the
 * partner must enforce. Columns: name, directions, rule, what it does, needs,
 * the engine bool it sets and in which directions, the effect outside the
 * engine and in which directions, the runner's transcript line.
 */
static const struct misbehave_row rows[] = {
    {"reuse-stream-id", IN, RULE_STR_6,
     "the response header after each stream restart repeats the first "
     "stream id",
     MISBEHAVE_NEEDS_TLS, FLAG(reuse_stream_id), IN, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"starttls-after-tls", BOTH, RULE_TLS_9,
     "outbound: sends <starttls/> again on the TLS-protected stream; "
     "inbound: offers <starttls/> again in the post-TLS features",
     MISBEHAVE_NEEDS_TLS, FLAG(starttls_after_tls), BOTH, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"wrong-from", BOTH, RULE_H_HDR_FROM,
     "outbound: the initial header's from is a domain the harness cannot "
     "prove (wrong.test); inbound: the response header's from is not the "
     "domain the partner addressed",
     0, FLAG(wrong_header_from), IN, MISBEHAVE_EFFECT_WRONG_SENDER, OUT, NULL},
    {"no-id", IN, RULE_H_HDR_ID, "the response header carries no stream id", 0,
     FLAG(omit_stream_id), IN, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"pre-tls-dialback-key", OUT, RULE_H_DB_KEY_INVALID,
     "sends <db:result/> on the plaintext stream before STARTTLS and "
     "does not repeat it after TLS",
     MISBEHAVE_NEEDS_TLS | MISBEHAVE_NEEDS_DIALBACK, FLAG(key_with_pre_tls_id), OUT,
     MISBEHAVE_EFFECT_NONE, 0,
     "pre-tls-dialback-key: the harness keys its <db:result/> on the pre-TLS stream id"},
    {"stanza-before-auth", OUT, RULE_STR_7,
     "sends a stanza right after the first features, before any "
     "authentication",
     0, FLAG(stanza_before_auth), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"unauthenticated-from", OUT, RULE_H_SE_INVALID_FROM,
     "once authenticated, also sends a stanza from a harness domain "
     "that was never authenticated on the stream",
     0, FLAG(stanza_unauth_from), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"unoffered-starttls", OUT, RULE_TLS_6,
     "sends <starttls/> even when the features did not offer it", MISBEHAVE_NEEDS_TLS,
     FLAG(starttls_unoffered), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"auth-before-tls", OUT, RULE_H_SASL_PRE_TLS,
     "sends <auth mechanism='EXTERNAL'/> on the plaintext stream before "
     "STARTTLS, then goes on as configured if the stream stays open",
     0, FLAG(auth_before_tls), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"unsolicited-db-result", OUT, RULE_DB_9,
     "sends <db:result type='valid'/> that answers no request "
     "instead of a dialback request, then a stanza",
     MISBEHAVE_NEEDS_DIALBACK, FLAG(unsolicited_db_valid), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"plaintext-downgrade", OUT, RULE_H_DOWNGRADE,
     "ignores STARTTLS, even with <required/>, and goes on with "
     "dialback on the plaintext stream",
     MISBEHAVE_NEEDS_DIALBACK, FLAG(ignore_required_tls), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"external-bound-to-fail", IN, RULE_SASL_6,
     "offers EXTERNAL after TLS and answers <failure><not-"
     "authorized/></failure> to it, whatever the certificate",
     MISBEHAVE_NEEDS_TLS, FLAG(external_bound_to_fail), IN, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"ignore-db-result", IN, RULE_DB_5,
     "never answers the partner's <db:result/> (no verification, no "
     "result)",
     0, FLAG(ignore_db_result), IN, MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"wrong-dialback-key", OUT, RULE_DB_5,
     "sends a dialback key that its own authoritative server does "
     "not confirm",
     MISBEHAVE_NEEDS_DIALBACK, MISBEHAVE_NO_FLAG, 0, MISBEHAVE_EFFECT_ANSWER_INVALID, OUT,
     "wrong-dialback-key: the harness's authoritative server answers invalid to the partner's "
     "<db:verify/>"},
    {"silent-authoritative", OUT, RULE_DB_7,
     "the authoritative role accepts the partner's connection and "
     "never sends a byte (not even a stream header)",
     MISBEHAVE_NEEDS_DIALBACK | MISBEHAVE_NEEDS_OWN_ANSWER, FLAG(silent), OUT,
     MISBEHAVE_EFFECT_NONE, 0, NULL},
    {"unhosted-dialback-target", OUT, RULE_DB_6,
     "sends <db:result/> whose to is a domain the partner does "
     "not host, on a stream opened to its primary domain",
     MISBEHAVE_NEEDS_DIALBACK, FLAG(unhosted_db_target), OUT, MISBEHAVE_EFFECT_NONE, 0, NULL},
};

_Static_assert(ARRAY_LEN(rows) <= 32, "a scenario's misbehaviours are bits of an unsigned");

size_t misbehave_count(void)
{
        return ARRAY_LEN(rows);
}

const struct misbehave_row *misbehave_row(size_t i)
{
        return i < ARRAY_LEN(rows) ? &rows[i] : NULL;
}

int misbehave_lookup(const char *name)
{
        for (size_t i = 0; name != NULL && i < ARRAY_LEN(rows); i++) {
                if (strcmp(rows[i].name, name) == 0)
                        return (int)i;
        }
        return -1;
}

const char *misbehave_names(unsigned dirs, char *buf, size_t len)
{
        size_t used = 0;

        if (len > 0)
                buf[0] = '\0';
        for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
                if (rows[i].dirs & dirs)
                        util_list_add(buf, len, &used, rows[i].name);
        }
        return buf;
}

void misbehave_set_flag(struct engine_misbehaviour *bad, size_t flag)
{
        if (flag != MISBEHAVE_NO_FLAG && flag + sizeof(bool) <= sizeof(*bad))
                *(bool *)((char *)bad + flag) = true;
}

void misbehave_apply(unsigned set, enum direction dir, struct engine_misbehaviour *bad,
                     struct misbehave_effects *fx)
{
        unsigned d = 1u << dir;

        memset(fx, 0, sizeof(*fx));
        for (size_t i = 0; i < ARRAY_LEN(rows); i++) {
                const struct misbehave_row *r = &rows[i];

                if ((set & (1u << i)) == 0)
                        continue;
                if (r->flag_dirs & d)
                        misbehave_set_flag(bad, r->flag);
                if ((r->effect_dirs & d) == 0)
                        continue;
                if (r->effect == MISBEHAVE_EFFECT_ANSWER_INVALID)
                        fx->answer_invalid = true;
                else if (r->effect == MISBEHAVE_EFFECT_WRONG_SENDER)
                        fx->wrong_sender = true;
        }
}
