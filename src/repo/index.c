/* The repository index: model, strict json-c reader of index.json and of build
 * records (both outside input), canonical writer. Never prints; every refusal
 * names the field it is about. */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "build/build.h"
#include "common/sha256.h"
#include "repo/index.h"

/* strings we keep: long enough for a log tail, short enough that one field cannot
 * blow up the HTML or the agent's memory */
#define STR_MAX (64u << 10)
/* the deepest index.json goes is 5 (root, artifacts, artifact, build, inputs, input) */
#define JSON_DEPTH 10
#define SECONDS_MAX 1e9

static const char *const KINDS[] = {
	"legacy-object", "reduced-btf", "full-btf", "core-object", "btf-object",
};
static const char *const STATES[] = { "unverified", "verified", "failed" };

static bool in_set(const char *s, const char *const *set, size_t n)
{
	for (size_t i = 0; s && i < n; i++)
		if (!strcmp(s, set[i]))
			return true;
	return false;
}


/* the same rule as the JSON writer's (src/common/json.c), so that what we accept
 * is written back byte for byte: no overlong form, no surrogate, <= U+10FFFF */
static bool valid_utf8(const unsigned char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = s[i];
		size_t len;
		uint32_t cp;

		if (c < 0x80) {
			if (!c)
				return false;
			i++;
			continue;
		}
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else {
			return false;
		}
		if (len > n - i)
			return false;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += len;
	}
	return true;
}

int pk_index__check_path(const char *path, struct pk_error *err)
{
	size_t len, comp = 0;

	if (!path || !*path)
		return pk_error__set(err, -EBADMSG, "empty path");
	len = strnlen(path, PK_INDEX_PATH_MAX + 1);
	if (len > PK_INDEX_PATH_MAX)
		return pk_error__set(err, -EBADMSG, "longer than %d bytes", PK_INDEX_PATH_MAX);
	if (path[0] == '/')
		return pk_error__set(err, -EBADMSG, "'%s': absolute (starts with '/')", path);
	for (size_t i = 0; i <= len; i++) {
		unsigned char c = path[i];

		if (c == '/' || c == 0) {
			size_t n = i - comp;

			if (n == 0)
				return pk_error__set(err, -EBADMSG, "'%s': empty component", path);
			if ((n == 1 && path[comp] == '.') ||
			    (n == 2 && path[comp] == '.' && path[comp + 1] == '.'))
				return pk_error__set(err, -EBADMSG, "'%s': '.' or '..' component", path);
			comp = i + 1;
			continue;
		}
		if (c <= 0x20 || c >= 0x7f)
			return pk_error__set(err, -EBADMSG,
					     "byte %zu is 0x%02x: not printable ASCII without spaces", i, c);
		/* bytes a URL gives meaning to: a path must fetch the file it names */
		if (c == '%' || c == '?' || c == '#' || c == '\\')
			return pk_error__set(err, -EBADMSG, "'%s': '%c' has a meaning in URLs", path, c);
	}
	return 0;
}

/* a probe version names a top-level directory: one safe path component */
static bool valid_component(const char *s)
{
	return s && !strchr(s, '/') && !pk_index__check_path(s, NULL);
}

/* ---- model ---- */

struct pk_index_map {
	size_t cap;	/* power of two; slots hold artifact index + 1, 0 when empty */
	size_t *slots;
	bool valid;
};

static uint64_t hash_str(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 0x100000001b3ull;
	return h;
}

static void map_put(struct pk_index_map *m, const char *path, size_t idx)
{
	size_t i = hash_str(path) & (m->cap - 1);

	while (m->slots[i])
		i = (i + 1) & (m->cap - 1);
	m->slots[i] = idx + 1;
}

static int map_rebuild(struct pk_index *ix, size_t want)
{
	struct pk_index_map *m = ix->map;
	size_t cap = 16;

	while (cap < 2 * want + 2)
		cap *= 2;
	if (cap != m->cap) {
		size_t *s = calloc(cap, sizeof(*s));

		if (!s)
			return -ENOMEM;
		free(m->slots);
		m->slots = s;
		m->cap = cap;
	} else {
		memset(m->slots, 0, cap * sizeof(*m->slots));
	}
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		map_put(m, ix->artifacts[i].path, i);
	m->valid = true;
	return 0;
}

/* index of the artifact at path, or -1 (-2 when the map cannot be built: fall back) */
static ssize_t map_find(const struct pk_index *ix, const char *path)
{
	struct pk_index_map *m = ix->map;
	size_t i;

	if (!m->valid && map_rebuild((struct pk_index *)ix, ix->nr_artifacts))
		return -2;
	i = hash_str(path) & (m->cap - 1);
	while (m->slots[i]) {
		size_t k = m->slots[i] - 1;

		if (!strcmp(ix->artifacts[k].path, path))
			return k;
		i = (i + 1) & (m->cap - 1);
	}
	return -1;
}

struct pk_index *pk_index__new(void)
{
	struct pk_index *ix = calloc(1, sizeof(*ix));

	if (!ix)
		return NULL;
	ix->map = calloc(1, sizeof(*ix->map));
	if (!ix->map) {
		free(ix);
		errno = ENOMEM;
		return NULL;
	}
	return ix;
}

void pk_index_artifact__clear(struct pk_index_artifact *a)
{
	char **strs[] = {
		&a->path, &a->kind, &a->probe_version, &a->target, &a->kernelrelease,
		&a->kernelversion, &a->os_id, &a->version_id, &a->arch, &a->uname_r,
		&a->record, &a->compiler, &a->log_sha256, &a->verification.state,
		&a->verification.kernel, &a->verification.mode, &a->verification.date,
		&a->verification.reason,
	};

	if (!a)
		return;
	for (size_t i = 0; i < PK_ARRAY_SIZE(strs); i++)
		free(*strs[i]);
	for (size_t i = 0; i < a->nr_inputs; i++) {
		free(a->inputs[i].name);
		free(a->inputs[i].version);
	}
	free(a->inputs);
	memset(a, 0, sizeof(*a));
}

void pk_index_failure__clear(struct pk_index_failure *f)
{
	if (!f)
		return;
	free(f->key);
	free(f->kind);
	free(f->probe_version);
	free(f->stage);
	free(f->reason);
	free(f->record);
	free(f->log_tail);
	memset(f, 0, sizeof(*f));
}

void pk_index__free(struct pk_index *ix)
{
	if (!ix)
		return;
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		pk_index_artifact__clear(&ix->artifacts[i]);
	for (size_t i = 0; i < ix->nr_failures; i++)
		pk_index_failure__clear(&ix->failures[i]);
	free(ix->artifacts);
	free(ix->failures);
	free(ix->next_key);
	free(ix->next_key_sig);
	if (ix->map)
		free(ix->map->slots);
	free(ix->map);
	free(ix);
}

bool pk_index__valid_utf8(const char *s, size_t n)
{
	return valid_utf8((const unsigned char *)s, n);
}

