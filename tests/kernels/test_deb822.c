/* pk_deb822 on crafted inputs: paragraphs and fields, continuations, case-insensitive
 * names, no trailing newline, and each malformed input refused with its line number.
 * Every input is copied into a buffer of exactly its length (no terminator), so the
 * sanitizer build catches a read past the end. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/deb822.h"
#include "unit.h"

struct input {
	char *buf;
	struct pk_deb822 *d;
};

static struct pk_deb822 *open_exact(struct input *in, const char *s, size_t n)
{
	in->buf = malloc(n ? n : 1);
	memcpy(in->buf, s, n);
	in->d = pk_deb822__new(in->buf, n);
	return in->d;
}

static void close_input(struct input *in)
{
	pk_deb822__free(in->d);
	free(in->buf);
}

/* value of name as a NUL-terminated string in a static buffer, or "(absent)" */
static const char *val(const struct pk_deb822_para *p, const char *name)
{
	static char out[256];
	const char *v;
	size_t n;

	if (pk_deb822_para__get(p, name, &v, &n))
		return "(absent)";
	snprintf(out, sizeof(out), "%.*s", (int)n, v);
	return out;
}

static void test_basic(void)
{
	const char *t = "deb822/basic";
	const char s[] = "\n\nPackage: linux-image-6.1.0-41-amd64\nVersion:  6.1.158-1 \n"
			 "Depends: kmod, linux-base (>= 4.3~)\n\n \t\n\nPackage: b\nsize:3\n";
	const struct pk_deb822_para *p;
	struct pk_error e = { 0 };
	struct input in;
	const char *name;
	size_t nl;

	open_exact(&in, s, sizeof(s) - 1);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 1);
	CHECK_INT(t, pk_deb822_para__nfields(p), 3);
	CHECK_INT(t, pk_deb822_para__line(p), 3);
	CHECK_STR(t, val(p, "package"), "linux-image-6.1.0-41-amd64");
	CHECK_STR(t, val(p, "VERSION"), "6.1.158-1");
	CHECK_STR(t, val(p, "Depends"), "kmod, linux-base (>= 4.3~)");
	CHECK_STR(t, val(p, "Filename"), "(absent)");
	CHECK_INT(t, pk_deb822_para__get(p, "Package:", NULL, NULL), -ENOENT);
	CHECK_INT(t, pk_deb822_para__field(p, 1, &name, &nl, NULL, NULL), 0);
	CHECK(t, nl == 7 && !memcmp(name, "Version", 7), "field 1 is '%.*s'", (int)nl, name);
	CHECK_INT(t, pk_deb822_para__field(p, 3, NULL, NULL, NULL, NULL), -ENOENT);
	/* a blank-only line separates too; several blank lines are one separator */
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 1);
	CHECK_INT(t, pk_deb822_para__line(p), 9);
	CHECK_STR(t, val(p, "Package"), "b");
	CHECK_STR(t, val(p, "Size"), "3");
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 0);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 0);
	CHECK_INT(t, e.code, 0);
	close_input(&in);
	PASS(t);
}

static void test_continuation(void)
{
	const char *t = "deb822/continuation";
	const char s[] = "Description: first line\n second line\n .\n\tthird  \n"
			 "SHA256:\n abc 1 main/x\n def 2 main/y\nLast: z";
	const struct pk_deb822_para *p;
	struct pk_error e = { 0 };
	struct input in;

	open_exact(&in, s, sizeof(s) - 1);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 1);
	CHECK_STR(t, val(p, "Description"), "first line\n second line\n .\n\tthird");
	/* an empty first line: the value starts on the continuation */
	CHECK_STR(t, val(p, "SHA256"), "abc 1 main/x\n def 2 main/y");
	/* no trailing newline: the last field is still whole */
	CHECK_STR(t, val(p, "Last"), "z");
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 0);
	close_input(&in);
	PASS(t);
}

static void test_empty(void)
{
	const char *t = "deb822/empty";
	const struct pk_deb822_para *p;
	struct pk_error e = { 0 };
	struct input in;

	open_exact(&in, "\n\n  \n# only a comment\n", 21);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 0);
	close_input(&in);
	open_exact(&in, "", 0);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 0);
	close_input(&in);
	PASS(t);
}

