/* Reduced-BTF archive reader and writer (format in docs/btf-archive.md). The reader
 * validates every count, offset and checksum of the header and index at open, so a
 * lookup only has to check the one group it decompresses. It never trusts a size it
 * has not bounded, and never prints. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>
#include <zstd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf/btf_archive.h"
#include "common/bytes.h"
#include "common/pk.h"

#define HDR_SIZE 64
#define ENT_SIZE 16
#define BLOB_SIZE 24
#define GROUP_SIZE 24
#define MAX_COUNT (1U << 22)		/* entries, blobs or groups */
#define MAX_RAW (64U << 20)		/* one group, one blob, or the index, uncompressed */
#define DEFAULT_LEVEL 19

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void wr64(unsigned char *p, uint64_t v)
{
	wr32(p, v);
	wr32(p + 4, v >> 32);
}

static uint32_t crc(const void *p, size_t n)
{
	uLong c = crc32(0L, Z_NULL, 0);
	const unsigned char *b = p;

	while (n) {	/* zlib takes uInt lengths */
		uInt k = n > (1U << 30) ? 1U << 30 : n;

		c = crc32(c, b, k);
		b += k;
		n -= k;
	}
	return c;
}

static uint64_t fnv1a64(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 0xcbf29ce484222325ULL;

	while (n--) {
		h ^= *b++;
		h *= 0x100000001b3ULL;
	}
	return h;
}

bool pk_btf_archive__key_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0 || len > PK_BTF_ARCHIVE_KEY_MAX)
		return false;
	if ((len == 1 && s[0] == '.') || (len == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] <= ' ' || (unsigned char)s[i] >= 0x7f || s[i] == '/')
			return false;
	return true;
}

/* ---- reader ---- */

struct pk_btf_archive {
	const unsigned char *data;
	size_t len;
	void *owned;			/* open_file's copy */
	uint32_t ne, nb, ng, strtab_size;
	unsigned char *index;		/* decompressed */
	const unsigned char *ents, *blobs, *groups, *strtab;
	const unsigned char *gdata;	/* group frames */
	uint64_t gdata_size;
	uint32_t gdata_crc;
	size_t index_size, index_raw;
	ZSTD_DCtx *dctx;
	int64_t cached;			/* group in cache, -1 none */
	unsigned char *cache;
};

struct key {
	const char *f[4];
};

/* split a stored key "os\0ver\0arch\0rel\0" into its fields; false if malformed */
static bool split_key(const char *k, size_t len, struct key *out)
{
	size_t i, start = 0;
	int n = 0;

	for (i = 0; i < len; i++) {
		if (k[i])
			continue;
		if (n == 4 || !pk_btf_archive__key_ok(k + start, i - start))
			return false;
		out->f[n++] = k + start;
		start = i + 1;
	}
	return n == 4 && start == len;
}

static int key_cmp(const struct key *a, const struct key *b, int nfields)
{
	int i, r;

	for (i = 0; i < nfields; i++)
		if ((r = strcmp(a->f[i], b->f[i])))
			return r;
	return 0;
}

static void entry_key(const struct pk_btf_archive *a, size_t i, struct key *k)
{
	const unsigned char *e = a->ents + i * ENT_SIZE;

	/* validated at open */
	split_key((const char *)a->strtab + pk_le32(e), pk_le32(e + 4), k);
}

static int decompress_exact(ZSTD_DCtx *d, const void *src, size_t n, void *dst, size_t raw)
{
	unsigned long long fcs = ZSTD_getFrameContentSize(src, n);
	size_t r;

	if (fcs != raw)		/* also catches unknown/error sizes */
		return -EBADMSG;
	if (ZSTD_findFrameCompressedSize(src, n) != n)
		return -EBADMSG;
	r = ZSTD_decompressDCtx(d, dst, raw ? raw : 1, src, n);
	if (ZSTD_isError(r) || r != raw)
		return -EBADMSG;
	return 0;
}

