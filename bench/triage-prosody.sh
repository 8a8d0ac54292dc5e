#!/usr/bin/env bash
# Triage aid: the whole default suite (certificate scenarios skipped) against each
# Prosody 0.12 setting of fixtures/servers/prosody/, one Prosody at a time, in a
# namespace with only lo (tests/integration/lib.sh; needs root). Keeps, per setting,
# the JSON report, the transcripts and prosody.log under OUT_DIR/<variant>/, prints the
# results that are not `match` and the wall time of each run. Not a test.
# Usage: bench/triage-prosody.sh S2SCHECK SOURCE_DIR BUILD_DIR OUT_DIR [VARIANT...]
#   (default variants: all eight; extra s2scheck options in TRIAGE_ARGS, e.g.
#   "--step-timeout 4000 --partner-connections 8 --jobs 8"; a selection in TRIAGE_ONLY,
#   e.g. "--only order-stanza-before-auth-out")
set -u
# Absolute paths: Prosody reads the certificates from its own working directory.
bin=$(realpath "$1")
src=$(realpath "$2")
build=$(realpath "$3")
outdir=$(realpath -m "$4")
shift 4
source "$src/tests/integration/lib.sh"
peers_init "$0" "$bin" "$src" "$build" "$outdir" "$@"
shift 4
variants=("$@")
[ "${#variants[@]}" -gt 0 ] ||
	variants=(req-db opt-db notls-db req-nodb opt-nodb req-db-nosasl opt-db-nosasl req-db-secure)
pki=$PEERS_PKI
mkdir -p "$outdir"
base=15700
for i in "${!variants[@]}"; do
	v=${variants[$i]}
	port=$((base + 3 * i))
	out=$outdir/$v
	rm -rf "$out"
	mkdir -p "$out"
	peers_dns_external $((port + 2))
	peers_start_prosody p0 "$v" "$port" >/dev/null || exit 1
	t0=$(peers_now_us)
	# shellcheck disable=SC2086  # TRIAGE_ARGS: extra options, split on purpose
	timeout -k 5 900 "$bin" run --skip certificate ${TRIAGE_ONLY:-} \
		--partner "$PEERS_FIXTURES/prosody/$v.partner.xml" --target "127.0.0.1:$port" \
		--serve-dns "127.0.0.1:$((port + 2))" --listen "127.0.0.1:$((port + 1))" \
		--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
		--timeout 20 --json "$out/r.json" --transcripts "$out/tr" ${TRIAGE_ARGS:-} \
		>"$out/stdout" 2>"$out/stderr"
	rc=$?
	secs=$(peers_secs $(($(peers_now_us) - t0)))
	peers_stop p0 >/dev/null
	cp "${PEERS_DIR[p0]}/prosody.log" "$out/prosody.log"
	rm -rf "${PEERS_DIR[p0]}"
	echo "== $v: exit $rc in $secs s; $(jq -c '.summary' "$out/r.json" 2>/dev/null)"
	jq -r '.results[] | select(.verdict != "match") | "   \(.id) \(.verdict): expected \(.expected), observed \(.observed | join("|")): \(.cause)"' \
		"$out/r.json" 2>/dev/null
	# the slowest scenarios (a long wait shows here)
	jq -r '[.results[] | {id, d: .seconds}] | sort_by(-.d) | .[0:5] | map("\(.id)=\(.d * 10 | round / 10)s") | "   slowest: " + join(" ")' \
		"$out/r.json" 2>/dev/null
	# PEERS_NAMES must not list p0 twice for the EXIT trap
	PEERS_NAMES=()
done
