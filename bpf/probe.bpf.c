// SPDX-License-Identifier: GPL-2.0
/* probekit's one probe source: process (exec, fork, exit), TCP (connect, accept,
 * close) and file open events, filtered in the kernel. Built three ways:
 *   PK_MODE_BTF     tp_btf programs + CO-RE, needs kernel BTF
 *   PK_MODE_CORE    raw_tp programs + CO-RE, BTF may be given by path (reduced BTF)
 *   PK_MODE_LEGACY  raw_tp programs, no CO-RE: compiled against one kernel's types,
 *                   from vmlinux.h, or with PK_KHEADERS from that kernel's own
 *                   headers package (src/build/compile.c: host target, then llc)
 * Uses tracepoints only (no kprobes, no tracefs). Never reports the agent itself. */
#ifdef PK_KHEADERS
#ifndef PK_MODE_LEGACY
#error "PK_KHEADERS is a legacy build: define PK_MODE_LEGACY"
#endif
/* what the programs read, from the kernel they are built for; the kernel's
 * inline asm is fine here (the host target compiles it, llc never sees what is
 * not called) except asm goto, which no BPF backend lowers: as in falco's and
 * the kernel's samples/bpf, it becomes plain asm the build fails on if used */
#ifndef KBUILD_MODNAME	/* kbuild names every object; some inline functions use it */
#define KBUILD_MODNAME "probekit"
#endif
#include <linux/version.h>
#if LINUX_VERSION_CODE < KERNEL_VERSION(5, 8, 0)
#error "the legacy probe from kernel headers needs Linux 5.8 or later (ring buffer; sk_protocol a field, not a bitfield)"
#endif
#include <linux/types.h>
#include <linux/compiler.h>
#ifdef asm_volatile_goto
#undef asm_volatile_goto
#define asm_volatile_goto(x...) asm volatile("invalid use of asm_volatile_goto")
#endif
#ifdef asm_goto_output
#undef asm_goto_output
#define asm_goto_output(x...) asm volatile("invalid use of asm_goto_output")
#endif
#include <linux/ptrace.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/mm_types.h>
#include <linux/binfmts.h>
#include <linux/fs.h>
#include <linux/fdtable.h>
#include <linux/net.h>
#include <net/sock.h>
#include <uapi/linux/bpf.h>
#else
#include "vmlinux.h"
#endif
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "probe.h"

char LICENSE[] SEC("license") = "GPL";

#if defined(PK_MODE_BTF)
#define PK_SEC(tp) SEC("tp_btf/" tp)
#elif defined(PK_MODE_CORE) || defined(PK_MODE_LEGACY)
#define PK_SEC(tp) SEC("raw_tp/" tp)
#else
#error "define one of PK_MODE_BTF, PK_MODE_CORE, PK_MODE_LEGACY"
#endif

/* Read one kernel value. CO-RE builds record a relocation for the access; the
 * legacy build uses the offsets of the kernel it was compiled against. */
#ifdef PK_MODE_LEGACY
#define pk_rd(src)                                                             \
	({                                                                     \
		typeof(src) __v;                                               \
		__builtin_memset(&__v, 0, sizeof(__v));                        \
		bpf_probe_read_kernel(&__v, sizeof(__v), &(src));              \
		__v;                                                           \
	})
#else
#define pk_rd(src)                                                             \
	({                                                                     \
		typeof(src) __v;                                               \
		__builtin_memset(&__v, 0, sizeof(__v));                        \
		bpf_core_read(&__v, sizeof(__v), &(src));                      \
		__v;                                                           \
	})
#endif

/* Read a field of a tracepoint argument. tp_btf arguments are typed BTF
 * pointers: the verifier turns a plain load into an inline fault-safe load
 * (BPF_PROBE_MEM), which is much cheaper than a helper call. This is on the
 * path of every syscall, so it matters. Other modes read through pk_rd. */
#ifdef PK_MODE_BTF
#define pk_rd_arg(src) (src)
#else
#define pk_rd_arg(src) pk_rd(src)
#endif

