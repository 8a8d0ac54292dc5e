#!/usr/bin/env bash
# The preflight (issue 12 item 1): `s2scheck check`, and the same check at the start of
# `run --target`, against `s2scheck serve` over loopback with real DNS (--serve-dns,
# serve --resolver). Each set-up mistake is reported by check and by run within 10 s,
# naming the cause (the PRE-* id) and the fix, with exit 2 (the harness's own set-up)
# or 3 (the partner cannot be tested), never as a partner mismatch:
# a wrong-name and a non-wildcard harness certificate, a dead target, a partner that
# cannot resolve the harness zone, --listen 0.0.0.0 without --advertise, an additional
# domain the partner's certificate does not cover. And the good case: exit 0, all OK.
# Usage: check.sh S2SCHECK SOURCE_DIR BUILD_DIR
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
m13=$src/fixtures/partners/m13.xml

now_ms() { date +%s%3N; }

# timed OUT CMD...: runs CMD with stdout to OUT.txt, stderr to OUT.err; sets rc and ms.
timed() {
	local out=$1 t0
	shift
	t0=$(now_ms)
	timeout -k 5 60 "$@" >"$out.txt" 2>"$out.err"
	rc=$?
	ms=$(($(now_ms) - t0))
}

# The harness side of every command below (the harness zone on $dns, the partner on
# $serve_port); extra arguments follow.
check_cmd() { # check_cmd OUT CERT_BASENAME [args]
	local out=$1 cert=$2
	shift 2
	timed "$out" "$bin" check --partner "$m13" --target "127.0.0.1:$serve_port" \
		--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/$cert.pem" --key "$pki/$cert.key" --only matrix "$@"
}
run_cmd() { # run_cmd OUT CERT_BASENAME [args]
	local out=$1 cert=$2
	shift 2
	timed "$out" "$bin" run --partner "$m13" --target "127.0.0.1:$serve_port" \
		--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/$cert.pem" --key "$pki/$cert.key" --only matrix --quiet --timeout 20 \
		"$@"
}

# A partner that resolves the harness zone; retried on a DNS port clash.
started=0
for _ in 1 2 3; do
	dns=$(cli_rand_port)
	cli_start_serve m13 "$dns" || break
	check_cmd "$tmp/good" harness.test --json "$tmp/good.json"
	if grep -q "Address already in use" "$tmp/good.txt" "$tmp/good.err"; then
		cli_stop_serve
		continue
	fi
	started=1
	break
done
check "serve started and a free DNS port was found" test "$started" -eq 1

# 1. Everything in place: exit 0, every item OK, the same in JSON.
check "good: exit 0 [$rc] ($(head -c 400 "$tmp/good.err"))" test "$rc" -eq 0
check "good: the checklist ends ready" grep -q "0 FAIL: ready" "$tmp/good.txt"
check "good: the partner connected in" grep -q "^OK   PRE-INBOUND .*connected in to preflight.harness.test" "$tmp/good.txt"
check "good: the partner's certificate names partner.test" \
	grep -q "^OK   PRE-CERT-NAMES *partner.test: names partner.test" "$tmp/good.txt"
check "good: JSON result ok, no FAIL" \
	test "$(jq -r '[.result, ([.findings[] | select(.severity != "OK")] | length)] | join(" ")' \
		"$tmp/good.json")" = "ok 0"
check "good: JSON has the items of both sides and inbound" \
	test "$(jq -r '[.findings[].side] | unique | join(",")' "$tmp/good.json")" = "harness,inbound,partner"
check "good: JSON names the target" \
	test "$(jq -r .target "$tmp/good.json")" = "127.0.0.1:$serve_port"

