/* The catalog options that `kernels`, `build` and `farm` share (--distro, --suite,
 * --arch, --mirror, --security-mirror, --keyring, --allow-expired, --apt-root) and
 * their environment defaults: parsed in one place, into a pk_kernels_opts. */
#ifndef PK_CLI_CATALOG_OPTS_H
#define PK_CLI_CATALOG_OPTS_H

#include <getopt.h>

#include "kernels/kernels.h"

#define PK_CLI_CATALOG_MAX 64

/* option codes past any short option letter */
enum {
	PK_CLI_OPT_DISTRO = 0x200,
	PK_CLI_OPT_SUITE,
	PK_CLI_OPT_ARCH,
	PK_CLI_OPT_MIRROR,
	PK_CLI_OPT_SECURITY_MIRROR,
	PK_CLI_OPT_KEYRING,
	PK_CLI_OPT_ALLOW_EXPIRED,
	PK_CLI_OPT_APT_ROOT,
};

/* the long options, to put in a command's table (its short -d, -s, -a map to the
 * codes above through pk_cli_catalog__short) */
#define PK_CLI_CATALOG_LONGOPTS                                                          \
	{ "distro", required_argument, NULL, PK_CLI_OPT_DISTRO },                         \
	{ "suite", required_argument, NULL, PK_CLI_OPT_SUITE },                           \
	{ "arch", required_argument, NULL, PK_CLI_OPT_ARCH },                             \
	{ "mirror", required_argument, NULL, PK_CLI_OPT_MIRROR },                         \
	{ "security-mirror", required_argument, NULL, PK_CLI_OPT_SECURITY_MIRROR },       \
	{ "keyring", required_argument, NULL, PK_CLI_OPT_KEYRING },                       \
	{ "allow-expired", no_argument, NULL, PK_CLI_OPT_ALLOW_EXPIRED },                 \
	{ "apt-root", required_argument, NULL, PK_CLI_OPT_APT_ROOT }

struct pk_cli_catalog {
	const char *distros[PK_CLI_CATALOG_MAX];
	const char *suites[PK_CLI_CATALOG_MAX];
	struct pk_kernels_opts ko;
};

/* defaults from PROBEKIT_MIRROR, PROBEKIT_KEYRING, PROBEKIT_APT_ROOT */
void pk_cli_catalog__init(struct pk_cli_catalog *c);
/* -d, -s, -a as the long options' codes, anything else unchanged */
int pk_cli_catalog__short(int opt);
/* 1 when opt was a catalog option (taken), 0 when not; PK_EXIT_USAGE after
 * reporting a bad one for cmd */
int pk_cli_catalog__opt(struct pk_cli_catalog *c, int opt, const char *arg, const char *cmd);
/* after parsing: an empty --mirror means none */
void pk_cli_catalog__done(struct pk_cli_catalog *c);

#endif
