#!/usr/bin/env bash
# make verify-all's report (scripts/kernel-matrix.py) on fixture inputs, no boots: a
# catalog of two suites, verify JSONs with a pass, a fail with its console tail and a
# no-artifact legacy row, a kernel never fetched; then --since and malformed inputs.
. "$(dirname "$0")/../lib.sh"

GEN=scripts/kernel-matrix.py
F=tests/verify/fixtures
command -v python3 >/dev/null || { skip "kernel-matrix" "python3 not installed"; exit 0; }

A=6.1.0-47-amd64 B=6.1.0-48-amd64 C=6.12.107+deb13-amd64 D=6.12.107+deb13-cloud-amd64 E=6.12.107+deb13-rt-amd64
# the farm's package cache: every image but D's (same names, catalog size 4)
mkdir -p "$TMP/cache/packages"
for x in a:$A b:$B c:$C e:$E; do
	printf 'pkg\n' >"$TMP/cache/packages/$(printf "${x%%:*}%.0s" {1..64})-linux-image-${x#*:}.pkg"
done
printf 'before\n\n<!-- bench:verify:begin -->\nold block\n<!-- bench:verify:end -->\n\nafter\n' >"$TMP/bench.md"

gen() { python3 "$GEN" "$@"; }
# jtrue FILE EXPR: EXPR (Python, the JSON as d) holds; one interpreter per check
jtrue() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval("(" + sys.argv[2] + ")") else 1)' "$1" "$2"; }
# row KERNEL: the markdown table row of that kernel
row() { awk -v k="| $1 " 'index($0, k) == 1' "$2"; }

# 1. a whole run: plan, inputs, report
gen plan --catalog $F/matrix-catalog.json --agent $F/matrix-agent.json --out "$TMP/plan.json" >"$TMP/boot" 2>"$TMP/err"
if [ "$(wc -l <"$TMP/boot")" = 5 ] && grep -qx 6.12.107-1-cloud-amd64 "$TMP/boot"; then pass "kernel-matrix: plan boots every kernel without --since"
else fail "kernel-matrix: plan boots every kernel without --since" "$(cat "$TMP/boot" "$TMP/err")"; fi

gen inputs --plan "$TMP/plan.json" --cache "$TMP/cache" --index $F/matrix-index.json --farm $F/matrix-farm.json \
	--image-list "$TMP/img" --legacy-list "$TMP/leg" 2>"$TMP/err"
# E's legacy object is listed for another probe version only: not E's
if [ "$(wc -l <"$TMP/img")" = 4 ] && [ "$(wc -l <"$TMP/leg")" = 2 ] && grep -q "linux-image-$A.pkg" "$TMP/leg" &&
	grep -q "linux-image-$C.pkg" "$TMP/leg" && ! grep -q "cloud" "$TMP/img"; then
	pass "kernel-matrix: inputs: cached images, legacy only where this probe version's object is listed"
else fail "kernel-matrix: inputs: cached images, legacy only where this probe version's object is listed" "$(cat "$TMP/img" "$TMP/leg" "$TMP/err")"; fi

gen report --plan "$TMP/plan.json" --verify $F/matrix-verify-images.json --verify $F/matrix-verify-legacy.json \
	--md "$TMP/m.md" --json "$TMP/m.json" --bench "$TMP/bench.md" --run-wall-s 100 --farm-s 40 \
	--now 1796000000 2>"$TMP/err"
rc=$?
[ $rc = 1 ] && pass "kernel-matrix: report exits 1 when a row failed" || fail "kernel-matrix: report exits 1 when a row failed" "exit $rc: $(cat "$TMP/err")"

# grouping: suites in catalog order, each kernel under its own suite
sections=$(grep '^## ' "$TMP/m.md" | tr '\n' ' ')
in_suite() { awk -v s="## $2" -v k="| $1 |" '/^## /{cur=$0} index($0,k)==1{print cur}' "$3"; }
if [ "$sections" = "## bookworm ## trixie ## Failures " ] && [ "$(in_suite $B bookworm "$TMP/m.md")" = "## bookworm" ] &&
	[ "$(in_suite $E trixie "$TMP/m.md")" = "## trixie" ]; then pass "kernel-matrix: one section per suite, in catalog order"
else fail "kernel-matrix: one section per suite, in catalog order" "$sections"; fi