/* vmlinux.h carries the kernel's types but none of its macros, and the uapi
 * headers that define these clash with it: the values are ABI, fixed forever.
 * The kernel's own headers define them (IPPROTO_TCP as an enum). */
#ifndef PK_KHEADERS
#define AF_INET 2
#define AF_INET6 10
#define IPPROTO_TCP 6
#define ECONNABORTED 103
#endif
#define PK_TCP_ESTABLISHED 1
#define PK_TCP_SYN_SENT 2
#define PK_TCP_SYN_RECV 3
#define PK_TCP_CLOSE 7
#define PK_TCP_LISTEN 10
#define PK_TCP_NEW_SYN_RECV 12

const volatile struct pk_config pk_cfg = {
	.kinds = PK_KINDS_DEFAULT,
	.use_ringbuf = 1,
	.wakeup_bytes = PK_WAKEUP_BYTES_DEFAULT,
	.nr_openat = -1,
	.nr_openat2 = -1,
	.nr_accept = -1,
	.nr_accept4 = -1,
};

/* Ring buffer by default; user space turns it into a PERF_EVENT_ARRAY (and sets
 * pk_cfg.use_ringbuf = 0) on kernels without BPF_MAP_TYPE_RINGBUF. */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, PK_RINGBUF_BYTES_DEFAULT);
} pk_events SEC(".maps");

union pk_any_event {
	struct pk_exec_event exec;
	struct pk_fork_event fork;
	struct pk_exit_event exit;
	struct pk_sock_event sock;
	struct pk_open_event open;
};

/* scratch space for building a record on the perf buffer path */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, union pk_any_event);
} pk_heap SEC(".maps");

/* events that found the buffer full, per CPU, per kind (PK_DROPS_FILTERED + kind
 * while a pid/comm filter is set); a test builds the older layout with
 * -DPK_DROPS_ENTRIES=PK_EV_MAX, which the loader must refuse */
#ifndef PK_DROPS_ENTRIES
#define PK_DROPS_ENTRIES (PK_DROPS_FILTERED + PK_EV_MAX)
#endif
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, PK_DROPS_ENTRIES);
	__type(key, __u32);
	__type(value, __u64);
} pk_drops SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct pk_filter);
} pk_filter SEC(".maps");

/* who owns a TCP socket: set in process context (connect, accept) so that events
 * raised later in softirq context name the right task */
struct pk_owner {
	__u64 start_ns;
	__u64 cgroup_id;
	__u32 pid, tid, uid, gid;
	__u16 sport;		/* local port: gone from the socket by the time it closes */
	__u16 _pad[3];
	union pk_comm comm;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, struct pk_owner);
} pk_owners SEC(".maps");

static __always_inline bool pk_enabled(__u32 kind)
{
	return pk_cfg.kinds & PK_KIND_BIT(kind);
}

/* the drop path only: the filter lookup costs nothing on delivered events */
static __always_inline void pk_drop(__u32 kind)
{
	__u32 zero = 0;
	struct pk_filter *f = bpf_map_lookup_elem(&pk_filter, &zero);
	__u64 *n;

	if (f && (f->pid || f->comm_set))
		kind += PK_DROPS_FILTERED;
	n = bpf_map_lookup_elem(&pk_drops, &kind);

	if (n)
		*n += 1;
}

static __always_inline void *pk_reserve(__u32 size, __u32 kind)
{
	void *e;

	if (pk_cfg.use_ringbuf) {
		e = bpf_ringbuf_reserve(&pk_events, size, 0);
		if (!e)
			pk_drop(kind);
		return e;
	}
	__u32 zero = 0;
	return bpf_map_lookup_elem(&pk_heap, &zero);
}

/* Wake the reader once, on the record that takes the unread data past the
 * threshold: per-event wake-ups cost far more than the probe (and waking on
 * every record above it is a storm while the reader is behind). The reader also
 * drains on a short timer. unread counts this record (size + 8-byte header). */
