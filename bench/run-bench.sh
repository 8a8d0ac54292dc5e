#!/usr/bin/env bash
# Wall time of the default suite: against the built-in reference partner with --jobs 1
# and --jobs 8 (and its 36 matrix scenarios), and of the matrix scenarios against a
# local Prosody 0.12 (req-db, class E4) in a
# namespace with only lo (tests/integration/lib.sh; needs root). REPS repetitions each;
# prints every time and the median. Figures, not a test: never gate CI on them.
# Usage: bench/run-bench.sh S2SCHECK SOURCE_DIR BUILD_DIR [REPS]   (docs/performance.md)
set -u
# Absolute paths: Prosody reads the certificates from its own working directory.
bin=$(realpath "$1")
src=$(realpath "$2")
build=$(realpath "$3")
reps=${4:-5}
source "$src/tests/integration/lib.sh"
source "$src/bench/lib.sh"

bench() { # LABEL ARGS... : REPS timed runs of s2scheck run ARGS
	local label=$1 t=() r t0 rc
	shift
	for ((r = 0; r < reps; r++)); do
		t0=$(peers_now_us)
		timeout -k 5 120 "$bin" run "$@" --quiet >/dev/null 2>&1
		rc=$?
		t+=("$(peers_secs $(($(peers_now_us) - t0)))")
		[ "$rc" -eq 0 ] || echo "# $label: run $r exit $rc (expected 0)"
	done
	printf '%-44s median %6s s   runs: %s\n' "$label" "$(median "${t[@]}")" "${t[*]}"
}

if [ -z "${S2S_PEERS_NETNS:-}" ]; then
	echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "# $("$bin" --version 2>/dev/null | head -n1); $reps repetitions each"
	bench "reference partner M7, default suite, --jobs 1" \
		--partner "$src/fixtures/partners/m07.xml" --jobs 1
	bench "reference partner M7, default suite, --jobs 8" \
		--partner "$src/fixtures/partners/m07.xml" --jobs 8
	bench "reference partner M7, default suite, --jobs 4 (default)" \
		--partner "$src/fixtures/partners/m07.xml"
	bench "reference partner M7, matrix scenarios, --jobs 8" \
		--partner "$src/fixtures/partners/m07.xml" --jobs 8 --only matrix
fi
# Against Prosody: in its own namespaces (peers_init runs this script again there).
fail=0
peers_init "$0" "$bin" "$src" "$build" "$reps"
pki=$PEERS_PKI
peers_dns_external 15853
peers_start_prosody p0 req-db 15851 >/dev/null || exit 1
for j in 1 4; do
	# The matrix scenarios (the whole suite follows, with fewer repetitions).
	bench "Prosody 0.12 req-db (E4), matrix scenarios, --jobs $j" --only matrix \
		--partner "$PEERS_FIXTURES/prosody/req-db.partner.xml" --target 127.0.0.1:15851 \
		--serve-dns 127.0.0.1:15853 --listen 127.0.0.1:15852 --ca "$pki/ca.pem" \
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --jobs "$j"
done
# The whole default suite, as run-prosody.sh runs it (issued certificates, Prosody's
# quirks, 8 connections, 4 s steps): most of its time is the partner's silences.
reps_all=$reps
reps=$(((reps + 2) / 3))
bench "Prosody 0.12 req-db (E4), default suite, --partner-connections 8 --step-timeout 4000" \
	--partner "$PEERS_FIXTURES/prosody/req-db.partner.xml" --target 127.0.0.1:15851 \
	--serve-dns 127.0.0.1:15853 --listen 127.0.0.1:15852 --ca "$pki/ca.pem" \
	--issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" \
	--quirks "$PEERS_FIXTURES/prosody/quirks.xml" --partner-connections 8 --timeout 20 \
	--step-timeout 4000
reps=$reps_all
echo "# (against a real partner --jobs is capped at --partner-connections, default 4)"
peers_stop p0 >/dev/null
