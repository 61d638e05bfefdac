/* libFuzzer target for apt's source lists (one-line and deb822 formats), which
 * probekit reads to find the mirrors it crawls. The first byte picks the format. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kernels/apt_sources.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pk_apt_sources s = { 0 };
	struct pk_error e = { 0 };
	const char *a, *sec;

	if (!size)
		return 0;
	if (!pk_apt_sources__parse("fuzz", data + 1, size - 1, data[0] & 1, &s, &e)) {
		for (size_t i = 0; i < s.n; i++)
			if (!s.v[i].uri || !s.v[i].suites || !s.v[i].components)
				abort();
		pk_apt_sources__debian(&s, &a, &sec);
	}
	pk_apt_sources__release(&s);
	return 0;
}
