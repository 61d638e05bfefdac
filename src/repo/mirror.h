/* `repo mirror`: the subset of a signed repository that a fleet runs, copied into a
 * directory with index.json and its signature byte for byte, so that agents verify
 * the mirror with the repository's own key (air-gapped sites). Never prints. */
#ifndef PK_REPO_MIRROR_H
#define PK_REPO_MIRROR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"
#include "repo/index.h"

struct pk_http;

/* the mirror's rollback state in DIR ("<key id> <version> mirror" lines, pk_repo__state) */
#define PK_REPO_MIRROR_STATE ".probekit-mirror-state"
#define PK_MIRROR_KERNELS_MAX_LEN (16u << 20)	/* --kernels file cap */
#define PK_MIRROR_CATALOG_MAX_LEN (256u << 20)	/* --catalog file cap */
#define PK_MIRROR_LINE_MAX 1024			/* one --kernels line */

/*
 * A selection of kernels: --kernels lines and --catalog entries, in order.
 * --kernels grammar, one selector a line ('#' to the end of a line is a comment;
 * blank lines and surrounding blanks ignored; printable ASCII, no blank inside):
 *   TARGET/KERNELRELEASE/KERNELVERSION   falco key (two '/')
 *   TARGET:KERNELRELEASE                 falco key, any kernel version (one ':')
 *   UNAME_R                              anything else: a `uname -r`
 * Every field is an fnmatch(3) glob ('*', '?', '[0-9]'); '/' and ':' only separate,
 * so POSIX classes ([[:digit:]]) cannot be written. A catalog entry (probekit
 * kernels --json) matches exactly, by (target, kernelrelease, kernelversion) and by
 * (os_id, version_id, machine, uname_r).
 */
struct pk_mirror_sel;

struct pk_mirror_sel *pk_mirror_sel__new(void);
void pk_mirror_sel__free(struct pk_mirror_sel *s);
/* parse --kernels text (data need not be NUL-terminated); name ("FILE") prefixes
 * messages: "FILE:3: ...". -EBADMSG for a bad line (nothing of data added), -EFBIG
 * over PK_MIRROR_KERNELS_MAX_LEN, -ENOMEM */
int pk_mirror_sel__add_kernels(struct pk_mirror_sel *s, const void *data, size_t len,
			       const char *name, struct pk_error *err);
/* parse `probekit kernels --json` (schema probekit-kernels/1): json-c, strict types
 * for what is read, unknown keys ignored (the catalog grows), bounded. Same errors */
int pk_mirror_sel__add_catalog(struct pk_mirror_sel *s, const void *data, size_t len,
			       const char *name, struct pk_error *err);
/* read FILE and parse it as above */
int pk_mirror_sel__load_kernels(struct pk_mirror_sel *s, const char *path, struct pk_error *err);
int pk_mirror_sel__load_catalog(struct pk_mirror_sel *s, const char *path, struct pk_error *err);
size_t pk_mirror_sel__count(const struct pk_mirror_sel *s);
/* selector i in words: "uname -r 6.1.0-*-amd64 (FILE:3)", "falco key debian/6.1.*\/1 (...)" */
const char *pk_mirror_sel__describe(const struct pk_mirror_sel *s, size_t i);
/* does selector i pick artifact a directly (without pk_repo__mirror_select's closure)? */
bool pk_mirror_sel__match(const struct pk_mirror_sel *s, size_t i, const struct pk_index_artifact *a);

enum pk_repo_mirror_event {
	PK_MIRROR_INFO,		/* progress: a file copied, one pruned */
	PK_MIRROR_WARN,		/* a kernel that matched nothing, an absent probe version */
	PK_MIRROR_PROBLEM,	/* a file that could not be copied or did not check out */
};
typedef void (*pk_repo_mirror_fn)(enum pk_repo_mirror_event ev, const char *msg, void *ctx);

struct pk_repo_mirror_result {
	uint64_t version;		/* of the index mirrored */
	size_t selected;		/* artifacts selected */
	size_t copied, present;		/* fetched now; already in DIR with the right bytes */
	uint64_t bytes_copied, bytes_present;
	size_t failed;			/* selected artifacts that could not be copied */
	size_t unmatched;		/* selectors (kernels) that matched no artifact */
	size_t probe_versions_missing;	/* --probe-version not in the index */
	size_t pruned, temps_removed;
	bool index_written;		/* false: DIR already held these exact index bytes */
};

struct pk_repo_mirror_opts {
	size_t sz;
	const char *key;			/* minisign public key file (required) */
	const struct pk_mirror_sel *sel;	/* NULL or empty: the CO-RE objects only */
	const char *const *probe_versions;	/* NULL: every probe version of the index */
	size_t nr_probe_versions;
	bool full_btf;			/* also full-btf (default: what agents use) */
	bool allow_expired;		/* a source kept old on purpose */
	bool prune;			/* remove from DIR every file this run did not select */
	int64_t now;			/* 0: the clock */
	struct pk_http *http;		/* for URLs (timeouts, CA); NULL: one made for the call */
	pk_repo_mirror_fn event;
	void *ctx;
	struct pk_repo_mirror_result *result;
};
#define PK_REPO_MIRROR_OPTS(name, ...) \
	struct pk_repo_mirror_opts name = { .sz = sizeof(struct pk_repo_mirror_opts), __VA_ARGS__ }

/*
 * Which artifacts of ix a mirror with opts copies: the kinds (legacy-object,
 * reduced-btf, core-object, btf-object; full-btf with full_btf) of the probe
 * versions wanted; every CO-RE object; artifacts a selector matches; and the
 * kernel's other artifacts through them: a legacy object brings the BTF of its
 * (os_id, version_id, arch, uname_r), a BTF brings the legacy objects of its
 * (target, kernelrelease) that carry no uname_r. selected[] has ix->nr_artifacts
 * entries; unmatched[] (may be NULL) one per selector. Warnings go to the event
 * callback. Returns the number selected, or -ENOMEM.
 */
int pk_repo__mirror_select(const struct pk_index *ix, const struct pk_repo_mirror_opts *opts,
			   bool *selected, bool *unmatched, struct pk_error *err);

/*
 * Mirror from (http(s)://, file:// or a directory) into to (created if missing).
 * The source's index.json is fetched and verified with key (signature first,
 * expiry, digest); refused (-ESTALE) when older than what to holds or once held
 * (its state file); then under to's lock: stale temp files removed, every selected
 * artifact already there with its size and SHA256 kept, every other one fetched
 * into a temp file, checked (never more bytes than listed) and renamed; a file
 * whose bytes change is staged and renamed only once every file is in, so to's old
 * index and its files stay consistent until then. Last: index.html (regenerated
 * over the mirrored subset), index.json, index.json.minisig (the source's bytes),
 * the state, and with prune the files not selected. Errors: the source's
 * (-EKEYREJECTED, -EKEYEXPIRED, -EBADMSG, fetch errors), -ESTALE, -EBUSY (locked),
 * -EBADMSG when a selected file could not be copied (every one reported, to's index
 * left as it was).
 */
int pk_repo__mirror(const char *from, const char *to, const struct pk_repo_mirror_opts *opts,
		    struct pk_error *err);

#endif
