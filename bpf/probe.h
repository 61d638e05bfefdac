/* Event records and configuration shared by the kernel side (probe.bpf.c) and the
 * user side. Plain fixed-size C structs only: both sides must agree byte for byte,
 * so never use kernel types here. */
#ifndef PK_PROBE_H
#define PK_PROBE_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

#define PK_COMM_LEN 16
#define PK_PATH_LEN 256
#define PK_ARGS_LEN 256

/* Event buffer sizes, the one place they are written: the probe's map
 * definition, the loader's default and the readers (ring batch, perf pages)
 * all use these. */
#define PK_RINGBUF_BYTES_DEFAULT (8u << 20)	/* ring buffer, all CPUs */
#define PK_WAKEUP_BYTES_DEFAULT (256u << 10)	/* wake the reader past this much unread data */
/* perf buffer pages per CPU (1 MiB with 4 KiB pages): the perf path is for old
 * kernels, where bursts are no smaller; the reader wakes at a quarter of it */
#define PK_PERF_PAGES 256u

enum pk_kind {
	PK_EV_EXEC = 1,
	PK_EV_FORK = 2,
	PK_EV_EXIT = 3,
	PK_EV_CONNECT = 4,
	PK_EV_ACCEPT = 5,
	PK_EV_CLOSE = 6,
	PK_EV_OPEN = 7,
	PK_EV_MAX = 8,
};

#define PK_KIND_BIT(k) (1u << (k))

/* pk_drops is indexed by kind, and by PK_DROPS_FILTERED + kind for drops of events
 * that passed a pid/comm filter: counting them apart, in the probe, makes the
 * drops of a filtered run exact (no baseline read racing the filter's start). */
#define PK_DROPS_FILTERED PK_EV_MAX
#define PK_KINDS_DEFAULT                                                     \
	(PK_KIND_BIT(PK_EV_EXEC) | PK_KIND_BIT(PK_EV_FORK) |                 \
	 PK_KIND_BIT(PK_EV_EXIT) | PK_KIND_BIT(PK_EV_CONNECT) |              \
	 PK_KIND_BIT(PK_EV_ACCEPT) | PK_KIND_BIT(PK_EV_CLOSE))

/* Common header of every record. pid is the thread-group id (what ps calls the
 * pid), tid the thread. For network events the task fields describe the socket's
 * owner (the task that connected or accepted), not whoever ran the softirq. */
struct pk_hdr {
	__u64 ts_ns;		/* bpf_ktime_get_ns() (CLOCK_MONOTONIC) */
	__u64 cgroup_id;
	__u32 kind;		/* enum pk_kind */
	__u32 pid;
	__u32 tid;
	__u32 uid;
	__u32 gid;
	__u32 _pad;
	char comm[PK_COMM_LEN];
};

struct pk_exec_event {
	struct pk_hdr hdr;
	__u32 ppid;
	__u32 args_len;		/* bytes valid in args (NUL separated argv) */
	__u32 args_truncated;
	__u32 _pad;
	char filename[PK_PATH_LEN];
	char args[PK_ARGS_LEN];
};

struct pk_fork_event {
	struct pk_hdr hdr;	/* the parent */
	__u32 child_pid;
	__u32 child_tid;
};

struct pk_exit_event {
	struct pk_hdr hdr;
	__u32 ppid;
	__u32 exit_code;	/* raw wait status: (code << 8) | signal */
};

/* connect, accept and close of a TCP socket */
struct pk_sock_event {
	struct pk_hdr hdr;
	__u16 family;		/* AF_INET or AF_INET6 */
	__u16 sport;		/* local port, host order */
	__u16 dport;		/* remote port, host order */
	__u16 oldstate;
	__u16 newstate;
	__u16 _pad;
	__s32 result;		/* connect: 0 or -errno; accept: the new fd */
	__u64 duration_ns;	/* close: time since connect/accept was seen, 0 if unknown */
	__u8 saddr[16];		/* local address (v4 in the first 4 bytes) */
	__u8 daddr[16];		/* remote address */
};

struct pk_open_event {
	struct pk_hdr hdr;
	__s32 result;		/* fd or -errno */
	__u32 flags;
	__u32 mode;
	__u32 _pad;
	char path[PK_PATH_LEN];
};

/* Fixed at load time (.rodata): the verifier drops code for disabled paths. */
struct pk_config {
	__u32 self_tgid;	/* the agent: never reported */
	__u32 kinds;		/* PK_KIND_BIT mask of enabled kinds */
	__u32 use_ringbuf;	/* 1: ring buffer, 0: perf buffer */
	__u32 wakeup_bytes;	/* ring buffer: wake the reader past this much unread data */
	__s32 nr_openat;	/* native syscall numbers, filled in by user space */
	__s32 nr_openat2;
	__s32 nr_accept;
	__s32 nr_accept4;
};

/* A comm the probe compares as two u64 loads: the union makes the compiler align
 * it to 8 wherever it is declared (stack, map value), not the frame layout's luck. */
union pk_comm {
	char c[PK_COMM_LEN];
	__u64 w[PK_COMM_LEN / 8];
};

/* Changed at run time (array map "pk_filter", one entry). */
struct pk_filter {
	__u32 pid;		/* 0: any */
	__u32 comm_set;		/* 1: comm must match */
	union {
		char comm[PK_COMM_LEN];	/* user side writes this */
		union pk_comm comm_u;	/* the probe compares this */
	};
};
_Static_assert(sizeof(struct pk_filter) == 24 && __builtin_offsetof(struct pk_filter, comm) == 8,
	       "struct pk_filter layout is shared with the kernel side");

#endif /* PK_PROBE_H */
