/* The HTTP client every probekit download goes through (libcurl's easy interface,
 * one handle per pk_http so that connections are reused). Library code: returns
 * -errno with the URL in the error; it writes to stderr only for the progress line
 * a caller asked for (opts->progress), nowhere else.
 * libcurl is loaded with dlopen (common/dl.h), not linked, and only at the first
 * http(s) transfer: with its TLS, Kerberos, LDAP and SSH libraries it maps about
 * 5 MB and two dozen libraries, which a node agent that downloads nothing (no
 * repository, --offline from the cache) must not pay for at every start. file://
 * URLs are read by our own code below: a directory repository (an air-gapped node,
 * the verify guest's initramfs) works on a machine without libcurl at all. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* the calls go through the table below: no type-checking macros over them */
#define CURL_DISABLE_TYPECHECK
#include <curl/curl.h>
#include <sodium.h>

#include "common/dl.h"
#include "common/pk.h"
#include "common/sha256.h"
#include "fetch/http.h"

/* libcurl's functions, filled by dlopen; the names below call through them */
static struct {
	CURLcode (*global_init)(long);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *, CURLoption, ...);
	CURLcode (*easy_perform)(CURL *);
	CURLcode (*easy_getinfo)(CURL *, CURLINFO, ...);
	CURLHcode (*easy_header)(CURL *, const char *, size_t, unsigned int, int, struct curl_header **);
	void (*easy_reset)(CURL *);
	void (*easy_cleanup)(CURL *);
	const char *(*easy_strerror)(CURLcode);
	time_t (*getdate)(const char *, const time_t *);
	struct curl_slist *(*slist_append)(struct curl_slist *, const char *);
	void (*slist_free_all)(struct curl_slist *);
} cu;

#define SYM(field, sym) PK_DL_SYM(__typeof__(cu), field, sym)
static const struct pk_dl_sym cu_syms[] = {
	SYM(global_init, curl_global_init),
	SYM(easy_init, curl_easy_init),
	SYM(easy_setopt, curl_easy_setopt),
	SYM(easy_perform, curl_easy_perform),
	SYM(easy_getinfo, curl_easy_getinfo),
	SYM(easy_header, curl_easy_header),
	SYM(easy_reset, curl_easy_reset),
	SYM(easy_cleanup, curl_easy_cleanup),
	SYM(easy_strerror, curl_easy_strerror),
	SYM(getdate, curl_getdate),
	SYM(slist_append, curl_slist_append),
	SYM(slist_free_all, curl_slist_free_all),
};
#undef SYM

static struct pk_dl cu_dl = {
	.lib = "libcurl",
	.package = "libcurl4",
	.soname = "libcurl.so.4",
	.env = "PROBEKIT_LIBCURL",
	.kind = "libcurl 7.83 or later (curl_easy_header)",
	.syms = cu_syms,
	.nr_syms = PK_ARRAY_SIZE(cu_syms),
	.table = &cu,
	PK_DL_INIT,
};

#undef curl_easy_setopt
#undef curl_easy_getinfo
#define curl_global_init cu.global_init
#define curl_easy_init cu.easy_init
#define curl_easy_setopt cu.easy_setopt
#define curl_easy_perform cu.easy_perform
#define curl_easy_getinfo cu.easy_getinfo
#define curl_easy_header cu.easy_header
#define curl_easy_reset cu.easy_reset
#define curl_easy_cleanup cu.easy_cleanup
#define curl_easy_strerror cu.easy_strerror
#define curl_getdate cu.getdate
#define curl_slist_append cu.slist_append
#define curl_slist_free_all cu.slist_free_all

#define GET_MAX_DEFAULT (1ull << 30)
#define DOWNLOAD_MAX_DEFAULT (4ull << 30)
#define BACKOFF_MAX_MS 60000L
#define MAX_REDIRS 5L
/* a validator longer than this is not kept (ETags are short; this bounds the cache header) */
#define VALIDATOR_MAX 1024

struct pk_http {
	CURL *curl;
	char errbuf[CURL_ERROR_SIZE];
	char *cache_dir;
	char *ca_file;
	char *user_agent;
	long connect_timeout_ms, timeout_ms, low_speed_timeout_ms, backoff_ms;
	int retries;
	bool progress;
	struct pk_http_stats st;
};

/* curl_global_init is not thread-safe; neither is sodium_init before 1.0.x: each
 * once, sodium's at pk_http__new (file:// digests need it), curl's at its first use */
static pthread_once_t curl_once = PTHREAD_ONCE_INIT, sodium_once = PTHREAD_ONCE_INIT;
static int curl_err, sodium_err;

static void curl_init_once(void)
{
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		curl_err = -ENOMEM;
}

static void sodium_init_once(void)
{
	if (sodium_init() < 0)
		sodium_err = -EIO;
}

