#!/usr/bin/env bash
# The preflight (`s2scheck check`, and the start of `run --target`) against a real
# Prosody 0.12 partner (req-db: TLS required, dialback and SASL EXTERNAL) on loopback, in
# a network namespace with only lo; Prosody's resolver forwards to the check's own
# --serve-dns zone (issue 12 acceptance):
#   - everything in place: exit 0, Prosody connected in to preflight.harness.test;
#   - a harness certificate for the wrong name, and one without *.harness.test: check
#     and run exit 2 within 10 s naming PRE-HARNESS-NAMES, no scenario runs;
#   - Prosody cannot resolve the harness zone (no --serve-dns: its resolver asks a
#     port nobody serves): check and run exit 3 within 10 s naming PRE-INBOUND;
#   - a dead target: check and run exit 3 within 10 s naming PRE-TCP-IPV4.
# Usage (as root): check-prosody.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
source "$2/tests/integration/lib.sh"
peers_init "$0" "$@"
bin=$1

base=15700 # Prosody s2s: base; the check's --listen base+100, DNS base+200
variant=req-db
partner=$PEERS_FIXTURES/prosody/$variant.partner.xml
peers_dns_external $((base + 200))
peers_launch_prosody p0 "$variant" "$base"
check "p0 ($variant) listens" peers_wait_ready p0

now_ms() { date +%s%3N; }
# timed NAME CMD...: CMD with stdout/stderr to $PEERS_RUN/NAME.out/.err; sets rc, ms.
timed() {
	local name=$1 t0
	shift
	t0=$(now_ms)
	timeout -k 5 60 "$@" >"$PEERS_RUN/$name.out" 2>"$PEERS_RUN/$name.err"
	rc=$?
	ms=$(($(now_ms) - t0))
	peers_log "$name: exit $rc in $ms ms"
}
# The harness side against Prosody; extra options follow (a later --cert wins).
harness=(--partner "$partner" --listen "127.0.0.1:$((base + 100))" --ca "$PEERS_PKI/ca.pem")
zone=(--serve-dns "127.0.0.1:$((base + 200))")
issuer=(--issuer-cert "$PEERS_PKI/ca.pem" --issuer-key "$PEERS_PKI/ca.key")
target=(--target "127.0.0.1:${PEERS_PORT[p0]}")

# 1. Everything in place.
timed good "$bin" check "${harness[@]}" "${zone[@]}" "${issuer[@]}" "${target[@]}" --json -
check "good: exit 0 [$rc] ($(cli_jq -r '[.findings[] | select(.severity != "OK") | .id + ": " + .text] | join("; ")' "$PEERS_RUN/good.out"))" \
	test "$rc" -eq 0
check "good: Prosody connected in to preflight.harness.test and preflight-2" \
	test "$(jq -r '[.findings[] | select(.id == "PRE-INBOUND") | .severity] | unique | join(",")' "$PEERS_RUN/good.out")" = OK
check "good: Prosody's certificate names partner.test and chat.partner.test" \
	test "$(jq -r '[.findings[] | select(.id == "PRE-CERT-NAMES" and .severity == "OK") | .subject] | sort | join(",")' "$PEERS_RUN/good.out")" = "chat.partner.test,partner.test"

# 2. Harness certificates that do not cover the names the run uses.
for cert in harness.test-wrongname harness.test-dns; do
	opts=("${harness[@]}" "${zone[@]}" "${target[@]}" --cert "$PEERS_PKI/$cert.pem"
		--key "$PEERS_PKI/$cert.key")
	timed "check-$cert" "$bin" check "${opts[@]}"
	check "$cert: check exits 2 within 10 s [$rc, $ms ms]" test "$rc" -eq 2 -a "$ms" -lt 10000
	check "$cert: check names PRE-HARNESS-NAMES" \
		grep -q "^FAIL PRE-HARNESS-NAMES" "$PEERS_RUN/check-$cert.out"
	timed "run-$cert" "$bin" run "${opts[@]}" --quiet --only matrix --json "$PEERS_RUN/$cert.json"
	check "$cert: run exits 2 within 10 s [$rc, $ms ms]" test "$rc" -eq 2 -a "$ms" -lt 10000
	check "$cert: run names the cause" grep -q 'FAIL PRE-HARNESS-NAMES' "$PEERS_RUN/run-$cert.err"
	cli_check_stopped "$cert: run" "$PEERS_RUN/$cert.json" PRE-HARNESS-NAMES
done

# 3. Prosody cannot resolve the harness zone: nothing serves its DNS port now. Another
# harness domain, since Prosody keeps what it resolved for harness.test above.
nozone=(--domain nozone.test)
timed nozone "$bin" check "${harness[@]}" "${issuer[@]}" "${target[@]}" "${nozone[@]}"
check "no zone: check exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "no zone: PRE-INBOUND says Prosody could not reach the harness" \
	grep -q "^FAIL PRE-INBOUND .*could not reach preflight.nozone.test" "$PEERS_RUN/nozone.out"
timed nozone-run "$bin" run "${harness[@]}" "${issuer[@]}" "${target[@]}" "${nozone[@]}" \
	--quiet --only matrix \
	--json "$PEERS_RUN/nozone.json"
check "no zone: run exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "no zone: run names PRE-INBOUND" grep -q 'FAIL PRE-INBOUND' "$PEERS_RUN/nozone-run.err"
cli_check_stopped "no zone: run" "$PEERS_RUN/nozone.json" PRE-INBOUND

# 4. A dead target: Prosody's port + 1 (nothing listens there in the namespace).
dead=(--target "127.0.0.1:$((base + 1))")
timed dead "$bin" check "${harness[@]}" "${zone[@]}" "${issuer[@]}" "${dead[@]}"
check "dead: check exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000
check "dead: names PRE-TCP-IPV4" grep -q "^FAIL PRE-TCP-IPV4" "$PEERS_RUN/dead.out"
timed dead-run "$bin" run "${harness[@]}" "${zone[@]}" "${issuer[@]}" "${dead[@]}" --quiet \
	--only matrix
check "dead: run exits 3 within 10 s [$rc, $ms ms]" test "$rc" -eq 3 -a "$ms" -lt 10000

peers_stop_all p0
peers_leftovers
check "no process left in the namespace [$PEERS_LEFT]" test -z "$PEERS_LEFT"
finish check-prosody
