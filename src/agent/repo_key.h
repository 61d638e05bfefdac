/* The relative paths under which the farm publishes this host's artifacts
 * (src/build/build.c pk_artifact__path, src/farm/farm.c): what an agent asks a
 * repository for. Pure: no I/O; every name comes from the host's files and is
 * refused unless it can be one path component. */
#ifndef PK_AGENT_REPO_KEY_H
#define PK_AGENT_REPO_KEY_H

#include "agent/host.h"
#include "common/pk.h"

#define PK_REPO_KEY_PATH 512

struct pk_repo_key {
	char target[64];		/* falcoctl target id: debian, ubuntu-aws, ... */
	char kernelrelease[128];	/* falcoctl's, see pk_falco_names__compute */
	char kernelversion[160];
	/* <pv>/<uname -m>/probekit_<target>_<kernelrelease>_<kernelversion>.o */
	char legacy_object[PK_REPO_KEY_PATH];
	/* a Debian kernel with a suffixed version (~deb11u1, ~bpo12+1): the same object
	 * under the farm's name, the whole package version; "" otherwise (repo_key.c) */
	char legacy_object_alt[PK_REPO_KEY_PATH];
	/* <pv>/btf/<os id>/<version id>/<btf arch>/<uname -r>.btf */
	char reduced_btf[PK_REPO_KEY_PATH];
	/* <pv>/<uname -m>/probe.core.bpf.o and probe.btf.bpf.o */
	char core_object[PK_REPO_KEY_PATH];
	char btf_object[PK_REPO_KEY_PATH];
};

/* Fill *out for host h and probe version pv (pk_probe_source__version()).
 * 0 when every field is filled. Otherwise a negative errno (-EINVAL: a name is
 * missing or cannot be a path component; -ENAMETOOLONG) with every reason, "; "
 * joined, in *err (may be NULL), and still every field that could be made:
 *   - no target id (OS undetermined, or a refused os-release ID), or no falco
 *     kernelrelease/kernelversion: legacy_object "" (and the missing names "");
 *   - no os-release ID or VERSION_ID: reduced_btf "";
 *   - a bad uname -m: every path "";
 *   - a bad pv: everything "".
 * A field is never half-made: "" or the whole value. */
int pk_repo_key__from_host(const struct pk_host *h, const char *pv, struct pk_repo_key *out,
			   struct pk_error *err);

#endif
