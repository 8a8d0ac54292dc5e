#!/usr/bin/env bash
# Fleets (issue 13 item 2, docs/fleet.md): `run --partner DUMP --all --out DIR` on a
# three-partner Get-CsXmppAllowedPartner dump: alpha.test (M7, class E4) and beta.test
# (M17, class E7) are two `s2scheck serve` partners on loopback started here, bad.test
# (SASL Required over TLS NotSupported) is an invalid configuration. Checks each
# partner's class, folder and roll-up line, that the two runs overlap in time, the
# fleet's exit (worst over partners, the invalid configuration counting as 1), and
# that --shard 1/3 .. 3/3 plus `merge` gives the same roll-up (times aside).
# Usage: fleet.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

cat >"$tmp/fleet.txt" <<'EOF'
Identity                   : alpha.test
AdditionalDomains          : {}
ConnectionLimit            : 
Description                : 
EnableKeepAlive            : True
PartnerType                : PublicVerified
ProxyFqdn                  : 
SaslNegotiation            : Optional
SupportDialbackNegotiation : True
TlsNegotiation             : Required

Identity                   : bad.test
AdditionalDomains          : {}
ConnectionLimit            : 
Description                : SASL without TLS: Lync refuses to commit it
EnableKeepAlive            : True
PartnerType                : PublicUnverified
ProxyFqdn                  : 
SaslNegotiation            : Required
SupportDialbackNegotiation : True
TlsNegotiation             : NotSupported

Identity                   : beta.test
AdditionalDomains          : {}
ConnectionLimit            : 
Description                : 
EnableKeepAlive            : True
PartnerType                : PublicUnverified
ProxyFqdn                  : 
SaslNegotiation            : NotSupported
SupportDialbackNegotiation : True
TlsNegotiation             : NotSupported
EOF

# Each serve partner's certificate, from the test CA, names its own domain.
for d in alpha.test beta.test; do
	sed -e "s/partner\.test/$d/g" -e '/^other_name/d' "$pki/tmpl/partner.test.tmpl" >"$tmp/$d.tmpl"
	certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$tmp/$d.key" \
		>/dev/null 2>&1
	certtool --generate-certificate --load-privkey "$tmp/$d.key" --load-ca-certificate "$pki/ca.pem" \
		--load-ca-privkey "$pki/ca.key" --template "$tmp/$d.tmpl" --outfile "$tmp/$d.pem" \
		>/dev/null 2>&1
	check "a certificate for $d was issued" test -s "$tmp/$d.pem"
done

# start_partner DOMAIN DNS_PORT: `serve` as DOMAIN of the dump; sets port_<domain>.
start_partner() {
	local d=$1 log=$tmp/serve-$1.log
	"$bin" serve --partner "$tmp/fleet.txt" --identity "$d" --listen 127.0.0.1:0 \
		--resolver "127.0.0.1:$2" --ca "$pki/ca.pem" --cert "$tmp/$d.pem" --key "$tmp/$d.key" \
		2>"$log" &
	serve_pid=$!
	pids+=("$serve_pid")
	cli_wait_listening "$log" "$serve_pid" || return 1
	printf -v "port_${d%%.*}" %s "$serve_port"
}

dns_alpha=$(cli_rand_port)
dns_beta=$(cli_rand_port)
start_partner alpha.test "$dns_alpha"
check "serve alpha.test started" test -n "${port_alpha:-}"
start_partner beta.test "$dns_beta"
check "serve beta.test started" test -n "${port_beta:-}"

