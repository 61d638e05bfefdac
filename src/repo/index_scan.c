/* The agent's reader of index.json: a hand-written JSON walker that checks the
 * syntax json-c's strict mode accepts (byte for byte the same set of documents)
 * and index.c's rules for what it reports, and keeps nothing but a few fixed
 * buffers. It must never refuse an index pk_index__parse accepts (the fuzz target
 * fuzz_index_scan holds it to that), so json-c's quirks are copied on purpose. */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "repo/index.h"
#include "repo/index_scan.h"

/* json-c's json_tokener_new_ex(10) in index.c: the root is at depth 0 and a value
 * at depth 10 is refused, so a container at depth 9 must be empty */
#define DEPTH_MAX 10
#define KEY_MAX 31		/* longer than every key we know: such a key is unknown */
#define BLOOM_BITS (1u << 21)	/* 256 KiB: an unsorted 50,000-artifact index rarely re-reads */
#define BLOOM_K 6

enum jt { JT_NONE, JT_NULL, JT_BOOL, JT_INT, JT_DOUBLE, JT_STR, JT_ARR, JT_OBJ };
#define M(t) (1u << (t))

static const char *const KINDS[] = {
	"legacy-object", "reduced-btf", "full-btf", "core-object", "btf-object",
};
static const char *const STATES[] = { "unverified", "verified", "failed" };

/* a string value or key decoded into a fixed buffer: only ASCII is kept, since
 * every string we report must be ASCII (index.c refuses the rest) */
struct sval {
	char *buf;
	size_t cap, len;	/* cap excludes the terminating NUL */
	bool over;		/* longer than cap */
	bool nul;		/* held an escaped NUL */
	bool wide;		/* held a byte >= 0x80 (raw or escaped) */
	bool key;		/* a key: json-c cuts it at the first NUL */
	bool cut;		/* key cut: the rest is ignored */
	enum jt t;		/* type of the value it was read from; JT_NONE: absent */
};

/* an integer as json-c holds it: strtoll/strtoull, saturating */
struct num {
	bool is_int, neg;
	uint64_t mag;		/* saturates at UINT64_MAX */
};

/* the fields of one artifact, last duplicate key winning as in json-c */
struct art {
	char path_b[PK_INDEX_PATH_MAX + 1], pv_b[PK_INDEX_PATH_MAX + 1], sha_b[65 + 1],
		kind_b[16], state_b[16];
	struct sval path, pv, sha, kind, state;
	struct num size;
	enum jt t[8];			/* each member's type, by AKEYS index */
	const char *sub_bad[8];		/* kernel, build, verification: the key that is not right */
	const unsigned char *sub_unknown[8];	/* or an unknown key there */
};

struct scan {
	const unsigned char *base, *end;
	struct pk_error *err;
	enum jt root_t[7];
	const unsigned char *root_at[7];	/* each root member's value (the last one) */
	/* unique paths */
	char max_path[PK_INDEX_PATH_MAX + 1];
	bool have_max;
	uint64_t *bloom;
	struct art a, back;	/* the artifact read, and the one re-read */
	size_t stop_at;		/* re-reading stops before this artifact */
	const char *want;	/* path looked for while re-reading; NULL: fill the Bloom filter */
	size_t found;
};

static const char *const ROOT_KEYS[] = {
	"schema", "version", "generated", "expires", "next_key", "artifacts", "failures",
};
enum { R_SCHEMA, R_VERSION, R_GENERATED, R_EXPIRES, R_NEXT_KEY, R_ARTIFACTS, R_FAILURES };
static const char *const AKEYS[] = {
	"path", "size", "sha256", "kind", "probe_version", "kernel", "build", "verification",
};
enum { A_PATH, A_SIZE, A_SHA, A_KIND, A_PV, A_KERNEL, A_BUILD, A_VERIF };

/* ---- errors ---- */

/* "byte N (line L, column C)" of at: counted only when there is an error to report */
static const char *where(const struct scan *s, const unsigned char *at, char buf[80])
{
	size_t line = 1;
	const unsigned char *ls = s->base;

	for (const unsigned char *q = s->base; q < at; q++)
		if (*q == '\n') {
			line++;
			ls = q + 1;
		}
	snprintf(buf, 80, "byte %zu (line %zu, column %zu)", (size_t)(at - s->base), line,
		 (size_t)(at - ls) + 1);
	return buf;
}

/* the key at key_at as written, short and printable, for a message */
static const char *key_text(const struct scan *s, const unsigned char *key_at, char buf[48])
{
	size_t n = 0;

	for (const unsigned char *q = key_at + 1; q < s->end && *q != '"' && n < 40; q++)
		buf[n++] = *q >= 0x20 && *q < 0x7f ? (char)*q : '?';
	buf[n] = 0;
	return buf;
}

