/* Unit tests of `repo mirror`'s selection: the --kernels grammar (every bad line
 * refused with FILE:LINE, nothing of a bad file kept), the catalog reader against
 * what `probekit kernels --json` really writes (pk_catalog__write_json), and which
 * artifacts an index gives for a selection (kinds, probe versions, CO-RE objects,
 * a kernel's legacy objects and BTF through each other). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/json.h"
#include "kernels/catalog.h"
#include "repo/index.h"
#include "repo/mirror.h"
#include "unit.h"

#define PV "p0123456789abcde"
#define PV2 "p1111111111111111"

static char *xs(const char *s)
{
	return s ? strdup(s) : NULL;
}

static int add_kernels(struct pk_mirror_sel *s, const char *text, struct pk_error *e)
{
	memset(e, 0, sizeof(*e));
	return pk_mirror_sel__add_kernels(s, text, strlen(text), "k.txt", e);
}

static void test_grammar(void)
{
	struct pk_mirror_sel *s = pk_mirror_sel__new();
	struct pk_error e;
	int r;

	CHECK("grammar: new", s, "no selection");
	r = add_kernels(s, "# the fleet\n\n  6.1.0-40-amd64  \r\n"
			   "debian/6.1.15?-1-amd64/1 # falco key\n"
			   "ubuntu-generic:5.15.0-*\n\t\n6.8.0-[0-9]*-generic", &e);
	CHECK("grammar: good lines", !r, "%s", e.msg);
	CHECK_INT("grammar: four selectors", pk_mirror_sel__count(s), 4);
	CHECK_STR("grammar: uname -r", pk_mirror_sel__describe(s, 0), "uname -r 6.1.0-40-amd64 (k.txt:3)");
	CHECK_STR("grammar: falco key", pk_mirror_sel__describe(s, 1),
		  "falco key debian/6.1.15?-1-amd64/1 (k.txt:4)");
	CHECK_STR("grammar: target:kernelrelease", pk_mirror_sel__describe(s, 2),
		  "falco key ubuntu-generic/5.15.0-*/* (k.txt:5)");
	CHECK_STR("grammar: last line without newline", pk_mirror_sel__describe(s, 3),
		  "uname -r 6.8.0-[0-9]*-generic (k.txt:7)");

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "ok\n6.1.0 -40\n", "k.txt:2: a blank inside a selector" },
		{ "a/b\n", "k.txt:1: a falco key is TARGET/KERNELRELEASE/KERNELVERSION" },
		{ "a/b/c/d\n", "k.txt:1: a falco key is TARGET/KERNELRELEASE/KERNELVERSION" },
		{ "a/b:c/d\n", "k.txt:1: a falco key is TARGET/KERNELRELEASE/KERNELVERSION" },
		{ "6.1.[[:digit:]]\n", "k.txt:1: a falco key is TARGET:KERNELRELEASE (one ':'" },
		{ "debian//1\n", "k.txt:1: an empty field" },
		{ ":6.1\n", "k.txt:1: an empty field" },
		{ "6.1.0-\xc3\xa9\n", "k.txt:1: byte 0xc3 at column 7" },
		{ "a\n\n\x01\n", "k.txt:3: byte 0x01 at column 1" },
	};
	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		char name[64];

		snprintf(name, sizeof(name), "grammar: bad line %zu refused", i);
		r = add_kernels(s, bad[i].text, &e);
		CHECK(name, r == -EBADMSG && strstr(e.msg, bad[i].want), "rc %d, '%s', want '%s'", r, e.msg,
		      bad[i].want);
		CHECK_INT(name, pk_mirror_sel__count(s), 4);	/* nothing of a bad file kept */
	}
	{
		char line[1100];

		memset(line, 'x', sizeof(line) - 1);
		line[sizeof(line) - 1] = 0;
		r = add_kernels(s, line, &e);
		CHECK("grammar: a 1099-byte line refused", r == -EBADMSG && strstr(e.msg, "longer than 1024"),
		      "%d %s", r, e.msg);
	}
	/* a NUL inside: not printable, not the end of the text */
	r = pk_mirror_sel__add_kernels(s, "6.1\0x\n", 6, "k.txt", &e);
	CHECK("grammar: a NUL byte refused", r == -EBADMSG && strstr(e.msg, "byte 0x00"), "%d %s", r, e.msg);
	pk_mirror_sel__free(s);
	PASS("grammar: uname -r, falco keys, globs, comments, blank lines, CRLF; 11 bad inputs refused with FILE:LINE");
}

