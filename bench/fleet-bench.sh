#!/usr/bin/env bash
# A fleet of 20 `serve` partners with different settings, checked by one `run --all`
# with default options (issue 13 acceptance: under 2 minutes; docs/performance.md
# "Fleet of 20"). The partners are the 11 valid rows of the Lync matrix (M1-M4, M7-M10,
# M13, M15, M17) as PublicUnverified partners, and 9 of them again (M1-M4, M7-M9, M13,
# M15) as PublicVerified, in one Get-CsXmppAllowedPartner dump: p01.test .. p20.test,
# each a `serve` on loopback with a certificate of its own from the test CA. The run
# reaches each through --for (target, and the harness zone its serve resolves with).
# Prints the wall time, the fleet's exit and the roll-up. Figures, not a test.
# Usage: bench/fleet-bench.sh S2SCHECK SOURCE_DIR BUILD_DIR [RUN_ARGS...]
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
build=$(realpath "$3")
shift 3
source "$src/tests/cli-lib.sh" # cli_wait_listening
pki=$build/certs
tmp=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; [ -n "${S2S_KEEP:-}" ] || rm -rf "$tmp"' EXIT

# Row: TLS SASL Dialback (docs/partner-format.md), and the partner type.
rows=(
	"M1 Required Required True PublicUnverified"
	"M2 Required Required False PublicUnverified"
	"M3 Optional Required True PublicUnverified"
	"M4 Optional Required False PublicUnverified"
	"M7 Required Optional True PublicUnverified"
	"M8 Required Optional False PublicUnverified"
	"M9 Optional Optional True PublicUnverified"
	"M10 Optional Optional False PublicUnverified"
	"M13 Required NotSupported True PublicUnverified"
	"M15 Optional NotSupported True PublicUnverified"
	"M17 NotSupported NotSupported True PublicUnverified"
	"M1 Required Required True PublicVerified"
	"M2 Required Required False PublicVerified"
	"M3 Optional Required True PublicVerified"
	"M4 Optional Required False PublicVerified"
	"M7 Required Optional True PublicVerified"
	"M8 Required Optional False PublicVerified"
	"M9 Optional Optional True PublicVerified"
	"M13 Required NotSupported True PublicVerified"
	"M15 Optional NotSupported True PublicVerified"
)
dump=$tmp/fleet.txt
: >"$dump"
i=0
for r in "${rows[@]}"; do
	read -r row tls sasl db type <<<"$r"
	i=$((i + 1))
	d=$(printf 'p%02d.test' "$i")
	cat >>"$dump" <<EOF
Identity                   : $d
AdditionalDomains          : {}
ConnectionLimit            : 
Description                : row $row, $type
EnableKeepAlive            : True
PartnerType                : $type
ProxyFqdn                  : 
SaslNegotiation            : $sasl
SupportDialbackNegotiation : $db
TlsNegotiation             : $tls

EOF
	sed -e "s/partner\.test/$d/g" -e '/^other_name/d' "$pki/tmpl/partner.test.tmpl" >"$tmp/$d.tmpl"
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$tmp/$d.key" \
		>/dev/null 2>&1
	certtool --generate-certificate --load-privkey "$tmp/$d.key" \
		--load-ca-certificate "$pki/ca.pem" --load-ca-privkey "$pki/ca.key" \
		--template "$tmp/$d.tmpl" --outfile "$tmp/$d.pem" >/dev/null 2>&1 || {
		echo "no certificate for $d"
		exit 1
	}
done

# The harness zones: one DNS port per partner (its serve resolves harness.test there),
# each one nothing listens on now (UDP or TCP; at most 50 tries), below the
# ephemeral range from which the listeners on port 0 take theirs.
used=" $(ss -Htuln | awk '{n = split($5, a, ":"); print a[n]}' | tr '\n' ' ') "
free_port() {
	local p
	for _ in $(seq 1 50); do
		p=$((20000 + RANDOM % 12000)) # below the ephemeral ports (32768-) that port 0 takes
		[[ $used == *" $p "* ]] && continue
		used+="$p "
		echo "$p"
		return 0
	done
	return 1
}
fors=()
for ((k = 1; k <= ${#rows[@]}; k++)); do
	d=$(printf 'p%02d.test' "$k")
	dns=$(free_port) || exit 1
	log=$tmp/serve-$d.log
	: >"$log"
	"$bin" serve --partner "$dump" --identity "$d" --listen 127.0.0.1:0 \
		--resolver "127.0.0.1:$dns" --ca "$pki/ca.pem" --cert "$tmp/$d.pem" --key "$tmp/$d.key" \
		2>"$log" &
	pids+=($!)
	cli_wait_listening "$log" "$!" || exit 1
	fors+=(--for "$d:--target=127.0.0.1:$serve_port" --for "$d:--serve-dns=127.0.0.1:$dns")
done

echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "# $("$bin" --version 2>/dev/null | head -n1); ${#rows[@]} serve partners; run args: ${*:-(defaults)}"
t0=$(date +%s.%N)
timeout -k 10 1800 "$bin" run --partner "$dump" --all --out "$tmp/out" --listen 127.0.0.1:0 \
	--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet \
	"${fors[@]}" "$@" >"$tmp/rollup.out" 2>"$tmp/rollup.err"
rc=$?
secs=$(echo "$(date +%s.%N) - $t0" | bc)
cat "$tmp/rollup.out"
head -c 2000 "$tmp/rollup.err"
grep -h "Address already in use" "$tmp"/out/*/stderr.txt | head -3
if grep -qs "Address already in use" "$tmp"/out/*/stderr.txt; then
	echo "# a harness zone port was taken: rerun"
fi
printf 'fleet of %d serve partners, run --all: exit %s, wall %.1f s\n' "${#rows[@]}" "$rc" "$secs"
jq -r '.partners[] | "\(.domain) \(.configured_row) \(.observed_class) exit \(.exit) \(.seconds // "")"' \
	"$tmp/out/rollup.json" 2>/dev/null
