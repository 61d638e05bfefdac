/* Decompressors for kernel image payloads. Each reads exactly one stream from an
 * untrusted buffer into a capped, growable output; none of them prints. zlib and
 * zstd are linked; liblzma, libbz2 and liblz4 come through dlopen (common/dl.h). */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bzlib.h>
#include <lz4.h>
#include <lzma.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include "btf/decompress.h"
#include "common/dl.h"
#include "common/bytes.h"

#define DEFAULT_MAX_OUT (1UL << 30)
#define LZ4_LEGACY_MAGIC 0x184C2102U
#define LZ4_LEGACY_BLOCK (8U << 20)	/* legacy frames hold blocks of at most 8 MiB */

static const struct {
	const char *name;
	const unsigned char magic[6];
	size_t magic_len;
} comps[PK_COMP__MAX] = {
	[PK_COMP_NONE] = { "none", { 0 }, 0 },
	[PK_COMP_GZIP] = { "gzip", { 0x1f, 0x8b, 0x08 }, 3 },
	[PK_COMP_XZ] = { "xz", { 0xfd, '7', 'z', 'X', 'Z', 0x00 }, 6 },
	[PK_COMP_LZMA] = { "lzma", { 0 }, 0 },	/* checked by pk_comp__detect */
	[PK_COMP_BZIP2] = { "bzip2", { 'B', 'Z', 'h' }, 3 },
	[PK_COMP_LZ4] = { "lz4", { 0x02, 0x21, 0x4c, 0x18 }, 4 },
	[PK_COMP_ZSTD] = { "zstd", { 0x28, 0xb5, 0x2f, 0xfd }, 4 },
};

/* liblzma, libbz2, liblz4: only `btf extract` of kernel images needs them */
static struct {
	__typeof__(&lzma_stream_decoder) stream_decoder;
	__typeof__(&lzma_alone_decoder) alone_decoder;
	__typeof__(&lzma_code) code;
	__typeof__(&lzma_end) end;
	__typeof__(&lzma_easy_buffer_encode) easy_buffer_encode;
	__typeof__(&lzma_stream_buffer_bound) stream_buffer_bound;
} lzma;
static const struct pk_dl_sym lzma_syms[] = {
	PK_DL_SYM(__typeof__(lzma), stream_decoder, lzma_stream_decoder),
	PK_DL_SYM(__typeof__(lzma), alone_decoder, lzma_alone_decoder),
	PK_DL_SYM(__typeof__(lzma), code, lzma_code),
	PK_DL_SYM(__typeof__(lzma), end, lzma_end),
	PK_DL_SYM(__typeof__(lzma), easy_buffer_encode, lzma_easy_buffer_encode),
	PK_DL_SYM(__typeof__(lzma), stream_buffer_bound, lzma_stream_buffer_bound),
};

static struct {
	__typeof__(&BZ2_bzDecompressInit) init;
	__typeof__(&BZ2_bzDecompress) decompress;
	__typeof__(&BZ2_bzDecompressEnd) end;
} bz2;
static const struct pk_dl_sym bz2_syms[] = {
	PK_DL_SYM(__typeof__(bz2), init, BZ2_bzDecompressInit),
	PK_DL_SYM(__typeof__(bz2), decompress, BZ2_bzDecompress),
	PK_DL_SYM(__typeof__(bz2), end, BZ2_bzDecompressEnd),
};

static struct {
	__typeof__(&LZ4_decompress_safe) decompress_safe;
} lz4;
static const struct pk_dl_sym lz4_syms[] = {
	PK_DL_SYM(__typeof__(lz4), decompress_safe, LZ4_decompress_safe),
};

/* one entry (one table, one lock) per library: xz and lzma both use dl_lzma */
#define DL(l, pkg, so, env_, tbl) { .lib = l, .package = pkg, \
	.soname = so, .env = env_, .kind = l, .syms = tbl##_syms, .nr_syms = PK_ARRAY_SIZE(tbl##_syms), \
	.table = &tbl, PK_DL_INIT }
