#!/usr/bin/env bash
# `probekit kernels` on Ubuntu and the RPM family, whose mirrors are not reachable
# from here: fixture repositories laid out as the real ones (tests/kernels/
# mkfixtures.py, FIXTURES.md) served by a real nginx on loopback, through the same
# code as Debian. Then each broken variant (bad signature, expired Release, an index
# that does not match its Release or repomd, truncated metadata, a bad mirror.list)
# and a tampered package each give their clear error and exit 1.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
trap nginx_stop EXIT

FX=$TMP/fx
mkdir -p "$FX"
if ! nginx_start "$FX" >"$TMP/nginx.log" 2>&1; then
	fail "nginx on loopback" "$(tail -3 "$TMP/nginx.log")"
	exit 0
fi
if ! python3 "$(dirname "$0")/mkfixtures.py" "$FX" --base "$NGINX_URL" >"$TMP/mk.log" 2>&1; then
	fail "fixture repositories" "$(tail -3 "$TMP/mk.log")"
	exit 0
fi
rm -rf "$FX/_gpg"	# the private key is not served
KEYRING=$FX/ubuntu-archive-keyring.gpg

# distro mirror-path expected-keys (kernelrelease list, sorted) expected-target
check_distro() {
	local distro=$1 mirror=$2 want=$3 target=$4; shift 4
	local out rc got
	"$PK" kernels --distro "$distro" --mirror "$NGINX_URL/$mirror" --no-cache -q --json "$@" \
		>"$TMP/$distro.json" 2>"$TMP/$distro.err"
	rc=$?
	got=$(python3 - "$TMP/$distro.json" "$target" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
bad = [k["key"] for k in d["kernels"] if not k["key"].startswith(sys.argv[2])
       or not k["headers"] or k["headers_missing"] or not k["image"]["sha256"]]
print(" ".join(sorted(k["kernelrelease"] for k in d["kernels"])) + (" BAD:" + ",".join(bad) if bad else ""))
EOF
)
	if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then
		pass "$distro: every kernel of the fixture mirror, with headers ($(wc -w <<<"$want") kernels)"
	else
		fail "$distro: every kernel of the fixture mirror, with headers" "exit $rc; got '$got', want '$want'; $(head -2 "$TMP/$distro.err")"
	fi
}

check_distro ubuntu ubuntu "5.15.0-1003-azure 5.15.0-1003-gcp 5.15.0-1004-aws 5.15.0-1048-gcp 5.15.0-1051-aws 5.15.0-1053-azure 5.15.0-25-generic 5.15.0-25-lowlatency 5.15.0-91-generic 5.15.0-91-lowlatency 5.15.0-94-generic 6.5.0-1014-aws 6.8.0-1007-azure 6.8.0-1007-gcp 6.8.0-1008-aws 6.8.0-1019-aws 6.8.0-31-generic 6.8.0-31-lowlatency 6.8.0-49-generic" ubuntu- --keyring "$KEYRING"
check_distro centos centos-stream "5.14.0-427.el9.x86_64 5.14.0-503.el9.x86_64 5.14.0-522.el9.x86_64" centos:
check_distro rocky rocky "4.18.0-513.5.1.el8_9.x86_64 4.18.0-553.el8_10.x86_64 5.14.0-427.13.1.el9_4.x86_64 5.14.0-503.14.1.el9_5.x86_64" rocky:
check_distro almalinux almalinux "5.14.0-427.13.1.el9_4.x86_64 5.14.0-503.11.1.el9_5.x86_64" almalinux:
check_distro fedora fedora "6.11.10-300.fc41.x86_64 6.11.4-301.fc41.x86_64 6.12.5-200.fc41.x86_64" fedora:
check_distro amazonlinux2 amazonlinux "4.14.352-268.569.amzn2.x86_64 4.14.355-275.570.amzn2.x86_64 5.10.205-195.807.amzn2.x86_64 5.10.228-219.884.amzn2.x86_64" amazonlinux2:
check_distro amazonlinux2023 amazonlinux "6.1.115-126.197.amzn2023.x86_64 6.1.119-129.201.amzn2023.x86_64 6.12.20-17.106.amzn2023.x86_64" amazonlinux2023:

# falco's names: Ubuntu's target and kernelversion, Amazon's target and os-release ID
names=$(python3 - "$TMP/ubuntu.json" "$TMP/amazonlinux2023.json" <<'EOF'
import json, sys
u = {k["uname_r"]: k for k in json.load(open(sys.argv[1]))["kernels"]}
a = json.load(open(sys.argv[2]))["kernels"][0]
k = u["6.5.0-1014-aws"]; g = u["5.15.0-91-generic"]
ok = (k["target"], k["kernelversion"], k["version_id"], g["target"], g["kernelversion"],
      [h["name"] for h in g["headers"]], a["target"], a["os_id"], a["version_id"])
want = ("ubuntu-aws", "14~22.04.1", "22.04", "ubuntu-generic", "101",
        ["linux-headers-5.15.0-91-generic", "linux-headers-5.15.0-91"], "amazonlinux2023", "amzn", "2023")
print("ok" if ok == want else "got %s" % (ok,))
EOF
)
[ "$names" = ok ] && pass "names: ubuntu-<flavor> and uname -v's version, amazonlinux2023/amzn" ||
	fail "names: ubuntu-<flavor> and uname -v's version, amazonlinux2023/amzn" "$names"

