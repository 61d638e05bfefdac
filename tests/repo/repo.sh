#!/usr/bin/env bash
# The signed repository: `repo index` over build records (tests/repo/mkrepo.py makes
# a small repository without building), `repo verify` of the directory and of the
# same tree served by a real nginx on loopback, and every tamper refused: a changed
# byte, a truncated file, an extra file, a ../ path, a signature by another key, a
# rolled-back and an expired index. Our signature verifies with Debian's minisign,
# and an index signed by minisign itself verifies with probekit.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
trap nginx_stop EXIT

R=$TMP/www/repo
mkdir -p "$TMP/www" "$TMP/k"
"$PK" repo keygen --public "$TMP/k/pub" --secret "$TMP/k/sec" >/dev/null 2>&1 &&
	"$PK" repo keygen --public "$TMP/k/pub2" --secret "$TMP/k/sec2" >/dev/null 2>&1 ||
	{ fail "repo keygen" "cannot make keys"; exit 0; }
python3 "$(dirname "$0")/mkrepo.py" "$R" 3 >/dev/null

# a temp file a killed writer left is removed; the index says what it holds
touch "$R/btf/debian/12/x86_64/x.btf.tar.xz.tmp.AbC123"
if "$PK" repo index "$R" --key "$TMP/k/sec" --json >"$TMP/i.json" 2>"$TMP/i.err" &&
	[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["version"], d["artifacts"], d["failures"], d["records"], d["temps_removed"])' "$TMP/i.json")" = "1 10 1 3 1" ] &&
	[ ! -e "$R/btf/debian/12/x86_64/x.btf.tar.xz.tmp.AbC123" ]; then
	pass "repo index: version 1, 10 artifacts and 1 failed build from 3 records, a stale temp file removed"
else
	fail "repo index" "$(cat "$TMP/i.json" "$TMP/i.err")"
fi
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$R/index.json")
[ "$v" = 2 ] && pass "repo index again: the version grows (2)" || fail "repo index again: the version grows" "version $v"

# verify, as a directory and as a URL through nginx
nginx_start "$TMP/www" >"$TMP/nginx.log" 2>&1 || { fail "nginx" "$(tail -3 "$TMP/nginx.log")"; exit 0; }
URL=$NGINX_URL/repo
"$PK" repo verify "$R" --key "$TMP/k/pub" >"$TMP/v.out" 2>&1 &&
	pass "repo verify DIR: $(head -1 "$TMP/v.out")" || fail "repo verify DIR" "$(cat "$TMP/v.out")"
"$PK" repo verify "$URL" --key "$TMP/k/pub" --json >"$TMP/v.json" 2>"$TMP/v.err" &&
	[ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["verified"], d["files"])' "$TMP/v.json")" = "True 10" ] &&
	pass "repo verify URL over nginx: 10 files fetched and checked" ||
	fail "repo verify URL over nginx" "$(cat "$TMP/v.json" "$TMP/v.err")"
"$PK" repo ls "$URL" --key "$TMP/k/pub" >"$TMP/ls.out" 2>&1 &&
	grep -q "FAILED debian:6.1.152-1-amd64 legacy-object" "$TMP/ls.out" &&
	[ "$(grep -c 'unverified' "$TMP/ls.out")" = 10 ] &&
	pass "repo ls URL: every artifact and the failed build" || fail "repo ls URL" "$(cat "$TMP/ls.out")"

# Debian's minisign verifies our signature, trusted comment included
if minisign -Vm "$R/index.json" -x "$R/index.json.minisig" -p "$TMP/k/pub" >"$TMP/m.out" 2>&1 &&
	grep -q "Trusted comment: probekit-index version=2 expires=[0-9]* sha256=$(sha256sum <"$R/index.json" | cut -c1-64)" "$TMP/m.out"; then
	pass "minisign -V verifies index.json.minisig and its trusted comment (version, expiry, digest)"
else
	fail "minisign -V verifies index.json.minisig" "$(cat "$TMP/m.out")"
fi