static __always_inline __u64 pk_wake_flags(__u64 unread, __u32 size)
{
	if (unread >= pk_cfg.wakeup_bytes && unread < pk_cfg.wakeup_bytes + size + 8)
		return BPF_RB_FORCE_WAKEUP;
	return BPF_RB_NO_WAKEUP;
}

static __always_inline void pk_perf_out(void *ctx, void *e, __u32 size, __u32 kind)
{
	if (bpf_perf_event_output(ctx, &pk_events, BPF_F_CURRENT_CPU, e, size))
		pk_drop(kind);
}

/* Commit a record from pk_reserve (already counted in the unread data). */
static __always_inline void pk_submit(void *ctx, void *e, __u32 size, __u32 kind)
{
	if (pk_cfg.use_ringbuf) {
		__u64 unread = bpf_ringbuf_query(&pk_events, BPF_RB_AVAIL_DATA);

		bpf_ringbuf_submit(e, pk_wake_flags(unread, size));
		return;
	}
	pk_perf_out(ctx, e, size, kind);
}

/* Send a record built in pk_heap, only its first size bytes (variable-length
 * records: an open carries the used part of its path). */
static __always_inline void pk_output(void *ctx, void *e, __u32 size, __u32 kind)
{
	if (pk_cfg.use_ringbuf) {
		__u64 unread = bpf_ringbuf_query(&pk_events, BPF_RB_AVAIL_DATA) + size + 8;

		if (bpf_ringbuf_output(&pk_events, e, size, pk_wake_flags(unread, size)))
			pk_drop(kind);
		return;
	}
	pk_perf_out(ctx, e, size, kind);
}

/* Two comms compared as two u64 each: both sides are declared as unions with
 * __u64[2] (struct pk_filter, struct pk_owner, pk_pass's stack copy), so the
 * compiler aligns them and the loads are plain aligned 8-byte loads. */
static __always_inline bool pk_comm_eq(const union pk_comm *a, const union pk_comm *b)
{
	return a->w[0] == b->w[0] && a->w[1] == b->w[1];
}

/* pid / comm filter; comm == NULL means "the current task's comm" */
static __always_inline bool pk_pass(__u32 tgid, const union pk_comm *comm)
{
	__u32 zero = 0;
	struct pk_filter *f;
	union pk_comm cur;

	if (tgid == pk_cfg.self_tgid)
		return false;
	f = bpf_map_lookup_elem(&pk_filter, &zero);
	if (!f)
		return true;
	if (f->pid && f->pid != tgid)
		return false;
	if (f->comm_set) {
		if (!comm) {
			cur.w[0] = cur.w[1] = 0;
			bpf_get_current_comm(cur.c, sizeof(cur.c));
			comm = &cur;
		}
		if (!pk_comm_eq(comm, &f->comm_u))
			return false;
	}
	return true;
}

static __always_inline void pk_hdr_current(struct pk_hdr *h, __u32 kind)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = bpf_get_current_cgroup_id();
	h->kind = kind;
	h->pid = pt >> 32;
	h->tid = (__u32)pt;
	h->uid = (__u32)ug;
	h->gid = ug >> 32;
	h->_pad = 0;
	bpf_get_current_comm(h->comm, sizeof(h->comm));
}

static __always_inline void pk_hdr_owner(struct pk_hdr *h, __u32 kind, const struct pk_owner *o)
{
	h->ts_ns = bpf_ktime_get_ns();
	h->cgroup_id = o->cgroup_id;
	h->kind = kind;
	h->pid = o->pid;
	h->tid = o->tid;
	h->uid = o->uid;
	h->gid = o->gid;
	h->_pad = 0;
	__builtin_memcpy(h->comm, o->comm.c, PK_COMM_LEN);
}

/* ---------------------------------------------------------------- process */

