/* The agent's status: what it chose, what it tried and why, the self-check and
 * the counters. Written as JSON (atomically) and printed as a startup block. */
#ifndef PK_STATUS_H
#define PK_STATUS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "common/pk.h"
#include "probe.h"

struct pk_host;
struct pk_chain;
struct pk_json;
struct pk_kernel_objects;

struct pk_status {
	const char *version;
	int pid;
	int64_t start_time;		/* unix seconds */
	const struct pk_host *host;
	const struct pk_chain *chain;
	const char *state;		/* starting, running, stopped, failed */
	const char *buffer;		/* "ringbuf" or "perf", NULL before load */
	uint32_t kinds;
	bool selfcheck_ran, selfcheck_passed;
	double selfcheck_ms;		/* canary start -> last expected event */
	int selfcheck_runs;		/* canary runs (more than 1: events were dropped) */
	double startup_ms;		/* process start -> self-check passed */
	struct pk_error selfcheck_err;	/* why the last self-check failed, or "no candidate loaded" */
	uint64_t events[PK_EV_MAX];
	uint64_t drops[PK_EV_MAX];
	uint64_t lost;			/* perf buffer records lost in the kernel */
	uint64_t write_errors;		/* events received but not written to the output */
	struct pk_error write_err;	/* the first failed write's errno and reason */
	const struct pk_kernel_objects *kobjs;	/* the winner's, NULL before */
};

void pk_status__to_json(const struct pk_status *s, struct pk_json *j);
int pk_status__write(const struct pk_status *s, const char *path);
/* "was trying X first" line: empty when the first tried candidate won */
void pk_status__format_fallback(const struct pk_status *s, char *out, size_t size);
/* the block a person reads at startup */
void pk_status__print_startup(const struct pk_status *s, FILE *f);

#endif
