/* Finds kernel BTF inside raw BTF, ELF, compressed kernel images and packages, by
 * recognising each layer and peeling it off. Everything read is untrusted: every
 * offset is checked against the buffer it points into, every stage is size-capped. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* memmem; the fuzz build's CFLAGS do not carry it */
#endif
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "btf/btf_extract.h"
#include "btf/decompress.h"
#include "btf/kernel_image.h"
#include "btf/package.h"
#include "common/bytes.h"
#include "common/elf.h"
#include "common/child.h"
#include "common/pk.h"

#define DEFAULT_MAX (1UL << 30)
#define MAX_DEPTH 5
#define MAX_SCAN_TRIES 64	/* compression magics tried in a headerless image */
#define BTF_MAGIC_LE "\x9f\xeb"


struct ctx {
	const struct pk_btf_extract_opts *opts;	/* validated: read with PK_OPTS_GET */
	struct pk_btf_extract_info *info;
	struct pk_error *err;	/* never NULL; the innermost reason is kept (set_once) */
	size_t max;
	void *btf;
	size_t btf_len;
};

const char *pk_btf_input__str(enum pk_btf_input kind)
{
	switch (kind) {
	case PK_BTF_INPUT_RAW: return "raw";
	case PK_BTF_INPUT_ELF: return "elf";
	case PK_BTF_INPUT_DWARF: return "dwarf";
	case PK_BTF_INPUT_IMAGE: return "image";
	case PK_BTF_INPUT_PACKAGE: return "package";
	default: return "unknown";
	}
}

static void set_kind(struct ctx *c, enum pk_btf_input kind)
{
	if (c->info->kind == PK_BTF_INPUT_UNKNOWN)
		c->info->kind = kind;
}

static void set_release(struct ctx *c, const char *rel, const char *from)
{
	if (c->info->release[0] || !rel[0])
		return;
	pk_strlcpy(c->info->release, rel, sizeof(c->info->release));
	pk_strlcpy(c->info->release_from, from, sizeof(c->info->release_from));
}

static bool release_char(char ch)
{
	return (ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       ch == '.' || ch == '-' || ch == '_' || ch == '+' || ch == '~';
}

int pk_btf_extract__find_banner(const void *data, size_t len, char *rel, size_t rel_len)
{
	static const char pfx[] = "Linux version ";
	const char *p = data, *end = p + len, *hit;

	while ((hit = memmem(p, end - p, pfx, sizeof(pfx) - 1))) {
		const char *s = hit + sizeof(pfx) - 1, *e = s;

		while (e < end && release_char(*e))
			e++;
		/* linux_banner: "Linux version <release> (<builder>) ..." */
		if (e > s && *s >= '0' && *s <= '9' && memchr(s, '.', e - s) && end - e >= 2 &&
		    e[0] == ' ' && e[1] == '(' && (size_t)(e - s) < rel_len) {
			memcpy(rel, s, e - s);
			rel[e - s] = 0;
			return 0;
		}
		p = hit + 1;
	}
	return -ENOENT;
}

/* the release a file name implies: vmlinuz-R, lib/modules/R/vmlinuz, linux-image-R_V_A.deb,
 * kernel-core-R.rpm */
static void release_from_name(struct ctx *c, const char *name)
{
	char buf[256], *p, *e;
	const char *base;
	static const char *const strip[] = { "-unsigned", "-dbg", "-dbgsym" };
	size_t i, n;

	if (!name || c->info->release[0])
		return;
	if ((p = strstr(name, "/modules/")) && (e = strchr(p + 9, '/')) && e - (p + 9) < (long)sizeof(buf)) {
		memcpy(buf, p + 9, e - (p + 9));
		buf[e - (p + 9)] = 0;
		goto check;
	}
	base = strrchr(name, '/') ? strrchr(name, '/') + 1 : name;
	if (pk_strlcpy(buf, base, sizeof(buf)))
		return;
	if (!strncmp(buf, "vmlinuz-", 8) || !strncmp(buf, "vmlinux-", 8)) {
		memmove(buf, buf + 8, strlen(buf + 8) + 1);
	} else if (!strncmp(buf, "linux-image-", 12)) {
		memmove(buf, buf + 12, strlen(buf + 12) + 1);
		if ((p = strchr(buf, '_')))
			*p = 0;
	} else if (!strncmp(buf, "kernel-", 7) && (n = strlen(buf)) > 4 &&
		   !strcmp(buf + n - 4, ".rpm")) {
		buf[n - 4] = 0;
		for (p = buf + 7; *p && !(*p >= '0' && *p <= '9'); p++)
			;	/* kernel-core-, kernel-default- ... */
		memmove(buf, p, strlen(p) + 1);
	} else {
		return;
	}
	for (i = 0; i < PK_ARRAY_SIZE(strip); i++) {
		n = strlen(buf);
		if (n > strlen(strip[i]) && !strcmp(buf + n - strlen(strip[i]), strip[i]))
			buf[n - strlen(strip[i])] = 0;
	}
check:
	if (buf[0] < '0' || buf[0] > '9' || !strchr(buf, '.'))
		return;
	for (p = buf; *p; p++)
		if (!release_char(*p))
			return;
	set_release(c, buf, "file name");
}

/* take a copy of data as the result, if libbpf accepts it as BTF */
static int accept_btf(struct ctx *c, const void *data, size_t len, const char *what)
{
	struct btf *btf;
	int err;

	if (len < 24 || len > UINT32_MAX)
		return pk_error__set_once(c->err, -EBADMSG, "%s: BTF of %zu bytes is %s", what, len,
			    len < 24 ? "shorter than its header" : "too large");
	btf = btf__new(data, len);
	if (!btf) {	/* libbpf 1.0: NULL and errno */
		err = errno ? -errno : -EINVAL;
		return pk_error__set_once(c->err, -EBADMSG, "%s: not valid BTF (libbpf: %s)", what,
					  strerror(-err));
	}
	c->info->btf_types = btf__type_cnt(btf) - 1;
	btf__free(btf);
	if (c->info->btf_types == 0)
		return pk_error__set_once(c->err, -EBADMSG, "%s: BTF has no types", what);
	c->btf = malloc(len);
	if (!c->btf)
		return -ENOMEM;
	memcpy(c->btf, data, len);
	c->btf_len = len;
	c->info->btf_size = len;
	return 0;
}

static int extract(struct ctx *c, const void *data, size_t len, const char *name, int depth);

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= n;
	}
	return 0;
}

