/* Release/InRelease on this machine's real apt lists: gpgv against Debian's archive
 * keyring, the Release fields, a Packages index against its SHA256, the kernel
 * packages in it; then a tampered InRelease, an empty keyring, an expired Release and
 * a changed index each give their error. Crafted Release bodies cover the parser's
 * refusals. Skips (not a BPF skip) when apt-get update never ran here. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <lz4frame.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "kernels/deb822.h"
#include "kernels/release.h"
#include "unit.h"

/* apt's lists; PK_APT_LISTS points elsewhere (an empty directory shows the skip) */
#define LISTS "/var/lib/apt/lists"
static char tmp[] = "/tmp/pk-test-release.XXXXXX";

static int write_file(const char *path, const void *data, size_t len)
{
	return pk_file__write_atomic(path, data, len);
}

/* an lz4 frame (apt's Packages.lz4) into a malloc'd buffer; -errno */
static int lz4_read(const char *path, char **out, size_t *out_len)
{
	LZ4F_dctx *ctx = NULL;
	char *in = NULL, *buf = NULL;
	size_t in_len, cap = 1 << 20, len = 0, off = 0;
	int rc = -EBADMSG;

	if (pk_file__read(path, &in, &in_len, 256u << 20))
		return -ENOENT;
	if (LZ4F_isError(LZ4F_createDecompressionContext(&ctx, LZ4F_VERSION)))
		goto done;
	buf = malloc(cap);
	while (off < in_len) {
		size_t src = in_len - off, dst, r;

		if (cap - len < (1 << 20)) {
			if (cap >= (1u << 30))
				goto done;
			cap *= 2;
			buf = realloc(buf, cap);
		}
		dst = cap - len;
		r = LZ4F_decompress(ctx, buf + len, &dst, in + off, &src, NULL);
		if (LZ4F_isError(r))
			goto done;
		off += src;
		len += dst;
		if (r == 0 && off == in_len)
			break;
		if (!src && !dst)
			goto done;
	}
	*out = buf;
	*out_len = len;
	buf = NULL;
	rc = 0;
done:
	LZ4F_freeDecompressionContext(ctx);
	free(in);
	free(buf);
	return rc;
}

static int is_hex64(const char *v, size_t n)
{
	if (n != 64)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", v[i]))
			return 0;
	return 1;
}

/* linux-image-* paragraphs: each must name Version, Filename, Size, SHA256 */
static int kernel_packages(const char *t, const char *data, size_t len, int *n, char *example,
			   size_t ex_sz)
{
	const struct pk_deb822_para *p;
	struct pk_error e = { 0 };
	struct pk_deb822 *d = pk_deb822__new(data, len);
	int rc, paras = 0;

	*n = 0;
	while ((rc = pk_deb822__next_paragraph(d, &p, &e)) == 1) {
		const char *name, *v;
		size_t nl, vl;

		paras++;
		if (pk_deb822_para__get(p, "Package", &name, &nl)) {
			printf("FAIL %s: paragraph at line %lu has no Package\n", t, pk_deb822_para__line(p));
			rc = -EBADMSG;
			break;
		}
		if (nl < 12 || memcmp(name, "linux-image-", 12))
			continue;
		if (pk_deb822_para__get(p, "Version", &v, &vl) || !vl ||
		    pk_deb822_para__get(p, "Filename", &v, &vl) || vl < 5 || memcmp(v, "pool/", 5) ||
		    pk_deb822_para__get(p, "Size", &v, &vl) || !vl || strspn(v, "0123456789") < vl ||
		    pk_deb822_para__get(p, "SHA256", &v, &vl) || !is_hex64(v, vl)) {
			printf("FAIL %s: %.*s lacks Version/Filename/Size/SHA256\n", t, (int)nl, name);
			rc = -EBADMSG;
			break;
		}
		/* a versioned image (not the linux-image-amd64 metapackage, not the
		 * -dbg symbols) depends on something: kmod, linux-base, initramfs */
		if (!example[0] && nl > 14 && name[12] >= '0' && name[12] <= '9' &&
		    memcmp(name + nl - 4, "-dbg", 4)) {
			const char *dep;
			size_t dl;

			if (pk_deb822_para__get(p, "Depends", &dep, &dl)) {
				printf("FAIL %s: %.*s has no Depends\n", t, (int)nl, name);
				rc = -EBADMSG;
				break;
			}
			pk_deb822_para__get(p, "Version", &v, &vl);
			snprintf(example, ex_sz, "%.*s %.*s (Depends: %.*s)", (int)nl, name, (int)vl, v,
				 (int)(dl > 60 ? 60 : dl), dep);
		}
		(*n)++;
	}
	pk_deb822__free(d);
	if (rc < 0 && e.code)
		printf("FAIL %s: %s\n", t, e.msg);
	return rc < 0 ? rc : paras;
}

