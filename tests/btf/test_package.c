/* pk_package__extract on real packages made here (a .deb by dpkg-deb, a minimal
 * rpm by mkpkg.py): the member comes out whole and only under its base name in dir; a
 * cap, a missing member, a non-package and an unreadable file each give their errno.
 * The walk under it (btf extract's too): what each entry says, a bad data.tar.*, and
 * the size cap to the byte, for entries of known and of unknown size. pk_package__unpack
 * on hostile .debs (tests/build/mkdeb.py): nothing lands outside, links stay inside. */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "btf/package.h"
#include "common/pk.h"
#include "unit.h"

static char tmp[] = "/tmp/pk-test-package.XXXXXX";
static char mkpkg[4096];	/* tests/btf/mkpkg.py, absolute */
static const char *const kernels[] = { "boot/vmlinuz-*", "lib/modules/*/vmlinuz", NULL };
#define CONTENT "not really a kernel, but 40 bytes long.\n"

static int sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int sh(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	return system(cmd);
}

static void check_out(const char *name, const char *out, const char *want_path)
{
	char *data = NULL;
	size_t n = 0;

	CHECK_STR(name, out, want_path);
	CHECK_INT(name, pk_file__read(out, &data, &n, 1 << 20), 0);
	CHECK(name, n == strlen(CONTENT) && !memcmp(data, CONTENT, n), "content differs (%zu bytes)", n);
	free(data);
	PASS(name);
}

struct seen {
	int entries, ar_members, kernels;
	unsigned int kernel_depth;
	int read_rc, cap_rc;
	char *data;
	size_t len;
};

static int on_entry(struct pk_package *pkg, const struct pk_package_entry *e, void *ctx)
{
	struct seen *s = ctx;
	struct pk_error err = { 0 };
	void *buf;
	size_t len;

	s->entries++;
	s->ar_members += e->ar_member;
	if (strcmp(e->path, "./boot/vmlinuz-9.8.7"))
		return 0;
	s->kernels++;
	s->kernel_depth = e->depth;
	s->cap_rc = pk_package__read(pkg, 16, &buf, &len, &err);
	s->read_rc = pk_package__read(pkg, 1 << 20, &buf, &len, &err);
	if (!s->read_rc) {
		s->data = buf;
		s->len = len;
	}
	return 0;
}

/* the .deb from memory: its own members at depth 0, then data.tar.*'s, the walk once */
static void test_walk(const char *deb)
{
	struct seen s = { 0 };
	struct pk_package *pkg = NULL;
	struct pk_error e = { 0 };
	char *data = NULL;
	size_t n = 0;
	int rc;

	CHECK_INT("package/walk", pk_file__read(deb, &data, &n, 1 << 20), 0);
	rc = pk_package__open_mem(data, n, &pkg, &e);
	CHECK("package/walk", !rc, "open rc %d: %s", rc, e.msg);
	rc = pk_package__walk(pkg, on_entry, &s, &e);
	CHECK("package/walk", rc == 0, "walk rc %d: %s", rc, e.msg);
	CHECK("package/walk", s.ar_members >= 2 && s.kernels == 1 && s.kernel_depth == 1,
	      "%d ar members, %d kernels at depth %u", s.ar_members, s.kernels, s.kernel_depth);
	CHECK_STR("package/walk", pk_package__archive(pkg) ?: "(none)", "data.tar.xz");
	CHECK("package/walk", s.cap_rc == -EFBIG, "read past the cap: %d", s.cap_rc);
	/* the first read failed on the size the header gives, before reading a byte */
	CHECK("package/walk", !s.read_rc && s.len == strlen(CONTENT) && !memcmp(s.data, CONTENT, s.len),
	      "read rc %d, %zu bytes", s.read_rc, s.len);
	CHECK("package/walk", pk_package__walk(pkg, on_entry, &s, &e) == -EINVAL, "walked twice");
	PASS("package/walk");
	free(s.data);
	pk_package__free(pkg);
	free(data);
}

/* the first regular entry of file, read with a cap of max */
struct first {
	size_t max;
	int rc;
	char *data;
	size_t len;
	struct pk_error err;
};

static int read_first(struct pk_package *pkg, const struct pk_package_entry *e, void *ctx)
{
	struct first *f = ctx;
	void *buf;

	if (e->ar_member)
		return 0;
	f->rc = pk_package__read(pkg, f->max, &buf, &f->len, &f->err);
	f->data = f->rc ? NULL : buf;
	return 1;
}

