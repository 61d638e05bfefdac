/* Kernel headers packages, unpacked and understood (build/kheaders.h). The files read
 * here come from packages: every read is capped and every parse bounded by length;
 * a tree named by one of them is looked up under the root, never outside it. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "btf/package.h"
#include "build/kheaders.h"

#define SMALL_FILE_MAX (64u << 10)	/* version.h, utsrelease.h, the Makefile stub */
#define CONFIG_MAX (4u << 20)		/* a .config is ~250 KiB */
#define RELEASE_MAX 128

struct pk_kheaders {
	char *root, *objtree, *srctree, *config;
	char release[RELEASE_MAX];
	unsigned int version_code;
	const char *arch;
};

void pk_kheaders__free(struct pk_kheaders *kh)
{
	if (!kh)
		return;
	free(kh->root);
	free(kh->objtree);
	free(kh->srctree);
	free(kh->config);
	free(kh);
}

const char *pk_kheaders__root(const struct pk_kheaders *kh) { return kh ? kh->root : NULL; }
const char *pk_kheaders__objtree(const struct pk_kheaders *kh) { return kh ? kh->objtree : NULL; }
const char *pk_kheaders__srctree(const struct pk_kheaders *kh) { return kh ? kh->srctree : NULL; }
const char *pk_kheaders__release(const struct pk_kheaders *kh) { return kh ? kh->release : NULL; }
unsigned int pk_kheaders__version_code(const struct pk_kheaders *kh) { return kh ? kh->version_code : 0; }
const char *pk_kheaders__config(const struct pk_kheaders *kh) { return kh ? kh->config : NULL; }
const char *pk_kheaders__arch(const struct pk_kheaders *kh) { return kh ? kh->arch : NULL; }

/* the next line of buf[*pos, len), without its newline; false at the end */
static bool next_line(const char *buf, size_t len, size_t *pos, const char **line, size_t *ll)
{
	const char *nl;

	if (*pos >= len)
		return false;
	*line = buf + *pos;
	nl = memchr(*line, '\n', len - *pos);
	*ll = nl ? (size_t)(nl - *line) : len - *pos;
	*pos += *ll + 1;
	return true;
}

/* "#define NAME " at the start of line: what follows it, else NULL */
static const char *define_value(const char *line, size_t ll, const char *name, size_t *vl)
{
	size_t dl = strlen("#define "), nl = strlen(name);

	if (ll <= dl + nl || memcmp(line, "#define ", dl) || memcmp(line + dl, name, nl) ||
	    (line[dl + nl] != ' ' && line[dl + nl] != '\t'))
		return NULL;
	line += dl + nl;
	ll -= dl + nl;
	while (ll && (*line == ' ' || *line == '\t'))
		line++, ll--;
	*vl = ll;
	return line;
}

static bool parse_uint(const char *s, size_t l, unsigned long max, unsigned long *v)
{
	*v = 0;
	if (!l)
		return false;
	for (size_t i = 0; i < l; i++) {
		if (s[i] < '0' || s[i] > '9' || *v > (max - (s[i] - '0')) / 10)
			return false;
		*v = *v * 10 + (s[i] - '0');
	}
	return true;
}

/* LINUX_VERSION_CODE from version.h; MAJOR/PATCHLEVEL/SUBLEVEL when it is absent */
static int parse_version(const char *buf, size_t len, unsigned int *code)
{
	unsigned long v, parts[3] = { 0 };
	const char *names[3] = { "LINUX_VERSION_MAJOR", "LINUX_VERSION_PATCHLEVEL", "LINUX_VERSION_SUBLEVEL" };
	const char *line, *val;
	size_t pos = 0, ll, vl;
	int found = 0;

	while (next_line(buf, len, &pos, &line, &ll)) {
		if ((val = define_value(line, ll, "LINUX_VERSION_CODE", &vl))) {
			if (!parse_uint(val, vl, 0xffffff, &v))
				return -EBADMSG;
			*code = v;
			return 0;
		}
		for (int i = 0; i < 3; i++)
			if ((val = define_value(line, ll, names[i], &vl))) {
				if (!parse_uint(val, vl, 255, &parts[i]))
					return -EBADMSG;
				found |= 1 << i;
			}
	}
	if (found != 7)
		return -EBADMSG;
	*code = (parts[0] << 16) + (parts[1] << 8) + parts[2];
	return 0;
}

