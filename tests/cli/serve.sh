#!/usr/bin/env bash
# `s2scheck serve` (the reference partner as a server) against `s2scheck run`
# in another process, over loopback with real DNS (run --serve-dns, serve
# --resolver): a partner configured differently from the file `run` is given
# yields exactly the mismatches the oracle predicts, exit 1, and the true class.
# Also SIGINT: reports written, marked incomplete, exit 3.
# Usage: serve.sh S2SCHECK SOURCE_DIR BUILD_DIR
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

# A free-looking port: random in 20000-59999 (the loops below retry on clashes).
rand_port() { echo $((20000 + RANDOM % 40000)); }


run_against() { # run_against PARTNER_FILE DNS_PORT OUT [extra args]
	local partner=$1 dns=$2 out=$3
	shift 3
	timeout -k 5 120 "$bin" run --partner "$partner" --target "127.0.0.1:$serve_port" \
		--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet \
		--timeout 20 --only matrix --json "$out.json" --junit "$out.xml" "$@" \
		>"$out.txt" 2>"$out.err"
}

# 1. The partner really is M13 (E5: TLS Required, dialback only); the file says M7 (E4).
ok=0
for _ in 1 2 3; do
	dns=$(rand_port)
	cli_start_serve "$src/fixtures/partners/m13.xml" "$dns" || break
	run_against "$src/fixtures/partners/m07.xml" "$dns" "$tmp/mis"
	rc=$?
	if grep -q "Address already in use" "$tmp/mis.err"; then
		kill "$serve_pid"
		wait "$serve_pid" 2>/dev/null
		continue
	fi
	ok=1
	break
done
check "the mismatch run ran (a free DNS port was found)" test "$ok" -eq 1
check "a partner that differs from its file: exit 1, got $rc ($(head -c 300 "$tmp/mis.err"))" \
	test "$rc" -eq 1
# The oracle predicts a mismatch exactly where M7 and M13 expect different codes.
"$bin" matrix "$src/fixtures/partners/m07.xml" --json | jq -r '.cells[] | "\(.harness)-\(.direction) \(.expected)"' >"$tmp/m07.cells"
"$bin" matrix "$src/fixtures/partners/m13.xml" --json | jq -r '.cells[] | "\(.harness)-\(.direction) \(.expected)"' >"$tmp/m13.cells"
predicted=$(paste -d' ' "$tmp/m07.cells" "$tmp/m13.cells" | awk '$2 != $4 { print $1 }' |
	sed 's/^H/matrix-h/; s/-outbound$/-out/; s/-inbound$/-in/' | sort | tr '\n' ' ')
got=$(jq -r '.results[] | select(.verdict == "mismatch") | .id' "$tmp/mis.json" | sort | tr '\n' ' ')
check "mismatches are exactly the predicted ones (predicted: $predicted; got: $got)" \
	test "$predicted" = "$got"
check "no scenario could not be tested" test "$(jq '.summary.error' "$tmp/mis.json")" = 0
check "the classification names E5" test "$(jq -r '.classification.classes | join(",")' "$tmp/mis.json")" = E5
check "the suggestion is M13's setting" \
	grep -q 'Set-CsXmppAllowedPartner -Identity "partner.test" -TlsNegotiation Required -SaslNegotiation NotSupported -SupportDialbackNegotiation $True' "$tmp/mis.txt"
# (The suite "verdict" holds the classification's failure, docs/report-junit.md.)
check "JUnit lists the mismatches as failures" \
	test "$(xmllint --xpath 'count(/testsuites/testsuite[@name!="verdict"]//failure)' "$tmp/mis.xml")" -eq "$(wc -w <<<"$predicted")"
check "serve logged the streams it saw" grep -q "partner#" "$tmp/serve.log"

# 2. The same partner with its own file: everything matches.
run_against "$src/fixtures/partners/m13.xml" "$dns" "$tmp/same"
rc=$?
check "a partner that matches its file: exit 0, got $rc" test "$rc" -eq 0
check "all scenarios match" test "$(jq '.summary.mismatch + .summary.error' "$tmp/same.json")" = 0

# 3. SIGINT: a partner that accepts connections but never answers (serve stopped with
# SIGSTOP); the run is interrupted and writes what it has, marked incomplete.
kill -STOP "$serve_pid"
out=$tmp/int
"$bin" run --partner "$src/fixtures/partners/m13.xml" --target "127.0.0.1:$serve_port" \
	--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 60 \
	--only matrix --json "$out.json" --junit "$out.xml" >"$out.txt" 2>"$out.err" &
run_pid=$!
pids+=("$run_pid")
sleep 1.5
kill -INT "$run_pid"
rc=none
for _ in $(seq 1 100); do # at most 10 s
	if ! kill -0 "$run_pid" 2>/dev/null; then
		wait "$run_pid"
		rc=$?
		break
	fi
	sleep 0.1
done
if [ "$rc" = none ]; then
	kill -KILL "$run_pid" 2>/dev/null
	wait "$run_pid" 2>/dev/null