# fleet OUT [RUN_ARGS...]: the fleet over loopback, each serve partner reached through
# --for; retried (new DNS ports for the harness zones cannot be given to running serve
# partners, so only the run is retried) when a zone's port was taken. Sets rc.
fleet() {
	local out=$1
	shift
	for _ in 1 2 3; do
		rm -rf "$out"
		timeout -k 5 240 "$bin" run --partner "$tmp/fleet.txt" --all --out "$out" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout 6 --step-timeout 1500 \
			--only matrix \
			--for "alpha.test:--target=127.0.0.1:${port_alpha:-0}" \
			--for "alpha.test:--serve-dns=127.0.0.1:$dns_alpha" \
			--for "beta.test:--target=127.0.0.1:${port_beta:-0}" \
			--for "beta.test:--serve-dns=127.0.0.1:$dns_beta" \
			"$@" >"$out.txt" 2>"$out.err"
		rc=$?
		cat "$out"/*/stderr.txt 2>/dev/null | grep -q "Address already in use" || break
		sleep 1
	done
}

# 1. The whole fleet.
fleet "$tmp/all"
r=$tmp/all/rollup.json
echo "fleet: exit $rc"
cat "$tmp/all.txt"
check "fleet: exit 1 (the invalid configuration counts as 1), got $rc ($(head -c 300 "$tmp/all.err"))" \
	test "$rc" = 1
check "fleet: the roll-up's exit is the run's" test "$(cli_jq .exit "$r")" = "$rc"
check "fleet: three lines, in file order" \
	test "$(cli_jq -c '[.partners[].domain]' "$r")" = '["alpha.test","bad.test","beta.test"]'
check "fleet: alpha.test is M7, observed E4, exit 0" \
	test "$(cli_jq -c '.partners[0] | [.configured_row, .observed_class, .exit]' "$r")" = '["M7","E4",0]'
check "fleet: alpha.test's cmdlet" grep -q 'Set-CsXmppAllowedPartner -Identity "alpha.test" -TlsNegotiation Required -SaslNegotiation Optional -SupportDialbackNegotiation \$True' \
	<<<"$(cli_jq -r '.partners[0].cmdlet' "$r")"
check "fleet: beta.test is M17, observed E7, exit 0" \
	test "$(cli_jq -c '.partners[2] | [.configured_row, .observed_class, .exit]' "$r")" = '["M17","E7",0]'
check "fleet: bad.test is invalid, exit 2, with the rule and the fix" \
	test "$(cli_jq -c '.partners[1] | [.valid, .exit, .folder, .observed_class]' "$r")" = '[false,2,null,null]'
check "fleet: bad.test's reason" grep -q '^SASL negotiation needs TLS.*; fix: set SaslNegotiation NotSupported' \
	<<<"$(cli_jq -r '.partners[1].reason' "$r")"
check "fleet: bad.test, not run, has no domains verdict" test "$(cli_jq '.partners[1].domains' "$r")" = null
check "fleet: summary" \
	test "$(cli_jq -c '.summary' "$r")" = '{"total":3,"match":2,"mismatch":0,"invalid":1,"untestable":0}'
for d in alpha.test beta.test; do
	check "fleet: $d has its reports" test -s "$tmp/all/$d/report.json" -a -s "$tmp/all/$d/report.xml" \
		-a -s "$tmp/all/$d/report.txt"
	check "fleet: $d has its transcripts" test -n "$(ls "$tmp/all/$d/transcripts")"
	check "fleet: $d has its HTML report, naming it" \
		grep -q "<title>s2scheck $d: " "$tmp/all/$d/report.html"
	# The domains verdict is the report's (issue 13 item 1), null when it has none.
	check "fleet: $d's domains verdict is its report's" \
		test "$(cli_jq --arg d "$d" '.partners[] | select(.domain == $d) | .domains' "$r")" = \
		"$(cli_jq '(.domains | if type == "string" then . else .summary end) // null' "$tmp/all/$d/report.json")"
	check "fleet: $d's report is of $d, against its serve partner" \
		test "$(cli_jq -r '.partner.domain + " " + .target_info.kind' "$tmp/all/$d/report.json")" = "$d partner"
done
check "fleet: no folder for the invalid configuration" test ! -e "$tmp/all/bad.test"
# Concurrently: each run started before the other ended.
check "fleet: the two runs overlap in time ($(cli_jq -c '[.partners[] | select(.started) | [.started, .ended]]' "$r"))" \
	test "$(cli_jq '.partners[0].started < .partners[2].ended and .partners[2].started < .partners[0].ended' "$r")" = true
check "fleet: rollup.txt has one line per partner" \
	test "$(grep -cE '^(alpha|bad|beta)\.test ' "$tmp/all/rollup.txt")" = 3
check "fleet: rollup.txt is what the run printed" cmp -s "$tmp/all/rollup.txt" "$tmp/all.txt"
check "fleet: rollup.xml holds one testsuite per partner, bad.test's an invalid-configuration failure" \
	test "$(xmllint --xpath 'count(/testsuites/testsuite)' "$tmp/all/rollup.xml" 2>&1)/$(xmllint --xpath 'string(/testsuites/testsuite[@name="bad.test"]/testcase/failure/@type)' "$tmp/all/rollup.xml" 2>&1)" = "3/invalid-configuration"

# --jobs 1 bounds the fleet to one scenario at a time: the runs do not overlap.
fleet "$tmp/j1" --jobs 1
check "fleet --jobs 1: exit 1, got $rc" test "$rc" = 1
check "fleet --jobs 1: one partner after the other ($(cli_jq -c '[.partners[] | select(.started) | [.started, .ended]]' "$tmp/j1/rollup.json"))" \
	test "$(cli_jq '.partners[0].ended <= .partners[2].started' "$tmp/j1/rollup.json")" = true

# 2. Three shards, then merge: the same roll-up, times aside.
shard_dirs=()
for k in 1 2 3; do
	fleet "$tmp/s$k" --shard "$k/3"
	check "shard $k/3: exit in {0,1}, got $rc ($(head -c 300 "$tmp/s$k.err"))" test "$rc" -le 1
	check "shard $k/3: the roll-up says which shard" test "$(cli_jq -r .shard "$tmp/s$k/rollup.json")" = "$k/3"
	shard_dirs+=("$tmp/s$k")
done
check "shards: every partner in exactly one shard" \
	test "$(jq -s -c '[.[].partners[].domain] | sort' "$tmp"/s{1,2,3}/rollup.json)" = '["alpha.test","bad.test","beta.test"]'
"$bin" merge --out "$tmp/merged" "${shard_dirs[@]}" >"$tmp/merged.txt" 2>"$tmp/merged.err"
rc=$?
check "merge: exit 1 as the unsharded fleet, got $rc ($(head -c 300 "$tmp/merged.err"))" test "$rc" = 1
check "merge: rollup.txt identical to the unsharded one" cmp "$tmp/all/rollup.txt" "$tmp/merged/rollup.txt"
notimes='del(.partners[].started, .partners[].ended, .partners[].seconds)'
check "merge: rollup.json identical to the unsharded one, times aside" \
	test "$(cli_jq -S "$notimes" "$tmp/merged/rollup.json")" = "$(cli_jq -S "$notimes" "$r")"
check "merge: rollup.xml identical to the unsharded one, times aside" \
	cmp <(sed 's/ time="[0-9.]*"//' "$tmp/all/rollup.xml") <(sed 's/ time="[0-9.]*"//' "$tmp/merged/rollup.xml")
"$bin" merge --out "$tmp/m2" "$tmp/s1" "$tmp/s3" >/dev/null 2>"$tmp/m2.err"
rc=$?
check "merge: a missing shard is exit 2, got $rc" test "$rc" = 2
check "merge: ... and says which" grep -q "shard 2/3 is missing" "$tmp/m2.err"
"$bin" merge --out "$tmp/m3" "$tmp/s1" "$tmp/s1" "$tmp/s2" "$tmp/s3" >/dev/null 2>"$tmp/m3.err"
rc=$?
check "merge: a shard given twice is exit 2, got $rc" test "$rc" = 2
"$bin" merge --out "$tmp/m4" "$tmp/all" >/dev/null 2>"$tmp/m4.err"
rc=$?
check "merge: an unsharded roll-up is not a shard (exit 2), got $rc" test "$rc" = 2

# 3. Usage: --all needs --out and takes no --identity/--json; --out needs --all.
"$bin" run --partner "$tmp/fleet.txt" --all >/dev/null 2>"$tmp/u1.err"
check "run --all without --out: exit 2" test $? = 2
"$bin" run --partner "$tmp/fleet.txt" --all --out "$tmp/u2" --json "$tmp/u2.json" >/dev/null 2>&1
check "run --all --json: exit 2" test $? = 2
"$bin" run --partner "$tmp/fleet.txt" --identity alpha.test --out "$tmp/u3" >/dev/null 2>&1
check "run --out without --all: exit 2" test $? = 2
"$bin" run --partner "$tmp/fleet.txt" --all --out "$tmp/u4" --shard 4/3 >/dev/null 2>&1
check "run --all --shard 4/3: exit 2" test $? = 2

"$bin" run --partner "$tmp/fleet.txt" --all --out "$tmp/u5" --for nope.test:--target=127.0.0.1:1 \
	>/dev/null 2>"$tmp/u5.err"
check "run --all --for a domain not in the file: exit 2" test $? = 2
check "... naming it" grep -q "nope.test is not a partner of" "$tmp/u5.err"
# --jobs above run's own bound (64) with few partners: each run still gets a valid --jobs.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/multi.txt" --all --out "$tmp/j200" \
	--jobs 200 --only matrix --quiet >/dev/null 2>"$tmp/j200.err"
check "run --all --jobs 200: exit 0, got $? ($(cat "$tmp"/j200/*/stderr.txt | head -c 300))" \
	test "$(cli_jq -c '[.partners[].exit]' "$tmp/j200/rollup.json")" = '[0,0,0]'

