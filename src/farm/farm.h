/* `probekit farm`: crawl, skip what the repository already holds for this probe
 * version (decided from its index and the build records on disk, nothing
 * downloaded), build the rest, then index and sign — or, as one shard of N, write
 * the shard's manifest and leave indexing to the job that merges the shards.
 * Idempotent and resumable: every file appears whole (temp + rename), a build
 * record is written after its artifacts, the index last. */
#ifndef PK_FARM_FARM_H
#define PK_FARM_FARM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "build/build.h"
#include "common/pk.h"
#include "kernels/kernels.h"

struct pk_verify_row;

struct pk_farm_failure {
	char key[300];
	char reason[400];
};

struct pk_farm_result {
	char probe_version[PK_PROBE_VERSION_LEN + 1];
	size_t catalog;		/* kernels in the catalog */
	size_t selected;	/* matching --kernels, in this shard */
	size_t held;		/* already in the repository: skipped */
	size_t built;		/* built whole now */
	size_t failed;		/* built with a failed artifact (recorded, not fatal) */
	size_t suites_unreadable;
	/* --verify */
	size_t verify_booted;	/* kernels booted */
	size_t verified;	/* artifacts the boots proved */
	size_t verify_failed;	/* artifacts a boot refuted (recorded with the console tail) */
	size_t verify_errors;	/* kernels or modes that could not be booted (nothing recorded) */
	size_t verify_skipped;	/* kernels of another architecture than QEMU's here */
	double verify_seconds;	/* the boots' wall time */
	uint64_t version;	/* the index written (0 in a shard run) */
	int64_t expires;
	double seconds;
	struct pk_farm_failure *failures;	/* nr_failures of them, malloc'd */
	size_t nr_failures;
};
void pk_farm_result__release(struct pk_farm_result *r);

struct pk_farm_opts {
	size_t sz;
	const char *repo;		/* the repository directory (required) */
	const char *key;		/* minisign secret key (required unless a shard run) */
	const char *password;
	const char *const *patterns;	/* globs over kernelrelease; none: every kernel */
	size_t nr_patterns;
	unsigned shard, nr_shards;	/* nr_shards 0 or 1: the whole catalog, indexed here */
	int jobs;			/* kernels built at once, default 1 */
	bool retry_failed;		/* build again the kernels whose builds failed */
	int64_t valid_for;		/* the index's lifetime, seconds (default 7 days) */
	const char *cache_dir;		/* packages (required) */
	const struct pk_kernels_opts *catalog;	/* how to crawl (required) */
	bool progress;
	/* --verify: after indexing, boot each kernel whose artifacts are not verified
	 * (farm_verify.h) and index again with what the boots proved */
	bool verify;
	double verify_timeout_s;	/* per boot, default 300 */
	const char *verify_agent;	/* the agent put in the guests (default: this binary) */
	void (*on_verify_row)(const struct pk_verify_row *r, void *ctx);
	/* each kernel's build result, in the process that built it (the CLI prints) */
	void (*on_result)(const struct pk_kernel *k, const struct pk_build_result *res, void *ctx);
	void *ctx;
	struct pk_farm_result *result;	/* filled when given */
};
#define PK_FARM_OPTS(name, ...) \
	struct pk_farm_opts name = { .sz = sizeof(struct pk_farm_opts), __VA_ARGS__ }

/*
 * One farm run. 0 when every selected kernel is held or built and the index (or
 * the shard manifest) is written — builds that failed are recorded and do not fail
 * the run (result says which); -errno when the run itself could not proceed (the
 * repository is locked, the catalog could not be crawled at all, the index could
 * not be written), err says why.
 */
int pk_farm__run(const struct pk_farm_opts *opts, struct pk_error *err);

#endif
