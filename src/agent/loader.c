/* Candidate chain and the load of one candidate. Never prints: libbpf's own
 * messages during an attempt are captured so the reason (and the verifier log
 * tail) lands in the attempt record instead of on the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf/btf_archive.h"
#include "common/json.h"
#include "agent/loader.h"
#include "common/pk.h"
#include "probe.h"

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

const char *pk_host__btf_arch(const char *uname_machine)
{
	/* btfhub's names */
	if (!strcmp(uname_machine, "aarch64"))
		return "arm64";
	return uname_machine;
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

static struct pk_candidate *chain_add(struct pk_chain *ch, const char *name)
{
	struct pk_candidate *c;

	if (ch->n >= PK_MAX_CANDIDATES)
		return NULL;
	c = &ch->c[ch->n++];
	memset(c, 0, sizeof(*c));
	pk_strlcpy(c->name, name, sizeof(c->name));
	return c;
}

static void skip(struct pk_candidate *c, const char *fmt, ...)
{
	va_list ap;

	if (c->state == PK_ATTEMPT_SKIPPED)
		return;	/* keep the first reason */
	c->state = PK_ATTEMPT_SKIPPED;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
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

static void set_explicit_btf(struct pk_candidate *c, const struct pk_chain_opts *o)
{
	c->btf_src = PK_CAND_BTF_PATH;
	pk_strlcpy(c->btf_path, o->btf_path, sizeof(c->btf_path));
	snprintf(c->btf_desc, sizeof(c->btf_desc), "%s (%s)", o->btf_path,
		 o->btf_origin ? o->btf_origin : "--btf");
}

static struct pk_candidate *add_embedded(struct pk_chain *ch, const char *name, bool btf_obj)
{
	struct pk_candidate *c = chain_add(ch, name);

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
			    const struct pk_chain_opts *o)
{
	const char *arch = pk_host__btf_arch(h->arch);
	struct pk_btf_archive *a;
	const void *data;
	size_t len, near[4], btf_len;
	char err[256];
	void *btf;
	int n, rc;

	if (o->btf_archive_data) {
		data = o->btf_archive_data;
		len = o->btf_archive_len;
	} else {
		pk_embedded__btf_archive(&data, &len);
	}
	c->btf_src = PK_CAND_BTF_MEMORY;
	snprintf(c->btf_desc, sizeof(c->btf_desc), "embedded reduced BTF %s/%s/%s/%s", h->os.id,
		 h->os.version_id, arch, h->kernel_release);
	if (!data || !len) {
		skip(c, "the agent carries no reduced BTF (built without a BTF corpus)");
		return;
	}
	a = pk_btf_archive__open_mem(data, len, err, sizeof(err));
	if (!a) {
		skip(c, "embedded BTF archive is unusable: %s", err);
		return;
	}
	c->archive_entries = pk_btf_archive__entry_cnt(a);
	if (!c->archive_entries) {
		skip(c, "the agent carries no reduced BTF (built with an empty BTF corpus)");
		pk_btf_archive__free(a);
		return;
	}
	rc = pk_btf_archive__find(a, h->os.id, h->os.version_id, arch, h->kernel_release, &btf,
				  &btf_len);
	if (rc == 0) {
		c->btf_data = btf;
		c->btf_len = btf_len;
		c->btf_data_owned = true;
		c->archive_hit = true;
	} else if (rc == -ENOENT) {
		size_t off;

		off = snprintf(c->why, sizeof(c->why),
			       "no reduced BTF for %s/%s/%s/%s among the %zu kernels embedded",
			       h->os.id, h->os.version_id, arch, h->kernel_release,
			       pk_btf_archive__entry_cnt(a));
		n = pk_btf_archive__near_misses(a, h->os.id, h->os.version_id, arch,
						h->kernel_release, near, PK_ARRAY_SIZE(near));
		c->archive_near_misses = n > 0 ? n : 0;
		for (int i = 0; i < n && i < (int)PK_ARRAY_SIZE(near); i++) {
			struct pk_btf_archive_entry e;

			if (pk_btf_archive__entry(a, near[i], &e))
				break;
			off += snprintf(c->why + off, off < sizeof(c->why) ? sizeof(c->why) - off : 0,
					"%s%s", i ? ", " : "; near misses (never used): ", e.release);
		}
		if (n > (int)PK_ARRAY_SIZE(near) && off < sizeof(c->why))
			snprintf(c->why + off, sizeof(c->why) - off, " and %d more",
				 n - (int)PK_ARRAY_SIZE(near));
		c->state = PK_ATTEMPT_SKIPPED;
	} else {
		skip(c, "embedded BTF for this kernel is unusable: %s", pk_btf_archive__errstr(a));
	}
	pk_btf_archive__free(a);
}

/*
 * The order (DESIGN.md, "candidate chain"); what the operator names comes first:
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
	struct pk_candidate *c;
	bool kernel_btf = h->btf_source != PK_KERNEL_BTF_NONE;
	bool probed = !f->probe_errno;

	memset(ch, 0, sizeof(*ch));
	ch->winner = -1;

	if (o->probe_path) {
		c = chain_add(ch, "explicit");
		c->obj_src = PK_CAND_OBJ_FILE;
		pk_strlcpy(c->obj_desc, o->probe_path, sizeof(c->obj_desc));
		if (o->btf_path)
			set_explicit_btf(c, o);
		else
			set_kernel_btf(c, h);
	}
	if (o->no_embedded)
		return 0;

	c = add_embedded(ch, "embedded-btf", true);
	if (o->btf_path)
		set_explicit_btf(c, o);
	else
		set_kernel_btf(c, h);
	if (h->btf_source != PK_KERNEL_BTF_SYSFS)
		skip(c, "kernel exposes no BTF of its own (/sys/kernel/btf/vmlinux missing): tp_btf programs cannot attach");
	else if (!f->tp_btf && probed)
		skip(c, "kernel cannot load tp_btf programs (probed)");

	if (o->btf_path) {
		c = add_embedded(ch, "embedded-core+btf-file", false);
		set_explicit_btf(c, o);
		if (!f->raw_tp && probed)
			skip(c, "kernel cannot load raw tracepoint programs (probed)");
	}

	c = add_embedded(ch, "embedded-core", false);
	set_kernel_btf(c, h);
	if (!kernel_btf)
		skip(c, "no kernel BTF found (sysfs or libbpf's standard paths)%s",
		     o->btf_path ? "" : "; give one with --btf");
	else if (!f->raw_tp && probed)
		skip(c, "kernel cannot load raw tracepoint programs (probed)");

	c = add_embedded(ch, "embedded-core+reduced-btf", false);
	add_reduced_btf(c, h, o);
	if (c->state != PK_ATTEMPT_SKIPPED && !f->raw_tp && probed)
		skip(c, "kernel cannot load raw tracepoint programs (probed)");
	return 0;
}

void pk_chain__free(struct pk_chain *ch)
{
	for (int i = 0; i < ch->n; i++) {
		if (ch->c[i].btf_data_owned)
			free((void *)ch->c[i].btf_data);
		ch->c[i].btf_data = NULL;
		ch->c[i].btf_data_owned = false;
	}
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
			pk_json__kv_int(j, "errno", -c->err);
		}
		pk_json__kv_str(j, "reason", c->why[0] ? c->why : NULL);
		if (c->state == PK_ATTEMPT_OK || c->state == PK_ATTEMPT_FAILED)
			pk_json__kv_double(j, "load_ms", c->load_ms);
		pk_json__obj_end(j);
	}
	pk_json__arr_end(j);
}

/* ------------------------------------------------------------ one attempt */

struct pk_probe {
	struct bpf_object *obj;
	struct bpf_link *links[16];
	int nlinks;
	bool ringbuf;
	int events_fd, filter_fd, drops_fd;
	int btf_memfd;
};

/* libbpf's messages during one attempt */
static char capture_buf[16384];
static size_t capture_len;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int n;

	if (level == LIBBPF_DEBUG)
		return 0;
	if (capture_len >= sizeof(capture_buf) - 1) {
		/* keep the tail: the verifier's last lines matter most */
		memmove(capture_buf, capture_buf + sizeof(capture_buf) / 2,
			capture_len - sizeof(capture_buf) / 2);
		capture_len -= sizeof(capture_buf) / 2;
	}
	n = vsnprintf(capture_buf + capture_len, sizeof(capture_buf) - capture_len, fmt, ap);
	if (n > 0)
		capture_len += (size_t)n < sizeof(capture_buf) - capture_len ? (size_t)n
				: sizeof(capture_buf) - capture_len - 1;
	return n;
}

