/* The metrics endpoint (metrics.h): values the run loop sets, read by
 * libmicrohttpd's thread when it answers /metrics, /healthz and /ready. Counters
 * are single 64-bit atomics (no lock on the run loop's path); names and the
 * chain's outcome are copied under a mutex, so a scrape never sees half of one. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "agent/chain.h"
#include "agent/event.h"
#include "agent/metrics.h"
#include "agent/microhttpd_dl.h"
#include "common/pk.h"

struct class_counter {
	char name[32];
	uint64_t n;
};

struct class_family {
	int nr;
	struct class_counter c[PK_METRICS_MAX_CLASSES];
};

struct cand_state {
	char name[48];
	const char *state;		/* pk_attempt_state__str: static strings */
	char stage[16];
};

struct pk_metrics {
	const struct pk_microhttpd *mhd;
	struct MHD_Daemon *daemon;
	int port;
	char addr[INET6_ADDRSTRLEN + 16];
	char version[64];
	int64_t start_time;
	uint32_t kinds;

	/* written by the run loop, read by the HTTP thread: __atomic loads/stores */
	int ready;
	uint64_t events[PK_EV_MAX];
	uint64_t drops[PK_EV_MAX];
	uint64_t lost;

	pthread_mutex_t lock;		/* what follows */
	bool chain_set;
	int nr_cands, winner;
	bool fallback;
	struct cand_state cands[PK_MAX_CANDIDATES];
	struct class_family download, verify;
};

/* ---- the exposition text ---- */

struct sb {
	char *buf;
	size_t len, cap;
	int err;
};

static void sb_grow(struct sb *b, size_t need)
{
	size_t cap = b->cap ? b->cap : 4096;
	char *p;

	while (cap < b->len + need + 1)
		cap *= 2;
	if (cap == b->cap)
		return;
	p = realloc(b->buf, cap);
	if (!p) {
		b->err = -ENOMEM;
		return;
	}
	b->buf = p;
	b->cap = cap;
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->err)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0) {
		b->err = -EINVAL;
		return;
	}
	sb_grow(b, n);
	if (b->err)
		return;
	va_start(ap, fmt);
	vsnprintf(b->buf + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += n;
}

/* a label value: the exposition format escapes backslash, quote and newline */
static void sb_label(struct sb *b, const char *s)
{
	for (; *s && !b->err; s++) {
		if (*s == '\\')
			sb_printf(b, "\\\\");
		else if (*s == '"')
			sb_printf(b, "\\\"");
		else if (*s == '\n')
			sb_printf(b, "\\n");
		else
			sb_printf(b, "%c", *s);
	}
}

