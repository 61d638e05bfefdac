/* Unit tests of the kernel image header reader (btf/kernel_image.h) and in-process
 * payload decompression (btf/decompress.h) on bzImage and zboot headers built here,
 * with real compressed payloads (zlib's gzip). Also: a decompressor whose library
 * cannot be loaded gives one message naming the library and its package. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <zlib.h>

#include "btf/decompress.h"
#include "btf/kernel_image.h"
#include "unit.h"

static void put16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }

static const char text[] = "\x7f" "ELF pretend vmlinux, repeated: pretend vmlinux pretend vmlinux";

/* gzip of text, malloc'd */
static unsigned char *gz(size_t *len)
{
	z_stream z = { 0 };
	unsigned char *out = malloc(256);

	deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
	z.next_in = (unsigned char *)text;
	z.avail_in = sizeof(text);
	z.next_out = out;
	z.avail_out = 256;
	deflate(&z, Z_FINISH);
	*len = z.total_out;
	deflateEnd(&z);
	return out;
}

/* setup_sects 4: the payload field counts from 5 * 512 */
static unsigned char *bzimage(const void *pl, size_t pl_len, uint16_t proto, size_t *len)
{
	unsigned char *p = calloc(1, 5 * 512 + 64 + pl_len + 4);

	p[0x1f1] = 4;
	memcpy(p + 0x202, "HdrS", 4);
	put16(p + 0x206, proto);
	put16(p + 0x20e, 0x300);
	p[0x211] = 1;
	memcpy(p + 0x500, "6.1.0-99-amd64 (test@unit) #1", 29);
	put32(p + 0x248, 64);
	put32(p + 0x24c, pl_len);
	memcpy(p + 5 * 512 + 64, pl, pl_len);
	*len = 5 * 512 + 64 + pl_len + 4;
	return p;
}

static void test_bzimage(void)
{
	const char *t = "kernel_image_bzimage";
	struct pk_error err = { 0 };
	struct pk_kernel_image img;
	size_t gl, len, pl_len, out_len;
	unsigned char *g = gz(&gl), *p = bzimage(g, gl, 0x20f, &len);
	const void *pl;
	void *out;

	CHECK_INT(t, pk_kernel_image__detect(p, len), PK_KERNEL_IMAGE_BZIMAGE);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, len, &err), 0);
	CHECK_INT(t, img.boot_version, 0x20f);
	CHECK(t, img.loadflags & 1, "loadflags");
	CHECK(t, img.version && !strncmp(img.version, "6.1.0-99-amd64 ", 15), "version string");
	CHECK(t, img.payload_ok && img.comp == PK_COMP_GZIP, "payload %d comp %d", img.payload_ok, img.comp);
	CHECK_INT(t, pk_kernel_image__payload(&img, &pl, &pl_len, &err), 0);
	CHECK(t, pl == p + 5 * 512 + 64 && pl_len == gl, "payload place");
	CHECK_INT(t, pk_kernel_image__decompress(&img, &out, &out_len, 0, &err), 0);
	CHECK(t, out_len == sizeof(text) && !memcmp(out, text, out_len), "decompressed payload differs");
	free(out);
	CHECK_INT(t, pk_kernel_image__decompress(&img, &out, &out_len, 10, &err), -EFBIG);
	CHECK_STR(t, err.msg, "bzImage payload: gzip data is larger than the size cap");

	/* payload length running past the file */
	put32(p + 0x24c, len);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, len, &err), 0);
	CHECK_INT(t, pk_kernel_image__payload(&img, &pl, &pl_len, &err), -EBADMSG);
	CHECK(t, strstr(err.msg, "bzImage payload (offset 2624, length") && strstr(err.msg, "lies outside"),
	      "'%s'", err.msg);
	put32(p + 0x248, 0xffffffff);	/* offset past the end, in 64-bit arithmetic */
	put32(p + 0x24c, 0xffffffff);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, len, &err), 0);
	CHECK_INT(t, pk_kernel_image__payload(&img, &pl, &pl_len, &err), -EBADMSG);
	free(p);

	/* boot protocol before 2.08 names no payload */
	p = bzimage(g, gl, 0x202, &len);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, len, &err), 0);
	CHECK_INT(t, pk_kernel_image__payload(&img, &pl, &pl_len, &err), -ENOTSUP);
	CHECK_STR(t, err.msg, "bzImage boot protocol 2.02 is older than 2.08 (no payload fields)");
	free(p);

	/* lzo, and unknown */
	p = bzimage("\x89LZO\0\0\0\0", 8, 0x20f, &len);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, len, &err), 0);
	CHECK_INT(t, pk_kernel_image__payload(&img, &pl, &pl_len, &err), -ENOTSUP);
	CHECK_STR(t, err.msg, "bzImage payload is lzo-compressed, which is not supported");
	p[5 * 512 + 64] = 0x77;
	CHECK_INT(t, pk_kernel_image__parse(&img, p, len, &err), 0);
	CHECK_INT(t, pk_kernel_image__payload(&img, &pl, &pl_len, &err), -ENOTSUP);
	CHECK(t, strstr(err.msg, "unknown compression (starts 77 4c 5a 4f)"), "'%s'", err.msg);
	free(p);

	/* too short for the header: not an image */
	CHECK_INT(t, pk_kernel_image__parse(&img, "MZ", 2, &err), -ENOEXEC);
	CHECK(t, strstr(err.msg, "not a kernel image"), "'%s'", err.msg);
	free(g);
	PASS(t);
}

