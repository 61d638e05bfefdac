#!/usr/bin/env python3
# A repository directory holding real artifacts for one kernel, with the build
# record src/build/build.c writes (schema probekit-build/1), ready for
# `probekit repo index`. The artifacts are given as files (a legacy object built
# for this kernel, the reduced BTF `probekit btf min` makes); the names are the
# kernel's, as `probekit detect --json` reports them under repository_key.
# Usage: mkhostrepo.py DIR PV TARGET KERNELRELEASE KERNELVERSION OS_ID VERSION_ID
#                      MACHINE UNAME_R [legacy=FILE] [reduced=FILE]
import hashlib
import json
import os
import shutil
import sys

root, pv, target, krel, kver, os_id, ver_id, machine, uname_r = sys.argv[1:10]
files = dict(a.split("=", 1) for a in sys.argv[10:])
btf_arch = "arm64" if machine == "aarch64" else machine


def put(rel, src):
    path = os.path.join(root, rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(src, path)
    data = open(path, "rb").read()
    return {"path": rel, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}


arts = []
for kind, name, rel in (
    ("legacy-object", "legacy", "%s/%s/probekit_%s_%s_%s.o" % (pv, machine, target, krel, kver)),
    ("reduced-btf", "reduced", "%s/btf/%s/%s/%s/%s.btf" % (pv, os_id, ver_id, btf_arch, uname_r)),
):
    if name in files:
        a = put(rel, files[name])
        arts.append({"kind": kind, "path": rel, "status": "ok", "size": a["size"],
                     "sha256": a["sha256"], "seconds": 1.0})
key = "%s:%s" % (target, krel)
logrel = "_build/%s/%s_%s.log" % (pv, target, krel)
os.makedirs(os.path.join(root, os.path.dirname(logrel)), exist_ok=True)
with open(os.path.join(root, logrel), "wb") as f:
    f.write(("build log of %s\n" % key).encode())
log_sha = hashlib.sha256(open(os.path.join(root, logrel), "rb").read()).hexdigest()
rec = {
    "schema": "probekit-build/1", "key": key, "probe_version": pv, "distro": os_id,
    "suite": "test", "target": target, "kernelrelease": krel, "kernelversion": kver,
    "os_id": os_id, "version_id": ver_id, "machine": machine, "uname_r": uname_r,
    "status": "ok", "compiler": "clang", "llc": "llc",
    "inputs": [{"role": "image", "name": "linux-image-" + uname_r, "version": krel,
                "url": "file:///dev/null", "size": 0,
                "sha256": hashlib.sha256(uname_r.encode()).hexdigest()}],
    "artifacts": arts,
    "timing": {"download": 0.0, "unpack": 0.0, "clang": 0.0, "llc": 0.0,
               "btf_extract": 0.0, "btf_pack": 0.0, "reduce": 0.0},
    "log": logrel, "log_sha256": log_sha, "seconds": 1.0,
}
with open(os.path.join(root, "_build/%s/%s_%s.json" % (pv, target, krel)), "w") as f:
    json.dump(rec, f, indent=2)
