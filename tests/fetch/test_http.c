/* The HTTP client against a real nginx on loopback, started by tests/fetch/http.sh
 * (which passes NGINX_URL, NGINX_ACCESS_LOG and PK_HTTP_ROOT, the served directory):
 * statuses and retries counted in nginx's access log, timeouts, the byte cap, the
 * validator cache and its corruption, downloads, redirects, file:// (read without
 * libcurl, which stays unmapped until the first http request), proxy, TLS with
 * ca_file (NGINX_TLS_URL, NGINX_CA_FILE), retries that recover, stats. */
#include <errno.h>
#include <stdarg.h>
#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "common/pk.h"
#include "fetch/http.h"
#include "unit.h"

static const char *url_base, *access_log, *root;
static char tmpdir[] = "/tmp/pk-test-http.XXXXXX";
static char *big;			/* the content of root/file */
#define BIG_LEN 100000

static char *url(const char *path)
{
	static char buf[8][1024];
	static int i;
	char *b = buf[i++ % 8];

	snprintf(b, sizeof(buf[0]), "%s%s", url_base, path);
	return b;
}

static int put(const char *dir, const char *name, const void *data, size_t len)
{
	char p[1024];

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return pk_file__write_atomic(p, data, len);
}

/* a plain write, no fsync: the mutation loop writes hundreds of these */
static int put_fast(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (!f)
		return -errno;
	rc = fwrite(data, 1, len, f) == len ? 0 : -EIO;
	if (fclose(f))
		rc = -EIO;
	return rc;
}

static struct pk_http *client(int retries, long timeout_ms, const char *cache, const char *ua)
{
	struct pk_http *h = NULL;
	struct pk_error e = { 0 };
	PK_HTTP_OPTS(o, .retries = retries, .backoff_ms = 1, .timeout_ms = timeout_ms,
		     .cache_dir = cache, .user_agent = ua);

	if (pk_http__new(&o, &h, &e))
		printf("pk_http__new: %s\n", pk_error__str(&e));
	return h;
}

