/* The table of distribution back-ends and the one entry point that crawls any of
 * them. Mirrors are never written here: Debian's come from the machine's apt
 * configuration, the others from --mirror (docs/kernels.md). */
#include <errno.h>
#include <string.h>

#include "kernels/crawl.h"
#include "kernels/release.h"


/* Ubuntu releases still served by its archive: the LTS ones and the current one */
static const char *const ubuntu_suites[] = { "focal", "jammy", "noble", NULL };

/* The RPM family: releases crawled by default, and where each one's kernel
 * packages live under the mirror given with --mirror (the EL rebuilds put
 * kernel-devel in AppStream, kernel and kernel-core in BaseOS) */
static const char *const el_repos[] = { "%s/BaseOS/%a/os", "%s/AppStream/%a/os", NULL };
static const char *const centos_suites[] = { "9-stream", "10-stream", NULL };
static const char *const el_suites[] = { "8", "9", "10", NULL };
static const char *const fedora_suites[] = { "41", "42", "43", NULL };
static const char *const fedora_repos[] = { "linux/releases/%s/Everything/%a/os",
					    "linux/updates/%s/Everything/%a", NULL };
static const char *const al2_suites[] = { "2", NULL };
static const char *const al2_repos[] = { "%s/core/latest/%a/mirror.list",
					 "%s/extras/kernel-5.10/latest/%a/mirror.list", NULL };
static const char *const al2023_suites[] = { "2023", NULL };
static const char *const al2023_repos[] = { "al2023/core/mirrors/latest/%a/mirror.list", NULL };

static const struct pk_distro distros[] = {
	{ .name = "debian", .family = PK_FAMILY_DEB, .os_id = "debian",
	  .keyring = PK_DEBIAN_KEYRING, .components = "main" },
	/* Ubuntu's kernels live in main (signed images, headers) */
	{ .name = "ubuntu", .family = PK_FAMILY_DEB, .os_id = "ubuntu",
	  .keyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg", .components = "main",
	  .suites = ubuntu_suites },
	{ .name = "centos", .family = PK_FAMILY_RPM, .os_id = "centos", .suites = centos_suites,
	  .repos = el_repos },
	{ .name = "rocky", .family = PK_FAMILY_RPM, .os_id = "rocky", .suites = el_suites,
	  .repos = el_repos },
	{ .name = "almalinux", .family = PK_FAMILY_RPM, .os_id = "almalinux", .suites = el_suites,
	  .repos = el_repos },
	{ .name = "fedora", .family = PK_FAMILY_RPM, .os_id = "fedora", .suites = fedora_suites,
	  .repos = fedora_repos },
	{ .name = "amazonlinux2", .family = PK_FAMILY_RPM, .os_id = "amzn", .suites = al2_suites,
	  .repos = al2_repos, .mirror_list = true },
	{ .name = "amazonlinux2023", .family = PK_FAMILY_RPM, .os_id = "amzn", .suites = al2023_suites,
	  .repos = al2023_repos, .mirror_list = true },
};

const struct pk_distro *pk_distro__at(size_t i)
{
	return i < PK_ARRAY_SIZE(distros) ? &distros[i] : NULL;
}

const struct pk_distro *pk_distro__find(const char *name)
{
	for (size_t i = 0; i < PK_ARRAY_SIZE(distros); i++)
		if (!strcmp(distros[i].name, name))
			return &distros[i];
	return NULL;
}

int pk_crawl__distro(const struct pk_distro *d, const char *mirror, const char *security,
		     const char *const *suites, size_t nr_suites, const struct pk_crawl_opts *opts,
		     struct pk_catalog *cat, struct pk_error *err)
{
	if (!d || !mirror || !cat || !PK_OPTS_VALID(opts, struct pk_crawl_opts) ||
	    !PK_OPTS_GET(opts, http, NULL))
		return -EINVAL;
	if (d->family == PK_FAMILY_DEB)
		return pk_crawl__deb(d, mirror, security, suites, nr_suites, opts, cat, err);
	return pk_crawl__rpm(d, mirror, suites, nr_suites, opts, cat, err);
}
