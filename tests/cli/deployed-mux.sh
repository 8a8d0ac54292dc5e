#!/usr/bin/env bash
# Deployed behaviours of real partners (issue 10 items 1, 2 and 5), over the wire:
# `s2scheck run` against `s2scheck serve --misbehave NAME`, with the matrix in both
# directions (the partner receiving: outbound scenarios; the partner initiating:
# inbound ones). A conforming partner that behaves so must still get every cell
# right (exit 0), no <item-not-found/> for a name the harness serves, and the
# classification of its own row.
# 1. legacy-header: the partner opens its streams with the pre-1.0 dialback header
#    (no to, from or version). Its streams land on no scenario's node; each
#    db:result and db:verify is answered and judged for the domain it names
#    (RFC 6120 §4.7.2, XEP-0220 §2.6) and attributed to that domain's scenario.
# 2. reuse-connection: one connection per address; for the partner as initiating
#    server, pairs for other harness domains on it (XEP-0220 §2.6).
# 3. verify-after-own-route: the partner's db:verify on its own route's stream.
# 4. all of them at once (with verify-unhosted-target): M13, M15, M17 -> E5, E6, E7.
# Usage: deployed-mux.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

# deployed LABEL PARTNER CLASS ONLY NAME...: serve PARTNER with the behaviours, run the
# scenarios ONLY against it (the DNS port is random: retried on a clash), then check.
deployed() {
	local label=$1 partner=$2 class=$3 only=$4 out=$tmp/$1 rc=none try
	shift 4
	local args=()
	for n in "$@"; do args+=(--misbehave "$n"); done
	for try in 1 2 3; do
		dns=$(cli_rand_port)
		cli_start_serve "$src/fixtures/partners/$partner.xml" "$dns" "${args[@]}" || break
		timeout -k 5 200 "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout 20 --only "$only" \
			--json "$out.json" --transcripts "$out.tr" >"$out.txt" 2>"$out.err"
		rc=$?
		cp "$tmp/serve.log" "$out.serve"
		cli_stop_serve
		grep -q "Address already in use" "$out.err" || break
		rc=none
	done
	local bad
	bad=$(cli_jq -r '[.results[] | select(.verdict != "match") | "\(.id)=\(.verdict): \(.cause)"] | .[:3] | join("; ")' "$out.json")
	check "$label: exit 0, got $rc ($(head -c 200 "$out.err")) [$bad]" test "$rc" = 0
	check "$label: every cell matches [$(cli_jq -c .summary "$out.json")]" \
		test "$(cli_jq '.summary.mismatch + .summary.error' "$out.json")" = 0
	check "$label: classified as $class [$(cli_jq -r '.classification.classes | join(",")' "$out.json")]" \
		test "$(cli_jq -r '.classification.classes | join(",")' "$out.json")" = "$class"
	check "$label: no <item-not-found/> for a harness name" \
		bash -c "! grep -h \"item-not-found\" '$out.tr'/*.txt | grep -q 'harness.test'"
}

# 1. legacy-header (M17: no TLS, dialback; a legacy header can carry nothing else).
deployed legacy-in m17 E7 matrix legacy-header
out=$tmp/legacy-in
check "legacy-header: an inbound transcript shows the pair carried on a legacy stream" \
	grep -q "<db:result from='partner.test' to='matrix-h17-in.harness.test'/> (on a legacy stream)" \
	"$out.tr/matrix-h17-in.txt"
check "legacy-header: its legacy streams are in the scenarios, none refused [$(jq -c .refused.total "$out.json")]" \
	test "$(jq '.refused.total' "$out.json")" = 0
check "legacy-header: ... and attributed to the scenario" \
	grep -q "runner: the pair partner.test -> matrix-h17-in.harness.test came on harness[-a-z]*#.*, a stream of another node" \
	"$out.tr/matrix-h17-in.txt"
check "legacy-header: the missing 'to' is a finding with its rule" \
	jq -e '[.results[] | select(.id == "matrix-h17-in") | [.findings, .finding_rules] | transpose[] | select((.[0] | test("initiating header has no .to. .*\\[RFC 6120 §4.7.2\\]|\\[RFC 6120 §4.7.2\\] .*initiating header has no .to.")) and .[1] == "H-HDR-TO")] | length > 0' "$out.json" >/dev/null
check "legacy-header: outbound, the partner's db:verify on a legacy stream is answered for the scenario's domain" \
	grep -q "<db:verify from='partner.test' to='matrix-h17-out.harness.test' id='[0-9a-f]*'/> (on a legacy stream)" \
	"$out.tr/matrix-h17-out.txt"
check "legacy-header: ... with that domain's secret" \
	grep -q "authoritative: key for matrix-h17-out.harness.test -> partner.test id .* is right; answering valid" \
	"$out.tr/matrix-h17-out.txt"

