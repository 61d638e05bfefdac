#!/usr/bin/env bash
# probekit verify against a repository the test builds, and farm --verify: one
# Debian kernel per major version (5.10, 6.1, 6.12 and the newest, each the newest
# amd64-flavor kernel with headers that the live catalog lists) is built by
# `probekit farm` into a signed repository, then booted under QEMU in modes btf,
# no-btf and legacy (this kernel's legacy object, from the repository, must win),
# one of them in mode repo (the guest gets only the repository and its key). Then
# the faults: a repository signed with another key, a changed artifact, an empty
# repository; then farm --verify marks the artifacts, a second run boots nothing,
# and --require-verified takes what it marked. Packages are cached in
# PROBEKIT_CACHE (default /var/cache/probekit) between runs.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
trap 'nginx_stop; rm -rf "$TMP"' EXIT

JOBS=${VERIFY_JOBS:-2}
# the kernels booted: one per major version; under the sanitizers (make check-san,
# whose guest agent is the ASan build) two of them and mode legacy only, since
# verify.sh boots btf and no-btf there already
KSET="5.10 6.1 6.12 newest" MODES=btf,no-btf,legacy
[ "${PK_SAN:-0}" = 1 ] && KSET="6.1 6.12" MODES=legacy
TIMEOUT=${VERIFY_TIMEOUT:-900}
CACHE=${PROBEKIT_CACHE:-/var/cache/probekit}

# usage errors need nothing
"$PK" verify -k x --mode legacy >/dev/null 2>"$TMP/u.err"; rc=$?
[ $rc = 2 ] && grep -q -- '--repo' "$TMP/u.err" && pass "verify: mode legacy needs --repo and --repo-key" ||
	fail "verify: mode legacy needs --repo and --repo-key" "exit $rc: $(cat "$TMP/u.err")"
"$PK" farm --repo "$TMP/x" --shard 0/2 --verify >/dev/null 2>"$TMP/u.err"; rc=$?
[ $rc = 2 ] && pass "farm: --verify with --shard is a usage error" || fail "farm: --verify with --shard is a usage error" "exit $rc"

command -v qemu-system-x86_64 >/dev/null || { skip "verify repo" "qemu-system-x86_64 not installed"; exit 0; }
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || { skip "verify repo" "busybox not installed (busybox-static)"; exit 0; }

mkdir -p "$TMP/k"
"$PK" repo keygen --public "$TMP/k/pub" --secret "$TMP/k/sec" >/dev/null 2>&1 &&
	"$PK" repo keygen --public "$TMP/k/other.pub" --secret "$TMP/k/other.sec" >/dev/null 2>&1 ||
	{ fail "verify repo" "repo keygen failed"; exit 0; }

# the kernels: per major version the newest amd64-flavor kernel with headers
"$PK" kernels --distro debian --json --allow-expired --cache "$CACHE/catalog" >"$TMP/catalog.json" 2>"$TMP/catalog.err"
[ -s "$TMP/catalog.json" ] || { skip "verify repo" "no catalog (network?): $(tail -1 "$TMP/catalog.err")"; exit 0; }
python3 - "$TMP/catalog.json" >"$TMP/pick" <<'EOF' || { fail "verify repo" "the catalog lacks a kernel with headers for 5.10, 6.1 or 6.12: $(head -c 300 "$TMP/pick")"; exit 0; }
import json, re, sys
ks = json.load(open(sys.argv[1]))["kernels"]
def ver(k):
    return tuple(int(x) for x in re.findall(r"\d+", k["image"]["version"])[:6])
ok = [k for k in ks if k["flavor"] == "amd64" and k["headers"] and not k["headers_missing"]
      and k["machine"] == "x86_64"]
pick = {}
for major in ("5.10", "6.1", "6.12"):
    c = [k for k in ok if k["uname_r"].startswith(major + ".") and "~" not in k["kernelrelease"]]
    if c:
        pick[major] = max(c, key=ver)
if ok:
    pick["newest"] = max(ok, key=ver)
if len(pick) < 4:
    print(sorted(pick))
    sys.exit(1)
for name, k in pick.items():
    print(name, k["kernelrelease"], k["uname_r"], k["image"]["sha256"], k["image"]["name"])
