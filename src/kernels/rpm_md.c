/* RPM repository metadata (repomd.xml, primary.xml, mirror.list) read with Expat
 * as a stream: primary.xml of a distribution is hundreds of MB, so no tree and no
 * copy of a package the caller's filter does not want. Never prints. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kernels/expat_dl.h"
#include "kernels/rpm_md.h"

#define NS_REPO "http://linux.duke.edu/metadata/repo"
#define NS_COMMON "http://linux.duke.edu/metadata/common"
#define NS_RPM "http://linux.duke.edu/metadata/rpm"
#define NS_XML "http://www.w3.org/XML/1998/namespace"
#define NS_SEP '|'

#define REPOMD_MAX_DATA 256
/* what one XML_Parse call takes: its length is an int */
#define FEED_SLICE (256u << 10)

/* ---- the part both XML readers share ---- */

/* One Expat parser with our error state. Handlers check rc first: Expat may still
 * call a few handlers after XML_StopParser. */
struct xp {
	const struct pk_expat *x;
	XML_Parser p;
	int rc;
	struct pk_error e;
	int depth;		/* of the element being read: root is 1 */
	bool text_on;		/* collecting character data into text */
	const char *text_what;	/* for the too-long message */
	size_t text_len;
	char text[PK_RPM_MD_MAX_VALUE + 1];
};

static unsigned long xp_line(struct xp *xp)
{
	return (unsigned long)xp->x->get_current_line_number(xp->p);
}

static void xp_fail(struct xp *xp, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void xp_fail(struct xp *xp, int code, const char *fmt, ...)
{
	char why[PK_ERROR_MSG_LEN];
	va_list ap;

	if (xp->rc)
		return;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	xp->rc = pk_error__set(&xp->e, code, "line %lu: %s", xp_line(xp), why);
	xp->x->stop_parser(xp->p, XML_FALSE);
}

/* the local part of a "uri|local" name, for messages */
static const char *local_name(const char *name)
{
	const char *s = strrchr(name, NS_SEP);

	return s ? s + 1 : name;
}

static bool is(const char *name, const char *ns, const char *local)
{
	size_t n = strlen(ns);

	return !strncmp(name, ns, n) && name[n] == NS_SEP && !strcmp(name + n + 1, local);
}

/* the value of attribute aname (a namespaced name for xml:base), or NULL; a value
 * longer than PK_RPM_MD_MAX_VALUE fails the parse */
static const char *attr(struct xp *xp, const XML_Char **atts, const char *aname)
{
	for (size_t i = 0; atts[i]; i += 2) {
		if (strcmp(atts[i], aname))
			continue;
		if (strlen(atts[i + 1]) > PK_RPM_MD_MAX_VALUE) {
			xp_fail(xp, -EBADMSG, "attribute %s is longer than %u bytes",
				local_name(aname), PK_RPM_MD_MAX_VALUE);
			return NULL;
		}
		return atts[i + 1];
	}
	return NULL;
}

static const char *need_attr(struct xp *xp, const XML_Char **atts, const char *elem,
			     const char *aname)
{
	const char *v = attr(xp, atts, aname);

	if (!v && !xp->rc)
		xp_fail(xp, -EBADMSG, "<%s> has no %s attribute", local_name(elem), aname);
	return v;
}

static void text_start(struct xp *xp, const char *what)
{
	xp->text_on = true;
	xp->text_what = what;
	xp->text_len = 0;
}

/* stop collecting; the text without surrounding whitespace, NUL-terminated */
static const char *text_end(struct xp *xp)
{
	char *s = xp->text;
	size_t n = xp->text_len;

	xp->text_on = false;
	while (n && strchr(" \t\r\n", s[n - 1]))
		n--;
	s[n] = 0;
	while (*s && strchr(" \t\r\n", *s))
		s++;
	return s;
}

static void XMLCALL on_text(void *ud, const XML_Char *s, int len)
{
	struct xp *xp = ud;

	if (xp->rc || !xp->text_on)
		return;
	if ((size_t)len > PK_RPM_MD_MAX_VALUE - xp->text_len) {
		xp_fail(xp, -EBADMSG, "<%s> is longer than %u bytes", xp->text_what,
			PK_RPM_MD_MAX_VALUE);
		return;
	}
	memcpy(xp->text + xp->text_len, s, (size_t)len);
	xp->text_len += (size_t)len;
}

/* Billion laughs and external entities: no DTD at all, which metadata never has */
static void XMLCALL on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
			       const XML_Char *pubid, int has_internal_subset)
{
	xp_fail(ud, -EBADMSG, "a DOCTYPE is not allowed in repository metadata");
}

