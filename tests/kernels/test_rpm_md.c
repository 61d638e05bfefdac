/* RPM repository metadata: repomd.xml and primary.xml as createrepo_c writes them,
 * read whole and in chunks down to one byte, every refusal (DOCTYPE, bad numbers,
 * missing attributes, non-UTF-8, over-long values), and mirror.list. With
 * --repo/--repomd/--primary/--mirrorlist/--inrelease it is the tool
 * tests/kernels/rpm_md.sh runs on mkfixtures.py's trees: checks a repository's
 * checksums and lists its packages; an Ubuntu suite goes through kernels/release.h. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <zlib.h>

#include "btf/decompress.h"
#include "common/sha256.h"
#include "kernels/release.h"
#include "kernels/rpm_md.h"
#include "unit.h"

#define SUM64(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
		 c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c
#define SHA256_A SUM64("a")
#define SHA256_B SUM64("b")

static const char REPOMD[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<repomd xmlns=\"http://linux.duke.edu/metadata/repo\" xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\">\n"
	"  <revision>1731196800</revision>\n"
	"  <tags>\n    <content>binary-x86_64</content>\n  </tags>\n"
	"  <data type=\"primary\">\n"
	"    <checksum type=\"sha256\">" SHA256_A "</checksum>\n"
	"    <open-checksum type=\"sha256\">" SHA256_B "</open-checksum>\n"
	"    <location href=\"repodata/" SHA256_A "-primary.xml.gz\"/>\n"
	"    <timestamp>1731196700</timestamp>\n"
	"    <size>2150</size>\n"
	"    <open-size>10567</open-size>\n"
	"  </data>\n"
	"  <data type=\"filelists\">\n"
	"    <checksum type=\"sha1\">0123456789ABCDEF0123456789abcdef01234567</checksum>\n"
	"    <location href=\"repodata/filelists.xml.gz\"/>\n"
	"    <size>99</size>\n"
	"  </data>\n"
	"  <data type=\"primary_zck\">\n"
	"    <checksum type=\"sha512\">" SUM64("c") SUM64("d") "</checksum>\n"
	"    <open-checksum type=\"sha256\">" SHA256_B "</open-checksum>\n"
	"    <header-checksum type=\"sha256\">" SHA256_A "</header-checksum>\n"
	"    <location href=\"repodata/primary.xml.zck\"/>\n"
	"    <timestamp>1731196700</timestamp>\n"
	"    <size>3000</size>\n"
	"    <open-size>10567</open-size>\n"
	"    <header-size>1200</header-size>\n"
	"  </data>\n"
	"</repomd>\n";

static void test_repomd(void)
{
	const char *t = "repomd: createrepo_c's repomd.xml";
	const struct pk_repomd_data *d;
	struct pk_error e = { 0 };
	struct pk_repomd *r;
	int rc;

	rc = pk_repomd__parse(REPOMD, strlen(REPOMD), &r, &e);
	CHECK(t, rc == 0, "rc %d: %s", rc, e.msg);
	CHECK_STR(t, pk_repomd__revision(r), "1731196800");
	CHECK_INT(t, pk_repomd__ndata(r), 3);
	d = pk_repomd__find(r, "primary");
	CHECK(t, d && d == pk_repomd__data(r, 0), "no primary");
	CHECK_STR(t, d->location, "repodata/" SHA256_A "-primary.xml.gz");
	CHECK_STR(t, d->checksum.type, "sha256");
	CHECK_STR(t, d->checksum.value, SHA256_A);
	CHECK_STR(t, d->open_checksum.value, SHA256_B);
	CHECK_INT(t, d->size, 2150);
	CHECK_INT(t, d->open_size, 10567);
	CHECK_INT(t, d->timestamp, 1731196700);
	d = pk_repomd__find(r, "filelists");
	CHECK(t, d, "no filelists");
	CHECK_STR(t, d->checksum.type, "sha1");
	CHECK_STR(t, d->checksum.value, "0123456789abcdef0123456789abcdef01234567");
	CHECK_STR(t, d->open_checksum.type, "");
	CHECK_INT(t, d->open_size, -1);
	CHECK_INT(t, d->timestamp, -1);
	d = pk_repomd__find(r, "primary_zck");
	CHECK(t, d && !strcmp(d->checksum.type, "sha512") && strlen(d->checksum.value) == 128,
	      "sha512 not recorded");
	CHECK(t, !pk_repomd__find(r, "other") && !pk_repomd__data(r, 3), "found what is not there");
	pk_repomd__free(r);
	pk_repomd__free(NULL);
	PASS(t);
}

/* a repomd.xml with one <data> whose inside is body */
static char *repomd_with(const char *head, const char *body)
{
	char *s;

	if (asprintf(&s, "%s<repomd xmlns=\"http://linux.duke.edu/metadata/repo\">\n"
			 "<data type=\"primary\">\n%s</data>\n</repomd>\n",
		     head, body) < 0)
		abort();
	return s;
}

