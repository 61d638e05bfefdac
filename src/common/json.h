/* A small JSON writer into a growable buffer (bpftool's json_writer, reduced).
 * Errors (out of memory) are sticky in ->err; the text is valid UTF-8-escaped. */
#ifndef PK_JSON_H
#define PK_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PK_JSON_MAX_DEPTH 32

struct pk_json {
	char *buf;
	size_t len, cap;
	int depth;
	int err;
	bool pretty;
	bool first[PK_JSON_MAX_DEPTH];
	bool after_key;
};

void pk_json_init(struct pk_json *j, bool pretty);
void pk_json_free(struct pk_json *j);
void pk_json_reset(struct pk_json *j);	/* keep the buffer, drop the text */

void pk_json_obj_begin(struct pk_json *j);
void pk_json_obj_end(struct pk_json *j);
void pk_json_arr_begin(struct pk_json *j);
void pk_json_arr_end(struct pk_json *j);
void pk_json_key(struct pk_json *j, const char *key);

void pk_json_str(struct pk_json *j, const char *s);
void pk_json_strn(struct pk_json *j, const char *s, size_t n);	/* stops at NUL too */
void pk_json_int(struct pk_json *j, int64_t v);
void pk_json_uint(struct pk_json *j, uint64_t v);
void pk_json_double(struct pk_json *j, double v);
void pk_json_bool(struct pk_json *j, bool v);
void pk_json_null(struct pk_json *j);

void pk_json_kv_str(struct pk_json *j, const char *k, const char *v);	/* NULL -> null */
void pk_json_kv_int(struct pk_json *j, const char *k, int64_t v);
void pk_json_kv_uint(struct pk_json *j, const char *k, uint64_t v);
void pk_json_kv_double(struct pk_json *j, const char *k, double v);
void pk_json_kv_bool(struct pk_json *j, const char *k, bool v);

/* append raw text (no separators) */
void pk_json_raw(struct pk_json *j, const char *s, size_t n);

#endif