/* name: a read of file's first entry with cap max gives want_rc and, on 0, want (n bytes) */
static void check_cap(const char *name, const char *file, size_t max, int want_rc, const char *want, size_t n)
{
	struct first f = { .max = max, .rc = 1 };
	struct pk_package *pkg = NULL;
	struct pk_error e = { 0 };
	char *data = NULL;
	size_t len = 0;
	int rc;

	CHECK_INT(name, pk_file__read(file, &data, &len, 16 << 20), 0);
	rc = pk_package__open_mem(data, len, &pkg, &e);
	CHECK(name, !rc, "open rc %d: %s", rc, e.msg);
	rc = pk_package__walk(pkg, read_first, &f, &e);
	CHECK(name, rc == 1, "walk rc %d: %s", rc, e.msg);
	CHECK(name, f.rc == want_rc, "read with a cap of %zu: rc %d (%s), want %d", max, f.rc, f.err.msg, want_rc);
	CHECK(name, want_rc || (f.len == n && !memcmp(f.data, want, n) && !f.data[n]),
	      "read %zu bytes, want %zu", f.len, n);
	CHECK(name, want_rc != -EFBIG || strstr(f.err.msg, "larger than"), "message: %s", f.err.msg);
	PASS(name);
	free(f.data);
	pk_package__free(pkg);
	free(data);
}

/* the cap to the byte: an entry of exactly max bytes is read, one of max + 1 is not,
 * whether its size is in its header (.deb) or found by reading (a streamed zip) */
static void test_cap_exact(const char *deb)
{
	static const size_t big_n = (3u << 20) + 5;	/* past the 1 MiB first buffer */
	char zip[512], big[512], bigzip[512], *b;
	size_t i, n = strlen(CONTENT);

	if (deb) {
		check_cap("package/cap-exact/known-size", deb, n, 0, CONTENT, n);
		check_cap("package/cap-exact/known-size-1", deb, n - 1, -EFBIG, NULL, 0);
	}
	snprintf(zip, sizeof(zip), "%s/k.zip", tmp);
	snprintf(big, sizeof(big), "%s/big", tmp);
	snprintf(bigzip, sizeof(bigzip), "%s/big.zip", tmp);
	b = malloc(big_n);
	CHECK("package/cap-exact/unknown-size", b, "out of memory");
	for (i = 0; i < big_n; i++)
		b[i] = (char)(i * 2654435761u >> 13);
	CHECK_INT("package/cap-exact/unknown-size", pk_file__write_atomic(big, b, big_n), 0);
	if (sh("cd '%s' && python3 '%s' zip k.zip boot/vmlinuz-9.8.7 content && "
	       "python3 '%s' zip big.zip boot/vmlinuz-9.8.7 big", tmp, mkpkg, mkpkg)) {
		FAIL("package/cap-exact/unknown-size", "cannot build the zips");
		free(b);
		return;
	}
	check_cap("package/cap-exact/unknown-size", zip, n, 0, CONTENT, n);
	check_cap("package/cap-exact/unknown-size-1", zip, n - 1, -EFBIG, NULL, 0);
	check_cap("package/cap-exact/unknown-size-big", zip, 1 << 20, 0, CONTENT, n);
	check_cap("package/cap-exact/unknown-size-grown", bigzip, big_n, 0, b, big_n);
	check_cap("package/cap-exact/unknown-size-grown-1", bigzip, big_n - 1, -EFBIG, NULL, 0);
	free(b);
}

