#!/usr/bin/env bash
# The text report (issue 14 item 1, docs/cli.md "The text report"): at 80x24 the last
# screen of a self-test and of a mismatch run (a partner file M7 against `serve` as
# M13) holds the summary, the classification and (mismatch) the cmdlet; no line is
# wider than COLUMNS; the mismatch run's failures are grouped by cause, each scenario
# once; the findings the suggested row explains are said once; --verbose / --table
# add the full table; --color auto|always|never and NO_COLOR (no-color.org: only a
# non-empty value disables colour), under a pseudo-terminal (script(1)) where it
# matters; `help codes` lists every code, and the man page and completion know it.
# Usage: textreport.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
esc=$'\033'

# widest FILE: the widest line of FILE in characters (not bytes: "§" is one).
widest() {
	python3 -c 'import sys; print(max([len(l.rstrip("\n")) for l in open(sys.argv[1], encoding="utf-8")] or [0]))' "$1"
}
# has_line FILE REGEX: some line of FILE matches.
has_line() { grep -qE "$2" "$1"; }

# 1. Self-test of M7 at 80 columns.
COLUMNS=80 timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet \
	--json "$tmp/self.json" >"$tmp/self.txt" 2>"$tmp/self.err"
check "self-test: exit 0 ($(head -c 300 "$tmp/self.err"))" test $? = 0
check "self-test: no line wider than 80 (widest $(widest "$tmp/self.txt"))" \
	test "$(widest "$tmp/self.txt")" -le 80
tail -n 24 "$tmp/self.txt" >"$tmp/self.tail"
check "self-test: the last 24 lines hold the summary" has_line "$tmp/self.tail" "^Summary: $(jq .summary.total "$tmp/self.json") scenarios: "
check "self-test: ... the verdict line" has_line "$tmp/self.tail" '^negotiation: \(self-test\) matches M7 \(E4\)'
check "self-test: ... the classification" has_line "$tmp/self.tail" '^Classification '
check "self-test: ... the classification's verdict" has_line "$tmp/self.tail" '^  The reference partner behaves as configured: M7'
check "self-test: ... the domains verdict" has_line "$tmp/self.tail" '^Domains .*: 1 of 1 served'
check "self-test: ... the legend" has_line "$tmp/self.tail" '^Codes: S SASL EXTERNAL over TLS'
check "self-test: no table without --verbose" bash -c "! grep -qE '^ID +DIR +HARNESS' '$tmp/self.txt'"
check "self-test: no colour when stdout is no terminal" bash -c "! grep -q '$esc' '$tmp/self.txt'"
check "self-test: nothing needs attention, so no such section" bash -c "! grep -q '^Needing attention' '$tmp/self.txt'"

# 2. --verbose and --table: the table, before the summary, cut at COLUMNS.
COLUMNS=60 "$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet --verbose >"$tmp/v.txt" 2>&1
check "--verbose: the table" has_line "$tmp/v.txt" '^ID +DIR +HARNESS +EXPECTED'
check "--verbose: one row per scenario" \
	test "$(grep -cE '^[a-z0-9.-]+(…)? +(in|out) +H[0-9]+ ' "$tmp/v.txt")" = "$(cli_jq '.results | length' "$tmp/self.json")"
check "--verbose: the table comes before the summary" \
	test "$(grep -n '^ID ' "$tmp/v.txt" | cut -d: -f1)" -lt "$(grep -n '^Summary:' "$tmp/v.txt" | cut -d: -f1)"
check "--verbose at COLUMNS=60: no line wider than 60 (widest $(widest "$tmp/v.txt"))" \
	test "$(widest "$tmp/v.txt")" -le 60
check "--verbose at COLUMNS=60: long ids are cut with an ellipsis" grep -q '…' "$tmp/v.txt"
COLUMNS=60 "$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet --table >"$tmp/t.txt" 2>&1
check "--table is --verbose" \
	diff <(grep -v '^started ' "$tmp/v.txt") <(grep -v '^started ' "$tmp/t.txt")

