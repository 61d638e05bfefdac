/* `probekit build`: one kernel in, its artifacts out, in the repository layout of
 * DESIGN.md, with a build record. The artifacts: the legacy probe object compiled
 * against the kernel's own headers packages (no Docker, no root, no vmlinux.h), the
 * reduced BTF of this probe version's CO-RE object for that kernel, and the
 * kernel's full BTF in btfhub's form. A failed artifact is recorded with its stage
 * and the compiler's tail; the others are still built. */
#ifndef PK_BUILD_BUILD_H
#define PK_BUILD_BUILD_H

#include <stdbool.h>
#include <stddef.h>

#include "build/probe_source.h"
#include "common/pk.h"
#include "kernels/catalog.h"

struct pk_http;

struct pk_build_opts {
	size_t sz;
	const char *out_dir;		/* the repository root (required) */
	const char *cache_dir;		/* downloaded packages: cache_dir/<sha256>-<name>; required */
	const char *work_dir;		/* scratch (default $TMPDIR or /tmp) */
	struct pk_http *http;		/* required when a package must be downloaded */
	bool keep_work;			/* leave the unpacked tree (debugging) */
	const char *headers_dir;	/* an unpacked headers tree instead of k's packages */
	bool no_legacy;			/* skip the legacy object */
	bool no_btf;			/* skip both BTF artifacts */
	const char *clang;		/* default "clang" */
	const char *llc;		/* default "llc" */
};
#define PK_BUILD_OPTS(name, ...) \
	struct pk_build_opts name = { .sz = sizeof(struct pk_build_opts), __VA_ARGS__ }

enum pk_artifact_kind {
	PK_ART_LEGACY,		/* <pv>/<arch>/probekit_<target>_<kernelrelease>_<kernelversion>.o */
	PK_ART_REDUCED_BTF,	/* <pv>/btf/<os-id>/<version-id>/<arch>/<uname -r>.btf */
	PK_ART_FULL_BTF,	/* btf/<os-id>/<version-id>/<arch>/<uname -r>.btf.tar.xz */
	PK_ART__MAX,
};
const char *pk_artifact_kind__str(enum pk_artifact_kind k);	/* "legacy-object" ... */

/* Relative path of an artifact of k in the repository (layout of DESIGN.md);
 * -ENAMETOOLONG */
int pk_artifact__path(enum pk_artifact_kind kind, const struct pk_kernel *k,
		      const char *probe_version, char *buf, size_t len);

/* where the package cache keeps p: <cache_dir>/packages/<sha256>-<name>.pkg (the
 * farm's verification finds image packages there too); -ENAMETOOLONG */
int pk_build__package_path(const char *cache_dir, const struct pk_pkg *p, char *buf, size_t len);

struct pk_build_result {
	int status;			/* 0: every artifact built; else the first failure's -errno */
	bool built[PK_ART__MAX];
	bool failed[PK_ART__MAX];
	struct pk_error why[PK_ART__MAX];	/* a failed artifact's reason */
	char record[4096];		/* the record's path (relative to out_dir) */
	double seconds;
};

/*
 * Build every artifact of k into opts->out_dir and write its record
 * _build/<probe-version>/<target>_<kernelrelease>.json (and .log). Returns 0 when
 * every asked artifact was built, else the first failure's -errno (res says which
 * failed and why); -EINVAL for bad options. Files appear only complete (temp +
 * rename). Two builds of one kernel give byte-identical artifacts.
 */
int pk_build__kernel(const struct pk_kernel *k, const struct pk_build_opts *opts,
		     struct pk_build_result *res);

#endif
