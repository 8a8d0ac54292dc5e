#!/usr/bin/env bash
# `s2scheck run` driven by scenario files: the same folder and selection options as
# `list`, xfail (XPASS/XFAIL and their exit codes), a broken suite (exit 2, one
# line, nothing run), --skip. Against the built-in reference partner.
# Usage: run-suite.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli-lib.sh"
# The text report wraps at COLUMNS (else 80; tests/cli/textreport.sh checks that):
# the checks below read its sentences whole.
export COLUMNS=400
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
m09="$src/fixtures/partners/m09.xml"

# --only matrix: the 36 matrix scenarios, all matching their own configuration.
"$bin" run --partner "$m09" --quiet --only matrix --json "$tmp/matrix.json" >"$tmp/matrix.txt" 2>&1
rc=$?
check "--only matrix exits 0, got $rc" test "$rc" -eq 0
check "--only matrix gives 36 results" test "$(jq '.results | length' "$tmp/matrix.json")" -eq 36
check "--only matrix: 36 matches" test "$(jq '.summary.match' "$tmp/matrix.json")" -eq 36
check "--only matrix: result ids are scenario ids" \
	test "$(jq -r '.results[0].id' "$tmp/matrix.json")" = matrix-h1-in
check "--only matrix: tags and refs carried" \
	test "$(jq -r '.results[] | select(.id == "matrix-h13-out") | .tags | join(",")' "$tmp/matrix.json")" = matrix,classify
check "--only matrix: every one classifies" \
	test "$(jq '[.results[] | select(.classified)] | length' "$tmp/matrix.json")" -eq 36
check "--only matrix: 36 observations classify" \
	test "$(jq '.classification.observations' "$tmp/matrix.json")" -eq 36
check "--only matrix: a self-test suggests no gateway setting (issue 12 item 2)" \
	bash -c "! grep -q Set-CsXmppAllowedPartner '$tmp/matrix.txt'"
check "--only matrix: the classification says it is a self-test" \
	grep -q "SELF-TEST: the partner was s2scheck's built-in reference partner" "$tmp/matrix.txt"

# --skip works, and wins over --only.
"$bin" run --partner "$m09" --quiet --only matrix --skip inbound --json "$tmp/skip.json" >/dev/null 2>&1
check "--only matrix --skip inbound gives 18" test "$(jq '.results | length' "$tmp/skip.json")" -eq 18
check "--skip inbound leaves no inbound result" \
	test "$(jq '[.results[] | select(.direction == "inbound")] | length' "$tmp/skip.json")" -eq 0
"$bin" run --partner "$m09" --quiet --only matrix-h2-out --json "$tmp/one.json" >/dev/null 2>&1
check "--only ID runs one" test "$(jq '.results | length' "$tmp/one.json")" -eq 1

# A user's folder: an xfail scenario that matches is XPASS (exit 1), one that
# mismatches is XFAIL (exit 0).
mkdir -p "$tmp/xpass" "$tmp/xfail"
cat >"$tmp/xpass/quirk-fixed-out.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<scenario xmlns="urn:s2scheck:scenario:1" id="quirk-fixed-out" direction="outbound">
  <title>A quirk that the partner no longer has</title>
  <tag>user</tag>
  <xfail reason="vendor case 1: the gateway refused H9"/>
</scenario>
XML
cat >"$tmp/xfail/quirk-known-out.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!-- Explicit set that a conforming partner does not give: a known deviation. -->
<scenario xmlns="urn:s2scheck:scenario:1" id="quirk-known-out" direction="outbound">
  <title>A quirk the partner still has</title>
  <tag>user</tag>
  <expect>
    <outcome>F3</outcome>
  </expect>
  <xfail reason="vendor case 2: the gateway fails H9 with F3"/>
</scenario>
XML
"$bin" run --partner "$m09" --quiet --scenarios "$tmp/xpass" --json "$tmp/xp.json" >"$tmp/xp.txt" 2>&1
rc=$?
check "an xfail scenario that matches exits 1, got $rc" test "$rc" -eq 1
check "... and is reported xpass" test "$(jq -r '.results[0].verdict' "$tmp/xp.json")" = xpass
check "... with the reason" grep -q "vendor case 1" "$tmp/xp.txt"
"$bin" run --partner "$m09" --quiet --scenarios "$tmp/xfail" --json "$tmp/xf.json" >/dev/null 2>&1
rc=$?
check "an xfail scenario that mismatches exits 0, got $rc" test "$rc" -eq 0
check "... and is reported xfail" test "$(jq -r '.results[0].verdict' "$tmp/xf.json")" = xfail
check "... as a finding, not classification input" \
	test "$(jq -r '.findings_outside_lync[0]' "$tmp/xf.json")" = quirk-known-out
"$bin" run --partner "$m09" --quiet --only matrix-h9-out --add-scenarios "$tmp/xfail" \
	--add-scenarios "$tmp/xpass" --json "$tmp/both.json" >/dev/null 2>&1
check "--add-scenarios joins folders; --only selects across them" \
	test "$(jq '.results | length' "$tmp/both.json")" -eq 1

# A mismatch without xfail: exit 1, the cause names the rule.
sed -e 's/quirk-known-out/quirk-plain-out/' -e '/<xfail/d' "$tmp/xfail/quirk-known-out.xml" \
	>"$tmp/plain.xml"
mkdir -p "$tmp/plain" && mv "$tmp/plain.xml" "$tmp/plain/quirk-plain-out.xml"
"$bin" run --partner "$m09" --quiet --scenarios "$tmp/plain" --json "$tmp/pl.json" >/dev/null 2>&1
check "a mismatch exits 1" test "$?" -eq 1
check "a mismatch is reported" test "$(jq -r '.results[0].verdict' "$tmp/pl.json")" = mismatch

