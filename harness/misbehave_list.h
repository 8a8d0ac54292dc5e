/*
 * The misbehaviours a scenario asks the harness to commit, one X line each: the
 * single place a new one is written (design.md §7, issue 11 item 3). Each line
 * yields both the row of misbehave.c's table (misbehave.h: struct misbehave_row)
 * and, for X lines, the bool of engine.h's struct engine_misbehaviour that the
 * engine reads at its site in engine.c. A new misbehaviour is therefore its line
 * here plus its engine site (two source files), plus a scenario and a test.
 *
 *   X(field, name, dirs, rule, what, needs, field_dirs, effect, effect_dirs, log)
 *     field: the bool in struct engine_misbehaviour, set in the directions
 *            field_dirs (a subset of dirs);
 *   Y(name, dirs, rule, what, needs, effect, effect_dirs, log)
 *     a misbehaviour with no engine bool, only a node-level effect.
 *
 * The columns after field are those of struct misbehave_row (rule: the rule it
 * probes, an enum rule_id of rules.h). IN, OUT, BOTH, RULE_*, MISBEHAVE_NEEDS_*
 * and MISBEHAVE_EFFECT_* are expanded only by misbehave.c. The order is the
 * table's (`list`, misbehave_names). No includes: engine.h expands it for the
 * bools only.
 */
#ifndef S2S_MISBEHAVE_LIST_H
#define S2S_MISBEHAVE_LIST_H

