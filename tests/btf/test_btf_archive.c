/* Unit tests for the reduced-BTF archive: round trip, dedup, lookups and their
 * speed, near misses, writer input checks, and every kind of corruption. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <time.h>

#include <bpf/btf.h>
#include <zlib.h>
#include <zstd.h>

#include "btf/btf_archive.h"
#include "common/bytes.h"
#include "unit.h"

static struct pk_error perr;	/* the last failure's reason, for messages */

#define HDR 64

/* a small valid BTF that differs by `seed` */
static void *make_btf(int seed, size_t *len)
{
	struct btf *b = btf__new_empty();
	const void *raw;
	void *copy;
	char name[32];
	__u32 n;
	int i, id;

	snprintf(name, sizeof(name), "int_%d", seed);
	id = btf__add_int(b, name, 4, BTF_INT_SIGNED);
	btf__add_struct(b, "task_struct", 16);
	btf__add_field(b, "pid", id, 0, 0);
	btf__add_field(b, "tgid", id, 32 + 32 * (seed % 2), 0);
	for (i = 0; i < seed % 7; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		btf__add_typedef(b, name, id);
	}
	raw = btf__raw_data(b, &n);
	copy = malloc(n);
	memcpy(copy, raw, n);
	*len = n;
	btf__free(b);
	return copy;
}

static void wr32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

static void fix_header_crc(unsigned char *a)
{
	wr32(a + 60, crc32(0, a, 60));
}

/* archive of n keys over m distinct BTFs */
static int build(size_t n, int m, void **out, size_t *len)
{
	struct pk_btf_archive_writer *w = pk_btf_archive_writer__new(NULL);
	size_t i;
	int err = 0;

	for (i = 0; i < n && !err; i++) {
		char ver[16], rel[64];
		size_t bl;
		void *b = make_btf(i % m, &bl);

		snprintf(ver, sizeof(ver), "%zu", 10 + i % 3);
		snprintf(rel, sizeof(rel), "5.%zu.0-%zu-amd64", i % 20, i);
		err = pk_btf_archive_writer__add(w, i % 2 ? "debian" : "ubuntu", ver, "x86_64", rel, b, bl, &perr);
		free(b);
	}
	if (!err)
		err = pk_btf_archive_writer__finish(w, out, len, &perr);
	pk_btf_archive_writer__free(w);
	return err;
}

static void test_empty(void)
{
	struct pk_btf_archive_writer *w = pk_btf_archive_writer__new(NULL);
	struct pk_btf_archive *a;
	void *data, *b;
	size_t len, bl;

	CHECK("empty archive", pk_btf_archive_writer__finish(w, &data, &len, &perr) == 0, "finish failed");
	pk_btf_archive_writer__free(w);
	a = pk_btf_archive__open_mem(data, len, &perr);
	CHECK("empty archive", a, "open: %s", perr.msg);
	CHECK_INT("empty archive", pk_btf_archive__entry_cnt(a), 0);
	CHECK_INT("empty archive", pk_btf_archive__find(a, "a", "b", "c", "d", &b, &bl, &perr), -ENOENT);
	CHECK_INT("empty archive", pk_btf_archive__verify(a, &perr), 0);
	pk_btf_archive__free(a);
	pk_btf_archive__free(NULL);
	pk_btf_archive_writer__free(NULL);
	free(data);
	PASS("empty archive");
}

