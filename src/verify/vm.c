/* QEMU side of probekit verify: kernel images, the initramfs, one boot and its
 * console. Never prints and never calls exit(); children it starts are killed
 * at their deadline, so nothing here blocks past the caller's timeout. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>

#include <elf.h>
#include <linux/kvm.h>

#include "common/pk.h"
#include "verify/vm.h"

#define KVM_PROBE_TIMEOUT_MS 5000
#define CONSOLE_MAX (16u << 20)		/* keep at most this much console in memory */
#define GRACE_S 10.0			/* verdict or panic seen: QEMU gets this long to exit */
#define XEN_ELFNOTE_PHYS32_ENTRY 18

static void setwhy(char *why, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void setwhy(char *why, size_t n, const char *fmt, ...)
{
	va_list ap;

	if (!why || !n)
		return;
	va_start(ap, fmt);
	vsnprintf(why, n, fmt, ap);
	va_end(ap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

const char *pk_vm_accel__str(enum pk_vm_accel a)
{
	switch (a) {
	case PK_VM_ACCEL_KVM: return "kvm";
	case PK_VM_ACCEL_TCG: return "tcg";
	default: return "auto";
	}
}

const char *pk_vm_outcome__str(enum pk_vm_outcome o)
{
	switch (o) {
	case PK_VM_VERDICT: return "verdict";
	case PK_VM_PANIC: return "panic";
	case PK_VM_TIMEOUT: return "timeout";
	case PK_VM_EXITED: return "exited";
	case PK_VM_KVM_STALL: return "kvm-stall";
	case PK_VM_LAUNCH_FAILED: return "launch-failed";
	}
	return "?";
}

/* ---- child processes ---- */

/* Run argv with stdin from in (or /dev/null) and stdout to out (or captured).
 * *text gets what was captured (stderr, and stdout when out is NULL), last
 * 64 KiB. Returns the wait status, or -errno when it could not start. */
static int run_capture(char *const argv[], const char *in, const char *out, char **text)
{
	char buf[4096], *t = NULL;
	size_t tl = 0;
	int pfd[2], status = 0;
	pid_t pid;

	if (text)
		*text = NULL;
	if (pipe2(pfd, O_CLOEXEC))
		return -errno;
	pid = fork();
	if (pid < 0) {
		int err = -errno;

		close(pfd[0]);
		close(pfd[1]);
		return err;
	}
	if (pid == 0) {
		int ifd = open(in ? in : "/dev/null", O_RDONLY);
		int ofd = out ? open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644) : pfd[1];

		if (ifd < 0 || ofd < 0)
			_exit(126);
		dup2(ifd, 0);
		dup2(ofd, 1);
		dup2(pfd[1], 2);
		execvp(argv[0], argv);
		dprintf(2, "cannot run '%s': %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	for (;;) {
		ssize_t r = read(pfd[0], buf, sizeof(buf));

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (!text)
			continue;
		if (tl + r > (64u << 10)) {	/* keep the tail */
			size_t drop = tl + r - (64u << 10);

			if (drop > tl)
				drop = tl;
			memmove(t, t + drop, tl - drop);
			tl -= drop;
		}
		char *nt = realloc(t, tl + r + 1);

		if (!nt)
			break;
		t = nt;
		memcpy(t + tl, buf, r);
		tl += r;
		t[tl] = 0;
	}
	close(pfd[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (text)
		*text = t;
	else
		free(t);
	return status;
}

/* first line of a command's message, for a why */
static const char *first_line(const char *t, char *buf, size_t n)
{
	size_t i = 0;

	if (!t)
		t = "";
	while (*t == '\n')
		t++;
	while (t[i] && t[i] != '\n' && i + 1 < n) {
		buf[i] = t[i];
		i++;
	}
	buf[i] = 0;
	return buf;
}

/* ---- KVM ---- */

static int kvm_probe_child(void)
{
	static const uint8_t code[] = { 0xf4 };	/* hlt */
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_sregs sregs;
	struct kvm_regs regs = { 0 };
	struct kvm_run *run;
	int kvm, vm, vcpu, sz;
	void *mem;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return 10;
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return 11;
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return 12;
	mem = mmap(NULL, 0x1000, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 13;
	memcpy(mem, code, sizeof(code));
	region.guest_phys_addr = 0x1000;
	region.memory_size = 0x1000;
	region.userspace_addr = (uintptr_t)mem;
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0)
		return 13;
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return 14;
	sz = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (sz <= 0)
		return 14;
	run = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		return 14;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return 15;
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0)
		return 15;
	regs.rip = 0x1000;
	regs.rflags = 2;
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return 15;
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return 16;
	return run->exit_reason == KVM_EXIT_HLT ? 0 : 17;
}

int pk_vm__kvm_probe(char *why, size_t why_len)
{
	static const char *const reasons[] = {
		[10] = "cannot open /dev/kvm",
		[11] = "/dev/kvm does not speak KVM API 12",
		[12] = "KVM_CREATE_VM failed",
		[13] = "cannot map guest memory",
		[14] = "KVM_CREATE_VCPU failed",
		[15] = "cannot set vcpu registers",
		[16] = "KVM_RUN failed",
		[17] = "test guest did not halt",
	};
	double deadline;
	int status, code;
	pid_t pid;

	if (access("/dev/kvm", F_OK)) {
		setwhy(why, why_len, "no /dev/kvm");
		return -ENOENT;
	}
	pid = fork();
	if (pid < 0) {
		setwhy(why, why_len, "fork: %s", strerror(errno));
		return -errno;
	}
	if (pid == 0)
		_exit(kvm_probe_child());
	deadline = now_s() + KVM_PROBE_TIMEOUT_MS / 1000.0;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);

		if (w == pid)
			break;
		if (w < 0 && errno != EINTR) {
			setwhy(why, why_len, "waitpid: %s", strerror(errno));
			return -ECHILD;
		}
		if (now_s() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			setwhy(why, why_len, "test guest did not halt within %d ms", KVM_PROBE_TIMEOUT_MS);
			return -ETIMEDOUT;
		}
		usleep(10000);
	}
	code = WIFEXITED(status) ? WEXITSTATUS(status) : 17;
	if (code == 0)
		return 0;
	setwhy(why, why_len, "%s", code < (int)PK_ARRAY_SIZE(reasons) && reasons[code] ? reasons[code]
								      : "KVM probe crashed");
	return -ENODEV;
}

/* ---- kernel images ---- */

struct map {
	const uint8_t *p;
	size_t len;
};

static int map_file(const char *path, struct map *m)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	m->p = NULL;
	m->len = 0;
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
		close(fd);
		return -EINVAL;
	}
	m->len = st.st_size;
	if (m->len) {
		void *p = mmap(NULL, m->len, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			int err = -errno;

			close(fd);
			return err;
		}
		m->p = p;
	}
	close(fd);
	return 0;
}

