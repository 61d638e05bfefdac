#!/usr/bin/env python3
# make verify-all's data half (scripts/verify-all.sh runs the programs): which kernels of
# the catalog to boot (plan), which packages and legacy objects there are (inputs), and
# the report: docs/kernel-matrix.{md,json} and benchmarks.md's bench:verify block.
#
# It boots nothing and fetches nothing: every input is a file another program wrote.
# Inputs are checked before use (a malformed one is refused, exit 2, with the file and
# the field), because a report built on a half-written verify JSON would lie.
import argparse
import json
import os
import re
import statistics
import sys
import time

SCHEMA = "probekit-kernel-matrix/1"
PLAN_SCHEMA = "probekit-verify-plan/1"
ALL_MODES = ("btf", "no-btf", "legacy")
RESULTS = ("pass", "fail", "error")
# outcomes that never started a VM: they are not boots in the benchmark
NO_BOOT = ("bad-input", "no-artifact", "not-fetched", "launch-failed")


class Bad(Exception):
    """input that is not what it must be: the message names the file and the field"""


def die(msg, code=2):
    print("kernel-matrix: error: %s" % msg, file=sys.stderr)
    sys.exit(code)


def note(msg):
    print("kernel-matrix: %s" % msg, file=sys.stderr)


def load_json(path, what):
    try:
        with open(path, "rb") as f:
            data = f.read(256 << 20)
    except OSError as e:
        raise Bad("%s: cannot read %s: %s" % (path, what, e.strerror))
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError) as e:
        raise Bad("%s: %s is not JSON: %s" % (path, what, e))


def need(obj, key, types, where, nullable=False):
    """obj[key] of one of types (None allowed when nullable), else Bad naming where"""
    if not isinstance(obj, dict):
        raise Bad("%s: expected an object" % where)
    if key not in obj:
        raise Bad("%s: '%s' missing" % (where, key))
    v = obj[key]
    if v is None and nullable:
        return v
    if isinstance(v, bool) and bool not in types:
        raise Bad("%s: '%s' has the wrong type" % (where, key))
    if not isinstance(v, types):
        raise Bad("%s: '%s' has the wrong type (%s)" % (where, key, type(v).__name__))
    return v


# The mirrors are this machine's apt configuration, not the project's: a reason that
# quotes a download URL names no host in the committed report.
HOST_RE = re.compile(r"\b(https?|ftp)://[^/\s\"'<>|)]+")


def scrub(text):
    return HOST_RE.sub(r"\1://APT-MIRROR", text)


def write_atomic(path, text):
    tmp = "%s.tmp.%d" % (path, os.getpid())
    with open(tmp, "w") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.rename(tmp, path)


# ---------------------------------------------------------------- catalog, agent
def check_catalog(path):
    cat = load_json(path, "catalog")
    need(cat, "kernels", (list,), path)
    suites = [need(s, "suite", (str,), "%s: suites[%d]" % (path, i))
              for i, s in enumerate(cat.get("suites") or [])]
    for i, k in enumerate(cat["kernels"]):
        w = "%s: kernels[%d]" % (path, i)
        for f in ("suite", "uname_r", "key", "flavor", "target", "kernelrelease", "kernelversion"):
            need(k, f, (str,), w)
        need(k, "headers", (list,), w, nullable=True)
        img = need(k, "image", (dict,), w)
        for f in ("name", "version", "url", "sha256"):
            need(img, f, (str,), w + ".image")
        need(img, "size", (int,), w + ".image")
        if not re.fullmatch(r"[0-9a-f]{64}", img["sha256"]):
            raise Bad("%s.image: 'sha256' is not 64 hex digits" % w)
        if "/" in img["name"] or img["name"].startswith("."):
            raise Bad("%s.image: 'name' is not a package name" % w)
        if k["suite"] not in suites:
            suites.append(k["suite"])
    return cat, suites


def check_agent(path):
    a = load_json(path, "agent version")
    return {"version": need(a, "version", (str,), path),
            "probe_version": need(a, "probe_version", (str,), path)}


