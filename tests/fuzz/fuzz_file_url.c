/* libFuzzer target for the file:// URL decoder (src/fetch/http.c, pk_http__file_path):
 * a repository URL is configuration from outside. Aborts on a broken invariant:
 * a path is absolute and NUL-free, fits, and survives encoding every byte and
 * decoding again; a refusal is -EINVAL or -ENAMETOOLONG with a reason. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/pk.h"
#include "fetch/http.h"

#define REQUIRE(c)                                                             \
	do {                                                                   \
		if (!(c))                                                      \
			abort();                                               \
	} while (0)

static void one(const char *url, size_t sz)
{
	char *out = malloc(sz), again[4200], enc[3 * 4096 + 16];
	struct pk_error e = { 0 };
	int rc;

	REQUIRE(out);
	rc = pk_http__file_path(url, out, sz, &e);
	if (rc) {
		REQUIRE((rc == -EINVAL || rc == -ENAMETOOLONG) && e.msg[0]);
		free(out);
		return;
	}
	REQUIRE(!strncasecmp(url, "file://", 7));
	REQUIRE(memchr(out, 0, sz) && out[0] == '/');
	if (strlen(out) < 4096) {
		size_t o = (size_t)snprintf(enc, sizeof(enc), "file://");

		/* every byte escaped but the slashes: an escaped first one would be a host */
		for (const unsigned char *p = (const unsigned char *)out; *p; p++)
			o += (size_t)(*p == '/' ? snprintf(enc + o, sizeof(enc) - o, "/") :
					 snprintf(enc + o, sizeof(enc) - o, "%%%02x", *p));
		REQUIRE(pk_http__file_path(enc, again, sizeof(again), &e) == 0 && !strcmp(again, out));
	}
	free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *url = malloc(size + 1);

	if (!url)
		return 0;
	memcpy(url, data, size);
	url[size] = 0;
	one(url, 4096);
	one(url, 1 + size % 17);	/* small buffers: the length check */
	free(url);
	return 0;
}
