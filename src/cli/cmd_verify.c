/* `probekit verify`: boot kernel images under QEMU with this agent inside, run
 * its selftest there and print a kernel x mode matrix. One bad kernel never
 * stops the others; every boot ends by its timeout at the latest. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "cli.h"
#include "common/json.h"
#include "common/pk.h"
#include "verify/console.h"
#include "verify/initramfs.h"
#include "verify/kimg.h"
#include "verify/kvm.h"
#include "verify/qemu.h"

enum mode { MODE_BTF, MODE_NO_BTF, MODE_OBJECT, MODE__N };
static const char *const mode_names[MODE__N] = { "btf", "no-btf", "object" };

enum verdict { V_PASS, V_FAIL, V_ERROR };
static const char *const verdict_names[] = { "pass", "fail", "error" };

struct kernel {
	const char *input;		/* as given */
	char dir[PATH_MAX];		/* work files of this kernel */
	char label[160];		/* release, or the input's base name */
	pthread_mutex_t lock;
	bool prepared;
	int prep_err;
	struct pk_error err;		/* preparation failure */
	char note[PK_VM_WHY_LEN];	/* preparation remarks (no BTF file, boots the bzImage) */
	struct pk_kimg boot;		/* what QEMU boots */
	char initrd[PATH_MAX];
	bool have_btf;
	int rows_left;
};

struct row {
	struct kernel *k;
	enum mode mode;
	enum verdict v;
	bool done;
	struct pk_error reason;		/* why not passed */
	struct pk_vm_guest guest;
	char *guest_json;		/* validated selftest JSON, or NULL */
	enum pk_vm_accel accel;
	double verdict_s, wall_s;
	const char *outcome;
	char log[PATH_MAX];		/* console log, kept when not passed */
	char tail[PK_VM_TAIL_LEN];
	struct pk_error retried;	/* why the boot was repeated once; msg "" if it was not */
};

struct verify {
	struct kernel *kernels;
	int nk;
	struct row *rows;
	int nrows, next_row;
	unsigned modes;
	const char *probe;
	const char *agent;
	const char *corpus;
	const char *qemu;
	const char *append;		/* --append: extra kernel command line */
	char workdir[PATH_MAX];
	char logdir[PATH_MAX];
	bool own_logdir, keep;
	bool kvm_only;			/* --accel kvm: no fallback to TCG */
	int jobs, mem_mb;
	double timeout_s;
	bool json;
	enum pk_vm_accel accel;		/* resolved: kvm or tcg */
	struct pk_error accel_err;	/* why not KVM */
	char nonce[40];
	pthread_mutex_t lock;
};

/* --append: the guest init reads probekit.* words from the command line; the rest
 * of QEMU's 2 KiB line is console and panic settings */