int pk_http__new(const struct pk_http_opts *opts, struct pk_http **out, struct pk_error *err)
{
	const char *cache_dir, *ca_file, *ua;
	struct pk_http *h;
	int rc;

	*out = NULL;
	if (!PK_OPTS_VALID(opts, struct pk_http_opts))
		return pk_error__set(err, -EINVAL, "http: invalid options");
	pthread_once(&sodium_once, sodium_init_once);
	if (sodium_err)
		return pk_error__set(err, sodium_err, "http: cannot initialise libsodium");
	h = calloc(1, sizeof(*h));
	if (!h)
		return pk_error__set(err, -ENOMEM, "http: out of memory");
	h->connect_timeout_ms = PK_OPTS_GET(opts, connect_timeout_ms, 0) ?: 10000;
	h->timeout_ms = PK_OPTS_GET(opts, timeout_ms, 0) ?: 300000;
	h->low_speed_timeout_ms = PK_OPTS_GET(opts, low_speed_timeout_ms, 0) ?: 30000;
	h->retries = PK_OPTS_GET(opts, retries, 0) ?: 3;
	if (h->retries < 0)
		h->retries = 0;
	h->backoff_ms = PK_OPTS_GET(opts, backoff_ms, 0) ?: 500;
	if (h->backoff_ms < 0)
		h->backoff_ms = 0;
	h->progress = PK_OPTS_GET(opts, progress, false);
	cache_dir = PK_OPTS_GET(opts, cache_dir, NULL);
	ca_file = PK_OPTS_GET(opts, ca_file, NULL);
	ua = PK_OPTS_GET(opts, user_agent, NULL);
	h->user_agent = strdup(ua ? ua : "probekit/" PK_VERSION);
	if (!h->user_agent || (cache_dir && !(h->cache_dir = strdup(cache_dir))) ||
	    (ca_file && !(h->ca_file = strdup(ca_file)))) {
		rc = pk_error__set(err, -ENOMEM, "http: out of memory");
		goto fail;
	}
	if (h->cache_dir && (rc = pk_file__mkdirs(h->cache_dir, true))) {
		pk_error__set(err, rc, "http: cannot create cache directory '%s': %s",
			      h->cache_dir, strerror(-rc));
		goto fail;
	}
	*out = h;
	return 0;
fail:
	pk_http__free(h);
	return rc;
}

/* libcurl and this pk_http's handle, at the first transfer that needs them: a
 * failure to load is this transfer's error, said as pk_dl__load says it */
static int curl_ready(struct pk_http *h, struct pk_error *err)
{
	int rc;

	if (h->curl)
		return 0;
	rc = pk_dl__load(&cu_dl, "downloading", err);
	if (rc)
		return rc;
	pthread_once(&curl_once, curl_init_once);
	if (curl_err)
		return pk_error__set(err, curl_err, "http: cannot initialise libcurl");
	h->curl = curl_easy_init();
	if (!h->curl)
		return pk_error__set(err, -ENOMEM, "http: curl_easy_init failed");
	return 0;
}

void pk_http__free(struct pk_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->cache_dir);
	free(h->ca_file);
	free(h->user_agent);
	free(h);
}

void pk_http_body__release(struct pk_http_body *b)
{
	if (!b)
		return;
	free(b->data);
	memset(b, 0, sizeof(*b));
}

void pk_http__stats(const struct pk_http *h, struct pk_http_stats *st)
{
	if (h)
		*st = h->st;
	else
		memset(st, 0, sizeof(*st));
}

/* ---- one transfer: where the body goes ---- */

struct sink {
	struct pk_http *h;
	uint64_t max;		/* more than this is -EFBIG, checked before anything is kept */
	uint64_t got;		/* body bytes kept in this attempt */
	int err;		/* why the write callback refused */
	int keep;		/* -1 undecided, 0 an error status's body (dropped), 1 kept */
	/* memory */
	char *buf;
	size_t cap;
	/* file */
	int fd;
	crypto_hash_sha256_state sha;
	/* progress */
	const char *label;
	double start_ms, last_ms;
	bool progress_shown;
};

static int sink_reset(struct sink *s)
{
	s->got = 0;
	s->err = 0;
	s->keep = -1;
	if (s->fd >= 0) {
		if (ftruncate(s->fd, 0) || lseek(s->fd, 0, SEEK_SET) < 0)
			return -errno;
		crypto_hash_sha256_init(&s->sha);
	}
	return 0;
}

static bool status_ok(long status)
{
	return status == 0 /* file:// */ || (status >= 200 && status < 300);
}

/* n body bytes kept (memory or file, with the digest), refused past the cap:
 * 0 or s->err */
