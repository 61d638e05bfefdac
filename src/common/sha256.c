/* SHA256 through libsodium (sha256.h). */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <unistd.h>

#include "common/sha256.h"

int pk_sha256__hex(const void *data, size_t len, char hex[65])
{
	unsigned char md[crypto_hash_sha256_BYTES];

	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256(md, data, len);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	return 0;
}

int pk_sha256__fd(int fd, uint64_t max, char hex[65], uint64_t *size)
{
	crypto_hash_sha256_state st;
	unsigned char md[crypto_hash_sha256_BYTES], buf[1 << 16];
	uint64_t n = 0;
	ssize_t r;

	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256_init(&st);
	while ((r = pread(fd, buf, sizeof(buf), (off_t)n)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		n += (uint64_t)r;
		if (n > max)
			return -EFBIG;
		crypto_hash_sha256_update(&st, buf, (size_t)r);
	}
	crypto_hash_sha256_final(&st, md);
	sodium_bin2hex(hex, 65, md, sizeof(md));
	if (size)
		*size = n;
	return 0;
}

int pk_sha256__file(const char *path, uint64_t max, char hex[65], uint64_t *size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), r;

	if (fd < 0)
		return -errno;
	r = pk_sha256__fd(fd, max, hex, size);
	close(fd);
	return r;
}

bool pk_sha256__is_hex(const char *s)
{
	size_t i;

	if (!s)
		return false;
	for (i = 0; i < 64; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return false;
	return s[64] == 0;
}
