/* `repo mirror` (mirror.h): which artifacts a fleet's kernels need, read from a
 * --kernels list or a catalog (outside input: bounded, strict), and the copy into a
 * mirror directory that keeps the source's signed index byte for byte. */
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <inttypes.h>
#include <json-c/json.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/sha256.h"
#include "fetch/http.h"
#include "repo/html.h"
#include "repo/mirror.h"
#include "repo/repo.h"

#define CATALOG_SCHEMA "probekit-kernels/1"
#define CATALOG_DEPTH 16
#define FIELD_MAX 256		/* a catalog name: uname -r is at most 64 bytes */
#define STAGE_SUFFIX ".tmp.mirror"	/* a temp name (".tmp." + 6): removed if a run dies */

/* ---- the selection ---- */

enum sel_type { SEL_UNAME, SEL_FALCO, SEL_CATALOG };

struct sel {
	enum sel_type type;
	/* UNAME: uname_r (glob). FALCO: target, kernelrelease, kernelversion (globs).
	 * CATALOG: all exact, each may be NULL */
	char *uname_r, *target, *kernelrelease, *kernelversion, *os_id, *version_id, *machine;
	char *desc;
};

struct pk_mirror_sel {
	struct sel *v;
	size_t nr, cap;
};

struct pk_mirror_sel *pk_mirror_sel__new(void)
{
	return calloc(1, sizeof(struct pk_mirror_sel));
}

static void sel_clear(struct sel *x)
{
	free(x->uname_r);
	free(x->target);
	free(x->kernelrelease);
	free(x->kernelversion);
	free(x->os_id);
	free(x->version_id);
	free(x->machine);
	free(x->desc);
	memset(x, 0, sizeof(*x));
}

static void sel_truncate(struct pk_mirror_sel *s, size_t nr)
{
	while (s->nr > nr)
		sel_clear(&s->v[--s->nr]);
}

void pk_mirror_sel__free(struct pk_mirror_sel *s)
{
	if (!s)
		return;
	sel_truncate(s, 0);
	free(s->v);
	free(s);
}

size_t pk_mirror_sel__count(const struct pk_mirror_sel *s)
{
	return s ? s->nr : 0;
}

const char *pk_mirror_sel__describe(const struct pk_mirror_sel *s, size_t i)
{
	return s && i < s->nr ? s->v[i].desc : NULL;
}

/* takes x's strings; x zeroed */
static int sel_push(struct pk_mirror_sel *s, struct sel *x)
{
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct sel *v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			sel_clear(x);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->nr++] = *x;
	memset(x, 0, sizeof(*x));
	return 0;
}

static int line_err(struct pk_error *err, const char *name, size_t line, const char *why)
{
	return pk_error__set(err, -EBADMSG, "%s:%zu: %s", name, line, why);
}

/* one --kernels line (without its '\n'): a selector, or nothing */
static int parse_line(struct pk_mirror_sel *s, const char *p, size_t n, const char *name,
		      size_t lineno, struct pk_error *err)
{
	char buf[PK_MIRROR_LINE_MAX + 1], *f[3] = { 0 };
	const char *hash = memchr(p, '#', n);
	size_t slashes = 0, colons = 0, nf = 0;
	struct sel x = { 0 };
	int r;

	if (hash)
		n = (size_t)(hash - p);
	while (n && (*p == ' ' || *p == '\t' || *p == '\r'))
		p++, n--;
	while (n && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		n--;
	if (!n)
		return 0;
	if (n > PK_MIRROR_LINE_MAX)
		return line_err(err, name, lineno, "longer than 1024 bytes");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c == ' ' || c == '\t')
			return line_err(err, name, lineno, "a blank inside a selector: one kernel a line");
		if (c < 0x21 || c > 0x7e) {
			snprintf(buf, sizeof(buf), "byte 0x%02x at column %zu: printable ASCII only", c, i + 1);
			return line_err(err, name, lineno, buf);
		}
		slashes += c == '/';
		colons += c == ':';
	}
	memcpy(buf, p, n);
	buf[n] = 0;
	if (slashes) {
		if (slashes != 2 || colons)
			return line_err(err, name, lineno,
					"a falco key is TARGET/KERNELRELEASE/KERNELVERSION (two '/', no ':')");
		f[0] = buf;
		f[1] = strchr(buf, '/');
		*f[1]++ = 0;
		f[2] = strchr(f[1], '/');
		*f[2]++ = 0;
		nf = 3;
	} else if (colons) {
		if (colons != 1)
			return line_err(err, name, lineno,
					"a falco key is TARGET:KERNELRELEASE (one ':'; POSIX classes such as "
					"[[:digit:]] cannot be used, write [0-9])");
		f[0] = buf;
		f[1] = strchr(buf, ':');
		*f[1]++ = 0;
		nf = 2;
	}
	for (size_t i = 0; i < nf; i++)
		if (!*f[i])
			return line_err(err, name, lineno, "an empty field in a falco key");
	if (nf) {
		x.type = SEL_FALCO;
		x.target = strdup(f[0]);
		x.kernelrelease = strdup(f[1]);
		x.kernelversion = strdup(nf == 3 ? f[2] : "*");
		if (asprintf(&x.desc, "falco key %s/%s/%s (%s:%zu)", f[0], f[1], nf == 3 ? f[2] : "*",
			     name, lineno) < 0)
			x.desc = NULL;
	} else {
		x.type = SEL_UNAME;
		x.uname_r = strdup(buf);
		if (asprintf(&x.desc, "uname -r %s (%s:%zu)", buf, name, lineno) < 0)
			x.desc = NULL;
	}
	if (!x.desc || (nf ? !x.target || !x.kernelrelease || !x.kernelversion : !x.uname_r)) {
		sel_clear(&x);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	r = sel_push(s, &x);
	return r ? pk_error__set(err, r, "out of memory") : 0;
}

