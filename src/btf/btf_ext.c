/* .BTF.ext CO-RE relocation parser, and the .BTF/.BTF.ext sections of BPF objects
 * through the one ELF reader (common/elf.h). Everything read comes from untrusted
 * bytes: all lengths are checked in 64-bit arithmetic before use and records are
 * copied out (input may be unaligned). Rules follow libbpf's btf_ext__new()/
 * btf_ext_setup_info(). Never prints. */
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "btf/btf_ext.h"
#include "common/bytes.h"
#include "common/elf.h"

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

#define ext_err(e, ...) pk_error__set((e), -EINVAL, __VA_ARGS__)

/* header offsets (struct btf_ext_header) */
#define EXT_HDR_MIN 8		/* magic, version, flags, hdr_len */
#define EXT_HDR_V1 24		/* + func_info, line_info */
#define EXT_HDR_CORE 32		/* + core_relo */
#define EXT_SEC_HDR 8		/* struct btf_ext_info_sec: sec_name_off, num_info */
#define CORE_RELO_MIN 16	/* struct bpf_core_relo */

/* Walk one info subsection (func_info, line_info or core_relo). With save, copy
 * the CO-RE records out. Returns 0 or -EINVAL/-ENOMEM with e set. */
static int walk_info(struct pk_btf_ext *ext, struct pk_error *e, const unsigned char *base,
		     size_t size, uint32_t hdr_len, uint32_t off, uint32_t len, uint32_t min_rec,
		     const char *what, uint32_t *count, bool save)
{
	const unsigned char *p;
	uint64_t left, total = 0;
	uint32_t rec_size, nsec = 0;

	*count = 0;
	if (len == 0)
		return 0;
	if (off & 3)
		return ext_err(e, "%s: offset %u is not 4-byte aligned", what, off);
	if ((uint64_t)hdr_len + off + len > size)
		return ext_err(e, "%s: %u bytes at offset %u run past the section end (%zu bytes)",
			       what, len, off, size);
	p = base + hdr_len + off;
	left = len;
	if (left < 4)
		return ext_err(e, "%s: too short for a record size", what);
	rec_size = pk_le32(p);
	if (rec_size < min_rec || (rec_size & 3))
		return ext_err(e, "%s: bad record size %u", what, rec_size);
	p += 4;
	left -= 4;
	if (!left)
		return ext_err(e, "%s: has no records", what);

	/* first pass: validate and count */
	{
		const unsigned char *q = p;
		uint64_t l = left;

		while (l) {
			uint32_t n;
			uint64_t need;

			if (l < EXT_SEC_HDR)
				return ext_err(e, "%s: truncated section header", what);
			n = pk_le32(q + 4);
			if (n == 0)
				return ext_err(e, "%s: section %u has no records", what, nsec);
			need = EXT_SEC_HDR + (uint64_t)n * rec_size;
			if (l < need)
				return ext_err(e, "%s: section %u: %u records of %u bytes run past the end",
					       what, nsec, n, rec_size);
			total += n;
			if (total > UINT32_MAX)
				return ext_err(e, "%s: too many records", what);
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
	if (!ext->secs || !ext->relos)
		return pk_error__set(e, -ENOMEM, "out of memory");
	while (left) {
		struct pk_btf_ext_sec *s = &ext->secs[ext->nr_secs];
		uint32_t i, n = pk_le32(p + 4);

		s->sec_name_off = pk_le32(p);
		s->nr_relos = n;
		s->first_relo = ext->nr_relos;
		p += EXT_SEC_HDR;
		for (i = 0; i < n; i++, p += rec_size) {
			struct pk_core_relo *r = &ext->relos[ext->nr_relos++];

			r->insn_off = pk_le32(p);
			r->type_id = pk_le32(p + 4);
			r->access_str_off = pk_le32(p + 8);
			r->kind = pk_le32(p + 12);
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

int pk_btf_ext__parse(struct pk_btf_ext *ext, const void *data, size_t size, struct pk_error *e)
{
	const unsigned char *b = data;
	uint32_t hdr_len;
	uint16_t magic;
	int err;

	memset(ext, 0, sizeof(*ext));
	if (!data || size < EXT_HDR_MIN)
		return ext_err(e, ".BTF.ext: %zu bytes is too short for a header", size);
	magic = pk_le16(b);
	if (magic == __builtin_bswap16(PK_BTF_EXT_MAGIC))
		return pk_error__set(e, -EOPNOTSUPP, ".BTF.ext: foreign byte order is not supported");
	if (magic != PK_BTF_EXT_MAGIC)
		return ext_err(e, ".BTF.ext: bad magic 0x%04x", magic);
	ext->version = b[2];
	ext->flags = b[3];
	if (ext->version != 1)
		return ext_err(e, ".BTF.ext: unsupported version %u", ext->version);
	if (ext->flags != 0)
		return ext_err(e, ".BTF.ext: unsupported flags 0x%x", ext->flags);
	hdr_len = pk_le32(b + 4);
	ext->hdr_len = hdr_len;
	if (hdr_len > size)
		return ext_err(e, ".BTF.ext: header length %u exceeds section size %zu", hdr_len, size);
	if (hdr_len < EXT_HDR_MIN)
		return ext_err(e, ".BTF.ext: header length %u is too short", hdr_len);
	if (hdr_len < EXT_HDR_V1)
		return 0;	/* libbpf: no info at all */

	err = walk_info(ext, e, b, size, hdr_len, pk_le32(b + 8), pk_le32(b + 12), 8, "func_info",
			&ext->func_info_cnt, false);
	if (!err)
		err = walk_info(ext, e, b, size, hdr_len, pk_le32(b + 16), pk_le32(b + 20), 16, "line_info",
				&ext->line_info_cnt, false);
	if (!err && hdr_len >= EXT_HDR_CORE) {
		uint32_t cnt;

		err = walk_info(ext, e, b, size, hdr_len, pk_le32(b + 24), pk_le32(b + 28), CORE_RELO_MIN,
				"core_relo", &cnt, true);
	}
	if (err)
		pk_btf_ext__free(ext);
	return err;
}

/* ---- ELF ---- */

int pk_bpf_elf__parse(struct pk_bpf_elf *elf, const void *data, size_t size, struct pk_error *e)
{
	struct pk_elf el;
	int err;

	memset(elf, 0, sizeof(*elf));
	if (pk_elf__init(&el, data, size, e))
		return -EINVAL;
	elf->e_machine = el.machine;
	if (!el.shnum)
		return pk_error__set(e, -EINVAL, "ELF has no section headers");
	/* every section is checked, not only the two we keep: a BPF object is small,
	 * and a corrupt one is better refused whole than half-read */
	for (uint64_t i = 0; i < el.shnum; i++) {
		struct pk_elf_section sec;

		err = pk_elf__section(&el, i, &sec, e);
		if (err)
			return -EINVAL;
		if (!sec.data)
			continue;
		if (strcmp(sec.name, ".BTF") == 0) {
			elf->btf = sec.data;
			elf->btf_size = sec.size;
		} else if (strcmp(sec.name, ".BTF.ext") == 0) {
			elf->btf_ext = sec.data;
			elf->btf_ext_size = sec.size;
		}
	}
	elf->elf_size = pk_elf__span(&el);
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
		struct pk_elf hdr;
		size_t o;

		if (!m)
			break;
		o = m - b;
		/* the cheap header check first: only a BPF object is parsed section by section */
		if (pk_elf__init(&hdr, m, size - o, NULL) == 0 && hdr.machine == PK_EM_BPF &&
		    pk_bpf_elf__parse(&elf, m, size - o, NULL) == 0) {
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
