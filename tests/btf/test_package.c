/* pk_package__extract on real packages made here (a .deb by dpkg-deb, a minimal
 * rpm): the member comes out whole and only under its base name in dir; a cap, a
 * missing member, a non-package and an unreadable file each give their errno. The
 * walk under it (btf extract's too): what each entry says, and a bad data.tar.*. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "btf/package.h"
#include "common/pk.h"
#include "unit.h"

static char tmp[] = "/tmp/pk-test-package.XXXXXX";
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

int main(void)
{
	char deb[256], rpm[256], dir[256], out[512], want[512];
	struct pk_error e = { 0 };
	struct stat st;
	int rc;

	if (!mkdtemp(tmp)) {
		FAIL("package", "mkdtemp: %s", strerror(errno));
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
		test_walk(deb);
	}
	test_bad_nested(dir);

	/* rpm: lead, empty signature and main headers, gzip'd newc cpio payload */
	snprintf(want, sizeof(want), "%s/content", tmp);
	pk_file__write_atomic(want, CONTENT, strlen(CONTENT));
	rc = sh("python3 - '%s' '%s' <<'EOF'\n"
		"import gzip, struct, sys\n"
		"def ent(name, mode, data):\n"
		"    n = name.encode() + b'\\0'\n"
		"    h = b'070701' + b''.join(b'%%08X' %% v for v in (0, mode, 0, 0, 1, 0, len(data), 0, 0, 0, 0, len(n), 0))\n"
		"    b = h + n\n"
		"    b += bytes(-len(b) %% 4) + data\n"
		"    return b + bytes(-len(b) %% 4)\n"
		"c = ent('./lib/modules/9.8.7/vmlinuz', 0o100644, open(sys.argv[2], 'rb').read()) + ent('TRAILER!!!', 0, b'')\n"
		"lead = b'\\xed\\xab\\xee\\xdb' + bytes([3, 0]) + struct.pack('>HH', 0, 1) + b'kernel'.ljust(66, b'\\0') + struct.pack('>HH', 1, 5) + bytes(16)\n"
		"hdr = b'\\x8e\\xad\\xe8\\x01' + bytes(4) + struct.pack('>II', 0, 0)\n"
		"open(sys.argv[1], 'wb').write(lead + hdr + hdr + gzip.compress(c))\n"
		"EOF", rpm, want);
	if (rc) {
		FAIL("package/rpm", "cannot build the rpm");
	} else {
		rc = pk_package__extract(rpm, kernels, dir, 0, out, sizeof(out), &e);
		snprintf(want, sizeof(want), "%s/vmlinuz", dir);
		if (rc)
			FAIL("package/rpm", "rc %d: %s", rc, e.msg);
		else
			check_out("package/rpm", out, want);
	}

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
