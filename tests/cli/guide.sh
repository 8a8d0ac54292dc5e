#!/usr/bin/env bash
# docs/real-partner.md, exercised on loopback (issue 12 item 4): every shell block
# marked <!-- guide-test: NAME --> is taken from the guide as written and run, in
# order, in a scratch folder, with `s2scheck` the built program. The internet is
# 127.0.0.1; the partner (fabrikam.com in the guide) is `s2scheck serve` as
# partner.test with the build's test PKI, serving its own zone. The substitutions,
# and nothing else:
#   names     DOMAIN=s2scheck.test, PARTNER=partner.test, PUBLIC_IP="127.0.0.1 -p P"
#             (P: the harness zone's DNS port; drill's "-p" is its port option)
#   partners  fabrikam.com -> partner.test
#   check,    --listen 0.0.0.0:5269 --advertise $PUBLIC_IP -> --listen 127.0.0.1:0
#   run       --advertise 127.0.0.1, --serve-dns 0.0.0.0:53 -> 127.0.0.1:P,
#             --target srv -> also --resolver (the partner's zone), and a few
#             scenarios (with short timeouts for run) instead of the whole suite
# The dns block is tried while `check` serves the harness zone (the partner stopped,
# so that the check lasts its --timeout). The guide's blocks that need the internet,
# Windows or the host's firewall say so in the guide and are not run.
# Usage: guide.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
src=$(cd "$2" && pwd)
build=$(cd "$3" && pwd)
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
guide=$src/docs/real-partner.md
mkdir -p "$tmp/bin" "$tmp/work"
ln -s "$bin" "$tmp/bin/s2scheck"
export PATH="$tmp/bin:$PATH"

# block NAME: the shell block after <!-- guide-test: NAME --> in the guide.
block() {
	awk -v name="$1" '
		$0 == "<!-- guide-test: " name " -->" { want = 1; next }
		want && /^```sh$/ { inside = 1; next }
		inside && /^```$/ { exit }
		inside { print }
	' "$guide"
}

# Every marked block exists and is not empty: a renamed marker must not pass quietly.
for name in names list dns ca cert cert-check partners validate check check-read run read; do
	check "the guide has a '$name' block" test -n "$(block "$name")"
done
check "the guide has no marked block this test does not know" \
	test "$(grep -c '^<!-- guide-test: ' "$guide")" -eq 12

cd "$tmp/work" || exit 1

# 0. The names, then the loopback values.
eval "$(block names)"
check "names: DOMAIN, PUBLIC_IP and PARTNER are set" test -n "$DOMAIN" -a -n "$PUBLIC_IP" -a -n "$PARTNER"
DOMAIN=s2scheck.test
PARTNER=partner.test

# 1. list
bash -c "$(block list)" >list.out 2>&1
check "list: runs and shows matrix-h13-out [$(head -c 200 list.out)]" grep -q '^matrix-h13-out ' list.out

# 3. The test CA and the harness certificate, as the guide makes them.
DOMAIN=$DOMAIN bash -ec "$(block ca)" >ca.out 2>&1
check "ca: certtool made test-ca.pem [$(tail -c 300 ca.out)]" test -s test-ca.pem -a -s test-ca.key
DOMAIN=$DOMAIN bash -ec "$(block cert)" >cert.out 2>&1
check "cert: certtool made harness.pem [$(tail -c 300 cert.out)]" test -s harness.pem -a -s harness.key
bash -c "$(block cert-check)" >cert-check.out 2>&1
check "cert-check: DNSname $DOMAIN" grep -q "DNSname: $DOMAIN\$" cert-check.out
check "cert-check: DNSname *.$DOMAIN" grep -qF "DNSname: *.$DOMAIN" cert-check.out
check "cert-check: serverAuth and clientAuth" \
	bash -c "grep -q 'TLS WWW Server' cert-check.out && grep -q 'TLS WWW Client' cert-check.out"
check "cert-check: the chain verifies [$(tail -c 200 cert-check.out)]" \
	grep -q 'Chain verification output: Verified' cert-check.out