static int sink_put(struct sink *s, const char *ptr, size_t n)
{
	if (n > s->max - s->got)
		return s->err = -EFBIG;
	if (s->fd >= 0) {
		const char *p = ptr;
		size_t left = n;

		while (left) {
			ssize_t w = write(s->fd, p, left);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0)
				return s->err = -errno;
			p += w;
			left -= w;
		}
		crypto_hash_sha256_update(&s->sha, (const unsigned char *)ptr, n);
	} else {
		if (s->got + n + 1 > s->cap) {
			/* doubling, never past the cap (+1 for the NUL) */
			uint64_t ncap = s->cap ? (uint64_t)s->cap * 2 : 16384;
			char *nb;

			if (ncap < s->got + n + 1)
				ncap = s->got + n + 1;
			if (ncap > s->max + 1)
				ncap = s->max + 1;
			if (ncap > SIZE_MAX || !(nb = realloc(s->buf, ncap)))
				return s->err = -ENOMEM;
			s->buf = nb;
			s->cap = ncap;
		}
		memcpy(s->buf + s->got, ptr, n);
	}
	s->got += n;
	s->h->st.bytes += n;
	return 0;
}

static size_t write_cb(char *ptr, size_t size, size_t nmemb, void *arg)
{
	struct sink *s = arg;
	size_t n = size * nmemb;

	if (s->keep < 0) {
		long status = 0;

		curl_easy_getinfo(s->h->curl, CURLINFO_RESPONSE_CODE, &status);
		s->keep = status_ok(status);
	}
	if (!s->keep)
		return n;	/* an error page: the status tells the story */
	return sink_put(s, ptr, n) ? 0 : n;	/* anything but n aborts the transfer */
}

static void human(char *out, size_t sz, double v)
{
	static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned i = 0;

	while (v >= 1024 && i + 1 < PK_ARRAY_SIZE(units)) {
		v /= 1024;
		i++;
	}
	snprintf(out, sz, i ? "%.1f %s" : "%.0f %s", v, units[i]);
}

/*
 * The progress line: the one place library code writes to stderr, and only when
 * the caller asked (opts->progress, which callers set from isatty(2)). One line,
 * rewritten with \r and cleared at the end, at most ten times a second.
 */
static int progress_cb(void *arg, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct sink *s = arg;
	double now = pk_now_ms();
	char got[32], total[32], rate[32];

	if (now - s->last_ms < 100)
		return 0;
	s->last_ms = now;
	human(got, sizeof(got), (double)dlnow);
	human(rate, sizeof(rate), now > s->start_ms ? dlnow * 1000.0 / (now - s->start_ms) : 0);
	if (dltotal > 0) {
		human(total, sizeof(total), (double)dltotal);
		fprintf(stderr, "\r\033[K%s  %s / %s  %s/s", s->label, got, total, rate);
	} else {
		fprintf(stderr, "\r\033[K%s  %s  %s/s", s->label, got, rate);
	}
	s->progress_shown = true;
	return 0;
}

static void progress_clear(struct sink *s)
{
	if (s->progress_shown)
		fprintf(stderr, "\r\033[K");
	s->progress_shown = false;
}

/* the URL's last path component, for the progress line */
static const char *url_label(const char *url, char *buf, size_t sz)
{
	size_t n = strcspn(url, "?#");
	const char *end = url + n, *p = end;

	while (p > url && p[-1] == '/' && p - 1 > url)
		p--, end--;
	while (p > url && p[-1] != '/')
		p--;
	n = end - p;
	if (!n)
		return url;
	if (n >= sz)
		n = sz - 1;
	memcpy(buf, p, n);
	buf[n] = 0;
	return buf;
}

