/*
 * The runner (design.md §3): schedules scenarios against one partner on the
 * wire, wires the harness's roles to sockets (net), collects each scenario's
 * expected and observed outcome, and fills a run_report.
 *
 * Each scenario gets its own harness node and its own harness subdomain (e.g.
 * h13-out.harness.test), so a partner's cached streams never leak from one
 * scenario into the next. All harness nodes share one listener: connections
 * are routed to the scenario whose domain the stream's 'to' names.
 *
 * With no target the partner is the built-in reference partner: a node in the
 * same loop that behaves exactly as the partner configuration says, with a
 * run-time PKI that both sides trust.
 */
#ifndef S2S_RUNNER_H
#define S2S_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "partner.h"
#include "results.h"
#include "scenario.h"

struct checkup_report; /* checkup.h */

#define RUN_TARGET_SRV "srv"

struct run_options {
        const struct partner *partner; /* borrowed */
        /* "host[:port]" (RFC 6120 §3.2.3: replaces SRV), RUN_TARGET_SRV (the partner's
         * SRV records through `resolver`), or NULL: the built-in reference partner. */
        const char *target;
        const char *resolver;        /* "addr[:port]" of the DNS server; NULL: the system's */
        const char *domain;          /* harness domain; NULL: "harness.test" */
        const char *listen;          /* "addr[:port]"; NULL: 127.0.0.1, any port */
        const char *serve_dns;       /* "addr:port" to serve the harness zone on, or NULL */
        const char *ca, *cert, *key; /* harness PKI files (--target; no ca: system trust) */
        /* With --target: a CA the partner trusts and its key (pki_load). The run issues
         * each certificate variant (and, without cert, the harness certificate) for
         * the scenario's own domain; NULL: variants come from cert_dir. */
        const char *issuer_cert, *issuer_key;
        /* The scenarios to run: the selected ones of the suite, in order (borrowed). */
        const struct scenario_suite *suite;
        /* With --target: the certificate variants, <cert_dir>/<domain>-<variant>.pem and
         * .key (docs/certificates.md); NULL: the build's certs folder. */
        const char *cert_dir;
        unsigned jobs;            /* scenarios at once; 0: 4 */
        unsigned partner_conns;   /* real partner: connections at once to one of its
                                     addresses (net_set_politeness); 0: 4 */
        unsigned pause_ms;        /* real partner: pause between two connects */
        unsigned timeout_s;       /* per scenario; 0: 30 */
        unsigned step_timeout_ms; /* per negotiation step; 0: net's defaults */
        bool progress_tty;        /* progress as one live line */
        bool quiet;               /* no progress at all */
        /* The address --serve-dns publishes for the harness names (--advertise); NULL:
         * the --listen address, which must then not be 0.0.0.0 or :: with serve_dns. */
        const char *advertise;
        /* --outbound-only after a preflight that found the partner cannot connect in:
         * why (one line); every scenario that needs the partner to connect in (inbound,
         * the harness offering dialback, or an expected success, whose test ping the
         * partner answers over a stream of its own) is skipped with it. NULL: none. */
        const char *no_inbound;
        /* Interrupted before the run started (a signal during the preflight): every
         * scenario is reported as not run, the report marked incomplete. */
        bool interrupted;
        /* The preflight's findings when one ran (borrowed; the report keeps the
         * pointer: it must outlive the run_report). NULL: no preflight. */
        const struct checkup_report *preflight;
        /* --keylog (keylog.h): every TLS session of the run, on both sides, hands its
         * secrets to keylog(keylog_user, line) (tls_creds_config.keylog); NULL: off. */
        void (*keylog)(void *user, const char *line);
        void *keylog_user;
};

/*
 * Runs the selected scenarios of o->suite (docs/scenarios.md; a scenario with
 * <partner-domain select="additional"/> once per additional partner domain) and
 * fills rep (which the
 * caller cleans up with run_report_cleanup). Returns 0 when the run happened
 * (verdicts are in rep, possibly incomplete after an interrupt), or -1 with a
 * reason in err when it could not start (bad option, listener, credentials).
 */
int runner_run(const struct run_options *o, struct run_report *rep, char *err, size_t errlen);

/*
 * The report of a run that did not start because the preflight stopped it
 * (docs/cli.md "check"): the header as runner_run fills it, every selected scenario
 * skipped and not run with why as its cause (one that would be skipped anyway keeps
 * its own reason), the report marked incomplete with why, o->preflight in it. Opens
 * no socket. Returns 0, or -1 with a reason in err (out of memory, two scenarios on
 * one harness domain); rep is cleaned up by the caller either way.
 */
int runner_not_run(const struct run_options *o, const char *why, struct run_report *rep, char *err,
                   size_t errlen);

/* Asks a running runner_run to stop (async-signal-safe): the report is marked
 * incomplete and scenarios not yet finished are skipped. */
void runner_interrupt(void);

/* The exit code for a finished run (docs/cli.md): 0 all match, 1 a mismatch
 * (or an xpass), 3 could not test (an error, an interrupted run). */
int runner_exit_code(const struct run_report *rep);

#endif
