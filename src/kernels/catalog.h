/* The kernel catalog: every kernel package of every crawled distribution and suite,
 * with the names falco would use for it (target, kernelrelease, kernelversion), its
 * image and headers packages (URL, size, SHA256) and where its configuration comes
 * from; and, per suite, whether it could be read and why not. Written by the
 * distribution back-ends (distro.h), read by `probekit kernels` and `build`. */
#ifndef PK_KERNELS_CATALOG_H
#define PK_KERNELS_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/json.h"
#include "common/pk.h"

/* one downloadable package */
struct pk_pkg {
	char *name;		/* linux-headers-6.1.0-40-amd64, kernel-devel */
	char *version;		/* 6.1.153-1, 5.14.0-427.el9 (epoch:ver-rel for RPM) */
	char *arch;		/* the package's own: amd64, all, x86_64, noarch */
	char *url;		/* absolute */
	uint64_t size;
	char sha256[65];	/* lower-case hex; "" when the index gives none */
	char *suite;		/* where it was found (another suite than the kernel's, for kbuild) */
};

struct pk_kernel {
	char *distro;		/* back-end: debian, ubuntu, centos, rocky, almalinux, fedora, amazonlinux2, amazonlinux2023 */
	char *suite;		/* bookworm-security; for RPM the repository (9/BaseOS) */
	char *os_id;		/* os-release ID: debian, ubuntu, centos, rocky, almalinux, fedora, amzn */
	char *version_id;	/* os-release VERSION_ID: 12, 22.04, 9, 2023 */
	char *machine;		/* uname -m: x86_64, aarch64 */
	char *uname_r;		/* 6.1.0-40-amd64 */
	char *flavor;		/* amd64, cloud-amd64, rt-amd64, generic, aws, "" */
	/* falco's names (falcoctl, kernel-crawler) */
	char *target;		/* debian, ubuntu-generic, centos, amazonlinux2 */
	char *kernelrelease;	/* 6.1.153-1-amd64 */
	char *kernelversion;	/* "1", "101" */
	struct pk_pkg image;
	struct pk_pkg *headers;	/* the flavor's headers first, then what it depends on */
	size_t nr_headers;
	char *headers_missing;	/* why the headers are incomplete or absent, NULL when whole */
	char *config_pkg;	/* the package holding the kernel configuration ... */
	char *config_path;	/* ... and its path there: boot/config-<uname -r> */
};

enum pk_suite_state {
	PK_SUITE_OK,
	PK_SUITE_EXPIRED_ACCEPTED,	/* past Valid-Until, read because --allow-expired */
	PK_SUITE_ABSENT,		/* derived suite the mirror does not serve (404): not an error */
	PK_SUITE_ERROR,
};

struct pk_suite {
	char *distro;
	char *suite;
	char *url;		/* the index the result stands for (InRelease, repomd.xml) */
	enum pk_suite_state state;
	int error;		/* negative errno for PK_SUITE_ERROR */
	char *reason;		/* the whole sentence, for PK_SUITE_ERROR and _EXPIRED_ACCEPTED */
	size_t nr_kernels;
	bool unchanged;		/* nothing new since the last crawl: its index answered 304 */
	int64_t valid_until;	/* -1: none */
};

struct pk_catalog;

struct pk_catalog *pk_catalog__new(void);
void pk_catalog__free(struct pk_catalog *c);

/* Takes ownership of what k points to (k itself is copied). A kernel whose
 * target:kernelrelease is already there is dropped (the first suite wins: the
 * back-ends add a codename's suites in order) and 0 returned. -EBADMSG (and k
 * dropped) when a name that becomes a path component (target, kernelrelease,
 * kernelversion, uname -r, machine) is empty, "." or "..", or holds '/', a space
 * or a non-printable byte: the back-ends skip such a kernel. -ENOMEM. */
int pk_catalog__add_kernel(struct pk_catalog *c, struct pk_kernel *k);
/* returns the entry to fill (zeroed; strings owned by the catalog), or NULL */
struct pk_suite *pk_catalog__add_suite(struct pk_catalog *c, const char *distro,
				       const char *suite, const char *url);
void pk_kernel__release(struct pk_kernel *k);
void pk_pkg__release(struct pk_pkg *p);

size_t pk_catalog__nr_kernels(const struct pk_catalog *c);
const struct pk_kernel *pk_catalog__kernel(const struct pk_catalog *c, size_t i);
size_t pk_catalog__nr_suites(const struct pk_catalog *c);
const struct pk_suite *pk_catalog__suite(const struct pk_catalog *c, size_t i);
/* suites in PK_SUITE_ERROR */
size_t pk_catalog__nr_errors(const struct pk_catalog *c);
/* "<target>:<kernelrelease>" lookup, NULL when absent */
const struct pk_kernel *pk_catalog__find(const struct pk_catalog *c, const char *key);

/* sorts kernels by distro, suite order of arrival, then kernelrelease (natural
 * version order), so that output is stable from crawl to crawl */
void pk_catalog__sort(struct pk_catalog *c);

/* The whole catalog as probekit's JSON ("schema": "probekit-kernels/1") */
void pk_catalog__write_json(const struct pk_catalog *c, struct pk_json *j);
/* kernel-crawler's list.json: {"Debian": [{kernelrelease, kernelversion, target,
 * headers: [URL...]}], ...}; kernels without headers are left out, as
 * kernel-crawler leaves them out (driverkit cannot build them) */
void pk_catalog__write_kernel_crawler(const struct pk_catalog *c, struct pk_json *j);
/* kernel-crawler's name for a distro back-end: "Debian", "AmazonLinux2" */
const char *pk_distro__crawler_name(const char *distro);

#endif
