/* `probekit farm --verify`: boot each kernel whose published legacy object or
 * reduced BTF is not verified yet under QEMU (src/verify/matrix.h) with the
 * repository the farm just signed, in modes legacy and repo, and write what the
 * boots proved as verification records (src/repo/verification.h); `repo index`
 * then marks the artifacts. Never prints. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "build/build.h"
#include "common/pk.h"
#include "common/sha256.h"
#include "farm/farm_verify.h"
#include "fetch/http.h"
#include "repo/minisign.h"
#include "repo/repo.h"
#include "repo/verification.h"
#include "verify/matrix.h"

#define IMAGE_MAX_BYTES (1ull << 30)

struct vk {				/* one kernel to boot */
	const struct pk_kernel *k;
	char legacy[1024], reduced[1024];	/* artifact paths; "" when the index has none to verify */
	char legacy_sha[65], reduced_sha[65];
	char image[PATH_MAX];
};

static bool wants(const struct pk_index_artifact *a, bool retry_failed)
{
	const char *s = a ? a->verification.state : NULL;

	if (!a)
		return false;
	return !s || !strcmp(s, "unverified") || (retry_failed && !strcmp(s, "failed"));
}

/* the image package from the build's package cache (pk_build__package_path, checked
 * again here), downloaded into it when absent */
static int image_of(const struct pk_kernel *k, const char *cache, struct pk_http **http, char *out,
		    size_t len, struct pk_error *err)
{
	const struct pk_pkg *p = &k->image;
	char got[65];
	uint64_t size;
	int r;

	if (!p->name || !p->sha256[0] || !p->url)
		return pk_error__set(err, -ENOENT, "the catalog names no image package with a SHA256");
	if (pk_build__package_path(cache, p, out, len))
		return pk_error__set(err, -ENAMETOOLONG, "cache path too long");
	if (!pk_sha256__file(out, IMAGE_MAX_BYTES, got, &size) && size == p->size && !strcmp(got, p->sha256))
		return 0;
	if (!*http) {
		PK_HTTP_OPTS(ho);

		r = pk_http__new(&ho, http, err);
		if (r)
			return r;
	}
	r = pk_file__mkdirs(out, false);
	if (r)
		return pk_error__set(err, r, "cannot create '%s': %s", out, strerror(-r));
	{
		PK_HTTP_DOWNLOAD_OPTS(d, .size = p->size, .sha256 = p->sha256, .label = p->name);

		return pk_http__download(*http, p->url, out, &d, err);
	}
}

static void add_failure(struct pk_farm_result *res, const struct pk_kernel *k, const char *mode,
			const char *why)
{
	struct pk_farm_failure *v = realloc(res->failures, (res->nr_failures + 1) * sizeof(*v));

	if (!v)
		return;
	res->failures = v;
	v = &v[res->nr_failures++];
	snprintf(v->key, sizeof(v->key), "%s:%s", k->target, k->kernelrelease);
	snprintf(v->reason, sizeof(v->reason), "verify %s: %s", mode, why);
}

/* the state of candidate name in the guest's attempts, "" when it is not there */
static const char *attempt_state(const struct pk_vm_guest *g, const char *name)
{
	for (int i = 0; i < g->nr_att; i++)
		if (!strcmp(g->att[i].name, name))
			return g->att[i].state;
	return "";
}

/* did the guest try these bytes and see them fail? A failure to fetch them (the
 * guest's agent could not read its own initramfs copy) says nothing of the bytes */
static bool tried_and_failed(const struct pk_vm_guest *g, const char *name)
{
	for (int i = 0; i < g->nr_att; i++)
		if (!strcmp(g->att[i].name, name))
			return !strcmp(g->att[i].state, "failed") && strcmp(g->att[i].stage, "fetch");
	return false;
}

/*
 * The results of one kernel's rows -> its record; counts into res. Only what a boot
 * proved is recorded: verified when the guest loaded these very bytes and the
 * self-check passed; failed when the guest tried them (the candidate's attempt
 * failed past its fetch: at open, load, attach or self-check) and they did not
 * serve. A row that did not reach a verdict (a timeout, a panic, QEMU that did not
 * start), a fetch that failed in the guest, or a candidate never tried proves
 * nothing: counted in verify_errors, the artifact stays as it was.
 */