static void XMLCALL on_entity(void *ud, const XML_Char *name, int is_param,
			      const XML_Char *value, int value_len, const XML_Char *base,
			      const XML_Char *sysid, const XML_Char *pubid, const XML_Char *notation)
{
	xp_fail(ud, -EBADMSG, "an entity declaration is not allowed in repository metadata");
}

static int XMLCALL on_ext_entity(XML_Parser p, const XML_Char *context, const XML_Char *base,
				 const XML_Char *sysid, const XML_Char *pubid)
{
	return XML_STATUS_ERROR;
}

/* Expat is made to read UTF-8 whatever the document says; a declaration of
 * anything else is refused rather than silently misread */
static void XMLCALL on_xmldecl(void *ud, const XML_Char *version, const XML_Char *encoding,
			       int standalone)
{
	if (encoding && strcasecmp(encoding, "UTF-8"))
		xp_fail(ud, -EBADMSG, "encoding '%.64s' is not UTF-8", encoding);
}

static int xp_init(struct xp *xp, void *ud, XML_StartElementHandler start,
		   XML_EndElementHandler end, struct pk_error *err)
{
	memset(xp, 0, sizeof(*xp));
	xp->x = pk_expat__load(err);
	if (!xp->x)
		return -ELIBACC;
	xp->p = xp->x->parser_create_ns("UTF-8", NS_SEP);
	if (!xp->p)
		return pk_error__set(err, -ENOMEM, "cannot create an XML parser");
	xp->x->set_user_data(xp->p, ud);
	xp->x->set_element_handler(xp->p, start, end);
	xp->x->set_character_data_handler(xp->p, on_text);
	xp->x->set_start_doctype_decl_handler(xp->p, on_doctype);
	xp->x->set_entity_decl_handler(xp->p, on_entity);
	xp->x->set_external_entity_ref_handler(xp->p, on_ext_entity);
	xp->x->set_xml_decl_handler(xp->p, on_xmldecl);
	xp->x->set_param_entity_parsing(xp->p, XML_PARAM_ENTITY_PARSING_NEVER);
	return 0;
}

static void xp_fini(struct xp *xp)
{
	if (xp->x && xp->p)
		xp->x->parser_free(xp->p);
	xp->p = NULL;
}

/* hand len bytes to Expat in int-sized slices; the first error sticks */
static int xp_feed(struct xp *xp, const char *data, size_t len, bool last)
{
	do {
		size_t n = len < FEED_SLICE ? len : FEED_SLICE;
		bool fin = last && n == len;

		if (xp->rc)
			break;
		if (xp->x->parse(xp->p, data, (int)n, fin) != XML_STATUS_OK && !xp->rc) {
			enum XML_Error code = xp->x->get_error_code(xp->p);

			xp->rc = pk_error__set(&xp->e, code == XML_ERROR_NO_MEMORY ? -ENOMEM : -EBADMSG,
					       "line %lu: %s", xp_line(xp),
					       xp->x->error_string(code));
		}
		data += n;
		len -= n;
	} while (len);
	return xp->rc;
}

static int xp_result(struct xp *xp, struct pk_error *err)
{
	if (xp->rc)
		pk_error__set(err, xp->rc, "%s", xp->e.msg);
	return xp->rc;
}

/* ---- values ---- */

