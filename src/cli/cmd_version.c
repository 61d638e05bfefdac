/* `probekit version [--json]` and `probekit --version`: probekit's version and the
 * libbpf it runs with (a shared libbpf may not be the one it was built with). */
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "cli.h"
#include "common/json.h"

int cmd_version(int argc, char **argv)
{
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: probekit version [--json]\n\nPrint probekit's version and the libbpf it runs with.\n");
			return PK_EXIT_OK;
		} else {
			return pk_usage_err("version", "unknown option '%s'", argv[i]);
		}
	}
	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "version", PK_VERSION);
		pk_json__kv_str(&j, "libbpf", libbpf_version_string());
		pk_json__obj_end(&j);
		printf("%s\n", j.buf);
		pk_json__free(&j);
	} else {
		printf("probekit %s (libbpf %s)\n", PK_VERSION, libbpf_version_string());
	}
	return PK_EXIT_OK;
}
