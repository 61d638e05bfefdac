/* Times one reduced-BTF lookup the way the agent does it at start-up: open the
 * archive in memory (checks header and index) and find one key. Prints the
 * median and 99th percentile over N rounds in microseconds. usage: btf_lookup ARCHIVE N */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf/btf_archive.h"
#include "common/pk.h"

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	struct pk_error err = { 0 };
	char *data;
	size_t len, cnt;
	int n = argc > 2 ? atoi(argv[2]) : 1000;
	double *t;

	if (argc < 2 || n <= 0 || pk_file__read(argv[1], &data, &len, 1u << 30)) {
		fprintf(stderr, "usage: btf_lookup ARCHIVE [N]\n");
		return 2;
	}
	t = calloc(n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		struct pk_btf_archive *a;
		struct pk_btf_archive_entry e;
		double t0 = pk_now_ms();
		void *btf;
		size_t blen;

		a = pk_btf_archive__open_mem(data, len, &err);
		if (!a) {
			fprintf(stderr, "btf_lookup: %s\n", pk_error__str(&err));
			return 1;
		}
		cnt = pk_btf_archive__entry_cnt(a);
		/* a different key each round, the last one found through the index */
		if (!cnt || pk_btf_archive__entry(a, i % cnt, &e) ||
		    pk_btf_archive__find(a, e.os_id, e.version_id, e.arch, e.release, &btf, &blen, &err)) {
			fprintf(stderr, "btf_lookup: lookup failed\n");
			return 1;
		}
		t[i] = (pk_now_ms() - t0) * 1e3;	/* us */
		free(btf);
		pk_btf_archive__free(a);
	}
	qsort(t, n, sizeof(*t), cmp);
	printf("%zu %.1f %.1f\n", cnt, t[n / 2], t[n * 99 / 100]);
	return 0;
}