/* one real suite: verify, parse, check its amd64 Packages index, find its kernels */
static void test_suite(const char *inrelease, int *kernels_total)
{
	char t[256], pk_path[4096], example[256] = "", *body = NULL, *pkgs = NULL;
	const char *base = strrchr(inrelease, '/') + 1;
	struct pk_release *r = NULL;
	struct pk_error e = { 0 };
	size_t body_len, pkgs_len;
	const struct pk_release_file *f;
	int rc, nk = 0;

	snprintf(t, sizeof(t), "release/real/%.*s", (int)(strlen(base) - strlen("_InRelease")), base);
	rc = pk_inrelease__verify(inrelease, NULL, &body, &body_len, &e);
	CHECK(t, rc == 0, "verify: %d %s", rc, e.msg);
	/* gpgv's output is the signed text alone, armor and signatures removed */
	CHECK(t, body_len == strlen(body) && !strstr(body, "-----BEGIN PGP") &&
		 !strstr(body, "-----END PGP"), "verified text still has armor");
	rc = pk_release__parse(body, body_len, &r, &e);
	CHECK(t, rc == 0, "parse: %d %s", rc, e.msg);
	CHECK_STR(t, pk_release__origin(r), "Debian");
	CHECK(t, pk_release__codename(r)[0] && strstr(base, pk_release__codename(r)),
	      "codename '%s' is not in the file name", pk_release__codename(r));
	CHECK(t, pk_release__suite(r)[0] && pk_release__version(r)[0], "no Suite or Version");
	CHECK(t, strstr(pk_release__architectures(r), "amd64"), "Architectures: '%s'",
	      pk_release__architectures(r));
	CHECK(t, strstr(pk_release__components(r), "main"), "Components: '%s'",
	      pk_release__components(r));
	CHECK(t, pk_release__date(r) > 1600000000, "Date %lld", (long long)pk_release__date(r));
	CHECK(t, pk_release__valid_until(r) < 0 || pk_release__valid_until(r) > pk_release__date(r),
	      "Valid-Until before Date");
	CHECK(t, pk_release__nfiles(r) > 10, "%zu files", pk_release__nfiles(r));
	f = pk_release__find(r, "main/binary-amd64/Packages");
	CHECK(t, f, "no SHA256 line for main/binary-amd64/Packages");
	CHECK(t, !pk_release__find(r, "main/binary-amd64/Packages.bogus"), "found a bogus path");

	snprintf(pk_path, sizeof(pk_path), "%.*s_main_binary-amd64_Packages.lz4",
		 (int)(strlen(inrelease) - strlen("_InRelease")), inrelease);
	if (access(pk_path, R_OK)) {
		SKIP(t, "no main/binary-amd64 Packages.lz4 next to its InRelease");
		goto done;
	}
	rc = lz4_read(pk_path, &pkgs, &pkgs_len);
	CHECK(t, rc == 0, "cannot decompress '%s': %d", pk_path, rc);
	rc = pk_release__check_index(r, "main/binary-amd64/Packages", pkgs, pkgs_len, &e);
	CHECK(t, rc == 0, "index: %d %s", rc, e.msg);
	rc = kernel_packages(t, pkgs, pkgs_len, &nk, example, sizeof(example));
	CHECK(t, rc > 0, "Packages: %d", rc);
	printf("  %s: %s %s, %zu files listed, %d paragraphs, %d linux-image packages%s%s\n", t,
	       pk_release__suite(r), pk_release__codename(r), pk_release__nfiles(r), rc, nk,
	       example[0] ? ", e.g. " : "", example);
	*kernels_total += nk;

	/* one byte changed in the index: the SHA256 no longer matches */
	pkgs[pkgs_len / 2] ^= 1;
	rc = pk_release__check_index(r, "main/binary-amd64/Packages", pkgs, pkgs_len, &e);
	CHECK_INT(t, rc, -EBADMSG);
	{
		char want[160];

		snprintf(want, sizeof(want),
			 "Packages index 'main/binary-amd64/Packages' does not match its Release SHA256 (got ");
		CHECK(t, !strncmp(e.msg, want, strlen(want)) && strstr(e.msg, f->sha256),
		      "message: %s", e.msg);
	}
	/* one byte short: the size says so first */
	rc = pk_release__check_index(r, "main/binary-amd64/Packages", pkgs, pkgs_len - 1, &e);
	CHECK_INT(t, rc, -EBADMSG);
	CHECK(t, strstr(e.msg, "does not match its Release size"), "message: %s", e.msg);
	PASS(t);
done:
	free(pkgs);
	free(body);
	pk_release__free(r);
}