static void unmap_file(struct map *m)
{
	if (m->p)
		munmap((void *)m->p, m->len);
	m->p = NULL;
}

static uint16_t le16(const uint8_t *p) { return p[0] | p[1] << 8; }
static uint32_t le32(const uint8_t *p) { return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24; }

/* printable prefix of s (at most max bytes) into out; release = first word */
static void set_version(struct pk_kimg *k, const uint8_t *s, size_t max)
{
	size_t i;

	for (i = 0; i < max && i + 1 < sizeof(k->version) && s[i] >= 0x20 && s[i] < 0x7f; i++)
		k->version[i] = s[i];
	k->version[i] = 0;
	for (i = 0; k->version[i] && k->version[i] != ' ' && i + 1 < sizeof(k->release); i++)
		k->release[i] = k->version[i];
	k->release[i] = 0;
}

/* an x86-64 ELF; pvh says whether a PT_NOTE holds Xen's PHYS32_ENTRY */
static int elf_check(const struct map *m, bool *pvh)
{
	Elf64_Ehdr eh;

	/* headers are copied out: offsets in the file need not be aligned */
	*pvh = false;
	if (m->len < sizeof(eh))
		return -ENOEXEC;
	memcpy(&eh, m->p, sizeof(eh));
	if (memcmp(eh.e_ident, ELFMAG, SELFMAG) || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh.e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phoff > m->len ||
	    (uint64_t)eh.e_phnum * sizeof(Elf64_Phdr) > m->len - eh.e_phoff)
		return -ENOEXEC;
	for (int i = 0; i < eh.e_phnum; i++) {
		Elf64_Phdr ph;
		uint64_t off, end;

		memcpy(&ph, m->p + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
		if (ph.p_type != PT_NOTE || ph.p_offset > m->len || ph.p_filesz > m->len - ph.p_offset)
			continue;
		off = ph.p_offset;
		end = off + ph.p_filesz;
		while (off + sizeof(Elf64_Nhdr) <= end) {
			Elf64_Nhdr nh;
			uint64_t name, desc, next;

			memcpy(&nh, m->p + off, sizeof(nh));
			name = off + sizeof(nh);
			desc = name + ((nh.n_namesz + 3ull) & ~3ull);
			next = desc + ((nh.n_descsz + 3ull) & ~3ull);
			if (next > end)
				break;
			if (nh.n_namesz == 4 && !memcmp(m->p + name, "Xen", 4) &&
			    nh.n_type == XEN_ELFNOTE_PHYS32_ENTRY)
				*pvh = true;
			off = next;
		}
	}
	return 0;
}

int pk_kimg__probe(const char *path, struct pk_kimg *k, char *why, size_t why_len)
{
	struct map m;
	bool pvh;
	int err;

	memset(k, 0, sizeof(*k));
	if (pk_strlcpy(k->path, path, sizeof(k->path))) {
		setwhy(why, why_len, "path too long");
		return -ENAMETOOLONG;
	}
	err = map_file(path, &m);
	if (err) {
		setwhy(why, why_len, "cannot read '%s': %s", path,
		       err == -EINVAL ? "not a regular file" : strerror(-err));
		return err;
	}
	err = -ENOEXEC;
	if (m.len >= 0x270 && !memcmp(m.p + 0x202, "HdrS", 4)) {
		uint16_t proto = le16(m.p + 0x206), voff = le16(m.p + 0x20e);

		k->kind = PK_KIMG_BZIMAGE;
		if (voff && 0x200ull + voff < m.len)
			set_version(k, m.p + 0x200 + voff, m.len - 0x200 - voff);
		if (proto < 0x208)
			setwhy(why, why_len, "boot protocol %u.%02u is older than 2.08", proto >> 8,
			       proto & 0xff);
		else if (!(m.p[0x211] & 1))	/* loadflags LOADED_HIGH: a bzImage, not a zImage */
			setwhy(why, why_len, "zImage (not loaded high) is not supported");
		else
			err = 0;
	} else if (!elf_check(&m, &pvh)) {
		const uint8_t *v = memmem(m.p, m.len, "Linux version ", 14);

		k->kind = PK_KIMG_ELF;
		if (v)
			set_version(k, v + 14, m.len - (v + 14 - m.p));
		if (!pvh)
			setwhy(why, why_len, "ELF vmlinux without a PVH entry note (CONFIG_PVH): QEMU cannot boot it");
		else
			err = 0;
	} else {
		setwhy(why, why_len, "not a kernel image: no x86 boot header ('HdrS' at 0x202) and not an x86-64 ELF");
	}
	unmap_file(&m);
	return err;
}

/* sh -c with paths as positional parameters: no quoting of our own */
static int sh_run(const char *script, const char *a1, const char *a2, char **text)
{
	char *argv[] = { "sh", "-c", (char *)script, "sh", (char *)a1, (char *)a2, NULL };

	return run_capture(argv, NULL, NULL, text);
}

/* the newest-looking kernel image under dir/sub matching prefix */
static int find_image(const char *dir, const char *sub, char *out, size_t out_len)
{
	char cmd[] = "for f in \"$1\"/boot/vmlinuz-* \"$1\"/lib/modules/*/vmlinuz \"$1\"/boot/vmlinux-*; do "
		     "[ -f \"$f\" ] && { echo \"$f\"; exit 0; }; done; exit 1";
	char *text = NULL;
	int st = sh_run(cmd, dir, sub, &text);

	if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st) || !text) {
		free(text);
		return -ENOENT;
	}
	text[strcspn(text, "\n")] = 0;
	st = pk_strlcpy(out, text, out_len);
	free(text);
	return st;
}

