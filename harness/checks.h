/*
 * Named wire checks (docs/scenarios.md, "Checks"): one row per check in
 * checks.c (name, directions, rule ids, predicate), pure predicates over what
 * the harness's own streams saw of one scenario. The runner gathers the facts
 * from the engines' typed records (findings by rule id, observations: features
 * the partner advertised, stream ids, dialback answers); check_eval judges one
 * check. The success checks (new stream id, no STARTTLS after TLS, from/to
 * echoed, the test stanza answered) are a subset the runner applies to every
 * successful scenario (check_success_set).
 */
#ifndef S2S_CHECKS_H
#define S2S_CHECKS_H

#include <stdbool.h>
#include <stddef.h>

#include "engine.h"
#include "scenario.h"

/* One <stream:features/> the partner sent on the scenario's stream (outbound). */
struct check_features {
        bool post_tls;    /* sent after the TLS handshake */
        bool after_sasl;  /* sent after SASL <success/> (empty or voluntary, RFC 6120 §6.4.6) */
        int starttls;     /* 0 none, 1 offered, 2 offered with <required/> */
        bool external;    /* SASL EXTERNAL offered */
        bool dialback;    /* the dialback feature (XEP-0220 §2.1, XEP-0288-style signal) */
        bool db_declared; /* the stream header declared xmlns:db */
};

/* What the harness saw of one scenario. Everything is borrowed. */
struct check_facts {
        enum direction dir;
        struct neg_settings partner; /* the partner's configuration (matrix semantics) */
        bool proving_cert;      /* the harness's certificate proves its domain (default variant) */
        unsigned observed;      /* OUTCOME_BIT set of the scenario's stream */
        bool tls;               /* the scenario's stream ran TLS */
        unsigned method;        /* METHOD_* that authenticated it, 0 if none */
        const char *peer_error; /* stream error condition the partner sent, "" if none */
        /* Outbound: the harness's test stanza (a ping) was answered with a result.
         * Inbound: the partner's test stanza reached the harness (reference partner)
         * or the partner answered the trigger's ping (real partner). */
        bool pong;
        unsigned stanzas_from_partner;  /* outbound: stanzas the partner sent the harness,
                                           other than answers to its pings */
        const struct finding *findings; /* the findings of every harness stream */
        size_t n_findings;
        const struct check_features *features; /* outbound: in order */
        size_t n_features;
        bool sasl_success_pre_tls; /* <success/> came before any TLS */
        bool db_result_sent;       /* outbound: the harness sent a <db:result/> */
        const char *post_tls_id;   /* outbound: the partner's stream id after TLS, "" */
        const char *verify_id;     /* outbound: id of the partner's first <db:verify/>, "" */
        /* The partner answered type='valid' to a key whose db:verify never reached
         * the harness's authoritative server (engine_result.unverified_valid). */
        bool unverified_valid;
};

/* Where a failing predicate writes its reason and the rule it cites. */
struct check_why {
        char *text;
        size_t len;
        enum rule_id rule;
};

/* One row of the check table. A new check is a new row here (and, where it needs
 * a fact no record carries yet, one engine site). */
#define CHECK_RULES_MAX 4

/* What a check needs of the run beyond its facts (check_def.needs bits). */
enum {
        /* Applied to every success that matched, in the directions of its row
         * (the success checks: check_success_set). */
        CHECK_ON_SUCCESS = 1u << 0,
        /* It is the test stanza's answer: the verdict waits for every ping to be
         * answered, even when the harness misbehaves or presents another
         * certificate variant. */
        CHECK_NEEDS_PING = 1u << 1,
        /* It judges how the partner reacts to what the harness did: the verdict
         * waits for the partner to close its stream, also after a failure. */
        CHECK_NEEDS_REACTION = 1u << 2,
        /* The harness's engine is told the partner's configured settings, so that
         * it can see a partner go against them (a TLS downgrade). */
        CHECK_NEEDS_PEER_SETTINGS = 1u << 3,
};

struct check_def {
        const char *name; /* "new-stream-id", the <check name=> of scenarios */
        unsigned dirs;    /* SCENARIO_DIR_* bits it applies to */
        /* The rules it judges (rules.h), RULE_NONE-terminated; the first is the one
         * the result cites when the check fails. */
        enum rule_id rules[CHECK_RULES_MAX];
        const char *what; /* one sentence: what must hold */
        bool (*holds)(const struct check_facts *f, struct check_why *w);
        unsigned needs; /* CHECK_ON_SUCCESS, CHECK_NEEDS_* bits */
};

/* The table, CHECK_COUNT rows indexed by enum scenario_check. */
const struct check_def *check_table(void);

/* The table as scenario name rows (spec: the rules' citations), for the loader,
 * `list` and the docs. */
const struct scenario_name_info *check_names(void);

/*
 * Judges check c on the facts. Returns true when it holds (or cannot apply:
 * verify-id-post-tls when no dialback answer came); false with a one-line reason in
 * why, naming the rule (for the cause of a mismatch).
 */
bool check_eval(enum scenario_check c, const struct check_facts *f, char *why, size_t whylen);

/* check_eval that also gives the rule a failure cites in *rule (RULE_NONE when the
 * check holds). */
bool check_eval_rule(enum scenario_check c, const struct check_facts *f, char *why, size_t whylen,
                     enum rule_id *rule);

/* The checks every success in direction dir must also pass (bits 1u << enum
 * scenario_check): the rows marked CHECK_ON_SUCCESS whose directions include dir
 * (docs/scenarios.md, "Checks"): new stream id after each restart (outbound), no
 * STARTTLS after TLS, from/to echoed, the test stanza accepted. */
unsigned check_success_set(enum direction dir);

/* The checks (bits 1u << enum scenario_check) whose row has every bit of needs. */
unsigned check_set_with(unsigned needs);

#endif
