/* `repo index` and `repo verify` (repo.h): a repository directory turned into a
 * signed index, and a repository (directory or URL) checked against its index. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sha256.h"
#include "fetch/http.h"
#include "repo/html.h"
#include "repo/mirror.h"
#include "repo/index_scan.h"
#include "repo/repo.h"
#include "repo/verification.h"
#include "repo/shard.h"

#define RECORD_MAX_BYTES (16u << 20)
#define ARTIFACT_MAX_BYTES (4ull << 30)

int pk_repo__lock(const char *dir, struct pk_error *err)
{
	char path[4096];
	int fd;

	if (snprintf(path, sizeof(path), "%s/%s", dir, PK_REPO_LOCK) >= (int)sizeof(path))
		return pk_error__set(err, -ENAMETOOLONG, "'%s': path too long", dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0)
		return pk_error__set(err, -errno, "cannot open '%s': %s", path, strerror(errno));
	if (flock(fd, LOCK_EX | LOCK_NB)) {
		int e = errno;

		close(fd);
		if (e == EWOULDBLOCK)
			return pk_error__set(err, -EBUSY,
					     "'%s' is locked: another farm or repo index is writing it", dir);
		return pk_error__set(err, -e, "cannot lock '%s': %s", path, strerror(e));
	}
	return fd;
}

int pk_repo__open_inside(const char *dir, const char *rel)
{
	int fd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), next;
	char comp[PK_INDEX_PATH_MAX + 1];
	const char *p = rel;

	if (fd < 0)
		return -errno;
	while (*p) {
		size_t n = strcspn(p, "/");
		bool last = !p[n];

		if (n >= sizeof(comp)) {
			close(fd);
			return -ENAMETOOLONG;
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		next = openat(fd, comp, (last ? O_RDONLY | O_NONBLOCK : O_PATH | O_DIRECTORY) |
				     O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return -errno;
		fd = next;
		p += n + !last;
		if (last)
			break;
	}
	{
		/* a FIFO or a device under a listed name must not hang or feed us */
		struct stat st;

		if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
			close(fd);
			return -EBADF;
		}
	}
	return fd;
}

/* ---- walking a repository directory ---- */

struct walk {
	const char *root;
	size_t root_len;
	char **records, **manifests, **verifications, **files;
	size_t nr_records, nr_manifests, nr_verifications, nr_files;
	size_t temps;
	char bad[600];		/* the first link or odd file met */
	bool remove_temps;
};

static struct walk *cur_walk;	/* nftw has no context argument; one walk at a time */

static int push(char ***v, size_t *n, const char *s)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(**v));

	if (!nv)
		return -ENOMEM;
	*v = nv;
	if (!(nv[*n] = strdup(s)))
		return -ENOMEM;
	(*n)++;
	return 0;
}

/* pk_file__write_atomic's and the downloader's temp names: "<name>.tmp.XXXXXX" */
static bool is_temp(const char *name)
{
	size_t n = strlen(name);

	return n > 11 && !memcmp(name + n - 11, ".tmp.", 5);
}

static int walk_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	struct walk *w = cur_walk;
	const char *rel = path + w->root_len + (path[w->root_len] == '/');
	const char *base = path + f->base;
	int r = 0;

	if (!*rel)
		return 0;
	if (flag == FTW_SL || flag == FTW_SLN) {
		if (!w->bad[0])
			snprintf(w->bad, sizeof(w->bad), "'%s' is a symbolic link: a repository holds regular files only", rel);
		return 0;
	}
	if (flag == FTW_D || flag == FTW_DP)
		return 0;
	if (flag != FTW_F || !S_ISREG(st->st_mode)) {
		if (!w->bad[0])
			snprintf(w->bad, sizeof(w->bad), "'%s' is not a regular file", rel);
		return 0;
	}
	if (is_temp(base)) {
		/* a writer killed between its temp file and the rename */
		if (w->remove_temps && !unlink(path)) {
			w->temps++;
			return 0;
		}
	}
	if (!strncmp(rel, "_build/", 7) && strlen(rel) > 5 && !strcmp(rel + strlen(rel) - 5, ".json"))
		r = push(&w->records, &w->nr_records, rel);
	else if (!strncmp(rel, "_shards/", 8))
		r = push(&w->manifests, &w->nr_manifests, rel);
	else if (!strncmp(rel, PK_VERIFICATION_DIR "/", sizeof(PK_VERIFICATION_DIR)) && strlen(rel) > 5 &&
		 !strcmp(rel + strlen(rel) - 5, ".json"))
		r = push(&w->verifications, &w->nr_verifications, rel);
	if (!r)
		r = push(&w->files, &w->nr_files, rel);
	return r ? -1 : 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->nr_records; i++)
		free(w->records[i]);
	for (size_t i = 0; i < w->nr_manifests; i++)
		free(w->manifests[i]);
	for (size_t i = 0; i < w->nr_verifications; i++)
		free(w->verifications[i]);
	free(w->verifications);
	for (size_t i = 0; i < w->nr_files; i++)
		free(w->files[i]);
	free(w->records);
	free(w->manifests);
	free(w->files);
}

