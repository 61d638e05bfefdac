/* The RPM family's back-end (CentOS Stream, Rocky, Alma, Fedora, Amazon Linux 2 and
 * 2023): for each release and repository, repodata/repomd.xml, then the primary
 * index it names, checked against repomd's SHA256 and size before it is
 * decompressed and read (rpm_md.h); kernel, kernel-core and kernel-devel of each
 * version-release.arch become one catalog entry. Amazon Linux's repositories are
 * found through their mirror.list. These repositories sign packages, not repomd.xml,
 * and probekit does not check RPM package signatures (yet): the primary index is
 * trusted as far as the transport is (use an https mirror), each package only
 * against the SHA256 that index gives. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf/decompress.h"
#include "fetch/http.h"
#include "kernels/crawl.h"
#include "common/sha256.h"
#include "kernels/rpm_md.h"

#define REPOMD_MAX_BYTES (16u << 20)
#define PRIMARY_MAX_BYTES (2048ull << 20)

struct rpmpkg {
	char *name, *arch, *version, *release, *url, *sha256;
	uint32_t epoch;
	uint64_t size;
	size_t suite;		/* catalog suite index */
};

struct rcrawl {
	const struct pk_distro *d;
	const struct pk_crawl_opts *opts;
	struct pk_catalog *cat;
	const char *machine;
	struct rpmpkg *pkgs;
	size_t nr_pkgs, cap;
	/* while parsing one repository */
	const char *repo_url;
	size_t suite_idx;
	int err;
};

/* kernel, kernel-core, kernel-devel, and the series kernel-crawler also lists:
 * kernel-ml, kernel-lt, kernel-uek, Amazon's kernel6.12 */
static bool kernel_base(const char *name, size_t *base_len)
{
	static const char *const bases[] = { "kernel-ml", "kernel-lt", "kernel-uek", "kernel" };
	static const char *const parts[] = { "", "-core", "-devel" };

	for (size_t b = 0; b < PK_ARRAY_SIZE(bases); b++) {
		size_t n = strlen(bases[b]);

		if (strncmp(name, bases[b], n))
			continue;
		/* kernel6.12: a version right after "kernel" */
		if (b == 3)
			while ((name[n] >= '0' && name[n] <= '9') || (name[n] == '.' && n > 6))
				n++;
		for (size_t p = 0; p < PK_ARRAY_SIZE(parts); p++)
			if (!strcmp(name + n, parts[p])) {
				*base_len = n;
				return true;
			}
	}
	return false;
}

static bool filter(const char *name, void *ctx)
{
	size_t n;

	return kernel_base(name, &n);
}

/* base + href with "." and ".." segments resolved (Amazon's hrefs climb into a
 * blobstore: "../../../../blobstore/<sha>/kernel.rpm") */