static void art(struct pk_index_artifact *a, const char *path, const char *kind, const char *pv,
		const char *target, const char *krel, const char *kver, const char *os, const char *ver,
		const char *arch, const char *uname)
{
	memset(a, 0, sizeof(*a));
	a->path = xs(path);
	a->size = 10;
	memset(a->sha256, 'a', 64);
	a->kind = xs(kind);
	a->probe_version = xs(pv);
	a->target = xs(target);
	a->kernelrelease = xs(krel);
	a->kernelversion = xs(kver);
	a->os_id = xs(os);
	a->version_id = xs(ver);
	a->arch = xs(arch);
	a->uname_r = xs(uname);
}

static void test_match(void)
{
	struct pk_mirror_sel *s = pk_mirror_sel__new();
	struct pk_index_artifact legacy, btf;
	struct pk_error e;

	art(&legacy, PV "/x86_64/probekit_debian_6.1.150-1-amd64_1.o", "legacy-object", PV, "debian",
	    "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64");
	art(&btf, PV "/btf/debian/12/x86_64/6.1.0-40-amd64.btf", "reduced-btf", PV, "debian",
	    "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64");
	CHECK("match: parse", !add_kernels(s, "6.1.0-4?-amd64\ndebian:6.1.150-*\ndebian/6.1.150-1-amd64/2\n"
					      "6.1.0-41-amd64\n", &e), "%s", e.msg);
	CHECK("match: uname -r glob picks the BTF", pk_mirror_sel__match(s, 0, &btf), "no");
	CHECK("match: uname -r glob picks the legacy object", pk_mirror_sel__match(s, 0, &legacy), "no");
	CHECK("match: falco key picks the legacy object", pk_mirror_sel__match(s, 1, &legacy), "no");
	CHECK("match: falco key alone does not pick the BTF", !pk_mirror_sel__match(s, 1, &btf), "yes");
	CHECK("match: another kernel version", !pk_mirror_sel__match(s, 2, &legacy), "yes");
	CHECK("match: another uname -r", !pk_mirror_sel__match(s, 3, &btf), "yes");
	pk_index_artifact__clear(&legacy);
	pk_index_artifact__clear(&btf);
	pk_mirror_sel__free(s);
	PASS("match: globs per field; uname -r picks every kind, a falco key legacy objects");
}

/* the catalog exactly as `probekit kernels --json` writes it */
static int catalog_json(struct pk_json *j)
{
	struct pk_catalog *c = pk_catalog__new();
	static const char *const k[][7] = {
		/* target, kernelrelease, kernelversion, os_id, version_id, machine, uname_r */
		{ "debian", "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64" },
		{ "debian", "6.1.999-1-arm64", "1", "debian", "12", "aarch64", "6.1.0-99-arm64" },
		{ "ubuntu-aws", "6.8.0-1008-aws", "9", "ubuntu", "24.04", "x86_64", "6.8.0-1008-aws" },
	};

	if (!c)
		return -ENOMEM;
	for (size_t i = 0; i < PK_ARRAY_SIZE(k); i++) {
		struct pk_kernel kk = {
			.distro = xs(k[i][0]), .suite = xs("s"), .target = xs(k[i][0]),
			.kernelrelease = xs(k[i][1]), .kernelversion = xs(k[i][2]), .os_id = xs(k[i][3]),
			.version_id = xs(k[i][4]), .machine = xs(k[i][5]), .uname_r = xs(k[i][6]),
			.flavor = xs("amd64"),
			.image = { .name = xs("linux-image"), .version = xs("1"), .arch = xs("amd64"),
				   .url = xs("http://127.0.0.1/x.deb"), .size = 1 },
		};

		if (pk_catalog__add_kernel(c, &kk)) {
			pk_catalog__free(c);
			return -EBADMSG;
		}
	}
	pk_json__init(j, true);
	pk_catalog__write_json(c, j);
	pk_catalog__free(c);
	return j->err;
}

