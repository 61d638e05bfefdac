#!/usr/bin/env bash
# `probekit kernels` against the live Debian mirrors this machine's apt names: every
# suite discovered and read (signature, index digests), about 260 kernel images in
# three flavors from 5.10 up, headers resolved across suites, kernel-crawler's form;
# then a second crawl with nothing new answered by 304s from the cache. Skipped, with
# the reason, when the mirror cannot be reached at all.
. "$(dirname "$0")/../lib.sh"

CACHE=$TMP/cache
# forky and sid are often past Valid-Until on a frozen mirror: --allow-expired keeps
# them in (marked), so the counts below do not depend on the snapshot's age
"$PK" kernels --json --allow-expired -q --cache "$CACHE" >"$TMP/k.json" 2>"$TMP/k.err"
rc=$?
if [ $rc -eq 3 ]; then
	fail "live crawl" "exit 3: $(head -3 "$TMP/k.err")"
	exit 0
fi
unreachable=$(python3 - "$TMP/k.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
s = d["suites"]
net = (101, 110, 111, 113)   # ENETUNREACH ETIMEDOUT ECONNREFUSED EHOSTUNREACH
print("yes" if s and all(x["state"] == "error" and x.get("errno") in net for x in s) else "no")
EOF
)
if [ "$unreachable" = yes ]; then
	skip "live crawl" "the Debian mirror is unreachable: $(head -1 "$TMP/k.err")"
	exit 0
fi
[ $rc -eq 0 ] && pass "live crawl: exit 0, every suite read" ||
	fail "live crawl: exit 0, every suite read" "exit $rc: $(grep error "$TMP/k.err" | head -3)"

check=$(python3 - "$TMP/k.json" <<'EOF'
import json, re, sys
d = json.load(open(sys.argv[1]))
bad = []
ok = [s for s in d["suites"] if s["state"] in ("ok", "expired-accepted")]
names = {s["suite"] for s in ok}
for want in ("bookworm", "bookworm-security", "trixie", "trixie-security", "trixie-backports"):
    if want not in names:
        bad.append("suite %s not read" % want)
if len(ok) < 10:
    bad.append("only %d suites read" % len(ok))
ks = d["kernels"]
if len(ks) < 200:
    bad.append("only %d kernels" % len(ks))
flavors = {k["flavor"] for k in ks}
if flavors != {"amd64", "cloud-amd64", "rt-amd64"}:
    bad.append("flavors %s" % sorted(flavors))
majors = {".".join(k["uname_r"].split(".")[:2]) for k in ks}
for m in ("5.10", "6.1", "6.12"):
    if m not in majors:
        bad.append("no %s kernel" % m)
whole = 0
for k in ks:
    if not re.match(r"\d+\.\d+\.\d+[-+]", k["uname_r"]) or not re.fullmatch(r"linux-(image|binary)-" + re.escape(k["uname_r"]) + r"(-unsigned)?", k["image"]["name"]):
        bad.append("%s: uname -r %s of %s (a meta package?)" % (k["key"], k["uname_r"], k["image"]["name"]))
    if k["target"] != "debian" or k["kernelversion"] != "1":
        bad.append("%s: target/kernelversion" % k["key"])
    if not re.fullmatch(r".*-(amd64|cloud-amd64|rt-amd64)", k["kernelrelease"]) or \
       not k["kernelrelease"].startswith(k["image"]["version"] + "-"):
        bad.append("%s: kernelrelease is not version + flavor" % k["key"])
    for p in [k["image"]] + k["headers"]:
        if not re.fullmatch(r"[0-9a-f]{64}", p["sha256"] or "") or not p["url"].startswith("http") or p["size"] <= 0:
            bad.append("%s: package %s lacks url/size/sha256" % (k["key"], p["name"]))
    if not k["headers_missing"]:
        whole += 1
        names = [h["name"] for h in k["headers"]]
        if not names[0].startswith("linux-headers-") or not any("-common" in n for n in names) \
           or not any(n.startswith("linux-kbuild-") for n in names):
            bad.append("%s: headers %s" % (k["key"], names))
if whole < 50:
    bad.append("only %d kernels with whole headers" % whole)
print("; ".join(bad[:5]) if bad else "ok %d kernels, %d suites, %d with headers" % (len(ks), len(ok), whole))
EOF
)
case "$check" in
ok*) pass "live crawl: suites, flavors, versions, names, packages, headers across suites ($check)" ;;
*) fail "live crawl: suites, flavors, versions, names, packages, headers across suites" "$check" ;;
esac

# kernel-crawler's list.json: {"Debian": [{kernelrelease, kernelversion, target, headers}]}
"$PK" kernels --format kernel-crawler --allow-expired -q --cache "$CACHE" >"$TMP/kc.json" 2>/dev/null
kc=$(python3 - "$TMP/kc.json" "$TMP/k.json" <<'EOF'
import json, sys
kc = json.load(open(sys.argv[1])); d = json.load(open(sys.argv[2]))
deb = kc.get("Debian", [])
want = {(k["kernelrelease"]) for k in d["kernels"] if not k["headers_missing"]}
got = {e["kernelrelease"] for e in deb}
keys_ok = all(set(e) == {"kernelrelease", "kernelversion", "target", "headers"} for e in deb)
print("ok" if got == want and keys_ok and list(kc) == ["Debian"] else "got %d want %d keys_ok %s" % (len(got), len(want), keys_ok))
EOF
)
[ "$kc" = ok ] && pass "kernel-crawler format: the kernels with headers, its four fields" ||
	fail "kernel-crawler format: the kernels with headers, its four fields" "$kc"

# nothing new: every InRelease answers 304, or (a mirror without validators, like
# the one this machine uses) the same bytes: no index is fetched again
"$PK" kernels --json --allow-expired --cache "$CACHE" >"$TMP/k2.json" 2>"$TMP/k2.err"
requests=$(grep -o '[0-9]* requests' "$TMP/k2.err" | grep -o '[0-9]*')
again=$(python3 - "$TMP/k.json" "$TMP/k2.json" "${requests:-9999}" <<'EOF'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
read = [s for s in b["suites"] if s["state"] in ("ok", "expired-accepted")]
same = [k["key"] for k in a["kernels"]] == [k["key"] for k in b["kernels"]]
# unchanged means no Packages index was fetched: one request per suite asked, at most
# (InRelease), plus the discovery aliases
asked = len(b["suites"]) + 5
req = int(sys.argv[3])
print("ok" if same and read and all(s["unchanged"] for s in read) and req <= asked else
      "same=%s unchanged=%d/%d requests=%d (at most %d)" % (same, sum(s["unchanged"] for s in read), len(read), req, asked))
EOF
)
[ "$again" = ok ] && pass "second crawl: the same catalog, every suite unchanged ($(grep -o '[0-9.]* s, [0-9]* requests.*MiB' "$TMP/k2.err"))" ||
	fail "second crawl: the same catalog, every suite unchanged" "$again"

# a suite named on the command line that the mirror does not serve is an error
"$PK" kernels --suite no-such-suite -q --cache "$CACHE" >"$TMP/n.txt" 2>"$TMP/n.err"
rc=$?
if [ $rc -eq 1 ] && grep -q "no-such-suite.*404" "$TMP/n.err" && grep -q "no-such-suite .*ERROR" "$TMP/n.txt"; then
	pass "a named suite the mirror lacks: listed with its reason, on stderr, exit 1"
else
	fail "a named suite the mirror lacks: listed with its reason, on stderr, exit 1" "exit $rc: $(cat "$TMP/n.err")"
fi