static int record_kernel(const struct pk_farm_opts *o, const char *pv, const struct vk *v,
			 const struct pk_verify_row *rows, int nmodes, struct pk_farm_result *res,
			 struct pk_error *err)
{
	struct pk_verification out[2];
	char date[32], why[2][PK_ERROR_MSG_LEN + 200], note[PK_ERROR_MSG_LEN + 200];
	size_t n = 0;
	time_t now = time(NULL);

	strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%SZ", gmtime(&now));
	for (int i = 0; i < nmodes; i++) {
		const struct pk_verify_row *r = &rows[i];
		bool legacy = r->mode == PK_VERIFY_LEGACY;
		const char *path = legacy ? v->legacy : v->reduced;
		const char *sha = legacy ? v->legacy_sha : v->reduced_sha;
		const char *cand = legacy ? "repo-legacy" : "repo-reduced-btf";
		bool loaded = !strcmp(r->artifact.path, path) && !strcmp(r->artifact.sha256, sha);
		bool ok = r->verdict == PK_VERIFY_PASS && loaded;
		bool refuted = !ok && r->verdict != PK_VERIFY_ERROR && tried_and_failed(&r->guest, cand);

		if (!path[0])
			continue;
		if (!ok && !refuted) {	/* nothing proved either way: stays as it was */
			if (r->verdict == PK_VERIFY_PASS && r->artifact.path[0] && !loaded)
				snprintf(note, sizeof(note), "the guest loaded %s (%.12s), not %s (%.12s)",
					 r->artifact.path, r->artifact.sha256, path, sha);
			else if (r->verdict == PK_VERIFY_PASS)
				snprintf(note, sizeof(note), "%s won in the guest; %s was not tried (%s)",
					 r->guest.candidate, cand, attempt_state(&r->guest, cand));
			else
				snprintf(note, sizeof(note), "%s: %s", r->outcome, pk_error__str(&r->reason));
			res->verify_errors++;
			add_failure(res, v->k, pk_verify_mode__str(r->mode), note);
			continue;
		}
		if (refuted && r->verdict == PK_VERIFY_PASS)
			snprintf(why[n], sizeof(why[n]), "%s failed in the guest (%s served instead)", cand,
				 r->guest.candidate);
		else if (refuted)
			snprintf(why[n], sizeof(why[n]), "%s", pk_error__str(&r->reason));
		out[n] = (struct pk_verification){
			.path = path, .sha256 = sha, .state = ok ? "verified" : "failed",
			.kernel = r->kernel, .mode = pk_verify_mode__str(r->mode), .date = date,
			.reason = ok ? NULL : why[n], .console_tail = ok ? NULL : r->tail,
		};
		if (ok) {
			res->verified++;
		} else {
			res->verify_failed++;
			add_failure(res, v->k, pk_verify_mode__str(r->mode), why[n]);
		}
		n++;
	}
	if (!n)
		return 0;
	return pk_verification__write(o->repo, pv, v->k->target, v->k->kernelrelease, out, n, NULL, 0, err) ?: 1;
}

