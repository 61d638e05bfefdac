/* The legacy probe compiled against one kernel's own headers (build/kheaders.h), as
 * falco's driver/bpf and the kernel's samples/bpf do: clang for the host target (the
 * x86 headers hold inline asm a BPF target rejects), then llc -march=bpf. */
#ifndef PK_BUILD_COMPILE_H
#define PK_BUILD_COMPILE_H

#include "common/pk.h"

struct pk_kheaders;

struct pk_compile_opts {
	size_t sz;
	const char *source;		/* bpf/probe.bpf.c (required) */
	const struct pk_kheaders *headers;	/* required */
	const char *output;		/* the object, written atomically (required) */
	const char *arch;		/* "x86", "arm64"; default: the headers' .config */
	const char *include_dir;	/* probe.h's directory; default: source's */
	const char *clang;		/* default "clang" (PATH) */
	const char *llc;		/* default "llc" */
	const char *strip;		/* default "llvm-strip" */
	const char *log;		/* every command and its output, or NULL */
	const char *const *cflags;	/* more clang arguments, NULL-terminated, or NULL */
};
#define PK_COMPILE_OPTS(name, ...) \
	struct pk_compile_opts name = { .sz = sizeof(struct pk_compile_opts), __VA_ARGS__ }

/* what the build record needs */
struct pk_compile_info {
	char clang_version[160];	/* first line of clang --version */
	char llc_version[160];		/* "LLVM version X" line of llc --version */
	double clang_ms, llc_ms;	/* the two steps, wall clock */
};

/* Compile and lower the probe: clang -emit-llvm with the kernel's LINUXINCLUDE and
 * -DPK_MODE_LEGACY -DPK_KHEADERS, llc -march=bpf, llvm-strip -g (the .BTF the maps need
 * and .BTF.ext stay), then rename onto output. Reproducible: the headers' root and the
 * source's directory are mapped out of every path the object holds (-ffile-prefix-map),
 * so the same inputs anywhere give the same bytes. info (may be NULL) is filled even
 * on failure as far as it got. 0; -EINVAL for bad options, -ENOEXEC when a step
 * exits non-zero (err: the step and its last lines), -errno when one cannot be run
 * or a file cannot be written. */
int pk_build__compile_legacy(const struct pk_compile_opts *opts, struct pk_compile_info *info,
			     struct pk_error *err);

#endif
