#!/usr/bin/env bash
# Incomplete certificate chains (issue 15 item 4, docs/certificates.md "Incomplete
# chains"), both directions, against `s2scheck serve` over loopback:
#   (b) the harness presents a leaf with and without its intermediate: `run --only chain`
#       against serve for several partner rows (M13, M1, M9, M7), every certificate
#       issued at run time under the test CA (--issuer-cert): all four scenarios match,
#       the leaf alone is never authenticated by SASL EXTERNAL, the complete chain is;
#   (a) the partner presents its leaf without the intermediate (serve --cert
#       partner.test-nointermediate.pem): `check` fails PRE-CERT-CHAIN (issuer unknown,
#       fix: send the whole chain) and exits 3; `run` reports it and finds TLS unusable
#       where its TLS is Required (a mismatch, exit 1); with partner.test-chain.pem
#       PRE-CERT-CHAIN is OK.
# Usage: chain.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

check "list shows the four chain scenarios" \
	test "$("$bin" list --only chain | sed -n 's/^\(cert-[a-z-]*\) .*/\1/p' | tr '\n' ' ')" = \
	"cert-chain-in cert-chain-out cert-nointermediate-in cert-nointermediate-out "

# run_against PARTNER OUT SERVE_ARGS...: cli_against_serve with the command in cmd.
run_against() {
	cli_cmd=("${cmd[@]}")
	cli_against_serve "$@"
	check "$2: serve started and a free DNS port was found" test "$cli_started" -eq 1
}

# (b) The harness's chains against the reference partner.
for m in m13 m01 m09 m07; do
	cmd=("$bin" run --partner "$src/fixtures/partners/$m.xml" --target "127.0.0.1:@PORT@"
		--serve-dns "127.0.0.1:@DNS@" --listen 127.0.0.1:0 --ca "$pki/ca.pem"
		--issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" --quiet --timeout 20
		--only chain --json "$tmp/$m.json" --transcripts "$tmp/$m")
	run_against "$m" "$tmp/$m"
	check "$m: run --only chain exits 0, got $rc ($(head -c 300 "$tmp/$m.err"))" test "$rc" -eq 0
	check "$m: the four chain scenarios ran and matched" \
		test "$(cli_jq -r '[.results[] | select(.verdict == "match")] | length' "$tmp/$m.json")" = 4
	check "$m: the leaf alone is never authenticated by SASL EXTERNAL" \
		test "$(cli_jq -r '[.results[] | select(.id | startswith("cert-nointermediate")) | .observed[] | select(. == "S")] | length' "$tmp/$m.json")" = 0
done
check "M1 (SASL only): the complete chain authenticates by SASL EXTERNAL (S)" \
	test "$(cli_jq -r '[.results[] | select(.id == "cert-chain-out") | .observed[]] | join(",")' "$tmp/m01.json")" = S
check "M1: the leaf alone does not (F3)" \
	test "$(cli_jq -r '[.results[] | select(.id == "cert-nointermediate-out") | .observed[]] | join(",")' "$tmp/m01.json")" = F3

# (a) The partner's chain, as the preflight judges it.
for variant in nointermediate chain; do
	cmd=("$bin" check --partner "$src/fixtures/partners/m13.xml" --target "127.0.0.1:@PORT@"
		--serve-dns "127.0.0.1:@DNS@" --listen 127.0.0.1:0 --ca "$pki/ca.pem"
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix
		--json "$tmp/check-$variant.json")
	run_against m13 "$tmp/check-$variant" --cert "$pki/partner.test-$variant.pem" \
		--key "$pki/partner.test-$variant.key"
	chain=$(cli_jq -r '[.findings[] | select(.id == "PRE-CERT-CHAIN") | .severity] | join(",")' "$tmp/check-$variant.json")
	if [ "$variant" = chain ]; then
		check "serve with leaf + intermediate: check exits 0 [$rc], PRE-CERT-CHAIN OK [$chain]" \
			test "$rc" -eq 0 -a "$chain" = OK
	else
		check "serve with the leaf alone: check exits 3 [$rc], PRE-CERT-CHAIN FAIL [$chain]" \
			test "$rc" -eq 3 -a "$chain" = FAIL
		check "serve with the leaf alone: the finding says the issuer is unknown" \
			grep -q "^FAIL PRE-CERT-CHAIN .*issuer is unknown" "$tmp/check-$variant.txt"
	fi
done
cmd=("$bin" run --partner "$src/fixtures/partners/m13.xml" --target "127.0.0.1:@PORT@"
	--serve-dns "127.0.0.1:@DNS@" --listen 127.0.0.1:0 --ca "$pki/ca.pem"
	--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --only matrix --quiet
	--json "$tmp/run-leaf.json")
run_against m13 "$tmp/run-leaf" --cert "$pki/partner.test-nointermediate.pem" \
	--key "$pki/partner.test-nointermediate.key"
# The preflight does not stop the run for it (the partner's fault, not the set-up's):
# the harness with TLS Required finds TLS unusable (reference §3.7), a mismatch.
check "run against the leaf alone: exit 1 (the partner is misconfigured) [$rc]" test "$rc" -eq 1
check "run against the leaf alone: the preflight's PRE-CERT-CHAIN FAIL says to send the whole chain" \
	test "$(cli_jq -r '[.preflight[] | select(.id == "PRE-CERT-CHAIN" and .severity == "FAIL" and (.fix | test("send its whole chain")))] | length' "$tmp/run-leaf.json")" = 1
check "run against the leaf alone: H1 (TLS Required) finds TLS unusable: the certificate does not prove partner.test" \
	test "$(cli_jq -r '.results[] | select(.id == "matrix-h1-out") | [.verdict, (.cause | test("certificate does not prove partner.test"))] | map(tostring) | join(",")' "$tmp/run-leaf.json")" = "mismatch,true"

finish chain