long pk_farm__verify(const struct pk_farm_opts *o, const struct pk_kernel *const *sel, size_t nr,
		     const char *pv, struct pk_farm_result *res, struct pk_error *err)
{
	struct pk_minisign_seckey *sk = NULL;
	struct pk_minisign_pubkey pub;
	struct pk_index *ix = NULL;
	struct pk_http *http = NULL;
	struct pk_verify_run *run = NULL;
	struct vk *todo = NULL;
	const char **images = NULL;
	char keydir[PATH_MAX], keyfile[PATH_MAX + 16], agent[PATH_MAX], text[512];
	const char *tmp = getenv("TMPDIR");
	size_t nt = 0;
	long written = 0;
	ssize_t l;
	int r;

	keydir[0] = 0;
	/* the public half of the signing key: what a fleet pins, so what the guest gets */
	r = pk_minisign_seckey__load(&sk, o->key, PK_OPTS_GET(o, password, NULL), err);
	if (r)
		return r;
	pk_minisign_seckey__pubkey(sk, &pub);
	pk_minisign_seckey__free(sk);
	r = pk_repo__load(o->repo, &pub, true, NULL, &ix, err);
	if (r)
		return pk_error__set(err, r, "the repository's index: %s", pk_error__str(err));
	todo = calloc(nr ? nr : 1, sizeof(*todo));
	images = calloc(nr ? nr : 1, sizeof(*images));
	if (!todo || !images) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < nr; i++) {
		const struct pk_kernel *k = sel[i];
		struct vk *v = &todo[nt];
		const struct pk_index_artifact *a;
		struct pk_error why = { 0 };

		if (!k->machine || strcmp(k->machine, "x86_64")) {
			res->verify_skipped++;	/* QEMU boots x86_64 guests here */
			continue;
		}
		memset(v, 0, sizeof(*v));
		v->k = k;
		if (!pk_artifact__path(PK_ART_LEGACY, k, pv, v->legacy, sizeof(v->legacy)) &&
		    wants(a = pk_index__find(ix, v->legacy), PK_OPTS_GET(o, retry_failed, false)))
			memcpy(v->legacy_sha, a->sha256, sizeof(v->legacy_sha));
		else
			v->legacy[0] = 0;
		if (!pk_artifact__path(PK_ART_REDUCED_BTF, k, pv, v->reduced, sizeof(v->reduced)) &&
		    wants(a = pk_index__find(ix, v->reduced), PK_OPTS_GET(o, retry_failed, false)))
			memcpy(v->reduced_sha, a->sha256, sizeof(v->reduced_sha));
		else
			v->reduced[0] = 0;
		if (!v->legacy[0] && !v->reduced[0])
			continue;	/* verified before, failed before, or nothing published */
		if (image_of(k, o->cache_dir, &http, v->image, sizeof(v->image), &why)) {
			res->verify_errors++;
			add_failure(res, k, "image", pk_error__str(&why));
			continue;
		}
		images[nt++] = v->image;
	}
	if (!nt)
		goto out;

	snprintf(keydir, sizeof(keydir), "%s/probekit-farm-verify.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(keydir)) {
		r = pk_error__set(err, -errno, "cannot create '%s': %s", keydir, strerror(errno));
		keydir[0] = 0;
		goto out;
	}
	snprintf(keyfile, sizeof(keyfile), "%s/repo.pub", keydir);
	r = pk_minisign_pubkey__format(&pub, NULL, text, sizeof(text));
	if (!r)
		r = pk_file__write_atomic(keyfile, text, strlen(text));
	if (r) {
		pk_error__set(err, r, "cannot write '%s': %s", keyfile, strerror(-r));
		goto out;
	}
	l = readlink("/proc/self/exe", agent, sizeof(agent) - 1);
	if (l <= 0) {
		r = pk_error__set(err, -errno, "cannot find my own binary: %s", strerror(errno));
		goto out;
	}
	agent[l] = 0;
	{
		PK_VERIFY_OPTS(vo, .kernels = images, .nr_kernels = (int)nt,
			       .modes = PK_VERIFY_MODE_BIT(PK_VERIFY_LEGACY) | PK_VERIFY_MODE_BIT(PK_VERIFY_REPO),
			       .agent = PK_OPTS_GET(o, verify_agent, NULL) ?: agent, .repo = o->repo,
			       .repo_key = keyfile, .allow_expired = true,
			       .jobs = PK_OPTS_GET(o, jobs, 1), .timeout_s = PK_OPTS_GET(o, verify_timeout_s, 0.0),
			       .discard_logs = true,	/* the record keeps each failure's console tail */
			       .on_row = PK_OPTS_GET(o, on_verify_row, NULL), .ctx = PK_OPTS_GET(o, ctx, NULL));
		struct pk_error why = { 0 };

		r = pk_verify__run(&vo, &run, &why);
		if (r == -ENOENT) {
			/* no QEMU: nothing proved, nothing recorded, every kernel says why */
			for (size_t i = 0; i < nt; i++) {
				res->verify_errors++;
				add_failure(res, todo[i].k, "boot", pk_error__str(&why));
			}
			r = 0;
			goto out;
		}
		if (r) {
			*err = why;
			goto out;
		}
	}
	for (size_t i = 0; i < nt; i++) {
		/* rows are kernel-major: legacy then repo */
		long w = record_kernel(o, pv, &todo[i], &run->rows[i * 2], 2, res, err);

		if (w < 0) {
			r = (int)w;
			goto out;
		}
		written += w;
	}
	res->verify_seconds = run->wall_s;
	for (size_t i = 0; i < nt; i++)
		res->verify_booted += run->rows[i * 2].booted || run->rows[i * 2 + 1].booted;
out:
	if (keydir[0]) {
		unlink(keyfile);
		rmdir(keydir);
	}
	pk_verify_run__free(run);
	pk_http__free(http);
	pk_index__free(ix);
	free(todo);
	free(images);
	return r ? r : written;
}
