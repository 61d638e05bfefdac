/* pk_build__kernel (build.h): download (SHA256 and size checked against the
 * catalog), unpack with libarchive, compile the legacy probe, extract the full BTF
 * from the image package, reduce it for the CO-RE object, write everything in the
 * repository layout, and the build record. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <bpf/btf.h>

#include "agent/chain.h"
#include "btf/btf_extract.h"
#include "btf/btf_min.h"
#include "build/btfhub.h"
#include "build/build.h"
#include "build/compile.h"
#include "build/kheaders.h"
#include "common/json.h"
#include "fetch/http.h"
#include "common/sha256.h"

#define PACKAGE_MAX_BYTES (2ull << 30)

const char *pk_artifact_kind__str(enum pk_artifact_kind k)
{
	switch (k) {
	case PK_ART_LEGACY: return "legacy-object";
	case PK_ART_REDUCED_BTF: return "reduced-btf";
	case PK_ART_FULL_BTF: return "full-btf";
	default: return "?";
	}
}

/* btfhub names arm64 "arm64"; falco's URLs name it "aarch64" */
static const char *btf_arch(const char *machine)
{
	return !strcmp(machine, "aarch64") ? "arm64" : machine;
}

int pk_artifact__path(enum pk_artifact_kind kind, const struct pk_kernel *k,
		      const char *pv, char *buf, size_t len)
{
	int n;

	/* names come from package indexes: a '/' or ".." must not steer a write */
	if (!pk_path__component_ok(pv) || !pk_path__component_ok(k->machine) || !pk_path__component_ok(k->target) ||
	    !pk_path__component_ok(k->kernelrelease) || !pk_path__component_ok(k->kernelversion) ||
	    !pk_path__component_ok(k->os_id) || !pk_path__component_ok(k->version_id) || !pk_path__component_ok(k->uname_r))
		return -EINVAL;

	switch (kind) {
	case PK_ART_LEGACY:
		n = snprintf(buf, len, "%s/%s/probekit_%s_%s_%s.o", pv, k->machine, k->target,
			     k->kernelrelease, k->kernelversion);
		break;
	case PK_ART_REDUCED_BTF:
		n = snprintf(buf, len, "%s/btf/%s/%s/%s/%s.btf", pv, k->os_id, k->version_id,
			     btf_arch(k->machine), k->uname_r);
		break;
	case PK_ART_FULL_BTF:
		n = snprintf(buf, len, "btf/%s/%s/%s/%s.btf.tar.xz", k->os_id, k->version_id,
			     btf_arch(k->machine), k->uname_r);
		break;
	default:
		return -EINVAL;
	}
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* one build's state */
struct job {
	const struct pk_kernel *k;
	const struct pk_build_opts *opts;
	struct pk_build_result *res;
	char pv[PK_PROBE_VERSION_LEN + 1];
	char work[2048];
	FILE *log;		/* the build log, in memory */
	char *log_buf;
	size_t log_len;
	char image_path[64];
	int fds[24];		/* checked packages, open: see get_package */
	size_t nr_fds;
	char *uname_r;		/* found in the inputs when the kernel came without one */
	struct pk_compile_info ci;
	double art_ms[PK_ART__MAX];
	char art_sha[PK_ART__MAX][65];
	uint64_t art_size[PK_ART__MAX];
	char stage[PK_ART__MAX][16];
	/* where the time goes, for the record and benchmarks (ms) */
	double t_download, t_unpack, t_extract, t_pack;
};

static void logf_(struct job *j, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void logf_(struct job *j, const char *fmt, ...)
{
	va_list ap;

	if (!j->log)
		return;
	va_start(ap, fmt);
	vfprintf(j->log, fmt, ap);
	va_end(ap);
	fputc('\n', j->log);
}

static void fail(struct job *j, enum pk_artifact_kind a, const char *stage, int code,
		 const struct pk_error *why)
{
	j->res->failed[a] = true;
	snprintf(j->stage[a], sizeof(j->stage[a]), "%s", stage);
	pk_error__set(&j->res->why[a], code, "%s", pk_error__str(why));
	if (!j->res->status)
		j->res->status = code;
	logf_(j, "FAILED %s at %s: %s", pk_artifact_kind__str(a), stage, pk_error__str(why));
}

int pk_build__package_path(const char *cache_dir, const struct pk_pkg *p, char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s/packages/%s-%s.pkg", cache_dir, p->sha256, p->name);

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* A package from the cache, or downloaded into it: the file is named by its
 * SHA256 and checked again whenever it is used, so a damaged cache entry is
 * fetched again, never used. */
static int get_package_timed(struct job *j, const struct pk_pkg *p, char *path, size_t len,
			     struct pk_error *err);

static int get_package(struct job *j, const struct pk_pkg *p, char *path, size_t len,
		       struct pk_error *err)
{
	double t0 = pk_now_ms();
	int r = get_package_timed(j, p, path, len, err);

	j->t_download += pk_now_ms() - t0;
	return r;
}

/*
 * The package, checked, as an open file: path gets "/proc/self/fd/N" for the
 * readers that take a path, so that what is unpacked is the very file whose
 * digest was checked, not whatever the name points to by then. The fd is the
 * job's to close.
 */
static int get_package_timed(struct job *j, const struct pk_pkg *p, char *path, size_t len,
			     struct pk_error *err)
{
	const char *cache = j->opts->cache_dir;
	char cpath[4096], got[65];
	uint64_t size;
	int r, fd, tries;

	if (!p->sha256[0])
		return pk_error__set(err, -EBADMSG, "the catalog gives no SHA256 for %s", p->name);
	if (j->nr_fds == PK_ARRAY_SIZE(j->fds))
		return pk_error__set(err, -E2BIG, "more than %zu packages for one kernel",
				     PK_ARRAY_SIZE(j->fds));
	if (pk_build__package_path(cache, p, cpath, sizeof(cpath)))
		return pk_error__set(err, -ENAMETOOLONG, "cache path too long");
	for (tries = 0; tries < 2; tries++) {
		fd = open(cpath, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (fd >= 0) {
			r = pk_sha256__fd(fd, PACKAGE_MAX_BYTES, got, &size);
			if (!r && size == p->size && !strcmp(got, p->sha256)) {
				logf_(j, "package %s %s: %s (SHA256 checked)", p->name, p->version,
				      tries ? "downloaded" : "cached");
				j->fds[j->nr_fds++] = fd;
				snprintf(path, len, "/proc/self/fd/%d", fd);
				return 0;
			}
			close(fd);
			if (tries)
				return pk_error__set(err, -EBADMSG,
						     "%s: the cached file changed after its download", cpath);
			logf_(j, "package %s: cached copy does not match its SHA256, fetching again", p->name);
			unlink(cpath);
		} else if (errno != ENOENT) {
			return pk_error__set(err, -errno, "cannot open '%s': %s", cpath, strerror(errno));
		} else if (tries) {
			return pk_error__set(err, -ENOENT, "'%s' vanished after its download", cpath);
		}
		if (!j->opts->http)
			return pk_error__set(err, -ENOENT, "%s is not cached and no HTTP client was given",
					     p->name);
		r = pk_file__mkdirs(cpath, false);
		if (r)
			return pk_error__set(err, r, "cannot create '%s': %s", cpath, strerror(-r));
		{
			PK_HTTP_DOWNLOAD_OPTS(dopts, .size = p->size, .sha256 = p->sha256, .label = p->name);
			double t0 = pk_now_ms();

			r = pk_http__download(j->opts->http, p->url, cpath, &dopts, err);
			if (r)
				return r;
			logf_(j, "package %s %s: downloaded %" PRIu64 " bytes in %.1f s from %s", p->name,
			      p->version, p->size, (pk_now_ms() - t0) / 1000, p->url);
		}
	}
	return pk_error__set(err, -EIO, "%s: cannot get a checked copy", p->name);
}

static int write_artifact(struct job *j, enum pk_artifact_kind a, const void *data, size_t len,
			  struct pk_error *err)
{
	char rel[4096], path[8192];
	int r = pk_artifact__path(a, j->k, j->pv, rel, sizeof(rel));

	if (r)
		return pk_error__set(err, r, r == -EINVAL ? "the kernel's names cannot make a path (empty, '/', '..' or unprintable)"
						       : "artifact path too long");
	snprintf(path, sizeof(path), "%s/%s", j->opts->out_dir, rel);
	r = pk_file__mkdirs(path, false);
	if (!r)
		r = pk_file__write_atomic(path, data, len);
	if (r)
		return pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
	pk_sha256__hex(data, len, j->art_sha[a]);
	j->art_size[a] = len;
	j->res->built[a] = true;
	logf_(j, "wrote %s (%zu bytes, sha256 %s)", rel, len, j->art_sha[a]);
	return 0;
}

static void build_btf(struct job *j)
{
	PK_BTF_EXTRACT_OPTS(xo);
	struct pk_btf_extract_info info;
	struct pk_error e = { 0 };
	void *full = NULL, *packed = NULL;
	size_t full_len, packed_len;
	struct btf *targ = NULL, *red = NULL;
	struct pk_btf_min *m = NULL;
	char member[300];
	double t0 = pk_now_ms();
	int r;

	r = get_package(j, &j->k->image, j->image_path, sizeof(j->image_path), &e);
	if (r) {
		fail(j, PK_ART_FULL_BTF, "download", r, &e);
		fail(j, PK_ART_REDUCED_BTF, "download", r, &e);
		return;
	}
	t0 = pk_now_ms();
	r = pk_btf_extract__file(j->image_path, &full, &full_len, &xo, &info, &e);
	j->t_extract = pk_now_ms() - t0;
	if (r) {
		fail(j, PK_ART_FULL_BTF, "extract", r, &e);
		fail(j, PK_ART_REDUCED_BTF, "extract", r, &e);
		return;
	}
	logf_(j, "btf: %zu bytes from %s (%s)", full_len, info.member, pk_btf_input__str(info.kind));
	if (!j->k->uname_r || !j->k->uname_r[0]) {
		/* local packages: the kernel says who it is in its banner */
		if (!info.release[0] || !(j->uname_r = strdup(info.release))) {
			pk_error__set(&e, -ENOENT, "the image names no kernel release (give --uname-r)");
			fail(j, PK_ART_FULL_BTF, "extract", -ENOENT, &e);
			fail(j, PK_ART_REDUCED_BTF, "extract", -ENOENT, &e);
			free(full);
			return;
		}
		((struct pk_kernel *)j->k)->uname_r = j->uname_r;
	}
	snprintf(member, sizeof(member), "%s.btf", j->k->uname_r);
	t0 = pk_now_ms();
	r = pk_btfhub__pack(full, full_len, member, &packed, &packed_len, &e);
	j->t_pack = pk_now_ms() - t0;
	if (!r)
		r = write_artifact(j, PK_ART_FULL_BTF, packed, packed_len, &e);
	if (r)
		fail(j, PK_ART_FULL_BTF, "pack", r, &e);
	j->art_ms[PK_ART_FULL_BTF] = j->t_extract + j->t_pack;
	free(packed);

	t0 = pk_now_ms();
	targ = btf__new(full, full_len);
	if (!targ) {
		r = -errno;
		pk_error__set(&e, r, "libbpf cannot read the kernel's BTF: %s", strerror(errno));
		fail(j, PK_ART_REDUCED_BTF, "reduce", r, &e);
		goto out;
	}
	m = pk_btf_min__new(targ);
	if (!m) {
		pk_error__set(&e, -ENOMEM, "out of memory");
		fail(j, PK_ART_REDUCED_BTF, "reduce", -ENOMEM, &e);
		goto out;
	}
	{
		const void *obj;
		size_t obj_len;

		pk_embedded__core_obj(&obj, &obj_len);
		r = pk_btf_min__add_object(m, "probe.core.bpf.o", obj, obj_len, &e);
	}
	if (!r) {
		red = pk_btf_min__build(m, &e);
		if (!red)
			r = -errno ?: -EINVAL;
	}
	if (!r) {
		unsigned int sz;
		const void *raw = btf__raw_data(red, &sz);

		r = raw ? write_artifact(j, PK_ART_REDUCED_BTF, raw, sz, &e) : -ENOMEM;
	}
	if (r)
		fail(j, PK_ART_REDUCED_BTF, "reduce", r, &e);
	j->art_ms[PK_ART_REDUCED_BTF] = pk_now_ms() - t0;
out:
	btf__free(red);
	pk_btf_min__free(m);
	btf__free(targ);
	free(full);
}

static void build_legacy(struct job *j)
{
	struct pk_error e = { 0 };
	struct pk_kheaders *kh = NULL;
	char unpack[4096], srcdir[2200], obj[4096], logp[4096], src[4096];
	const char *pkgs[17];
	char hdr_paths[16][64];
	double t0 = pk_now_ms();
	int r;

	if (PK_OPTS_GET(j->opts, headers_dir, NULL)) {
		{
		PK_KHEADERS_OPTS(ko, .release = j->k->uname_r && j->k->uname_r[0] ? j->k->uname_r : NULL);

		r = pk_kheaders__open(j->opts->headers_dir, &ko, &kh, &e);
	}
		if (r) {
			fail(j, PK_ART_LEGACY, "headers", r, &e);
			return;
		}
		goto compile;
	}
	if (!j->k->nr_headers || j->k->headers_missing) {
		pk_error__set(&e, -ENOENT, "no headers package: %s",
			      j->k->headers_missing ?: "the catalog lists none");
		fail(j, PK_ART_LEGACY, "headers", -ENOENT, &e);
		return;
	}
	if (j->k->nr_headers > PK_ARRAY_SIZE(pkgs) - 1) {
		pk_error__set(&e, -E2BIG, "%zu headers packages: at most %zu", j->k->nr_headers,
			      PK_ARRAY_SIZE(pkgs) - 1);
		fail(j, PK_ART_LEGACY, "headers", -E2BIG, &e);
		return;
	}
	for (size_t i = 0; i < j->k->nr_headers; i++) {
		r = get_package(j, &j->k->headers[i], hdr_paths[i], sizeof(hdr_paths[i]), &e);
		if (r) {
			fail(j, PK_ART_LEGACY, "download", r, &e);
			return;
		}
		pkgs[i] = hdr_paths[i];
	}
	pkgs[j->k->nr_headers] = NULL;
	snprintf(unpack, sizeof(unpack), "%s/headers", j->work);
	{
		PK_KHEADERS_OPTS(ko, .release = j->k->uname_r && j->k->uname_r[0] ? j->k->uname_r : NULL);
		double tu = pk_now_ms();

		r = pk_kheaders__unpack(pkgs, unpack, &ko, &kh, &e);
		j->t_unpack = pk_now_ms() - tu;
	}
	if (r) {
		fail(j, PK_ART_LEGACY, "unpack", r, &e);
		return;
	}
compile:
	if (!j->k->uname_r || !j->k->uname_r[0]) {
		free(j->uname_r);
		j->uname_r = strdup(pk_kheaders__release(kh));
		if (!j->uname_r) {
			pk_error__set(&e, -ENOMEM, "out of memory");
			fail(j, PK_ART_LEGACY, "headers", -ENOMEM, &e);
			goto out;
		}
		((struct pk_kernel *)j->k)->uname_r = j->uname_r;
	}
	snprintf(srcdir, sizeof(srcdir), "%s/src", j->work);
	snprintf(obj, sizeof(obj), "%s/probe.legacy.o", j->work);
	snprintf(logp, sizeof(logp), "%s/compile.log", j->work);
	snprintf(src, sizeof(src), "%s/probe.bpf.c", srcdir);
	logf_(j, "headers: %s (release %s, version code %u)", pk_kheaders__objtree(kh),
	      pk_kheaders__release(kh), pk_kheaders__version_code(kh));
	r = pk_file__mkdirs(srcdir, true);
	if (r) {
		pk_error__set(&e, r, "cannot create '%s': %s", srcdir, strerror(-r));
		fail(j, PK_ART_LEGACY, "source", r, &e);
		goto out;
	}
	r = pk_probe_source__write(srcdir, &e);
	if (r) {
		fail(j, PK_ART_LEGACY, "source", r, &e);
		goto out;
	}
	{
		PK_COMPILE_OPTS(co, .source = src, .headers = kh, .output = obj, .log = logp,
				.clang = PK_OPTS_GET(j->opts, clang, NULL),
				.llc = PK_OPTS_GET(j->opts, llc, NULL));

		r = pk_build__compile_legacy(&co, &j->ci, &e);
	}
	{
		char *clog = NULL;
		size_t clen;

		if (!pk_file__read(logp, &clog, &clen, 16 << 20)) {
			logf_(j, "--- compile log ---\n%s--- end of compile log ---", clog);
			free(clog);
		}
	}
	if (r) {
		fail(j, PK_ART_LEGACY, "compile", r, &e);
		goto out;
	}
	{
		char *data;
		size_t len;

		r = pk_file__read(obj, &data, &len, 64 << 20);
		if (r) {
			pk_error__set(&e, r, "cannot read '%s': %s", obj, strerror(-r));
			fail(j, PK_ART_LEGACY, "write", r, &e);
			goto out;
		}
		r = write_artifact(j, PK_ART_LEGACY, data, len, &e);
		free(data);
		if (r)
			fail(j, PK_ART_LEGACY, "write", r, &e);
	}
out:
	j->art_ms[PK_ART_LEGACY] = pk_now_ms() - t0;
	pk_kheaders__free(kh);
}

static void write_pkg(struct pk_json *js, const struct pk_pkg *p, const char *role)
{
	pk_json__obj_begin(js);
	pk_json__kv_str(js, "role", role);
	pk_json__kv_str(js, "name", p->name);
	pk_json__kv_str(js, "version", p->version);
	pk_json__kv_str(js, "url", p->url);
	pk_json__kv_uint(js, "size", p->size);
	pk_json__kv_str(js, "sha256", p->sha256);
	pk_json__obj_end(js);
}

static int write_record(struct job *j)
{
	const struct pk_kernel *k = j->k;
	const struct pk_build_opts *o = j->opts;
	char rel[4096], path[8192], logrel[4096], log_sha[65] = "";
	struct pk_json js;
	int r;

	if (!pk_path__component_ok(k->target) || !pk_path__component_ok(k->kernelrelease))
		return -EINVAL;	/* the record's name would leave _build/ */
	snprintf(rel, sizeof(rel), "_build/%s/%s_%s.json", j->pv, k->target, k->kernelrelease);
	snprintf(logrel, sizeof(logrel), "_build/%s/%s_%s.log", j->pv, k->target, k->kernelrelease);
	snprintf(j->res->record, sizeof(j->res->record), "%s", rel);
	if (j->log) {
		fclose(j->log);
		j->log = NULL;
	}
	snprintf(path, sizeof(path), "%s/%s", o->out_dir, logrel);
	r = pk_file__mkdirs(path, false);
	if (!r)
		r = pk_file__write_atomic(path, j->log_buf ?: "", j->log_len);
	if (r)
		return r;
	pk_sha256__hex(j->log_buf ?: "", j->log_len, log_sha);

	pk_json__init(&js, true);
	pk_json__obj_begin(&js);
	pk_json__kv_str(&js, "schema", "probekit-build/1");
	{
		char key[1024];

		snprintf(key, sizeof(key), "%s:%s", k->target, k->kernelrelease);
		pk_json__kv_str(&js, "key", key);
	}
	pk_json__kv_str(&js, "probe_version", j->pv);
	pk_json__kv_str(&js, "distro", k->distro);
	pk_json__kv_str(&js, "suite", k->suite);
	pk_json__kv_str(&js, "target", k->target);
	pk_json__kv_str(&js, "kernelrelease", k->kernelrelease);
	pk_json__kv_str(&js, "kernelversion", k->kernelversion);
	pk_json__kv_str(&js, "os_id", k->os_id);
	pk_json__kv_str(&js, "version_id", k->version_id);
	pk_json__kv_str(&js, "machine", k->machine);
	pk_json__kv_str(&js, "uname_r", k->uname_r);
	pk_json__kv_str(&js, "status", j->res->status ? "failed" : "ok");
	pk_json__kv_str(&js, "compiler", j->ci.clang_version[0] ? j->ci.clang_version : NULL);
	pk_json__kv_str(&js, "llc", j->ci.llc_version[0] ? j->ci.llc_version : NULL);
	pk_json__key(&js, "inputs");
	pk_json__arr_begin(&js);
	if (!PK_OPTS_GET(o, no_btf, false) && k->image.name)
		write_pkg(&js, &k->image, "image");
	if (!PK_OPTS_GET(o, no_legacy, false))
		for (size_t i = 0; i < k->nr_headers; i++)
			write_pkg(&js, &k->headers[i], "headers");
	pk_json__arr_end(&js);
	pk_json__key(&js, "artifacts");
	pk_json__arr_begin(&js);
	for (int a = 0; a < PK_ART__MAX; a++) {
		char ap[4096];

		if (!j->res->built[a] && !j->res->failed[a])
			continue;
		pk_artifact__path(a, k, j->pv, ap, sizeof(ap));
		pk_json__obj_begin(&js);
		pk_json__kv_str(&js, "kind", pk_artifact_kind__str(a));
		pk_json__kv_str(&js, "path", ap);
		pk_json__kv_str(&js, "status", j->res->built[a] ? "ok" : "failed");
		if (j->res->built[a]) {
			pk_json__kv_uint(&js, "size", j->art_size[a]);
			pk_json__kv_str(&js, "sha256", j->art_sha[a]);
		} else {
			pk_json__kv_str(&js, "stage", j->stage[a]);
			pk_json__kv_str(&js, "reason", pk_error__str(&j->res->why[a]));
		}
		pk_json__kv_double(&js, "seconds", j->art_ms[a] / 1000.0);
		pk_json__obj_end(&js);
	}
	pk_json__arr_end(&js);
	pk_json__key(&js, "timing");
	pk_json__obj_begin(&js);
	pk_json__kv_double(&js, "download", j->t_download / 1000.0);
	pk_json__kv_double(&js, "unpack", j->t_unpack / 1000.0);
	pk_json__kv_double(&js, "clang", j->ci.clang_ms / 1000.0);
	pk_json__kv_double(&js, "llc", j->ci.llc_ms / 1000.0);
	pk_json__kv_double(&js, "btf_extract", j->t_extract / 1000.0);
	pk_json__kv_double(&js, "btf_pack", j->t_pack / 1000.0);
	pk_json__kv_double(&js, "reduce", j->art_ms[PK_ART_REDUCED_BTF] / 1000.0);
	pk_json__obj_end(&js);
	pk_json__kv_str(&js, "log", logrel);
	pk_json__kv_str(&js, "log_sha256", log_sha);
	if (j->res->status) {
		/* the last lines of the log: what a person reads first */
		const char *t = j->log_buf ?: "";
		size_t n = j->log_len, lines = 0;

		while (n > 0 && lines < 25)
			if (t[--n] == '\n')
				lines++;
		pk_json__kv_str(&js, "log_tail", t + n + (n > 0));
	}
	pk_json__kv_double(&js, "seconds", j->res->seconds);
	pk_json__obj_end(&js);
	if (js.err) {
		pk_json__free(&js);
		return -ENOMEM;
	}
	snprintf(path, sizeof(path), "%s/%s", o->out_dir, rel);
	r = pk_file__write_atomic(path, js.buf, js.len);
	pk_json__free(&js);
	return r;
}

int pk_build__kernel(const struct pk_kernel *k, const struct pk_build_opts *opts,
		     struct pk_build_result *res)
{
	/* a copy whose uname_r may be filled from the inputs (local packages) */
	struct pk_kernel kc;
	struct job j = { .k = &kc, .opts = opts, .res = res };
	const char *tmp = getenv("TMPDIR");
	double t0 = pk_now_ms();
	struct pk_error e = { 0 };
	int r;

	if (res)
		memset(res, 0, sizeof(*res));
	if (!k || !res || !PK_OPTS_VALID(opts, struct pk_build_opts) || !opts ||
	    !PK_OPTS_GET(opts, out_dir, NULL) || !PK_OPTS_GET(opts, cache_dir, NULL)) {
		if (res)
			res->status = pk_error__set(&res->why[0], -EINVAL,
						    "bad build options (out_dir and cache_dir are required)");
		return -EINVAL;
	}
	kc = *k;
	r = pk_probe_source__version(j.pv);
	if (r) {
		pk_error__set(&e, r, "cannot compute the probe version (libsodium failed to start)");
		goto setup_failed;
	}
	snprintf(j.work, sizeof(j.work), "%s/probekit-build.XXXXXX",
		 PK_OPTS_GET(opts, work_dir, NULL) ?: (tmp && *tmp ? tmp : "/tmp"));
	if (!mkdtemp(j.work)) {
		r = pk_error__set(&e, -errno, "cannot create a work directory '%s': %s", j.work,
				  strerror(errno));
		goto setup_failed;
	}
	j.log = open_memstream(&j.log_buf, &j.log_len);
	logf_(&j, "probekit build %s:%s (uname -r %s), probe version %s", k->target,
	      k->kernelrelease, k->uname_r, j.pv);
	if (!PK_OPTS_GET(opts, no_btf, false))
		build_btf(&j);
	if (!PK_OPTS_GET(opts, no_legacy, false))
		build_legacy(&j);
	res->seconds = (pk_now_ms() - t0) / 1000.0;
	logf_(&j, "done in %.1f s: %s", res->seconds, res->status ? "FAILED" : "ok");
	r = write_record(&j);
	if (r && !res->status)
		res->status = r;
	if (j.log)
		fclose(j.log);
	free(j.log_buf);
	for (size_t i = 0; i < j.nr_fds; i++)
		close(j.fds[i]);
	free(j.uname_r);
	if (!PK_OPTS_GET(opts, keep_work, false))
		pk_file__rm_tree(j.work);
	return res->status;

setup_failed:
	/* nothing was built: every asked artifact fails with the reason, no record */
	for (int a = 0; a < PK_ART__MAX; a++) {
		bool asked = a == PK_ART_LEGACY ? !PK_OPTS_GET(opts, no_legacy, false)
						: !PK_OPTS_GET(opts, no_btf, false);

		if (asked) {
			res->failed[a] = true;
			pk_error__set(&res->why[a], r, "%s", pk_error__str(&e));
		}
	}
	res->status = r;
	return r;
}