/* what went wrong, as -errno, and whether trying again may help */
static int classify(struct pk_http *h, CURLcode rc, struct sink *s, bool *transient)
{
	long os_errno = 0;

	*transient = false;
	switch (rc) {
	case CURLE_WRITE_ERROR:
		return s->err ?: -EIO;
	case CURLE_FILESIZE_EXCEEDED:
		return -EFBIG;
	case CURLE_OPERATION_TIMEDOUT:
		*transient = true;
		return -ETIMEDOUT;
	case CURLE_COULDNT_CONNECT:
		/* not retried: nobody listening is rarely over in a second */
		curl_easy_getinfo(h->curl, CURLINFO_OS_ERRNO, &os_errno);
		if (os_errno == EHOSTUNREACH || os_errno == ENETUNREACH)
			return -EHOSTUNREACH;
		if (os_errno == ETIMEDOUT) {
			*transient = true;
			return -ETIMEDOUT;
		}
		return -ECONNREFUSED;
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_RESOLVE_PROXY:
		return -EHOSTUNREACH;
	case CURLE_GOT_NOTHING:	/* empty reply: the server closed without a word */
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		*transient = true;
		return -ECONNRESET;
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_WEIRD_SERVER_REPLY:
	case CURLE_BAD_CONTENT_ENCODING:
		return -EPROTO;
	case CURLE_TOO_MANY_REDIRECTS:
		return -ELOOP;
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return -EINVAL;
	case CURLE_FILE_COULDNT_READ_FILE:
		return -ENOENT;
	case CURLE_OUT_OF_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int status_errno(long status, bool *transient)
{
	*transient = status >= 500 && status < 600;
	if (status == 404 || status == 410)
		return -ENOENT;
	if (status == 401 || status == 403)
		return -EACCES;
	return -EIO;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* ---- file:// without libcurl ---- */

/* every file: URL is ours, the malformed ones too: none of them loads libcurl */
static bool is_file_url(const char *url)
{
	return !strncasecmp(url, "file:", 5);
}

/* the path, or -EINVAL/-ENAMETOOLONG with the reason alone in err */
static int file_path(const char *url, char *out, size_t sz, struct pk_error *err)
{
	const char *p, *host, *end;
	size_t o = 0;

	if (strncasecmp(url, "file://", 7))
		return pk_error__set(err, -EINVAL, "a file URL starts with file:// (file:///srv/repo)");
	host = url + 7;
	p = strchr(host, '/');
	/* libcurl's two forms on Linux; a host part would mean another machine */
	if (!p || !((p == host) || (p - host == 9 && !strncasecmp(host, "localhost", 9))))
		return pk_error__set(err, -EINVAL, "a file:// URL names a local absolute path, with no "
				     "host or localhost (file:///srv/repo, file://localhost/srv/repo)");
	/* the query and fragment are not part of the path (fetcher.c encodes '?' and '#') */
	end = p + strcspn(p, "?#");
	for (; p < end; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= ' ' || c == 0x7f)
			return pk_error__set(err, -EINVAL, "byte 0x%02x at %zu is not allowed in a URL "
					     "(percent-encode it)", c, (size_t)(p - url));
		if (c == '%') {
			int hi = pk_hex__digit((unsigned char)p[1]), lo = hi < 0 ? -1 : pk_hex__digit((unsigned char)p[2]);

			if (hi < 0 || lo < 0)
				return pk_error__set(err, -EINVAL, "a malformed escape at %zu (%%XX, two "
						     "hex digits)", (size_t)(p - url));
			c = (unsigned char)(hi << 4 | lo);
			if (!c)
				return pk_error__set(err, -EINVAL, "an escaped NUL byte (%%00)");
			p += 2;
		}
		if (o + 1 >= sz)
			return pk_error__set(err, -ENAMETOOLONG, "the path is too long");
		out[o++] = (char)c;
	}
	out[o] = 0;
	return 0;
}

int pk_http__file_path(const char *url, char *out, size_t sz, struct pk_error *err)
{
	int rc;

	if (!url || !out || !sz)
		return pk_error__set(err, -EINVAL, "file URL: invalid arguments");
	rc = file_path(url, out, sz, err);
	if (rc)
		pk_error__set(err, rc, "'%s': %s", url, pk_error__str(err));
	return rc;
}

/*
 * One file:// GET into the sink, as the libcurl path did it (status 0, one
 * request, no connection, never retried) and with its errno values, so callers
 * cannot tell: a file that cannot be opened for any reason is -ENOENT (libcurl's
 * CURLE_FILE_COULDNT_READ_FILE, permission denied included), more than the cap
 * -EFBIG before a byte is kept, a read error -EIO. Unlike libcurl, only a regular
 * file is read: a directory (which libcurl returned as an empty body) is -EISDIR,
 * a FIFO or a device -EINVAL; O_NONBLOCK so that opening a FIFO cannot hang.
 */
static int file_transfer(struct pk_http *h, const char *url, struct sink *s, long *status,
			 struct pk_error *err)
{
	char path[PATH_MAX], buf[65536];
	struct stat st;
	int fd, rc;

	*status = 0;
	h->st.requests++;
	rc = file_path(url, path, sizeof(path), err);
	if (rc)
		return pk_error__set(err, rc, "GET %s: %s", url, pk_error__str(err));
	rc = sink_reset(s);
	if (rc)
		return pk_error__set(err, rc, "GET %s: %s", url, strerror(-rc));
	s->keep = 1;
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return pk_error__set(err, -ENOENT, "GET %s: cannot open '%s': %s", url, path, strerror(errno));
	if (fstat(fd, &st)) {
		rc = pk_error__set(err, -EIO, "GET %s: stat '%s': %s", url, path, strerror(errno));
		goto done;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = pk_error__set(err, -EISDIR, "GET %s: '%s' is a directory, not a file", url, path);
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = pk_error__set(err, -EINVAL, "GET %s: '%s' is not a regular file", url, path);
		goto done;
	}
	if ((uint64_t)st.st_size > s->max) {
		rc = pk_error__set(err, -EFBIG, "GET %s: body larger than %" PRIu64 " bytes", url, s->max);
		goto done;
	}
	if (h->progress)
		s->start_ms = pk_now_ms(), s->last_ms = 0;
	/* to the end, not to st_size: a file that grows meanwhile still meets the cap */
	for (;;) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = pk_error__set(err, -EIO, "GET %s: read '%s': %s", url, path, strerror(errno));
			goto done;
		}
		if (!n)
			break;
		rc = sink_put(s, buf, (size_t)n);
		if (rc == -EFBIG) {
			pk_error__set(err, rc, "GET %s: body larger than %" PRIu64 " bytes", url, s->max);
			goto done;
		}
		if (rc) {
			pk_error__set(err, rc, "GET %s: cannot keep the body: %s", url, strerror(-rc));
			goto done;
		}
		if (h->progress)
			progress_cb(s, (curl_off_t)st.st_size, (curl_off_t)s->got, 0, 0);
	}
	rc = 0;
done:
	progress_clear(s);
	close(fd);
	return rc;
}

