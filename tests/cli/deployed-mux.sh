#!/usr/bin/env bash
# Deployed behaviours of real partners (issue 10 items 1, 2 and 5), over the wire:
# `s2scheck run` against `s2scheck serve --misbehave NAME`, with the matrix in both
# directions (the partner receiving: outbound scenarios; the partner initiating:
# inbound ones). A conforming partner that behaves so must still get every cell
# right (exit 0), no <item-not-found/> for a name the harness serves, and the
# classification of its own row.
# - legacy-header: the partner opens its streams with the pre-1.0 dialback header
#   (no to, from or version). Its streams land on no scenario's node; each
#   db:result and db:verify is answered and judged for the domain it names
#   (RFC 6120 §4.7.2, XEP-0220 §2.6) and attributed to that domain's scenario.
# Usage: deployed-mux.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

# start_serve PARTNER SERVE_ARGS...: serve on an ephemeral port; sets serve_pid, serve_port.
start_serve() {
	local partner=$1 log=$tmp/serve.log
	shift
	: >"$log"
	"$bin" serve --partner "$src/fixtures/partners/$partner.xml" --listen 127.0.0.1:0 \
		--resolver "127.0.0.1:$dns" --ca "$pki/ca.pem" --cert "$pki/partner.test.pem" \
		--key "$pki/partner.test.key" "$@" 2>"$log" &
	serve_pid=$!
	pids+=("$serve_pid")
	serve_port=""
	for _ in $(seq 1 100); do # at most 10 s (sanitizer builds start slowly)
		serve_port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$log")
		[ -n "$serve_port" ] && return 0
		kill -0 "$serve_pid" 2>/dev/null || break
		sleep 0.1
	done
	echo "serve did not start: $(cat "$log")"
	return 1
}

stop_serve() {
	kill "$serve_pid" 2>/dev/null
	wait "$serve_pid" 2>/dev/null
}

# deployed LABEL PARTNER CLASS ONLY NAME...: serve PARTNER with the behaviours, run the
# scenarios ONLY against it (the DNS port is random: retried on a clash), then check.
deployed() {
	local label=$1 partner=$2 class=$3 only=$4 out=$tmp/$1 rc=none try
	shift 4
	local args=()
	for n in "$@"; do args+=(--misbehave "$n"); done
	for try in 1 2 3; do
		dns=$((20000 + RANDOM % 40000))
		start_serve "$partner" "${args[@]}" || break
		timeout -k 5 200 "$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout 20 --only "$only" \
			--json "$out.json" --transcripts "$out.tr" >"$out.txt" 2>"$out.err"
		rc=$?
		cp "$tmp/serve.log" "$out.serve"
		stop_serve
		grep -q "Address already in use" "$out.err" || break
		rc=none
	done
	local bad
	bad=$(jq -r '[.results[] | select(.verdict != "match") | "\(.id)=\(.verdict): \(.cause)"] | .[:3] | join("; ")' "$out.json" 2>/dev/null)
	check "$label: exit 0, got $rc ($(head -c 200 "$out.err")) [$bad]" test "$rc" = 0
	check "$label: every cell matches [$(jq -c .summary "$out.json" 2>/dev/null)]" \
		test "$(jq '.summary.mismatch + .summary.error' "$out.json" 2>/dev/null)" = 0
	check "$label: classified as $class [$(jq -r '.classification.classes | join(",")' "$out.json" 2>/dev/null)]" \
		test "$(jq -r '.classification.classes | join(",")' "$out.json" 2>/dev/null)" = "$class"
	check "$label: no <item-not-found/> for a harness name" \
		bash -c "! grep -h \"item-not-found\" '$out.tr'/*.txt | grep -q 'harness.test'"
}

# 1. legacy-header (M17: no TLS, dialback; a legacy header can carry nothing else).
deployed legacy-in m17 E7 matrix legacy-header
out=$tmp/legacy-in
check "legacy-header: an inbound transcript shows the pair carried on a legacy stream" \
	grep -q "<db:result from='partner.test' to='matrix-h17-in.harness.test'/> (on a legacy stream)" \
	"$out.tr/matrix-h17-in.txt"
check "legacy-header: ... and attributed to the scenario" \
	grep -q "runner: the pair partner.test -> matrix-h17-in.harness.test came on harness#.*, a stream of another node" \
	"$out.tr/matrix-h17-in.txt"
check "legacy-header: the missing 'to' is a finding with its rule" \
	jq -e '[.results[] | select(.id == "matrix-h17-in") | .findings[] | select(test("RFC 6120 §4.7.2 \\(STR-1\\)"))] | length > 0' "$out.json" >/dev/null
check "legacy-header: outbound, the partner's db:verify on a legacy stream is answered for the scenario's domain" \
	grep -q "<db:verify from='partner.test' to='matrix-h17-out.harness.test' id='[0-9a-f]*'/> (on a legacy stream)" \
	"$out.tr/matrix-h17-out.txt"
check "legacy-header: ... with that domain's secret" \
	grep -q "authoritative: key for matrix-h17-out.harness.test -> partner.test id .* is right; answering valid" \
	"$out.tr/matrix-h17-out.txt"

finish deployed-mux
