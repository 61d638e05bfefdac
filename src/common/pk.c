/* The library's conventions made code: the print callback, the one error
 * formatter, options-struct validation, the monotonic clock and file helpers. */
#include <errno.h>
#include <ftw.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <time.h>

#include "common/pk.h"

static pk_print_fn_t pk_print_fn;

pk_print_fn_t pk_set_print(pk_print_fn_t fn)
{
	pk_print_fn_t old = pk_print_fn;

	pk_print_fn = fn;
	return old;
}

void pk_pr(enum pk_print_level level, const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	if (!pk_print_fn)
		return;
	va_start(ap, fmt);
	pk_print_fn(level, fmt, ap);
	va_end(ap);
	errno = saved;
}

int pk_file__read(const char *path, char **data, size_t *len, size_t max_len)
{
	char *buf = NULL;
	size_t cap = 0, n = 0;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (n + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			char *nb;

			if (max_len && ncap > max_len + 1)
				ncap = max_len + 1;
			if (ncap <= n + 1) {
				char probe;	/* exactly max_len bytes is allowed: is there more? */
				ssize_t got = read(fd, &probe, 1);

				if (got < 0 && errno == EINTR)
					continue;
				if (got < 0) {
					err = -errno;
					goto done;
				}
				if (got == 0)
					break;
				err = -EFBIG;
				goto done;
			}
			nb = realloc(buf, ncap);
			if (!nb) {
				err = -ENOMEM;
				goto done;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			goto done;
		}
		if (r == 0)
			break;
		n += r;
	}
	buf[n] = 0;
	*data = buf;
	if (len)
		*len = n;
	buf = NULL;
done:
	free(buf);
	close(fd);
	return err;
}

bool pk_path__component_ok(const char *s)
{
	if (!s || !*s || !strcmp(s, ".") || !strcmp(s, ".."))
		return false;
	for (; *s; s++)
		if (*s == '/' || *s <= ' ' || *s >= 127)
			return false;
	return true;
}

int pk_file__mkdirs(const char *path, bool last)
{
	char tmp[4096];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(tmp, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (last && mkdir(tmp, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

int pk_file__write_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	const char *p = data;
	int fd, err = 0;

	/* a fresh name in the same directory (O_EXCL via mkostemp): never another's file */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", path) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fchmod(fd, 0644))
		err = -errno;
	while (len && !err) {
		ssize_t w = write(fd, p, len);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			err = -errno;
			break;
		}
		p += w;
		len -= w;
	}
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err) {
		unlink(tmp);
		return err;
	}
	{
		/* the rename itself survives a power loss only once its directory is synced */
		char dir[4096];
		char *slash;
		int dfd;

		pk_strlcpy(dir, path, sizeof(dir));
		slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = 0;
		else if (slash)
			*slash = 0;
		else
			strcpy(dir, ".");
		dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);
			close(dfd);
		}
	}
	return 0;
}

int pk_strlcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);

	if (!size)
		return -ENAMETOOLONG;
	if (n >= size) {
		memcpy(dst, src, size - 1);
		dst[size - 1] = 0;
		return -ENAMETOOLONG;
	}
	memcpy(dst, src, n + 1);
	return 0;
}

static int error_vset(struct pk_error *e, int code, const char *fmt, va_list ap)
{
	if (!e)
		return code;
	char buf[sizeof(e->msg)];

	/* formatted aside first: callers may prefix the message already there,
	 * pk_error__set(e, r, "%s: %s", url, pk_error__str(e)) */
	vsnprintf(buf, sizeof(buf), fmt, ap);
	e->code = code;
	memcpy(e->msg, buf, sizeof(buf));
	return code;
}

int pk_error__set(struct pk_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	error_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

int pk_error__set_once(struct pk_error *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (e && e->msg[0]) {
		if (!e->code)
			e->code = code;
		return code;
	}
	va_start(ap, fmt);
	error_vset(e, code, fmt, ap);
	va_end(ap);
	return code;
}

const char *pk_error__str(const struct pk_error *e)
{
	if (!e)
		return "";
	if (e->msg[0])
		return e->msg;
	return e->code ? strerror(-e->code) : "";
}

void pk_error__clear(struct pk_error *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = 0;
}

int pk_opts__valid(const void *opts, size_t known_sz, size_t user_sz)
{
	const unsigned char *p = opts;

	if (user_sz < sizeof(size_t))
		return 0;
	for (size_t i = known_sz; i < user_sz; i++)
		if (p[i])
			return 0;
	return 1;
}

double pk_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int rm_entry(const char *p, const struct stat *st, int flag, struct FTW *f)
{
	remove(p);
	return 0;	/* go on: what stays, stays */
}

void pk_file__rm_tree(const char *dir)
{
	if (dir && *dir)
		nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int pk_hex__digit(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
