/* btfhub's archive form of a kernel's BTF: <uname -r>.btf.tar.xz holding one member
 * <uname -r>.btf, so that Tracee, Tetragon and Inspektor Gadget can use what the farm
 * publishes. Written byte-for-byte reproducibly (fixed header fields). */
#ifndef PK_BUILD_BTFHUB_H
#define PK_BUILD_BTFHUB_H

#include <stddef.h>

#include "common/pk.h"

/* *out malloc'd: a ustar archive (mtime 0, uid/gid 0, mode 0644, owner "root")
 * compressed with xz. -EINVAL for a member name over 99 bytes; else as
 * pk_comp__compress_xz. */
int pk_btfhub__pack(const void *btf, size_t len, const char *member, void **out, size_t *out_len,
		    struct pk_error *err);

#endif