static struct pk_btf_archive *open_fail(struct pk_btf_archive *a, int err)
{
	pk_btf_archive__free(a);
	errno = err;
	return NULL;
}

struct pk_btf_archive *pk_btf_archive__open_mem(const void *data, size_t len, struct pk_error *perr)
{
	const unsigned char *h = data;
	struct pk_btf_archive *a;
	uint32_t version, hsize, isize, icrc, i;
	uint64_t dsize, raw;
	struct key prev, cur;

	if (!data || len < HDR_SIZE) {
		pk_error__set(perr, -EBADMSG, "archive truncated: %zu bytes, shorter than the %d-byte header", len,
			HDR_SIZE);
		errno = EBADMSG;
		return NULL;
	}
	if (memcmp(h, PK_BTF_ARCHIVE_MAGIC, 8)) {
		pk_error__set(perr, -EBADMSG, "not a probekit BTF archive (bad magic)");
		errno = EBADMSG;
		return NULL;
	}
	version = pk_le32(h + 8);
	if (version != PK_BTF_ARCHIVE_VERSION) {
		pk_error__set(perr, -EPROTO, "unsupported archive version %u (this build reads version %d)", version,
			PK_BTF_ARCHIVE_VERSION);
		errno = EPROTO;
		return NULL;
	}
	if (crc(h, 60) != pk_le32(h + 60)) {
		pk_error__set(perr, -EBADMSG, "archive header checksum mismatch");
		errno = EBADMSG;
		return NULL;
	}
	hsize = pk_le32(h + 12);
	if (hsize != HDR_SIZE || pk_le32(h + 16) != 0 || pk_le32(h + 44) != 0) {
		pk_error__set(perr, -EBADMSG, "archive header has unknown size %u or flags", hsize);
		errno = EBADMSG;
		return NULL;
	}

	a = calloc(1, sizeof(*a));
	if (!a)
		return open_fail(NULL, ENOMEM);
	a->data = data;
	a->len = len;
	a->cached = -1;
	a->ne = pk_le32(h + 20);
	a->nb = pk_le32(h + 24);
	a->ng = pk_le32(h + 28);
	a->strtab_size = pk_le32(h + 32);
	isize = pk_le32(h + 36);
	icrc = pk_le32(h + 40);
	dsize = pk_le64(h + 48);
	a->gdata_crc = pk_le32(h + 56);

	if (a->ne > MAX_COUNT || a->nb > MAX_COUNT || a->ng > MAX_COUNT || a->nb > a->ne ||
	    a->ng > a->nb || (a->ne && !a->nb) || (a->nb && !a->ng)) {
		pk_error__set(perr, -EBADMSG, "archive index counts are implausible (%u entries, %u blobs, %u groups)",
			a->ne, a->nb, a->ng);
		return open_fail(a, EBADMSG);
	}
	raw = (uint64_t)a->ne * ENT_SIZE + (uint64_t)a->nb * BLOB_SIZE + (uint64_t)a->ng * GROUP_SIZE +
	      a->strtab_size;
	if (raw > MAX_RAW) {
		pk_error__set(perr, -EBADMSG, "archive index of %llu bytes is too large", (unsigned long long)raw);
		return open_fail(a, EBADMSG);
	}
	if ((uint64_t)HDR_SIZE + isize + dsize != len) {
		pk_error__set(perr, -EBADMSG, "archive is %zu bytes but its header says %llu (%s)", len,
			(unsigned long long)(HDR_SIZE + (uint64_t)isize + dsize),
			len < HDR_SIZE + (uint64_t)isize + dsize ? "truncated" : "trailing data");
		return open_fail(a, EBADMSG);
	}
	if (crc(h + HDR_SIZE, isize) != icrc) {
		pk_error__set(perr, -EBADMSG, "archive index checksum mismatch");
		return open_fail(a, EBADMSG);
	}
	a->index_size = isize;
	a->index_raw = raw;
	a->gdata = h + HDR_SIZE + isize;
	a->gdata_size = dsize;
	a->dctx = ZSTD_createDCtx();
	a->index = malloc(raw ? raw : 1);
	if (!a->dctx || !a->index)
		return open_fail(a, ENOMEM);
	if (decompress_exact(a->dctx, h + HDR_SIZE, isize, a->index, raw)) {
		pk_error__set(perr, -EBADMSG, "archive index does not decompress to its declared %llu bytes",
			(unsigned long long)raw);
		return open_fail(a, EBADMSG);
	}
	a->ents = a->index;
	a->blobs = a->ents + (size_t)a->ne * ENT_SIZE;
	a->groups = a->blobs + (size_t)a->nb * BLOB_SIZE;
	a->strtab = a->groups + (size_t)a->ng * GROUP_SIZE;

