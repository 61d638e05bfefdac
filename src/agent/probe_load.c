/* One candidate's probe: open the object, configure it (event kinds, buffer,
 * syscall numbers), load and attach it, and say exactly why when that fails:
 * the errno and, when the verifier refused a program, the tail of its log.
 * Never prints; libbpf's own messages go to pk_pr through libbpf_print.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "agent/loader.h"
#include "common/pk.h"
#include "probe.h"

#define PK_PROBE_MAX_PROGS 16

struct pk_probe {
	struct bpf_object *obj;
	struct bpf_link *links[PK_PROBE_MAX_PROGS];
	int nlinks;
	bool ringbuf;
	int events_fd, filter_fd, drops_fd;
	int btf_memfd;
	/* verifier logs, one per program to load, only while loading */
	struct bpf_program *log_progs[PK_PROBE_MAX_PROGS];
	char *logs[PK_PROBE_MAX_PROGS];
	int nlogs;
};

/*
 * Verifier logs, per program. libbpf loads with log level 0 and, when the kernel
 * refuses a program, loads it again at level 1 into that program's buffer: only a
 * refused program's buffer is ever written, so it names the program and holds its
 * log. (libbpf prints only logs it allocated itself, so nothing is printed twice.)
 * The buffers are anonymous mappings, so untouched pages cost nothing; 16 MiB is
 * libbpf's own size, because a log the buffer cannot hold makes the kernel return
 * ENOSPC instead of the errno that says why the program was refused.
 */
#define PK_VERIFIER_LOG_BYTES (16u << 20)
/* how much of a log -v shows: its end says why */
#define PK_VERIFIER_LOG_SHOWN (16u << 10)

static int logs_attach(struct pk_probe *p)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, p->obj) {
		void *buf;

		if (!bpf_program__autoload(prog))
			continue;
		if (p->nlogs >= PK_PROBE_MAX_PROGS)
			return -E2BIG;
		buf = mmap(NULL, PK_VERIFIER_LOG_BYTES, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (buf == MAP_FAILED)
			return -errno;
		p->log_progs[p->nlogs] = prog;
		p->logs[p->nlogs++] = buf;
		bpf_program__set_log_buf(prog, buf, PK_VERIFIER_LOG_BYTES);
	}
	return 0;
}

static void logs_free(struct pk_probe *p)
{
	for (int i = 0; i < p->nlogs; i++) {
		bpf_program__set_log_buf(p->log_progs[i], NULL, 0);
		munmap(p->logs[i], PK_VERIFIER_LOG_BYTES);
	}
	p->nlogs = 0;
}

/* the last n non-empty lines of a log, " | "-joined; the closing "processed N
 * insns" statistics line says nothing about why */
static void log_tail(const char *log, int n, char *out, size_t size)
{
	const char *end = log + strnlen(log, PK_VERIFIER_LOG_BYTES), *line_end = end;
	const char *lines[8];
	int len[8], nl = 0;
	size_t off = 0;

	if (n > (int)PK_ARRAY_SIZE(lines))
		n = PK_ARRAY_SIZE(lines);
	while (line_end > log && nl < n) {
		const char *b = line_end;

		while (b > log && b[-1] != '\n')
			b--;
		if (line_end > b && strncmp(b, "processed ", 10)) {
			lines[nl] = b;
			len[nl++] = (int)(line_end - b);
		}
		line_end = b > log ? b - 1 : log;
	}
	out[0] = 0;
	for (int i = nl - 1; i >= 0; i--)
		off += snprintf(out + off, off < size ? size - off : 0, "%s%.*s", off ? " | " : "",
				len[i], lines[i]);
}

static bool lockdown_confidential(const struct pk_probe_opts *o)
{
	const char *lockdown = PK_OPTS_GET(o, lockdown, NULL);

	return lockdown && !strcmp(lockdown, "confidentiality");
}

static const char *perm_hint(int err)
{
	return err == -EPERM || err == -EACCES ? " (need root, or CAP_BPF with CAP_PERFMON)" : "";
}

