/* What the index tests share (test_index.c, test_index_scan.c): a synthetic artifact
 * with realistic names and field sizes, so that a benchmark's bytes per artifact
 * are those of a real index. Include after repo/index.h. */
#ifndef PK_TEST_INDEX_FIXTURE_H
#define PK_TEST_INDEX_FIXTURE_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/index.h"

#define PV "p0123456789abcde"

static inline char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* a synthetic artifact i of a kind: realistic names and field sizes (the benchmark
 * uses it too, so its bytes per artifact are those of a real index) */
static inline void make_artifact(struct pk_index_artifact *a, size_t i, const char *kind)
{
	char path[512], rel[64], uname[64], rec[256];
	bool legacy = !strcmp(kind, "legacy-object"), full = !strcmp(kind, "full-btf");

	memset(a, 0, sizeof(*a));
	snprintf(rel, sizeof(rel), "6.1.%zu-%zu-amd64", 100 + i / 1000, 1 + i % 1000);
	snprintf(uname, sizeof(uname), "6.1.0-%zu-amd64", i);
	if (legacy)
		snprintf(path, sizeof(path), PV "/x86_64/probekit_debian_%s_1.o", rel);
	else if (full)
		snprintf(path, sizeof(path), "btf/debian/12/x86_64/%s.btf.tar.xz", uname);
	else
		snprintf(path, sizeof(path), PV "/btf/debian/12/x86_64/%s.btf", uname);
	snprintf(rec, sizeof(rec), "_build/" PV "/debian_%s.json", rel);
	a->path = xstrdup(path);
	a->size = 1000 + i;
	snprintf(a->sha256, sizeof(a->sha256), "%064zx", i * 2654435761u);
	a->kind = xstrdup(kind);
	a->probe_version = full ? NULL : xstrdup(PV);
	a->target = xstrdup("debian");
	a->kernelrelease = xstrdup(rel);
	a->kernelversion = xstrdup("1");
	a->os_id = xstrdup("debian");
	a->version_id = xstrdup("12");
	a->arch = xstrdup("x86_64");
	a->uname_r = xstrdup(uname);
	a->record = xstrdup(rec);
	a->compiler = legacy ? xstrdup("Debian clang version 14.0.6") : NULL;
	a->log_sha256 = malloc(65);
	snprintf(a->log_sha256, 65, "%064zx", i * 40503u + 7);
	a->seconds = 1.5 + (i % 7);
	a->nr_inputs = legacy ? 3 : 1;
	a->inputs = calloc(a->nr_inputs, sizeof(*a->inputs));
	for (size_t k = 0; k < a->nr_inputs; k++) {
		char name[128];

		snprintf(name, sizeof(name), legacy ? "linux-headers-6.1.0-%zu-part%zu"
						    : "linux-image-6.1.0-%zu-amd64%.0zu", i, k);
		a->inputs[k].name = xstrdup(name);
		a->inputs[k].version = xstrdup(rel);
		snprintf(a->inputs[k].sha256, 65, "%064zx", i * 977u + k);
	}
}

#endif
