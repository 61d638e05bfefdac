# A real nginx on loopback for tests (sourced): private config, prefix, pid, logs
# and temp dirs under one mktemp directory; touches nothing of the system's nginx.
#   nginx_start DIR [EXTRA_CONF_FILE]   serve DIR on 127.0.0.1:<free port>
#   nginx_stop                          stop it, remove its directory (trap-safe)
# After nginx_start: NGINX_URL=http://127.0.0.1:PORT, NGINX_PORT, NGINX_ACCESS_LOG
# (one line a request: addr [time] "request" status bytes conn=N "user agent"),
# NGINX_DIR (its private directory). EXTRA_CONF_FILE is included inside the
# server block: locations such as `location /e503 { return 503; }`.
# Static files get nginx's defaults: ETag, Last-Modified, 304 on a match.
# With NGINX_TLS=1 it also serves https on a second port with a fresh self-signed
# certificate for 127.0.0.1: NGINX_TLS_URL=https://127.0.0.1:PORT2 and
# NGINX_CA_FILE (the certificate, its own CA).
# Callers stop it from their EXIT trap, keeping tests/lib.sh's cleanup:
#   trap 'nginx_stop; rm -rf "$TMP"' EXIT

NGINX_BIN=${NGINX_BIN:-$(command -v nginx || echo /usr/sbin/nginx)}
NGINX_DIR=""
NGINX_PID=""

# nginx_start DIR [EXTRA_CONF_FILE]; 0 when it serves, else 1 with the reason on stderr
nginx_start() {
	local root extra port tls_port i
	root=$(cd "$1" && pwd) || { echo "nginx_start: no directory '$1'" >&2; return 1; }
	extra=${2:-}
	if [ -n "$extra" ]; then
		extra=$(cd "$(dirname "$extra")" && pwd)/$(basename "$extra") ||
			{ echo "nginx_start: no file '$2'" >&2; return 1; }
	fi
	[ -x "$NGINX_BIN" ] || { echo "nginx_start: no nginx (make deps installs nginx-light)" >&2; return 1; }
	NGINX_DIR=$(mktemp -d /tmp/pk-nginx.XXXXXX) || return 1
	mkdir -p "$NGINX_DIR/logs" "$NGINX_DIR/tmp"
	if [ "${NGINX_TLS:-0}" = 1 ]; then
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1 \
			-keyout "$NGINX_DIR/key.pem" -out "$NGINX_DIR/cert.pem" >"$NGINX_DIR/openssl.log" 2>&1 ||
			{ echo "nginx_start: openssl: $(tail -2 "$NGINX_DIR/openssl.log")" >&2; rm -rf "$NGINX_DIR"; NGINX_DIR=""; return 1; }
	fi
	# a random high port; a taken one makes nginx exit non-zero before it
	# daemonizes (it binds first), so trying again is reliable. nginx itself
	# retries a taken port for 2.5 s: a port someone listens on is skipped first.
	for i in $(seq 1 20); do
		port=$((20000 + RANDOM % 40000))
		tls_port=""
		[ "${NGINX_TLS:-0}" = 1 ] && tls_port=$((20000 + RANDOM % 40000))
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && continue
		[ -n "$tls_port" ] && (exec 3<>"/dev/tcp/127.0.0.1/$tls_port") 2>/dev/null && continue
		_nginx_conf "$root" "$extra" "$port" "$tls_port" >"$NGINX_DIR/nginx.conf"
		if "$NGINX_BIN" -p "$NGINX_DIR" -c "$NGINX_DIR/nginx.conf" -e "$NGINX_DIR/logs/error.log" \
			2>"$NGINX_DIR/start.log"; then
			NGINX_PORT=$port
			NGINX_URL=http://127.0.0.1:$port
			NGINX_ACCESS_LOG=$NGINX_DIR/logs/access.log
			export NGINX_URL NGINX_PORT NGINX_ACCESS_LOG NGINX_DIR
			if [ -n "$tls_port" ]; then
				NGINX_TLS_URL=https://127.0.0.1:$tls_port
				NGINX_CA_FILE=$NGINX_DIR/cert.pem
				export NGINX_TLS_URL NGINX_CA_FILE
			fi
			# the daemon writes its pid file just after the parent exits
			for i in $(seq 1 100); do
				[ -s "$NGINX_DIR/nginx.pid" ] && break
				sleep 0.05
			done
			NGINX_PID=$(cat "$NGINX_DIR/nginx.pid" 2>/dev/null)
			[ -n "$NGINX_PID" ] && return 0
			echo "nginx_start: no pid file" >&2
			nginx_stop
			return 1
		fi
		grep -q "Address already in use" "$NGINX_DIR/start.log" || break
	done
	echo "nginx_start: nginx did not start: $(tail -3 "$NGINX_DIR/start.log" | tr '\n' ' ')" >&2
	rm -rf "$NGINX_DIR"
	NGINX_DIR=""
	return 1
}

# ROOT EXTRA PORT [TLS_PORT] -> the config on stdout. One worker: requests are logged in the
# order they are served, so a test that waits for a marker request's log line
# knows every earlier line is written.
_nginx_conf() {
	cat <<EOF
daemon on;
master_process on;
worker_processes 1;
user root;
pid $NGINX_DIR/nginx.pid;
error_log $NGINX_DIR/logs/error.log warn;
events { worker_connections 64; }
http {
	include /etc/nginx/mime.types;
	default_type application/octet-stream;
	log_format pk '\$remote_addr [\$time_local] "\$request" \$status \$body_bytes_sent conn=\$connection "\$http_user_agent"';
	access_log $NGINX_DIR/logs/access.log pk;
	client_body_temp_path $NGINX_DIR/tmp/body;
	proxy_temp_path $NGINX_DIR/tmp/proxy;
	fastcgi_temp_path $NGINX_DIR/tmp/fastcgi;
	uwsgi_temp_path $NGINX_DIR/tmp/uwsgi;
	scgi_temp_path $NGINX_DIR/tmp/scgi;
	sendfile on;
	keepalive_timeout 30;
	server {
		listen 127.0.0.1:$3;
$( [ -n "$4" ] && printf '\t\tlisten 127.0.0.1:%s ssl;\n\t\tssl_certificate %s;\n\t\tssl_certificate_key %s;\n' "$4" "$NGINX_DIR/cert.pem" "$NGINX_DIR/key.pem" )
		server_name localhost;
		root $1;
		$( [ -n "$2" ] && echo "include $2;" )
	}
}
EOF
}

# stop nginx and remove its directory; safe to call twice, or when never started
nginx_stop() {
	local i
	if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -TERM "$NGINX_PID" 2>/dev/null
		for i in $(seq 1 100); do
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.05
		done
		kill -0 "$NGINX_PID" 2>/dev/null && kill -KILL "$NGINX_PID" 2>/dev/null
	fi
	NGINX_PID=""
	[ -n "$NGINX_DIR" ] && rm -rf "$NGINX_DIR"
	NGINX_DIR=""
	return 0
}
