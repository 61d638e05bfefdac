/* Host detection: uname, os-release, falco-style target id and falcoctl's
 * kernelrelease/kernelversion, where kernel BTF is, privileges. The parsers take untrusted bytes (never NUL-terminated,
 * never trusted to be well formed); nothing here prints or exits: a parser says
 * why it rejected its input in the caller's struct pk_error. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/utsname.h>
#include <linux/capability.h>

#include "agent/host.h"
#include "common/pk.h"

#define OS_RELEASE_MAX	(64 * 1024)
#define STATUS_MAX	(64 * 1024)

/* ---- /etc/os-release ---------------------------------------------------- */

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool is_key_char(char c, bool first)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_')
		return true;
	return !first && c >= '0' && c <= '9';
}

/* decoded value: kept up to the field's size, the full length counted */
struct osr_value {
	char buf[128];
	size_t len;
};

static void val_put(struct osr_value *v, char c)
{
	if (v->len < sizeof(v->buf) - 1)
		v->buf[v->len] = c;
	v->len++;
}

/* One line without its '\n'. Shell rules, the subset os-release(5) uses:
 * "..." with \$ \` \" \\ escapes, '...' literal, bare words with \x escapes,
 * segments concatenate, a quote must close on its own line. */
static int osr_line(const char *s, size_t n, unsigned int line, struct pk_os_release *out,
		    struct pk_error *err)
{
	struct { const char *key; char *dst; size_t size; } fields[] = {
		{ "ID", out->id, sizeof(out->id) },
		{ "VERSION_ID", out->version_id, sizeof(out->version_id) },
		{ "VARIANT_ID", out->variant_id, sizeof(out->variant_id) },
		{ "PRETTY_NAME", out->pretty_name, sizeof(out->pretty_name) },
	};
	struct osr_value v = { .len = 0 };
	const char *eq;
	size_t i = 0, k, klen;

	if (memchr(s, 0, n))
		return pk_error__set(err, -EINVAL, "line %u: NUL byte", line);
	while (i < n && is_blank(s[i]))
		i++;
	if (i == n || s[i] == '#')
		return 0;

	eq = memchr(s + i, '=', n - i);
	if (!eq)
		return pk_error__set(err, -EINVAL, "line %u: expected KEY=value", line);
	k = i;
	klen = eq - (s + k);
	if (!klen)
		return pk_error__set(err, -EINVAL, "line %u: empty key", line);
	for (i = k; i < k + klen; i++)
		if (!is_key_char(s[i], i == k))
			return pk_error__set(err, -EINVAL, "line %u: invalid character in key", line);

	for (i = k + klen + 1; i < n;) {
		char c = s[i];

		if (c == '"') {
			for (i++; i < n && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < n && s[i + 1] && strchr("$`\"\\", s[i + 1]))
					i++;
				val_put(&v, s[i]);
			}
			if (i == n)
				return pk_error__set(err, -EINVAL, "line %u: unterminated quote", line);
			i++;
		} else if (c == '\'') {
			for (i++; i < n && s[i] != '\''; i++)
				val_put(&v, s[i]);
			if (i == n)
				return pk_error__set(err, -EINVAL, "line %u: unterminated quote", line);
			i++;
		} else if (c == '\\') {
			if (i + 1 == n)
				return pk_error__set(err, -EINVAL, "line %u: backslash at end of line", line);
			val_put(&v, s[i + 1]);
			i += 2;
		} else if (is_blank(c)) {
			break;
		} else {
			val_put(&v, c);
			i++;
		}
	}
	while (i < n && is_blank(s[i]))
		i++;
	if (i < n && s[i] != '#')
		return pk_error__set(err, -EINVAL, "line %u: unquoted space in value", line);

	for (size_t f = 0; f < PK_ARRAY_SIZE(fields); f++) {
		if (strlen(fields[f].key) != klen || memcmp(fields[f].key, s + k, klen))
			continue;
		if (v.len >= fields[f].size)
			return pk_error__set(err, -EINVAL, "line %u: %s value too long (max %zu bytes)", line,
					fields[f].key, fields[f].size - 1);
		memcpy(fields[f].dst, v.buf, v.len);
		fields[f].dst[v.len] = 0;
		if (fields[f].dst == out->id)
			for (char *p = out->id; *p; p++)
				*p = tolower((unsigned char)*p);
	}
	return 0;
}

