#!/usr/bin/env bash
# Deployed refusal behaviours (issue 10), over loopback with real DNS (run
# --serve-dns, serve --resolver):
# 1. `serve --misbehave verify-unhosted-target`: the partner, as receiving server,
#    verifies a <db:result/> for a domain it does not host instead of answering
#    <item-not-found/> (XEP-0220 §2.2.1, DB-6). Scenario dialback-unhosted-target-out
#    is a mismatch naming the rule (TLS: F3 on M13; plaintext: F4 on M17); a
#    conforming partner matches; with the matrix in both directions the partner
#    still classifies to its row (E5) and the defect is a finding.
# 2. Never refuse a stream silently: raw connections to the harness's --listen
#    during a run, with streams no scenario owns (an unknown 'to', a wrong stream
#    namespace), show in the run-level transcript (_run.txt), in the text, JSON and
#    JUnit summaries, and in the cause of the inbound scenario that ran meanwhile.
# Usage: deployed-refusals.sh S2SCHECK SOURCE_DIR BUILD_DIR
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
serve_pid=""

rand_port() { echo $((20000 + RANDOM % 40000)); }



# against OUT PARTNER "SERVE_ARGS" RUN_ARGS...: serve PARTNER with SERVE_ARGS, then
# run against it (same partner file); retries when a random port clashes. Sets rc.
against() {
	local out=$1 partner=$2 sargs=$3 dns
	shift 3
	rc=none
	for _ in 1 2 3; do
		dns=$(rand_port)
		# shellcheck disable=SC2086 # sargs is a list of words
		cli_start_serve "$partner" "$dns" $sargs || break
		timeout -k 5 240 "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout 10 --step-timeout 2000 \
			--json "$out.json" --junit "$out.xml" --transcripts "$out.tr" "$@" \
			>"$out.txt" 2>"$out.err"
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$out.err" || return 0
		rc=none
	done
}

result() { # result JSON ID FIELD
	jq -r --arg id "$2" ".results[] | select(.id == \$id) | .$3" "$1"
}

