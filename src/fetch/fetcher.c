/* The agent's download client (fetcher.h): per repository, its index verified once
 * (from the network, else the last verified copy in the cache), then each artifact
 * from the cache or downloaded into it, checked before anyone uses a byte. */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fetch/cache.h"
#include "fetch/fetcher.h"
#include "fetch/http.h"
#include "repo/index.h"
#include "repo/index_scan.h"
#include "repo/minisign.h"
#include "repo/repo.h"

struct repo {
	char *url;
	bool configured;
	int state;			/* 0 not loaded, 1 loaded, -errno failed */
	struct pk_index *ix;
	bool index_from_cache;
	bool asked;			/* the repository itself was asked this run */
	/* why the network's index was not used (it may have failed while the cached
	 * copy serves), and why the repository cannot serve at all */
	char net_outcome[16];
	int net_code;
	char net_reason[PK_ERROR_MSG_LEN];
};

struct pk_fetcher {
	struct pk_fetcher_opts o;
	struct pk_minisign_pubkey key;
	bool have_key;
	char key_origin[256];
	char no_key_reason[PK_ERROR_MSG_LEN];
	struct repo *repos;
	size_t nr_repos;
	struct pk_cache *cache;
	struct pk_http *http;
	struct pk_fetcher_stats st;
};

bool pk_fetch_outcome__is_verification(const char *o)
{
	static const char *const v[] = { "signature", "digest", "size", "rollback", "expired",
					 "unverified", "index" };

	for (size_t i = 0; i < PK_ARRAY_SIZE(v); i++)
		if (!strcmp(o, v[i]))
			return true;
	return false;
}

/* the outcome name of a failed request or check */
static const char *outcome_of(int code, bool index)
{
	switch (code) {
	case -EKEYREJECTED: return "signature";
	case -ESTALE: return "rollback";
	case -EKEYEXPIRED: return "expired";
	case -EBADMSG: return index ? "index" : "digest";
	case -EFBIG: return "size";
	case -ENOENT: return "not-found";
	case -ETIMEDOUT: return "timeout";
	case -ECONNRESET: return "reset";
	case -ECONNREFUSED: case -EHOSTUNREACH: case -EIO: case -EPROTO: case -ELOOP:
		return "http";
	default: return "error";
	}
}

/* a directory becomes a file:// URL of its real path */
static char *repo_url(const char *where)
{
	char real[PATH_MAX], *out;

	if (!strncmp(where, "http://", 7) || !strncmp(where, "https://", 8) ||
	    !strncmp(where, "file://", 7))
		return strdup(where);
	if (!realpath(where, real)) {
		/* kept, so that its turn fails and says so */
		if (where[0] == '/')
			snprintf(real, sizeof(real), "%s", where);
		else if (!getcwd(real, sizeof(real) - strlen(where) - 2))
			return NULL;
		else
			snprintf(real + strlen(real), sizeof(real) - strlen(real), "/%s", where);
	}
	{
		/* a path as a URL: the bytes a URL reserves percent-encoded (a space, #, ?, %) */
		char esc[PATH_MAX * 3 + 1];
		size_t o = 0;

		for (const unsigned char *p = (const unsigned char *)real; *p; p++) {
			if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
			    strchr("._~/-+", *p))
				esc[o++] = (char)*p;
			else
				o += (size_t)snprintf(esc + o, sizeof(esc) - o, "%%%02X", *p);
		}
		esc[o] = 0;
		if (asprintf(&out, "file://%s", esc) < 0)
			return NULL;
	}
	return out;
}

static int add_repo(struct pk_fetcher *f, const char *where, bool configured)
{
	struct repo *v;
	char *url = repo_url(where);

	if (!url)
		return -ENOMEM;
	for (size_t i = 0; i < f->nr_repos; i++)
		if (!strcmp(f->repos[i].url, url)) {
			free(url);	/* named twice: tried once */
			return 0;
		}
	v = realloc(f->repos, (f->nr_repos + 1) * sizeof(*v));
	if (!v) {
		free(url);
		return -ENOMEM;
	}
	f->repos = v;
	memset(&v[f->nr_repos], 0, sizeof(*v));
	v[f->nr_repos].url = url;
	v[f->nr_repos].configured = configured;
	f->nr_repos++;
	return 0;
}

