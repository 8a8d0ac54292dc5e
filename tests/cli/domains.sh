#!/usr/bin/env bash
# The domains verdict over the wire (issue 13 item 1): `s2scheck run` against
# `s2scheck serve` whose partner file hosts only some of the domains the run's
# partner file lists. The negotiation class must still be the one serve's settings
# imply (M8, E1: the domains-* scenarios are not in the classification), and the
# report must name each unserved domain with its fix, in both directions (the
# partner receiving: the harness initiates to the domain; the partner initiating:
# the harness pings the domain and the partner must connect in from it), in text,
# JSON and JUnit; the exit is 1 (a mismatch) for a fault and 0 without one.
# Usage: domains.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
# The text report wraps at COLUMNS (else 80; tests/cli/textreport.sh checks that):
# the checks below read its sentences whole.
export COLUMNS=400
cli_scratch
pki=$build/certs
serve_pid=""

partner_file() { # partner_file FILE ADDITIONAL... (M8: Required / Optional / False)
	local f=$1 d
	shift
	{
		echo '<?xml version="1.0" encoding="UTF-8"?>'
		echo '<XmppAllowedPartner xmlns="urn:s2scheck:partner:1" Identity="partner.test">'
		echo '  <AdditionalDomains>'
		for d in "$@"; do echo "    <Domain>$d</Domain>"; done
		echo '  </AdditionalDomains>'
		echo '  <TlsNegotiation>Required</TlsNegotiation>'
		echo '  <SaslNegotiation>Optional</SaslNegotiation>'
		echo '  <SupportDialbackNegotiation>false</SupportDialbackNegotiation>'
		echo '</XmppAllowedPartner>'
	} >"$f"
}

# domains LABEL RUN_FILE SERVE_FILE: runs the matrix and domains scenarios; sets rc.
domains() {
	local label=$1 runf=$2 servef=$3 out=$tmp/$1 dns
	rc=none
	for _ in 1 2 3; do # the DNS port is random: retry on a clash
		dns=$((20000 + RANDOM % 40000))
		cli_start_serve "$servef" "$dns" || break
		timeout -k 5 240 "$bin" run --partner "$runf" --target "127.0.0.1:$serve_port" \
			--serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
			--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet \
			--step-timeout 2000 --only matrix --only domains --json "$out.json" \
			--junit "$out.xml" >"$out.txt" 2>"$out.err"
		rc=$?
		cli_stop_serve
		grep -q "Address already in use" "$out.err" || break
		rc=none
	done
	echo "$label: exit $rc; $(grep -m1 '^negotiation:' "$out.txt")"
}

partner_file "$tmp/run.xml" corp.partner.test gone.partner.test other.test
partner_file "$tmp/serve.xml" corp.partner.test other.test

# 1. gone.partner.test is not served (host-unknown); other.test is served but the
# partner's certificate (partner.test, *.partner.test) does not name it.
domains faults "$tmp/run.xml" "$tmp/serve.xml"
j=$tmp/faults.json
check "faults: exit 1 (a domains fault is a mismatch), got $rc" test "$rc" = 1
check "faults: the negotiation class is the one serve's settings imply (matches M8)" \
	test "$(cli_jq -r '.classification.state' "$j")" = matches
check "faults: class E1" test "$(cli_jq -c '.classification.classes' "$j")" = '["E1"]'
check "faults: no domains-* result in the classification" \
	test "$(cli_jq '[.results[] | select(.id | startswith("domains-")) | select(.verdict != "skip")] | length' "$j")" -gt 0 -a \
	"$(cli_jq '.classification.observations' "$j")" = \
	"$(cli_jq '[.results[] | select(.id | startswith("matrix-")) | select(.verdict == "match" or .verdict == "mismatch")] | length' "$j")"
check "faults: the summary line" \
	test "$(cli_jq -r '.summary.line' "$j")" = \
	"negotiation: matches M8 (E1); domains: 1 of 4 not served, 1 not covered by the certificate"
