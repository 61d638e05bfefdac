#!/usr/bin/env bash
# `repo mirror` against a real nginx on loopback and from directories: the subset
# picked by --kernels (uname -r, falco keys, globs) and by a catalog; the mirror
# verifies with `repo verify --partial` and with Debian's minisign (the signed index
# byte for byte), and again once nginx serves it; a second run copies nothing; a
# changed byte, another key, an expired and a rolled-back index are refused with
# the mirror left as it was; --prune; links in a source directory; bad input.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
trap 'nginx_stop; rm -rf "$TMP"' EXIT

W=$TMP/www
R=$W/repo
PV=p0123456789abcde
mkdir -p "$W" "$TMP/k"
"$PK" repo keygen --public "$TMP/k/pub" --secret "$TMP/k/sec" >/dev/null 2>&1 &&
	"$PK" repo keygen --public "$TMP/k/pub2" --secret "$TMP/k/sec2" >/dev/null 2>&1 ||
	{ fail "repo keygen" "cannot make keys"; exit 0; }
# four kernels (6.1.0-40..43-amd64; the last one's legacy build failed)
python3 "$(dirname "$0")/mkrepo.py" "$R" 4 >/dev/null
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1 || { fail "repo index" "cannot index the fixture"; exit 0; }
NGINX_TLS=1 nginx_start "$W" >"$TMP/nginx.log" 2>&1 || { fail "nginx" "$(tail -3 "$TMP/nginx.log")"; exit 0; }
URL=$NGINX_URL/repo

# what DIR holds: artifact paths, sorted, one line (the mirror's own files left out)
held() { (cd "$1" && find . \( -type f -o -type l \) ! -name 'index.*' ! -name '.probekit*' | sed 's|^\./||' | sort | tr '\n' ' '); }
# the whole tree with every file's digest: "left unchanged" compares two of these
snap() { (cd "$1" 2>/dev/null && find . -type f -print0 | sort -z | xargs -0 -r sha256sum; find . -type l) ; }
jget() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(str(d[k]) for k in sys.argv[2:]))' "$@"; }
mirror() { "$PK" repo mirror --repo-key "$TMP/k/pub" --json -q "$@"; }

cat >"$TMP/k.txt" <<'EOF'
# the fleet: one uname -r, a falco key, a glob, a kernel the repository lacks
6.1.0-40-amd64
debian/6.1.151-1-amd64/1   # a falco key picks the legacy object and its kernel's BTF

6.1.0-4[3]-amd64
5.10.0-*-cloud-amd64
EOF
want="$PV/btf/debian/12/x86_64/6.1.0-40-amd64.btf $PV/btf/debian/12/x86_64/6.1.0-41-amd64.btf $PV/btf/debian/12/x86_64/6.1.0-43-amd64.btf $PV/x86_64/probe.btf.bpf.o $PV/x86_64/probe.core.bpf.o $PV/x86_64/probekit_debian_6.1.150-1-amd64_1.o $PV/x86_64/probekit_debian_6.1.151-1-amd64_1.o "

# 1. by --kernels, from the URL
M=$W/mirror
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >"$TMP/m1.json" 2>"$TMP/m1.err"
rc=$?
got=$(held "$M")
if [ $rc -eq 0 ] && [ "$got" = "$want" ] &&
	[ "$(jget "$TMP/m1.json" ok selected copied present unmatched index_written)" = "True 7 7 0 1 True" ] &&
	grep -q "warning: uname -r 5.10.0-\*-cloud-amd64 (.*k.txt:6) matched no artifact" "$TMP/m1.err"; then
	pass "mirror --kernels from a URL: uname -r, falco key, glob and the CO-RE objects (7 files); the kernel the repository lacks is a warning"
else
	fail "mirror --kernels from a URL" "exit $rc; got '$got'; $(cat "$TMP/m1.json" "$TMP/m1.err")"
fi
cmp -s "$R/index.json" "$M/index.json" && cmp -s "$R/index.json.minisig" "$M/index.json.minisig" &&
	pass "the mirror's index.json and index.json.minisig are the source's bytes" ||
	fail "the signed index byte for byte" "differs"
