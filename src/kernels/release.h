/* Debian Release / InRelease: verify the clearsigned InRelease with gpgv against an
 * archive keyring (as apt's Signed-By), parse the verified body's fields and file
 * list, check Valid-Until and an index file's SHA256/size against that list. */
#ifndef PK_KERNELS_RELEASE_H
#define PK_KERNELS_RELEASE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

#define PK_DEBIAN_KEYRING "/usr/share/keyrings/debian-archive-keyring.gpg"
#define PK_RELEASE_MAX_BYTES (64u << 20)

struct pk_inrelease_opts {
	size_t sz;
	const char *keyring;	/* default PK_DEBIAN_KEYRING */
	const char *gpgv;	/* default "gpgv", looked up in PATH */
};
#define PK_INRELEASE_OPTS(name, ...) \
	struct pk_inrelease_opts name = { .sz = sizeof(struct pk_inrelease_opts), __VA_ARGS__ }

/*
 * Runs gpgv (fork/exec, no shell) on the InRelease file at path and returns, in a
 * malloc'd *body (NUL-terminated, *body_len bytes without it), the text gpgv
 * verified and dash-unescaped: only this may be parsed. Accepted when gpgv reports
 * at least one GOODSIG and VALIDSIG and no BADSIG (a signature by a key not in the
 * keyring is ignored when another one is good, as apt does). The file must be one
 * clearsigned message with nothing but blank lines around it (as apt requires), and
 * gpgv checks a private copy of the bytes read. Errors: -EBADMSG (not one
 * clearsigned message), -EKEYREJECTED (bad or no signature), -ENOKEY (no key of the keyring signed it), -EKEYEXPIRED /
 * -EKEYREVOKED (only expired or revoked keys), -ENOENT (no gpgv, or no file).
 */
int pk_inrelease__verify(const char *path, const struct pk_inrelease_opts *opts,
			 char **body, size_t *body_len, struct pk_error *err);
/* the same on bytes already read (a download); name stands for them in messages */
int pk_inrelease__verify_mem(const void *data, size_t len, const char *name,
			     const struct pk_inrelease_opts *opts, char **body, size_t *body_len,
			     struct pk_error *err);

struct pk_release;

struct pk_release_file {
	char sha256[65];	/* lower-case hex */
	uint64_t size;
	const char *path;	/* e.g. "main/binary-amd64/Packages.xz" */
};

/*
 * Parses a Release body (the first paragraph; for InRelease the text
 * pk_inrelease__verify returned). -EBADMSG with the reason on malformed input
 * (deb822 syntax, a bad date, a bad SHA256 line); a body without Suite or
 * Codename, or without a SHA256 list, is refused too. Copies what it keeps.
 */
int pk_release__parse(const void *data, size_t len, struct pk_release **out,
		      struct pk_error *err);
void pk_release__free(struct pk_release *r);

/* "" when the field is absent */
const char *pk_release__origin(const struct pk_release *r);
const char *pk_release__suite(const struct pk_release *r);
const char *pk_release__codename(const struct pk_release *r);
const char *pk_release__version(const struct pk_release *r);
const char *pk_release__architectures(const struct pk_release *r);	/* space-separated */
const char *pk_release__components(const struct pk_release *r);	/* space-separated */
/* seconds since the epoch (UTC); -1 when absent */
int64_t pk_release__date(const struct pk_release *r);
int64_t pk_release__valid_until(const struct pk_release *r);
size_t pk_release__nfiles(const struct pk_release *r);
const struct pk_release_file *pk_release__file(const struct pk_release *r, size_t i);
/* the SHA256 entry for path, or NULL */
const struct pk_release_file *pk_release__find(const struct pk_release *r, const char *path);

struct pk_release_check_opts {
	size_t sz;
	bool allow_expired;	/* frozen mirrors: accept a Release past Valid-Until */
};
#define PK_RELEASE_CHECK_OPTS(name, ...) \
	struct pk_release_check_opts name = { .sz = sizeof(struct pk_release_check_opts), __VA_ARGS__ }

/*
 * Valid-Until against now (seconds since the epoch, UTC): 0 when valid, or when
 * there is no Valid-Until, or when expired and allow_expired (then *expired, if
 * given, is set: the caller marks it); -EKEYEXPIRED "Release for SUITE expired at
 * DATE" otherwise.
 */
int pk_release__check_valid(const struct pk_release *r, int64_t now,
			    const struct pk_release_check_opts *opts, bool *expired,
			    struct pk_error *err);

/*
 * An index file's bytes against the SHA256 and size Release lists for path
 * (e.g. "main/binary-amd64/Packages"): 0, -ENOENT when Release does not list it,
 * -EBADMSG on a size or digest mismatch (SHA256: common/sha256.h).
 */
int pk_release__check_index(const struct pk_release *r, const char *path,
			    const void *data, size_t len, struct pk_error *err);

/* RFC 2822 date as Release writes it ("Sat, 28 Nov 2026 08:17:32 UTC"); -EINVAL */
int pk_release__parse_date(const char *s, size_t len, int64_t *t);

#endif
