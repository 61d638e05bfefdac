/* Unit tests of the one ELF reader (common/elf.h) on images built here: a small
 * vmlinux-like ELF (sections, a PT_NOTE with Xen's PVH entry), every truncation of
 * it, a misaligned copy, and the regression case of issue 7: a section name offset
 * near 4 GiB that wrapped a 32-bit bounds check. Buffers are malloc'd to their
 * exact size, so ASan sees any read past them. */
#include <elf.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "btf/btf_ext.h"
#include "btf/btf_extract.h"
#include "common/elf.h"
#include "unit.h"

#define XEN_PHYS32_ENTRY 18

struct img {
	unsigned char *p;
	size_t len;
};

static void put16(unsigned char *p, uint16_t v) { p[0] = v; p[1] = v >> 8; }
static void put32(unsigned char *p, uint32_t v) { put16(p, v); put16(p + 2, v >> 16); }
static void put64(unsigned char *p, uint64_t v) { put32(p, v); put32(p + 4, v >> 32); }

static const unsigned char btf_int[] = {	/* raw BTF: one type, "int" */
	0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 16, 0, 0, 0, 16, 0, 0, 0, 5, 0, 0, 0,
	1, 0, 0, 0, 0, 0, 0, 1, 4, 0, 0, 0, 32, 0, 0, 0, 0, 'i', 'n', 't', 0,
};
static const char shstr[] = "\0.shstrtab\0.BTF\0.debug_info";	/* names at 1, 11, 16 */

/*
 * Layout: ehdr | .shstrtab @64 | .BTF @96 | .debug_info @144 | notes @160 | phdr @208
 * | 4 section headers @264. btf_name is .BTF's sh_name (11 when sound).
 */
static struct img build(uint32_t btf_name)
{
	struct img m = { .len = 264 + 4 * 64 };
	unsigned char *p = calloc(1, m.len), *sh, *n;

	memcpy(p, ELFMAG, SELFMAG);
	p[EI_CLASS] = ELFCLASS64;
	p[EI_DATA] = ELFDATA2LSB;
	p[EI_VERSION] = EV_CURRENT;
	put16(p + 16, ET_EXEC);
	put16(p + 18, EM_X86_64);
	put32(p + 20, EV_CURRENT);
	put64(p + 32, 208);	/* e_phoff */
	put64(p + 40, 264);	/* e_shoff */
	put16(p + 52, 64);
	put16(p + 54, 56);
	put16(p + 56, 1);
	put16(p + 58, 64);
	put16(p + 60, 4);
	put16(p + 62, 1);	/* e_shstrndx */
	memcpy(p + 64, shstr, sizeof(shstr));
	memcpy(p + 96, btf_int, sizeof(btf_int));
	/* notes: "Xen" PHYS32_ENTRY (4-byte desc), then a GNU build id */
	n = p + 160;
	put32(n, 4); put32(n + 4, 4); put32(n + 8, XEN_PHYS32_ENTRY); memcpy(n + 12, "Xen", 4);
	put32(n + 16, 0x1000000);
	n += 20;
	put32(n, 4); put32(n + 4, 8); put32(n + 8, NT_GNU_BUILD_ID); memcpy(n + 12, "GNU", 4);
	memset(n + 16, 0xab, 8);
	/* PT_NOTE over both (48 bytes) */
	put32(p + 208, PT_NOTE);
	put64(p + 208 + 8, 160);
	put64(p + 208 + 32, 44);
	put64(p + 208 + 40, 44);
	put64(p + 208 + 48, 4);
	sh = p + 264 + 64;	/* [0] stays SHT_NULL */
	put32(sh, 1); put32(sh + 4, SHT_STRTAB); put64(sh + 24, 64); put64(sh + 32, sizeof(shstr));
	sh += 64;
	put32(sh, btf_name); put32(sh + 4, SHT_PROGBITS); put64(sh + 24, 96); put64(sh + 32, sizeof(btf_int));
	sh += 64;
	put32(sh, 16); put32(sh + 4, SHT_PROGBITS); put64(sh + 24, 144); put64(sh + 32, 16);
	m.p = p;
	return m;
}

