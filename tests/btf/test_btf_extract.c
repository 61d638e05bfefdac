/* Unit tests for BTF extraction and the decompressors: every compression kind in a
 * fake bzImage, zboot and bare-compressed wrapper, the banner and file-name release,
 * and bad input of every layer (each must fail with a message, never crash). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>

#include <bpf/btf.h>
#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "btf/btf_extract.h"
#include "btf/decompress.h"
#include "common/pk.h"
#include "unit.h"

static struct pk_error perr;	/* the last failure's reason, for messages */

static void *make_btf(size_t *len)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	void *copy;
	__u32 n;
	int id, i;

	id = btf__add_int(b, "int", 4, BTF_INT_SIGNED);
	btf__add_struct(b, "task_struct", 8);
	btf__add_field(b, "pid", id, 0, 0);
	btf__add_field(b, "tgid", id, 32, 0);
	for (i = 0; i < 200; i++) {
		char name[32];

		snprintf(name, sizeof(name), "typedef_%d", i);
		btf__add_typedef(b, name, id);
	}
	raw = btf__raw_data(b, &n);
	copy = malloc(n);
	memcpy(copy, raw, n);
	*len = n;
	btf__free(b);
	return copy;
}

/* a fake "vmlinux": not an ELF, so extraction scans for the BTF header (arm64 Image
 * style), with a banner in front */
static void *make_flat(size_t *len)
{
	static const char banner[] = "\0\0Linux version 6.99.1-test-amd64 (builder@example) (gcc 12) #1 SMP\0";
	size_t bl, n;
	void *btf = make_btf(&bl);
	unsigned char *p;

	n = 4096 + sizeof(banner) + bl + 4096;
	p = calloc(1, n);
	memset(p, 0x90, 4096);
	memcpy(p + 4096, banner, sizeof(banner));
	memcpy(p + 4096 + sizeof(banner), btf, bl);
	free(btf);
	*len = n;
	return p;
}

static size_t pack_with(enum pk_comp c, const void *in, size_t n, unsigned char *out, size_t cap)
{
	switch (c) {
	case PK_COMP_GZIP: {
		z_stream z = { 0 };

		deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
		z.next_in = (void *)in;
		z.avail_in = n;
		z.next_out = out;
		z.avail_out = cap;
		deflate(&z, Z_FINISH);
		n = z.total_out;
		deflateEnd(&z);
		return n;
	}
	case PK_COMP_XZ: {
		size_t pos = 0;

		lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, n, out, &pos, cap);
		return pos;
	}
	case PK_COMP_LZMA: {
		lzma_stream s = LZMA_STREAM_INIT;
		lzma_options_lzma o;
		size_t r;

		lzma_lzma_preset(&o, 6);
		if (lzma_alone_encoder(&s, &o) != LZMA_OK)
			return 0;
		s.next_in = in;
		s.avail_in = n;
		s.next_out = out;
		s.avail_out = cap;
		r = lzma_code(&s, LZMA_FINISH) == LZMA_STREAM_END ? s.total_out : 0;
		lzma_end(&s);
		return r;
	}
	case PK_COMP_BZIP2: {
		unsigned int olen = cap;

		BZ2_bzBuffToBuffCompress((char *)out, &olen, (char *)in, n, 9, 0, 0);
		return olen;
	}
	case PK_COMP_LZ4: {	/* legacy frame + the kernel's appended size */
		int r;

		memcpy(out, "\x02\x21\x4c\x18", 4);
		r = LZ4_compress_default(in, (char *)out + 8, n, cap - 12);
		out[4] = r;
		out[5] = r >> 8;
		out[6] = r >> 16;
		out[7] = r >> 24;
		memcpy(out + 8 + r, &n, 4);
		return 8 + r + 4;
	}
	case PK_COMP_ZSTD:
		return ZSTD_compress(out, cap, in, n, 3);
	default:
		return 0;
	}
}

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