r=$(row $A "$TMP/m.md")
if [[ $r == *"pass: embedded-btf, 3.5 s | pass: embedded-core+reduced-btf, 4.1 s | pass: repo-legacy, 4.6 s |" ]] &&
	[[ $r == "| $A | 6.1.170-3 | amd64 |"* ]]; then pass "kernel-matrix: a row: release, version, flavor, candidate and time per mode"
else fail "kernel-matrix: a row: release, version, flavor, candidate and time per mode" "$r"; fi
r=$(row $B "$TMP/m.md")
[[ $r == *"| **fail** (verdict) | n/a (no headers) |" ]] && pass "kernel-matrix: a fail cell; legacy n/a without headers" ||
	fail "kernel-matrix: a fail cell; legacy n/a without headers" "$r"
r=$(row $D "$TMP/m.md")
[ "$(grep -o 'not fetched' <<<"$r" | wc -l)" = 3 ] && pass "kernel-matrix: an image the farm did not fetch: not fetched in every mode" ||
	fail "kernel-matrix: an image the farm did not fetch: not fetched in every mode" "$r"

# the failures: reason and the console tail, fenced longer than the ``` inside it
fsec=$(sed -n '/^## Failures/,$p' "$TMP/m.md")
if grep -q "^### $B (bookworm), no-btf: fail (verdict)" <<<"$fsec" && grep -q "^every candidate failed: embedded-core+reduced-btf" <<<"$fsec" &&
	grep -qx '````' <<<"$fsec" && grep -q "^libbpf: prog 'handle_exec': BPF program load failed" <<<"$fsec"; then
	pass "kernel-matrix: a failure with its reason and console tail"
else fail "kernel-matrix: a failure with its reason and console tail" "$(head -c 600 <<<"$fsec")"; fi
if grep -qF "### $C (trixie), legacy: error (no-artifact)" <<<"$fsec" &&
	grep -qF "### $E (trixie), legacy: error (no-artifact)" <<<"$fsec" &&
	grep -q "^the repository lists no legacy object for debian:6.12.107-1-rt-amd64 (legacy-object: clang: error" <<<"$fsec" &&
	grep -qF "### $D (trixie), btf, no-btf, legacy: error (not-fetched)" <<<"$fsec" &&
	grep -q "download failed: HTTP 404" <<<"$fsec"; then
	pass "kernel-matrix: no-artifact legacy rows (verify's and the index's) and a not-fetched image, each with its reason"
else fail "kernel-matrix: no-artifact legacy rows (verify's and the index's) and a not-fetched image, each with its reason" "$(grep '^###' <<<"$fsec" | tr '\n' ' ')"; fi

if jtrue "$TMP/m.json" 'd["summary"]["no-btf"]["fail"] == 1 and d["summary"]["legacy"]["error"] == 3 and
	d["summary"]["btf"]["pass"] == 4 and d["matrix_wall_s"] == 30.5 and
	d["kernels"][0]["modes"]["legacy"]["artifact"]["kind"] == "legacy-object"'; then
	pass "kernel-matrix: the JSON: counts per mode, matrix wall time, the winning artifact"
else fail "kernel-matrix: the JSON: counts per mode, matrix wall time, the winning artifact" "$(head -c 300 "$TMP/m.json")"; fi

b=$(sed -n '/bench:verify:begin/,/bench:verify:end/p' "$TMP/bench.md")
if [ "$(head -2 "$TMP/bench.md")" = "$(printf 'before\n')" ] && [ "$(tail -1 "$TMP/bench.md")" = after ] &&
	! grep -q "old block" "$TMP/bench.md" && grep -q '^| no-btf | 4 | 4.1 | 5.0 | 6.2 |$' <<<"$b" &&
	grep -q '9 boots in 30 s of wall time at -j 2 (17.7 boots per minute)' <<<"$b"; then
	pass "kernel-matrix: bench:verify block rewritten in place: per-mode min/median/max, boots per minute"
else fail "kernel-matrix: bench:verify block rewritten in place: per-mode min/median/max, boots per minute" "$b"; fi

# 2. --since: A (all pass) and B (a fail is a verdict) carried; C's image changed,
# D was never fetched, E's legacy row was an error: those three boot again
gen plan --catalog $F/matrix-catalog-since.json --agent $F/matrix-agent.json --since "$TMP/m.json" \
	--out "$TMP/plan2.json" >"$TMP/boot2" 2>"$TMP/err"
