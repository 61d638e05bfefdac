/* `btf min`: CO-RE relocation resolution with libbpf's rules (relo_core.c:
 * bpf_core_parse_spec, bpf_core_spec_match, bpf_core_calc_relo_insn; libbpf.c:
 * bpf_core_add_cands) on the public btf__* API, type marking like bpftool's gen.c
 * btfgen_*, and the reduced BTF built from the marks. Inputs (objects, BTFs) are
 * untrusted: every type id and string offset is checked. Never prints. */
#include <ctype.h>
#include <endian.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/btf.h>

#include "btf/btf_ext.h"
#include "btf/btf_min.h"
#include "common/pk.h"

#define SPEC_MAX 64	/* BPF_CORE_SPEC_MAX_LEN */
#define SKIP_MAX 64	/* modifier/typedef chain length we follow before calling it a loop */
#define MARK_DEPTH 256	/* recursion limit when marking (cycles in a corrupt BTF) */
#define MAX_FILE (1024u * 1024 * 1024)

struct acc {
	uint32_t type_id;
	uint32_t idx;
	const char *name;
};

struct spec {
	const struct btf *btf;
	struct acc spec[SPEC_MAX];
	uint32_t root_type_id;
	uint32_t relo_kind;
	int len;
	uint32_t raw_spec[SPEC_MAX];
	int raw_len;
	uint32_t bit_offset;
};

struct res {
	uint64_t orig_val, new_val;
	uint32_t orig_sz, new_sz;
	bool poison, validate, fail_memsz_adjust;
};

struct cands {
	uint32_t *ids;
	uint32_t len;
};

struct obj {
	char *name;
	struct btf *btf;
	struct pk_btf_ext ext;
};

struct pk_btf_min {
	const struct btf *targ;
	uint32_t targ_cnt;
	uint8_t *tmark;		/* per target type: MARKED, MARKED_PTRS */
	uint32_t *mbase;	/* per target type: first index into mmark */
	uint8_t *mmark;		/* members/enumerators kept */
	struct obj *objs;
	size_t nr_objs;
	uint32_t *new_to_old;	/* after build: reduced id -> full id */
	uint32_t new_cnt;
	struct pk_btf_min_mismatch *mm;
	size_t nr_mm, cap_mm;
	struct pk_btf_min_stats st;
};

#define MARKED 1
#define MARKED_PTRS 2	/* marked with pointers followed (mark_type(..., true)) */

/* ---- libbpf's relocation rules ---- */

static bool kind_is_field(uint32_t k)
{
	return k <= PK_CORE_FIELD_RSHIFT_U64;
}

static bool kind_is_type(uint32_t k)
{
	return k == PK_CORE_TYPE_ID_LOCAL || k == PK_CORE_TYPE_ID_TARGET ||
	       k == PK_CORE_TYPE_EXISTS || k == PK_CORE_TYPE_SIZE || k == PK_CORE_TYPE_MATCHES;
}

static bool kind_is_enumval(uint32_t k)
{
	return k == PK_CORE_ENUMVAL_EXISTS || k == PK_CORE_ENUMVAL_VALUE;
}

static bool str_empty(const char *s)
{
	return !s || !s[0];
}

static const char *name_of(const struct btf *btf, uint32_t off)
{
	const char *s = btf__name_by_offset(btf, off);

	return s ? s : "";
}

/* strip a ___flavor suffix: "task_struct___old" -> 11 */
static size_t essential_name_len(const char *name)
{
	size_t n = strlen(name);
	ptrdiff_t i;

	for (i = (ptrdiff_t)n - 5; i >= 0; i--) {
		if (name[i] != '_' && name[i + 1] == '_' && name[i + 2] == '_' &&
		    name[i + 3] == '_' && name[i + 4] != '_')
			return i + 1;
	}
	return n;
}

static const struct btf_type *skip_mods_typedefs(const struct btf *btf, uint32_t id, uint32_t *res_id)
{
	const struct btf_type *t = btf__type_by_id(btf, id);
	int n = 0;

	if (res_id)
		*res_id = id;
	while (t && (btf_is_mod(t) || btf_is_typedef(t))) {
		if (++n > SKIP_MAX)
			return NULL;
		if (res_id)
			*res_id = t->type;
		t = btf__type_by_id(btf, t->type);
	}
	return t;
}

static bool kind_core_compat(const struct btf_type *a, const struct btf_type *b)
{
	return btf_kind(a) == btf_kind(b) || (btf_is_any_enum(a) && btf_is_any_enum(b));
}

static int fields_are_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid)
{
	const struct btf_type *lt, *tt;
	int depth = SKIP_MAX;

recur:
	if (--depth < 0)
		return -EINVAL;
	lt = skip_mods_typedefs(lb, lid, &lid);
	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!lt || !tt)
		return -EINVAL;
	if (btf_is_composite(lt) && btf_is_composite(tt))
		return 1;
	if (!kind_core_compat(lt, tt))
		return 0;
	switch (btf_kind(lt)) {
	case BTF_KIND_PTR:
	case BTF_KIND_FLOAT:
		return 1;
	case BTF_KIND_FWD:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64: {
		const char *ln = name_of(lb, lt->name_off), *tn = name_of(tb, tt->name_off);
		size_t ll = essential_name_len(ln), tl = essential_name_len(tn);

		return ll == 0 || tl == 0 || (ll == tl && strncmp(ln, tn, ll) == 0);
	}
	case BTF_KIND_INT:
		return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
	case BTF_KIND_ARRAY:
		lid = btf_array(lt)->type;
		tid = btf_array(tt)->type;
		goto recur;
	default:
		return 0;
	}
}

static int types_are_compat(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
			    int level)
{
	const struct btf_type *lt, *tt;
	int depth = 32;

	lt = btf__type_by_id(lb, lid);
	tt = btf__type_by_id(tb, tid);
	if (!lt || !tt)
		return -EINVAL;
	if (!kind_core_compat(lt, tt))
		return 0;
recur:
	if (--depth < 0)
		return -EINVAL;
	lt = skip_mods_typedefs(lb, lid, &lid);
	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!lt || !tt)
		return -EINVAL;
	if (!kind_core_compat(lt, tt))
		return 0;
	switch (btf_kind(lt)) {
	case BTF_KIND_UNKN:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_ENUM:
	case BTF_KIND_FWD:
	case BTF_KIND_ENUM64:
		return 1;
	case BTF_KIND_INT:
		return btf_int_offset(lt) == 0 && btf_int_offset(tt) == 0;
	case BTF_KIND_PTR:
		lid = lt->type;
		tid = tt->type;
		goto recur;
	case BTF_KIND_ARRAY:
		lid = btf_array(lt)->type;
		tid = btf_array(tt)->type;
		goto recur;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
		int i, err;

		if (btf_vlen(lt) != btf_vlen(tt))
			return 0;
		for (i = 0; i < btf_vlen(lt); i++, lp++, tp++) {
			uint32_t l2, t2;

			if (level <= 0)
				return -EINVAL;
			skip_mods_typedefs(lb, lp->type, &l2);
			skip_mods_typedefs(tb, tp->type, &t2);
			err = types_are_compat(lb, l2, tb, t2, level - 1);
			if (err <= 0)
				return err;
		}
		skip_mods_typedefs(lb, lt->type, &lid);
		skip_mods_typedefs(tb, tt->type, &tid);
		goto recur;
	}
	default:
		return 0;
	}
}