/* a file of ours, created only inside our own private directory: never follows
 * or reuses what someone else put there */
static int create_new(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
}

/* DWARF-only ELF: pahole --btf_encode_detached, documented as a tool dependency.
 * Its files live in a fresh mkdtemp directory (mode 0700): we often run as root,
 * and fixed names in a shared $TMPDIR could be planted symlinks. */
static int run_pahole(struct ctx *c, const void *data, size_t len)
{
	const char *tmpdir = getenv("TMPDIR") && *getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const char *pahole = PK_OPTS_GET(c->opts, pahole, NULL);
	char dir[3900], in[4000], out[4000], arg[4100], tail[160] = "";
	char *argv[6], *btf = NULL, *text = NULL;
	size_t btf_len = 0;
	int fd = -1, status, err;

	if (!pahole)
		pahole = getenv("PROBEKIT_PAHOLE") ? getenv("PROBEKIT_PAHOLE") : "pahole";
	if ((size_t)snprintf(dir, sizeof(dir), "%s/pk-pahole.XXXXXX", tmpdir) >= sizeof(dir))
		return pk_error__set_once(c->err, -ENAMETOOLONG, "TMPDIR '%s' is too long", tmpdir);
	if (!mkdtemp(dir))
		return pk_error__set_once(c->err, -errno, "cannot create a temporary directory in '%s': %s",
					  tmpdir, strerror(errno));
	snprintf(in, sizeof(in), "%s/vmlinux", dir);
	snprintf(out, sizeof(out), "%s/vmlinux.btf", dir);
	fd = create_new(in);
	if (fd < 0) {
		err = pk_error__set_once(c->err, -errno, "cannot create '%s': %s", in, strerror(errno));
		goto done;
	}
	err = write_all(fd, data, len);
	close(fd);
	if (err) {
		pk_error__set_once(c->err, err, "cannot write '%s': %s", in, strerror(-err));
		goto done;
	}
	snprintf(arg, sizeof(arg), "--btf_encode_detached=%s", out);
	argv[0] = (char *)pahole;
	argv[1] = "-j";
	argv[2] = arg;
	argv[3] = in;
	argv[4] = NULL;
	status = pk_child__run(argv, NULL, NULL, &text);
	if (status < 0 || (WIFEXITED(status) && WEXITSTATUS(status) == 127)) {
		/* the child says "cannot run 'X': reason": keep the reason */
		const char *why = status < 0 ? strerror(-status) : text ? strrchr(text, ':') : NULL;

		why = !why ? "cannot be executed" : status < 0 ? why : why + 2;
		pk_strlcpy(tail, why, sizeof(tail));
		tail[strcspn(tail, "\n")] = 0;
		err = pk_error__set_once(c->err, status < 0 ? status : -ENOENT,
					 "the ELF has DWARF but no .BTF, and '%s' cannot run: %s "
					 "(install dwarves)", pahole, tail);
		goto done;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status)) {
		char *l = text, *nl;
		size_t n = l ? strlen(l) : 0;

		if (l) {
			while (n && l[n - 1] == '\n')
				l[--n] = 0;
			nl = strrchr(l, '\n');
			pk_strlcpy(tail, nl ? nl + 1 : l, sizeof(tail));
		}
		err = pk_error__set_once(c->err, -EBADMSG, "pahole failed to encode BTF from DWARF%s%s",
					 tail[0] ? ": " : "", tail);
		goto done;
	}
	err = pk_file__read(out, &btf, &btf_len, c->max);
	if (err) {
		pk_error__set_once(c->err, err, "pahole wrote no BTF: %s", strerror(-err));
		goto done;
	}
	c->info->pahole = true;
	err = accept_btf(c, btf, btf_len, "pahole output");
