/* pk_farm__run (farm.h): crawl → plan (patterns, shard, held) → build → index. */
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "agent/chain.h"
#include "build/pool.h"
#include "farm/farm.h"
#include "farm/farm_verify.h"
#include "kernels/version.h"
#include "repo/repo.h"
#include "repo/shard.h"

void pk_farm_result__release(struct pk_farm_result *r)
{
	if (!r)
		return;
	free(r->failures);
	r->failures = NULL;
	r->nr_failures = 0;
}

static void key_of(const struct pk_kernel *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s:%s", k->target, k->kernelrelease);
}

/* what decides a kernel's shard: its BTF identity, so that package versions of one
 * uname -r (which share one BTF path) meet in one shard and pick one publisher
 * the same way in one run and in N */
static void shard_key_of(const struct pk_kernel *k, char *buf, size_t len)
{
	snprintf(buf, len, "%s/%s/%s/%s", k->os_id, k->version_id, k->machine, k->uname_r);
}

static void record_of(const struct pk_kernel *k, const char *pv, char *buf, size_t len)
{
	snprintf(buf, len, "_build/%s/%s_%s.json", pv, k->target, k->kernelrelease);
}

/* held: the index names this kernel's record, or its record is on disk (a run
 * that was killed after building it); a failed build is held unless retried */
static bool held(const struct pk_index *ix, const char *repo, const struct pk_kernel *k,
		 const char *pv, bool retry_failed)
{
	char rec[1024], key[600], path[4096];
	bool any_ok = false, any_failed = false;

	record_of(k, pv, rec, sizeof(rec));
	key_of(k, key, sizeof(key));
	if (ix) {
		for (size_t i = 0; i < ix->nr_artifacts; i++)
			if (ix->artifacts[i].record && !strcmp(ix->artifacts[i].record, rec))
				any_ok = true;
		for (size_t i = 0; i < ix->nr_failures; i++)
			if (!strcmp(ix->failures[i].key, key) && ix->failures[i].probe_version &&
			    !strcmp(ix->failures[i].probe_version, pv))
				any_failed = true;
	}
	snprintf(path, sizeof(path), "%s/%s", repo, rec);
	if (!any_ok && !any_failed && !access(path, F_OK)) {
		/* built by a run that did not get to index it: held, unless it failed
		 * and failures are retried */
		char *data = NULL;
		size_t n;
		bool failed = true;

		if (retry_failed && !pk_file__read(path, &data, &n, 16u << 20))
			failed = strstr(data, "\"status\": \"failed\"") != NULL;
		free(data);
		return !(retry_failed && failed);
	}
	if (any_failed && retry_failed)
		return false;
	return any_ok || any_failed;
}

/* the embedded CO-RE objects under <pv>/<machine>/ (ADR 0002's download option) */
static int write_probe_objects(const char *repo, const char *pv, const char *machine,
			       struct pk_error *err)
{
	static const char *const names[] = { "probe.btf.bpf.o", "probe.core.bpf.o" };

	for (size_t i = 0; i < PK_ARRAY_SIZE(names); i++) {
		const void *data;
		size_t len, have_len;
		char path[4096], *have = NULL;
		int r;

		if (i == 0)
			pk_embedded__btf_obj(&data, &len);
		else
			pk_embedded__core_obj(&data, &len);
		snprintf(path, sizeof(path), "%s/%s/%s/%s", repo, pv, machine, names[i]);
		if (!pk_file__read(path, &have, &have_len, 64 << 20)) {
			bool same = have_len == len && !memcmp(have, data, len);

			free(have);
			if (same)
				continue;
		}
		r = pk_file__mkdirs(path, false);
		if (!r)
			r = pk_file__write_atomic(path, data, len);
		if (r)
			return pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
	}
	return 0;
}

