/* Unit tests of pk_index__scan (src/repo/index_scan.c) against pk_index__parse on
 * real indexes from the canonical writer and on hostile text, and
 * --bench N [OUT.json]: time and peak RSS of scan and parse on a synthetic N-artifact
 * index; --bench-one scan|parse FILE: the same for one reader on any index. */
#include <errno.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/json.h"
#include "repo/index.h"
#include "repo/index_scan.h"
#include "unit.h"
#include "repo/index_fixture.h"

#define CORPUS "tests/fuzz/corpus/fuzz_index_scan/"

extern char **environ;

/* N artifacts, kinds in turn, as `probekit build` makes them */
static struct pk_index *synthetic(size_t n)
{
	static const char *const kinds[] = { "legacy-object", "reduced-btf", "full-btf" };
	struct pk_index *ix = pk_index__new();
	struct pk_index_artifact a;
	struct pk_error e = { 0 };

	for (size_t i = 0; i < n; i++) {
		make_artifact(&a, i / 3, kinds[i % 3]);
		if (i % 5 == 1)
			pk_index_artifact__set_verification(&a, i % 2 ? "verified" : "failed",
							    "6.1.0-1-amd64", "kvm", "2026-11-28", NULL);
		if (pk_index__add_artifact(ix, &a, &e)) {
			pk_index__free(ix);
			return NULL;
		}
	}
	ix->version = 3;
	ix->generated = 1700000000;
	ix->expires = 1700604800;
	return ix;
}

/* the small index of test_index.c, with a failure and a verified full-btf */
static struct pk_index *small_index(void)
{
	struct pk_index *ix = synthetic(3);
	struct pk_index_failure f = { 0 };
	struct pk_error e = { 0 };

	f.key = xstrdup("debian:6.1.153-1-amd64");
	f.kind = xstrdup("legacy-object");
	f.probe_version = xstrdup(PV);
	f.stage = xstrdup("compile");
	f.reason = xstrdup("no headers");
	f.record = xstrdup("_build/" PV "/debian_6.1.153-1-amd64.json");
	f.log_tail = xstrdup("line 1\nline 2 <b>\n");
	pk_index__add_failure(ix, &f, &e);
	ix->version = 7;
	return ix;
}

static char *to_json(struct pk_index *ix, size_t *len)
{
	struct pk_json j;

	pk_json__init(&j, true);
	pk_index__write(ix, &j);
	if (j.err) {
		pk_json__free(&j);
		return NULL;
	}
	*len = j.len;
	return j.buf;
}

/* ---- the differential check ---- */

struct seen {
	const struct pk_index *ix;
	size_t n;
	char why[160];
	int stop_after;		/* > 0: return 42 after that many */
};

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static int compare_cb(const struct pk_index_scan_artifact *s, void *ctx)
{
	struct seen *c = ctx;
	const struct pk_index_artifact *a;

	if (!c->ix || c->n >= c->ix->nr_artifacts) {
		snprintf(c->why, sizeof(c->why), "artifact %zu more than parse's", c->n);
		return -1000;
	}
	a = &c->ix->artifacts[c->n];
	if (!same(s->path, a->path) || !same(s->kind, a->kind) || !same(s->sha256, a->sha256) ||
	    !same(s->probe_version, a->probe_version) ||
	    !same(s->verification_state, a->verification.state) || s->size != a->size) {
		snprintf(c->why, sizeof(c->why), "artifact %zu differs: scan '%s' %" PRIu64 " %s %s %s",
			 c->n, s->path, s->size, s->kind, s->probe_version ? s->probe_version : "null",
			 s->verification_state);
		return -1000;
	}
	c->n++;
	return c->stop_after && (int)c->n == c->stop_after ? 42 : 0;
}

/*
 * Run both readers. Returns 1 with why when the scan breaks its promise (parse
 * accepts and the scan refuses or reports otherwise; a refusal without a
 * reason), else 0; *prc, *src their results (the scan may accept what parse
 * refuses, in the fields it does not report: the callers say where).
 */