int pk_kimg__from_package(const char *pkg, const char *dir, char *out, size_t out_len,
			  char *why, size_t why_len)
{
	static const char deb[] =
		"dpkg-deb --fsys-tarfile \"$1\" | tar -x -C \"$2\" --occurrence=1 --wildcards './boot/vmlinuz-*' 2>/dev/null";
	static const char rpm[] =
		"cd \"$2\" && rpm2cpio \"$1\" | cpio -idm --quiet './boot/vmlinuz-*' './lib/modules/*/vmlinuz'";
	char head[8] = { 0 }, abs[PATH_MAX], line[256], *text = NULL;
	const char *script;
	int fd, st;

	fd = open(pkg, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || read(fd, head, sizeof(head)) < 4) {
		setwhy(why, why_len, "cannot read '%s': %s", pkg, strerror(fd < 0 ? errno : EIO));
		if (fd >= 0)
			close(fd);
		return -EIO;
	}
	close(fd);
	if (!memcmp(head, "!<arch>\n", 8))
		script = deb;
	else if (!memcmp(head, "\xed\xab\xee\xdb", 4))
		script = rpm;
	else {
		setwhy(why, why_len, "'%s' is not a .deb or .rpm package", pkg);
		return -ENOEXEC;
	}
	if (!realpath(pkg, abs)) {
		setwhy(why, why_len, "cannot resolve '%s': %s", pkg, strerror(errno));
		return -errno;
	}
	st = sh_run(script, abs, dir, &text);
	if (find_image(dir, "", out, out_len)) {
		if (st < 0 || !WIFEXITED(st) || WEXITSTATUS(st))
			setwhy(why, why_len, "cannot extract a kernel from '%s': %s", pkg,
			       first_line(text, line, sizeof(line)));
		else
			setwhy(why, why_len, "package '%s' holds no kernel image (boot/vmlinuz-*)", pkg);
		free(text);
		return -ENOENT;
	}
	free(text);
	return 0;
}

static const struct {
	const char *magic;
	size_t len;
	const char *argv[5];
} decomp[] = {
	{ "\x1f\x8b", 2, { "gzip", "-dc", NULL } },
	{ "\xfd" "7zXZ\0", 6, { "xz", "-dc", "--single-stream", NULL } },
	{ "\x28\xb5\x2f\xfd", 4, { "zstd", "-dcq", NULL } },
	{ "BZh", 3, { "bzip2", "-dc", NULL } },
	{ "\x5d\0\0", 3, { "xz", "--format=lzma", "-dc", NULL } },
	{ "\x02\x21\x4c\x18", 4, { "lz4", "-dc", NULL } },
	{ "\x89LZO", 4, { "lzop", "-dc", NULL } },
};

int pk_kimg__unpack(const struct pk_kimg *bz, const char *out, struct pk_kimg *elf, char *why,
		    size_t why_len)
{
	char tmp[PATH_MAX], line[256], *text = NULL;
	const uint8_t *pl;
	struct map m;
	uint32_t off, len, base;
	size_t i;
	int err, st;

	if (bz->kind != PK_KIMG_BZIMAGE) {
		setwhy(why, why_len, "not a bzImage");
		return -EINVAL;
	}
	err = map_file(bz->path, &m);
	if (err) {
		setwhy(why, why_len, "cannot read '%s': %s", bz->path, strerror(-err));
		return err;
	}
	if (m.len < 0x270 || memcmp(m.p + 0x202, "HdrS", 4)) {
		setwhy(why, why_len, "'%s' is no longer a bzImage", bz->path);
		err = -ENOEXEC;
		goto done;
	}
	base = ((m.p[0x1f1] ? m.p[0x1f1] : 4) + 1) * 512;
	off = le32(m.p + 0x248);
	len = le32(m.p + 0x24c);
	if ((uint64_t)base + off + len > m.len || len < 16) {
		setwhy(why, why_len, "payload outside the image");
		err = -ENOEXEC;
		goto done;
	}
	pl = m.p + base + off;
	for (i = 0; i < PK_ARRAY_SIZE(decomp); i++)
		if (!memcmp(pl, decomp[i].magic, decomp[i].len))
			break;
	if (i == PK_ARRAY_SIZE(decomp)) {
		setwhy(why, why_len, "unknown payload compression (%02x %02x %02x %02x)", pl[0], pl[1],
		       pl[2], pl[3]);
		err = -ENOTSUP;
		goto done;
	}
	snprintf(tmp, sizeof(tmp), "%s.payload", out);
	err = pk_file__write_atomic(tmp, pl, len);
	if (err) {
		setwhy(why, why_len, "cannot write '%s': %s", tmp, strerror(-err));
		goto done;
	}
	/* trailing bytes (the kernel appends the size) make some tools complain:
	 * the output decides, not the exit code */
	st = run_capture((char *const *)decomp[i].argv, tmp, out, &text);
	unlink(tmp);
	if (st < 0) {
		setwhy(why, why_len, "cannot run %s: %s", decomp[i].argv[0], strerror(-st));
		err = st;
		goto done;
	}
	err = pk_kimg__probe(out, elf, why, why_len);
	if (err == -ENOEXEC && elf->kind == PK_KIMG_ELF) {
		err = -ENOTSUP;
	} else if (err) {
		setwhy(why, why_len, "%s -dc did not give a vmlinux: %s", decomp[i].argv[0],
		       first_line(text, line, sizeof(line)));
		err = -ENOTSUP;
	}
	if (!err) {
		pk_strlcpy(elf->release, bz->release, sizeof(elf->release));
		pk_strlcpy(elf->version, bz->version, sizeof(elf->version));
	} else {
		unlink(out);
	}
done:
	free(text);
	unmap_file(&m);
	return err;
}

