#!/usr/bin/env bash
# The default suite against real servers with DEFAULT options (issue 13 item 4 c):
# Prosody 0.12 req-db (E4) and ejabberd required-db (E4), each in a namespace with only
# lo (tests/integration/lib.sh; needs root), REPS repetitions (default 3). Only what a
# run against a real partner needs is given (partner file, target, the run's own DNS
# zone and listener, the test CA, --issuer-cert/--issuer-key, the server's --quirks):
# no --partner-connections, --step-timeout or --timeout. For each run: wall time,
# user+sys CPU, max RSS (/usr/bin/time), exit code, and the run's answer times and
# smart windows (S2SCHECK_STATS=1, docs/timeouts.md "Smart silence window"); then
# the median of each. Figures, not a test: recorded in docs/performance.md
# "Default suite against real servers (issue 13)".
# Usage: bench/suite-bench.sh S2SCHECK SOURCE_DIR BUILD_DIR [REPS]
set -u
bin=$(realpath "$1")
src=$(realpath "$2")
build=$(realpath "$3")
reps=${4:-3}
source "$src/tests/integration/lib.sh"
source "$src/bench/lib.sh"

suite() { # LABEL ARGS... : REPS timed runs of the default suite
	local label=$1 r rc wall=() cpu=() rss=() f
	shift
	for ((r = 0; r < reps; r++)); do
		f=$PEERS_RUN/bench-$r
		mkdir -p "$f"
		S2SCHECK_STATS=1 /usr/bin/time -o "$f/time" -f "%e %U %S %M" \
			timeout -k 5 300 "$bin" run "$@" --quiet --json "$f/r.json" >/dev/null 2>"$f/err"
		rc=$?
		# /usr/bin/time writes "Command exited with non-zero status N" first on a failure.
		read -r w u s m < <(tail -n1 "$f/time")
		wall+=("$w")
		cpu+=("$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}')")
		rss+=("$((m / 1024))")
		printf '# %s run %d: exit %d, %s s wall, %s s user+sys, %s MiB max RSS; %s; %s\n' \
			"$label" "$r" "$rc" "$w" "${cpu[-1]}" "${rss[-1]}" \
			"$(jq -r '[.summary | to_entries[] | select(.value | type == "number") | "\(.key) \(.value)"] | join(", ")' "$f/r.json" 2>/dev/null)" \
			"$(sed -n 's/^s2scheck: stats: //p' "$f/err")"
		jq -r '[.results[] | select(.seconds > 0.5) | "\(.id) \(.seconds * 10 | floor / 10) s"] | "#   slow: " + join(", ")' "$f/r.json" 2>/dev/null
	done
	printf '%-40s median %6s s wall, %5s s user+sys, %4s MiB max RSS (runs: %s)\n' "$label" \
		"$(median "${wall[@]}")" "$(median "${cpu[@]}")" "$(median "${rss[@]}")" "${wall[*]}"
}

if [ -z "${S2S_PEERS_NETNS:-}" ]; then
	echo "# $(nproc) CPUs: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
	echo "# $("$bin" --version 2>/dev/null | head -n1); $reps repetitions each"
fi
peers_init "$0" "$bin" "$src" "$build" "$reps"
pki=$PEERS_PKI
mapfile -t scen_names < <(peers_scenario_names "$bin")
peers_hosts_add "${scen_names[@]}"
args() { # KIND VARIANT S2S_PORT DNS_PORT LISTEN_PORT
	printf '%s\n' --partner "$PEERS_FIXTURES/$1/$2.partner.xml" --target "127.0.0.1:$3" \
		--serve-dns "127.0.0.1:$4" --listen "127.0.0.1:$5" --ca "$pki/ca.pem" \
		--issuer-cert "$pki/ca.pem" --issuer-key "$pki/ca.key" \
		--quirks "$PEERS_FIXTURES/$1/quirks.xml"
}
peers_dns_external 15863
peers_start_prosody p0 req-db 15861 >/dev/null || exit 1
mapfile -t a < <(args prosody req-db 15861 15863 15862)
suite "Prosody 0.12 req-db (E4), default suite" "${a[@]}"
peers_stop p0 >/dev/null
peers_dns_external 15873
peers_start_ejabberd e0 required-db 15871 15921 "$PEERS_PARTNER" >/dev/null || exit 1
mapfile -t a < <(args ejabberd required-db 15871 15873 15872)
suite "ejabberd required-db (E4), default suite" "${a[@]}"
peers_stop e0 >/dev/null