int pk_fetcher__new(const struct pk_fetcher_opts *opts, struct pk_fetcher **out, struct pk_error *err)
{
	struct pk_fetcher *f;
	int r;

	*out = NULL;
	if (!PK_OPTS_VALID(opts, struct pk_fetcher_opts))
		return pk_error__set(err, -EINVAL, "invalid fetcher options");
	f = calloc(1, sizeof(*f));
	if (!f)
		return pk_error__set(err, -ENOMEM, "out of memory");
	memcpy(&f->o, opts, opts->sz < sizeof(f->o) ? opts->sz : sizeof(f->o));
	if (PK_OPTS_GET(opts, key, NULL)) {
		f->key = *opts->key;
		f->have_key = true;
	}
	snprintf(f->key_origin, sizeof(f->key_origin), "%s", PK_OPTS_GET(opts, key_origin, NULL) ?: "the pinned key");
	snprintf(f->no_key_reason, sizeof(f->no_key_reason), "%s", PK_OPTS_GET(opts, no_key_reason, NULL) ?: "");
	r = pk_cache__new(PK_OPTS_GET(opts, cache_dir, NULL), &f->cache, err);
	for (size_t i = 0; !r && i < PK_OPTS_GET(opts, nr_repos, 0); i++)
		if (opts->repos[i] && *opts->repos[i])
			r = add_repo(f, opts->repos[i], true);
	if (!r && PK_OPTS_GET(opts, cached_repos, false)) {
		char **urls;
		size_t n;

		if (!pk_cache__repos(f->cache, &urls, &n)) {
			for (size_t i = 0; i < n; i++) {
				if (!r)
					r = add_repo(f, urls[i], false);
				free(urls[i]);
			}
			free(urls);
		}
	}
	if (r) {
		pk_fetcher__free(f);
		return pk_error__set(err, r, "cannot set up the repositories: %s", strerror(-r));
	}
	/* these were the caller's: not kept */
	f->o.repos = NULL;
	f->o.key = NULL;
	f->o.key_origin = NULL;
	f->o.no_key_reason = NULL;
	f->o.cache_dir = NULL;
	*out = f;
	return 0;
}

void pk_fetcher__free(struct pk_fetcher *f)
{
	if (!f)
		return;
	for (size_t i = 0; i < f->nr_repos; i++) {
		free(f->repos[i].url);
		pk_index__free(f->repos[i].ix);
	}
	free(f->repos);
	pk_cache__free(f->cache);
	pk_http__free(f->http);
	free(f);
}

size_t pk_fetcher__nr_repos(const struct pk_fetcher *f)
{
	return f ? f->nr_repos : 0;
}

const char *pk_fetcher__repo(const struct pk_fetcher *f, size_t i)
{
	return i < f->nr_repos ? f->repos[i].url : NULL;
}

bool pk_fetcher__configured(const struct pk_fetcher *f, size_t i)
{
	return i < f->nr_repos && f->repos[i].configured;
}

bool pk_fetcher__repo_failed(const struct pk_fetcher *f, size_t i, char *outcome, size_t len,
			     struct pk_error *err)
{
	const struct repo *r = i < f->nr_repos ? &f->repos[i] : NULL;

	if (!r || r->state >= 0)
		return false;
	snprintf(outcome, len, "%s", r->net_outcome[0] ? r->net_outcome : "index");
	pk_error__set(err, r->state, "%s", r->net_reason[0] ? r->net_reason : strerror(-r->state));
	return true;
}

int pk_fetcher__url(const struct pk_fetcher *f, size_t i, const char *path, char *buf, size_t len)
{
	if (i >= f->nr_repos)
		return -EINVAL;
	return pk_repo__url(f->repos[i].url, path, buf, len);
}

void pk_fetcher__stats(const struct pk_fetcher *f, struct pk_fetcher_stats *st)
{
	*st = f->st;
}

