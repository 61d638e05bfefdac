/* The catalog's pure parts: Debian version order and Depends constraints, falco's
 * names for Debian and Ubuntu kernels, apt's source lists (both formats) and the
 * choice of Debian's mirrors among them, and the catalog's two JSON forms. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/json.h"
#include "kernels/apt_sources.h"
#include "kernels/catalog.h"
#include "kernels/crawl.h"
#include "kernels/version.h"
#include "unit.h"

static void test_debver(void)
{
	static const struct {
		const char *a, *b;
		int sign;
	} cases[] = {
		{ "6.1.153-1", "6.1.153-1", 0 },
		{ "6.1.153-1", "6.1.158-1", -1 },
		{ "6.1.9-1", "6.1.10-1", -1 },		/* numeric, not lexical */
		{ "6.12.38-1~bpo12+1", "6.12.38-1", -1 },	/* ~ sorts before the end */
		{ "6.1.180-1~deb11u1", "6.1.180-1", -1 },
		{ "1:1.0-1", "2.0-1", 1 },		/* epoch first */
		{ "5.10.223-1", "5.10.218-1", 1 },
		{ "1.0a", "1.0", 1 },			/* letters after the end */
		{ "1.0+b1", "1.0", 1 },
		{ "5.15.0-91.101", "5.15.0-91.101~20.04.1", 1 },
	};

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		int r = pk_debver__cmp(cases[i].a, cases[i].b);
		int s = r < 0 ? -1 : r > 0;

		CHECK("debver: order", s == cases[i].sign, "%s vs %s: got %d, want %d", cases[i].a,
		      cases[i].b, s, cases[i].sign);
	}
	PASS("debver: order (epochs, tildes, digit runs, revisions)");
	CHECK("debver: constraints", pk_debver__satisfies("6.1.158-1", ">=", "6.1.153"), "failed");
	CHECK("debver: constraints", !pk_debver__satisfies("6.1.150-1", ">=", "6.1.153"), "failed");
	CHECK("debver: constraints", pk_debver__satisfies("6.1.153-1", "=", "6.1.153-1"), "failed");
	CHECK("debver: constraints", !pk_debver__satisfies("6.1.153-2", "=", "6.1.153-1"), "failed");
	CHECK("debver: constraints", pk_debver__satisfies("1", "<<", "2"), "failed");
	CHECK("debver: constraints", !pk_debver__satisfies("1", "!=", "2"), "unknown op accepted");
	PASS("debver: Depends constraints");
}

