/* The kernel catalog's storage and its two JSON forms: probekit's own (everything,
 * suites and their errors included) and kernel-crawler's list.json. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/catalog.h"
#include "kernels/version.h"

struct pk_catalog {
	struct pk_kernel *kernels;
	size_t nr_kernels, cap_kernels;
	struct pk_suite *suites;
	size_t nr_suites, cap_suites;
};

struct pk_catalog *pk_catalog__new(void)
{
	return calloc(1, sizeof(struct pk_catalog));
}

void pk_pkg__release(struct pk_pkg *p)
{
	if (!p)
		return;
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->url);
	free(p->suite);
	memset(p, 0, sizeof(*p));
}

void pk_kernel__release(struct pk_kernel *k)
{
	if (!k)
		return;
	free(k->distro);
	free(k->suite);
	free(k->os_id);
	free(k->version_id);
	free(k->machine);
	free(k->uname_r);
	free(k->flavor);
	free(k->target);
	free(k->kernelrelease);
	free(k->kernelversion);
	pk_pkg__release(&k->image);
	for (size_t i = 0; i < k->nr_headers; i++)
		pk_pkg__release(&k->headers[i]);
	free(k->headers);
	free(k->headers_missing);
	free(k->config_pkg);
	free(k->config_path);
	memset(k, 0, sizeof(*k));
}

static void suite_release(struct pk_suite *s)
{
	free(s->distro);
	free(s->suite);
	free(s->url);
	free(s->reason);
}

void pk_catalog__free(struct pk_catalog *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->nr_kernels; i++)
		pk_kernel__release(&c->kernels[i]);
	for (size_t i = 0; i < c->nr_suites; i++)
		suite_release(&c->suites[i]);
	free(c->kernels);
	free(c->suites);
	free(c);
}

static int grow(void **arr, size_t *cap, size_t need, size_t elem)
{
	void *p;
	size_t n;

	if (need <= *cap)
		return 0;
	n = *cap ? *cap * 2 : 64;
	while (n < need)
		n *= 2;
	p = realloc(*arr, n * elem);
	if (!p)
		return -ENOMEM;
	*arr = p;
	*cap = n;
	return 0;
}

static bool same_key(const struct pk_kernel *a, const struct pk_kernel *b)
{
	return !strcmp(a->target, b->target) && !strcmp(a->kernelrelease, b->kernelrelease) &&
	       !strcmp(a->machine, b->machine);
}

int pk_catalog__add_kernel(struct pk_catalog *c, struct pk_kernel *k)
{
	if (!pk_path__component_ok(k->target) || !pk_path__component_ok(k->kernelrelease) || !pk_path__component_ok(k->kernelversion) ||
	    !pk_path__component_ok(k->uname_r) || !pk_path__component_ok(k->machine)) {
		pk_kernel__release(k);
		return -EBADMSG;
	}
	for (size_t i = 0; i < c->nr_kernels; i++) {
		if (same_key(&c->kernels[i], k)) {
			pk_kernel__release(k);
			return 0;
		}
	}
	if (grow((void **)&c->kernels, &c->cap_kernels, c->nr_kernels + 1, sizeof(*k))) {
		pk_kernel__release(k);
		return -ENOMEM;
	}
	c->kernels[c->nr_kernels++] = *k;
	memset(k, 0, sizeof(*k));
	return 0;
}

struct pk_suite *pk_catalog__add_suite(struct pk_catalog *c, const char *distro,
				       const char *suite, const char *url)
{
	struct pk_suite *s;

	if (grow((void **)&c->suites, &c->cap_suites, c->nr_suites + 1, sizeof(*s)))
		return NULL;
	s = &c->suites[c->nr_suites];
	memset(s, 0, sizeof(*s));
	s->distro = strdup(distro);
	s->suite = strdup(suite);
	s->url = strdup(url ? url : "");
	s->valid_until = -1;
	if (!s->distro || !s->suite || !s->url) {
		suite_release(s);
		return NULL;
	}
	c->nr_suites++;
	return s;
}

size_t pk_catalog__nr_kernels(const struct pk_catalog *c)
{
	return c->nr_kernels;
}

const struct pk_kernel *pk_catalog__kernel(const struct pk_catalog *c, size_t i)
{
	return i < c->nr_kernels ? &c->kernels[i] : NULL;
}

size_t pk_catalog__nr_suites(const struct pk_catalog *c)
{
	return c->nr_suites;
}

const struct pk_suite *pk_catalog__suite(const struct pk_catalog *c, size_t i)
{
	return i < c->nr_suites ? &c->suites[i] : NULL;
}

size_t pk_catalog__nr_errors(const struct pk_catalog *c)
{
	size_t n = 0;

	for (size_t i = 0; i < c->nr_suites; i++)
		n += c->suites[i].state == PK_SUITE_ERROR;
	return n;
}

const struct pk_kernel *pk_catalog__find(const struct pk_catalog *c, const char *key)
{
	const char *colon = strchr(key, ':');
	size_t tlen;

	if (!colon)
		return NULL;
	tlen = colon - key;
	for (size_t i = 0; i < c->nr_kernels; i++) {
		const struct pk_kernel *k = &c->kernels[i];

		if (strlen(k->target) == tlen && !strncmp(k->target, key, tlen) &&
		    !strcmp(k->kernelrelease, colon + 1))
			return k;
	}
	return NULL;
}

/* the suite's position in arrival order: the back-ends add a distribution's
 * suites oldest release first, main suite before its updates */