/* a copy of path with its first occurrence of needle's first byte changed */
static int tampered_copy(const char *path, const char *needle, const char *out)
{
	char *data, *at;
	size_t len;
	int rc;

	if (pk_file__read(path, &data, &len, 64u << 20))
		return -1;
	at = strstr(data, needle);
	if (!at) {
		free(data);
		return -1;
	}
	*at = *at == '0' ? '1' : '0';
	rc = write_file(out, data, len);
	free(data);
	return rc;
}

static void test_bad_signatures(const char *inrelease)
{
	char path[4096], keyring[4096], *body = NULL;
	struct pk_error e = { 0 };
	size_t len;
	int rc;

	{
		const char *t = "release/tampered";

		snprintf(path, sizeof(path), "%s/tampered_InRelease", tmp);
		/* a hex digit in the SHA256 list: the text is signed, so gpgv must say BAD */
		rc = tampered_copy(inrelease, " 0", path);
		if (rc)
			rc = tampered_copy(inrelease, "Date: ", path);
		if (rc) {
			FAIL(t, "cannot make a tampered copy of %s", inrelease);
		} else {
			rc = pk_inrelease__verify(path, NULL, &body, &len, &e);
			if (rc != -EKEYREJECTED || !strstr(e.msg, "BAD signature from ") || body)
				FAIL(t, "got %d '%s'", rc, e.msg);
			else
				PASS(t);
		}
	}
	{
		const char *t = "release/empty-keyring";
		PK_INRELEASE_OPTS(o, .keyring = keyring);

		snprintf(keyring, sizeof(keyring), "%s/empty.gpg", tmp);
		write_file(keyring, "", 0);
		rc = pk_inrelease__verify(inrelease, &o, &body, &len, &e);
		if (rc != -ENOKEY || !strstr(e.msg, "not signed by any key in '") || !strstr(e.msg, keyring) || body)
			FAIL(t, "got %d '%s'", rc, e.msg);
		else
			PASS(t);
	}
	{
		const char *t = "release/missing-keyring";
		PK_INRELEASE_OPTS(o, .keyring = "/nonexistent/keyring.gpg");

		rc = pk_inrelease__verify(inrelease, &o, &body, &len, &e);
		if (rc != -ENOENT || strcmp(e.msg, "cannot open keyring '/nonexistent/keyring.gpg': No such file or directory"))
			FAIL(t, "got %d '%s'", rc, e.msg);
		else
			PASS(t);
	}
	{
		const char *t = "release/no-gpgv";
		PK_INRELEASE_OPTS(o, .gpgv = "/nonexistent/gpgv");

		rc = pk_inrelease__verify(inrelease, &o, &body, &len, &e);
		if (rc != -ENOENT || !strstr(e.msg, "cannot run '/nonexistent/gpgv'"))
			FAIL(t, "got %d '%s'", rc, e.msg);
		else
			PASS(t);
	}
	{
		const char *t = "release/unsigned";
		static const char plain[] = "Origin: Debian\nSuite: x\nSHA256:\n";

		snprintf(path, sizeof(path), "%s/Release", tmp);
		write_file(path, plain, sizeof(plain) - 1);
		rc = pk_inrelease__verify(path, NULL, &body, &len, &e);
		if (rc != -EBADMSG || !strstr(e.msg, "is not one clearsigned message (line 1 ") || body)
			FAIL(t, "got %d '%s'", rc, e.msg);
		else
			PASS(t);
	}
	{
		/* the right shape, but the signature packet is garbage: gpgv finds none */
		const char *t = "release/garbage-signature";
		static const char fake[] = "-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\n"
					   "Origin: Debian\nSuite: x\nSHA256:\n"
					   "-----BEGIN PGP SIGNATURE-----\n\naGVsbG8K\n=AAAA\n"
					   "-----END PGP SIGNATURE-----\n";

		snprintf(path, sizeof(path), "%s/fake_InRelease", tmp);
		write_file(path, fake, sizeof(fake) - 1);
		rc = pk_inrelease__verify(path, NULL, &body, &len, &e);
		if (rc != -EKEYREJECTED || !strstr(e.msg, "no valid OpenPGP signature") || body)
			FAIL(t, "got %d '%s'", rc, e.msg);
		else
			PASS(t);
	}
	{
		/* text around the clearsigned message is not signed: refused before gpgv, as
		 * apt does, so that it can never be parsed: before it, after it, and a
		 * second (replayed, validly signed) message after the first */
		static const char evil[] = "Origin: Evil\nSuite: evil\n\n";
		static const struct {
			const char *name;
			int before, after, twice;
			const char *want;
		} cases[] = {
			{ "release/unsigned-prefix", 1, 0, 0, "(line 1 " },
			{ "release/unsigned-suffix", 0, 1, 0, "is not one clearsigned message (line " },
			{ "release/two-messages", 0, 0, 1, "is not one clearsigned message (line " },
		};
		char *data;
		size_t dl;

		if (pk_file__read(inrelease, &data, &dl, 64u << 20)) {
			FAIL("release/unsigned-prefix", "cannot read %s", inrelease);
			return;
		}
		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			char *both = malloc(2 * dl + sizeof(evil));
			size_t n = 0;

			if (cases[i].before)
				memcpy(both + n, evil, sizeof(evil) - 1), n += sizeof(evil) - 1;
			memcpy(both + n, data, dl), n += dl;
			if (cases[i].after)
				memcpy(both + n, evil, sizeof(evil) - 1), n += sizeof(evil) - 1;
			if (cases[i].twice)
				memcpy(both + n, data, dl), n += dl;
			snprintf(path, sizeof(path), "%s/shape_InRelease", tmp);
			write_file(path, both, n);
			free(both);
			rc = pk_inrelease__verify(path, NULL, &body, &len, &e);
			if (rc != -EBADMSG || !strstr(e.msg, cases[i].want) || body)
				FAIL(cases[i].name, "got %d '%s'", rc, e.msg);
			else
				PASS(cases[i].name);
			free(body);
			body = NULL;
		}
		free(data);
	}
}