static int check_str(const char *field, const char *s, bool required, struct pk_error *err)
{
	size_t n;

	if (!s)
		return required ? pk_error__set(err, -EBADMSG, "%s: missing", field) : 0;
	n = strnlen(s, STR_MAX + 1);
	if (n > STR_MAX)
		return pk_error__set(err, -EBADMSG, "%s: longer than %u bytes", field, STR_MAX);
	if (required && !n)
		return pk_error__set(err, -EBADMSG, "%s: empty", field);
	if (!valid_utf8((const unsigned char *)s, n))
		return pk_error__set(err, -EBADMSG, "%s: not valid UTF-8", field);
	return 0;
}

static bool eq_or_null(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

int pk_index_artifact__check(const struct pk_index_artifact *a, struct pk_error *err)
{
	bool legacy, btf, kernel_btf;
	int r;

	r = pk_index__check_path(a->path, err);
	if (r)
		return pk_error__set(err, r, "path: %s", pk_error__str(err));
	if (!pk_sha256__is_hex(a->sha256))
		return pk_error__set(err, -EBADMSG, "sha256: not 64 lower-case hex digits");
	if (!in_set(a->kind, KINDS, PK_ARRAY_SIZE(KINDS)))
		return pk_error__set(err, -EBADMSG, "kind: '%s' is not one of legacy-object, "
				     "reduced-btf, full-btf, core-object, btf-object",
				     a->kind ? a->kind : "(null)");
	legacy = !strcmp(a->kind, "legacy-object");
	btf = !strcmp(a->kind, "full-btf");
	kernel_btf = btf || !strcmp(a->kind, "reduced-btf");
	if (btf) {
		if (a->probe_version)
			return pk_error__set(err, -EBADMSG, "probe_version: must be null for full-btf");
		/* btfhub's layout, outside every probe version's directory */
		if (strncmp(a->path, "btf/", 4))
			return pk_error__set(err, -EBADMSG, "path: full-btf outside 'btf/'");
	} else {
		size_t n;

		if (!valid_component(a->probe_version))
			return pk_error__set(err, -EBADMSG, "probe_version: %s",
					     a->probe_version ? "not one path component" : "missing");
		/* an artifact lives under its own probe version: a record cannot claim
		 * another version's file */
		n = strlen(a->probe_version);
		if (strncmp(a->path, a->probe_version, n) || a->path[n] != '/')
			return pk_error__set(err, -EBADMSG, "path: not under '%s/'", a->probe_version);
	}
	{
		const struct { const char *name, *v; bool req; } f[] = {
			{ "kernel.target", a->target, legacy },
			{ "kernel.kernelrelease", a->kernelrelease, legacy },
			{ "kernel.kernelversion", a->kernelversion, legacy },
			{ "kernel.os_id", a->os_id, kernel_btf },
			{ "kernel.version_id", a->version_id, kernel_btf },
			{ "kernel.arch", a->arch, true },
			{ "kernel.uname_r", a->uname_r, kernel_btf },
			{ "build.record", a->record, false },
			{ "build.compiler", a->compiler, false },
			{ "verification.kernel", a->verification.kernel, false },
			{ "verification.mode", a->verification.mode, false },
			{ "verification.date", a->verification.date, false },
			{ "verification.reason", a->verification.reason, false },
		};

		for (size_t i = 0; i < PK_ARRAY_SIZE(f); i++) {
			r = check_str(f[i].name, f[i].v, f[i].req, err);
			if (r)
				return r;
		}
	}
	if (a->record && (r = pk_index__check_path(a->record, err)))
		return pk_error__set(err, r, "build.record: %s", pk_error__str(err));
	if (a->log_sha256 && !pk_sha256__is_hex(a->log_sha256))
		return pk_error__set(err, -EBADMSG, "build.log_sha256: not 64 lower-case hex digits");
	if (!isfinite(a->seconds) || a->seconds < 0 || a->seconds > SECONDS_MAX)
		return pk_error__set(err, -EBADMSG, "build.seconds: not a duration");
	if (a->nr_inputs && !a->inputs)
		return pk_error__set(err, -EBADMSG, "build.inputs: missing");
	for (size_t i = 0; i < a->nr_inputs; i++) {
		const struct pk_index_input *in = &a->inputs[i];
		char f[64];

		snprintf(f, sizeof(f), "build.inputs[%zu].name", i);
		if ((r = check_str(f, in->name, true, err)))
			return r;
		snprintf(f, sizeof(f), "build.inputs[%zu].version", i);
		if ((r = check_str(f, in->version, true, err)))
			return r;
		if (!pk_sha256__is_hex(in->sha256))
			return pk_error__set(err, -EBADMSG,
					     "build.inputs[%zu].sha256: not 64 lower-case hex digits", i);
	}
	if (a->verification.state && !in_set(a->verification.state, STATES, PK_ARRAY_SIZE(STATES)))
		return pk_error__set(err, -EBADMSG,
				     "verification.state: not unverified, verified or failed");
	return 0;
}

static int failure_check(const struct pk_index_failure *f, struct pk_error *err)
{
	const struct { const char *name, *v; bool req; } s[] = {
		{ "key", f->key, true }, { "stage", f->stage, true },
		{ "reason", f->reason, true }, { "log_tail", f->log_tail, false },
	};
	int r;

	for (size_t i = 0; i < PK_ARRAY_SIZE(s); i++)
		if ((r = check_str(s[i].name, s[i].v, s[i].req, err)))
			return r;
	if (!in_set(f->kind, KINDS, PK_ARRAY_SIZE(KINDS)))
		return pk_error__set(err, -EBADMSG, "kind: not one of legacy-object, reduced-btf, "
				     "full-btf, core-object, btf-object");
	if (!strcmp(f->kind, "full-btf") ? f->probe_version != NULL
					 : !valid_component(f->probe_version))
		return pk_error__set(err, -EBADMSG, "probe_version: %s",
				     f->probe_version ? "null for full-btf, else one path component"
						      : "missing");
	if (f->record && (r = pk_index__check_path(f->record, err)))
		return pk_error__set(err, r, "record: %s", pk_error__str(err));
	return 0;
}

static int grow(void **arr, size_t nr, size_t *cap, size_t elem)
{
	void *n;
	size_t c;

	if (nr < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	n = realloc(*arr, c * elem);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = c;
	return 0;
}

/* capacities are not in the public struct: round nr up to the power of two grow() keeps */
static size_t cap_of(size_t nr)
{
	size_t c = 16;

	if (!nr)
		return 0;
	while (c < nr)
		c *= 2;
	return c;
}

static ssize_t failure_index(const struct pk_index *ix, const char *key, const char *kind,
			     const char *pv)
{
	for (size_t i = 0; i < ix->nr_failures; i++) {
		const struct pk_index_failure *f = &ix->failures[i];

		if (!strcmp(f->key, key) && !strcmp(f->kind, kind) && eq_or_null(f->probe_version, pv))
			return i;
	}
	return -1;
}

static void remove_failure_at(struct pk_index *ix, size_t i)
{
	pk_index_failure__clear(&ix->failures[i]);
	memmove(&ix->failures[i], &ix->failures[i + 1],
		(ix->nr_failures - i - 1) * sizeof(*ix->failures));
	ix->nr_failures--;
}

/* add or replace, moving *a in; the caller has checked it */
static int add_artifact_raw(struct pk_index *ix, struct pk_index_artifact *a)
{
	ssize_t at = map_find(ix, a->path);
	size_t cap = cap_of(ix->nr_artifacts);

	if (at == -2) {
		pk_index_artifact__clear(a);
		return -ENOMEM;
	}
	if (at >= 0) {
		pk_index_artifact__clear(&ix->artifacts[at]);
		ix->artifacts[at] = *a;
		memset(a, 0, sizeof(*a));
		return 0;
	}
	if (grow((void **)&ix->artifacts, ix->nr_artifacts, &cap, sizeof(*ix->artifacts))) {
		pk_index_artifact__clear(a);
		return -ENOMEM;
	}
	ix->artifacts[ix->nr_artifacts++] = *a;
	memset(a, 0, sizeof(*a));
	if (2 * ix->nr_artifacts + 2 > ix->map->cap) {
		if (map_rebuild(ix, ix->nr_artifacts * 2))
			ix->map->valid = false;
	} else {
		map_put(ix->map, ix->artifacts[ix->nr_artifacts - 1].path, ix->nr_artifacts - 1);
	}
	return 0;
}

int pk_index__add_artifact(struct pk_index *ix, struct pk_index_artifact *a, struct pk_error *err)
{
	int r = pk_index_artifact__check(a, err);

	if (r) {
		pk_index_artifact__clear(a);
		return r;
	}
	if (a->target && a->kernelrelease) {
		char *key;
		ssize_t f;

		if (asprintf(&key, "%s:%s", a->target, a->kernelrelease) < 0) {
			pk_index_artifact__clear(a);
			return pk_error__set(err, -ENOMEM, "out of memory");
		}
		f = failure_index(ix, key, a->kind, a->probe_version);
		free(key);
		if (f >= 0)
			remove_failure_at(ix, f);
	}
	r = add_artifact_raw(ix, a);
	return r ? pk_error__set(err, r, "out of memory") : 0;
}

int pk_index__add_failure(struct pk_index *ix, struct pk_index_failure *f, struct pk_error *err)
{
	size_t cap = cap_of(ix->nr_failures);
	ssize_t at;
	int r = failure_check(f, err);

	if (r) {
		pk_index_failure__clear(f);
		return r;
	}
	at = failure_index(ix, f->key, f->kind, f->probe_version);
	if (at >= 0) {
		pk_index_failure__clear(&ix->failures[at]);
		ix->failures[at] = *f;
		memset(f, 0, sizeof(*f));
		return 0;
	}
	if (grow((void **)&ix->failures, ix->nr_failures, &cap, sizeof(*ix->failures))) {
		pk_index_failure__clear(f);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	ix->failures[ix->nr_failures++] = *f;
	memset(f, 0, sizeof(*f));
	return 0;
}

struct pk_index_artifact *pk_index__find(const struct pk_index *ix, const char *path)
{
	ssize_t at;

	if (!ix || !path)
		return NULL;
	at = map_find(ix, path);
	if (at == -2) {
		for (size_t i = 0; i < ix->nr_artifacts; i++)
			if (!strcmp(ix->artifacts[i].path, path))
				return &ix->artifacts[i];
		return NULL;
	}
	return at >= 0 ? &ix->artifacts[at] : NULL;
}

struct pk_index_failure *pk_index__find_failure(const struct pk_index *ix, const char *key,
						const char *kind, const char *probe_version)
{
	ssize_t at;

	if (!ix || !key || !kind)
		return NULL;
	at = failure_index(ix, key, kind, probe_version);
	return at >= 0 ? &ix->failures[at] : NULL;
}

int pk_index__remove(struct pk_index *ix, const char *path)
{
	struct pk_index_artifact *a = pk_index__find(ix, path);
	size_t i;

	if (!a)
		return -ENOENT;
	i = a - ix->artifacts;
	pk_index_artifact__clear(a);
	memmove(&ix->artifacts[i], &ix->artifacts[i + 1],
		(ix->nr_artifacts - i - 1) * sizeof(*ix->artifacts));
	ix->nr_artifacts--;
	ix->map->valid = false;
	return 0;
}

static int dupstr(char **dst, const char *s)
{
	char *d = NULL;

	if (s && !(d = strdup(s)))
		return -ENOMEM;
	free(*dst);
	*dst = d;
	return 0;
}

int pk_index_artifact__set_verification(struct pk_index_artifact *a, const char *state,
					const char *kernel, const char *mode, const char *date,
					const char *reason)
{
	struct pk_index_verification v = { 0 };

	if (!in_set(state, STATES, PK_ARRAY_SIZE(STATES)))
		return -EINVAL;
	if (dupstr(&v.state, state) || dupstr(&v.kernel, kernel) || dupstr(&v.mode, mode) ||
	    dupstr(&v.date, date) || dupstr(&v.reason, reason)) {
		free(v.state);
		free(v.kernel);
		free(v.mode);
		free(v.date);
		free(v.reason);
		return -ENOMEM;
	}
	free(a->verification.state);
	free(a->verification.kernel);
	free(a->verification.mode);
	free(a->verification.date);
	free(a->verification.reason);
	a->verification = v;
	return 0;
}

static int cmp_nullable(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);	/* null first */
	return strcmp(a, b);
}

static int cmp_artifact(const void *x, const void *y)
{
	return strcmp(((const struct pk_index_artifact *)x)->path,
		      ((const struct pk_index_artifact *)y)->path);
}

static int cmp_failure(const void *x, const void *y)
{
	const struct pk_index_failure *a = x, *b = y;
	int c = strcmp(a->key, b->key);

	if (!c)
		c = strcmp(a->kind, b->kind);
	if (!c)
		c = cmp_nullable(a->probe_version, b->probe_version);
	return c;
}

void pk_index__sort(struct pk_index *ix)
{
	if (ix->nr_artifacts)
		qsort(ix->artifacts, ix->nr_artifacts, sizeof(*ix->artifacts), cmp_artifact);
	if (ix->nr_failures)
		qsort(ix->failures, ix->nr_failures, sizeof(*ix->failures), cmp_failure);
	ix->map->valid = false;
}

int pk_index__check_fresh(const struct pk_index *ix, int64_t now, uint64_t min_version,
			  struct pk_error *err)
{
	if (now >= ix->expires)
		return pk_error__set(err, -EKEYEXPIRED,
				     "index version %" PRIu64 " expired %" PRId64 " s ago (expires %" PRId64 ")",
				     ix->version, now - ix->expires, ix->expires);
	if (ix->version < min_version)
		return pk_error__set(err, -ESTALE,
				     "index version %" PRIu64 " is older than version %" PRIu64
				     " already seen: a rollback", ix->version, min_version);
	return 0;
}

/* ---- writer ---- */

static void write_artifact(struct pk_json *j, const struct pk_index_artifact *a)
{
	const struct pk_index_verification *v = &a->verification;

	pk_json__obj_begin(j);
	pk_json__kv_str(j, "path", a->path);
	pk_json__kv_uint(j, "size", a->size);
	pk_json__kv_str(j, "sha256", a->sha256);
	pk_json__kv_str(j, "kind", a->kind);
	pk_json__kv_str(j, "probe_version", a->probe_version);
	pk_json__key(j, "kernel");
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "target", a->target);
	pk_json__kv_str(j, "kernelrelease", a->kernelrelease);
	pk_json__kv_str(j, "kernelversion", a->kernelversion);
	pk_json__kv_str(j, "os_id", a->os_id);
	pk_json__kv_str(j, "version_id", a->version_id);
	pk_json__kv_str(j, "arch", a->arch);
	pk_json__kv_str(j, "uname_r", a->uname_r);
	pk_json__obj_end(j);
	pk_json__key(j, "build");
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "record", a->record);
	pk_json__kv_str(j, "compiler", a->compiler);
	pk_json__kv_str(j, "log_sha256", a->log_sha256);
	pk_json__kv_double(j, "seconds", a->seconds);
	pk_json__key(j, "inputs");
	pk_json__arr_begin(j);
	for (size_t i = 0; i < a->nr_inputs; i++) {
		pk_json__obj_begin(j);
		pk_json__kv_str(j, "name", a->inputs[i].name);
		pk_json__kv_str(j, "version", a->inputs[i].version);
		pk_json__kv_str(j, "sha256", a->inputs[i].sha256);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
	pk_json__obj_end(j);
	pk_json__key(j, "verification");
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "state", v->state ? v->state : "unverified");
	pk_json__kv_str(j, "kernel", v->kernel);
	pk_json__kv_str(j, "mode", v->mode);
	pk_json__kv_str(j, "date", v->date);
	pk_json__kv_str(j, "reason", v->reason);
	pk_json__obj_end(j);
	pk_json__obj_end(j);
}