static int syn(struct scan *s, const unsigned char *at, const char *what)
{
	char w[80];

	if (at >= s->end)
		return pk_error__set(s->err, -EBADMSG, "index: truncated JSON at byte %zu: %s",
				     (size_t)(s->end - s->base), what);
	return pk_error__set(s->err, -EBADMSG, "index: %s: %s", where(s, at, w), what);
}

static int unknown_key(struct scan *s, const unsigned char *key_at, const char *in)
{
	char w[80], k[48];

	return pk_error__set(s->err, -EBADMSG, "index: %s: unknown key '%s' in %s",
			     where(s, key_at, w), key_text(s, key_at, k), in);
}

/* ---- JSON syntax, as json-c's strict tokenizer has it ---- */

static inline bool is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static inline const unsigned char *skip_ws(const unsigned char *p, const unsigned char *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

static void sval_reset(struct sval *v, enum jt t)
{
	v->len = 0;
	v->over = v->nul = v->wide = v->cut = false;
	v->t = t;
	v->buf[0] = 0;
}

static inline void put(struct sval *v, unsigned char c)
{
	if (v->cut)
		return;
	if (!c) {
		if (v->key)
			v->cut = true;
		else
			v->nul = true;
		return;
	}
	if (c >= 0x80)
		v->wide = true;
	if (v->len < v->cap) {
		v->buf[v->len++] = (char)c;
		v->buf[v->len] = 0;
	} else {
		v->over = true;
	}
}

/* the bytes that end a run of plain string bytes */
static const bool STR_STOP[256] = { ['"'] = true, ['\\'] = true };

/*
 * *pp at '"'. Every byte but '"' and '\\' may stand for itself (json-c in strict
 * mode without JSON_TOKENER_VALIDATE_UTF8 takes control characters and bytes
 * that are not UTF-8); escapes are RFC 8259's, \u with exactly 4 hex digits, a
 * surrogate alone or in a pair is fine (json-c writes U+FFFD for a lone one).
 * v (may be NULL) gets the decoded text, ASCII only: anything else sets v->wide.
 */
static int scan_string(struct scan *s, const unsigned char **pp, struct sval *v)
{
	const unsigned char *p = *pp + 1, *end = s->end;

	for (;;) {
		if (!v) {
			while (p < end && !STR_STOP[*p])
				p++;
		} else {
			while (p < end && !STR_STOP[*p])
				put(v, *p++);
		}
		if (p >= end)
			return syn(s, p, "string not closed");
		if (*p == '"')
			break;
		if (++p >= end)
			return syn(s, p, "string not closed");
		switch (*p) {
		case '"': case '\\': case '/':
			if (v)
				put(v, *p);
			break;
		case 'b': if (v) put(v, '\b'); break;
		case 'f': if (v) put(v, '\f'); break;
		case 'n': if (v) put(v, '\n'); break;
		case 'r': if (v) put(v, '\r'); break;
		case 't': if (v) put(v, '\t'); break;
		case 'u': {
			unsigned cp = 0;

			for (int i = 1; i <= 4; i++) {
				int h;

				if (p + i >= end)
					return syn(s, end, "string not closed");
				if ((h = pk_hex__digit(p[i])) < 0)
					return syn(s, p + i, "\\u not followed by 4 hex digits");
				cp = cp << 4 | (unsigned)h;
			}
			/* what json-c makes of cp >= 0x80 (UTF-8, U+FFFD) is never ASCII */
			if (v)
				put(v, cp < 0x80 ? (unsigned char)cp : 0x80);
			p += 4;
			break;
		}
		default:
			return syn(s, p, "invalid escape in string");
		}
		p++;
	}
	*pp = p + 1;
	return 0;
}

static bool is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

/*
 * *pp at '-' or a digit. json-c collects [0-9eE.+-] under its own rules, then
 * reads an integer with strtoll/strtoull (saturating; in strict mode refusing a
 * leading 0 of a positive non-zero one, yet "00" and "-01" pass) and anything
 * with '.' or an exponent with strtod, which must take all of it ("1." and "-.5"
 * pass, "1e" does not).
 */
static int scan_number(struct scan *s, const unsigned char **pp, struct num *n)
{
	const unsigned char *p = *pp, *t = p, *end = s->end, *q;
	bool is_double = false, is_exp = false, neg_ok = true, pos_ok = false;

	while (p < end) {
		unsigned char c = *p;

		if (!(is_digit(c) || (!is_exp && (c == 'e' || c == 'E')) || (neg_ok && c == '-') ||
		      (pos_ok && c == '+') || (!is_double && c == '.')))
			break;
		pos_ok = neg_ok = false;
		if (c == '.') {
			is_double = true;
			pos_ok = neg_ok = true;
		} else if (c == 'e' || c == 'E') {
			is_exp = is_double = true;
			pos_ok = neg_ok = true;
		}
		p++;
	}
	if (p >= end)
		return syn(s, p, "number not finished");
	n->is_int = !is_double;
	n->neg = *t == '-';
	n->mag = 0;
	q = t + n->neg;
	if (!is_double) {
		if (q == p)
			return syn(s, t, "'-' without digits");
		if (!n->neg && *q == '0' && p - q > 1) {
			/* "00" is 0 to json-c; "01" is refused */
			for (const unsigned char *z = q; z < p; z++)
				if (*z != '0')
					return syn(s, t, "number with a leading zero");
		}
		for (; q < p; q++) {
			unsigned d = *q - '0';

			n->mag = n->mag > (UINT64_MAX - d) / 10 ? UINT64_MAX : n->mag * 10 + d;
		}
	} else {
		/* strtod must consume -?(D+.?D*|.D+)([eE][+-]?D+)? exactly */
		size_t int_d = 0, frac_d = 0, exp_d = 0;

		while (q < p && is_digit(*q))
			q++, int_d++;
		if (q < p && *q == '.') {
			q++;
			while (q < p && is_digit(*q))
				q++, frac_d++;
		}
		if (!int_d && !frac_d)
			return syn(s, t, "not a number");
		if (q < p && (*q == 'e' || *q == 'E')) {
			q++;
			if (q < p && (*q == '+' || *q == '-'))
				q++;
			while (q < p && is_digit(*q))
				q++, exp_d++;
			if (!exp_d)
				return syn(s, t, "exponent without digits");
		}
		if (q != p)
			return syn(s, t, "not a number");
	}
	*pp = p;
	return 0;
}

static int literal(struct scan *s, const unsigned char **pp, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - *pp) < n || memcmp(*pp, word, n))
		return syn(s, *pp, (size_t)(s->end - *pp) < n && !memcmp(*pp, word, s->end - *pp)
					   ? "value not finished" : "unexpected character");
	*pp += n;
	return 0;
}

