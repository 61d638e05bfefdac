/* The .deb family's back-end (Debian, Ubuntu): for each suite, InRelease (signature
 * checked with gpgv, Suite/Codename and Valid-Until checked), then each component's
 * Packages index checked against the SHA256 InRelease lists, keeping the kernel
 * stanzas; then every linux-image package becomes a catalog entry with its headers
 * packages, dependencies resolved across all suites as kernel-crawler does.
 * A suite whose InRelease is unchanged is read from the per-suite cache: a crawl
 * with nothing new downloads a few small InRelease answers (304) and nothing else. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "btf/decompress.h"
#include "fetch/http.h"
#include "kernels/crawl.h"
#include "kernels/deb822.h"
#include "common/sha256.h"
#include "kernels/release.h"
#include "kernels/version.h"

/* the biggest Packages index (bookworm main amd64) is 45 MiB uncompressed */
#define PACKAGES_MAX_BYTES (512u << 20)
/* bumped whenever the stanzas kept change: an older cache is read again from the mirror */
#define CACHE_MAGIC "probekit-suite-cache/2"

struct debpkg {
	char *name, *version, *arch, *filename, *sha256, *depends, *source;
	uint64_t size;
	size_t suite;		/* index into crawl.suites */
};

struct suite_info {
	char *name;		/* as requested: bookworm-security */
	char *base;		/* mirror URL it came from */
	char *alias;		/* the alias that named it ("stable"), or NULL */
	char *codename;		/* bookworm */
	char *version;		/* Release Version: "12.12", "22.04", "" */
	size_t res_idx;		/* its entry in the catalog */
};

struct crawl {
	const struct pk_distro *d;
	const struct pk_crawl_opts *opts;
	struct pk_catalog *cat;
	const char *arch;
	struct debpkg *pkgs;
	size_t nr_pkgs, cap_pkgs;
	struct suite_info *suites;
	size_t nr_suites;
};

static bool is_kernel_pkg(const char *name, size_t len)
{
	/* linux-binary-: since 7.x Debian's linux-image-<uname -r> depends on it
	 * for the image itself */
	static const char *const prefixes[] = { "linux-image-", "linux-headers-", "linux-kbuild-",
						"linux-modules-", "linux-binary-" };

	for (size_t i = 0; i < PK_ARRAY_SIZE(prefixes); i++) {
		size_t n = strlen(prefixes[i]);

		if (len > n && !memcmp(name, prefixes[i], n))
			return true;
	}
	/* Ubuntu's flavor header trees: linux-aws-headers-6.5.0-1014 */
	return len > 6 && !memcmp(name, "linux-", 6) && memmem(name, len, "-headers-", 9);
}

static char *field(const struct pk_deb822_para *p, const char *name)
{
	const char *v;
	size_t l;

	if (pk_deb822_para__get(p, name, &v, &l))
		return NULL;
	return strndup(v, l);
}

static void debpkg_release(struct debpkg *p)
{
	free(p->name);
	free(p->version);
	free(p->arch);
	free(p->filename);
	free(p->sha256);
	free(p->depends);
	free(p->source);
}


/*
 * Reads the kernel stanzas of one Packages text into c->pkgs; with keep, also
 * appends each kept stanza verbatim to *keep (for the suite cache). A kernel
 * stanza without Package, Version, Architecture, Filename, Size or a valid SHA256
 * is corrupt: the index is refused, as apt would refuse it.
 */
