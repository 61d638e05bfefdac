/* The candidate chain: which (object, BTF) pairs to try on this host, in which
 * order, and why the others do not apply. Reads the host facts it is given and
 * the embedded objects; loads nothing into the kernel (the walk is loader.c). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agent/chain.h"
#include "btf/btf_archive.h"
#include "common/json.h"
#include "common/pk.h"

extern const char pk_obj_btf_start[], pk_obj_btf_end[];
extern const char pk_obj_core_start[], pk_obj_core_end[];

/* weak: only the agent binary links the archive (Makefile, embedded_btf.S) */
extern const char pk_btf_archive_start[] __attribute__((weak));
extern const char pk_btf_archive_end[] __attribute__((weak));

void pk_embedded__btf_archive(const void **data, size_t *len)
{
	*data = pk_btf_archive_start;
	*len = pk_btf_archive_start ? (size_t)(pk_btf_archive_end - pk_btf_archive_start) : 0;
}

void pk_embedded__btf_obj(const void **data, size_t *len)
{
	*data = pk_obj_btf_start;
	*len = pk_obj_btf_end - pk_obj_btf_start;
}

void pk_embedded__core_obj(const void **data, size_t *len)
{
	*data = pk_obj_core_start;
	*len = pk_obj_core_end - pk_obj_core_start;
}

const char *pk_attempt_state__str(enum pk_attempt_state s)
{
	switch (s) {
	case PK_ATTEMPT_PENDING: return "not-tried";
	case PK_ATTEMPT_SKIPPED: return "skipped";
	case PK_ATTEMPT_FAILED: return "failed";
	case PK_ATTEMPT_OK: return "ok";
	}
	return "?";
}

int pk_candidate__fail(struct pk_candidate *c, const char *stage)
{
	c->state = PK_ATTEMPT_FAILED;
	pk_strlcpy(c->stage, stage, sizeof(c->stage));
	if (c->err.code >= 0)
		c->err.code = -EINVAL;
	return c->err.code;
}

struct pk_candidate *pk_chain__add(struct pk_chain *ch, const char *name)
{
	struct pk_candidate *c;

	if (ch->n >= PK_MAX_CANDIDATES)
		return NULL;
	c = &ch->c[ch->n++];
	memset(c, 0, sizeof(*c));
	pk_strlcpy(c->name, name, sizeof(c->name));
	return c;
}

/* The reason is set with pk_error__set_once just before: a candidate that fails
 * two conditions keeps the first one's reason, in chain-building order. */
static void skipped(struct pk_candidate *c)
{
	c->state = PK_ATTEMPT_SKIPPED;
}

void pk_candidate__skip(struct pk_candidate *c)
{
	skipped(c);
}

void pk_candidate__set_obj(struct pk_candidate *c, void *data, size_t len, const char *desc)
{
	if (c->obj_data_owned)
		free((void *)c->obj_data);
	c->obj_src = PK_CAND_OBJ_MEMORY;
	c->obj_data = data;
	c->obj_len = len;
	c->obj_data_owned = true;
	if (desc)
		pk_strlcpy(c->obj_desc, desc, sizeof(c->obj_desc));
}

void pk_candidate__set_btf(struct pk_candidate *c, void *data, size_t len, const char *desc)
{
	if (c->btf_data_owned)
		free((void *)c->btf_data);
	c->btf_src = PK_CAND_BTF_MEMORY;
	c->btf_data = data;
	c->btf_len = len;
	c->btf_data_owned = true;
	if (desc)
		snprintf(c->btf_desc, sizeof(c->btf_desc), "%s", desc);
}

/* the kernel's BTF as the host has it: sysfs (libbpf finds it) or a file path */
static void set_kernel_btf(struct pk_candidate *c, const struct pk_host *h)
{
	if (h->btf_source == PK_KERNEL_BTF_SYSFS) {
		c->btf_src = PK_CAND_BTF_KERNEL;
		snprintf(c->btf_desc, sizeof(c->btf_desc), "kernel (%s)", h->btf_path);
	} else if (h->btf_source == PK_KERNEL_BTF_FILE) {
		/* tell libbpf exactly where: containers may see another default */
		c->btf_src = PK_CAND_BTF_PATH;
		pk_strlcpy(c->btf_path, h->btf_path, sizeof(c->btf_path));
		snprintf(c->btf_desc, sizeof(c->btf_desc), "kernel (%s)", h->btf_path);
	} else {
		c->btf_src = PK_CAND_BTF_KERNEL;
		snprintf(c->btf_desc, sizeof(c->btf_desc), "none found");
	}
}

void pk_candidate__use_kernel_btf(struct pk_candidate *c, const struct pk_host *h)
{
	set_kernel_btf(c, h);
}

