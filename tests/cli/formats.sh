#!/usr/bin/env bash
# The reports for CI (issue 14 items 3 and 4, docs/report-junit.md,
# docs/report-json.md): a full default self-test, a run against `serve` (a partner
# that differs from its file, then one that matches it) and a fleet roll-up. Each
# JUnit report is validated against the project's tests/schema/junit.xsd and the
# Jenkins xUnit plugin's junit-10.xsd (test names are scenario ids, one suite per
# first tag, "configuration matches" a case of its own); each JSON output (run,
# list, matrix, check, roll-up, diff) against its docs/schema/*.schema.json (JSON
# Schema 2020-12, with python3-jsonschema), lists being arrays.
# Usage: formats.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
xsd=$src/tests/schema/junit.xsd
xsd10=$src/tests/schema/junit-10.xsd
schemas=$src/docs/schema

# valid NAME FILE...: FILE validates against docs/schema/NAME.schema.json.
valid() {
	local name=$1
	shift
	python3 "$src/tests/schema/validate-json.py" "$schemas/$name.schema.json" "$@"
}
# invalid NAME FILE: it does not (the schema is no rubber stamp).
invalid() {
	python3 "$src/tests/schema/validate-json.py" "$schemas/$1.schema.json" "$2" >/dev/null
	test $? -eq 1
}

# xp XPATH FILE: the XPath's value, "xpath failed: ..." when xmllint fails.
xp() {
	local got
	if got=$(xmllint --xpath "$1" "$2" 2>&1); then
		printf '%s\n' "$got"
		return 0
	fi
	printf 'xpath failed: %s\n' "$(tr '\n' ' ' <<<"$got")"
	return 1
}

