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
#include "build/probe_source.h"
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
		"Kernel BTF, features, privileges and candidates stay this machine's.\n");
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
	if (e->code)
		printf("             not all names: %s\n", pk_error__str(e));
}

int cmd_detect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "probe", required_argument, NULL, 'P' },
		{ "btf", required_argument, NULL, 'B' },
		{ "btf-archive", required_argument, NULL, 'A' },
		{ "host-root", required_argument, NULL, 'R' },
		{ "uname-r", required_argument, NULL, 'r' },
		{ "uname-v", required_argument, NULL, 'V' },
		{ "uname-m", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_host h;
	struct pk_features f;
	struct pk_chain ch;
	const char *probe = getenv("PROBEKIT_BPF_FILE"), *btf = getenv("PROBEKIT_BTF_FILE");
	const char *probe_origin = "PROBEKIT_BPF_FILE", *btf_origin = "PROBEKIT_BTF_FILE";
	const char *archive_path = getenv("PROBEKIT_BTF_ARCHIVE");
	const char *host_root = getenv("HOST_ROOT"), *uname_r = NULL, *uname_v = NULL, *uname_m = NULL;
	const struct pk_candidate *red = NULL;
	struct pk_repo_key key;
	struct pk_error key_err = { 0 };
	char pv[PK_PROBE_VERSION_LEN + 1];
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
		case 'R': host_root = optarg; break;
		case 'r': uname_r = optarg; break;
		case 'V': uname_v = optarg; break;
		case 'm': uname_m = optarg; break;
		case 'h': usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("detect", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("detect", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return pk_usage_err("detect", "unexpected argument '%s'", argv[optind]);
	if (probe && !*probe)
		probe = NULL;
	if (btf && !*btf)
		btf = NULL;

	{
		static const char *const names[] = { "--uname-r", "--uname-v", "--uname-m" };
		const char *vals[] = { uname_r, uname_v, uname_m };

		/* uname(2)'s fields hold 64 bytes */
		for (size_t i = 0; i < PK_ARRAY_SIZE(vals); i++)
			if (vals[i] && (!vals[i][0] || strlen(vals[i]) > 64))
				return pk_usage_err("detect", "%s must be 1 to 64 bytes", names[i]);
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
	err = pk_probe_source__version(pv);
	if (err) {
		pk_err("cannot compute the probe version: %s", strerror(-err));
		return PK_EXIT_ERROR;
	}
	/* a name that cannot be made is part of the answer, not a failure */
	pk_repo_key__from_host(&h, pv, &key, &key_err);
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
			      .btf_archive_data = archive, .btf_archive_len = archive_len);
		pk_chain__build(&ch, &h, &f, &copts);
	}
	for (int i = 0; i < ch.n; i++)
		if (ch.c[i].btf_src == PK_CAND_BTF_MEMORY)
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
		repo_key_json(&j, &key, &key_err);
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
	repo_key_text(&key, &key_err);
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