/* Why bpf_object__load failed, from its errno and the refused program's log. */
static int load_failed(struct pk_probe *p, struct pk_candidate *c, const struct pk_probe_opts *o,
		       int err)
{
	/* first, since the reason is long: it explains every candidate's failure */
	const char *lockdown = lockdown_confidential(o) ?
		"kernel lockdown is 'confidentiality', which forbids BPF programs that read "
		"kernel memory; " : "";
	char msg[128], tail[768];

	libbpf_strerror(err, msg, sizeof(msg));
	for (int i = 0; i < p->nlogs; i++) {
		const char *log = p->logs[i], *name = bpf_program__name(p->log_progs[i]);
		size_t len;

		if (!log[0])
			continue;
		len = strnlen(log, PK_VERIFIER_LOG_BYTES);
		pk_debug("prog '%s': verifier log%s:\n%s\n", name,
			 len > PK_VERIFIER_LOG_SHOWN ? " (its end)" : "",
			 len > PK_VERIFIER_LOG_SHOWN ? log + len - PK_VERIFIER_LOG_SHOWN : log);
		log_tail(log, 6, tail, sizeof(tail));
		pk_error__set(&c->err, err, "%sprog '%s': BPF program load failed: %s%s%s%s",
			      lockdown, name, msg, tail[0] ? "; verifier: " : "", tail, perm_hint(err));
		return pk_candidate__fail(c, "load");
	}
	/* refused before any program reached the verifier: maps, BTF, relocations */
	pk_error__set(&c->err, err, "%sfailed to load object '%s': %s%s", lockdown,
		      c->obj_src == PK_CAND_OBJ_FILE ? c->obj_desc : c->name, msg, perm_hint(err));
	return pk_candidate__fail(c, "load");
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
	struct bpf_map *rodata, *events, *drops;
	struct bpf_program *prog;
	struct pk_config cfg;
	size_t off, size, rsz;
	char *data;
	int err;

	rodata = bpf_object__find_map_by_name(obj, ".rodata");
	events = bpf_object__find_map_by_name(obj, "pk_events");
	if (!rodata || !events || !bpf_object__btf(obj) ||
	    find_var(bpf_object__btf(obj), ".rodata", "pk_cfg", &off, &size)) {
		pk_error__set(&c->err, -EINVAL, "not a probekit probe: no pk_cfg / pk_events");
		return pk_candidate__fail(c, "open");
	}
	if (size != sizeof(cfg)) {
		pk_error__set(&c->err, -EINVAL,
			      "probe built for another agent version (pk_cfg is %zu bytes, want %zu)",
			      size, sizeof(cfg));
		return pk_candidate__fail(c, "open");
	}
	drops = bpf_object__find_map_by_name(obj, "pk_drops");
	if (drops && bpf_map__max_entries(drops) != PK_DROPS_FILTERED + PK_EV_MAX) {
		/* an older probe counts filtered drops nowhere: its runs would report 0 */
		pk_error__set(&c->err, -EINVAL,
			      "probe built for another agent version (pk_drops has %u entries, want %u)",
			      bpf_map__max_entries(drops), PK_DROPS_FILTERED + PK_EV_MAX);
		return pk_candidate__fail(c, "open");
	}
	data = (char *)bpf_map__initial_value(rodata, &rsz);
	if (!data || off + size > rsz) {
		pk_error__set(&c->err, -EINVAL, "probe's .rodata is malformed");
		return pk_candidate__fail(c, "open");
	}

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
	if (err) {
		pk_error__set(&c->err, err, "cannot configure the event buffer: %s", strerror(-err));
		return pk_candidate__fail(c, "open");
	}

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

	if (stat(path, &st)) {
		pk_error__set(&c->err, -errno, "cannot open BTF '%s': %s", path, strerror(errno));
		return pk_candidate__fail(c, "open");
	}
	if (st.st_size == 0) {
		pk_error__set(&c->err, -EINVAL, "BTF '%s' is empty", path);
		return pk_candidate__fail(c, "open");
	}
	btf = btf__parse(path, NULL);
	if (!btf) {
		int err = -errno;	/* libbpf 1.x: NULL with errno set */
		char msg[128];

		libbpf_strerror(err, msg, sizeof(msg));
		pk_error__set(&c->err, err, "cannot use BTF '%s': not valid BTF or vmlinux ELF (%s)",
			      path, msg);
		return pk_candidate__fail(c, "open");
	}
	btf__free(btf);
	return 0;
}

static int check_obj_file(struct pk_candidate *c, const char *path)
{
	struct stat st;

	if (stat(path, &st)) {
		pk_error__set(&c->err, -errno, "cannot open '%s': %s", path, strerror(errno));
		return pk_candidate__fail(c, "open");
	}
	if (!S_ISREG(st.st_mode)) {
		pk_error__set(&c->err, -EINVAL, "'%s' is not a regular file", path);
		return pk_candidate__fail(c, "open");
	}
	if (st.st_size == 0) {
		pk_error__set(&c->err, -EINVAL, "'%s' is empty", path);
		return pk_candidate__fail(c, "open");
	}
	return 0;
}

/* the caller's options, every field resolved (PK_OPTS_GET: a shorter, older
 * struct gets the defaults) */
static void resolve_opts(struct pk_probe_opts *o, const struct pk_probe_opts *user)
{
	memset(o, 0, sizeof(*o));
	o->sz = sizeof(*o);
	o->kinds = PK_OPTS_GET(user, kinds, PK_KINDS_DEFAULT);
	o->force_perf = PK_OPTS_GET(user, force_perf, false);
	o->force_ringbuf = PK_OPTS_GET(user, force_ringbuf, false);
	o->ringbuf_ok = PK_OPTS_GET(user, ringbuf_ok, false);
	o->ringbuf_bytes = PK_OPTS_GET(user, ringbuf_bytes, 0);
	o->wakeup_bytes = PK_OPTS_GET(user, wakeup_bytes, 0);
	o->lockdown = PK_OPTS_GET(user, lockdown, NULL);
}

