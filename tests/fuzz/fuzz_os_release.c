/* libFuzzer target for the host parsers that read untrusted text: os-release,
 * uname -v, the target id built from them, falcoctl's kernelrelease/kernelversion
 * for every rule (uname -r/-v, VERSION_ID, VARIANT_ID, /etc/VERSION) and the
 * repository paths made from all of it, /proc/self/status CapEff and
 * /sys/kernel/security/lockdown.
 * Aborts on a broken invariant, not only on memory errors. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/host.h"
#include "agent/repo_key.h"
#include "common/pk.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void check_str(const char *s, size_t size)
{
	REQUIRE(memchr(s, 0, size));
}

/* a repository path: "" or every '/'-separated part one path component */
static void check_path(const char *p, size_t size)
{
	char buf[PK_REPO_KEY_PATH], *save = NULL;

	check_str(p, size);
	if (!p[0])
		return;
	REQUIRE(strlen(p) < sizeof(buf));
	strcpy(buf, p);
	REQUIRE(buf[0] != '/' && buf[strlen(buf) - 1] != '/' && !strstr(buf, "//"));
	for (char *c = strtok_r(buf, "/", &save); c; c = strtok_r(NULL, "/", &save))
		REQUIRE(pk_path__component_ok(c));
}

/* every falcoctl rule over the same text, and the repository key of the result */
static void check_names(const struct pk_os_release *o, const char *text)
{
	static const char *const targets[] = { "debian", "ubuntu-generic", "flatcar", "bottlerocket",
						"minikube", "talos", "centos", "" };
	/* the text is uname -r, uname -v and /etc/VERSION at once, and each
	 * line of it in turn, so that short realistic values are reached too */
	const char *uname_r = text, *uname_v = text;
	char lines[2][65];
	const char *nl = strchr(text, '\n');

	if (nl) {
		snprintf(lines[0], sizeof(lines[0]), "%.*s", (int)(nl - text), text);
		snprintf(lines[1], sizeof(lines[1]), "%s", nl + 1);
		uname_r = lines[0];
		uname_v = lines[1];
	}
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		struct pk_falco_names n;
		struct pk_error e = { 0 };
		int rc = pk_falco_names__compute(targets[i], o, uname_r, uname_v, text, &n, &e);

		check_str(n.kernelrelease, sizeof(n.kernelrelease));
		check_str(n.kernelversion, sizeof(n.kernelversion));
		if (rc) {
			REQUIRE(rc == -EINVAL || rc == -ENAMETOOLONG);
			REQUIRE(e.code == rc && e.msg[0]);
			REQUIRE(!n.kernelrelease[0] && !n.kernelversion[0]);
			continue;
		}
		REQUIRE(n.kernelrelease[0] && n.kernelversion[0]);

		if (strlen(uname_r) < 65 && strlen(uname_v) < 65) {
			struct pk_host h = { 0 };
			struct pk_repo_key k;

			strcpy(h.kernel_release, uname_r);
			strcpy(h.uname_version, uname_v);
			snprintf(h.arch, sizeof(h.arch), "%s", i & 1 ? "aarch64" : uname_r);
			h.os = *o;
			snprintf(h.target_id, sizeof(h.target_id), "%s", targets[i]);
			h.falco = n;
			e = (struct pk_error){ 0 };
			rc = pk_repo_key__from_host(&h, "p0123456789abcde", &k, &e);
			REQUIRE(rc == 0 ? !e.code : e.code && e.msg[0]);
			check_str(k.target, sizeof(k.target));
			check_str(k.kernelrelease, sizeof(k.kernelrelease));
			check_str(k.kernelversion, sizeof(k.kernelversion));
			check_path(k.legacy_object, sizeof(k.legacy_object));
			check_path(k.reduced_btf, sizeof(k.reduced_btf));
			check_path(k.core_object, sizeof(k.core_object));
			check_path(k.btf_object, sizeof(k.btf_object));
			REQUIRE(!k.legacy_object[0] || (k.target[0] && k.kernelrelease[0] && k.kernelversion[0]));
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_os_release o;
	struct pk_error e = { 0 };
	char kv[32], tid[64], *copy;
	uint64_t caps;
	int rc;

	/* the buffer as handed over: exactly size bytes, no terminator */
	rc = pk_os_release__parse((const char *)data, size, &o, &e);
	check_str(o.id, sizeof(o.id));
	check_str(o.version_id, sizeof(o.version_id));
	check_str(o.variant_id, sizeof(o.variant_id));
	check_str(o.pretty_name, sizeof(o.pretty_name));
	check_str(e.msg, sizeof(e.msg));
	if (rc) {
		REQUIRE(rc == -EINVAL && e.code == rc);
		REQUIRE(!strncmp(e.msg, "line ", 5));
		REQUIRE(!o.id[0] && !o.version_id[0] && !o.variant_id[0] && !o.pretty_name[0]);
	} else {
		REQUIRE(!e.msg[0] && !e.code);
		for (const char *p = o.id; *p; p++)
			REQUIRE(!isupper((unsigned char)*p));
	}
	(void)pk_proc_status__parse_cap_eff((const char *)data, size, &caps);
	if (!pk_lockdown__parse((const char *)data, size, kv, sizeof(kv))) {
		REQUIRE(kv[0]);
		for (const char *p = kv; *p; p++)
			REQUIRE(islower((unsigned char)*p));
	} else {
		REQUIRE(!kv[0]);
	}

	copy = malloc(size + 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = 0;

	rc = pk_kernel_version__parse(copy, kv, sizeof(kv));
	if (!rc) {
		REQUIRE(kv[0]);
		for (const char *p = kv; *p; p++)
			REQUIRE(isdigit((unsigned char)*p));
	}

	rc = pk_target_id__format(o.id[0] ? o.id : copy, o.version_id, copy, tid, sizeof(tid));
	if (!rc) {
		check_str(tid, sizeof(tid));
		REQUIRE(tid[0]);
		REQUIRE(!strchr(tid, '/'));
	}
	check_names(&o, copy);
	free(copy);
	return 0;
}