static bool parse_u64(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > (max - (uint64_t)(*s - '0')) / 10)
			return false;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return true;
}

static void need_number(struct xp *xp, const char *what, const char *s, uint64_t max,
			uint64_t *out)
{
	if (!parse_u64(s, max, out))
		xp_fail(xp, -EBADMSG, "%s '%.64s' is not a number", what, s);
}

static const struct {
	const char *name;
	const char *as;		/* what we record */
	size_t hexlen;
} sum_types[] = {
	{ "md5", "md5", 32 },	    { "sha", "sha1", 40 },	{ "sha1", "sha1", 40 },
	{ "sha224", "sha224", 56 }, { "sha256", "sha256", 64 }, { "sha384", "sha384", 96 },
	{ "sha512", "sha512", 128 },
};

static void set_checksum(struct xp *xp, const char *what, const char *type, const char *hex,
			 struct pk_rpm_checksum *out)
{
	size_t i, n = strlen(hex);

	for (i = 0; i < PK_ARRAY_SIZE(sum_types); i++)
		if (!strcmp(type, sum_types[i].name))
			break;
	if (i == PK_ARRAY_SIZE(sum_types)) {
		xp_fail(xp, -EBADMSG, "<%s> type '%.32s' is not a known checksum type", what, type);
		return;
	}
	if (n != sum_types[i].hexlen || strspn(hex, "0123456789abcdefABCDEF") != n) {
		xp_fail(xp, -EBADMSG, "<%s> is not a %s: '%.140s'", what, type, hex);
		return;
	}
	strcpy(out->type, sum_types[i].as);
	for (size_t k = 0; k <= n; k++)
		out->value[k] = (char)(hex[k] >= 'A' && hex[k] <= 'F' ? hex[k] + 32 : hex[k]);
}

/* names, arches, versions: non-empty, no space or control character */
static bool is_token(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if ((unsigned char)*s <= ' ' || *s == 0x7f)
			return false;
	return true;
}

/* A location href is resolved against the repository's URL: relative, no scheme,
 * no control character (a space is allowed: some package files have one). ".."
 * is allowed: Amazon Linux's primary.xml points up into a shared blobstore, and
 * a package's checksum is checked wherever its href leads. */