static int agree(const void *data, size_t len, int *prc, int *src, char *why, size_t wl)
{
	struct pk_index *ix = NULL;
	struct pk_index_scan_info info = { 0 };
	struct pk_error pe = { 0 }, se = { 0 };
	struct seen c = { 0 };
	int bad = 0;

	*prc = pk_index__parse(data, len, &ix, &pe);
	c.ix = ix;
	*src = pk_index__scan(data, len, ix ? compare_cb : NULL, &c, &info, &se);
	if (!*prc && *src) {
		snprintf(why, wl, "parse accepts, scan refuses: %.300s%s", se.msg, c.why);
		bad = 1;
	} else if (!*prc && (c.n != ix->nr_artifacts || info.artifacts != ix->nr_artifacts ||
			     info.failures != ix->nr_failures || info.version != ix->version ||
			     info.generated != ix->generated || info.expires != ix->expires)) {
		snprintf(why, wl, "header or counts differ: %zu/%zu artifacts, %zu/%zu failures",
			 c.n, ix->nr_artifacts, info.failures, ix->nr_failures);
		bad = 1;
	} else if (*src && (se.code != *src || !se.msg[0])) {
		snprintf(why, wl, "refused without a reason");
		bad = 1;
	}
	pk_index__free(ix);
	return bad;
}

/* ---- tests ---- */

static void test_real(void)
{
	const char *t = "index_scan/real indexes agree with pk_index__parse";
	size_t sizes[] = { 0, 1, 3, 300 };
	char why[512];
	int prc, src;

	for (size_t k = 0; k < PK_ARRAY_SIZE(sizes); k++) {
		struct pk_index *ix = sizes[k] == 3 ? small_index() : synthetic(sizes[k]);
		size_t len;
		char *js = to_json(ix, &len);

		if (!sizes[k])
			ix->version = 1;
		free(js);
		js = to_json(ix, &len);
		CHECK(t, js, "write");
		CHECK(t, !agree(js, len, &prc, &src, why, sizeof(why)) && !prc && !src,
		      "%zu artifacts: %s (parse %d, scan %d)", sizes[k], why, prc, src);
		/* with next_key set, and without the pretty spacing */
		ix->next_key = xstrdup("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3");
		ix->next_key_sig = xstrdup("untrusted comment: x\ntrusted comment: y\n");
		free(js);
		js = to_json(ix, &len);
		CHECK(t, !agree(js, len, &prc, &src, why, sizeof(why)) && !src,
		      "next_key: %s", why);
		{
			struct pk_json j;

			pk_json__init(&j, false);
			pk_index__write(ix, &j);
			CHECK(t, !j.err && !agree(j.buf, j.len, &prc, &src, why, sizeof(why)) && !src,
			      "compact: %s", why);
			pk_json__free(&j);
		}
		free(js);
		pk_index__free(ix);
	}
	/* the fuzz seeds: indexes and build records alike */
	{
		static const char *const seeds[] = {
			"index-compact", "index-failures-nextkey", "index-six", "record-buster-ok",
		};

		for (size_t i = 0; i < PK_ARRAY_SIZE(seeds); i++) {
			char path[256], *d;
			size_t n;

			snprintf(path, sizeof(path), CORPUS "%s", seeds[i]);
			CHECK(t, !pk_file__read(path, &d, &n, 1 << 20), "read %s", path);
			CHECK(t, !agree(d, n, &prc, &src, why, sizeof(why)), "%s: %s", seeds[i], why);
			CHECK(t, i == 3 ? src == -EBADMSG : !src, "%s: scan %d", seeds[i], src);
			free(d);
		}
	}
	PASS(t);
}