EOF
declare -A REL UNAME IMG
while read -r name rel uname sha pkg; do
	REL[$name]=$rel UNAME[$name]=$uname IMG[$name]=$CACHE/packages/$sha-$pkg.pkg
done <"$TMP/pick"
SEL=() KIMG=() names=""
for n in $KSET; do SEL+=(--kernels "${REL[$n]}"); KIMG+=(-k "${IMG[$n]}"); names="$names ${REL[$n]}"; done
NK=$(wc -w <<<"$KSET")
FIRST=${KSET%% *}

# the repository: legacy objects, reduced and full BTF of these kernels
"$PK" farm --repo "$TMP/repo" --key "$TMP/k/sec" "${SEL[@]}" --allow-expired --cache "$CACHE" -j 2 --json \
	>"$TMP/farm.json" 2>"$TMP/farm.err"; rc=$?
if [ $rc = 0 ] && [ "$(json_get "$TMP/farm.json" selected)" = "$NK" ]; then
	pass "verify repo: farm built the $NK kernels ($names )"
else
	fail "verify repo: farm built the $NK kernels" "exit $rc: $(head -c 400 "$TMP/farm.json") $(tail -3 "$TMP/farm.err")"
	exit 0
fi
# what the index says each legacy object is
python3 - "$TMP/repo/index.json" >"$TMP/legacy" <<'EOF'
import json, sys
for a in json.load(open(sys.argv[1]))["artifacts"]:
    if a["kind"] in ("legacy-object", "reduced-btf"):
        print(a["kind"], a["kernel"]["uname_r"] or a["kernel"]["kernelrelease"], a["path"], a["sha256"])
EOF

# btf, no-btf, legacy for the kernels (12 boots; 2 under the sanitizers)
start=$SECONDS
"$PK" verify --json -j "$JOBS" --timeout "$TIMEOUT" --mode "$MODES" --repo "$TMP/repo" --repo-key "$TMP/k/pub" \
	"${KIMG[@]}" >"$TMP/m.json" 2>"$TMP/m.err"; rc=$?
took=$((SECONDS - start))
python3 - "$TMP/m.json" "$TMP/repo/index.json" <<'EOF' || fail "verify repo: matrix output" "not JSON: $(head -c 300 "$TMP/m.json") $(tail -3 "$TMP/m.err")"
import json, sys
d = json.load(open(sys.argv[1]))
ix = {a["path"]: a for a in json.load(open(sys.argv[2]))["artifacts"]}
for r in d["results"]:
    name = "verify repo: %s %s" % (r["kernel"], r["mode"])
    if not r["passed"]:
        tail = " | ".join((r.get("console_tail") or "").strip().splitlines()[-4:])
        print("FAIL %s: %s [console: %s]" % (name, r["reason"], tail))
        continue
    if r["mode"] == "legacy":
        a = r["artifact"] or {}
        listed = ix.get(a.get("path"), {})
        if r["candidate"] != "repo-legacy" or a.get("kind") != "legacy-object":
            print("FAIL %s: won by %s (%s)" % (name, r["candidate"], a))
            continue
        if listed.get("sha256") != a.get("sha256"):
            print("FAIL %s: the guest's object %s is not the index's (%s)" % (name, a, listed.get("sha256")))
            continue
    print("PASS %s (%s, boot-to-verdict %.1fs, %s)" % (name, r["candidate"], r["boot_to_verdict_s"], r["accel"]))
EOF
[ $rc = 0 ] && pass "verify repo: matrix exit 0 (${took}s wall)" || fail "verify repo: matrix exit 0" "exit $rc after ${took}s"

# mode repo: only the repository and its key; the reduced BTF wins, fetched and checked in the guest
"$PK" verify --json --timeout "$TIMEOUT" --mode repo --repo "$TMP/repo" --repo-key "$TMP/k/pub" -k "${IMG[6.1]}" \
	>"$TMP/r.json" 2>/dev/null; rc=$?
