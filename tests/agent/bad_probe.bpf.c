// SPDX-License-Identifier: GPL-2.0
/* A probe the verifier must reject (out-of-bounds stack read), with the symbols
 * probekit looks for, so the loader gets as far as the verifier. Used by
 * tests/agent/agent.sh to check that the verifier log tail is reported. */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";
const volatile struct pk_config pk_cfg = { .use_ringbuf = 1 };

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096 * 16);
} pk_events SEC(".maps");

SEC("raw_tp/sched_process_exec")
int BPF_PROG(pk_exec)
{
	char buf[8] = {};
	volatile int i = 64;

	return buf[i];	/* out of bounds: "invalid read from stack" */
}
