/* The agent's download client: repositories tried in order, each index trusted
 * only through the pinned key (signature first, freeze and rollback refused),
 * every artifact's size and SHA256 checked before use, and the cache
 * (fetch/cache.h) in front of the network. Used by the candidate sources
 * (repo_source.h), `probekit fetch` and `detect`. Never prints. */
#ifndef PK_FETCH_FETCHER_H
#define PK_FETCH_FETCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/chain.h"
#include "common/pk.h"

struct pk_fetcher;
struct pk_cache;
struct pk_minisign_pubkey;

/*
 * Another process that does what needs the network (libcurl and the whole index
 * are its to load, not the agent's): gets path as pk_fetcher__get would, into the
 * same cache, and says how it went: 0 with *size and src filled (src->sha256 names
 * the cache entry), or -errno with err. See fetcher opts `remote`.
 */
typedef int (*pk_fetcher_remote_fn)(void *ctx, const char *path, const char *kind, bool configured,
				    uint64_t *size, struct pk_cand_source *src, struct pk_error *err);

struct pk_fetcher_opts {
	size_t sz;
	/* repositories in the order to try: http(s)://, file:// or a directory */
	const char *const *repos;
	size_t nr_repos;
	/* the pinned key; NULL: no repository is trusted (every one fails, saying so) */
	const struct pk_minisign_pubkey *key;
	const char *key_origin;		/* "--repo-key FILE", "built in": for messages */
	const char *no_key_reason;	/* without key: why (a key file that could not be read) */
	const char *cache_dir;		/* default PK_CACHE_DIR_DEFAULT */
	bool offline;			/* the cache alone: nothing is downloaded */
	bool allow_expired;		/* an air-gapped mirror's index may be old on purpose */
	bool require_verified;		/* only artifacts the VM verification marked verified */
	bool cached_repos;		/* also the repositories the cache holds indexes of
					 * (read from the cache alone) */
	const char *ca_file;
	long connect_timeout_ms;	/* default 5000 */
	long timeout_ms;		/* each request, default 30000 */
	int retries;			/* default 2; negative: none */
	long backoff_ms;		/* default 200 */
	/* A cached index younger than this (seconds) serves without a request (it is
	 * verified again: key, expiry, rollback); a path it does not list makes the
	 * repository be asked once more. 0: the repository is asked at every start
	 * (default: PK_FETCHER_INDEX_MAX_AGE; negative: always ask). */
	int64_t index_max_age;
	int64_t now;			/* 0: the clock (tests) */
	/* When set, a get that the cache alone cannot serve (no cached index younger
	 * than index_max_age, or the file not cached) is handed to remote, and this
	 * process then reads the cache entry it names, checked as always. */
	pk_fetcher_remote_fn remote;
	void *remote_ctx;
};
#define PK_FETCHER_INDEX_MAX_AGE 3600
#define PK_FETCHER_OPTS(name, ...) \
	struct pk_fetcher_opts name = { .sz = sizeof(struct pk_fetcher_opts), __VA_ARGS__ }

/* Nothing is read or fetched until asked. Directory paths become file:// URLs. */
int pk_fetcher__new(const struct pk_fetcher_opts *opts, struct pk_fetcher **out, struct pk_error *err);
void pk_fetcher__free(struct pk_fetcher *f);

size_t pk_fetcher__nr_repos(const struct pk_fetcher *f);
const char *pk_fetcher__repo(const struct pk_fetcher *f, size_t i);	/* as a URL */
/* is repository i one the operator configured (not only found in the cache) */
bool pk_fetcher__configured(const struct pk_fetcher *f, size_t i);
/* did repository i fail outright in this run (neither its index nor a cached one
 * verified)? Then outcome (e.g. "timeout", "signature") and err say why */
bool pk_fetcher__repo_failed(const struct pk_fetcher *f, size_t i, char *outcome, size_t len,
			     struct pk_error *err);
/* the URL path would be fetched from in repository i */
int pk_fetcher__url(const struct pk_fetcher *f, size_t i, const char *path, char *buf, size_t len);

/*
 * Get the artifact at path (repository layout) of this kind: from each repository
 * in turn (configured: those the operator named; else those only the cache knows,
 * which are read from the cache alone, never downloaded from), whose signed index must
 * list it, from the cache when it holds the bytes, else downloaded into the cache
 * (at most its listed size, checked, then renamed). On success *data (malloc'd)
 * holds the checked bytes and src the repository, URL, digest and cache entry that
 * served them. Every repository asked is one entry of src->attempts, with its
 * outcome. -ENOENT when none had it, else the last failure's -errno (reason in err).
 */
int pk_fetcher__get(struct pk_fetcher *f, const char *path, const char *kind, bool configured,
		    void **data, size_t *len, struct pk_cand_source *src, struct pk_error *err);

/* download counters since pk_fetcher__new: for the metrics and `fetch --json` */
struct pk_fetcher_stats {
	uint64_t indexes_fetched, indexes_cached;	/* from the network / from the cache */
	uint64_t objects_fetched, objects_cached;
	uint64_t bytes;					/* downloaded */
	uint64_t failures;				/* attempts that failed */
	uint64_t verify_failures;			/* of those: signature, digest, size,
							 * rollback, expired, unverified */
};
void pk_fetcher__stats(const struct pk_fetcher *f, struct pk_fetcher_stats *st);

/* outcome names of struct pk_cand_attempt that are verification failures */
bool pk_fetch_outcome__is_verification(const char *outcome);

#endif