/* a release is one token of [A-Za-z0-9._+~-] */
static bool release_ok(const char *s, size_t l)
{
	if (!l || l >= RELEASE_MAX || s[0] == '.' || s[0] == '-')
		return false;
	for (size_t i = 0; i < l; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		      strchr("._+~-", s[i])))
			return false;
	return true;
}

/* UTS_RELEASE "X" from utsrelease.h */
static int parse_utsrelease(const char *buf, size_t len, char *out)
{
	const char *line, *val;
	size_t pos = 0, ll, vl;

	while (next_line(buf, len, &pos, &line, &ll)) {
		if (!(val = define_value(line, ll, "UTS_RELEASE", &vl)))
			continue;
		while (vl && (val[vl - 1] == ' ' || val[vl - 1] == '\t' || val[vl - 1] == '\r'))
			vl--;
		if (vl < 2 || val[0] != '"' || val[vl - 1] != '"' || !release_ok(val + 1, vl - 2))
			return -EBADMSG;
		memcpy(out, val + 1, vl - 2);
		out[vl - 2] = 0;
		return 0;
	}
	return -EBADMSG;
}

/* Debian's flavour Makefile: "include /usr/src/linux-headers-X-common/Makefile";
 * out gets that directory's name (one path component) */
static int parse_makefile_include(const char *buf, size_t len, char *out, size_t out_len)
{
	const char *line, *prefix = "include /usr/src/", *suffix = "/Makefile";
	size_t pos = 0, ll, pl = strlen(prefix), sl = strlen(suffix);

	while (next_line(buf, len, &pos, &line, &ll)) {
		const char *name = line + pl;
		size_t nl;

		while (ll && (line[ll - 1] == ' ' || line[ll - 1] == '\r'))
			ll--;
		if (ll <= pl + sl || memcmp(line, prefix, pl) || memcmp(line + ll - sl, suffix, sl))
			continue;
		nl = ll - pl - sl;
		if (!release_ok(name, nl) || nl >= out_len || memchr(name, '/', nl) || (nl <= 2 && name[0] == '.'))
			return -EBADMSG;
		memcpy(out, name, nl);
		out[nl] = 0;
		return 0;
	}
	return -ENOENT;
}

