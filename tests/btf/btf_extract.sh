#!/usr/bin/env bash
# `probekit btf extract` on real inputs: this host's BTF, the Debian kernel corpus
# (.deb directly, their bzImages, the vmlinux inside), every compression kind (the
# ones the corpus lacks are made here from a real vmlinux), packages (tar, cpio, rpm),
# DWARF through pahole, and corrupt input. Corpus: scripts/kernel-corpus.sh (fetched
# when absent; PROBEKIT_NO_FETCH=1 skips those tests instead).
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${PROBEKIT_CACHE:-/var/cache/probekit}/kernels
[ -x "$PK" ] || { skip "btf extract" "no $PK (build first)"; exit 0; }

j() { json_get "$1" "$2"; }

# ---- the host's own BTF, as raw ----
if [ -r /sys/kernel/btf/vmlinux ]; then
	if "$PK" btf extract /sys/kernel/btf/vmlinux -o "$TMP/host.btf" --json >"$TMP/host.json" 2>"$TMP/err" &&
		cmp -s "$TMP/host.btf" /sys/kernel/btf/vmlinux && [ "$(j "$TMP/host.json" kind)" = raw ] &&
		[ "$(j "$TMP/host.json" release)" = "$(uname -r)" ]; then
		pass "extract host BTF as raw"
	else
		fail "extract host BTF as raw" "$(cat "$TMP/err" "$TMP/host.json" 2>/dev/null | tail -3)"
	fi
else
	skip "extract host BTF as raw" "no /sys/kernel/btf/vmlinux"
fi

# ---- corpus .debs ----
debs=()
for suite in bullseye bookworm trixie; do
	f=
	if [ -z "${PROBEKIT_NO_FETCH:-}" ]; then
		f=$("$ROOT/scripts/kernel-corpus.sh" fetch "$suite:latest" 2>"$TMP/fetch.err" | tail -1)
	fi
	if [ -z "$f" ]; then	# offline: whatever the cache already holds for that suite
		case $suite in bullseye) pat='5.10.*' ;; bookworm) pat='6.1.*' ;; trixie) pat='6.12.*' ;; esac
		f=$(ls "$CACHE"/linux-image-$pat-amd64_*.deb 2>/dev/null | sort -V | tail -1)
	fi
	if [ -n "$f" ] && [ -s "$f" ]; then
		debs+=("$f")
	else
		skip "corpus $suite" "no kernel package ($(tail -1 "$TMP/fetch.err" 2>/dev/null))"
	fi
done

# the bzImage out of a .deb, cached beside the corpus; python stops reading at the
# member (tar -x would decompress the whole package)
vmlinuz_of() {	# DEB RELEASE -> $TMP/vmlinuz-RELEASE
	local c="$CACHE/boot/vmlinuz-$2"
	if [ ! -s "$c" ]; then
		mkdir -p "$CACHE/boot"
		dpkg-deb --fsys-tarfile "$1" 2>/dev/null | python3 -c '
import sys, tarfile
with tarfile.open(fileobj=sys.stdin.buffer, mode="r|") as t:
    for m in t:
        if m.name == "./boot/vmlinuz-" + sys.argv[1]:
            open(sys.argv[2] + ".tmp", "wb").write(t.extractfile(m).read())
            break
' "$2" "$c" && mv -f "$c.tmp" "$c"
	fi
	cp "$c" "$TMP/vmlinuz-$2" 2>/dev/null
}