PK_SEC("sched_process_exec")
int BPF_PROG(pk_exec, struct task_struct *p, pid_t old_pid, struct linux_binprm *bprm)
{
	struct pk_exec_event *e;
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct task_struct *parent;
	struct mm_struct *mm;
	unsigned long arg_start, arg_end, len;
	const char *filename;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!pk_enabled(PK_EV_EXEC) || !pk_pass(tgid, NULL))
		return 0;
	e = pk_reserve(sizeof(*e), PK_EV_EXEC);
	if (!e)
		return 0;
	pk_hdr_current(&e->hdr, PK_EV_EXEC);
	parent = pk_rd(task->real_parent);
	e->ppid = pk_rd(parent->tgid);
	filename = pk_rd(bprm->filename);
	if (bpf_probe_read_kernel_str(e->filename, sizeof(e->filename), filename) < 0)
		e->filename[0] = 0;

	mm = pk_rd(task->mm);
	arg_start = pk_rd(mm->arg_start);
	arg_end = pk_rd(mm->arg_end);
	len = arg_end - arg_start;
	e->args_truncated = len > PK_ARGS_LEN;
	if (len > PK_ARGS_LEN)
		len = PK_ARGS_LEN;
	barrier_var(len);
	if (len > 0 && len <= PK_ARGS_LEN &&
	    bpf_probe_read_user(e->args, len, (const void *)arg_start) == 0)
		e->args_len = len;
	else
		e->args_len = 0;
	e->_pad = 0;
	pk_submit(ctx, e, sizeof(*e), PK_EV_EXEC);
	return 0;
}

PK_SEC("sched_process_fork")
int BPF_PROG(pk_fork, struct task_struct *parent, struct task_struct *child)
{
	struct pk_fork_event *e;
	__u32 child_pid, child_tgid;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!pk_enabled(PK_EV_FORK))
		return 0;
	child_pid = pk_rd(child->pid);
	child_tgid = pk_rd(child->tgid);
	if (child_pid != child_tgid)	/* a new thread, not a new process */
		return 0;
	if (!pk_pass(tgid, NULL))
		return 0;
	e = pk_reserve(sizeof(*e), PK_EV_FORK);
	if (!e)
		return 0;
	pk_hdr_current(&e->hdr, PK_EV_FORK);
	e->child_pid = child_tgid;
	e->child_tid = child_pid;
	pk_submit(ctx, e, sizeof(*e), PK_EV_FORK);
	return 0;
}

PK_SEC("sched_process_exit")
int BPF_PROG(pk_exit, struct task_struct *p)
{
	struct pk_exit_event *e;
	struct task_struct *parent;
	struct signal_struct *sig;
	__u32 tgid = bpf_get_current_pid_tgid() >> 32;

	if (!pk_enabled(PK_EV_EXIT))
		return 0;
	/* report the process, not each thread: only the last thread to go */
	sig = pk_rd(p->signal);
	if (pk_rd(sig->live.counter) != 0)
		return 0;
	if (!pk_pass(tgid, NULL))
		return 0;
	e = pk_reserve(sizeof(*e), PK_EV_EXIT);
	if (!e)
		return 0;
	pk_hdr_current(&e->hdr, PK_EV_EXIT);
	parent = pk_rd(p->real_parent);
	e->ppid = pk_rd(parent->tgid);
	e->exit_code = pk_rd(p->exit_code);
	pk_submit(ctx, e, sizeof(*e), PK_EV_EXIT);
	return 0;
}

/* ---------------------------------------------------------------- network */

/* sock_common has skc_v6_* only in kernels built with IPv6 (CONFIG_IPV6): in
 * CO-RE builds the guard is a relocation that libbpf resolves to 0 there, so the
 * verifier drops the read instead of libbpf failing the whole object. The legacy
 * build has no relocations and the layout of the kernel it was built for; from
 * that kernel's headers, its own config says. */
#if defined(PK_KHEADERS)
#define pk_has_ipv6(sk) IS_ENABLED(CONFIG_IPV6)
#elif defined(PK_MODE_LEGACY)
#define pk_has_ipv6(sk) true
#else
#define pk_has_ipv6(sk) bpf_core_field_exists((sk)->__sk_common.skc_v6_daddr)
#endif