def check_matrix(path):
    """a previous docs/kernel-matrix.json (--since)"""
    m = load_json(path, "previous matrix")
    if need(m, "schema", (str,), path) != SCHEMA:
        raise Bad("%s: schema is '%s', expected '%s'" % (path, m["schema"], SCHEMA))
    need(m, "generated", (str,), path)
    for i, k in enumerate(need(m, "kernels", (list,), path)):
        w = "%s: kernels[%d]" % (path, i)
        for f in ("key", "uname_r", "image_sha256"):
            need(k, f, (str,), w)
        need(k, "agent", (dict,), w)
        for mode, row in need(k, "modes", (dict,), w).items():
            check_row(row, "%s.modes.%s" % (w, mode))
    return m


def check_row(r, w):
    res = need(r, "result", (str,), w)
    if res not in RESULTS:
        raise Bad("%s: 'result' is '%s', not one of %s" % (w, res, "/".join(RESULTS)))
    need(r, "outcome", (str,), w)
    need(r, "reason", (str,), w, nullable=True)
    need(r, "candidate", (str,), w, nullable=True)
    need(r, "boot_to_verdict_s", (int, float), w, nullable=True)
    if r.get("console_tail") is not None and not isinstance(r["console_tail"], str):
        raise Bad("%s: 'console_tail' has the wrong type" % w)
    if r.get("artifact") is not None:
        need(r["artifact"], "kind", (str,), w + ".artifact")


def check_verify(path):
    """probekit verify --json output"""
    v = load_json(path, "verify output")
    need(v, "wall_s", (int, float), path)
    need(v, "jobs", (int,), path)
    need(v, "accel", (str,), path, nullable=True)
    for i, r in enumerate(need(v, "results", (list,), path)):
        w = "%s: results[%d]" % (path, i)
        need(r, "input", (str,), w)
        need(r, "kernel", (str,), w)
        mode = need(r, "mode", (str,), w)
        if mode not in ALL_MODES:
            raise Bad("%s: 'mode' is '%s', not one of %s" % (w, mode, ", ".join(ALL_MODES)))
        need(r, "passed", (bool,), w)
        check_row(r, w)
        if r["passed"] != (r["result"] == "pass"):
            raise Bad("%s: 'passed' and 'result' disagree" % w)
    return v


# ---------------------------------------------------------------- plan
def modes_of(k, modes):
    """the modes that apply to catalog kernel k: legacy only with a headers package"""
    return [m for m in modes if m != "legacy" or k["headers"]]


def cmd_plan(a):
    cat, suites = check_catalog(a.catalog)
    agent = check_agent(a.agent)
    modes = parse_modes(a.modes)
    sel = [k for k in cat["kernels"] if not a.suite or k["suite"] in a.suite]
    if a.match:
        try:
            rx = re.compile(a.match)
        except re.error as e:
            raise Bad("--match '%s': %s" % (a.match, e))
        sel = [k for k in sel if rx.search(k["uname_r"])]
    if a.limit is not None:
        sel = sel[:a.limit]
    prev = {}
    if a.since:
        pm = check_matrix(a.since)
        prev = {k["key"]: k for k in pm["kernels"]}
    kernels = []
    for k in sel:
        e = {"key": k["key"], "suite": k["suite"], "uname_r": k["uname_r"], "flavor": k["flavor"],
             "target": k["target"], "kernelrelease": k["kernelrelease"],
             "kernelversion": k["kernelversion"], "headers": bool(k["headers"]),
             "headers_missing": k.get("headers_missing"), "image": k["image"],
             "modes": modes_of(k, modes), "boot": True, "why_boot": None}
        p = prev.get(k["key"])
        if not a.since:
            pass
        elif p is None:
            e["why_boot"] = "not in the previous matrix"
        elif p["image_sha256"] != k["image"]["sha256"]:
            e["why_boot"] = "image SHA256 changed"
        elif p["agent"] != agent:
            e["why_boot"] = "agent changed"
        else:
            # a verdict (pass, fail) carries; an error (timeout, not fetched, no
            # artifact) says nothing about the kernel and is tried again
            missing = [m for m in e["modes"]
                       if m not in p["modes"] or p["modes"][m]["result"] not in ("pass", "fail")]
            if missing:
                e["why_boot"] = "no verdict in mode %s" % ", ".join(missing)
            else:
                e["boot"] = False
                e["carried"] = {m: dict(p["modes"][m], carried_from=p["modes"][m].get(
                    "carried_from") or pm["generated"]) for m in e["modes"]}
        kernels.append(e)
    plan = {"schema": PLAN_SCHEMA, "agent": agent, "modes": modes, "suites": suites,
            "catalog_kernels": len(cat["kernels"]), "since": a.since,
            "unreadable_suites": [{"suite": s["suite"], "reason": s.get("reason")}
                                  for s in cat.get("suites") or [] if s.get("state") == "error"],
            "filters": {"suites": a.suite or [], "match": a.match, "limit": a.limit},
            "kernels": kernels}
    write_atomic(a.out, json.dumps(plan, indent=1) + "\n")
    nb = sum(k["boot"] for k in kernels)
    note("%d of %d catalog kernels selected: %d to boot, %d carried over" % (
        len(kernels), len(cat["kernels"]), nb, len(kernels) - nb))
    for k in kernels:
        if k["boot"]:
            print(k["kernelrelease"])


