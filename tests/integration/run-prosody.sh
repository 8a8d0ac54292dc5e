#!/usr/bin/env bash
# `s2scheck run` against real Prosody 0.12 partners (fixtures/servers/prosody/*.cfg.lua)
# on loopback, in a network namespace with only lo. For each variant:
#   - Prosody serves partner.test and its additional domain chat.partner.test on its s2s
#     port; its resolver (libunbound) forwards to the run's own --serve-dns zone, so that
#     it finds each scenario's domain (matrix-h13-in.harness.test ...) at the run's
#     --listen port when it connects in (inbound scenarios);
#   - the WHOLE default suite runs with the partner file of the class the smoke test
#     established and Prosody's quirks (fixtures/servers/prosody/quirks.xml): exit 0,
#     every scenario matches or deviates exactly as a documented quirk says, every
#     certificate variant runs (issued for each scenario's domain by the test CA,
#     --issuer-cert), and the classification names that class; the s2s_secure_auth
#     variant also shows the certificate-required-for-dialback finding, the others not;
#   - the matrix scenarios with a partner file of another class (the lie) exit 1, and
#     the classification still names the true class.
# The suite runs of all variants go at once (each against its own Prosody); the lies
# follow. docs/peers.md ("s2scheck run against the real partners") lists what this shows.
# Usage (as root): run-prosody.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"
bin=$1

# variant | its class (smoke-prosody.sh) | a partner file of another class (the lie)
#         | finding patterns the whole suite shows (JSON finding_patterns)
expect=(
	"req-db|E4|notls-db|"
	"opt-db|E2|req-nodb|"
	"notls-db|E7|req-db|"
	"req-nodb|E1|opt-db|"
	"opt-nodb|E3|opt-db-nosasl|"
	"req-db-nosasl|E5|opt-nodb|"
	"opt-db-nosasl|E6|req-db-nosasl|"
	"req-db-secure|E4|notls-db|certificate-required-for-dialback"
)
base=15500 # Prosody s2s: base+i; the runs: listen base+100+i, DNS base+200+i
quirks=$PEERS_FIXTURES/prosody/quirks.xml
suite_ids=$("$bin" list --json | jq -r '[.scenarios[].id] | join(" ")')
check "the default suite lists well over 100 scenarios" test "$(wc -w <<<"$suite_ids")" -gt 100

names=()
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	# Each Prosody forwards to the DNS port of its own runs.
	peers_dns_external $((base + 200 + i))
	peers_launch_prosody "p$i" "$variant" $((base + i))
	names+=("p$i")
done
for n in "${names[@]}"; do
	check "$n (${PEERS_VARIANT[$n]}) listens" peers_wait_ready "$n"
done

# run_args I PARTNER_FILE OUT: the options of every run against variant I.
run_args() {
	peers_run_args "$PEERS_FIXTURES/prosody/$2.partner.xml" "${PEERS_PORT[p$1]}" \
		$((base + 200 + $1)) $((base + 100 + $1)) "$3"
	args=("${PEERS_ARGS[@]}" --partner-connections 8 --timeout 20 --step-timeout 4000)
}

times=()
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	out=$PEERS_RUN/suite-$variant
	run_args "$i" "$variant" "$out"
	peers_s2scheck_start "suite-$variant" 300 "$out" "$bin" "${args[@]}" --quirks "$quirks"
done
for i in "${!expect[@]}"; do
	IFS='|' read -r variant class _ patterns <<<"${expect[$i]}"
	out=$PEERS_RUN/suite-$variant
	peers_s2scheck_wait "suite-$variant"
	times+=("$variant/suite=${PEERS_RUN_SECS}s")
	peers_check_suite "$variant ($class), the default suite" "$out" "$class" "$suite_ids"
	got=$(cli_jq -r '.finding_patterns | join(" ")' "$out/r.json")
	check "$variant: finding patterns [$got] = [$patterns]" test "$got" = "$patterns"
	# Prosody found the scenario domains through the run's zone (libunbound's log).
	check "$variant: Prosody resolved _xmpp-server._tcp.matrix-h13-in.harness.test through --serve-dns" \
		grep -q "Results for _xmpp-server._tcp.matrix-h13-in.harness.test IN SRV: 1 items" \
		"${PEERS_DIR[p$i]}/prosody.log"
done

for i in "${!expect[@]}"; do
	IFS='|' read -r variant class lie _ <<<"${expect[$i]}"
	out=$PEERS_RUN/lie-$variant
	run_args "$i" "$lie" "$out"
	peers_s2scheck_run "lie-$variant" 120 "$out" "$bin" --only matrix "${args[@]}"
	peers_check_run "$variant ($class) as $lie.partner.xml" "$out" 1 "$class"
	times+=("$variant/lie=${PEERS_RUN_SECS}s")
done

# The domains verdict (issue 13 item 1): the variant's own partner file plus an
# additional domain Prosody does not host. Its negotiation class is still the one its
# settings imply, and the report names the unserved domain with the fix.
for i in "${!expect[@]}"; do
	IFS='|' read -r variant class _ <<<"${expect[$i]}"
	[ "$variant" = req-nodb ] || [ "$variant" = opt-db ] || continue
	peers_domains_case "$variant" "$class" "$PEERS_FIXTURES/prosody/$variant.partner.xml" \
		"${PEERS_PORT[p$i]}" $((base + 200 + i)) $((base + 100 + i)) 20 "$quirks" "$bin"
	times+=("$variant/domains=${PEERS_RUN_SECS}s")
done

t0=$(peers_now_us)
peers_stop_all "${names[@]}"
peers_log "stopped ${#names[@]} Prosody servers in $(peers_secs $(($(peers_now_us) - t0))) s"
peers_leftovers
check "no process left in the namespace [$PEERS_LEFT]" test -z "$PEERS_LEFT"
peers_log "run times: ${times[*]}"
finish run-prosody