static int read_packages(struct crawl *c, size_t suite, const char *text, size_t len,
			 const char *what, char **keep, size_t *keep_len, struct pk_error *err)
{
	struct pk_deb822 *d = pk_deb822__new(text, len);
	const struct pk_deb822_para *p;
	int r;

	if (!d)
		return -ENOMEM;
	while ((r = pk_deb822__next_paragraph(d, &p, err)) == 1) {
		const char *name, *size;
		size_t nl, sl;
		struct debpkg k = { 0 };
		char *end;

		if (pk_deb822_para__get(p, "Package", &name, &nl) || !is_kernel_pkg(name, nl))
			continue;
		k.name = strndup(name, nl);
		k.version = field(p, "Version");
		k.arch = field(p, "Architecture");
		k.filename = field(p, "Filename");
		k.sha256 = field(p, "SHA256");
		k.depends = field(p, "Depends");
		k.source = field(p, "Source");
		k.suite = suite;
		if (!k.name) {
			r = -ENOMEM;
			debpkg_release(&k);
			break;
		}
		if (pk_deb822_para__get(p, "Size", &size, &sl) || !k.version || !k.arch ||
		    !k.filename || !pk_sha256__is_hex(k.sha256)) {
			r = pk_error__set(err, -EBADMSG,
					  "%s: line %lu: package '%s' lacks Version, Architecture, Filename, Size or a SHA256",
					  what, pk_deb822_para__line(p), k.name);
			debpkg_release(&k);
			break;
		}
		{
			char num[32];

			if (sl >= sizeof(num) || !sl) {
				r = -EBADMSG;
			} else {
				memcpy(num, size, sl);
				num[sl] = 0;
				errno = 0;
				k.size = strtoull(num, &end, 10);
				r = (errno || *end || num[0] == '-') ? -EBADMSG : 0;
			}
			if (r) {
				pk_error__set(err, r, "%s: line %lu: package '%s' has a bad Size",
					      what, pk_deb822_para__line(p), k.name);
				debpkg_release(&k);
				break;
			}
		}
		if (c->nr_pkgs == c->cap_pkgs) {
			size_t n = c->cap_pkgs ? 2 * c->cap_pkgs : 1024;
			struct debpkg *v = realloc(c->pkgs, n * sizeof(*v));

			if (!v) {
				debpkg_release(&k);
				r = -ENOMEM;
				break;
			}
			c->pkgs = v;
			c->cap_pkgs = n;
		}
		c->pkgs[c->nr_pkgs++] = k;
		if (keep) {
			/* rebuild the stanza from its fields (the reader gives fields, not
			 * the raw span); enough for the cache to read it back */
			for (size_t i = 0; i < pk_deb822_para__nfields(p); i++) {
				const char *fn, *fv;
				size_t fnl, fvl;
				char *nk;

				pk_deb822_para__field(p, i, &fn, &fnl, &fv, &fvl);
				nk = realloc(*keep, *keep_len + fnl + fvl + 4);
				if (!nk) {
					r = -ENOMEM;
					goto out;
				}
				*keep = nk;
				*keep_len += sprintf(nk + *keep_len, "%.*s: %.*s\n", (int)fnl, fn, (int)fvl, fv);
			}
			{
				char *nk = realloc(*keep, *keep_len + 2);

				if (!nk) {
					r = -ENOMEM;
					goto out;
				}
				*keep = nk;
				(*keep)[(*keep_len)++] = '\n';
				(*keep)[*keep_len] = 0;
			}
		}
	}
	if (r == -EBADMSG && !strstr(pk_error__str(err), what)) {
		struct pk_error inner = *err;

		pk_error__set(err, r, "%s: %s", what, pk_error__str(&inner));
	}
out:
	pk_deb822__free(d);
	return r < 0 ? r : 0;
}

static int cache_path(struct crawl *c, const char *suite, char *buf, size_t len)
{
	const char *dir = PK_OPTS_GET(c->opts, cache_dir, NULL);

	if (!dir)
		return -ENOENT;
	if (snprintf(buf, len, "%s/suites/%s_%s_%s.stanzas", dir, c->d->name, suite, c->arch) >= (int)len)
		return -ENAMETOOLONG;
	return 0;
}

/* The cache file: a first paragraph naming the InRelease it was made from, then
 * the kernel stanzas. Used only when that digest matches: a stale or damaged
 * cache is never trusted, only read again from the mirror. */
static bool cache_load(struct crawl *c, size_t suite, const char *digest)
{
	char path[4096], *data = NULL;
	size_t len, before = c->nr_pkgs;
	struct pk_error err = { 0 };
	const char *nl;
	char head[256];
	int n;

	if (cache_path(c, c->suites[suite].name, path, sizeof(path)) ||
	    pk_file__read(path, &data, &len, PACKAGES_MAX_BYTES))
		return false;
	n = snprintf(head, sizeof(head), "Probekit-Cache: %s\nInRelease-SHA256: %s\nComponents: %s\n\n",
		     CACHE_MAGIC, digest, c->d->components);
	nl = data;
	if (len < (size_t)n || memcmp(data, head, n) ||
	    read_packages(c, suite, nl + n, len - n, path, NULL, NULL, &err)) {
		for (size_t i = before; i < c->nr_pkgs; i++)
			debpkg_release(&c->pkgs[i]);
		c->nr_pkgs = before;
		free(data);
		return false;
	}
	free(data);
	return true;
}

static void cache_store(struct crawl *c, size_t suite, const char *digest, const char *stanzas,
			size_t len)
{
	char path[4096], head[256];
	char *buf;
	int n;

	if (cache_path(c, c->suites[suite].name, path, sizeof(path)))
		return;
	n = snprintf(head, sizeof(head), "Probekit-Cache: %s\nInRelease-SHA256: %s\nComponents: %s\n\n",
		     CACHE_MAGIC, digest, c->d->components);
	buf = malloc(n + len + 1);
	if (!buf)
		return;
	memcpy(buf, head, n);
	memcpy(buf + n, stanzas, len);
	/* a cache that cannot be written costs the next crawl time, nothing else */
	if (!pk_file__mkdirs(path, false))
		pk_file__write_atomic(path, buf, n + len);
	free(buf);
}

