#!/usr/bin/env bash
# make verify-all: boot every kernel image of the Debian catalog under QEMU with the agent
# inside (modes btf, no-btf, and legacy where a headers package exists) and write
# docs/kernel-matrix.{md,json} and benchmarks.md's bench:verify block.
#
# The programs run here; scripts/kernel-matrix.py does the data (which kernels, which
# packages, the report). The farm's repository and key live in VERIFY_DIR so that a
# nightly run builds and downloads only what is new; --since boots only what changed.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() {
	cat <<'EOF'
usage: scripts/verify-all.sh [--since FILE] [-h|--help]

Boot every kernel image of the Debian catalog (probekit kernels --distro debian) under
QEMU: modes btf and no-btf for every image, legacy for every kernel with a headers
package, its legacy object built by probekit farm into a persistent repository. Writes
docs/kernel-matrix.md, docs/kernel-matrix.json and the bench:verify block of
docs/benchmarks.md.

  --since FILE   a previous docs/kernel-matrix.json: boot only kernels that are not in
                 it with the same image SHA256, the same agent (probekit and probe
                 version) and a verdict (pass or fail) in every mode; carry the others'
                 rows over, marked carried. Errors (timeouts, not fetched) are retried.

environment:
  VERIFY_DIR      farm repository, its key pair and the last run's files
                  (default /var/cache/probekit/verify-all)
  VERIFY_CACHE    package and catalog cache (default $PROBEKIT_CACHE or /var/cache/probekit)
  VERIFY_JOBS     VMs (and farm builds) at once (default 2)
  VERIFY_TIMEOUT  per boot, seconds (default 300)
  VERIFY_MODES    default btf,no-btf,legacy
  VERIFY_SUITES   only these suites (space or comma separated; default every suite)
  VERIFY_MATCH    only kernels whose uname -r matches this regex (Python re.search)
  VERIFY_LIMIT    only the first N selected kernels
  VERIFY_DOCS     where kernel-matrix.{md,json} and benchmarks.md are (default docs)
  OUT / PK        build directory (default build) / the probekit binary

exit codes: 0 every row passed, 1 some row failed or errored, 2 usage or bad input,
3 could not run (no binary, catalog or farm unusable), or one verify run could not
run (the report is written, that run's rows say why)
EOF
}

since=""
while [ $# -gt 0 ]; do
	case $1 in
	--since) [ $# -ge 2 ] || { echo "verify-all: error: --since needs a FILE" >&2; exit 2; }
		since=$2; shift 2 ;;
	--since=*) since=${1#--since=}; shift ;;
	-h|--help) usage; exit 0 ;;
	*) echo "verify-all: error: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
[ -z "$since" ] || [ -r "$since" ] || { echo "verify-all: error: cannot read '$since'" >&2; exit 2; }

OUT=${OUT:-build}
PK=${PK:-$PWD/$OUT/probekit}
DIR=${VERIFY_DIR:-/var/cache/probekit/verify-all}
CACHE=${VERIFY_CACHE:-${PROBEKIT_CACHE:-/var/cache/probekit}}
JOBS=${VERIFY_JOBS:-2}
TIMEOUT=${VERIFY_TIMEOUT:-300}
MODES=${VERIFY_MODES:-btf,no-btf,legacy}
DOCS=${VERIFY_DOCS:-docs}
GEN=scripts/kernel-matrix.py
say() { echo "verify-all: $*" >&2; }
die() { echo "verify-all: error: $*" >&2; exit "${2:-3}"; }

[ -x "$PK" ] || die "no '$PK' (make first)"
t0=$SECONDS
mkdir -p "$DIR" || die "cannot create '$DIR'"
exec 9>"$DIR/.lock"
flock -n 9 || die "another verify-all is running in $DIR"
# this run's files stay in DIR/last for a look at failures; the previous run's go
work="$DIR/last"
rm -rf "$work"; mkdir -p "$work"

