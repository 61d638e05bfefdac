/* One file out of an untrusted .deb or .rpm (verify's kernel image), read through
 * libarchive (dlopen'd, btf/libarchive_dl.h): bounded in size, written atomically.
 * No shell, no dpkg-deb/rpm2cpio/cpio; never prints. */
#ifndef PK_BTF_PACKAGE_H
#define PK_BTF_PACKAGE_H

#include <stddef.h>

#include "common/pk.h"

/* Write the first regular member of pkg whose path (without a leading "./" or "/")
 * matches one of patterns (fnmatch with FNM_PATHNAME; NULL-terminated) to
 * dir/<its base name>; out gets that path. A .deb's data.tar.* is searched inside.
 * max_size caps the member (0: 256 MiB). 0, or -ENOEXEC when pkg is neither a .deb
 * nor an .rpm, -ENOENT when no member matches (err: "package 'p' has no member
 * PATTERN"), -EFBIG past max_size, -EBADMSG for
 * a corrupt package, -ELIBACC without libarchive, -errno when pkg cannot be read
 * or out written; err says which. */
int pk_package__extract(const char *pkg, const char *const *patterns, const char *dir,
			size_t max_size, char *out, size_t out_len, struct pk_error *err);

#endif
