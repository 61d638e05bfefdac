/* libFuzzer target for verification records (src/repo/verification.c), which
 * `repo index` reads from the repository's _verify/ directory: any bytes either
 * apply wholly or are refused with a reason, and every artifact they mark still
 * passes the index's own field checks. Aborts on a broken invariant. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/verification.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void add(struct pk_index *ix, const char *path, const char *kind, char hexdigit)
{
	struct pk_index_artifact a = { 0 };
	struct pk_error e = { 0 };

	a.path = strdup(path);
	a.kind = strdup(kind);
	a.probe_version = strdup("p0123456789abcde");
	a.target = strdup("debian");
	a.kernelrelease = strdup("6.1.101-2-amd64");
	a.kernelversion = strdup("1");
	a.os_id = strdup("debian");
	a.version_id = strdup("12");
	a.arch = strdup("x86_64");
	a.uname_r = strdup("6.1.0-1-amd64");
	a.size = 10;
	memset(a.sha256, hexdigit, 64);
	a.sha256[64] = 0;
	REQUIRE(!pk_index__add_artifact(ix, &a, &e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_index *ix = pk_index__new();
	struct pk_error e = { 0 };
	size_t applied = 0;
	int r;

	REQUIRE(ix);
	add(ix, "p0123456789abcde/x86_64/probekit_debian_6.1.101-2-amd64_1.o", "legacy-object", '0');
	add(ix, "p0123456789abcde/btf/debian/12/x86_64/6.1.0-1-amd64.btf", "reduced-btf", 'a');
	r = pk_verification__apply(ix, data, size, "_verify/p0123456789abcde/debian_6.1.101-2-amd64.json",
				   &applied, &e);
	REQUIRE(r == 0 || r == -EBADMSG || r == -EFBIG || r == -ENOMEM);
	REQUIRE(r || applied <= ix->nr_artifacts);
	REQUIRE(!r || (applied == 0 && e.msg[0]));
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		REQUIRE(!pk_index_artifact__check(&ix->artifacts[i], &e));
	pk_index__free(ix);
	return 0;
}