static void test_valid(void)
{
	const char *t = "elf_valid_image";
	struct img m = build(11);
	struct pk_error err = { 0 };
	struct pk_elf e;
	struct pk_elf_section s;
	struct pk_elf_note note;

	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), 0);
	CHECK_INT(t, e.machine, EM_X86_64);
	CHECK_INT(t, e.shnum, 4);
	CHECK_INT(t, e.phnum, 1);
	CHECK_INT(t, pk_elf__find_section(&e, ".BTF", &s, &err), 0);
	CHECK(t, s.data == m.p + 96 && s.size == sizeof(btf_int) && s.index == 2, "wrong .BTF");
	CHECK_INT(t, pk_elf__find_section(&e, ".debug_info", &s, &err), 0);
	CHECK_INT(t, pk_elf__find_section(&e, ".BTF.ext", &s, &err), -ENOENT);
	CHECK_INT(t, pk_elf__find_note(&e, "Xen", XEN_PHYS32_ENTRY, &note), 0);
	CHECK(t, note.descsz == 4 && note.desc == m.p + 176, "wrong Xen note");
	CHECK_INT(t, pk_elf__find_note(&e, "Xen", XEN_PHYS32_ENTRY + 1, &note), -ENOENT);
	CHECK_INT(t, pk_elf__find_note(&e, "Xe", XEN_PHYS32_ENTRY, &note), -ENOENT);
	CHECK_INT(t, pk_elf__find_note(&e, "GNU", NT_GNU_BUILD_ID, &note), 0);
	CHECK_INT(t, pk_elf__span(&e), m.len);
	free(m.p);
	PASS(t);
}

/* the same bytes one byte off alignment: headers are never cast (UBSan would say) */
static void test_misaligned(void)
{
	const char *t = "elf_misaligned_buffer";
	struct img m = build(11);
	unsigned char *b = malloc(m.len + 1);
	struct pk_elf e;
	struct pk_elf_section s;
	struct pk_elf_note note;

	memcpy(b + 1, m.p, m.len);
	CHECK_INT(t, pk_elf__init(&e, b + 1, m.len, NULL), 0);
	CHECK_INT(t, pk_elf__find_section(&e, ".BTF", &s, NULL), 0);
	CHECK(t, s.data == b + 1 + 96, "wrong .BTF");
	CHECK_INT(t, pk_elf__find_note(&e, "Xen", XEN_PHYS32_ENTRY, &note), 0);
	free(b);
	free(m.p);
	PASS(t);
}

/*
 * Issue 7: vm.c checked `sh_name + 5 > sh_size` in 32-bit arithmetic; with
 * sh_name = 0xfffffffc the sum wraps to 1, the check passes and the name is read
 * 4 GiB past the table. Every caller must refuse the section instead.
 */
static void test_sh_name_wrap(void)
{
	const char *t = "elf_sh_name_wrap";
	/* the first three wrap `sh_name + 5` in 32 bits; then large, then just past */
	static const uint32_t bad[] = { 0xfffffffc, 0xfffffffb, 0xffffffff, 0x80000000, sizeof(shstr) };

	for (size_t i = 0; i < PK_ARRAY_SIZE(bad); i++) {
		struct img m = build(bad[i]);
		struct pk_error err = { 0 };
		struct pk_elf e;
		struct pk_elf_section s;
		struct pk_bpf_elf bpf;
		PK_BTF_EXTRACT_OPTS(xo, .no_pahole = true);
		void *out = NULL;
		size_t out_len;

		CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), 0);
		CHECK_INT(t, pk_elf__section(&e, 2, &s, &err), -EBADMSG);
		CHECK(t, strstr(err.msg, "section 2 name out of bounds"), "sh_name %#x: '%s'", bad[i], err.msg);
		CHECK(t, s.name && !strcmp(s.name, ""), "sh_name %#x: a name came back", bad[i]);
		CHECK_INT(t, pk_elf__find_section(&e, ".BTF", &s, NULL), -EBADMSG);
		/* callers: btf min's object reader refuses it, btf extract does not find
		 * a .BTF (and with pahole off, says so) */
		CHECK_INT(t, pk_bpf_elf__parse(&bpf, m.p, m.len, &err), -EINVAL);
		CHECK(t, pk_btf_extract__mem(m.p, m.len, NULL, &out, &out_len, &xo, NULL, &err) < 0 &&
			 strstr(err.msg, "no .BTF section"), "extract: '%s'", err.msg);
		free(out);
		free(m.p);
	}
	PASS(t);
}