/*
 * One request with its retries. headers: extra request headers (validators) or
 * NULL; *status gets the final status (304 included: the caller decides). Returns
 * 0 when the exchange ended with 2xx or 304.
 */
static int transfer(struct pk_http *h, const char *url, struct curl_slist *headers,
		    struct sink *s, long *status, struct pk_error *err)
{
	int attempt, rc = 0;
	bool transient;
	char why[CURL_ERROR_SIZE + 64];

	*status = 0;
	if (is_file_url(url))
		return file_transfer(h, url, s, status, err);
	rc = curl_ready(h, err);
	if (rc)
		return rc;
	for (attempt = 0;; attempt++) {
		CURLcode cr;
		long redirects = 0, connects = 0;

		rc = sink_reset(s);
		if (rc)
			return pk_error__set(err, rc, "GET %s: %s", url, strerror(-rc));
		curl_easy_reset(h->curl);
		h->errbuf[0] = 0;
		curl_easy_setopt(h->curl, CURLOPT_URL, url);
		curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, h->errbuf);
		curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
		/* file:// never gets here (file_transfer) */
		curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
		/* a redirect never leads to a local file */
		curl_easy_setopt(h->curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
		curl_easy_setopt(h->curl, CURLOPT_FOLLOWLOCATION, 1L);
		curl_easy_setopt(h->curl, CURLOPT_MAXREDIRS, MAX_REDIRS);
		curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT_MS, h->connect_timeout_ms);
		curl_easy_setopt(h->curl, CURLOPT_TIMEOUT_MS, h->timeout_ms);
		curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1024L);
		curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME,
				 h->low_speed_timeout_ms >= 1000 ? h->low_speed_timeout_ms / 1000 : 1L);
		curl_easy_setopt(h->curl, CURLOPT_USERAGENT, h->user_agent);
		if (h->ca_file)
			curl_easy_setopt(h->curl, CURLOPT_CAINFO, h->ca_file);
		/* no CURLOPT_PROXY: libcurl takes http_proxy, https_proxy and no_proxy
		 * from the environment, which is what an operator expects */
		curl_easy_setopt(h->curl, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)s->max);
		curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, write_cb);
		curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, s);
		if (headers)
			curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
		if (h->progress) {
			s->start_ms = pk_now_ms();
			s->last_ms = 0;
			curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
			curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, progress_cb);
			curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, s);
		}

		cr = curl_easy_perform(h->curl);
		progress_clear(s);
		curl_easy_getinfo(h->curl, CURLINFO_REDIRECT_COUNT, &redirects);
		curl_easy_getinfo(h->curl, CURLINFO_NUM_CONNECTS, &connects);
		h->st.requests += 1 + redirects;
		h->st.connects += connects;
		if (cr == CURLE_OK) {
			curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
			if (status_ok(*status) || *status == 304)
				return 0;
			rc = status_errno(*status, &transient);
			snprintf(why, sizeof(why), "HTTP %ld", *status);
		} else {
			rc = classify(h, cr, s, &transient);
			/* Content-Length over the cap on an error page: the status is the news */
			if (cr == CURLE_FILESIZE_EXCEEDED) {
				curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, status);
				if (!status_ok(*status))
					rc = status_errno(*status, &transient);
			}
			if (rc != -EFBIG && cr == CURLE_FILESIZE_EXCEEDED)
				snprintf(why, sizeof(why), "HTTP %ld", *status);
			else if (cr == CURLE_WRITE_ERROR && s->err == -EFBIG)
				snprintf(why, sizeof(why), "body larger than %" PRIu64 " bytes", s->max);
			else if (cr == CURLE_FILESIZE_EXCEEDED)
				snprintf(why, sizeof(why), "body larger than %" PRIu64 " bytes (Content-Length)",
					 s->max);
			else if (cr == CURLE_WRITE_ERROR && s->err)
				snprintf(why, sizeof(why), "cannot keep the body: %s", strerror(-s->err));
			else if (cr == CURLE_COULDNT_CONNECT)	/* curl says "Couldn't connect" */
				snprintf(why, sizeof(why), "%s", strerror(-rc));
			else
				snprintf(why, sizeof(why), "%s", h->errbuf[0] ? h->errbuf : curl_easy_strerror(cr));
		}
		if (!transient || attempt >= h->retries)
			break;
		h->st.retries++;
		{
			long delay = h->backoff_ms;
			int i;

			for (i = 0; i < attempt && delay < BACKOFF_MAX_MS; i++)
				delay *= 2;
			if (delay > BACKOFF_MAX_MS)
				delay = BACKOFF_MAX_MS;
			/* tests/fetch/test_http.c changes the server on this line ("retrying") */
			pk_debug("http: GET %s: %s, retrying in %ld ms\n", url, why, delay);
			sleep_ms(delay);
		}
	}
	if (attempt)
		return pk_error__set(err, rc, "GET %s: %s (%d attempts)", url, why, attempt + 1);
	return pk_error__set(err, rc, "GET %s: %s", url, why);
}

