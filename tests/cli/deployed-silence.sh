#!/usr/bin/env bash
# Silence is an answer (issue 10 item 3, item 5's last two behaviours): `s2scheck
# run` against `s2scheck serve --misbehave NAME` over loopback, for the partners
# that answer by saying nothing.
# - drop-unauthenticated-stanzas (R): the partner drops an unsolicited claim, an
#   early stanza and a stanza from a domain never authenticated, silently. The
#   claim is judged 'claim ignored' (F3/F4, XEP-0220 §3.1) after its step; the
#   missing stream errors are failed checks after the settle time. With the
#   partner initiating, the knob changes nothing.
# - stall-without-tls (I): the partner, TLS Required, finds no STARTTLS and stalls.
#   The harness (H17) judges F1|F4 after one step. With the partner receiving, the
#   knob changes nothing.
# Every case asserts the verdict and that no scenario waited for --timeout; at the
# end the whole suite runs with both knobs on (M13, M15, M17 still classify).
# Usage: deployed-silence.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

# The run's bounds: a step of 2 s; the settle time of a real partner is 10 s
# (docs/timeouts.md), so --timeout 25 leaves room to see that nothing waited for it.
TIMEOUT=25
STEP_MS=2000

# group LABEL PARTNER KNOB EXIT SCENARIO...: one `run` of the scenarios against
# `serve --misbehave KNOB`; sets $out (the JSON report) for the checks that follow.
group() {
	local label=$1 partner=$2 knob=$3 want=$4 dns rc=none t0 t1
	shift 4
	local only=()
	for s in "$@"; do only+=(--only "$s"); done
	out=$tmp/$label.json
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$(cli_rand_port)
		cli_start_serve "$partner" "$dns" --misbehave "$knob" || break
		rm -rf "$out" "$tmp/$label.tr"
		t0=$(date +%s)
		timeout -k 5 $((TIMEOUT * 3)) "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout "$TIMEOUT" \
			--step-timeout "$STEP_MS" "${only[@]}" --json "$out" \
			--transcripts "$tmp/$label.tr" >"$tmp/$label.txt" 2>"$tmp/$label.err"
		rc=$?
		t1=$(date +%s)
		check "$label: serve --misbehave $knob is still up after the run" kill -0 "$serve_pid"
		cli_stop_serve
		grep -q "Address already in use" "$tmp/$label.err" || break
		rc=none
	done
	echo "$label: exit $rc in $((t1 - t0)) s"
	check "$label: exit $want, got $rc ($(head -c 300 "$tmp/$label.err"))" test "$rc" = "$want"
	check "$label: one result per scenario" \
		test "$(cli_jq '.results | length' "$out")" = "$#"
	check "$label: no verdict is an error" \
		test "$(jq '[.results[] | select(.verdict == "error")] | length' "$out")" = 0
	for s in "$@"; do
		local secs
		secs=$(jq -r --arg s "$s" '.results[] | select(.id == $s) | .seconds' "$out")
		check "$label/$s: ended before --timeout ($secs s < $TIMEOUT s)" \
			awk -v t="$secs" -v m="$TIMEOUT" 'BEGIN { exit !(t != "" && t + 0 < m - 5) }'
		check "$label/$s: the transcript shows no scenario timeout" \
			test -s "$tmp/$label.tr/$s.txt" -a -z "$(grep -l 'runner: scenario timeout' "$tmp/$label.tr/$s.txt")"
	done
}

# field SCENARIO JQ_EXPR: a field of one result.
field() { jq -r --arg s "$1" ".results[] | select(.id == \$s) | $2" "$out"; }

# expect LABEL SCENARIO VERDICT OBSERVED CAUSE_REGEX [FAILED_CHECK]
expect() {
	local label=$1 s=$2 verdict=$3 observed=$4 cause=$5 failed=${6:-null}
	local got
	got=$(field "$s" .verdict)
	check "$label/$s: verdict $verdict, got $got ($(field "$s" .cause))" test "$got" = "$verdict"
	got=$(field "$s" '.observed | join("|")')
	check "$label/$s: observed $observed, got $got" test "$got" = "$observed"
	got=$(field "$s" .cause)
	check "$label/$s: the cause matches /$cause/: $got" grep -Eq -- "$cause" <<<"$got"
	got=$(field "$s" .failed_check)
	check "$label/$s: failed check $failed, got $got" test "$got" = "$failed"
}

# 1. drop-unauthenticated-stanzas, the partner receiving (outbound), plaintext (M17).
group drop-out-m17 m17 drop-unauthenticated-stanzas 1 \
	dialback-unsolicited-valid-out order-stanza-before-auth-out order-unauthenticated-from-out
expect drop-out-m17 dialback-unsolicited-valid-out match F4 \
	"^claim ignored: .*dropped silently \(DB-9\).*not answered"
