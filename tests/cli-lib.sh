# Shared by the command-line tests in tests/cli/ (sourced, not run).
# Provides check(), and a closing line that also fails on any sanitizer report:
# in ASan builds ctest points ASAN_OPTIONS/UBSAN_OPTIONS log_path at
# $S2S_SANITIZER_LOG (a prefix), because the scripts capture the program's
# stderr and would otherwise swallow the report.

fail=0
checks=0
# Reports of an earlier run are not this run's.
if [ -n "${S2S_SANITIZER_LOG:-}" ]; then
	rm -f "$S2S_SANITIZER_LOG".*
fi

check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	checks=$((checks + 1))
	if ! "$@"; then
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
}

# cli_jq JQ_ARGS... FILE: jq, except that a missing or unreadable report, or a jq
# error, prints "jq failed: ..." on stdout (and returns 1): no comparison with an
# expected value, not even "" or an empty count, can pass on a report that is not
# there (`jq ... 2>/dev/null` printed nothing, which `test -z` took for success).
cli_jq() {
	local got
	if got=$(jq "$@" 2>&1); then
		printf '%s\n' "$got"
		return 0
	fi
	printf 'jq failed: %s\n' "$(tr '\n' ' ' <<<"$got")"
	return 1
}

# cli_lines TEXT: the number of lines of TEXT, 0 for "" (`wc -l <<<""` says 1).
cli_lines() {
	if [ -z "$1" ]; then
		echo 0
	else
		printf '%s\n' "$1" | wc -l
	fi
}

finish() { # finish NAME
	if [ -n "${S2S_SANITIZER_LOG:-}" ]; then
		for f in "$S2S_SANITIZER_LOG".*; do
			[ -e "$f" ] || continue
			echo "FAIL: sanitizer report $f:"
			cat "$f"
			fail=$((fail + 1))
		done
	fi
	echo "$1: $((checks - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# cli_scratch: a scratch folder $tmp and a list pids=() for the processes the test
# starts in the background; on exit each is stopped by its recorded PID (SIGCONT
# first, for one the test stopped) and the folder is removed.
cli_scratch() {
	tmp=$(mktemp -d)
	pids=()
	trap cli_cleanup EXIT
}

cli_cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill -CONT "$p" 2>/dev/null
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	rm -rf "$tmp"
}

# cli_start_serve PARTNER DNS_PORT SERVE_ARGS...: `s2scheck serve` ($bin) as the
# partner PARTNER (a file, or a name under $src/fixtures/partners/ such as m13;
# partner.test's certificate from $pki, DNS from 127.0.0.1:DNS_PORT) on an
# ephemeral loopback port, logging to $tmp/serve.log. Sets serve_pid (also added to
# pids) and serve_port; returns 1 when it did not start within 10 s (sanitizer
# builds start slowly).
cli_start_serve() {
	local partner=$1 dns=$2 log=$tmp/serve.log
	shift 2
	[[ $partner == */* ]] || partner=$src/fixtures/partners/$partner.xml
	: >"$log"
	"$bin" serve --partner "$partner" --listen 127.0.0.1:0 --resolver "127.0.0.1:$dns" \
		--ca "$pki/ca.pem" --cert "$pki/partner.test.pem" --key "$pki/partner.test.key" \
		"$@" 2>"$log" &
	serve_pid=$!
	pids+=("$serve_pid")
	cli_wait_listening "$log" "$serve_pid"
}

# cli_stop_serve: stops the serve cli_start_serve started, by its PID; SIGKILL after 5 s.
cli_stop_serve() {
	[ -n "${serve_pid:-}" ] || return 0
	kill "$serve_pid" 2>/dev/null
	for _ in $(seq 1 50); do
		kill -0 "$serve_pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$serve_pid" 2>/dev/null
	wait "$serve_pid" 2>/dev/null
	serve_pid=""
}
# cli_against_serve PARTNER OUT SERVE_ARGS...: starts `serve` as PARTNER
# (cli_start_serve, on a random DNS port, retried up to 3 times on "Address already in
# use"), runs the command in the array cli_cmd with @DNS@ and @PORT@ replaced by that
# DNS port and serve's port (stdout OUT.txt, stderr OUT.err, at most 120 s), stops serve
# and sets rc (the command's exit code) and cli_started (1 when serve ran the command).
cli_against_serve() {
	local m=$1 out=$2 a
	shift 2
	cli_started=0
	rc=none
	for _ in 1 2 3; do
		dns=$(cli_rand_port)
		cli_start_serve "$m" "$dns" "$@" || break
		local argv=()
		for a in "${cli_cmd[@]}"; do
			a=${a//@DNS@/$dns}
			argv+=("${a//@PORT@/$serve_port}")
		done
		timeout -k 5 120 "${argv[@]}" >"$out.txt" 2>"$out.err"
		rc=$?
		if grep -q "Address already in use" "$out.err"; then
			cli_stop_serve
			continue
		fi
		cli_started=1
		break
	done
	cli_stop_serve
}

# cli_wait_listening LOG PID: waits (at most 10 s: sanitizer builds start slowly) for
# `serve`'s "listening on 127.0.0.1 port N" in LOG and sets serve_port to N; fails,
# saying what serve said, when PID exits first or the time is up.
cli_wait_listening() {
	local _
	serve_port=""
	for _ in $(seq 1 100); do
		serve_port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$1")
		[ -n "$serve_port" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.1
	done
	echo "serve did not start: $(cat "$1")"
	return 1
}

# cli_rand_port: a free-looking port in 20000-59999 for a listener whose port must be
# known before it starts (a caller retries on "Address already in use").
cli_rand_port() { echo $((20000 + RANDOM % 40000)); }

# cli_check_stopped WHAT JSON ID: the JSON report of a run the preflight stopped
# (docs/report-json.md): written, incomplete, stopped_by_preflight, every scenario
# skipped and not run with the preflight's reason, no verdict on the partner, and
# a FAIL of preflight item ID among the findings.
cli_check_stopped() {
	local what=$1 json=$2 id=$3
	check "$what: the JSON report is written, marked incomplete and stopped by the preflight" \
		test "$(jq -c '[.incomplete, .stopped_by_preflight]' "$json" 2>&1)" = "[true,true]"
	check "$what: every scenario not run, with the preflight's reason" \
		test "$(jq "[.results[] | select(.verdict != \"skip\" or .not_run != true or (.cause | startswith(\"not run: the preflight found $id FAIL\") | not))] | length" "$json" 2>&1)" = 0
	check "$what: no verdict on the partner" \
		test "$(jq -c '[.summary.match, .summary.mismatch, .summary.error, .classification.state]' "$json" 2>&1)" = '[0,0,0,"nothing-observed"]'
	check "$what: the preflight's $id FAIL and its fix are in the report" \
		test "$(jq -r "[.preflight[] | select(.id == \"$id\" and .severity == \"FAIL\" and (.fix | length) > 0)] | length > 0" "$json" 2>&1)" = true
}