static __always_inline void pk_sock_addrs(struct pk_sock_event *e, struct sock *sk)
{
	__u16 family = pk_rd(sk->__sk_common.skc_family);

	e->family = family;
	e->sport = pk_rd(sk->__sk_common.skc_num);
	e->dport = bpf_ntohs(pk_rd(sk->__sk_common.skc_dport));
	__builtin_memset(e->saddr, 0, sizeof(e->saddr));
	__builtin_memset(e->daddr, 0, sizeof(e->daddr));
	if (family == AF_INET) {
		__u32 s = pk_rd(sk->__sk_common.skc_rcv_saddr);
		__u32 d = pk_rd(sk->__sk_common.skc_daddr);

		__builtin_memcpy(e->saddr, &s, 4);
		__builtin_memcpy(e->daddr, &d, 4);
	} else if (family == AF_INET6 && pk_has_ipv6(sk)) {
		bpf_probe_read_kernel(e->saddr, 16, &sk->__sk_common.skc_v6_rcv_saddr);
		bpf_probe_read_kernel(e->daddr, 16, &sk->__sk_common.skc_v6_daddr);
	}
}

static __always_inline void pk_emit_sock(void *ctx, struct sock *sk, __u32 kind,
					 const struct pk_owner *o, int oldstate,
					 int newstate, int result)
{
	struct pk_sock_event *e;

	if (!pk_pass(o->pid, &o->comm))
		return;
	e = pk_reserve(sizeof(*e), kind);
	if (!e)
		return;
	pk_hdr_owner(&e->hdr, kind, o);
	pk_sock_addrs(e, sk);
	e->oldstate = oldstate;
	e->newstate = newstate;
	e->_pad = 0;
	e->result = result;
	e->duration_ns = kind == PK_EV_CLOSE && o->start_ns ? e->hdr.ts_ns - o->start_ns : 0;
	if (!e->sport)
		e->sport = o->sport;
	pk_submit(ctx, e, sizeof(*e), kind);
}

static __always_inline void pk_owner_current(struct pk_owner *o)
{
	__u64 pt = bpf_get_current_pid_tgid();
	__u64 ug = bpf_get_current_uid_gid();

	o->start_ns = bpf_ktime_get_ns();
	o->cgroup_id = bpf_get_current_cgroup_id();
	o->pid = pt >> 32;
	o->tid = (__u32)pt;
	o->uid = (__u32)ug;
	o->gid = ug >> 32;
	o->sport = 0;
	o->_pad[0] = o->_pad[1] = o->_pad[2] = 0;
	bpf_get_current_comm(o->comm.c, sizeof(o->comm.c));
}

static __always_inline bool pk_is_tcp(struct sock *sk)
{
#ifdef PK_MODE_LEGACY
	return pk_rd(sk->sk_protocol) == IPPROTO_TCP;
#else
	/* a bitfield before 5.6, a __u16 after: let CO-RE sort it out */
	return BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol) == IPPROTO_TCP;
#endif
}

