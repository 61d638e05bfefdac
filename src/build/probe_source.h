/* The probe source embedded in this binary (bpf/probe.bpf.c and bpf/probe.h) and the
 * probe version derived from it: the name under which the farm publishes objects
 * built from this source, and under which an agent asks for them. */
#ifndef PK_BUILD_PROBE_SOURCE_H
#define PK_BUILD_PROBE_SOURCE_H

#include <stddef.h>

#include "common/pk.h"

struct pk_probe_file {
	const char *name;	/* "probe.bpf.c", "probe.h" */
	const void *data;
	size_t len;
};

/* the embedded files, in a fixed order */
size_t pk_probe_source__files(const struct pk_probe_file **files);

/* "p" + the first 15 hex digits of SHA256 over each file's name, NUL, 8-byte
 * little-endian length and bytes, in order: 16 characters, no character that a
 * URL must escape. 0 or -errno (libsodium could not start). */
#define PK_PROBE_VERSION_LEN 16
int pk_probe_source__version(char out[PK_PROBE_VERSION_LEN + 1]);

/* Write the files into dir (which must exist); -errno with err */
int pk_probe_source__write(const char *dir, struct pk_error *err);

#endif
