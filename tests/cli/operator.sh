#!/usr/bin/env bash
# Operator mistakes are caught before the first scenario, with the fix (issue 9
# item 5): each one exits 2 within seconds, and its one line names the option,
# the file or address, and what to do. Covers `run`, `serve`, `list` and
# `validate`: FIFOs, devices and directories as input files, report paths that
# cannot be written (and `-` for standard output), certificate/key/CA errors,
# the system trust store used without --ca (and refused when empty), ports in use.
# Some checks need root (a mount namespace, a read-only mount); they are skipped
# with a line otherwise. CI runs this as root.
# Usage: operator.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
partner=$src/fixtures/partners/m07.xml

mkfifo "$tmp/fifo"
mkdir "$tmp/dir"

# attempt NAME CMD...: runs CMD (killed after 20 s: a hang shows as 124), sets rc,
# secs and the files $tmp/NAME.out, $tmp/NAME.err.
attempt() {
	local name=$1 start
	shift
	start=$(date +%s.%N)
	timeout -k 2 20 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	secs=$(echo "$(date +%s.%N) - $start" | bc)
}

# refused NAME TEXT... -- CMD...: CMD exits 2 within 5 s, before any scenario ran
# (nothing on stdout), and its stderr holds every TEXT (fixed strings). With
# expect=preflight (a mistake the preflight of `run --target` finds: docs/cli.md
# "check"), stdout holds the text report of a run the preflight stopped on the
# harness side, every scenario not run, instead of nothing.
refused() {
	local name=$1 texts=() t
	shift
	while [ "$1" != "--" ]; do
		texts+=("$1")
		shift
	done
	shift
	attempt "$name" "$@"
	check "$name: exit 2, got $rc ($(head -c 300 "$tmp/$name.err"))" test "$rc" -eq 2
	check "$name: within 5 s ($secs s)" test "$(echo "$secs < 5" | bc)" -eq 1
	if [ "${expect:-}" = preflight ]; then
		check "$name: stdout is the report the preflight stopped, nothing judged" \
			bash -c "grep -q '^INCOMPLETE: the preflight stopped the run (the preflight found PRE-HARNESS-' '$tmp/$name.out' && grep -q '^Summary: .* 0 match, 0 mismatch, 0 error, ' '$tmp/$name.out'"
	else
		check "$name: nothing on stdout" test ! -s "$tmp/$name.out"
	fi
	for t in "${texts[@]}"; do
		check "$name: says '$t'" grep -qF -- "$t" "$tmp/$name.err"
	done
}

# creds_refused NAME CA CERT KEY TEXT...: `run --target` with these files is refused.
creds_refused() {
	local name=$1 ca=$2 cert=$3 key=$4
	shift 4
	refused "$name" "$@" -- \
		"$bin" run --partner "$partner" "${target[@]}" --ca "$ca" --cert "$cert" --key "$key"
}

target=(--target 127.0.0.1:1 --only matrix-h9-out --quiet)
serve_args=(--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/partner.test.pem"
	--key "$pki/partner.test.key")
fifo_fix="not a regular file but a FIFO"

# 1. Non-regular input files: refused at once, never opened for a blocking read.
refused run-partner-fifo "--partner $tmp/fifo: $fifo_fix" "pass the file itself" -- \
	"$bin" run --partner "$tmp/fifo" --quiet
refused run-partner-dev "--partner /dev/zero: not a regular file but a character device" -- \
	"$bin" run --partner /dev/zero --quiet
refused run-partner-dir "--partner $tmp/dir: not a regular file but a directory" -- \
	"$bin" run --partner "$tmp/dir" --quiet
refused run-quirks-fifo "--quirks $tmp/fifo: $fifo_fix" -- \
	"$bin" run --partner "$partner" --quirks "$tmp/fifo" --quiet
refused list-quirks-fifo "--quirks $tmp/fifo: $fifo_fix" -- \
	"$bin" list --quirks "$tmp/fifo"
mkdir "$tmp/scen"
cp "$src/scenarios/matrix-h9-out.xml" "$tmp/scen/"
mkfifo "$tmp/scen/x.xml"
# A scenario folder reads only its regular *.xml files (docs/scenarios.md): no wait.
attempt scenario-fifo "$bin" run --partner "$partner" --scenarios "$tmp/scen" --quiet
check "a FIFO in --scenarios is not read: exit 0 (got $rc) within 5 s ($secs s)" \
	test "$rc" -eq 0 -a "$(echo "$secs < 5" | bc)" -eq 1
refused validate-fifo "$tmp/fifo: file: $fifo_fix; accepted: a regular file" -- \
	"$bin" validate "$tmp/fifo"
refused run-issuer-key-fifo "--issuer-key $tmp/fifo: $fifo_fix" -- \
	"$bin" run --partner "$partner" "${target[@]}" --ca "$pki/ca.pem" \
	--issuer-cert "$pki/ca.pem" --issuer-key "$tmp/fifo"