check "faults: text report says the same" \
	grep -qx "negotiation: matches M8 (E1); domains: 1 of 4 not served, 1 not covered by the certificate" "$tmp/faults.txt"
for dir in outbound inbound; do
	item=".domains.items[] | select(.domain == \"gone.partner.test\" and .direction == \"$dir\")"
	check "faults: gone.partner.test $dir: not served" \
		test "$(cli_jq -r "$item | .served" "$j")" = no
	check "faults: gone.partner.test $dir: the finding names host-unknown" \
		grep -q "^gone.partner.test is not served by the partner (host-unknown)" \
		<<<"$(cli_jq -r "$item | .finding" "$j")"
	check "faults: gone.partner.test $dir: the fix" \
		test "$(cli_jq -r "$item | .fix" "$j")" = \
		"remove gone.partner.test from AdditionalDomains, or ask the partner to host it"
	item=".domains.items[] | select(.domain == \"corp.partner.test\" and .direction == \"$dir\")"
	check "faults: corp.partner.test $dir: served, covered, authenticated, no finding" \
		test "$(cli_jq -r "$item | [.served, .cert_covers, .authenticated, .finding] | @tsv" "$j")" = \
		"$(printf 'yes\tyes\tyes\t')"
	item=".domains.items[] | select(.domain == \"partner.test\" and .direction == \"$dir\")"
	check "faults: partner.test $dir: primary, served, authenticated" \
		test "$(cli_jq -r "$item | [.role, .served, .authenticated] | @tsv" "$j")" = \
		"$(printf 'primary\tyes\tyes')"
done
item='.domains.items[] | select(.domain == "other.test" and .direction == "outbound")'
check "faults: other.test outbound: served, but the certificate does not cover it" \
	test "$(cli_jq -r "$item | [.served, .cert_covers] | @tsv" "$j")" = "$(printf 'yes\tno')"
check "faults: other.test: the finding" \
	grep -q "^the partner's certificate does not cover other.test" \
	<<<"$(cli_jq -r "$item | .finding" "$j")"
check "faults: domains.faults counts each faulty item" \
	test "$(cli_jq '.domains.faults' "$j")" = "$(cli_jq '[.domains.items[] | select(.finding != null)] | length' "$j")"
check "faults: the suggested cmdlet keeps M8 and removes gone.partner.test" \
	test "$(cli_jq -r '.classification.suggested' "$j")" = \
	'Set-CsXmppAllowedPartner -Identity "partner.test" -TlsNegotiation Required -SaslNegotiation Optional -SupportDialbackNegotiation $False -AdditionalDomains @{Remove="gone.partner.test"}'
check "faults: JUnit validates" \
	xmllint --noout --schema "$src/tests/schema/junit.xsd" --quiet "$tmp/faults.xml"
check "faults: JUnit has a failing domains case per fault" \
	test "$(xmllint --xpath "count(//testcase[@classname='s2scheck.partner.test.domains']/failure)" "$tmp/faults.xml")" = \
	"$(cli_jq '.domains.faults' "$j")"

# 2. Every listed domain is served and covered: no domains fault.
partner_file "$tmp/run2.xml" corp.partner.test
domains clean "$tmp/run2.xml" "$tmp/serve.xml"
j=$tmp/clean.json
check "clean: the domains summary" test "$(cli_jq -r '.domains.summary' "$j")" = "2 of 2 served"
check "clean: no domains fault" test "$(cli_jq '.domains.faults' "$j")" = 0
check "clean: matches M8" test "$(cli_jq -r '.classification.state' "$j")" = matches
check "clean: the cmdlet has no -AdditionalDomains" \
	test "$(cli_jq -r '.classification.suggested | contains("AdditionalDomains")' "$j")" = false
check "clean: every scenario matched or was skipped" \
	test "$(cli_jq '.summary.mismatch + .summary.error + .summary.xpass' "$j")" = 0
check "clean: exit 0, got $rc" test "$rc" = 0

finish domains