	for (i = 0; i < a->ng; i++) {
		const unsigned char *g = a->groups + (size_t)i * GROUP_SIZE;
		uint64_t off = pk_le64(g);
		uint32_t csize = pk_le32(g + 8), rsize = pk_le32(g + 12);

		if (off > dsize || csize > dsize - off || csize == 0 || rsize > MAX_RAW || pk_le32(g + 20)) {
			pk_error__set(perr, -EBADMSG, "archive group %u (offset %llu, %u bytes) lies outside the data", i,
				(unsigned long long)off, csize);
			return open_fail(a, EBADMSG);
		}
	}
	for (i = 0; i < a->nb; i++) {
		const unsigned char *b = a->blobs + (size_t)i * BLOB_SIZE;
		uint32_t g = pk_le32(b), off = pk_le32(b + 4), size = pk_le32(b + 8);

		if (g >= a->ng || off > pk_le32(a->groups + (size_t)g * GROUP_SIZE + 12) ||
		    size > pk_le32(a->groups + (size_t)g * GROUP_SIZE + 12) - off || size == 0) {
			pk_error__set(perr, -EBADMSG, "archive blob %u lies outside its group", i);
			return open_fail(a, EBADMSG);
		}
	}
	for (i = 0; i < a->ne; i++) {
		const unsigned char *e = a->ents + (size_t)i * ENT_SIZE;
		uint32_t koff = pk_le32(e), klen = pk_le32(e + 4);

		if (koff > a->strtab_size || klen > a->strtab_size - koff || pk_le32(e + 8) >= a->nb ||
		    pk_le32(e + 12) || !split_key((const char *)a->strtab + koff, klen, &cur)) {
			pk_error__set(perr, -EBADMSG, "archive entry %u has a bad key or blob", i);
			return open_fail(a, EBADMSG);
		}
		if (i && key_cmp(&prev, &cur, 4) >= 0) {
			pk_error__set(perr, -EBADMSG, "archive entries are not sorted and unique at entry %u", i);
			return open_fail(a, EBADMSG);
		}
		prev = cur;
	}
	return a;
}

struct pk_btf_archive *pk_btf_archive__open_file(const char *path, struct pk_error *perr)
{
	struct pk_btf_archive *a;
	char *data;
	size_t len;
	int e;

	e = pk_file__read(path, &data, &len, 1UL << 32);
	if (e) {
		pk_error__set(perr, e, "cannot open '%s': %s", path, strerror(-e));
		errno = -e;
		return NULL;
	}
	a = pk_btf_archive__open_mem(data, len, perr);
	if (!a) {
		e = errno;
		free(data);
		errno = e;
		return NULL;
	}
	a->owned = data;
	return a;
}

void pk_btf_archive__free(struct pk_btf_archive *a)
{
	if (!a)
		return;
	ZSTD_freeDCtx(a->dctx);
	free(a->index);
	free(a->cache);
	free(a->owned);
	free(a);
}

size_t pk_btf_archive__entry_cnt(const struct pk_btf_archive *a)
{
	return a ? a->ne : 0;
}

