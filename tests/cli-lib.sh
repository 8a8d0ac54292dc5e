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

# start_serve PARTNER DNS_PORT SERVE_ARGS...: starts `serve` (the reference partner
# fixtures/partners/PARTNER.xml, the build's partner.test certificate, resolving
# through 127.0.0.1:DNS_PORT) on a free loopback port, in the background; sets
# serve_pid and serve_port. Needs $bin, $src, $pki and $tmp; the caller stops it.
start_serve() {
	local partner=$1 dns=$2 log=$tmp/serve.log
	shift 2
	: >"$log"
	"$bin" serve --partner "$src/fixtures/partners/$partner.xml" --listen 127.0.0.1:0 \
		--resolver "127.0.0.1:$dns" --ca "$pki/ca.pem" --cert "$pki/partner.test.pem" \
		--key "$pki/partner.test.key" "$@" 2>"$log" &
	serve_pid=$!
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
