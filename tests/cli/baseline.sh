#!/usr/bin/env bash
# Baselines (issue 13 item 3): `s2scheck diff OLD.json NEW.json` and `run --baseline
# OLD.json [--fail-on regression]`, over loopback against `s2scheck serve` M7. Two runs of
# the conforming partner: no change. A run against `serve --misbehave unverified-valid`
# (it answers <db:result/> valid without verifying the key) changes exactly one
# scenario of the selection, dialback-wrong-key-out: diff reports that regression and
# nothing else; reversed, it is fixed. --fail-on regression makes exit 1 mean "worse
# than the baseline", and only that.
# Usage: baseline.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
# One scenario the knob changes (outside the classification) and two it does not.
sel=(--only dialback-wrong-key-out --only matrix-h2-out --only matrix-h1-in)
changed=dialback-wrong-key-out

# run_vs OUT "SERVE_ARGS" [RUN_ARGS...]: serve M7 (with SERVE_ARGS), one run against it
# writing OUT.json, OUT.txt; retried on a port clash. Sets rc.
run_vs() {
	local out=$1 sargs=$2 dns
	shift 2
	rc=none
	for _ in 1 2 3; do
		dns=$(cli_rand_port)
		# shellcheck disable=SC2086
		cli_start_serve m07 "$dns" $sargs || break
		rm -f "$out.json"
		timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
			--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
			--quiet --timeout 6 --step-timeout 1500 "${sel[@]}" --json "$out.json" "$@" \
			>"$out.txt" 2>"$out.err"
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$out.err" || break
		rc=none
	done
}

run_vs "$tmp/a" ""
check "conforming run a: exit 0, got $rc ($(head -c 300 "$tmp/a.err"))" test "$rc" = 0
run_vs "$tmp/b" ""
check "conforming run b: exit 0, got $rc ($(head -c 300 "$tmp/b.err"))" test "$rc" = 0
run_vs "$tmp/c" "--misbehave unverified-valid"
check "misbehaving run c: exit 1, got $rc ($(head -c 300 "$tmp/c.err"))" test "$rc" = 1

# 1. Two runs of the same conforming partner: no change (times, ids, ports differ).
check "a and b differ in times and stream ids" \
	test "$(cli_jq -c '[.started, .results[].seconds]' "$tmp/a.json")" != "$(cli_jq -c '[.started, .results[].seconds]' "$tmp/b.json")"
"$bin" diff "$tmp/a.json" "$tmp/b.json" >"$tmp/ab.txt" 2>"$tmp/ab.err"
rc=$?
check "diff a b: exit 0, got $rc ($(cat "$tmp/ab.err"))" test "$rc" = 0
check "diff a b: no change [$(cat "$tmp/ab.txt")]" test "$(tail -1 "$tmp/ab.txt")" = "no change"
"$bin" diff --json "$tmp/a.json" "$tmp/b.json" >"$tmp/ab.json"
check "diff --json a b: changed false, every list empty" \
	test "$(cli_jq -c '[.changed, .worse, ([.regressions, .fixed, .verdicts, .observed, .added, .removed, .domains] | map(length) | add), .classification.changed]' "$tmp/ab.json")" = '[false,false,0,false]'

# 2. One scenario changed: exactly that regression.
"$bin" diff "$tmp/a.json" "$tmp/c.json" >"$tmp/ac.txt" 2>"$tmp/ac.err"
rc=$?
cat "$tmp/ac.txt"
check "diff a c: exit 1 (a change), got $rc" test "$rc" = 1
"$bin" diff --json "$tmp/a.json" "$tmp/c.json" >"$tmp/ac.json"
check "diff a c: exactly one regression, $changed, match -> mismatch" \
	test "$(cli_jq -c '[.regressions[] | [.id, .old_verdict, .new_verdict]]' "$tmp/ac.json")" = "[[\"$changed\",\"match\",\"mismatch\"]]"
check "diff a c: nothing else changed" \
	test "$(cli_jq -c '[([.fixed, .verdicts, .observed, .added, .removed, .domains] | map(length) | add), .classification.changed, .worse]' "$tmp/ac.json")" = '[0,false,true]'
check "diff a c: the text names it" grep -q "^  regression  $changed: match -> mismatch" "$tmp/ac.txt"
check "diff a c: the text has one change line" test "$(grep -c '^  ' "$tmp/ac.txt")" = 1
"$bin" diff --fail-on regression "$tmp/a.json" "$tmp/c.json" >/dev/null
check "diff --fail-on regression a c: exit 1 (worse)" test $? = 1
"$bin" diff --json "$tmp/c.json" "$tmp/a.json" >"$tmp/ca.json"
check "diff c a: $changed fixed, not worse" \
	test "$(cli_jq -c '[[.fixed[].id], (.regressions | length), .worse]' "$tmp/ca.json")" = "[[\"$changed\"],0,false]"
"$bin" diff --fail-on regression "$tmp/c.json" "$tmp/a.json" >/dev/null
check "diff --fail-on regression c a: exit 0 (better)" test $? = 0
"$bin" diff "$tmp/c.json" "$tmp/a.json" >/dev/null
check "diff c a: exit 1 (a change)" test $? = 1

# 3. run --baseline.
run_vs "$tmp/d" "" --baseline "$tmp/a.json" --fail-on regression
check "run --baseline a --fail-on regression, conforming: exit 0, got $rc" test "$rc" = 0
check "... and prints no change" grep -qx "no change" "$tmp/d.txt"
run_vs "$tmp/e" "--misbehave unverified-valid" --baseline "$tmp/a.json" --fail-on regression
check "run --baseline a --fail-on regression, misbehaving: exit 1 (worse), got $rc" test "$rc" = 1
check "... and names the regression" grep -q "^  regression  $changed: match -> mismatch" "$tmp/e.txt"
run_vs "$tmp/f" "--misbehave unverified-valid" --baseline "$tmp/c.json" --fail-on regression
check "run --baseline c --fail-on regression, same mismatch again: exit 0 (not worse), got $rc" \
	test "$rc" = 0
run_vs "$tmp/g" "--misbehave unverified-valid" --baseline "$tmp/c.json"
check "run --baseline c without --fail-on, same mismatch: exit 1 as today, got $rc" test "$rc" = 1
check "... the JSON report is the usual one" test "$(cli_jq '.results | length' "$tmp/g.json")" = 3

# 4. Input errors.
echo '{"schema":1}' >"$tmp/notrun.json"
"$bin" diff "$tmp/notrun.json" "$tmp/a.json" >/dev/null 2>"$tmp/n.err"
check "diff of a file that is not a run report: exit 2" test $? = 2
check "... saying so" grep -q "not a run report" "$tmp/n.err"
"$bin" diff "$tmp/a.json" >/dev/null 2>&1
check "diff with one file: exit 2" test $? = 2
"$bin" run --partner "$src/fixtures/partners/m07.xml" --fail-on regression >/dev/null 2>&1
check "run --fail-on without --baseline: exit 2" test $? = 2
"$bin" run --partner "$src/fixtures/partners/m07.xml" --baseline "$tmp/missing.json" >/dev/null 2>&1
check "run --baseline with a missing file: exit 2 before the run" test $? = 2
finish baseline
