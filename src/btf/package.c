/* Packages and archives through libarchive (btf/package.h): the one walk over their
 * entries and the one bounded read of an entry, used by btf extract and by verify's
 * kernel packages, instead of shell pipelines run as root on untrusted packages. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "common/dl.h"
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
	bool all_types;			/* unpack: pass directories and links to fn too */
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
		unsigned int type = la->entry_filetype(e);
		struct pk_package_entry ent = { .path = path, .depth = depth, .ar_member = ar, .type = type };
		int ret;

		if (!path || (type != AE_IFREG && !p->all_types))
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

/* open pkg (a regular file holding a .deb or an .rpm) for a walk */
static int open_package_file(const char *pkg, int *fdp, struct pk_package **p, struct pk_error *err)
{
	unsigned char head[8] = { 0 };
	struct pk_error why = { 0 };
	const char *fmt;
	struct stat st;
	ssize_t n;
	int fd, ret;

	*p = NULL;
	*fdp = fd = open(pkg, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return pk_error__set(err, -errno, "cannot open '%s': %s", pkg, strerror(errno));
	if (fstat(fd, &st))
		return pk_error__set(err, -errno, "cannot read '%s': %s", pkg, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return pk_error__set(err, -EINVAL, "'%s' is not a regular file", pkg);
	do
		n = pread(fd, head, sizeof(head), 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return pk_error__set(err, -errno, "cannot read '%s': %s", pkg, strerror(errno));
	fmt = pk_package__format(head, n);
	if (!fmt || (strcmp(fmt, "deb") && strcmp(fmt, "rpm")))
		return pk_error__set(err, -ENOEXEC, "'%s' is not a .deb or .rpm package", pkg);
	ret = package_open(NULL, 0, fd, p, &why);
	if (ret == -EBADMSG)
		return pk_error__set(err, ret, "'%s': corrupt package: %s", pkg, why.msg);
	if (ret == -ENOMEM)
		return pk_error__set(err, ret, "%s", why.msg);
	if (ret)
		return pk_error__set(err, ret, "'%s': %s", pkg, why.msg);
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

/* a walk's outcome as the callers report it: the callback's own result when it
 * stopped the walk (ret > 0), else the walk's error with the package named */
static int walk_result(struct pk_package *p, const char *pkg, int ret, int cb_ret,
		       const struct pk_error *why, struct pk_error *err)
{
	if (ret > 0)
		return cb_ret;
	if (ret == -ENOEXEC)
		return pk_error__set(err, -EBADMSG, "'%s': cannot read %s: %s", pkg, pk_package__archive(p),
				     why->msg);
	if (ret == -EBADMSG)
		return pk_error__set(err, ret, "'%s': corrupt package: %s", pkg, why->msg);
	if (ret)
		return pk_error__set(err, ret, "%s", why->msg);
	return 0;
}

int pk_package__extract(const char *pkg, const char *const *patterns, const char *dir,
			size_t max_size, char *out, size_t out_len, struct pk_error *err)
{
	struct member m = { .pkg = pkg, .patterns = patterns, .dir = dir, .out = out, .out_len = out_len,
			    .max = max_size ? max_size : DEFAULT_MAX_MEMBER, .err = err };
	struct pk_package *p = NULL;
	struct pk_error why = { 0 };
	int fd = -1, ret;

	if (!pkg || !patterns || !dir || !out || !out_len)
		return pk_error__set(err, -EINVAL, "bad arguments");
	out[0] = 0;
	/* only the two package formats: anything else may be a kernel image itself */
	ret = open_package_file(pkg, &fd, &p, err);
	if (ret)
		goto done;
	ret = pk_package__walk(p, write_member, &m, &why);
	if (ret)
		ret = walk_result(p, pkg, ret, m.ret, &why, err);
	else
		ret = pk_error__set(err, -ENOENT, "package '%s' has no member %s%s", pkg, patterns[0],
				    patterns[1] ? " (or the like)" : "");
done:
	pk_package__free(p);
	if (fd >= 0)
		close(fd);
	if (ret)
		out[0] = 0;
	return ret;
}

/* pk_package__unpack: a whole package under a directory */
#define UNPACK_MAX_BYTES (1ULL << 30)
#define UNPACK_MAX_ENTRIES 200000UL
#define UNPACK_MAX_DEPTH 64	/* path components of one entry */

struct unpack {
	const char *pkg;
	int root;			/* dir, O_PATH */
	/* the last parent directory opened: a package lists a directory's entries
	 * together, and directories are never removed or replaced, so it stays valid */
	char *last_dir;
	int last_fd;
	unsigned long long max_bytes, bytes;
	unsigned long max_entries, entries, files, dirs, links, skipped;
	struct pk_error *err;
	int ret;
};

/* Split path (without "./" and "/" runs) into components; -EBADMSG for an
 * absolute path, a ".." or too many components. "." components are dropped. */
static int split_path(char *path, char **comp, int *n)
{
	char *save = NULL, *c;

	*n = 0;
	if (path[0] == '/')
		return -EBADMSG;
	for (c = strtok_r(path, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (!strcmp(c, "."))
			continue;
		if (!strcmp(c, "..") || *n == UNPACK_MAX_DEPTH)
			return -EBADMSG;
		comp[(*n)++] = c;
	}
	return 0;
}

/* A link at depth parents below the root may point up at most that many levels,
 * with its ".." only leading: after a name, ".." could climb back out of a link
 * that name resolves through. Absolute targets name the host's files. */
static bool link_stays_inside(const char *target, int parents)
{
	bool named = false;
	int up = 0;

	if (!*target || target[0] == '/')
		return false;
	while (*target) {
		size_t len = strcspn(target, "/");

		if (len == 2 && !strncmp(target, "..", 2)) {
			if (named || ++up > parents)
				return false;
		} else if (len && !(len == 1 && *target == '.')) {
			named = true;
		}
		target += len;
		target += strspn(target, "/");
	}
	return true;
}

/* The directory holding comp[0..n-1] under root, made as needed, never through a
 * link: O_NOFOLLOW on every step. Returns an fd or -errno. */
static int open_parent(int root, char **comp, int n)
{
	int fd = dup(root);

	if (fd < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		int next = openat(fd, comp[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, comp[i], 0755) && errno != EEXIST) {
				int e = -errno;

				close(fd);
				return e;
			}
			next = openat(fd, comp[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno == ELOOP || errno == ENOTDIR ? -ENOTDIR : -errno;

			close(fd);
			return e;
		}
		close(fd);
		fd = next;
	}
	return fd;
}

/* open_parent through the one-entry cache; the fd belongs to u */
static int cached_parent(struct unpack *u, char **comp, int n)
{
	char key[PATH_MAX];
	size_t len = 0;
	int fd;

	key[0] = 0;
	for (int i = 0; i < n; i++) {
		size_t cl = strlen(comp[i]);

		if (len + cl + 2 > sizeof(key))
			return -ENAMETOOLONG;
		memcpy(key + len, comp[i], cl);
		len += cl;
		key[len++] = '/';
		key[len] = 0;
	}
	if (u->last_dir && !strcmp(u->last_dir, key))
		return u->last_fd;
	fd = open_parent(u->root, comp, n);
	if (fd < 0)
		return fd;
	free(u->last_dir);
	if (u->last_fd >= 0)
		close(u->last_fd);
	u->last_dir = strdup(key);
	u->last_fd = fd;
	if (!u->last_dir) {
		close(fd);
		u->last_fd = -1;
		return -ENOMEM;
	}
	return fd;
}

/* a later package's file or link replaces an earlier one; a directory stays */
static int make_room(int dirfd, const char *name)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return errno == ENOENT ? 0 : -errno;
	if (S_ISDIR(st.st_mode))
		return -EISDIR;
	return unlinkat(dirfd, name, 0) ? -errno : 0;
}

static int write_file(struct pk_package *pkg, struct unpack *u, int dirfd, const char *name,
		      const char *path, bool exec)
{
	const struct pk_libarchive *la = pkg->la;
	char buf[1 << 16];
	int fd, ret = 0;

	ret = make_room(dirfd, name);
	if (ret)
		return pk_error__set(u->err, ret, "'%s': cannot write %s: %s", u->pkg, path, strerror(-ret));
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, exec ? 0755 : 0644);
	if (fd < 0)
		return pk_error__set(u->err, -errno, "'%s': cannot write %s: %s", u->pkg, path, strerror(errno));
	for (;;) {
		la_ssize_t r = la->read_data(pkg->cur, buf, sizeof(buf));
		size_t off = 0;

		if (r < 0) {
			ret = pk_error__set(u->err, -EBADMSG, "'%s': cannot read %s: %s", u->pkg, path,
					    la->error_string(pkg->cur));
			break;
		}
		if (r == 0)
			break;
		if ((unsigned long long)r > u->max_bytes - u->bytes) {
			ret = pk_error__set(u->err, -EFBIG, "'%s': more than %llu bytes of files (at %s)",
					    u->pkg, u->max_bytes, path);
			break;
		}
		u->bytes += r;
		while (off < (size_t)r) {
			ssize_t w = write(fd, buf + off, r - off);

			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0) {
				ret = pk_error__set(u->err, -errno, "'%s': cannot write %s: %s", u->pkg, path,
						    strerror(errno));
				break;
			}
			off += w;
		}
		if (ret)
			break;
	}
	if (close(fd) && !ret)
		ret = pk_error__set(u->err, -errno, "'%s': cannot write %s: %s", u->pkg, path, strerror(errno));
	return ret;
}

static int unpack_entry(struct pk_package *pkg, const struct pk_package_entry *e, void *ctx)
{
	struct unpack *u = ctx;
	struct archive_entry *ae = pkg->entry;
	char *comp[UNPACK_MAX_DEPTH], *path;
	const char *hard, *target = NULL;
	int n, dirfd, ret = 0;

	if (e->ar_member)
		return 0;
	if (++u->entries > u->max_entries) {
		u->ret = pk_error__set(u->err, -EFBIG, "'%s': more than %lu entries", u->pkg, u->max_entries);
		return 1;
	}
	hard = pkg->la->entry_hardlink(ae);
	if (hard) {
		u->ret = pk_error__set(u->err, -EBADMSG, "'%s': %s is a hard link, which is not supported",
				       u->pkg, e->path);
		return 1;
	}
	if (e->type != AE_IFREG && e->type != AE_IFDIR && e->type != AE_IFLNK) {
		u->skipped++;
		return 0;
	}
	path = strdup(e->path);
	if (!path) {
		u->ret = pk_error__set(u->err, -ENOMEM, "out of memory");
		return 1;
	}
	if (split_path(path, comp, &n)) {
		u->ret = pk_error__set(u->err, -EBADMSG, "'%s': refusing entry path '%s'", u->pkg, e->path);
		free(path);
		return 1;
	}
	if (n == 0) {		/* "./": the root itself */
		free(path);
		return 0;
	}
	if (e->type == AE_IFLNK) {
		target = pkg->la->entry_symlink(ae);
		if (!target || !link_stays_inside(target, n - 1)) {
			u->skipped++;	/* Debian's /lib/modules/X/build -> /usr/src/...: not ours */
			free(path);
			return 0;
		}
	}
	dirfd = cached_parent(u, comp, e->type == AE_IFDIR ? n : n - 1);
	if (dirfd < 0) {
		ret = dirfd == -ENOTDIR
			      ? pk_error__set(u->err, -EBADMSG, "'%s': %s goes through a link or a file",
					      u->pkg, e->path)
			      : pk_error__set(u->err, dirfd, "'%s': cannot make the directory of %s: %s",
					      u->pkg, e->path, strerror(-dirfd));
	} else if (e->type == AE_IFDIR) {
		u->dirs++;
	} else if (e->type == AE_IFLNK) {
		ret = make_room(dirfd, comp[n - 1]);
		if (!ret && symlinkat(target, dirfd, comp[n - 1]))
			ret = -errno;
		if (ret)
			pk_error__set(u->err, ret, "'%s': cannot make link %s: %s", u->pkg, e->path, strerror(-ret));
		else
			u->links++;
	} else {
		ret = write_file(pkg, u, dirfd, comp[n - 1], e->path, pkg->la->entry_perm(ae) & 0111);
		if (!ret)
			u->files++;
	}
	free(path);
	if (ret) {
		u->ret = ret;
		return 1;
	}
	return 0;
}

int pk_package__unpack(const char *pkg, const char *dir, const struct pk_unpack_opts *opts,
		       struct pk_error *err)
{
	struct unpack u = { .pkg = pkg, .root = -1, .last_fd = -1, .err = err };
	struct pk_package *p = NULL;
	struct pk_error why = { 0 };
	int fd = -1, ret;

	if (!pkg || !dir || !PK_OPTS_VALID(opts, struct pk_unpack_opts))
		return pk_error__set(err, -EINVAL, "bad arguments");
	u.max_bytes = PK_OPTS_GET(opts, max_bytes, 0) ?: UNPACK_MAX_BYTES;
	u.max_entries = PK_OPTS_GET(opts, max_entries, 0) ?: UNPACK_MAX_ENTRIES;
	u.root = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (u.root < 0) {
		ret = pk_error__set(err, -errno, "cannot open '%s': %s", dir, strerror(errno));
		goto done;
	}
	ret = open_package_file(pkg, &fd, &p, err);
	if (ret)
		goto done;
	p->all_types = true;
	ret = pk_package__walk(p, unpack_entry, &u, &why);
	if (ret)
		ret = walk_result(p, pkg, ret, u.ret, &why, err);
	else if (!u.entries)
		ret = pk_error__set(err, -EBADMSG, "'%s' holds no files", pkg);
done:
	if (PK_OPTS_HAS(opts, files) && opts->files)
		*opts->files = u.files;
	if (PK_OPTS_HAS(opts, dirs) && opts->dirs)
		*opts->dirs = u.dirs;
	if (PK_OPTS_HAS(opts, links) && opts->links)
		*opts->links = u.links;
	if (PK_OPTS_HAS(opts, skipped) && opts->skipped)
		*opts->skipped = u.skipped;
	if (PK_OPTS_HAS(opts, bytes) && opts->bytes)
		*opts->bytes = u.bytes;
	pk_package__free(p);
	if (fd >= 0)
		close(fd);
	if (u.root >= 0)
		close(u.root);
	if (u.last_fd >= 0)
		close(u.last_fd);
	free(u.last_dir);
	return ret;
}
