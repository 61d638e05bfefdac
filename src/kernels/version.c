/* Debian version comparison, after dpkg's verrevcmp (deb-version(7)). */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/version.h"

static int order(int c)
{
	if (isdigit(c))
		return 0;
	if (isalpha(c))
		return c;
	if (c == '~')
		return -1;
	if (c)
		return c + 256;
	return 0;
}

/* compares a and b up to their ends (ea, eb) */
static int verrevcmp(const char *a, const char *ea, const char *b, const char *eb)
{
	while (a < ea || b < eb) {
		int first_diff = 0;

		while ((a < ea && !isdigit((unsigned char)*a)) || (b < eb && !isdigit((unsigned char)*b))) {
			int ac = a < ea ? order((unsigned char)*a) : 0;
			int bc = b < eb ? order((unsigned char)*b) : 0;

			if (ac != bc)
				return ac - bc;
			a++;
			b++;
		}
		while (a < ea && *a == '0')
			a++;
		while (b < eb && *b == '0')
			b++;
		while (a < ea && b < eb && isdigit((unsigned char)*a) && isdigit((unsigned char)*b)) {
			if (!first_diff)
				first_diff = *a - *b;
			a++;
			b++;
		}
		if (a < ea && isdigit((unsigned char)*a))
			return 1;
		if (b < eb && isdigit((unsigned char)*b))
			return -1;
		if (first_diff)
			return first_diff;
	}
	return 0;
}

struct parts {
	unsigned long epoch;
	const char *up, *up_end, *rev, *rev_end;
};

static void split(const char *v, struct parts *p)
{
	const char *colon = strchr(v, ':');
	const char *end = v + strlen(v);
	const char *dash;

	p->epoch = 0;
	if (colon) {
		p->epoch = strtoul(v, NULL, 10);
		v = colon + 1;
	}
	dash = strrchr(v, '-');
	p->up = v;
	if (dash) {
		p->up_end = dash;
		p->rev = dash + 1;
	} else {
		p->up_end = end;
		p->rev = end;
	}
	p->rev_end = end;
}

int pk_debver__cmp(const char *a, const char *b)
{
	struct parts pa, pb;
	int r;

	split(a, &pa);
	split(b, &pb);
	if (pa.epoch != pb.epoch)
		return pa.epoch < pb.epoch ? -1 : 1;
	r = verrevcmp(pa.up, pa.up_end, pb.up, pb.up_end);
	if (r)
		return r;
	return verrevcmp(pa.rev, pa.rev_end, pb.rev, pb.rev_end);
}

bool pk_debver__satisfies(const char *version, const char *op, const char *want)
{
	int r = pk_debver__cmp(version, want);

	if (!strcmp(op, "="))
		return r == 0;
	if (!strcmp(op, ">=") || !strcmp(op, ">"))
		return r >= 0;
	if (!strcmp(op, "<=") || !strcmp(op, "<"))
		return r <= 0;
	if (!strcmp(op, ">>"))
		return r > 0;
	if (!strcmp(op, "<<"))
		return r < 0;
	return false;
}