int pk_os_release__parse(const char *buf, size_t len, struct pk_os_release *out,
			  struct pk_error *err)
{
	unsigned int line = 0;
	size_t pos = 0;
	int rc;

	if (!out)
		return pk_error__set(err, -EINVAL, "no output");
	memset(out, 0, sizeof(*out));
	if (!buf && len)
		return pk_error__set(err, -EINVAL, "line 0: no buffer");
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len;

		rc = osr_line(buf + pos, end - pos, ++line, out, err);
		if (rc) {
			/* all or nothing: no half-parsed fields */
			memset(out, 0, sizeof(*out));
			return rc;
		}
		pos = end + 1;
	}
	return 0;
}

/* ---- uname -v, target id ------------------------------------------------ */

/* falco-driver-loader: uname -v | sed 's/#\([[:digit:]]\+\).*\/\1/' */
int pk_kernel_version__parse(const char *uname_v, char *out, size_t size)
{
	size_t n = 0;

	if (!uname_v || !out || !size || uname_v[0] != '#')
		return -EINVAL;
	while (isdigit((unsigned char)uname_v[1 + n]))
		n++;
	if (!n)
		return -EINVAL;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(out, uname_v + 1, n);
	out[n] = 0;
	return 0;
}

/* Ubuntu flavor: the first "-<letters>" that is followed by '-' or the end,
 * i.e. the leftmost match of falco's -([a-zA-Z]+)(-.*)?$ on the release.
 * 5.15.0-1019-aws -> aws, 5.0.0-1028-aws-5.0 -> aws, 5.4.0-100-generic -> generic.
 * falcoctl matches against driverkit's FullExtraversion, which holds every
 * '-' of a parseable release, so the result is the same. */
static size_t ubuntu_flavor(const char *rel, const char **flavor)
{
	for (const char *p = rel ? strchr(rel, '-') : NULL; p; p = strchr(p + 1, '-')) {
		size_t n = 0;

		while (isalpha((unsigned char)p[1 + n]))
			n++;
		if (n && (p[1 + n] == '-' || p[1 + n] == 0)) {
			*flavor = p + 1;
			return n;
		}
	}
	*flavor = "generic";
	return strlen(*flavor);
}

/* Rules from falcoctl pkg/driver/distro/: distro.go (lowercased os-release ID,
 * generic.go: the target id is that ID), ubuntu.go (ubuntu-<flavor>), amzn.go
 * (amazonlinux2/2022/2023/amazonlinux by VERSION_ID). debian, centos, rhel,
 * fedora, cos, flatcar, bottlerocket, talos, ol, opensuse-* (no special case in
 * falcoctl) keep their ID; their quirks are in the kernel release/version, not
 * the target id. minikube is picked by /etc/VERSION, see pk_host__detect. */