void pk_index__write(struct pk_index *ix, struct pk_json *j)
{
	pk_index__sort(ix);
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "schema", PK_INDEX_SCHEMA);
	pk_json__kv_uint(j, "version", ix->version);
	pk_json__kv_int(j, "generated", ix->generated);
	pk_json__kv_int(j, "expires", ix->expires);
	pk_json__key(j, "next_key");
	if (ix->next_key && ix->next_key_sig) {
		pk_json__obj_begin(j);
		pk_json__kv_str(j, "key", ix->next_key);
		pk_json__kv_str(j, "signature", ix->next_key_sig);
		pk_json__obj_end(j);
	} else {
		pk_json__null(j);
	}
	pk_json__key(j, "artifacts");
	pk_json__arr_begin(j);
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		write_artifact(j, &ix->artifacts[i]);
	pk_json__arr_end(j);
	pk_json__key(j, "failures");
	pk_json__arr_begin(j);
	for (size_t i = 0; i < ix->nr_failures; i++) {
		const struct pk_index_failure *f = &ix->failures[i];

		pk_json__obj_begin(j);
		pk_json__kv_str(j, "key", f->key);
		pk_json__kv_str(j, "kind", f->kind);
		pk_json__kv_str(j, "probe_version", f->probe_version);
		pk_json__kv_str(j, "stage", f->stage);
		pk_json__kv_str(j, "reason", f->reason);
		pk_json__kv_str(j, "record", f->record);
		pk_json__kv_str(j, "log_tail", f->log_tail);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
	pk_json__obj_end(j);
	pk_json__raw(j, "\n", 1);
}

