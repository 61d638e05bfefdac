/* index.html: every artifact and failure of the index in plain tables that read
 * without JavaScript; an inline script adds the filter box (and ?q=TEXT). Every
 * string from the index is outside input: all of it goes through esc(). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "repo/html.h"

struct out {
	char *buf;
	size_t len, cap;
	int err;
};

static void put(struct out *o, const char *s, size_t n)
{
	if (o->err)
		return;
	if (o->len + n + 1 > o->cap) {
		size_t cap = o->cap ? o->cap : 16384;
		char *b;

		while (cap < o->len + n + 1)
			cap *= 2;
		b = realloc(o->buf, cap);
		if (!b) {
			o->err = -ENOMEM;
			return;
		}
		o->buf = b;
		o->cap = cap;
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void puts_(struct out *o, const char *s)
{
	put(o, s, strlen(s));
}

/* only for our own text and numbers: never pass index strings through the format */
static void __attribute__((format(printf, 2, 3))) putf(struct out *o, const char *fmt, ...)
{
	char b[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b, sizeof(b), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(b)) {
		o->err = o->err ?: -EOVERFLOW;
		return;
	}
	put(o, b, n);
}

/* HTML-escape for text and for quoted attribute values alike */
static void esc(struct out *o, const char *s)
{
	const char *run = s;

	if (!s)
		return;
	for (; *s; s++) {
		const char *e;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: continue;
		}
		put(o, run, s - run);
		puts_(o, e);
		run = s + 1;
	}
	put(o, run, s - run);
}

/* a repository path as a relative URL: everything but unreserved bytes, '/' and
 * '+' percent-encoded, so no path can turn into a scheme, query or fragment */
static void url(struct out *o, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; s && *s; s++) {
		unsigned char c = *s;

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~' || c == '/' || c == '+') {
			put(o, (const char *)&c, 1);
		} else {
			char b[3] = { '%', hex[c >> 4], hex[c & 15] };

			put(o, b, 3);
		}
	}
}

static void td(struct out *o, const char *s)
{
	puts_(o, "<td>");
	if (s)
		esc(o, s);
	else
		puts_(o, "&mdash;");
	puts_(o, "</td>");
}

static void link(struct out *o, const char *href, const char *text)
{
	puts_(o, "<a href=\"");
	url(o, href);
	puts_(o, "\">");
	esc(o, text);
	puts_(o, "</a>");
}

static void utc(struct out *o, int64_t t)
{
	time_t tt = (time_t)t;
	struct tm tm;
	char b[64];

	if (!gmtime_r(&tt, &tm) || !strftime(b, sizeof(b), "%Y-%m-%d %H:%M:%S UTC", &tm)) {
		putf(o, "%" PRId64, t);
		return;
	}
	puts_(o, b);
}

static void human_size(struct out *o, uint64_t n)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double v = n;
	int u = -1;

	if (n < 1024) {
		putf(o, "%" PRIu64 " B", n);
		return;
	}
	while (v >= 1024 && u < 3) {
		v /= 1024;
		u++;
	}
	putf(o, "%.1f %s", v, units[u]);
}

static int cmp_null_last(const char *a, const char *b)
{
	if (!a || !b)
		return (a == NULL) - (b == NULL);
	return strcmp(a, b);
}

/* rows read by probe version, distribution, kernel, kind; the path (unique)
 * breaks ties so the order is total */
static int cmp_row(const void *x, const void *y, void *base)
{
	const struct pk_index_artifact *a = (const struct pk_index_artifact *)base + *(const size_t *)x;
	const struct pk_index_artifact *b = (const struct pk_index_artifact *)base + *(const size_t *)y;
	int c;

	if ((c = cmp_null_last(a->probe_version, b->probe_version)) ||
	    (c = cmp_null_last(a->os_id, b->os_id)) ||
	    (c = cmp_null_last(a->version_id, b->version_id)) ||
	    (c = cmp_null_last(a->arch, b->arch)) ||
	    (c = cmp_null_last(a->uname_r, b->uname_r)) ||
	    (c = cmp_null_last(a->kernelrelease, b->kernelrelease)) ||
	    (c = strcmp(a->kind, b->kind)))
		return c;
	return strcmp(a->path, b->path);
}

