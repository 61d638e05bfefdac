/* The guest's initramfs for probekit verify, written here as a newc cpio (no
 * cpio tool on the host needed): fixed directories and device nodes, busybox,
 * the agent with the libraries ldd names, and the /init script. Never prints. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "common/pk.h"
#include "common/child.h"
#include "verify/initramfs.h"

#define SELFCHECK_TIMEOUT_S 30

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

static int cpio_file(struct cpio *c, const char *name, const char *src, struct pk_error *e)
{
	struct stat st;
	char *data = NULL;
	size_t len = 0;
	int err;

	if (stat(src, &st))
		return pk_error__set(e, -errno, "cannot read '%s': %s", src, strerror(errno));
	err = pk_file__read(src, &data, &len, 1u << 30);
	if (err)
		return pk_error__set(e, err, "cannot read '%s': %s", src, strerror(-err));
	cpio_data(c, name, st.st_mode & 0777, data, len);
	free(data);
	return 0;
}

/* the shared libraries (and loader) ldd names for bin, added at their paths */
static int cpio_libs(struct cpio *c, const char *bin, struct pk_error *e)
{
	char *argv[] = { "ldd", (char *)bin, NULL };
	char *text = NULL, *line, *save = NULL;
	int st, err = 0;

	st = pk_child__run(argv, NULL, NULL, &text);
	if (st < 0)
		return pk_error__set(e, st, "cannot run ldd: %s", strerror(-st));
	if (!text || strstr(text, "not a dynamic executable") || strstr(text, "statically linked")) {
		free(text);
		return 0;
	}
	for (line = strtok_r(text, "\n", &save); line && !err; line = strtok_r(NULL, "\n", &save)) {
		char *p = strstr(line, "=> "), *addr;

		if (strstr(line, "not found")) {
			err = pk_error__set(e, -ENOENT, "ldd %s: %s", bin, line + strspn(line, " \t"));
			break;
		}
		p = p ? p + 3 : line + strspn(line, " \t");
		if (*p != '/')
			continue;	/* linux-vdso.so.1 */
		addr = strstr(p, " (");	/* " (0x7f...)": the load address */
		if (addr)
			*addr = 0;
		err = cpio_file(c, p + 1, p, e);
	}
	free(text);
	return err;
}