/* ---- reader ---- */

/* json-c accepts NaN and Infinity and saturates integers out of range, even in
 * strict mode: the field readers below refuse those, and a NUL anywhere. */
int pk_index__json_object(const void *data, size_t len, size_t max, int depth, const char *what,
			  struct json_object **out, struct pk_error *err)
{
	struct json_tokener *tok;
	struct json_object *root;
	enum json_tokener_error je;
	const char *nul;
	size_t end;

	*out = NULL;
	if (max > 0x7fffffff)
		max = 0x7fffffff;	/* json_tokener_parse_ex takes an int */
	if (len > max)
		return pk_error__set(err, -EFBIG, "%s: %zu bytes, more than the %zu allowed", what,
				     len, max);
	if ((nul = memchr(data, 0, len)))
		return pk_error__set(err, -EBADMSG, "%s: NUL byte at offset %zu", what,
				     (size_t)(nul - (const char *)data));
	tok = json_tokener_new_ex(depth);
	if (!tok)
		return pk_error__set(err, -ENOMEM, "out of memory");
	/* no JSON_TOKENER_VALIDATE_UTF8: every string we keep is checked by get_str
	 * (stricter: no surrogates), every other one is refused or ignored, and the
	 * flag costs a quarter of the parse time of a large index */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	root = json_tokener_parse_ex(tok, data, (int)len);
	je = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	json_tokener_free(tok);
	if (!root || je != json_tokener_success) {
		json_object_put(root);
		if (je == json_tokener_continue || (je == json_tokener_success && !root))
			return pk_error__set(err, -EBADMSG, "%s: truncated JSON", what);
		return pk_error__set(err, -EBADMSG, "%s: JSON error at offset %zu: %s", what, end,
				     json_tokener_error_desc(je));
	}
	for (; end < len; end++) {
		char c = ((const char *)data)[end];

		if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
			json_object_put(root);
			return pk_error__set(err, -EBADMSG,
					     "%s: text after the JSON value at offset %zu", what, end);
		}
	}
	if (!json_object_is_type(root, json_type_object)) {
		json_object_put(root);
		return pk_error__set(err, -EBADMSG, "%s: not a JSON object", what);
	}
	*out = root;
	return 0;
}

/* pre is the field's position ("artifacts[3].kernel."), key its name */
static int bad(struct pk_error *err, const char *pre, const char *key, const char *why)
{
	return pk_error__set(err, -EBADMSG, "%s%s: %s", pre, key, why);
}

static int only_keys(struct json_object *o, const char *pre, const char *const *keys, size_t n,
		     struct pk_error *err)
{
	json_object_object_foreach(o, k, v) {
		(void)v;
		if (!in_set(k, keys, n))
			return pk_error__set(err, -EBADMSG, "%s%.64s: unknown key", pre, k);
	}
	return 0;
}

static int get(struct json_object *o, const char *pre, const char *key, json_type t,
	       bool nullable, struct json_object **out, struct pk_error *err)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return bad(err, pre, key, "missing");
	if (!v) {
		if (nullable)
			return 0;
		return bad(err, pre, key, "null");
	}
	if (!json_object_is_type(v, t)) {
		static const char *const names[] = {
			[json_type_boolean] = "not a boolean", [json_type_double] = "not a number",
			[json_type_int] = "not an integer", [json_type_object] = "not an object",
			[json_type_array] = "not an array", [json_type_string] = "not a string",
		};

		return bad(err, pre, key, (size_t)t < PK_ARRAY_SIZE(names) && names[t]
						  ? names[t] : "wrong type");
	}
	*out = v;
	return 0;
}

