# The agent and a signed repository (issue 10): real nginx on loopback serving a
# repository of real artifacts for this very kernel (its legacy object, its
# reduced BTF), and tests/fetch/faultserver.py only where nginx cannot misbehave
# on purpose. With the kernel's own BTF hidden (a private mount), the chain must
# reach the repository's candidates; every fault must give a clear reason, let
# the chain go on, leave nothing unverified in the cache, and never let an object
# that failed verification be loaded (its candidate fails at "fetch").
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
. "$(dirname "$0")/../lib/host_repo.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
FS_PID=""
trap 'nginx_stop; [ -n "$FS_PID" ] && kill "$FS_PID" 2>/dev/null; rm -rf "$TMP"' EXIT

why=$(need_bpf)
if [ -n "$why" ]; then
	skip "agent and repository" "$why"
	exit 0
fi
host_repo_setup || exit 0
for r in good 404 changed long unsigned rollback dotdot; do mkrepo $r legacy reduced || fail "make repository $r" "mkhostrepo/repo index"; done
mkrepo legacyonly legacy ""
mkrepo otherkey legacy reduced "$TMP/k2.sec"
rm "$W/404/$RED"
printf '\001' | dd of="$W/changed/$RED" bs=1 seek=100 conv=notrunc 2>/dev/null
printf 'more bytes than the index lists' >>"$W/long/$RED"
rm "$W/unsigned/index.json.minisig"
python3 - "$W/dotdot/index.json" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
d["artifacts"][0]["path"] = "../../outside"
open(sys.argv[1], "w").write(json.dumps(d, indent=2))
EOF
(cd "$W/dotdot" && "$PK" repo sign index.json --key "$TMP/k1.sec" --trusted-comment \
	"probekit-index version=$(q index.json 'd["version"]') expires=$(q index.json 'd["expires"]') sha256=$(sha256sum <index.json | cut -c1-64)" >/dev/null 2>&1)

NGINX_TLS=1 nginx_start "$W" || { fail "nginx" "cannot start"; exit 0; }
N=$NGINX_URL
K=(--repo-key "$TMP/k1.pub")
sel() { hidden "$PK" selftest --json --retries 0 "${K[@]}" "$@" >"$TMP/o.json" 2>"$TMP/o.err"; }

# ---- the chain takes the repository's candidates ---------------------------------
C=$TMP/c1
sel --cache "$C" --repo "$N/good"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
   [ "$(q "$TMP/o.json" 'd["selfcheck"]["passed"]')" = True ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["url"]')" = "$N/good/$RED" ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["from_cache"]')" = False ] &&
   [ -f "$(q "$TMP/o.json" 'd["source"]["cache_entry"]')" ] && cache_clean "$C" &&
   grep -q "source: *$N/good/$RED (signed index version 1" "$TMP/o.err"; then
	pass "no kernel BTF: the downloaded reduced BTF serves; status and startup name repository, URL, digest, cache entry"
else
	fail "downloaded reduced BTF serves" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -4 "$TMP/o.err")"
fi
before=$(wc -l <"$NGINX_ACCESS_LOG")
sel --cache "$C" --repo "$N/good" --offline
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["from_cache"]')" = True ] &&
   [ "$(wc -l <"$NGINX_ACCESS_LOG")" = "$before" ]; then
	pass "--offline, warm cache: the same BTF from the cache, no request made"
else
	fail "--offline from the cache" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi
# libcurl is never mapped by the agent: a download runs in a child process (the same
# binary, `__fetch-one`) that fills the cache; an agent served by its cache starts
# none. A missing libcurl is said plainly, by fetch and in the agent's reason.
LD_DEBUG=files "$PK" selftest >/dev/null 2>"$TMP/ld1"
LD_DEBUG=files hidden "$PK" selftest "${K[@]}" --cache "$C" --repo "$N/good" --offline >/dev/null 2>"$TMP/ld2"
LD_DEBUG=files hidden "$PK" selftest --json "${K[@]}" --cache "$TMP/c1b" --repo "$N/good" >"$TMP/o.json" 2>"$TMP/ld3"
PROBEKIT_LIBCURL=/nonexistent/libcurl.so.4 "$PK" fetch "${K[@]}" --cache "$TMP/c1c" --repo "$N/good" >"$TMP/nc.out" 2>&1; rc=$?
PROBEKIT_LIBCURL=/nonexistent/libcurl.so.4 hidden "$PK" selftest --json "${K[@]}" --cache "$TMP/c1d" --repo "$N/good" >"$TMP/o2.json" 2>/dev/null
if ! grep -q 'libcurl' "$TMP/ld1" && ! grep -q 'libcurl' "$TMP/ld2" && ! grep -q 'file=libcurl' "$TMP/ld3" &&
   [ "$(q "$TMP/o.json" 'd["source"]["from_cache"]')" = False ] &&
   [ $rc = 1 ] && grep -q 'downloading needs libcurl (Debian: libcurl4)' "$TMP/nc.out" &&
   cand "$TMP/o2.json" repo-reduced-btf 'c["reason"]' | grep -q 'downloading needs libcurl'; then
	pass "the agent never maps libcurl (downloads run in a child, none from a warm cache); its absence is said"
else
	fail "libcurl out of the agent" "ld1 $(grep -c libcurl "$TMP/ld1") ld2 $(grep -c libcurl "$TMP/ld2") ld3 $(grep -c libcurl "$TMP/ld3"); fetch $rc: $(tail -2 "$TMP/nc.out"); $(cand "$TMP/o2.json" repo-reduced-btf 'c["reason"]')"
fi
# a warm cache whose index is younger than --index-max-age (default 1h) asks nothing;
# a file its index lacks makes the agent ask the repository once more
C=$TMP/c1
before=$(wc -l <"$NGINX_ACCESS_LOG")
sel --cache "$C" --repo "$N/good"
after=$(wc -l <"$NGINX_ACCESS_LOG")
mkrepo grow legacy ""
sel --cache "$TMP/cg" --repo "$N/grow"
c1=$(q "$TMP/o.json" 'd["candidate"]')
python3 "$ROOT/tests/fetch/mkhostrepo.py" "$W/grow" "$PV" "$target" "$krel" "$kver" "$os" "$ver" "$arch" "$rel" \
	"legacy=$ROOT/$OUT/probe.legacy.bpf.o" "reduced=$TMP/red.btf" && "$PK" repo index "$W/grow" --key "$TMP/k1.sec" >/dev/null
sel --cache "$TMP/cg" --repo "$N/grow"
if [ "$after" = "$before" ] && [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
   [ "$c1" = repo-legacy ] && [ "$(q "$TMP/o.json" 'd["source"]["index_version"]')" = 2 ]; then
	pass "warm cache: an index younger than --index-max-age asks nothing; a file it lacks makes the agent ask again"
else
	fail "index max age" "requests $before -> $after; first $c1; then $(q "$TMP/o.json" 'd["candidate"]') v$(q "$TMP/o.json" 'd["source"]["index_version"]')"
fi
C=$TMP/c2
sel --cache "$C" --repo "$N/legacyonly"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-legacy ] &&
   [ "$(cand "$TMP/o.json" repo-reduced-btf 'c["source"]["attempts"][0]["outcome"]')" = not-listed ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["url"]')" = "$N/legacyonly/$LEG" ] && cache_clean "$C"; then
	pass "no reduced BTF listed: the downloaded legacy object (falcoctl's name) serves"
else
	fail "downloaded legacy object serves" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -4 "$TMP/o.err")"
fi
PROBEKIT_REPOS="http://127.0.0.1:1/nothing;$N/legacyonly" hidden "$PK" selftest --json "${K[@]}" --retries 0 \
	--cache "$TMP/c2b" >"$TMP/o.json" 2>"$TMP/o.err"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-legacy ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["repository"]')" = "$N/legacyonly" ]; then
	pass "PROBEKIT_REPOS: repositories tried in order, the second serves"
else
	fail "PROBEKIT_REPOS" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi
# the cache of the previous run, no repository configured: the verified object serves
hidden "$PK" selftest --json --cache "$C" "${K[@]}" >"$TMP/o.json" 2>"$TMP/o.err"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = cache-legacy ] &&
   [ "$(cand "$TMP/o.json" repo-legacy 'c["state"]')" = skipped ]; then
	pass "no repository configured: the cache's verified legacy object serves (cache-legacy)"
else
	fail "cache-legacy" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi
mkdir -p "$TMP/pdir" && cp "$OUT/probe.legacy.bpf.o" "$TMP/pdir/$(basename "$LEG")"
hidden "$PK" selftest --json --cache "$TMP/empty" --probe-dir "$TMP/pdir" >"$TMP/o.json" 2>"$TMP/o.err"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = cache-legacy ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["url"]')" = "$TMP/pdir/$(basename "$LEG")" ]; then
	pass "--probe-dir: a legacy object under its repository name serves"
else
	fail "--probe-dir" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi
PROBEKIT_DOWNLOAD_PROBE=1 "$PK" selftest --json "${K[@]}" --cache "$TMP/c3" --repo "$N/good" >"$TMP/o.json" 2>"$TMP/o.err"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-core ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["url"]')" = "$N/good/$PV/$arch/probe.core.bpf.o" ]; then
	pass "PROBEKIT_DOWNLOAD_PROBE=1: the repository's CO-RE object comes before the embedded ones"
else
	fail "PROBEKIT_DOWNLOAD_PROBE=1" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi
sel --cache "$TMP/c4" --repo "$N/good" --require-verified; rc=$?
if [ $rc = 1 ] && [ "$(cand "$TMP/o.json" repo-legacy 'c["source"]["attempts"][0]["outcome"]')" = unverified ] &&
   grep -q 'require-verified' "$TMP/o.err" && [ -z "$(ls "$TMP/c4/agent/objects" 2>/dev/null)" ]; then
	pass "--require-verified: artifacts the VM verification has not marked are refused, nothing fetched"
else
	fail "--require-verified" "rc $rc $(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi

# https: the repository's certificate is trusted through --ca-file, and only then
sel --cache "$TMP/ct1" --repo "$NGINX_TLS_URL/good"
o1=$(cand "$TMP/o.json" repo-reduced-btf 'c["source"]["attempts"][0]["outcome"]')
sel --cache "$TMP/ct2" --repo "$NGINX_TLS_URL/good" --ca-file "$NGINX_CA_FILE"
if [ "$o1" = http ] && [ "$(q "$TMP/o.json" 'd["source"]["url"]')" = "$NGINX_TLS_URL/good/$RED" ]; then
	pass "https: refused with an unknown certificate, served with --ca-file"
else
	fail "https and --ca-file" "without: $o1; with: $(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi

# ---- fetch (the init container) then run offline -----------------------------------
C=$TMP/c5
"$PK" fetch --json "${K[@]}" --cache "$C" --repo "$N/good" >"$TMP/f.json" 2>"$TMP/f.err"; rc=$?
before=$(wc -l <"$NGINX_ACCESS_LOG")
hidden "$PK" run --offline "${K[@]}" --cache "$C" --repo "$N/good" --duration 1 --output /dev/null 2>"$TMP/r.err"; rc2=$?
if [ $rc = 0 ] && [ "$(q "$TMP/f.json" 'd["ok"]')" = True ] &&
   [ "$(q "$TMP/f.json" 'd["stats"]["objects_fetched"]')" = 2 ] && [ $rc2 = 0 ] &&
   grep -q 'using: *repo-reduced-btf' "$TMP/r.err" && grep -q 'nothing downloaded' "$TMP/r.err" &&
   [ "$(wc -l <"$NGINX_ACCESS_LOG")" = "$before" ] && cache_clean "$C"; then
	pass "fetch fills the cache (2 files, verified); run --offline then starts from it without a request"
else
	fail "fetch then run --offline" "fetch $rc run $rc2: $(tail -3 "$TMP/f.err") $(tail -3 "$TMP/r.err")"
