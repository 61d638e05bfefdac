/* `probekit kernels`: the live catalog of every crawled distribution's kernels, as a
 * table, probekit's JSON or kernel-crawler's list.json. A suite that cannot be read
 * is listed with its reason, said on stderr, and makes the exit status 1. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog_opts.h"
#include "cli.h"
#include "common/json.h"
#include "common/pk.h"
#include "kernels/kernels.h"


static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit kernels [--distro D]... [--suite S]... [--arch A] [--mirror URL]\n"
		"                        [--format text|json|kernel-crawler] [--json] [-o FILE]\n"
		"                        [--allow-expired] [--cache DIR | --no-cache]\n\n"
		"List every kernel package of the distributions' mirrors: for each, uname -r, the\n"
		"names falco uses (target, kernelrelease, kernelversion), the image and headers\n"
		"packages (URL, size, SHA256) and where its configuration comes from. Debian is\n"
		"read through the mirrors this machine's apt configuration names: every release\n"
		"its stable/testing/unstable aliases lead to, each with -updates, -security and\n"
		"-backports. InRelease is checked with gpgv against the distribution's keyring and\n"
		"each Packages index against the SHA256 InRelease lists.\n\n"
		"  -d, --distro D       debian (default), ubuntu; repeatable\n"
		"  -s, --suite S        only these suites (e.g. bookworm-security); repeatable\n"
		"  -a, --arch A         amd64 (x86_64), arm64 (aarch64); default this machine's\n"
		"      --mirror URL     the distribution's archive instead of apt's (env PROBEKIT_MIRROR)\n"
		"      --security-mirror URL  where -security suites are (Debian)\n"
		"      --keyring FILE   check InRelease against this keyring (env PROBEKIT_KEYRING)\n"
		"      --allow-expired  read a Release past its Valid-Until (frozen mirrors); marked\n"
		"  -f, --format F       text (default), json, kernel-crawler (its list.json)\n"
		"      --json           the same as --format json\n"
		"  -o, --output FILE    write there (atomically) instead of stdout\n"
		"      --cache DIR      HTTP and suite cache (env PROBEKIT_CACHE, default\n"
		"                       /var/cache/probekit; the catalog's part is DIR/catalog)\n"
		"      --no-cache       no conditional requests, nothing written\n"
		"      --apt-root DIR   read DIR/etc/apt instead of /etc/apt (env PROBEKIT_APT_ROOT)\n"
		"      --timeout S      per request (default 300); --retries N (default 3)\n"
		"  -q, --quiet          no progress line and no summary on stderr\n"
		"  -h, --help           this help\n\n"
		"exit codes: 0 every suite read, 1 some suite could not be read (listed, with its\n"
		"reason), 2 usage, 3 nothing could be crawled\n");
}

static void write_text(const struct pk_catalog *c, FILE *f)
{
	size_t n = pk_catalog__nr_kernels(c);

	fprintf(f, "%-15s %-20s %-32s %-28s %s\n", "DISTRO", "SUITE", "KERNELRELEASE", "UNAME -R",
		"HEADERS");
	for (size_t i = 0; i < n; i++) {
		const struct pk_kernel *k = pk_catalog__kernel(c, i);
		char h[64];

		if (k->headers_missing)
			snprintf(h, sizeof(h), "incomplete");
		else
			snprintf(h, sizeof(h), "%zu packages", k->nr_headers);
		fprintf(f, "%-15s %-20s %-32s %-28s %s\n", k->distro, k->suite, k->kernelrelease,
			k->uname_r, h);
	}
	fprintf(f, "\n%-15s %-20s %-16s %s\n", "DISTRO", "SUITE", "STATE", "KERNELS / REASON");
	for (size_t i = 0; i < pk_catalog__nr_suites(c); i++) {
		const struct pk_suite *s = pk_catalog__suite(c, i);
		static const char *const names[] = { "ok", "expired-accepted", "absent", "ERROR" };

		if (s->state == PK_SUITE_ERROR)
			fprintf(f, "%-15s %-20s %-16s %s\n", s->distro, s->suite, names[s->state], s->reason);
		else if (s->state == PK_SUITE_ABSENT)
			fprintf(f, "%-15s %-20s %-16s %s\n", s->distro, s->suite, names[s->state],
				"not served by this mirror");
		else
			fprintf(f, "%-15s %-20s %-16s %zu%s\n", s->distro, s->suite, names[s->state],
				s->nr_kernels, s->unchanged ? " (unchanged)" : "");
	}
}

int cmd_kernels(int argc, char **argv)
{
	static const struct option opts[] = {
		PK_CLI_CATALOG_LONGOPTS,
		{ "format", required_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "output", required_argument, NULL, 'o' },
		{ "cache", required_argument, NULL, 'C' },
		{ "no-cache", no_argument, NULL, 'N' },
		{ "timeout", required_argument, NULL, 'T' },
		{ "retries", required_argument, NULL, 'r' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_cli_catalog cc;
	const char *format = "text", *output = NULL, *cache = getenv("PROBEKIT_CACHE");
	char cache_dir[4096];
	bool no_cache = false, quiet = false;
	struct pk_http_stats st = { 0 };
	struct pk_catalog *cat = NULL;
	struct pk_error e = { 0 };
	struct pk_kernels_opts *ko;
	double t0;
	int c, r, rc;

	pk_cli_catalog__init(&cc);
	ko = &cc.ko;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":d:s:a:f:o:qh", opts, NULL)) != -1) {
		int taken = pk_cli_catalog__opt(&cc, pk_cli_catalog__short(c), optarg, "kernels");

		if (taken == PK_EXIT_USAGE)
			return taken;
		if (taken)
			continue;
		switch (c) {
		case 'f': format = optarg; break;
		case 'j': format = "json"; break;
		case 'o': output = optarg; break;
		case 'C': cache = optarg; break;
		case 'N': no_cache = true; break;
		case 'T': {
			char *end;
			double s = strtod(optarg, &end);

			if (*end || s <= 0 || s > 86400)
				return pk_usage_err("kernels", "bad --timeout '%s' (seconds)", optarg);
			ko->timeout_ms = (long)(s * 1000);
			break;
		}
		case 'r': {
			char *end;
			long n = strtol(optarg, &end, 10);

			if (*end || n < 0 || n > 100)
				return pk_usage_err("kernels", "bad --retries '%s' (0-100)", optarg);
			ko->retries = (int)n;
			break;
		}
		case 'q': quiet = true; break;
		case 'h': usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("kernels", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("kernels", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pk_usage_err("kernels", "unexpected argument '%s'", argv[optind]);
	if (strcmp(format, "text") && strcmp(format, "json") && strcmp(format, "kernel-crawler"))
		return pk_usage_err("kernels", "unknown format '%s' (text, json, kernel-crawler)", format);
	pk_cli_catalog__done(&cc);
	if (!no_cache) {
		snprintf(cache_dir, sizeof(cache_dir), "%s/catalog", cache && *cache ? cache : "/var/cache/probekit");
		ko->cache_dir = cache_dir;
	}
	ko->progress = !quiet && isatty(2);
	ko->stats = &st;

	t0 = pk_now_ms();
	r = pk_kernels__crawl(ko, &cat, &e);
	if (r == -EINVAL)
		return pk_usage_err("kernels", "%s", pk_error__str(&e));
	if (r) {
		pk_err("%s", pk_error__str(&e));
		return PK_EXIT_ERROR;
	}
	for (size_t i = 0; i < pk_catalog__nr_suites(cat); i++) {
		const struct pk_suite *s = pk_catalog__suite(cat, i);

		if (s->state == PK_SUITE_ERROR)
			pk_err("%s %s: %s", s->distro, s->suite, s->reason);
		else if (s->state == PK_SUITE_EXPIRED_ACCEPTED && !quiet)
			pk_note("%s %s: %s", s->distro, s->suite, s->reason);
	}

	{
		FILE *f = stdout;
		char *buf = NULL;
		size_t len = 0;

		if (output && !(f = open_memstream(&buf, &len))) {
			pk_err("out of memory");
			pk_catalog__free(cat);
			return PK_EXIT_ERROR;
		}
		if (!strcmp(format, "text")) {
			write_text(cat, f);
		} else {
			struct pk_json j;

			pk_json__init(&j, true);
			if (!strcmp(format, "json"))
				pk_catalog__write_json(cat, &j);
			else
				pk_catalog__write_kernel_crawler(cat, &j);
			if (j.err) {
				pk_json__free(&j);
				pk_err("out of memory");
				pk_catalog__free(cat);
				if (output)
					fclose(f), free(buf);
				return PK_EXIT_ERROR;
			}
			fprintf(f, "%s\n", j.buf);
			pk_json__free(&j);
		}
		if (output) {
			fclose(f);
			r = pk_file__write_atomic(output, buf, len);
			free(buf);
			if (r) {
				pk_err("cannot write '%s': %s", output, strerror(-r));
				pk_catalog__free(cat);
				return PK_EXIT_ERROR;
			}
		} else if (fflush(stdout)) {
			pk_err("cannot write the catalog: %s", strerror(errno));
			pk_catalog__free(cat);
			return PK_EXIT_ERROR;
		}
	}
	if (!quiet) {
		size_t unchanged = 0;

		for (size_t i = 0; i < pk_catalog__nr_suites(cat); i++)
			unchanged += pk_catalog__suite(cat, i)->unchanged;
		pk_note("%zu kernels from %zu suites (%zu unchanged), %zu unreadable; %.1f s, %llu requests (%llu answered 304), %.1f MiB",
			pk_catalog__nr_kernels(cat), pk_catalog__nr_suites(cat), unchanged,
			pk_catalog__nr_errors(cat), (pk_now_ms() - t0) / 1000.0,
			(unsigned long long)st.requests, (unsigned long long)st.not_modified,
			st.bytes / 1048576.0);
	}
	rc = pk_catalog__nr_errors(cat) ? PK_EXIT_FAIL : PK_EXIT_OK;
	pk_catalog__free(cat);
	return rc;
}