static int walk_dir(const char *dir, bool remove_temps, struct walk *w, struct pk_error *err)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->root = dir;
	w->root_len = strlen(dir);
	w->remove_temps = remove_temps;
	cur_walk = w;
	r = nftw(dir, walk_entry, 32, FTW_PHYS);
	cur_walk = NULL;
	if (r)
		return pk_error__set(err, errno ? -errno : -ENOMEM, "cannot walk '%s': %s", dir,
				     strerror(errno ? errno : ENOMEM));
	/* qsort's base may not be NULL, even for no elements */
	if (w->nr_records)
		qsort(w->records, w->nr_records, sizeof(char *), cmp_str);
	if (w->nr_manifests)
		qsort(w->manifests, w->nr_manifests, sizeof(char *), cmp_str);
	if (w->nr_verifications)
		qsort(w->verifications, w->nr_verifications, sizeof(char *), cmp_str);
	if (w->nr_files)
		qsort(w->files, w->nr_files, sizeof(char *), cmp_str);
	return 0;
}

/* ---- reading where a repository is ---- */

static bool is_url(const char *where)
{
	return !strncmp(where, "http://", 7) || !strncmp(where, "https://", 8) ||
	       !strncmp(where, "file://", 7);
}

/* a relative path in a URL: every byte but [A-Za-z0-9._~/-] percent-encoded
 * ('+' as %2B, as falcoctl sends it) */
static void url_path(const char *rel, char *out, size_t len)
{
	size_t o = 0;

	for (const unsigned char *p = (const unsigned char *)rel; *p && o + 4 < len; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    strchr("._~/-", *p))
			out[o++] = (char)*p;
		else
			o += (size_t)snprintf(out + o, len - o, "%%%02X", *p);
	}
	out[o] = 0;
}