/* a .deb whose data.tar.gz is no archive: -ENOEXEC naming it, then the extract message */
static void test_bad_nested(const char *dir)
{
	static const char junk[] = "garbage, garbage, garbage, garbage";
	char deb[600], out[512], *data = NULL;
	struct pk_package *pkg = NULL;
	struct pk_error e = { 0 };
	struct seen s = { 0 };
	size_t n;
	int rc;

	n = (size_t)snprintf(NULL, 0, "!<arch>\n%-16s%-12s%-6s%-6s%-8s%-10zu`\n%s", "data.tar.gz", "0", "0",
			     "0", "100644", strlen(junk), junk);
	data = malloc(n + 1);
	CHECK("package/bad-data-tar", data, "out of memory");
	snprintf(data, n + 1, "!<arch>\n%-16s%-12s%-6s%-6s%-8s%-10zu`\n%s", "data.tar.gz", "0", "0", "0",
		 "100644", strlen(junk), junk);
	snprintf(deb, sizeof(deb), "%s/bad.deb", tmp);
	CHECK_INT("package/bad-data-tar", pk_file__write_atomic(deb, data, n), 0);
	rc = pk_package__open_mem(data, n, &pkg, &e);
	CHECK("package/bad-data-tar", !rc, "open rc %d: %s", rc, e.msg);
	rc = pk_package__walk(pkg, on_entry, &s, &e);
	CHECK("package/bad-data-tar", rc == -ENOEXEC && s.entries == 0, "walk rc %d, %d entries", rc, s.entries);
	CHECK_STR("package/bad-data-tar", pk_package__archive(pkg) ?: "(none)", "data.tar.gz");
	rc = pk_package__extract(deb, kernels, dir, 0, out, sizeof(out), &e);
	CHECK("package/bad-data-tar", rc == -EBADMSG && strstr(e.msg, "': cannot read data.tar.gz: "),
	      "rc %d: %s", rc, e.msg);
	PASS("package/bad-data-tar");
	pk_package__free(pkg);
	free(data);
}


/* pk_package__unpack: hostile .debs made by tests/build/mkdeb.py */
static char mkdeb[4096];

/* make tmp/NAME.deb from entries, unpack it into a fresh tmp/u-NAME: its rc */
static int unpack(const char *name, const char *entries, const struct pk_unpack_opts *o, struct pk_error *e)
{
	char deb[512], dir[512];

	snprintf(deb, sizeof(deb), "%s/%s.deb", tmp, name);
	snprintf(dir, sizeof(dir), "%s/u-%s", tmp, name);
	if (sh("python3 '%s' '%s' %s && rm -rf '%s' && mkdir '%s'", mkdeb, deb, entries, dir, dir))
		return -9999;
	return pk_package__unpack(deb, dir, o, e);
}

static bool exists(const char *name, const char *rel, mode_t type)
{
	char path[1024];
	struct stat st;

	snprintf(path, sizeof(path), "%s/u-%s/%s", tmp, name, rel);
	return !lstat(path, &st) && (st.st_mode & S_IFMT) == type;
}