/* Valid-Until on the real security Release (the archive's other suites have none) */
static void test_expiry(const char *inrelease)
{
	const char *t = "release/valid-until";
	PK_RELEASE_CHECK_OPTS(allow, .allow_expired = true);
	struct pk_release *r = NULL;
	struct pk_error e = { 0 };
	char *body = NULL, want[256], when[64];
	size_t len;
	int64_t vu;
	bool expired;
	int rc;

	rc = pk_inrelease__verify(inrelease, NULL, &body, &len, &e);
	CHECK(t, !rc, "verify: %s", e.msg);
	rc = pk_release__parse(body, len, &r, &e);
	free(body);
	CHECK(t, !rc, "parse: %s", e.msg);
	vu = pk_release__valid_until(r);
	if (vu < 0) {
		SKIP(t, "this Release has no Valid-Until");
		pk_release__free(r);
		return;
	}
	CHECK_INT(t, pk_release__check_valid(r, vu, NULL, &expired, &e), 0);
	CHECK_INT(t, expired, 0);
	rc = pk_release__check_valid(r, vu + 1, NULL, &expired, &e);
	CHECK_INT(t, rc, -EKEYEXPIRED);
	CHECK_INT(t, expired, 1);
	{
		time_t v = (time_t)vu;
		struct tm tm;

		gmtime_r(&v, &tm);
		strftime(when, sizeof(when), "%a, %d %b %Y %H:%M:%S UTC", &tm);
	}
	snprintf(want, sizeof(want), "Release for %s expired at %s", pk_release__suite(r), when);
	CHECK_STR(t, e.msg, want);
	expired = false;
	CHECK_INT(t, pk_release__check_valid(r, vu + 1, &allow, &expired, &e), 0);
	CHECK_INT(t, expired, 1);
	pk_release__free(r);
	PASS(t);
}

