#!/usr/bin/env bash
# The HTML report in a real browser (issue 14 item 2, docs/report-html.md): the
# self-test and a mismatch run against `serve` (the partner is M13, its file says M7,
# plus a scenario whose title is markup) write --html; headless Chromium (Debian's
# chromium) then (a) takes a screenshot that must not be blank, (b) dumps the DOM,
# which must hold the verdict, the cmdlet and every scenario id of the run's JSON
# report, with the markup title as text and no script element, and (c) must log no
# console message at all (errors, "Uncaught", CSP violations). The same console check
# must catch a page with a failing inline script and the report with a script
# injected (blocked by its Content-Security-Policy), and the same screenshot check
# a blank page. Every Chromium run is bounded (timeout -k) in a session of its own,
# whose processes are all gone afterwards.
# Usage: html.sh S2SCHECK SOURCE_DIR BUILD_DIR
set -u
bin=$1
src=$2
build=$3
source "$src/tests/cli-lib.sh"
cli_scratch
pki=$build/certs
start=$(date +%s)

if ! command -v chromium >/dev/null; then
	echo "FAIL: chromium is not installed (.ci/install installs it)"
	exit 1
fi

# chrome NAME ARGS... URL: headless Chromium, stdout in $tmp/NAME.out, its log in
# $tmp/NAME.err, in a session of its own (the shell writes the session id first)
# bounded to 30 s. Chromium's helpers (zygote, GPU, renderer) can outlive the
# browser: every process left in that session is killed after it, and must be gone.
chrome() {
	local name=$1 pid sid rc left
	shift
	rm -f "$tmp/$name.sid"
	setsid -w bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$tmp/$name.sid" \
		timeout -k 5 30 chromium --headless --no-sandbox --disable-gpu \
		--user-data-dir="$tmp/chromium-profile" --no-first-run --disable-extensions \
		--disable-background-networking --disable-sync --enable-logging=stderr --v=0 \
		"$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
	pid=$!
	pids+=("$pid")
	wait "$pid"
	rc=$?
	sid=$(cat "$tmp/$name.sid" 2>/dev/null)
	if [ -n "$sid" ]; then
		for _ in $(seq 1 50); do
			left=$(ps -s "$sid" -o pid= | tr -d ' ')
			[ -z "$left" ] && break
			# shellcheck disable=SC2086 # one PID per word
			kill -KILL $left 2>/dev/null
			sleep 0.1
		done
		check "chromium $name: no process of its session left ($left)" test -z "$left"
	else
		check "chromium $name: its session id was recorded" false
	fi
	return "$rc"
}

# console_errors NAME: the console messages of Chromium run NAME (any message: the
# report has no script, so any is a fault), uncaught exceptions and CSP violations.
console_errors() {
	grep -E ':CONSOLE|Uncaught|Content Security Policy|Content-Security-Policy' "$tmp/$1.err"
}

# png_stats NAME: "W H COLOURS NON_WHITE_PERMILLE" of $tmp/NAME.png.
png_stats() { python3 "$src/tests/helpers/png-stats.py" "$tmp/$1.png"; }

# not_blank STATS: at least 32 colours and 5 % of the pixels not white.
not_blank() {
	local w h colours permille
	read -r w h colours permille <<<"$1"
	[ "${w:-0}" -eq 1280 ] && [ "${h:-0}" -eq 2000 ] && [ "${colours:-0}" -gt 32 ] &&
		[ "${permille:-0}" -gt 50 ]
}

blank() { ! not_blank "$1"; }

