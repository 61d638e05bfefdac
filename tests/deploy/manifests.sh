# deploy/: every manifest parses (and passes yamllint in the project's style), and
# the agent's DaemonSet agrees with the agent: probe paths and ports with --metrics,
# the cache path between fetch, run and the hostPath, the key and repositories with
# the ConfigMap, and every flag it passes with the binary's --help.
. "$(dirname "$0")/../lib.sh"

if ! python3 -c 'import yaml' 2>/dev/null; then
	skip "deploy manifests" "python3-yaml not installed (scripts/deps.sh installs it)"
	exit 0
fi
if command -v yamllint >/dev/null; then
	if yamllint -s -c tests/deploy/yamllint.yaml deploy/ >"$TMP/lint" 2>&1; then
		pass "yamllint deploy/"
	else
		fail "yamllint deploy/" "$(head -5 "$TMP/lint" | tr '\n' ' ')"
	fi
else
	skip "yamllint deploy/" "yamllint not installed (scripts/deps.sh installs it)"
fi

"$PK" run --help >"$TMP/run.help" 2>&1
"$PK" fetch --help >"$TMP/fetch.help" 2>&1 || : >"$TMP/fetch.help"

python3 - "$TMP/run.help" "$TMP/fetch.help" <<'EOF'
import glob, re, shlex, sys, yaml
from urllib.parse import urlparse

run_help, fetch_help = (open(p).read() for p in sys.argv[1:3])
def ok(name): print(f"PASS {name}")
def bad(name, why): print(f"FAIL {name}: {why}")
def check(name, cond, why=""):
    ok(name) if cond else bad(name, why)

docs = {}
for f in sorted(glob.glob("deploy/**/*.y*ml", recursive=True)):
    try:
        for d in yaml.safe_load_all(open(f)):
            if isinstance(d, dict) and "kind" in d:	# a Kubernetes object (not a CI workflow)
                docs.setdefault((d["kind"], d["metadata"]["name"]), d)
        ok(f"{f} parses")
    except Exception as e:
        bad(f"{f} parses", str(e).replace("\n", " "))

ds = docs.get(("DaemonSet", "probekit"))
if not ds:
    bad("agent DaemonSet", "no DaemonSet named probekit under deploy/")
    sys.exit(0)
spec = ds["spec"]["template"]["spec"]
agent = next(c for c in spec["containers"] if c["name"] == "agent")
init = next(c for c in spec.get("initContainers", []) if c["name"] == "fetch")
vols = {v["name"]: v for v in spec["volumes"]}

def flags(args):
    """--flag value pairs of an argv"""
    out = {}
    for i, a in enumerate(args):
        if a.startswith("--"):
            out[a] = args[i + 1] if i + 1 < len(args) and not args[i + 1].startswith("--") else None
    return out

run_args = agent.get("command", [])[1:] + agent["args"]
check("agent container runs `probekit run`", run_args[:1] == ["run"], run_args[:2])
rf = flags(run_args)
unknown = [f for f in rf if not re.search(r"(^|\s)" + re.escape(f) + r"\b", run_help)]
if unknown and not fetch_help:
    print(f"SKIP flags of run: this probekit predates fetch and the repository flags ({' '.join(unknown)})")
else:
    check("every flag the DaemonSet gives run is in `probekit run --help`", not unknown, unknown)

# probes and ports follow --metrics
m = re.fullmatch(r"(.*):(\d+)", rf.get("--metrics") or "")
port = int(m.group(2)) if m else None
check("agent serves metrics on every address (--metrics :PORT)", m and m.group(1) == "", rf.get("--metrics"))
ports = {p["name"]: p["containerPort"] for p in agent.get("ports", [])}
check("containerPort 'metrics' is --metrics' port", ports.get("metrics") == port, f"{ports} vs {port}")
for probe, path in (("readinessProbe", "/ready"), ("livenessProbe", "/healthz")):
    g = agent.get(probe, {}).get("httpGet", {})
    p = ports.get(g.get("port"), g.get("port"))
    check(f"{probe}: GET {path} on the metrics port", g.get("path") == path and p == port, g)
