#!/usr/bin/env bash
# Prosody 0.12 partners (fixtures/servers/prosody/*.cfg.lua) on loopback, in a network
# namespace with only lo: each variant must start, offer the stream features of its
# class before and after STARTTLS, treat an untrusted harness certificate and a
# plaintext dialback attempt as its class predicts (s2s-spec.md §3.2, §3.7, §3.8),
# and stop again without leaving a process behind. docs/peers.md explains the setup.
# Usage (as root): smoke-prosody.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"

# variant | class | pre-TLS features | post-TLS (valid harness certificate)
#         | post-TLS (harness certificate from the untrusted ca2) | plaintext dialback
# Feature words: see peers_features. "-" = no TLS possible.
expect=(
	"req-db|E4|db-ns dialback starttls-required|db-ns dialback sasl:EXTERNAL|db-ns dialback|stream:policy-violation"
	"req-nodb|E1|starttls-required|sasl:EXTERNAL|error:undefined-condition|stream:unsupported-stanza-type"
	"opt-db|E2|db-ns dialback starttls|db-ns dialback sasl:EXTERNAL|db-ns dialback|valid"
	"opt-nodb|E3|starttls|sasl:EXTERNAL|error:undefined-condition|stream:unsupported-stanza-type"
	"req-db-nosasl|E5|db-ns dialback starttls-required|db-ns dialback|db-ns dialback|stream:policy-violation"
	"opt-db-nosasl|E6|db-ns dialback starttls|db-ns dialback|db-ns dialback|valid"
	"notls-db|E7|db-ns dialback|-|-|valid"
	"req-db-secure|E4|db-ns dialback starttls-required|db-ns dialback sasl:EXTERNAL|db-ns error:not-authorized|stream:policy-violation"
)
base=15300
auth_port=15270
dns_port=15353

# partner.test in DNS points at the notls-db partner: with no TLS it cannot use SASL
# EXTERNAL towards the dialback authority, which therefore dials partner.test back.
notls_port=0
for i in "${!expect[@]}"; do
	[ "${expect[$i]%%|*}" = notls-db ] && notls_port=$((base + i + 1))
done
check "DNS server starts" peers_dns_start "$dns_port" "$auth_port" "$PEERS_PARTNER=$notls_port"
check "DNS: SRV of the harness domain" \
	grep -q "SRV.*0 0 $auth_port $PEERS_HARNESS\." \
	<<<"$(drill -p "$dns_port" @127.0.0.1 "_xmpp-server._tcp.$PEERS_HARNESS" SRV)"
check "DNS: SRV of the partner" \
	grep -q "SRV.*0 0 $notls_port $PEERS_PARTNER\." \
	<<<"$(drill -p "$dns_port" @127.0.0.1 "_xmpp-server._tcp.$PEERS_PARTNER" SRV)"

# The dialback authority for harness.test (its keys are the ones the probe computes).
names=(auth)
peers_launch_prosody auth opt-db "$auth_port" "$PEERS_HARNESS" "$PEERS_HARNESS"
for i in "${!expect[@]}"; do
	IFS='|' read -r variant _ <<<"${expect[$i]}"
	peers_launch_prosody "p$((i + 1))" "$variant" $((base + i + 1))
	names+=("p$((i + 1))")
done
for n in "${names[@]}"; do
	check "$n (${PEERS_VARIANT[$n]}) listens" peers_wait_ready "$n"
done

for i in "${!expect[@]}"; do
	peers_smoke_variant "$1" prosody "p$((i + 1))" "${expect[$i]}"
done

t0=$(peers_now_us)
peers_stop_all "${names[@]}" dns
peers_log "stopped ${#names[@]} Prosody servers and the DNS server in $(peers_secs $(($(peers_now_us) - t0))) s"
peers_leftovers
check "no process left in the namespace [$PEERS_LEFT]" test -z "$PEERS_LEFT"
ready=()
for n in "${names[@]}"; do ready+=("$n=${PEERS_READY[$n]:-?}"); done
peers_log "start-up (all launched at once, s): ${ready[*]}"
finish smoke-prosody