static bool is_rel_path(const char *s)
{
	if (!*s || *s == '/' || strstr(s, "://"))
		return false;
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

static bool is_printable(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			return false;
	return true;
}

/* ---- repomd.xml ---- */

struct pk_repomd {
	char *revision;
	size_t n;
	struct pk_repomd_data d[REPOMD_MAX_DATA];
};

enum repomd_field {
	RF_NONE,
	RF_REVISION,
	RF_CHECKSUM,
	RF_OPEN_CHECKSUM,
	RF_SIZE,
	RF_OPEN_SIZE,
	RF_TIMESTAMP,
	RF__MAX,
};

struct repomd_state {
	struct xp xp;
	struct pk_repomd *r;
	struct pk_repomd_data *cur;	/* inside <data> */
	unsigned seen;			/* bit per repomd_field in cur */
	enum repomd_field field;
	char sum_type[16];		/* of the <checksum> being read */
};

static const char *const rf_names[RF__MAX] = {
	[RF_REVISION] = "revision", [RF_CHECKSUM] = "checksum",
	[RF_OPEN_CHECKSUM] = "open-checksum", [RF_SIZE] = "size",
	[RF_OPEN_SIZE] = "open-size", [RF_TIMESTAMP] = "timestamp",
};

static void XMLCALL repomd_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct repomd_state *s = ud;
	struct xp *xp = &s->xp;
	int depth = ++xp->depth;

	if (xp->rc)
		return;
	if (depth == 1) {
		if (!is(name, NS_REPO, "repomd"))
			xp_fail(xp, -EBADMSG, "root element is <%.64s>, not repomd.xml's <repomd>",
				local_name(name));
		return;
	}
	if (depth == 2 && is(name, NS_REPO, "revision")) {
		s->field = RF_REVISION;
		text_start(xp, "revision");
		return;
	}
	if (depth == 2 && is(name, NS_REPO, "data")) {
		const char *type = need_attr(xp, atts, name, "type");

		if (!type)
			return;
		if (!is_token(type)) {
			xp_fail(xp, -EBADMSG, "<data> type '%.64s' is not a name", type);
			return;
		}
		if (pk_repomd__find(s->r, type)) {
			xp_fail(xp, -EBADMSG, "<data type=\"%.64s\"> appears twice", type);
			return;
		}
		if (s->r->n == REPOMD_MAX_DATA) {
			xp_fail(xp, -EBADMSG, "more than %d <data> entries", REPOMD_MAX_DATA);
			return;
		}
		s->cur = &s->r->d[s->r->n++];
		s->cur->size = s->cur->open_size = s->cur->timestamp = -1;
		s->cur->type = strdup(type);
		if (!s->cur->type)
			xp_fail(xp, -ENOMEM, "out of memory");
		s->seen = 0;
		return;
	}
	if (depth != 3 || !s->cur)
		return;
	if (is(name, NS_REPO, "location")) {
		const char *href = need_attr(xp, atts, name, "href");

		if (!href)
			return;
		if (s->cur->location) {
			xp_fail(xp, -EBADMSG, "<location> appears twice in <data>");
			return;
		}
		if (!is_rel_path(href)) {
			xp_fail(xp, -EBADMSG, "<location> href '%.256s' is not a relative path", href);
			return;
		}
		s->cur->location = strdup(href);
		if (!s->cur->location)
			xp_fail(xp, -ENOMEM, "out of memory");
		return;
	}
	for (int f = RF_CHECKSUM; f < RF__MAX; f++) {
		if (!is(name, NS_REPO, rf_names[f]))
			continue;
		if (s->seen & (1u << f)) {
			xp_fail(xp, -EBADMSG, "<%s> appears twice in <data>", rf_names[f]);
			return;
		}
		s->seen |= 1u << f;
		if (f == RF_CHECKSUM || f == RF_OPEN_CHECKSUM) {
			const char *t = need_attr(xp, atts, name, "type");

			if (!t)
				return;
			snprintf(s->sum_type, sizeof(s->sum_type), "%s", t);
		}
		s->field = f;
		text_start(xp, rf_names[f]);
		return;
	}
}

static void XMLCALL repomd_end(void *ud, const XML_Char *name)
{
	struct repomd_state *s = ud;
	struct xp *xp = &s->xp;
	int depth = xp->depth--;
	enum repomd_field f = s->field;
	const char *v;
	uint64_t n;

	if (xp->rc)
		return;
	if (depth == 2 && s->cur && is(name, NS_REPO, "data")) {
		if (!s->cur->location)
			xp_fail(xp, -EBADMSG, "<data type=\"%.64s\"> has no <location>", s->cur->type);
		else if (!s->cur->checksum.type[0])
			xp_fail(xp, -EBADMSG, "<data type=\"%.64s\"> has no <checksum>", s->cur->type);
		s->cur = NULL;
		return;
	}
	if (f == RF_NONE || depth != (f == RF_REVISION ? 2 : 3))
		return;
	s->field = RF_NONE;
	v = text_end(xp);
	switch (f) {
	case RF_REVISION:
		if (!is_printable(v)) {
			xp_fail(xp, -EBADMSG, "<revision> holds a control character");
			return;
		}
		free(s->r->revision);
		s->r->revision = strdup(v);
		if (!s->r->revision)
			xp_fail(xp, -ENOMEM, "out of memory");
		return;
	case RF_CHECKSUM:
		set_checksum(xp, "checksum", s->sum_type, v, &s->cur->checksum);
		return;
	case RF_OPEN_CHECKSUM:
		set_checksum(xp, "open-checksum", s->sum_type, v, &s->cur->open_checksum);
		return;
	default:
		need_number(xp, rf_names[f], v, INT64_MAX, &n);
		if (f == RF_SIZE)
			s->cur->size = (int64_t)n;
		else if (f == RF_OPEN_SIZE)
			s->cur->open_size = (int64_t)n;
		else
			s->cur->timestamp = (int64_t)n;
	}
}

