#!/usr/bin/env bash
# Builds the reduced-BTF archive the agent embeds (issue 3, "in the agent"):
#   build-btf-archive.sh TOOL CORE_OBJ CORPUS_DIR OUT.pkba
# CORPUS_DIR holds full kernel BTFs laid out btfhub-style:
#   <os-id>/<version-id>/<arch>/<kernel-release>.btf
# Each is reduced to what CORE_OBJ's CO-RE relocations touch (`probekit btf min
# --verify`), then all are packed. A missing or empty corpus gives an empty archive.
set -eu
tool=$1 obj=$2 corpus=$3 out=$4
red=$(mktemp -d)
trap 'rm -rf "$red"' EXIT
n=0
if [ -d "$corpus" ]; then
	while IFS= read -r -d '' f; do
		rel=${f#"$corpus"/}
		case "$rel" in */*/*/*.btf) ;; *) echo "build-btf-archive: skipping '$rel' (want <os>/<version>/<arch>/<release>.btf)" >&2; continue ;; esac
		mkdir -p "$red/$(dirname "$rel")"
		"$tool" btf min "$obj" --btf "$f" -o "$red/$rel" --verify >/dev/null
		n=$((n + 1))
	done < <(find "$corpus" -name '*.btf' -print0 | sort -z)
fi
if [ "$n" -gt 0 ]; then
	"$tool" btf pack -o "$out" "$red" >&2
else
	"$tool" btf pack -o "$out" >&2
fi