static void test_round_trip(void)
{
	struct pk_btf_archive_writer *w = pk_btf_archive_writer__new(NULL);
	struct pk_btf_archive *a;
	struct pk_btf_archive_entry e;
	void *b1, *b2, *data, *got;
	size_t l1, l2, len, gl;

	b1 = make_btf(1, &l1);
	b2 = make_btf(2, &l2);
	CHECK_INT("round trip", pk_btf_archive_writer__add(w, "ubuntu", "20.04", "x86_64", "5.4.0-42-generic", b1, l1, &perr), 0);
	CHECK_INT("round trip", pk_btf_archive_writer__add(w, "ubuntu", "20.04", "x86_64", "5.4.0-99-generic", b2, l2, &perr), 0);
	CHECK_INT("round trip", pk_btf_archive_writer__add(w, "centos", "8", "x86_64", "4.18.0-147.el8.x86_64", b1, l1, &perr), 0);
	/* the same key and BTF again is a no-op; other BTF is a conflict */
	CHECK_INT("round trip", pk_btf_archive_writer__add(w, "centos", "8", "x86_64", "4.18.0-147.el8.x86_64", b1, l1, &perr), 0);
	CHECK_INT("duplicate key", pk_btf_archive_writer__add(w, "centos", "8", "x86_64", "4.18.0-147.el8.x86_64", b2, l2, &perr), -EEXIST);
	PASS("duplicate key");
	CHECK_INT("dedup", pk_btf_archive_writer__entry_cnt(w), 3);
	CHECK_INT("dedup", pk_btf_archive_writer__blob_cnt(w), 2);
	CHECK_INT("round trip", pk_btf_archive_writer__finish(w, &data, &len, &perr), 0);
	pk_btf_archive_writer__free(w);

	a = pk_btf_archive__open_mem(data, len, &perr);
	CHECK("round trip", a, "open: %s", perr.msg);
	CHECK_INT("dedup", pk_btf_archive__blob_cnt(a), 2);
	CHECK_INT("round trip", pk_btf_archive__entry_cnt(a), 3);
	/* sorted: centos first */
	CHECK_INT("round trip", pk_btf_archive__entry(a, 0, &e), 0);
	CHECK_STR("round trip", e.os_id, "centos");
	CHECK_STR("round trip", e.release, "4.18.0-147.el8.x86_64");
	CHECK_INT("round trip", e.size, l1);
	CHECK_INT("round trip", pk_btf_archive__entry(a, 3, &e), -ERANGE);

	CHECK_INT("round trip", pk_btf_archive__find(a, "ubuntu", "20.04", "x86_64", "5.4.0-99-generic", &got, &gl, &perr), 0);
	CHECK("round trip", gl == l2 && !memcmp(got, b2, l2), "bytes differ");
	free(got);
	CHECK_INT("round trip", pk_btf_archive__find(a, "centos", "8", "x86_64", "4.18.0-147.el8.x86_64", &got, &gl, &perr), 0);
	CHECK("round trip", gl == l1 && !memcmp(got, b1, l1), "bytes differ");
	free(got);
	CHECK_INT("exact match only", pk_btf_archive__find(a, "ubuntu", "20.04", "x86_64", "5.4.0-42", &got, &gl, &perr), -ENOENT);
	CHECK_INT("exact match only", pk_btf_archive__find(a, "ubuntu", "20.04", "aarch64", "5.4.0-42-generic", &got, &gl, &perr), -ENOENT);
	CHECK_INT("exact match only", pk_btf_archive__find(a, "ubuntu", "20.0", "x86_64", "5.4.0-42-generic", &got, &gl, &perr), -ENOENT);
	CHECK("exact match only", got == NULL && gl == 0, "outputs not cleared");
	PASS("exact match only");
	CHECK_INT("round trip", pk_btf_archive__verify(a, &perr), 0);

	{
		size_t idx[4];
		int n = pk_btf_archive__near_misses(a, "ubuntu", "20.04", "x86_64", "5.4.0-1-generic", idx, 4);

		CHECK_INT("near misses", n, 2);
		pk_btf_archive__entry(a, idx[0], &e);
		CHECK_STR("near misses", e.release, "5.4.0-42-generic");
		n = pk_btf_archive__near_misses(a, "ubuntu", "20.04", "x86_64", "5.4.0-42-generic", idx, 4);
		CHECK_INT("near misses", n, 1);
		pk_btf_archive__entry(a, idx[0], &e);
		CHECK_STR("near misses", e.release, "5.4.0-99-generic");
		CHECK_INT("near misses", pk_btf_archive__near_misses(a, "ubuntu", "22.04", "x86_64", "x", idx, 4), 0);
		CHECK_INT("near misses", pk_btf_archive__near_misses(a, "ubuntu", "20.04", "x86_64", "x", idx, 1), 2);
		CHECK_INT("near misses", pk_btf_archive__near_misses(a, "centos", "8", "x86_64", NULL, NULL, 0), 1);
		PASS("near misses");
	}
	pk_btf_archive__free(a);
	free(data);
	free(b1);
	free(b2);
	PASS("dedup");
	PASS("round trip");
}

