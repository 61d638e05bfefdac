/* Release/InRelease: gpgv verification of the clearsigned file (fork/exec, status
 * lines on a file descriptor, the verified body through --output), then the Release
 * fields of that body only. Never parses text gpgv did not verify. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "common/child.h"
#include "kernels/deb822.h"
#include "kernels/release.h"

struct pk_release {
	char *origin, *suite, *codename, *version, *architectures, *components;
	int64_t date, valid_until;
	struct pk_release_file *files;
	size_t nfiles;
};

/* ---- RFC 2822 dates ---- */

static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

/* n digits at *p (bounded by e) into *v */
static int digits(const char **p, const char *e, int min, int max, int *v)
{
	int n = 0, x = 0;

	while (*p < e && isdigit((unsigned char)**p) && n < max) {
		x = x * 10 + (**p - '0');
		(*p)++;
		n++;
	}
	if (n < min)
		return -EINVAL;
	*v = x;
	return 0;
}

static void skip_blanks(const char **p, const char *e)
{
	while (*p < e && (**p == ' ' || **p == '\t'))
		(*p)++;
}

int pk_release__parse_date(const char *s, size_t len, int64_t *t)
{
	const char *p = s, *e = s + len;
	int day, mon = -1, year, hh, mm, ss = 0, off = 0;
	struct tm tm = { 0 };
	time_t v;

	if (!s || !t)
		return -EINVAL;
	skip_blanks(&p, e);
	/* optional "Sat," */
	if (e - p >= 4 && isalpha((unsigned char)p[0]) && p[3] == ',') {
		p += 4;
		skip_blanks(&p, e);
	}
	if (digits(&p, e, 1, 2, &day))
		return -EINVAL;
	skip_blanks(&p, e);
	if (e - p < 3)
		return -EINVAL;
	for (int i = 0; i < 12; i++)
		if (!strncasecmp(p, months[i], 3))
			mon = i;
	if (mon < 0)
		return -EINVAL;
	p += 3;
	skip_blanks(&p, e);
	if (digits(&p, e, 4, 4, &year))
		return -EINVAL;
	skip_blanks(&p, e);
	if (digits(&p, e, 1, 2, &hh) || p >= e || *p++ != ':' || digits(&p, e, 2, 2, &mm))
		return -EINVAL;
	if (p < e && *p == ':') {
		p++;
		if (digits(&p, e, 2, 2, &ss))
			return -EINVAL;
	}
	skip_blanks(&p, e);
	if (e - p >= 3 && (!strncmp(p, "UTC", 3) || !strncmp(p, "GMT", 3))) {
		p += 3;
	} else if (p < e && *p == 'Z') {
		p++;
	} else if (e - p >= 5 && (*p == '+' || *p == '-')) {
		int hm, sign = *p == '-' ? -1 : 1;

		p++;
		if (digits(&p, e, 4, 4, &hm) || hm % 100 > 59)
			return -EINVAL;
		off = sign * ((hm / 100) * 3600 + (hm % 100) * 60);
	} else {
		return -EINVAL;	/* a Release date without a zone cannot be placed in time */
	}
	skip_blanks(&p, e);
	if (p != e)
		return -EINVAL;
	if (day < 1 || day > 31 || hh > 23 || mm > 59 || ss > 60 || year < 1970)
		return -EINVAL;
	tm.tm_year = year - 1900;
	tm.tm_mon = mon;
	tm.tm_mday = day;
	tm.tm_hour = hh;
	tm.tm_min = mm;
	tm.tm_sec = ss;
	v = timegm(&tm);
	if (v == (time_t)-1)
		return -EINVAL;
	*t = (int64_t)v - off;
	return 0;
}

static void format_date(int64_t t, char *buf, size_t sz)
{
	time_t v = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&v, &tm) || !strftime(buf, sz, "%a, %d %b %Y %H:%M:%S UTC", &tm))
		snprintf(buf, sz, "@%" PRId64, t);
}

/* ---- Release fields ---- */

void pk_release__free(struct pk_release *r)
{
	if (!r)
		return;
	free(r->origin);
	free(r->suite);
	free(r->codename);
	free(r->version);
	free(r->architectures);
	free(r->components);
	for (size_t i = 0; i < r->nfiles; i++)
		free((char *)r->files[i].path);
	free(r->files);
	free(r);
}

