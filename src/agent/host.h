/* What host are we on: kernel release/version, arch, os-release, falco-style
 * target id and falcoctl's kernelrelease/kernelversion for it, where kernel BTF
 * is, privileges. Parsers take untrusted text and reject bad input with -EINVAL,
 * and say why in the caller's struct pk_error. */
#ifndef PK_HOST_H
#define PK_HOST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

struct pk_os_release {
	char id[64];		/* ID=, lowercase, "" if absent */
	char version_id[64];	/* VERSION_ID=, "" if absent */
	char variant_id[64];	/* VARIANT_ID=, "" if absent (bottlerocket: aws-k8s-1.28) */
	char pretty_name[128];
};

/* Parse /etc/os-release text (KEY=value lines, shell quoting, # comments).
 * -EINVAL with "line N: why" in *err (may be NULL) on bad input; all fields
 * are then "" (all or nothing). */
int pk_os_release__parse(const char *buf, size_t len, struct pk_os_release *out,
			 struct pk_error *err);

/* "#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)" -> "1" (falco's kernel
 * version). -EINVAL when it does not start with '#' and digits. */
int pk_kernel_version__parse(const char *uname_v, char *out, size_t size);

/* falco-driver-loader / falcoctl target id: "debian", "ubuntu-generic",
 * "ubuntu-aws", "amazonlinux2", "centos", ... -EINVAL on empty os id. */
int pk_target_id__format(const char *os_id, const char *version_id, const char *kernel_release,
			 char *out, size_t size);

/* The names falcoctl (pkg/driver/distro/) gives a kernel, under which the
 * farm publishes its legacy object: <target>_<kernelrelease>_<kernelversion>. */
struct pk_falco_names {
	char kernelrelease[128];
	char kernelversion[160];	/* bottlerocket: 1_<VERSION_ID>-<variant> */
};

/* falcoctl's per-distribution rules, keyed by the target id (ANCHORS.md):
 *   generic:      kernelrelease = uname -r, kernelversion = the N of "#N" in uname -v
 *   ubuntu-*:     kernelversion = uname -v without '#', up to the first space,
 *                 minus a trailing "-Ubuntu" ("#111~20.04.1-Ubuntu SMP" -> 111~20.04.1)
 *   debian:       when uname -v holds d.d.d-d (the package version, "Debian
 *                 6.1.153-1"), kernelrelease = that + "-[rt-|cloud-]amd64|arm64" as
 *                 found in uname -r, kernelversion "1"; otherwise generic
 *   flatcar:      kernelrelease = os VERSION_ID
 *   bottlerocket: kernelversion = 1_<VERSION_ID>-<VARIANT_ID up to its first '-'>
 *   minikube:     kernelversion = 1_<the x.y.z in etc_version (/etc/VERSION text)>
 *   talos:        kernelversion = 1_<VERSION_ID>
 * target_id NULL or "" (undetermined) takes the generic rule. os and etc_version
 * may be NULL when the rule does not need them. -EINVAL with the reason in *err
 * (may be NULL) when a name cannot be made (the legacy object then cannot be
 * named); *out is then all "". -ENAMETOOLONG when a name does not fit. */
int pk_falco_names__compute(const char *target_id, const struct pk_os_release *os,
			    const char *uname_r, const char *uname_v, const char *etc_version,
			    struct pk_falco_names *out, struct pk_error *err);

/* The CapEff: mask from /proc/<pid>/status text; -ENOENT when absent,
 * -EINVAL when malformed. */
int pk_proc_status__parse_cap_eff(const char *buf, size_t len, uint64_t *cap_eff);

/* The mode in brackets in /sys/kernel/security/lockdown text ("none [integrity]
 * confidentiality\n" -> "integrity"). -EINVAL unless exactly one bracketed word of
 * letters is there. Under "confidentiality" the kernel refuses BPF programs that
 * read kernel memory (bpf_probe_read*): no tracing probe can load. */
int pk_lockdown__parse(const char *buf, size_t len, char *out, size_t size);

enum pk_kernel_btf {
	PK_KERNEL_BTF_NONE = 0,
	PK_KERNEL_BTF_SYSFS,		/* /sys/kernel/btf/vmlinux: the running kernel's own */
	PK_KERNEL_BTF_FILE,		/* one of libbpf's other standard paths */
};

struct pk_host {
	char kernel_release[65];	/* uname -r */
	char uname_version[65];		/* uname -v */
	char kernel_version[32];	/* the N of "#N" in uname -v */
	char arch[32];			/* uname -m */
	struct pk_os_release os;
	struct pk_error os_error;	/* why os-release was not used: unreadable or
					 * malformed (code 0 when fine or absent) */
	char target_id[64];		/* "" when undetermined (falcoctl: no download) */
	struct pk_falco_names falco;	/* "" when not computable, see falco_error */
	struct pk_error falco_error;	/* why falco is empty (code 0 when filled) */
	enum pk_kernel_btf btf_source;
	char btf_path[256];		/* "" when btf_source == PK_KERNEL_BTF_NONE */
	bool is_root;
	bool cap_bpf, cap_perfmon, cap_sys_admin;	/* effective set */
	char lockdown[24];		/* none, integrity, confidentiality; "" unknown
					 * (securityfs not mounted, no lockdown LSM) */
};

struct pk_host_opts {
	size_t sz;
	const char *root;	/* prefix for every file path: /etc, /usr, /sys, /boot, /lib, /proc (tests); NULL = "/" */
	/* Describing another host (falcoctl's HOST_ROOT: an agent in a container
	 * sees the host's files under /host). os_root prefixes the files that
	 * name the OS: etc/os-release (else usr/lib/os-release), etc/VERSION,
	 * etc/centos-release, etc/redhat-release, etc/debian_version; NULL = root.
	 * uname_r/uname_v/machine replace uname(2)'s release, version and machine
	 * (NULL = this kernel's); longer than 64 bytes is -EINVAL. BTF, privileges
	 * and lockdown are still read under root. */
	const char *os_root;
	const char *uname_r;
	const char *uname_v;
	const char *machine;
};
#define PK_HOST_OPTS(name, ...)                                                \
	struct pk_host_opts name = { .sz = sizeof(struct pk_host_opts), __VA_ARGS__ }

/* Fills *h. Missing os-release is not an error (fields stay ""); uname failing is. */
int pk_host__detect(struct pk_host *h, const struct pk_host_opts *opts);
const char *pk_kernel_btf__str(enum pk_kernel_btf s);
/* uname -m -> the arch name the reduced-BTF archive (btfhub) uses: aarch64 -> arm64 */
const char *pk_host__btf_arch(const char *uname_machine);

#endif
