/* The verify engine: boot each kernel under QEMU once per mode with an agent
 * inside, run its selftest there and judge the verdict, N boots at a time. One
 * bad kernel never stops the others; every boot ends by its timeout at the
 * latest. `probekit verify` prints the rows; `probekit farm --verify` records
 * them in the repository. Never prints. */
#ifndef PK_VERIFY_MATRIX_H
#define PK_VERIFY_MATRIX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/pk.h"
#include "verify/console.h"
#include "verify/kimg.h"
#include "verify/qemu.h"

/*
 * What the guest's agent gets, per mode (docs/verify.md, "Modes"):
 *   btf      as booted: sysfs BTF visible
 *   no-btf   /sys/kernel/btf hidden: the embedded reduced BTF, else a BTF file the
 *            host cut out of the image
 *   object   --probe OBJ (the explicit candidate must win)
 *   legacy   sysfs BTF hidden, only the repo-legacy candidate allowed: this
 *            kernel's legacy object, from the repository, must win
 *   repo     sysfs BTF hidden, only repository candidates (repo-reduced-btf,
 *            repo-legacy): whatever wins was fetched and verified inside the guest
 * In legacy and repo mode the guest gets the repository's signed index and this
 * kernel's artifacts as a directory in its initramfs (a `repo mirror` subset, the
 * index and its signature byte for byte) and the public key; nothing else.
 */
enum pk_verify_mode {
	PK_VERIFY_BTF,
	PK_VERIFY_NO_BTF,
	PK_VERIFY_OBJECT,
	PK_VERIFY_LEGACY,
	PK_VERIFY_REPO,
	PK_VERIFY__N,
};
const char *pk_verify_mode__str(enum pk_verify_mode m);
/* "btf" ... "repo" -> the mode, or -1 */
int pk_verify_mode__parse(const char *name);
#define PK_VERIFY_MODE_BIT(m) (1u << (m))
#define PK_VERIFY_NEEDS_REPO (PK_VERIFY_MODE_BIT(PK_VERIFY_LEGACY) | PK_VERIFY_MODE_BIT(PK_VERIFY_REPO))

enum pk_verify_verdict { PK_VERIFY_PASS, PK_VERIFY_FAIL, PK_VERIFY_ERROR };
const char *pk_verify_verdict__str(enum pk_verify_verdict v);	/* pass, fail, error */

/* the artifact that won a legacy or repo row, as the guest's agent reported it
 * (fetched from the repository and checked against the signed index there) */
struct pk_verify_artifact {
	char kind[16];		/* legacy-object, reduced-btf, core-object */
	char path[512];		/* in the repository */
	char sha256[65];
};

struct pk_verify_row {
	const char *input;		/* the kernel as given */
	char kernel[160];		/* its release (uname -r), or the input's base name */
	char version[256];		/* the image's version string, "" when unknown */
	enum pk_verify_mode mode;
	enum pk_verify_verdict verdict;
	const char *outcome;		/* verdict, panic, timeout, exited, launch-failed,
					 * bad-input; no-artifact (the repository lists
					 * nothing this mode can use), repo-error (its index
					 * or a file did not verify): those two never boot */
	struct pk_error reason;		/* why not passed */
	struct pk_error retried;	/* why the boot was repeated once; msg "" if not */
	struct pk_vm_guest guest;	/* what the guest's selftest said */
	char *guest_json;		/* its JSON, validated, or NULL */
	struct pk_verify_artifact artifact;	/* legacy, repo: what won (kind "" if none) */
	enum pk_vm_accel accel;
	double verdict_s, wall_s;	/* QEMU launch to verdict; the VM's whole life */
	char log[PATH_MAX];		/* console log (kept when not passed, or with keep) */
	char tail[PK_VM_TAIL_LEN];	/* the console's last lines */
	bool booted;			/* false: decided without a boot (bad input, no artifact) */
};

struct pk_verify_run {
	struct pk_verify_row *rows;	/* kernel-major, modes in enum order */
	int nr_rows;
	enum pk_vm_accel accel;		/* what the boots used */
	struct pk_error accel_err;	/* why not KVM ("" when KVM was used) */
	double wall_s;
	int jobs;
	int counts[3];			/* by verdict */
	char workdir[PATH_MAX];
	char logdir[PATH_MAX];
};

/* one row done: progress for the CLI, in the worker thread that ran it (calls are
 * serialised) */
typedef void (*pk_verify_row_fn)(const struct pk_verify_row *r, void *ctx);

struct pk_verify_opts {
	size_t sz;
	const char *const *kernels;	/* images, packages, debian:SUITE[:PACKAGE] */
	int nr_kernels;
	unsigned modes;			/* PK_VERIFY_MODE_BIT()s; default btf,no-btf */
	const char *probe;		/* mode object: the object */
	const char *agent;		/* the probekit binary put in the guest (required) */
	const char *repo;		/* legacy, repo: a directory or an http(s)/file URL */
	const char *repo_key;		/* its minisign public key file */
	bool allow_expired;		/* an index kept old on purpose */
	const char *corpus;		/* scripts/kernel-corpus.sh for debian:SUITE */
	const char *qemu;		/* default qemu-system-x86_64 */
	const char *append;		/* extra kernel command line (checked by the caller) */
	const char *log_dir;		/* NULL: logs/ in the work directory */
	bool keep;			/* keep every log and work file */
	enum pk_vm_accel accel;		/* auto, kvm, tcg */
	bool kvm_only;			/* --accel kvm: fail rather than fall back */
	int jobs;			/* VMs at once, default 1 */
	int mem_mb;			/* default 768 */
	double timeout_s;		/* per boot, default 300 */
	bool discard_logs;		/* remove even failed rows' console logs at the end
					 * (their tails stay in the rows) */
	pk_verify_row_fn on_row;
	void *ctx;
};
#define PK_VERIFY_OPTS(name, ...) \
	struct pk_verify_opts name = { .sz = sizeof(struct pk_verify_opts), __VA_ARGS__ }

/*
 * Boot every kernel in every mode of opts. 0 when the matrix ran (rows that did not
 * pass are in the result, not errors); -ENOENT when QEMU cannot be found (every row
 * then says so, and *out is still filled); -ENODEV for --accel kvm without a
 * working KVM; -EINVAL for bad options; -errno when there is no work directory.
 * Before it returns, the work directory is removed unless keep, but for the console
 * logs of rows that did not pass when they live there (log_dir NULL and not
 * discard_logs). *out to free with pk_verify_run__free (memory only).
 */
int pk_verify__run(const struct pk_verify_opts *opts, struct pk_verify_run **out,
		   struct pk_error *err);
void pk_verify_run__free(struct pk_verify_run *run);

/* Judge one boot that reached its verdict (res->outcome PK_VM_VERDICT) for r->mode:
 * fills r->guest, r->guest_json, r->artifact, r->verdict and r->reason. Exposed for
 * the unit tests; pk_verify__run calls it for every such boot. */
void pk_verify_row__judge(struct pk_verify_row *r, const struct pk_vm_result *res);

#endif
