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

void pk_json__init(struct pk_json *j, bool pretty);
void pk_json__free(struct pk_json *j);
void pk_json__reset(struct pk_json *j);	/* keep the buffer, drop the text */

void pk_json__obj_begin(struct pk_json *j);
void pk_json__obj_end(struct pk_json *j);
void pk_json__arr_begin(struct pk_json *j);
void pk_json__arr_end(struct pk_json *j);
void pk_json__key(struct pk_json *j, const char *key);

void pk_json__str(struct pk_json *j, const char *s);
void pk_json__strn(struct pk_json *j, const char *s, size_t n);	/* stops at NUL too */
void pk_json__int(struct pk_json *j, int64_t v);
void pk_json__uint(struct pk_json *j, uint64_t v);
void pk_json__double(struct pk_json *j, double v);
void pk_json__bool(struct pk_json *j, bool v);
void pk_json__null(struct pk_json *j);

void pk_json__kv_str(struct pk_json *j, const char *k, const char *v);	/* NULL -> null */
void pk_json__kv_int(struct pk_json *j, const char *k, int64_t v);
void pk_json__kv_uint(struct pk_json *j, const char *k, uint64_t v);
void pk_json__kv_double(struct pk_json *j, const char *k, double v);
void pk_json__kv_bool(struct pk_json *j, const char *k, bool v);

/* append raw text (no separators) */
void pk_json__raw(struct pk_json *j, const char *s, size_t n);

#endif
