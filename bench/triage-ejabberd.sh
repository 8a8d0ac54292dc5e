#!/usr/bin/env bash
# Triage of the whole default suite (without the certificate scenarios) against real
# ejabberd 23.01 partners (fixtures/servers/ejabberd/*.yml), in a namespace with only lo
# (tests/integration/lib.sh; needs root). Not a test: it asserts nothing, it collects
# for every setting the JSON report, the transcripts, ejabberd's log and the wall time
# into OUT_ROOT/<setting>/, so that every non-matching verdict can be read and judged.
# The servers start in parallel; the runs go one after another (their timings are
# per setting, without competition).
# Usage: bench/triage-ejabberd.sh S2SCHECK SOURCE_DIR BUILD_DIR OUT_ROOT [SETTING...]
#   (default settings: those run-ejabberd.sh tests, plus false-nodb)
set -u
# Absolute paths: ejabberd reads the certificates from its own working directory.
bin=$(realpath "$1")
src=$(realpath "$2")
build=$(realpath "$3")
mkdir -p "$4" || exit 1
outroot=$(realpath "$4")
shift 4
settings=("$@")
[ "${#settings[@]}" -eq 0 ] &&
	settings=(required-db required-nodb optional-db optional-nodb false-db false-nodb)
source "$src/tests/integration/lib.sh"
fail=0
peers_init "$0" "$bin" "$src" "$build" "$outroot" "${settings[@]}"
pki=$PEERS_PKI
# The harness certificate run-ejabberd.sh uses (DNS-ID harness.test and *.harness.test,
# SRV-ID, no xmppAddr).
hcert=harness.test
# S2S_TRIAGE_MUXCERT=1: a harness certificate issued here from the test CA that also
# names *.<id>.harness.test for each scenario with extra senders (<multiplex from>),
# which the default one (*.harness.test) does not cover: the check that the mux
# mismatches come from the certificate alone.
muxcert=${S2S_TRIAGE_MUXCERT:-0}
base=15900 # ejabberd s2s base+i; Erlang distribution base+50+i; listen base+100+i;
# DNS base+200+i

# The runner names each scenario's harness domain <id>.harness.test (runner.c
# setup_one), the multiplexed senders <label>.<id>.harness.test. ejabberd resolves
# the SRV target (that same name) through libc: every one goes into /etc/hosts.
sel=(--skip certificate)
names=()
while read -r id mux; do
	names+=("$id.$PEERS_HARNESS")
	for m in ${mux//,/ }; do names+=("$m.$id.$PEERS_HARNESS"); done
done < <("$bin" list "${sel[@]}" --json |
	jq -r '.scenarios[] | .id + " " + (.multiplex_from | join(","))')
peers_hosts_add "${names[@]}"
hcertf=$pki/$hcert.pem
hkeyf=$pki/$hcert.key
if [ "$muxcert" = 1 ]; then
	t=$PEERS_RUN/muxcert
	mkdir -p "$t"
	{
		sed -n '/^cn\|^dns_name\|^other_name\|^tls_www\|^signing_key\|_date/p' \
			"$build/certs/tmpl/$hcert.tmpl"
		"$bin" list "${sel[@]}" --json |
			jq -r '.scenarios[] | select(.multiplex_from | length > 0) | "dns_name = \"*.\(.id).harness.test\""'
	} >"$t/leaf.tmpl"
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$t/h.key" 2>/dev/null
	certtool --generate-certificate --load-privkey "$t/h.key" --load-ca-certificate "$pki/ca.pem" \
		--load-ca-privkey "$pki/ca.key" --template "$t/leaf.tmpl" --outfile "$t/h.pem" >/dev/null 2>&1 || exit 1
	hcertf=$t/h.pem
	hkeyf=$t/h.key
	peers_log "harness certificate with the multiplexed senders: $(grep -c dns_name "$t/leaf.tmpl") DNS-IDs"
fi
peers_log "${#names[@]} scenario names in /etc/hosts"

servers=()
for i in "${!settings[@]}"; do
	peers_dns_external $((base + 200 + i))
	peers_launch_ejabberd "e$i" "${settings[$i]}" $((base + i)) $((base + 50 + i))
	servers+=("e$i")
done
for n in "${servers[@]}"; do
	peers_wait_ready "$n" || exit 1
done

times=()
for i in "${!settings[@]}"; do
	s=${settings[$i]}
	n=e$i
	out=$outroot/$s
	rm -rf "$out"
	mkdir -p "$out"
	t0=$(peers_now_us)
	timeout -k 5 1200 "$bin" run "${sel[@]}" ${S2S_TRIAGE_ONLY:+--only "$S2S_TRIAGE_ONLY"} \
		--partner "$PEERS_FIXTURES/ejabberd/$s.partner.xml" \
		--target "127.0.0.1:${PEERS_PORT[$n]}" \
		--serve-dns "127.0.0.1:$((base + 200 + i))" \
		--listen "127.0.0.1:$((base + 100 + i))" \
		--ca "$pki/ca.pem" --cert "$hcertf" --key "$hkeyf" \
		--timeout 20 --json "$out/r.json" --transcripts "$out/tr" \
		>"$out/stdout" 2>"$out/stderr"
	rc=$?
	secs=$(peers_secs $(($(peers_now_us) - t0)))
	cp "${PEERS_DIR[$n]}/logs/ejabberd.log" "$out/ejabberd.log" 2>/dev/null
	cp "${PEERS_DIR[$n]}/ejabberd.yml" "$out/ejabberd.yml" 2>/dev/null
	echo "$secs" >"$out/seconds"
	times+=("$s=${secs}s(exit $rc)")
	peers_log "$s: exit $rc in $secs s: $(jq -r '.summary | to_entries | map("\(.key)=\(.value)") | join(" ")' "$out/r.json" 2>/dev/null)"
	jq -r '.results[] | select(.verdict != "match") | "#   \(.id) \(.verdict): expected \(.expected), observed \(.observed | join("|")): \(.cause)"' \
		"$out/r.json" 2>/dev/null
	peers_stop "$n" >/dev/null
	cp "${PEERS_DIR[$n]}/logs/ejabberd.log" "$out/ejabberd.log" 2>/dev/null
done
peers_log "run times: ${times[*]}"
chmod -R a+rX "$outroot"
