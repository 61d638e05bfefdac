#!/usr/bin/env bash
# `make bench` part: what proving the published artifacts costs. The farm builds a
# Debian subset (BENCH_VERIFY_SUITES, default bookworm and bookworm-security; amd64
# flavor; packages from PROBEKIT_CACHE) into a repository, untimed; then `farm
# --verify -j 2` boots every kernel in modes legacy and repo and marks the index:
# its wall time, per kernel and per boot. Then `verify -j 2` on BENCH_VERIFY_N of
# those kernels in modes btf, no-btf, legacy and repo gives boot-to-verdict per mode. Writes the block
# between <!-- bench:farm-verify:begin/end --> in docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
PK=$PWD/$OUT/probekit
doc=${BENCH_DOC:-docs/benchmarks.md}
cache=${PROBEKIT_CACHE:-/var/cache/probekit}
suites=${BENCH_VERIFY_SUITES:-bookworm bookworm-security}
n=${BENCH_VERIFY_N:-3}
work=$(mktemp -d /tmp/pk-bench-farm-verify.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }

suite_args=()
for s in $suites; do suite_args+=(--suite "$s"); done
sel=("${suite_args[@]}" --kernels '*[0-9]-amd64' --allow-expired --cache "$cache")
"$PK" repo keygen --public "$work/pub" --secret "$work/sec" >/dev/null 2>&1
# a build failure of one kernel (exit 1) is the catalog's news, not the bench's
rc=0
"$PK" farm --repo "$work/repo" --key "$work/sec" "${sel[@]}" -j 2 --json -q >"$work/build.json" 2>"$work/build.err" || rc=$?
[ $rc -le 1 ] || { echo "bench: farm exit $rc: $(tail -3 "$work/build.err")" >&2; exit 1; }
t0=$(now)
rc=0
"$PK" farm --repo "$work/repo" --key "$work/sec" "${sel[@]}" -j 2 --verify --json -q >"$work/verify.json" 2>"$work/verify.err" || rc=$?
[ $rc -le 1 ] && [ -s "$work/verify.json" ] || { echo "bench: farm --verify exit $rc: $(tail -3 "$work/verify.err")" >&2; exit 1; }
t1=$(now)
fv=$(secs "$t0" "$t1")

# boot-to-verdict per mode on the first N kernels that have a legacy object
"$PK" kernels --distro debian "${suite_args[@]}" --allow-expired --cache "$cache/catalog" --json -q >"$work/catalog.json" 2>/dev/null || true
python3 - "$work/catalog.json" "$work/repo/index.json" "$cache" "$n" >"$work/images" <<'EOF'
import json, sys
ks = json.load(open(sys.argv[1]))["kernels"]
ix = json.load(open(sys.argv[2]))["artifacts"]
legacy = {a["kernel"]["kernelrelease"] for a in ix if a["kind"] == "legacy-object"}
out = []
for k in ks:
    if k["flavor"] == "amd64" and k["kernelrelease"] in legacy:
        out.append("%s/packages/%s-%s.pkg" % (sys.argv[3], k["image"]["sha256"], k["image"]["name"]))
for p in out[: int(sys.argv[4])]:
    print(p)
