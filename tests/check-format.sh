#!/usr/bin/env bash
# Fails when a tracked C source is not formatted as .clang-format says.
# Usage: check-format.sh CLANG_FORMAT SOURCE_DIR
set -u
fmt=$1
src=$2
cd "$src" || exit 2
mapfile -t files < <(find harness tests bench fuzz -name '*.[ch]' 2>/dev/null | sort)
if [ "${#files[@]}" -eq 0 ]; then
	echo "check-format: no C sources found under $src" >&2
	exit 1
fi
bad=0
for f in "${files[@]}"; do
	if ! "$fmt" --dry-run -Werror --style=file "$f" >/dev/null 2>&1; then
		echo "not formatted: $f (run: $fmt -i $f)"
		bad=$((bad + 1))
	fi
done
echo "check-format: ${#files[@]} files, $bad not formatted"
[ "$bad" -eq 0 ]
