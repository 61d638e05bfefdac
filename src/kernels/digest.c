/* SHA256 through libsodium (the project's crypto library, signatures come with
 * issue 9). Only release_index.c calls it, so only binaries that check index
 * digests link -lsodium. */
#include <errno.h>
#include <sodium.h>

#include "kernels/digest.h"

int pk_sha256__hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256(md, data, len);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	return 0;
}
