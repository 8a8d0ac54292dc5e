#!/usr/bin/env bash
# The rule table (issue 11 item 1), over the built program and loopback:
# - docs/rules.md is what `s2scheck rules --markdown` writes (regenerate it with
#   `build/s2scheck rules --markdown >docs/rules.md` after changing harness/rules.c,
#   harness/checks.c or scenarios/);
# - every <spec> of the default scenarios is a rule id of docs/rules.md;
# - a full default run against `serve` (M15 misbehaving with starttls-after-tls, so
#   that checks fail and findings carry rules): every rule id in its JSON (results'
#   `rule`, `finding_rules`) resolves in docs/rules.md, every finding has one, and
#   no cause, spec or finding cites "reference §" (a document not in the repository);
# - the coverage of the reference's rules (engine site, check, scenario), whose
#   figure the README states.
# Usage: rules.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs

# 1. docs/rules.md is generated and up to date.
"$bin" rules --markdown >"$tmp/rules.md"
check "rules --markdown exits 0" test "$?" -eq 0
check "docs/rules.md is what 'rules --markdown' writes (regenerate it: $(diff "$src/docs/rules.md" "$tmp/rules.md" | head -3 | tr '\n' ' '))" \
	cmp -s "$src/docs/rules.md" "$tmp/rules.md"
# The ids of docs/rules.md, one a line.
ids=$(sed -n 's/^| \([A-Z][A-Z0-9-]*\) | .*/\1/p' "$src/docs/rules.md" | grep -v '^id$')
n_ids=$(grep -c . <<<"$ids")
check "docs/rules.md lists the 60 reference rules and the harness's own (got $n_ids rows)" \
	test "$n_ids" -gt 60
check "docs/rules.md lists each id once" test "$(sort <<<"$ids" | uniq -d | grep -c .)" = 0
for r in STR-{1..12} TLS-{1..10} SASL-{1..11} DB-{1..14} DNS-{1..7} CRT-{1..6}; do
	grep -qx -- "$r" <<<"$ids" || check "reference rule $r is in docs/rules.md" false
done
check "'rules' prints every id of docs/rules.md" \
	test "$("$bin" rules | awk '{print $1}')" = "$ids"

