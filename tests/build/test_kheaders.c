/* build/kheaders and build/compile. Alone: a headers tree made here, split as Debian's
 * (flavour + common), is found and read, and trees that lie are refused. With
 * PK_KHEADERS_PKGS (package paths, ':'-separated), PK_KHEADERS_DIR and PK_KHEADERS_OBJ
 * set (tests/build/kheaders.sh does): unpack those real packages and compile
 * bpf/probe.bpf.c against them, printing "release version clang_ms llc_ms" on stdout. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "build/compile.h"
#include "build/kheaders.h"
#include "common/pk.h"
#include "unit.h"

static char tmp[] = "/tmp/pk-test-kheaders.XXXXXX";

static void put(const char *path, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(const char *path, const char *fmt, ...)
{
	char full[4096], cmd[4200];
	va_list ap;
	FILE *f;

	snprintf(full, sizeof(full), "%s/%s", tmp, path);
	snprintf(cmd, sizeof(cmd), "mkdir -p \"$(dirname '%s')\"", full);
	if (system(cmd))
		return;
	f = fopen(full, "w");
	if (!f)
		return;
	va_start(ap, fmt);
	vfprintf(f, fmt, ap);
	va_end(ap);
	fclose(f);
}

#define OBJ "usr/src/linux-headers-6.1.0-50-amd64"
#define SRC "usr/src/linux-headers-6.1.0-50-common"

static void make_tree(const char *makefile_include)
{
	char cmd[4200];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/usr", tmp);
	if (system(cmd))
		return;
	put(OBJ "/include/generated/uapi/linux/version.h",
	    "#define LINUX_VERSION_CODE 393648\n#define KERNEL_VERSION(a,b,c) x\n");
	put(OBJ "/include/generated/utsrelease.h", "#define UTS_RELEASE \"6.1.0-50-amd64\"\n");
	put(OBJ "/include/config/kernel.release", "6.1.176\n");
	put(OBJ "/.config", "# comment\nCONFIG_64BIT=y\nCONFIG_X86_64=y\n");
	put(OBJ "/Makefile", "include %s\n", makefile_include);
	put(SRC "/include/linux/kconfig.h", "/* */\n");
	put(SRC "/include/linux/compiler_types.h", "/* */\n");
}

static void test_split_tree(void)
{
	const char *name = "kheaders/split-tree";
	struct pk_error err = { 0 };
	struct pk_kheaders *kh = NULL;
	char want[4200], real[4096];

	make_tree("/usr/src/linux-headers-6.1.0-50-common/Makefile");
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), 0);
	if (!realpath(tmp, real))
		real[0] = 0;
	CHECK_STR(name, pk_kheaders__release(kh), "6.1.0-50-amd64");
	CHECK_INT(name, pk_kheaders__version_code(kh), (6 << 16) + (1 << 8) + 176);
	CHECK_STR(name, pk_kheaders__arch(kh), "x86");
	snprintf(want, sizeof(want), "%s/" OBJ, real);
	CHECK_STR(name, pk_kheaders__objtree(kh), want);
	snprintf(want, sizeof(want), "%s/" SRC, real);
	CHECK_STR(name, pk_kheaders__srctree(kh), want);
	snprintf(want, sizeof(want), "%s/" OBJ "/.config", real);
	CHECK_STR(name, pk_kheaders__config(kh), want);
	pk_kheaders__free(kh);
	PASS(name);
}

/* the Makefile stub is package content: it must not name a tree outside the root */
static void test_bad_include(void)
{
	const char *name = "kheaders/include-escapes";
	struct pk_error err = { 0 };
	struct pk_kheaders *kh = NULL;

	make_tree("/usr/src/../../etc/Makefile");
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), -EBADMSG);
	CHECK(name, !kh, "a tree for a bad include");
	make_tree("/usr/src/linux-headers-9.9-common/Makefile");
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), -ENOENT);
	CHECK(name, strstr(err.msg, "linux-headers-9.9-common"), "err: %s", err.msg);
	PASS(name);
}

static void test_version_fallbacks(void)
{
	const char *name = "kheaders/version-parts";
	struct pk_error err = { 0 };
	struct pk_kheaders *kh = NULL;

	make_tree("/usr/src/linux-headers-6.1.0-50-common/Makefile");
	put(OBJ "/include/generated/uapi/linux/version.h",
	    "#define LINUX_VERSION_MAJOR 5\n#define LINUX_VERSION_PATCHLEVEL 10\n#define LINUX_VERSION_SUBLEVEL 300\n");
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), -EBADMSG);	/* 300 > 255 */
	put(OBJ "/include/generated/uapi/linux/version.h",
	    "#define LINUX_VERSION_MAJOR 5\n#define LINUX_VERSION_PATCHLEVEL 10\n#define LINUX_VERSION_SUBLEVEL 223");
	put(OBJ "/include/generated/utsrelease.h", "#define UTS_RELEASE \"bad release\"\n");
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), 0);
	CHECK_INT(name, pk_kheaders__version_code(kh), (5 << 16) + (10 << 8) + 223);
	CHECK_STR(name, pk_kheaders__release(kh), "6.1.176");	/* kernel.release, then */
	pk_kheaders__free(kh);
	PASS(name);
}