static struct pk_dl dl_lzma = DL("liblzma", "liblzma5", "liblzma.so.5", "PROBEKIT_LIBLZMA", lzma);
static struct pk_dl dl_bz2 = DL("libbz2", "libbz2-1.0", "libbz2.so.1.0", "PROBEKIT_LIBBZ2", bz2);
static struct pk_dl dl_lz4 = DL("liblz4", "liblz4-1", "liblz4.so.1", "PROBEKIT_LIBLZ4", lz4);
#undef DL

const char *pk_comp__name(enum pk_comp c)
{
	return (unsigned)c < PK_COMP__MAX ? comps[c].name : "unknown";
}

enum pk_comp pk_comp__from_name(const char *name)
{
	int c;

	for (c = PK_COMP_GZIP; c < PK_COMP__MAX; c++)
		if (!strcmp(name, comps[c].name))
			return c;
	if (!strcmp(name, "gz"))
		return PK_COMP_GZIP;
	if (!strcmp(name, "bz2"))
		return PK_COMP_BZIP2;
	if (!strcmp(name, "zst"))
		return PK_COMP_ZSTD;
	return PK_COMP_NONE;
}

enum pk_comp pk_comp__detect(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	int c;

	for (c = PK_COMP_GZIP; c < PK_COMP__MAX; c++)
		if (comps[c].magic_len && len >= comps[c].magic_len && !memcmp(p, comps[c].magic, comps[c].magic_len)) {
			/* "BZh" must be followed by a block size digit */
			if (c == PK_COMP_BZIP2 && (len < 4 || p[3] < '1' || p[3] > '9'))
				continue;
			return c;
		}
	/* .lzma: properties 0x5d (lc=3 lp=0 pb=2), then a dictionary size that is 2^n or
	 * 3*2^(n-1), then a 64-bit size that is unknown (all ones) or plausible */
	if (len >= 13 && p[0] == 0x5d) {
		uint32_t dict = p[1] | p[2] << 8 | p[3] << 16 | (uint32_t)p[4] << 24;
		uint32_t low = dict & -dict;
		int i, ones = 0;

		for (i = 5; i < 13; i++)
			ones += p[i] == 0xff;
		if (dict >= 4096 && (dict == low || dict == 3 * low) &&
		    (ones == 8 || (p[10] == 0 && p[11] == 0 && p[12] == 0)))
			return PK_COMP_LZMA;
	}
	return PK_COMP_NONE;
}

enum pk_comp pk_comp__scan(const void *buf, size_t len, size_t *off)
{
	const unsigned char *p = buf;
	size_t i;

	for (i = *off; i < len; i++) {
		enum pk_comp c;

		/* cheap first-byte filter before the full compare */
		switch (p[i]) {
		case 0x1f: case 0xfd: case 0x5d: case 'B': case 0x02: case 0x28:
			break;
		default:
			continue;
		}
		c = pk_comp__detect(p + i, len - i);
		if (c != PK_COMP_NONE) {
			*off = i;
			return c;
		}
	}
	return PK_COMP_NONE;
}

struct obuf {
	unsigned char *p;
	size_t len, cap, max;
};

/* make room for at least `need` more bytes */
static int obuf_grow(struct obuf *o, size_t need)
{
	size_t ncap;
	unsigned char *np;

	if (o->cap - o->len >= need)
		return 0;
	if (o->len + need > o->max || o->len + need < o->len)
		return -EFBIG;
	ncap = o->cap ? o->cap : 1 << 16;
	while (ncap - o->len < need)
		ncap *= 2;
	if (ncap > o->max)
		ncap = o->max;
	np = realloc(o->p, ncap);
	if (!np)
		return -ENOMEM;
	o->p = np;
	o->cap = ncap;
	return 0;
}

