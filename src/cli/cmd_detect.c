/* `probekit detect [--json]`: this host, what its kernel can do for the probe,
 * the names the repository publishes its artifacts under, and the candidate
 * chain `run` would walk, in order, with the reason for each. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "agent/features.h"
#include "agent/host.h"
#include "common/json.h"
#include "agent/loader.h"
#include "agent/repo_key.h"
#include "cli/repo_opts.h"
#include "fetch/cache.h"
#include "repo/repo.h"
#include "common/pk.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: probekit detect [--json] [--probe FILE] [--btf FILE] [--btf-archive FILE]\n"
		"                       [--host-root DIR] [--uname-r R] [--uname-v V] [--uname-m M]\n\n"
		"Describe this host (kernel, OS, target id, kernel BTF, kernel features,\n"
		"privileges), the names the repository publishes its probe and BTF under\n"
		"(repository: target, kernelrelease and kernelversion as falcoctl computes\n"
		"them, and the relative paths), and the candidate chain `probekit run` would\n"
		"try, in order.\n"
		"--probe/--btf/--btf-archive (or PROBEKIT_BPF_FILE/PROBEKIT_BTF_FILE/\n"
		"PROBEKIT_BTF_ARCHIVE) shape the chain as for run.\n\n"
		"Another host's names:\n"
		"  --host-root DIR  read the OS files (etc/os-release, usr/lib/os-release,\n"
		"                   etc/VERSION, etc/*-release, etc/debian_version) under DIR,\n"
		"                   as falcoctl's HOST_ROOT (default: $HOST_ROOT, else /)\n"
		"  --uname-r R      that host's `uname -r` (default: this kernel's)\n"
		"  --uname-v V      that host's `uname -v`\n"
		"  --uname-m M      that host's `uname -m`\n"
		"Kernel BTF, features, privileges and candidates stay this machine's.\n\n");
	fputs(pk_cli_repo_help, f);
	fprintf(f, "\nWith repositories, detect lists the URLs the agent would fetch (nothing is\n"
		"fetched) and the repository candidates of the chain.\n");
}

/* what the agent would fetch, per repository: nothing is fetched here */
static void repos_json(struct pk_json *j, const struct pk_cli_repo *ro)
{
	const struct pk_repo_source *s = &ro->source;
	const char *paths[] = { s->reduced_btf_path, s->legacy_path, s->legacy_alt_path,
				ro->download_probe ? s->core_path : "" };
	static const char *const names[] = { "reduced_btf", "legacy_object", "legacy_object_alternative",
					     "core_object" };
	size_t n = pk_fetcher__nr_repos(ro->fetcher);
	char url[4096];

	pk_json__key(j, "repositories");
	pk_json__arr_begin(j);
	for (size_t i = 0; i < n; i++) {
		pk_json__obj_begin(j);
		pk_json__kv_str(j, "url", pk_fetcher__repo(ro->fetcher, i));
		pk_json__kv_bool(j, "configured", pk_fetcher__configured(ro->fetcher, i));
		if (!pk_fetcher__url(ro->fetcher, i, PK_REPO_SIG, url, sizeof(url)))
			pk_json__kv_str(j, "signature_url", url);
		if (!pk_fetcher__url(ro->fetcher, i, PK_REPO_INDEX, url, sizeof(url)))
			pk_json__kv_str(j, "index_url", url);
		pk_json__key(j, "urls");
		pk_json__obj_begin(j);
		for (size_t k = 0; k < PK_ARRAY_SIZE(paths); k++)
			if (paths[k][0] && !pk_fetcher__url(ro->fetcher, i, paths[k], url, sizeof(url)))
				pk_json__kv_str(j, names[k], url);
		pk_json__obj_end(j);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
	pk_json__kv_str(j, "repository_pinned_key", ro->have_key ? ro->key_desc : NULL);
	pk_json__kv_str(j, "cache", ro->cache_dir ? ro->cache_dir : PK_CACHE_DIR_DEFAULT);
	pk_json__kv_bool(j, "offline", ro->offline);
}

static void repos_text(const struct pk_cli_repo *ro)
{
	const struct pk_repo_source *s = &ro->source;
	size_t n = pk_fetcher__nr_repos(ro->fetcher);
	char url[4096];

	if (!n) {
		printf("repositories: none (--repo URL or PROBEKIT_REPOS)\n");
		return;
	}
	printf("repositories: key %s; cache %s%s\n", ro->have_key ? ro->key_desc : "NONE (--repo-key FILE)",
	       ro->cache_dir ? ro->cache_dir : PK_CACHE_DIR_DEFAULT, ro->offline ? " (offline)" : "");
	for (size_t i = 0; i < n; i++) {
		printf("  %zu. %s%s\n", i + 1, pk_fetcher__repo(ro->fetcher, i),
		       pk_fetcher__configured(ro->fetcher, i) ? "" : " (only in the cache)");
		if (!pk_fetcher__url(ro->fetcher, i, PK_REPO_INDEX, url, sizeof(url)))
			printf("     %s (+ .minisig)\n", url);
		if (s->reduced_btf_path[0] && !pk_fetcher__url(ro->fetcher, i, s->reduced_btf_path, url, sizeof(url)))
			printf("     %s\n", url);
		if (s->legacy_path[0] && !pk_fetcher__url(ro->fetcher, i, s->legacy_path, url, sizeof(url)))
			printf("     %s\n", url);
		if (s->legacy_alt_path[0] && !pk_fetcher__url(ro->fetcher, i, s->legacy_alt_path, url, sizeof(url)))
			printf("     %s\n", url);
		if (ro->download_probe && s->core_path[0] &&
		    !pk_fetcher__url(ro->fetcher, i, s->core_path, url, sizeof(url)))
			printf("     %s\n", url);
	}
}

/* the repository's names for this host; NULL for what cannot be made */
static const char *opt_str(const char *s)
{
	return s[0] ? s : NULL;
}

static void repo_key_json(struct pk_json *j, const struct pk_repo_key *k, const struct pk_error *e)
{
	pk_json__key(j, "repository_key");
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "target", opt_str(k->target));
	pk_json__kv_str(j, "kernelrelease", opt_str(k->kernelrelease));
	pk_json__kv_str(j, "kernelversion", opt_str(k->kernelversion));
	pk_json__kv_str(j, "legacy_object", opt_str(k->legacy_object));
	pk_json__kv_str(j, "reduced_btf", opt_str(k->reduced_btf));
	pk_json__kv_str(j, "core_object", opt_str(k->core_object));
	pk_json__kv_str(j, "btf_object", opt_str(k->btf_object));
	/* a Debian kernel with a suffixed version: the farm's name (repo_key.c) */
	pk_json__kv_str(j, "legacy_object_alternative", opt_str(k->legacy_object_alt));
	if (e->code)
		pk_json__kv_str(j, "error", pk_error__str(e));
	pk_json__obj_end(j);
}

