/* How long btf__parse() of the running kernel's BTF takes, 8 times in one
 * process: the first call pays for fresh memory, later ones reuse it.
 * build: gcc -O2 -o build/bench/btf_parse_time bench/btf_parse_time.c -lbpf
 * (quoted in bench/findings.md, "Startup") */
#include <stdio.h>
#include <time.h>
#include <bpf/btf.h>

int main(int argc, char **argv)
{
	const char *path = argc > 1 ? argv[1] : "/sys/kernel/btf/vmlinux";

	for (int i = 0; i < 8; i++) {
		struct timespec a, b;
		struct btf *t;

		clock_gettime(CLOCK_MONOTONIC, &a);
		t = btf__parse(path, NULL);
		clock_gettime(CLOCK_MONOTONIC, &b);
		if (!t) {
			fprintf(stderr, "btf_parse_time: error: cannot parse '%s'\n", path);
			return 1;
		}
		printf("%.1f ", (b.tv_sec - a.tv_sec) * 1e3 + (b.tv_nsec - a.tv_nsec) / 1e6);
		btf__free(t);
	}
	printf("ms\n");
	return 0;
}
