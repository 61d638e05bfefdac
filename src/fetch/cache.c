/* The node's download cache (cache.h): objects by digest, checked on write and on
 * every read, each repository's last verified index, one lock for writers. Never
 * prints; never leaves a file under a final name that was not checked. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/sha256.h"
#include "fetch/cache.h"

struct pk_cache {
	char dir[3072];		/* DIR/agent */
	char rollback[3200];
	int lock_fd;
	int lock_depth;
};

int pk_cache__new(const char *dir, struct pk_cache **out, struct pk_error *err)
{
	struct pk_cache *c;

	*out = NULL;
	if (!dir || !*dir)
		dir = PK_CACHE_DIR_DEFAULT;
	if (strlen(dir) > 2048)
		return pk_error__set(err, -ENAMETOOLONG, "cache directory '%s': path too long", dir);
	c = calloc(1, sizeof(*c));
	if (!c)
		return pk_error__set(err, -ENOMEM, "out of memory");
	snprintf(c->dir, sizeof(c->dir), "%s/agent", dir);
	snprintf(c->rollback, sizeof(c->rollback), "%s/rollback", c->dir);
	c->lock_fd = -1;
	*out = c;
	return 0;
}

void pk_cache__free(struct pk_cache *c)
{
	if (!c)
		return;
	if (c->lock_fd >= 0)
		close(c->lock_fd);
	free(c);
}

const char *pk_cache__dir(const struct pk_cache *c)
{
	return c->dir;
}

const char *pk_cache__rollback_path(const struct pk_cache *c)
{
	return c->rollback;
}

/* temp files of pk_file__write_atomic and pk_http__download ("<name>.tmp.XXXXXX")
 * that no writer has touched for an hour: downloads run without the lock (each
 * into a temp file of its own, renamed over a name its digest makes), so a
 * younger one may be another process's, still arriving */
#define TEMP_STALE_S 3600
static void remove_temps(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	struct stat st;
	time_t now = time(NULL);

	if (!d)
		return;
	while ((e = readdir(d)))
		if (strstr(e->d_name, ".tmp.") && !fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) &&
		    now - st.st_mtime > TEMP_STALE_S)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
}

int pk_cache__mkdirs(struct pk_cache *c, struct pk_error *err)
{
	char path[3200];
	int r;

	snprintf(path, sizeof(path), "%s/objects", c->dir);
	r = pk_file__mkdirs(path, true);
	if (!r) {
		snprintf(path, sizeof(path), "%s/repos", c->dir);
		r = pk_file__mkdirs(path, true);
	}
	if (r)
		return pk_error__set(err, r, "cannot create the cache '%s': %s", c->dir, strerror(-r));
	return 0;
}

int pk_cache__lock(struct pk_cache *c, long timeout_ms, struct pk_error *err)
{
	char path[3200];
	double until = pk_now_ms() + (timeout_ms > 0 ? timeout_ms : 60000);
	int r, fd;

	if (c->lock_depth) {
		c->lock_depth++;
		return 0;
	}
	r = pk_cache__mkdirs(c, err);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/.lock", c->dir);
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return pk_error__set(err, -errno, "cannot open '%s': %s", path, strerror(errno));
	/* poll, not block: a writer hung on a dead server must not hang this one */
	while (flock(fd, LOCK_EX | LOCK_NB)) {
		struct timespec ts = { 0, 20 * 1000000 };

		if (errno != EWOULDBLOCK && errno != EINTR) {
			r = -errno;
			close(fd);
			return pk_error__set(err, r, "cannot lock '%s': %s", path, strerror(-r));
		}
		if (pk_now_ms() >= until) {
			close(fd);
			return pk_error__set(err, -ETIMEDOUT, "the cache '%s' stayed locked by another "
					     "writer for %ld ms", c->dir, timeout_ms);
		}
		nanosleep(&ts, NULL);
	}
	c->lock_fd = fd;
	c->lock_depth = 1;
	snprintf(path, sizeof(path), "%s/objects", c->dir);
	remove_temps(path);
	return 0;
}

void pk_cache__unlock(struct pk_cache *c)
{
	if (!c->lock_depth || --c->lock_depth)
		return;
	close(c->lock_fd);	/* releases the flock */
	c->lock_fd = -1;
}