/* ---- the validator cache ----
 *
 * One file per URL, <cache_dir>/<sha256 hex of the URL>, written whole with
 * pk_file__write_atomic, so that validators and body always travel together:
 *
 *   pkhttp-cache 1\n
 *   sha256 <hex of every byte after this line>\n
 *   url <url>\n
 *   etag <value>\n
 *   last-modified <value>\n
 *   length <decimal>\n
 *   \n
 *   <body>
 *
 * The digest is checked before anything else is believed; any mismatch, a wrong
 * URL, a short or long body: the entry is ignored and the GET is a full one.
 */
#define CACHE_MAGIC "pkhttp-cache 1\n"

struct centry {
	char *file;			/* the whole file (owned) */
	const char *etag, *lastmod;	/* NUL-terminated inside file, "" when none */
	const char *body;
	size_t body_len;
};

static void centry_free(struct centry *e)
{
	free(e->file);
	memset(e, 0, sizeof(*e));
}

static int cache_path(struct pk_http *h, const char *url, char *out, size_t sz)
{
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];

	crypto_hash_sha256(d, (const unsigned char *)url, strlen(url));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	if (snprintf(out, sz, "%s/%s", h->cache_dir, hex) >= (int)sz)
		return -ENAMETOOLONG;
	return 0;
}

/* next line of [*p, end) as a NUL-terminated string starting with key; NULL when not */
static char *cache_line(char **p, char *end, const char *key)
{
	size_t klen = strlen(key);
	char *nl = memchr(*p, '\n', end - *p);
	char *v;

	if (!nl || (size_t)(nl - *p) < klen || memcmp(*p, key, klen))
		return NULL;
	v = *p + klen;
	*nl = 0;
	*p = nl + 1;
	if (memchr(v, '\r', nl - v))
		return NULL;
	return v;
}

/* parse and check an entry in place; 0 or -EBADMSG (the caller then ignores it) */
static int cache_parse(char *data, size_t len, const char *url, struct centry *e)
{
	char *p = data, *end = data + len, *v, *digest_start, *ep;
	unsigned char want[crypto_hash_sha256_BYTES], got[crypto_hash_sha256_BYTES];
	size_t bin_len;
	unsigned long long n;

	if (len < sizeof(CACHE_MAGIC) - 1 || memcmp(p, CACHE_MAGIC, sizeof(CACHE_MAGIC) - 1))
		return -EBADMSG;
	p += sizeof(CACHE_MAGIC) - 1;
	v = cache_line(&p, end, "sha256 ");
	if (!v || strlen(v) != 2 * sizeof(want) ||
	    sodium_hex2bin(want, sizeof(want), v, strlen(v), NULL, &bin_len, NULL) ||
	    bin_len != sizeof(want))
		return -EBADMSG;
	digest_start = p;
	crypto_hash_sha256(got, (const unsigned char *)digest_start, end - digest_start);
	if (sodium_memcmp(got, want, sizeof(got)))
		return -EBADMSG;
	v = cache_line(&p, end, "url ");
	if (!v || strcmp(v, url))
		return -EBADMSG;
	if (!(e->etag = cache_line(&p, end, "etag ")) ||
	    !(e->lastmod = cache_line(&p, end, "last-modified ")) ||
	    !(v = cache_line(&p, end, "length ")))
		return -EBADMSG;
	if (*v < '0' || *v > '9')
		return -EBADMSG;
	errno = 0;
	n = strtoull(v, &ep, 10);
	if (errno || *ep)
		return -EBADMSG;
	if (p >= end || *p != '\n')
		return -EBADMSG;
	p++;
	if ((size_t)(end - p) != n)
		return -EBADMSG;
	if (!*e->etag && !*e->lastmod)
		return -EBADMSG;
	e->body = p;
	e->body_len = n;
	return 0;
}

static int cache_load(struct pk_http *h, const char *url, uint64_t max_bytes, struct centry *e)
{
	char path[PATH_MAX];
	size_t len, limit;
	int rc;

	memset(e, 0, sizeof(*e));
	rc = cache_path(h, url, path, sizeof(path));
	if (rc)
		return rc;
	/* the body and a header: the URL, two validators and a few short lines */
	limit = strlen(url) + 2 * VALIDATOR_MAX + 256;
	limit = max_bytes < SIZE_MAX / 2 - limit ? max_bytes + limit : SIZE_MAX / 2;
	rc = pk_file__read(path, &e->file, &len, limit);
	if (rc)
		return rc;
	rc = cache_parse(e->file, len, url, e);
	if (rc || e->body_len > max_bytes) {
		pk_debug("http: ignoring the cache entry of %s (%s)\n", url, path);
		centry_free(e);
		return -EBADMSG;
	}
	return 0;
}

