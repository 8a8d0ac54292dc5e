/*
 * The preflight's findings (`s2scheck check`, and the start of `run --target`;
 * design.md §7 "Preflight before the suite"): one table of items, each with a
 * stable id (PRE-...), the side it belongs to, what it checks, the rule behind it
 * and the usual fix; a run of the preflight yields findings (item, severity OK /
 * WARN / FAIL, subject, text, fix), printed as a short checklist and as JSON
 * (docs/cli.md, "check").
 */
#ifndef S2S_CHECKUP_H
#define S2S_CHECKUP_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "buf.h"
#include "partner.h"
#include "scenario.h"

enum checkup_severity {
        CHECKUP_OK = 0,
        CHECKUP_WARN,
        CHECKUP_FAIL,
};

/* Whose set-up an item judges: a FAIL on the harness side is the operator's input
 * (exit 2); on the partner side or inbound, the partner cannot be tested (exit 3). */
enum checkup_side {
        CHECKUP_HARNESS,
        CHECKUP_PARTNER,
        CHECKUP_INBOUND,
};

struct checkup_item {
        const char *id; /* "PRE-DNS-SRV" */
        enum checkup_side side;
        const char *checks; /* one line: what is checked */
        const char *rule;   /* the source, "RFC 6120 §3.2.1 (DNS-1)" */
        const char *fix;    /* the usual fix when it fails */
};

/* The table, terminated by an entry with id NULL (docs/cli.md lists the same). */
extern const struct checkup_item checkup_items[];

/* The item called id, or NULL. */
const struct checkup_item *checkup_item_find(const char *id);

#define CHECKUP_MAX 96
#define CHECKUP_TEXT 512

struct checkup_finding {
        const struct checkup_item *item;
        enum checkup_severity sev;
        char subject[256]; /* what it is about: "partner.test", "127.0.0.1:5269" */
        char text[CHECKUP_TEXT];
        char fix[CHECKUP_TEXT]; /* "" when OK */
};

struct checkup_report {
        struct checkup_finding f[CHECKUP_MAX];
        size_t n;
        size_t dropped; /* findings beyond CHECKUP_MAX (counted, not kept) */
        /* The partner's primary domain (checkup_run): a certificate that does not name
         * an additional domain does not stop a run, whose domains verdict judges it
         * (issue 13 item 1); "" when unknown (every such FAIL then stops). */
        char primary[256];
};

/*
 * Adds a finding for the item id (which must be in the table) about subject. fix
 * NULL: the item's own fix for WARN and FAIL, none for OK. Returns the finding, or
 * NULL when the report is full (counted in dropped) or id is unknown.
 */
struct checkup_finding *checkup_add(struct checkup_report *r, const char *id,
                                    enum checkup_severity sev, const char *subject, const char *fix,
                                    const char *fmt, ...) __attribute__((format(printf, 6, 7)));

/* The worst severity of the findings of side (or of any side for side < 0). */
enum checkup_severity checkup_worst(const struct checkup_report *r, int side);

/* True when a FAIL of item id is in the report. */
bool checkup_failed(const struct checkup_report *r, const char *id);

/*
 * The exit code (docs/cli.md, "check"): 2 a FAIL on the harness side (the
 * operator's set-up), 3 a FAIL on the partner side or inbound, 1 a WARN, 0 all OK.
 */
int checkup_exit_code(const struct checkup_report *r);

/*
 * Whether `run` stops on this report (docs/cli.md "check"): a FAIL on the harness
 * side, a partner no address of which accepts TCP, PRE-CERT-NAMES, or PRE-INBOUND.
 * Other partner FAILs (the stream, TLS, the chain) are behaviour the scenarios judge
 * themselves: the run goes on. The _outbound form leaves PRE-INBOUND out
 * (--outbound-only).
 */
bool checkup_stops_run(const struct checkup_report *r);
bool checkup_stops_run_outbound(const struct checkup_report *r);

/* "OK", "WARN", "FAIL". */
const char *checkup_severity_name(enum checkup_severity s);

/* The checklist (as checkup_print prints it) appended to out. Returns 0 or -1 (out of
 * memory). */
int checkup_format(const struct checkup_report *r, struct buf *out);

/* The checklist: one line per finding, "FAIL PRE-ID  subject: text", the fix
 * indented under a WARN or FAIL, and a closing line. Returns 0 or -1 (write error). */
int checkup_print(FILE *f, const struct checkup_report *r);

/* The report as JSON (docs/cli.md, "check"): target is the --target text or NULL.
 * Returns 0 or -1. */
int checkup_json(const struct checkup_report *r, const char *target, const char *partner,
                 struct buf *out);

struct json;

/* The findings as a JSON array of {id, side, severity, subject, text, rule, fix} (fix
 * null when OK): the "findings" of checkup_json, the "preflight" of the run's JSON
 * report (docs/report-json.md). Errors stay in j (json_finish reports them). */