#define LOC "<location href=\"repodata/p.xml.gz\"/>\n"
#define SUM "<checksum type=\"sha256\">" SHA256_A "</checksum>\n"

static void expect_repomd_error(const char *t, const char *doc, size_t len, int code,
				const char *want)
{
	struct pk_error e = { 0 };
	struct pk_repomd *r = (void *)1;
	int rc = pk_repomd__parse(doc, len, &r, &e);

	CHECK(t, rc == code, "rc %d, want %d (%s)", rc, code, e.msg);
	CHECK(t, !r, "a result on error");
	CHECK(t, e.code == rc && strstr(e.msg, want), "message '%s', want '%s'", e.msg, want);
	CHECK(t, code != -EBADMSG || !strncmp(e.msg, "line ", 5), "no line number: '%s'", e.msg);
	PASS(t);
}

static void test_repomd_errors(void)
{
	static const struct {
		const char *name, *head, *body, *want;
	} cases[] = {
		{ "no href", "", "<location/>\n" SUM, "<location> has no href attribute" },
		{ "no checksum", "", LOC, "has no <checksum>" },
		{ "no location", "", SUM, "has no <location>" },
		{ "checksum without type", "", LOC "<checksum>" SHA256_A "</checksum>\n",
		  "<checksum> has no type attribute" },
		{ "short sha256", "", LOC "<checksum type=\"sha256\">abcd</checksum>\n",
		  "is not a sha256" },
		{ "not hex", "", LOC "<checksum type=\"sha256\">" SUM64("g") "</checksum>\n",
		  "is not a sha256" },
		{ "unknown checksum type", "", LOC "<checksum type=\"crc32\">abcd</checksum>\n",
		  "not a known checksum type" },
		{ "size not a number", "", LOC SUM "<size>12a</size>\n", "size '12a' is not a number" },
		{ "negative size", "", LOC SUM "<size>-1</size>\n", "is not a number" },
		{ "size past int64", "", LOC SUM "<size>9223372036854775808</size>\n",
		  "is not a number" },
		{ "two sizes", "", LOC SUM "<size>1</size><size>1</size>\n", "<size> appears twice" },
		{ "absolute href", "", "<location href=\"/etc/passwd\"/>\n" SUM,
		  "is not a relative path" },
		{ "a control character in href", "", "<location href=\"repodata/p&#9;x\"/>\n" SUM,
		  "is not a relative path" },
		{ "url href", "", "<location href=\"http://x/y\"/>\n" SUM, "is not a relative path" },
		{ "latin-1 declared", "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n", LOC SUM,
		  "encoding 'ISO-8859-1' is not UTF-8" },
		{ "billion laughs",
		  "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
		  "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n",
		  LOC SUM "<size>&lol2;</size>\n", "a DOCTYPE is not allowed" },
		{ "external entity",
		  "<!DOCTYPE r SYSTEM \"file:///etc/passwd\">\n", LOC SUM, "a DOCTYPE is not allowed" },
		{ "undefined entity", "", LOC SUM "<size>&x;</size>\n", "undefined entity" },
	};
	char name[128];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		char *doc = repomd_with(cases[i].head, cases[i].body);

		snprintf(name, sizeof(name), "repomd: refuses %s", cases[i].name);
		expect_repomd_error(name, doc, strlen(doc), -EBADMSG, cases[i].want);
		free(doc);
	}

	/* twice the same type */
	{
		char *one = repomd_with("", LOC SUM), *two;
		char *end = strstr(one, "</repomd>");

		*end = 0;
		if (asprintf(&two, "%s<data type=\"primary\">" LOC SUM "</data></repomd>", one) < 0)
			abort();
		expect_repomd_error("repomd: refuses a type twice", two, strlen(two), -EBADMSG,
				    "<data type=\"primary\"> appears twice");
		free(one);
		free(two);
	}
	expect_repomd_error("repomd: refuses another root",
			    "<metadata xmlns=\"http://linux.duke.edu/metadata/common\"/>", 58,
			    -EBADMSG, "root element is <metadata>, not repomd.xml's <repomd>");
	expect_repomd_error("repomd: refuses no namespace", "<repomd/>", 9, -EBADMSG,
			    "root element is <repomd>, not");
	expect_repomd_error("repomd: refuses an empty document", "", 0, -EBADMSG, "no element found");
	expect_repomd_error("repomd: refuses a truncated document", REPOMD, 400, -EBADMSG, "line ");
	{
		char *doc = repomd_with("", LOC SUM "<revision>\xff\xfe</revision>");

		expect_repomd_error("repomd: refuses bytes that are not UTF-8", doc, strlen(doc),
				    -EBADMSG, "not well-formed");
		free(doc);
	}
	{
		/* UTF-16 with its BOM: Expat is told to read UTF-8 */
		static const char u16[] = "\xff\xfe<\0r\0/\0>\0";

		expect_repomd_error("repomd: refuses UTF-16", u16, sizeof(u16) - 1, -EBADMSG, "line 1");
	}
	{
		/* the bytes handed over, not a terminator, end the document */
		char *doc = repomd_with("", LOC SUM);
		size_t n = strlen(doc);

		expect_repomd_error("repomd: reads len bytes only", doc, n - 3, -EBADMSG, "line ");
		free(doc);
	}
	{
		size_t big = PK_RPM_MD_MAX_VALUE + 10;
		char *href = malloc(big + 1), *body, *doc;

		memset(href, 'a', big);
		href[big] = 0;
		if (asprintf(&body, "<location href=\"%s\"/>\n" SUM, href) < 0)
			abort();
		doc = repomd_with("", body);
		expect_repomd_error("repomd: refuses an over-long attribute", doc, strlen(doc), -EBADMSG,
				    "attribute href is longer than 4096 bytes");
		free(doc);
		free(body);
		if (asprintf(&body, LOC SUM "<timestamp>%s</timestamp>", href) < 0)
			abort();
		doc = repomd_with("", body);
		expect_repomd_error("repomd: refuses an over-long text", doc, strlen(doc), -EBADMSG,
				    "<timestamp> is longer than 4096 bytes");
		free(doc);
		free(body);
		free(href);
	}
}

