/* deb822 paragraph reader: splits untrusted bytes into paragraphs and fields
 * without copying and without assuming a terminator. It knows nothing of what the
 * fields mean (release.c and the Packages readers do). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels/deb822.h"

struct field {
	const char *name, *val;
	size_t name_len, val_len;
};

struct pk_deb822_para {
	struct field fields[PK_DEB822_MAX_FIELDS];
	size_t n;
	unsigned long line;
};

struct pk_deb822 {
	const char *data;
	size_t len, off;
	unsigned long line;	/* lines consumed so far */
	struct pk_deb822_para para;
};

struct pk_deb822 *pk_deb822__new(const void *data, size_t len)
{
	struct pk_deb822 *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->data = data;
	d->len = data ? len : 0;
	return d;
}

void pk_deb822__free(struct pk_deb822 *d)
{
	free(d);
}

static int is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* a line with only blanks (or nothing) separates paragraphs, as Debian policy 5.1 says */
static int blank_line(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!is_blank(s[i]))
			return 0;
	return 1;
}

static int bad(struct pk_deb822 *d, struct pk_error *err, const char *why)
{
	unsigned long line = d->line;

	d->off = d->len;	/* stay at the end: no half-trusted paragraphs after this */
	return pk_error__set(err, -EBADMSG, "line %lu: %s", line, why);
}

int pk_deb822__next_paragraph(struct pk_deb822 *d, const struct pk_deb822_para **para,
			      struct pk_error *err)
{
	struct pk_deb822_para *p;
	struct field *cur = NULL;

	if (!d || !para)
		return -EINVAL;
	p = &d->para;
	p->n = 0;
	p->line = 0;
	while (d->off < d->len) {
		const char *s = d->data + d->off;
		size_t rest = d->len - d->off, n, colon;
		const char *nl = memchr(s, '\n', rest);

		n = nl ? (size_t)(nl - s) : rest;
		d->line++;
		if (n > PK_DEB822_MAX_LINE)
			return bad(d, err, "line too long");
		if (memchr(s, '\0', n))
			return bad(d, err, "NUL byte");
		if (memchr(s, '\r', n))
			return bad(d, err, "carriage return (CRLF is not deb822 syntax)");
		d->off += n + (nl ? 1 : 0);

		if (blank_line(s, n)) {
			if (p->n)
				break;	/* end of this paragraph */
			continue;	/* blank lines before a paragraph */
		}
		if (is_blank(s[0])) {
			size_t i = 0;

			if (!cur)
				return bad(d, err, "continuation line outside a field");
			/* extend the value to this line's last non-blank byte */
			while (n > i && is_blank(s[n - 1]))
				n--;
			if (!cur->val_len) {
				/* first line of the value was empty: start it here */
				while (i < n && is_blank(s[i]))
					i++;
				cur->val = s + i;
			}
			cur->val_len = (size_t)(s + n - cur->val);
			continue;
		}
		if (s[0] == '#') {
			cur = NULL;	/* comment: continuations may not attach through it */
			continue;
		}
		if (s[0] == '-')
			return bad(d, err, "field name starts with '-'");
		if (!memchr(s, ':', n))
			return bad(d, err, "no ':' in a field line");
		for (colon = 0; colon < n && s[colon] != ':'; colon++)
			if ((unsigned char)s[colon] <= 32 || (unsigned char)s[colon] >= 127)
				return bad(d, err, "field name with a blank or non-ASCII byte");
		if (!colon)
			return bad(d, err, "empty field name");
		for (size_t i = 0; i < p->n; i++)
			if (p->fields[i].name_len == colon &&
			    !strncasecmp(p->fields[i].name, s, colon))
				return bad(d, err, "field repeated in one paragraph");
		if (p->n == PK_DEB822_MAX_FIELDS)
			return bad(d, err, "too many fields in one paragraph");
		if (!p->n)
			p->line = d->line;
		cur = &p->fields[p->n++];
		cur->name = s;
		cur->name_len = colon;
		{
			size_t i = colon + 1, e = n;

			while (i < e && is_blank(s[i]))
				i++;
			while (e > i && is_blank(s[e - 1]))
				e--;
			cur->val = s + i;
			cur->val_len = e - i;
		}
	}
	if (!p->n)
		return 0;
	*para = p;
	return 1;
}

int pk_deb822_para__get(const struct pk_deb822_para *p, const char *name,
			const char **val, size_t *len)
{
	size_t nl;

	if (!p || !name)
		return -EINVAL;
	nl = strlen(name);
	for (size_t i = 0; i < p->n; i++) {
		if (p->fields[i].name_len != nl || strncasecmp(p->fields[i].name, name, nl))
			continue;
		if (val)
			*val = p->fields[i].val;
		if (len)
			*len = p->fields[i].val_len;
		return 0;
	}
	return -ENOENT;
}

size_t pk_deb822_para__nfields(const struct pk_deb822_para *p)
{
	return p ? p->n : 0;
}

int pk_deb822_para__field(const struct pk_deb822_para *p, size_t i, const char **name,
			  size_t *name_len, const char **val, size_t *val_len)
{
	if (!p || i >= p->n)
		return -ENOENT;
	if (name)
		*name = p->fields[i].name;
	if (name_len)
		*name_len = p->fields[i].name_len;
	if (val)
		*val = p->fields[i].val;
	if (val_len)
		*val_len = p->fields[i].val_len;
	return 0;
}

unsigned long pk_deb822_para__line(const struct pk_deb822_para *p)
{
	return p ? p->line : 0;
}
