/* The one reader of packages and archives (.deb, .rpm, tar, cpio), through libarchive
 * (dlopen'd, btf/libarchive_dl.h): btf extract walks them for a kernel, verify takes one
 * member out, build unpacks a headers tree. Untrusted input: every read is bounded,
 * nothing is written outside the directory given. No shell; never prints. */
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
	unsigned int type;	/* AE_IFREG; AE_IFDIR, AE_IFLNK... in pk_package__unpack only */
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

/*
 * Unpack a whole .deb / .rpm (its data.tar.* / payload) under dir, which must exist:
 * regular files (0644, 0755 when executable), directories and symbolic links; other
 * entry types are skipped. Several packages may go into one dir (a later file
 * replaces an earlier one). Untrusted input, so:
 *  - an entry path that is absolute or has a ".." component is refused;
 *  - nothing is ever written through a symbolic link (every parent directory is
 *    opened O_NOFOLLOW), so a link cannot carry a later entry out of dir;
 *  - a link's target must stay inside dir: relative, its ".." only leading and no
 *    more of them than the link has parent directories; links that do not
 *    (Debian's absolute /lib/modules/X/build) are skipped and counted;
 *  - hard links are refused; the entries and the bytes written are capped.
 * 0, or -EBADMSG for a bad or corrupt entry or package, -EFBIG past a cap, -ENOEXEC
 * for neither a .deb nor an .rpm, -ELIBACC without libarchive, -errno when dir
 * cannot be written; err says which package and entry. A failed unpack leaves what
 * was written: the caller removes dir.
 */
struct pk_unpack_opts {
	size_t sz;
	unsigned long long max_bytes;	/* file bytes in this call (0: 1 GiB) */
	unsigned long max_entries;	/* entries in this call (0: 200000) */
	/* out, may be NULL: what this call did */
	unsigned long *files, *dirs, *links, *skipped;
	unsigned long long *bytes;
};
#define PK_UNPACK_OPTS(name, ...) \
	struct pk_unpack_opts name = { .sz = sizeof(struct pk_unpack_opts), __VA_ARGS__ }

int pk_package__unpack(const char *pkg, const char *dir, const struct pk_unpack_opts *opts,
		       struct pk_error *err);

#endif