/* a string field, copied; required ones non-empty, all UTF-8 without NUL, bounded */
static int get_str(struct json_object *o, const char *pre, const char *key, bool nullable,
		   char **out, struct pk_error *err)
{
	struct json_object *v;
	const char *s;
	int r, n;

	*out = NULL;
	r = get(o, pre, key, json_type_string, nullable, &v, err);
	if (r || !v)
		return r;
	s = json_object_get_string(v);
	n = json_object_get_string_len(v);
	if ((size_t)n != strlen(s))
		return bad(err, pre, key, "holds a NUL character");
	if ((size_t)n > STR_MAX)
		return bad(err, pre, key, "too long");
	if (!n && !nullable)
		return bad(err, pre, key, "empty");
	if (!valid_utf8((const unsigned char *)s, n))
		return bad(err, pre, key, "not valid UTF-8");
	*out = strdup(s);
	return *out ? 0 : pk_error__set(err, -ENOMEM, "out of memory");
}

static int get_hex64(struct json_object *o, const char *pre, const char *key, bool nullable,
		     char out[65], bool *present, struct pk_error *err)
{
	struct json_object *v;
	int r;

	out[0] = 0;
	if (present)
		*present = false;
	r = get(o, pre, key, json_type_string, nullable, &v, err);
	if (r || !v)
		return r;
	if (json_object_get_string_len(v) != 64 || !pk_sha256__is_hex(json_object_get_string(v)))
		return bad(err, pre, key, "not 64 lower-case hex digits");
	memcpy(out, json_object_get_string(v), 65);
	if (present)
		*present = true;
	return 0;
}

/* json-c saturates: the extreme values stand for "out of range" and are refused */
static int get_u64(struct json_object *o, const char *pre, const char *key, uint64_t *out,
		   struct pk_error *err)
{
	struct json_object *v;
	int r = get(o, pre, key, json_type_int, false, &v, err);

	if (r)
		return r;
	if (json_object_get_int64(v) < 0)
		return bad(err, pre, key, "negative");
	*out = json_object_get_uint64(v);
	if (*out == UINT64_MAX)
		return bad(err, pre, key, "out of range");
	return 0;
}

static int get_i64(struct json_object *o, const char *pre, const char *key, int64_t *out,
		   struct pk_error *err)
{
	struct json_object *v;
	int r = get(o, pre, key, json_type_int, false, &v, err);

	if (r)
		return r;
	*out = json_object_get_int64(v);
	if (*out == INT64_MAX || *out == INT64_MIN)
		return bad(err, pre, key, "out of range");
	return 0;
}

static int get_seconds(struct json_object *o, const char *pre, const char *key, double *out,
		       struct pk_error *err)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v))
		return bad(err, pre, key, "missing");
	if (!json_object_is_type(v, json_type_double) && !json_object_is_type(v, json_type_int))
		return bad(err, pre, key, "not a number");
	*out = json_object_get_double(v) + 0.0;	/* -0 becomes 0: "-0.000" is not canonical */
	if (!isfinite(*out) || *out < 0 || *out > SECONDS_MAX)
		return bad(err, pre, key, "not a duration (0 to 1e9 seconds)");
	return 0;
}

static int parse_inputs(struct json_object *arr, const char *pre, struct pk_index_artifact *a,
			struct pk_error *err)
{
	static const char *const keys[] = { "name", "version", "sha256" };
	size_t n = json_object_array_length(arr);
	char p[128];
	int r;

	if (!n)
		return 0;
	a->inputs = calloc(n, sizeof(*a->inputs));
	if (!a->inputs)
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct pk_index_input *in = &a->inputs[i];

		a->nr_inputs = i + 1;
		snprintf(p, sizeof(p), "%sinputs[%zu]", pre, i);
		if (!json_object_is_type(o, json_type_object))
			return bad(err, p, "", "not an object");
		strcat(p, ".");
		if ((r = only_keys(o, p, keys, PK_ARRAY_SIZE(keys), err)) ||
		    (r = get_str(o, p, "name", false, &in->name, err)) ||
		    (r = get_str(o, p, "version", false, &in->version, err)) ||
		    (r = get_hex64(o, p, "sha256", false, in->sha256, NULL, err)))
			return r;
	}
	return 0;
}

static int parse_artifact(struct json_object *o, const char *pre, struct pk_index_artifact *a,
			  struct pk_error *err)
{
	static const char *const keys[] = {
		"path", "size", "sha256", "kind", "probe_version", "kernel", "build", "verification",
	};
	static const char *const kkeys[] = {
		"target", "kernelrelease", "kernelversion", "os_id", "version_id", "arch", "uname_r",
	};
	static const char *const bkeys[] = { "record", "compiler", "log_sha256", "seconds", "inputs" };
	static const char *const vkeys[] = { "state", "kernel", "mode", "date", "reason" };
	struct json_object *k, *b, *v, *in;
	char p[96];
	int r;

	if ((r = only_keys(o, pre, keys, PK_ARRAY_SIZE(keys), err)) ||
	    (r = get_str(o, pre, "path", false, &a->path, err)) ||
	    (r = get_u64(o, pre, "size", &a->size, err)) ||
	    (r = get_hex64(o, pre, "sha256", false, a->sha256, NULL, err)) ||
	    (r = get_str(o, pre, "kind", false, &a->kind, err)) ||
	    (r = get_str(o, pre, "probe_version", true, &a->probe_version, err)))
		return r;
	if ((r = get(o, pre, "kernel", json_type_object, false, &k, err)))
		return r;
	snprintf(p, sizeof(p), "%skernel.", pre);
	if ((r = only_keys(k, p, kkeys, PK_ARRAY_SIZE(kkeys), err)) ||
	    (r = get_str(k, p, "target", true, &a->target, err)) ||
	    (r = get_str(k, p, "kernelrelease", true, &a->kernelrelease, err)) ||
	    (r = get_str(k, p, "kernelversion", true, &a->kernelversion, err)) ||
	    (r = get_str(k, p, "os_id", true, &a->os_id, err)) ||
	    (r = get_str(k, p, "version_id", true, &a->version_id, err)) ||
	    (r = get_str(k, p, "arch", true, &a->arch, err)) ||
	    (r = get_str(k, p, "uname_r", true, &a->uname_r, err)))
		return r;
	if ((r = get(o, pre, "build", json_type_object, false, &b, err)))
		return r;
	snprintf(p, sizeof(p), "%sbuild.", pre);
	if ((r = only_keys(b, p, bkeys, PK_ARRAY_SIZE(bkeys), err)) ||
	    (r = get_str(b, p, "record", true, &a->record, err)) ||
	    (r = get_str(b, p, "compiler", true, &a->compiler, err)))
		return r;
	{
		char h[65];
		bool have;

		if ((r = get_hex64(b, p, "log_sha256", true, h, &have, err)))
			return r;
		if (have && !(a->log_sha256 = strdup(h)))
			return pk_error__set(err, -ENOMEM, "out of memory");
	}
	if ((r = get_seconds(b, p, "seconds", &a->seconds, err)) ||
	    (r = get(b, p, "inputs", json_type_array, false, &in, err)) ||
	    (r = parse_inputs(in, p, a, err)))
		return r;
	if ((r = get(o, pre, "verification", json_type_object, false, &v, err)))
		return r;
	snprintf(p, sizeof(p), "%sverification.", pre);
	if ((r = only_keys(v, p, vkeys, PK_ARRAY_SIZE(vkeys), err)) ||
	    (r = get_str(v, p, "state", false, &a->verification.state, err)) ||
	    (r = get_str(v, p, "kernel", true, &a->verification.kernel, err)) ||
	    (r = get_str(v, p, "mode", true, &a->verification.mode, err)) ||
	    (r = get_str(v, p, "date", true, &a->verification.date, err)) ||
	    (r = get_str(v, p, "reason", true, &a->verification.reason, err)))
		return r;
	/* the model's own rules (path, kind, probe version, what a kind needs) */
	r = pk_index_artifact__check(a, err);
	if (r)
		return pk_error__set(err, r, "%s%s", pre, pk_error__str(err));
	return 0;
}