/* setup header with payload_offset/length, like arch/x86/boot/header.S */
static unsigned char *wrap_bzimage(const unsigned char *payload, size_t plen, size_t *len)
{
	size_t setup = (4 + 1) * 512, n = setup + 256 + plen;
	unsigned char *p = calloc(1, n);

	p[0x1f1] = 4;
	memcpy(p + 0x202, "HdrS", 4);
	p[0x206] = 0x0f;
	p[0x207] = 0x02;	/* protocol 2.15 */
	wr32(p + 0x248, 256);
	wr32(p + 0x24c, plen);
	memcpy(p + setup + 256, payload, plen);
	*len = n;
	return p;
}

static unsigned char *wrap_zboot(const unsigned char *payload, size_t plen, const char *cname, size_t *len)
{
	size_t n = 512 + plen;
	unsigned char *p = calloc(1, n);

	memcpy(p, "MZ", 2);
	memcpy(p + 4, "zimg", 4);
	wr32(p + 8, 512);
	wr32(p + 12, plen);
	strcpy((char *)p + 24, cname);
	memcpy(p + 512, payload, plen);
	*len = n;
	return p;
}

/* random-ish noise in front, so only the magic scan finds the payload */
static unsigned char *wrap_noise(const unsigned char *payload, size_t plen, size_t *len)
{
	size_t n = 3000 + plen, i;
	unsigned char *p = malloc(n);

	for (i = 0; i < 3000; i++)
		p[i] = (i * 7 + 3) & 0x7f;
	memcpy(p + 3000, payload, plen);
	*len = n;
	return p;
}

