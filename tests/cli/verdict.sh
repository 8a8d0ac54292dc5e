#!/usr/bin/env bash
# A partner that never answers a step is an error, not a verdict on the partner
# (issue 11 item 7; design.md §3, §7; docs/cli.md exit 3). `s2scheck run` against
# `s2scheck serve --misbehave silence` over loopback, with --step-timeout shorter
# than --timeout, in both directions:
# - silence (R), outbound: the partner accepts the harness's connection and never
#   sends a byte. M13 against H14 expects F0, and the step timer's failure set
#   (F0|F4) agrees with it: only the rule "an environment failure is an error
#   whatever was observed" (harness/verdict.c) keeps it from reading as a match.
# - silence (I), inbound: the partner, asked to connect in, answers nothing on the
#   streams it opens (its dialback verify stream for the harness's trigger): the
#   trigger's db:result step times out and nothing is judged.
# Each asserts exit 3, verdict error, error_cause "environment", cause_class
# "harness-environment", and that the step timer, not --timeout, ended it; a
# control run against the honest partner asserts match and exit 0, so the checks
# can fail.
# Usage: verdict.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

TIMEOUT=20
STEP_MS=1500

# case LABEL SCENARIO EXIT SERVE_ARGS...: one `run` of SCENARIO against `serve`
# as M13 with SERVE_ARGS; sets $out (the JSON report) and $secs (its wall time).
case_() {
	local label=$1 scen=$2 want=$3 dns rc=none t0 t1
	shift 3
	out=$tmp/$label.json
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$(cli_rand_port)
		cli_start_serve m13 "$dns" "$@" || break
		rm -f "$out"
		t0=$(date +%s)
		timeout -k 5 $((TIMEOUT * 3)) "$bin" run --partner "$src/fixtures/partners/m13.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --no-preflight --timeout "$TIMEOUT" \
			--step-timeout "$STEP_MS" --only "$scen" --json "$out" \
			>"$tmp/$label.txt" 2>"$tmp/$label.err"
		rc=$?
		t1=$(date +%s)
		cli_stop_serve
		grep -q "Address already in use" "$tmp/$label.err" || break
		rc=none
	done
	secs=$((t1 - t0))
	echo "$label: exit $rc in $secs s"
	check "$label: exit $want, got $rc ($(head -c 300 "$tmp/$label.err"))" test "$rc" = "$want"
	# A missing or unreadable report fails here (no 2>/dev/null: jq's error shows).
	check "$label: a JSON report with one result for $scen" \
		test "$(jq -r '[.results[] | .id] | join(",")' "$out")" = "$scen"
}

# field NAME: the one result's NAME, as jq -r prints it ("null" for null).
field() { jq -r ".results[0].$1" "$out"; }

# silent LABEL: the checks of a silent partner's result.
silent() {
	local label=$1
	check "$label: verdict error, got $(field verdict) ($(field cause))" \
		test "$(field verdict)" = error
	check "$label: error_cause environment, got $(field error_cause)" \
		test "$(field error_cause)" = environment
	check "$label: cause_class harness-environment (never the partner's), got $(field cause_class)" \
		test "$(field cause_class)" = harness-environment
	check "$label: the step timer ended it, not --timeout ($secs s < $TIMEOUT s)" \
		test "$secs" -lt "$TIMEOUT"
	check "$label: the summary counts it as an error" \
		test "$(jq -c '[.summary.error, .summary.match, .summary.mismatch]' "$out")" = "[1,0,0]"
}

# 0. The control: the honest partner matches (exit 0), with no cause to blame.
case_ control-out matrix-h14-out 0
check "control-out: verdict match, got $(field verdict)" test "$(field verdict)" = match
check "control-out: cause_class null, got $(field cause_class)" test "$(field cause_class)" = null

# 1. The partner as receiving server, silent from the first byte.
case_ out-silence matrix-h14-out 3 --misbehave silence
silent out-silence
check "out-silence: the timer's failure set agrees with F0 (so only the rule decides): $(field observed)" \
	grep -qw F0 <<<"$(field 'observed | join("|")')"
check "out-silence: the cause says the partner never sent anything: $(field cause)" \
	grep -q "timeout while EXPECT_HEADER (the peer never sent anything)" <<<"$(field cause)"
check "out-silence: the text report says error" grep -q "error" "$tmp/out-silence.txt"

# 2. The partner as initiating server: it opens its streams and says nothing.
case_ in-silence matrix-h14-in 3 --misbehave silence --misbehave-as initiating
silent in-silence
check "in-silence: nothing observed, got $(field observed)" test "$(field 'observed | length')" = 0
check "in-silence: the cause names the unanswered step: $(field cause)" \
	grep -q "never connected in.*timeout while EXPECT_DB_RESULT" <<<"$(field cause)"

finish verdict
