/*
 * The rule table (design.md §7, "A rule is a row, not a sentence"): one row per
 * rule s2scheck judges, with a stable id, the source and section it rests on, a
 * one-line requirement in the project's own words and a default severity.
 *
 * The ids STR-*, TLS-*, SASL-* and DB-* are the protocol reference's own
 * numbering; H-* rows are the harness's finer or own checks, each naming the
 * reference rule it refines (if any). Findings, checks and reports carry the
 * id; the citation text ("RFC 6120 §5.4.3.3") lives only in rules.c and is
 * looked up with rule_cite. docs/rules.md is generated from this table
 * (`s2scheck rules --markdown`).
 */
#ifndef S2S_RULES_H
#define S2S_RULES_H

enum rule_id {
        RULE_NONE = 0, /* no rule: an ordinary trace note */
        /* Streams (RFC 6120 §4) */
        RULE_STR_1,
        RULE_STR_2,
        RULE_STR_3,
        RULE_STR_4,
        RULE_STR_5,
        RULE_STR_6,
        RULE_STR_7,
        RULE_STR_8,
        RULE_STR_9,
        RULE_STR_10,
        RULE_STR_11,
        RULE_STR_12,
        /* STARTTLS (RFC 6120 §5) */
        RULE_TLS_1,
        RULE_TLS_2,
        RULE_TLS_3,
        RULE_TLS_4,
        RULE_TLS_5,
        RULE_TLS_6,
        RULE_TLS_7,
        RULE_TLS_8,
        RULE_TLS_9,
        RULE_TLS_10,
        /* SASL (RFC 6120 §6, XEP-0178) */
        RULE_SASL_1,
        RULE_SASL_2,
        RULE_SASL_3,
        RULE_SASL_4,
        RULE_SASL_5,
        RULE_SASL_6,
        RULE_SASL_7,
        RULE_SASL_8,
        RULE_SASL_9,
        RULE_SASL_10,
        RULE_SASL_11,
        /* Dialback (XEP-0220, XEP-0185, XEP-0344, XEP-0288) */
        RULE_DB_1,
        RULE_DB_2,
        RULE_DB_3,
        RULE_DB_4,
        RULE_DB_5,
        RULE_DB_6,
        RULE_DB_7,
        RULE_DB_8,
        RULE_DB_9,
        RULE_DB_10,
        RULE_DB_11,
        RULE_DB_12,
        RULE_DB_13,
        RULE_DB_14,
        RULE_DNS_1,
        RULE_DNS_2,
        RULE_DNS_3,
        RULE_DNS_4,
        RULE_DNS_5,
        RULE_DNS_6,
        RULE_DNS_7,
        RULE_CRT_1,
        RULE_CRT_2,
        RULE_CRT_3,
        RULE_CRT_4,
        RULE_CRT_5,
        RULE_CRT_6,
        /* The harness's own and finer rules */
        RULE_H_SASL_OK,
        RULE_H_DB_OK,
        RULE_H_NO_METHOD,
        RULE_H_HDR_FROM,
        RULE_H_HDR_TO,
        RULE_H_HDR_ID,
        RULE_H_HDR_ONCE,
        RULE_H_EXTERNAL_PRE_TLS,
        RULE_H_SASL_PRE_TLS,
        RULE_H_CERT_PROOF,
        RULE_H_CERT_POLICY,
        RULE_H_TLS_RECORD,
        RULE_H_DB_UNVERIFIED,
        RULE_H_DB_KEY_INVALID,
        RULE_H_DOWNGRADE,
        RULE_H_STANZA_ADDR,
        RULE_H_SE_HOST_UNKNOWN,
        RULE_H_SE_INVALID_FROM,
        RULE_H_SE_INVALID_NAMESPACE,
        RULE_H_SE_IMPROPER_ADDRESSING,
        RULE_H_SE_NOT_WELL_FORMED,
        RULE_H_SE_POLICY,
        RULE_H_SE_UNSUPPORTED_STANZA,
        RULE_H_SE_UNSUPPORTED_VERSION,
        RULE_H_PING,
        RULE_H_FEATURES_CONFIG,
        RULE_H_STEP_TIMEOUT,
        RULE_H_MISBEHAVIOUR,
        RULE_H_INTERNAL,
        RULE_H_CONNECT,
        RULE_H_NO_STREAM,
        RULE_H_HARNESS_SHORT,
        RULE_H_CERT_ID_TYPES,
        RULE_H_CERT_SRV_ID,
        RULE_H_CERT_XMPPADDR,
        RULE_H_CERT_CN,
        RULE_H_CERT_WILDCARD,
        RULE_H_CERT_REFERENCE,
        RULE_H_CERT_PATH,
        RULE_H_CERT_VALIDITY,
        RULE_H_CERT_EKU,
        RULE_H_KEEPALIVE,
        RULE_H_OUTCOME,
        RULE_H_STRICT,
        RULE_H_DOMAINS,
        RULE_H_XML_RESTRICTED,
        RULE_H_XML_WELLFORMED,
        RULE_H_XML_UTF8,
        RULE_H_XML_NS_PREFIX,
        RULE_H_XML_STREAM_NS,
        RULE_H_XML_CONTENT_NS,
        RULE_H_XML_BETWEEN,
        RULE_H_DNS_SRV,
        RULE_H_DNS_FALLBACK,
        RULE_H_DNS_CONFIGURED,
        RULE_H_DNS_XMPPS,
        RULE_COUNT,
};

enum rule_severity {
        RULE_MUST,    /* breaking it is a violation */
        RULE_SHOULD,  /* breaking it is a violation unless the partner has a reason */
        RULE_MAY,     /* a choice the specification leaves open; observed, not judged */
        RULE_HARNESS, /* about the harness or the run itself, never the partner's fault */
};

struct rule {
        const char *id;     /* "TLS-9", "H-HDR-ID" */
        const char *source; /* "RFC 6120 §5.4.3.3": the citation reports print */
        const char *req;    /* one line, the project's own words */
        enum rule_severity severity;
        enum rule_id refines; /* the reference rule an H-* row refines, RULE_NONE if none */
};

/* The row of id; the RULE_NONE row (id "", source "") for an id out of range. */
const struct rule *rule_get(enum rule_id id);

/* The row's id string ("TLS-9"), "" for RULE_NONE. */
const char *rule_name(enum rule_id id);

/* The row's citation ("RFC 6120 §5.4.3.3"), "" for RULE_NONE. */
const char *rule_cite(enum rule_id id);

/* The id whose string is name; RULE_NONE when none is. */
enum rule_id rule_by_name(const char *name);

/* "MUST", "SHOULD", "MAY", "harness". */
const char *rule_severity_name(enum rule_severity s);

/* Whether id is one of the reference's own rules (STR-*, TLS-*, SASL-*, DB-*). */
int rule_is_reference(enum rule_id id);

#endif
