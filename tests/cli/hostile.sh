#!/usr/bin/env bash
# The hostile-partner regression suite (issue 9 item 6): `s2scheck run` against
# `s2scheck serve --misbehave NAME`, one NAME at a time, over loopback. For each:
# a JSON report is written, the exit is 1 or 3 (never a signal, never 0), the
# verdict's cause names what the partner did, the run ends within its configured
# timeouts, and its peak RSS stays under 64 MB. Every NAME is tried with the
# partner as receiving server (outbound scenario); those that can show on the
# partner's own connections are also tried as initiating server (inbound
# scenario, `--misbehave-as initiating`).
# Usage: hostile.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
tmp=$(mktemp -d)
pki=$build/certs
serve_pid=""
cleanup() {
	cli_stop_serve
	rm -rf "$tmp"
}
trap cleanup EXIT

# The run's bounds: each case must end within TIMEOUT + SLACK seconds.
TIMEOUT=6
STEP_MS=2000
SLACK=10
RSS_MAX_KB=65536

rand_port() { echo $((20000 + RANDOM % 40000)); }



# hostile LABEL NAME PARTNER SCENARIO EXITS CAUSE_REGEX [SERVE_ARGS...]
# EXITS: the accepted exit codes ("1", "3", "1 3").
hostile() {
	local label=$1 name=$2 partner=$3 scen=$4 exits=$5 want=$6 out=$tmp/$1
	shift 6
	local rc=none dns t0 t1 ms cause rss
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$(rand_port)
		cli_start_serve "$partner" "$dns" --misbehave "$name" "$@" || break
		rm -f "$out.json"
		t0=$(date +%s%N)
		/usr/bin/time -f %M -o "$out.rss" timeout -k 5 $((TIMEOUT + SLACK + 30)) \
			"$bin" run --partner "$src/fixtures/partners/$partner.xml" \
			--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
			--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
			--key "$pki/harness.test.key" --quiet --timeout "$TIMEOUT" \
			--step-timeout "$STEP_MS" --only "$scen" --json "$out.json" \
			>"$out.txt" 2>"$out.err"
		rc=$?
		t1=$(date +%s%N)
		check "$label: serve --misbehave $name is still up after the run" \
			kill -0 "$serve_pid"
		cli_stop_serve
		grep -q "Address already in use" "$out.err" || break
		rc=none
	done
	ms=$(((t1 - t0) / 1000000))
	cause=$(cli_jq -r '.results[0].cause' "$out.json")
	rss=$(grep -E '^[0-9]+$' "$out.rss" 2>/dev/null | tail -1)
	echo "$label: exit $rc, ${ms} ms, peak RSS ${rss:-?} KB, cause: $cause"
	check "$label: the run ran" test "$rc" != none
	check "$label: not ended by a signal (exit $rc; $(grep -h 'signal' "$out.rss" 2>/dev/null))" \
		test "$rc" != none -a "$rc" -lt 124
	check "$label: exit in {$exits}, got $rc ($(head -c 200 "$out.err"))" \
		grep -qw -- "$rc" <<<"$exits"
	check "$label: a JSON report with one result" \
		test "$(cli_jq '.results | length' "$out.json")" = 1
	check "$label: the cause names the behaviour (/$want/): $cause" grep -Eq -- "$want" <<<"$cause"
	check "$label: within the configured timeouts ($ms ms <= $(((TIMEOUT + SLACK) * 1000)))" \
		test "$ms" -le $(((TIMEOUT + SLACK) * 1000))
	if [ -n "${S2S_SANITIZER_LOG:-}" ]; then
		: # ASan's shadow memory and quarantine: RSS is the normal build's check
	else
		check "$label: peak RSS ${rss:-?} KB < $RSS_MAX_KB KB" test "${rss:-999999}" -lt "$RSS_MAX_KB"
	fi
}

# 0. The vocabulary: serve --help lists every NAME; an unknown NAME is exit 2 with the list.
"$bin" serve --help >"$tmp/help.txt"
names=$(sed -n 's/^  \([a-z0-9-]*\) *\[[RI].*/\1/p' "$tmp/help.txt")
# The same names as docs/cli.md's table, in the same order (no count to bump per knob).
documented=$(sed -n 's/^| `\([a-z0-9-]*\)` | [RI].*/\1/p' "$src/docs/cli.md")
check "serve --help lists the $(wc -w <<<"$documented") behaviours of docs/cli.md (got $(wc -w <<<"$names"))" \
	test "$(echo $names)" = "$(echo $documented)" -a "$(wc -w <<<"$names")" -ge 17
"$bin" serve --partner "$src/fixtures/partners/m13.xml" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/partner.test.pem" --key "$pki/partner.test.key" --misbehave no-such \
	>/dev/null 2>"$tmp/unknown.err"
rc=$?
check "an unknown NAME: exit 2, got $rc" test "$rc" -eq 2
check "an unknown NAME: the accepted list [$(head -1 "$tmp/unknown.err")]" \
	grep -q "unknown behaviour 'no-such'; accepted: garbage, entity-bomb" "$tmp/unknown.err"
"$bin" serve --partner "$src/fixtures/partners/m13.xml" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/partner.test.pem" --key "$pki/partner.test.key" --misbehave garbage \
	--misbehave silence >/dev/null 2>"$tmp/two.err"
check "two behaviours that replace the same bytes: exit 2" test "$?" -eq 2
for n in $names; do
	check "docs/cli.md documents --misbehave $n" grep -q "^| \`$n\`" "$src/docs/cli.md"
done

