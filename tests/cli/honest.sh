#!/usr/bin/env bash
# Honest runs (issue 12 items 2 and 3), over loopback:
# - a run without --target says it is a self-test of the built-in reference partner
#   in its text header, its classification, JSON target_info and JUnit properties;
# - a dead target, the runner itself (--no-preflight): it sleeps in poll
#   (S2SCHECK_STATS=1 counts the poll calls) instead of spinning until
#   TRIGGER_GRACE_S, and ends within seconds; with the preflight, the run stops in
#   seconds on PRE-TCP-IPV4 and still writes its reports, every scenario not run;
# - a partner that cannot resolve the harness zone, the runner itself
#   (--no-preflight; the preflight's PRE-INBOUND stop is in check.sh): every inbound
#   scenario errors and the classification says it rests on outbound observations
#   only;
# - an idle `serve` sleeps in poll instead of spinning.
# Usage: honest.sh S2SCHECK SOURCE_DIR BUILD_DIR
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
partner=$src/fixtures/partners/m07.xml

rand_port() { echo $((20000 + RANDOM % 40000)); }

# A loopback port nothing listens on (connect refused), found by trying.
closed_port() {
	local p
	for _ in $(seq 1 20); do
		p=$(rand_port)
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

# 1. No --target: a self-test, said in every report.
"$bin" run --partner "$partner" --quiet --only matrix-h13-out --only matrix-h13-in \
	--json "$tmp/self.json" --junit "$tmp/self.xml" >"$tmp/self.txt" 2>"$tmp/self.err"
rc=$?
check "self-test: exit 0 (got $rc: $(head -c 300 "$tmp/self.err"))" test "$rc" -eq 0
check "self-test: the header says so" grep -q "^SELF-TEST (no --target): the partner is s2scheck's built-in reference partner" "$tmp/self.txt"
check "self-test: the header says the partner's server was never contacted" \
	grep -q "partner.test's real server is never contacted and this run is no verdict on it" "$tmp/self.txt"
check "self-test: the classification says so" \
	grep -q "^  SELF-TEST: the partner was s2scheck's built-in reference partner" "$tmp/self.txt"
check "self-test: no 'configuration matches' verdict" bash -c "! grep -q 'The configuration matches' '$tmp/self.txt'"
check "self-test: no gateway setting suggested" bash -c "! grep -q Set-CsXmppAllowedPartner '$tmp/self.txt'"
check "self-test: JSON target_info" \
	test "$(jq -c '.target_info' "$tmp/self.json")" = '{"kind":"self-test","address":null,"partner_contacted":false,"connections":0}'
check "self-test: JSON classification.self_test, no suggestion" \
	test "$(jq -c '[.classification.self_test, .classification.suggested]' "$tmp/self.json")" = '[true,null]'
check "self-test: JUnit target_kind" grep -q '<property name="target_kind" value="self-test"/>' "$tmp/self.xml"
check "self-test: JUnit basis" \
	grep -q '<property name="observations" value="1 outbound, 1 inbound; unjudged: 0 outbound, 0 inbound"/>' "$tmp/self.xml"

# 2. A dead target (connection refused): one inbound and one outbound scenario. Before
# issue 12 the inbound one spun in zero-timeout polls until TRIGGER_GRACE_S (105,209
# calls); now every wait sleeps until the next deadline or event. The runner's own
# waits are the point: --no-preflight (the preflight would stop the run first; 2b).
rc=none
for _ in 1 2 3; do # the DNS port is random: retry on a clash
	dead=$(closed_port) || break
	dns=$(rand_port)
	t0=$(date +%s)
	S2SCHECK_STATS=1 timeout -k 5 60 "$bin" run --partner "$partner" --target "127.0.0.1:$dead" \
		--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet \
		--only matrix-h13-in --only matrix-h13-out --jobs 1 --json "$tmp/dead.json" \
		--no-preflight >"$tmp/dead.txt" 2>"$tmp/dead.err"
	rc=$?
	t1=$(date +%s)
	grep -q "Address already in use" "$tmp/dead.err" || break
	rc=none
done
polls=$(sed -n 's/^s2scheck: stats: \([0-9]*\) polls, .*/\1/p' "$tmp/dead.err")
check "dead target: exit 3 (got $rc: $(head -c 300 "$tmp/dead.err"))" test "$rc" = 3
check "dead target: the stats line is there ($(cat "$tmp/dead.err"))" test -n "$polls"
# Each scenario: a handful of wake-ups (connect refused, trigger failed, the grace
# deadline, the close); a busy wait makes tens of thousands.
check "dead target: no busy wait ($polls poll calls for 2 scenarios)" test "${polls:-99999}" -le 60
check "dead target: done within 10 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 10
check "dead target: JSON target_info names the address" \
	test "$(jq -c '[.target_info.kind, .target_info.address, .target_info.partner_contacted]' "$tmp/dead.json")" = "[\"partner\",\"127.0.0.1:$dead\",true]"
check "dead target: both scenarios error" test "$(jq '.summary.error' "$tmp/dead.json")" = 2
check "dead target: nothing was observed to classify" \
	test "$(jq -r '.classification.state' "$tmp/dead.json")" = nothing-observed

# 2b. The same dead target with the preflight: stopped on PRE-TCP-IPV4 within seconds,
# exit 3, and the reports still written (docs/cli.md "check": nothing lost).
t0=$(date +%s)
timeout -k 5 60 "$bin" run --partner "$partner" --target "127.0.0.1:$dead" \
	--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
	--key "$pki/harness.test.key" --quiet --only matrix-h13-in --only matrix-h13-out \
	--json "$tmp/deadpf.json" --junit "$tmp/deadpf.xml" >"$tmp/deadpf.txt" 2>"$tmp/deadpf.err"
rc=$?
t1=$(date +%s)
check "dead target, preflight: exit 3 (got $rc: $(head -c 300 "$tmp/deadpf.err"))" test "$rc" = 3
check "dead target, preflight: stopped within 10 s ($((t1 - t0)) s)" test $((t1 - t0)) -le 10
check "dead target, preflight: the checklist names PRE-TCP-IPV4 on stderr" \
	grep -q "^FAIL PRE-TCP-IPV4 *127.0.0.1:$dead: .*Connection refused" "$tmp/deadpf.err"
cli_check_stopped "dead target, preflight" "$tmp/deadpf.json" PRE-TCP-IPV4
check "dead target, preflight: JSON target_info names the address" \
	test "$(jq -c '[.target_info.kind, .target_info.address]' "$tmp/deadpf.json")" = "[\"partner\",\"127.0.0.1:$dead\"]"
check "dead target, preflight: the text report says why nothing ran" \
	grep -q "^INCOMPLETE: the preflight stopped the run (the preflight found PRE-TCP-IPV4 FAIL on 127.0.0.1:$dead); 2 scenarios did not run" "$tmp/deadpf.txt"
check "dead target, preflight: JUnit both testcases skipped with the reason" \
	test "$(grep -c '<skipped message="not run: the preflight found PRE-TCP-IPV4 FAIL' "$tmp/deadpf.xml")" = 2
check "dead target, preflight: JUnit property preflight" \
	grep -q '<property name="preflight" value=".* 1 FAIL: stopped the run"/>' "$tmp/deadpf.xml"

# 3. A partner that cannot resolve the harness zone (its resolver points at a port
# where nothing answers): it cannot connect in, so inbound is never judged. What the
# runner's classification rests on is the point: --no-preflight (the preflight's
# PRE-INBOUND stop and --outbound-only are tested in check.sh).
rc=none
for _ in 1 2 3; do
	dns=$(rand_port)
	cli_start_serve m07 "$dns" || break
	"$bin" run --partner "$partner" --target "127.0.0.1:$serve_port" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
		--quiet --timeout 6 --step-timeout 2000 --only matrix-h13-out --only matrix-h13-in \
		--only matrix-h17-out --json "$tmp/noin.json" --junit "$tmp/noin.xml" \
		--no-preflight >"$tmp/noin.txt" 2>"$tmp/noin.err"
	rc=$?
	cli_stop_serve
	grep -q "Address already in use" "$tmp/noin.err" || break
	rc=none
done
check "no inbound: the run ended with a report (exit $rc: $(head -c 300 "$tmp/noin.err"))" \
	test "$rc" = 1 -o "$rc" = 3
check "no inbound: the header is not a self-test" bash -c "! grep -q SELF-TEST '$tmp/noin.txt'"
check "no inbound: classification counts by direction" \
	test "$(jq -c '.classification | [.inbound_observations, .unjudged_inbound, .self_test]' "$tmp/noin.json")" = '[0,1,false]'
check "no inbound: the text says what the classification rests on" \
	grep -q "1 inbound scenario could not be judged (error or not run): the classification rests on outbound observations only." "$tmp/noin.txt"
check "no inbound: JUnit target_kind partner" grep -q '<property name="target_kind" value="partner"/>' "$tmp/noin.xml"

# 4. An idle `serve` sleeps: before issue 12 its loop called net_run, which returns
# at once when nothing is active, and spun (a core at 100 % for as long as it ran).
# Its CPU time over 2 s idle, from /proc (utime + stime, in clock ticks).
if cli_start_serve m07 "$(rand_port)"; then
	read -r -a st </proc/"$serve_pid"/stat
	t0=$((st[13] + st[14]))
	sleep 2
	read -r -a st </proc/"$serve_pid"/stat
	ticks=$((st[13] + st[14] - t0))
	hz=$(getconf CLK_TCK)
	check "idle serve: no busy wait ($ticks ticks of CPU in 2 s, at $hz per second)" \
		test "$ticks" -le $((hz / 5))
	cli_stop_serve
else
	check "serve started for the idle check" false
fi

# A static certificate variant that would prove the scenario's domain after all is not
# presented (the partner would be blamed for accepting a right certificate): the
# wildcard file made for harness.test (*.harness.test) covers cert-wildcard-out.harness.test.
dns=$(rand_port)
if cli_start_serve m01 "$dns"; then
	port=$(grep -o "port [0-9]*" "$tmp/serve.log" | head -1 | cut -d' ' -f2)
	timeout -k 5 60 "$bin" run --partner "$src/fixtures/partners/m01.xml" \
		--target "127.0.0.1:$port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
		--cert-dir "$pki" --quiet --timeout 20 --only cert-wildcard-out --only cert-wildcard-in \
		--json "$tmp/wild.json" >"$tmp/wild.txt" 2>"$tmp/wild.err"
	rc=$?
	cli_stop_serve
	check "wildcard variant covering the scenario: exit 0 (got $rc: $(head -c 300 "$tmp/wild.err"))" \
		test "$rc" -eq 0
	check "wildcard variant covering the scenario: both skipped, no mismatch" \
		test "$(cli_jq -r '[.results[] | .verdict] | join(",")' "$tmp/wild.json")" = skip,skip
	check "wildcard variant covering the scenario: the reason names the fix" \
		test "$(cli_jq -r '[.results[] | select(.cause | test("meant not to prove the scenario.s domain.*--issuer-cert"))] | length' "$tmp/wild.json")" = 2
else
	check "serve started for the certificate-variant check" false
fi

finish honest