static void sb_head(struct sb *b, const char *name, const char *type, const char *help)
{
	sb_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static uint64_t load64(const uint64_t *p)
{
	return __atomic_load_n(p, __ATOMIC_RELAXED);
}

static void format_classes(struct sb *b, const char *name, const char *help,
			   const struct class_family *f)
{
	sb_head(b, name, "counter", help);
	for (int i = 0; i < f->nr; i++)
		sb_printf(b, "%s{class=\"%s\"} %llu\n", name, f->c[i].name,
			  (unsigned long long)f->c[i].n);
}

char *pk_metrics__format(struct pk_metrics *m, size_t *len)
{
	struct sb b = { 0 };

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	sb_head(&b, "probekit_build_info", "gauge", "The agent's version.");
	sb_printf(&b, "probekit_build_info{version=\"");
	sb_label(&b, m->version);
	sb_printf(&b, "\"} 1\n");
	sb_head(&b, "probekit_start_time_seconds", "gauge",
		"When the agent started, in seconds since the Unix epoch.");
	sb_printf(&b, "probekit_start_time_seconds %lld\n", (long long)m->start_time);
	sb_head(&b, "probekit_ready", "gauge",
		"1 once a probe passed its self-check and events flow, 0 before and when stopping.");
	sb_printf(&b, "probekit_ready %d\n", __atomic_load_n(&m->ready, __ATOMIC_ACQUIRE));

	sb_head(&b, "probekit_events_total", "counter", "Events received from the probe, per kind.");
	for (int k = 1; k < PK_EV_MAX; k++)
		if (m->kinds & PK_KIND_BIT(k))
			sb_printf(&b, "probekit_events_total{kind=\"%s\"} %llu\n", pk_kind__str(k),
				  (unsigned long long)load64(&m->events[k]));
	sb_head(&b, "probekit_drops_total", "counter",
		"Events the probe dropped because the buffer was full, per kind.");
	for (int k = 1; k < PK_EV_MAX; k++)
		if (m->kinds & PK_KIND_BIT(k))
			sb_printf(&b, "probekit_drops_total{kind=\"%s\"} %llu\n", pk_kind__str(k),
				  (unsigned long long)load64(&m->drops[k]));
	sb_head(&b, "probekit_perf_lost_total", "counter",
		"Perf buffer records the kernel lost (0 with the ring buffer).");
	sb_printf(&b, "probekit_perf_lost_total %llu\n", (unsigned long long)load64(&m->lost));

	pthread_mutex_lock(&m->lock);
	sb_head(&b, "probekit_candidate_info", "gauge",
		"The candidate that loaded and passed the self-check (absent while none has).");
	if (m->chain_set && m->winner >= 0) {
		sb_printf(&b, "probekit_candidate_info{candidate=\"");
		sb_label(&b, m->cands[m->winner].name);
		sb_printf(&b, "\",index=\"%d\"} 1\n", m->winner);
	}
	sb_head(&b, "probekit_candidate_fallback", "gauge",
		"1 when a candidate before the winner was skipped or failed (the status's fallback).");
	if (m->chain_set && m->winner >= 0)
		sb_printf(&b, "probekit_candidate_fallback %d\n", m->fallback);
	sb_head(&b, "probekit_candidate_state", "gauge",
		"Each candidate of the chain in order, with its outcome (state, and stage when failed).");
	for (int i = 0; m->chain_set && i < m->nr_cands; i++) {
		sb_printf(&b, "probekit_candidate_state{candidate=\"");
		sb_label(&b, m->cands[i].name);
		sb_printf(&b, "\",index=\"%d\",state=\"%s\",stage=\"", i, m->cands[i].state);
		sb_label(&b, m->cands[i].stage);
		sb_printf(&b, "\"} 1\n");
	}
	format_classes(&b, "probekit_download_failures_total",
		       "Failed downloads from a repository, per reason class.", &m->download);
	format_classes(&b, "probekit_verification_failures_total",
		       "Downloaded or cached files that failed verification, per reason class.",
		       &m->verify);
	pthread_mutex_unlock(&m->lock);

	if (b.err) {
		free(b.buf);
		errno = -b.err;
		return NULL;
	}
	if (len)
		*len = b.len;
	return b.buf;
}

/* ---- the HTTP side (libmicrohttpd's thread) ---- */

static enum MHD_Result reply(struct pk_metrics *m, struct MHD_Connection *conn, unsigned int status,
			     const char *type, const char *body, size_t len, const char *allow)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = m->mhd->create_response_from_buffer(len, (void *)body, MHD_RESPMEM_MUST_COPY);
	if (!r)
		return MHD_NO;
	m->mhd->add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (allow)
		m->mhd->add_response_header(r, MHD_HTTP_HEADER_ALLOW, allow);
	ret = m->mhd->queue_response(conn, status, r);
	m->mhd->destroy_response(r);
	return ret;
}

