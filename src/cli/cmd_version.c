/* `probekit version [--json]` and `probekit --version`: probekit's version and the
 * libbpf it runs with (a shared libbpf may not be the one it was built with). */
#include <stdio.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "build/probe_source.h"
#include "cli.h"
#include "common/json.h"

int cmd_version(int argc, char **argv)
{
	char pv[PK_PROBE_VERSION_LEN + 1] = "";
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			json = true;
		} else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			printf("usage: probekit version [--json]\n\nPrint probekit's version, the libbpf it runs with, and the probe version\n(the name a repository publishes this agent's objects under).\n");
			return PK_EXIT_OK;
		} else {
			return pk_usage_err("version", "unknown option '%s'", argv[i]);
		}
	}
	/* the name the repository publishes this agent's objects under */
	pk_probe_source__version(pv);
	if (json) {
		struct pk_json j;

		pk_json__init(&j, true);
		pk_json__obj_begin(&j);
		pk_json__kv_str(&j, "version", PK_VERSION);
		pk_json__kv_str(&j, "libbpf", libbpf_version_string());
		pk_json__kv_str(&j, "probe_version", pv);
		pk_json__obj_end(&j);
		printf("%s\n", j.buf);
		pk_json__free(&j);
	} else {
		printf("probekit %s (libbpf %s, probe version %s)\n", PK_VERSION, libbpf_version_string(), pv);
	}
	return PK_EXIT_OK;
}
