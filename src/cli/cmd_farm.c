/* `probekit farm`: crawl, skip what the repository holds, build the rest, index and
 * sign (or, as one shard of N, write the shard's manifest). A summary in text or
 * --json; a kernel that fails is recorded and does not stop the others. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_opts.h"
#include "cli/repo_opts.h"
#include "cli.h"
#include "common/json.h"
#include "common/pk.h"
#include "farm/farm.h"
#include "verify/matrix.h"
#include "kernels/kernels.h"
#include "repo/shard.h"

#define MAX_LIST 64

static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit farm --repo DIR --key SECRET [--distro D]... [--suite S]...\n"
		"                     [--kernels GLOB]... [--allow-expired] [--shard I/N] [-j N]\n"
		"                     [--valid-for DURATION] [--retry-failed] [--verify] [--json]\n\n"
		"Crawl the catalog, skip every kernel the repository already holds for this probe\n"
		"version (its index and the build records on disk say so: nothing is downloaded),\n"
		"build the rest (legacy object, reduced and full BTF), then index and sign. Killed\n"
		"at any point and run again, it ends where an uninterrupted run would; no file\n"
		"ever appears half-written. A kernel whose build fails is recorded in the index\n"
		"with its reason and the run goes on.\n\n"
		"  -r, --repo DIR       the repository directory (env PROBEKIT_REPO_DIR)\n"
		"  -k, --key SECRET     minisign secret key (env PROBEKIT_REPO_SECRET_KEY); not\n"
		"                       needed with --shard, whose runs do not index\n"
		"      --kernels GLOB   only kernels whose kernelrelease matches (repeatable)\n"
		"      --shard I/N      build only shard I of N (I from 0: a Kubernetes completion\n"
		"                       index, a CI matrix index); the shard's manifest goes to\n"
		"                       _shards/, and 'repo index' merges the shards' outputs\n"
		"  -j, --jobs N         kernels built at once (default 1)\n"
		"      --valid-for D    the index's lifetime (default 7d)\n"
		"      --retry-failed   build again kernels whose builds failed before (with\n"
		"                       --verify: boot again kernels whose verification failed)\n"
		"      --verify         then boot every kernel whose legacy object or reduced BTF\n"
		"                       is not verified yet under QEMU with this repository, in\n"
		"                       'verify' modes legacy and repo, record what the boots\n"
		"                       proved (_verify/), and index again: the artifacts are\n"
		"                       marked verified or failed (env PROBEKIT_FARM_VERIFY=1;\n"
		"                       x86_64 kernels; not with --shard: run it after the merge)\n"
		"      --verify-timeout S  per boot (default 300; env PROBEKIT_VERIFY_TIMEOUT)\n"
		"      --cache DIR      package and catalog cache (env PROBEKIT_CACHE)\n"
		"      --json           the summary as JSON on stdout\n"
		"  catalog options: --distro, --suite, --arch, --mirror, --security-mirror,\n"
		"      --keyring, --allow-expired, --apt-root (see 'probekit kernels --help')\n"
		"  -q, --quiet          no progress and no per-kernel lines\n"
		"  -h, --help           this help\n\n"
		"exit codes: 0 every kernel held or built (and verified), 1 some build or verification\n"
		"failed or some suite could not be read (recorded, listed in the summary), 2 usage,\n"
		"3 the run could not go on\n");
}


static void on_result(const struct pk_kernel *k, const struct pk_build_result *res, void *ctx)
{
	bool quiet = *(bool *)ctx;

	if (!quiet) {
		fprintf(stderr, "probekit: built %s:%s: %s (%.1f s)\n", k->target, k->kernelrelease,
			res->status ? "FAILED" : "ok", res->seconds);
		for (int a = 0; a < PK_ART__MAX; a++)
			if (res->failed[a])
				fprintf(stderr, "probekit:   %s: %s\n", pk_artifact_kind__str(a),
					pk_error__str(&res->why[a]));
	}
}

static void on_verify_row(const struct pk_verify_row *r, void *ctx)
{
	if (*(bool *)ctx)
		return;
	if (r->verdict == PK_VERIFY_PASS)
		fprintf(stderr, "probekit: verified %s %s: %s (%.1f s)\n", r->kernel, pk_verify_mode__str(r->mode),
			r->artifact.path, r->verdict_s);
	else
		fprintf(stderr, "probekit: verify %s %s: %s: %s\n", r->kernel, pk_verify_mode__str(r->mode),
			pk_verify_verdict__str(r->verdict), pk_error__str(&r->reason));
}

int cmd_farm(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "repo", required_argument, NULL, 'r' },
		{ "key", required_argument, NULL, 'k' },
		{ "kernels", required_argument, NULL, 'K' },
		{ "shard", required_argument, NULL, 'S' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "valid-for", required_argument, NULL, 'v' },
		{ "retry-failed", no_argument, NULL, 'F' },
		{ "verify", no_argument, NULL, 'V' },
		{ "verify-timeout", required_argument, NULL, 'T' },
		{ "cache", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'J' },
		PK_CLI_CATALOG_LONGOPTS,
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_cli_catalog cc;
	const char *patterns[MAX_LIST];
	const char *cache = getenv("PROBEKIT_CACHE"), *pw = getenv("PROBEKIT_KEY_PASSWORD");
	char cache_root[4096], catalog_cache[4200];
	struct pk_farm_result res = { 0 };
	PK_FARM_OPTS(fo, .repo = getenv("PROBEKIT_REPO_DIR"), .key = getenv("PROBEKIT_REPO_SECRET_KEY"),
		     .password = pw && *pw ? pw : NULL, .result = &res, .on_result = on_result,
		     .verify = pk_cli__env_on("PROBEKIT_FARM_VERIFY"), .on_verify_row = on_verify_row);
	const char *vt = pk_cli__env_str("PROBEKIT_VERIFY_TIMEOUT");
	struct pk_error e = { 0 };
	bool json = false, quiet = false;
	int c, r, rc;

	pk_cli_catalog__init(&cc);
	fo.patterns = patterns;
	if (vt) {
		char *end;

		fo.verify_timeout_s = strtod(vt, &end);
		if (*end || !(fo.verify_timeout_s > 0) || fo.verify_timeout_s > 86400)
			return pk_usage_err("farm", "bad PROBEKIT_VERIFY_TIMEOUT '%s' (seconds)", vt);
	}
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":r:k:j:d:s:a:qh", opts, NULL)) != -1) {
		int taken = pk_cli_catalog__opt(&cc, pk_cli_catalog__short(c), optarg, "farm");

		if (taken == PK_EXIT_USAGE)
			return taken;
		if (taken)
			continue;
		switch (c) {
		case 'r': fo.repo = optarg; break;
		case 'k': fo.key = optarg; break;
		case 'K':
			if (fo.nr_patterns == MAX_LIST)
				return pk_usage_err("farm", "at most %d --kernels", MAX_LIST);
			patterns[fo.nr_patterns++] = optarg;
			break;
		case 'S':
			if (pk_shard__parse_spec(optarg, &fo.shard, &fo.nr_shards, &e))
				return pk_usage_err("farm", "%s", pk_error__str(&e));
			break;
		case 'j': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 1 || n > 256)
				return pk_usage_err("farm", "bad --jobs '%s' (1-256)", optarg);
			fo.jobs = (int)n;
			break;
		}
		case 'v':
			fo.valid_for = pk_cli__parse_duration(optarg);
			if (fo.valid_for < 0)
				return pk_usage_err("farm", "bad --valid-for '%s' (e.g. 7d, 12h, 3600)", optarg);
			break;
		case 'F': fo.retry_failed = true; break;
		case 'V': fo.verify = true; break;
		case 'T': {
			char *end;

			fo.verify_timeout_s = strtod(optarg, &end);
			if (*end || !(fo.verify_timeout_s > 0) || fo.verify_timeout_s > 86400)
				return pk_usage_err("farm", "bad --verify-timeout '%s' (seconds)", optarg);
			break;
		}
		case 'C': cache = optarg; break;
		case 'J': json = true; break;
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("farm", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("farm", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pk_usage_err("farm", "unexpected argument '%s'", argv[optind]);
	if (!fo.repo || !*fo.repo)
		return pk_usage_err("farm", "missing --repo DIR");
	if (fo.verify && fo.nr_shards > 1)
		return pk_usage_err("farm", "--verify needs the whole index: run it after the shards are merged");
	if (fo.nr_shards <= 1 && (!fo.key || !*fo.key))
		return pk_usage_err("farm", "missing --key SECRET (only a --shard run goes without)");
	pk_cli_catalog__done(&cc);
	snprintf(cache_root, sizeof(cache_root), "%s", cache && *cache ? cache : "/var/cache/probekit");
	snprintf(catalog_cache, sizeof(catalog_cache), "%s/catalog", cache_root);
	cc.ko.cache_dir = catalog_cache;
	cc.ko.progress = !quiet && isatty(2);
	fo.cache_dir = cache_root;
	fo.catalog = &cc.ko;
	fo.progress = !quiet && isatty(2) && fo.jobs <= 1;
	fo.ctx = &quiet;

	r = pk_farm__run(&fo, &e);
	if (r == -EINVAL)
		return pk_usage_err("farm", "%s", pk_error__str(&e));
	if (r) {
		pk_err("%s", pk_error__str(&e));
		pk_farm_result__release(&res);
		return PK_EXIT_ERROR;
	}
	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "probe_version", res.probe_version);
		pk_json__kv_uint(&j, "catalog", res.catalog);
		pk_json__kv_uint(&j, "selected", res.selected);
		pk_json__kv_uint(&j, "held", res.held);
		pk_json__kv_uint(&j, "built", res.built);
		pk_json__kv_uint(&j, "failed", res.failed);
		pk_json__kv_uint(&j, "suites_unreadable", res.suites_unreadable);
		if (fo.nr_shards > 1) {
			pk_json__kv_uint(&j, "shard", fo.shard);
			pk_json__kv_uint(&j, "shards", fo.nr_shards);
		} else {
			pk_json__kv_uint(&j, "index_version", res.version);
			pk_json__kv_int(&j, "expires", res.expires);
		}
		pk_json__kv_double(&j, "seconds", res.seconds);
		pk_json__key(&j, "verify");
		if (fo.verify) {
			pk_json__obj_begin(&j);
			pk_json__kv_uint(&j, "booted", res.verify_booted);
			pk_json__kv_uint(&j, "verified", res.verified);
			pk_json__kv_uint(&j, "failed", res.verify_failed);
			pk_json__kv_uint(&j, "errors", res.verify_errors);
			pk_json__kv_uint(&j, "skipped", res.verify_skipped);
			pk_json__kv_double(&j, "seconds", res.verify_seconds);
			pk_json__obj_end(&j);
		} else {
			pk_json__null(&j);
		}
		pk_json__key(&j, "failures");
		pk_json__arr_begin(&j);
		for (size_t i = 0; i < res.nr_failures; i++) {
			pk_json__obj_begin(&j);
			pk_json__kv_str(&j, "key", res.failures[i].key);
			pk_json__kv_str(&j, "reason", res.failures[i].reason);
			pk_json__obj_end(&j);
		}
		pk_json__arr_end(&j);
		pk_json__obj_end(&j);
		printf("%s\n", j.err ? "{}" : j.buf);
		pk_json__free(&j);
	} else {
		printf("farm (probe version %s): %zu kernels in the catalog, %zu selected: %zu held, %zu built, %zu failed",
		       res.probe_version, res.catalog, res.selected, res.held, res.built, res.failed);
		if (fo.nr_shards > 1)
			printf("; shard %u of %u, manifest written\n", fo.shard, fo.nr_shards);
		else
			printf("; index version %" PRIu64 " signed, expires %" PRId64 "\n", res.version, res.expires);
		for (size_t i = 0; i < res.nr_failures; i++)
			printf("  FAILED %s: %s\n", res.failures[i].key, res.failures[i].reason);
		if (res.suites_unreadable)
			printf("  %zu suites could not be read (see 'probekit kernels')\n", res.suites_unreadable);
		if (fo.verify)
			printf("  verify: %zu kernels booted in %.1f s: %zu artifacts verified, %zu failed, %zu not booted%s\n",
			       res.verify_booted, res.verify_seconds, res.verified, res.verify_failed, res.verify_errors,
			       res.verify_skipped ? " (other architectures skipped)" : "");
		printf("  %.1f s\n", res.seconds);
	}
	rc = res.failed || res.suites_unreadable || res.verify_failed || res.verify_errors ? PK_EXIT_FAIL : PK_EXIT_OK;
	pk_farm_result__release(&res);
	return rc;
}