int pk_mirror_sel__add_kernels(struct pk_mirror_sel *s, const void *data, size_t len,
			       const char *name, struct pk_error *err)
{
	const char *p = data, *end = p + len;
	size_t start = s ? s->nr : 0, lineno = 0;
	int r;

	if (!s || (!data && len))
		return pk_error__set(err, -EINVAL, "no selection to add to");
	name = name ?: "kernels";
	if (len > PK_MIRROR_KERNELS_MAX_LEN)
		return pk_error__set(err, -EFBIG, "%s: %zu bytes, more than the %u allowed", name, len,
				     PK_MIRROR_KERNELS_MAX_LEN);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		r = parse_line(s, p, n, name, ++lineno, err);
		if (r) {
			sel_truncate(s, start);
			return r;
		}
		p += n + (nl != NULL);
	}
	return 0;
}

/* the catalog: bounded, NUL-free and wholly one object before anything is read */
static int tokenize(const void *data, size_t len, const char *name, struct json_object **out,
		    struct pk_error *err)
{
	int r = pk_index__json_object(data, len, PK_MIRROR_CATALOG_MAX_LEN, CATALOG_DEPTH, name, out, err);

	if (r == -EBADMSG && strstr(err->msg, "not a JSON object"))
		pk_error__set(err, r, "%s: not the output of probekit kernels --json", pk_error__str(err));
	return r;
}

/* a name field of a catalog kernel: absent or null -> NULL; else one path
 * component (the catalog's own rule, pk_catalog__add_kernel), copied */
static int cat_field(struct json_object *k, const char *name, size_t i, const char *key,
		     char **out, struct pk_error *err)
{
	struct json_object *v;
	const char *str;
	int n;

	*out = NULL;
	if (!json_object_object_get_ex(k, key, &v) || !v)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pk_error__set(err, -EBADMSG, "%s: kernels[%zu].%s: not a string", name, i, key);
	str = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if (n > FIELD_MAX || (size_t)n != strlen(str) || !pk_path__component_ok(str))
		return pk_error__set(err, -EBADMSG, "%s: kernels[%zu].%s: not a kernel name (printable "
				     "ASCII without blanks or '/', at most %d bytes)", name, i, key, FIELD_MAX);
	*out = strdup(str);
	return *out ? 0 : pk_error__set(err, -ENOMEM, "out of memory");
}

int pk_mirror_sel__add_catalog(struct pk_mirror_sel *s, const void *data, size_t len,
			       const char *name, struct pk_error *err)
{
	struct json_object *root = NULL, *v, *kernels;
	size_t start = s ? s->nr : 0, n;
	int r;

	if (!s || (!data && len))
		return pk_error__set(err, -EINVAL, "no selection to add to");
	name = name ?: "catalog";
	r = tokenize(data ?: "", len, name, &root, err);
	if (r)
		return r;
	if (!json_object_object_get_ex(root, "schema", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), CATALOG_SCHEMA)) {
		r = pk_error__set(err, -EBADMSG, "%s: schema: not \"%s\" (the output of probekit kernels "
				  "--json)", name, CATALOG_SCHEMA);
		goto out;
	}
	if (!json_object_object_get_ex(root, "kernels", &kernels) ||
	    !json_object_is_type(kernels, json_type_array)) {
		r = pk_error__set(err, -EBADMSG, "%s: kernels: %s", name,
				  json_object_object_get_ex(root, "kernels", NULL) ? "not an array" : "missing");
		goto out;
	}
	n = json_object_array_length(kernels);
	for (size_t i = 0; i < n; i++) {
		struct json_object *k = json_object_array_get_idx(kernels, i);
		struct sel x = { .type = SEL_CATALOG };
		bool key, btf;

		if (!k || !json_object_is_type(k, json_type_object)) {
			r = pk_error__set(err, -EBADMSG, "%s: kernels[%zu]: not an object", name, i);
			goto out;
		}
		if ((r = cat_field(k, name, i, "target", &x.target, err)) ||
		    (r = cat_field(k, name, i, "kernelrelease", &x.kernelrelease, err)) ||
		    (r = cat_field(k, name, i, "kernelversion", &x.kernelversion, err)) ||
		    (r = cat_field(k, name, i, "os_id", &x.os_id, err)) ||
		    (r = cat_field(k, name, i, "version_id", &x.version_id, err)) ||
		    (r = cat_field(k, name, i, "machine", &x.machine, err)) ||
		    (r = cat_field(k, name, i, "uname_r", &x.uname_r, err))) {
			sel_clear(&x);
			goto out;
		}
		key = x.target && x.kernelrelease && x.kernelversion;
		btf = x.os_id && x.version_id && x.machine && x.uname_r;
		if (!key && !btf) {
			sel_clear(&x);
			r = pk_error__set(err, -EBADMSG, "%s: kernels[%zu]: neither target, kernelrelease and "
					  "kernelversion nor os_id, version_id, machine and uname_r", name, i);
			goto out;
		}
		if (asprintf(&x.desc, "kernel %s:%s (uname -r %s) (%s: kernels[%zu])",
			     x.target ?: "-", x.kernelrelease ?: "-", x.uname_r ?: "-", name, i) < 0) {
			x.desc = NULL;
			sel_clear(&x);
			r = pk_error__set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = sel_push(s, &x);
		if (r) {
			pk_error__set(err, r, "out of memory");
			goto out;
		}
	}
out:
	if (r)
		sel_truncate(s, start);
	json_object_put(root);
	return r;
}

static int load(struct pk_mirror_sel *s, const char *path, bool catalog, struct pk_error *err)
{
	char *data = NULL;
	size_t len = 0;
	int r;

	if (!s || !path)
		return pk_error__set(err, -EINVAL, "no selection or file");
	r = pk_file__read(path, &data, &len, catalog ? PK_MIRROR_CATALOG_MAX_LEN : PK_MIRROR_KERNELS_MAX_LEN);
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path,
				     r == -EFBIG ? "too large" : strerror(-r));
	r = catalog ? pk_mirror_sel__add_catalog(s, data, len, path, err)
		    : pk_mirror_sel__add_kernels(s, data, len, path, err);
	free(data);
	return r;
}