refused run-issuer-cert-dev "--issuer-cert /dev/null: not a regular file" -- \
	"$bin" run --partner "$partner" "${target[@]}" --ca "$pki/ca.pem" \
	--issuer-cert /dev/null --issuer-key "$pki/ca.key"
refused serve-partner-fifo "--partner $tmp/fifo: $fifo_fix" -- \
	"$bin" serve --partner "$tmp/fifo" "${serve_args[@]}"
refused serve-key-fifo "--key $tmp/fifo: $fifo_fix" -- \
	"$bin" serve --partner "$partner" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/partner.test.pem" --key "$tmp/fifo"

creds_ok=("$pki/ca.pem" "$pki/harness.test.pem" "$pki/harness.test.key")
creds_refused run-ca-fifo "$tmp/fifo" "${creds_ok[@]:1}" "--ca $tmp/fifo: $fifo_fix"
creds_refused run-cert-fifo "$pki/ca.pem" "$tmp/fifo" "${creds_ok[2]}" "--cert $tmp/fifo: $fifo_fix"
creds_refused run-key-fifo "${creds_ok[@]:0:2}" "$tmp/fifo" "--key $tmp/fifo: $fifo_fix"

# 2. Report paths: checked before the first scenario; '-' is standard output.
refused json-dev-stdout "--json /dev/stdout: not a regular file but a symbolic link" \
	"use '--json -' for standard output" -- \
	"$bin" run --partner "$partner" --quiet --json /dev/stdout
check "/dev/stdout is still a link" test -L /dev/stdout
refused json-dev-null "--json /dev/null: not a regular file but a character device" -- \
	"$bin" run --partner "$partner" --quiet --json /dev/null
check "/dev/null is still a device" test -c /dev/null
refused junit-fifo "--junit $tmp/fifo: $fifo_fix: use '--junit -'" -- \
	"$bin" run --partner "$partner" --quiet --junit "$tmp/fifo"
check "the FIFO is still a FIFO" test -p "$tmp/fifo"
refused json-dir "--json $tmp/dir: not a regular file but a directory" -- \
	"$bin" run --partner "$partner" --quiet --json "$tmp/dir"
refused json-no-dir "--json /nonexistent/r.json: the directory /nonexistent cannot be used" \
	"create it, or choose a path in an existing directory" -- \
	"$bin" run --partner "$partner" --quiet --json /nonexistent/r.json
refused transcripts-dev "--transcripts /dev/null: not a directory but a character device" -- \
	"$bin" run --partner "$partner" --quiet --transcripts /dev/null
refused transcripts-no-parent "--transcripts /nonexistent/tr: the directory /nonexistent" -- \
	"$bin" run --partner "$partner" --quiet --transcripts /nonexistent/tr
refused both-stdout "two of --json -, --junit -, --markdown - and --html - would write to standard output" -- \
	"$bin" run --partner "$partner" --quiet --json - --junit -
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	# A read-only file system refuses even root (EROFS), before the run.
	mkdir "$tmp/ro"
	refused json-read-only "--json $tmp/ro/r.json: cannot write in $tmp/ro (Read-only file system)" \
		"choose a directory you can write in" -- \
		unshare -m sh -c 'mount -t tmpfs -o ro tmpfs "$1" && exec "$2" run --partner "$3" --quiet --json "$1/r.json"' \
		sh "$tmp/ro" "$bin" "$partner"
else
	echo "skip: read-only report folder (needs root and unshare)"
fi

# '-': the report alone on standard output; the text report is not printed.
attempt json-stdout "$bin" run --partner "$partner" --only matrix-h9-out --quiet --json -
check "--json -: exit 0, got $rc" test "$rc" -eq 0
check "--json -: stdout is the JSON report" \
	test "$(jq '.summary.match' "$tmp/json-stdout.out" 2>&1)" = 1
attempt junit-stdout "$bin" run --partner "$partner" --only matrix-h9-out --quiet --junit -
check "--junit -: exit 0, got $rc" test "$rc" -eq 0
check "--junit -: stdout is the JUnit report" \
	xmllint --noout --schema "$src/tests/schema/junit.xsd" "$tmp/junit-stdout.out"
attempt json-stdout-file "$bin" run --partner "$partner" --only matrix-h9-out --quiet \
	--json - --junit "$tmp/r.xml"
check "--json - with --junit FILE: the file is written" grep -q "<testsuite" "$tmp/r.xml"
check "--json - with --junit FILE: stdout is JSON" \
	test "$(jq -r '.schema' "$tmp/json-stdout-file.out" 2>&1)" = 2

# 3. Certificate, key and CA: each error names the option, the file and the fix.
expect=preflight creds_refused missing-cert "$pki/ca.pem" "$tmp/missing.pem" "$pki/harness.test.key" \
	"--cert $tmp/missing.pem: cannot open: No such file or directory" \
	"pass the harness certificate (PEM)"
expect=preflight creds_refused missing-key "$pki/ca.pem" "$pki/harness.test.pem" "$tmp/missing.key" \
	"--key $tmp/missing.key: cannot open: No such file or directory" \
	"pass the key that belongs to --cert"