# browser_checks WHAT NAME: (a), (b) and (c) for $tmp/NAME.html and $tmp/NAME.json.
browser_checks() {
	local what=$1 name=$2 stats ids missing=0 id
	chrome "$name-shot" --screenshot="$tmp/$name.png" --window-size=1280,2000 \
		"file://$tmp/$name.html"
	check "$what: chromium took the screenshot ($(tail -c 300 "$tmp/$name-shot.err"))" \
		test -s "$tmp/$name.png"
	stats=$(png_stats "$name")
	check "$what: the screenshot is not blank (W H colours non-white-permille: $stats)" \
		not_blank "$stats"
	check "$what: no console message while rendering the screenshot ($(console_errors "$name-shot" | head -c 300))" \
		test -z "$(console_errors "$name-shot")"
	chrome "$name-dom" --dump-dom "file://$tmp/$name.html"
	check "$what: chromium dumped the DOM" test -s "$tmp/$name-dom.out"
	check "$what: no console message while loading the DOM ($(console_errors "$name-dom" | head -c 300))" \
		test -z "$(console_errors "$name-dom")"
	ids=$(cli_jq -r '.results[].id' "$tmp/$name.json")
	check "$what: the JSON report has results" test "$(cli_lines "$ids")" -gt 0
	while IFS= read -r id; do
		grep -qF "id=\"s-$id\"" "$tmp/$name-dom.out" || missing=$((missing + 1))
	done <<<"$ids"
	check "$what: the DOM holds every scenario id of the run ($missing of $(cli_lines "$ids") missing)" \
		test "$missing" -eq 0
	check "$what: the DOM holds no script element" \
		test "$(grep -ci '<script' "$tmp/$name-dom.out")" -eq 0
	check "$what: the file references nothing outside itself (no src=, no href but #)" \
		test "$(grep -cE '(src|href)="[^#]' "$tmp/$name.html")" -eq 0
}

# 1. The self-test: everything matches.
timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet \
	--json "$tmp/self.json" --html "$tmp/self.html" >"$tmp/self.txt" 2>"$tmp/self.err"
rc=$?
check "self-test: exit 0, got $rc ($(head -c 300 "$tmp/self.err"))" test "$rc" -eq 0
browser_checks self-test self
check "self-test: the DOM's verdict is pass" \
	grep -q '<h1 id="verdict">s2scheck: pass</h1>' "$tmp/self-dom.out"

# 2. The mismatch run against serve (M13 told M7), with a scenario titled in markup.
mkdir -p "$tmp/evil"
cat >"$tmp/evil/evil-title-out.xml" <<'EOF'
<?xml version="1.0" encoding="UTF-8"?>
<scenario xmlns="urn:s2scheck:scenario:1" id="evil-title-out" direction="outbound">
  <title>&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt; "q" &amp; 's'</title>
  <tag>hostile-title</tag>
  <harness tls="Required" sasl="Required"/>
</scenario>
EOF
ok=0
for _ in 1 2 3; do
	dns=$(cli_rand_port)
	cli_start_serve m13 "$dns" || break
	timeout -k 5 120 "$bin" run --partner "$src/fixtures/partners/m07.xml" \
		--target "127.0.0.1:$serve_port" --serve-dns "127.0.0.1:$dns" --listen 127.0.0.1:0 \
		--ca "$pki/ca.pem" --cert "$pki/harness.test.pem" --key "$pki/harness.test.key" \
		--quiet --timeout 20 --add-scenarios "$tmp/evil" --only matrix --only evil-title-out \
		--json "$tmp/mis.json" --html "$tmp/mis.html" >"$tmp/mis.txt" 2>"$tmp/mis.err"
	rc=$?
	cli_stop_serve
	grep -q "Address already in use" "$tmp/mis.err" && continue
	ok=1
	break
done
check "mismatch: the run ran (a free DNS port was found)" test "$ok" -eq 1
check "mismatch: exit 1, got $rc ($(head -c 300 "$tmp/mis.err"))" test "$rc" -eq 1
browser_checks mismatch mis
check "mismatch: the DOM's verdict is needs attention" \
	grep -q '<h1 id="verdict">s2scheck: needs attention</h1>' "$tmp/mis-dom.out"
cmdlet=$(cli_jq -r '.classification.suggested' "$tmp/mis.json")
check "mismatch: the DOM holds the suggested cmdlet ($cmdlet)" \
	grep -qF "<pre class=\"cmdlet\" id=\"cmdlet\">$cmdlet</pre>" "$tmp/mis-dom.out"
check "mismatch: the markup title is text in the DOM" \
	grep -qF '&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=alert(2)&gt;' "$tmp/mis-dom.out"
check "mismatch: the DOM has no img element" test "$(grep -ci '<img' "$tmp/mis-dom.out")" -eq 0
check "mismatch: the matrix grid shows mismatch cells" \
	test "$(grep -c '<td class="v-mismatch">' "$tmp/mis-dom.out")" -gt 0

# 3. The checks can fail. A failing inline script is caught by the console check...
printf '<!DOCTYPE html><html><body><p>broken</p><script>undefinedFunction();</script></body></html>\n' \
	>"$tmp/broken.html"
chrome broken --dump-dom "file://$tmp/broken.html"
check "console check: catches an uncaught exception ($(head -c 200 "$tmp/broken.err"))" \
	test -n "$(console_errors broken | grep Uncaught)"
# ...so is a script injected into the report, which its Content-Security-Policy blocks...
sed 's|</body>|<script>document.title="x"</script></body>|' "$tmp/self.html" >"$tmp/injected.html"
chrome injected --dump-dom "file://$tmp/injected.html"
check "console check: catches the CSP blocking a script injected into the report" \
	test -n "$(console_errors injected | grep -i 'Content Security Policy')"
check "CSP: the injected script did not run" \
	test "$(grep -c '<title>x</title>' "$tmp/injected.out")" -eq 0
# ...and a blank page by the screenshot check.
printf '<!DOCTYPE html><html><body></body></html>\n' >"$tmp/blank.html"
chrome blank-shot --screenshot="$tmp/blank.png" --window-size=1280,2000 "file://$tmp/blank.html"
stats=$(png_stats blank)
check "screenshot check: the blank page's screenshot decodes ($stats)" test -n "$stats"
check "screenshot check: a blank page fails it ($stats)" blank "$stats"

# 4. The option: '-' is standard output, and only one report may take it.
"$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet --only matrix-h1-out \
	--html - >"$tmp/stdout.html" 2>"$tmp/stdout.err"
rc=$?
check "--html -: exit 0, got $rc" test "$rc" -eq 0
check "--html -: standard output is the HTML report alone" \
	test "$(head -n1 "$tmp/stdout.html")/$(tail -n1 "$tmp/stdout.html")" = '<!DOCTYPE html>/</html>'
"$bin" run --partner "$src/fixtures/partners/m07.xml" --quiet --html - --json - \
	>"$tmp/two.out" 2>"$tmp/two.err"
rc=$?
check "--html - with --json -: exit 2, got $rc" test "$rc" -eq 2
check "--html - with --json -: says why" grep -q -- '--html - would write to standard output' "$tmp/two.err"
"$bin" run --partner "$src/fixtures/partners/m07.xml" --all --out "$tmp/fleet" --html "$tmp/x.html" \
	>"$tmp/all.out" 2>"$tmp/all.err"
rc=$?
check "--all with --html: exit 2 (each partner's report.html is under --out), got $rc" \
	test "$rc" -eq 2

# S2S_HTML_SCREENSHOT=FILE keeps the mismatch run's screenshot (docs/img/report-html.png
# is made so: docs/report-html.md).
if [ -n "${S2S_HTML_SCREENSHOT:-}" ]; then
	cp "$tmp/mis.png" "$S2S_HTML_SCREENSHOT"
fi
echo "html: $(($(date +%s) - start)) s"
finish html
