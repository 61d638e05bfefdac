# Repositories of this very kernel's artifacts for the agent's tests (sourced after
# tests/lib.sh): its legacy object and reduced BTF under the names the agent asks
# for, signed, and the helpers that read the agent's status.
#   host_repo_setup        build the artifacts and two keys; 1 (with a FAIL line) when it cannot
#   mkrepo NAME [legacy] [reduced] [KEY] [VALID_FOR]   a repository under $W/NAME
#   hidden CMD...          CMD with /sys/kernel/btf hidden (a private mount)
#   q FILE EXPR, cand FILE NAME EXPR   Python expressions over a status document
#   cache_clean DIR        every cached object is what its name says, no temp file anywhere
# After host_repo_setup: PV, target, krel, kver, LEG, RED, os, ver, arch, rel, W,
# $TMP/red.btf, $TMP/k1.{pub,sec}, $TMP/k2.{pub,sec}.
HOST_REPO_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)

hidden() { unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh "$@"; }
# q FILE EXPR: a Python expression over the JSON document d
q() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2" 2>/dev/null; }
# cand FILE NAME EXPR: EXPR over candidate c of that name in a status document
cand() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
c=[x for x in d["attempts"] if x["name"]==sys.argv[2]][0]
print(eval(sys.argv[3]))' "$1" "$2" "$3" 2>/dev/null
}
# every object in the cache is what its name says, and no temp file is left anywhere
cache_clean() {
	local d=$1/agent/objects f t
	t=$(find "$1" -name '*.tmp.*' 2>/dev/null | head -3)
	[ -z "$t" ] || { echo "temp file left: $t"; return 1; }
	[ -d "$d" ] || return 0
	for f in "$d"/*; do
		[ -e "$f" ] || continue
		[ "$(sha256sum <"$f" | cut -c1-64)" = "$(basename "$f")" ] || { echo "bad object: $f"; return 1; }
	done
}

host_repo_setup() {
	make -C "$HOST_REPO_ROOT" --no-print-directory "${SAN_MAKE_ARGS[@]}" OUT="$OUT" "$OUT/probe.legacy.bpf.o" \
		>"$TMP/make.log" 2>&1 ||
		{ fail "build this kernel's legacy object" "$(tail -3 "$TMP/make.log")"; return 1; }
	"$PK" detect --json >"$TMP/d.json" || { fail "detect" "exit $?"; return 1; }
	PV=$("$PK" version --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["probe_version"])')
	target=$(q "$TMP/d.json" 'd["repository_key"]["target"]')
	krel=$(q "$TMP/d.json" 'd["repository_key"]["kernelrelease"]')
	kver=$(q "$TMP/d.json" 'd["repository_key"]["kernelversion"]')
	LEG=$(q "$TMP/d.json" 'd["repository_key"]["legacy_object"]')
	RED=$(q "$TMP/d.json" 'd["repository_key"]["reduced_btf"]')
	os=$(q "$TMP/d.json" 'd["os_id"]') ver=$(q "$TMP/d.json" 'd["os_version_id"]') arch=$(uname -m) rel=$(uname -r)
	"$PK" btf min "$OUT/probe.core.bpf.o" --btf /sys/kernel/btf/vmlinux -o "$TMP/red.btf" >/dev/null ||
		{ fail "reduce this kernel's BTF" "btf min failed"; return 1; }
	"$PK" repo keygen --public "$TMP/k1.pub" --secret "$TMP/k1.sec" >/dev/null 2>&1
	"$PK" repo keygen --public "$TMP/k2.pub" --secret "$TMP/k2.sec" >/dev/null 2>&1
	W=$TMP/www
}

# mkrepo NAME [legacy] [reduced] [KEY] [VALID_FOR]: this kernel's chosen artifacts and
# the CO-RE objects, signed with KEY (default k1)
mkrepo() {
	local name=$1 args=() key=${4:-$TMP/k1.sec}
	[ "$2" = legacy ] && args+=("legacy=$HOST_REPO_ROOT/$OUT/probe.legacy.bpf.o")
	[ "$3" = reduced ] && args+=("reduced=$TMP/red.btf")
	python3 "$HOST_REPO_ROOT/tests/fetch/mkhostrepo.py" "$W/$name" "$PV" "$target" "$krel" "$kver" "$os" \
		"$ver" "$arch" "$rel" "${args[@]}" || return 1
	mkdir -p "$W/$name/$PV/$arch"
	cp "$OUT/probe.core.bpf.o" "$OUT/probe.btf.bpf.o" "$W/$name/$PV/$arch/"
	"$PK" repo index "$W/$name" --key "$key" --valid-for "${5:-7d}" >/dev/null
}