def parse_modes(s):
    modes = [m for m in s.split(",") if m]
    for m in modes:
        if m not in ALL_MODES:
            raise Bad("mode '%s': expected %s" % (m, ", ".join(ALL_MODES)))
    if not modes:
        raise Bad("no mode given")
    return modes


def load_plan(path):
    p = load_json(path, "plan")
    if p.get("schema") != PLAN_SCHEMA:
        raise Bad("%s: not a plan (schema %r)" % (path, p.get("schema")))
    return p


# ---------------------------------------------------------------- inputs
def failure_reasons(path):
    """key -> reason, from farm --json's failures and the index's failures"""
    out = {}
    if not path or not os.path.exists(path) or os.path.getsize(path) == 0:
        return out
    d = load_json(path, "failures")
    for i, f in enumerate(d.get("failures") or []):
        key = need(f, "key", (str,), "%s: failures[%d]" % (path, i))
        why = need(f, "reason", (str,), "%s: failures[%d]" % (path, i), nullable=True) or "?"
        kind = f.get("kind")
        out.setdefault(key, []).append(("%s: %s" % (kind, why)) if kind else why)
    return out


def cmd_inputs(a):
    plan = load_plan(a.plan)
    legacy = set()
    if a.index and os.path.exists(a.index) and os.path.getsize(a.index):
        idx = load_json(a.index, "repository index")
        for i, art in enumerate(need(idx, "artifacts", (list,), a.index)):
            w = "%s: artifacts[%d]" % (a.index, i)
            if need(art, "kind", (str,), w) != "legacy-object":
                continue
            if art.get("probe_version") != plan["agent"]["probe_version"]:
                continue
            kern = need(art, "kernel", (dict,), w)
            legacy.add("%s:%s" % (need(kern, "target", (str,), w + ".kernel"),
                                  need(kern, "kernelrelease", (str,), w + ".kernel")))
    why = failure_reasons(a.farm)
    for key, r in failure_reasons(a.index).items():
        why.setdefault(key, r)
    with_image, with_legacy = [], []
    for k in plan["kernels"]:
        if not k["boot"]:
            continue
        img = k["image"]
        fkey = "%s:%s" % (k["target"], k["kernelrelease"])	# the farm's and the index's key
        path = os.path.join(a.cache, "packages", "%s-%s.pkg" % (img["sha256"], img["name"]))
        k["package"] = None
        try:
            st = os.stat(path)
            if st.st_size != img["size"]:
                k["not_fetched"] = "%s: %d bytes, the catalog says %d" % (path, st.st_size, img["size"])
            else:
                k["package"] = path
        except OSError as e:
            r = "; ".join(why.get(fkey, [])) or (
                "the farm downloads an image only while it builds the kernel, and a kernel "
                "its repository holds is not built again")
            k["not_fetched"] = "%s not in the package cache (%s): %s" % (img["name"], e.strerror, r)
        if not k["package"]:
            continue
        with_image.append(path)
        if "legacy" in k["modes"]:
            if fkey in legacy:
                with_legacy.append(path)
            else:
                k["no_legacy"] = "the repository lists no legacy object for %s (%s)" % (
                    fkey, "; ".join(why.get(fkey, [])) or "no build failure recorded")
    write_atomic(a.plan, json.dumps(plan, indent=1) + "\n")
    write_atomic(a.image_list, "".join(p + "\n" for p in with_image))
    write_atomic(a.legacy_list, "".join(p + "\n" for p in with_legacy))
    note("%d packages to boot, %d with a legacy object, %d not fetched" % (
        len(with_image), len(with_legacy),
        sum(1 for k in plan["kernels"] if k.get("not_fetched"))))