int pk_kimg__btf(const char *vmlinux, const char *out, char *why, size_t why_len)
{
	const Elf64_Ehdr *eh;
	const Elf64_Shdr *sh, *strs;
	struct map m;
	int err = map_file(vmlinux, &m);

	if (err) {
		setwhy(why, why_len, "cannot read '%s': %s", vmlinux, strerror(-err));
		return err;
	}
	err = -ENOENT;
	eh = (const void *)m.p;
	if (m.len < sizeof(*eh) || memcmp(eh->e_ident, ELFMAG, SELFMAG) || eh->e_ident[EI_CLASS] != ELFCLASS64 ||
	    eh->e_shentsize != sizeof(Elf64_Shdr) || eh->e_shoff > m.len ||
	    (uint64_t)eh->e_shnum * sizeof(Elf64_Shdr) > m.len - eh->e_shoff || eh->e_shstrndx >= eh->e_shnum) {
		setwhy(why, why_len, "'%s': not a 64-bit ELF with sections", vmlinux);
		err = -ENOEXEC;
		goto done;
	}
	sh = (const void *)(m.p + eh->e_shoff);
	strs = &sh[eh->e_shstrndx];
	if (strs->sh_offset > m.len || strs->sh_size > m.len - strs->sh_offset) {
		setwhy(why, why_len, "'%s': bad section names", vmlinux);
		err = -ENOEXEC;
		goto done;
	}
	for (int i = 0; i < eh->e_shnum; i++) {
		const char *name = (const char *)m.p + strs->sh_offset + sh[i].sh_name;

		if (sh[i].sh_name + 5 > strs->sh_size || memcmp(name, ".BTF", 5))
			continue;
		if (sh[i].sh_type == SHT_NOBITS || sh[i].sh_offset > m.len ||
		    sh[i].sh_size > m.len - sh[i].sh_offset || sh[i].sh_size < 24 ||
		    le16(m.p + sh[i].sh_offset) != 0xeb9f)
			break;
		err = pk_file__write_atomic(out, m.p + sh[i].sh_offset, sh[i].sh_size);
		if (err)
			setwhy(why, why_len, "cannot write '%s': %s", out, strerror(-err));
		goto done;
	}
	setwhy(why, why_len, "kernel has no .BTF section (CONFIG_DEBUG_INFO_BTF off)");
done:
	unmap_file(&m);
	return err;
}

/* ---- initramfs: newc cpio written here ---- */

struct cpio {
	FILE *f;
	uint32_t ino;
	int err;
	char dirs[64][PATH_MAX / 8];	/* directories already written */
	int ndirs;
};

static void cpio_entry(struct cpio *c, const char *name, uint32_t mode, const void *data, size_t len,
		       uint32_t rmaj, uint32_t rmin)
{
	static const char zero[4];
	size_t nlen = strlen(name) + 1;
	char hdr[111];

	if (c->err)
		return;
	if (len > UINT32_MAX) {
		c->err = -EFBIG;
		return;
	}
	snprintf(hdr, sizeof(hdr), "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0, 0, 1, 0, (uint32_t)len, 0, 0, rmaj, rmin, (uint32_t)nlen, 0);
	if (fwrite(hdr, 1, 110, c->f) != 110 || fwrite(name, 1, nlen, c->f) != nlen ||
	    fwrite(zero, 1, (4 - (110 + nlen) % 4) % 4, c->f) != (4 - (110 + nlen) % 4) % 4 ||
	    (len && fwrite(data, 1, len, c->f) != len) ||
	    fwrite(zero, 1, (4 - len % 4) % 4, c->f) != (4 - len % 4) % 4)
		c->err = -EIO;
}

/* name without its leading '/'; parents first, each once */
static void cpio_dirs(struct cpio *c, const char *path)
{
	char d[PATH_MAX];
	char *s;

	if (pk_strlcpy(d, path, sizeof(d))) {
		c->err = -ENAMETOOLONG;
		return;
	}
	for (s = strchr(d, '/'); s; s = strchr(s + 1, '/')) {
		int i;

		*s = 0;
		for (i = 0; i < c->ndirs; i++)
			if (!strcmp(c->dirs[i], d))
				break;
		if (i == c->ndirs && *d) {
			if (c->ndirs < (int)PK_ARRAY_SIZE(c->dirs) && strlen(d) < sizeof(c->dirs[0]))
				strcpy(c->dirs[c->ndirs++], d);
			cpio_entry(c, d, S_IFDIR | 0755, NULL, 0, 0, 0);
		}
		*s = '/';
	}
}

static void cpio_data(struct cpio *c, const char *name, uint32_t perm, const void *data, size_t len)
{
	cpio_dirs(c, name);
	cpio_entry(c, name, S_IFREG | perm, data, len, 0, 0);
}

static int cpio_file(struct cpio *c, const char *name, const char *src, char *why, size_t why_len)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int err;

	if (stat(src, &st)) {
		err = -errno;
		setwhy(why, why_len, "cannot read '%s': %s", src, strerror(errno));
		return err;
	}
	err = pk_file__read(src, &data, &len, 1u << 30);
	if (err) {
		setwhy(why, why_len, "cannot read '%s': %s", src, strerror(-err));
		return err;
	}
	cpio_data(c, name, st.st_mode & 0777, data, len);
	free(data);
	return 0;
}

/* the shared libraries (and loader) ldd names for bin, added at their paths */
static int cpio_libs(struct cpio *c, const char *bin, char *why, size_t why_len)
{
	char *argv[] = { "ldd", (char *)bin, NULL };
	char *text = NULL, *line, *save = NULL;
	int st, err = 0;

	st = run_capture(argv, NULL, NULL, &text);
	if (st < 0) {
		setwhy(why, why_len, "cannot run ldd: %s", strerror(-st));
		return st;
	}
	if (!text || strstr(text, "not a dynamic executable") || strstr(text, "statically linked")) {
		free(text);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "=> "), *e;

		if (strstr(line, "not found")) {
			setwhy(why, why_len, "ldd %s: %s", bin, line + strspn(line, " \t"));
			err = -ENOENT;
			break;
		}
		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;	/* linux-vdso.so.1 */
		e = strstr(p, " (");
		if (e)
			*e = 0;
		err = cpio_file(c, p + 1, p, why, why_len);
	}
	free(text);
	return err;
}

