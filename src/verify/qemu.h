/* One boot of probekit verify: QEMU with a kernel and the initramfs, the serial
 * console captured (to a file and in memory), killed at a deadline, and how it
 * went. Never prints; why a boot did not give a verdict is in the result. */
#ifndef PK_VERIFY_QEMU_H
#define PK_VERIFY_QEMU_H

#include <stdbool.h>
#include <stddef.h>

#include "common/pk.h"
#include "verify/kvm.h"

#define PK_VM_TAIL_LEN 4096

enum pk_vm_outcome {
	PK_VM_VERDICT = 0,	/* the guest printed its selftest result */
	PK_VM_PANIC,		/* kernel panic */
	PK_VM_TIMEOUT,		/* killed at the timeout */
	PK_VM_EXITED,		/* QEMU ended without a verdict (cannot boot, init died) */
	PK_VM_KVM_STALL,	/* KVM ran but the kernel printed nothing: retry under TCG */
	PK_VM_LAUNCH_FAILED,	/* QEMU could not be started */
};
const char *pk_vm_outcome__str(enum pk_vm_outcome o);

struct pk_vm_opts {
	size_t sz;
	const char *qemu;	/* NULL: $PROBEKIT_QEMU or qemu-system-x86_64 */
	const char *kernel;
	const char *initrd;
	const char *append;	/* extra kernel command line */
	int mem_mb;		/* 0: 768 */
	enum pk_vm_accel accel;	/* KVM or TCG */
	double timeout_s;	/* 0: 300 */
	double kvm_stall_s;	/* KVM: no "Linux version" by then is a stall; 0: 20 */
	const char *console_path;	/* the whole console goes here, or NULL */
	const char *nonce;
};
#define PK_VM_OPTS(name, ...)                                                  \
	struct pk_vm_opts name = { .sz = sizeof(struct pk_vm_opts), __VA_ARGS__ }

struct pk_vm_result {
	enum pk_vm_outcome outcome;
	int guest_rc;		/* selftest's exit code, -1 when unknown */
	char *json;		/* selftest --json output (malloc'd), or NULL */
	char *guest_err;	/* selftest's stderr (malloc'd), or NULL */
	double verdict_s;	/* launch -> verdict on the console; 0 when none */
	double wall_s;		/* launch -> QEMU gone */
	int qemu_status;	/* wait status */
	bool init_started;	/* the kernel printed "Run /init as init process" */
	struct pk_error err;	/* why there is no verdict; code 0 and "" with one */
	char tail[PK_VM_TAIL_LEN];	/* last console lines */
};

/* Boot once and wait (at most timeout_s) for the verdict. Returns 0 when QEMU
 * ran (outcome says how it went), -errno when it could not be started (-EINVAL
 * for options this library does not know or no kernel/initrd). */
int pk_vm__run(const struct pk_vm_opts *opts, struct pk_vm_result *r);
void pk_vm_result__free(struct pk_vm_result *r);	/* NULL-safe */

#endif