# 2. A harness certificate for the wrong name, and one without *.harness.test.
for cert in harness.test-wrongname harness.test-dns; do
	check_cmd "$tmp/$cert" "$cert"
	check "$cert: check exits 2 [$rc]" test "$rc" -eq 2
	check "$cert: check names PRE-HARNESS-NAMES and the fix" \
		grep -A1 "^FAIL PRE-HARNESS-NAMES" "$tmp/$cert.txt" | grep -q "fix: use a certificate for DOMAIN and \*.DOMAIN"
	check "$cert: check within 10 s [$ms ms]" test "$ms" -lt 10000
	run_cmd "$tmp/$cert-run" "$cert" --json "$tmp/$cert-run.json"
	check "$cert: run exits 2 [$rc]" test "$rc" -eq 2
	check "$cert: run within 10 s [$ms ms]" test "$ms" -lt 10000
	check "$cert: run names the cause" grep -q "FAIL PRE-HARNESS-NAMES" "$tmp/$cert-run.err"
	cli_check_stopped "$cert: run" "$tmp/$cert-run.json" PRE-HARNESS-NAMES
	check "$cert: the text report says the preflight stopped the run" \
		grep -q "^INCOMPLETE: the preflight stopped the run (the preflight found PRE-HARNESS-NAMES FAIL" "$tmp/$cert-run.txt"
done
check "wrong name: the missing names are listed" \
	grep -q "does not cover .*harness.test, preflight.harness.test, matrix-h1-in.harness.test" \
	"$tmp/harness.test-wrongname.txt"

# 3. --listen 0.0.0.0 with --serve-dns and no --advertise: exit 2; with it: ready.
timed "$tmp/any" "$bin" check --partner "$m13" --target "127.0.0.1:$serve_port" \
	--serve-dns "127.0.0.1:$dns" --listen 0.0.0.0:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix
check "0.0.0.0: check exits 2 [$rc]" test "$rc" -eq 2
check "0.0.0.0: names PRE-HARNESS-ADVERTISE and --advertise" \
	grep -A1 "^FAIL PRE-HARNESS-ADVERTISE .*would publish A/AAAA 0.0.0.0" "$tmp/any.txt" |
	grep -q "fix: give --advertise ADDR"
timed "$tmp/anyrun" "$bin" run --partner "$m13" --target "127.0.0.1:$serve_port" \
	--serve-dns "127.0.0.1:$dns" --listen 0.0.0.0:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix --quiet
check "0.0.0.0: run exits 2 within 10 s [$rc, $ms ms]" test "$rc" -eq 2 -a "$ms" -lt 10000
check "0.0.0.0: run names the cause" grep -q "FAIL PRE-HARNESS-ADVERTISE" "$tmp/anyrun.err"
timed "$tmp/anynp" "$bin" run --partner "$m13" --target "127.0.0.1:$serve_port" \
	--serve-dns "127.0.0.1:$dns" --listen 0.0.0.0:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix --quiet \
	--no-preflight
check "0.0.0.0 --no-preflight: the runner itself refuses to publish 0.0.0.0 [$rc]" \
	test "$rc" -eq 2
check "0.0.0.0 --no-preflight: says --advertise" grep -q "give --advertise ADDR" "$tmp/anynp.err"
check_cmd "$tmp/adv" harness.test --listen 0.0.0.0:0 --advertise 127.0.0.1
check "--advertise 127.0.0.1: ready [$rc] ($(grep -m1 FAIL "$tmp/adv.txt"))" test "$rc" -eq 0
check "--advertise: the zone publishes it" \
	grep -q "^OK   PRE-HARNESS-ADVERTISE .*publishes 127.0.0.1" "$tmp/adv.txt"

# 4. A dead target: a port that was just free.
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
timed "$tmp/dead" "$bin" check --partner "$m13" --target "127.0.0.1:$dead" \
	--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix --json -
check "dead: check exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "dead: JSON names PRE-TCP-IPV4 with its fix" \
	test "$(jq -r '.findings[] | select(.id == "PRE-TCP-IPV4") | .severity + " " + (.fix | test("port 5269") | tostring)' "$tmp/dead.txt")" = "FAIL true"
check "dead: --json - prints only JSON" jq -e . "$tmp/dead.txt" >/dev/null
timed "$tmp/deadrun" "$bin" run --partner "$m13" --target "127.0.0.1:$dead" \
	--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix --quiet