static int attach_all(struct pk_probe *p, struct pk_candidate *c)
{
	struct bpf_program *prog;
	char msg[128];
	int err;

	bpf_object__for_each_program(prog, p->obj) {
		struct bpf_link *l;

		if (!bpf_program__autoload(prog))
			continue;
		if (p->nlinks >= (int)PK_ARRAY_SIZE(p->links)) {
			pk_error__set(&c->err, -E2BIG, "too many programs in the object");
			return pk_candidate__fail(c, "attach");
		}
		l = bpf_program__attach(prog);
		if (!l) {
			err = -errno;
			libbpf_strerror(err, msg, sizeof(msg));
			pk_error__set(&c->err, err, "program '%s': cannot attach: %s%s",
				      bpf_program__name(prog), msg, perm_hint(err));
			return pk_candidate__fail(c, "attach");
		}
		p->links[p->nlinks++] = l;
	}
	return 0;
}

static int map_fd(const struct pk_probe *p, const char *name)
{
	struct bpf_map *m = bpf_object__find_map_by_name(p->obj, name);

	return m ? bpf_map__fd(m) : -1;
}

struct pk_probe *pk_probe__load(struct pk_candidate *c, const struct pk_probe_opts *user)
{
	LIBBPF_OPTS(bpf_object_open_opts, oopts);
	struct pk_probe_opts o;
	struct pk_probe *p = NULL;
	char btf_path[64], msg[128];
	double t0 = pk_now_ms();
	int err = 0;

	pk_error__clear(&c->err);
	if (!PK_OPTS_VALID(user, struct pk_probe_opts)) {
		pk_error__set(&c->err, -EINVAL, "invalid probe options");
		err = pk_candidate__fail(c, "open");
		goto out;
	}
	resolve_opts(&o, user);
	if (o.force_ringbuf && !o.ringbuf_ok) {
		pk_error__set(&c->err, -EOPNOTSUPP, "--buffer ring: kernel has no BPF ring buffer");
		err = pk_candidate__fail(c, "load");
		goto out;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		pk_error__set(&c->err, -ENOMEM, "out of memory");
		err = pk_candidate__fail(c, "open");
		goto out;
	}
	p->btf_memfd = -1;

	oopts.object_name = c->name;
	if (c->btf_src == PK_CAND_BTF_PATH) {
		err = check_btf_file(c, c->btf_path);
		if (err)
			goto out;
		oopts.btf_custom_path = c->btf_path;
	} else if (c->btf_src == PK_CAND_BTF_MEMORY) {
		err = btf_memfd_path(p, c, btf_path, sizeof(btf_path));
		if (err) {
			pk_error__set(&c->err, err, "cannot hand BTF to libbpf: %s", strerror(-err));
			err = pk_candidate__fail(c, "open");
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
	if (!p->obj) {
		err = -errno;
		libbpf_strerror(err, msg, sizeof(msg));
		pk_error__set(&c->err, err, "%s: %s",
			      c->obj_src == PK_CAND_OBJ_FILE ? "cannot open BPF object" :
			      c->obj_src == PK_CAND_OBJ_MEMORY ? "cannot open the fetched object" :
			      "cannot open embedded object", msg);
		err = pk_candidate__fail(c, "open");
		goto out;
	}
	err = configure(p, c, &o);
	if (err)
		goto out;
	err = logs_attach(p);
	if (err) {
		pk_error__set(&c->err, err, "cannot set up the verifier logs: %s", strerror(-err));
		err = pk_candidate__fail(c, "load");
		goto out;
	}
	err = bpf_object__load(p->obj);
	if (err)
		err = load_failed(p, c, &o, err);
	logs_free(p);
	if (err)
		goto out;
	err = attach_all(p, c);
	if (err)
		goto out;
	p->events_fd = map_fd(p, "pk_events");
	p->filter_fd = map_fd(p, "pk_filter");
	p->drops_fd = map_fd(p, "pk_drops");
out:
	c->load_ms = pk_now_ms() - t0;
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
	logs_free(p);
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

/* drops[k] = sum over CPUs of pk_drops[k] (when all) and pk_drops[PK_DROPS_FILTERED + k] */
static int drops_sum(const struct pk_probe *p, bool all, uint64_t *drops, int n)
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
		uint32_t keys[2] = { PK_DROPS_FILTERED + k, k };

		for (int i = 0; i < (all ? 2 : 1); i++) {
			if (bpf_map_lookup_elem(p->drops_fd, &keys[i], v))
				continue;
			for (int cpu = 0; cpu < ncpu; cpu++)
				drops[k] += v[cpu];
		}
	}
	free(v);
	return 0;
}

int pk_probe__drops(const struct pk_probe *p, uint64_t *drops, int n)
{
	return drops_sum(p, true, drops, n);
}

int pk_probe__filtered_drops(const struct pk_probe *p, uint64_t *drops, int n)
{
	return drops_sum(p, false, drops, n);
}