static void test_names(void)
{
	static const struct {
		const char *distro, *uname_r, *version;
		const char *flavor, *target, *krel, *kver;
	} cases[] = {
		/* kernel-crawler's Debian convention: package version + flavor + arch */
		{ "debian", "6.1.0-40-amd64", "6.1.153-1", "amd64", "debian", "6.1.153-1-amd64", "1" },
		{ "debian", "5.10.0-35-rt-amd64", "5.10.237-1", "rt-amd64", "debian", "5.10.237-1-rt-amd64", "1" },
		{ "debian", "6.12.48+deb13-cloud-amd64", "6.12.48-1", "cloud-amd64", "debian",
		  "6.12.48-1-cloud-amd64", "1" },
		/* bullseye's backported 6.1: the ABI group is "0.deb11.48" */
		{ "debian", "6.1.0-0.deb11.48-amd64", "6.1.180-1~deb11u1", "amd64", "debian",
		  "6.1.180-1~deb11u1-amd64", "1" },
		{ "debian", "6.12.38+deb12-arm64", "6.12.38-1~bpo12+1", "arm64", "debian",
		  "6.12.38-1~bpo12+1-arm64", "1" },
		/* falcoctl's Ubuntu rule: ubuntu-<first alphabetic word>, version from uname -v */
		{ "ubuntu", "5.15.0-91-generic", "5.15.0-91.101", "generic", "ubuntu-generic",
		  "5.15.0-91-generic", "101" },
		{ "ubuntu", "6.5.0-1014-aws", "6.5.0-1014.14~22.04.1", "aws", "ubuntu-aws",
		  "6.5.0-1014-aws", "14~22.04.1" },
		{ "ubuntu", "5.15.0-1051-azure-fde", "5.15.0-1051.59", "azure", "ubuntu-azure",
		  "5.15.0-1051-azure-fde", "59" },
	};

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		char *fl, *t, *kr, *kv;
		int r = pk_deb_kernel__name(cases[i].distro, cases[i].uname_r, cases[i].version, &fl, &t,
					    &kr, &kv);

		CHECK("names", r == 0, "%s: %d", cases[i].uname_r, r);
		if (strcmp(fl, cases[i].flavor) || strcmp(t, cases[i].target) ||
		    strcmp(kr, cases[i].krel) || strcmp(kv, cases[i].kver)) {
			FAIL("names", "%s %s: got %s %s %s %s", cases[i].distro, cases[i].uname_r, fl, t,
			     kr, kv);
			free(fl), free(t), free(kr), free(kv);
			return;
		}
		free(fl), free(t), free(kr), free(kv);
	}
	PASS("names: Debian and Ubuntu target, kernelrelease, kernelversion (falcoctl's rules)");
	{
		char *fl, *t, *kr, *kv;

		CHECK("names: refused", pk_deb_kernel__name("debian", "amd64", "1", &fl, &t, &kr, &kv) == -EINVAL, "failed");
		CHECK("names: refused", pk_deb_kernel__name("debian", "6.1.0-40", "1", &fl, &t, &kr, &kv) == -EINVAL, "failed");
		CHECK("names: refused", pk_deb_kernel__name("debian", "6.1.0-40-", "1", &fl, &t, &kr, &kv) == -EINVAL, "failed");
		PASS("names: a uname -r without flavor is refused");
	}
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static void test_apt_sources(void)
{
	char root[] = "/tmp/pk-apt.XXXXXX", p[256];
	struct pk_apt_sources s;
	struct pk_error e = { 0 };
	const char *archive, *security;
	int r;

	CHECK("apt sources", mkdtemp(root), "mkdtemp");
	snprintf(p, sizeof(p), "%s/etc", root), mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/apt", root), mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d", root), mkdir(p, 0755);
	/* the one-line format: options, comments, deb-src, a third-party source */
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list", root);
	put(p, "# a comment\n"
	       "deb-src http://mirror.test/debian bookworm main\n"
	       "deb [arch=amd64 signed-by=/usr/share/keyrings/vendor.gpg] https://vendor.test/apt stable main\n"
	       "\n");
	/* deb822, sorted after: a disabled entry, then Debian's two */
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d/debian.sources", root);
	put(p, "Types: deb\nURIs: http://off.test/debian\nSuites: bookworm\nComponents: main\nEnabled: no\n"
	       "Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
	       "Types: deb deb-src\nURIs: http://mirror.test/debian/\nSuites: bookworm bookworm-updates\n"
	       "Components: main contrib\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n\n"
	       "Types: deb\nURIs: http://mirror.test/debian-security\nSuites: bookworm-security\n"
	       "Components: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n");
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d/zz.list", root);
	put(p, "deb http://old.test/debian bullseye main\n");
	r = pk_apt_sources__load(root, &s, &e);
	CHECK("apt sources: load", r == 0, "%d %s", r, pk_error__str(&e));
	CHECK_INT("apt sources: entries (deb only, enabled only)", s.n, 4);
	CHECK_STR("apt sources: one-line uri", s.v[0].uri, "https://vendor.test/apt");
	CHECK_STR("apt sources: signed-by option", s.v[0].signed_by, "/usr/share/keyrings/vendor.gpg");
	CHECK_STR("apt sources: deb822 uri, trailing / dropped", s.v[1].uri, "http://mirror.test/debian");
	CHECK_STR("apt sources: deb822 suites", s.v[1].suites, "bookworm bookworm-updates");
	PASS("apt sources: one-line and deb822 entries, deb-src and disabled ones skipped");
	r = pk_apt_sources__debian(&s, &archive, &security);
	CHECK("apt sources: debian", r == 0, "%d", r);
	CHECK_STR("apt sources: archive (signed by Debian's keyring)", archive, "http://mirror.test/debian");
	CHECK_STR("apt sources: security", security, "http://mirror.test/debian-security");
	PASS("apt sources: Debian's archive and security mirrors found by their keyring");
	pk_apt_sources__release(&s);

	/* a broken file is named in the error */
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d/bad.sources", root);
	put(p, "Types: deb\nSuites: bookworm\n");
	r = pk_apt_sources__load(root, &s, &e);
	CHECK("apt sources: bad entry", r == -EBADMSG && strstr(pk_error__str(&e), "bad.sources"),
	      "%d %s", r, pk_error__str(&e));
	put(p, "Types: deb\n broken continuation\n");
	r = pk_apt_sources__load(root, &s, &e);
	CHECK("apt sources: bad continuation", r == -EBADMSG && strstr(pk_error__str(&e), "bad.sources"),
	      "%d %s", r, pk_error__str(&e));
	unlink(p);
	snprintf(p, sizeof(p), "%s/etc/apt/sources.list.d/bad.list", root);
	put(p, "deb [signed-by=/x http://a/ b\n");
	r = pk_apt_sources__load(root, &s, &e);
	CHECK("apt sources: unclosed [", r == -EBADMSG && strstr(pk_error__str(&e), "bad.list") &&
	      strstr(pk_error__str(&e), "'['"), "%d %s", r, pk_error__str(&e));
	unlink(p);
	PASS("apt sources: an entry without URIs, a stray continuation, an unclosed '[': each refused naming its file");

	/* nothing Debian's: -ENOENT, so the command can say to give --mirror */
	snprintf(p, sizeof(p), "rm -rf %s/etc/apt/sources.list.d/*", root);
	CHECK("apt sources: cleanup", system(p) == 0, "failed");
	r = pk_apt_sources__load(root, &s, &e);
	CHECK("apt sources: no debian", r == 0, "%d", r);
	CHECK("apt sources: no debian", pk_apt_sources__debian(&s, &archive, &security) == -ENOENT, "failed");
	pk_apt_sources__release(&s);
	PASS("apt sources: no Debian mirror configured is -ENOENT");
	snprintf(p, sizeof(p), "rm -rf %s", root);
	system(p);
}