# kernel-crawler's form for several distributions at once is one object keyed by name
"$PK" kernels --distro ubuntu --mirror "$NGINX_URL/ubuntu" --keyring "$KEYRING" --no-cache -q \
	--format kernel-crawler >"$TMP/kc.json" 2>/dev/null
kc=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(list(d), len(d["Ubuntu"]), sorted(d["Ubuntu"][0]))' "$TMP/kc.json" 2>&1)
[ "$kc" = "['Ubuntu'] 19 ['headers', 'kernelrelease', 'kernelversion', 'target']" ] &&
	pass "kernel-crawler format for Ubuntu" || fail "kernel-crawler format for Ubuntu" "$kc"

# each broken variant: exit 1, the suite listed as an error, the reason on stderr
# name distro mirror-path suite stderr-pattern [options]
broken() {
	local name=$1 distro=$2 mirror=$3 suite=$4 pattern=$5; shift 5
	local rc
	"$PK" kernels --distro "$distro" --mirror "$NGINX_URL/$mirror" --suite "$suite" --no-cache -q \
		--json "$@" >"$TMP/b.json" 2>"$TMP/b.err"
	rc=$?
	local state
	state=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(" ".join(s["state"] for s in d["suites"]))' "$TMP/b.json" 2>&1)
	if [ $rc -eq 1 ] && grep -Eq "$pattern" "$TMP/b.err" && [[ "$state" == *error* ]]; then
		pass "$name: exit 1, listed as an error, '$(grep -Eo "$pattern" "$TMP/b.err" | head -1)'"
	else
		fail "$name" "exit $rc, states '$state', stderr: $(head -2 "$TMP/b.err")"
	fi
}
broken "bad InRelease signature" ubuntu broken/ubuntu-bad-signature jammy "BAD signature" --keyring "$KEYRING"
broken "expired Release" ubuntu broken/ubuntu-expired jammy "Release for jammy expired at" --keyring "$KEYRING"
broken "Packages not matching InRelease" ubuntu broken/ubuntu-index-mismatch jammy "does not match its Release" --keyring "$KEYRING"
broken "InRelease not signed by the keyring" ubuntu ubuntu jammy "not signed by any key" --keyring /usr/share/keyrings/debian-archive-keyring.gpg
broken "primary not matching repomd" rocky broken/rpm-checksum/rocky 9 "does not match repomd.xml"
broken "truncated primary file" rocky broken/rpm-truncated-file/rocky 9 "corrupt or truncated"
broken "truncated primary XML" rocky broken/rpm-truncated-xml/rocky 9 "line [0-9]+"
broken "bad mirror.list" amazonlinux2 broken/amazonlinux-bad-mirrorlist/amazonlinux 2 "mirror.list"
broken "unreachable mirror" rocky rocky 9 "Connection refused" --mirror "http://127.0.0.1:9/rocky"

# an expired Release is read with --allow-expired, and marked
"$PK" kernels --distro ubuntu --mirror "$NGINX_URL/broken/ubuntu-expired" --suite jammy \
	--keyring "$KEYRING" --no-cache --allow-expired --json >"$TMP/e.json" 2>"$TMP/e.err"
rc=$?
st=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["suites"][0]["state"], d["nr_kernels"])' "$TMP/e.json" 2>&1)
[ $rc -eq 0 ] && [ "$st" = "expired-accepted 5" ] && grep -q "read anyway" "$TMP/e.err" &&
	pass "--allow-expired: the expired suite is read and marked expired-accepted" ||
	fail "--allow-expired: the expired suite is read and marked expired-accepted" "exit $rc, $st"

# a tampered package: the mirror serves other bytes than the signed index names
url=$(python3 -c '
import json,sys
d = json.load(open(sys.argv[1]))
k = [k for k in d["kernels"] if k["uname_r"] == "5.15.0-91-generic"][0]
print(k["headers"][0]["url"])' "$TMP/ubuntu.json")
path=$FX/${url#"$NGINX_URL"/}
mkdir -p "$(dirname "$path")"
# the same length as the index says, other bytes: only the digest can tell
size=$(python3 -c '
import json,sys
d = json.load(open(sys.argv[1]))
print([k for k in d["kernels"] if k["uname_r"] == "5.15.0-91-generic"][0]["headers"][0]["size"])' "$TMP/ubuntu.json")
head -c "$size" /dev/urandom >"$path"
"$PK" build ubuntu-generic:5.15.0-91-generic --distro ubuntu --mirror "$NGINX_URL/ubuntu" \
	--suite jammy-updates --keyring "$KEYRING" --no-btf --out "$TMP/repo" --cache "$TMP/cache" -q \
	>"$TMP/t.out" 2>"$TMP/t.err"
rc=$?
if [ $rc -eq 1 ] && grep -Eq "SHA256 [0-9a-f]{64}, want [0-9a-f]{64}" "$TMP/t.err" && ! ls "$TMP/cache/packages/" 2>/dev/null | grep -q .; then
	pass "tampered package: refused on its SHA256, nothing left in the cache ($(grep -io 'sha256[^;]*' "$TMP/t.err" | head -1 | cut -c1-80))"
else
	fail "tampered package: refused on its SHA256, nothing left in the cache" "exit $rc: $(cat "$TMP/t.err") $(ls "$TMP/cache/packages/" 2>&1)"
fi
