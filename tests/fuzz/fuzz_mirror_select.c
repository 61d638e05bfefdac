/* libFuzzer target for `repo mirror`'s two readers of outside input: the --kernels
 * list and the catalog (`probekit kernels --json`). The same bytes go to both;
 * invariants beyond memory errors: a refused input adds nothing and says why, and
 * every accepted selector is described and runs through the selection of a small
 * index (globs from the input reach fnmatch) with its counts consistent. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repo/index.h"
#include "repo/mirror.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

#define PV "p0123456789abcde"

static struct pk_index *ix;

static void add(const char *path, const char *kind, const char *pv, const char *target,
		const char *krel, const char *os, const char *arch, const char *uname)
{
	struct pk_index_artifact a = { 0 };
	struct pk_error e = { 0 };

	a.path = strdup(path);
	a.size = 1;
	memset(a.sha256, 'b', 64);
	a.kind = strdup(kind);
	a.probe_version = pv ? strdup(pv) : NULL;
	a.target = target ? strdup(target) : NULL;
	a.kernelrelease = krel ? strdup(krel) : NULL;
	a.kernelversion = target ? strdup("1") : NULL;
	a.os_id = os ? strdup(os) : NULL;
	a.version_id = os ? strdup("12") : NULL;
	a.arch = strdup(arch);
	a.uname_r = uname ? strdup(uname) : NULL;
	REQUIRE(!pk_index__add_artifact(ix, &a, &e));
}

static void setup(void)
{
	if (ix)
		return;
	ix = pk_index__new();
	REQUIRE(ix);
	add(PV "/x86_64/probe.core.bpf.o", "core-object", PV, NULL, NULL, NULL, "x86_64", NULL);
	add(PV "/x86_64/probekit_debian_6.1.150-1-amd64_1.o", "legacy-object", PV, "debian",
	    "6.1.150-1-amd64", "debian", "x86_64", "6.1.0-40-amd64");
	add(PV "/btf/debian/12/x86_64/6.1.0-40-amd64.btf", "reduced-btf", PV, "debian",
	    "6.1.150-1-amd64", "debian", "x86_64", "6.1.0-40-amd64");
	add("btf/debian/12/x86_64/6.1.0-40-amd64.btf.tar.xz", "full-btf", NULL, "debian",
	    "6.1.150-1-amd64", "debian", "x86_64", "6.1.0-40-amd64");
	add(PV "/aarch64/probekit_debian_6.1.999-1-arm64_1.o", "legacy-object", PV, "debian",
	    "6.1.999-1-arm64", NULL, "aarch64", NULL);
	add(PV "/btf/debian/12/arm64/6.1.0-99-arm64.btf", "reduced-btf", PV, "debian",
	    "6.1.999-1-arm64", "debian", "aarch64", "6.1.0-99-arm64");
}

static void check(struct pk_mirror_sel *s, int rc, const struct pk_error *e)
{
	size_t n = pk_mirror_sel__count(s);

	if (rc) {
		REQUIRE(rc == -EBADMSG || rc == -EFBIG || rc == -ENOMEM);
		REQUIRE(e->code == rc && e->msg[0] && memchr(e->msg, 0, sizeof(e->msg)));
		REQUIRE(n == 0);	/* nothing of a refused input kept */
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const char *d = pk_mirror_sel__describe(s, i);

		REQUIRE(d && *d);
	}
	{
		bool sel[8], un[64], *unp = n <= 64 ? un : NULL;
		struct pk_repo_mirror_result res = { 0 };
		struct pk_error e2 = { 0 };
		PK_REPO_MIRROR_OPTS(o, .sel = s, .full_btf = n & 1, .result = &res);
		size_t hits = 0;
		int r = pk_repo__mirror_select(ix, &o, sel, unp, &e2);

		REQUIRE(r >= 1 && (size_t)r <= ix->nr_artifacts);	/* the core object at least */
		REQUIRE(res.selected == (size_t)r && res.unmatched <= n);
		for (size_t i = 0; i < ix->nr_artifacts; i++)
			hits += sel[i];
		REQUIRE(hits == (size_t)r);
		if (unp) {
			size_t u = 0;

			for (size_t i = 0; i < n; i++)
				u += un[i];
			REQUIRE(u == res.unmatched);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_mirror_sel *s;
	struct pk_error e = { 0 };
	int rc;

	setup();
	s = pk_mirror_sel__new();
	REQUIRE(s);
	rc = pk_mirror_sel__add_kernels(s, data, size, "k", &e);
	check(s, rc, &e);
	pk_mirror_sel__free(s);

	s = pk_mirror_sel__new();
	REQUIRE(s);
	memset(&e, 0, sizeof(e));
	rc = pk_mirror_sel__add_catalog(s, data, size, "c", &e);
	check(s, rc, &e);
	pk_mirror_sel__free(s);
	return 0;
}
