#!/usr/bin/env bash
# Issue 9: the 39 bytes `<?xml version="1.0" encoding="UTF-7"\x1a?>` killed the
# process (SIGSEGV in libxml2's encoding switch). Sent over the wire to `serve`
# and to `run --listen` during a run, they must get <unsupported-encoding/> and
# leave the process serving; the run still gives its verdict and its report.
# (As a partner's own header they are covered by tests/cli/hostile.sh.)
# Usage: utf7.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

utf7='<?xml version="1.0" encoding="UTF-7"\x1a?>'

# send_utf7 PORT OUT [WAIT]: connects, sends the 39 bytes, keeps what comes back
# (WAIT seconds at most, default 2).
send_utf7() {
	timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$1"' || exit 9
		printf "%b" '"'$utf7'"' >&3
		timeout '"${3:-2}"' cat <&3' >"$2" 2>/dev/null
}

# 1. serve: answers the bytes with a stream error and keeps serving.
: >"$tmp/serve.log"
"$bin" serve --partner "$src/fixtures/partners/m07.xml" --listen 127.0.0.1:0 \
	--ca "$pki/ca.pem" --cert "$pki/partner.test.pem" --key "$pki/partner.test.key" \
	2>"$tmp/serve.log" &
serve_pid=$!
pids+=("$serve_pid")
port=""
for _ in $(seq 1 100); do # at most 5 s
	port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$tmp/serve.log")
	[ -n "$port" ] && break
	sleep 0.05
done
check "serve started ($(head -c 300 "$tmp/serve.log"))" test -n "$port"
if [ -n "$port" ]; then
	send_utf7 "$port" "$tmp/answer1"
	check "serve answers the 39 bytes with <unsupported-encoding/> (got: $(head -c 400 "$tmp/answer1"))" \
		grep -q "unsupported-encoding" "$tmp/answer1"
	send_utf7 "$port" "$tmp/answer2"
	check "serve answers them a second time" grep -q "unsupported-encoding" "$tmp/answer2"
	check "serve is still running" kill -0 "$serve_pid"
	# A conforming header still gets a conforming answer.
	timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/'"$port"'
		printf "%s" "<?xml version=\"1.0\"?><stream:stream xmlns=\"jabber:server\" xmlns:stream=\"http://etherx.jabber.org/streams\" to=\"partner.test\" from=\"harness.test\" version=\"1.0\">" >&3
		timeout 2 cat <&3' >"$tmp/answer3" 2>/dev/null
	check "serve still opens streams after them (got: $(head -c 300 "$tmp/answer3"))" \
		grep -q "<stream:features" "$tmp/answer3"
	kill -INT "$serve_pid" 2>/dev/null
	wait "$serve_pid"
	rc=$?
	check "serve ends on SIGINT without a crash (exit $rc)" test "$rc" -lt 128
fi

# 2. run --listen: a stranger sends the bytes to the harness's port during a run.
ok=0
for _ in 1 2 3; do
	lport=$((20000 + RANDOM % 40000))
	timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" \
		--listen "127.0.0.1:$lport" --quiet --json "$tmp/run.json" \
		>"$tmp/run.txt" 2>"$tmp/run.err" &
	run_pid=$!
	pids+=("$run_pid")
	sent=0
	: >"$tmp/stranger"
	for _ in $(seq 1 400); do # at most 20 s, and only while the run lasts
		if send_utf7 "$lport" "$tmp/answer" 0.5; then
			sent=$((sent + 1))
			cat "$tmp/answer" >>"$tmp/stranger"
			[ "$sent" -ge 5 ] && break
		fi
		kill -0 "$run_pid" 2>/dev/null || break
		sleep 0.02
	done
	wait "$run_pid"
	rc=$?
	if grep -q "Address already in use" "$tmp/run.err"; then
		continue
	fi
	ok=1
	break
done
check "the run ran (a free port was found; $(tail -c 300 "$tmp/run.err"))" test "$ok" -eq 1
check "the bytes reached run's listener ($sent times)" test "$sent" -ge 1
check "the stranger got <unsupported-encoding/> (got: $(head -c 300 "$tmp/stranger"))" \
	grep -q "unsupported-encoding" "$tmp/stranger"
check "run survives and every scenario matches: exit 0, got $rc ($(tail -c 300 "$tmp/run.err"))" \
	test "$rc" -eq 0
check "run wrote its report" jq -e '.results | length > 100' "$tmp/run.json" >/dev/null

finish utf7