int pk_mirror_sel__load_kernels(struct pk_mirror_sel *s, const char *path, struct pk_error *err)
{
	return load(s, path, false, err);
}

int pk_mirror_sel__load_catalog(struct pk_mirror_sel *s, const char *path, struct pk_error *err)
{
	return load(s, path, true, err);
}

static bool glob_ok(const char *pat, const char *s)
{
	return s && !fnmatch(pat, s, 0);
}

static bool eq(const char *a, const char *b)
{
	return a && b && !strcmp(a, b);
}

/* the index's arch is the machine (x86_64, aarch64); btfhub and Debian say arm64, amd64 */
static const char *machine_of(const char *arch)
{
	if (!arch)
		return NULL;
	if (!strcmp(arch, "arm64"))
		return "aarch64";
	if (!strcmp(arch, "amd64"))
		return "x86_64";
	return arch;
}

static bool is_kind(const struct pk_index_artifact *a, const char *kind)
{
	return a->kind && !strcmp(a->kind, kind);
}

bool pk_mirror_sel__match(const struct pk_mirror_sel *s, size_t i, const struct pk_index_artifact *a)
{
	const struct sel *x;

	if (!s || i >= s->nr || !a)
		return false;
	x = &s->v[i];
	switch (x->type) {
	case SEL_UNAME:
		return glob_ok(x->uname_r, a->uname_r);
	case SEL_FALCO:
		return is_kind(a, "legacy-object") && glob_ok(x->target, a->target) &&
		       glob_ok(x->kernelrelease, a->kernelrelease) && glob_ok(x->kernelversion, a->kernelversion);
	case SEL_CATALOG:
		if (x->target && x->kernelrelease && x->kernelversion && eq(x->target, a->target) &&
		    eq(x->kernelrelease, a->kernelrelease) && eq(x->kernelversion, a->kernelversion))
			return true;
		return x->os_id && eq(x->os_id, a->os_id) && eq(x->version_id, a->version_id) &&
		       eq(machine_of(x->machine), machine_of(a->arch)) && eq(x->uname_r, a->uname_r);
	}
	return false;
}

/* ---- which artifacts ---- */

/* a set of strings: sorted once, looked up by bsearch */
struct strset {
	char **v;
	size_t nr, cap;
};

static int strset_add(struct strset *s, char *owned)
{
	if (!owned)
		return -ENOMEM;
	if (s->nr == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v) {
			free(owned);
			return -ENOMEM;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->nr++] = owned;
	return 0;
}

static int cmp_strp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void strset_sort(struct strset *s)
{
	if (s->nr)
		qsort(s->v, s->nr, sizeof(*s->v), cmp_strp);
}

static bool strset_has(const struct strset *s, const char *k)
{
	return k && s->nr && bsearch(&k, s->v, s->nr, sizeof(*s->v), cmp_strp);
}

static void strset_free(struct strset *s)
{
	for (size_t i = 0; i < s->nr; i++)
		free(s->v[i]);
	free(s->v);
	memset(s, 0, sizeof(*s));
}

/* "\x1f"-joined keys; NULL when a field is missing (or out of memory: the caller
 * tells the two apart by errno) */
