# What the agent reports when something fails after a probe loaded. The event
# output: a write that fails (full disk, closed pipe) is never silent; every event
# the agent received but could not write is counted in the status
# (output.write_errors, output.errno) and the stop summary, and run exits 4;
# selftest's report that cannot be written is exit 3.
# The self-check: a failure keeps its own errno and reason in the attempt record.
. "$(dirname "$0")/../lib.sh"

why=$(need_bpf)
if [ -n "$why" ]; then
	skip "agent output tests" "$why"
	exit 0
fi

# run the agent on exec events (prefixed by the command in WRAP, if any), make 10
# execs once it is running, stop it; sets RC. usage: run_agent NAME ARGS...
WRAP=()
run_agent() {
	local name=$1; shift
	rm -f "$TMP/$name.status"
	"${WRAP[@]}" "$PK" run --events exec --status "$TMP/$name.status" "$@" 2>"$TMP/$name.err" &
	local pid=$! up=0
	for _ in $(seq 1 200); do
		grep -q '"state": "running"' "$TMP/$name.status" 2>/dev/null && { up=1; break; }
		kill -0 $pid 2>/dev/null || break
		sleep 0.05
	done
	if [ $up = 1 ]; then
		for _ in $(seq 1 10); do /bin/true; done
	fi
	kill -TERM $pid 2>/dev/null
	wait $pid
	RC=$?
	return $((1 - up))
}

# --- a full disk: /dev/full refuses every write with ENOSPC
if ! run_agent full --output /dev/full; then
	fail "--output /dev/full: events counted as not written" "agent did not start: $(tail -n 3 "$TMP/full.err")"
else
	n=$(json_get "$TMP/full.status" output.write_errors)
	e=$(json_get "$TMP/full.status" output.errno)
	ev=$(json_get "$TMP/full.status" counters.exec.events)
	if [ "$RC" = 4 ] && [ "$n" -ge 10 ] && [ "$n" = "$ev" ] && [ "$e" = 28 ] &&
	   grep -q "^probekit: stopped; exec $ev (drops [0-9]*); not written $n (No space left on device)" "$TMP/full.err" &&
	   grep -q "^probekit: error: writing to '/dev/full' failed: No space left on device ($n events not written)" "$TMP/full.err"; then
		pass "--output /dev/full: exit 4, all $n events counted as not written (status, summary, error line)"
	else
		fail "--output /dev/full: events counted as not written" "rc=$RC write_errors=$n errno=$e exec events=$ev; $(tail -n 2 "$TMP/full.err")"
	fi
fi

# --- a closed pipe: SIGPIPE is ignored, so every write fails with EPIPE. The
# pipe's read end is closed before the agent starts (no race with a reader), and
# the wrapper execs the agent, so the pid run_agent signals is the agent's.
cat >"$TMP/closedpipe.py" <<'PY'
import os, sys
r, w = os.pipe()
os.close(r)
os.dup2(w, 1)
os.close(w)
os.execv(sys.argv[1], sys.argv[1:])
PY
WRAP=(python3 "$TMP/closedpipe.py")
if ! run_agent pipe --format text; then
	fail "closed stdout pipe: events counted as not written" "agent did not start: $(tail -n 3 "$TMP/pipe.err")"
else
	n=$(json_get "$TMP/pipe.status" output.write_errors)
	e=$(json_get "$TMP/pipe.status" output.errno)
	ev=$(json_get "$TMP/pipe.status" counters.exec.events)
	if [ "$RC" = 4 ] && [ "$n" -ge 10 ] && [ "$n" = "$ev" ] && [ "$e" = 32 ] &&
	   grep -q "^probekit: error: writing to 'stdout' failed: Broken pipe ($n events not written)" "$TMP/pipe.err"; then
		pass "closed stdout pipe (--format text): exit 4, all $n events counted, EPIPE in the status"
	else
		fail "closed stdout pipe: events counted as not written" "rc=$RC write_errors=$n errno=$e exec events=$ev; $(tail -n 2 "$TMP/pipe.err")"
	fi
fi
WRAP=()

# --- a writable output: nothing counted, exit 0, every counted event is in the file
if ! run_agent ok --output "$TMP/ok.json"; then
	fail "writable output: no write errors" "agent did not start: $(tail -n 3 "$TMP/ok.err")"
else
	n=$(json_get "$TMP/ok.status" output.write_errors)
	e=$(json_get "$TMP/ok.status" output.errno)
	ev=$(json_get "$TMP/ok.status" counters.exec.events)
	lines=$(wc -l <"$TMP/ok.json")
	if [ "$RC" = 0 ] && [ "$n" = 0 ] && [ "$e" = 0 ] && [ "$lines" = "$ev" ] && [ "$ev" -ge 10 ] &&
	   ! grep -q "not written" "$TMP/ok.err"; then
		pass "writable output: exit 0, no write errors, all $ev events in the file"
	else
		fail "writable output: no write errors" "rc=$RC write_errors=$n errno=$e events=$ev lines=$lines"
	fi
fi

# --- selftest's report is all it produces (the verify guest's verdict): a report
# that cannot be written is exit 3 with an error line, never a silent exit 0
for fmt in --json ""; do
	"$PK" selftest $fmt >/dev/full 2>"$TMP/stfull.err"
	rc=$?
	if [ $rc = 3 ] &&
	   grep -q "^probekit: error: cannot write the report to stdout: No space left on device" "$TMP/stfull.err"; then
		pass "selftest ${fmt:-(text)} >/dev/full: exit 3, the lost report is an error"
	else
		fail "selftest ${fmt:-(text)} >/dev/full: exit 3" "rc=$rc; $(tail -n 2 "$TMP/stfull.err")"
	fi
done

# --- a canary that fails is not a timeout: in a network namespace whose loopback
# is down the canary cannot connect to its listener and exits 3; every loaded
# candidate fails at self-check with EPROTO (71) and that reason, not ETIMEDOUT
if ! command -v unshare >/dev/null; then
	skip "self-check failure keeps its errno" "unshare not available"
else
	unshare -n "$PK" selftest --json --selfcheck-timeout 1 >"$TMP/ns.json" 2>"$TMP/ns.err"
	rc=$?
	if [ $rc = 1 ] && [ "$(json_get "$TMP/ns.json" attempts.0.state)" = failed ] &&
	   [ "$(json_get "$TMP/ns.json" attempts.0.stage)" = self-check ] &&
	   [ "$(json_get "$TMP/ns.json" attempts.0.errno)" = 71 ] &&
	   json_get "$TMP/ns.json" attempts.0.reason | grep -q "^the canary failed (exit 3); no .*connect.* event within 1.0 s" &&
	   json_get "$TMP/ns.json" selfcheck.error | grep -q "^the canary failed (exit 3)"; then
		pass "self-check failure keeps its errno: canary exit 3 is EPROTO with its reason, not ETIMEDOUT"
	else
		fail "self-check failure keeps its errno" "rc=$rc stage=$(json_get "$TMP/ns.json" attempts.0.stage 2>&1) errno=$(json_get "$TMP/ns.json" attempts.0.errno 2>&1) reason=$(json_get "$TMP/ns.json" attempts.0.reason 2>&1)"
	fi
fi
