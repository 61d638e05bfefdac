# The agent on a kernel without /sys/kernel/btf: the embedded reduced BTF of this
# very kernel serves (a test build whose corpus holds this kernel's BTF), and a
# wrong kernel's BTF under this kernel's key is caught and reported.
. "$(dirname "$0")/../lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

why=$(need_bpf)
if [ -n "$why" ]; then
	skip "reduced BTF in the agent" "$why"
	exit 0
fi
"$PK" detect --json >"$TMP/d.json"
os=$(json_get "$TMP/d.json" os_id) ver=$(json_get "$TMP/d.json" os_version_id)
arch=$(uname -m); [ "$arch" = aarch64 ] && arch=arm64
rel=$(uname -r)
hidden() { unshare -m sh -c 'mount -t tmpfs none /sys/kernel/btf && exec "$@"' sh "$@"; }

# a test build of the agent with this kernel's BTF in its corpus (objects reused)
mkdir -p "$TMP/corpus/$os/$ver/$arch"
cp /sys/kernel/btf/vmlinux "$TMP/corpus/$os/$ver/$arch/$rel.btf"
cp -a "$ROOT/$OUT" "$TMP/build"
rm -f "$TMP/build/btf-archive.pkba" "$TMP/build/embedded_btf.o" "$TMP/build/probekit"
if make -C "$ROOT" --no-print-directory "${SAN_MAKE_ARGS[@]}" OUT="$TMP/build" BTF_CORPUS="$TMP/corpus" \
	"$TMP/build/probekit" >"$TMP/make.log" 2>&1; then
	pass "test build embeds the reduced BTF of this kernel"
else
	fail "test build embeds the reduced BTF of this kernel" "$(tail -n 5 "$TMP/make.log")"
	exit 0
fi
size=$(stat -c %s "$TMP/build/btf-archive.pkba")

"$TMP/build/probekit" detect --json >"$TMP/d2.json"
if [ "$(json_get "$TMP/d2.json" btf_archive.host_key_present)" = true ] &&
   [ "$(json_get "$TMP/d2.json" btf_archive.kernels)" = 1 ]; then
	pass "detect: this host's key is in the embedded archive ($size bytes)"
else
	fail "detect: host key in the archive" "$(grep -A6 btf_archive "$TMP/d2.json")"
fi

if hidden "$TMP/build/probekit" selftest --json >"$TMP/r.json" 2>"$TMP/r.err" &&
   [ "$(json_get "$TMP/r.json" candidate)" = embedded-core+reduced-btf ] &&
   [ "$(json_get "$TMP/r.json" selfcheck.passed)" = true ]; then
	pass "no sysfs BTF: embedded reduced BTF loads the core object, self-check passes"
else
	fail "no sysfs BTF: embedded reduced BTF serves" "$(tail -n 6 "$TMP/r.err")"
fi
if hidden "$TMP/build/probekit" run --events exec --duration 1 --output "$TMP/ev.json" 2>"$TMP/run.err" &&
   grep -q 'using: *embedded-core+reduced-btf' "$TMP/run.err"; then
	pass "run: startup block says embedded-core+reduced-btf"
else
	fail "run with reduced BTF" "$(tail -n 4 "$TMP/run.err")"
fi
# a wrong kernel's BTF under this kernel's key: caught, reported, exit 1
wrong=$(ls /var/cache/probekit/kernels/boot/vmlinuz-6.1.* /var/cache/probekit/kernels/boot/vmlinuz-5.10.* 2>/dev/null | head -1)
if [ -z "$wrong" ]; then
	skip "wrong BTF under this key is caught" "no cached Debian kernel (the btf_extract test fetches them)"
else
	mkdir -p "$TMP/wrong/$os/$ver/$arch"
	if "$PK" btf extract "$wrong" -o "$TMP/wrong/$os/$ver/$arch/$rel.btf" >/dev/null 2>"$TMP/x.err" &&
	   bash "$ROOT/scripts/build-btf-archive.sh" "$PK" "$ROOT/$OUT/probe.core.bpf.o" "$TMP/wrong" \
		"$TMP/wrong.pkba" 2>"$TMP/x.err"; then
		hidden "$PK" selftest --json --btf-archive "$TMP/wrong.pkba" --selfcheck-timeout 2 \
			>"$TMP/w.json" 2>"$TMP/w.err"
		rc=$?
		state=$(json_get "$TMP/w.json" attempts.2.state)
		stage=$(json_get "$TMP/w.json" attempts.2.stage)
		if [ $rc = 1 ] && [ "$state" = failed ] && { [ "$stage" = load ] || [ "$stage" = self-check ]; } &&
		   grep -q "embedded-core+reduced-btf FAILED at $stage" "$TMP/w.err"; then
			pass "wrong kernel's BTF ($(basename "$wrong")) under this key: caught at $stage, reported"
		else
			fail "wrong BTF under this key is caught" "rc=$rc state=$state stage=$stage $(tail -n 3 "$TMP/w.err")"
		fi
	else
		fail "wrong BTF under this key is caught" "cannot make the archive: $(tail -n 3 "$TMP/x.err")"
	fi
fi

# near misses: same os/version/arch, another release: reported, never used
mkdir -p "$TMP/near/$os/$ver/$arch"
cp /sys/kernel/btf/vmlinux "$TMP/near/$os/$ver/$arch/$rel-other.btf"
bash "$ROOT/scripts/build-btf-archive.sh" "$PK" "$ROOT/$OUT/probe.core.bpf.o" "$TMP/near" "$TMP/near.pkba" 2>/dev/null
hidden "$PK" selftest --json --btf-archive "$TMP/near.pkba" >"$TMP/n.json" 2>"$TMP/n.err"
rc=$?
if [ $rc = 1 ] && [ "$(json_get "$TMP/n.json" attempts.2.state)" = skipped ] &&
   json_get "$TMP/n.json" attempts.2.reason | grep -q "near misses (never used): $rel-other"; then
	pass "near-miss kernel release reported, never used"
else
	fail "near-miss kernel release" "rc=$rc $(json_get "$TMP/n.json" attempts.2.reason)"
fi