PK_SEC("inet_sock_set_state")
int BPF_PROG(pk_sock_state, struct sock *sk, int oldstate, int newstate)
{
	__u64 key = (__u64)sk;
	struct pk_owner *o, own;

	if (!(pk_cfg.kinds & (PK_KIND_BIT(PK_EV_CONNECT) | PK_KIND_BIT(PK_EV_CLOSE))))
		return 0;
	if (!pk_is_tcp(sk))
		return 0;

	if (oldstate == PK_TCP_CLOSE && newstate == PK_TCP_SYN_SENT) {
		/* connect(2) runs this in the caller's context */
		if ((bpf_get_current_pid_tgid() >> 32) == pk_cfg.self_tgid)
			return 0;
		pk_owner_current(&own);
		bpf_map_update_elem(&pk_owners, &key, &own, BPF_ANY);
		return 0;
	}
	if (oldstate == PK_TCP_SYN_SENT) {
		o = bpf_map_lookup_elem(&pk_owners, &key);
		if (!o)
			return 0;
		if (newstate == PK_TCP_ESTABLISHED) {
			if (pk_enabled(PK_EV_CONNECT))
				pk_emit_sock(ctx, sk, PK_EV_CONNECT, o, oldstate, newstate, 0);
			o->start_ns = bpf_ktime_get_ns();
			o->sport = pk_rd(sk->__sk_common.skc_num);
			return 0;
		}
		if (newstate == PK_TCP_CLOSE) {
			int err = pk_rd(sk->sk_err);

			if (pk_enabled(PK_EV_CONNECT))
				pk_emit_sock(ctx, sk, PK_EV_CONNECT, o, oldstate, newstate,
					     err ? -err : -ECONNABORTED);
			bpf_map_delete_elem(&pk_owners, &key);
		}
		return 0;
	}
	if (newstate == PK_TCP_CLOSE && oldstate != PK_TCP_LISTEN &&
	    oldstate != PK_TCP_SYN_RECV && oldstate != PK_TCP_NEW_SYN_RECV) {
		o = bpf_map_lookup_elem(&pk_owners, &key);
		if (!o)
			return 0;
		if (pk_enabled(PK_EV_CLOSE))
			pk_emit_sock(ctx, sk, PK_EV_CLOSE, o, oldstate, newstate, 0);
		bpf_map_delete_elem(&pk_owners, &key);
	}
	return 0;
}

/* ---------------------------------------------------------------- syscalls */

/* At sys_exit the task's user registers still hold the syscall number and its
 * arguments (only the return register changed), so one program at exit sees
 * everything: no sys_enter program and no per-thread map on the hot path. */
#if defined(__TARGET_ARCH_x86)
#define PK_SYSNR(regs) pk_rd_arg((regs)->orig_ax)
#define PK_SYSARG(regs, n)                                                     \
	((n) == 1 ? pk_rd_arg((regs)->si) : (n) == 2 ? pk_rd_arg((regs)->dx) : pk_rd_arg((regs)->r10))
#elif defined(__TARGET_ARCH_arm64)
#define PK_SYSNR(regs) pk_rd_arg((regs)->syscallno)
#define PK_SYSARG(regs, n) pk_rd_arg((regs)->regs[n])	/* x1..x3 survive; x0 is the result */
#else
#error "PK_SYSARG: unsupported architecture"
#endif

/*
 * Syscall numbers above are the native table's; a 32-bit (compat) task's numbers
 * are another table (ia32 times is 43, x86_64 accept; ia32 remap_file_pages is
 * 257, x86_64 openat), so compat syscalls are skipped. The check reads the user
 * registers we already have: in tp_btf mode a plain load, no helper call, and it
 * is only made once the number matched, so other syscalls pay nothing.
 *  x86: the code segment the syscall came from, as the kernel's
 *       user_64bit_mode() reads it: __USER_CS (0x33), or FLAT_USER_CS64 (0xe033)
 *       under Xen PV, is 64-bit. The thread_info TS_COMPAT bit would be exact
 *       for the one case this misses (int $0x80 from 64-bit code, which the
 *       kernel runs as ia32) but needs the task pointer: two helper calls before
 *       5.11 (no bpf_get_current_task_btf), on every open.
 *       cs is `unsigned long` before 6.9 and a u16 in a union with FRED's csx
 *       since: CO-RE (and libbpf's load-size fix-up) finds it either way, and
 *       the kernel itself compares the whole field, so upper bits are zero.
 *  arm64: PSR_MODE32_BIT (0x10) in pstate, what compat_user_mode() tests; a
 *       compat task cannot make native syscalls there, so this is exact.
 */