int pk_target_id__format(const char *os_id, const char *version_id, const char *kernel_release,
			 char *out, size_t size)
{
	char id[64];
	size_t n;

	if (!out || !size)
		return -EINVAL;
	out[0] = 0;
	if (!os_id || !os_id[0])
		return -EINVAL;
	n = strlen(os_id);
	if (n >= sizeof(id))
		return -EINVAL;
	/* os-release(5) allows 0-9 a-z . _ -; anything else could escape a
	 * file name or URL the target id ends up in */
	for (size_t i = 0; i <= n; i++) {
		id[i] = tolower((unsigned char)os_id[i]);
		if (i < n && !isdigit((unsigned char)id[i]) && !(id[i] >= 'a' && id[i] <= 'z') &&
		    !strchr("._-", id[i]))
			return -EINVAL;
	}
	if (!version_id)
		version_id = "";

	if (!strcmp(id, "ubuntu")) {
		const char *flavor;
		size_t fl = ubuntu_flavor(kernel_release, &flavor);

		if ((size_t)snprintf(out, size, "ubuntu-%.*s", (int)fl, flavor) >= size)
			return -ENAMETOOLONG;
		return 0;
	}
	if (!strcmp(id, "amzn")) {
		const char *t = "amazonlinux";

		if (!strcmp(version_id, "2"))
			t = "amazonlinux2";
		else if (!strcmp(version_id, "2022"))
			t = "amazonlinux2022";
		else if (!strcmp(version_id, "2023"))
			t = "amazonlinux2023";
		return pk_strlcpy(out, t, size);
	}
	return pk_strlcpy(out, id, size);
}

/* ---- falcoctl's kernelrelease / kernelversion ------------------------------ */

/* The leftmost match of \d+\.\d+\.\d+-\d+ (seps "..-"), or of \d+(\.\d+){2}
 * (seps ".."), each \d+ as long as it goes, as RE2 finds it: its start and
 * length, 0 when none. A start inside a run of digits fails exactly as the run's
 * first digit did, so only run starts are tried: linear in the input. */
static size_t find_dotted(const char *s, const char *seps, const char **start)
{
	size_t groups = strlen(seps) + 1;

	for (const char *p = s; *p; p++) {
		const char *q = p;

		if (!isdigit((unsigned char)*p) || (p > s && isdigit((unsigned char)p[-1])))
			continue;
		for (size_t g = 0;; g++) {
			while (isdigit((unsigned char)*q))
				q++;
			if (g + 1 == groups) {
				*start = p;
				return q - p;
			}
			if (*q != seps[g] || !isdigit((unsigned char)q[1]))
				break;
			q++;
		}
	}
	return 0;
}

/* falcoctl debian.go: the leftmost -?(rt-|cloud-|)(amd64|arm64) in the release,
 * rebuilt as "-<flavor><arch>"; "" when there is none */
static void debian_arch_extra(const char *rel, char *out, size_t size)
{
	static const char *const flavors[] = { "rt-", "cloud-", "" };
	static const char *const arches[] = { "amd64", "arm64" };

	out[0] = 0;
	for (const char *p = rel; *p; p++) {
		const char *q = *p == '-' ? p + 1 : p;

		for (size_t f = 0; f < PK_ARRAY_SIZE(flavors); f++) {
			size_t fl = strlen(flavors[f]);

			if (strncmp(q, flavors[f], fl))
				continue;
			for (size_t a = 0; a < PK_ARRAY_SIZE(arches); a++) {
				if (!strncmp(q + fl, arches[a], strlen(arches[a]))) {
					snprintf(out, size, "-%s%s", flavors[f], arches[a]);
					return;
				}
			}
		}
	}
}

/* falcoctl ubuntu.go: "#111~20.04.1-Ubuntu SMP ..." -> "111~20.04.1" */
static int ubuntu_kernel_version(const char *uname_v, char *out, size_t size)
{
	size_t n;

	while (*uname_v == '#')
		uname_v++;
	n = strcspn(uname_v, " ");
	if (n >= 7 && !memcmp(uname_v + n - 7, "-Ubuntu", 7))
		n -= 7;
	if (!n)
		return -EINVAL;
	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(out, uname_v, n);
	out[n] = 0;
	return 0;
}

/* a value from the host for a message: at most 64 bytes, unprintables as '?' */
static const char *shown(const char *s, char buf[68])
{
	size_t i = 0;

	for (; s && s[i] && i < 64; i++)
		buf[i] = s[i] > ' ' && s[i] < 127 ? s[i] : '?';
	buf[i] = 0;
	if (s && s[i])
		strcpy(buf + i, "...");
	return buf;
}