static void test_callback(void)
{
	const char *t = "index_scan/callback: order, stop, NULL fn, info";
	struct pk_index *ix = synthetic(30), *back = NULL;
	struct pk_index_scan_info info = { 0 };
	struct pk_error e = { 0 };
	struct seen c = { 0 };
	size_t len;
	char *js = to_json(ix, &len);
	int r;

	CHECK(t, js && !pk_index__parse(js, len, &back, &e), "parse: %s", e.msg);
	c.ix = back;
	c.stop_after = 7;
	r = pk_index__scan(js, len, compare_cb, &c, &info, &e);
	CHECK(t, r == 42 && c.n == 7, "stop: r=%d after %zu (%s)", r, c.n, c.why);
	memset(&info, 0, sizeof(info));
	CHECK(t, !pk_index__scan(js, len, NULL, NULL, &info, &e), "NULL fn: %s", e.msg);
	CHECK(t, info.artifacts == 30 && info.failures == 0 && info.version == 3 &&
		 info.generated == 1700000000 && info.expires == 1700604800,
	      "info %zu %zu %" PRIu64, info.artifacts, info.failures, info.version);
	CHECK(t, !pk_index__scan(js, len, NULL, NULL, NULL, NULL), "NULL info and err");
	CHECK(t, pk_index__scan(NULL, 0, NULL, NULL, NULL, &e) == -EBADMSG, "no data");
	/* the size cap comes before any byte is read */
	CHECK(t, pk_index__scan(js, (size_t)PK_INDEX_MAX_LEN + 1, NULL, NULL, NULL, &e) == -EFBIG,
	      "over the cap");
	free(js);
	pk_index__free(back);
	pk_index__free(ix);
	PASS(t);
}

/* replace the first `from` in text by `to`; NULL when from is absent */
static char *subst(const char *text, const char *from, const char *to)
{
	const char *p = strstr(text, from);
	char *out;

	if (!p)
		return NULL;
	if (asprintf(&out, "%.*s%s%s", (int)(p - text), text, to, p + strlen(from)) < 0)
		return NULL;
	return out;
}

#define P0 "\"path\": \"btf/debian/12/x86_64/6.1.0-0-amd64.btf.tar.xz\""