# ---------------------------------------------------------------- report
ROW_KEYS = ("result", "outcome", "reason", "retried", "candidate", "btf", "selfcheck_latency_ms",
            "boot_to_verdict_s", "vm_wall_s", "accel", "artifact", "console_tail", "console_log")


def synth(outcome, reason):
    return {"result": "error", "outcome": outcome, "reason": reason, "candidate": None,
            "boot_to_verdict_s": None}


def cmd_report(a):
    plan = load_plan(a.plan)
    runs = [check_verify(p) for p in a.verify]
    missing = {}	# mode -> why its verify run gave no rows
    for x in a.missing_reason:
        mode, sep, why = x.partition("=")
        if not sep or mode not in ALL_MODES:
            raise Bad("--missing-reason '%s': expected MODE=TEXT" % x)
        missing[mode] = why
    by_input, by_sha = {}, {}
    for k in plan["kernels"]:
        if k.get("package"):
            by_input[k["package"]] = k
        by_sha[k["image"]["sha256"]] = k
    now = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(a.now if a.now is not None else None))
    for vi, v in enumerate(runs):
        for i, r in enumerate(v["results"]):
            k = by_input.get(r["input"])
            if k is None:	# the cache path as verify wrote it back: <sha256>-<name>.pkg
                m = re.match(r"([0-9a-f]{64})-", os.path.basename(r["input"]))
                k = by_sha.get(m.group(1)) if m else None
            if k is None:
                raise Bad("%s: results[%d]: input '%s' is no kernel of the plan" % (
                    a.verify[vi], i, r["input"]))
            res = k.setdefault("results", {})
            if r["mode"] in res:
                raise Bad("%s: results[%d]: a second %s row for %s" % (
                    a.verify[vi], i, r["mode"], k["uname_r"]))
            res[r["mode"]] = {f: r.get(f) for f in ROW_KEYS}
            res[r["mode"]]["date"] = now
    kernels = []
    for k in plan["kernels"]:
        e = {"key": k["key"], "suite": k["suite"], "uname_r": k["uname_r"], "flavor": k["flavor"],
             "package": k["image"]["name"], "version": k["image"]["version"],
             "image_sha256": k["image"]["sha256"], "headers": k["headers"],
             "agent": plan["agent"], "carried": not k["boot"], "modes": {}}
        if k["boot"] and k.get("why_boot"):
            e["booted_because"] = k["why_boot"]	# --since: what changed
        for m in plan["modes"]:
            if m not in k["modes"]:
                continue	# legacy without headers: not applicable, no row
            if not k["boot"]:
                row = k["carried"][m]
            elif k.get("not_fetched"):
                row = synth("not-fetched", k["not_fetched"])
            elif m == "legacy" and k.get("no_legacy"):
                row = synth("no-artifact", k["no_legacy"])
            else:
                row = (k.get("results") or {}).get(m) or synth(
                    "no-row", missing.get(m) or "probekit verify gave no %s row for this kernel" % m)
            e["modes"][m] = row
        if k["modes"] != plan["modes"]:
            e["not_applicable"] = {"legacy": k.get("headers_missing") or "no headers package"}
        kernels.append(e)
    matrix = {"schema": SCHEMA, "generated": now, "agent": plan["agent"], "modes": plan["modes"],
              "suites": [s for s in plan["suites"] if any(k["suite"] == s for k in kernels)],
              "matrix_wall_s": round(sum(v["wall_s"] for v in runs), 1),
              "run_wall_s": a.run_wall_s, "farm_s": a.farm_s,
              "jobs": runs[0]["jobs"] if runs else a.jobs,
              "timeout_s": max([v.get("timeout_s") or 0 for v in runs] or [0]) or None,
              "accel": sorted({v["accel"] for v in runs if v.get("accel")}),
              "kvm_unused_reason": next((v["kvm_unused_reason"] for v in runs
                                         if v.get("kvm_unused_reason")), None),
              "host": host_info(), "scope": scope_text(plan),
              "since": {"file": plan["since"], "carried": sum(k["carried"] for k in kernels),
                        "booted": sum(not k["carried"] for k in kernels)} if plan["since"] else None,
              "summary": summary(kernels, plan["modes"]), "kernels": kernels}
    write_atomic(a.json, scrub(json.dumps(matrix, indent=1, sort_keys=False) + "\n"))
    write_atomic(a.md, scrub(markdown(matrix)))
    # a run that booted nothing (everything carried over) has no numbers: the
    # block keeps the last run's that had some
    if a.bench and any(r["outcome"] not in NO_BOOT for k in kernels if not k["carried"]
                       for r in k["modes"].values()):
        rewrite_bench(a.bench, bench_block(matrix))
    elif a.bench:
        note("nothing booted: %s's bench:verify block left as it was" % a.bench)
        a.bench = None
    s = matrix["summary"]
    note("%s; wrote %s, %s%s" % ("; ".join("%s %d pass %d fail %d error" % (
        m, s[m]["pass"], s[m]["fail"], s[m]["error"]) for m in plan["modes"]),
        a.md, a.json, " and " + a.bench if a.bench else ""))
    bad = sum(s[m]["fail"] + s[m]["error"] for m in plan["modes"])
    sys.exit(1 if bad else 0)


