/* libFuzzer target for the host parsers that read untrusted text: os-release,
 * uname -v, the target id built from them, /proc/self/status CapEff and
 * /sys/kernel/security/lockdown.
 * Aborts on a broken invariant, not only on memory errors. */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agent/host.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void check_str(const char *s, size_t size)
{
	REQUIRE(memchr(s, 0, size));
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
	check_str(o.pretty_name, sizeof(o.pretty_name));
	check_str(e.msg, sizeof(e.msg));
	if (rc) {
		REQUIRE(rc == -EINVAL && e.code == rc);
		REQUIRE(!strncmp(e.msg, "line ", 5));
		REQUIRE(!o.id[0] && !o.version_id[0] && !o.pretty_name[0]);
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
	free(copy);
	return 0;
}
