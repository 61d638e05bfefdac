#!/usr/bin/env bash
# --candidates LIST / PROBEKIT_CANDIDATES: only the named candidates are tried; the
# others stay in the chain, skipped with the reason (status, detect); an unknown
# name is a usage error. What `probekit verify --mode legacy|repo` relies on.
. "$(dirname "$0")/../lib.sh"

# usage errors need no BPF
"$PK" selftest --candidates embedded-core,nope >/dev/null 2>"$TMP/u.err"; rc=$?
[ $rc = 2 ] && grep -q "unknown candidate 'nope'" "$TMP/u.err" && pass "candidates: an unknown name is a usage error" ||
	fail "candidates: an unknown name is a usage error" "exit $rc: $(cat "$TMP/u.err")"
PROBEKIT_CANDIDATES=, "$PK" detect >/dev/null 2>"$TMP/u2.err"; rc=$?
[ $rc = 2 ] && grep -q PROBEKIT_CANDIDATES "$TMP/u2.err" && pass "candidates: a bad PROBEKIT_CANDIDATES is a usage error" ||
	fail "candidates: a bad PROBEKIT_CANDIDATES is a usage error" "exit $rc: $(cat "$TMP/u2.err")"

why=$(need_bpf)
if [ -n "$why" ]; then
	skip "candidates: selftest" "$why"
	exit 0
fi

# embedded-btf would win here (this kernel has BTF): naming embedded-core makes it win
"$PK" selftest --json --candidates embedded-core >"$TMP/s.json" 2>"$TMP/s.err"; rc=$?
python3 - "$TMP/s.json" <<'EOF2' >"$TMP/s.check"
import json, sys
d = json.load(open(sys.argv[1]))
bad = [a["name"] for a in d["attempts"] if a["name"] != "embedded-core" and
       (a["state"] != "skipped" or not a["reason"].startswith("not among the candidates allowed (--candidates embedded-core)"))]
print(d["candidate"], d["selfcheck"]["passed"], ",".join(bad) or "-")
EOF2
[ $rc = 0 ] && [ "$(cat "$TMP/s.check")" = "embedded-core True -" ] &&
	pass "candidates: --candidates embedded-core: it wins, every other candidate skipped with the reason" ||
	fail "candidates: --candidates embedded-core" "exit $rc: $(cat "$TMP/s.check") $(tail -2 "$TMP/s.err")"

# nothing allowed that can work here: exit 1, the reason says why
PROBEKIT_CANDIDATES=repo-legacy "$PK" selftest >"$TMP/n.out" 2>&1; rc=$?
[ $rc = 1 ] && grep -q "not among the candidates allowed" "$TMP/n.out" &&
	pass "candidates: PROBEKIT_CANDIDATES=repo-legacy without a repository: exit 1 with the reasons" ||
	fail "candidates: PROBEKIT_CANDIDATES=repo-legacy" "exit $rc: $(tail -3 "$TMP/n.out")"

# detect shows the same
"$PK" detect --candidates embedded-core+reduced-btf >"$TMP/d.out" 2>&1
grep -A1 "embedded-btf " "$TMP/d.out" | grep -q "skip: not among the candidates allowed (--candidates embedded-core+reduced-btf)" &&
	pass "candidates: detect shows the candidates left out and why" ||
	fail "candidates: detect shows the candidates left out" "$(head -12 "$TMP/d.out")"
