#!/usr/bin/env bash
# `s2scheck run` against the built-in reference partner: every one of the 18
# partner configurations matches itself (exit 0), the reports are complete and
# valid, and nothing secret leaves the process. Also the run's usage errors.
# Usage: run.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
# The text report wraps at COLUMNS (else 80; tests/cli/textreport.sh checks that):
# the checks below read its sentences whole.
export COLUMNS=400
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The whole default suite, for every configuration (none is skipped).
listed=$("$bin" list --json)
n_listed=$(jq '.selected' <<<"$listed")
check "list and run select the same suite ($n_listed)" test "${n_listed:-0}" -gt 100

for m in $(seq -w 1 18); do
	out="$tmp/m$m"
	mkdir -p "$out"
	start=$(date +%s.%N)
	"$bin" run --partner "$src/fixtures/partners/m$m.xml" --quiet --json "$out/r.json" \
		--junit "$out/r.xml" --transcripts "$out/tr" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
	check "M$m: exit 0, got $rc ($(head -c 300 "$out/stderr"))" test "$rc" -eq 0
	n=$(cli_jq '.results | length' "$out/r.json")
	# One result per selected scenario, one per additional partner domain for those
	# that address each of them (docs/scenarios.md).
	n_add=$(grep -c '<Domain>' "$src/fixtures/partners/m$m.xml")
	n_pdom=$(jq '[.scenarios[] | select(.partner_domain == "additional")] | length' <<<"$listed")
	want=$((n_listed + (n_add > 0 ? n_pdom * (n_add - 1) : 0)))
	check "M$m: $want results (got $n)" test "${n:-0}" -eq "$want"
	check "M$m: every listed scenario has a result" test "$(jq -n --argjson l "$listed" \
		--slurpfile r "$out/r.json" '[$l.scenarios[].id] - [$r[0].results[].id | sub("[.].*$"; "")] | length')" -eq 0
	match=$(cli_jq '.summary.match' "$out/r.json")
	skip=$(cli_jq '.summary.skip' "$out/r.json")
	check "M$m: every result matches or is skipped ($match + $skip of $n)" \
		test "$((match + skip))" -eq "${n:-0}"
	check "M$m: every skip says why" test "$(jq '[.results[] | select(.verdict == "skip") |
		select(.cause | startswith("skipped: ") | not)] | length' "$out/r.json")" -eq 0
	check "M$m: the matrix scenarios all match" test "$(jq '[.results[] |
		select(.tags | index("matrix")) | select(.verdict == "match")] | length' \
		"$out/r.json")" -eq 36
	# Not a speed target (bench/ keeps those): a run that finishes before one
	# scenario timeout (30 s) had no scenario waiting for its timeout, whatever the load.
	check "M$m: no scenario waited for its timeout ($secs s < 30 s)" \
		test "$(echo "$secs < 30" | bc)" -eq 1
	check "M$m: not incomplete" test "$(cli_jq '.incomplete' "$out/r.json")" = false
	check "M$m: JUnit valid against the XSD" \
		xmllint --noout --schema "$src/tests/schema/junit.xsd" "$out/r.xml"
	check "M$m: JUnit valid against the Jenkins xUnit plugin's junit-10.xsd" \
		xmllint --noout --schema "$src/tests/schema/junit-10.xsd" "$out/r.xml"
	# One testcase per result, (since 0.4.0) one per domain and direction, and
	# (contract 5) "configuration matches".
	nd=$(cli_jq '.domains.items | length' "$out/r.json")
	check "M$m: the domains verdict has an item per domain and direction ($nd)" \
		test "${nd:-0}" -eq $((2 * (1 + n_add)))
	check "M$m: no domains fault from the reference partner" \
		test "$(cli_jq '.domains.faults' "$out/r.json")" = 0
	check "M$m: JUnit has $n + $nd + 1 testcases" \
		test "$(grep -c '<testcase ' "$out/r.xml")" -eq "$((${n:-0} + ${nd:-0} + 1))"
	check "M$m: $n transcripts" test "$(ls "$out/tr" | grep -vcx _run.txt)" -eq "${n:-0}"
	# Every stream of the reference partner reaches its scenario, except the
	# dialback verification of the wrong-from scenario's claimed domain (wrong.test,
	# which no harness node serves): refused, and on the record (_run.txt).
	headers=$(grep -c ' recv    <stream:stream ' "$out/tr/_run.txt")
	check "M$m: the refused streams are the wrong.test verifications ($headers)" \
		test "$(grep -c " recv    <stream:stream .*to='wrong.test'" "$out/tr/_run.txt")" -eq "$headers" \
		-a "$(jq '.refused.total' "$out/r.json")" -eq "$headers"
	check "M$m: text report summary" grep -q "$n scenarios: $match match, 0 mismatch, 0 error, $skip skip" "$out/stdout"
	if [[ " 05 06 11 12 14 16 18 " == *" $m "* ]]; then
		check "M$m: its row explains the run but is invalid" \
			grep -q "row M${m#0} explains the observations but is not a valid configuration" "$out/stdout"
	else
		check "M$m: the reference partner explains itself" \
			grep -q "The reference partner behaves as configured: M${m#0} " "$out/stdout"
	fi
	# Issue 12 item 2: no --target is a self-test, never a verdict on the partner.
	check "M$m: the header says self-test" grep -q "^SELF-TEST (no --target)" "$out/stdout"
	check "M$m: no gateway setting suggested from a self-test" \
		bash -c "! grep -q Set-CsXmppAllowedPartner '$out/stdout'"
	check "M$m: JSON target_info is a self-test" \
		test "$(jq -c '[.target_info.kind, .target_info.partner_contacted, .classification.self_test]' "$out/r.json")" = '["self-test",false,true]'
	check "M$m: no finding outside Lync settings" test "$(jq '.findings_outside_lync | length' "$out/r.json")" -eq 0
	# No private key material in any output (reference: design.md §4).
	check "M$m: no key material in any output" \
		bash -c "! grep -rqE 'PRIVATE KEY|BEGIN ' '$out'"
