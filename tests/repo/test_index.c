/* Unit tests of the repository index: canonical round trip, every malformed shape
 * refused with its field named, add/replace/sort, the path rule, real build records.
 * Also two tools for the scripts: --html IN.json OUT.html [TITLE] (tests/repo/html.sh)
 * and --bench N [OUT.json] (a synthetic N-artifact index: write and parse times). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "common/json.h"
#include "repo/html.h"
#include "repo/index.h"
#include "unit.h"
#include "repo/index_fixture.h"

#define CORPUS "tests/fuzz/corpus/fuzz_repo_index/"

static void hex64(char out[65], char c)
{
	memset(out, c, 64);
	out[64] = 0;
}

/* the small index the malformed cases start from: distinct values everywhere, so
 * that one substitution hits one field */
static struct pk_index *small_index(void)
{
	struct pk_index *ix = pk_index__new();
	struct pk_index_artifact a;
	struct pk_index_failure f = { 0 };
	struct pk_error e = { 0 };

	ix->version = 7;
	ix->generated = 1700000000;
	ix->expires = 1700086400;
	make_artifact(&a, 40, "legacy-object");
	hex64(a.sha256, 'c');
	a.size = 4242;
	a.seconds = 2.25;
	hex64(a.inputs[0].sha256, 'd');
	pk_index__add_artifact(ix, &a, &e);
	make_artifact(&a, 40, "reduced-btf");
	a.seconds = 0.125;
	pk_index__add_artifact(ix, &a, &e);
	make_artifact(&a, 40, "full-btf");
	a.seconds = 1.5;
	pk_index_artifact__set_verification(&a, "verified", "6.1.0-40-amd64", "kvm",
					    "2026-11-28T10:00:00Z", NULL);
	pk_index__add_artifact(ix, &a, &e);
	f.key = xstrdup("debian:6.1.153-1-amd64");
	f.kind = xstrdup("legacy-object");
	f.probe_version = xstrdup(PV);
	f.stage = xstrdup("compile");
	f.reason = xstrdup("no headers");
	f.record = xstrdup("_build/" PV "/debian_6.1.153-1-amd64.json");
	f.log_tail = xstrdup("line 1\nline 2 <b>\n");
	pk_index__add_failure(ix, &f, &e);
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

static void test_round_trip(void)
{
	const char *t = "index/round-trip";
	struct pk_index *ix = small_index(), *back = NULL;
	struct pk_error e = { 0 };
	char *a, *b;
	size_t al, bl;

	CHECK(t, ix->nr_artifacts == 3 && ix->nr_failures == 1, "small index: %zu %zu",
	      ix->nr_artifacts, ix->nr_failures);
	a = to_json(ix, &al);
	CHECK(t, a, "write failed");
	CHECK(t, !pk_index__parse(a, al, &back, &e), "parse: %s", e.msg);
	b = to_json(back, &bl);
	CHECK(t, b && al == bl && !memcmp(a, b, al), "not byte-identical:\n%s\n---\n%s", a, b);
	CHECK_INT(t, back->version, 7);
	CHECK_STR(t, back->artifacts[0].path, "btf/debian/12/x86_64/6.1.0-40-amd64.btf.tar.xz");
	CHECK(t, !back->artifacts[0].probe_version, "full-btf has a probe version");
	CHECK_STR(t, back->artifacts[0].verification.state, "verified");
	CHECK_STR(t, back->artifacts[1].verification.state, "unverified");
	CHECK_STR(t, back->artifacts[2].kind, "legacy-object");
	CHECK_INT(t, back->artifacts[2].nr_inputs, 3);
	CHECK_STR(t, back->failures[0].log_tail, "line 1\nline 2 <b>\n");
	/* the canonical text: fixed key order, pretty, final newline */
	CHECK(t, strstr(a, "{\n  \"schema\": \"probekit-index/1\",\n  \"version\": 7,\n"
			   "  \"generated\": 1700000000,\n  \"expires\": 1700086400,\n"
			   "  \"next_key\": null,\n  \"artifacts\": [\n") == a,
	      "head:\n%.300s", a);
	CHECK(t, a[al - 1] == '\n', "no final newline");
	/* the same content added in another order gives the same bytes */
	{
		struct pk_index *ix2 = pk_index__new();
		char *c;
		size_t cl;

		ix2->version = 7;
		ix2->generated = 1700000000;
		ix2->expires = 1700086400;
		for (size_t i = back->nr_artifacts; i-- > 0;) {
			struct pk_index_artifact *s = &back->artifacts[i], m = *s;

			memset(s, 0, sizeof(*s));	/* moved into ix2 */
			CHECK(t, !pk_index__add_artifact(ix2, &m, &e), "add: %s", e.msg);
		}
		ix2->failures = back->failures;
		ix2->nr_failures = back->nr_failures;
		back->failures = NULL;
		back->nr_failures = 0;
		c = to_json(ix2, &cl);
		CHECK(t, c && cl == al && !memcmp(a, c, al), "another order, other bytes");
		free(c);
		pk_index__free(ix2);
	}
	/* next_key rotation survives too */
	ix->next_key = xstrdup("RWQf6LRCGA9i53mlYecO4IzT51TGPpvWucNSCh1CBM0QTaLn73Y7GFO3");
	ix->next_key_sig = xstrdup("untrusted comment: x\nRWQ...\ntrusted comment: y\nabc\n");
	free(a);
	free(b);
	pk_index__free(back);
	back = NULL;
	a = to_json(ix, &al);
	CHECK(t, a && !pk_index__parse(a, al, &back, &e), "parse with next_key: %s", e.msg);
	b = to_json(back, &bl);
	CHECK(t, b && al == bl && !memcmp(a, b, al), "next_key not byte-identical");
	CHECK_STR(t, back->next_key_sig, ix->next_key_sig);
	free(a);
	free(b);
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

static void test_malformed(void)
{
	const char *t = "index/malformed";
	static const struct {
		const char *from, *to, *want;
	} cases[] = {
		{ "probekit-index/1", "probekit-index/2", "schema: not probekit-index/1" },
		{ "\"version\": 7,", "\"version\": 0,", "version: less than 1" },
		{ "\"version\": 7,", "\"version\": \"7\",", "version: not an integer" },
		{ "\"version\": 7,", "\"version\": 7.0,", "version: not an integer" },
		{ "\"version\": 7,", "\"version\": 18446744073709551616,", "version: out of range" },
		{ "\"generated\": 1700000000", "\"generated\": 99999999999999999999",
		  "generated: out of range" },
		{ "\"expires\": 1700086400", "\"expires\": 1700000000", "expires: not after generated" },
		{ "\"expires\": 1700086400,", "", "expires: missing" },
		{ "\"schema\"", "\"colour\": 1, \"schema\"", "colour: unknown key" },
		{ "\"next_key\": null", "\"next_key\": {\"key\": \"k\"}", "next_key.signature: missing" },
		{ "\"next_key\": null", "\"next_key\": [[[[[[[[[[[[1]]]]]]]]]]]]", "nesting too deep" },
		{ "\"artifacts\": [", "\"artifacts\": [1, ", "artifacts[0]: not an object" },
		{ "\"artifacts\": [", "\"artifacts\": {", "JSON error" },
		{ "\"sha256\": \"cccc", "\"sha256\": \"Cccc",
		  "artifacts[2].sha256: not 64 lower-case hex digits" },
		{ "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "cccc",
		  "artifacts[2].sha256: not 64 lower-case hex digits" },
		{ "\"size\": 4242,", "", "artifacts[2].size: missing" },
		{ "\"size\": 4242,", "\"size\": -1,", "artifacts[2].size: negative" },
		{ "\"size\": 4242,", "\"size\": \"4242\",", "artifacts[2].size: not an integer" },
		{ "\"kind\": \"legacy-object\"", "\"kind\": \"legacy-object\", \"extra\": 1",
		  "artifacts[2].extra: unknown key" },
		{ "\"kind\": \"legacy-object\"", "\"kind\": \"kernel-module\"", "artifacts[2].kind: " },
		{ "\"path\": \"" PV "/x86_64/", "\"path\": \"" PV "/../x86_64/",
		  "artifacts[2].path: '" PV "/../x86_64/" },
		{ "\"path\": \"" PV "/x86_64/", "\"path\": \"/" PV "/x86_64/", "artifacts[2].path: '/" },
		{ "\"path\": \"" PV "/x86_64/", "\"path\": \"pffffffffffffff/x86_64/",
		  "artifacts[2].path: not under '" PV "/'" },
		{ "\"path\": \"" PV "/btf/debian/12/x86_64/6.1.0-40-amd64.btf\"",
		  "\"path\": \"" PV "/x86_64/probekit_debian_6.1.100-41-amd64_1.o\"",
		  "artifacts[2].path: '" PV "/x86_64/probekit_debian_6.1.100-41-amd64_1.o' already at "
		  "artifacts[1]" },
		{ "\"path\": \"btf/", "\"path\": \"xbtf/", "artifacts[0].path: full-btf outside 'btf/'" },
		{ "\"probe_version\": null", "\"probe_version\": \"" PV "\"",
		  "artifacts[0].probe_version: must be null for full-btf" },
		{ "\"probe_version\": \"" PV "\"", "\"probe_version\": null",
		  "artifacts[1].probe_version: missing" },
		{ "\"arch\": \"x86_64\"", "\"arch\": null", "artifacts[0].kernel.arch: missing" },
		{ "\"uname_r\": \"6.1.0-40-amd64\"", "\"uname_r\": 40", "artifacts[0].kernel.uname_r: not a string" },
		{ "\"kernel\": {", "\"kernel\": [{", "JSON error" },
		/* json-c keeps the last of a repeated key: the kernel's fields go to a
		 * "build" that the real one then replaces */
		{ "\"kernel\": {", "\"kernel\": null, \"build\": {", "artifacts[0].kernel: null" },
		{ "\"seconds\": 2.250", "\"seconds\": NaN", "artifacts[2].build.seconds: not a duration" },
		{ "\"seconds\": 2.250", "\"seconds\": -1", "artifacts[2].build.seconds: not a duration" },
		{ "\"seconds\": 2.250", "\"seconds\": 1e9.5", "JSON error" },
		{ "\"log_sha256\": \"", "\"log_sha256\": \"x", "artifacts[0].build.log_sha256: not 64" },
		{ "\"record\": \"_build/", "\"record\": \"_build//", "artifacts[0].build.record: '_build//" },
		{ "dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd", "dddd",
		  "artifacts[2].build.inputs[0].sha256: not 64 lower-case hex digits" },
		{ "\"name\": \"linux-image", "\"nam\": \"linux-image",
		  "artifacts[0].build.inputs[0].nam: unknown key" },
		{ "\"state\": \"unverified\"", "\"state\": \"maybe\"",
		  "artifacts[1].verification.state: not unverified, verified or failed" },
		{ "\"state\": \"verified\"", "\"state\": null", "artifacts[0].verification.state: null" },
		{ "\"stage\": \"compile\"", "\"stage\": 5", "failures[0].stage: not a string" },
		{ "\"stage\": \"compile\"", "\"stage\": \"\"", "failures[0].stage: empty" },
		{ "no headers", "no\\u0000headers", "failures[0].reason: holds a NUL character" },
		{ "no headers", "no \xff headers", "failures[0].reason: not valid UTF-8" },
		{ "\"kernel\": {", "\"kernel\": {\"\xff\": 1, ", "artifacts[0].kernel.\xff: unknown key" },
		{ "no headers", "no \xed\xa0\x80 headers", "failures[0].reason: not valid UTF-8" },
		{ "\"key\": \"debian:6.1.153-1-amd64\"", "\"key\": \"\"", "failures[0].key: empty" },
		{ "\"kind\": \"legacy-object\",\n      \"probe_version\": \"" PV "\",\n      \"stage\"",
		  "\"kind\": \"full-btf\",\n      \"probe_version\": \"" PV "\",\n      \"stage\"",
		  "failures[0].probe_version: null for full-btf" },
	};
	struct pk_index *ix = small_index(), *out;
	struct pk_error e;
	char *base;
	size_t len;

	base = to_json(ix, &len);
	CHECK(t, base, "write");
	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		char *bad = subst(base, cases[i].from, cases[i].to);
		int r;

		CHECK(t, bad, "case %zu: '%s' not in the base text", i, cases[i].from);
		memset(&e, 0, sizeof(e));
		out = (struct pk_index *)1;
		r = pk_index__parse(bad, strlen(bad), &out, &e);
		free(bad);
		CHECK(t, r == -EBADMSG && !out, "case %zu (%s): accepted (r=%d)", i, cases[i].want, r);
		CHECK(t, strstr(e.msg, cases[i].want), "case %zu: message '%s', want '%s'", i, e.msg,
		      cases[i].want);
	}
	/* shapes no substitution gives */
	{
		static const struct { const char *text, *want; } raw[] = {
			{ "", "truncated" },
			{ "[]", "not a JSON object" },
			{ "{\"schema\": \"probekit-index/1\"", "truncated" },
			{ "{} x", "JSON error at offset 3" },
			{ "{}", "schema: missing" },
			{ "{\"schema\": \"probekit-index/1\"}\0", "NUL byte" },
		};

		for (size_t i = 0; i < PK_ARRAY_SIZE(raw); i++) {
			size_t n = strlen(raw[i].text) + (i == 5);

			memset(&e, 0, sizeof(e));
			CHECK(t, pk_index__parse(raw[i].text, n, &out, &e) == -EBADMSG,
			      "raw %zu accepted", i);
			CHECK(t, strstr(e.msg, raw[i].want), "raw %zu: '%s', want '%s'", i, e.msg,
			      raw[i].want);
		}
	}
	/* truncated anywhere: refused, never a crash */
	for (size_t n = 0; n < len - 2; n += 7) {
		CHECK(t, pk_index__parse(base, n, &out, NULL) == -EBADMSG, "prefix %zu accepted", n);
	}
	/* duplicate failure */
	{
		const char *f0 = strstr(base, "\"failures\": [\n    {");
		const char *end = f0 ? strstr(f0, "\n    }") : NULL;
		char *dup;

		CHECK(t, f0 && end, "no failure object in the base text");
		f0 += strlen("\"failures\": [\n    ");
		end += strlen("\n    }");
		CHECK(t, asprintf(&dup, "%.*s, %s", (int)(end - base), base, f0) > 0, "asprintf");
		memset(&e, 0, sizeof(e));
		CHECK(t, pk_index__parse(dup, strlen(dup), &out, &e) == -EBADMSG, "duplicate failure");
		free(dup);
		CHECK(t, strstr(e.msg, "failures[1]: same key, kind and probe_version as failures[0]"),
		      "'%s'", e.msg);
	}
	/* accepted, and written in its one canonical form */
	{
		char *odd = subst(base, "\"seconds\": 2.250", "\"seconds\": -0.0"), *w;
		size_t wl;

		CHECK(t, odd && !pk_index__parse(odd, strlen(odd), &out, &e), "-0.0: %s", e.msg);
		w = to_json(out, &wl);
		CHECK(t, w && strstr(w, "\"seconds\": 0.000") && !strstr(w, "-0.000"), "-0 written as is");
		free(w);
		free(odd);
		pk_index__free(out);
	}
	/* the size cap comes before any parsing */
	{
		PK_INDEX_PARSE_OPTS(o, .max_len = 100);

		memset(&e, 0, sizeof(e));
		CHECK(t, pk_index__parse_opts(base, len, &o, &out, &e) == -EFBIG, "over the cap");
		CHECK(t, strstr(e.msg, "more than the 100 allowed"), "'%s'", e.msg);
	}
	free(base);
	pk_index__free(ix);
	PASS(t);
}

static void test_paths(void)
{
	const char *t = "index/path-rule";
	static const char *const bad[] = {
		"../x", "/x", "a//b", "a/./b", "a/../b", "a/", ".", "..", "", "a b", "a\tb", "a/\xc3\xa9",
		"x/\x7f", "x\\\x01", "a/b\\c", "a/%2e%2e/b", "a?b", "a#b",
	};
	static const char *const good[] = {
		"a", "a/b.c", "..a/b..", ".hidden/x", PV "/x86_64/probekit_debian_6.1.0+deb12~1_1.o",
		"a/b\"<>",
	};
	char big[600];

	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		struct pk_error e = { 0 };

		CHECK(t, pk_index__check_path(bad[i], &e) == -EBADMSG, "'%s' accepted", bad[i]);
		CHECK(t, e.msg[0], "'%s': no reason", bad[i]);
	}
	for (size_t i = 0; i < PK_ARRAY_SIZE(good); i++) {
		struct pk_error e = { 0 };

		CHECK(t, !pk_index__check_path(good[i], &e), "'%s' refused: %s", good[i], e.msg);
	}
	memset(big, 'a', sizeof(big));
	big[512] = 0;
	CHECK(t, !pk_index__check_path(big, NULL), "512 bytes refused");
	big[512] = 'a';
	big[513] = 0;
	{
		struct pk_error e = { 0 };

		CHECK(t, pk_index__check_path(big, &e) == -EBADMSG, "513 bytes accepted");
		CHECK(t, strstr(e.msg, "longer than 512"), "'%s'", e.msg);
	}
	PASS(t);
}

