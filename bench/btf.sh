#!/usr/bin/env bash
# `make bench`, BTF part (issue 3, section 7): for every kernel BTF in the corpus,
# reduce the agent's core object with `probekit btf min` and with `bpftool gen
# min_core_btf`; compare bytes per kernel, time per kernel, the archive against
# tar.gz of bpftool's outputs, lookup time, and the agent binary with and without
# the archive. Writes the block between <!-- bench:btf:begin/end --> in docs/benchmarks.md.
# Corpus: BTF_CORPUS (default /var/cache/probekit/btf-corpus; `make btf-corpus ALL=1`).
set -eu
cd "$(dirname "$0")/.."
OUT=${OUT:-build}
corpus=${BTF_CORPUS:-/var/cache/probekit/btf-corpus}
doc=${BENCH_DOC:-docs/benchmarks.md}
pk=$OUT/probekit-tool
obj=$OUT/probe.core.bpf.o
[ -x "$pk" ] && [ -f "$obj" ] || { echo "bench: error: build first (make OUT=$OUT)" >&2; exit 1; }
mapfile -t kernels < <(find "$corpus" -name '*.btf' 2>/dev/null | sort)
[ ${#kernels[@]} -gt 0 ] || { echo "bench: error: empty BTF corpus '$corpus' (make btf-corpus ALL=1)" >&2; exit 1; }
w=$(mktemp -d)
trap 'rm -rf "$w"' EXIT
gcc -O2 -D_GNU_SOURCE -iquote src -o "$w/btf_lookup" bench/btf_lookup.c "$OUT/libprobekit.a" \
	-lbpf -lelf -lz -lzstd

ms() { python3 -c 'import sys; print("%.1f" % ((int(sys.argv[2]) - int(sys.argv[1])) / 1e6))' "$1" "$2"; }
rows=""
ours_total=0 bpft_total=0 t_ours=() t_bpft=()
for k in "${kernels[@]}"; do
	rel=${k#"$corpus"/}
	mkdir -p "$w/ours/$(dirname "$rel")" "$w/bpftool/$(dirname "$rel")"
	s=$(date +%s%N); "$pk" btf min "$obj" --btf "$k" -o "$w/ours/$rel" >/dev/null; e=$(date +%s%N)
	to=$(ms "$s" "$e")
	s=$(date +%s%N); bpftool gen min_core_btf "$k" "$w/bpftool/$rel" "$obj" >/dev/null; e=$(date +%s%N)
	tb=$(ms "$s" "$e")
	so=$(stat -c %s "$w/ours/$rel") sb=$(stat -c %s "$w/bpftool/$rel")
	ours_total=$((ours_total + so)) bpft_total=$((bpft_total + sb))
	t_ours+=("$to") t_bpft+=("$tb")
	rows+="| ${rel%.btf} | $(stat -c %s "$k") | $so | $sb | $to | $tb |"$'\n'
done
n=${#kernels[@]}
"$pk" btf pack -o "$w/ours.pkba" "$w/ours" >/dev/null 2>&1
tar -C "$w/bpftool" -czf "$w/bpftool.tar.gz" .
arc=$(stat -c %s "$w/ours.pkba") tgz=$(stat -c %s "$w/bpftool.tar.gz")
read -r cnt med max < <("$w/btf_lookup" "$w/ours.pkba" 2000)
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
bin=$(stat -c %s "$OUT/probekit") tool=$(stat -c %s "$pk")
emb=$(stat -c %s "$OUT/btf-archive.pkba" 2>/dev/null || echo 0)
emb_n=$(find "${BTF_CORPUS:-/var/cache/probekit/btf-corpus}" -name '*.btf' 2>/dev/null | wc -l)

block=$(cat <<DOC
<!-- bench:btf:begin -->

## Reduced BTF (\`make bench\`, bench/btf.sh)

- date: $(date -u '+%Y-%m-%d %H:%M UTC'); git revision \`$(git describe --always --dirty)\`; load average $(cut -d' ' -f1-3 /proc/loadavg)
- corpus: $n Debian kernel BTFs from \`$corpus\` (\`make btf-corpus ALL=1\`: every bullseye, bookworm, trixie amd64 image, all flavors)
- object: the agent's embedded core object (\`$obj\`); bpftool $(bpftool version | head -1 | awk '{print $2}')

| | probekit | bpftool + tar.gz |
|---|---|---|
| bytes per kernel (mean of $n, reduced, uncompressed) | $((ours_total / n)) | $((bpft_total / n)) |
| all $n kernels together | $arc (archive: deduplicated, zstd, indexed) | $tgz (tar.gz of min_core_btf outputs) |
| reduction time per kernel, median ms | $(median "${t_ours[@]}") | $(median "${t_bpft[@]}") |
| one lookup (open archive in memory + find one key), median / p99 µs over 2000 | $med / $max | – |

Agent binary: $bin bytes with its embedded archive ($emb bytes, $emb_n kernels),
$tool bytes without (\`probekit-tool\`). Each reduced BTF is verified
(\`btf min --verify\`) when the agent's archive is built.

Per kernel (bytes; times in ms, including process start):

| kernel | full BTF | probekit btf min | bpftool min_core_btf | probekit ms | bpftool ms |
|---|---|---|---|---|---|
$rows
Commands: \`probekit btf min $obj --btf K -o OUT\`, \`bpftool gen min_core_btf K OUT $obj\`,
\`probekit btf pack -o A DIR\`, \`tar -czf\`, \`bench/btf_lookup A 2000\`.

<!-- bench:btf:end -->
DOC
)
python3 - "$doc" "$block" <<'PY'
import re, sys, os
path, block = sys.argv[1], sys.argv[2]
text = open(path).read() if os.path.exists(path) else "# probekit benchmarks\n"
pat = re.compile(r"<!-- bench:btf:begin -->.*?<!-- bench:btf:end -->", re.S)
text = pat.sub(lambda m: block, text) if pat.search(text) else text.rstrip("\n") + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
echo "bench: BTF block written to $doc ($n kernels)"
