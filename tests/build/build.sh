#!/usr/bin/env bash
# `probekit build` end to end on real Debian kernels from the live catalog: the newest
# amd64 kernel of bullseye (5.10), bookworm (6.1) and trixie (6.12) security suites.
# Each gives its three artifacts in the repository layout with a build record; the
# legacy object boots in that very kernel under QEMU and passes the self-check with
# sysfs BTF hidden (verify --mode object); a second build elsewhere is byte-identical;
# a kernel without headers is recorded as a failure and the others go on.
# Packages are cached in /var/cache/probekit (PROBEKIT_CACHE) between runs.
. "$(dirname "$0")/../lib.sh"

CACHE=${PROBEKIT_CACHE:-/var/cache/probekit}
TIMEOUT=${VERIFY_TIMEOUT:-900}
for t in clang llc llvm-strip qemu-system-x86_64; do
	command -v $t >/dev/null || { fail "build" "$t not installed (make deps)"; exit 0; }
done

"$PK" kernels --json --allow-expired -q --cache "$CACHE" >"$TMP/cat.json" 2>"$TMP/cat.err"
read -r -a picks < <(python3 - "$TMP/cat.json" <<'EOF'
import json, sys
from functools import cmp_to_key
d = json.load(open(sys.argv[1]))
out = []
for suite, major in (("bullseye-security", "5.10."), ("bookworm-security", "6.1."), ("trixie-security", "6.12.")):
    ks = [k for k in d["kernels"] if k["suite"] == suite and k["flavor"] == "amd64"
          and k["uname_r"].startswith(major) and not k["headers_missing"]]
    if ks:
        out.append(ks[-1]["key"])   # the catalog is sorted: the newest last
# and one kernel whose headers the mirror no longer has
miss = [k for k in d["kernels"] if k["headers_missing"] and k["flavor"] == "amd64"]
out.append(miss[-1]["key"] if miss else "-")
print(" ".join(out))
EOF
)
if [ ${#picks[@]} -lt 4 ]; then
	reach=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(all(s["state"]=="error" for s in d["suites"]))' "$TMP/cat.json" 2>/dev/null)
	[ "$reach" = True ] && skip "build" "the Debian mirror is unreachable: $(head -1 "$TMP/cat.err")" ||
		fail "build: pick kernels" "got '${picks[*]}'; $(head -2 "$TMP/cat.err")"
	exit 0
fi
missing=${picks[3]}
picks=("${picks[@]:0:3}")

# all three at -j 2, plus the one without headers: its failure must not stop them
start=$SECONDS
"$PK" build "${picks[@]}" $([ "$missing" != - ] && echo "$missing") --allow-expired -j 2 \
	--out "$TMP/repo" --cache "$CACHE" -q >"$TMP/b.out" 2>"$TMP/b.err"
rc=$?
echo "# build of ${#picks[@]}+1 kernels at -j 2: $((SECONDS - start)) s"
cat "$TMP/b.out" | sed 's/^/# /'
want_rc=0
[ "$missing" != - ] && want_rc=1
[ $rc -eq $want_rc ] && pass "build: exit $want_rc (a kernel without headers fails alone)" ||
	fail "build: exit $want_rc (a kernel without headers fails alone)" "exit $rc: $(tail -5 "$TMP/b.err")"

check=$(python3 - "$TMP/repo" "$TMP/cat.json" "$missing" "${picks[@]}" <<'EOF'
import glob, hashlib, json, os, sys
repo, cat, missing, keys = sys.argv[1], json.load(open(sys.argv[2])), sys.argv[3], sys.argv[4:]
bad = []
recs = glob.glob(os.path.join(repo, "_build", "*", "*.json"))
pv = {os.path.basename(os.path.dirname(r)) for r in recs}
if len(pv) != 1:
    bad.append("probe versions %s" % pv)
by = {json.load(open(r))["key"]: json.load(open(r)) for r in recs}
for key in keys:
    r = by.get(key)
    if not r:
        bad.append("%s: no record" % key); continue
    k = [k for k in cat["kernels"] if k["key"] == key][0]
    if r["status"] != "ok":
        bad.append("%s: %s" % (key, [a.get("reason") for a in r["artifacts"]])); continue
    kinds = sorted(a["kind"] for a in r["artifacts"])
    if kinds != ["full-btf", "legacy-object", "reduced-btf"]:
        bad.append("%s: artifacts %s" % (key, kinds))
    want = {
        "legacy-object": "%s/x86_64/probekit_debian_%s_1.o" % (r["probe_version"], k["kernelrelease"]),
        "reduced-btf": "%s/btf/debian/%s/x86_64/%s.btf" % (r["probe_version"], k["version_id"], k["uname_r"]),
        "full-btf": "btf/debian/%s/x86_64/%s.btf.tar.xz" % (k["version_id"], k["uname_r"]),
    }
    for a in r["artifacts"]:
        p = os.path.join(repo, a["path"])
        if a["path"] != want[a["kind"]]:
            bad.append("%s: %s at %s, want %s" % (key, a["kind"], a["path"], want[a["kind"]]))
        elif hashlib.sha256(open(p, "rb").read()).hexdigest() != a["sha256"] or os.path.getsize(p) != a["size"]:
            bad.append("%s: %s digest or size differs from its record" % (key, a["kind"]))
    ins = {(i["name"], i["sha256"]) for i in r["inputs"]}
    if (k["image"]["name"], k["image"]["sha256"]) not in ins or any((h["name"], h["sha256"]) not in ins for h in k["headers"]):
        bad.append("%s: inputs do not name the catalog's packages and digests" % key)
    if not r["compiler"] or "clang" not in r["compiler"] or not r["log_sha256"]:
        bad.append("%s: compiler or log digest missing" % key)
    log = open(os.path.join(repo, r["log"]), "rb").read()
    if hashlib.sha256(log).hexdigest() != r["log_sha256"]:
        bad.append("%s: log digest" % key)
if missing != "-":
    r = by.get(missing)
    leg = [a for a in (r or {}).get("artifacts", []) if a["kind"] == "legacy-object"]
    if not r or r["status"] != "failed" or not leg or leg[0]["status"] != "failed" or "headers" not in leg[0]["reason"]:
        bad.append("%s: no failure record naming the missing headers" % missing)
print("; ".join(bad[:4]) if bad else "ok")
EOF
)
what="build: artifacts in the repository layout, records with inputs, digests, compiler, log"
[ "$missing" != - ] && what="$what; the headerless kernel recorded as failed"
[ "$check" = ok ] && pass "$what" ||
	fail "build: artifacts in the repository layout, records with inputs, digests, compiler, log" "$check"

# the full BTF in btfhub's form is the kernel's own BTF, and the reduced one loads
for key in "${picks[@]}"; do
	rec=$(ls "$TMP"/repo/_build/*/"${key/:/_}.json")
	full=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print([a["path"] for a in r["artifacts"] if a["kind"]=="full-btf"][0])' "$rec")
	red=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print([a["path"] for a in r["artifacts"] if a["kind"]=="reduced-btf"][0])' "$rec")
	obj=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print([a["path"] for a in r["artifacts"] if a["kind"]=="legacy-object"][0])' "$rec")
	img=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); i=[i for i in r["inputs"] if i["role"]=="image"][0]; print("%s-%s.pkg" % (i["sha256"], i["name"]))' "$rec")
	mkdir -p "$TMP/x/$key"
	member=$(tar -C "$TMP/x/$key" -xJvf "$TMP/repo/$full" 2>&1)
	uname_r=$(basename "$full" .btf.tar.xz)
	if [ "$member" = "$uname_r.btf" ] && "$PK" btf extract "$CACHE/packages/$img" -o "$TMP/x/$key/direct.btf" >/dev/null 2>&1 &&
		cmp -s "$TMP/x/$key/$uname_r.btf" "$TMP/x/$key/direct.btf" &&
		bpftool btf dump file "$TMP/repo/$red" >/dev/null 2>&1; then
		pass "build $key: .btf.tar.xz holds <uname -r>.btf, the image's BTF; the reduced BTF loads"
	else
		fail "build $key: .btf.tar.xz holds <uname -r>.btf, the image's BTF; the reduced BTF loads" "member '$member'"
	fi
	# boot that kernel with its legacy object only
	ln -sf "$CACHE/packages/$img" "$TMP/x/$key/image.deb"
	"$PK" verify --kernel "$TMP/x/$key/image.deb" --mode object --probe "$TMP/repo/$obj" \
		--timeout "$TIMEOUT" --json >"$TMP/x/$key/v.json" 2>"$TMP/x/$key/v.err"
	rc=$?
	got=$(python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
print("%s %s %s %.0f" % (r["mode"], r["result"], r["candidate"], r["boot_to_verdict_s"] or 0))' "$TMP/x/$key/v.json" 2>/dev/null)
	if [ $rc -eq 0 ] && [[ "$got" == "object pass explicit "* ]]; then
		pass "build $key: the legacy object loads in its kernel and passes the self-check, sysfs BTF hidden (boot to verdict ${got##* } s)"
	else
		fail "build $key: the legacy object loads in its kernel and passes the self-check" "exit $rc, '$got': $(tail -5 "$TMP/x/$key/v.err" | tr '\n' ' ')"
	fi
done

# reproducible: the first kernel again, another output and work directory
mkdir -p "$TMP/other"
TMPDIR=$TMP/other "$PK" build "${picks[1]}" --allow-expired --out "$TMP/repo2" --cache "$CACHE" -q \
	>/dev/null 2>"$TMP/b2.err" || true
diffs=$(cd "$TMP/repo" && find . -type f ! -path './_build/*' -path "*$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print([k["uname_r"] for k in d["kernels"] if k["key"]==sys.argv[2]][0])' "$TMP/cat.json" "${picks[1]}")*" -o -type f -name "*${picks[1]#debian:}*" ! -path './_build/*' | sort -u |
	while read -r f; do cmp -s "$f" "$TMP/repo2/$f" || echo "$f"; done)
n=$(cd "$TMP/repo2" && find . -type f ! -path './_build/*' | wc -l)
[ -z "$diffs" ] && [ "$n" -eq 3 ] && pass "build: reproducible, two builds of ${picks[1]} in other directories give the same 3 files byte for byte" ||
	fail "build: reproducible" "differ: $diffs ($n files); $(tail -2 "$TMP/b2.err")"

# local inputs: the same packages given as files build the same bytes; the kernel's
# release comes from the image's banner. An unpacked headers directory builds the
# same legacy object.
rec=$(ls "$TMP"/repo/_build/*/"${picks[1]/:/_}.json")
mkdir -p "$TMP/local"
files=$(python3 - "$rec" "$CACHE" "$TMP/local" <<'EOF2'
import json, os, sys
r = json.load(open(sys.argv[1]))
out = []
for i in r["inputs"]:
    src = os.path.join(sys.argv[2], "packages", "%s-%s.pkg" % (i["sha256"], i["name"]))
    dst = os.path.join(sys.argv[3], "%s_%s.deb" % (i["name"], i["version"]))
    if not os.path.exists(dst):
        os.symlink(src, dst)
    out.append(dst)
print(" ".join(out))
EOF2
)
kr=${picks[1]#debian:}
vid=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["version_id"])' "$rec")
# shellcheck disable=SC2086
"$PK" build $files --target debian --kernelrelease "$kr" --os-id debian --version-id "$vid" \
	--out "$TMP/repo3" --cache "$TMP/lcache" -q >"$TMP/l.out" 2>"$TMP/l.err"
rc=$?
diffs=$(cd "$TMP/repo3" && find . -type f ! -path './_build/*' | sort | while read -r f; do cmp -s "$f" "$TMP/repo/$f" || echo "$f"; done)
n=$(cd "$TMP/repo3" && find . -type f ! -path './_build/*' | wc -l)
[ $rc -eq 0 ] && [ -z "$diffs" ] && [ "$n" -eq 3 ] &&
	pass "build from local package files: the same 3 artifacts, byte for byte, uname -r from the image" ||
	fail "build from local package files" "exit $rc, $n files, differ: $diffs; $(tail -3 "$TMP/l.err")"
