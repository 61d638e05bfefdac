# `run --metrics`: the real agent serving /healthz, /ready and /metrics from
# libmicrohttpd (dlopen'd only when asked), the candidate and exact event counts
# of a workload; bad addresses, a taken port, a missing library; NEEDED unchanged.
. "$(dirname "$0")/../lib.sh"

curl_() { curl -s --noproxy '*' --max-time 10 "$@"; }
# a port nobody listens on now (the kernel's pick; free again once python exits)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# --- what the binary links: exactly what it did before --metrics (tests/btf/
# btf_extract.sh says why each is there), and never libmicrohttpd
needed=$(readelf -d "$PK" | sed -n 's/.*(NEEDED).*\[\(.*\)\]$/\1/p' | sort | tr '\n' ' ')
want="libbpf.so.1 libc.so.6 libjson-c.so.5 libsodium.so.23 libz.so.1 libzstd.so.1 "
if grep -q microhttpd <<<"$needed" || ldd "$PK" | grep -q microhttpd ||
   { [ "${PK_SAN:-0}" != 1 ] && [ "$needed" != "$want" ]; }; then
	fail "agent binary's NEEDED list unchanged, no libmicrohttpd (dlopen'd for --metrics)" "NEEDED: $needed"
else
	pass "agent binary's NEEDED list unchanged, no libmicrohttpd (dlopen'd for --metrics)"
fi

# --- usage errors: exit 2 with the reason, before anything is loaded
for a in 9464 127.0.0.1 ::1:9464 localhost:9464 127.0.0.1:70000; do
	"$PK" run --metrics "$a" >"$TMP/u.out" 2>"$TMP/u.err"
	rc=$?
	if [ $rc = 2 ] && grep -q "invalid metrics address '$a'" "$TMP/u.err"; then
		pass "run --metrics $a: usage error naming it"
	else
		fail "run --metrics $a: usage error" "rc=$rc $(cat "$TMP/u.err")"
	fi
done
PROBEKIT_METRICS=nope "$PK" run >"$TMP/u.out" 2>"$TMP/u.err"
rc=$?
if [ $rc = 2 ] && grep -q "invalid metrics address 'nope'" "$TMP/u.err"; then
	pass "PROBEKIT_METRICS is read like --metrics"
else
	fail "PROBEKIT_METRICS is read like --metrics" "rc=$rc $(cat "$TMP/u.err")"
fi
test_must_fail "selftest has no --metrics" "$PK" selftest --metrics 127.0.0.1:0
grep -q "unknown option '--metrics'" "$TMP/out" || fail "selftest has no --metrics" "$(cat "$TMP/out")"
if "$PK" run --help | grep -q -- '--metrics ADDR'; then pass "run --help lists --metrics"; else fail "run --help lists --metrics" "missing"; fi

# --- a taken port, a missing library: exit 3 with the reason
port=$(free_port)
python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",int(sys.argv[1]))); s.listen(1)
print("up", flush=True); time.sleep(60)' "$port" >"$TMP/holder.out" &
holder=$!
for _ in $(seq 1 200); do grep -q up "$TMP/holder.out" && break; sleep 0.05; done
"$PK" run --metrics "127.0.0.1:$port" >"$TMP/p.out" 2>"$TMP/p.err"
rc=$?
kill "$holder" 2>/dev/null; wait "$holder" 2>/dev/null
if [ $rc = 3 ] && grep -q "cannot serve metrics on '127.0.0.1:$port': Address already in use" "$TMP/p.err"; then
	pass "a taken port: exit 3, 'Address already in use'"
else
	fail "a taken port: exit 3" "rc=$rc $(cat "$TMP/p.err")"
fi
PROBEKIT_LIBMICROHTTPD=/nonexistent/libmicrohttpd.so "$PK" run --metrics 127.0.0.1:0 >"$TMP/l.out" 2>"$TMP/l.err"
rc=$?
if [ $rc = 3 ] && grep -q "serving metrics needs libmicrohttpd (Debian: libmicrohttpd12): cannot load /nonexistent/libmicrohttpd.so" "$TMP/l.err"; then
	pass "no libmicrohttpd: exit 3 naming the Debian package"
else
	fail "no libmicrohttpd: exit 3 naming the package" "rc=$rc $(cat "$TMP/l.err")"
fi

why=$(need_bpf)
if [ -n "$why" ]; then
	skip "agent with --metrics" "$why"
	exit 0
fi

# --- the real agent. Its start-up is held at --btf-archive, a FIFO read after the
# endpoint starts and before the walk: /healthz answers and /ready is 503 then,
# for certain. A broken --probe makes embedded-btf a fallback. --comm keeps every
# other task's events out, so the counts are exact.
port=$(free_port)
mkfifo "$TMP/archive.fifo"
printf 'garbage' >"$TMP/garbage.o"
cp /bin/true "$TMP/pkmetricswl"
"$PK" run --metrics "127.0.0.1:$port" --btf-archive "$TMP/archive.fifo" --probe "$TMP/garbage.o" \
	--events exec,exit --comm pkmetricswl --output "$TMP/ev.json" >"$TMP/agent.out" 2>"$TMP/agent.err" &