static void test_catalog(void)
{
	struct pk_mirror_sel *s = pk_mirror_sel__new();
	struct pk_json j;
	struct pk_error e = { 0 };
	int r;

	CHECK("catalog: written", !catalog_json(&j), "cannot write a catalog");
	r = pk_mirror_sel__add_catalog(s, j.buf, j.len, "cat.json", &e);
	pk_json__free(&j);
	CHECK("catalog: what probekit kernels --json writes is read", !r, "%s", e.msg);
	CHECK_INT("catalog: three kernels", pk_mirror_sel__count(s), 3);
	CHECK_STR("catalog: described", pk_mirror_sel__describe(s, 2),
		  "kernel ubuntu-aws:6.8.0-1008-aws (uname -r 6.8.0-1008-aws) (cat.json: kernels[2])");

	static const struct {
		const char *text, *want;
	} bad[] = {
		{ "", "truncated JSON" },
		{ "[]", "not a JSON object" },
		{ "{\"schema\": \"probekit-index/1\", \"kernels\": []}", "schema: not \"probekit-kernels/1\"" },
		{ "{\"schema\": \"probekit-kernels/1\"}", "kernels: missing" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": {}}", "kernels: not an array" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": [1]}", "kernels[0]: not an object" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": [{\"target\": 1}]}", "kernels[0].target: not a string" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": [{\"uname_r\": \"../x\"}]}", "kernels[0].uname_r: not a kernel name" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": [{\"target\": \"debian\", \"kernelrelease\": \"1\"}]}", "kernels[0]: neither" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": []} x", "offset 48" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": [{\"target\": NaN}]}", "kernels[0].target: not a string" },
		{ "{\"schema\": \"probekit-kernels/1\", \"kernels\": [[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]}", "JSON error" },
	};
	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		char name[64];

		snprintf(name, sizeof(name), "catalog: bad input %zu refused", i);
		memset(&e, 0, sizeof(e));
		r = pk_mirror_sel__add_catalog(s, bad[i].text, strlen(bad[i].text), "cat.json", &e);
		CHECK(name, r == -EBADMSG && strstr(e.msg, bad[i].want) && !strncmp(e.msg, "cat.json", 8),
		      "rc %d '%s', want '%s'", r, e.msg, bad[i].want);
		CHECK_INT(name, pk_mirror_sel__count(s), 3);
	}
	/* unknown keys are the catalog growing: ignored; a NUL is refused */
	{
		static const char grown[] = "{\"schema\": \"probekit-kernels/1\", \"new\": 1, \"kernels\": "
			"[{\"uname_r\": \"u\", \"os_id\": \"o\", \"version_id\": \"1\", "
			"\"machine\": \"x86_64\", \"target\": null, \"more\": [1]}]}";

		r = pk_mirror_sel__add_catalog(s, grown, strlen(grown), "c", &e);
	}
	CHECK("catalog: unknown keys ignored, null fields allowed", !r && pk_mirror_sel__count(s) == 4,
	      "%d %s", r, e.msg);
	r = pk_mirror_sel__add_catalog(s, "{\"a\":\"\0\"}", 9, "c", &e);
	CHECK("catalog: a NUL refused", r == -EBADMSG && strstr(e.msg, "NUL byte"), "%d %s", r, e.msg);
	pk_mirror_sel__free(s);
	PASS("catalog: pk_catalog__write_json's output read; 13 bad shapes refused with the field named");
}

/* an index of two kernels and two probe versions */
static struct pk_index *make_index(void)
{
	struct pk_index *ix = pk_index__new();
	struct pk_index_artifact a;
	struct pk_error e = { 0 };
	static const char *const t[][11] = {
		{ PV "/x86_64/probe.core.bpf.o", "core-object", PV, 0, 0, 0, 0, 0, "x86_64", 0 },
		{ PV "/x86_64/probe.btf.bpf.o", "btf-object", PV, 0, 0, 0, 0, 0, "x86_64", 0 },
		{ PV2 "/x86_64/probe.core.bpf.o", "core-object", PV2, 0, 0, 0, 0, 0, "x86_64", 0 },
		/* kernel A: uname 6.1.0-40-amd64, two package versions (legacy objects) */
		{ PV "/x86_64/probekit_debian_6.1.150-1-amd64_1.o", "legacy-object", PV, "debian", "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64" },
		{ PV "/x86_64/probekit_debian_6.1.149-1-amd64_1.o", "legacy-object", PV, "debian", "6.1.149-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64" },
		{ PV "/btf/debian/12/x86_64/6.1.0-40-amd64.btf", "reduced-btf", PV, "debian", "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64" },
		{ "btf/debian/12/x86_64/6.1.0-40-amd64.btf.tar.xz", "full-btf", NULL, "debian", "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64" },
		{ PV2 "/btf/debian/12/x86_64/6.1.0-40-amd64.btf", "reduced-btf", PV2, "debian", "6.1.150-1-amd64", "1", "debian", "12", "x86_64", "6.1.0-40-amd64" },
		/* kernel B, arm64: a legacy object that carries no uname -r */
		{ PV "/aarch64/probekit_debian_6.1.999-1-arm64_1.o", "legacy-object", PV, "debian", "6.1.999-1-arm64", "1", 0, 0, "aarch64", 0 },
		{ PV "/btf/debian/12/arm64/6.1.0-99-arm64.btf", "reduced-btf", PV, "debian", "6.1.999-1-arm64", "1", "debian", "12", "aarch64", "6.1.0-99-arm64" },
	};