# 4. Interrupted: SIGTERM to the fleet while alpha.test's partner (a silent serve)
# keeps its run waiting: passed on to the runs, the roll-up is still written, exit 3.
dns_silent=$(cli_rand_port)
"$bin" serve --partner "$tmp/fleet.txt" --identity alpha.test --listen 127.0.0.1:0 \
	--resolver "127.0.0.1:$dns_silent" --ca "$pki/ca.pem" --cert "$tmp/alpha.test.pem" \
	--key "$tmp/alpha.test.key" --misbehave silence 2>"$tmp/serve-silent.log" &
pids+=("$!")
cli_wait_listening "$tmp/serve-silent.log" "$!"
timeout -k 5 60 "$bin" run --partner "$tmp/fleet.txt" --all --out "$tmp/int" \
	--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
	--key "$pki/harness.test.key" --quiet --timeout 30 --step-timeout 20000 --only matrix \
	--no-preflight --for "alpha.test:--target=127.0.0.1:$serve_port" \
	--for "alpha.test:--serve-dns=127.0.0.1:$dns_silent" \
	--for "beta.test:--target=127.0.0.1:${port_beta:-0}" \
	--for "beta.test:--serve-dns=127.0.0.1:$dns_beta" >"$tmp/int.txt" 2>"$tmp/int.err" &