agent=$!
code=
for _ in $(seq 1 600); do
	code=$(curl_ -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
	[ "$code" = 200 ] && break
	kill -0 $agent 2>/dev/null || break
	sleep 0.05
done
ready=$(curl_ -o "$TMP/ready.body" -w '%{http_code}' "http://127.0.0.1:$port/ready")
if [ "$code" = 200 ] && [ "$ready" = 503 ] && grep -qx 'not ready' "$TMP/ready.body"; then
	pass "during start-up: /healthz 200, /ready 503"
else
	fail "during start-up: /healthz 200, /ready 503" "healthz $code ready $ready $(tail -n 3 "$TMP/agent.err")"
fi
if grep -q libmicrohttpd "/proc/$agent/maps"; then
	pass "libmicrohttpd is loaded when --metrics is on"
else
	fail "libmicrohttpd is loaded when --metrics is on" "not in /proc/$agent/maps"
fi
# bounded: an agent that died never opens the FIFO's other end
timeout 60 sh -c 'cat "$1" >"$2"' _ "$OUT/btf-archive.pkba" "$TMP/archive.fifo"

for _ in $(seq 1 600); do
	ready=$(curl_ -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/ready")
	[ "$ready" = 200 ] && break
	kill -0 $agent 2>/dev/null || break
	sleep 0.05
done
if [ "$ready" = 200 ]; then
	pass "after the self-check: /ready 200"
else
	fail "after the self-check: /ready 200" "ready $ready $(tail -n 5 "$TMP/agent.err")"
fi

for _ in 1 2 3 4 5; do "$TMP/pkmetricswl"; done
# the loop publishes its totals after each drain: wait for all 5, never more
for _ in $(seq 1 600); do
	curl_ -o "$TMP/metrics" -D "$TMP/metrics.h" "http://127.0.0.1:$port/metrics"
	n=$(sed -n 's/^probekit_events_total{kind="exit"} //p' "$TMP/metrics")
	[ "${n:-0}" -ge 5 ] && break
	kill -0 $agent 2>/dev/null || break
	sleep 0.05
done
m=$TMP/metrics
if grep -qx 'probekit_events_total{kind="exec"} 5' "$m" && grep -qx 'probekit_events_total{kind="exit"} 5' "$m" &&
   ! grep -q 'kind="connect"' "$m" &&
   grep -qx 'probekit_candidate_info{candidate="embedded-btf",index="1"} 1' "$m" &&
   grep -qx 'probekit_candidate_fallback 1' "$m" &&
   grep -qx 'probekit_candidate_state{candidate="explicit",index="0",state="failed",stage="open"} 1' "$m" &&
   grep -qx 'probekit_ready 1' "$m" &&
   grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/metrics.h"; then
	pass "/metrics: winner embedded-btf (fallback after a broken --probe), exactly 5 exec and 5 exit"
else
	fail "/metrics: winner and exact counts" "$(grep -v '^#' "$m" | head -20 | tr '\n' ' ')"
fi
if grep -q "metrics:    http://127.0.0.1:$port/metrics" "$TMP/agent.err"; then
	pass "the startup block names the metrics address"
else
	fail "the startup block names the metrics address" "$(tail -n 4 "$TMP/agent.err")"
fi
kill -TERM $agent
wait $agent
rc=$?
after=$(curl_ -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")
if [ $rc = 0 ] && [ "$after" = 000 ] && [ "$(grep -c '"comm":"pkmetricswl"' "$TMP/ev.json")" = 10 ]; then
	pass "SIGTERM: exit 0, the endpoint closed, the 10 events written"
else
	fail "SIGTERM: exit 0, endpoint closed" "rc=$rc healthz after: $after events: $(grep -c pkmetricswl "$TMP/ev.json")"
fi

# --- without --metrics libmicrohttpd is not loaded
"$PK" run --status "$TMP/plain.status" --events exec --output /dev/null 2>"$TMP/plain.err" &
pid=$!
for _ in $(seq 1 600); do
	grep -q '"state": "running"' "$TMP/plain.status" 2>/dev/null && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.05
done
mapped=$(grep -c microhttpd "/proc/$pid/maps" 2>/dev/null)
running=$(grep -c '"state": "running"' "$TMP/plain.status" 2>/dev/null)
kill -TERM $pid 2>/dev/null; wait $pid
if [ "$running" = 1 ] && [ "$mapped" = 0 ]; then
	pass "without --metrics: libmicrohttpd is not mapped"
else
	fail "without --metrics: nothing loaded" "running $running, mapped $mapped $(tail -n 3 "$TMP/plain.err")"
fi