static bool is_sha256(const char *s)
{
	size_t n = 0;

	for (; s && s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || (s[n] >= 'a' && s[n] <= 'f')))
			return false;
	return n == 64;
}

int pk_cache__object_path(const struct pk_cache *c, const char *sha256, char *buf, size_t len)
{
	if (!is_sha256(sha256))
		return -EINVAL;
	if ((size_t)snprintf(buf, len, "%s/objects/%s", c->dir, sha256) >= len)
		return -ENAMETOOLONG;
	return 0;
}

int pk_cache__read(struct pk_cache *c, const char *sha256, uint64_t size, void **data,
		   size_t *len, struct pk_error *err)
{
	char path[3300], got[65];
	char *buf = NULL;
	size_t n = 0;
	int r;

	*data = NULL;
	*len = 0;
	r = pk_cache__object_path(c, sha256, path, sizeof(path));
	if (r)
		return pk_error__set(err, r, "'%s' is not a SHA256", sha256);
	if (size > PK_CACHE_OBJECT_MAX)
		return pk_error__set(err, -EFBIG, "%s: %llu bytes is more than the cache holds", path,
				     (unsigned long long)size);
	/* one byte more than expected: a longer file is caught, not truncated */
	r = pk_file__read(path, &buf, &n, (size_t)size + 1);
	if (r == -ENOENT)
		return r;
	if (r && r != -EFBIG)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	if (!r)
		pk_sha256__hex(buf, n, got);
	if (r || n != size || strcmp(got, sha256)) {
		struct pk_error e = { 0 };

		free(buf);
		pk_error__set(err, -EBADMSG, "cache entry '%s' is damaged (%s); removed", path,
			      r ? "larger than listed" : n != size ? "wrong size" : "wrong SHA256");
		if (!pk_cache__lock(c, 5000, &e)) {
			unlink(path);
			pk_cache__unlock(c);
		}
		return -EBADMSG;
	}
	*data = buf;
	*len = n;
	return 0;
}

int pk_cache__put(struct pk_cache *c, const char *sha256, const void *data, size_t len,
		  struct pk_error *err)
{
	char path[3300], got[65];
	int r;

	r = pk_cache__object_path(c, sha256, path, sizeof(path));
	if (r)
		return pk_error__set(err, r, "'%s' is not a SHA256", sha256);
	pk_sha256__hex(data, len, got);
	if (strcmp(got, sha256))
		return pk_error__set(err, -EBADMSG, "refusing to cache bytes whose SHA256 is %s as %s",
				     got, sha256);
	r = pk_cache__lock(c, 60000, err);
	if (r)
		return r;
	r = pk_file__write_atomic(path, data, len);
	pk_cache__unlock(c);
	if (r)
		return pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
	return 0;
}

static void repo_dir(const struct pk_cache *c, const char *url, char *buf, size_t len)
{
	char hex[65];

	pk_sha256__hex(url, strlen(url), hex);
	snprintf(buf, len, "%s/repos/%.16s", c->dir, hex);
}

/*
 * A repository's pair is one file, "pair": "probekit-cache-pair 1 <signature
 * bytes> <index bytes>\n", the signature, the index. One rename replaces both, so
 * a crash never leaves an index beside another index's signature.
 */
#define PAIR_MAGIC "probekit-cache-pair 1 "