static void test_model(void)
{
	const char *t = "index/add-replace-sort";
	struct pk_index *ix = pk_index__new();
	struct pk_index_artifact a;
	struct pk_index_failure f = { 0 };
	struct pk_error e = { 0 };

	CHECK(t, ix, "new");
	/* added in reverse, found by path, written sorted */
	for (size_t i = 50; i-- > 0;) {
		make_artifact(&a, i, i % 3 == 0 ? "legacy-object" : i % 3 == 1 ? "reduced-btf" : "full-btf");
		CHECK(t, !pk_index__add_artifact(ix, &a, &e), "add %zu: %s", i, e.msg);
		CHECK(t, !a.path && !a.inputs, "not moved");
	}
	CHECK_INT(t, ix->nr_artifacts, 50);
	make_artifact(&a, 7, "reduced-btf");
	CHECK(t, pk_index__find(ix, a.path) && pk_index__find(ix, a.path)->size == 1007, "find");
	/* the same path replaces */
	a.size = 99;
	CHECK(t, !pk_index__add_artifact(ix, &a, &e), "replace: %s", e.msg);
	CHECK_INT(t, ix->nr_artifacts, 50);
	make_artifact(&a, 7, "reduced-btf");
	CHECK_INT(t, pk_index__find(ix, a.path)->size, 99);
	pk_index__sort(ix);
	for (size_t i = 1; i < ix->nr_artifacts; i++)
		CHECK(t, strcmp(ix->artifacts[i - 1].path, ix->artifacts[i].path) < 0, "not sorted at %zu", i);
	CHECK_INT(t, pk_index__find(ix, a.path)->size, 99);	/* found after the sort moved it */
	CHECK_INT(t, pk_index__remove(ix, a.path), 0);
	CHECK(t, !pk_index__find(ix, a.path), "removed, still found");
	CHECK_INT(t, pk_index__remove(ix, a.path), -ENOENT);
	CHECK_INT(t, ix->nr_artifacts, 49);
	pk_index_artifact__clear(&a);

	/* a bad artifact is refused, and freed */
	make_artifact(&a, 1, "legacy-object");
	free(a.path);
	a.path = xstrdup(PV "/x86_64/../x.o");
	CHECK_INT(t, pk_index__add_artifact(ix, &a, &e), -EBADMSG);
	CHECK(t, strstr(e.msg, "path: ") && !a.path, "'%s'", e.msg);
	make_artifact(&a, 1, "legacy-object");
	free(a.kernelrelease);
	a.kernelrelease = NULL;
	CHECK_INT(t, pk_index__add_artifact(ix, &a, &e), -EBADMSG);
	CHECK_STR(t, e.msg, "kernel.kernelrelease: missing");

	/* failures: the same key+kind+probe version replaces; a success removes it */
	for (int k = 0; k < 2; k++) {
		f.key = xstrdup("debian:6.1.200-1-amd64");
		f.kind = xstrdup("legacy-object");
		f.probe_version = xstrdup(PV);
		f.stage = xstrdup(k ? "compile" : "download");
		f.reason = xstrdup("boom");
		CHECK(t, !pk_index__add_failure(ix, &f, &e), "add failure: %s", e.msg);
	}
	f.key = xstrdup("debian:6.1.200-1-amd64");
	f.kind = xstrdup("full-btf");
	f.stage = xstrdup("extract");
	f.reason = xstrdup("no BTF");
	CHECK(t, !pk_index__add_failure(ix, &f, &e), "add failure: %s", e.msg);
	f.key = xstrdup("debian:6.1.100-1-amd64");
	f.kind = xstrdup("full-btf");
	f.probe_version = xstrdup(PV);
	f.stage = xstrdup("extract");
	f.reason = xstrdup("no BTF");
	CHECK_INT(t, pk_index__add_failure(ix, &f, &e), -EBADMSG);
	CHECK(t, strstr(e.msg, "probe_version"), "'%s'", e.msg);
	CHECK_INT(t, ix->nr_failures, 2);
	CHECK_STR(t, pk_index__find_failure(ix, "debian:6.1.200-1-amd64", "legacy-object", PV)->stage,
		  "compile");
	CHECK(t, pk_index__find_failure(ix, "debian:6.1.200-1-amd64", "full-btf", NULL), "full-btf");
	pk_index__sort(ix);
	CHECK_STR(t, ix->failures[0].kind, "full-btf");
	make_artifact(&a, 0, "legacy-object");
	free(a.kernelrelease);
	a.kernelrelease = xstrdup("6.1.200-1-amd64");
	CHECK(t, !pk_index__add_artifact(ix, &a, &e), "add: %s", e.msg);
	CHECK_INT(t, ix->nr_failures, 1);
	CHECK(t, !pk_index__find_failure(ix, "debian:6.1.200-1-amd64", "legacy-object", PV),
	      "the failure stayed after a success");
	/* a CO-RE object belongs to no kernel: its arch and probe version are enough */
	memset(&a, 0, sizeof(a));
	a.path = xstrdup(PV "/x86_64/probe.core.bpf.o");
	a.kind = xstrdup("core-object");
	a.probe_version = xstrdup(PV);
	a.arch = xstrdup("x86_64");
	a.size = 30000;
	hex64(a.sha256, 'e');
	CHECK(t, !pk_index__add_artifact(ix, &a, &e), "core-object: %s", e.msg);
	{
		struct pk_index *back;
		char *js, *js2;
		size_t jl, jl2;

		ix->version = 1;
		ix->expires = 1;
		js = to_json(ix, &jl);
		CHECK(t, js && !pk_index__parse(js, jl, &back, &e), "parse: %s", e.msg);
		CHECK(t, !pk_index__find(back, PV "/x86_64/probe.core.bpf.o")->kernelrelease, "kernel");
		js2 = to_json(back, &jl2);
		CHECK(t, js2 && jl == jl2 && !memcmp(js, js2, jl), "not byte-identical");
		free(js);
		free(js2);
		pk_index__free(back);
	}

	/* freshness: expiry and rollback */
	ix->version = 5;
	ix->expires = 1000;
	CHECK_INT(t, pk_index__check_fresh(ix, 999, 5, &e), 0);
	CHECK_INT(t, pk_index__check_fresh(ix, 1000, 5, &e), -EKEYEXPIRED);
	CHECK(t, strstr(e.msg, "expired 0 s ago"), "'%s'", e.msg);
	CHECK_INT(t, pk_index__check_fresh(ix, 999, 6, &e), -ESTALE);
	CHECK(t, strstr(e.msg, "rollback"), "'%s'", e.msg);
	pk_index__free(ix);
	pk_index__free(NULL);
	PASS(t);
}