/* lines of the access log containing needle */
static int log_count(const char *needle)
{
	char *d = NULL, *p;
	size_t len;
	int n = 0;

	if (pk_file__read(access_log, &d, &len, 64 << 20))
		return -1;
	for (p = d; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	free(d);
	return n;
}

/*
 * Wait until every request made so far is in the access log: nginx (one worker)
 * logs a request right after sending its answer, in order, so once a marker
 * request's line is there, every earlier one is. Not a timed assertion: the wait
 * only bounds a hang.
 */
static int settle(void)
{
	static int n;
	struct pk_http *h = client(-1, 5000, NULL, "settle");
	struct pk_http_body b;
	char path[64], needle[80];
	int i;

	snprintf(path, sizeof(path), "/settle-%d", ++n);
	snprintf(needle, sizeof(needle), "\"GET %s ", path);
	pk_http__get(h, url(path), NULL, &b, NULL);
	pk_http_body__release(&b);
	pk_http__free(h);
	for (i = 0; i < 500; i++) {
		if (log_count(needle) == 1)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* requests for exactly this path ("GET /x HTTP") since the start */
static int requests_for(const char *path)
{
	char needle[256];

	snprintf(needle, sizeof(needle), "\"GET %s HTTP/1.1\"", path);
	return log_count(needle);
}

static void test_200(void)
{
	const char *t = "GET 200: the body, NUL-terminated";
	struct pk_http *h = client(0, 0, NULL, NULL);
	struct pk_http_body b;
	struct pk_error e = { 0 };
	int rc;

	CHECK(t, h, "no client");
	rc = pk_http__get(h, url("/file"), NULL, &b, &e);
	CHECK(t, rc == 0, "rc %d: %s", rc, pk_error__str(&e));
	CHECK_INT(t, b.status, 200);
	CHECK_INT(t, b.len, BIG_LEN);
	CHECK(t, !memcmp(b.data, big, BIG_LEN) && ((char *)b.data)[BIG_LEN] == 0, "body differs");
	CHECK(t, !b.not_modified, "not_modified on a plain GET");
	pk_http_body__release(&b);
	pk_http__free(h);
	PASS(t);
}

/* path -> want errno after (retries + 1) requests, or 1 for no retry at all */
static void test_status(const char *t, const char *path, int want, int retries, int want_requests,
			const char *want_msg)
{
	struct pk_http *h = client(retries, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	char msg[1200];
	int before, rc;

	CHECK(t, h, "no client");
	CHECK(t, settle() == 0, "marker request never logged");
	before = requests_for(path);
	rc = pk_http__get(h, url(path), NULL, &b, &e);
	CHECK(t, rc == want, "rc %d (%s), want %d", rc, pk_error__str(&e), want);
	CHECK(t, !b.data, "a body on an error");
	snprintf(msg, sizeof(msg), want_msg, url(path));
	CHECK_STR(t, e.msg, msg);
	CHECK(t, settle() == 0, "marker request never logged");
	CHECK_INT(t, requests_for(path) - before, want_requests);
	pk_http__stats(h, &st);
	CHECK_INT(t, st.requests, want_requests);
	CHECK_INT(t, st.retries, want_requests - 1);
	pk_http__free(h);
	PASS(t);
}

static void test_refused(void)
{
	const char *t = "connection refused: -ECONNREFUSED, not retried";
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof(a);
	struct pk_http *h = client(3, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	char u[128];
	int s, rc;

	/* a port bound but never listened on: nobody answers, and nobody else takes it */
	s = socket(AF_INET, SOCK_STREAM, 0);
	CHECK(t, s >= 0 && !bind(s, (void *)&a, sizeof(a)) && !getsockname(s, (void *)&a, &al),
	      "cannot bind a port");
	snprintf(u, sizeof(u), "http://127.0.0.1:%d/x", ntohs(a.sin_port));
	rc = pk_http__get(h, u, NULL, &b, &e);
	close(s);
	CHECK(t, rc == -ECONNREFUSED, "rc %d: %s", rc, pk_error__str(&e));
	CHECK(t, strstr(e.msg, u) && strstr(e.msg, "Connection refused"), "message '%s'", e.msg);
	pk_http__stats(h, &st);
	CHECK_INT(t, st.retries, 0);
	pk_http__free(h);
	PASS(t);
}

static void test_timeouts(void)
{
	const char *t = "slow server: total timeout -> -ETIMEDOUT, retried";
	const char *t2 = "slow server: low-speed timeout -> -ETIMEDOUT";
	struct pk_http *h = client(1, 300, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	int rc;

	CHECK(t, h, "no client");
	rc = pk_http__get(h, url("/slow/file"), NULL, &b, &e);
	CHECK(t, rc == -ETIMEDOUT, "rc %d: %s", rc, pk_error__str(&e));
	CHECK(t, strstr(e.msg, url("/slow/file")) && strstr(e.msg, "(2 attempts)"), "message '%s'",
	      e.msg);
	pk_http__stats(h, &st);
	CHECK_INT(t, st.retries, 1);
	CHECK_INT(t, st.requests, 2);
	pk_http__free(h);
	PASS(t);

	{
		PK_HTTP_OPTS(o, .retries = -1, .low_speed_timeout_ms = 1000);

		h = NULL;
		rc = pk_http__new(&o, &h, &e);
		CHECK(t2, rc == 0, "new: %s", pk_error__str(&e));
		rc = pk_http__get(h, url("/slow/file"), NULL, &b, &e);
		CHECK(t2, rc == -ETIMEDOUT, "rc %d: %s", rc, pk_error__str(&e));
		pk_http__free(h);
		PASS(t2);
	}
}

static void test_cap(void)
{
	const char *t = "max_bytes: Content-Length over the cap -> -EFBIG";
	const char *t2 = "max_bytes: chunked body over the cap -> -EFBIG, no more than the cap kept";
	const char *t3 = "max_bytes: exactly the cap is accepted (both framings)";
	struct pk_http *h = client(0, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	PK_HTTP_GET_OPTS(go, .max_bytes = 1000);
	PK_HTTP_GET_OPTS(exact, .max_bytes = BIG_LEN);
	int rc;

	CHECK(t, h, "no client");
	rc = pk_http__get(h, url("/file"), &go, &b, &e);
	CHECK(t, rc == -EFBIG && !b.data, "rc %d: %s", rc, pk_error__str(&e));
	CHECK(t, strstr(e.msg, url("/file")), "message '%s'", e.msg);
	PASS(t);

	rc = pk_http__get(h, url("/chunked/file"), &go, &b, &e);
	CHECK(t2, rc == -EFBIG && !b.data, "rc %d: %s", rc, pk_error__str(&e));
	pk_http__stats(h, &st);
	CHECK(t2, st.bytes <= 1000, "%llu bytes kept", (unsigned long long)st.bytes);
	PASS(t2);

	/* an error page larger than the cap still reports its status */
	{
		PK_HTTP_GET_OPTS(tiny, .max_bytes = 10);

		rc = pk_http__get(h, url("/nothing-here"), &tiny, &b, &e);
		CHECK(t3, rc == -ENOENT, "404 page over the cap: rc %d: %s", rc, pk_error__str(&e));
	}
	rc = pk_http__get(h, url("/file"), &exact, &b, &e);
	CHECK(t3, rc == 0 && b.len == BIG_LEN, "rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	rc = pk_http__get(h, url("/chunked/file"), &exact, &b, &e);
	CHECK(t3, rc == 0 && b.len == BIG_LEN && !memcmp(b.data, big, BIG_LEN), "rc %d: %s", rc,
	      pk_error__str(&e));
	pk_http_body__release(&b);
	pk_http__free(h);
	PASS(t3);
}

static int cache_file(const char *cache, const char *u, char *out, size_t sz)
{
	unsigned char d[32];
	char hex[65];

	crypto_hash_sha256(d, (const unsigned char *)u, strlen(u));
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	return snprintf(out, sz, "%s/%s", cache, hex) >= (int)sz ? -1 : 0;
}

static void set_mtime(const char *name, time_t t)
{
	char p[1024];
	struct timespec ts[2] = { { t, 0 }, { t, 0 } };

	snprintf(p, sizeof(p), "%s/%s", root, name);
	utimensat(AT_FDCWD, p, ts, 0);
}

static void test_conditional(void)
{
	const char *t = "conditional: 200, then 304 with the cached body";
	const char *t2 = "conditional: changed on the server -> 200 with the new body";
	const char *t3 = "conditional: truncations and byte flips of the entry -> a full GET";
	const char *t4 = "conditional: not asked -> no validators sent";
	char cache[1024], entry[1200], *orig = NULL;
	struct pk_http *h;
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	PK_HTTP_GET_OPTS(c, .conditional = true);
	size_t olen, i, tried;
	int rc, n200, n304;

	snprintf(cache, sizeof(cache), "%s/cache/sub", tmpdir);	/* created by pk_http__new */
	h = client(0, 5000, cache, NULL);
	CHECK(t, h, "no client");
	put(root, "cond", "first version\n", 14);
	set_mtime("cond", time(NULL) - 1000);
	rc = pk_http__get(h, url("/cond"), &c, &b, &e);
	CHECK(t, rc == 0 && b.status == 200 && !b.not_modified, "rc %d status %ld: %s", rc, b.status,
	      pk_error__str(&e));
	pk_http_body__release(&b);
	rc = pk_http__get(h, url("/cond"), &c, &b, &e);
	CHECK(t, rc == 0 && b.status == 304 && b.not_modified, "rc %d status %ld: %s", rc, b.status,
	      pk_error__str(&e));
	CHECK(t, b.len == 14 && !memcmp(b.data, "first version\n", 15), "cached body differs");
	pk_http_body__release(&b);
	CHECK(t, settle() == 0, "marker request never logged");
	CHECK_INT(t, log_count("\"GET /cond HTTP/1.1\" 304"), 1);
	pk_http__stats(h, &st);
	CHECK_INT(t, st.not_modified, 1);
	PASS(t);

	/* new content and a new mtime: ETag and Last-Modified both change */
	put(root, "cond", "second version, longer\n", 23);
	set_mtime("cond", time(NULL) - 500);
	rc = pk_http__get(h, url("/cond"), &c, &b, &e);
	CHECK(t2, rc == 0 && b.status == 200 && !b.not_modified, "rc %d status %ld", rc, b.status);
	CHECK(t2, b.len == 23 && !memcmp(b.data, "second version, longer\n", 23), "body differs");
	pk_http_body__release(&b);
	rc = pk_http__get(h, url("/cond"), &c, &b, &e);
	CHECK(t2, rc == 0 && b.not_modified && b.len == 23, "rc %d, not the new body from the cache", rc);
	pk_http_body__release(&b);
	PASS(t2);

	CHECK(t3, !cache_file(cache, url("/cond"), entry, sizeof(entry)), "path");
	CHECK(t3, !pk_file__read(entry, &orig, &olen, 1 << 20), "no cache entry at %s", entry);
	CHECK(t3, settle() == 0, "marker request never logged");
	n200 = log_count("\"GET /cond HTTP/1.1\" 200");
	n304 = log_count("\"GET /cond HTTP/1.1\" 304");
	/* every byte of the magic and digest lines, every line boundary, and a
	 * sample of the rest (one digest covers it all: each fsync'd rewrite costs) */
	for (i = 0, tried = 0; i < 2 * olen; i++) {
		bool flip = i >= olen;
		size_t at = flip ? i - olen : i;

		if (!(at < 90 || at % 4 == 0 || orig[at] == '\n' || (at && orig[at - 1] == '\n') ||
		      at + 2 >= olen))
			continue;
		tried++;
		if (flip)
			orig[at] ^= 1;
		rc = put_fast(entry, orig, flip ? olen : at);
		if (flip)
			orig[at] ^= 1;
		CHECK(t3, rc == 0, "write entry");
		rc = pk_http__get(h, url("/cond"), &c, &b, &e);
		CHECK(t3, rc == 0 && !b.not_modified && b.status == 200, "%s at %zu: rc %d status %ld",
		      flip ? "flip" : "truncation", at, rc, b.status);
		CHECK(t3, b.len == 23 && !memcmp(b.data, "second version, longer\n", 23),
		      "%s at %zu: body differs", flip ? "flip" : "truncation", at);
		pk_http_body__release(&b);
	}
	/* the last full GET rewrote a good entry */
	rc = pk_http__get(h, url("/cond"), &c, &b, &e);
	CHECK(t3, rc == 0 && b.not_modified && b.len == 23, "rc %d: entry not rewritten", rc);
	pk_http_body__release(&b);
	CHECK(t3, settle() == 0, "marker request never logged");
	CHECK_INT(t3, log_count("\"GET /cond HTTP/1.1\" 200") - n200, tried);
	CHECK_INT(t3, log_count("\"GET /cond HTTP/1.1\" 304") - n304, 1);
	free(orig);
	PASS(t3);

	CHECK(t4, settle() == 0, "marker request never logged");
	n304 = log_count("\"GET /cond HTTP/1.1\" 304");
	rc = pk_http__get(h, url("/cond"), NULL, &b, &e);
	CHECK(t4, rc == 0 && b.status == 200 && !b.not_modified, "rc %d status %ld", rc, b.status);
	pk_http_body__release(&b);
	CHECK(t4, settle() == 0, "marker request never logged");
	CHECK_INT(t4, log_count("\"GET /cond HTTP/1.1\" 304") - n304, 0);
	pk_http__free(h);
	PASS(t4);
}

/* the directory's entries, as "a b c" */
static void listing(const char *dir, char *out, size_t sz)
{
	DIR *d = opendir(dir);
	struct dirent *de;

	out[0] = 0;
	while (d && (de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if (out[0])
			strncat(out, " ", sz - strlen(out) - 1);
		strncat(out, de->d_name, sz - strlen(out) - 1);
	}
	if (d)
		closedir(d);
}

static void test_download(void)
{
	const char *t = "download: good sha256 -> the file in place, nothing else";
	const char *t2 = "download: every failure leaves nothing behind";
	char dir[1024], path[1100], ls[4096], sha[65], bad[65], *got = NULL;
	unsigned char d[32];
	struct pk_http *h = client(1, 5000, NULL, NULL);
	struct pk_error e = { 0 };
	size_t len;
	int rc;

	CHECK(t, h, "no client");
	crypto_hash_sha256(d, (unsigned char *)big, BIG_LEN);
	sodium_bin2hex(sha, sizeof(sha), d, sizeof(d));
	snprintf(dir, sizeof(dir), "%s/dl", tmpdir);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	{
		PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = sha, .size = BIG_LEN, .label = "out.bin");

		rc = pk_http__download(h, url("/file"), path, &o, &e);
		CHECK(t, rc == 0, "rc %d: %s", rc, pk_error__str(&e));
		CHECK(t, !pk_file__read(path, &got, &len, 1 << 20) && len == BIG_LEN &&
				 !memcmp(got, big, BIG_LEN), "content differs");
		free(got);
		listing(dir, ls, sizeof(ls));
		CHECK_STR(t, ls, "out.bin");
		unlink(path);
	}
	{
		/* chunked (no Content-Length) and file:// stream through the same path */
		PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = sha);
		char fu[1200];

		rc = pk_http__download(h, url("/chunked/file"), path, &o, &e);
		CHECK(t, rc == 0, "chunked: rc %d: %s", rc, pk_error__str(&e));
		unlink(path);
		snprintf(fu, sizeof(fu), "file://%s/file", root);
		rc = pk_http__download(h, fu, path, &o, &e);
		CHECK(t, rc == 0, "file://: rc %d: %s", rc, pk_error__str(&e));
		unlink(path);
	}
	PASS(t);

	memcpy(bad, sha, sizeof(bad));
	bad[0] = bad[0] == '0' ? '1' : '0';
	{
		struct {
			const char *what, *path, *sha;
			uint64_t size, max;
			int want;
		} cases[] = {
			{ "wrong sha256", "/file", bad, 0, 0, -EBADMSG },
			{ "size one less", "/file", NULL, BIG_LEN - 1, 0, -EFBIG },
			{ "size one less, chunked", "/chunked/file", NULL, BIG_LEN - 1, 0, -EFBIG },
			{ "size one more", "/file", NULL, BIG_LEN + 1, 0, -EBADMSG },
			{ "max_bytes", "/chunked/file", NULL, 0, 4096, -EFBIG },
			{ "404", "/nothing-here", NULL, 0, 0, -ENOENT },
			{ "503", "/e503", NULL, 0, 0, -EIO },
			{ "reset", "/reset", NULL, 0, 0, -ECONNRESET },
			{ "bad sha256 argument", "/file", "ABC", 0, 0, -EINVAL },
		};
		size_t i;

		for (i = 0; i < PK_ARRAY_SIZE(cases); i++) {
			PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = cases[i].sha, .size = cases[i].size,
					      .max_bytes = cases[i].max);

			rc = pk_http__download(h, url(cases[i].path), path, &o, &e);
			CHECK(t2, rc == cases[i].want, "%s: rc %d, want %d: %s", cases[i].what, rc,
			      cases[i].want, pk_error__str(&e));
			CHECK(t2, strstr(e.msg, url(cases[i].path)), "%s: message '%s'", cases[i].what, e.msg);
			listing(dir, ls, sizeof(ls));
			CHECK(t2, !ls[0], "%s: left '%s'", cases[i].what, ls);
		}
	}
	/* a failed download does not touch a file already there */
	CHECK(t2, put(dir, "out.bin", "old", 3) == 0, "write");
	{
		PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = bad);

		rc = pk_http__download(h, url("/file"), path, &o, &e);
		CHECK(t2, rc == -EBADMSG && !pk_file__read(path, &got, &len, 100) && len == 3,
		      "the old file changed");
		free(got);
		listing(dir, ls, sizeof(ls));
		CHECK_STR(t2, ls, "out.bin");
	}
	pk_http__free(h);
	PASS(t2);
}

/* a local path as a file:// URL, the reserved bytes encoded as fetcher.c does */
static void file_url(char *out, size_t sz, const char *host, const char *dir, const char *name)
{
	char path[1024];
	size_t o;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	o = (size_t)snprintf(out, sz, "file://%s", host);
	for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < sz; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("._~/-+", *p))
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, sz - o, "%%%02X", *p);
	}
	out[o] = 0;
}

/* whether libcurl is mapped into this process (this binary does not link it) */
static int curl_mapped(void)
{
	char *d = NULL;
	size_t len;
	int found;

	if (pk_file__read("/proc/self/maps", &d, &len, 16 << 20))
		return -1;
	found = strstr(d, "libcurl") != NULL;
	free(d);
	return found;
}

/* GET url as another user (nobody when we are root): rc, and err's message */
static int get_as_nobody(const char *url, char *msg, size_t sz)
{
	int fds[2], status;
	pid_t pid;
	ssize_t n;

	if (pipe(fds))
		return -errno;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (!pid) {
		struct pk_http *h = NULL;
		struct pk_http_body b;
		struct pk_error e = { 0 };
		int rc;

		close(fds[0]);
		if (geteuid() == 0 && (setgroups(0, NULL) || setgid(65534) || setuid(65534)))
			_exit(100);
		rc = pk_http__new(NULL, &h, &e) ?: pk_http__get(h, url, NULL, &b, &e);
		if (write(fds[1], e.msg, strlen(e.msg)) < 0)
			_exit(101);
		_exit(-rc & 0x7f);
	}
	close(fds[1]);
	n = read(fds[0], msg, sz - 1);
	msg[n > 0 ? n : 0] = 0;
	close(fds[0]);
	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -ECHILD;
	return -WEXITSTATUS(status);
}

/*
 * file:// read by our own code: run first, before anything in this process makes
 * an http request, so that /proc/self/maps then shows no libcurl at all; one http
 * request afterwards still works (libcurl loaded on demand) and maps it, which
 * shows the check can fail.
 */
static void test_file_without_curl(void)
{
	const char *t = "file:// without libcurl: bodies, errors with libcurl's errno values, no libcurl mapped";
	const char *t2 = "file:// downloads without libcurl: digest, size, nothing left on failure";
	const char *t3 = "an http request after file:// ones loads libcurl and works";
	struct pk_http *h = client(0, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	char u[1200], sub[1024], dir[1100], path[1200], ls[256], msg[512], *got = NULL;
	size_t i, len;
	int rc, calls = 0;

	CHECK(t, h, "no client");
	CHECK(t, curl_mapped() == 0, "libcurl mapped before any request (maps: %d)", curl_mapped());
	snprintf(sub, sizeof(sub), "%s/a dir%%#?", root);
	CHECK(t, (mkdir(sub, 0755) == 0 || errno == EEXIST) && put(sub, "f b", "spaced\n", 7) == 0,
	      "cannot write into '%s'", sub);

	/* found: the body, status 0, counted as one request and no connection */
	file_url(u, sizeof(u), "", root, "small");
	rc = pk_http__get(h, u, NULL, &b, &e);
	calls++;
	CHECK(t, rc == 0 && b.len == 6 && !memcmp(b.data, "small\n", 7) && b.status == 0,
	      "found: rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	/* the localhost form, a percent-encoded space (and %, #, ? in the directory) */
	file_url(u, sizeof(u), "localhost", root, "small");
	rc = pk_http__get(h, u, NULL, &b, &e);
	calls++;
	CHECK(t, rc == 0 && b.len == 6, "localhost: rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	file_url(u, sizeof(u), "", sub, "f b");
	CHECK(t, strstr(u, "a%20dir%25%23%3F/f%20b"), "encoded as '%s'", u);
	rc = pk_http__get(h, u, NULL, &b, &e);
	calls++;
	CHECK(t, rc == 0 && b.len == 7 && !memcmp(b.data, "spaced\n", 7), "%%20: rc %d: %s", rc,
	      pk_error__str(&e));
	pk_http_body__release(&b);
	pk_http__stats(h, &st);
	CHECK(t, st.requests == 3 && st.bytes == 19 && st.connects == 0 && st.retries == 0,
	      "stats: %" PRIu64 " requests, %" PRIu64 " bytes, %" PRIu64 " connects", st.requests,
	      st.bytes, st.connects);

	{
		/* each refused with the errno libcurl gave (a directory and a FIFO: libcurl
		 * read them, an empty body or a hang; now a clear error) */
		struct {
			const char *what, *host, *name;
			uint64_t max;
			int want;
			const char *words;
		} cases[] = {
			{ "missing", "", "missing", 0, -ENOENT, "No such file or directory" },
			{ "too large", "", "file", 1000, -EFBIG, "body larger than 1000 bytes" },
			{ "one byte over", "", "file", BIG_LEN - 1, -EFBIG, "body larger than 99999 bytes" },
			{ "a directory", "", "a dir%#?", 0, -EISDIR, "is a directory" },
			{ "a FIFO", "", "fifo", 0, -EINVAL, "not a regular file" },
			{ "another host", "otherhost", "small", 0, -EINVAL, "local absolute path" },
		};

		CHECK(t, mkfifo(strcat(strcpy(path, root), "/fifo"), 0644) == 0 || errno == EEXIST,
		      "mkfifo: %s", strerror(errno));
		for (i = 0; i < PK_ARRAY_SIZE(cases); i++) {
			PK_HTTP_GET_OPTS(go, .max_bytes = cases[i].max);

			file_url(u, sizeof(u), cases[i].host, root, cases[i].name);
			rc = pk_http__get(h, u, &go, &b, &e);
			calls++;
			CHECK(t, rc == cases[i].want && !b.data && strstr(e.msg, u) &&
					 strstr(e.msg, cases[i].words),
			      "%s: rc %d, want %d: %s", cases[i].what, rc, cases[i].want, e.msg);
		}
		unlink(path);
	}
	{
		/* URLs refused before anything is opened */
		static const char *const bad[] = {
			"/small%GG", "/small%4", "/small%", "/sm%00all", "/sm all", "/sm\tall",
		};
		char good[1200];

		for (i = 0; i < PK_ARRAY_SIZE(bad); i++) {
			snprintf(u, sizeof(u), "file://%s%s", root, bad[i]);
			rc = pk_http__get(h, u, NULL, &b, &e);
			calls++;
			CHECK(t, rc == -EINVAL && strstr(e.msg, u), "'%s': rc %d: %s", bad[i], rc, e.msg);
		}
		snprintf(u, sizeof(u), "file:%s/small", root);
		rc = pk_http__get(h, u, NULL, &b, &e);
		calls++;
		CHECK(t, rc == -EINVAL && strstr(e.msg, "file://"), "file:/path: rc %d: %s", rc, e.msg);
		/* the public decoder says the same, and %2F is a slash like any byte */
		CHECK(t, pk_http__file_path("file:///a%2Fb%20c?q#f", good, sizeof(good), &e) == 0 &&
				 !strcmp(good, "/a/b c"), "decoded '%s': %s", good, e.msg);
		CHECK(t, pk_http__file_path("file:///a%0", good, sizeof(good), &e) == -EINVAL &&
				 strstr(e.msg, "malformed escape"), "%s", e.msg);
		CHECK(t, pk_http__file_path("file:///a%00", good, sizeof(good), &e) == -EINVAL &&
				 strstr(e.msg, "%00"), "%s", e.msg);
		CHECK(t, pk_http__file_path("file:///abcdef", good, 4, &e) == -ENAMETOOLONG, "%s", e.msg);
		CHECK(t, pk_http__file_path("http://x/", good, sizeof(good), &e) == -EINVAL, "%s", e.msg);
	}
	/* not readable: -ENOENT, as libcurl's "Couldn't open file", and the reason said */
	snprintf(path, sizeof(path), "%s/secret", root);
	/* mode 0: nobody to root, the owner to anyone else */
	CHECK(t, put(root, "secret", "s", 1) == 0 && chmod(path, 0) == 0, "secret: %s", strerror(errno));
	file_url(u, sizeof(u), "", root, "secret");
	rc = get_as_nobody(u, msg, sizeof(msg));
	CHECK(t, rc == -ENOENT && strstr(msg, "Permission denied"), "not readable: rc %d: %s", rc, msg);
	unlink(path);
	pk_http__stats(h, &st);
	CHECK(t, (int)st.requests == calls, "%" PRIu64 " requests counted, %d made", st.requests, calls);
	PASS(t);

	/* downloads: through a temp file, digest and size checked, nothing left behind */
	snprintf(dir, sizeof(dir), "%s/file-dl", tmpdir);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	{
		unsigned char d[crypto_hash_sha256_BYTES];
		char sha[65], bad[65];

		crypto_hash_sha256(d, (const unsigned char *)big, BIG_LEN);
		sodium_bin2hex(sha, sizeof(sha), d, sizeof(d));
		memcpy(bad, sha, sizeof(bad));
		bad[63] = bad[63] == '0' ? '1' : '0';
		file_url(u, sizeof(u), "", root, "file");
		{
			PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = sha, .size = BIG_LEN);

			rc = pk_http__download(h, u, path, &o, &e);
			CHECK(t2, rc == 0 && !pk_file__read(path, &got, &len, 1 << 20) && len == BIG_LEN &&
					  !memcmp(got, big, BIG_LEN), "rc %d: %s", rc, pk_error__str(&e));
			free(got);
			listing(dir, ls, sizeof(ls));
			CHECK_STR(t2, ls, "out.bin");
			unlink(path);
		}
		struct {
			const char *what, *name, *sha;
			uint64_t size;
			int want;
		} cases[] = {
			{ "digest differs", "file", bad, 0, -EBADMSG },
			{ "size one less", "file", NULL, BIG_LEN - 1, -EFBIG },
			{ "size one more", "file", NULL, BIG_LEN + 1, -EBADMSG },
			{ "missing", "missing", sha, 0, -ENOENT },
			{ "a directory", "", NULL, 0, -EISDIR },
		};
		for (i = 0; i < PK_ARRAY_SIZE(cases); i++) {
			PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = cases[i].sha, .size = cases[i].size);

			file_url(u, sizeof(u), "", root, cases[i].name);
			rc = pk_http__download(h, u, path, &o, &e);
			CHECK(t2, rc == cases[i].want && strstr(e.msg, u), "%s: rc %d, want %d: %s",
			      cases[i].what, rc, cases[i].want, e.msg);
			listing(dir, ls, sizeof(ls));
			CHECK(t2, !ls[0], "%s: left '%s'", cases[i].what, ls);
		}
	}
	CHECK(t2, curl_mapped() == 0, "libcurl mapped after file:// requests only");
	PASS(t2);

	rc = pk_http__get(h, url("/small"), NULL, &b, &e);
	CHECK(t3, rc == 0 && b.len == 6 && b.status == 200, "rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	CHECK(t3, curl_mapped() == 1, "libcurl not mapped after an http request");
	pk_http__free(h);
	PASS(t3);
}

static void test_redirects(void)
{
	const char *t = "redirects: followed, counted, at most 5";
	struct pk_http *h = client(0, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	int rc;

	CHECK(t, h, "no client");
	rc = pk_http__get(h, url("/redir"), NULL, &b, &e);
	CHECK(t, rc == 0 && b.len == 6 && !memcmp(b.data, "small\n", 6), "rc %d: %s", rc,
	      pk_error__str(&e));
	pk_http_body__release(&b);
	pk_http__stats(h, &st);
	CHECK_INT(t, st.requests, 2);
	rc = pk_http__get(h, url("/r5"), NULL, &b, &e);
	CHECK(t, rc == 0 && b.len == 6, "5 redirects: rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	rc = pk_http__get(h, url("/r6"), NULL, &b, &e);
	CHECK(t, rc == -ELOOP, "6 redirects: rc %d: %s", rc, pk_error__str(&e));
	rc = pk_http__get(h, url("/tofile"), NULL, &b, &e);
	CHECK(t, rc != 0 && !b.data, "a redirect to file:// was followed");
	pk_http__free(h);
	PASS(t);
}

static void test_file_url(void)
{
	const char *t = "file:// URLs: a body, a missing file is -ENOENT, the cap holds";
	struct pk_http *h = client(0, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_error e = { 0 };
	PK_HTTP_GET_OPTS(go, .max_bytes = 1000);
	char u[1200];
	int rc;

	CHECK(t, h, "no client");
	snprintf(u, sizeof(u), "file://%s/small", root);
	rc = pk_http__get(h, u, NULL, &b, &e);
	CHECK(t, rc == 0 && b.len == 6 && !memcmp(b.data, "small\n", 7), "rc %d: %s", rc,
	      pk_error__str(&e));
	pk_http_body__release(&b);
	snprintf(u, sizeof(u), "file://%s/missing", root);
	rc = pk_http__get(h, u, NULL, &b, &e);
	CHECK(t, rc == -ENOENT && strstr(e.msg, u), "rc %d: %s", rc, pk_error__str(&e));
	snprintf(u, sizeof(u), "file://%s/file", root);
	rc = pk_http__get(h, u, &go, &b, &e);
	CHECK(t, rc == -EFBIG, "rc %d: %s", rc, pk_error__str(&e));
	pk_http__free(h);
	PASS(t);
}

static void test_proxy(void)
{
	const char *t = "proxy from the environment (http_proxy)";
	struct pk_http *h = client(0, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_error e = { 0 };
	int rc;

	CHECK(t, h, "no client");
	/* nginx answers an absolute-form request from its own root: a proxy that works */
	setenv("http_proxy", url_base, 1);
	rc = pk_http__get(h, "http://probekit-test.invalid/small", NULL, &b, &e);
	unsetenv("http_proxy");
	CHECK(t, rc == 0 && b.len == 6, "rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	CHECK(t, settle() == 0, "marker request never logged");
	CHECK_INT(t, log_count("\"GET http://probekit-test.invalid/small HTTP/1.1\" 200"), 1);
	pk_http__free(h);
	PASS(t);
}

static void test_stats(void)
{
	const char *t = "stats: requests, bytes, 304s, one connection for all";
	char cache[1100];
	struct pk_http *h;
	struct pk_http_body b;
	struct pk_http_stats st;
	PK_HTTP_GET_OPTS(c, .conditional = true);

	snprintf(cache, sizeof(cache), "%s/cache-stats", tmpdir);
	h = client(0, 5000, cache, "pk-test-stats");
	CHECK(t, h, "no client");
	pk_http__get(h, url("/small"), NULL, &b, NULL);		/* 1 request, 6 bytes */
	pk_http_body__release(&b);
	pk_http__get(h, url("/nothing-here"), NULL, &b, NULL);	/* 1, error page not counted */
	pk_http__get(h, url("/redir"), NULL, &b, NULL);		/* 2, 6 bytes */
	pk_http_body__release(&b);
	pk_http__get(h, url("/file"), &c, &b, NULL);		/* 1, BIG_LEN */
	pk_http_body__release(&b);
	pk_http__get(h, url("/file"), &c, &b, NULL);		/* 1, a 304 */
	pk_http_body__release(&b);
	pk_http__stats(h, &st);
	CHECK(t, settle() == 0, "marker request never logged");
	CHECK_INT(t, st.requests, 6);
	CHECK_INT(t, log_count("\"pk-test-stats\""), 6);
	CHECK_INT(t, st.bytes, 6 + 6 + BIG_LEN);
	CHECK_INT(t, st.not_modified, 1);
	CHECK_INT(t, st.retries, 0);
	CHECK_INT(t, st.connects, 1);
	pk_http__free(h);
	PASS(t);
}

/* run fn with stderr going to a file; what it wrote there */
static char *capture_stderr(void (*fn)(struct pk_http *), struct pk_http *h)
{
	char p[1100], *d = NULL;
	int fd, saved;
	size_t len;

	snprintf(p, sizeof(p), "%s/stderr", tmpdir);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	fflush(stderr);
	saved = dup(2);
	dup2(fd, 2);
	close(fd);
	fn(h);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if (pk_file__read(p, &d, &len, 1 << 20))
		return NULL;
	return d;
}

static void get_big(struct pk_http *h)
{
	struct pk_http_body b;
	PK_HTTP_GET_OPTS(o, .label = "big-label");

	pk_http__get(h, url("/file"), &o, &b, NULL);
	pk_http_body__release(&b);
}

static void test_progress(void)
{
	const char *t = "progress: one line on stderr, cleared; nothing when not asked";
	PK_HTTP_OPTS(o, .progress = true);
	struct pk_http *h = NULL, *quiet = client(0, 5000, NULL, NULL);
	char *out;
	size_t n;

	CHECK(t, !pk_http__new(&o, &h, NULL) && quiet, "no client");
	out = capture_stderr(get_big, h);
	CHECK(t, out, "no capture");
	n = strlen(out);
	CHECK(t, strstr(out, "\r\033[Kbig-label  ") && n >= 4 && !strcmp(out + n - 4, "\r\033[K") &&
			 !strchr(out, '\n'),
	      "stderr '%s'", out);
	free(out);
	out = capture_stderr(get_big, quiet);
	CHECK(t, out && !out[0], "stderr '%s' without progress", out ? out : "(null)");
	free(out);
	pk_http__free(h);
	pk_http__free(quiet);
	PASS(t);
}

/* the retry hook: pk_debug's "retrying" line runs just before the backoff sleep,
 * so a test can change the server between two attempts without racing it */
static const char *retry_trigger;	/* a file to create in root, once */
static const char *retry_watch;	/* a directory whose temp file's size is noted */
static long long retry_watch_size = -1;

static int on_print(enum pk_print_level level, const char *fmt, va_list ap)
{
	char msg[1024];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	if (!strstr(msg, "retrying"))
		return 0;
	if (retry_watch) {
		DIR *d = opendir(retry_watch);
		struct dirent *de;
		struct stat st;
		char p[1300];

		while (d && (de = readdir(d))) {
			snprintf(p, sizeof(p), "%s/%s", retry_watch, de->d_name);
			if (strstr(de->d_name, ".tmp.") && !stat(p, &st))
				retry_watch_size = st.st_size;
		}
		if (d)
			closedir(d);
	}
	if (retry_trigger) {
		put(root, retry_trigger, "recovered\n", 10);
		retry_trigger = NULL;
	}
	return 0;
}

static void test_recovery(void)
{
	const char *t = "a 503, then a 200: the retry returns the body";
	const char *t2 = "download: a partial first attempt is discarded, the retry completes";
	struct pk_http *h = client(3, 300, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	char dir[1100], path[1200], sha[65], ls[4096], *got = NULL;
	unsigned char d[32];
	size_t len;
	int rc;

	CHECK(t, h, "no client");
	pk_set_print(on_print);
	retry_trigger = "flaky-ok";
	rc = pk_http__get(h, url("/flaky"), NULL, &b, &e);
	CHECK(t, rc == 0 && b.len == 10 && !memcmp(b.data, "recovered\n", 10), "rc %d: %s", rc,
	      pk_error__str(&e));
	pk_http_body__release(&b);
	pk_http__stats(h, &st);
	CHECK_INT(t, st.retries, 1);
	CHECK(t, settle() == 0, "marker request never logged");
	CHECK_INT(t, log_count("\"GET /flaky HTTP/1.1\" 503"), 1);
	CHECK_INT(t, log_count("\"GET /flaky HTTP/1.1\" 200"), 1);
	PASS(t);

	/* /sf/ is slow (4000 B/s: 100 KB would take 25 s) until root/fast-mode exists:
	 * attempt one times out with its first burst in the temp file, attempt two is
	 * fast and must start that file over */
	crypto_hash_sha256(d, (unsigned char *)big, BIG_LEN);
	sodium_bin2hex(sha, sizeof(sha), d, sizeof(d));
	snprintf(dir, sizeof(dir), "%s/dl-retry", tmpdir);
	mkdir(dir, 0755);
	snprintf(path, sizeof(path), "%s/out.bin", dir);
	retry_trigger = "fast-mode";
	retry_watch = dir;
	{
		PK_HTTP_DOWNLOAD_OPTS(o, .sha256 = sha, .size = BIG_LEN);

		rc = pk_http__download(h, url("/sf/file"), path, &o, &e);
	}
	retry_watch = NULL;
	pk_set_print(NULL);
	CHECK(t2, rc == 0, "rc %d: %s", rc, pk_error__str(&e));
	CHECK(t2, retry_watch_size > 0, "no partial temp file at the retry (%lld bytes)", retry_watch_size);
	CHECK(t2, !pk_file__read(path, &got, &len, 1 << 20) && len == BIG_LEN &&
			  !memcmp(got, big, BIG_LEN), "content differs");
	free(got);
	listing(dir, ls, sizeof(ls));
	CHECK_STR(t2, ls, "out.bin");
	pk_http__free(h);
	PASS(t2);
}

static void test_tls(void)
{
	const char *t = "https: ca_file trusts the server; the system's CAs do not (-EPROTO, no retry)";
	const char *tls = getenv("NGINX_TLS_URL"), *ca = getenv("NGINX_CA_FILE");
	struct pk_http *h = NULL, *plain = client(3, 5000, NULL, NULL);
	struct pk_http_body b;
	struct pk_http_stats st;
	struct pk_error e = { 0 };
	char u[1100];
	int rc;

	CHECK(t, tls && ca, "no NGINX_TLS_URL / NGINX_CA_FILE from tests/fetch/http.sh");
	{
		PK_HTTP_OPTS(o, .ca_file = ca);

		CHECK(t, !pk_http__new(&o, &h, &e), "new: %s", pk_error__str(&e));
	}
	snprintf(u, sizeof(u), "%s/small", tls);
	rc = pk_http__get(h, u, NULL, &b, &e);
	CHECK(t, rc == 0 && b.len == 6, "with ca_file: rc %d: %s", rc, pk_error__str(&e));
	pk_http_body__release(&b);
	rc = pk_http__get(plain, u, NULL, &b, &e);
	CHECK(t, rc == -EPROTO && strstr(e.msg, u), "without: rc %d: %s", rc, pk_error__str(&e));
	pk_http__stats(plain, &st);
	CHECK_INT(t, st.retries, 0);
	pk_http__free(h);
	pk_http__free(plain);
	PASS(t);
}

static void test_args(void)
{
	const char *t = "bad arguments and options: -EINVAL";
	struct {
		struct pk_http_opts o;
		char more[8];
	} big_opts = { .o = { .sz = sizeof(big_opts) }, .more = { 1 } };
	struct pk_http *h = NULL;
	struct pk_http_body b;
	struct pk_error e = { 0 };

	CHECK(t, pk_http__new(&big_opts.o, &h, &e) == -EINVAL && !h, "unknown option bytes accepted");
	h = client(0, 5000, NULL, NULL);
	CHECK(t, pk_http__get(h, "gopher://x/", NULL, &b, &e) == -EINVAL, "gopher: %s", e.msg);
	pk_http__free(h);
	pk_http__free(NULL);
	pk_http_body__release(NULL);
	PASS(t);
}

int main(void)
{
	char reason[256];
	size_t i;

	url_base = getenv("NGINX_URL");
	access_log = getenv("NGINX_ACCESS_LOG");
	root = getenv("PK_HTTP_ROOT");
	if (!url_base || !access_log || !root) {
		/* tests/run.sh runs every unit binary directly; the whole of this one
		 * runs through tests/fetch/http.sh, which starts nginx first */
		snprintf(reason, sizeof(reason), "needs a server: covered by tests/fetch/http.sh");
		SKIP("test_http", reason);
		return 0;
	}
	if (!mkdtemp(tmpdir) || sodium_init() < 0) {
		FAIL("setup", "mkdtemp or sodium_init");
		return UNIT_EXIT();
	}
	big = malloc(BIG_LEN);
	for (i = 0; i < BIG_LEN; i++)
		big[i] = (char)((i * 2654435761u) >> 13);
	if (put(root, "file", big, BIG_LEN) || put(root, "small", "small\n", 6)) {
		FAIL("setup", "cannot write into %s", root);
		return UNIT_EXIT();
	}

	test_file_without_curl();	/* first: nothing has loaded libcurl yet */
	test_200();
	test_status("404: -ENOENT, never retried", "/nothing-here", -ENOENT, 3, 1, "GET %s: HTTP 404");
	test_status("403: -EACCES, never retried", "/e403", -EACCES, 3, 1, "GET %s: HTTP 403");
	test_status("503: retried, then -EIO", "/e503", -EIO, 3, 4, "GET %s: HTTP 503 (4 attempts)");
	test_status("444 (closed without a reply): -ECONNRESET, retried", "/reset", -ECONNRESET, 2, 3,
		    "GET %s: Empty reply from server (3 attempts)");
	test_refused();
	test_timeouts();
	test_recovery();
	test_tls();
	test_cap();
	test_conditional();
	test_download();
	test_redirects();
	test_file_url();
	test_proxy();
	test_stats();
	test_progress();
	test_args();

	free(big);
	{
		char cmd[1200];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd))
			printf("cannot remove %s\n", tmpdir);
	}
	return UNIT_EXIT();
}