def host_info():
    try:
        with open("/proc/loadavg") as f:
            load = " ".join(f.read().split()[:3])
    except OSError:
        load = None
    return {"cpus": os.cpu_count(), "kernel": os.uname().release, "load_average": load}


def scope_text(plan):
    f = plan["filters"]
    n = len(plan["kernels"])
    if f["suites"] or f["match"] or f["limit"] is not None:
        s = "SUBSET: %d of the catalog's %d kernels (" % (n, plan["catalog_kernels"])
        s += ", ".join(x for x in (
            "suites %s" % " ".join(f["suites"]) if f["suites"] else "",
            "uname -r matching /%s/" % f["match"] if f["match"] else "",
            "first %d" % f["limit"] if f["limit"] is not None else "") if x) + ")"
    else:
        s = "every kernel of the catalog: %d" % n
    if plan["unreadable_suites"]:
        s += "; suites not read: %s" % ", ".join(
            "%s (%s)" % (u["suite"], u["reason"]) for u in plan["unreadable_suites"])
    return s


def summary(kernels, modes):
    out = {}
    for m in modes:
        rows = [(k["modes"][m], k["carried"]) for k in kernels if m in k["modes"]]
        out[m] = {r: sum(1 for x, _ in rows if x["result"] == r) for r in RESULTS}
        out[m]["carried"] = sum(1 for _, c in rows if c)
        out[m]["not_applicable"] = sum(1 for k in kernels if m not in k["modes"])
    return out


def md_cell(s):
    s = "" if s is None else str(s)
    return re.sub(r"[\x00-\x1f\x7f]", " ", s).replace("|", "\\|")


def cell(row):
    if row is None:
        return "n/a (no headers)"
    if row["outcome"] == "not-fetched":
        return "**not fetched**"
    t = "%.1f s" % row["boot_to_verdict_s"] if row.get("boot_to_verdict_s") is not None else None
    if row["result"] == "pass":
        return "pass: %s" % ", ".join(x for x in (row.get("candidate") or "?", t) if x)
    return "**%s** (%s)" % (row["result"], row["outcome"])


def fence(text):
    text = re.sub(r"[\x00-\x08\x0b-\x1f\x7f]", "", text or "").rstrip("\n")
    longest = max([len(x) for x in re.findall(r"`+", text)] + [2])
    f = "`" * (longest + 1)
    return "%s\n%s\n%s" % (f, text, f)