#define PKG(name, arch, epoch, ver, rel, sum, loc, extra_fmt)                                        \
	"<package type=\"rpm\">\n"                                                                   \
	"  <name>" name "</name>\n"                                                                  \
	"  <arch>" arch "</arch>\n"                                                                  \
	"  <version epoch=\"" epoch "\" ver=\"" ver "\" rel=\"" rel "\"/>\n"                         \
	"  <checksum type=\"sha256\" pkgid=\"YES\">" sum "</checksum>\n"                             \
	"  <summary>The Linux kernel</summary>\n"                                                    \
	"  <description>The kernel package contains the Linux kernel (vmlinuz), the core of any\n"  \
	"Linux operating system.  The kernel handles the basic functions\n"                          \
	"of the operating system: memory allocation &amp; process allocation.</description>\n"      \
	"  <packager>Builder &lt;builder@rpm.example&gt;</packager>\n"                               \
	"  <url>https://kernel.example/</url>\n"                                                     \
	"  <time file=\"1731196500\" build=\"1731190000\"/>\n"                                       \
	"  <size package=\"5312345\" installed=\"0\" archive=\"124\"/>\n"                            \
	"  <location " loc "/>\n"                                                                    \
	"  <format>\n"                                                                               \
	"    <rpm:license>GPL-2.0-only</rpm:license>\n"                                              \
	"    <rpm:vendor>Example</rpm:vendor>\n"                                                     \
	"    <rpm:group>Unspecified</rpm:group>\n"                                                   \
	"    <rpm:buildhost>builder.rpm.example</rpm:buildhost>\n"                                   \
	extra_fmt                                                                                    \
	"    <rpm:header-range start=\"4504\" end=\"25321\"/>\n"                                     \
	"    <rpm:provides>\n"                                                                       \
	"      <rpm:entry name=\"" name "\" flags=\"EQ\" epoch=\"" epoch "\" ver=\"" ver "\" rel=\"" rel "\"/>\n" \
	"    </rpm:provides>\n"                                                                      \
	"    <rpm:requires>\n"                                                                       \
	"      <rpm:entry name=\"/bin/sh\" pre=\"1\"/>\n"                                            \
	"    </rpm:requires>\n"                                                                      \
	"    <file>/boot/vmlinuz</file>\n"                                                           \
	"  </format>\n"                                                                               \
	"</package>\n"

#define SRPM(s) "    <rpm:sourcerpm>" s "</rpm:sourcerpm>\n"
#define HEAD(n)                                                                                      \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                                               \
	"<metadata xmlns=\"http://linux.duke.edu/metadata/common\" "                                 \
	"xmlns:rpm=\"http://linux.duke.edu/metadata/rpm\" packages=\"" n "\">\n"

static const char PRIMARY[] =
	HEAD("4")
	PKG("kernel", "x86_64", "0", "5.14.0", "427.el9", SHA256_A,
	    "href=\"Packages/kernel-5.14.0-427.el9.x86_64.rpm\"",
	    SRPM("kernel-5.14.0-427.el9.src.rpm"))
	PKG("bash", "x86_64", "0", "5.1.8", "9.el9", SHA256_B, "href=\"Packages/bash-5.1.8-9.el9.x86_64.rpm\"",
	    SRPM("bash-5.1.8-9.el9.src.rpm"))
	PKG("kernel-devel", "x86_64", "1", "5.14.0", "427.el9", SUM64("C"),
	    "xml:base=\"https://mirror.rpm.example/9/\" href=\"Packages/kernel-devel-5.14.0-427.el9.x86_64.rpm\"",
	    SRPM("kernel-5.14.0-427.el9.src.rpm"))
	PKG("kernel", "src", "0", "5.14.0", "427.el9", SHA256_A, "href=\"SRPMS/kernel-5.14.0-427.el9.src.rpm\"",
	    "    <rpm:sourcerpm/>\n")
	"</metadata>\n";