/* the architecture .config was made for */
static const char *parse_arch(const char *buf, size_t len)
{
	static const struct { const char *opt, *arch; } arches[] = {
		{ "CONFIG_X86_64=y", "x86" }, { "CONFIG_X86_32=y", "x86" }, { "CONFIG_ARM64=y", "arm64" },
		{ "CONFIG_S390=y", "s390" }, { "CONFIG_PPC64=y", "powerpc" }, { "CONFIG_RISCV=y", "riscv" },
	};
	const char *line;
	size_t pos = 0, ll;

	while (next_line(buf, len, &pos, &line, &ll))
		for (size_t i = 0; i < PK_ARRAY_SIZE(arches); i++)
			if (ll == strlen(arches[i].opt) && !memcmp(line, arches[i].opt, ll))
				return arches[i].arch;
	return NULL;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static int path_join(char *out, size_t len, const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	if (al + 1 + bl >= len)
		return -ENAMETOOLONG;
	memcpy(out, a, al);
	out[al] = '/';
	memcpy(out + al + 1, b, bl + 1);
	return 0;
}

/* the trees under root/usr/src (linux-headers-*) and root/usr/src/kernels (rpm) that hold
 * a generated version.h: the one matching want (a release, or any when NULL) */
static int find_objtree(const char *root, const char *want, char *out, size_t out_len, struct pk_error *err)
{
	static const char *const bases[] = { "usr/src", "usr/src/kernels" };
	char base[PATH_MAX], cand[PATH_MAX], probe[PATH_MAX];
	int found = 0;

	for (size_t b = 0; b < PK_ARRAY_SIZE(bases); b++) {
		struct dirent *de;
		DIR *d;

		if (path_join(base, sizeof(base), root, bases[b]))
			return pk_error__set(err, -ENAMETOOLONG, "'%s': path too long", root);
		d = opendir(base);
		if (!d)
			continue;
		while ((de = readdir(d))) {
			if (de->d_name[0] == '.')
				continue;
			if (b == 0 && strncmp(de->d_name, "linux-headers-", 14))
				continue;
			if (path_join(cand, sizeof(cand), base, de->d_name) ||
			    path_join(probe, sizeof(probe), cand, "include/generated/uapi/linux/version.h"))
				continue;
			if (access(probe, R_OK))
				continue;
			if (want) {
				char uts[PATH_MAX], rel[RELEASE_MAX];
				char *buf = NULL;
				size_t len;
				bool match = false;

				if (!path_join(uts, sizeof(uts), cand, "include/generated/utsrelease.h") &&
				    !pk_file__read(uts, &buf, &len, SMALL_FILE_MAX))
					match = !parse_utsrelease(buf, len, rel) && !strcmp(rel, want);
				free(buf);
				if (!match)
					continue;
			}
			if (found++ == 0)
				pk_strlcpy(out, cand, out_len);
		}
		closedir(d);
	}
	if (!found)
		return pk_error__set(err, -ENOENT, "'%s' holds no kernel headers tree%s%s", root,
				     want ? " for " : "", want ? want : "");
	if (found > 1)
		return pk_error__set(err, -EEXIST, "'%s' holds %d kernel headers trees: pick one by release",
				     root, found);
	return 0;
}

int pk_kheaders__open(const char *dir, const struct pk_kheaders_opts *opts, struct pk_kheaders **out,
		      struct pk_error *err)
{
	char obj[PATH_MAX], path[PATH_MAX], name[NAME_MAX + 1];
	struct pk_kheaders *kh = NULL;
	char *buf = NULL;
	size_t len;
	int ret;

	if (!out)
		return pk_error__set(err, -EINVAL, "bad arguments");
	*out = NULL;
	if (!dir || !PK_OPTS_VALID(opts, struct pk_kheaders_opts))
		return pk_error__set(err, -EINVAL, "bad arguments");
	kh = calloc(1, sizeof(*kh));
	if (!kh || !(kh->root = realpath(dir, NULL))) {
		ret = kh ? pk_error__set(err, -errno, "'%s': %s", dir, strerror(errno))
			 : pk_error__set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	ret = find_objtree(kh->root, PK_OPTS_GET(opts, release, NULL), obj, sizeof(obj), err);
	if (ret)
		goto fail;
	kh->objtree = strdup(obj);
	if (!kh->objtree) {
		ret = pk_error__set(err, -ENOMEM, "out of memory");
		goto fail;
	}

	/* version */
	path_join(path, sizeof(path), obj, "include/generated/uapi/linux/version.h");
	ret = pk_file__read(path, &buf, &len, SMALL_FILE_MAX);
	if (!ret && parse_version(buf, len, &kh->version_code))
		ret = -EBADMSG;
	free(buf);
	buf = NULL;
	if (ret) {
		pk_error__set(err, ret, "'%s': no LINUX_VERSION_CODE", path);
		goto fail;
	}

	/* release: utsrelease.h; Debian's kernel.release holds the upstream version only */
	path_join(path, sizeof(path), obj, "include/generated/utsrelease.h");
	if (!pk_file__read(path, &buf, &len, SMALL_FILE_MAX) && !parse_utsrelease(buf, len, kh->release)) {
		/* found */
	} else {
		free(buf);
		buf = NULL;
		path_join(path, sizeof(path), obj, "include/config/kernel.release");
		if (!pk_file__read(path, &buf, &len, SMALL_FILE_MAX)) {
			while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
				len--;
			if (release_ok(buf, len)) {
				memcpy(kh->release, buf, len);
				kh->release[len] = 0;
			}
		}
		if (!kh->release[0]) {
			const char *base = strrchr(obj, '/') + 1;

			if (!strncmp(base, "linux-headers-", 14))
				base += 14;
			if (!release_ok(base, strlen(base))) {
				ret = pk_error__set(err, -EBADMSG, "'%s': cannot tell the kernel release", obj);
				goto fail;
			}
			pk_strlcpy(kh->release, base, sizeof(kh->release));
		}
	}
	free(buf);
	buf = NULL;

	/* the source tree: Debian's flavour Makefile names it; else the tree is whole */
	path_join(path, sizeof(path), obj, "Makefile");
	kh->srctree = NULL;
	if (!pk_file__read(path, &buf, &len, SMALL_FILE_MAX)) {
		ret = parse_makefile_include(buf, len, name, sizeof(name));
		if (ret == -EBADMSG) {
			pk_error__set(err, ret, "'%s': bad include line", path);
			goto fail;
		}
		if (!ret) {
			char src[PATH_MAX];

			if (path_join(src, sizeof(src), kh->root, "usr/src") || path_join(path, sizeof(path), src, name))
				ret = -ENAMETOOLONG;
			else if (!is_dir(path))
				ret = -ENOENT;
			if (ret) {
				pk_error__set(err, ret, "'%s' names /usr/src/%s, which is not in '%s' (its -common package?)",
					      obj, name, kh->root);
				goto fail;
			}
			kh->srctree = strdup(path);
		}
	}
	free(buf);
	buf = NULL;
	if (!kh->srctree)
		kh->srctree = strdup(obj);
	if (!kh->srctree) {
		ret = pk_error__set(err, -ENOMEM, "out of memory");
		goto fail;
	}
	path_join(path, sizeof(path), kh->srctree, "include/linux/kconfig.h");
	if (access(path, R_OK)) {
		ret = pk_error__set(err, -ENOENT, "'%s' has no include/linux/kconfig.h: not a headers tree",
				    kh->srctree);
		goto fail;
	}

	path_join(path, sizeof(path), obj, ".config");
	if (!pk_file__read(path, &buf, &len, CONFIG_MAX)) {
		kh->arch = parse_arch(buf, len);
		kh->config = strdup(path);
		if (!kh->config) {
			ret = pk_error__set(err, -ENOMEM, "out of memory");
			goto fail;
		}
	}
	free(buf);
	*out = kh;
	return 0;
fail:
	free(buf);
	pk_kheaders__free(kh);
	return ret;
}

int pk_kheaders__unpack(const char *const *pkgs, const char *dir, const struct pk_kheaders_opts *opts,
			struct pk_kheaders **kh, struct pk_error *err)
{
	unsigned long long max_bytes, bytes = 0, used;
	unsigned long max_entries, entries = 0, files, dirs, links, skipped;
	int ret;

	if (!kh)
		return pk_error__set(err, -EINVAL, "bad arguments");
	*kh = NULL;
	if (!pkgs || !pkgs[0] || !dir || !PK_OPTS_VALID(opts, struct pk_kheaders_opts))
		return pk_error__set(err, -EINVAL, "bad arguments");
	max_bytes = PK_OPTS_GET(opts, max_bytes, 0) ?: 1ULL << 30;
	max_entries = PK_OPTS_GET(opts, max_entries, 0) ?: 200000;
	if (mkdir(dir, 0755) && errno != EEXIST)
		return pk_error__set(err, -errno, "cannot make '%s': %s", dir, strerror(errno));
	/* one budget for all the packages: each call gets what is left */
	for (; *pkgs; pkgs++) {
		PK_UNPACK_OPTS(uo, .max_bytes = max_bytes - bytes, .max_entries = max_entries - entries,
			       .files = &files, .dirs = &dirs, .links = &links, .skipped = &skipped,
			       .bytes = &used);

		if (bytes >= max_bytes || entries >= max_entries)
			return pk_error__set(err, -EFBIG, "'%s': the headers packages are over their size cap",
					     *pkgs);
		ret = pk_package__unpack(*pkgs, dir, &uo, err);
		if (ret)
			return ret;
		bytes += used;
		entries += files + dirs + links + skipped;
	}
	return pk_kheaders__open(dir, opts, kh, err);
}
