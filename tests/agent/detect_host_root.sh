# falcoctl's names for another host through `probekit detect --host-root`: fake
# host roots (etc/os-release and the other files falcoctl reads) with that host's
# uname -r/-v/-m, checked against the target, kernelrelease, kernelversion and
# repository paths falcoctl and the farm use. No BPF needed: names only.
. "$(dirname "$0")/../lib.sh"

# mkroot NAME FILE=TEXT...: a host root under $TMP/NAME holding those files
mkroot() {
	local d=$TMP/$1; shift
	mkdir -p "$d/etc"
	for kv in "$@"; do
		mkdir -p "$(dirname "$d/${kv%%=*}")"
		printf '%b' "${kv#*=}" >"$d/${kv%%=*}"
	done
}

# check NAME UNAME_R UNAME_V UNAME_M TARGET KR KV OS_ID VERSION_ID
# ("-" = that name must be null; OS_ID "-" = no reduced BTF path)
check() {
	local name=$1 r=$2 v=$3 m=$4
	shift 4
	if ! "$PK" detect --json --host-root "$TMP/$name" --uname-r "$r" --uname-v "$v" --uname-m "$m" \
		>"$TMP/$name.json" 2>"$TMP/$name.err"; then
		fail "detect_host_root/$name" "exit $?: $(tail -2 "$TMP/$name.err" | tr '\n' ' ')"
		return
	fi
	local why
	why=$(python3 - "$TMP/$name.json" "$r" "$m" "$@" <<'PY'
import json, re, sys
d = json.load(open(sys.argv[1]))
r, m, t, kr, kv, os_id, vid = sys.argv[2:9]
k = d["repository_key"]
none = lambda s: None if s == "-" else s
bad = []
pv = (k.get("core_object") or "").split("/")[0]
if not re.fullmatch(r"p[0-9a-f]{15}", pv):
    bad.append("probe version %r" % pv)
want = {"target": none(t), "kernelrelease": none(kr), "kernelversion": none(kv),
        "core_object": "%s/%s/probe.core.bpf.o" % (pv, m),
        "btf_object": "%s/%s/probe.btf.bpf.o" % (pv, m)}
want["legacy_object"] = (None if "-" in (t, kr, kv) else
                         "%s/%s/probekit_%s_%s_%s.o" % (pv, m, t, kr, kv))
arch = {"aarch64": "arm64"}.get(m, m)
want["reduced_btf"] = None if os_id == "-" else "%s/btf/%s/%s/%s/%s.btf" % (pv, os_id, vid, arch, r)
for f, w in want.items():
    if k.get(f) != w:
        bad.append("%s %r, want %r" % (f, k.get(f), w))
complete = all(w is not None for w in want.values())
if complete == ("error" in k):
    bad.append("error %r with every name %s" % (k.get("error"), "made" if complete else "not made"))
if d["target_id"] != (none(t) or ""):
    bad.append("target_id %r" % d["target_id"])
print("; ".join(bad))
PY
)
	if [ -z "$why" ]; then pass "detect_host_root/$name"; else fail "detect_host_root/$name" "$why"; fi
}

OSR_DEBIAN12='PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n'

mkroot debian-bookworm "etc/os-release=$OSR_DEBIAN12" "etc/debian_version=12.12\n"
check debian-bookworm 6.1.0-40-amd64 "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)" x86_64 \
	debian 6.1.153-1-amd64 1 debian 12

mkroot debian-bookworm-arm "etc/os-release=$OSR_DEBIAN12"
check debian-bookworm-arm 6.1.0-40-arm64 "#1 SMP Debian 6.1.153-1 (2025-09-20)" aarch64 \
	debian 6.1.153-1-arm64 1 debian 12

mkroot debian-buster-rt 'etc/os-release=ID=debian\nVERSION_ID="10"\n'
check debian-buster-rt 5.10.0-0.deb10.22-rt-amd64 "#1 SMP PREEMPT_RT Debian 5.10.178-3~deb10u1 (2023-05-27)" \
	x86_64 debian 5.10.178-3-rt-amd64 1 debian 10

