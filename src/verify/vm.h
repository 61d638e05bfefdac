/* Boot kernel images under QEMU with the agent inside and read its verdict back
 * from the serial console (probekit verify). Never prints: every function
 * returns 0 or a negative errno and explains failures in a caller's `why`. */
#ifndef PK_VM_H
#define PK_VM_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#define PK_VM_WHY_LEN 512
#define PK_VM_TAIL_LEN 4096

/* ---- accelerator ---- */

enum pk_vm_accel {
	PK_VM_ACCEL_AUTO = 0,
	PK_VM_ACCEL_KVM,
	PK_VM_ACCEL_TCG,
};
const char *pk_vm_accel__str(enum pk_vm_accel a);

/* 0 when /dev/kvm opens, speaks API 12 and runs a tiny real-mode guest to its
 * hlt; -errno and why otherwise. A nested hypervisor can pass this and still
 * stall a real kernel: pk_vm__run reports that as PK_VM_KVM_STALL. */
int pk_vm__kvm_probe(char *why, size_t why_len);

/* ---- kernel images ---- */

enum pk_kimg_kind {
	PK_KIMG_BZIMAGE,	/* x86 boot protocol image (vmlinuz) */
	PK_KIMG_ELF,		/* ELF vmlinux with a PVH entry note: QEMU boots it directly */
};

struct pk_kimg {
	enum pk_kimg_kind kind;
	char path[PATH_MAX];
	char release[128];	/* "6.1.0-50-amd64", or "" when the image does not say */
	char version[256];	/* the image's whole version string */
};

/* What is this file? bzImage (boot header "HdrS") or ELF vmlinux with a PVH
 * note; -ENOEXEC and why for anything else. */
int pk_kimg__probe(const char *path, struct pk_kimg *k, char *why, size_t why_len);

/* Extract the kernel image from a package (.deb via dpkg-deb, .rpm via
 * rpm2cpio | cpio) into dir; out gets the image's path. */
int pk_kimg__from_package(const char *pkg, const char *dir, char *out, size_t out_len,
			  char *why, size_t why_len);

/* Decompress a bzImage's payload into an ELF vmlinux at out (with xz, zstd,
 * gzip, ... from PATH). Booting that through PVH skips the in-guest
 * decompression, which takes half a minute under software emulation.
 * -ENOTSUP when the payload is not an ELF with a PVH entry note. */
int pk_kimg__unpack(const struct pk_kimg *bz, const char *out, struct pk_kimg *elf,
		    char *why, size_t why_len);

/* Fetch debian:SUITE or debian:SUITE:PACKAGE through scripts/kernel-corpus.sh
 * (script); out gets the cached .deb's path. */
int pk_kimg__fetch(const char *spec, const char *script, char *out, size_t out_len, char *why,
		   size_t why_len);

/* /etc/os-release text for the guest, so the agent picks the reduced BTF the
 * way it would on that distribution: from "debNN" in the release, the suite
 * name (may be NULL) or a Debian version string. -ENOENT when unknown. */
int pk_kimg__os_release(const struct pk_kimg *k, const char *suite, char *out, size_t out_len);

/* Copy an ELF vmlinux's .BTF section to out (a raw BTF file libbpf reads). */
int pk_kimg__btf(const char *vmlinux, const char *out, char *why, size_t why_len);

/* ---- initramfs ---- */

struct pk_initramfs_opts {
	size_t sz;
	const char *probekit;	/* agent binary; its shared libraries come along (ldd) */
	const char *busybox;	/* NULL: $PROBEKIT_BUSYBOX, /bin/busybox, /usr/bin/busybox */
	const char *probe_obj;	/* -> /pk/probe.o (mode object), or NULL */
	const char *btf_file;	/* -> /pk/vmlinux.btf (mode no-btf without the archive), or NULL */
	const char *os_release;	/* -> /etc/os-release text (the archive is keyed by it), or NULL */
	const char *nonce;	/* marks the verdict on the console */
	double selfcheck_timeout_s;
};
#define PK_INITRAMFS_OPTS(name, ...)                                           \
	struct pk_initramfs_opts name = { .sz = sizeof(struct pk_initramfs_opts), __VA_ARGS__ }

/* Write an uncompressed newc cpio with busybox, probekit + libraries and /init.
 * /init reads probekit.mode=btf|no-btf|object from the kernel command line. */
int pk_initramfs__build(const char *out, const struct pk_initramfs_opts *o, char *why,
			size_t why_len);

/* The /init script itself (for docs and tests); static storage. */
const char *pk_initramfs__init_script(void);

/* ---- one boot ---- */

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
	char why[PK_VM_WHY_LEN];
	char tail[PK_VM_TAIL_LEN];	/* last console lines */
};

/* Boot once and wait (at most timeout_s) for the verdict. Returns 0 when QEMU
 * ran (outcome says how it went), -errno when it could not be started. */
int pk_vm__run(const struct pk_vm_opts *o, struct pk_vm_result *r);
void pk_vm_result__free(struct pk_vm_result *r);	/* NULL-safe */

/* What the guest's selftest JSON says. Untrusted input: a JSON reader that
 * validates the whole text first (valid=false when it is not JSON). */
struct pk_vm_guest {
	bool valid;
	bool passed;			/* selfcheck.passed */
	char candidate[64];		/* "" when none won */
	char btf[160];			/* the winner's BTF description */
	double latency_ms;		/* selfcheck.latency_ms, -1 when absent */
	char reason[PK_VM_WHY_LEN];	/* failed attempts "name: reason; ..." or selfcheck.error */
};
void pk_vm__guest_summary(const char *json, struct pk_vm_guest *g);

/* Read a console log: verdict markers, panic, last lines. Untrusted input. */
void pk_vm__parse_console(const char *log, size_t len, const char *nonce,
			  struct pk_vm_result *r);

#endif
