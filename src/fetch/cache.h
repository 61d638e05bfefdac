/* The node's download cache (--cache DIR, default /var/cache/probekit): verified
 * artifacts by SHA256 and each repository's last verified index, under
 * DIR/agent/. Nothing is ever under a final name unverified: objects arrive as a
 * temp file that is checked, fsynced and renamed, and are checked again on every
 * read; writers take one lock so two agents on a node do not collide. */
#ifndef PK_FETCH_CACHE_H
#define PK_FETCH_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

#define PK_CACHE_DIR_DEFAULT "/var/cache/probekit"
#define PK_CACHE_OBJECT_MAX (256u << 20)	/* no probe or BTF artifact is larger */

/*
 * Layout (DIR/agent/; the build's package cache shares DIR, not this folder):
 *   .lock                       flock: one writer at a time
 *   objects/<sha256>            artifacts, named by their digest
 *   repos/<id>/url              the repository this folder is for (id: the first 16
 *                                 hex digits of its URL's SHA256)
 *   repos/<id>/pair             its last index that verified and its signature, exactly
 *                                 as fetched, in one file: one rename replaces both
 *   rollback, rollback.lock     the highest index version seen per repository and key
 */
struct pk_cache;

/* No disk access yet: the folder is made by the first write. */
int pk_cache__new(const char *dir, struct pk_cache **out, struct pk_error *err);
void pk_cache__free(struct pk_cache *c);
const char *pk_cache__dir(const struct pk_cache *c);	/* DIR/agent */
const char *pk_cache__rollback_path(const struct pk_cache *c);

/* make DIR/agent/objects and repos where missing */
int pk_cache__mkdirs(struct pk_cache *c, struct pk_error *err);
/* Exclusive lock for writing an index pair, waiting at most timeout_ms
 * (-ETIMEDOUT, reason in err); nests. Taking it makes the folders and removes temp
 * files that no writer touched for an hour (downloads run without it: each object
 * arrives in a temp file of its own and is renamed over its digest's name). */
int pk_cache__lock(struct pk_cache *c, long timeout_ms, struct pk_error *err);
void pk_cache__unlock(struct pk_cache *c);

/* where the object with this digest lives (whether or not it is there) */
int pk_cache__object_path(const struct pk_cache *c, const char *sha256, char *buf, size_t len);
/*
 * Read the object with this digest and size, checked again: -ENOENT when absent,
 * -EBADMSG when it does not match (then removed, under the lock, so that a good
 * copy can take its place; reason in err). *data is malloc'd.
 */
int pk_cache__read(struct pk_cache *c, const char *sha256, uint64_t size, void **data,
		   size_t *len, struct pk_error *err);
/* Put bytes already checked against sha256 (a directory repository's file, a
 * probe directory's) under their digest: temp + fsync + rename. Takes the lock. */
int pk_cache__put(struct pk_cache *c, const char *sha256, const void *data, size_t len,
		  struct pk_error *err);

/* The last verified index pair of repository url, or -ENOENT. Malloc'd. The
 * caller verifies them again before believing them. *stored (may be NULL): when
 * the pair was written (unix seconds). */
int pk_cache__get_index(const struct pk_cache *c, const char *url, char **index, size_t *index_len,
			char **sig, size_t *sig_len, int64_t *stored, struct pk_error *err);
/* Keep a pair that verified (each atomically; the signature last). Takes the lock. */
int pk_cache__put_index(struct pk_cache *c, const char *url, const void *index, size_t index_len,
			const void *sig, size_t sig_len, struct pk_error *err);
/* the URLs of every repository the cache holds an index of; free each and *urls */
int pk_cache__repos(const struct pk_cache *c, char ***urls, size_t *n);

#endif