static int http(struct pk_fetcher *f, struct pk_error *err)
{
	if (f->http)
		return 0;
	{
		PK_HTTP_OPTS(ho, .connect_timeout_ms = f->o.connect_timeout_ms ?: 5000,
			     .timeout_ms = f->o.timeout_ms ?: 30000,
			     .low_speed_timeout_ms = f->o.timeout_ms ?: 30000,
			     .retries = f->o.retries ?: 2, .backoff_ms = f->o.backoff_ms ?: 200,
			     .ca_file = f->o.ca_file);
		return pk_http__new(&ho, &f->http, err);
	}
}

/* why r cannot be trusted: no key, or the one given could not be read */
static void no_key(const struct pk_fetcher *f, const struct repo *r, char *buf, size_t len)
{
	if (f->no_key_reason[0])
		snprintf(buf, len, "no key to verify %.400s's index: %.500s", r->url, f->no_key_reason);
	else
		snprintf(buf, len, "no key to verify %s's index: give --repo-key FILE or "
			 "PROBEKIT_REPO_KEY (this agent was built without one)", r->url);
}

/* the cache's last verified pair of r, verified again (key, expiry, rollback);
 * *stored: when it was fetched */
static int cached_index(struct pk_fetcher *f, struct repo *r, struct pk_index **ix, int64_t *stored,
			struct pk_error *e)
{
	char *idx = NULL, *sig = NULL;
	size_t idx_len = 0, sig_len = 0;
	int rc;

	char label[1100];

	*ix = NULL;
	snprintf(label, sizeof(label), "%s (the cached copy)", r->url);
	rc = pk_cache__get_index(f->cache, r->url, &idx, &idx_len, &sig, &sig_len, stored, e);
	if (!rc) {
		PK_REPO_OPEN_OPTS(oo, .pub = &f->key, .allow_expired = f->o.allow_expired,
				  .now = f->o.now, .state = pk_cache__rollback_path(f->cache),
				  .state_name = r->url, .state_check_only = true, .label = label, .index_data = idx,
				  .index_len = idx_len, .sig_data = sig, .sig_len = sig_len);

		rc = pk_repo__open(r->url, &oo, ix, e);
	}
	free(idx);
	free(sig);
	return rc;
}

/*
 * The repository's index. Cache first: a verified cached index younger than
 * index_max_age serves without a request (force: ask anyway, a path it lacks).
 * Then the network's, when it verifies; else the cached one after all (with the
 * network's failure said); else the reason.
 */