int pk_repomd__parse(const void *data, size_t len, struct pk_repomd **out, struct pk_error *err)
{
	struct repomd_state s = { 0 };
	int rc;

	*out = NULL;
	if (!data && len)
		return pk_error__set(err, -EINVAL, "no data");
	s.r = calloc(1, sizeof(*s.r));
	if (!s.r)
		return pk_error__set(err, -ENOMEM, "out of memory");
	rc = xp_init(&s.xp, &s, repomd_start, repomd_end, err);
	if (!rc) {
		xp_feed(&s.xp, data, len, true);
		rc = xp_result(&s.xp, err);
	}
	xp_fini(&s.xp);
	if (rc) {
		pk_repomd__free(s.r);
		return rc;
	}
	*out = s.r;
	return 0;
}

void pk_repomd__free(struct pk_repomd *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free((char *)r->d[i].type);
		free((char *)r->d[i].location);
	}
	free(r->revision);
	free(r);
}

const char *pk_repomd__revision(const struct pk_repomd *r)
{
	return r->revision ? r->revision : "";
}

size_t pk_repomd__ndata(const struct pk_repomd *r)
{
	return r->n;
}

const struct pk_repomd_data *pk_repomd__data(const struct pk_repomd *r, size_t i)
{
	return i < r->n ? &r->d[i] : NULL;
}

const struct pk_repomd_data *pk_repomd__find(const struct pk_repomd *r, const char *type)
{
	for (size_t i = 0; i < r->n; i++)
		if (r->d[i].type && !strcmp(r->d[i].type, type))
			return &r->d[i];
	return NULL;
}

/* ---- primary.xml ---- */

enum prim_field {
	PF_NONE,
	PF_NAME,
	PF_ARCH,
	PF_CHECKSUM,
	PF_SOURCERPM,
	PF__MAX,
};

#define VAL (PK_RPM_MD_MAX_VALUE + 1)

struct pk_rpm_primary {
	struct xp xp;
	struct pk_rpm_primary_opts o;
	uint64_t count;			/* <package> elements */
	bool has_declared;
	uint64_t declared;		/* <metadata packages=> */
	/* the package being read */
	bool in_pkg;			/* an rpm <package> we may keep */
	bool skip;			/* the filter said no */
	unsigned seen;			/* bit per prim_field and below */
	enum prim_field field;
	struct pk_rpm_package pkg;
	char sum_type[16];
	char name[VAL], arch[VAL], version[VAL], release[VAL];
	char location[VAL], base[VAL], sourcerpm[VAL];
};

#define SEEN_VERSION (1u << PF__MAX)
#define SEEN_LOCATION (1u << (PF__MAX + 1))
#define SEEN_SIZE (1u << (PF__MAX + 2))

static const char *const pf_names[PF__MAX] = {
	[PF_NAME] = "name", [PF_ARCH] = "arch", [PF_CHECKSUM] = "checksum",
	[PF_SOURCERPM] = "rpm:sourcerpm",
};

/* a child element met once per package: a second one is an error */
static bool once(struct pk_rpm_primary *p, unsigned bit, const char *what)
{
	if (p->seen & bit) {
		xp_fail(&p->xp, -EBADMSG, "<%s> appears twice in <package>", what);
		return false;
	}
	p->seen |= bit;
	return true;
}

static void copy_val(char *dst, const char *src)
{
	size_t n = strlen(src);	/* attr() and on_text() bound it to PK_RPM_MD_MAX_VALUE */

	memcpy(dst, src, n + 1);
}