kinds=" "
for deb in "${debs[@]}"; do
	base=$(basename "$deb")
	rel=${base#linux-image-}; rel=${rel%%_*}
	name="extract from .deb $rel"
	if "$PK" btf extract "$deb" -o "$TMP/$rel.btf" --json >"$TMP/$rel.json" 2>"$TMP/err"; then
		k=$(j "$TMP/$rel.json" compression)
		kinds+="$k "
		if [ "$(j "$TMP/$rel.json" kind)" = package ] && [ "$(j "$TMP/$rel.json" release)" = "$rel" ] &&
			[ "$(j "$TMP/$rel.json" release_from)" = banner ] &&
			[ "$(j "$TMP/$rel.json" btf_size)" -gt 1000000 ] && bpftool btf dump file "$TMP/$rel.btf" >/dev/null 2>&1 &&
			bpftool btf dump file "$TMP/$rel.btf" | grep -q "STRUCT 'task_struct'"; then
			pass "$name ($k, $(j "$TMP/$rel.json" btf_size) bytes, $(j "$TMP/$rel.json" seconds | cut -c1-5) s)"
		else
			fail "$name" "$(cat "$TMP/$rel.json")"
		fi
	else
		fail "$name" "$(tail -2 "$TMP/err")"
		continue
	fi
	# the bzImage inside, on its own
	vmlinuz_of "$deb" "$rel"
	if "$PK" btf extract "$TMP/vmlinuz-$rel" -o "$TMP/img.btf" --json >"$TMP/img.json" 2>"$TMP/err" &&
		[ "$(j "$TMP/img.json" image)" = bzImage ] && cmp -s "$TMP/img.btf" "$TMP/$rel.btf"; then
		pass "extract from bzImage $rel ($(j "$TMP/img.json" compression))"
	else
		fail "extract from bzImage $rel" "$(tail -2 "$TMP/err")"
	fi
done
if [ ${#debs[@]} -gt 0 ]; then
	echo "# corpus compression kinds:$kinds"
fi

# ---- a real vmlinux out of a corpus bzImage (python reads the setup header) ----
vml=
for deb in "${debs[@]}"; do
	rel=$(basename "$deb"); rel=${rel#linux-image-}; rel=${rel%%_*}
	if python3 - "$TMP/vmlinuz-$rel" "$TMP/vmlinux" <<'EOF' 2>/dev/null; then
import lzma, gzip, bz2, struct, sys
d = open(sys.argv[1], 'rb').read()
setup = (d[0x1f1] or 4) + 1
off = setup * 512 + struct.unpack_from('<I', d, 0x248)[0]
p = d[off:]
if p[:6] == b'\xfd7zXZ\x00':
    out = lzma.LZMADecompressor().decompress(p)
elif p[:3] == b'\x1f\x8b\x08':
    out = gzip.decompress(p)
else:
    sys.exit(1)
open(sys.argv[2], 'wb').write(out)
EOF
		vml=$TMP/vmlinux vml_rel=$rel
		break
	fi
done

if [ -n "$vml" ]; then
	if "$PK" btf extract "$vml" -o "$TMP/elf.btf" --json >"$TMP/elf.json" 2>"$TMP/err" &&
		[ "$(j "$TMP/elf.json" kind)" = elf ] && [ "$(j "$TMP/elf.json" release)" = "$vml_rel" ] &&
		cmp -s "$TMP/elf.btf" "$TMP/$vml_rel.btf"; then
		pass "extract from vmlinux ELF"
	else
		fail "extract from vmlinux ELF" "$(tail -2 "$TMP/err")"
	fi
else
	skip "extract from vmlinux ELF" "no xz/gzip corpus kernel to take a vmlinux from"
fi

# ---- a small ELF with .BTF and a banner, for the slow compressors ----
if [ -r "$TMP/host.btf" ] || [ -n "$vml" ]; then
	src_btf=$TMP/host.btf; [ -r "$src_btf" ] || src_btf=$TMP/elf.btf
	printf 'int x;\n' >"$TMP/small.c"
	printf 'Linux version 9.8.7-small (test@example) (gcc) #1\0' >"$TMP/banner"
	gcc -c -o "$TMP/small.o" "$TMP/small.c" &&
		objcopy --add-section .BTF="$src_btf" --add-section .rodata.banner="$TMP/banner" "$TMP/small.o" "$TMP/small.elf"
	small=$TMP/small.elf
fi

# fake bzImage: setup header (protocol 2.15) naming a payload
fake_bzimage() {	# PAYLOAD OUT
	python3 - "$1" "$2" <<'EOF'
import struct, sys
p = open(sys.argv[1], 'rb').read()
h = bytearray(5 * 512 + 64)
h[0x1f1] = 4
h[0x202:0x206] = b'HdrS'
struct.pack_into('<H', h, 0x206, 0x020f)
struct.pack_into('<II', h, 0x248, 64, len(p) + 4)
open(sys.argv[2], 'wb').write(bytes(h) + p + struct.pack('<I', 12345))
EOF
}

for comp in gzip bzip2 lzma lz4 xz zstd; do
	in=${vml:-$small}
	case $comp in bzip2|lzma) in=$small ;; esac	# slow compressors: the small ELF
	[ -n "$in" ] || { skip "extract $comp image" "no vmlinux"; continue; }
	case $comp in
	gzip) gzip -1 -c "$in" ;;
	bzip2) bzip2 -1 -c "$in" ;;
	lzma) lzma -1 -c "$in" ;;
	lz4) lz4 -l -1 -c "$in" ;;	# legacy frame, as the kernel writes it
	xz) xz -1 --check=crc32 -c "$in" ;;
	zstd) zstd -1 -q -c "$in" ;;
	esac >"$TMP/payload.$comp"
	fake_bzimage "$TMP/payload.$comp" "$TMP/bz.$comp"
	want_rel=$( [ "$in" = "$small" ] && echo 9.8.7-small || echo "$vml_rel")
	if "$PK" btf extract "$TMP/bz.$comp" -o "$TMP/c.btf" --json >"$TMP/c.json" 2>"$TMP/err" &&
		[ "$(j "$TMP/c.json" compression)" = "$comp" ] && [ "$(j "$TMP/c.json" release)" = "$want_rel" ]; then
		pass "extract $comp bzImage ($(basename "$in"))"
	else
		fail "extract $comp bzImage" "$(cat "$TMP/err" "$TMP/c.json" | tail -n 3)"
	fi
	# headerless: junk, then the stream (extract-vmlinux's scan)
	{ head -c 777 /dev/urandom | tr -d '\037\375\135\102\002\050'; cat "$TMP/payload.$comp"; } >"$TMP/scan.$comp"
	if "$PK" btf extract "$TMP/scan.$comp" -o "$TMP/c.btf" --json >"$TMP/c.json" 2>"$TMP/err" &&
		[ "$(j "$TMP/c.json" compression)" = "$comp" ]; then
		pass "extract $comp headerless image"
	else
		fail "extract $comp headerless image" "$(tail -2 "$TMP/err")"
	fi
