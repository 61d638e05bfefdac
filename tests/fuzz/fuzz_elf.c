/* libFuzzer target for the one ELF reader (common/elf.h) and the one kernel image
 * header reader (btf/kernel_image.h): every input goes through both. */

/* Also through the callers built on them (pk_bpf_elf__parse; btf extract's ELF path
 * is fuzzed by fuzz_btf_archive mode 3). Everything a reader hands back must lie inside the
 * input: the target checks that itself, so a logic slip aborts even where ASan
 * would see an in-bounds read. Seeds in tests/fuzz/corpus/fuzz_elf/, among them
 * sh_name-wrap: a section name offset of 0xfffffffc, which an `sh_name + 5 >
 * sh_size` check in 32-bit arithmetic (the defect of issue 7) lets through. */
#include <elf.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btf/btf_ext.h"
#include "btf/kernel_image.h"
#include "common/elf.h"

static const uint8_t *lo, *hi;

static void inside(const void *p, uint64_t len)
{
	const uint8_t *b = p;

	if (!len)
		return;
	if (!p || b < lo || b > hi || len > (uint64_t)(hi - b))
		abort();
}

static void fuzz_elf(const uint8_t *d, size_t n)
{
	struct pk_elf e;
	struct pk_elf_note_iter it = { 0 };
	struct pk_elf_note note;
	struct pk_elf_section sec;
	struct pk_bpf_elf bpf;
	uint64_t i, span;
	int notes = 0;

	if (pk_elf__init(&e, d, n, NULL))
		return;
	if (e.shstr) {
		inside(e.shstr, e.shstr_size);
		inside(e.data + e.shoff, e.shnum * 64);
	}
	for (i = 0; i < e.shnum && i < 4096; i++) {
		if (pk_elf__section(&e, i, &sec, NULL))
			continue;
		if (e.shstr && sec.type != SHT_NULL)	/* else the reader's own "" */
			inside(sec.name, strlen(sec.name) + 1);
		if (sec.data)
			inside(sec.data, sec.size);
	}
	for (i = 0; i < e.phnum && i < 4096; i++) {
		struct pk_elf_segment seg;

		if (!pk_elf__segment(&e, i, &seg, NULL) && seg.data)
			inside(seg.data, seg.filesz);
	}
	while (notes++ < 4096 && !pk_elf__next_note(&e, &it, &note)) {
		inside(note.name, note.namesz);
		inside(note.desc, note.descsz);
	}
	pk_elf__find_note(&e, "Xen", 18, &note);	/* verify's PVH entry lookup */
	pk_elf__find_section(&e, ".BTF", &sec, NULL);
	span = pk_elf__span(&e);
	if (span > n)
		abort();
	if (pk_bpf_elf__parse(&bpf, d, n, NULL) == 0) {
		inside(bpf.btf, bpf.btf_size);
		inside(bpf.btf_ext, bpf.btf_ext_size);
		if (bpf.elf_size > n)
			abort();
	}
}

static void fuzz_kernel_image(const uint8_t *d, size_t n)
{
	struct pk_kernel_image img;
	const void *payload;
	size_t len;
	void *out;
	size_t out_len;

	if (pk_kernel_image__parse(&img, d, n, NULL))
		return;
	if (img.version)
		inside(img.version, img.version_max);
	if (pk_kernel_image__payload(&img, &payload, &len, NULL))
		return;
	inside(payload, len);
	/* small cap: decompressors have their own fuzzing through btf extract */
	if (pk_kernel_image__decompress(&img, &out, &out_len, 1 << 20, NULL) == 0)
		free(out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	lo = data;
	hi = data + size;
	fuzz_elf(data, size);
	fuzz_kernel_image(data, size);
	return 0;
}