static void test_hostile(void)
{
	const char *t = "index_scan/hostile text: the same verdict as parse, a reason with a place";
	/* refuse: 0 both accept; 1 both refuse and the scan says msg; 2 only parse
	 * refuses (the leniency index_scan.h owns up to) */
	static const struct {
		const char *from, *to;
		int refuse;
		const char *msg;
	} cases[] = {
		/* escapes */
		{ "\"kind\": \"full-btf\"", "\"kind\": \"full\\u002dbtf\"", 0, NULL },
		{ "\"kind\": \"full-btf\"", "\"kind\": \"full\\/btf\"", 1, "kind" },
		{ "\"kind\": \"full-btf\"", "\"kind\": \"full\\x2dbtf\"", 1, "invalid escape" },
		{ "\"kind\": \"full-btf\"", "\"kind\": \"full\\u2d\"", 1, "4 hex digits" },
		{ "\"kind\": \"full-btf\"", "\"kind\": \"full-btf\\u0000\"", 1, "kind" },
		{ "\"kind\": \"full-btf\"", "\"kind\": \"full-btf\\ud800\"", 1, "kind" },
		{ P0, "\"path\": \"btf/debian/12/x86_64/\\u00e9.btf\"", 1, "path" },
		{ P0, "\"path\": \"btf/debian/12/x86_64/\\ud83d\\ude00.btf\"", 1, "path" },
		{ P0, "\"path\": \"btf/debian/12/x86_64/\xc3\xa9.btf\"", 1, "path" },
		{ P0, "\"path\": \"btf/debian/12/x86_64/a\tb.btf\"", 1, "path" },
		{ "\"date\": \"2026-11-28\"", "\"date\": \"\\ud800 \xff \x01\"", 2, NULL },
		{ "\"date\": \"2026-11-28\"", "\"date\": \"\\u0000\"", 2, NULL },
		{ "\"arch\": \"x86_64\"", "\"arch\": \"\"", 2, NULL },
		/* json-c cuts a key at an escaped NUL */
		{ "\"kind\": \"full-btf\"", "\"kind\\u0000junk\": \"full-btf\"", 0, NULL },
		{ "\"kind\": \"full-btf\"", "\"ki\\u006ed\": \"full-btf\"", 0, NULL },
		{ "\"kind\": \"full-btf\"", "\"kind\\ud800\": \"full-btf\"", 1, "unknown key" },
		/* numbers, as json-c reads them */
		{ "\"size\": 1000", "\"size\": 00", 0, NULL },
		{ "\"size\": 1000", "\"size\": -0", 0, NULL },
		{ "\"size\": 1000", "\"size\": 01", 1, "leading zero" },
		{ "\"size\": 1000", "\"size\": -1", 1, "size: negative" },
		{ "\"size\": 1000", "\"size\": 1000.0", 1, "size: not an integer" },
		{ "\"size\": 1000", "\"size\": 1e3", 1, "size: not an integer" },
		{ "\"size\": 1000", "\"size\": 18446744073709551614", 0, NULL },
		{ "\"size\": 1000", "\"size\": 18446744073709551615", 1, "size: out of range" },
		{ "\"size\": 1000", "\"size\": 99999999999999999999999999", 1, "size: out of range" },
		{ "\"size\": 1000", "\"size\": NaN", 1, "size: not an integer" },
		{ "\"size\": 1000", "\"size\": -Infinity", 1, "size: not an integer" },
		{ "\"size\": 1000", "\"size\": +1", 1, "unexpected character" },
		{ "\"size\": 1000", "\"size\": 1e", 1, "exponent" },
		{ "\"size\": 1000", "\"size\": -", 1, "without digits" },
		{ "\"size\": 1000", "\"size\": 0x10", 1, "',' or '}' expected" },
		{ "\"seconds\": 1.500", "\"seconds\": 00.5", 0, NULL },
		{ "\"seconds\": 1.500", "\"seconds\": 1.", 0, NULL },
		{ "\"seconds\": 1.500", "\"seconds\": -.0", 0, NULL },
		{ "\"seconds\": 1.500", "\"seconds\": .5", 1, "unexpected character" },
		{ "\"version\": 3", "\"version\": 0", 1, "version at byte" },
		{ "\"version\": 3", "\"version\": -0", 1, "less than 1" },
		{ "\"version\": 3", "\"version\": true", 1, "version" },
		{ "\"generated\": 1700000000", "\"generated\": 9223372036854775807", 1, "out of range" },
		{ "\"generated\": 1700000000", "\"generated\": -0", 0, NULL },
		{ "\"expires\": 1700604800", "\"expires\": 1700000000", 1, "not after generated" },
		/* literals, white space */
		{ "\"probe_version\": null", "\"probe_version\": nul", 1, "unexpected" },
		{ "\"probe_version\": null", "\"probe_version\": Null", 1, "unexpected" },
		{ "\"probe_version\": null", "\"probe_version\":\t\r\nnull", 0, NULL },
		{ "\"probe_version\": null", "\"probe_version\":\fnull", 1, "unexpected" },
		{ "\"probe_version\": null,", "\"probe_version\": null,,", 1, "quoted key" },
		{ "\"artifacts\": [", "\"artifacts\": [,", 1, "unexpected" },
		/* duplicate keys: the last one counts, everywhere */
		{ P0, P0 ", \"path\": 5", 1, "path: not a string" },
		{ P0, "\"path\": 5, " P0, 0, NULL },
		{ "\"size\": 1000", "\"size\": \"x\", \"size\": 1000", 0, NULL },
		{ "\"verification\": {", "\"verification\": {\"x\": [1]}, \"verification\": {", 0, NULL },
		{ "\"verification\": {", "\"verification\": null, \"verification\": {", 0, NULL },
		{ "\"kernel\": {", "\"kernel\": {\"a\": 1}, \"kernel\": {", 0, NULL },
		{ "\"kernel\": {", "\"kernel\": 1, \"build\": {", 1, "kernel: not an object" },
		{ "\"state\": \"unverified\"", "\"state\": \"unverified\", \"state\": \"maybe\"", 1,
		  "verification.state" },
		{ "\"state\": \"unverified\"", "\"state\": null, \"state\": \"failed\"", 0, NULL },
		{ "\"schema\": ", "\"schema\": 1, \"schema\": ", 0, NULL },
		{ "\"artifacts\": [", "\"artifacts\": [1, {\"x\": \"\\ud800\"}], \"artifacts\": [", 0, NULL },
		{ "\"failures\": []", "\"failures\": [], \"artifacts\": []", 0, NULL },
		{ "\"failures\": []", "\"failures\": [1]", 1, "failures[0]" },
		{ "\"failures\": []", "\"failures\": {}", 1, "failures" },
		/* wrong types, missing and unknown keys */
		{ "\"artifacts\": [", "\"artifacts\": [1, ", 1, "artifacts[0]" },
		{ "\"artifacts\": [", "\"artifacts\": {\"a\": [", 1, "',' or '}' expected" },
		{ "\"probe_version\": null", "\"probe_version\": \"" PV "\"", 1, "must be null" },
		{ "\"sha256\": \"0", "\"sha256\": \"A", 1, "sha256" },
		{ "\"schema\": \"probekit-index/1\"", "\"schema\": \"probekit-index/1\", \"x\": 0", 1,
		  "unknown key" },
		{ "\"size\": 1000,", "\"size\": 1000, \"colour\": 1,", 1, "unknown key" },
		{ "\"size\": 1000,", "", 1, "size: missing" },
		{ "\"next_key\": null,", "", 1, "next_key: missing" },
		{ "\"next_key\": null", "\"next_key\": 5", 1, "next_key" },
		{ "\"arch\": \"x86_64\"", "\"arch\": 64", 1, "kernel.arch" },
		{ "\"seconds\": 1.500", "\"seconds\": \"1.5\"", 1, "build.seconds" },
		{ "\"inputs\": [", "\"inputs\": 0, \"i\": [", 1, "unknown key" },
	};
	struct pk_index *ix = synthetic(3);
	struct pk_error e;
	char *base, why[512];
	size_t len;
	int prc, src;

	base = to_json(ix, &len);
	CHECK(t, base, "write");
	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		char *bad = subst(base, cases[i].from, cases[i].to);

		CHECK(t, bad, "case %zu: '%s' not in the base text", i, cases[i].from);
		CHECK(t, !agree(bad, strlen(bad), &prc, &src, why, sizeof(why)), "case %zu (%s): %s",
		      i, cases[i].to, why);
		CHECK(t, cases[i].refuse == 1 ? src == -EBADMSG && prc == -EBADMSG
					      : !src && (cases[i].refuse == 2 ? prc == -EBADMSG : !prc),
		      "case %zu (%s): parse %d, scan %d", i, cases[i].to, prc, src);
		if (cases[i].refuse == 1) {
			memset(&e, 0, sizeof(e));
			pk_index__scan(bad, strlen(bad), NULL, NULL, NULL, &e);
			CHECK(t, strstr(e.msg, cases[i].msg) &&
					 (strstr(e.msg, "line ") || strstr(e.msg, "missing in") ||
					  strstr(e.msg, "truncated JSON at byte")),
			      "case %zu (%s): '%s', want '%s' and a place", i, cases[i].to, e.msg,
			      cases[i].msg);
		}
		free(bad);
	}
	/* shapes no substitution gives */
	{
		static const struct { const char *text; size_t len; const char *want; } raw[] = {
			{ "", 0, "no JSON value" },
			{ "  \n", 3, "no JSON value" },
			{ "[]", 2, "not a JSON object" },
			{ "{} x", 4, "byte 3 (line 1, column 4): text after" },
			{ "{}\n\n x", 6, "line 3, column 2" },
			{ "{}", 2, "schema: missing in the root object" },
			{ "{\"schema\": \"a\0b\"}", 17, "NUL byte at offset 13" },
			{ "\xef\xbb\xbf{}", 5, "unexpected character" },
			{ "{\"schema\": \"probekit-index/1\"", 29, "truncated" },
		};

		for (size_t i = 0; i < PK_ARRAY_SIZE(raw); i++) {
			CHECK(t, !agree(raw[i].text, raw[i].len, &prc, &src, why, sizeof(why)),
			      "raw %zu: %s", i, why);
			memset(&e, 0, sizeof(e));
			CHECK(t, pk_index__scan(raw[i].text, raw[i].len, NULL, NULL, NULL, &e) == -EBADMSG,
			      "raw %zu accepted", i);
			CHECK(t, strstr(e.msg, raw[i].want), "raw %zu: '%s', want '%s'", i, e.msg,
			      raw[i].want);
		}
	}
	free(base);
	pk_index__free(ix);
	PASS(t);
}

