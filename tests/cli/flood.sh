#!/usr/bin/env bash
# A listener flood during `s2s run` (issue 9 item 4; docs/timeouts.md "Listeners"):
# 1,100 idle TCP connections to --listen while the suite runs against the built-in
# reference partner. No result may blame the partner (no mismatch; an error only
# with the harness as its cause), and the run ends within its timeouts.
# 1. From a stranger's address (127.0.0.2), reopened as the harness closes them:
#    every scenario matches, exit 0.
# 2. From the partner's own address (127.0.0.1): matches or harness errors only.
# Usage: flood.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
tmp=$(mktemp -d)
flood=$build/tests/s2s_flood
flood_pid=""
trap '[ -n "$flood_pid" ] && kill "$flood_pid" 2>/dev/null; rm -rf "$tmp"' EXIT

check "the flood helper is built" test -x "$flood"

# run_flooded OUT FLOOD_ARGS RUN_ARGS...: the run with a flood on its --listen port;
# retries a few ports (a clash exits 2 before anything runs). Sets rc, secs.
run_flooded() {
	local out=$1 fargs=$2 port start
	shift 2
	mkdir -p "$out"
	for attempt in 1 2 3 4 5; do
		port=$((20000 + RANDOM % 40000))
		# shellcheck disable=SC2086 # fargs is a list of words
		# The helper ends by itself after 90 s; it is stopped (TERM) when the run ends.
		"$flood" 127.0.0.1 "$port" 1100 90 $fargs >"$out/flood" 2>&1 &
		flood_pid=$!
		start=$(date +%s.%N)
		timeout -k 5 150 "$bin" run --partner "$src/fixtures/partners/m13.xml" \
			--listen "127.0.0.1:$port" --step-timeout 10000 --quiet --json "$out/r.json" "$@" \
			>"$out/stdout" 2>"$out/stderr"
		rc=$?
		secs=$(echo "$(date +%s.%N) - $start" | bc)
		kill "$flood_pid" 2>/dev/null
		wait "$flood_pid" 2>/dev/null
		flood_pid=""
		[ "$rc" -ne 2 ] && return 0
		grep -q 'listen' "$out/stderr" || return 0
	done
}

# No result blames the partner: no mismatch, every error is the harness's, and no
# cause is classed as the partner's (cause_class, harness/verdict.h: a harness fault
# never reads as a partner violation).
blames_partner() { # blames_partner JSON: prints the offending results ("jq failed" without a report)
	cli_jq -r '.results[] | select(.verdict == "mismatch" or .verdict == "xfail" or
		(.verdict == "error" and .error_cause != "harness") or
		(.verdict == "error" and .cause_class != "harness-environment") or
		.cause_class == "partner-violation") | "\(.id): \(.verdict) \(.cause_class) \(.cause)"' "$1"
}

# 1. A stranger: per-source cap, accept then close, idle drop; the partner is served.
run_flooded "$tmp/stranger" "--reopen --from 127.0.0.2"
check "stranger: exit 0, got $rc ($(head -c 300 "$tmp/stranger/stderr"))" test "$rc" -eq 0
check "stranger: the flood reached the listener ($(cat "$tmp/stranger/flood"))" \
	grep -q 'closed by the server [1-9]' "$tmp/stranger/flood"
check "stranger: no result blames the partner: $(blames_partner "$tmp/stranger/r.json" | head -3)" \
	test -z "$(blames_partner "$tmp/stranger/r.json")"
check "stranger: every result matches or is skipped" test "$(jq '[.results[] |
	select(.verdict != "match" and .verdict != "skip")] | length' "$tmp/stranger/r.json")" -eq 0
check "stranger: within the timeouts (${secs} s)" test "$(echo "$secs < 120" | bc)" -eq 1

# 2. The same address as the partner: what the caps refuse may be the partner's, so a
# result can only be a match or the harness's own error (exit 0 or 3, never 1).
run_flooded "$tmp/same" "" --only matrix
check "same address: exit 0 or 3, got $rc ($(head -c 300 "$tmp/same/stderr"))" \
	test "$rc" -eq 0 -o "$rc" -eq 3
check "same address: no result blames the partner: $(blames_partner "$tmp/same/r.json" | head -3)" \
	test -z "$(blames_partner "$tmp/same/r.json")"
check "same address: every scenario has a result" \
	test "$(jq '.results | length' "$tmp/same/r.json")" -eq 36
check "same address: a harness error names the shortage" test "$(jq '[.results[] |
	select(.error_cause == "harness") | select(.cause | startswith("the harness ran short") | not)] |
	length' "$tmp/same/r.json")" -eq 0
check "same address: within the timeouts (${secs} s)" test "$(echo "$secs < 120" | bc)" -eq 1

finish flood
