# Shared by the command-line tests in tests/cli/ (sourced, not run).
# Provides check(), and a closing line that also fails on any sanitizer report:
# in ASan builds ctest points ASAN_OPTIONS/UBSAN_OPTIONS log_path at
# $S2S_SANITIZER_LOG (a prefix), because the scripts capture the program's
# stderr and would otherwise swallow the report.

fail=0
checks=0
# Reports of an earlier run are not this run's.
if [ -n "${S2S_SANITIZER_LOG:-}" ]; then
	rm -f "$S2S_SANITIZER_LOG".*
fi

check() { # check DESCRIPTION COMMAND...
	local what=$1
	shift
	checks=$((checks + 1))
	if ! "$@"; then
		echo "FAIL: $what"
		fail=$((fail + 1))
	fi
}

finish() { # finish NAME
	if [ -n "${S2S_SANITIZER_LOG:-}" ]; then
		for f in "$S2S_SANITIZER_LOG".*; do
			[ -e "$f" ] || continue
			echo "FAIL: sanitizer report $f:"
			cat "$f"
			fail=$((fail + 1))
		done
	fi
	echo "$1: $((checks - fail)) passed, $fail failed"
	[ "$fail" -eq 0 ]
}
