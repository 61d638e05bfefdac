/* One-shot decompression of the formats kernel images use (gzip, xz, lzma, bzip2,
 * lz4 legacy frames, zstd), in process: the one place payloads are decompressed.
 * Input is untrusted: output is capped, nothing is printed. */
#ifndef PK_DECOMPRESS_H
#define PK_DECOMPRESS_H

/* Trailing bytes after the first stream are ignored. zlib and libzstd are linked
 * (the agent needs them); liblzma, libbz2 and liblz4 are loaded with dlopen on
 * first use (common/dl.h), so that the node agent does not link them. */

#include <stddef.h>

#include "common/pk.h"

enum pk_comp {
	PK_COMP_NONE,
	PK_COMP_GZIP,
	PK_COMP_XZ,
	PK_COMP_LZMA,
	PK_COMP_BZIP2,
	PK_COMP_LZ4,		/* lz4 legacy frame, as the kernel's build writes it */
	PK_COMP_ZSTD,
	PK_COMP__MAX,
};

const char *pk_comp__name(enum pk_comp c);
/* "gzip" -> PK_COMP_GZIP ("lz4" and "lzma" too); PK_COMP_NONE when unknown */
enum pk_comp pk_comp__from_name(const char *name);

/* the compression whose magic starts at buf, or PK_COMP_NONE */
enum pk_comp pk_comp__detect(const void *buf, size_t len);

/* Find the next compression magic at or after *off (the same magics the kernel's
 * scripts/extract-vmlinux looks for). Returns the kind and sets *off, or PK_COMP_NONE. */
enum pk_comp pk_comp__scan(const void *buf, size_t len, size_t *off);

/* 0 when kind c can be decompressed here (its library loads); -ELIBACC with err
 * "decompressing xz needs liblzma (Debian: liblzma5): cannot load liblzma.so.5: ..."
 * when the library is missing, -EINVAL for PK_COMP_NONE. */
int pk_comp__available(enum pk_comp c, struct pk_error *err);

/* Decompress the first stream of kind c at in[0..in_len). *out is malloc'd (free()).
 * max_out caps the output (0: 1 GiB). Returns 0, -EBADMSG for corrupt or truncated
 * data, -EFBIG past max_out, -ENOMEM, -ELIBACC when the library cannot be loaded,
 * -EINVAL for PK_COMP_NONE; err (may be NULL) gets e.g. "xz data is corrupt or
 * truncated", "xz data is larger than the size cap", "xz data is too large for
 * memory" or the library message. */
int pk_comp__decompress(enum pk_comp c, const void *in, size_t in_len, void **out, size_t *out_len,
			size_t max_out, struct pk_error *err);

/* The same into a file: decompress to memory, then write path atomically (mode
 * 0644, temp file + rename). For callers that hand the result to another program
 * (verify boots the ELF vmlinux with QEMU). err as above, or "cannot write 'p': ...". */
int pk_comp__decompress_file(enum pk_comp c, const void *in, size_t in_len, const char *path,
			     size_t max_out, struct pk_error *err);

/* xz (preset 6, CRC64) of in, deterministic; liblzma through dlopen as for
 * decompression. *out malloc'd. 0, -ELIBACC, -ENOMEM, -EIO. */
int pk_comp__compress_xz(const void *in, size_t in_len, void **out, size_t *out_len,
			 struct pk_error *err);

#endif
