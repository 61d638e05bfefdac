/* Bounded ELF64 little-endian reader over a buffer (see elf.h). Every field is
 * read with pk_le*() from bytes already checked to be inside the buffer; every
 * sum and product of file-controlled values is done in uint64_t after checking it
 * cannot wrap, never in the 32 bits a field happens to have. */
#include <elf.h>
#include <errno.h>
#include <string.h>

#include "common/bytes.h"
#include "common/elf.h"

#define EHDR_SIZE 64
#define SHDR_SIZE 64
#define PHDR_SIZE 56
#define NHDR_SIZE 12

bool pk_elf__is_elf64le(const void *data, size_t size)
{
	const unsigned char *b = data;

	return data && size >= EI_NIDENT && !memcmp(b, ELFMAG, SELFMAG) &&
	       b[EI_CLASS] == ELFCLASS64 && b[EI_DATA] == ELFDATA2LSB;
}

/* [off, off + len) inside [0, size)? without wrapping */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

int pk_elf__init(struct pk_elf *e, const void *data, size_t size, struct pk_error *err)
{
	const unsigned char *b = data;
	uint16_t shentsize, phentsize, shnum16, phnum16, shstrndx16;
	const unsigned char *sh0 = NULL;

	memset(e, 0, sizeof(*e));
	if (!data || size < EHDR_SIZE)
		return pk_error__set(err, -ENOEXEC, "too short for an ELF header (%zu bytes)", size);
	if (memcmp(b, ELFMAG, SELFMAG))
		return pk_error__set(err, -ENOEXEC, "not an ELF file");
	if (b[EI_CLASS] != ELFCLASS64)
		return pk_error__set(err, -ENOEXEC, "not a 64-bit ELF");
	if (b[EI_DATA] != ELFDATA2LSB)
		return pk_error__set(err, -ENOEXEC, "not a little-endian ELF");
	e->data = b;
	e->size = size;
	e->type = pk_le16(b + 16);
	e->machine = pk_le16(b + 18);
	e->entry = pk_le64(b + 24);
	e->phoff = pk_le64(b + 32);
	e->shoff = pk_le64(b + 40);
	phentsize = pk_le16(b + 54);
	phnum16 = pk_le16(b + 56);
	shentsize = pk_le16(b + 58);
	shnum16 = pk_le16(b + 60);
	shstrndx16 = pk_le16(b + 62);

	if (e->shoff) {
		if (shentsize != SHDR_SIZE)
			return pk_error__set(err, -EBADMSG, "bad section header size %u", shentsize);
		if (!in_bounds(e->shoff, SHDR_SIZE, size))
			return pk_error__set(err, -EBADMSG,
					     "section headers at %llu are past the end (%zu bytes)",
					     (unsigned long long)e->shoff, size);
		sh0 = b + e->shoff;
		/* more than SHN_LORESERVE sections: the count is in section 0's sh_size */
		e->shnum = shnum16 ? shnum16 : pk_le64(sh0 + 32);
		e->shstrndx = shstrndx16 == SHN_XINDEX ? pk_le32(sh0 + 40) : shstrndx16;
		if (e->shnum == 0 || e->shnum > (size - e->shoff) / SHDR_SIZE)
			return pk_error__set(err, -EBADMSG, "%llu section headers do not fit",
					     (unsigned long long)e->shnum);
		if (e->shstrndx >= e->shnum)
			return pk_error__set(err, -EBADMSG, "bad section name table index %llu",
					     (unsigned long long)e->shstrndx);
	}
	if (e->shstrndx) {
		const unsigned char *s = b + e->shoff + e->shstrndx * SHDR_SIZE;
		uint64_t off = pk_le64(s + 24), len = pk_le64(s + 32);

		if (pk_le32(s + 4) == SHT_NOBITS || !in_bounds(off, len, size))
			return pk_error__set(err, -EBADMSG, "section name table out of bounds");
		e->shstr = (const char *)b + off;
		e->shstr_size = len;
	}

	if (e->phoff) {
		if (phentsize != PHDR_SIZE)
			return pk_error__set(err, -EBADMSG, "bad program header size %u", phentsize);
		/* PN_XNUM: the count is in section 0's sh_info */
		e->phnum = phnum16 == PN_XNUM && sh0 ? pk_le32(sh0 + 44) : phnum16;
		if (e->phoff > size || e->phnum > (size - e->phoff) / PHDR_SIZE)
			return pk_error__set(err, -EBADMSG,
					     "%llu program headers at %llu do not fit in %zu bytes",
					     (unsigned long long)e->phnum,
					     (unsigned long long)e->phoff, size);
	}
	return 0;
}

int pk_elf__section(const struct pk_elf *e, uint64_t idx, struct pk_elf_section *sec,
		    struct pk_error *err)
{
	const unsigned char *s;
	uint32_t name;

