#!/usr/bin/env bash
# The smart silence window (issue 13 item 4; docs/timeouts.md "Smart silence window"):
# `s2scheck run` against `s2scheck serve` (M13: TLS Required, dialback) over loopback,
# the scenario dialback-authoritative-none-out (our authoritative server never answers
# the partner's db:verify: the harness's EXPECT_DB_RESULT step ends in silence), with
# --step-timeout 4000 as every step's ceiling:
# - alone: nothing is measured before its wait, so the full step (4 s) applies and the
#   cause has no smart-window note;
# - after two quick dialback scenarios (matrix-h15-out, matrix-h9-out: a db:result
#   answered after the partner's verify round trip, started first by the order): the
#   window is clamp(4 x slowest, 1 s, 4 s), the scenario ends well before 4 s, its cause
#   and transcript name the window, the verdict is the same (match), and the quick
#   scenarios still match.
# Usage: smartwait.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
SILENT=dialback-authoritative-none-out

# run_ LABEL ONLY...: one run against serve M13; sets $out (the JSON report).
run_() {
	local label=$1 dns rc=none only=()
	shift
	for s in "$@"; do only+=(--only "$s"); done
	out=$tmp/$label.json
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$(cli_rand_port)
		cli_start_serve m13 "$dns" || break
		rm -f "$out"
		timeout -k 5 60 "$bin" run --partner "$src/fixtures/partners/m13.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --no-preflight --timeout 20 \
			--step-timeout 4000 "${only[@]}" --json "$out" --transcripts "$tmp/$label.tr" \
			>"$tmp/$label.txt" 2>"$tmp/$label.err"
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$tmp/$label.err" || break
		rc=none
	done
	check "$label: exit 0, got $rc ($(head -c 300 "$tmp/$label.err"))" test "$rc" = 0
}

# res ID FIELD: that result's FIELD, as jq -r prints it.
res() { jq -r --arg id "$1" ".results[] | select(.id == \$id) | .$2" "$out"; }

# 1. Alone: the full step, no note.
run_ alone "$SILENT"
secs=$(res "$SILENT" seconds)
check "alone: verdict match, got $(res "$SILENT" verdict)" test "$(res "$SILENT" verdict)" = match
check "alone: the full 4 s step (nothing measured yet), took $secs s" \
	awk -v s="$secs" 'BEGIN {exit !(s >= 3.9)}'
check "alone: no smart-window note in the cause ($(res "$SILENT" cause))" \
	bash -c '! grep -q "smart window" <<<"$1"' _ "$(res "$SILENT" cause)"

# 2. After quick scenarios that measured the partner's verify round trip.
run_ measured matrix-h15-out matrix-h9-out "$SILENT"
secs=$(res "$SILENT" seconds)
cause=$(res "$SILENT" cause)
echo "measured: $SILENT took $secs s: $cause"
for id in matrix-h15-out matrix-h9-out "$SILENT"; do
	check "measured: $id verdict match, got $(res "$id" verdict)" test "$(res "$id" verdict)" = match
done
check "measured: the window ended it well before the 4 s step, took $secs s" \
	awk -v s="$secs" 'BEGIN {exit !(s >= 0.9 && s < 3.5)}'
check "measured: the cause names the window ($cause)" \
	grep -Eq "silence for [0-9]+ ms \(smart window: (the floor 1000 ms; )?4 x slowest answer [0-9]+ ms\)" <<<"$cause"
check "measured: the transcript has the note" \
	grep -q "smart window" "$tmp/measured.tr/$SILENT.txt"
finish smartwait
