#!/usr/bin/env bash
# probekit verify: boot Debian 5.10 / 6.1 / 6.12 kernels under QEMU (KVM or
# software emulation), modes btf and no-btf, then the faults: a non-kernel file,
# a guest whose init dies (kernel panic), a hang (--timeout), an object that
# fails in the guest, QEMU missing, bad usage. Kernels come from
# scripts/kernel-corpus.sh (cached). VERIFY_JOBS=N sets the VMs at once (2).
. "$(dirname "$0")/../lib.sh"

JOBS=${VERIFY_JOBS:-2}
# generous: software emulation on a busy 2-CPU box takes 1-3 min per boot
TIMEOUT=${VERIFY_TIMEOUT:-900}

# usage errors need nothing
"$PK" verify >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "verify: no kernel is a usage error" || fail "verify: no kernel is a usage error" "exit $rc"
"$PK" verify -k x --mode object >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "verify: mode object needs --probe" || fail "verify: mode object needs --probe" "exit $rc"
"$PK" verify -k x --mode bogus >/dev/null 2>&1; rc=$?
[ $rc = 2 ] && pass "verify: unknown mode is a usage error" || fail "verify: unknown mode is a usage error" "exit $rc"

# QEMU missing: every kernel says so, exit 3 (could not run)
echo "not a kernel" >"$TMP/notakernel"
PROBEKIT_QEMU=/nonexistent/qemu-system-x86_64 "$PK" verify --json -k "$TMP/notakernel" >"$TMP/noqemu.json" 2>"$TMP/noqemu.err"; rc=$?
if [ $rc = 3 ] && grep -q 'not found' "$TMP/noqemu.json"; then pass "verify: qemu missing is reported per kernel, exit 3"
else fail "verify: qemu missing is reported per kernel, exit 3" "exit $rc: $(head -c 300 "$TMP/noqemu.json")"; fi

if ! command -v qemu-system-x86_64 >/dev/null; then
	skip "verify: kernel matrix" "qemu-system-x86_64 not installed (apt-get install qemu-system-x86)"
	exit 0
fi
[ -x /bin/busybox ] || [ -x /usr/bin/busybox ] || { skip "verify: kernel matrix" "busybox not installed (busybox-static)"; exit 0; }

# a file that is not a kernel: error for that kernel, exit 1, no boot
"$PK" verify --json -k "$TMP/notakernel" >"$TMP/bad.json" 2>/dev/null; rc=$?
if [ $rc = 1 ] && [ "$(json_get "$TMP/bad.json" results.0.result)" = error ] &&
   json_get "$TMP/bad.json" results.0.reason | grep -q 'not a kernel image'; then
	pass "verify: a non-kernel file is an error with its reason"
else
	fail "verify: a non-kernel file is an error with its reason" "exit $rc: $(head -c 300 "$TMP/bad.json")"
fi

# the kernels: one per suite, from the cache when there
declare -A DEB
for s in bullseye bookworm trixie; do
	f=$(bash scripts/kernel-corpus.sh fetch "$s:latest" 2>"$TMP/fetch.err" | tail -1)
	if [ -z "$f" ] || [ ! -r "$f" ]; then
		skip "verify: kernel matrix" "cannot fetch a $s kernel: $(tail -1 "$TMP/fetch.err")"
		exit 0
	fi
	DEB[$s]=$f
done

# faults, in the background while the matrix runs: a guest whose init dies
# (busybox replaced by /bin/false -> kernel panic), a hang cut by --timeout 1,
# an object that is not BPF (the agent falls back: mode object fails)
echo "this is not an ELF object" >"$TMP/bad.o"
(
	PROBEKIT_BUSYBOX=/bin/false "$PK" verify --json --timeout "$TIMEOUT" -k "${DEB[bookworm]}" --mode btf \
		>"$TMP/panic.json" 2>/dev/null; echo $? >"$TMP/panic.rc"
	"$PK" verify --json --timeout 1 -k "${DEB[bookworm]}" --mode btf >"$TMP/hang.json" 2>/dev/null
	echo $? >"$TMP/hang.rc"
) &
faults=$!

