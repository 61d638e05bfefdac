#!/usr/bin/env bash
# make verify-all: boot every Debian kernel image package of the corpus suites with
# probekit verify and write docs/kernel-matrix.md and benchmarks.md's verify block.

# Every amd64 flavor, not -dbg/-unsigned/meta packages, in modes btf and no-btf; of
# docs/benchmarks.md only the block between its markers is rewritten.
#
# usage: scripts/verify-all.sh [SUITE...]      (default: every corpus suite)
# environment: OUT (build dir, default build), VERIFY_JOBS (VMs at once, default 1),
#              VERIFY_TIMEOUT (per boot, default 600), VERIFY_MODES (default btf,no-btf),
#              VERIFY_MATCH (regex on package names), VERIFY_LIMIT (first N kernels only)
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
PK=${PK:-$PWD/$OUT/probekit}
JOBS=${VERIFY_JOBS:-1}
TIMEOUT=${VERIFY_TIMEOUT:-600}
MODES=${VERIFY_MODES:-btf,no-btf}
MATRIX=docs/kernel-matrix.md
BENCH=docs/benchmarks.md
corpus=scripts/kernel-corpus.sh

[ -x "$PK" ] || { echo "verify-all: error: no '$PK' (make first)" >&2; exit 3; }
work=$(mktemp -d /tmp/pk-verify-all.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "verify-all: listing kernel image packages" >&2
bash "$corpus" list "$@" >"$work/list"
# real images only: linux-image-<version>-<flavor>, no -dbg/-unsigned twins, no meta packages
awk '$2 ~ /^linux-image-[0-9]/ && $2 !~ /-(dbg|unsigned)$/ { print $1, $2, $3 }' "$work/list" >"$work/images"
[ -n "${VERIFY_MATCH:-}" ] && { grep -E " linux-image-[^ ]*(${VERIFY_MATCH})" "$work/images" >"$work/i2" || true; mv "$work/i2" "$work/images"; }
[ -n "${VERIFY_LIMIT:-}" ] && head -n "$VERIFY_LIMIT" "$work/images" >"$work/i2" && mv "$work/i2" "$work/images"
n=$(wc -l <"$work/images")
[ "$n" -gt 0 ] || { echo "verify-all: error: no kernel image packages listed" >&2; exit 3; }

args=()
: >"$work/fetched"
while read -r suite pkg ver; do
	echo "verify-all: fetching $suite $pkg $ver" >&2
	if f=$(bash "$corpus" fetch "$suite:$pkg" 2>"$work/err" | tail -1) && [ -r "$f" ]; then
		args+=(-k "$f")
		echo "$suite $pkg $ver $f" >>"$work/fetched"
	else
		echo "verify-all: warning: cannot fetch $suite:$pkg: $(tail -1 "$work/err")" >&2
		echo "$suite $pkg $ver -" >>"$work/fetched"
	fi
done <"$work/images"

echo "verify-all: booting $((${#args[@]} / 2)) kernels x ${MODES} (-j $JOBS)" >&2
rc=0
"$PK" verify --json -j "$JOBS" --timeout "$TIMEOUT" --mode "$MODES" --log-dir "$work/logs" "${args[@]}" \
	>"$work/result.json" || rc=$?
[ $rc -le 1 ] || { echo "verify-all: error: probekit verify exit $rc" >&2; exit $rc; }

scope="all $(wc -l <"$work/list") listed packages -> $n kernel images"
[ -n "${VERIFY_MATCH:-}${VERIFY_LIMIT:-}" ] && scope="SUBSET: $n kernel images (VERIFY_MATCH='${VERIFY_MATCH:-}' VERIFY_LIMIT=${VERIFY_LIMIT:-})"
scope="$scope; host load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
python3 - "$work/result.json" "$work/fetched" "$MATRIX" "$BENCH" "$(uname -r)" "$(nproc)" "$scope" <<'EOF'
import json, sys, time, os, re
res, fetched, matrix, bench, host_kernel, ncpu, scope = sys.argv[1:8]
d = json.load(open(res))
suite_of, missing = {}, []
for line in open(fetched):
    suite, pkg, ver, path = line.split()
    if path == "-":
        missing.append((suite, pkg, ver))
    else:
        suite_of[path] = (suite, pkg, ver)
rows = d["results"]
modes = []
for r in rows:
    if r["mode"] not in modes:
        modes.append(r["mode"])
kernels = []
for r in rows:
    if r["input"] not in [k["input"] for k in kernels]:
        kernels.append(r)
when = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
npass = sum(r["passed"] for r in rows)
def cell(r):
    if r is None:
        return "-"
    if r["passed"]:
        return "pass: %s, %.1f s" % (r["candidate"], r["boot_to_verdict_s"])
    return "**%s** (%s)" % (r["result"], r["outcome"])
out = []
out.append("# Kernel matrix\n")
out.append("Latest `make verify-all` (scripts/verify-all.sh): every Debian amd64 kernel image package "
           "the corpus suites list, booted under QEMU with the agent inside, `probekit selftest` "
           "per mode. Cells: winning candidate and boot-to-verdict time (QEMU launch to the "
           "verdict on the serial console).\n")
out.append("- run: %s, %d of %d passed, matrix wall time %.0f s, accel %s%s, -j %d, host %s CPUs, kernel %s" % (
    when, npass, len(rows), d["wall_s"], d["accel"],
    " (KVM not used: %s)" % d["kvm_unused_reason"] if d.get("kvm_unused_reason") else "",
    d["jobs"], ncpu, host_kernel))
out.append("- scope: %s" % scope)
out.append("- modes: btf = as booted (sysfs BTF); no-btf = /sys/kernel/btf hidden, so the embedded "
           "reduced BTF (or a BTF file made from the image) must serve\n")
out.append("| suite | package | version | release | " + " | ".join(modes) + " |")
out.append("|---|---|---|---|" + "---|" * len(modes))
for k in kernels:
    s, pkg, ver = suite_of.get(k["input"], ("?", os.path.basename(k["input"]), "?"))
    cells = [cell(next((r for r in rows if r["input"] == k["input"] and r["mode"] == m), None)) for m in modes]
    out.append("| %s | %s | %s | %s | %s |" % (s, pkg, ver, k["kernel"], " | ".join(cells)))
for s, pkg, ver in missing:
    out.append("| %s | %s | %s | - | %s |" % (s, pkg, ver, " | ".join(["not fetched"] * len(modes))))
fails = [r for r in rows if not r["passed"]]
if fails:
    out.append("\n## Failures\n")
    for r in fails:
        out.append("- %s %s: %s" % (r["kernel"], r["mode"], (r["reason"] or "").replace("|", "/")))
open(matrix, "w").write("\n".join(out) + "\n")

# benchmarks block
b = []
b.append("<!-- bench:verify:begin -->")
b.append("## probekit verify: boot-to-verdict\n")
b.append("`make verify-all` on %s (%s CPUs, host kernel %s), accel %s%s, -j %d, QEMU %s MB guests. "
         "Boot-to-verdict: QEMU launch until the guest's selftest verdict is on the serial console "
         "(kernel boot + initramfs + agent load + canary self-check)." % (
             when, ncpu, host_kernel, d["accel"],
             " (KVM: %s)" % d["kvm_unused_reason"] if d.get("kvm_unused_reason") else "", d["jobs"], "768"))
b.append("Scope: %s." % scope)
b.append("")
b.append("| kernel | mode | accel | boot-to-verdict s | self-check latency ms |")
b.append("|---|---|---|---|---|")
for r in rows:
    b.append("| %s | %s | %s | %s | %s |" % (r["kernel"], r["mode"], r["accel"] or "-",
        "%.1f" % r["boot_to_verdict_s"] if r["boot_to_verdict_s"] else "-",
        "%.1f" % r["selfcheck_latency_ms"] if r["selfcheck_latency_ms"] is not None else "-"))
times = [r["boot_to_verdict_s"] for r in rows if r["boot_to_verdict_s"]]
if times:
    times.sort()
    b.append("\nboot-to-verdict: min %.1f s, median %.1f s, max %.1f s over %d boots; "
             "matrix wall time %.0f s for %d kernels x %d modes." % (
                 times[0], times[len(times) // 2], times[-1], len(times), d["wall_s"], len(kernels), len(modes)))
b.append("<!-- bench:verify:end -->")
block = "\n".join(b) + "\n"
text = open(bench).read() if os.path.exists(bench) else ""
m = re.search(r"<!-- bench:verify:begin -->.*?<!-- bench:verify:end -->\n?", text, re.S)
if m:
    text = text[:m.start()] + block + text[m.end():]
else:
    text = text + ("\n" if text and not text.endswith("\n") else "") + ("\n" if text else "") + block
open(bench, "w").write(text)
print("verify-all: %d of %d passed; wrote %s and %s" % (npass, len(rows), matrix, bench), file=sys.stderr)
EOF
[ $rc = 0 ] || { cp -r "$work/logs" "${OUT}/verify-all-logs" 2>/dev/null && echo "verify-all: failure logs in ${OUT}/verify-all-logs" >&2; }
exit $rc
