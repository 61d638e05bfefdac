/* The chain's repository, cache and probe-directory candidates (repo_source.h):
 * whether each applies to this host when the chain is built, and its fetch hook,
 * which the walk calls only when it gets there. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "fetch/cache.h"
#include "fetch/fetcher.h"
#include "fetch/repo_source.h"

enum what { REPO_CORE, REPO_BTF, REPO_LEGACY, CACHE_LEGACY };

/* the hook's context: the source and which candidate (one static per kind) */
struct hook {
	struct pk_repo_source *rs;
	enum what what;
};

static int fetch_file(struct pk_repo_source *rs, const char *path, const char *kind, bool configured,
		      void **data, size_t *len, struct pk_candidate *c, struct pk_error *err)
{
	c->has_source = true;
	if (!rs->fetcher) {
		memset(&c->source, 0, sizeof(c->source));
		snprintf(c->source.path, sizeof(c->source.path), "%s", path);
		return pk_error__set(err, -ENOENT, "no repository and no cache");
	}
	return pk_fetcher__get(rs->fetcher, path, kind, configured, data, len, &c->source, err);
}

int pk_repo_source__get_legacy(struct pk_repo_source *rs, bool configured, void **data, size_t *len,
			       struct pk_cand_source *src, struct pk_error *err)
{
	struct pk_cand_source *first;
	bool missed = false;
	int r;

	if (!rs->fetcher) {
		memset(src, 0, sizeof(*src));
		snprintf(src->path, sizeof(src->path), "%s", rs->legacy_path);
		return pk_error__set(err, -ENOENT, "no repository and no cache");
	}
	r = pk_fetcher__get(rs->fetcher, rs->legacy_path, "legacy-object", configured, data, len, src, err);
	for (int i = 0; r && i < src->nr_attempts; i++)
		missed |= !strcmp(src->attempts[i].outcome, "not-listed") ||
			  !strcmp(src->attempts[i].outcome, "not-found");
	/* a repository that does not list falcoctl's name may list the farm's, even
	 * when another repository failed outright */
	if (!r || !rs->legacy_alt_path[0] || (r != -ENOENT && !missed))
		return r;
	first = malloc(sizeof(*first));
	if (!first)
		return r;
	*first = *src;
	r = pk_fetcher__get(rs->fetcher, rs->legacy_alt_path, "legacy-object", configured, data, len, src, err);
	/* the first name's attempts go first */
	for (int i = 0; i < src->nr_attempts; i++) {
		if (first->nr_attempts < PK_CAND_MAX_ATTEMPTS)
			first->attempts[first->nr_attempts++] = src->attempts[i];
		else
			first->dropped++;
	}
	first->dropped += src->dropped;
	src->nr_attempts = first->nr_attempts;
	src->dropped = first->dropped;
	memcpy(src->attempts, first->attempts, sizeof(first->attempts));
	if (r)
		snprintf(src->path, sizeof(src->path), "%s", rs->legacy_path);
	free(first);
	return r;
}

static int fetch_legacy(struct pk_repo_source *rs, bool configured, void **data, size_t *len,
			struct pk_candidate *c, struct pk_error *err)
{
	c->has_source = true;
	return pk_repo_source__get_legacy(rs, configured, data, len, &c->source, err);
}

/* the probe directory: a file under the name the repository gives it; the
 * operator's own, trusted as --probe is (no index, no signature) */