# each tamper: verify fails, names what is wrong; the tree is restored after each
cp -a "$R" "$TMP/pristine"
restore() { rm -rf "$R"; cp -a "$TMP/pristine" "$R"; }
tamper() {	# name, expected exit, pattern, then the verify target
	local name=$1 want=$2 pat=$3 where=${4:-$R} rc
	"$PK" repo verify "$where" --key "${KEY:-$TMP/k/pub}" ${STATE:+--state "$STATE"} >"$TMP/t.out" 2>&1
	rc=$?
	if [ $rc -eq "$want" ] && grep -Eq "$pat" "$TMP/t.out"; then
		pass "tamper: $name: exit $rc, '$(grep -Eo "$pat" "$TMP/t.out" | head -1)'"
	else
		fail "tamper: $name" "exit $rc (want $want): $(cat "$TMP/t.out")"
	fi
}
f=$R/btf/debian/12/x86_64/6.1.0-40-amd64.btf.tar.xz
printf 'X' | dd of="$f" bs=1 seek=100 conv=notrunc 2>/dev/null
tamper "a changed byte (directory)" 1 "6.1.0-40-amd64.btf.tar.xz': 9000 bytes, SHA256 [0-9a-f]{64}; the index says 9000"
tamper "a changed byte (URL)" 1 "6.1.0-40-amd64.btf.tar.xz': 9000 bytes, SHA256" "$URL"
restore
truncate -s 100 "$f"
tamper "a truncated file" 1 "6.1.0-40-amd64.btf.tar.xz': 100 bytes"
restore
echo extra >"$R/p0123456789abcde/x86_64/extra.o"
tamper "an extra file" 1 "extra.o' is not in the index"
restore
ln -s /etc/passwd "$R/p0123456789abcde/x86_64/link.o"
tamper "a symbolic link" 1 "link.o' is a symbolic link"
restore
rm "$R/p0123456789abcde/btf/debian/12/x86_64/6.1.0-41-amd64.btf"
tamper "a missing file" 1 "6.1.0-41-amd64.btf': No such file"
restore
# a ../ path in an index signed by the right key: refused when the index is read
python3 - "$R/index.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["artifacts"][0]["path"] = "../outside/file"
open(sys.argv[1], "w").write(json.dumps(d, indent=2))
EOF
ver=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$R/index.json")
exp=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expires"])' "$R/index.json")
"$PK" repo sign "$R/index.json" --key "$TMP/k/sec" \
	--trusted-comment "probekit-index version=$ver expires=$exp sha256=$(sha256sum <"$R/index.json" | cut -c1-64)" >/dev/null 2>&1
tamper "a ../ path (index signed by the right key)" 3 "artifacts\[0\]\.path.*\.\."
restore
# signed by another key
"$PK" repo index "$R" --key "$TMP/k/sec2" >"$TMP/ak.out" 2>&1
rc=$?
[ $rc -eq 3 ] && grep -q "the index goes on with the key that signed it" "$TMP/ak.out" &&
	pass "repo index with another key: refused, exit 3 (the index goes on with the key that signed it)" ||
	fail "repo index with another key" "exit $rc: $(cat "$TMP/ak.out")"
"$PK" repo sign "$R/index.json" --key "$TMP/k/sec2" \
	--trusted-comment "$(sed -n 's/^trusted comment: //p' "$R/index.json.minisig")" >/dev/null 2>&1
tamper "a signature by another key" 3 "signed by key [0-9A-F]+, not [0-9A-F]+"
restore
# the signed digest must be the index's: an index changed after signing
sed -i 's/"version": 2/"version": 2 /' "$R/index.json"
tamper "index.json changed after signing" 3 "index.json"
restore
# rollback: the state file remembers version 3; the pristine version 2 is refused
STATE=$TMP/seen
"$PK" repo verify "$R" --key "$TMP/k/pub" --state "$STATE" >/dev/null 2>&1
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
"$PK" repo verify "$R" --key "$TMP/k/pub" --state "$STATE" >/dev/null 2>&1
restore
tamper "a rolled-back index (version 2 after 3)" 1 "rollback: index version 2 is older than version 3"
unset STATE
# expired: an index valid for one second, read two seconds later
"$PK" repo index "$R" --key "$TMP/k/sec" --valid-for 1 >/dev/null 2>&1
sleep 2
tamper "an expired index" 1 "the index expired at"
"$PK" repo verify "$R" --key "$TMP/k/pub" --allow-expired >/dev/null 2>&1 &&
	pass "--allow-expired accepts the expired index (air-gapped mirrors)" ||
	fail "--allow-expired accepts the expired index" "refused"
