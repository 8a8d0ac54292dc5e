#!/usr/bin/env bash
# `s2scheck matrix --json`: the documented contract, and the reference grid
# (s2s-spec.md §3.4, typed in here) for every valid partner configuration;
# inbound is the same grid with F1 and F2 swapped (§3.3).
# Usage: matrix.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
source "$src/tests/cli-lib.sh"

command -v jq >/dev/null || {
	echo "matrix: jq is required (apt-get install jq)"
	exit 1
}

cols=(1 2 3 4 7 8 9 10 13 15 17)
grid=(
	"S S S S S S S S F3 F3 F1"
	"S S S S S S S S F3 F3 F1"
	"S S S S S S S S Dt Dt Dp"
	"S S S S S S S S F3 F3 F4"
	"F2 F2 Dp F4 F2 F2 Dp F4 F2 Dp Dp"
	"F2 F2 F0 F0 F2 F2 F0 F0 F2 F0 F0"
	"S S S S S S S S Dt Dt F1"
	"S S S S S S S S F3 F3 F1"
	"S S S S S S S S Dt Dt Dp"
	"S S S S S S S S F3 F3 F4"
	"F2 F2 Dp F4 F2 F2 Dp F4 F2 Dp Dp"
	"F2 F2 F0 F0 F2 F2 F0 F0 F2 F0 F0"
	"F3 F3 Dt F3 Dt F3 Dt F3 Dt Dt F1"
	"F0 F0 F0 F0 F0 F0 F0 F0 F0 F0 F1"
	"F3 F3 Dt F3 Dt F3 Dt F3 Dt Dt Dp"
	"F0 F0 F0 F0 F0 F0 F0 F0 F0 F0 F0"
	"F2 F2 Dp F4 F2 F2 Dp F4 F2 Dp Dp"
	"F2 F2 F0 F0 F2 F2 F0 F0 F2 F0 F0"
)
classes=([1]=E1 [2]=E1 [3]=E2 [4]=E3 [7]=E4 [8]=E1 [9]=E2 [10]=E3 [13]=E5 [15]=E6 [17]=E7)

mirror() {
	case $1 in F1) echo F2 ;; F2) echo F1 ;; *) echo "$1" ;; esac
}

for ci in "${!cols[@]}"; do
	m=${cols[$ci]}
	f=$(printf '%s/fixtures/partners/m%02d.xml' "$src" "$m")
	json=$("$bin" matrix "$f" --json)
	check "M$m: exit 0" test "$?" -eq 0
	check "M$m: row" test "$(jq -r .row <<<"$json")" = "M$m"
	check "M$m: valid" test "$(jq -r .valid <<<"$json")" = true
	check "M$m: class" test "$(jq -r .class <<<"$json")" = "${classes[$m]}"
	check "M$m: 36 cells" test "$(jq '.cells | length' <<<"$json")" -eq 36
	got=$(jq -r '.cells[] | "\(.harness) \(.direction) \(.expected)"' <<<"$json")
	for h in $(seq 1 18); do
		read -r -a row <<<"${grid[$((h - 1))]}"
		want=${row[$ci]}
		check "H$h x M$m outbound = $want" grep -qx "H$h outbound $want" <<<"$got"
		check "H$h x M$m inbound = $(mirror "$want")" grep -qx "H$h inbound $(mirror "$want")" <<<"$got"
	done
	# Every cell carries the documented fields.
	n=$(jq '[.cells[] | select((.tls|type)=="string" and (.sasl|type)=="string" and (.dialback|type)=="boolean" and (.rationale|length) > 0)] | length' <<<"$json")
	check "M$m: every cell has tls, sasl, dialback, rationale" test "$n" -eq 36
done

# Invalid partners: still 36 cells (negative tests), valid false, class null.
for m in 5 6 11 12 14 16 18; do
	json=$("$bin" matrix "$(printf '%s/fixtures/partners/m%02d.txt' "$src" "$m")" --json)
	check "M$m: valid false" test "$(jq -r .valid <<<"$json")" = false
	check "M$m: class null" test "$(jq -r .class <<<"$json")" = null
	check "M$m: 36 cells" test "$(jq '.cells | length' <<<"$json")" -eq 36
	check "M$m: the rule is given" test "$(jq -r '.invalid_rule | length' <<<"$json")" -gt 0
done

# The text form names the row and class.
out=$("$bin" matrix "$src/fixtures/partners/m07.xml")
check "text form names row and class" grep -q "row M7 (Req/Opt/T), valid, class E4" <<<"$out"
check "text form has 36 cell lines" test "$(grep -cE '^H[0-9]+\*? +[A-Za-z]+/' <<<"$out")" -eq 36

finish matrix
