#!/usr/bin/env python3
# Packages written here for the package tests, without cpio, rpm or zip tools: a newc cpio
# of files on disk, a minimal rpm (lead, empty signature and main headers, gzip'd payload),
# and a zip whose entry sizes libarchive cannot know (the one such archive at hand).
#   mkpkg.py cpio OUT PATH...   PATH as on disk (relative, read from the current directory)
#   mkpkg.py rpm OUT PAYLOAD    PAYLOAD: a cpio archive
#   mkpkg.py zip OUT NAME FILE  FILE's bytes as entry NAME
import gzip
import io
import os
import struct
import sys
import zipfile


def cpio_entry(name, st, data):
    n = name.encode() + b"\0"
    h = b"070701" + b"".join(b"%08X" % v for v in (
        st.st_ino & 0xffffffff if st else 0, st.st_mode if st else 0, 0, 0, 1, 0,
        len(data), 0, 0, 0, 0, len(n), 0))
    b = h + n
    b += bytes(-len(b) % 4) + data
    return b + bytes(-len(b) % 4)


def cpio(out, paths):
    b = b""
    for name in paths:
        st = os.lstat(name)
        b += cpio_entry(name, st, open(name, "rb").read() if os.path.isfile(name) else b"")
    with open(out, "wb") as f:
        f.write(b + cpio_entry("TRAILER!!!", None, b""))


def rpm(out, payload):
    lead = (b"\xed\xab\xee\xdb" + bytes([3, 0]) + struct.pack(">HH", 0, 1) +
            b"kernel".ljust(66, b"\0") + struct.pack(">HH", 1, 5) + bytes(16))
    hdr = b"\x8e\xad\xe8\x01" + bytes(4) + struct.pack(">II", 0, 0)
    with open(out, "wb") as f:
        f.write(lead + hdr + hdr + gzip.compress(open(payload, "rb").read()))


class Stream(io.RawIOBase):
    """an unseekable file: zipfile then writes the sizes after the data, not before it"""

    def __init__(self):
        self.data = bytearray()

    def writable(self):
        return True

    def write(self, b):
        self.data += b
        return len(b)


def zip_unsized(out, name, path):
    s = Stream()
    with zipfile.ZipFile(s, "w", zipfile.ZIP_DEFLATED) as z:
        z.write(path, name)
    # without the end record libarchive reads the zip as a stream (not from its central
    # directory), where the local header's size is 0 "see after the data": unknown
    d = bytes(s.data)
    with open(out, "wb") as f:
        f.write(d[:d.rindex(b"PK\x05\x06")])


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "cpio":
        cpio(sys.argv[2], sys.argv[3:])
    elif len(sys.argv) == 4 and sys.argv[1] == "rpm":
        rpm(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 5 and sys.argv[1] == "zip":
        zip_unsized(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        sys.exit("usage: mkpkg.py cpio OUT PATH... | mkpkg.py rpm OUT PAYLOAD | mkpkg.py zip OUT NAME FILE")