struct seen {
	int n;
	char lines[8][512];
	int stop_after;		/* emit returns -ECANCELED after this many; 0 never */
};

static bool keep_kernels(const char *name, void *ctx)
{
	return !strncmp(name, "kernel", 6);
}

static int record(const struct pk_rpm_package *p, void *ctx)
{
	struct seen *s = ctx;

	if (s->n < 8)
		snprintf(s->lines[s->n], sizeof(s->lines[0]), "%s %u:%s-%s.%s %s|%s %s:%.8s%s %llu %s",
			 p->name, p->epoch, p->version, p->release, p->arch, p->location_base,
			 p->location, p->checksum.type, p->checksum.value, p->pkgid ? " pkgid" : "",
			 (unsigned long long)p->size_package, p->sourcerpm[0] ? p->sourcerpm : "-");
	s->n++;
	return s->stop_after && s->n >= s->stop_after ? -ECANCELED : 0;
}

static void check_primary_result(const char *t, const struct seen *s)
{
	CHECK_INT(t, s->n, 3);
	CHECK_STR(t, s->lines[0], "kernel 0:5.14.0-427.el9.x86_64 |Packages/kernel-5.14.0-427.el9.x86_64.rpm "
				  "sha256:aaaaaaaa pkgid 5312345 kernel-5.14.0-427.el9.src.rpm");
	CHECK_STR(t, s->lines[1], "kernel-devel 1:5.14.0-427.el9.x86_64 https://mirror.rpm.example/9/|"
				  "Packages/kernel-devel-5.14.0-427.el9.x86_64.rpm sha256:cccccccc pkgid "
				  "5312345 kernel-5.14.0-427.el9.src.rpm");
	CHECK_STR(t, s->lines[2], "kernel 0:5.14.0-427.el9.src |SRPMS/kernel-5.14.0-427.el9.src.rpm "
				  "sha256:aaaaaaaa pkgid 5312345 -");
	PASS(t);
}

static void test_primary(void)
{
	const char *t = "primary: createrepo_c's primary.xml, kernels only";
	struct seen s = { 0 };
	PK_RPM_PRIMARY_OPTS(o, .filter = keep_kernels, .emit = record, .emit_ctx = &s);
	struct pk_error e = { 0 };
	uint64_t n = 0;
	int rc;

	rc = pk_rpm_primary__parse(PRIMARY, strlen(PRIMARY), &o, &n, &e);
	CHECK(t, rc == 0, "rc %d: %s", rc, e.msg);
	CHECK_INT(t, n, 4);
	check_primary_result(t, &s);

	/* the same, fed in chunks of 1, 7 and 4093 bytes */
	for (size_t chunk = 1; chunk < 5000; chunk = chunk * 7 + (chunk > 1 ? 4044 : 0)) {
		struct pk_rpm_primary *p;
		char name[96];

		snprintf(name, sizeof(name), "primary: fed in chunks of %zu bytes", chunk);
		memset(&s, 0, sizeof(s));
		p = pk_rpm_primary__new(&o, &e);
		CHECK(name, p, "new: %s", e.msg);
		for (size_t off = 0; off < sizeof(PRIMARY) - 1 && !rc; off += chunk) {
			size_t k = sizeof(PRIMARY) - 1 - off < chunk ? sizeof(PRIMARY) - 1 - off : chunk;

			rc = pk_rpm_primary__feed(p, PRIMARY + off, k, false, &e);
		}
		if (!rc)
			rc = pk_rpm_primary__feed(p, NULL, 0, true, &e);
		CHECK(name, rc == 0, "rc %d: %s", rc, e.msg);
		CHECK_INT(name, pk_rpm_primary__npackages(p), 4);
		rc = pk_rpm_primary__feed(p, "x", 1, true, &e);
		CHECK(name, rc == -EINVAL, "fed after the end: rc %d", rc);
		rc = 0;
		pk_rpm_primary__free(p);
		check_primary_result(name, &s);
	}
	pk_rpm_primary__free(NULL);

	t = "primary: no filter keeps every package";
	memset(&s, 0, sizeof(s));
	o.filter = NULL;
	rc = pk_rpm_primary__parse(PRIMARY, strlen(PRIMARY), &o, NULL, &e);
	CHECK(t, rc == 0 && s.n == 4, "rc %d, %d packages", rc, s.n);
	CHECK(t, !strncmp(s.lines[1], "bash 0:5.1.8-9.el9.x86_64 ", 26), "got '%s'", s.lines[1]);
	PASS(t);

	t = "primary: emit stops the parse with its code";
	memset(&s, 0, sizeof(s));
	s.stop_after = 2;
	rc = pk_rpm_primary__parse(PRIMARY, strlen(PRIMARY), &o, NULL, &e);
	CHECK(t, rc == -ECANCELED && s.n == 2, "rc %d, %d packages", rc, s.n);
	CHECK(t, strstr(e.msg, "stopped at package bash"), "message '%s'", e.msg);
	PASS(t);

	t = "primary: needs an emit callback";
	{
		PK_RPM_PRIMARY_OPTS(none);
		CHECK(t, pk_rpm_primary__parse(PRIMARY, 10, &none, NULL, &e) == -EINVAL, "accepted");
		CHECK(t, pk_rpm_primary__parse(PRIMARY, 10, NULL, NULL, &e) == -EINVAL, "accepted");
	}
	PASS(t);
}

