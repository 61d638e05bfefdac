# Shell test helpers (sourced by tests/<subsystem>/*.sh), in the spirit of git's t/.
# Each test prints one line: PASS name | FAIL name: why | SKIP name: why
OUT=${OUT:-build}
PK=${PK:-$PWD/$OUT/probekit}
TMP=$(mktemp -d /tmp/pk-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# extra make arguments for test builds that reuse $OUT's objects: the sanitizer
# build (make check-san sets PK_SAN=1) must link with the same flags
SAN_MAKE_ARGS=()
[ "${PK_SAN:-0}" = 1 ] && SAN_MAKE_ARGS=(SAN=1 CC=clang)

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; }
skip() { echo "SKIP $1: $2"; }

# Can this machine load BPF at all? Empty when it can, else why not. A real load
# of tiny programs, independent of what we build (a broken probe must fail its
# tests, not make them skip): bpftool's feature probe loads one program of each
# type; without bpftool, probekit detect loads a 2-instruction raw_tp program.
bpf_capability() {
	[ "$(id -u)" = 0 ] || { echo "not root"; return; }
	[ -r /sys/kernel/btf/vmlinux ] || { echo "no /sys/kernel/btf/vmlinux"; return; }
	if command -v bpftool >/dev/null; then
		bpftool -j feature probe kernel 2>/dev/null | grep -q '"have_raw_tracepoint_prog_type":true' ||
			echo "kernel cannot load a raw_tp program (bpftool feature probe kernel)"
		return
	fi
	"$PK" detect --json >"$TMP/.detect" 2>/dev/null || { echo "probekit detect failed"; return; }
	grep -q '"raw_tp": *true' "$TMP/.detect" || echo "kernel cannot load raw_tp programs"
}

# Every skip about loading BPF gives a reason that starts with this, and only
# those: tests/run.sh counts them as failures where BPF can be loaded (or with
# PROBEKIT_REQUIRE_BPF=1). Other skips (a missing tool) stay skips.
PK_NO_BPF="no BPF:"

# why we cannot run kernel tests here ("no BPF: not root"), or empty. tests/run.sh
# decides once and exports PK_BPF_WHY; a script run alone decides itself.
need_bpf() {
	local why
	if [ -n "${PK_BPF_WHY+set}" ]; then why=$PK_BPF_WHY; else why=$(bpf_capability); fi
	[ -z "$why" ] || echo "$PK_NO_BPF $why"
}

# test_expect NAME CMD...: run CMD, pass on exit 0; output kept in $TMP/out
test_expect() {
	local name=$1; shift
	if "$@" >"$TMP/out" 2>&1; then pass "$name"; else fail "$name" "$(tail -3 "$TMP/out" | tr '\n' ' ')"; fi
}

# test_must_fail NAME CMD...: pass when CMD exits 1..125 (a controlled failure, not a crash)
test_must_fail() {
	local name=$1; shift
	"$@" >"$TMP/out" 2>&1
	local rc=$?
	if [ $rc -ge 1 ] && [ $rc -le 125 ]; then pass "$name"; else fail "$name" "exit $rc: $(tail -3 "$TMP/out" | tr '\n' ' ')"; fi
}

# jq-free JSON field read: json_get FILE KEY (first match, scalars only)
json_get() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    d = d[int(k)] if isinstance(d, list) else d[k]
print(d if not isinstance(d,bool) else str(d).lower())' "$1" "$2"
}
