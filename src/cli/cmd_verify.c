/* `probekit verify`: boot kernel images under QEMU with this agent inside, run
 * its selftest there and print a kernel x mode matrix (src/verify/matrix.h does
 * the work). One bad kernel never stops the others; every boot ends by its
 * timeout at the latest. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "common/json.h"
#include "common/pk.h"
#include "cli/repo_opts.h"
#include "verify/kvm.h"
#include "verify/matrix.h"

/* --append: the guest init reads probekit.* words from the command line; the rest
 * of QEMU's 2 KiB line is console and panic settings */
#define APPEND_MAX 900

static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit verify --kernel IMAGE... [--mode LIST] [--probe OBJ]\n"
		"                       [--repo URL|DIR --repo-key FILE] [-j N] [--timeout S] [--json]\n\n"
		"Boot each kernel under QEMU (KVM when usable, else software emulation) with this\n"
		"agent inside, run 'probekit selftest' there and report kernel x mode -> pass/fail.\n\n"
		"options:\n"
		"  -k, --kernel IMAGE  a kernel image (bzImage/vmlinuz, PVH vmlinux), a kernel package\n"
		"                      (.deb, .rpm), or debian:SUITE[:PACKAGE] fetched through\n"
		"                      scripts/kernel-corpus.sh; repeatable, bare arguments are kernels too\n"
		"  -m, --mode LIST     comma-separated (default btf,no-btf):\n"
		"                      btf     as booted (sysfs BTF)\n"
		"                      no-btf  /sys/kernel/btf hidden: embedded reduced BTF, else a\n"
		"                              BTF file made from the image\n"
		"                      object  --probe OBJ must serve\n"
		"                      legacy  sysfs BTF hidden, embedded objects and BTF not\n"
		"                              allowed: this kernel's legacy object from --repo\n"
		"                              must win\n"
		"                      repo    the guest gets only --repo and its key: the winner\n"
		"                              must be fetched and verified in the guest\n"
		"                      all     btf,no-btf, plus object with --probe and legacy,repo\n"
		"                              with --repo\n"
		"  --probe OBJ         BPF object for mode object\n"
		"  --repo URL|DIR      the signed repository for legacy and repo (env\n"
		"                      PROBEKIT_VERIFY_REPO): its index and this kernel's\n"
		"                      artifacts are mirrored into the guest's initramfs\n"
		"  --repo-key FILE     its minisign public key (env PROBEKIT_REPO_KEY)\n"
		"  --allow-expired     take an expired index (a mirror kept old on purpose; env\n"
		"                      PROBEKIT_ALLOW_EXPIRED=1)\n"
		"  -j, --jobs N        VMs at once (default 1)\n"
		"  --timeout S         per boot, launch to verdict (default 300)\n"
		"  --accel auto|kvm|tcg  (default auto: KVM when /dev/kvm works, else tcg)\n"
		"  --memory MB         guest memory (default 768)\n"
		"  --append ARGS       extra kernel command line for every boot, e.g.\n"
		"                      lockdown=confidentiality (what Secure Boot fleets run)\n"
		"  --log-dir DIR       console logs go here (default: the work directory)\n"
		"  --keep              keep every log and work file, not only failures' logs\n"
		"  --agent FILE        probekit binary to put in the guest (default: this one)\n"
		"  --json              one JSON document on stdout\n"
		"  -h, --help          this help\n\n"
		"environment: PROBEKIT_QEMU, PROBEKIT_BUSYBOX, PROBEKIT_KERNEL_CORPUS, TMPDIR\n"
		"exit codes: 0 all passed, 1 some kernel x mode did not, 2 usage, 3 could not run\n");
}

static int parse_modes(const char *s, unsigned *modes, bool *all)
{
	char buf[128], *tok, *save = NULL;

	if (pk_strlcpy(buf, s, sizeof(buf)))
		return -1;
	*modes = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		int m;

		if (!strcmp(tok, "all")) {
			*all = true;
			*modes |= PK_VERIFY_MODE_BIT(PK_VERIFY_BTF) | PK_VERIFY_MODE_BIT(PK_VERIFY_NO_BTF);
			continue;
		}
		m = pk_verify_mode__parse(tok);
		if (m < 0)
			return -1;
		*modes |= PK_VERIFY_MODE_BIT(m);
	}
	return *modes ? 0 : -1;
}

static void on_row(const struct pk_verify_row *r, void *ctx)
{
	if (r->verdict == PK_VERIFY_PASS)
		pk_note("verify: %s %s: pass (%s, %.1fs, %s)", r->kernel, pk_verify_mode__str(r->mode),
			r->guest.candidate, r->verdict_s, pk_vm_accel__str(r->accel));
	else
		pk_note("verify: %s %s: %s: %s", r->kernel, pk_verify_mode__str(r->mode),
			pk_verify_verdict__str(r->verdict), pk_error__str(&r->reason));
}

