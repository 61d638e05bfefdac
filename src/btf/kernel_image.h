/* The one reader of compressed kernel image headers: the x86 boot protocol's
 * setup header (bzImage, 'HdrS' at 0x202) and the EFI zboot header (arm64,
 * riscv, loongarch vmlinuz: "MZ" ... "zimg"), used by btf extract and verify. It
 * locates the compressed payload and decompresses it in process (decompress.h).
 * Input is untrusted: every offset is checked; never prints. */
#ifndef PK_KERNEL_IMAGE_H
#define PK_KERNEL_IMAGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "btf/decompress.h"
#include "common/pk.h"

/* smallest buffer that can hold a bzImage setup header up to the payload fields */
#define PK_BZIMAGE_HDR_END 0x250
/* zboot header: "MZ", pad, "zimg", payload offset, size, pad, comp name[32] */
#define PK_ZBOOT_HDR_END 56

enum pk_kernel_image_format {
	PK_KERNEL_IMAGE_NONE,
	PK_KERNEL_IMAGE_BZIMAGE,	/* x86 boot protocol image */
	PK_KERNEL_IMAGE_ZBOOT,		/* EFI zboot */
};

/* "bzImage", "zboot", "none" */
const char *pk_kernel_image_format__str(enum pk_kernel_image_format f);

/* What the header says; points into the caller's buffer (which must outlive it). */
struct pk_kernel_image {
	enum pk_kernel_image_format format;
	const unsigned char *data;
	size_t size;
	/* bzImage only */
	uint16_t boot_version;		/* boot protocol, 0x20f for 2.15 */
	uint8_t loadflags;		/* bit 0 LOADED_HIGH: a bzImage, not a zImage */
	uint32_t setup_size;		/* (setup_sects + 1) * 512, setup_sects 0 meaning 4 */
	const char *version;		/* kernel_version string ("6.1.0-9-amd64 (debian-kernel@...) #1 ..."),
					 * NOT NUL-terminated: at most version_max bytes, read up to the
					 * first unprintable byte; NULL when the header has none */
	size_t version_max;
	/* zboot only */
	char zboot_comp[33];		/* the compression name the header gives, "gzip", ... */
	/* both: the payload as the header locates it. payload_ok is false when the
	 * header names no payload (boot protocol < 2.08) or it lies outside the buffer;
	 * pk_kernel_image__payload() then says why. */
	uint64_t payload_offset;	/* from the start of the file */
	uint64_t payload_size;
	bool payload_ok;
	enum pk_comp comp;		/* from the payload's magic; PK_COMP_NONE when unknown */
};

/* Which header data starts with (cheap: checks magics only). */
enum pk_kernel_image_format pk_kernel_image__detect(const void *data, size_t size);

/* Read the header. 0 when data is a bzImage or zboot image, even one whose payload
 * cannot be used (see payload_ok); -ENOEXEC with err "not a kernel image: no x86
 * boot header ('HdrS' at 0x202) and no EFI zboot header" otherwise. */
int pk_kernel_image__parse(struct pk_kernel_image *img, const void *data, size_t size,
			   struct pk_error *err);

/* The compressed payload: *payload, *len inside the buffer and its compression.
 * 0; -ENOTSUP (err: "bzImage boot protocol 2.02 is older than 2.08 (no payload
 * fields)", "bzImage payload is lzo-compressed, which is not supported", "...
 * unknown compression (starts 89 4c 5a 4f)", "zboot payload has an unsupported
 * compression 'lzo'"); -EBADMSG (err: "bzImage payload (offset O, length L) lies
 * outside the N-byte file"). */
int pk_kernel_image__payload(const struct pk_kernel_image *img, const void **payload, size_t *len,
			     struct pk_error *err);

/* Decompress the payload in process into a malloc'd buffer (*out, free() it);
 * max_out caps the output (0: 1 GiB). 0 or a negative errno with err set (as
 * pk_kernel_image__payload, or as pk_comp__decompress with the prefix
 * "bzImage payload: " / "zboot payload: "). */
int pk_kernel_image__decompress(const struct pk_kernel_image *img, void **out, size_t *out_len,
				size_t max_out, struct pk_error *err);

#endif
