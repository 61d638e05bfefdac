/* Readers of what the guest sends back to probekit verify: the serial console
 * (line by line within len: the log is not NUL-terminated) and the selftest
 * JSON (validated whole before any field is read). Never prints, never trusts. */
#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/pk.h"
#include "verify/console.h"

#define GUEST_RC_MAX 255	/* /init prints the shell's $?: anything larger is not one */

/* length of the line starting at p, up to its \n or the end of the log */
static size_t line_len(const char *p, const char *end)
{
	const char *e = memchr(p, '\n', end - p);

	return e ? (size_t)(e - p) : (size_t)(end - p);
}

bool pk_console__match_marker(const char *p, size_t n, const char *marker, const char *nonce,
			   const char **rest)
{
	size_t ml = strlen(marker), nl = strlen(nonce);

	while (n && p[n - 1] == '\r')
		n--;
	if (n < ml + nl || memcmp(p, marker, ml) || memcmp(p + ml, nonce, nl))
		return false;
	if (n > ml + nl && p[ml + nl] != ' ')
		return false;
	if (rest)
		*rest = p + ml + nl;
	return true;
}

/* " rc=N" between p and e (the line's end; the log has no terminator): N, or
 * -1 when it is missing, not a number or not an exit status */
static int parse_rc(const char *p, const char *e)
{
	const char *d;
	int v = 0;

	if (e - p < 5 || memcmp(p, " rc=", 4))
		return -1;
	for (d = p += 4; p < e && *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (*p - '0');
		if (v > GUEST_RC_MAX)
			return -1;
	}
	if (p == d || (p < e && *p != '\r'))
		return -1;
	return v;
}

static char *dup_range(const char *b, const char *e)
{
	char *s = malloc(e - b + 1);
	size_t j = 0;

	if (!s)
		return NULL;
	for (const char *p = b; p < e; p++)
		if (*p != '\r')
			s[j++] = *p;
	s[j] = 0;
	return s;
}

void pk_console__parse(const char *log, size_t len, const char *nonce, struct pk_vm_result *r)
{
	const char *end = log + len, *p, *begin = NULL, *errm = NULL, *panic = NULL;
	const char *json_b = NULL, *json_e = NULL, *err_b = NULL, *err_e = NULL;
	size_t tl, j;

	r->guest_rc = -1;
	for (p = log; p < end;) {
		size_t n = line_len(p, end);
		/* the next line; never past the end (the last line may lack its \n) */
		const char *next = p + n < end ? p + n + 1 : end;
		const char *rest;

		if (pk_console__match_marker(p, n, "PKV-BEGIN-", nonce, NULL)) {
			begin = next;
			errm = NULL;
		} else if (begin && pk_console__match_marker(p, n, "PKV-STDERR-", nonce, NULL)) {
			errm = next;
			json_b = begin;
			json_e = p;
		} else if (begin && pk_console__match_marker(p, n, "PKV-END-", nonce, &rest)) {
			if (!errm) {
				json_b = begin;
				json_e = p;
			} else {
				err_b = errm;
				err_e = p;
			}
			r->guest_rc = parse_rc(rest, p + n);
			r->outcome = PK_VM_VERDICT;
			begin = NULL;
		} else if (!panic && memmem(p, n, "Kernel panic - not syncing", 26)) {
			panic = p;
		} else if (!r->init_started && memmem(p, n, "Run /init as init process", 25)) {
			r->init_started = true;
		}
		p = next;
	}
	if (r->outcome == PK_VM_VERDICT && json_b && json_b <= json_e) {
		free(r->json);
		free(r->guest_err);
		r->json = dup_range(json_b, json_e);
		r->guest_err = err_b && err_b <= err_e ? dup_range(err_b, err_e) : NULL;
	} else if (panic && r->outcome != PK_VM_VERDICT) {
		char line[PK_VM_WHY_LEN];	/* a panic line is short; the rest is noise */
		size_t n = line_len(panic, end);
		const char *s = memmem(panic, n, "Kernel panic", 12);

		n -= s - panic;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = 0;
		line[strcspn(line, "\r")] = 0;
		r->outcome = PK_VM_PANIC;
		pk_error__set(&r->err, -EIO, "%s", line);
	}
	/* the tail: last lines, printable only */
	tl = len < sizeof(r->tail) - 1 ? len : sizeof(r->tail) - 1;
	p = end - tl;
	if (tl < len) {
		const char *nl = memchr(p, '\n', tl);

		if (nl)
			p = nl + 1;
	}
	for (j = 0; p < end && j + 1 < sizeof(r->tail); p++) {
		unsigned char ch = *p;

		if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch < 0x7f))
			r->tail[j++] = ch;
	}
	r->tail[j] = 0;
}

