/* The repository index (index.json, schema "probekit-index/1"): the model, its
 * strict reader (outside input: bounded, every field checked) and its canonical
 * writer (same content, same bytes), and the reader of build records that feed it. */
#ifndef PK_REPO_INDEX_H
#define PK_REPO_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "common/pk.h"

#define PK_INDEX_SCHEMA "probekit-index/1"
#define PK_BUILD_RECORD_SCHEMA "probekit-build/1"
#define PK_INDEX_MAX_LEN (64u << 20)	/* default cap on index.json before parsing */
#define PK_INDEX_PATH_MAX 512		/* bytes in an artifact path */

/* a package the artifact was built from (a build record's inputs) */
struct pk_index_input {
	char *name, *version;
	char sha256[65];
};

struct pk_index_verification {
	char *state;	/* "unverified" (default; NULL is written as that), "verified", "failed" */
	char *kernel, *mode, *date, *reason;	/* each may be NULL */
};

/*
 * One published file. Every string is malloc'd and owned by the index once added.
 * Nullable: probe_version (NULL exactly for full-btf), the kernel fields a kind does
 * not need (see pk_index_artifact__check), record, compiler, log_sha256.
 */
struct pk_index_artifact {
	char *path;	/* relative to the repository root: '/'-separated, no leading '/', no "."
			 * or ".." or empty component, printable ASCII without spaces, <= 512 bytes */
	uint64_t size;
	char sha256[65];	/* 64 lower-case hex digits */
	char *kind;	/* legacy-object | reduced-btf | full-btf | core-object | btf-object */
	char *probe_version;	/* NULL for full-btf, which no probe version owns */
	char *target, *kernelrelease, *kernelversion, *os_id, *version_id, *arch, *uname_r;
			/* arch = machine (x86_64, aarch64) */
	char *record, *compiler, *log_sha256;	/* from the build record */
	double seconds;	/* >= 0, written with 3 decimals */
	struct pk_index_input *inputs;
	size_t nr_inputs;
	struct pk_index_verification verification;
};

/* a build that did not produce its artifact: key is the build record's (target:kernelrelease) */
struct pk_index_failure {
	char *key, *kind, *probe_version /* NULL for full-btf */, *stage, *reason;
	char *record, *log_tail;	/* may be NULL */
};

struct pk_index_map;	/* private: path -> artifact lookup */

struct pk_index {
	uint64_t version;		/* only grows; >= 1 in a written index */
	int64_t generated, expires;	/* unix seconds, expires > generated */
	char *next_key, *next_key_sig;	/* key rotation: a minisign public key line and a
					 * minisign signature over it; both NULL or both set */
	struct pk_index_artifact *artifacts;
	size_t nr_artifacts;
	struct pk_index_failure *failures;
	size_t nr_failures;
	struct pk_index_map *map;	/* private */
};

/*
 * Fields may be read and changed in place (verification, version, expiry), with
 * two exceptions: an artifact's path changes only by pk_index__remove + add (the
 * path lookup is keyed on it), and the arrays grow only through the add functions.
 */

/* an empty index (version 0, no artifacts); NULL with errno on failure. The only
 * way to get a struct pk_index: one on the stack has no lookup map */
struct pk_index *pk_index__new(void);
void pk_index__free(struct pk_index *ix);

/*
 * Add an artifact, moving its contents into the index: on return (success or not)
 * *a is zeroed and the index owns (or has freed) what it pointed to. An artifact
 * with the same path replaces the old one. Checked with pk_index_artifact__check:
 * -EBADMSG with the reason in err. Adding an artifact removes a failure of the same
 * (kernel key, kind, probe version): the build that failed has since succeeded.
 */
int pk_index__add_artifact(struct pk_index *ix, struct pk_index_artifact *a,
			   struct pk_error *err);
/* same move semantics; the same key+kind+probe_version replaces the old failure */
int pk_index__add_failure(struct pk_index *ix, struct pk_index_failure *f, struct pk_error *err);
/* the artifact at path, or NULL */
struct pk_index_artifact *pk_index__find(const struct pk_index *ix, const char *path);
/* the failure of (key, kind, probe_version (NULL for full-btf)), or NULL */
struct pk_index_failure *pk_index__find_failure(const struct pk_index *ix, const char *key,
						const char *kind, const char *probe_version);