done

# The <requires> of a dialback probe skips it against a partner without dialback.
check "M2: a dialback probe is skipped with the reason" test "$(jq -r '.results[] |
	select(.id == "dialback-wrong-key-out") | .cause' "$tmp/m02/r.json")" = \
	"skipped: the scenario requires a partner with dialback True"
# Certificate variants come from the run-time PKI: a wrong name rules out S (Dt on M9).
check "M9: cert-wrongname-out falls back to dialback" test "$(jq -r '.results[] |
	select(.id == "cert-wrongname-out") | .observed | join("|")' "$tmp/m09/r.json")" = Dt
check "M9: cert-xmpp-in presented an xmppAddr" grep -q "XmppAddr\|xmppAddr" "$tmp/m09/tr/cert-xmpp-in.txt"
# Additional partner domains: one result each.
check "M9: one result per additional domain" test "$(jq '[.results[] |
	select(.id | startswith("domains-additional-h9-out."))] | length' "$tmp/m09/r.json")" -eq \
	"$(grep -c '<Domain>' "$src/fixtures/partners/m09.xml")"

# A transcript holds both directions, TLS, certificates, states and timestamps.
tr="$tmp/m07/tr/matrix-h13-out.txt"
check "transcript: sent XML" grep -q " send .*<db:result" "$tr"
check "transcript: received XML" grep -q " recv .*type=\"valid\"" "$tr"
check "transcript: TLS parameters and certificate" grep -q "TLS established: TLS1.3.*DNS-ID" "$tr"
check "transcript: state transitions" grep -q "EXPECT_FEATURES -> EXPECT_PROCEED" "$tr"
check "transcript: timestamps" grep -qE "^\[ *[0-9]+\.[0-9]{3}\]" "$tr"

# Usage and configuration errors: exit 2, one message.
"$bin" run --quiet >/dev/null 2>"$tmp/e1"
check "missing --partner exits 2" test "$?" -eq 2
check "missing --partner names it" grep -q -- "--partner" "$tmp/e1"
"$bin" run --partner "$src/fixtures/partners/m07.xml" --jobs 0 >/dev/null 2>"$tmp/e2"
check "--jobs 0 exits 2" test "$?" -eq 2
"$bin" run --partner "$src/fixtures/partners/m07.xml" --cert x.pem --key x.key >/dev/null 2>"$tmp/e3"
check "--cert without --target exits 2" test "$?" -eq 2
check "--cert without --target says why" grep -q "reference partner" "$tmp/e3"
"$bin" run --partner "$src/fixtures/partners/m07.xml" --target '[::1' --quiet \
	--ca "$build/certs/ca.pem" --cert "$build/certs/harness.test.pem" \
	--key "$build/certs/harness.test.key" >/dev/null 2>"$tmp/e4"
check "a bad --target exits 2" test "$?" -eq 2
check "a bad --target is named" grep -q -- "--target" "$tmp/e4"
"$bin" run --partner "$src/fixtures/partners/m07.xml" --json /nonexistent/dir/r.json --quiet \
	>/dev/null 2>"$tmp/e5"
check "an unwritable --json exits 2 (before the run; tests/cli/operator.sh)" test "$?" -eq 2
check "an unwritable --json leaves nothing" test ! -e /nonexistent/dir/r.json

finish run
