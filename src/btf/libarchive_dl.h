/* libarchive's entry points, opened with dlopen the first time a package is read
 * (by btf extract and verify's kernel packages); never linked. */
#ifndef PK_LIBARCHIVE_DL_H
#define PK_LIBARCHIVE_DL_H

/* Why not linked: libarchive drags in libxml2, ICU and libstdc++ (about 35 MB on
 * Debian 12); linking it would put all of that into every agent on every node,
 * and into the guest initramfs that verify boots. The library is looked up by
 * its soname (libarchive.so.13) when first needed, or at PROBEKIT_LIBARCHIVE. */

#include <stddef.h>

#include "common/pk.h"
#include <archive.h>
#include <archive_entry.h>

#define PK_LIBARCHIVE_SONAME "libarchive.so.13"

struct pk_libarchive {
	struct archive *(*read_new)(void);
	int (*read_free)(struct archive *);
	int (*read_support_filter_all)(struct archive *);
	int (*read_support_format_all)(struct archive *);
	int (*read_open_memory)(struct archive *, const void *, size_t);
	int (*read_open_fd)(struct archive *, int, size_t);
	int (*read_open)(struct archive *, void *, archive_open_callback *,
			 archive_read_callback *, archive_close_callback *);
	int (*read_next_header)(struct archive *, struct archive_entry **);
	la_ssize_t (*read_data)(struct archive *, void *, size_t);
	const char *(*error_string)(struct archive *);
	void (*set_error)(struct archive *, int, const char *, ...);
	int (*format)(struct archive *);
	const char *(*entry_pathname)(struct archive_entry *);
	la_int64_t (*entry_size)(struct archive_entry *);
	int (*entry_size_is_set)(struct archive_entry *);
	__LA_MODE_T (*entry_filetype)(struct archive_entry *);
	const char *(*entry_symlink)(struct archive_entry *);
	const char *(*entry_hardlink)(struct archive_entry *);
	__LA_MODE_T (*entry_perm)(struct archive_entry *);
};

/* The library's entry points, resolved once per process. Returns NULL when the
 * library or one of its symbols cannot be found, with the reason in err
 * ("reading packages needs libarchive (Debian: libarchive13): cannot load ..."). */
const struct pk_libarchive *pk_libarchive__load(struct pk_error *err);

#endif
