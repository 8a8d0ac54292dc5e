#!/usr/bin/env bash
# The TLS key log (issue 15 item 7, docs/cli.md, docs/security.md): `--keylog F` on
# run, check and serve appends the NSS key log lines of every TLS session to F
# (created 0600), and no secret of F is in any report (text, JSON, JUnit, Markdown)
# or transcript. Off unless asked for, even with $SSLKEYLOGFILE set; a directory or
# an unwritable path is refused with exit 2 before anything runs.
# Usage: keylog.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
m13=$src/fixtures/partners/m13.xml
# The TLS 1.3 labels (RFC 8446 §7.1, as NSS names them) and TLS 1.2's CLIENT_RANDOM.
line_re='^(CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET|CLIENT_EARLY_TRAFFIC_SECRET|EARLY_EXPORTER_SECRET|CLIENT_RANDOM) [0-9a-f]{64} ([0-9a-f]{2}){32,64}$'

# complete FILE: every handshake (client random) of FILE has its four TLS 1.3 traffic
# secrets; prints the number of handshakes, or "incomplete: RANDOM".
complete() {
	awk '{ seen[$2] = seen[$2] " " $1 }
	END {
		n = 0
		for (r in seen) {
			n++
			split("CLIENT_HANDSHAKE_TRAFFIC_SECRET SERVER_HANDSHAKE_TRAFFIC_SECRET CLIENT_TRAFFIC_SECRET_0 SERVER_TRAFFIC_SECRET_0", want, " ")
			for (i in want)
				if (index(seen[r] " ", " " want[i] " ") == 0) { print "incomplete: " r; exit }
		}
		print n
	}' "$1"
}

# leaks FILE WHERE...: the secrets of FILE (third field, any case) found in WHERE
# (files or folders); prints each one found with where, nothing when none.
leaks() {
	local kl=$1
	shift
	awk '{ print $3 }' "$kl" | sort -u >"$tmp/secrets"
	grep -r -i -F -o -f "$tmp/secrets" "$@" | head -n 5
}

# 1. A self-test run (both sides in the process) with every report.
timeout -k 5 120 "$bin" run --partner "$m13" --only matrix-h13-out --only matrix-h13-in \
	--only matrix-h1-out --keylog "$tmp/run.keys" --json "$tmp/run.json" \
	--junit "$tmp/run.xml" --markdown "$tmp/run.md" --transcripts "$tmp/tr" --quiet \
	>"$tmp/run.txt" 2>"$tmp/run.err"
rc=$?
check "self-test with --keylog: exit 0, got $rc ($(head -c 300 "$tmp/run.err"))" test "$rc" -eq 0
check "the key log was created with mode 0600" test "$(stat -c %a "$tmp/run.keys" 2>&1)" = 600
n=$(wc -l <"$tmp/run.keys" 2>/dev/null || echo 0)
check "the key log has lines ($n)" test "$n" -gt 0
check "every line is an NSS key log line: LABEL RANDOM SECRET ($(grep -v -E "$line_re" "$tmp/run.keys" | head -n 1 | cut -c1-40))" \
	test -z "$(grep -v -E "$line_re" "$tmp/run.keys")"
hs=$(complete "$tmp/run.keys")
# Each scenario has at least one TLS handshake, and the harness and the reference
# partner both log theirs: the same client random twice.
check "every handshake has its TLS 1.3 client and server handshake and traffic secrets ($hs)" \
	test "$hs" -ge 3 2>/dev/null
check "both ends of each handshake logged it (CLIENT_TRAFFIC_SECRET_0 lines twice per handshake)" \
	test "$(grep -c '^CLIENT_TRAFFIC_SECRET_0 ' "$tmp/run.keys")" -eq $((2 * hs))
check "the reports and transcripts were written" \
	test -s "$tmp/run.json" -a -s "$tmp/run.xml" -a -s "$tmp/run.md" -a -s "$tmp/run.txt" \
	-a "$(find "$tmp/tr" -type f | wc -l)" -ge 3
found=$(leaks "$tmp/run.keys" "$tmp/run.json" "$tmp/run.xml" "$tmp/run.md" "$tmp/run.txt" \
	"$tmp/run.err" "$tmp/tr")
check "no secret of the key log in a report, a transcript or stderr ($found)" test -z "$found"
check "the leak check finds a secret where there is one" \
	test -n "$(cp "$tmp/run.keys" "$tmp/copy" && leaks "$tmp/run.keys" "$tmp/copy")"
check "stderr notes that the key log is on" \
	grep -q -- "--keylog $tmp/run.keys: on: the TLS secrets of this run are appended there" "$tmp/run.err"
check "the transcripts carry the TLS handshakes (the key log is what they lack)" \
	test -n "$(grep -r -l -i 'tls' "$tmp/tr" | head -n 1)"

# 2. A second run appends (mode kept).
timeout -k 5 120 "$bin" run --partner "$m13" --only matrix-h13-out --keylog "$tmp/run.keys" \
	--quiet >"$tmp/again.txt" 2>"$tmp/again.err"