static void test_writer_rejects(void)
{
	struct pk_btf_archive_writer *w = pk_btf_archive_writer__new(NULL);
	size_t l;
	void *b = make_btf(3, &l);
	char junk[64] = "not btf at all";
	char longk[300];

	memset(longk, 'a', sizeof(longk) - 1);
	longk[sizeof(longk) - 1] = 0;
	CHECK_INT("writer rejects bad keys", pk_btf_archive_writer__add(w, "a/b", "1", "x86_64", "r", b, l, &perr), -EINVAL);
	CHECK_INT("writer rejects bad keys", pk_btf_archive_writer__add(w, "", "1", "x86_64", "r", b, l, &perr), -EINVAL);
	CHECK_INT("writer rejects bad keys", pk_btf_archive_writer__add(w, "a", "1 2", "x86_64", "r", b, l, &perr), -EINVAL);
	CHECK_INT("writer rejects bad keys", pk_btf_archive_writer__add(w, "a", "1", "..", "r", b, l, &perr), -EINVAL);
	CHECK_INT("writer rejects bad keys", pk_btf_archive_writer__add(w, "a", "1", "x", longk, b, l, &perr), -EINVAL);
	CHECK_INT("writer rejects bad keys", pk_btf_archive_writer__add(w, "a", "1", "x", NULL, b, l, &perr), -EINVAL);
	CHECK("writer rejects bad keys", strstr(perr.msg, "release"), "%s",
	      perr.msg);
	PASS("writer rejects bad keys");
	CHECK_INT("writer rejects bad BTF", pk_btf_archive_writer__add(w, "a", "1", "x", "r", junk, sizeof(junk), &perr), -EINVAL);
	CHECK_INT("writer rejects bad BTF", pk_btf_archive_writer__add(w, "a", "1", "x", "r", b, l / 2, &perr), -EINVAL);
	CHECK_INT("writer rejects bad BTF", pk_btf_archive_writer__add(w, "a", "1", "x", "r", b, 0, &perr), -EINVAL);
	CHECK_INT("writer rejects bad BTF", pk_btf_archive_writer__entry_cnt(w), 0);
	PASS("writer rejects bad BTF");
	pk_btf_archive_writer__free(w);
	free(b);
}

/* CPU time: the test machine is shared, wall time measures the neighbours */
static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return t.tv_sec + t.tv_nsec / 1e9;
}

static int dbl_cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* thousands of keys: every key found with its own bytes; then the agent's path
 * (open, one lookup, free) 200 times. Its time is printed, never asserted: the
 * 5 ms target is measured by `make bench` (bench/btf.sh), not by a test. */
static void test_many_and_speed(void)
{
	enum { N = 3000, M = 700 };
	struct pk_btf_archive *a;
	struct pk_btf_archive_entry e;
	void *data, *got, *want;
	size_t len, gl, wl, i;
	double t0, worst = 0, total = 0, times[200];

	CHECK_INT("many keys", build(N, M, &data, &len), 0);
	a = pk_btf_archive__open_mem(data, len, &perr);
	CHECK("many keys", a, "open: %s", perr.msg);
	CHECK_INT("many keys", pk_btf_archive__entry_cnt(a), N);
	CHECK_INT("many keys", pk_btf_archive__blob_cnt(a), M);
	for (i = 0; i < N; i++) {
		int seed;

		pk_btf_archive__entry(a, i, &e);
		CHECK_INT("many keys", pk_btf_archive__find(a, e.os_id, e.version_id, e.arch, e.release, &got, &gl, &perr), 0);
		/* the release's last number is the insertion index, whose BTF is seed i % M */
		seed = atoi(strchr(e.release, '-') + 1) % M;
		want = make_btf(seed, &wl);
		CHECK("many keys", gl == wl && !memcmp(got, want, wl), "entry %zu (%s) has other bytes", i, e.release);
		free(want);
		free(got);
	}
	pk_btf_archive__free(a);
	PASS("many keys");

	/* the agent's path: open the embedded bytes, one lookup, free */
	for (i = 0; i < 200; i++) {
		double t;
		char rel[64];

		t0 = now();
		a = pk_btf_archive__open_mem(data, len, &perr);
		snprintf(rel, sizeof(rel), "5.%zu.0-%zu-amd64", (i * 13) % 20, (i * 13) % N);
		CHECK("agent path x200", a, "open: %s", perr.msg);
		{
			char ver[16];

			snprintf(ver, sizeof(ver), "%zu", 10 + ((i * 13) % N) % 3);
			CHECK_INT("agent path x200", pk_btf_archive__find(a, (i * 13) % 2 ? "debian" : "ubuntu", ver, "x86_64", rel, &got, &gl, &perr), 0);
		}
		free(got);
		pk_btf_archive__free(a);
		t = now() - t0;
		times[i] = t;
		total += t;
		if (t > worst)
			worst = t;
	}
	qsort(times, 200, sizeof(times[0]), dbl_cmp);
	/* the median: on a shared machine the mean and worst carry other tenants' stalls */
	printf("# %d keys, %d BTFs, archive %zu bytes: open+lookup min %.3f ms, median %.3f ms, mean %.3f ms, worst %.3f ms\n",
	       N, M, len, times[0] * 1e3, times[100] * 1e3, total / 200 * 1e3, worst * 1e3);
	free(data);
	PASS("agent path x200: open, lookup, free");
}

