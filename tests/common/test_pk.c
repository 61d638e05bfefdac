/* Unit tests of the library's conventions (common/pk.h): the error record, the
 * options-struct check, whole-file reads at and past their cap, and atomic writes
 * that leave nothing but the final file. */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/pk.h"
#include "unit.h"

struct demo_opts {
	size_t sz;
	int a;
	int b;
};

static void test_error(void)
{
	const char *t = "error/set_once_keeps_innermost";
	struct pk_error e = { 0 };

	CHECK_INT(t, pk_error__set(NULL, -EINVAL, "x"), -EINVAL);
	CHECK_STR(t, pk_error__str(&e), "");
	CHECK_INT(t, pk_error__set(&e, -ENOENT, "inner %d", 1), -ENOENT);
	CHECK_INT(t, pk_error__set_once(&e, -EIO, "outer"), -EIO);
	CHECK_STR(t, e.msg, "inner 1");
	CHECK_INT(t, e.code, -ENOENT);
	pk_error__clear(&e);
	e.code = -EACCES;
	CHECK_STR(t, pk_error__str(&e), strerror(EACCES));
	PASS(t);
}

static void test_opts(void)
{
	const char *t = "opts/valid_and_get";
	struct { struct demo_opts o; int extra; } big = { { .sz = sizeof(big) }, 0 };
	struct demo_opts full = { .sz = sizeof(full), .a = 1, .b = 2 };
	struct demo_opts *shorter = &full, *none = NULL, *fp = &full, *bigp = &big.o;

	CHECK(t, PK_OPTS_VALID(fp, struct demo_opts), "a full struct is valid");
	CHECK(t, PK_OPTS_VALID(none, struct demo_opts), "NULL options are valid");
	CHECK(t, PK_OPTS_VALID(bigp, struct demo_opts), "a larger struct with zero tail is valid");
	big.extra = 7;
	CHECK(t, !PK_OPTS_VALID(bigp, struct demo_opts), "unknown non-zero bytes are refused");
	full.sz = 1;
	CHECK(t, !PK_OPTS_VALID(fp, struct demo_opts), "sz smaller than sz itself is refused");
	full.sz = pk_offsetofend(struct demo_opts, a);	/* an older caller: no b */
	CHECK_INT(t, PK_OPTS_GET(shorter, a, 9), 1);
	CHECK_INT(t, PK_OPTS_GET(shorter, b, 9), 9);
	CHECK_INT(t, PK_OPTS_GET(none, b, 5), 5);
	PASS(t);
}

static void test_read_cap(const char *dir)
{
	const char *t = "file/read_at_and_past_cap";
	char path[512], *data = NULL;
	size_t len = 0;

	snprintf(path, sizeof(path), "%s/f", dir);
	CHECK_INT(t, pk_file__write_atomic(path, "12345678", 8), 0);
	CHECK_INT(t, pk_file__read(path, &data, &len, 8), 0);	/* exactly the cap */
	CHECK_INT(t, len, 8);
	CHECK_STR(t, data, "12345678");
	free(data);
	data = NULL;
	CHECK_INT(t, pk_file__read(path, &data, &len, 7), -EFBIG);
	CHECK(t, !data, "no buffer on failure");
	CHECK_INT(t, pk_file__read(path, &data, &len, 0), 0);	/* no cap */
	free(data);
	CHECK_INT(t, pk_file__read("/nonexistent/x", &data, &len, 0), -ENOENT);
	PASS(t);
}

static void test_write_atomic(const char *dir)
{
	const char *t = "file/write_atomic_leaves_only_the_file";
	char path[512];
	struct dirent *de;
	int n = 0;
	DIR *d;

	snprintf(path, sizeof(path), "%s/g", dir);
	CHECK_INT(t, pk_file__write_atomic(path, "a", 1), 0);
	CHECK_INT(t, pk_file__write_atomic(path, "bb", 2), 0);	/* replaces */
	snprintf(path, sizeof(path), "%s/missing-dir/h", dir);
	CHECK_INT(t, pk_file__write_atomic(path, "c", 1), -ENOENT);
	d = opendir(dir);
	CHECK(t, d, "opendir");
	while ((de = readdir(d)))
		if (strcmp(de->d_name, ".") && strcmp(de->d_name, ".."))
			n += strncmp(de->d_name, "g", 2) && strncmp(de->d_name, "f", 2) ? 100 : 1;
	closedir(d);
	CHECK_INT(t, n, 2);	/* f from the read test, g; no temp file */
	PASS(t);
}

int main(void)
{
	char dir[] = "/tmp/pk-test-pk.XXXXXX";

	test_error();
	test_opts();
	if (!mkdtemp(dir)) {
		FAIL("file/mkdtemp", "%s", strerror(errno));
		return UNIT_EXIT();
	}
	test_read_cap(dir);
	test_write_atomic(dir);
	{
		char cmd[600];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			FAIL("file/cleanup", "rm failed");
	}
	return UNIT_EXIT();
}