int pk_repo__url(const char *where, const char *rel, char *buf, size_t len)
{
	char esc[6000];
	size_t n = where ? strlen(where) : 0;

	if (!n || !is_url(where) || strlen(rel) * 3 >= sizeof(esc))
		return -EINVAL;
	url_path(rel, esc, sizeof(esc));
	if ((size_t)snprintf(buf, len, "%s%s%s", where, where[n - 1] == '/' ? "" : "/", esc) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static int fetch(const char *where, const char *rel, struct pk_http *http, uint64_t max,
		 char **data, size_t *len, struct pk_error *err)
{
	char path[8192];
	int r;

	if (!*where)
		return pk_error__set(err, -EINVAL, "an empty repository location");
	if (!is_url(where)) {
		/* inside the tree, never through a link, regular files only */
		int fd = pk_repo__open_inside(where, rel);
		struct stat st;
		char *buf;
		ssize_t got;
		size_t n = 0;

		if (fd < 0)
			return pk_error__set(err, fd, "cannot read '%s/%s': %s", where, rel,
					     fd == -ELOOP ? "a symbolic link" : fd == -EBADF ? "not a regular file" : strerror(-fd));
		if (fstat(fd, &st) || (uint64_t)st.st_size > max) {
			close(fd);
			return pk_error__set(err, -EFBIG, "'%s/%s' is larger than %" PRIu64 " bytes", where, rel, max);
		}
		buf = malloc((size_t)st.st_size + 1);
		if (!buf) {
			close(fd);
			return pk_error__set(err, -ENOMEM, "out of memory");
		}
		while (n < (size_t)st.st_size && (got = read(fd, buf + n, (size_t)st.st_size - n)) > 0)
			n += (size_t)got;
		close(fd);
		buf[n] = 0;
		*data = buf;
		*len = n;
		return 0;
	}
	{
		char esc[6000];

		url_path(rel, esc, sizeof(esc));
		snprintf(path, sizeof(path), "%s%s%s", where, where[strlen(where) - 1] == '/' ? "" : "/", esc);
	}
	if (is_url(where)) {
		PK_HTTP_GET_OPTS(go, .max_bytes = max);
		struct pk_http_body b = { 0 };

		r = pk_http__get(http, path, &go, &b, err);
		if (r)
			return r;
		*data = b.data;
		*len = b.len;
		return 0;
	}
	return -EINVAL;
}

/* index.json's bytes and its signature's, checked against pub; the index parsed
 * only then (or scanned: scan set, *ix then holds no artifact). label names them
 * in messages. */
static int verify_mem(const char *label, const struct pk_minisign_pubkey *pub,
		      const char *data, size_t len, const char *sig, size_t sig_len,
		      pk_index_scan_fn scan, void *scan_ctx, bool digest_checked,
		      struct pk_index **ix, struct pk_error *err)
{
	char *tc = NULL;
	uint8_t digest[32], want[32];
	uint64_t version;
	int64_t expires;
	int r;

	*ix = NULL;
	r = pk_minisign__verify(pub, data, len, sig, sig_len, &tc, err);
	if (r) {
		pk_error__set(err, r, "%s/%s: %s", label, PK_REPO_INDEX, pk_error__str(err));
		goto out;
	}
	r = pk_minisign__parse_index_comment(tc, &version, &expires, want, err);
	if (r) {
		pk_error__set(err, r, "%s/%s: trusted comment: %s", label, PK_REPO_SIG, pk_error__str(err));
		goto out;
	}
	if (!digest_checked)
		crypto_hash_sha256(digest, (const unsigned char *)data, len);
	if (!digest_checked && memcmp(digest, want, 32)) {
		r = pk_error__set(err, -EBADMSG, "%s/%s does not match the digest its signature carries",
				  label, PK_REPO_INDEX);
		goto out;
	}
	if (scan) {
		struct pk_index_scan_info info;

		r = pk_index__scan(data, len, scan, scan_ctx, &info, err);
		if (!r && !(*ix = pk_index__new()))
			r = pk_error__set(err, -ENOMEM, "out of memory");
		if (!r) {
			(*ix)->version = info.version;
			(*ix)->generated = info.generated;
			(*ix)->expires = info.expires;
		}
	} else {
		r = pk_index__parse(data, len, ix, err);
	}
	if (r) {
		if (r == -EBADMSG || r == -EFBIG || r == -ENOMEM)
			pk_error__set(err, r, "%s/%s: %s", label, PK_REPO_INDEX, pk_error__str(err));
		goto out;
	}
	if ((*ix)->version != version || (*ix)->expires != expires) {
		r = pk_error__set(err, -EBADMSG,
				  "%s/%s says version %" PRIu64 ", expires %" PRId64
				  "; its signature says version %" PRIu64 ", expires %" PRId64,
				  label, PK_REPO_INDEX, (*ix)->version, (*ix)->expires, version, expires);
		pk_index__free(*ix);
		*ix = NULL;
	}
out:
	free(tc);
	return r;
}

/* fetch index.json and its signature (the signature first: an index whose
 * signature cannot be had is never read), then verify_mem */
static int load_verified(const char *where, const struct pk_minisign_pubkey *pub,
			 struct pk_http *http, uint64_t max_index, struct pk_index **ix,
			 char **index_data, size_t *index_len, char **sig_data, size_t *sig_len,
			 struct pk_error *err)
{
	char *sig = NULL, *data = NULL;
	size_t slen = 0, len = 0;
	int r;

	*ix = NULL;
	r = fetch(where, PK_REPO_SIG, http, PK_MINISIGN_SIG_MAX, &sig, &slen, err);
	if (!r)
		r = fetch(where, PK_REPO_INDEX, http, max_index ? max_index : PK_INDEX_MAX_LEN, &data,
			  &len, err);
	if (!r)
		r = verify_mem(where, pub, data, len, sig, slen, NULL, NULL, false, ix, err);
	if (!r && index_data) {
		*index_data = data;
		*index_len = len;
		data = NULL;
	}
	if (!r && sig_data) {
		*sig_data = sig;
		*sig_len = slen;
		sig = NULL;
	}
	free(sig);
	free(data);
	return r;
}

int pk_repo__load(const char *where, const struct pk_minisign_pubkey *pub, bool allow_expired,
		  struct pk_http *http, struct pk_index **ix, struct pk_error *err)
{
	struct pk_http *own = NULL;
	int r;

	*ix = NULL;
	if (is_url(where) && !http) {
		r = pk_http__new(NULL, &own, err);
		if (r)
			return r;
		http = own;
	}
	if (pub) {
		r = load_verified(where, pub, http, 0, ix, NULL, NULL, NULL, NULL, err);
	} else {
		char *data;
		size_t len;

		r = fetch(where, PK_REPO_INDEX, http, PK_INDEX_MAX_LEN, &data, &len, err);
		if (!r) {
			r = pk_index__parse(data, len, ix, err);
			free(data);
		}
	}
	if (!r && !allow_expired && (*ix)->expires < (int64_t)time(NULL)) {
		r = pk_error__set(err, -EKEYEXPIRED, "%s: the index expired at %" PRId64
				  " (--allow-expired for a mirror kept old on purpose)", where, (*ix)->expires);
		pk_index__free(*ix);
		*ix = NULL;
	}
	pk_http__free(own);
	return r;
}

int pk_repo__open(const char *where, const struct pk_repo_open_opts *opts, struct pk_index **ix,
		  struct pk_error *err)
{
	const struct pk_minisign_pubkey *pub = PK_OPTS_GET(opts, pub, NULL);
	const char *label = PK_OPTS_GET(opts, label, NULL) ?: where;
	const char *given = PK_OPTS_GET(opts, index_data, NULL);
	struct pk_http *own = NULL, *http = PK_OPTS_GET(opts, http, NULL);
	char *data = NULL, *sig = NULL, key_id[PK_MINISIGN_KEYID_STR_LEN];
	size_t len = 0, slen = 0;
	int64_t now;
	int r;

	*ix = NULL;
	if (!where || !*where || !PK_OPTS_VALID(opts, struct pk_repo_open_opts) || !pub)
		return pk_error__set(err, -EINVAL, "opening a repository needs its location and a public key");
	now = PK_OPTS_GET(opts, now, 0) ?: (int64_t)time(NULL);
	if (given) {
		r = verify_mem(label, pub, given, PK_OPTS_GET(opts, index_len, 0),
			       PK_OPTS_GET(opts, sig_data, NULL) ?: "", PK_OPTS_GET(opts, sig_len, 0),
			       PK_OPTS_GET(opts, scan, NULL), PK_OPTS_GET(opts, scan_ctx, NULL),
			       PK_OPTS_GET(opts, digest_checked, false), ix, err);
	} else {
		if (is_url(where) && !http) {
			r = pk_http__new(NULL, &own, err);
			if (r)
				return r;
			http = own;
		}
		r = load_verified(where, pub, http, PK_OPTS_GET(opts, max_index_bytes, 0), ix, &data,
				  &len, &sig, &slen, err);
		pk_http__free(own);
	}
	if (r)
		goto out;
	if ((*ix)->expires < now && !PK_OPTS_GET(opts, allow_expired, false)) {
		r = pk_error__set(err, -EKEYEXPIRED, "%s: the index (version %" PRIu64 ") expired at %"
				  PRId64 "; refused as a possible freeze attack (--allow-expired for a mirror "
				  "kept old on purpose)", label, (*ix)->version, (*ix)->expires);
		goto out;
	}
	if (PK_OPTS_GET(opts, state, NULL)) {
		pk_minisign__key_id_str(pub->id, key_id);
		r = pk_repo__state(opts->state, key_id, PK_OPTS_GET(opts, state_name, NULL) ?: where,
				   (*ix)->version, !PK_OPTS_GET(opts, state_check_only, false), NULL, err);
		if (r) {
			pk_error__set(err, r, "%s: %s", label, pk_error__str(err));
			goto out;
		}
	}
	if (!given && PK_OPTS_GET(opts, index_out, NULL) && PK_OPTS_GET(opts, sig_out, NULL)) {
		*opts->index_out = data;
		*opts->index_out_len = len;
		*opts->sig_out = sig;
		*opts->sig_out_len = slen;
		data = sig = NULL;
	}
out:
	if (r) {
		pk_index__free(*ix);
		*ix = NULL;
	}
	free(data);
	free(sig);
	return r;
}

/* ---- repo index ---- */

/*
 * index.json does not verify with index.json.minisig: a writer killed between the
 * two renames (or a disk that filled up) leaves a new index beside the old
 * signature. When that signature names this very key, the index is this farm's
 * own (written under its lock, like the build records it is made from, which are
 * checked against the files anyway): go on from the higher of its version and the
 * signed one. A signature by another key is refused: the index goes on with the
 * key that signed it.
 */
static int recover_torn(const char *dir, const struct pk_minisign_pubkey *pub,
			struct pk_index **old, struct pk_error *err)
{
	struct pk_error why = *err;
	uint8_t id[PK_MINISIGN_KEYID_BYTES];
	char *sig = NULL, *data = NULL, want[PK_MINISIGN_KEYID_STR_LEN], got[PK_MINISIGN_KEYID_STR_LEN];
	size_t sig_len, len;
	int r;

	*old = NULL;
	r = fetch(dir, PK_REPO_SIG, NULL, PK_MINISIGN_SIG_MAX, &sig, &sig_len, err);
	if (!r)
		r = pk_minisign__sig_key_id(sig, sig_len, id, err);
	free(sig);
	if (r || memcmp(id, pub->id, sizeof(id))) {
		pk_minisign__key_id_str(pub->id, want);
		if (!r)
			pk_minisign__key_id_str(id, got);
		return pk_error__set(err, -EKEYREJECTED,
				     "%s: %s; the index goes on with the key that signed it (%s), this is %s",
				     dir, pk_error__str(&why), r ? "unreadable" : got, want);
	}
	r = fetch(dir, PK_REPO_INDEX, NULL, PK_INDEX_MAX_LEN, &data, &len, err);
	if (!r)
		r = pk_index__parse(data, len, old, err);
	free(data);
	if (r)
		return pk_error__set(err, -EKEYREJECTED, "%s: %s, and index.json cannot be read either: %s",
				     dir, pk_error__str(&why), pk_error__str(err));
	return 0;
}

/* the CO-RE objects of this probe version, published beside the legacy ones */
static int add_probe_objects(struct pk_index *ix, const struct walk *w, struct pk_error *err)
{
	for (size_t i = 0; i < w->nr_files; i++) {
		const char *f = w->files[i], *slash1 = strchr(f, '/'), *slash2;
		struct pk_index_artifact a = { 0 };
		const char *kind = NULL, *base;
		int r;

		if (!slash1 || !(slash2 = strchr(slash1 + 1, '/')) || strchr(slash2 + 1, '/'))
			continue;
		base = slash2 + 1;
		if (!strcmp(base, "probe.core.bpf.o"))
			kind = "core-object";
		else if (!strcmp(base, "probe.btf.bpf.o"))
			kind = "btf-object";
		if (!kind || f[0] == '_' || !strncmp(f, "btf/", 4))
			continue;
		a.path = strdup(f);
		a.kind = strdup(kind);
		a.probe_version = strndup(f, slash1 - f);
		a.arch = strndup(slash1 + 1, slash2 - slash1 - 1);
		if (!a.path || !a.kind || !a.probe_version || !a.arch) {
			pk_index_artifact__clear(&a);
			return pk_error__set(err, -ENOMEM, "out of memory");
		}
		{
			/* no record: the digest is what the file holds */
			int fd = pk_repo__open_inside(w->root, f);

			r = fd < 0 ? fd : pk_sha256__fd(fd, ARTIFACT_MAX_BYTES, a.sha256, &a.size);
			if (fd >= 0)
				close(fd);
			if (r) {
				pk_index_artifact__clear(&a);
				return pk_error__set(err, r, "cannot read '%s': %s", f, strerror(-r));
			}
		}
		r = pk_index__add_artifact(ix, &a, err);
		if (r)
			return r;
	}
	return 0;
}

/* every artifact's file is there, is what its record says, and is no link */
static int check_artifacts(const char *dir, struct pk_index *ix, struct pk_error *err)
{
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		struct pk_index_artifact *a = &ix->artifacts[i];
		char got[65];
		uint64_t size;
		int fd = pk_repo__open_inside(dir, a->path), r;

		if (fd < 0)
			return pk_error__set(err, fd, "'%s' (in a build record): %s", a->path,
					     fd == -ELOOP ? "a symbolic link" : strerror(-fd));
		r = pk_sha256__fd(fd, ARTIFACT_MAX_BYTES, got, &size);
		close(fd);
		if (r)
			return pk_error__set(err, r, "cannot read '%s': %s", a->path, strerror(-r));
		if (size != a->size || strcmp(got, a->sha256)) {
			return pk_error__set(err, -EBADMSG,
					     "'%s' is not what its build record says (%" PRIu64 " bytes, SHA256 %s; the record: %" PRIu64 ", %s): rebuild it",
					     a->path, size, got, a->size, a->sha256);
		}
	}
	return 0;
}

/* the walk's build records and verification records, each read (at most max
 * bytes) and handed to fn; the first failure names its file */
typedef int (*record_fn)(struct pk_index *ix, const char *data, size_t len, const char *rel,
			 struct pk_error *err);

static int add_record(struct pk_index *ix, const char *data, size_t len, const char *rel,
		      struct pk_error *err)
{
	return pk_index__add_record(ix, data, len, err);
}

static int apply_verification(struct pk_index *ix, const char *data, size_t len, const char *rel,
			      struct pk_error *err)
{
	return pk_verification__apply(ix, data, len, rel, NULL, err);
}

static int read_each(const char *dir, char *const *rels, size_t n, size_t max, record_fn fn,
		     struct pk_index *ix, struct pk_error *err)
{
	char path[PATH_MAX + 64];

	for (size_t i = 0; i < n; i++) {
		char *data;
		size_t len;
		int r;

		snprintf(path, sizeof(path), "%s/%s", dir, rels[i]);
		r = pk_file__read(path, &data, &len, max);
		if (r)
			return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
		r = fn(ix, data, len, rels[i], err);
		free(data);
		if (r)
			return pk_error__set(err, r, "%s: %s", rels[i], pk_error__str(err));
	}
	return 0;
}

int pk_repo__index(const char *dir, const struct pk_repo_index_opts *opts, struct pk_error *err)
{
	struct pk_minisign_seckey *sk = NULL;
	struct pk_minisign_pubkey pub;
	struct pk_index *old = NULL, *ix = NULL;
	struct walk w = { 0 };
	struct pk_json j = { 0 };
	char path[PATH_MAX + 64], realdir[PATH_MAX], *html = NULL, *sig = NULL;
	size_t html_len, sig_len;
	int64_t now;
	int lock = -1, r;

	if (!dir || !PK_OPTS_VALID(opts, struct pk_repo_index_opts) || !PK_OPTS_GET(opts, key, NULL))
		return pk_error__set(err, -EINVAL, "repo index needs a directory and a secret key");
	if (PK_OPTS_GET(opts, valid_for, 0) < 0 || PK_OPTS_GET(opts, valid_for, 0) > 10LL * 366 * 86400)
		return pk_error__set(err, -EINVAL, "valid_for: between 1 second and 10 years");
	/* the real directory: a link to it would be walked as one link, and the
	 * index signed empty */
	if (!realpath(dir, realdir))
		return pk_error__set(err, -errno, "cannot open '%s': %s", dir, strerror(errno));
	dir = realdir;
	now = PK_OPTS_GET(opts, now, 0) ?: (int64_t)time(NULL);
	if (!PK_OPTS_GET(opts, locked, false)) {
		lock = pk_repo__lock(dir, err);
		if (lock < 0)
			return lock;
	}
	r = pk_minisign_seckey__load(&sk, opts->key, PK_OPTS_GET(opts, password, NULL), err);
	if (r)
		goto out;
	pk_minisign_seckey__pubkey(sk, &pub);

	/* the previous index, if any, continues: signed by this key, version + 1 */
	snprintf(path, sizeof(path), "%s/%s", dir, PK_REPO_INDEX);
	if (!access(path, F_OK)) {
		r = load_verified(dir, &pub, NULL, 0, &old, NULL, NULL, NULL, NULL, err);
		if (r)
			r = recover_torn(dir, &pub, &old, err);
		if (r)
			goto out;
	}

	r = walk_dir(dir, true, &w, err);
	if (r)
		goto out;
	if (w.bad[0]) {
		r = pk_error__set(err, -EBADMSG, "%s", w.bad);
		goto out;
	}
	ix = pk_index__new();
	if (!ix) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = read_each(dir, w.records, w.nr_records, RECORD_MAX_BYTES, add_record, ix, err);
	if (r)
		goto out;
	r = pk_shard__check_all(dir, (const char *const *)w.manifests, w.nr_manifests, err);
	if (r)
		goto out;
	r = add_probe_objects(ix, &w, err);
	if (r)
		goto out;
	r = check_artifacts(dir, ix, err);
	if (r)
		goto out;
	/* what the VM verification found still holds for the very same bytes */
	if (old) {
		for (size_t i = 0; i < ix->nr_artifacts; i++) {
			struct pk_index_artifact *a = &ix->artifacts[i];
			const struct pk_index_artifact *o = pk_index__find(old, a->path);
			const struct pk_index_verification *v;

			if (!o || strcmp(o->sha256, a->sha256))
				continue;
			v = &o->verification;
			if (v->state && pk_index_artifact__set_verification(a, v->state, v->kernel, v->mode,
									    v->date, v->reason)) {
				r = pk_error__set(err, -ENOMEM, "out of memory");
				goto out;
			}
		}
	}
	/* then the VM verification's records (farm --verify), newer than any index */
	r = read_each(dir, w.verifications, w.nr_verifications, PK_VERIFICATION_MAX_LEN, apply_verification,
		      ix, err);
	if (r)
		goto out;
	ix->version = old ? old->version + 1 : 1;
	ix->generated = now;
	ix->expires = now + (PK_OPTS_GET(opts, valid_for, 0) ?: PK_REPO_VALID_FOR_DEFAULT);
	if (PK_OPTS_GET(opts, next_key, NULL)) {
		struct pk_minisign_pubkey next;
		char *key_text = NULL;

		r = pk_minisign_pubkey__load(&next, opts->next_key, err);
		if (!r)
			r = pk_minisign__sign_key(sk, &next, &key_text, &sig, &sig_len, err);
		if (r)
			goto out;
		free(ix->next_key);
		free(ix->next_key_sig);
		ix->next_key = key_text;
		ix->next_key_sig = sig;
		sig = NULL;
	} else if (old && old->next_key) {
		/* an announced key stays announced until it signs */
		ix->next_key = strdup(old->next_key);
		ix->next_key_sig = strdup(old->next_key_sig);
		if (!ix->next_key || !ix->next_key_sig) {
			r = pk_error__set(err, -ENOMEM, "out of memory");
			goto out;
		}
	}

	/* html, then the index, then its signature: a client that reads the index
	 * between the last two renames sees a digest mismatch and retries */
	r = pk_index__write_html(ix, PK_OPTS_GET(opts, title, NULL) ?: "probekit repository", &html,
				 &html_len, err);
	if (r)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", dir, PK_REPO_HTML);
	r = pk_file__write_atomic(path, html, html_len);
	if (r) {
		pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
		goto out;
	}
	pk_json__init(&j, true);
	pk_index__write(ix, &j);
	if (j.err) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	{
		uint8_t d[32];
		char tc[PK_MINISIGN_INDEX_COMMENT_LEN];

		crypto_hash_sha256(d, (const unsigned char *)j.buf, j.len);
		r = pk_minisign__format_index_comment(ix->version, ix->expires, d, tc, sizeof(tc));
		if (r < 0) {
			pk_error__set(err, r, "cannot write the index's trusted comment");
			goto out;
		}
		r = pk_minisign__sign(sk, j.buf, j.len, tc, &sig, &sig_len, err);
		if (r)
			goto out;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, PK_REPO_INDEX);
	r = pk_file__write_atomic(path, j.buf, j.len);
	if (!r) {
		snprintf(path, sizeof(path), "%s/%s", dir, PK_REPO_SIG);
		r = pk_file__write_atomic(path, sig, sig_len);
	}
	if (r) {
		pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
		goto out;
	}
	/* a manifest serves one merge: gone once its shards are in a signed index, so
	 * that a later rebuild of one of its kernels does not make it stale */
	for (size_t i = 0; i < w.nr_manifests; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, w.manifests[i]);
		unlink(path);
	}
	if (PK_OPTS_GET(opts, result, NULL)) {
		struct pk_repo_index_result *res = opts->result;

		res->version = ix->version;
		res->expires = ix->expires;
		res->artifacts = ix->nr_artifacts;
		res->failures = ix->nr_failures;
		res->records = w.nr_records;
		res->manifests = w.nr_manifests;
		res->temps_removed = w.temps;
	}
out:
	pk_json__free(&j);
	free(html);
	free(sig);
	walk_free(&w);
	pk_index__free(ix);
	pk_index__free(old);
	pk_minisign_seckey__free(sk);
	if (lock >= 0)
		close(lock);
	return r;
}