static int load_index(struct pk_fetcher *f, struct repo *r, bool force)
{
	char *idx = NULL, *sig = NULL;
	size_t idx_len = 0, sig_len = 0;
	struct pk_error e = { 0 };
	int64_t max_age = f->o.index_max_age ? f->o.index_max_age : PK_FETCHER_INDEX_MAX_AGE;
	int64_t stored = 0, now = f->o.now ? f->o.now : (int64_t)time(NULL);
	int rc;

	if (r->state && !force)
		return r->state < 0 ? r->state : 0;
	if (!f->have_key) {
		snprintf(r->net_outcome, sizeof(r->net_outcome), "signature");
		r->net_code = -ENOKEY;
		no_key(f, r, r->net_reason, sizeof(r->net_reason));
		return r->state = -ENOKEY;
	}
	if (!force && max_age > 0) {
		struct pk_index *ix = NULL;

		if (!cached_index(f, r, &ix, &stored, &e) && stored <= now && now - stored < max_age) {
			f->st.indexes_cached++;
			r->ix = ix;
			r->index_from_cache = true;
			r->net_outcome[0] = 0;
			return r->state = 1, 0;
		}
		pk_index__free(ix);
		pk_error__clear(&e);
	}
	/* no cache lock across the network: the rollback state has its own lock, and
	 * the pair is put under the cache's (pk_cache__put_index) */
	r->asked = true;
	rc = pk_cache__mkdirs(f->cache, &e);
	if (!rc)
		rc = http(f, &e);
	if (!rc) {
		PK_REPO_OPEN_OPTS(oo, .pub = &f->key, .allow_expired = f->o.allow_expired,
				  .now = f->o.now, .state = pk_cache__rollback_path(f->cache),
				  .state_name = r->url, .http = f->http, .index_out = &idx,
				  .index_out_len = &idx_len, .sig_out = &sig, .sig_out_len = &sig_len);
		struct pk_index *ix = NULL;

		rc = pk_repo__open(r->url, &oo, &ix, &e);
		if (!rc) {
			struct pk_error pe = { 0 };

			f->st.indexes_fetched++;
			pk_index__free(r->ix);
			r->ix = ix;
			r->index_from_cache = false;
			r->net_outcome[0] = 0;
			/* a cache that cannot be written costs the next start a
			 * download, nothing else */
			pk_cache__put_index(f->cache, r->url, idx, idx_len, sig, sig_len, &pe);
		}
		free(idx);
		free(sig);
		idx = sig = NULL;
	}
	if (!rc)
		return r->state = 1, 0;
	f->st.failures++;
	if (pk_fetch_outcome__is_verification(outcome_of(rc, true)))
		f->st.verify_failures++;
	snprintf(r->net_outcome, sizeof(r->net_outcome), "%s", outcome_of(rc, true));
	r->net_code = rc;
	snprintf(r->net_reason, sizeof(r->net_reason), "%s", pk_error__str(&e));
	if (force && r->ix)
		return r->state = 1, 0;	/* the index already held stays */
	/* the last index that verified, verified again */
	pk_error__clear(&e);
	{
		struct pk_index *ix = NULL;

		rc = cached_index(f, r, &ix, NULL, &e);
		if (!rc) {
			f->st.indexes_cached++;
			pk_index__free(r->ix);
			r->ix = ix;
			r->index_from_cache = true;
			return r->state = 1, 0;
		}
	}
	if (r->net_code == -ENOENT && rc != -ENOENT) {
		/* the cache's failure is the one to tell, when it had a pair */
		snprintf(r->net_outcome, sizeof(r->net_outcome), "%s", outcome_of(rc, true));
		r->net_code = rc;
		snprintf(r->net_reason, sizeof(r->net_reason), "%s", pk_error__str(&e));
	}
	return r->state = r->net_code ? r->net_code : -ENOENT;
}

static struct pk_cand_attempt *attempt(struct pk_cand_source *src, const char *where,
				       const char *url, const char *outcome, int code,
				       const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static struct pk_cand_attempt *attempt(struct pk_cand_source *src, const char *where,
				       const char *url, const char *outcome, int code,
				       const char *fmt, ...)
{
	struct pk_cand_attempt *a;
	va_list ap;

	if (!src)
		return NULL;
	if (src->nr_attempts >= PK_CAND_MAX_ATTEMPTS) {
		src->dropped++;
		return NULL;
	}
	a = &src->attempts[src->nr_attempts++];
	memset(a, 0, sizeof(*a));
	snprintf(a->where, sizeof(a->where), "%s", where);
	snprintf(a->url, sizeof(a->url), "%s", url ? url : "");
	snprintf(a->outcome, sizeof(a->outcome), "%s", outcome);
	a->code = code;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(a->reason, sizeof(a->reason), fmt, ap);
		va_end(ap);
	}
	return a;
}

static void served(struct pk_fetcher *f, struct repo *r, const struct pk_index_artifact *a,
		   const char *url, bool from_cache, struct pk_cand_source *src)
{
	if (!src)
		return;
	snprintf(src->where, sizeof(src->where), "%s", r->url);
	snprintf(src->url, sizeof(src->url), "%s", url);
	snprintf(src->sha256, sizeof(src->sha256), "%s", a->sha256);
	pk_cache__object_path(f->cache, a->sha256, src->cache, sizeof(src->cache));
	src->index_version = r->ix->version;
	src->from_cache = from_cache;
}

