/* The table of distribution back-ends and the one entry point that crawls any of
 * them. Mirrors are never written here: Debian's come from the machine's apt
 * configuration, the others from --mirror (docs/kernels.md). */
#include <errno.h>
#include <string.h>

#include "kernels/crawl.h"
#include "kernels/release.h"

int pk_crawl__deb(const struct pk_distro *d, const char *mirror, const char *security,
		  const char *const *suites, size_t nr_suites, const struct pk_crawl_opts *opts,
		  struct pk_catalog *cat, struct pk_error *err);

/* Ubuntu releases still served by its archive: the LTS ones and the current one */
static const char *const ubuntu_suites[] = { "focal", "jammy", "noble", NULL };

static const struct pk_distro distros[] = {
	{ .name = "debian", .family = PK_FAMILY_DEB, .os_id = "debian",
	  .keyring = PK_DEBIAN_KEYRING, .components = "main" },
	/* Ubuntu's kernels live in main (signed images, headers) */
	{ .name = "ubuntu", .family = PK_FAMILY_DEB, .os_id = "ubuntu",
	  .keyring = "/usr/share/keyrings/ubuntu-archive-keyring.gpg", .components = "main",
	  .suites = ubuntu_suites },
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
	return -EOPNOTSUPP;
}
