/* The relative paths an agent asks a repository for, made exactly as the farm
 * makes them when it publishes (build.c pk_artifact__path, farm.c). Names come
 * from the host's files (os-release, uname): each must be one path component,
 * or the path is not made and the reason says which name was refused. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "agent/repo_key.h"
#include "common/pk.h"

/* a file name's limit on every Linux file system the farm writes to */
#define NAME_MAX_BYTES 255

/* add one reason, keeping the first code and the reasons before it */
__attribute__((format(printf, 3, 4)))
static int note(struct pk_error *err, int code, const char *fmt, ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (!err)
		return code;
	if (!err->code)
		return pk_error__set(err, code, "%s", why);
	return pk_error__set(err, err->code, "%s; %s", err->msg, why);
}

/* a host value for a message: bounded, unprintables as '?' */
static const char *shown(const char *s, char buf[68])
{
	size_t i = 0;

	for (; s[i] && i < 64; i++)
		buf[i] = s[i] > ' ' && s[i] < 127 ? s[i] : '?';
	buf[i] = 0;
	if (s[i])
		strcpy(buf + i, "...");
	return buf;
}

/* copy a name that must be one path component; what it is called, for the reason */
static bool take(char *dst, size_t size, const char *v, const char *what, const char *missing,
		 struct pk_error *err, int *rc)
{
	char show[68];

	dst[0] = 0;
	if (!v || !v[0]) {
		*rc = *rc ?: -EINVAL;
		note(err, -EINVAL, "%s", missing);
		return false;
	}
	if (!pk_path__component_ok(v)) {
		*rc = *rc ?: -EINVAL;
		note(err, -EINVAL, "%s '%s' cannot be a path component", what, shown(v, show));
		return false;
	}
	if (strlen(v) >= size) {
		*rc = *rc ?: -ENAMETOOLONG;
		note(err, -ENAMETOOLONG, "%s '%s' is longer than %zu bytes", what, shown(v, show), size - 1);
		return false;
	}
	memcpy(dst, v, strlen(v) + 1);
	return true;
}

__attribute__((format(printf, 5, 6)))
static bool path(char *dst, size_t size, struct pk_error *err, int *rc, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(dst, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size) {
		dst[0] = 0;
		*rc = *rc ?: -ENAMETOOLONG;
		note(err, -ENAMETOOLONG, "path longer than %zu bytes", size - 1);
		return false;
	}
	return true;
}

/*
 * Debian kernels whose package version carries a suffix (bullseye's backported
 * 6.1.180-1~deb11u1, bookworm-backports' 6.12.38-1~bpo12+1): falcoctl names them
 * by the first d.d.d-d in uname -v (6.1.180-1-amd64), the catalog and the farm
 * by the whole package version (6.1.180-1~deb11u1-amd64), as kernel-crawler does;
 * the shorter name would give two kernels one path. The agent asks for
 * falcoctl's name first and then for the farm's, so both kinds of repository
 * serve it. Nothing is written when the two are the same.
 */
static void debian_full_name(const struct pk_host *h, const char *pv, const char *machine,
			     struct pk_repo_key *k)
{
	const char *d = strstr(h->uname_version, " Debian "), *v;
	size_t vl, pl;
	char kr[256];

	if (strcmp(k->target, "debian") || !d || !k->kernelrelease[0] || !k->legacy_object[0])
		return;
	v = d + 8;
	vl = strcspn(v, " ");
	/* falcoctl's prefix is the version without its suffix: the name must start with it */
	pl = strcspn(v, "~+ ");
	if (pl == vl || pl >= sizeof(kr) || strncmp(k->kernelrelease, v, pl) || k->kernelrelease[pl] != '-')
		return;
	if ((size_t)snprintf(kr, sizeof(kr), "%.*s%s", (int)vl, v, k->kernelrelease + pl) >= sizeof(kr) ||
	    !pk_path__component_ok(kr))
		return;
	if ((size_t)snprintf(k->legacy_object_alt, sizeof(k->legacy_object_alt), "%s/%s/probekit_%s_%s_%s.o",
			     pv, machine, k->target, kr, k->kernelversion) >= sizeof(k->legacy_object_alt))
		k->legacy_object_alt[0] = 0;
}

