/* The .btf.tar.xz writer (btfhub.h): a one-member ustar archive, then xz. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf/decompress.h"
#include "build/btfhub.h"

static void octal(char *dst, size_t width, unsigned long long v)
{
	/* width - 1 digits, then NUL, as tar(5) writes numeric fields */
	snprintf(dst, width, "%0*llo", (int)width - 1, v);
}

int pk_btfhub__pack(const void *btf, size_t len, const char *member, void **out, size_t *out_len,
		    struct pk_error *err)
{
	size_t padded = (len + 511) / 512 * 512, total = 512 + padded + 1024;
	unsigned char *tar;
	unsigned int sum = 0;
	int r;

	*out = NULL;
	*out_len = 0;
	if (strlen(member) > 99)
		return pk_error__set(err, -EINVAL, "'%s' is too long for a tar member name", member);
	tar = calloc(1, total);
	if (!tar)
		return pk_error__set(err, -ENOMEM, "out of memory for %zu bytes", total);
	memcpy(tar, member, strlen(member));	/* name[100] */
	octal((char *)tar + 100, 8, 0644);	/* mode */
	octal((char *)tar + 108, 8, 0);	/* uid */
	octal((char *)tar + 116, 8, 0);	/* gid */
	octal((char *)tar + 124, 12, len);	/* size */
	octal((char *)tar + 136, 12, 0);	/* mtime: fixed, for reproducibility */
	tar[156] = '0';				/* typeflag: regular file */
	memcpy(tar + 257, "ustar", 6);		/* magic "ustar\0" */
	memcpy(tar + 263, "00", 2);		/* version */
	memcpy(tar + 265, "root", 4);		/* uname */
	memcpy(tar + 297, "root", 4);		/* gname */
	memset(tar + 148, ' ', 8);		/* chksum counts as spaces */
	for (int i = 0; i < 512; i++)
		sum += tar[i];
	snprintf((char *)tar + 148, 8, "%06o", sum);
	tar[155] = ' ';
	memcpy(tar + 512, btf, len);
	r = pk_comp__compress_xz(tar, total, out, out_len, err);
	free(tar);
	return r;
}