/* open must fail with this errno and a message containing `what` */
static void expect_bad(const char *name, const void *data, size_t len, int want_errno, const char *what)
{
	struct pk_btf_archive *a = pk_btf_archive__open_mem(data, len, &perr);

	if (a) {
		pk_btf_archive__free(a);
		FAIL(name, "opened");
		return;
	}
	CHECK(name, errno == want_errno, "errno %d, want %d (%s)", errno, want_errno, perr.msg);
	CHECK(name, strstr(perr.msg, what), "message '%s' lacks '%s'", perr.msg, what);
	PASS(name);
}

/* rewrite the index: decompress, let fn edit it, recompress, fix the checksums */
static size_t reindex(const unsigned char *src, size_t len, unsigned char **out,
		      void (*fn)(unsigned char *idx, size_t n, uint32_t ne, uint32_t nb, uint32_t ng))
{
	uint32_t isize = pk_le32(src + 36), ne = pk_le32(src + 20), nb = pk_le32(src + 24), ng = pk_le32(src + 28);
	size_t raw = ZSTD_getFrameContentSize(src + HDR, isize), clen;
	unsigned char *idx = malloc(raw), *c = malloc(ZSTD_compressBound(raw)), *o;

	ZSTD_decompress(idx, raw, src + HDR, isize);
	fn(idx, raw, ne, nb, ng);
	clen = ZSTD_compress(c, ZSTD_compressBound(raw), idx, raw, 3);
	o = malloc(len - isize + clen);
	memcpy(o, src, HDR);
	memcpy(o + HDR, c, clen);
	memcpy(o + HDR + clen, src + HDR + isize, len - HDR - isize);
	wr32(o + 36, clen);
	wr32(o + 40, crc32(0, c, clen));
	fix_header_crc(o);
	free(idx);
	free(c);
	*out = o;
	return len - isize + clen;
}

static void blob_out_of_range(unsigned char *idx, size_t n, uint32_t ne, uint32_t nb, uint32_t ng)
{
	wr32(idx + ne * 16 + 4, 1U << 30);	/* blob 0 offset */
}

static void group_out_of_range(unsigned char *idx, size_t n, uint32_t ne, uint32_t nb, uint32_t ng)
{
	wr32(idx + ne * 16 + nb * 24 + 8, 1U << 30);	/* group 0 compressed size */
}

static void entry_bad_blob(unsigned char *idx, size_t n, uint32_t ne, uint32_t nb, uint32_t ng)
{
	wr32(idx + 8, nb);
}

static void entry_bad_key(unsigned char *idx, size_t n, uint32_t ne, uint32_t nb, uint32_t ng)
{
	wr32(idx + 0, n);	/* key offset past the string table */
}

static void unsorted(unsigned char *idx, size_t n, uint32_t ne, uint32_t nb, uint32_t ng)
{
	unsigned char t[16];

	memcpy(t, idx, 16);
	memcpy(idx, idx + 16, 16);
	memcpy(idx + 16, t, 16);
}

