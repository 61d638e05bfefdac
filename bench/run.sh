#!/usr/bin/env bash
# `make bench`: builds the workloads, then measures the agent and its peers on them and
# writes the agent block of docs/benchmarks.md (bench/bench.py). Not part of the tests.
# Knobs (env): BENCH_REPS=3 BENCH_OPEN_N=1000000 BENCH_EXEC_N=2000 BENCH_CONNECT_N=20000
#              BENCH_WORKLOADS=open,exec,connect BENCH_PEERS=1 BENCH_DOC=docs/benchmarks.md
#              BENCH_RENDER_ONLY=1: rewrite the doc from the last run (after editing
#              bench/findings.md) without measuring again
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
args=(--out "$OUT" --doc "${BENCH_DOC:-docs/benchmarks.md}")
if [ "${BENCH_RENDER_ONLY:-0}" = 1 ]; then
	exec python3 bench/bench.py "${args[@]}" --render-only
fi
[ "$(id -u)" = 0 ] || { echo "bench: error: needs root (loads BPF)" >&2; exit 1; }
[ -x "$OUT/probekit" ] || { echo "bench: error: no '$OUT/probekit' (run make OUT=$OUT first)" >&2; exit 1; }
mkdir -p "$OUT/bench"
gcc -O2 -Wall -Wextra -D_GNU_SOURCE -o "$OUT/bench/workload" bench/workload.c
exec python3 bench/bench.py "${args[@]}" \
	--reps "${BENCH_REPS:-3}" --open "${BENCH_OPEN_N:-1000000}" --exec "${BENCH_EXEC_N:-2000}" \
	--connect "${BENCH_CONNECT_N:-20000}" --workloads "${BENCH_WORKLOADS:-open,exec,connect}" \
	--peers "${BENCH_PEERS:-1}"