want=$(awk -v u="${UNAME[6.1]}" '$1 == "reduced-btf" && $2 == u { print $3 " " $4 }' "$TMP/legacy")
got="$(json_get "$TMP/r.json" results.0.artifact.path 2>/dev/null) $(json_get "$TMP/r.json" results.0.artifact.sha256 2>/dev/null)"
if [ $rc = 0 ] && [ "$(json_get "$TMP/r.json" results.0.candidate)" = repo-reduced-btf ] && [ "$got" = "$want" ] &&
   [ "$(json_get "$TMP/r.json" results.0.guest.source.from_cache)" = false ]; then
	pass "verify repo: mode repo: the reduced BTF was fetched and verified in the guest ($got)"
else
	fail "verify repo: mode repo" "exit $rc, want '$want' got '$got': $(head -c 600 "$TMP/r.json")"
fi

# the repository as a URL (nginx on loopback): the host mirrors the kernel's subset
# from it, signature checked, and the guest verifies it again. The same run reads a
# KVM stall remembered for this host boot (PROBEKIT_KVM_STALL_FILE): no KVM try.
echo "$(cat /proc/sys/kernel/random/boot_id) KVM: test stall" >"$TMP/stall"
if nginx_start "$TMP/repo" 2>"$TMP/nginx.err"; then
	PROBEKIT_KVM_STALL_FILE=$TMP/stall "$PK" verify --json --timeout "$TIMEOUT" --mode legacy --repo "$NGINX_URL/" \
		--repo-key "$TMP/k/pub" -k "${IMG[$FIRST]}" >"$TMP/u.json" 2>/dev/null; rc=$?
	if [ $rc = 0 ] && [ "$(json_get "$TMP/u.json" results.0.candidate)" = repo-legacy ] &&
	   grep -q 'GET /index.json.minisig' "$NGINX_ACCESS_LOG"; then
		pass "verify repo: --repo http://127.0.0.1 (nginx): mode legacy passes"
	else
		fail "verify repo: --repo over http" "exit $rc: $(head -c 400 "$TMP/u.json")"
	fi
	r=$(json_get "$TMP/u.json" kvm_unused_reason 2>/dev/null)
	[ "$(json_get "$TMP/u.json" accel)" = tcg ] && grep -q "KVM: test stall (remembered for this host boot in $TMP/stall)" <<<"$r" &&
		pass "verify repo: a KVM stall remembered for this host boot is not tried again" ||
		fail "verify repo: KVM stall remembered" "accel $(json_get "$TMP/u.json" accel): $r"
	nginx_stop
else
	fail "verify repo: --repo over http" "nginx: $(cat "$TMP/nginx.err")"
fi

