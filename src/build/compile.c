/* The legacy probe from a kernel's headers (build/compile.h): clang, llc and
 * llvm-strip through the one process runner (common/child.h), no shell, no make;
 * a temporary file beside the output, renamed onto it once every step passed. */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "build/compile.h"
#include "build/kheaders.h"
#include "common/child.h"

#define MAX_ARGS 96
#define TAIL_LINES 6	/* of a failed step's output, into err */

struct argv {
	char *v[MAX_ARGS + 1];
	int n;
	bool oom;
};

static void arg(struct argv *a, const char *s)
{
	char *d;

	if (a->oom || a->n == MAX_ARGS || !(d = strdup(s))) {
		a->oom = true;
		return;
	}
	a->v[a->n++] = d;
	a->v[a->n] = NULL;
}

static void argf(struct argv *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void argf(struct argv *a, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	if (!s) {
		a->oom = true;
		return;
	}
	arg(a, s);
	free(s);
}

static void argv_free(struct argv *a)
{
	for (int i = 0; i < a->n; i++) {
		free(a->v[i]);
		a->v[i] = NULL;
	}
	a->n = 0;
}

/* the last lines of text, on one line, in out */
static void tail_lines(const char *text, char *out, size_t len)
{
	const char *p, *start;
	int lines = 0;
	size_t n, o = 0;

	out[0] = 0;
	if (!text || !*text)
		return;
	n = strlen(text);
	while (n && (text[n - 1] == '\n' || text[n - 1] == ' '))
		n--;
	for (p = text + n; p > text; p--)
		if (p[-1] == '\n' && ++lines == TAIL_LINES)
			break;
	start = p;
	for (p = start; p < text + n && o + 1 < len; p++)
		out[o++] = *p == '\n' ? '|' : *p;
	out[o] = 0;
}

static void log_step(FILE *log, const struct argv *a, const char *text, int status)
{
	if (!log)
		return;
	fputs("$", log);
	for (int i = 0; i < a->n; i++)
		fprintf(log, " %s", a->v[i]);
	fprintf(log, "\n%s%s", text ? text : "", text && *text && text[strlen(text) - 1] != '\n' ? "\n" : "");
	if (status)
		fprintf(log, "# exit status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}

/* run one step; -ENOEXEC with the step's last lines in err when it fails */
static int step(const char *what, struct argv *a, FILE *log, char **textp, struct pk_error *err)
{
	char tail[PK_ERROR_MSG_LEN / 2];
	char *text = NULL;
	int st;

	if (textp)
		*textp = NULL;
	if (a->oom)
		return pk_error__set(err, -ENOMEM, "out of memory");
	st = pk_child__run(a->v, NULL, NULL, &text);
	if (st < 0) {
		free(text);
		return pk_error__set(err, st, "cannot run %s: %s", a->v[0], strerror(-st));
	}
	log_step(log, a, text, st);
	if (!WIFEXITED(st) || WEXITSTATUS(st)) {
		tail_lines(text, tail, sizeof(tail));
		free(text);
		if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
			return pk_error__set(err, -ENOENT, "%s: %s", what, tail);
		return pk_error__set(err, -ENOEXEC, "%s failed: %s", what, tail);
	}
	if (textp)
		*textp = text;
	else
		free(text);
	return 0;
}

/* the line of text holding needle (or its first line), into out */
static void version_line(const char *text, const char *needle, char *out, size_t len)
{
	const char *p = needle && text ? strstr(text, needle) : NULL;
	size_t n;

	out[0] = 0;
	if (!text)
		return;
	if (!p)
		p = text;
	else
		while (p > text && p[-1] != '\n')
			p--;
	while (*p == ' ')
		p++;
	n = strcspn(p, "\n");
	if (n >= len)
		n = len - 1;
	memcpy(out, p, n);
	out[n] = 0;
}

static const char *clang_target(const char *arch)
{
	if (!strcmp(arch, "x86"))
		return "x86_64-linux-gnu";
	if (!strcmp(arch, "arm64"))
		return "aarch64-linux-gnu";
	if (!strcmp(arch, "s390"))
		return "s390x-linux-gnu";
	if (!strcmp(arch, "powerpc"))
		return "powerpc64le-linux-gnu";
	if (!strcmp(arch, "riscv"))
		return "riscv64-linux-gnu";
	return NULL;
}

/* Kernel headers are not written for -Wall: the warnings kbuild turns off, and those
 * clang raises on them that gcc does not (nocf_check, duplicate __seg_gs). */
static const char *const quiet[] = {
	"-Wno-pointer-sign", "-Wno-ignored-attributes", "-Wno-duplicate-decl-specifier",
	"-Wno-gnu-variable-sized-type-not-at-end", "-Wno-address-of-packed-member",
	"-Wno-tautological-compare", "-Wno-unknown-warning-option",
};

/*
 * What kbuild derives from .config that headers check for: since 6.19 the dialect
 * flag CONFIG_CC_MS_EXTENSIONS (-fms-extensions: tagged anonymous structs such as
 * socket_lock_t's "struct slock_owned { ... };"), and -DCC_USING_FENTRY when the
 * kernel traces functions with fentry (asm/ftrace.h refuses to be included
 * without it, and linux/bpf.h includes it since 7.x). No code-generation flag is
 * taken: only what the headers read.
 */
struct kconfig_flags {
	char dialect[64];	/* "-fms-extensions" or "" */
	bool fentry;
};

static bool kconfig_y(const char *data, const char *name)
{
	char want[96];

	snprintf(want, sizeof(want), "\n%s=y\n", name);
	return strstr(data, want) != NULL;
}

static void kconfig_flags(const struct pk_kheaders *kh, struct kconfig_flags *f)
{
	const char *cfg = pk_kheaders__config(kh);
	char *data = NULL, *p;
	size_t n;

	memset(f, 0, sizeof(*f));
	if (!cfg || pk_file__read(cfg, &data, &n, 16u << 20))
		return;
	p = strstr(data, "\nCONFIG_CC_MS_EXTENSIONS=\"");
	if (p) {
		p += strlen("\nCONFIG_CC_MS_EXTENSIONS=\"");
		n = strcspn(p, "\"\n");
		if (n && n < sizeof(f->dialect) && !strncmp(p, "-f", 2) && !memchr(p, ' ', n)) {
			memcpy(f->dialect, p, n);
			f->dialect[n] = 0;
		}
	}
	f->fentry = kconfig_y(data, "CONFIG_FUNCTION_TRACER") && kconfig_y(data, "CONFIG_HAVE_FENTRY");
	free(data);
}

int pk_build__compile_legacy(const struct pk_compile_opts *opts, struct pk_compile_info *info,
			     struct pk_error *err)
{
	const char *source, *output, *arch, *inc, *clang, *llc, *strip, *logp, *S, *O, *target;
	const struct pk_kheaders *kh;
	const char *const *cflags;
	struct pk_compile_info dummy;
	char tmp[PATH_MAX], bc[PATH_MAX], srcpath[PATH_MAX], srcdir[PATH_MAX], *text = NULL, *slash;
	struct kconfig_flags kf;
	struct argv a = { 0 };
	FILE *log = NULL;
	int fd, ret;
	double t;

	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	if (!opts || !PK_OPTS_VALID(opts, struct pk_compile_opts))
		return pk_error__set(err, -EINVAL, "bad arguments");
	source = PK_OPTS_GET(opts, source, NULL);
	output = PK_OPTS_GET(opts, output, NULL);
	kh = PK_OPTS_GET(opts, headers, NULL);
	if (!source || !output || !kh)
		return pk_error__set(err, -EINVAL, "compile needs a source, headers and an output");
	arch = PK_OPTS_GET(opts, arch, NULL) ?: pk_kheaders__arch(kh);
	if (!arch)
		return pk_error__set(err, -EINVAL, "'%s': no architecture in its .config: give one",
				     pk_kheaders__objtree(kh));
	target = clang_target(arch);
	if (!target)
		return pk_error__set(err, -EINVAL, "unknown architecture '%s'", arch);
	clang = PK_OPTS_GET(opts, clang, NULL) ?: "clang";
	llc = PK_OPTS_GET(opts, llc, NULL) ?: "llc";
	strip = PK_OPTS_GET(opts, strip, NULL) ?: "llvm-strip";
	logp = PK_OPTS_GET(opts, log, NULL);
	cflags = PK_OPTS_GET(opts, cflags, NULL);
	S = pk_kheaders__srctree(kh);
	O = pk_kheaders__objtree(kh);
	kconfig_flags(kh, &kf);

	/* the source, absolute: its directory is what the prefix map takes out (a
	 * relative name would be joined to the working directory after mapping) */
	if (!realpath(source, srcpath))
		return pk_error__set(err, -errno, "'%s': %s", source, strerror(errno));
	pk_strlcpy(srcdir, srcpath, sizeof(srcdir));
	slash = strrchr(srcdir, '/');
	if (slash == srcdir)
		slash[1] = 0;
	else
		*slash = 0;
	inc = PK_OPTS_GET(opts, include_dir, NULL) ?: srcdir;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.XXXXXX", output) >= sizeof(tmp) ||
	    (size_t)snprintf(bc, sizeof(bc), "%s.XXXXXX.bc", output) >= sizeof(bc))
		return pk_error__set(err, -ENAMETOOLONG, "'%s': path too long", output);
	fd = mkstemp(tmp);
	if (fd < 0)
		return pk_error__set(err, -errno, "cannot write '%s': %s", output, strerror(errno));
	close(fd);
	fd = mkstemps(bc, 3);
	if (fd < 0) {
		ret = pk_error__set(err, -errno, "cannot write '%s': %s", output, strerror(errno));
		unlink(tmp);
		return ret;
	}
	close(fd);
	if (logp && !(log = fopen(logp, "we"))) {
		ret = pk_error__set(err, -errno, "cannot write '%s': %s", logp, strerror(errno));
		goto done;
	}

	/* the versions, for the build record: a build is only as reproducible as them */
	arg(&a, clang);
	arg(&a, "--version");
	ret = step("clang --version", &a, NULL, &text, err);
	argv_free(&a);
	if (ret)
		goto done;
	version_line(text, NULL, info->clang_version, sizeof(info->clang_version));
	free(text);
	arg(&a, llc);
	arg(&a, "--version");
	ret = step("llc --version", &a, NULL, &text, err);
	argv_free(&a);
	if (ret)
		goto done;
	version_line(text, "LLVM version", info->llc_version, sizeof(info->llc_version));
	free(text);
	text = NULL;
	if (log)
		fprintf(log, "# %s\n# %s\n# kernel %s\n", info->clang_version, info->llc_version,
			pk_kheaders__release(kh));

	/* the kernel's LINUXINCLUDE (srctree and objtree as kbuild names them) */
	arg(&a, clang);
	argf(&a, "--target=%s", target);
	argf(&a, "-ffile-prefix-map=%s=", pk_kheaders__root(kh));
	argf(&a, "-ffile-prefix-map=%s=/probekit", srcdir);
	argf(&a, "-I%s/arch/%s/include", S, arch);
	argf(&a, "-I%s/arch/%s/include/generated", O, arch);
	argf(&a, "-I%s/include", S);
	argf(&a, "-I%s/include", O);
	argf(&a, "-I%s/arch/%s/include/uapi", S, arch);
	argf(&a, "-I%s/arch/%s/include/generated/uapi", O, arch);
	argf(&a, "-I%s/include/uapi", S);
	argf(&a, "-I%s/include/generated/uapi", O);
	arg(&a, "-include");
	argf(&a, "%s/include/linux/kconfig.h", S);
	arg(&a, "-include");	/* scripts/Makefile.lib gives every object this one too */
	argf(&a, "%s/include/linux/compiler_types.h", S);
	argf(&a, "-I%s", inc);
	arg(&a, "-D__KERNEL__");
	arg(&a, "-D__BPF_TRACING__");
	argf(&a, "-D__TARGET_ARCH_%s", arch);
	arg(&a, "-DPK_MODE_LEGACY");
	arg(&a, "-DPK_KHEADERS");
	if (kf.fentry)
		arg(&a, "-DCC_USING_FENTRY");
	if (kf.dialect[0]) {
		arg(&a, kf.dialect);
		arg(&a, "-Wno-microsoft-anon-tag");
		arg(&a, "-Wno-unknown-warning-option");	/* clang before 17 lacks the one above */
	}
	arg(&a, "-fno-jump-tables");
	arg(&a, "-fno-stack-protector");
	arg(&a, "-fno-asynchronous-unwind-tables");
	for (size_t i = 0; i < PK_ARRAY_SIZE(quiet); i++)
		arg(&a, quiet[i]);
	for (; cflags && *cflags; cflags++)
		arg(&a, *cflags);
	/* the line text .BTF.ext carries comes from the source embedded here, never from
	 * whatever file the mapped path names on this machine (/usr/src/linux-headers-X
	 * may be installed on one build host and not on another) */
	arg(&a, "-O2");
	arg(&a, "-gdwarf-5");
	arg(&a, "-gembed-source");
	arg(&a, "-emit-llvm");
	arg(&a, "-c");
	arg(&a, srcpath);
	arg(&a, "-o");
	arg(&a, bc);
	t = pk_now_ms();
	ret = step("clang", &a, log, NULL, err);
	info->clang_ms = pk_now_ms() - t;
	argv_free(&a);
	if (ret)
		goto done;

	/* -g keeps the .BTF libbpf reads BTF-defined maps (__uint, __type) from; the
	 * byte order is the kernel's (plain "bpf" would be this machine's) */
	arg(&a, llc);
	arg(&a, strcmp(arch, "s390") ? "-march=bpfel" : "-march=bpfeb");
	arg(&a, "-filetype=obj");
	arg(&a, "-o");
	arg(&a, tmp);
	arg(&a, bc);
	t = pk_now_ms();
	ret = step("llc", &a, log, NULL, err);
	info->llc_ms = pk_now_ms() - t;
	argv_free(&a);
	if (ret)
		goto done;

	/* DWARF is not needed to load: .BTF and .BTF.ext stay, as the Makefile's objects */
	arg(&a, strip);
	arg(&a, "-g");
	arg(&a, tmp);
	ret = step("llvm-strip", &a, log, NULL, err);
	argv_free(&a);
	if (ret)
		goto done;
	if (chmod(tmp, 0644) || rename(tmp, output))
		ret = pk_error__set(err, -errno, "cannot write '%s': %s", output, strerror(errno));
done:
	argv_free(&a);
	free(text);
	if (log && fclose(log) && !ret)
		ret = pk_error__set(err, -EIO, "cannot write '%s'", logp);
	unlink(bc);
	if (ret)
		unlink(tmp);
	return ret;
}
