/* The machine's apt configuration, read to find the mirrors to crawl: probekit
 * never names a mirror itself. Reads /etc/apt/sources.list and sources.list.d/
 * (*.list one-line entries, *.sources deb822 entries) under a root directory. */
#ifndef PK_KERNELS_APT_SOURCES_H
#define PK_KERNELS_APT_SOURCES_H

#include <stdbool.h>
#include <stddef.h>

#include "common/pk.h"

struct pk_apt_source {
	char *uri;		/* without a trailing '/' */
	char *suites;		/* space-separated */
	char *components;	/* space-separated */
	char *signed_by;	/* a keyring path, or NULL (an inline key is recorded as "inline") */
	char *file;		/* where it was read, for messages */
};

struct pk_apt_sources {
	struct pk_apt_source *v;
	size_t n;
};

/*
 * Every enabled "deb" entry (deb-src and Enabled: no are skipped) under root
 * ("/" for this machine). A file that cannot be parsed is an error naming it:
 * -EBADMSG. A missing sources.list or sources.list.d is not an error.
 */
int pk_apt_sources__load(const char *root, struct pk_apt_sources *out, struct pk_error *err);
void pk_apt_sources__release(struct pk_apt_sources *s);

/* One file's text (name for messages), appended to out; deb822 for *.sources.
 * On error out is released. Bounded: no terminator assumed. */
int pk_apt_sources__parse(const char *name, const void *data, size_t len, bool deb822,
			  struct pk_apt_sources *out, struct pk_error *err);

/*
 * Debian's own mirrors among them: entries signed by Debian's archive keyring
 * (Signed-By naming debian-archive-keyring), or without Signed-By whose URI path
 * ends in /debian or /debian-security. The one serving a "-security" suite is the
 * security mirror, the first other one the archive. Strings point into s. -ENOENT
 * when no archive mirror is configured (*security may stay NULL).
 */
int pk_apt_sources__debian(const struct pk_apt_sources *s, const char **archive,
			   const char **security);

#endif
