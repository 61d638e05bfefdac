#!/usr/bin/env bash
# `make bench` part: the farm over the whole Debian catalog at -j 2 into an empty
# repository (packages from PROBEKIT_CACHE: a cold cache adds the downloads that
# bench/kernels.sh measures), then again with nothing new; the repository's bytes per
# kernel and per kind; index.json's size and load time (signature, parse) for that
# repository and for a synthetic 50,000-artifact index. BENCH_FARM_KERNELS=GLOB
# limits the run (default: every kernel). Writes the block between
# <!-- bench:farm:begin/end --> in docs/benchmarks.md.
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
PK=$PWD/$OUT/probekit
doc=${BENCH_DOC:-docs/benchmarks.md}
cache=${PROBEKIT_CACHE:-/var/cache/probekit}
work=${BENCH_FARM_DIR:-$(mktemp -d /tmp/pk-bench-farm.XXXXXX)}
sel=()
[ -n "${BENCH_FARM_KERNELS:-}" ] && sel=(--kernels "$BENCH_FARM_KERNELS")
now() { date +%s.%N; }
secs() { python3 -c 'import sys; print("%.1f" % (float(sys.argv[2]) - float(sys.argv[1])))' "$1" "$2"; }

mkdir -p "$work/k"
[ -f "$work/k/sec" ] || "$PK" repo keygen --public "$work/k/pub" --secret "$work/k/sec" >/dev/null
rm -rf "$work/repo"
t0=$(now)
"$PK" farm --repo "$work/repo" --key "$work/k/sec" --allow-expired -j 2 --cache "$cache" \
	"${sel[@]}" --json -q >"$work/cold.json" 2>"$work/cold.err" || true
t1=$(now)
"$PK" farm --repo "$work/repo" --key "$work/k/sec" --allow-expired -j 2 --cache "$cache" \
	"${sel[@]}" --json -q >"$work/warm.json" 2>"$work/warm.err" || true
t2=$(now)
cold=$(secs "$t0" "$t1")
warm=$(secs "$t1" "$t2")
summary=$(python3 - "$work/cold.json" "$work/warm.json" <<'EOF'
import json, sys
c = json.load(open(sys.argv[1])); w = json.load(open(sys.argv[2]))
print("%d kernels in the catalog: %d built whole, %d with a failed artifact (recorded); the rerun held %d and built %d" % (
    c["catalog"], c["built"], c["failed"], w["held"], w["built"]))
EOF
)
sizes=$(python3 - "$work/repo/index.json" <<'EOF'
import json, sys
from collections import defaultdict
d = json.load(open(sys.argv[1]))
by = defaultdict(list)
for a in d["artifacts"]:
    by[a["kind"]].append(a["size"])
rows = []
tot = 0
for kind in ("legacy-object", "reduced-btf", "full-btf", "core-object", "btf-object"):
    v = by.get(kind, [])
    if not v:
        continue
    tot += sum(v)
    v.sort()
    rows.append("| %s | %d | %d | %d | %.1f |" % (kind, len(v), v[len(v) // 2], sum(v) // len(v), sum(v) / 1048576))
rows.append("| all artifacts | %d | | | %.1f |" % (len(d["artifacts"]), tot / 1048576))
print("\n".join(rows))
EOF
)
idx_size=$(stat -c %s "$work/repo/index.json")
t0=$(now)
for _ in 1 2 3 4 5; do "$PK" repo verify "$work/repo" --key "$work/k/pub" --index-only >/dev/null; done
t1=$(now)
load=$(python3 -c 'import sys; print("%.0f" % ((float(sys.argv[2]) - float(sys.argv[1])) / 5 * 1000))' "$t0" "$t1")
make --no-print-directory "$OUT/tests/repo/test_index" >/dev/null
synth=$("$OUT/tests/repo/test_index" --bench 50000 2>&1 | grep -E "index_bytes|write_ms|parse_ms|parse_peak" | sed "s/_/ /g" | tr '\n' ';')
repo_bytes=$(du -sb --exclude=_build "$work/repo" | cut -f1)

block=$(cat <<DOC
<!-- bench:farm:begin -->

### Farm: the whole Debian catalog, -j 2

| run | wall s |
|---|---|
| into an empty repository (packages in the cache) | $cold |
| again, nothing new | $warm |

$summary.
Repository: $(python3 -c "print('%.1f' % (int('$repo_bytes') / 1048576))") MiB without the build records.

| kind | files | median bytes | mean bytes | total MiB |
|---|---|---|---|---|
$sizes

\`full-btf\` is the kernel's BTF in btfhub-archive's own form (\`<uname -r>.btf.tar.xz\`,
the same content btfhub generates with pahole, here taken from the image's .BTF), so its
size is the per-kernel figure btfhub users download; the reduced BTF this probe needs
is the \`reduced-btf\` row.

index.json: $idx_size bytes for this catalog; load (signature check + parse, \`repo
verify --index-only\`, mean of 5): $load ms. Synthetic 50,000-artifact index
(\`test_index --bench 50000\`): $synth

Commands: \`probekit farm --repo DIR --key K --allow-expired -j 2 --json\` (twice),
\`probekit repo verify DIR --key PUB --index-only\`, \`test_index --bench 50000\`.

<!-- bench:farm:end -->
DOC
)
python3 - "$doc" "$block" <<'PY'
import re, sys, os
path, block = sys.argv[1], sys.argv[2]
text = open(path).read() if os.path.exists(path) else "# probekit benchmarks\n"
pat = re.compile(r"<!-- bench:farm:begin -->.*?<!-- bench:farm:end -->", re.S)
text = pat.sub(lambda m: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n## The repository and the farm (issue 9)\n\n" + block + "\n"
open(path, "w").write(text)
PY
echo "bench: farm block written to $doc ($work)"
