/* The one reader of packages and archives (.deb, .rpm, tar, cpio), through libarchive
 * (dlopen'd, btf/libarchive_dl.h): btf extract walks them for a kernel, verify takes one
 * member out. Untrusted input: every read is bounded. No shell; never prints. */
#ifndef PK_BTF_PACKAGE_H
#define PK_BTF_PACKAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "common/pk.h"

struct pk_package;

/* Open an archive held in memory (data must outlive the package). 0; -ELIBACC
 * without libarchive (err: why it could not be loaded); -EBADMSG when libarchive cannot read it (err: libarchive's words);
 * -ENOMEM. Callers put their own name for the package in front of err. */
int pk_package__open_mem(const void *data, size_t len, struct pk_package **pkg, struct pk_error *err);
void pk_package__free(struct pk_package *pkg);

struct pk_package_entry {
	const char *path;	/* as stored in the archive */
	unsigned int depth;	/* 0: in the package; 1: in a .deb's data.tar.* */
	bool ar_member;		/* a .deb's own member (debian-binary, control.tar.*) */
};

/* What the first bytes of data say it is: "deb" (an ar archive), "rpm", "tar" (ustar)
 * or "cpio" (newc, crc or odc); NULL for none of them. */
const char *pk_package__format(const void *data, size_t len);

/* 0 to go on to the next entry; anything else ends the walk, which returns it */
typedef int (*pk_package_entry_fn)(struct pk_package *pkg, const struct pk_package_entry *e, void *ctx);

/* Call fn on each regular file, in archive order. In a .deb (an ar archive) the
 * walk descends into the first data.tar.* and ends with it. Returns fn's non-zero
 * value; 0 when the entries ran out; -ENOEXEC when a .deb's data.tar.* cannot be
 * opened, -EBADMSG for a corrupt archive (err: libarchive's words; for both,
 * pk_package__archive() says which archive); -ENOMEM. Walks once. */
int pk_package__walk(struct pk_package *pkg, pk_package_entry_fn fn, void *ctx, struct pk_error *err);

/* the .deb data.tar.* member the walk went into, NULL while in the package itself */
const char *pk_package__archive(const struct pk_package *pkg);

/* From fn only: the current entry, read whole into *buf (malloc'd: free() it; never
 * more than max bytes; a NUL follows them, not counted in *len). An entry of known
 * size takes exactly that much memory. -EFBIG past max (err: "PATH is larger than
 * the size cap ...") or past the size its header gives; -EBADMSG when it cannot be read (err: libarchive's words); -ENOMEM. */
int pk_package__read(struct pk_package *pkg, size_t max, void **buf, size_t *len, struct pk_error *err);

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
