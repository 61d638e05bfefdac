# Integration tests of the agent: the real binary, as root, loading the probe into
# this kernel: the candidate chain and its fallbacks, events on both buffers, drops,
# filters, the self-check, cleanup after SIGTERM, status, usage errors.
. "$(dirname "$0")/../lib.sh"
HERE=$(cd "$(dirname "$0")" && pwd)

why=$(need_bpf)
if [ -n "$why" ]; then
	skip "agent integration tests" "$why"
	exit 0
fi

# start the agent in the background; wait until its status says running
# usage: start_agent NAME ARGS...; sets AGENT_PID, status in $TMP/NAME.status
start_agent() {
	local name=$1; shift
	rm -f "$TMP/$name.status"
	"$PK" run --status "$TMP/$name.status" "$@" >"$TMP/$name.out" 2>"$TMP/$name.err" &
	AGENT_PID=$!
	for _ in $(seq 1 200); do
		grep -q '"state": "running"' "$TMP/$name.status" 2>/dev/null && return 0
		kill -0 $AGENT_PID 2>/dev/null || return 1
		sleep 0.05
	done
	return 1
}
stop_agent() {
	kill -TERM "$AGENT_PID" 2>/dev/null
	wait "$AGENT_PID"
}

# --- selftest picks the tp_btf object on a kernel with BTF
if "$PK" selftest --json >"$TMP/st.json" 2>"$TMP/st.err" &&
   [ "$(json_get "$TMP/st.json" candidate)" = embedded-btf ] &&
   [ "$(json_get "$TMP/st.json" selfcheck.passed)" = true ]; then
	pass "selftest passes with the embedded btf object"
else
	fail "selftest passes with the embedded btf object" "$(cat "$TMP/st.err" "$TMP/st.json" | tail -5)"
fi

# --- libbpf's messages: routed through our callback, shown with -v (flag or
# PROBEKIT_VERBOSE=1), and none without (they are dropped before formatting)
"$PK" selftest -v >/dev/null 2>"$TMP/v1.err"; rc1=$?
PROBEKIT_VERBOSE=1 "$PK" selftest >/dev/null 2>"$TMP/v2.err"; rc2=$?
if [ $rc1 = 0 ] && [ $rc2 = 0 ] &&
   grep -q "^probekit: libbpf: loading object 'embedded-btf' from buffer" "$TMP/v1.err" &&
   grep -q "^probekit: libbpf: loading object 'embedded-btf' from buffer" "$TMP/v2.err" &&
   ! grep -q "libbpf: " "$TMP/st.err"; then
	pass "libbpf's messages: shown with -v and PROBEKIT_VERBOSE=1, none without"
else
	fail "libbpf's messages with -v only" "rc=$rc1/$rc2 -v:$(grep -c 'libbpf: ' "$TMP/v1.err") env:$(grep -c 'libbpf: ' "$TMP/v2.err") plain:$(grep -c 'libbpf: ' "$TMP/st.err")"
fi

test_expect "selftest checks every kind incl. open, perf buffer" \
	"$PK" selftest --events all --buffer perf

# --- /sys/kernel/btf hidden: --btf with a copy of the kernel BTF -> core object
cp /sys/kernel/btf/vmlinux "$TMP/vmlinux.btf"
if unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$PK' selftest --json --btf '$TMP/vmlinux.btf'" \
	>"$TMP/nobtf.json" 2>"$TMP/nobtf.err" &&
   [ "$(json_get "$TMP/nobtf.json" candidate)" = embedded-core+btf-file ] &&
   [ "$(json_get "$TMP/nobtf.json" attempts.0.state)" = skipped ] &&
   [ "$(json_get "$TMP/nobtf.json" fallback)" = true ]; then
	pass "no sysfs BTF: core object with --btf passes, tp_btf skipped, fallback reported"
else
	fail "no sysfs BTF: core object with --btf passes" "$(tail -n 5 "$TMP/nobtf.err" "$TMP/nobtf.json")"