rc=$?
n2=$(wc -l <"$tmp/run.keys")
check "a second run appends to the key log ($n -> $n2 lines), exit $rc" test "$rc" -eq 0 -a "$n2" -gt "$n"
check "the earlier lines are kept as they were" \
	test "$(head -n "$n" "$tmp/run.keys" | md5sum)" = "$(head -n "$n" "$tmp/copy" | md5sum)"
check "still mode 0600" test "$(stat -c %a "$tmp/run.keys")" = 600

# 3. Off by default: no --keylog, $SSLKEYLOGFILE set (GnuTLS's own key log): no file.
SSLKEYLOGFILE=$tmp/env.keys timeout -k 5 120 "$bin" run --partner "$m13" \
	--only matrix-h13-out --quiet >"$tmp/off.txt" 2>"$tmp/off.err"
rc=$?
check "without --keylog: exit 0 ($rc), no key log even with SSLKEYLOGFILE set" \
	test "$rc" -eq 0 -a ! -e "$tmp/env.keys"
check "without --keylog: no note" test -z "$(grep -i keylog "$tmp/off.err")"

# 4. Refused before anything runs: a directory, a path that cannot be written, a FIFO.
mkdir "$tmp/dir"
mkfifo "$tmp/fifo"
for bad in "$tmp/dir" "$tmp/missing/keys" "$tmp/fifo"; do
	timeout -k 5 30 "$bin" run --partner "$m13" --only matrix-h13-out --keylog "$bad" \
		--quiet >"$tmp/bad.txt" 2>"$tmp/bad.err"
	rc=$?
	check "--keylog $bad: exit 2, got $rc" test "$rc" -eq 2
	check "--keylog $bad: the error names the option, the path and the fix ($(head -c 200 "$tmp/bad.err"))" \
		grep -q -E -- "--keylog $bad: .*: (name a file|name a file in a folder you can write)" "$tmp/bad.err"
	check "--keylog $bad: nothing ran" test ! -s "$tmp/bad.txt"
done
timeout -k 5 30 "$bin" run --partner "$m13" --all --out "$tmp/fleet" --keylog "$tmp/dir" \
	>"$tmp/badf.txt" 2>"$tmp/badf.err"
rc=$?
check "run --all --keylog DIR: exit 2 before any partner's run, got $rc" \
	test "$rc" -eq 2 -a ! -e "$tmp/fleet"
check "run --all --keylog DIR: says why" grep -q -- "--keylog $tmp/dir: not a regular file" "$tmp/badf.err"
timeout -k 5 30 "$bin" check --partner "$m13" --target 127.0.0.1:1 --keylog "$tmp/dir" \
	>"$tmp/badc.txt" 2>"$tmp/badc.err"
rc=$?
check "check --keylog DIR: exit 2, got $rc" test "$rc" -eq 2
check "check --keylog DIR: says why" grep -q -- "--keylog $tmp/dir: not a regular file" "$tmp/badc.err"
timeout -k 5 30 "$bin" serve --partner "$m13" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/partner.test.pem" --key "$pki/partner.test.key" --keylog "$tmp/dir" \
	>"$tmp/bads.txt" 2>"$tmp/bads.err"
rc=$?
check "serve --keylog DIR: exit 2, got $rc" test "$rc" -eq 2
check "serve --keylog DIR: says why" grep -q -- "--keylog $tmp/dir: not a regular file" "$tmp/bads.err"

# 5. run --target (with its preflight, `check`) against `serve`, each with its own key
# log: both write the same handshakes.
cli_cmd=("$bin" run --partner "$m13" --target "127.0.0.1:@PORT@" --serve-dns "127.0.0.1:@DNS@"
	--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem"
	--key "$pki/harness.test.key" --quiet --timeout 20 --only matrix-h13-out
	--only matrix-h13-in --keylog "$tmp/target.keys" --json "$tmp/target.json")
cli_against_serve m13 "$tmp/target" --keylog "$tmp/serve.keys"
check "serve started and a free DNS port was found" test "$cli_started" -eq 1
check "run --target with --keylog: exit 0, got $rc ($(head -c 300 "$tmp/target.err"))" test "$rc" -eq 0
check "serve's key log: mode 0600, complete handshakes ($(complete "$tmp/serve.keys"))" \
	test "$(stat -c %a "$tmp/serve.keys" 2>&1)" = 600 -a "$(complete "$tmp/serve.keys")" -ge 2
check "run's key log (preflight and scenarios): complete handshakes ($(complete "$tmp/target.keys"))" \
	test "$(complete "$tmp/target.keys")" -ge 3
# What one end logged, the other logged too (a handshake's secrets are shared).
common=$(comm -12 <(sort -u "$tmp/serve.keys") <(sort -u "$tmp/target.keys") | wc -l)
check "serve and run logged the same secrets for the handshakes between them ($common lines)" \
	test "$common" -ge 8
found=$(leaks "$tmp/target.keys" "$tmp/target.json" "$tmp/target.txt" "$tmp/target.err" "$tmp/serve.log")
check "no secret in run's report or either side's stderr ($found)" test -z "$found"

finish keylog