static void test_unpack(const char *rpm)
{
	unsigned long files = 0, dirs = 0, links = 0, skipped = 0;
	unsigned long long bytes = 0;
	struct pk_error e = { 0 };
	char path[1024], link[64];
	struct stat st;
	ssize_t n;
	int rc;

	if (!realpath("tests/build/mkdeb.py", mkdeb)) {
		FAIL("package/unpack", "tests/build/mkdeb.py: %s", strerror(errno));
		return;
	}
	{	/* Debian's headers layout: a tree, relative links into a sibling, an absolute link */
		PK_UNPACK_OPTS(o, .files = &files, .dirs = &dirs, .links = &links, .skipped = &skipped,
			       .bytes = &bytes);
		const char *name = "package/unpack-tree";

		rc = unpack("tree", "d:./ d:./usr/ d:./usr/src/ f:./usr/src/h-amd64/Makefile=inc "
			    "l:./usr/src/h-amd64/scripts=../../lib/kbuild/scripts x:./usr/lib/kbuild/scripts/run=sh "
			    "l:./usr/src/h-common/x.h=y.h f:./usr/src/h-common/y.h=yy "
			    "l:./lib/modules/1/build=/usr/src/h-amd64 p:./usr/fifo", &o, &e);
		CHECK_INT(name, rc, 0);
		CHECK(name, exists("tree", "usr/src/h-amd64/Makefile", S_IFREG), "no Makefile");
		CHECK(name, exists("tree", "usr/src/h-amd64/scripts", S_IFLNK), "no scripts link");
		snprintf(path, sizeof(path), "%s/u-tree/usr/src/h-amd64/scripts/run", tmp);
		CHECK(name, !stat(path, &st) && (st.st_mode & 0111), "the link does not lead to an executable run");
		snprintf(path, sizeof(path), "%s/u-tree/usr/src/h-common/x.h", tmp);
		n = readlink(path, link, sizeof(link) - 1);
		CHECK(name, n == 3 && !memcmp(link, "y.h", 3), "x.h link");
		CHECK(name, !exists("tree", "lib/modules/1/build", S_IFLNK), "the absolute link was made");
		CHECK(name, !exists("tree", "usr/fifo", S_IFIFO), "a fifo was made");
		CHECK_INT(name, files, 3);
		CHECK_INT(name, links, 2);
		CHECK_INT(name, skipped, 2);
		CHECK_INT(name, bytes, 7);
		CHECK_INT(name, dirs, 2);	/* "./" is the root itself */
		PASS(name);
	}
	{
		const char *name = "package/unpack-refuses-dotdot";

		rc = unpack("dotdot", "f:./usr/../../escaped=x", NULL, &e);
		CHECK_INT(name, rc, -EBADMSG);
		CHECK(name, strstr(e.msg, "refusing entry path"), "err: %s", e.msg);
		snprintf(path, sizeof(path), "%s/escaped", tmp);
		CHECK(name, access(path, F_OK), "written outside");
		rc = unpack("abs", "f:/tmp/pk-abs-escape=x", NULL, &e);
		CHECK_INT(name, rc, -EBADMSG);
		CHECK(name, access("/tmp/pk-abs-escape", F_OK), "written outside");
		PASS(name);
	}
	{	/* a link out of the tree is not made; a file through a link is refused */
		const char *name = "package/unpack-links-stay-inside";

		rc = unpack("linkout", "l:./a/up=../../.. l:./b=a/../.. l:./c=x/../../.. l:./d=/etc", NULL, &e);
		CHECK_INT(name, rc, 0);
		CHECK(name, !exists("linkout", "a/up", S_IFLNK) && !exists("linkout", "b", S_IFLNK) &&
			    !exists("linkout", "c", S_IFLNK) && !exists("linkout", "d", S_IFLNK),
		      "an escaping link was made");
		rc = unpack("through", "d:./real l:./a=real f:./a/f=x", NULL, &e);
		CHECK_INT(name, rc, -EBADMSG);
		CHECK(name, strstr(e.msg, "through a link"), "err: %s", e.msg);
		CHECK(name, !exists("through", "real/f", S_IFREG), "written through the link");
		/* a link replacing a directory does not turn it into a way out */
		rc = unpack("relink", "l:./x=y f:./x/f=1", NULL, &e);
		CHECK_INT(name, rc, -EBADMSG);
		PASS(name);
	}
	if (rpm) {	/* an rpm's payload is walked at the top level */
		const char *name = "package/unpack-rpm";
		char dir[512];

		snprintf(dir, sizeof(dir), "%s/u-rpm", tmp);
		mkdir(dir, 0700);
		CHECK_INT(name, pk_package__unpack(rpm, dir, NULL, &e), 0);
		CHECK(name, exists("rpm", "lib/modules/9.8.7/vmlinuz", S_IFREG), "no vmlinuz");
		PASS(name);
	}
	{
		const char *name = "package/unpack-hardlink";

		rc = unpack("hard", "f:./a=x h:./b=./a", NULL, &e);
		CHECK_INT(name, rc, -EBADMSG);
		CHECK(name, strstr(e.msg, "hard link"), "err: %s", e.msg);
		PASS(name);
	}
	{
		PK_UNPACK_OPTS(few, .max_entries = 2);
		PK_UNPACK_OPTS(small, .max_bytes = 5);
		PK_UNPACK_OPTS(exact, .max_bytes = 6);
		const char *name = "package/unpack-caps";

		rc = unpack("caps", "f:./a=abc f:./b=def f:./c=g", &few, &e);
		CHECK_INT(name, rc, -EFBIG);
		CHECK(name, strstr(e.msg, "more than 2 entries"), "err: %s", e.msg);
		rc = unpack("caps", "f:./a=abc f:./b=def", &small, &e);
		CHECK_INT(name, rc, -EFBIG);
		rc = unpack("caps", "f:./a=abc f:./b=def", &exact, &e);
		CHECK_INT(name, rc, 0);
		rc = unpack("empty", "", NULL, &e);
		CHECK_INT(name, rc, -EBADMSG);
		PASS(name);
	}
}