static void print_text(const struct pk_verify_run *run, bool keep)
{
	int i, npass = 0;

	printf("%-34s %-7s %-6s %-24s %10s %8s %5s\n", "KERNEL", "MODE", "RESULT", "CANDIDATE",
	       "SELFCHECK", "BOOT", "ACCEL");
	for (i = 0; i < run->nr_rows; i++) {
		const struct pk_verify_row *r = &run->rows[i];
		char lat[32] = "-", boot[32] = "-";

		if (r->guest.latency_ms >= 0 && r->guest.valid)
			snprintf(lat, sizeof(lat), "%.1fms", r->guest.latency_ms);
		if (r->verdict_s > 0)
			snprintf(boot, sizeof(boot), "%.1fs", r->verdict_s);
		printf("%-34s %-7s %-6s %-24s %10s %8s %5s\n", r->kernel, pk_verify_mode__str(r->mode),
		       pk_verify_verdict__str(r->verdict), r->guest.candidate[0] ? r->guest.candidate : "-", lat, boot,
		       r->booted ? pk_vm_accel__str(r->accel) : "-");
		npass += r->verdict == PK_VERIFY_PASS;
	}
	printf("\n%d of %d passed in %.1fs (%s%s%s)\n", npass, run->nr_rows, run->wall_s, pk_vm_accel__str(run->accel),
	       run->accel_err.msg[0] ? ": KVM not used: " : "", run->accel_err.msg);
	for (i = 0; i < run->nr_rows; i++) {
		const struct pk_verify_row *r = &run->rows[i];
		const char *t = r->tail;
		int lines = 0;

		if (r->verdict == PK_VERIFY_PASS)
			continue;
		printf("\n%s %s: %s: %s\n", r->kernel, pk_verify_mode__str(r->mode), pk_verify_verdict__str(r->verdict), pk_error__str(&r->reason));
		if (r->log[0])
			printf("  console log: %s\n", r->log);
		/* the last 12 lines */
		for (const char *p = t + strlen(t); p > t; p--)
			if (p[-1] == '\n' && p[0] && ++lines > 12) {
				t = p;
				break;
			}
		for (const char *p = t; *p;) {
			size_t n = strcspn(p, "\n");

			if (n)
				printf("  | %.*s\n", (int)n, p);
			p += n + (p[n] ? 1 : 0);
		}
	}
}

static void print_json(const struct pk_verify_run *run, const char *append, const char *repo,
		       double timeout_s, bool keep)
{
	struct pk_json j;
	int i;

	pk_json__init(&j, true);
	pk_json__obj_begin(&j);
	pk_json__kv_str(&j, "accel", pk_vm_accel__str(run->accel));
	pk_json__kv_str(&j, "kvm_unused_reason", run->accel_err.msg[0] ? run->accel_err.msg : NULL);
	pk_json__kv_double(&j, "wall_s", run->wall_s);
	pk_json__kv_int(&j, "jobs", run->jobs);
	pk_json__kv_double(&j, "timeout_s", timeout_s);
	pk_json__kv_str(&j, "append", append);
	pk_json__kv_str(&j, "repository", repo);
	pk_json__key(&j, "results");
	pk_json__arr_begin(&j);
	for (i = 0; i < run->nr_rows; i++) {
		const struct pk_verify_row *r = &run->rows[i];

		
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "kernel", r->kernel);
		pk_json__kv_str(&j, "input", r->input);
		pk_json__kv_str(&j, "version", r->version[0] ? r->version : NULL);
		pk_json__kv_str(&j, "mode", pk_verify_mode__str(r->mode));
		pk_json__kv_str(&j, "result", pk_verify_verdict__str(r->verdict));
		pk_json__kv_bool(&j, "passed", r->verdict == PK_VERIFY_PASS);
		pk_json__kv_str(&j, "outcome", r->outcome);
		pk_json__kv_str(&j, "reason", r->verdict == PK_VERIFY_PASS ? NULL : pk_error__str(&r->reason));
		pk_json__kv_str(&j, "retried", r->retried.msg[0] ? r->retried.msg : NULL);
		pk_json__kv_str(&j, "candidate", r->guest.candidate[0] ? r->guest.candidate : NULL);
		pk_json__kv_str(&j, "btf", r->guest.btf[0] ? r->guest.btf : NULL);
		pk_json__key(&j, "artifact");
		if (r->artifact.kind[0]) {
			pk_json__obj_begin(&j);
			pk_json__kv_str(&j, "kind", r->artifact.kind);
			pk_json__kv_str(&j, "path", r->artifact.path);
			pk_json__kv_str(&j, "sha256", r->artifact.sha256);
			pk_json__obj_end(&j);
		} else {
			pk_json__null(&j);
		}
		if (r->guest.valid && r->guest.latency_ms >= 0)
			pk_json__kv_double(&j, "selfcheck_latency_ms", r->guest.latency_ms);
		else
			pk_json__kv_str(&j, "selfcheck_latency_ms", NULL);
		if (r->verdict_s > 0)
			pk_json__kv_double(&j, "boot_to_verdict_s", r->verdict_s);
		else
			pk_json__kv_str(&j, "boot_to_verdict_s", NULL);
		pk_json__kv_double(&j, "vm_wall_s", r->wall_s);
		pk_json__kv_str(&j, "accel", r->booted ? pk_vm_accel__str(r->accel) : NULL);
		pk_json__kv_str(&j, "console_log", r->verdict != PK_VERIFY_PASS || keep ? (r->log[0] ? r->log : NULL) : NULL);
		pk_json__kv_str(&j, "console_tail", r->verdict != PK_VERIFY_PASS ? r->tail : NULL);
		pk_json__key(&j, "guest");
		if (r->guest_json) {	/* validated by pk_vm_guest__parse */
			pk_json__raw(&j, r->guest_json, strlen(r->guest_json));
			j.after_key = false;	/* the raw text was the key's value */
		} else
			pk_json__null(&j);
		pk_json__obj_end(&j);
	}
	pk_json__arr_end(&j);
	pk_json__key(&j, "summary");
	pk_json__obj_begin(&j);
	pk_json__kv_int(&j, "pass", run->counts[PK_VERIFY_PASS]);
	pk_json__kv_int(&j, "fail", run->counts[PK_VERIFY_FAIL]);
	pk_json__kv_int(&j, "error", run->counts[PK_VERIFY_ERROR]);
	pk_json__obj_end(&j);
	pk_json__obj_end(&j);
	if (!j.err)
		printf("%.*s\n", (int)j.len, j.buf);
	pk_json__free(&j);
}

