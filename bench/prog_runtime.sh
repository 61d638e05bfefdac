#!/usr/bin/env bash
# The probe's own cost per program run (kernel.bpf_stats_enabled: run_time_ns /
# run_cnt) for agent binaries A B ... on the open workload, interleaved, 5 rounds.
# usage: bench/prog_runtime.sh BINARY... (root; build/bench/workload built by make bench)
set -u
wl=${WORKLOAD:-build/bench/workload}
tmp=$(mktemp -d)
sysctl -qw kernel.bpf_stats_enabled=1
trap 'sysctl -qw kernel.bpf_stats_enabled=0; rm -rf "$tmp"' EXIT
for r in 1 2 3 4 5; do for b in "$@"; do
  rm -f "$tmp/status"; "$b" run --events open --output /dev/null --status "$tmp/status" 2>/dev/null & p=$!
  for i in $(seq 100); do grep -q '"running"' "$tmp/status" 2>/dev/null && break; sleep 0.05; done
  "$wl" open 250000 >/dev/null
  bpftool -j prog show | python3 -c '
import json,sys
for p in json.load(sys.stdin):
    if p.get("name","").startswith("pk_") and p.get("run_cnt"):
        print(sys.argv[1], p["name"], p["run_cnt"], "%.1f ns/run" % (p["run_time_ns"]/p["run_cnt"]))' "$b"
  kill $p; wait $p
done; done
