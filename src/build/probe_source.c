/* The embedded probe source (probe_source_data.S) and its probe version. */
#include <errno.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "build/probe_source.h"

extern const char pk_src_probe_c_start[], pk_src_probe_c_end[];
extern const char pk_src_probe_h_start[], pk_src_probe_h_end[];

static struct pk_probe_file files[2];

size_t pk_probe_source__files(const struct pk_probe_file **out)
{
	files[0] = (struct pk_probe_file){ "probe.bpf.c", pk_src_probe_c_start,
					   (size_t)(pk_src_probe_c_end - pk_src_probe_c_start) };
	files[1] = (struct pk_probe_file){ "probe.h", pk_src_probe_h_start,
					   (size_t)(pk_src_probe_h_end - pk_src_probe_h_start) };
	*out = files;
	return PK_ARRAY_SIZE(files);
}

int pk_probe_source__version(char out[PK_PROBE_VERSION_LEN + 1])
{
	crypto_hash_sha256_state st;
	unsigned char h[crypto_hash_sha256_BYTES];
	const struct pk_probe_file *f;
	size_t n = pk_probe_source__files(&f);

	if (sodium_init() < 0)
		return -EIO;
	crypto_hash_sha256_init(&st);
	for (size_t i = 0; i < n; i++) {
		uint64_t len = f[i].len;
		unsigned char le[8];

		for (int b = 0; b < 8; b++)
			le[b] = (unsigned char)(len >> (8 * b));
		crypto_hash_sha256_update(&st, (const unsigned char *)f[i].name, strlen(f[i].name) + 1);
		crypto_hash_sha256_update(&st, le, sizeof(le));
		crypto_hash_sha256_update(&st, f[i].data, f[i].len);
	}
	crypto_hash_sha256_final(&st, h);
	out[0] = 'p';
	for (int i = 1; i < PK_PROBE_VERSION_LEN; i++)
		out[i] = "0123456789abcdef"[(h[(i - 1) / 2] >> ((i - 1) % 2 ? 0 : 4)) & 15];
	out[PK_PROBE_VERSION_LEN] = 0;
	return 0;
}

int pk_probe_source__write(const char *dir, struct pk_error *err)
{
	const struct pk_probe_file *f;
	size_t n = pk_probe_source__files(&f);

	for (size_t i = 0; i < n; i++) {
		char path[4096];
		int r;

		if (snprintf(path, sizeof(path), "%s/%s", dir, f[i].name) >= (int)sizeof(path))
			return pk_error__set(err, -ENAMETOOLONG, "path too long: '%s'", dir);
		r = pk_file__write_atomic(path, f[i].data, f[i].len);
		if (r)
			return pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
	}
	return 0;
}