/* The reason from captured libbpf output: the line that says what failed, plus
 * the tail of a verifier log when there is one. The log's own lines are never
 * taken as the reason (a log may say "unsupported" about a harmless detail);
 * libbpf's "BPF program load failed: ..." line is preferred when present. */
static void capture_reason(char *out, size_t size, const char *fallback)
{
	static const char begin_mark[] = "-- BEGIN PROG LOAD LOG --", end_mark[] = "-- END PROG LOAD LOG --";
	static char log_copy[sizeof(capture_buf)];
	char *log_begin, *log_end, *line, *last_err = NULL, *load_failed = NULL;
	char tail[768] = "";
	size_t off = 0;

	capture_buf[capture_len] = 0;
	memcpy(log_copy, capture_buf, capture_len + 1);
	log_begin = strstr(log_copy, begin_mark);
	if (log_begin) {
		/* last 6 non-empty lines of the log */
		const char *lines[6] = {0};
		int nl = 0;

		log_end = strstr(log_begin, end_mark);
		if (log_end)
			*log_end = 0;
		line = strchr(log_begin, '\n');
		while (line && *++line) {
			char *nx = strchr(line, '\n');

			if (nx)
				*nx = 0;
			if (*line && strncmp(line, "processed ", 10))
				lines[nl++ % 6] = line;
			line = nx;
		}
		for (int i = nl > 6 ? nl - 6 : 0; i < nl; i++)
			off += snprintf(tail + off, off < sizeof(tail) ? sizeof(tail) - off : 0, "%s%s",
					off ? " | " : "", lines[i % 6]);
	}
	/* blank the log out of the messages, then find what failed */
	log_begin = strstr(capture_buf, begin_mark);
	if (log_begin) {
		log_end = strstr(log_begin, end_mark);
		if (log_end)
			memset(log_begin, '\n', log_end + sizeof(end_mark) - 1 - log_begin);
		else
			*log_begin = 0;
	}
	for (line = strtok(capture_buf, "\n"); line; line = strtok(NULL, "\n")) {
		if (strstr(line, "load failed") && !load_failed)
			load_failed = line;
		if (strstr(line, "failed") || strstr(line, "error") || strstr(line, "Error") ||
		    strstr(line, "invalid") || strstr(line, "not found") || strstr(line, "unsupported"))
			last_err = line;
	}
	if (load_failed)
		last_err = load_failed;
	if (last_err) {
		while (*last_err == ' ')
			last_err++;
		if (!strncmp(last_err, "libbpf: ", 8))
			last_err += 8;
	}
	snprintf(out, size, "%s%s%s", last_err ? last_err : fallback, tail[0] ? "; verifier: " : "",
		 tail);
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int fail(struct pk_candidate *c, const char *stage, int err, const char *fmt, ...)
{
	va_list ap;

	c->state = PK_ATTEMPT_FAILED;
	pk_strlcpy(c->stage, stage, sizeof(c->stage));
	c->err = err < 0 ? err : -EINVAL;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof(c->why), fmt, ap);
	va_end(ap);
	return c->err;
}