static int parse_failure(struct json_object *o, const char *pre, struct pk_index_failure *f,
			 struct pk_error *err)
{
	static const char *const keys[] = {
		"key", "kind", "probe_version", "stage", "reason", "record", "log_tail",
	};
	int r;

	if ((r = only_keys(o, pre, keys, PK_ARRAY_SIZE(keys), err)) ||
	    (r = get_str(o, pre, "key", false, &f->key, err)) ||
	    (r = get_str(o, pre, "kind", false, &f->kind, err)) ||
	    (r = get_str(o, pre, "probe_version", true, &f->probe_version, err)) ||
	    (r = get_str(o, pre, "stage", false, &f->stage, err)) ||
	    (r = get_str(o, pre, "reason", false, &f->reason, err)) ||
	    (r = get_str(o, pre, "record", true, &f->record, err)) ||
	    (r = get_str(o, pre, "log_tail", true, &f->log_tail, err)))
		return r;
	r = failure_check(f, err);
	if (r)
		return pk_error__set(err, r, "%s%s", pre, pk_error__str(err));
	return 0;
}

static int cmp_failure_idx(const void *x, const void *y, void *base)
{
	const struct pk_index_failure *f = base;
	size_t a = *(const size_t *)x, b = *(const size_t *)y;
	int c = cmp_failure(&f[a], &f[b]);

	return c ? c : (a > b) - (a < b);
}

/* duplicates by position, reported by the later index (sorting a permutation:
 * O(n log n) where a pairwise check would be quadratic) */
static int check_failure_dups(const struct pk_index *ix, struct pk_error *err)
{
	size_t *idx;
	int r = 0;

	if (ix->nr_failures < 2)
		return 0;
	idx = malloc(ix->nr_failures * sizeof(*idx));
	if (!idx)
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < ix->nr_failures; i++)
		idx[i] = i;
	qsort_r(idx, ix->nr_failures, sizeof(*idx), cmp_failure_idx, ix->failures);
	for (size_t i = 1; i < ix->nr_failures && !r; i++)
		if (!cmp_failure(&ix->failures[idx[i - 1]], &ix->failures[idx[i]]))
			r = pk_error__set(err, -EBADMSG,
					  "failures[%zu]: same key, kind and probe_version as failures[%zu]",
					  idx[i], idx[i - 1]);
	free(idx);
	return r;
}

static int parse_root(struct json_object *root, struct pk_index *ix, struct pk_error *err)
{
	static const char *const keys[] = {
		"schema", "version", "generated", "expires", "next_key", "artifacts", "failures",
	};
	struct json_object *v, *arr;
	char *schema = NULL;
	size_t n;
	int r;

	if ((r = only_keys(root, "", keys, PK_ARRAY_SIZE(keys), err)) ||
	    (r = get_str(root, "", "schema", false, &schema, err)))
		return r;
	r = strcmp(schema, PK_INDEX_SCHEMA);
	free(schema);
	if (r)
		return bad(err, "", "schema", "not " PK_INDEX_SCHEMA);
	if ((r = get_u64(root, "", "version", &ix->version, err)) ||
	    (r = get_i64(root, "", "generated", &ix->generated, err)) ||
	    (r = get_i64(root, "", "expires", &ix->expires, err)))
		return r;
	if (ix->version < 1)
		return bad(err, "", "version", "less than 1");
	if (ix->generated < 0)
		return bad(err, "", "generated", "negative");
	if (ix->expires <= ix->generated)
		return bad(err, "", "expires", "not after generated");
	if ((r = get(root, "", "next_key", json_type_object, true, &v, err)))
		return r;
	if (v) {
		static const char *const nk[] = { "key", "signature" };

		if ((r = only_keys(v, "next_key.", nk, 2, err)) ||
		    (r = get_str(v, "next_key.", "key", false, &ix->next_key, err)) ||
		    (r = get_str(v, "next_key.", "signature", false, &ix->next_key_sig, err)))
			return r;
	}

	if ((r = get(root, "", "artifacts", json_type_array, false, &arr, err)))
		return r;
	n = json_object_array_length(arr);
	if (n) {
		ix->artifacts = calloc(cap_of(n), sizeof(*ix->artifacts));
		if (!ix->artifacts)
			return pk_error__set(err, -ENOMEM, "out of memory");
		if (map_rebuild(ix, n))
			return pk_error__set(err, -ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct pk_index_artifact *a = &ix->artifacts[i];
		char pre[48];
		ssize_t dup;

		snprintf(pre, sizeof(pre), "artifacts[%zu]", i);
		if (!json_object_is_type(o, json_type_object))
			return bad(err, pre, "", "not an object");
		strcat(pre, ".");
		ix->nr_artifacts = i + 1;	/* so that a half-parsed one is freed */
		if ((r = parse_artifact(o, pre, a, err)))
			return r;
		ix->nr_artifacts = i;
		dup = map_find(ix, a->path);
		ix->nr_artifacts = i + 1;
		if (dup >= 0)
			return pk_error__set(err, -EBADMSG, "%spath: '%s' already at artifacts[%zd]",
					     pre, a->path, dup);
		map_put(ix->map, a->path, i);
	}

	if ((r = get(root, "", "failures", json_type_array, false, &arr, err)))
		return r;
	n = json_object_array_length(arr);
	if (n && !(ix->failures = calloc(cap_of(n), sizeof(*ix->failures))))
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		char pre[48];

		snprintf(pre, sizeof(pre), "failures[%zu]", i);
		if (!json_object_is_type(o, json_type_object))
			return bad(err, pre, "", "not an object");
		strcat(pre, ".");
		ix->nr_failures = i + 1;
		if ((r = parse_failure(o, pre, &ix->failures[i], err)))
			return r;
	}
	return check_failure_dups(ix, err);
}

int pk_index__parse_opts(const void *data, size_t len, const struct pk_index_parse_opts *opts,
			 struct pk_index **out, struct pk_error *err)
{
	struct json_object *root;
	struct pk_index *ix;
	int r;

