/* Verification records (verification.h): written by the farm after its boots,
 * read by `repo index`, which marks the artifacts they name. The reader treats a
 * record as outside input: json-c through pk_index__json_object (bounded), every
 * field typed, unknown keys refused, nothing applied unless all of it is good. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "common/json.h"
#include "common/pk.h"
#include "common/sha256.h"
#include "repo/verification.h"

#define RESULTS_MAX 64
#define FIELD_MAX 1024		/* path, kernel, mode, date; reason up to 4 KiB */

/* printable ASCII, newline and tab; anything else (a console's escape sequences,
 * bytes that are not UTF-8) becomes '?' so the index stays valid UTF-8 */
static char *clean(const char *s, size_t max)
{
	size_t n = s ? strnlen(s, max) : 0;
	char *o;

	if (!s)
		return NULL;
	if (strlen(s) > max)	/* the last lines are the ones worth keeping */
		s += strlen(s) - max;
	o = malloc(n + 1);
	if (!o)
		return NULL;
	for (size_t i = 0; i < n; i++)
		o[i] = (s[i] >= 0x20 && s[i] < 0x7f) || s[i] == '\n' || s[i] == '\t' ? s[i] : '?';
	o[n] = 0;
	return o;
}

static bool state_ok(const char *s)
{
	return s && (!strcmp(s, "verified") || !strcmp(s, "failed"));
}


int pk_verification__write(const char *repo, const char *pv, const char *target,
			   const char *kernelrelease, const struct pk_verification *v, size_t n,
			   char *rel, size_t rel_len, struct pk_error *err)
{
	char r[1024], path[PATH_MAX + 1100];
	struct pk_json j;
	int rc;

	if (!repo || !pv || !target || !kernelrelease || (n && !v) || n > RESULTS_MAX)
		return pk_error__set(err, -EINVAL, "verification record: bad arguments");
	for (size_t i = 0; i < n; i++)
		if (!v[i].path || !pk_sha256__is_hex(v[i].sha256) || !state_ok(v[i].state))
			return pk_error__set(err, -EINVAL, "verification record: result %zu is incomplete", i);
	if ((size_t)snprintf(r, sizeof(r), PK_VERIFICATION_DIR "/%s/%s_%s.json", pv, target, kernelrelease) >=
	    sizeof(r))
		return pk_error__set(err, -ENAMETOOLONG, "verification record: path too long");
	if (pk_index__check_path(r, err))
		return pk_error__set(err, -EINVAL, "verification record path: %s", pk_error__str(err));
	snprintf(path, sizeof(path), "%s/%s", repo, r);
	rc = pk_file__mkdirs(path, false);
	if (rc)
		return pk_error__set(err, rc, "cannot create the directory of '%s': %s", path, strerror(-rc));

	pk_json__init(&j, true);
	pk_json__obj_begin(&j);
	pk_json__kv_str(&j, "schema", PK_VERIFICATION_SCHEMA);
	pk_json__kv_str(&j, "probe_version", pv);
	pk_json__kv_str(&j, "target", target);
	pk_json__kv_str(&j, "kernelrelease", kernelrelease);
	pk_json__key(&j, "results");
	pk_json__arr_begin(&j);
	for (size_t i = 0; i < n; i++) {
		char *reason = clean(v[i].reason, PK_VERIFICATION_TAIL_MAX);
		char *tail = clean(v[i].console_tail, PK_VERIFICATION_TAIL_MAX);

		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "path", v[i].path);
		pk_json__kv_str(&j, "sha256", v[i].sha256);
		pk_json__kv_str(&j, "state", v[i].state);
		pk_json__kv_str(&j, "kernel", v[i].kernel);
		pk_json__kv_str(&j, "mode", v[i].mode);
		pk_json__kv_str(&j, "date", v[i].date);
		pk_json__kv_str(&j, "reason", reason);
		pk_json__kv_str(&j, "console_tail", tail);
		pk_json__obj_end(&j);
		free(reason);
		free(tail);
	}
	pk_json__arr_end(&j);
	pk_json__obj_end(&j);
	if (j.err) {
		pk_json__free(&j);
		return pk_error__set(err, -ENOMEM, "out of memory");
	}
	rc = pk_file__write_atomic(path, j.buf, j.len);
	pk_json__free(&j);
	if (rc)
		return pk_error__set(err, rc, "cannot write '%s': %s", path, strerror(-rc));
	if (rel)
		pk_strlcpy(rel, r, rel_len);
	return 0;
}

/* key of o as a string (NULL allowed when nullable); -EBADMSG naming it */
static int str_field(struct json_object *o, const char *pre, const char *key, bool nullable,
		     size_t max, const char **out, struct pk_error *err)
{
	struct json_object *v;

	*out = NULL;
	if (!json_object_object_get_ex(o, key, &v))
		return pk_error__set(err, -EBADMSG, "verification record: %s%s: missing", pre, key);
	if (!v && nullable)
		return 0;
	if (!json_object_is_type(v, json_type_string))
		return pk_error__set(err, -EBADMSG, "verification record: %s%s: not a string%s", pre, key,
				     nullable ? " or null" : "");
	if ((size_t)json_object_get_string_len(v) > max ||
	    strlen(json_object_get_string(v)) != (size_t)json_object_get_string_len(v))
		return pk_error__set(err, -EBADMSG, "verification record: %s%s: longer than %zu bytes or holds NUL",
				     pre, key, max);
	if (!pk_index__valid_utf8(json_object_get_string(v), json_object_get_string_len(v)))
		return pk_error__set(err, -EBADMSG, "verification record: %s%s: not valid UTF-8", pre, key);
	*out = json_object_get_string(v);
	return 0;
}

