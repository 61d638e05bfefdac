/* Unit tests for the .BTF.ext parser, the BPF ELF reader and `btf min`: parser
 * edge cases on crafted sections, reduction + verify of our objects and of the
 * objects embedded in Debian's libbpf-tools, size against bpftool gen min_core_btf,
 * and libbpf loading our object with the reduced BTF (root only). */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf/btf_ext.h"
#include "btf/btf_min.h"
#include "common/pk.h"
#include "unit.h"

static struct pk_error perr;	/* the last failure's reason, for messages */

#define VMLINUX "/sys/kernel/btf/vmlinux"

static char tmpdir[] = "/tmp/pk-btf-min.XXXXXX";
static const char *out_dir;

/* ---- crafted .BTF.ext ---- */

struct buf {
	unsigned char d[512];
	size_t n;
};

static void put32(struct buf *b, uint32_t v)
{
	memcpy(b->d + b->n, &v, 4);
	b->n += 4;
}

/* header(32) + core_relo: rec_size, sec{name 1, 1 rec}, sec{name 5, 2 recs} */
static void make_ext(struct buf *b, uint32_t rec_size)
{
	uint32_t i, r;

	memset(b, 0, sizeof(*b));
	b->d[0] = 0x9f;
	b->d[1] = 0xeb;
	b->d[2] = 1;
	b->d[3] = 0;
	b->n = 4;
	put32(b, 32);		/* hdr_len */
	put32(b, 0);		/* func_info off, len */
	put32(b, 0);
	put32(b, 0);		/* line_info */
	put32(b, 0);
	put32(b, 0);		/* core_relo off */
	put32(b, 4 + 8 + rec_size + 8 + 2 * rec_size);
	put32(b, rec_size);
	for (i = 0, r = 0; i < 2; i++) {
		uint32_t k, n = i + 1;

		put32(b, i ? 5 : 1);
		put32(b, n);
		for (k = 0; k < n; k++, r++) {
			size_t start = b->n;

			put32(b, r * 8);	/* insn_off */
			put32(b, 10 + r);	/* type_id */
			put32(b, 20 + r);	/* access_str_off */
			put32(b, r);		/* kind */
			while (b->n - start < rec_size)
				put32(b, 0xdeadbeef);
		}
	}
}

static void test_ext_good(void)
{
	const char *t = "btf_ext_parse_good";
	struct pk_btf_ext ext;
	struct buf b;
	uint32_t rs;

	for (rs = 16; rs <= 24; rs += 8) {
		make_ext(&b, rs);
		CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), 0);
		CHECK_INT(t, ext.nr_secs, 2);
		CHECK_INT(t, ext.nr_relos, 3);
		CHECK_INT(t, ext.core_relo_rec_size, rs);
		CHECK_INT(t, ext.secs[1].sec_name_off, 5);
		CHECK_INT(t, ext.secs[1].first_relo, 1);
		CHECK_INT(t, ext.relos[2].insn_off, 16);
		CHECK_INT(t, ext.relos[2].type_id, 12);
		CHECK_INT(t, ext.relos[2].access_str_off, 22);
		CHECK_INT(t, ext.relos[2].kind, 2);
		CHECK_INT(t, ext.relos[2].sec_idx, 1);
		pk_btf_ext__free(&ext);
		pk_btf_ext__free(&ext);	/* idempotent */
	}
	/* header without CO-RE part: fine, no relocations */
	make_ext(&b, 16);
	b.d[4] = 24;
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), 0);
	CHECK_INT(t, ext.nr_relos, 0);
	PASS(t);
}

static void test_ext_truncated(void)
{
	const char *t = "btf_ext_parse_truncated";
	struct pk_btf_ext ext;
	struct buf b;
	size_t n;

	make_ext(&b, 16);
	for (n = 0; n < b.n; n++) {
		/* a fresh copy of exactly n bytes so ASan catches any over-read */
		unsigned char *p = malloc(n ? n : 1);
		int err;

		memcpy(p, b.d, n);
		pk_error__clear(&perr);
		err = pk_btf_ext__parse(&ext, p, n, &perr);
		free(p);
		CHECK(t, err == -EINVAL, "prefix %zu: got %d", n, err);
		CHECK(t, perr.msg[0] != 0, "prefix %zu: no message", n);
		CHECK(t, ext.relos == NULL && ext.nr_relos == 0, "prefix %zu: left records", n);
	}
	PASS(t);
}