static const char init_script[] =
	"#!/bin/busybox sh\n"
	"# probekit verify guest: mount what the agent needs, run its self-check,\n"
	"# print the verdict between markers on the console, power off. Never waits.\n"
	"/bin/busybox --install -s /bin\n"
	"export PATH=/bin:/sbin:/usr/bin:/usr/sbin\n"
	"N=@NONCE@\n"
	"say() { echo \"probekit-init: $*\"; }\n"
	"mount -t proc proc /proc\n"
	"mount -t sysfs sysfs /sys\n"
	"mount -t devtmpfs devtmpfs /dev 2>/dev/null\n"
	"mount -t tmpfs tmpfs /tmp\n"
	"mount -t bpf bpf /sys/fs/bpf 2>/dev/null || say 'no bpf filesystem'\n"
	"mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null\n"
	"mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null\n"
	"mount -t securityfs securityfs /sys/kernel/security 2>/dev/null\n"
	"ip link set lo up 2>/dev/null || ifconfig lo 127.0.0.1 up 2>/dev/null\n"
	"mode=btf\n"
	"for a in $(cat /proc/cmdline); do case \"$a\" in probekit.mode=*) mode=${a#probekit.mode=};; esac; done\n"
	"set -- selftest --json --selfcheck-timeout @SCT@\n"
	"case \"$mode\" in\n"
	"no-btf)\n"
	"\tmount -t tmpfs -o size=4k,mode=0755 tmpfs /sys/kernel/btf 2>/dev/null\n"
	"\t[ -e /sys/kernel/btf/vmlinux ] && say '/sys/kernel/btf/vmlinux is still visible'\n"
	"\t# the agent's embedded reduced-BTF archive serves when detect offers a\n"
	"\t# candidate with embedded BTF; else the BTF file the host made\n"
	"\tif probekit detect --json 2>/dev/null | awk '/\"btf\":/ { b = $0 } "
	"/\"state\":/ { if (b ~ /embedded|archive|reduced/ && $0 !~ /skipped/) f = 1 } END { exit !f }'; then\n"
	"\t\tsay 'BTF: embedded reduced-BTF archive'\n"
	"\telif [ -r /pk/vmlinux.btf ]; then\n"
	"\t\tsay 'BTF: file from the host (/pk/vmlinux.btf)'\n"
	"\t\tset -- \"$@\" --btf /pk/vmlinux.btf\n"
	"\telse\n"
	"\t\tsay 'BTF: none for this kernel'\n"
	"\tfi;;\n"
	"object) set -- \"$@\" --probe /pk/probe.o;;\n"
	"esac\n"
	"say \"mode $mode: probekit $*\"\n"
	"echo 1 > /proc/sys/kernel/printk   # keep kernel messages out of the verdict\n"
	"probekit \"$@\" >/tmp/out.json 2>/tmp/err.txt\n"
	"rc=$?\n"
	"echo \"PKV-BEGIN-$N\"\n"
	"cat /tmp/out.json\n"
	"echo \"PKV-STDERR-$N\"\n"
	"tail -c 3000 /tmp/err.txt\n"
	"echo \"PKV-END-$N rc=$rc\"\n"
	"poweroff -f\n"
	"sleep 5; echo 'probekit-init: poweroff failed'; exit 1\n";

const char *pk_initramfs__init_script(void)
{
	return init_script;
}

static char *subst(const char *tmpl, const char *key, const char *val)
{
	const char *k = strstr(tmpl, key);
	char *s;

	if (!k)
		return strdup(tmpl);
	if (asprintf(&s, "%.*s%s%s", (int)(k - tmpl), tmpl, val, k + strlen(key)) < 0)
		return NULL;
	return s;
}