typedef int (*member_fn)(struct scan *s, int key, const unsigned char *key_at,
			 const unsigned char **pp, int depth, void *ctx);
typedef int (*elem_fn)(struct scan *s, size_t i, const unsigned char **pp, int depth, void *ctx);

static int walk_object(struct scan *s, const unsigned char **pp, int depth,
		       const char *const *keys, size_t nkeys, member_fn fn, void *ctx);
static int walk_array(struct scan *s, const unsigned char **pp, int depth, elem_fn fn, void *ctx);

static int skip_member(struct scan *s, int key, const unsigned char *key_at,
		       const unsigned char **pp, int depth, void *ctx);
static int skip_elem(struct scan *s, size_t i, const unsigned char **pp, int depth, void *ctx);

/* check and pass over one value at *pp (no white space before it); *t its type */
static int skip_value(struct scan *s, const unsigned char **pp, int depth, enum jt *t)
{
	const unsigned char *p = *pp;
	struct num n;
	int r;

	if (p >= s->end)
		return syn(s, p, "value expected");
	switch (*p) {
	case '{':
		*t = JT_OBJ;
		return walk_object(s, pp, depth, NULL, 0, skip_member, NULL);
	case '[':
		*t = JT_ARR;
		return walk_array(s, pp, depth, skip_elem, NULL);
	case '"':
		*t = JT_STR;
		return scan_string(s, pp, NULL);
	case 't':
		*t = JT_BOOL;
		return literal(s, pp, "true");
	case 'f':
		*t = JT_BOOL;
		return literal(s, pp, "false");
	case 'n':
		*t = JT_NULL;
		return literal(s, pp, "null");
	/* json-c takes these even in strict mode, as doubles */
	case 'N':
		*t = JT_DOUBLE;
		return literal(s, pp, "NaN");
	case 'I':
		*t = JT_DOUBLE;
		return literal(s, pp, "Infinity");
	case '-':
		if (p + 1 < s->end && p[1] == 'I') {
			*t = JT_DOUBLE;
			return literal(s, pp, "-Infinity");
		}
		/* fall through */
	default:
		if (*p != '-' && !is_digit(*p))
			return syn(s, p, "unexpected character");
		if ((r = scan_number(s, pp, &n)))
			return r;
		*t = n.is_int ? JT_INT : JT_DOUBLE;
		return 0;
	}
}

static int skip_member(struct scan *s, int key, const unsigned char *key_at,
		       const unsigned char **pp, int depth, void *ctx)
{
	enum jt t;

	return skip_value(s, pp, depth, &t);
}

static int skip_elem(struct scan *s, size_t i, const unsigned char **pp, int depth, void *ctx)
{
	enum jt t;

	return skip_value(s, pp, depth, &t);
}

