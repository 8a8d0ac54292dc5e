#!/usr/bin/env bash
# Issue 10's acceptance, the deployed behaviours at once: `serve` with the knobs of
# docs/peers.md "Deployed behaviours and how each is judged" switched on, as partners
# whose methods are those of M13, M15 and M17, and `run` (the whole suite) against it.
# Each must classify as its class (E5, E6, E7) with no `error` verdict and no scenario
# waiting for --timeout; the mismatches are exactly the rules the knobs break (listed
# below, each explained in docs/peers.md), and the multiplexed and legacy streams show
# in the transcripts of the scenarios they were attributed to.
# Usage: deployed-all.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
TIMEOUT=25
STEP_MS=2000
# reuse-connection too: the partner carries pairs for other scenarios' domains on
# whatever stream it has to the harness address (XEP-0220 §2.6). A stream carries
# another scenario's pair only when that scenario would have negotiated it the same
# way; otherwise it answers <resource-constraint/> (XEP-0220 §2.5, DB-7) and the
# partner opens a stream of its own (docs/peers.md, "Every harness domain answered
# on any stream"), so no cell depends on which stream the partner happened to reuse.
KNOBS=(legacy-header reuse-connection verify-after-own-route verify-unhosted-target
	drop-unauthenticated-stanzas stall-without-tls starttls-not-required)
serve_args=()
for k in "${KNOBS[@]}"; do serve_args+=(--misbehave "$k"); done

# The knobs every partner shows (docs/peers.md): the unhosted target verified (DB-6),
# and the stream errors a silent partner does not send (RFC 6120 §4.3.5, §4.9.3.9).
common="dialback-unhosted-target-out order-stanza-before-auth-out order-unauthenticated-from-out"
# starttls-not-required only changes a TLS-Required partner (M13): the harness rows
# with TLS NotSupported see F4 (or no common method) where M13 predicts F2, and the
# features scenarios report the missing <required/> (RFC 6120 §5.4.1).
m13_extra="downgrade-plaintext-dialback-out features-h1-out features-h13-out features-h17-out
features-h9-out matrix-h11-out matrix-h12-out matrix-h17-out matrix-h18-out matrix-h5-out
matrix-h6-out strict-h5-out"

for pc in m13:E5 m15:E6 m17:E7; do
	partner=${pc%%:*} class=${pc##*:} label=all-${pc%%:*} rc=none
	out=$tmp/$label
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$(cli_rand_port)
		cli_start_serve "$partner" "$dns" "${serve_args[@]}" || break
		rm -rf "$out.json" "$out.tr"
		timeout -k 5 240 "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout "$TIMEOUT" \
			--step-timeout "$STEP_MS" --json "$out.json" --transcripts "$out.tr" \
			>"$out.txt" 2>"$out.err"
		rc=$?
		check "$label: serve is still up after the run" kill -0 "$serve_pid"
		cli_stop_serve
		grep -q "Address already in use" "$out.err" || break
		rc=none
	done
	echo "$label: exit $rc, $(cli_jq -c .summary "$out.json")"
	check "$label: exit 1 (the knobs' own violations), got $rc" test "$rc" = 1
	check "$label: classified as $class, got $(cli_jq -c .classification.classes "$out.json")" \
		test "$(cli_jq -c .classification.classes "$out.json")" = "[\"$class\"]"
	check "$label: no error verdict" test "$(cli_jq .summary.error "$out.json")" = 0
	check "$label: no scenario ran until --timeout" \
		test "$(cli_jq --argjson t "$TIMEOUT" '[.results[] | select(.seconds >= $t - 5)] | length' \
			"$out.json")" = 0
	want=$common
	[ "$partner" = m13 ] && want="$want $m13_extra"
	want=$(tr ' ' '\n' <<<"$want" | grep . | sort | tr '\n' ' ')
	got=$(cli_jq -r '.results[] | select(.verdict == "mismatch") | .id' "$out.json" |
		sort | tr '\n' ' ')
	check "$label: the mismatches are the knobs' violations [got: $got]" test "$got" = "$want"
	if [ "$got" != "$want" ]; then # say why, for the log
		for id in $(comm -13 <(tr ' ' '\n' <<<"$want" | grep .) <(tr ' ' '\n' <<<"$got" | grep .)); do
			echo "  unexpected $id: $(jq -r --arg id "$id" '.results[] | select(.id == $id) |
				"\(.expected) observed \(.observed | join("|")): \(.cause)"' "$out.json")"
			tail -n 40 "$out.tr/$id.txt" | cut -c1-240
		done
	fi
	# reuse-connection: the pairs another scenario's stream refused (or carried) show
	# in the transcripts of the scenarios they name; how many depends on timing, the
	# verdicts above do not.
	refused=$(grep -l "not taken there" "$out.tr"/*.txt 2>/dev/null | wc -l)
	carried=$(grep -l "a stream of another node" "$out.tr"/*.txt 2>/dev/null | wc -l)
	echo "$label: $refused scenario(s) had a pair refused on another scenario's stream, $carried had one carried"
	if [ "$refused" -gt 0 ]; then
		check "$label: a refused pair is a note, never a finding against the partner" \
			test "$(cli_jq '[.results[] | .findings[]? | tostring | select(test("resource-constraint"))] | length' \
				"$out.json")" = 0
	fi
	check "$label: every refused stream is in the run-level transcript" \
		test "$(jq '.refused.total' "$out.json")" = 0 -o -s "$out.tr/_run.txt"
	# (dialback-authoritative-error-out answers <item-not-found/> on purpose, on
	# whatever stream the partner's db:verify comes, _run.txt's legacy ones too.)
	check "$label: no <item-not-found/> for a harness name" \
		bash -c "! grep -h 'item-not-found' '$out.tr'/*.txt | grep 'harness.test' |
			grep -vq 'from=.dialback-authoritative-error-out.harness.test'"
done

# Where the streams went: M17 (no TLS) sends legacy headers, so its pairs come on
# streams that name no domain (the run's base node) and are attributed to the
# scenario they name.
check "all-m17: a pair that came on a legacy stream is in its scenario's transcript" \
	grep -q "(on a legacy stream)" "$tmp/all-m17.tr/matrix-h17-in.txt"
check "all-m17: the runner says which stream carried another scenario's pair" \
	bash -c "grep -l 'a stream of another node' '$tmp/all-m17.tr/'*-in.txt | grep -q ."

finish deployed-all
