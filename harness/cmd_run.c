/* `run`: the conformance run against a partner, and its reports. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "checkup.h"
#include "cli.h"
#include "commands.h"
#include "fleet.h"
#include "keylog.h"
#include "partner.h"
#include "preflight.h"
#include "report.h"
#include "reportdiff.h"
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

/* The report fmt makes of rep, written to path (write_report). */
static int format_report(const char *path, const char *what,
                         int (*fmt)(const struct run_report *, struct buf *),
                         const struct run_report *rep)
{
        struct buf b;
        int rc;

        buf_init(&b, 0);
        rc = write_report(path, what, &b, fmt(rep, &b));
        buf_cleanup(&b);
        return rc;
}

/*
 * The operator's paths, before anything runs (docs/cli.md): no FIFO or device as an
 * input file, and reports that can be written where they are asked for. A mistake
 * here would otherwise block the run or surface only after it (exit 3).
 */
static int check_paths(const struct preflight_file *in, size_t n_in, const char *json,
                       const char *junit, const char *markdown, const char *html,
                       const char *transcripts)
{
        char err[1200];

        if (preflight_is_stdout(json) + preflight_is_stdout(junit) + preflight_is_stdout(markdown) +
                preflight_is_stdout(html) >
            1)
                return command_usage_error("run", "two of --json -, --junit -, --markdown - and "
                                                  "--html - would write to standard output: give "
                                                  "all but one of them a file");
        if (preflight_inputs(in, n_in, err, sizeof(err)) != 0 ||
            (json != NULL && preflight_report("--json", json, err, sizeof(err)) != 0) ||
            (junit != NULL && preflight_report("--junit", junit, err, sizeof(err)) != 0) ||
            (markdown != NULL && preflight_report("--markdown", markdown, err, sizeof(err)) != 0) ||
            (html != NULL && preflight_report("--html", html, err, sizeof(err)) != 0) ||
            (transcripts != NULL &&
             preflight_report_dir("--transcripts", transcripts, err, sizeof(err)) != 0)) {
                fprintf(stderr, "s2scheck run: %s\n", err);
                return EXIT_USAGE;
        }
        return EXIT_MATCH;
}

/* --baseline: the changes since OLD.json, printed after the text report (when standard
 * output carries it); *worse says whether there is a regression. */