/* a response header's value when it is usable as a validator, else NULL */
static const char *validator(struct pk_http *h, const char *name)
{
	struct curl_header *hd;

	if (curl_easy_header(h->curl, name, 0, CURLH_HEADER, -1, &hd) != CURLHE_OK)
		return NULL;
	if (!hd->value[0] || strlen(hd->value) > VALIDATOR_MAX || strpbrk(hd->value, "\r\n"))
		return NULL;
	return hd->value;
}

static void cache_store(struct pk_http *h, const char *url, const char *body, size_t len)
{
	const char *etag = validator(h, "ETag"), *lastmod = validator(h, "Last-Modified");
	time_t lm = lastmod ? curl_getdate(lastmod, NULL) : -1;

	/* a Last-Modified in the future (or unreadable) is not kept: sent back as
	 * If-Modified-Since it could make the server answer 304 for good */
	if (lastmod && (lm < 0 || lm > time(NULL) + 60))
		lastmod = NULL;
	char path[PATH_MAX], head[64 + 2 * VALIDATOR_MAX + PATH_MAX], *blob = NULL;
	unsigned char d[crypto_hash_sha256_BYTES];
	char hex[2 * crypto_hash_sha256_BYTES + 1];
	int hn, rc;
	size_t mlen = sizeof(CACHE_MAGIC) - 1, dlen = sizeof("sha256 \n") - 1 + 64, total;

	if (cache_path(h, url, path, sizeof(path)))
		return;
	if ((!etag && !lastmod) || strlen(url) >= PATH_MAX || strchr(url, '\n')) {
		unlink(path);	/* nothing to revalidate with: an old entry would only mislead */
		return;
	}
	hn = snprintf(head, sizeof(head), "url %s\netag %s\nlast-modified %s\nlength %zu\n\n", url,
		      etag ?: "", lastmod ?: "", len);
	if (hn < 0 || (size_t)hn >= sizeof(head))
		return;
	total = mlen + dlen + hn + len;
	blob = malloc(total);
	if (!blob) {
		pk_debug("http: no memory to cache %s\n", url);
		return;
	}
	memcpy(blob + mlen + dlen, head, hn);
	memcpy(blob + mlen + dlen + hn, body, len);
	crypto_hash_sha256(d, (unsigned char *)blob + mlen + dlen, hn + len);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	memcpy(blob, CACHE_MAGIC, mlen);
	snprintf(blob + mlen, dlen + 1, "sha256 %s\n", hex);	/* NUL lands on head[0]: rewrite */
	blob[mlen + dlen] = head[0];
	rc = pk_file__write_atomic(path, blob, total);
	if (rc)
		pk_debug("http: cannot write the cache entry %s: %s\n", path, strerror(-rc));
	free(blob);
}

/* ---- GET into memory ---- */

static bool is_http(const char *url)
{
	return !strncasecmp(url, "http://", 7) || !strncasecmp(url, "https://", 8);
}

int pk_http__get(struct pk_http *h, const char *url, const struct pk_http_get_opts *opts,
		 struct pk_http_body *out, struct pk_error *err)
{
	struct sink s = { .h = h, .fd = -1 };
	struct centry ce = { 0 };
	struct curl_slist *hdrs = NULL;
	char label[128], *line = NULL;
	bool conditional, have_cache = false;
	long status;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!h || !url || !PK_OPTS_VALID(opts, struct pk_http_get_opts))
		return pk_error__set(err, -EINVAL, "GET %s: invalid arguments", url ? url : "(null)");
	s.max = PK_OPTS_GET(opts, max_bytes, 0) ?: GET_MAX_DEFAULT;
	s.label = PK_OPTS_GET(opts, label, NULL) ?: url_label(url, label, sizeof(label));
	conditional = PK_OPTS_GET(opts, conditional, false) && h->cache_dir && is_http(url);
	/* the validators below are a curl_slist: libcurl first */
	if (conditional && (rc = curl_ready(h, err)))
		return rc;

	if (conditional && cache_load(h, url, s.max, &ce) == 0) {
		have_cache = true;
		if (*ce.etag) {
			if (asprintf(&line, "If-None-Match: %s", ce.etag) < 0 ||
			    !(hdrs = curl_slist_append(hdrs, line))) {
				rc = pk_error__set(err, -ENOMEM, "GET %s: out of memory", url);
				goto done;
			}
			free(line);
			line = NULL;
		}
		/* the ETag alone when there is one: a Last-Modified sent back can hold a
		 * server on 304 forever if a bad answer once carried a future date */
		if (*ce.lastmod && !*ce.etag) {
			struct curl_slist *n;

			if (asprintf(&line, "If-Modified-Since: %s", ce.lastmod) < 0 ||
			    !(n = curl_slist_append(hdrs, line))) {
				rc = pk_error__set(err, -ENOMEM, "GET %s: out of memory", url);
				goto done;
			}
			hdrs = n;
		}
	}

	rc = transfer(h, url, hdrs, &s, &status, err);
	if (rc)
		goto done;
	if (status == 304) {
		h->st.not_modified++;
		if (!have_cache) {
			rc = pk_error__set(err, -EPROTO, "GET %s: HTTP 304 to a request without validators", url);
			goto done;
		}
		/* the entry's own buffer becomes the body: no second copy */
		free(s.buf);
		memmove(ce.file, ce.body, ce.body_len);
		s.buf = ce.file;
		s.got = ce.body_len;
		ce.file = NULL;
		out->not_modified = true;
	} else if (!s.buf && !(s.buf = malloc(1))) {	/* an empty body is still a buffer */
		rc = pk_error__set(err, -ENOMEM, "GET %s: out of memory", url);
		goto done;
	} else if (conditional) {
		cache_store(h, url, s.buf, s.got);
	}
	s.buf[s.got] = 0;
	out->data = s.buf;
	out->len = s.got;
	out->status = status;
	s.buf = NULL;