/* a value nested d deep (the root at 0) in a next_key a later one replaces */
static char *nested(const char *base, int d, bool obj)
{
	char *deep = malloc(16 * (size_t)d + 64), *p = deep, *out;

	p += sprintf(p, "\"next_key\": ");
	for (int i = 1; i < d; i++)
		p += sprintf(p, obj ? "{\"a\": " : "[");
	p += sprintf(p, "1");
	for (int i = 1; i < d; i++)
		p += sprintf(p, obj ? "}" : "]");
	p += sprintf(p, ", \"next_key\": null");
	out = subst(base, "\"next_key\": null", deep);
	free(deep);
	return out;
}

static void test_depth(void)
{
	const char *t = "index_scan/nesting: exactly json-c's depth of 10";
	struct pk_index *ix = synthetic(2);
	char *base, why[512];
	size_t len;
	int prc, src;

	base = to_json(ix, &len);
	for (int obj = 0; obj < 2; obj++)
		for (int d = 8; d <= 12; d++) {
			char *s = nested(base, d, obj);

			CHECK(t, !agree(s, strlen(s), &prc, &src, why, sizeof(why)), "%d %d: %s", obj,
			      d, why);
			CHECK(t, d <= 9 ? !src : src == -EBADMSG, "depth %d (%s): scan %d", d,
			      obj ? "objects" : "arrays", src);
			free(s);
		}
	{
		/* far deeper than any stack: refused at depth 10, in constant stack */
		size_t n = 1 << 20;
		char *s = malloc(n);

		memset(s, '[', n);
		s[0] = '{';
		CHECK(t, pk_index__scan(s, n, NULL, NULL, NULL, NULL) == -EBADMSG, "deep");
		free(s);
	}
	free(base);
	pk_index__free(ix);
	PASS(t);
}