fi
check "SIGINT: exit 3, got $rc" test "$rc" -eq 3
check "SIGINT: the JSON report is there and says incomplete" \
	test "$(cli_jq '.incomplete' "$tmp/int.json")" = true
check "SIGINT: the JUnit report is valid" \
	xmllint --noout --schema "$src/tests/schema/junit.xsd" "$tmp/int.xml"
check "SIGINT: not-run scenarios are skipped" \
	grep -q 'not run: interrupted' "$tmp/int.xml"
kill -CONT "$serve_pid"

# 4. A real partner found through its SRV records (--target srv): serve publishes
# its own zone, and run is polite (two connections at a time, 20 ms apart).
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null
# Port 0: serve picks its DNS port and says which (a random one could be taken).
cli_start_serve "$src/fixtures/partners/m13.xml" "$dns" --serve-dns "127.0.0.1:0"
pdns=$(sed -n 's/.*serving the zone of .* on 127.0.0.1 port \([0-9]*\).*/\1/p' "$tmp/serve.log")
check "serve says which DNS port it picked [$pdns]" test -n "$pdns" -a "$pdns" != 0
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m13.xml" --target srv \
	--resolver "127.0.0.1:$pdns" \
	--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 20 \
	--partner-connections 2 --pause 20 --only matrix --json "$tmp/srv.json" >"$tmp/srv.txt" \
	2>"$tmp/srv.err"
rc=$?
check "--target srv: exit 0, got $rc ($(head -c 300 "$tmp/srv.err"))" test "$rc" -eq 0
check "--target srv: all scenarios match" \
	test "$(jq '.summary.mismatch + .summary.error' "$tmp/srv.json")" = 0
check "serve published its zone" grep -q "serving the zone of partner.test" "$tmp/serve.log"

# 5. Certificate variants against a partner on the wire: with --issuer-cert/--issuer-key
# (the CA serve trusts) and no --cert, the run issues the harness certificate and every
# variant for each scenario's own domain; no certificate scenario is skipped.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m13.xml" --target srv \
	--resolver "127.0.0.1:$pdns" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
	--ca "$pki/ca.pem" --issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" --quiet \
	--timeout 20 --only certificate --json "$tmp/iss.json" >"$tmp/iss.txt" 2>"$tmp/iss.err"
rc=$?
check "--issuer-cert: exit 0, got $rc ($(head -c 300 "$tmp/iss.err"))" test "$rc" -eq 0
ncert=$("$bin" list --json | jq '[.scenarios[] | select(.tags | index("certificate"))] | length')
check "--issuer-cert: all $ncert certificate scenarios match [$(jq -c .summary "$tmp/iss.json")]" \
	test "$(jq '[.results[] | select(.verdict == "match")] | length' "$tmp/iss.json")" = "$ncert"
"$bin" run --partner "$src/fixtures/partners/m13.xml" --target 127.0.0.1:1 \
	--issuer-cert "$pki/partner.test.pem" --issuer-key "$pki/partner.test.key" \
	>/dev/null 2>"$tmp/iss2.err"
rc=$?
check "--issuer-cert with a leaf: exit 2 [$rc]" test "$rc" -eq 2
check "--issuer-cert with a leaf: says so [$(cat "$tmp/iss2.err")]" \
	grep -q "partner.test.pem: not a CA certificate" "$tmp/iss2.err"

# 6. A partner with no method at all (M18): it cannot authenticate the trigger of an
# inbound scenario, so it has no ping to answer and will not connect in. The scenario
# is an error naming that, decided once the trigger failed, not at the (long) timeout.
kill "$serve_pid"
wait "$serve_pid" 2>/dev/null
cli_start_serve "$src/fixtures/partners/m18.xml" "$dns"
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m18.xml" \
	--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
	--ca "$pki/ca.pem" --issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" --quiet \
	--timeout 100 --only matrix-h9-in --json "$tmp/m18.json" --transcripts "$tmp/m18tr" \
	>"$tmp/m18.txt" 2>"$tmp/m18.err"
rc=$?
check "M18 inbound: exit 3 (could not test), got $rc" test "$rc" -eq 3
check "M18 inbound: the cause names the failed trigger [$(jq -r '.results[0].cause' "$tmp/m18.json")]" \
	grep -q "never connected in .*the trigger stream (H9) could not authenticate" \
	<<<"$(jq -r '.results[0].cause' "$tmp/m18.json")"
check "M18 inbound: decided after the trigger failed, not at the timeout" \
	grep -q "runner: the trigger failed and the partner has not connected in" \
	"$tmp/m18tr/matrix-h9-in.txt"

# 7. serve's usage errors.
"$bin" serve --partner "$src/fixtures/partners/m13.xml" >/dev/null 2>"$tmp/u1"
check "serve without --listen exits 2" test "$?" -eq 2
"$bin" serve --partner "$src/fixtures/partners/m13.xml" --listen 127.0.0.1:0 >/dev/null 2>"$tmp/u2"
check "serve without certificates exits 2" test "$?" -eq 2

finish serve
