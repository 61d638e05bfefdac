/* Kernel images for probekit verify: what a kernel file is (bzImage or PVH ELF
 * vmlinux), where one comes from (a package, debian:SUITE), how to boot it fast
 * (bzImage payload -> PVH vmlinux) and what the guest needs beside it (os-release,
 * a raw .BTF file). Never prints; reasons go into a caller's struct pk_error. */
#ifndef PK_VERIFY_KIMG_H
#define PK_VERIFY_KIMG_H

#include <limits.h>
#include <stddef.h>

#include "common/pk.h"

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
 * note; -ENOEXEC and err for anything else. k->kind is set even then when the
 * file is an ELF (one without the PVH note). */
int pk_kimg__probe(const char *path, struct pk_kimg *k, struct pk_error *err);

/* Extract the kernel image (boot/vmlinuz-*) from a .deb or .rpm into dir, in
 * process through libarchive (btf/package.h, dlopen'd); out gets the image's
 * path. -ENOEXEC when pkg is not a package (then it may be an image itself). */
int pk_kimg__from_package(const char *pkg, const char *dir, char *out, size_t out_len,
			  struct pk_error *err);

/* Decompress a bzImage's payload (in process) into an ELF vmlinux at out.
 * Booting that through PVH skips the in-guest decompression, which takes half
 * a minute under software emulation. -ENOTSUP when the payload is not an ELF
 * with a PVH entry note. */
int pk_kimg__unpack(const struct pk_kimg *bz, const char *out, struct pk_kimg *elf,
		    struct pk_error *err);

/* Fetch debian:SUITE or debian:SUITE:PACKAGE through scripts/kernel-corpus.sh
 * (script); out gets the cached .deb's path. */
int pk_kimg__fetch(const char *spec, const char *script, char *out, size_t out_len,
		   struct pk_error *err);

/* /etc/os-release text for the guest, so the agent picks the reduced BTF the
 * way it would on that distribution: from "debNN" in the release, the suite
 * name (may be NULL) or a Debian version string. -ENOENT when unknown. */
int pk_kimg__os_release(const struct pk_kimg *k, const char *suite, char *out, size_t out_len);

/* Copy an ELF vmlinux's .BTF section to out (a raw BTF file libbpf reads). */
int pk_kimg__write_btf(const char *vmlinux, const char *out, struct pk_error *err);

#endif
