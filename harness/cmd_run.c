/* `run`: the conformance run against a partner, and its reports. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkup.h"
#include "cli.h"
#include "commands.h"
#include "partner.h"
#include "preflight.h"
#include "report.h"
#include "runner.h"
#include "scenario.h"
#include "suitecli.h"
#include "util.h"

static void on_signal(int sig)
{
        (void)sig;
        checkup_interrupt();
        runner_interrupt();
}

static int number_opt(const char *cmd, const char *name, const char *text, long min, long max,
                      unsigned *out)
{
        long v;
        char msg[160];

        if (text == NULL)
                return 0;
        if (cli_number(text, min, max, &v) != 0) {
                snprintf(msg, sizeof(msg), "%s needs a whole number from %ld to %ld, not '%s'",
                         name, min, max, text);
                return command_usage_error(cmd, msg);
        }
        *out = (unsigned)v;
        return 0;
}

/* A report to its file (atomically), or to standard output for "-". */
static int write_report(const char *path, const char *what, struct buf *b, int fmt_rc)
{
        char err[512];

        if (fmt_rc != 0) {
                fprintf(stderr, "s2scheck run: could not format the %s report\n", what);
                return -1;
        }
        if (preflight_is_stdout(path)) {
                if (fwrite(b->data, 1, b->len, stdout) != b->len || fflush(stdout) != 0) {
                        fprintf(stderr,
                                "s2scheck run: cannot write the %s report to standard "
                                "output\n",
                                what);
                        return -1;
                }
                return 0;
        }
        if (report_write_atomic(path, b, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck run: %s\n", err);
                return -1;
        }
        return 0;
}

/*
 * The operator's paths, before anything runs (docs/cli.md): no FIFO or device as an
 * input file, and reports that can be written where they are asked for. A mistake
 * here would otherwise block the run or surface only after it (exit 3).
 */
static int check_paths(const struct preflight_file *in, size_t n_in, const char *json,
                       const char *junit, const char *transcripts)
{
        char err[1200];

        if (preflight_is_stdout(json) && preflight_is_stdout(junit))
                return command_usage_error("run", "--json - and --junit - would both write to "
                                                  "standard output: give one of them a file");
        if (preflight_inputs(in, n_in, err, sizeof(err)) != 0 ||
            (json != NULL && preflight_report("--json", json, err, sizeof(err)) != 0) ||
            (junit != NULL && preflight_report("--junit", junit, err, sizeof(err)) != 0) ||
            (transcripts != NULL &&
             preflight_report_dir("--transcripts", transcripts, err, sizeof(err)) != 0)) {
                fprintf(stderr, "s2scheck run: %s\n", err);
                return EXIT_USAGE;
        }
        return EXIT_MATCH;
}

int cmd_run(int argc, char **argv)
{
        const char *partner_file = NULL, *identity = NULL, *target = NULL, *resolver = NULL;
        const char *domain = NULL, *listen = NULL, *serve_dns = NULL, *ca = NULL, *cert = NULL;
        const char *key = NULL, *jobs = NULL, *json = NULL, *junit = NULL, *transcripts = NULL;
        const char *timeout = NULL, *step_timeout = NULL, *pause = NULL, *conns = NULL;
        const char *pos[1], *cert_dir = NULL, *issuer_cert = NULL, *issuer_key = NULL;
        struct suite_cli sc;
        struct scenario_suite suite;
        bool quiet = false, no_preflight = false, outbound_only = false;
        const char *advertise = NULL;
        char no_inbound[CHECKUP_TEXT + 64];
        /* The suite options fill the last SUITE_CLI_NOPTS entries (suite_cli_opts). */
        struct cli_opt opts[] = {
            CLI_PARTNER(&partner_file),
            CLI_IDENTITY(&identity),
            CLI_VALUE(
                "--target", "HOST[:PORT]", &target, "Real partner (--target)",
                "a real partner, reached at HOST (port 5269 by default), or 'srv': found through "
                "its SRV records (_xmpps-server, _xmpp-server; A/AAAA on 5269 without them)"),
            CLI_VALUE("--resolver", "ADDR[:PORT]", &resolver, "Real partner (--target)",
                      "DNS server for the partner's records (default: the system's)"),
            CLI_VALUE("--domain", "HARNESS_DOMAIN", &domain, "Harness",
                      "the harness's domain (default harness.test); each scenario uses a subdomain "
                      "of it, e.g. h13-out.harness.test"),
            CLI_VALUE(
                "--listen", "ADDR[:PORT]", &listen, "Harness",
                "where the harness accepts the partner's streams (default 127.0.0.1, any port)"),
            CLI_VALUE("--serve-dns", "ADDR:PORT", &serve_dns, "Harness",
                      "serve the harness zone (SRV, A/AAAA for DOMAIN and below)"),
            CLI_VALUE(
                "--ca", "FILE", &ca, "Real partner (--target)",
                "the partner's CA (with --target and no --ca: the system's trust store, which "
                "must not be empty)"),
            CLI_VALUE("--cert", "FILE", &cert, "Real partner (--target)",
                      "the harness certificate, valid for DOMAIN and *.DOMAIN (with --key)"),
            CLI_VALUE("--key", "FILE", &key, "Real partner (--target)",
                      "the harness certificate's key"),
            CLI_VALUE("--jobs", "N", &jobs, "Scenarios", "scenarios at once (default 4)"),
            CLI_VALUE("--partner-connections", "N", &conns, "Real partner (--target)",
                      "real partner: connections at once to one of its addresses (default 4, at "
                      "least 2; a scenario may need two)"),
            CLI_VALUE("--pause", "MS", &pause, "Real partner (--target)",
                      "real partner: pause between two connections"),
            CLI_VALUE("--json", "FILE", &json, "Reports",
                      "write the JSON report (docs/report-json.md); '-' for standard output (then "
                      "the text report is not printed)"),
            CLI_VALUE("--junit", "FILE", &junit, "Reports",
                      "write the JUnit report (docs/report-junit.md); '-' for standard output"),
            CLI_VALUE("--transcripts", "DIR", &transcripts, "Reports",
                      "one wire transcript per scenario (DIR/<id>.txt), and the streams refused "
                      "outside any scenario (DIR/_run.txt)"),
            CLI_VALUE("--timeout", "S", &timeout, "Scenarios", "per scenario (default 30)"),
            CLI_VALUE("--step-timeout", "MS", &step_timeout, "Scenarios",
                      "per negotiation step (default: docs/timeouts.md)"),
            CLI_FLAG("--quiet", &quiet, "Reports", "no progress on stderr"),
            CLI_VALUE("--cert-dir", "DIR", &cert_dir, "Real partner (--target)",
                      "with --target: the certificate variants as DIR/DOMAIN-VARIANT.pem/.key "
                      "(default: the build's certs/)"),
            CLI_VALUE("--issuer-cert", "FILE", &issuer_cert, "Real partner (--target)",
                      "with --target: a CA the partner trusts (with --issuer-key); the run issues "
                      "every certificate variant for each scenario's domain, and the harness "
                      "certificate when --cert is not given"),
            CLI_VALUE("--issuer-key", "FILE", &issuer_key, "Real partner (--target)",
                      "the key of --issuer-cert"),
            CLI_VALUE("--advertise", "ADDR", &advertise, "Harness",
                      "the address the --serve-dns zone publishes (default: the --listen address, "
                      "which must not then be 0.0.0.0 or ::)"),
            CLI_FLAG("--no-preflight", &no_preflight, "Real partner (--target)",
                     "with --target: skip the preflight (s2scheck check)"),
            CLI_FLAG("--outbound-only", &outbound_only, "Real partner (--target)",
                     "with --target: when the preflight finds that the partner cannot connect in, "
                     "run the rest and skip, saying why, each scenario that needs it"),
            {0},
            {0},
            {0},
            {0},
            {0},
        };
        struct run_options o;
        struct run_report rep;
        struct partner p;
        struct sigaction sa;
        char err[1024];
        size_t npos;
        int rc, stop_rc = EXIT_MATCH;
        bool failed_output = false;
        struct checkup_report *preflight = NULL;

        _Static_assert(SUITE_CLI_NOPTS == 5, "one {0} per suite option above");
        memset(&o, 0, sizeof(o));
        memset(&rep, 0, sizeof(rep));
        suite_cli_opts(&sc, &opts[ARRAY_LEN(opts) - SUITE_CLI_NOPTS]);
        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 0, &npos, err, sizeof(err)) != 0)
                return command_usage_error("run", err);
        if (partner_file == NULL)
                return command_usage_error("run", "missing --partner FILE");
        if (number_opt("run", "--jobs", jobs, 1, 64, &o.jobs) != 0 ||
            number_opt("run", "--partner-connections", conns, 2, 64, &o.partner_conns) != 0 ||
            number_opt("run", "--pause", pause, 0, 60000, &o.pause_ms) != 0 ||
            number_opt("run", "--timeout", timeout, 1, 3600, &o.timeout_s) != 0 ||
            number_opt("run", "--step-timeout", step_timeout, 50, 600000, &o.step_timeout_ms) != 0)
                return EXIT_USAGE;
        {
                const struct preflight_file in[] = {
                    {"--partner", partner_file},
                    {"--ca", ca},
                    {"--cert", cert},
                    {"--key", key},
                    {"--issuer-cert", issuer_cert},
                    {"--issuer-key", issuer_key},
                };

                if (check_paths(in, ARRAY_LEN(in), json, junit, transcripts) != EXIT_MATCH)
                        return EXIT_USAGE;
        }
        /* The partner, then the suite (quirks depend on the configuration): a suite
         * that does not load does not run (docs/scenarios.md). */
        if (partner_load(partner_file, identity, &p, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck: %s\n", err);
                return EXIT_USAGE;
        }
        partner_warn(&p, stderr);
        rc = suite_cli_load(&sc, "run", &p.neg, &suite);
        if (rc != EXIT_MATCH) {
                partner_cleanup(&p);
                return rc;
        }
        /* ConnectionLimit in the partner file is the default of --partner-connections
         * (issue 12 item 5; docs/partner-format.md), within the option's bounds. */
        if (conns == NULL && p.connection_limit > 0) {
                o.partner_conns = p.connection_limit < 2    ? 2
                                  : p.connection_limit > 64 ? 64
                                                            : p.connection_limit;
                if (o.partner_conns != p.connection_limit)
                        fprintf(stderr,
                                "s2scheck run: ConnectionLimit %u in %s: using %u connections "
                                "(--partner-connections takes 2 to 64: a scenario may need its "
                                "stream and a dialback verification at once)\n",
                                p.connection_limit, partner_file, o.partner_conns);
        }
        o.suite = &suite;
        o.cert_dir = cert_dir;
        o.issuer_cert = issuer_cert;
        o.issuer_key = issuer_key;
        o.partner = &p;
        o.target = target;
        o.resolver = resolver;
        o.domain = domain;
        o.listen = listen;
        o.serve_dns = serve_dns;
        o.ca = ca;
        o.cert = cert;
        o.key = key;
        o.quiet = quiet;
        o.progress_tty = isatty(STDERR_FILENO) != 0;
        o.advertise = advertise;
        if ((no_preflight || outbound_only) && target == NULL) {
                partner_cleanup(&p);
                scenario_suite_cleanup(&suite);
                return command_usage_error("run", "--no-preflight and --outbound-only apply to "
                                                  "runs with --target");
        }
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        if (checkup_check_syntax(target, resolver, err, sizeof(err)) != 0) {
                partner_cleanup(&p);
                scenario_suite_cleanup(&suite);
                return command_usage_error("run", err);
        }
        if (target != NULL && !no_preflight) {
                /* The preflight (docs/cli.md "check"): seconds instead of a run of
                 * minutes that would blame the partner for the harness's set-up. */
                char proxy[300];
                struct checkup_options co = {
                    .partner = &p,
                    .target = checkup_proxy_target(&p, target, proxy, sizeof(proxy)),
                    .resolver = resolver,
                    .domain = domain,
                    .listen = listen,
                    .advertise = advertise,
                    .serve_dns = serve_dns,
                    .ca = ca,
                    .cert = cert,
                    .key = key,
                    .issuer_cert = issuer_cert,
                    .issuer_key = issuer_key,
                    .step_timeout_ms = o.step_timeout_ms,
                };

                if (co.target != target)
                        co.proxy_fqdn = p.proxy_fqdn;
                preflight = calloc(1, sizeof(*preflight));
                if (preflight == NULL) {
                        fprintf(stderr, "s2scheck run: out of memory\n");
                        rc = EXIT_UNTESTABLE;
                        goto out;
                }
                o.preflight = preflight;
                stop_rc = checkup_before_run(&co, &suite, outbound_only, preflight, no_inbound,
                                             sizeof(no_inbound));
                if (stop_rc == EXIT_MATCH && no_inbound[0] != '\0')
                        o.no_inbound = no_inbound;
                /* A signal during the preflight: the run reports every scenario as
                 * not run (interrupted), as a signal during the run would. */
                o.interrupted = checkup_interrupted();
        }

        /* Stopped by the preflight: the reports still come, every scenario not run
         * with the reason ("nothing lost", docs/cli.md "check"). */
        if ((stop_rc == EXIT_MATCH ? runner_run(&o, &rep, err, sizeof(err))
                                   : runner_not_run(&o, no_inbound, &rep, err, sizeof(err))) != 0) {
                fprintf(stderr, "s2scheck run: %s\n", err);
                rc = EXIT_USAGE;
                goto out;
        }
        /* With --json - or --junit -, standard output carries that report alone. */
        if (!preflight_is_stdout(json) && !preflight_is_stdout(junit) &&
            report_text(stdout, &rep, isatty(STDOUT_FILENO) && getenv("NO_COLOR") == NULL) != 0)
                failed_output = true;
        fflush(stdout);
        if (json != NULL) {
                struct buf b;

                buf_init(&b, 0);
                if (write_report(json, "JSON", &b, report_json(&rep, &b)) != 0)
                        failed_output = true;
                buf_cleanup(&b);
        }
        if (junit != NULL) {
                struct buf b;

                buf_init(&b, 0);
                if (write_report(junit, "JUnit", &b, report_junit(&rep, &b)) != 0)
                        failed_output = true;
                buf_cleanup(&b);
        }
        if (transcripts != NULL &&
            report_write_transcripts(transcripts, &rep, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck run: %s\n", err);
                failed_output = true;
        }
        rc = failed_output           ? EXIT_UNTESTABLE
             : stop_rc != EXIT_MATCH ? stop_rc
                                     : runner_exit_code(&rep);
out:
        run_report_cleanup(&rep);
        free(preflight);
        partner_cleanup(&p);
        scenario_suite_cleanup(&suite);
        return rc;
}