	for (size_t i = 0; ix && i < PK_ARRAY_SIZE(t); i++) {
		art(&a, t[i][0], t[i][1], t[i][2], t[i][3], t[i][4], t[i][5], t[i][6], t[i][7], t[i][8],
		    t[i][9]);
		if (pk_index__add_artifact(ix, &a, &e)) {
			fprintf(stderr, "%s: %s\n", t[i][0], e.msg);
			pk_index__free(ix);
			return NULL;
		}
	}
	return ix;
}

/* the selected paths, sorted, joined by ' ' with PV shortened to "P" and PV2 to "Q" */
static void picked(const struct pk_index *ix, const bool *sel, char *out, size_t len)
{
	size_t o = 0;

	out[0] = 0;
	for (size_t i = 0; i < ix->nr_artifacts; i++) {
		const char *p = ix->artifacts[i].path;

		if (!sel[i])
			continue;
		if (!strncmp(p, PV, strlen(PV)))
			o += snprintf(out + o, len - o, "%sP%s", o ? " " : "", p + strlen(PV));
		else if (!strncmp(p, PV2, strlen(PV2)))
			o += snprintf(out + o, len - o, "%sQ%s", o ? " " : "", p + strlen(PV2));
		else
			o += snprintf(out + o, len - o, "%s%s", o ? " " : "", p);
	}
}

static int select_with(struct pk_index *ix, const char *kernels, const char *catalog, bool full,
		       const char *pv, bool *sel, bool *unmatched, struct pk_repo_mirror_result *res,
		       char *out, size_t len)
{
	struct pk_mirror_sel *s = pk_mirror_sel__new();
	const char *pvs[] = { pv };
	struct pk_error e = { 0 };
	PK_REPO_MIRROR_OPTS(o, .sel = s, .full_btf = full, .probe_versions = pv ? pvs : NULL,
			    .nr_probe_versions = pv ? 1 : 0, .result = res);
	int r;

	if (kernels && pk_mirror_sel__add_kernels(s, kernels, strlen(kernels), "k", &e))
		return -1;
	if (catalog && pk_mirror_sel__add_catalog(s, catalog, strlen(catalog), "c", &e))
		return -2;
	pk_index__sort(ix);
	r = pk_repo__mirror_select(ix, &o, sel, unmatched, &e);
	picked(ix, sel, out, len);
	pk_mirror_sel__free(s);
	return r;
}

