#!/usr/bin/env bash
# index.html in a real browser: an index written here (three kernels, every kind, a
# failure whose reason holds a <script>), rendered by pk_index__write_html (through
# test_index --html), served by a real nginx and loaded in headless Chromium: with
# and without JavaScript, and with ?q= pre-filling the filter.
. "$(dirname "$0")/../lib.sh"
. "$(dirname "$0")/../lib/nginx.sh"
trap 'nginx_stop; rm -rf "$TMP"' EXIT

TOOL=$OUT/tests/repo/test_index
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
if [ -z "$CHROMIUM" ]; then
	skip "index.html in Chromium" "chromium is not installed (make deps installs it)"
	exit 0
fi
[ -x "$TOOL" ] || { fail "index.html" "$TOOL not built"; exit 1; }

PV=p0123456789abcde
REPO=$TMP/repo
mkdir -p "$REPO"
h() { printf '%064x' "$1"; }

# one artifact: path size sha kind pv target kernelrelease os_id version_id uname_r
art() {
	local pv=null
	[ "$5" != - ] && pv="\"$5\""
	cat <<EOF
    {"path": "$1", "size": $2, "sha256": "$(h "$3")", "kind": "$4", "probe_version": $pv,
     "kernel": {"target": "$6", "kernelrelease": "$7", "kernelversion": "1", "os_id": "$8",
                "version_id": "$9", "arch": "x86_64", "uname_r": "${10}"},
     "build": {"record": "_build/$PV/$6_$7.json", "compiler": null, "log_sha256": "$(h 99)",
               "seconds": 1.25, "inputs": [{"name": "linux-image-${10}", "version": "$7", "sha256": "$(h 7)"}]},
     "verification": {"state": "${11}", "kernel": null, "mode": null, "date": null, "reason": "${12}"}}
EOF
}

K1=6.1.153-1-amd64 U1=6.1.0-40-amd64
K2=5.10.218-1-cloud-amd64 U2=5.10.0-30-cloud-amd64
K3=6.12.57+deb13-amd64 U3=6.12.57+deb13-amd64
{
	echo '{"schema": "probekit-index/1", "version": 3, "generated": 1764300000, "expires": 1764904800,'
	echo ' "next_key": null, "artifacts": ['
	art "$PV/x86_64/probekit_debian_${K1}_1.o" 123456 1 legacy-object $PV debian $K1 debian 12 $U1 verified ""
	echo ,
	art "$PV/btf/debian/12/x86_64/$U1.btf" 1436 2 reduced-btf $PV debian $K1 debian 12 $U1 unverified ""
	echo ,
	art "btf/debian/12/x86_64/$U1.btf.tar.xz" 973196 3 full-btf - debian $K1 debian 12 $U1 unverified ""
	echo ,
	art "$PV/x86_64/probekit_debian_${K2}_1.o" 99999 4 legacy-object $PV debian $K2 debian 11 $U2 failed \
		'<script>document.title=\"pwned\"</script> & selftest failed'
	echo ,
	art "$PV/btf/debian/11/x86_64/$U2.btf" 1500 5 reduced-btf $PV debian $K2 debian 11 $U2 unverified ""
	echo ,
	art "btf/debian/13/x86_64/$U3.btf.tar.xz" 2000000 6 full-btf - debian $K3 debian 13 $U3 unverified ""
	echo '], "failures": [{"key": "debian:'$K3'", "kind": "legacy-object", "probe_version": "'$PV'",'
	echo '  "stage": "compile", "reason": "<script>window.pwned=1</script><img src=x onerror=alert(1)>",'
	echo '  "record": "_build/'$PV'/debian_'$K3'.json", "log_tail": "error: <b>x</b>\n"}]}'
} >"$REPO/index.json"

if ! "$TOOL" --html "$REPO/index.json" "$REPO/index.html" "probekit test repository" >"$TMP/tool.log" 2>&1; then
	fail "index.html written" "$(tail -3 "$TMP/tool.log")"
	exit 1
fi
pass "index.html written from an index of 6 artifacts and a failure"
# /nojs/ serves the same files with a policy that lets no script of the page run:
# headless Chromium's own switches for that (--disable-javascript is ignored by
# --headless=new, --blink-settings=scriptEnabled=false also stops --dump-dom)
# cannot give a DOM to check, a Content-Security-Policy can
cat >"$TMP/nojs.conf" <<EOF
location /nojs/ {
	alias $REPO/;
	add_header Content-Security-Policy "script-src 'none'" always;
}
EOF
if ! nginx_start "$REPO" "$TMP/nojs.conf" >"$TMP/nginx.log" 2>&1; then
	fail "nginx on loopback" "$(tail -3 "$TMP/nginx.log")"
	exit 1
fi

# dump URL OUT [chromium flags...]: the DOM after scripts ran (virtual time)
dump() {
	local url=$1 out=$2
	shift 2
	timeout 120 "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --disable-background-networking \
		--no-first-run --user-data-dir="$TMP/chromium" --virtual-time-budget=2000 "$@" \
		--dump-dom "$url" >"$out" 2>"$TMP/chromium.err"
}