static void test_corruption(void)
{
	unsigned char *data, *bad;
	size_t len, i, blen;
	struct pk_btf_archive *a;
	void *got;
	size_t gl;
	int crashes_avoided = 0;

	CHECK_INT("corruption", build(40, 10, (void **)&data, &len), 0);
	bad = malloc(len + 1);

	memcpy(bad, data, len);
	bad[0] ^= 1;
	expect_bad("rejects bad magic", bad, len, EBADMSG, "magic");

	memcpy(bad, data, len);
	wr32(bad + 8, 2);
	fix_header_crc(bad);
	expect_bad("rejects wrong version", bad, len, EPROTO, "version 2");

	memcpy(bad, data, len);
	bad[20] ^= 1;	/* entry count, crc not fixed */
	expect_bad("rejects bad header checksum", bad, len, EBADMSG, "header checksum");

	expect_bad("rejects truncated file", data, len - 1, EBADMSG, "truncated");
	expect_bad("rejects truncated header", data, 10, EBADMSG, "truncated");
	memcpy(bad, data, len);
	bad[len] = 0;
	expect_bad("rejects trailing data", bad, len + 1, EBADMSG, "trailing");

	memcpy(bad, data, len);
	bad[HDR + 5] ^= 0x40;
	expect_bad("rejects bad index checksum", bad, len, EBADMSG, "index checksum");

	memcpy(bad, data, len);
	wr32(bad + 20, 1U << 30);
	fix_header_crc(bad);
	expect_bad("rejects implausible counts", bad, len, EBADMSG, "implausible");

	{
		unsigned char *r;

		blen = reindex(data, len, &r, blob_out_of_range);
		expect_bad("rejects out-of-range blob offset", r, blen, EBADMSG, "outside");
		free(r);
		blen = reindex(data, len, &r, group_out_of_range);
		expect_bad("rejects out-of-range group", r, blen, EBADMSG, "outside");
		free(r);
		blen = reindex(data, len, &r, entry_bad_blob);
		expect_bad("rejects out-of-range blob id", r, blen, EBADMSG, "entry 0");
		free(r);
		blen = reindex(data, len, &r, entry_bad_key);
		expect_bad("rejects out-of-range key", r, blen, EBADMSG, "entry 0");
		free(r);
		blen = reindex(data, len, &r, unsorted);
		expect_bad("rejects unsorted index", r, blen, EBADMSG, "sorted");
		free(r);
	}

	/* a flipped data byte: open succeeds (lazy), lookup and verify report it */
	memcpy(bad, data, len);
	bad[len - 3] ^= 0x10;
	a = pk_btf_archive__open_mem(bad, len, &perr);
	CHECK("rejects bad data checksum", a, "open: %s", perr.msg);
	CHECK_INT("rejects bad data checksum", pk_btf_archive__verify(a, &perr), -EBADMSG);
	{
		struct pk_btf_archive_entry e;
		int bad_found = 0;

		for (i = 0; i < pk_btf_archive__entry_cnt(a); i++) {
			int r;

			pk_btf_archive__entry(a, i, &e);
			r = pk_btf_archive__find(a, e.os_id, e.version_id, e.arch, e.release, &got, &gl, &perr);
			if (r == 0)
				free(got);
			else if (r == -EBADMSG)
				bad_found++;
		}
		CHECK("rejects bad data checksum", bad_found > 0, "no lookup saw the corruption");
		CHECK("rejects bad data checksum", strstr(perr.msg, "checksum"), "%s",
		      perr.msg);
	}
	pk_btf_archive__free(a);
	PASS("rejects bad data checksum");

	/* every prefix and every single-byte flip: a clean error or a checked result */
	for (i = 0; i < len; i++) {
		a = pk_btf_archive__open_mem(data, i, &perr);
		CHECK("every truncation rejected", !a, "opened at %zu bytes", i);
	}
	PASS("every truncation rejected");
	for (i = 0; i < len; i++) {
		memcpy(bad, data, len);
		bad[i] ^= 0xff;
		a = pk_btf_archive__open_mem(bad, len, &perr);
		if (!a)
			continue;
		if (pk_btf_archive__get(a, 0, &got, &gl, &perr) == 0)
			free(got);
		pk_btf_archive__verify(a, &perr);
		pk_btf_archive__free(a);
		crashes_avoided++;
	}
	printf("# %zu byte flips, %d still opened (data bytes, caught by lookup checksums)\n", len,
	       crashes_avoided);
	PASS("every byte flip handled");
	free(bad);
	free(data);
}

int main(void)
{
	test_empty();
	test_round_trip();
	test_writer_rejects();
	test_many_and_speed();
	test_corruption();
	return UNIT_EXIT();
}
