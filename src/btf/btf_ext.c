/* .BTF.ext CO-RE relocation parser and a minimal ELF section reader for BPF
 * objects. Everything read comes from untrusted bytes: all lengths are checked in
 * 64-bit arithmetic before use and records are copied out (input may be unaligned).
 * Rules follow libbpf's btf_ext__new()/btf_ext_setup_info(). Never prints. */
#include <elf.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "btf/btf_ext.h"

static const char *const relo_kind_names[] = {
	[PK_CORE_FIELD_BYTE_OFFSET] = "field_byte_offset",
	[PK_CORE_FIELD_BYTE_SIZE] = "field_byte_size",
	[PK_CORE_FIELD_EXISTS] = "field_exists",
	[PK_CORE_FIELD_SIGNED] = "field_signed",
	[PK_CORE_FIELD_LSHIFT_U64] = "field_lshift_u64",
	[PK_CORE_FIELD_RSHIFT_U64] = "field_rshift_u64",
	[PK_CORE_TYPE_ID_LOCAL] = "type_id_local",
	[PK_CORE_TYPE_ID_TARGET] = "type_id_target",
	[PK_CORE_TYPE_EXISTS] = "type_exists",
	[PK_CORE_TYPE_SIZE] = "type_size",
	[PK_CORE_ENUMVAL_EXISTS] = "enumval_exists",
	[PK_CORE_ENUMVAL_VALUE] = "enumval_value",
	[PK_CORE_TYPE_MATCHES] = "type_matches",
};

const char *pk_core_relo_kind__str(uint32_t kind)
{
	return kind < PK_CORE_RELO_KIND_MAX ? relo_kind_names[kind] : "unknown";
}