minisign -Vm "$M/index.json" -x "$M/index.json.minisig" -p "$TMP/k/pub" >"$TMP/mv.out" 2>&1 &&
	pass "minisign -V verifies the mirror's index with the repository's key" ||
	fail "minisign -V verifies the mirror's index" "$(cat "$TMP/mv.out")"
"$PK" repo verify --partial "$M" --key "$TMP/k/pub" --json >"$TMP/v.json" 2>"$TMP/v.err" &&
	[ "$(jget "$TMP/v.json" verified files problems)" = "True 7 0" ] &&
	pass "repo verify --partial DIR: the 7 files there checked in full, the absent ones no problem" ||
	fail "repo verify --partial DIR" "$(cat "$TMP/v.json" "$TMP/v.err")"
"$PK" repo verify "$M" --key "$TMP/k/pub" >"$TMP/v2.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "No such file" "$TMP/v2.out" && ! grep -q "not in the index" "$TMP/v2.out" &&
	pass "repo verify DIR without --partial: the absent files are problems (exit 1), the mirror's state and lock files are not" ||
	fail "repo verify DIR without --partial" "exit $rc: $(cat "$TMP/v2.out")"
"$PK" repo verify --partial "$NGINX_URL/mirror" --key "$TMP/k/pub" --json >"$TMP/vu.json" 2>"$TMP/vu.err" &&
	[ "$(jget "$TMP/vu.json" verified files)" = "True 7" ] &&
	pass "the mirror served by nginx verifies as a URL (--partial: 7 files fetched and checked, the rest 404)" ||
	fail "the mirror served by nginx verifies as a URL" "$(cat "$TMP/vu.json" "$TMP/vu.err")"
grep -q "probekit repository mirror" "$M/index.html" && ! grep -q "6.1.0-42-amd64.btf" "$M/index.html" &&
	grep -q "6.1.0-43-amd64.btf" "$M/index.html" &&
	pass "index.html is regenerated over what the mirror holds" ||
	fail "index.html over the mirrored subset" "$(grep -c '<tr>' "$M/index.html") rows"

# over https: the server's certificate checked against --ca-file
rm -rf "$TMP/mtls"
mirror --from "$NGINX_TLS_URL/repo" --to "$TMP/mtls" --kernels "$TMP/k.txt" --ca-file "$NGINX_CA_FILE" >/dev/null 2>"$TMP/tls.err" &&
	[ "$(held "$TMP/mtls")" = "$want" ] &&
	pass "mirror over https with --ca-file: the same 7 files" ||
	fail "mirror over https with --ca-file" "$(cat "$TMP/tls.err")"
rm -rf "$TMP/mtls"
mirror --from "$NGINX_TLS_URL/repo" --to "$TMP/mtls" --kernels "$TMP/k.txt" >/dev/null 2>"$TMP/tls2.err"
rc=$?
[ $rc -eq 3 ] && [ ! -e "$TMP/mtls" ] &&
	pass "over https without the CA: refused (exit 3, '$(head -c 120 "$TMP/tls2.err" | tr '\n' ' ')...'), nothing made" ||
	fail "over https without the CA" "exit $rc: $(cat "$TMP/tls2.err")"

# 2. a second run copies nothing and rewrites nothing
before=$(snap "$M")
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >"$TMP/m2.json" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && [ "$(jget "$TMP/m2.json" copied present index_written)" = "0 7 False" ] &&
	[ "$(snap "$M")" = "$before" ] &&
	pass "a second run copies nothing (7 present, verified) and leaves every byte as it was" ||
	fail "a second run copies nothing" "exit $rc: $(cat "$TMP/m2.json")"

# a damaged file in the mirror is fetched again
f=$M/$PV/x86_64/probekit_debian_6.1.150-1-amd64_1.o
printf 'X' | dd of="$f" bs=1 seek=10 conv=notrunc 2>/dev/null
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >"$TMP/m3.json" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && [ "$(jget "$TMP/m3.json" copied present)" = "1 6" ] && cmp -s "$f" "$R/${f#$M/}" &&
	pass "a damaged file in the mirror is fetched again (1 copied, 6 present)" ||
	fail "a damaged file in the mirror is fetched again" "exit $rc: $(cat "$TMP/m3.json")"

