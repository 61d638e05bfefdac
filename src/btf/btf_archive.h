/* The reduced-BTF archive: one file of BTF blobs keyed by (os-release ID, VERSION_ID,
 * arch, kernel release), identical blobs stored once, zstd-compressed in groups behind
 * a small sorted index, so a lookup decompresses the index and one group only.
 * Format: docs/btf-archive.md. Readers treat every byte as untrusted. */
#ifndef PK_BTF_ARCHIVE_H
#define PK_BTF_ARCHIVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

#define PK_BTF_ARCHIVE_MAGIC "PKBTFARC"
#define PK_BTF_ARCHIVE_VERSION 1
#define PK_BTF_ARCHIVE_KEY_MAX 255	/* bytes per key field */

struct pk_btf_archive;

/* Open an archive in memory. data is borrowed and must outlive the archive (the agent
 * passes the copy linked into its binary). Verifies the header and index checksums
 * and every index offset; on failure returns NULL, sets errno (EBADMSG corrupt,
 * EPROTO wrong version, ENOMEM) and writes the reason into err (may be NULL). */
struct pk_btf_archive *pk_btf_archive__open_mem(const void *data, size_t len, struct pk_error *err);
/* the same on a file (read into memory, owned by the archive) */
struct pk_btf_archive *pk_btf_archive__open_file(const char *path, struct pk_error *err);
void pk_btf_archive__free(struct pk_btf_archive *a);	/* NULL is fine */

struct pk_btf_archive_entry {
	const char *os_id;	/* these point into the archive; valid until __free */
	const char *version_id;
	const char *arch;
	const char *release;
	size_t size;		/* BTF bytes */
	unsigned int blob;	/* entries with the same blob share one stored BTF */
	uint64_t hash;		/* FNV-1a 64 of the BTF */
};

size_t pk_btf_archive__entry_cnt(const struct pk_btf_archive *a);
size_t pk_btf_archive__blob_cnt(const struct pk_btf_archive *a);
/* entries are sorted by (os_id, version_id, arch, release), byte-wise; -ERANGE past the end */
int pk_btf_archive__entry(const struct pk_btf_archive *a, size_t i, struct pk_btf_archive_entry *e);

/* Exact match only. *btf is a malloc'd copy (free() it). -ENOENT when absent,
 * -EBADMSG when the stored data fails its checksum or does not decompress (err
 * says which; -ENOENT sets no message: a miss is not a failure). */
int pk_btf_archive__find(struct pk_btf_archive *a, const char *os_id, const char *version_id,
			 const char *arch, const char *release, void **btf, size_t *len,
			 struct pk_error *err);
/* the same by entry index */
int pk_btf_archive__get(struct pk_btf_archive *a, size_t i, void **btf, size_t *len,
			struct pk_error *err);

/* Near misses: entries with the same os_id, version_id and arch but another release
 * (to report, never to use). Fills idx[0..max) with entry indexes in release order and
 * returns how many there are in total (may exceed max); negative errno on bad args. */
int pk_btf_archive__near_misses(const struct pk_btf_archive *a, const char *os_id,
				const char *version_id, const char *arch, const char *release,
				size_t *idx, size_t max);

/* decompress and check everything (data checksum, every group and blob); 0 or
 * -EBADMSG with err saying what failed */
int pk_btf_archive__verify(struct pk_btf_archive *a, struct pk_error *err);

struct pk_btf_archive_stats {
	size_t file_size, index_size, index_raw_size, data_size, blob_raw_size, group_cnt;
};
void pk_btf_archive__stats(const struct pk_btf_archive *a, struct pk_btf_archive_stats *st);

/* ---- writer ---- */

struct pk_btf_archive_writer_opts {
	size_t sz;
	int level;		/* zstd level, default 19 */
	size_t group_size;	/* uncompressed bytes per group, default PK_BTF_ARCHIVE_GROUP_DEFAULT */
};
/* a lookup decompresses at most one group (or one larger blob alone) */
#define PK_BTF_ARCHIVE_GROUP_DEFAULT (256UL << 10)
#define PK_BTF_ARCHIVE_WRITER_OPTS(name, ...) \
	struct pk_btf_archive_writer_opts name = { .sz = sizeof(struct pk_btf_archive_writer_opts), __VA_ARGS__ }

struct pk_btf_archive_writer;

struct pk_btf_archive_writer *pk_btf_archive_writer__new(const struct pk_btf_archive_writer_opts *opts);
void pk_btf_archive_writer__free(struct pk_btf_archive_writer *w);	/* NULL is fine */
/* Add one key. The BTF is copied and must parse (libbpf). Key fields: 1..255 bytes,
 * printable, no '/'. -EINVAL bad key or BTF, -EEXIST the key is there with other BTF
 * (the same key with the same BTF again is a no-op), -E2BIG too many; the reason
 * in err (may be NULL). */
int pk_btf_archive_writer__add(struct pk_btf_archive_writer *w, const char *os_id,
			       const char *version_id, const char *arch, const char *release,
			       const void *btf, size_t len, struct pk_error *err);
/* the archive bytes, malloc'd (free()); an empty writer gives a valid empty archive */
int pk_btf_archive_writer__finish(struct pk_btf_archive_writer *w, void **out, size_t *len,
				  struct pk_error *err);
size_t pk_btf_archive_writer__entry_cnt(const struct pk_btf_archive_writer *w);
size_t pk_btf_archive_writer__blob_cnt(const struct pk_btf_archive_writer *w);

/* a key field is acceptable (also used to validate archive contents) */
bool pk_btf_archive__key_ok(const char *s, size_t len);

#endif