if [ "$(sort "$TMP/boot2" | tr '\n' ' ')" = "6.12.107-1-amd64 6.12.107-1-cloud-amd64 6.12.107-1-rt-amd64 " ]; then
	pass "kernel-matrix: --since boots a changed SHA256 and earlier errors, not unchanged verdicts"
else fail "kernel-matrix: --since boots a changed SHA256 and earlier errors, not unchanged verdicts" "$(cat "$TMP/boot2" "$TMP/err")"; fi
cp "$TMP/cache/packages/$(printf 'c%.0s' {1..64})-linux-image-$C.pkg" "$TMP/cache/packages/$(printf '0%.0s' {1..64})-linux-image-$C.pkg"
gen inputs --plan "$TMP/plan2.json" --cache "$TMP/cache" --index $F/matrix-index.json --image-list "$TMP/img2" \
	--legacy-list "$TMP/leg2" 2>"$TMP/err" &&
gen report --plan "$TMP/plan2.json" --verify $F/matrix-verify-since.json --md "$TMP/m2.md" --json "$TMP/m2.json" \
	--now 1796086400 2>>"$TMP/err"
rc=$?
ra=$(row $A "$TMP/m2.md") rc2=$(row $C "$TMP/m2.md")
if [ $rc = 1 ] && [[ $ra == "| $A *carried* |"*"pass: repo-legacy, 4.6 s |" ]] && [[ $rc2 == "| $C |"*"pass: repo-legacy, 4.9 s |" ]] &&
	jtrue "$TMP/m2.json" 'd["kernels"][0]["carried"] and not d["kernels"][2]["carried"] and d["since"]["carried"] == 2 and
		d["kernels"][0]["modes"]["btf"]["carried_from"] == "2026-11-30 00:53 UTC"' && grep -q "2 carried over" "$TMP/m2.md" &&
	grep -q "^### $B (bookworm), no-btf: fail (verdict), carried from 2026-11-30 00:53 UTC" "$TMP/m2.md"; then
	pass "kernel-matrix: --since: carried rows marked, with the run they come from; booted rows new"
else fail "kernel-matrix: --since: carried rows marked, with the run they come from; booted rows new" "rc $rc: $ra / $rc2 / $(cat "$TMP/err")"; fi

# a nightly run where nothing changed boots nothing: the bench block keeps its numbers
gen plan --catalog $F/matrix-catalog.json --agent $F/matrix-agent.json --suite bookworm --since "$TMP/m.json" \
	--out "$TMP/plan3.json" >"$TMP/boot3" 2>"$TMP/err"
cp "$TMP/bench.md" "$TMP/bench.before"
gen inputs --plan "$TMP/plan3.json" --cache "$TMP/cache" --image-list "$TMP/img3" --legacy-list "$TMP/leg3" 2>>"$TMP/err"
gen report --plan "$TMP/plan3.json" --md "$TMP/m3.md" --json "$TMP/m3.json" --bench "$TMP/bench.md" 2>>"$TMP/err"; rc=$?
if [ $rc = 1 ] && [ ! -s "$TMP/boot3" ] && cmp -s "$TMP/bench.md" "$TMP/bench.before" && grep -q "left as it was" "$TMP/err" &&
	jtrue "$TMP/m3.json" 'd["since"]["carried"] == 2'; then
	pass "kernel-matrix: nothing to boot: every row carried, the bench block left as it was"
else fail "kernel-matrix: nothing to boot: every row carried, the bench block left as it was" "rc $rc: $(cat "$TMP/boot3" "$TMP/err")"; fi

# a verify run that could not run (the legacy one, refused): the other run's rows stay,
# and that mode's rows say why they are missing
gen report --plan "$TMP/plan.json" --verify $F/matrix-verify-images.json --missing-reason "legacy=verify exit 2: invalid --mode" \
	--md "$TMP/m4.md" --json "$TMP/m4.json" 2>"$TMP/err"; rc=$?
if [ $rc = 1 ] && grep -qF "### $A (bookworm), legacy: error (no-row)" "$TMP/m4.md" && grep -q "^verify exit 2: invalid --mode$" "$TMP/m4.md" &&
	jtrue "$TMP/m4.json" 'd["summary"]["btf"]["pass"] == 4'; then pass "kernel-matrix: a mode whose verify run could not run: its rows say why, the others stay"
