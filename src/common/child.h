/* The one way the library runs another program (ldd, the kernel fetch script,
 * pahole, gpgv): fork/exec without a shell of ours, capture its messages, wait.
 * Never prints; the caller decides what a status means. */
#ifndef PK_COMMON_CHILD_H
#define PK_COMMON_CHILD_H

/* Run argv with stdin from in (or /dev/null) and stdout to out (or captured).
 * *text (may be NULL) gets what was captured (stderr, and stdout when out is
 * NULL), the last 64 KiB, malloc'd. Returns the wait status, or -errno when the
 * child could not be started. */
int pk_child__run(char *const argv[], const char *in, const char *out, char **text);

#include <signal.h>
#include <stddef.h>

struct pk_child_opts {
	size_t sz;
	const char *in, *out;		/* as pk_child__run */
	int pass_fd;			/* a descriptor above 2 the child keeps (at its number);
					 * 0: none */
	long timeout_ms;		/* kill the child past this (-ETIMEDOUT), 0: never */
	const volatile sig_atomic_t *stop;	/* kill it once this is non-zero (-EINTR) */
};
#define PK_CHILD_OPTS(name, ...) \
	struct pk_child_opts name = { .sz = sizeof(struct pk_child_opts), __VA_ARGS__ }
/* pk_child__run with a descriptor handed over, a deadline and a stop flag */
int pk_child__run_opts(char *const argv[], const struct pk_child_opts *opts, char **text);

/* sh -c script with a1 and a2 as $1 and $2 (paths need no quoting of ours) */
int pk_child__sh(const char *script, const char *a1, const char *a2, char **text);

#endif