static void suite_fail(struct crawl *c, size_t i, int code, const struct pk_error *why)
{
	struct pk_suite *s = (struct pk_suite *)pk_catalog__suite(c->cat, c->suites[i].res_idx);

	s->state = PK_SUITE_ERROR;
	s->error = code;
	free(s->reason);
	s->reason = strdup(pk_error__str(why));
}

/* The index of one component: the compressed forms first (smaller), each checked
 * against its Release entry before it is decompressed */
static int fetch_component(struct crawl *c, size_t si, const struct pk_release *rel, const char *comp,
			   char **keep, size_t *keep_len, struct pk_error *err)
{
	static const struct {
		const char *suffix;
		enum pk_comp comp;
	} forms[] = { { ".xz", PK_COMP_XZ }, { ".gz", PK_COMP_GZIP }, { "", PK_COMP_NONE } };
	struct suite_info *s = &c->suites[si];

	for (size_t f = 0; f < PK_ARRAY_SIZE(forms); f++) {
		const struct pk_release_file *rf;
		struct pk_http_body body = { 0 };
		char rpath[256], url[4096];
		void *text = NULL;
		size_t text_len;
		int r;

		snprintf(rpath, sizeof(rpath), "%s/binary-%s/Packages%s", comp, c->arch, forms[f].suffix);
		rf = pk_release__find(rel, rpath);
		if (!rf)
			continue;
		snprintf(url, sizeof(url), "%s/dists/%s/%s", s->base, s->name, rpath);
		{
			/* max_bytes 0 would mean the default cap, not "empty" */
			PK_HTTP_GET_OPTS(go, .max_bytes = rf->size ? rf->size : 1, .conditional = true);
			char label[512];

			snprintf(label, sizeof(label), "%.200s %.200s", s->name, rpath);
			go.label = label;
			r = pk_http__get(c->opts->http, url, &go, &body, err);
		}
		if (r == -EFBIG)
			return pk_error__set(err, -EBADMSG,
					     "%s does not match its Release: larger than the %llu bytes listed",
					     url, (unsigned long long)rf->size);
		if (r)
			return r;
		r = pk_release__check_index(rel, rpath, body.data, body.len, err);
		if (r) {
			pk_http_body__release(&body);
			return pk_error__set(err, r, "%s: %s", url, pk_error__str(err));
		}
		if (forms[f].comp == PK_COMP_NONE) {
			text = body.data;
			text_len = body.len;
			body.data = NULL;
		} else {
			r = pk_comp__decompress(forms[f].comp, body.data, body.len, &text, &text_len,
						PACKAGES_MAX_BYTES, err);
			if (r) {
				pk_http_body__release(&body);
				return pk_error__set(err, r, "%s: %s", url, pk_error__str(err));
			}
		}
		pk_http_body__release(&body);
		r = read_packages(c, si, text, text_len, url, keep, keep_len, err);
		free(text);
		return r;
	}
	return pk_error__set(err, -ENOENT, "InRelease of %s lists no %s/binary-%s/Packages index",
			     s->name, comp, c->arch);
}

