/* A streaming reader of index.json for the node agent: one walk over the bytes,
 * no tree, no allocation that grows with the input, reporting only the artifact
 * fields an agent uses. Accepts whatever pk_index__parse accepts, with the same result. */
#ifndef PK_REPO_INDEX_SCAN_H
#define PK_REPO_INDEX_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

struct pk_index_scan_artifact {
	const char *path, *kind, *sha256;	/* NUL-terminated, valid during the callback only */
	const char *probe_version;		/* NULL when null (full-btf) */
	const char *verification_state;		/* "verified", "failed", "unverified"; never NULL
						 * (pk_index__parse requires it) */
	uint64_t size;
};

struct pk_index_scan_info {
	uint64_t version;
	int64_t generated, expires;
	size_t artifacts, failures;	/* array lengths */
};

/* non-zero stops the scan: pk_index__scan returns that value */
typedef int (*pk_index_scan_fn)(const struct pk_index_scan_artifact *a, void *ctx);

/*
 * Check index.json (data need not be NUL-terminated; at most PK_INDEX_MAX_LEN
 * bytes, else -EFBIG) and call fn for each artifact, in document order. fn may be
 * NULL (check and count only); info may be NULL and is written only when the
 * call returns 0.
 *
 * Two walks, both in constant memory: the first checks the JSON syntax of the
 * whole document (json-c's strict grammar, see below) and finds the top-level
 * members; then the header (schema, version >= 1, generated >= 0, expires >
 * generated) is checked, and only then the artifacts are read one at a time and
 * handed to fn. An error in artifact k comes after fn has seen artifacts 0..k-1:
 * a caller keeps what it collected only when the call returns 0.
 *
 * Returns 0, fn's non-zero value, -EBADMSG with where (byte offset, line:column
 * or artifacts[i]) and what in err, -EFBIG, or -ENOMEM (only for an unsorted
 * index, see below).
 *
 * Same rules as pk_index__parse for everything reported: json-c's lenient corners
 * are accepted exactly as json-c accepts them (raw control characters and bytes
 * that are not UTF-8 inside strings, numbers such as "00", "-01", "1.", NaN and
 * Infinity where a value is skipped; a key is cut at an escaped NUL; of duplicate
 * keys the last one counts, the top-level "artifacts" included); nesting at most
 * 10 deep as json-c counts it; no NUL byte; only space, tab, CR, LF around tokens.
 * Paths, sizes, sha256, kinds, probe versions and verification states are checked
 * by index.c's rules, artifact paths are unique, every key pk_index__parse requires
 * is present, and no unknown key is allowed in the root, an artifact or its
 * kernel, build and verification objects.
 *
 * Leniency (accepted here, refused by pk_index__parse; none of it is reported,
 * and the index is signature-verified before either reader sees it): the values
 * inside an artifact's kernel, build and verification objects other than the
 * state are only type-checked (string or null; build.seconds any number,
 * build.inputs any array), not checked for content (UTF-8, length, the fields a
 * kind needs, the record path, the digests, the inputs); next_key is only
 * checked to be null or an object; failures only to be objects (counted, not
 * read: no duplicate check).
 *
 * Unique paths in constant memory: in a sorted index (what pk_index__write
 * writes) each path is greater than the one before, which proves it new. A path
 * out of order is looked up in a fixed 256 KiB Bloom filter and, when it may have
 * been seen, the earlier artifacts are read again: an unsorted index costs more
 * time, never more memory than that.
 */
int pk_index__scan(const void *data, size_t len, pk_index_scan_fn fn, void *ctx,
		   struct pk_index_scan_info *info, struct pk_error *err);

#endif
