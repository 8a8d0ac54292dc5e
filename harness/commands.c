/* The command table and the usage error shared by the subcommands. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "commands.h"
#include "scenario.h"

const struct command commands[] = {
    {"validate", "validate PARTNER [--identity DOMAIN] [--cmdlet]",
     "check a partner configuration against the Lync rules",
     "Reads PARTNER (our XML format or the text Get-CsXmppAllowedPartner prints; the format\n"
     "is detected) and prints its row of Microsoft's negotiation matrix (M1-M18), whether\n"
     "the configuration is valid and, for an invalid one, the rule it breaks and the fix.\n"
     "\n"
     "  --identity DOMAIN  pick one partner from a file that holds several\n"
     "  --cmdlet           also print the equivalent New-CsXmppAllowedPartner command\n"
     "\n"
     "Exit: 0 valid, 2 invalid configuration or bad input.\n",
     cmd_validate, NULL},
    {"matrix", "matrix PARTNER [--identity DOMAIN] [--json] [--strict]",
     "print the expected outcome of every harness setting against a partner",
     "Prints the partner's row, validity, accepted methods (S, Dt, Dp) and class (E1-E7),\n"
     "then for each of the 18 harness-side settings H1-H18 and both directions\n"
     "(outbound: the harness initiates; inbound: the partner initiates) the expected\n"
     "outcome (S, Dt, Dp, F0-F4) and the rule behind it.\n"
     "\n"
     "  --identity DOMAIN  pick one partner from a file that holds several\n"
     "  --json             print the JSON form documented in docs/json-matrix.md\n"
     "  --strict           read the harness side with strict semantics (reference §3.5)\n"
     "\n"
     "Exit: 0 printed, 2 bad input.\n",
     cmd_matrix, NULL},
    {"run",
     "run --partner FILE [--identity D] [--target HOST[:PORT]|srv] [--resolver ADDR[:PORT]] "
     "[--domain HARNESS_DOMAIN] [--listen ADDR[:PORT]] [--serve-dns ADDR:PORT] [--ca F] "
     "[--cert F --key F] [--cert-dir DIR] [--issuer-cert F --issuer-key F] [--scenarios DIR] "
     "[--add-scenarios DIR]... "
     "[--only TAG]... [--skip TAG]... [--jobs N] [--json F|-] [--junit F|-] [--transcripts DIR] "
     "[--timeout S] [--advertise ADDR] [--no-preflight] [--outbound-only] "
     "[--all --out DIR [--shard K/N] [--for DOMAIN:--OPTION=VALUE]...]",
     "run the conformance suite against a partner, on the wire",
     "Runs the selected scenarios (docs/scenarios.md; default: every file of the shipped\n"
     "scenarios/ folder) as real S2S negotiations against the partner and compares what\n"
     "happens with what its configuration implies. With no --target the partner is the built-in "
     "reference partner: a conforming\n"
     "server that behaves exactly as PARTNER says, started in-process on loopback.\n"
     "\n"
     "  --partner FILE           the partner configuration (required)\n"
     "  --identity DOMAIN        pick one partner from a file that holds several\n"
     "  --target HOST[:PORT]     a real partner, reached here (port 5269 by default)\n"
     "  --target srv             a real partner, found through its SRV records\n"
     "                           (_xmpps-server, _xmpp-server; A/AAAA on 5269 without them)\n"
     "  --resolver ADDR[:PORT]   DNS server for the partner's records (default: the system's)\n"
     "  --domain DOMAIN          the harness's domain (default harness.test); each scenario\n"
     "                           uses a subdomain of it, e.g. h13-out.harness.test\n"
     "  --listen ADDR[:PORT]     where the harness accepts the partner's streams\n"
     "                           (default 127.0.0.1, any port)\n"
     "  --serve-dns ADDR:PORT    serve the harness zone (SRV, A/AAAA for DOMAIN and below)\n"
     "  --advertise ADDR         the address that zone publishes (default: the --listen\n"
     "                           address, which must not then be 0.0.0.0 or ::)\n"
     "  --no-preflight           with --target: skip the preflight (s2scheck check)\n"
     "  --outbound-only          with --target: when the preflight finds that the partner\n"
     "                           cannot connect in, run the rest and skip, saying why, each\n"
     "                           scenario that needs it (inbound, or harness dialback)\n"
     "  --ca F --cert F --key F  the partner's CA, the harness certificate (valid for DOMAIN and\n"
     "                           *.DOMAIN) and key; with --target (no --ca: the system's\n"
     "                           trust store, which must not be empty)\n"
     "  --cert-dir DIR           with --target: the certificate variants as\n"
     "                           DIR/DOMAIN-VARIANT.pem/.key (default: the build's certs/)\n"
     "  --issuer-cert F --issuer-key F\n"
     "                           with --target: a CA the partner trusts and its key; the run\n"
     "                           issues every certificate variant for each scenario's domain\n"
     "                           (and the harness certificate when --cert is not given)\n"
     "  --scenarios DIR          run this folder instead of the shipped suite\n"
     "  --add-scenarios DIR      add a folder (repeatable)\n"
     "  --only WORD, --skip WORD select by id, tag or direction (repeatable; as in list)\n"
     "  --jobs N                 scenarios at once (default 4)\n"
     "  --partner-connections N  real partner: connections at once to one of its addresses\n"
     "                           (default 4, at least 2; a scenario may need two, so at most\n"
     "                           N/2 scenarios run at once against a real partner)\n"
     "  --pause MS               real partner: pause between two connections\n"
     "  --timeout S              per scenario (default 30)\n"
     "  --step-timeout MS        per negotiation step (default: docs/timeouts.md)\n"
     "  --json F, --junit F      write the reports (docs/report-json.md, docs/report-junit.md);\n"
     "                           '-' for standard output (then the text report is not printed)\n"
     "  --transcripts DIR        one wire transcript per scenario (DIR/<id>.txt), and the\n"
     "                           streams refused outside any scenario (DIR/_run.txt)\n"
     "  --quiet                  no progress on stderr\n"
     "  --all --out DIR          every partner of FILE, one run each, concurrently; reports in\n"
     "                           DIR/DOMAIN/ and a roll-up in DIR (docs/fleet.md); --jobs then\n"
     "                           bounds the scenarios over the fleet (default 8)\n"
     "  --shard K/N              with --all: a stable 1/N of the partners (s2scheck merge)\n"
     "  --for DOMAIN:--OPT=VAL   with --all: an option for that partner's run only\n"
     "\n"
     "Files, report paths, certificates and ports are checked before the first scenario;\n"
     "with --target the preflight of `s2scheck check` runs first and a FAIL stops the run\n"
     "(exit 2 for the harness's set-up, 3 for the partner's) within seconds.\n"
     "Exit: 0 all match, 1 a mismatch, 2 usage or configuration error, 3 could not test.\n",
     cmd_run, NULL},
    {"check",
     "check --partner FILE [--identity D] [--target HOST[:PORT]|srv] [--resolver ADDR[:PORT]] "
     "[--domain HARNESS_DOMAIN] [--listen ADDR[:PORT]] [--advertise ADDR] "
     "[--serve-dns ADDR:PORT] [--ca F] [--cert F --key F] [--issuer-cert F --issuer-key F] "
     "[--scenarios DIR] [--add-scenarios DIR]... [--only TAG]... [--skip TAG]... [--json F|-] "
     "[--timeout S]",
     "preflight: is everything in place for a run against a real partner?",
     "Checks both sides before a run (docs/cli.md, \"check\"), each item a finding with an\n"
     "id, OK / WARN / FAIL and the fix: the harness certificate (key, expiry, the names\n"
     "DOMAIN and every scenario subdomain), the address the harness zone publishes, the\n"
     "listeners; for the partner's primary and each additional domain: SRV, A/AAAA, TCP to\n"
     "each IPv4 and IPv6 address, the stream and its features, STARTTLS, the certificate\n"
     "(chain, names, EKU, expiry); and whether the partner connects in to the harness\n"
     "(a ping from preflight.DOMAIN). `run --target` runs the same check first.\n"
     "The options are those of run; with no --target the partner is found through DNS\n"
     "(as --target srv).\n"
     "\n"
     "  --advertise ADDR  the address --serve-dns publishes (needed with --listen 0.0.0.0)\n"
     "  --json F|-        the findings as JSON ('-': standard output, instead of the list)\n"
     "  --timeout S       the whole check (default 8)\n"
     "\n"
     "Exit: 0 ready, 1 ready with warnings, 2 usage error or a FAIL of the harness's own\n"
     "set-up, 3 a FAIL on the partner's side or inbound.\n",
     cmd_check, NULL},
    {"serve",
     "serve --partner FILE --listen ADDR:PORT --ca F --cert F --key F [--identity D] "
     "[--resolver ADDR[:PORT]] [--serve-dns ADDR:PORT] [--misbehave NAME]... [--misbehave-as ROLE]",
     "run the reference partner as a standalone server",
     "Runs a conforming S2S server that behaves exactly as PARTNER says (its TLS, SASL and\n"
     "dialback settings, its domains), so that the harness, or your own gateway, can be run\n"
     "against a known-good partner. It answers XEP-0199 pings and dialback verifications,\n"
     "connects out through the resolver to reach the other side's domains, and logs one line\n"
     "per stream outcome to stderr. --serve-dns serves the partner's own zone (SRV and\n"
     "A/AAAA for its domains, pointing at --listen) so that `run --target srv` can find it.\n"
     "It runs until SIGINT or SIGTERM.\n"
     "\n"
     "--misbehave NAME (repeatable) makes it a hostile partner, for regression tests of\n"
     "the side that talks to it. [R] shows when it receives a connection, [I] when it\n"
     "opens one (docs/cli.md); --misbehave-as receiving|initiating limits the wire\n"
     "behaviours to that side (default: both). NAME is one of:\n",
     cmd_serve, cmd_serve_help_tail},
    {"list",
     "list [--scenarios DIR] [--add-scenarios DIR]... [--only TAG]... [--skip TAG]... [--json]",
     "list the scenarios a run would use",
     "Loads the scenario suite (every *.xml file of the folder, strictly checked; see\n"
     "docs/scenarios.md) and prints one line per selected scenario: id, direction,\n"
     "harness TLS/SASL/dialback, tags and title, then the count.\n"
     "\n"
     "  --scenarios DIR      use DIR instead of the default suite (" SCENARIO_DEFAULT_DIR ")\n"
     "  --add-scenarios DIR  add the scenarios of DIR (repeatable); ids stay unique\n"
     "  --only TAG           keep scenarios with this tag, id or direction (repeatable)\n"
     "  --skip TAG           drop scenarios with this tag, id or direction (repeatable)\n"
     "  --json               print the selection as JSON\n"
     "\n"
     "A --only/--skip word that matches no scenario is an error.\n"
     "Exit: 0 listed, 2 bad option or a suite that does not load (one line on stderr).\n",
     cmd_list, NULL},
    {"merge", "merge --out DIR SHARD_DIR...", "join the roll-ups of a fleet's shards into one",
     "Reads SHARD_DIR/rollup.json of each `run --all --shard K/N --out SHARD_DIR` and writes\n"
     "the fleet's roll-up (rollup.txt, rollup.json, rollup.xml) into --out DIR, as one\n"
     "unsharded `run --all` would have (times aside); prints rollup.txt. The folders must be\n"
     "the shards 1..N of one partner file, each once (docs/fleet.md).\n"
     "Exit: the fleet's (docs/cli.md \"Fleets\"): 0, 1 or 3; 2 for a bad option or shard set.\n",
     cmd_merge, NULL},
    {"diff", "diff OLD.json NEW.json [--json] [--fail-on regression]",
     "what changed between two run reports",
     "Compares two reports of `run --json` (docs/cli.md \"diff\"), per scenario and per\n"
     "partner domain, ignoring times, ids, ports, transcripts and cause texts: new\n"
     "mismatches (regressions), fixed ones, other verdict changes, changed observed\n"
     "outcomes, added and removed scenarios, a changed classification.\n"
     "\n"
     "  --json                 print the changes as JSON (docs/report-json.md \"Diff\")\n"
     "  --fail-on regression   exit 1 only when NEW is worse than OLD\n"
     "\n"
     "Exit: 0 no change (with --fail-on regression: not worse), 1 a change (worse),\n"
     "2 usage error or a file that is not a run report.\n",
     cmd_diff, NULL},
    {NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct command *command_find(const char *name)
{
        for (const struct command *c = commands; c->name != NULL; c++) {
                if (strcmp(c->name, name) == 0)
                        return c;
        }
        return NULL;
}

void command_print_usage(FILE *f)
{
        fprintf(f, "usage: s2scheck COMMAND [ARGS]\n"
                   "       s2scheck --help | --version | help COMMAND\n\ncommands:\n");
        for (const struct command *c = commands; c->name != NULL; c++)
                fprintf(f, "  %-10s %s\n", c->name, c->summary);
}

int command_usage_error(const char *name, const char *msg)
{
        const struct command *c = command_find(name);

        fprintf(stderr, "s2scheck %s: %s\n", name, msg);
        if (c != NULL)
                fprintf(stderr, "usage: s2scheck %s\n", c->usage);
        return EXIT_USAGE;
}