static int read_corpus(const char *name, char **data, size_t *len)
{
	return pk_file__read(name, data, len, 1 << 20);
}

static void test_record(void)
{
	const char *t = "index/build-record";
	struct pk_index *ix = pk_index__new(), *back = NULL;
	struct pk_index_artifact *a;
	struct pk_error e = { 0 };
	char *data, *bad, *js, *js2;
	size_t len, jl, jl2;

	/* a real record of `probekit build` (bullseye, headers 404: two ok, one failed) */
	CHECK(t, !read_corpus(CORPUS "record-bullseye-partial", &data, &len), "cannot read the record");
	CHECK(t, !pk_index__add_record(ix, data, len, &e), "add_record: %s", e.msg);
	CHECK_INT(t, ix->nr_artifacts, 2);
	CHECK_INT(t, ix->nr_failures, 1);
	a = pk_index__find(ix, "pa71567effdd297c/btf/debian/11/x86_64/6.1.0-0.deb11.51-amd64.btf");
	CHECK(t, a, "reduced BTF missing");
	CHECK_STR(t, a->kind, "reduced-btf");
	CHECK_STR(t, a->probe_version, "pa71567effdd297c");
	CHECK_INT(t, a->size, 1436);
	CHECK_STR(t, a->sha256, "6ddbf518b60ae005c55b31c598979a662f65cb76834712c8a7bbd64ff719b80c");
	CHECK_STR(t, a->arch, "x86_64");
	CHECK_STR(t, a->version_id, "11");
	CHECK_STR(t, a->kernelrelease, "6.1.177-1~deb11u1-amd64");
	CHECK_STR(t, a->record, "_build/pa71567effdd297c/debian_6.1.177-1~deb11u1-amd64.json");
	CHECK_STR(t, a->log_sha256, "675a5a24a85666157a75683a92167275717fec0d6d2a08c8e487ca91419d4a7c");
	CHECK_INT(t, a->nr_inputs, 1);
	CHECK_STR(t, a->inputs[0].name, "linux-image-6.1.0-0.deb11.51-amd64");
	a = pk_index__find(ix, "btf/debian/11/x86_64/6.1.0-0.deb11.51-amd64.btf.tar.xz");
	CHECK(t, a && !a->probe_version, "full BTF missing or with a probe version");
	CHECK_STR(t, ix->failures[0].key, "debian:6.1.177-1~deb11u1-amd64");
	CHECK_STR(t, ix->failures[0].kind, "legacy-object");
	CHECK_STR(t, ix->failures[0].stage, "download");
	CHECK(t, strstr(ix->failures[0].reason, "HTTP 404"), "reason '%s'", ix->failures[0].reason);
	CHECK(t, ix->failures[0].log_tail && strstr(ix->failures[0].log_tail, "FAILED"), "log tail");

	/* the same record again: replaces, adds nothing */
	CHECK(t, !pk_index__add_record(ix, data, len, &e), "again: %s", e.msg);
	CHECK_INT(t, ix->nr_artifacts, 2);
	CHECK_INT(t, ix->nr_failures, 1);

	/* one bad field anywhere and nothing of the record goes in */
	{
		static const struct { const char *from, *to, *want; } cases[] = {
			{ "probekit-build/1", "probekit-build/9", "schema: not probekit-build/1" },
			{ "\"key\": \"debian:", "\"key\": \"ubuntu:", "key: not target:kernelrelease" },
			{ "\"sha256\": \"6ddbf5", "\"sha256\": \"6DDBF5",
			  "artifacts[1].sha256: not 64 lower-case hex digits" },
			{ "\"path\": \"pa71567effdd297c/btf", "\"path\": \"pa71567effdd297c/../btf",
			  "artifacts[1].path: " },
			{ "\"path\": \"pa71567effdd297c/btf", "\"path\": \"pffff/btf",
			  "artifacts[1].path: not under 'pa71567effdd297c/'" },
			{ "\"status\": \"ok\"", "\"status\": \"maybe\"", "artifacts[1].status: not ok or failed" },
			{ "\"size\": 1436", "\"size\": 1436.5", "artifacts[1].size: not an integer" },
			{ "\"stage\": \"download\"", "\"stage\": null", "artifacts[0].stage: null" },
			{ "\"machine\": \"x86_64\"", "\"machine\": 64", "machine: not a string" },
			{ "\"probe_version\": \"pa71567effdd297c\"", "\"probe_version\": \"..\"",
			  "probe_version: not one path component" },
			{ "\"sha256\": \"4bfb9d", "\"sha256\": \"zzzz", "inputs[0].sha256: not 64" },
			{ "\"log_sha256\": \"675a", "\"log_sha256\": \"675", "log_sha256: not 64" },
			{ "\"seconds\": 0.012", "\"seconds\": Infinity", "artifacts[1].seconds: not a duration" },
		};

		for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
			struct pk_index *fresh = pk_index__new();

			bad = subst(data, cases[i].from, cases[i].to);
			CHECK(t, bad, "case %zu: '%s' not in the record", i, cases[i].from);
			memset(&e, 0, sizeof(e));
			CHECK(t, pk_index__add_record(fresh, bad, strlen(bad), &e) == -EBADMSG,
			      "case %zu accepted", i);
			free(bad);
			CHECK(t, strstr(e.msg, cases[i].want), "case %zu: '%s', want '%s'", i, e.msg,
			      cases[i].want);
			CHECK(t, !fresh->nr_artifacts && !fresh->nr_failures, "case %zu: half added", i);
			pk_index__free(fresh);
		}
		/* a null digest is allowed for a package no ok artifact was built from ... */
		bad = subst(data, "\"sha256\": \"3cc4006544be6a530cc50bd2efd0a3089ddb2db638fe38dec6d32f633388f4ce\"",
			    "\"sha256\": null");
		CHECK(t, bad && !pk_index__add_record(ix, bad, strlen(bad), &e), "null headers digest: %s", e.msg);
		free(bad);
		/* ... not for one it was */
		bad = subst(data, "\"sha256\": \"4bfb9d4766579ec811cf1e42bdb4ab1366356aa06651e24ebcc525dfccc56a9b\"",
			    "\"sha256\": null");
		CHECK(t, bad && pk_index__add_record(ix, bad, strlen(bad), &e) == -EBADMSG,
		      "null image digest accepted");
		free(bad);
		CHECK(t, strstr(e.msg, "inputs[0].sha256: null, but reduced-btf was built from it"), "'%s'", e.msg);
	}
	free(data);

	/* a record where all three were built: the legacy object takes the headers */
	CHECK(t, !read_corpus(CORPUS "record-buster-ok", &data, &len), "cannot read the record");
	CHECK(t, !pk_index__add_record(ix, data, len, &e), "add_record: %s", e.msg);
	free(data);
	CHECK_INT(t, ix->nr_artifacts, 5);
	a = pk_index__find(ix, "pa71567effdd297c/x86_64/probekit_debian_5.10.218-1-amd64_1.o");
	CHECK(t, a, "legacy object missing");
	CHECK_STR(t, a->compiler, "Debian clang version 14.0.6");
	CHECK(t, a->nr_inputs >= 2 && strstr(a->inputs[0].name, "headers"), "inputs %zu", a->nr_inputs);

	/* a local build knows no uname -r: its failure is recorded all the same */
	CHECK(t, !read_corpus(CORPUS "record-other", &data, &len), "cannot read the record");
	CHECK(t, !pk_index__add_record(ix, data, len, &e), "add_record: %s", e.msg);
	free(data);
	CHECK_INT(t, ix->nr_artifacts, 5);
	CHECK_INT(t, ix->nr_failures, 2);
	CHECK(t, pk_index__find_failure(ix, "debian:6.1.999-1-amd64", "legacy-object",
					"pa71567effdd297c"), "local failure missing");

	/* what the records gave writes and reads back byte for byte */
	ix->version = 1;
	ix->generated = 1;
	ix->expires = 2;
	js = to_json(ix, &jl);
	CHECK(t, js && !pk_index__parse(js, jl, &back, &e), "parse: %s", e.msg);
	js2 = to_json(back, &jl2);
	CHECK(t, js2 && jl == jl2 && !memcmp(js, js2, jl), "records' index not byte-identical");
	free(js);
	free(js2);
	pk_index__free(back);
	pk_index__free(ix);
	PASS(t);
}