# 3. by --catalog (the shape `probekit kernels --json` writes), from a directory and file://
python3 - "$TMP/cat.json" <<'EOF'
import json, sys
def k(uname, ver):
    rel = ver + "-amd64"
    return {"distro": "debian", "suite": "bookworm", "os_id": "debian", "version_id": "12",
            "machine": "x86_64", "uname_r": uname, "flavor": "amd64", "target": "debian",
            "kernelrelease": rel, "kernelversion": "1", "key": "debian:" + rel,
            "image": {"name": "linux-image-" + uname, "version": ver, "arch": "amd64",
                      "url": "http://127.0.0.1/x.deb", "size": 1, "sha256": None, "suite": "bookworm"},
            "headers": [], "headers_missing": None, "config": {"package": None, "path": None}}
json.dump({"schema": "probekit-kernels/1", "nr_kernels": 2, "nr_errors": 0,
           "suites": [{"distro": "debian", "suite": "bookworm", "url": "http://127.0.0.1/InRelease",
                       "state": "ok", "reason": None, "nr_kernels": 2, "unchanged": False}],
           "kernels": [k("6.1.0-41-amd64", "6.1.151-1"), k("6.1.0-77-amd64", "6.1.177-1")]},
          open(sys.argv[1], "w"), indent=2)
EOF
wantc="btf/debian/12/x86_64/6.1.0-41-amd64.btf.tar.xz $PV/btf/debian/12/x86_64/6.1.0-41-amd64.btf $PV/x86_64/probe.btf.bpf.o $PV/x86_64/probe.core.bpf.o $PV/x86_64/probekit_debian_6.1.151-1-amd64_1.o "
for src in "$R" "file://$R"; do
	rm -rf "$TMP/mc"
	mirror --from "$src" --to "$TMP/mc" --catalog "$TMP/cat.json" --full-btf >"$TMP/mc.json" 2>"$TMP/mc.err"
	rc=$?
	got=$(held "$TMP/mc")
	[ $rc -eq 0 ] && [ "$got" = "$wantc" ] && [ "$(jget "$TMP/mc.json" selected unmatched)" = "5 1" ] &&
		"$PK" repo verify --partial "$TMP/mc" --key "$TMP/k/pub" >/dev/null 2>&1 &&
		pass "mirror --catalog --full-btf from $( [ "$src" = "$R" ] && echo a directory || echo file://): the kernel's legacy object, reduced and full BTF, the CO-RE objects; one kernel matched nothing" ||
		fail "mirror --catalog from $src" "exit $rc; got '$got'; $(cat "$TMP/mc.json" "$TMP/mc.err")"
done

# CO-RE objects always: a selection that matches no kernel still brings them
echo "0.0.0-none" >"$TMP/none.txt"
rm -rf "$TMP/mn"
mirror --from "$URL" --to "$TMP/mn" --kernels "$TMP/none.txt" >/dev/null 2>&1
[ "$(held "$TMP/mn")" = "$PV/x86_64/probe.btf.bpf.o $PV/x86_64/probe.core.bpf.o " ] &&
	pass "a selection that matches no kernel: the CO-RE objects alone" ||
	fail "the CO-RE objects always" "$(held "$TMP/mn")"