static void package_start(struct pk_rpm_primary *p, const XML_Char *name, const XML_Char **atts)
{
	struct xp *xp = &p->xp;
	const char *type = need_attr(xp, atts, name, "type");

	p->count++;
	if (!type)
		return;
	/* only "rpm" exists; anything else is not ours to read */
	p->in_pkg = !strcmp(type, "rpm");
	p->skip = false;
	p->seen = 0;
	memset(&p->pkg, 0, sizeof(p->pkg));
	p->pkg.line = xp_line(xp);
	p->base[0] = p->sourcerpm[0] = 0;
}

static void field_start(struct pk_rpm_primary *p, const XML_Char *name, const XML_Char **atts)
{
	struct xp *xp = &p->xp;
	const char *v, *e;
	uint64_t n;

	if (is(name, NS_COMMON, "version")) {
		if (!once(p, SEEN_VERSION, "version"))
			return;
		v = need_attr(xp, atts, name, "ver");
		e = v ? need_attr(xp, atts, name, "rel") : NULL;
		if (!e)
			return;
		if (!is_token(v) || !is_token(e)) {
			xp_fail(xp, -EBADMSG, "<version> ver '%.64s' rel '%.64s' are not versions", v, e);
			return;
		}
		copy_val(p->version, v);
		copy_val(p->release, e);
		v = attr(xp, atts, "epoch");
		if (v) {
			need_number(xp, "epoch", v, UINT32_MAX, &n);
			p->pkg.epoch = (uint32_t)n;
		}
		return;
	}
	if (is(name, NS_COMMON, "location")) {
		if (!once(p, SEEN_LOCATION, "location"))
			return;
		v = need_attr(xp, atts, name, "href");
		if (!v)
			return;
		if (!is_rel_path(v)) {
			xp_fail(xp, -EBADMSG, "<location> href '%.256s' is not a relative path", v);
			return;
		}
		copy_val(p->location, v);
		v = attr(xp, atts, NS_XML "|base");
		if (v) {
			if (!is_printable(v)) {
				xp_fail(xp, -EBADMSG, "<location> xml:base holds a control character");
				return;
			}
			copy_val(p->base, v);
		}
		return;
	}
	if (is(name, NS_COMMON, "size")) {
		if (!once(p, SEEN_SIZE, "size"))
			return;
		v = need_attr(xp, atts, name, "package");
		if (v)
			need_number(xp, "size package", v, UINT64_MAX, &p->pkg.size_package);
		return;
	}
	for (int f = PF_NAME; f <= PF_CHECKSUM; f++) {
		if (!is(name, NS_COMMON, pf_names[f]))
			continue;
		if (!once(p, 1u << f, pf_names[f]))
			return;
		if (f == PF_CHECKSUM) {
			v = need_attr(xp, atts, name, "type");
			if (!v)
				return;
			snprintf(p->sum_type, sizeof(p->sum_type), "%s", v);
			v = attr(xp, atts, "pkgid");
			p->pkg.pkgid = v && !strcmp(v, "YES");
		}
		p->field = f;
		text_start(xp, pf_names[f]);
		return;
	}
}

static void XMLCALL primary_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct pk_rpm_primary *p = ud;
	struct xp *xp = &p->xp;
	int depth = ++xp->depth;

	if (xp->rc)
		return;
	if (depth == 1) {
		const char *v;

		if (!is(name, NS_COMMON, "metadata")) {
			xp_fail(xp, -EBADMSG, "root element is <%.64s>, not primary.xml's <metadata>",
				local_name(name));
			return;
		}
		v = attr(xp, atts, "packages");
		if (v) {
			need_number(xp, "packages", v, UINT64_MAX, &p->declared);
			p->has_declared = true;
		}
		return;
	}
	if (depth == 2) {
		if (is(name, NS_COMMON, "package"))
			package_start(p, name, atts);
		return;
	}
	if (!p->in_pkg || p->skip)
		return;
	if (depth == 3) {
		field_start(p, name, atts);
		return;
	}
	if (depth == 4 && is(name, NS_RPM, "sourcerpm") && once(p, 1u << PF_SOURCERPM, "rpm:sourcerpm")) {
		p->field = PF_SOURCERPM;
		text_start(xp, "rpm:sourcerpm");
	}
}

