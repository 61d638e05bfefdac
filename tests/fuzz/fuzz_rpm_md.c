/* libFuzzer target for the RPM metadata readers: the same bytes as repomd.xml, as
 * primary.xml (whole, then fed in slices whose sizes come from the input) and as
 * mirror.list. Aborts on a broken invariant, not only on memory errors. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/rpm_md.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static int token(const char *s)
{
	if (!*s || strlen(s) > PK_RPM_MD_MAX_VALUE)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return 0;
	return 1;
}

static int sum_ok(const struct pk_rpm_checksum *c)
{
	size_t n = strlen(c->value);

	return c->type[0] && n >= 32 && strspn(c->value, "0123456789abcdef") == n;
}

static bool keep_some(const char *name, void *ctx)
{
	REQUIRE(token(name));
	return name[0] != 'x';
}

static int check_pkg(const struct pk_rpm_package *p, void *ctx)
{
	uint64_t *n = ctx;

	REQUIRE(token(p->name) && token(p->arch) && token(p->version) && token(p->release));
	REQUIRE(p->name[0] != 'x');
	REQUIRE(p->location[0] && p->location[0] != '/' && !strstr(p->location, "://"));
	REQUIRE(sum_ok(&p->checksum));
	REQUIRE(p->line >= 1);
	(*n)++;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_error e = { 0 };
	struct pk_repomd *r = NULL;
	uint64_t kept1 = 0, kept2 = 0;
	uint64_t n1 = 0, n2;
	char *url = NULL;
	int rc, rc2;

	rc = pk_repomd__parse(data, size, &r, &e);
	if (rc) {
		REQUIRE(!r && rc < 0 && e.code == rc && e.msg[0]);
	} else {
		for (size_t i = 0; i < pk_repomd__ndata(r); i++) {
			const struct pk_repomd_data *d = pk_repomd__data(r, i);

			REQUIRE(token(d->type) && d->location && d->location[0] != '/');
			REQUIRE(sum_ok(&d->checksum));
			REQUIRE(!d->open_checksum.type[0] || sum_ok(&d->open_checksum));
			REQUIRE(pk_repomd__find(r, d->type) == d);
		}
		REQUIRE(!pk_repomd__data(r, pk_repomd__ndata(r)));
		pk_repomd__free(r);
	}

	/* whole */
	{
		PK_RPM_PRIMARY_OPTS(o, .filter = keep_some, .emit = check_pkg, .emit_ctx = &kept1);

		pk_error__clear(&e);
		rc = pk_rpm_primary__parse(data, size, &o, &n1, &e);
		REQUIRE(rc <= 0 && (!rc || (e.code == rc && e.msg[0])));
		REQUIRE(kept1 <= n1);
	}
	/* in slices: the same verdict, and when good the same packages, whatever the cut */
	{
		PK_RPM_PRIMARY_OPTS(o, .filter = keep_some, .emit = check_pkg, .emit_ctx = &kept2);
		struct pk_rpm_primary *p;
		size_t off = 0, step = size ? 1 + data[0] % 61 : 1;

		pk_error__clear(&e);
		p = pk_rpm_primary__new(&o, &e);
		REQUIRE(p);
		rc2 = 0;
		while (!rc2 && off < size) {
			size_t k = size - off < step ? size - off : step;

			rc2 = pk_rpm_primary__feed(p, data + off, k, false, &e);
			off += k;
		}
		if (!rc2)
			rc2 = pk_rpm_primary__feed(p, NULL, 0, true, &e);
		n2 = pk_rpm_primary__npackages(p);
		pk_rpm_primary__free(p);
		REQUIRE(!rc2 == !rc);
		REQUIRE(rc || (kept2 == kept1 && n2 == n1));
	}

	pk_error__clear(&e);
	rc = pk_mirrorlist__first(data, size, &url, &e);
	if (rc) {
		REQUIRE(!url && rc == -EBADMSG && e.msg[0]);
	} else {
		size_t n = strlen(url);

		REQUIRE(n <= PK_RPM_MD_MAX_VALUE && n <= size);
		REQUIRE(!strncmp(url, "http://", 7) || !strncmp(url, "https://", 8));
		REQUIRE(strcspn(url, " \t\r\n") == n);
		free(url);
	}
	return 0;
}