done

# ---- liblzma, libbz2, liblz4: loaded at run time, only for images that need them ----
# The node agent links only what nodes need: its NEEDED list is exactly libbpf,
# libsodium, libjson-c, libz, libzstd and libc (README's runtime dependencies);
# libcurl (with its TLS, Kerberos, LDAP, SSH libraries: ~5 MB resident) is loaded
# only by a download. A sanitizer build adds the sanitizer runtime's own libraries
# (libm, libgcc_s, ...), so there the exact list cannot hold; it must still name
# those six and none of the dlopen'd ones.
needed=$(readelf -d "$PK" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort | tr '\n' ' ')
want="libbpf.so.1 libc.so.6 libjson-c.so.5 libsodium.so.23 libz.so.1 libzstd.so.1 "
if [ "${PK_SAN:-0}" != 1 ]; then
	if [ "$needed" = "$want" ]; then
		pass "agent binary NEEDs exactly libbpf, libsodium, libjson-c, libz, libzstd, libc"
	else
		fail "agent binary NEEDs exactly libbpf, libsodium, libjson-c, libz, libzstd, libc" "NEEDED: $needed"
	fi
else
	missing=""
	for l in $want; do case " $needed" in *" $l "*) ;; *) missing="$missing $l" ;; esac; done
	if [ -z "$missing" ] && ! grep -Eq 'liblzma|libbz2|liblz4|libarchive|libcurl' <<<"$needed"; then
		pass "agent binary (sanitizer build) NEEDs libbpf, libz, libzstd, libc and no dlopen'd library"
	else
		fail "agent binary (sanitizer build) NEEDs libbpf, libz, libzstd, libc and no dlopen'd library" \
			"NEEDED: $needed; missing:${missing:- none}"
	fi
fi
# ldd: what the binary pulls in, directly or through another library
for lib in liblzma liblz4 libbz2 libarchive libcurl libmicrohttpd; do
	if ldd "$PK" | grep -q "$lib"; then
		fail "agent binary does not link $lib" "$(ldd "$PK" | grep "$lib")"
	else
		pass "agent binary does not link $lib"
	fi