# 0b. The pacing itself, seen by a raw client: a header in, then count what comes back.
# raw_read NAME SECONDS: the bytes serve --misbehave NAME sends within SECONDS.
raw_read() {
	local got=$tmp/raw.$1
	cli_start_serve m13 "$(rand_port)" --misbehave "$1" || return 1
	(
		exec 3<>"/dev/tcp/127.0.0.1/$serve_port" || exit 1
		printf "%s" "<?xml version='1.0'?><stream:stream xmlns='jabber:server' xmlns:stream='http://etherx.jabber.org/streams' to='partner.test' from='raw.test' version='1.0'>" >&3
		timeout "$2" cat <&3 >"$got"
		exec 3>&-
	)
	cli_stop_serve
	wc -c <"$got"
}
n=$(raw_read slow-drip 2.5)
check "slow-drip: one byte per second (got $n bytes in 2.5 s)" test "${n:-0}" -ge 2 -a "${n:-0}" -le 4
raw_read whitespace-keepalive 1.5 >/dev/null
spaces=$(sed 's/.*version=.1\.0. xml:lang=.en.>//' "$tmp/raw.whitespace-keepalive" | tr -cd ' ' | wc -c)
check "whitespace-keepalive: its header, then a space every 0.2 s (got $spaces in 1.5 s)" \
	test "$spaces" -ge 4 -a "$spaces" -le 9
check "whitespace-keepalive: nothing but spaces after the header" \
	test -z "$(sed 's/.*<stream:stream [^>]*>//' "$tmp/raw.whitespace-keepalive" | tr -d ' ')"

# 1. The partner as receiving server: the harness connects in (M13: TLS Required,
# dialback; H13: the harness the same), so every stage of the negotiation is reached.
R=(m13 matrix-h13-out)
hostile out-garbage garbage "${R[@]}" 1 "unsupported-encoding|not-well-formed"
hostile out-entity-bomb entity-bomb "${R[@]}" 1 "restricted-xml.*DOCTYPE"
# Before the first features the initiating harness bounds the bytes it takes
# (16 KiB): the 10 MB element and the 10,000 features meet that limit first.
hostile out-huge-element huge-element "${R[@]}" 1 "policy-violation"
hostile out-deep-nesting deep-nesting "${R[@]}" 1 "policy-violation.*max_depth"
hostile out-many-attributes many-attributes "${R[@]}" 1 "policy-violation.*max_(header|attrs)"
hostile out-many-features many-features "${R[@]}" 1 "policy-violation"
# The step timer's hard cap and its progress rule (docs/timeouts.md) end a trickle.
hostile out-slow-drip slow-drip "${R[@]}" "1 3" "EXPECT_HEADER.*trickled.*hard cap"
hostile out-whitespace-keepalive whitespace-keepalive "${R[@]}" "1 3" \
	"EXPECT_FEATURES.*trickled.*whitespace only"
hostile out-silence silence "${R[@]}" 3 "timeout while EXPECT_HEADER.*never sent anything"
hostile out-close-after-accept close-after-accept "${R[@]}" 3 \
	"closed the TCP connection while EXPECT_HEADER.*never sent anything"
hostile out-close-mid-tls close-mid-tls "${R[@]}" 1 \
	"closed the TCP connection while EXPECT_TLS_HANDSHAKE"
hostile out-wrong-namespace wrong-namespace "${R[@]}" 1 "invalid-namespace"
hostile out-starttls-after-tls starttls-after-tls "${R[@]}" 1 "STARTTLS offered again after TLS"
hostile out-proceed-then-plaintext proceed-then-plaintext "${R[@]}" 1 "TLS handshake failed"
hostile out-unverified-valid unverified-valid "${R[@]}" 1 "without verifying"
hostile out-utf7-declaration utf7-declaration "${R[@]}" 1 "unsupported-encoding.*UTF-7"
# Inbound, the harness's trigger stream (H9, dialback) meets the blind 'valid'
# first: the partner never connects in, and that is its fault, not "could not test".
hostile in-unverified-valid-trigger unverified-valid m13 matrix-h13-in 1 \
	"never connected in.*trigger.*accepted dialback without verifying"

# 2. The partner as initiating server: it connects in to the harness's --listen
# (M1 and H1: SASL EXTERNAL, so the trigger stream needs no dialback verify stream
# from the partner, which would meet the behaviour first).
I=(m01 matrix-h1-in --misbehave-as initiating)
hostile in-huge-element huge-element "${I[@]:0:2}" 1 "policy-violation.*max_element" "${I[@]:2}"
hostile in-deep-nesting deep-nesting "${I[@]:0:2}" 1 "policy-violation.*max_depth" "${I[@]:2}"
hostile in-many-features many-features "${I[@]:0:2}" 1 "policy-violation.*max_element" "${I[@]:2}"
hostile in-close-mid-tls close-mid-tls "${I[@]:0:2}" 1 \
	"closed the TCP connection while EXPECT_TLS_HANDSHAKE" "${I[@]:2}"
hostile in-proceed-then-plaintext proceed-then-plaintext "${I[@]:0:2}" 1 \
	"TLS handshake failed" "${I[@]:2}"
hostile in-whitespace-keepalive whitespace-keepalive "${I[@]:0:2}" "1 3" \
	"EXPECT_STARTTLS.*trickled.*whitespace only" "${I[@]:2}"
hostile in-starttls-after-tls starttls-after-tls "${I[@]:0:2}" 1 \
	"STARTTLS asked for but not offered" "${I[@]:2}"
# A header the harness cannot read (or that never completes: silence, a drip)
# never names the scenario's domain, so the listener cannot tell which scenario
# it belongs to: the scenario is an error (exit 3) at its timeout, and `run`
# survives the 39 bytes on its --listen.
hostile in-utf7-declaration utf7-declaration "${I[@]:0:2}" 3 "never connected in" "${I[@]:2}"

finish hostile