#define APPEND_MAX 900
#define APPEND_BUF (APPEND_MAX + 64)	/* "probekit.mode=MODE " + --append + NUL */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: probekit verify --kernel IMAGE... [--mode btf|no-btf|object|all] [--probe OBJ]\n"
		"                       [-j N] [--timeout S] [--json]\n\n"
		"Boot each kernel under QEMU (KVM when usable, else software emulation) with this\n"
		"agent inside, run 'probekit selftest' there and report kernel x mode -> pass/fail.\n\n"
		"options:\n"
		"  -k, --kernel IMAGE  a kernel image (bzImage/vmlinuz, PVH vmlinux), a kernel package\n"
		"                      (.deb, .rpm), or debian:SUITE[:PACKAGE] fetched through\n"
		"                      scripts/kernel-corpus.sh; repeatable, bare arguments are kernels too\n"
		"  -m, --mode LIST     btf (as booted), no-btf (/sys/kernel/btf hidden: embedded reduced\n"
		"                      BTF, else a BTF file made from the image), object (--probe only),\n"
		"                      all; comma-separated (default btf,no-btf)\n"
		"  --probe OBJ         BPF object for mode object\n"
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
			*modes |= 1u << MODE_BTF | 1u << MODE_NO_BTF;
			continue;
		}
		for (m = 0; m < MODE__N && strcmp(tok, mode_names[m]); m++)
			;
		if (m == MODE__N)
			return -1;
		*modes |= 1u << m;
	}
	return *modes ? 0 : -1;
}

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_' || *s == '+'))
			*s = '_';
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];

	if (pk_strlcpy(tmp, path, sizeof(tmp)))
		return -ENAMETOOLONG;
	for (char *p = tmp + 1; *p; p++)
		if (*p == '/') {
			*p = 0;
			if (mkdir(tmp, 0755) && errno != EEXIST)
				return -errno;
			*p = '/';
		}
	if (mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static void rm_rf(const char *path)
{
	char *argv[] = { "rm", "-rf", "--", (char *)path, NULL };
	pid_t pid = fork();

	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

static const char *suite_of(const char *input)
{
	static const char *const suites[] = { "buster", "bullseye", "bookworm", "trixie" };

	for (size_t i = 0; i < PK_ARRAY_SIZE(suites); i++)
		if (!strncmp(input, "debian:", 7) && !strncmp(input + 7, suites[i], strlen(suites[i])))
			return suites[i];
	return NULL;
}

/* resolve, extract, unpack, BTF, initramfs: once per kernel, by its first row */
static void prepare(struct verify *vf, struct kernel *k)
{
	char path[PATH_MAX], file[PATH_MAX + 32], osr[256];
	struct pk_error why = { 0 };	/* an optional step's reason, kept as a note */
	struct pk_kimg img, elf;
	int err;

	err = mkdir_p(k->dir);
	if (err) {
		pk_error__set(&k->err, err, "cannot create '%s': %s", k->dir, strerror(-err));
		goto fail;
	}
	if (!strncmp(k->input, "debian:", 7)) {
		err = pk_kimg__fetch(k->input, vf->corpus, path, sizeof(path), &k->err);
		if (err)
			goto fail;
	} else if (pk_strlcpy(path, k->input, sizeof(path))) {
		err = pk_error__set(&k->err, -ENAMETOOLONG, "path too long");
		goto fail;
	}
	/* a package (by its magic) gives up its image; anything else must be one */
	err = pk_kimg__from_package(path, k->dir, file, sizeof(file), &why);
	if (err && err != -ENOEXEC) {
		k->err = why;
		goto fail;
	}
	err = pk_kimg__probe(err ? path : file, &img, &k->err);
	if (err)
		goto fail;
	k->boot = img;
	if (img.release[0]) {
		pk_strlcpy(k->label, img.release, sizeof(k->label));
		sanitize(k->label);
	}
	if (img.kind == PK_KIMG_BZIMAGE) {
		snprintf(file, sizeof(file), "%s/vmlinux", k->dir);
		if (!pk_kimg__unpack(&img, file, &elf, &why))
			k->boot = elf;
		else
			snprintf(k->note, sizeof(k->note), "boots the bzImage (slower): %.400s", pk_error__str(&why));
	}
	if (vf->modes & (1u << MODE_NO_BTF)) {
		if (k->boot.kind != PK_KIMG_ELF) {
			snprintf(k->note + strlen(k->note), sizeof(k->note) - strlen(k->note),
				 "%sno BTF file for no-btf: image not unpacked", k->note[0] ? "; " : "");
		} else {
			snprintf(file, sizeof(file), "%s/vmlinux.btf", k->dir);
			if (!pk_kimg__write_btf(k->boot.path, file, &why))
				k->have_btf = true;
			else
				snprintf(k->note + strlen(k->note), sizeof(k->note) - strlen(k->note),
					 "%sno BTF file for no-btf: %s", k->note[0] ? "; " : "", pk_error__str(&why));
		}
	}
	{
		PK_INITRAMFS_OPTS(io, .probekit = vf->agent, .probe_obj = vf->probe, .nonce = vf->nonce,
				  .selfcheck_timeout_s = 30);
		char btf[PATH_MAX + 32];

		snprintf(btf, sizeof(btf), "%s/vmlinux.btf", k->dir);
		if (k->have_btf)
			io.btf_file = btf;
		if (!pk_kimg__os_release(&k->boot, suite_of(k->input), osr, sizeof(osr)))
			io.os_release = osr;
		if ((size_t)snprintf(k->initrd, sizeof(k->initrd), "%s/initrd.cpio", k->dir) >= sizeof(k->initrd)) {
			err = pk_error__set(&k->err, -ENAMETOOLONG, "'%s': path too long", k->dir);
			goto fail;
		}
		err = pk_initramfs__build(k->initrd, &io, &k->err);
		if (err)
			goto fail;
	}
	k->prep_err = 0;
	return;
fail:
	k->prep_err = err ? err : -EINVAL;
}

/* the probe's own verdict in the guest -> pass/fail and the reason */
static void judge(struct row *r, const struct pk_vm_result *res)
{
	struct pk_vm_guest *g = &r->guest;

	pk_vm_guest__parse(res->json, g);
	if (!g->valid) {
		r->v = V_FAIL;
		pk_error__set(&r->reason, -EBADMSG, "selftest printed no valid JSON (exit %d)%s%.300s",
			 res->guest_rc, res->guest_err && *res->guest_err ? ": " : "",
			 res->guest_err ? res->guest_err : "");
		return;
	}
	r->guest_json = strdup(res->json);
	if (res->guest_rc != 0 || !g->passed) {
		r->v = V_FAIL;
		pk_error__set(&r->reason, -ENOEXEC, "selftest exit %d: %s", res->guest_rc,
			 g->reason[0] ? g->reason : "self-check did not pass");
		return;
	}
	if (r->mode == MODE_OBJECT && strcmp(g->candidate, "explicit")) {
		r->v = V_FAIL;
		pk_error__set(&r->reason, -ENOEXEC, "the object did not serve (the agent fell back to %s): %s",
			 g->candidate, g->reason);
		return;
	}
	if (r->mode == MODE_NO_BTF && !strcmp(g->candidate, "embedded-btf")) {
		r->v = V_FAIL;
		pk_error__set(&r->reason, -ENOEXEC, "sysfs BTF was not hidden (embedded-btf won)");
		return;
	}
	r->v = V_PASS;
}

static void run_row(struct verify *vf, struct row *r)
{
	struct kernel *k = r->k;
	struct pk_vm_result res;
	char append[APPEND_BUF];
	enum pk_vm_accel accel;

	pthread_mutex_lock(&k->lock);
	if (!k->prepared) {
		prepare(vf, k);
		k->prepared = true;
	}
	pthread_mutex_unlock(&k->lock);
	if ((size_t)snprintf(r->log, sizeof(r->log), "%s/%s-%s.log", vf->logdir, k->label,
			     mode_names[r->mode]) >= sizeof(r->log)) {
		r->v = V_ERROR;
		r->outcome = "bad-input";
		pk_error__set(&r->reason, -ENAMETOOLONG, "'%s': path too long", vf->logdir);
		r->log[0] = 0;
		return;
	}
	if (k->prep_err) {
		r->v = V_ERROR;
		r->outcome = "bad-input";
		pk_error__set(&r->reason, k->prep_err, "%s", pk_error__str(&k->err));
		r->log[0] = 0;
		return;
	}
	/* never cut: main() refuses an --append longer than APPEND_MAX */
	snprintf(append, sizeof(append), "probekit.mode=%s%s%s", mode_names[r->mode],
	    vf->append ? " " : "", vf->append ? vf->append : "");
	for (;;) {
		pthread_mutex_lock(&vf->lock);
		accel = vf->accel;
		pthread_mutex_unlock(&vf->lock);
		PK_VM_OPTS(o, .qemu = vf->qemu, .kernel = k->boot.path, .initrd = k->initrd,
			   .append = append, .mem_mb = vf->mem_mb, .accel = accel,
			   .timeout_s = vf->timeout_s, .console_path = r->log, .nonce = vf->nonce);
		pk_vm__run(&o, &res);
		if (res.outcome == PK_VM_EXITED && !res.tail[0] && !r->retried.msg[0]) {
			/* QEMU gone before the kernel printed one byte: a fault of the
			 * emulator, not a verdict on the kernel (seen once in 36 TCG
			 * boots; the same kernel and mode passed on the next boot).
			 * Boot once more and say so in the result. */
			pk_error__set(&r->retried, res.err.code ?: -EIO, "%s",
				      res.err.msg[0] ? res.err.msg : "no console output");
			pk_vm_result__free(&res);
			continue;
		}
		if (res.outcome == PK_VM_PANIC && !res.init_started && !r->retried.msg[0] &&
		    accel == PK_VM_ACCEL_TCG) {
			/* a panic before /init ran is about the kernel and the emulator,
			 * not the probe; under TCG it has been an emulation fault (a
			 * general protection fault on iretq in do_sync_core, once in 36
			 * boots; the same kernel passed in the other mode). Boot once
			 * more; a kernel that really panics panics again and says so. */
			pk_error__set(&r->retried, res.err.code ?: -EIO, "panic before /init: %s", pk_error__str(&res.err));
			pk_vm_result__free(&res);
			continue;
		}
		if (res.outcome != PK_VM_KVM_STALL || vf->kvm_only)
			break;
		/* nested KVM that runs nothing: software emulation from now on */
		pthread_mutex_lock(&vf->lock);
		vf->accel = PK_VM_ACCEL_TCG;
		vf->accel_err = res.err;
		pthread_mutex_unlock(&vf->lock);
		pk_vm_result__free(&res);
	}
	r->accel = accel;
	r->outcome = pk_vm_outcome__str(res.outcome);
	r->verdict_s = res.verdict_s;
	r->wall_s = res.wall_s;
	memcpy(r->tail, res.tail, sizeof(r->tail));
	if (res.outcome == PK_VM_VERDICT) {
		judge(r, &res);
	} else {
		r->v = V_ERROR;
		r->reason = res.err;
	}
	if (k->note[0] && r->v != V_PASS && (r->mode == MODE_NO_BTF || strstr(k->note, "bzImage"))) {
		struct pk_error was = r->reason;

		pk_error__set(&r->reason, was.code ?: -EIO, "%s (%s)", pk_error__str(&was), k->note);
	}
	pk_vm_result__free(&res);
}

static void *worker(void *arg)
{
	struct verify *vf = arg;

	for (;;) {
		struct row *r;
		bool last;

		pthread_mutex_lock(&vf->lock);
		if (vf->next_row >= vf->nrows) {
			pthread_mutex_unlock(&vf->lock);
			return NULL;
		}
		r = &vf->rows[vf->next_row++];
		pthread_mutex_unlock(&vf->lock);

		run_row(vf, r);

		pthread_mutex_lock(&vf->lock);
		r->done = true;
		last = --r->k->rows_left == 0;
		if (r->v == V_PASS && !vf->keep && r->log[0])
			unlink(r->log);
		if (r->v == V_PASS)
			pk_note("verify: %s %s: pass (%s, %.1fs, %s)", r->k->label, mode_names[r->mode],
				r->guest.candidate, r->verdict_s, pk_vm_accel__str(r->accel));
		else
			pk_note("verify: %s %s: %s: %s", r->k->label, mode_names[r->mode],
				verdict_names[r->v], pk_error__str(&r->reason));
		pthread_mutex_unlock(&vf->lock);
		if (last && !vf->keep)
			rm_rf(r->k->dir);	/* vmlinux, BTF and initramfs: tens of MB per kernel */
	}
}

static void print_text(struct verify *vf, double wall)
{
	int i, npass = 0;

	printf("%-34s %-7s %-6s %-24s %10s %8s %5s\n", "KERNEL", "MODE", "RESULT", "CANDIDATE",
	       "SELFCHECK", "BOOT", "ACCEL");
	for (i = 0; i < vf->nrows; i++) {
		struct row *r = &vf->rows[i];
		char lat[32] = "-", boot[32] = "-";

		if (r->guest.latency_ms >= 0 && r->guest.valid)
			snprintf(lat, sizeof(lat), "%.1fms", r->guest.latency_ms);
		if (r->verdict_s > 0)
			snprintf(boot, sizeof(boot), "%.1fs", r->verdict_s);
		printf("%-34s %-7s %-6s %-24s %10s %8s %5s\n", r->k->label, mode_names[r->mode],
		       verdict_names[r->v], r->guest.candidate[0] ? r->guest.candidate : "-", lat, boot,
		       r->outcome && strcmp(r->outcome, "bad-input") ? pk_vm_accel__str(r->accel) : "-");
		npass += r->v == V_PASS;
	}
	printf("\n%d of %d passed in %.1fs (%s%s%s)\n", npass, vf->nrows, wall, pk_vm_accel__str(vf->accel),
	       vf->accel_err.msg[0] ? ": KVM not used: " : "", vf->accel_err.msg);
	for (i = 0; i < vf->nrows; i++) {
		struct row *r = &vf->rows[i];
		const char *t = r->tail;
		int lines = 0;

		if (r->v == V_PASS)
			continue;
		printf("\n%s %s: %s: %s\n", r->k->label, mode_names[r->mode], verdict_names[r->v], pk_error__str(&r->reason));
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

static void print_json(struct verify *vf, double wall)
{
	struct pk_json j;
	int i, n[3] = { 0 };

	pk_json__init(&j, true);
	pk_json__obj_begin(&j);
	pk_json__kv_str(&j, "accel", pk_vm_accel__str(vf->accel));
	pk_json__kv_str(&j, "kvm_unused_reason", vf->accel_err.msg[0] ? vf->accel_err.msg : NULL);
	pk_json__kv_double(&j, "wall_s", wall);
	pk_json__kv_int(&j, "jobs", vf->jobs);
	pk_json__kv_double(&j, "timeout_s", vf->timeout_s);
	pk_json__kv_str(&j, "append", vf->append);
	pk_json__key(&j, "results");
	pk_json__arr_begin(&j);
	for (i = 0; i < vf->nrows; i++) {
		struct row *r = &vf->rows[i];

		n[r->v]++;
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "kernel", r->k->label);
		pk_json__kv_str(&j, "input", r->k->input);
		pk_json__kv_str(&j, "version", r->k->boot.version[0] ? r->k->boot.version : NULL);
		pk_json__kv_str(&j, "mode", mode_names[r->mode]);
		pk_json__kv_str(&j, "result", verdict_names[r->v]);
		pk_json__kv_bool(&j, "passed", r->v == V_PASS);
		pk_json__kv_str(&j, "outcome", r->outcome);
		pk_json__kv_str(&j, "reason", r->v == V_PASS ? NULL : pk_error__str(&r->reason));
		pk_json__kv_str(&j, "retried", r->retried.msg[0] ? r->retried.msg : NULL);
		pk_json__kv_str(&j, "candidate", r->guest.candidate[0] ? r->guest.candidate : NULL);
		pk_json__kv_str(&j, "btf", r->guest.btf[0] ? r->guest.btf : NULL);
		if (r->guest.valid && r->guest.latency_ms >= 0)
			pk_json__kv_double(&j, "selfcheck_latency_ms", r->guest.latency_ms);
		else
			pk_json__kv_str(&j, "selfcheck_latency_ms", NULL);
		if (r->verdict_s > 0)
			pk_json__kv_double(&j, "boot_to_verdict_s", r->verdict_s);
		else
			pk_json__kv_str(&j, "boot_to_verdict_s", NULL);
		pk_json__kv_double(&j, "vm_wall_s", r->wall_s);
		pk_json__kv_str(&j, "accel", strcmp(r->outcome, "bad-input") ? pk_vm_accel__str(r->accel) : NULL);
		pk_json__kv_str(&j, "console_log", r->v != V_PASS || vf->keep ? (r->log[0] ? r->log : NULL) : NULL);
		pk_json__kv_str(&j, "console_tail", r->v != V_PASS ? r->tail : NULL);
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
	pk_json__kv_int(&j, "pass", n[V_PASS]);
	pk_json__kv_int(&j, "fail", n[V_FAIL]);
	pk_json__kv_int(&j, "error", n[V_ERROR]);
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

static bool in_path(const char *prog)
{
	char *path = getenv("PATH"), *dup, *d, *save = NULL, f[PATH_MAX];
	bool found = false;

	if (strchr(prog, '/'))
		return !access(prog, X_OK);
	dup = strdup(path ? path : "/usr/bin:/bin");
	for (d = dup ? strtok_r(dup, ":", &save) : NULL; d && !found; d = strtok_r(NULL, ":", &save)) {
		snprintf(f, sizeof(f), "%s/%s", d, prog);
		found = !access(f, X_OK);
	}
	free(dup);
	return found;
}

int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "mode", required_argument, NULL, 'm' },
		{ "probe", required_argument, NULL, 'P' },
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
	struct verify vf = { .jobs = 1, .timeout_s = 300, .mem_mb = 768 };
	const char **inputs = calloc(argc + 1, sizeof(*inputs));
	char exe[PATH_MAX], corpus[PATH_MAX], *end;
	bool all = false, want_kvm = false;
	const char *tmpdir;
	pthread_t *th = NULL;
	double t0 = 0, t1 = 0;	/* ms, pk_now_ms() */
	int ni = 0, opt, i, m, rc = PK_EXIT_OK, err;
	double wall;

	if (!inputs) {
		pk_err("out of memory");
		return PK_EXIT_ERROR;
	}
	vf.modes = 1u << MODE_BTF | 1u << MODE_NO_BTF;
	optind = 1;
	while ((opt = getopt_long(argc, argv, ":k:m:j:h", opts, NULL)) != -1) {
		switch (opt) {
		case 'k': inputs[ni++] = optarg; break;
		case 'm':
			if (parse_modes(optarg, &vf.modes, &all)) {
				free(inputs);
				return pk_usage_err("verify", "invalid --mode '%s' (btf, no-btf, object, all)", optarg);
			}
			break;
		case 'P': vf.probe = optarg; break;
		case 'j':
			vf.jobs = strtol(optarg, &end, 10);
			if (*end || vf.jobs < 1 || vf.jobs > 64) {
				free(inputs);
				return pk_usage_err("verify", "invalid -j '%s' (1 to 64)", optarg);
			}
			break;
		case 't':
			vf.timeout_s = strtod(optarg, &end);
			if (*end || !(vf.timeout_s > 0) || vf.timeout_s > 86400) {
				free(inputs);
				return pk_usage_err("verify", "invalid --timeout '%s' (seconds)", optarg);
			}
			break;
		case 'a':
			if (!strcmp(optarg, "kvm"))
				vf.accel = PK_VM_ACCEL_KVM, want_kvm = true;
			else if (!strcmp(optarg, "tcg"))
				vf.accel = PK_VM_ACCEL_TCG;
			else if (!strcmp(optarg, "auto"))
				vf.accel = PK_VM_ACCEL_AUTO;
			else {
				free(inputs);
				return pk_usage_err("verify", "invalid --accel '%s' (auto, kvm, tcg)", optarg);
			}
			break;
		case 'M':
			vf.mem_mb = strtol(optarg, &end, 10);
			if (*end || vf.mem_mb < 128 || vf.mem_mb > 65536) {
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
			vf.append = optarg;
			break;
		case 'L':
			pk_strlcpy(vf.logdir, optarg, sizeof(vf.logdir));
			vf.own_logdir = true;
			break;
		case 'K': vf.keep = true; break;
		case 'A': vf.agent = optarg; break;
		case 'J': vf.json = true; break;
		case 'h': usage(stdout); free(inputs); return PK_EXIT_OK;
		case ':': free(inputs); return pk_usage_err("verify", "option '%s' needs a value", argv[optind - 1]);
		default: free(inputs); return pk_usage_err("verify", "unknown option '%s'", argv[optind - 1]);
		}
	}
	for (; optind < argc; optind++)
		inputs[ni++] = argv[optind];
	if (!ni) {
		free(inputs);
		return pk_usage_err("verify", "no kernel given (--kernel IMAGE)");
	}
	if (all && vf.probe)
		vf.modes |= 1u << MODE_OBJECT;
	if ((vf.modes & (1u << MODE_OBJECT)) && !vf.probe) {
		free(inputs);
		return pk_usage_err("verify", "mode object needs --probe OBJ");
	}
	if (vf.probe && access(vf.probe, R_OK)) {
		pk_err("cannot read '%s': %s", vf.probe, strerror(errno));
		free(inputs);
		return PK_EXIT_ERROR;
	}
	if (!vf.agent) {
		ssize_t l = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

		if (l <= 0) {
			pk_err("cannot find my own binary: %s", strerror(errno));
			free(inputs);
			return PK_EXIT_ERROR;
		}
		exe[l] = 0;
		vf.agent = exe;
	}
	vf.corpus = find_corpus(corpus, sizeof(corpus));
	vf.qemu = getenv("PROBEKIT_QEMU");
	if (!vf.qemu || !*vf.qemu)
		vf.qemu = "qemu-system-x86_64";

	tmpdir = getenv("TMPDIR");
	snprintf(vf.workdir, sizeof(vf.workdir), "%s/probekit-verify.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(vf.workdir)) {
		pk_err("cannot create '%s': %s", vf.workdir, strerror(errno));
		free(inputs);
		return PK_EXIT_ERROR;
	}
	if (!vf.own_logdir)
		if ((size_t)snprintf(vf.logdir, sizeof(vf.logdir), "%s/logs", vf.workdir) >= sizeof(vf.logdir))
			vf.logdir[0] = 0;	/* mkdir fails below and says so */
	err = mkdir_p(vf.logdir);
	if (err) {
		pk_err("cannot create '%s': %s", vf.logdir, strerror(-err));
		rm_rf(vf.workdir);
		free(inputs);
		return PK_EXIT_ERROR;
	}
	{
		FILE *u = fopen("/dev/urandom", "re");
		unsigned char b[8] = { 0 };

		if (!u || fread(b, 1, sizeof(b), u) != sizeof(b))
			snprintf(vf.nonce, sizeof(vf.nonce), "%lx%x", (long)time(NULL), (unsigned)getpid());
		else
			snprintf(vf.nonce, sizeof(vf.nonce), "%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1],
				 b[2], b[3], b[4], b[5], b[6], b[7]);
		if (u)
			fclose(u);
	}

	vf.kernels = calloc(ni, sizeof(*vf.kernels));
	vf.rows = calloc((size_t)ni * MODE__N, sizeof(*vf.rows));
	if (!vf.kernels || !vf.rows) {
		pk_err("out of memory");
		rc = PK_EXIT_ERROR;
		goto done;
	}
	vf.nk = ni;
	for (i = 0; i < ni; i++) {
		struct kernel *k = &vf.kernels[i];

		k->input = inputs[i];
		if ((size_t)snprintf(k->dir, sizeof(k->dir), "%s/k%d", vf.workdir, i) >= sizeof(k->dir))
			k->dir[0] = 0;	/* prepare() fails on it: cannot create '' */
		snprintf(k->label, sizeof(k->label), "%s", strrchr(inputs[i], '/') ? strrchr(inputs[i], '/') + 1
										   : inputs[i]);
		sanitize(k->label);
		pthread_mutex_init(&k->lock, NULL);
		for (m = 0; m < MODE__N; m++)
			if (vf.modes & (1u << m)) {
				vf.rows[vf.nrows].k = k;
				vf.rows[vf.nrows++].mode = m;
				k->rows_left++;
			}
	}
	pthread_mutex_init(&vf.lock, NULL);

	if (!in_path(vf.qemu)) {
		/* nothing can boot: every row says so, and the run could not be done */
		for (i = 0; i < vf.nrows; i++) {
			vf.rows[i].v = V_ERROR;
			vf.rows[i].outcome = "launch-failed";
			pk_error__set(&vf.rows[i].reason, -ENOENT,
				      "'%s' not found (install qemu-system-x86 or set PROBEKIT_QEMU)", vf.qemu);
		}
		t0 = t1 = pk_now_ms();
		rc = PK_EXIT_ERROR;
		goto report;
	}
	vf.kvm_only = want_kvm;
	if (vf.accel != PK_VM_ACCEL_TCG) {
		err = pk_kvm__probe(&vf.accel_err);
		if (!err) {
			vf.accel = PK_VM_ACCEL_KVM;
		} else if (want_kvm) {
			pk_err("--accel kvm: %s", pk_error__str(&vf.accel_err));
			rc = PK_EXIT_ERROR;
			goto done;
		} else {
			vf.accel = PK_VM_ACCEL_TCG;
		}
	}
	if (!vf.json)
		pk_note("verify: %d kernel(s) x %d mode(s), %s, -j %d, work in %s", ni, vf.nrows / ni,
			pk_vm_accel__str(vf.accel), vf.jobs, vf.workdir);

	t0 = pk_now_ms();
	if (vf.jobs > vf.nrows)
		vf.jobs = vf.nrows;
	th = calloc(vf.jobs, sizeof(*th));
	if (!th) {
		pk_err("out of memory");
		rc = PK_EXIT_ERROR;
		goto done;
	}
	for (i = 0; i < vf.jobs; i++)
		if (pthread_create(&th[i], NULL, worker, &vf)) {
			pk_err("cannot start a worker thread");
			vf.jobs = i;
			break;
		}
	for (i = 0; i < vf.jobs; i++)
		pthread_join(th[i], NULL);
	if (!vf.jobs)
		worker(&vf);
	t1 = pk_now_ms();
	for (i = 0; i < vf.nrows; i++)
		if (vf.rows[i].v != V_PASS)
			rc = PK_EXIT_FAIL;
report:
	wall = (t1 - t0) / 1e3;
	if (vf.json)
		print_json(&vf, wall);
	else
		print_text(&vf, wall);
done:
	if (!vf.keep) {
		bool kept = false;

		for (i = 0; i < vf.nk && vf.kernels; i++)
			rm_rf(vf.kernels[i].dir);
		for (i = 0; i < vf.nrows; i++)
			kept |= vf.rows[i].v != V_PASS && vf.rows[i].log[0];
		if (!kept && !vf.own_logdir)
			rm_rf(vf.workdir);
		else if (!vf.own_logdir)
			rmdir(vf.workdir);	/* only when empty: the logs stay */
	}
	for (i = 0; i < vf.nrows; i++)
		free(vf.rows[i].guest_json);
	free(vf.rows);
	free(vf.kernels);
	free(th);
	free(inputs);
	return rc;
}