ann = ds["spec"]["template"]["metadata"].get("annotations", {})
check("prometheus annotations name the metrics port and path",
      ann.get("prometheus.io/port") == str(port) and ann.get("prometheus.io/path") == "/metrics", ann)

check("hostPID (the kernel's pids are the node's)", spec.get("hostPID") is True)

# one cache: fetch writes where run reads, on the node's disk
script = " ".join(init.get("command", []) + init.get("args", []))
m = re.search(r"probekit fetch ([^|;&]*)", script)
ff = flags(shlex.split(m.group(1))) if m else {}
check("init container runs `probekit fetch`", m is not None, script)
if fetch_help:
    unknown = [f for f in ff if not re.search(r"(^|\s)" + re.escape(f) + r"\b", fetch_help)]
    check("every flag the DaemonSet gives fetch is in `probekit fetch --help`", not unknown, unknown)
else:
    print("SKIP flags of fetch: this probekit has no fetch command yet")
cache = rf.get("--cache")
check("fetch and run use one --cache", cache and ff.get("--cache") == cache, f"{ff.get('--cache')} vs {cache}")
check("run starts --offline from that cache", "--offline" in rf)
def mount(c, path):
    return next((vm for vm in c.get("volumeMounts", []) if vm["mountPath"] == path), None)
for c in (init, agent):
    vm = mount(c, cache)
    hp = vols.get(vm["name"], {}).get("hostPath", {}) if vm else {}
    check(f"{c['name']}: the cache is the node's {cache} (DirectoryOrCreate)",
          hp.get("path") == cache and hp.get("type") == "DirectoryOrCreate" and not vm.get("readOnly"), hp)

# the host's os-release under --host-root, for both
root = ff.get("--host-root")
env = lambda c: {e["name"]: e for e in c.get("env", [])}
check("run reads the same host root (HOST_ROOT)", env(agent).get("HOST_ROOT", {}).get("value") == root,
      env(agent).get("HOST_ROOT"))
for c in (init, agent):
    vm = mount(c, f"{root}/etc/os-release")
    hp = vols.get(vm["name"], {}).get("hostPath", {}) if vm else {}
    check(f"{c['name']}: the node's /etc/os-release at {root}/etc/os-release",
          hp.get("path") == "/etc/os-release" and vm.get("readOnly"), hp)
sysfs = [v["hostPath"]["path"] for v in vols.values() if "hostPath" in v and v["hostPath"]["path"].startswith("/sys")]
check("no hostPath under /sys (a kernel without BTF must not keep the pod off its node)", not sysfs, sysfs)

# key and repositories from the ConfigMap
for c in (init, agent):
    e = env(c)
    ref = e.get("PROBEKIT_REPOS", {}).get("valueFrom", {}).get("configMapKeyRef", {})
    cm = docs.get(("ConfigMap", ref.get("name")))
    check(f"{c['name']}: PROBEKIT_REPOS from the ConfigMap", cm and ref.get("key") in cm["data"], ref)
    key = e.get("PROBEKIT_REPO_KEY", {}).get("value", "")
    found = False
    for vm in c.get("volumeMounts", []):
        v = vols.get(vm["name"], {})
        if "configMap" in v and key.startswith(vm["mountPath"] + "/"):
            cmk = docs.get(("ConfigMap", v["configMap"]["name"]), {}).get("data", {})
            items = {i["path"]: i["key"] for i in v["configMap"].get("items", [])} or {k: k for k in cmk}
            found = items.get(key[len(vm["mountPath"]) + 1:]) in cmk
    check(f"{c['name']}: PROBEKIT_REPO_KEY is the ConfigMap's key file", found, key)

# placeholders only: example domains (RFC 2606), never a real host
for (kind, name), d in docs.items():
    if kind != "ConfigMap":
        continue
    urls = re.findall(r"[a-z]+://[^\s\"']+", " ".join(str(v) for v in d.get("data", {}).values()))
    hosts = [urlparse(u).hostname or "" for u in urls if not u.startswith("file://")]
    real = [h for h in hosts if "example" not in h.split(".")]
    check(f"ConfigMap {name}: repository URLs are example.* placeholders", not real, real)
EOF
