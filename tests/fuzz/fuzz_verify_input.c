/* libFuzzer target for what `probekit verify` reads from outside: kernel image
 * files and the guest's serial console with the selftest JSON it carries. */

/* Kernel image files (pk_kimg__probe: x86 boot header, ELF program headers and notes;
 * pk_kimg__write_btf: ELF sections and their names) and the guest's serial console
 * (pk_console__parse, then pk_vm_guest__parse on the selftest JSON it
 * found). The first byte picks the input:
 *   0: the rest is a kernel image file (written to a memfd, probed by path)
 *   1: the rest is a console log (no NUL terminator: the parser must respect len);
 *      nonce "f00d", so seeds can carry "PKV-BEGIN-f00d" markers
 *   2: the rest is guest selftest JSON
 *   3: the rest is an ELF vmlinux whose .BTF is copied out (pk_kimg__write_btf; seed
 *      elf-btf-name-wrap is the 32-bit sh_name wrap the review found) */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/mman.h>

#include "verify/console.h"
#include "verify/kimg.h"

static void image(const uint8_t *d, size_t n)
{
	struct pk_kimg k;
	struct pk_error err = { 0 };
	char path[64];
	int fd = memfd_create("fuzz-kimg", 0);

	if (fd < 0)
		return;
	if (n && write(fd, d, n) != (ssize_t)n) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	pk_kimg__probe(path, &k, &err);
	if (strnlen(k.version, sizeof(k.version)) == sizeof(k.version) ||
	    strnlen(k.release, sizeof(k.release)) == sizeof(k.release) ||
	    strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
		abort();	/* every string the caller prints must end */
	close(fd);
}

/* the .BTF copy goes to a directory of this process, removed at exit */
static char btf_dir[] = "/tmp/fuzz-kimg-btf-XXXXXX";

static void btf_dir_remove(void)
{
	rmdir(btf_dir);
}

static void btf(const uint8_t *d, size_t n)
{
	static bool made;
	struct pk_error err = { 0 };
	char path[64], out[64];
	int fd, rc;

	if (!made) {
		if (!mkdtemp(btf_dir))
			return;
		atexit(btf_dir_remove);
		made = true;
	}
	fd = memfd_create("fuzz-vmlinux", 0);
	if (fd < 0)
		return;
	if (n && write(fd, d, n) != (ssize_t)n) {
		close(fd);
		return;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	snprintf(out, sizeof(out), "%s/btf", btf_dir);
	rc = pk_kimg__write_btf(path, out, &err);
	if ((rc && !err.msg[0]) || strnlen(err.msg, sizeof(err.msg)) == sizeof(err.msg))
		abort();	/* every failure says why, in a string that ends */
	unlink(out);
	close(fd);
}

static void console(const uint8_t *d, size_t n)
{
	struct pk_vm_result r;
	struct pk_vm_guest g;
	char *log = malloc(n ? n : 1);	/* exactly n bytes: over-reads show */

	if (!log)
		return;
	memcpy(log, d, n);
	memset(&r, 0, sizeof(r));
	pk_console__parse(log, n, "f00d", &r);
	if (strnlen(r.tail, sizeof(r.tail)) == sizeof(r.tail) ||
	    strnlen(r.err.msg, sizeof(r.err.msg)) == sizeof(r.err.msg))
		abort();
	if (r.json)
		pk_vm_guest__parse(r.json, &g);
	pk_vm_result__free(&r);
	free(log);
}

static void guest_json(const uint8_t *d, size_t n)
{
	struct pk_vm_guest g;
	char *s = malloc(n + 1);

	if (!s)
		return;
	memcpy(s, d, n);
	s[n] = 0;
	pk_vm_guest__parse(s, &g);
	if (strnlen(g.candidate, sizeof(g.candidate)) == sizeof(g.candidate) ||
	    strnlen(g.btf, sizeof(g.btf)) == sizeof(g.btf) ||
	    strnlen(g.reason, sizeof(g.reason)) == sizeof(g.reason))
		abort();
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		image(data + 1, size - 1);
		break;
	case 1:
		console(data + 1, size - 1);
		break;
	case 2:
		guest_json(data + 1, size - 1);
		break;
	case 3:
		btf(data + 1, size - 1);
		break;
	}
	return 0;
}