static const char STYLE[] =
	"body{font:14px/1.4 system-ui,sans-serif;margin:1em 2em;color:#222}"
	"table{border-collapse:collapse;margin:.5em 0 1.5em}"
	"th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
	"th{background:#f0f0f0;position:sticky;top:0}"
	"tr:nth-child(even){background:#fafafa}"
	"td.num{text-align:right;white-space:nowrap}"
	"code{font:12px ui-monospace,monospace}"
	".verified{color:#060}.failed{color:#a00}.unverified{color:#777}"
	"pre{white-space:pre-wrap;max-width:60em;margin:0}"
	"#filter{margin:1em 0}#q{width:30em}";

/* no framework: a few lines, and the page is complete without them */
static const char SCRIPT[] =
	"(function(){\n"
	"var q=document.getElementById('q'),box=document.getElementById('filter'),\n"
	"    count=document.getElementById('count'),rows=document.querySelectorAll('tbody tr');\n"
	"box.hidden=false;\n"
	"function apply(){\n"
	"  var words=q.value.toLowerCase().split(/\\s+/).filter(function(w){return w;}),shown=0;\n"
	"  for(var i=0;i<rows.length;i++){\n"
	"    var t=rows[i].textContent.toLowerCase(),ok=words.every(function(w){return t.indexOf(w)>=0;});\n"
	"    rows[i].hidden=!ok;if(ok)shown++;\n"
	"  }\n"
	"  count.textContent=words.length?shown+' of '+rows.length+' rows':'';\n"
	"}\n"
	"var p=new URLSearchParams(location.search).get('q');\n"
	"if(p!==null)q.value=p;\n"
	"q.addEventListener('input',function(){\n"
	"  apply();\n"
	"  history.replaceState(null,'',q.value?'?q='+encodeURIComponent(q.value):location.pathname);\n"
	"});\n"
	"apply();\n"
	"})();\n";

static void artifact_row(struct out *o, const struct pk_index_artifact *a)
{
	const struct pk_index_verification *v = &a->verification;
	const char *state = v->state ? v->state : "unverified";

	puts_(o, "<tr>");
	td(o, a->probe_version);
	puts_(o, "<td>");
	if (a->os_id || a->version_id) {
		esc(o, a->os_id);
		puts_(o, " ");
		esc(o, a->version_id);
	} else {
		puts_(o, "&mdash;");
	}
	puts_(o, "</td><td>");
	if (a->uname_r || a->kernelrelease) {
		esc(o, a->uname_r ? a->uname_r : a->kernelrelease);
		if (a->target || (a->kernelrelease && a->uname_r)) {
			puts_(o, "<br><small>");
			esc(o, a->target);
			puts_(o, " ");
			esc(o, a->kernelrelease);
			if (a->kernelversion) {
				puts_(o, " #");
				esc(o, a->kernelversion);
			}
			puts_(o, "</small>");
		}
		puts_(o, "<br><small>");
		esc(o, a->arch);
		puts_(o, "</small>");
	} else {
		esc(o, a->arch);
	}
	puts_(o, "</td>");
	td(o, a->kind);
	puts_(o, "<td>");
	link(o, a->path, a->path);
	puts_(o, "</td>");
	putf(o, "<td class=\"num\" title=\"%" PRIu64 " bytes\">", a->size);
	human_size(o, a->size);
	puts_(o, "</td><td><code title=\"");
	esc(o, a->sha256);
	puts_(o, "\">");
	put(o, a->sha256, strnlen(a->sha256, 12));
	puts_(o, "&hellip;</code></td><td>");
	putf(o, "%.3f s", a->seconds);
	if (a->compiler) {
		puts_(o, "<br><small>");
		esc(o, a->compiler);
		puts_(o, "</small>");
	}
	if (a->record) {
		puts_(o, "<br>");
		link(o, a->record, "record");
	}
	if (a->nr_inputs) {
		/* folded: a row stays one line high, and the filter still finds them */
		putf(o, "<details><summary>%zu input%s</summary><small>", a->nr_inputs,
		     a->nr_inputs == 1 ? "" : "s");
		for (size_t i = 0; i < a->nr_inputs; i++) {
			puts_(o, i ? "<br><span title=\"sha256 " : "<span title=\"sha256 ");
			esc(o, a->inputs[i].sha256);
			puts_(o, "\">");
			esc(o, a->inputs[i].name);
			puts_(o, " ");
			esc(o, a->inputs[i].version);
			puts_(o, "</span>");
		}
		puts_(o, "</small></details>");
	}
	puts_(o, "</td><td class=\"");
	/* a class name only from our own set (the parser and the model allow no other) */
	puts_(o, !strcmp(state, "verified") ? "verified" : !strcmp(state, "failed") ? "failed"
										: "unverified");
	puts_(o, "\">");
	esc(o, state);
	{
		const char *parts[] = { v->kernel, v->mode, v->date };
		bool any = false;

		for (size_t i = 0; i < PK_ARRAY_SIZE(parts); i++) {
			if (!parts[i])
				continue;
			puts_(o, any ? ", " : "<br><small>");
			esc(o, parts[i]);
			any = true;
		}
		if (any)
			puts_(o, "</small>");
	}
	if (v->reason) {
		puts_(o, "<br><small>");
		esc(o, v->reason);
		puts_(o, "</small>");
	}
	puts_(o, "</td></tr>\n");
}