done:
	free(btf);
	free(text);
	unlink(in);
	unlink(out);
	rmdir(dir);	/* fails, harmlessly, if pahole left something else behind */
	return err;
}

static int from_elf(struct ctx *c, const void *data, size_t len, const char *name)
{
	struct pk_elf elf;
	struct pk_elf_section btf_sec = { 0 };
	struct pk_error why = { 0 };
	bool has_btf = false, has_dwarf = false;
	char rel[128];

	set_kind(c, PK_BTF_INPUT_ELF);
	if (!pk_btf_extract__find_banner(data, len, rel, sizeof(rel)))
		set_release(c, rel, "banner");
	if (pk_elf__init(&elf, data, len, &why))
		return pk_error__set_once(c->err, -EBADMSG, "not a valid ELF file (%s)", why.msg);
	for (uint64_t i = 0; i < elf.shnum; i++) {
		struct pk_elf_section sec;

		/* a malformed section is skipped unless it is the one we need: its fields
		 * (and name, when that is sound) are filled even when it fails */
		int r = pk_elf__section(&elf, i, &sec, NULL);

		if (!has_btf && !strcmp(sec.name, ".BTF")) {
			btf_sec = sec;
			has_btf = true;
			if (r)
				btf_sec.data = NULL;
		} else if (!r && !strcmp(sec.name, ".debug_info")) {
			has_dwarf = true;
		}
	}
	if (has_btf) {
		if (!btf_sec.data)
			return pk_error__set_once(c->err, -EBADMSG,
				"ELF .BTF section lies outside the file (offset %llu, size %llu, file %zu bytes)",
				(unsigned long long)btf_sec.offset, (unsigned long long)btf_sec.size, len);
		return accept_btf(c, btf_sec.data, btf_sec.size, "ELF .BTF section");
	}
	if (!has_dwarf)
		return pk_error__set_once(c->err, -ENOENT,
			"ELF has no .BTF section and no DWARF (.debug_info) to encode one from");
	if (PK_OPTS_GET(c->opts, no_pahole, false))
		return pk_error__set_once(c->err, -ENOENT, "ELF has no .BTF section, only DWARF (pahole disabled)");
	c->info->kind = c->info->kind == PK_BTF_INPUT_ELF ? PK_BTF_INPUT_DWARF : c->info->kind;
	(void)name;
	return run_pahole(c, data, len);
}

/* Decompressed image that is not an ELF (arm64 Image, raw vmlinux.bin): the BTF blob
 * sits in it with its header intact; find a header that libbpf accepts. */