static void repo_key_text(const struct pk_repo_key *k, const struct pk_error *e)
{
	const char *none = "(none)";

	printf("repository:  target %s, kernelrelease %s, kernelversion %s\n",
	       k->target[0] ? k->target : none, k->kernelrelease[0] ? k->kernelrelease : none,
	       k->kernelversion[0] ? k->kernelversion : none);
	printf("             legacy object %s\n", k->legacy_object[0] ? k->legacy_object : none);
	printf("             reduced BTF   %s\n", k->reduced_btf[0] ? k->reduced_btf : none);
	printf("             CO-RE object  %s\n", k->core_object[0] ? k->core_object : none);
	printf("             BTF object    %s\n", k->btf_object[0] ? k->btf_object : none);
	if (k->legacy_object_alt[0])
		printf("             or legacy     %s (the farm's name for a suffixed Debian version)\n",
		       k->legacy_object_alt);
	if (e->code)
		printf("             not all names: %s\n", pk_error__str(e));
}

static int detect(int argc, char **argv, struct pk_cli_repo *ro)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "probe", required_argument, NULL, 'P' },
		{ "btf", required_argument, NULL, 'B' },
		{ "btf-archive", required_argument, NULL, 'A' },
		{ "help", no_argument, NULL, 'h' },
		PK_CLI_REPO_LONGOPTS,
		PK_CLI_HOST_LONGOPTS,
		{ NULL, 0, NULL, 0 },
	};
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	const char *probe = getenv("PROBEKIT_BPF_FILE"), *btf = getenv("PROBEKIT_BTF_FILE");
	const char *probe_origin = "PROBEKIT_BPF_FILE", *btf_origin = "PROBEKIT_BTF_FILE";
	const char *archive_path = getenv("PROBEKIT_BTF_ARCHIVE");
	const char *host_root, *uname_r, *uname_v, *uname_m;
	const struct pk_candidate *red = NULL;
	char *archive = NULL;
	size_t archive_len = 0;
	bool json = false;
	int c, err;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'P': probe = optarg; probe_origin = "--probe"; break;
		case 'B': btf = optarg; btf_origin = "--btf"; break;
		case 'A': archive_path = optarg; break;
		case 'h': usage(stdout); return PK_EXIT_OK;
		case ':':
			return pk_usage_err("detect", "option '%s' needs a value", argv[optind - 1]);
		default: {
			int taken = c == '?' ? 0 : pk_cli_repo__opt(ro, c, optarg, "detect");

			if (taken == 1)
				break;
			return taken ? taken : pk_usage_err("detect", "unknown option '%s'", argv[optind - 1]);
		}
		}
	}
	host_root = ro->host_root;
	uname_r = ro->uname_r;
	uname_v = ro->uname_v;
	uname_m = ro->uname_m;
	if (optind < argc) {
		return pk_usage_err("detect", "unexpected argument '%s'", argv[optind]);
	}
	if (probe && !*probe)
		probe = NULL;
	if (btf && !*btf)
		btf = NULL;

	{
		static const char *const names[] = { "--uname-r", "--uname-v", "--uname-m" };
		const char *vals[] = { uname_r, uname_v, uname_m };

		/* uname(2)'s fields hold 64 bytes */
		for (size_t i = 0; i < PK_ARRAY_SIZE(vals); i++)
			if (vals[i] && (!vals[i][0] || strlen(vals[i]) > 64)) {
					return pk_usage_err("detect", "%s must be 1 to 64 bytes", names[i]);
			}
	}
	if (host_root && !*host_root)
		host_root = NULL;
	if (host_root) {
		struct stat st;

		if (stat(host_root, &st)) {
			pk_err("cannot open host root '%s': %s", host_root, strerror(errno));
			return PK_EXIT_ERROR;
		}
		if (!S_ISDIR(st.st_mode)) {
			pk_err("host root '%s' is not a directory", host_root);
			return PK_EXIT_ERROR;
		}
	}
	{
		PK_HOST_OPTS(hopts, .os_root = host_root, .uname_r = uname_r, .uname_v = uname_v,
			     .machine = uname_m);

		err = pk_host__detect(&h, &hopts);
	}
	if (err) {
		pk_err("cannot detect the host: %s", strerror(-err));
		return PK_EXIT_ERROR;
	}
	/* the repository's names for this host (a name that cannot be made is part of
	 * the answer, not a failure), the fetcher, the chain's repository candidates */
	err = pk_cli_repo__setup(ro, &h, "detect");
	if (err)
		return err;
	pk_features__probe(&f, &h);
	if (archive_path && *archive_path) {
		err = pk_file__read(archive_path, &archive, &archive_len, 1u << 30);
		if (err) {
			pk_err("cannot open '%s': %s", archive_path, strerror(-err));
			return PK_EXIT_ERROR;
		}
	}
	{
		PK_CHAIN_OPTS(copts, .probe_path = probe, .probe_origin = probe_origin,
			      .btf_path = btf, .btf_origin = btf_origin,
			      .btf_archive_data = archive, .btf_archive_len = archive_len,
			      .extend = pk_repo_source__extend, .extend_ctx = &ro->source,
			      .only = ro->candidates);
		pk_chain__build(&ch, &h, &f, &copts);
	}
	for (int i = 0; i < ch.n; i++)
		if (!strcmp(ch.c[i].name, "embedded-core+reduced-btf"))
			red = &ch.c[i];

	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "kernel_release", h.kernel_release);
		pk_json__kv_str(&j, "kernel_version", h.kernel_version);
		pk_json__kv_str(&j, "uname_version", h.uname_version);
		pk_json__kv_str(&j, "arch", h.arch);
		pk_json__kv_str(&j, "os_id", h.os.id);
		pk_json__kv_str(&j, "os_version_id", h.os.version_id);
		if (h.os_error.code)
			pk_json__kv_str(&j, "os_release_error", pk_error__str(&h.os_error));
		pk_json__kv_str(&j, "target_id", h.target_id);
		repo_key_json(&j, &ro->key_names, &ro->key_names_err);
		repos_json(&j, ro);
		pk_json__key(&j, "kernel_btf");
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "source", pk_kernel_btf__str(h.btf_source));
		pk_json__kv_str(&j, "path", h.btf_source == PK_KERNEL_BTF_NONE ? NULL : h.btf_path);
		pk_json__obj_end(&j);
		pk_json__key(&j, "features");
		pk_json__obj_begin(&j);
		pk_json__kv_bool(&j, "ringbuf", f.ringbuf);
		pk_json__kv_bool(&j, "perfbuf", f.perfbuf);
		pk_json__kv_bool(&j, "raw_tp", f.raw_tp);
		pk_json__kv_bool(&j, "tp_btf", f.tp_btf);
		pk_json__key(&j, "helpers");
		pk_json__obj_begin(&j);
		for (int i = 0; i < f.nr_helpers; i++)
			pk_json__kv_bool(&j, f.helpers[i].name, f.helpers[i].ok);
		pk_json__obj_end(&j);
		if (f.helpers_errno)
			pk_json__kv_str(&j, "helpers_error", strerror(f.helpers_errno));
		if (f.probe_errno)
			pk_json__kv_str(&j, "probe_error", strerror(f.probe_errno));
		pk_json__obj_end(&j);
		pk_json__key(&j, "privileges");
		pk_json__obj_begin(&j);
		pk_json__kv_bool(&j, "root", h.is_root);
		pk_json__kv_bool(&j, "cap_bpf", h.cap_bpf);
		pk_json__kv_bool(&j, "cap_perfmon", h.cap_perfmon);
		pk_json__kv_bool(&j, "cap_sys_admin", h.cap_sys_admin);
		pk_json__obj_end(&j);
		pk_json__kv_str(&j, "lockdown", h.lockdown[0] ? h.lockdown : NULL);
		if (red) {
			pk_json__key(&j, "btf_archive");
			pk_json__obj_begin(&j);
			pk_json__kv_str(&j, "source", archive ? archive_path : "embedded");
			pk_json__kv_uint(&j, "kernels", red->archive_entries);
			pk_json__kv_str(&j, "host_key", red->btf_desc + strlen("embedded reduced BTF "));
			pk_json__kv_bool(&j, "host_key_present", red->archive_hit);
			pk_json__kv_int(&j, "near_misses", red->archive_near_misses);
			pk_json__obj_end(&j);
		}
		pk_json__key(&j, "candidates");
		pk_chain__to_json(&ch, &j);
		pk_json__obj_end(&j);
		pk_chain__free(&ch);
		free(archive);
		if (j.err) {
			pk_json__free(&j);
			pk_err("cannot format JSON: %s", strerror(-j.err));
			return PK_EXIT_ERROR;
		}
		printf("%s\n", j.buf);
		pk_json__free(&j);
		return PK_EXIT_OK;
	}

	printf("kernel:      %s #%s (%s)\n", h.kernel_release, h.kernel_version, h.arch);
	printf("os:          %s %s (%s)\n", h.os.id[0] ? h.os.id : "unknown", h.os.version_id,
	       h.os.pretty_name);
	if (h.os_error.code)
		printf("             os-release ignored: %s\n", pk_error__str(&h.os_error));
	printf("target id:   %s\n", h.target_id[0] ? h.target_id : "undetermined");
	repo_key_text(&ro->key_names, &ro->key_names_err);
	repos_text(ro);
	printf("kernel BTF:  %s%s%s\n", pk_kernel_btf__str(h.btf_source),
	       h.btf_source == PK_KERNEL_BTF_NONE ? "" : " ", h.btf_source == PK_KERNEL_BTF_NONE ? "" : h.btf_path);
	printf("features:    ringbuf %s, perfbuf %s, raw_tp %s, tp_btf %s\n", f.ringbuf ? "yes" : "no",
	       f.perfbuf ? "yes" : "no", f.raw_tp ? "yes" : "no", f.tp_btf ? "yes" : "no");
	printf("helpers:    ");
	for (int i = 0; i < f.nr_helpers; i++)
		if (!f.helpers[i].ok)
			printf(" %s:no", f.helpers[i].name);
	if (f.nr_helpers)
		printf(" (all others yes)\n");
	else
		printf(" not probed%s%s\n", f.helpers_errno ? ": cannot list the probe's helpers: " : "",
		       f.helpers_errno ? strerror(f.helpers_errno) : "");
	if (f.probe_errno)
		printf("probing:     limited: %s\n", strerror(f.probe_errno));
	printf("privileges:  root %s, CAP_BPF %s, CAP_PERFMON %s, CAP_SYS_ADMIN %s\n",
	       h.is_root ? "yes" : "no", h.cap_bpf ? "yes" : "no", h.cap_perfmon ? "yes" : "no",
	       h.cap_sys_admin ? "yes" : "no");
	printf("lockdown:    %s%s\n", h.lockdown[0] ? h.lockdown : "unknown (no /sys/kernel/security/lockdown)",
	       !strcmp(h.lockdown, "confidentiality") ?
	       ": BPF programs may not read kernel memory, no tracing probe can load" : "");
	if (red)
		printf("reduced BTF: %zu kernels in the %s archive; this host (%s): %s%s\n",
		       red->archive_entries, archive ? archive_path : "embedded",
		       red->btf_desc + strlen("embedded reduced BTF "),
		       red->archive_hit ? "present" : "absent",
		       red->archive_near_misses ? " (near misses exist: see the candidate)" : "");
	printf("candidates (in order):\n");
	for (int i = 0; i < ch.n; i++) {
		const struct pk_candidate *cd = &ch.c[i];

		printf("  %d. %-14s object %s, BTF %s\n     %s%s\n", i + 1, cd->name, cd->obj_desc,
		       cd->btf_desc, cd->state == PK_ATTEMPT_SKIPPED ? "skip: " : "would try",
		       cd->state == PK_ATTEMPT_SKIPPED ? cd->err.msg : "");
	}
	pk_chain__free(&ch);
	free(archive);
	return PK_EXIT_OK;
}

int cmd_detect(int argc, char **argv)
{
	struct pk_cli_repo ro;
	int rc;

	pk_cli_repo__init(&ro);
	rc = detect(argc, argv, &ro);
	pk_cli_repo__free(&ro);
	return rc;
}