/* room for the next chunk: at least 64 KiB, or -EFBIG at the cap */
static int obuf_room(struct obuf *o)
{
	size_t want = o->cap - o->len;

	if (want >= 4096)
		return 0;
	want = o->cap < (1 << 16) ? 1 << 16 : o->cap;	/* double */
	if (want > o->max - o->len)
		want = o->max - o->len;
	if (!want)
		return -EFBIG;
	return obuf_grow(o, want);
}

static int do_gzip(const unsigned char *in, size_t in_len, struct obuf *o)
{
	z_stream z = { 0 };
	int ret, err = 0;

	if (inflateInit2(&z, 16 + MAX_WBITS) != Z_OK)
		return -ENOMEM;
	z.next_in = (unsigned char *)in;
	z.avail_in = in_len > UINT_MAX ? UINT_MAX : in_len;
	for (;;) {
		if ((err = obuf_room(o)))
			break;
		z.next_out = o->p + o->len;
		z.avail_out = (o->cap - o->len) > UINT_MAX ? UINT_MAX : o->cap - o->len;
		ret = inflate(&z, Z_NO_FLUSH);
		o->len = z.next_out - o->p;
		if (ret == Z_STREAM_END)
			break;
		if (ret == Z_MEM_ERROR) {
			err = -ENOMEM;
			break;
		}
		if (ret != Z_OK) {	/* data error, or Z_BUF_ERROR: input ran out */
			err = -EBADMSG;
			break;
		}
	}
	inflateEnd(&z);
	return err;
}

static int do_lzma(bool xz, const unsigned char *in, size_t in_len, struct obuf *o)
{
	/* the header names the dictionary, and liblzma allocates it: a dictionary
	 * larger than the output cap is never needed, so a crafted 2 GiB one is
	 * refused (-EFBIG, the size cap) instead of allocated, as zstd's window is */
	uint64_t memlimit = (uint64_t)o->max + (16u << 20);
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_ret ret;
	int err = 0;

	ret = xz ? lzma.stream_decoder(&s, memlimit, 0) : lzma.alone_decoder(&s, memlimit);
	if (ret != LZMA_OK)
		return -ENOMEM;
	s.next_in = in;
	s.avail_in = in_len;
	for (;;) {
		if ((err = obuf_room(o)))
			break;
		s.next_out = o->p + o->len;
		s.avail_out = o->cap - o->len;
		ret = lzma.code(&s, LZMA_FINISH);
		o->len = s.next_out - o->p;
		if (ret == LZMA_STREAM_END)
			break;
		if (ret == LZMA_MEM_ERROR) {
			err = -ENOMEM;
			break;
		}
		if (ret == LZMA_MEMLIMIT_ERROR) {
			err = -EFBIG;
			break;
		}
		if (ret != LZMA_OK) {
			err = -EBADMSG;
			break;
		}
	}
	lzma.end(&s);
	return err;
}

static int do_bzip2(const unsigned char *in, size_t in_len, struct obuf *o)
{
	bz_stream s = { 0 };
	int ret, err = 0;

	if (bz2.init(&s, 0, 0) != BZ_OK)
		return -ENOMEM;
	s.next_in = (char *)in;
	s.avail_in = in_len > UINT_MAX ? UINT_MAX : in_len;
	for (;;) {
		if ((err = obuf_room(o)))
			break;
		s.next_out = (char *)o->p + o->len;
		s.avail_out = (o->cap - o->len) > UINT_MAX ? UINT_MAX : o->cap - o->len;
		ret = bz2.decompress(&s);
		o->len = (unsigned char *)s.next_out - o->p;
		if (ret == BZ_STREAM_END)
			break;
		if (ret == BZ_MEM_ERROR) {
			err = -ENOMEM;
			break;
		}
		if (ret != BZ_OK || (s.avail_in == 0 && s.avail_out > 0)) {
			err = -EBADMSG;
			break;
		}
	}
	bz2.end(&s);
	return err;
}

