/* Checks an index file (Packages, Packages.xz, ...) against the size and SHA256
 * its Release lists. */
#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "common/sha256.h"
#include "kernels/release.h"

int pk_release__check_index(const struct pk_release *r, const char *path,
			    const void *data, size_t len, struct pk_error *err)
{
	const struct pk_release_file *f;
	char got[65];
	int rc;

	if (!r || !path || (!data && len))
		return -EINVAL;
	f = pk_release__find(r, path);
	if (!f)
		return pk_error__set(err, -ENOENT, "Release for %s lists no SHA256 for '%s'",
				     pk_release__suite(r), path);
	rc = pk_sha256__hex(data, len, got);
	if (rc)
		return pk_error__set(err, rc, "cannot compute SHA256 (libsodium failed to start)");
	if ((uint64_t)len != f->size)
		return pk_error__set(err, -EBADMSG,
				     "Packages index '%s' does not match its Release size (got %zu bytes, want %" PRIu64 ")",
				     path, len, f->size);
	if (strcmp(got, f->sha256))
		return pk_error__set(err, -EBADMSG,
				     "Packages index '%s' does not match its Release SHA256 (got %s, want %s)",
				     path, got, f->sha256);
	return 0;
}