static void test_decompress_all(void)
{
	size_t fl, bl;
	unsigned char *flat = make_flat(&fl);
	void *btf = make_btf(&bl);
	unsigned char *c = malloc(fl * 2 + 1024);
	int k;

	for (k = PK_COMP_GZIP; k < PK_COMP__MAX; k++) {
		char name[64];
		size_t cl = pack_with(k, flat, fl, c, fl * 2 + 1024), wl, ol;
		unsigned char *w;
		void *out;
		struct pk_btf_extract_info info;
		int err;

		snprintf(name, sizeof(name), "decompress %s", pk_comp__name(k));
		CHECK(name, cl > 0, "compressor failed");
		CHECK_INT(name, pk_comp__detect(c, cl), k);
		err = pk_comp__decompress(k, c, cl, &out, &ol, 0, NULL);
		CHECK(name, err == 0 && ol == fl && !memcmp(out, flat, fl), "err %d, %zu bytes", err, ol);
		free(out);
		/* truncated stream, and a cap below the output */
		err = pk_comp__decompress(k, c, cl / 2, &out, &ol, 0, NULL);
		CHECK(name, err == -EBADMSG, "truncated: %d", err);
		CHECK_INT(name, pk_comp__decompress(k, c, cl, &out, &ol, fl / 2, NULL), -EFBIG);
		PASS(name);

		snprintf(name, sizeof(name), "bzImage with %s payload", pk_comp__name(k));
		w = wrap_bzimage(c, cl, &wl);
		err = pk_btf_extract__mem(w, wl, "vmlinuz-1.2.3-name", &out, &ol, NULL, &info, &perr);
		CHECK(name, err == 0, "%s", perr.msg);
		CHECK(name, ol == bl && !memcmp(out, btf, bl), "BTF differs");
		CHECK_INT(name, info.comp, k);
		CHECK_STR(name, info.image_format, "bzImage");
		CHECK_STR(name, info.release, "6.99.1-test-amd64");
		CHECK_STR(name, info.release_from, "banner");
		free(out);
		/* payload cut short: a clear error */
		wr32(w + 0x24c, cl / 2);
		err = pk_btf_extract__mem(w, wl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK(name, err < 0 && strstr(perr.msg, "corrupt or truncated"), "err %d '%s'", err, perr.msg);
		wr32(w + 0x248, 1U << 30);
		err = pk_btf_extract__mem(w, wl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK(name, err < 0 && strstr(perr.msg, "outside"), "err %d '%s'", err, perr.msg);
		free(w);
		PASS(name);

		snprintf(name, sizeof(name), "zboot with %s payload", pk_comp__name(k));
		w = wrap_zboot(c, cl, pk_comp__name(k), &wl);
		err = pk_btf_extract__mem(w, wl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK(name, err == 0 && ol == bl, "%s", perr.msg);
		free(out);
		free(w);
		PASS(name);

		snprintf(name, sizeof(name), "scanned image with %s payload", pk_comp__name(k));
		w = wrap_noise(c, cl, &wl);
		err = pk_btf_extract__mem(w, wl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK(name, err == 0 && ol == bl, "%s", perr.msg);
		CHECK_STR(name, info.release, "6.99.1-test-amd64");
		free(out);
		free(w);
		PASS(name);
	}
	free(c);
	free(flat);
	free(btf);
}

static void test_raw_and_bad(void)
{
	size_t bl, ol;
	unsigned char *btf = make_btf(&bl), junk[4096];
	void *out;
	struct pk_btf_extract_info info;
	int err;

	err = pk_btf_extract__mem(btf, bl, "/x/vmlinux-5.4.0-42-generic", &out, &ol, NULL, &info, &perr);
	CHECK("raw BTF", err == 0 && ol == bl && !memcmp(out, btf, bl), "%s", perr.msg);
	CHECK_STR("raw BTF", pk_btf_input__str(info.kind), "raw");
	CHECK_STR("raw BTF", info.release, "5.4.0-42-generic");
	CHECK_STR("raw BTF", info.release_from, "file name");
	CHECK("raw BTF", info.btf_types == 202, "%u types", info.btf_types);
	free(out);
	PASS("raw BTF");

	err = pk_btf_extract__mem(btf, bl - 7, NULL, &out, &ol, NULL, &info, &perr);
	CHECK("truncated BTF rejected", err == -EBADMSG && strstr(perr.msg, "not valid BTF"), "%d %s", err, perr.msg);
	PASS("truncated BTF rejected");
	btf[8] ^= 0xff;	/* type_off */
	err = pk_btf_extract__mem(btf, bl, NULL, &out, &ol, NULL, &info, &perr);
	CHECK("corrupt BTF header rejected", err == -EBADMSG, "%d %s", err, perr.msg);
	PASS("corrupt BTF header rejected");

	memset(junk, 0x41, sizeof(junk));
	err = pk_btf_extract__mem(junk, sizeof(junk), NULL, &out, &ol, NULL, &info, &perr);
	CHECK("garbage rejected", err < 0 && strstr(perr.msg, "unrecognised input"), "%s", perr.msg);
	PASS("garbage rejected");
	err = pk_btf_extract__mem(junk, 2, NULL, &out, &ol, NULL, &info, &perr);
	CHECK("tiny input rejected", err < 0 && strstr(perr.msg, "too short"), "%s", perr.msg);
	PASS("tiny input rejected");

	/* an ELF header that lies */
	memset(junk, 0, sizeof(junk));
	memcpy(junk, "\x7f" "ELF\x02\x01\x01", 7);
	junk[0x3c] = 0xff;	/* e_shnum */
	junk[0x28] = 0xf0;	/* e_shoff */
	err = pk_btf_extract__mem(junk, 256, NULL, &out, &ol, NULL, &info, &perr);
	CHECK("corrupt ELF rejected", err < 0 && perr.msg[0], "%d", err);
	PASS("corrupt ELF rejected");

	/* a compressed stream whose content is garbage, and corrupt compressed data */
	{
		unsigned char c[8192];
		size_t cl = ZSTD_compress(c, sizeof(c), junk, sizeof(junk), 3);

		err = pk_btf_extract__mem(c, cl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK("compressed garbage rejected", err < 0 && perr.msg[0], "%d", err);
		memset(c + 4, 0xee, 16);
		err = pk_btf_extract__mem(c, cl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK("corrupt compression rejected", err < 0 && perr.msg[0], "%d", err);
		PASS("compressed garbage rejected");
		PASS("corrupt compression rejected");
	}

	/* bzImage with an lzo or unknown payload */
	{
		unsigned char pl[64] = { 0x89, 'L', 'Z', 'O' };
		size_t wl;
		unsigned char *w = wrap_bzimage(pl, sizeof(pl), &wl);

		err = pk_btf_extract__mem(w, wl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK("unknown compression rejected", err == -ENOTSUP && strstr(perr.msg, "lzo"), "%s", perr.msg);
		w[5 * 512 + 256] = 0x77;
		err = pk_btf_extract__mem(w, wl, NULL, &out, &ol, NULL, &info, &perr);
		CHECK("unknown compression rejected", err == -ENOTSUP && strstr(perr.msg, "unknown compression"), "%s", perr.msg);
		free(w);
		PASS("unknown compression rejected");
	}
	free(btf);
}

static void test_banner(void)
{
	static const char s1[] = "xx Linux version %s (%s) yy Linux version 5.10.0-32-amd64 (debian-kernel@lists.debian.org) (gcc)";
	static const char s2[] = "Linux version 6.1.0 ";
	char rel[64];

	CHECK_INT("banner", pk_btf_extract__find_banner(s1, sizeof(s1) - 1, rel, sizeof(rel)), 0);
	CHECK_STR("banner", rel, "5.10.0-32-amd64");
	CHECK_INT("banner", pk_btf_extract__find_banner(s2, sizeof(s2) - 1, rel, sizeof(rel)), -ENOENT);
	CHECK_INT("banner", pk_btf_extract__find_banner(s1, 20, rel, sizeof(rel)), -ENOENT);
	PASS("banner");
}

static void test_file_names(void)
{
	static const struct { const char *name, *rel; } cases[] = {
		{ "/var/cache/linux-image-6.1.0-50-amd64_6.1.176-1_amd64.deb", "6.1.0-50-amd64" },
		{ "linux-image-6.12.107+deb13-amd64-unsigned_6.12.107-1_amd64.deb", "6.12.107+deb13-amd64" },
		{ "./lib/modules/5.14.0-362.el9.x86_64/vmlinuz", "5.14.0-362.el9.x86_64" },
		{ "kernel-core-5.14.0-362.el9.x86_64.rpm", "5.14.0-362.el9.x86_64" },
		{ "./boot/vmlinuz-4.19.0-17-amd64", "4.19.0-17-amd64" },
		{ "something.btf", "" },
	};
	size_t bl, ol, i;
	void *btf = make_btf(&bl), *out;
	struct pk_btf_extract_info info;

	for (i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		CHECK("release from file name", pk_btf_extract__mem(btf, bl, cases[i].name, &out, &ol, NULL, &info, &perr) == 0, "%s", perr.msg);
		free(out);
		CHECK_STR("release from file name", info.release, cases[i].rel);
	}
	free(btf);
	PASS("release from file name");
}

/* A header may name a dictionary or window far larger than any output we take;
 * liblzma allocates what the header names, so the decoder must refuse it under the
 * output cap instead (the fuzz smoke found a 2 GiB malloc from 13 bytes). */
static void test_huge_dictionary(void)
{
	const char *t = "lzma/xz header naming a 2 GiB dictionary is refused, not allocated";
	/* .lzma: props 0x5d, dictionary 2^31, size unknown, then junk */
	static const unsigned char lzma_2g[] = { 0x5d, 0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff,
						  0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x10, 0x20,
						  0x30, 0x40, 0x50, 0x60 };
	struct pk_error e = { 0 };
	void *out = NULL;
	size_t ol = 0;

	CHECK_INT(t, pk_comp__detect(lzma_2g, sizeof(lzma_2g)), PK_COMP_LZMA);
	CHECK_INT(t, pk_comp__decompress(PK_COMP_LZMA, lzma_2g, sizeof(lzma_2g), &out, &ol, 1 << 20, &e),
		  -EFBIG);
	CHECK(t, !out, "no output on failure");
	PASS(t);
}

int main(void)
{
	test_decompress_all();
	test_huge_dictionary();
	test_raw_and_bad();
	test_banner();
	test_file_names();
	return UNIT_EXIT();
}