static bool names_match(const struct btf *lb, uint32_t loff, const struct btf *tb, uint32_t toff)
{
	const char *ln = name_of(lb, loff), *tn = name_of(tb, toff);
	size_t ll, tl;

	if (str_empty(tn))
		return str_empty(ln);
	tl = essential_name_len(tn);
	ll = essential_name_len(ln);
	return tl == ll && strncmp(ln, tn, ll) == 0;
}

static uint32_t enum_name_off(const struct btf_type *t, int i)
{
	return btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off;
}

static int enums_match(const struct btf *lb, const struct btf_type *lt,
		       const struct btf *tb, const struct btf_type *tt)
{
	int i, j;

	if (lt->size != tt->size || btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (i = 0; i < btf_vlen(lt); i++) {
		for (j = 0; j < btf_vlen(tt); j++)
			if (names_match(lb, enum_name_off(lt, i), tb, enum_name_off(tt, j)))
				break;
		if (j == btf_vlen(tt))
			return 0;
	}
	return 1;
}

static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       bool behind_ptr, int level);

static int composites_match(const struct btf *lb, const struct btf_type *lt,
			    const struct btf *tb, const struct btf_type *tt, bool behind_ptr, int level)
{
	const struct btf_member *lm = btf_members(lt);
	int i, j, err;

	if (btf_vlen(lt) > btf_vlen(tt))
		return 0;
	for (i = 0; i < btf_vlen(lt); i++, lm++) {
		const struct btf_member *tm = btf_members(tt);

		for (j = 0; j < btf_vlen(tt); j++, tm++) {
			if (!names_match(lb, lm->name_off, tb, tm->name_off))
				continue;
			err = types_match(lb, lm->type, tb, tm->type, behind_ptr, level - 1);
			if (err < 0)
				return err;
			if (err > 0)
				break;
		}
		if (j == btf_vlen(tt))
			return 0;
	}
	return 1;
}

static int types_match(const struct btf *lb, uint32_t lid, const struct btf *tb, uint32_t tid,
		       bool behind_ptr, int level)
{
	const struct btf_type *lt, *tt;
	int depth = 32;
	uint16_t lk, tk;

	if (level <= 0)
		return -EINVAL;
recur:
	if (--depth < 0)
		return -EINVAL;
	lt = skip_mods_typedefs(lb, lid, &lid);
	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!lt || !tt)
		return -EINVAL;
	if (!names_match(lb, lt->name_off, tb, tt->name_off))
		return 0;
	lk = btf_kind(lt);
	tk = btf_kind(tt);
	switch (lk) {
	case BTF_KIND_UNKN:
		return lk == tk;
	case BTF_KIND_FWD: {
		bool lf = btf_kflag(lt);

		if (tk == BTF_KIND_FWD)
			return lf == btf_kflag(tt);
		return (lf && tk == BTF_KIND_UNION) || (!lf && tk == BTF_KIND_STRUCT);
	}
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		if (!btf_is_any_enum(tt))
			return 0;
		return enums_match(lb, lt, tb, tt);
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (behind_ptr) {
			if (lk == tk)
				return 1;
			if (tk != BTF_KIND_FWD)
				return 0;
			return (lk == BTF_KIND_UNION) == btf_kflag(tt);
		}
		if (lk != tk)
			return 0;
		return composites_match(lb, lt, tb, tt, behind_ptr, level);
	case BTF_KIND_INT:
		if (lk != tk)
			return 0;
		return lt->size == tt->size &&
		       (btf_int_encoding(lt) & BTF_INT_SIGNED) == (btf_int_encoding(tt) & BTF_INT_SIGNED);
	case BTF_KIND_PTR:
		if (lk != tk)
			return 0;
		behind_ptr = true;
		lid = lt->type;
		tid = tt->type;
		goto recur;
	case BTF_KIND_ARRAY:
		if (lk != tk || btf_array(lt)->nelems != btf_array(tt)->nelems)
			return 0;
		lid = btf_array(lt)->type;
		tid = btf_array(tt)->type;
		goto recur;
	case BTF_KIND_FUNC_PROTO: {
		const struct btf_param *lp = btf_params(lt), *tp = btf_params(tt);
		int i, err;

		if (lk != tk || btf_vlen(lt) != btf_vlen(tt))
			return 0;
		for (i = 0; i < btf_vlen(lt); i++, lp++, tp++) {
			err = types_match(lb, lp->type, tb, tp->type, behind_ptr, level - 1);
			if (err <= 0)
				return err;
		}
		lid = lt->type;
		tid = tt->type;
		goto recur;
	}
	default:
		return 0;
	}
}

static bool is_flex_arr(const struct btf *btf, const struct acc *acc, const struct btf_array *arr)
{
	const struct btf_type *t;

	if (!acc->name || arr->nelems > 0)
		return false;
	t = btf__type_by_id(btf, acc->type_id);
	return t && acc->idx + 1 == btf_vlen(t);
}