static int from_probe_dir(struct pk_repo_source *rs, struct pk_candidate *c, struct pk_error *err)
{
	const char *base = strrchr(rs->legacy_path, '/');
	struct pk_cand_source *s = &c->source;
	struct pk_cand_attempt *a;
	char path[4096];
	char *data = NULL;
	size_t len = 0;
	int r;

	base = base ? base + 1 : rs->legacy_path;
	snprintf(path, sizeof(path), "%s/%s", rs->probe_dir, base);
	r = pk_file__read(path, &data, &len, PK_CACHE_OBJECT_MAX);
	if (s->nr_attempts < PK_CAND_MAX_ATTEMPTS) {
		a = &s->attempts[s->nr_attempts++];
		memset(a, 0, sizeof(*a));
		snprintf(a->where, sizeof(a->where), "%s", rs->probe_dir);
		pk_strlcpy(a->url, path, sizeof(a->url));
		snprintf(a->outcome, sizeof(a->outcome), "%s", r ? (r == -ENOENT ? "not-found" : "error") : "ok");
		a->code = r;
		if (r)
			snprintf(a->reason, sizeof(a->reason), "%s", strerror(-r));
	}
	if (r)
		return pk_error__set(err, r, "%s; probe directory: cannot read '%s': %s",
				     pk_error__str(err), path, strerror(-r));
	pk_error__clear(err);
	snprintf(s->where, sizeof(s->where), "%s", rs->probe_dir);
	pk_strlcpy(s->url, path, sizeof(s->url));
	pk_sha256__hex(data, len, s->sha256);
	s->cache[0] = 0;
	s->index_version = 0;
	s->from_cache = true;
	pk_candidate__set_obj(c, data, len, path);
	return 0;
}

static int hook(struct pk_candidate *c, void *ctx, struct pk_error *err)
{
	struct hook *hk = ctx;
	struct pk_repo_source *rs = hk->rs;
	void *data = NULL;
	size_t len = 0;
	char desc[1024];
	int r;

	switch (hk->what) {
	case REPO_CORE:
		r = fetch_file(rs, rs->core_path, "core-object", true, &data, &len, c, err);
		if (r)
			return r;
		pk_candidate__set_obj(c, data, len, c->source.url);
		return 0;
	case REPO_BTF:
		r = fetch_file(rs, rs->reduced_btf_path, "reduced-btf", true, &data, &len, c, err);
		if (r)
			return r;
		snprintf(desc, sizeof(desc), "reduced BTF from %s", c->source.url);
		pk_candidate__set_btf(c, data, len, desc);
		return 0;
	case REPO_LEGACY:
		r = fetch_legacy(rs, true, &data, &len, c, err);
		if (r)
			return r;
		pk_candidate__set_obj(c, data, len, c->source.url);
		return 0;
	case CACHE_LEGACY:
		r = rs->fetcher ? fetch_legacy(rs, false, &data, &len, c, err) :
		    pk_error__set(err, -ENOENT, "no cache");
		if (!r) {
			pk_candidate__set_obj(c, data, len, c->source.url);
			return 0;
		}
		if (!rs->probe_dir)
			return r;
		c->has_source = true;
		if (!c->source.path[0])
			snprintf(c->source.path, sizeof(c->source.path), "%s", rs->legacy_path);
		return from_probe_dir(rs, c, err);
	}
	return -EINVAL;
}

static struct pk_candidate *add(struct pk_chain *ch, const char *name, struct hook *hk,
				struct pk_repo_source *rs, enum what what, const char *path,
				const char *kind)
{
	struct pk_candidate *c = pk_chain__add(ch, name);

	if (!c)
		return NULL;
	hk->rs = rs;
	hk->what = what;
	c->fetch = hook;
	c->fetch_ctx = hk;
	snprintf(c->source.path, sizeof(c->source.path), "%s", path);
	snprintf(c->source.kind, sizeof(c->source.kind), "%s", kind);
	return c;
}

static void skip(struct pk_candidate *c, int code, const char *why)
{
	pk_error__set_once(&c->err, code, "%s", why);
	pk_candidate__skip(c);
}