# 3. Colour: --color always in a log, never, auto (a pseudo-terminal, NO_COLOR).
"$bin" run --partner "$src/fixtures/partners/m07.xml" --only matrix --quiet --color always >"$tmp/c1.txt" 2>&1
check "--color always colours a file" grep -q "$esc\[" "$tmp/c1.txt"
"$bin" run --partner "$src/fixtures/partners/m07.xml" --only matrix --quiet --color never >"$tmp/c2.txt" 2>&1
check "--color never does not" bash -c "! grep -q '$esc' '$tmp/c2.txt'"
"$bin" run --partner "$src/fixtures/partners/m07.xml" --only matrix --quiet --color sometimes >"$tmp/c3.txt" 2>&1
rc=$?
check "--color sometimes: exit 2, got $rc" test "$rc" = 2
check "--color sometimes: the error names the option and its values" grep -q -- "--color takes auto, always or never" "$tmp/c3.txt"
# tty_run OUT ENV...: the run under a pseudo-terminal (stdout a TTY), with ENV.
tty_run() {
	local out=$1
	shift
	env "$@" timeout -k 5 60 script -qec "'$bin' run --partner '$src/fixtures/partners/m07.xml' --only matrix --quiet" /dev/null >"$out" 2>&1
}
tty_run "$tmp/tty1.txt" -u NO_COLOR
check "auto on a terminal: colour" grep -q "$esc\[" "$tmp/tty1.txt"
tty_run "$tmp/tty2.txt" NO_COLOR=1
check "auto on a terminal with NO_COLOR=1: none" bash -c "! grep -q '$esc\[' '$tmp/tty2.txt'"
tty_run "$tmp/tty3.txt" NO_COLOR=
check "auto on a terminal with NO_COLOR empty: colour (no-color.org)" grep -q "$esc\[" "$tmp/tty3.txt"
check "the pseudo-terminal run printed the report" grep -q "Summary:" "$tmp/tty3.txt"

# 4. A mismatch run: partner file M7, the partner really M13 (serve).
rc=none
for _ in 1 2 3; do
	dns=$(cli_rand_port)
	cli_start_serve m13 "$dns" || break
	COLUMNS=80 timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" \
		--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
		--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
		--key "$pki/harness.test.key" --quiet --timeout 10 --step-timeout 2000 \
		--json "$tmp/mm.json" >"$tmp/mm.txt" 2>"$tmp/mm.err"
	rc=$?
	cli_stop_serve
	grep -q "Address already in use" "$tmp/mm.err" || break
done
check "mismatch run: exit 1, got $rc ($(head -c 300 "$tmp/mm.err"))" test "$rc" = 1
check "mismatch run: no line wider than 80 (widest $(widest "$tmp/mm.txt"))" \
	test "$(widest "$tmp/mm.txt")" -le 80
tail -n 24 "$tmp/mm.txt" >"$tmp/mm.tail"
check "mismatch run: the last 24 lines hold the summary" has_line "$tmp/mm.tail" \
	"^Summary: $(jq .summary.total "$tmp/mm.json") scenarios: .* [1-9][0-9]* mismatch"
check "mismatch run: ... the classification" has_line "$tmp/mm.tail" '^Classification '
check "mismatch run: ... its class" has_line "$tmp/mm.tail" '^  The observations fit class E5'
check "mismatch run: ... the cmdlet" has_line "$tmp/mm.tail" '^  Set-CsXmppAllowedPartner -Identity "partner.test" '
check "mismatch run: ... the cmdlet's continuation" has_line "$tmp/mm.tail" '^    -SaslNegotiation NotSupported -SupportDialbackNegotiation \$True$'
# Grouped by cause: one entry per rule (the JSON's rule of each scenario needing
# attention), each such scenario named once in the section.
sed -n '/^Needing attention/,/^$/p' "$tmp/mm.txt" >"$tmp/att.txt"
rules=$(cli_jq -r '[.results[] | select(.verdict == "mismatch" or .verdict == "error" or .verdict == "xpass") | .rule] | unique | .[]' "$tmp/mm.json")
n_att=$(cli_jq '[.results[] | select(.verdict == "mismatch" or .verdict == "error" or .verdict == "xpass")] | length' "$tmp/mm.json")
check "mismatch run: the section counts scenarios and causes" \
	has_line "$tmp/att.txt" "^Needing attention: $n_att scenarios, $(cli_lines "$rules") causes:$"
