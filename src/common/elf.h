/* The one reader of ELF images in memory (64-bit little-endian: vmlinux, BPF
 * objects), used by btf min, btf extract and verify. Input is untrusted: every
 * offset and size is checked in 64-bit arithmetic against the buffer, headers are
 * read byte by byte (the buffer may be misaligned), names are bounded by their
 * string table. Never prints, never allocates, never writes to the buffer. */
#ifndef PK_ELF_H
#define PK_ELF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

/* A validated view of an ELF image: the ELF header, the bounds of the section and
 * program header tables and of the section name table. Points into the caller's
 * buffer, which must outlive it; nothing to free. Fields are read-only. */
struct pk_elf {
	const unsigned char *data;
	size_t size;
	uint16_t type;		/* e_type: ET_EXEC, ET_REL, ... */
	uint16_t machine;	/* e_machine: EM_X86_64, EM_BPF (247), ... */
	uint64_t entry;
	uint64_t shoff;		/* section header table, 0 when none */
	uint64_t shnum;		/* sections (the SHN_LORESERVE escape resolved) */
	uint64_t shstrndx;	/* section name table index (SHN_XINDEX resolved), 0 when none */
	uint64_t phoff;		/* program header table, 0 when none */
	uint64_t phnum;
	const char *shstr;	/* section name table, NULL when none */
	uint64_t shstr_size;
};

/* One section header, copied out. name always points to a NUL-terminated string
 * (inside the name table, or "" when the image has none). data is NULL for
 * SHT_NOBITS; otherwise [data, data + size) lies inside the buffer. */
struct pk_elf_section {
	uint64_t index;
	const char *name;
	uint32_t type;		/* sh_type */
	uint64_t flags;
	uint64_t addr;
	uint64_t offset;
	uint64_t size;
	uint32_t link;
	uint32_t info;
	uint64_t entsize;
	const void *data;
};

/* One program header, copied out; [data, data + filesz) lies inside the buffer
 * (data NULL when filesz is 0). */
struct pk_elf_segment {
	uint64_t index;
	uint32_t type;		/* p_type: PT_LOAD, PT_NOTE, ... */
	uint32_t flags;
	uint64_t offset;
	uint64_t vaddr;
	uint64_t paddr;
	uint64_t filesz;
	uint64_t memsz;
	uint64_t align;
	const void *data;
};

/* One note (Elf64_Nhdr and its payload); name is namesz bytes (normally with its
 * NUL), desc is descsz bytes; both lie inside the buffer. */
struct pk_elf_note {
	uint32_t type;
	const char *name;
	uint32_t namesz;
	const void *desc;
	uint32_t descsz;
};

/* Read and check the ELF header and the bounds of its section header table, its
 * section name table and its program header table. 0, or -ENOEXEC when data is
 * not a 64-bit little-endian ELF at all (err: "not an ELF file", "not a 64-bit
 * ELF", "not a little-endian ELF", "too short for an ELF header (N bytes)"),
 * -EBADMSG when it is one but a table lies outside the buffer or is malformed.
 * Sections and segments themselves are checked when read, one at a time. */
int pk_elf__init(struct pk_elf *e, const void *data, size_t size, struct pk_error *err);

/* true when data starts with a 64-bit little-endian ELF identification */
bool pk_elf__is_elf64le(const void *data, size_t size);

/* Section idx (0 <= idx < e->shnum). 0, or -EBADMSG when its data (unless
 * SHT_NOBITS) lies outside the buffer or its name is out of the name table or not
 * NUL-terminated (err says which), -ERANGE when idx >= shnum. */
int pk_elf__section(const struct pk_elf *e, uint64_t idx, struct pk_elf_section *sec,
		    struct pk_error *err);

/* The first section named name. 0, -ENOENT when none, or -EBADMSG when a section
 * met on the way is malformed (as pk_elf__section). */
int pk_elf__find_section(const struct pk_elf *e, const char *name, struct pk_elf_section *sec,
			 struct pk_error *err);

/* Program header idx (0 <= idx < e->phnum). 0, -EBADMSG when its file bytes lie
 * outside the buffer, -ERANGE when idx >= phnum. */
int pk_elf__segment(const struct pk_elf *e, uint64_t idx, struct pk_elf_segment *seg,
		    struct pk_error *err);

/* Iterate the notes of every PT_NOTE segment: start with a zeroed iterator; each
 * call gives the next note and advances it. 0, or -ENOENT after the last. A malformed note
 * (sizes running past its segment) ends that segment's walk; a segment outside
 * the buffer is skipped: notes are looked up, never trusted to be complete. */
struct pk_elf_note_iter {
	uint64_t seg;		/* program header index */
	uint64_t off;		/* next note's offset inside that segment */
};
int pk_elf__next_note(const struct pk_elf *e, struct pk_elf_note_iter *it, struct pk_elf_note *note);

/* The first note named name (compared with its NUL: "Xen" matches namesz 4) of
 * type type in a PT_NOTE segment. 0 or -ENOENT. E.g. the Xen PVH entry of a
 * vmlinux: pk_elf__find_note(e, "Xen", 18 (XEN_ELFNOTE_PHYS32_ENTRY), &n). */
int pk_elf__find_note(const struct pk_elf *e, const char *name, uint32_t type,
		      struct pk_elf_note *note);

/* Bytes the image spans: the end of the furthest of the ELF header, the header
 * tables and the data of every well-formed section and segment. Lets a caller cut
 * an ELF embedded in a larger buffer (a libbpf skeleton) to its size. */
uint64_t pk_elf__span(const struct pk_elf *e);

#endif