def markdown(m):
    modes, s = m["modes"], m["summary"]
    o = ["# Kernel matrix", "",
         "Generated by `make verify-all` (scripts/verify-all.sh, scripts/kernel-matrix.py; "
         "machine-readable: docs/kernel-matrix.json). Every kernel image of the Debian catalog "
         "(`probekit kernels --distro debian`), booted under QEMU with the agent inside, "
         "`probekit selftest` per mode: btf = as booted (sysfs BTF); no-btf = /sys/kernel/btf "
         "hidden, so the agent's embedded reduced BTF (or a BTF file made from the image) must "
         "serve; legacy = sysfs BTF hidden and only this kernel's legacy object from the farm's "
         "repository (`repo-legacy`) may win, for every kernel with a headers package. Cells: "
         "result, winning candidate, boot-to-verdict time (QEMU launch to the verdict on the "
         "serial console).", ""]
    o.append("- run: %s; agent probekit %s, probe version %s" % (
        m["generated"], m["agent"]["version"], m["agent"]["probe_version"]))
    o.append("- results: " + "; ".join(
        "%s %d pass, %d fail, %d error%s" % (
            md, s[md]["pass"], s[md]["fail"], s[md]["error"],
            " (%d without headers: n/a)" % s[md]["not_applicable"] if s[md]["not_applicable"] else "")
        for md in modes))
    acc = ", ".join(m["accel"]) or "-"
    if m["kvm_unused_reason"]:
        acc += " (KVM not used: %s)" % m["kvm_unused_reason"]
    w = "- matrix wall time %.0f s (the verify runs, -j %d, accel %s%s)" % (
        m["matrix_wall_s"], m["jobs"], acc,
        ", at most %.0f s per boot" % m["timeout_s"] if m["timeout_s"] else "")
    if m["run_wall_s"] is not None:
        w += "; whole run %.0f s (catalog, farm%s, packages, boots)" % (
            m["run_wall_s"], " %.0f s" % m["farm_s"] if m["farm_s"] is not None else "")
    o.append(w)
    h = m["host"]
    o.append("- host: %s CPUs, kernel %s, load average at the end %s" % (h["cpus"], h["kernel"], h["load_average"]))
    o.append("- scope: %s" % m["scope"])
    if m["since"]:
        o.append("- changed-only (`--since %s`): %d kernel(s) booted, %d carried over from earlier runs "
                 "(same image SHA256, same agent, a verdict in every mode; marked *carried*)" % (
                     m["since"]["file"], m["since"]["booted"], m["since"]["carried"]))
    for suite in m["suites"]:
        ks = [k for k in m["kernels"] if k["suite"] == suite]
        o += ["", "## %s" % suite, "",
              "| uname -r | package version | flavor | " + " | ".join(modes) + " |",
              "|---|---|---|" + "---|" * len(modes)]
        for k in ks:
            o.append("| %s%s | %s | %s | %s |" % (
                md_cell(k["uname_r"]), " *carried*" if k["carried"] else "", md_cell(k["version"]),
                md_cell(k["flavor"]),
                " | ".join(md_cell(cell(k["modes"].get(md))) for md in modes)))
    # one entry per kernel and failure: modes that failed alike (not fetched: all
    # of them) share it
    o += ["", "## Failures", ""]
    n = 0
    for k in m["kernels"]:
        groups = []
        for md in modes:
            r = k["modes"].get(md)
            if r is None or r["result"] == "pass":
                continue
            same = next((g for g in groups if g[1]["outcome"] == r["outcome"] and
                         g[1].get("reason") == r.get("reason") and
                         g[1].get("console_tail") == r.get("console_tail")), None)
            if same:
                same[0].append(md)
            else:
                groups.append(([md], r))
        for mds, r in groups:
            n += 1
            o.append("### %s (%s), %s: %s (%s)%s" % (
                k["uname_r"], k["suite"], ", ".join(mds), r["result"], r["outcome"],
                ", carried from %s" % r["carried_from"] if r.get("carried_from") else ""))
            o.append("")
            o.append(re.sub(r"[\x00-\x1f\x7f]", " ", r.get("reason") or "no reason given"))
            if r.get("console_tail"):
                o += ["", fence(r["console_tail"])]
            o.append("")
    if not n:
        o.append("None.")
    return "\n".join(o).rstrip("\n") + "\n"


