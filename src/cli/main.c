/* probekit: get eBPF probes into every kernel a fleet runs, and prove they work.
 * Dispatches to one function per command; commands live in cmd_*.c. */
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "common/libbpf_print.h"
#include "common/pk.h"

bool pk_verbose;

static const struct pk_cmd commands[] = {
	{ "run", cmd_run, "load the probe (first working candidate) and stream events" },
	{ "selftest", cmd_selftest, "load via the candidate chain, run the canary, report pass/fail" },
	{ "detect", cmd_detect, "describe this host and the candidate chain it would try" },
	{ "fetch", cmd_fetch, "download and verify into the cache what this host needs (init container)" },
	{ "verify", cmd_verify, "boot kernel images under QEMU and run the selftest in each" },
	{ "kernels", cmd_kernels, "list every kernel package of the distributions' mirrors" },
	{ "build", cmd_build, "build kernels' legacy probe, reduced and full BTF into a repository" },
	{ "repo", cmd_repo, "the signed repository: index, verify, ls, keygen, sign (repo --help)" },
	{ "farm", cmd_farm, "crawl, build what the repository lacks, index and sign" },
	{ "btf", cmd_btf, "extract, reduce and pack kernel BTF (btf --help)" },
	{ "version", cmd_version, "print the version" },
	{ "__canary", cmd_canary, NULL },
	{ "__fetch-one", cmd_fetch_one, NULL },
	{ NULL, NULL, NULL },
};

static void vmsg(const char *prefix, const char *fmt, va_list ap)
{
	fprintf(stderr, "probekit: %s", prefix);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

void pk_err(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("error: ", fmt, ap);
	va_end(ap);
}

void pk_note(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vmsg("", fmt, ap);
	va_end(ap);
}

int64_t pk_cli__parse_duration(const char *s)
{
	char *end;
	double v = strtod(s, &end), mul = 1;

	if (end == s || !isfinite(v) || v <= 0)
		return -1;
	if (!strcmp(end, "d"))
		mul = 86400;
	else if (!strcmp(end, "h"))
		mul = 3600;
	else if (!strcmp(end, "m"))
		mul = 60;
	else if (*end && strcmp(end, "s"))
		return -1;
	if (v * mul > 10.0 * 365 * 86400 || v * mul < 1)
		return -1;
	return (int64_t)(v * mul);
}

int pk_usage_err(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "probekit: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'probekit %s --help')\n", cmd);
	return PK_EXIT_USAGE;
}

static void usage_table(FILE *f, const char *parent, const struct pk_cmd *t)
{
	fprintf(f, "usage: probekit %s%sCOMMAND [OPTIONS]\n\ncommands:\n", parent ? parent : "",
		parent ? " " : "");
	for (; t->name; t++)
		if (t->summary)
			fprintf(f, "  %-10s %s\n", t->name, t->summary);
}

int pk_dispatch(const char *parent, const struct pk_cmd *table, int argc, char **argv)
{
	const struct pk_cmd *c;

	if (argc < 2) {
		usage_table(stderr, parent, table);
		return PK_EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage_table(stdout, parent, table);
		return PK_EXIT_OK;
	}
	for (c = table; c->name; c++)
		if (!strcmp(c->name, argv[1]))
			return c->fn(argc - 1, argv + 1);
	pk_err("unknown command '%s%s%s' (see 'probekit %s%s--help')", parent ? parent : "",
	       parent ? " " : "", argv[1], parent ? parent : "", parent ? " " : "");
	return PK_EXIT_USAGE;
}

/* the one rule of what a person sees: warnings always, the library's and
 * libbpf's diagnostics (info, debug) with -v; libbpf's messages above it are not
 * even formatted */
static enum pk_print_level shown_level = PK_WARN;

void pk_cli__set_verbose(bool on)
{
	pk_verbose = on;
	shown_level = on ? PK_DEBUG : PK_WARN;
	pk_libbpf__route_print(shown_level);
}

static int print_lib(enum pk_print_level level, const char *fmt, va_list ap)
{
	if (level > shown_level)
		return 0;
	fprintf(stderr, "probekit: %s", level == PK_WARN ? "warning: " : "");
	return vfprintf(stderr, fmt, ap);
}

int main(int argc, char **argv)
{
	const char *v = getenv("PROBEKIT_VERBOSE");

	pk_set_print(print_lib);
	pk_cli__set_verbose(v && *v && strcmp(v, "0"));
	if (argc >= 2 && (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")))
		return cmd_version(argc - 1, argv + 1);
	return pk_dispatch(NULL, commands, argc, argv);
}
