/* Shard manifests: what one `farm --shard I/N` run built and holds, so that the job
 * that merges the shards' outputs (`repo index`) can tell a complete set from a
 * partial one. Text, one file per shard: _shards/<probe-version>/shard-<I>-of-<N>:
 *   probekit-shard/1
 *   probe-version <pv>
 *   shard <I> of <N>
 *   record <path> <sha256>      one per kernel of the shard with a build record
 * Written last by a shard run, atomically. */
#ifndef PK_REPO_SHARD_H
#define PK_REPO_SHARD_H

#include <stddef.h>

#include "common/pk.h"

struct pk_shard_record {
	char path[600];		/* _build/<pv>/<target>_<kernelrelease>.json */
	char sha256[65];
};

/* write dir/_shards/<pv>/shard-<i>-of-<n> listing records (their digests read
 * from the files now) */
int pk_shard__write(const char *dir, const char *pv, unsigned i, unsigned n,
		    const char *const *records, size_t nr, struct pk_error *err);

/* "I/N" -> i, n (0 <= i < n <= 4096); -EINVAL with why */
int pk_shard__parse_spec(const char *spec, unsigned *i, unsigned *n, struct pk_error *err);

/* which shard a kernel key falls in: the first 8 bytes of SHA256(key) mod n */
unsigned pk_shard__of(const char *key, unsigned n);

/*
 * The manifests found in dir (paths relative to it): each well formed, each set
 * (probe version, N) complete (all of 0..N-1), each listed record present with
 * the listed digest. -EBADMSG naming the manifest otherwise.
 */
int pk_shard__check_all(const char *dir, const char *const *manifests, size_t nr,
			struct pk_error *err);

#endif
