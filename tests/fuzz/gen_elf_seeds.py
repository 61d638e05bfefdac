#!/usr/bin/env python3
"""Writes the seeds of tests/fuzz/corpus/fuzz_elf/ (committed; rerun only to change
them): small ELF64 images and kernel image headers, among them the regression case
of issue 7, sh_name-wrap: .BTF's sh_name is 0xfffffffc, so `sh_name + 5` wraps to 1
in 32-bit arithmetic and a check `sh_name + 5 > sh_size` let a read 4 GiB past the
name table through. tests/common/test_elf.c builds the same image in C."""
import gzip, os, struct, sys

def elf(sections, notes=b"", sh_name_override=None, shnum_escape=False):
    """sections: [(name, type, data)]; a NULL section 0 and .shstrtab are added"""
    names = b"\0.shstrtab\0" + b"".join(n.encode() + b"\0" for n, _, _ in sections)
    body = bytearray()
    off = 64
    hdrs = [struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)]
    placed = []
    for name, typ, data in [(".shstrtab", 3, names)] + sections:
        placed.append((name, typ, off + len(body), len(data)))
        body += data
        while len(body) % 8:
            body += b"\0"
    note_off = off + len(body)
    body += notes
    while len(body) % 8:
        body += b"\0"
    phoff = off + len(body)
    ph = struct.pack("<IIQQQQQQ", 4, 4, note_off, 0, 0, len(notes), len(notes), 4) if notes else b""
    body += ph
    shoff = off + len(body)
    pos = 1
    for i, (name, typ, o, size) in enumerate(placed):
        sh_name = names.index(b"\0" + name.encode() + b"\0") + 1
        if sh_name_override and name == sh_name_override[0]:
            sh_name = sh_name_override[1]
        hdrs.append(struct.pack("<IIQQQQIIQQ", sh_name, typ, 0, 0, o, size, 0, 0, 1, 0))
    shnum = len(hdrs)
    if shnum_escape:
        hdrs[0] = struct.pack("<IIQQQQIIQQ", 0, 0, 0, 0, 0, shnum, 0, 0, 0, 0)
    ident = b"\x7fELF\x02\x01\x01" + b"\0" * 9
    eh = ident + struct.pack("<HHIQQQIHHHHHH", 2, 62, 1, 0x1000000,
                             phoff if notes else 0, shoff, 0, 64, 56, 1 if notes else 0, 64,
                             0 if shnum_escape else shnum, 1)
    return eh + bytes(body) + b"".join(hdrs)

def note(name, typ, desc):
    n = name.encode() + b"\0"
    pad = lambda b: b + b"\0" * (-len(b) % 4)
    return struct.pack("<III", len(n), len(desc), typ) + pad(n) + pad(desc)

btf = bytes.fromhex("9feb0100180000000000000010000000100000000500000000") [:24] + \
      struct.pack("<IIII", 1, 0x01000000, 4, 32) + b"\0int\0"
xen = note("Xen", 18, struct.pack("<I", 0x1000000)) + note("GNU", 3, b"\x01" * 20)
secs = [(".BTF", 1, btf), (".debug_info", 1, b"\0" * 16)]

def bzimage(payload, version=0x20f):
    h = bytearray(5 * 512 + 64)
    h[0x1f1] = 4
    h[0x202:0x206] = b"HdrS"
    struct.pack_into("<H", h, 0x206, version)
    struct.pack_into("<H", h, 0x20e, 0x300)    # kernel_version at 0x500
    h[0x211] = 1
    h[0x500:0x520] = b"6.1.0-99-amd64 (fuzz@seed) #1\0\0\0"
    struct.pack_into("<II", h, 0x248, 64, len(payload))
    return bytes(h) + payload + struct.pack("<I", 12345)

def zboot(payload, comp=b"gzip"):
    h = bytearray(64)
    h[0:2] = b"MZ"
    h[4:8] = b"zimg"
    struct.pack_into("<II", h, 8, 64, len(payload))
    h[24:24 + len(comp)] = comp
    return bytes(h) + payload

small = elf(secs, xen)
seeds = {
    "valid-vmlinux": small,
    "sh_name-wrap": elf(secs, xen, sh_name_override=(".BTF", 0xfffffffc)),
    "shnum-escape": elf(secs, shnum_escape=True),
    "bzimage-gzip": bzimage(gzip.compress(small, 1, mtime=0)),
    "bzimage-old-protocol": bzimage(b"\0" * 16, 0x202),
    "zboot-gzip": zboot(gzip.compress(small, 1, mtime=0)),
}
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus", "fuzz_elf")
os.makedirs(out, exist_ok=True)
for name, data in seeds.items():
    with open(os.path.join(out, name), "wb") as f:
        f.write(data)