static char *btf_key(const struct pk_index_artifact *a)
{
	char *k;

	errno = 0;
	if (!a->os_id || !a->version_id || !a->arch || !a->uname_r)
		return NULL;
	if (asprintf(&k, "%s\x1f%s\x1f%s\x1f%s", a->os_id, a->version_id, machine_of(a->arch), a->uname_r) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return k;
}

static char *falco_key(const struct pk_index_artifact *a)
{
	char *k;

	errno = 0;
	if (!a->target || !a->kernelrelease)
		return NULL;
	if (asprintf(&k, "%s\x1f%s", a->target, a->kernelrelease) < 0) {
		errno = ENOMEM;
		return NULL;
	}
	return k;
}

static void event(const struct pk_repo_mirror_opts *o, enum pk_repo_mirror_event ev, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void event(const struct pk_repo_mirror_opts *o, enum pk_repo_mirror_event ev, const char *fmt, ...)
{
	pk_repo_mirror_fn fn = PK_OPTS_GET(o, event, NULL);
	char msg[PK_ERROR_MSG_LEN];
	va_list ap;

	if (!fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fn(ev, msg, PK_OPTS_GET(o, ctx, NULL));
}

static bool is_btf(const struct pk_index_artifact *a)
{
	return is_kind(a, "reduced-btf") || is_kind(a, "full-btf");
}

static bool is_core(const struct pk_index_artifact *a)
{
	return is_kind(a, "core-object") || is_kind(a, "btf-object");
}

/* the kind and the probe version are wanted */
static bool wanted(const struct pk_index_artifact *a, const struct pk_repo_mirror_opts *o)
{
	const char *const *pv = PK_OPTS_GET(o, probe_versions, NULL);
	size_t n = PK_OPTS_GET(o, nr_probe_versions, 0);

	if (is_kind(a, "full-btf"))
		return PK_OPTS_GET(o, full_btf, false);	/* no probe version: the kernel's */
	if (!is_kind(a, "legacy-object") && !is_kind(a, "reduced-btf") && !is_core(a))
		return false;
	if (!pv || !n)
		return true;
	for (size_t i = 0; i < n; i++)
		if (eq(pv[i], a->probe_version))
			return true;
	return false;
}

/* the set holds "<key>\x1f<selector number>" for catalog entries: mark every entry
 * whose key is k (given with its trailing \x1f), a range from k's lower bound */
static bool catalog_hits(const struct strset *set, const char *k, size_t nsel, bool *hit)
{
	size_t kl = strlen(k), first = 0, last = set->nr;
	bool any = false;

	while (first < last) {
		size_t mid = first + (last - first) / 2;

		if (strcmp(set->v[mid], k) < 0)
			first = mid + 1;
		else
			last = mid;
	}
	for (; first < set->nr && !strncmp(set->v[first], k, kl); first++) {
		const char *num = set->v[first] + kl;
		size_t j;

		if (strchr(num, '\x1f'))
			continue;	/* a key with more fields, not this one */
		j = strtoul(num, NULL, 10);
		if (j < nsel)
			any = hit[j] = true;
	}
	return any;
}

int pk_repo__mirror_select(const struct pk_index *ix, const struct pk_repo_mirror_opts *o,
			   bool *selected, bool *unmatched, struct pk_error *err)
{
	const struct pk_mirror_sel *s = PK_OPTS_GET(o, sel, NULL);
	struct pk_repo_mirror_result *res = PK_OPTS_GET(o, result, NULL);
	const char *const *pv = PK_OPTS_GET(o, probe_versions, NULL);
	struct strset cat_key = { 0 }, cat_btf = { 0 }, btfs = { 0 }, keys = { 0 };
	size_t nsel = pk_mirror_sel__count(s), count = 0, nomatch = 0, pv_missing = 0;
	bool *hit = NULL;
	int r = 0;

	if (!ix || !selected || !PK_OPTS_VALID(o, struct pk_repo_mirror_opts))
		return pk_error__set(err, -EINVAL, "mirror selection: invalid arguments");
	hit = calloc(nsel + 1, sizeof(*hit));
	if (!hit)
		return pk_error__set(err, -ENOMEM, "out of memory");
	/* catalog entries match exactly: one lookup per artifact, not one per entry
	 * (a whole distribution's catalog against a large index). Keys carry the
	 * selector's number so that each entry's hits are counted. */
	for (size_t j = 0; j < nsel && !r; j++) {
		const struct sel *x = &s->v[j];
		char *k;

		if (x->type != SEL_CATALOG)
			continue;
		if (x->target && x->kernelrelease && x->kernelversion) {
			r = asprintf(&k, "%s\x1f%s\x1f%s\x1f%zu", x->target, x->kernelrelease,
				     x->kernelversion, j) < 0 ? -ENOMEM : strset_add(&cat_key, k);
		}
		if (!r && x->os_id && x->version_id && x->machine && x->uname_r) {
			r = asprintf(&k, "%s\x1f%s\x1f%s\x1f%s\x1f%zu", x->os_id, x->version_id,
				     machine_of(x->machine), x->uname_r, j) < 0 ? -ENOMEM : strset_add(&cat_btf, k);
		}
	}
	if (r)
		goto nomem;
	strset_sort(&cat_key);
	strset_sort(&cat_btf);

	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];

		selected[i] = false;
		if (!wanted(a, o))
			continue;
		if (is_core(a)) {
			selected[i] = true;	/* the CO-RE objects always come along */
			continue;
		}
		for (size_t j = 0; j < nsel; j++) {
			if (s->v[j].type == SEL_CATALOG || !pk_mirror_sel__match(s, j, a))
				continue;
			selected[i] = hit[j] = true;
		}
		/* the catalog entries of this artifact's falco key and of its BTF's key */
		if (a->target && a->kernelrelease && a->kernelversion) {
			char *k;

			if (asprintf(&k, "%s\x1f%s\x1f%s\x1f", a->target, a->kernelrelease, a->kernelversion) < 0)
				goto nomem;
			selected[i] |= catalog_hits(&cat_key, k, nsel, hit);
			free(k);
		}
		if (a->os_id && a->version_id && a->arch && a->uname_r) {
			char *k;

			if (asprintf(&k, "%s\x1f%s\x1f%s\x1f%s\x1f", a->os_id, a->version_id,
				     machine_of(a->arch), a->uname_r) < 0)
				goto nomem;
			selected[i] |= catalog_hits(&cat_btf, k, nsel, hit);
			free(k);
		}
	}
	/* a legacy object brings the BTF an agent on that kernel looks up */
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		char *k;

		if (!selected[i] || !is_kind(a, "legacy-object"))
			continue;
		if (!(k = btf_key(a))) {
			if (errno)
				goto nomem;
			continue;
		}
		if (strset_add(&btfs, k))
			goto nomem;
	}
	strset_sort(&btfs);
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		char *k;

		if (selected[i] || !is_btf(a) || !wanted(a, o))
			continue;
		if (!(k = btf_key(a))) {
			if (errno)
				goto nomem;
			continue;
		}
		selected[i] = strset_has(&btfs, k);
		free(k);
	}
	/* a BTF brings its kernel's legacy objects that carry no uname -r to match */
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		char *k;

		if (!selected[i] || !is_btf(a))
			continue;
		if (!(k = falco_key(a))) {
			if (errno)
				goto nomem;
			continue;
		}
		if (strset_add(&keys, k))
			goto nomem;
	}
	strset_sort(&keys);
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		char *k;

		if (selected[i] || a->uname_r || !is_kind(a, "legacy-object") || !wanted(a, o))
			continue;
		if (!(k = falco_key(a))) {
			if (errno)
				goto nomem;
			continue;
		}
		selected[i] = strset_has(&keys, k);
		free(k);
	}

	for (size_t i = 0; i < ix->nr_artifacts; i++)
		count += selected[i];
	for (size_t j = 0; j < nsel; j++) {
		if (unmatched)
			unmatched[j] = !hit[j];
		if (!hit[j]) {
			nomatch++;
			event(o, PK_MIRROR_WARN, "%s matched no artifact of the index", s->v[j].desc);
		}
	}
	for (size_t p = 0; pv && p < PK_OPTS_GET(o, nr_probe_versions, 0); p++) {
		bool found = false;

		for (size_t i = 0; i < ix->nr_artifacts && !found; i++)
			found = eq(pv[p], ix->artifacts[i].probe_version);
		if (!found) {
			pv_missing++;
			event(o, PK_MIRROR_WARN, "probe version %s is not in the index", pv[p]);
		}
	}
	if (res) {
		res->selected = count;
		res->unmatched = nomatch;
		res->probe_versions_missing = pv_missing;
	}
	r = (int)count;
	goto out;
