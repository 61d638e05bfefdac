# Every libFuzzer target (tests/fuzz/fuzz_*.c) builds and survives a short run
# on its seeds plus 10 s of mutation. `make fuzz FUZZ_SECONDS=N` runs them longer.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=${FUZZ_SMOKE_SECONDS:-10}
# a fixed seed: the smoke replays the same mutations on every run (a slower machine
# runs a prefix of them), so CI is repeatable; `make fuzz` explores with fresh seeds
SEED=${FUZZ_SMOKE_SEED:-1}

command -v clang >/dev/null || { skip "fuzz smoke" "clang not installed"; exit 0; }
# the fuzz targets are ASan+UBSan builds of their own: make check runs them once
[ "${PK_SAN:-0}" = 1 ] && { skip "fuzz smoke" "sanitizer run: make check already ran the (sanitized) fuzz targets"; exit 0; }
if ! make -C "$ROOT" --no-print-directory fuzz-build >"$TMP/build.log" 2>&1; then
	fail "fuzz targets build" "$(tail -n 5 "$TMP/build.log")"
	exit 0
fi
pass "fuzz targets build"
for f in "$ROOT"/build-fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	n=$(basename "$f")
	seeds="$ROOT/tests/fuzz/corpus/$n"
	mkdir -p "$TMP/$n"
	if "$f" -seed="$SEED" -max_total_time="$SECS" -artifact_prefix="$TMP/$n-" "$TMP/$n" \
		$( [ -d "$seeds" ] && echo "$seeds" ) >"$TMP/$n.log" 2>&1; then
		pass "$n: ${SECS}s, $(grep -Eo 'Done [0-9]+ runs' "$TMP/$n.log" | awk '{print $2}') runs, no crash"
	else
		fail "$n" "$(grep -E 'ERROR|SUMMARY' "$TMP/$n.log" | head -3)"
	fi
done