fi
before=$(wc -l <"$NGINX_ACCESS_LOG")
"$PK" detect --json "${K[@]}" --repo "$N/good" --cache "$TMP/c6" >"$TMP/d2.json"
if [ "$(q "$TMP/d2.json" 'd["repositories"][0]["urls"]["reduced_btf"]')" = "$N/good/$RED" ] &&
   [ "$(q "$TMP/d2.json" 'd["repositories"][0]["urls"]["legacy_object"]')" = "$N/good/$LEG" ] &&
   [ "$(q "$TMP/d2.json" 'd["repositories"][0]["index_url"]')" = "$N/good/index.json" ] &&
   [ "$(wc -l <"$NGINX_ACCESS_LOG")" = "$before" ] && [ ! -e "$TMP/c6" ]; then
	pass "detect lists the URLs the agent would fetch, and fetches nothing"
else
	fail "detect lists URLs" "$(grep -A8 '"repositories"' "$TMP/d2.json" | head -12)"
fi

# an air-gapped site: the fleet's subset mirrored with the signed index intact, used
# as a plain directory with the same key
printf '# the fleet\n%s\n' "$rel" >"$TMP/fleet.txt"
"$PK" repo mirror --from "$N/good" --to "$TMP/mirror" --kernels "$TMP/fleet.txt" "${K[@]}" >"$TMP/m.out" 2>&1; rc=$?
sel --cache "$TMP/cm" --repo "$TMP/mirror"
if [ $rc = 0 ] && [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
   [ "$(q "$TMP/o.json" 'd["source"]["url"]')" = "file://$TMP/mirror/$RED" ] &&
   cmp -s "$TMP/mirror/index.json.minisig" "$W/good/index.json.minisig"; then
	pass "repo mirror --kernels: the agent verifies the mirror (a directory) with the same key and loads from it"
else
	fail "agent on a mirror" "mirror $rc: $(tail -2 "$TMP/m.out"); $(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi

# ---- faults: a clear reason, the chain goes on, nothing bad cached or loaded -------
# fault NAME EXPECTED_WINNER FAILED_CANDIDATE OUTCOME REASON_RE -- selftest args
fault() {
	local name=$1 want=$2 failed=$3 outcome=$4 re=$5 got o st reasons
	shift 6
	rm -rf "$TMP/cf"
	sel --cache "$TMP/cf" "$@"
	got=$(q "$TMP/o.json" 'd["candidate"]')
	o=$(cand "$TMP/o.json" "$failed" '" ".join(a["outcome"] for a in c["source"]["attempts"])')
	st=$(cand "$TMP/o.json" "$failed" 'c.get("stage") or c["state"]')
	reasons=$(cand "$TMP/o.json" "$failed" '" | ".join(a["reason"] or "" for a in c["source"]["attempts"])')
	if [ "$got" = "$want" ] && [[ " $o " == *" $outcome "* ]] && [[ "$reasons" =~ $re ]] &&
	   { [ "$failed" = "$want" ] || [ "$st" = fetch ]; } && cache_clean "$TMP/cf" &&
	   grep -q "download: *$failed: .* $outcome: " "$TMP/o.err"; then
		pass "$name: $outcome, '$re' said; $want serves; nothing bad cached or loaded"
	else
		fail "$name" "winner $got; $failed: stage $st, outcomes '$o', reasons '$reasons'; $(cache_clean "$TMP/cf")"
	fi
}
fault "server down" repo-reduced-btf repo-reduced-btf http "Connection refused" -- --repo http://127.0.0.1:1 --repo "$N/good"
fault "404" repo-legacy repo-reduced-btf not-found "HTTP 404" -- --repo "$N/404"
fault "a changed byte" repo-legacy repo-reduced-btf digest "SHA256" -- --repo "$N/changed"
fault "a body longer than the index says" repo-legacy repo-reduced-btf size "more than|larger|bytes" -- --repo "$N/long"
fault "an index signed by another key" repo-reduced-btf repo-reduced-btf signature "key" -- --repo "$N/otherkey" --repo "$N/good"
fault "an unsigned index" repo-reduced-btf repo-reduced-btf not-found "index.json.minisig.*404" -- --repo "$N/unsigned" --repo "$N/good"
fault "a ../ path in the index" repo-reduced-btf repo-reduced-btf index "\.\." -- --repo "$N/dotdot" --repo "$N/good"

# rollback: the agent saw version 2; the server goes back to version 1
cp "$W/rollback/index.json" "$TMP/rb1.json" && cp "$W/rollback/index.json.minisig" "$TMP/rb1.sig"
"$PK" repo index "$W/rollback" --key "$TMP/k1.sec" >/dev/null
rm -rf "$TMP/crb"
sel --cache "$TMP/crb" --repo "$N/rollback"
cp "$TMP/rb1.json" "$W/rollback/index.json" && cp "$TMP/rb1.sig" "$W/rollback/index.json.minisig"
sel --cache "$TMP/crb" --repo "$N/rollback" --index-max-age 0
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
   [ "$(cand "$TMP/o.json" repo-reduced-btf 'c["source"]["attempts"][0]["outcome"]')" = rollback ] &&
   cand "$TMP/o.json" repo-reduced-btf 'c["source"]["attempts"][0]["reason"]' | grep -q 'version 1 is older than version 2.*cached index (version 2) serves' &&
   [ "$(q "$TMP/o.json" 'd["source"]["index_version"]')" = 2 ]; then
	pass "a rolled-back index (1 after 2) is refused; the cached index version 2 serves"
else
	fail "rollback" "$(cand "$TMP/o.json" repo-reduced-btf 'c["source"]["attempts"]')"
fi

# an expired index: refused (a freeze), accepted with --allow-expired
mkrepo expired legacy reduced "$TMP/k1.sec" 1
sleep 2
fault "an expired index" repo-reduced-btf repo-reduced-btf expired "expired" -- --repo "$N/expired" --repo "$N/good"
sel --cache "$TMP/cx" --repo "$N/expired" --allow-expired
if [ "$(q "$TMP/o.json" 'd["source"]["repository"]')" = "$N/expired" ]; then
	pass "--allow-expired: an index kept old on purpose (air-gapped) is accepted"
else
	fail "--allow-expired" "$(q "$TMP/o.json" 'd["candidate"]') $(tail -3 "$TMP/o.err")"
fi

# what nginx cannot do: the fault server
mkdir -p "$TMP/fs"
echo '{}' >"$TMP/fs/rules.json"
python3 "$ROOT/tests/fetch/faultserver.py" "$W" "$TMP/fs/rules.json" "$TMP/fs/log" >"$TMP/fs/port" 2>"$TMP/fs/err" &
FS_PID=$!
for i in $(seq 1 50); do [ -s "$TMP/fs/port" ] && break; sleep 0.1; done
F=http://127.0.0.1:$(cat "$TMP/fs/port")
rule() { printf '{"/good/%s": "%s"}\n' "$RED" "$1" >"$TMP/fs/rules.json"; }
rule 500-once
rm -rf "$TMP/cf"
hidden "$PK" selftest --json "${K[@]}" --cache "$TMP/cf" --retries 1 --repo "$F/good" >"$TMP/o.json" 2>"$TMP/o.err"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
   [ "$(grep -c "GET /good/$RED.* 500" "$TMP/fs/log")" = 1 ] &&
   [ "$(grep -c "GET /good/$RED.* 200" "$TMP/fs/log")" = 1 ] && cache_clean "$TMP/cf"; then
	pass "500 then success: retried, and the BTF serves"
else
	fail "500 then success" "$(q "$TMP/o.json" 'd["candidate"]') $(grep "$RED" "$TMP/fs/log")"
fi
rule reset
fault "a reset mid-body" repo-legacy repo-reduced-btf reset "[Rr]eset|closed" -- --repo "$F/good"
rule truncate
fault "a truncated body" repo-legacy repo-reduced-btf reset "closed|remaining|[Rr]eset" -- --repo "$F/good"
rule slow
fault "a body slower than the timeout" repo-legacy repo-reduced-btf timeout "[Tt]imed out|[Tt]imeout" -- --repo "$F/good" --fetch-timeout 2
# the proxy from the environment: requests go through it
echo '{}' >"$TMP/fs/rules.json"
: >"$TMP/fs/log"
http_proxy=$F HTTP_PROXY=$F hidden "$PK" selftest --json "${K[@]}" --cache "$TMP/cp" --repo "$N/good" >"$TMP/o.json" 2>"$TMP/o.err"
if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] && grep -q "GET $N/good/index.json" "$TMP/fs/log"; then
	pass "the proxy from the environment (http_proxy) carries the requests"