# junit_checks WHAT XML JSON: what holds of every run's JUnit report.
junit_checks() {
	local what=$1 xml=$2 json=$3 ids names suites want got
	check "$what: JUnit valid against tests/schema/junit.xsd" \
		xmllint --noout --schema "$xsd" "$xml"
	check "$what: JUnit valid against the Jenkins xUnit plugin's junit-10.xsd" \
		xmllint --noout --schema "$xsd10" "$xml"
	check "$what: no testsuites@skipped (junit-10.xsd refuses it)" \
		test "$(xp 'count(/testsuites/@skipped)' "$xml")" = 0
	# The test names are the scenario ids, each once, and nothing else outside the
	# suite "verdict".
	ids=$(cli_jq -r '.results[].id' "$json" | sort)
	names=$(xp '/testsuites/testsuite[@name!="verdict"]/testcase/@name' "$xml" |
		sed 's/^ *name="\(.*\)"$/\1/' | sort)
	check "$what: testcase@name is the scenario id ($(cli_lines "$ids") results)" \
		test -n "$ids" -a "$ids" = "$names"
	# Each scenario sits in the suite of its first tag ("untagged" for none).
	want=$(cli_jq -r '.results[] | "\(.tags[0] // "untagged") \(.id)"' "$json" | sort)
	got=$(for s in $(xp '/testsuites/testsuite[@name!="verdict"]/@name' "$xml" | sed 's/^ *name="\(.*\)"$/\1/'); do
		xp "/testsuites/testsuite[@name='$s']/testcase/@name" "$xml" |
			sed "s/^ *name=\"\(.*\)\"\$/$s \1/"
	done | sort)
	check "$what: one suite per first tag, each scenario in its first tag's suite" \
		test -n "$want" -a "$want" = "$got"
	suites=$(xp '/testsuites/testsuite/@name' "$xml" | sed 's/^ *name="\(.*\)"$/\1/')
	check "$what: the suite names are unique" test "$(sort <<<"$suites" | uniq -d)" = ""
	check "$what: the first suite is verdict" test "$(head -n1 <<<"$suites")" = verdict
	for a in tests failures errors; do
		check "$what: testsuites@$a is the sum over the suites" \
			test "$(xp "string(/testsuites/@$a)" "$xml")" = "$(xp "sum(/testsuites/testsuite/@$a)" "$xml")"
	done
	check "$what: the suites' failures count the mismatches, xpasses, domain faults and the classification" \
		test "$(xp 'sum(/testsuites/testsuite/@failures)' "$xml")" = \
		"$(cli_jq '([.results[] | select(.verdict == "mismatch" or .verdict == "xpass")] | length)
			+ .domains.faults + (if .classification.state == "matches" or
			.classification.state == "nothing-observed" then 0 else 1 end)' "$json")"
	# The title is the first line of the scenario's system-out.
	id=$(cli_jq -r '.results[0].id' "$json")
	check "$what: $id's system-out starts with its title" \
		test "$(xp "substring-before(//testcase[@name='$id']/system-out, '"$'\n'"')" "$xml")" = \
		"title: $(cli_jq -r '.results[0].title' "$json")"
}

# 1. The full default self-test (no --only): every scenario of the default folder.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet \
	--json "$tmp/self.json" --junit "$tmp/self.xml" >"$tmp/self.txt" 2>"$tmp/self.err"
rc=$?
check "self-test: exit 0, got $rc ($(head -c 300 "$tmp/self.err"))" test "$rc" -eq 0
check "self-test: more than 100 scenarios" test "$(cli_jq '.results | length' "$tmp/self.json")" -gt 100
junit_checks self-test "$tmp/self.xml" "$tmp/self.json"
check "self-test: the JSON report valid against report.schema.json" valid report "$tmp/self.json"
check "self-test: schema 2, lists are arrays (tags, refs, observed)" \
	test "$(cli_jq -c '[.schema, ([.results[] | .tags, .refs, .observed | type] | unique)]' "$tmp/self.json")" = '[2,["array"]]'
check "self-test: some scenario has tags and refs" \
	test "$(cli_jq '[.results[] | select((.tags | length) > 0 and (.refs | length) > 0)] | length' "$tmp/self.json")" -gt 0
jq '.results[0].tags = "a,b"' "$tmp/self.json" >"$tmp/bad-tags.json"
check "report.schema.json refuses tags as a comma string" invalid report "$tmp/bad-tags.json"
jq '.results[0].observed = "F3|F4"' "$tmp/self.json" >"$tmp/bad-obs.json"
check "report.schema.json refuses observed as an F3|F4 string" invalid report "$tmp/bad-obs.json"
jq 'del(.schema)' "$tmp/self.json" >"$tmp/bad-schema.json"
check "report.schema.json refuses a report without its schema number" invalid report "$tmp/bad-schema.json"
"$bin" list --json >"$tmp/list.json"
check "list --json valid against list.schema.json" valid list "$tmp/list.json"
check "list --json: schema 1" test "$(cli_jq .schema "$tmp/list.json")" = 1
"$bin" matrix "$src/fixtures/partners/m07.xml" --json >"$tmp/matrix.json"
check "matrix --json valid against matrix.schema.json" valid matrix "$tmp/matrix.json"
check "matrix --json: schema 1, 36 cells" test "$(cli_jq -c '[.schema, (.cells | length)]' "$tmp/matrix.json")" = '[1,36]'
jq '.cells[0].expected = "X"' "$tmp/matrix.json" >"$tmp/bad-matrix.json"
check "matrix.schema.json refuses an unknown code" invalid matrix "$tmp/bad-matrix.json"
check "self-test: configuration matches passes" \
	test "$(xp "count(//testcase[@name='configuration matches'])" "$tmp/self.xml")/$(xp "count(//testcase[@name='configuration matches']/*[self::failure or self::error or self::skipped])" "$tmp/self.xml")" = 1/0
check "self-test: the certificate suite counts the certificate-first scenarios" \
	test "$(xp "string(/testsuites/testsuite[@name='certificate']/@tests)" "$tmp/self.xml")" = \
	"$(cli_jq '[.results[] | select(.tags[0] == "certificate")] | length' "$tmp/self.json")"
# The schema copy is not a rubber stamp: the attribute that got reports dropped fails it.
sed 's/<testsuites name="s2scheck"/<testsuites skipped="0" name="s2scheck"/' "$tmp/self.xml" >"$tmp/skipped.xml"
check "junit-10.xsd refuses testsuites@skipped" \
	test "$(xmllint --noout --schema "$xsd10" "$tmp/skipped.xml" >/dev/null 2>&1; echo $?)" -ne 0
check "junit.xsd refuses testsuites@skipped" \
	test "$(xmllint --noout --schema "$xsd" "$tmp/skipped.xml" >/dev/null 2>&1; echo $?)" -ne 0

# Transcripts by reference (--no-transcripts-inline) and the invocation recorded.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet --only matrix \
	--timeout 25 --json "$tmp/ref.json" --junit "$tmp/ref.xml" --transcripts "$tmp/ref-tr" \
	--no-transcripts-inline >/dev/null 2>"$tmp/ref.err"
rc=$?
check "--no-transcripts-inline: exit 0, got $rc ($(head -c 300 "$tmp/ref.err"))" test "$rc" -eq 0
check "--no-transcripts-inline: the JSON report valid against report.schema.json" valid report "$tmp/ref.json"
check "--no-transcripts-inline: no transcript inline, each result names its file" \
	test "$(cli_jq -c '[.results[] | (.transcript == null), .transcript_file] | map(type) | unique' "$tmp/ref.json")" = '["boolean","string"]' -a \
	"$(cli_jq '[.results[] | select(.transcript != null)] | length' "$tmp/ref.json")" = 0
missing=0
while IFS= read -r f; do
	[ -s "$f" ] || missing=$((missing + 1))
done < <(cli_jq -r '.results[].transcript_file' "$tmp/ref.json")
check "--no-transcripts-inline: every named file exists and holds the transcript ($missing missing)" \
	test "$missing" -eq 0 -a "$(cli_jq '.results | length' "$tmp/ref.json")" -gt 0
check "--no-transcripts-inline: the JUnit cases name the files, hold no wire text" \
	test "$(grep -c '^transcript: '"$tmp"'/ref-tr/.*\.txt' "$tmp/ref.xml")/$(grep -c 'stream:stream' "$tmp/ref.xml")" = \
	"$(cli_jq '.results | length' "$tmp/ref.json")/0"
for x in "$xsd" "$xsd10"; do
	check "--no-transcripts-inline: JUnit valid against ${x##*/}" xmllint --noout --schema "$x" "$tmp/ref.xml"
done
check "the invocation is recorded (argv, selection, timeouts, transcripts)" \
	test "$(cli_jq -c '.invocation | [.argv[0], .only, .skip, .quirks, .timeout_s, .step_timeout_ms, .domain, .transcripts_inline, (.transcripts | endswith("/ref-tr"))]' "$tmp/ref.json")" = \
	'["--partner",["matrix"],[],[],25,null,null,false,true]'
check "the self-test's invocation: transcripts inline, none written" \
	test "$(cli_jq -c '[.invocation.transcripts_inline, .invocation.transcripts, .results[0].transcript_file, (.results[0].transcript | type)]' "$tmp/self.json")" = '[true,null,null,"string"]'
"$bin" run --partner "$src/fixtures/partners/m07.xml" --no-transcripts-inline >"$tmp/noref.txt" 2>&1
rc=$?
check "--no-transcripts-inline without --transcripts: usage error (exit 2), got $rc" test "$rc" -eq 2
# --markdown -: standard output carries the summary alone.
"$bin" run --partner "$src/fixtures/partners/m07.xml" --only matrix --quiet --markdown - \
	>"$tmp/md-stdout.md" 2>"$tmp/md-stdout.err"
rc=$?
check "--markdown -: exit 0, got $rc" test "$rc" -eq 0
check "--markdown -: stdout is the summary alone" \
	test "$(head -n1 "$tmp/md-stdout.md")/$(grep -c '^ID ' "$tmp/md-stdout.md")" = "## s2scheck: pass/0"
check "--no-transcripts-inline without --transcripts: says why" \
	grep -q -- '--no-transcripts-inline needs --transcripts DIR' "$tmp/noref.txt"

# 2. Against `serve`: the partner is M13 (E5), its file says M7; then its own file.
run_against() { # run_against PARTNER_FILE DNS_PORT OUT
	timeout -k 5 120 "$bin" run --partner "$1" --target "127.0.0.1:$serve_port" \
		--serve-dns "127.0.0.1:$2" --listen 127.0.0.1:0 --ca "$pki/ca.pem" \
		--cert "$pki/harness.test.pem" --key "$pki/harness.test.key" --quiet \
		--timeout 20 --only matrix --json "$3.json" --junit "$3.xml" --markdown "$3.md" \
		>"$3.txt" 2>"$3.err"
}
ok=0
for _ in 1 2 3; do
	dns=$(cli_rand_port)
	cli_start_serve m13 "$dns" || break
	run_against "$src/fixtures/partners/m07.xml" "$dns" "$tmp/mis"
	rc=$?
	if grep -q "Address already in use" "$tmp/mis.err"; then
		cli_stop_serve
		continue
	fi
	ok=1
	break
done
check "serve: the mismatch run ran (a free DNS port was found)" test "$ok" -eq 1
check "serve, M13 told M7: exit 1, got $rc ($(head -c 300 "$tmp/mis.err"))" test "$rc" -eq 1
junit_checks "serve, M13 told M7" "$tmp/mis.xml" "$tmp/mis.json"
check "serve, M13 told M7: configuration matches fails as a classification" \
	test "$(xp "string(//testcase[@name='configuration matches']/failure/@type)" "$tmp/mis.xml")" = classification
check "serve, M13 told M7: its message is the summary line" \
	test "$(xp "string(//testcase[@name='configuration matches']/failure/@message)" "$tmp/mis.xml")" = \
	"$(cli_jq -r '.summary.line' "$tmp/mis.json")"
check "serve, M13 told M7: the failure's text is the suggested cmdlet, M13's setting" \
	test "$(xp "string(//testcase[@name='configuration matches']/failure)" "$tmp/mis.xml")" = \
	"suggested: $(cli_jq -r '.classification.suggested' "$tmp/mis.json")" -a \
	"$(cli_jq -r '.classification.suggested' "$tmp/mis.json")" = \
	'Set-CsXmppAllowedPartner -Identity "partner.test" -TlsNegotiation Required -SaslNegotiation NotSupported -SupportDialbackNegotiation $True'
check "serve, M13 told M7: the matrix suite counts the mismatches" \
	test "$(xp "string(/testsuites/testsuite[@name='matrix']/@failures)" "$tmp/mis.xml")" = \
	"$(cli_jq '[.results[] | select(.verdict == "mismatch")] | length' "$tmp/mis.json")"
check "serve, M13 told M7: the JSON report valid against report.schema.json" valid report "$tmp/mis.json"
"$bin" diff "$tmp/self.json" "$tmp/mis.json" --json >"$tmp/diff.json"
check "diff --json (self-test to mismatch) valid against diff.schema.json" valid diff "$tmp/diff.json"
check "diff --json: schema 2, observed codes as arrays" \
	test "$(cli_jq -c '[.schema, ([.regressions[], .verdicts[], .observed[] | .old_observed, .new_observed | type] | unique)]' "$tmp/diff.json")" = '[2,["array"]]'
check "diff --json: the mismatches are regressions" \
	test "$(cli_jq '.regressions | length' "$tmp/diff.json")" -gt 0
# The Markdown summary: the verdict first, one row per cause, each mismatch once.
check "serve, M13 told M7: the Markdown summary says it needs attention" \
	test "$(head -n1 "$tmp/mis.md")" = "## s2scheck: needs attention"
check "serve, M13 told M7: the Markdown summary has the summary line" \
	grep -qxF "**$(cli_jq -r '.summary.line' "$tmp/mis.json")**" "$tmp/mis.md"
check "serve, M13 told M7: the Markdown summary has the cmdlet once" \
	test "$(grep -cxF "$(cli_jq -r '.classification.suggested' "$tmp/mis.json")" "$tmp/mis.md")" = 1
causes=$(cli_jq '[.results[] | select(.verdict == "mismatch" or .verdict == "xpass" or .verdict == "error") | (.rule // .verdict)] | unique | length' "$tmp/mis.json")
check "serve, M13 told M7: one Markdown row per cause ($causes)" \
	test "$(sed -n '/^|---|/,/^$/p' "$tmp/mis.md" | grep -c '^| ')" = "$causes" -a "$causes" -gt 0
for id in $(cli_jq -r '.results[] | select(.verdict == "mismatch") | .id' "$tmp/mis.json"); do
	n=$(grep -o "\`$id\`" "$tmp/mis.md" | wc -l)
	[ "$n" = 1 ] || echo "$id: $n times" >>"$tmp/md-ids"
done
check "serve, M13 told M7: each mismatch once in the Markdown ($(cat "$tmp/md-ids" 2>/dev/null))" \
	test ! -s "$tmp/md-ids"
check "serve, M13 told M7: there are mismatches" \
	test "$(cli_jq '[.results[] | select(.verdict == "mismatch")] | length' "$tmp/mis.json")" -gt 0
if [ "$ok" -eq 1 ]; then
	run_against "$src/fixtures/partners/m13.xml" "$dns" "$tmp/same"
	rc=$?
else
	rc=none
fi
check "serve, M13 told M13: exit 0, got $rc ($(head -c 300 "$tmp/same.err" 2>/dev/null))" test "$rc" = 0
junit_checks "serve, M13 told M13" "$tmp/same.xml" "$tmp/same.json"
check "serve, M13 told M13: configuration matches passes" \
	test "$(xp "count(//testcase[@name='configuration matches']/*[self::failure or self::error or self::skipped])" "$tmp/same.xml")" = 0
check "serve, M13 told M13: the JSON report valid against report.schema.json" valid report "$tmp/same.json"
if [ "$ok" -eq 1 ]; then
	timeout -k 5 60 "$bin" check --partner "$src/fixtures/partners/m13.xml" \
		--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
		--json "$tmp/check.json" >"$tmp/check.txt" 2>"$tmp/check.err"
	rc=$?
fi
check "check --json against serve: exit 0 or 1, got $rc ($(head -c 300 "$tmp/check.err" 2>/dev/null))" \
	test "$rc" = 0 -o "$rc" = 1
check "check --json valid against check.schema.json" valid check "$tmp/check.json"
check "check --json: schema 1, findings" \
	test "$(cli_jq -c '[.schema, (.findings | length > 0)]' "$tmp/check.json")" = '[1,true]'
cli_stop_serve

# 3. A fleet roll-up (every partner of multi.xml against the built-in reference partner).
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/multi.xml" --all --out "$tmp/fleet" \
	--only matrix --quiet >"$tmp/fleet.txt" 2>"$tmp/fleet.err"
rc=$?
check "fleet: exit 0, got $rc ($(head -c 300 "$tmp/fleet.err"))" test "$rc" -eq 0
check "fleet: rollup.xml valid against tests/schema/junit.xsd" \
	xmllint --noout --schema "$xsd" "$tmp/fleet/rollup.xml"
check "fleet: rollup.xml valid against junit-10.xsd" \
	xmllint --noout --schema "$xsd10" "$tmp/fleet/rollup.xml"
check "fleet: rollup.xml has no testsuites@skipped, a time" \
	test "$(xp 'count(/testsuites/@skipped)' "$tmp/fleet/rollup.xml")/$(xp 'count(/testsuites/@time)' "$tmp/fleet/rollup.xml")" = 0/1
check "fleet: rollup.json valid against rollup.schema.json" valid rollup "$tmp/fleet/rollup.json"
for d in alpha.test partner.test beta.test; do
	check "fleet: $d's report.json valid against report.schema.json" valid report "$tmp/fleet/$d/report.json"
	for x in "$xsd" "$xsd10"; do
		check "fleet: $d's report.xml valid against ${x##*/}" \
			xmllint --noout --schema "$x" "$tmp/fleet/$d/report.xml"
	done
done

finish formats