/* Legacy frame: magic, then (le32 size, block)...; the kernel's build appends the
 * le32 uncompressed size, which reads as a block size larger than what is left. */
static int do_lz4(const unsigned char *in, size_t in_len, struct obuf *o)
{
	size_t pos = 4, blocks = 0;
	int err;

	while (in_len - pos >= 4) {
		uint32_t csize = pk_le32(in + pos);
		size_t room;
		int n;

		if (csize == LZ4_LEGACY_MAGIC) {	/* concatenated frame */
			pos += 4;
			continue;
		}
		if (csize == 0 || csize > in_len - pos - 4 ||
		    csize > (uint32_t)LZ4_COMPRESSBOUND(LZ4_LEGACY_BLOCK))
			break;
		if ((err = obuf_grow(o, LZ4_LEGACY_BLOCK)) && err != -EFBIG)
			return err;
		if (err) {	/* near the cap: allow only what is left */
			if (o->max - o->len == 0)
				return -EFBIG;
			if ((err = obuf_grow(o, o->max - o->len)))
				return err;
		}
		room = (o->cap - o->len) > LZ4_LEGACY_BLOCK ? LZ4_LEGACY_BLOCK : o->cap - o->len;
		n = lz4.decompress_safe((const char *)in + pos + 4, (char *)o->p + o->len, csize, room);
		if (n < 0)	/* with less room than a block, the cap is the likely reason */
			return room < LZ4_LEGACY_BLOCK ? -EFBIG : -EBADMSG;
		o->len += n;
		pos += 4 + csize;
		blocks++;
	}
	return blocks ? 0 : -EBADMSG;
}

static int do_zstd(const unsigned char *in, size_t in_len, struct obuf *o)
{
	ZSTD_DStream *d = ZSTD_createDStream();
	ZSTD_inBuffer ib = { in, in_len, 0 };
	unsigned int wlog = 10;	/* ZSTD_WINDOWLOG_ABSOLUTEMIN */
	size_t ret;
	int err = 0;

	if (!d)
		return -ENOMEM;
	/* kernel images are written with large windows (2^27 and more), but never one
	 * larger than the output cap: the frame header's window is untrusted, and zstd
	 * allocates it before reading a byte of data (fuzz_btf_archive found 2 GiB) */
	while (wlog < 31 && (1ULL << wlog) < o->max)
		wlog++;
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, wlog);
	for (;;) {
		ZSTD_outBuffer ob;

		if ((err = obuf_room(o)))
			break;
		ob.dst = o->p;
		ob.size = o->cap;
		ob.pos = o->len;
		ret = ZSTD_decompressStream(d, &ob, &ib);
		o->len = ob.pos;
		if (ZSTD_isError(ret)) {
			ZSTD_ErrorCode code = ZSTD_getErrorCode(ret);

			/* a window past the cap: the frame says it needs more than we allow */
			err = code == ZSTD_error_memory_allocation ? -ENOMEM
			      : code == ZSTD_error_frameParameter_windowTooLarge ? -EFBIG : -EBADMSG;
			break;
		}
		if (ret == 0)	/* end of the frame */
			break;
		if (ib.pos == ib.size && ob.pos < ob.size) {	/* truncated */
			err = -EBADMSG;
			break;
		}
	}
	ZSTD_freeDStream(d);
	return err;
}

/* the library kind c needs loaded, or NULL when it is linked */
static struct pk_dl *comp_dl(enum pk_comp c)
{
	switch (c) {
	case PK_COMP_XZ:
	case PK_COMP_LZMA: return &dl_lzma;
	case PK_COMP_BZIP2: return &dl_bz2;
	case PK_COMP_LZ4: return &dl_lz4;
	default: return NULL;
	}
}

