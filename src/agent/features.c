/* Kernel feature probing: load tiny maps and programs and see what the kernel
 * takes. Never guesses from the kernel version, never prints, and reports
 * "cannot probe" (EPERM, no bpf(2)) apart from "not supported". */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/features.h"
#include "agent/host.h"
#include "common/pk.h"

/* the helpers bpf/probe.bpf.c calls; keep in sync with it */
static const struct { const char *name; int id; } probe_helpers[] = {
	{ "bpf_ringbuf_reserve", BPF_FUNC_ringbuf_reserve },
	{ "bpf_ringbuf_submit", BPF_FUNC_ringbuf_submit },
	{ "bpf_ringbuf_query", BPF_FUNC_ringbuf_query },
	{ "bpf_perf_event_output", BPF_FUNC_perf_event_output },
	{ "bpf_probe_read_kernel", BPF_FUNC_probe_read_kernel },
	{ "bpf_probe_read_kernel_str", BPF_FUNC_probe_read_kernel_str },
	{ "bpf_probe_read_user", BPF_FUNC_probe_read_user },
	{ "bpf_probe_read_user_str", BPF_FUNC_probe_read_user_str },
	{ "bpf_get_current_task", BPF_FUNC_get_current_task },
	{ "bpf_get_current_cgroup_id", BPF_FUNC_get_current_cgroup_id },
	{ "bpf_get_current_comm", BPF_FUNC_get_current_comm },
	{ "bpf_get_current_pid_tgid", BPF_FUNC_get_current_pid_tgid },
	{ "bpf_get_current_uid_gid", BPF_FUNC_get_current_uid_gid },
	{ "bpf_ktime_get_ns", BPF_FUNC_ktime_get_ns },
	{ "bpf_map_lookup_elem", BPF_FUNC_map_lookup_elem },
	{ "bpf_map_update_elem", BPF_FUNC_map_update_elem },
	{ "bpf_map_delete_elem", BPF_FUNC_map_delete_elem },
};

_Static_assert(sizeof(probe_helpers) / sizeof(probe_helpers[0]) <= PK_MAX_HELPERS,
	       "raise PK_MAX_HELPERS");

static const struct bpf_insn ret0[] = {
	{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },	/* r0 = 0 */
	{ .code = BPF_JMP | BPF_EXIT },						/* exit */
};

static bool is_access_errno(int err)
{
	return err == EPERM || err == EACCES || err == ENOSYS;
}

/* libbpf's probes read EPERM as "not supported" (and helper probes as
 * "supported"), so first find out whether we may probe at all. */
static int probe_access(void)
{
	int fd, err;

	fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, NULL, 4, 4, 1, NULL);
	if (fd < 0) {
		err = errno;
		if (is_access_errno(err))
			return -err;
	} else {
		close(fd);
	}
	/* tracing programs need more than maps (CAP_BPF + CAP_PERFMON) */
	fd = bpf_prog_load(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL, "GPL", ret0,
			   PK_ARRAY_SIZE(ret0), NULL);
	if (fd < 0) {
		err = errno;
		if (!is_access_errno(err))
			fd = bpf_prog_load(BPF_PROG_TYPE_TRACEPOINT, NULL, "GPL", ret0,
					   PK_ARRAY_SIZE(ret0), NULL);
		if (fd < 0 && is_access_errno(errno))
			return -errno;
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* libbpf 1.1's libbpf_probe_bpf_prog_type() says -EOPNOTSUPP for TRACING, so
 * load the smallest tp_btf program for real: attach point sched_process_exec */
static bool probe_tp_btf(void)
{
	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_TRACE_RAW_TP);
	int id, fd;

	id = libbpf_find_vmlinux_btf_id("sched_process_exec", BPF_TRACE_RAW_TP);
	if (id < 0) {
		pk_debug("features: no BTF id for btf_trace_sched_process_exec: %s\n",
			 strerror(-id));
		return false;
	}
	opts.attach_btf_id = id;
	fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", ret0, PK_ARRAY_SIZE(ret0), &opts);
	if (fd < 0) {
		pk_debug("features: tp_btf program load failed: %s\n", strerror(errno));
		return false;
	}
	close(fd);
	return true;
}

static bool probe_result(const char *what, int ret)
{
	if (ret < 0)
		pk_debug("features: probing %s failed: %s\n", what, strerror(-ret));
	return ret == 1;
}

int pk_features__probe(struct pk_features *f, const struct pk_host *h)
{
	int err;

	if (!f)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	for (size_t i = 0; i < PK_ARRAY_SIZE(probe_helpers); i++) {
		f->helpers[i].name = probe_helpers[i].name;
		f->helpers[i].id = probe_helpers[i].id;
	}
	f->nr_helpers = PK_ARRAY_SIZE(probe_helpers);

	err = probe_access();
	if (err) {
		f->probe_errno = -err;
		pk_debug("features: cannot probe the kernel: %s\n", strerror(-err));
		return 0;
	}

	f->ringbuf = probe_result("ringbuf map",
				  libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL));
	f->perfbuf = probe_result("perf event array map",
				  libbpf_probe_bpf_map_type(BPF_MAP_TYPE_PERF_EVENT_ARRAY, NULL));
	f->raw_tp = probe_result("raw_tracepoint program",
				 libbpf_probe_bpf_prog_type(BPF_PROG_TYPE_RAW_TRACEPOINT, NULL));
	f->tp_btf = probe_tp_btf();
	for (int i = 0; i < f->nr_helpers; i++) {
		/* libbpf's helper probe needs a program type the kernel takes */
		if (!f->raw_tp)
			break;
		f->helpers[i].ok = probe_result(f->helpers[i].name,
			libbpf_probe_bpf_helper(BPF_PROG_TYPE_RAW_TRACEPOINT, f->helpers[i].id, NULL));
	}
	return 0;
}
