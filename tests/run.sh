#!/usr/bin/env bash
# Runs every test (unit binaries, then the scripts that run the real binary),
# counts their PASS/FAIL/SKIP lines and ends with "N passed, N failed, N skipped".
# Usage: OUT=build [TESTS=pattern] bash tests/run.sh
set -u

# Unit tests are $OUT/tests/<subsystem>/test_* (built from tests/<subsystem>/
# test_*.c), scripts tests/<subsystem>/*.sh; TESTS=pattern runs only the names
# that match. A skip about loading BPF (reason "no BPF: ...", tests/lib.sh
# need_bpf) is a failure on a machine that can load BPF, and with
# PROBEKIT_REQUIRE_BPF=1 (CI) always; where BPF truly cannot be loaded the last
# line says so.
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
export OUT
. tests/lib.sh
pass=0 failn=0 skipn=0 bpfskipn=0
log=$(mktemp)

# decided once, here, for every test script (need_bpf reads it)
PK_BPF_WHY=$(bpf_capability)
export PK_BPF_WHY
bpf_strict=""
if [ -z "$PK_BPF_WHY" ]; then
	bpf_strict="this machine can load BPF"
	echo "BPF: this machine can load BPF; a test that skips for want of it fails"
elif [ "${PROBEKIT_REQUIRE_BPF:-0}" = 1 ]; then
	bpf_strict="PROBEKIT_REQUIRE_BPF=1"
	echo "BPF: cannot load BPF here ($PK_BPF_WHY), and PROBEKIT_REQUIRE_BPF=1: its tests fail"
else
	echo "BPF: cannot load BPF here ($PK_BPF_WHY): tests that need it skip"
fi

run_one() {
	local name=$1; shift
	[ -n "${TESTS:-}" ] && [[ "$name" != *${TESTS}* ]] && return
	local start=$SECONDS
	"$@" >"$log" 2>&1
	local rc=$?
	local p f s
	local b
	p=$(grep -c '^PASS ' "$log"); f=$(grep -c '^FAIL ' "$log"); s=$(grep -c '^SKIP ' "$log")
	b=$(grep -c "^SKIP .*: $PK_NO_BPF " "$log")
	grep -E '^(FAIL|SKIP) ' "$log" | sed "s|^|  $name: |"
	if [ "$b" -gt 0 ] && [ -n "$bpf_strict" ]; then
		echo "  $name: FAIL $b skipped for want of BPF, but $bpf_strict"
		f=$((f + b)); s=$((s - b))
	else
		bpfskipn=$((bpfskipn + b))
	fi
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
	case $t in tests/lib/*) continue ;; esac	# helpers the tests source, not tests
	run_one "${t#tests/}" bash "$t"
done
rm -f "$log"
if [ "$bpfskipn" -gt 0 ]; then
	echo "$pass passed, $failn failed, $skipn skipped ($bpfskipn need BPF, which cannot be loaded here: $PK_BPF_WHY)"
else
	echo "$pass passed, $failn failed, $skipn skipped"
fi
[ "$failn" -eq 0 ]