restore

# an index signed by Debian's minisign (its own key, our trusted comment) verifies
mkdir -p "$TMP/mk"
if minisign -G -W -p "$TMP/mk/pub" -s "$TMP/mk/sec" >/dev/null 2>&1; then
	v=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$R/index.json")
	tc="probekit-index version=$v expires=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["expires"])' "$R/index.json") sha256=$(sha256sum <"$R/index.json" | cut -c1-64)"
	minisign -S -s "$TMP/mk/sec" -m "$R/index.json" -x "$R/index.json.minisig" -t "$tc" >/dev/null 2>&1
	"$PK" repo verify "$R" --key "$TMP/mk/pub" >"$TMP/mv.out" 2>&1 &&
		pass "an index signed by minisign -S verifies in probekit" ||
		fail "an index signed by minisign -S verifies in probekit" "$(cat "$TMP/mv.out")"
else
	fail "minisign -G" "cannot make a minisign key"
fi

# key rotation: the index announces the next key, signed by the current one, and keeps
# announcing it in later indexes
restore
"$PK" repo index "$R" --key "$TMP/k/sec" --next-key "$TMP/k/pub2" >/dev/null 2>&1
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
nk=$(python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
n = d["next_key"]
print("ok" if n and n["key"].strip().splitlines()[-1] == open(sys.argv[2]).read().strip().splitlines()[-1]
      and "probekit-next-key" in n["signature"] else "next_key %r" % (n,))' "$R/index.json" "$TMP/k/pub2")
[ "$nk" = ok ] && "$PK" repo verify "$R" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "key rotation: --next-key puts the next public key and its signature by the current key in the index, kept by later indexes" ||
	fail "key rotation: --next-key" "$nk"

# a torn pair: index.json renamed in, the writer killed before the new signature
# (simulated with the previous signature put back): repo index goes on from it
restore
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
cp "$R/index.json.minisig" "$TMP/old.minisig"
"$PK" repo index "$R" --key "$TMP/k/sec" >/dev/null 2>&1
vt=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$R/index.json")
cp "$TMP/old.minisig" "$R/index.json.minisig"
"$PK" repo index "$R" --key "$TMP/k/sec" >"$TMP/torn.out" 2>&1
rc=$?
vn=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["version"])' "$R/index.json")
[ $rc -eq 0 ] && [ "$vn" = $((vt + 1)) ] && "$PK" repo verify "$R" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "a torn index/signature pair (killed between the renames): repo index goes on at version $vn" ||
	fail "a torn index/signature pair" "exit $rc, version $vn after $vt: $(cat "$TMP/torn.out")"

# the repository given through a symbolic link is the repository, not one link
restore
ln -s "$R" "$TMP/www/link"
"$PK" repo index "$TMP/www/link" --key "$TMP/k/sec" --json >"$TMP/sl.json" 2>&1
[ "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["artifacts"])' "$TMP/sl.json" 2>/dev/null)" = 10 ] &&
	"$PK" repo verify "$TMP/www/link" --key "$TMP/k/pub" >/dev/null 2>&1 &&
	pass "repo index and verify through a symbolic link to the directory: every artifact" ||
	fail "repo index through a symbolic link" "$(cat "$TMP/sl.json")"

# a FIFO under a listed name: refused, not waited on
restore
f=$R/p0123456789abcde/btf/debian/12/x86_64/6.1.0-40-amd64.btf
rm "$f" && mkfifo "$f"
timeout 60 "$PK" repo verify "$R" --key "$TMP/k/pub" >"$TMP/fifo.out" 2>&1
rc=$?
[ $rc -eq 1 ] && grep -q "6.1.0-40-amd64.btf': not a regular file" "$TMP/fifo.out" &&
	pass "a FIFO under a listed name: refused without blocking" ||
	fail "a FIFO under a listed name" "exit $rc: $(cat "$TMP/fifo.out")"
restore