# 4. a changed byte at the source: refused, nothing under its name, no index written
cp -a "$R" "$W/tampered"
t=$PV/x86_64/probekit_debian_6.1.150-1-amd64_1.o
printf 'X' | dd of="$W/tampered/$t" bs=1 seek=100 conv=notrunc 2>/dev/null
for src in "$NGINX_URL/tampered" "$W/tampered"; do
	rm -rf "$TMP/mt"
	mirror --from "$src" --to "$TMP/mt" --kernels "$TMP/k.txt" >"$TMP/mt.json" 2>"$TMP/mt.err"
	rc=$?
	left=$(cd "$TMP/mt" && find . -name 'probekit_debian_6.1.150*')
	[ $rc -eq 1 ] && grep -q "probekit_debian_6.1.150-1-amd64_1.o.*SHA256" "$TMP/mt.err" && [ -z "$left" ] &&
		[ ! -e "$TMP/mt/index.json" ] && [ "$(jget "$TMP/mt.json" failed copied)" = "1 6" ] &&
		pass "a changed byte at the source ($( [ "${src#http}" = "$src" ] && echo a directory || echo nginx)): refused (exit 1, SHA256 named), nothing under its name or a temp name, no index written" ||
		fail "a changed byte at the source ($src)" "exit $rc; left '$left'; $(cat "$TMP/mt.json" "$TMP/mt.err")"
done

# 5. links in a source directory are never followed
cp -a "$R" "$TMP/linked"
cp "$TMP/linked/$t" "$TMP/outside.o"
ln -sf "$TMP/outside.o" "$TMP/linked/$t"
rm -rf "$TMP/ml"
mirror --from "$TMP/linked" --to "$TMP/ml" --kernels "$TMP/k.txt" >/dev/null 2>"$TMP/ml.err"
rc=$?
[ $rc -eq 1 ] && grep -q "$t.*a symbolic link" "$TMP/ml.err" && [ ! -e "$TMP/ml/$t" ] &&
	pass "a symbolic link in a source directory (even to the right bytes): refused" ||
	fail "a symbolic link in a source directory" "exit $rc: $(cat "$TMP/ml.err")"

# 6. another key, expired: refused, the mirror unchanged, a new one not even made
before=$(snap "$M")
"$PK" repo mirror --from "$URL" --to "$M" --repo-key "$TMP/k/pub2" --kernels "$TMP/k.txt" -q >"$TMP/ak.out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "signed by key [0-9A-F]*, not [0-9A-F]*" "$TMP/ak.out" && [ "$(snap "$M")" = "$before" ] &&
	pass "a source signed by another key: refused (exit 3, '$(grep -o 'signed by key [0-9A-F]*, not [0-9A-F]*' "$TMP/ak.out")'), the mirror unchanged" ||
	fail "a source signed by another key" "exit $rc: $(cat "$TMP/ak.out")"
cp -a "$R" "$W/expired"
"$PK" repo index "$W/expired" --key "$TMP/k/sec" --valid-for 1 >/dev/null 2>&1
sleep 2
cp -a "$M" "$TMP/me"
before=$(snap "$TMP/me")
mirror --from "$NGINX_URL/expired" --to "$TMP/me" --kernels "$TMP/k.txt" >/dev/null 2>"$TMP/ex.err"
rc=$?
[ $rc -eq 3 ] && grep -q "expired at .*freeze" "$TMP/ex.err" && [ "$(snap "$TMP/me")" = "$before" ] &&
	pass "an expired source index: refused as a freeze (exit 3), the mirror unchanged" ||
	fail "an expired source index" "exit $rc: $(cat "$TMP/ex.err")"
mirror --from "$NGINX_URL/expired" --to "$TMP/me" --kernels "$TMP/k.txt" --allow-expired >"$TMP/ex.json" 2>/dev/null &&
	cmp -s "$TMP/me/index.json" "$W/expired/index.json" &&
	"$PK" repo verify --partial "$TMP/me" --key "$TMP/k/pub" --allow-expired >/dev/null 2>&1 &&
	pass "--allow-expired mirrors it (the index kept old on purpose)" ||
	fail "--allow-expired mirrors the expired index" "$(cat "$TMP/ex.json")"

# 7. rollback: the source re-serves an older signed index after a newer one was mirrored
cp "$R/index.json" "$TMP/old.json"
cp "$R/index.json.minisig" "$TMP/old.minisig"
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >"$TMP/new.json" 2>/dev/null
newv=$(jget "$TMP/new.json" version)
cp "$TMP/old.json" "$R/index.json"
cp "$TMP/old.minisig" "$R/index.json.minisig"
before=$(snap "$M")
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >/dev/null 2>"$TMP/rb.err"
rc=$?
[ $rc -eq 3 ] && grep -q "rollback: the source's index is version $((newv - 1)), older than version $newv" "$TMP/rb.err" &&
	[ "$(snap "$M")" = "$before" ] &&
	pass "a rolled-back source (version $((newv - 1)) after $newv): refused (exit 3), the mirror unchanged" ||
	fail "a rolled-back source" "exit $rc: $(cat "$TMP/rb.err")"
# with the mirror's index gone, its state file still remembers
mv "$M/index.json" "$TMP/keep.json"
mv "$M/index.json.minisig" "$TMP/keep.minisig"
before=$(snap "$M")
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >/dev/null 2>"$TMP/rb2.err"
rc=$?
[ $rc -eq 3 ] && grep -q "rollback: index version $((newv - 1)) is older than version $newv" "$TMP/rb2.err" &&
	[ "$(snap "$M")" = "$before" ] &&
	pass "a rolled-back source with the mirror's index removed: the state file refuses it" ||
	fail "a rolled-back source, index removed" "exit $rc: $(cat "$TMP/rb2.err")"
mv "$TMP/keep.json" "$M/index.json"
mv "$TMP/keep.minisig" "$M/index.json.minisig"

# a torn pair (a run killed between its two renames: the new index beside the old
# signature): the next run says so and writes both again
cp "$M/index.json.minisig" "$TMP/prev.minisig"
# the source moves past the mirror (from its rolled-back version 1: twice)
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >/dev/null 2>&1
cp "$TMP/prev.minisig" "$M/index.json.minisig"
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >"$TMP/torn.json" 2>"$TMP/torn.err"
rc=$?
[ $rc -eq 0 ] && grep -q "warning: the mirror's own index does not verify with this key" "$TMP/torn.err" &&
	[ "$(jget "$TMP/torn.json" copied index_written)" = "0 True" ] &&
	"$PK" repo verify --partial "$M" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "a torn index/signature pair in the mirror: the next run says so and writes both again" ||
	fail "a torn pair in the mirror" "exit $rc: $(cat "$TMP/torn.json" "$TMP/torn.err")"

# 8. --prune: the source drops kernel 6.1.0-40-amd64; and the fleet drops 6.1.0-43
rm -f "$R/_build/$PV/debian_6.1.150-1-amd64."* "$R/$PV/x86_64/probekit_debian_6.1.150-1-amd64_1.o" \
	"$R/$PV/btf/debian/12/x86_64/6.1.0-40-amd64.btf" "$R/btf/debian/12/x86_64/6.1.0-40-amd64.btf.tar.xz"
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
mirror --from "$URL" --to "$M" --kernels "$TMP/k.txt" >/dev/null 2>&1
"$PK" repo verify --partial "$M" --key "$TMP/k/pub" >"$TMP/pv.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "6.1.0-40-amd64.btf' is not in the index" "$TMP/pv.out" && [ -e "$M/$t" ] &&
	pass "without --prune the files the new index no longer lists stay (repo verify --partial names them)" ||
	fail "without --prune" "exit $rc: $(cat "$TMP/pv.out")"
grep -v '6.1.0-4\[3\]' "$TMP/k.txt" >"$TMP/k2.txt"
mirror --from "$URL" --to "$M" --kernels "$TMP/k2.txt" --prune >"$TMP/pr.json" 2>"$TMP/pr.err"
rc=$?
wantp="$PV/btf/debian/12/x86_64/6.1.0-41-amd64.btf $PV/x86_64/probe.btf.bpf.o $PV/x86_64/probe.core.bpf.o $PV/x86_64/probekit_debian_6.1.151-1-amd64_1.o "
[ $rc -eq 0 ] && [ "$(held "$M")" = "$wantp" ] && [ "$(jget "$TMP/pr.json" pruned)" = 3 ] &&
	"$PK" repo verify --partial "$M" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "--prune removes what the new index no longer lists and what the selection dropped (3 files); the mirror verifies" ||
	fail "--prune" "exit $rc; held '$(held "$M")'; $(cat "$TMP/pr.json" "$TMP/pr.err")"

# 9. a file whose bytes change is staged: when the run fails (another file is
# missing at the source), the mirror keeps its previous index and that file's old bytes
core=$PV/x86_64/probe.core.bpf.o
cp "$M/$core" "$TMP/core.old"
cp "$M/index.json" "$TMP/idx.old"
printf 'rebuilt' >>"$R/$core"
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
b42=$PV/btf/debian/12/x86_64/6.1.0-42-amd64.btf
mv "$R/$b42" "$TMP/b42"
{ cat "$TMP/k2.txt"; echo 6.1.0-42-amd64; } >"$TMP/k3.txt"
mirror --from "$URL" --to "$M" --kernels "$TMP/k3.txt" >"$TMP/st.json" 2>"$TMP/st.err"
rc=$?
[ $rc -eq 1 ] && grep -q "6.1.0-42-amd64.btf.*404" "$TMP/st.err" && cmp -s "$M/$core" "$TMP/core.old" &&
	cmp -s "$M/index.json" "$TMP/idx.old" && [ -z "$(find "$M" -name '*.tmp.*')" ] &&
	"$PK" repo verify --partial "$M" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "a failed run (a 404) leaves the previous index and the old bytes of a changed file: the mirror still verifies" ||
	fail "a changed file is staged until every file is in" "exit $rc: $(cat "$TMP/st.json" "$TMP/st.err")"
mv "$TMP/b42" "$R/$b42"
mirror --from "$URL" --to "$M" --kernels "$TMP/k3.txt" >"$TMP/st2.json" 2>/dev/null
rc=$?
[ $rc -eq 0 ] && cmp -s "$M/$core" "$R/$core" && cmp -s "$M/index.json" "$R/index.json" &&
	"$PK" repo verify --partial "$M" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "the next run puts the changed file and the new index in together: $(jget "$TMP/st2.json" copied) copied" ||
	fail "the next run after a failed one" "exit $rc: $(cat "$TMP/st2.json")"

# 10. bad input: a clear error, nothing made
printf '6.1.0-40-amd64\ndebian/6.1/1/x\n' >"$TMP/bad.txt"
"$PK" repo mirror --from "$URL" --to "$TMP/mb" --repo-key "$TMP/k/pub" --kernels "$TMP/bad.txt" >/dev/null 2>"$TMP/b1.err"
rc=$?
[ $rc -eq 3 ] && grep -q "bad.txt:2: a falco key is TARGET/KERNELRELEASE/KERNELVERSION" "$TMP/b1.err" && [ ! -e "$TMP/mb" ] &&
	pass "a bad --kernels line: '$(grep -o 'bad.txt:2: [^(]*' "$TMP/b1.err")' (exit 3)" ||
	fail "a bad --kernels line" "exit $rc: $(cat "$TMP/b1.err")"
echo '{"schema": "probekit-kernels/1", "kernels": [{"target": "debian"}]}' >"$TMP/bad.json"
"$PK" repo mirror --from "$URL" --to "$TMP/mb" --repo-key "$TMP/k/pub" --catalog "$TMP/bad.json" >/dev/null 2>"$TMP/b2.err"
rc=$?
[ $rc -eq 3 ] && grep -q "bad.json: kernels\[0\]: neither target, kernelrelease and kernelversion nor" "$TMP/b2.err" &&
	pass "a bad --catalog: 'kernels[0]: neither ...' (exit 3)" || fail "a bad --catalog" "exit $rc: $(cat "$TMP/b2.err")"
"$PK" repo mirror --from "$URL" --to "$TMP/mb" --repo-key "$TMP/k/pub" --catalog "$TMP/k.txt" >/dev/null 2>"$TMP/b3.err"
rc=$?
[ $rc -eq 3 ] && grep -q "k.txt: JSON error at offset 0" "$TMP/b3.err" &&
	pass "a --kernels file given as --catalog: a JSON error (exit 3)" || fail "a --kernels file as --catalog" "exit $rc: $(cat "$TMP/b3.err")"
"$PK" repo mirror --from "$URL" --to "$TMP/mb" --repo-key "$TMP/k/pub" >/dev/null 2>"$TMP/b4.err"
rc=$?
[ $rc -eq 2 ] && grep -q "missing --kernels FILE or --catalog FILE" "$TMP/b4.err" &&
	pass "no selection: usage error (exit 2)" || fail "no selection" "exit $rc: $(cat "$TMP/b4.err")"
mirror --from "$R" --to "$R/inner" --kernels "$TMP/k.txt" >/dev/null 2>"$TMP/b5.err"
rc=$?
[ $rc -eq 3 ] && grep -q "the source and the mirror must be separate directories" "$TMP/b5.err" && [ ! -e "$R/inner" ] &&
	pass "a mirror inside its source directory: refused before anything is made" ||
	fail "a mirror inside its source directory" "exit $rc: $(cat "$TMP/b5.err")"
