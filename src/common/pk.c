/* Print callback and small file helpers shared by the library. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

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

int pk_read_file(const char *path, char **data, size_t *len, size_t max_len)
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

int pk_write_file_atomic(const char *path, const void *data, size_t len)
{
	char tmp[4096];
	const char *p = data;
	int fd, err = 0;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid()) >= (int)sizeof(tmp))
		return -ENAMETOOLONG;
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	while (len) {
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
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	return err;
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
