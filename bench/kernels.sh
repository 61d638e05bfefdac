#!/usr/bin/env bash
# `make bench` part: the catalog and the builds. Crawl of every Debian suite cold
# (fresh cache) and again with nothing new; kernels per suite; one kernel's build
# with its packages cached, stage by stage; then BENCH_BUILD_N kernels at -j 2 with
# an empty package cache (wall time, bytes downloaded, bytes written). BENCH_BUILD_N=all
# builds the whole catalog (hours, tens of GB: not the default). Writes the block
# between <!-- bench:kernels:begin/end --> in docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
PK=$PWD/$OUT/probekit
doc=${BENCH_DOC:-docs/benchmarks.md}
N=${BENCH_BUILD_N:-6}
work=$(mktemp -d /tmp/pk-bench-kernels.XXXXXX)
trap 'rm -rf "$work"' EXIT
now() { date +%s.%N; }
secs() { python3 -c 'import sys; print("%.2f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }

# 1. crawl: cold, then nothing new
t0=$(now)
"$PK" kernels --json --allow-expired --cache "$work/c" >"$work/cold.json" 2>"$work/cold.err" || true
t1=$(now)
"$PK" kernels --json --allow-expired --cache "$work/c" >"$work/warm.json" 2>"$work/warm.err" || true
t2=$(now)
cold=$(secs "$t0" "$t1")
warm=$(secs "$t1" "$t2")
cold_note=$(grep -o '[0-9]* requests.*MiB' "$work/cold.err" | tail -1)
warm_note=$(grep -o '[0-9]* requests.*MiB' "$work/warm.err" | tail -1)
per_suite=$(python3 - "$work/cold.json" <<'EOF'
import json, sys
from collections import Counter
d = json.load(open(sys.argv[1]))
whole = Counter(k["suite"] for k in d["kernels"] if not k["headers_missing"])
rows = []
for s in d["suites"]:
    rows.append("| %s | %s | %d | %d |" % (s["suite"], s["state"], s["nr_kernels"], whole.get(s["suite"], 0)))
majors = sorted({".".join(k["uname_r"].split(".")[:2]) for k in d["kernels"]}, key=lambda v: [int(x) for x in v.split(".")])
rows.append("")
rows.append("%d kernel images in %d suites read (%s to %s); %d with complete headers." % (
    len(d["kernels"]), sum(s["state"] in ("ok", "expired-accepted") for s in d["suites"]),
    majors[0], majors[-1], sum(not k["headers_missing"] for k in d["kernels"])))
print("\n".join(rows))
EOF
)

# 2. one kernel, packages cached: the second build is the measure
key=$(python3 -c '
import json,sys
d=json.load(open(sys.argv[1]))
ks=[k for k in d["kernels"] if k["suite"]=="bookworm-security" and k["flavor"]=="amd64" and not k["headers_missing"]]
print(ks[-1]["key"])' "$work/cold.json")
cache=${PROBEKIT_CACHE:-/var/cache/probekit}
"$PK" build "$key" --allow-expired --out "$work/r1" --cache "$cache" -q >/dev/null 2>&1 || true
t0=$(now)
"$PK" build "$key" --allow-expired --out "$work/r2" --cache "$cache" -q >/dev/null 2>"$work/b.err" || true
t1=$(now)
one=$(secs "$t0" "$t1")
stages=$(python3 - "$work/r2" <<'EOF'
import glob, json, sys
r = json.load(open(glob.glob(sys.argv[1] + "/_build/*/*.json")[0]))
t = r["timing"]
print("| %s | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f | %.2f |" % (
    r["key"], t["download"], t["unpack"], t["clang"], t["llc"], t["reduce"], t["btf_extract"],
    t["btf_pack"], t["clang"] + t["llc"] + t["reduce"]))
EOF
)

# 3. N kernels at -j 2 from an empty package cache
keys=$(python3 - "$work/cold.json" "$N" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
ks = [k["key"] for k in d["kernels"]]
n = len(ks) if sys.argv[2] == "all" else int(sys.argv[2])
# spread over the catalog: every suite and flavor, not the first n
step = max(1, len(ks) // n)
print(" ".join(ks[::step][:n]))
EOF
)
nk=$(wc -w <<<"$keys")
t0=$(now)
# shellcheck disable=SC2086
"$PK" build $keys --allow-expired -j 2 --out "$work/rN" --cache "$work/pc" -q >"$work/n.out" 2>"$work/n.err" || true
t1=$(now)
wall=$(secs "$t0" "$t1")
down=$(du -sb "$work/pc/packages" 2>/dev/null | cut -f1)
written=$(du -sb --exclude=_build "$work/rN" | cut -f1)
okn=$(grep -c ': ok' "$work/n.out" || true)
# why the others failed, from their build records
why=$(python3 - "$work/rN" <<'EOF2'
import glob, json, sys
from collections import Counter
c = Counter()
for f in glob.glob(sys.argv[1] + "/_build/*/*.json"):
    for a in json.load(open(f))["artifacts"]:
        if a["status"] != "failed":
            continue
        m = a["reason"]
        k = ("no headers package in any suite" if "no headers package" in m else
             "HTTP 404: listed in the mirror's index, not served by it" if "HTTP 404" in m else
             "compile error" if "clang failed" in m or "llc failed" in m else m[:60])
        c[(a["kind"], k)] += 1
print("; ".join("%s: %d %s" % (k[0], v, k[1]) for k, v in sorted(c.items())) or "none")
EOF2
)

block=$(cat <<DOC
<!-- bench:kernels:begin -->

### Catalog: every Debian suite of this machine's apt mirrors

| crawl | wall s | traffic |
|---|---|---|
| cold (empty cache) | $cold | $cold_note |
| again, nothing new | $warm | $warm_note |

The mirror here sends no ETag or Last-Modified, so "nothing new" is decided by the
InRelease bytes (each suite's cache is keyed by its verified InRelease's SHA256):
every InRelease is fetched and checked with gpgv again, no Packages index is.

| suite | state | kernel images | with complete headers |
|---|---|---|---|
$per_suite

### Build: one kernel, packages cached (seconds)

| kernel | download (cache check) | unpack headers | clang | llc | reduce BTF | extract full BTF | pack .btf.tar.xz | compile + reduce |
|---|---|---|---|---|---|---|---|---|
$stages

Whole \`probekit build\` of that kernel, all three artifacts: $one s.

### Build: $nk kernels spread over the catalog, -j 2, empty package cache

$okn of $nk built whole (a kernel without headers gets its BTF only) in $wall s wall.
Failed artifacts, by reason: $why.
$(python3 -c "print('%.1f' % (int('${down:-0}') / 1048576))") MiB downloaded, $(python3 -c "print('%.1f' % (int('${written:-0}') / 1048576))") MiB of artifacts written.
The whole catalog is \`BENCH_BUILD_N=all make bench\`; at this rate its $(python3 -c "import json; print(len(json.load(open('$work/cold.json'))['kernels']))") kernels
would download roughly $(python3 -c "
import json
d=json.load(open('$work/cold.json'))
print('%.0f' % (sum(k['image']['size'] + sum(h['size'] for h in k['headers']) for k in d['kernels']) / 2**30))") GiB (the catalog's own package sizes; shared
headers packages counted once per kernel).

Commands: \`probekit kernels --json --allow-expired --cache DIR\` (twice),
\`probekit build KEY --out DIR\` (twice, the second measured; stages from the record's
\`timing\`), \`probekit build KEY... -j 2 --out DIR --cache EMPTY\`.

<!-- bench:kernels:end -->
DOC
)
python3 - "$doc" "$block" <<'PY'
import re, sys, os
path, block = sys.argv[1], sys.argv[2]
text = open(path).read() if os.path.exists(path) else "# probekit benchmarks\n"
pat = re.compile(r"<!-- bench:kernels:begin -->.*?<!-- bench:kernels:end -->", re.S)
text = pat.sub(lambda m: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n## Catalog and builds (issue 8)\n\n" + block + "\n"
open(path, "w").write(text)
PY
echo "bench: kernels block written to $doc"
