#!/usr/bin/env bash
# Memory and CPU figures of issue 13 (docs/performance.md "Memory: streams and
# buffers"):
# 1. `serve` (default options) with COUNT concurrent streams from
#    tests/helpers/streams.py: its RSS before, with COUNT plaintext streams (M13:
#    header and features), with COUNT TLS streams (M13: STARTTLS, handshake, features
#    again), and with COUNT streams authenticated by dialback (M17: the client is
#    client.test's authoritative server and DNS; the RSS 2 s after the burst);
#    its CPU while idle with them open (IDLE seconds, default 5: within the 15 s step
#    timer of a stream waiting for authentication, whose expiry is work, not idling;
#    the streams that ended in the window are counted).
# 2. With root (tests/integration/lib.sh namespace): a default run (no --jobs,
#    --partner-connections or --step-timeout) against a local Prosody 0.12 req-db:
#    wall time and CPU time (user + system) of s2scheck, to show the idle loop
#    does not spin (issue 13 measured 29 s of CPU in 87 s).
# Figures, not a test: never gate CI on them.
# Usage: bench/mem-bench.sh S2SCHECK SOURCE_DIR BUILD_DIR [COUNT] [IDLE] [serve-only]
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
build=$(realpath "$3")
count=${4:-1000}
idle=${5:-5}
only=${6:-}
source "$src/tests/integration/lib.sh"
source "$src/tests/cli-lib.sh" # cli_wait_listening

if [ -z "${S2S_PEERS_NETNS:-}" ]; then
	pki=$build/certs
	hz=$(getconf CLK_TCK)
	tmp=$(mktemp -d)
	serve_pid=""
	client_pid=""
	trap '[ -n "$client_pid" ] && kill "$client_pid" 2>/dev/null; [ -n "$serve_pid" ] && kill "$serve_pid" 2>/dev/null; rm -rf "$tmp"' EXIT
	rss() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
	ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
	echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "# $("$bin" --version 2>/dev/null | head -n1); $count streams, idle $idle s"
	dns=$((20000 + RANDOM % 12000))
	for mode in plain tls dialback; do
		row=m13
		[ "$mode" = dialback ] && row=m17
		: >"$tmp/serve.log"
		"$bin" serve --partner "$src/fixtures/partners/$row.xml" --listen 127.0.0.1:0 \
			--resolver "127.0.0.1:$dns" --ca "$pki/ca.pem" --cert "$pki/partner.test.pem" \
			--key "$pki/partner.test.key" 2>"$tmp/serve.log" &
		serve_pid=$!
		cli_wait_listening "$tmp/serve.log" "$serve_pid" || exit 1
		port=$serve_port
		r0=$(rss "$serve_pid")
		tls=()
		[ "$mode" = tls ] && tls=(--tls "$pki/ca.pem")
		[ "$mode" = dialback ] && tls=(--dialback "$dns")
		python3 "$src/tests/helpers/streams.py" 127.0.0.1 "$port" "$count" $((idle + 60)) \
			--to partner.test "${tls[@]}" --from-addr 127.0.0.1 --from-addr 127.0.0.2 \
			--from-addr 127.0.0.3 --from-addr 127.0.0.4 >"$tmp/client" 2>&1 &
		client_pid=$!
		for _ in $(seq 1 240); do
			grep -q '^answered' "$tmp/client" && break
			sleep 0.25
		done
		[ "$mode" = dialback ] && sleep 2 # the burst of verify streams is over
		r1=$(rss "$serve_pid")
		e0=$(grep -c 'partner#[0-9]* in' "$tmp/serve.log")
		t0=$(ticks "$serve_pid")
		sleep "$idle"
		t1=$(ticks "$serve_pid")
		e1=$(grep -c 'partner#[0-9]* in' "$tmp/serve.log")
		printf '%-8s %s; serve RSS %s KiB before, %s KiB with them open (%s KiB per stream); CPU idle %s ticks in %s s (%s per s; %s streams ended meanwhile)\n' \
			"$mode" "$(head -1 "$tmp/client")" "$r0" "$r1" $(((r1 - r0) / count)) \
			$((t1 - t0)) "$idle" "$hz" $((e1 - e0))
		kill "$client_pid"
		wait "$client_pid" 2>/dev/null
		client_pid=""
		kill "$serve_pid"
		wait "$serve_pid" 2>/dev/null
		serve_pid=""
	done
	[ "$only" = serve-only ] && exit 0
	[ "$(id -u)" -eq 0 ] || {
		echo "# (part 2, the run against Prosody, needs root)"
		exit 0
	}
fi
# 2. Against Prosody, in its own namespaces (peers_init runs this script again there).
peers_init "$0" "$bin" "$src" "$build" "$count" "$idle"
pki=$PEERS_PKI
peers_dns_external 15853
peers_start_prosody p0 req-db 15851 >/dev/null || exit 1
/usr/bin/time -f '%e %U %S' -o "$PEERS_RUN/time" timeout -k 5 300 "$bin" run \
	--partner "$PEERS_FIXTURES/prosody/req-db.partner.xml" --target 127.0.0.1:15851 \
	--serve-dns 127.0.0.1:15853 --listen 127.0.0.1:15852 --ca "$pki/ca.pem" \
	--issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" \
	--quirks "$PEERS_FIXTURES/prosody/quirks.xml" --quiet --json "$PEERS_RUN/r.json" \
	>/dev/null 2>"$PEERS_RUN/stderr"
rc=$?
read -r wall user sys < <(tail -n1 "$PEERS_RUN/time")
echo "Prosody 0.12 req-db, default suite, default options: exit $rc, wall $wall s, CPU user $user s + system $sys s ($(jq -c '.summary | del(.line)' "$PEERS_RUN/r.json" 2>/dev/null))"
peers_stop p0 >/dev/null
