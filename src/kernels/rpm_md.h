/* The RPM family's repository metadata: repodata/repomd.xml (which file holds what,
 * with its checksum), a streaming reader of primary.xml (one callback per package
 * the caller wants, no tree, no copy of the rest), and Amazon Linux's mirror.list.
 * Input is untrusted: bounded, strict, no DTD, never printed. */
#ifndef PK_KERNELS_RPM_MD_H
#define PK_KERNELS_RPM_MD_H

/* XML is read with Expat, loaded with dlopen (kernels/expat_dl.h). Errors are
 * -EBADMSG with "line N: why" in err, -ELIBACC when Expat cannot be loaded.
 * Decompressing primary.xml.{gz,xz,zst,bz2} is the caller's (btf/decompress.h). */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

/* longest text or attribute value kept (a location href, a name, a checksum) */
#define PK_RPM_MD_MAX_VALUE 4096

/* A checksum as createrepo_c writes it: type "sha256" (what verification
 * accepts), "sha1" (also written "sha" by old yum), "sha224", "sha384",
 * "sha512" or "md5"; value in lower-case hex of that type's length. */
struct pk_rpm_checksum {
	char type[8];		/* "" when absent */
	char value[129];
};

/* ---- repomd.xml ---- */

struct pk_repomd;

struct pk_repomd_data {
	const char *type;		/* "primary", "filelists", "primary_db", ... */
	const char *location;		/* <location href=>, relative to the repo */
	struct pk_rpm_checksum checksum;	/* of the file at location */
	struct pk_rpm_checksum open_checksum;	/* of its decompressed content; type "" when absent */
	int64_t size;			/* -1 when absent */
	int64_t open_size;		/* -1 when absent */
	int64_t timestamp;		/* -1 when absent */
};

/* Parses repomd.xml (root <repomd> in xmlns "http://linux.duke.edu/metadata/repo").
 * Every <data> needs a type, a location href and a checksum; a type may appear
 * once. Copies what it keeps. */
int pk_repomd__parse(const void *data, size_t len, struct pk_repomd **out, struct pk_error *err);
void pk_repomd__free(struct pk_repomd *r);
/* <revision>, "" when absent */
const char *pk_repomd__revision(const struct pk_repomd *r);
size_t pk_repomd__ndata(const struct pk_repomd *r);
const struct pk_repomd_data *pk_repomd__data(const struct pk_repomd *r, size_t i);
/* the entry of that type ("primary"), or NULL */
const struct pk_repomd_data *pk_repomd__find(const struct pk_repomd *r, const char *type);

/* ---- primary.xml ---- */

/* One <package type="rpm">, valid during the emit callback only. */
struct pk_rpm_package {
	const char *name;		/* "kernel-devel" */
	const char *arch;		/* "x86_64", "noarch", "src" */
	uint32_t epoch;			/* 0 when absent */
	const char *version;		/* "5.14.0" */
	const char *release;		/* "427.el9" */
	const char *location;		/* <location href=>: "Packages/k/kernel-...rpm" */
	const char *location_base;	/* its xml:base, "" when absent */
	struct pk_rpm_checksum checksum;	/* of the package file */
	bool pkgid;			/* checksum pkgid="YES" */
	uint64_t size_package;		/* <size package=> */
	const char *sourcerpm;		/* <rpm:sourcerpm>, "" when absent */
	unsigned long line;		/* where its <package> started */
};

/* whether to keep the package called name (NUL-terminated); false skips it cheaply */
typedef bool (*pk_rpm_filter_fn)(const char *name, void *ctx);
/* a kept package; a negative return stops the parse and is returned as is */
typedef int (*pk_rpm_emit_fn)(const struct pk_rpm_package *pkg, void *ctx);

struct pk_rpm_primary_opts {
	size_t sz;
	pk_rpm_filter_fn filter;	/* NULL keeps every package */
	void *filter_ctx;
	pk_rpm_emit_fn emit;		/* required */
	void *emit_ctx;
};
#define PK_RPM_PRIMARY_OPTS(name, ...) \
	struct pk_rpm_primary_opts name = { .sz = sizeof(struct pk_rpm_primary_opts), __VA_ARGS__ }

struct pk_rpm_primary;

/* Streaming: feed the decompressed primary.xml in chunks of any size, then once
 * with last = true (len may be 0). After an error the parser only returns it, and
 * what was emitted before belongs to a document that failed: keep nothing until
 * the last feed returns 0 (a truncated file fails only there). A
 * root other than <metadata> in xmlns "http://linux.duke.edu/metadata/common" is
 * refused, and so is a packages= count that does not match the document. */
struct pk_rpm_primary *pk_rpm_primary__new(const struct pk_rpm_primary_opts *opts,
					   struct pk_error *err);
int pk_rpm_primary__feed(struct pk_rpm_primary *p, const void *data, size_t len, bool last,
			 struct pk_error *err);
/* <package> elements seen so far, kept or not */
uint64_t pk_rpm_primary__npackages(const struct pk_rpm_primary *p);
void pk_rpm_primary__free(struct pk_rpm_primary *p);

/* The whole document at once: new, feed in slices, free. *npackages (may be NULL)
 * gets the number of packages seen. */
int pk_rpm_primary__parse(const void *data, size_t len, const struct pk_rpm_primary_opts *opts,
			  uint64_t *npackages, struct pk_error *err);

/* ---- Amazon Linux mirror.list ---- */

/* The first line that is neither empty nor a # comment, which must be an http://
 * or https:// URL (printable ASCII, no spaces, a host, at most
 * PK_RPM_MD_MAX_VALUE bytes); *url is malloc'd. -EBADMSG otherwise, or when
 * there is no such line. */
int pk_mirrorlist__first(const void *data, size_t len, char **url, struct pk_error *err);

#endif
