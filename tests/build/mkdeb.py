#!/usr/bin/env python3
# A .deb with exactly the data.tar entries asked for, hostile ones included (dpkg-deb
# refuses to build those): what pk_package__unpack must survive.
#   mkdeb.py OUT ENTRY...   ENTRY: f:PATH=TEXT  x:PATH=TEXT (executable)  d:PATH
#                                  l:PATH=TARGET (symlink)  h:PATH=TARGET (hard link)
#                                  p:PATH (fifo)
# PATH is stored as written ("../x" and "/x" too).
import io
import sys
import tarfile


def tar_gz(entries):
    b = io.BytesIO()
    with tarfile.open(fileobj=b, mode="w:gz", format=tarfile.GNU_FORMAT) as t:
        for e in entries:
            kind, rest = e.split(":", 1)
            path, _, val = rest.partition("=")
            ti = tarfile.TarInfo(path)
            ti.mtime = 0
            data = None
            if kind in "fx":
                data = val.encode()
                ti.size = len(data)
                ti.mode = 0o755 if kind == "x" else 0o644
            elif kind == "d":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
            elif kind == "l":
                ti.type, ti.linkname = tarfile.SYMTYPE, val
            elif kind == "h":
                ti.type, ti.linkname = tarfile.LNKTYPE, val
            elif kind == "p":
                ti.type = tarfile.FIFOTYPE
            else:
                sys.exit("mkdeb: unknown entry kind " + kind)
            t.addfile(ti, io.BytesIO(data) if data is not None else None)
    return b.getvalue()


def ar_member(name, data):
    h = b"%-16s%-12d%-6d%-6d%-8s%-10d`\n" % (name.encode(), 0, 0, 0, b"100644", len(data))
    return h + data + (b"\n" if len(data) % 2 else b"")


def main():
    out, entries = sys.argv[1], sys.argv[2:]
    control = tar_gz(["f:./control=Package: t\nVersion: 1\nArchitecture: all\nMaintainer: t\nDescription: t\n"])
    with open(out, "wb") as f:
        f.write(b"!<arch>\n" + ar_member("debian-binary", b"2.0\n") + ar_member("control.tar.gz", control) +
                ar_member("data.tar.gz", tar_gz(entries)))


main()