__attribute__((format(printf, 4, 5)))
static int put(char *dst, size_t size, struct pk_error *err, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		return pk_error__set(err, -ENAMETOOLONG, "name longer than %zu bytes", size - 1);
	return 0;
}

int pk_falco_names__compute(const char *target_id, const struct pk_os_release *os,
			    const char *uname_r, const char *uname_v, const char *etc_version,
			    struct pk_falco_names *out, struct pk_error *err)
{
	const char *t = target_id ? target_id : "", *vid = os ? os->version_id : "";
	char *kr, *kv, show[68];
	size_t krs, kvs;
	int r;

	if (!out)
		return pk_error__set(err, -EINVAL, "no output");
	memset(out, 0, sizeof(*out));
	kr = out->kernelrelease, krs = sizeof(out->kernelrelease);
	kv = out->kernelversion, kvs = sizeof(out->kernelversion);
	if (!uname_r || !uname_r[0])
		return pk_error__set(err, -EINVAL, "no kernel release (uname -r)");
	if (!uname_v)
		uname_v = "";

	r = put(kr, krs, err, "%s", uname_r);
	if (!r && !strncmp(t, "ubuntu-", 7)) {
		r = ubuntu_kernel_version(uname_v, kv, kvs);
		if (r)
			r = pk_error__set(err, r, "uname -v '%s' has no Ubuntu kernel version (#N...)",
					  shown(uname_v, show));
	} else if (!r && !strcmp(t, "debian")) {
		/* uname -r names the ABI (5.10.0-0.deb10.22-rt-amd64); the package
		 * version in uname -v names the kernel (Debian 5.10.178-3) */
		const char *v = NULL;
		size_t n = find_dotted(uname_v, "..-", &v);
		char extra[16];

		if (n) {
			debian_arch_extra(uname_r, extra, sizeof(extra));
			r = put(kr, krs, err, "%.*s%s", (int)n, v, extra);
			if (!r)
				r = put(kv, kvs, err, "1");
		} else {
			r = pk_kernel_version__parse(uname_v, kv, kvs);
			if (r)
				r = pk_error__set(err, r, "uname -v '%s' holds neither a Debian version (d.d.d-d) nor #N",
						  shown(uname_v, show));
		}
	} else if (!r && !strcmp(t, "bottlerocket")) {
		const char *var = os ? os->variant_id : "";

		if (!vid[0] || !var[0])
			r = pk_error__set(err, -EINVAL, "bottlerocket: os-release has no %s",
					  vid[0] ? "VARIANT_ID" : "VERSION_ID");
		else
			r = put(kv, kvs, err, "1_%s-%.*s", vid, (int)strcspn(var, "-"), var);
	} else if (!r && !strcmp(t, "minikube")) {
		const char *v = NULL;
		size_t n = etc_version ? find_dotted(etc_version, "..", &v) : 0;

		if (!n)
			r = pk_error__set(err, -EINVAL, "minikube: /etc/VERSION holds no x.y.z version");
		else
			r = put(kv, kvs, err, "1_%.*s", (int)n, v);
	} else if (!r && !strcmp(t, "talos")) {
		if (!vid[0])
			r = pk_error__set(err, -EINVAL, "talos: os-release has no VERSION_ID");
		else
			r = put(kv, kvs, err, "1_%s", vid);
	} else if (!r) {
		r = pk_kernel_version__parse(uname_v, kv, kvs);
		if (r)
			r = pk_error__set(err, r, "uname -v '%s' does not start with #N", shown(uname_v, show));
	}
	if (!r && !strcmp(t, "flatcar")) {
		/* Flatcar's kernel is named by the OS release it ships in */
		if (!vid[0])
			r = pk_error__set(err, -EINVAL, "flatcar: os-release has no VERSION_ID");
		else
			r = put(kr, krs, err, "%s", vid);
	}
	if (r)
		memset(out, 0, sizeof(*out));
	return r;
}