/* ---- crafted Release bodies ---- */

static void test_dates(void)
{
	const char *t = "release/dates";
	static const struct {
		const char *s;
		long long want;	/* -1: refused */
	} cases[] = {
		{ "Thu, 26 Nov 2026 02:14:46 UTC", 1795659286 },
		{ "26 Nov 2026 02:14:46 GMT", 1795659286 },
		{ "Thu, 26 Nov 2026 03:14:46 +0100", 1795659286 },
		{ "Thu, 26 Nov 2026 01:44:46 -0030", 1795659286 },
		{ "Wed, 2 Dec 2026 22:33:12 UTC", 1796250792 },
		{ "Thu, 26 Nov 2026 02:14:46", -1 },
		{ "Thu, 32 Nov 2026 02:14:46 UTC", -1 },
		{ "Thu, 26 Foo 2026 02:14:46 UTC", -1 },
		{ "Thu, 26 Nov 2026 24:00:00 UTC", -1 },
		{ "Thu, 26 Nov 2026 02:14:46 UTC trailing", -1 },
		{ "", -1 },
		{ "yesterday", -1 },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t v = 0;
		int rc = pk_release__parse_date(cases[i].s, strlen(cases[i].s), &v);

		if (cases[i].want < 0)
			CHECK(t, rc == -EINVAL, "'%s' accepted as %lld", cases[i].s, (long long)v);
		else
			CHECK(t, !rc && v == cases[i].want, "'%s': rc %d, %lld", cases[i].s, rc, (long long)v);
	}
	PASS(t);
}

#define ABC_SHA "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"