for r in $rules; do
	check "mismatch run: cause $r has one entry" test "$(grep -c "^  $r \[" "$tmp/att.txt")" = 1
done
for id in $(cli_jq -r '.results[] | select(.verdict == "mismatch") | .id' "$tmp/mm.json"); do
	check "mismatch run: $id named once under its cause" \
		test "$(grep -oE "(^| )$id(,|$)" "$tmp/att.txt" | wc -l)" = 1
done
n_find=$(grep -oE '^Findings no Lync setting expresses.* \(([0-9]+);' "$tmp/mm.txt" | grep -oE '[0-9]+')
check "mismatch run: the findings explained by M13 are said once, not listed (${n_find:-none})" \
	has_line "$tmp/mm.txt" "^  All ${n_find:-x} are what the suggested M13 predicts"
check "mismatch run: the legend names M13 and Dt" \
	bash -c "sed -n '/^Codes:/,\$p' '$tmp/mm.txt' | tr '\n' ' ' | tr -s ' ' | grep -q 'Dt dialback over TLS.*M7 Req/Opt/T, M13 Req/NS/T'"

# 5. list and matrix follow the terminal's width too (they were 177 and 203 columns).
COLUMNS=80 "$bin" list >"$tmp/list.txt" 2>&1
check "list at COLUMNS=80: no line wider than 80 (widest $(widest "$tmp/list.txt"))" \
	test "$(widest "$tmp/list.txt")" -le 80
check "list at COLUMNS=80: every scenario still starts a line" \
	test "$(grep -cE '^[a-z0-9-]+ +(in|out)bound ' "$tmp/list.txt")" = "$(cli_jq '.results | length' "$tmp/self.json")"
COLUMNS=200 "$bin" list >"$tmp/list200.txt" 2>&1
check "list at COLUMNS=200: wider lines, one per scenario" \
	test "$(widest "$tmp/list200.txt")" -gt 80 -a "$(wc -l <"$tmp/list200.txt")" -eq $(($(cli_jq '.results | length' "$tmp/self.json") + 1))
COLUMNS=80 "$bin" matrix "$src/fixtures/partners/m07.xml" >"$tmp/matrix.txt" 2>&1
check "matrix at COLUMNS=80: no line wider than 80 (widest $(widest "$tmp/matrix.txt"))" \
	test "$(widest "$tmp/matrix.txt")" -le 80
check "matrix at COLUMNS=80: 36 cells, the rationale wrapped under its column" \
	test "$(grep -cE '^H[0-9]+\*? +[A-Za-z]+/' "$tmp/matrix.txt")" = 36 -a \
	"$(grep -cE '^ {30}[^ ]' "$tmp/matrix.txt")" -gt 0

# 6. help codes: every code of the vocabulary, and help's other outputs know it.
"$bin" help codes >"$tmp/codes.txt" 2>&1
check "help codes: exit 0" test $? = 0
for code in S Dt Dp F0 F1 F2 F3 F4 $(seq -f 'M%g' 1 18) $(seq -f 'E%g' 1 7) $(seq -f 'H%g' 1 18) \
	match mismatch error skip xfail xpass partner-violation partner-choice harness-environment operator-input; do
	check "help codes: $code" has_line "$tmp/codes.txt" "^  $code +[^ ]"
done
check "help codes: in the man page" bash -c "'$bin' help --man | grep -q '^\.SH CODES'"
check "help codes: in the completion" bash -c "'$bin' help --completion | grep -q 'help) opts=\".* codes '"
check "help codes: in the usage" bash -c "'$bin' --help | grep -q 'help codes'"

finish textreport
