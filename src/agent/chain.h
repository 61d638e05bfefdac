/* The candidate chain: an ordered list of candidate sources, each one way to get
 * a probe object and the BTF its CO-RE relocations need. Building the list reads
 * the host and never touches the kernel; the walk (loader.h) tries them in order.
 * A new source (download, legacy cache) is one more entry, not a new walk. */
#ifndef PK_CHAIN_H
#define PK_CHAIN_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "agent/host.h"
#include "agent/features.h"
#include "common/pk.h"

struct pk_json;
struct pk_candidate;

enum pk_cand_obj {
	PK_CAND_OBJ_FILE,		/* --probe / PROBEKIT_BPF_FILE */
	PK_CAND_OBJ_EMBEDDED,	/* compiled into the agent */
	PK_CAND_OBJ_MEMORY,	/* fetched bytes (repository, cache), verified, owned */
};

enum pk_cand_btf {
	PK_CAND_BTF_KERNEL,		/* libbpf's own search: sysfs, then standard paths */
	PK_CAND_BTF_PATH,		/* a file (--btf, PROBEKIT_BTF_FILE, or a standard path) */
	PK_CAND_BTF_MEMORY,		/* bytes in memory, handed over as a memfd path */
};

enum pk_attempt_state {
	PK_ATTEMPT_PENDING = 0,	/* not tried (an earlier candidate won) */
	PK_ATTEMPT_SKIPPED,	/* does not apply to this host; err says why */
	PK_ATTEMPT_FAILED,
	PK_ATTEMPT_OK,
};

/* Gets what a source does not have at hand when the chain is built (a download):
 * fills c's obj_* / btf_* fields, or returns a negative errno with the reason in
 * err. The walk calls it only when it reaches the candidate, so nothing is fetched
 * for a host where an earlier candidate works. */
typedef int (*pk_cand_fetch_fn)(struct pk_candidate *c, void *ctx, struct pk_error *err);

#define PK_MAX_CANDIDATES 12

/* One place asked for a candidate's file (a repository, the cache, a probe
 * directory), and what came of it: status and detect show every one. */
#define PK_CAND_MAX_ATTEMPTS 12
struct pk_cand_attempt {
	char where[256];		/* the repository as configured, "cache", a directory */
	char url[768];			/* what was read: a URL or a path */
	char outcome[16];		/* ok, cached, not-listed, not-found, http, timeout, reset,
					 * size, digest, signature, rollback, expired, unverified,
					 * offline, index, error */
	int code;			/* 0 or -errno */
	char reason[384];
};

/* Where a fetched candidate's file came from: the repository path asked for and,
 * once fetched, the repository, URL, digest and cache entry that served it. */
struct pk_cand_source {
	char path[512];			/* relative path in the repository layout */
	char kind[16];			/* legacy-object, reduced-btf, core-object */
	char where[256], url[768], sha256[65], cache[512];
	uint64_t index_version;		/* of the signed index that listed it; 0 unsigned (probe dir) */
	bool from_cache;		/* nothing downloaded this time */
	int nr_attempts;
	int dropped;			/* attempts past PK_CAND_MAX_ATTEMPTS, counted, not kept */
	struct pk_cand_attempt attempts[PK_CAND_MAX_ATTEMPTS];
};

struct pk_candidate {
	char name[48];			/* "explicit", "embedded-btf", "embedded-core" ... */
	/* the source: where the object and the BTF come from */
	enum pk_cand_obj obj_src;
	char obj_desc[PATH_MAX];	/* file path, or "embedded:btf" */
	const void *obj_data;		/* embedded bytes */
	size_t obj_len;
	enum pk_cand_btf btf_src;
	char btf_path[PATH_MAX];	/* PK_CAND_BTF_PATH */
	const void *btf_data;		/* PK_CAND_BTF_MEMORY */
	size_t btf_len;
	bool btf_data_owned;		/* freed by pk_chain__free */
	bool obj_data_owned;		/* freed by pk_chain__free */
	bool has_source;		/* fetched: source below says from where */
	struct pk_cand_source source;
	pk_cand_fetch_fn fetch;		/* NULL: object and BTF are at hand */
	void *fetch_ctx;
	bool archive_hit;		/* reduced BTF: this host's key is in the archive */
	size_t archive_entries;		/* kernels in the archive */
	int archive_near_misses;	/* same os/version/arch, other release */
	char btf_desc[PATH_MAX + 32];	/* what a person reads */
	bool needs_sysfs_btf;		/* tp_btf programs attach via the kernel's own BTF */
	/* outcome */
	enum pk_attempt_state state;
	char stage[16];			/* fetch, open, load, attach, self-check */
	struct pk_error err;		/* skip or failure: errno and reason (+ verifier log tail) */
	double load_ms;			/* open+load+attach */
	double fetch_ms;		/* the fetch hook, when there is one */
};

