/* `probekit build KERNEL... --out DIR [-j N]`: each kernel's legacy probe object,
 * reduced BTF and full BTF into a repository directory, with build records. KERNEL
 * is a catalog key (<target>:<kernelrelease>, looked up in a fresh crawl), or local
 * package files (.deb/.rpm) that together make one kernel, or an unpacked headers
 * directory (legacy object only). Kernels are built in parallel by -j worker
 * processes; a failed kernel is reported and the others go on. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "build/build.h"
#include "build/pool.h"
#include "build/kheaders.h"
#include "catalog_opts.h"
#include "cli.h"
#include "common/json.h"
#include "common/pk.h"
#include "fetch/http.h"
#include "kernels/crawl.h"
#include "common/sha256.h"
#include "kernels/kernels.h"

#define MAX_KERNELS 4096

static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit build KERNEL... --out DIR [-j N] [--json] [--no-legacy] [--no-btf]\n"
		"                      [catalog options of 'probekit kernels']\n"
		"       probekit build PACKAGE.deb... --out DIR [--target T --kernelrelease R ...]\n"
		"       probekit build HEADERS-DIR --out DIR [--target T --kernelrelease R ...]\n\n"
		"Build a kernel's artifacts into DIR in the repository layout:\n"
		"  <probe-version>/<arch>/probekit_<target>_<kernelrelease>_<kernelversion>.o\n"
		"      the legacy probe, compiled against the kernel's own headers packages\n"
		"      (clang -emit-llvm, llc -march=bpf; no Docker, no root, no vmlinux.h)\n"
		"  <probe-version>/btf/<os-id>/<version-id>/<arch>/<uname -r>.btf\n"
		"      reduced BTF of this probe version's CO-RE object for that kernel\n"
		"  btf/<os-id>/<version-id>/<arch>/<uname -r>.btf.tar.xz   the full BTF (btfhub)\n"
		"  _build/<probe-version>/<target>_<kernelrelease>.{json,log}   the build record\n"
		"KERNEL is a catalog key such as debian:6.1.153-1-amd64 ('probekit kernels' lists\n"
		"them). Packages are downloaded into the cache, checked against the catalog's SHA256\n"
		"and size, and unpacked with libarchive. The same kernel built twice gives\n"
		"byte-identical artifacts.\n\n"
		"  -o, --out DIR        the repository directory (required; env PROBEKIT_OUT)\n"
		"  -j, --jobs N         kernels built at once (default 1)\n"
		"      --no-legacy      skip the legacy object\n"
		"      --no-btf         skip the reduced and full BTF (no image package download)\n"
		"      --json           one JSON array of the build records on stdout\n"
		"      --keep           keep each build's work directory (printed)\n"
		"      --cache DIR      package and catalog cache (env PROBEKIT_CACHE,\n"
		"                       default /var/cache/probekit)\n"
		"  local inputs (instead of catalog keys):\n"
		"      --target T, --kernelrelease R, --kernelversion V (default 1),\n"
		"      --os-id ID, --version-id V   (default: local, 0)\n"
		"      --uname-r R   (default: the image's banner, else the headers tree's)\n"
		"  catalog options: --distro, --suite, --arch, --mirror, --security-mirror,\n"
		"      --keyring, --allow-expired, --apt-root (see 'probekit kernels --help')\n"
		"  -q, --quiet          no progress on stderr\n"
		"  -h, --help           this help\n\n"
		"needs clang, llc and llvm-strip (Debian: clang, llvm) for the legacy object.\n"
		"exit codes: 0 every kernel built, 1 some kernel or artifact failed (its record says\n"
		"why), 2 usage, 3 could not start (no catalog, cannot write DIR)\n");
}

static bool is_local(const char *arg)
{
	struct stat st;

	return !strchr(arg, ':') && !stat(arg, &st);
}

/* a local package as a catalog package: file:// URL, its own SHA256 and size */
static int local_pkg(const char *path, struct pk_pkg *p, struct pk_error *err)
{
	char abs[PATH_MAX], url[PATH_MAX + 8];
	const char *base;
	uint64_t size;
	int r;

	if (!realpath(path, abs))
		return pk_error__set(err, -errno, "cannot open '%s': %s", path, strerror(errno));
	r = pk_sha256__file(abs, UINT64_MAX, p->sha256, &size);
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	base = strrchr(abs, '/') + 1;
	snprintf(url, sizeof(url), "file://%s", abs);
	p->name = strndup(base, strcspn(base, "_"));
	p->version = strdup("local");
	p->arch = strdup("");
	p->url = strdup(url);
	p->suite = strdup("local");
	p->size = size;
	return p->name && p->version && p->arch && p->url && p->suite ? 0 : -ENOMEM;
}

/* one kernel's result, in the worker that built it: stdout for the person,
 * stderr for each failure in the one error style */
