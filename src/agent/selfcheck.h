/* The self-check: after a candidate attaches, a canary child (this binary,
 * re-executed as `probekit __canary`) execs, forks a child that exits 42,
 * connects to a loopback listener the agent opened, accepts that connection,
 * closes it and opens a path that does not exist. Each enabled event kind must
 * arrive from the canary within the timeout (Collector-style smoke test). */
#ifndef PK_SELFCHECK_H
#define PK_SELFCHECK_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/pk.h"

struct pk_probe;
struct pk_buffer;

#define PK_CANARY_EXIT_CODE 42
#define PK_SELFCHECK_MAX_PIDS 20
/* canary runs at most: a run whose events were dropped is repeated */
#define PK_SELFCHECK_MAX_RUNS 8

struct pk_selfcheck {
	uint32_t kinds;			/* kinds that must be seen */
	uint32_t seen;
	pid_t canary;
	pid_t pids[PK_SELFCHECK_MAX_PIDS];	/* canary and its children: never reported */
	int npids;
	int listen_fd;
	uint16_t port;
	char exe[PATH_MAX];
	char token[96];			/* path the canary opens */
	double start_ms, latency_ms;
	int exit_status;		/* canary's wait status, -1 while running */
	int runs;			/* canary runs started */
	double done_ms;			/* when the last run was reaped */
	bool active;			/* pk_selfcheck__run is polling: feed it every record */
};

struct pk_selfcheck_opts {
	size_t sz;
	uint32_t kinds;			/* kinds the canary must show */
	double timeout_s;		/* 0: PK_SELFCHECK_TIMEOUT_S */
	const char *exe;		/* the binary to run as the canary; NULL: /proc/self/exe */
	/* give up (-EINTR) once this reads non-zero: a signal handler's flag */
	const volatile sig_atomic_t *stop;
};
#define PK_SELFCHECK_OPTS(name, ...)                                           \
	struct pk_selfcheck_opts name = { .sz = sizeof(struct pk_selfcheck_opts), __VA_ARGS__ }
#define PK_SELFCHECK_TIMEOUT_S 5.0

/*
 * The whole check against a loaded probe whose reader is b: start the canary,
 * poll b (whose callback must hand every record to pk_selfcheck__event while
 * sc->active), rerun the canary while events of a missing kind were dropped.
 * 0 when every kind arrived; else the canary is reaped and err says why:
 *   -ETIMEDOUT  the canary ran fine but its events did not arrive in time
 *   -ENOBUFS    the same after reruns for dropped events (buffer too small?)
 *   -EPROTO     the canary exited non-zero (a step of its script failed)
 *   -ENOEXEC    the canary could not be executed (exit 127)
 *   -EINTR      stopped by opts->stop
 *   other       starting the canary or reading the buffer failed (that errno)
 */
int pk_selfcheck__run(struct pk_selfcheck *sc, struct pk_probe *p, struct pk_buffer *b,
		      const struct pk_selfcheck_opts *opts, struct pk_error *err);

/* Spawn the canary; exe is the binary to run (NULL: /proc/self/exe). */
int pk_selfcheck__start(struct pk_selfcheck *sc, uint32_t kinds, const char *exe);
/* has the current canary run exited (reaps it without waiting) */
bool pk_selfcheck__canary_done(struct pk_selfcheck *sc);
/* start another canary run; kinds already seen stay seen. Used when events of
 * a missing kind were dropped (full buffer on a busy host) during the run. */
int pk_selfcheck__rerun(struct pk_selfcheck *sc);
/* feed every record while the check runs; returns true when it was the canary's */
bool pk_selfcheck__event(struct pk_selfcheck *sc, const void *data, size_t len);
bool pk_selfcheck__passed(const struct pk_selfcheck *sc);
/* is pid the canary or one of its children (their events are never output) */
bool pk_selfcheck__owns(const struct pk_selfcheck *sc, uint32_t pid);
/* reap the canary (waits at most a moment), close the listener */
void pk_selfcheck__stop(struct pk_selfcheck *sc);
/* "exec,connect" of kinds still missing */
void pk_selfcheck__missing(const struct pk_selfcheck *sc, char *out, size_t size);

/* the canary's own body (argv after "__canary": LISTEN_FD PORT TOKEN) */
int pk_canary__main(int argc, char **argv);

#endif
