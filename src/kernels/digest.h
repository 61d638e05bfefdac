/* SHA256 of a buffer, through libsodium. Kept apart so that only what checks
 * digests links libsodium (the node agent must not gain a NEEDED library). */
#ifndef PK_KERNELS_DIGEST_H
#define PK_KERNELS_DIGEST_H

#include <stddef.h>

/* hex: 64 lower-case hex digits and a NUL; 0 or -EIO when libsodium cannot start */
int pk_sha256__hex(const void *data, size_t len, char hex[65]);

#endif
