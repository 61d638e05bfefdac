/* What the running kernel can do for the probe, probed by loading tiny programs
 * and maps (libbpf_probe_* and bpf_prog_load), never guessed from the version. */
#ifndef PK_FEATURES_H
#define PK_FEATURES_H

#include <stdbool.h>

struct pk_host;

struct pk_helper_feature {
	const char *name;	/* "bpf_ringbuf_reserve" */
	int id;			/* enum bpf_func_id */
	bool ok;
};

#define PK_MAX_HELPERS 24

struct pk_features {
	bool ringbuf;		/* BPF_MAP_TYPE_RINGBUF */
	bool perfbuf;		/* BPF_MAP_TYPE_PERF_EVENT_ARRAY */
	bool raw_tp;		/* BPF_PROG_TYPE_RAW_TRACEPOINT */
	bool tp_btf;		/* BPF_PROG_TYPE_TRACING / BPF_TRACE_RAW_TP on sched_process_exec */
	int nr_helpers;
	struct pk_helper_feature helpers[PK_MAX_HELPERS];	/* those the probe calls */
	int probe_errno;	/* first errno that made probing impossible (e.g. EPERM), 0 if none */
};

/* Never fails hard: what cannot be probed is reported false, with probe_errno set. */
int pk_features__probe(struct pk_features *f, const struct pk_host *h);

#endif