/* every prefix: refused, or everything handed back lies inside the prefix */
static void test_truncated(void)
{
	const char *t = "elf_every_truncation";
	struct img m = build(11);

	for (size_t n = 0; n < m.len; n++) {
		unsigned char *p = malloc(n ? n : 1);
		struct pk_elf e;
		struct pk_elf_note_iter it = { 0 };
		struct pk_elf_note note;

		memcpy(p, m.p, n);
		if (pk_elf__init(&e, p, n, NULL) == 0) {
			for (uint64_t i = 0; i < e.shnum; i++) {
				struct pk_elf_section s;

				if (!pk_elf__section(&e, i, &s, NULL) && s.data)
					CHECK(t, s.offset + s.size <= n, "prefix %zu: section %llu past the end", n,
					      (unsigned long long)i);
			}
			while (!pk_elf__next_note(&e, &it, &note))
				CHECK(t, (const unsigned char *)note.desc + note.descsz <= p + n,
				      "prefix %zu: note past the end", n);
			CHECK(t, pk_elf__span(&e) <= n, "prefix %zu: span past the end", n);
		}
		free(p);
	}
	free(m.p);
	PASS(t);
}

static void test_bad_headers(void)
{
	const char *t = "elf_bad_headers";
	struct pk_error err = { 0 };
	struct pk_elf e;
	struct pk_elf_note note;
	struct img m;

	CHECK_INT(t, pk_elf__init(&e, "\x7f" "ELF", 4, &err), -ENOEXEC);
	CHECK(t, strstr(err.msg, "too short for an ELF header"), "'%s'", err.msg);

	m = build(11);
	m.p[EI_CLASS] = ELFCLASS32;
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -ENOEXEC);
	CHECK_STR(t, err.msg, "not a 64-bit ELF");
	m.p[EI_CLASS] = ELFCLASS64;
	m.p[EI_DATA] = ELFDATA2MSB;
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -ENOEXEC);
	CHECK_STR(t, err.msg, "not a little-endian ELF");
	m.p[EI_DATA] = ELFDATA2LSB;

	/* section headers past the end; a count that does not fit; a bad name table index */
	put64(m.p + 40, m.len - 10);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -EBADMSG);
	put64(m.p + 40, 264);
	put16(m.p + 60, 0);	/* SHN_LORESERVE escape: the count is section 0's sh_size */
	put64(m.p + 264 + 32, 4);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), 0);
	CHECK_INT(t, e.shnum, 4);
	put64(m.p + 264 + 32, UINT64_MAX / 32);	/* shnum * 64 would wrap */
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -EBADMSG);
	CHECK(t, strstr(err.msg, "section headers do not fit"), "'%s'", err.msg);
	put64(m.p + 264 + 32, 0);
	put16(m.p + 60, 4);
	put16(m.p + 62, 9);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -EBADMSG);
	CHECK(t, strstr(err.msg, "bad section name table index"), "'%s'", err.msg);
	put16(m.p + 62, 1);
	/* name table running past the end */
	put64(m.p + 264 + 64 + 32, UINT64_MAX - 10);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -EBADMSG);
	put64(m.p + 264 + 64 + 32, sizeof(shstr));
	/* section data offset + size wrapping 64 bits */
	put64(m.p + 264 + 128 + 24, UINT64_MAX - 4);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), 0);
	CHECK_INT(t, pk_elf__section(&e, 2, &(struct pk_elf_section){ 0 }, &err), -EBADMSG);
	CHECK(t, strstr(err.msg, "section 2 data out of bounds"), "'%s'", err.msg);
	put64(m.p + 264 + 128 + 24, 96);
	/* a note whose name size runs past its segment: the walk stops, nothing read */
	put32(m.p + 160, 0xfffffff0);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), 0);
	CHECK_INT(t, pk_elf__find_note(&e, "Xen", XEN_PHYS32_ENTRY, &note), -ENOENT);
	put32(m.p + 160, 4);
	/* program headers that do not fit */
	put16(m.p + 56, 200);
	CHECK_INT(t, pk_elf__init(&e, m.p, m.len, &err), -EBADMSG);
	free(m.p);
	PASS(t);
}

int main(void)
{
	test_valid();
	test_misaligned();
	test_sh_name_wrap();
	test_truncated();
	test_bad_headers();
	return UNIT_EXIT();
}
