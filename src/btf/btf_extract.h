/* Kernel BTF out of whatever a distribution ships: raw BTF, a vmlinux ELF, a
 * compressed kernel image (bzImage, EFI zboot, bare compressed file), a .deb/.rpm/
 * tar package holding one, or DWARF-only vmlinux (through pahole). Inputs are
 * untrusted; every failure is a negative errno plus a sentence in a caller's
 * struct pk_error (the innermost reason: what a person can act on). */
#ifndef PK_BTF_EXTRACT_H
#define PK_BTF_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "btf/decompress.h"
#include "common/pk.h"

enum pk_btf_input {
	PK_BTF_INPUT_UNKNOWN,
	PK_BTF_INPUT_RAW,		/* a raw BTF blob */
	PK_BTF_INPUT_ELF,		/* an ELF (vmlinux) with a .BTF section */
	PK_BTF_INPUT_DWARF,	/* an ELF with DWARF only: BTF encoded by pahole */
	PK_BTF_INPUT_IMAGE,	/* a kernel image whose payload was decompressed */
	PK_BTF_INPUT_PACKAGE,	/* a .deb, .rpm or tar holding one of the above */
};

struct pk_btf_extract_opts {
	size_t sz;
	bool no_pahole;		/* fail on DWARF-only input instead of running pahole */
	const char *pahole;	/* pahole binary (default "pahole", or $PROBEKIT_PAHOLE) */
	size_t max_size;	/* cap on any decompressed stage (default 1 GiB) */
};
#define PK_BTF_EXTRACT_OPTS(name, ...) \
	struct pk_btf_extract_opts name = { .sz = sizeof(struct pk_btf_extract_opts), __VA_ARGS__ }

struct pk_btf_extract_info {
	enum pk_btf_input kind;		/* the outermost thing recognised */
	bool packaged;			/* came out of a package */
	char package_format[16];	/* "deb", "rpm", "tar", ... */
	char member[256];		/* the file inside the package */
	bool image;			/* went through a compressed kernel image */
	char image_format[16];		/* "bzImage", "zboot", "compressed", "Image" */
	enum pk_comp comp;		/* payload compression (PK_COMP_NONE if none) */
	size_t image_size;		/* compressed image bytes */
	size_t vmlinux_size;		/* decompressed vmlinux bytes, 0 if none */
	bool pahole;			/* BTF encoded from DWARF */
	char release[128];		/* kernel release, "" when unknown */
	char release_from[16];		/* "banner", "file name", "" */
	size_t btf_size;
	unsigned int btf_types;		/* btf__type_cnt() - 1 */
};

const char *pk_btf_input__str(enum pk_btf_input kind);

/* Extract from memory. name (may be NULL) is the file name, used only to guess a
 * release when the image has no banner. *btf is malloc'd: free() it. info (may be
 * NULL) says what was recognised, also on failure; err (may be NULL) says why it
 * failed. -EINVAL for bad opts. */
int pk_btf_extract__mem(const void *data, size_t len, const char *name, void **btf,
		       size_t *btf_len, const struct pk_btf_extract_opts *opts,
		       struct pk_btf_extract_info *info, struct pk_error *err);

/* The same on a file; err starts "cannot open 'path'" / "cannot read 'path'" when
 * the file itself could not be read. */
int pk_btf_extract__file(const char *path, void **btf, size_t *btf_len,
			const struct pk_btf_extract_opts *opts, struct pk_btf_extract_info *info,
			struct pk_error *err);

/* the release in a "Linux version X (...)" banner inside data, into rel; 0 or -ENOENT */
int pk_btf_extract__find_banner(const void *data, size_t len, char *rel, size_t rel_len);

#endif
