/* One-shot decompression of the formats kernel images use (gzip, xz, lzma, bzip2,
 * lz4 legacy frames, zstd) into a growable buffer. Input is untrusted: output is
 * capped, trailing bytes after the first stream are ignored, nothing is printed. */
#ifndef PK_DECOMPRESS_H
#define PK_DECOMPRESS_H

#include <stddef.h>

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

/* Decompress the first stream of kind c at in[0..in_len). *out is malloc'd (free()).
 * max_out caps the output (0: 1 GiB). Returns 0, -EBADMSG for corrupt or truncated
 * data, -EFBIG past max_out, -ENOMEM, -EINVAL for PK_COMP_NONE. */
int pk_comp__decompress(enum pk_comp c, const void *in, size_t in_len, void **out, size_t *out_len,
		  size_t max_out);

#endif