fi
if unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec env PROBEKIT_BTF_FILE='$TMP/vmlinux.btf' '$PK' selftest" \
	>"$TMP/nobtf2.out" 2>"$TMP/nobtf2.err" && grep -q 'FALLBACK:' "$TMP/nobtf2.err" &&
   grep -q 'PROBEKIT_BTF_FILE' "$TMP/nobtf2.err"; then
	pass "PROBEKIT_BTF_FILE works like --btf; startup block names the fallback"
else
	fail "PROBEKIT_BTF_FILE works like --btf" "$(tail -n 5 "$TMP/nobtf2.err")"
fi
unshare -m sh -c "mount -t tmpfs none /sys/kernel/btf && exec '$PK' selftest --json" >"$TMP/none.json" 2>"$TMP/none.err"
rc=$?
if [ $rc = 1 ] && grep -q 'no probe candidate worked' "$TMP/none.err" &&
   [ "$(json_get "$TMP/none.json" state)" = failed ]; then
	pass "no BTF anywhere: exit 1, every candidate listed with its reason"
else
	# a host with BTF under /boot would still load: not a failure of ours
	if [ $rc = 0 ] && grep -q '/boot\|/lib/modules\|/usr/lib' "$TMP/none.json"; then
		skip "no BTF anywhere" "this host has kernel BTF outside sysfs"
	else
		fail "no BTF anywhere: exit 1" "rc=$rc $(tail -n 3 "$TMP/none.err")"
	fi
fi

# --- broken --btf: its candidate fails at open, the kernel's BTF wins
head -c 4096 /dev/urandom >"$TMP/garbage.btf"
if "$PK" selftest --json --btf "$TMP/garbage.btf" >"$TMP/bad.json" 2>"$TMP/bad.err" &&
   [ "$(json_get "$TMP/bad.json" attempts.0.state)" = failed ] &&
   [ "$(json_get "$TMP/bad.json" attempts.0.stage)" = open ] &&
   json_get "$TMP/bad.json" attempts.0.reason | grep -q "garbage.btf" &&
   [ "$(json_get "$TMP/bad.json" attempts.1.state)" = failed ] &&
   [ "$(json_get "$TMP/bad.json" candidate)" = embedded-core ]; then
	pass "broken --btf: failure recorded, next candidate wins"
else
	fail "broken --btf: failure recorded, next candidate wins" "$(tail -n 5 "$TMP/bad.err" "$TMP/bad.json")"
fi