# 1a. The knob, over TLS (M13) and in plaintext (M17): a mismatch naming DB-6.
for p in m13:F3 m17:F4; do
	partner=${p%%:*} obs=${p##*:} out=$tmp/unhosted-$partner
	against "$out" "$partner" "--misbehave verify-unhosted-target" \
		--only dialback-unhosted-target-out
	cause=$(result "$out.json" dialback-unhosted-target-out cause)
	echo "$partner verify-unhosted-target: exit $rc, cause: $cause"
	check "$partner: exit 1 (a mismatch), got $rc ($(head -c 200 "$out.err"))" test "$rc" = 1
	check "$partner: verdict mismatch" \
		test "$(result "$out.json" dialback-unhosted-target-out verdict)" = mismatch
	check "$partner: observed $obs, never a success" \
		test "$(result "$out.json" dialback-unhosted-target-out 'observed | join("|")')" = "$obs"
	check "$partner: the failed check is db-item-not-found" \
		test "$(result "$out.json" dialback-unhosted-target-out failed_check)" = db-item-not-found
	check "$partner: the cause names the behaviour and the rule: $cause" \
		grep -q "verified dialback for unhosted.partner.test, a domain it does not host, and answered type='valid' instead of a dialback error <item-not-found/> (DB-6) \[DB-6: XEP-0220 §2.2.1\]" <<<"$cause"
	check "$partner: the partner really verified (its db:verify reached the harness)" \
		grep -q "recv    <db:verify" "$out.tr/dialback-unhosted-target-out.txt"
	check "$partner: not used by the classification" \
		test "$(result "$out.json" dialback-unhosted-target-out classified)" = false
done

# 1b. Control: a conforming partner answers <item-not-found/>: the same scenario matches.
out=$tmp/conforming
against "$out" m13 "" --only dialback-unhosted-target-out
check "conforming partner: exit 0, got $rc" test "$rc" = 0
check "conforming partner: match" \
	test "$(result "$out.json" dialback-unhosted-target-out verdict)" = match

# 1c. Both directions, and the classification: the matrix (the partner initiating and
# receiving) against the knob partner still classifies it to its row (M13 E5, M15
# E6, M17 E7); the defect is a finding outside the Lync settings.
for p in m13:E5 m15:E6 m17:E7; do
	partner=${p%%:*} class=${p##*:} out=$tmp/classify-$partner
	against "$out" "$partner" "--misbehave verify-unhosted-target" --only matrix \
		--only dialback-unhosted-target-out
	check "classify $partner: exit 1 (the defect), got $rc" test "$rc" = 1
	check "classify $partner: no error" test "$(jq '.summary.error' "$out.json")" = 0
	check "classify $partner: the only mismatch is the defect" \
		test "$(jq -r '[.results[] | select(.verdict != "match") | .id] | join(",")' "$out.json")" = dialback-unhosted-target-out
	check "classify $partner: inbound and outbound matrix scenarios ran (36)" \
		test "$(jq '[.results[] | select(.classified)] | length' "$out.json")" -eq 36
	check "classify $partner: class $class" \
		test "$(jq -r '.classification.classes | join(",")' "$out.json")" = "$class"
	check "classify $partner: the partner's row is consistent" \
		test "$(jq '.classification.partner_row_consistent' "$out.json")" = true
	check "classify $partner: the defect is a finding outside the Lync settings" \
		test "$(jq -r '.findings_outside_lync | join(",")' "$out.json")" = dialback-unhosted-target-out
done

# 2. Refused streams. The partner is silent as receiving server, so the inbound
# scenario's trigger fails and the partner never connects in; meanwhile a raw
# client connects to the harness's --listen 4 times with streams no scenario owns
# (reading the answers), then 100 times more (a header, then gone): the counts stay
# exact while the run-level transcript keeps only the first 64 streams.
# --no-preflight: the raw client is to reach the run's listener, not the preflight's
# (which listens on the same port for a few seconds before it).
raw() { # raw PORT OUT HEADER: one connection, one header, what comes back (2 s)
	(
		exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
		printf "%s" "$3" >&3
		timeout 2 cat <&3 >"$2"
		exec 3>&-
	) 2>/dev/null
}
unknown="<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' xmlns:db='jabber:server:dialback' to='nobody.example' from='raw.test' version='1.0'>"
wrongns="<stream:stream xmlns='jabber:server' xmlns:stream='http://example.com/wrong' to='harness.test' version='1.0'>"
out=$tmp/refused
rc=none
for _ in 1 2 3; do
	lport=$(rand_port)
	cli_start_serve m13 "$(rand_port)" --misbehave silence || break
	(
		for _ in $(seq 1 100); do # wait (5 s at most) for the run's listener
			(exec 3<>"/dev/tcp/127.0.0.1/$lport") 2>/dev/null && break
			sleep 0.05
		done
		for i in 1 2 3; do raw "$lport" "$out.raw$i" "$unknown"; done
		raw "$lport" "$out.rawns" "$wrongns"
		for _ in $(seq 1 100); do
			(exec 3<>"/dev/tcp/127.0.0.1/$lport" && printf "%s" "$unknown" >&3) 2>/dev/null
		done
	) &
	client=$!
	pids+=("$client")
	timeout -k 5 60 "$bin" run --partner "$src/fixtures/partners/m13.xml" \
		--target "127.0.0.1:$serve_port" --listen "127.0.0.1:$lport" --ca "$pki/ca.pem" \
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 8 \
		--step-timeout 2000 --only matrix-h13-in --json "$out.json" --junit "$out.xml" \
		--no-preflight \
		--transcripts "$out.tr" >"$out.txt" 2>"$out.err"
	rc=$?
	wait "$client" 2>/dev/null
	cli_stop_serve
	grep -q "Address already in use" "$out.err" || break
	rc=none
done
summary="the partner connected 104 times to harness.test without reaching a scenario and was refused: 103 host-unknown (a 'to' not served here) [RFC 6120 §4.9.3.6], 1 XML refused (invalid-namespace) [RFC 6120 §4.9.3]"
check "refused: the run ran, exit 3 (the partner never connected in), got $rc" test "$rc" = 3
check "refused: the raw client got <host-unknown/>" grep -q "<host-unknown " "$out.raw1"
check "refused: the raw client got <invalid-namespace/>" grep -q "<invalid-namespace " "$out.rawns"
check "refused: JSON counts 104" test "$(jq '.refused.total' "$out.json")" = 104
check "refused: JSON, by cause" \
	test "$(jq -r '[.refused.causes[] | "\(.count) \(.cause) \(.rule)"] | join("; ")' "$out.json")" = "103 host-unknown (a 'to' not served here) RFC 6120 §4.9.3.6; 1 XML refused (invalid-namespace) RFC 6120 §4.9.3"
check "refused: the text summary" grep -qF "Refused streams: $summary" "$out.txt"
check "refused: the JUnit properties" \
	grep -qF "<property name=\"refused\" value=\"$summary\"/>" <(sed "s/&apos;/'/g" "$out.xml")
check "refused: the scenario's cause says the partner was refused meanwhile" \
	grep -qF "never connected in to matrix-h13-in.harness.test (meanwhile it connected 104 times to harness.test without reaching a scenario and was refused: 103 host-unknown" \
	<<<"$(result "$out.json" matrix-h13-in cause)"
check "refused: the scenario's transcript points to the run-level one" \
	grep -q "runner: streams outside any scenario while this one ran (meanwhile it connected 104 times.*_run.txt" \
	"$out.tr/matrix-h13-in.txt"
check "refused: the run-level transcript has the first 64 refused streams" \
	test "$(grep -c 'refused outside any scenario' "$out.tr/_run.txt")" -eq 64
check "refused: ... says it keeps no more" \
	grep -q "keeps the first 64 streams .*(104 refused in all)" "$out.tr/_run.txt"
check "refused: ... and JSON says it was cut" \
	test "$(jq '.refused.transcript_truncated' "$out.json")" = true
check "refused: ... with its wire trace" \
	grep -q "harness-base#1 in .*send .*<stream:error><host-unknown" "$out.tr/_run.txt"
check "refused: the JSON transcript is the file's" \
	cmp -s <(jq -j '.refused.transcript' "$out.json") "$out.tr/_run.txt"

finish deployed-refusals