static void test_select(void)
{
	struct pk_index *ix = make_index();
	struct pk_repo_mirror_result res;
	bool sel[32], un[8];
	char got[2048];
	int r;

	CHECK("select: index", ix, "cannot build the test index");
	r = select_with(ix, "", NULL, false, NULL, sel, un, &res, got, sizeof(got));
	CHECK_STR("select: no kernel: the CO-RE objects of every probe version", got,
		  "P/x86_64/probe.btf.bpf.o P/x86_64/probe.core.bpf.o Q/x86_64/probe.core.bpf.o");
	CHECK_INT("select: no kernel: count", r, 3);

	r = select_with(ix, "6.1.0-40-amd64\nnope\n", NULL, false, NULL, sel, un, &res, got, sizeof(got));
	CHECK_STR("select: uname -r: both package versions' legacy objects, the reduced BTF of each probe version",
		  got, "P/btf/debian/12/x86_64/6.1.0-40-amd64.btf P/x86_64/probe.btf.bpf.o P/x86_64/probe.core.bpf.o "
		  "P/x86_64/probekit_debian_6.1.149-1-amd64_1.o P/x86_64/probekit_debian_6.1.150-1-amd64_1.o "
		  "Q/btf/debian/12/x86_64/6.1.0-40-amd64.btf Q/x86_64/probe.core.bpf.o");
	CHECK("select: a kernel that matched nothing is reported", res.unmatched == 1 && !un[0] && un[1],
	      "unmatched %zu", res.unmatched);

	r = select_with(ix, "6.1.0-40-amd64\n", NULL, true, PV, sel, un, &res, got, sizeof(got));
	CHECK_STR("select: --full-btf and one probe version", got,
		  "btf/debian/12/x86_64/6.1.0-40-amd64.btf.tar.xz "
		  "P/btf/debian/12/x86_64/6.1.0-40-amd64.btf P/x86_64/probe.btf.bpf.o P/x86_64/probe.core.bpf.o "
		  "P/x86_64/probekit_debian_6.1.149-1-amd64_1.o P/x86_64/probekit_debian_6.1.150-1-amd64_1.o");

	r = select_with(ix, "debian/6.1.149-*/1\n", NULL, false, PV, sel, un, &res, got, sizeof(got));
	CHECK_STR("select: a falco key brings its kernel's BTF, not the other package version", got,
		  "P/btf/debian/12/x86_64/6.1.0-40-amd64.btf P/x86_64/probe.btf.bpf.o P/x86_64/probe.core.bpf.o "
		  "P/x86_64/probekit_debian_6.1.149-1-amd64_1.o");

	r = select_with(ix, "6.1.0-99-arm64\n", NULL, false, NULL, sel, un, &res, got, sizeof(got));
	CHECK_STR("select: a BTF brings the legacy object of its kernel that carries no uname -r", got,
		  "P/aarch64/probekit_debian_6.1.999-1-arm64_1.o P/btf/debian/12/arm64/6.1.0-99-arm64.btf "
		  "P/x86_64/probe.btf.bpf.o P/x86_64/probe.core.bpf.o Q/x86_64/probe.core.bpf.o");

	r = select_with(ix, NULL, "{\"schema\": \"probekit-kernels/1\", \"kernels\": ["
			"{\"target\": \"debian\", \"kernelrelease\": \"6.1.999-1-arm64\", \"kernelversion\": \"1\"},"
			"{\"os_id\": \"debian\", \"version_id\": \"12\", \"machine\": \"arm64\", \"uname_r\": \"6.1.0-99-arm64\"},"
			"{\"target\": \"debian\", \"kernelrelease\": \"6.1.15\", \"kernelversion\": \"1\"},"
			"{\"target\": \"debian\", \"kernelrelease\": \"6.1.150-1-amd64\", \"kernelversion\": \"1\"}]}",
			false, PV, sel, un, &res, got, sizeof(got));
	CHECK_STR("select: catalog entries match exactly (falco key; os, version, machine, uname -r)", got,
		  "P/aarch64/probekit_debian_6.1.999-1-arm64_1.o P/btf/debian/12/arm64/6.1.0-99-arm64.btf "
		  "P/btf/debian/12/x86_64/6.1.0-40-amd64.btf P/x86_64/probe.btf.bpf.o P/x86_64/probe.core.bpf.o "
		  "P/x86_64/probekit_debian_6.1.150-1-amd64_1.o");
	CHECK("select: catalog: only the prefix-of-a-release entry matched nothing",
	      res.unmatched == 1 && !un[0] && !un[1] && un[2] && !un[3], "unmatched %zu: %d %d %d %d",
	      res.unmatched, un[0], un[1], un[2], un[3]);

	r = select_with(ix, "*\n", NULL, false, "p9999999999999999", sel, un, &res, got, sizeof(got));
	CHECK("select: an absent probe version is reported", r == 0 && res.probe_versions_missing == 1 &&
	      res.unmatched == 1, "r %d, missing %zu", r, res.probe_versions_missing);
	pk_index__free(ix);
	PASS("select: CO-RE objects always; kinds and probe versions; a kernel's legacy objects and BTF through each other; catalog exact");
}

int main(void)
{
	test_grammar();
	test_match();
	test_catalog();
	test_select();
	return UNIT_EXIT();
}