static void test_ext_bad(void)
{
	const char *t = "btf_ext_parse_bad";
	struct pk_btf_ext ext;
	struct buf b;
	uint32_t v;

	/* record sizes: too small, unaligned */
	make_ext(&b, 16);
	v = 12;
	memcpy(b.d + 32, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	CHECK(t, strstr(perr.msg, "record size"), "message '%s'", perr.msg);
	v = 18;
	memcpy(b.d + 32, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	/* record size that makes the records run past the end */
	v = 64;
	memcpy(b.d + 32, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);

	/* offsets: unaligned, huge, length past the end, 32-bit wrap */
	make_ext(&b, 16);
	v = 2;
	memcpy(b.d + 24, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	CHECK(t, strstr(perr.msg, "aligned"), "message '%s'", perr.msg);
	v = 0xfffffff0;
	memcpy(b.d + 24, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	make_ext(&b, 16);
	v = 0xfffffffc;
	memcpy(b.d + 28, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	make_ext(&b, 16);
	v = 0x100;
	memcpy(b.d + 8, &v, 4);	/* func_info off */
	v = 0xffffff00;
	memcpy(b.d + 12, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);

	/* section record counts: zero, huge */
	make_ext(&b, 16);
	v = 0;
	memcpy(b.d + 40, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	v = 0x40000000;
	memcpy(b.d + 40, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);

	/* header: magic, byte order, version, flags, hdr_len */
	make_ext(&b, 16);
	b.d[0] = 0;
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	b.d[0] = 0xeb;
	b.d[1] = 0x9f;
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EOPNOTSUPP);
	make_ext(&b, 16);
	b.d[2] = 2;
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	make_ext(&b, 16);
	b.d[3] = 1;
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	make_ext(&b, 16);
	v = 4;
	memcpy(b.d + 4, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	v = 4096;
	memcpy(b.d + 4, &v, 4);
	CHECK_INT(t, pk_btf_ext__parse(&ext, b.d, b.n, &perr), -EINVAL);
	CHECK_INT(t, pk_btf_ext__parse(&ext, NULL, 0, &perr), -EINVAL);
	PASS(t);
}

static void test_kind_str(void)
{
	const char *t = "btf_ext_kind_str";

	CHECK_STR(t, pk_core_relo_kind__str(PK_CORE_FIELD_BYTE_OFFSET), "field_byte_offset");
	CHECK_STR(t, pk_core_relo_kind__str(PK_CORE_TYPE_MATCHES), "type_matches");
	CHECK_STR(t, pk_core_relo_kind__str(999), "unknown");
	PASS(t);
}

/* ---- ELF ---- */

static int read_file(const char *path, char **data, size_t *len)
{
	return pk_file__read(path, data, len, 256u << 20);
}

static char *obj_path(const char *name)
{
	static char p[3][512];
	static int i;

	i = (i + 1) % 3;
	snprintf(p[i], sizeof(p[i]), "%s/%s", out_dir, name);
	return p[i];
}

static void test_elf(void)
{
	const char *t = "bpf_elf_parse_and_embedded";
	struct pk_bpf_elf elf;
	char *data;
	size_t len, n, pos = 0, off, elen;
	unsigned char *big;

	if (read_file(obj_path("probe.core.bpf.o"), &data, &len)) {
		SKIP(t, "no probe.core.bpf.o (make OUT=... OUT/probe.core.bpf.o)");
		return;
	}
	CHECK_INT(t, pk_bpf_elf__parse(&elf, data, len, NULL), 0);
	CHECK_INT(t, elf.e_machine, PK_EM_BPF);
	CHECK(t, elf.btf && elf.btf_ext, "no .BTF/.BTF.ext");
	CHECK(t, elf.elf_size == len, "elf_size %zu, file %zu", elf.elf_size, len);
	/* every truncation of the real object: an error, never an over-read */
	for (n = 0; n < len; n += (n < 128 ? 1 : 97)) {
		unsigned char *p = malloc(n ? n : 1);

		memcpy(p, data, n);
		if (pk_bpf_elf__parse(&elf, p, n, NULL) == 0)
			CHECK(t, elf.elf_size <= n, "prefix %zu: size %zu", n, elf.elf_size);
		free(p);
	}
	/* embedded between junk (and a fake ELF magic) like a skeleton in a binary */
	big = calloc(1, len + 5000);
	memcpy(big + 100, "\x7f" "ELF junk", 8);
	memcpy(big + 3001, data, len);
	CHECK_INT(t, pk_bpf_elf__find_embedded(big, len + 5000, &pos, &off, &elen), 0);
	CHECK_INT(t, off, 3001);
	CHECK_INT(t, elen, len);
	CHECK_INT(t, pk_bpf_elf__find_embedded(big, len + 5000, &pos, &off, &elen), -ENOENT);
	free(big);
	free(data);
	PASS(t);
}

/* ---- reduction ---- */

static long file_size(const char *p)
{
	struct stat st;

	return stat(p, &st) ? -1 : st.st_size;
}

/* reduce objs (files) against the kernel BTF, verify, write out; returns size or -1 */
static long reduce(const char *t, const struct btf *targ, const char **objs, int n, const char *out,
		   double *ms)
{
	struct pk_btf_min *m = pk_btf_min__new(targ);
	struct btf *red = NULL, *back = NULL;
	const void *raw;
	uint32_t sz = 0;
	long ret = -1;
	double t0 = pk_now_ms();
	int i, mism;

	if (!m) {
		FAIL(t, "pk_btf_min__new: %d", -errno);
		return -1;
	}
	for (i = 0; i < n; i++) {
		int err = pk_btf_min__add_file(m, objs[i], &perr);

		if (err <= 0) {
			FAIL(t, "add %s: %d %s", objs[i], err, perr.msg);
			goto out;
		}
	}
	red = pk_btf_min__build(m, &perr);
	if (!red) {
		FAIL(t, "build: %s", perr.msg);
		goto out;
	}
	raw = btf__raw_data(red, &sz);
	back = btf__new(raw, sz);
	if (!back) {
		FAIL(t, "reduced BTF does not parse back");
		goto out;
	}
	mism = pk_btf_min__verify(m, back, &perr);
	if (ms)
		*ms = pk_now_ms() - t0;
	if (mism != 0) {
		const struct pk_btf_min_mismatch *x = pk_btf_min__mismatch(m, 0);

		FAIL(t, "verify: %d (%s) first: %s %s %s %s full %s reduced %s", mism, perr.msg,
		     x ? x->object : "", x ? pk_core_relo_kind__str(x->kind) : "", x ? x->type : "",
		     x ? x->access : "", x ? x->full : "", x ? x->reduced : "");
		goto out;
	}
	if (pk_file__write_atomic(out, raw, sz)) {
		FAIL(t, "write %s", out);
		goto out;
	}
	ret = sz;
out:
	btf__free(back);
	btf__free(red);
	pk_btf_min__free(m);
	return ret;
}

static long bpftool_size(const char *btf_path, const char *out, const char *obj, double *ms)
{
	char cmd[2048];
	double t0 = pk_now_ms();

	snprintf(cmd, sizeof(cmd), "bpftool gen min_core_btf '%s' '%s' '%s' >/dev/null 2>&1",
		 btf_path, out, obj);
	if (system(cmd) != 0)
		return -1;
	if (ms)
		*ms = pk_now_ms() - t0;
	return file_size(out);
}

static bool have_bpftool(void)
{
	return system("bpftool version >/dev/null 2>&1") == 0;
}

/* libbpf loads obj with the reduced BTF given by path */
static int try_load(const char *obj, const char *btf_path, char *why, size_t wsz)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .btf_custom_path = btf_path);
	struct bpf_object *o;
	int err;

	o = bpf_object__open_file(obj, &opts);
	if (!o) {
		snprintf(why, wsz, "open: %s", strerror(errno));
		return -errno;
	}
	err = bpf_object__load(o);
	if (err)
		snprintf(why, wsz, "load: %s", strerror(-err));
	bpf_object__close(o);
	return err;
}

static void test_own_objects(const struct btf *vmlinux)
{
	const char *names[] = { "probe.core.bpf.o", "probe.btf.bpf.o" };
	char t[128], ours[600], theirs[600], why[256];
	const char *objs[2];
	size_t i;

	for (i = 0; i < PK_ARRAY_SIZE(names); i++) {
		long a, b;
		double ma = 0, mb = 0;

		snprintf(t, sizeof(t), "btf_min_verify_%s", names[i]);
		objs[0] = obj_path(names[i]);
		if (file_size(objs[0]) < 0) {
			SKIP(t, "object not built");
			continue;
		}
		snprintf(ours, sizeof(ours), "%s/%s.btf", tmpdir, names[i]);
		a = reduce(t, vmlinux, objs, 1, ours, &ma);
		if (a < 0)
			continue;
		PASS(t);

		snprintf(t, sizeof(t), "btf_min_size_vs_bpftool_%s", names[i]);
		snprintf(theirs, sizeof(theirs), "%s/%s.bpftool.btf", tmpdir, names[i]);
		if (!have_bpftool()) {
			SKIP(t, "bpftool not installed");
		} else if ((b = bpftool_size(VMLINUX, theirs, objs[0], &mb)) < 0) {
			SKIP(t, "bpftool gen min_core_btf failed");
		} else {
			printf("  %s: ours %ld bytes (%.0f ms), bpftool %ld bytes (%.0f ms)\n",
			       names[i], a, ma, b, mb);
			if (a > b)
				FAIL(t, "ours %ld > bpftool %ld bytes", a, b);
			else
				PASS(t);
		}

		snprintf(t, sizeof(t), "btf_min_libbpf_loads_%s", names[i]);
		if (geteuid() != 0) {
			SKIP(t, "no BPF: not root");
			continue;
		}
		if (try_load(objs[0], ours, why, sizeof(why)))
			FAIL(t, "%s with reduced BTF %s", why, ours);
		else
			PASS(t);
	}
	/* both objects together: one BTF for both */
	snprintf(t, sizeof(t), "btf_min_verify_two_objects");
	objs[0] = obj_path(names[0]);
	objs[1] = obj_path(names[1]);
	if (file_size(objs[0]) < 0 || file_size(objs[1]) < 0) {
		SKIP(t, "objects not built");
		return;
	}
	snprintf(ours, sizeof(ours), "%s/both.btf", tmpdir);
	if (reduce(t, vmlinux, objs, 2, ours, NULL) >= 0)
		PASS(t);
}

static const char *const libbpf_tools[] = {
	"bashreadline", "bindsnoop", "biolatency", "biopattern", "biosnoop", "biostacks", "biotop",
	"bitesize", "cachestat", "capable", "cpudist", "cpufreq", "drsnoop", "execsnoop", "exitsnoop",
	"filelife", "filetop", "fsdist", "fsslower", "funclatency", "gethostlatency", "hardirqs",
	"javagc", "klockstat", "ksnoop", "llcstat", "mdflush", "mountsnoop", "numamove", "offcputime",
	"oomkill", "opensnoop", "readahead", "runqlat", "runqlen", "runqslower", "sigsnoop",
	"slabratetop", "softirqs", "solisten", "statsnoop", "syscount", "tcpconnect", "tcpconnlat",
	"tcplife", "tcprtt", "tcpstates", "tcpsynbl", "tcptop", "tcptracer", "vfsstat", "wakeuptime",
	"btrfsdist", "btrfsslower", "ext4dist", "ext4slower", "killsnoop", "nfsdist", "nfsslower",
	"xfsdist", "xfsslower",
};

/* every libbpf-tools binary: extract its embedded objects, reduce + verify,
 * compare with bpftool, and (root) load with reduced vs full BTF */
static void test_libbpf_tools(const struct btf *vmlinux)
{
	const char *t = "btf_min_libbpf_tools";
	long tot_ours = 0, tot_theirs = 0;
	int nobj = 0, nbigger = 0, nload = 0, nloadfail = 0;
	double ms_ours = 0, ms_theirs = 0;
	bool bt = have_bpftool();
	size_t i;

	/* a raw copy: bpftool re-reads it per object, sysfs is slow to read */
	char vm_copy[600];
	char *vm;
	size_t vmlen;

	snprintf(vm_copy, sizeof(vm_copy), "%s/vmlinux.btf", tmpdir);
	if (read_file(VMLINUX, &vm, &vmlen) || pk_file__write_atomic(vm_copy, vm, vmlen)) {
		SKIP(t, "cannot copy " VMLINUX);
		return;
	}
	free(vm);

	for (i = 0; i < PK_ARRAY_SIZE(libbpf_tools); i++) {
		char path[256], *data;
		size_t len, pos = 0, off, elen;
		int k = 0;

		snprintf(path, sizeof(path), "/usr/sbin/%s", libbpf_tools[i]);
		if (read_file(path, &data, &len))
			continue;
		while (pk_bpf_elf__find_embedded(data, len, &pos, &off, &elen) == 0) {
			char objp[600], ours[600], theirs[600], tn[128], why[256];
			const char *objs[1] = { objp };
			long a, b = -1;
			double ma = 0, mb = 0;

			k++;
			snprintf(tn, sizeof(tn), "%s_%s#%d", t, libbpf_tools[i], k);
			snprintf(objp, sizeof(objp), "%s/%s.%d.bpf.o", tmpdir, libbpf_tools[i], k);
			snprintf(ours, sizeof(ours), "%s/%s.%d.btf", tmpdir, libbpf_tools[i], k);
			snprintf(theirs, sizeof(theirs), "%s/%s.%d.bpftool.btf", tmpdir, libbpf_tools[i], k);
			if (pk_file__write_atomic(objp, data + off, elen)) {
				FAIL(tn, "cannot write %s", objp);
				continue;
			}
			a = reduce(tn, vmlinux, objs, 1, ours, &ma);
			if (a < 0)
				continue;
			nobj++;
			if (bt)
				b = bpftool_size(vm_copy, theirs, objp, &mb);
			printf("  %-16s ours %5ld bytes (%4.0f ms)  bpftool %5ld bytes (%4.0f ms)\n",
			       libbpf_tools[i], a, ma, b, mb);
			if (b >= 0) {
				tot_ours += a;
				tot_theirs += b;
				ms_ours += ma;
				ms_theirs += mb;
				if (a > b) {
					FAIL(tn, "ours %ld > bpftool %ld bytes", a, b);
					nbigger++;
				}
			}
			/* loads with reduced BTF wherever it loads with the full BTF */
			if (geteuid() == 0 && try_load(objp, vm_copy, why, sizeof(why)) == 0) {
				nload++;
				if (try_load(objp, ours, why, sizeof(why))) {
					FAIL(tn, "loads with full BTF, not with reduced: %s", why);
					nloadfail++;
				}
			}
		}
		free(data);
	}
	printf("  libbpf-tools: %d objects, ours %ld bytes total (%.0f ms), bpftool %ld bytes (%.0f ms); "
	       "%d loaded with reduced BTF\n", nobj, tot_ours, ms_ours, tot_theirs, ms_theirs,
	       nload - nloadfail);
	if (nobj == 0) {
		SKIP(t, "no libbpf-tools binaries (apt install libbpf-tools)");
		return;
	}
	if (!unit_failed && !nbigger && !nloadfail)
		PASS(t);
}

static void test_bad_objects(const struct btf *vmlinux)
{
	const char *t = "btf_min_bad_objects";
	struct pk_btf_min *m = pk_btf_min__new(vmlinux);
	struct pk_bpf_elf elf;
	char *data;
	size_t len;
	int err;

	CHECK(t, m, "new");
	/* not an ELF, no embedded object */
	err = pk_btf_min__add_file(m, "/etc/hostname", &perr);
	CHECK(t, err == -EINVAL && strstr(perr.msg, "BPF"), "err %d '%s'", err, perr.msg);
	err = pk_btf_min__add_file(m, "/nonexistent/x.o", &perr);
	CHECK_INT(t, err, -ENOENT);
	err = pk_btf_min__add_object(m, "junk", "\x7f" "ELF", 4, &perr);
	CHECK_INT(t, err, -EINVAL);
	if (read_file(obj_path("probe.core.bpf.o"), &data, &len) == 0) {
		/* rename .BTF.ext away: a clear error */
		if (pk_bpf_elf__parse(&elf, data, len, NULL) == 0 && elf.btf_ext) {
			char *p = memmem(data, len, ".BTF.ext", 9);

			if (p) {
				p[1] = 'X';
				err = pk_btf_min__add_object(m, "noext", data, len, &perr);
				CHECK(t, err == -EINVAL && strstr(perr.msg, ".BTF.ext"),
				      "err %d '%s'", err, perr.msg);
			}
		}
		free(data);
	}
	pk_btf_min__free(m);
	pk_btf_min__free(NULL);
	PASS(t);
}

/* verify must catch a reduced BTF that changes a relocation */
static void test_verify_catches(const struct btf *vmlinux)
{
	const char *t = "btf_min_verify_catches_difference";
	struct pk_btf_min *m = pk_btf_min__new(vmlinux);
	struct btf *red = NULL, *bad = NULL;
	const struct pk_btf_min_mismatch *x;
	const void *raw;
	uint32_t sz, i;
	int n, changed = 0;

	if (file_size(obj_path("probe.core.bpf.o")) < 0) {
		SKIP(t, "object not built");
		pk_btf_min__free(m);
		return;
	}
	CHECK(t, pk_btf_min__add_file(m, obj_path("probe.core.bpf.o"), &perr) == 1, "%s", perr.msg);
	red = pk_btf_min__build(m, &perr);
	CHECK(t, red, "build");
	raw = btf__raw_data(red, &sz);
	bad = btf__new(raw, sz);
	CHECK(t, bad, "parse back");
	/* move the first member of every struct by 8 bytes */
	for (i = 1; i < btf__type_cnt(bad); i++) {
		struct btf_type *bt = (struct btf_type *)btf__type_by_id(bad, i);

		if (btf_is_struct(bt) && btf_vlen(bt) > 0 && !btf_kflag(bt)) {
			btf_members(bt)[0].offset += 64;
			changed++;
		}
	}
	n = pk_btf_min__verify(m, bad, &perr);
	x = pk_btf_min__mismatch(m, 0);
	if (changed) {
		CHECK(t, n > 0 && x, "verify found %d differences after moving %d members", n, changed);
		CHECK(t, x->object[0] && x->section[0] && x->type[0] && x->access[0], "mismatch not named");
		printf("  caught: %s section '%s' insn %u %s %s '%s': full %s, reduced %s\n", x->object,
		       x->section, x->insn_off / 8, pk_core_relo_kind__str(x->kind), x->type, x->access,
		       x->full, x->reduced);
	}
	/* and the untouched one verifies */
	btf__free(bad);
	bad = NULL;
	CHECK_INT(t, pk_btf_min__verify(m, red, &perr), 0);
	btf__free(red);
	pk_btf_min__free(m);
	PASS(t);
}

/* a CO-RE program with every relocation kind clang 14 emits (all but type_matches):
 * field offset/size/exists/signed/lshift/rshift on a bitfield, type id/exists/size,
 * enum value exists/value, ___flavor types */
static const char all_kinds_src[] =
	"#include \"vmlinux.h\"\n"
	"#include <bpf/bpf_helpers.h>\n"
	"#include <bpf/bpf_core_read.h>\n"
	"struct task_struct___old { long state; } __attribute__((preserve_access_index));\n"
	"enum pid_type___x { PIDTYPE_TGID___x = 1 };\n"
	"char LICENSE[] SEC(\"license\") = \"GPL\";\n"
	"long out[16];\n"
	"SEC(\"raw_tp/sched_process_exec\")\n"
	"int seed(void *ctx)\n"
	"{\n"
	"	struct task_struct *t = (void *)bpf_get_current_task();\n"
	"	struct sock *sk = 0;\n"
	"	out[0] = BPF_CORE_READ(t, real_parent, tgid);\n"
	"	out[1] = bpf_core_field_exists(((struct task_struct___old *)t)->state);\n"
	"	out[2] = bpf_core_field_size(t->comm);\n"
	"	out[3] = bpf_core_type_exists(struct mm_struct);\n"
	"	out[4] = bpf_core_type_size(struct pid);\n"
	"	out[5] = bpf_core_enum_value_exists(enum pid_type___x, PIDTYPE_TGID___x);\n"
	"	out[6] = bpf_core_enum_value(enum pid_type, PIDTYPE_PGID);\n"
	"	out[7] = bpf_core_type_id_kernel(struct task_struct);\n"
	"	out[8] = BPF_CORE_READ_BITFIELD_PROBED(sk, sk_protocol);\n"
	"	out[9] = __builtin_preserve_field_info(t->pid, BPF_FIELD_SIGNED);\n"
	"	out[11] = bpf_core_field_offset(t->comm[3]);\n"
	"	return 0;\n"
	"}\n"
;

static void test_all_kinds(const struct btf *vmlinux)
{
	const char *t = "btf_min_all_relo_kinds";
	char src[600], obj[600], ours[600], theirs[600], cmd[2400], why[256];
	const char *objs[1] = { obj };
	long a, b;

	snprintf(src, sizeof(src), "%s/kinds.bpf.c", tmpdir);
	snprintf(obj, sizeof(obj), "%s/kinds.bpf.o", tmpdir);
	snprintf(ours, sizeof(ours), "%s/kinds.btf", tmpdir);
	snprintf(theirs, sizeof(theirs), "%s/kinds.bpftool.btf", tmpdir);
	if (file_size(obj_path("vmlinux.h")) < 0) {
		SKIP(t, "no vmlinux.h in OUT");
		return;
	}
	if (pk_file__write_atomic(src, all_kinds_src, strlen(all_kinds_src))) {
		FAIL(t, "write %s", src);
		return;
	}
	snprintf(cmd, sizeof(cmd), "clang -g -O2 -target bpf -I'%s' -w -c '%s' -o '%s' "
		 ">/dev/null 2>&1 && llvm-strip -g '%s'", out_dir, src, obj, obj);
	if (system(cmd) != 0) {
		SKIP(t, "clang cannot build the test program");
		return;
	}
	a = reduce(t, vmlinux, objs, 1, ours, NULL);
	if (a < 0)
		return;
	if (have_bpftool() && (b = bpftool_size(VMLINUX, theirs, obj, NULL)) >= 0) {
		printf("  all kinds: ours %ld bytes, bpftool %ld bytes\n", a, b);
		CHECK(t, a <= b, "ours %ld > bpftool %ld", a, b);
	}
	if (geteuid() == 0)
		CHECK(t, try_load(obj, ours, why, sizeof(why)) == 0, "%s", why);
	PASS(t);
}

static int quiet(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	return 0;
}

int main(void)
{
	struct btf *vmlinux;
	char cmd[256];

	out_dir = getenv("OUT") ? getenv("OUT") : "build";
	libbpf_set_print(quiet);
	if (!mkdtemp(tmpdir)) {
		FAIL("btf_min_setup", "mkdtemp");
		return UNIT_EXIT();
	}
	test_ext_good();
	test_ext_truncated();
	test_ext_bad();
	test_kind_str();
	test_elf();

	vmlinux = btf__parse(VMLINUX, NULL);
	if (!vmlinux) {
		SKIP("btf_min_kernel", "no " VMLINUX);
	} else {
		test_bad_objects(vmlinux);
		test_own_objects(vmlinux);
		test_verify_catches(vmlinux);
		test_all_kinds(vmlinux);
		test_libbpf_tools(vmlinux);
		btf__free(vmlinux);
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		printf("  could not remove %s\n", tmpdir);
	return UNIT_EXIT();
}
