#!/usr/bin/env bash
# `probekit btf min`: reduce kernel BTF for our objects and libbpf-tools' embedded
# objects with --verify, compare sizes with bpftool gen min_core_btf, bad input.
. "$(dirname "$0")/../lib.sh"

VM=/sys/kernel/btf/vmlinux
if ! "$PK" btf min --help >/dev/null 2>&1; then
	skip btf_min "'$PK btf min' is not available (dispatcher not built yet)"
	exit 0
fi
if [ ! -r "$VM" ]; then
	skip btf_min "no $VM"
	exit 0
fi
cp "$VM" "$TMP/vmlinux.btf"	# bpftool and we both read it; sysfs reads are slow
VM=$TMP/vmlinux.btf

size() { stat -c %s "$1"; }

# ours is not larger than bpftool's on the same inputs; prints both
compare_bpftool() {
	local name=$1 ours=$2; shift 2
	if ! command -v bpftool >/dev/null; then skip "$name" "bpftool not installed"; return; fi
	if ! bpftool gen min_core_btf "$VM" "$TMP/bpftool.btf" "$@" >/dev/null 2>&1; then
		skip "$name" "bpftool gen min_core_btf failed"; return
	fi
	echo "  $name: ours $(size "$ours") bytes, bpftool $(size "$TMP/bpftool.btf") bytes"
	if [ "$(size "$ours")" -le "$(size "$TMP/bpftool.btf")" ]; then pass "$name"
	else fail "$name" "ours $(size "$ours") > bpftool $(size "$TMP/bpftool.btf")"; fi
}

for o in probe.core.bpf.o probe.btf.bpf.o; do
	obj=$OUT/$o
	if [ ! -f "$obj" ]; then skip "btf_min_verify_$o" "$obj not built"; continue; fi
	test_expect "btf_min_verify_$o" "$PK" btf min "$obj" --btf "$VM" -o "$TMP/$o.btf" --verify
	compare_bpftool "btf_min_size_$o" "$TMP/$o.btf" "$obj"
done

# both objects, JSON
if [ -f "$OUT/probe.core.bpf.o" ] && [ -f "$OUT/probe.btf.bpf.o" ]; then
	if "$PK" btf min "$OUT/probe.core.bpf.o" "$OUT/probe.btf.bpf.o" --btf "$VM" -o "$TMP/both.btf" \
		--verify --json >"$TMP/both.json" 2>"$TMP/err" &&
	   [ "$(json_get "$TMP/both.json" verify.ok)" = true ] &&
	   [ "$(json_get "$TMP/both.json" bytes)" = "$(size "$TMP/both.btf")" ]; then
		pass btf_min_json
	else
		fail btf_min_json "$(cat "$TMP/err") $(head -c 300 "$TMP/both.json")"
	fi
fi

# the reduced BTF lets libbpf load the core object (needs root + bpftool's prog loadall)
if [ -f "$TMP/probe.core.bpf.o.btf" ]; then
	why=$(need_bpf)
	if [ -n "$why" ]; then skip btf_min_loads "$why"
	elif ! bpftool prog help 2>&1 | grep -q kernel_btf; then skip btf_min_loads "bpftool cannot take a custom BTF"
	else
		d=/sys/fs/bpf/pk-btf-min-$$
		if bpftool prog loadall "$OUT/probe.core.bpf.o" "$d" kernel_btf "$TMP/probe.core.bpf.o.btf" >"$TMP/out" 2>&1; then
			pass btf_min_loads
		else
			fail btf_min_loads "$(tail -3 "$TMP/out" | tr '\n' ' ')"
		fi
		rm -rf "$d"
	fi
fi

# objects embedded in libbpf-tools binaries (skeletons)
n=0
for t in opensnoop execsnoop tcpconnect biosnoop runqlat tcpstates; do
	bin=/usr/sbin/$t
	[ -x "$bin" ] || continue
	n=$((n + 1))
	test_expect "btf_min_libbpf_tools_$t" "$PK" btf min "$bin" --btf "$VM" -o "$TMP/$t.btf" --verify
done
[ $n -gt 0 ] || skip btf_min_libbpf_tools "libbpf-tools not installed"

# bad input: a controlled error, never a crash, and no output written
test_must_fail btf_min_no_btf_arg "$PK" btf min "$OUT/probe.core.bpf.o" -o "$TMP/x.btf"
test_must_fail btf_min_not_an_object "$PK" btf min /etc/hostname --btf "$VM" -o "$TMP/x.btf"
head -c 3000 "$VM" >"$TMP/trunc.btf"
test_must_fail btf_min_truncated_btf "$PK" btf min "$OUT/probe.core.bpf.o" --btf "$TMP/trunc.btf" -o "$TMP/x.btf"
if [ -f "$OUT/probe.core.bpf.o" ]; then
	head -c 5000 "$OUT/probe.core.bpf.o" >"$TMP/trunc.o"
	test_must_fail btf_min_truncated_object "$PK" btf min "$TMP/trunc.o" --btf "$VM" -o "$TMP/x.btf"
fi
if [ -e "$TMP/x.btf" ]; then fail btf_min_no_output_on_error "$TMP/x.btf written"; else pass btf_min_no_output_on_error; fi
