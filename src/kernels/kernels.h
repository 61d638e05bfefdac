/* One call that crawls what `probekit kernels` and `probekit build` need: picks the
 * distributions and their mirrors (the machine's apt configuration for Debian,
 * --mirror for the others), sets up the HTTP client and its cache, runs each
 * back-end and returns the sorted catalog. */
#ifndef PK_KERNELS_KERNELS_H
#define PK_KERNELS_KERNELS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/pk.h"
#include "fetch/http.h"
#include "kernels/catalog.h"

struct pk_kernels_opts {
	size_t sz;
	const char *const *distros;	/* default: "debian" */
	size_t nr_distros;
	const char *const *suites;	/* default: each distribution's (discovered for Debian) */
	size_t nr_suites;
	const char *arch;		/* Debian name (amd64, arm64) or uname -m; default: this machine's */
	const char *mirror;		/* the archive, instead of apt's (one distribution) */
	const char *security_mirror;	/* Debian's -security suites, instead of apt's */
	const char *keyring;		/* instead of the distribution's */
	const char *apt_root;		/* where etc/apt is read, default "/" */
	const char *cache_dir;		/* HTTP validators and the suite cache; NULL: none */
	bool allow_expired;
	bool progress;			/* a progress line on stderr */
	long timeout_ms;		/* per request; 0: the client's default */
	int retries;			/* -1: the client's default */
	int64_t now;			/* 0: the clock; tests pass another */
	struct pk_http_stats *stats;	/* filled at the end when given */
};
#define PK_KERNELS_OPTS(name, ...) \
	struct pk_kernels_opts name = { .sz = sizeof(struct pk_kernels_opts), .retries = -1, __VA_ARGS__ }

/*
 * 0 and *out (per-suite failures are inside it: pk_catalog__nr_errors), or -errno
 * when nothing could be crawled: -EINVAL (unknown distribution or architecture,
 * --mirror with several distributions), -ENOENT (no mirror for a distribution:
 * err says how to give one), -ENOMEM.
 */
int pk_kernels__crawl(const struct pk_kernels_opts *opts, struct pk_catalog **out,
		      struct pk_error *err);

/* "x86_64" -> "amd64", "aarch64" -> "arm64"; Debian names pass through; NULL if unknown */
const char *pk_arch__deb(const char *arch);

#endif