	memset(sec, 0, sizeof(*sec));
	if (idx >= e->shnum)
		return pk_error__set(err, -ERANGE, "no section %llu", (unsigned long long)idx);
	s = e->data + e->shoff + idx * SHDR_SIZE;	/* inside: checked by pk_elf__init */
	sec->index = idx;
	name = pk_le32(s);
	sec->type = pk_le32(s + 4);
	sec->flags = pk_le64(s + 8);
	sec->addr = pk_le64(s + 16);
	sec->offset = pk_le64(s + 24);
	sec->size = pk_le64(s + 32);
	sec->link = pk_le32(s + 40);
	sec->info = pk_le32(s + 44);
	sec->entsize = pk_le64(s + 56);
	sec->name = "";
	if (e->shstr && sec->type != SHT_NULL) {
		/* compared as 64-bit: a crafted sh_name near 4 GiB must not wrap */
		if ((uint64_t)name >= e->shstr_size)
			return pk_error__set(err, -EBADMSG, "section %llu name out of bounds",
					     (unsigned long long)idx);
		if (!memchr(e->shstr + name, 0, e->shstr_size - name))
			return pk_error__set(err, -EBADMSG, "section %llu name not terminated",
					     (unsigned long long)idx);
		sec->name = e->shstr + name;
	}
	if (sec->type == SHT_NOBITS || sec->type == SHT_NULL)
		return 0;
	if (!in_bounds(sec->offset, sec->size, e->size))
		return pk_error__set(err, -EBADMSG, "section %llu data out of bounds",
				     (unsigned long long)idx);
	sec->data = e->data + sec->offset;
	return 0;
}

int pk_elf__find_section(const struct pk_elf *e, const char *name, struct pk_elf_section *sec,
			 struct pk_error *err)
{
	for (uint64_t i = 0; i < e->shnum; i++) {
		int r = pk_elf__section(e, i, sec, err);

		if (r)
			return r;
		if (sec->type != SHT_NULL && !strcmp(sec->name, name))
			return 0;
	}
	memset(sec, 0, sizeof(*sec));
	return -ENOENT;
}

int pk_elf__segment(const struct pk_elf *e, uint64_t idx, struct pk_elf_segment *seg,
		    struct pk_error *err)
{
	const unsigned char *p;

	memset(seg, 0, sizeof(*seg));
	if (idx >= e->phnum)
		return pk_error__set(err, -ERANGE, "no program header %llu", (unsigned long long)idx);
	p = e->data + e->phoff + idx * PHDR_SIZE;	/* inside: checked by pk_elf__init */
	seg->index = idx;
	seg->type = pk_le32(p);
	seg->flags = pk_le32(p + 4);
	seg->offset = pk_le64(p + 8);
	seg->vaddr = pk_le64(p + 16);
	seg->paddr = pk_le64(p + 24);
	seg->filesz = pk_le64(p + 32);
	seg->memsz = pk_le64(p + 40);
	seg->align = pk_le64(p + 48);
	if (!in_bounds(seg->offset, seg->filesz, e->size))
		return pk_error__set(err, -EBADMSG, "program header %llu data out of bounds",
				     (unsigned long long)idx);
	if (seg->filesz)
		seg->data = e->data + seg->offset;
	return 0;
}

int pk_elf__next_note(const struct pk_elf *e, struct pk_elf_note_iter *it, struct pk_elf_note *note)
{
	memset(note, 0, sizeof(*note));
	for (; it->seg < e->phnum; it->seg++, it->off = 0) {
		struct pk_elf_segment seg;
		const unsigned char *n;
		uint64_t align, name_off, desc_off, next;
		uint32_t namesz, descsz;

		if (pk_elf__segment(e, it->seg, &seg, NULL) || seg.type != PT_NOTE)
			continue;
		if (it->off > seg.filesz || seg.filesz - it->off < NHDR_SIZE)
			continue;
		/* gABI: 4-byte alignment; GNU property notes use 8 and say so in p_align */
		align = seg.align == 8 ? 8 : 4;
		n = (const unsigned char *)seg.data + it->off;
		namesz = pk_le32(n);
		descsz = pk_le32(n + 4);
		name_off = it->off + NHDR_SIZE;
		desc_off = name_off + (((uint64_t)namesz + align - 1) & ~(align - 1));
		next = desc_off + (((uint64_t)descsz + align - 1) & ~(align - 1));
		if (desc_off > seg.filesz || descsz > seg.filesz - desc_off)
			continue;	/* malformed: the rest of this segment is not read */
		note->type = pk_le32(n + 8);
		note->name = (const char *)seg.data + name_off;
		note->namesz = namesz;
		note->desc = (const unsigned char *)seg.data + desc_off;
		note->descsz = descsz;
		it->off = next;	/* may exceed filesz: the next call moves on */
		return 0;
	}
	return -ENOENT;
}

int pk_elf__find_note(const struct pk_elf *e, const char *name, uint32_t type,
		      struct pk_elf_note *note)
{
	struct pk_elf_note_iter it = { 0 };
	size_t len = strlen(name) + 1;

	while (!pk_elf__next_note(e, &it, note))
		if (note->type == type && note->namesz == len && !memcmp(note->name, name, len))
			return 0;
	memset(note, 0, sizeof(*note));
	return -ENOENT;
}

uint64_t pk_elf__span(const struct pk_elf *e)
{
	uint64_t end = EHDR_SIZE, i;

	if (e->shoff && e->shoff + e->shnum * SHDR_SIZE > end)
		end = e->shoff + e->shnum * SHDR_SIZE;
	if (e->phoff && e->phoff + e->phnum * PHDR_SIZE > end)
		end = e->phoff + e->phnum * PHDR_SIZE;
	for (i = 0; i < e->shnum; i++) {
		struct pk_elf_section s;

		if (!pk_elf__section(e, i, &s, NULL) && s.data && s.offset + s.size > end)
			end = s.offset + s.size;
	}
	for (i = 0; i < e->phnum; i++) {
		struct pk_elf_segment s;

		if (!pk_elf__segment(e, i, &s, NULL) && s.offset + s.filesz > end)
			end = s.offset + s.filesz;
	}
	return end;
}