size_t pk_btf_archive__blob_cnt(const struct pk_btf_archive *a)
{
	return a ? a->nb : 0;
}

void pk_btf_archive__stats(const struct pk_btf_archive *a, struct pk_btf_archive_stats *st)
{
	uint32_t i;

	memset(st, 0, sizeof(*st));
	if (!a)
		return;
	st->file_size = a->len;
	st->index_size = a->index_size;
	st->index_raw_size = a->index_raw;
	st->data_size = a->gdata_size;
	st->group_cnt = a->ng;
	for (i = 0; i < a->nb; i++)
		st->blob_raw_size += pk_le32(a->blobs + (size_t)i * BLOB_SIZE + 8);
}

int pk_btf_archive__entry(const struct pk_btf_archive *a, size_t i, struct pk_btf_archive_entry *e)
{
	struct key k;
	const unsigned char *b;

	if (!a || !e)
		return -EINVAL;
	if (i >= a->ne)
		return -ERANGE;
	entry_key(a, i, &k);
	b = a->blobs + (size_t)pk_le32(a->ents + i * ENT_SIZE + 8) * BLOB_SIZE;
	e->os_id = k.f[0];
	e->version_id = k.f[1];
	e->arch = k.f[2];
	e->release = k.f[3];
	e->blob = pk_le32(a->ents + i * ENT_SIZE + 8);
	e->size = pk_le32(b + 8);
	e->hash = pk_le64(b + 16);
	return 0;
}

