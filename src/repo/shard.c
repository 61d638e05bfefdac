/* Shard manifests (shard.h): write, parse, check that a merged set is complete. */
#include <errno.h>
#include <inttypes.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/sha256.h"
#include "repo/index.h"
#include "repo/shard.h"

#define MANIFEST_MAX_BYTES (64u << 20)
#define SHARDS_MAX 4096

int pk_shard__parse_spec(const char *spec, unsigned *i, unsigned *n, struct pk_error *err)
{
	const char *s2;
	char *end;
	unsigned long a, b;

	errno = 0;
	a = strtoul(spec, &end, 10);
	if (end == spec || *end != '/' || errno || spec[0] == '-')
		goto bad;
	s2 = end + 1;
	b = strtoul(s2, &end, 10);
	if (end == s2 || *end || errno || s2[0] == '-' || !b || b > SHARDS_MAX || a >= b)
		goto bad;
	*i = (unsigned)a;
	*n = (unsigned)b;
	return 0;
bad:
	return pk_error__set(err, -EINVAL, "bad shard '%s': I/N with 0 <= I < N <= %d (I counts from 0, as a Kubernetes completion index)",
			     spec, SHARDS_MAX);
}

unsigned pk_shard__of(const char *key, unsigned n)
{
	uint8_t d[32];
	uint64_t v = 0;

	if (sodium_init() < 0 || n <= 1)
		return 0;
	crypto_hash_sha256(d, (const unsigned char *)key, strlen(key));
	for (int b = 0; b < 8; b++)
		v = v << 8 | d[b];
	return (unsigned)(v % n);
}

int pk_shard__write(const char *dir, const char *pv, unsigned i, unsigned n,
		    const char *const *records, size_t nr, struct pk_error *err)
{
	char path[4096], *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return pk_error__set(err, -ENOMEM, "out of memory");
	fprintf(f, "probekit-shard/1\nprobe-version %s\nshard %u of %u\n", pv, i, n);
	for (size_t k = 0; k < nr; k++) {
		char hex[65];

		snprintf(path, sizeof(path), "%s/%s", dir, records[k]);
		r = pk_sha256__file(path, UINT64_MAX, hex, NULL);
		if (r) {
			fclose(f);
			free(buf);
			return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
		}
		fprintf(f, "record %s %s\n", records[k], hex);
	}
	fclose(f);
	snprintf(path, sizeof(path), "%s/_shards/%s/shard-%u-of-%u", dir, pv, i, n);
	r = pk_file__mkdirs(path, false);
	if (!r)
		r = pk_file__write_atomic(path, buf, len);
	free(buf);
	if (r)
		return pk_error__set(err, r, "cannot write '%s': %s", path, strerror(-r));
	return 0;
}

struct manifest {
	char pv[64];
	unsigned i, n;
};

/* parse and check one manifest's records */
static int check_one(const char *dir, const char *rel, struct manifest *m, struct pk_error *err)
{
	char path[4096], *data, *p, *end;
	size_t len;
	int r, line = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	r = pk_file__read(path, &data, &len, MANIFEST_MAX_BYTES);
	if (r)
		return pk_error__set(err, r, "cannot read '%s': %s", path, strerror(-r));
	p = data;
	end = data + len;
	while (p < end) {
		char *nl = memchr(p, '\n', end - p), ln[800], a[600], b[80];
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);

		line++;
		if (n >= sizeof(ln) || memchr(p, 0, n)) {
			r = -EBADMSG;
			break;
		}
		memcpy(ln, p, n);
		ln[n] = 0;
		p += n + (nl != NULL);
		if (line == 1) {
			if (strcmp(ln, "probekit-shard/1")) {
				r = -EBADMSG;
				break;
			}
		} else if (line == 2) {
			if (sscanf(ln, "probe-version %63s", m->pv) != 1) {
				r = -EBADMSG;
				break;
			}
		} else if (line == 3) {
			if (sscanf(ln, "shard %u of %u", &m->i, &m->n) != 2 || !m->n || m->i >= m->n ||
			    m->n > SHARDS_MAX) {
				r = -EBADMSG;
				break;
			}
		} else {
			char want[65], rp[4700];

			if (sscanf(ln, "record %599s %79s", a, b) != 2 || strlen(b) != 64 ||
			    pk_index__check_path(a, NULL)) {
				r = -EBADMSG;
				break;
			}
			snprintf(rp, sizeof(rp), "%s/%s", dir, a);
			r = pk_sha256__file(rp, UINT64_MAX, want, NULL);
			if (r || strcmp(want, b)) {
				free(data);
				return pk_error__set(err, -EBADMSG, "%s: %s is %s", rel, a,
						     r ? "missing" : "not the file the shard built");
			}
		}
	}
	free(data);
	if (r || line < 3)
		return pk_error__set(err, -EBADMSG, "%s: line %d: not a shard manifest", rel, line);
	{
		/* the name says the same as the content: _shards/<pv>/shard-<i>-of-<n> */
		char want[256];

		snprintf(want, sizeof(want), "_shards/%s/shard-%u-of-%u", m->pv, m->i, m->n);
		if (strcmp(rel, want))
			return pk_error__set(err, -EBADMSG, "%s: its content says it is %s", rel, want);
	}
	return 0;
}

int pk_shard__check_all(const char *dir, const char *const *manifests, size_t nr,
			struct pk_error *err)
{
	struct manifest *m = calloc(nr ? nr : 1, sizeof(*m));
	int r = 0;

	if (!m)
		return pk_error__set(err, -ENOMEM, "out of memory");
	for (size_t k = 0; k < nr && !r; k++)
		r = check_one(dir, manifests[k], &m[k], err);
	/* each (probe version, N) set is whole */
	for (size_t k = 0; k < nr && !r; k++) {
		for (unsigned want = 0; want < m[k].n && !r; want++) {
			bool found = false;

			for (size_t o = 0; o < nr && !found; o++)
				found = !strcmp(m[o].pv, m[k].pv) && m[o].n == m[k].n && m[o].i == want;
			if (!found)
				r = pk_error__set(err, -EBADMSG,
						  "shard %u of %u (probe version %s) has no manifest: that shard did not finish",
						  want, m[k].n, m[k].pv);
		}
	}
	free(m);
	return r;
}
