/* libFuzzer target for the .BTF.ext parser and what reads untrusted BPF objects
 * around it (pk_bpf_elf__parse, find_embedded, btf min's relocation resolver). */

/* The first byte picks the mode:
 *   0: the rest is a .BTF.ext section             -> pk_btf_ext__parse
 *   1: the rest is an ELF / a binary embedding one -> pk_bpf_elf__parse, find_embedded,
 *                                                     pk_btf_min__add_object
 *   2: u32 n, n bytes of .BTF, then .BTF.ext      -> resolve every relocation against
 *      the object's own BTF (so candidates exist), build the reduced BTF, verify it
 * Anything else: mode = byte % 3. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf/btf_ext.h"
#include "btf/btf_min.h"

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	libbpf_set_print(quiet);
	return 0;
}

static void fuzz_ext(const uint8_t *d, size_t n)
{
	struct pk_btf_ext ext;
	uint32_t i;

	if (pk_btf_ext__parse(&ext, d, n, NULL) == 0) {
		/* touch every record the parser says exists */
		for (i = 0; i < ext.nr_relos; i++)
			if (ext.relos[i].sec_idx >= ext.nr_secs)
				abort();
		for (i = 0; i < ext.nr_secs; i++)
			if (ext.secs[i].first_relo + ext.secs[i].nr_relos > ext.nr_relos)
				abort();
	}
	pk_btf_ext__free(&ext);
}

static void min_and_verify(struct pk_btf_min *m)
{
	struct btf *red = pk_btf_min__build(m, NULL);

	if (red) {
		pk_btf_min__verify(m, red, NULL);
		btf__free(red);
	}
}

static void fuzz_elf(const uint8_t *d, size_t n)
{
	struct pk_bpf_elf elf;
	size_t pos = 0, off, len;
	struct btf *targ;
	struct pk_btf_min *m;

	if (pk_bpf_elf__parse(&elf, d, n, NULL) == 0) {
		if (elf.elf_size > n)
			abort();
		if (elf.btf && elf.btf_ext && elf.e_machine == PK_EM_BPF &&
		    elf.btf_size < UINT32_MAX && (targ = btf__new(elf.btf, elf.btf_size))) {
			m = pk_btf_min__new(targ);
			if (m && pk_btf_min__add_object(m, "fuzz", d, n, NULL) == 0)
				min_and_verify(m);
			pk_btf_min__free(m);
			btf__free(targ);
		}
	}
	while (pk_bpf_elf__find_embedded(d, n, &pos, &off, &len) == 0)
		if (off + len > n)
			abort();
}

static void fuzz_obj(const uint8_t *d, size_t n)
{
	struct pk_btf_min *m;
	struct btf *targ;
	uint32_t bl;

	if (n < 4)
		return;
	memcpy(&bl, d, 4);
	d += 4;
	n -= 4;
	if (bl > n)
		return;
	targ = btf__new(d, bl);
	if (!targ)
		return;
	m = pk_btf_min__new(targ);
	if (m && pk_btf_min__add_btf(m, "fuzz", d, bl, d + bl, n - bl, NULL) == 0)
		min_and_verify(m);
	pk_btf_min__free(m);
	btf__free(targ);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_ext(data + 1, size - 1);
		break;
	case 1:
		fuzz_elf(data + 1, size - 1);
		break;
	default:
		fuzz_obj(data + 1, size - 1);
		break;
	}
	return 0;
}
