/*
 * Scenarios: what one run against a partner does and expects (design.md §5).
 * One XML file per scenario (namespace urn:s2scheck:scenario:1, schema
 * harness/schema/scenario.rng), stating only what differs from the defaults.
 * A suite is every *.xml file of one or more folders, loaded strictly: the
 * first problem stops the load with one message naming file, line and field.
 * docs/scenarios.md describes the format, the defaults and the name tables.
 */
#ifndef S2S_SCENARIO_H
#define S2S_SCENARIO_H

#include <stdbool.h>
#include <stddef.h>

#include "certvariant.h"
#include "engine.h"
#include "oracle.h"
#include "settings.h"

/* Input bounds: anything larger is refused with a clear error. */
#define SCENARIO_FILE_MAX (64 * 1024)
#define SCENARIO_FILES_MAX 2000 /* *.xml files in one folder */
#define SCENARIO_SUITE_MAX 4000 /* scenarios in one suite (all folders) */
#define SCENARIO_ID_MAX 63      /* a DNS label: the runner names a harness subdomain after it */
#define SCENARIO_TAG_MAX 32
#define SCENARIO_TAGS_MAX 16
#define SCENARIO_SPECS_MAX 16
#define SCENARIO_MULTIPLEX_MAX 8

/* The suite in the source tree (tests); the program reads data_scenarios_dir(). */
#define SCENARIO_DEFAULT_DIR S2S_SOURCE_DIR "/scenarios"

/* enum cert_variant and its names: certvariant.h. */

/* The most misbehaviours a scenario can name: its set is bits (1u << misbehave.h row). */
#define SCENARIO_MISBEHAVE_MAX 32

/* Named wire checks a scenario asks for on top of its outcome. */
enum scenario_check {
        CHECK_NEW_STREAM_ID = 0,
        CHECK_STREAM_ID_PRESENT,
        CHECK_NO_STARTTLS_AFTER_TLS,
        CHECK_FROM_TO_ECHOED,
        CHECK_PING_ANSWERED,
        CHECK_NO_STANZA_ACCEPTED,
        CHECK_VERIFY_ID_POST_TLS,
        CHECK_FEATURES_CONSISTENT,
        CHECK_STARTTLS_FAILURE_CLOSE,
        CHECK_INVALID_FROM,
        CHECK_DB_INVALID_CLOSE,
        CHECK_DB_ITEM_NOT_FOUND,
        CHECK_NO_PLAINTEXT_AUTH,
        CHECK_UNSOLICITED_IGNORED,
        CHECK_NOT_AUTHORIZED_CLOSE,
        CHECK_NO_SASL_BEFORE_TLS,
        CHECK_FEATURES_AFTER_SASL,
        CHECK_INVALID_NAMESPACE,
        CHECK_HOST_UNKNOWN,
        CHECK_IMPROPER_ADDRESSING,
        CHECK_NOT_WELL_FORMED,
        CHECK_COUNT,
};

/* Knobs for the reference's UNDEFINED points: fields of struct engine_knobs. */
enum scenario_knob {
        KNOB_ON_BAD_PEER_CERT = 0,
        KNOB_DIALBACK_OFF_REPLY,
        KNOB_DIALBACK_AFTER_SASL_FAILURE,
        KNOB_SASL_SEND_AUTHZID,
        KNOB_DIALBACK_REQUIRES_VALID_CERT,
        KNOB_DECLARE_DB_WITHOUT_METHOD,
        KNOB_SASL_MAX_FAILURES,
        KNOB_WHITESPACE_KEEPALIVES,
        KNOB_COUNT,
};

/* Which of the partner's domains the scenario addresses. */
enum partner_domain_select {
        PARTNER_DOMAIN_PRIMARY = 0,
        PARTNER_DOMAIN_ADDITIONAL, /* each additional domain; skipped when there is none */
};

/* Directions a name applies to (bits). */
#define SCENARIO_DIR_OUT (1u << DIR_OUTBOUND)
#define SCENARIO_DIR_IN (1u << DIR_INBOUND)

/* One row of a name table, for docs, reports and the loader's messages. */
struct scenario_name_info {
        const char *name;   /* "reuse-stream-id" */
        unsigned dirs;      /* SCENARIO_DIR_* bits it applies to */
        const char *spec;   /* "RFC 6120 §4.3.3" */
        const char *what;   /* one sentence */
        const char *values; /* knobs: the accepted values, "a, b"; NULL otherwise */
};