/* 0 when the suite was read (or is absent: *absent set), -errno with err when not */
static int crawl_suite(struct crawl *c, size_t si, bool derived, bool *absent, struct pk_error *err)
{
	struct suite_info *s = &c->suites[si];
	struct pk_http_body body = { 0 };
	struct pk_release *rel = NULL;
	char url[4096], digest[65], *text = NULL, *keep = NULL;
	size_t text_len, keep_len = 0;
	bool expired = false, from_cache;
	int64_t now = PK_OPTS_GET(c->opts, now, 0) ?: (int64_t)time(NULL);
	struct pk_suite *res;
	int r;

	*absent = false;
	snprintf(url, sizeof(url), "%s/dists/%s/InRelease", s->base, s->name);
	{
		PK_HTTP_GET_OPTS(go, .max_bytes = PK_RELEASE_MAX_BYTES, .conditional = true);
		char label[256];

		snprintf(label, sizeof(label), "%s InRelease", s->name);
		go.label = label;
		r = pk_http__get(c->opts->http, url, &go, &body, err);
	}
	res = (struct pk_suite *)pk_catalog__suite(c->cat, s->res_idx);
	if (r == -ENOENT && derived) {
		*absent = true;
		return 0;
	}
	if (r)
		return r;
	{
		PK_INRELEASE_OPTS(vo, .keyring = PK_OPTS_GET(c->opts, keyring, NULL) ?: c->d->keyring,
				  .gpgv = PK_OPTS_GET(c->opts, gpgv, NULL));

		r = pk_inrelease__verify_mem(body.data, body.len, url, &vo, &text, &text_len, err);
	}
	if (r)
		goto out;
	r = pk_sha256__hex(text, text_len, digest);
	if (r) {
		pk_error__set(err, r, "cannot compute SHA256");
		goto out;
	}
	r = pk_release__parse(text, text_len, &rel, err);
	if (r) {
		pk_error__set(err, r, "%s: %s", url, pk_error__str(err));
		goto out;
	}
	/* apt's check against a mirror serving one suite's signed index for another */
	if (strcmp(pk_release__suite(rel), s->name) && strcmp(pk_release__codename(rel), s->name)) {
		r = pk_error__set(err, -EBADMSG, "%s is signed for suite '%s' (codename '%s'), not '%s'",
				  url, pk_release__suite(rel), pk_release__codename(rel), s->name);
		goto out;
	}
	/* the alias that named this codename, unsigned, must be what the signed
	 * Release says it is: a mirror cannot hide a release behind another's name */
	if (s->alias && strcmp(pk_release__suite(rel), s->alias)) {
		r = pk_error__set(err, -EBADMSG,
				  "the mirror's %s alias names %s, but %s's signed Release says it is '%s'",
				  s->alias, s->name, s->name, pk_release__suite(rel));
		goto out;
	}
	{
		PK_RELEASE_CHECK_OPTS(co, .allow_expired = PK_OPTS_GET(c->opts, allow_expired, false));

		r = pk_release__check_valid(rel, now, &co, &expired, err);
		res->valid_until = pk_release__valid_until(rel);
		if (r)
			goto out;
	}
	if (expired) {
		char why[PK_ERROR_MSG_LEN];
		struct pk_error e = { 0 };
		time_t vu = pk_release__valid_until(rel);
		struct tm tm;

		gmtime_r(&vu, &tm);
		strftime(why, sizeof(why), "%Y-%m-%dT%H:%M:%SZ", &tm);
		pk_error__set(&e, 0, "Release for %s expired at %s; read anyway (--allow-expired)",
			      s->name, why);
		res->state = PK_SUITE_EXPIRED_ACCEPTED;
		res->reason = strdup(pk_error__str(&e));
	}
	{
		const char *cn = pk_release__codename(rel);
		size_t cl = strcspn(cn, "-");

		s->codename = strndup(cn, cl);
		s->version = strdup(pk_release__version(rel));
		if (!s->codename || !s->version) {
			r = -ENOMEM;
			goto out;
		}
	}
	/* a mirror that sends no ETag or Last-Modified still answers the same
	 * InRelease when nothing changed: that is "unchanged" too */
	from_cache = cache_load(c, si, digest);
	res = (struct pk_suite *)pk_catalog__suite(c->cat, s->res_idx);
	/* unchanged: nothing was fetched but InRelease (a 304 alone would not say
	 * that the indexes were not fetched again) */
	res->unchanged = from_cache;
	if (!from_cache) {
		size_t before = c->nr_pkgs;
		const char *comps = c->d->components;

		while (*comps) {
			size_t n = strcspn(comps, " ");
			char comp[64];

			snprintf(comp, sizeof(comp), "%.*s", (int)n, comps);
			r = fetch_component(c, si, rel, comp, &keep, &keep_len, err);
			if (r) {
				for (size_t i = before; i < c->nr_pkgs; i++)
					debpkg_release(&c->pkgs[i]);
				c->nr_pkgs = before;
				goto out;
			}
			comps += n;
			comps += strspn(comps, " ");
		}
		cache_store(c, si, digest, keep ? keep : "", keep_len);
	}
out:
	free(keep);
	free(text);
	pk_release__free(rel);
	pk_http_body__release(&body);
	return r;
}

/* ---- from packages to kernels ---- */

const char *pk_arch__machine(const char *a)
{
	if (!strcmp(a, "amd64"))
		return "x86_64";
	if (!strcmp(a, "arm64"))
		return "aarch64";
	if (!strcmp(a, "i386"))
		return "i686";
	return a;
}