static void expect_primary_error(const char *t, const char *doc, size_t len, const char *want,
				 int want_kept)
{
	struct seen s = { 0 };
	PK_RPM_PRIMARY_OPTS(o, .filter = keep_kernels, .emit = record, .emit_ctx = &s);
	struct pk_error e = { 0 };
	int rc = pk_rpm_primary__parse(doc, len, &o, NULL, &e);

	CHECK(t, rc == -EBADMSG, "rc %d (%s)", rc, e.msg);
	CHECK(t, strstr(e.msg, want), "message '%s', want '%s'", e.msg, want);
	CHECK(t, !strncmp(e.msg, "line ", 5) || strstr(e.msg, "<metadata> says"), "no line: '%s'", e.msg);
	CHECK_INT(t, s.n, want_kept);
	PASS(t);
}

static void test_primary_errors(void)
{
#define OK_PKG(name, loc) \
	PKG(name, "x86_64", "0", "6.1", "1", SHA256_A, "href=\"" loc "\"", SRPM("k.src.rpm"))
	static const struct {
		const char *name, *doc, *want;
		int kept;
	} cases[] = {
		{ "a count that does not match", HEAD("3") OK_PKG("kernel", "k.rpm") "</metadata>",
		  "<metadata> says 3 packages, the document holds 1", 1 },
		{ "a count that is not a number", HEAD("x1") "</metadata>",
		  "packages 'x1' is not a number", 0 },
		{ "a version without rel",
		  HEAD("1") "<package type=\"rpm\"><name>kernel</name><version epoch=\"0\" ver=\"6.1\"/>"
		  "</package></metadata>", "<version> has no rel attribute", 0 },
		{ "an epoch that is not a number",
		  HEAD("1") PKG("kernel", "x86_64", "1a", "6.1", "1", SHA256_A, "href=\"k\"", "") "</metadata>",
		  "epoch '1a' is not a number", 0 },
		{ "an epoch past 32 bits",
		  HEAD("1") PKG("kernel", "x86_64", "4294967296", "6.1", "1", SHA256_A, "href=\"k\"", "")
		  "</metadata>", "epoch '4294967296' is not a number", 0 },
		{ "a size that is not a number",
		  HEAD("1") "<package type=\"rpm\"><name>kernel</name><size package=\"0x10\"/></package></metadata>",
		  "size package '0x10' is not a number", 0 },
		{ "a kept package without checksum",
		  HEAD("1") "<package type=\"rpm\"><name>kernel</name><arch>x86_64</arch>"
		  "<version epoch=\"0\" ver=\"1\" rel=\"1\"/><size package=\"1\"/>"
		  "<location href=\"k.rpm\"/></package></metadata>", "has no <checksum>", 0 },
		{ "a package without type",
		  HEAD("1") "<package><name>kernel</name></package></metadata>",
		  "<package> has no type attribute", 0 },
		{ "a name with a space",
		  HEAD("1") "<package type=\"rpm\"><name>ker nel</name></package></metadata>",
		  "'ker nel' is not a package name", 0 },
		{ "two names",
		  HEAD("1") "<package type=\"rpm\"><name>kernel</name><name>x</name></package></metadata>",
		  "<name> appears twice in <package>", 0 },
		{ "a sha1 that is too short",
		  HEAD("1") PKG("kernel", "x86_64", "0", "6.1", "1", "abc", "href=\"k\"", "") "</metadata>",
		  "<checksum> is not a sha256: 'abc'", 0 },
		{ "an absolute location",
		  HEAD("1") OK_PKG("kernel", "/etc/shadow") "</metadata>", "is not a relative path", 0 },
		{ "repomd.xml", REPOMD, "root element is <repomd>, not primary.xml's <metadata>", 0 },
		{ "a DOCTYPE", "<!DOCTYPE metadata [<!ENTITY a \"b\">]>" HEAD("0") "</metadata>",
		  "DOCTYPE is not allowed", 0 },
		{ "a truncated document", HEAD("2") OK_PKG("kernel", "k.rpm") "<package type=\"rpm\"><na",
		  "line ", 1 },
		{ "a second root", HEAD("0") "</metadata><metadata/>", "junk after document element", 0 },
	};
	char name[128];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		snprintf(name, sizeof(name), "primary: refuses %s", cases[i].name);
		expect_primary_error(name, cases[i].doc, strlen(cases[i].doc), cases[i].want, cases[i].kept);
	}

	{
		const char *t = "primary: a skipped package is not checked";
		static const char doc[] = HEAD("2")
			"<package type=\"rpm\"><name>bash</name><arch>x86_64</arch></package>"
			"<package type=\"drpm\"><name>kernel</name></package></metadata>";
		struct seen s = { 0 };
		PK_RPM_PRIMARY_OPTS(o, .filter = keep_kernels, .emit = record, .emit_ctx = &s);
		struct pk_error e = { 0 };
		int rc = pk_rpm_primary__parse(doc, strlen(doc), &o, NULL, &e);

		CHECK(t, rc == 0 && s.n == 0, "rc %d (%s), %d kept", rc, e.msg, s.n);
		PASS(t);
	}
	{
		const char *t = "primary: an href up into a blobstore is kept as written";
		static const char doc[] = HEAD("1")
			OK_PKG("kernel", "../../../../blobstore/ab12/kernel-6.1.115-126.197.amzn2023.x86_64.rpm")
			"</metadata>";
		struct seen s = { 0 };
		PK_RPM_PRIMARY_OPTS(o, .emit = record, .emit_ctx = &s);
		struct pk_error e = { 0 };
		int rc = pk_rpm_primary__parse(doc, strlen(doc), &o, NULL, &e);

		CHECK(t, rc == 0 && s.n == 1, "rc %d (%s), %d kept", rc, e.msg, s.n);
		CHECK(t, strstr(s.lines[0], " |../../../../blobstore/ab12/kernel-6.1.115"), "got '%s'", s.lines[0]);
		PASS(t);
	}
	{
		const char *t = "primary: the error names the line";
		static const char doc[] = HEAD("1") "\n\n<package type=\"rpm\"><name>kernel</name>\n"
						      "<version ver=\"1\"/></package></metadata>";

		expect_primary_error(t, doc, strlen(doc), "line 6: <version> has no rel attribute", 0);
	}
}

