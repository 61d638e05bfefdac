/* The candidates a repository, the cache and a probe directory add to the chain
 * (docs/agent.md, "The candidate chain"), as a pk_chain_extend_fn: nothing is
 * fetched when the chain is built, only when the walk reaches a candidate.
 *   FIRST  repo-core          (PROBEKIT_DOWNLOAD_PROBE=1) the repository's CO-RE object
 *                             for this probe version, with the kernel's BTF
 *   LAST   repo-reduced-btf   the embedded CO-RE object + this kernel's reduced BTF
 *          repo-legacy        this kernel's legacy object
 *          cache-legacy       this kernel's legacy object from the cache (indexes of
 *                             repositories not configured now) or a probe directory */
#ifndef PK_FETCH_REPO_SOURCE_H
#define PK_FETCH_REPO_SOURCE_H

#include <stdbool.h>
#include <stddef.h>

#include "agent/chain.h"

struct pk_fetcher;

struct pk_repo_source {
	struct pk_fetcher *fetcher;	/* NULL: no repository and no cache */
	bool have_repos;		/* the operator configured at least one */
	bool download_probe;		/* PROBEKIT_DOWNLOAD_PROBE=1 */
	const char *probe_dir;		/* legacy objects under their repository file name, or NULL */
	/* this host's paths in the repository layout; "" when they cannot be computed,
	 * with the reason beside */
	char legacy_path[512], reduced_btf_path[512], core_path[512];
	char legacy_alt_path[512];	/* asked for when legacy_path is listed nowhere, or "" */
	char no_legacy_why[1200], no_btf_why[1200];
};

/* This host's legacy object: under falcoctl's name, then (a Debian kernel with a
 * suffixed version) under the farm's, which is asked for when the first was not
 * listed somewhere; both names' attempts in src. pk_fetcher__get's returns. */
int pk_repo_source__get_legacy(struct pk_repo_source *rs, bool configured, void **data, size_t *len,
			       struct pk_cand_source *src, struct pk_error *err);

/* pk_chain_extend_fn; ctx is a struct pk_repo_source that outlives the walk */
void pk_repo_source__extend(struct pk_chain *ch, enum pk_chain_slot slot, const struct pk_host *h,
			    const struct pk_features *f, void *ctx);

#endif
