/* pk_kernels__crawl: from options to a catalog (see kernels.h). */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "kernels/apt_sources.h"
#include "kernels/crawl.h"
#include "kernels/kernels.h"

const char *pk_arch__deb(const char *a)
{
	static const struct {
		const char *in, *deb;
	} map[] = {
		{ "x86_64", "amd64" }, { "amd64", "amd64" }, { "aarch64", "arm64" },
		{ "arm64", "arm64" },  { "i686", "i386" },   { "i386", "i386" },
	};

	for (size_t i = 0; i < PK_ARRAY_SIZE(map); i++)
		if (!strcmp(a, map[i].in))
			return map[i].deb;
	return NULL;
}

int pk_kernels__crawl(const struct pk_kernels_opts *opts, struct pk_catalog **out,
		      struct pk_error *err)
{
	static const char *const default_distros[] = { "debian" };
	const char *const *distros;
	size_t nr_distros;
	struct pk_apt_sources apt = { 0 };
	bool apt_loaded = false;
	struct pk_http *http = NULL;
	struct pk_catalog *cat = NULL;
	const char *arch, *mirror;
	struct utsname u;
	int r;

	*out = NULL;
	if (!PK_OPTS_VALID(opts, struct pk_kernels_opts))
		return pk_error__set(err, -EINVAL, "bad catalog options (built for another probekit?)");
	distros = PK_OPTS_GET(opts, distros, NULL);
	nr_distros = PK_OPTS_GET(opts, nr_distros, 0);
	if (!distros || !nr_distros) {
		distros = default_distros;
		nr_distros = 1;
	}
	mirror = PK_OPTS_GET(opts, mirror, NULL);
	if (mirror && nr_distros > 1)
		return pk_error__set(err, -EINVAL,
				     "--mirror names one distribution's mirror, but %zu distributions were asked for",
				     nr_distros);
	for (size_t i = 0; i < nr_distros; i++)
		if (!pk_distro__find(distros[i]))
			return pk_error__set(err, -EINVAL, "unknown distribution '%s'", distros[i]);
	arch = PK_OPTS_GET(opts, arch, NULL);
	if (!arch) {
		uname(&u);
		arch = u.machine;
	}
	if (!pk_arch__deb(arch))
		return pk_error__set(err, -EINVAL, "unknown architecture '%s' (amd64, arm64, i386)", arch);
	arch = pk_arch__deb(arch);
	{
		PK_HTTP_OPTS(ho, .cache_dir = PK_OPTS_GET(opts, cache_dir, NULL),
			     .progress = PK_OPTS_GET(opts, progress, false));
		long t = PK_OPTS_GET(opts, timeout_ms, 0);
		int rt = PK_OPTS_GET(opts, retries, -1);

		if (t > 0)
			ho.timeout_ms = t;
		if (rt >= 0)
			ho.retries = rt;
		r = pk_http__new(&ho, &http, err);
		if (r)
			return r;
	}
	cat = pk_catalog__new();
	if (!cat) {
		r = -ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < nr_distros; i++) {
		const struct pk_distro *d = pk_distro__find(distros[i]);
		const char *m = mirror, *sec = PK_OPTS_GET(opts, security_mirror, NULL);
		PK_CRAWL_OPTS(co, .http = http, .arch = arch,
			      .allow_expired = PK_OPTS_GET(opts, allow_expired, false),
			      .now = PK_OPTS_GET(opts, now, 0),
			      .cache_dir = PK_OPTS_GET(opts, cache_dir, NULL),
			      .keyring = PK_OPTS_GET(opts, keyring, NULL));

		if (!m && !strcmp(d->name, "debian")) {
			const char *apt_sec = NULL;

			if (!apt_loaded) {
				r = pk_apt_sources__load(PK_OPTS_GET(opts, apt_root, NULL) ?: "/", &apt, err);
				if (r)
					goto out;
				apt_loaded = true;
			}
			if (pk_apt_sources__debian(&apt, &m, &apt_sec)) {
				r = pk_error__set(err, -ENOENT,
						  "no Debian mirror in the apt configuration under '%s' (give one with --mirror URL)",
						  PK_OPTS_GET(opts, apt_root, NULL) ?: "/");
				goto out;
			}
			if (!sec)
				sec = apt_sec;
		}
		if (!m) {
			r = pk_error__set(err, -ENOENT, "no mirror for %s: give one with --mirror URL",
					  d->name);
			goto out;
		}
		r = pk_crawl__distro(d, m, sec, PK_OPTS_GET(opts, suites, NULL),
				     PK_OPTS_GET(opts, nr_suites, 0), &co, cat, err);
		if (r)
			goto out;
	}
	pk_catalog__sort(cat);
	if (PK_OPTS_GET(opts, stats, NULL))
		pk_http__stats(http, opts->stats);
	*out = cat;
	cat = NULL;
out:
	pk_catalog__free(cat);
	pk_http__free(http);
	pk_apt_sources__release(&apt);
	return r;
}