int pk_comp__available(enum pk_comp c, struct pk_error *err)
{
	struct pk_error why = { 0 };
	struct pk_dl *dl;
	int r;

	if (c <= PK_COMP_NONE || c >= PK_COMP__MAX)
		return pk_error__set(err, -EINVAL, "no compression");
	dl = comp_dl(c);
	if (!dl)
		return 0;
	/* the name alone, so that a load that works formats nothing; "decompressing" on failure */
	r = pk_dl__load(dl, pk_comp__name(c), &why);
	if (r)
		return pk_error__set(err, r, "decompressing %s", why.msg);
	return 0;
}

int pk_comp__decompress(enum pk_comp c, const void *in, size_t in_len, void **out, size_t *out_len,
			size_t max_out, struct pk_error *e)
{
	struct obuf o = { .max = max_out ? max_out : DEFAULT_MAX_OUT };
	int err;

	*out = NULL;
	*out_len = 0;
	if (c <= PK_COMP_NONE || c >= PK_COMP__MAX)
		return pk_error__set(e, -EINVAL, "no compression");
	if (pk_comp__detect(in, in_len) != c)
		return pk_error__set(e, -EBADMSG, "%s data is corrupt or truncated", pk_comp__name(c));
	err = pk_comp__available(c, e);
	if (err)
		return err;
	switch (c) {
	case PK_COMP_GZIP: err = do_gzip(in, in_len, &o); break;
	case PK_COMP_XZ: err = do_lzma(true, in, in_len, &o); break;
	case PK_COMP_LZMA: err = do_lzma(false, in, in_len, &o); break;
	case PK_COMP_BZIP2: err = do_bzip2(in, in_len, &o); break;
	case PK_COMP_LZ4: err = do_lz4(in, in_len, &o); break;
	case PK_COMP_ZSTD: err = do_zstd(in, in_len, &o); break;
	default: return -EINVAL;
	}
	if (err) {
		free(o.p);
		return pk_error__set(e, err, "%s data is %s", pk_comp__name(c),
				     err == -EFBIG ? "larger than the size cap"
				     : err == -ENOMEM ? "too large for memory"
						      : "corrupt or truncated");
	}
	if (!o.p) {	/* an empty stream: hand back a valid pointer anyway */
		o.p = malloc(1);
		if (!o.p)
			return pk_error__set(e, -ENOMEM, "out of memory");
	}
	*out = o.p;
	*out_len = o.len;
	return 0;
}

int pk_comp__decompress_file(enum pk_comp c, const void *in, size_t in_len, const char *path,
			     size_t max_out, struct pk_error *e)
{
	void *out;
	size_t out_len;
	int err = pk_comp__decompress(c, in, in_len, &out, &out_len, max_out, e);

	if (err)
		return err;
	err = pk_file__write_atomic(path, out, out_len);
	free(out);
	if (err)
		return pk_error__set(e, err, "cannot write '%s': %s", path, strerror(-err));
	return 0;
}

int pk_comp__compress_xz(const void *in, size_t in_len, void **out, size_t *out_len,
			 struct pk_error *err)
{
	struct pk_error why = { 0 };
	size_t cap, pos = 0;
	unsigned char *buf;
	lzma_ret ret;
	int r;

	*out = NULL;
	*out_len = 0;
	r = pk_dl__load(&dl_lzma, "xz", &why);
	if (r)
		return pk_error__set(err, r, "compressing %s", why.msg);
	cap = lzma.stream_buffer_bound(in_len);
	if (!cap || !(buf = malloc(cap)))
		return pk_error__set(err, -ENOMEM, "xz: out of memory for %zu bytes", in_len);
	/* preset 6 with CRC64, as xz(1) writes by default; one call, one block:
	 * the same input always gives the same bytes */
	ret = lzma.easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, in, in_len, buf, &pos, cap);
	if (ret != LZMA_OK) {
		free(buf);
		return pk_error__set(err, ret == LZMA_MEM_ERROR ? -ENOMEM : -EIO,
				     "xz compression failed (liblzma error %d)", (int)ret);
	}
	*out = buf;
	*out_len = pos;
	return 0;
}