static void report(const struct pk_kernel *k, const struct pk_build_result *res, void *ctx)
{
	bool json = *(bool *)ctx;

	if (!json) {
		printf("%s:%s: %s (%.1f s)", k->target, k->kernelrelease, res->status ? "FAILED" : "ok",
		       res->seconds);
		for (int a = 0; a < PK_ART__MAX; a++)
			if (res->built[a])
				printf(" %s", pk_artifact_kind__str(a));
		printf("\n");
		for (int a = 0; a < PK_ART__MAX; a++)
			if (res->failed[a])
				printf("  %s: %s\n", pk_artifact_kind__str(a), pk_error__str(&res->why[a]));
		fflush(stdout);
	}
	for (int a = 0; a < PK_ART__MAX; a++)
		if (res->failed[a])
			pk_err("%s:%s: %s: %s", k->target, k->kernelrelease, pk_artifact_kind__str(a),
			       pk_error__str(&res->why[a]));
}

int cmd_build(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "no-legacy", no_argument, NULL, 'L' },
		{ "no-btf", no_argument, NULL, 'B' },
		{ "json", no_argument, NULL, 'J' },
		{ "keep", no_argument, NULL, 'k' },
		{ "cache", required_argument, NULL, 'C' },
		{ "target", required_argument, NULL, 't' },
		{ "kernelrelease", required_argument, NULL, 'r' },
		{ "kernelversion", required_argument, NULL, 'v' },
		{ "os-id", required_argument, NULL, 'I' },
		{ "version-id", required_argument, NULL, 'V' },
		{ "uname-r", required_argument, NULL, 'U' },
		PK_CLI_CATALOG_LONGOPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_cli_catalog cc;
	const char **distros = cc.distros;
	const char *out = getenv("PROBEKIT_OUT"), *cache = getenv("PROBEKIT_CACHE");
	const char *target = NULL, *krel = NULL, *kver = "1", *os_id = "local", *version_id = "0";
	const char *uname_r = "";	/* local inputs: found in them unless given */
	char cache_root[PATH_MAX], catalog_cache[PATH_MAX + 16];
	bool json = false, quiet = false;
	long jobs = 1;
	PK_BUILD_OPTS(bo);
	struct pk_kernels_opts *ko = &cc.ko;
	struct pk_catalog *cat = NULL;
	const struct pk_kernel *todo[MAX_KERNELS];
	size_t nr_todo = 0, failed = 0, missing = 0, nr_local = 0;
	struct pk_kernel local = { 0 };
	const char *local_dir = NULL;
	struct pk_error e = { 0 };
	int c, r, rc = PK_EXIT_OK;

	pk_cli_catalog__init(&cc);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:j:d:s:a:qh", opts, NULL)) != -1) {
		int taken = pk_cli_catalog__opt(&cc, pk_cli_catalog__short(c), optarg, "build");

		if (taken == PK_EXIT_USAGE)
			return taken;
		if (taken)
			continue;
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': {
			char *end;

			jobs = strtol(optarg, &end, 10);
			if (*end || jobs < 1 || jobs > 256)
				return pk_usage_err("build", "bad --jobs '%s' (1-256)", optarg);
			break;
		}
		case 'L': bo.no_legacy = true; break;
		case 'B': bo.no_btf = true; break;
		case 'J': json = true; break;
		case 'k': bo.keep_work = true; break;
		case 'C': cache = optarg; break;
		case 't': target = optarg; break;
		case 'r': krel = optarg; break;
		case 'v': kver = optarg; break;
		case 'I': os_id = optarg; break;
		case 'V': version_id = optarg; break;
		case 'U': uname_r = optarg; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("build", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("build", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!out || !*out)
		return pk_usage_err("build", "missing --out DIR");
	if (optind >= argc)
		return pk_usage_err("build", "missing KERNEL (a catalog key such as debian:6.1.153-1-amd64, packages, or a headers directory)");
	if (argc - optind > MAX_KERNELS)
		return pk_usage_err("build", "at most %d kernels at once", MAX_KERNELS);
	pk_cli_catalog__done(&cc);
	snprintf(cache_root, sizeof(cache_root), "%s", cache && *cache ? cache : "/var/cache/probekit");
	snprintf(catalog_cache, sizeof(catalog_cache), "%s/catalog", cache_root);
	bo.out_dir = out;
	bo.cache_dir = cache_root;
	if (mkdir(out, 0755) && errno != EEXIST) {
		pk_err("cannot create '%s': %s", out, strerror(errno));
		return PK_EXIT_ERROR;
	}

	for (int i = optind; i < argc; i++)
		nr_local += is_local(argv[i]);
	if (nr_local && nr_local != (size_t)(argc - optind))
		return pk_usage_err("build", "give either catalog keys or local inputs, not both");

	if (nr_local) {
		/* local inputs: one kernel, named by the options */
		struct stat st;

		if (!target || !krel)
			return pk_usage_err("build", "local inputs need --target and --kernelrelease");
		if (nr_local == 1 && !stat(argv[optind], &st) && S_ISDIR(st.st_mode))
			local_dir = argv[optind];
		local.distro = strdup("local");
		local.suite = strdup("local");
		local.os_id = strdup(os_id);
		local.version_id = strdup(version_id);
		local.target = strdup(target);
		local.kernelrelease = strdup(krel);
		local.kernelversion = strdup(kver);
		local.flavor = strdup("");
		{
			const char *machine = ko->arch ? pk_arch__machine(pk_arch__deb(ko->arch) ?: ko->arch) : NULL;

			if (!machine) {
				FILE *p = popen("uname -m", "r");
				static char mbuf[65];

				if (p && fgets(mbuf, sizeof(mbuf), p))
					mbuf[strcspn(mbuf, "\n")] = 0;
				if (p)
					pclose(p);
				machine = mbuf[0] ? mbuf : "x86_64";
			}
			local.machine = strdup(machine);
		}
		if (local_dir) {
			bo.headers_dir = local_dir;
			bo.no_btf = true;
			local.uname_r = strdup(uname_r);
		} else {
			for (int i = optind; i < argc; i++) {
				struct pk_pkg p = { 0 };
				const char *base = strrchr(argv[i], '/') ? strrchr(argv[i], '/') + 1 : argv[i];
				bool image = !strncmp(base, "linux-image-", 12) ||
					     !strncmp(base, "kernel-core-", 12);

				r = local_pkg(argv[i], &p, &e);
				if (r) {
					pk_err("%s", pk_error__str(&e));
					pk_kernel__release(&local);
					return PK_EXIT_ERROR;
				}
				if (image) {
					pk_pkg__release(&local.image);
					local.image = p;
				} else {
					struct pk_pkg *v = realloc(local.headers, (local.nr_headers + 1) * sizeof(*v));

					if (!v) {
						pk_pkg__release(&p);
						pk_kernel__release(&local);
						pk_err("out of memory");
						return PK_EXIT_ERROR;
					}
					local.headers = v;
					v[local.nr_headers++] = p;
				}
			}
			if (!local.image.name)
				bo.no_btf = true;
			local.uname_r = strdup(uname_r);
		}
		todo[nr_todo++] = &local;
	} else {
		/* catalog keys: crawl the distributions they name */
		size_t nd = ko->nr_distros;

		for (int i = optind; i < argc && !nd; i++) {
			const char *d = !strncmp(argv[i], "ubuntu-", 7) ? "ubuntu" : NULL;
			size_t tl = strcspn(argv[i], ":");

			if (!d) {
				static char names[PK_CLI_CATALOG_MAX][32];
				static size_t nn;

				snprintf(names[nn], sizeof(names[nn]), "%.*s", (int)tl, argv[i]);
				d = names[nn];
				if (nn < PK_CLI_CATALOG_MAX - 1)
					nn++;
			}
			bool seen = false;

			for (size_t n = 0; n < ko->nr_distros; n++)
				seen |= !strcmp(distros[n], d);
			if (!seen && ko->nr_distros < PK_CLI_CATALOG_MAX)
				distros[ko->nr_distros++] = d;
		}
		ko->cache_dir = catalog_cache;
		ko->progress = !quiet && isatty(2);
		r = pk_kernels__crawl(ko, &cat, &e);
		if (r == -EINVAL)
			return pk_usage_err("build", "%s", pk_error__str(&e));
		if (r) {
			pk_err("%s", pk_error__str(&e));
			return PK_EXIT_ERROR;
		}
		for (int i = optind; i < argc; i++) {
			const struct pk_kernel *k = pk_catalog__find(cat, argv[i]);
			bool dup = false;

			for (size_t t = 0; t < nr_todo; t++)
				dup |= todo[t] == k;
			if (k && dup)
				continue;	/* one build per kernel: two would write the same files */
			if (!k) {
				pk_err("%s: not in the catalog (%zu kernels; %zu suites could not be read)",
				       argv[i], pk_catalog__nr_kernels(cat), pk_catalog__nr_errors(cat));
				missing++;
				continue;
			}
			todo[nr_todo++] = k;
		}
	}

	{
		PK_BUILD_POOL_OPTS(po, .jobs = (int)jobs, .result = report, .result_ctx = &json,
				   .progress = !quiet && isatty(2) && jobs == 1);
		long f = pk_build__pool(todo, nr_todo, &bo, &po);

		if (f < 0) {
			pk_err("cannot build: %s", strerror((int)-f));
			failed += nr_todo;
		} else {
			failed += (size_t)f;
		}
	}

	if (json) {
		/* the records, as written */
		char pv[PK_PROBE_VERSION_LEN + 1];
		bool first = true;

		pk_probe_source__version(pv);
		printf("[");
		for (size_t i = 0; i < nr_todo; i++) {
			char path[PATH_MAX * 2], *data;
			size_t len;

			snprintf(path, sizeof(path), "%s/_build/%s/%s_%s.json", out, pv, todo[i]->target,
				 todo[i]->kernelrelease);
			if (pk_file__read(path, &data, &len, 64 << 20))
				continue;
			printf("%s\n%s", first ? "" : ",", data);
			first = false;
			free(data);
		}
		printf("]\n");
	}
	if (!quiet)
		pk_note("%zu kernels built, %zu failed%s%zu not in the catalog",
			nr_todo - (failed > nr_todo ? nr_todo : failed), failed, ", ", missing);
	if (failed || missing)
		rc = PK_EXIT_FAIL;
	pk_kernel__release(&local);
	pk_catalog__free(cat);
	return rc;
}