static uint32_t rd32(const unsigned char *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint16_t rd16(const unsigned char *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static int seterr(char *buf, size_t sz, int err, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int seterr(char *buf, size_t sz, int err, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sz, fmt, ap);
	va_end(ap);
	return err;
}

#define ext_err(ext, ...) seterr((ext)->err, sizeof((ext)->err), -EINVAL, __VA_ARGS__)

/* header offsets (struct btf_ext_header) */
#define EXT_HDR_MIN 8		/* magic, version, flags, hdr_len */
#define EXT_HDR_V1 24		/* + func_info, line_info */
#define EXT_HDR_CORE 32		/* + core_relo */
#define EXT_SEC_HDR 8		/* struct btf_ext_info_sec: sec_name_off, num_info */
#define CORE_RELO_MIN 16	/* struct bpf_core_relo */

/* Walk one info subsection (func_info, line_info or core_relo). With save, copy
 * the CO-RE records out. Returns 0 or -EINVAL/-ENOMEM with ext->err set. */
static int walk_info(struct pk_btf_ext *ext, const unsigned char *base, size_t size,
		     uint32_t hdr_len, uint32_t off, uint32_t len, uint32_t min_rec,
		     const char *what, uint32_t *count, bool save)
{
	const unsigned char *p;
	uint64_t left, total = 0;
	uint32_t rec_size, nsec = 0;

	*count = 0;
	if (len == 0)
		return 0;
	if (off & 3)
		return ext_err(ext, "%s: offset %u is not 4-byte aligned", what, off);
	if ((uint64_t)hdr_len + off + len > size)
		return ext_err(ext, "%s: %u bytes at offset %u run past the section end (%zu bytes)",
			       what, len, off, size);
	p = base + hdr_len + off;
	left = len;
	if (left < 4)
		return ext_err(ext, "%s: too short for a record size", what);
	rec_size = rd32(p);
	if (rec_size < min_rec || (rec_size & 3))
		return ext_err(ext, "%s: bad record size %u", what, rec_size);
	p += 4;
	left -= 4;
	if (!left)
		return ext_err(ext, "%s: has no records", what);

	/* first pass: validate and count */
	{
		const unsigned char *q = p;
		uint64_t l = left;

		while (l) {
			uint32_t n;
			uint64_t need;

			if (l < EXT_SEC_HDR)
				return ext_err(ext, "%s: truncated section header", what);
			n = rd32(q + 4);
			if (n == 0)
				return ext_err(ext, "%s: section %u has no records", what, nsec);
			need = EXT_SEC_HDR + (uint64_t)n * rec_size;
			if (l < need)
				return ext_err(ext, "%s: section %u: %u records of %u bytes run past the end",
					       what, nsec, n, rec_size);
			total += n;
			if (total > UINT32_MAX)
				return ext_err(ext, "%s: too many records", what);
			q += need;
			l -= need;
			nsec++;
		}
	}
	*count = (uint32_t)total;
	if (!save)
		return 0;

	ext->core_relo_rec_size = rec_size;
	ext->secs = calloc(nsec, sizeof(*ext->secs));
	ext->relos = calloc(total, sizeof(*ext->relos));
	if (!ext->secs || !ext->relos) {
		seterr(ext->err, sizeof(ext->err), -ENOMEM, "out of memory");
		return -ENOMEM;
	}
	while (left) {
		struct pk_btf_ext_sec *s = &ext->secs[ext->nr_secs];
		uint32_t i, n = rd32(p + 4);

		s->sec_name_off = rd32(p);
		s->nr_relos = n;
		s->first_relo = ext->nr_relos;
		p += EXT_SEC_HDR;
		for (i = 0; i < n; i++, p += rec_size) {
			struct pk_core_relo *r = &ext->relos[ext->nr_relos++];

			r->insn_off = rd32(p);
			r->type_id = rd32(p + 4);
			r->access_str_off = rd32(p + 8);
			r->kind = rd32(p + 12);
			r->sec_idx = ext->nr_secs;
		}
		left -= EXT_SEC_HDR + (uint64_t)n * rec_size;
		ext->nr_secs++;
	}
	return 0;
}

void pk_btf_ext__free(struct pk_btf_ext *ext)
{
	if (!ext)
		return;
	free(ext->secs);
	free(ext->relos);
	ext->secs = NULL;
	ext->relos = NULL;
	ext->nr_secs = ext->nr_relos = 0;
}

int pk_btf_ext__parse(struct pk_btf_ext *ext, const void *data, size_t size)
{
	const unsigned char *b = data;
	uint32_t hdr_len;
	uint16_t magic;
	int err;

	memset(ext, 0, sizeof(*ext));
	if (!data || size < EXT_HDR_MIN)
		return ext_err(ext, ".BTF.ext: %zu bytes is too short for a header", size);
	magic = rd16(b);
	if (magic == __builtin_bswap16(PK_BTF_EXT_MAGIC))
		return seterr(ext->err, sizeof(ext->err), -EOPNOTSUPP,
			      ".BTF.ext: foreign byte order is not supported");
	if (magic != PK_BTF_EXT_MAGIC)
		return ext_err(ext, ".BTF.ext: bad magic 0x%04x", magic);
	ext->version = b[2];
	ext->flags = b[3];
	if (ext->version != 1)
		return ext_err(ext, ".BTF.ext: unsupported version %u", ext->version);
	if (ext->flags != 0)
		return ext_err(ext, ".BTF.ext: unsupported flags 0x%x", ext->flags);
	hdr_len = rd32(b + 4);
	ext->hdr_len = hdr_len;
	if (hdr_len > size)
		return ext_err(ext, ".BTF.ext: header length %u exceeds section size %zu", hdr_len, size);
	if (hdr_len < EXT_HDR_MIN)
		return ext_err(ext, ".BTF.ext: header length %u is too short", hdr_len);
	if (hdr_len < EXT_HDR_V1)
		return 0;	/* libbpf: no info at all */

	err = walk_info(ext, b, size, hdr_len, rd32(b + 8), rd32(b + 12), 8, "func_info",
			&ext->func_info_cnt, false);
	if (!err)
		err = walk_info(ext, b, size, hdr_len, rd32(b + 16), rd32(b + 20), 16, "line_info",
				&ext->line_info_cnt, false);
	if (!err && hdr_len >= EXT_HDR_CORE) {
		uint32_t cnt;

		err = walk_info(ext, b, size, hdr_len, rd32(b + 24), rd32(b + 28), CORE_RELO_MIN,
				"core_relo", &cnt, true);
	}
	if (err)
		pk_btf_ext__free(ext);
	return err;
}

/* ---- ELF ---- */

#define elf_err(elf, ...) seterr((elf)->err, sizeof((elf)->err), -EINVAL, __VA_ARGS__)

int pk_bpf_elf__parse(struct pk_bpf_elf *elf, const void *data, size_t size)
{
	const unsigned char *b = data;
	Elf64_Ehdr eh;
	Elf64_Shdr sh, strsh;
	uint64_t shnum, shstrndx, end, i;

	memset(elf, 0, sizeof(*elf));
	if (!data || size < sizeof(eh))
		return elf_err(elf, "too short for an ELF header (%zu bytes)", size);
	memcpy(&eh, b, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
		return elf_err(elf, "not an ELF file");
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return elf_err(elf, "not a 64-bit ELF");
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return elf_err(elf, "not a little-endian ELF");
	elf->e_machine = eh.e_machine;
	if (eh.e_shoff == 0)
		return elf_err(elf, "ELF has no section headers");
	if (eh.e_shentsize != sizeof(Elf64_Shdr))
		return elf_err(elf, "bad section header size %u", eh.e_shentsize);
	if (eh.e_shoff > size || size - eh.e_shoff < sizeof(Elf64_Shdr))
		return elf_err(elf, "section headers at %llu are past the end (%zu bytes)",
			       (unsigned long long)eh.e_shoff, size);
	memcpy(&sh, b + eh.e_shoff, sizeof(sh));
	shnum = eh.e_shnum ? eh.e_shnum : sh.sh_size;		/* SHN_LORESERVE escape */
	shstrndx = eh.e_shstrndx == SHN_XINDEX ? sh.sh_link : eh.e_shstrndx;
	if (shnum == 0 || shnum > (size - eh.e_shoff) / sizeof(Elf64_Shdr))
		return elf_err(elf, "%llu section headers do not fit", (unsigned long long)shnum);
	if (shstrndx >= shnum)
		return elf_err(elf, "bad section name table index %llu", (unsigned long long)shstrndx);
	end = eh.e_shoff + shnum * sizeof(Elf64_Shdr);
	memcpy(&strsh, b + eh.e_shoff + shstrndx * sizeof(Elf64_Shdr), sizeof(strsh));
	if (strsh.sh_type == SHT_NOBITS || strsh.sh_offset > size || strsh.sh_size > size - strsh.sh_offset)
		return elf_err(elf, "section name table out of bounds");

	for (i = 0; i < shnum; i++) {
		const char *name;

		memcpy(&sh, b + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
		if (sh.sh_type == SHT_NULL)
			continue;
		if (sh.sh_type != SHT_NOBITS) {
			if (sh.sh_offset > size || sh.sh_size > size - sh.sh_offset)
				return elf_err(elf, "section %llu data out of bounds", (unsigned long long)i);
			if (sh.sh_offset + sh.sh_size > end)
				end = sh.sh_offset + sh.sh_size;
		}
		if (sh.sh_name >= strsh.sh_size)
			return elf_err(elf, "section %llu name out of bounds", (unsigned long long)i);
		name = (const char *)b + strsh.sh_offset + sh.sh_name;
		if (!memchr(name, 0, strsh.sh_size - sh.sh_name))
			return elf_err(elf, "section %llu name not terminated", (unsigned long long)i);
		if (sh.sh_type == SHT_NOBITS)
			continue;
		if (strcmp(name, ".BTF") == 0) {
			elf->btf = b + sh.sh_offset;
			elf->btf_size = sh.sh_size;
		} else if (strcmp(name, ".BTF.ext") == 0) {
			elf->btf_ext = b + sh.sh_offset;
			elf->btf_ext_size = sh.sh_size;
		}
	}
	elf->elf_size = end;
	return 0;
}

int pk_bpf_elf__find_embedded(const void *data, size_t size, size_t *pos,
			      size_t *off, size_t *len)
{
	const unsigned char *b = data;
	size_t at = *pos;

	while (at < size) {
		const unsigned char *m = memmem(b + at, size - at, ELFMAG, SELFMAG);
		struct pk_bpf_elf elf;
		size_t o;

		if (!m)
			break;
		o = m - b;
		if (size - o >= sizeof(Elf64_Ehdr) && m[EI_CLASS] == ELFCLASS64 &&
		    m[EI_DATA] == ELFDATA2LSB && rd16(m + 18) == PK_EM_BPF &&
		    pk_bpf_elf__parse(&elf, m, size - o) == 0) {
			*off = o;
			*len = elf.elf_size;
			*pos = o + elf.elf_size;
			return 0;
		}
		at = o + 1;
	}
	*pos = size;
	return -ENOENT;
}