/* one repository's turn: 0 with the bytes, else -errno and an attempt recorded */
static int get_from(struct pk_fetcher *f, struct repo *r, const char *path, const char *kind,
		    void **data, size_t *len, struct pk_cand_source *src)
{
	const struct pk_index_artifact *a;
	char url[4096], idx_url[4096], opath[4096];
	struct pk_error e = { 0 };
	int rc;

	if (pk_repo__url(r->url, path, url, sizeof(url)))
		snprintf(url, sizeof(url), "%s", r->url);
	if (pk_repo__url(r->url, PK_REPO_INDEX, idx_url, sizeof(idx_url)))
		snprintf(idx_url, sizeof(idx_url), "%s", r->url);
	rc = load_index(f, r, false);
	if (rc) {
		attempt(src, r->url, idx_url, r->net_outcome[0] ? r->net_outcome : "index", rc, "%s",
			r->net_reason);
		return rc;
	}
	if (r->index_from_cache && r->net_outcome[0])
		attempt(src, r->url, idx_url, r->net_outcome, r->net_code,
			"%s; the cached index (version %" PRIu64 ") serves instead", r->net_reason,
			r->ix->version);

	a = pk_index__find(r->ix, path);
	if (!a && r->index_from_cache && !r->asked) {
		/* a cached index may predate the file: ask the repository once */
		load_index(f, r, true);
		if (r->net_outcome[0])
			attempt(src, r->url, idx_url, r->net_outcome, r->net_code,
				"%s; the cached index (version %" PRIu64 ") serves instead", r->net_reason,
				r->ix->version);
		a = pk_index__find(r->ix, path);
	}
	if (!a) {
		attempt(src, r->url, url, "not-listed", -ENOENT, "not in the index (version %" PRIu64 ")",
			r->ix->version);
		return -ENOENT;
	}
	if (pk_index__check_path(a->path, NULL)) {
		attempt(src, r->url, url, "index", -EBADMSG, "the index lists a path outside the repository");
		return -EBADMSG;
	}
	if (kind && (!a->kind || strcmp(a->kind, kind))) {
		attempt(src, r->url, url, "index", -EBADMSG, "listed as %s, not %s", a->kind ?: "?", kind);
		return -EBADMSG;
	}
	if (f->o.require_verified &&
	    (!a->verification.state || strcmp(a->verification.state, "verified"))) {
		f->st.failures++;
		f->st.verify_failures++;
		attempt(src, r->url, url, "unverified", -EPERM,
			"the VM verification has not marked it verified (%s), and --require-verified",
			a->verification.state ?: "unverified");
		return -EPERM;
	}
	rc = pk_cache__read(f->cache, a->sha256, a->size, data, len, &e);
	if (!rc) {
		f->st.objects_cached++;
		served(f, r, a, url, true, src);
		attempt(src, r->url, url, "cached", 0, "from the cache (%s)", a->sha256);
		return 0;
	}
	if (rc != -ENOENT) {
		/* damaged and removed: downloaded again below, and said */
		f->st.failures++;
		f->st.verify_failures++;
		attempt(src, "cache", NULL, "digest", rc, "%s", pk_error__str(&e));
		pk_error__clear(&e);
	}
	rc = pk_cache__object_path(f->cache, a->sha256, opath, sizeof(opath));
	if (rc) {
		attempt(src, r->url, url, "index", rc, "the index's SHA256 '%s' is malformed", a->sha256);
		return rc;
	}
	/* No lock: the download goes to a temp file of its own, is checked against
	 * the digest that names it, and is renamed over that name; two agents
	 * bringing the same object both rename the same bytes. */
	rc = pk_cache__mkdirs(f->cache, &e);
	if (!rc)
		rc = http(f, &e);
	if (!rc) {
		/* another agent may have brought it meanwhile */
		rc = pk_cache__read(f->cache, a->sha256, a->size, data, len, &e);
		if (rc) {
			/* never more bytes than listed; checked before the rename */
			PK_HTTP_DOWNLOAD_OPTS(dopts, .size = a->size, .sha256 = a->sha256);
			struct pk_http_stats before, after;

			pk_error__clear(&e);
			pk_http__stats(f->http, &before);
			rc = a->size ? pk_http__download(f->http, url, opath, &dopts, &e) :
			     pk_error__set(&e, -EBADMSG, "the index lists it with 0 bytes");
			pk_http__stats(f->http, &after);
			f->st.bytes += after.bytes - before.bytes;
			if (!rc)
				rc = pk_cache__read(f->cache, a->sha256, a->size, data, len, &e);
			if (!rc)
				f->st.objects_fetched++;
		} else {
			f->st.objects_cached++;
		}
	}
	if (rc) {
		const char *o = outcome_of(rc, false);

		f->st.failures++;
		if (pk_fetch_outcome__is_verification(o))
			f->st.verify_failures++;
		attempt(src, r->url, url, o, rc, "%s", pk_error__str(&e));
		return rc;
	}
	served(f, r, a, url, false, src);
	attempt(src, r->url, url, "ok", 0, "%zu bytes, SHA256 checked", *len);
	return 0;
}