static struct pk_pkg pkg(const char *name, const char *url)
{
	struct pk_pkg p = { .name = strdup(name), .version = strdup("6.1.153-1"), .arch = strdup("amd64"),
			    .url = strdup(url), .size = 10, .suite = strdup("bookworm") };

	memset(p.sha256, 'a', 64);
	return p;
}

static struct pk_kernel kernel(const char *krel, bool headers)
{
	struct pk_kernel k = { .distro = strdup("debian"), .suite = strdup("bookworm"),
			       .os_id = strdup("debian"), .version_id = strdup("12"),
			       .machine = strdup("x86_64"), .uname_r = strdup("6.1.0-40-amd64"),
			       .flavor = strdup("amd64"), .target = strdup("debian"),
			       .kernelrelease = strdup(krel), .kernelversion = strdup("1") };

	k.image = pkg("linux-image-6.1.0-40-amd64", "http://m/i.deb");
	if (headers) {
		k.headers = calloc(2, sizeof(*k.headers));
		k.headers[0] = pkg("linux-headers-6.1.0-40-amd64", "http://m/h.deb");
		k.headers[1] = pkg("linux-kbuild-6.1", "http://m/k.deb");
		k.nr_headers = 2;
	} else {
		k.headers_missing = strdup("no headers");
	}
	return k;
}

static void test_catalog(void)
{
	struct pk_catalog *c = pk_catalog__new();
	struct pk_kernel a = kernel("6.1.158-1-amd64", true), b = kernel("6.1.9-1-amd64", false),
			 dup = kernel("6.1.158-1-amd64", true);
	struct pk_suite *s;
	struct pk_json j;

	CHECK("catalog", c, "new");
	s = pk_catalog__add_suite(c, "debian", "bookworm", "http://m/dists/bookworm/InRelease");
	s->nr_kernels = 2;
	s = pk_catalog__add_suite(c, "debian", "forky", "http://m/dists/forky/InRelease");
	s->state = PK_SUITE_ERROR;
	s->error = -EKEYEXPIRED;
	s->reason = strdup("Release for forky expired");
	CHECK("catalog: add", !pk_catalog__add_kernel(c, &a) && !pk_catalog__add_kernel(c, &b), "failed");
	CHECK("catalog: add dup", !pk_catalog__add_kernel(c, &dup), "failed");
	CHECK_INT("catalog: a duplicate key is dropped", pk_catalog__nr_kernels(c), 2);
	pk_catalog__sort(c);
	CHECK_STR("catalog: natural version order", pk_catalog__kernel(c, 0)->kernelrelease, "6.1.9-1-amd64");
	CHECK("catalog: find", pk_catalog__find(c, "debian:6.1.158-1-amd64") != NULL, "failed");
	CHECK("catalog: find", pk_catalog__find(c, "debian:6.1.158-1") == NULL, "failed");
	CHECK("catalog: find", pk_catalog__find(c, "ubuntu-generic:6.1.158-1-amd64") == NULL, "failed");
	CHECK_INT("catalog: errors", pk_catalog__nr_errors(c), 1);
	PASS("catalog: add, dedupe, sort, find, errors");

	pk_json__init(&j, false);
	pk_catalog__write_kernel_crawler(c, &j);
	CHECK_STR("catalog: kernel-crawler JSON", j.buf,
		  "{\"Debian\":[{\"kernelrelease\":\"6.1.158-1-amd64\",\"kernelversion\":\"1\","
		  "\"target\":\"debian\",\"headers\":[\"http://m/h.deb\",\"http://m/k.deb\"]}]}");
	PASS("catalog: kernel-crawler list.json (a kernel without headers left out)");
	pk_json__reset(&j);
	pk_catalog__write_json(c, &j);
	CHECK("catalog: json", j.buf && strstr(j.buf, "\"state\":\"error\",\"errno\":127,\"reason\":\"Release for forky expired\""),
	      "%s", j.buf);
	CHECK("catalog: json", strstr(j.buf, "\"key\":\"debian:6.1.158-1-amd64\""), "%s", j.buf);
	CHECK("catalog: json", strstr(j.buf, "\"headers_missing\":\"no headers\""), "%s", j.buf);
	pk_json__free(&j);
	PASS("catalog: probekit JSON lists suites with their errors, keys, missing headers");
	pk_catalog__free(c);
}

int main(void)
{
	test_debver();
	test_names();
	test_apt_sources();
	test_catalog();
	return UNIT_EXIT();
}