/* *pp at '{'. fn gets each member's key as an index into keys (-1: another key,
 * json-c's view of it: cut at an escaped NUL) and must pass over its value */
static int walk_object(struct scan *s, const unsigned char **pp, int depth,
		       const char *const *keys, size_t nkeys, member_fn fn, void *ctx)
{
	const unsigned char *p = skip_ws(*pp + 1, s->end);
	char kb[KEY_MAX + 1];
	struct sval k = { .buf = kb, .cap = KEY_MAX, .key = true };
	int r;

	if (p < s->end && *p == '}') {
		*pp = p + 1;
		return 0;
	}
	if (depth + 1 >= DEPTH_MAX)
		return syn(s, p, "nested more than 10 deep");
	for (;;) {
		const unsigned char *key_at = p;
		int key = -1;

		if (p >= s->end || *p != '"')
			return syn(s, p, "quoted key expected");
		if (keys) {
			const unsigned char *q = p + 1;

			/* a key without escapes (all of them, written by index.c) is its bytes */
			while (q < s->end && q - p <= KEY_MAX && !STR_STOP[*q])
				q++;
			if (q < s->end && *q == '"') {
				size_t n = q - p - 1;

				for (size_t i = 0; i < nkeys; i++)
					if (n && keys[i][0] == p[1] &&
					    !strncmp((const char *)p + 1, keys[i], n) && !keys[i][n]) {
						key = (int)i;
						break;
					}
				p = q + 1;
				r = 0;
			} else {
				sval_reset(&k, JT_STR);
				r = scan_string(s, &p, &k);
				for (size_t i = 0; !r && !k.over && !k.wide && i < nkeys; i++)
					if (!strcmp(kb, keys[i]))
						key = (int)i;
			}
		} else {
			r = scan_string(s, &p, NULL);
		}
		if (r)
			return r;
		p = skip_ws(p, s->end);
		if (p >= s->end || *p != ':')
			return syn(s, p, "':' expected after a key");
		p = skip_ws(p + 1, s->end);
		if (p >= s->end)
			return syn(s, p, "value expected");
		if ((r = fn(s, key, key_at, &p, depth + 1, ctx)))
			return r;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',') {
			p = skip_ws(p + 1, s->end);
			continue;
		}
		if (p < s->end && *p == '}')
			break;
		return syn(s, p, "',' or '}' expected");
	}
	*pp = p + 1;
	return 0;
}

/* *pp at '['; fn must pass over element i */
static int walk_array(struct scan *s, const unsigned char **pp, int depth, elem_fn fn, void *ctx)
{
	const unsigned char *p = skip_ws(*pp + 1, s->end);
	size_t i = 0;
	int r;

	if (p < s->end && *p == ']') {
		*pp = p + 1;
		return 0;
	}
	if (depth + 1 >= DEPTH_MAX)
		return syn(s, p, "nested more than 10 deep");
	for (;; i++) {
		if (p >= s->end)
			return syn(s, p, "value expected");
		if ((r = fn(s, i, &p, depth + 1, ctx)))
			return r;
		p = skip_ws(p, s->end);
		if (p < s->end && *p == ',') {
			p = skip_ws(p + 1, s->end);
			continue;
		}
		if (p < s->end && *p == ']')
			break;
		return syn(s, p, "',' or ']' expected");
	}
	*pp = p + 1;
	return 0;
}

/* ---- first walk: the whole document's syntax, and where the root's members are ---- */

static int root_member(struct scan *s, int key, const unsigned char *key_at,
		       const unsigned char **pp, int depth, void *ctx)
{
	if (key < 0)
		return unknown_key(s, key_at, "the root object");
	s->root_at[key] = *pp;	/* json-c keeps the last of duplicate keys */
	return skip_value(s, pp, depth, &s->root_t[key]);
}

/* ---- field rules (index.c's) ---- */

static bool in_set(const char *v, const char *const *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v, set[i]))
			return true;
	return false;
}

/* a string read whole, with no NUL and nothing but ASCII (what every reported
 * string must be: index.c's checks refuse the others) */
static bool plain(const struct sval *v)
{
	return v->t == JT_STR && !v->over && !v->nul && !v->wide;
}

static bool valid_component(const char *v)
{
	return !strchr(v, '/') && !pk_index__check_path(v, NULL);
}

/* get_u64 and get_i64 of index.c over json-c's saturated values */
static bool num_u64(const struct num *n, uint64_t *out)
{
	if (n->neg) {
		*out = 0;
		return n->mag == 0;	/* "-0" is 0 */
	}
	*out = n->mag;
	return n->mag != UINT64_MAX;
}

