#!/usr/bin/env bash
# `make bench` part (issue 10): launch -> self-check passed for the agent served by a
# repository on loopback (nginx), cold cache and warm cache (and warm --offline),
# against the embedded starts: the tp_btf object with the kernel's own BTF, and the
# same CO-RE object with this kernel's reduced BTF embedded (a build whose corpus
# holds it) -- the repository's candidate with its BTF coming from the binary
# instead. The repository's candidate runs with /sys/kernel/btf hidden (a private
# mount), as on a kernel without BTF. Two repositories: this kernel's artifacts
# alone, and the same among 1,000 other kernels' (a 3,000-artifact index). Peak RSS
# of every run. Writes the block between <!-- bench:agent-repo:begin/end --> in
# docs/benchmarks.md. BENCH_AGENT_RUNS (default 15) runs per case.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
PK=$PWD/$OUT/probekit
doc=${BENCH_DOC:-docs/benchmarks.md}
runs=${BENCH_AGENT_RUNS:-15}
work=$(mktemp -d /tmp/pk-bench-agent.XXXXXX)
. tests/lib/nginx.sh
trap 'nginx_stop; rm -rf "$work"' EXIT

[ "$(id -u)" = 0 ] || { echo "bench/agent_repo.sh: needs root (BPF, a private mount)" >&2; exit 1; }
make --no-print-directory OUT="$OUT" "$OUT/probe.legacy.bpf.o" >/dev/null
"$PK" detect --json >"$work/d.json"
q() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"; }
PV=$("$PK" version --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["probe_version"])')
target=$(q "$work/d.json" 'd["repository_key"]["target"]')
krel=$(q "$work/d.json" 'd["repository_key"]["kernelrelease"]')
kver=$(q "$work/d.json" 'd["repository_key"]["kernelversion"]')
os=$(q "$work/d.json" 'd["os_id"]') ver=$(q "$work/d.json" 'd["os_version_id"]') arch=$(uname -m) rel=$(uname -r)
"$PK" btf min "$OUT/probe.core.bpf.o" --btf /sys/kernel/btf/vmlinux -o "$work/red.btf" >/dev/null
"$PK" repo keygen --public "$work/k.pub" --secret "$work/k.sec" >/dev/null 2>&1
for r in small large; do
	[ $r = large ] && python3 tests/repo/mkrepo.py "$work/www/$r" 1000 >/dev/null
	python3 tests/fetch/mkhostrepo.py "$work/www/$r" "$PV" "$target" "$krel" "$kver" "$os" "$ver" "$arch" "$rel" \
		"legacy=$OUT/probe.legacy.bpf.o" "reduced=$work/red.btf"
	mkdir -p "$work/www/$r/$PV/$arch" && cp "$OUT/probe.core.bpf.o" "$OUT/probe.btf.bpf.o" "$work/www/$r/$PV/$arch/"
	"$PK" repo index "$work/www/$r" --key "$work/k.sec" >/dev/null
done
idx_small=$(stat -c %s "$work/www/small/index.json") idx_large=$(stat -c %s "$work/www/large/index.json")
arts_large=$(q "$work/www/large/index.json" 'len(d["artifacts"])')
nginx_start "$work/www" >/dev/null
N=$NGINX_URL

# a build with this kernel's reduced BTF embedded (as tests/agent/agent_reduced_btf.sh)
mkdir -p "$work/corpus/$os/$ver/$([ "$arch" = aarch64 ] && echo arm64 || echo "$arch")"
cp /sys/kernel/btf/vmlinux "$work/corpus/$os/$ver/$([ "$arch" = aarch64 ] && echo arm64 || echo "$arch")/$rel.btf"
cp -a "$OUT" "$work/build" && rm -f "$work/build/btf-archive.pkba" "$work/build/embedded_btf.o" "$work/build/probekit"
make --no-print-directory OUT="$work/build" BTF_CORPUS="$work/corpus" "$work/build/probekit" >/dev/null

