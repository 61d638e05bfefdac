#!/usr/bin/env bash
# Downloads and caches Debian kernel image packages (bullseye 5.10, bookworm 6.1,
# trixie 6.12), and the headers packages a legacy probe is compiled against, through apt, with a PRIVATE apt state per suite: its own sources
# list, lists, cache and keyring directory. It never touches the system's apt state
# and never names a mirror: it reuses the URI the machine is already configured with.
set -euo pipefail

SUITES_ALL=(bullseye bookworm trixie)
CACHE=${PROBEKIT_CACHE:-/var/cache/probekit}/kernels
ARCH=${PROBEKIT_ARCH:-amd64}

usage() {
	cat <<EOF
usage: scripts/kernel-corpus.sh COMMAND [ARGS]

Debian kernel image packages for probekit's BTF tests and corpus, cached in
$CACHE (set PROBEKIT_CACHE to move it).

commands:
  list [SUITE...]          every linux-image-* package and version (default: all suites)
  fetch PKG|SUITE:latest   download into the cache (skipped when cached); prints paths
                           PKG may be SUITE:PKG to pick the suite; SUITE:latest is
                           that suite's default kernel
  headers SUITE[:IMAGE]    the headers packages of SUITE's default kernel (or of the
                           linux-image-ABI-FLAVOR package IMAGE), downloaded: prints
                           linux-headers-ABI-FLAVOR, linux-headers-ABI-common[-rt]
                           and linux-kbuild-VER, one path a line
  default [SUITE...]       one current $ARCH kernel image package per suite:
                           SUITE PACKAGE VERSION
  update [SUITE...]        refresh the private package lists (done once automatically)
  mirror                   print the mirror URI reused from the system's apt sources

suites: ${SUITES_ALL[*]}
environment: PROBEKIT_CACHE (default /var/cache/probekit), PROBEKIT_ARCH (default amd64),
             PROBEKIT_MIRROR (override the mirror URI)
EOF
}

die() { echo "kernel-corpus: error: $*" >&2; exit 1; }
note() { echo "kernel-corpus: $*" >&2; }

# The first Debian main-archive URI configured on this machine (deb822 .sources
# files first, then one-line sources.list); security mirrors are not the archive.
mirror_uri() {
	if [ -n "${PROBEKIT_MIRROR:-}" ]; then echo "$PROBEKIT_MIRROR"; return; fi
	local f uri
	for f in /etc/apt/sources.list.d/*.sources; do
		[ -r "$f" ] || continue
		while read -r uri; do
			case $uri in *security*|"") continue ;; esac
			echo "${uri%/}"; return
		done < <(sed -n 's/^URIs:[[:space:]]*//p' "$f" | tr ' ' '\n')
	done
	for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
		[ -r "$f" ] || continue
		uri=$(awk '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i !~ /^\[/ && $i !~ /\]$/ && $i !~ /=/) { print $i; break } }' "$f" |
			grep -v security | head -1 || true)
		[ -n "$uri" ] && { echo "${uri%/}"; return; }
	done
	die "no Debian mirror URI in /etc/apt/sources.list.d/*.sources or /etc/apt/sources.list (set PROBEKIT_MIRROR)"
}

valid_suite() {
	local s
	for s in "${SUITES_ALL[@]}"; do [ "$s" = "$1" ] && return 0; done
	die "unknown suite '$1' (known: ${SUITES_ALL[*]})"
}

