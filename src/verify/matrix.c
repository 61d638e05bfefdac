/* The verify engine (matrix.h): per kernel, once, resolve the input, unpack the
 * image, cut out its BTF, mirror its artifacts out of the repository and write the
 * initramfs; then one boot per mode, N at a time, each judged from the guest's
 * own selftest JSON. Never prints: rows and the on_row callback say everything. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/pk.h"
#include "repo/index.h"
#include "repo/mirror.h"
#include "repo/repo.h"
#include "verify/initramfs.h"
#include "verify/kvm.h"
#include "verify/matrix.h"

static const char *const mode_names[PK_VERIFY__N] = { "btf", "no-btf", "object", "legacy", "repo" };
static const char *const verdict_names[] = { "pass", "fail", "error" };

const char *pk_verify_mode__str(enum pk_verify_mode m)
{
	return (unsigned)m < PK_VERIFY__N ? mode_names[m] : "?";
}

int pk_verify_mode__parse(const char *name)
{
	for (int m = 0; m < PK_VERIFY__N; m++)
		if (!strcmp(name, mode_names[m]))
			return m;
	return -1;
}

const char *pk_verify_verdict__str(enum pk_verify_verdict v)
{
	return (unsigned)v <= PK_VERIFY_ERROR ? verdict_names[v] : "?";
}

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
	/* legacy, repo: what the repository holds for this kernel */
	bool have_legacy, have_repo_artifact;
	struct pk_error repo_err;	/* why the repository gave nothing (mirror failed) */
	int rows_left;
};

struct engine {
	const struct pk_verify_opts *o;
	struct pk_verify_run *run;
	struct kernel *kernels;
	int nk, next_row;
	unsigned modes;
	const char *qemu;
	bool own_logdir;
	char nonce[40];
	pthread_mutex_t lock;
};

/* --append: the guest init reads probekit.* words from the command line; the rest
 * of QEMU's 2 KiB line is console and panic settings */
#define APPEND_BUF 1024

static void sanitize(char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '-' || *s == '_' || *s == '+'))
			*s = '_';
}

static const char *suite_of(const char *input)
{
	static const char *const suites[] = { "buster", "bullseye", "bookworm", "trixie" };

	for (size_t i = 0; i < PK_ARRAY_SIZE(suites); i++)
		if (!strncmp(input, "debian:", 7) && !strncmp(input + 7, suites[i], strlen(suites[i])))
			return suites[i];
	return NULL;
}

static void note_add(struct kernel *k, const char *fmt, const char *what)
{
	size_t l = strlen(k->note);

	snprintf(k->note + l, sizeof(k->note) - l, "%s", l ? "; " : "");
	l = strlen(k->note);
	snprintf(k->note + l, sizeof(k->note) - l, fmt, what);
}

/*
 * Legacy and repo modes: this kernel's artifacts out of the repository into
 * dir/repo, as `repo mirror` copies them (the index and its signature byte for
 * byte, every file checked against the signed index on the way), selected by
 * the image's uname -r. What the mirror holds decides which rows can boot.
 */
static int mirror_repo(struct engine *en, struct kernel *k, char *dir, size_t dir_len)
{
	const struct pk_verify_opts *o = en->o;
	struct pk_mirror_sel *sel = NULL;
	struct pk_repo_mirror_result mr = { 0 };
	struct pk_index *ix = NULL;
	char line[200];
	int r;

	if (!k->boot.release[0])
		return pk_error__set(&k->repo_err, -ENOENT,
				     "the image does not say its release: no repository artifact can be chosen");
	if ((size_t)snprintf(dir, dir_len, "%s/repo", k->dir) >= dir_len)
		return pk_error__set(&k->repo_err, -ENAMETOOLONG, "'%s': path too long", k->dir);
	sel = pk_mirror_sel__new();
	if (!sel)
		return pk_error__set(&k->repo_err, -ENOMEM, "out of memory");
	snprintf(line, sizeof(line), "%s\n", k->boot.release);
	r = pk_mirror_sel__add_kernels(sel, line, strlen(line), "release", &k->repo_err);
	if (!r) {
		PK_REPO_MIRROR_OPTS(mo, .key = o->repo_key, .sel = sel,
				    .allow_expired = PK_OPTS_GET(o, allow_expired, false), .result = &mr);

		r = pk_repo__mirror(o->repo, dir, &mo, &k->repo_err);
		if (r)
			pk_error__set(&k->repo_err, r, "the repository %s: %s", o->repo, pk_error__str(&k->repo_err));
	}
	pk_mirror_sel__free(sel);
	if (r)
		return r;
	/* what was mirrored: read back unverified, it was verified on the way in */
	r = pk_repo__load(dir, NULL, true, NULL, &ix, &k->repo_err);
	if (r)
		return r;
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		char f[PATH_MAX + 600];

		if (strcmp(a->kind, "legacy-object") && strcmp(a->kind, "reduced-btf"))
			continue;
		snprintf(f, sizeof(f), "%s/%s", dir, a->path);
		if (access(f, R_OK))
			continue;
		k->have_repo_artifact = true;
		if (!strcmp(a->kind, "legacy-object"))
			k->have_legacy = true;
	}
	pk_index__free(ix);
	return 0;
}

