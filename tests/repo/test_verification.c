/* Verification records (src/repo/verification.c): a record written and applied
 * marks exactly the artifacts whose bytes were booted; bytes rebuilt since are left
 * as they are; a console's escape bytes never reach the index; every malformed
 * record is refused with the field named and nothing applied. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "repo/verification.h"
#include "unit.h"
#include "index_fixture.h"

static char tmp[] = "/tmp/pk-test-verification.XXXXXX";

static struct pk_index *two_artifacts(void)
{
	struct pk_index *ix = pk_index__new();
	struct pk_index_artifact a;
	struct pk_error e = { 0 };

	make_artifact(&a, 1, "legacy-object");
	if (pk_index__add_artifact(ix, &a, &e))
		abort();
	make_artifact(&a, 1, "reduced-btf");
	if (pk_index__add_artifact(ix, &a, &e))
		abort();
	return ix;
}

static char *slurp(const char *path, size_t *len)
{
	char *d = NULL;

	return pk_file__read(path, &d, len, 1u << 20) ? NULL : d;
}

static void test_round_trip(void)
{
	struct pk_index *ix = two_artifacts();
	const struct pk_index_artifact *l = &ix->artifacts[0], *b = &ix->artifacts[1];
	struct pk_verification v[2];
	struct pk_error e = { 0 };
	char rel[512], path[1024], *data;
	size_t len, applied = 9;
	int r;

	if (strcmp(l->kind, "legacy-object"))
		l = &ix->artifacts[1], b = &ix->artifacts[0];
	v[0] = (struct pk_verification){ .path = l->path, .sha256 = l->sha256, .state = "verified",
					 .kernel = "6.1.0-1-amd64", .mode = "legacy", .date = "2026-11-28T10:00:00Z" };
	v[1] = (struct pk_verification){ .path = b->path, .sha256 = b->sha256, .state = "failed",
					 .kernel = "6.1.0-1-amd64", .mode = "repo", .date = "2026-11-28T10:00:01Z",
					 .reason = "verdict: selftest exit 1: \x1b[31mred\x1b[0m",
					 .console_tail = "line one\n\x01\xff" "panic\n" };
	r = pk_verification__write(tmp, PV, "debian", "6.1.101-2-amd64", v, 2, rel, sizeof(rel), &e);
	CHECK("verification: write", r == 0, "%s", pk_error__str(&e));
	CHECK_STR("verification: record path", rel, "_verify/" PV "/debian_6.1.101-2-amd64.json");
	snprintf(path, sizeof(path), "%s/%s", tmp, rel);
	data = slurp(path, &len);
	CHECK("verification: record readable", data != NULL, "%s", path);
	CHECK("verification: console bytes cleaned", !memchr(data, 0x1b, len) && !memchr(data, 0xff, len) &&
	      strstr(data, "line one\\n??panic"), "%.300s", data);
	r = pk_verification__apply(ix, data, len, rel, &applied, &e);
	CHECK("verification: apply", r == 0 && applied == 2, "r %d applied %zu: %s", r, applied, pk_error__str(&e));
	CHECK_STR("verification: legacy verified", l->verification.state, "verified");
	CHECK_STR("verification: legacy mode", l->verification.mode, "legacy");
	CHECK("verification: verified has no reason", l->verification.reason == NULL, "%s", l->verification.reason);
	CHECK_STR("verification: btf failed", b->verification.state, "failed");
	CHECK("verification: failure points at its console tail",
	      b->verification.reason && strstr(b->verification.reason, "(console: _verify/" PV "/debian_6.1.101-2-amd64.json)"),
	      "%s", b->verification.reason);
	{
		struct pk_index_artifact copy = *b;

		CHECK("verification: the index still checks", pk_index_artifact__check(&copy, &e) == 0, "%s",
		      pk_error__str(&e));
	}
	/* the same record after the reduced BTF was rebuilt: only the legacy object's holds */
	pk_index_artifact__set_verification((struct pk_index_artifact *)b, "unverified", NULL, NULL, NULL, NULL);
	((struct pk_index_artifact *)b)->sha256[0] = b->sha256[0] == 'a' ? 'b' : 'a';
	r = pk_verification__apply(ix, data, len, rel, &applied, &e);
	CHECK("verification: rebuilt bytes are not marked", r == 0 && applied == 1 &&
	      !strcmp(b->verification.state, "unverified"), "r %d applied %zu state %s", r, applied, b->verification.state);
	free(data);
	pk_index__free(ix);
	PASS("verification: write, apply, rebuilt bytes left alone");
}

