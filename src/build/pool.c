/* pk_build__pool (pool.h): fork/wait worker processes around pk_build__kernel. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "build/pool.h"
#include "fetch/http.h"

/* one kernel in this process: 0 when it built whole */
static int build_one(const struct pk_kernel *k, const struct pk_build_opts *bo,
		     const struct pk_build_pool_opts *po, size_t i)
{
	struct pk_build_opts o = *bo;
	const bool *no_btf = PK_OPTS_GET(po, no_btf, NULL);
	struct pk_build_result res;
	struct pk_http *http = NULL;
	struct pk_error e = { 0 };
	PK_HTTP_OPTS(ho, .progress = PK_OPTS_GET(po, progress, false));
	int r;

	r = pk_http__new(&ho, &http, &e);
	if (r)
		return 1;
	o.http = http;
	if (no_btf && no_btf[i])
		o.no_btf = true;
	r = pk_build__kernel(k, &o, &res);
	pk_http__free(http);
	if (PK_OPTS_GET(po, result, NULL) && (res.record[0] || r != -EINVAL))
		po->result(k, &res, PK_OPTS_GET(po, result_ctx, NULL));
	return r ? 1 : 0;
}

long pk_build__pool(const struct pk_kernel *const *kernels, size_t n, const struct pk_build_opts *bo,
		    const struct pk_build_pool_opts *po)
{
	int jobs = PK_OPTS_GET(po, jobs, 1);
	pk_build_done_fn done = PK_OPTS_GET(po, done, NULL);
	void *ctx = PK_OPTS_GET(po, ctx, NULL);
	pid_t *pids;
	size_t next = 0, running = 0;
	long failed = 0;

	if (!PK_OPTS_VALID(po, struct pk_build_pool_opts) || !bo || (n && !kernels))
		return -EINVAL;
	if (jobs < 1)
		jobs = 1;
	if (jobs == 1) {
		for (size_t i = 0; i < n; i++) {
			int x = build_one(kernels[i], bo, po, i);

			failed += x != 0;
			if (done)
				done(i, x == 0, ctx);
		}
		return failed;
	}
	pids = calloc(n ? n : 1, sizeof(*pids));
	if (!pids)
		return -ENOMEM;
	while (next < n || running) {
		int st;
		pid_t pid;

		while (next < n && running < (size_t)jobs) {
			fflush(stdout);
			fflush(stderr);
			pid = fork();
			if (pid < 0) {
				/* the kernels not started fail; the running ones finish */
				for (; next < n; next++) {
					failed++;
					if (done)
						done(next, false, ctx);
				}
				break;
			}
			if (pid == 0) {
				/* a worker dies with its parent: a farm killed with SIGKILL
				 * leaves no orphan writing into the repository */
				if (prctl(PR_SET_PDEATHSIG, SIGKILL) || getppid() == 1)
					_exit(1);
				_exit(build_one(kernels[next], bo, po, next));
			}
			pids[next++] = pid;
			running++;
		}
		if (!running)
			break;
		pid = wait(&st);
		if (pid < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (size_t i = 0; i < next; i++) {
			if (pids[i] != pid)
				continue;
			pids[i] = 0;
			running--;
			{
				bool ok = WIFEXITED(st) && WEXITSTATUS(st) == 0;

				failed += !ok;
				if (done)
					done(i, ok, ctx);
			}
			break;
		}
	}
	free(pids);
	return failed;
}