/* what the scan of a cached index found for one path */
struct wanted {
	const char *path;
	bool found;
	char kind[24], sha256[65], state[16];
	uint64_t size;
};

static int want_cb(const struct pk_index_scan_artifact *a, void *ctx)
{
	struct wanted *w = ctx;

	if (strcmp(a->path, w->path))
		return 0;
	w->found = true;
	snprintf(w->kind, sizeof(w->kind), "%s", a->kind);
	snprintf(w->sha256, sizeof(w->sha256), "%s", a->sha256);
	snprintf(w->state, sizeof(w->state), "%s", a->verification_state ?: "");
	w->size = a->size;
	return 0;
}

/*
 * The cache alone, in this process: r's cached index, verified again (key,
 * expiry, rollback) and scanned, not parsed (repo/index_scan.h: no tree, constant
 * memory), lists path as kind, and the cache holds its bytes. Quiet (a miss is
 * then the remote get's to tell) unless tell: -EAGAIN when quiet, else the reason
 * recorded as an attempt. When quiet, the index must also be younger than
 * index_max_age (else the repository is to be asked).
 */
static int cache_only_get(struct pk_fetcher *f, struct repo *r, const char *path, const char *kind,
			  void **data, size_t *len, struct pk_cand_source *src, bool tell, bool any_age)
{
	int64_t max_age = f->o.index_max_age ? f->o.index_max_age : PK_FETCHER_INDEX_MAX_AGE;
	int64_t stored = 0, now = f->o.now ? f->o.now : (int64_t)time(NULL);
	char *idx = NULL, *sig = NULL, url[4096], idx_url[4096];
	size_t idx_len = 0, sig_len = 0;
	struct wanted w = { .path = path };
	struct pk_index *ix = NULL;
	struct pk_error e = { 0 };
	const char *why = f->o.offline ? "--offline" : "a repository only the cache knows is never downloaded from";
	char label[1100];
	int rc;

	snprintf(label, sizeof(label), "%s (the cached copy)", r->url);

	if (pk_repo__url(r->url, path, url, sizeof(url)))
		snprintf(url, sizeof(url), "%s", r->url);
	if (pk_repo__url(r->url, PK_REPO_INDEX, idx_url, sizeof(idx_url)))
		snprintf(idx_url, sizeof(idx_url), "%s", r->url);
	if (!f->have_key) {
		if (!tell)
			return -EAGAIN;
		char why[PK_ERROR_MSG_LEN];

		no_key(f, r, why, sizeof(why));
		attempt(src, r->url, idx_url, "signature", -ENOKEY, "%s", why);
		return -ENOKEY;
	}
	if (!tell && !any_age && max_age <= 0)
		return -EAGAIN;
	rc = pk_cache__get_index(f->cache, r->url, &idx, &idx_len, &sig, &sig_len, &stored, &e);
	if (rc == -ENOENT && !tell)
		return -EAGAIN;
	if (rc == -ENOENT) {
		attempt(src, r->url, idx_url, "offline", -ENOENT, "no cached index of %s (%s)", r->url, why);
		return -ENOENT;
	}
	if (!rc && !tell && !any_age && (stored > now || now - stored >= max_age))
		rc = -EAGAIN;
	if (!rc) {
		PK_REPO_OPEN_OPTS(oo, .pub = &f->key, .allow_expired = f->o.allow_expired,
				  .now = f->o.now, .state = pk_cache__rollback_path(f->cache),
				  .state_name = r->url, .state_check_only = true, .label = label, .index_data = idx,
				  .index_len = idx_len, .sig_data = sig, .sig_len = sig_len,
				  .scan = want_cb, .scan_ctx = &w, .digest_checked = true);

		rc = pk_repo__open(r->url, &oo, &ix, &e);
	}
	free(idx);
	free(sig);
	if (rc) {
		if (!tell)
			return -EAGAIN;
		f->st.failures++;
		if (pk_fetch_outcome__is_verification(outcome_of(rc, true)))
			f->st.verify_failures++;
		attempt(src, r->url, idx_url, outcome_of(rc, true), rc, "%s", pk_error__str(&e));
		return rc;
	}
	rc = 0;
	if (!w.found) {
		if (tell)
			attempt(src, r->url, url, "not-listed", -ENOENT, "not in the cached index (version %"
				PRIu64 ")", ix->version);
		rc = -ENOENT;
	} else if (kind && strcmp(w.kind, kind)) {
		if (tell)
			attempt(src, r->url, url, "index", -EBADMSG, "listed as %s, not %s", w.kind, kind);
		rc = -EBADMSG;
	} else if (f->o.require_verified && strcmp(w.state, "verified")) {
		if (tell)
			attempt(src, r->url, url, "unverified", -EPERM, "the VM verification has not "
				"marked it verified (%s), and --require-verified", w.state);
		rc = -EPERM;
	} else if ((rc = pk_cache__read(f->cache, w.sha256, w.size, data, len, &e))) {
		if (tell && rc == -ENOENT)
			attempt(src, r->url, url, "offline", -ENOENT, "not in the cache (%s)", why);
		else if (tell)
			attempt(src, "cache", NULL, "digest", rc, "%s", pk_error__str(&e));
	}
	if (rc) {
		pk_index__free(ix);
		return tell ? rc : -EAGAIN;
	}
	f->st.indexes_cached++;
	f->st.objects_cached++;
	if (src) {
		pk_strlcpy(src->where, r->url, sizeof(src->where));
		pk_strlcpy(src->url, url, sizeof(src->url));
		pk_strlcpy(src->sha256, w.sha256, sizeof(src->sha256));
		pk_cache__object_path(f->cache, w.sha256, src->cache, sizeof(src->cache));
		src->index_version = ix->version;
		src->from_cache = true;
	}
	attempt(src, r->url, url, "cached", 0, "from the cache (%s)", w.sha256);
	pk_index__free(ix);
	return 0;
}

