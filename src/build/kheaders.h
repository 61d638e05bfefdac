/* One kernel's headers packages, unpacked: where the tree is (Debian splits it into
 * the flavour's generated headers and a common source tree), which kernel it is and
 * its .config. What the legacy probe is compiled against (build/compile.h). */
#ifndef PK_BUILD_KHEADERS_H
#define PK_BUILD_KHEADERS_H

#include "common/pk.h"

struct pk_kheaders;

struct pk_kheaders_opts {
	size_t sz;
	unsigned long long max_bytes;	/* file bytes, all packages together (0: 1 GiB) */
	unsigned long max_entries;	/* entries, all packages together (0: 200000) */
	const char *release;		/* pick this tree when dir holds several */
};
#define PK_KHEADERS_OPTS(name, ...) \
	struct pk_kheaders_opts name = { .sz = sizeof(struct pk_kheaders_opts), __VA_ARGS__ }

/* Unpack pkgs (NULL-terminated paths of .deb/.rpm: Debian's linux-headers-X-FLAVOUR,
 * linux-headers-X-common and linux-kbuild-V) into dir (made when missing; it should be
 * empty) with btf/package.h's checked unpacker, then find the tree as
 * pk_kheaders__open does. 0, or a negative errno with err saying which package. */
int pk_kheaders__unpack(const char *const *pkgs, const char *dir, const struct pk_kheaders_opts *opts,
			struct pk_kheaders **kh, struct pk_error *err);

/* Find the tree in dir, an unpacked root: DIR/usr/src/linux-headers-NAME (Debian) or
 * DIR/usr/src/kernels/NAME (rpm kernel-devel), the one holding
 * include/generated/uapi/linux/version.h. Its Makefile's "include .../Makefile"
 * names Debian's common source tree, looked up under dir (never outside it).
 * -ENOENT when there is none, -EEXIST when several and no opts->release picks one,
 * -EBADMSG when its version.h or release cannot be read; err says why. */
int pk_kheaders__open(const char *dir, const struct pk_kheaders_opts *opts, struct pk_kheaders **kh,
		      struct pk_error *err);
void pk_kheaders__free(struct pk_kheaders *kh);

/* the root given, the generated (object) tree, the source tree (the same directory
 * when the package is not split), absolute paths */
const char *pk_kheaders__root(const struct pk_kheaders *kh);
const char *pk_kheaders__objtree(const struct pk_kheaders *kh);
const char *pk_kheaders__srctree(const struct pk_kheaders *kh);
/* uname -r of the kernel: include/generated/utsrelease.h, else
 * include/config/kernel.release, else the directory's name */
const char *pk_kheaders__release(const struct pk_kheaders *kh);
/* LINUX_VERSION_CODE: (major << 16) + (minor << 8) + min(patch, 255) */
unsigned int pk_kheaders__version_code(const struct pk_kheaders *kh);
/* objtree/.config, NULL when the package has none */
const char *pk_kheaders__config(const struct pk_kheaders *kh);
/* the kernel's source architecture from .config: "x86", "arm64"; NULL when unknown */
const char *pk_kheaders__arch(const struct pk_kheaders *kh);

#endif
