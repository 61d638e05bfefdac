/* Many kernels built at once: each build in its own worker process (a compile and
 * a BTF extraction hold hundreds of MB, and a crash in one must not take the
 * others), at most `jobs` at a time. Used by `probekit build -j` and the farm. */
#ifndef PK_BUILD_POOL_H
#define PK_BUILD_POOL_H

#include <stdbool.h>
#include <stddef.h>

#include "build/build.h"

/* called in the parent as each kernel finishes, in completion order: ok is true
 * when every asked artifact was built (its record says more) */
typedef void (*pk_build_done_fn)(size_t i, bool ok, void *ctx);

struct pk_build_pool_opts {
	size_t sz;
	int jobs;			/* default 1: in this process, no fork */
	bool progress;			/* download progress (only with jobs == 1) */
	pk_build_done_fn done;
	void *ctx;
	/* called with each kernel's full result in the process that built it (a
	 * worker when jobs > 1): where the CLI reports it */
	void (*result)(const struct pk_kernel *k, const struct pk_build_result *res, void *ctx);
	void *result_ctx;
	/* per kernel: true to skip its BTF artifacts (another kernel of the same
	 * uname -r publishes them), or NULL */
	const bool *no_btf;
};
#define PK_BUILD_POOL_OPTS(name, ...) \
	struct pk_build_pool_opts name = { .sz = sizeof(struct pk_build_pool_opts), __VA_ARGS__ }

/* Returns the number of kernels that did not build whole (a worker that died
 * counts), or -errno (-EINVAL: bad options; a fork failure fails the kernels not
 * started). bo->http is ignored: each worker makes its own client. */
long pk_build__pool(const struct pk_kernel *const *kernels, size_t n, const struct pk_build_opts *bo,
		    const struct pk_build_pool_opts *opts);

#endif