#define TEXT "text/plain; charset=utf-8"
#define EXPOSITION "text/plain; version=0.0.4; charset=utf-8"

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
				  const char *method, const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	struct pk_metrics *m = cls;
	enum MHD_Result ret;

	/* every answer is final at the first call: a body sent with the request
	 * (only a non-GET has one) is not read, and the connection then closes */
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return reply(m, conn, MHD_HTTP_METHOD_NOT_ALLOWED, TEXT, "method not allowed\n", 19,
			     "GET, HEAD");
	if (!strcmp(url, "/metrics")) {
		size_t len;
		char *text = pk_metrics__format(m, &len);

		if (!text)
			return reply(m, conn, MHD_HTTP_INTERNAL_SERVER_ERROR, TEXT, "out of memory\n", 14,
				     NULL);
		ret = reply(m, conn, MHD_HTTP_OK, EXPOSITION, text, len, NULL);
		free(text);
		return ret;
	}
	if (!strcmp(url, "/healthz"))
		return reply(m, conn, MHD_HTTP_OK, TEXT, "ok\n", 3, NULL);
	if (!strcmp(url, "/ready")) {
		if (__atomic_load_n(&m->ready, __ATOMIC_ACQUIRE))
			return reply(m, conn, MHD_HTTP_OK, TEXT, "ready\n", 6, NULL);
		return reply(m, conn, MHD_HTTP_SERVICE_UNAVAILABLE, TEXT, "not ready\n", 10, NULL);
	}
	return reply(m, conn, MHD_HTTP_NOT_FOUND, TEXT, "not found\n", 10, NULL);
}

/* ---- start, stop ---- */

/* "HOST:PORT", "[V6]:PORT" or ":PORT" -> a socket address; any: no host given */
static int parse_addr(const char *addr, struct sockaddr_storage *ss, bool *any, struct pk_error *err)
{
	char host[64];
	const char *colon, *p;
	size_t hlen;
	unsigned long port = 0;

	memset(ss, 0, sizeof(*ss));
	*any = false;
	if (!addr || !*addr)
		return pk_error__set(err, -EINVAL, "invalid metrics address '': want HOST:PORT, [V6]:PORT or :PORT");
	if (addr[0] == '[') {
		const char *close = strchr(addr, ']');

		if (!close || close[1] != ':')
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': want [V6]:PORT", addr);
		hlen = close - addr - 1;
		if (hlen >= sizeof(host))
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': host too long", addr);
		memcpy(host, addr + 1, hlen);
		colon = close + 1;
	} else {
		colon = strrchr(addr, ':');
		if (!colon)
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': no port (HOST:PORT, or :PORT for every address)",
					     addr);
		hlen = colon - addr;
		if (memchr(addr, ':', hlen))
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': an IPv6 address goes in brackets ([::1]:9464)",
					     addr);
		if (hlen >= sizeof(host))
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': host too long", addr);
		memcpy(host, addr, hlen);
	}
	host[hlen] = 0;
	p = colon + 1;
	if (!*p)
		return pk_error__set(err, -EINVAL, "invalid metrics address '%s': no port", addr);
	for (; *p; p++) {
		if (*p < '0' || *p > '9' || port > 65535)
			break;
		port = port * 10 + (*p - '0');
	}
	if (*p || port > 65535)
		return pk_error__set(err, -EINVAL, "invalid metrics address '%s': port must be 0 to 65535",
				     addr);

	if (addr[0] == '[') {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': '%s' is not a numeric IPv6 address",
					     addr, host);
	} else if (!hlen) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		*any = true;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		s6->sin6_addr = in6addr_any;
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
			return pk_error__set(err, -EINVAL, "invalid metrics address '%s': '%s' is not a numeric IPv4 address (names are not resolved)",
					     addr, host);
	}
	return 0;
}

static int listen_socket(const struct sockaddr_storage *ss, bool dual)
{
	socklen_t sl = ss->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int fd, one = 1, v6only = !dual, e;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* a restarted agent takes its port back while old connections linger in
	 * TIME_WAIT; a live listener on it still gives EADDRINUSE */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    (ss->ss_family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only))) ||
	    bind(fd, (const struct sockaddr *)ss, sl) || listen(fd, 16)) {
		e = -errno;
		close(fd);
		return e;
	}
	return fd;
}

static void bound_addr(struct pk_metrics *m, int fd)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	char host[INET6_ADDRSTRLEN];

	if (getsockname(fd, (struct sockaddr *)&ss, &sl))
		return;
	if (ss.ss_family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, host, sizeof(host));
		m->port = ntohs(s6->sin6_port);
		snprintf(m->addr, sizeof(m->addr), "[%s]:%d", host, m->port);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;

		inet_ntop(AF_INET, &s4->sin_addr, host, sizeof(host));
		m->port = ntohs(s4->sin_port);
		snprintf(m->addr, sizeof(m->addr), "%s:%d", host, m->port);
	}
}