static void package_end(struct pk_rpm_primary *p)
{
	struct xp *xp = &p->xp;
	static const struct {
		unsigned bit;
		const char *what;
	} need[] = {
		{ 1u << PF_NAME, "<name>" },	     { 1u << PF_ARCH, "<arch>" },
		{ SEEN_VERSION, "<version>" },	     { 1u << PF_CHECKSUM, "<checksum>" },
		{ SEEN_LOCATION, "<location>" },     { SEEN_SIZE, "<size>" },
	};
	int rc;

	p->in_pkg = false;
	/* a package whose <name> came after other fields is filtered here */
	if (p->skip || ((p->seen & (1u << PF_NAME)) && p->o.filter &&
			!p->o.filter(p->name, p->o.filter_ctx)))
		return;
	for (size_t i = 0; i < PK_ARRAY_SIZE(need); i++) {
		if (!(p->seen & need[i].bit)) {
			xp_fail(xp, -EBADMSG, "the <package> of line %lu has no %s", p->pkg.line,
				need[i].what);
			return;
		}
	}
	p->pkg.name = p->name;
	p->pkg.arch = p->arch;
	p->pkg.version = p->version;
	p->pkg.release = p->release;
	p->pkg.location = p->location;
	p->pkg.location_base = p->base;
	p->pkg.sourcerpm = p->sourcerpm;
	rc = p->o.emit(&p->pkg, p->o.emit_ctx);
	if (rc < 0)
		xp_fail(xp, rc, "stopped at package %.256s", p->name);
}

static void XMLCALL primary_end(void *ud, const XML_Char *name)
{
	struct pk_rpm_primary *p = ud;
	struct xp *xp = &p->xp;
	int depth = xp->depth--;
	enum prim_field f = p->field;
	const char *v;

	if (xp->rc)
		return;
	if (depth == 2) {
		if (p->in_pkg)
			package_end(p);
		return;
	}
	if (f == PF_NONE || depth != (f == PF_SOURCERPM ? 4 : 3))
		return;
	p->field = PF_NONE;
	v = text_end(xp);
	switch (f) {
	case PF_NAME:
		if (!is_token(v)) {
			xp_fail(xp, -EBADMSG, "<name> '%.64s' is not a package name", v);
			return;
		}
		copy_val(p->name, v);
		/* the filter runs as soon as the name is known: the rest of an unwanted
		 * package is parsed, never copied */
		if (p->o.filter && !p->o.filter(p->name, p->o.filter_ctx))
			p->skip = true;
		return;
	case PF_ARCH:
		if (!is_token(v)) {
			xp_fail(xp, -EBADMSG, "<arch> '%.64s' is not an architecture", v);
			return;
		}
		copy_val(p->arch, v);
		return;
	case PF_CHECKSUM:
		set_checksum(xp, "checksum", p->sum_type, v, &p->pkg.checksum);
		return;
	case PF_SOURCERPM:
		if (*v && !is_token(v)) {
			xp_fail(xp, -EBADMSG, "<rpm:sourcerpm> '%.64s' is not a file name", v);
			return;
		}
		copy_val(p->sourcerpm, v);
		return;
	default:
		return;
	}
}

struct pk_rpm_primary *pk_rpm_primary__new(const struct pk_rpm_primary_opts *opts,
					   struct pk_error *err)
{
	struct pk_rpm_primary *p;
	int rc;

