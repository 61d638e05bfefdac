/* libFuzzer target for the repository index readers (outside input: index.json
 * from a mirror, build records from farm nodes). Invariants, not only memory
 * errors: what parses writes back and reads again to the same bytes; what a
 * record adds is an index that parses; index.html holds exactly our one script. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "repo/html.h"
#include "repo/index.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void check_err(int rc, const struct pk_error *e)
{
	REQUIRE(rc == -EBADMSG || rc == -EFBIG || rc == -ENOMEM);
	REQUIRE(e->code == rc && e->msg[0]);
	REQUIRE(memchr(e->msg, 0, sizeof(e->msg)));
}

static size_t count(const char *hay, size_t len, const char *needle)
{
	size_t n = 0, nl = strlen(needle);

	for (const char *p = hay; (p = memmem(p, len - (p - hay), needle, nl)); p += nl)
		n++;
	return n;
}

/* write, parse, write: the same bytes, and the HTML renders with one script */
static void round_trip(struct pk_index *ix)
{
	struct pk_index *back = NULL;
	struct pk_error e = { 0 };
	struct pk_json a, b;
	char *html;
	size_t hl;
	int rc;

	pk_json__init(&a, true);
	pk_index__write(ix, &a);
	REQUIRE(!a.err);
	rc = pk_index__parse(a.buf, a.len, &back, &e);
	REQUIRE(!rc && back);
	pk_json__init(&b, true);
	pk_index__write(back, &b);
	REQUIRE(!b.err && a.len == b.len && !memcmp(a.buf, b.buf, a.len));
	REQUIRE(back->nr_artifacts == ix->nr_artifacts && back->nr_failures == ix->nr_failures);
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		REQUIRE(pk_index__find(back, ix->artifacts[i].path));
	rc = pk_index__write_html(back, "fuzz", &html, &hl, &e);
	REQUIRE(!rc && strlen(html) == hl);
	REQUIRE(count(html, hl, "<script") == 1);
	REQUIRE(count(html, hl, "<tr>") == 2 + ix->nr_artifacts + ix->nr_failures);
	free(html);
	pk_json__free(&a);
	pk_json__free(&b);
	pk_index__free(back);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_index *ix = NULL;
	struct pk_error e = { 0 };
	int rc;

	/* the buffer as handed over: exactly size bytes, no terminator */
	rc = pk_index__parse(data, size, &ix, &e);
	if (rc) {
		check_err(rc, &e);
		REQUIRE(!ix);
	} else {
		REQUIRE(ix && ix->version >= 1 && ix->expires > ix->generated);
		round_trip(ix);
		pk_index__free(ix);
	}

	ix = pk_index__new();
	REQUIRE(ix);
	memset(&e, 0, sizeof(e));
	rc = pk_index__add_record(ix, data, size, &e);
	if (rc) {
		check_err(rc, &e);
		REQUIRE(!ix->nr_artifacts && !ix->nr_failures);
	} else {
		ix->version = 1;
		ix->expires = 1;
		round_trip(ix);
	}
	pk_index__free(ix);
	return 0;
}