# case NAME HIDDEN PREPARE_CMD -- ARGS: runs times; prints "name|startup med|wall med|rss max|candidate"
hide='mount -t tmpfs none /sys/kernel/btf && exec "$@"'
measure() {
	local name=$1 hidden=$2 prep=$3 bin=$4
	shift 5
	python3 - "$name" "$hidden" "$prep" "$runs" "$hide" "$bin" "$@" <<'PY'
import json, statistics, subprocess, sys, time
name, hidden, prep, runs, hide, binary = sys.argv[1:7]
args = sys.argv[7:]
starts, walls, rss, own, cands = [], [], [], [], set()
for i in range(int(runs)):
    if prep:
        subprocess.run(prep, shell=True, check=True)
    cmd = ["/usr/bin/time", "-f", "%M", "-o", "/tmp/pk-bench-agent.rss", binary, "selftest", "--json"] + args
    if hidden == "1":
        cmd = ["unshare", "-m", "sh", "-c", hide, "sh"] + cmd
    t0 = time.monotonic()
    p = subprocess.run(cmd, capture_output=True, text=True)
    walls.append((time.monotonic() - t0) * 1000)
    d = json.loads(p.stdout)
    if not d["selfcheck"]["passed"]:
        sys.exit("bench case %s: self-check failed: %s" % (name, p.stderr[-400:]))
    starts.append(d["selfcheck"]["startup_ms"])
    own.append(d["peak_rss_kb"] / 1024)
    cands.add(d["candidate"])
    rss.append(int(open("/tmp/pk-bench-agent.rss").read().split()[-1]) / 1024)
print("| %s | %s | %.0f | %.0f | %.1f | %.1f |" % (name, ",".join(sorted(cands)), statistics.median(starts),
                                                 statistics.median(walls), max(own), max(rss)))
PY
}
rows=()
rows+=("$(measure "embedded tp_btf object, kernel BTF (sysfs)" 0 "" "$PK" --)")
rows+=("$(measure "embedded CO-RE object + embedded reduced BTF (no sysfs BTF)" 1 "" "$work/build/probekit" --)")
for r in small large; do
	K=(--repo "$N/$r" --repo-key "$work/k.pub")
	rows+=("$(measure "repository ($r index), cold cache" 1 "rm -rf $work/c-$r" "$PK" -- "${K[@]}" --cache "$work/c-$r")")
	rows+=("$(measure "repository ($r index), warm cache" 1 "" "$PK" -- "${K[@]}" --cache "$work/c-$r")")
	rows+=("$(measure "repository ($r index), warm cache, --offline" 1 "" "$PK" -- "${K[@]}" --cache "$work/c-$r" --offline)")
done
table=$(printf '%s\n' "${rows[@]}")
# each repository case against the embedded start of the same object and BTF (row 2)
verdict=$(printf '%s\n' "${rows[@]}" | python3 -c '
import sys
rows = [[c.strip() for c in l.strip().strip("|").split("|")] for l in sys.stdin if l.strip()]
base = float(rows[1][2])
out = []
for r in rows[2:]:
    d = float(r[2]) - base
    lim = 300 if "cold" in r[0] else 10
    out.append("%s: %+.0f ms (target +%d: %s), agent %s MB (%s)" % (r[0], d, lim, "met" if d <= lim else "missed",
               r[4], "met" if float(r[4]) <= 24 else "missed"))
print("\n".join("- " + o for o in out))')

block=$(cat <<DOC
<!-- bench:agent-repo:begin -->

### The agent served by a repository: launch to self-check passed

$runs runs per case; startup = the agent's own \`startup_ms\` (process start to
self-check passed), wall = launch to exit seen from outside (selftest exits right
after the self-check), both medians; agent peak RSS = the agent's own VmHWM (status
\`peak_rss_kb\`), the largest of the runs; with its fetch child = \`/usr/bin/time %M\`, which
counts the largest process of the tree: downloads run in a child (\`probekit
__fetch-one\`) that loads libcurl and reads the whole index, so the agent does not.
Repository on loopback nginx; /sys/kernel/btf hidden for every case but the first.
Index sizes: small $idx_small bytes (this kernel's artifacts), large $idx_large bytes
($arts_large artifacts: 1,000 other kernels' and this one's).

| case | candidate | startup ms | wall ms | agent peak RSS MB | largest process of the run, MB |
|---|---|---|---|---|---|
$table

Targets: cold cache <= embedded + 300 ms, warm cache <= embedded + 10 ms, peak RSS <= 24 MB;
"embedded" here is the second row, the same object with the same BTF taken from the binary.

$verdict

A warm start reads the cached index, checks its signature (BLAKE2b over every byte)
and scans it (no tree): its cost grows with the index, about 4 ms per MB here.

Commands: \`probekit selftest --json [--repo URL --repo-key PUB --cache DIR [--offline]]\`
under \`unshare -m\` with a tmpfs over /sys/kernel/btf; \`bash bench/agent_repo.sh\`.

<!-- bench:agent-repo:end -->
DOC
)
python3 - "$doc" "$block" <<'PY'
import re, sys, os
path, block = sys.argv[1], sys.argv[2]
text = open(path).read() if os.path.exists(path) else "# probekit benchmarks\n"
pat = re.compile(r"<!-- bench:agent-repo:begin -->.*?<!-- bench:agent-repo:end -->", re.S)
text = pat.sub(lambda m: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n## The agent and the repository (issue 10)\n\n" + block + "\n"
open(path, "w").write(text)
PY
printf '%s\n' "${rows[@]}"
echo "bench: agent-repo block written to $doc"