int pk_deb_kernel__name(const char *distro, const char *uname_r, const char *version,
			char **flavor, char **target, char **kernelrelease, char **kernelversion)
{
	const char *d1 = strchr(uname_r, '-'), *fl;
	char buf[512];

	*flavor = *target = *kernelrelease = *kernelversion = NULL;
	if (!d1 || uname_r[0] < '0' || uname_r[0] > '9')
		return -EINVAL;
	if (!strcmp(distro, "ubuntu")) {
		/* falcoctl: ubuntu-<first alphabetic word after a dash in uname -r>;
		 * kernelversion: uname -v's "#101~20.04.1-Ubuntu" without # and
		 * -Ubuntu, which is the package version after "<upstream>-<abi>." */
		const char *p = uname_r, *dot;
		size_t n = 0;

		fl = NULL;
		while ((p = strchr(p, '-'))) {
			p++;
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
				fl = p;
				n = strcspn(p, "-");
				break;
			}
		}
		*flavor = fl ? strndup(fl, n) : strdup("generic");
		snprintf(buf, sizeof(buf), "ubuntu-%s", *flavor ? *flavor : "generic");
		*target = strdup(buf);
		*kernelrelease = strdup(uname_r);
		dot = strchr(version, '-');
		dot = dot ? strchr(dot, '.') : NULL;
		*kernelversion = strdup(dot && dot[1] ? dot + 1 : "1");
	} else {
		/* Debian: "<upstream>-<abi>-<flavor>" (5.10.0-35-amd64) or, since
		 * trixie, "<upstream>+deb13-<flavor>"; falco's kernelrelease is the
		 * package version + "-" + flavor, kernelversion "1" */
		const char *d2 = strchr(d1 + 1, '-');

		/* the ABI group starts with a digit: "35", and for bullseye's
		 * backported 6.1 "0.deb11.48" */
		if (d1[1] >= '0' && d1[1] <= '9') {
			if (!d2)
				return -EINVAL;
			fl = d2 + 1;
		} else {
			fl = d1 + 1;
		}
		if (!*fl)
			return -EINVAL;
		*flavor = strdup(fl);
		*target = strdup(distro);
		snprintf(buf, sizeof(buf), "%s-%s", version, fl);
		*kernelrelease = strdup(buf);
		*kernelversion = strdup("1");
	}
	if (!*flavor || !*target || !*kernelrelease || !*kernelversion) {
		free(*flavor);
		free(*target);
		free(*kernelrelease);
		free(*kernelversion);
		*flavor = *target = *kernelrelease = *kernelversion = NULL;
		return -ENOMEM;
	}
	return 0;
}

static int fill_pkg(struct crawl *c, const struct debpkg *p, struct pk_pkg *out)
{
	char url[4096];

	snprintf(url, sizeof(url), "%s/%s", c->suites[p->suite].base, p->filename);
	out->name = strdup(p->name);
	out->version = strdup(p->version);
	out->arch = strdup(p->arch);
	out->url = strdup(url);
	out->suite = strdup(c->suites[p->suite].name);
	out->size = p->size;
	memcpy(out->sha256, p->sha256, 65);
	return out->name && out->version && out->arch && out->url && out->suite ? 0 : -ENOMEM;
}

/* The package called name (of this arch or all) that satisfies op/want; the
 * kernel's own suite first, else the highest version anywhere */
static const struct debpkg *resolve(struct crawl *c, const char *name, const char *op,
				    const char *want, size_t prefer_suite)
{
	const struct debpkg *best = NULL;

	for (size_t i = 0; i < c->nr_pkgs; i++) {
		const struct debpkg *p = &c->pkgs[i];

		if (strcmp(p->name, name) || (strcmp(p->arch, c->arch) && strcmp(p->arch, "all")))
			continue;
		if (op && !pk_debver__satisfies(p->version, op, want))
			continue;
		if (!best || (p->suite == prefer_suite && best->suite != prefer_suite) ||
		    ((p->suite == prefer_suite) == (best->suite == prefer_suite) &&
		     pk_debver__cmp(p->version, best->version) > 0))
			best = p;
	}
	return best;
}

static bool follows(const char *name)
{
	return !strncmp(name, "linux-", 6) && (strstr(name, "headers") || strstr(name, "kbuild"));
}