expect=preflight creds_refused bad-key "$pki/ca.pem" "$pki/harness.test.pem" "$pki/ca.pem" \
	"--key $pki/ca.pem: not an unencrypted PEM private key (GnuTLS: " \
	"pass the key that belongs to --cert"
expect=preflight creds_refused wrong-key "$pki/ca.pem" "$pki/harness.test.pem" "$pki/partner.test.key" \
	"--key $pki/partner.test.key is not the key of --cert $pki/harness.test.pem" \
	"pass the key that belongs to --cert"
expect=preflight creds_refused expired-cert "$pki/ca.pem" "$pki/harness.test-expired.pem" \
	"$pki/harness.test-expired.key" "--cert $pki/harness.test-expired.pem: expired on " \
	"pass a certificate that is valid now"
expect=preflight creds_refused bad-ca "$pki/ca.key" "$pki/harness.test.pem" "$pki/harness.test.key" \
	"--ca $pki/ca.key: no PEM certificate in it: pass the partner's CA"
refused serve-wrong-key "--key $pki/harness.test.key is not the key of --cert" -- \
	"$bin" serve --partner "$partner" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/partner.test.pem" --key "$pki/harness.test.key"
refused serve-expired "--cert $pki/partner.test-expired.pem: expired on " -- \
	"$bin" serve --partner "$partner" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
	--cert "$pki/partner.test-expired.pem" --key "$pki/partner.test-expired.key"
expect=preflight refused issuer-not-ca "--issuer-cert $pki/harness.test.pem: not a CA certificate" -- \
	"$bin" run --partner "$partner" "${target[@]}" --issuer-cert "$pki/harness.test.pem" \
	--issuer-key "$pki/harness.test.key"

# 4. --target without --ca: the system trust store. With it, the run goes on (the
# partner at 127.0.0.1:1 cannot be reached: exit 3, not a trust error).
attempt system-trust "$bin" run --partner "$partner" "${target[@]}" \
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --timeout 5
check "the system trust store is there (package ca-certificates, .ci/install)" \
	test -s /etc/ssl/certs/ca-certificates.crt
check "no --ca, system store: the run happens (exit 3, got $rc)" test "$rc" -eq 3
check "no --ca, system store: no trust error" bash -c "! grep -q 'trust store' '$tmp/system-trust.err'"
if [ "${CI:-}" = true ]; then
	check "CI runs the empty-store case (root and unshare)" \
		bash -c '[ "$(id -u)" -eq 0 ] && unshare -m true'
fi
if [ "$(id -u)" -eq 0 ] && unshare -m true 2>/dev/null; then
	# An empty store: the bundle hidden by /dev/null in a private mount namespace.
	expect=preflight refused empty-trust "no --ca given and the system trust store is empty" \
		"install the ca-certificates package, or pass --ca FILE" -- \
		unshare -m sh -c 'mount --bind /dev/null /etc/ssl/certs/ca-certificates.crt && exec "$@"' \
		sh "$bin" run --partner "$partner" "${target[@]}" --cert "$pki/harness.test.pem" \
		--key "$pki/harness.test.key"
	expect=preflight refused empty-trust-issuer "no --ca given and the system trust store is empty" -- \
		unshare -m sh -c 'mount --bind /dev/null /etc/ssl/certs/ca-certificates.crt && exec "$@"' \
		sh "$bin" run --partner "$partner" "${target[@]}" --issuer-cert "$pki/ca.pem" \
		--issuer-key "$pki/ca.key"
else
	echo "skip: empty system trust store (needs root and unshare)"
fi
# With no --target, the run-time PKI as before: no trust store is needed.
attempt builtin "$bin" run --partner "$partner" --only matrix-h9-out --quiet
check "no --target: the run-time PKI, exit 0 (got $rc)" test "$rc" -eq 0

# 5. A port in use: the option, the address and the fix. serve holds a port.
"$bin" serve --partner "$partner" "${serve_args[@]}" 2>"$tmp/holder.log" &
pids+=($!)
port=""
for _ in $(seq 1 100); do
	port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$tmp/holder.log")
	[ -n "$port" ] && break
	sleep 0.05
done
check "a serve holds a port ($port)" test -n "$port"
in_use="Address already in use: stop the program that holds the port, or pick another port"
refused listen-in-use "--listen 127.0.0.1:$port: cannot listen: bind 127.0.0.1 port $port" \
	"$in_use" -- "$bin" run --partner "$partner" --quiet --listen "127.0.0.1:$port"
refused serve-dns-in-use "--serve-dns 127.0.0.1:$port: cannot listen" "$in_use" -- \
	"$bin" run --partner "$partner" --quiet --serve-dns "127.0.0.1:$port"
refused serve-listen-in-use "--listen 127.0.0.1:$port: cannot listen" "$in_use" -- \
	"$bin" serve --partner "$partner" --listen "127.0.0.1:$port" --ca "$pki/ca.pem" \
	--cert "$pki/partner.test.pem" --key "$pki/partner.test.key"

finish operator
