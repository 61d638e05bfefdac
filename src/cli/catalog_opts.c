/* The catalog options `kernels`, `build` and `farm` share (catalog_opts.h). */
#include <stdlib.h>

#include "catalog_opts.h"
#include "cli.h"

void pk_cli_catalog__init(struct pk_cli_catalog *c)
{
	PK_KERNELS_OPTS(ko, .mirror = getenv("PROBEKIT_MIRROR"), .keyring = getenv("PROBEKIT_KEYRING"),
			.apt_root = getenv("PROBEKIT_APT_ROOT"));

	c->ko = ko;
	c->ko.distros = c->distros;
	c->ko.suites = c->suites;
}

int pk_cli_catalog__short(int opt)
{
	switch (opt) {
	case 'd': return PK_CLI_OPT_DISTRO;
	case 's': return PK_CLI_OPT_SUITE;
	case 'a': return PK_CLI_OPT_ARCH;
	default: return opt;
	}
}

int pk_cli_catalog__opt(struct pk_cli_catalog *c, int opt, const char *arg, const char *cmd)
{
	switch (opt) {
	case PK_CLI_OPT_DISTRO:
	case PK_CLI_OPT_SUITE: {
		bool d = opt == PK_CLI_OPT_DISTRO;

		if ((d ? c->ko.nr_distros : c->ko.nr_suites) == PK_CLI_CATALOG_MAX)
			return pk_usage_err(cmd, "at most %d --%s", PK_CLI_CATALOG_MAX, d ? "distro" : "suite");
		if (d)
			c->distros[c->ko.nr_distros++] = arg;
		else
			c->suites[c->ko.nr_suites++] = arg;
		return 1;
	}
	case PK_CLI_OPT_ARCH: c->ko.arch = arg; return 1;
	case PK_CLI_OPT_MIRROR: c->ko.mirror = arg; return 1;
	case PK_CLI_OPT_SECURITY_MIRROR: c->ko.security_mirror = arg; return 1;
	case PK_CLI_OPT_KEYRING: c->ko.keyring = arg; return 1;
	case PK_CLI_OPT_ALLOW_EXPIRED: c->ko.allow_expired = true; return 1;
	case PK_CLI_OPT_APT_ROOT: c->ko.apt_root = arg; return 1;
	default: return 0;
	}
}

void pk_cli_catalog__done(struct pk_cli_catalog *c)
{
	if (c->ko.mirror && !*c->ko.mirror)
		c->ko.mirror = NULL;
	if (c->ko.apt_root && !*c->ko.apt_root)
		c->ko.apt_root = NULL;
}
