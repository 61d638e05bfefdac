/* Little- and big-endian reads from byte buffers that may be misaligned (file
 * formats, kernel images, package headers): the only place such reads are written.
 * Callers check bounds first; these never cast a pointer to a wider type. */
#ifndef PK_BYTES_H
#define PK_BYTES_H

#include <stdint.h>

static inline uint16_t pk_le16(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t pk_le32(const void *p)
{
	const uint8_t *b = p;

	return b[0] | b[1] << 8 | b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t pk_le64(const void *p)
{
	const uint8_t *b = p;

	return pk_le32(b) | (uint64_t)pk_le32(b + 4) << 32;
}

static inline uint32_t pk_be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

#endif
