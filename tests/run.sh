#!/usr/bin/env bash
# Runs every test: unit binaries ($OUT/tests/<subsystem>/test_*, built from
# tests/<subsystem>/test_*.c), then the scripts that run the real binary
# (tests/<subsystem>/*.sh), counting PASS/FAIL/SKIP lines. Ends with one line:
#   N passed, N failed, N skipped
# TESTS=pattern runs only the matching tests.
set -u
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
export OUT
pass=0 failn=0 skipn=0
log=$(mktemp)

run_one() {
	local name=$1; shift
	[ -n "${TESTS:-}" ] && [[ "$name" != *${TESTS}* ]] && return
	local start=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local p f s
	p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
	grep -E '^(FAIL|SKIP) ' "$log" | sed "s|^|  $name: |"
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "  $name: FAIL exit code $rc without a FAIL line (crash?):"
		tail -15 "$log" | sed 's/^/    /'
		f=1
	elif [ "$f" -gt 0 ]; then
		tail -15 "$log" | grep -vE '^(PASS|FAIL|SKIP) ' | sed 's/^/    /'
	fi
	pass=$((pass + p)); failn=$((failn + f)); skipn=$((skipn + s))
	printf '%-40s %3d passed %3d failed %3d skipped  (%ds)\n' "$name" "$p" "$f" "$s" $((SECONDS - start))
}

for t in "$OUT"/tests/*/test_*; do
	[ -x "$t" ] || continue
	run_one "${t#"$OUT"/tests/}" "$t"
done
for t in tests/*/*.sh; do
	[ -f "$t" ] || continue
	run_one "${t#tests/}" bash "$t"
done
rm -f "$log"
echo "$pass passed, $failn failed, $skipn skipped"
[ "$failn" -eq 0 ]