#if defined(__TARGET_ARCH_x86)
#define PK_USER_CS 0x33
#define PK_XEN_FLAT_USER_CS64 0xe033
static __always_inline bool pk_compat_syscall(struct pt_regs *regs)
{
	__u64 cs = pk_rd_arg(regs->cs);

	return cs != PK_USER_CS && cs != PK_XEN_FLAT_USER_CS64;
}
#elif defined(__TARGET_ARCH_arm64)
#define PK_PSR_MODE32_BIT 0x10
static __always_inline bool pk_compat_syscall(struct pt_regs *regs)
{
	return pk_rd_arg(regs->pstate) & PK_PSR_MODE32_BIT;
}
#endif

static __always_inline struct sock *pk_fd_sock(long fd)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct files_struct *files = pk_rd(task->files);
	struct fdtable *fdt = pk_rd(files->fdt);
	struct file **fds = pk_rd(fdt->fd);
	unsigned int max_fds = pk_rd(fdt->max_fds);
	struct file *f = NULL;
	struct socket *sock;

	/* fd is the syscall's return value: never index past the table with it */
	if (fd < 0 || fd >= max_fds)
		return NULL;
	bpf_probe_read_kernel(&f, sizeof(f), &fds[fd]);
	if (!f)
		return NULL;
	sock = pk_rd(f->private_data);
	if (!sock)
		return NULL;
	return pk_rd(sock->sk);
}

PK_SEC("sys_exit")
int BPF_PROG(pk_sys_exit, struct pt_regs *regs, long ret)
{
	struct pk_open_event *e;
	const char *path;
	__u32 zero = 0;
	long nr, n;

	if (!(pk_cfg.kinds & (PK_KIND_BIT(PK_EV_OPEN) | PK_KIND_BIT(PK_EV_ACCEPT))))
		return 0;
	nr = PK_SYSNR(regs);

	if (nr == pk_cfg.nr_accept || nr == pk_cfg.nr_accept4) {
		struct pk_owner own;
		struct sock *sk;
		__u64 key;

		if (!pk_enabled(PK_EV_ACCEPT) || ret < 0 || pk_compat_syscall(regs) ||
		    !pk_pass(bpf_get_current_pid_tgid() >> 32, NULL))
			return 0;
		sk = pk_fd_sock(ret);
		if (!sk || !pk_is_tcp(sk))
			return 0;
		pk_owner_current(&own);
		own.sport = pk_rd(sk->__sk_common.skc_num);
		key = (__u64)sk;
		bpf_map_update_elem(&pk_owners, &key, &own, BPF_ANY);
		pk_emit_sock(ctx, sk, PK_EV_ACCEPT, &own, PK_TCP_ESTABLISHED,
			     PK_TCP_ESTABLISHED, ret);
		return 0;
	}
	if ((nr != pk_cfg.nr_openat && nr != pk_cfg.nr_openat2) || !pk_enabled(PK_EV_OPEN) ||
	    pk_compat_syscall(regs) || !pk_pass(bpf_get_current_pid_tgid() >> 32, NULL))
		return 0;

	/* built in the per-CPU heap, sent with only the path bytes used */
	e = bpf_map_lookup_elem(&pk_heap, &zero);
	if (!e)
		return 0;
	pk_hdr_current(&e->hdr, PK_EV_OPEN);
	e->result = ret;
	path = (const char *)PK_SYSARG(regs, 1);
	if (nr == pk_cfg.nr_openat) {
		e->flags = PK_SYSARG(regs, 2);
		e->mode = PK_SYSARG(regs, 3);
	} else {
		__u64 how[2] = {};	/* struct open_how: flags, mode */

		bpf_probe_read_user(how, sizeof(how), (const void *)PK_SYSARG(regs, 2));
		e->flags = how[0];
		e->mode = how[1];
	}
	e->_pad = 0;
	n = bpf_probe_read_user_str(e->path, sizeof(e->path), path);
	if (n <= 0) {
		e->path[0] = 0;
		n = 1;
	}
	if (n > PK_PATH_LEN)
		n = PK_PATH_LEN;
	pk_output(ctx, e, offsetof(struct pk_open_event, path) + n, PK_EV_OPEN);
	return 0;
}
