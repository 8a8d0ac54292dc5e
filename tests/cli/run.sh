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
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for m in $(seq -w 1 18); do
	out="$tmp/m$m"
	mkdir -p "$out"
	"$bin" run --partner "$src/fixtures/partners/m$m.xml" --quiet --json "$out/r.json" \
		--junit "$out/r.xml" --transcripts "$out/tr" >"$out/stdout" 2>"$out/stderr"
	rc=$?
	check "M$m: exit 0, got $rc ($(head -c 300 "$out/stderr"))" test "$rc" -eq 0
	check "M$m: 36 matches in JSON" test "$(jq '.summary.match' "$out/r.json" 2>/dev/null)" = 36
	check "M$m: 36 results" test "$(jq '.results | length' "$out/r.json" 2>/dev/null)" = 36
	check "M$m: not incomplete" test "$(jq '.incomplete' "$out/r.json" 2>/dev/null)" = false
	check "M$m: JUnit valid against the XSD" \
		xmllint --noout --schema "$src/tests/schema/junit.xsd" "$out/r.xml"
	check "M$m: JUnit has 36 testcases" test "$(grep -c '<testcase ' "$out/r.xml")" -eq 36
	check "M$m: 36 transcripts" test "$(ls "$out/tr" | wc -l)" -eq 36
	check "M$m: text report summary" grep -q "36 match, 0 mismatch, 0 error" "$out/stdout"
	if [[ " 05 06 11 12 14 16 18 " == *" $m "* ]]; then
		check "M$m: its row explains the run but is invalid" \
			grep -q "row M${m#0} explains the observations but is not a valid configuration" "$out/stdout"
	else
		check "M$m: the configuration explains itself" grep -q "The configuration matches" "$out/stdout"
	fi
	# No private key material in any output (reference: design.md §4).
	check "M$m: no key material in any output" \
		bash -c "! grep -rqE 'PRIVATE KEY|BEGIN ' '$out'"
done

# A transcript holds both directions, TLS, certificates, states and timestamps.
tr="$tmp/m07/tr/H13-out.txt"
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
check "an unwritable --json exits 3" test "$?" -eq 3
check "an unwritable --json leaves nothing" test ! -e /nonexistent/dir/r.json

finish run
