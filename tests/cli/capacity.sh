#!/usr/bin/env bash
# `serve` as a known-good partner for a gateway (issue 13 item 4d): 1,000
# concurrent streams, each with TLS and its features answered, then 1,000
# authenticated by dialback, are all accepted and held with the default options (four source addresses: 250 each, under the
# default per-source cap of 256); serve's RSS with them open stays under 64 MiB
# (not in sanitizer builds, whose shadow memory is no figure of the program's), and
# serve idle with them open uses next to no CPU. Also --max-per-source, the usage
# errors and the descriptor-limit error of --max-connections.
# Usage: capacity.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
client=$src/tests/helpers/streams.py
count=1000
hz=$(getconf CLK_TCK)

# cpu_ticks PID: user + system CPU of PID so far, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# wait_answered FILE PID: waits (at most 60 s) for the client's "answered" line;
# fails at once when the client PID ended without it.
wait_answered() {
	for _ in $(seq 1 240); do
		grep -q '^answered' "$1" && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.25
	done
	return 1
}

# 1. 1,000 TLS streams with the defaults. The DNS port is never used: nothing
#    here needs serve to resolve a name.
cli_start_serve m13 9 || {
	finish capacity
	exit 1
}
rss0=$(awk '/^VmRSS/ {print $2}' "/proc/$serve_pid/status")
python3 "$client" 127.0.0.1 "$serve_port" "$count" 90 --to partner.test --tls "$pki/ca.pem" \
	--from-addr 127.0.0.1 --from-addr 127.0.0.2 --from-addr 127.0.0.3 --from-addr 127.0.0.4 \
	>"$tmp/client" 2>&1 &
client_pid=$!
pids+=("$client_pid")
check "the client said how its streams went, within 60 s" \
	wait_answered "$tmp/client" "$client_pid"
check "all $count streams accepted and answered after TLS ($(head -1 "$tmp/client"))" \
	grep -qx "answered $count of $count (refused 0, closed by the server 0)" "$tmp/client"
