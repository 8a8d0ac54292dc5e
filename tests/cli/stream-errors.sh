#!/usr/bin/env bash
# The exact stream-error negatives (issue 15 item 6, docs/scenarios.md "Checks"): a run
# with --target against `s2scheck serve` (the reference partner over loopback, real TLS
# and DNS) for partner rows that authenticate the harness (M13: dialback over TLS; M1:
# SASL EXTERNAL) and one that authenticates nothing (M6): serve answers a header in the
# wrong stream namespace with <invalid-namespace/>, a header to an unhosted domain with
# <host-unknown/>, a stanza without 'to' with <improper-addressing/> and a stanza that is
# not well-formed with <not-well-formed/>, and each check says so in the transcript.
# Usage: stream-errors.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
ids=(stream-wrong-namespace-out stream-unhosted-to-out stream-stanza-without-to-out
	stream-malformed-stanza-out)
only=()
for id in "${ids[@]}"; do only+=(--only "$id"); done
declare -A cond=([stream-wrong-namespace-out]=invalid-namespace
	[stream-unhosted-to-out]=host-unknown [stream-stanza-without-to-out]=improper-addressing
	[stream-malformed-stanza-out]=not-well-formed)

for m in m13 m01 m06; do
	cli_cmd=("$bin" run --partner "$src/fixtures/partners/$m.xml" --target "127.0.0.1:@PORT@"
		--serve-dns "127.0.0.1:@DNS@" --listen 127.0.0.1:0 --ca "$pki/ca.pem"
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet --timeout 20
		"${only[@]}" --json "$tmp/$m.json" --transcripts "$tmp/$m")
	cli_against_serve "$m" "$tmp/$m"
	check "$m: serve started and a free DNS port was found" test "$cli_started" -eq 1
	check "$m: exit 0, got $rc ($(head -c 300 "$tmp/$m.err"))" test "$rc" -eq 0
	check "$m: the four negatives ran and matched" \
		test "$(cli_jq -r '[.results[] | select(.verdict == "match")] | length' "$tmp/$m.json")" = 4
	for id in "${ids[@]}"; do
		c=${cond[$id]}
		authenticated=$(cli_jq -r ".results[] | select(.id == \"$id\") | .observed | map(select(. == \"S\" or . == \"Dt\" or . == \"Dp\")) | length" "$tmp/$m.json")
		# The stanza negatives are sent once authenticated: against M6 (no common
		# method) nothing is sent, and nothing is judged.
		if [ "$id" = stream-stanza-without-to-out ] || [ "$id" = stream-malformed-stanza-out ]; then
			[ "$authenticated" = 0 ] && continue
		fi
		check "$m $id: serve sent <$c/>" \
			grep -q "recv    <stream:error[^>]*><$c xmlns=\"urn:ietf:params:xml:ns:xmpp-streams\"/>" "$tmp/$m/$id.txt"
		check "$m $id: check $c holds" grep -q "runner: check $c holds" "$tmp/$m/$id.txt"
	done
done
check "M13 authenticates before the stanza negatives (Dt), so they were judged" \
	test "$(cli_jq -r '[.results[] | select(.id == "stream-malformed-stanza-out") | .observed[]] | join(",")' "$tmp/m13.json")" = Dt

finish stream-errors
