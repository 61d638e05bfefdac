/* Kernel images for probekit verify: probe a file (bzImage or PVH ELF vmlinux),
 * extract one from a .deb/.rpm, fetch debian:SUITE, unpack a bzImage's payload,
 * copy .BTF out. Untrusted files are read through bounded readers only; nothing
 * here prints. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <elf.h>

#include "btf/kernel_image.h"
#include "btf/package.h"
#include "common/bytes.h"
#include "common/elf.h"
#include "common/pk.h"
#include "common/child.h"
#include "verify/kimg.h"

#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define KIMG_MAX_VMLINUX (1ull << 30)	/* a decompressed kernel past 1 GiB is not one */

/* ---- files ---- */

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

/* ---- what a kernel file is ---- */

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

/* What the bytes of a kernel file are; k->path is the caller's. Shared by probe
 * (a mapped file) and unpack (a payload decompressed in memory). */
static int probe_mem(struct pk_kimg *k, const uint8_t *p, size_t len, struct pk_error *e)
{
	struct pk_kernel_image img;
	struct pk_elf elf;
	struct pk_elf_note note;

	if (pk_kernel_image__detect(p, len) == PK_KERNEL_IMAGE_BZIMAGE &&
	    !pk_kernel_image__parse(&img, p, len, NULL)) {
		k->kind = PK_KIMG_BZIMAGE;
		if (img.version)
			set_version(k, (const uint8_t *)img.version, img.version_max);
		if (img.boot_version < 0x208)
			return pk_error__set(e, -ENOEXEC, "boot protocol %u.%02u is older than 2.08",
					     img.boot_version >> 8, img.boot_version & 0xff);
		if (!(img.loadflags & 1))	/* LOADED_HIGH: a bzImage, not a zImage */
			return pk_error__set(e, -ENOEXEC, "zImage (not loaded high) is not supported");
		return 0;
	}
	if (pk_elf__is_elf64le(p, len) && !pk_elf__init(&elf, p, len, NULL) &&
	    elf.machine == EM_X86_64) {
		const uint8_t *v = memmem(p, len, "Linux version ", 14);

		k->kind = PK_KIMG_ELF;
		if (v)
			set_version(k, v + 14, len - (v + 14 - p));
		if (pk_elf__find_note(&elf, "Xen", XEN_ELFNOTE_PHYS32_ENTRY, &note))
			return pk_error__set(e, -ENOEXEC, "ELF vmlinux without a PVH entry note (CONFIG_PVH): QEMU cannot boot it");
		return 0;
	}
	return pk_error__set(e, -ENOEXEC,
			     "not a kernel image: no x86 boot header ('HdrS' at 0x202) and not an x86-64 ELF");
}

int pk_kimg__probe(const char *path, struct pk_kimg *k, struct pk_error *e)
{
	struct map m;
	int err;

	memset(k, 0, sizeof(*k));
	if (pk_strlcpy(k->path, path, sizeof(k->path)))
		return pk_error__set(e, -ENAMETOOLONG, "path too long");
	err = map_file(path, &m);
	if (err)
		return pk_error__set(e, err, "cannot read '%s': %s", path,
				     err == -EINVAL ? "not a regular file" : strerror(-err));
	err = probe_mem(k, m.p, m.len, e);
	unmap_file(&m);
	return err;
}

int pk_kimg__unpack(const struct pk_kimg *bz, const char *out, struct pk_kimg *elf,
		    struct pk_error *e)
{
	struct pk_kernel_image img;
	struct pk_error why = { 0 };
	void *vmlinux = NULL;
	size_t len = 0;
	struct map m;
	int err;

	memset(elf, 0, sizeof(*elf));
	if (bz->kind != PK_KIMG_BZIMAGE)
		return pk_error__set(e, -EINVAL, "not a bzImage");
	if (pk_strlcpy(elf->path, out, sizeof(elf->path)))
		return pk_error__set(e, -ENAMETOOLONG, "path too long");
	err = map_file(bz->path, &m);
	if (err)
		return pk_error__set(e, err, "cannot read '%s': %s", bz->path, strerror(-err));
	if (pk_kernel_image__parse(&img, m.p, m.len, NULL) ||
	    img.format != PK_KERNEL_IMAGE_BZIMAGE) {
		err = pk_error__set(e, -ENOEXEC, "'%s' is no longer a bzImage", bz->path);
		goto done;
	}
	/* in process: the reader checks the payload's bounds and caps the output */
	err = pk_kernel_image__decompress(&img, &vmlinux, &len, KIMG_MAX_VMLINUX, e);
	if (err)
		goto done;
	/* only a vmlinux QEMU can boot through PVH is worth a file */
	err = probe_mem(elf, vmlinux, len, &why);
	if (err == -ENOEXEC && elf->kind == PK_KIMG_ELF) {
		err = pk_error__set(e, -ENOTSUP, "%s", why.msg);
	} else if (err) {
		err = pk_error__set(e, -ENOTSUP, "the %s payload is not a vmlinux: %s",
				    pk_comp__name(img.comp), why.msg);
	} else {
		err = pk_file__write_atomic(out, vmlinux, len);
		if (err)
			pk_error__set(e, err, "cannot write '%s': %s", out, strerror(-err));
	}
	if (!err) {
		pk_strlcpy(elf->release, bz->release, sizeof(elf->release));
		pk_strlcpy(elf->version, bz->version, sizeof(elf->version));
	}
done:
	free(vmlinux);
	unmap_file(&m);
	return err;
}

