#!/usr/bin/env bash
# Fills the BTF corpus the agent's embedded reduced-BTF archive is made from
# (Makefile: BTF_CORPUS), btfhub layout: DIR/debian/<version-id>/<arch>/<release>.btf
#   btf-corpus.sh [--out DIR] [--all] [SUITE...]
# Default: the current amd64 kernel of each suite (bullseye 11, bookworm 12,
# trixie 13), fetched through scripts/kernel-corpus.sh. --all: every kernel image
# package of those suites (all flavors). Idempotent: existing BTFs are kept.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${PROBEKIT_CACHE:-/var/cache/probekit}/btf-corpus
all=0
suites=()
pk=${PK:-$here/../build/probekit-tool}
while [ $# -gt 0 ]; do
	case $1 in
	--out) out=$2; shift 2 ;;
	--all) all=1; shift ;;
	-h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
	-*) echo "btf-corpus: error: unknown option '$1'" >&2; exit 2 ;;
	*) suites+=("$1"); shift ;;
	esac
done
[ ${#suites[@]} -gt 0 ] || suites=(bullseye bookworm trixie)
[ -x "$pk" ] || pk=$here/../build/probekit
[ -x "$pk" ] || { echo "btf-corpus: error: no probekit binary (make first, or set PK)" >&2; exit 3; }

version_id() { case $1 in bullseye) echo 11 ;; bookworm) echo 12 ;; trixie) echo 13 ;; *) return 1 ;; esac; }

for suite in "${suites[@]}"; do
	ver=$(version_id "$suite") || { echo "btf-corpus: error: unknown suite '$suite'" >&2; exit 2; }
	if [ $all = 1 ]; then
		pkgs=$(bash "$here/kernel-corpus.sh" list "$suite" |
			awk '$2 ~ /^linux-image-[0-9].*-(amd64|cloud-amd64|rt-amd64)$/ {print $2}' | sort -u)
	else
		pkgs=$(bash "$here/kernel-corpus.sh" default "$suite" | awk '{print $2}')
	fi
	for p in $pkgs; do
		rel=${p#linux-image-}
		dst=$out/debian/$ver/x86_64/$rel.btf
		[ -s "$dst" ] && continue
		deb=$(bash "$here/kernel-corpus.sh" fetch "$suite:$p" | tail -1)
		mkdir -p "$(dirname "$dst")"
		"$pk" btf extract "$deb" -o "$dst.tmp" >/dev/null && mv "$dst.tmp" "$dst"
		echo "$dst"
	done
done