void checkup_json_findings(const struct checkup_report *r, struct json *j);

/* What the preflight checks (the options of `check` and `run`, docs/cli.md). Strings
 * are borrowed for the call. */
struct checkup_options {
        const struct partner *partner;
        /* "host[:port]", "srv", or NULL (= "srv": the partner as DNS finds it). */
        const char *target;
        /* Set when target is "ProxyFqdn:5269" from the partner file (checkup_proxy_target):
         * the findings name it instead of --target. The certificate is still judged
         * against each partner domain. */
        const char *proxy_fqdn;
        const char *resolver;  /* "addr[:port]" for the partner's records; NULL: the system's */
        const char *domain;    /* the harness domain; NULL: "harness.test" */
        const char *listen;    /* "addr[:port]"; NULL: 127.0.0.1, any port */
        const char *advertise; /* the address the zone publishes; NULL: the --listen address */
        const char *serve_dns; /* "addr:port" to serve the harness zone on, or NULL */
        const char *ca, *cert, *key, *issuer_cert, *issuer_key;
        /* The harness subdomains the run will use with the harness certificate (the
         * scenarios' own domains, e.g. "h13-out.harness.test"); borrowed. */
        const char *const *names;
        size_t n_names;
        unsigned timeout_s;       /* the whole check; 0: CHECKUP_DEFAULT_TIMEOUT_S */
        unsigned connect_ms;      /* each TCP connect; 0: 3000 */
        unsigned expiry_warn_d;   /* WARN when a certificate expires within this; 0: 14 */
        unsigned step_timeout_ms; /* per negotiation step (run's --step-timeout); 0: net's */
        /* --keylog: the probe's TLS secrets (tls_creds_config.keylog); NULL: off. */
        void (*keylog)(void *user, const char *line);
        void *keylog_user;
};

#define CHECKUP_DEFAULT_TIMEOUT_S 8

/*
 * Runs every item of the table that applies (harness side, then each partner domain:
 * DNS, TCP, stream, TLS, certificate, then inbound) and adds the findings to r
 * (zeroed first). Every DNS query, connect and handshake has its timeout and the
 * whole check ends within o->timeout_s plus one DNS timeout. Listeners it opens are
 * closed before it returns (the run binds them again). Returns 0, or -1 with a
 * reason in err when it could not even start (out of memory).
 */
int checkup_run(const struct checkup_options *o, struct checkup_report *r, char *err,
                size_t errlen);

/*
 * The preflight at the start of `run --target` (docs/cli.md): co as the run's options
 * (names filled from suite here), the findings in rep (the caller's, zeroed here; the
 * run's reports carry them). Returns EXIT_MATCH when the run may go on (WARNs
 * printed to stderr); with outbound_only and only PRE-INBOUND failing, also
 * EXIT_MATCH with the reason for the skipped rows in why ("" otherwise). Else prints
 * the checklist and one line saying the run stopped, puts the reason for the reports
 * in why (the first FAIL), and returns 2 (the harness's set-up) or 3 (the partner
 * cannot be tested, or the preflight could not run).
 */
int checkup_before_run(struct checkup_options *co, const struct scenario_suite *suite,
                       bool outbound_only, struct checkup_report *rep, char *why, size_t whylen);

/*
 * The host the preflight probes, as the run will connect (docs/partner-format.md
 * ProxyFqdn): with target NULL or "srv" and a ProxyFqdn in p, "ProxyFqdn:5269" in buf;
 * else target itself. Returns target or buf.
 */
const char *checkup_proxy_target(const struct partner *p, const char *target, char *buf,
                                 size_t len);

/* Asks a running checkup_run to stop (async-signal-safe); it returns what it has.
 * The request stays: checkup_interrupted is true from then on. */
void checkup_interrupt(void);
bool checkup_interrupted(void);

/*
 * Checks the syntax of --target and --resolver, which are the operator's input: a
 * mistake is a usage error (exit 2), not a finding about the partner. Returns 0, or
 * -1 with "--target '[::1': ..." in err.
 */
int checkup_check_syntax(const char *target, const char *resolver, char *err, size_t errlen);

/* True for 0.0.0.0 and :: (any spelling): an address to listen on, never one to
 * publish. */
bool checkup_unspecified(const char *host);

/*
 * The harness names the run gives the harness certificate: the domain of each
 * selected scenario that uses the default certificate variant ("ID.DOMAIN", and
 * "ID-aN.DOMAIN" per additional partner domain, as the runner names them). Fills
 * names[0..max) with malloc'd strings (free each); returns how many.
 */
size_t checkup_scenario_names(const struct scenario_suite *suite, const struct partner *p,
                              const char *domain, char **names, size_t max);

/* The subdomain of domain the preflight pings from for the partner domain number i
 * (0: the primary): "preflight.DOMAIN", "preflight-2.DOMAIN", ... */
void checkup_preflight_name(const char *domain, size_t i, char *out, size_t len);

#endif