static int add_header(struct pk_kernel *k, struct crawl *c, const struct debpkg *p)
{
	struct pk_pkg *v;

	for (size_t i = 0; i < k->nr_headers; i++)
		if (!strcmp(k->headers[i].name, p->name))
			return 0;
	v = realloc(k->headers, (k->nr_headers + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	k->headers = v;
	memset(&v[k->nr_headers], 0, sizeof(*v));
	return fill_pkg(c, p, &v[k->nr_headers++]);
}

/* Depends of p, transitively, restricted to header and kbuild packages */
static int add_deps(struct pk_kernel *k, struct crawl *c, const struct debpkg *p, int depth)
{
	const char *s = p->depends;
	int r;

	if (!s || depth > 4)
		return 0;
	while (*s) {
		size_t n = strcspn(s, ",");
		char item[512], name[256] = "", op[4] = "", want[256] = "";
		const struct debpkg *dep;

		snprintf(item, sizeof(item), "%.*s", (int)n, s);
		s += n + (s[n] == ',');
		/* the first alternative: "a (>= 1) | b" */
		item[strcspn(item, "|")] = 0;
		if (sscanf(item, " %255[^ (:] ( %3[<=>] %255[^) ] )", name, op, want) < 1)
			continue;
		if (!follows(name))
			continue;
		dep = resolve(c, name, op[0] ? op : NULL, want, p->suite);
		if (!dep) {
			char why[700];

			if (op[0])
				snprintf(why, sizeof(why), "%s depends on %s (%s %s), found in no suite",
					 p->name, name, op, want);
			else
				snprintf(why, sizeof(why), "%s depends on %s, found in no suite", p->name, name);
			if (!k->headers_missing && !(k->headers_missing = strdup(why)))
				return -ENOMEM;
			continue;
		}
		r = add_header(k, c, dep);
		if (!r)
			r = add_deps(k, c, dep, depth + 1);
		if (r)
			return r;
	}
	return 0;
}

static const char *version_id(struct crawl *c, const struct suite_info *s, char *buf, size_t len)
{
	/* Debian's os-release VERSION_ID is the major ("12"); Ubuntu's the whole
	 * "22.04". A suite without Version (backports, testing) takes its codename
	 * sibling's; testing and unstable have none, so their codename stands in. */
	const char *v = s->version;

	if (!v || !*v) {
		for (size_t i = 0; i < c->nr_suites; i++)
			if (c->suites[i].codename && !strcmp(c->suites[i].codename, s->codename) &&
			    c->suites[i].version && *c->suites[i].version) {
				v = c->suites[i].version;
				break;
			}
	}
	if (!v || !*v)
		return s->codename;
	if (!strcmp(c->d->name, "debian"))
		snprintf(buf, len, "%.*s", (int)strcspn(v, "."), v);
	else
		snprintf(buf, len, "%s", v);
	return buf;
}

/* uname -r of an image package name, NULL for meta, debug and signed-template ones */
static const char *image_uname(const char *name, char *buf, size_t len, bool *unsigned_image)
{
	const char *r = name + strlen("linux-image-");
	size_t n;

	*unsigned_image = false;
	if (strncmp(name, "linux-image-", 12))
		return NULL;
	if (!strncmp(r, "unsigned-", 9)) {	/* Ubuntu */
		r += 9;
		*unsigned_image = true;
	}
	if (*r < '0' || *r > '9')
		return NULL;	/* linux-image-amd64 and other meta packages */
	{
		/* a kernel's release starts x.y.z; linux-image-6.1-amd64 and
		 * linux-image-6.12-cloud-amd64 are meta packages of a series */
		size_t v = strcspn(r, "-+"), dots = 0;

		for (size_t i = 0; i < v; i++)
			dots += r[i] == '.';
		if (dots < 2)
			return NULL;
	}
	n = strlen(r);
	/* debug symbols, and the template linux-signed is built from */
	if ((n > 4 && !strcmp(r + n - 4, "-dbg")) || (n > 7 && !strcmp(r + n - 7, "-dbgsym")) ||
	    (n > 16 && !strcmp(r + n - 16, "-signed-template")))
		return NULL;
	if (n > 9 && !strcmp(r + n - 9, "-unsigned")) {	/* Debian */
		n -= 9;
		*unsigned_image = true;
	}
	snprintf(buf, len, "%.*s", (int)n, r);
	return buf;
}

static int build_kernel(struct crawl *c, const struct debpkg *img, const char *uname_r)
{
	const struct suite_info *s = &c->suites[img->suite];
	struct pk_kernel k = { 0 };
	const struct debpkg *hdr;
	char name[512], vbuf[64];
	int r;

	r = pk_deb_kernel__name(c->d->name, uname_r, img->version, &k.flavor, &k.target,
				&k.kernelrelease, &k.kernelversion);
	if (r == -EINVAL)
		return 0;	/* not a kernel image after all */
	if (r)
		return r;
	k.distro = strdup(c->d->name);
	k.suite = strdup(s->name);
	k.os_id = strdup(c->d->os_id);
	k.version_id = strdup(version_id(c, s, vbuf, sizeof(vbuf)) ?: "");
	k.machine = strdup(pk_arch__machine(c->arch));
	k.uname_r = strdup(uname_r);
	{
		/* the package that holds the image: linux-binary-<uname -r> when the
		 * image package is only its signed wrapper's dependency list (7.x) */
		const struct debpkg *bin;

		snprintf(name, sizeof(name), "linux-binary-%s", uname_r);
		if (img->depends && strstr(img->depends, name) &&
		    (bin = resolve(c, name, "=", img->version, img->suite)))
			img = bin;
	}
	r = fill_pkg(c, img, &k.image);
	if (r || !k.distro || !k.suite || !k.os_id || !k.version_id || !k.machine || !k.uname_r)
		goto nomem;
	snprintf(name, sizeof(name), "linux-headers-%s", uname_r);
	hdr = resolve(c, name, "=", img->version, img->suite);
	if (!hdr) {
		char why[700];

		snprintf(why, sizeof(why), "no %s %s in any suite", name, img->version);
		if (!(k.headers_missing = strdup(why)))
			goto nomem;
	} else if ((r = add_header(&k, c, hdr)) || (r = add_deps(&k, c, hdr, 0))) {
		goto fail;
	}
	if (k.nr_headers && !k.headers_missing) {
		snprintf(name, sizeof(name), "usr/src/linux-headers-%s/.config", uname_r);
		k.config_pkg = strdup(k.headers[0].name);
	} else {
		/* Debian's image package carries /boot/config-*, Ubuntu's modules one */
		snprintf(name, sizeof(name), "boot/config-%s", uname_r);
		if (!strcmp(c->d->name, "ubuntu")) {
			char mod[512];

			snprintf(mod, sizeof(mod), "linux-modules-%s", uname_r);
			k.config_pkg = strdup(mod);
		} else {
			k.config_pkg = strdup(img->name);
		}
	}
	k.config_path = strdup(name);
	if (!k.config_pkg || !k.config_path)
		goto nomem;
	{
		size_t before = pk_catalog__nr_kernels(c->cat);

		r = pk_catalog__add_kernel(c->cat, &k);
		if (r == -EBADMSG)
			r = 0;	/* a name that cannot be a path: not a kernel we can serve */
		if (!r && pk_catalog__nr_kernels(c->cat) > before)
			((struct pk_suite *)pk_catalog__suite(c->cat, s->res_idx))->nr_kernels++;
	}
	return r;
nomem:
	r = -ENOMEM;
fail:
	pk_kernel__release(&k);
	return r;
}

static int build_kernels(struct crawl *c)
{
	/* signed images first: the unsigned twin of a kernel is the same kernel */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < c->nr_pkgs; i++) {
			const struct debpkg *p = &c->pkgs[i];
			char ubuf[256];
			bool unsig;
			const char *u = image_uname(p->name, ubuf, sizeof(ubuf), &unsig);
			int r;

			if (!u || unsig != (pass == 1) || strcmp(p->arch, c->arch))
				continue;
			r = build_kernel(c, p, u);
			if (r)
				return r;
		}
	}
	return 0;
}