# an agent whose embedded archive holds these three kernels' reduced BTF, so that
# mode no-btf is served by it (objects reused from $OUT; only the archive is new)
VPK=$PK
want_reduced=0
ROOT=$PWD
mkdir -p "$TMP/corpus"
for s in bullseye bookworm trixie; do
	case $s in bullseye) v=11 ;; bookworm) v=12 ;; trixie) v=13 ;; esac
	rel=$(basename "${DEB[$s]}"); rel=${rel#linux-image-}; rel=${rel%%_*}
	mkdir -p "$TMP/corpus/debian/$v/x86_64"
	"$PK" btf extract "${DEB[$s]}" -o "$TMP/corpus/debian/$v/x86_64/$rel.btf" >/dev/null 2>"$TMP/x.err" || break
done
if [ "$(find "$TMP/corpus" -name '*.btf' | wc -l)" = 3 ] && cp -a "$ROOT/$OUT" "$TMP/vbuild" &&
   rm -f "$TMP/vbuild/btf-archive.pkba" "$TMP/vbuild/embedded_btf.o" "$TMP/vbuild/probekit" &&
   make -C "$ROOT" --no-print-directory "${SAN_MAKE_ARGS[@]}" OUT="$TMP/vbuild" BTF_CORPUS="$TMP/corpus" \
	"$TMP/vbuild/probekit" >"$TMP/vmake.log" 2>&1; then
	VPK=$TMP/vbuild/probekit
	want_reduced=1
	pass "verify: agent built with the three kernels' reduced BTF embedded"
else
	fail "verify: agent with embedded reduced BTF" "$(tail -n 3 "$TMP/x.err" "$TMP/vmake.log" 2>/dev/null)"
fi

start=$SECONDS
"$VPK" verify --json -j "$JOBS" --timeout "$TIMEOUT" --mode btf,no-btf \
	-k "${DEB[bullseye]}" -k "${DEB[bookworm]}" -k "${DEB[trixie]}" >"$TMP/matrix.json" 2>"$TMP/matrix.err"
rc=$?
took=$((SECONDS - start))
python3 - "$TMP/matrix.json" "$want_reduced" <<'EOF' || fail "verify: matrix output" "not JSON: $(head -c 300 "$TMP/matrix.json")"
import json, sys
d = json.load(open(sys.argv[1]))
want_reduced = sys.argv[2] == "1"
for r in d["results"]:
    name = "verify: %s %s" % (r["kernel"], r["mode"])
    if r["passed"] and want_reduced and r["mode"] == "no-btf" and r["candidate"] != "embedded-core+reduced-btf":
        print("FAIL %s: passed with %s, not the embedded reduced BTF" % (name, r["candidate"]))
    elif r["passed"]:
        print("PASS %s (%s, boot-to-verdict %.1fs, %s)" % (name, r["candidate"], r["boot_to_verdict_s"], r["accel"]))
    else:
        tail = " | ".join((r.get("console_tail") or "").strip().splitlines()[-4:])
        print("FAIL %s: %s [console: %s]" % (name, r["reason"], tail))
EOF
[ $rc = 0 ] && pass "verify: matrix exit 0 (${took}s wall)" || fail "verify: matrix exit 0" "exit $rc after ${took}s: $(tail -3 "$TMP/matrix.err" | tr '\n' ' ')"

"$PK" verify --json --timeout "$TIMEOUT" --mode object --probe "$TMP/bad.o" -k "${DEB[bookworm]}" >"$TMP/obj.json" 2>/dev/null; rc=$?
if [ $rc = 1 ] && [ "$(json_get "$TMP/obj.json" results.0.result)" = fail ] &&
   json_get "$TMP/obj.json" results.0.reason | grep -q 'object did not serve'; then
	pass "verify: an object that fails in the guest fails with the agent's reason"
else
	fail "verify: an object that fails in the guest fails with the agent's reason" "exit $rc: $(head -c 400 "$TMP/obj.json")"
fi

# a kernel booted with lockdown=confidentiality (what Secure Boot fleets run):
# BPF may not read kernel memory there, so every candidate fails at load; the
# row fails with that reason first, and its console log is kept.
# The same run covers verify's retry: its first QEMU launch ends at once with
# no output (what TCG did once in 36 boots), the next launches are the real
# QEMU, and the row must say it was booted again.
QEMU_REAL=$(command -v qemu-system-x86_64)
cat >"$TMP/qemu-once" <<EOF
#!/bin/sh
mkdir "$TMP/qemu-once.first" 2>/dev/null && exit 0
exec "$QEMU_REAL" "\$@"
EOF
chmod +x "$TMP/qemu-once"
PROBEKIT_QEMU=$TMP/qemu-once "$PK" verify --json --timeout "$TIMEOUT" --mode btf --append lockdown=confidentiality \
	-k "${DEB[bookworm]}" --log-dir "$TMP/lockdown-logs" >"$TMP/lock.json" 2>/dev/null; rc=$?
retried=$(json_get "$TMP/lock.json" results.0.retried 2>/dev/null)
if [ -n "$retried" ] && [ "$retried" != None ] && [ -d "$TMP/qemu-once.first" ]; then
	pass "verify: a QEMU that ends with no output is booted once more ($retried)"
else
	fail "verify: a QEMU that ends with no output is booted once more" "retried '$retried': $(head -c 400 "$TMP/lock.json")"
fi
if [ $rc = 1 ] && [ "$(json_get "$TMP/lock.json" results.0.result)" = fail ] &&
   [ "$(json_get "$TMP/lock.json" append)" = lockdown=confidentiality ] &&
   json_get "$TMP/lock.json" results.0.reason | grep -q "no candidate loaded; embedded-btf failed: kernel lockdown is 'confidentiality'" &&
   [ "$(json_get "$TMP/lock.json" results.0.guest.host.lockdown)" = confidentiality ] &&
   [ -s "$(json_get "$TMP/lock.json" results.0.console_log)" ]; then
	pass "verify: a kernel in lockdown=confidentiality fails with that reason, log kept"
else
	fail "verify: a kernel in lockdown=confidentiality fails with that reason, log kept" "exit $rc: $(head -c 600 "$TMP/lock.json")"
fi

wait $faults
if [ "$(cat "$TMP/panic.rc")" = 1 ] && [ "$(json_get "$TMP/panic.json" results.0.outcome)" = panic ] &&
   json_get "$TMP/panic.json" results.0.reason | grep -q 'Kernel panic' &&
   [ -n "$(json_get "$TMP/panic.json" results.0.console_tail)" ]; then
	pass "verify: a guest whose init dies is a kernel panic with the console tail"
else
	fail "verify: a guest whose init dies is a kernel panic with the console tail" "exit $(cat "$TMP/panic.rc"): $(head -c 400 "$TMP/panic.json")"
fi
if [ "$(cat "$TMP/hang.rc")" = 1 ] && [ "$(json_get "$TMP/hang.json" results.0.outcome)" = timeout ] &&
   python3 -c 'import json,sys; r=json.load(open(sys.argv[1]))["results"][0]; sys.exit(not r["vm_wall_s"] < 5)' "$TMP/hang.json"; then
	pass "verify: --timeout 1 kills the VM at its deadline"
else
	fail "verify: --timeout 1 kills the VM at its deadline" "exit $(cat "$TMP/hang.rc"): $(head -c 400 "$TMP/hang.json")"
fi
