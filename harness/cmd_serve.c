/* `serve`: the reference partner as a standalone server. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "commands.h"
#include "dns.h"
#include "dnszone.h"
#include "hostile.h"
#include "keylog.h"
#include "net.h"
#include "node.h"
#include "partner.h"
#include "preflight.h"
#include "tls.h"
#include "util.h"

#ifdef __GLIBC__
#include <malloc.h> /* malloc_trim */
#endif

static struct net_loop *volatile serve_loop;
static volatile sig_atomic_t serve_stop;

static void on_signal(int sig)
{
        (void)sig;
        serve_stop = 1;
        if (serve_loop != NULL)
                net_interrupt(serve_loop);
}

/* One line per stream outcome on stderr: what the partner saw. */
static void on_result(void *user, struct stream *s)
{
        const struct engine_result *r = engine_result(node_stream_engine(s));
        char codes[64] = "";

        (void)user;
        for (int o = 0; o < OUTCOME_COUNT; o++) {
                if (r->outcomes & OUTCOME_BIT(o)) {
                        size_t n = strlen(codes);
                        snprintf(codes + n, sizeof(codes) - n, "%s%s", n ? "|" : "",
                                 outcome_name((enum outcome)o));
                }
        }
        fprintf(stderr, "s2scheck serve: %s %s %s: %s\n", node_stream_label(s), net_stream_peer(s),
                codes[0] ? codes : "-", r->cause);
}

/* The default of --max-connections: a known-good partner for a gateway (issue 13). */
#define SERVE_MAX_CONNECTIONS 1000
#define SERVE_MAX_CONNECTIONS_MAX 100000

/* A listener cap option (1 to SERVE_MAX_CONNECTIONS_MAX); text NULL keeps *out. */
static int serve_limit(const char *name, const char *text, unsigned *out)
{
        long v;
        char msg[200];

        if (text == NULL)
                return 0;
        if (cli_number(text, 1, SERVE_MAX_CONNECTIONS_MAX, &v) != 0) {
                snprintf(msg, sizeof(msg), "%s needs a whole number from 1 to %d, not '%s'", name,
                         SERVE_MAX_CONNECTIONS_MAX, text);
                command_usage_error("serve", msg);
                return -1;
        }
        *out = (unsigned)v;
        return 0;
}

void cmd_serve_help_tail(FILE *f)
{
        fprintf(f, "--misbehave NAME, one of ([R] receiving, [I] initiating):\n");
        hostile_print(f);
        fprintf(f, "\nExit: 0 after a signal, 2 usage or configuration error (an unknown NAME\n"
                   "lists the accepted ones).\n");
}