static const char *find_corpus(char *buf, size_t n)
{
	char exe[PATH_MAX];
	const char *e = getenv("PROBEKIT_KERNEL_CORPUS");
	ssize_t l;

	if (e && *e)
		return e;
	l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (l > 0) {
		exe[l] = 0;
		snprintf(buf, n, "%s/../scripts/kernel-corpus.sh", dirname(exe));
		if (!access(buf, R_OK))
			return buf;
	}
	return "scripts/kernel-corpus.sh";
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "probe", required_argument, NULL, 'P' },
		{ "repo", required_argument, NULL, 'R' },
		{ "repo-key", required_argument, NULL, 'Y' },
		{ "allow-expired", no_argument, NULL, 'E' },
		{ "jobs", required_argument, NULL, 'j' },
		{ "timeout", required_argument, NULL, 't' },
		{ "accel", required_argument, NULL, 'a' },
		{ "memory", required_argument, NULL, 'M' },
		{ "append", required_argument, NULL, 'X' },
		{ "log-dir", required_argument, NULL, 'L' },
		{ "keep", no_argument, NULL, 'K' },
		{ "agent", required_argument, NULL, 'A' },
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	PK_VERIFY_OPTS(vo, .jobs = 1, .timeout_s = 300, .mem_mb = 768, .on_row = on_row);
	const char **inputs = calloc(argc + 1, sizeof(*inputs));
	char exe[PATH_MAX], corpus[PATH_MAX], *end;
	bool all = false, json = false;
	struct pk_verify_run *run = NULL;
	struct pk_error e = { 0 };
	int ni = 0, opt, rc, r;

	if (!inputs) {
		pk_err("out of memory");
		return PK_EXIT_ERROR;
	}
	vo.repo = getenv("PROBEKIT_VERIFY_REPO");
	vo.repo_key = getenv("PROBEKIT_REPO_KEY");
	vo.allow_expired = pk_cli__env_on("PROBEKIT_ALLOW_EXPIRED");
	vo.modes = PK_VERIFY_MODE_BIT(PK_VERIFY_BTF) | PK_VERIFY_MODE_BIT(PK_VERIFY_NO_BTF);
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":k:m:j:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': inputs[ni++] = optarg; break;
		case 'm':
			if (parse_modes(optarg, &vo.modes, &all)) {
				free(inputs);
				return pk_usage_err("verify", "invalid --mode '%s' (btf, no-btf, object, legacy, repo, all)", optarg);
			}
			break;
		case 'P': vo.probe = optarg; break;
		case 'R': vo.repo = optarg; break;
		case 'Y': vo.repo_key = optarg; break;
		case 'E': vo.allow_expired = true; break;
		case 'j':
			vo.jobs = strtol(optarg, &end, 10);
			if (*end || vo.jobs < 1 || vo.jobs > 64) {
				free(inputs);
				return pk_usage_err("verify", "invalid -j '%s' (1 to 64)", optarg);
			}
			break;
		case 't':
			vo.timeout_s = strtod(optarg, &end);
			if (*end || !(vo.timeout_s > 0) || vo.timeout_s > 86400) {
				free(inputs);
				return pk_usage_err("verify", "invalid --timeout '%s' (seconds)", optarg);
			}
			break;
		case 'a':
			if (!strcmp(optarg, "kvm"))
				vo.accel = PK_VM_ACCEL_KVM, vo.kvm_only = true;
			else if (!strcmp(optarg, "tcg"))
				vo.accel = PK_VM_ACCEL_TCG;
			else if (!strcmp(optarg, "auto"))
				vo.accel = PK_VM_ACCEL_AUTO;
			else {
				free(inputs);
				return pk_usage_err("verify", "invalid --accel '%s' (auto, kvm, tcg)", optarg);
			}
			break;
		case 'M':
			vo.mem_mb = strtol(optarg, &end, 10);
			if (*end || vo.mem_mb < 128 || vo.mem_mb > 65536) {
				free(inputs);
				return pk_usage_err("verify", "invalid --memory '%s' (MB, 128 to 65536)", optarg);
			}
			break;
		case 'X':
			if (strlen(optarg) > APPEND_MAX || strchr(optarg, '\n') || strstr(optarg, "probekit.")) {
				free(inputs);
				return pk_usage_err("verify", "invalid --append '%.40s' (at most %d bytes, one line, no probekit.* words)",
						    optarg, APPEND_MAX);
			}
			vo.append = optarg;
			break;
		case 'L': vo.log_dir = optarg; break;
		case 'K': vo.keep = true; break;
		case 'A': vo.agent = optarg; break;
		case 'J': json = true; break;
		case 'h': usage(stdout); free(inputs); return PK_EXIT_OK;
		case ':': free(inputs); return pk_usage_err("verify", "option '%s' needs a value", argv[optind - 1]);
		default: free(inputs); return pk_usage_err("verify", "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++)
		inputs[ni++] = argv[optind];
	if (vo.repo && !*vo.repo)
		vo.repo = NULL;
	if (vo.repo_key && !*vo.repo_key)
		vo.repo_key = NULL;
	if (!ni) {
		free(inputs);
		return pk_usage_err("verify", "no kernel given (--kernel IMAGE)");
	}
	if (all && vo.probe)
		vo.modes |= PK_VERIFY_MODE_BIT(PK_VERIFY_OBJECT);
	if (all && vo.repo)
		vo.modes |= PK_VERIFY_NEEDS_REPO;
	if ((vo.modes & PK_VERIFY_MODE_BIT(PK_VERIFY_OBJECT)) && !vo.probe) {
		free(inputs);
		return pk_usage_err("verify", "mode object needs --probe OBJ");
	}
	if ((vo.modes & PK_VERIFY_NEEDS_REPO) && (!vo.repo || !vo.repo_key)) {
		free(inputs);
		return pk_usage_err("verify", "modes legacy and repo need --repo URL|DIR and --repo-key FILE");
	}
	if (vo.probe && access(vo.probe, R_OK)) {
		pk_err("cannot read '%s': %s", vo.probe, strerror(errno));
		free(inputs);
		return PK_EXIT_ERROR;
	}
	if (vo.repo_key && (vo.modes & PK_VERIFY_NEEDS_REPO) && access(vo.repo_key, R_OK)) {
		pk_err("cannot read '%s': %s", vo.repo_key, strerror(errno));
		free(inputs);
		return PK_EXIT_ERROR;
	}
	if (!vo.agent) {
		ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (l <= 0) {
			pk_err("cannot find my own binary: %s", strerror(errno));
			free(inputs);
			return PK_EXIT_ERROR;
		}
		exe[l] = 0;
		vo.agent = exe;
	}
	vo.corpus = find_corpus(corpus, sizeof(corpus));
	vo.kernels = inputs;
	vo.nr_kernels = ni;
	if (!json)
		pk_note("verify: %d kernel(s) x %d mode(s), -j %d", ni, __builtin_popcount(vo.modes), vo.jobs);

	r = pk_verify__run(&vo, &run, &e);
	if (r && r != -ENOENT) {	/* -ENOENT: no QEMU, and every row says so */
		pk_err("%s", pk_error__str(&e));
		free(inputs);
		return PK_EXIT_ERROR;
	}
	if (json)
		print_json(run, vo.append, vo.repo, vo.timeout_s, vo.keep);
	else
		print_text(run, vo.keep);
	rc = r ? PK_EXIT_ERROR : run->counts[PK_VERIFY_PASS] == run->nr_rows ? PK_EXIT_OK : PK_EXIT_FAIL;
	pk_verify_run__free(run);
	free(inputs);
	return rc;
}