int pk_repo_key__from_host(const struct pk_host *h, const char *pv, struct pk_repo_key *out,
			   struct pk_error *err)
{
	char machine[sizeof(h->arch)], os_id[sizeof(h->os.id)], vid[sizeof(h->os.version_id)];
	char uname_r[sizeof(h->kernel_release)], show[68];
	const char *tmissing;
	bool have_m, have_t, have_kr, have_kv, have_os, have_vid, have_r;
	int rc = 0;

	if (!out)
		return pk_error__set(err, -EINVAL, "no output");
	memset(out, 0, sizeof(*out));
	if (!h)
		return pk_error__set(err, -EINVAL, "no host");
	if (err)
		pk_error__clear(err);
	if (!pv || !pk_path__component_ok(pv))
		return pk_error__set(err, -EINVAL, "probe version '%s' cannot be a path component",
				     shown(pv ? pv : "", show));

	have_m = take(machine, sizeof(machine), h->arch, "machine (uname -m)",
		      "no machine (uname -m): no path", err, &rc);

	if (h->target_id[0])
		tmissing = "";
	else if (h->os.id[0])
		tmissing = "no target id: os-release ID is not an os id (0-9 a-z . _ -)";
	else
		tmissing = "no target id: the OS is undetermined (no os-release ID, no "
			   "etc/centos-release, etc/redhat-release or etc/debian_version)";
	have_t = take(out->target, sizeof(out->target), h->target_id, "target id", tmissing, err, &rc);
	if (h->falco_error.code && !h->falco.kernelrelease[0]) {
		rc = rc ?: h->falco_error.code;
		note(err, h->falco_error.code, "no falco kernel names: %s", pk_error__str(&h->falco_error));
		have_kr = have_kv = false;
	} else {
		have_kr = take(out->kernelrelease, sizeof(out->kernelrelease), h->falco.kernelrelease,
			       "kernelrelease", "no falco kernelrelease", err, &rc);
		have_kv = take(out->kernelversion, sizeof(out->kernelversion), h->falco.kernelversion,
			       "kernelversion", "no falco kernelversion", err, &rc);
	}
	if (have_m && have_t && have_kr && have_kv) {
		if (snprintf(NULL, 0, "probekit_%s_%s_%s.o", out->target, out->kernelrelease,
			     out->kernelversion) > NAME_MAX_BYTES) {
			rc = rc ?: -ENAMETOOLONG;
			note(err, -ENAMETOOLONG, "legacy object name longer than %d bytes", NAME_MAX_BYTES);
		} else {
			path(out->legacy_object, sizeof(out->legacy_object), err, &rc,
			     "%s/%s/probekit_%s_%s_%s.o", pv, machine, out->target, out->kernelrelease,
			     out->kernelversion);
			debian_full_name(h, pv, machine, out);
		}
	} else {
		note(err, -EINVAL, "no legacy object path");
	}

	have_os = take(os_id, sizeof(os_id), h->os.id, "os-release ID", "no os-release ID", err, &rc);
	have_vid = take(vid, sizeof(vid), h->os.version_id, "os-release VERSION_ID",
			"no os-release VERSION_ID", err, &rc);
	have_r = take(uname_r, sizeof(uname_r), h->kernel_release, "kernel release (uname -r)",
		      "no kernel release (uname -r)", err, &rc);
	if (have_m && have_os && have_vid && have_r)
		path(out->reduced_btf, sizeof(out->reduced_btf), err, &rc, "%s/btf/%s/%s/%s/%s.btf", pv,
		     os_id, vid, pk_host__btf_arch(machine), uname_r);
	else
		note(err, -EINVAL, "no reduced BTF path");

	if (have_m) {
		path(out->core_object, sizeof(out->core_object), err, &rc, "%s/%s/probe.core.bpf.o", pv,
		     machine);
		path(out->btf_object, sizeof(out->btf_object), err, &rc, "%s/%s/probe.btf.bpf.o", pv,
		     machine);
	}
	return rc;
}
