#!/usr/bin/env bash
# Extra harness senders (<multiplex from>) against a real partner (`s2scheck serve` in
# another process): the operator's certificate (harness.test, *.harness.test) does not
# name mux1.<id>.harness.test, which a sender needs on a stream of its own (SASL
# EXTERNAL) and on the stream the partner opens to answer its ping (the partner checks
# the certificate). The run skips those scenarios and says why, instead of a mismatch
# that a conforming partner would get (found against ejabberd 23.01: "Certificate host
# name mismatch"); with a certificate that names the senders they run and match.
# Usage: mux-cert.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
tmp=$(mktemp -d)
pki=$build/certs
serve_pid=""
cleanup() {
	if [ -n "$serve_pid" ]; then
		kill "$serve_pid" 2>/dev/null
		wait "$serve_pid" 2>/dev/null
	fi
	[ -n "${KEEP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

# mux_run PARTNER_FILE OUT CERT KEY: serve PARTNER_FILE, run the multiplex scenarios
# against it with that harness certificate; retries on a port clash. Sets rc.
mux_run() {
	local partner=$1 out=$2 cert=$3 key=$4 dns try
	rc=none
	for try in 1 2 3; do
		dns=$((20000 + RANDOM % 40000))
		: >"$tmp/serve.log"
		"$bin" serve --partner "$partner" --listen 127.0.0.1:0 --resolver "127.0.0.1:$dns" \
			--ca "$pki/ca.pem" --cert "$pki/partner.test.pem" --key "$pki/partner.test.key" \
			2>"$tmp/serve.log" &
		serve_pid=$!
		local port=""
		for _ in $(seq 1 100); do # at most 5 s
			port=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' "$tmp/serve.log")
			[ -n "$port" ] && break
			sleep 0.05
		done
		if [ -n "$port" ]; then
			timeout -k 5 120 "$bin" run --partner "$partner" --target "127.0.0.1:$port" \
				--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
				--cert "$cert" --key "$key" --quiet \
				--timeout 20 --only multiplex --json "$out.json" --transcripts "$out.tr" >"$out.txt" 2>"$out.err"
			rc=$?
		fi
		kill "$serve_pid" 2>/dev/null
		wait "$serve_pid" 2>/dev/null
		serve_pid=""
		grep -q "Address already in use" "$out.err" 2>/dev/null || return 0
	done
}

verdicts() { # OUT -> "id=verdict ..." of the sender scenarios, sorted
	jq -r '[.results[] | select(.id | startswith("domains-mux-sender")) | "\(.id)=\(.verdict)"] | sort | join(" ")' "$1.json"
}

ids=(domains-mux-sender-h1-out domains-mux-sender-h13-out domains-mux-sender-h9-in domains-mux-sender-h9-out)
all() { # VERDICT -> "id=VERDICT ..." for the four sender scenarios
	local i out=()
	for i in "${ids[@]}"; do out+=("$i=$1"); done
	echo "${out[*]}"
}

# 1. M7 (E4) with the default harness certificate: every sender scenario is skipped.
mux_run "$src/fixtures/partners/m07.xml" "$tmp/m07" "$pki/harness.test.pem" "$pki/harness.test.key"
check "M7, default certificate: exit 0, got $rc ($(head -c 300 "$tmp/m07.err"))" test "$rc" = 0
got=$(verdicts "$tmp/m07")
check "M7, default certificate: the sender scenarios are skipped [$got]" test "$got" = "$(all skip)"
check "M7, default certificate: the skip names the certificate and the sender" \
	jq -e --arg c "$pki/harness.test.pem" '.results[] | select(.id == "domains-mux-sender-h1-out") | .cause == "skipped: \($c) does not name the extra sender mux1.domains-mux-sender-h1-out.harness.test (give a certificate that also names *.domains-mux-sender-h1-out.harness.test, or --issuer-cert and --issuer-key)"' "$tmp/m07.json"

# 2. A harness certificate from the test CA that also names *.<id>.harness.test: the
# same scenarios run and match, against M7 and against M1 (E1, no dialback, so each
# sender has a stream of its own).
{
	sed -n '/^cn\|^dns_name\|^other_name\|^tls_www\|^signing_key\|_date/p' "$pki/tmpl/harness.test.tmpl"
	for i in "${ids[@]}"; do echo "dns_name = \"*.$i.harness.test\""; done
} >"$tmp/mux.tmpl"
certtool --generate-privkey --key-type=ecdsa --curve=secp256r1 --outfile "$tmp/mux.key" >/dev/null 2>&1
certtool --generate-certificate --load-privkey "$tmp/mux.key" --load-ca-certificate "$pki/ca.pem" \
	--load-ca-privkey "$pki/ca.key" --template "$tmp/mux.tmpl" --outfile "$tmp/mux.pem" >/dev/null 2>&1
check "a harness certificate naming the senders was issued" test -s "$tmp/mux.pem"
for m in m07 m01; do
	mux_run "$src/fixtures/partners/$m.xml" "$tmp/$m-mux" "$tmp/mux.pem" "$tmp/mux.key"
	check "$m, certificate naming the senders: exit 0, got $rc ($(head -c 300 "$tmp/$m-mux.err"))" test "$rc" = 0
	got=$(verdicts "$tmp/$m-mux")
	check "$m, certificate naming the senders: all match [$got]" test "$got" = "$(all match)"
done

# 3. The built-in reference partner issues its own certificates: nothing is skipped.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" --only multiplex \
	--quiet --json "$tmp/ref.json" >/dev/null 2>&1
rc=$?
check "reference partner M7: exit 0, got $rc" test "$rc" = 0
got=$(verdicts "$tmp/ref")
check "reference partner M7: all match [$got]" test "$got" = "$(all match)"
finish mux-cert