static void test_truncated(void)
{
	const char *t = "index_scan/truncated at every byte, and every byte changed";
	static const char subs[] = "\"\\{}[],: 0-.eAx\t\x01\xff";
	struct pk_index *ix = small_index();
	char *base, why[512];
	size_t len, end;
	int prc, src;

	base = to_json(ix, &len);
	end = strrchr(base, '}') - base;
	for (size_t n = 0; n < len; n++) {
		CHECK(t, !agree(base, n, &prc, &src, why, sizeof(why)), "prefix %zu: %s", n, why);
		CHECK(t, n <= end ? src == -EBADMSG : !src, "prefix %zu: scan %d", n, src);
	}
	/* one byte replaced anywhere: whatever parse accepts, the scan reports alike */
	for (size_t i = 0; i < len; i++) {
		char *m = strdup(base);

		for (size_t k = 0; k < sizeof(subs) - 1; k++) {
			m[i] = subs[k];
			CHECK(t, !agree(m, len, &prc, &src, why, sizeof(why)),
			      "byte %zu = 0x%02x: %s", i, (unsigned char)subs[k], why);
		}
		free(m);
	}
	free(base);
	pk_index__free(ix);
	PASS(t);
}

/* an index written by hand, artifacts in the given order (not sorted), optionally
 * with artifact dup_of's path given to artifact dup_at too */