else fail "kernel-matrix: a mode whose verify run could not run: its rows say why, the others stay" "rc $rc: $(cat "$TMP/err")"; fi

# 3. malformed inputs are refused with the file and the field, exit 2
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); del d["results"][1]["mode"]; json.dump(d,open(sys.argv[2],"w"))' \
	$F/matrix-verify-images.json "$TMP/bad.json"
gen report --plan "$TMP/plan.json" --verify "$TMP/bad.json" --md "$TMP/x.md" --json "$TMP/x.json" 2>"$TMP/err"; rc=$?
if [ $rc = 2 ] && grep -q "bad.json: results\[1\]: 'mode' missing" "$TMP/err" && [ ! -e "$TMP/x.md" ]; then
	pass "kernel-matrix: a verify row without its mode is refused, nothing written"
else fail "kernel-matrix: a verify row without its mode is refused, nothing written" "exit $rc: $(cat "$TMP/err")"; fi
head -c 700 $F/matrix-verify-images.json >"$TMP/trunc.json"
gen report --plan "$TMP/plan.json" --verify "$TMP/trunc.json" --md "$TMP/x.md" --json "$TMP/x.json" 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "trunc.json: verify output is not JSON" "$TMP/err" && pass "kernel-matrix: a truncated verify JSON is refused" ||
	fail "kernel-matrix: a truncated verify JSON is refused" "exit $rc: $(cat "$TMP/err")"
sed 's/"result": "pass"/"result": "maybe"/' $F/matrix-verify-legacy.json >"$TMP/res.json"
gen report --plan "$TMP/plan.json" --verify $F/matrix-verify-images.json --verify "$TMP/res.json" --md "$TMP/x.md" \
	--json "$TMP/x.json" 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "results\[0\]: 'result' is 'maybe'" "$TMP/err" && pass "kernel-matrix: an unknown result is refused" ||
	fail "kernel-matrix: an unknown result is refused" "exit $rc: $(cat "$TMP/err")"
gen report --plan "$TMP/plan.json" --verify $F/matrix-verify-images.json --verify $F/matrix-verify-images.json \
	--md "$TMP/x.md" --json "$TMP/x.json" 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "a second btf row for $A" "$TMP/err" && pass "kernel-matrix: a kernel x mode given twice is refused" ||
	fail "kernel-matrix: a kernel x mode given twice is refused" "exit $rc: $(cat "$TMP/err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); d["schema"]="probekit-kernel-matrix/0"; json.dump(d,open(sys.argv[2],"w"))' \
	"$TMP/m.json" "$TMP/old.json"
gen plan --catalog $F/matrix-catalog.json --agent $F/matrix-agent.json --since "$TMP/old.json" --out "$TMP/p3.json" \
	>/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "old.json: schema is 'probekit-kernel-matrix/0'" "$TMP/err" && pass "kernel-matrix: --since refuses a file of another schema" ||
	fail "kernel-matrix: --since refuses a file of another schema" "exit $rc: $(cat "$TMP/err")"
sed 's/"sha256": "aaaa/"sha256": "zzzz/' $F/matrix-catalog.json >"$TMP/cat.json"
gen plan --catalog "$TMP/cat.json" --agent $F/matrix-agent.json --out "$TMP/p4.json" >/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "kernels\[0\].image: 'sha256' is not 64 hex digits" "$TMP/err" && pass "kernel-matrix: a catalog with a bad SHA256 is refused" ||
	fail "kernel-matrix: a catalog with a bad SHA256 is refused" "exit $rc: $(cat "$TMP/err")"

# the shell half: --help and usage errors need no binary run
bash scripts/verify-all.sh --help | grep -q -- '--since FILE' && pass "verify-all: --help" || fail "verify-all: --help" "no --since in the help"
bash scripts/verify-all.sh --bogus >/dev/null 2>"$TMP/err"; rc=$?
[ $rc = 2 ] && grep -q "unknown argument '--bogus'" "$TMP/err" && pass "verify-all: an unknown argument is a usage error" ||
	fail "verify-all: an unknown argument is a usage error" "exit $rc: $(cat "$TMP/err")"