# rows FILE: one line per table body row, "hidden|shown<TAB>text" (python's parser,
# not a regular expression over HTML)
rows() {
	python3 - "$1" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__(); self.body = False; self.row = None; self.out = []
    def handle_starttag(self, tag, attrs):
        if tag == "tbody": self.body = True
        if tag == "tr" and self.body: self.row = ["hidden" if "hidden" in dict(attrs) else "shown", ""]
    def handle_endtag(self, tag):
        if tag == "tbody": self.body = False
        if tag == "tr" and self.row: self.out.append(self.row); self.row = None
    def handle_data(self, d):
        if self.row: self.row[1] += d.replace("\n", " ").replace("\t", " ")
p = P(); p.feed(open(sys.argv[1], encoding="utf-8").read())
for state, text in p.out: print(state + "\t" + text)
EOF
}

paths=$(python3 -c 'import json,sys; print("\n".join(a["path"] for a in json.load(open(sys.argv[1]))["artifacts"]))' "$REPO/index.json")

# 1. with JavaScript, no filter: every artifact, every row shown, the script ran
if dump "$NGINX_URL/index.html" "$TMP/dom.html"; then
	missing=""
	for p in $paths; do grep -qF "$p" "$TMP/dom.html" || missing="$missing $p"; done
	rows "$TMP/dom.html" >"$TMP/rows"
	nrows=$(wc -l <"$TMP/rows")
	nhidden=$(grep -c '^hidden' "$TMP/rows")
	if [ -z "$missing" ] && [ "$nrows" = 7 ] && [ "$nhidden" = 0 ] && grep -q '<p id="filter">' "$TMP/dom.html"; then
		pass "Chromium with JavaScript: all 6 artifacts and the failure shown, filter box on"
	else
		fail "Chromium with JavaScript" "missing:$missing rows $nrows hidden $nhidden filter: $(grep -o '<p id="filter"[^>]*>' "$TMP/dom.html")"
	fi
	# the reasons' markup stayed text: no element from it, the page title untouched
	nscript=$(grep -o '<script' "$TMP/dom.html" | wc -l)
	if [ "$nscript" = 1 ] && ! grep -q '<img' "$TMP/dom.html" && grep -qF '&lt;script&gt;window.pwned=1&lt;/script&gt;' "$TMP/dom.html" &&
		grep -qF '&lt;script&gt;document.title="pwned"&lt;/script&gt; &amp; selftest failed' "$TMP/dom.html" &&
		grep -q '<title>probekit test repository</title>' "$TMP/dom.html"; then
		pass "escaping: <script> and <img> in reasons are text, not elements (1 script element, ours)"
	else
		fail "escaping" "$nscript script elements; $(grep -o '<script[^<]*' "$TMP/dom.html" | head -3 | tr '\n' ' ')"
	fi
else
	fail "Chromium with JavaScript" "exit $?: $(grep -v dbus "$TMP/chromium.err" | tail -3)"
fi

# 2. ?q=<a kernelrelease>: only that kernel's rows stay visible
for k in $K2 $K3; do
	# "+" in a query string means a space: encode it as a link would
	if dump "$NGINX_URL/index.html?q=${k//+/%2B}" "$TMP/q.html"; then
		rows "$TMP/q.html" >"$TMP/rows"
		shown=$(grep -c '^shown' "$TMP/rows")
		wrong=$(awk -F'\t' -v k="$k" '($1 == "shown") != (index($2, k) > 0)' "$TMP/rows" | head -2)
		value=$(grep -o '<input id="q"[^>]*>' "$TMP/q.html")
		if [ "$shown" -gt 0 ] && [ "$shown" -lt 7 ] && [ -z "$wrong" ]; then
			pass "?q=$k: $shown of 7 rows shown, exactly those of that kernel"
		else
			fail "?q=$k" "$shown shown; wrong rows: $wrong; input: $value"
		fi
	else
		fail "?q=$k" "chromium exit $?: $(grep -v dbus "$TMP/chromium.err" | tail -3)"
	fi
done

# 3. without JavaScript: a plain table, every row, nothing hidden, no filter box
if dump "$NGINX_URL/nojs/index.html?q=$K2" "$TMP/nojs.html"; then
	rows "$TMP/nojs.html" >"$TMP/rows"
	nrows=$(wc -l <"$TMP/rows")
	nhidden=$(grep -c '^hidden' "$TMP/rows")
	missing=""
	for p in $paths; do grep -qF "$p" "$TMP/nojs.html" || missing="$missing $p"; done
	if [ "$nrows" = 7 ] && [ "$nhidden" = 0 ] && [ -z "$missing" ] && grep -q '<p id="filter" hidden' "$TMP/nojs.html"; then
		pass "Chromium without JavaScript (and ?q=): all 7 rows shown, the useless filter box hidden"
	else
		fail "Chromium without JavaScript" "rows $nrows hidden $nhidden missing:$missing"
	fi
else
	fail "Chromium without JavaScript" "exit $?: $(grep -v dbus "$TMP/chromium.err" | tail -3)"
fi

# 4. self-contained: nginx served index.html and nothing else to the browser
others=$(grep -Ev 'GET /(nojs/)?index.html' "$NGINX_ACCESS_LOG" | grep -v '/favicon.ico' | head -3)
if [ -z "$others" ] && ! grep -Eq '(src|href)="(https?:)?//' "$REPO/index.html"; then
	pass "self-contained: no request but index.html (and the browser's favicon), no external URL"
else
	fail "self-contained" "$others"
fi