void pk_repo_source__extend(struct pk_chain *ch, enum pk_chain_slot slot, const struct pk_host *h,
			    const struct pk_features *f, void *ctx)
{
	/* one per candidate kind: a process builds one chain at a time */
	static struct hook hooks[4];
	static const char no_repo[] = "no repository configured (--repo URL or PROBEKIT_REPOS)";
	struct pk_repo_source *rs = ctx;
	bool probed = !f->probe_errno;
	struct pk_candidate *c;
	const void *core;
	size_t core_len;

	if (slot == PK_CHAIN_SLOT_FIRST) {
		if (!rs->download_probe)
			return;
		c = add(ch, "repo-core", &hooks[REPO_CORE], rs, REPO_CORE, rs->core_path, "core-object");
		if (!c)
			return;
		snprintf(c->obj_desc, sizeof(c->obj_desc), "repository:%s", rs->core_path);
		pk_candidate__use_kernel_btf(c, h);
		if (!rs->have_repos)
			skip(c, -ENOENT, "PROBEKIT_DOWNLOAD_PROBE=1, but no repository configured "
			     "(--repo URL or PROBEKIT_REPOS)");
		else if (!rs->core_path[0])
			skip(c, -EINVAL, rs->no_btf_why);
		else if (h->btf_source == PK_KERNEL_BTF_NONE)
			skip(c, -ENOENT, "no kernel BTF found for the downloaded CO-RE object");
		else if (!f->raw_tp && probed)
			skip(c, -EOPNOTSUPP, "kernel cannot load raw tracepoint programs (probed)");
		return;
	}

	c = add(ch, "repo-reduced-btf", &hooks[REPO_BTF], rs, REPO_BTF, rs->reduced_btf_path, "reduced-btf");
	if (c) {
		c->obj_src = PK_CAND_OBJ_EMBEDDED;
		pk_strlcpy(c->obj_desc, "embedded:core", sizeof(c->obj_desc));
		pk_embedded__core_obj(&core, &core_len);
		c->obj_data = core;
		c->obj_len = core_len;
		c->btf_src = PK_CAND_BTF_MEMORY;
		snprintf(c->btf_desc, sizeof(c->btf_desc), "repository:%s", rs->reduced_btf_path);
		if (!rs->have_repos)
			skip(c, -ENOENT, no_repo);
		else if (!rs->reduced_btf_path[0])
			skip(c, -EINVAL, rs->no_btf_why);
		else if (h->btf_source != PK_KERNEL_BTF_NONE)
			skip(c, -EEXIST, "the kernel has BTF of its own: a reduced copy adds nothing");
		else if (!f->raw_tp && probed)
			skip(c, -EOPNOTSUPP, "kernel cannot load raw tracepoint programs (probed)");
	}

	c = add(ch, "repo-legacy", &hooks[REPO_LEGACY], rs, REPO_LEGACY, rs->legacy_path, "legacy-object");
	if (c) {
		snprintf(c->obj_desc, sizeof(c->obj_desc), "repository:%s", rs->legacy_path);
		c->btf_src = PK_CAND_BTF_KERNEL;
		snprintf(c->btf_desc, sizeof(c->btf_desc), "not needed (built for this kernel)");
		if (!rs->have_repos)
			skip(c, -ENOENT, no_repo);
		else if (!rs->legacy_path[0])
			skip(c, -EINVAL, rs->no_legacy_why);
	}

	c = add(ch, "cache-legacy", &hooks[CACHE_LEGACY], rs, CACHE_LEGACY, rs->legacy_path, "legacy-object");
	if (c) {
		bool others = false;

		for (size_t i = 0; rs->fetcher && i < pk_fetcher__nr_repos(rs->fetcher); i++)
			others |= !pk_fetcher__configured(rs->fetcher, i);
		snprintf(c->obj_desc, sizeof(c->obj_desc), "%s%s%s", others ? "cache" : "",
			 others && rs->probe_dir ? ", " : "", rs->probe_dir ? rs->probe_dir : "");
		if (!c->obj_desc[0])
			snprintf(c->obj_desc, sizeof(c->obj_desc), "cache");
		c->btf_src = PK_CAND_BTF_KERNEL;
		snprintf(c->btf_desc, sizeof(c->btf_desc), "not needed (built for this kernel)");
		if (!rs->legacy_path[0])
			skip(c, -EINVAL, rs->no_legacy_why);
		else if (!others && !rs->probe_dir)
			skip(c, -ENOENT, "no probe directory (--probe-dir) and no other repository's "
			     "index in the cache");
	}
}
