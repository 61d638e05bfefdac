#!/usr/bin/env bash
# The HTTP client (src/fetch/http.c) against a real nginx on loopback: starts it
# with tests/lib/nginx.sh and runs $OUT/tests/fetch/test_http, which covers every
# case (its direct run by tests/run.sh only skips). No proxy of the caller's.
# Then a directory repository read through file:// with libcurl unloadable.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
bin=$OUT/tests/fetch/test_http
[ -x "$bin" ] || { fail "http client" "no $bin (make all first)"; exit 0; }
[ -x "$NGINX_BIN" ] || { skip "http client" "no nginx (make deps installs nginx-light)"; exit 0; }
trap 'nginx_stop; rm -rf "$TMP"' EXIT

root=$TMP/www
mkdir -p "$root"
cat >"$TMP/extra.conf" <<CONF
location = /e503 { return 503; }
location = /e403 { return 403; }
location = /reset { return 444; }
location /slow/ { alias $root/; limit_rate 100; }
location /chunked/ { alias $root/; sub_filter_types *; sub_filter 'no-such-text' 'x'; }
location = /redir { return 302 /small; }
location = /r1 { return 302 /small; }
location = /r2 { return 302 /r1; }
location = /r3 { return 302 /r2; }
location = /r4 { return 302 /r3; }
location = /r5 { return 302 /r4; }
location = /r6 { return 302 /r5; }
location = /tofile { return 302 file:///etc/hostname; }
location = /flaky { try_files /flaky-ok =503; }
location /sf/ { alias $root/; set \$rate 4000; if (-f $root/fast-mode) { set \$rate 0; } limit_rate \$rate; }
CONF
NGINX_TLS=1 nginx_start "$root" "$TMP/extra.conf" 2>"$TMP/nginx.err" ||
	{ fail "http client" "nginx did not start: $(cat "$TMP/nginx.err")"; exit 0; }

unset http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY
PK_HTTP_ROOT=$root "$bin"

# A directory repository where libcurl cannot be loaded (PROBEKIT_LIBCURL names a
# path that does not exist: a verify guest's initramfs, an air-gapped node): read
# through file:// by `repo verify` and by `fetch` (which turns the directory into
# a file:// URL, the space percent-encoded), libcurl never even looked for
# (LD_DEBUG=files); the same repository over http says libcurl is missing.
R="$root/a repo"
NOCURL=/nonexistent/libcurl.so.4
if python3 "$(dirname "$0")/../repo/mkrepo.py" "$R" 3 >/dev/null &&
   "$PK" repo keygen --public "$TMP/pub" --secret "$TMP/sec" >/dev/null 2>&1 &&
   "$PK" repo index "$R" --key "$TMP/sec" >/dev/null 2>&1; then
	RU=file://$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1]))' "$R")
	t="repo verify file:// without libcurl: every file read and checked"
	PROBEKIT_LIBCURL=$NOCURL LD_DEBUG=files "$PK" repo verify "$RU" --key "$TMP/pub" >"$TMP/v.out" 2>"$TMP/v.ld"; rc=$?
	if [ $rc = 0 ] && grep -q '^verified: index version 1 .* 10 files' "$TMP/v.out" && ! grep -q libcurl "$TMP/v.ld"; then
		pass "$t"
	else
		fail "$t" "exit $rc: $(cat "$TMP/v.out") $(grep -m2 -e libcurl -e error "$TMP/v.ld")"
	fi
	t="fetch from a directory repository without libcurl: the signed index fetched"
	PROBEKIT_LIBCURL=$NOCURL LD_DEBUG=files "$PK" fetch --repo "$R" --repo-key "$TMP/pub" --cache "$TMP/cache" \
		--json >"$TMP/f.json" 2>"$TMP/f.ld"; rc=$?
	if [ $rc = 0 ] && [ "$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["ok"], d["stats"]["indexes_fetched"], d["files"][0]["attempts"][0]["where"])' "$TMP/f.json")" = "True 1 $RU" ] &&
	   ! grep -q libcurl "$TMP/f.ld"; then
		pass "$t"
	else
		fail "$t" "exit $rc: $(head -c 600 "$TMP/f.json") $(grep -m2 libcurl "$TMP/f.ld")"
	fi
	t="the same repository over http: verified with libcurl, refused plainly without"
	HU="$NGINX_URL/a%20repo"
	"$PK" repo verify "$HU" --key "$TMP/pub" >"$TMP/h.out" 2>&1; rc=$?
	PROBEKIT_LIBCURL=$NOCURL "$PK" repo verify "$HU" --key "$TMP/pub" >"$TMP/n.out" 2>&1; rc2=$?
	if [ $rc = 0 ] && [ $rc2 != 0 ] && grep -q 'downloading needs libcurl (Debian: libcurl4): cannot load /nonexistent/libcurl.so.4' "$TMP/n.out"; then
		pass "$t"
	else
		fail "$t" "with: exit $rc $(tail -1 "$TMP/h.out"); without: exit $rc2 $(tail -1 "$TMP/n.out")"
	fi
else
	fail "directory repository without libcurl" "cannot make the repository (mkrepo.py, repo keygen, repo index)"
fi