/* ---- the suite list ---- */

static int add_suite(struct crawl *c, const char *name, const char *base)
{
	struct suite_info *v;
	char url[4096];

	for (size_t i = 0; i < c->nr_suites; i++)
		if (!strcmp(c->suites[i].name, name))
			return 0;
	v = realloc(c->suites, (c->nr_suites + 1) * sizeof(*v));
	if (!v)
		return -ENOMEM;
	c->suites = v;
	v = &c->suites[c->nr_suites];
	memset(v, 0, sizeof(*v));
	snprintf(url, sizeof(url), "%s/dists/%s/InRelease", base, name);
	v->name = strdup(name);
	v->base = strdup(base);
	if (!v->name || !v->base || !pk_catalog__add_suite(c->cat, c->d->name, name, url)) {
		free(v->name);
		free(v->base);
		return -ENOMEM;
	}
	v->res_idx = pk_catalog__nr_suites(c->cat) - 1;
	c->nr_suites++;
	return 0;
}

/* A codename with the suites that go with it: -updates and -backports on the
 * archive, -security on the security mirror (Ubuntu serves it from the archive) */
static int add_codename(struct crawl *c, const char *codename, const char *mirror,
			const char *security)
{
	static const char *const derived[] = { "-updates", "-security", "-backports" };
	int r = add_suite(c, codename, mirror);

	for (size_t i = 0; !r && i < PK_ARRAY_SIZE(derived); i++) {
		char name[256];

		snprintf(name, sizeof(name), "%s%s", codename, derived[i]);
		r = add_suite(c, name, i == 1 && security ? security : mirror);
	}
	return r;
}

/*
 * Debian's releases still published: the codenames behind the mirror's
 * oldoldstable ... unstable aliases (each alias's InRelease names its Codename;
 * the signature is checked when the codename itself is read). An alias that
 * cannot be read is recorded as that alias's error.
 */