# 2. reuse-connection: one connection per address, in both roles (M13, M15, M17). As
# initiating server the partner multiplexes the pairs for other harness domains on a
# stream it has to the harness address: each is judged under its own scenario's
# settings and attributed to it when that scenario would have negotiated the stream
# the same way, and refused with <resource-constraint/> otherwise (the partner then
# opens a stream of its own). Which streams happen to be open at once is timing; the
# matrix must match either way, and the run says how many pairs were carried or
# refused. The receiving half (its db:verify for a harness key on its authenticated
# stream to the harness address) cannot be forced over the wire: the partner
# verifies when the harness initiates (an outbound scenario, an inbound trigger),
# and holds such a stream only after answering a harness ping or initiating an
# inbound scenario, a stream the runner closes when that scenario ends; so it needs
# one scenario's end to overlap another's start (with --jobs 1, never). It is
# asserted in memory (tests/test_node_mux.c reuse::harness_initiates).
for row in 13:E5 15:E6 17:E7; do
	m=m${row%%:*}
	deployed "reuse-$m" "$m" "${row##*:}" matrix reuse-connection
	echo "reuse-$m: $(grep -l "(on another node's stream)" "$tmp/reuse-$m.tr/"*.txt 2>/dev/null | wc -l) scenario(s) had a request on another node's stream," \
		"$(grep -l "not taken there" "$tmp/reuse-$m.tr/"*.txt 2>/dev/null | wc -l) had a pair refused there"
done
# Where it always shows: the partner answers three harness domains at one address
# (domains-mux-sender-h9-in, their certificates issued by the run): the pairs for
# the other two ride on its stream to the first.
out=$tmp/reuse-three
rc=none
for try in 1 2 3; do
	dns=$(cli_rand_port)
	cli_start_serve m17 "$dns" --misbehave reuse-connection || break
	timeout -k 5 200 "$bin" run --partner "$src/fixtures/partners/m17.xml" \
		--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" --quiet \
		--timeout 20 --only domains-mux-sender-h9-in --json "$out.json" \
		--transcripts "$out.tr" >"$out.txt" 2>"$out.err"
	rc=$?
	cli_stop_serve
	grep -q "Address already in use" "$out.err" || break
	rc=none
done
check "reuse-three: exit 0, got $rc [$(cli_jq -r '.results[0].cause' "$out.json")]" \
	test "$rc" = 0
carried=$(awk '{ sub(/^\[[^]]*\] */, "") } # the time stamp; then label, in, recv, element
	$2 == "in" && $3 == "recv" && $4 ~ /^<db:result/ && match($0, / to="[^"]*"/) {
		k = $1 SUBSEP substr($0, RSTART, RLENGTH); if (!(k in seen)) { seen[k] = 1; n[$1]++ } }
	END { m = 0; for (l in n) if (n[l] > m) m = n[l]; print m }' "$out.tr/domains-mux-sender-h9-in.txt")
check "reuse-three: one stream of the partner's carried the pairs of 3 harness domains (got $carried)" \
	test "${carried:-0}" -eq 3

# 3. verify-after-own-route: to verify a harness key the partner first authenticates
# its own route to that harness domain and sends <db:verify/> on it once valid; where
# the harness's settings refuse that route, it falls back to a verify stream.
for row in 13:E5 15:E6 17:E7; do
	m=m${row%%:*}
	deployed "own-route-$m" "$m" "${row##*:}" matrix verify-after-own-route
	# One receiving stream that carried the partner's db:result and then its db:verify.
	both=$(for f in "$tmp/own-route-$m.tr/"*-out.txt; do
		awk '{ sub(/^\[[^]]*\] */, "") } # the time stamp; then label, in, recv, element
			$2 == "in" && $3 == "recv" && $4 ~ /^<db:result/ { r[$1] = 1 }
			$2 == "in" && $3 == "recv" && $4 ~ /^<db:verify/ && r[$1] { print FILENAME; exit }' "$f"
	done | wc -l)
	check "own-route-$m: the partner's db:verify came on its own route to the scenario ($both)" \
		test "$both" -gt 0
done

# 4. All of them at once (legacy-header only where a legacy header fits: M17).
# verify-unhosted-target (tests/cli/deployed-refusals.sh) changes no matrix cell.
deployed all-m13 m13 E5 matrix reuse-connection verify-after-own-route verify-unhosted-target
deployed all-m15 m15 E6 matrix reuse-connection verify-after-own-route verify-unhosted-target
deployed all-m17 m17 E7 matrix reuse-connection verify-after-own-route verify-unhosted-target \
	legacy-header

finish deployed-mux
