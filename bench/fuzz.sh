#!/usr/bin/env bash
# Longer fuzzing campaigns (docs/fuzzing.md): runs fuzz targets of a fuzz build one
# after the other (one core), each for a time or a number of executions, and prints
# one row per target: executions, exec/s, seconds, crashes, peak RSS, result.
# Like every bench/ script it prints figures; it does not pass or fail the tests
# (the exit status is 1 when a target found something, for scripts).
#
#   bench/fuzz.sh [-b BUILD] [-t SECONDS] [-r RUNS] [-o OUT] [TARGET...]
#
# BUILD: a build with -DS2S_FUZZ=ON (default build-fuzz); TARGET: names without the
# fuzz_ prefix (default: all, in BUILD/fuzz). -t: seconds per target (60 when
# neither -t nor -r is given);
# -r: executions per target (libFuzzer -runs; the campaign of docs/fuzzing.md asks
# for 10000000); with both, a target stops at whichever limit it reaches first.
# OUT (default BUILD/fuzz-out/campaign) receives each target's
# grown corpus, its log and any crash reproducer (OUT/artifacts/TARGET-crash-...).
set -uo pipefail
cd "$(dirname "$0")/.."

build=build-fuzz
seconds=
runs=
out=
while getopts "b:t:r:o:" opt; do
	case $opt in
	b) build=$OPTARG ;;
	t) seconds=$OPTARG ;;
	r) runs=$OPTARG ;;
	o) out=$OPTARG ;;
	*)
		sed -n '2,18p' "$0" >&2
		exit 2
		;;
	esac
done
shift $((OPTIND - 1))
out=${out:-$build/fuzz-out/campaign}
if [ ! -d "$build/fuzz" ]; then
	echo "fuzz.sh: no fuzz targets in $build (cmake -DCMAKE_C_COMPILER=clang -DS2S_FUZZ=ON)" >&2
	exit 2
fi
targets=("$@")
if [ "${#targets[@]}" -eq 0 ]; then
	for bin in "$build"/fuzz/fuzz_*; do
		[ -x "$bin" ] && targets+=("${bin##*/fuzz_}")
	done
fi

[ -z "$seconds$runs" ] && seconds=60
limit=()
[ -n "$runs" ] && limit+=(-runs="$runs")
if [ -n "$seconds" ]; then
	limit+=(-max_total_time="$seconds")
	wall=$((seconds + 300))
else
	wall=$((600 + runs / 50)) # a bound for a target slower than 50 exec/s
fi

mkdir -p "$out/artifacts"
status=0
printf '%-16s %12s %8s %8s %7s %8s  %s\n' target executions exec/s seconds crashes rss_mb result
for t in "${targets[@]}"; do
	bin=$build/fuzz/fuzz_$t
	log=$out/$t.log
	mkdir -p "$out/corpus/$t"
	before=$(find "$out/artifacts" -name "$t-*" | wc -l)
	start=$(date +%s)
	timeout -k 10 "$wall" "$bin" "${limit[@]}" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -dict=fuzz/xmpp.dict -artifact_prefix="$out/artifacts/$t-" \
		"$out/corpus/$t" "fuzz/corpus/$t" >"$log" 2>&1
	rc=$?
	secs=$(($(date +%s) - start))
	stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
	execs=$(stat number_of_executed_units)
	rate=$(stat average_exec_per_sec)
	rss=$(stat peak_rss_mb)
	crashes=$(($(find "$out/artifacts" -name "$t-*" | wc -l) - before))
	if [ "$rc" -eq 0 ]; then
		result=ok
	elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
		result="killed after ${wall}s"
	elif grep -q "libFuzzer: run interrupted" "$log"; then
		result=interrupted # SIGINT: libFuzzer still prints its figures
	elif grep -q "ERROR: LeakSanitizer" "$log"; then
		result=leak
	elif grep -q "ERROR: libFuzzer: timeout" "$log"; then
		result=timeout
	elif grep -q "out-of-memory" "$log"; then
		result=oom
	else
		result="crash ($(grep -m1 -oE 'ERROR: [A-Za-z]+: [a-z-]+|SUMMARY: [^ ]+ [^ ]+' "$log" || echo "exit $rc"))"
	fi
	[ "$result" = ok ] || status=1
	printf '%-16s %12s %8s %8s %7s %8s  %s\n' "$t" "${execs:-?}" "${rate:-?}" "$secs" \
		"$crashes" "${rss:-?}" "$result"
done
exit $status
