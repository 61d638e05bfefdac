/* The repository as a directory or a URL: `repo index` (build records and shard
 * manifests in, a signed index.json, index.json.minisig and index.html out),
 * `repo verify` (signature first, then every listed file, nothing unlisted, not
 * expired, not rolled back) and the reading that `repo ls` and the farm share. */
#ifndef PK_REPO_REPO_H
#define PK_REPO_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"
#include "repo/index.h"
#include "repo/minisign.h"

struct pk_http;
struct pk_index_scan_artifact;

#define PK_REPO_INDEX "index.json"
#define PK_REPO_SIG "index.json.minisig"
#define PK_REPO_HTML "index.html"
#define PK_REPO_LOCK ".probekit.lock"
#define PK_REPO_VALID_FOR_DEFAULT (7 * 86400)

struct pk_repo_index_result {
	uint64_t version;
	int64_t expires;
	size_t artifacts, failures, records, manifests, temps_removed;
};

struct pk_repo_index_opts {
	size_t sz;
	const char *key;		/* minisign secret key file (required) */
	const char *password;		/* of an encrypted key, or NULL */
	int64_t valid_for;		/* seconds, default PK_REPO_VALID_FOR_DEFAULT */
	int64_t now;			/* 0: the clock */
	const char *title;		/* index.html's title */
	const char *next_key;		/* a public key file to announce for rotation, or NULL */
	bool locked;			/* the caller holds the directory's lock (the farm) */
	struct pk_repo_index_result *result;	/* filled when given */
};
#define PK_REPO_INDEX_OPTS(name, ...) \
	struct pk_repo_index_opts name = { .sz = sizeof(struct pk_repo_index_opts), __VA_ARGS__ }

/*
 * Index dir: under its lock, remove temp files a killed writer left, read every
 * build record (_build/<pv>/<key>.json) and shard manifest (_shards/<pv>/shard-I-of-N), check each
 * artifact's size and SHA256 against its record, keep the verification state of
 * artifacts that did not change, and write index.html, index.json (version one
 * more than the previous index's, which must verify with this key) and its
 * signature, in that order, each atomically; then remove the shard manifests it
 * consumed (a manifest serves one merge). -EBUSY when another process holds the
 * lock; -EBADMSG for a record, manifest or artifact that does not check out (err
 * names it); -EKEYREJECTED when the existing index is not signed by this key.
 */
int pk_repo__index(const char *dir, const struct pk_repo_index_opts *opts, struct pk_error *err);

/* a problem found by pk_repo__verify, one sentence */
typedef void (*pk_repo_problem_fn)(const char *msg, void *ctx);

struct pk_repo_verify_result {
	uint64_t version;
	int64_t generated, expires;
	char key_id[PK_MINISIGN_KEYID_STR_LEN];
	size_t files, bytes, problems;
};

struct pk_repo_verify_opts {
	size_t sz;
	const char *key;		/* minisign public key file (required) */
	bool allow_expired;		/* an air-gapped mirror's index may be old on purpose */
	int64_t now;			/* 0: the clock */
	const char *state;		/* file keeping the highest version seen per key: rollback */
	struct pk_http *http;		/* for URLs; NULL: made when needed */
	bool index_only;		/* signature, expiry and rollback, not every file */
	pk_repo_problem_fn problem;
	void *ctx;
	struct pk_repo_verify_result *result;
	bool partial;			/* a mirror's subset: a listed file that is absent is
					 * no problem; one that is there is checked in full */
};
#define PK_REPO_VERIFY_OPTS(name, ...) \
	struct pk_repo_verify_opts name = { .sz = sizeof(struct pk_repo_verify_opts), __VA_ARGS__ }

/*
 * Verify a repository (a directory, or an http(s):// or file:// URL): the signature
 * of index.json before it is parsed, the trusted comment's version, expiry and
 * digest against the index, not expired (unless allow_expired), not older than the
 * state file's version for this key, every listed file's size and SHA256 (at most
 * size bytes fetched), and for a directory no unlisted file and no link. Every
 * problem goes to the callback; returns 0, or -EBADMSG when there was any (the
 * first in err), or -errno when the index itself cannot be read or its signature
 * does not verify (-EKEYREJECTED).
 */