done:
	free(s.buf);
	free(line);
	if (hdrs)	/* never called when libcurl is not loaded */
		curl_slist_free_all(hdrs);
	centry_free(&ce);
	return rc;
}

/* ---- GET into a file ---- */


static void fsync_dir_of(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (pk_strlcpy(dir, path, sizeof(dir)))
		return;
	slash = strrchr(dir, '/');
	if (!slash)
		strcpy(dir, ".");
	else if (slash == dir)
		dir[1] = 0;
	else
		*slash = 0;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

int pk_http__download(struct pk_http *h, const char *url, const char *path,
		      const struct pk_http_download_opts *opts, struct pk_error *err)
{
	struct sink s = { .h = h, .fd = -1 };
	char tmp[PATH_MAX], label[128];
	const char *want_sha;
	uint64_t size;
	long status;
	int rc;

	if (!h || !url || !path || !PK_OPTS_VALID(opts, struct pk_http_download_opts))
		return pk_error__set(err, -EINVAL, "GET %s: invalid arguments", url ? url : "(null)");
	size = PK_OPTS_GET(opts, size, 0);
	want_sha = PK_OPTS_GET(opts, sha256, NULL);
	if (want_sha && !pk_sha256__is_hex(want_sha))
		return pk_error__set(err, -EINVAL, "GET %s: '%s' is not a lower-case hex SHA256", url,
				     want_sha);
	s.max = size ?: (PK_OPTS_GET(opts, max_bytes, 0) ?: DOWNLOAD_MAX_DEFAULT);
	s.label = PK_OPTS_GET(opts, label, NULL) ?: url_label(url, label, sizeof(label));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return pk_error__set(err, -ENAMETOOLONG, "GET %s: '%s': name too long", url, path);
	/* same directory as path, so that the rename is atomic; O_EXCL: never another's file */
	s.fd = mkostemp(tmp, O_CLOEXEC);
	if (s.fd < 0)
		return pk_error__set(err, -errno, "GET %s: cannot create a temp file next to '%s': %s",
				     url, path, strerror(errno));
	if (fchmod(s.fd, 0644)) {
		rc = pk_error__set(err, -errno, "GET %s: chmod '%s': %s", url, tmp, strerror(errno));
		goto fail;
	}
	rc = transfer(h, url, NULL, &s, &status, err);
	if (rc)
		goto fail;
	if (status == 304) {	/* we sent no validators */
		rc = pk_error__set(err, -EPROTO, "GET %s: HTTP 304 to a request without validators", url);
		goto fail;
	}
	if (size && s.got != size) {
		rc = pk_error__set(err, -EBADMSG, "GET %s: %" PRIu64 " bytes, want %" PRIu64, url, s.got,
				   size);
		goto fail;
	}
	if (want_sha) {
		unsigned char d[crypto_hash_sha256_BYTES];
		char hex[2 * crypto_hash_sha256_BYTES + 1];

		crypto_hash_sha256_final(&s.sha, d);
		sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
		if (strcmp(hex, want_sha)) {
			rc = pk_error__set(err, -EBADMSG, "GET %s: SHA256 %s, want %s", url, hex, want_sha);
			goto fail;
		}
	}
	if (fsync(s.fd)) {
		rc = pk_error__set(err, -errno, "GET %s: fsync '%s': %s", url, tmp, strerror(errno));
		goto fail;
	}
	rc = close(s.fd);
	s.fd = -1;
	if (rc) {
		rc = pk_error__set(err, -errno, "GET %s: close '%s': %s", url, tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, path)) {
		rc = pk_error__set(err, -errno, "GET %s: rename to '%s': %s", url, path, strerror(errno));
		goto fail;
	}
	fsync_dir_of(path);
	return 0;
fail:
	if (s.fd >= 0)
		close(s.fd);
	unlink(tmp);
	return rc;
}
