#!/usr/bin/env bash
# A small mutation test (issue 11 item 7, docs/mutation.md): each mutant below is a
# one-line change to a rule the suite should defend (oracle, certid, engine,
# dialback, verdict, checks). The source tree is copied once to a scratch folder
# (never the working tree), built there, and the relevant ctest subset is run
# unmutated (it must pass, or nothing can be told); then, one mutant at a time,
# the line is changed in the copy, rebuilt and the subset run: a failing subset
# KILLS the mutant, a passing one lets it SURVIVE (a missing test), a mutant whose
# line is not found exactly once is STALE (the code moved: update the table), one
# that does not build is INVALID. The copy's line is restored after each.
# Not part of ctest or CI: a run rebuilds the tree once per mutant (minutes).
# Prints one line per mutant and "killed K of N"; exits 0 when every valid mutant
# was killed, 1 when one survived, 2 on a usage or set-up failure.
# Usage: bench/mutants.sh SOURCE_DIR [SCRATCH_DIR] [ID...]
#   (defaults: a fresh mktemp folder, removed afterwards; every mutant)
#   JOBS=N (default 2) builds and runs ctest with N jobs, under nice.
set -u
src=$(realpath "${1:?usage: bench/mutants.sh SOURCE_DIR [SCRATCH_DIR] [ID...]}")
scratch=${2:-}
shift $(($# >= 2 ? 2 : $#))
only=("$@")
jobs=${JOBS:-2}
keep=1
if [ -z "$scratch" ]; then
	scratch=$(mktemp -d)
	keep=0
fi
cleanup() { [ "$keep" = 1 ] || rm -rf "$scratch"; }
trap cleanup EXIT

# id ~ file ~ the exact line (indentation aside) ~ its replacement ~ ctest -R subset ~ what it breaks
mutants=(
	"V1~harness/verdict.c~} else if (in->environment_failed || in->observed == 0) {~} else if (in->observed == 0) {~^(unit_verdict|cli_verdict)\$~an environment failure with something observed is judged (issue 11 item 7)"
	"V2~harness/verdict.c~} else if (in->check_failed) {~} else if (in->check_failed && false) {~^unit_verdict\$~a failed check no longer turns a match into a mismatch"
	"V3~harness/verdict.c~j = judged(in, VERDICT_XPASS, basis);~j = judged(in, VERDICT_MATCH, basis);~^unit_verdict\$~a declared deviation that did not happen reads as a match"
	"O1~harness/oracle.c~return (observed_set & OUTCOME_SUCCESS_SET) == 0;~return true;~^(unit_oracle|unit_verdict)\$~F0 (any failure) also agrees with a success"
	"O2~harness/oracle.c~if (i->tls == NEG_NOTSUPPORTED && r->tls == NEG_REQUIRED)~if (i->tls == NEG_NOTSUPPORTED && r->tls != NEG_NOTSUPPORTED)~^(unit_oracle|unit_engine)\$~F2 also for a TLS-Optional receiver (reference §3.3)"
	"C1~harness/certid.c~if (!valid_name(suffix, slen) || memchr(suffix, '.', slen) == NULL)~if (!valid_name(suffix, slen))~^unit_certid\$~a wildcard over a single label (*.com) is accepted (RFC 6125 §6.4.3)"
	"C2~harness/certid.c~if (ids->n_dns == 0 && ids->n_srv == 0 && ids->n_xmpp == 0 && ids->n_uri == 0 &&~if (ids->n_srv == 0 && ids->n_xmpp == 0 && ids->n_uri == 0 &&~^unit_certid\$~the CN-ID is used although a DNS-ID is presented (RFC 6125 §6.4.4)"
	"D1~harness/dialback.c~diff |= (unsigned char)(a[i] ^ b[i]);~diff = (unsigned char)(a[i] ^ b[i]);~^(unit_dialback|unit_engine)\$~dialback keys compared on their last octet only (XEP-0185)"
	"E1~harness/engine.c~if (id_seen(e, id))~if (id_seen(e, id) && false)~^(unit_engine.*|unit_runner_checks)\$~a stream id reused after a restart goes unreported (RFC 6120 §4.3.3)"
	"E2~harness/engine.c~if (!pre_tls && e->feat.starttls)~if (!pre_tls && e->feat.starttls && false)~^(unit_engine.*|unit_runner_checks)\$~STARTTLS offered again after TLS goes unreported (RFC 6120 §5.4.3.3)"
	"K1~harness/checks.c~strcmp(f->verify_id, f->post_tls_id) == 0)~strcmp(f->verify_id, f->post_tls_id) != 0)~^(unit_runner_checks|unit_checkup)\$~check verify-id-post-tls accepts a pre-TLS id and refuses the right one (XEP-0220 §2.1.2)"
	"K2~harness/checks.c~if (f->pong || !(f->observed & OUTCOME_SUCCESS_SET))~if (true)~^unit_runner_checks\$~check ping-answered always holds (RFC 6120 §8.1.1.2, reference §3.6)"
)

# apply FILE OLD NEW: replaces the one line of FILE whose text (indentation aside)
# is OLD by NEW, keeping the indentation; prints "stale" unless exactly one matched.
apply() {
	python3 - "$1" "$2" "$3" <<'EOF'
import sys
path, old, new = sys.argv[1], sys.argv[2], sys.argv[3]
lines = open(path).read().split("\n")
hits = [i for i, l in enumerate(lines) if l.strip() == old.strip()]
if len(hits) != 1:
    print("stale (%d lines match)" % len(hits))
    sys.exit(1)
i = hits[0]
lines[i] = lines[i][: len(lines[i]) - len(lines[i].lstrip())] + new.strip()
open(path, "w").write("\n".join(lines))
EOF
}

# field N LINE: the N-th '~'-separated field of a mutant (1-based).
field() { cut -d'~' -f"$1" <<<"$2"; }

wanted() {
	[ "${#only[@]}" -eq 0 ] && return 0
	local i
	for i in "${only[@]}"; do [ "$i" = "$1" ] && return 0; done
	return 1
}

echo "== copying $src to $scratch (build folders and .git left out)"
mkdir -p "$scratch/tree" || exit 2
tar -C "$src" --exclude='./build*' --exclude=./.git -cf - . | tar -C "$scratch/tree" -xf - || exit 2
tree=$scratch/tree
build=$scratch/build
cmake -S "$tree" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$scratch/configure.log" 2>&1 || {
	cat "$scratch/configure.log"
	exit 2
}
nice cmake --build "$build" -j "$jobs" >"$scratch/build.log" 2>&1 || {
	tail -30 "$scratch/build.log"
	exit 2
}

# The union of the subsets must pass unmutated, or a failure would prove nothing.
union=""
for m in "${mutants[@]}"; do
	wanted "$(field 1 "$m")" || continue
	r=$(field 5 "$m")
	union="$union${union:+|}${r}"
done
echo "== the unmutated tree: ctest -R '$union'"
if ! (cd "$build" && nice ctest -R "$union" -j "$jobs" --timeout 300 >"$scratch/base.log" 2>&1); then
	tail -20 "$scratch/base.log"
	echo "mutants: the unmutated tree fails its own tests; nothing to tell"
	exit 2
fi

killed=0 survived=0 total=0 other=0
for m in "${mutants[@]}"; do
	id=$(field 1 "$m")
	wanted "$id" || continue
	file=$(field 2 "$m")
	old=$(field 3 "$m")
	new=$(field 4 "$m")
	subset=$(field 5 "$m")
	what=$(field 6 "$m")
	cp "$tree/$file" "$scratch/orig"
	t0=$(date +%s)
	if ! why=$(apply "$tree/$file" "$old" "$new"); then
		echo "$id $file: STALE: $why: $what"
		other=$((other + 1))
		continue
	fi
	total=$((total + 1))
	if ! nice cmake --build "$build" -j "$jobs" >"$scratch/$id.build.log" 2>&1; then
		echo "$id $file: INVALID (does not build; see $scratch/$id.build.log): $what"
		total=$((total - 1))
		other=$((other + 1))
	elif (cd "$build" && nice ctest -R "$subset" -j "$jobs" --timeout 300 >"$scratch/$id.log" 2>&1); then
		echo "$id $file: SURVIVED ctest -R '$subset' ($(($(date +%s) - t0)) s): $what"
		survived=$((survived + 1))
	else
		by=$(sed -n 's/^[[:space:]]*[0-9]* - \([^ ]*\) .*/\1/p' "$scratch/$id.log" | tr '\n' ' ')
		echo "$id $file: killed by ${by:-?}($(($(date +%s) - t0)) s): $what"
		killed=$((killed + 1))
	fi
	cp "$scratch/orig" "$tree/$file"
done
# The restored tree rebuilt, so a kept scratch folder is left as it was copied.
nice cmake --build "$build" -j "$jobs" >/dev/null 2>&1
echo "mutants: killed $killed of $total ($survived survived; $other stale or invalid)"
[ "$survived" -eq 0 ]