mkroot debian-bullseye-rt 'etc/os-release=ID=debian\nVERSION_ID="11"\n'
check debian-bullseye-rt 5.10.0-35-rt-amd64 "#1 SMP PREEMPT_RT Debian 5.10.237-1 (2025-05-19)" x86_64 \
	debian 5.10.237-1-rt-amd64 1 debian 11

mkroot debian-trixie 'usr/lib/os-release=ID=debian\nVERSION_ID="13"\nVERSION_CODENAME=trixie\n'
check debian-trixie 6.12.57+deb13-cloud-amd64 "#1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)" x86_64 \
	debian 6.12.57-1-cloud-amd64 1 debian 13

# Debian without os-release: etc/debian_version names it; no os id, no reduced BTF
mkroot debian-version-only "etc/debian_version=12.12\n"
check debian-version-only 6.1.0-40-amd64 "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)" x86_64 \
	debian 6.1.153-1-amd64 1 - -

mkroot ubuntu-generic 'etc/os-release=NAME="Ubuntu"\nID=ubuntu\nID_LIKE=debian\nVERSION_ID="20.04"\n'
check ubuntu-generic 5.15.0-101-generic "#111~20.04.1-Ubuntu SMP Mon Mar 11 15:44:43 UTC 2024" x86_64 \
	ubuntu-generic 5.15.0-101-generic 111~20.04.1 ubuntu 20.04

mkroot ubuntu-aws 'etc/os-release=ID=ubuntu\nVERSION_ID="22.04"\n'
check ubuntu-aws 6.5.0-1014-aws "#14~22.04.1-Ubuntu SMP Thu Feb 15 15:27:06 UTC 2024" aarch64 \
	ubuntu-aws 6.5.0-1014-aws 14~22.04.1 ubuntu 22.04

mkroot centos 'etc/os-release=NAME="CentOS Linux"\nID="centos"\nID_LIKE="rhel fedora"\nVERSION_ID="7"\n' \
	"etc/centos-release=CentOS Linux release 7.9.2009 (Core)\n" "etc/redhat-release=CentOS Linux release 7.9.2009 (Core)\n"
check centos 3.10.0-1160.el7.x86_64 "#1 SMP Mon Oct 19 16:18:59 UTC 2020" x86_64 \
	centos 3.10.0-1160.el7.x86_64 1 centos 7

# RHEL 6 style: redhat-release only, no os-release
mkroot rhel "etc/redhat-release=Red Hat Enterprise Linux Server release 6.10 (Santiago)\n"
check rhel 2.6.32-754.el6.x86_64 "#1 SMP Thu May 24 18:18:25 EDT 2018" x86_64 \
	rhel 2.6.32-754.el6.x86_64 1 - -

mkroot fedora 'etc/os-release=NAME="Fedora Linux"\nVERSION_ID=39\nID=fedora\n'
check fedora 6.5.6-300.fc39.x86_64 "#1 SMP PREEMPT_DYNAMIC Fri Oct  6 19:57:21 UTC 2023" x86_64 \
	fedora 6.5.6-300.fc39.x86_64 1 fedora 39

mkroot amzn2 'etc/os-release=NAME="Amazon Linux"\nVERSION="2"\nID="amzn"\nID_LIKE="centos rhel fedora"\nVERSION_ID="2"\n' \
	"etc/system-release=Amazon Linux release 2 (Karoo)\n"
check amzn2 5.10.205-195.807.amzn2.x86_64 "#1 SMP Tue Jan 16 18:28:59 UTC 2024" x86_64 \
	amazonlinux2 5.10.205-195.807.amzn2.x86_64 1 amzn 2

mkroot amzn2023 'usr/lib/os-release=NAME="Amazon Linux"\nID="amzn"\nVERSION_ID="2023"\n'
check amzn2023 6.1.72-96.166.amzn2023.aarch64 "#1 SMP Wed Jan 10 22:11:01 UTC 2024" aarch64 \
	amazonlinux2023 6.1.72-96.166.amzn2023.aarch64 1 amzn 2023

