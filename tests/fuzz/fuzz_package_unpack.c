/* libFuzzer target for pk_package__unpack, which unpacks untrusted headers packages
 * (.deb, .rpm) for `probekit build`: whatever the input, nothing may appear outside
 * the destination directory, and every link left inside must point inside it.
 * Each input is written to a file in a private sandbox; the destination is
 * sandbox/root, and the sandbox must hold exactly {pkg, root} afterwards. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "btf/package.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static char sandbox[PATH_MAX], root[PATH_MAX];

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	return remove(p);
}

/* a link's target, taken lexically from its own directory, stays under root */
static int check_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	if (flag == FTW_SL) {
		char target[PATH_MAX], joined[2 * PATH_MAX + 2];
		ssize_t n = readlink(p, target, sizeof(target) - 1);
		const char *slash = strrchr(p, '/');
		size_t depth = 0;

		REQUIRE(n > 0);
		target[n] = 0;
		REQUIRE(target[0] != '/');
		snprintf(joined, sizeof(joined), "%.*s/%s", (int)(slash - p), p, target);
		/* depth below root of the link's directory, minus each leading ".." */
		for (const char *q = p + strlen(root); q < slash; q++)
			depth += *q == '/';
		for (const char *t = target; !strncmp(t, "../", 3) || !strcmp(t, ".."); t += 3) {
			REQUIRE(depth > 0);
			depth--;
			if (!t[2])
				break;
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	PK_UNPACK_OPTS(uo, .max_bytes = 4 << 20, .max_entries = 2000);
	struct pk_error e = { 0 };
	char pkg[PATH_MAX + 8];
	DIR *d;
	struct dirent *de;
	int fd, n = 0;

	if (!sandbox[0]) {
		snprintf(sandbox, sizeof(sandbox), "/tmp/pk-fuzz-unpack.%d", (int)getpid());
		snprintf(root, sizeof(root), "%s/root", sandbox);
	}
	nftw(sandbox, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	REQUIRE(!mkdir(sandbox, 0700) && !mkdir(root, 0700));
	snprintf(pkg, sizeof(pkg), "%s/pkg", sandbox);
	fd = open(pkg, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	REQUIRE(fd >= 0 && write(fd, data, size) == (ssize_t)size);
	close(fd);

	pk_package__unpack(pkg, root, &uo, &e);

	/* nothing beside root and the input */
	d = opendir(sandbox);
	REQUIRE(d);
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		REQUIRE(!strcmp(de->d_name, "pkg") || !strcmp(de->d_name, "root"));
		n++;
	}
	closedir(d);
	REQUIRE(n == 2);
	nftw(root, check_entry, 16, FTW_PHYS);
	nftw(sandbox, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}