static int from_flat(struct ctx *c, const void *data, size_t len)
{
	static const unsigned char hdr[8] = { 0x9f, 0xeb, 1, 0, 24, 0, 0, 0 };
	const unsigned char *p = data, *hit;
	/* a reason set before us stays: a header that libbpf rejects is only a false hit */
	const struct pk_error saved = *c->err;
	char rel[128];

	if (!pk_btf_extract__find_banner(data, len, rel, sizeof(rel)))
		set_release(c, rel, "banner");
	while ((hit = memmem(p, (const unsigned char *)data + len - p, hdr, sizeof(hdr)))) {
		size_t off = hit - (const unsigned char *)data, rest = len - off, blen;

		if (rest >= 24) {
			uint32_t type_off = pk_le32(hit + 8), type_len = pk_le32(hit + 12);
			uint32_t str_off = pk_le32(hit + 16), str_len = pk_le32(hit + 20);
			uint64_t end = 24 + (uint64_t)(type_off + (uint64_t)type_len > str_off + (uint64_t)str_len
						      ? type_off + (uint64_t)type_len
						      : str_off + (uint64_t)str_len);

			if (end <= rest && type_len && str_len) {
				int err;

				blen = end;
				err = accept_btf(c, hit, blen, "BTF in kernel image");
				*c->err = saved;
				if (!err)
					return 0;
			}
		}
		p = hit + 1;
	}
	return pk_error__set_once(c->err, -ENOENT, "decompressed kernel image is not an ELF and holds no BTF "
				"(kernel built without CONFIG_DEBUG_INFO_BTF?)");
}

static int decompress_and_recurse(struct ctx *c, enum pk_comp comp, const void *in, size_t in_len,
				  const char *name, int depth, const char *what)
{
	struct pk_error why = { 0 };
	void *out;
	size_t out_len;
	int err;

	err = pk_comp__decompress(comp, in, in_len, &out, &out_len, c->max, &why);
	if (err)
		return pk_error__set_once(c->err, err, "%s: %s", what, pk_error__str(&why));
	if (!c->info->comp)
		c->info->comp = comp;
	if (!c->info->vmlinux_size)
		c->info->vmlinux_size = out_len;
	if (out_len >= 4 && !memcmp(out, ELFMAG, SELFMAG))
		err = extract(c, out, out_len, name, depth + 1);
	else if (c->info->image && !(out_len >= 2 && !memcmp(out, BTF_MAGIC_LE, 2)))
		err = from_flat(c, out, out_len);
	else
		err = extract(c, out, out_len, name, depth + 1);
	free(out);
	return err;
}

static void set_image(struct ctx *c, const char *fmt, size_t size)
{
	if (c->info->image)
		return;
	c->info->image = true;
	c->info->image_size = size;
	pk_strlcpy(c->info->image_format, fmt, sizeof(c->info->image_format));
	set_kind(c, PK_BTF_INPUT_IMAGE);
}

/* bzImage (x86: boot protocol 2.08+ names the payload in the setup header) or EFI
 * zboot (arm64, riscv, loongarch vmlinuz): btf/kernel_image.h reads the header */
static int from_kernel_image(struct ctx *c, const void *data, size_t len, const char *name, int depth)
{
	struct pk_kernel_image img;
	const void *payload;
	size_t plen;
	int err;

	err = pk_kernel_image__parse(&img, data, len, c->err);
	if (err)
		return err;
	set_image(c, pk_kernel_image_format__str(img.format), len);
	err = pk_kernel_image__payload(&img, &payload, &plen, c->err);
	if (err)
		return err;
	return decompress_and_recurse(c, img.comp, payload, plen, name, depth,
				      img.format == PK_KERNEL_IMAGE_ZBOOT ? "zboot payload" : "bzImage payload");
}

