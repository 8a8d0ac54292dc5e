#!/usr/bin/env bash
# Help that cannot drift (issue 14 item 5): every option of every command, as the
# option tables hold it (`help --options`), appears in the command's --help (and
# in its usage line) and in the man page s2scheck(1) the build generated; help is
# wrapped to COLUMNS; "did you mean" for misspelt options and commands; the bash
# completion offers the options. Partner-file typos (item 6): a misspelt key is an
# error naming the likely key, an unknown one a warning; validate's exit codes.
# Usage: help.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch

man=$build/s2scheck.1
check "the build generated the man page" test -s "$man"
check "the build generated the completion" test -s "$build/s2scheck.bash-completion"
"$bin" help --options >"$tmp/options"
check "help --options exits 0" test "$?" -eq 0
commands=$(cut -f1 "$tmp/options" | sort -u)
for c in validate matrix run check serve list; do
	check "help --options lists options of $c" grep -q "^$c	" "$tmp/options"
done
# The man page as text: roff's "\-" is "-", and no hyphenation to undo.
sed -e 's/\\-/-/g' -e 's/\\ / /g' "$man" >"$tmp/man.txt"
n=0
for c in $commands; do
	COLUMNS=80 "$bin" "$c" --help >"$tmp/help.$c" 2>&1
	check "$c --help exits 0" test "$?" -eq 0
	usage=$(sed -n '/^usage:/,/^$/p' "$tmp/help.$c" | tr -s ' \n' ' ')
	# The man page's section for the command: from ".SS c" to the next ".SS" or ".SH".
	sed -n "/^\.SS $c\$/,/^\.S[SH] /p" "$tmp/man.txt" >"$tmp/man.$c"
	check "the man page has a section for $c" test -s "$tmp/man.$c"
	while IFS=$'\t' read -r cmd opt metavar section help; do
		[ "$cmd" = "$c" ] || continue
		n=$((n + 1))
		check "$c $opt has a help line in its table" test -n "$help"
		check "$c $opt is in its usage line" grep -qF -- "$opt" <<<"$usage"
		if [ "$metavar" = - ]; then
			check "$c --help describes $opt" grep -Eq -- "^  $opt( |\$)" "$tmp/help.$c"
		else
			check "$c --help describes $opt $metavar" grep -Fq -- "  $opt $metavar" "$tmp/help.$c"
		fi
		check "$c --help lists $opt under $section" \
			bash -c "sed -n '/^$section:\$/,/^\$/p' '$tmp/help.$c' | grep -Eq -- '^  $opt( |\$)'"
		check "the man page describes $c $opt" grep -qx -- ".B $opt.*" "$tmp/man.$c"
	done <"$tmp/options"
done
check "at least 60 options were checked (got $n)" test "$n" -ge 60
check "run --help shows --quirks (the issue's example)" grep -q -- "--quirks FILE" "$tmp/help.run"
check "list --help shows --quirks" grep -q -- "--quirks FILE" "$tmp/help.list"
# man-db (.ci/install) renders it, and groff has nothing to warn about.
warn=$(MANWIDTH=80 man --warnings -l "$man" 2>&1 >"$tmp/man.rendered")
check "man -l renders the page without a warning ($warn)" test -z "$warn" -a -s "$tmp/man.rendered"
check "the rendered page has the NAME and every command" \
	bash -c "grep -q '^NAME' '$tmp/man.rendered' && for c in $(tr '\n' ' ' <<<"$commands"); do grep -q \"s2scheck \$c\" '$tmp/man.rendered' || exit 1; done"

# Wrapped to COLUMNS (and 80 when unknown, as here: stdout is not a terminal).
for w in 50 72; do
	out=$(COLUMNS=$w "$bin" help run)
	long=$(awk -v w="$w" 'length($0) > w' <<<"$out" | head -3)
	check "help run at COLUMNS=$w: no line longer than $w ($long)" test -z "$long"
done
out=$(env -u COLUMNS "$bin" help check)
long=$(awk 'length($0) > 80' <<<"$out" | head -3)
check "help check without COLUMNS: no line longer than 80 ($long)" test -z "$long"

# Did you mean: options and commands (one line, then the usage; exit 2).
out=$("$bin" run --partnr x 2>&1)
check "misspelt option exits 2" test "$?" -eq 2
check "misspelt option: did you mean" grep -q "unknown option '--partnr'; did you mean --partner?" <<<"$out"
out=$("$bin" list --skp x 2>&1)
check "list --skp: did you mean --skip" grep -q "did you mean --skip?" <<<"$out"
out=$("$bin" validate x --frobnicate 2>&1)
check "a far option has no guess" bash -c "! grep -q 'did you mean' <<<'$out'"
out=$("$bin" valdiate x 2>&1)
check "misspelt command exits 2" test "$?" -eq 2
check "misspelt command: did you mean" grep -q "unknown command 'valdiate'; did you mean validate?" <<<"$out"
out=$("$bin" help --mna 2>&1)
check "help --mna exits 2" test "$?" -eq 2
check "help --mna: did you mean --man" grep -q "did you mean --man?" <<<"$out"
out=$(COLUMNS=60 "$bin" --help)
long=$(awk 'length($0) > 60' <<<"$out" | head -3)
check "--help at COLUMNS=60: no line longer than 60 ($long)" test -z "$long"
missing=
for c in $commands; do
	grep -q "^  $c " <<<"$out" || missing="$missing $c"