static void seed(struct class_family *f, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n && f->nr < PK_METRICS_MAX_CLASSES; i++)
		pk_strlcpy(f->c[f->nr++].name, names[i], sizeof(f->c[0].name));
}

int pk_metrics__start(const char *addr, const struct pk_metrics_opts *opts,
		      struct pk_metrics **out, struct pk_error *err)
{
	/* the outcomes of src/fetch/fetcher.c (pk_fetch_outcome__is_verification
	 * splits them): a body longer or shorter than listed is a verification
	 * failure, like a wrong digest */
	static const char *const download[] = { "not_found", "http", "timeout", "network", "error" };
	static const char *const verify[] = { "signature", "rollback", "expired", "size", "digest",
					      "index", "unverified" };
	struct sockaddr_storage ss;
	struct pk_metrics *m;
	sigset_t all, old;
	bool any;
	int fd, r;

	*out = NULL;
	if (!PK_OPTS_VALID(opts, struct pk_metrics_opts))
		return pk_error__set(err, -EINVAL, "invalid metrics options");
	r = parse_addr(addr, &ss, &any, err);
	if (r)
		return r;
	m = calloc(1, sizeof(*m));
	if (!m)
		return pk_error__set(err, -ENOMEM, "out of memory");
	pthread_mutex_init(&m->lock, NULL);
	m->winner = -1;
	pk_strlcpy(m->version, PK_OPTS_GET(opts, version, NULL) ?: "unknown", sizeof(m->version));
	m->start_time = PK_OPTS_GET(opts, start_time, 0) ?: (int64_t)time(NULL);
	m->kinds = PK_OPTS_GET(opts, kinds, 0) ?: ~0u;
	seed(&m->download, download, PK_ARRAY_SIZE(download));
	seed(&m->verify, verify, PK_ARRAY_SIZE(verify));

	m->mhd = pk_microhttpd__load(err);
	if (!m->mhd) {
		r = err ? err->code : -ELIBACC;
		goto fail;
	}
	fd = listen_socket(&ss, any);
	if (fd == -EAFNOSUPPORT && any) {	/* a kernel without IPv6: every IPv4 address */
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		in_port_t port = ((struct sockaddr_in6 *)&ss)->sin6_port;

		memset(&ss, 0, sizeof(ss));
		s4->sin_family = AF_INET;
		s4->sin_port = port;
		s4->sin_addr.s_addr = htonl(INADDR_ANY);
		fd = listen_socket(&ss, false);
	}
	if (fd < 0) {
		r = pk_error__set(err, fd, "cannot serve metrics on '%s': %s", addr, strerror(-fd));
		goto fail;
	}
	bound_addr(m, fd);
	/* We bind the socket ourselves and hand it over: MHD_start_daemon says only
	 * NULL when its own bind fails, and an operator needs "address in use". */
	/* The server's thread inherits this mask: with every signal blocked there,
	 * SIGTERM and SIGINT reach the agent's own thread and interrupt its waits. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	m->daemon = m->mhd->start_daemon(MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ITC, 0, NULL, NULL,
					 on_request, m,
					 MHD_OPTION_LISTEN_SOCKET, fd,
					 MHD_OPTION_CONNECTION_LIMIT, (unsigned int)32,
					 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)10,
					 MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (!m->daemon) {
		r = pk_error__set(err, -EIO, "cannot serve metrics on '%s': libmicrohttpd did not start", addr);
		/* whether a failed start closed the socket is not documented: close
		 * it unless it is gone already (nothing else runs yet to reuse the number) */
		if (fcntl(fd, F_GETFD) >= 0)
			close(fd);
		goto fail;
	}
	*out = m;
	return 0;
fail:
	pthread_mutex_destroy(&m->lock);
	free(m);
	return r;
}