/* no header we know: try each compression magic in order, like extract-vmlinux */
static int from_scan(struct ctx *c, const unsigned char *p, size_t len, const char *name, int depth)
{
	size_t off = 0;
	int tries = 0;
	enum pk_comp comp;
	char first[256] = "";
	struct pk_error nolib = { 0 };	/* a stream whose library cannot be loaded */

	while (tries < MAX_SCAN_TRIES && (comp = pk_comp__scan(p, len, &off)) != PK_COMP_NONE) {
		struct pk_error why = { 0 };
		void *out;
		size_t out_len;
		int err;

		tries++;
		err = pk_comp__decompress(comp, p + off, len - off, &out, &out_len, c->max, &why);
		if (err == -ELIBACC && !nolib.code)
			nolib = why;
		if (err == 0 && out_len >= 4 && !memcmp(out, ELFMAG, SELFMAG)) {
			set_image(c, off ? "image" : "compressed", len);
			c->info->comp = comp;
			c->info->vmlinux_size = out_len;
			err = extract(c, out, out_len, name, depth + 1);
			free(out);
			return err;
		}
		if (err == 0 && off == 0) {	/* a compressed file (tar.xz, btf.gz ...) */
			c->info->comp = comp;
			err = extract(c, out, out_len, name, depth + 1);
			free(out);
			return err;
		}
		if (err == 0 && off > 0) {	/* arm64 Image.gz-like: not an ELF, BTF inside */
			struct pk_btf_extract_info saved = *c->info;
			struct pk_error saved_err = *c->err;

			set_image(c, "image", len);
			c->info->comp = comp;
			c->info->vmlinux_size = out_len;
			err = from_flat(c, out, out_len);
			free(out);
			if (!err)
				return 0;
			*c->info = saved;
			*c->err = saved_err;
			err = 0;
		} else if (err == 0) {
			free(out);
		}
		if (!first[0])
			snprintf(first, sizeof(first), "%s stream at offset %zu is %s", pk_comp__name(comp), off,
				 err ? "corrupt" : "not an ELF");
		off++;
	}
	if (nolib.code)	/* the likely answer: say what to install */
		return pk_error__set_once(c->err, nolib.code, "%s", nolib.msg);
	if (tries)
		return pk_error__set_once(c->err, -EBADMSG, "no compressed vmlinux found in the image (%s)",
					  first);
	return pk_error__set_once(c->err, -EBADMSG, "unrecognised input: not BTF, ELF, a kernel image, "
				  "a compressed file or a package (starts %02x %02x %02x %02x)",
				  len > 0 ? p[0] : 0, len > 1 ? p[1] : 0, len > 2 ? p[2] : 0,
				  len > 3 ? p[3] : 0);
}

static bool is_candidate(const char *path)
{
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	size_t n = strlen(base);

	return !strncmp(base, "vmlinuz", 7) || !strcmp(base, "vmlinux") || !strncmp(base, "vmlinux-", 8) ||
	       (n > 4 && !strcmp(base + n - 4, ".btf"));
}

struct scan {
	struct ctx *c;
	int depth;
	int ret;
};

/* the first kernel file in the package, read whole (bounded) and peeled in turn */
static int scan_entry(struct pk_package *pkg, const struct pk_package_entry *e, void *cookie)
{
	struct scan *s = cookie;
	struct ctx *c = s->c;
	struct pk_error why = { 0 };
	void *buf;
	size_t len;
	int err;

	if (!is_candidate(e->path))
		return 0;
	pk_strlcpy(c->info->member, e->path, sizeof(c->info->member));
	err = pk_package__read(pkg, c->max, &buf, &len, &why);
	if (err == -EBADMSG) {
		err = pk_error__set_once(c->err, err, "cannot read %s from the package: %s", e->path, why.msg);
	} else if (err == -EFBIG) {
		err = pk_error__set_once(c->err, err, "%s", why.msg);
	} else if (!err) {
		err = extract(c, buf, len, e->path, s->depth + e->depth + 1);
		release_from_name(c, e->path);	/* the banner, when there is one, wins */
		free(buf);
	}
	s->ret = err;
	return 1;
}

/* the package's first kernel file (inside a .deb's data.tar.*): stop there */
static int from_package(struct ctx *c, const void *data, size_t len, const char *fmt, int depth)
{
	struct scan s = { .c = c, .depth = depth };
	struct pk_package *pkg;
	struct pk_error why = { 0 };
	const char *what;
	int err;

	err = pk_package__open_mem(data, len, &pkg, &why);
	if (err == -ELIBACC)
		return pk_error__set_once(c->err, err, "%s package: %s", fmt, why.msg);
	if (err && err != -EBADMSG)
		return err;
	c->info->packaged = true;
	set_kind(c, PK_BTF_INPUT_PACKAGE);
	if (!c->info->package_format[0])
		pk_strlcpy(c->info->package_format, fmt, sizeof(c->info->package_format));
	if (err)
		return pk_error__set_once(c->err, err, "corrupt %s package: %s", fmt, why.msg);
	err = pk_package__walk(pkg, scan_entry, &s, &why);
	what = pk_package__archive(pkg) ?: fmt;
	if (err > 0)
		err = s.ret;
	else if (err == -ENOEXEC)
		err = pk_error__set_once(c->err, -EBADMSG, "%s: cannot read %s: %s", fmt, what, why.msg);
	else if (err == -EBADMSG)
		err = pk_error__set_once(c->err, err, "%s: corrupt archive: %s", what, why.msg);
	else if (!err)
		err = pk_error__set_once(c->err, -ENOENT, "%s: no kernel image (boot/vmlinuz-*, vmlinux, "
					 "*.btf) inside", what);
	pk_package__free(pkg);
	return err;
}