/* remove the artifact at path; -ENOENT if none */
int pk_index__remove(struct pk_index *ix, const char *path);
/* artifacts by path, failures by key, kind, probe version: deterministic order */
void pk_index__sort(struct pk_index *ix);

/*
 * Freshness, what a client checks after the signature (TUF's timestamp rules):
 * -EKEYEXPIRED when now >= expires, -ESTALE when version < min_version (the
 * highest version this client has seen: an older one is a rollback). err says which.
 */
int pk_index__check_fresh(const struct pk_index *ix, int64_t now, uint64_t min_version,
			  struct pk_error *err);

/* is s[0..n) valid UTF-8 (what every string of the index must be)? */
bool pk_index__valid_utf8(const char *s, size_t n);
/* the path rule above: 0, or -EBADMSG with why (err may be NULL) */
int pk_index__check_path(const char *path, struct pk_error *err);
/* one artifact's fields (path, sha256, kind, probe version, the kernel fields its
 * kind needs, verification state): 0 or -EBADMSG with the field named */
int pk_index_artifact__check(const struct pk_index_artifact *a, struct pk_error *err);
/* replace the verification fields (strings copied; NULL allowed except state) */
int pk_index_artifact__set_verification(struct pk_index_artifact *a, const char *state,
					const char *kernel, const char *mode, const char *date,
					const char *reason);
/* free what the fields point to and zero the struct (for one never added) */
void pk_index_artifact__clear(struct pk_index_artifact *a);
void pk_index_failure__clear(struct pk_index_failure *f);

/*
 * Canonical JSON: sorts ix, then writes fixed key order, pretty, every key present
 * (null where unset), so the same content gives the same bytes. j is initialised by
 * the caller (pk_json__init(j, true)); j->err holds -ENOMEM if the text is incomplete.
 */
void pk_index__write(struct pk_index *ix, struct pk_json *j);

struct pk_index_parse_opts {
	size_t sz;
	size_t max_len;		/* refuse larger input before parsing; default PK_INDEX_MAX_LEN */
};
#define PK_INDEX_PARSE_OPTS(name, ...) \
	struct pk_index_parse_opts name = { .sz = sizeof(struct pk_index_parse_opts), __VA_ARGS__ }

/*
 * Parse index.json (data need not be NUL-terminated). Strict: exact types, every
 * field required (nullable ones as null), no unknown key, paths checked, no
 * duplicate path, schema PK_INDEX_SCHEMA, version >= 1, expires > generated.
 * -EBADMSG with the field named ("artifacts[3].sha256: not 64 lower-case hex
 * digits"), -EFBIG over the size cap, -ENOMEM. *ix is set only on success.
 */
int pk_index__parse(const void *data, size_t len, struct pk_index **ix, struct pk_error *err);
int pk_index__parse_opts(const void *data, size_t len, const struct pk_index_parse_opts *opts,
			 struct pk_index **ix, struct pk_error *err);
/* read and parse a file, and write one atomically (sorted, canonical) */
int pk_index__load(const char *path, struct pk_index **ix, struct pk_error *err);
int pk_index__save(struct pk_index *ix, const char *path, struct pk_error *err);

/*
 * Read a build record (schema "probekit-build/1", src/build/build.c) and add its
 * ok artifacts (with the record's kernel, compiler, inputs, log digest) and its
 * failed ones as failures. build.record is where build.c writes the record,
 * "_build/<probe_version>/<target>_<kernelrelease>.json" (relative to the
 * repository root). Same strictness as pk_index__parse; nothing is added unless
 * the whole record is good. Unknown keys are ignored (the record may grow).
 */
int pk_index__add_record(struct pk_index *ix, const void *data, size_t len,
			 struct pk_error *err);

/* Outside JSON read strictly through json-c: at most max bytes, no NUL, nesting at
 * most depth, nothing after the value, and the value an object; what names the
 * text in messages ("index: JSON error at offset 12: ..."). -EFBIG, -EBADMSG,
 * -ENOMEM. The index and build-record readers and the mirror's catalog reader
 * use it. */
struct json_object;
int pk_index__json_object(const void *data, size_t len, size_t max, int depth, const char *what,
			  struct json_object **out, struct pk_error *err);

#endif
