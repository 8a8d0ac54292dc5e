#!/usr/bin/env bash
# Issue 10 item 4, over the wire: `s2scheck serve` as M13 (TLS Required, dialback
# only) with `--misbehave starttls-not-required` (it offers <starttls/> without
# <required/>, RFC 6120 §5.4.1, and drops plaintext dialback silently) against
# `s2scheck run --only matrix`, both directions. The harness rows with TLS
# NotSupported see F4 where M13 predicts F2 (mismatches, never errors); the
# classification still names E5/M13, by behaviour (docs/observables.md), and the
# missing <required/> is a finding: the declared-otherwise pattern, and with
# `--only features` also the features-consistent check. Run once with the partner
# file M13 and the features scenarios (state "matches"), once with M7's (state "class").
# Usage: deployed-classify.sh S2SCHECK SOURCE_DIR BUILD_DIR
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

# start_serve DNS_PORT: serve M13 with the knob on an ephemeral port; sets serve_pid, serve_port.
start_serve() {
	"$bin" serve --partner "$src/fixtures/partners/m13.xml" --listen 127.0.0.1:0 \
		--resolver "127.0.0.1:$1" --ca "$pki/ca.pem" --cert "$pki/partner.test.pem" \
		--key "$pki/partner.test.key" --misbehave starttls-not-required 2>"$tmp/serve.log" &
	serve_pid=$!
	pids+=("$serve_pid")
	cli_wait_listening "$tmp/serve.log" "$serve_pid"
}

stop_serve() {
	kill "$serve_pid" 2>/dev/null
	wait "$serve_pid" 2>/dev/null
}

# run_against PARTNER_FILE OUT [--only WORD]...: sets rc. The run's DNS port is random
# (serve must be told it first): a clash is retried with another one.
run_against() {
	local partner=$1 out=$2 dns
	shift 2
	rc=none
	for _ in 1 2 3; do
		dns=$(cli_rand_port)
		start_serve "$dns" || return 1
		timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout 10 --step-timeout 2000 \
			"$@" --json "$out.json" >"$out.txt" 2>"$out.err"
		rc=$?
		stop_serve
		grep -q "Address already in use" "$out.err" || return 0
		rc=none
	done
}

jqr() { cli_jq -r "$1" "$2.json"; }

# 1. The partner file is its own row, M13.
out=$tmp/own
run_against m13 "$out" --only matrix --only features
check "the run ran (exit 1: mismatches), got $rc ($(head -c 300 "$out.err"))" test "$rc" = 1
check "no scenario is an error" test "$(jqr '.summary.error' "$out")" = 0
# The mismatches are the outbound rows with TLS NotSupported (F4 where M13 says F2) and
# the features scenarios; every inbound scenario (the partner initiating) matches.
want="features-h1-out features-h13-out features-h17-out features-h9-out matrix-h11-out matrix-h12-out matrix-h17-out matrix-h18-out matrix-h5-out matrix-h6-out"
got=$(jqr '.results[] | select(.verdict == "mismatch") | .id' "$out" | LC_ALL=C sort | tr '\n' ' ')
check "mismatches are the TLS-NotSupported outbound rows and the features scenarios (got: $got)" \
	test "$(echo $got)" = "$want"
check "every inbound scenario matches" \
	test "$(jqr '[.results[] | select(.direction == "inbound" and .verdict != "match")] | length' "$out")" = 0
check "inbound scenarios ran (both directions)" \
	test "$(jqr '[.results[] | select(.direction == "inbound")] | length' "$out")" -ge 18
h17=$(jqr '.results[] | select(.id == "matrix-h17-out") | "\(.expected) \(.observed | join("|")) \(.verdict)"' "$out")
check "matrix-h17-out: F4 (a mismatch) where M13 predicts F2, after the partner ignored plaintext dialback [$(jqr '.results[] | select(.id == "matrix-h17-out") | .cause' "$out")]" \
	test "$h17" = "F2 F4 mismatch"
check "matrix-h17-out's transcript shows <starttls/> offered without <required/>" \
	grep -q "features: starttls=offered" <<<"$(jqr '.results[] | select(.id == "matrix-h17-out") | .transcript' "$out")"
check "the classification: matches, by behaviour" \
	test "$(jqr '.classification | "\(.state) \(.compared) \(.partner_row_consistent)"' "$out")" = \
	"matches behaviour true"
check "the classification names E5 and M13" \
	test "$(jqr '.classification | "\(.classes | join(",")) \(.configs | join(",")) \(.suggested_config)"' "$out")" = \
	"E5 M13 M13"
check "the observations that fit M13 only by behaviour: the seven F2 cells, as F2|F4" \
	test "$(jqr '[.classification.behaviour_only[] | select(.expected == "F2" and (.indistinguishable | join("|")) == "F2|F4")] | length' "$out")" = 7
check "the missing <required/> is a finding (features-consistent, RFC 6120 §5.4.1)" \
	test "$(jqr '[.results[] | select(.failed_check == "features-consistent") | select(.cause | test("without <required/>.*RFC 6120 §5.4.1"))] | length' "$out")" -ge 3
check "the findings list it" \
	test "$(jqr '.findings_outside_lync | map(select(startswith("features-h"))) | length' "$out")" = 4
check "the finding pattern declared-otherwise, citing RFC 6120 §5.4.1" \
	test "$(jqr '"\(.finding_patterns | index("declared-otherwise") != null) \([.classification.behaviour_only[].rule] | unique | join(","))"' "$out")" = \
	"true RFC 6120 §5.4.1"
check "the text report says so" grep -q "The configuration matches by behaviour: M13" "$out.txt"
check "the text report does not say that nothing explains the observations" \
	test "$(grep -c "No partner configuration explains" "$out.txt")" = 0

# 2. The partner file says M7 (E4), and only the matrix runs (no features check): the
# observations still fit E5 alone, and the missing <required/> is still a finding.
out=$tmp/other
run_against m07 "$out" --only matrix
check "M7 file: the run ran (exit 1), got $rc ($(head -c 300 "$out.err"))" test "$rc" = 1
check "M7 file: no scenario is an error" test "$(jqr '.summary.error' "$out")" = 0
check "M7 file: the classification is class E5 by behaviour, suggesting M13" \
	test "$(jqr '.classification | "\(.state) \(.compared) \(.classes | join(",")) \(.suggested_config)"' "$out")" = \
	"class behaviour E5 M13"
check "M7 file: the six F2 cells are declared-otherwise findings [RFC 6120 §5.4.1]" \
	test "$(jqr '"\(.finding_patterns | join(",")) \([.classification.behaviour_only[] | select(.rule == "RFC 6120 §5.4.1")] | length)"' "$out")" = \
	"declared-otherwise 6"
check "M7 file: the gateway line is M13's" \
	grep -q 'Set-CsXmppAllowedPartner -Identity "partner.test" -TlsNegotiation Required -SaslNegotiation NotSupported -SupportDialbackNegotiation $True' "$out.txt"

finish deployed-classify