fds=$(find "/proc/$serve_pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
check "serve holds the $count connections open ($fds descriptors)" test "$fds" -ge "$count"
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$serve_pid/status")
echo "serve RSS: $rss0 KiB at the start, $rss KiB with $count TLS streams open"
if [ -z "${S2S_SANITIZER_LOG:-}" ]; then
	check "serve's RSS with $count streams is under 64 MiB ($rss KiB)" test "${rss:-999999}" -lt 65536
fi
t0=$(cpu_ticks "$serve_pid")
sleep 3
t1=$(cpu_ticks "$serve_pid")
echo "serve CPU idle with $count streams: $((t1 - t0)) ticks in 3 s (${hz} per s)"
check "serve idle with $count streams open uses next to no CPU ($((t1 - t0)) ticks in 3 s)" \
	test $((t1 - t0)) -lt $((hz / 5))
ended=$(grep -c 'partner#' "$tmp/serve.log")
check "no stream ended while the client held them ($ended ended)" test "$ended" -eq 0
kill "$client_pid"
wait "$client_pid" 2>/dev/null
check "serve lived through the client's leaving" kill -0 "$serve_pid"
cli_stop_serve

# 1b. 1,000 authenticated streams (dialback with M17: no TLS): the client is
#     client.test's authoritative server and DNS too (serve's --resolver), and
#     answers every db:verify valid. Their RSS is taken once the burst of verify
#     streams is over (serve gives freed memory back about once a second).
for _ in 1 2 3; do
	dns=$(cli_rand_port)
	cli_start_serve m17 "$dns" || break
	python3 "$client" 127.0.0.1 "$serve_port" "$count" 90 --to partner.test --dialback "$dns" \
		--from-addr 127.0.0.1 --from-addr 127.0.0.2 --from-addr 127.0.0.3 \
		--from-addr 127.0.0.4 >"$tmp/client-db" 2>&1 &
	client_pid=$!
	pids+=("$client_pid")
	wait_answered "$tmp/client-db" "$client_pid" && break
	grep -q "Address already in use" "$tmp/client-db" || break
	kill "$client_pid" 2>/dev/null
	cli_stop_serve
done
check "all $count streams authenticated by dialback ($(head -2 "$tmp/client-db" | tr '\n' ' '))" \
	grep -qx "answered $count of $count (refused 0, closed by the server 0)" "$tmp/client-db"
check "... each verified with the authoritative server" \
	grep -qx "db:verify answered valid $count" "$tmp/client-db"
peak=$(awk '/^VmRSS/ {print $2}' "/proc/$serve_pid/status")
sleep 2
rss=$(awk '/^VmRSS/ {print $2}' "/proc/$serve_pid/status")
authed=$(grep -c "Dp: dialback authenticated client.test -> partner.test" "$tmp/serve.log")
check "serve says so for each ($authed)" test "$authed" -eq "$count"
echo "serve RSS: $peak KiB at the end of the burst, $rss KiB 2 s later, $count authenticated streams open"
if [ -z "${S2S_SANITIZER_LOG:-}" ]; then
	check "serve's RSS with $count idle authenticated streams is under 64 MiB ($rss KiB)" \
		test "${rss:-999999}" -lt 65536
fi
t0=$(cpu_ticks "$serve_pid")
sleep 3
t1=$(cpu_ticks "$serve_pid")
check "serve idle with $count authenticated streams uses next to no CPU ($((t1 - t0)) ticks in 3 s)" \
	test $((t1 - t0)) -lt $((hz / 5))
kill "$client_pid"
wait "$client_pid" 2>/dev/null
cli_stop_serve

# 2. --max-per-source: the 11th connection from one address is closed at once.
cli_start_serve m13 9 --max-per-source 10 && {
	timeout -k 5 30 python3 "$client" 127.0.0.1 "$serve_port" 12 8 --to partner.test \
		>"$tmp/client2" 2>&1
	check "--max-per-source 10: ten answered, two closed ($(head -1 "$tmp/client2"))" \
		grep -qx "answered 10 of 12 (refused 0, closed by the server 2)" "$tmp/client2"
	cli_stop_serve
}

# 3. Usage errors, and a cap the descriptor limit cannot meet (a hard limit this
#    subshell lowers for itself): exit 2, naming the limit and the fix.
for bad in 0 -1 abc 100001; do
	"$bin" serve --partner "$src/fixtures/partners/m13.xml" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --cert "$pki/partner.test.pem" --key "$pki/partner.test.key" \
		--max-connections "$bad" >/dev/null 2>"$tmp/u"
	rc=$?
	check "--max-connections $bad: exit 2 ($rc)" test "$rc" -eq 2
	check "--max-connections $bad: says what is accepted" grep -q "from 1 to 100000" "$tmp/u"
done
(
	ulimit -n 600
	exec timeout -k 5 20 "$bin" serve --partner "$src/fixtures/partners/m13.xml" \
		--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/partner.test.pem" \
		--key "$pki/partner.test.key" --max-connections 5000
) >/dev/null 2>"$tmp/nofile"
rc=$?
check "--max-connections 5000 under a limit of 600 descriptors: exit 2 ($rc)" test "$rc" -eq 2
check "... naming the limit and the fix ($(head -c 300 "$tmp/nofile"))" \
	grep -q "RLIMIT_NOFILE, 600.*raise it (ulimit -n.*or lower --max-connections" "$tmp/nofile"

# With the default cap, a lower limit is said and serve runs with what it has
# (900 descriptors: 256 kept for its own connections leave 644).
(
	ulimit -n 900
	exec "$bin" serve --partner "$src/fixtures/partners/m13.xml" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --cert "$pki/partner.test.pem" --key "$pki/partner.test.key"
) 2>"$tmp/low.log" &
low_pid=$!
pids+=("$low_pid")
check "the default cap under 900 descriptors: serve starts ($(head -c 300 "$tmp/low.log"))" \
	cli_wait_listening "$tmp/low.log" "$low_pid"
check "... and says how many it serves and the fix" \
	grep -q "RLIMIT_NOFILE, 900.*raise it (ulimit -n" "$tmp/low.log"
check "... serving at most 644" grep -qx "s2scheck serve: serving at most 644 at once" "$tmp/low.log"
kill "$low_pid"
wait "$low_pid" 2>/dev/null

finish capacity
