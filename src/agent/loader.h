/* The candidate chain: an ordered list of (probe object, BTF) pairs to try. The
 * first candidate that opens, loads, attaches and passes the self-check wins;
 * every attempt records its stage and reason. The list grows with new sources
 * (embedded reduced BTF, download, legacy cache) without changing the walk. */
#ifndef PK_LOADER_H
#define PK_LOADER_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "agent/host.h"
#include "agent/features.h"

struct pk_json;
struct bpf_object;
struct bpf_link;

enum pk_cand_obj {
	PK_CAND_OBJ_FILE,		/* --probe / PROBEKIT_BPF_FILE */
	PK_CAND_OBJ_EMBEDDED,	/* compiled into the agent */
};

enum pk_cand_btf {
	PK_CAND_BTF_KERNEL,		/* libbpf's own search: sysfs, then standard paths */
	PK_CAND_BTF_PATH,		/* a file (--btf, PROBEKIT_BTF_FILE, or a standard path) */
	PK_CAND_BTF_MEMORY,		/* bytes in memory, handed over as a memfd path */
};

enum pk_attempt_state {
	PK_ATTEMPT_PENDING = 0,	/* not tried (an earlier candidate won) */
	PK_ATTEMPT_SKIPPED,	/* does not apply to this host; why says so */
	PK_ATTEMPT_FAILED,
	PK_ATTEMPT_OK,
};

#define PK_MAX_CANDIDATES 12

struct pk_candidate {
	char name[48];			/* "explicit", "embedded-btf", "embedded-core" ... */
	enum pk_cand_obj obj_src;
	char obj_desc[PATH_MAX];	/* file path, or "embedded:btf" */
	const void *obj_data;		/* embedded bytes */
	size_t obj_len;
	enum pk_cand_btf btf_src;
	char btf_path[PATH_MAX];	/* PK_CAND_BTF_PATH */
	const void *btf_data;		/* PK_CAND_BTF_MEMORY */
	size_t btf_len;
	bool btf_data_owned;		/* freed by pk_chain__free */
	bool archive_hit;		/* reduced BTF: this host's key is in the archive */
	size_t archive_entries;		/* kernels in the archive */
	int archive_near_misses;	/* same os/version/arch, other release */
	char btf_desc[PATH_MAX + 32];	/* what a person reads */
	bool needs_sysfs_btf;		/* tp_btf programs attach via the kernel's own BTF */
	/* outcome */
	enum pk_attempt_state state;
	char stage[16];			/* open, load, attach, self-check */
	int err;			/* negative errno of the failure */
	char why[1024];			/* skip reason or failure reason (+ verifier log tail) */
	double load_ms;			/* open+load+attach */
};

struct pk_chain {
	int n;
	struct pk_candidate c[PK_MAX_CANDIDATES];
	int winner;			/* index, -1 if none */
};

struct pk_chain_opts {
	size_t sz;
	const char *probe_path;		/* explicit object, or NULL */
	const char *probe_origin;	/* "--probe" or "PROBEKIT_BPF_FILE" */
	const char *btf_path;		/* explicit BTF, or NULL */
	const char *btf_origin;		/* "--btf" or "PROBEKIT_BTF_FILE" */
	bool no_embedded;		/* only the explicit candidate (tests, verify mode object) */
	const void *btf_archive_data;	/* reduced-BTF archive to use instead of the embedded one */
	size_t btf_archive_len;
};
#define PK_CHAIN_OPTS(name, ...)                                               \
	struct pk_chain_opts name = { .sz = sizeof(struct pk_chain_opts), __VA_ARGS__ }

/* Build the ordered chain for this host. Candidates that cannot apply are kept,
 * marked skipped with the reason, so status and detect can show them. */
int pk_chain__build(struct pk_chain *ch, const struct pk_host *h, const struct pk_features *f,
		    const struct pk_chain_opts *opts);
void pk_chain__free(struct pk_chain *ch);	/* what the chain owns (BTF copies) */
const char *pk_attempt_state__str(enum pk_attempt_state s);
void pk_chain__to_json(const struct pk_chain *ch, struct pk_json *j);

/* embedded objects */
void pk_embedded__btf_obj(const void **data, size_t *len);
void pk_embedded__core_obj(const void **data, size_t *len);
/* the reduced-BTF archive linked into the agent; *len == 0 when there is none */
void pk_embedded__btf_archive(const void **data, size_t *len);
/* uname -m -> the arch name the archive (btfhub) uses: aarch64 -> arm64 */
const char *pk_host__btf_arch(const char *uname_machine);

/* ---- one loaded probe ---- */

struct pk_probe;

struct pk_probe_opts {
	size_t sz;
	uint32_t kinds;			/* PK_KIND_BIT mask */
	bool force_perf;		/* perf buffer even when ring buffer works */
	bool ringbuf_ok;		/* kernel has BPF_MAP_TYPE_RINGBUF */
	uint32_t ringbuf_bytes;		/* power of two, >= page size; 0: default 8 MiB */
	uint32_t perf_pages;		/* per CPU; 0: default 64 */
	uint32_t wakeup_bytes;		/* 0: default 256 KiB */
	const char *lockdown;		/* pk_host.lockdown: a load failure under
					 * "confidentiality" says so first */
};
#define PK_PROBE_OPTS(name, ...)                                               \
	struct pk_probe_opts name = { .sz = sizeof(struct pk_probe_opts), __VA_ARGS__ }

/* Open, configure, load and attach one candidate. On failure fills c->stage,
 * c->err, c->why and returns NULL with errno set; nothing stays in the kernel. */
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

#endif
