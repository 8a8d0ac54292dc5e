#!/usr/bin/env bash
# Installable (issue 14 item 7): `cmake --install BUILD --prefix P` puts the binary
# in P/bin, the scenarios in P/share/s2scheck/scenarios, the man page in
# P/share/man/man1 and the bash completion in P/share/bash-completion/completions;
# the tree, copied elsewhere (the install prefix removed), runs `list` and a
# self-test `run` from another directory with the source tree (and the build tree
# inside it) hidden under an empty bind mount in a user namespace; where no user
# namespace can be made, strace proves that no path under the source or build tree
# is opened. --scenarios overrides the installed suite.
# Usage: install.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch

cmake --install "$build" --prefix "$tmp/p" >"$tmp/install.log" 2>&1
check "cmake --install exits 0 ($(tail -3 "$tmp/install.log"))" test "$?" -eq 0
check "bin/s2scheck installed" test -x "$tmp/p/bin/s2scheck"
n_src=$(find "$src/scenarios" -name '*.xml' | wc -l)
n_inst=$(find "$tmp/p/share/s2scheck/scenarios" -name '*.xml' 2>/dev/null | wc -l)
check "every scenario installed ($n_inst of $n_src)" test "$n_inst" -eq "$n_src" -a "$n_src" -gt 0
check "the man page installed" grep -q '^\.TH S2SCHECK 1' "$tmp/p/share/man/man1/s2scheck.1"
check "the completion installed" grep -q '^complete -F _s2scheck s2scheck' \
	"$tmp/p/share/bash-completion/completions/s2scheck"
for f in "$src"/docs/schema/*.schema.json; do
	check "the JSON Schema ${f##*/} installed" cmp -s "$f" "$tmp/p/share/s2scheck/schema/${f##*/}"
done

# Moved: the prefix it was installed to is gone.
cp -a "$tmp/p" "$tmp/moved"
rm -rf "$tmp/p"
cp "$src/fixtures/partners/m01.xml" "$tmp/partner.xml"
mkdir "$tmp/elsewhere"
inst=$tmp/moved/bin/s2scheck

# In a sanitizer build the reports go to $tmp/san.* (the log path ctest gives is in
# the hidden build tree); finish() reads them from $S2S_SANITIZER_LOG.* as usual.
if [ -n "${S2S_SANITIZER_LOG:-}" ]; then
	export ASAN_OPTIONS=${ASAN_OPTIONS//$S2S_SANITIZER_LOG/$tmp/san}
	export UBSAN_OPTIONS=${UBSAN_OPTIONS//$S2S_SANITIZER_LOG/$tmp/san}
fi
sanitizer_reports() {
	local f
	for f in "$tmp"/san.*; do
		[ -e "$f" ] && [ -n "${S2S_SANITIZER_LOG:-}" ] && cp "$f" "$S2S_SANITIZER_LOG.${f##*/san.}"
	done
	return 0
}

# isolated CMD...: runs CMD from $tmp/elsewhere with the source and build trees out
# of reach (an empty folder of its own mounted over each); prints its output,
# returns its exit code.
if unshare -rm true 2>/dev/null; then
	how=unshare
	isolated() {
		local empty
		empty=$(mktemp -d "$tmp/empty.XXXXXX")
		unshare -rm bash -c 'mount --bind "$1" "$2" && { [ -z "$3" ] || mount --bind "$1" "$3"; } &&
			cd "$4" && test -z "$(ls -A "$2")" && shift 4 && exec "$@"' \
			_ "$empty" "$src" "$([[ $build == "$src"/* ]] || echo "$build")" "$tmp/elsewhere" "$@"
	}
elif command -v strace >/dev/null; then
	how=strace
	isolated() {
		local rc
		(cd "$tmp/elsewhere" && strace -f -qq -o "$tmp/strace.log" -e trace=%file "$@")
		rc=$?
		if grep -E "\"($src|$build)[/\"]" "$tmp/strace.log" | grep -v ENOENT | head -3 | grep -q .; then
			echo "TOUCHED the source or build tree: $(grep -E "\"($src|$build)[/\"]" "$tmp/strace.log" | head -3)"
			return 99
		fi
		return "$rc"
	}
else
	how=none
	isolated() { echo "neither unshare nor strace"; return 99; }
fi
echo "install.sh: isolation by $how"

out=$(isolated "$inst" list 2>&1)
rc=$?
check "installed list exits 0 ($how, got $rc: $(tail -2 <<<"$out"))" test "$rc" -eq 0
check "installed list finds every scenario" grep -q "^$n_src scenarios selected of $n_src\$" <<<"$out"
out=$(isolated "$inst" run --partner "$tmp/partner.xml" --quiet --json "$tmp/run.json" 2>&1)
rc=$?
check "installed self-test run exits 0 ($how, got $rc: $(tail -3 <<<"$out"))" test "$rc" -eq 0
ran=$(cli_jq '.results | length' "$tmp/run.json")
check "the run judged every scenario ($ran)" test "$ran" = "$n_src"
mkdir "$tmp/mine"
cp "$src/scenarios/cert-all-out.xml" "$tmp/mine/"
out=$(isolated "$inst" list --scenarios "$tmp/mine" 2>&1)
check "--scenarios overrides the installed suite" grep -q "^1 scenario selected of 1\$" <<<"$out"
out=$(isolated "$inst" --version 2>&1)
check "installed --version" grep -Eq "^s2scheck [0-9.]+ \(contract [0-9]+\)$" <<<"$out"
# Without its share/ folder (and with the build tree out of reach) it has no suite:
# the suite above came from the installed tree.
rm -rf "$tmp/moved/share/s2scheck"
out=$(isolated "$inst" list 2>&1)
rc=$?
check "without share/s2scheck the installed binary has no suite (got $rc: $(head -1 <<<"$out"))" \
	test "$rc" -ne 0

sanitizer_reports
finish install