/* "0:1:2" -> raw_spec, then the accessors (bpf_core_parse_spec) */
static int parse_spec(const struct btf *btf, const struct pk_core_relo *relo, struct spec *spec)
{
	const char *s = btf__name_by_offset(btf, relo->access_str_off);
	const struct btf_type *t;
	struct acc *acc;
	uint32_t id, idx;
	int64_t sz;
	int i;

	memset(spec, 0, sizeof(*spec));
	if (str_empty(s) || *s == ':')
		return -EINVAL;
	spec->btf = btf;
	spec->root_type_id = relo->type_id;
	spec->relo_kind = relo->kind;

	if (kind_is_type(relo->kind))
		return strcmp(s, "0") ? -EINVAL : 0;

	while (*s) {
		unsigned long v = 0;

		if (*s == ':')
			s++;
		if (!isdigit((unsigned char)*s))
			return -EINVAL;
		while (isdigit((unsigned char)*s)) {
			v = v * 10 + (*s++ - '0');
			if (v > INT_MAX)
				return -EINVAL;
		}
		if (spec->raw_len == SPEC_MAX)
			return -E2BIG;
		spec->raw_spec[spec->raw_len++] = v;
	}

	t = skip_mods_typedefs(btf, relo->type_id, &id);
	if (!t)
		return -EINVAL;
	idx = spec->raw_spec[0];
	acc = &spec->spec[0];
	acc->type_id = id;
	acc->idx = idx;
	spec->len++;

	if (kind_is_enumval(relo->kind)) {
		if (!btf_is_any_enum(t) || spec->raw_len > 1 || idx >= btf_vlen(t))
			return -EINVAL;
		acc->name = btf__name_by_offset(btf, enum_name_off(t, idx));
		return acc->name ? 0 : -EINVAL;
	}
	if (!kind_is_field(relo->kind))
		return -EINVAL;

	sz = btf__resolve_size(btf, id);
	if (sz < 0)
		return sz;
	spec->bit_offset = idx * (uint32_t)sz * 8;

	for (i = 1; i < spec->raw_len; i++) {
		t = skip_mods_typedefs(btf, id, &id);
		if (!t)
			return -EINVAL;
		idx = spec->raw_spec[i];
		acc = &spec->spec[spec->len];
		if (btf_is_composite(t)) {
			const struct btf_member *mb;

			if (idx >= btf_vlen(t))
				return -EINVAL;
			spec->bit_offset += btf_member_bit_offset(t, idx);
			mb = btf_members(t) + idx;
			if (mb->name_off) {
				const char *name = btf__name_by_offset(btf, mb->name_off);

				if (str_empty(name))
					return -EINVAL;
				acc->type_id = id;
				acc->idx = idx;
				acc->name = name;
				spec->len++;
			}
			id = mb->type;
		} else if (btf_is_array(t)) {
			const struct btf_array *a = btf_array(t);
			bool flex;

			t = skip_mods_typedefs(btf, a->type, &id);
			if (!t)
				return -EINVAL;
			flex = is_flex_arr(btf, acc - 1, a);
			if (!flex && idx >= a->nelems)
				return -EINVAL;
			spec->spec[spec->len].type_id = id;
			spec->spec[spec->len].idx = idx;
			spec->spec[spec->len].name = NULL;
			spec->len++;
			sz = btf__resolve_size(btf, id);
			if (sz < 0)
				return sz;
			spec->bit_offset += idx * (uint32_t)sz * 8;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static int match_member(const struct btf *lb, const struct acc *lacc, const struct btf *tb,
			uint32_t tid, struct spec *spec, uint32_t *next_tid)
{
	const struct btf_type *lt, *tt;
	const struct btf_member *lm, *mb;
	const char *lname;
	int i, found;

	tt = skip_mods_typedefs(tb, tid, &tid);
	if (!tt)
		return -EINVAL;
	if (!btf_is_composite(tt))
		return 0;
	lt = btf__type_by_id(lb, lacc->type_id);
	lm = btf_members(lt) + lacc->idx;
	lname = name_of(lb, lm->name_off);

	mb = btf_members(tt);
	for (i = 0; i < btf_vlen(tt); i++, mb++) {
		uint32_t bit_offset = btf_member_bit_offset(tt, i);
		const char *tname;

		if (spec->raw_len == SPEC_MAX)
			return -E2BIG;
		spec->bit_offset += bit_offset;
		spec->raw_spec[spec->raw_len++] = i;

		tname = btf__name_by_offset(tb, mb->name_off);
		if (str_empty(tname)) {
			found = match_member(lb, lacc, tb, mb->type, spec, next_tid);
			if (found)
				return found;
		} else if (strcmp(lname, tname) == 0) {
			struct acc *tacc;

			if (spec->len == SPEC_MAX)
				return -E2BIG;
			tacc = &spec->spec[spec->len++];
			tacc->type_id = tid;
			tacc->idx = i;
			tacc->name = tname;
			*next_tid = mb->type;
			found = fields_are_compat(lb, lm->type, tb, mb->type);
			if (!found)
				spec->len--;
			return found;
		}
		spec->bit_offset -= bit_offset;
		spec->raw_len--;
	}
	return 0;
}

/* bpf_core_spec_match: 1 matched, 0 not, <0 error */
static int spec_match(const struct spec *ls, const struct btf *tb, uint32_t tid, struct spec *ts)
{
	const struct acc *lacc;
	struct acc *tacc;
	int i;

	memset(ts, 0, sizeof(*ts));
	ts->btf = tb;
	ts->root_type_id = tid;
	ts->relo_kind = ls->relo_kind;

	if (kind_is_type(ls->relo_kind)) {
		if (ls->relo_kind == PK_CORE_TYPE_MATCHES)
			return types_match(ls->btf, ls->root_type_id, tb, tid, false, 32);
		return types_are_compat(ls->btf, ls->root_type_id, tb, tid, 32);
	}

	lacc = &ls->spec[0];
	tacc = &ts->spec[0];

	if (kind_is_enumval(ls->relo_kind)) {
		const struct btf_type *tt = skip_mods_typedefs(tb, tid, &tid);
		size_t ll;

		if (!tt || !btf_is_any_enum(tt))
			return 0;
		ll = essential_name_len(lacc->name);
		for (i = 0; i < btf_vlen(tt); i++) {
			const char *tn = name_of(tb, enum_name_off(tt, i));

			if (essential_name_len(tn) != ll || strncmp(lacc->name, tn, ll) != 0)
				continue;
			tacc->type_id = tid;
			tacc->idx = i;
			tacc->name = tn;
			ts->len++;
			ts->raw_spec[ts->raw_len++] = i;
			return 1;
		}
		return 0;
	}
	if (!kind_is_field(ls->relo_kind))
		return -EINVAL;

	for (i = 0; i < ls->len; i++, lacc++, tacc++) {
		const struct btf_type *tt = skip_mods_typedefs(tb, tid, &tid);
		int64_t sz;

		if (!tt)
			return -EINVAL;
		if (lacc->name) {
			int matched = match_member(ls->btf, lacc, tb, tid, ts, &tid);

			if (matched <= 0)
				return matched;
		} else {
			if (i > 0) {
				const struct btf_array *a;
				bool flex;

				if (!btf_is_array(tt))
					return 0;
				a = btf_array(tt);
				flex = is_flex_arr(tb, tacc - 1, a);
				if (!flex && lacc->idx >= a->nelems)
					return 0;
				if (!skip_mods_typedefs(tb, a->type, &tid))
					return -EINVAL;
			}
			if (ts->raw_len == SPEC_MAX)
				return -E2BIG;
			tacc->type_id = tid;
			tacc->idx = lacc->idx;
			tacc->name = NULL;
			ts->len++;
			ts->raw_spec[ts->raw_len++] = tacc->idx;
			sz = btf__resolve_size(tb, tid);
			if (sz < 0)
				return sz;
			ts->bit_offset += lacc->idx * (uint32_t)sz * 8;
		}
	}
	return 1;
}

#define EUCLEAN_POISON 1000	/* internal: "poison the instruction" (libbpf's -EUCLEAN) */

static int calc_field(const struct pk_core_relo *relo, const struct spec *spec, uint64_t *val,
		      uint32_t *field_sz, uint32_t *type_id, bool *validate)
{
	const struct acc *acc;
	const struct btf_type *t, *mt;
	const struct btf_member *mb;
	uint32_t byte_off, byte_sz, bit_off, bit_sz, ftid;
	bool bitfield;
	int64_t sz;

	*field_sz = 0;
	if (relo->kind == PK_CORE_FIELD_EXISTS) {
		*val = spec ? 1 : 0;
		return 0;
	}
	if (!spec)
		return -EUCLEAN_POISON;
	if (spec->len < 1)
		return -EINVAL;
	acc = &spec->spec[spec->len - 1];
	t = btf__type_by_id(spec->btf, acc->type_id);
	if (!t)
		return -EINVAL;

	if (!acc->name) {
		if (relo->kind == PK_CORE_FIELD_BYTE_OFFSET) {
			*val = spec->bit_offset / 8;
			sz = btf__resolve_size(spec->btf, acc->type_id);
			if (sz < 0)
				return -EINVAL;
			*field_sz = sz;
			*type_id = acc->type_id;
		} else if (relo->kind == PK_CORE_FIELD_BYTE_SIZE) {
			sz = btf__resolve_size(spec->btf, acc->type_id);
			if (sz < 0)
				return -EINVAL;
			*val = sz;
		} else {
			return -EINVAL;	/* can't be applied to array access */
		}
		if (validate)
			*validate = true;
		return 0;
	}

	if (!btf_is_composite(t) || acc->idx >= btf_vlen(t))
		return -EINVAL;
	mb = btf_members(t) + acc->idx;
	mt = skip_mods_typedefs(spec->btf, mb->type, &ftid);
	if (!mt)
		return -EINVAL;
	bit_off = spec->bit_offset;
	bit_sz = btf_member_bitfield_size(t, acc->idx);
	bitfield = bit_sz > 0;
	if (bitfield) {
		byte_sz = mt->size;
		if (byte_sz == 0)
			return -EINVAL;
		byte_off = bit_off / 8 / byte_sz * byte_sz;
		while (bit_off + bit_sz - byte_off * 8 > byte_sz * 8) {
			if (byte_sz >= 8)
				return -E2BIG;	/* bitfield can't be read with a 64-bit load */
			byte_sz *= 2;
			byte_off = bit_off / 8 / byte_sz * byte_sz;
		}
	} else {
		sz = btf__resolve_size(spec->btf, ftid);
		if (sz < 0)
			return -EINVAL;
		byte_sz = sz;
		byte_off = spec->bit_offset / 8;
		bit_sz = byte_sz * 8;
	}
	if (validate)
		*validate = !bitfield;

	switch (relo->kind) {
	case PK_CORE_FIELD_BYTE_OFFSET:
		*val = byte_off;
		if (!bitfield) {
			*field_sz = byte_sz;
			*type_id = ftid;
		}
		break;
	case PK_CORE_FIELD_BYTE_SIZE:
		*val = byte_sz;
		break;
	case PK_CORE_FIELD_SIGNED:
		*val = (btf_is_any_enum(mt) && btf_kflag(mt)) ||
		       (btf_is_int(mt) && (btf_int_encoding(mt) & BTF_INT_SIGNED));
		if (validate)
			*validate = true;
		break;
	case PK_CORE_FIELD_LSHIFT_U64:
#if __BYTE_ORDER == __LITTLE_ENDIAN
		*val = 64 - (bit_off + bit_sz - byte_off * 8);
#else
		*val = (8 - byte_sz) * 8 + (bit_off - byte_off * 8);
#endif
		break;
	case PK_CORE_FIELD_RSHIFT_U64:
		*val = 64 - bit_sz;
		if (validate)
			*validate = true;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_type(const struct pk_core_relo *relo, const struct spec *spec, uint64_t *val)
{
	int64_t sz;

	if (!spec) {
		*val = 0;
		return 0;
	}
	switch (relo->kind) {
	case PK_CORE_TYPE_ID_TARGET:
		*val = spec->root_type_id;
		break;
	case PK_CORE_TYPE_EXISTS:
	case PK_CORE_TYPE_MATCHES:
		*val = 1;
		break;
	case PK_CORE_TYPE_SIZE:
		sz = btf__resolve_size(spec->btf, spec->root_type_id);
		if (sz < 0)
			return -EINVAL;
		*val = sz;
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_enumval(const struct pk_core_relo *relo, const struct spec *spec, uint64_t *val)
{
	const struct btf_type *t;

	switch (relo->kind) {
	case PK_CORE_ENUMVAL_EXISTS:
		*val = spec ? 1 : 0;
		break;
	case PK_CORE_ENUMVAL_VALUE:
		if (!spec)
			return -EUCLEAN_POISON;
		t = btf__type_by_id(spec->btf, spec->spec[0].type_id);
		if (!t || !btf_is_any_enum(t) || spec->spec[0].idx >= btf_vlen(t))
			return -EINVAL;
		if (btf_is_enum(t))
			*val = (int64_t)btf_enum(t)[spec->spec[0].idx].val;
		else
			*val = btf_enum64_value(btf_enum64(t) + spec->spec[0].idx);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return 0;
}

static int calc_relo(const struct pk_core_relo *relo, const struct spec *ls, const struct spec *ts,
		     struct res *res)
{
	int err = -EOPNOTSUPP;

	memset(res, 0, sizeof(*res));
	res->validate = true;
	if (kind_is_field(relo->kind)) {
		uint32_t otid = 0, ntid = 0;

		err = calc_field(relo, ls, &res->orig_val, &res->orig_sz, &otid, &res->validate);
		if (!err)
			err = calc_field(relo, ts, &res->new_val, &res->new_sz, &ntid, NULL);
		if (!err && res->orig_sz != res->new_sz) {
			const struct btf_type *ot = btf__type_by_id(ls->btf, otid);
			const struct btf_type *nt = btf__type_by_id(ts->btf, ntid);

			if (!ot || !nt)
				return -EINVAL;
			if (btf_is_ptr(ot) && btf_is_ptr(nt))
				goto done;
			if (btf_is_int(ot) && btf_is_int(nt) && btf_int_encoding(ot) != BTF_INT_SIGNED &&
			    btf_int_encoding(nt) != BTF_INT_SIGNED)
				goto done;
			res->fail_memsz_adjust = true;
		}
	} else if (kind_is_type(relo->kind)) {
		err = calc_type(relo, ls, &res->orig_val);
		if (!err)
			err = calc_type(relo, ts, &res->new_val);
	} else if (kind_is_enumval(relo->kind)) {
		err = calc_enumval(relo, ls, &res->orig_val);
		if (!err)
			err = calc_enumval(relo, ts, &res->new_val);
	}
done:
	if (err == -EUCLEAN_POISON) {
		res->poison = true;
		err = 0;
	}
	return err;
}

/* candidates: target types of a compatible kind with the same essential name */
static struct cands *find_cands(const struct btf *lb, uint32_t lid, const struct btf *tb)
{
	const struct btf_type *lt = btf__type_by_id(lb, lid);
	const char *lname;
	struct cands *c;
	uint32_t i, n = btf__type_cnt(tb), cap = 0;
	size_t ll;

	if (!lt)
		return errno = EINVAL, NULL;
	lname = name_of(lb, lt->name_off);
	ll = essential_name_len(lname);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(tb, i);
		const char *tn;

		if (!t || !kind_core_compat(t, lt))
			continue;
		tn = btf__name_by_offset(tb, t->name_off);
		if (str_empty(tn) || essential_name_len(tn) != ll || strncmp(lname, tn, ll) != 0)
			continue;
		if (c->len == cap) {
			uint32_t *nids = realloc(c->ids, (cap ? cap * 2 : 4) * sizeof(*nids));

			if (!nids) {
				free(c->ids);
				free(c);
				return NULL;
			}
			c->ids = nids;
			cap = cap ? cap * 2 : 4;
		}
		c->ids[c->len++] = i;
	}
	return c;
}

/* per object and target: local type id -> candidates (libbpf's cand_cache) */
struct cand_cache {
	struct cands **by_id;
	uint32_t n;
};

static void cand_cache_free(struct cand_cache *cc)
{
	uint32_t i;

	for (i = 0; cc->by_id && i < cc->n; i++) {
		if (cc->by_id[i]) {
			free(cc->by_id[i]->ids);
			free(cc->by_id[i]);
		}
	}
	free(cc->by_id);
	cc->by_id = NULL;
}

/* bpf_core_resolve_relo + bpf_core_calc_relo_insn; specs[2] is the target spec
 * (zero root_type_id when nothing matched) */
static int resolve_relo(const struct btf *lb, const struct pk_core_relo *relo, const struct btf *tb,
			struct cand_cache *cc, struct spec specs[3], struct res *tres)
{
	struct spec *ls = &specs[0], *cs = &specs[1], *ts = &specs[2];
	const struct btf_type *lt;
	struct cands *c;
	uint32_t i, j;
	int err;

	memset(ts, 0, sizeof(*ts));
	lt = btf__type_by_id(lb, relo->type_id);
	if (!lt || relo->type_id == 0)
		return -EINVAL;
	if (relo->kind >= PK_CORE_RELO_KIND_MAX)
		return -EOPNOTSUPP;
	err = parse_spec(lb, relo, ls);
	if (err)
		return -EINVAL;
	if (relo->kind == PK_CORE_TYPE_ID_LOCAL) {
		memset(tres, 0, sizeof(*tres));
		tres->orig_val = tres->new_val = ls->root_type_id;
		return 0;
	}
	if (str_empty(btf__name_by_offset(lb, lt->name_off)))
		return -EOPNOTSUPP;	/* libbpf: no candidate search for anonymous types */

	if (relo->type_id >= cc->n)
		return -EINVAL;
	c = cc->by_id[relo->type_id];
	if (!c) {
		c = find_cands(lb, relo->type_id, tb);
		if (!c)
			return -ENOMEM;
		cc->by_id[relo->type_id] = c;
	}

	for (i = 0, j = 0; i < c->len; i++) {
		struct res cres;

		err = spec_match(ls, tb, c->ids[i], cs);
		if (err < 0)
			return err;
		if (err == 0)
			continue;
		err = calc_relo(relo, ls, cs, &cres);
		if (err)
			return err;
		if (j == 0) {
			*tres = cres;
			*ts = *cs;
		} else if (cs->bit_offset != ts->bit_offset) {
			return -EINVAL;	/* field offset ambiguity */
		} else if (cres.poison != tres->poison || cres.new_val != tres->new_val) {
			return -EINVAL;	/* relocation decision ambiguity */
		}
		c->ids[j++] = c->ids[i];
	}
	if (j > 0)
		c->len = j;
	else
		return calc_relo(relo, ls, NULL, tres);
	return 0;
}

/* ---- marking (bpftool gen.c btfgen_*) ---- */

static void mark_member(struct pk_btf_min *m, uint32_t type_id, uint32_t idx)
{
	m->mmark[m->mbase[type_id] + idx] = 1;
}

static int mark_type(struct pk_btf_min *m, uint32_t id, bool follow_ptrs, int depth)
{
	const struct btf_type *t;
	int i, err;

	if (id == 0)
		return 0;
	if (depth > MARK_DEPTH)
		return -ELOOP;
	t = btf__type_by_id(m->targ, id);
	if (!t)
		return -EINVAL;
	if (m->tmark[id] & (follow_ptrs ? MARKED_PTRS : MARKED))
		return 0;	/* already walked at least this deep */
	m->tmark[id] |= MARKED | (follow_ptrs ? MARKED_PTRS : 0);

	switch (btf_kind(t)) {
	case BTF_KIND_UNKN:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
	case BTF_KIND_FWD:
		return 0;
	case BTF_KIND_PTR:
		return follow_ptrs ? mark_type(m, t->type, follow_ptrs, depth + 1) : 0;
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
		return mark_type(m, t->type, follow_ptrs, depth + 1);
	case BTF_KIND_ARRAY:
		err = mark_type(m, btf_array(t)->type, follow_ptrs, depth + 1);
		return err ? err : mark_type(m, btf_array(t)->index_type, follow_ptrs, depth + 1);
	case BTF_KIND_FUNC_PROTO:
		err = mark_type(m, t->type, follow_ptrs, depth + 1);
		for (i = 0; !err && i < btf_vlen(t); i++)
			err = mark_type(m, btf_params(t)[i].type, follow_ptrs, depth + 1);
		return err;
	default:
		return -EINVAL;
	}
}

static int mark_type_match(struct pk_btf_min *m, uint32_t id, bool behind_ptr, int depth)
{
	const struct btf_type *t;
	int i, err;

	if (id == 0)
		return 0;
	if (depth > MARK_DEPTH)
		return -ELOOP;
	t = btf__type_by_id(m->targ, id);
	if (!t)
		return -EINVAL;
	m->tmark[id] |= MARKED;

	switch (btf_kind(t)) {
	case BTF_KIND_UNKN:
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
		return 0;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		for (i = 0; i < btf_vlen(t); i++)
			mark_member(m, id, i);
		return 0;
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		if (behind_ptr)
			return 0;
		for (i = 0; i < btf_vlen(t); i++) {
			mark_member(m, id, i);
			err = mark_type_match(m, btf_members(t)[i].type, false, depth + 1);
			if (err)
				return err;
		}
		return 0;
	case BTF_KIND_CONST:
	case BTF_KIND_FWD:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_TYPE_TAG:
		return mark_type_match(m, t->type, behind_ptr, depth + 1);
	case BTF_KIND_PTR:
		return mark_type_match(m, t->type, true, depth + 1);
	case BTF_KIND_ARRAY:
		err = mark_type_match(m, btf_array(t)->type, false, depth + 1);
		return err ? err : mark_type_match(m, btf_array(t)->index_type, false, depth + 1);
	case BTF_KIND_FUNC_PROTO:
		err = mark_type_match(m, t->type, false, depth + 1);
		for (i = 0; !err && i < btf_vlen(t); i++)
			err = mark_type_match(m, btf_params(t)[i].type, false, depth + 1);
		return err;
	default:
		return -EINVAL;
	}
}

static int mark_field_relo(struct pk_btf_min *m, const struct spec *ts)
{
	uint32_t id = ts->root_type_id;
	const struct btf_type *t = btf__type_by_id(m->targ, id);
	int i, err;

	err = mark_type(m, id, false, 0);
	if (err)
		return err;
	for (i = 1; i < ts->raw_len; i++) {
		t = skip_mods_typedefs(m->targ, id, &id);
		if (!t)
			return -EINVAL;
		if (btf_is_composite(t)) {
			uint32_t idx = ts->raw_spec[i];

			if (idx >= btf_vlen(t))
				return -EINVAL;
			mark_member(m, id, idx);
			id = btf_members(t)[idx].type;
			err = mark_type(m, id, false, 0);
			if (err)
				return err;
		} else if (btf_is_array(t)) {
			id = btf_array(t)->type;
		} else {
			return -EINVAL;
		}
	}
	return 0;
}

static int mark_relo(struct pk_btf_min *m, const struct spec *ts)
{
	if (ts->root_type_id == 0)
		return 0;	/* no target: nothing to keep */
	switch (ts->relo_kind) {
	case PK_CORE_FIELD_BYTE_OFFSET:
	case PK_CORE_FIELD_BYTE_SIZE:
	case PK_CORE_FIELD_EXISTS:
	case PK_CORE_FIELD_SIGNED:
	case PK_CORE_FIELD_LSHIFT_U64:
	case PK_CORE_FIELD_RSHIFT_U64:
		return mark_field_relo(m, ts);
	case PK_CORE_TYPE_ID_LOCAL:
		return 0;
	case PK_CORE_TYPE_ID_TARGET:
	case PK_CORE_TYPE_EXISTS:
	case PK_CORE_TYPE_SIZE:
		return mark_type(m, ts->root_type_id, true, 0);
	case PK_CORE_TYPE_MATCHES:
		return mark_type_match(m, ts->root_type_id, false, 0);
	case PK_CORE_ENUMVAL_EXISTS:
	case PK_CORE_ENUMVAL_VALUE: {
		int err = mark_type(m, ts->root_type_id, false, 0);

		/* only the enumerator used: our enums keep their size and signedness,
		 * not every value (bpftool keeps them all) */
		if (!err && ts->len > 0)
			mark_member(m, ts->spec[0].type_id, ts->spec[0].idx);
		return err;
	}
	default:
		return -EINVAL;
	}
}

/* ---- objects ---- */

struct pk_btf_min *pk_btf_min__new(const struct btf *targ)
{
	struct pk_btf_min *m;
	uint32_t i, n;
	size_t total = 0;

	if (!targ)
		return errno = EINVAL, NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->targ = targ;
	n = m->targ_cnt = btf__type_cnt(targ);
	m->tmark = calloc(n, 1);
	m->mbase = calloc(n, sizeof(*m->mbase));
	if (!m->tmark || !m->mbase)
		goto nomem;
	for (i = 1; i < n; i++) {
		const struct btf_type *t = btf__type_by_id(targ, i);

		m->mbase[i] = total;
		if (t && (btf_is_composite(t) || btf_is_any_enum(t)))
			total += btf_vlen(t);
	}
	m->mmark = calloc(total ? total : 1, 1);
	if (!m->mmark)
		goto nomem;
	return m;
nomem:
	pk_btf_min__free(m);
	errno = ENOMEM;
	return NULL;
}

void pk_btf_min__free(struct pk_btf_min *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nr_objs; i++) {
		free(m->objs[i].name);
		btf__free(m->objs[i].btf);
		pk_btf_ext__free(&m->objs[i].ext);
	}
	free(m->objs);
	free(m->tmark);
	free(m->mbase);
	free(m->mmark);
	free(m->new_to_old);
	free(m->mm);
	free(m);
}

static const char *kind_str(const struct btf_type *t)
{
	static const char *const names[] = {
		"unknown", "int", "ptr", "array", "struct", "union", "enum", "fwd", "typedef",
		"volatile", "const", "restrict", "func", "func_proto", "var", "datasec", "float",
		"decl_tag", "type_tag", "enum64",
	};

	return t && btf_kind(t) < PK_ARRAY_SIZE(names) ? names[btf_kind(t)] : "unknown";
}

static void relo_desc(const struct obj *o, const struct pk_core_relo *r, char *buf, size_t sz)
{
	const struct btf_type *t = btf__type_by_id(o->btf, r->type_id);
	const char *sec = o->ext.secs ? btf__name_by_offset(o->btf, o->ext.secs[r->sec_idx].sec_name_off) : NULL;

	snprintf(buf, sz, "%s: section '%s' insn %u: %s on %s '%s' access '%s'", o->name,
		 sec ? sec : "?", r->insn_off / 8, pk_core_relo_kind__str(r->kind), kind_str(t),
		 t ? name_of(o->btf, t->name_off) : "?", name_of(o->btf, r->access_str_off));
}

/* resolve every relocation of o against the full BTF and mark what it touches */
static int record_obj(struct pk_btf_min *m, struct obj *o, struct pk_error *e)
{
	struct cand_cache cc = { 0 };
	uint32_t i;
	int err = 0;

	cc.n = btf__type_cnt(o->btf);
	cc.by_id = calloc(cc.n, sizeof(*cc.by_id));
	if (!cc.by_id)
		return pk_error__set(e, -ENOMEM, "out of memory");
	for (i = 0; i < o->ext.nr_relos; i++) {
		const struct pk_core_relo *r = &o->ext.relos[i];
		struct spec specs[3];
		struct res res;

		err = resolve_relo(o->btf, r, m->targ, &cc, specs, &res);
		if (err) {
			char d[256];

			relo_desc(o, r, d, sizeof(d));
			err = pk_error__set(e, err, "cannot resolve relocation %s: %s", d, strerror(-err));
			break;
		}
		m->st.relos++;
		if (r->kind == PK_CORE_TYPE_ID_LOCAL || specs[2].root_type_id)
			m->st.resolved++;
		else
			m->st.missing++;
		err = mark_relo(m, &specs[2]);
		if (err) {
			char d[256];

			relo_desc(o, r, d, sizeof(d));
			err = pk_error__set(e, err, "cannot record relocation %s: %s", d, strerror(-err));
			break;
		}
	}
	cand_cache_free(&cc);
	return err;
}

int pk_btf_min__add_btf(struct pk_btf_min *m, const char *name, const void *btf, size_t btf_size,
			const void *ext, size_t ext_size, struct pk_error *e)
{
	struct pk_error why = { 0 };
	struct obj o = { 0 }, *nobjs;
	int err;

	if (!btf || btf_size == 0 || btf_size > UINT32_MAX)
		return pk_error__set(e, -EINVAL, "%s: no usable .BTF section", name);
	if (!ext)
		return pk_error__set(e, -EINVAL, "%s: no .BTF.ext section (not a CO-RE object)", name);
	o.name = strdup(name);
	if (!o.name) {
		err = pk_error__set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	o.btf = btf__new(btf, btf_size);	/* copies */
	if (!o.btf) {
		err = pk_error__set(e, -EINVAL, "%s: corrupt .BTF section", name);
		goto fail;
	}
	err = pk_btf_ext__parse(&o.ext, ext, ext_size, &why);
	if (err) {
		err = pk_error__set(e, err, "%s: %s", name, pk_error__str(&why));
		goto fail;
	}
	err = record_obj(m, &o, e);
	if (err)
		goto fail;

	nobjs = realloc(m->objs, (m->nr_objs + 1) * sizeof(*nobjs));
	if (!nobjs) {
		err = pk_error__set(e, -ENOMEM, "out of memory");
		goto fail;
	}
	m->objs = nobjs;
	m->objs[m->nr_objs++] = o;
	m->st.objects++;
	return 0;
fail:
	free(o.name);
	btf__free(o.btf);
	pk_btf_ext__free(&o.ext);
	return err;
}

int pk_btf_min__add_object(struct pk_btf_min *m, const char *name, const void *data, size_t size,
			   struct pk_error *e)
{
	struct pk_error why = { 0 };
	struct pk_bpf_elf elf;
	int err;

	err = pk_bpf_elf__parse(&elf, data, size, &why);
	if (err)
		return pk_error__set(e, err, "%s: %s", name, pk_error__str(&why));
	if (elf.e_machine != PK_EM_BPF)
		return pk_error__set(e, -EINVAL, "%s: not a BPF object (ELF machine %u)", name, elf.e_machine);
	if (!elf.btf)
		return pk_error__set(e, -EINVAL, "%s: no .BTF section", name);
	return pk_btf_min__add_btf(m, name, elf.btf, elf.btf_size, elf.btf_ext, elf.btf_ext_size, e);
}

int pk_btf_min__add_file(struct pk_btf_min *m, const char *path, struct pk_error *e)
{
	struct pk_bpf_elf elf;
	char *data = NULL;
	size_t len = 0, pos = 0, off, elen;
	int err, n = 0;

	err = pk_file__read(path, &data, &len, MAX_FILE);
	if (err)
		return pk_error__set(e, err, "cannot read '%s': %s", path, strerror(-err));
	if (pk_bpf_elf__parse(&elf, data, len, NULL) == 0 && elf.e_machine == PK_EM_BPF) {
		err = pk_btf_min__add_object(m, path, data, len, e);
		free(data);
		return err ? err : 1;
	}
	while (pk_bpf_elf__find_embedded(data, len, &pos, &off, &elen) == 0) {
		char name[4200];

		snprintf(name, sizeof(name), "%s#%d", path, n + 1);
		err = pk_btf_min__add_object(m, name, data + off, elen, e);
		if (err)
			goto out;
		n++;
	}
	err = n ? n : pk_error__set(e, -EINVAL, "'%s' is not a BPF object and embeds none", path);
out:
	free(data);
	return err;
}

const char *pk_btf_min__object_name(const struct pk_btf_min *m, size_t i)
{
	return i < m->nr_objs ? m->objs[i].name : NULL;
}

/* ---- building the reduced BTF ---- */

/* rewrite every type id a type refers to through ids[] */
static int remap_ids(struct btf_type *t, const uint32_t *ids, uint32_t n)
{
#define REMAP(x) do { if ((x) >= n) return -EINVAL; (x) = ids[(x)]; } while (0)
	int i;

	switch (btf_kind(t)) {
	case BTF_KIND_INT:
	case BTF_KIND_FLOAT:
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
	case BTF_KIND_FWD:
	case BTF_KIND_UNKN:
		return 0;
	case BTF_KIND_PTR:
	case BTF_KIND_CONST:
	case BTF_KIND_VOLATILE:
	case BTF_KIND_RESTRICT:
	case BTF_KIND_TYPEDEF:
	case BTF_KIND_TYPE_TAG:
	case BTF_KIND_FUNC:
	case BTF_KIND_VAR:
	case BTF_KIND_DECL_TAG:
		REMAP(t->type);
		return 0;
	case BTF_KIND_ARRAY: {
		struct btf_array *a = btf_array(t);

		REMAP(a->type);
		REMAP(a->index_type);
		return 0;
	}
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION: {
		struct btf_member *mb = btf_members(t);

		for (i = 0; i < btf_vlen(t); i++)
			REMAP(mb[i].type);
		return 0;
	}
	case BTF_KIND_FUNC_PROTO: {
		struct btf_param *p = btf_params(t);

		REMAP(t->type);
		for (i = 0; i < btf_vlen(t); i++)
			REMAP(p[i].type);
		return 0;
	}
	case BTF_KIND_DATASEC: {
		struct btf_var_secinfo *v = btf_var_secinfos(t);

		for (i = 0; i < btf_vlen(t); i++)
			REMAP(v[i].type);
		return 0;
	}
	default:
		return -EINVAL;
	}
#undef REMAP
}

/* libbpf 1.1 does not check string offsets when parsing and btf__add_type() would
 * strlen(NULL) on a bad one: check every string the copy refers to */
static bool strs_ok(const struct btf *btf, const struct btf_type *t)
{
	int i;

	if (!btf__str_by_offset(btf, t->name_off))
		return false;
	switch (btf_kind(t)) {
	case BTF_KIND_STRUCT:
	case BTF_KIND_UNION:
		for (i = 0; i < btf_vlen(t); i++)
			if (!btf__str_by_offset(btf, btf_members(t)[i].name_off))
				return false;
		return true;
	case BTF_KIND_ENUM:
	case BTF_KIND_ENUM64:
		for (i = 0; i < btf_vlen(t); i++)
			if (!btf__str_by_offset(btf, enum_name_off(t, i)))
				return false;
		return true;
	case BTF_KIND_FUNC_PROTO:
		for (i = 0; i < btf_vlen(t); i++)
			if (!btf__str_by_offset(btf, btf_params(t)[i].name_off))
				return false;
		return true;
	default:
		return true;
	}
}

static size_t member_size(const struct btf_type *t)
{
	if (btf_is_composite(t))
		return sizeof(struct btf_member);
	if (btf_is_enum(t))
		return sizeof(struct btf_enum);
	return sizeof(struct btf_enum64);
}

struct btf *pk_btf_min__build(struct pk_btf_min *m, struct pk_error *e)
{
	struct btf *nb = NULL;
	uint32_t *ids = NULL, i, k = 0;
	unsigned char *buf = NULL;
	size_t bufsz = 0;
	int err = 0;

	ids = calloc(m->targ_cnt, sizeof(*ids));
	free(m->new_to_old);
	m->new_to_old = calloc(m->targ_cnt, sizeof(*m->new_to_old));
	nb = btf__new_empty();
	if (!ids || !m->new_to_old || !nb) {
		err = pk_error__set(e, -ENOMEM, "out of memory");
		goto out;
	}
	for (i = 1; i < m->targ_cnt; i++) {
		if (m->tmark[i]) {
			ids[i] = ++k;
			m->new_to_old[k] = i;
		}
	}
	m->new_cnt = k + 1;
	m->st.members = 0;

	for (i = 1; i < m->targ_cnt; i++) {
		const struct btf_type *t = btf__type_by_id(m->targ, i);
		const struct btf_type *src = t;
		struct btf_type *nt;
		int id;

		if (!m->tmark[i])
			continue;
		if (btf_is_composite(t) || btf_is_any_enum(t)) {
			/* a copy holding only the members/enumerators marked */
			size_t msz = member_size(t), need = sizeof(*t) + btf_vlen(t) * msz;
			const unsigned char *from = (const unsigned char *)(t + 1);
			unsigned char *to;
			uint32_t j, kept = 0;
			struct btf_type *ct;

			if (need > bufsz) {
				unsigned char *nbuf = realloc(buf, need);

				if (!nbuf) {
					err = pk_error__set(e, -ENOMEM, "out of memory");
					goto out;
				}
				buf = nbuf;
				bufsz = need;
			}
			ct = (struct btf_type *)buf;
			memcpy(ct, t, sizeof(*t));
			to = buf + sizeof(*t);
			for (j = 0; j < btf_vlen(t); j++) {
				if (!m->mmark[m->mbase[i] + j])
					continue;
				memcpy(to + kept * msz, from + j * msz, msz);
				kept++;
			}
			ct->info = (ct->info & ~0xffffu) | kept;
			m->st.members += kept;
			src = ct;
		}
		if (!strs_ok(m->targ, src)) {
			err = pk_error__set(e, -EINVAL, "corrupt kernel BTF: type [%u] has a bad string offset", i);
			goto out;
		}
		id = btf__add_type(nb, m->targ, src);
		if (id < 0) {
			err = pk_error__set(e, id, "cannot add type [%u] %s '%s': %s", i, kind_str(t),
				      name_of(m->targ, t->name_off), strerror(-id));
			goto out;
		}
		if ((uint32_t)id != ids[i]) {
			err = pk_error__set(e, -EINVAL, "type [%u] got id %d, expected %u", i, id, ids[i]);
			goto out;
		}
		nt = (struct btf_type *)btf__type_by_id(nb, id);
		err = remap_ids(nt, ids, m->targ_cnt);
		if (err) {
			err = pk_error__set(e, err, "cannot remap type [%u] %s", i, kind_str(t));
			goto out;
		}
	}
	m->st.types = k;
out:
	free(buf);
	free(ids);
	if (err) {
		btf__free(nb);
		errno = -err;
		return NULL;
	}
	return nb;
}

/* ---- verification ---- */

static void fmt_val(char *buf, size_t sz, int err, const struct res *r)
{
	if (err)
		snprintf(buf, sz, "error %d (%s)", err, strerror(-err));
	else if (r->poison)
		snprintf(buf, sz, "poison");
	else if (r->new_sz || r->fail_memsz_adjust)
		snprintf(buf, sz, "%llu (size %u%s)", (unsigned long long)r->new_val, r->new_sz,
			 r->fail_memsz_adjust ? ", bad size adjust" : "");
	else
		snprintf(buf, sz, "%llu", (unsigned long long)r->new_val);
}

static int add_mismatch(struct pk_btf_min *m, const struct obj *o, const struct pk_core_relo *r,
			int ferr, const struct res *fr, int rerr, const struct res *rr)
{
	struct pk_btf_min_mismatch *x;
	const struct btf_type *t = btf__type_by_id(o->btf, r->type_id);
	const char *sec = btf__name_by_offset(o->btf, o->ext.secs[r->sec_idx].sec_name_off);

	if (m->nr_mm == m->cap_mm) {
		size_t ncap = m->cap_mm ? m->cap_mm * 2 : 8;
		struct pk_btf_min_mismatch *n = realloc(m->mm, ncap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		m->mm = n;
		m->cap_mm = ncap;
	}
	x = &m->mm[m->nr_mm++];
	memset(x, 0, sizeof(*x));
	snprintf(x->object, sizeof(x->object), "%s", o->name);
	snprintf(x->section, sizeof(x->section), "%s", sec ? sec : "?");
	x->insn_off = r->insn_off;
	x->kind = r->kind;
	snprintf(x->type, sizeof(x->type), "%s %s", kind_str(t), t ? name_of(o->btf, t->name_off) : "?");
	snprintf(x->access, sizeof(x->access), "%s", name_of(o->btf, r->access_str_off));
	fmt_val(x->full, sizeof(x->full), ferr, fr);
	fmt_val(x->reduced, sizeof(x->reduced), rerr, rr);
	return 0;
}

int pk_btf_min__verify(struct pk_btf_min *m, const struct btf *reduced, struct pk_error *e)
{
	size_t oi;
	int err = 0;

	m->nr_mm = 0;
	m->st.verified = 0;
	if (!m->new_to_old)
		return pk_error__set(e, -EINVAL, "verify needs a reduced BTF built first");
	for (oi = 0; oi < m->nr_objs && !err; oi++) {
		struct obj *o = &m->objs[oi];
		struct cand_cache fc = { 0 }, rc = { 0 };
		uint32_t i;

		fc.n = rc.n = btf__type_cnt(o->btf);
		fc.by_id = calloc(fc.n, sizeof(*fc.by_id));
		rc.by_id = calloc(rc.n, sizeof(*rc.by_id));
		if (!fc.by_id || !rc.by_id)
			err = pk_error__set(e, -ENOMEM, "out of memory");
		for (i = 0; !err && i < o->ext.nr_relos; i++) {
			const struct pk_core_relo *r = &o->ext.relos[i];
			struct spec specs[3];
			struct res fr = { 0 }, rr = { 0 };
			int ferr, rerr;
			bool same;

			ferr = resolve_relo(o->btf, r, m->targ, &fc, specs, &fr);
			rerr = resolve_relo(o->btf, r, reduced, &rc, specs, &rr);
			if (r->kind == PK_CORE_TYPE_ID_TARGET && !rerr && rr.new_val) {
				/* ids differ by construction: compare the type they name */
				rr.new_val = rr.new_val < m->new_cnt ? m->new_to_old[rr.new_val] : UINT32_MAX;
			}
			same = ferr == rerr && (ferr ||
				(fr.poison == rr.poison && fr.new_val == rr.new_val &&
				 fr.new_sz == rr.new_sz && fr.fail_memsz_adjust == rr.fail_memsz_adjust));
			if (!same && add_mismatch(m, o, r, ferr, &fr, rerr, &rr))
				err = pk_error__set(e, -ENOMEM, "out of memory");
			m->st.verified++;
		}
		cand_cache_free(&fc);
		cand_cache_free(&rc);
	}
	return err ? err : (int)m->nr_mm;
}

size_t pk_btf_min__mismatch_cnt(const struct pk_btf_min *m)
{
	return m->nr_mm;
}

const struct pk_btf_min_mismatch *pk_btf_min__mismatch(const struct pk_btf_min *m, size_t i)
{
	return i < m->nr_mm ? &m->mm[i] : NULL;
}

void pk_btf_min__stats(const struct pk_btf_min *m, struct pk_btf_min_stats *st)
{
	*st = m->st;
}
