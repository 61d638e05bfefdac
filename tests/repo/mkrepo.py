#!/usr/bin/env python3
# A small repository directory in probekit's layout, made without building anything:
# N kernels' artifacts (deterministic bytes), each with the build record
# src/build/build.c writes (schema probekit-build/1), one kernel whose legacy build
# failed, and the CO-RE objects of the probe version. What `repo index` turns into a
# signed index and `repo verify` checks. Usage: mkrepo.py DIR [N]
import hashlib
import json
import os
import sys

root = sys.argv[1]
n = int(sys.argv[2]) if len(sys.argv) > 2 else 3
pv = "p0123456789abcde"


def put(rel, data):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)
    return {"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def blob(name, size):
    out = b""
    i = 0
    while len(out) < size:
        out += hashlib.sha256(("%s:%d" % (name, i)).encode()).digest()
        i += 1
    return out[:size]


put("%s/x86_64/probe.core.bpf.o" % pv, blob("core", 5000))
put("%s/x86_64/probe.btf.bpf.o" % pv, blob("btf", 4000))
for i in range(n):
    ver = "6.1.%d-1" % (150 + i)
    uname = "6.1.0-%d-amd64" % (40 + i)
    krel = ver + "-amd64"
    key = "debian:" + krel
    failed = i == n - 1
    arts = []
    for kind, rel, size in (
        ("legacy-object", "%s/x86_64/probekit_debian_%s_1.o" % (pv, krel), 3000 + i),
        ("reduced-btf", "%s/btf/debian/12/x86_64/%s.btf" % (pv, uname), 1400 + i),
        ("full-btf", "btf/debian/12/x86_64/%s.btf.tar.xz" % uname, 9000 + i),
    ):
        if failed and kind == "legacy-object":
            arts.append({"kind": kind, "path": rel, "status": "failed", "stage": "headers",
                         "reason": "no headers package: <script>alert(1)</script> not in any suite",
                         "seconds": 0.0})
            continue
        a = put(rel, blob(rel, size))
        arts.append({"kind": kind, "path": rel, "status": "ok", "size": a["size"],
                     "sha256": a["sha256"], "seconds": 1.5})
    log = put("_build/%s/debian_%s.log" % (pv, krel), ("build log of %s\n" % key).encode())
    rec = {
        "schema": "probekit-build/1", "key": key, "probe_version": pv, "distro": "debian",
        "suite": "bookworm", "target": "debian", "kernelrelease": krel, "kernelversion": "1",
        "os_id": "debian", "version_id": "12", "machine": "x86_64", "uname_r": uname,
        "status": "failed" if failed else "ok", "compiler": "Debian clang version 14.0.6",
        "llc": "Debian LLVM version 14.0.6",
        "inputs": [{"role": "image", "name": "linux-image-" + uname, "version": ver,
                    "url": "http://mirror.invalid/pool/linux-image.deb", "size": 100,
                    "sha256": hashlib.sha256(uname.encode()).hexdigest()}],
        "artifacts": arts,
        "timing": {"download": 0.0, "unpack": 0.0, "clang": 0.0, "llc": 0.0,
                   "btf_extract": 0.0, "btf_pack": 0.0, "reduce": 0.0},
        "log": log["path"], "log_sha256": log["sha256"], "seconds": 3.0,
    }
    if failed:
        rec["log_tail"] = "no headers package"
    put("_build/%s/debian_%s.json" % (pv, krel), json.dumps(rec, indent=2).encode())
print(pv)
