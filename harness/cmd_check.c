/* `check`: the preflight on its own (docs/cli.md "check"), and the same preflight at
 * the start of `run --target` (checkup_before_run). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkup.h"
#include "cli.h"
#include "commands.h"
#include "keylog.h"
#include "partner.h"
#include "preflight.h"
#include "report.h"
#include "suitecli.h"
#include "util.h"

#define NAMES_MAX 1024

/* The scenario names, the check, and the names freed again. */
static int run_checkup(struct checkup_options *co, const struct scenario_suite *suite,
                       struct checkup_report *rep, char *err, size_t errlen)
{
        char **names = calloc(NAMES_MAX, sizeof(*names));
        size_t n;
        int rc;

        if (names == NULL) {
                snprintf(err, errlen, "out of memory");
                return -1;
        }
        n = checkup_scenario_names(suite, co->partner, co->domain ? co->domain : "harness.test",
                                   names, NAMES_MAX);
        co->names = (const char *const *)names;
        co->n_names = n;
        rc = checkup_run(co, rep, err, errlen);
        for (size_t i = 0; i < n; i++)
                free(names[i]);
        free(names);
        co->names = NULL;
        co->n_names = 0;
        return rc;
}

static void on_signal(int sig)
{
        (void)sig;
        checkup_interrupt();
}

/* The one line a report gives as the reason the preflight stopped the run: the
 * first FAIL, and how many more. */
static void stop_reason(const struct checkup_report *rep, char *why, size_t whylen)
{
        size_t fails = 0;

        for (size_t i = 0; i < rep->n; i++) {
                const struct checkup_finding *x = &rep->f[i];

                if (x->sev != CHECKUP_FAIL)
                        continue;
                if (fails++ == 0)
                        snprintf(why, whylen, "the preflight found %s FAIL on %s", x->item->id,
                                 x->subject);
        }
        if (fails > 1) {
                size_t used = strlen(why);

                snprintf(why + used, whylen - used, " and %zu more FAIL%s", fails - 1,
                         fails > 2 ? "s" : "");
        }
}