static void test_html(void)
{
	const char *t = "index/html";
	struct pk_index *ix = small_index();
	struct pk_error e = { 0 };
	char *h1, *h2;
	size_t l1, l2;

	free(ix->failures[0].reason);
	ix->failures[0].reason = xstrdup("<script>alert(1)</script> & \"q\" 'a'");
	CHECK(t, !pk_index__write_html(ix, "repo <b>", &h1, &l1, &e), "html: %s", e.msg);
	CHECK(t, !pk_index__write_html(ix, "repo <b>", &h2, &l2, &e), "html: %s", e.msg);
	CHECK(t, l1 == l2 && !memcmp(h1, h2, l1), "not deterministic");
	CHECK(t, strlen(h1) == l1, "length");
	CHECK(t, strstr(h1, "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot; &#39;a&#39;"),
	      "reason not escaped");
	CHECK(t, !strstr(h1, "<script>alert"), "raw script");
	CHECK(t, strstr(h1, "<title>repo &lt;b&gt;</title>"), "title not escaped");
	CHECK(t, strstr(h1, "href=\"" PV "/x86_64/probekit_debian_6.1.100-41-amd64_1.o\""), "link");
	CHECK(t, strstr(h1, "title=\"cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc\">"
			    "cccccccccccc&hellip;"), "digest");
	CHECK(t, !strstr(h1, "http://") && !strstr(h1, "https://"), "an external reference");
	free(h1);
	free(h2);
	pk_index__free(ix);
	PASS(t);
}

