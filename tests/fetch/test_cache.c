/* The node cache (src/fetch/cache.h) on a real directory: objects named by their
 * SHA256 and checked on every read (a damaged one removed), refused when the bytes
 * do not match, temp files of a killed writer removed by the next lock holder, the
 * lock held against a second writer (timeout, never a hang), indexes per
 * repository URL, and the list of repositories the cache knows. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "common/pk.h"
#include "common/sha256.h"
#include "fetch/cache.h"
#include "unit.h"

static char dir[] = "/tmp/pk-test-cache.XXXXXX";

static void test_objects(void)
{
	const char *name = "cache: put, read, damage caught and removed";
	static const char data[] = "a probe object";
	char sha[65], path[4096], zero[65];
	struct pk_cache *c;
	struct pk_error e = { 0 };
	void *got;
	size_t len;
	int fd;

	CHECK(name, !pk_cache__new(dir, &c, &e), "new: %s", e.msg);
	pk_sha256__hex(data, sizeof(data), sha);
	CHECK_INT(name, pk_cache__read(c, sha, sizeof(data), &got, &len, &e), -ENOENT);
	memset(zero, '0', 64);
	zero[64] = 0;
	CHECK_INT(name, pk_cache__put(c, zero, data, sizeof(data), &e), -EBADMSG);
	CHECK(name, strstr(e.msg, "refusing"), "reason: %s", e.msg);
	CHECK_INT(name, pk_cache__put(c, "../../etc/passwd", data, sizeof(data), &e), -EINVAL);
	CHECK(name, !pk_cache__put(c, sha, data, sizeof(data), &e), "put: %s", e.msg);
	CHECK(name, !pk_cache__read(c, sha, sizeof(data), &got, &len, &e), "read: %s", e.msg);
	CHECK(name, len == sizeof(data) && !memcmp(got, data, len), "bytes differ");
	free(got);
	/* a size other than listed, then a changed byte: each refused and removed */
	CHECK_INT(name, pk_cache__read(c, sha, sizeof(data) - 1, &got, &len, &e), -EBADMSG);
	CHECK(name, pk_cache__object_path(c, sha, path, sizeof(path)) == 0 && access(path, F_OK),
	      "a damaged entry was left: %s", path);
	CHECK(name, !pk_cache__put(c, sha, data, sizeof(data), &e), "put: %s", e.msg);
	fd = open(path, O_WRONLY);
	CHECK(name, fd >= 0 && pwrite(fd, "A", 1, 0) == 1, "cannot damage %s", path);
	close(fd);
	CHECK_INT(name, pk_cache__read(c, sha, sizeof(data), &got, &len, &e), -EBADMSG);
	CHECK(name, strstr(e.msg, "damaged") && access(path, F_OK), "reason %s, or the file stayed", e.msg);
	pk_cache__free(c);
	PASS(name);
}

static void test_lock(void)
{
	const char *name = "cache: one writer at a time, a killed writer's stale temp files removed, a live one's kept";
	struct pk_cache *a, *b;
	struct pk_error e = { 0 };
	char tmp[4200], live[4200];
	struct timespec old[2] = { { time(NULL) - 7200, 0 }, { time(NULL) - 7200, 0 } };
	double t0;
	int fd;

	CHECK(name, !pk_cache__new(dir, &a, &e) && !pk_cache__new(dir, &b, &e), "new: %s", e.msg);
	CHECK(name, !pk_cache__lock(a, 1000, &e), "lock: %s", e.msg);
	CHECK(name, !pk_cache__lock(a, 1000, &e), "the lock nests");
	pk_cache__unlock(a);
	t0 = pk_now_ms();
	CHECK_INT(name, pk_cache__lock(b, 200, &e), -ETIMEDOUT);
	CHECK(name, pk_now_ms() - t0 < 5000 && strstr(e.msg, "locked"), "reason: %s", e.msg);
	pk_cache__unlock(a);
	/* a writer killed mid-download two hours ago left its temp file; another
	 * is downloading now (downloads take no lock) */
	snprintf(tmp, sizeof(tmp), "%s/objects/%064d.tmp.AbCdEf", pk_cache__dir(a), 0);
	snprintf(live, sizeof(live), "%s/objects/%064d.tmp.GhIjKl", pk_cache__dir(a), 1);
	fd = open(tmp, O_CREAT | O_WRONLY, 0644);
	CHECK(name, fd >= 0, "cannot make %s", tmp);
	CHECK(name, !futimens(fd, old), "futimens");
	close(fd);
	fd = open(live, O_CREAT | O_WRONLY, 0644);
	CHECK(name, fd >= 0, "cannot make %s", live);
	close(fd);
	CHECK(name, !pk_cache__lock(b, 1000, &e), "lock after release: %s", e.msg);
	CHECK(name, access(tmp, F_OK), "the stale temp file stayed");
	CHECK(name, !access(live, F_OK), "a live download's temp file was removed");
	pk_cache__unlock(b);
	pk_cache__free(a);
	pk_cache__free(b);
	PASS(name);
}

