/* `probekit farm --verify` (farm_verify.c): the boots that prove what the farm
 * publishes, and the verification records they leave for `repo index`. */
#ifndef PK_FARM_FARM_VERIFY_H
#define PK_FARM_FARM_VERIFY_H

#include "farm/farm.h"

/*
 * Boot every kernel of sel (x86_64 only) whose legacy object or reduced BTF in
 * o->repo's index (signed with o->key) is not verified yet (nor failed, unless
 * retry_failed), in modes legacy and repo, and write one verification record per
 * kernel booted. Counts and failures go into res. Returns the number of records
 * written (the index must then be made again), or -errno when the boots could not
 * run at all (no QEMU, the index unreadable), err says why.
 */
long pk_farm__verify(const struct pk_farm_opts *o, const struct pk_kernel *const *sel, size_t nr,
		     const char *pv, struct pk_farm_result *res, struct pk_error *err);

#endif