static void set_explicit_btf(struct pk_candidate *c, const char *path, const char *origin)
{
	c->btf_src = PK_CAND_BTF_PATH;
	pk_strlcpy(c->btf_path, path, sizeof(c->btf_path));
	snprintf(c->btf_desc, sizeof(c->btf_desc), "%s (%s)", path, origin ? origin : "--btf");
}

static struct pk_candidate *add_embedded(struct pk_chain *ch, const char *name, bool btf_obj)
{
	struct pk_candidate *c = pk_chain__add(ch, name);

	if (!c)
		return NULL;
	c->obj_src = PK_CAND_OBJ_EMBEDDED;
	if (btf_obj) {
		pk_strlcpy(c->obj_desc, "embedded:btf", sizeof(c->obj_desc));
		pk_embedded__btf_obj(&c->obj_data, &c->obj_len);
		c->needs_sysfs_btf = true;
	} else {
		pk_strlcpy(c->obj_desc, "embedded:core", sizeof(c->obj_desc));
		pk_embedded__core_obj(&c->obj_data, &c->obj_len);
	}
	return c;
}

/* The reduced BTF of exactly this kernel (os id, version id, arch, release) from
 * the archive linked into the agent; a near miss is reported, never used. */
static void add_reduced_btf(struct pk_candidate *c, const struct pk_host *h,
			    const void *data, size_t len)
{
	const char *arch = pk_host__btf_arch(h->arch);
	struct pk_btf_archive *a;
	size_t near[4], btf_len, off;
	struct pk_error err = {0};
	char misses[512] = "";
	void *btf;
	int n, rc;

	if (!data)
		pk_embedded__btf_archive(&data, &len);
	c->btf_src = PK_CAND_BTF_MEMORY;
	snprintf(c->btf_desc, sizeof(c->btf_desc), "embedded reduced BTF %s/%s/%s/%s", h->os.id,
		 h->os.version_id, arch, h->kernel_release);
	if (!data || !len) {
		pk_error__set_once(&c->err, -ENOENT,
				   "the agent carries no reduced BTF (built without a BTF corpus)");
		skipped(c);
		return;
	}
	a = pk_btf_archive__open_mem(data, len, &err);
	if (!a) {
		pk_error__set_once(&c->err, -EINVAL, "embedded BTF archive is unusable: %s",
				   pk_error__str(&err));
		skipped(c);
		return;
	}
	c->archive_entries = pk_btf_archive__entry_cnt(a);
	rc = c->archive_entries ? pk_btf_archive__find(a, h->os.id, h->os.version_id, arch,
						     h->kernel_release, &btf, &btf_len, &err) : -ENOENT;
	if (!c->archive_entries) {
		pk_error__set_once(&c->err, -ENOENT,
				   "the agent carries no reduced BTF (built with an empty BTF corpus)");
		skipped(c);
	} else if (rc == 0) {
		c->btf_data = btf;
		c->btf_len = btf_len;
		c->btf_data_owned = true;
		c->archive_hit = true;
	} else if (rc == -ENOENT) {
		n = pk_btf_archive__near_misses(a, h->os.id, h->os.version_id, arch,
						h->kernel_release, near, PK_ARRAY_SIZE(near));
		c->archive_near_misses = n > 0 ? n : 0;
		off = 0;
		for (int i = 0; i < n && i < (int)PK_ARRAY_SIZE(near); i++) {
			struct pk_btf_archive_entry e;

			if (pk_btf_archive__entry(a, near[i], &e))
				break;
			off += snprintf(misses + off, off < sizeof(misses) ? sizeof(misses) - off : 0,
					"%s%s", i ? ", " : "; near misses (never used): ", e.release);
		}
		if (n > (int)PK_ARRAY_SIZE(near) && off < sizeof(misses))
			snprintf(misses + off, sizeof(misses) - off, " and %d more",
				 n - (int)PK_ARRAY_SIZE(near));
		pk_error__set_once(&c->err, -ENOENT,
				   "no reduced BTF for %s/%s/%s/%s among the %zu kernels embedded%s",
				   h->os.id, h->os.version_id, arch, h->kernel_release,
				   c->archive_entries, misses);
		skipped(c);
	} else {
		pk_error__set_once(&c->err, rc, "embedded BTF for this kernel is unusable: %s",
				   pk_error__str(&err));
		skipped(c);
	}
	pk_btf_archive__free(a);
}

/* a kernel feature the candidate's programs need was probed absent */
static void skip_unsupported(struct pk_candidate *c, const char *what)
{
	pk_error__set_once(&c->err, -EOPNOTSUPP, "kernel cannot load %s programs (probed)", what);
	skipped(c);
}

