/* HTTP(S) client over libcurl for everything probekit downloads (file:// URLs read
 * by our own code, libcurl loaded only at the first http(s) request): connect and total
 * timeouts, retries with backoff on transient failures (5xx, reset, timeout, empty
 * reply; never on 4xx), proxy from the environment, a byte cap per request,
 * conditional requests against an on-disk validator cache (ETag / Last-Modified),
 * and an optional progress line on stderr (the only output; nothing else prints).
 * Returns -errno. A pk_http is used by one thread at a time; make one per thread. */
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
	long connect_timeout_ms;	/* default (0) 10000 */
	long timeout_ms;		/* whole request, each attempt; default (0) 300000 */
	long low_speed_timeout_ms;	/* abort below 1 KiB/s for this long (whole seconds,
					 * at least 1), default (0) 30000 */
	int retries;			/* extra attempts on transient failures, default (0)
					 * 3; negative: none */
	long backoff_ms;		/* first retry delay, doubled each time (at most
					 * 60 s), default (0) 500 */
	const char *ca_file;		/* CA bundle, default the system's */
	const char *user_agent;		/* default "probekit/<version>" */
	bool progress;			/* a progress line on stderr (callers pass isatty(2)) */
};
/*
 * Proxies: libcurl's own rules, untouched: http_proxy, https_proxy (and
 * HTTPS_PROXY), all_proxy and no_proxy from the environment. Redirects are
 * followed (at most 5, http and https only: never into file://). Transient, so
 * retried: 5xx, a timeout, a reset or closed connection, an empty reply. Not
 * retried: any 4xx, connection refused, a name that does not resolve, TLS errors.
 */
#define PK_HTTP_OPTS(name, ...) \
	struct pk_http_opts name = { .sz = sizeof(struct pk_http_opts), __VA_ARGS__ }

/* loads nothing: libcurl is loaded at the first http(s) transfer, whose error
 * it is when it cannot be ("downloading needs libcurl (Debian: libcurl4): ...") */
int pk_http__new(const struct pk_http_opts *opts, struct pk_http **out, struct pk_error *err);
void pk_http__free(struct pk_http *h);

struct pk_http_get_opts {
	size_t sz;
	uint64_t max_bytes;	/* refuse a body larger than this (-EFBIG), checked as it
				 * arrives: never more than this is held; 0: 1 GiB */
	/* with the pk_http's cache_dir, http(s) only: send the validators kept from the
	 * last 200 of this URL; a 304 returns the body kept with them. The entry (one
	 * file per URL, validators and body together, checked by SHA256 on read) is
	 * replaced on every 200 that carries an ETag or Last-Modified; a damaged one is
	 * ignored (a full GET). Costs a second copy of the body while it is written. */
	bool conditional;
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
 * cached body; file:// gives status 0). Errors, each with the URL in err ("GET
 * URL: HTTP 404", "GET URL: ...: Connection refused", "(N attempts)" when retried):
 * -ENOENT (404, 410, a file:// that cannot be opened: missing or not readable),
 * -EACCES (401, 403), -EIO (another status, after retries for 5xx; a file:// read
 * error), -ETIMEDOUT, -ECONNREFUSED, -EHOSTUNREACH (name or route), -ECONNRESET
 * (reset, closed early, empty reply), -EFBIG (more than max_bytes), -EPROTO (TLS,
 * malformed reply), -ELOOP (more than 5 redirects), -EINVAL (bad URL or scheme;
 * a file:// naming a FIFO or device), -EISDIR (a file:// naming a directory),
 * -ELIBACC (an http(s) URL and libcurl cannot be loaded), -ENOMEM. Error bodies
 * (a 404 page) are never kept.
 *
 * file:// URLs are read without libcurl, as libcurl takes them on Linux:
 * file:///abs/path or file://localhost/abs/path (any other host: -EINVAL), %XX
 * decoded (%00, a malformed escape, a raw space or control byte: -EINVAL), the
 * query and fragment ignored; regular files only; one request counted, never
 * retried, never cached.
 */
int pk_http__get(struct pk_http *h, const char *url, const struct pk_http_get_opts *opts,
		 struct pk_http_body *out, struct pk_error *err);

/*
 * GET url into path: a temp file in path's directory ("<path>.tmp.XXXXXX"),
 * written as it arrives with its SHA256 computed on the way, fsync, rename; nothing is
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

/* The local path a file:// URL names (the rules above), NUL-terminated in out;
 * -EINVAL with the reason, -ENAMETOOLONG when it does not fit in sz. */
int pk_http__file_path(const char *url, char *out, size_t sz, struct pk_error *err);

/* counters since pk_http__new, for benchmarks and the crawl summary */
struct pk_http_stats {
	uint64_t requests;	/* attempts, retries and redirect hops included */
	uint64_t not_modified;	/* 304 answers */
	uint64_t retries;
	uint64_t bytes;		/* body bytes received and kept (2xx; error pages not counted) */
	uint64_t connects;	/* new connections (the rest reused one) */
};
void pk_http__stats(const struct pk_http *h, struct pk_http_stats *st);

#endif