static size_t suite_rank(const struct pk_catalog *c, const struct pk_kernel *k)
{
	for (size_t i = 0; i < c->nr_suites; i++)
		if (!strcmp(c->suites[i].distro, k->distro) && !strcmp(c->suites[i].suite, k->suite))
			return i;
	return c->nr_suites;
}

static const struct pk_catalog *sort_cat;

static int kernel_cmp(const void *pa, const void *pb)
{
	const struct pk_kernel *a = pa, *b = pb;
	size_t ra = suite_rank(sort_cat, a), rb = suite_rank(sort_cat, b);
	int r;

	if (ra != rb)
		return ra < rb ? -1 : 1;
	r = pk_debver__cmp(a->kernelrelease, b->kernelrelease);
	if (r)
		return r;
	r = strcmp(a->target, b->target);
	return r ? r : strcmp(a->machine, b->machine);
}

void pk_catalog__sort(struct pk_catalog *c)
{
	/* qsort has no context argument in C11; the catalog is sorted by one
	 * thread, after the crawl */
	sort_cat = c;
	if (c->nr_kernels)
		qsort(c->kernels, c->nr_kernels, sizeof(c->kernels[0]), kernel_cmp);
	sort_cat = NULL;
}

static void write_pkg(struct pk_json *j, const struct pk_pkg *p)
{
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "name", p->name);
	pk_json__kv_str(j, "version", p->version);
	pk_json__kv_str(j, "arch", p->arch);
	pk_json__kv_str(j, "url", p->url);
	pk_json__kv_uint(j, "size", p->size);
	pk_json__kv_str(j, "sha256", p->sha256[0] ? p->sha256 : NULL);
	pk_json__kv_str(j, "suite", p->suite);
	pk_json__obj_end(j);
}

static const char *state_name(enum pk_suite_state s)
{
	switch (s) {
	case PK_SUITE_OK: return "ok";
	case PK_SUITE_EXPIRED_ACCEPTED: return "expired-accepted";
	case PK_SUITE_ABSENT: return "absent";
	case PK_SUITE_ERROR: return "error";
	}
	return "?";
}

