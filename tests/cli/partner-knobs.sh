#!/usr/bin/env bash
# The gateway's connection knobs from a cmdlet-text partner file (issue 12 item 5),
# over loopback against `s2scheck serve`:
# - ConnectionLimit is the default of --partner-connections (the option wins; a limit
#   below 2 is raised to 2, said on stderr);
# - ProxyFqdn, with --target srv, is the host the harness connects to (port 5269)
#   instead of the partner's SRV records, and the partner's certificate is still
#   checked against the partner's domain; the preflight (`run`'s and `check`'s)
#   probes the same host. Off 5269 (no network namespace) the proxy refuses: the
#   preflight stops the run on 127.0.0.1:5269, and without it (--no-preflight) the
#   runner's cause names 127.0.0.1:5269, not the SRV port. In a network namespace of
#   its own (root and unshare) serve listens on 5269, `check` is all OK and every
#   scenario matches;
# - EnableKeepAlive True runs scenario stream-keepalive-out (three whitespace
#   keepalives on the established stream, then the ping); False skips it.
# Usage: partner-knobs.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
# The text report wraps at COLUMNS (else 80; tests/cli/textreport.sh checks that):
# the checks below read its sentences whole.
export COLUMNS=400
cli_scratch
pki=$build/certs
knobs=$src/fixtures/partners/gateway-knobs.txt

rand_port() { echo $((20000 + RANDOM % 40000)); }

# serve knobs.txt with its own zone (port 0: serve says which); sets pdns.
start_partner() {
	cli_start_serve "$knobs" "$(rand_port)" --serve-dns "127.0.0.1:0" || return 1
	pdns=$(sed -n 's/.*serving the zone of .* on 127.0.0.1 port \([0-9]*\).*/\1/p' "$tmp/serve.log")
	[ -n "$pdns" ]
}

# run_srv NAME ARGS...: run --target srv against the partner's zone.
run_srv() {
	local name=$1
	shift
	timeout -k 5 60 "$bin" run --partner "$knobs" --target srv --resolver "127.0.0.1:$pdns" \
		--serve-dns "127.0.0.1:$(rand_port)" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 10 \
		--json "$tmp/$name.json" "$@" >"$tmp/$name.txt" 2>"$tmp/$name.err"
}

# 1. ProxyFqdn proxy.partner.test: serve's zone answers 127.0.0.1 for it, and nothing
# listens on 127.0.0.1:5269 here (unless another program does: then skip that check).
proxy_free=1
if (exec 3<>/dev/tcp/127.0.0.1/5269) 2>/dev/null; then
	proxy_free=0
fi
rc=none
for _ in 1 2 3; do # the harness's DNS port is random: retry on a clash
	start_partner || break
	run_srv proxy --only matrix-h9-out
	rc=$?
	cli_stop_serve
	grep -q "Address already in use" "$tmp/proxy.err" || break
	rc=none
done
check "ProxyFqdn: the report names the proxy as the target" \
	grep -q "target proxy.partner.test:5269 (ProxyFqdn)" "$tmp/proxy.txt"
check "ProxyFqdn: JSON target_info.address" \
	test "$(jq -r '.target_info.address' "$tmp/proxy.json")" = "proxy.partner.test:5269 (ProxyFqdn)"
check "ConnectionLimit 3: the default of --partner-connections" \
	test "$(jq '.target_info.connections' "$tmp/proxy.json")" = 3
check "ConnectionLimit 3: said in the text header" \
	grep -q "^at most 3 connections at once to one partner address" "$tmp/proxy.txt"