const char *const pk_chain__names[] = {
	"explicit", "repo-core", "embedded-btf", "embedded-core+btf-file", "embedded-core",
	"embedded-core+reduced-btf", "repo-reduced-btf", "repo-legacy", "cache-legacy", NULL,
};

static bool in_list(const char *list, const char *name)
{
	size_t n = strlen(name);

	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");

		if (l == n && !strncmp(p, name, n))
			return true;
		p += l + (p[l] ? 1 : 0);
	}
	return false;
}

int pk_chain__check_names(const char *list, char *bad, size_t bad_len)
{
	for (const char *p = list; *p;) {
		size_t l = strcspn(p, ",");
		int i;

		for (i = 0; pk_chain__names[i]; i++)
			if (strlen(pk_chain__names[i]) == l && !strncmp(p, pk_chain__names[i], l))
				break;
		if (!pk_chain__names[i] || !l) {
			snprintf(bad, bad_len, "%.*s", (int)l, p);
			return -EINVAL;
		}
		p += l + (p[l] ? 1 : 0);
	}
	return *list ? 0 : (snprintf(bad, bad_len, "%s", ""), -EINVAL);
}

/* --candidates: what the operator did not name stays in the chain, skipped, so
 * status and detect still show every candidate and why it was not tried */
static void keep_only(struct pk_chain *ch, const char *only)
{
	for (int i = 0; i < ch->n; i++) {
		struct pk_candidate *c = &ch->c[i];

		if (in_list(only, c->name))
			continue;
		pk_error__set(&c->err, -ECANCELED, "not among the candidates allowed (--candidates %.200s)", only);
		c->state = PK_ATTEMPT_SKIPPED;
	}
}

/*
 * The order (docs/agent.md, "The candidate chain"); what the operator names comes first:
 *   explicit                 --probe FILE, with --btf FILE if given, else kernel BTF
 *   embedded-btf             tp_btf object; attaching needs the kernel's own BTF
 *                            (sysfs); CO-RE relocations use --btf if given
 *   embedded-core+btf-file   only with --btf: the raw_tp object against that file
 *   embedded-core            raw_tp object + kernel BTF (sysfs or a standard path)
 *   embedded-core+reduced-btf  raw_tp object + this exact kernel's reduced BTF from
 *                            the archive in the binary (handed over as a memfd)
 * A broken --btf fails its candidates and the kernel's BTF still gets its turn.
 * When probing itself was refused (no privileges), nothing is skipped on feature
 * grounds: the attempts fail and say why, which tells the operator more.
 */
int pk_chain__build(struct pk_chain *ch, const struct pk_host *h, const struct pk_features *f,
		    const struct pk_chain_opts *o)
{
	const char *probe_path, *btf_path, *btf_origin;
	bool kernel_btf = h->btf_source != PK_KERNEL_BTF_NONE;
	bool probed = !f->probe_errno;
	struct pk_candidate *c;

	memset(ch, 0, sizeof(*ch));
	ch->winner = -1;
	if (!PK_OPTS_VALID(o, struct pk_chain_opts))
		return -EINVAL;
	probe_path = PK_OPTS_GET(o, probe_path, NULL);
	btf_path = PK_OPTS_GET(o, btf_path, NULL);
	btf_origin = PK_OPTS_GET(o, btf_origin, NULL);

	if (probe_path) {
		c = pk_chain__add(ch, "explicit");
		c->obj_src = PK_CAND_OBJ_FILE;
		pk_strlcpy(c->obj_desc, probe_path, sizeof(c->obj_desc));
		if (btf_path)
			set_explicit_btf(c, btf_path, btf_origin);
		else
			set_kernel_btf(c, h);
	}

	if (PK_OPTS_GET(o, extend, NULL))
		o->extend(ch, PK_CHAIN_SLOT_FIRST, h, f, PK_OPTS_GET(o, extend_ctx, NULL));

	c = add_embedded(ch, "embedded-btf", true);
	if (btf_path)
		set_explicit_btf(c, btf_path, btf_origin);
	else
		set_kernel_btf(c, h);
	if (h->btf_source != PK_KERNEL_BTF_SYSFS) {
		pk_error__set_once(&c->err, -ENOENT, "kernel exposes no BTF of its own (/sys/kernel/btf/vmlinux missing): tp_btf programs cannot attach");
		skipped(c);
	} else if (!f->tp_btf && probed) {
		skip_unsupported(c, "tp_btf");
	}

	if (btf_path) {
		c = add_embedded(ch, "embedded-core+btf-file", false);
		set_explicit_btf(c, btf_path, btf_origin);
		if (!f->raw_tp && probed)
			skip_unsupported(c, "raw tracepoint");
	}

	c = add_embedded(ch, "embedded-core", false);
	set_kernel_btf(c, h);
	if (!kernel_btf) {
		pk_error__set_once(&c->err, -ENOENT,
				   "no kernel BTF found (sysfs or libbpf's standard paths)%s",
				   btf_path ? "" : "; give one with --btf");
		skipped(c);
	} else if (!f->raw_tp && probed) {
		skip_unsupported(c, "raw tracepoint");
	}

	c = add_embedded(ch, "embedded-core+reduced-btf", false);
	add_reduced_btf(c, h, PK_OPTS_GET(o, btf_archive_data, NULL),
			PK_OPTS_GET(o, btf_archive_len, 0));
	if (c->state != PK_ATTEMPT_SKIPPED && !f->raw_tp && probed)
		skip_unsupported(c, "raw tracepoint");

	if (PK_OPTS_GET(o, extend, NULL))
		o->extend(ch, PK_CHAIN_SLOT_LAST, h, f, PK_OPTS_GET(o, extend_ctx, NULL));
	if (PK_OPTS_GET(o, only, NULL))
		keep_only(ch, o->only);
	return 0;
}

