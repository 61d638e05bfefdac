/* Loading the probe: the walk over the candidate chain (pk_loader__run), and one
 * loaded probe (pk_probe). The first candidate that opens, loads, attaches and
 * passes the self-check wins; every attempt records its stage, errno and reason
 * in its candidate. Never prints: libbpf's messages go to pk_pr (libbpf_print.h). */
#ifndef PK_LOADER_H
#define PK_LOADER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/chain.h"
#include "agent/buffer.h"
#include "common/pk.h"

struct bpf_object;
struct pk_selfcheck;
struct pk_selfcheck_opts;

/* ---- one loaded probe ---- */

struct pk_probe;

struct pk_probe_opts {
	size_t sz;
	uint32_t kinds;			/* PK_KIND_BIT mask */
	bool force_perf;		/* perf buffer even when ring buffer works */
	bool force_ringbuf;		/* fail when the kernel has no ring buffer */
	bool ringbuf_ok;		/* kernel has BPF_MAP_TYPE_RINGBUF */
	uint32_t ringbuf_bytes;		/* power of two, >= page size; 0: PK_RINGBUF_BYTES_DEFAULT */
	uint32_t wakeup_bytes;		/* 0: PK_WAKEUP_BYTES_DEFAULT (at most a quarter of the ring) */
	const char *lockdown;		/* pk_host.lockdown: a load failure under
					 * "confidentiality" says so first */
};
#define PK_PROBE_OPTS(name, ...)                                               \
	struct pk_probe_opts name = { .sz = sizeof(struct pk_probe_opts), __VA_ARGS__ }

/* Open, configure, load and attach one candidate. On failure sets c->state,
 * c->stage and c->err (errno and reason, with the verifier log's tail when the
 * verifier refused a program) and returns NULL with errno set; nothing stays in
 * the kernel. c->load_ms is set either way. */
struct pk_probe *pk_probe__load(struct pk_candidate *c, const struct pk_probe_opts *opts);
void pk_probe__detach(struct pk_probe *p);	/* stop new events; maps stay readable */
void pk_probe__destroy(struct pk_probe *p);	/* detach, unload; NULL-safe */
/* What a loaded probe put in the kernel, with the ids bpftool shows: loaded
 * programs, maps (libbpf's internal .rodata/.bss maps too) and links. */
#define PK_KOBJ_MAX 16
struct pk_kobj {
	char name[16];			/* BPF_OBJ_NAME_LEN */
	uint32_t id;
};
struct pk_kernel_objects {
	int nprogs, nmaps, nlinks;
	struct pk_kobj progs[PK_KOBJ_MAX], maps[PK_KOBJ_MAX];
	uint32_t links[PK_KOBJ_MAX];
};
/* 0, or -errno when the kernel would not describe one of them */
int pk_probe__kernel_objects(const struct pk_probe *p, struct pk_kernel_objects *out);
bool pk_probe__ringbuf(const struct pk_probe *p);
struct bpf_object *pk_probe__object(const struct pk_probe *p);
int pk_probe__events_fd(const struct pk_probe *p);
/* in-kernel pid/comm filter, changeable while running (after the self-check) */
int pk_probe__set_filter(struct pk_probe *p, uint32_t pid, const char *comm);
/* drops summed over CPUs, indexed by enum pk_kind; n entries */
int pk_probe__drops(const struct pk_probe *p, uint64_t *drops, int n);
/* only the drops of events that passed a pid/comm filter (counted by the probe
 * apart from the others, from the moment it saw the filter) */
int pk_probe__filtered_drops(const struct pk_probe *p, uint64_t *drops, int n);

/* ---- the walk ---- */

struct pk_loader_opts {
	size_t sz;
	const struct pk_probe_opts *probe;	/* for every candidate */
	/* the event reader opened on each loaded candidate; every record goes here,
	 * the canary's too (the caller hands them to pk_selfcheck__event) */
	pk_event_fn on_event;
	void *event_ctx;
	/* the self-check a candidate must pass; NULL: loading and attaching is enough */
	struct pk_selfcheck *selfcheck;
	const struct pk_selfcheck_opts *selfcheck_opts;
	/* the walk stops (-EINTR) once this reads non-zero: a signal handler's flag */
	const volatile sig_atomic_t *stop;
};
#define PK_LOADER_OPTS(name, ...)                                              \
	struct pk_loader_opts name = { .sz = sizeof(struct pk_loader_opts), __VA_ARGS__ }

/* The winner: loaded, attached, self-checked, its reader open. */
struct pk_loaded {
	struct pk_probe *probe;
	struct pk_buffer *buffer;
};

/*
 * Walk the chain in order: skip what is skipped, fetch what a source has to
 * fetch, load, open the event reader, run the self-check. Each candidate's
 * state, stage and err (the real errno and reason, the self-check's too) are
 * recorded; a loser is unloaded before the next is tried. Stops at the first
 * winner: ch->winner is its index and *out holds it (free with
 * pk_loaded__destroy). Returns 0, -ENOENT when no candidate worked, -EINTR when
 * stopped, -EINVAL for invalid opts.
 */
int pk_loader__run(struct pk_chain *ch, const struct pk_loader_opts *opts, struct pk_loaded *out);
/* reader first, then the probe; NULL-safe, leaves *l zeroed */
void pk_loaded__destroy(struct pk_loaded *l);

#endif