# run_logged OUT ERR CMD...: CMD's stdout to OUT, its stderr to ERR and, as it comes,
# to ours; CMD's exit status. ERR is whole when it returns (no tee left running).
run_logged() {
	local out=$1 err=$2 pid
	shift 2
	"$@" >"$out" 2>"$err" &
	pid=$!
	tail -n +1 -f --pid="$pid" "$err" >&2 || true
	wait "$pid"
}

suite_args=()
for s in ${VERIFY_SUITES:+${VERIFY_SUITES//,/ }}; do suite_args+=(--suite "$s"); done

# 1. the catalog and the agent: who is booted, and with what
say "catalog: probekit kernels --distro debian ${suite_args[*]}"
rc=0
"$PK" kernels --distro debian "${suite_args[@]}" --cache "$CACHE" --json -q >"$work/catalog.json" || rc=$?
[ $rc -le 1 ] || die "probekit kernels exit $rc"
"$PK" version --json >"$work/agent.json" || die "probekit version failed"
plan_args=(--catalog "$work/catalog.json" --agent "$work/agent.json" --modes "$MODES" --out "$work/plan.json")
for s in ${VERIFY_SUITES:+${VERIFY_SUITES//,/ }}; do plan_args+=(--suite "$s"); done
[ -z "${VERIFY_MATCH:-}" ] || plan_args+=(--match "$VERIFY_MATCH")
[ -z "${VERIFY_LIMIT:-}" ] || plan_args+=(--limit "$VERIFY_LIMIT")
[ -z "$since" ] || plan_args+=(--since "$since")
python3 "$GEN" plan "${plan_args[@]}" >"$work/boot.list" || exit $?
nboot=$(wc -l <"$work/boot.list")

# 2. the farm: legacy objects (headers) and BTF into the persistent repository; it
# downloads each image package into CACHE/packages (SHA256 checked) on the way
repo=$DIR/repo key=$DIR/repo.key pub=$DIR/repo.pub
if [ ! -e "$key" ]; then
	"$PK" repo keygen --secret "$key" --public "$pub" >/dev/null || die "cannot make the farm's key in $DIR"
fi
farm_s=0
: >"$work/farm.json"
if [ "$nboot" -gt 0 ]; then
	tf=$SECONDS
	# the whole selection as suites when nothing narrows it, else the kernelreleases
	# to boot, at most 64 per farm run (its --kernels limit)
	if [ -z "${VERIFY_MATCH:-}${VERIFY_LIMIT:-}$since" ]; then
		chunks=(all)
	else
		split -l 64 "$work/boot.list" "$work/farm-chunk."
		chunks=("$work"/farm-chunk.*)
	fi
	for c in "${chunks[@]}"; do
		fa=(farm --repo "$repo" --key "$key" --distro debian "${suite_args[@]}" -j "$JOBS" --cache "$CACHE" --json)
		if [ "$c" != all ]; then
			while read -r kr; do fa+=(--kernels "$kr"); done <"$c"
		fi
		say "farm: $([ "$c" = all ] && echo "every selected kernel" || echo "$(wc -l <"$c") kernels") into $repo"
		rc=0
		run_logged "$work/farm.out" "$work/farm.err" "$PK" "${fa[@]}" || rc=$?
		[ $rc -le 1 ] || die "probekit farm exit $rc: $(tail -3 "$work/farm.err")"
		# one failures list for the generator, over every chunk
		python3 - "$work/farm.out" "$work/farm.json" <<-'EOF' || say "warning: farm gave no JSON summary: its failures are not named"
		import json, sys
		try:
		    acc = json.load(open(sys.argv[2]))
		except ValueError:
		    acc = {"failures": []}
		acc["failures"] += json.load(open(sys.argv[1])).get("failures") or []
		json.dump(acc, open(sys.argv[2], "w"))
		EOF
	done
	farm_s=$((SECONDS - tf))
	"$PK" repo ls "$repo" --key "$pub" --json >"$work/index.json" 2>"$work/ls.err" ||
		die "repo ls $repo: $(tail -1 "$work/ls.err")"
fi

# 3. the packages the farm fetched, and the kernels whose legacy object it lists
python3 "$GEN" inputs --plan "$work/plan.json" --cache "$CACHE" --index "$work/index.json" \
	--farm "$work/farm.json" --image-list "$work/images" --legacy-list "$work/legacy" || exit $?

# 4. two verify runs: btf,no-btf for every image; legacy for those with an object
run_verify() {	# NAME MODES LIST [extra args]
	local name=$1 modes=$2 list=$3; shift 3
	local ka=() rc=0 n
	n=$(wc -l <"$list")
	[ "$n" -gt 0 ] || return 0
	while read -r p; do ka+=(--kernel "$p"); done <"$list"
	say "verify: $n kernels x $modes, -j $JOBS, at most $TIMEOUT s per boot"
	run_logged "$work/verify-$name.json" "$work/verify-$name.err" \
		"$PK" verify --json -j "$JOBS" --timeout "$TIMEOUT" --mode "$modes" --log-dir "$work/logs" \
		"$@" "${ka[@]}" || rc=$?
	if [ $rc -le 1 ]; then
		verify_files+=(--verify "$work/verify-$name.json")
		return 0
	fi
	# could not run (exit 2, 3): the other run's rows still make a report, and
	# these modes' rows say why they are missing; the script exits 3
	say "warning: probekit verify --mode $modes exit $rc: $(tail -1 "$work/verify-$name.err")"
	for m in ${modes//,/ }; do
		verify_files+=(--missing-reason "$m=probekit verify --mode $modes could not run (exit $rc): $(tail -1 "$work/verify-$name.err")")
	done
	verify_failed=1
}
verify_files=() verify_failed=0
img_modes=$(tr ',' '\n' <<<"$MODES" | grep -vx legacy | paste -sd, || true)
nimg=$(wc -l <"$work/images")
nleg=$(wc -l <"$work/legacy")
if [[ ",$MODES," != *,legacy,* ]]; then nleg=0; fi
nb=$((nleg)); [ -z "$img_modes" ] || nb=$((nb + nimg * $(tr ',' '\n' <<<"$img_modes" | wc -l)))
# 6 s of one CPU per boot under TCG (the 2026-11-28 run: 36 boots, 105 s at -j 2)
[ "$nb" = 0 ] || say "$nb boots: about $(((nb * 6 / JOBS + 59) / 60)) min at -j $JOBS under TCG"
[ -z "$img_modes" ] || run_verify images "$img_modes" "$work/images"
# KVM that the first run found unusable costs a 20 s trial boot: not twice
accel=()
[ ! -s "$work/verify-images.json" ] || ! python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
sys.exit(0 if d.get("accel") == "tcg" and d.get("kvm_unused_reason") else 1)' "$work/verify-images.json" 2>/dev/null ||
	accel=(--accel tcg)
[ "$nleg" = 0 ] || run_verify legacy legacy "$work/legacy" "${accel[@]}" --repo "$repo" --repo-key "$pub"

# 5. the report
mkdir -p "$DOCS"
rc=0
python3 "$GEN" report --plan "$work/plan.json" "${verify_files[@]}" --jobs "$JOBS" \
	--md "$DOCS/kernel-matrix.md" --json "$DOCS/kernel-matrix.json" --bench "$DOCS/benchmarks.md" \
	--run-wall-s $((SECONDS - t0)) --farm-s "$farm_s" || rc=$?
[ $rc -le 1 ] || exit $rc
[ $verify_failed = 0 ] || rc=3
say "whole run $((SECONDS - t0)) s (farm $farm_s s); this run's files and failure logs: $work"
exit $rc