static void test_malformed(void)
{
	static const struct { const char *name, *json, *words; } cases[] = {
		{ "not JSON", "{", "JSON" },
		{ "wrong schema", "{\"schema\":\"x/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[]}", "schema" },
		{ "unknown key", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[],\"x\":1}", "unknown key 'x'" },
		{ "results not array", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":{}}", "results" },
		{ "bad state", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[{\"path\":\"a\",\"sha256\":\"" "0000000000000000000000000000000000000000000000000000000000000000" "\",\"state\":\"maybe\",\"kernel\":null,\"mode\":null,\"date\":null,\"reason\":null,\"console_tail\":null}]}", "state" },
		{ "bad sha256", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[{\"path\":\"a\",\"sha256\":\"XYZ\",\"state\":\"verified\",\"kernel\":null,\"mode\":null,\"date\":null,\"reason\":null,\"console_tail\":null}]}", "sha256" },
		{ "missing field", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[{\"path\":\"a\"}]}", "missing" },
		{ "not UTF-8", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\\u0000\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[]}", "probe_version" },
		{ "invalid UTF-8 byte", "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\xff\",\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[]}", "not valid UTF-8" },
		{ "number for string", "{\"schema\":\"probekit-verification/1\",\"probe_version\":7,\"target\":\"t\",\"kernelrelease\":\"k\",\"results\":[]}", "probe_version" },
	};
	struct pk_index *ix = two_artifacts();
	char mixed[2048];

	/* a good first result and a bad second one: nothing at all may be applied */
	snprintf(mixed, sizeof(mixed),
		 "{\"schema\":\"probekit-verification/1\",\"probe_version\":\"p\",\"target\":\"t\",\"kernelrelease\":\"k\","
		 "\"results\":[{\"path\":\"%s\",\"sha256\":\"%s\",\"state\":\"verified\",\"kernel\":null,\"mode\":null,"
		 "\"date\":null,\"reason\":null,\"console_tail\":null},{\"path\":\"x\"}]}",
		 ix->artifacts[0].path, ix->artifacts[0].sha256);
	{
		struct pk_error e = { 0 };
		int r = pk_verification__apply(ix, mixed, strlen(mixed), "r.json", NULL, &e);

		CHECK("verification: a good result before a bad one", r == -EBADMSG && strstr(pk_error__str(&e), "results[1]"),
		      "r %d: %s", r, pk_error__str(&e));
	}

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		struct pk_error e = { 0 };
		int r = pk_verification__apply(ix, cases[i].json, strlen(cases[i].json), "r.json", NULL, &e);

		CHECK(cases[i].name, r == -EBADMSG && strstr(pk_error__str(&e), cases[i].words), "r %d: %s", r,
		      pk_error__str(&e));
	}
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		CHECK("verification: nothing applied from a bad record", !ix->artifacts[i].verification.state ||
		      !strcmp(ix->artifacts[i].verification.state, "unverified"), "%s", ix->artifacts[i].verification.state);
	{
		struct pk_verification bad = { .path = "a", .sha256 = "00", .state = "verified" };
		struct pk_error e = { 0 };

		CHECK("verification: an incomplete result is not written",
		      pk_verification__write(tmp, PV, "debian", "k", &bad, 1, NULL, 0, &e) == -EINVAL, "%s", pk_error__str(&e));
	}
	pk_index__free(ix);
	PASS("verification: malformed records refused, field named, nothing applied");
}

int main(void)
{
	if (!mkdtemp(tmp)) {
		FAIL("verification", "mkdtemp: %s", strerror(errno));
		return 1;
	}
	test_round_trip();
	test_malformed();
	{
		char cmd[128];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", tmp);
		if (system(cmd)) {
		}
	}
	return UNIT_EXIT();
}
