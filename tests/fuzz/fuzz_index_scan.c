/* libFuzzer target for pk_index__scan, the agent's streaming index reader, held to
 * its promise: whatever pk_index__parse accepts, the scan accepts too and reports
 * the same artifacts, in the same order, field by field, and the same header. */
#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "repo/index.h"
#include "repo/index_scan.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

struct cmp {
	const struct pk_index *ix;
	size_t n;
};

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int check(const struct pk_index_scan_artifact *s, void *ctx)
{
	struct cmp *c = ctx;
	const struct pk_index_artifact *a;

	REQUIRE(c->ix && c->n < c->ix->nr_artifacts);
	a = &c->ix->artifacts[c->n++];
	REQUIRE(same(s->path, a->path) && same(s->kind, a->kind) && same(s->sha256, a->sha256));
	REQUIRE(same(s->probe_version, a->probe_version));
	REQUIRE(same(s->verification_state, a->verification.state));
	REQUIRE(s->size == a->size);
	return 0;
}

static int count(const struct pk_index_scan_artifact *s, void *ctx)
{
	REQUIRE(s->path && s->kind && s->sha256 && s->verification_state);
	REQUIRE(strlen(s->sha256) == 64 && !pk_index__check_path(s->path, NULL));
	(*(size_t *)ctx)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_index *ix = NULL;
	struct pk_index_scan_info info = { 0 };
	struct pk_error pe = { 0 }, se = { 0 };
	int prc, src;

	/* the buffer as handed over: exactly size bytes, no terminator */
	prc = pk_index__parse(data, size, &ix, &pe);
	if (!prc) {
		struct cmp c = { .ix = ix };

		src = pk_index__scan(data, size, check, &c, &info, &se);
		if (src) {	/* the scan refused what parse took: say why in the crash log */
			fprintf(stderr, "scan refused an index parse accepts: %s\n", se.msg);
			abort();
		}
		REQUIRE(c.n == ix->nr_artifacts && info.artifacts == ix->nr_artifacts);
		REQUIRE(info.failures == ix->nr_failures && info.version == ix->version);
		REQUIRE(info.generated == ix->generated && info.expires == ix->expires);
		pk_index__free(ix);
	} else {
		size_t n = 0;

		/* refused or not, a scan is memory-safe and says why when it refuses */
		src = pk_index__scan(data, size, count, &n, &info, &se);
		if (src) {
			REQUIRE(src == -EBADMSG || src == -EFBIG || src == -ENOMEM);
			REQUIRE(se.code == src && se.msg[0] && memchr(se.msg, 0, sizeof(se.msg)));
		} else {
			REQUIRE(n == info.artifacts);
		}
	}
	return 0;
}
