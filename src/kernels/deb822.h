/* Bounded reader of Debian control-file paragraphs (deb822: Packages, Release, the
 * signed body of InRelease). Reads untrusted bytes: no NUL terminator assumed, every
 * length bounded; values point into the caller's buffer, nothing is copied. */
#ifndef PK_KERNELS_DEB822_H
#define PK_KERNELS_DEB822_H

#include <stddef.h>

#include "common/pk.h"

/* limits: a line longer, or a paragraph with more fields, is refused as corrupt.
 * bookworm's Packages has a 75,649-byte Provides line (librust-winapi-dev): 1 MiB
 * leaves room and still bounds a line. */
#define PK_DEB822_MAX_LINE	(1024 * 1024)
#define PK_DEB822_MAX_FIELDS	256

struct pk_deb822;
struct pk_deb822_para;

/* data must outlive the reader and every value read from it; NULL + errno on ENOMEM */
struct pk_deb822 *pk_deb822__new(const void *data, size_t len);
void pk_deb822__free(struct pk_deb822 *d);

/*
 * Reads the next paragraph: 1 and *para set (valid until the next call), 0 at the
 * end of the input, -EBADMSG with "line N: ..." in err on malformed input (CR, NUL,
 * a line without ':', a continuation outside a field, a duplicate field, limits).
 * After an error the reader stays at the end.
 */
int pk_deb822__next_paragraph(struct pk_deb822 *d, const struct pk_deb822_para **para,
			      struct pk_error *err);

/*
 * Field by name, case-insensitive: 0 and *val, *len (the value with leading and
 * trailing blanks removed; a multi-line value keeps its inner "\n " separators
 * exactly as in the input), or -ENOENT.
 */
int pk_deb822_para__get(const struct pk_deb822_para *p, const char *name,
			const char **val, size_t *len);
size_t pk_deb822_para__nfields(const struct pk_deb822_para *p);
/* i-th field in input order; -ENOENT past the end */
int pk_deb822_para__field(const struct pk_deb822_para *p, size_t i, const char **name,
			  size_t *name_len, const char **val, size_t *val_len);
/* 1-based line number of the paragraph's first field */
unsigned long pk_deb822_para__line(const struct pk_deb822_para *p);

#endif
