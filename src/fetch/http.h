/* HTTP(S) client over libcurl for everything probekit downloads: connect and total
 * timeouts, retries with backoff on transient failures (5xx, reset, timeout; never
 * on 404), proxy from the environment, a byte cap per request, conditional
 * requests against an on-disk validator cache (ETag / Last-Modified), and an
 * optional progress line on stderr. Library code: returns -errno, never prints. */
#ifndef PK_FETCH_HTTP_H
#define PK_FETCH_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

struct pk_http;

struct pk_http_opts {
	size_t sz;
	/* where validators and bodies of conditional requests live (created if
	 * missing); NULL: no conditional requests, every GET is a full one */
	const char *cache_dir;
	long connect_timeout_ms;	/* default 10000 */
	long timeout_ms;		/* whole request, default 300000 */
	long low_speed_timeout_ms;	/* abort below 1 KiB/s for this long, default 30000 */
	int retries;			/* extra attempts on transient failures, default 3 */
	long backoff_ms;		/* first retry delay, doubled each time, default 500 */
	const char *ca_file;		/* CA bundle, default the system's */
	const char *user_agent;		/* default "probekit/<version>" */
	bool progress;			/* a progress line on stderr (callers pass isatty(2)) */
};
#define PK_HTTP_OPTS(name, ...) \
	struct pk_http_opts name = { .sz = sizeof(struct pk_http_opts), __VA_ARGS__ }

int pk_http__new(const struct pk_http_opts *opts, struct pk_http **out, struct pk_error *err);
void pk_http__free(struct pk_http *h);

struct pk_http_get_opts {
	size_t sz;
	uint64_t max_bytes;	/* refuse a body larger than this (-EFBIG); 0: 1 GiB */
	bool conditional;	/* send the cached validators; a 304 returns the cached body */
	const char *label;	/* what the progress line calls it, default the URL's last part */
};
#define PK_HTTP_GET_OPTS(name, ...) \
	struct pk_http_get_opts name = { .sz = sizeof(struct pk_http_get_opts), __VA_ARGS__ }

struct pk_http_body {
	void *data;		/* malloc'd, NUL-terminated (not counted in len) */
	size_t len;
	long status;		/* the final HTTP status (304 when served from the cache) */
	bool not_modified;	/* the server said 304 and data is the cached body */
};
void pk_http_body__release(struct pk_http_body *b);

/*
 * GET url into memory (http://, https://, file://). 0 on a 2xx (or a 304 with a
 * cached body). Errors, each with the URL in err: -ENOENT (404, 410), -EACCES
 * (401, 403), -EIO (another status, after retries for 5xx), -ETIMEDOUT,
 * -ECONNREFUSED, -EHOSTUNREACH (name or route), -ECONNRESET, -EFBIG (more than
 * max_bytes), -EPROTO (TLS, malformed reply), -ENOMEM.
 */
int pk_http__get(struct pk_http *h, const char *url, const struct pk_http_get_opts *opts,
		 struct pk_http_body *out, struct pk_error *err);

/*
 * GET url into path: a temp file in path's directory, fsync, rename; nothing is
 * left under path (or its temp name) on failure. When sha256 (lower-case hex) is
 * given, the bytes are checked before the rename (-EBADMSG on a mismatch), and
 * when size is non-zero more bytes than size are refused (-EFBIG) and fewer are
 * -EBADMSG. Same errors as pk_http__get.
 */
struct pk_http_download_opts {
	size_t sz;
	uint64_t size;		/* expected size, 0 unknown */
	const char *sha256;	/* expected digest, NULL unknown */
	uint64_t max_bytes;	/* when size is 0; 0: 4 GiB */
	const char *label;
};
#define PK_HTTP_DOWNLOAD_OPTS(name, ...) \
	struct pk_http_download_opts name = { .sz = sizeof(struct pk_http_download_opts), __VA_ARGS__ }
int pk_http__download(struct pk_http *h, const char *url, const char *path,
		      const struct pk_http_download_opts *opts, struct pk_error *err);

/* counters since pk_http__new, for benchmarks and the crawl summary */
struct pk_http_stats {
	uint64_t requests;	/* HTTP exchanges, retries included */
	uint64_t not_modified;	/* 304 answers */
	uint64_t retries;
	uint64_t bytes;		/* body bytes received */
};
void pk_http__stats(const struct pk_http *h, struct pk_http_stats *st);

#endif