static bool matches(const struct pk_kernel *k, const struct pk_farm_opts *o)
{
	size_t n = PK_OPTS_GET(o, nr_patterns, 0);

	if (!n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (!fnmatch(o->patterns[i], k->kernelrelease, 0))
			return true;
	return false;
}

static bool same_btf(const struct pk_kernel *a, const struct pk_kernel *b)
{
	return !strcmp(a->os_id, b->os_id) && !strcmp(a->version_id, b->version_id) &&
	       !strcmp(a->machine, b->machine) && !strcmp(a->uname_r, b->uname_r);
}

struct done_ctx {
	const struct pk_kernel *const *todo;
	struct pk_farm_result *res;
	const char *repo, *pv;
};

/* the reason the kernel's record gives for its first failed artifact */
static void first_failure(const struct done_ctx *d, const struct pk_kernel *k, char *buf, size_t len)
{
	char path[4096], rec[1024], *data = NULL;
	struct pk_index *tmp = pk_index__new();
	struct pk_error e = { 0 };
	size_t n;

	record_of(k, d->pv, rec, sizeof(rec));
	snprintf(path, sizeof(path), "%s/%s", d->repo, rec);
	snprintf(buf, len, "no build record (the worker died?): %.300s", path);
	if (tmp && !pk_file__read(path, &data, &n, 16u << 20) &&
	    !pk_index__add_record(tmp, data, n, &e) && tmp->nr_failures)
		snprintf(buf, len, "%s: %s: %s", tmp->failures[0].kind,
			 tmp->failures[0].stage ? tmp->failures[0].stage : "?",
			 tmp->failures[0].reason ? tmp->failures[0].reason : "");
	else if (data)
		snprintf(buf, len, "see %.350s", path);
	free(data);
	pk_index__free(tmp);
}

static void on_done(size_t i, bool ok, void *ctx)
{
	struct done_ctx *d = ctx;

	if (ok) {
		d->res->built++;
		return;
	}
	d->res->failed++;
	{
		struct pk_farm_failure *v = realloc(d->res->failures,
						    (d->res->nr_failures + 1) * sizeof(*v));

		if (!v)
			return;
		d->res->failures = v;
		v = &v[d->res->nr_failures++];
		key_of(d->todo[i], v->key, sizeof(v->key));
		first_failure(d, d->todo[i], v->reason, sizeof(v->reason));
	}
}

int pk_farm__run(const struct pk_farm_opts *o, struct pk_error *err)
{
	struct pk_farm_result local = { 0 }, *res;
	struct pk_catalog *cat = NULL;
	struct pk_index *ix = NULL;
	const struct pk_kernel **todo = NULL, **sel = NULL;
	bool *no_btf = NULL;
	char pv[PK_PROBE_VERSION_LEN + 1];
	unsigned nshards;
	size_t nr_todo = 0, nr_sel = 0, n;
	double t0 = pk_now_ms();
	int lock = -1, r;

	if (!PK_OPTS_VALID(o, struct pk_farm_opts) || !o || !o->repo || !o->cache_dir || !o->catalog)
		return pk_error__set(err, -EINVAL, "farm needs a repository, a cache and catalog options");
	nshards = PK_OPTS_GET(o, nr_shards, 0);
	if (nshards <= 1 && !PK_OPTS_GET(o, key, NULL))
		return pk_error__set(err, -EINVAL, "farm needs --key SECRET to sign the index (a --shard run does not)");
	res = PK_OPTS_GET(o, result, NULL) ?: &local;
	memset(res, 0, sizeof(*res));
	r = pk_probe_source__version(pv);
	if (r)
		return pk_error__set(err, r, "cannot compute the probe version");
	snprintf(res->probe_version, sizeof(res->probe_version), "%s", pv);
	r = pk_file__mkdirs(o->repo, true);
	if (r)
		return pk_error__set(err, r, "cannot create '%s': %s", o->repo, strerror(-r));
	lock = pk_repo__lock(o->repo, err);
	if (lock < 0)
		return lock;

	r = pk_kernels__crawl(o->catalog, &cat, err);
	if (r)
		goto out;
	res->suites_unreadable = pk_catalog__nr_errors(cat);
	n = pk_catalog__nr_kernels(cat);
	res->catalog = n;

	/* what the repository holds: its index (verified when we hold the key) */
	{
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", o->repo, PK_REPO_INDEX);
		if (!access(path, F_OK)) {
			struct pk_minisign_seckey *sk = NULL;
			struct pk_minisign_pubkey pub;

			if (PK_OPTS_GET(o, key, NULL)) {
				r = pk_minisign_seckey__load(&sk, o->key, PK_OPTS_GET(o, password, NULL), err);
				if (r)
					goto out;
				pk_minisign_seckey__pubkey(sk, &pub);
				pk_minisign_seckey__free(sk);
			}
			/* a shard run without the key reads its copy of the index unverified:
			 * it only decides what to skip, and the merge verifies everything */
			r = pk_repo__load(o->repo, PK_OPTS_GET(o, key, NULL) ? &pub : NULL, true, NULL, &ix, err);
			if (r) {
				pk_error__set(err, r, "the repository's index: %s", pk_error__str(err));
				goto out;
			}
		}
	}

	todo = calloc(n ? n : 1, sizeof(*todo));
	sel = calloc(n ? n : 1, sizeof(*sel));
	no_btf = calloc(n ? n : 1, sizeof(*no_btf));
	if (!todo || !sel || !no_btf) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		const struct pk_kernel *k = pk_catalog__kernel(cat, i);
		char key[600];

		shard_key_of(k, key, sizeof(key));
		if (!matches(k, o))
			continue;
		if (nshards > 1 && pk_shard__of(key, nshards) != PK_OPTS_GET(o, shard, 0))
			continue;
		res->selected++;
		sel[nr_sel++] = k;
		if (held(ix, o->repo, k, pv, PK_OPTS_GET(o, retry_failed, false))) {
			res->held++;
			continue;
		}
		todo[nr_todo++] = k;
	}
	/*
	 * One BTF per uname -r (btfhub's layout has no room for two): among every
	 * selected kernel of that uname -r, held ones included, the newest package
	 * version publishes it; and a BTF already there (in the index, or on disk from
	 * a run that was killed) is never built over, since a record names its bytes.
	 */
	for (size_t i = 0; i < nr_todo; i++) {
		char path[4096], full[PATH_MAX + 4200];

		if (!pk_artifact__path(PK_ART_FULL_BTF, todo[i], pv, path, sizeof(path))) {
			snprintf(full, sizeof(full), "%s/%s", o->repo, path);
			if ((ix && pk_index__find(ix, path)) || !access(full, F_OK)) {
				no_btf[i] = true;
				continue;
			}
		}
		for (size_t j = 0; j < nr_sel; j++) {
			int c;

			if (sel[j] == todo[i] || !same_btf(todo[i], sel[j]))
				continue;
			c = pk_debver__cmp(sel[j]->kernelrelease, todo[i]->kernelrelease);
			if (c > 0 || (!c && strcmp(sel[j]->target, todo[i]->target) > 0))
				no_btf[i] = true;
		}
	}

	{
		const char *machine = n ? pk_catalog__kernel(cat, 0)->machine : NULL;

		if (machine) {
			r = write_probe_objects(o->repo, pv, machine, err);
			if (r)
				goto out;
		}
	}
	if (nr_todo) {
		PK_BUILD_OPTS(bo, .out_dir = o->repo, .cache_dir = o->cache_dir);
		PK_BUILD_POOL_OPTS(po, .jobs = PK_OPTS_GET(o, jobs, 1), .no_btf = no_btf,
				   .result = PK_OPTS_GET(o, on_result, NULL),
				   .result_ctx = PK_OPTS_GET(o, ctx, NULL),
				   .progress = PK_OPTS_GET(o, progress, false));
		struct done_ctx dc = { .todo = todo, .res = res, .repo = o->repo, .pv = pv };
		long f;

		po.done = on_done;
		po.ctx = &dc;
		f = pk_build__pool(todo, nr_todo, &bo, &po);
		if (f < 0) {
			r = pk_error__set(err, f == -EINVAL ? -EIO : (int)f, "cannot start builds: %s",
					  strerror((int)-f));
			goto out;
		}
	}

	if (nshards > 1) {
		/* this shard's records, built now or before: the merge checks them */
		const char **recs = calloc(res->selected ? res->selected : 1, sizeof(*recs));
		size_t nr = 0;

		if (!recs) {
			r = pk_error__set(err, -ENOMEM, "out of memory");
			goto out;
		}
		for (size_t i = 0; i < n; i++) {
			const struct pk_kernel *k = pk_catalog__kernel(cat, i);
			char key[600], rec[1024], path[4096];

			shard_key_of(k, key, sizeof(key));
			if (!matches(k, o) || pk_shard__of(key, nshards) != PK_OPTS_GET(o, shard, 0))
				continue;
			record_of(k, pv, rec, sizeof(rec));
			snprintf(path, sizeof(path), "%s/%s", o->repo, rec);
			if (access(path, F_OK))
				continue;
			if (!(recs[nr] = strdup(rec))) {
				r = -ENOMEM;
				break;
			}
			nr++;
		}
		if (!r)
			r = pk_shard__write(o->repo, pv, PK_OPTS_GET(o, shard, 0), nshards, recs, nr, err);
		for (size_t i = 0; i < nr; i++)
			free((char *)recs[i]);
		free(recs);
		if (r)
			goto out;
	} else {
		struct pk_repo_index_result ir = { 0 };
		PK_REPO_INDEX_OPTS(io, .key = o->key, .password = PK_OPTS_GET(o, password, NULL),
				   .valid_for = PK_OPTS_GET(o, valid_for, 0), .locked = true,
				   .result = &ir);

		r = pk_repo__index(o->repo, &io, err);
		if (r)
			goto out;
		res->version = ir.version;
		res->expires = ir.expires;
		if (PK_OPTS_GET(o, verify, false)) {
			long w = pk_farm__verify(o, sel, nr_sel, pv, res, err);

			if (w < 0) {
				r = pk_error__set(err, (int)w, "verify: %s (the index stays signed, unverified)",
						  pk_error__str(err));
				goto out;
			}
			if (w) {	/* the records are in: mark the artifacts */
				r = pk_repo__index(o->repo, &io, err);
				if (r)
					goto out;
				res->version = ir.version;
				res->expires = ir.expires;
			}
		}
	}
out:
	res->seconds = (pk_now_ms() - t0) / 1000.0;
	free(todo);
	free(sel);
	free(no_btf);
	pk_index__free(ix);
	pk_catalog__free(cat);
	if (lock >= 0)
		close(lock);
	if (res == &local)
		pk_farm_result__release(&local);
	return r;
}