static int discover(struct crawl *c, const char *mirror, const char *security, struct pk_error *err)
{
	static const char *const aliases[] = { "oldoldstable", "oldstable", "stable", "testing",
					       "unstable" };

	for (size_t i = 0; i < PK_ARRAY_SIZE(aliases); i++) {
		PK_HTTP_GET_OPTS(go, .max_bytes = PK_RELEASE_MAX_BYTES, .conditional = true);
		struct pk_http_body body = { 0 };
		struct pk_error e = { 0 };
		char url[4096], codename[64] = "";
		int r;

		snprintf(url, sizeof(url), "%s/dists/%s/InRelease", mirror, aliases[i]);
		go.label = aliases[i];
		r = pk_http__get(c->opts->http, url, &go, &body, &e);
		if (r == -ENOENT)
			continue;	/* e.g. no oldoldstable between releases */
		if (!r) {
			/* only a name to crawl next; nothing read here is trusted */
			const char *p = memmem(body.data, body.len, "\nCodename: ", 11);

			if (p)
				sscanf(p + 11, "%63[a-z0-9]", codename);
			if (!codename[0])
				r = pk_error__set(&e, -EBADMSG, "%s names no Codename", url);
		}
		pk_http_body__release(&body);
		if (r) {
			struct pk_suite *s = pk_catalog__add_suite(c->cat, c->d->name, aliases[i], url);

			if (!s)
				return -ENOMEM;
			s->state = PK_SUITE_ERROR;
			s->error = r;
			s->reason = strdup(pk_error__str(&e));
			continue;
		}
		for (size_t k = 0; k < c->nr_suites; k++) {
			if (strcmp(c->suites[k].name, codename))
				continue;
			/* two aliases, one release: another release is hidden */
			struct pk_suite *s = pk_catalog__add_suite(c->cat, c->d->name, aliases[i], url);

			if (!s)
				return -ENOMEM;
			pk_error__set(&e, -EBADMSG, "%s names %s, which %s already named",
				      url, codename, c->suites[k].alias ?: "another alias");
			s->state = PK_SUITE_ERROR;
			s->error = -EBADMSG;
			s->reason = strdup(pk_error__str(&e));
			codename[0] = 0;
			break;
		}
		if (!codename[0])
			continue;
		/* unstable has no -updates, -security or -backports of its own */
		{
			size_t first = c->nr_suites;

			r = !strcmp(aliases[i], "unstable") ? add_suite(c, codename, mirror)
							     : add_codename(c, codename, mirror, security);
			if (r)
				return r;
			if (first < c->nr_suites && !(c->suites[first].alias = strdup(aliases[i])))
				return -ENOMEM;
		}
	}
	return 0;
}

int pk_crawl__deb(const struct pk_distro *d, const char *mirror, const char *security,
		  const char *const *suites, size_t nr_suites, const struct pk_crawl_opts *opts,
		  struct pk_catalog *cat, struct pk_error *err)
{
	struct crawl c = { .d = d, .opts = opts, .cat = cat };
	size_t explicit_n = 0;
	int r = 0;

	c.arch = PK_OPTS_GET(opts, arch, NULL) ?: "amd64";
	if (nr_suites) {
		for (size_t i = 0; !r && i < nr_suites; i++)
			r = add_suite(&c, suites[i], security && strstr(suites[i], "-security") ? security : mirror);
		explicit_n = c.nr_suites;
	} else if (d->suites) {
		for (size_t i = 0; !r && d->suites[i]; i++)
			r = add_codename(&c, d->suites[i], mirror, security);
	} else {
		r = discover(&c, mirror, security, err);
	}
	if (r)
		goto out;
	for (size_t i = 0; i < c.nr_suites; i++) {
		struct pk_error e = { 0 };
		bool absent;
		/* named suites must exist; the ones we made up may not */
		bool may_be_absent = i >= explicit_n;

		r = crawl_suite(&c, i, may_be_absent, &absent, &e);
		if (r == -ENOMEM)
			goto out;
		if (r) {
			suite_fail(&c, i, r, &e);
		} else if (absent) {
			((struct pk_suite *)pk_catalog__suite(cat, c.suites[i].res_idx))->state = PK_SUITE_ABSENT;
		}
		r = 0;
	}
	{
		/* a mirror that serves none of it is wrong, not empty */
		size_t served = 0, first = pk_catalog__nr_suites(cat);

		for (size_t i = 0; i < c.nr_suites; i++) {
			const struct pk_suite *su = pk_catalog__suite(cat, c.suites[i].res_idx);

			served += su->state != PK_SUITE_ABSENT;
			if (c.suites[i].res_idx < first)
				first = c.suites[i].res_idx;
		}
		for (size_t i = 0; i < pk_catalog__nr_suites(cat); i++) {
			const struct pk_suite *su = pk_catalog__suite(cat, i);

			served += !strcmp(su->distro, d->name) && su->state == PK_SUITE_ERROR;
		}
		if (!served) {
			struct pk_error e = { 0 };
			struct pk_suite *su = c.nr_suites ? (struct pk_suite *)pk_catalog__suite(cat, first)
							  : pk_catalog__add_suite(cat, d->name, "stable", mirror);

			if (!su) {
				r = -ENOMEM;
				goto out;
			}
			pk_error__set(&e, -ENOENT, "%s serves no %s suite (every InRelease asked for answered 404)",
				      mirror, d->name);
			su->state = PK_SUITE_ERROR;
			su->error = -ENOENT;
			free(su->reason);
			su->reason = strdup(pk_error__str(&e));
		}
	}
	r = build_kernels(&c);
out:
	for (size_t i = 0; i < c.nr_pkgs; i++)
		debpkg_release(&c.pkgs[i]);
	free(c.pkgs);
	for (size_t i = 0; i < c.nr_suites; i++) {
		free(c.suites[i].name);
		free(c.suites[i].base);
		free(c.suites[i].alias);
		free(c.suites[i].codename);
		free(c.suites[i].version);
	}
	free(c.suites);
	return r;
}