/* resolve, extract, unpack, BTF, repository, initramfs: once per kernel, by its first row */
static void prepare(struct engine *en, struct kernel *k)
{
	const struct pk_verify_opts *o = en->o;
	char path[PATH_MAX], file[PATH_MAX + 32], osr[256], repo[PATH_MAX];
	struct pk_error why = { 0 };	/* an optional step's reason, kept as a note */
	struct pk_kimg img, elf;
	bool have_repo = false;
	int err;

	err = pk_file__mkdirs(k->dir, true);
	if (err) {
		pk_error__set(&k->err, err, "cannot create '%s': %s", k->dir, strerror(-err));
		goto fail;
	}
	if (!strncmp(k->input, "debian:", 7)) {
		err = pk_kimg__fetch(k->input, o->corpus ? o->corpus : "scripts/kernel-corpus.sh", path,
				     sizeof(path), &k->err);
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
			note_add(k, "boots the bzImage (slower): %.400s", pk_error__str(&why));
	}
	if (en->modes & PK_VERIFY_MODE_BIT(PK_VERIFY_NO_BTF)) {
		if (k->boot.kind != PK_KIMG_ELF) {
			note_add(k, "%s", "no BTF file for no-btf: image not unpacked");
		} else {
			snprintf(file, sizeof(file), "%s/vmlinux.btf", k->dir);
			if (!pk_kimg__write_btf(k->boot.path, file, &why))
				k->have_btf = true;
			else
				note_add(k, "no BTF file for no-btf: %s", pk_error__str(&why));
		}
	}
	if (en->modes & PK_VERIFY_NEEDS_REPO)
		have_repo = !mirror_repo(en, k, repo, sizeof(repo));
	{
		PK_INITRAMFS_OPTS(io, .probekit = o->agent, .probe_obj = o->probe, .nonce = en->nonce,
				  .selfcheck_timeout_s = 30);
		char btf[PATH_MAX + 32];

		snprintf(btf, sizeof(btf), "%s/vmlinux.btf", k->dir);
		if (k->have_btf)
			io.btf_file = btf;
		if (!pk_kimg__os_release(&k->boot, suite_of(k->input), osr, sizeof(osr)))
			io.os_release = osr;
		if (have_repo) {
			io.repo_dir = repo;
			io.repo_key = o->repo_key;
			io.allow_expired = PK_OPTS_GET(o, allow_expired, false);
		}
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

/* the probe's own verdict in the guest -> pass/fail and the reason (matrix.h) */
void pk_verify_row__judge(struct pk_verify_row *r, const struct pk_vm_result *res)
{
	struct pk_vm_guest *g = &r->guest;

	pk_vm_guest__parse(res->json, g);
	if (!g->valid) {
		r->verdict = PK_VERIFY_FAIL;
		pk_error__set(&r->reason, -EBADMSG, "selftest printed no valid JSON (exit %d)%s%.300s",
			      res->guest_rc, res->guest_err && *res->guest_err ? ": " : "",
			      res->guest_err ? res->guest_err : "");
		return;
	}
	r->guest_json = strdup(res->json);
	if (g->src_sha256[0]) {
		pk_strlcpy(r->artifact.kind, g->src_kind, sizeof(r->artifact.kind));
		pk_strlcpy(r->artifact.path, g->src_path, sizeof(r->artifact.path));
		pk_strlcpy(r->artifact.sha256, g->src_sha256, sizeof(r->artifact.sha256));
	}
	if (res->guest_rc != 0 || !g->passed) {
		r->verdict = PK_VERIFY_FAIL;
		pk_error__set(&r->reason, -ENOEXEC, "selftest exit %d: %s", res->guest_rc,
			      g->reason[0] ? g->reason : "self-check did not pass");
		return;
	}
	r->verdict = PK_VERIFY_FAIL;
	switch (r->mode) {
	case PK_VERIFY_OBJECT:
		if (strcmp(g->candidate, "explicit")) {
			pk_error__set(&r->reason, -ENOEXEC, "the object did not serve (the agent fell back to %s): %s",
				      g->candidate, g->reason);
			return;
		}
		break;
	case PK_VERIFY_NO_BTF:
		if (!strcmp(g->candidate, "embedded-btf")) {
			pk_error__set(&r->reason, -ENOEXEC, "sysfs BTF was not hidden (embedded-btf won)");
			return;
		}
		break;
	case PK_VERIFY_LEGACY:
	case PK_VERIFY_REPO:
		if (r->mode == PK_VERIFY_LEGACY && strcmp(g->candidate, "repo-legacy")) {
			pk_error__set(&r->reason, -ENOEXEC, "%s won, not this kernel's legacy object", g->candidate);
			return;
		}
		if (strncmp(g->candidate, "repo-", 5) || !g->src_sha256[0] || !g->src_repo[0] ||
		    g->src_from_cache) {
			pk_error__set(&r->reason, -ENOEXEC,
				      "%s won without a download verified in the guest (source %s)",
				      g->candidate, g->src_repo[0] ? g->src_repo : "none");
			return;
		}
		break;
	default:
		break;
	}
	r->verdict = PK_VERIFY_PASS;
}

/* decided without a boot: the repository holds nothing this mode can use */
static bool no_artifact(struct kernel *k, struct pk_verify_row *r, const char *repo)
{
	if (r->mode != PK_VERIFY_LEGACY && r->mode != PK_VERIFY_REPO)
		return false;
	if (k->repo_err.msg[0]) {
		r->reason = k->repo_err;
	} else if (r->mode == PK_VERIFY_LEGACY && !k->have_legacy) {
		pk_error__set(&r->reason, -ENOENT, "%s lists no legacy object for %s", repo, k->boot.release);
	} else if (!k->have_repo_artifact) {
		pk_error__set(&r->reason, -ENOENT, "%s lists no legacy object or reduced BTF for %s", repo,
			      k->boot.release);
	} else {
		return false;
	}
	r->verdict = PK_VERIFY_ERROR;
	r->outcome = k->repo_err.msg[0] ? "repo-error" : "no-artifact";
	return true;
}

/*
 * A nested hypervisor can pass the KVM probe and still stall every real kernel;
 * each run would then lose its first boot's 20 s to find out again. The stall is
 * remembered for this host boot (keyed by its boot id, under /run, which a reboot
 * empties); PROBEKIT_KVM_STALL_FILE names another file (tests).
 */
#define KVM_STALL_FILE "/run/probekit/kvm-stall"

static const char *stall_file(void)
{
	const char *f = getenv("PROBEKIT_KVM_STALL_FILE");

	return f && *f ? f : KVM_STALL_FILE;
}

static bool boot_id(char *buf, size_t n)
{
	char *data = NULL;
	size_t len = 0;

	if (pk_file__read("/proc/sys/kernel/random/boot_id", &data, &len, 128) || len < 8) {
		free(data);
		return false;
	}
	snprintf(buf, n, "%.*s", (int)strcspn(data, "\n"), data);
	free(data);
	return true;
}

/* the reason KVM stalled earlier in this host boot, or false */
static bool kvm_stalled_before(struct pk_error *why)
{
	char id[64], *data = NULL;
	size_t len = 0;
	bool hit;

	if (!boot_id(id, sizeof(id)) || pk_file__read(stall_file(), &data, &len, 1024))
		return false;
	hit = len > strlen(id) && !strncmp(data, id, strlen(id)) && data[strlen(id)] == ' ';
	if (hit)
		pk_error__set(why, -ETIMEDOUT, "%.*s (remembered for this host boot in %s)",
			      (int)strcspn(data + strlen(id) + 1, "\n"), data + strlen(id) + 1, stall_file());
	free(data);
	return hit;
}

static void kvm_stall_remember(const struct pk_error *why)
{
	char id[64], line[700];

	if (!boot_id(id, sizeof(id)) || pk_file__mkdirs(stall_file(), false))
		return;
	snprintf(line, sizeof(line), "%s %.600s\n", id, pk_error__str(why));
	pk_file__write_atomic(stall_file(), line, strlen(line));	/* a hint only: errors ignored */
}

static void run_row(struct engine *en, struct pk_verify_row *r, struct kernel *k)
{
	const struct pk_verify_opts *o = en->o;
	struct pk_verify_run *run = en->run;
	struct pk_vm_result res;
	char append[APPEND_BUF];
	enum pk_vm_accel accel;

	pthread_mutex_lock(&k->lock);
	if (!k->prepared) {
		prepare(en, k);
		k->prepared = true;
	}
	pthread_mutex_unlock(&k->lock);
	pk_strlcpy(r->kernel, k->label, sizeof(r->kernel));
	pk_strlcpy(r->version, k->boot.version, sizeof(r->version));
	if ((size_t)snprintf(r->log, sizeof(r->log), "%s/%s-%s.log", run->logdir, k->label,
			     mode_names[r->mode]) >= sizeof(r->log)) {
		r->verdict = PK_VERIFY_ERROR;
		r->outcome = "bad-input";
		pk_error__set(&r->reason, -ENAMETOOLONG, "'%s': path too long", run->logdir);
		r->log[0] = 0;
		return;
	}
	if (k->prep_err) {
		r->verdict = PK_VERIFY_ERROR;
		r->outcome = "bad-input";
		pk_error__set(&r->reason, k->prep_err, "%s", pk_error__str(&k->err));
		r->log[0] = 0;
		return;
	}
	if (no_artifact(k, r, o->repo)) {
		r->log[0] = 0;
		return;
	}
	/* never cut: the caller keeps --append short (PK_VERIFY_APPEND_MAX) */
	snprintf(append, sizeof(append), "probekit.mode=%s%s%s", mode_names[r->mode],
		 o->append ? " " : "", o->append ? o->append : "");
	r->booted = true;
	for (;;) {
		pthread_mutex_lock(&en->lock);
		accel = run->accel;
		pthread_mutex_unlock(&en->lock);
		PK_VM_OPTS(vo, .qemu = en->qemu, .kernel = k->boot.path, .initrd = k->initrd,
			   .append = append, .mem_mb = o->mem_mb ?: 768, .accel = accel,
			   .timeout_s = o->timeout_s > 0 ? o->timeout_s : 300, .console_path = r->log,
			   .nonce = en->nonce);
		pk_vm__run(&vo, &res);
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
		if (res.outcome != PK_VM_KVM_STALL || PK_OPTS_GET(o, kvm_only, false))
			break;
		/* nested KVM that runs nothing: software emulation from now on */
		pthread_mutex_lock(&en->lock);
		if (run->accel == PK_VM_ACCEL_KVM)
			kvm_stall_remember(&res.err);
		run->accel = PK_VM_ACCEL_TCG;
		run->accel_err = res.err;
		pthread_mutex_unlock(&en->lock);
		pk_vm_result__free(&res);
	}
	r->accel = accel;
	r->outcome = pk_vm_outcome__str(res.outcome);
	r->verdict_s = res.verdict_s;
	r->wall_s = res.wall_s;
	memcpy(r->tail, res.tail, sizeof(r->tail));
	if (res.outcome == PK_VM_VERDICT) {
		pk_verify_row__judge(r, &res);
	} else {
		r->verdict = PK_VERIFY_ERROR;
		r->reason = res.err;
	}
	if (k->note[0] && r->verdict != PK_VERIFY_PASS &&
	    (r->mode == PK_VERIFY_NO_BTF || strstr(k->note, "bzImage"))) {
		struct pk_error was = r->reason;

		pk_error__set(&r->reason, was.code ?: -EIO, "%s (%s)", pk_error__str(&was), k->note);
	}
	pk_vm_result__free(&res);
}

static void *worker(void *arg)
{
	struct engine *en = arg;
	struct pk_verify_run *run = en->run;

	for (;;) {
		struct pk_verify_row *r;
		struct kernel *k;
		bool last;
		int i;

		pthread_mutex_lock(&en->lock);
		if (en->next_row >= run->nr_rows) {
			pthread_mutex_unlock(&en->lock);
			return NULL;
		}
		i = en->next_row++;
		r = &run->rows[i];
		pthread_mutex_unlock(&en->lock);
		k = &en->kernels[i / __builtin_popcount(en->modes)];

		run_row(en, r, k);

		pthread_mutex_lock(&en->lock);
		last = --k->rows_left == 0;
		if (r->verdict == PK_VERIFY_PASS && !en->o->keep && r->log[0]) {
			unlink(r->log);
			r->log[0] = 0;
		}
		if (PK_OPTS_GET(en->o, on_row, NULL))
			en->o->on_row(r, PK_OPTS_GET(en->o, ctx, NULL));
		pthread_mutex_unlock(&en->lock);
		if (last && !en->o->keep)
			pk_file__rm_tree(k->dir);	/* vmlinux, BTF, mirror and initramfs: tens of MB per kernel */
	}
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

static void make_nonce(char *buf, size_t n)
{
	unsigned char b[8] = { 0 };
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd < 0 || read(fd, b, sizeof(b)) != sizeof(b))
		snprintf(buf, n, "%lx%x", (long)time(NULL), (unsigned)getpid());
	else
		snprintf(buf, n, "%02x%02x%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2], b[3], b[4], b[5],
			 b[6], b[7]);
	if (fd >= 0)
		close(fd);
}

int pk_verify__run(const struct pk_verify_opts *o, struct pk_verify_run **out, struct pk_error *err)
{
	struct engine en = { .o = o };
	struct pk_verify_run *run;
	const char *tmpdir;
	pthread_t *th = NULL;
	double t0;
	int nmodes, jobs, r = 0;

	*out = NULL;
	if (!PK_OPTS_VALID(o, struct pk_verify_opts) || !o->agent || o->nr_kernels < 1)
		return pk_error__set(err, -EINVAL, "verify needs kernels and an agent binary");
	en.modes = PK_OPTS_GET(o, modes, 0u) ?: PK_VERIFY_MODE_BIT(PK_VERIFY_BTF) | PK_VERIFY_MODE_BIT(PK_VERIFY_NO_BTF);
	if (en.modes >> PK_VERIFY__N)
		return pk_error__set(err, -EINVAL, "verify: unknown mode");
	if ((en.modes & PK_VERIFY_MODE_BIT(PK_VERIFY_OBJECT)) && !o->probe)
		return pk_error__set(err, -EINVAL, "mode object needs a probe object");
	if ((en.modes & PK_VERIFY_NEEDS_REPO) && (!PK_OPTS_GET(o, repo, NULL) || !PK_OPTS_GET(o, repo_key, NULL)))
		return pk_error__set(err, -EINVAL, "modes legacy and repo need a repository and its public key");
	nmodes = __builtin_popcount(en.modes);
	en.qemu = PK_OPTS_GET(o, qemu, NULL) ?: getenv("PROBEKIT_QEMU");
	if (!en.qemu || !*en.qemu)
		en.qemu = "qemu-system-x86_64";

	run = calloc(1, sizeof(*run));
	en.kernels = calloc(o->nr_kernels, sizeof(*en.kernels));
	if (run)
		run->rows = calloc((size_t)o->nr_kernels * nmodes, sizeof(*run->rows));
	if (!run || !en.kernels || !run->rows) {
		free(en.kernels);
		pk_verify_run__free(run);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	en.run = run;
	tmpdir = getenv("TMPDIR");
	snprintf(run->workdir, sizeof(run->workdir), "%s/probekit-verify.XXXXXX", tmpdir && *tmpdir ? tmpdir : "/tmp");
	if (!mkdtemp(run->workdir)) {
		r = pk_error__set(err, -errno, "cannot create '%s': %s", run->workdir, strerror(errno));
		run->workdir[0] = 0;
		goto fail;
	}
	if (PK_OPTS_GET(o, log_dir, NULL)) {
		pk_strlcpy(run->logdir, o->log_dir, sizeof(run->logdir));
		en.own_logdir = true;
	} else if ((size_t)snprintf(run->logdir, sizeof(run->logdir), "%s/logs", run->workdir) >= sizeof(run->logdir)) {
		run->logdir[0] = 0;	/* mkdirs fails below and says so */
	}
	r = pk_file__mkdirs(run->logdir, true);
	if (r) {
		pk_error__set(err, r, "cannot create '%s': %s", run->logdir, strerror(-r));
		goto fail;
	}
	make_nonce(en.nonce, sizeof(en.nonce));
	en.nk = o->nr_kernels;
	for (int i = 0; i < en.nk; i++) {
		struct kernel *k = &en.kernels[i];
		const char *base = strrchr(o->kernels[i], '/');

		k->input = o->kernels[i];
		if ((size_t)snprintf(k->dir, sizeof(k->dir), "%s/k%d", run->workdir, i) >= sizeof(k->dir))
			k->dir[0] = 0;	/* prepare() fails on it: cannot create '' */
		snprintf(k->label, sizeof(k->label), "%s", base ? base + 1 : k->input);
		sanitize(k->label);
		pthread_mutex_init(&k->lock, NULL);
		for (int m = 0; m < PK_VERIFY__N; m++)
			if (en.modes & PK_VERIFY_MODE_BIT(m)) {
				struct pk_verify_row *row = &run->rows[run->nr_rows++];

				row->input = k->input;
				row->mode = m;
				pk_strlcpy(row->kernel, k->label, sizeof(row->kernel));
				k->rows_left++;
			}
	}
	pthread_mutex_init(&en.lock, NULL);
	run->jobs = PK_OPTS_GET(o, jobs, 1) > 0 ? o->jobs : 1;

	if (!in_path(en.qemu)) {
		/* nothing can boot: every row says so, and the run could not be done */
		for (int i = 0; i < run->nr_rows; i++) {
			run->rows[i].verdict = PK_VERIFY_ERROR;
			run->rows[i].outcome = "launch-failed";
			pk_error__set(&run->rows[i].reason, -ENOENT,
				      "'%s' not found (install qemu-system-x86 or set PROBEKIT_QEMU)", en.qemu);
		}
		r = pk_error__set(err, -ENOENT, "'%s' not found (install qemu-system-x86 or set PROBEKIT_QEMU)",
				  en.qemu);
		goto counts;
	}
	run->accel = PK_OPTS_GET(o, accel, PK_VM_ACCEL_AUTO);
	if (run->accel != PK_VM_ACCEL_TCG) {
		if (!PK_OPTS_GET(o, kvm_only, false) && kvm_stalled_before(&run->accel_err)) {
			run->accel = PK_VM_ACCEL_TCG;
		} else if (!pk_kvm__probe(&run->accel_err)) {
			run->accel = PK_VM_ACCEL_KVM;
		} else if (PK_OPTS_GET(o, kvm_only, false)) {
			r = pk_error__set(err, -ENODEV, "--accel kvm: %s", pk_error__str(&run->accel_err));
			goto fail;
		} else {
			run->accel = PK_VM_ACCEL_TCG;
		}
	}

	t0 = pk_now_ms();
	jobs = run->jobs < run->nr_rows ? run->jobs : run->nr_rows;
	th = calloc(jobs, sizeof(*th));
	if (!th) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	{
		int started = 0;

		for (int i = 0; i < jobs; i++)
			if (!pthread_create(&th[i], NULL, worker, &en))
				started++;
			else
				break;
		for (int i = 0; i < started; i++)
			pthread_join(th[i], NULL);
		if (!started)
			worker(&en);
	}
	run->wall_s = (pk_now_ms() - t0) / 1e3;
counts:
	for (int i = 0; i < run->nr_rows; i++)
		run->counts[run->rows[i].verdict]++;
	for (int i = 0; i < en.nk; i++)
		pthread_mutex_destroy(&en.kernels[i].lock);
	if (!o->keep)
		for (int i = 0; i < en.nk; i++)
			pk_file__rm_tree(en.kernels[i].dir);
	free(en.kernels);
	free(th);
	if (PK_OPTS_GET(o, discard_logs, false) && !o->keep)
		for (int i = 0; i < run->nr_rows; i++)
			if (run->rows[i].log[0]) {	/* the tail is in the row */
				unlink(run->rows[i].log);
				run->rows[i].log[0] = 0;
			}
	if (!o->keep) {
		/* the logs of rows that did not pass stay (in the work dir unless the
		 * caller named a log directory); the rest of the work dir goes */
		bool kept = false;

		for (int i = 0; i < run->nr_rows && !en.own_logdir; i++)
			kept |= run->rows[i].log[0] != 0;
		if (!kept)
			pk_file__rm_tree(run->workdir);
		else
			rmdir(run->workdir);	/* only when empty */
	}
	*out = run;
	return r;
fail:
	if (run->workdir[0] && !o->keep)
		pk_file__rm_tree(run->workdir);
	free(en.kernels);
	free(th);
	pk_verify_run__free(run);
	return r;
}

void pk_verify_run__free(struct pk_verify_run *run)
{
	if (!run)
		return;
	for (int i = 0; i < run->nr_rows; i++)
		free(run->rows[i].guest_json);
	free(run->rows);
	free(run);
}