# 6. The partner file, as exported, then validate.
block partners | sed 's/fabrikam\.com/partner.test/g' >partners.sh
bash -e partners.sh
check "partners: partners.txt written" test -s partners.txt
PARTNER=$PARTNER bash -c "$(block validate)" >validate.out 2>&1
rc=$?
check "validate: exit 0 (got $rc: $(head -c 300 validate.out))" test "$rc" -eq 0
check "validate: the row and the cmdlet line" \
	bash -c "grep -q 'M7' validate.out && grep -q 'Set-CsXmppAllowedPartner\\|New-CsXmppAllowedPartner' validate.out"

# The partner: serve as partner.test with the guide's partners.txt, trusting the
# guide's test CA, resolving through the harness's zone, serving its own zone (port
# 0: serve says which). Sets serve_pid and pdns.
start_partner() {
	"$bin" serve --partner partners.txt --listen 127.0.0.1:0 --resolver "127.0.0.1:$dnsport" \
		--serve-dns 127.0.0.1:0 --ca test-ca.pem --cert "$pki/partner.test.pem" \
		--key "$pki/partner.test.key" 2>serve.log &
	serve_pid=$!
	pids+=("$serve_pid")
	pdns=""
	for _ in $(seq 1 100); do
		pdns=$(sed -n 's/.*serving the zone of .* on 127.0.0.1 port \([0-9]*\).*/\1/p' serve.log)
		[ -n "$pdns" ] && return 0
		sleep 0.1
	done
	return 1
}
cp "$pki/ca.pem" partner-ca.pem

# loopback NAME EXTRA: the guide's block NAME with the loopback substitutions, EXTRA
# added after --target srv.
scenarios="--only matrix-h13-out --only matrix-h13-in --only matrix-h9-in --only stream-keepalive-out"
loopback() {
	block "$1" | sed -e 's/--listen 0\.0\.0\.0:5269 --advertise \$PUBLIC_IP/--listen 127.0.0.1:0 --advertise 127.0.0.1/' \
		-e "s/--serve-dns 0\.0\.0\.0:53/--serve-dns 127.0.0.1:$dnsport/" \
		-e "s/--target srv/--target srv --resolver 127.0.0.1:$pdns $2/"
}

# 7, 8. The check and the run, as the guide writes them, on loopback. The harness
# zone's port is random (serve must know it first): on a clash, another port and
# another partner.
for _ in 1 2 3; do
	dnsport=$((20000 + RANDOM % 40000))
	PUBLIC_IP="127.0.0.1 -p $dnsport"
	start_partner
	check "serve (the partner) is up [$(head -c 300 serve.log)]" test -n "$pdns"
	loopback check "$scenarios" >check.sh
	DOMAIN=$DOMAIN PARTNER=$PARTNER timeout -k 5 60 bash check.sh >check.out 2>check.err
	check_rc=$?
	loopback run "--quiet --timeout 10 $scenarios" >run.sh
	if ! grep -q "Address already in use" check.err; then
		DOMAIN=$DOMAIN PARTNER=$PARTNER timeout -k 5 120 bash run.sh >run.out 2>run.err
		rc=$?
		grep -q "Address already in use" run.err || break
	fi
	kill "$serve_pid"
	wait "$serve_pid" 2>/dev/null
done
for f in check run; do
	check "$f: the substitutions applied" \
		test "$(grep -o -e '127.0.0.1:0 --advertise 127.0.0.1 ' -e "127.0.0.1:$dnsport" -e 'resolver 127' $f.sh | wc -l)" -eq 3
done
# The partner is ready: the one WARN is the harness chain (the guide's test CA is not
# the --ca of the partner), as the guide says.
check "check: exit 1, ready with warnings (got $check_rc: $(head -c 400 check.err))" test "$check_rc" -eq 1
check "check: the partner connected in [$(grep PRE-INBOUND check.out)]" \
	grep -q "^OK   PRE-INBOUND .*connected in to preflight.$DOMAIN" check.out
check "check: the partner's certificate names $PARTNER" \
	grep -q "^OK   PRE-CERT-NAMES *$PARTNER: names $PARTNER" check.out