static void test_indexes(void)
{
	const char *name = "cache: the last verified index per repository URL";
	struct pk_cache *c;
	struct pk_error e = { 0 };
	char *ix, *sig, **urls;
	size_t ixl, sigl, n;

	CHECK(name, !pk_cache__new(dir, &c, &e), "new: %s", e.msg);
	CHECK_INT(name, pk_cache__get_index(c, "http://a.example/r", &ix, &ixl, &sig, &sigl, NULL, &e), -ENOENT);
	CHECK(name, !pk_cache__put_index(c, "http://a.example/r", "{\"i\":1}", 7, "sig1", 4, &e), "%s", e.msg);
	CHECK(name, !pk_cache__put_index(c, "file:///srv/mirror", "{\"i\":2}", 7, "sig2", 4, &e), "%s", e.msg);
	CHECK(name, !pk_cache__get_index(c, "http://a.example/r", &ix, &ixl, &sig, &sigl, NULL, &e), "%s", e.msg);
	CHECK(name, ixl == 7 && !memcmp(ix, "{\"i\":1}", 7) && sigl == 4 && !memcmp(sig, "sig1", 4),
	      "another repository's pair came back");
	free(ix);
	free(sig);
	CHECK_INT(name, pk_cache__get_index(c, "http://a.example/other", &ix, &ixl, &sig, &sigl, NULL, &e), -ENOENT);
	/* the pair file cut short, or its header lying about the sizes: damaged */
	{
		char path[4200], *data = NULL;
		size_t len = 0;
		int fd;

		snprintf(path, sizeof(path), "%s/repos", pk_cache__dir(c));
		CHECK(name, !pk_cache__put_index(c, "http://b.example/r", "{\"i\":3}", 7, "sig3", 4, &e), "%s", e.msg);
		CHECK(name, !pk_cache__get_index(c, "http://b.example/r", &ix, &ixl, &sig, &sigl, NULL, &e), "%s", e.msg);
		free(ix);
		free(sig);
		{
			char hex[65];

			pk_sha256__hex("http://b.example/r", strlen("http://b.example/r"), hex);
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%.16s/pair", hex);
		}
		CHECK(name, !pk_file__read(path, &data, &len, 1 << 20) && len > 4, "read %s", path);
		fd = open(path, O_WRONLY | O_TRUNC);
		CHECK(name, fd >= 0 && write(fd, data, len - 3) == (ssize_t)(len - 3), "cut %s", path);
		close(fd);
		free(data);
		CHECK_INT(name, pk_cache__get_index(c, "http://b.example/r", &ix, &ixl, &sig, &sigl, NULL, &e), -EBADMSG);
		CHECK(name, strstr(e.msg, "damaged"), "reason: %s", e.msg);
	}
	CHECK(name, !pk_cache__repos(c, &urls, &n), "repos");
	CHECK(name, n == 3 && !strcmp(urls[0], "file:///srv/mirror") && !strcmp(urls[1], "http://a.example/r") &&
	      !strcmp(urls[2], "http://b.example/r"), "repos: %zu", n);
	for (size_t i = 0; i < n; i++)
		free(urls[i]);
	free(urls);
	pk_cache__free(c);
	PASS(name);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		FAIL("cache", "mkdtemp");
		return UNIT_EXIT();
	}
	test_objects();
	test_lock();
	test_indexes();
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			FAIL("cache", "cannot remove %s", dir);
	}
	return UNIT_EXIT();
}