static bool num_i64(const struct num *n, int64_t *out)
{
	/* INT64_MAX and INT64_MIN stand for "out of range" in json-c */
	if (n->neg ? n->mag >= (uint64_t)INT64_MAX + 1 : n->mag >= (uint64_t)INT64_MAX)
		return false;
	*out = n->neg ? -(int64_t)n->mag : (int64_t)n->mag;
	return true;
}

/* ---- an artifact ---- */

/* kernel, build and verification: keys, presence and types, last key winning */
struct sub {
	const char *const *keys;
	const unsigned *types;	/* allowed types, by key */
	size_t n;
	enum jt t[8];
	struct sval *state;	/* verification: where state goes */
	const unsigned char *unknown;	/* an unknown key (refused only if this object counts) */
};

static int sub_member(struct scan *s, int key, const unsigned char *key_at,
		      const unsigned char **pp, int depth, void *ctx)
{
	struct sub *b = ctx;
	enum jt t;

	if (key < 0) {
		if (!b->unknown)
			b->unknown = key_at;
		return skip_value(s, pp, depth, &t);
	}
	if (b->state && key == 0 && **pp == '"') {
		sval_reset(b->state, JT_STR);
		b->t[0] = JT_STR;
		return scan_string(s, pp, b->state);
	}
	return skip_value(s, pp, depth, &b->t[key]);
}

static const char *const KKEYS[] = {
	"target", "kernelrelease", "kernelversion", "os_id", "version_id", "arch", "uname_r",
};
static const unsigned KTYPES[] = {
	M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL),
	M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL),
	M(JT_STR) | M(JT_NULL),
};
static const char *const BKEYS[] = { "record", "compiler", "log_sha256", "seconds", "inputs" };
static const unsigned BTYPES[] = {
	M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL),
	M(JT_INT) | M(JT_DOUBLE), M(JT_ARR),
};
static const char *const VKEYS[] = { "state", "kernel", "mode", "date", "reason" };
static const unsigned VTYPES[] = {
	M(JT_STR), M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL), M(JT_STR) | M(JT_NULL),
	M(JT_STR) | M(JT_NULL),
};

static int art_member(struct scan *s, int key, const unsigned char *key_at,
		      const unsigned char **pp, int depth, void *ctx)
{
	struct art *a = ctx;
	struct sval *v = NULL;
	struct sub b = { 0 };
	int r;

	if (key < 0)
		return unknown_key(s, key_at, "an artifact");
	switch (key) {
	case A_PATH: v = &a->path; break;
	case A_SHA: v = &a->sha; break;
	case A_KIND: v = &a->kind; break;
	case A_PV: v = &a->pv; break;
	case A_VERIF: v = &a->state; break;
	}
	if (v && key != A_VERIF && **pp == '"') {
		sval_reset(v, JT_STR);
		a->t[key] = JT_STR;
		return scan_string(s, pp, v);
	}
	if (key == A_SIZE && (**pp == '-' || is_digit(**pp)) &&
	    !(**pp == '-' && *pp + 1 < s->end && (*pp)[1] == 'I')) {
		if ((r = scan_number(s, pp, &a->size)))
			return r;
		a->t[key] = a->size.is_int ? JT_INT : JT_DOUBLE;
		return 0;
	}
	if (key >= A_KERNEL && **pp == '{') {
		if (key == A_KERNEL)
			b = (struct sub){ .keys = KKEYS, .types = KTYPES, .n = PK_ARRAY_SIZE(KKEYS) };
		else if (key == A_BUILD)
			b = (struct sub){ .keys = BKEYS, .types = BTYPES, .n = PK_ARRAY_SIZE(BKEYS) };
		else
			b = (struct sub){ .keys = VKEYS, .types = VTYPES, .n = PK_ARRAY_SIZE(VKEYS),
					  .state = &a->state };
		if (b.state)
			sval_reset(b.state, JT_NONE);
		a->t[key] = JT_OBJ;
		if ((r = walk_object(s, pp, depth, b.keys, b.n, sub_member, &b)))
			return r;
		/* the verdict waits for the artifact's end: a later duplicate may replace it */
		a->sub_unknown[key] = b.unknown;
		a->sub_bad[key] = NULL;
		for (size_t i = 0; i < b.n && !a->sub_bad[key]; i++)
			if (!(b.types[i] & M(b.t[i])))	/* JT_NONE (missing) is in no mask */
				a->sub_bad[key] = b.keys[i];
		return 0;
	}
	if (v)	/* not a string: whatever it was, the field is bad */
		sval_reset(v, JT_NONE);
	return skip_value(s, pp, depth, &a->t[key]);
}