static void test_zboot(void)
{
	const char *t = "kernel_image_zboot";
	struct pk_error err = { 0 };
	struct pk_kernel_image img;
	size_t gl, out_len;
	unsigned char *g = gz(&gl), *p = calloc(1, 64 + gl);
	void *out;

	memcpy(p, "MZ", 2);
	memcpy(p + 4, "zimg", 4);
	put32(p + 8, 64);
	put32(p + 12, gl);
	memcpy(p + 24, "gzip", 4);
	memcpy(p + 64, g, gl);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, 64 + gl, &err), 0);
	CHECK_INT(t, img.format, PK_KERNEL_IMAGE_ZBOOT);
	CHECK_STR(t, img.zboot_comp, "gzip");
	CHECK_INT(t, pk_kernel_image__decompress(&img, &out, &out_len, 0, &err), 0);
	CHECK(t, out_len == sizeof(text) && !memcmp(out, text, out_len), "decompressed payload differs");
	free(out);
	put32(p + 12, gl + 1);
	CHECK_INT(t, pk_kernel_image__parse(&img, p, 64 + gl, &err), 0);
	CHECK_INT(t, pk_kernel_image__payload(&img, &(const void *){ 0 }, &(size_t){ 0 }, &err), -EBADMSG);
	CHECK(t, strstr(err.msg, "zboot payload (offset 64, size"), "'%s'", err.msg);
	free(p);
	free(g);
	PASS(t);
}

/* to a file, as verify hands the vmlinux to QEMU */
static void test_decompress_file(void)
{
	const char *t = "decompress_to_file";
	struct pk_error err = { 0 };
	char dir[] = "/tmp/pk-test-kimg.XXXXXX", path[64];
	size_t gl, n;
	unsigned char *g = gz(&gl);
	char *back;

	CHECK(t, mkdtemp(dir), "mkdtemp");
	snprintf(path, sizeof(path), "%s/vmlinux", dir);
	CHECK_INT(t, pk_comp__decompress_file(PK_COMP_GZIP, g, gl, path, 0, &err), 0);
	CHECK_INT(t, pk_file__read(path, &back, &n, 1 << 20), 0);
	CHECK(t, n == sizeof(text) && !memcmp(back, text, n), "file differs");
	free(back);
	unlink(path);
	g[gl / 2] ^= 0x55;
	CHECK(t, pk_comp__decompress_file(PK_COMP_GZIP, g, gl, path, 0, &err) == -EBADMSG &&
		 access(path, F_OK) != 0, "corrupt data wrote a file");
	CHECK_STR(t, err.msg, "gzip data is corrupt or truncated");
	rmdir(dir);
	free(g);
	PASS(t);
}

/* a library that cannot be loaded: one message, the same on every call */
static void test_missing_library(void)
{
	const char *t = "decompress_missing_library";
	struct pk_error err = { 0 };
	void *out;
	size_t out_len;

	/* bzip2 is not used earlier in this process: its loader has not run yet */
	setenv("PROBEKIT_LIBBZ2", "/nonexistent/libbz2.so.1.0", 1);
	CHECK_INT(t, pk_comp__available(PK_COMP_BZIP2, &err), -ELIBACC);
	CHECK(t, strstr(err.msg, "decompressing bzip2 needs libbz2 (Debian: libbz2-1.0): cannot load "
				 "/nonexistent/libbz2.so.1.0"), "'%s'", err.msg);
	CHECK_INT(t, pk_comp__decompress(PK_COMP_BZIP2, "BZh9", 4, &out, &out_len, 0, &err), -ELIBACC);
	CHECK(t, strstr(err.msg, "needs libbz2"), "'%s'", err.msg);
	/* the others load from their sonames */
	CHECK_INT(t, pk_comp__available(PK_COMP_XZ, &err), 0);
	CHECK_INT(t, pk_comp__available(PK_COMP_LZ4, &err), 0);
	CHECK_INT(t, pk_comp__available(PK_COMP_NONE, &err), -EINVAL);
	PASS(t);
}

int main(void)
{
	test_bzimage();
	test_zboot();
	test_decompress_file();
	test_missing_library();
	return UNIT_EXIT();
}
