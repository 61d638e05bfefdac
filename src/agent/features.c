/* Kernel feature probing: load tiny maps and programs and see what the kernel
 * takes. Never guesses from the kernel version, never prints, and reports
 * "cannot probe" (EPERM, no bpf(2)) apart from "not supported". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "agent/features.h"
#include "agent/host.h"
#include "agent/loader.h"
#include "common/pk.h"

/* enum bpf_func_id -> "bpf_<name>", as bpftool names them; ids newer than our
 * <linux/bpf.h> stay NULL and are shown as "helper#<id>" */
#define PK_HELPER_NAME(x) [BPF_FUNC_##x] = "bpf_" #x
static const char *const helper_names[] = { __BPF_FUNC_MAPPER(PK_HELPER_NAME) };
#undef PK_HELPER_NAME

const char *pk_helper__name(int id, char *buf, size_t size)
{
	if (id > 0 && (size_t)id < PK_ARRAY_SIZE(helper_names) && helper_names[id])
		return helper_names[id];
	snprintf(buf, size, "helper#%d", id);
	return buf;
}

/*
 * The helpers to probe are the ones the probe calls, read from the embedded
 * objects themselves (every program's instructions: BPF_JMP|BPF_CALL with
 * src_reg 0 is a helper call, imm its id; src_reg BPF_PSEUDO_CALL is a
 * subprogram, BPF_PSEUDO_KFUNC_CALL a kfunc), so no hand list can drift from
 * bpf/probe.bpf.c. Opening an object parses it, nothing is loaded.
 */
static int object_helpers(const char *what, const void *data, size_t len, bool *used, size_t max)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = what);
	struct bpf_object *obj;
	struct bpf_program *prog;

	if (!data || !len)
		return -ENOENT;
	obj = bpf_object__open_mem(data, len, &oo);
	if (!obj)
		return -errno;	/* libbpf 1.x: NULL with errno set */
	bpf_object__for_each_program(prog, obj) {
		const struct bpf_insn *insn = bpf_program__insns(prog);
		size_t n = bpf_program__insn_cnt(prog);

		for (size_t i = 0; i < n; i++)
			if (insn[i].code == (BPF_JMP | BPF_CALL) && insn[i].src_reg == 0 &&
			    insn[i].imm > 0 && (size_t)insn[i].imm < max)
				used[insn[i].imm] = true;
	}
	bpf_object__close(obj);
	return 0;
}

int pk_probe_helpers__list(int *ids, int max, int *nr)
{
	static const struct {
		const char *name;
		void (*get)(const void **data, size_t *len);
	} objs[] = {
		{ "embedded-btf", pk_embedded__btf_obj },
		{ "embedded-core", pk_embedded__core_obj },
	};
	bool used[PK_HELPER_ID_MAX] = { false };
	int n = 0, err;

	if (!ids || !nr)
		return -EINVAL;
	*nr = 0;
	for (size_t o = 0; o < PK_ARRAY_SIZE(objs); o++) {
		const void *data = NULL;
		size_t len = 0;

		objs[o].get(&data, &len);
		err = object_helpers(objs[o].name, data, len, used, PK_ARRAY_SIZE(used));
		if (err)
			return err;
	}
	for (int id = 1; id < PK_HELPER_ID_MAX; id++) {
		if (!used[id])
			continue;
		if (n == max)
			return -E2BIG;
		ids[n++] = id;
	}
	*nr = n;
	return 0;
}

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

	int ids[PK_MAX_HELPERS];

	if (!f)
		return -EINVAL;
	memset(f, 0, sizeof(*f));
	err = pk_probe_helpers__list(ids, PK_MAX_HELPERS, &f->nr_helpers);
	if (err) {
		f->helpers_errno = -err;
		pk_debug("features: cannot list the probe's helpers: %s\n", strerror(-err));
	}
	for (int i = 0; i < f->nr_helpers; i++) {
		f->helpers[i].id = ids[i];
		f->helpers[i].name = pk_helper__name(ids[i], f->helpers[i].name_buf,
						     sizeof(f->helpers[i].name_buf));
	}

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