/* ---- the guest's JSON ---- */

/* A strict validating walker (RFC 8259 grammar) over untrusted NUL-terminated
 * text: skip_value returns the end of the value at p, or NULL when the text is
 * not JSON. Depth-limited; every read stops at the NUL. The field readers below
 * run only on text it accepted. */
#define JSON_MAX_DEPTH 64

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* the 4 hex digits of a \u escape at p, or -1 */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];

		if (!isxdigit((unsigned char)c))
			return -1;
		v = v * 16 + (is_digit(c) ? c - '0' : (tolower((unsigned char)c) - 'a' + 10));
	}
	return v;
}

static const char *skip_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (;;) {
		unsigned char c = *p;

		if (c == '"')
			return p + 1;
		if (c < 0x20)	/* control characters and the NUL: unterminated */
			return NULL;
		if (c == '\\') {
			c = *++p;
			if (c == 'u') {
				if (hex4(p + 1) < 0)
					return NULL;
				p += 4;
			} else if (!c || !strchr("\"\\/bfnrt", c)) {
				return NULL;
			}
		}
		p++;
	}
}

static const char *skip_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (is_digit(*p))
			p++;
	else
		return NULL;
	if (*p == '.') {
		if (!is_digit(*++p))
			return NULL;
		while (is_digit(*p))
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!is_digit(*p))
			return NULL;
		while (is_digit(*p))
			p++;
	}
	return p;
}

static const char *skip_value(const char *p, int depth)
{
	p = ws(p);
	if (depth > JSON_MAX_DEPTH)
		return NULL;
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = skip_string(ws(p));
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = skip_value(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	return skip_number(p);
}

/* the value of key in the object at obj (validated text), or NULL */
static const char *obj_get(const char *obj, const char *key)
{
	const char *p = ws(obj);
	size_t kl = strlen(key);

	if (!p || *p != '{')
		return NULL;
	p = ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *ke = skip_string(p);

		p = ws(ws(ke) + 1);	/* past ':' */
		if ((size_t)(ke - 1 - k) == kl && !memcmp(k, key, kl))
			return p;
		p = ws(skip_value(p, 0));
		if (*p != ',')
			return NULL;
		p = ws(p + 1);
	}
	return NULL;
}

/* A JSON string value (validated) into out as one line of text: escapes decoded,
 * \n \t \r \b \f and control characters as spaces, \u as UTF-8 ('?' for a lone
 * surrogate half). Truncated at a character boundary; "" when v is no string. */
static void str_val(const char *v, char *out, size_t n)
{
	size_t j = 0;

	if (!n)
		return;
	if (v && *v == '"') {
		for (v++; *v && *v != '"';) {
			char u[3];
			size_t ul = 1;

			if (*v != '\\') {
				u[0] = *v++;
			} else if (v[1] == 'u') {
				long cp = hex4(v + 2);

				v += 6;
				if (cp < 0x20) {
					u[0] = ' ';
				} else if (cp < 0x80) {
					u[0] = (char)cp;
				} else if (cp < 0x800) {
					u[0] = (char)(0xc0 | cp >> 6);
					u[1] = (char)(0x80 | (cp & 0x3f));
					ul = 2;
				} else if (cp >= 0xd800 && cp <= 0xdfff) {
					u[0] = '?';
				} else {
					u[0] = (char)(0xe0 | cp >> 12);
					u[1] = (char)(0x80 | (cp >> 6 & 0x3f));
					u[2] = (char)(0x80 | (cp & 0x3f));
					ul = 3;
				}
			} else {
				u[0] = strchr("bfnrt", v[1]) ? ' ' : v[1];
				v += 2;
			}
			if (j + ul >= n)
				break;
			memcpy(out + j, u, ul);
			j += ul;
		}
	}
	out[j] = 0;
}