int pk_repo__verify(const char *where, const struct pk_repo_verify_opts *opts, struct pk_error *err);

/*
 * Load where's index: verified with pub when given (signature first), else read
 * unverified. allow_expired as above. *ix to free.
 */
int pk_repo__load(const char *where, const struct pk_minisign_pubkey *pub, bool allow_expired,
		  struct pk_http *http, struct pk_index **ix, struct pk_error *err);

/*
 * What an agent or a mirror does with a repository: index.json and its signature
 * fetched (signature first) from where (a directory, or an http(s):// or file://
 * URL) or taken from given bytes (a cached copy), the signature checked against
 * pub before the index is parsed, the trusted comment's version, expiry and digest
 * against the index, refused when expired (unless allow_expired) and when older
 * than the highest version the state file holds for (key, state_name); the state
 * then records this version. Errors: -EKEYREJECTED (signature or key), -EBADMSG
 * (digest, version or index malformed), -EKEYEXPIRED (expired: a freeze), -ESTALE
 * (rolled back), or the fetch's -errno; err says which and where.
 */
struct pk_repo_open_opts {
	size_t sz;
	const struct pk_minisign_pubkey *pub;	/* required: the pinned key */
	bool allow_expired;
	int64_t now;				/* 0: the clock */
	const char *state;			/* rollback state file, or NULL */
	const char *state_name;			/* the repository's name in it, default where */
	bool state_check_only;			/* compare with the state, write nothing (a kept copy) */
	const char *label;			/* what messages call it, default where */
	struct pk_http *http;			/* for URLs; NULL: one made for the call */
	uint64_t max_index_bytes;		/* default PK_INDEX_MAX_LEN */
	/* verify these bytes instead of fetching (both or neither) */
	const char *index_data, *sig_data;
	size_t index_len, sig_len;
	/* the verified bytes, exactly as fetched (malloc'd; set only on success and
	 * only when fetched) */
	char **index_out, **sig_out;
	size_t *index_out_len, *sig_out_len;
	/* given bytes only: scan the verified index (repo/index_scan.h: no tree, constant
	 * memory) instead of parsing it; *ix then holds version, generated and
	 * expires, and no artifact. A non-zero return of scan stops it and is returned */
	int (*scan)(const struct pk_index_scan_artifact *a, void *ctx);
	void *scan_ctx;
	/* given bytes that passed every check when they were kept (a cache): the
	 * signature is checked again, which covers every byte (minisign's Ed25519 over
	 * their BLAKE2b-512), but the trusted comment's SHA256 is not recomputed */
	bool digest_checked;
};
#define PK_REPO_OPEN_OPTS(name, ...) \
	struct pk_repo_open_opts name = { .sz = sizeof(struct pk_repo_open_opts), __VA_ARGS__ }
int pk_repo__open(const char *where, const struct pk_repo_open_opts *opts, struct pk_index **ix,
		  struct pk_error *err);

/*
 * The rollback state file: "<key id> <version> <repository>" lines, the highest
 * index version seen per repository and key (TUF's defence against rollback), read
 * and rewritten under a lock (state + ".lock"; without write: read alone, no lock,
 * nothing created). -ESTALE (reason in err) when version is below the one kept;
 * otherwise 0, and with write the higher version is kept. *seen (may be
 * NULL) gets the version kept before.
 */
int pk_repo__state(const char *state, const char *key_id, const char *where, uint64_t version,
		   bool write, uint64_t *seen, struct pk_error *err);

/* the URL of rel under the repository URL where: every byte of rel but
 * [A-Za-z0-9._~/-] percent-encoded ('+' as %2B, as falcoctl sends it). -EINVAL
 * when where is not an http(s):// or file:// URL */
int pk_repo__url(const char *where, const char *rel, char *buf, size_t len);

/* rel under dir, without following a link at any step: a regular file's fd
 * (O_RDONLY), or -ENOENT, -ELOOP (a link), -ENOTDIR, -ENAMETOOLONG, -EBADF (not a
 * regular file: a FIFO or a device under a listed name must not hang or feed us) */
int pk_repo__open_inside(const char *dir, const char *rel);

/* the lock of a repository directory: fd to close, -EBUSY when held elsewhere */
int pk_repo__lock(const char *dir, struct pk_error *err);

#endif