# --- corrupt, empty, missing --probe: failure recorded, embedded object wins
printf '\177ELF garbage' >"$TMP/corrupt.o"
: >"$TMP/empty.o"
for case in corrupt.o:"not a BPF object\|cannot open BPF object" empty.o:"is empty" missing.o:"No such file"; do
	f=${case%%:*} want=${case#*:}
	if "$PK" selftest --json --probe "$TMP/$f" >"$TMP/p.json" 2>"$TMP/p.err" &&
	   [ "$(json_get "$TMP/p.json" attempts.0.state)" = failed ] &&
	   json_get "$TMP/p.json" attempts.0.reason | grep -q "$want" &&
	   [ "$(json_get "$TMP/p.json" candidate)" = embedded-btf ]; then
		pass "--probe $f: failure recorded ('$want'), next candidate wins"
	else
		fail "--probe $f: failure recorded" "$(tail -n 3 "$TMP/p.err") $(cat "$TMP/p.json" | head -c 600)"
	fi
done

# --- the legacy build (no CO-RE, laid out for this kernel) loads as an explicit object
if [ -f "$OUT/probe.legacy.bpf.o" ]; then
	if PROBEKIT_BPF_FILE="$OUT/probe.legacy.bpf.o" "$PK" selftest --json >"$TMP/leg.json" 2>"$TMP/leg.err" &&
	   [ "$(json_get "$TMP/leg.json" candidate)" = explicit ]; then
		pass "legacy object (PROBEKIT_BPF_FILE) loads and passes the self-check"
	else
		fail "legacy object loads" "$(tail -n 5 "$TMP/leg.err")"
	fi
else
	skip "legacy object loads" "$OUT/probe.legacy.bpf.o not built (make legacy)"
fi

# --- verifier rejection: the reason carries the verifier log's tail
if clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$OUT" -Ibpf -c "$HERE/bad_probe.bpf.c" \
	-o "$TMP/bad_probe.o" 2>"$TMP/cc.err"; then
	"$PK" selftest --json --probe "$TMP/bad_probe.o" >"$TMP/v.json" 2>"$TMP/v.err"
	if [ "$(json_get "$TMP/v.json" attempts.0.stage)" = load ] &&
	   json_get "$TMP/v.json" attempts.0.reason | grep -q "verifier:.*out of bounds" &&
	   grep -q "FAILED at load: .*verifier:" "$TMP/v.err"; then
		pass "verifier rejection: stage load, verifier log tail in status and startup block"
	else
		fail "verifier rejection reported" "$(json_get "$TMP/v.json" attempts.0.reason 2>&1 | head -c 600)"
	fi
else
	fail "verifier rejection reported" "cannot build the bad probe: $(tail -n 2 "$TMP/cc.err")"
fi

# --- a probe of the older layout (drops not counted apart under a filter) is refused
if clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -DPK_MODE_CORE -DPK_DROPS_ENTRIES=PK_EV_MAX \
	-I"$OUT" -Ibpf -c bpf/probe.bpf.c -o "$TMP/old_layout.o" 2>"$TMP/cc.err"; then
	"$PK" selftest --json --probe "$TMP/old_layout.o" >"$TMP/o.json" 2>"$TMP/o.err"
	if [ "$(json_get "$TMP/o.json" attempts.0.stage)" = open ] &&
	   json_get "$TMP/o.json" attempts.0.reason | grep -q "another agent version (pk_drops has 8 entries, want 16)" &&
	   [ "$(json_get "$TMP/o.json" attempts.0.state)" = failed ]; then
		pass "older probe layout refused at open, the next candidate serves"
	else
		fail "older probe layout refused" "$(json_get "$TMP/o.json" attempts.0.reason 2>&1 | head -c 300)"
	fi
else
	fail "older probe layout refused" "cannot build it: $(tail -n 2 "$TMP/cc.err")"
fi

# --- a scripted workload shows up with the right fields, ring and perf buffers
for buffer in ring perf; do
	if start_agent wl-$buffer --events all --buffer $buffer --output "$TMP/wl-$buffer.json"; then
		/usr/bin/python3 "$HERE/workload.py" "$TMP" >"$TMP/wl-$buffer.did"
		sleep 0.3
		agent=$AGENT_PID
		stop_agent
		rc=$?
		if [ "$(json_get "$TMP/wl-$buffer.status" buffer)" != "${buffer/ring/ringbuf}" ]; then
			fail "workload events ($buffer buffer)" "status says buffer $(json_get "$TMP/wl-$buffer.status" buffer)"
		elif out=$(/usr/bin/python3 "$HERE/check_events.py" "$TMP/wl-$buffer.json" "$TMP/wl-$buffer.did" "$agent"); then
			pass "workload events with correct fields ($buffer buffer)"
		else
			fail "workload events with correct fields ($buffer buffer)" "$out"
		fi
		if [ $rc = 0 ] && grep -q '^probekit: stopped; exec [0-9]* (drops [0-9]*)' "$TMP/wl-$buffer.err"; then
			pass "SIGTERM: exit 0 with a summary ($buffer buffer)"
		else
			fail "SIGTERM: exit 0 with a summary ($buffer buffer)" "rc=$rc $(tail -n 2 "$TMP/wl-$buffer.err")"
		fi
	else
		fail "workload events ($buffer buffer)" "agent did not start: $(tail -n 5 "$TMP/wl-$buffer.err")"
	fi
done

# --- a full buffer: every event is either delivered or counted as a drop, exactly.
# The workload is a static binary named pkdropper that makes exactly 3000 opens
# (no loader, no libraries to open), and --comm pkdropper keeps every other
# process out, so delivered + dropped must equal 3000. The reader keeps up with
# 3000 opens even in a 4 KiB buffer, so the agent is stopped (SIGSTOP) while they
# run: the buffer fills and stays full, and the kernel side must count the rest.
cat >"$TMP/pkdropper.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
int main(void)
{
	char p[64];
	for (int i = 0; i < 3000; i++) {
		snprintf(p, sizeof(p), "/nonexistent/pk-drop-%d", i);
		int fd = open(p, O_RDONLY);
		if (fd >= 0)
			close(fd);
	}
	printf("%d\n", (int)getpid());
	return 0;
}
EOF
if ! gcc -static -O2 -o "$TMP/pkdropper" "$TMP/pkdropper.c" 2>"$TMP/cc.err"; then
	fail "full ring buffer: drops counted" "cannot build the static workload: $(tail -n 2 "$TMP/cc.err")"
elif start_agent drops --events open --comm pkdropper --buffer-size 4096 --flush-ms 5000 --output "$TMP/drops.json"; then
	kill -STOP "$AGENT_PID"
	"$TMP/pkdropper" >"$TMP/drops.pid"
	kill -CONT "$AGENT_PID"
	# the program ids bpftool shows while running: the status must list them
	bpftool prog show 2>/dev/null | sed -n 's/^\([0-9]*\): .* name pk_.*/\1/p' >"$TMP/our.progs"
	stop_agent
	wp=$(cat "$TMP/drops.pid")
	got=$(grep -c "\"pid\":$wp,.*pk-drop-" "$TMP/drops.json")
	all=$(grep -c '"kind":"open"' "$TMP/drops.json")
	drops=$(json_get "$TMP/drops.status" counters.open.drops)
	if [ "$drops" -gt 0 ] && [ "$got" = "$all" ] && [ $((got + drops)) = 3000 ] &&
	   grep -q "open [0-9]* (drops $drops)" "$TMP/drops.err"; then
		pass "full ring buffer: $got delivered + $drops counted drops = 3000 opens"
	else
		fail "full ring buffer: drops counted" "delivered $got (of $all open events), drops $drops, want a sum of 3000; $(tail -n 1 "$TMP/drops.err")"
	fi
else
	fail "full ring buffer: drops counted" "agent did not start: $(tail -n 3 "$TMP/drops.err")"
fi

# --- a self-check whose canary event is dropped runs the canary again. Made
# certain, not likely: the canary is held at its start (a preload that stops it
# once, before main), the agent is stopped (SIGSTOP) and pkdropper's 3000 opens
# fill the 4 KiB buffer; then the canary runs, and its open finds the buffer
# full. The agent, continued, sees the canary gone with an open missing and
# opens dropped: it must run the canary again, and that run must pass.
cat >"$TMP/hold.c" <<'EOF'
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* in `probekit __canary ...` only, and only while $PK_HOLD_ONCE exists */
__attribute__((constructor)) static void hold(int argc, char **argv)
{
	const char *once = getenv("PK_HOLD_ONCE");

	if (argc > 1 && !strcmp(argv[1], "__canary") && once && unlink(once) == 0)
		raise(SIGSTOP);
}
EOF
# state of a process from /proc/PID/stat (R, S, T, Z, ...), empty when gone
proc_state() { sed -n 's/^[0-9]* (.*) \([A-Z]\) .*/\1/p' "/proc/$1/stat" 2>/dev/null; }
# wait_state PID STATE: a bounded poll (up to 20 s), not a timing assertion
wait_state() {
	for _ in $(seq 1 400); do [ "$(proc_state "$1")" = "$2" ] && return 0; sleep 0.05; done
	return 1
}
rerun_fail() { fail "self-check reruns the canary after drops" "$1"; }
if ! gcc -shared -fPIC -O2 -o "$TMP/hold.so" "$TMP/hold.c" 2>"$TMP/cc.err"; then
	rerun_fail "cannot build the preload: $(tail -n 2 "$TMP/cc.err")"
elif [ ! -x "$TMP/pkdropper" ]; then
	rerun_fail "no pkdropper (built by the full-buffer test)"
else
	touch "$TMP/hold-once"
	PK_HOLD_ONCE="$TMP/hold-once" LD_PRELOAD="$TMP/hold.so" "$PK" selftest --events open \
		--buffer-size 4096 --selfcheck-timeout 60 --json >"$TMP/small.json" 2>"$TMP/small.err" &
	SPID=$!
	canary=""
	for _ in $(seq 1 400); do
		canary=$(pgrep -P "$SPID" | head -n 1)
		[ -n "$canary" ] && break
		kill -0 "$SPID" 2>/dev/null || break
		sleep 0.05
	done
	if [ -z "$canary" ] || ! wait_state "$canary" T; then
		kill "$SPID" 2>/dev/null; kill -CONT "$canary" 2>/dev/null; wait "$SPID"
		rerun_fail "the canary was not seen held (pid '$canary'): $(tail -n 3 "$TMP/small.err")"
	else
		kill -STOP "$SPID"
		"$TMP/pkdropper" >/dev/null	# 3000 opens: the 4 KiB buffer is full
		kill -CONT "$canary"
		wait_state "$canary" Z		# done; its parent, stopped, has not reaped it
		held_ok=$?
		kill -CONT "$SPID"
		wait "$SPID"
		rc=$?
		passed=$(json_get "$TMP/small.json" selfcheck.passed 2>/dev/null)
		runs=$(json_get "$TMP/small.json" selfcheck.canary_runs 2>/dev/null)
		if [ $held_ok != 0 ]; then
			rerun_fail "the held canary did not finish while the agent was stopped"
		elif [ $rc = 0 ] && [ "$passed" = true ] && [ "${runs:-0}" -ge 2 ]; then
			pass "self-check reruns the canary after its event was dropped ($runs runs)"
		else
			rerun_fail "exit $rc, passed '$passed', canary runs '$runs' (want >= 2): $(tail -n 3 "$TMP/small.err")"
		fi
	fi
fi

# --- nothing of ours stays in the kernel after SIGTERM: every program, map and
# link the drops agent's status listed (kernel_objects, the ids bpftool shows)
# is gone. Only those ids are checked, so another probekit on the machine does
# not count. The kernel frees programs and maps after an RCU grace period and a
# workqueue pass, not at close(): poll for up to 10 s before calling it a leak.
python3 - "$TMP/drops.status" >"$TMP/our.ids" <<'EOF'
import json, sys
k = json.load(open(sys.argv[1]))["kernel_objects"] or {}
for p in k.get("programs", []): print("prog", p["id"], p["name"])
for m in k.get("maps", []): print("map", m["id"], m["name"])
for l in k.get("links", []): print("link", l, "-")
EOF
ours_left() {
	left=""
	while read -r kind id name; do
		bpftool "$kind" show id "$id" >/dev/null 2>&1 && left="$left $kind $id ($name)"
	done <"$TMP/our.ids"
	[ -n "$left" ]
}
for _ in $(seq 1 100); do ours_left || break; sleep 0.1; done
nprogs=$(grep -c '^prog ' "$TMP/our.ids")
nlinks=$(grep -c '^link ' "$TMP/our.ids")
if [ "$nprogs" = 0 ] || [ "$nlinks" = 0 ]; then
	fail "after SIGTERM nothing is left" "the status listed $nprogs programs and $nlinks links: $(head -c 300 "$TMP/our.ids")"
elif [ "$(while read -r id; do grep -q "^prog $id " "$TMP/our.ids" && echo; done <"$TMP/our.progs" | wc -l)" != "$nprogs" ]; then
	fail "after SIGTERM nothing is left" "status ids do not match what bpftool listed while running: $(tr '\n' ' ' <"$TMP/our.progs")"
elif ! ours_left; then
	pass "after SIGTERM no program, map or link of ours is left ($(wc -l <"$TMP/our.ids") objects, ids from the status)"
else
	fail "after SIGTERM nothing is left" "still there after 10 s:$left"
fi

# --- kernel-side filters: --comm and --pid
cp /bin/true "$TMP/pkcommtest"
if start_agent comm --events exec,exit --comm pkcommtest --output "$TMP/comm.json"; then
	for _ in 1 2 3; do "$TMP/pkcommtest"; /bin/true; done
	sleep 0.2
	stop_agent
	n=$(grep -c '"comm":"pkcommtest"' "$TMP/comm.json")
	other=$(grep -vc '"comm":"pkcommtest"' "$TMP/comm.json")
	if [ "$n" -ge 6 ] && [ "$other" = 0 ]; then
		pass "--comm filters in the kernel ($n matching events, none other)"
	else
		fail "--comm filter" "$n matching, $other other events"
	fi
else
	fail "--comm filter" "agent did not start: $(tail -n 3 "$TMP/comm.err")"
fi
mkfifo "$TMP/go"
sh -c "read x < '$TMP/go'; /bin/true; /bin/true" &
target=$!
if start_agent pid --events fork,exec,exit --pid $target --output "$TMP/pid.json"; then
	echo go >"$TMP/go"
	wait $target
	sleep 0.2
	stop_agent
	if grep -q "\"kind\":\"fork\",\"pid\":$target," "$TMP/pid.json" &&
	   [ "$(grep -vc "\"pid\":$target," "$TMP/pid.json")" = 0 ]; then
		pass "--pid filters in the kernel"
	else
		fail "--pid filter" "$(head -c 400 "$TMP/pid.json")"
	fi
else
	fail "--pid filter" "agent did not start: $(tail -n 3 "$TMP/pid.err")"
	echo go >"$TMP/go"
fi

# --- text output
if start_agent text --events exec --format text --output "$TMP/text.out"; then
	/bin/true
	sleep 0.2
	stop_agent
	if head -1 "$TMP/text.out" | grep -q '^TIME *KIND *PID' && grep -q ' exec .*/bin/true' "$TMP/text.out"; then
		pass "--format text: header and aligned exec line"
	else
		fail "--format text" "$(head -3 "$TMP/text.out")"
	fi
else
	fail "--format text" "agent did not start"
fi

# --- status file content
if start_agent status --events exec --output /dev/null; then
	stop_agent
	if [ "$(json_get "$TMP/status.status" state)" = stopped ] &&
	   [ "$(json_get "$TMP/status.status" attempts.0.state)" = ok ] &&
	   [ -n "$(json_get "$TMP/status.status" selfcheck.latency_ms)" ] &&
	   [ "$(json_get "$TMP/status.status" host.kernel_release)" = "$(uname -r)" ]; then
		pass "status JSON: state, attempts, self-check latency, host"
	else
		fail "status JSON" "$(head -c 600 "$TMP/status.status")"
	fi
else
	fail "status JSON" "agent did not start"
fi

# --- bad command lines and paths: one clear error line, exit code
test_usage() {
	local name=$1 want_rc=$2 want_msg=$3; shift 3
	"$PK" "$@" >"$TMP/u.out" 2>"$TMP/u.err"
	local rc=$?
	if [ $rc = "$want_rc" ] && grep -q "^probekit: error: .*$want_msg" "$TMP/u.err"; then
		pass "$name"
	else
		fail "$name" "rc=$rc: $(head -2 "$TMP/u.err")"
	fi
}
test_usage "unknown option: exit 2" 2 "unknown option '--bogus'" run --bogus
test_usage "unknown event kind: exit 2" 2 "unknown event kind 'nope'" run --events exec,nope
test_usage "bad --pid: exit 2" 2 "invalid --pid" run --pid abc
test_usage "unknown command: exit 2" 2 "unknown command 'frobnicate'" frobnicate
test_usage "unwritable --output: exit 3" 3 "cannot open '/nonexistent/dir/out.json': No such file or directory" \
	run --output /nonexistent/dir/out.json
test_usage "unwritable --status: exit 3" 3 "cannot write status '/nonexistent/dir/s.json'" \
	run --status /nonexistent/dir/s.json --output /dev/null
for c in run selftest detect version btf; do
	if "$PK" $c --help >"$TMP/h.out" 2>&1 && grep -q "^usage: probekit $c" "$TMP/h.out"; then
		pass "$c --help"
	else
		fail "$c --help" "$(head -2 "$TMP/h.out")"
	fi
done

# --- no privileges: every candidate fails with a reason that says so
if command -v setpriv >/dev/null && [ -x "$PK" ]; then
	cp "$PK" "$TMP/pk-unpriv" && chmod 755 "$TMP" "$TMP/pk-unpriv"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$TMP/pk-unpriv" selftest >"$TMP/np.out" 2>"$TMP/np.err"
	rc=$?
	if [ $rc = 1 ] && grep -q "need root, or CAP_BPF" "$TMP/np.err"; then
		pass "no privileges: exit 1, reasons name the missing privilege"
	else
		fail "no privileges" "rc=$rc $(tail -n 4 "$TMP/np.err")"
	fi
else
	skip "no privileges" "setpriv not available"
fi