static void failure_row(struct out *o, const struct pk_index_failure *f)
{
	puts_(o, "<tr>");
	td(o, f->key);
	td(o, f->kind);
	td(o, f->probe_version);
	td(o, f->stage);
	puts_(o, "<td><pre>");
	esc(o, f->reason);
	puts_(o, "</pre>");
	if (f->log_tail) {
		puts_(o, "<details><summary>log tail</summary><pre>");
		esc(o, f->log_tail);
		puts_(o, "</pre></details>");
	}
	puts_(o, "</td><td>");
	if (f->record)
		link(o, f->record, "record");
	else
		puts_(o, "&mdash;");
	puts_(o, "</td></tr>\n");
}

static int cmp_kernel(const void *x, const void *y, void *base)
{
	const struct pk_index_artifact *a = (const struct pk_index_artifact *)base + *(const size_t *)x;
	const struct pk_index_artifact *b = (const struct pk_index_artifact *)base + *(const size_t *)y;
	int c;

	if ((c = cmp_null_last(a->os_id, b->os_id)) ||
	    (c = cmp_null_last(a->version_id, b->version_id)) ||
	    (c = cmp_null_last(a->uname_r, b->uname_r)))
		return c;
	return (*(const size_t *)x > *(const size_t *)y) - (*(const size_t *)x < *(const size_t *)y);
}

static bool same(const char *a, const char *b)
{
	return !cmp_null_last(a, b);
}

/* "debian 12 (N kernels)": distinct uname -r per distribution release */
static int distributions(struct out *o, const struct pk_index *ix)
{
	size_t *k, n = 0;

	if (!ix->nr_artifacts)
		return 0;
	k = malloc(ix->nr_artifacts * sizeof(*k));
	if (!k)
		return -ENOMEM;
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		if (ix->artifacts[i].os_id && ix->artifacts[i].version_id && ix->artifacts[i].uname_r)
			k[n++] = i;
	qsort_r(k, n, sizeof(*k), cmp_kernel, ix->artifacts);
	puts_(o, "<p>Distributions:");
	for (size_t i = 0; i < n;) {
		const struct pk_index_artifact *a = &ix->artifacts[k[i]];
		size_t kernels = 0, j = i;

		for (; j < n && same(ix->artifacts[k[j]].os_id, a->os_id) &&
		       same(ix->artifacts[k[j]].version_id, a->version_id); j++)
			kernels += j == i || !same(ix->artifacts[k[j]].uname_r,
						   ix->artifacts[k[j - 1]].uname_r);
		puts_(o, i ? ", " : " ");
		esc(o, a->os_id);
		puts_(o, " ");
		esc(o, a->version_id);
		putf(o, " (%zu kernel%s)", kernels, kernels == 1 ? "" : "s");
		i = j;
	}
	puts_(o, n ? ".</p>\n" : " none.</p>\n");
	free(k);
	return 0;
}