check "dead: run exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "dead: run names the cause" grep -q "FAIL PRE-TCP-IPV4 .*cannot connect" "$tmp/deadrun.err"
check "dead: run says it stopped before the first scenario" \
	grep -q "stopped before the first scenario" "$tmp/deadrun.err"
# The same over IPv6, its own item (without IPv6 on the machine the connect fails too).
timed "$tmp/dead6" "$bin" check --partner "$m13" --target "[::1]:$dead" \
	--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
	--only matrix --json -
check "dead over IPv6: exit 3 [$rc]" test "$rc" -eq 3
check "dead over IPv6: PRE-TCP-IPV6 FAIL, no IPv4 item" \
	test "$(jq -r '[.findings[] | select(.id | startswith("PRE-TCP")) | .id + " " + .severity] | join(",")' "$tmp/dead6.txt")" = "PRE-TCP-IPV6 FAIL"

# 5. An additional domain the partner's certificate does not cover (partner.test's
# certificate names partner.test and *.partner.test, not other.test).
cat >"$tmp/addl.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<XmppAllowedPartner xmlns="urn:s2scheck:partner:1" Identity="partner.test">
  <AdditionalDomains><Domain>other.test</Domain></AdditionalDomains>
  <TlsNegotiation>Required</TlsNegotiation>
  <SaslNegotiation>NotSupported</SaslNegotiation>
  <SupportDialbackNegotiation>true</SupportDialbackNegotiation>
</XmppAllowedPartner>
EOF
cli_stop_serve
cli_start_serve "$tmp/addl.xml" "$dns"
timed "$tmp/addl" "$bin" check --partner "$tmp/addl.xml" --target "127.0.0.1:$serve_port" \
	--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix
check "additional domain: check exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "additional domain: PRE-CERT-NAMES FAIL for other.test, with the fix" \
	bash -c "grep -A1 '^FAIL PRE-CERT-NAMES *other.test: .*does not name other.test' '$tmp/addl.txt' | grep -q 'cover every domain of the configuration'"
check "additional domain: the primary is fine" \
	grep -q "^OK   PRE-CERT-NAMES *partner.test" "$tmp/addl.txt"
timed "$tmp/addlrun" "$bin" run --partner "$tmp/addl.xml" --target "127.0.0.1:$serve_port" \
	--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix --quiet
# Since 0.4.0 (issue 13) an additional domain's certificate name does not stop the run:
# the matrix runs, and the domains verdict reports the fault (exit 1, a mismatch).
check "additional domain: run goes on and exits 1 (a domains fault) [$rc, $ms ms]" \
	test "$rc" -eq 1
check "additional domain: run names the cause" \
	grep -q "FAIL PRE-CERT-NAMES *other.test" "$tmp/addlrun.err"
check "additional domain: the run did not stop before the first scenario" \
	grep -q "^Summary: .* 0 skip" "$tmp/addlrun.txt"
check "additional domain: the domains verdict names it" \
	grep -q "finding: the partner's certificate does not cover other.test" "$tmp/addlrun.txt"
check "additional domain: the primary matches (negotiation: matches M13 (E5))" \
	grep -q "^negotiation: matches M13 (E5); domains: 1 of 2 served, 1 not checked, 1 not covered by the certificate$" "$tmp/addlrun.txt"