int pk_cache__get_index(const struct pk_cache *c, const char *url, char **index, size_t *index_len,
			char **sig, size_t *sig_len, int64_t *stored, struct pk_error *err)
{
	char dir[3200], path[3400], *u = NULL, *data = NULL, *end;
	unsigned long long sl, il;
	size_t ulen, len, hl;
	struct stat st;
	int r;

	*index = *sig = NULL;
	repo_dir(c, url, dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/url", dir);
	r = pk_file__read(path, &u, &ulen, 8192);
	if (r == -ENOENT)
		return r;
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	/* two URLs sharing 64 bits of digest: not this one's folder */
	r = strlen(u) == ulen && !strcmp(u, url) ? 0 : -ENOENT;
	free(u);
	if (r)
		return r;
	snprintf(path, sizeof(path), "%s/pair", dir);
	r = pk_file__read(path, &data, &len, (64u << 20) + (64u << 10) + 64);
	if (r == -ENOENT)
		return r;
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	if (stored)
		*stored = stat(path, &st) ? 0 : (int64_t)st.st_mtime;
	/* the header is ours; read it as outside input all the same */
	if (len < sizeof(PAIR_MAGIC) || memcmp(data, PAIR_MAGIC, sizeof(PAIR_MAGIC) - 1))
		goto bad;
	errno = 0;
	sl = strtoull(data + sizeof(PAIR_MAGIC) - 1, &end, 10);
	if (errno || *end != ' ' || sl > (64u << 10))
		goto bad;
	il = strtoull(end + 1, &end, 10);
	if (errno || *end != '\n' || il > (64u << 20))
		goto bad;
	hl = (size_t)(end + 1 - data);
	if (hl + sl + il != len)
		goto bad;
	*sig = malloc(sl + 1);
	*index = malloc(il + 1);
	if (!*sig || !*index) {
		free(*sig);
		free(*index);
		*sig = *index = NULL;
		free(data);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	memcpy(*sig, data + hl, sl);
	(*sig)[sl] = 0;
	memcpy(*index, data + hl + sl, il);
	(*index)[il] = 0;
	*sig_len = sl;
	*index_len = il;
	free(data);
	return 0;
bad:
	free(data);
	return pk_error__set(err, -EBADMSG, "'%s' is damaged (its header does not match its size)", path);
}

int pk_cache__put_index(struct pk_cache *c, const char *url, const void *index, size_t index_len,
			const void *sig, size_t sig_len, struct pk_error *err)
{
	char dir[3200], path[3400], head[80];
	char *buf;
	size_t hl;
	int r;

	hl = (size_t)snprintf(head, sizeof(head), PAIR_MAGIC "%zu %zu\n", sig_len, index_len);
	buf = malloc(hl + sig_len + index_len);
	if (!buf)
		return pk_error__set(err, -ENOMEM, "out of memory");
	memcpy(buf, head, hl);
	memcpy(buf + hl, sig, sig_len);
	memcpy(buf + hl + sig_len, index, index_len);
	r = pk_cache__lock(c, 60000, err);
	if (r) {
		free(buf);
		return r;
	}
	repo_dir(c, url, dir, sizeof(dir));
	r = pk_file__mkdirs(dir, true);
	snprintf(path, sizeof(path), "%s/url", dir);
	if (!r)
		r = pk_file__write_atomic(path, url, strlen(url));
	snprintf(path, sizeof(path), "%s/pair", dir);
	if (!r)
		r = pk_file__write_atomic(path, buf, hl + sig_len + index_len);
	pk_cache__unlock(c);
	free(buf);
	if (r)
		return pk_error__set(err, r, "cannot write the cached index in '%s': %s", dir, strerror(-r));
	return 0;
}

int pk_cache__repos(const struct pk_cache *c, char ***urls, size_t *n)
{
	char path[3400];
	DIR *d;
	struct dirent *e;
	char **v = NULL;
	size_t cnt = 0;

	*urls = NULL;
	*n = 0;
	snprintf(path, sizeof(path), "%s/repos", c->dir);
	d = opendir(path);
	if (!d)
		return errno == ENOENT ? 0 : -errno;
	while ((e = readdir(d))) {
		char p[3700], *u = NULL, **nv;
		size_t len;

		if (e->d_name[0] == '.')
			continue;
		snprintf(p, sizeof(p), "%s/%s/url", path, e->d_name);
		if (pk_file__read(p, &u, &len, 8192) || strlen(u) != len || !len) {
			free(u);
			continue;
		}
		nv = realloc(v, (cnt + 1) * sizeof(*v));
		if (!nv) {
			free(u);
			break;
		}
		v = nv;
		v[cnt++] = u;
	}
	closedir(d);
	/* readdir order is the file system's: sort for a stable chain */
	for (size_t i = 1; i < cnt; i++)
		for (size_t j = i; j > 0 && strcmp(v[j - 1], v[j]) > 0; j--) {
			char *t = v[j];

			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	*urls = v;
	*n = cnt;
	return 0;
}
