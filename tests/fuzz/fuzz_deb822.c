/* libFuzzer target for the Debian index readers: deb822 paragraphs and fields from
 * raw bytes, then the Release fields and SHA256 list (not gpgv, not the digest).
 * Aborts on a broken invariant, not only on memory errors. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/deb822.h"
#include "kernels/release.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static int inside(const uint8_t *data, size_t size, const char *p, size_t n)
{
	return (const uint8_t *)p >= data && n <= size &&
	       (size_t)((const uint8_t *)p - data) <= size - n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct pk_deb822_para *p;
	struct pk_release *r = NULL;
	struct pk_error e = { 0 };
	struct pk_deb822 *d;
	int rc, paras = 0;

	/* the buffer as handed over: exactly size bytes, no terminator */
	d = pk_deb822__new(data, size);
	if (!d)
		return 0;
	while ((rc = pk_deb822__next_paragraph(d, &p, &e)) == 1) {
		size_t nf = pk_deb822_para__nfields(p);

		paras++;
		REQUIRE(nf >= 1 && nf <= PK_DEB822_MAX_FIELDS);
		REQUIRE(pk_deb822_para__line(p) >= 1);
		for (size_t i = 0; i < nf; i++) {
			const char *name, *val, *v2;
			size_t nl, vl, vl2;
			char key[128];

			REQUIRE(!pk_deb822_para__field(p, i, &name, &nl, &val, &vl));
			REQUIRE(nl >= 1 && inside(data, size, name, nl) && inside(data, size, val, vl));
			REQUIRE(!memchr(name, ':', nl) && name[0] != ' ' && name[0] != '#');
			REQUIRE(!memchr(val, '\r', vl) && !memchr(val, '\0', vl));
			REQUIRE(!vl || (val[0] != ' ' && val[vl - 1] != ' ' && val[vl - 1] != '\n'));
			/* names are unique in a paragraph: get finds this very field */
			if (nl < sizeof(key)) {
				memcpy(key, name, nl);
				key[nl] = 0;
				REQUIRE(!pk_deb822_para__get(p, key, &v2, &vl2));
				REQUIRE(v2 == val && vl2 == vl);
			}
			if (nl == 4 && !memcmp(name, "Date", 4)) {
				int64_t t;

				(void)pk_release__parse_date(val, vl, &t);
			}
		}
		REQUIRE(pk_deb822_para__field(p, nf, NULL, NULL, NULL, NULL) == -ENOENT);
	}
	if (rc) {
		REQUIRE(rc == -EBADMSG && e.code == rc && !strncmp(e.msg, "line ", 5));
		REQUIRE(pk_deb822__next_paragraph(d, &p, &e) == 0);
	}
	pk_deb822__free(d);

	pk_error__clear(&e);
	rc = pk_release__parse(data, size, &r, &e);
	if (rc) {
		REQUIRE(!r && rc < 0 && e.code == rc && e.msg[0]);
		return 0;
	}
	REQUIRE(r && !e.msg[0]);
	REQUIRE(pk_release__suite(r)[0]);
	for (size_t i = 0; i < pk_release__nfiles(r); i++) {
		const struct pk_release_file *f = pk_release__file(r, i);

		REQUIRE(f && strlen(f->sha256) == 64 && strspn(f->sha256, "0123456789abcdef") == 64);
		REQUIRE(f->path[0] && !strchr(f->path, ' ') && !strchr(f->path, '\n'));
		REQUIRE(pk_release__find(r, f->path));
	}
	REQUIRE(!pk_release__file(r, pk_release__nfiles(r)));
	{
		PK_RELEASE_CHECK_OPTS(allow, .allow_expired = true);
		bool expired;

		REQUIRE(!pk_release__check_valid(r, INT64_MAX, &allow, &expired, &e));
		rc = pk_release__check_valid(r, INT64_MAX, NULL, &expired, &e);
		REQUIRE(expired == (pk_release__valid_until(r) >= 0));
		REQUIRE(rc == (expired ? -EKEYEXPIRED : 0));
	}
	pk_release__free(r);
	return 0;
}
