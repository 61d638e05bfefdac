/* What the running kernel can do for the probe, probed by loading tiny programs
 * and maps (libbpf_probe_* and bpf_prog_load), never guessed from the version. */
#ifndef PK_FEATURES_H
#define PK_FEATURES_H

#include <stdbool.h>
#include <stddef.h>

struct pk_host;

struct pk_helper_feature {
	const char *name;	/* "bpf_ringbuf_reserve" (points into name_buf for ids
				 * newer than our headers: "helper#212") */
	int id;			/* enum bpf_func_id */
	bool ok;
	char name_buf[16];
};

#define PK_MAX_HELPERS 32	/* the probe calls 18 */
#define PK_HELPER_ID_MAX 512	/* helper ids are below this (212 in 6.12) */

struct pk_features {
	bool ringbuf;		/* BPF_MAP_TYPE_RINGBUF */
	bool perfbuf;		/* BPF_MAP_TYPE_PERF_EVENT_ARRAY */
	bool raw_tp;		/* BPF_PROG_TYPE_RAW_TRACEPOINT */
	bool tp_btf;		/* BPF_PROG_TYPE_TRACING / BPF_TRACE_RAW_TP on sched_process_exec */
	int nr_helpers;
	/* those the probe calls, read from the embedded objects, by id */
	struct pk_helper_feature helpers[PK_MAX_HELPERS];
	int helpers_errno;	/* the helper list could not be read from the objects, 0 if it could */
	int probe_errno;	/* first errno that made probing impossible (e.g. EPERM), 0 if none */
};

/* Never fails hard: what cannot be probed is reported false, with probe_errno set. */
int pk_features__probe(struct pk_features *f, const struct pk_host *h);

/* The helper ids the embedded probe objects call (every program of the btf and
 * core objects), ascending, without loading anything. -E2BIG when more than max. */
int pk_probe_helpers__list(int *ids, int max, int *nr);

/* "bpf_ringbuf_output" for BPF_FUNC_ringbuf_output; "helper#<id>" (in buf) for
 * ids our <linux/bpf.h> does not name */
const char *pk_helper__name(int id, char *buf, size_t size);

#endif