static void art_reset(struct art *a)
{
	struct { struct sval *v; char *b; size_t cap; } f[] = {
		{ &a->path, a->path_b, PK_INDEX_PATH_MAX }, { &a->pv, a->pv_b, PK_INDEX_PATH_MAX },
		{ &a->sha, a->sha_b, 65 }, { &a->kind, a->kind_b, sizeof(a->kind_b) - 1 },
		{ &a->state, a->state_b, sizeof(a->state_b) - 1 },
	};

	for (size_t i = 0; i < PK_ARRAY_SIZE(f); i++) {
		f[i].v->buf = f[i].b;
		f[i].v->cap = f[i].cap;
		f[i].v->key = false;
		sval_reset(f[i].v, JT_NONE);
	}
	memset(a->t, 0, sizeof(a->t));
	memset(a->sub_bad, 0, sizeof(a->sub_bad));
	memset(a->sub_unknown, 0, sizeof(a->sub_unknown));
	memset(&a->size, 0, sizeof(a->size));
}

static int abad(struct scan *s, size_t i, const unsigned char *at, const char *field,
		const char *why)
{
	char w[80];

	return pk_error__set(s->err, -EBADMSG, "index: artifacts[%zu] at %s: %s: %s", i,
			     where(s, at, w), field, why);
}