# 2. The default scenarios cite rule ids.
specs=$(sed -n 's/.*<spec>\(.*\)<\/spec>.*/\1/p' "$src"/scenarios/*.xml | sort -u)
check "the default scenarios have <spec> elements ($(grep -c . <<<"$specs") distinct)" test -n "$specs"
bad=$(grep -vxF -f <(printf '%s\n' $ids) <<<"$specs")
check "every <spec> of scenarios/ is an id of docs/rules.md (not: $bad)" test -z "$bad"
# A spec shaped like an id that names no rule is refused.
mkdir "$tmp/scen"
cat >"$tmp/scen/x-out.xml" <<'XML'
<scenario xmlns="urn:s2scheck:scenario:1" id="x-out" direction="outbound">
  <spec>TLS-99</spec>
</scenario>
XML
"$bin" list --scenarios "$tmp/scen" >"$tmp/list.out" 2>"$tmp/list.err"
rc=$?
check "a <spec> naming no rule (TLS-99) is refused, exit 2 (got $rc)" test "$rc" = 2
check "the refusal says why: $(cat "$tmp/list.err")" grep -q "no such rule id" "$tmp/list.err"

# 3. A full run's rule ids resolve.
rc=none
for _ in 1 2 3; do # the DNS port is random: retry on a clash
	dns=$(cli_rand_port)
	cli_start_serve m15 "$dns" --misbehave starttls-after-tls || break
	rm -f "$tmp/run.json"
	timeout -k 5 400 "$bin" run --partner "$src/fixtures/partners/m15.xml" \
		--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" \
		--listen 127.0.0.1:0 --ca "$pki/ca.pem" --cert "$pki/harness.test.pem" \
		--key "$pki/harness.test.key" --quiet --timeout 20 --step-timeout 3000 \
		--json "$tmp/run.json" --junit "$tmp/run.xml" >"$tmp/run.txt" 2>"$tmp/run.err"
	rc=$?
	cli_stop_serve
	grep -q "Address already in use" "$tmp/run.err" || break
	rc=none
done
check "full run: exit 1, the misbehaviour's mismatches (got $rc: $(head -c 300 "$tmp/run.err"))" test "$rc" = 1
check "full run: a JSON report" test -s "$tmp/run.json"
used=$(jq -r '[.results[] | .rule, .finding_rules[]] | map(select(. != null)) | unique | .[]' "$tmp/run.json")
check "full run: rule ids in the JSON ($(wc -w <<<"$used"))" test "$(wc -w <<<"$used")" -gt 5
unknown=$(grep -vxF -f <(printf '%s\n' $ids) <<<"$used")
check "full run: every rule id in the JSON resolves in docs/rules.md (not: $unknown)" test -z "$unknown"
check "full run: every finding has a rule id" \
	test "$(jq '[.results[] | select((.findings | length) != (.finding_rules | length) or any(.finding_rules[]; . == null))] | length' "$tmp/run.json")" = 0
check "full run: findings were there to judge" \
	test "$(jq '[.results[].findings[]] | length' "$tmp/run.json")" -gt 0
check "full run: every judged result names its rule" \
	test "$(jq '[.results[] | select(.verdict != "skip" and .rule == null)] | length' "$tmp/run.json")" = 0
check "full run: a failed check names the rule it judges (TLS-9)" \
	test "$(jq '[.results[] | select(.failed_check == "no-starttls-after-tls" and .rule == "TLS-9")] | length' "$tmp/run.json")" -gt 0
check "full run: the JUnit failure text carries the rule id" grep -q "rule id: TLS-9" "$tmp/run.xml"
check "full run: no cause, spec, rationale or finding cites 'reference §'" \
	test "$(jq '[.results[] | .cause, .spec, .rationale, .findings[] | select(test("reference §"))] | length' "$tmp/run.json")" = 0
check "full run: the text report cites no 'reference §'" bash -c "! grep -q 'reference §' '$tmp/run.txt'"

# 4. Coverage of the reference's rules: an engine site (the rule's id, or that of an
#    H-* row refining it, in harness/ outside the tables rules.c, checks.c,
#    misbehave.c and classify.c, whose rows name the rule they judge, probe or
#    explain a classification by), a check (docs/rules.md's
#    checks column, of the rule or a row refining it) and a scenario (its scenarios
#    column, likewise).
refines() { # the rule and the ids of rows refining it
	echo "$1"
	awk -F' \\| ' -v r="$1" '$5 == r {sub(/^\| /, "", $1); print $1}' "$src/docs/rules.md"
}
col() { # col ID N: column N of ID's row
	awk -F' \\| ' -v r="$1" -v n="$2" '{id=$1; sub(/^\| /, "", id)} id == r {sub(/ \|$/, "", $n); print $n}' "$src/docs/rules.md"
}
full=0
printf '%-8s %-6s %-6s %s\n' rule engine check scenario >"$tmp/coverage.txt"
for r in STR-{1..12} TLS-{1..10} SASL-{1..11} DB-{1..14} DNS-{1..7} CRT-{1..6}; do
	e=no c=no s=no
	for x in $(refines "$r"); do
		sym=RULE_$(tr '-' '_' <<<"$x")
		grep -lw -- "$sym" "$src"/harness/*.c | grep -qv -e '/rules\.c$' -e '/checks\.c$' -e '/misbehave\.c$' -e '/classify\.c$' && e=yes
		[ -n "$(col "$x" 6)" ] && c=yes
		[ -n "$(col "$x" 7)" ] && s=yes
	done
	printf '%-8s %-6s %-6s %s\n' "$r" "$e" "$c" "$s" >>"$tmp/coverage.txt"
	[ "$e$c$s" = yesyesyes ] && full=$((full + 1))
done
cat "$tmp/coverage.txt"
echo "coverage: $full of 60 reference rules have an engine site, a check and a scenario"
check "the README states the coverage figure ($full of 60)" \
	grep -q "$full of 60 reference rules have an engine site, a check and a scenario" "$src/README.md"

finish rules