static void test_none_or_several(void)
{
	const char *name = "kheaders/pick";
	struct pk_error err = { 0 };
	struct pk_kheaders *kh = NULL;
	char cmd[4200];

	make_tree("/usr/src/linux-headers-6.1.0-50-common/Makefile");
	snprintf(cmd, sizeof(cmd), "cp -r '%s/" OBJ "' '%s/usr/src/linux-headers-6.1.0-50-rt-amd64' && "
		 "sed -i 's/-amd64/-rt-amd64/' '%s/usr/src/linux-headers-6.1.0-50-rt-amd64/include/generated/utsrelease.h'",
		 tmp, tmp, tmp);
	CHECK_INT(name, system(cmd), 0);
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), -EEXIST);
	{
		PK_KHEADERS_OPTS(o, .release = "6.1.0-50-rt-amd64");

		CHECK_INT(name, pk_kheaders__open(tmp, &o, &kh, &err), 0);
		CHECK_STR(name, pk_kheaders__release(kh), "6.1.0-50-rt-amd64");
		pk_kheaders__free(kh);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'/usr", tmp);
	CHECK_INT(name, system(cmd), 0);
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), -ENOENT);
	PASS(name);
}

static void test_compile_errors(void)
{
	const char *name = "compile/errors";
	struct pk_error err = { 0 };
	struct pk_kheaders *kh = NULL;
	char out[4200], src[4200];

	make_tree("/usr/src/linux-headers-6.1.0-50-common/Makefile");
	CHECK_INT(name, pk_kheaders__open(tmp, NULL, &kh, &err), 0);
	snprintf(out, sizeof(out), "%s/probe.o", tmp);
	snprintf(src, sizeof(src), "%s/broken.bpf.c", tmp);
	put("broken.bpf.c", "int f(void) { return no_such_thing; }\n");
	{
		PK_COMPILE_OPTS(o, .source = src, .headers = kh, .output = out);
		struct pk_compile_info info;

		CHECK_INT(name, pk_build__compile_legacy(&o, &info, &err), -ENOEXEC);
		CHECK(name, strstr(err.msg, "no_such_thing"), "err: %s", err.msg);
		CHECK(name, access(out, F_OK), "an object after a failed compile");
		CHECK(name, !strncmp(info.clang_version, "Debian clang", 12) || strstr(info.clang_version, "clang"),
		      "clang version '%s'", info.clang_version);
	}
	{
		PK_COMPILE_OPTS(o, .source = src, .headers = kh, .output = out, .clang = "/nonexistent/clang");

		CHECK_INT(name, pk_build__compile_legacy(&o, NULL, &err), -ENOENT);
	}
	{
		PK_COMPILE_OPTS(o, .source = src, .headers = kh, .output = out, .arch = "vax");

		CHECK_INT(name, pk_build__compile_legacy(&o, NULL, &err), -EINVAL);
	}
	pk_kheaders__free(kh);
	PASS(name);
}

/* the real packages, for kheaders.sh */
static int drive(const char *pkgs_env, const char *dir, const char *obj)
{
	char *pkgs_s = strdup(pkgs_env), *save = NULL, *p;
	const char *pkgs[8] = { 0 };
	struct pk_compile_info info;
	struct pk_error err = { 0 };
	struct pk_kheaders *kh = NULL;
	const char *src = getenv("PK_KHEADERS_SOURCE") ?: "bpf/probe.bpf.c";
	const char *log = getenv("PK_KHEADERS_LOG");
	int n = 0, ret;
	double t;

	for (p = strtok_r(pkgs_s, ":", &save); p && n < 7; p = strtok_r(NULL, ":", &save))
		pkgs[n++] = p;
	t = pk_now_ms();
	ret = pk_kheaders__unpack(pkgs, dir, NULL, &kh, &err);
	if (ret) {
		fprintf(stderr, "unpack: %s\n", pk_error__str(&err));
		free(pkgs_s);
		return 1;
	}
	fprintf(stderr, "unpacked %s in %.0f ms\n", pk_kheaders__release(kh), pk_now_ms() - t);
	{
		PK_COMPILE_OPTS(o, .source = src, .headers = kh, .output = obj, .log = log);

		ret = pk_build__compile_legacy(&o, &info, &err);
	}
	if (ret) {
		fprintf(stderr, "compile: %s\n", pk_error__str(&err));
	} else {
		printf("%s %u %.0f %.0f\n", pk_kheaders__release(kh), pk_kheaders__version_code(kh), info.clang_ms,
		       info.llc_ms);
		fprintf(stderr, "%s; %s\n", info.clang_version, info.llc_version);
	}
	pk_kheaders__free(kh);
	free(pkgs_s);
	return ret ? 1 : 0;
}

int main(void)
{
	const char *pkgs = getenv("PK_KHEADERS_PKGS");
	char cmd[4200];

	if (pkgs && getenv("PK_KHEADERS_DIR") && getenv("PK_KHEADERS_OBJ"))
		return drive(pkgs, getenv("PK_KHEADERS_DIR"), getenv("PK_KHEADERS_OBJ"));
	if (!mkdtemp(tmp)) {
		FAIL("kheaders", "mkdtemp: %s", strerror(errno));
		return UNIT_EXIT();
	}
	test_split_tree();
	test_bad_include();
	test_version_fallbacks();
	test_none_or_several();
	test_compile_errors();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	if (system(cmd))
		FAIL("kheaders", "cannot remove %s", tmp);
	return UNIT_EXIT();
}