static bool is_hex64(const struct sval *v)
{
	if (!plain(v) || v->len != 64)
		return false;
	for (size_t i = 0; i < 64; i++) {
		char c = v->buf[i];

		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* index.c's parse_artifact and pk_index_artifact__check, on what we kept */
static int art_check(struct scan *s, size_t i, const unsigned char *at, struct art *a)
{
	struct pk_error e = { 0 };
	uint64_t size;

	for (size_t k = 0; k < PK_ARRAY_SIZE(AKEYS); k++)
		if (a->t[k] == JT_NONE)
			return abad(s, i, at, AKEYS[k], "missing");
	if (!plain(&a->path)) {
		return abad(s, i, at, "path", a->path.t != JT_STR ? "not a string" :
					     a->path.nul ? "holds a NUL character" :
					     a->path.over ? "longer than 512 bytes" :
							    "not printable ASCII");
	}
	if (pk_index__check_path(a->path.buf, &e))
		return abad(s, i, at, "path", e.msg);
	if (a->t[A_SIZE] != JT_INT)
		return abad(s, i, at, "size", "not an integer");
	if (!num_u64(&a->size, &size))
		return abad(s, i, at, "size", a->size.neg ? "negative" : "out of range");
	if (!is_hex64(&a->sha))
		return abad(s, i, at, "sha256", "not 64 lower-case hex digits");
	if (!plain(&a->kind) || !in_set(a->kind.buf, KINDS, PK_ARRAY_SIZE(KINDS)))
		return abad(s, i, at, "kind", "not one of legacy-object, reduced-btf, full-btf, "
				      "core-object, btf-object");
	if (a->t[A_PV] != JT_NULL && !plain(&a->pv))
		return abad(s, i, at, "probe_version", "not a string or null");
	for (int k = A_KERNEL; k <= A_VERIF; k++) {
		if (a->t[k] != JT_OBJ)
			return abad(s, i, at, AKEYS[k], "not an object");
		if (a->sub_unknown[k])
			return unknown_key(s, a->sub_unknown[k], AKEYS[k]);
		if (a->sub_bad[k]) {
			char f[48];

			snprintf(f, sizeof(f), "%s.%s", AKEYS[k], a->sub_bad[k]);
			return abad(s, i, at, f, "missing or of the wrong type");
		}
	}
	if (!plain(&a->state) || !in_set(a->state.buf, STATES, PK_ARRAY_SIZE(STATES)))
		return abad(s, i, at, "verification.state", "not unverified, verified or failed");
	if (!strcmp(a->kind.buf, "full-btf")) {
		if (a->t[A_PV] != JT_NULL)
			return abad(s, i, at, "probe_version", "must be null for full-btf");
		if (strncmp(a->path.buf, "btf/", 4))
			return abad(s, i, at, "path", "full-btf outside 'btf/'");
	} else {
		if (a->t[A_PV] == JT_NULL || !valid_component(a->pv.buf))
			return abad(s, i, at, "probe_version",
				    a->t[A_PV] == JT_NULL ? "missing" : "not one path component");
		if (strncmp(a->path.buf, a->pv.buf, a->pv.len) || a->path.buf[a->pv.len] != '/')
			return abad(s, i, at, "path", "not under its probe_version's directory");
	}
	return 0;
}

/* one artifact object at *pp into a (its fields, unchecked) */
static int art_read(struct scan *s, const unsigned char **pp, int depth, struct art *a)
{
	art_reset(a);
	return walk_object(s, pp, depth, AKEYS, PK_ARRAY_SIZE(AKEYS), art_member, a);
}

/* ---- unique paths ---- */

static uint64_t hash_path(const char *p, uint64_t seed)
{
	uint64_t h = 0xcbf29ce484222325ull ^ seed;

	while (*p)
		h = (h ^ (unsigned char)*p++) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* 0: surely new; 1: maybe seen. Adds it */
static bool bloom_add(uint64_t *bloom, const char *path)
{
	uint64_t h1 = hash_path(path, 0), h2 = hash_path(path, 0x9e3779b97f4a7c15ull) | 1;
	bool seen = true;

	for (unsigned k = 0; k < BLOOM_K; k++) {
		uint64_t bit = (h1 + k * h2) & (BLOOM_BITS - 1);

		if (!(bloom[bit / 64] & (1ull << (bit % 64)))) {
			seen = false;
			bloom[bit / 64] |= 1ull << (bit % 64);
		}
	}
	return seen;
}

/* re-read artifacts before s->stop_at: look for s->want, or fill the filter */
static int reread_elem(struct scan *s, size_t i, const unsigned char **pp, int depth, void *ctx)
{
	int r;

	if (i >= s->stop_at)
		return 1;
	if ((r = art_read(s, pp, depth, &s->back)))
		return r;
	if (!s->want) {
		bloom_add(s->bloom, s->back.path.buf);
	} else if (!strcmp(s->want, s->back.path.buf)) {
		s->found = i;
		return 1;
	}
	return 0;
}

static int reread(struct scan *s, size_t stop_at, const char *want)
{
	const unsigned char *p = s->root_at[R_ARTIFACTS];
	int r;

	s->stop_at = stop_at;
	s->want = want;
	s->found = SIZE_MAX;
	r = walk_array(s, &p, 1, reread_elem, NULL);
	return r < 0 ? r : 0;
}

/* is artifact i's path (already checked) new? */
static int check_unique(struct scan *s, size_t i, const unsigned char *at, const char *path)
{
	int c = s->have_max ? strcmp(path, s->max_path) : 1;
	int r;

	if (c > 0) {
		/* greater than every path before it */
		memcpy(s->max_path, path, strlen(path) + 1);
		s->have_max = true;
		if (s->bloom)
			bloom_add(s->bloom, path);
		return 0;
	}
	if (!s->bloom) {
		/* the first path out of order: from here on, remember them all */
		s->bloom = calloc(BLOOM_BITS / 64, sizeof(uint64_t));
		if (!s->bloom)
			return pk_error__set(s->err, -ENOMEM, "out of memory");
		if ((r = reread(s, i, NULL)))
			return r;
	}
	if (c < 0 && !bloom_add(s->bloom, path))
		return 0;
	if ((r = reread(s, i, path)))
		return r;
	if (s->found != SIZE_MAX)
		return abad(s, i, at, "path", "the path of an earlier artifact");
	return 0;
}

/* ---- second walk: the artifacts ---- */

struct art_ctx {
	pk_index_scan_fn fn;
	void *ctx;
	struct pk_index_scan_info *info;
};

static int art_elem(struct scan *s, size_t i, const unsigned char **pp, int depth, void *ctx)
{
	struct art_ctx *c = ctx;
	const unsigned char *at = *pp;
	struct art *a = &s->a;
	struct pk_index_scan_artifact out;
	int r;

	if (*at != '{')
		return abad(s, i, at, "artifact", "not an object");
	if ((r = art_read(s, pp, depth, a)) || (r = art_check(s, i, at, a)) ||
	    (r = check_unique(s, i, at, a->path.buf)))
		return r;
	c->info->artifacts = i + 1;
	if (!c->fn)
		return 0;
	out = (struct pk_index_scan_artifact){
		.path = a->path.buf, .kind = a->kind.buf, .sha256 = a->sha.buf,
		.probe_version = a->t[A_PV] == JT_NULL ? NULL : a->pv.buf,
		.verification_state = a->state.buf,
	};
	num_u64(&a->size, &out.size);
	return c->fn(&out, c->ctx);
}

static int failure_elem(struct scan *s, size_t i, const unsigned char **pp, int depth, void *ctx)
{
	size_t *n = ctx;
	enum jt t;
	int r;

	if (**pp != '{') {
		char w[80];

		return pk_error__set(s->err, -EBADMSG, "index: failures[%zu] at %s: not an object", i,
				     where(s, *pp, w));
	}
	if ((r = skip_value(s, pp, depth, &t)))
		return r;
	*n = i + 1;
	return 0;
}

static int rbad(struct scan *s, int k, const char *why)
{
	char w[80];

	return pk_error__set(s->err, -EBADMSG, "index: %s at %s: %s", ROOT_KEYS[k],
			     where(s, s->root_at[k], w), why);
}

static int header(struct scan *s, struct pk_index_scan_info *info)
{
	static const char *const type_names[] = {
		[JT_NULL] = "null", [JT_BOOL] = "not an integer", [JT_INT] = "not an integer",
		[JT_DOUBLE] = "not an integer", [JT_STR] = "not an integer",
		[JT_ARR] = "not an integer", [JT_OBJ] = "not an integer",
	};
	char sb[32];
	struct sval schema = { .buf = sb, .cap = sizeof(sb) - 1 };
	struct num n;
	const unsigned char *p;
	int r;

	for (int k = 0; k < (int)PK_ARRAY_SIZE(ROOT_KEYS); k++)
		if (!s->root_at[k])
			return pk_error__set(s->err, -EBADMSG, "index: %s: missing in the root object",
					     ROOT_KEYS[k]);
	p = s->root_at[R_SCHEMA];
	sval_reset(&schema, s->root_t[R_SCHEMA]);
	if (s->root_t[R_SCHEMA] == JT_STR && (r = scan_string(s, &p, &schema)))
		return r;
	if (!plain(&schema) || strcmp(sb, PK_INDEX_SCHEMA))
		return rbad(s, R_SCHEMA, "not " PK_INDEX_SCHEMA);
	for (int k = R_VERSION; k <= R_EXPIRES; k++) {
		if (s->root_t[k] != JT_INT)
			return rbad(s, k, type_names[s->root_t[k]]);
		p = s->root_at[k];
		if ((r = scan_number(s, &p, &n)))
			return r;
		if (k == R_VERSION ? !num_u64(&n, &info->version)
				   : !num_i64(&n, k == R_GENERATED ? &info->generated : &info->expires))
			return rbad(s, k, n.neg && n.mag && k == R_VERSION ? "negative" : "out of range");
	}
	if (info->version < 1)
		return rbad(s, R_VERSION, "less than 1");
	if (info->generated < 0)
		return rbad(s, R_GENERATED, "negative");
	if (info->expires <= info->generated)
		return rbad(s, R_EXPIRES, "not after generated");
	if (s->root_t[R_NEXT_KEY] != JT_NULL && s->root_t[R_NEXT_KEY] != JT_OBJ)
		return rbad(s, R_NEXT_KEY, "not an object or null");
	if (s->root_t[R_ARTIFACTS] != JT_ARR)
		return rbad(s, R_ARTIFACTS, "not an array");
	if (s->root_t[R_FAILURES] != JT_ARR)
		return rbad(s, R_FAILURES, "not an array");
	p = s->root_at[R_FAILURES];
	return walk_array(s, &p, 1, failure_elem, &info->failures);
}

int pk_index__scan(const void *data, size_t len, pk_index_scan_fn fn, void *ctx,
		   struct pk_index_scan_info *info, struct pk_error *err)
{
	struct pk_index_scan_info local = { 0 };
	struct art_ctx ac = { .fn = fn, .ctx = ctx, .info = &local };
	struct scan *s;
	const unsigned char *p, *nul;
	int r;

	if (len > PK_INDEX_MAX_LEN)
		return pk_error__set(err, -EFBIG, "index: %zu bytes, more than the %u allowed", len,
				     PK_INDEX_MAX_LEN);
	if (!data && len)
		return pk_error__set(err, -EINVAL, "no data");
	/* index.c refuses a NUL anywhere; the walkers need not look for one */
	if (len && (nul = memchr(data, 0, len)))
		return pk_error__set(err, -EBADMSG, "index: NUL byte at offset %zu",
				     (size_t)(nul - (const unsigned char *)data));
	s = calloc(1, sizeof(*s));
	if (!s)
		return pk_error__set(err, -ENOMEM, "out of memory");
	s->base = data ? data : (const unsigned char *)"";
	s->end = s->base + len;
	s->err = err;

	p = skip_ws(s->base, s->end);
	if (p >= s->end) {
		r = syn(s, p, "no JSON value");
		goto out;
	}
	if (*p != '{') {
		enum jt t;

		/* a valid value of another type and an invalid one are both refused */
		r = skip_value(s, &p, 0, &t);
		if (!r)
			r = pk_error__set(err, -EBADMSG, "index: not a JSON object");
		goto out;
	}
	if ((r = walk_object(s, &p, 0, ROOT_KEYS, PK_ARRAY_SIZE(ROOT_KEYS), root_member, NULL)))
		goto out;
	p = skip_ws(p, s->end);
	if (p < s->end) {
		r = syn(s, p, "text after the JSON value");
		goto out;
	}
	if ((r = header(s, &local)))
		goto out;
	p = s->root_at[R_ARTIFACTS];
	r = walk_array(s, &p, 1, art_elem, &ac);
	if (!r && info)
		*info = local;
out:
	free(s->bloom);
	free(s);
	return r;
}