int main(void)
{
	char deb[256], rpm[256], dir[256], out[512], want[512];
	struct pk_error e = { 0 };
	bool have_deb = false, have_rpm = false;
	struct stat st;
	int rc;

	if (!mkdtemp(tmp)) {
		FAIL("package", "mkdtemp: %s", strerror(errno));
		return UNIT_EXIT();
	}
	/* tests/run.sh runs us from the top of the tree */
	if (!realpath("tests/btf/mkpkg.py", mkpkg)) {
		FAIL("package", "tests/btf/mkpkg.py: %s", strerror(errno));
		return UNIT_EXIT();
	}
	snprintf(deb, sizeof(deb), "%s/k.deb", tmp);
	snprintf(rpm, sizeof(rpm), "%s/k.rpm", tmp);
	snprintf(dir, sizeof(dir), "%s/out", tmp);
	mkdir(dir, 0700);
	if (sh("cd '%s' && mkdir -p d/DEBIAN d/boot && printf '%%s' '" CONTENT "' >d/boot/vmlinuz-9.8.7 && "
	       "printf 'Package: k\\nVersion: 1\\nArchitecture: amd64\\nMaintainer: t <t@t>\\nDescription: t\\n' >d/DEBIAN/control && "
	       "dpkg-deb -Zxz -b d k.deb >/dev/null", tmp)) {
		SKIP("package/deb", "dpkg-deb cannot build a .deb here");
	} else {
		rc = pk_package__extract(deb, kernels, dir, 0, out, sizeof(out), &e);
		snprintf(want, sizeof(want), "%s/vmlinuz-9.8.7", dir);
		if (rc)
			FAIL("package/deb", "rc %d: %s", rc, e.msg);
		else
			check_out("package/deb", out, want);

		/* a cap below the member's size: -EFBIG, nothing written */
		unlink(want);
		rc = pk_package__extract(deb, kernels, dir, 16, out, sizeof(out), &e);
		if (rc != -EFBIG || !stat(want, &st))
			FAIL("package/cap", "rc %d (%s), or '%s' written", rc, e.msg, want);
		else
			PASS("package/cap");

		static const char *const none[] = { "boot/System.map-*", NULL };
		rc = pk_package__extract(deb, none, dir, 0, out, sizeof(out), &e);
		if (rc != -ENOENT || !strstr(e.msg, "has no member boot/System.map-*"))
			FAIL("package/no-member", "rc %d: %s", rc, e.msg);
		else
			PASS("package/no-member");

		/* a cap of exactly the member's size */
		unlink(want);
		rc = pk_package__extract(deb, kernels, dir, strlen(CONTENT), out, sizeof(out), &e);
		if (rc)
			FAIL("package/cap-exact", "rc %d: %s", rc, e.msg);
		else
			check_out("package/cap-exact", out, want);
		test_walk(deb);
		have_deb = true;
	}
	test_bad_nested(dir);

	/* rpm: lead, empty signature and main headers, gzip'd newc cpio payload */
	snprintf(want, sizeof(want), "%s/content", tmp);
	pk_file__write_atomic(want, CONTENT, strlen(CONTENT));
	rc = sh("cd '%s' && mkdir -p r/lib/modules/9.8.7 && cp content r/lib/modules/9.8.7/vmlinuz && "
		"cd r && python3 '%s' cpio ../k.cpio ./lib/modules/9.8.7/vmlinuz && "
		"python3 '%s' rpm '%s' ../k.cpio", tmp, mkpkg, mkpkg, rpm);
	if (rc) {
		FAIL("package/rpm", "cannot build the rpm");
	} else {
		have_rpm = true;
		rc = pk_package__extract(rpm, kernels, dir, 0, out, sizeof(out), &e);
		snprintf(want, sizeof(want), "%s/vmlinuz", dir);
		if (rc)
			FAIL("package/rpm", "rc %d: %s", rc, e.msg);
		else
			check_out("package/rpm", out, want);
	}

	test_cap_exact(have_deb ? deb : NULL);
	test_unpack(have_rpm ? rpm : NULL);

	/* not a package: -ENOEXEC (verify then tries it as an image itself) */
	snprintf(want, sizeof(want), "%s/plain", tmp);
	pk_file__write_atomic(want, "MZ\0\0 a kernel image, maybe", 26);
	rc = pk_package__extract(want, kernels, dir, 0, out, sizeof(out), &e);
	if (rc != -ENOEXEC)
		FAIL("package/not-a-package", "rc %d: %s", rc, e.msg);
	else
		PASS("package/not-a-package");

	/* cannot open: the errno itself, not -EIO */
	snprintf(want, sizeof(want), "%s/missing.deb", tmp);
	rc = pk_package__extract(want, kernels, dir, 0, out, sizeof(out), &e);
	if (rc != -ENOENT || !strstr(e.msg, "cannot open"))
		FAIL("package/missing", "rc %d: %s", rc, e.msg);
	else
		PASS("package/missing");

	sh("rm -rf '%s'", tmp);
	return UNIT_EXIT();
}