nomem:
	r = pk_error__set(err, -ENOMEM, "out of memory");
out:
	strset_free(&cat_key);
	strset_free(&cat_btf);
	strset_free(&btfs);
	strset_free(&keys);
	free(hit);
	return r;
}

/* ---- the mirror directory and a directory source ---- */

/* the directories of rel under root, made where missing, none of them a link */
static int make_parents(const char *root, const char *rel, struct pk_error *err)
{
	int fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC), next;
	char comp[PK_INDEX_PATH_MAX + 1];
	const char *p = rel, *slash;

	if (fd < 0)
		return pk_error__set(err, -errno, "cannot open '%s': %s", root, strerror(errno));
	while ((slash = strchr(p, '/'))) {
		size_t n = (size_t)(slash - p);

		if (n >= sizeof(comp)) {
			close(fd);
			return pk_error__set(err, -ENAMETOOLONG, "'%s': name too long", rel);
		}
		memcpy(comp, p, n);
		comp[n] = 0;
		next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0 && errno == ENOENT) {
			if (mkdirat(fd, comp, 0755) && errno != EEXIST) {
				int e = errno;

				close(fd);
				return pk_error__set(err, -e, "cannot make a directory for '%s' in '%s': %s",
						     rel, root, strerror(e));
			}
			next = openat(fd, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (next < 0) {
			int e = errno;

			close(fd);
			return pk_error__set(err, -e, "'%s/%.*s': %s", root, (int)(slash - rel), rel,
					     e == ELOOP || e == ENOTDIR ? "a symbolic link or not a directory: "
					     "a mirror holds directories and regular files only" : strerror(e));
		}
		close(fd);
		fd = next;
		p = slash + 1;
	}
	close(fd);
	return 0;
}

