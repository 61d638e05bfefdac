/* The distribution back-ends, as one table: for each distribution, how to list its
 * kernel packages (the .deb family through signed InRelease and Packages indexes,
 * the RPM family through repodata) and how falco names each kernel. Each back-end
 * adds to a catalog: kernels, and one result per suite or repository, errors
 * included (a suite that cannot be read is never left out silently). */
#ifndef PK_KERNELS_CRAWL_H
#define PK_KERNELS_CRAWL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"
#include "kernels/catalog.h"

struct pk_http;

enum pk_family {
	PK_FAMILY_DEB,
	PK_FAMILY_RPM,
};

struct pk_distro {
	const char *name;		/* "debian": the --distro name and the catalog's distro */
	enum pk_family family;
	const char *os_id;		/* os-release ID */
	/* deb: the keyring InRelease is checked against (apt's Signed-By) and the
	 * components holding kernels */
	const char *keyring;
	const char *components;
	/* the suites crawled when none are named: deb codenames (each with its
	 * -updates, -security, -backports), rpm releases; NULL: discovered from the
	 * mirror's stable/testing/unstable aliases (Debian) */
	const char *const *suites;
	/* rpm: repositories under the mirror, "%s" is the release and "%a" the
	 * machine: "%s/BaseOS/%a/os" */
	const char *const *repos;
	/* rpm: the mirror serves mirror.list files naming the repository (Amazon) */
	bool mirror_list;
};

/* the table; NULL-terminated by name */
const struct pk_distro *pk_distro__find(const char *name);
const struct pk_distro *pk_distro__at(size_t i);	/* NULL past the end */

struct pk_crawl_opts {
	size_t sz;
	struct pk_http *http;		/* required */
	const char *arch;		/* Debian architecture: amd64 (default), arm64 */
	bool allow_expired;		/* accept a Release past Valid-Until, marked */
	int64_t now;			/* 0: time(NULL); tests pass another */
	const char *cache_dir;		/* per-suite cache of kernel stanzas; NULL: none */
	const char *keyring;		/* instead of the distribution's */
	const char *gpgv;
};
#define PK_CRAWL_OPTS(name, ...) \
	struct pk_crawl_opts name = { .sz = sizeof(struct pk_crawl_opts), __VA_ARGS__ }

/*
 * Crawl one distribution into cat. mirror is its archive URL; security (deb only,
 * may be NULL) serves the -security suites. suites names what to crawl (NULL or
 * empty: the distribution's default, or discovery): a named suite that is missing
 * is an error, a derived one that is missing is "absent". Per-suite failures are
 * recorded in cat and do not fail the call; only -ENOMEM or bad options do.
 */
int pk_crawl__distro(const struct pk_distro *d, const char *mirror, const char *security,
		     const char *const *suites, size_t nr_suites, const struct pk_crawl_opts *opts,
		     struct pk_catalog *cat, struct pk_error *err);

/* the two families' back-ends (deb_repo.c, rpm_repo.c), which pk_crawl__distro picks
 * between; same contract */
int pk_crawl__deb(const struct pk_distro *d, const char *mirror, const char *security,
		  const char *const *suites, size_t nr_suites, const struct pk_crawl_opts *opts,
		  struct pk_catalog *cat, struct pk_error *err);
int pk_crawl__rpm(const struct pk_distro *d, const char *mirror, const char *const *suites,
		  size_t nr_suites, const struct pk_crawl_opts *opts, struct pk_catalog *cat,
		  struct pk_error *err);

/* Debian architecture -> uname -m: amd64 -> x86_64, arm64 -> aarch64 */
const char *pk_arch__machine(const char *deb_arch);

/* falco's names for a Debian or Ubuntu kernel from its image package's version
 * and uname -r; 0, or -EINVAL when uname_r does not look like one */
int pk_deb_kernel__name(const char *distro, const char *uname_r, const char *version,
			char **flavor, char **target, char **kernelrelease, char **kernelversion);

#endif