	if (!PK_OPTS_VALID(opts, struct pk_rpm_primary_opts) || !PK_OPTS_GET(opts, emit, NULL)) {
		pk_error__set(err, -EINVAL, "no emit callback");
		errno = EINVAL;
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (!p) {
		pk_error__set(err, -ENOMEM, "out of memory");
		errno = ENOMEM;
		return NULL;
	}
	p->o.filter = PK_OPTS_GET(opts, filter, NULL);
	p->o.filter_ctx = PK_OPTS_GET(opts, filter_ctx, NULL);
	p->o.emit = PK_OPTS_GET(opts, emit, NULL);
	p->o.emit_ctx = PK_OPTS_GET(opts, emit_ctx, NULL);
	rc = xp_init(&p->xp, p, primary_start, primary_end, err);
	if (rc) {
		xp_fini(&p->xp);
		free(p);
		errno = -rc;
		return NULL;
	}
	return p;
}

int pk_rpm_primary__feed(struct pk_rpm_primary *p, const void *data, size_t len, bool last,
			 struct pk_error *err)
{
	if (!data && len)
		return pk_error__set(err, -EINVAL, "no data");
	if (!p->xp.rc && !p->xp.p)
		p->xp.rc = pk_error__set(&p->xp.e, -EINVAL, "primary.xml was already read to its end");
	if (xp_feed(&p->xp, data ? data : "", len, last))
		return xp_result(&p->xp, err);
	if (last) {
		if (p->has_declared && p->declared != p->count)
			p->xp.rc = pk_error__set(&p->xp.e, -EBADMSG,
						 "<metadata> says %llu packages, the document holds %llu",
						 (unsigned long long)p->declared,
						 (unsigned long long)p->count);
		xp_fini(&p->xp);
	}
	return xp_result(&p->xp, err);
}

uint64_t pk_rpm_primary__npackages(const struct pk_rpm_primary *p)
{
	return p->count;
}

void pk_rpm_primary__free(struct pk_rpm_primary *p)
{
	if (!p)
		return;
	xp_fini(&p->xp);
	free(p);
}

int pk_rpm_primary__parse(const void *data, size_t len, const struct pk_rpm_primary_opts *opts,
			  uint64_t *npackages, struct pk_error *err)
{
	struct pk_rpm_primary *p = pk_rpm_primary__new(opts, err);
	int rc;

	if (npackages)
		*npackages = 0;
	if (!p)
		return -errno;
	rc = pk_rpm_primary__feed(p, data, len, true, err);
	if (npackages)
		*npackages = p->count;
	pk_rpm_primary__free(p);
	return rc;
}

/* ---- mirror.list ---- */

int pk_mirrorlist__first(const void *data, size_t len, char **url, struct pk_error *err)
{
	const char *s = data, *end = s + len;
	unsigned long line = 0;

	*url = NULL;
	if (!data && len)
		return pk_error__set(err, -EINVAL, "no data");
	while (s < end) {
		const char *nl = memchr(s, '\n', (size_t)(end - s));
		const char *e = nl ? nl : end, *b = s, *host;
		size_t n, scheme;

		line++;
		s = nl ? nl + 1 : end;
		while (b < e && (*b == ' ' || *b == '\t'))
			b++;
		while (e > b && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (b == e || *b == '#')
			continue;
		n = (size_t)(e - b);
		if (n >= 7 && !strncmp(b, "http://", 7))
			scheme = 7;
		else if (n >= 8 && !strncmp(b, "https://", 8))
			scheme = 8;
		else
			return pk_error__set(err, -EBADMSG, "line %lu: not an http(s) URL", line);
		if (n > PK_RPM_MD_MAX_VALUE)
			return pk_error__set(err, -EBADMSG, "line %lu: the URL is longer than %u bytes",
					     line, PK_RPM_MD_MAX_VALUE);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)b[i] <= ' ' || (unsigned char)b[i] >= 0x7f)
				return pk_error__set(err, -EBADMSG,
						     "line %lu: the URL holds a space, control or non-ASCII byte",
						     line);
		host = b + scheme;
		if (host == e || *host == '/' || *host == '?' || *host == '#')
			return pk_error__set(err, -EBADMSG, "line %lu: the URL has no host", line);
		*url = strndup(b, n);
		return *url ? 0 : pk_error__set(err, -ENOMEM, "out of memory");
	}
	return pk_error__set(err, -EBADMSG, "no URL in the mirror list");
}
