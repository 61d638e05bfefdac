/* `probekit btf pack|ls|get`: build, list and read the reduced-BTF archive
 * (src/btf/btf_archive.h, docs/btf-archive.md). */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "btf/btf_archive.h"
#include "btf/btf_extract.h"
#include "cli.h"
#include "common/json.h"
#include "common/pk.h"

int cmd_btf_pack(int argc, char **argv);
int cmd_btf_ls(int argc, char **argv);
int cmd_btf_get(int argc, char **argv);

#define MAX_BTF_FILE (256UL << 20)

static void pack_usage(FILE *f)
{
	fprintf(f, "usage: probekit btf pack -o OUT.pkba [--json] [--level N] [--group-size BYTES] ENTRY...\n\n"
		"Pack BTF files into one archive keyed by (os id, version id, arch, kernel release);\n"
		"identical BTFs are stored once. ENTRY is one of:\n"
		"  OSID/VERSIONID/ARCH/RELEASE=FILE.btf\n"
		"  DIR   laid out btfhub-style: DIR/<os-id>/<version-id>/<arch>/<release>.btf\n"
		"        (<release>.btf.tar.xz, btfhub-archive's own files, are read too)\n"
		"No ENTRY at all writes a valid empty archive.\n\n"
		"  -o, --output FILE      the archive to write (required)\n"
		"      --level N          zstd level (default 19)\n"
		"      --group-size BYTES uncompressed bytes per compressed group (default %lu)\n"
		"      --json             print the summary as JSON\n", PK_BTF_ARCHIVE_GROUP_DEFAULT);
}

/* read FILE as BTF: raw .btf directly, anything else (e.g. .btf.tar.xz) through extract */
static int load_btf(const char *path, void **btf, size_t *len)
{
	PK_BTF_EXTRACT_OPTS(xo, .no_pahole = true);
	struct pk_error e = { 0 };
	int err;

	err = pk_btf_extract__file(path, btf, len, &xo, NULL, &e);
	if (err) {
		if (strstr(e.msg, "cannot ") == e.msg)
			pk_err("%s", e.msg);
		else
			pk_err("cannot read BTF from '%s': %s", path, pk_error__str(&e));
	}
	return err;
}

static int add_one(struct pk_btf_archive_writer *w, const char *os, const char *ver, const char *arch,
		   const char *rel, const char *path)
{
	struct pk_error e = { 0 };
	void *btf;
	size_t len;
	int err;

	if (load_btf(path, &btf, &len))
		return -1;
	err = pk_btf_archive_writer__add(w, os, ver, arch, rel, btf, len, &e);
	free(btf);
	if (err) {
		pk_err("cannot add '%s' as %s/%s/%s/%s: %s", path, os, ver, arch, rel,
		       err == -ENOMEM ? strerror(ENOMEM) : pk_error__str(&e));
		return -1;
	}
	pk_debug("packed %s as %s/%s/%s/%s\n", path, os, ver, arch, rel);
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* sorted names in dir (no dot files); NULL with errno on failure */
static char **list_dir(const char *dir, size_t *n)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **v = NULL;
	size_t cnt = 0, cap = 0;

	*n = 0;
	if (!d)
		return NULL;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (cnt == cap) {
			char **nv = realloc(v, (cap = cap ? cap * 2 : 16) * sizeof(*v));

			if (!nv)
				goto nomem;
			v = nv;
		}
		if (!(v[cnt] = strdup(de->d_name)))
			goto nomem;
		cnt++;
	}
	closedir(d);
	if (cnt)
		qsort(v, cnt, sizeof(*v), name_cmp);
	*n = cnt;
	return v ? v : calloc(1, sizeof(*v));
nomem:
	while (cnt)
		free(v[--cnt]);
	free(v);
	closedir(d);
	errno = ENOMEM;
	return NULL;
}

static void free_list(char **v, size_t n)
{
	while (n)
		free(v[--n]);
	free(v);
}