static int only_keys(struct json_object *o, const char *pre, const char *const *keys, size_t n,
		     struct pk_error *err)
{
	json_object_object_foreach(o, k, val) {
		size_t i;

		(void)val;
		for (i = 0; i < n && strcmp(k, keys[i]); i++)
			;
		if (i == n)
			return pk_error__set(err, -EBADMSG, "verification record: %sunknown key '%.60s'", pre, k);
	}
	return 0;
}

int pk_verification__apply(struct pk_index *ix, const void *data, size_t len, const char *record,
			    size_t *applied, struct pk_error *err)
{
	static const char *const top_keys[] = { "schema", "probe_version", "target", "kernelrelease", "results" };
	static const char *const res_keys[] = { "path", "sha256", "state", "kernel", "mode", "date", "reason",
						"console_tail" };
	struct json_object *root, *arr;
	struct pk_verification v[RESULTS_MAX];
	const char *s;
	size_t n, done = 0;
	int r;

	if (applied)
		*applied = 0;
	r = pk_index__json_object(data, len, PK_VERIFICATION_MAX_LEN, 8, "verification record", &root, err);
	if (r)
		return r;
	if ((r = only_keys(root, "", top_keys, PK_ARRAY_SIZE(top_keys), err)) ||
	    (r = str_field(root, "", "schema", false, 64, &s, err)))
		goto out;
	if (strcmp(s, PK_VERIFICATION_SCHEMA)) {
		r = pk_error__set(err, -EBADMSG, "verification record: schema: not %s", PK_VERIFICATION_SCHEMA);
		goto out;
	}
	if ((r = str_field(root, "", "probe_version", false, FIELD_MAX, &s, err)) ||
	    (r = str_field(root, "", "target", false, FIELD_MAX, &s, err)) ||
	    (r = str_field(root, "", "kernelrelease", false, FIELD_MAX, &s, err)))
		goto out;
	if (!json_object_object_get_ex(root, "results", &arr) || !json_object_is_type(arr, json_type_array)) {
		r = pk_error__set(err, -EBADMSG, "verification record: results: missing or not an array");
		goto out;
	}
	n = json_object_array_length(arr);
	if (n > RESULTS_MAX) {
		r = pk_error__set(err, -EBADMSG, "verification record: more than %d results", RESULTS_MAX);
		goto out;
	}
	/* every result checked before any is applied */
	for (size_t i = 0; i < n; i++) {
		struct json_object *o = json_object_array_get_idx(arr, i);
		char pre[32];

		snprintf(pre, sizeof(pre), "results[%zu].", i);
		if (!json_object_is_type(o, json_type_object)) {
			r = pk_error__set(err, -EBADMSG, "verification record: %s not an object", pre);
			goto out;
		}
		if ((r = only_keys(o, pre, res_keys, PK_ARRAY_SIZE(res_keys), err)) ||
		    (r = str_field(o, pre, "path", false, PK_INDEX_PATH_MAX, &v[i].path, err)) ||
		    (r = str_field(o, pre, "sha256", false, 64, &v[i].sha256, err)) ||
		    (r = str_field(o, pre, "state", false, 16, &v[i].state, err)) ||
		    (r = str_field(o, pre, "kernel", true, FIELD_MAX, &v[i].kernel, err)) ||
		    (r = str_field(o, pre, "mode", true, FIELD_MAX, &v[i].mode, err)) ||
		    (r = str_field(o, pre, "date", true, FIELD_MAX, &v[i].date, err)) ||
		    (r = str_field(o, pre, "reason", true, PK_VERIFICATION_TAIL_MAX, &v[i].reason, err)) ||
		    (r = str_field(o, pre, "console_tail", true, PK_VERIFICATION_TAIL_MAX, &v[i].console_tail, err)))
			goto out;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(v[k].path, v[i].path)) {
				r = pk_error__set(err, -EBADMSG, "verification record: %spath: listed twice", pre);
				goto out;
			}
		if (!pk_sha256__is_hex(v[i].sha256) || !state_ok(v[i].state)) {
			r = pk_error__set(err, -EBADMSG, "verification record: %s%s", pre,
					  !pk_sha256__is_hex(v[i].sha256) ? "sha256: not 64 lower-case hex digits"
							      : "state: not verified or failed");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		struct pk_index_artifact *a = pk_index__find(ix, v[i].path);
		char *reason = NULL;

		if (!a || strcmp(a->sha256, v[i].sha256))
			continue;	/* rebuilt since, or not published */
		if (v[i].reason && asprintf(&reason, "%s%s%s%s", v[i].reason,
					    v[i].console_tail && record ? " (console: " : "",
					    v[i].console_tail && record ? record : "",
					    v[i].console_tail && record ? ")" : "") < 0) {
			r = pk_error__set(err, -ENOMEM, "out of memory");
			goto out;
		}
		r = pk_index_artifact__set_verification(a, v[i].state, v[i].kernel, v[i].mode, v[i].date, reason);
		free(reason);
		if (r) {
			r = pk_error__set(err, -ENOMEM, "out of memory");
			goto out;
		}
		done++;
	}
	if (applied)
		*applied = done;
out:
	json_object_put(root);
	return r;
}