static bool lockdown_confidential(const struct pk_probe_opts *o)
{
	return o && o->sz >= offsetof(struct pk_probe_opts, lockdown) + sizeof(o->lockdown) &&
	       o->lockdown && !strcmp(o->lockdown, "confidentiality");
}

static const char *perm_hint(int err)
{
	return err == -EPERM || err == -EACCES ? " (need root, or CAP_BPF with CAP_PERFMON)" : "";
}

/* find a global variable's offset in a data section */
static int find_var(const struct btf *btf, const char *sec, const char *var, size_t *off, size_t *size)
{
	int id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
	const struct btf_type *t;
	const struct btf_var_secinfo *vs;

	if (id < 0)
		return -ENOENT;
	t = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(t);
	for (int i = 0; i < btf_vlen(t); i++, vs++) {
		const struct btf_type *vt = btf__type_by_id(btf, vs->type);

		if (vt && !strcmp(btf__name_by_offset(btf, vt->name_off), var)) {
			*off = vs->offset;
			*size = vs->size;
			return 0;
		}
	}
	return -ENOENT;
}

/* the native syscall numbers the probe matches at sys_exit; -1: not on this arch */
#ifdef SYS_openat
#define PK_SYS_openat SYS_openat
#else
#define PK_SYS_openat -1
#endif
#ifdef SYS_openat2
#define PK_SYS_openat2 SYS_openat2
#else
#define PK_SYS_openat2 -1
#endif
#ifdef SYS_accept
#define PK_SYS_accept SYS_accept
#else
#define PK_SYS_accept -1
#endif
#ifdef SYS_accept4
#define PK_SYS_accept4 SYS_accept4
#else
#define PK_SYS_accept4 -1
#endif