done
check "--help lists every command (missing:$missing)" test -z "$missing"
out=$("$bin" help serv 2>&1)
check "help serv: did you mean serve" grep -q "did you mean serve?" <<<"$out"

# The completion: sourced into bash, it completes commands and each command's options.
complete_words() { # complete_words WORD...: what the completion offers for the last word
	bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _s2scheck; printf "%s\n" "${COMPREPLY[@]}"' \
		_ "$build/s2scheck.bash-completion" s2scheck "$@"
}
check "completion: commands" bash -c "$(declare -f complete_words); build='$build'; complete_words se | grep -qx serve"
for c in $commands; do
	want=$(grep "^$c	" "$tmp/options" | cut -f2 | sort)
	got=$(complete_words "$c" -- | grep -v -- '^--help$' | sort)
	check "completion offers every option of $c" test "$want" = "$got"
done
check "completion: a FILE option completes files" \
	bash -c "$(declare -f complete_words); build='$build'; cd '$src'; complete_words run --partner fixtures/partners/m0 | grep -qx fixtures/partners/m01.xml"

# --version: the version and the contract version.
out=$("$bin" --version)
check "--version: version and contract ($out)" grep -Eqx "s2scheck [0-9]+\.[0-9]+\.[0-9]+ \(contract [0-9]+\)" <<<"$out"
ver=$(sed -n 's/^project(s2scheck VERSION \([0-9.]*\).*/\1/p' "$src/CMakeLists.txt")
check "--version says the project's version $ver" grep -q "^s2scheck $ver " <<<"$out"

# Item 6: partner-file typos. A misspelt key is an error naming the likely key, in
# both formats; an unknown far key is a warning and the file is read.
printf 'Identity : partner.test\nTlsNegotation : Optional\n' >"$tmp/typo.txt"
out=$("$bin" validate "$tmp/typo.txt" 2>&1)
check "typo.txt exits 2 (got $?)" test "$?" -eq 2
out=$("$bin" validate "$tmp/typo.txt" 2>&1)
check "typo.txt: did you mean TlsNegotiation" grep -q "typo.txt:2: TlsNegotation: unknown key; did you mean TlsNegotiation?" <<<"$out"
printf 'Identity : partner.test\nSaslNegotation : NotSupported\nSupportDialbakNegotiation : False\n' >"$tmp/typo2.txt"
out=$("$bin" run --partner "$tmp/typo2.txt" --only h1-out 2>&1)
check "run refuses a misspelt key (exit 2)" test "$?" -eq 2
check "run names the likely key" grep -q "did you mean SaslNegotiation?" <<<"$out"
sed 's/TlsNegotiation>/TlsNegotation>/g' "$src/fixtures/partners/m03.xml" >"$tmp/typo.xml"
out=$("$bin" validate "$tmp/typo.xml" 2>&1)
check "typo.xml exits 2" test "$?" -eq 2
check "typo.xml: did you mean TlsNegotiation" grep -q "TlsNegotation: unknown element; did you mean TlsNegotiation?" <<<"$out"
printf 'Identity : partner.test\nFutureProperty : 1\nTlsNegotiation : Optional\nPSComputerName : EDGE01\n' >"$tmp/future.txt"
out=$("$bin" validate "$tmp/future.txt" 2>"$tmp/future.err")
check "an unknown far key is read: exit 0 (got $?)" test "$?" -eq 0
check "... with the configuration it says (TLS Optional)" grep -q "TlsNegotiation Optional" <<<"$out"
check "... and a warning naming the key and line" grep -qx "s2scheck: warning: .*future.txt:2: FutureProperty: unknown key, ignored" "$tmp/future.err"
check "... PowerShell's PSComputerName is no warning" test "$(cli_lines "$(cat "$tmp/future.err")")" -eq 1
# validate: 0 valid, 1 breaks a Lync rule, 2 usage or unreadable input.
"$bin" validate "$src/fixtures/partners/m01.xml" >/dev/null 2>&1
check "validate valid: exit 0" test "$?" -eq 0
"$bin" validate "$src/fixtures/partners/m05.xml" >/dev/null 2>&1
check "validate breaks a Lync rule: exit 1" test "$?" -eq 1
"$bin" validate "$src/fixtures/partners/m01.xml" --cmdlt >/dev/null 2>&1
check "validate bad option: exit 2" test "$?" -eq 2
"$bin" validate "$tmp/nonexistent.xml" >/dev/null 2>&1
check "validate unreadable input: exit 2" test "$?" -eq 2

finish help
