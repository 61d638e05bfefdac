/* Reads apt's source lists, both formats, to find the machine's Debian mirrors
 * (sources.list(5)). Only what the catalog needs: URI, suites, components,
 * Signed-By. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/apt_sources.h"
#include "kernels/deb822.h"

#define SOURCES_MAX_BYTES (4u << 20)

void pk_apt_sources__release(struct pk_apt_sources *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++) {
		free(s->v[i].uri);
		free(s->v[i].suites);
		free(s->v[i].components);
		free(s->v[i].signed_by);
		free(s->v[i].file);
	}
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

static char *dupn(const char *s, size_t n)
{
	return strndup(s, n);
}

static int add(struct pk_apt_sources *s, const char *uri, size_t uri_len, const char *suites,
	       size_t suites_len, const char *comps, size_t comps_len, const char *signed_by,
	       size_t sb_len, const char *file)
{
	struct pk_apt_source *v = realloc(s->v, (s->n + 1) * sizeof(*v)), *e;

	if (!v)
		return -ENOMEM;
	s->v = v;
	e = &v[s->n];
	while (uri_len && uri[uri_len - 1] == '/')
		uri_len--;
	e->uri = dupn(uri, uri_len);
	e->suites = dupn(suites, suites_len);
	e->components = dupn(comps, comps_len);
	e->signed_by = signed_by ? dupn(signed_by, sb_len) : NULL;
	e->file = strdup(file);
	if (!e->uri || !e->suites || !e->components || !e->file || (signed_by && !e->signed_by)) {
		free(e->uri);
		free(e->suites);
		free(e->components);
		free(e->signed_by);
		free(e->file);
		return -ENOMEM;
	}
	s->n++;
	return 0;
}

static bool has_word(const char *list, size_t len, const char *word)
{
	size_t wl = strlen(word), i = 0;

	while (i < len) {
		size_t j;

		while (i < len && (list[i] == ' ' || list[i] == '\t' || list[i] == '\n'))
			i++;
		j = i;
		while (j < len && list[j] != ' ' && list[j] != '\t' && list[j] != '\n')
			j++;
		if (j - i == wl && !memcmp(list + i, word, wl))
			return true;
		i = j;
	}
	return false;
}

/* deb822 *.sources: one entry per paragraph; URIs may list several mirrors */
static int load_deb822(const char *path, const char *data, size_t len, struct pk_apt_sources *out,
		       struct pk_error *err)
{
	struct pk_deb822 *d = pk_deb822__new(data, len);
	const struct pk_deb822_para *p;
	int r;

	if (!d)
		return -ENOMEM;
	while ((r = pk_deb822__next_paragraph(d, &p, err)) == 1) {
		const char *types, *uris, *suites, *comps = "", *sb = NULL, *en;
		size_t tl, ul, sl, cl = 0, sbl = 0, el;

		if (pk_deb822_para__get(p, "Types", &types, &tl) ||
		    pk_deb822_para__get(p, "URIs", &uris, &ul) ||
		    pk_deb822_para__get(p, "Suites", &suites, &sl)) {
			r = pk_error__set(err, -EBADMSG,
					  "%s: line %lu: an entry needs Types, URIs and Suites", path,
					  pk_deb822_para__line(p));
			break;
		}
		if (!has_word(types, tl, "deb"))
			continue;
		if (!pk_deb822_para__get(p, "Enabled", &en, &el) && el == 2 && !strncasecmp(en, "no", 2))
			continue;
		pk_deb822_para__get(p, "Components", &comps, &cl);
		if (!pk_deb822_para__get(p, "Signed-By", &sb, &sbl) && memchr(sb, '\n', sbl)) {
			sb = "inline";
			sbl = 6;
		}
		for (size_t i = 0; i < ul;) {
			size_t j;

			while (i < ul && (uris[i] == ' ' || uris[i] == '\n' || uris[i] == '\t'))
				i++;
			j = i;
			while (j < ul && uris[j] != ' ' && uris[j] != '\n' && uris[j] != '\t')
				j++;
			if (j > i && (r = add(out, uris + i, j - i, suites, sl, comps, cl, sb, sbl, path)))
				goto out;
			i = j;
		}
	}
	if (r < 0 && r != -ENOMEM && !strstr(pk_error__str(err), path)) {
		struct pk_error inner = *err;

		pk_error__set(err, r, "%s: %s", path, pk_error__str(&inner));
	}
out:
	pk_deb822__free(d);
	return r < 0 ? r : 0;
}

/* one-line format: deb [ options ] uri suite [component...] */
static int load_list(const char *path, const char *data, size_t len, struct pk_apt_sources *out,
		     struct pk_error *err)
{
	unsigned long line = 0;