static char *unsorted(size_t n, size_t dup_at, size_t dup_of, size_t *len)
{
	struct pk_json j;

	pk_json__init(&j, false);
	pk_json__obj_begin(&j);
	pk_json__kv_str(&j, "schema", PK_INDEX_SCHEMA);
	pk_json__kv_uint(&j, "version", 1);
	pk_json__kv_int(&j, "generated", 1);
	pk_json__kv_int(&j, "expires", 2);
	pk_json__key(&j, "next_key");
	pk_json__null(&j);
	pk_json__key(&j, "artifacts");
	pk_json__arr_begin(&j);
	for (size_t i = 0; i < n; i++) {
		/* a permutation: i * 7919 mod n, for n not a multiple of 7919 */
		size_t k = (i == dup_at ? dup_of : i) * 7919 % n;
		char path[64];

		snprintf(path, sizeof(path), "pv/f%zu", k);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "path", path);
		pk_json__kv_uint(&j, "size", k);
		pk_json__kv_str(&j, "sha256", "0000000000000000000000000000000000000000000000000000000000000000");
		pk_json__kv_str(&j, "kind", "core-object");
		pk_json__kv_str(&j, "probe_version", "pv");
		pk_json__key(&j, "kernel");
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "target", NULL);
		pk_json__kv_str(&j, "kernelrelease", NULL);
		pk_json__kv_str(&j, "kernelversion", NULL);
		pk_json__kv_str(&j, "os_id", NULL);
		pk_json__kv_str(&j, "version_id", NULL);
		pk_json__kv_str(&j, "arch", "x86_64");
		pk_json__kv_str(&j, "uname_r", NULL);
		pk_json__obj_end(&j);
		pk_json__key(&j, "build");
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "record", NULL);
		pk_json__kv_str(&j, "compiler", NULL);
		pk_json__kv_str(&j, "log_sha256", NULL);
		pk_json__kv_uint(&j, "seconds", 1);
		pk_json__key(&j, "inputs");
		pk_json__arr_begin(&j);
		pk_json__arr_end(&j);
		pk_json__obj_end(&j);
		pk_json__key(&j, "verification");
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "state", "unverified");
		pk_json__kv_str(&j, "kernel", NULL);
		pk_json__kv_str(&j, "mode", NULL);
		pk_json__kv_str(&j, "date", NULL);
		pk_json__kv_str(&j, "reason", NULL);
		pk_json__obj_end(&j);
		pk_json__obj_end(&j);
	}
	pk_json__arr_end(&j);
	pk_json__key(&j, "failures");
	pk_json__arr_begin(&j);
	pk_json__arr_end(&j);
	pk_json__obj_end(&j);
	*len = j.len;
	return j.buf;
}

static void test_unique(void)
{
	const char *t = "index_scan/unique paths, sorted or not";
	size_t n = 3000, len;
	char *js, why[512];
	struct pk_error e = { 0 };
	int prc, src;

	js = unsorted(n, SIZE_MAX, 0, &len);
	CHECK(t, !agree(js, len, &prc, &src, why, sizeof(why)) && !src, "unsorted: %s", why);
	free(js);
	/* a repeated path anywhere: first, last, next to each other, far apart */
	{
		static const size_t at[][2] = { { 1, 0 }, { 2999, 0 }, { 2999, 2998 }, { 1500, 17 },
						{ 2, 1 } };

		for (size_t i = 0; i < PK_ARRAY_SIZE(at); i++) {
			js = unsorted(n, at[i][0], at[i][1], &len);
			CHECK(t, !agree(js, len, &prc, &src, why, sizeof(why)) && src == -EBADMSG,
			      "dup %zu at %zu: %s", at[i][1], at[i][0], why);
			memset(&e, 0, sizeof(e));
			pk_index__scan(js, len, NULL, NULL, NULL, &e);
			CHECK(t, strstr(e.msg, "the path of an earlier artifact"), "'%s'", e.msg);
			free(js);
		}
	}
	/* sorted, with a duplicate: the canonical writer never makes one, by hand */
	{
		struct pk_index *ix = synthetic(4);
		char *base = to_json(ix, &len), *open = strstr(base, "\"artifacts\": [") + 14;
		char *first = strstr(open, "{"), *second = strstr(first + 1, "\n    {");
		char *d;

		CHECK(t, asprintf(&d, "%.*s%.*s,%s", (int)(second - base), base,
				  (int)(second - first) - 1, first, second) > 0, "asprintf");
		CHECK(t, !agree(d, strlen(d), &prc, &src, why, sizeof(why)) && src == -EBADMSG,
		      "sorted dup: %s", why);
		free(d);
		free(base);
		pk_index__free(ix);
	}
	PASS(t);
}