static void fsync_parent(const char *path)
{
	char dir[PATH_MAX];
	char *slash;
	int fd;

	if (pk_strlcpy(dir, path, sizeof(dir)) || !(slash = strrchr(dir, '/')))
		return;
	*slash = 0;
	fd = open(*dir ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* copy from a source directory: temp file beside dest, SHA256 on the way, at most
 * size bytes read, checked, fsync, rename; nothing left on failure */
static int copy_in(const char *from, const struct pk_index_artifact *a, const char *dest,
		   struct pk_error *err)
{
	crypto_hash_sha256_state st;
	unsigned char d[crypto_hash_sha256_BYTES];
	char tmp[PATH_MAX + 32], hex[65], buf[1 << 16];
	uint64_t total = 0;
	int in, out = -1, r = 0;

	in = pk_repo__open_inside(from, a->path);
	if (in < 0)
		return pk_error__set(err, in, "cannot read '%s/%s': %s", from, a->path,
				     in == -ELOOP ? "a symbolic link" : in == -EBADF ? "not a regular file"
				     : strerror(-in));
	if (snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", dest) >= (int)sizeof(tmp)) {
		close(in);
		return pk_error__set(err, -ENAMETOOLONG, "'%s': name too long", dest);
	}
	out = mkostemp(tmp, O_CLOEXEC);
	if (out < 0) {
		r = pk_error__set(err, -errno, "cannot create a temp file next to '%s': %s", dest,
				  strerror(errno));
		close(in);
		return r;
	}
	crypto_hash_sha256_init(&st);
	if (fchmod(out, 0644)) {
		r = pk_error__set(err, -errno, "chmod '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	for (;;) {
		/* never read more than one byte past what the index lists */
		uint64_t room = a->size + 1 - total;
		ssize_t n = read(in, buf, room < sizeof(buf) ? (size_t)room : sizeof(buf)), w;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			r = pk_error__set(err, -errno, "read '%s/%s': %s", from, a->path, strerror(errno));
			goto fail;
		}
		if (!n)
			break;
		total += (uint64_t)n;
		if (total > a->size) {
			r = pk_error__set(err, -EFBIG, "'%s/%s': larger than the %" PRIu64 " bytes the index lists",
					  from, a->path, a->size);
			goto fail;
		}
		crypto_hash_sha256_update(&st, (const unsigned char *)buf, (unsigned long long)n);
		for (ssize_t off = 0; off < n; off += w) {
			w = write(out, buf + off, (size_t)(n - off));
			if (w < 0 && errno == EINTR) {
				w = 0;
				continue;
			}
			if (w < 0) {
				r = pk_error__set(err, -errno, "write '%s': %s", tmp, strerror(errno));
				goto fail;
			}
		}
	}
	crypto_hash_sha256_final(&st, d);
	sodium_bin2hex(hex, sizeof(hex), d, sizeof(d));
	if (total != a->size || strcmp(hex, a->sha256)) {
		r = pk_error__set(err, -EBADMSG, "'%s/%s': %" PRIu64 " bytes, SHA256 %s; the index says %"
				  PRIu64 ", %s", from, a->path, total, hex, a->size, a->sha256);
		goto fail;
	}
	if (fsync(out)) {
		r = pk_error__set(err, -errno, "fsync '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	r = close(out);
	out = -1;
	if (r) {
		r = pk_error__set(err, -errno, "close '%s': %s", tmp, strerror(errno));
		goto fail;
	}
	if (rename(tmp, dest)) {
		r = pk_error__set(err, -errno, "rename to '%s': %s", dest, strerror(errno));
		goto fail;
	}
	close(in);
	fsync_parent(dest);
	return 0;
fail:
	if (out >= 0)
		close(out);
	close(in);
	unlink(tmp);
	return r;
}

/* ---- the walk of the mirror directory: stale temps out, the rest listed ---- */

struct walk {
	size_t root_len;
	char **files;
	size_t nr, cap, temps;
	int err;
};

static struct walk *cur_walk;	/* nftw has no context argument; one walk at a time */

/* pk_file__write_atomic's and the downloader's temp names: "<name>.tmp.XXXXXX" */
static bool is_temp(const char *name)
{
	size_t n = strlen(name);

	return n > 11 && !memcmp(name + n - 11, ".tmp.", 5);
}

static int walk_entry(const char *path, const struct stat *st, int flag, struct FTW *f)
{
	struct walk *w = cur_walk;
	const char *rel = path + w->root_len + (path[w->root_len] == '/');

	(void)st;
	if (!*rel || flag == FTW_D || flag == FTW_DP)
		return 0;
	if (flag == FTW_DNR || flag == FTW_NS) {
		w->err = -EACCES;
		return -1;
	}
	if (flag == FTW_F && is_temp(path + f->base) && !unlink(path)) {
		w->temps++;
		return 0;
	}
	if (w->nr == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 256;
		char **v = realloc(w->files, cap * sizeof(*v));

		if (!v) {
			w->err = -ENOMEM;
			return -1;
		}
		w->files = v;
		w->cap = cap;
	}
	if (!(w->files[w->nr] = strdup(rel))) {
		w->err = -ENOMEM;
		return -1;
	}
	w->nr++;
	return 0;
}

static void walk_free(struct walk *w)
{
	for (size_t i = 0; i < w->nr; i++)
		free(w->files[i]);
	free(w->files);
	memset(w, 0, sizeof(*w));
}

static int walk_dir(const char *dir, struct walk *w, struct pk_error *err)
{
	int r;

	memset(w, 0, sizeof(*w));
	w->root_len = strlen(dir);
	cur_walk = w;
	r = nftw(dir, walk_entry, 32, FTW_PHYS);
	cur_walk = NULL;
	if (r)
		return pk_error__set(err, w->err ?: (errno ? -errno : -EIO), "cannot walk '%s': %s", dir,
				     strerror(w->err ? -w->err : errno ? errno : EIO));
	return 0;
}

static bool own_file(const char *rel)
{
	return !strcmp(rel, PK_REPO_INDEX) || !strcmp(rel, PK_REPO_SIG) || !strcmp(rel, PK_REPO_HTML) ||
	       !strcmp(rel, PK_REPO_LOCK) || !strcmp(rel, PK_REPO_MIRROR_STATE) ||
	       !strcmp(rel, PK_REPO_MIRROR_STATE ".lock");	/* pk_repo__state's lock */
}

/* remove the directories a pruned file leaves empty, up to (not including) root */
static void rmdir_up(const char *root, const char *rel)
{
	char path[PATH_MAX + PK_INDEX_PATH_MAX + 2], *slash;
	size_t rl = strlen(root);

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >= (int)sizeof(path))
		return;
	while ((slash = strrchr(path, '/')) && (size_t)(slash - path) > rl) {
		*slash = 0;
		if (rmdir(path))
			break;
	}
}

/* ---- the mirror ---- */

static bool same_bytes(const char *a, size_t al, const char *b, size_t bl)
{
	return a && b && al == bl && !memcmp(a, b, al);
}

/* 1: dest holds a's bytes; 0: nothing there; -1: something else there */
static int have(const char *to, const struct pk_index_artifact *a)
{
	int fd = pk_repo__open_inside(to, a->path), r;
	char got[65];
	uint64_t size;

	if (fd == -ENOENT)
		return 0;
	if (fd < 0)
		return -1;
	r = pk_sha256__fd(fd, a->size + 1, got, &size);
	close(fd);
	return !r && size == a->size && !strcmp(got, a->sha256) ? 1 : -1;
}

/* one directory inside the other (or the same): --prune would remove the source,
 * and the source's own repo index and verify would meet the mirror's files */
static bool nested(const char *a, const char *b)
{
	size_t al = strlen(a), bl = strlen(b);

	return !strcmp(a, b) || (al > bl && !strncmp(a, b, bl) && (a[bl] == '/' || !strcmp(b, "/"))) ||
	       (bl > al && !strncmp(b, a, al) && (b[al] == '/' || !strcmp(a, "/")));
}

/* the real path to will have: its own, or before it exists its parent's and its
 * last name (deeper missing parents: unknown, -ENOENT) */
static int planned_path(const char *to, char *out, size_t len)
{
	char real[PATH_MAX], parent[PATH_MAX];
	const char *slash = strrchr(to, '/');

	if (realpath(to, real))
		return pk_strlcpy(out, real, len);
	if (!slash)
		return realpath(".", real) && snprintf(out, len, "%s/%s", real, to) < (int)len ? 0 : -ENOENT;
	if (snprintf(parent, sizeof(parent), "%.*s", (int)(slash - to), to) >= (int)sizeof(parent) ||
	    !realpath(*parent ? parent : "/", real))
		return -ENOENT;
	return snprintf(out, len, "%s/%s", strcmp(real, "/") ? real : "", slash + 1) < (int)len ? 0 : -ENAMETOOLONG;
}

static const char EMPTY_SHA256[] = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

int pk_repo__mirror(const char *from, const char *to, const struct pk_repo_mirror_opts *opts,
		    struct pk_error *err)
{
	struct pk_repo_mirror_result local = { 0 }, *res;
	struct pk_minisign_pubkey pub;
	struct pk_http *own = NULL, *http;
	struct pk_index *ix = NULL, *old = NULL, *sub = NULL;
	char *data = NULL, *sig = NULL, *old_data = NULL, *old_sig = NULL, *html = NULL;
	size_t len = 0, sig_len = 0, old_len = 0, old_sig_len = 0, html_len = 0, nsel;
	char src_dir[PATH_MAX], to_dir[PATH_MAX], decoded[PATH_MAX], key_id[PK_MINISIGN_KEYID_STR_LEN];
	char path[PATH_MAX + PK_INDEX_PATH_MAX + 64], state[PATH_MAX + 64];
	const char *src;
	bool url, *selected = NULL, *staged = NULL;
	struct walk w = { 0 };
	struct pk_error first = { 0 };
	size_t problems = 0;
	int lock = -1, r;

	if (!from || !*from || !to || !*to || !PK_OPTS_VALID(opts, struct pk_repo_mirror_opts) ||
	    !PK_OPTS_GET(opts, key, NULL))
		return pk_error__set(err, -EINVAL, "repo mirror needs a source, a directory and a public key");
	res = PK_OPTS_GET(opts, result, NULL) ?: &local;
	memset(res, 0, sizeof(*res));
	http = PK_OPTS_GET(opts, http, NULL);
	url = !strncmp(from, "http://", 7) || !strncmp(from, "https://", 8);
	if (url) {
		src = from;
	} else {
		/* file:// is a directory: read without following links, as a path is */
		if (!strncasecmp(from, "file:", 5)) {	/* the downloader's own reading of it */
			int r = pk_http__file_path(from, decoded, sizeof(decoded), err);

			if (r)
				return pk_error__set(err, r, "'%s': %s (a file:// URL names a local path: "
						     "file:///srv/repo)", from, pk_error__str(err));
			from = decoded;
		}
		if (!realpath(from, src_dir))
			return pk_error__set(err, -errno, "cannot open '%s': %s", from, strerror(errno));
		src = src_dir;
	}
	r = pk_minisign_pubkey__load(&pub, opts->key, err);
	if (r)
		return r;
	pk_minisign__key_id_str(pub.id, key_id);
	if (url && !http) {
		r = pk_http__new(NULL, &own, err);
		if (r)
			return r;
		http = own;
	}

	/* the source's index, verified before anything in it is believed; the mirror
	 * directory is not touched (not even made) unless it verifies */
	{
		PK_REPO_OPEN_OPTS(oo, .pub = &pub, .allow_expired = PK_OPTS_GET(opts, allow_expired, false),
				  .now = PK_OPTS_GET(opts, now, 0), .http = http, .index_out = &data,
				  .sig_out = &sig, .index_out_len = &len, .sig_out_len = &sig_len);

		r = pk_repo__open(src, &oo, &ix, err);
		if (r)
			goto out;
	}
	res->version = ix->version;
	selected = calloc(ix->nr_artifacts + 1, sizeof(*selected));
	staged = calloc(ix->nr_artifacts + 1, sizeof(*staged));
	if (!selected || !staged) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = pk_repo__mirror_select(ix, opts, selected, NULL, err);
	if (r < 0)
		goto out;
	nsel = (size_t)r;
	r = 0;

	if (!url) {
		/* the same check before anything is made */
		char where[PATH_MAX + 256];

		if (!planned_path(to, where, sizeof(where)) && nested(src, where)) {
			r = pk_error__set(err, -EINVAL, "'%s' and '%s': the source and the mirror must be "
					  "separate directories", src, where);
			goto out;
		}
	}
	r = pk_file__mkdirs(to, true);
	if (r) {
		pk_error__set(err, r, "cannot make '%s': %s", to, strerror(-r));
		goto out;
	}
	if (!realpath(to, to_dir)) {
		r = pk_error__set(err, -errno, "cannot open '%s': %s", to, strerror(errno));
		goto out;
	}
	to = to_dir;
	if (!url && nested(src, to)) {
		r = pk_error__set(err, -EINVAL, "'%s' and '%s': the source and the mirror must be "
				  "separate directories", src, to);
		goto out;
	}
	lock = pk_repo__lock(to, err);
	if (lock < 0) {
		r = lock;
		goto out;
	}

	/* rollback: never below the version this mirror holds, or ever held (its state
	 * survives a removed index.json) */
	snprintf(path, sizeof(path), "%s/%s", to, PK_REPO_INDEX);
	if (!access(path, F_OK)) {
		struct pk_error e = { 0 };
		PK_REPO_OPEN_OPTS(oo, .pub = &pub, .allow_expired = true, .index_out = &old_data,
				  .sig_out = &old_sig, .index_out_len = &old_len, .sig_out_len = &old_sig_len);

		if (pk_repo__open(to, &oo, &old, &e)) {
			/* a torn pair (a run killed between its two renames), or another key's:
			 * the state file still guards the version */
			event(opts, PK_MIRROR_WARN, "the mirror's own index does not verify with this key "
			      "(%s): it is replaced", pk_error__str(&e));
		} else if (old->version > ix->version) {
			r = pk_error__set(err, -ESTALE, "%s: rollback: the source's index is version %" PRIu64
					  ", older than version %" PRIu64 " that %s holds; refused",
					  from, ix->version, old->version, to);
			goto out;
		}
	}
	snprintf(state, sizeof(state), "%s/%s", to, PK_REPO_MIRROR_STATE);
	r = pk_repo__state(state, key_id, "mirror", ix->version, false, NULL, err);
	if (r) {
		pk_error__set(err, r, "%s: %s; refused", from, pk_error__str(err));
		goto out;
	}

	r = walk_dir(to, &w, err);
	if (r)
		goto out;
	res->temps_removed = w.temps;

	/* every selected file: kept when already right, else fetched; one whose bytes
	 * change is staged beside it until every file is in */
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const struct pk_index_artifact *a = &ix->artifacts[i];
		struct pk_error e = { 0 };
		char dest[sizeof(path)];
		int h;

		if (!selected[i])
			continue;
		if (pk_index__check_path(a->path, &e)) {
			problems++;
			res->failed++;
			event(opts, PK_MIRROR_PROBLEM, "'%s': %s", a->path, pk_error__str(&e));
			if (!first.code)
				pk_error__set(&first, -EBADMSG, "'%s': %s", a->path, pk_error__str(&e));
			continue;
		}
		h = have(to, a);
		if (h == 1) {
			res->present++;
			res->bytes_present += a->size;
			continue;
		}
		snprintf(dest, sizeof(dest), "%s/%s%s", to, a->path, h < 0 ? STAGE_SUFFIX : "");
		r = make_parents(to, a->path, &e);
		if (!r && !a->size) {
			/* nothing to fetch: the bytes are known */
			r = strcmp(a->sha256, EMPTY_SHA256)
				    ? pk_error__set(&e, -EBADMSG, "the index lists 0 bytes with the SHA256 of "
						    "something else")
				    : pk_file__write_atomic(dest, "", 0);
			if (r && !e.msg[0])
				pk_error__set(&e, r, "cannot write '%s': %s", dest, strerror(-r));
		} else if (!r && url) {
			char u[PK_INDEX_PATH_MAX * 3 + 4096];
			PK_HTTP_DOWNLOAD_OPTS(dl, .size = a->size, .sha256 = a->sha256, .label = a->path);

			r = pk_repo__url(src, a->path, u, sizeof(u));
			if (r)
				pk_error__set(&e, r, "'%s' under '%s': cannot make its URL", a->path, src);
			else
				r = pk_http__download(http, u, dest, &dl, &e);
		} else if (!r) {
			r = copy_in(src, a, dest, &e);
		}
		if (r) {
			problems++;
			res->failed++;
			event(opts, PK_MIRROR_PROBLEM, "'%s': %s", a->path, pk_error__str(&e));
			if (!first.code)
				pk_error__set(&first, -EBADMSG, "'%s': %s", a->path, pk_error__str(&e));
			r = 0;
			continue;
		}
		staged[i] = h < 0;
		res->copied++;
		res->bytes_copied += a->size;
		event(opts, PK_MIRROR_INFO, "copied %s (%" PRIu64 " bytes)", a->path, a->size);
	}
	if (problems) {
		/* the mirror's old index and its files stay as they were */
		for (size_t i = 0; i < ix->nr_artifacts; i++) {
			if (!staged[i])
				continue;
			snprintf(path, sizeof(path), "%s/%s%s", to, ix->artifacts[i].path, STAGE_SUFFIX);
			unlink(path);
		}
		r = pk_error__set(err, -EBADMSG, "%zu of %zu selected files could not be copied (the first: "
				  "%s); %s keeps its previous index", problems, nsel, pk_error__str(&first), to);
		goto out;
	}
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		char dest[sizeof(path)];

		if (!staged[i])
			continue;
		snprintf(path, sizeof(path), "%s/%s%s", to, ix->artifacts[i].path, STAGE_SUFFIX);
		snprintf(dest, sizeof(dest), "%s/%s", to, ix->artifacts[i].path);
		if (rename(path, dest)) {
			r = pk_error__set(err, -errno, "rename to '%s': %s", dest, strerror(errno));
			goto out;
		}
		fsync_parent(dest);
	}

	/* index.html over what is here (its bytes are not signed: a person's view),
	 * then the source's index and signature, unchanged, the signature last: a
	 * reader between the two renames sees an index whose digest its signature
	 * does not carry, refuses it and tries again; a run killed there leaves that
	 * torn pair until the next run, which replaces it (the state file keeps the
	 * version) */
	r = pk_index__parse(data, len, &sub, err);
	if (r)
		goto out;
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		if (!selected[i])
			pk_index__remove(sub, ix->artifacts[i].path);
	r = pk_index__write_html(sub, "probekit repository mirror", &html, &html_len, err);
	if (r)
		goto out;
	snprintf(path, sizeof(path), "%s/%s", to, PK_REPO_HTML);
	{
		char *cur = NULL;
		size_t cur_len = 0;
		bool same = !pk_file__read(path, &cur, &cur_len, html_len + 1) &&
			    same_bytes(cur, cur_len, html, html_len);

		free(cur);
		if (!same && (r = pk_file__write_atomic(path, html, html_len))) {
			pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
			goto out;
		}
	}
	if (!same_bytes(old_data, old_len, data, len) || !same_bytes(old_sig, old_sig_len, sig, sig_len)) {
		snprintf(path, sizeof(path), "%s/%s", to, PK_REPO_INDEX);
		r = pk_file__write_atomic(path, data, len);
		if (!r) {
			snprintf(path, sizeof(path), "%s/%s", to, PK_REPO_SIG);
			r = pk_file__write_atomic(path, sig, sig_len);
		}
		if (r) {
			pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
			goto out;
		}
		res->index_written = true;
	}
	r = pk_repo__state(state, key_id, "mirror", ix->version, true, NULL, err);
	if (r)
		goto out;

	if (PK_OPTS_GET(opts, prune, false)) {
		for (size_t i = 0; i < w.nr; i++) {
			const char *f = w.files[i];
			const struct pk_index_artifact *a;

			if (own_file(f))
				continue;
			a = pk_index__find(ix, f);
			if (a && selected[a - ix->artifacts])
				continue;
			snprintf(path, sizeof(path), "%s/%s", to, f);
			if (unlink(path)) {
				event(opts, PK_MIRROR_WARN, "cannot remove '%s': %s", path, strerror(errno));
				continue;
			}
			res->pruned++;
			event(opts, PK_MIRROR_INFO, "pruned %s", f);
			rmdir_up(to, f);
		}
	}
	r = 0;
out:
	if (lock >= 0)
		close(lock);
	walk_free(&w);
	free(selected);
	free(staged);
	free(data);
	free(sig);
	free(old_data);
	free(old_sig);
	free(html);
	pk_index__free(ix);
	pk_index__free(old);
	pk_index__free(sub);
	pk_http__free(own);
	return r;
}