done
# without the library, one clear error naming it and its package
for c in xz:liblzma:liblzma5:LIBLZMA bzip2:libbz2:libbz2-1.0:LIBBZ2 lz4:liblz4:liblz4-1:LIBLZ4; do
	IFS=: read -r comp lib pkg var <<<"$c"
	[ -e "$TMP/bz.$comp" ] || { skip "$comp image without $lib: one clear error" "no $comp image built"; continue; }
	env "PROBEKIT_$var=$TMP/no-$lib.so" "$PK" btf extract "$TMP/bz.$comp" -o "$TMP/nolib.btf" >"$TMP/out" 2>&1
	rc=$?
	if [ $rc = 3 ] && [ "$(wc -l <"$TMP/out")" = 1 ] &&
	   grep -q "^probekit: error: cannot extract BTF from '.*': bzImage payload: decompressing $comp needs $lib (Debian: $pkg): cannot load $TMP/no-$lib.so" "$TMP/out" &&
	   [ ! -e "$TMP/nolib.btf" ]; then
		pass "$comp image without $lib: one clear error"
	else
		fail "$comp image without $lib: one clear error" "exit $rc: $(tail -2 "$TMP/out")"
	fi
	env "PROBEKIT_$var=$TMP/no-$lib.so" "$PK" btf extract "$TMP/scan.$comp" -o "$TMP/nolib.btf" >"$TMP/out" 2>&1
	rc=$?
	if [ $rc = 3 ] && grep -q "decompressing $comp needs $lib (Debian: $pkg)" "$TMP/out"; then
		pass "headerless $comp image without $lib: says which library"
	else
		fail "headerless $comp image without $lib: says which library" "exit $rc: $(tail -2 "$TMP/out")"
	fi
done

# ---- packages other than .deb: tar.xz, cpio, a minimal rpm ----
if [ -n "${small:-}" ]; then
	mkdir -p "$TMP/pkg/boot" "$TMP/pkg/lib/modules/9.8.7-small"
	gzip -c "$small" >"$TMP/pkg/boot/vmlinuz-9.8.7-small"
	tar -C "$TMP/pkg" -cJf "$TMP/k.tar.xz" boot
	test_expect "extract from tar.xz package" "$PK" btf extract "$TMP/k.tar.xz" -o "$TMP/t.btf"
	# libarchive is opened at run time, only for packages (not linked: see above);
	# without it a package gets one clear error
	PROBEKIT_LIBARCHIVE=$TMP/no-libarchive.so "$PK" btf extract "$TMP/k.tar.xz" -o "$TMP/nola.btf" >"$TMP/out" 2>&1
	rc=$?
	if [ $rc = 3 ] && grep -q "^probekit: error: .*tar package: reading packages needs libarchive (Debian: libarchive13): cannot load $TMP/no-libarchive.so" "$TMP/out" &&
	   [ ! -e "$TMP/nola.btf" ]; then
		pass "package without libarchive: one clear error"
	else
		fail "package without libarchive: one clear error" "exit $rc: $(tail -2 "$TMP/out")"
	fi
	cp "$TMP/pkg/boot/vmlinuz-9.8.7-small" "$TMP/pkg/lib/modules/9.8.7-small/vmlinuz"
	# a newc cpio and an rpm written here (no cpio or rpm tool needed)
	(cd "$TMP/pkg" && python3 "$ROOT/tests/btf/mkpkg.py" cpio "$TMP/k.cpio" $(find lib))
	test_expect "extract from cpio package" "$PK" btf extract "$TMP/k.cpio" -o "$TMP/t.btf"
	python3 "$ROOT/tests/btf/mkpkg.py" rpm "$TMP/kernel-core-9.8.7-small.rpm" "$TMP/k.cpio"
	if "$PK" btf extract "$TMP/kernel-core-9.8.7-small.rpm" -o "$TMP/t.btf" --json >"$TMP/r.json" 2>"$TMP/err" &&
		[ "$(j "$TMP/r.json" package)" = rpm ]; then
		pass "extract from rpm package"
	else
		fail "extract from rpm package" "$(tail -2 "$TMP/err")"
	fi
fi

# ---- DWARF only: pahole ----
if command -v pahole >/dev/null; then
	cat >"$TMP/dw.c" <<'EOF'
struct pk_dwarf_probe { int pid; long start_time; char comm[16]; };
struct pk_dwarf_probe pk_probe_var;
EOF
	gcc -g -c -o "$TMP/dw.o" "$TMP/dw.c"
	if "$PK" btf extract "$TMP/dw.o" -o "$TMP/dw.btf" --json >"$TMP/dw.json" 2>"$TMP/err" &&
		[ "$(j "$TMP/dw.json" pahole)" = true ] && [ "$(j "$TMP/dw.json" kind)" = dwarf ] &&
		bpftool btf dump file "$TMP/dw.btf" | grep -q "STRUCT 'pk_dwarf_probe'"; then
		pass "extract DWARF-only ELF through pahole"
	else
		fail "extract DWARF-only ELF through pahole" "$(tail -2 "$TMP/err")"
	fi
	# pahole's files: a fresh private directory under $TMPDIR (we run as root: no
	# predictable names there), removed afterwards
	mkdir -p "$TMP/ptmp"
	cat >"$TMP/pahole-spy" <<EOF