void pk_catalog__write_json(const struct pk_catalog *c, struct pk_json *j)
{
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "schema", "probekit-kernels/1");
	pk_json__kv_uint(j, "nr_kernels", c->nr_kernels);
	pk_json__kv_uint(j, "nr_errors", pk_catalog__nr_errors(c));
	pk_json__key(j, "suites");
	pk_json__arr_begin(j);
	for (size_t i = 0; i < c->nr_suites; i++) {
		const struct pk_suite *s = &c->suites[i];

		pk_json__obj_begin(j);
		pk_json__kv_str(j, "distro", s->distro);
		pk_json__kv_str(j, "suite", s->suite);
		pk_json__kv_str(j, "url", s->url);
		pk_json__kv_str(j, "state", state_name(s->state));
		if (s->state == PK_SUITE_ERROR)
			pk_json__kv_int(j, "errno", -s->error);
		pk_json__kv_str(j, "reason", s->reason);
		pk_json__kv_uint(j, "nr_kernels", s->nr_kernels);
		pk_json__kv_bool(j, "unchanged", s->unchanged);
		if (s->valid_until >= 0)
			pk_json__kv_int(j, "valid_until", s->valid_until);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
	pk_json__key(j, "kernels");
	pk_json__arr_begin(j);
	for (size_t i = 0; i < c->nr_kernels; i++) {
		const struct pk_kernel *k = &c->kernels[i];

		pk_json__obj_begin(j);
		pk_json__kv_str(j, "distro", k->distro);
		pk_json__kv_str(j, "suite", k->suite);
		pk_json__kv_str(j, "os_id", k->os_id);
		pk_json__kv_str(j, "version_id", k->version_id);
		pk_json__kv_str(j, "machine", k->machine);
		pk_json__kv_str(j, "uname_r", k->uname_r);
		pk_json__kv_str(j, "flavor", k->flavor);
		pk_json__kv_str(j, "target", k->target);
		pk_json__kv_str(j, "kernelrelease", k->kernelrelease);
		pk_json__kv_str(j, "kernelversion", k->kernelversion);
		pk_json__key(j, "key");
		{
			char key[512];

			snprintf(key, sizeof(key), "%s:%s", k->target, k->kernelrelease);
			pk_json__str(j, key);
		}
		pk_json__key(j, "image");
		write_pkg(j, &k->image);
		pk_json__key(j, "headers");
		pk_json__arr_begin(j);
		for (size_t h = 0; h < k->nr_headers; h++)
			write_pkg(j, &k->headers[h]);
		pk_json__arr_end(j);
		pk_json__kv_str(j, "headers_missing", k->headers_missing);
		pk_json__key(j, "config");
		pk_json__obj_begin(j);
		pk_json__kv_str(j, "package", k->config_pkg);
		pk_json__kv_str(j, "path", k->config_path);
		pk_json__obj_end(j);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
	pk_json__obj_end(j);
}

/* kernel-crawler's distribution keys (its DISTROS table); a back-end without one
 * in kernel-crawler keeps its own name */
static const struct {
	const char *distro, *crawler;
} crawler_names[] = {
	{ "debian", "Debian" },
	{ "ubuntu", "Ubuntu" },
	{ "centos", "CentOS" },
	{ "rocky", "RockyLinux" },
	{ "almalinux", "AlmaLinux" },
	{ "fedora", "Fedora" },
	{ "amazonlinux2", "AmazonLinux2" },
	{ "amazonlinux2023", "AmazonLinux2023" },
};

const char *pk_distro__crawler_name(const char *distro)
{
	for (size_t i = 0; i < PK_ARRAY_SIZE(crawler_names); i++)
		if (!strcmp(crawler_names[i].distro, distro))
			return crawler_names[i].crawler;
	return distro;
}

void pk_catalog__write_kernel_crawler(const struct pk_catalog *c, struct pk_json *j)
{
	/* grouped by distribution in order of first appearance */
	const char *done[64];
	size_t nr_done = 0;

	pk_json__obj_begin(j);
	for (size_t i = 0; i < c->nr_kernels; i++) {
		const char *d = c->kernels[i].distro;
		bool seen = false;

		for (size_t n = 0; n < nr_done; n++)
			seen |= !strcmp(done[n], d);
		if (seen || nr_done == PK_ARRAY_SIZE(done))
			continue;
		done[nr_done++] = d;
		pk_json__key(j, pk_distro__crawler_name(d));
		pk_json__arr_begin(j);
		for (size_t m = i; m < c->nr_kernels; m++) {
			const struct pk_kernel *k = &c->kernels[m];

			if (strcmp(k->distro, d) || !k->nr_headers || k->headers_missing)
				continue;
			pk_json__obj_begin(j);
			pk_json__kv_str(j, "kernelrelease", k->kernelrelease);
			pk_json__kv_str(j, "kernelversion", k->kernelversion);
			pk_json__kv_str(j, "target", k->target);
			pk_json__key(j, "headers");
			pk_json__arr_begin(j);
			for (size_t h = 0; h < k->nr_headers; h++)
				pk_json__str(j, k->headers[h].url);
			pk_json__arr_end(j);
			pk_json__obj_end(j);
		}
		pk_json__arr_end(j);
	}
	pk_json__obj_end(j);
}