/* ---- /proc/self/status -------------------------------------------------- */

int pk_proc_status__parse_cap_eff(const char *buf, size_t len, uint64_t *cap_eff)
{
	static const char key[] = "CapEff:";
	size_t pos = 0;

	if (!buf || !cap_eff)
		return -EINVAL;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		size_t end = nl ? (size_t)(nl - buf) : len, i = pos + sizeof(key) - 1;
		uint64_t v = 0;
		int digits = 0;

		if (end - pos < sizeof(key) - 1 || memcmp(buf + pos, key, sizeof(key) - 1)) {
			pos = end + 1;
			continue;
		}
		while (i < end && is_blank(buf[i]))
			i++;
		for (; i < end && isxdigit((unsigned char)buf[i]); i++, digits++) {
			char c = tolower((unsigned char)buf[i]);

			if (digits == 16)
				return -EINVAL;
			v = v << 4 | (uint64_t)(c <= '9' ? c - '0' : c - 'a' + 10);
		}
		while (i < end && is_blank(buf[i]))
			i++;
		if (!digits || i != end)
			return -EINVAL;
		*cap_eff = v;
		return 0;
	}
	return -ENOENT;
}

/* ---- detection ------------------------------------------------------------ */

/* root + formatted path; root NULL, "" or "/" means none */
__attribute__((format(printf, 4, 5)))
static int root_path(char *dst, size_t size, const char *root, const char *fmt, ...)
{
	size_t rl = root ? strlen(root) : 0, pl;
	va_list ap;
	int n;

	while (rl && root[rl - 1] == '/')
		rl--;
	if (rl >= size)
		return -ENAMETOOLONG;
	if (rl)
		memcpy(dst, root, rl);
	va_start(ap, fmt);
	n = vsnprintf(dst + rl, size - rl, fmt, ap);
	va_end(ap);
	pl = n < 0 ? size : (size_t)n;
	return pl >= size - rl ? -ENAMETOOLONG : 0;
}

static int read_rooted(const char *root, const char *path, size_t max, char **data, size_t *len)
{
	char p[4096];
	int err = root_path(p, sizeof(p), root, "%s", path);

	return err ? err : pk_file__read(p, data, len, max);
}

static void detect_os_release(struct pk_host *h, const char *root)
{
	const char *path = "/etc/os-release";
	char *data = NULL;
	size_t len = 0;
	int err;

	/* os-release(5): /usr/lib/os-release only when /etc/os-release does not exist */
	err = read_rooted(root, path, OS_RELEASE_MAX, &data, &len);
	if (err == -ENOENT) {
		path = "/usr/lib/os-release";
		err = read_rooted(root, path, OS_RELEASE_MAX, &data, &len);
	}
	if (err) {
		pk_debug("host: no os-release (%s: %s)\n", path, strerror(-err));
		if (err != -ENOENT)
			pk_error__set(&h->os_error, err, "%s: %s", path, strerror(-err));
		return;
	}
	err = pk_os_release__parse(data, len, &h->os, &h->os_error);
	if (err)
		pk_debug("host: ignoring %s: %s\n", path, pk_error__str(&h->os_error));
	free(data);
}

static bool rooted_exists(const char *root, const char *path)
{
	char p[4096];

	return !root_path(p, sizeof(p), root, "%s", path) && access(p, F_OK) == 0;
}

/* falcoctl minikube.go: /etc/VERSION matching (\d+(\.\d+){2}) means minikube;
 * the text (malloc'd) when it does, else NULL */
static char *minikube_version(const char *root)
{
	const char *v;
	char *data = NULL;
	size_t len = 0;

	if (read_rooted(root, "/etc/VERSION", 4096, &data, &len))
		return NULL;
	if (find_dotted(data, "..", &v))
		return data;
	free(data);
	return NULL;
}

