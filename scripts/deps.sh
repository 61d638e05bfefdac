#!/usr/bin/env bash
# Installs every Debian package probekit's build, tests and benchmarks need, and
# nothing when they are all there. Called by `make run`, `make check`, `make bench`.
set -eu
pkgs=(
	make gcc libc6-dev clang llvm pkg-config
	libbpf-dev bpftool libelf-dev zlib1g-dev libzstd-dev liblzma-dev liblz4-dev libbz2-dev
	libarchive-dev libarchive13 libsodium-dev gpgv debian-archive-keyring
	libcurl4-openssl-dev libexpat1-dev libexpat1 nginx-light gnupg
	libjson-c-dev minisign chromium openssl
	libmicrohttpd-dev libmicrohttpd12 python3-yaml yamllint
	python3 iproute2 util-linux procps
	dwarves xz-utils zstd lz4 bzip2
	qemu-system-x86 busybox-static
	libbpf-tools bpftrace time
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "probekit: installing ${missing[*]}" >&2
SUDO=
[ "$(id -u)" = 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null ||
	{ $SUDO apt-get update >/dev/null && $SUDO apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; }