if [ "$proxy_free" -eq 1 ]; then
	check "ProxyFqdn: the proxy (not SRV) was tried: exit 3 (got $rc)" test "$rc" = 3
	check "ProxyFqdn: the preflight says ProxyFqdn replaces SRV" \
		grep -q "^OK   PRE-DNS-SRV *partner.test: not looked up: ProxyFqdn proxy.partner.test in the partner file replaces SRV" "$tmp/proxy.err"
	check "ProxyFqdn: the preflight probed the proxy, 127.0.0.1:5269 [$(grep PRE-TCP "$tmp/proxy.err")]" \
		grep -q "^FAIL PRE-TCP-IPV4 *127.0.0.1:5269: proxy.partner.test (partner.test): cannot connect: Connection refused" "$tmp/proxy.err"
	cli_check_stopped "ProxyFqdn" "$tmp/proxy.json" PRE-TCP-IPV4
	# The runner itself connects to the proxy too.
	rc=none
	for _ in 1 2 3; do
		start_partner || break
		run_srv proxy-np --only matrix-h9-out --no-preflight
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$tmp/proxy-np.err" || break
		rc=none
	done
	check "ProxyFqdn, --no-preflight: exit 3 (got $rc)" test "$rc" = 3
	check "ProxyFqdn, --no-preflight: the cause names 127.0.0.1:5269 [$(jq -r '.results[0].cause' "$tmp/proxy-np.json")]" \
		grep -q "cannot connect to partner.test: 127.0.0.1:5269: Connection refused" "$tmp/proxy-np.txt"
fi

# 2. --partner-connections wins over ConnectionLimit; a ConnectionLimit below 2 is raised.
sed 's/^ConnectionLimit .*/ConnectionLimit : 1/; s/^ProxyFqdn .*/ProxyFqdn :/' "$knobs" >"$tmp/limit1.txt"
"$bin" run --partner "$tmp/limit1.txt" --target 127.0.0.1:1 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --only matrix-h9-out \
	--timeout 5 --json "$tmp/l1.json" >/dev/null 2>"$tmp/l1.err"
check "ConnectionLimit 1: raised to 2, said on stderr [$(cat "$tmp/l1.err")]" \
	grep -q "ConnectionLimit 1 in $tmp/limit1.txt: using 2 connections" "$tmp/l1.err"
check "ConnectionLimit 1: 2 in the report" test "$(jq '.target_info.connections' "$tmp/l1.json")" = 2
"$bin" run --partner "$knobs" --target 127.0.0.1:1 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --only matrix-h9-out \
	--timeout 5 --partner-connections 6 --json "$tmp/opt.json" >/dev/null 2>&1
check "--partner-connections 6 wins over ConnectionLimit 3" \
	test "$(jq '.target_info.connections' "$tmp/opt.json")" = 6
check "--target HOST wins over ProxyFqdn" \
	test "$(jq -r '.target_info.address' "$tmp/opt.json")" = 127.0.0.1:1

# 3. EnableKeepAlive True: scenario stream-keepalive-out runs over the wire and the
# partner (serve, a conforming server) tolerates the three whitespace keepalives;
# EnableKeepAlive False: the scenario is skipped with the reason.
sed 's/^ProxyFqdn .*/ProxyFqdn :/' "$knobs" >"$tmp/ka-true.txt"
sed 's/^EnableKeepAlive .*/EnableKeepAlive : False/' "$tmp/ka-true.txt" >"$tmp/ka-false.txt"
for ka in true false; do
	rc=none
	for _ in 1 2 3; do
		dns=$(rand_port)
		cli_start_serve "$tmp/ka-true.txt" "$dns" || break
		timeout -k 5 60 "$bin" run --partner "$tmp/ka-$ka.txt" --target "127.0.0.1:$serve_port" \
			--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
			--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 10 \
			--only stream-keepalive-out --json "$tmp/ka-$ka.json" --transcripts "$tmp/ka-$ka.tr" \
			>"$tmp/ka-$ka.out" 2>"$tmp/ka-$ka.err"
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$tmp/ka-$ka.err" || break
		rc=none
	done
	if [ "$ka" = true ]; then
		check "EnableKeepAlive True: exit 0 (got $rc: $(head -c 300 "$tmp/ka-$ka.err"))" test "$rc" = 0
		check "EnableKeepAlive True: stream-keepalive-out matches" \
			test "$(jq -r '.results[0] | "\(.id) \(.verdict)"' "$tmp/ka-$ka.json")" = "stream-keepalive-out match"
		check "EnableKeepAlive True: three keepalives went out before the ping" \
			test "$(grep -c ' out  *send     $' "$tmp/ka-$ka.tr/stream-keepalive-out.txt")" = 3
	else
		check "EnableKeepAlive False: exit 0 (got $rc)" test "$rc" = 0
		check "EnableKeepAlive False: skipped with the reason" \
			test "$(jq -r '.results[0] | "\(.verdict) \(.cause)"' "$tmp/ka-$ka.json")" = \
			"skip skipped: the scenario requires a partner file with EnableKeepAlive True"
	fi