static void detect_target_id(struct pk_host *h, const char *root, const char *etc_version)
{
	/* falcoctl distro.go Discover(): without os-release, probe release files */
	static const struct { const char *file, *id; } fallback[] = {
		{ "/etc/centos-release", "centos" },	/* before rhel: CentOS has both */
		{ "/etc/redhat-release", "rhel" },
		{ "/etc/debian_version", "debian" },
	};
	const char *id = h->os.id;
	int err;

	if (id[0] && etc_version)
		id = "minikube";
	for (size_t i = 0; !id[0] && i < PK_ARRAY_SIZE(fallback); i++)
		if (rooted_exists(root, fallback[i].file))
			id = fallback[i].id;
	if (!id[0])
		return;
	err = pk_target_id__format(id, h->os.version_id, h->kernel_release, h->target_id,
				   sizeof(h->target_id));
	if (err) {
		pk_debug("host: no target id for os id '%s': %s\n", id, strerror(-err));
		h->target_id[0] = 0;
	}
}

/* libbpf 1.1 btf__load_vmlinux_btf(): sysfs first, then these, in this order */
static const char *const btf_file_locations[] = {
	"/boot/vmlinux-%1$s",
	"/lib/modules/%1$s/vmlinux-%1$s",
	"/lib/modules/%1$s/build/vmlinux",
	"/usr/lib/modules/%1$s/kernel/vmlinux",
	"/usr/lib/debug/boot/vmlinux-%1$s",
	"/usr/lib/debug/boot/vmlinux-%1$s.debug",
	"/usr/lib/debug/lib/modules/%1$s/vmlinux",
};

static bool readable(const char *path)
{
	return faccessat(AT_FDCWD, path, R_OK, AT_EACCESS) == 0;
}

static void detect_btf(struct pk_host *h, const char *root)
{
	char p[sizeof(h->btf_path)];

	h->btf_source = PK_KERNEL_BTF_NONE;
	h->btf_path[0] = 0;
	if (!root_path(p, sizeof(p), root, "/sys/kernel/btf/vmlinux") && readable(p)) {
		h->btf_source = PK_KERNEL_BTF_SYSFS;
		pk_strlcpy(h->btf_path, p, sizeof(h->btf_path));
		return;
	}
	for (size_t i = 0; i < PK_ARRAY_SIZE(btf_file_locations); i++) {
		char rel[sizeof(p)];

		if ((size_t)snprintf(rel, sizeof(rel), btf_file_locations[i], h->kernel_release) >=
		    sizeof(rel))
			continue;
		if (root_path(p, sizeof(p), root, "%s", rel)) {
			pk_debug("host: BTF path too long under '%s'\n", root);
			continue;
		}
		if (readable(p)) {
			h->btf_source = PK_KERNEL_BTF_FILE;
			pk_strlcpy(h->btf_path, p, sizeof(h->btf_path));
			return;
		}
	}
}

int pk_lockdown__parse(const char *buf, size_t len, char *out, size_t size)
{
	const char *open = NULL, *close = NULL;

	if (!buf || !out || !size)
		return -EINVAL;
	out[0] = 0;
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '[') {
			if (open)
				return -EINVAL;
			open = buf + i;
		} else if (buf[i] == ']') {
			if (!open || close)
				return -EINVAL;
			close = buf + i;
		} else if (open && !close && !islower((unsigned char)buf[i])) {
			return -EINVAL;
		}
	}
	if (!open || !close || close == open + 1 || (size_t)(close - open - 1) >= size)
		return -EINVAL;
	memcpy(out, open + 1, close - open - 1);
	out[close - open - 1] = 0;
	return 0;
}

