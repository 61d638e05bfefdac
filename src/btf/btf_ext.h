/* Bounds-checked readers for what `btf min` needs out of a BPF object: the ELF
 * sections .BTF and .BTF.ext, the CO-RE relocation records in .BTF.ext, and BPF
 * ELFs embedded in other binaries (libbpf skeletons). Input is untrusted: every
 * offset is checked, bad input gives -EINVAL and a message in a caller's
 * struct pk_error; never prints. ELF is read by common/elf.h. */
#ifndef PK_BTF_EXT_H
#define PK_BTF_EXT_H

#include <stddef.h>
#include <stdint.h>

#include "common/pk.h"

#define PK_BTF_EXT_MAGIC 0xeB9F
#define PK_EM_BPF 247

/* libbpf's enum bpf_core_relo_kind, same values */
enum pk_core_relo_kind {
	PK_CORE_FIELD_BYTE_OFFSET = 0,
	PK_CORE_FIELD_BYTE_SIZE = 1,
	PK_CORE_FIELD_EXISTS = 2,
	PK_CORE_FIELD_SIGNED = 3,
	PK_CORE_FIELD_LSHIFT_U64 = 4,
	PK_CORE_FIELD_RSHIFT_U64 = 5,
	PK_CORE_TYPE_ID_LOCAL = 6,
	PK_CORE_TYPE_ID_TARGET = 7,
	PK_CORE_TYPE_EXISTS = 8,
	PK_CORE_TYPE_SIZE = 9,
	PK_CORE_ENUMVAL_EXISTS = 10,
	PK_CORE_ENUMVAL_VALUE = 11,
	PK_CORE_TYPE_MATCHES = 12,
	PK_CORE_RELO_KIND_MAX,
};

/* "field_byte_offset", ...; "unknown" for out-of-range kinds */
const char *pk_core_relo_kind__str(uint32_t kind);

/* one CO-RE relocation record (struct bpf_core_relo) plus its section index */
struct pk_core_relo {
	uint32_t insn_off;
	uint32_t type_id;
	uint32_t access_str_off;
	uint32_t kind;
	uint32_t sec_idx;	/* into pk_btf_ext.secs */
};

struct pk_btf_ext_sec {
	uint32_t sec_name_off;	/* offset in the object's .BTF string section */
	uint32_t nr_relos;
	uint32_t first_relo;	/* index into pk_btf_ext.relos */
};

struct pk_btf_ext {
	uint8_t version;
	uint8_t flags;
	uint32_t hdr_len;
	uint32_t func_info_cnt;		/* records, validated but not kept */
	uint32_t line_info_cnt;
	uint32_t core_relo_rec_size;	/* 0 when the section has no CO-RE part */
	struct pk_btf_ext_sec *secs;	/* CO-RE relocation sections */
	uint32_t nr_secs;
	struct pk_core_relo *relos;	/* all CO-RE relocations, in file order */
	uint32_t nr_relos;
};

/* Parse a .BTF.ext section. Returns 0 or -EINVAL (corrupt, truncated: err says
 * why) / -ENOMEM / -EOPNOTSUPP (foreign byte order). On failure ext is left freed
 * (pk_btf_ext__free is still safe to call). err may be NULL. */
int pk_btf_ext__parse(struct pk_btf_ext *ext, const void *data, size_t size, struct pk_error *err);
void pk_btf_ext__free(struct pk_btf_ext *ext);

/* Sections of a BPF ELF object (64-bit, little-endian: what clang -target bpf makes). */
struct pk_bpf_elf {
	uint16_t e_machine;
	const void *btf;	/* .BTF, NULL if absent */
	size_t btf_size;
	const void *btf_ext;	/* .BTF.ext, NULL if absent */
	size_t btf_ext_size;
	size_t elf_size;	/* bytes the ELF spans (pk_elf__span) */
};

/* Read the section table of an ELF image in memory (every section must be well
 * formed). 0 or -EINVAL (err says why; may be NULL). Does not require
 * e_machine == EM_BPF; the caller checks. */
int pk_bpf_elf__parse(struct pk_bpf_elf *elf, const void *data, size_t size, struct pk_error *err);

/* Find the next BPF ELF (e_machine EM_BPF) embedded in a binary, e.g. a libbpf
 * skeleton's byte array, at or after *pos. On success returns 0, sets *off and *len to
 * the embedded image and *pos past it; -ENOENT when there is no more. */
int pk_bpf_elf__find_embedded(const void *data, size_t size, size_t *pos,
			      size_t *off, size_t *len);

#endif