static void fill_config(struct pk_config *cfg, const struct pk_probe_opts *o, bool ringbuf)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->self_tgid = getpid();
	cfg->kinds = o->kinds;
	cfg->use_ringbuf = ringbuf;
	cfg->wakeup_bytes = o->wakeup_bytes ? o->wakeup_bytes : PK_WAKEUP_BYTES_DEFAULT;
	/* a threshold the buffer cannot reach would never wake the reader */
	if (o->ringbuf_bytes && cfg->wakeup_bytes > o->ringbuf_bytes / 4)
		cfg->wakeup_bytes = o->ringbuf_bytes / 4;
	cfg->nr_openat = PK_SYS_openat;
	cfg->nr_openat2 = PK_SYS_openat2;
	cfg->nr_accept = PK_SYS_accept;
	cfg->nr_accept4 = PK_SYS_accept4;
}

/* which kinds each of our programs serves; foreign programs are left alone */
static uint32_t prog_kinds(const char *name)
{
	static const struct { const char *name; uint32_t kinds; } t[] = {
		{ "pk_exec", PK_KIND_BIT(PK_EV_EXEC) },
		{ "pk_fork", PK_KIND_BIT(PK_EV_FORK) },
		{ "pk_exit", PK_KIND_BIT(PK_EV_EXIT) },
		{ "pk_sock_state", PK_KIND_BIT(PK_EV_CONNECT) | PK_KIND_BIT(PK_EV_CLOSE) },
		{ "pk_sys_exit", PK_KIND_BIT(PK_EV_OPEN) | PK_KIND_BIT(PK_EV_ACCEPT) },
	};
	for (size_t i = 0; i < PK_ARRAY_SIZE(t); i++)
		if (!strcmp(t[i].name, name))
			return t[i].kinds;
	return ~0u;
}

