/* `btf min`: reduce a kernel BTF to what a set of BPF objects' CO-RE relocations
 * touch (like bpftool gen min_core_btf), and check that every relocation resolves
 * to the same value against the reduced BTF as against the full one. */
#ifndef PK_BTF_MIN_H
#define PK_BTF_MIN_H

/* Relocations are resolved with libbpf's rules (relo_core.c), re-implemented on
 * the public btf__* API. The library never prints; errors are negative errno and
 * a message in the caller's struct pk_error (err may be NULL). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

struct btf;
struct pk_btf_min;

/* borrows targ (the full kernel BTF): it must outlive the pk_btf_min */
struct pk_btf_min *pk_btf_min__new(const struct btf *targ);
void pk_btf_min__free(struct pk_btf_min *m);

/* Add one BPF ELF object image (copied). Its relocations are resolved against
 * the full BTF right away and the touched types recorded. -EINVAL etc. on error. */
int pk_btf_min__add_object(struct pk_btf_min *m, const char *name, const void *data, size_t size,
			   struct pk_error *err);

/* Same, from the object's .BTF and .BTF.ext section contents (both copied). */
int pk_btf_min__add_btf(struct pk_btf_min *m, const char *name, const void *btf, size_t btf_size,
			const void *ext, size_t ext_size, struct pk_error *err);

/* Add a file: a BPF ELF object, or any binary with BPF ELF objects embedded
 * (libbpf skeletons); each embedded object is added as "PATH#N".
 * Returns the number of objects added (>0) or a negative errno. */
int pk_btf_min__add_file(struct pk_btf_min *m, const char *path, struct pk_error *err);

/* Build the reduced BTF from what was recorded so far. Caller btf__free()s it.
 * NULL + errno on error. */
struct btf *pk_btf_min__build(struct pk_btf_min *m, struct pk_error *err);

/* one relocation whose value differs between the full and the reduced BTF */
struct pk_btf_min_mismatch {
	char object[128];
	char section[64];
	uint32_t insn_off;
	uint32_t kind;
	char type[96];		/* e.g. "struct task_struct" */
	char access[64];	/* e.g. "0:1:2" */
	char full[64];		/* the value against the full BTF, e.g. "16" or "poison" */
	char reduced[64];	/* the value against the reduced BTF */
};

/* Resolve every relocation of every object against `reduced` (the output of
 * pk_btf_min__build on this m, or its bytes re-parsed) and compare with the full
 * BTF. Returns the number of mismatches (0: verified) or a negative errno. */
int pk_btf_min__verify(struct pk_btf_min *m, const struct btf *reduced, struct pk_error *err);
size_t pk_btf_min__mismatch_cnt(const struct pk_btf_min *m);
const struct pk_btf_min_mismatch *pk_btf_min__mismatch(const struct pk_btf_min *m, size_t i);

struct pk_btf_min_stats {
	uint32_t objects;
	uint32_t relos;		/* CO-RE relocation records */
	uint32_t resolved;	/* found a target (or TYPE_ID_LOCAL) */
	uint32_t missing;	/* no target: exists/matches = 0, others poisoned */
	uint32_t types;		/* types in the reduced BTF (after build) */
	uint32_t members;	/* struct/union members and enumerators kept */
	uint32_t verified;	/* relocations compared by the last verify */
};
void pk_btf_min__stats(const struct pk_btf_min *m, struct pk_btf_min_stats *st);

/* name of an object added, in order; NULL past the end */
const char *pk_btf_min__object_name(const struct pk_btf_min *m, size_t i);

#endif