/* clang-format off */
#define MISBEHAVIOURS(X, Y)                                                                     \
    X(reuse_stream_id, "reuse-stream-id", IN, RULE_STR_6,                                       \
      "the response header after each stream restart repeats the first "                        \
      "stream id",                                                                              \
      MISBEHAVE_NEEDS_TLS, IN, MISBEHAVE_EFFECT_NONE, 0, NULL)                                  \
    X(starttls_after_tls, "starttls-after-tls", BOTH, RULE_TLS_9,                               \
      "outbound: sends <starttls/> again on the TLS-protected stream; "                         \
      "inbound: offers <starttls/> again in the post-TLS features",                             \
      MISBEHAVE_NEEDS_TLS, BOTH, MISBEHAVE_EFFECT_NONE, 0, NULL)                                \
    X(wrong_header_from, "wrong-from", BOTH, RULE_H_HDR_FROM,                                   \
      "outbound: the initial header's from is a domain the harness cannot "                     \
      "prove (wrong.test); inbound: the response header's from is not the "                     \
      "domain the partner addressed",                                                           \
      0, IN, MISBEHAVE_EFFECT_WRONG_SENDER, OUT, NULL)                                          \
    X(omit_stream_id, "no-id", IN, RULE_H_HDR_ID,                                               \
      "the response header carries no stream id",                                               \
      0, IN, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                    \
    X(key_with_pre_tls_id, "pre-tls-dialback-key", OUT, RULE_H_DB_KEY_INVALID,                  \
      "sends <db:result/> on the plaintext stream before STARTTLS and "                         \
      "does not repeat it after TLS",                                                           \
      MISBEHAVE_NEEDS_TLS | MISBEHAVE_NEEDS_DIALBACK, OUT, MISBEHAVE_EFFECT_NONE, 0,            \
      "pre-tls-dialback-key: the harness keys its <db:result/> on the pre-TLS stream id")       \
    X(stanza_before_auth, "stanza-before-auth", OUT, RULE_STR_7,                                \
      "sends a stanza right after the first features, before any "                              \
      "authentication",                                                                         \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                   \
    X(stanza_unauth_from, "unauthenticated-from", OUT, RULE_H_SE_INVALID_FROM,                  \
      "once authenticated, also sends a stanza from a harness domain "                          \
      "that was never authenticated on the stream",                                             \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                   \
    X(starttls_unoffered, "unoffered-starttls", OUT, RULE_TLS_6,                                \
      "sends <starttls/> even when the features did not offer it",                              \
      MISBEHAVE_NEEDS_TLS, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                 \
    X(auth_before_tls, "auth-before-tls", OUT, RULE_H_SASL_PRE_TLS,                             \
      "sends <auth mechanism='EXTERNAL'/> on the plaintext stream before "                      \
      "STARTTLS, then goes on as configured if the stream stays open",                          \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                   \
    X(unsolicited_db_valid, "unsolicited-db-result", OUT, RULE_DB_9,                            \
      "sends <db:result type='valid'/> that answers no request "                                \
      "instead of a dialback request, then a stanza",                                           \
      MISBEHAVE_NEEDS_DIALBACK, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                            \
    X(ignore_required_tls, "plaintext-downgrade", OUT, RULE_H_DOWNGRADE,                        \
      "ignores STARTTLS, even with <required/>, and goes on with "                              \
      "dialback on the plaintext stream",                                                       \
      MISBEHAVE_NEEDS_DIALBACK, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                            \
    X(external_bound_to_fail, "external-bound-to-fail", IN, RULE_SASL_6,                        \
      "offers EXTERNAL after TLS and answers <failure><not-"                                    \
      "authorized/></failure> to it, whatever the certificate",                                 \
      MISBEHAVE_NEEDS_TLS, IN, MISBEHAVE_EFFECT_NONE, 0, NULL)                                  \
    X(ignore_db_result, "ignore-db-result", IN, RULE_DB_5,                                      \
      "never answers the partner's <db:result/> (no verification, no "                          \
      "result)",                                                                                \
      0, IN, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                    \
    Y("wrong-dialback-key", OUT, RULE_DB_5,                                                     \
      "sends a dialback key that its own authoritative server does "                            \
      "not confirm",                                                                            \
      MISBEHAVE_NEEDS_DIALBACK, MISBEHAVE_EFFECT_ANSWER_INVALID, OUT,                           \
      "wrong-dialback-key: the harness's authoritative server answers invalid to the "          \
      "partner's <db:verify/>")                                                                 \
    X(silent, "silent-authoritative", OUT, RULE_DB_7,                                           \
      "the authoritative role accepts the partner's connection and "                            \
      "never sends a byte (not even a stream header)",                                          \
      MISBEHAVE_NEEDS_DIALBACK | MISBEHAVE_NEEDS_OWN_ANSWER, OUT, MISBEHAVE_EFFECT_NONE, 0,     \
      NULL)                                                                                     \
    X(unhosted_db_target, "unhosted-dialback-target", OUT, RULE_DB_6,                           \
      "sends <db:result/> whose to is a domain the partner does "                               \
      "not host, on a stream opened to its primary domain",                                     \
      MISBEHAVE_NEEDS_DIALBACK, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                \
    X(wrong_stream_ns, "wrong-stream-namespace", OUT, RULE_H_SE_INVALID_NAMESPACE,                    \
      "the initial header's stream namespace is not "                                           \
      "http://etherx.jabber.org/streams",                                                       \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                   \
    X(unhosted_stream_to, "unhosted-to", OUT, RULE_H_SE_HOST_UNKNOWN,                           \
      "the initial header's to names a domain the partner does not host "                       \
      "(" ENGINE_UNHOSTED_DOMAIN ")",                                                          \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                   \
    X(stanza_without_to, "stanza-without-to", OUT, RULE_H_SE_IMPROPER_ADDRESSING,                        \
      "once authenticated, also sends a stanza that has no to",                                 \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)                                                   \
    X(malformed_stanza, "malformed-stanza", OUT, RULE_H_SE_NOT_WELL_FORMED,                       \
      "once authenticated, also sends a stanza whose end tag does not "                         \
      "match its start tag (not well-formed XML)",                                              \
      0, OUT, MISBEHAVE_EFFECT_NONE, 0, NULL)
/* clang-format on */

#endif