static char *resolve_url(const char *base, const char *href)
{
	const char *scheme = strstr(base, "://");
	size_t root, bl = strlen(base), hl = strlen(href);
	char *out = malloc(bl + hl + 2), *p;

	if (!out || !scheme)
		return free(out), NULL;
	root = (size_t)(strchr(scheme + 3, '/') ? strchr(scheme + 3, '/') - base : (long)bl);
	memcpy(out, base, bl);
	while (bl > root && out[bl - 1] == '/')
		bl--;
	out[bl] = 0;
	p = (char *)href;
	while (*p) {
		size_t n = strcspn(p, "/");

		if (n == 1 && p[0] == '.') {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash = strrchr(out + root, '/');

			if (slash)
				*slash = 0;
			else
				out[root] = 0;
		} else if (n) {
			size_t l = strlen(out);

			out[l] = '/';
			memcpy(out + l + 1, p, n);
			out[l + 1 + n] = 0;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return out;
}

static int emit(const struct pk_rpm_package *p, void *ctx)
{
	struct rcrawl *c = ctx;
	struct rpmpkg k = { 0 };
	char *url;

	if (strcmp(p->arch, c->machine) && strcmp(p->arch, "noarch"))
		return 0;
	/* RPM forbids '/' in a version or release; these become file names */
	if (strchr(p->version, '/') || strchr(p->release, '/') || strchr(p->arch, '/'))
		return 0;
	url = resolve_url(p->location_base[0] ? p->location_base : c->repo_url, p->location);
	k.name = strdup(p->name);
	k.arch = strdup(p->arch);
	k.version = strdup(p->version);
	k.release = strdup(p->release);
	k.url = url;
	k.sha256 = strdup(!strcmp(p->checksum.type, "sha256") ? p->checksum.value : "");
	k.epoch = p->epoch;
	k.size = p->size_package;
	k.suite = c->suite_idx;
	if (!k.name || !k.arch || !k.version || !k.release || !k.url || !k.sha256)
		goto nomem;
	if (c->nr_pkgs == c->cap) {
		size_t n = c->cap ? c->cap * 2 : 256;
		struct rpmpkg *v = realloc(c->pkgs, n * sizeof(*v));

		if (!v)
			goto nomem;
		c->pkgs = v;
		c->cap = n;
	}
	c->pkgs[c->nr_pkgs++] = k;
	return 0;
nomem:
	free(k.name), free(k.arch), free(k.version), free(k.release), free(k.url), free(k.sha256);
	return -ENOMEM;
}

static void rpmpkg_release(struct rpmpkg *p)
{
	free(p->name), free(p->arch), free(p->version), free(p->release), free(p->url), free(p->sha256);
}

/* one repository at repo_url (no trailing '/'); 0, *absent on a 404 of repomd.xml */
static int crawl_repo(struct rcrawl *c, const char *repo_url, bool *absent, struct pk_error *err)
{
	struct pk_http_body md = { 0 }, prim = { 0 };
	struct pk_repomd *repomd = NULL;
	const struct pk_repomd_data *pd;
	char url[4096], got[65];
	void *xml = NULL;
	size_t xml_len, before = c->nr_pkgs;
	enum pk_comp comp;
	int r;

	*absent = false;
	snprintf(url, sizeof(url), "%s/repodata/repomd.xml", repo_url);
	{
		PK_HTTP_GET_OPTS(go, .max_bytes = REPOMD_MAX_BYTES, .conditional = true, .label = "repomd.xml");

		r = pk_http__get(c->opts->http, url, &go, &md, err);
	}
	if (r == -ENOENT) {
		*absent = true;
		return 0;
	}
	if (r)
		return r;
	r = pk_repomd__parse(md.data, md.len, &repomd, err);
	if (r) {
		pk_error__set(err, r, "%s: %s", url, pk_error__str(err));
		goto out;
	}
	pd = pk_repomd__find(repomd, "primary");
	if (!pd) {
		r = pk_error__set(err, -EBADMSG, "%s lists no primary index", url);
		goto out;
	}
	if (strcmp(pd->checksum.type, "sha256") || pd->size < 0) {
		r = pk_error__set(err, -EBADMSG, "%s gives the primary index no SHA256 and size (%s)",
				  url, pd->checksum.type[0] ? pd->checksum.type : "none");
		goto out;
	}
	{
		char *purl = resolve_url(repo_url, pd->location);
		PK_HTTP_GET_OPTS(go, .max_bytes = pd->size ? (uint64_t)pd->size : 1, .conditional = true,
				 .label = "primary");

		if (!purl) {
			r = -ENOMEM;
			goto out;
		}
		snprintf(url, sizeof(url), "%s", purl);
		free(purl);
		r = pk_http__get(c->opts->http, url, &go, &prim, err);
		if (r == -EFBIG)
			r = pk_error__set(err, -EBADMSG,
					  "%s does not match repomd.xml: larger than the %lld bytes listed",
					  url, (long long)pd->size);
		if (r)
			goto out;
	}
	r = pk_sha256__hex(prim.data, prim.len, got);
	if (r)
		goto out;
	if ((uint64_t)prim.len != (uint64_t)pd->size || strcmp(got, pd->checksum.value)) {
		r = pk_error__set(err, -EBADMSG,
				  "%s does not match repomd.xml (got %zu bytes, SHA256 %s; want %lld bytes, %s)",
				  url, prim.len, got, (long long)pd->size, pd->checksum.value);
		goto out;
	}
	comp = pk_comp__detect(prim.data, prim.len);
	if (comp != PK_COMP_NONE) {
		r = pk_comp__decompress(comp, prim.data, prim.len, &xml, &xml_len, PRIMARY_MAX_BYTES, err);
		if (r) {
			pk_error__set(err, r, "%s: %s", url, pk_error__str(err));
			goto out;
		}
	}
	{
		PK_RPM_PRIMARY_OPTS(po, .filter = filter, .emit = emit, .emit_ctx = c);

		c->repo_url = repo_url;
		r = pk_rpm_primary__parse(xml ? xml : prim.data, xml ? xml_len : prim.len, &po, NULL, err);
		if (r && r != -ENOMEM)
			pk_error__set(err, r, "%s: %s", url, pk_error__str(err));
	}
out:
	if (r) {
		/* what a failed parse emitted belongs to a document that failed */
		for (size_t i = before; i < c->nr_pkgs; i++)
			rpmpkg_release(&c->pkgs[i]);
		c->nr_pkgs = before;
	}
	free(xml);
	pk_repomd__free(repomd);
	pk_http_body__release(&md);
	pk_http_body__release(&prim);
	return r;
}

/* "%s" -> release, "%a" -> machine */
static void expand(char *out, size_t len, const char *tmpl, const char *release, const char *machine)
{
	size_t o = 0;

	for (const char *t = tmpl; *t && o + 1 < len; t++) {
		const char *sub = NULL;

		if (t[0] == '%' && t[1] == 's')
			sub = release;
		else if (t[0] == '%' && t[1] == 'a')
			sub = machine;
		if (sub) {
			o += snprintf(out + o, len - o, "%s", sub);
			if (o >= len)
				o = len - 1;
			t++;
		} else {
			out[o++] = *t;
		}
	}
	out[o] = 0;
}

static const char *target_of(const struct pk_distro *d)
{
	/* falcoctl: amzn -> amazonlinux2 / amazonlinux2023; others: the os-release ID */
	return d->name;
}

static int build_kernels(struct rcrawl *c)
{
	for (size_t i = 0; i < c->nr_pkgs; i++) {
		const struct rpmpkg *p = &c->pkgs[i];
		const struct rpmpkg *core = NULL, *devel = NULL;
		struct pk_kernel k = { 0 };
		char uname_r[256], name[512];
		size_t bl;
		const struct pk_suite *s = pk_catalog__suite(c->cat, p->suite);
		int r;

		/* one entry per kernel package "<base>" */
		if (!kernel_base(p->name, &bl) || p->name[bl] || !strcmp(p->arch, "noarch"))
			continue;
		snprintf(uname_r, sizeof(uname_r), "%.80s-%.80s.%.40s", p->version, p->release, p->arch);
		for (size_t j = 0; j < c->nr_pkgs; j++) {
			const struct rpmpkg *q = &c->pkgs[j];

			if (strncmp(q->name, p->name, bl) || strcmp(q->version, p->version) ||
			    strcmp(q->release, p->release) || strcmp(q->arch, p->arch))
				continue;
			if (!strcmp(q->name + bl, "-core") && !core)
				core = q;
			else if (!strcmp(q->name + bl, "-devel") && !devel)
				devel = q;
		}
		if (!core)
			core = p;	/* before EL8 and on Amazon Linux, "kernel" holds the image */
		k.distro = strdup(c->d->name);
		k.suite = strdup(s->suite);
		k.os_id = strdup(c->d->os_id);
		{
			/* the release's leading digits: "9-stream" -> "9" */
			const char *rel = s->suite;

			k.version_id = strndup(rel, strspn(rel, "0123456789") ?: strcspn(rel, "/"));
		}
		k.machine = strdup(c->machine);
		k.uname_r = strdup(uname_r);
		k.flavor = strndup(p->name, bl);
		k.target = strdup(target_of(c->d));
		k.kernelrelease = strdup(uname_r);
		k.kernelversion = strdup("1");
		k.image.name = strdup(core->name);
		if (core->epoch)
			snprintf(name, sizeof(name), "%u:%s-%s", core->epoch, core->version, core->release);
		else
			snprintf(name, sizeof(name), "%s-%s", core->version, core->release);
		k.image.version = strdup(name);
		k.image.arch = strdup(core->arch);
		k.image.url = strdup(core->url);
		k.image.suite = strdup(pk_catalog__suite(c->cat, core->suite)->suite);
		k.image.size = core->size;
		snprintf(k.image.sha256, sizeof(k.image.sha256), "%s", core->sha256);
		if (devel) {
			k.headers = calloc(1, sizeof(*k.headers));
			if (k.headers) {
				k.nr_headers = 1;
				k.headers[0].name = strdup(devel->name);
				k.headers[0].version = strdup(name);
				k.headers[0].arch = strdup(devel->arch);
				k.headers[0].url = strdup(devel->url);
				k.headers[0].suite = strdup(pk_catalog__suite(c->cat, devel->suite)->suite);
				k.headers[0].size = devel->size;
				snprintf(k.headers[0].sha256, 65, "%s", devel->sha256);
			}
			snprintf(name, sizeof(name), "usr/src/kernels/%s/.config", uname_r);
			k.config_pkg = strdup(devel->name);
		} else {
			snprintf(name, sizeof(name), "%s-devel %s-%s not in any repository",
				 k.flavor ? k.flavor : "kernel", p->version, p->release);
			k.headers_missing = strdup(name);
			snprintf(name, sizeof(name), "lib/modules/%s/config", uname_r);
			k.config_pkg = strdup(core->name);
		}
		k.config_path = strdup(name);
		if (!k.distro || !k.suite || !k.os_id || !k.version_id || !k.machine || !k.uname_r ||
		    !k.flavor || !k.target || !k.kernelrelease || !k.kernelversion || !k.image.name ||
		    !k.image.url || !k.config_pkg || !k.config_path || (devel && !k.headers)) {
			pk_kernel__release(&k);
			return -ENOMEM;
		}
		{
			size_t n = pk_catalog__nr_kernels(c->cat);

			r = pk_catalog__add_kernel(c->cat, &k);
			if (r == -EBADMSG)
				continue;	/* a version that cannot be a path (a '/', "..") */
			if (r)
				return r;
			if (pk_catalog__nr_kernels(c->cat) > n)
				((struct pk_suite *)s)->nr_kernels++;
		}
	}
	return 0;
}

int pk_crawl__rpm(const struct pk_distro *d, const char *mirror, const char *const *suites,
		  size_t nr_suites, const struct pk_crawl_opts *opts, struct pk_catalog *cat,
		  struct pk_error *err)
{
	struct rcrawl c = { .d = d, .opts = opts, .cat = cat };
	const char *arch = PK_OPTS_GET(opts, arch, NULL) ?: "amd64";
	bool named = nr_suites > 0;
	int r = 0;

	c.machine = pk_arch__machine(arch);
	if (!named) {
		suites = d->suites;
		for (nr_suites = 0; suites && suites[nr_suites]; nr_suites++)
			;
	}
	size_t first_of_all = pk_catalog__nr_suites(cat), answered = 0;

	for (size_t s = 0; s < nr_suites; s++) {
		size_t found = 0, first_suite = pk_catalog__nr_suites(cat);

		for (size_t t = 0; d->repos[t]; t++) {
			char path[1024], url[4096], name[512];
			struct pk_error e = { 0 };
			struct pk_suite *res;
			bool absent = false;
			char *repo = NULL;

			expand(path, sizeof(path), d->repos[t], suites[s], c.machine);
			snprintf(url, sizeof(url), "%s/%s", mirror, path);
			/* the suite is the release plus the repository's name */
			snprintf(name, sizeof(name), "%s/%s", suites[s],
				 strstr(d->repos[t], "BaseOS") ? "BaseOS" :
				 strstr(d->repos[t], "AppStream") ? "AppStream" :
				 strstr(d->repos[t], "updates") ? "updates" :
				 strstr(d->repos[t], "releases") ? "releases" :
				 strstr(d->repos[t], "kernel-5.10") ? "kernel-5.10" : "core");
			res = pk_catalog__add_suite(cat, d->name, name, url);
			if (!res)
				return -ENOMEM;
			c.suite_idx = pk_catalog__nr_suites(cat) - 1;
			if (d->mirror_list) {
				/* Amazon: the file names the repository */
				PK_HTTP_GET_OPTS(go, .max_bytes = 1 << 20, .label = "mirror.list");
				struct pk_http_body ml = { 0 };

				r = pk_http__get(opts->http, url, &go, &ml, &e);
				if (!r) {
					r = pk_mirrorlist__first(ml.data, ml.len, &repo, &e);
					if (r)
						pk_error__set(&e, r, "%s: %s", url, pk_error__str(&e));
				} else if (r == -ENOENT) {
					absent = true;
					r = 0;
				}
				pk_http_body__release(&ml);
				if (repo) {
					size_t l = strlen(repo);

					while (l && repo[l - 1] == '/')
						repo[--l] = 0;
				}
			} else {
				repo = strdup(url);
				if (!repo)
					return -ENOMEM;
			}
			if (!r && repo)
				r = crawl_repo(&c, repo, &absent, &e);
			free(repo);
			res = (struct pk_suite *)pk_catalog__suite(cat, c.suite_idx);
			if (r == -ENOMEM)
				return r;
			if (r) {
				res->state = PK_SUITE_ERROR;
				res->error = r;
				res->reason = strdup(pk_error__str(&e));
			} else if (absent) {
				res->state = PK_SUITE_ABSENT;
			} else {
				found++;
			}
			answered += res->state != PK_SUITE_ABSENT;
			r = 0;
		}
		/* a release named on the command line that no repository serves */
		if (named && !found) {
			struct pk_suite *res = (struct pk_suite *)pk_catalog__suite(cat, first_suite);
			struct pk_error e = { 0 };

			if (res->state == PK_SUITE_ABSENT) {
				pk_error__set(&e, -ENOENT, "%s: release %s is not served (HTTP 404)", res->url,
					      suites[s]);
				res->state = PK_SUITE_ERROR;
				res->error = -ENOENT;
				res->reason = strdup(pk_error__str(&e));
			}
		}
	}
	/* a mirror that serves none of it is wrong, not empty */
	if (!answered && pk_catalog__nr_suites(cat) > first_of_all) {
		struct pk_suite *res = (struct pk_suite *)pk_catalog__suite(cat, first_of_all);
		struct pk_error e = { 0 };

		pk_error__set(&e, -ENOENT, "%s serves no %s repository (every one asked for answered 404)",
			      mirror, d->name);
		res->state = PK_SUITE_ERROR;
		res->error = -ENOENT;
		free(res->reason);
		res->reason = strdup(pk_error__str(&e));
	}
	r = build_kernels(&c);
	for (size_t i = 0; i < c.nr_pkgs; i++)
		rpmpkg_release(&c.pkgs[i]);
	free(c.pkgs);
	return r;
}