/* first entry whose first nfields fields are >= key's */
static size_t lower_bound(const struct pk_btf_archive *a, const struct key *key, int nfields)
{
	size_t lo = 0, hi = a->ne;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct key k;

		entry_key(a, mid, &k);
		if (key_cmp(&k, key, nfields) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int load_group(struct pk_btf_archive *a, uint32_t gi, struct pk_error *perr)
{
	const unsigned char *g = a->groups + (size_t)gi * GROUP_SIZE;
	uint64_t off = pk_le64(g);
	uint32_t csize = pk_le32(g + 8), rsize = pk_le32(g + 12);
	unsigned char *buf;

	if (a->cached == gi)
		return 0;
	if (crc(a->gdata + off, csize) != pk_le32(g + 16))
		return pk_error__set(perr, -EBADMSG, "archive group %u checksum mismatch", gi);
	buf = malloc(rsize ? rsize : 1);
	if (!buf)
		return pk_error__set(perr, -ENOMEM, "out of memory");
	if (decompress_exact(a->dctx, a->gdata + off, csize, buf, rsize)) {
		free(buf);
		return pk_error__set(perr, -EBADMSG, "archive group %u does not decompress to its %u bytes",
				     gi, rsize);
	}
	free(a->cache);
	a->cache = buf;
	a->cached = gi;
	return 0;
}

static int get_blob(struct pk_btf_archive *a, uint32_t bi, void **btf, size_t *len,
		    struct pk_error *perr)
{
	const unsigned char *b = a->blobs + (size_t)bi * BLOB_SIZE;
	uint32_t off = pk_le32(b + 4), size = pk_le32(b + 8);
	void *copy;
	int err;

	err = load_group(a, pk_le32(b), perr);
	if (err)
		return err;
	if (crc(a->cache + off, size) != pk_le32(b + 12))
		return pk_error__set(perr, -EBADMSG, "archive blob %u checksum mismatch", bi);
	copy = malloc(size);
	if (!copy)
		return pk_error__set(perr, -ENOMEM, "out of memory");
	memcpy(copy, a->cache + off, size);
	*btf = copy;
	*len = size;
	return 0;
}

int pk_btf_archive__get(struct pk_btf_archive *a, size_t i, void **btf, size_t *len,
			struct pk_error *perr)
{
	if (!a || !btf || !len)
		return -EINVAL;
	*btf = NULL;
	*len = 0;
	if (i >= a->ne)
		return -ERANGE;
	return get_blob(a, pk_le32(a->ents + i * ENT_SIZE + 8), btf, len, perr);
}

int pk_btf_archive__find(struct pk_btf_archive *a, const char *os_id, const char *version_id,
			 const char *arch, const char *release, void **btf, size_t *len,
			 struct pk_error *perr)
{
	struct key key = { { os_id, version_id, arch, release } }, k;
	size_t i;

	if (!a || !os_id || !version_id || !arch || !release || !btf || !len)
		return -EINVAL;
	*btf = NULL;
	*len = 0;
	i = lower_bound(a, &key, 4);
	if (i == a->ne)
		return -ENOENT;
	entry_key(a, i, &k);
	if (key_cmp(&k, &key, 4))
		return -ENOENT;
	return get_blob(a, pk_le32(a->ents + i * ENT_SIZE + 8), btf, len, perr);
}

int pk_btf_archive__near_misses(const struct pk_btf_archive *a, const char *os_id,
				const char *version_id, const char *arch, const char *release,
				size_t *idx, size_t max)
{
	struct key key = { { os_id, version_id, arch, "" } }, k;
	size_t i;
	int n = 0;

	if (!a || !os_id || !version_id || !arch || (max && !idx))
		return -EINVAL;
	for (i = lower_bound(a, &key, 3); i < a->ne; i++) {
		entry_key(a, i, &k);
		if (key_cmp(&k, &key, 3))
			break;
		if (release && !strcmp(k.f[3], release))
			continue;
		if ((size_t)n < max)
			idx[n] = i;
		n++;
	}
	return n;
}

int pk_btf_archive__verify(struct pk_btf_archive *a, struct pk_error *perr)
{
	uint32_t i;
	int err;

	if (!a)
		return -EINVAL;
	if (crc(a->gdata, a->gdata_size) != a->gdata_crc)
		return pk_error__set(perr, -EBADMSG, "archive data checksum mismatch");
	for (i = 0; i < a->nb; i++) {
		void *b;
		size_t n;

		err = get_blob(a, i, &b, &n, perr);
		if (err)
			return err;
		free(b);
	}
	return 0;
}

/* ---- writer ---- */

struct wentry {
	char *key;		/* "os\0ver\0arch\0rel\0" */
	uint32_t key_len;
	uint32_t blob;
};

struct wblob {
	unsigned char *data;
	uint32_t size;
	uint64_t hash;
	uint32_t order;		/* position in the file, by first sorted entry */
	uint32_t group, off;
};

struct pk_btf_archive_writer {
	int level;
	size_t group_size;
	struct wentry *ents;
	size_t ne, ecap;
	struct wblob *blobs;
	size_t nb, bcap;
};

struct pk_btf_archive_writer *pk_btf_archive_writer__new(const struct pk_btf_archive_writer_opts *opts)
{
	struct pk_btf_archive_writer *w;

	if (!PK_OPTS_VALID(opts, struct pk_btf_archive_writer_opts)) {
		errno = EINVAL;
		return NULL;
	}
	w = calloc(1, sizeof(*w));
	if (!w)
		return NULL;
	/* 0 in a field means the default */
	w->level = PK_OPTS_GET(opts, level, 0) ?: DEFAULT_LEVEL;
	w->group_size = PK_OPTS_GET(opts, group_size, 0) ?: PK_BTF_ARCHIVE_GROUP_DEFAULT;
	if (w->group_size > MAX_RAW)
		w->group_size = MAX_RAW;
	if (w->level > ZSTD_maxCLevel())
		w->level = ZSTD_maxCLevel();
	return w;
}

void pk_btf_archive_writer__free(struct pk_btf_archive_writer *w)
{
	size_t i;

	if (!w)
		return;
	for (i = 0; i < w->ne; i++)
		free(w->ents[i].key);
	for (i = 0; i < w->nb; i++)
		free(w->blobs[i].data);
	free(w->ents);
	free(w->blobs);
	free(w);
}

size_t pk_btf_archive_writer__entry_cnt(const struct pk_btf_archive_writer *w)
{
	return w ? w->ne : 0;
}

size_t pk_btf_archive_writer__blob_cnt(const struct pk_btf_archive_writer *w)
{
	return w ? w->nb : 0;
}

static int wkey_cmp(const struct wentry *a, const struct wentry *b)
{
	struct key ka, kb;

	split_key(a->key, a->key_len, &ka);
	split_key(b->key, b->key_len, &kb);
	return key_cmp(&ka, &kb, 4);
}

static int wentry_qsort(const void *a, const void *b)
{
	return wkey_cmp(a, b);
}

int pk_btf_archive_writer__add(struct pk_btf_archive_writer *w, const char *os_id,
			       const char *version_id, const char *arch, const char *release,
			       const void *btf_data, size_t len, struct pk_error *perr)
{
	const char *f[4] = { os_id, version_id, arch, release };
	static const char *const names[4] = { "os id", "version id", "arch", "release" };
	struct wentry e = { 0 };
	struct btf *btf;
	uint64_t h;
	size_t i, klen = 0;
	uint32_t bi;
	char *p;

	if (!w || !btf_data)
		return -EINVAL;
	for (i = 0; i < 4; i++) {
		if (!f[i] || !pk_btf_archive__key_ok(f[i], strlen(f[i]))) {
			pk_error__set(perr, -EINVAL, "bad %s '%s': want 1-%d printable characters without '/' or spaces",
				 names[i], f[i] ? f[i] : "(null)", PK_BTF_ARCHIVE_KEY_MAX);
			return -EINVAL;
		}
		klen += strlen(f[i]) + 1;
	}
	if (len == 0 || len > MAX_RAW) {
		pk_error__set(perr, -EINVAL, "BTF of %zu bytes is %s", len, len ? "too large" : "empty");
		return -EINVAL;
	}
	btf = btf__new(btf_data, len);
	if (!btf) {	/* libbpf 1.0: NULL and errno */
		pk_error__set(perr, -EINVAL, "not valid BTF (libbpf rejects it)");
		return -EINVAL;
	}
	btf__free(btf);

	e.key = malloc(klen);
	if (!e.key)
		return -ENOMEM;
	for (p = e.key, i = 0; i < 4; i++) {
		size_t n = strlen(f[i]) + 1;

		memcpy(p, f[i], n);
		p += n;
	}
	e.key_len = klen;

	h = fnv1a64(btf_data, len);
	for (bi = 0; bi < w->nb; bi++)
		if (w->blobs[bi].hash == h && w->blobs[bi].size == len &&
		    !memcmp(w->blobs[bi].data, btf_data, len))
			break;
	for (i = 0; i < w->ne; i++) {
		if (w->ents[i].key_len != klen || memcmp(w->ents[i].key, e.key, klen))
			continue;
		free(e.key);
		if (w->ents[i].blob == bi)
			return 0;	/* same key, same BTF: nothing new */
		pk_error__set(perr, -EEXIST, "duplicate key %s/%s/%s/%s with different BTF", os_id,
			 version_id, arch, release);
		return -EEXIST;
	}
	if (bi == w->nb) {
		struct wblob *b;

		if (w->nb == w->bcap) {
			size_t ncap = w->bcap ? w->bcap * 2 : 64;
			void *n = realloc(w->blobs, ncap * sizeof(*w->blobs));

			if (!n)
				goto nomem;
			w->blobs = n;
			w->bcap = ncap;
		}
		b = &w->blobs[w->nb];
		memset(b, 0, sizeof(*b));
		b->data = malloc(len);
		if (!b->data)
			goto nomem;
		memcpy(b->data, btf_data, len);
		b->size = len;
		b->hash = h;
		w->nb++;
	}
	if (w->ne >= MAX_COUNT) {
		free(e.key);
		pk_error__set(perr, -E2BIG, "too many entries (max %u)", MAX_COUNT);
		return -E2BIG;
	}
	if (w->ne == w->ecap) {
		size_t ncap = w->ecap ? w->ecap * 2 : 64;
		void *n = realloc(w->ents, ncap * sizeof(*w->ents));

		if (!n)
			goto nomem;
		w->ents = n;
		w->ecap = ncap;
	}
	e.blob = bi;
	w->ents[w->ne++] = e;
	return 0;
nomem:
	free(e.key);
	return -ENOMEM;
}

/* compress one frame at the writer's level with a window that spans the whole input */
static int compress_frame(ZSTD_CCtx *cc, int level, const void *src, size_t n, void **out, size_t *out_len)
{
	size_t cap = ZSTD_compressBound(n), r;
	void *buf = malloc(cap);
	int wlog = 10;

	if (!buf)
		return -ENOMEM;
	while (wlog < 27 && ((size_t)1 << wlog) < n)
		wlog++;
	ZSTD_CCtx_reset(cc, ZSTD_reset_session_and_parameters);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_compressionLevel, level);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_contentSizeFlag, 1);
	ZSTD_CCtx_setParameter(cc, ZSTD_c_checksumFlag, 0);	/* we keep our own CRCs */
	if (n > (1 << 17))
		ZSTD_CCtx_setParameter(cc, ZSTD_c_windowLog, wlog);
	r = ZSTD_compress2(cc, buf, cap, src, n);
	if (ZSTD_isError(r)) {
		free(buf);
		return -EIO;
	}
	*out = buf;
	*out_len = r;
	return 0;
}