check "drop-out-m17: the claim is judged by its rule" \
	test "$(field dialback-unsolicited-valid-out .spec)" = "XEP-0220 §3.1"
check "drop-out-m17: the claim ended by its step (2 s), not by the settle time" \
	awk -v t="$(field dialback-unsolicited-valid-out .seconds)" 'BEGIN { exit !(t + 0 < 8) }'
check "drop-out-m17: the claim's transcript shows the silent wait" \
	grep -q "EXPECT_FEATURES -> EXPECT_CLAIM_ANSWER" "$tmp/drop-out-m17.tr/dialback-unsolicited-valid-out.txt"
# The early stanza and the stanza from rogue.example were not processed (no answer),
# but no stream error came either: RFC 6120 §4.3.5, §4.9.3.9 (reference STR-7).
expect drop-out-m17 order-stanza-before-auth-out mismatch Dp "." not-authorized-close
check "drop-out-m17: the missing <not-authorized/> is a finding" \
	grep -q "did not get <not-authorized/> (stream error: none)" \
	<<<"$(field order-stanza-before-auth-out '.findings[]')"
check "drop-out-m17: the early stanza was not processed (no-stanza-accepted holds)" \
	grep -q "check no-stanza-accepted holds" "$tmp/drop-out-m17.tr/order-stanza-before-auth-out.txt"
expect drop-out-m17 order-unauthenticated-from-out mismatch Dp \
	"did not get <invalid-from/> \(stream error: none\)" invalid-from

# 2. The same over TLS (M13): the claim is F3.
group drop-out-m13 m13 drop-unauthenticated-stanzas 0 dialback-unsolicited-valid-out
expect drop-out-m13 dialback-unsolicited-valid-out match F3 "^claim ignored: "

# 3. drop-unauthenticated-stanzas, the partner initiating (inbound): nothing it drops
# is in its way, so the partner authenticates into the harness as configured.
group drop-in-m13 m13 drop-unauthenticated-stanzas 0 matrix-h13-in
expect drop-in-m13 matrix-h13-in match Dt "dialback authenticated partner.test"

# 4. stall-without-tls, the partner initiating (inbound) with TLS Required (M13) into
# a harness that offers no STARTTLS (H17): F1|F4 after one step, never an error.
group stall-in-m13 m13 stall-without-tls 0 downgrade-no-starttls-in matrix-h17-in
for s in downgrade-no-starttls-in matrix-h17-in; do
	expect stall-in-m13 "$s" match "F1|F4" \
		"^timeout while EXPECT_AUTH \(no STARTTLS offered; the peer tried nothing and did not close\)"
	check "stall-in-m13/$s: judged after one step (2 s), not the timeout" \
		awk -v t="$(field "$s" .seconds)" 'BEGIN { exit !(t + 0 >= 1.5 && t + 0 < 8) }'
done

# 5. stall-without-tls, the partner receiving (outbound): the knob is about its own
# outgoing streams, so H17 against M13 is the usual F2.
group stall-out-m13 m13 stall-without-tls 0 matrix-h17-out
expect stall-out-m13 matrix-h17-out match F2 "requires TLS"

# 6. Both knobs at once, the whole suite (issue 10 acceptance, for these two knobs): a
# partner with the methods of M13, M15, M17 still classifies as E5, E6, E7, with no
# error verdict and no scenario at --timeout; the only mismatches are the two missing
# stream errors above.
for pc in m13:E5 m15:E6 m17:E7; do
	partner=${pc%%:*} class=${pc##*:} label=suite-${pc%%:*} rc=none
	out=$tmp/$label.json
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$(cli_rand_port)
		cli_start_serve "$partner" "$dns" --misbehave drop-unauthenticated-stanzas \
			--misbehave stall-without-tls || break
		rm -f "$out"
		timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout "$TIMEOUT" \
			--step-timeout "$STEP_MS" --json "$out" >"$tmp/$label.txt" 2>"$tmp/$label.err"
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$tmp/$label.err" || break
		rc=none
	done
	echo "$label: exit $rc, $(cli_jq -c .summary "$out")"
	check "$label: exit 1 (the two findings), got $rc" test "$rc" = 1
	check "$label: classified as $class, got $(cli_jq -c .classification.classes "$out")" \
		test "$(cli_jq -c .classification.classes "$out")" = "[\"$class\"]"
	check "$label: no error verdict" test "$(cli_jq .summary.error "$out")" = 0
	check "$label: the mismatches are the missing stream errors" \
		test "$(cli_jq -c '[.results[] | select(.verdict == "mismatch") | .failed_check] | sort' \
			"$out")" = '["invalid-from","not-authorized-close"]'
	check "$label: no scenario ran until --timeout" \
		test "$(cli_jq --argjson t "$TIMEOUT" '[.results[] | select(.seconds >= $t - 5)] | length' \
			"$out")" = 0
done

finish deployed-silence