def bench_block(m):
    b = ["<!-- bench:verify:begin -->", "## probekit verify: boot-to-verdict (`make verify-all`)", ""]
    acc = ", ".join(m["accel"]) or "-"
    if m["kvm_unused_reason"]:
        acc += " (KVM not used: %s)" % m["kvm_unused_reason"]
    h = m["host"]
    b.append("%s, %s CPUs, host kernel %s, accel %s, -j %d, agent probekit %s (probe %s). "
             "Boot-to-verdict: QEMU launch until the guest's selftest verdict is on the serial "
             "console (kernel boot, initramfs, agent load, canary self-check). Scope: %s. "
             "Only kernels booted by this run count; carried-over rows do not." % (
                 m["generated"], h["cpus"], h["kernel"], acc, m["jobs"],
                 m["agent"]["version"], m["agent"]["probe_version"], m["scope"]))
    b += ["", "| mode | boots | min s | median s | max s |", "|---|---|---|---|---|"]
    boots = 0
    for md in m["modes"]:
        rows = [k["modes"][md] for k in m["kernels"] if md in k["modes"] and not k["carried"]]
        boots += sum(1 for r in rows if r["outcome"] not in NO_BOOT)
        t = sorted(r["boot_to_verdict_s"] for r in rows if r.get("boot_to_verdict_s") is not None)
        if t:
            b.append("| %s | %d | %.1f | %.1f | %.1f |" % (md, len(t), t[0], statistics.median(t), t[-1]))
        else:
            b.append("| %s | 0 | - | - | - |" % md)
    b.append("")
    w = m["matrix_wall_s"]
    line = "Whole matrix: %d boots in %.0f s of wall time at -j %d" % (boots, w, m["jobs"])
    if w > 0:
        line += " (%.1f boots per minute)" % (boots * 60.0 / w)
    if m["run_wall_s"] is not None:
        line += "; the whole run, catalog and farm included, %.0f s" % m["run_wall_s"]
    if m["since"]:
        line += "; %d kernels carried over by --since" % m["since"]["carried"]
    b += [line + ".", "<!-- bench:verify:end -->"]
    return "\n".join(b) + "\n"


def rewrite_bench(path, block):
    text = open(path).read() if os.path.exists(path) else ""
    mt = re.search(r"<!-- bench:verify:begin -->.*?<!-- bench:verify:end -->\n?", text, re.S)
    if mt:
        text = text[:mt.start()] + block + text[mt.end():]
    else:
        text += ("\n" if text and not text.endswith("\n") else "") + ("\n" if text else "") + block
    write_atomic(path, text)


# ---------------------------------------------------------------- main
def main():
    ap = argparse.ArgumentParser(
        prog="kernel-matrix.py",
        description="make verify-all's data: plan (which catalog kernels to boot, --since), "
                    "inputs (their packages and legacy objects), report (docs/kernel-matrix."
                    "{md,json}, the bench:verify block). Run by scripts/verify-all.sh.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("plan", help="select catalog kernels; print the kernelreleases to boot")
    p.add_argument("--catalog", required=True, help="probekit kernels --json output")
    p.add_argument("--agent", required=True, help="probekit version --json output")
    p.add_argument("--modes", default="btf,no-btf,legacy")
    p.add_argument("--suite", action="append", default=[])
    p.add_argument("--match", help="regex on uname -r")
    p.add_argument("--limit", type=int)
    p.add_argument("--since", help="a previous kernel-matrix.json: carry unchanged kernels over")
    p.add_argument("--out", required=True, help="the plan (JSON)")
    p = sub.add_parser("inputs", help="packages and legacy objects of the kernels to boot")
    p.add_argument("--plan", required=True)
    p.add_argument("--cache", required=True, help="the farm's cache (packages/ under it)")
    p.add_argument("--index", help="repo ls --json output")
    p.add_argument("--farm", help="farm --json output")
    p.add_argument("--image-list", required=True)
    p.add_argument("--legacy-list", required=True)
    p = sub.add_parser("report", help="write kernel-matrix.{md,json} and the bench block")
    p.add_argument("--plan", required=True)
    p.add_argument("--verify", action="append", default=[], help="probekit verify --json output")
    p.add_argument("--missing-reason", action="append", default=[], metavar="MODE=TEXT",
                   help="why a mode has no rows (its verify run could not run)")
    p.add_argument("--md", required=True)
    p.add_argument("--json", required=True)
    p.add_argument("--bench", help="docs/benchmarks.md: its bench:verify block is rewritten")
    p.add_argument("--run-wall-s", type=float)
    p.add_argument("--farm-s", type=float)
    p.add_argument("--jobs", type=int, default=0)
    p.add_argument("--now", type=float, help=argparse.SUPPRESS)
    a = ap.parse_args()
    try:
        {"plan": cmd_plan, "inputs": cmd_inputs, "report": cmd_report}[a.cmd](a)
    except Bad as e:
        die(str(e))
    except OSError as e:
        die("%s: %s" % (e.filename or "", e.strerror), 3)


if __name__ == "__main__":
    main()