static int against_baseline(const char *baseline, const struct buf *json, bool print, bool *worse)
{
        struct reportdiff_sum sum;
        struct buf out;
        char err[1024];
        int rc = 0;

        buf_init(&out, 0);
        if (reportdiff(baseline, "this run", json, false, &out, &sum, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck run: --baseline %s\n", err);
                rc = -1;
        } else if (print && (fwrite(out.data, 1, out.len, stdout) != out.len || fflush(stdout))) {
                rc = -1;
        }
        *worse = rc == 0 && sum.worse;
        buf_cleanup(&out);
        return rc;
}

/* Options that belong to the fleet, not to each partner's run (docs/fleet.md). */
static bool fleet_only(const char *name, size_t len)
{
        static const char *const names[] = {"--all", "--out", "--shard", "--for", "--jobs"};

        for (size_t i = 0; i < ARRAY_LEN(names); i++)
                if (strlen(names[i]) == len && strncmp(names[i], name, len) == 0)
                        return true;
        return false;
}

/*
 * `run --all`: every partner of the file, one child `run` each (fleet.c). The child
 * gets the words of this command line except the fleet's own options.
 */
static int run_fleet(int argc, char **argv, const struct cli_opt *opts, size_t nopts,
                     const char *partner_file, const char *out, const char *shard, const char *jobs,
                     const char **per, size_t n_per, const struct suite_cli *sc, unsigned timeout_s)
{
        struct fleet_options fo;
        struct partner_list list;
        struct scenario_suite suite;
        const char **kept;
        char err[1024];
        long j = FLEET_JOBS_DEFAULT;
        size_t n = 0;
        int rc;

        memset(&fo, 0, sizeof(fo));
        if (out == NULL)
                return command_usage_error("run", "--all needs --out DIR (one folder per partner "
                                                  "and the roll-up)");
        if (shard != NULL && fleet_parse_shard(shard, &fo.shard_k, &fo.shard_n) != 0)
                return command_usage_error("run", "--shard needs K/N with 1 <= K <= N <= 1000");
        if (jobs != NULL && cli_number(jobs, 1, 256, &j) != 0)
                return command_usage_error("run", "--jobs needs a whole number from 1 to 256 "
                                                  "with --all");
        for (size_t i = 0; i < n_per; i++) {
                const char *colon = strchr(per[i], ':');

                if (colon == NULL || strncmp(colon + 1, "--", 2) != 0 ||
                    fleet_only(colon + 1, strcspn(colon + 1, "=")) ||
                    strchr(colon + 1, '=') == NULL)
                        return command_usage_error("run", "--for needs DOMAIN:--OPTION=VALUE (an "
                                                          "option of run for that partner only)");
        }
        /* The suite once, for its size (a child's time bound) and to refuse a suite
         * that does not load before any child starts. */
        rc = suite_cli_load(sc, "run", NULL, &suite);
        if (rc != EXIT_MATCH)
                return rc;
        fo.child_bound_s =
            120 + (unsigned)suite.n * (timeout_s > 0 ? timeout_s : 30) + 60; /* preflight */
        scenario_suite_cleanup(&suite);
        if (partner_load_all(partner_file, &list, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck: %s\n", err);
                return EXIT_USAGE;
        }
        for (size_t i = 0; i < n_per; i++) {
                size_t len = (size_t)(strchr(per[i], ':') - per[i]), k = 0;

                while (k < list.n && !(strlen(list.p[k].primary) == len &&
                                       strncasecmp(list.p[k].primary, per[i], len) == 0))
                        k++;
                if (k == list.n) {
                        snprintf(err, sizeof(err), "--for %s: %.*s is not a partner of %s", per[i],
                                 (int)len, per[i], partner_file);
                        partner_list_cleanup(&list);
                        return command_usage_error("run", err);
                }
        }
        kept = calloc((size_t)argc + 1, sizeof(*kept));
        if (kept == NULL) {
                partner_list_cleanup(&list);
                fprintf(stderr, "s2scheck run: out of memory\n");
                return EXIT_UNTESTABLE;
        }
        for (int i = 0; i < argc; i++) {
                const char *a = argv[i];
                size_t len = strcspn(a, "=");
                bool takes = false;

                if (strcmp(a, "--") == 0) {
                        while (i < argc)
                                kept[n++] = argv[i++];
                        break;
                }
                for (size_t k = 0; k < nopts; k++)
                        if (opts[k].name != NULL && strlen(opts[k].name) == len &&
                            strncmp(opts[k].name, a, len) == 0)
                                takes = opts[k].flag == NULL;
                if (fleet_only(a, len)) {
                        if (takes && a[len] != '=')
                                i++;
                        continue;
                }
                kept[n++] = a;
                if (takes && a[len] != '=' && i + 1 < argc)
                        kept[n++] = argv[++i];
        }
        fo.partner_file = partner_file;
        fo.list = &list;
        fo.out_dir = out;
        fo.jobs = (unsigned)j;
        fo.child_argv = kept;
        fo.child_argc = n;
        fo.per_partner = per;
        fo.n_per_partner = n_per;
        rc = fleet_run(&fo);
        free(kept);
        partner_list_cleanup(&list);
        return rc;
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
        const char *advertise = NULL, *out = NULL, *shard = NULL, *per[64];
        const char *baseline = NULL, *fail_on = NULL, *markdown = NULL, *keylog_path = NULL;
        struct keylog *keylog = NULL;
        size_t n_per = 0;
        const char *html = NULL; /* --html FILE */
        bool all = false, no_inline = false, verbose = false, table = false;
        const char *color = NULL;
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
                      "real partner: connections in flight at once to one of its addresses "
                      "(connecting or negotiating; default 4, at least 2; a scenario may need "
                      "two)"),
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
            CLI_VALUE("--markdown", "FILE", &markdown, "Reports",
                      "write a Markdown summary (verdict, classification, cmdlet, what needs "
                      "attention by cause, domains) for $GITHUB_STEP_SUMMARY; '-' for standard "
                      "output"),
            CLI_VALUE("--html", "FILE", &html, "Reports",
                      "write the HTML report (docs/report-html.md): one self-contained file, the "
                      "verdict and cmdlet first, the matrix as a picture, each scenario with its "
                      "transcript; '-' for standard output"),
            CLI_FLAG("--no-transcripts-inline", &no_inline, "Reports",
                     "with --transcripts DIR: the JSON and JUnit reports name each transcript's "
                     "file there instead of carrying its text"),
            CLI_VALUE("--timeout", "S", &timeout, "Scenarios", "per scenario (default 30)"),
            CLI_VALUE("--step-timeout", "MS", &step_timeout, "Scenarios",
                      "per negotiation step (default: docs/timeouts.md)"),
            CLI_FLAG("--quiet", &quiet, "Reports", "no progress on stderr"),
            CLI_FLAG("--verbose", &verbose, "Reports",
                     "the text report shows the table of every scenario too, before the summary"),
            CLI_FLAG("--table", &table, "Reports", "the same as --verbose"),
            CLI_VALUE("--color", "WHEN", &color, "Reports",
                      "colour the text report: auto (default: on a terminal, unless NO_COLOR is "
                      "set and not empty), always (e.g. for a CI log viewer) or never"),
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
            CLI_VALUE("--baseline", "OLD.json", &baseline, "Baselines",
                      "compare with an earlier run's JSON report and print what changed after "
                      "the text report (docs/cli.md, Baselines)"),
            CLI_VALUE("--fail-on", "regression", &fail_on, "Baselines",
                      "with --baseline: exit 1 only when this run is worse than OLD.json"),
            CLI_FLAG("--all", &all, "Fleet (--all)",
                     "every partner of FILE, one run each, concurrently; reports in DIR/DOMAIN/ "
                     "and a roll-up in DIR (docs/fleet.md); --jobs then bounds the scenarios "
                     "over the fleet (default 8)"),
            CLI_VALUE("--out", "DIR", &out, "Fleet (--all)",
                      "with --all (required there): the folder of the partners' reports and the "
                      "roll-up"),
            CLI_VALUE("--shard", "K/N", &shard, "Fleet (--all)",
                      "with --all: a stable 1/N of the partners (s2scheck merge joins the shards)"),
            {.name = "--for",
             .metavar = "DOMAIN:--OPTION=VALUE",
             .list = per,
             .list_len = &n_per,
             .list_cap = ARRAY_LEN(per),
             .section = "Fleet (--all)",
             .help = "with --all: an option of run for that partner's run only"},
            CLI_KEYLOG(&keylog_path),
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
        bool failed_output = false, worse = false;
        struct checkup_report *preflight = NULL;
        struct report_text_options text_opts = {.width = 80};

        _Static_assert(SUITE_CLI_NOPTS == 5, "one {0} per suite option above");
        memset(&o, 0, sizeof(o));
        memset(&rep, 0, sizeof(rep));
        suite_cli_opts(&sc, &opts[ARRAY_LEN(opts) - SUITE_CLI_NOPTS]);
        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 0, &npos, err, sizeof(err)) != 0)
                return command_usage_error("run", err);
        if (partner_file == NULL)
                return command_usage_error("run", "missing --partner FILE");
        if (fail_on != NULL && strcmp(fail_on, "regression") != 0)
                return command_usage_error("run", "--fail-on takes 'regression'");
        if (fail_on != NULL && baseline == NULL)
                return command_usage_error("run", "--fail-on regression needs --baseline OLD.json");
        if (report_color_choice(color, isatty(STDOUT_FILENO) != 0, getenv("NO_COLOR"),
                                &text_opts.color) != 0)
                return command_usage_error("run", "--color takes auto, always or never");
        text_opts.verbose = verbose || table;
        text_opts.width = command_term_width();
        if (all) {
                unsigned t = 0;

                if (baseline != NULL)
                        return command_usage_error("run", "--baseline applies to one partner's "
                                                          "run (for a fleet: s2scheck diff on "
                                                          "its folders' report.json)");

                if (identity != NULL || json != NULL || junit != NULL || transcripts != NULL ||
                    markdown != NULL || html != NULL)
                        return command_usage_error(
                            "run", "--all writes each partner's reports under --out DIR: "
                                   "--identity, --json, --junit, --markdown, --html and "
                                   "--transcripts do not apply");
                if (number_opt("run", "--timeout", timeout, 1, 3600, &t) != 0)
                        return EXIT_USAGE;
                /* Each partner's run appends to the one key log: refuse a bad path
                 * once, before any run starts. */
                if (keylog_option("run", keylog_path, &keylog) != 0)
                        return EXIT_USAGE;
                keylog_close(keylog);
                return run_fleet(argc, argv, opts, ARRAY_LEN(opts), partner_file, out, shard, jobs,
                                 per, n_per, &sc, t);
        }
        if (out != NULL || shard != NULL || n_per > 0)
                return command_usage_error("run", "--out, --shard and --for apply to runs with "
                                                  "--all");
        if (number_opt("run", "--jobs", jobs, 1, 64, &o.jobs) != 0 ||
            number_opt("run", "--partner-connections", conns, 2, 64, &o.partner_conns) != 0 ||
            number_opt("run", "--pause", pause, 0, 60000, &o.pause_ms) != 0 ||
            number_opt("run", "--timeout", timeout, 1, 3600, &o.timeout_s) != 0 ||
            number_opt("run", "--step-timeout", step_timeout, 50, 600000, &o.step_timeout_ms) != 0)
                return EXIT_USAGE;
        {
                const struct preflight_file in[] = {
                    {"--partner", partner_file},
                    {"--baseline", baseline},
                    {"--ca", ca},
                    {"--cert", cert},
                    {"--key", key},
                    {"--issuer-cert", issuer_cert},
                    {"--issuer-key", issuer_key},
                };

                if (check_paths(in, ARRAY_LEN(in), json, junit, markdown, html, transcripts) !=
                    EXIT_MATCH)
                        return EXIT_USAGE;
        }
        if (no_inline && transcripts == NULL)
                return command_usage_error("run", "--no-transcripts-inline needs --transcripts DIR "
                                                  "(the transcripts' only copy)");
        if (baseline != NULL && reportdiff_check(baseline, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck run: --baseline %s\n", err);
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
        if (keylog_option("run", keylog_path, &keylog) != 0) {
                rc = EXIT_USAGE;
                goto out;
        }
        o.keylog = keylog != NULL ? keylog_write : NULL;
        o.keylog_user = keylog;
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
                    .keylog = o.keylog,
                    .keylog_user = o.keylog_user,
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
        /* The invocation and the transcripts' place, for the reports (docs/report-json.md). */
        rep.invocation = (struct run_invocation){
            .argc = argc,
            .argv = argv,
            .scenarios = sc.dir,
            .add = sc.add,
            .n_add = sc.n_add,
            .quirks = sc.quirks,
            .n_quirks = sc.n_quirks,
            .only = sc.only,
            .n_only = sc.n_only,
            .skip = sc.skip,
            .n_skip = sc.n_skip,
            .domain = domain,
            .timeout_s = o.timeout_s,
            .step_timeout_ms = o.step_timeout_ms,
            .jobs = o.jobs,
        };
        rep.transcripts_dir = transcripts;
        rep.no_transcripts_inline = no_inline;
        /* With --json - or --junit -, standard output carries that report alone. */
        if (!preflight_is_stdout(json) && !preflight_is_stdout(junit) &&
            !preflight_is_stdout(markdown) && !preflight_is_stdout(html) &&
            report_text_with(stdout, &rep, &text_opts) != 0)
                failed_output = true;
        fflush(stdout);
        if (json != NULL || baseline != NULL) {
                struct buf b;
                int frc;

                buf_init(&b, 0);
                frc = report_json(&rep, &b);
                if (json != NULL && write_report(json, "JSON", &b, frc) != 0)
                        failed_output = true;
                if (baseline != NULL && frc == 0 &&
                    against_baseline(baseline, &b,
                                     !preflight_is_stdout(json) && !preflight_is_stdout(junit) &&
                                         !preflight_is_stdout(markdown) &&
                                         !preflight_is_stdout(html),
                                     &worse) != 0)
                        failed_output = true;
                buf_cleanup(&b);
        }
        if ((junit != NULL && format_report(junit, "JUnit", report_junit, &rep) != 0) ||
            (markdown != NULL && format_report(markdown, "Markdown", report_markdown, &rep) != 0) ||
            (html != NULL && format_report(html, "HTML", report_html, &rep) != 0))
                failed_output = true;
        if (transcripts != NULL &&
            report_write_transcripts(transcripts, &rep, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck run: %s\n", err);
                failed_output = true;
        }
        rc = failed_output           ? EXIT_UNTESTABLE
             : stop_rc != EXIT_MATCH ? stop_rc
                                     : runner_exit_code(&rep);
        /* --fail-on regression: 1 means worse than the baseline, and only that
         * (docs/cli.md "diff"); 2 and 3 keep their meaning. */
        if (fail_on != NULL && (rc == EXIT_MATCH || rc == EXIT_MISMATCH))
                rc = worse ? EXIT_MISMATCH : EXIT_MATCH;
out:
        if (keylog_failed(keylog) > 0)
                fprintf(stderr, "s2scheck run: --keylog %s: %zu lines could not be written\n",
                        keylog_path, keylog_failed(keylog));
        keylog_close(keylog);
        run_report_cleanup(&rep);
        free(preflight);
        partner_cleanup(&p);
        scenario_suite_cleanup(&suite);
        return rc;
}