# Keys for one suite: the keyring files debian-archive-keyring ships.
find_keys() {
	local suite=$1 d f found=()
	for d in /usr/share/keyrings /etc/apt/trusted.gpg.d; do
		for f in "$d"/debian-archive-keyring.gpg "$d"/debian-archive-"$suite"-*.gpg "$d"/debian-archive-"$suite"-*.asc; do
			[ -r "$f" ] && found+=("$f")
		done
	done
	[ ${#found[@]} -gt 0 ] || die "no archive keys for $suite (install debian-archive-keyring)"
	printf '%s\n' "${found[@]}"
}

# APT options that point every piece of state into $CACHE/apt/SUITE
apt_opts() {
	local s=$CACHE/apt/$1
	APT_OPTS=(
		-o "Dir::State=$s/state" -o "Dir::State::status=$s/state/status"
		-o "Dir::Cache=$s/cache" -o "Dir::Cache::pkgcache=pkgcache.bin" -o "Dir::Cache::srcpkgcache=srcpkgcache.bin"
		-o "Dir::Etc::SourceList=$s/sources.list"
		-o "Dir::Etc::SourceParts=$s/sources.list.d" -o "Dir::Etc::TrustedParts=$s/trusted.gpg.d"
		-o "Dir::Etc::Trusted=$s/trusted.gpg" -o "Dir::Etc::Preferences=$s/preferences"
		-o "Dir::Etc::PreferencesParts=$s/preferences.d"
		-o "APT::Architecture=$ARCH" -o "APT::Architectures=$ARCH"
		-o "Acquire::Languages=none" -o "Acquire::Check-Valid-Until=false"
		-o "APT::Sandbox::User=root" -o "Debug::NoLocking=1"
	)
}

setup_suite() {
	local suite=$1 s=$CACHE/apt/$1 uri k
	uri=$(mirror_uri)
	mkdir -p "$s/state/lists/partial" "$s/cache/archives/partial" "$s/sources.list.d" \
		"$s/trusted.gpg.d" "$s/preferences.d"
	[ -e "$s/state/status" ] || : >"$s/state/status"
	echo "deb $uri $suite main" >"$s/sources.list.tmp"
	if ! cmp -s "$s/sources.list.tmp" "$s/sources.list" 2>/dev/null; then
		mv -f "$s/sources.list.tmp" "$s/sources.list"
		rm -f "$s/.updated"
	else
		rm -f "$s/sources.list.tmp"
	fi
	rm -f "$s/trusted.gpg.d"/*
	while read -r k; do ln -sf "$k" "$s/trusted.gpg.d/$(basename "$k")"; done < <(find_keys "$suite")
	apt_opts "$suite"
}

update_suite() {
	local suite=$1 s=$CACHE/apt/$1
	setup_suite "$suite"
	note "updating private package lists for $suite"
	apt-get -q "${APT_OPTS[@]}" update >"$s/update.log" 2>&1 ||
		{ tail -5 "$s/update.log" >&2; die "apt-get update failed for $suite"; }
	grep -qE '^(W|E):' "$s/update.log" && grep -E '^(W|E):' "$s/update.log" >&2 || true
	touch "$s/.updated"
}

ensure_suite() {
	setup_suite "$1"
	[ -e "$CACHE/apt/$1/.updated" ] || update_suite "$1"
	apt_opts "$1"
}

# "PKG VERSION" for every linux-image-* package in SUITE
list_suite() {
	ensure_suite "$1"
	apt-cache "${APT_OPTS[@]}" dumpavail 2>/dev/null |
		awk '/^Package: /{p=$2} /^Version: /{v=$2} /^$/{ if (p ~ /^linux-image-/) print p, v; p=""; v="" }' |
		sort -u
}

# The suite's current generic kernel image package: the one the linux-image-ARCH
# metapackage depends on (signed, holds /boot/vmlinuz), else the newest matching name.
default_suite() {
	local suite=$1 pkg ver
	ensure_suite "$suite"
	pkg=$(apt-cache "${APT_OPTS[@]}" depends "linux-image-$ARCH" 2>/dev/null |
		sed -n 's/^[[:space:]]*Depends: \(linux-image-[^ ]*\).*/\1/p' | grep -v -- '-unsigned$' | head -1 || true)
	if [ -z "$pkg" ]; then
		pkg=$(list_suite "$suite" | awk '{print $1}' |
			grep -E "^linux-image-[0-9][^ ]*-$ARCH\$" | sort -V | tail -1 || true)
	fi
	[ -n "$pkg" ] || die "no $ARCH kernel image package in $suite"
	ver=$(apt-cache "${APT_OPTS[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
	echo "$suite $pkg $ver"
}

# Download SUITE:PKG (or PKG, searched in every suite) into $CACHE; print the path.
fetch_one() {
	local spec=$1 suite pkg ver file suites=()
	case $spec in
	*:latest) suite=${spec%%:*}; valid_suite "$suite"; read -r _ pkg _ < <(default_suite "$suite"); suites=("$suite") ;;
	*:*) suite=${spec%%:*}; pkg=${spec#*:}; valid_suite "$suite"; suites=("$suite") ;;
	*) pkg=$spec; suites=("${SUITES_ALL[@]}") ;;
	esac
	for suite in "${suites[@]}"; do
		ensure_suite "$suite"
		ver=$(apt-cache "${APT_OPTS[@]}" show "$pkg" 2>/dev/null | sed -n 's/^Version: //p' | sort -V | tail -1)
		[ -n "$ver" ] || continue
		file="$CACHE/${pkg}_${ver//:/%3a}_$ARCH.deb"
		if [ -s "$file" ]; then
			echo "$file"
			return 0
		fi
		note "downloading $pkg $ver ($suite)"
		local tmp
		tmp=$(mktemp -d "$CACHE/.dl.XXXXXX")
		if ! (cd "$tmp" && apt-get -q "${APT_OPTS[@]}" download "$pkg=$ver" >"$tmp/log" 2>&1); then
			tail -5 "$tmp/log" >&2
			rm -rf "$tmp"
			die "download of $pkg $ver failed"
		fi
		local got
		got=$(ls "$tmp"/*.deb 2>/dev/null | head -1)
		[ -n "$got" ] || { rm -rf "$tmp"; die "apt-get download of $pkg produced no .deb"; }
		mv -f "$got" "$file"
		rm -rf "$tmp"
		echo "$file"
		return 0
	done
	die "package '$pkg' not found in ${suites[*]}"
}

# The headers a kernel's modules (and a legacy probe) build against: Debian splits
# them into the flavour's package (generated headers, .config), the common include
# tree and the kbuild scripts, the two the flavour's package depends on.
headers_one() {
	local spec=$1 suite img hdr deps dep want=()
	suite=${spec%%:*}
	valid_suite "$suite"
	case $spec in
	*:*) img=${spec#*:} ;;
	*) read -r _ img _ < <(default_suite "$suite") ;;
	esac
	case $img in
	linux-image-*) ;;
	*) die "'$img' is not a linux-image-* package" ;;
	esac
	img=${img%-unsigned}
	hdr=linux-headers-${img#linux-image-}
	ensure_suite "$suite"
	deps=$(apt-cache "${APT_OPTS[@]}" depends "$hdr" 2>/dev/null |
		sed -n 's/^[[:space:]|]*Depends: \([^ <]*\).*/\1/p') || true
	[ -n "$deps" ] || die "no package $hdr in $suite"
	want=("$suite:$hdr")
	for dep in $deps; do
		case $dep in
		linux-headers-*-common|linux-headers-*-common-rt|linux-kbuild-*) want+=("$suite:$dep") ;;
		esac
	done
	[ ${#want[@]} -eq 3 ] || die "$hdr: expected a -common and a linux-kbuild dependency, got: ${deps//$'\n'/ }"
	for dep in "${want[@]}"; do fetch_one "$dep"; done
}

main() {
	[ $# -ge 1 ] || { usage >&2; exit 2; }
	local cmd=$1 s
	shift
	case $cmd in
	-h|--help|help) usage; exit 0 ;;
	mirror) mirror_uri ;;
	list)
		[ $# -gt 0 ] || set -- "${SUITES_ALL[@]}"
		mkdir -p "$CACHE"
		for s in "$@"; do valid_suite "$s"; list_suite "$s" | sed "s/^/$s /"; done ;;
	default)
		[ $# -gt 0 ] || set -- "${SUITES_ALL[@]}"
		mkdir -p "$CACHE"
		for s in "$@"; do valid_suite "$s"; default_suite "$s"; done ;;
	update)
		[ $# -gt 0 ] || set -- "${SUITES_ALL[@]}"
		mkdir -p "$CACHE"
		for s in "$@"; do valid_suite "$s"; update_suite "$s"; done ;;
	headers)
		[ $# -eq 1 ] || die "headers needs one SUITE or SUITE:IMAGE (see --help)"
		mkdir -p "$CACHE"
		headers_one "$1" ;;
	fetch)
		[ $# -gt 0 ] || die "fetch needs PKG or SUITE:latest (see --help)"
		mkdir -p "$CACHE"
		for s in "$@"; do fetch_one "$s"; done ;;
	*) echo "kernel-corpus: error: unknown command '$cmd' (see --help)" >&2; exit 2 ;;
	esac
}

main "$@"