/* Plain data; every pointer is owned by the scenario (scenario_suite_cleanup frees). */
struct scenario {
        char *id;    /* DNS label, unique in the suite */
        char *file;  /* the file it came from */
        long line;   /* line of <scenario> */
        char *title; /* "" when none */
        char **tags;
        size_t n_tags;
        char **specs; /* "RFC 6120 §5.4.3.3" */
        size_t n_specs;
        enum direction dir;
        /* <harness>: default Optional/Optional/true, matrix (row H9). */
        struct neg_settings harness;
        enum semantics sem;
        enum cert_variant cert;          /* default CERT_DEFAULT */
        enum db_answer authoritative;    /* default DB_ANSWER_TRUTHFUL */
        enum partner_domain_select pdom; /* default PARTNER_DOMAIN_PRIMARY */
        char **mux_from;                 /* extra harness sender labels */
        size_t n_mux_from;               /* at most SCENARIO_MULTIPLEX_MAX */
        bool mux_additional;             /* target-multiplex each additional partner domain */
        unsigned misbehave;              /* bits (1u << misbehave.h row index) */
        struct engine_knobs knobs;       /* engine_knobs_default plus <knob> overrides */
        unsigned knobs_set;              /* bit (1u << enum scenario_knob) for each override */
        unsigned requires_partner_tls;   /* bit (1u << enum neg) allowed; 0 = any */
        int requires_partner_dialback;   /* -1 any, 0 false, 1 true */
        int requires_partner_keepalive;  /* -1 any, 0 false, 1 true (EnableKeepAlive) */
        bool expect_oracle;              /* true: the oracle computes the outcome */
        unsigned oracle_without;         /* METHOD_* bits the scenario makes impossible */
        unsigned outcomes;               /* !expect_oracle: the accepted set (OUTCOME_BIT) */
        unsigned also_accept;            /* expect_oracle: further accepted codes */
        unsigned checks;                 /* bit (1u << enum scenario_check) */
        char *xfail;                     /* reason of an expected deviation, or NULL */
        char *quirk_at; /* "FILE:LINE" of the quirks entry that set xfail (quirks.h), or NULL */
        bool selected;  /* set by scenario_select */
};

struct scenario_suite {
        struct scenario *items; /* owned; in load order (folder by folder, file names sorted) */
        size_t n;
        size_t n_selected; /* set by scenario_select */
};

/*
 * Loads every *.xml file of dir (names in strcmp order; hidden files and
 * subfolders are ignored) into *out, which is overwritten. Each file is
 * validated against the built-in schema, then checked (ids, names, values,
 * directions); ids must be unique. A folder without scenario files is an error.
 * Returns 0 with *out filled (free with scenario_suite_cleanup), or -1 with *out
 * empty and one line in err:
 *   FILE:LINE: FIELD: what is wrong; accepted: what would be
 * (":LINE" left out when no line applies). Nothing is printed.
 */
int scenario_load_dir(const char *dir, struct scenario_suite *out, char *err, size_t errlen);

/*
 * Adds the scenarios of dir to a loaded suite (a user's folder next to the
 * default one). Ids must stay unique across both. Returns 0, or -1 with the
 * suite unchanged and one line in err as for scenario_load_dir.
 */
int scenario_suite_add_dir(struct scenario_suite *suite, const char *dir, char *err, size_t errlen);

/*
 * Marks the selected scenarios: with only-words, a scenario is selected when
 * one of them is its id, one of its tags or its direction ("outbound",
 * "inbound"); a scenario matching a skip-word is not selected. A word that
 * matches no scenario of the suite is an error (a typo must not select
 * nothing silently). Returns 0 and sets suite->n_selected, or -1 with one line
 * in err (selection left unchanged).
 */
int scenario_select(struct scenario_suite *suite, const char *const *only, size_t n_only,
                    const char *const *skip, size_t n_skip, char *err, size_t errlen);

/* Frees everything the suite owns and zeroes it. Safe on a zeroed struct. */
void scenario_suite_cleanup(struct scenario_suite *suite);

/* Whether s carries tag. */
bool scenario_has_tag(const struct scenario *s, const char *tag);

/* Name tables, COUNT entries each; the loader accepts exactly these names (the
 * misbehaviours are misbehave.h's rows). */
const struct scenario_name_info *scenario_checks(void);
const struct scenario_name_info *scenario_knobs(void);

/* "default", "expired", ... "none"; "?" out of range. */

/* "truthful", "valid", "invalid", "error", "none". */
const char *db_answer_name(enum db_answer a);

#endif
