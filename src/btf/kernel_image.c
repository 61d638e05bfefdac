/* bzImage and EFI zboot headers (see kernel_image.h). Offsets come from the x86
 * boot protocol (Documentation/arch/x86/boot.rst) and from the kernel's
 * drivers/firmware/efi/libstub/zboot-header.S; all reads are bounds-checked. */
#include <errno.h>
#include <string.h>

#include "btf/kernel_image.h"
#include "common/bytes.h"

/* x86 setup header fields (offsets from the start of the file) */
#define BZ_SETUP_SECTS 0x1f1
#define BZ_MAGIC 0x202		/* "HdrS" */
#define BZ_VERSION 0x206
#define BZ_KERNEL_VERSION 0x20e	/* offset of the version string, minus 0x200 */
#define BZ_LOADFLAGS 0x211
#define BZ_PAYLOAD_OFFSET 0x248	/* from the protected-mode code, protocol 2.08+ */
#define BZ_PAYLOAD_LENGTH 0x24c

/* zboot header */
#define ZB_PAYLOAD_OFFSET 8
#define ZB_PAYLOAD_SIZE 12
#define ZB_COMP_NAME 24

const char *pk_kernel_image_format__str(enum pk_kernel_image_format f)
{
	switch (f) {
	case PK_KERNEL_IMAGE_BZIMAGE: return "bzImage";
	case PK_KERNEL_IMAGE_ZBOOT: return "zboot";
	default: return "none";
	}
}

enum pk_kernel_image_format pk_kernel_image__detect(const void *data, size_t size)
{
	const unsigned char *p = data;

	if (!data)
		return PK_KERNEL_IMAGE_NONE;
	if (size >= PK_BZIMAGE_HDR_END && !memcmp(p + BZ_MAGIC, "HdrS", 4))
		return PK_KERNEL_IMAGE_BZIMAGE;
	if (size >= 64 && p[0] == 'M' && p[1] == 'Z' && !memcmp(p + 4, "zimg", 4))
		return PK_KERNEL_IMAGE_ZBOOT;
	return PK_KERNEL_IMAGE_NONE;
}

static void parse_bzimage(struct pk_kernel_image *img, const unsigned char *p, size_t size)
{
	uint16_t voff = pk_le16(p + BZ_KERNEL_VERSION);
	uint64_t off, len;

	img->boot_version = pk_le16(p + BZ_VERSION);
	img->loadflags = p[BZ_LOADFLAGS];
	img->setup_size = ((uint32_t)(p[BZ_SETUP_SECTS] ? p[BZ_SETUP_SECTS] : 4) + 1) * 512;
	if (voff && 0x200ull + voff < size) {
		img->version = (const char *)p + 0x200 + voff;
		img->version_max = size - 0x200 - voff;
	}
	if (img->boot_version < 0x208)
		return;
	off = img->setup_size + (uint64_t)pk_le32(p + BZ_PAYLOAD_OFFSET);
	len = pk_le32(p + BZ_PAYLOAD_LENGTH);
	img->payload_offset = off;
	img->payload_size = len;
	img->payload_ok = off < size && len <= size - off && len >= 4;
}

static void parse_zboot(struct pk_kernel_image *img, const unsigned char *p, size_t size)
{
	uint64_t off = pk_le32(p + ZB_PAYLOAD_OFFSET), len = pk_le32(p + ZB_PAYLOAD_SIZE);

	memcpy(img->zboot_comp, p + ZB_COMP_NAME, 32);
	img->zboot_comp[32] = 0;
	img->payload_offset = off;
	img->payload_size = len;
	img->payload_ok = off < size && len <= size - off;
}

int pk_kernel_image__parse(struct pk_kernel_image *img, const void *data, size_t size,
			   struct pk_error *err)
{
	memset(img, 0, sizeof(*img));
	img->format = pk_kernel_image__detect(data, size);
	img->data = data;
	img->size = size;
	switch (img->format) {
	case PK_KERNEL_IMAGE_BZIMAGE:
		parse_bzimage(img, data, size);
		break;
	case PK_KERNEL_IMAGE_ZBOOT:
		parse_zboot(img, data, size);
		break;
	default:
		return pk_error__set(err, -ENOEXEC, "not a kernel image: no x86 boot header ('HdrS' at 0x202) "
						    "and no EFI zboot header");
	}
	if (img->payload_ok)
		img->comp = pk_comp__detect(img->data + img->payload_offset, img->payload_size);
	return 0;
}

int pk_kernel_image__payload(const struct pk_kernel_image *img, const void **payload, size_t *len,
			     struct pk_error *err)
{
	const unsigned char *p = img->data + img->payload_offset;
	const char *fmt = pk_kernel_image_format__str(img->format);

	*payload = NULL;
	*len = 0;
	if (img->format == PK_KERNEL_IMAGE_NONE)
		return pk_error__set(err, -EINVAL, "not a kernel image");
	if (img->format == PK_KERNEL_IMAGE_BZIMAGE && img->boot_version < 0x208)
		return pk_error__set(err, -ENOTSUP,
				     "bzImage boot protocol %u.%02u is older than 2.08 (no payload fields)",
				     img->boot_version >> 8, img->boot_version & 0xff);
	if (!img->payload_ok) {
		if (img->format == PK_KERNEL_IMAGE_ZBOOT)
			return pk_error__set(err, -EBADMSG,
					     "zboot payload (offset %llu, size %llu) lies outside the %zu-byte file",
					     (unsigned long long)img->payload_offset,
					     (unsigned long long)img->payload_size, img->size);
		return pk_error__set(err, -EBADMSG,
				     "bzImage payload (offset %llu, length %llu) lies outside the %zu-byte file",
				     (unsigned long long)img->payload_offset,
				     (unsigned long long)img->payload_size, img->size);
	}
	if (img->comp == PK_COMP_NONE) {
		if (img->format == PK_KERNEL_IMAGE_ZBOOT)
			return pk_error__set(err, -ENOTSUP, "zboot payload has an unsupported compression '%s'",
					     img->zboot_comp);
		if (img->payload_size >= 3 && p[0] == 0x89 && p[1] == 'L' && p[2] == 'Z')
			return pk_error__set(err, -ENOTSUP, "%s payload is lzo-compressed, which is not supported",
					     fmt);
		return pk_error__set(err, -ENOTSUP,
				     "%s payload has an unknown compression (starts %02x %02x %02x %02x)",
				     fmt, p[0], p[1], p[2], p[3]);
	}
	*payload = p;
	*len = img->payload_size;
	return 0;
}

int pk_kernel_image__decompress(const struct pk_kernel_image *img, void **out, size_t *out_len,
				size_t max_out, struct pk_error *err)
{
	struct pk_error why = { 0 };
	const void *payload;
	size_t len;
	int r;

	*out = NULL;
	*out_len = 0;
	r = pk_kernel_image__payload(img, &payload, &len, err);
	if (r)
		return r;
	r = pk_comp__decompress(img->comp, payload, len, out, out_len, max_out, &why);
	if (r)
		return pk_error__set(err, r, "%s payload: %s", pk_kernel_image_format__str(img->format),
				     pk_error__str(&why));
	return 0;
}