	*out = NULL;
	if (!PK_OPTS_VALID(opts, struct pk_index_parse_opts))
		return pk_error__set(err, -EINVAL, "bad options");
	r = pk_index__json_object(data, len, PK_OPTS_GET(opts, max_len, 0) ?: PK_INDEX_MAX_LEN, JSON_DEPTH, "index", &root,
		     err);
	if (r)
		return r;
	ix = pk_index__new();
	if (!ix) {
		json_object_put(root);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	r = parse_root(root, ix, err);
	json_object_put(root);
	if (r) {
		pk_index__free(ix);
		return r;
	}
	*out = ix;
	return 0;
}

int pk_index__parse(const void *data, size_t len, struct pk_index **ix, struct pk_error *err)
{
	return pk_index__parse_opts(data, len, NULL, ix, err);
}

int pk_index__load(const char *path, struct pk_index **ix, struct pk_error *err)
{
	char *data;
	size_t len;
	int r;

	*ix = NULL;
	r = pk_file__read(path, &data, &len, PK_INDEX_MAX_LEN);
	if (r == -EFBIG)
		return pk_error__set(err, r, "'%s': larger than %u bytes", path, PK_INDEX_MAX_LEN);
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	r = pk_index__parse(data, len, ix, err);
	free(data);
	if (r)
		pk_error__set(err, r, "%s: %s", path, pk_error__str(err));
	return r;
}

int pk_index__save(struct pk_index *ix, const char *path, struct pk_error *err)
{
	struct pk_json j;
	int r;

	pk_json__init(&j, true);
	pk_index__write(ix, &j);
	if (j.err) {
		r = j.err;
		pk_json__free(&j);
		return pk_error__set(err, r, "cannot write the index: %s", strerror(-r));
	}
	r = pk_file__write_atomic(path, j.buf, j.len);
	pk_json__free(&j);
	if (r)
		return pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
	return 0;
}

/* ---- build records ---- */

struct record {
	char *key, *pv, *target, *kernelrelease, *kernelversion, *os_id, *version_id, *machine,
		*uname_r, *compiler, *log_tail, *path;
	char log_sha256[65];
	struct rec_input {
		char *role, *name, *version;
		char sha256[65];
		bool has_sha;
	} *inputs;
	size_t nr_inputs;
};

static void record_free(struct record *c)
{
	char **s[] = { &c->key, &c->pv, &c->target, &c->kernelrelease, &c->kernelversion,
		       &c->os_id, &c->version_id, &c->machine, &c->uname_r, &c->compiler,
		       &c->log_tail, &c->path };

	for (size_t i = 0; i < PK_ARRAY_SIZE(s); i++)
		free(*s[i]);
	for (size_t i = 0; i < c->nr_inputs; i++) {
		free(c->inputs[i].role);
		free(c->inputs[i].name);
		free(c->inputs[i].version);
	}
	free(c->inputs);
}

/* the optional field key: absent or null leave *out NULL */
static int get_opt_str(struct json_object *o, const char *pre, const char *key, char **out,
		       struct pk_error *err)
{
	*out = NULL;
	if (!json_object_object_get_ex(o, key, NULL))
		return 0;
	return get_str(o, pre, key, true, out, err);
}

static int sdup(char **dst, const char *s)
{
	*dst = NULL;
	if (s && !(*dst = strdup(s)))
		return -ENOMEM;
	return 0;
}

/* which inputs an artifact was built from: headers for the legacy object, the
 * image (its vmlinux BTF) for both BTF kinds */
static const char *input_role(const char *kind)
{
	if (!strcmp(kind, "legacy-object"))
		return "headers";
	if (!strcmp(kind, "reduced-btf") || !strcmp(kind, "full-btf"))
		return "image";
	return NULL;
}

static int record_artifact(const struct record *c, struct json_object *o, const char *pre,
			   struct pk_index_artifact *a, struct pk_error *err)
{
	const char *role;
	size_t n = 0;
	int r;

	if ((r = get_str(o, pre, "kind", false, &a->kind, err)) ||
	    (r = get_str(o, pre, "path", false, &a->path, err)) ||
	    (r = get_u64(o, pre, "size", &a->size, err)) ||
	    (r = get_hex64(o, pre, "sha256", false, a->sha256, NULL, err)) ||
	    (r = get_seconds(o, pre, "seconds", &a->seconds, err)))
		return r;
	if (sdup(&a->probe_version, strcmp(a->kind, "full-btf") ? c->pv : NULL) ||
	    sdup(&a->target, c->target) || sdup(&a->kernelrelease, c->kernelrelease) ||
	    sdup(&a->kernelversion, c->kernelversion) || sdup(&a->os_id, c->os_id) ||
	    sdup(&a->version_id, c->version_id) || sdup(&a->arch, c->machine) ||
	    sdup(&a->uname_r, c->uname_r) || sdup(&a->record, c->path) ||
	    sdup(&a->compiler, strcmp(a->kind, "legacy-object") ? NULL : c->compiler) ||
	    sdup(&a->log_sha256, c->log_sha256))
		return pk_error__set(err, -ENOMEM, "out of memory");
	role = input_role(a->kind);
	for (size_t i = 0; i < c->nr_inputs; i++)
		n += !role || !strcmp(c->inputs[i].role, role);
	if (n && !(a->inputs = calloc(n, sizeof(*a->inputs))))
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < c->nr_inputs; i++) {
		const struct rec_input *in = &c->inputs[i];
		struct pk_index_input *d;

		if (role && strcmp(in->role, role))
			continue;
		/* a package the build used was checked against this digest */
		if (!in->has_sha)
			return pk_error__set(err, -EBADMSG,
					     "inputs[%zu].sha256: null, but %s was built from it", i,
					     a->kind);
		d = &a->inputs[a->nr_inputs++];
		if (sdup(&d->name, in->name) || sdup(&d->version, in->version))
			return pk_error__set(err, -ENOMEM, "out of memory");
		memcpy(d->sha256, in->sha256, 65);
	}
	r = pk_index_artifact__check(a, err);
	if (r)
		return pk_error__set(err, r, "%s%s", pre, pk_error__str(err));
	{
		/* a record may only claim the path its kernel's names give: a shard
		 * (which holds no key) cannot publish under another kernel's name */
		struct pk_kernel k = { .target = a->target, .kernelrelease = a->kernelrelease,
				       .kernelversion = a->kernelversion, .os_id = a->os_id,
				       .version_id = a->version_id, .machine = a->arch,
				       .uname_r = a->uname_r };
		enum pk_artifact_kind kind = !strcmp(a->kind, "legacy-object") ? PK_ART_LEGACY :
					     !strcmp(a->kind, "reduced-btf") ? PK_ART_REDUCED_BTF :
					     !strcmp(a->kind, "full-btf") ? PK_ART_FULL_BTF : PK_ART__MAX;
		char want[4096];

		if (kind == PK_ART__MAX || pk_artifact__path(kind, &k, c->pv, want, sizeof(want)) ||
		    strcmp(want, a->path))
			return pk_error__set(err, -EBADMSG, "%spath: '%s' is not where a %s of %s goes%s%s%s",
					     pre, a->path, a->kind, c->key, kind == PK_ART__MAX ? "" : " ('",
					     kind == PK_ART__MAX ? "" : want, kind == PK_ART__MAX ? "" : "')");
	}
	return 0;
}