int cmd_serve(int argc, char **argv)
{
        const char *partner_file = NULL, *identity = NULL, *listen = NULL, *ca = NULL;
        const char *cert = NULL, *key = NULL, *resolver = NULL, *serve_dns = NULL, *pos[1];
        const char *misbehave[32], *misbehave_as = NULL, *keylog_path = NULL;
        const char *max_conns_text = NULL, *max_source_text = NULL;
        size_t n_misbehave = 0;
        const struct cli_opt opts[] = {
            CLI_PARTNER(&partner_file),
            CLI_IDENTITY(&identity),
            CLI_REQUIRED("--listen", "ADDR:PORT", &listen, "Server",
                         "where it accepts streams (required)"),
            CLI_REQUIRED("--ca", "FILE", &ca, "Server",
                         "the CA the other side's certificates are checked against (required)"),
            CLI_REQUIRED("--cert", "FILE", &cert, "Server",
                         "its certificate, for the partner's domains (required)"),
            CLI_REQUIRED("--key", "FILE", &key, "Server", "its certificate's key (required)"),
            CLI_VALUE("--resolver", "ADDR[:PORT]", &resolver, "Server",
                      "DNS server used to reach the other side's domains"),
            CLI_VALUE("--max-connections", "N", &max_conns_text, "Server",
                      "accepted connections open at once (default 1000; the descriptor limit is "
                      "raised to fit, or serve says which limit to raise)"),
            CLI_VALUE("--max-per-source", "N", &max_source_text, "Server",
                      "accepted connections open at once from one source address (default 256)"),
            CLI_VALUE("--serve-dns", "ADDR:PORT", &serve_dns, "Server",
                      "serve the partner's own zone (SRV and A/AAAA for its domains, pointing at "
                      "--listen)"),
            {.name = "--misbehave",
             .metavar = "NAME",
             .list = misbehave,
             .list_len = &n_misbehave,
             .list_cap = ARRAY_LEN(misbehave),
             .help = "make it a hostile partner: one of the names listed below",
             .section = "Hostile partner"},
            CLI_VALUE(
                "--misbehave-as", "ROLE", &misbehave_as, "Hostile partner",
                "receiving or initiating: limit the wire behaviours to that side (default: both)"),
            CLI_KEYLOG(&keylog_path),
        };
        struct engine_misbehaviour bad = {0}; /* all off, as engine_knobs_default */
        struct net_pacing pace = {0, 0, 0};
        struct dns_zone *zone = NULL;
        struct tls_creds_config cc = {0};
        struct node_config cfg;
        struct net_listen_limits lim;
        struct node_observer obs = {NULL, on_result, NULL, NULL, NULL};
        struct node_transport t;
        struct tls_creds *creds = NULL;
        struct keylog *keylog = NULL;
        struct net_loop *loop = NULL;
        struct node *n = NULL;
        struct partner p;
        struct sigaction sa;
        char err[1024], host[256];
        uint16_t port = 0, bound = 0;
        size_t npos;
        int rc = EXIT_USAGE;

        if (cli_parse(argc, argv, opts, ARRAY_LEN(opts), pos, 0, &npos, err, sizeof(err)) != 0)
                return command_usage_error("serve", err);
        if (partner_file == NULL)
                return command_usage_error("serve", "missing --partner FILE");
        if (misbehave_as != NULL && strcmp(misbehave_as, "receiving") != 0 &&
            strcmp(misbehave_as, "initiating") != 0)
                return command_usage_error("serve", "--misbehave-as: accepted: receiving, "
                                                    "initiating (default: both)");
        for (size_t i = 0; i < n_misbehave; i++) {
                if (hostile_apply(misbehave[i], &bad, &pace, err, sizeof(err)) != 0)
                        return command_usage_error("serve", err);
        }
        if (misbehave_as != NULL) {
                /* The wire behaviours and pacing on one side only (the protocol ones
                 * belong to one side anyway). */
                unsigned role = strcmp(misbehave_as, "receiving") == 0 ? 1u << ENGINE_RECEIVING
                                                                       : 1u << ENGINE_INITIATING;

                bad.wire_roles = role;
                pace.roles = role;
        }
        if (listen == NULL)
                return command_usage_error("serve", "missing --listen ADDR:PORT");
        net_listen_limits_default(&lim);
        lim.total = SERVE_MAX_CONNECTIONS;
        if (serve_limit("--max-connections", max_conns_text, &lim.total) != 0 ||
            serve_limit("--max-per-source", max_source_text, &lim.per_source) != 0)
                return EXIT_USAGE;
        if (cert == NULL || key == NULL || ca == NULL)
                return command_usage_error("serve",
                                           "the reference partner needs --ca, --cert and --key");
        if (dns_parse_listen(listen, host, sizeof(host), &port, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck serve: --listen '%s': %s\n", listen, err);
                return EXIT_USAGE;
        }
        {
                /* A FIFO or device would block the start (docs/cli.md). */
                const struct preflight_file in[] = {
                    {"--partner", partner_file}, {"--ca", ca}, {"--cert", cert}, {"--key", key}};

                if (preflight_inputs(in, ARRAY_LEN(in), err, sizeof(err)) != 0) {
                        fprintf(stderr, "s2scheck serve: %s\n", err);
                        return EXIT_USAGE;
                }
        }
        if (partner_load(partner_file, identity, &p, err, sizeof(err)) != 0) {
                fprintf(stderr, "s2scheck: %s\n", err);
                return EXIT_USAGE;
        }
        partner_warn(&p, stderr);
        cc.ca_file = ca;
        cc.cert_file = cert;
        cc.key_file = key;
        cc.ca_opt = "--ca";
        cc.cert_opt = "--cert";
        cc.key_opt = "--key";
        cc.refuse_expired = true;
        if (keylog_option("serve", keylog_path, &keylog) != 0)
                goto out;
        cc.keylog = keylog != NULL ? keylog_write : NULL;
        cc.keylog_user = keylog;
        creds = tls_creds_new(&cc, err, sizeof(err));
        if (creds == NULL)
                goto fail;
        loop = net_new(err, sizeof(err));
        if (loop == NULL)
                goto fail;
        net_set_listen_limits(loop, &lim);
        {
                unsigned long nofile;
                unsigned cap = net_listen_cap(loop, &nofile);

                if (cap < lim.total) {
                        /* Said with the fix; an explicit N that cannot be met stops here. */
                        fprintf(stderr,
                                "s2scheck serve: --max-connections %u: the file descriptor limit "
                                "(RLIMIT_NOFILE, %lu, hard limit included) leaves room for %u "
                                "connections; raise it (ulimit -n, systemd LimitNOFILE=) or "
                                "lower --max-connections\n",
                                lim.total, nofile, cap);
                        if (max_conns_text != NULL) {
                                rc = EXIT_USAGE;
                                goto out;
                        }
                        fprintf(stderr, "s2scheck serve: serving at most %u at once\n", cap);
                }
        }
        if (resolver != NULL) {
                struct dns_resolver_config rc_ = {0};
                char rhost[256];
                uint16_t rport;

                if (dns_parse_hostport(resolver, 53, rhost, sizeof(rhost), &rport, err,
                                       sizeof(err)) != 0)
                        goto fail;
                rc_.server = rhost;
                rc_.port = rport;
                rc_.timeout_ms = 1500;
                rc_.retries = 1;
                net_set_resolver(loop, &rc_);
        }
        memset(&cfg, 0, sizeof(cfg));
        cfg.name = "partner";
        cfg.hosted[cfg.n_hosted++] = p.primary;
        for (size_t i = 0; i < p.n_additional && cfg.n_hosted < NODE_MAX_HOSTED; i++)
                cfg.hosted[cfg.n_hosted++] = p.additional[i];
        cfg.neg = p.neg;
        cfg.sem = SEMANTICS_MATRIX;
        engine_knobs_default(&cfg.knobs);
        cfg.knobs.bad = bad;
        cfg.creds = creds;
        cfg.db_answer = DB_ANSWER_TRUTHFUL;
        xs_limits_default(&cfg.limits);
        cfg.answer_pings = true;
        /* Every accepted stream may open a verify stream of its own. */
        cfg.max_streams = 2 * (size_t)lim.total;
        /* reuse-connection: streams to one address serve every domain found there. */
        t = bad.reuse_connection ? net_transport_same_server(loop) : net_transport(loop);
        n = node_new(&cfg, &t, &obs, err, sizeof(err));
        if (n == NULL)
                goto fail;
        if (net_listen(loop, host, port, n, &bound, err, sizeof(err)) != 0) {
                preflight_listen_failed("--listen", listen, err, sizeof(err));
                goto fail;
        }
        net_set_pacing(loop, n, &pace);
        if (serve_dns != NULL) {
                /* The partner's own zone: SRV and A/AAAA for its domains, pointing here. */
                struct dnszone_config zc = {0};
                char dhost[256];
                uint16_t dport;

                size_t sl = strlen(serve_dns);

                /* No port means 53; an explicit ":0" any free port (said on stderr below). */
                if ((sl > 2 && strcmp(serve_dns + sl - 2, ":0") == 0
                         ? dns_parse_listen(serve_dns, dhost, sizeof(dhost), &dport, err,
                                            sizeof(err))
                         : dns_parse_hostport(serve_dns, 53, dhost, sizeof(dhost), &dport, err,
                                              sizeof(err))) != 0)
                        goto fail;
                zc.apex = p.primary;
                zc.addrs[zc.naddrs++] = host;
                zc.port = bound;
                zone = dnszone_new(&zc, err, sizeof(err));
                if (zone == NULL)
                        goto fail;
                for (size_t i = 0; i < p.n_additional; i++) {
                        char owner[300];

                        snprintf(owner, sizeof(owner), "_xmpp-server._tcp.%s", p.additional[i]);
                        if (dnszone_add_srv(zone, owner, 0, 0, bound, p.primary) != 0) {
                                snprintf(err, sizeof(err), "cannot add a record for %s",
                                         p.additional[i]);
                                goto fail;
                        }
                }
                if (net_serve_dns(loop, dhost, dport, zone, &dport, err, sizeof(err)) != 0) {
                        preflight_listen_failed("--serve-dns", serve_dns, err, sizeof(err));
                        goto fail;
                }
                fprintf(stderr, "s2scheck serve: serving the zone of %s on %s port %u\n", p.primary,
                        dhost, (unsigned)dport);
        }
        for (size_t i = 0; i < n_misbehave; i++)
                fprintf(stderr, "s2scheck serve: misbehaving: %s\n", misbehave[i]);
        fprintf(stderr, "s2scheck serve: %s (M%d) listening on %s port %u\n", p.primary,
                settings_row(&p.neg), host, (unsigned)bound);

        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_signal;
        sigemptyset(&sa.sa_mask);
        serve_loop = loop;
        sigaction(SIGINT, &sa, NULL);
        sigaction(SIGTERM, &sa, NULL);
        signal(SIGPIPE, SIG_IGN);
        /* Runs until a signal; each wait is bounded, so the flag is seen promptly. With
         * nothing to do it sleeps in poll (net_run_wait): net_run would return at once
         * and this loop would spin (issue 12 item 3). */
        while (!serve_stop) {
                if (net_run_wait(loop, 1000, NULL, NULL) == NET_RUN_ERROR) {
                        snprintf(err, sizeof(err), "the event loop failed");
                        goto fail;
                }
#ifdef __GLIBC__
                /* At most once a second (net_run_wait returns after 1000 ms): the
                 * memory of the streams that ended (a burst of verify streams, say)
                 * goes back to the system instead of staying in the heap's free
                 * lists (1,000 authenticated streams: 60 -> 44 MiB of RSS,
                 * docs/performance.md). */
                malloc_trim(0);
#endif
        }
        net_close_all(loop);
        net_run(loop, 2000, NULL, NULL);
        rc = EXIT_MATCH;
        goto out;
fail:
        fprintf(stderr, "s2scheck serve: %s\n", err);
        rc = EXIT_USAGE;
out:
        serve_loop = NULL;
        net_free(loop);
        dnszone_free(zone);
        node_free(n);
        tls_creds_free(creds);
        keylog_close(keylog);
        partner_cleanup(&p);
        return rc;
}