static int configure(struct pk_probe *p, struct pk_candidate *c, const struct pk_probe_opts *o)
{
	struct bpf_object *obj = p->obj;
	struct bpf_map *rodata, *events;
	struct bpf_program *prog;
	struct pk_config cfg;
	size_t off, size, rsz;
	char *data;
	int err;

	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	events = bpf_object__find_map_by_name(obj, "pk_events");
	if (!rodata || !events || !bpf_object__btf(obj) ||
	    find_var(bpf_object__btf(obj), ".rodata", "pk_cfg", &off, &size))
		return fail(c, "open", -EINVAL, "not a probekit probe: no pk_cfg / pk_events");
	if (size != sizeof(cfg))
		return fail(c, "open", -EINVAL,
			    "probe built for another agent version (pk_cfg is %zu bytes, want %zu)",
			    size, sizeof(cfg));
	data = (char *)bpf_map__initial_value(rodata, &rsz);
	if (!data || off + size > rsz)
		return fail(c, "open", -EINVAL, "probe's .rodata is malformed");

	p->ringbuf = o->ringbuf_ok && !o->force_perf;
	fill_config(&cfg, o, p->ringbuf);
	memcpy(data + off, &cfg, sizeof(cfg));

	if (p->ringbuf) {
		err = bpf_map__set_max_entries(events, o->ringbuf_bytes ? o->ringbuf_bytes : PK_RINGBUF_BYTES_DEFAULT);
	} else {
		err = bpf_map__set_type(events, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
		err = err ?: bpf_map__set_key_size(events, sizeof(int));
		err = err ?: bpf_map__set_value_size(events, sizeof(int));
		err = err ?: bpf_map__set_max_entries(events, 0);	/* libbpf: one per CPU */
	}
	if (err)
		return fail(c, "open", err, "cannot configure the event buffer: %s", strerror(-err));

	bpf_object__for_each_program(prog, obj)
		if (!(prog_kinds(bpf_program__name(prog)) & o->kinds))
			bpf_program__set_autoload(prog, false);
	return 0;
}

/* hand in-memory BTF to libbpf as a path without touching the disk */
static int btf_memfd_path(struct pk_probe *p, struct pk_candidate *c, char *path, size_t size)
{
	int fd = (int)syscall(SYS_memfd_create, "probekit-btf", 1u /* MFD_CLOEXEC */);
	const char *d = c->btf_data;
	size_t left = c->btf_len;

	if (fd < 0)
		return -errno;
	while (left) {
		ssize_t w = write(fd, d, left);

		if (w < 0) {
			int err = -errno;

			close(fd);
			return err;
		}
		d += w;
		left -= w;
	}
	p->btf_memfd = fd;
	snprintf(path, size, "/proc/self/fd/%d", fd);
	return 0;
}

static int check_btf_file(struct pk_candidate *c, const char *path)
{
	struct btf *btf;
	struct stat st;
	int err;

	if (stat(path, &st))
		return fail(c, "open", -errno, "cannot open BTF '%s': %s", path, strerror(errno));
	if (st.st_size == 0)
		return fail(c, "open", -EINVAL, "BTF '%s' is empty", path);
	btf = btf__parse(path, NULL);
	err = libbpf_get_error(btf);
	if (err) {
		char msg[128];

		libbpf_strerror(err, msg, sizeof(msg));
		return fail(c, "open", err, "cannot use BTF '%s': not valid BTF or vmlinux ELF (%s)",
			    path, msg);
	}
	btf__free(btf);
	return 0;
}

static int check_obj_file(struct pk_candidate *c, const char *path)
{
	struct stat st;

	if (stat(path, &st))
		return fail(c, "open", -errno, "cannot open '%s': %s", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return fail(c, "open", -EINVAL, "'%s' is not a regular file", path);
	if (st.st_size == 0)
		return fail(c, "open", -EINVAL, "'%s' is empty", path);
	return 0;
}

struct pk_probe *pk_probe__load(struct pk_candidate *c, const struct pk_probe_opts *o)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	libbpf_print_fn_t old_print;
	struct bpf_program *prog;
	struct pk_probe *p;
	char btf_path[64];
	double t0 = now_ms();
	int err = 0;

	p = calloc(1, sizeof(*p));
	if (!p) {
		errno = ENOMEM;
		return NULL;
	}
	p->btf_memfd = -1;
	capture_len = 0;
	capture_buf[0] = 0;
	old_print = libbpf_set_print(capture_print);

	oopts.object_name = c->name;
	if (c->btf_src == PK_CAND_BTF_PATH) {
		err = check_btf_file(c, c->btf_path);
		if (err)
			goto out;
		oopts.btf_custom_path = c->btf_path;
	} else if (c->btf_src == PK_CAND_BTF_MEMORY) {
		err = btf_memfd_path(p, c, btf_path, sizeof(btf_path));
		if (err) {
			fail(c, "open", err, "cannot hand BTF to libbpf: %s", strerror(-err));
			goto out;
		}
		oopts.btf_custom_path = btf_path;
	}

	if (c->obj_src == PK_CAND_OBJ_FILE) {
		err = check_obj_file(c, c->obj_desc);
		if (err)
			goto out;
		p->obj = bpf_object__open_file(c->obj_desc, &oopts);
	} else {
		p->obj = bpf_object__open_mem(c->obj_data, c->obj_len, &oopts);
	}
	err = libbpf_get_error(p->obj);
	if (err) {
		p->obj = NULL;
		capture_reason(c->why, sizeof(c->why), "not a BPF object");
		fail(c, "open", err, "%s: %s", c->obj_src == PK_CAND_OBJ_FILE ? "cannot open BPF object" :
		     "cannot open embedded object", c->why);
		goto out;
	}
	err = configure(p, c, o);
	if (err)
		goto out;

	err = bpf_object__load(p->obj);
	if (err) {
		char reason[sizeof(c->why)];

		capture_reason(reason, sizeof(reason), strerror(-err));
		/* first, since the reason is long: it explains every candidate's failure */
		fail(c, "load", err, "%s%s%s",
		     lockdown_confidential(o) ? "kernel lockdown is 'confidentiality', which forbids "
		     "BPF programs that read kernel memory; " : "", reason, perm_hint(err));
		goto out;
	}
	bpf_object__for_each_program(prog, p->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(prog))
			continue;
		if (p->nlinks >= (int)PK_ARRAY_SIZE(p->links)) {
			err = fail(c, "attach", -E2BIG, "too many programs in the object");
			goto out;
		}
		l = bpf_program__attach(prog);
		err = libbpf_get_error(l);
		if (err) {
			char reason[sizeof(c->why)];

			capture_reason(reason, sizeof(reason), strerror(-err));
			fail(c, "attach", err, "program '%s': %s%s", bpf_program__name(prog), reason,
			     perm_hint(err));
			goto out;
		}
		p->links[p->nlinks++] = l;
	}
	p->events_fd = bpf_map__fd(bpf_object__find_map_by_name(p->obj, "pk_events"));
	p->filter_fd = bpf_object__find_map_by_name(p->obj, "pk_filter") ?
		bpf_map__fd(bpf_object__find_map_by_name(p->obj, "pk_filter")) : -1;
	p->drops_fd = bpf_object__find_map_by_name(p->obj, "pk_drops") ?
		bpf_map__fd(bpf_object__find_map_by_name(p->obj, "pk_drops")) : -1;
out:
	libbpf_set_print(old_print);
	c->load_ms = now_ms() - t0;
	if (err) {
		pk_probe__destroy(p);
		errno = -err;
		return NULL;
	}
	/* the kernel has its copy; the memfd is no longer needed */
	if (p->btf_memfd >= 0) {
		close(p->btf_memfd);
		p->btf_memfd = -1;
	}
	return p;
}

