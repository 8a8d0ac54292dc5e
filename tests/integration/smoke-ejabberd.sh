#!/usr/bin/env bash
# ejabberd 23.01 partners (fixtures/servers/ejabberd/*.yml) on loopback, in a network
# namespace with only lo: each variant must start, offer the stream features of its
# class before and after STARTTLS, answer a plaintext dialback attempt as its class
# predicts (s2s-spec.md §3.2, §3.8), and stop again without leaving a process behind.
# A Prosody serving harness.test is the dialback authority. docs/peers.md.
# Usage (as root): smoke-ejabberd.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"

# variant | class | pre-TLS features | post-TLS (valid harness certificate)
#         | post-TLS (harness certificate from the untrusted ca2) | plaintext dialback
# Feature words: see peers_features. "-" = no TLS possible.
# ejabberd offers EXTERNAL after TLS whatever the client certificate (it checks it only
# when EXTERNAL is used), so the untrusted-certificate column equals the valid one.
expect=(
	"required-db|E4|db-ns starttls-required|db-ns dialback sasl:EXTERNAL|db-ns dialback sasl:EXTERNAL|stream:policy-violation"
	"required-nodb|E1|db-ns starttls-required|db-ns sasl:EXTERNAL|db-ns sasl:EXTERNAL|stream:policy-violation"
	"optional-db|E2|db-ns dialback starttls|db-ns dialback sasl:EXTERNAL|db-ns dialback sasl:EXTERNAL|valid"
	"optional-nodb|E3|db-ns starttls|db-ns sasl:EXTERNAL|db-ns sasl:EXTERNAL|stream:not-authorized"
	"false-db|E7|db-ns dialback|-|-|valid"
	"false-nodb|M18|db-ns|-|-|stream:not-authorized"
)
base=15400
auth_port=15270
dns_port=15353

check "DNS server starts" peers_dns_start "$dns_port" "$auth_port"
check "DNS: SRV of the harness domain" \
	grep -q "SRV.*0 0 $auth_port $PEERS_HARNESS\." \
	<<<"$(drill -p "$dns_port" @127.0.0.1 "_xmpp-server._tcp.$PEERS_HARNESS" SRV)"

# The dialback authority for harness.test (its keys are the ones the probe computes).
names=(auth)
peers_launch_prosody auth opt-db "$auth_port" "$PEERS_HARNESS" "$PEERS_HARNESS"
# Started together: each beam takes 1-3 s alone, mostly CPU.
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	peers_launch_ejabberd "e$((i + 1))" "$variant" $((base + i + 1)) $((base + 100 + i + 1))
	names+=("e$((i + 1))")
done
for n in "${names[@]}"; do
	check "$n (${PEERS_VARIANT[$n]}) listens" peers_wait_ready "$n"
done

for i in "${!expect[@]}"; do
	peers_smoke_variant "$1" ejabberd "e$((i + 1))" "${expect[$i]}"
done

t0=$(peers_now_us)
peers_stop_all "${names[@]}" dns
peers_log "stopped ${#names[@]} servers and the DNS server in $(peers_secs $(($(peers_now_us) - t0))) s"
peers_leftovers
check "no process left in the namespace (no epmd either) [$PEERS_LEFT]" test -z "$PEERS_LEFT"
ready=()
for n in "${names[@]}"; do ready+=("$n=${PEERS_READY[$n]:-?}"); done
peers_log "start-up (all launched at once, s): ${ready[*]}"
finish smoke-ejabberd