static int copy_field(const struct pk_deb822_para *p, const char *name, char **out)
{
	const char *v = "";
	size_t n = 0;

	(void)pk_deb822_para__get(p, name, &v, &n);
	*out = strndup(v, n);
	return *out ? 0 : -ENOMEM;
}

static int is_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* one "HASH SIZE PATH" line of the SHA256 field */
static int parse_file_line(const char *s, size_t n, struct pk_release_file *f)
{
	const char *p = s, *e = s + n, *w;
	uint64_t size = 0;

	skip_blanks(&p, e);
	for (w = p; p < e && is_hex(*p); p++)
		;
	if (p - w != 64 || p == e || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	for (int i = 0; i < 64; i++)
		f->sha256[i] = (char)tolower((unsigned char)w[i]);
	f->sha256[64] = 0;
	skip_blanks(&p, e);
	for (w = p; p < e && isdigit((unsigned char)*p); p++) {
		if (size > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		size = size * 10 + (uint64_t)(*p - '0');
	}
	if (p == w || p == e || (*p != ' ' && *p != '\t'))
		return -EINVAL;
	skip_blanks(&p, e);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t'))
		e--;
	if (p == e || memchr(p, ' ', (size_t)(e - p)) || memchr(p, '\t', (size_t)(e - p)))
		return -EINVAL;
	f->size = size;
	f->path = strndup(p, (size_t)(e - p));
	return f->path ? 0 : -ENOMEM;
}

static int parse_files(struct pk_release *r, const char *v, size_t n, struct pk_error *err)
{
	size_t cap = 0;
	unsigned long lineno = 0;

	for (size_t off = 0; off < n;) {
		const char *s = v + off, *nl = memchr(s, '\n', n - off);
		size_t ln = nl ? (size_t)(nl - s) : n - off;
		int rc;

		off += ln + (nl ? 1 : 0);
		lineno++;
		if (!ln)
			continue;
		if (r->nfiles == cap) {
			size_t ncap = cap ? cap * 2 : 64;
			void *m = realloc(r->files, ncap * sizeof(*r->files));

			if (!m)
				return -ENOMEM;
			r->files = m;
			cap = ncap;
		}
		rc = parse_file_line(s, ln, &r->files[r->nfiles]);
		if (rc == -ENOMEM)
			return rc;
		if (rc)
			return pk_error__set(err, -EBADMSG,
					     "Release SHA256 list, entry %lu: not 'HASH SIZE PATH'", lineno);
		r->nfiles++;
	}
	return 0;
}

static int parse_date_field(const struct pk_deb822_para *p, const char *name, int64_t *t,
			    struct pk_error *err)
{
	const char *v;
	size_t n;

	*t = -1;
	if (pk_deb822_para__get(p, name, &v, &n))
		return 0;
	if (pk_release__parse_date(v, n, t))
		return pk_error__set(err, -EBADMSG, "Release %s '%.*s' is not an RFC 2822 date",
				     name, (int)(n > 64 ? 64 : n), v);
	return 0;
}

int pk_release__parse(const void *data, size_t len, struct pk_release **out,
		      struct pk_error *err)
{
	const struct pk_deb822_para *p;
	struct pk_release *r = NULL;
	struct pk_error perr = { 0 };
	struct pk_deb822 *d;
	const char *v;
	size_t n;
	int rc;

	if (!out || (!data && len))
		return -EINVAL;
	*out = NULL;
	if (len > PK_RELEASE_MAX_BYTES)
		return pk_error__set(err, -EFBIG, "Release is %zu bytes, more than %u", len,
				     PK_RELEASE_MAX_BYTES);
	d = pk_deb822__new(data, len);
	if (!d)
		return -ENOMEM;
	rc = pk_deb822__next_paragraph(d, &p, &perr);
	if (rc < 0) {
		pk_error__set(err, rc, "Release: %s", perr.msg);
		goto done;
	}
	if (rc == 0) {
		rc = pk_error__set(err, -EBADMSG, "Release is empty");
		goto done;
	}
	r = calloc(1, sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto done;
	}
	if ((rc = copy_field(p, "Origin", &r->origin)) || (rc = copy_field(p, "Suite", &r->suite)) ||
	    (rc = copy_field(p, "Codename", &r->codename)) ||
	    (rc = copy_field(p, "Version", &r->version)) ||
	    (rc = copy_field(p, "Architectures", &r->architectures)) ||
	    (rc = copy_field(p, "Components", &r->components)))
		goto done;
	if (!r->suite[0] && !r->codename[0]) {
		rc = pk_error__set(err, -EBADMSG, "Release names neither Suite nor Codename");
		goto done;
	}
	if ((rc = parse_date_field(p, "Date", &r->date, err)) ||
	    (rc = parse_date_field(p, "Valid-Until", &r->valid_until, err)))
		goto done;
	if (pk_deb822_para__get(p, "SHA256", &v, &n)) {
		rc = pk_error__set(err, -EBADMSG, "Release for %s has no SHA256 list",
				   r->suite[0] ? r->suite : r->codename);
		goto done;
	}
	rc = parse_files(r, v, n, err);
	if (rc)
		goto done;
	*out = r;
	r = NULL;
done:
	pk_release__free(r);
	pk_deb822__free(d);
	return rc;
}

const char *pk_release__origin(const struct pk_release *r) { return r ? r->origin : ""; }
const char *pk_release__suite(const struct pk_release *r)
{
	/* a Release without Suite still names its codename: the useful name for messages */
	return !r ? "" : r->suite[0] ? r->suite : r->codename;
}
const char *pk_release__codename(const struct pk_release *r) { return r ? r->codename : ""; }
const char *pk_release__version(const struct pk_release *r) { return r ? r->version : ""; }
const char *pk_release__architectures(const struct pk_release *r) { return r ? r->architectures : ""; }
const char *pk_release__components(const struct pk_release *r) { return r ? r->components : ""; }
int64_t pk_release__date(const struct pk_release *r) { return r ? r->date : -1; }
int64_t pk_release__valid_until(const struct pk_release *r) { return r ? r->valid_until : -1; }
size_t pk_release__nfiles(const struct pk_release *r) { return r ? r->nfiles : 0; }

const struct pk_release_file *pk_release__file(const struct pk_release *r, size_t i)
{
	return r && i < r->nfiles ? &r->files[i] : NULL;
}

const struct pk_release_file *pk_release__find(const struct pk_release *r, const char *path)
{
	if (!r || !path)
		return NULL;
	for (size_t i = 0; i < r->nfiles; i++)
		if (!strcmp(r->files[i].path, path))
			return &r->files[i];
	return NULL;
}

int pk_release__check_valid(const struct pk_release *r, int64_t now,
			    const struct pk_release_check_opts *opts, bool *expired,
			    struct pk_error *err)
{
	char when[64];

	if (!r || !PK_OPTS_VALID(opts, struct pk_release_check_opts))
		return -EINVAL;
	if (expired)
		*expired = false;
	if (r->valid_until < 0 || now <= r->valid_until)
		return 0;
	if (expired)
		*expired = true;
	if (PK_OPTS_GET(opts, allow_expired, false))
		return 0;
	format_date(r->valid_until, when, sizeof(when));
	return pk_error__set(err, -EKEYEXPIRED, "Release for %s expired at %s",
			     pk_release__suite(r), when);
}

/* ---- gpgv ---- */

struct gpg_status {
	int good, valid, weak, bad, err, nokey, expkey, revkey, expsig;
	char bad_who[128];
};

/* "[GNUPG:] KEYWORD args": count the verdicts; unknown keywords are ignored */
static void parse_status(const char *s, size_t n, struct gpg_status *st)
{
	for (size_t off = 0; off < n;) {
		const char *l = s + off, *nl = memchr(l, '\n', n - off);
		size_t ln = nl ? (size_t)(nl - l) : n - off;
		static const char pfx[] = "[GNUPG:] ";
		const char *k;
		size_t kn;

		off += ln + (nl ? 1 : 0);
		if (ln < sizeof(pfx) - 1 || memcmp(l, pfx, sizeof(pfx) - 1))
			continue;
		k = l + sizeof(pfx) - 1;
		kn = ln - (sizeof(pfx) - 1);
#define KW(w) (kn >= sizeof(w) - 1 && !memcmp(k, w, sizeof(w) - 1) && \
	       (kn == sizeof(w) - 1 || k[sizeof(w) - 1] == ' '))
		if (KW("GOODSIG"))
			st->good++;
		else if (KW("VALIDSIG")) {
			/* the 8th argument is the hash algorithm: MD5 (1) and SHA1 (2) do
			 * not count, as apt refuses them */
			const char *a = k, *ae = k + kn;
			int field = 0;
			long algo = -1;

			while (a < ae && field < 8) {
				a = memchr(a, ' ', (size_t)(ae - a));
				if (!a)
					break;
				while (a < ae && *a == ' ')
					a++;
				field++;
			}
			if (a && field == 8 && a < ae && *a >= '0' && *a <= '9')
				algo = strtol(a, NULL, 10);
			if (algo > 2)
				st->valid++;
			else
				st->weak++;
		}
		else if (KW("BADSIG")) {
			st->bad++;
			snprintf(st->bad_who, sizeof(st->bad_who), "%.*s",
				 (int)(kn > 8 ? kn - 7 : 0), k + 7);
		} else if (KW("ERRSIG"))
			st->err++;
		else if (KW("NO_PUBKEY"))
			st->nokey++;
		else if (KW("EXPKEYSIG"))
			st->expkey++;
		else if (KW("REVKEYSIG"))
			st->revkey++;
		else if (KW("EXPSIG"))
			st->expsig++;
#undef KW
	}
}

/* a line equal to marker, trailing blanks and CR aside (as gpg reads armor lines) */
static int marker(const char *l, size_t n, const char *m)
{
	size_t ml = strlen(m);

	while (n > ml && (l[n - 1] == ' ' || l[n - 1] == '\t' || l[n - 1] == '\r'))
		n--;
	return n == ml && !memcmp(l, m, ml);
}

/*
 * One clearsigned message and nothing else around it, as apt requires since its
 * multiple-signed-parts bug: gpgv would otherwise verify one part while another,
 * unsigned or replayed, part rides along. 0 or the 1-based offending line.
 */
static unsigned long clearsign_shape(const char *s, size_t n)
{
	enum { BEFORE, TEXT, SIG, AFTER } st = BEFORE;
	unsigned long line = 0;

	for (size_t off = 0; off < n;) {
		const char *l = s + off, *nl = memchr(l, '\n', n - off);
		size_t ln = nl ? (size_t)(nl - l) : n - off;
		int blank = 1;

		off += ln + (nl ? 1 : 0);
		line++;
		for (size_t i = 0; i < ln; i++)
			if (l[i] != ' ' && l[i] != '\t' && l[i] != '\r')
				blank = 0;
		if (marker(l, ln, "-----BEGIN PGP SIGNED MESSAGE-----")) {
			if (st != BEFORE)
				return line;
			st = TEXT;
		} else if (marker(l, ln, "-----BEGIN PGP SIGNATURE-----")) {
			if (st != TEXT)
				return line;
			st = SIG;
		} else if (marker(l, ln, "-----END PGP SIGNATURE-----")) {
			if (st != SIG)
				return line;
			st = AFTER;
		} else if ((st == BEFORE || st == AFTER) && !blank) {
			return line;
		}
	}
	return st == AFTER ? 0 : line + 1;
}

int pk_inrelease__verify(const char *path, const struct pk_inrelease_opts *opts,
			 char **body, size_t *body_len, struct pk_error *err)
{
	char *in = NULL;
	size_t in_len;
	int rc;

	if (!path || !body || !body_len || !PK_OPTS_VALID(opts, struct pk_inrelease_opts))
		return -EINVAL;
	*body = NULL;
	*body_len = 0;
	rc = pk_file__read(path, &in, &in_len, PK_RELEASE_MAX_BYTES);
	if (rc)
		return pk_error__set(err, rc, "cannot read '%s': %s", path, strerror(-rc));
	rc = pk_inrelease__verify_mem(in, in_len, path, opts, body, body_len, err);
	free(in);
	return rc;
}

int pk_inrelease__verify_mem(const void *in, size_t in_len, const char *path,
			     const struct pk_inrelease_opts *opts, char **body, size_t *body_len,
			     struct pk_error *err)
{
	const char *keyring, *gpgv;
	char dir[] = "/tmp/pk-inrelease.XXXXXX", out_path[64], in_path[64], status_path[64];
	struct gpg_status st = { 0 };
	char *status = NULL, *argv[10];
	size_t status_len = 0;
	unsigned long bad_line;
	int rc, wst;

	if (!in || !path || !body || !body_len || !PK_OPTS_VALID(opts, struct pk_inrelease_opts))
		return -EINVAL;
	*body = NULL;
	*body_len = 0;
	if (in_len > PK_RELEASE_MAX_BYTES)
		return pk_error__set(err, -EFBIG, "'%s' is larger than %u bytes", path, PK_RELEASE_MAX_BYTES);
	keyring = PK_OPTS_GET(opts, keyring, NULL) ?: PK_DEBIAN_KEYRING;
	gpgv = PK_OPTS_GET(opts, gpgv, NULL) ?: "gpgv";
	if (access(keyring, R_OK))
		return pk_error__set(err, -errno, "cannot open keyring '%s': %s", keyring,
				     strerror(errno));
	bad_line = clearsign_shape(in, in_len);
	if (bad_line) {
		return pk_error__set(err, -EBADMSG,
				     "'%s' is not one clearsigned message (line %lu is outside it or a second one)",
				     path, bad_line);
	}
	if (!mkdtemp(dir)) {
		return pk_error__set(err, -errno, "cannot create a temporary directory: %s",
				     strerror(errno));
	}
	snprintf(out_path, sizeof(out_path), "%s/body", dir);
	snprintf(in_path, sizeof(in_path), "%s/InRelease", dir);
	snprintf(status_path, sizeof(status_path), "%s/status", dir);
	/* gpgv verifies the very bytes checked above, not the path again (no race) */
	rc = pk_file__write_atomic(in_path, in, in_len);
	if (rc) {
		pk_error__set(err, rc, "cannot write '%s': %s", in_path, strerror(-rc));
		goto done;
	}
	/* gpgv's status lines go to its stdout, a file in our private directory;
	 * --keyring with a path containing '/' is used as is, not under ~/.gnupg */
	argv[0] = (char *)gpgv;
	argv[1] = "--status-fd";
	argv[2] = "1";
	argv[3] = "--keyring";
	argv[4] = (char *)keyring;
	argv[5] = "--output";
	argv[6] = out_path;
	argv[7] = in_path;
	argv[8] = NULL;
	wst = pk_child__run(argv, NULL, status_path, NULL);
	if (wst < 0) {
		rc = pk_error__set(err, wst, "cannot run gpgv: %s", strerror(-wst));
		goto done;
	}
	if (WIFEXITED(wst) && WEXITSTATUS(wst) == 127) {
		rc = pk_error__set(err, -ENOENT, "cannot run '%s' (is gpgv installed?)", gpgv);
		goto done;
	}
	rc = pk_file__read(status_path, &status, &status_len, 1 << 20);
	if (rc) {
		pk_error__set(err, rc, "cannot read gpgv's status: %s", strerror(-rc));
		goto done;
	}
	parse_status(status, status_len, &st);
	if (st.bad) {
		rc = pk_error__set(err, -EKEYREJECTED, "'%s': BAD signature from %s", path, st.bad_who);
		goto done;
	}
	if (!st.good || !st.valid) {
		if (st.expkey)
			rc = pk_error__set(err, -EKEYEXPIRED, "'%s': signed only by expired keys", path);
		else if (st.revkey)
			rc = pk_error__set(err, -EKEYREVOKED, "'%s': signed only by revoked keys", path);
		else if (st.expsig)
			rc = pk_error__set(err, -EKEYEXPIRED, "'%s': its signature has expired", path);
		else if (st.weak)
			rc = pk_error__set(err, -EKEYREJECTED, "'%s': signed only with a weak digest (MD5 or SHA1)", path);
		else if (st.nokey || st.err)
			rc = pk_error__set(err, -ENOKEY, "'%s': not signed by any key in '%s'", path, keyring);
		else
			rc = pk_error__set(err, -EKEYREJECTED,
					   "'%s': no valid OpenPGP signature (gpgv exit status %d)", path,
					   WIFEXITED(wst) ? WEXITSTATUS(wst) : -1);
		goto done;
	}
	rc = pk_file__read(out_path, body, body_len, PK_RELEASE_MAX_BYTES);
	if (rc == -ENOENT)
		pk_error__set(err, rc, "gpgv wrote no verified text: %s", strerror(-rc));
	else if (rc)
		pk_error__set(err, rc, "cannot read the verified text of '%s': %s", path, strerror(-rc));
done:
	free(status);
	unlink(status_path);
	unlink(out_path);
	unlink(in_path);
	rmdir(dir);
	return rc;
}
