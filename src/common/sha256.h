/* SHA256 through libsodium: of a buffer, of an open file (streamed: a package or an
 * artifact is never read whole), of a path. The one place the project hashes. */
#ifndef PK_COMMON_SHA256_H
#define PK_COMMON_SHA256_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* hex: 64 lower-case hex digits and a NUL; 0 or -EIO when libsodium cannot start */
int pk_sha256__hex(const void *data, size_t len, char hex[65]);

/* what fd holds, from its start (pread: its offset is left alone); *size (may be
 * NULL) gets the bytes read. -EFBIG past max bytes, -errno on a read error. */
int pk_sha256__fd(int fd, uint64_t max, char hex[65], uint64_t *size);

/* is s (NUL-terminated, may be NULL) exactly 64 lower-case hex digits: a SHA256 as
 * the project writes them everywhere (indexes, records, catalogs)? */
bool pk_sha256__is_hex(const char *s);

/* the same for the file at path */
int pk_sha256__file(const char *path, uint64_t max, char hex[65], uint64_t *size);

#endif