static int record_failure(const struct record *c, struct json_object *o, const char *pre,
			  struct pk_index_failure *f, struct pk_error *err)
{
	char *path = NULL;
	int r;

	if ((r = get_str(o, pre, "kind", false, &f->kind, err)) ||
	    (r = get_str(o, pre, "path", true, &path, err)) ||
	    (r = get_str(o, pre, "stage", false, &f->stage, err)) ||
	    (r = get_str(o, pre, "reason", false, &f->reason, err)))
		goto out;
	if (path && (r = pk_index__check_path(path, err))) {
		pk_error__set(err, r, "%spath: %s", pre, pk_error__str(err));
		goto out;
	}
	if (sdup(&f->key, c->key) || sdup(&f->record, c->path) || sdup(&f->log_tail, c->log_tail) ||
	    sdup(&f->probe_version, strcmp(f->kind, "full-btf") ? c->pv : NULL)) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	r = failure_check(f, err);
	if (r)
		pk_error__set(err, r, "%s%s", pre, pk_error__str(err));
out:
	free(path);
	return r;
}

static void empty_to_null(char **s)
{
	if (*s && !**s) {
		free(*s);
		*s = NULL;
	}
}

static int record_header(struct json_object *root, struct record *c, struct pk_error *err)
{
	struct json_object *arr;
	char *schema = NULL, *want = NULL;
	size_t n;
	int r;

	if ((r = get_str(root, "", "schema", false, &schema, err)))
		return r;
	r = strcmp(schema, PK_BUILD_RECORD_SCHEMA);
	free(schema);
	if (r)
		return bad(err, "", "schema", "not " PK_BUILD_RECORD_SCHEMA);
	if ((r = get_str(root, "", "key", false, &c->key, err)) ||
	    (r = get_str(root, "", "probe_version", false, &c->pv, err)) ||
	    (r = get_str(root, "", "target", false, &c->target, err)) ||
	    (r = get_str(root, "", "kernelrelease", false, &c->kernelrelease, err)) ||
	    (r = get_str(root, "", "kernelversion", false, &c->kernelversion, err)) ||
	    (r = get_str(root, "", "os_id", true, &c->os_id, err)) ||
	    (r = get_str(root, "", "version_id", true, &c->version_id, err)) ||
	    (r = get_str(root, "", "machine", false, &c->machine, err)) ||
	    (r = get_str(root, "", "uname_r", true, &c->uname_r, err)) ||
	    (r = get_str(root, "", "compiler", true, &c->compiler, err)) ||
	    (r = get_hex64(root, "", "log_sha256", false, c->log_sha256, NULL, err)) ||
	    (r = get_opt_str(root, "", "log_tail", &c->log_tail, err)))
		return r;
	/* a local build may not know these: only the BTF kinds need them, and
	 * pk_index_artifact__check says so for an artifact that lacks one */
	empty_to_null(&c->os_id);
	empty_to_null(&c->version_id);
	empty_to_null(&c->uname_r);
	if (!valid_component(c->pv))
		return bad(err, "", "probe_version", "not one path component");
	/* build.c writes the key as target:kernelrelease; the failures are found by it */
	if (asprintf(&want, "%s:%s", c->target, c->kernelrelease) < 0)
		return pk_error__set(err, -ENOMEM, "out of memory");
	r = strcmp(want, c->key);
	free(want);
	if (r)
		return bad(err, "", "key", "not target:kernelrelease");
	if (asprintf(&c->path, "_build/%s/%s_%s.json", c->pv, c->target, c->kernelrelease) < 0) {
		c->path = NULL;
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	if ((r = pk_index__check_path(c->path, err)))
		return pk_error__set(err, r, "record path %s", pk_error__str(err));

	if ((r = get(root, "", "inputs", json_type_array, false, &arr, err)))
		return r;
	n = json_object_array_length(arr);
	if (n && !(c->inputs = calloc(n, sizeof(*c->inputs))))
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		struct rec_input *in = &c->inputs[i];
		char pre[48];

		snprintf(pre, sizeof(pre), "inputs[%zu]", i);
		if (!json_object_is_type(o, json_type_object))
			return bad(err, pre, "", "not an object");
		strcat(pre, ".");
		c->nr_inputs = i + 1;
		if ((r = get_str(o, pre, "role", false, &in->role, err)) ||
		    (r = get_str(o, pre, "name", false, &in->name, err)) ||
		    (r = get_str(o, pre, "version", false, &in->version, err)) ||
		    (r = get_hex64(o, pre, "sha256", true, in->sha256, &in->has_sha, err)))
			return r;
	}
	return 0;
}

int pk_index__add_record(struct pk_index *ix, const void *data, size_t len, struct pk_error *err)
{
	struct pk_index_artifact *arts = NULL;
	struct pk_index_failure *fails = NULL;
	size_t nr_arts = 0, nr_fails = 0, n;
	struct record c = { 0 };
	struct json_object *root, *arr;
	int r;

	/* a record is a few KiB; the log tail is its largest part */
	r = pk_index__json_object(data, len, 16u << 20, JSON_DEPTH, "record", &root, err);
	if (r)
		return r;
	r = record_header(root, &c, err);
	if (r)
		goto out;
	if ((r = get(root, "", "artifacts", json_type_array, false, &arr, err)))
		goto out;
	n = json_object_array_length(arr);
	arts = calloc(n + 1, sizeof(*arts));
	fails = calloc(n + 1, sizeof(*fails));
	if (!arts || !fails) {
		r = pk_error__set(err, -ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		char pre[48], *status = NULL;

		snprintf(pre, sizeof(pre), "artifacts[%zu]", i);
		if (!json_object_is_type(o, json_type_object)) {
			r = bad(err, pre, "", "not an object");
			goto out;
		}
		strcat(pre, ".");
		if ((r = get_str(o, pre, "status", false, &status, err)))
			goto out;
		if (!strcmp(status, "ok"))
			r = record_artifact(&c, o, pre, &arts[nr_arts++], err);
		else if (!strcmp(status, "failed"))
			r = record_failure(&c, o, pre, &fails[nr_fails++], err);
		else
			r = bad(err, pre, "status", "not ok or failed");
		free(status);
		if (r)
			goto out;
	}
	/* all of it is good: now it goes in (only memory can fail from here) */
	for (size_t i = 0; i < nr_fails && !r; i++)
		r = pk_index__add_failure(ix, &fails[i], err);
	for (size_t i = 0; i < nr_arts && !r; i++)
		r = pk_index__add_artifact(ix, &arts[i], err);
out:
	for (size_t i = 0; i < nr_arts; i++)
		pk_index_artifact__clear(&arts[i]);
	for (size_t i = 0; i < nr_fails; i++)
		pk_index_failure__clear(&fails[i]);
	free(arts);
	free(fails);
	record_free(&c);
	json_object_put(root);
	return r;
}