fleet_pid=$!
pids+=("$fleet_pid")
sleep 2
t0=$(date +%s)
kill -TERM "$fleet_pid"
wait "$fleet_pid"
rc=$?
t1=$(date +%s)
check "interrupted fleet: exit 3, got $rc ($(head -c 300 "$tmp/int.err"))" test "$rc" = 3
check "interrupted fleet: ended within 15 s of the signal ($((t1 - t0)) s)" test $((t1 - t0)) -le 15
check "interrupted fleet: the roll-up was written, alpha.test's run incomplete (exit 3)" \
	test "$(cli_jq -c '[.partners[0].exit, .partners[1].exit]' "$tmp/int/rollup.json")" = '[3,2]'
check "interrupted fleet: alpha.test's report says incomplete" \
	test "$(cli_jq .incomplete "$tmp/int/alpha.test/report.json")" = true

# 5. The XML format: every partner of multi.xml, against the built-in reference partner.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/multi.xml" --all --out "$tmp/xml" \
	--only matrix --quiet >"$tmp/xml.txt" 2>"$tmp/xml.err"
rc=$?
check "multi.xml: exit 0, got $rc ($(head -c 300 "$tmp/xml.err"))" test "$rc" = 0
check "multi.xml: each partner ran, with its own class" \
	test "$(cli_jq -c '[.partners[] | [.domain, .observed_class, .exit]]' "$tmp/xml/rollup.json")" = '[["alpha.test","E4",0],["partner.test","E5",0],["beta.test","E7",0]]'
finish fleet