/* the other process fetched (or said why not); the bytes are read here, checked */
static int remote_get(struct pk_fetcher *f, const char *path, const char *kind, void **data,
		      size_t *len, struct pk_cand_source *src, struct pk_error *err)
{
	struct pk_cand_source local;
	uint64_t size = 0;
	int rc;

	if (!src)
		src = &local;
	memset(src, 0, sizeof(*src));
	rc = f->o.remote(f->o.remote_ctx, path, kind, true, &size, src, err);
	snprintf(src->path, sizeof(src->path), "%s", path);
	snprintf(src->kind, sizeof(src->kind), "%s", kind ?: "");
	if (src->nr_attempts < 0 || src->nr_attempts > PK_CAND_MAX_ATTEMPTS)
		src->nr_attempts = 0;
	for (int i = 0; i < src->nr_attempts; i++) {
		const char *o = src->attempts[i].outcome;

		if (!strcmp(o, "ok"))
			f->st.objects_fetched++;
		else if (strcmp(o, "cached") && strcmp(o, "not-listed")) {
			f->st.failures++;
			if (pk_fetch_outcome__is_verification(o))
				f->st.verify_failures++;
		}
	}
	if (rc)
		return rc;
	rc = pk_cache__read(f->cache, src->sha256, size, data, len, err);
	if (rc) {
		pk_error__set(err, rc == -ENOENT ? -EIO : rc, "%s: the fetch process served it, but the "
			      "cache entry %s does not hold it: %s", path, src->sha256,
			      rc == -ENOENT ? "absent" : pk_error__str(err));
		return rc == -ENOENT ? -EIO : rc;
	}
	pk_cache__object_path(f->cache, src->sha256, src->cache, sizeof(src->cache));
	return 0;
}