static int extract(struct ctx *c, const void *data, size_t len, const char *name, int depth)
{
	const unsigned char *p = data;
	const char *fmt;

	if (depth > MAX_DEPTH)
		return pk_error__set_once(c->err, -ELOOP, "input nests more than %d layers deep", MAX_DEPTH);
	if (len < 4)
		return pk_error__set_once(c->err, -EBADMSG, "input of %zu bytes is too short to be anything", len);
	if (!memcmp(p, BTF_MAGIC_LE, 2)) {
		set_kind(c, PK_BTF_INPUT_RAW);
		return accept_btf(c, data, len, "raw BTF");
	}
	if (!memcmp(p, ELFMAG, SELFMAG))
		return from_elf(c, data, len, name);
	if ((fmt = pk_package__format(p, len)))
		return from_package(c, data, len, fmt, depth);
	if (pk_kernel_image__detect(p, len) != PK_KERNEL_IMAGE_NONE)
		return from_kernel_image(c, p, len, name, depth);
	return from_scan(c, p, len, name, depth);
}

int pk_btf_extract__mem(const void *data, size_t len, const char *name, void **btf,
		       size_t *btf_len, const struct pk_btf_extract_opts *opts,
		       struct pk_btf_extract_info *info, struct pk_error *err)
{
	struct pk_btf_extract_info dummy;
	struct pk_error dummy_err;
	struct ctx c = { .opts = opts, .info = info ? info : &dummy, .err = err ? err : &dummy_err };
	int r;

	memset(c.info, 0, sizeof(*c.info));
	pk_error__clear(c.err);
	*btf = NULL;
	*btf_len = 0;
	if (!PK_OPTS_VALID(opts, struct pk_btf_extract_opts))
		return pk_error__set(c.err, -EINVAL, "bad options (size %zu)", opts->sz);
	c.max = PK_OPTS_GET(opts, max_size, 0) ?: DEFAULT_MAX;
	r = extract(&c, data, len, name, 0);
	if (!r) {
		release_from_name(&c, name);
		*btf = c.btf;
		*btf_len = c.btf_len;
		pk_debug("btf extract: %s, %zu bytes of BTF, release '%s'\n",
			 pk_btf_input__str(c.info->kind), c.btf_len, c.info->release);
		return 0;
	}
	free(c.btf);
	return pk_error__set_once(c.err, r, "%s", strerror(-r));
}

int pk_btf_extract__file(const char *path, void **btf, size_t *btf_len,
			const struct pk_btf_extract_opts *opts, struct pk_btf_extract_info *info,
			struct pk_error *perr)
{
	struct pk_btf_extract_info dummy;
	struct pk_btf_extract_info *inf = info ? info : &dummy;
	struct stat st;
	void *map = MAP_FAILED;
	char *buf = NULL;
	size_t len;
	int fd, err;

	*btf = NULL;
	*btf_len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st)) {
		err = -errno;
		memset(inf, 0, sizeof(*inf));
		if (fd >= 0)
			close(fd);
		return pk_error__set(perr, err, "cannot open '%s': %s", path, strerror(-err));
	}
	if (S_ISREG(st.st_mode) && st.st_size > 0) {
		/* private and writable, so nothing a parser does can reach the file */
		map = mmap(NULL, st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	}
	close(fd);
	if (map != MAP_FAILED) {
		err = pk_btf_extract__mem(map, st.st_size, path, btf, btf_len, opts, inf, perr);
		munmap(map, st.st_size);
	} else {	/* pipes, and sysfs files that cannot be mapped: read them */
		err = pk_file__read(path, &buf, &len, 1UL << 30);
		if (err) {
			memset(inf, 0, sizeof(*inf));
			return pk_error__set(perr, err, "cannot read '%s': %s", path, strerror(-err));
		}
		err = pk_btf_extract__mem(buf, len, path, btf, btf_len, opts, inf, perr);
		free(buf);
	}
	return err;
}
