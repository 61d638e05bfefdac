/* Verification records: what booting a kernel under QEMU proved about the
 * artifacts built for it (`probekit farm --verify`), one file per kernel at
 * _verify/<probe-version>/<target>_<kernelrelease>.json (schema
 * "probekit-verification/1"). `repo index` reads them as it reads build records
 * and marks each listed artifact whose bytes are still the ones that were booted;
 * a failure keeps its reason and the console's last lines there. */
#ifndef PK_REPO_VERIFICATION_H
#define PK_REPO_VERIFICATION_H

#include <stddef.h>

#include "common/pk.h"
#include "repo/index.h"

#define PK_VERIFICATION_SCHEMA "probekit-verification/1"
#define PK_VERIFICATION_DIR "_verify"
#define PK_VERIFICATION_MAX_LEN (4u << 20)	/* one record, console tails included */
#define PK_VERIFICATION_TAIL_MAX 4096		/* console tail bytes kept per result */

/* one artifact's verdict */
struct pk_verification {
	const char *path;		/* the artifact, relative to the repository */
	const char *sha256;		/* the bytes that were booted */
	const char *state;		/* "verified" or "failed" */
	const char *kernel;		/* uname -r booted */
	const char *mode;		/* verify mode: legacy, repo */
	const char *date;		/* UTC, ISO 8601 (YYYY-MM-DDTHH:MM:SSZ) */
	const char *reason;		/* failed: one line; NULL when verified */
	const char *console_tail;	/* failed: the console's last lines, or NULL */
};

/*
 * Write the record of one kernel (key "target:kernelrelease") into repo, atomically,
 * replacing an earlier one: _verify/<pv>/<target>_<kernelrelease>.json. The
 * record's relative path goes into rel (may be NULL). -EINVAL for a result without
 * path, sha256, a state other than verified/failed; -errno when it cannot be written.
 */
int pk_verification__write(const char *repo, const char *pv, const char *target,
			   const char *kernelrelease, const struct pk_verification *v, size_t n,
			   char *rel, size_t rel_len, struct pk_error *err);

/*
 * Apply a record (outside input: bounded, strict types, unknown keys refused) to ix:
 * each result whose artifact ix lists with the same SHA256 gets its state, kernel,
 * mode, date and reason (the reason of a failure ends with where its console tail
 * is: "(console: <record>)"; record is the record's relative path, for that). A
 * result for bytes the index no longer lists is skipped: they were rebuilt. The
 * number of artifacts marked goes to *applied (may be NULL). -EBADMSG with err
 * naming the field for a malformed record (nothing applied), -ENOMEM.
 */
int pk_verification__apply(struct pk_index *ix, const void *data, size_t len, const char *record,
			    size_t *applied, struct pk_error *err);

#endif
