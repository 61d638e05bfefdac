/* libFuzzer target for the reduced-BTF archive reader and the extractor that feeds
 * `btf pack`: every archive that opens is walked (entries, find, get, verify). */

/* Checksums stop random bytes at the header, so modes repair them to reach the
 * index and data checks. The first byte picks the mode:
 *   0: the rest is an archive, as is
 *   1: the rest is an archive; header and index CRCs are recomputed
 *   2: le16 entries, le16 blobs, le16 groups, le16 strtab bytes, then the raw
 *      (uncompressed) index, then the data; the target compresses the index, fixes
 *      every group CRC that points inside the data, and builds the header
 *   3: the rest goes to pk_btf_extract__mem (no pahole, 16 MiB cap)
 * Every archive that opens is walked: entries, find, near misses, get, verify. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>
#include <zlib.h>
#include <zstd.h>

#include "btf/btf_archive.h"
#include "common/bytes.h"
#include "btf/btf_extract.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libbpf_set_print(quiet);
	return 0;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void wr64(uint8_t *p, uint64_t v)
{
	wr32(p, v);
	wr32(p + 4, v >> 32);
}

static void walk(const uint8_t *d, size_t n)
{
	struct pk_error err = { 0 };
	struct pk_btf_archive *a = pk_btf_archive__open_mem(d, n, &err);
	struct pk_btf_archive_entry e;
	size_t i, idx[4];
	void *btf;
	size_t len;

	if (!a) {
		if (!err.msg[0])
			abort();	/* every refusal says why */
		return;
	}
	for (i = 0; pk_btf_archive__entry(a, i, &e) == 0; i++) {
		if (strlen(e.os_id) + strlen(e.version_id) + strlen(e.arch) + strlen(e.release) == 0)
			abort();
		if (pk_btf_archive__find(a, e.os_id, e.version_id, e.arch, e.release, &btf, &len, NULL) == 0) {
			if (len != e.size)
				abort();
			free(btf);
		}
		pk_btf_archive__near_misses(a, e.os_id, e.version_id, e.arch, e.release, idx, 4);
		if (i > 16)
			break;
	}
	if (pk_btf_archive__find(a, "x", "y", "z", "w", &btf, &len, NULL) == 0)
		free(btf);
	if (pk_btf_archive__get(a, 0, &btf, &len, NULL) == 0)
		free(btf);
	if (pk_btf_archive__verify(a, &err) == -EBADMSG && !err.msg[0])
		abort();	/* a corrupt archive says why */
	pk_btf_archive__free(a);
}

static void fix_crcs(uint8_t *d, size_t n)
{
	uint32_t isize;

	if (n < 64)
		return;
	isize = pk_le32(d + 36);
	if (isize <= n - 64)
		wr32(d + 40, crc32(0, d + 64, isize));
	wr32(d + 60, crc32(0, d, 60));
}

static void synth(const uint8_t *d, size_t n)
{
	uint32_t ne, nb, ng, st, raw, i;
	uint8_t *idx, *out;
	const uint8_t *data;
	size_t dlen, cap, clen;

	if (n < 8)
		return;
	ne = (d[0] | d[1] << 8) % 256;
	nb = (d[2] | d[3] << 8) % 256;
	ng = (d[4] | d[5] << 8) % 256;
	st = (d[6] | d[7] << 8) % 8192;
	d += 8;
	n -= 8;
	raw = ne * 16 + nb * 24 + ng * 24 + st;
	idx = calloc(1, raw + 1);
	if (!idx)
		return;
	memcpy(idx, d, n < raw ? n : raw);
	data = n > raw ? d + raw : d + n;
	dlen = n > raw ? n - raw : 0;
	for (i = 0; i < ng; i++) {	/* group CRCs over whatever they point at */
		uint8_t *g = idx + ne * 16 + nb * 24 + i * 24;
		uint64_t off = pk_le32(g) | (uint64_t)pk_le32(g + 4) << 32;
		uint32_t csize = pk_le32(g + 8);

		if (off <= dlen && csize <= dlen - off)
			wr32(g + 16, crc32(0, data + off, csize));
	}
	cap = ZSTD_compressBound(raw);
	out = malloc(64 + cap + dlen);
	if (!out) {
		free(idx);
		return;
	}
	clen = ZSTD_compress(out + 64, cap, idx, raw, 1);
	if (ZSTD_isError(clen))
		goto done;
	memcpy(out + 64 + clen, data, dlen);
	memset(out, 0, 64);
	memcpy(out, PK_BTF_ARCHIVE_MAGIC, 8);
	wr32(out + 8, PK_BTF_ARCHIVE_VERSION);
	wr32(out + 12, 64);
	wr32(out + 20, ne);
	wr32(out + 24, nb);
	wr32(out + 28, ng);
	wr32(out + 32, st);
	wr32(out + 36, clen);
	wr32(out + 40, crc32(0, out + 64, clen));
	wr64(out + 48, dlen);
	wr32(out + 56, crc32(0, data, dlen));
	wr32(out + 60, crc32(0, out, 60));
	walk(out, 64 + clen + dlen);
done:
	free(out);
	free(idx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		walk(data + 1, size - 1);
		break;
	case 1:
		copy = malloc(size);
		if (!copy)
			return 0;
		memcpy(copy, data + 1, size - 1);
		fix_crcs(copy, size - 1);
		walk(copy, size - 1);
		free(copy);
		break;
	case 2:
		synth(data + 1, size - 1);
		break;
	case 3: {
		PK_BTF_EXTRACT_OPTS(o, .no_pahole = true, .max_size = 16 << 20);
		struct pk_btf_extract_info info;
		struct pk_error err = { 0 };
		void *btf;
		size_t len;

		if (pk_btf_extract__mem(data + 1, size - 1, NULL, &btf, &len, &o, &info, &err) == 0)
			free(btf);
		else if (!err.msg[0])
			abort();
		break;
	}
	}
	return 0;
}