struct growbuf {
	unsigned char *p;
	size_t len, cap;
};

static int gb_append(struct growbuf *g, const void *d, size_t n)
{
	if (g->cap - g->len < n) {
		size_t ncap = g->cap ? g->cap : 4096;
		void *np;

		while (ncap - g->len < n)
			ncap *= 2;
		np = realloc(g->p, ncap);
		if (!np)
			return -ENOMEM;
		g->p = np;
		g->cap = ncap;
	}
	memcpy(g->p + g->len, d, n);
	g->len += n;
	return 0;
}

int pk_btf_archive_writer__finish(struct pk_btf_archive_writer *w, void **out, size_t *out_len,
				   struct pk_error *perr)
{
	struct growbuf data = { 0 }, groups = { 0 }, raw = { 0 }, file = { 0 };
	uint32_t *order = NULL, ng = 0, i, next = 0;
	unsigned char hdr[HDR_SIZE] = { 0 };
	void *cidx = NULL;
	size_t cidx_len, strtab = 0;
	ZSTD_CCtx *cc = ZSTD_createCCtx();
	int err = -ENOMEM;

	if (!w || !out || !out_len) {
		ZSTD_freeCCtx(cc);
		return -EINVAL;
	}
	*out = NULL;
	*out_len = 0;
	if (!cc)
		return -ENOMEM;
	/* entries sorted by key; blobs laid out in the order sorted entries first use them,
	 * so a group holds neighbouring kernels, whose BTFs compress well together */
	if (w->ne)
		qsort(w->ents, w->ne, sizeof(*w->ents), wentry_qsort);
	order = calloc(w->nb ? w->nb : 1, sizeof(*order));
	if (!order)
		goto done;
	for (i = 0; i < w->nb; i++)
		w->blobs[i].order = UINT32_MAX;
	for (i = 0; i < w->ne; i++) {
		struct wblob *b = &w->blobs[w->ents[i].blob];

		if (b->order == UINT32_MAX) {
			b->order = next;
			order[next++] = w->ents[i].blob;
		}
		strtab += w->ents[i].key_len;
	}
	if (strtab > MAX_RAW) {
		pk_error__set(perr, -E2BIG, "keys take too much space");
		err = -E2BIG;
		goto done;
	}