# faults, none of which may boot: the repository signed with another key; an
# artifact changed after signing; a signed repository that lists nothing
cp -a "$TMP/repo" "$TMP/bad"
lp=$(python3 -c 'import json,sys
print([a["path"] for a in json.load(open(sys.argv[1]))["artifacts"]
       if a["kind"] == "legacy-object" and a["kernel"]["kernelrelease"] == sys.argv[2]][0])' "$TMP/repo/index.json" "${REL[6.1]}")
printf 'x' >>"$TMP/bad/$lp"
mkdir -p "$TMP/empty"
"$PK" repo index "$TMP/empty" --key "$TMP/k/sec" >/dev/null 2>&1
# the last word: what the reason must say (a regular expression, '.' for a blank)
for c in "other-key $TMP/repo $TMP/k/other.pub repo-error signed.by.key" \
	 "changed-artifact $TMP/bad $TMP/k/pub repo-error could.not.be.copied.*$(basename "$lp" | sed 's/[.+~]/./g').*larger.than" \
	 "empty-repository $TMP/empty $TMP/k/pub no-artifact lists.no.legacy.object"; do
	set -- $c
	"$PK" verify --json --mode legacy --repo "$2" --repo-key "$3" -k "${IMG[6.1]}" >"$TMP/f.json" 2>/dev/null; rc=$?
	reason=$(json_get "$TMP/f.json" results.0.reason 2>/dev/null)
	word=$5
	if [ $rc = 1 ] && [ "$(json_get "$TMP/f.json" results.0.outcome)" = "$4" ] &&
	   [ "$(json_get "$TMP/f.json" results.0.accel)" = None ] && grep -q -- "$word" <<<"$reason"; then
		pass "verify repo: $1: $4 without a boot"
	else
		fail "verify repo: $1: $4 without a boot" "exit $rc: $(head -c 500 "$TMP/f.json")"
	fi
done

# farm --verify on one kernel: both artifacts marked, with kernel, mode and date;
# the record is kept, the repository still verifies, index.html says so
"$PK" farm --repo "$TMP/repo" --key "$TMP/k/sec" --kernels "${REL[6.12]}" --allow-expired --cache "$CACHE" \
	--verify --json >"$TMP/fv.json" 2>"$TMP/fv.err"; rc=$?
python3 - "$TMP/repo/index.json" "${UNAME[6.12]}" <<'EOF' >"$TMP/fv.check"
import json, sys
ix = json.load(open(sys.argv[1]))
st = {}
for a in ix["artifacts"]:
    if a["kind"] in ("legacy-object", "reduced-btf") and sys.argv[2] in (a["kernel"]["uname_r"] or "", ):
        v = a["verification"]
        st[a["kind"]] = (v["state"], v["kernel"], v["mode"], bool(v["date"]))
    elif a["kind"] in ("legacy-object", "reduced-btf"):
        st.setdefault("others", set()).add(a["verification"]["state"])
print(st.get("legacy-object"), st.get("reduced-btf"), sorted(st.get("others", [])))
EOF
if [ $rc = 0 ] && [ "$(json_get "$TMP/fv.json" verify.verified)" = 2 ] &&
   grep -q "('verified', '${UNAME[6.12]}', 'legacy', True) ('verified', '${UNAME[6.12]}', 'repo', True) \['unverified'\]" "$TMP/fv.check"; then
	pass "farm --verify: the legacy object and reduced BTF of ${UNAME[6.12]} are verified in the index, the others untouched"
else
	fail "farm --verify: artifacts marked" "exit $rc: $(cat "$TMP/fv.check") $(head -c 500 "$TMP/fv.json") $(tail -3 "$TMP/fv.err")"
fi
if ls "$TMP"/repo/_verify/*/*.json >/dev/null 2>&1 && "$PK" repo verify "$TMP/repo" --key "$TMP/k/pub" >/dev/null 2>&1 &&
   grep -q 'class="verified"' "$TMP/repo/index.html"; then
	pass "farm --verify: record kept under _verify/, repo verify passes, index.html shows verified"
else
	fail "farm --verify: record, repo verify, index.html" "$("$PK" repo verify "$TMP/repo" --key "$TMP/k/pub" 2>&1 | tail -2)"
fi
"$PK" farm --repo "$TMP/repo" --key "$TMP/k/sec" --kernels "${REL[6.12]}" --allow-expired --cache "$CACHE" \
	--verify --json >"$TMP/fv2.json" 2>/dev/null; rc=$?
[ $rc = 0 ] && [ "$(json_get "$TMP/fv2.json" verify.booted)" = 0 ] &&
	pass "farm --verify: a second run boots nothing" || fail "farm --verify: a second run boots nothing" "exit $rc: $(head -c 300 "$TMP/fv2.json")"

# --require-verified: the agent takes the verified kernel's artifacts, not another's
mkdir -p "$TMP/host/etc"
printf 'ID=debian\nVERSION_ID="%s"\n' "$(python3 -c 'import json,sys; print([k["version_id"] for k in json.load(open(sys.argv[1]))["kernels"] if k["kernelrelease"]==sys.argv[2]][0])' "$TMP/catalog.json" "${REL[6.12]}")" >"$TMP/host/etc/os-release"
vv=${REL[6.12]%-amd64}
"$PK" fetch --json --repo "$TMP/repo" --repo-key "$TMP/k/pub" --cache "$TMP/c1" --require-verified --host-root "$TMP/host" \
	--uname-r "${UNAME[6.12]}" --uname-v "#1 SMP PREEMPT_DYNAMIC Debian $vv (2026-01-01)" --uname-m x86_64 >"$TMP/rv.json" 2>"$TMP/rv.err"; rc=$?
if [ $rc = 0 ] && grep -q '"reduced-btf"' "$TMP/rv.json" && ! grep -q unverified "$TMP/rv.json"; then
	pass "fetch --require-verified: takes the artifacts farm --verify marked"
else
	fail "fetch --require-verified: takes the verified artifacts" "exit $rc: $(head -c 600 "$TMP/rv.json") $(tail -2 "$TMP/rv.err")"
fi
vv=${REL[6.1]%-amd64}
"$PK" fetch --json --repo "$TMP/repo" --repo-key "$TMP/k/pub" --cache "$TMP/c2" --require-verified --host-root "$TMP/host" \
	--uname-r "${UNAME[6.1]}" --uname-v "#1 SMP PREEMPT_DYNAMIC Debian $vv (2026-01-01)" --uname-m x86_64 >"$TMP/ru.json" 2>"$TMP/ru.err"; rc=$?
[ $rc != 0 ] && grep -q unverified "$TMP/ru.json" "$TMP/ru.err" &&
	pass "fetch --require-verified: refuses a kernel farm --verify has not booted" ||
	fail "fetch --require-verified: refuses unverified" "exit $rc: $(head -c 400 "$TMP/ru.json") $(tail -2 "$TMP/ru.err")"

# farm --verify refutes: the first kernel's legacy object replaced by bytes that are
# no BPF object, its build record and the index made to agree (signed again), so the
# guest fetches and checks them and fails to open them: the legacy object is marked
# failed with the reason and the console tail kept in its record, the reduced BTF
# verified, exit 1
rec=$(grep -l "\"kernelrelease\": \"${REL[$FIRST]}\"" "$TMP"/repo/_build/*/*.json | head -1)
if python3 - "$TMP/repo" "$rec" <<'EOF2' && "$PK" repo index "$TMP/repo" --key "$TMP/k/sec" >/dev/null 2>"$TMP/ri.err"; then
import hashlib, json, sys
repo, rec = sys.argv[1:3]
d = json.load(open(rec))
for a in d["artifacts"]:
    if a["kind"] == "legacy-object":
        data = b"this is not a BPF object\n"
        open("%s/%s" % (repo, a["path"]), "wb").write(data)
        a["size"], a["sha256"] = len(data), hashlib.sha256(data).hexdigest()