static void test_crafted(void)
{
	static const char good[] = "Origin: Test\nSuite: stable\nCodename: demo\n"
				   "Date: Thu, 26 Nov 2026 02:14:46 UTC\nSHA256:\n"
				   " " ABC_SHA " 3 main/binary-amd64/Packages\n"
				   " " "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD" "   3 main/x";
	static const struct {
		const char *name, *body, *msg;
	} bad[] = {
		{ "no-sha256", "Suite: s\nCodename: c\n", "Release for s has no SHA256 list" },
		{ "no-suite", "Origin: x\nSHA256:\n", "Release names neither Suite nor Codename" },
		{ "short-hash", "Suite: s\nSHA256:\n abc 3 main/x\n", "Release SHA256 list, entry 1: not 'HASH SIZE PATH'" },
		{ "no-size", "Suite: s\nSHA256:\n " ABC_SHA " main/x\n", "Release SHA256 list, entry 1: not 'HASH SIZE PATH'" },
		{ "no-path", "Suite: s\nSHA256:\n " ABC_SHA " 1 main/x\n " ABC_SHA " 3\n", "Release SHA256 list, entry 2: not 'HASH SIZE PATH'" },
		{ "size-overflow", "Suite: s\nSHA256:\n " ABC_SHA " 99999999999999999999999 main/x\n", "Release SHA256 list, entry 1: not 'HASH SIZE PATH'" },
		{ "bad-date", "Suite: s\nDate: yesterday\nSHA256:\n", "Release Date 'yesterday' is not an RFC 2822 date" },
		{ "bad-syntax", "Suite: s\nno colon here\n", "Release: line 2: no ':' in a field line" },
		{ "empty", "\n\n", "Release is empty" },
	};
	struct pk_release *r = NULL;
	struct pk_error e = { 0 };
	const struct pk_release_file *f;
	const char *t = "release/crafted";
	bool expired = true;
	int rc;

	rc = pk_release__parse(good, sizeof(good) - 1, &r, &e);
	CHECK(t, !rc, "%s", e.msg);
	CHECK_STR(t, pk_release__suite(r), "stable");
	CHECK_STR(t, pk_release__codename(r), "demo");
	CHECK_STR(t, pk_release__version(r), "");
	CHECK_INT(t, pk_release__date(r), 1795659286);
	CHECK_INT(t, pk_release__valid_until(r), -1);
	CHECK_INT(t, pk_release__nfiles(r), 2);
	f = pk_release__file(r, 1);
	CHECK(t, f && f->size == 3 && !strcmp(f->path, "main/x") && !strcmp(f->sha256, ABC_SHA),
	      "second entry wrong (upper-case hash not folded?)");
	CHECK(t, !pk_release__file(r, 2), "entry past the end");
	/* no Valid-Until: never expires */
	CHECK_INT(t, pk_release__check_valid(r, INT64_MAX, NULL, &expired, &e), 0);
	CHECK_INT(t, expired, 0);
	CHECK_INT(t, pk_release__check_index(r, "main/x", "abc", 3, &e), 0);
	CHECK_INT(t, pk_release__check_index(r, "main/x", "abd", 3, &e), -EBADMSG);
	CHECK_STR(t, e.msg, "Packages index 'main/x' does not match its Release SHA256 (got "
		  "a52d159f262b2c6ddb724a61840befc36eb30c88877a4030b65cbe86298449c9, want " ABC_SHA ")");
	CHECK_INT(t, pk_release__check_index(r, "main/x", "abcd", 4, &e), -EBADMSG);
	CHECK_STR(t, e.msg, "Packages index 'main/x' does not match its Release size (got 4 bytes, want 3)");
	CHECK_INT(t, pk_release__check_index(r, "main/y", "abc", 3, &e), -ENOENT);
	CHECK_STR(t, e.msg, "Release for stable lists no SHA256 for 'main/y'");
	pk_release__free(r);
	pk_release__free(NULL);
	PASS(t);

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];
		size_t n = strlen(bad[i].body);
		char *exact = malloc(n + 1);

		snprintf(name, sizeof(name), "release/crafted/%s", bad[i].name);
		memcpy(exact, bad[i].body, n);	/* no terminator inside the length */
		pk_error__clear(&e);
		r = NULL;
		rc = pk_release__parse(exact, n, &r, &e);
		free(exact);
		if (rc != -EBADMSG || r || strcmp(e.msg, bad[i].msg))
			FAIL(name, "got %d '%s', want '%s'", rc, e.msg, bad[i].msg);
		else
			PASS(name);
		pk_release__free(r);
	}
}

int main(void)
{
	glob_t g = { 0 };
	const char *security = NULL, *small = NULL, *lists = getenv("PK_APT_LISTS");
	char pattern[4096], why[4200];
	int kernels = 0;

	test_dates();
	test_crafted();

	if (!lists || !lists[0])
		lists = LISTS;
	snprintf(pattern, sizeof(pattern), "%s/*_InRelease", lists);
	if (glob(pattern, 0, NULL, &g) || !g.gl_pathc) {
		snprintf(why, sizeof(why), "no InRelease in %s (apt-get update never ran here)", lists);
		SKIP("release/real", why);
		globfree(&g);
		return UNIT_EXIT();
	}
	if (access(PK_DEBIAN_KEYRING, R_OK)) {
		SKIP("release/real", "no " PK_DEBIAN_KEYRING " (debian-archive-keyring not installed)");
		globfree(&g);
		return UNIT_EXIT();
	}
	if (!mkdtemp(tmp)) {
		FAIL("release/tmp", "mkdtemp: %s", strerror(errno));
		return UNIT_EXIT();
	}
	for (size_t i = 0; i < g.gl_pathc; i++) {
		const char *p = g.gl_pathv[i];

		test_suite(p, &kernels);
		if (strstr(p, "security"))
			security = p;
		if (!small || strstr(p, "updates"))
			small = p;
	}
	if (kernels > 0)
		PASS("release/real/kernels-found");
	else
		FAIL("release/real/kernels-found", "no linux-image package in any of %zu suites", g.gl_pathc);
	test_bad_signatures(small);
	if (security)
		test_expiry(security);
	else
		SKIP("release/valid-until", "no security suite in the apt lists (only it carries Valid-Until)");
	globfree(&g);
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
		if (system(cmd))
			FAIL("release/cleanup", "cannot remove %s", tmp);
	}
	return UNIT_EXIT();
}