static void test_mirrorlist(void)
{
	static const struct {
		const char *name, *in, *url, *err;
	} cases[] = {
		{ "one URL", "https://al.rpm.example/2/core/2.0/x86_64/abc/\n",
		  "https://al.rpm.example/2/core/2.0/x86_64/abc/", NULL },
		{ "comments, blanks and CRLF", "# mirrors\r\n\r\n  \t\nhttp://127.0.0.1:8080/a/b\r\nhttps://x/\n",
		  "http://127.0.0.1:8080/a/b", NULL },
		{ "no final newline", "https://h/p", "https://h/p", NULL },
		{ "ftp", "ftp://h/p\n", NULL, "line 1: not an http(s) URL" },
		{ "a file path", "# x\n/etc/passwd\n", NULL, "line 2: not an http(s) URL" },
		{ "a space", "https://h/a b\n", NULL, "line 1: the URL holds a space" },
		{ "no host", "https:///p\n", NULL, "line 1: the URL has no host" },
		{ "a bare scheme", "http://\n", NULL, "line 1: the URL has no host" },
		{ "non-ASCII", "https://h\xc3\xa9/\n", NULL, "non-ASCII" },
		{ "nothing", "# only\n\n", NULL, "no URL in the mirror list" },
		{ "empty", "", NULL, "no URL in the mirror list" },
	};
	char name[128];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		struct pk_error e = { 0 };
		char *url = (void *)1;
		int rc = pk_mirrorlist__first(cases[i].in, strlen(cases[i].in), &url, &e);

		snprintf(name, sizeof(name), "mirrorlist: %s", cases[i].name);
		if (cases[i].url) {
			CHECK(name, rc == 0, "rc %d: %s", rc, e.msg);
			CHECK_STR(name, url, cases[i].url);
			free(url);
		} else {
			CHECK(name, rc == -EBADMSG && !url, "rc %d", rc);
			CHECK(name, strstr(e.msg, cases[i].err), "message '%s'", e.msg);
		}
		PASS(name);
	}
	{
		const char *t = "mirrorlist: reads len bytes only";
		static const char in[] = "https://host/pathXYZ";
		struct pk_error e = { 0 };
		char *url;

		CHECK(t, pk_mirrorlist__first(in, 17, &url, &e) == 0, "%s", e.msg);
		CHECK_STR(t, url, "https://host/path");
		free(url);
		PASS(t);
	}
}