struct pk_chain {
	int n;
	struct pk_candidate c[PK_MAX_CANDIDATES];
	int winner;			/* index, -1 if none */
};

/* Where a source outside the agent (src/fetch: repository, cache) adds its
 * candidates: FIRST after an explicit --probe, before the embedded objects (ADR
 * 0002's downloaded probe); LAST after the embedded ones. */
enum pk_chain_slot {
	PK_CHAIN_SLOT_FIRST,
	PK_CHAIN_SLOT_LAST,
};
typedef void (*pk_chain_extend_fn)(struct pk_chain *ch, enum pk_chain_slot slot,
				   const struct pk_host *h, const struct pk_features *f, void *ctx);

struct pk_chain_opts {
	size_t sz;
	const char *probe_path;		/* explicit object, or NULL */
	const char *probe_origin;	/* "--probe" or "PROBEKIT_BPF_FILE" */
	const char *btf_path;		/* explicit BTF, or NULL */
	const char *btf_origin;		/* "--btf" or "PROBEKIT_BTF_FILE" */
	const void *btf_archive_data;	/* reduced-BTF archive to use instead of the embedded one */
	size_t btf_archive_len;
	pk_chain_extend_fn extend;	/* more candidate sources, or NULL */
	void *extend_ctx;
	const char *only;		/* --candidates: comma-separated names; the others are
					 * kept in the chain, skipped with the reason. NULL: all */
};
#define PK_CHAIN_OPTS(name, ...)                                               \
	struct pk_chain_opts name = { .sz = sizeof(struct pk_chain_opts), __VA_ARGS__ }

/* Build the ordered chain for this host. Candidates that cannot apply are kept,
 * marked skipped with the reason, so status and detect can show them.
 * -EINVAL for invalid opts. */
int pk_chain__build(struct pk_chain *ch, const struct pk_host *h, const struct pk_features *f,
		    const struct pk_chain_opts *opts);
/* every candidate name an agent can have, in chain order (NULL-terminated) */
extern const char *const pk_chain__names[];
/* 0 when every comma-separated name of list is one of pk_chain__names; else
 * -EINVAL with the first unknown one copied into bad */
int pk_chain__check_names(const char *list, char *bad, size_t bad_len);
/* one more source at the end of the chain, zeroed but for its name; NULL when full */
struct pk_candidate *pk_chain__add(struct pk_chain *ch, const char *name);
/* c does not apply to this host: the reason is in c->err (pk_error__set_once) */
void pk_candidate__skip(struct pk_candidate *c);
/* a fetch hook's result: the object's bytes (taken over: freed by pk_chain__free) */
void pk_candidate__set_obj(struct pk_candidate *c, void *data, size_t len, const char *desc);
/* ... or the BTF's (taken over) */
void pk_candidate__set_btf(struct pk_candidate *c, void *data, size_t len, const char *desc);
/* the candidate's object and BTF as the kernel's own BTF would serve it: sysfs or a
 * standard path (desc says which), for a source outside chain.c */
void pk_candidate__use_kernel_btf(struct pk_candidate *c, const struct pk_host *h);
void pk_chain__free(struct pk_chain *ch);	/* what the chain owns (BTF copies) */
const char *pk_attempt_state__str(enum pk_attempt_state s);
/* c's attempt failed at stage (fetch, open, load, attach, self-check): sets its
 * state and stage. The reason is in c->err already; one without an errno
 * becomes -EINVAL. Returns c->err.code. */
int pk_candidate__fail(struct pk_candidate *c, const char *stage);
void pk_chain__to_json(const struct pk_chain *ch, struct pk_json *j);
/* a fetched candidate's "source": {...} (key and object) */
void pk_candidate__source_json(const struct pk_candidate *c, struct pk_json *j);

/* embedded objects */
void pk_embedded__btf_obj(const void **data, size_t *len);
void pk_embedded__core_obj(const void **data, size_t *len);
/* the reduced-BTF archive linked into the agent; *len == 0 when there is none */
void pk_embedded__btf_archive(const void **data, size_t *len);

#endif