/* every regular file under src (links and special files skipped) as name/... */
static int cpio_tree(struct cpio *c, const char *name, const char *src, int depth, struct pk_error *e)
{
	DIR *d;
	struct dirent *de;
	int err = 0;

	if (depth > 12)
		return pk_error__set(e, -ELOOP, "'%s': directories nested too deep", src);
	d = opendir(src);
	if (!d)
		return pk_error__set(e, -errno, "cannot open '%s': %s", src, strerror(errno));
	while (!err && (de = readdir(d))) {
		char s[PATH_MAX], n[PATH_MAX];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		if ((size_t)snprintf(s, sizeof(s), "%s/%s", src, de->d_name) >= sizeof(s) ||
		    (size_t)snprintf(n, sizeof(n), "%s/%s", name, de->d_name) >= sizeof(n)) {
			err = pk_error__set(e, -ENAMETOOLONG, "'%s/%s': path too long", src, de->d_name);
			break;
		}
		if (lstat(s, &st)) {
			err = pk_error__set(e, -errno, "cannot read '%s': %s", s, strerror(errno));
			break;
		}
		if (S_ISDIR(st.st_mode))
			err = cpio_tree(c, n, s, depth + 1, e);
		else if (S_ISREG(st.st_mode))
			err = cpio_file(c, n, s, e);
	}
	closedir(d);
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
	"legacy|repo)\n"
	"\t# only the repository in /pk/repo and its key: sysfs BTF hidden, the\n"
	"\t# embedded objects and BTF not allowed, an empty cache\n"
	"\tmount -t tmpfs -o size=4k,mode=0755 tmpfs /sys/kernel/btf 2>/dev/null\n"
	"\t[ -e /sys/kernel/btf/vmlinux ] && say '/sys/kernel/btf/vmlinux is still visible'\n"
	"\tc=repo-legacy; [ \"$mode\" = repo ] && c=repo-reduced-btf,repo-legacy\n"
	"\tset -- \"$@\" --repo /pk/repo --repo-key /pk/repo.pub --cache /tmp/pk-cache --candidates $c\n"
	"\t[ -e /pk/allow-expired ] && set -- \"$@\" --allow-expired;;\n"
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

int pk_initramfs__build(const char *out, const struct pk_initramfs_opts *opts, struct pk_error *e)
{
	static const char *const bb_paths[] = { "/bin/busybox", "/usr/bin/busybox", "/sbin/busybox" };
	static const char *const dirs[] = { "bin", "sbin", "usr/bin", "usr/sbin", "proc", "sys", "dev",
					    "tmp", "run", "etc", "pk", "root" };
	const char *bb = PK_OPTS_GET(opts, busybox, NULL);
	const char *probekit = PK_OPTS_GET(opts, probekit, NULL);
	const char *probe_obj = PK_OPTS_GET(opts, probe_obj, NULL);
	const char *btf_file = PK_OPTS_GET(opts, btf_file, NULL);
	const char *os_release = PK_OPTS_GET(opts, os_release, NULL);
	const char *repo_dir = PK_OPTS_GET(opts, repo_dir, NULL);
	const char *repo_key = PK_OPTS_GET(opts, repo_key, NULL);
	const char *nonce = PK_OPTS_GET(opts, nonce, NULL);
	double sct_s = PK_OPTS_GET(opts, selfcheck_timeout_s, 0.0);
	char tmp[PATH_MAX], sct[32], *s1 = NULL, *s2 = NULL;
	struct cpio *c;
	size_t i;
	int fd, err = 0;

	if (!PK_OPTS_VALID(opts, struct pk_initramfs_opts))
		return pk_error__set(e, -EINVAL, "initramfs: options this library does not know");
	if (!bb || !*bb)
		bb = getenv("PROBEKIT_BUSYBOX");
	for (i = 0; (!bb || !*bb) && i < PK_ARRAY_SIZE(bb_paths); i++)
		if (!access(bb_paths[i], X_OK))
			bb = bb_paths[i];
	if (!bb || !*bb)
		return pk_error__set(e, -ENOENT, "no busybox (install busybox-static or set PROBEKIT_BUSYBOX)");
	if (!probekit)
		return pk_error__set(e, -EINVAL, "no probekit binary given");
	c = calloc(1, sizeof(*c));
	if (!c)
		return pk_error__set(e, -ENOMEM, "out of memory");
	/* a fresh name beside out (mkostemp: O_EXCL), as pk_file__write_atomic does: we
	 * run as root, and a fixed name could be someone's symlink */
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp.XXXXXX", out) >= sizeof(tmp)) {
		free(c);
		return pk_error__set(e, -ENAMETOOLONG, "'%s': path too long", out);
	}
	fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0 || fchmod(fd, 0644) || !(c->f = fdopen(fd, "w"))) {
		err = pk_error__set(e, -errno, "cannot write '%s': %s", tmp, strerror(errno));
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
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
	err = cpio_file(c, "bin/busybox", bb, e);
	if (!err)
		err = cpio_libs(c, bb, e);
	if (!err)
		err = cpio_file(c, "bin/probekit", probekit, e);
	if (!err)
		err = cpio_libs(c, probekit, e);
	if (!err && probe_obj)
		err = cpio_file(c, "pk/probe.o", probe_obj, e);
	if (!err && btf_file)
		err = cpio_file(c, "pk/vmlinux.btf", btf_file, e);
	if (!err && os_release)
		cpio_data(c, "etc/os-release", 0644, os_release, strlen(os_release));
	if (!err && repo_dir)
		err = cpio_tree(c, "pk/repo", repo_dir, 0, e);
	if (!err && repo_key)
		err = cpio_file(c, "pk/repo.pub", repo_key, e);
	if (!err && PK_OPTS_GET(opts, allow_expired, false))
		cpio_data(c, "pk/allow-expired", 0644, "", 0);
	if (!err) {
		snprintf(sct, sizeof(sct), "%g", sct_s > 0 ? sct_s : SELFCHECK_TIMEOUT_S);
		s1 = subst(init_script, "@NONCE@", nonce ? nonce : "0");
		s2 = s1 ? subst(s1, "@SCT@", sct) : NULL;
		if (!s2)
			err = pk_error__set(e, -ENOMEM, "out of memory");
		else
			cpio_data(c, "init", 0755, s2, strlen(s2));
	}
	cpio_entry(c, "TRAILER!!!", 0, NULL, 0, 0, 0);
	if (!err && c->err)
		err = pk_error__set(e, c->err, "cannot write '%s': %s", tmp, strerror(-c->err));
	if (!err && (fflush(c->f) || fsync(fileno(c->f))))
		err = pk_error__set(e, -errno, "cannot write '%s': %s", tmp, strerror(errno));
	if (fclose(c->f) && !err)
		err = pk_error__set(e, -errno, "cannot write '%s': %s", tmp, strerror(errno));
	if (!err && rename(tmp, out))
		err = pk_error__set(e, -errno, "cannot rename to '%s': %s", out, strerror(errno));
	if (err)
		unlink(tmp);
	free(s1);
	free(s2);
	free(c);
	return err;
}