# --quirks: the same mismatch, marked in a quirks file instead of the scenario: xfail,
# exit 0; a quirk on a scenario that matches: xpass naming the quirk, exit 1; a quirks
# file that names no scenario of the suite: exit 2 before anything runs.
cat >"$tmp/q.xml" <<'XML'
<quirks xmlns="urn:s2scheck:quirks:1" partner="vendor gateway">
  <quirk scenario="quirk-plain-out" reason="vendor case 3: fails H9 with F3"/>
  <quirk scenario="matrix-h9-out" reason="vendor case 4: was broken, is fixed"/>
</quirks>
XML
"$bin" run --partner "$m09" --quiet --add-scenarios "$tmp/plain" --quirks "$tmp/q.xml" \
	--only quirk-plain-out --json "$tmp/qx.json" --verbose >"$tmp/qx.txt" 2>&1
rc=$?
check "--quirks: a known mismatch exits 0, got $rc" test "$rc" -eq 0
check "--quirks: ... reported xfail" test "$(jq -r '.results[0].verdict' "$tmp/qx.json")" = xfail
check "--quirks: ... with the reason and the quirk's place [$(jq -r '.results[0].known_deviation' "$tmp/qx.json")]" \
	test "$(jq -r '.results[0].known_deviation' "$tmp/qx.json")" = "vendor case 3: fails H9 with F3 (quirk at $tmp/q.xml:2)"
check "--quirks: ... and the text report's table says it (--verbose)" \
	grep -q "^    known deviation: vendor case 3: fails H9 with F3 (quirk at $tmp/q.xml:2)" "$tmp/qx.txt"
check "--quirks: ... and so does the report without --verbose" bash -c \
	"'$bin' run --partner '$m09' --quiet --add-scenarios '$tmp/plain' --quirks '$tmp/q.xml' --only quirk-plain-out | grep -q '^  quirk-plain-out: vendor case 3: fails H9 with F3 (quirk at $tmp/q.xml:2)'"
check "a match has no known deviation" \
	test "$(jq -r '.results[0].known_deviation' "$tmp/matrix.json")" = null
"$bin" run --partner "$m09" --quiet --add-scenarios "$tmp/plain" --quirks "$tmp/q.xml" \
	--only matrix-h9-out --json "$tmp/qp.json" >"$tmp/qp.txt" 2>&1
rc=$?
check "--quirks: a quirk that matches exits 1, got $rc" test "$rc" -eq 1
check "--quirks: ... reported xpass" test "$(jq -r '.results[0].verdict' "$tmp/qp.json")" = xpass
check "--quirks: ... the cause names the quirk [$(jq -r '.results[0].cause' "$tmp/qp.json")]" \
	grep -q "vendor case 4.*quirk at $tmp/q.xml:3" <<<"$(jq -r '.results[0].cause' "$tmp/qp.json")"
"$bin" run --partner "$m09" --quiet --quirks "$tmp/q.xml" --json "$tmp/qe.json" \
	>/dev/null 2>"$tmp/qe.err"
rc=$?
check "--quirks naming a scenario not in the suite: exit 2, got $rc" test "$rc" -eq 2
check "... names the file and line [$(cat "$tmp/qe.err")]" \
	grep -q "^s2scheck: $tmp/q.xml:2: quirk@scenario: no scenario of the suite has the id \"quirk-plain-out\"" \
	"$tmp/qe.err"
check "... and runs nothing" test ! -e "$tmp/qe.json"

# A named check that fails makes a mismatch naming the check.
mkdir -p "$tmp/check"
cat >"$tmp/check/check-fails-out.xml" <<'XML'
<?xml version="1.0" encoding="UTF-8"?>
<!-- invalid-from needs the partner to refuse a stanza from a domain never
     authenticated; without that misbehaviour nothing is refused: the check fails. -->
<scenario xmlns="urn:s2scheck:scenario:1" id="check-fails-out" direction="outbound">
  <expect>
    <check name="invalid-from"/>
  </expect>
</scenario>
XML
"$bin" run --partner "$m09" --quiet --scenarios "$tmp/check" --json "$tmp/ck.json" >/dev/null 2>&1
check "a failed check exits 1" test "$?" -eq 1
check "a failed check is named" test "$(jq -r '.results[0].failed_check' "$tmp/ck.json")" = invalid-from
check "the cause names the check" \
	grep -q '^check invalid-from failed' <<<"$(jq -r '.results[0].cause' "$tmp/ck.json")"

# A broken suite: exit 2, one line, nothing on stdout, nothing run.
for d in "$src"/fixtures/scenarios/bad/*/; do
	d=${d%/}
	out=$("$bin" run --partner "$m09" --quiet --scenarios "$d" 2>/dev/null)
	rc=$?
	err=$("$bin" run --partner "$m09" --quiet --scenarios "$d" 2>&1 >/dev/null)
	check "$(basename "$d"): exit 2, got $rc" test "$rc" -eq 2
	check "$(basename "$d"): nothing on stdout" test -z "$out"
	check "$(basename "$d"): one line naming the folder" \
		test "$(cli_lines "$err")" -eq 1 -a -n "$(grep -F "$d" <<<"$err")"
done
out=$("$bin" run --partner "$m09" --quiet --only matirx 2>&1)
check "an unknown --only word exits 2" test "$?" -eq 2
check "an unknown --only word is named" grep -q -- "--only matirx" <<<"$out"

finish run-suite