	for (size_t i = 0; i < len;) {
		const char *l = data + i, *nl = memchr(l, '\n', len - i);
		size_t ll = nl ? (size_t)(nl - l) : len - i;
		const char *w[64];
		size_t wl[64], nw = 0, k = 0;
		const char *sb = NULL;
		size_t sbl = 0;
		int r;

		i += ll + (nl != NULL);
		line++;
		for (size_t c = 0; c < ll; c++)
			if (l[c] == '#') {
				ll = c;
				break;
			}
		while (k < ll && nw < PK_ARRAY_SIZE(w)) {
			size_t s;

			while (k < ll && (l[k] == ' ' || l[k] == '\t' || l[k] == '\r'))
				k++;
			if (k == ll)
				break;
			s = k;
			if (l[k] == '[') {
				const char *close = memchr(l + k, ']', ll - k);

				if (!close)
					return pk_error__set(err, -EBADMSG, "%s: line %lu: '[' without ']'",
							     path, line);
				k = close - l + 1;
			} else {
				while (k < ll && l[k] != ' ' && l[k] != '\t' && l[k] != '\r')
					k++;
			}
			w[nw] = l + s;
			wl[nw++] = k - s;
		}
		if (!nw || wl[0] != 3 || memcmp(w[0], "deb", 3))
			continue;
		{
			size_t u = 1;

			if (u < nw && w[u][0] == '[') {
				const char *o = memmem(w[u], wl[u], "signed-by=", 10);

				if (o) {
					sb = o + 10;
					sbl = 0;
					while (sb + sbl < w[u] + wl[u] && sb[sbl] != ' ' && sb[sbl] != ']')
						sbl++;
				}
				u++;
			}
			if (u + 1 >= nw)
				return pk_error__set(err, -EBADMSG,
						     "%s: line %lu: a deb line needs a URI and a suite",
						     path, line);
			{
				const char *cs = u + 2 < nw ? w[u + 2] : "";
				size_t cl = u + 2 < nw ? (size_t)(w[nw - 1] + wl[nw - 1] - cs) : 0;

				r = add(out, w[u], wl[u], w[u + 1], wl[u + 1], cs, cl, sb, sbl, path);
				if (r)
					return r;
			}
		}
	}
	return 0;
}

int pk_apt_sources__parse(const char *name, const void *data, size_t len, bool deb822,
			  struct pk_apt_sources *out, struct pk_error *err)
{
	int r = deb822 ? load_deb822(name, data, len, out, err) : load_list(name, data, len, out, err);

	if (r)
		pk_apt_sources__release(out);
	return r;
}

static int load_file(const char *path, bool deb822, struct pk_apt_sources *out,
		     struct pk_error *err)
{
	char *data;
	size_t len;
	int r = pk_file__read(path, &data, &len, SOURCES_MAX_BYTES);

	if (r == -ENOENT)
		return 0;
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	r = deb822 ? load_deb822(path, data, len, out, err) : load_list(path, data, len, out, err);
	free(data);
	return r;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int pk_apt_sources__load(const char *root, struct pk_apt_sources *out, struct pk_error *err)
{
	char path[4096], dir[4096];
	char **names = NULL;
	size_t nr = 0;
	DIR *d;
	int r;

	memset(out, 0, sizeof(*out));
	snprintf(path, sizeof(path), "%s/etc/apt/sources.list", root);
	r = load_file(path, false, out, err);
	if (r)
		goto fail;
	snprintf(dir, sizeof(dir), "%s/etc/apt/sources.list.d", root);
	d = opendir(dir);
	if (d) {
		struct dirent *de;

		/* apt reads the directory in alphabetical order */
		while ((de = readdir(d))) {
			size_t l = strlen(de->d_name);
			char **n;

			if (!((l > 5 && !strcmp(de->d_name + l - 5, ".list")) ||
			      (l > 8 && !strcmp(de->d_name + l - 8, ".sources"))))
				continue;
			n = realloc(names, (nr + 1) * sizeof(*names));
			if (!n || !(n[nr] = strdup(de->d_name))) {
				names = n ? n : names;
				closedir(d);
				r = -ENOMEM;
				goto fail;
			}
			names = n;
			nr++;
		}
		closedir(d);
		if (nr)
			qsort(names, nr, sizeof(*names), name_cmp);
		for (size_t i = 0; i < nr; i++) {
			size_t l = strlen(names[i]);

			if (snprintf(path, sizeof(path), "%s/%s", dir, names[i]) >= (int)sizeof(path))
				continue;	/* no such path can exist */
			r = load_file(path, l > 8 && !strcmp(names[i] + l - 8, ".sources"), out, err);
			if (r)
				goto fail;
		}
	}
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	return 0;
fail:
	for (size_t i = 0; i < nr; i++)
		free(names[i]);
	free(names);
	pk_apt_sources__release(out);
	return r;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t l = strlen(s), n = strlen(suffix);

	return l >= n && !strcmp(s + l - n, suffix);
}

static bool is_debian(const struct pk_apt_source *e)
{
	if (e->signed_by)
		return strstr(e->signed_by, "debian-archive-keyring") != NULL;
	return ends_with(e->uri, "/debian") || ends_with(e->uri, "/debian-security");
}

static bool serves_security(const struct pk_apt_source *e)
{
	const char *s = e->suites;

	while (*s) {
		size_t n = strcspn(s, " \t\n");

		if (n > 9 && !strncmp(s + n - 9, "-security", 9))
			return true;
		s += n;
		s += strspn(s, " \t\n");
	}
	return false;
}

int pk_apt_sources__debian(const struct pk_apt_sources *s, const char **archive,
			   const char **security)
{
	*archive = NULL;
	*security = NULL;
	for (size_t i = 0; i < s->n; i++) {
		const struct pk_apt_source *e = &s->v[i];

		if (!is_debian(e))
			continue;
		if (serves_security(e)) {
			if (!*security)
				*security = e->uri;
		} else if (!*archive) {
			*archive = e->uri;
		}
	}
	return *archive ? 0 : -ENOENT;
}
