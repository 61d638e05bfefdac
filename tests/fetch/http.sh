#!/usr/bin/env bash
# The HTTP client (src/fetch/http.c) against a real nginx on loopback: starts it
# with tests/lib/nginx.sh and runs $OUT/tests/fetch/test_http, which covers every
# case (its direct run by tests/run.sh only skips). No proxy of the caller's.
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
