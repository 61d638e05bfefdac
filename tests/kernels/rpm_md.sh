#!/usr/bin/env bash
# The fixture repositories (tests/kernels/mkfixtures.py, FIXTURES.md) against our
# RPM metadata reader (test_rpm_md's tool mode: repomd.xml, the primary's size and
# sha256, decompression, the kernels in it) and against gpgv for the Ubuntu tree;
# each broken variant must fail, each in its own way. Nothing is served here.
. "$(dirname "$0")/../lib.sh"

T=$OUT/tests/kernels/test_rpm_md
FX=$TMP/fx
BASE=http://127.0.0.1:8080
if [ ! -x "$T" ]; then
	skip rpm_md "$T not built"
	exit 0
fi
for tool in python3 gpg gpgv zstd; do
	if ! command -v $tool >/dev/null; then
		skip rpm_md "$tool not installed"
		exit 0
	fi
done
if ! python3 tests/kernels/mkfixtures.py "$FX" --base "$BASE" >"$TMP/mk.log" 2>&1; then
	fail rpm_md_fixtures "mkfixtures.py: $(tail -3 "$TMP/mk.log" | tr '\n' ' ')"
	exit 0
fi
pass rpm_md_fixtures

KERNELS='kernel,kernel-core,kernel-modules,kernel-devel,kernel6.*'

