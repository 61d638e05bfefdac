#!/usr/bin/env bash
# `probekit farm` end to end on a small real Debian subset (bookworm's amd64-flavor
# kernels from the live mirror): a clean run; a run killed with SIGKILL in the
# middle and run again ends with the same index; three shards merged by `repo
# index` give the same index as one run; a rerun with nothing new builds nothing.
# Packages are cached in /var/cache/probekit (PROBEKIT_CACHE) between runs.
. "$(dirname "$0")/../lib.sh"

CACHE=${PROBEKIT_CACHE:-/var/cache/probekit}
SEL=(--suite bookworm --kernels '*[0-9]-amd64' --allow-expired --cache "$CACHE")
mkdir -p "$TMP/k"
"$PK" repo keygen --public "$TMP/k/pub" --secret "$TMP/k/sec" >/dev/null 2>&1 ||
	{ fail "farm" "repo keygen failed"; exit 0; }

# artifacts (path, size, sha256) and failures of an index, one per line
content() {
	python3 - "$1/index.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
for a in d["artifacts"]:
    print("A", a["path"], a["size"], a["sha256"])
for f in d["failures"]:
    print("F", f["key"], f["kind"], f["probe_version"], f["stage"])
EOF
}

# 1. a clean run
"$PK" farm --repo "$TMP/a" --key "$TMP/k/sec" "${SEL[@]}" -j 2 --json >"$TMP/a.json" 2>"$TMP/a.err"
rc=$?
sel=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["selected"], d["built"], d["held"], d["failed"])' "$TMP/a.json" 2>/dev/null)
read -r s_sel s_built s_held s_failed <<<"$sel"
if [ $rc -eq 0 ] && [ "${s_sel:-0}" -gt 0 ] && [ "$s_sel" = "$s_built" ] && [ "$s_held$s_failed" = 00 ]; then
	pass "farm: a clean run builds every selected kernel and signs the index ($sel: selected built held failed)"
else
	if grep -q "unreachable\|Could not resolve\|Connection refused" "$TMP/a.err"; then
		skip "farm" "the Debian mirror is unreachable: $(head -1 "$TMP/a.err")"
		exit 0
	fi
	fail "farm: a clean run" "exit $rc, '$sel': $(tail -5 "$TMP/a.err")"
	exit 0
fi
n=${sel%% *}
"$PK" repo verify "$TMP/a" --key "$TMP/k/pub" >"$TMP/va.out" 2>&1 &&
	pass "farm: the repository verifies ($(head -1 "$TMP/va.out"))" || fail "farm: the repository verifies" "$(cat "$TMP/va.out")"
content "$TMP/a" >"$TMP/a.content"

# 2. nothing new: nothing built, the index re-signed with a higher version
"$PK" farm --repo "$TMP/a" --key "$TMP/k/sec" "${SEL[@]}" --json >"$TMP/a2.json" 2>"$TMP/a2.err"
got=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["built"], d["held"], d["index_version"])' "$TMP/a2.json" 2>/dev/null)
content "$TMP/a" >"$TMP/a2.content"
[ "$got" = "0 $n 2" ] && cmp -s "$TMP/a.content" "$TMP/a2.content" &&
	pass "farm: a rerun with nothing new builds nothing, same content, index version 2 ($(python3 -c 'import json,sys; print("%.1f s" % json.load(open(sys.argv[1]))["seconds"])' "$TMP/a2.json"))" ||
	fail "farm: a rerun with nothing new builds nothing" "got '$got' (want '0 $n 2'); $(diff "$TMP/a.content" "$TMP/a2.content" | head -3)"

# 3. killed with SIGKILL once the first kernel's record is there, then run again
"$PK" farm --repo "$TMP/b" --key "$TMP/k/sec" "${SEL[@]}" -q >/dev/null 2>&1 &
pid=$!
for _ in $(seq 1 600); do
	ls "$TMP"/b/_build/*/*.json >/dev/null 2>&1 && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.5
done
kill -9 $pid 2>/dev/null
wait $pid 2>/dev/null
killed=$(ls "$TMP"/b/_build/*/*.json 2>/dev/null | wc -l)
if [ -e "$TMP/b/index.json" ] && [ "$killed" -lt "$n" ]; then
	fail "farm: killed mid-run" "an index was written before every kernel was built"
fi
"$PK" farm --repo "$TMP/b" --key "$TMP/k/sec" "${SEL[@]}" --json >"$TMP/b.json" 2>"$TMP/b.err"
rc=$?
content "$TMP/b" >"$TMP/b.content"
if [ $rc -eq 0 ] && cmp -s "$TMP/a.content" "$TMP/b.content" &&
	"$PK" repo verify "$TMP/b" --key "$TMP/k/pub" >/dev/null 2>&1; then
	pass "farm: killed with SIGKILL after $killed of $n kernels, run again: the same artifacts and failures as a clean run, and it verifies"
else
	fail "farm: killed with SIGKILL, run again" "exit $rc: $(diff "$TMP/a.content" "$TMP/b.content" | head -5) $(tail -3 "$TMP/b.err")"
fi

# 4. three shards, each in its own directory as separate CI jobs would; merged and indexed
for i in 0 1 2; do
	"$PK" farm --repo "$TMP/s$i" --shard "$i/3" "${SEL[@]}" --json >"$TMP/s$i.json" 2>"$TMP/s$i.err" ||
		fail "farm --shard $i/3" "$(tail -3 "$TMP/s$i.err")"
done
mkdir -p "$TMP/m"
# a merge with one shard missing is refused
cp -a "$TMP/s0/." "$TMP/s1/." "$TMP/m/"
rm -f "$TMP/m/.probekit.lock"
"$PK" repo index "$TMP/m" --key "$TMP/k/sec" >"$TMP/m1.out" 2>&1 &&
	fail "repo index with shard 2 of 3 missing" "accepted" ||
	{ grep -q "shard 2 of 3 .* has no manifest" "$TMP/m1.out" &&
		pass "repo index refuses a merge with shard 2 of 3 missing" ||
		fail "repo index with shard 2 of 3 missing" "$(cat "$TMP/m1.out")"; }
cp -a "$TMP/s2/." "$TMP/m/"
"$PK" repo index "$TMP/m" --key "$TMP/k/sec" >"$TMP/m2.out" 2>&1
content "$TMP/m" >"$TMP/m.content"
built=$(cat "$TMP"/s?.json | python3 -c 'import json,sys; t=sys.stdin.read().replace("}\n{","}\x00{").split("\x00"); print(sum(json.loads(x)["built"] for x in t))')
if cmp -s "$TMP/a.content" "$TMP/m.content" && [ "$built" = "$n" ]; then
	pass "farm: 3 shards ($built kernels between them) merged by repo index = one run"
else
	fail "farm: 3 shards merged = one run" "built $built of $n; $(diff "$TMP/a.content" "$TMP/m.content" | head -5); $(cat "$TMP/m2.out")"
fi