/* --html IN.json OUT.html [TITLE] */
static int html_tool(int argc, char **argv)
{
	struct pk_index *ix;
	struct pk_error e = { 0 };
	char *html;
	size_t len;
	int r;

	if (argc < 4) {
		fprintf(stderr, "usage: %s --html IN.json OUT.html [TITLE]\n", argv[0]);
		return 2;
	}
	r = pk_index__load(argv[2], &ix, &e);
	if (!r)
		r = pk_index__write_html(ix, argc > 4 ? argv[4] : NULL, &html, &len, &e);
	if (!r) {
		r = pk_file__write_atomic(argv[3], html, len);
		if (r)
			pk_error__set(&e, r, "cannot write '%s'", argv[3]);
		free(html);
	}
	if (!r)
		pk_index__free(ix);
	if (r)
		fprintf(stderr, "error: %s\n", pk_error__str(&e));
	return r ? 1 : 0;
}

/* --bench N [OUT.json]: a synthetic index of N artifacts (kinds in turn, as
 * `probekit build` makes them) and the cost of writing and parsing it */
static int bench_tool(int argc, char **argv)
{
	static const char *const kinds[] = { "legacy-object", "reduced-btf", "full-btf" };
	size_t n = argc > 2 ? strtoull(argv[2], NULL, 10) : 50000, jl;
	struct pk_index *ix = pk_index__new(), *back = NULL;
	struct pk_error e = { 0 };
	struct pk_index_artifact a;
	struct rusage ru;
	double t0, t_add, t_write, t_parse, t_html, t_free;
	char *js, *html;
	size_t hl;
	long rss0;

	getrusage(RUSAGE_SELF, &ru);
	rss0 = ru.ru_maxrss;
	t0 = pk_now_ms();
	for (size_t i = 0; i < n; i++) {
		make_artifact(&a, i / 3, kinds[i % 3]);
		if (pk_index__add_artifact(ix, &a, &e)) {
			fprintf(stderr, "add %zu: %s\n", i, e.msg);
			return 1;
		}
	}
	ix->version = 1;
	ix->generated = 1700000000;
	ix->expires = 1700604800;
	t_add = pk_now_ms() - t0;
	t0 = pk_now_ms();
	js = to_json(ix, &jl);
	t_write = pk_now_ms() - t0;
	if (!js)
		return 1;
	if (argc > 3 && pk_file__write_atomic(argv[3], js, jl))
		return 1;
	getrusage(RUSAGE_SELF, &ru);
	rss0 = ru.ru_maxrss;
	t0 = pk_now_ms();
	if (pk_index__parse(js, jl, &back, &e)) {
		fprintf(stderr, "parse: %s\n", e.msg);
		return 1;
	}
	t_parse = pk_now_ms() - t0;
	getrusage(RUSAGE_SELF, &ru);
	t0 = pk_now_ms();
	if (pk_index__write_html(back, NULL, &html, &hl, &e))
		return 1;
	t_html = pk_now_ms() - t0;
	t0 = pk_now_ms();
	pk_index__free(back);
	t_free = pk_now_ms() - t0;
	printf("artifacts %zu\nindex_bytes %zu\nhtml_bytes %zu\nadd_ms %.1f\nwrite_ms %.1f\n"
	       "parse_ms %.1f\nparse_peak_rss_growth_kib %ld\nhtml_ms %.1f\nfree_ms %.1f\n",
	       n, jl, hl, t_add, t_write, t_parse, ru.ru_maxrss - rss0, t_html, t_free);
	free(html);
	free(js);
	pk_index__free(ix);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--html"))
		return html_tool(argc, argv);
	if (argc > 1 && !strcmp(argv[1], "--bench"))
		return bench_tool(argc, argv);
	test_round_trip();
	test_malformed();
	test_paths();
	test_model();
	test_record();
	test_html();
	return UNIT_EXIT();
}