done

# 4. In a network namespace of its own, serve listens on the proxy's port 5269: the
# run connects to the proxy, checks the certificate against partner.test (serve's
# certificate does not name proxy.partner.test) and every scenario matches.
if [ "$(id -u)" -eq 0 ] && unshare -n true 2>/dev/null; then
	cat >"$tmp/inner.sh" <<'INNER'
set -u
bin=$1 knobs=$2 pki=$3 tmp=$4
ip link set lo up || exit 90
"$bin" serve --partner "$knobs" --listen 127.0.0.1:5269 --resolver 127.0.0.1:5301 \
	--serve-dns 127.0.0.1:5300 --ca "$pki/ca.pem" --cert "$pki/partner.test.pem" \
	--key "$pki/partner.test.key" 2>"$tmp/ns-serve.log" &
spid=$!
for _ in $(seq 1 100); do
	grep -q "serving the zone" "$tmp/ns-serve.log" && break
	sleep 0.1
done
# check without --target: the preflight probes the proxy as the run will.
timeout -k 5 60 "$bin" check --partner "$knobs" --resolver 127.0.0.1:5300 \
	--serve-dns 127.0.0.1:5301 --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
	--only matrix-h9-out --only matrix-h9-in --only matrix-h13-out --json "$tmp/ns-check.json" \
	>"$tmp/ns-check.txt" 2>"$tmp/ns-check.err" || exit 91
timeout -k 5 120 "$bin" run --partner "$knobs" --target srv --resolver 127.0.0.1:5300 \
	--serve-dns 127.0.0.1:5301 --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 10 \
	--only matrix-h9-out --only matrix-h9-in --only matrix-h13-out --json "$tmp/ns.json" \
	>"$tmp/ns.txt" 2>"$tmp/ns.err"
rc=$?
kill "$spid"
wait "$spid" 2>/dev/null
exit "$rc"
INNER
	timeout -k 5 150 unshare -n bash "$tmp/inner.sh" "$bin" "$knobs" "$pki" "$tmp"
	rc=$?
	check "netns: ProxyFqdn on 5269: exit 0 (got $rc: $(head -c 300 "$tmp/ns.err"))" test "$rc" = 0
	check "netns: every scenario matches [$(cli_jq -c .summary "$tmp/ns.json")]" \
		test "$(cli_jq '.summary.match' "$tmp/ns.json")" = 3
	check "netns: the target is the proxy" \
		test "$(jq -r '.target_info.address' "$tmp/ns.json")" = "proxy.partner.test:5269 (ProxyFqdn)"
	for f in ns-check ns; do
		check "netns: $f: the preflight probed the proxy 127.0.0.1:5269" \
			test "$(jq -r '[.findings // .preflight | .[] | select(.id == "PRE-TCP-IPV4" and .severity == "OK") | .subject] | join(",")' "$tmp/$f.json")" = 127.0.0.1:5269
		check "netns: $f: the proxy's certificate judged against partner.test" \
			test "$(jq -r '[.findings // .preflight | .[] | select(.id == "PRE-CERT-NAMES" and .severity == "OK") | .subject] | join(",")' "$tmp/$f.json")" = partner.test
	done
	check "netns: check is all OK (exit 0 in the namespace) [$(head -c 300 "$tmp/ns-check.txt")]" \
		test "$(jq -r .result "$tmp/ns-check.json")" = ok
else
	echo "skip: ProxyFqdn on port 5269 (needs root and unshare -n)"
fi
check "CI runs the ProxyFqdn netns case (root and unshare -n)" \
	bash -c '[ "$(id -u)" -eq 0 ] && unshare -n true'

finish partner-knobs