/* "p123… (N artifacts)": the probe versions at a glance */
static void summary(struct out *o, const struct pk_index *ix, const size_t *order)
{
	size_t i = 0, n;

	puts_(o, "<p>Probe versions:");
	n = 0;
	while (i < ix->nr_artifacts) {
		const char *pv = ix->artifacts[order[i]].probe_version;
		size_t k = i;

		while (k < ix->nr_artifacts &&
		       !cmp_null_last(ix->artifacts[order[k]].probe_version, pv))
			k++;
		if (pv) {
			puts_(o, n++ ? ", " : " ");
			puts_(o, "<code>");
			esc(o, pv);
			putf(o, "</code> (%zu)", k - i);
		}
		i = k;
	}
	if (!n)
		puts_(o, " none");
	puts_(o, ".</p>\n");
}

int pk_index__write_html(struct pk_index *ix, const char *title, char **buf, size_t *len,
			 struct pk_error *err)
{
	struct out o = { 0 };
	size_t *order = NULL;

	*buf = NULL;
	*len = 0;
	pk_index__sort(ix);
	if (ix->nr_artifacts) {
		order = malloc(ix->nr_artifacts * sizeof(*order));
		if (!order)
			return pk_error__set(err, -ENOMEM, "out of memory");
		for (size_t i = 0; i < ix->nr_artifacts; i++)
			order[i] = i;
		qsort_r(order, ix->nr_artifacts, sizeof(*order), cmp_row, ix->artifacts);
	}
	if (!title)
		title = "probekit repository";

	puts_(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
		  "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		  "<title>");
	esc(&o, title);
	puts_(&o, "</title>\n<style>");
	puts_(&o, STYLE);
	puts_(&o, "</style>\n</head>\n<body>\n<h1>");
	esc(&o, title);
	puts_(&o, "</h1>\n");
	putf(&o, "<p>Index version %" PRIu64 ", generated ", ix->version);
	utc(&o, ix->generated);
	puts_(&o, ", expires ");
	utc(&o, ix->expires);
	putf(&o, ". %zu artifacts, %zu failed builds. ", ix->nr_artifacts, ix->nr_failures);
	puts_(&o, "Signed index: <a href=\"index.json\">index.json</a> "
		  "(<a href=\"index.json.minisig\">minisign signature</a>); "
		  "check a download's SHA256 against it.</p>\n");
	summary(&o, ix, order);
	if (distributions(&o, ix))
		o.err = -ENOMEM;
	puts_(&o, "<p id=\"filter\" hidden><label for=\"q\">Filter</label> "
		  "<input id=\"q\" type=\"search\" placeholder=\"kernel, distribution, probe "
		  "version, kind...\" autofocus> <span id=\"count\"></span></p>\n");

	puts_(&o, "<h2>Artifacts</h2>\n<table id=\"artifacts\">\n<thead><tr><th>Probe version</th>"
		  "<th>Distribution</th><th>Kernel</th><th>Kind</th><th>File</th><th>Size</th>"
		  "<th>SHA256</th><th>Build</th><th>Verification</th></tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < ix->nr_artifacts; i++)
		artifact_row(&o, &ix->artifacts[order[i]]);
	puts_(&o, "</tbody>\n</table>\n");

	puts_(&o, "<h2>Failed builds</h2>\n<table id=\"failures\">\n<thead><tr><th>Kernel</th>"
		  "<th>Kind</th><th>Probe version</th><th>Stage</th><th>Reason</th><th>Record</th>"
		  "</tr></thead>\n<tbody>\n");
	for (size_t i = 0; i < ix->nr_failures; i++)
		failure_row(&o, &ix->failures[i]);
	puts_(&o, "</tbody>\n</table>\n<script>\n");
	puts_(&o, SCRIPT);
	puts_(&o, "</script>\n</body>\n</html>\n");
	free(order);
	if (o.err) {
		free(o.buf);
		return pk_error__set(err, o.err, "cannot render index.html: %s", strerror(-o.err));
	}
	*buf = o.buf;
	*len = o.len;
	return 0;
}
