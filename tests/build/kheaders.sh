#!/usr/bin/env bash
# The legacy probe built from each Debian kernel's own headers packages (bullseye 5.10,
# bookworm 6.1, trixie 6.12; no vmlinux.h, no BTF, no CO-RE), through src/build/
# (tests/build/test_kheaders as the driver): it compiles, holds no CO-RE relocation but
# the .BTF its maps need, and comes out byte-identical from another directory.
# Packages come from scripts/kernel-corpus.sh (cached).
. "$(dirname "$0")/../lib.sh"

DRIVER=$PWD/$OUT/tests/build/test_kheaders
[ -x "$DRIVER" ] || { fail "kheaders" "$DRIVER not built"; exit 0; }
for t in clang llc llvm-strip llvm-objcopy bpftool; do
	command -v $t >/dev/null || { skip "kheaders" "$t not installed"; exit 0; }
done

# CO-RE relocations in .BTF.ext: its header's core_relo_len (0 when the header is older)
core_relos() {
	llvm-objcopy --dump-section ".BTF.ext=$TMP/ext.bin" "$1" "$TMP/junk.o" 2>/dev/null || { echo missing; return; }
	python3 -c 'import struct,sys
d=open(sys.argv[1],"rb").read()
hl=struct.unpack_from("<I",d,4)[0]
print(struct.unpack_from("<I",d,28)[0] if hl>=32 else 0)' "$TMP/ext.bin"
}

for s in bullseye bookworm trixie; do
	read -r _ img _ < <(bash scripts/kernel-corpus.sh default "$s" 2>"$TMP/fetch.err") || true
	hdrs=$(bash scripts/kernel-corpus.sh headers "$s:$img" 2>>"$TMP/fetch.err" | paste -sd:)
	if [ -z "$img" ] || [ -z "$hdrs" ]; then
		skip "kheaders: $s" "cannot fetch its packages: $(tail -1 "$TMP/fetch.err")"
		continue
	fi
	name="kheaders: $s ${img#linux-image-}: compile from its headers"
	obj=$TMP/a/$s.o
	mkdir -p "$TMP/a" "$TMP/b"
	if ! PK_KHEADERS_PKGS=$hdrs PK_KHEADERS_DIR=$TMP/a/$s PK_KHEADERS_OBJ=$obj PK_KHEADERS_LOG=$TMP/a/$s.log \
		"$DRIVER" >"$TMP/a/$s.out" 2>"$TMP/a/$s.err"; then
		fail "$name" "$(tail -3 "$TMP/a/$s.err" | tr '\n' ' ')"
		continue
	fi
	read -r rel code clang_ms llc_ms <"$TMP/a/$s.out"
	if [ "$rel" != "${img#linux-image-}" ]; then
		fail "$name" "release '$rel', want '${img#linux-image-}'"
		continue
	fi
	pass "$name (clang ${clang_ms} ms, llc ${llc_ms} ms)"
	echo "# $s $rel version code $code: clang ${clang_ms} ms, llc ${llc_ms} ms; $(tail -1 "$TMP/a/$s.err")"

	name="kheaders: $s: no CO-RE relocation, maps in .BTF, no DWARF"
	relos=$(core_relos "$obj")
	if [ "$relos" != 0 ]; then
		fail "$name" "core_relo_len $relos"
	elif ! bpftool btf dump file "$obj" 2>/dev/null | grep -q "DATASEC '.maps'"; then
		fail "$name" "no .maps in its .BTF"
	elif llvm-objdump -h "$obj" | grep -q '\.debug_'; then
		fail "$name" "DWARF left"
	else
		pass "$name"
	fi

	# the same packages, another directory (and working directory): the same bytes
	name="kheaders: $s: reproducible from another directory"
	mkdir -p "$TMP/b/src" && cp bpf/probe.bpf.c bpf/probe.h "$TMP/b/src/"
	if ! (cd "$TMP/b" && PK_KHEADERS_PKGS=$hdrs PK_KHEADERS_DIR=$TMP/b/other-$s PK_KHEADERS_OBJ=$TMP/b/$s.o \
		PK_KHEADERS_SOURCE=$TMP/b/src/probe.bpf.c "$DRIVER" >/dev/null 2>"$TMP/b/$s.err"); then
		fail "$name" "$(tail -3 "$TMP/b/$s.err" | tr '\n' ' ')"
	elif [ "$(sha256sum <"$obj")" != "$(sha256sum <"$TMP/b/$s.o")" ]; then
		fail "$name" "digests differ: $(sha256sum "$obj" "$TMP/b/$s.o" | cut -c1-16 | tr '\n' ' ')"
	else
		pass "$name"
	fi
	rm -rf "$TMP/a/$s" "$TMP/b/other-$s"	# ~90 MB each
done

# Booting each object in its own kernel is tests/build/build.sh's job: it boots the
# objects `probekit build` makes from these same packages (verify --mode object).
