#!/usr/bin/env bash
# `s2scheck run` against real ejabberd 23.01 partners (fixtures/servers/ejabberd/*.yml)
# on loopback, in a network namespace with only lo. For each variant:
#   - ejabberd serves partner.test and its additional domain chat.partner.test on its
#     s2s port; Erlang's resolver (inetrc) asks the run's own --serve-dns zone for SRV
#     records; the SRV targets (each scenario's own name, and the extra senders'
#     mux1.<id>.harness.test) are resolved through libc, so they are added to the
#     namespace's private /etc/hosts;
#   - the WHOLE default suite runs with the partner file of the class the smoke test
#     established and ejabberd's quirks (fixtures/servers/ejabberd/quirks.xml): exit 0,
#     every scenario matches or deviates exactly as a documented quirk says, every
#     certificate variant runs (issued by the test CA for each scenario's domain,
#     --issuer-cert; never with xmppAddr for the harness certificate, which ejabberd
#     23.01 cannot read), and the classification names that class;
#   - the matrix scenarios with a partner file of another class (the lie) exit 1, and
#     the classification still names the true class;
#   - false-nodb has no method at all (M18, which Lync refuses): outbound everything
#     fails as F0 predicts, inbound nothing can be triggered (exit 3, could not test),
#     and the classification says only the invalid row M18 explains it.
# The suite runs of all variants go at once (each against its own ejabberd); the lies
# follow, at least 2 s after the last run on a server (docs/peers.md).
# Usage (as root): run-ejabberd.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"
bin=$1

# variant | its class (smoke-ejabberd.sh) | a partner file of another class (the lie)
expect=(
	"required-db|E4|false-db"
	"required-nodb|E1|optional-db"
	"optional-db|E2|required-nodb"
	"optional-nodb|E3|required-db"
	"false-db|E7|required-db"
	"false-nodb|M18|"
)
base=15700 # ejabberd s2s: base+i; Erlang distribution base+50+i; runs: listen
# base+100+i, DNS base+200+i
quirks=$PEERS_FIXTURES/ejabberd/quirks.xml
suite_ids=$("$bin" list --json | jq -r '[.scenarios[].id] | join(" ")')
check "the default suite lists well over 100 scenarios" test "$(wc -w <<<"$suite_ids")" -gt 100

mapfile -t scen_names < <(peers_scenario_names "$bin")
peers_hosts_add "${scen_names[@]}"
names=()
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	peers_dns_external $((base + 200 + i))
	# partner.test: DNS-ID, *.partner.test (covers chat.partner.test) and SRV-ID.
	peers_launch_ejabberd "e$i" "$variant" $((base + i)) $((base + 50 + i)) "$PEERS_PARTNER"
	names+=("e$i")
done
for n in "${names[@]}"; do
	check "$n (${PEERS_VARIANT[$n]}) listens" peers_wait_ready "$n"
done

# run_args I PARTNER_FILE OUT: the options of every run against variant I. A scenario
# waits at most 10 s; each negotiation step 4 s (ejabberd answers within milliseconds;
# the long waits are the scenarios where it rightly stays silent).
run_args() {
	peers_run_args "$PEERS_FIXTURES/ejabberd/$2.partner.xml" "${PEERS_PORT[e$1]}" \
		$((base + 200 + $1)) $((base + 100 + $1)) "$3"
	args=("${PEERS_ARGS[@]}" --partner-connections 8 --timeout 10 --step-timeout 4000)
}

times=()
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	out=$PEERS_RUN/suite-$variant
	run_args "$i" "$variant" "$out"
	peers_s2scheck_start "suite-$variant" 300 "$out" "$bin" "${args[@]}" --quirks "$quirks"
done
declare -A last_end # server -> when its last run ended (microseconds)
for i in "${!expect[@]}"; do
	IFS='|' read -r variant class _ <<<"${expect[$i]}"
	out=$PEERS_RUN/suite-$variant
	peers_s2scheck_wait "suite-$variant"
	last_end[e$i]=$(peers_now_us)
	times+=("$variant/suite=${PEERS_RUN_SECS}s")
	if [ "$class" = M18 ]; then
		peers_check_no_method "$variant (M18, no method), the default suite" "$out" M18
		continue
	fi
	peers_check_suite "$variant ($class), the default suite" "$out" "$class" "$suite_ids"
	got=$(cli_jq -r '.finding_patterns | join(" ")' "$out/r.json")
	check "$variant: no finding pattern [$got]" test -z "$got"
done

for i in "${!expect[@]}"; do
	IFS='|' read -r variant class lie <<<"${expect[$i]}"
	[ -n "$lie" ] || continue
	n=e$i
	# After a failed outbound attempt ejabberd may neither bounce nor reconnect for a
	# moment: at least 2 s between two runs on one server (docs/peers.md).
	gap=$(($(peers_now_us) - ${last_end[$n]}))
	[ "$gap" -lt 2000000 ] && sleep "$(peers_secs $((2000000 - gap)))"
	out=$PEERS_RUN/lie-$variant
	run_args "$i" "$lie" "$out"
	peers_s2scheck_run "lie-$variant" 120 "$out" "$bin" --only matrix "${args[@]}"
	peers_check_run "$variant ($class) as $lie.partner.xml" "$out" 1 "$class"
	last_end[$n]=$(peers_now_us)
	times+=("$variant/lie=${PEERS_RUN_SECS}s")
done

# The domains verdict (issue 13 item 1): the variant's own partner file plus an
# additional domain ejabberd does not host. Its negotiation class is still the one its
# settings imply, and the report names the unserved domain with the fix.
for i in "${!expect[@]}"; do
	IFS='|' read -r variant class _ <<<"${expect[$i]}"
	[ "$variant" = required-nodb ] || [ "$variant" = optional-db ] || continue
	gap=$(($(peers_now_us) - ${last_end[e$i]}))
	[ "$gap" -lt 2000000 ] && sleep "$(peers_secs $((2000000 - gap)))"
	peers_domains_case "$variant" "$class" "$PEERS_FIXTURES/ejabberd/$variant.partner.xml" \
		"${PEERS_PORT[e$i]}" $((base + 200 + i)) $((base + 100 + i)) 10 "$quirks" "$bin"
	last_end[e$i]=$(peers_now_us)
	times+=("$variant/domains=${PEERS_RUN_SECS}s")
done

t0=$(peers_now_us)
peers_stop_all "${names[@]}"
peers_log "stopped ${#names[@]} ejabberd servers in $(peers_secs $(($(peers_now_us) - t0))) s"
peers_leftovers
check "no process left in the namespace (no epmd either) [$PEERS_LEFT]" test -z "$PEERS_LEFT"
peers_log "run times: ${times[*]}"
finish run-ejabberd