json.dump(d, open(rec, "w"), indent=2)
EOF2
	"$PK" farm --repo "$TMP/repo" --key "$TMP/k/sec" --kernels "${REL[$FIRST]}" --allow-expired --cache "$CACHE" \
		--verify --json >"$TMP/fx.json" 2>"$TMP/fx.err"; rc=$?
	python3 - "$TMP/repo" "${REL[$FIRST]}" >"$TMP/fx.check" <<'EOF2'
import glob, json, sys
repo, rel = sys.argv[1:3]
ix = json.load(open(repo + "/index.json"))
st = {a["kind"]: a["verification"] for a in ix["artifacts"]
      if a["kind"] in ("legacy-object", "reduced-btf") and a["kernel"]["kernelrelease"] == rel}
recs = [json.load(open(f)) for f in glob.glob(repo + "/_verify/*/*.json")]
tail = [r["console_tail"] for rr in recs if rr["kernelrelease"] == rel for r in rr["results"] if r["state"] == "failed"]
print(st["legacy-object"]["state"], st["legacy-object"]["mode"], st["reduced-btf"]["state"],
      "open" in (st["legacy-object"]["reason"] or ""), "(console: _verify/" in (st["legacy-object"]["reason"] or ""),
      bool(tail and "PKV-END" in tail[0]))
EOF2
	if [ $rc = 1 ] && [ "$(json_get "$TMP/fx.json" verify.failed)" = 1 ] &&
	   [ "$(cat "$TMP/fx.check")" = "failed legacy verified True True True" ]; then
		pass "farm --verify: a legacy object that fails in the guest is marked failed (reason, console tail kept), exit 1"
	else
		fail "farm --verify: a failing legacy object" "exit $rc: $(cat "$TMP/fx.check") $(head -c 400 "$TMP/fx.json") $(tail -2 "$TMP/fx.err")"
	fi
else
	fail "farm --verify: a failing legacy object" "cannot make one: $(cat "$TMP/ri.err")"
fi