void pk_probe__detach(struct pk_probe *p)
{
	for (int i = p->nlinks - 1; i >= 0; i--)
		bpf_link__destroy(p->links[i]);
	p->nlinks = 0;
}

void pk_probe__destroy(struct pk_probe *p)
{
	if (!p)
		return;
	pk_probe__detach(p);
	bpf_object__close(p->obj);
	if (p->btf_memfd >= 0)
		close(p->btf_memfd);
	free(p);
}

/* id and name of a program or map fd (bpf_prog_info and bpf_map_info start
 * alike: type, id; their names are at different offsets) */
static int kobj_add(int fd, bool prog, struct pk_kobj *arr, int *n)
{
	union {
		struct bpf_prog_info prog;
		struct bpf_map_info map;
	} info;
	uint32_t len = prog ? sizeof(info.prog) : sizeof(info.map);

	if (fd < 0 || *n >= PK_KOBJ_MAX)
		return 0;
	memset(&info, 0, sizeof(info));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	arr[*n].id = prog ? info.prog.id : info.map.id;
	pk_strlcpy(arr[*n].name, prog ? info.prog.name : info.map.name, sizeof(arr[0].name));
	(*n)++;
	return 0;
}

int pk_probe__kernel_objects(const struct pk_probe *p, struct pk_kernel_objects *out)
{
	struct bpf_program *prog;
	struct bpf_map *map;
	int err;

	if (!p || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	bpf_object__for_each_program(prog, p->obj)
		if ((err = kobj_add(bpf_program__fd(prog), true, out->progs, &out->nprogs)))
			return err;
	bpf_object__for_each_map(map, p->obj)
		if ((err = kobj_add(bpf_map__fd(map), false, out->maps, &out->nmaps)))
			return err;
	for (int i = 0; i < p->nlinks && out->nlinks < PK_KOBJ_MAX; i++) {
		struct bpf_link_info info = {0};
		uint32_t len = sizeof(info);

		if (bpf_obj_get_info_by_fd(bpf_link__fd(p->links[i]), &info, &len))
			return -errno;
		out->links[out->nlinks++] = info.id;
	}
	return 0;
}

bool pk_probe__ringbuf(const struct pk_probe *p) { return p->ringbuf; }
struct bpf_object *pk_probe__object(const struct pk_probe *p) { return p->obj; }
int pk_probe__events_fd(const struct pk_probe *p) { return p->events_fd; }

int pk_probe__set_filter(struct pk_probe *p, uint32_t pid, const char *comm)
{
	struct pk_filter f;
	uint32_t zero = 0;

	if (p->filter_fd < 0)
		return pid || comm ? -ENOTSUP : 0;
	memset(&f, 0, sizeof(f));
	f.pid = pid;
	if (comm) {
		f.comm_set = 1;
		strncpy(f.comm, comm, sizeof(f.comm) - 1);
	}
	return bpf_map_update_elem(p->filter_fd, &zero, &f, BPF_ANY) ? -errno : 0;
}

int pk_probe__drops(const struct pk_probe *p, uint64_t *drops, int n)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t *v;

	memset(drops, 0, n * sizeof(*drops));
	if (p->drops_fd < 0)
		return 0;
	if (ncpu <= 0)
		return ncpu;
	v = calloc(ncpu, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (uint32_t k = 0; k < (uint32_t)n && k < PK_EV_MAX; k++) {
		if (bpf_map_lookup_elem(p->drops_fd, &k, v))
			continue;
		for (int i = 0; i < ncpu; i++)
			drops[k] += v[i];
	}
	free(v);
	return 0;
}
