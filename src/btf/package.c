/* One member out of a .deb/.rpm through libarchive (btf/package.h): the same reader
 * btf extract uses, instead of shell pipelines run as root on untrusted packages. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "btf/libarchive_dl.h"
#include "btf/package.h"

#define DEFAULT_MAX_MEMBER (256UL << 20)

struct walk {
	const struct pk_libarchive *la;
	const char *pkg;
	const char *const *patterns;
	const char *dir;
	size_t max;
	char *out;
	size_t out_len;
	struct pk_error *err;
};

/* libarchive reading from the current entry of another archive (a .deb's data.tar.*) */
struct nested {
	const struct pk_libarchive *la;
	struct archive *outer;
	char buf[1 << 16];
};

static la_ssize_t nested_read(struct archive *a, void *cookie, const void **buf)
{
	struct nested *n = cookie;
	la_ssize_t r = n->la->read_data(n->outer, n->buf, sizeof(n->buf));

	*buf = n->buf;
	if (r < 0)
		n->la->set_error(a, EIO, "%s", n->la->error_string(n->outer));
	return r;
}

static bool matches(const char *path, const char *const *patterns)
{
	while (*path == '.' && path[1] == '/')
		path += 2;
	while (*path == '/')
		path++;
	for (; *patterns; patterns++)
		if (!fnmatch(*patterns, path, FNM_PATHNAME))
			return true;
	return false;
}

/* the current entry, read whole (bounded), then written atomically */
static int write_member(struct walk *w, struct archive *a, struct archive_entry *e, const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	la_int64_t size = w->la->entry_size_is_set(e) ? w->la->entry_size(e) : -1;
	size_t cap = size > 0 ? (size_t)size : 1 << 20, len = 0;
	char *buf;
	int err;

	/* the patterns end in a name, so base is one path component; still refuse ".." */
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		return pk_error__set(w->err, -EBADMSG, "'%s': bad member name '%s'", w->pkg, path);
	if (size > (la_int64_t)w->max)
		return pk_error__set(w->err, -EFBIG, "'%s': %s is larger than the size cap (%lld bytes)",
				     w->pkg, path, (long long)size);
	if ((size_t)snprintf(w->out, w->out_len, "%s/%s", w->dir, base) >= w->out_len)
		return pk_error__set(w->err, -ENAMETOOLONG, "'%s/%s': path too long", w->dir, base);
	buf = malloc(cap ? cap : 1);
	if (!buf)
		return pk_error__set(w->err, -ENOMEM, "out of memory");
	for (;;) {
		la_ssize_t r;

		if (len == cap) {
			char *nb;

			if (cap >= w->max) {
				free(buf);
				return pk_error__set(w->err, -EFBIG, "'%s': %s is larger than the size cap",
						     w->pkg, path);
			}
			cap = cap * 2 > w->max ? w->max : cap * 2;
			nb = realloc(buf, cap);
			if (!nb) {
				free(buf);
				return pk_error__set(w->err, -ENOMEM, "out of memory");
			}
			buf = nb;
		}
		r = w->la->read_data(a, buf + len, cap - len);
		if (r < 0) {
			free(buf);
			return pk_error__set(w->err, -EBADMSG, "'%s': cannot read %s: %s", w->pkg, path,
					     w->la->error_string(a));
		}
		if (r == 0)
			break;
		len += r;
	}
	err = pk_file__write_atomic(w->out, buf, len);
	free(buf);
	if (err)
		return pk_error__set(w->err, err, "cannot write '%s': %s", w->out, strerror(-err));
	return 0;
}

static int walk(struct walk *w, struct archive *a, int depth)
{
	struct archive_entry *e;
	int r;

	while ((r = w->la->read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *path = w->la->entry_pathname(e);

		if (!path || w->la->entry_filetype(e) != AE_IFREG)
			continue;
		if (!depth && (w->la->format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_AR) {
			struct archive *in;
			struct nested *n;
			int err;

			if (strncmp(path, "data.tar", 8))
				continue;
			in = w->la->read_new();
			n = malloc(sizeof(*n));
			if (!in || !n) {
				w->la->read_free(in);
				free(n);
				return pk_error__set(w->err, -ENOMEM, "out of memory");
			}
			n->la = w->la;
			n->outer = a;
			w->la->read_support_filter_all(in);
			w->la->read_support_format_all(in);
			if (w->la->read_open(in, n, NULL, nested_read, NULL) != ARCHIVE_OK)
				err = pk_error__set(w->err, -EBADMSG, "'%s': cannot read %s: %s", w->pkg, path,
						    w->la->error_string(in));
			else
				err = walk(w, in, depth + 1);
			w->la->read_free(in);
			free(n);
			return err;
		}
		if (matches(path, w->patterns))
			return write_member(w, a, e, path);
	}
	if (r != ARCHIVE_EOF)
		return pk_error__set(w->err, -EBADMSG, "'%s': corrupt package: %s", w->pkg,
				     w->la->error_string(a));
	return pk_error__set(w->err, -ENOENT, "package '%s' has no member %s%s", w->pkg,
			     w->patterns[0], w->patterns[1] ? " (or the like)" : "");
}

int pk_package__extract(const char *pkg, const char *const *patterns, const char *dir,
			size_t max_size, char *out, size_t out_len, struct pk_error *err)
{
	struct walk w = { .pkg = pkg, .patterns = patterns, .dir = dir, .out = out, .out_len = out_len,
			  .max = max_size ? max_size : DEFAULT_MAX_MEMBER, .err = err };
	unsigned char head[8] = { 0 };
	struct archive *a = NULL;
	struct pk_error why = { 0 };
	struct stat st;
	ssize_t n;
	int fd, ret;

	if (!pkg || !patterns || !dir || !out || !out_len)
		return pk_error__set(err, -EINVAL, "bad arguments");
	out[0] = 0;
	fd = open(pkg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pk_error__set(err, -errno, "cannot open '%s': %s", pkg, strerror(errno));
	if (fstat(fd, &st)) {
		ret = pk_error__set(err, -errno, "cannot read '%s': %s", pkg, strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		ret = pk_error__set(err, -EINVAL, "'%s' is not a regular file", pkg);
		goto done;
	}
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		ret = pk_error__set(err, -errno, "cannot read '%s': %s", pkg, strerror(errno));
		goto done;
	}
	/* only the two package formats: anything else may be a kernel image itself */
	if (!(n == 8 && !memcmp(head, "!<arch>\n", 8)) && !(n >= 4 && !memcmp(head, "\xed\xab\xee\xdb", 4))) {
		ret = pk_error__set(err, -ENOEXEC, "'%s' is not a .deb or .rpm package", pkg);
		goto done;
	}
	w.la = pk_libarchive__load(&why);
	if (!w.la) {
		ret = pk_error__set(err, why.code, "'%s': %s", pkg, why.msg);
		goto done;
	}
	a = w.la->read_new();
	if (!a) {
		ret = pk_error__set(err, -ENOMEM, "out of memory");
		goto done;
	}
	w.la->read_support_filter_all(a);
	w.la->read_support_format_all(a);
	if (w.la->read_open_fd(a, fd, 1 << 16) != ARCHIVE_OK) {
		ret = pk_error__set(err, -EBADMSG, "'%s': corrupt package: %s", pkg, w.la->error_string(a));
		goto done;
	}
	ret = walk(&w, a, 0);
done:
	if (a)
		w.la->read_free(a);
	close(fd);
	if (ret)
		out[0] = 0;
	return ret;
}