/* each malformed input: -EBADMSG, "line N: <why>", and nothing after it */
static void bad_case(const char *t, const char *s, size_t n, const char *want_msg)
{
	const struct pk_deb822_para *p;
	struct pk_error e = { 0 };
	struct input in;
	int rc;

	open_exact(&in, s, n);
	while ((rc = pk_deb822__next_paragraph(in.d, &p, &e)) == 1)
		;
	CHECK_INT(t, rc, -EBADMSG);
	CHECK_INT(t, e.code, -EBADMSG);
	CHECK_STR(t, e.msg, want_msg);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 0);
	close_input(&in);
	PASS(t);
}

static void test_bad(void)
{
	char *big;
	size_t n;

#define BAD(name, s, msg) bad_case("deb822/bad/" name, s, sizeof(s) - 1, msg)
	BAD("missing-colon", "Package: a\nVersion 1\n", "line 2: no ':' in a field line");
	BAD("crlf", "Package: a\r\nVersion: 1\r\n", "line 1: carriage return (CRLF is not deb822 syntax)");
	BAD("leading-continuation", " oops\nPackage: a\n", "line 1: continuation line outside a field");
	BAD("continuation-after-comment", "A: 1\n# c\n x\n", "line 3: continuation line outside a field");
	BAD("nul", "Package: a\0b\n", "line 1: NUL byte");
	BAD("duplicate", "Package: a\n\nPackage: b\npackage: c\n", "line 4: field repeated in one paragraph");
	BAD("empty-name", ": x\n", "line 1: empty field name");
	BAD("dash-name", "-Package: x\n", "line 1: field name starts with '-'");
	BAD("blank-in-name", "Pack age: x\n", "line 1: field name with a blank or non-ASCII byte");
	BAD("high-byte-in-name", "Pack\xc3\xa9: x\n", "line 1: field name with a blank or non-ASCII byte");
#undef BAD

	/* a line of exactly the limit is read; one byte more is refused */
	n = PK_DEB822_MAX_LINE + 1;
	big = malloc(n + 8);
	memcpy(big, "A: ", 3);
	memset(big + 3, 'x', n - 3);
	{
		const struct pk_deb822_para *p;
		struct pk_error e = { 0 };
		struct input in;
		const char *v;
		size_t vl;

		open_exact(&in, big, PK_DEB822_MAX_LINE);
		if (pk_deb822__next_paragraph(in.d, &p, &e) != 1 ||
		    pk_deb822_para__get(p, "a", &v, &vl) || vl != PK_DEB822_MAX_LINE - 3)
			FAIL("deb822/line-at-limit", "not read whole: %s", e.msg);
		else
			PASS("deb822/line-at-limit");
		close_input(&in);
	}
	bad_case("deb822/bad/huge-line", big, n, "line 1: line too long");
	free(big);

	/* PK_DEB822_MAX_FIELDS + 1 distinct fields */
	big = malloc((PK_DEB822_MAX_FIELDS + 1) * 16);
	n = 0;
	for (int i = 0; i <= PK_DEB822_MAX_FIELDS; i++)
		n += (size_t)sprintf(big + n, "F%d: v\n", i);
	{
		char want[64];

		snprintf(want, sizeof(want), "line %d: too many fields in one paragraph",
			 PK_DEB822_MAX_FIELDS + 1);
		bad_case("deb822/bad/too-many-fields", big, n, want);
	}
	free(big);
}

static void test_comment(void)
{
	const char *t = "deb822/comment";
	const char s[] = "# heading\nA: 1\n# between\nB: 2\n";
	const struct pk_deb822_para *p;
	struct pk_error e = { 0 };
	struct input in;

	open_exact(&in, s, sizeof(s) - 1);
	CHECK_INT(t, pk_deb822__next_paragraph(in.d, &p, &e), 1);
	CHECK_INT(t, pk_deb822_para__nfields(p), 2);
	CHECK_STR(t, val(p, "B"), "2");
	close_input(&in);
	PASS(t);
}

int main(void)
{
	test_basic();
	test_continuation();
	test_empty();
	test_comment();
	test_bad();
	pk_deb822__free(NULL);
	return UNIT_EXIT();
}
