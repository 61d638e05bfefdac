/* JSON writer: escapes control characters and non-UTF-8 bytes (as \u00XX) so
 * that anything a kernel hands us (paths, argv) becomes valid JSON. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"

void pk_json__init(struct pk_json *j, bool pretty)
{
	memset(j, 0, sizeof(*j));
	j->pretty = pretty;
	j->first[0] = true;
}

void pk_json__free(struct pk_json *j)
{
	free(j->buf);
	memset(j, 0, sizeof(*j));
}

void pk_json__reset(struct pk_json *j)
{
	j->len = 0;
	if (j->buf)
		j->buf[0] = 0;
	j->depth = 0;
	j->err = 0;
	j->after_key = false;
	j->first[0] = true;
}

static __attribute__((noinline)) int grow(struct pk_json *j, size_t n)
{
	size_t cap = j->cap ? j->cap : 256;
	char *b;

	while (cap < j->len + n + 1)
		cap *= 2;
	b = realloc(j->buf, cap);
	if (!b) {
		j->err = -ENOMEM;
		return -ENOMEM;
	}
	j->buf = b;
	j->cap = cap;
	return 0;
}

/* the hot path of event encoding: many short pieces per event */
static inline void put(struct pk_json *j, const char *s, size_t n)
{
	char *d;

	if (__builtin_expect(j->len + n + 1 > j->cap, 0) && (j->err || grow(j, n)))
		return;
	d = j->buf + j->len;
	if (n <= 16) {
		for (size_t i = 0; i < n; i++)
			d[i] = s[i];
	} else {
		memcpy(d, s, n);
	}
	j->len += n;
	d[n] = 0;
}

void pk_json__raw(struct pk_json *j, const char *s, size_t n)
{
	put(j, s, n);
}

static void indent(struct pk_json *j)
{
	if (!j->pretty)
		return;
	put(j, "\n", 1);
	for (int i = 0; i < j->depth; i++)
		put(j, "  ", 2);
}

/* separator before a value or key at the current depth */
static void sep(struct pk_json *j)
{
	if (j->after_key) {
		j->after_key = false;
		return;
	}
	if (!j->first[j->depth])
		put(j, ",", 1);
	j->first[j->depth] = false;
	if (j->depth)
		indent(j);
}

static void open_(struct pk_json *j, char c)
{
	sep(j);
	put(j, &c, 1);
	if (j->depth + 1 >= PK_JSON_MAX_DEPTH) {
		j->err = -E2BIG;
		return;
	}
	j->depth++;
	j->first[j->depth] = true;
}

static void close_(struct pk_json *j, char c)
{
	bool empty = j->first[j->depth];

	if (j->depth > 0)
		j->depth--;
	if (!empty)
		indent(j);
	put(j, &c, 1);
}

void pk_json__obj_begin(struct pk_json *j) { open_(j, '{'); }
void pk_json__obj_end(struct pk_json *j) { close_(j, '}'); }
void pk_json__arr_begin(struct pk_json *j) { open_(j, '['); }
void pk_json__arr_end(struct pk_json *j) { close_(j, ']'); }

/* length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static void put_escaped(struct pk_json *j, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;
	char esc[8];

	put(j, "\"", 1);
	while (i < n && s[i]) {
		unsigned char c = s[i];
		size_t ul, run = i;

		/* the common case: a run of plain ASCII, copied at once */
		while (run < n && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' && s[run] != '\\')
			run++;
		if (run > i) {
			put(j, (const char *)s + i, run - i);
			i = run;
			continue;
		}

		switch (c) {
		case '"': put(j, "\\\"", 2); i++; continue;
		case '\\': put(j, "\\\\", 2); i++; continue;
		case '\n': put(j, "\\n", 2); i++; continue;
		case '\t': put(j, "\\t", 2); i++; continue;
		case '\r': put(j, "\\r", 2); i++; continue;
		}
		if (c < 0x20 || c == 0x7f) {
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(j, esc, 6);
			i++;
			continue;
		}
		ul = utf8_len(s + i, n - i);
		if (!ul) {
			/* not UTF-8: keep the byte visible as U+00XX */
			snprintf(esc, sizeof(esc), "\\u%04x", c);
			put(j, esc, 6);
			i++;
			continue;
		}
		put(j, (const char *)s + i, ul);
		i += ul;
	}
	put(j, "\"", 1);
}

void pk_json__key(struct pk_json *j, const char *key)
{
	sep(j);
	put_escaped(j, key, strlen(key));
	put(j, j->pretty ? ": " : ":", j->pretty ? 2 : 1);
	j->after_key = true;
}

void pk_json__str(struct pk_json *j, const char *s)
{
	sep(j);
	put_escaped(j, s, strlen(s));
}

void pk_json__strn(struct pk_json *j, const char *s, size_t n)
{
	sep(j);
	put_escaped(j, s, strnlen(s, n));
}

/* decimal digits of v, right-aligned in b[24]; returns the first one (hot path:
 * several numbers per event, snprintf is the slowest part of encoding) */
static char *u64_digits(uint64_t v, char b[24])
{
	char *p = b + 24;

	do {
		*--p = '0' + v % 10;
		v /= 10;
	} while (v);
	return p;
}

void pk_json__int(struct pk_json *j, int64_t v)
{
	char b[24], *p = u64_digits(v < 0 ? -(uint64_t)v : (uint64_t)v, b);

	if (v < 0)
		*--p = '-';
	sep(j);
	put(j, p, b + 24 - p);
}

void pk_json__uint(struct pk_json *j, uint64_t v)
{
	char b[24], *p = u64_digits(v, b);

	sep(j);
	put(j, p, b + 24 - p);
}

void pk_json__double(struct pk_json *j, double v)
{
	char b[64];
	int n = snprintf(b, sizeof(b), "%.3f", v);

	sep(j);
	put(j, b, n);
}

void pk_json__bool(struct pk_json *j, bool v)
{
	sep(j);
	put(j, v ? "true" : "false", v ? 4 : 5);
}

void pk_json__null(struct pk_json *j)
{
	sep(j);
	put(j, "null", 4);
}

void pk_json__kv_str(struct pk_json *j, const char *k, const char *v)
{
	pk_json__key(j, k);
	if (v)
		pk_json__str(j, v);
	else
		pk_json__null(j);
}

void pk_json__kv_int(struct pk_json *j, const char *k, int64_t v) { pk_json__key(j, k); pk_json__int(j, v); }
void pk_json__kv_uint(struct pk_json *j, const char *k, uint64_t v) { pk_json__key(j, k); pk_json__uint(j, v); }
void pk_json__kv_double(struct pk_json *j, const char *k, double v) { pk_json__key(j, k); pk_json__double(j, v); }
void pk_json__kv_bool(struct pk_json *j, const char *k, bool v) { pk_json__key(j, k); pk_json__bool(j, v); }