static void detect_lockdown(struct pk_host *h, const char *root)
{
	char *data = NULL;
	size_t len = 0;
	int err;

	err = read_rooted(root, "/sys/kernel/security/lockdown", 256, &data, &len);
	if (!err)
		err = pk_lockdown__parse(data, len, h->lockdown, sizeof(h->lockdown));
	free(data);
	if (err)
		pk_debug("host: kernel lockdown mode unknown: %s\n", strerror(-err));
}

static void detect_privileges(struct pk_host *h, const char *root)
{
	uint64_t caps = 0;
	char *data = NULL;
	size_t len = 0;
	int err;

	h->is_root = geteuid() == 0;
	err = read_rooted(root, "/proc/self/status", STATUS_MAX, &data, &len);
	if (!err)
		err = pk_proc_status__parse_cap_eff(data, len, &caps);
	free(data);
	if (err) {
		pk_debug("host: cannot read CapEff from /proc/self/status: %s\n", strerror(-err));
		return;
	}
	h->cap_sys_admin = caps >> CAP_SYS_ADMIN & 1;
	h->cap_perfmon = caps >> CAP_PERFMON & 1;
	h->cap_bpf = caps >> CAP_BPF & 1;
}

static void detect_falco_names(struct pk_host *h, const char *etc_version)
{
	int err = pk_falco_names__compute(h->target_id, &h->os, h->kernel_release, h->uname_version,
					  etc_version, &h->falco, &h->falco_error);

	if (err)
		pk_debug("host: no falco kernel names: %s\n", pk_error__str(&h->falco_error));
}

int pk_host__detect(struct pk_host *h, const struct pk_host_opts *opts)
{
	const char *root = NULL, *os_root, *ur, *uv, *um;
	char *etc_version;
	struct utsname u;

	if (!h)
		return -EINVAL;
	if (!PK_OPTS_VALID(opts, struct pk_host_opts))
		return -EINVAL;
	root = PK_OPTS_GET(opts, root, NULL);
	os_root = PK_OPTS_GET(opts, os_root, NULL);
	if (!os_root)
		os_root = root;
	ur = PK_OPTS_GET(opts, uname_r, NULL);
	uv = PK_OPTS_GET(opts, uname_v, NULL);
	um = PK_OPTS_GET(opts, machine, NULL);
	/* uname(2)'s own limit: 64 bytes each */
	if ((ur && strlen(ur) >= sizeof(h->kernel_release)) ||
	    (uv && strlen(uv) >= sizeof(h->uname_version)) || (um && strlen(um) >= sizeof(h->arch)))
		return -EINVAL;
	memset(h, 0, sizeof(*h));
	if (uname(&u))
		return -errno;
	pk_strlcpy(h->kernel_release, ur ? ur : u.release, sizeof(h->kernel_release));
	pk_strlcpy(h->uname_version, uv ? uv : u.version, sizeof(h->uname_version));
	pk_strlcpy(h->arch, um ? um : u.machine, sizeof(h->arch));
	if (pk_kernel_version__parse(h->uname_version, h->kernel_version, sizeof(h->kernel_version)))
		pk_debug("host: uname -v '%s' has no #N kernel version\n", h->uname_version);

	detect_os_release(h, os_root);
	etc_version = minikube_version(os_root);
	detect_target_id(h, os_root, etc_version);
	detect_falco_names(h, etc_version);
	free(etc_version);
	detect_btf(h, root);
	detect_privileges(h, root);
	detect_lockdown(h, root);
	return 0;
}

const char *pk_kernel_btf__str(enum pk_kernel_btf s)
{
	switch (s) {
	case PK_KERNEL_BTF_NONE:
		return "none";
	case PK_KERNEL_BTF_SYSFS:
		return "sysfs";
	case PK_KERNEL_BTF_FILE:
		return "file";
	}
	return "unknown";
}

const char *pk_host__btf_arch(const char *uname_machine)
{
	/* btfhub's names */
	if (!strcmp(uname_machine, "aarch64"))
		return "arm64";
	return uname_machine;
}
