#!/usr/bin/env bash
# `s2scheck list`: the default suite, selection by tag, replacing and adding
# folders, and broken folders (exit 2, one line, nothing on stdout).
# Usage: list.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli-lib.sh"
# list wraps at COLUMNS (else 80; tests/cli/textreport.sh checks that): the checks
# below read one line per scenario.
export COLUMNS=400

count() { # the N of "N scenarios selected of M"
	sed -n 's/^\([0-9]*\) scenarios\{0,1\} selected of [0-9]*$/\1/p' <<<"$1"
}

out=$("$bin" list 2>/dev/null)
rc=$?
total=$(count "$out")
files=$(ls "$src"/scenarios/*.xml | wc -l)
check "list exits 0, got $rc" test "$rc" -eq 0
check "list prints a count" test -n "$total"
check "the default suite holds more than 100 scenarios ($total)" test "${total:-0}" -gt 100
check "every default file is listed ($total of $files)" test "${total:-0}" -eq "$files"
check "one line per scenario plus the count" test "$(cli_lines "$out")" -eq $((files + 1))
check "a line shows id, direction, settings, tags, title" \
	grep -Eq '^matrix-h13-out +outbound +Req/NS/T +matrix,classify +H13 Req/NS/T: the harness initiates$' <<<"$out"
check "an inbound line" grep -Eq '^cert-expired-in +inbound +Opt/Opt/T +certificate ' <<<"$out"

out=$("$bin" list --only matrix)
check "--only matrix selects 36" test "$(count "$out")" -eq 36
check "--only matrix prints 36 lines and the count" test "$(cli_lines "$out")" -eq 37
check "--only matrix: every line is a matrix scenario" \
	test "$(grep -c '^matrix-h[0-9]*-\(out\|in\) ' <<<"$out")" -eq 36
out=$("$bin" list --skip matrix)
check "--skip matrix leaves the rest" test "$(count "$out")" -eq $((files - 36))
check "--skip matrix: no matrix line" test "$(grep -c '^matrix-' <<<"$out")" -eq 0
out=$("$bin" list --only matrix --skip invalid-harness)
check "--only matrix --skip invalid-harness selects 22" test "$(count "$out")" -eq 22
out=$("$bin" list --only=certificate --only dialback)
n_cert=$(grep -c ' certificate ' <<<"$out")
check "repeated --only adds up" test "$(count "$out")" -gt "$n_cert"
out=$("$bin" list --only matrix-h2-out)
check "--only ID selects one" test "$(count "$out")" -eq 1
out=$("$bin" list --only inbound)
check "--only inbound: only inbound lines" test "$(grep -c ' outbound ' <<<"$out")" -eq 0
out=$("$bin" list --only matirx 2>&1)
check "--only with an unknown tag exits 2" test "$?" -eq 2
check "--only with an unknown tag is named" grep -q -- "--only matirx: no scenario has this tag" <<<"$out"

# A user's folder replaces or joins the default one.
out=$("$bin" list --scenarios "$src/fixtures/scenarios/user")
check "--scenarios replaces the default suite" test "$(count "$out")" -eq 2
check "--scenarios lists the user's scenario" grep -q '^user-known-quirk-out ' <<<"$out"
out=$("$bin" list --add-scenarios "$src/fixtures/scenarios/user")
check "--add-scenarios adds to the default suite" test "$(count "$out")" -eq $((files + 2))
out=$("$bin" list --add-scenarios "$src/fixtures/scenarios/user" --only user)
check "--add-scenarios then --only user" test "$(count "$out")" -eq 2
out=$("$bin" list --scenarios "$src/fixtures/scenarios/user" \
	--add-scenarios "$src/fixtures/scenarios/clash")
check "--scenarios with --add-scenarios" test "$(count "$out")" -eq 3
out=$("$bin" list --add-scenarios "$src/fixtures/scenarios/clash" 2>/dev/null)
rc=$?
err=$("$bin" list --add-scenarios "$src/fixtures/scenarios/clash" 2>&1 >/dev/null)
check "a clashing id exits 2, got $rc" test "$rc" -eq 2
check "a clashing id prints nothing on stdout" test -z "$out"
check "a clashing id: one line" test "$(cli_lines "$err")" -eq 1
check "a clashing id names both files" \
	grep -q "clash/matrix-h1-out.xml:4: scenario@id: \"matrix-h1-out\" is also the id of .*scenarios/matrix-h1-out.xml:6" <<<"$err"

# JSON.
out=$("$bin" list --only matrix --json)
check "--json exits 0" test "$?" -eq 0
check "--json counts" grep -q '^{"schema":1,"total":'"$files"',"selected":36,"scenarios":\[' <<<"$out"
check "--json holds 36 ids" test "$(grep -o '"id":"matrix-h[0-9]*-[a-z]*"' <<<"$out" | wc -l)" -eq 36
check "--json is one line" test "$(cli_lines "$out")" -eq 1

# Usage.
out=$("$bin" list --frobnicate 2>&1)
check "unknown option exits 2" test "$?" -eq 2
check "unknown option shows the usage" grep -q "^usage: s2scheck list" <<<"$out"
out=$("$bin" list extra 2>&1)
check "a positional argument exits 2" test "$?" -eq 2
out=$("$bin" list --help)
check "list --help shows the usage" grep -q "^usage: s2scheck list" <<<"$out"
out=$("$bin" list --scenarios /nonexistent/dir 2>&1)
check "a missing folder exits 2" test "$?" -eq 2
check "a missing folder is named" grep -q "^s2scheck: /nonexistent/dir: folder: cannot open" <<<"$out"

# Every broken folder: exit 2, nothing on stdout, one line naming the folder.
for d in "$src"/fixtures/scenarios/bad/*/; do
	d=${d%/}
	name=$(basename "$d")
	for mode in --scenarios --add-scenarios; do
		out=$("$bin" list "$mode" "$d" 2>/dev/null)
		rc=$?
		err=$("$bin" list "$mode" "$d" 2>&1 >/dev/null)
		check "$name ($mode): exit 2, got $rc" test "$rc" -eq 2
		check "$name ($mode): nothing on stdout" test -z "$out"
		check "$name ($mode): one line on stderr" test "$(cli_lines "$err")" -eq 1
		check "$name ($mode): the message names the folder" grep -qF "$d" <<<"$err"
		check "$name ($mode): FILE:LINE: FIELD: ...; accepted: ..." \
			grep -Eq "^s2scheck: $d(/[a-z]+\.xml:[0-9]+)?: [A-Za-z@-]+: .*; accepted: " <<<"$err"
	done
done

finish list