# 6. A partner that cannot resolve the harness zone: its resolver points at a port
# nobody serves.
cli_stop_serve
nowhere=$(python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
cli_start_serve m13 "$nowhere"
check_cmd "$tmp/nores" harness.test --json "$tmp/nores.json"
check "unresolvable harness: check exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "unresolvable harness: PRE-INBOUND says the partner could not reach it" \
	grep -q "^FAIL PRE-INBOUND .*the partner could not reach preflight.harness.test: inbound and dialback scenarios cannot be judged" "$tmp/nores.txt"
check "unresolvable harness: the fix names DNS for *.DOMAIN and port 5269" \
	test "$(jq -r '.findings[] | select(.id == "PRE-INBOUND") | .fix | test("DNS for \\*.DOMAIN.*5269")' "$tmp/nores.json")" = true
check "unresolvable harness: the outbound side is fine" \
	test "$(jq -r '[.findings[] | select(.side == "partner" and .severity != "OK")] | length' "$tmp/nores.json")" = 0
run_cmd "$tmp/noresrun" harness.test --json "$tmp/noresrun.json" --junit "$tmp/noresrun.xml"
check "unresolvable harness: run exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "unresolvable harness: run names PRE-INBOUND and --outbound-only" \
	bash -c "grep -q 'FAIL PRE-INBOUND' '$tmp/noresrun.err' && grep -q -- '--outbound-only runs without inbound' '$tmp/noresrun.err'"
cli_check_stopped "unresolvable harness: run" "$tmp/noresrun.json" PRE-INBOUND
check "unresolvable harness: JUnit says the preflight stopped the run" \
	grep -q '<property name="preflight" value="[0-9]* OK, [0-9]* WARN, [1-9][0-9]* FAIL: stopped the run"/>' "$tmp/noresrun.xml"
check "unresolvable harness: JUnit system-out has the checklist" \
	grep -q '^FAIL PRE-INBOUND .*the partner could not reach preflight.harness.test' "$tmp/noresrun.xml"
check "unresolvable harness: every scenario's JUnit testcase skipped with the reason" \
	test "$(grep -c '<skipped message="not run: the preflight found PRE-INBOUND FAIL' "$tmp/noresrun.xml")" = "$(xmllint --xpath 'count(/testsuites/testsuite[@name!="verdict"]/testcase)' "$tmp/noresrun.xml")"
run_cmd "$tmp/outonly" harness.test --json "$tmp/outonly.json" --outbound-only
check "--outbound-only: runs, no mismatch, no error [$rc] ($(head -c 300 "$tmp/outonly.err"))" \
	test "$(jq '.summary.mismatch + .summary.error' "$tmp/outonly.json")" = 0
check "--outbound-only: every inbound row is skipped and says why" \
	test "$(jq '[.results[] | select(.id | endswith("-in")) | select(.verdict != "skip" or (.cause | test("--outbound-only.*needs the partner to connect in.*could not reach preflight.harness.test") | not))] | length' "$tmp/outonly.json")" = 0
check "--outbound-only: outbound rows without harness dialback were judged" \
	test "$(jq '[.results[] | select(.verdict == "match")] | length' "$tmp/outonly.json")" -gt 0
# The same with a partner that authenticates the harness by SASL EXTERNAL (M2: no
# dialback): the outbound successes would wait for a ping answer that cannot come, so
# they are skipped too; nothing is blamed on the partner.
cli_stop_serve
cli_start_serve m02 "$nowhere"
timed "$tmp/out2" "$bin" run --partner "$src/fixtures/partners/m02.xml" \
	--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
	--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
	--only matrix --quiet --timeout 20 --outbound-only --json "$tmp/out2.json"
check "--outbound-only, SASL partner: exit 0 [$rc] ($(head -c 300 "$tmp/out2.err"))" test "$rc" -eq 0
check "--outbound-only, SASL partner: no mismatch, no error [$(jq -c .summary "$tmp/out2.json")]" \
	test "$(jq '.summary.mismatch + .summary.error' "$tmp/out2.json")" = 0
check "--outbound-only, SASL partner: the expected successes are skipped, saying why" \
	test "$(jq '[.results[] | select(.id == "matrix-h2-out") | select(.verdict == "skip" and (.cause | test("answer to the test ping")))] | length' "$tmp/out2.json")" = 1

# 7. Usage: --outbound-only needs --target; check needs --partner.
"$bin" run --partner "$m13" --outbound-only >/dev/null 2>"$tmp/u1.err"
check "--outbound-only without --target: exit 2 [$?]" grep -q "apply to runs with --target" "$tmp/u1.err"
"$bin" check >/dev/null 2>"$tmp/u2.err"
rc=$?
check "check without --partner: exit 2 [$rc]" test "$rc" -eq 2

finish check