int checkup_before_run(struct checkup_options *co, const struct scenario_suite *suite,
                       bool outbound_only, struct checkup_report *rep, char *why, size_t whylen)
{
        char err[512];
        int rc;

        why[0] = '\0';
        memset(rep, 0, sizeof(*rep));
        if (run_checkup(co, suite, rep, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck run: preflight: %s\n", err);
                snprintf(why, whylen, "the preflight could not run: %s", err);
                return EXIT_UNTESTABLE;
        }
        rc = checkup_exit_code(rep);
        if (checkup_interrupted()) {
                /* The run reports every scenario as not run (interrupted). */
                return EXIT_MATCH;
        }
        if (!checkup_stops_run(rep)) {
                /* Warnings, and partner behaviour the scenarios judge themselves, are
                 * worth seeing; the run goes on. */
                if (rc != EXIT_MATCH) {
                        checkup_print(stderr, rep);
                        fprintf(stderr, "s2scheck run: the preflight found nothing that "
                                        "would make the results meaningless: the run goes "
                                        "on, and its scenarios judge the partner\n");
                }
                return EXIT_MATCH;
        }
        /* Only inbound stops it and the operator asked to go on without it. */
        if (outbound_only && checkup_failed(rep, "PRE-INBOUND") &&
            !checkup_stops_run_outbound(rep)) {
                for (size_t i = 0; i < rep->n; i++) {
                        if (rep->f[i].sev == CHECKUP_FAIL) {
                                snprintf(why, whylen, "the preflight found that %s (PRE-INBOUND)",
                                         rep->f[i].text);
                                break;
                        }
                }
                fprintf(stderr,
                        "s2scheck run: %s; --outbound-only: running what can be "
                        "judged without it\n",
                        why);
                return EXIT_MATCH;
        }
        checkup_print(stderr, rep);
        fprintf(stderr,
                "s2scheck run: stopped before the first scenario: the preflight found a FAIL "
                "that would make the results meaningless (fix it, or see `s2scheck check`; "
                "--no-preflight skips this%s)\n",
                checkup_failed(rep, "PRE-INBOUND") ? ", --outbound-only runs without inbound" : "");
        stop_reason(rep, why, whylen);
        return rc == EXIT_MISMATCH ? EXIT_UNTESTABLE : rc;
}

int cmd_check(int argc, char **argv)
{
        const char *partner_file = NULL, *identity = NULL, *json = NULL, *timeout = NULL;
        const char *pos[1], *keylog_path = NULL;
        struct checkup_options co;
        struct suite_cli sc;
        struct scenario_suite suite;
        struct checkup_report *rep = NULL;
        struct keylog *keylog = NULL;
        struct partner p;
        char err[1024], proxy[300];
        const char *given_target;
        size_t npos;
        long t = 0;
        int rc;
        struct sigaction sa;
        struct cli_opt opts[] = {
            CLI_PARTNER(&partner_file),
            CLI_IDENTITY(&identity),
            CLI_VALUE(
                "--target", "HOST[:PORT]", &co.target, "Real partner (--target)",
                "the partner, reached at HOST (port 5269 by default), or 'srv' (the default): "
                "found through its SRV records"),
            CLI_VALUE("--resolver", "ADDR[:PORT]", &co.resolver, "Real partner (--target)",
                      "DNS server for the partner's records (default: the system's)"),
            CLI_VALUE("--domain", "HARNESS_DOMAIN", &co.domain, "Harness",
                      "the harness's domain (default harness.test)"),
            CLI_VALUE("--listen", "ADDR[:PORT]", &co.listen, "Harness",
                      "where the harness accepts the partner's streams"),
            CLI_VALUE("--advertise", "ADDR", &co.advertise, "Harness",
                      "the address --serve-dns publishes (needed with --listen 0.0.0.0)"),
            CLI_VALUE("--serve-dns", "ADDR:PORT", &co.serve_dns, "Harness",
                      "serve the harness zone (SRV, A/AAAA for DOMAIN and below)"),
            CLI_VALUE("--ca", "FILE", &co.ca, "Real partner (--target)",
                      "the partner's CA (default: the system's trust store)"),
            CLI_VALUE("--cert", "FILE", &co.cert, "Real partner (--target)",
                      "the harness certificate, valid for DOMAIN and *.DOMAIN (with --key)"),
            CLI_VALUE("--key", "FILE", &co.key, "Real partner (--target)",
                      "the harness certificate's key"),
            CLI_VALUE(
                "--issuer-cert", "FILE", &co.issuer_cert, "Real partner (--target)",
                "a CA the partner trusts (with --issuer-key), to issue the harness certificate"),
            CLI_VALUE("--issuer-key", "FILE", &co.issuer_key, "Real partner (--target)",
                      "the key of --issuer-cert"),
            CLI_VALUE("--json", "FILE", &json, "Reports",
                      "the findings as JSON ('-': standard output, instead of the list)"),
            CLI_VALUE("--timeout", "S", &timeout, "Scenarios", "the whole check (default 8)"),
            CLI_KEYLOG(&keylog_path),
            {0},
            {0},
            {0},
            {0},
            {0},
        };

        _Static_assert(SUITE_CLI_NOPTS == 5, "one {0} per suite option above");
        memset(&co, 0, sizeof(co));
        suite_cli_opts(&sc, &opts[ARRAY_LEN(opts) - SUITE_CLI_NOPTS]);
        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 0, &npos, err, sizeof(err)) != 0)
                return command_usage_error("check", err);
        if (partner_file == NULL)
                return command_usage_error("check", "missing --partner FILE");
        if (timeout != NULL && cli_number(timeout, 1, 600, &t) != 0)
                return command_usage_error("check", "--timeout needs a whole number of seconds "
                                                    "from 1 to 600");
        co.timeout_s = (unsigned)t;
        {
                const struct preflight_file in[] = {
                    {"--partner", partner_file},
                    {"--ca", co.ca},
                    {"--cert", co.cert},
                    {"--key", co.key},
                    {"--issuer-cert", co.issuer_cert},
                    {"--issuer-key", co.issuer_key},
                };

                if (preflight_inputs(in, ARRAY_LEN(in), err, sizeof(err)) != 0 ||
                    (json != NULL && preflight_report("--json", json, err, sizeof(err)) != 0)) {
                        fprintf(stderr, "s2scheck check: %s\n", err);
                        return EXIT_USAGE;
                }
        }
        if (checkup_check_syntax(co.target, co.resolver, err, sizeof(err)) != 0)
                return command_usage_error("check", err);
        if (partner_load(partner_file, identity, &p, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck: %s\n", err);
                return EXIT_USAGE;
        }
        partner_warn(&p, stderr);
        rc = suite_cli_load(&sc, "check", &p.neg, &suite);
        if (rc != EXIT_MATCH) {
                partner_cleanup(&p);
                return rc;
        }
        co.partner = &p;
        if (keylog_option("check", keylog_path, &keylog) != 0) {
                rc = EXIT_USAGE;
                goto out;
        }
        co.keylog = keylog != NULL ? keylog_write : NULL;
        co.keylog_user = keylog;
        /* ProxyFqdn: probe the host the run will connect to (docs/partner-format.md). */
        given_target = co.target;
        co.target = checkup_proxy_target(&p, co.target, proxy, sizeof(proxy));
        if (co.target != given_target)
                co.proxy_fqdn = p.proxy_fqdn;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        rep = calloc(1, sizeof(*rep));
        if (rep == NULL || run_checkup(&co, &suite, rep, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck check: %s\n", rep ? err : "out of memory");
                rc = EXIT_UNTESTABLE;
                goto out;
        }
        rc = checkup_exit_code(rep);
        if (checkup_interrupted()) {
                fprintf(stderr, "s2scheck check: interrupted: the findings so far follow\n");
                rc = EXIT_UNTESTABLE;
        }
        if (!preflight_is_stdout(json) && checkup_print(stdout, rep) != 0)
                rc = EXIT_UNTESTABLE;
        if (json != NULL) {
                struct buf b;

                buf_init(&b, 0);
                if (checkup_json(rep, given_target, p.primary, &b) != 0) {
                        fprintf(stderr, "s2scheck check: could not format the JSON report\n");
                        rc = EXIT_UNTESTABLE;
                } else if (preflight_is_stdout(json)) {
                        if (fwrite(b.data, 1, b.len, stdout) != b.len)
                                rc = EXIT_UNTESTABLE;
                } else if (report_write_atomic(json, &b, err, sizeof(err)) != 0) {
                        fprintf(stderr, "s2scheck check: %s\n", err);
                        rc = EXIT_UNTESTABLE;
                }
                buf_cleanup(&b);
        }
out:
        keylog_close(keylog);
        free(rep);
        scenario_suite_cleanup(&suite);
        partner_cleanup(&p);
        return rc;
}