void pk_vm_guest__parse(const char *json, struct pk_vm_guest *g)
{
	const char *end, *sc, *v, *att;
	size_t rl = 0;

	memset(g, 0, sizeof(*g));
	g->latency_ms = -1;
	if (!json || !(end = skip_value(json, 0)) || *ws(end) || *ws(json) != '{')
		return;
	g->valid = true;
	str_val(obj_get(json, "candidate"), g->candidate, sizeof(g->candidate));
	str_val(obj_get(json, "btf"), g->btf, sizeof(g->btf));
	v = obj_get(json, "source");
	if (v && *v == '{') {
		const char *fc = obj_get(v, "from_cache");

		str_val(obj_get(v, "kind"), g->src_kind, sizeof(g->src_kind));
		str_val(obj_get(v, "path"), g->src_path, sizeof(g->src_path));
		str_val(obj_get(v, "sha256"), g->src_sha256, sizeof(g->src_sha256));
		str_val(obj_get(v, "repository"), g->src_repo, sizeof(g->src_repo));
		g->src_from_cache = fc && !strncmp(fc, "true", 4);
	}
	att = obj_get(json, "attempts");
	if (att && *att == '[')
		for (const char *p = ws(att + 1), *q; *p == '{' && g->nr_att < (int)PK_ARRAY_SIZE(g->att); p = ws(q + 1)) {
			str_val(obj_get(p, "name"), g->att[g->nr_att].name, sizeof(g->att[0].name));
			str_val(obj_get(p, "state"), g->att[g->nr_att].state, sizeof(g->att[0].state));
			str_val(obj_get(p, "stage"), g->att[g->nr_att].stage, sizeof(g->att[0].stage));
			g->nr_att++;
			q = ws(skip_value(p, 0));
			if (*q != ',')
				break;
		}
	sc = obj_get(json, "selfcheck");
	if (sc && *sc == '{') {
		v = obj_get(sc, "passed");
		g->passed = v && !strncmp(v, "true", 4);
		v = obj_get(sc, "latency_ms");
		if (v && (*v == '-' || isdigit((unsigned char)*v)))
			g->latency_ms = strtod(v, NULL);
		v = obj_get(sc, "error");
		if (v && *v == '"')
			str_val(v, g->reason, sizeof(g->reason));
	}
	if (g->passed)
		return;
	att = obj_get(json, "attempts");
	if (!att || *att != '[')
		return;
	/* every failed attempt: "name: reason" */
	for (const char *p = ws(att + 1), *q; *p == '{'; p = ws(q + 1)) {
		char name[64], state[16], why[300];

		str_val(obj_get(p, "state"), state, sizeof(state));
		str_val(obj_get(p, "reason"), why, sizeof(why));
		/* a candidate the mode did not allow (--candidates) is no news */
		if ((!strcmp(state, "failed") || !strcmp(state, "skipped")) &&
		    strncmp(why, "not among the candidates allowed", 32)) {
			str_val(obj_get(p, "name"), name, sizeof(name));
			if (rl == 0 && g->reason[0])
				rl = strlen(g->reason);
			rl += snprintf(g->reason + rl, rl < sizeof(g->reason) ? sizeof(g->reason) - rl : 0,
				       "%s%s %s: %s", rl ? "; " : "", name, state, why);
			if (rl >= sizeof(g->reason))
				break;
		}
		q = ws(skip_value(p, 0));
		if (*q != ',')
			break;
	}
}