#!/bin/sh
for a; do case \$a in -*) ;; *) f=\$a ;; esac; done
stat -c '%a %F' "\$(dirname "\$f")" "\$f" >"$TMP/spy.out"
exec pahole "\$@"
EOF
	chmod +x "$TMP/pahole-spy"
	if TMPDIR=$TMP/ptmp PROBEKIT_PAHOLE=$TMP/pahole-spy "$PK" btf extract "$TMP/dw.o" -o "$TMP/dw2.btf" >"$TMP/out" 2>&1 &&
	   [ "$(cat "$TMP/spy.out")" = "$(printf '700 directory\n600 regular file')" ] &&
	   [ -z "$(ls -A "$TMP/ptmp")" ] && cmp -s "$TMP/dw.btf" "$TMP/dw2.btf"; then
		pass "pahole works in a private temporary directory, removed after"
	else
		fail "pahole works in a private temporary directory, removed after" \
			"$(cat "$TMP/spy.out" "$TMP/out" 2>&1 | tail -3); left: $(ls -A "$TMP/ptmp")"
	fi
	test_must_fail "--no-pahole refuses DWARF-only ELF" "$PK" btf extract "$TMP/dw.o" -o "$TMP/dw.btf" --no-pahole
	grep -q "only DWARF" "$TMP/out" || fail "--no-pahole message" "$(cat "$TMP/out")"
else
	skip "extract DWARF-only ELF through pahole" "pahole not installed (package dwarves)"
fi

# ---- bad input: a clear error (exit 3), never a crash ----
bad() {	# NAME EXPECTED-MESSAGE-PART FILE
	"$PK" btf extract "$3" -o "$TMP/bad.btf" >"$TMP/out" 2>&1
	local rc=$?
	if [ $rc -eq 3 ] && grep -q "^probekit: error: .*$2" "$TMP/out" && [ ! -e "$TMP/bad.btf" ]; then
		pass "$1"
	else
		fail "$1" "exit $rc: $(tail -2 "$TMP/out")"
	fi
}
gcc -c -o "$TMP/plain.o" "$TMP/small.c" 2>/dev/null || printf 'int x;\n' | gcc -x c -c -o "$TMP/plain.o" -
bad "rejects ELF without .BTF" "no .BTF section" "$TMP/plain.o"
bad "rejects missing file" "cannot open" "$TMP/nonexistent"
: >"$TMP/empty"
bad "rejects empty file" "too short" "$TMP/empty"
head -c 100000 /dev/urandom >"$TMP/random"
bad "rejects random bytes" "" "$TMP/random"
if [ -r "$TMP/host.btf" ]; then
	head -c 100000 "$TMP/host.btf" >"$TMP/trunc.btf"
	bad "rejects truncated BTF" "not valid BTF" "$TMP/trunc.btf"
fi
if [ -n "${small:-}" ]; then
	head -c $(( $(stat -c %s "$TMP/bz.gzip") / 2 )) "$TMP/bz.gzip" >"$TMP/bz.trunc"
	bad "rejects truncated bzImage" "outside" "$TMP/bz.trunc"
	python3 -c 'import sys; d=bytearray(open(sys.argv[1],"rb").read()); d[5*512+64+200:5*512+64+400]=bytes(200); open(sys.argv[2],"wb").write(d)' "$TMP/bz.xz" "$TMP/bz.corrupt"
	bad "rejects corrupt compressed payload" "corrupt" "$TMP/bz.corrupt"
	printf '\x89LZO' | cat - "$TMP/payload.gzip" >"$TMP/lzo"; fake_bzimage "$TMP/lzo" "$TMP/bz.lzo"
	bad "rejects unknown compression" "lzo" "$TMP/bz.lzo"
fi
for deb in "${debs[@]:0:1}"; do
	head -c 3000000 "$deb" >"$TMP/trunc.deb"
	bad "rejects truncated .deb" "" "$TMP/trunc.deb"
done
test_must_fail "usage: missing -o" "$PK" btf extract /dev/null
exit 0