int pk_initramfs__build(const char *out, const struct pk_initramfs_opts *o, char *why, size_t why_len)
{
	static const char *const bb_paths[] = { "/bin/busybox", "/usr/bin/busybox", "/sbin/busybox" };
	static const char *const dirs[] = { "bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
					    "tmp", "run", "etc", "pk", "root" };
	const char *bb = o->busybox;
	char tmp[PATH_MAX], sct[32], *s1 = NULL, *s2 = NULL;
	struct cpio *c;
	size_t i;
	int err = 0;

	if (!bb || !*bb)
		bb = getenv("PROBEKIT_BUSYBOX");
	for (i = 0; (!bb || !*bb) && i < PK_ARRAY_SIZE(bb_paths); i++)
		if (!access(bb_paths[i], X_OK))
			bb = bb_paths[i];
	if (!bb || !*bb) {
		setwhy(why, why_len, "no busybox (install busybox-static or set PROBEKIT_BUSYBOX)");
		return -ENOENT;
	}
	if (!o->probekit) {
		setwhy(why, why_len, "no probekit binary given");
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	snprintf(tmp, sizeof(tmp), "%s.tmp", out);
	c->f = fopen(tmp, "we");
	if (!c->f) {
		err = -errno;
		setwhy(why, why_len, "cannot write '%s': %s", tmp, strerror(errno));
		free(c);
		return err;
	}
	for (i = 0; i < PK_ARRAY_SIZE(dirs); i++) {
		pk_strlcpy(c->dirs[c->ndirs++], dirs[i], sizeof(c->dirs[0]));
		cpio_entry(c, dirs[i], S_IFDIR | 0755, NULL, 0, 0, 0);
	}
	cpio_entry(c, "dev/console", S_IFCHR | 0600, NULL, 0, 5, 1);
	cpio_entry(c, "dev/null", S_IFCHR | 0666, NULL, 0, 1, 3);
	cpio_entry(c, "dev/ttyS0", S_IFCHR | 0600, NULL, 0, 4, 64);
	err = cpio_file(c, "bin/busybox", bb, why, why_len);
	if (!err)
		err = cpio_libs(c, bb, why, why_len);
	if (!err)
		err = cpio_file(c, "bin/probekit", o->probekit, why, why_len);
	if (!err)
		err = cpio_libs(c, o->probekit, why, why_len);
	if (!err && o->probe_obj)
		err = cpio_file(c, "pk/probe.o", o->probe_obj, why, why_len);
	if (!err && o->btf_file)
		err = cpio_file(c, "pk/vmlinux.btf", o->btf_file, why, why_len);
	if (!err && o->os_release)
		cpio_data(c, "etc/os-release", 0644, o->os_release, strlen(o->os_release));
	if (!err) {
		snprintf(sct, sizeof(sct), "%g", o->selfcheck_timeout_s > 0 ? o->selfcheck_timeout_s : 30);
		s1 = subst(init_script, "@NONCE@", o->nonce ? o->nonce : "0");
		s2 = s1 ? subst(s1, "@SCT@", sct) : NULL;
		if (!s2)
			err = -ENOMEM;
		else
			cpio_data(c, "init", 0755, s2, strlen(s2));
	}
	cpio_entry(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
	if (!err && c->err) {
		err = c->err;
		setwhy(why, why_len, "cannot write '%s': %s", tmp, strerror(-err));
	}
	if (fclose(c->f) && !err) {
		err = -errno;
		setwhy(why, why_len, "cannot write '%s': %s", tmp, strerror(errno));
	}
	if (!err && rename(tmp, out)) {
		err = -errno;
		setwhy(why, why_len, "cannot rename to '%s': %s", out, strerror(errno));
	}
	if (err)
		unlink(tmp);
	free(s1);
	free(s2);
	free(c);
	return err;
}

/* ---- the console ---- */

/* the line starting at p (up to \n), without \r */
static size_t line_len(const char *p, const char *end)
{
	const char *e = memchr(p, '\n', end - p);

	return e ? (size_t)(e - p) : (size_t)(end - p);
}

static bool line_is(const char *p, size_t n, const char *marker, const char *nonce, const char **rest)
{
	size_t ml = strlen(marker), nl = strlen(nonce);

	while (n && p[n - 1] == '\r')
		n--;
	if (n < ml + nl || memcmp(p, marker, ml) || memcmp(p + ml, nonce, nl))
		return false;
	if (n > ml + nl && p[ml + nl] != ' ')
		return false;
	if (rest)
		*rest = p + ml + nl;
	return true;
}

/* " rc=N" between p and e (the line's end; the log has no terminator) */
static int parse_rc(const char *p, const char *e)
{
	int v = 0;

	if (e - p < 5 || memcmp(p, " rc=", 4))
		return -1;
	for (p += 4; p < e && *p >= '0' && *p <= '9'; p++) {
		if (v > 100000)
			return -1;
		v = v * 10 + (*p - '0');
	}
	return p < e && *p != '\r' ? -1 : v;
}

static char *dup_range(const char *b, const char *e)
{
	char *s = malloc(e - b + 1);
	size_t j = 0;

	if (!s)
		return NULL;
	for (const char *p = b; p < e; p++)
		if (*p != '\r')
			s[j++] = *p;
	s[j] = 0;
	return s;
}

void pk_vm__parse_console(const char *log, size_t len, const char *nonce, struct pk_vm_result *r)
{
	const char *end = log + len, *p, *begin = NULL, *errm = NULL, *panic = NULL;
	const char *json_b = NULL, *json_e = NULL, *err_b = NULL, *err_e = NULL;
	size_t tl, j;

	r->guest_rc = -1;
	for (p = log; p < end;) {
		size_t n = line_len(p, end);
		const char *rest;

		if (line_is(p, n, "PKV-BEGIN-", nonce, NULL)) {
			begin = p + n + 1;
			errm = NULL;
		} else if (begin && line_is(p, n, "PKV-STDERR-", nonce, NULL)) {
			errm = p + n + 1;
			json_b = begin;
			json_e = p;
		} else if (begin && line_is(p, n, "PKV-END-", nonce, &rest)) {
			if (!errm) {
				json_b = begin;
				json_e = p;
			} else {
				err_b = errm;
				err_e = p;
			}
			r->guest_rc = parse_rc(rest, p + n);
			r->outcome = PK_VM_VERDICT;
			begin = NULL;
		} else if (!panic && memmem(p, n, "Kernel panic - not syncing", 26)) {
			panic = p;
		} else if (!r->init_started && memmem(p, n, "Run /init as init process", 25)) {
			r->init_started = true;
		}
		p += n + 1;
	}
	if (r->outcome == PK_VM_VERDICT && json_b && json_b <= json_e) {
		free(r->json);
		free(r->guest_err);
		r->json = dup_range(json_b, json_e);
		r->guest_err = err_b && err_b <= err_e ? dup_range(err_b, err_e) : NULL;
	} else if (panic && r->outcome != PK_VM_VERDICT) {
		char line[PK_VM_WHY_LEN];
		size_t n = line_len(panic, end);
		const char *s = memmem(panic, n, "Kernel panic", 12);

		n -= s - panic;
		if (n >= sizeof(line))
			n = sizeof(line) - 1;
		memcpy(line, s, n);
		line[n] = 0;
		line[strcspn(line, "\r")] = 0;
		r->outcome = PK_VM_PANIC;
		setwhy(r->why, sizeof(r->why), "%s", line);
	}
	/* the tail: last lines, printable only */
	tl = len < sizeof(r->tail) - 1 ? len : sizeof(r->tail) - 1;
	p = end - tl;
	if (tl < len) {
		const char *nl = memchr(p, '\n', tl);

		if (nl)
			p = nl + 1;
	}
	for (j = 0; p < end && j + 1 < sizeof(r->tail); p++) {
		unsigned char ch = *p;

		if (ch == '\n' || ch == '\t' || (ch >= 0x20 && ch < 0x7f))
			r->tail[j++] = ch;
	}
	r->tail[j] = 0;
}

void pk_vm_result__free(struct pk_vm_result *r)
{
	if (!r)
		return;
	free(r->json);
	free(r->guest_err);
	r->json = r->guest_err = NULL;
}

/* ---- one boot ---- */

int pk_vm__run(const struct pk_vm_opts *o, struct pk_vm_result *r)
{
	const char *qemu = o->qemu;
	char mem[16], append[2048], *argv[32], buf[65536];
	char *con = NULL;
	size_t clen = 0, ccap = 0, scanned = 0;
	double t0, deadline, timeout = o->timeout_s > 0 ? o->timeout_s : 300;
	double stall = o->kvm_stall_s > 0 ? o->kvm_stall_s : 20, grace_until = 0;
	bool saw_linux = false, stalled = false, timed_out = false, eof = false;
	int pfd[2], cfd = -1, status = 0, a = 0, err = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	r->guest_rc = -1;
	if (!qemu || !*qemu)
		qemu = getenv("PROBEKIT_QEMU");
	if (!qemu || !*qemu)
		qemu = "qemu-system-x86_64";
	snprintf(mem, sizeof(mem), "%dM", o->mem_mb > 0 ? o->mem_mb : 768);
	snprintf(append, sizeof(append), "console=ttyS0,115200 panic=-1 %s", o->append ? o->append : "");
	argv[a++] = (char *)qemu;
	argv[a++] = "-nodefaults";
	argv[a++] = "-no-user-config";
	argv[a++] = "-display";
	argv[a++] = "none";
	argv[a++] = "-no-reboot";
	argv[a++] = "-m";
	argv[a++] = mem;
	argv[a++] = "-accel";
	argv[a++] = o->accel == PK_VM_ACCEL_KVM ? "kvm" : "tcg";
	if (o->accel == PK_VM_ACCEL_KVM) {
		argv[a++] = "-cpu";
		argv[a++] = "host";
	}
	argv[a++] = "-serial";
	argv[a++] = "stdio";
	argv[a++] = "-kernel";
	argv[a++] = (char *)o->kernel;
	argv[a++] = "-initrd";
	argv[a++] = (char *)o->initrd;
	argv[a++] = "-append";
	argv[a++] = append;
	argv[a] = NULL;

	if (o->console_path) {
		cfd = open(o->console_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
		if (cfd < 0) {
			err = -errno;
			setwhy(r->why, sizeof(r->why), "cannot write '%s': %s", o->console_path, strerror(errno));
			r->outcome = PK_VM_LAUNCH_FAILED;
			return err;
		}
	}
	if (pipe2(pfd, O_CLOEXEC)) {
		err = -errno;
		goto launch_failed;
	}
	t0 = now_s();
	pid = fork();
	if (pid < 0) {
		err = -errno;
		close(pfd[0]);
		close(pfd[1]);
		goto launch_failed;
	}
	if (pid == 0) {
		int nfd = open("/dev/null", O_RDONLY);

		setpgid(0, 0);	/* the kill at the deadline takes QEMU's helpers too */
		if (nfd >= 0)
			dup2(nfd, 0);
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		execvp(qemu, argv);
		dprintf(2, "probekit-verify: cannot run '%s': %s\n", qemu, strerror(errno));
		_exit(127);
	}
	setpgid(pid, pid);
	close(pfd[1]);
	deadline = t0 + timeout;

	while (!eof) {
		struct pollfd pf = { .fd = pfd[0], .events = POLLIN };
		double t = now_s(), until = grace_until ? grace_until : deadline;
		int ms = (int)((until - t) * 1000) + 1;
		ssize_t n;

		if (t >= until) {
			timed_out = !grace_until;
			break;
		}
		if (o->accel == PK_VM_ACCEL_KVM && !saw_linux && t - t0 > stall) {
			stalled = true;
			break;
		}
		if (ms > 200)
			ms = 200;
		if (poll(&pf, 1, ms) <= 0)
			continue;
		n = read(pfd[0], buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			eof = true;
			break;
		}
		if (cfd >= 0 && write(cfd, buf, n) != n) {
			close(cfd);	/* disk full: keep going without the file */
			cfd = -1;
		}
		if (clen + n + 1 > ccap && clen + n < CONSOLE_MAX) {
			size_t nc = (clen + n + 1) * 2;
			char *c2 = realloc(con, nc);

			if (c2) {
				con = c2;
				ccap = nc;
			}
		}
		if (clen + n + 1 <= ccap) {
			memcpy(con + clen, buf, n);
			clen += n;
			con[clen] = 0;
		}
		/* scan new complete lines for the verdict, a panic, the first kernel line */
		while (con && scanned < clen) {
			char *nl = memchr(con + scanned, '\n', clen - scanned);
			size_t ll;

			if (!nl)
				break;
			ll = nl - (con + scanned);
			if (!saw_linux && memmem(con + scanned, ll, "Linux version", 13))
				saw_linux = true;
			if (!grace_until && o->nonce && line_is(con + scanned, ll, "PKV-END-", o->nonce, NULL)) {
				r->verdict_s = now_s() - t0;
				grace_until = now_s() + GRACE_S;
			}
			if (!grace_until && memmem(con + scanned, ll, "Kernel panic - not syncing", 26))
				grace_until = now_s() + GRACE_S;
			scanned = nl + 1 - con;
		}
	}
	if (!eof) {
		kill(-pid, SIGKILL);
		kill(pid, SIGKILL);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	close(pfd[0]);
	r->wall_s = now_s() - t0;
	r->qemu_status = status;
	r->outcome = PK_VM_EXITED;
	pk_vm__parse_console(con ? con : "", clen, o->nonce ? o->nonce : "", r);
	if (r->outcome == PK_VM_VERDICT || r->outcome == PK_VM_PANIC) {
		/* the console said it all */
	} else if (stalled) {
		r->outcome = PK_VM_KVM_STALL;
		setwhy(r->why, sizeof(r->why), "KVM: no kernel output within %gs (nested virtualization?)", stall);
	} else if (timed_out) {
		r->outcome = PK_VM_TIMEOUT;
		setwhy(r->why, sizeof(r->why), "no verdict within %gs (%s); QEMU killed",
		       timeout, saw_linux ? "kernel booted" : "no kernel output");
	} else if (WIFEXITED(status) && WEXITSTATUS(status) == 127 && !saw_linux) {
		r->outcome = PK_VM_LAUNCH_FAILED;
		setwhy(r->why, sizeof(r->why), "cannot run '%s'", qemu);
	} else {
		char last[200] = "";
		const char *t = r->tail + strlen(r->tail);

		/* the last non-empty console line says most */
		while (t > r->tail && (t[-1] == '\n' || t[-1] == ' '))
			t--;
		const char *b = t;

		while (b > r->tail && b[-1] != '\n')
			b--;
		snprintf(last, sizeof(last), "%.*s", (int)(t - b), b);
		if (WIFEXITED(status))
			setwhy(r->why, sizeof(r->why), "QEMU exited (status %d) without a verdict%s%s",
			       WEXITSTATUS(status), *last ? ": " : "", last);
		else
			setwhy(r->why, sizeof(r->why), "QEMU killed by signal %d without a verdict",
			       WTERMSIG(status));
	}
	free(con);
	if (cfd >= 0)
		close(cfd);
	return 0;

launch_failed:
	setwhy(r->why, sizeof(r->why), "cannot start QEMU: %s", strerror(-err));
	r->outcome = PK_VM_LAUNCH_FAILED;
	if (cfd >= 0)
		close(cfd);
	return err;
}

/* ---- the guest's JSON ---- */

/* A validating JSON walker over untrusted text: skip_value returns the end of
 * the value at p, or NULL when the text is not JSON. Depth-limited. */
static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t')
		p++;
	return p;
}

static const char *skip_string(const char *p)
{
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		if ((unsigned char)*p < 0x20)
			return NULL;
		if (*p == '\\' && !*++p)
			return NULL;
	}
	return *p == '"' ? p + 1 : NULL;
}

static const char *skip_value(const char *p, int depth)
{
	p = ws(p);
	if (depth > 64)
		return NULL;
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		char close = *p == '{' ? '}' : ']';
		bool obj = *p == '{';

		p = ws(p + 1);
		if (*p == close)
			return p + 1;
		for (;;) {
			if (obj) {
				p = skip_string(ws(p));
				if (!p || *(p = ws(p)) != ':')
					return NULL;
				p++;
			}
			p = skip_value(p, depth + 1);
			if (!p)
				return NULL;
			p = ws(p);
			if (*p == close)
				return p + 1;
			if (*p++ != ',')
				return NULL;
		}
	}
	if (!strncmp(p, "true", 4))
		return p + 4;
	if (!strncmp(p, "false", 5))
		return p + 5;
	if (!strncmp(p, "null", 4))
		return p + 4;
	if (*p == '-' || isdigit((unsigned char)*p)) {
		char *e;

		strtod(p, &e);
		return e > p ? e : NULL;
	}
	return NULL;
}

/* the value of key in the object at obj (validated text), or NULL */
static const char *obj_get(const char *obj, const char *key)
{
	const char *p = ws(obj);
	size_t kl = strlen(key);

	if (!p || *p != '{')
		return NULL;
	p = ws(p + 1);
	while (*p == '"') {
		const char *k = p + 1, *ke = skip_string(p);

		p = ws(ws(ke) + 1);	/* past ':' */
		if ((size_t)(ke - 1 - k) == kl && !memcmp(k, key, kl))
			return p;
		p = ws(skip_value(p, 0));
		if (*p != ',')
			return NULL;
		p = ws(p + 1);
	}
	return NULL;
}

/* a JSON string value into out (escapes kept simple: \x -> x) */
static void str_val(const char *v, char *out, size_t n)
{
	size_t j = 0;

	if (!n)
		return;
	if (v && *v == '"')
		for (v++; *v && *v != '"' && j + 1 < n; v++) {
			if (*v == '\\' && v[1])
				v++;
			out[j++] = *v;
		}
	out[j] = 0;
}

void pk_vm__guest_summary(const char *json, struct pk_vm_guest *g)
{
	const char *end, *sc, *v, *att;
	size_t rl = 0;

	memset(g, 0, sizeof(*g));
	g->latency_ms = -1;
	if (!json || !(end = skip_value(json, 0)) || *ws(end) || *ws(json) != '{')
		return;
	g->valid = true;
	str_val(obj_get(json, "candidate"), g->candidate, sizeof(g->candidate));
	str_val(obj_get(json, "btf"), g->btf, sizeof(g->btf));
	sc = obj_get(json, "selfcheck");
	if (sc && *sc == '{') {
		v = obj_get(sc, "passed");
		g->passed = v && !strncmp(v, "true", 4);
		v = obj_get(sc, "latency_ms");
		if (v && (*v == '-' || isdigit((unsigned char)*v)))
			g->latency_ms = strtod(v, NULL);
		v = obj_get(sc, "error");
		if (v && *v == '"')
			str_val(v, g->reason, sizeof(g->reason));
	}
	if (g->passed)
		return;
	att = obj_get(json, "attempts");
	if (!att || *att != '[')
		return;
	/* every failed attempt: "name: reason" */
	for (const char *p = ws(att + 1), *q; *p == '{'; p = ws(q + 1)) {
		char name[64], state[16], why[300];

		str_val(obj_get(p, "state"), state, sizeof(state));
		if (!strcmp(state, "failed") || !strcmp(state, "skipped")) {
			str_val(obj_get(p, "name"), name, sizeof(name));
			str_val(obj_get(p, "reason"), why, sizeof(why));
			if (rl == 0 && g->reason[0])
				rl = strlen(g->reason);
			rl += snprintf(g->reason + rl, rl < sizeof(g->reason) ? sizeof(g->reason) - rl : 0,
				       "%s%s %s: %s", rl ? "; " : "", name, state, why);
			if (rl >= sizeof(g->reason))
				break;
		}
		q = ws(skip_value(p, 0));
		if (*q != ',')
			break;
	}
}

/* ---- kernels by name ---- */

int pk_kimg__fetch(const char *spec, const char *script, char *out, size_t out_len, char *why,
		   size_t why_len)
{
	static const char sh[] = "bash \"$1\" fetch \"$2\" 2>&1";
	char arg[256], line[256], *text = NULL, *l, *save = NULL;
	const char *rest = spec + 7;	/* after "debian:" */
	int st, err = -ENOENT;

	if (strncmp(spec, "debian:", 7) || !*rest) {
		setwhy(why, why_len, "'%s': expected debian:SUITE or debian:SUITE:PACKAGE", spec);
		return -EINVAL;
	}
	snprintf(arg, sizeof(arg), "%s%s", rest, strchr(rest, ':') ? "" : ":latest");
	if (access(script, R_OK)) {
		setwhy(why, why_len, "cannot read '%s' (set PROBEKIT_KERNEL_CORPUS)", script);
		return -ENOENT;
	}
	st = sh_run(sh, script, arg, &text);
	for (l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(l);

		if (n > 4 && !strcmp(l + n - 4, ".deb") && !access(l, R_OK))
			err = pk_strlcpy(out, l, out_len);
		else if (*l)
			pk_strlcpy(line, l, sizeof(line));
	}
	if (err == -ENOENT)
		setwhy(why, why_len, "kernel-corpus.sh fetch %s failed (status %d): %s", arg,
		       st < 0 ? st : WIFEXITED(st) ? WEXITSTATUS(st) : -1, text ? line : "no output");
	free(text);
	return err;
}

int pk_kimg__os_release(const struct pk_kimg *k, const char *suite, char *out, size_t out_len)
{
	static const struct { const char *name, *kver; int id; } deb[] = {
		{ "buster", "4.19.", 10 }, { "bullseye", "5.10.", 11 },
		{ "bookworm", "6.1.", 12 }, { "trixie", "6.12.", 13 },
	};
	const char *d = strstr(k->release, "deb");
	int id = 0;
	size_t i;

	if (d && isdigit((unsigned char)d[3]))	/* 6.12.107+deb13-amd64, 6.1.0-0.deb11.x */
		id = atoi(d + 3);
	for (i = 0; !id && suite && i < PK_ARRAY_SIZE(deb); i++)
		if (!strcmp(suite, deb[i].name))
			id = deb[i].id;
	for (i = 0; !id && strstr(k->version, "Debian") && i < PK_ARRAY_SIZE(deb); i++)
		if (!strncmp(k->release, deb[i].kver, strlen(deb[i].kver)))
			id = deb[i].id;
	if (!id)
		return -ENOENT;
	snprintf(out, out_len, "ID=debian\nVERSION_ID=\"%d\"\nPRETTY_NAME=\"Debian GNU/Linux %d (probekit verify guest)\"\n",
		 id, id);
	return 0;
}