int pk_kimg__write_btf(const char *vmlinux, const char *out, struct pk_error *e)
{
	struct pk_elf_section sec;
	struct pk_error why = { 0 };
	struct pk_elf elf;
	struct map m;
	int err = map_file(vmlinux, &m);

	if (err)
		return pk_error__set(e, err, "cannot read '%s': %s", vmlinux, strerror(-err));
	if (pk_elf__init(&elf, m.p, m.len, NULL) || !elf.shnum || !elf.shstr) {
		err = pk_error__set(e, -ENOEXEC, "'%s': not a 64-bit ELF with sections", vmlinux);
		goto done;
	}
	/* the reader bounds every name by its table in 64-bit arithmetic: a crafted
	 * sh_name cannot wrap past the check (the old 32-bit sum did) */
	err = pk_elf__find_section(&elf, ".BTF", &sec, &why);
	if (err == -EBADMSG) {
		err = pk_error__set(e, -ENOEXEC, "'%s': bad section table: %s", vmlinux, why.msg);
		goto done;
	}
	if (err || sec.type == SHT_NOBITS || !sec.data || sec.size < 24 ||
	    pk_le16(sec.data) != 0xeb9f) {
		err = pk_error__set(e, -ENOENT, "kernel has no .BTF section (CONFIG_DEBUG_INFO_BTF off)");
		goto done;
	}
	err = pk_file__write_atomic(out, sec.data, sec.size);
	if (err)
		pk_error__set(e, err, "cannot write '%s': %s", out, strerror(-err));
done:
	unmap_file(&m);
	return err;
}

/* ---- where a kernel comes from ---- */

int pk_kimg__from_package(const char *pkg, const char *dir, char *out, size_t out_len,
			  struct pk_error *e)
{
	static const char *const images[] = { "boot/vmlinuz-*", "lib/modules/*/vmlinuz", "usr/lib/modules/*/vmlinuz",
					      "boot/vmlinux-*", NULL };

	/* 0: package.c's cap, 256 MiB; -ENOENT says "package 'p' has no member boot/vmlinuz-*
	 * (or the like)" */
	return pk_package__extract(pkg, images, dir, 0, out, out_len, e);
}

int pk_kimg__fetch(const char *spec, const char *script, char *out, size_t out_len,
		   struct pk_error *e)
{
	static const char sh[] = "bash \"$1\" fetch \"$2\" 2>&1";
	char arg[256], line[256] = "", *text = NULL, *l, *save = NULL;
	const char *rest = spec + 7;	/* after "debian:" */
	int st, err = -ENOENT;

	if (strncmp(spec, "debian:", 7) || !*rest)
		return pk_error__set(e, -EINVAL, "'%s': expected debian:SUITE or debian:SUITE:PACKAGE",
				     spec);
	snprintf(arg, sizeof(arg), "%s%s", rest, strchr(rest, ':') ? "" : ":latest");
	if (access(script, R_OK))
		return pk_error__set(e, -ENOENT, "cannot read '%s' (set PROBEKIT_KERNEL_CORPUS)", script);
	st = pk_child__sh(sh, script, arg, &text);
	for (l = text ? strtok_r(text, "\n", &save) : NULL; l; l = strtok_r(NULL, "\n", &save)) {
		size_t n = strlen(l);

		if (n > 4 && !strcmp(l + n - 4, ".deb") && !access(l, R_OK))
			err = pk_strlcpy(out, l, out_len);
		else if (*l)
			pk_strlcpy(line, l, sizeof(line));
	}
	if (err == -ENAMETOOLONG)
		pk_error__set(e, err, "path too long");
	else if (err == -ENOENT)
		pk_error__set(e, err, "kernel-corpus.sh fetch %s failed (status %d): %s", arg,
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