check "check: the harness certificate covers the scenario names" \
	grep -q "^OK   PRE-HARNESS-NAMES .*covers $DOMAIN" check.out
check "check: the published address is --advertise" \
	grep -q "^OK   PRE-HARNESS-ADVERTISE 127.0.0.1: " check.out
bash -c "$(block check-read)" >check-read.out 2>&1
check "check-read: the result [$(head -c 300 check-read.out)]" test "$(head -n 1 check-read.out)" = "warn (exit 1)"
check "check-read: the one WARN is the harness chain, with its fix" \
	bash -c "test \"\$(tail -n +2 check-read.out | wc -l)\" -eq 1 && grep -q '^WARN PRE-HARNESS-CERT harness.pem: ' check-read.out"
check "run: exit 0 (got $rc: $(head -c 400 run.err))" test "$rc" -eq 0
check "run: four results, all match [$(cli_jq -c .summary report.json)]" \
	test "$(cli_jq '.summary.match' report.json)" = 4
check "run: a verdict on the partner, not a self-test" \
	test "$(cli_jq -r '.target_info.kind' report.json)" = partner
check "run: JUnit and transcripts written" \
	test -s report.xml -a -s transcripts/matrix-h13-out.txt
check "run: ConnectionLimit 4 from partners.txt" \
	test "$(cli_jq '.target_info.connections' report.json)" = 4

# 9. Reading the result.
bash -c "$(block read)" >read.out 2>&1
check "read: the classification line [$(head -c 300 read.out)]" \
	grep -qE '^matches: ([M0-9,]*,)?M7(,[M0-9,]*)? \(1 outbound, 2 inbound\)$' read.out
check "read: the suggestion" grep -q '^Set-CsXmppAllowedPartner -Identity "partner.test"' read.out
check "read: no result that did not match" test "$(wc -l <read.out)" -eq 2

# 2. The harness zone, asked with the guide's drill commands while `check` serves it
# (step 7's block as above). The partner is stopped (SIGSTOP) so that the check lasts:
# its kernel still accepts connections, but it neither answers a stream nor connects
# in, so the check waits until its --timeout (8 s). The partner's zone is stopped with
# it: --target names the partner's port instead of --target srv. The dns block is
# tried meanwhile (bounded: 40 tries, 0.2 s apart, 5 s each at most, while the check
# lasts).
mkdir dnscheck && cd dnscheck || exit 1
cp ../partners.txt ../partner-ca.pem ../harness.pem ../harness.key .
pport=$(sed -n 's/.*listening on 127.0.0.1 port \([0-9]*\).*/\1/p' ../serve.log)
sed "s/--target srv --resolver 127\.0\.0\.1:[0-9]*/--target 127.0.0.1:$pport/" ../check.sh >check.sh
check "dns: the check names the stopped partner's port [$pport]" grep -q -- "--target 127.0.0.1:$pport " check.sh
kill -STOP "$serve_pid"
DOMAIN=$DOMAIN PARTNER=$PARTNER timeout -k 5 60 bash check.sh >check.out 2>check.err &
check_pid=$!
pids+=("$check_pid")
: >dns.out
# The zone is up once the check has looked at the harness side and the partner's
# addresses (a fraction of a second); a query sent before that would make drill wait
# out its own timeouts.
sleep 1
for _ in $(seq 1 40); do
	kill -0 "$check_pid" 2>/dev/null || break
	DOMAIN=$DOMAIN PUBLIC_IP=$PUBLIC_IP timeout -k 1 5 bash -c "$(block dns)" >dns.out 2>&1
	grep -q "^127\.0\.0\.1\$" dns.out && break
	sleep 0.2
done
wait "$check_pid"
check "dns: SRV of a scenario name [$(head -c 300 dns.out); the check: $(grep -E '^(FAIL|WARN)' check.out | head -c 600)]" \
	grep -qE "^0 0 [0-9]+ matrix-h13-in\.$DOMAIN\.\$" dns.out
check "dns: its A record" grep -q '^127\.0\.0\.1$' dns.out
kill -CONT "$serve_pid"
cd .. || exit 1

finish guide
