#!/usr/bin/env bash
# `s2scheck run` against real ejabberd 23.01 partners (fixtures/servers/ejabberd/*.yml)
# on loopback, in a network namespace with only lo. For each variant:
#   - ejabberd serves partner.test on its s2s port; Erlang's resolver (inetrc) asks the
#     run's own --serve-dns zone for SRV records; the SRV targets (each scenario's own
#     name, h13-in.harness.test) are resolved through libc, so they are added to the
#     namespace's private /etc/hosts;
#   - the run with the partner file of the class the smoke test established exits 0,
#     every scenario matches, and the classification names that class;
#   - the run with a partner file of another class exits 1, and the classification
#     still names the true class.
# Both runs of a variant use the same DNS and listen ports. docs/peers.md.
# Usage (as root): run-ejabberd.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"
bin=$1
pki=$PEERS_PKI
# The harness certificate: DNS-ID harness.test and *.harness.test plus SRV-ID, no
# xmppAddr (ejabberd 23.01 crashes on one, reference/peers.md).
hcert=${S2S_EJABBERD_HARNESS_CERT:-harness.test}

# variant | its class (smoke-ejabberd.sh) | a partner file of another class (the lie)
#         | scenarios known to end in error (docs/peers.md, "ejabberd verifies on its own
#           stream"): the partner connects in but the runner does not count that stream
expect=(
	"required-db|E4|false-db|"
	"required-nodb|E1|optional-db|"
	"optional-db|E2|required-nodb|"
	"optional-nodb|E3|required-db|"
	"false-db|E7|required-db|"
)
base=15700 # ejabberd s2s: base+i; Erlang distribution base+50+i; runs: listen
# base+100+i, DNS base+200+i

mapfile -t scen_names < <(peers_scenario_names)
peers_hosts_add "${scen_names[@]}"
names=()
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	peers_dns_external $((base + 200 + i))
	peers_launch_ejabberd "e$i" "$variant" $((base + i)) $((base + 50 + i))
	names+=("e$i")
done
for n in "${names[@]}"; do
	check "$n (${PEERS_VARIANT[$n]}) listens" peers_wait_ready "$n"
done

times=()
declare -A last_end # server -> when its last run ended (microseconds)
# All true runs first, then all lies: after a failed outbound attempt ejabberd may
# neither bounce nor reconnect for a moment, so a server gets at least 2 s between runs
# (docs/peers.md).
for kind in true lie; do
	for i in "${!expect[@]}"; do
		IFS='|' read -r variant class lie known <<<"${expect[$i]}"
		n=e$i
		# The known errors wait for the scenario timeout; the receiving stream that
		# shows the partner's failure times out in EXPECT_NEGOTIATION (3 s) before it.
		limits=(--timeout 15)
		[ -n "$known" ] && limits=(--timeout 5 --step-timeout 3000)
		pfile=$variant
		want=0
		if [ "$kind" = lie ]; then
			pfile=$lie
			want=1
		fi
		if [ -n "${last_end[$n]:-}" ]; then
			gap=$(($(peers_now_us) - ${last_end[$n]}))
			[ "$gap" -lt 2000000 ] && sleep "$(peers_secs $((2000000 - gap)))"
		fi
		out=$PEERS_RUN/run-$variant-$kind
		what="$variant ($class) as $pfile.partner.xml"
		peers_s2scheck_run "run-$variant-$kind" 120 "$out" "$bin" --only matrix \
			--partner "$PEERS_FIXTURES/ejabberd/$pfile.partner.xml" \
			--target "127.0.0.1:${PEERS_PORT[$n]}" \
			--serve-dns "127.0.0.1:$((base + 200 + i))" \
			--listen "127.0.0.1:$((base + 100 + i))" \
			--ca "$pki/ca.pem" --cert "$pki/$hcert.pem" --key "$pki/$hcert.key" \
			"${limits[@]}" --json "$out/r.json" --transcripts "$out/tr" --quiet
		last_end[$n]=$(peers_now_us)
		peers_check_run "$what" "$out" "$want" "$class" "$known"
		times+=("$variant/$kind=${PEERS_RUN_SECS}s")
	done
done

t0=$(peers_now_us)
peers_stop_all "${names[@]}"
peers_log "stopped ${#names[@]} ejabberd servers in $(peers_secs $(($(peers_now_us) - t0))) s"
peers_leftovers
check "no process left in the namespace (no epmd either) [$PEERS_LEFT]" test -z "$PEERS_LEFT"
peers_log "run times: ${times[*]}"
finish run-ejabberd