void pk_metrics__stop(struct pk_metrics *m)
{
	if (!m)
		return;
	m->mhd->stop_daemon(m->daemon);	/* joins the thread, closes the socket */
	pthread_mutex_destroy(&m->lock);
	free(m);
}

int pk_metrics__port(const struct pk_metrics *m)
{
	return m ? m->port : -1;
}

const char *pk_metrics__addr(const struct pk_metrics *m)
{
	return m ? m->addr : "";
}

/* ---- setters (the agent's thread) ---- */

static void store_totals(uint64_t *dst, const uint64_t *src, int n)
{
	for (int k = 0; k < n && k < PK_EV_MAX; k++)
		__atomic_store_n(&dst[k], src[k], __ATOMIC_RELAXED);
}

void pk_metrics__set_events(struct pk_metrics *m, const uint64_t *events, int n)
{
	if (m)
		store_totals(m->events, events, n);
}

void pk_metrics__set_drops(struct pk_metrics *m, const uint64_t *drops, int n)
{
	if (m)
		store_totals(m->drops, drops, n);
}

void pk_metrics__set_lost(struct pk_metrics *m, uint64_t lost)
{
	if (m)
		__atomic_store_n(&m->lost, lost, __ATOMIC_RELAXED);
}

void pk_metrics__set_ready(struct pk_metrics *m, bool ready)
{
	if (m)
		__atomic_store_n(&m->ready, ready, __ATOMIC_RELEASE);
}

void pk_metrics__set_chain(struct pk_metrics *m, const struct pk_chain *ch)
{
	if (!m || !ch)
		return;
	pthread_mutex_lock(&m->lock);
	m->nr_cands = ch->n < PK_MAX_CANDIDATES ? ch->n : PK_MAX_CANDIDATES;
	m->winner = ch->winner < m->nr_cands ? ch->winner : -1;
	m->fallback = false;
	for (int i = 0; i < m->nr_cands; i++) {
		const struct pk_candidate *c = &ch->c[i];

		pk_strlcpy(m->cands[i].name, c->name, sizeof(m->cands[i].name));
		m->cands[i].state = pk_attempt_state__str(c->state);
		pk_strlcpy(m->cands[i].stage, c->state == PK_ATTEMPT_FAILED ? c->stage : "",
			   sizeof(m->cands[i].stage));
		if (i < m->winner &&
		    (c->state == PK_ATTEMPT_FAILED || c->state == PK_ATTEMPT_SKIPPED))
			m->fallback = true;
	}
	m->chain_set = true;
	pthread_mutex_unlock(&m->lock);
}

static bool class_ok(const char *s)
{
	size_t n = 0;

	if (!s)
		return false;
	for (; s[n]; n++)
		if (n >= 31 || !((s[n] >= 'a' && s[n] <= 'z') || (s[n] >= '0' && s[n] <= '9') ||
				 s[n] == '_'))
			return false;
	return n > 0;
}

static int find_class(const struct class_family *f, const char *name)
{
	for (int i = 0; i < f->nr; i++)
		if (!strcmp(f->c[i].name, name))
			return i;
	return -1;
}

static void add_class(struct pk_metrics *m, struct class_family *f, const char *name)
{
	int i;

	if (!class_ok(name))
		name = "other";
	pthread_mutex_lock(&m->lock);
	i = find_class(f, name);
	/* the last slot is kept for "other": a series never changes its class */
	if (i < 0 && f->nr >= PK_METRICS_MAX_CLASSES - 1) {
		name = "other";
		i = find_class(f, name);
	}
	if (i < 0) {
		i = f->nr++;
		pk_strlcpy(f->c[i].name, name, sizeof(f->c[i].name));
	}
	f->c[i].n++;
	pthread_mutex_unlock(&m->lock);
}

void pk_metrics__add_download_failure(struct pk_metrics *m, const char *class_)
{
	if (m)
		add_class(m, &m->download, class_);
}

void pk_metrics__add_verify_failure(struct pk_metrics *m, const char *class_)
{
	if (m)
		add_class(m, &m->verify, class_);
}