EOF
args=()
while read -r f; do args+=(-k "$f"); done <"$work/images"
t2=$(now)
[ ${#args[@]} -gt 0 ] || { echo "bench: no kernel with a legacy object to boot" >&2; exit 1; }
rc=0
"$PK" verify --json -j 2 --mode btf,no-btf,legacy,repo --repo "$work/repo" --repo-key "$work/pub" "${args[@]}" \
	>"$work/modes.json" 2>"$work/modes.err" || rc=$?
[ $rc -le 1 ] && [ -s "$work/modes.json" ] || { echo "bench: verify exit $rc: $(tail -3 "$work/modes.err")" >&2; exit 1; }
t3=$(now)
mw=$(secs "$t2" "$t3")

block=$(python3 - "$work/verify.json" "$fv" "$work/modes.json" "$mw" "$work/repo/index.json" <<'EOF'
import json, statistics, sys, os
v = json.load(open(sys.argv[1])); fv = float(sys.argv[2])
m = json.load(open(sys.argv[3])); mw = float(sys.argv[4])
ix = json.load(open(sys.argv[5]))
vv = v.get("verify") or {}
booted = vv.get("booted", 0)
states = {}
for a in ix["artifacts"]:
    if a["kind"] in ("legacy-object", "reduced-btf"):
        s = a["verification"]["state"]
        states[(a["kind"], s)] = states.get((a["kind"], s), 0) + 1
print("### farm --verify: proving what the farm publishes\n")
print("`farm --verify -j 2` over %d selected kernels (%s): %d kernels booted in mode repo, and in "
      "mode legacy those with a legacy object; %d artifacts verified, %d failed, %d not proved." % (
          v["selected"], os.environ.get("SUITES", "bookworm, bookworm-security; amd64 flavor"), booted,
          vv.get("verified", 0), vv.get("failed", 0), vv.get("errors", 0)))
print("")
print("| what | s |")
print("|---|---|")
print("| the whole `farm --verify` run (nothing to build; boots, records, index signed again) | %.1f |" % fv)
print("| its boots (image unpack, repository subset, initramfs, QEMU; -j 2) | %.1f |" % vv.get("seconds", 0))
if booted:
    print("| per kernel (wall at -j 2 / kernels) | %.1f |" % (vv.get("seconds", 0) / booted))
    print("| per artifact proved | %.1f |" % (vv.get("seconds", 0) / max(1, vv.get("verified", 0) + vv.get("failed", 0))))
print("")
print("Index after the run: " + ", ".join("%s %s: %d" % (k, s, n) for (k, s), n in sorted(states.items())) + ".")
print("")
print("### Boot-to-verdict per mode\n")
print("`verify -j 2 --mode btf,no-btf,legacy,repo` on %d of those kernels (QEMU launch to the "
      "verdict on the console; accel %s), matrix wall %.1f s:\n" % (
          len({r["kernel"] for r in m.get("results", [])}), m.get("accel"), mw))
print("| mode | boots | passed | min s | median s | max s |")
print("|---|---|---|---|---|---|")
for mode in ("btf", "no-btf", "legacy", "repo"):
    rows = [r for r in m.get("results", []) if r["mode"] == mode]
    t = sorted(r["boot_to_verdict_s"] for r in rows if r["boot_to_verdict_s"])
    if not t:
        print("| %s | %d | 0 | - | - | - |" % (mode, len(rows)))
        continue
    print("| %s | %d | %d | %.1f | %.1f | %.1f |" % (mode, len(rows), sum(r["passed"] for r in rows),
          t[0], statistics.median(t), t[-1]))
EOF
)
python3 - "$doc" "$block" "$(date -u +%Y-%m-%d) on $(nproc) CPUs, host kernel $(uname -r)" <<'EOF'
import re, sys
doc, block, when = sys.argv[1:4]
text = open(doc).read()
new = ("<!-- bench:farm-verify:begin -->\n\n" + block + "\n\nMeasured " + when +
       ". Commands: `probekit farm --repo R --key K --suite S... --kernels '*[0-9]-amd64' -j 2 --verify --json`, "
       "`probekit verify --json -j 2 --mode btf,no-btf,legacy,repo --repo R --repo-key PUB -k IMAGE...` "
       "(bench/farm_verify.sh).\n\n<!-- bench:farm-verify:end -->")
pat = re.compile(r"<!-- bench:farm-verify:begin -->.*?<!-- bench:farm-verify:end -->", re.S)
text = pat.sub(lambda _: new, text) if pat.search(text) else text.rstrip("\n") + "\n\n## Proving the artifacts (issue 11)\n\n" + new + "\n"
open(doc, "w").write(text)
EOF
echo "bench: farm --verify block written to $doc" >&2