/* ---- benchmark ---- */

static long maxrss_kib(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static int count_cb(const struct pk_index_scan_artifact *a, void *ctx)
{
	(*(size_t *)ctx)++;
	return 0;
}

/* --bench-one scan|parse FILE: one reader in a fresh process (peak RSS is per
 * process): best of 5 warm runs, and the peak RSS growth of the first */
static int bench_one(const char *how, const char *path)
{
	bool scan = !strcmp(how, "scan");
	double best = 1e30;
	long rss0, rss1 = 0, rss_data;
	char *data;
	size_t len;

	rss0 = maxrss_kib();
	if (pk_file__read(path, &data, &len, PK_INDEX_MAX_LEN))
		return 1;
	rss_data = maxrss_kib();
	for (int run = 0; run < 5; run++) {
		struct pk_error e = { 0 };
		double t0 = pk_now_ms(), ms;
		size_t n = 0;

		if (scan) {
			if (pk_index__scan(data, len, count_cb, &n, NULL, &e)) {
				fprintf(stderr, "scan: %s\n", e.msg);
				return 1;
			}
		} else {
			struct pk_index *ix;

			if (pk_index__parse(data, len, &ix, &e)) {
				fprintf(stderr, "parse: %s\n", e.msg);
				return 1;
			}
			pk_index__free(ix);
		}
		ms = pk_now_ms() - t0;
		if (!run)
			rss1 = maxrss_kib();
		if (ms < best)
			best = ms;
	}
	printf("%s_ms %.2f\n%s_peak_rss_growth_kib %ld\n%s_peak_rss_kib %ld\n", how, best, how,
	       rss1 - rss_data, how, rss1);
	(void)rss0;
	free(data);
	return 0;
}

static int bench_tool(int argc, char **argv)
{
	size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 50000, len;
	struct pk_index *ix = synthetic(n);
	char *js, file[] = "/tmp/pk-index-scan-bench-XXXXXX";
	int fd, rc = 0;

	js = ix ? to_json(ix, &len) : NULL;
	pk_index__free(ix);
	fd = mkstemp(file);
	if (!js || fd < 0 || write(fd, js, len) != (ssize_t)len)
		return 1;
	close(fd);
	free(js);
	printf("artifacts %zu\nindex_bytes %zu\n", n, len);
	fflush(stdout);
	for (int k = 0; k < 2 && !rc; k++) {
		char *args[] = { argv[0], "--bench-one", k ? "parse" : "scan", file, NULL };
		pid_t pid;
		int st;

		if (posix_spawn(&pid, "/proc/self/exe", NULL, NULL, args, environ) ||
		    waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
			rc = 1;
	}
	/* --bench N OUT.json keeps the index (for --bench-one scan|parse OUT.json) */
	if (argc > 3 ? rename(file, argv[3]) : unlink(file))
		rc = 1;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "--bench-one"))
		return bench_one(argv[2], argv[3]);
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench_tool(argc, argv);
	test_real();
	test_callback();
	test_hostile();
	test_depth();
	test_truncated();
	test_unique();
	return UNIT_EXIT();
}