/* a gzip member of PRIMARY, decompressed with the project's one decompressor */
static void test_primary_gz(void)
{
	const char *t = "primary: gzip through pk_comp__decompress";
	unsigned char out[16384];
	struct seen s = { 0 };
	PK_RPM_PRIMARY_OPTS(o, .filter = keep_kernels, .emit = record, .emit_ctx = &s);
	struct pk_error e = { 0 };
	z_stream z = { 0 };
	void *plain = NULL;
	size_t plain_len;
	int rc;

	CHECK(t, deflateInit2(&z, 9, Z_DEFLATED, 16 + 15, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
	z.next_in = (unsigned char *)PRIMARY;
	z.avail_in = sizeof(PRIMARY) - 1;
	z.next_out = out;
	z.avail_out = sizeof(out);
	rc = deflate(&z, Z_FINISH);
	deflateEnd(&z);
	CHECK(t, rc == Z_STREAM_END, "deflate %d", rc);
	CHECK(t, pk_comp__detect(out, z.total_out) == PK_COMP_GZIP, "not detected as gzip");
	rc = pk_comp__decompress(PK_COMP_GZIP, out, z.total_out, &plain, &plain_len, 0, &e);
	CHECK(t, rc == 0, "%s", e.msg);
	rc = pk_rpm_primary__parse(plain, plain_len, &o, NULL, &e);
	free(plain);
	CHECK(t, rc == 0, "%s", e.msg);
	check_primary_result(t, &s);
}

/* ---- the tool mode for rpm_md.sh ---- */

static int die(const char *what, const char *path, const struct pk_error *e)
{
	fprintf(stderr, "error: %s '%s': %s\n", what, path, pk_error__str(e));
	return 1;
}

/* comma-separated names; "kernel*" is a prefix */
static bool keep_names(const char *name, void *ctx)
{
	const char *list = ctx;

	while (*list) {
		size_t n = strcspn(list, ",");

		if (n && list[n - 1] == '*' ? !strncmp(name, list, n - 1)
					    : (strlen(name) == n && !strncmp(name, list, n)))
			return true;
		list += n + (list[n] == ',');
	}
	return false;
}

static int print_pkg(const struct pk_rpm_package *p, void *ctx)
{
	printf("%s %u:%s-%s.%s %s%s %s:%s %llu %s\n", p->name, p->epoch, p->version, p->release,
	       p->arch, p->location_base, p->location, p->checksum.type, p->checksum.value,
	       (unsigned long long)p->size_package, p->sourcerpm[0] ? p->sourcerpm : "-");
	return 0;
}

/* decompress when compressed, then list the packages names keeps */
static int list_primary(const char *path, const char *data, size_t len, const char *names,
			const struct pk_repomd_data *d)
{
	PK_RPM_PRIMARY_OPTS(o, .filter = names ? keep_names : NULL, .filter_ctx = (void *)names,
			    .emit = print_pkg);
	enum pk_comp c = pk_comp__detect(data, len);
	struct pk_error e = { 0 };
	void *plain = NULL;
	size_t plain_len = len;
	uint64_t n;
	int rc;

	if (c != PK_COMP_NONE) {
		if (pk_comp__decompress(c, data, len, &plain, &plain_len, 2u << 30, &e))
			return die("cannot decompress", path, &e);
		data = plain;
	}
	if (d && d->open_size >= 0 && (uint64_t)d->open_size != plain_len) {
		fprintf(stderr, "error: '%s': open-size %lld, decompressed %zu bytes\n", path,
			(long long)d->open_size, plain_len);
		free(plain);
		return 1;
	}
	if (d && !strcmp(d->open_checksum.type, "sha256")) {
		char hex[65];

		if (pk_sha256__hex(data, plain_len, hex) || strcmp(hex, d->open_checksum.value)) {
			fprintf(stderr, "error: '%s': open-checksum mismatch\n", path);
			free(plain);
			return 1;
		}
	}
	rc = pk_rpm_primary__parse(data, plain_len, &o, &n, &e);
	free(plain);
	if (rc)
		return die("cannot read", path, &e);
	printf("packages %llu %s\n", (unsigned long long)n, pk_comp__name(c));
	return 0;
}

/* DIR/repodata/repomd.xml, then its primary: size and sha256 checked, as a catalog must */
static int check_repo(const char *dir, const char *names)
{
	const struct pk_repomd_data *d;
	struct pk_error e = { 0 };
	struct pk_repomd *r;
	char *data, path[8192], hex[65];
	size_t len;
	int rc;

	snprintf(path, sizeof(path), "%s/repodata/repomd.xml", dir);
	if ((rc = pk_file__read(path, &data, &len, 64u << 20)))
		return pk_error__set(&e, rc, "cannot read"), die("cannot read", path, &e);
	rc = pk_repomd__parse(data, len, &r, &e);
	free(data);
	if (rc)
		return die("cannot read", path, &e);
	d = pk_repomd__find(r, "primary");
	if (!d || strcmp(d->checksum.type, "sha256")) {
		fprintf(stderr, "error: '%s': no primary with a sha256\n", path);
		pk_repomd__free(r);
		return 1;
	}
	snprintf(path, sizeof(path), "%s/%s", dir, d->location);
	if ((rc = pk_file__read(path, &data, &len, 1u << 30))) {
		pk_error__set(&e, rc, "%s", strerror(-rc));
		pk_repomd__free(r);
		return die("cannot read", path, &e);
	}
	if ((d->size >= 0 && (uint64_t)d->size != len) || pk_sha256__hex(data, len, hex) ||
	    strcmp(hex, d->checksum.value)) {
		fprintf(stderr, "error: '%s': does not match repomd.xml's size or sha256\n", path);
		rc = 1;
	} else {
		rc = list_primary(path, data, len, names, d);
	}
	free(data);
	pk_repomd__free(r);
	return rc;
}

/* an Ubuntu fixture suite through the Debian back-end's own code: gpgv against
 * keyring, Release fields, Valid-Until, main/binary-amd64/Packages.xz's SHA256 */
static int check_suite(const char *dist, const char *keyring)
{
	PK_INRELEASE_OPTS(o, .keyring = keyring);
	struct pk_release *r = NULL;
	struct pk_error e = { 0 };
	char path[8192], *body = NULL, *data = NULL;
	size_t len;
	bool expired = false;
	int rc;

	snprintf(path, sizeof(path), "%s/InRelease", dist);
	rc = pk_inrelease__verify(path, &o, &body, &len, &e);
	if (!rc)
		rc = pk_release__parse(body, len, &r, &e);
	if (!rc)
		rc = pk_release__check_valid(r, time(NULL), NULL, &expired, &e);
	if (!rc) {
		snprintf(path, sizeof(path), "%s/main/binary-amd64/Packages.xz", dist);
		rc = pk_file__read(path, &data, &len, 64u << 20);
		if (rc)
			pk_error__set(&e, rc, "%s", strerror(-rc));
	}
	if (!rc)
		rc = pk_release__check_index(r, "main/binary-amd64/Packages.xz", data, len, &e);
	if (!rc)
		printf("%s %s %s %s valid-until %lld\n", pk_release__origin(r), pk_release__suite(r),
		       pk_release__codename(r), pk_release__version(r),
		       (long long)pk_release__valid_until(r));
	free(data);
	free(body);
	pk_release__free(r);
	return rc ? die("cannot accept", dist, &e) : 0;
}

static int tool(int argc, char **argv)
{
	const char *mode = argv[1], *path = argv[2], *names = argc > 3 ? argv[3] : NULL;
	struct pk_error e = { 0 };
	char *data, *url;
	size_t len;
	int rc;

	if (!strcmp(mode, "--repo"))
		return check_repo(path, names);
	if (!strcmp(mode, "--inrelease") && names)
		return check_suite(path, names);
	if ((rc = pk_file__read(path, &data, &len, 1u << 30))) {
		pk_error__set(&e, rc, "%s", strerror(-rc));
		return die("cannot read", path, &e);
	}
	if (!strcmp(mode, "--repomd")) {
		struct pk_repomd *r;

		rc = pk_repomd__parse(data, len, &r, &e);
		if (!rc) {
			for (size_t i = 0; i < pk_repomd__ndata(r); i++) {
				const struct pk_repomd_data *d = pk_repomd__data(r, i);

				printf("%s %s %s:%s %lld %lld\n", d->type, d->location, d->checksum.type,
				       d->checksum.value, (long long)d->size, (long long)d->open_size);
			}
			pk_repomd__free(r);
		}
	} else if (!strcmp(mode, "--primary")) {
		rc = list_primary(path, data, len, names, NULL) ? -EBADMSG : 0;
		free(data);
		return rc ? 1 : 0;
	} else if (!strcmp(mode, "--mirrorlist")) {
		rc = pk_mirrorlist__first(data, len, &url, &e);
		if (!rc) {
			printf("%s\n", url);
			free(url);
		}
	} else {
		rc = pk_error__set(&e, -EINVAL, "unknown mode %s", mode);
	}
	free(data);
	return rc ? die("cannot read", path, &e) : 0;
}

int main(int argc, char **argv)
{
	if (argc >= 3)
		return tool(argc, argv);
	if (argc != 1) {
		fprintf(stderr, "usage: %s [--repo DIR|--repomd F|--primary F|--mirrorlist F [NAMES]"
			" | --inrelease DIST KEYRING]\n",
			argv[0]);
		return 2;
	}
	test_repomd();
	test_repomd_errors();
	test_primary();
	test_primary_errors();
	test_primary_gz();
	test_mirrorlist();
	return UNIT_EXIT();
}
