/* The guest's initramfs for probekit verify: busybox, the agent and its shared
 * libraries, an optional probe object / BTF file / os-release, and an /init that
 * runs the agent's selftest and prints the verdict between nonce markers. */
#ifndef PK_VERIFY_INITRAMFS_H
#define PK_VERIFY_INITRAMFS_H

#include <stdbool.h>
#include <stddef.h>

#include "common/pk.h"

struct pk_initramfs_opts {
	size_t sz;
	const char *probekit;	/* agent binary; its shared libraries come along (ldd) */
	const char *busybox;	/* NULL: $PROBEKIT_BUSYBOX, /bin/busybox, /usr/bin/busybox */
	const char *probe_obj;	/* -> /pk/probe.o (mode object), or NULL */
	const char *btf_file;	/* -> /pk/vmlinux.btf (mode no-btf without the archive), or NULL */
	const char *os_release;	/* -> /etc/os-release text (the archive is keyed by it), or NULL */
	const char *repo_dir;	/* -> /pk/repo/ (modes legacy, repo): a repository directory,
				 * regular files only, links skipped; or NULL */
	const char *repo_key;	/* -> /pk/repo.pub: its minisign public key */
	bool allow_expired;	/* the guest's agent takes an expired index (/pk/allow-expired) */
	const char *nonce;	/* marks the verdict on the console */
	double selfcheck_timeout_s;	/* 0: 30 */
};
#define PK_INITRAMFS_OPTS(name, ...)                                           \
	struct pk_initramfs_opts name = { .sz = sizeof(struct pk_initramfs_opts), __VA_ARGS__ }

/* Write an uncompressed newc cpio with busybox, probekit + libraries and /init.
 * /init reads probekit.mode=btf|no-btf|object|legacy|repo from the kernel command line.
 * -EINVAL for options this library does not know or no probekit binary. */
int pk_initramfs__build(const char *out, const struct pk_initramfs_opts *opts,
			struct pk_error *err);

/* The /init script itself (for docs and tests); static storage. */
const char *pk_initramfs__init_script(void);

#endif
