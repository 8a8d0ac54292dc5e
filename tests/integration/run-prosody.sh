#!/usr/bin/env bash
# `s2scheck run` against real Prosody 0.12 partners (fixtures/servers/prosody/*.cfg.lua)
# on loopback, in a network namespace with only lo. For each variant:
#   - Prosody serves partner.test on its s2s port; its resolver (libunbound) forwards
#     to the run's own --serve-dns zone, so that it finds h13-in.harness.test etc. at
#     the run's --listen port when it connects in (inbound scenarios);
#   - the run with the partner file of the class the smoke test established exits 0,
#     every scenario matches, and the classification names that class;
#   - the run with a partner file of another class exits 1, and the classification
#     still names the true class.
# Both runs of a variant use the same DNS and listen ports: Prosody caches the answers.
# docs/peers.md ("s2scheck run against the real partners") lists what this shows.
# Usage (as root): run-prosody.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"
bin=$1
pki=$PEERS_PKI

# variant | its class (smoke-prosody.sh) | a partner file of another class (the lie)
expect=(
	"req-db|E4|notls-db"
	"opt-db|E2|req-nodb"
	"notls-db|E7|req-db"
	"req-nodb|E1|opt-db"
	"opt-nodb|E3|opt-db-nosasl"
	"req-db-nosasl|E5|opt-nodb"
	"opt-db-nosasl|E6|req-db-nosasl"
)
base=15500 # Prosody s2s: base+i; the runs: listen base+100+i, DNS base+200+i

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

times=()
for i in "${!expect[@]}"; do
	IFS='|' read -r variant class lie <<<"${expect[$i]}"
	n=p$i
	for kind in true lie; do
		pfile=$variant
		want=0
		if [ "$kind" = lie ]; then
			pfile=$lie
			want=1
		fi
		out=$PEERS_RUN/run-$variant-$kind
		what="$variant ($class) as $pfile.partner.xml"
		peers_s2scheck_run "run-$variant-$kind" 120 "$out" "$bin" \
			--partner "$PEERS_FIXTURES/prosody/$pfile.partner.xml" \
			--target "127.0.0.1:${PEERS_PORT[$n]}" \
			--serve-dns "127.0.0.1:$((base + 200 + i))" \
			--listen "127.0.0.1:$((base + 100 + i))" \
			--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
			--timeout 15 --json "$out/r.json" --transcripts "$out/tr" --quiet
		peers_check_run "$what" "$out" "$want" "$class"
		times+=("$variant/$kind=${PEERS_RUN_SECS}s")
	done
	# Prosody found the scenario domains through the run's zone (libunbound's log).
	check "$variant: Prosody resolved _xmpp-server._tcp.matrix-h13-in.harness.test through --serve-dns" \
		grep -q "Results for _xmpp-server._tcp.matrix-h13-in.harness.test IN SRV: 1 items" \
		"${PEERS_DIR[$n]}/prosody.log"
done

t0=$(peers_now_us)
peers_stop_all "${names[@]}"
peers_log "stopped ${#names[@]} Prosody servers in $(peers_secs $(($(peers_now_us) - t0))) s"
peers_leftovers
check "no process left in the namespace [$PEERS_LEFT]" test -z "$PEERS_LEFT"
peers_log "run times: ${times[*]}"
finish run-prosody