# repo DIR COMPRESSION NKEPT WANT...: the repository checks out and lists each WANT
# ("name epoch:version-release.arch") among exactly NKEPT kernel packages
repo() {
	local name=rpm_md_repo_${1//\//_} dir=$FX/$1 comp=$2 n=$3 w; shift 3
	if ! "$T" --repo "$dir" "$KERNELS" >"$TMP/out" 2>"$TMP/err"; then
		fail "$name" "$(tr '\n' ' ' <"$TMP/err")"; return
	fi
	if ! grep -q "^packages [0-9]* $comp\$" "$TMP/out"; then
		fail "$name" "not read as $comp: $(tail -1 "$TMP/out")"; return
	fi
	if [ "$(grep -vc '^packages ' "$TMP/out")" != "$n" ]; then
		fail "$name" "$(grep -vc '^packages ' "$TMP/out") kernel packages, want $n"; return
	fi
	for w in "$@"; do
		if ! grep -q "^$w " "$TMP/out"; then fail "$name" "no '$w'"; return; fi
	done
	pass "$name"
}

repo centos-stream/9-stream/BaseOS/x86_64/os xz 12 \
	"kernel 0:5.14.0-427.el9.x86_64" "kernel-devel 0:5.14.0-522.el9.x86_64" "kernel-core 0:5.14.0-503.el9.x86_64"
repo rocky/9/BaseOS/x86_64/os gzip 8 \
	"kernel 0:5.14.0-503.14.1.el9_5.x86_64" "kernel-devel 0:5.14.0-427.13.1.el9_4.x86_64"
repo rocky/8/BaseOS/x86_64/os gzip 8 "kernel-devel 0:4.18.0-553.el8_10.x86_64"
repo almalinux/9/BaseOS/x86_64/os gzip 8 "kernel-core 0:5.14.0-503.11.1.el9_5.x86_64"
repo fedora/linux/releases/41/Everything/x86_64/os zstd 4 "kernel-devel 0:6.11.4-301.fc41.x86_64"
repo fedora/linux/updates/41/Everything/x86_64 zstd 8 \
	"kernel 0:6.12.5-200.fc41.x86_64" "kernel-devel 0:6.11.10-300.fc41.x86_64"

# Amazon Linux: mirror.list names the repository, on the base URL given to mkfixtures.py
mirror() {
	local name=rpm_md_mirror_${1//\//_} list=$FX/$1 n=$2 url dir; shift 2
	if ! url=$("$T" --mirrorlist "$list" 2>"$TMP/err"); then
		fail "$name" "$(tr '\n' ' ' <"$TMP/err")"; return
	fi
	case $url in
	"$BASE"/*/) dir=${url#"$BASE"/} ;;
	*) fail "$name" "'$url' is not a directory under $BASE"; return ;;
	esac
	if [ ! -f "$FX/$dir/repodata/repomd.xml" ]; then fail "$name" "no repository at $url"; return; fi
	pass "$name"
	repo "${dir%/}" gzip "$n" "$@"
}
mirror amazonlinux/2/core/latest/x86_64/mirror.list 4 \
	"kernel 0:4.14.355-275.570.amzn2.x86_64" "kernel-devel 0:4.14.352-268.569.amzn2.x86_64"
mirror amazonlinux/2/extras/kernel-5.10/latest/x86_64/mirror.list 4 \
	"kernel 0:5.10.205-195.807.amzn2.x86_64" "kernel-devel 0:5.10.205-195.807.amzn2.x86_64"
mirror amazonlinux/al2023/core/mirrors/latest/x86_64/mirror.list 7 \
	"kernel 0:6.1.119-129.201.amzn2023.x86_64" "kernel6.12-devel 0:6.12.20-17.106.amzn2023.x86_64"

# Amazon's hrefs climb into the blobstore: kept as written, '..' and all
al2=$(cat "$FX/amazonlinux/2/core/latest/x86_64/mirror.list")
if "$T" --repo "$FX/${al2#"$BASE"/}" kernel 2>/dev/null | grep -q ' \.\./\.\./\.\./\.\./blobstore/[0-9a-f]\{64\}/kernel-'; then
	pass rpm_md_blobstore_href
else
	fail rpm_md_blobstore_href "no ../../../../blobstore/<sha256>/ href"
fi

# every repomd.xml lists primary, filelists and other, sha256 each
n=0 bad=""
while read -r f; do
	n=$((n + 1))
	"$T" --repomd "$f" >"$TMP/out" 2>&1 || { bad="$f: $(cat "$TMP/out")"; break; }
	for t in primary filelists other; do
		grep -q "^$t repodata/[0-9a-f]\{64\}-$t\.xml\.[a-z0-9]* sha256:[0-9a-f]\{64\} [0-9]* [0-9]*\$" "$TMP/out" ||
			{ bad="$f: no $t entry"; break 2; }
	done
done < <(find "$FX" -path "$FX/broken" -prune -o -name repomd.xml -print)
if [ -z "$bad" ] && [ $n = 9 ]; then pass rpm_md_repomd_all; else fail rpm_md_repomd_all "${bad:-$n repomd.xml, want 9}"; fi

# bzip2, which createrepo_c writes for the sqlite databases: the same reader
p=$(ls "$FX"/rocky/8/BaseOS/x86_64/os/repodata/*-primary.xml.gz)
gzip -dc "$p" | bzip2 -c >"$TMP/primary.xml.bz2"
test_expect rpm_md_primary_bz2 bash -c "'$T' --primary '$TMP/primary.xml.bz2' kernel | grep -q '^packages 15 bzip2\$'"

# the broken RPM variants
broken() {
	local name=$1 dir=$2 want=$3
	if "$T" --repo "$dir" "$KERNELS" >/dev/null 2>"$TMP/err"; then fail "$name" "accepted"
	elif grep -q -- "$want" "$TMP/err"; then pass "$name"
	else fail "$name" "want '$want': $(tr '\n' ' ' <"$TMP/err")"; fi
}
broken rpm_md_broken_checksum "$FX/broken/rpm-checksum/rocky/9/BaseOS/x86_64/os" \
	"does not match repomd.xml's size or sha256"
broken rpm_md_broken_truncated_file "$FX/broken/rpm-truncated-file/rocky/9/BaseOS/x86_64/os" \
	"gzip data is corrupt or truncated"
broken rpm_md_broken_truncated_xml "$FX/broken/rpm-truncated-xml/rocky/9/BaseOS/x86_64/os" \
	": line [0-9]*: unclosed token"
if "$T" --mirrorlist "$FX/broken/amazonlinux-bad-mirrorlist/amazonlinux/2/core/latest/x86_64/mirror.list" \
	>/dev/null 2>"$TMP/err"; then
	fail rpm_md_broken_mirrorlist "accepted"
elif grep -q "line 2: not an http(s) URL" "$TMP/err"; then pass rpm_md_broken_mirrorlist
else fail rpm_md_broken_mirrorlist "$(cat "$TMP/err")"; fi

# without Expat: the reason names the library and its Debian package
if PROBEKIT_LIBEXPAT=/nonexistent/libexpat.so.1 "$T" --repomd "$FX/rocky/8/BaseOS/x86_64/os/repodata/repomd.xml" \
	>/dev/null 2>"$TMP/err"; then
	fail rpm_md_no_expat "read XML without Expat"
elif grep -q "needs libexpat (Debian: libexpat1)" "$TMP/err"; then pass rpm_md_no_expat
else fail rpm_md_no_expat "$(cat "$TMP/err")"; fi

# the node binary does not link Expat
if [ -x "$PK" ] && readelf -d "$PK" 2>/dev/null | grep -q 'NEEDED.*libexpat'; then
	fail rpm_md_not_linked "$PK needs libexpat"
else
	pass rpm_md_not_linked
fi

# ---- Ubuntu: gpgv with the exported keyring, Release's SHA256 list, broken variants
KR=$FX/ubuntu-archive-keyring.gpg
for d in "$FX"/ubuntu/dists/* "$FX"/security/ubuntu/dists/*; do
	s=${d#"$FX"/}
	name=rpm_md_ubuntu_${s//\//_}
	if ! gpgv --keyring "$KR" --output "$TMP/body" "$d/InRelease" >"$TMP/out" 2>&1; then
		fail "$name" "gpgv: $(tail -2 "$TMP/out" | tr '\n' ' ')"; continue
	fi
	if ! cmp -s "$TMP/body" "$d/Release"; then fail "$name" "InRelease does not sign Release"; continue; fi
	if ! gpgv --keyring "$KR" "$d/Release.gpg" "$d/Release" >"$TMP/out" 2>&1; then
		fail "$name" "Release.gpg: $(tail -2 "$TMP/out" | tr '\n' ' ')"; continue
	fi
	ok=1
	for f in main/binary-amd64/Packages.xz main/binary-amd64/Packages.gz universe/binary-i386/Packages.xz; do
		line=$(sed -n '/^SHA256:/,$p' "$d/Release" | grep " $f\$")
		want="$(sha256sum <"$d/$f" | cut -d' ' -f1) $(stat -c %s "$d/$f") $f"
		if [ "$(echo $line)" != "$want" ]; then fail "$name" "$f: Release says '$line'"; ok=0; break; fi
	done
	[ $ok = 1 ] && pass "$name"
done

# each suite's kernels: image, headers and the common headers (Architecture: all)
kernels() {
	local suite=$1 w; shift
	xz -dc "$FX/ubuntu/dists/$suite/main/binary-amd64/Packages.xz" >"$TMP/Packages"
	for w in "$@"; do
		if ! grep -qx "Package: $w" "$TMP/Packages"; then fail "rpm_md_ubuntu_kernels_$suite" "no $w"; return; fi
	done
	pass "rpm_md_ubuntu_kernels_$suite"
}
kernels jammy linux-image-5.15.0-25-generic linux-headers-5.15.0-25 linux-image-5.15.0-1004-aws \
	linux-aws-headers-5.15.0-1004 linux-headers-5.15.0-1003-gcp linux-modules-5.15.0-25-lowlatency
kernels jammy-updates linux-image-5.15.0-91-generic linux-image-unsigned-5.15.0-91-generic \
	linux-headers-5.15.0-91 linux-headers-6.5.0-1014-aws linux-aws-6.5-headers-6.5.0-1014 \
	linux-image-5.15.0-1053-azure
kernels noble-updates linux-image-6.8.0-49-generic linux-headers-6.8.0-1019-aws

# the one real .deb in the pool is the file its stanza describes
deb=$FX/ubuntu/pool/main/l/linux/linux-headers-5.15.0-91_5.15.0-91.101_all.deb
xz -dc "$FX/ubuntu/dists/jammy-updates/main/binary-amd64/Packages.xz" >"$TMP/Packages"
if [ -f "$deb" ] && grep -q "^SHA256: $(sha256sum <"$deb" | cut -d' ' -f1)\$" "$TMP/Packages" &&
	{ ! command -v dpkg-deb >/dev/null || dpkg-deb -f "$deb" Package | grep -qx linux-headers-5.15.0-91; }; then
	pass rpm_md_ubuntu_real_deb
else
	fail rpm_md_ubuntu_real_deb "missing, or not what jammy-updates' Packages says"
fi

B=$FX/broken
if gpgv --keyring "$KR" "$B/ubuntu-bad-signature/dists/jammy/InRelease" >"$TMP/out" 2>&1; then
	fail rpm_md_ubuntu_bad_signature "gpgv accepted a changed InRelease"
elif grep -q "BAD signature" "$TMP/out"; then pass rpm_md_ubuntu_bad_signature
else fail rpm_md_ubuntu_bad_signature "$(tail -1 "$TMP/out")"; fi

# expired: signed and good, Valid-Until before now
d=$B/ubuntu-expired/dists/jammy
vu=$(sed -n 's/^Valid-Until: //p' "$d/Release")
if gpgv --keyring "$KR" "$d/InRelease" >/dev/null 2>&1 && [ -n "$vu" ] &&
	[ "$(date -d "${vu% UTC} UTC" +%s)" -lt "$(date +%s)" ]; then
	pass rpm_md_ubuntu_expired
else
	fail rpm_md_ubuntu_expired "Valid-Until '$vu' is not a signed date in the past"
fi

# index mismatch: signed and good, Packages.xz is not the file Release lists
d=$B/ubuntu-index-mismatch/dists/jammy
line=$(sed -n '/^SHA256:/,$p' "$d/Release" | grep ' main/binary-amd64/Packages.xz$')
if gpgv --keyring "$KR" "$d/InRelease" >/dev/null 2>&1 && [ -n "$line" ] &&
	[ "$(echo $line | cut -d' ' -f1)" != "$(sha256sum <"$d/main/binary-amd64/Packages.xz" | cut -d' ' -f1)" ] &&
	xz -t "$d/main/binary-amd64/Packages.xz"; then
	pass rpm_md_ubuntu_index_mismatch
else
	fail rpm_md_ubuntu_index_mismatch "Packages.xz matches Release, or the suite is not signed"
fi

# the same through the Debian back-end's own code (kernels/release.h): every suite is
# accepted, each broken variant refused with its own reason
ok=1
for d in "$FX"/ubuntu/dists/* "$FX"/security/ubuntu/dists/*; do
	if ! "$T" --inrelease "$d" "$KR" >"$TMP/out" 2>&1 || ! grep -q "^Ubuntu $(basename "$d") " "$TMP/out"; then
		fail rpm_md_ubuntu_release_h "$(tr '\n' ' ' <"$TMP/out")"; ok=0; break
	fi
done
[ $ok = 1 ] && pass rpm_md_ubuntu_release_h
release_h_refuses() {
	local name=$1 variant=$2 want=$3
	if "$T" --inrelease "$B/$variant/dists/jammy" "$KR" >/dev/null 2>"$TMP/err"; then fail "$name" "accepted"
	elif grep -q -- "$want" "$TMP/err"; then pass "$name"
	else fail "$name" "want '$want': $(tr '\n' ' ' <"$TMP/err")"; fi
}
release_h_refuses rpm_md_ubuntu_release_h_bad_signature ubuntu-bad-signature "BAD signature"
release_h_refuses rpm_md_ubuntu_release_h_expired ubuntu-expired "Release for jammy expired at"
release_h_refuses rpm_md_ubuntu_release_h_index_mismatch ubuntu-index-mismatch \
	"'main/binary-amd64/Packages.xz' does not match its Release"