static bool is_dir(const char *p)
{
	struct stat st;

	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

/* DIR/<os>/<ver>/<arch>/<release>.btf[.tar.xz] */
static int add_tree(struct pk_btf_archive_writer *w, const char *root, const char **key, int depth,
		    const char *path, size_t *added)
{
	char **names;
	size_t n, i;
	int ret = 0;

	names = list_dir(path, &n);
	if (!names) {
		pk_err("cannot read directory '%s': %s", path, strerror(errno));
		return -1;
	}
	for (i = 0; i < n && !ret; i++) {
		char sub[4096];

		if ((size_t)snprintf(sub, sizeof(sub), "%s/%s", path, names[i]) >= sizeof(sub)) {
			pk_err("path too long under '%s'", path);
			ret = -1;
			break;
		}
		if (depth < 3) {
			if (!is_dir(sub)) {
				pk_debug("skipping '%s': not a directory at depth %d\n", sub, depth + 1);
				continue;
			}
			key[depth] = names[i];
			ret = add_tree(w, root, key, depth + 1, sub, added);
		} else {
			size_t len = strlen(names[i]);
			char rel[256];

			if (len > 4 && !strcmp(names[i] + len - 4, ".btf"))
				len -= 4;
			else if (len > 11 && !strcmp(names[i] + len - 11, ".btf.tar.xz"))
				len -= 11;
			else {
				pk_debug("skipping '%s': not .btf or .btf.tar.xz\n", sub);
				continue;
			}
			if (len >= sizeof(rel)) {
				pk_err("file name '%s' is too long for a kernel release", sub);
				ret = -1;
				break;
			}
			memcpy(rel, names[i], len);
			rel[len] = 0;
			ret = add_one(w, key[0], key[1], key[2], rel, sub);
			if (!ret)
				(*added)++;
		}
	}
	free_list(names, n);
	return ret;
}

static int add_spec(struct pk_btf_archive_writer *w, const char *spec)
{
	char buf[1100], *eq, *f[4], *p;
	int i;

	if (is_dir(spec)) {
		const char *key[3];
		size_t added = 0;

		if (add_tree(w, spec, key, 0, spec, &added))
			return -1;
		if (!added)
			pk_note("warning: no <os>/<version>/<arch>/<release>.btf files under '%s'", spec);
		return 0;
	}
	if (pk_strlcpy(buf, spec, sizeof(buf)) || !(eq = strchr(buf, '='))) {
		pk_err("bad entry '%s': want OSID/VERSIONID/ARCH/RELEASE=FILE.btf or a directory", spec);
		return -2;
	}
	*eq = 0;
	for (p = buf, i = 0; i < 4; i++) {
		f[i] = p;
		p = strchr(p, '/');
		if (i < 3) {
			if (!p)
				break;
			*p++ = 0;
		}
	}
	if (i < 4 || p) {
		pk_err("bad entry '%s': want OSID/VERSIONID/ARCH/RELEASE=FILE.btf or a directory", spec);
		return -2;
	}
	return add_one(w, f[0], f[1], f[2], f[3], eq + 1);
}

int cmd_btf_pack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "level", required_argument, NULL, 'l' },
		{ "group-size", required_argument, NULL, 'g' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	PK_BTF_ARCHIVE_WRITER_OPTS(wo);
	struct pk_btf_archive_writer *w = NULL;
	struct pk_error perr = { 0 };
	const char *out = NULL;
	bool json = false;
	void *data = NULL;
	size_t len;
	double t0;	/* ms */
	char *end;
	int c, err, ret = PK_EXIT_ERROR;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = true; break;
		case 'l':
			wo.level = strtol(optarg, &end, 10);
			if (*end || wo.level < 1 || wo.level > 22)
				return pk_usage_err("btf pack", "bad --level '%s' (1-22)", optarg);
			break;
		case 'g':
			wo.group_size = strtoul(optarg, &end, 10);
			if (*end || wo.group_size < 1)
				return pk_usage_err("btf pack", "bad --group-size '%s'", optarg);
			break;
		case 'h': pack_usage(stdout); return PK_EXIT_OK;
		case ':': return pk_usage_err("btf pack", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("btf pack", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (!out)
		return pk_usage_err("btf pack", "missing -o OUT.pkba");
	t0 = pk_now_ms();
	w = pk_btf_archive_writer__new(&wo);
	if (!w) {
		pk_err("out of memory");
		return PK_EXIT_ERROR;
	}
	for (; optind < argc; optind++) {
		err = add_spec(w, argv[optind]);
		if (err == -2) {
			ret = PK_EXIT_USAGE;
			goto done;
		}
		if (err)
			goto done;
	}
	err = pk_btf_archive_writer__finish(w, &data, &len, &perr);
	if (err) {
		pk_err("cannot build the archive: %s",
		       err == -ENOMEM ? strerror(ENOMEM) : pk_error__str(&perr));
		goto done;
	}
	err = pk_file__write_atomic(out, data, len);
	if (err) {
		pk_err("cannot write '%s': %s", out, strerror(-err));
		goto done;
	}
	{
		struct pk_btf_archive *a = pk_btf_archive__open_mem(data, len, &perr);
		struct pk_btf_archive_stats st;

		if (!a) {	/* our own output must read back */
			pk_err("internal error: the archive written does not open: %s", pk_error__str(&perr));
			goto done;
		}
		pk_btf_archive__stats(a, &st);
		if (json) {
			struct pk_json j;

			pk_json__init(&j, true);
			pk_json__obj_begin(&j);
			pk_json__kv_str(&j, "output", out);
			pk_json__kv_uint(&j, "entries", pk_btf_archive__entry_cnt(a));
			pk_json__kv_uint(&j, "blobs", pk_btf_archive__blob_cnt(a));
			pk_json__kv_uint(&j, "groups", st.group_cnt);
			pk_json__kv_uint(&j, "btf_bytes", st.blob_raw_size);
			pk_json__kv_uint(&j, "index_bytes", st.index_size);
			pk_json__kv_uint(&j, "data_bytes", st.data_size);
			pk_json__kv_uint(&j, "file_bytes", st.file_size);
			pk_json__kv_double(&j, "seconds", (pk_now_ms() - t0) / 1e3);
			pk_json__obj_end(&j);
			printf("%s\n", j.err ? "{}" : j.buf);
			pk_json__free(&j);
		} else {
			printf("packed %zu entries (%zu unique BTFs, %zu bytes) into '%s': %zu bytes "
			       "(index %zu, data %zu in %zu groups)\n",
			       pk_btf_archive__entry_cnt(a), pk_btf_archive__blob_cnt(a), st.blob_raw_size, out,
			       st.file_size, st.index_size, st.data_size, st.group_cnt);
		}
		pk_btf_archive__free(a);
	}
	ret = PK_EXIT_OK;
done:
	free(data);
	pk_btf_archive_writer__free(w);
	return ret;
}

static struct pk_btf_archive *open_archive(const char *path)
{
	struct pk_error e = { 0 };
	struct pk_btf_archive *a = pk_btf_archive__open_file(path, &e);

	if (!a) {
		if (strstr(e.msg, "cannot open") == e.msg)
			pk_err("%s", e.msg);
		else
			pk_err("bad archive '%s': %s", path, pk_error__str(&e));
	}
	return a;
}

int cmd_btf_ls(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "no-verify", no_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_btf_archive *a;
	struct pk_btf_archive_stats st;
	struct pk_btf_archive_entry e;
	struct pk_error perr = { 0 };
	bool json = false, verify = true;
	size_t i;
	int c, err = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
		switch (c) {
		case 'j': json = true; break;
		case 'n': verify = false; break;
		case 'h':
			printf("usage: probekit btf ls ARCHIVE [--json] [--no-verify]\n\n"
			       "List an archive's entries (os id, version id, arch, release, BTF size,\n"
			       "shared blob). Checks every checksum unless --no-verify.\n");
			return PK_EXIT_OK;
		case ':': return pk_usage_err("btf ls", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("btf ls", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return pk_usage_err("btf ls", "missing ARCHIVE");
	if (optind + 1 < argc)
		return pk_usage_err("btf ls", "unexpected argument '%s'", argv[optind + 1]);
	a = open_archive(argv[optind]);
	if (!a)
		return PK_EXIT_ERROR;
	if (verify && (err = pk_btf_archive__verify(a, &perr))) {
		pk_err("bad archive '%s': %s", argv[optind],
		       err == -ENOMEM ? strerror(ENOMEM) : pk_error__str(&perr));
		pk_btf_archive__free(a);
		return PK_EXIT_ERROR;
	}
	pk_btf_archive__stats(a, &st);
	if (json) {
		struct pk_json j;
		char h[17];

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "archive", argv[optind]);
		pk_json__kv_uint(&j, "file_bytes", st.file_size);
		pk_json__kv_uint(&j, "btf_bytes", st.blob_raw_size);
		pk_json__kv_uint(&j, "blobs", pk_btf_archive__blob_cnt(a));
		pk_json__kv_uint(&j, "groups", st.group_cnt);
		pk_json__kv_bool(&j, "verified", verify);
		pk_json__key(&j, "entries");
		pk_json__arr_begin(&j);
		for (i = 0; !pk_btf_archive__entry(a, i, &e); i++) {
			pk_json__obj_begin(&j);
			pk_json__kv_str(&j, "os_id", e.os_id);
			pk_json__kv_str(&j, "version_id", e.version_id);
			pk_json__kv_str(&j, "arch", e.arch);
			pk_json__kv_str(&j, "release", e.release);
			pk_json__kv_uint(&j, "size", e.size);
			pk_json__kv_uint(&j, "blob", e.blob);
			snprintf(h, sizeof(h), "%016llx", (unsigned long long)e.hash);
			pk_json__kv_str(&j, "fnv1a64", h);
			pk_json__obj_end(&j);
		}
		pk_json__arr_end(&j);
		pk_json__obj_end(&j);
		printf("%s\n", j.err ? "{}" : j.buf);
		pk_json__free(&j);
	} else {
		for (i = 0; !pk_btf_archive__entry(a, i, &e); i++)
			printf("%s/%s/%s/%s\t%zu\tblob %u\n", e.os_id, e.version_id, e.arch, e.release, e.size,
			       e.blob);
		printf("# %zu entries, %zu unique BTFs (%zu bytes), archive %zu bytes%s\n",
		       pk_btf_archive__entry_cnt(a), pk_btf_archive__blob_cnt(a), st.blob_raw_size,
		       st.file_size, verify ? ", checksums ok" : "");
	}
	pk_btf_archive__free(a);
	return PK_EXIT_OK;
}

int cmd_btf_get(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct pk_btf_archive *a = NULL;
	struct pk_error perr = { 0 };
	const char *out = NULL, *k[4];
	bool json = false;
	void *btf = NULL;
	size_t len, near[8];
	double t0, t_open, t_find;	/* ms */
	int c, err, n, ret = PK_EXIT_ERROR;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'j': json = true; break;
		case 'h':
			printf("usage: probekit btf get ARCHIVE OSID VERSIONID ARCH RELEASE -o OUT.btf [--json]\n\n"
			       "Write the BTF stored under exactly that key. When it is absent, exits 1 and\n"
			       "names the near misses (same os, version and arch; other release).\n");
			return PK_EXIT_OK;
		case ':': return pk_usage_err("btf get", "option '%s' needs a value", argv[optind - 1]);
		default: return pk_usage_err("btf get", "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (argc - optind != 5)
		return pk_usage_err("btf get", "want ARCHIVE OSID VERSIONID ARCH RELEASE");
	if (!out)
		return pk_usage_err("btf get", "missing -o OUT.btf");
	memcpy(k, argv + optind + 1, sizeof(k));
	t0 = pk_now_ms();
	a = open_archive(argv[optind]);
	if (!a)
		return PK_EXIT_ERROR;
	t_open = pk_now_ms();
	err = pk_btf_archive__find(a, k[0], k[1], k[2], k[3], &btf, &len, &perr);
	t_find = pk_now_ms();
	if (err == -ENOENT) {
		struct pk_btf_archive_entry e;
		char list[512] = "";
		size_t used = 0;
		int i;

		n = pk_btf_archive__near_misses(a, k[0], k[1], k[2], k[3], near, PK_ARRAY_SIZE(near));
		for (i = 0; i < n && i < (int)PK_ARRAY_SIZE(near); i++) {
			if (pk_btf_archive__entry(a, near[i], &e))
				continue;
			used += snprintf(list + used, used < sizeof(list) ? sizeof(list) - used : 0, "%s%s",
					 i ? ", " : "", e.release);
			if (used >= sizeof(list))
				break;
		}
		if (n > 0)
			pk_err("no BTF for %s/%s/%s/%s in '%s' (near misses, not used: %s%s)", k[0], k[1], k[2],
			       k[3], argv[optind], list, n > (int)PK_ARRAY_SIZE(near) ? ", ..." : "");
		else
			pk_err("no BTF for %s/%s/%s/%s in '%s'", k[0], k[1], k[2], k[3], argv[optind]);
		ret = PK_EXIT_FAIL;
		goto done;
	}
	if (err) {
		pk_err("cannot read %s/%s/%s/%s from '%s': %s", k[0], k[1], k[2], k[3], argv[optind],
		       err == -EBADMSG ? pk_error__str(&perr) : strerror(-err));
		goto done;
	}
	err = pk_file__write_atomic(out, btf, len);
	if (err) {
		pk_err("cannot write '%s': %s", out, strerror(-err));
		goto done;
	}
	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "output", out);
		pk_json__kv_uint(&j, "size", len);
		pk_json__kv_double(&j, "open_ms", t_open - t0);
		pk_json__kv_double(&j, "find_ms", t_find - t_open);
		pk_json__obj_end(&j);
		printf("%s\n", j.err ? "{}" : j.buf);
		pk_json__free(&j);
	} else {
		printf("%s/%s/%s/%s: %zu bytes -> %s (open %.3f ms, lookup %.3f ms)\n", k[0], k[1], k[2], k[3],
		       len, out, t_open - t0, t_find - t_open);
	}
	ret = PK_EXIT_OK;
done:
	free(btf);
	pk_btf_archive__free(a);
	return ret;
}
