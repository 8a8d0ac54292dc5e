#!/usr/bin/env bash
# `s2scheck validate` and the command line's contract: rows, validity and exit
# codes for all 18 combinations in both file formats; usage errors.
# Usage: validate.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli-lib.sh"

invalid=" 5 6 11 12 14 16 18 "
for row in $(seq 1 18); do
	for ext in xml txt; do
		f=$(printf '%s/fixtures/partners/m%02d.%s' "$src" "$row" "$ext")
		out=$("$bin" validate "$f" --cmdlet 2>&1)
		rc=$?
		check "M$row.$ext names its row" grep -q "matrix row: M$row\$" <<<"$out"
		check "M$row.$ext prints the cmdlet" grep -q "cmdlet: New-CsXmppAllowedPartner -Identity \"partner.test\"" <<<"$out"
		if [[ $invalid == *" $row "* ]]; then
			check "M$row.$ext exits 1 (breaks a Lync rule), got $rc" test "$rc" -eq 1
			check "M$row.$ext says invalid" grep -q "valid: no" <<<"$out"
			check "M$row.$ext names the rule" grep -q "  rule: " <<<"$out"
			check "M$row.$ext gives the fix" grep -q "  fix: " <<<"$out"
		else
			check "M$row.$ext exits 0 (valid), got $rc" test "$rc" -eq 0
			check "M$row.$ext says valid" grep -q "valid: yes" <<<"$out"
			check "M$row.$ext names a class" grep -Eq "class: E[1-7]" <<<"$out"
		fi
	done
done

# Reference §1.6: M5 and M11 are in the matrix but the Control Panel refuses them.
for row in 05 11; do
	out=$("$bin" validate "$src/fixtures/partners/m$row.txt" 2>&1)
	check "M$row says the Control Panel refuses to commit" grep -q "Control Panel refuses to commit" <<<"$out"
done

# Usage errors: one line and the usage, exit 2.
out=$("$bin" validate 2>&1)
rc=$?
check "missing PARTNER exits 2" test "$rc" -eq 2
check "missing PARTNER prints the usage" grep -q "^usage: s2scheck validate" <<<"$out"
out=$("$bin" validate "$src/fixtures/partners/m01.xml" --frobnicate 2>&1)
rc=$?
check "unknown option exits 2" test "$rc" -eq 2
check "unknown option is named" grep -q "unknown option '--frobnicate'" <<<"$out"
out=$("$bin" validate "$src/fixtures/partners/m01.xml" --identity 2>&1)
check "option without its value exits 2" test "$?" -eq 2
check "missing value is named" grep -q "needs a value" <<<"$out"
out=$("$bin" validate /nonexistent/p.xml 2>&1)
check "missing file exits 2" test "$?" -eq 2
check "missing file is named" grep -q "/nonexistent/p.xml" <<<"$out"
out=$("$bin" validate "$src/fixtures/partners/multi.txt" 2>&1)
check "several partners without --identity exit 2" test "$?" -eq 2
check "several partners: the message says --identity" grep -q -- "--identity" <<<"$out"
out=$("$bin" frobnicate 2>&1)
check "unknown command exits 2" test "$?" -eq 2
out=$("$bin" 2>&1)
check "no command exits 2" test "$?" -eq 2
out=$("$bin" --version)
check "--version exits 0" test "$?" -eq 0
check "--version prints the name" grep -q "^s2scheck [0-9]" <<<"$out"
out=$("$bin" --help)
check "--help lists validate" grep -q "validate" <<<"$out"
out=$("$bin" help matrix)
check "help matrix exits 0" test "$?" -eq 0
check "help matrix shows its usage" grep -q "^usage: s2scheck matrix" <<<"$out"
out=$("$bin" validate --help)
check "validate --help shows its usage" grep -q "^usage: s2scheck validate" <<<"$out"
out=$("$bin" help nosuch 2>&1)
check "help for an unknown command exits 2" test "$?" -eq 2

# Every broken fixture: exit 2, one line naming the file, nothing on stdout.
for f in "$src"/fixtures/partners/bad/*; do
	out=$("$bin" validate "$f" 2>/dev/null)
	rc=$?
	err=$("$bin" validate "$f" 2>&1 >/dev/null)
	check "$(basename "$f"): exit 2, got $rc" test "$rc" -eq 2
	check "$(basename "$f"): nothing on stdout" test -z "$out"
	check "$(basename "$f"): one line on stderr" test "$(cli_lines "$err")" -eq 1
	check "$(basename "$f"): the message names the file" grep -qF "$(basename "$f")" <<<"$err"
done

finish validate