else
	fail "proxy from the environment" "$(head -3 "$TMP/fs/log") $(tail -2 "$TMP/o.err")"
fi

# two agents filling one cache at once
rm -rf "$TMP/cc"
"$PK" fetch "${K[@]}" --cache "$TMP/cc" --repo "$N/good" >"$TMP/p1.out" 2>&1 &
p1=$!
"$PK" fetch "${K[@]}" --cache "$TMP/cc" --repo "$N/good" >"$TMP/p2.out" 2>&1 &
p2=$!
wait $p1; r1=$?
wait $p2; r2=$?
if [ $r1 = 0 ] && [ $r2 = 0 ] && [ "$(ls "$TMP/cc/agent/objects" | wc -l)" = 2 ] && cache_clean "$TMP/cc"; then
	pass "two agents filling one cache at once: both succeed, 2 verified objects, no temp file"
else
	fail "two agents, one cache" "$r1 $r2: $(cat "$TMP/p1.out" "$TMP/p2.out" | tail -4) $(ls "$TMP/cc/agent/objects")"
fi
# a damaged cache entry is caught on read, removed and fetched again
C=$TMP/cc
obj=$(ls "$C"/agent/objects/* | head -1)
printf 'x' >>"$obj"
"$PK" fetch --json "${K[@]}" --cache "$C" --repo "$N/good" >"$TMP/f.json" 2>&1; rc=$?
if [ $rc = 0 ] && [ "$(q "$TMP/f.json" 'd["stats"]["objects_fetched"]')" = 1 ] && cache_clean "$C" &&
   grep -q 'damaged' "$TMP/f.json"; then
	pass "a damaged cache entry is caught on read, removed and fetched again"
else
	fail "damaged cache entry" "rc $rc $(head -c 600 "$TMP/f.json")"
fi

# the key built into the agent (make REPO_PUBKEY=FILE) is the one trusted without --repo-key
cp -a "$ROOT/$OUT" "$TMP/kbuild" && rm -f "$TMP/kbuild/probekit" "$TMP/kbuild/obj/cli/repo_opts.o"
if make -C "$ROOT" --no-print-directory "${SAN_MAKE_ARGS[@]}" OUT="$TMP/kbuild" REPO_PUBKEY="$TMP/k1.pub" \
	"$TMP/kbuild/probekit" >"$TMP/kmake.log" 2>&1; then
	hidden "$TMP/kbuild/probekit" selftest --json --cache "$TMP/ck1" --repo "$N/good" >"$TMP/o.json" 2>"$TMP/o.err"
	hidden "$TMP/kbuild/probekit" selftest --json --cache "$TMP/ck2" --repo "$N/otherkey" >"$TMP/o2.json" 2>"$TMP/o2.err"
	hidden "$PK" selftest --json --cache "$TMP/ck3" --repo "$N/good" >"$TMP/o3.json" 2>"$TMP/o3.err"
	if [ "$(q "$TMP/o.json" 'd["candidate"]')" = repo-reduced-btf ] &&
	   [ "$(cand "$TMP/o2.json" repo-reduced-btf 'c["source"]["attempts"][0]["outcome"]')" = signature ] &&
	   cand "$TMP/o3.json" repo-reduced-btf 'c["source"]["attempts"][0]["reason"]' | grep -q 'built without one'; then
		pass "the key built in (make REPO_PUBKEY=FILE) verifies; another key's index is refused; a build without one says so"
	else
		fail "built-in key" "$(q "$TMP/o.json" 'd["candidate"]') / $(cand "$TMP/o2.json" repo-reduced-btf 'c["source"]["attempts"]') / $(tail -2 "$TMP/o3.err")"
	fi
else
	fail "build with REPO_PUBKEY" "$(tail -3 "$TMP/kmake.log")"
fi