int pk_fetcher__get(struct pk_fetcher *f, const char *path, const char *kind, bool configured,
		    void **data, size_t *len, struct pk_cand_source *src, struct pk_error *err)
{
	int rc = -ENOENT, last = 0;
	bool any_other = false;

	*data = NULL;
	*len = 0;
	if (src) {
		memset(src, 0, sizeof(*src));
		snprintf(src->path, sizeof(src->path), "%s", path);
		snprintf(src->kind, sizeof(src->kind), "%s", kind ?: "");
	}
	{
		size_t n = 0;

		for (size_t i = 0; i < f->nr_repos; i++)
			n += f->repos[i].configured == configured;
		if (!n)
			return pk_error__set(err, -ENOENT, configured ?
					     "no repository configured (--repo URL or PROBEKIT_REPOS)" :
					     "the cache holds no index of another repository");
	}

	if (f->o.remote && configured && !f->o.offline && f->have_key) {
		/* the cache alone first, in this process; then the other process (without a
		 * key nothing can be trusted: no child is started, get_from says why) */
		for (size_t i = 0; i < f->nr_repos; i++)
			if (f->repos[i].configured &&
			    !cache_only_get(f, &f->repos[i], path, kind, data, len, src, false, false))
				return 0;
		rc = remote_get(f, path, kind, data, len, src, err);
		if (rc)
			return rc;
		/* the child's word, proved here too: the entry it names is the one the
		 * repository's signed index (now in the cache) lists for path */
		for (size_t i = 0; i < f->nr_repos; i++) {
			struct pk_cand_source check;
			void *d2 = NULL;
			size_t l2 = 0;

			if (!f->repos[i].configured || strcmp(f->repos[i].url, src ? src->where : ""))
				continue;
			memset(&check, 0, sizeof(check));
			if (cache_only_get(f, &f->repos[i], path, kind, &d2, &l2, &check, false, true) ||
			    strcmp(check.sha256, src->sha256)) {
				free(d2);
				free(*data);
				*data = NULL;
				*len = 0;
				return pk_error__set(err, -EBADMSG, "%s: the fetch process named cache entry %s, "
						     "which %s's signed index does not list for it", path,
						     src->sha256, f->repos[i].url);
			}
			free(d2);
			break;
		}
		return 0;
	}
	for (size_t i = 0; i < f->nr_repos; i++) {
		if (f->repos[i].configured != configured)
			continue;
		/* nothing to download: the cache alone, its index scanned, not parsed */
		if (f->o.offline || !configured)
			rc = cache_only_get(f, &f->repos[i], path, kind, data, len, src, true, false);
		else
			rc = get_from(f, &f->repos[i], path, kind, data, len, src);
		if (!rc)
			return 0;
		if (rc != -ENOENT)
			any_other = true, last = rc;
	}
	/* one sentence for the candidate's reason; every attempt is in src */
	{
		char msg[PK_ERROR_MSG_LEN];
		size_t off = 0;

		off += snprintf(msg, sizeof(msg), "%s:", path);
		for (int i = 0; src && i < src->nr_attempts && off < sizeof(msg); i++)
			off += snprintf(msg + off, sizeof(msg) - off, "%s %s: %s%s%s", i ? ";" : "",
					src->attempts[i].where, src->attempts[i].outcome,
					src->attempts[i].reason[0] ? ": " : "", src->attempts[i].reason);
		pk_error__set(err, any_other ? last : -ENOENT, "%s", msg);
	}
	return any_other ? last : -ENOENT;
}