mkroot flatcar 'etc/os-release=NAME="Flatcar Container Linux by Kinvolk"\nID=flatcar\nID_LIKE=coreos\nVERSION=3815.2.0\nVERSION_ID=3815.2.0\n'
check flatcar 6.1.73-flatcar "#1 SMP PREEMPT_DYNAMIC Mon Jan 15 22:44:27 -00 2024" x86_64 \
	flatcar 3815.2.0 1 flatcar 3815.2.0

mkroot bottlerocket 'etc/os-release=NAME=Bottlerocket\nID=bottlerocket\nVERSION="1.19.2 (aws-k8s-1.28)"\nVERSION_ID=1.19.2\nVARIANT_ID=aws-k8s-1.28\n'
check bottlerocket 6.1.72 "#1 SMP Fri Feb  2 22:38:10 UTC 2024" x86_64 \
	bottlerocket 6.1.72 1_1.19.2-aws bottlerocket 1.19.2

mkroot minikube 'etc/os-release=NAME=Buildroot\nVERSION=2023.02.9\nID=buildroot\nVERSION_ID=2023.02.9\n' \
	"etc/VERSION=v1.33.0\n"
check minikube 5.10.207 "#1 SMP Thu Apr 18 22:45:33 UTC 2024" x86_64 \
	minikube 5.10.207 1_1.33.0 buildroot 2023.02.9

mkroot talos 'etc/os-release=NAME="Talos"\nID=talos\nVERSION_ID=v1.6.4\n'
check talos 6.1.74-talos "#1 SMP Tue Feb  6 10:47:27 UTC 2024" x86_64 \
	talos 6.1.74-talos 1_v1.6.4 talos v1.6.4

# nothing: falcoctl's "undetermined", no download; generic names, no legacy path
mkroot empty
check empty 6.1.0 "#1 SMP" x86_64 - 6.1.0 1 - -
grep -q 'undetermined' "$TMP/empty.json" &&
	pass "detect_host_root/empty: reason says undetermined" ||
	fail "detect_host_root/empty: reason says undetermined" "$(json_get "$TMP/empty.json" repository_key.error)"

# hostile ID: no target, no path built from it, and the reason says which name
mkroot hostile 'etc/os-release=ID=../../x\nVERSION_ID=12\n'
check hostile 6.1.0-40-amd64 "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)" x86_64 \
	- 6.1.0-40-amd64 1 - -
err=$(json_get "$TMP/hostile.json" repository_key.error)
case $err in
*"os-release ID '../../x' cannot be a path component"*) pass "detect_host_root/hostile: reason" ;;
*) fail "detect_host_root/hostile: reason" "$err" ;;
esac
if python3 -c 'import json,sys
k = json.load(open(sys.argv[1]))["repository_key"]
sys.exit(any(v and ".." in v for f, v in k.items() if f != "error"))' "$TMP/hostile.json"; then
	pass "detect_host_root/hostile: no path"
else
	fail "detect_host_root/hostile: no path" "a repository path holds the ID"
fi

# the text form carries the same block; HOST_ROOT is read as falcoctl does
if HOST_ROOT=$TMP/talos "$PK" detect --uname-r 6.1.74-talos --uname-v "#1 SMP" --uname-m x86_64 >"$TMP/talos.txt" 2>&1 &&
	grep -q '^repository:  target talos, kernelrelease 6.1.74-talos, kernelversion 1_v1.6.4$' "$TMP/talos.txt" &&
	grep -q 'legacy object p[0-9a-f]*/x86_64/probekit_talos_6.1.74-talos_1_v1.6.4.o$' "$TMP/talos.txt"; then
	pass "detect_host_root/text and HOST_ROOT"
else
	fail "detect_host_root/text and HOST_ROOT" "$(grep -A5 '^repository' "$TMP/talos.txt" | tr '\n' '|')"
fi

test_must_fail "detect_host_root/missing root" "$PK" detect --host-root "$TMP/nonexistent"
test_must_fail "detect_host_root/uname too long" "$PK" detect --uname-r "$(printf '%065d' 0)"
