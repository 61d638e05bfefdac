/* Packages and archives through libarchive (btf/package.h): the one walk over their
 * entries and the one bounded read of an entry, used by btf extract and by verify's
 * kernel packages, instead of shell pipelines run as root on untrusted packages. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "btf/libarchive_dl.h"
#include "btf/package.h"

#define DEFAULT_MAX_MEMBER (256UL << 20)
#define FIRST_CAP (1UL << 20)	/* first buffer for an entry of unknown size */

struct pk_package {
	const struct pk_libarchive *la;
	struct archive *a;		/* the package */
	struct archive *cur;		/* the archive being walked: a, or the .deb's data.tar.* */
	struct archive_entry *entry;	/* the current entry, while fn runs */
	char *archive;			/* the data.tar.* member walked into */
	bool walked;
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

/* data when it is not NULL, else fd */
static int package_open(const void *data, size_t len, int fd, struct pk_package **pkg,
			struct pk_error *err)
{
	struct pk_error why = { 0 };
	struct pk_package *p;
	int r;

	*pkg = NULL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return pk_error__set(err, -ENOMEM, "out of memory");
	p->la = pk_libarchive__load(&why);
	if (!p->la) {
		free(p);
		return pk_error__set(err, -ELIBACC, "%s", pk_error__str(&why));
	}
	p->a = p->cur = p->la->read_new();
	if (!p->a) {
		free(p);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	p->la->read_support_filter_all(p->a);
	p->la->read_support_format_all(p->a);
	r = data ? p->la->read_open_memory(p->a, data, len) : p->la->read_open_fd(p->a, fd, 1 << 16);
	if (r != ARCHIVE_OK) {
		r = pk_error__set(err, -EBADMSG, "%s", p->la->error_string(p->a));
		pk_package__free(p);
		return r;
	}
	*pkg = p;
	return 0;
}

int pk_package__open_mem(const void *data, size_t len, struct pk_package **pkg, struct pk_error *err)
{
	if (!data)
		return pk_error__set(err, -EINVAL, "bad arguments");
	return package_open(data, len, -1, pkg, err);
}

void pk_package__free(struct pk_package *pkg)
{
	if (!pkg)
		return;
	if (pkg->a)
		pkg->la->read_free(pkg->a);
	free(pkg->archive);
	free(pkg);
}

const char *pk_package__format(const void *data, size_t len)
{
	const unsigned char *p = data;

	if (len >= 8 && !memcmp(p, "!<arch>\n", 8))
		return "deb";
	if (len >= 4 && !memcmp(p, "\xed\xab\xee\xdb", 4))
		return "rpm";
	if (len >= 512 && !memcmp(p + 257, "ustar", 5))
		return "tar";
	if (len >= 6 && (!memcmp(p, "070701", 6) || !memcmp(p, "070702", 6) || !memcmp(p, "070707", 6)))
		return "cpio";
	return NULL;
}

const char *pk_package__archive(const struct pk_package *pkg)
{
	return pkg ? pkg->archive : NULL;
}

static int walk(struct pk_package *p, struct archive *a, unsigned int depth, pk_package_entry_fn fn,
		void *ctx, struct pk_error *err)
{
	const struct pk_libarchive *la = p->la;
	struct archive_entry *e;
	int r;

	p->cur = a;
	while ((r = la->read_next_header(a, &e)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
		const char *path = la->entry_pathname(e);
		bool ar = !depth && (la->format(a) & ARCHIVE_FORMAT_BASE_MASK) == ARCHIVE_FORMAT_AR;
		struct pk_package_entry ent = { .path = path, .depth = depth, .ar_member = ar };
		int ret;

		if (!path || la->entry_filetype(e) != AE_IFREG)
			continue;
		if (ar && !strncmp(path, "data.tar", 8)) {
			struct archive *in = la->read_new();
			struct nested *n = malloc(sizeof(*n));

			p->archive = strdup(path);
			if (!in || !n || !p->archive) {
				la->read_free(in);
				free(n);
				return pk_error__set(err, -ENOMEM, "out of memory");
			}
			n->la = la;
			n->outer = a;
			la->read_support_filter_all(in);
			la->read_support_format_all(in);
			if (la->read_open(in, n, NULL, nested_read, NULL) != ARCHIVE_OK)
				ret = pk_error__set(err, -ENOEXEC, "%s", la->error_string(in));
			else
				ret = walk(p, in, depth + 1, fn, ctx, err);
			la->read_free(in);
			free(n);
			p->cur = a;
			return ret;
		}
		p->entry = e;
		ret = fn(p, &ent, ctx);
		p->entry = NULL;
		if (ret)
			return ret;
	}
	if (r != ARCHIVE_EOF)
		return pk_error__set(err, -EBADMSG, "%s", la->error_string(a));
	return 0;
}

int pk_package__walk(struct pk_package *pkg, pk_package_entry_fn fn, void *ctx, struct pk_error *err)
{
	if (!pkg || !fn)
		return pk_error__set(err, -EINVAL, "bad arguments");
	if (pkg->walked)	/* libarchive reads forward only */
		return pk_error__set(err, -EINVAL, "package already walked");
	pkg->walked = true;
	return walk(pkg, pkg->a, 0, fn, ctx, err);
}

int pk_package__read(struct pk_package *pkg, size_t max, void **out, size_t *out_len, struct pk_error *err)
{
	const struct pk_libarchive *la;
	const char *path;
	la_int64_t size;
	size_t cap, len = 0;
	char *buf;

	*out = NULL;
	*out_len = 0;
	if (!pkg || !pkg->entry)
		return pk_error__set(err, -EINVAL, "no current entry");
	la = pkg->la;
	path = la->entry_pathname(pkg->entry);
	size = la->entry_size_is_set(pkg->entry) ? la->entry_size(pkg->entry) : -1;
	if (size > (la_int64_t)max)
		return pk_error__set(err, -EFBIG, "%s is larger than the size cap (%lld bytes)", path,
				     (long long)size);
	/* a known size is the buffer, exactly (a 400 MiB vmlinux takes 400 MiB); an unknown
	 * one grows to one byte past max, enough to tell "max bytes" from "more" */
	if (max >= SIZE_MAX - 1)
		max = SIZE_MAX - 2;
	cap = size >= 0 ? (size_t)size : max < FIRST_CAP ? max + 1 : FIRST_CAP;
	buf = malloc(cap + 1);	/* + the NUL */
	if (!buf)
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (;;) {
		char more;
		la_ssize_t r;

		if (len == cap && size < 0) {
			char *nb;

			if (len > max) {
				free(buf);
				return pk_error__set(err, -EFBIG, "%s is larger than the size cap", path);
			}
			cap = cap > max / 2 ? max + 1 : cap * 2;
			nb = realloc(buf, cap + 1);
			if (!nb) {
				free(buf);
				return pk_error__set(err, -ENOMEM, "out of memory");
			}
			buf = nb;
		}
		if (len < cap)
			r = la->read_data(pkg->cur, buf + len, cap - len);
		else	/* all the header's size is read: one byte more only to see the end */
			r = la->read_data(pkg->cur, &more, 1);
		if (r < 0) {
			free(buf);
			return pk_error__set(err, -EBADMSG, "%s", la->error_string(pkg->cur));
		}
		if (r == 0)
			break;
		if (len == cap) {
			free(buf);
			return pk_error__set(err, -EFBIG, "%s is larger than its header says (%lld bytes)", path,
					     (long long)size);
		}
		len += r;
	}
	buf[len] = 0;
	*out = buf;
	*out_len = len;
	return 0;
}

/* pk_package__extract: the first member matching one of the patterns, to a file */
struct member {
	const char *pkg;
	const char *const *patterns;
	const char *dir;
	size_t max;
	char *out;
	size_t out_len;
	struct pk_error *err;
	int ret;
};

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

/* the entry, read whole (bounded), then written atomically; ends the walk */
static int write_member(struct pk_package *pkg, const struct pk_package_entry *e, void *ctx)
{
	struct member *m = ctx;
	const char *base = strrchr(e->path, '/') ? strrchr(e->path, '/') + 1 : e->path;
	struct pk_error why = { 0 };
	void *buf;
	size_t len;
	int err;

	/* a .deb's own members are not its contents */
	if (e->ar_member || !matches(e->path, m->patterns))
		return 0;
	/* the patterns end in a name, so base is one path component; still refuse ".." */
	if (!*base || !strcmp(base, ".") || !strcmp(base, ".."))
		err = pk_error__set(m->err, -EBADMSG, "'%s': bad member name '%s'", m->pkg, e->path);
	else if ((size_t)snprintf(m->out, m->out_len, "%s/%s", m->dir, base) >= m->out_len)
		err = pk_error__set(m->err, -ENAMETOOLONG, "'%s/%s': path too long", m->dir, base);
	else if ((err = pk_package__read(pkg, m->max, &buf, &len, &why)) == -EBADMSG)
		pk_error__set(m->err, err, "'%s': cannot read %s: %s", m->pkg, e->path, why.msg);
	else if (err == -ENOMEM)
		pk_error__set(m->err, err, "%s", why.msg);
	else if (err)
		pk_error__set(m->err, err, "'%s': %s", m->pkg, why.msg);
	else {
		err = pk_file__write_atomic(m->out, buf, len);
		free(buf);
		if (err)
			pk_error__set(m->err, err, "cannot write '%s': %s", m->out, strerror(-err));
	}
	m->ret = err;
	return 1;
}

int pk_package__extract(const char *pkg, const char *const *patterns, const char *dir,
			size_t max_size, char *out, size_t out_len, struct pk_error *err)
{
	struct member m = { .pkg = pkg, .patterns = patterns, .dir = dir, .out = out, .out_len = out_len,
			    .max = max_size ? max_size : DEFAULT_MAX_MEMBER, .err = err };
	unsigned char head[8] = { 0 };
	struct pk_package *p = NULL;
	struct pk_error why = { 0 };
	const char *fmt;
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
	fmt = pk_package__format(head, n);
	if (!fmt || (strcmp(fmt, "deb") && strcmp(fmt, "rpm"))) {
		ret = pk_error__set(err, -ENOEXEC, "'%s' is not a .deb or .rpm package", pkg);
		goto done;
	}
	ret = package_open(NULL, 0, fd, &p, &why);
	if (ret == -EBADMSG)
		ret = pk_error__set(err, ret, "'%s': corrupt package: %s", pkg, why.msg);
	else if (ret == -ENOMEM)
		ret = pk_error__set(err, ret, "%s", why.msg);
	else if (ret)
		ret = pk_error__set(err, ret, "'%s': %s", pkg, why.msg);
	if (ret)
		goto done;
	ret = pk_package__walk(p, write_member, &m, &why);
	if (ret > 0)
		ret = m.ret;
	else if (ret == -ENOEXEC)
		ret = pk_error__set(err, -EBADMSG, "'%s': cannot read %s: %s", pkg, pk_package__archive(p), why.msg);
	else if (ret == -EBADMSG)
		ret = pk_error__set(err, ret, "'%s': corrupt package: %s", pkg, why.msg);
	else if (ret)
		ret = pk_error__set(err, ret, "%s", why.msg);
	else
		ret = pk_error__set(err, -ENOENT, "package '%s' has no member %s%s", pkg, patterns[0],
				    patterns[1] ? " (or the like)" : "");
done:
	pk_package__free(p);
	close(fd);
	if (ret)
		out[0] = 0;
	return ret;
}