void pk_chain__free(struct pk_chain *ch)
{
	if (!ch)
		return;
	for (int i = 0; i < ch->n; i++) {
		if (ch->c[i].btf_data_owned)
			free((void *)ch->c[i].btf_data);
		ch->c[i].btf_data = NULL;
		ch->c[i].btf_data_owned = false;
		if (ch->c[i].obj_data_owned)
			free((void *)ch->c[i].obj_data);
		ch->c[i].obj_data = NULL;
		ch->c[i].obj_data_owned = false;
	}
}

/* "source": the repository path asked for, what served it (when fetched) and
 * every place asked, in order, with its outcome */
static void source_to_json(const struct pk_cand_source *s, bool fetched, struct pk_json *j)
{
	pk_json__key(j, "source");
	pk_json__obj_begin(j);
	pk_json__kv_str(j, "path", s->path);
	pk_json__kv_str(j, "kind", s->kind);
	if (fetched) {
		pk_json__kv_str(j, "repository", s->where);
		pk_json__kv_str(j, "url", s->url);
		pk_json__kv_str(j, "sha256", s->sha256);
		pk_json__kv_str(j, "cache_entry", s->cache[0] ? s->cache : NULL);
		pk_json__kv_uint(j, "index_version", s->index_version);
		pk_json__kv_bool(j, "from_cache", s->from_cache);
	}
	pk_json__key(j, "attempts");
	pk_json__arr_begin(j);
	for (int i = 0; i < s->nr_attempts; i++) {
		const struct pk_cand_attempt *a = &s->attempts[i];

		pk_json__obj_begin(j);
		pk_json__kv_str(j, "where", a->where);
		pk_json__kv_str(j, "url", a->url[0] ? a->url : NULL);
		pk_json__kv_str(j, "outcome", a->outcome);
		if (a->code)
			pk_json__kv_int(j, "errno", -a->code);
		pk_json__kv_str(j, "reason", a->reason[0] ? a->reason : NULL);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
	if (s->dropped)
		pk_json__kv_int(j, "attempts_not_kept", s->dropped);
	pk_json__obj_end(j);
}

void pk_candidate__source_json(const struct pk_candidate *c, struct pk_json *j)
{
	source_to_json(&c->source, true, j);
}

void pk_chain__to_json(const struct pk_chain *ch, struct pk_json *j)
{
	pk_json__arr_begin(j);
	for (int i = 0; i < ch->n; i++) {
		const struct pk_candidate *c = &ch->c[i];

		pk_json__obj_begin(j);
		pk_json__kv_str(j, "name", c->name);
		pk_json__kv_str(j, "object", c->obj_desc);
		pk_json__kv_str(j, "btf", c->btf_desc);
		pk_json__kv_str(j, "state", pk_attempt_state__str(c->state));
		if (c->state == PK_ATTEMPT_FAILED) {
			pk_json__kv_str(j, "stage", c->stage);
			pk_json__kv_int(j, "errno", -c->err.code);
		}
		pk_json__kv_str(j, "reason", c->err.msg[0] ? c->err.msg : NULL);
		if (c->state == PK_ATTEMPT_OK || c->state == PK_ATTEMPT_FAILED)
			pk_json__kv_double(j, "load_ms", c->load_ms);
		if (c->fetch && c->state != PK_ATTEMPT_PENDING && c->state != PK_ATTEMPT_SKIPPED)
			pk_json__kv_double(j, "fetch_ms", c->fetch_ms);
		if (c->has_source)
			source_to_json(&c->source, c->state == PK_ATTEMPT_OK ||
				       (c->state == PK_ATTEMPT_FAILED && strcmp(c->stage, "fetch")), j);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
}