	/* groups: consecutive blobs up to group_size raw bytes (a big blob is a group alone) */
	for (i = 0; i < w->nb;) {
		struct growbuf g = { 0 };
		unsigned char rec[GROUP_SIZE] = { 0 };
		void *frame;
		size_t flen;

		while (i < w->nb) {
			struct wblob *b = &w->blobs[order[i]];

			if (g.len && g.len + b->size > w->group_size)
				break;
			if (g.len + b->size > MAX_RAW)
				break;
			b->group = ng;
			b->off = g.len;
			if (gb_append(&g, b->data, b->size)) {
				free(g.p);
				goto done;
			}
			i++;
		}
		err = compress_frame(cc, w->level, g.p, g.len, &frame, &flen);
		if (err) {
			free(g.p);
			pk_error__set(perr, err, "zstd compression failed");
			goto done;
		}
		wr64(rec, data.len);
		wr32(rec + 8, flen);
		wr32(rec + 12, g.len);
		wr32(rec + 16, crc(frame, flen));
		err = gb_append(&data, frame, flen) ?: gb_append(&groups, rec, sizeof(rec));
		free(frame);
		free(g.p);
		if (err)
			goto done;
		ng++;
	}

	/* index: entries, blobs (in original ids), groups, strtab */
	err = -ENOMEM;
	{
		uint32_t koff = 0;

		for (i = 0; i < w->ne; i++) {
			unsigned char rec[ENT_SIZE] = { 0 };

			wr32(rec, koff);
			wr32(rec + 4, w->ents[i].key_len);
			wr32(rec + 8, w->blobs[w->ents[i].blob].order);
			koff += w->ents[i].key_len;
			if (gb_append(&raw, rec, sizeof(rec)))
				goto done;
		}
		for (i = 0; i < w->nb; i++) {	/* blob ids are their file order */
			struct wblob *b = &w->blobs[order[i]];
			unsigned char rec[BLOB_SIZE] = { 0 };

			wr32(rec, b->group);
			wr32(rec + 4, b->off);
			wr32(rec + 8, b->size);
			wr32(rec + 12, crc(b->data, b->size));
			wr64(rec + 16, b->hash);
			if (gb_append(&raw, rec, sizeof(rec)))
				goto done;
		}
		if (groups.len && gb_append(&raw, groups.p, groups.len))
			goto done;
		for (i = 0; i < w->ne; i++)
			if (gb_append(&raw, w->ents[i].key, w->ents[i].key_len))
				goto done;
	}
	err = compress_frame(cc, w->level, raw.p ? raw.p : (unsigned char *)"", raw.len, &cidx, &cidx_len);
	if (err)
		goto done;

	memcpy(hdr, PK_BTF_ARCHIVE_MAGIC, 8);
	wr32(hdr + 8, PK_BTF_ARCHIVE_VERSION);
	wr32(hdr + 12, HDR_SIZE);
	wr32(hdr + 16, 0);
	wr32(hdr + 20, w->ne);
	wr32(hdr + 24, w->nb);
	wr32(hdr + 28, ng);
	wr32(hdr + 32, strtab);
	wr32(hdr + 36, cidx_len);
	wr32(hdr + 40, crc(cidx, cidx_len));
	wr64(hdr + 48, data.len);
	wr32(hdr + 56, crc(data.p, data.len));
	wr32(hdr + 60, crc(hdr, 60));
	err = -ENOMEM;
	if (gb_append(&file, hdr, HDR_SIZE) || gb_append(&file, cidx, cidx_len) ||
	    (data.len && gb_append(&file, data.p, data.len)))
		goto done;
	*out = file.p;
	*out_len = file.len;
	file.p = NULL;
	err = 0;
done:
	ZSTD_freeCCtx(cc);
	free(order);
	free(cidx);
	free(data.p);
	free(groups.p);
	free(raw.p);
	free(file.p);
	return err;
}