/* ---- repo verify ---- */

struct vctx {
	const struct pk_repo_verify_opts *o;
	struct pk_repo_verify_result *res;
	struct pk_error *err;
	int first;
};

static void problem(struct vctx *v, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(struct vctx *v, int code, const char *fmt, ...)
{
	char msg[PK_ERROR_MSG_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	v->res->problems++;
	if (!v->first) {
		v->first = code;
		pk_error__set(v->err, code, "%s", msg);
	}
	if (PK_OPTS_GET(v->o, problem, NULL))
		v->o->problem(msg, PK_OPTS_GET(v->o, ctx, NULL));
}

int pk_repo__state(const char *state, const char *key_id, const char *where, uint64_t version,
		   bool write, uint64_t *seen_out, struct pk_error *err)
{
	char *data = NULL, *out = NULL, lock_path[4200];
	size_t len = 0, out_len = 0;
	uint64_t seen = 0;
	int lock = -1, r;
	FILE *f;

	/* the lock is a file of its own: the state is replaced by rename, and a lock
	 * on a replaced inode would let two writers in. A check alone (write false)
	 * takes no lock and creates nothing: a read-only cache still answers */
	if (write) {
		if ((size_t)snprintf(lock_path, sizeof(lock_path), "%s.lock", state) >= sizeof(lock_path))
			return pk_error__set(err, -ENAMETOOLONG, "'%s': path too long", state);
		lock = open(lock_path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
		if (lock < 0)
			return pk_error__set(err, -errno, "cannot open '%s': %s", lock_path, strerror(errno));
		if (flock(lock, LOCK_EX)) {
			r = -errno;
			close(lock);
			return pk_error__set(err, r, "cannot lock '%s': %s", lock_path, strerror(-r));
		}
	}
	r = pk_file__read(state, &data, &len, 1 << 20);
	if (r && r != -ENOENT) {
		if (lock >= 0)
			close(lock);
		return pk_error__set(err, r, "cannot read '%s': %s", state, strerror(-r));
	}
	f = open_memstream(&out, &out_len);
	if (!f) {
		free(data);
		if (lock >= 0)
			close(lock);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	for (char *p = data; p && p < data + len;) {
		char *nl = memchr(p, '\n', data + len - p), line[4200], id[64], ver[32], repo[4096];
		size_t n = nl ? (size_t)(nl - p) : (size_t)(data + len - p);
		char *end;
		uint64_t x;

		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) ? n : sizeof(line) - 1), p);
		p += n + (nl != NULL);
		if (sscanf(line, "%63s %31s %4095s", id, ver, repo) != 3 || ver[0] < '0' || ver[0] > '9')
			continue;
		errno = 0;
		x = strtoull(ver, &end, 10);
		if (*end || errno)
			continue;
		if (!strcmp(id, key_id) && !strcmp(repo, where)) {
			seen = x;
			continue;
		}
		fprintf(f, "%s %" PRIu64 " %s\n", id, x, repo);
	}
	free(data);
	if (seen_out)
		*seen_out = seen;
	if (version < seen) {
		fclose(f);
		free(out);
		if (lock >= 0)
			close(lock);
		return pk_error__set(err, -ESTALE, "rollback: index version %" PRIu64
				     " is older than version %" PRIu64 " already seen for key %s at %s",
				     version, seen, key_id, where);
	}
	fprintf(f, "%s %" PRIu64 " %s\n", key_id, version, where);
	fclose(f);
	r = write && version > seen ? pk_file__write_atomic(state, out, out_len) : 0;
	free(out);
	if (lock >= 0)
		close(lock);
	if (r)
		return pk_error__set(err, r, "cannot write '%s': %s", state, strerror(-r));
	return 0;
}

/* the state file, for pk_repo__verify: a rollback is one more problem */
static int rollback_state(struct vctx *v, const char *state, const char *key_id, const char *where,
			  uint64_t version, bool write)
{
	struct pk_error e = { 0 };
	int r = pk_repo__state(state, key_id, where, version, write, NULL, &e);

	if (r == -ESTALE) {
		problem(v, -EBADMSG, "%s", e.msg);
		return 0;
	}
	if (r)
		return pk_error__set(v->err, r, "%s", e.msg);
	return 0;
}

static int rollback_check(struct vctx *v, const char *state, const char *key_id, const char *where,
			  uint64_t version)
{
	return rollback_state(v, state, key_id, where, version, true);
}

/* with other problems: say a rollback too, remember nothing */
static void rollback_peek(struct vctx *v, const char *state, const char *key_id, const char *where,
			  uint64_t version)
{
	rollback_state(v, state, key_id, where, version, false);
}

static bool allowed_unlisted(const char *rel)
{
	return !strcmp(rel, PK_REPO_INDEX) || !strcmp(rel, PK_REPO_SIG) || !strcmp(rel, PK_REPO_HTML) ||
	       !strcmp(rel, PK_REPO_LOCK) || !strcmp(rel, PK_REPO_MIRROR_STATE) ||
	       !strcmp(rel, PK_REPO_MIRROR_STATE ".lock");	/* pk_repo__state's lock */
}

int pk_repo__verify(const char *where, const struct pk_repo_verify_opts *opts, struct pk_error *err)
{
	struct pk_repo_verify_result local_res = { 0 };
	struct vctx v = { .o = opts, .err = err };
	struct pk_minisign_pubkey pub;
	struct pk_http *own = NULL, *http;
	struct pk_index *ix = NULL;
	char realdir[PATH_MAX];
	int64_t now;
	int r;

	if (!where || !PK_OPTS_VALID(opts, struct pk_repo_verify_opts) || !PK_OPTS_GET(opts, key, NULL))
		return pk_error__set(err, -EINVAL, "repo verify needs a repository and a public key");
	v.res = PK_OPTS_GET(opts, result, NULL) ?: &local_res;
	memset(v.res, 0, sizeof(*v.res));
	now = PK_OPTS_GET(opts, now, 0) ?: (int64_t)time(NULL);
	http = PK_OPTS_GET(opts, http, NULL);
	if (is_url(where) && !http) {
		r = pk_http__new(NULL, &own, err);
		if (r)
			return r;
		http = own;
	}
	if (!*where) {
		r = pk_error__set(err, -EINVAL, "an empty repository location");
		goto out;
	}
	if (!is_url(where)) {
		if (!realpath(where, realdir)) {
			r = pk_error__set(err, -errno, "cannot open '%s': %s", where, strerror(errno));
			goto out;
		}
		where = realdir;
	}
	r = pk_minisign_pubkey__load(&pub, opts->key, err);
	if (r)
		goto out;
	pk_minisign__key_id_str(pub.id, v.res->key_id);
	/* the signature before anything in the index is believed */
	r = load_verified(where, &pub, http, 0, &ix, NULL, NULL, NULL, NULL, err);
	if (r)
		goto out;
	v.res->version = ix->version;
	v.res->generated = ix->generated;
	v.res->expires = ix->expires;
	if (ix->expires < now && !PK_OPTS_GET(opts, allow_expired, false))
		problem(&v, -EKEYEXPIRED, "the index expired at %" PRId64 " (now %" PRId64
			"); --allow-expired accepts it", ix->expires, now);
	if (ix->next_key || ix->next_key_sig) {
		/* an announced key counts only when the current one signed it */
		struct pk_minisign_pubkey next;
		struct pk_error e = { 0 };

		if (!ix->next_key || !ix->next_key_sig ||
		    pk_minisign__verify_key(&pub, ix->next_key, strlen(ix->next_key), ix->next_key_sig,
					    strlen(ix->next_key_sig), &next, &e))
			problem(&v, -EBADMSG, "next_key: not signed by this key: %s", pk_error__str(&e));
	}
	if (PK_OPTS_GET(opts, index_only, false))
		goto done;
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		char got[65];

		if (pk_index__check_path(a->path, NULL)) {
			problem(&v, -EBADMSG, "'%s': a path outside the repository", a->path);
			continue;
		}
		if (is_url(where)) {
			char *data;
			size_t len;
			struct pk_error e = { 0 };

			/* never more than the index lists */
			r = fetch(where, a->path, http, a->size ? a->size : 1, &data, &len, &e);
			if (r == -ENOENT && PK_OPTS_GET(opts, partial, false))
				continue;
			if (r) {
				problem(&v, r, "'%s': %s", a->path, pk_error__str(&e));
				continue;
			}
			pk_sha256__hex(data, len, got);
			free(data);
			v.res->bytes += len;
			if (len != a->size || strcmp(got, a->sha256))
				problem(&v, -EBADMSG, "'%s': %zu bytes, SHA256 %s; the index says %" PRIu64 ", %s",
					a->path, len, got, a->size, a->sha256);
		} else {
			int fd = pk_repo__open_inside(where, a->path);
			uint64_t size;

			if (fd == -ENOENT && PK_OPTS_GET(opts, partial, false))
				continue;
			if (fd < 0) {
				problem(&v, fd, "'%s': %s", a->path,
					fd == -ELOOP ? "a symbolic link" :
					fd == -EBADF ? "not a regular file" : strerror(-fd));
				continue;
			}
			r = pk_sha256__fd(fd, a->size + 1, got, &size);
			close(fd);
			if (r == -EFBIG) {
				problem(&v, -EBADMSG, "'%s': larger than the %" PRIu64 " bytes the index says",
					a->path, a->size);
				continue;
			}
			if (r) {
				problem(&v, r, "'%s': %s", a->path, strerror(-r));
				continue;
			}
			v.res->bytes += size;
			if (size != a->size || strcmp(got, a->sha256))
				problem(&v, -EBADMSG, "'%s': %" PRIu64 " bytes, SHA256 %s; the index says %" PRIu64 ", %s",
					a->path, size, got, a->size, a->sha256);
		}
		v.res->files++;
	}
	if (!is_url(where)) {
		struct walk w;

		r = walk_dir(where, false, &w, err);
		if (r) {
			walk_free(&w);
			goto out;
		}
		if (w.bad[0])
			problem(&v, -EBADMSG, "%s", w.bad);
		for (size_t i = 0; i < w.nr_files; i++) {
			const char *f = w.files[i];

			if (allowed_unlisted(f) || pk_index__find(ix, f))
				continue;
			/* build records and logs are listed through the artifacts they made,
			 * verification records through the state they gave them */
			if (!strncmp(f, "_build/", 7) || !strncmp(f, "_shards/", 8) ||
			    !strncmp(f, PK_VERIFICATION_DIR "/", sizeof(PK_VERIFICATION_DIR)))
				continue;
			problem(&v, -EBADMSG, "'%s' is not in the index", f);
		}
		walk_free(&w);
	}
done:
	/* the highest version seen is kept only for an index that passed every check */
	if (PK_OPTS_GET(opts, state, NULL) && !v.first) {
		r = rollback_check(&v, opts->state, v.res->key_id, where, ix->version);
		if (r)
			goto out;
	} else if (PK_OPTS_GET(opts, state, NULL)) {
		rollback_peek(&v, opts->state, v.res->key_id, where, ix->version);
	}
	r = v.first ? -EBADMSG : 0;
out:
	pk_index__free(ix);
	pk_http__free(own);
	return r;
}
