/* Unit tests for host detection: os-release, uname -v and target id parsers,
 * falcoctl's kernelrelease/kernelversion per distribution (and that they meet
 * the catalog's names for the same kernel), the repository key, CapEff, and
 * pk_host__detect against fake roots built in a temp dir. */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/utsname.h>

#include "agent/host.h"
#include "agent/repo_key.h"
#include "common/pk.h"
#include "kernels/crawl.h"
#include "unit.h"

/* ---- os-release ---------------------------------------------------------- */

struct osr_case {
	const char *name, *text;
	int rc;
	const char *id, *version_id, *pretty_name, *error;
};

static const struct osr_case osr_cases[] = {
	{ "os_release/debian",
	  "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\n"
	  "VERSION_ID=\"12\"\nVERSION=\"12 (bookworm)\"\nVERSION_CODENAME=bookworm\nID=debian\n"
	  "HOME_URL=\"https://www.debian.org/\"\n",
	  0, "debian", "12", "Debian GNU/Linux 12 (bookworm)", "" },
	{ "os_release/ubuntu_id_like",
	  "NAME=\"Ubuntu\"\nVERSION=\"22.04.4 LTS (Jammy Jellyfish)\"\nID=ubuntu\nID_LIKE=debian\n"
	  "PRETTY_NAME=\"Ubuntu 22.04.4 LTS\"\nVERSION_ID=\"22.04\"\n",
	  0, "ubuntu", "22.04", "Ubuntu 22.04.4 LTS", "" },
	{ "os_release/amzn_no_trailing_newline",
	  "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\n"
	  "VERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"",
	  0, "amzn", "2", "Amazon Linux 2", "" },
	{ "os_release/single_quotes", "ID='rhel'\nVERSION_ID='9.4'\nPRETTY_NAME='a \"b\" \\n'\n",
	  0, "rhel", "9.4", "a \"b\" \\n", "" },
	{ "os_release/double_quote_escapes",
	  "PRETTY_NAME=\"a \\\"q\\\" \\\\ \\$x \\`y\\` \\n\"\nID=x\n",
	  0, "x", "", "a \"q\" \\ $x `y` \\n", "" },
	{ "os_release/unquoted_escape", "PRETTY_NAME=a\\ b\\\"c\nID=x\n", 0, "x", "", "a b\"c", "" },
	{ "os_release/concatenation", "PRETTY_NAME=\"a b\"'c d'e\nID=x\n", 0, "x", "", "a bc de", "" },
	{ "os_release/comments_blank_lines",
	  "# a comment\n\n   \n\t# indented comment\nID=fedora # trailing comment\n"
	  "VERSION_ID=40\n",
	  0, "fedora", "40", "", "" },
	{ "os_release/lowercase_id", "ID=\"CentOS\"\n", 0, "centos", "", "", "" },
	{ "os_release/crlf", "ID=\"debian\"\r\nVERSION_ID=12\r\n", 0, "debian", "12", "", "" },
	{ "os_release/last_wins", "ID=a\nID=b\n", 0, "b", "", "", "" },
	{ "os_release/empty_values", "ID=\nVERSION_ID=\"\"\n", 0, "", "", "", "" },
	{ "os_release/missing_id", "NAME=\"Something\"\nVERSION_ID=1\n", 0, "", "1", "", "" },
	{ "os_release/empty_input", "", 0, "", "", "", "" },
	{ "os_release/hash_inside_value", "ID=a#b\nPRETTY_NAME=\"x # y\"\n", 0, "a#b", "", "x # y", "" },
	{ "os_release/max_len_id",
	  "ID=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 0,
	  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "", "", "" },
	{ "os_release/long_other_key_ok",
	  "HOME_URL=\"https://example.org/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\nID=x\n",
	  0, "x", "", "", "" },

	/* rejections */
	{ "os_release/reject_unterminated_double", "ID=debian\nPRETTY_NAME=\"Debian\n", -EINVAL,
	  "", "", "", "line 2: unterminated quote" },
	{ "os_release/reject_unterminated_single", "\n\nID='x\n", -EINVAL, "", "", "",
	  "line 3: unterminated quote" },
	{ "os_release/reject_escaped_closing_quote", "ID=\"x\\\"\n", -EINVAL, "", "", "",
	  "line 1: unterminated quote" },
	{ "os_release/reject_no_equals", "ID=x\nthis is not an assignment\n", -EINVAL, "", "", "",
	  "line 2: expected KEY=value" },
	{ "os_release/reject_empty_key", "=x\n", -EINVAL, "", "", "", "line 1: empty key" },
	{ "os_release/reject_key_space", "MY KEY=x\n", -EINVAL, "", "", "",
	  "line 1: invalid character in key" },
	{ "os_release/reject_key_digit_first", "1ID=x\n", -EINVAL, "", "", "",
	  "line 1: invalid character in key" },
	{ "os_release/reject_key_dash", "MY-KEY=x\n", -EINVAL, "", "", "",
	  "line 1: invalid character in key" },
	{ "os_release/reject_space_before_equals", "ID =x\n", -EINVAL, "", "", "",
	  "line 1: invalid character in key" },
	{ "os_release/reject_unquoted_space", "PRETTY_NAME=Debian GNU\n", -EINVAL, "", "", "",
	  "line 1: unquoted space in value" },
	{ "os_release/reject_text_after_quote", "PRETTY_NAME=\"a\" b\n", -EINVAL, "", "", "",
	  "line 1: unquoted space in value" },
	{ "os_release/reject_trailing_backslash", "ID=x\\\n", -EINVAL, "", "", "",
	  "line 1: backslash at end of line" },
	{ "os_release/reject_id_too_long",
	  "ID=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", -EINVAL, "", "",
	  "", "line 1: ID value too long (max 63 bytes)" },
	{ "os_release/reject_version_id_too_long",
	  "ID=x\nVERSION_ID=\"0000000000000000000000000000000000000000000000000000000000000000\"\n",
	  -EINVAL, "", "", "", "line 2: VERSION_ID value too long (max 63 bytes)" },
	{ "os_release/reject_pretty_name_too_long",
	  "PRETTY_NAME=\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"\n",
	  -EINVAL, "", "", "", "line 1: PRETTY_NAME value too long (max 127 bytes)" },
};

static void check_osr(const struct osr_case *c)
{
	struct pk_os_release o;
	struct pk_error e = { 0 };
	int rc;

	memset(&o, 0x5a, sizeof(o));
	rc = pk_os_release__parse(c->text, strlen(c->text), &o, &e);
	CHECK(c->name, rc == c->rc, "rc %d, want %d (error '%s')", rc, c->rc, e.msg);
	CHECK_STR(c->name, o.id, c->id);
	CHECK_STR(c->name, o.version_id, c->version_id);
	CHECK_STR(c->name, o.pretty_name, c->pretty_name);
	CHECK_STR(c->name, e.msg, c->error);
	CHECK_INT(c->name, e.code, c->rc);
	/* the error record is optional: the same result without one */
	memset(&o, 0x5a, sizeof(o));
	CHECK_INT(c->name, pk_os_release__parse(c->text, strlen(c->text), &o, NULL), c->rc);
	CHECK_STR(c->name, o.id, c->id);
	PASS(c->name);
}

static void test_osr_nul_byte(void)
{
	static const char text[] = "ID=debian\nVERSION_ID=\"1\0\"\n";
	const char *name = "os_release/reject_nul_byte";
	struct pk_os_release o;
	struct pk_error e = { 0 };

	CHECK_INT(name, pk_os_release__parse(text, sizeof(text) - 1, &o, &e), -EINVAL);
	CHECK_STR(name, e.msg, "line 2: NUL byte");
	CHECK_STR(name, o.id, "");
	PASS(name);
}

/* the buffer is not NUL-terminated: parse exactly len bytes of a heap copy
 * (ASan catches any read past it) and stop where len says */
static void test_osr_not_terminated(void)
{
	const char *name = "os_release/uses_len_not_nul";
	static const char text[] = "ID=debian\nVERSION_ID=12";
	struct pk_os_release o;
	struct pk_error e = { 0 };
	char *copy = malloc(sizeof(text) - 1);

	CHECK(name, copy, "malloc");
	memcpy(copy, text, sizeof(text) - 1);
	CHECK_INT(name, pk_os_release__parse(copy, sizeof(text) - 1, &o, &e), 0);
	CHECK_STR(name, e.msg, "");
	CHECK_STR(name, o.version_id, "12");
	/* a length that cuts the buffer mid-quote */
	memcpy(copy, "ID=\"deb\"", 8);
	CHECK_INT(name, pk_os_release__parse(copy, 6, &o, &e), -EINVAL);
	CHECK_STR(name, e.msg, "line 1: unterminated quote");
	CHECK_INT(name, pk_os_release__parse(copy, 0, &o, NULL), 0);
	free(copy);
	PASS(name);
}

/* ---- uname -v -------------------------------------------------------------- */

static void test_kernel_version(void)
{
	static const struct { const char *in; int rc; const char *out; } cases[] = {
		{ "#1 SMP PREEMPT_DYNAMIC Debian 6.1.112-1 (2024-09-30)", 0, "1" },
		{ "#1 SMP Debian 5.10.178-3 (2023-04-22)", 0, "1" },
		{ "#26~22.04.1-Ubuntu SMP Mon Apr 24 01:58:15 UTC 2023", 0, "26" },
		{ "#112-Ubuntu SMP Thu Feb 3 13:50:55 UTC 2022", 0, "112" },
		{ "#1 SMP Tue Sep 10 21:54:40 UTC 2024", 0, "1" },	/* Amazon Linux 2 */
		{ "#1 SMP PREEMPT_DYNAMIC Fri Aug 30 08:45:23 EDT 2024", 0, "1" },	/* RHEL 9 */
		{ "#1 SMP Thu Nov 9 18:04:12 UTC 2017", 0, "1" },	/* CentOS 7 */
		{ "#1 SMP PREEMPT_DYNAMIC @0", 0, "1" },
		{ "#1000", 0, "1000" },
		{ "", -EINVAL, "" },
		{ "#", -EINVAL, "" },
		{ "#SMP 1", -EINVAL, "" },
		{ "# 1 SMP", -EINVAL, "" },
		{ "1 SMP", -EINVAL, "" },
		{ " #1 SMP", -EINVAL, "" },
		{ "5.10.178-3", -EINVAL, "" },
	};
	char out[32], name[96];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		snprintf(name, sizeof(name), "kernel_version/%zu '%.40s'", i, cases[i].in);
		out[0] = 0;
		int rc = pk_kernel_version__parse(cases[i].in, out, sizeof(out));

		if (rc != cases[i].rc) {
			FAIL(name, "rc %d, want %d", rc, cases[i].rc);
			continue;
		}
		if (!rc && strcmp(out, cases[i].out)) {
			FAIL(name, "got '%s', want '%s'", out, cases[i].out);
			continue;
		}
		PASS(name);
	}
}

static void test_kernel_version_small_buffer(void)
{
	const char *name = "kernel_version/small_buffer";
	char out[3];

	CHECK_INT(name, pk_kernel_version__parse("#123 SMP", out, sizeof(out)), -ENAMETOOLONG);
	CHECK_INT(name, pk_kernel_version__parse("#12 SMP", out, sizeof(out)), 0);
	CHECK_STR(name, out, "12");
	CHECK_INT(name, pk_kernel_version__parse(NULL, out, sizeof(out)), -EINVAL);
	PASS(name);
}

/* ---- target id ------------------------------------------------------------- */

static void test_target_id(void)
{
	static const struct {
		const char *id, *ver, *rel;
		int rc;
		const char *out;
	} cases[] = {
		{ "ubuntu", "22.04", "5.15.0-1019-aws", 0, "ubuntu-aws" },
		{ "ubuntu", "20.04", "5.4.0-100-generic", 0, "ubuntu-generic" },
		{ "ubuntu", "18.04", "5.0.0-1028-aws-5.0", 0, "ubuntu-aws" },
		{ "ubuntu", "22.04", "5.15.0-1009-aws", 0, "ubuntu-aws" },
		{ "ubuntu", "20.04", "5.4.0-1050-gke", 0, "ubuntu-gke" },
		{ "ubuntu", "22.04", "5.15.0-1057-azure", 0, "ubuntu-azure" },
		{ "ubuntu", "22.04", "5.15.0-105-lowlatency", 0, "ubuntu-lowlatency" },
		{ "ubuntu", "24.04", "6.8.0-40-generic-64k", 0, "ubuntu-generic" },
		{ "ubuntu", "22.04", "5.15.0", 0, "ubuntu-generic" },
		{ "ubuntu", "22.04", "5.15.0-1019-aws5", 0, "ubuntu-generic" },
		{ "ubuntu", "", "", 0, "ubuntu-generic" },
		{ "ubuntu", NULL, NULL, 0, "ubuntu-generic" },
		{ "Ubuntu", "22.04", "5.15.0-1019-aws", 0, "ubuntu-aws" },
		{ "amzn", "2", "4.14.355-275.570.amzn2.x86_64", 0, "amazonlinux2" },
		{ "amzn", "2022", "5.15.73-45.135.amzn2022.x86_64", 0, "amazonlinux2022" },
		{ "amzn", "2023", "6.1.109-118.189.amzn2023.x86_64", 0, "amazonlinux2023" },
		{ "amzn", "2018.03", "4.14.355-197.550.amzn1.x86_64", 0, "amazonlinux" },
		{ "amzn", "", "4.14.355", 0, "amazonlinux" },
		{ "debian", "12", "6.1.0-26-amd64", 0, "debian" },
		{ "centos", "7", "3.10.0-1160.el7.x86_64", 0, "centos" },
		{ "rhel", "9.4", "5.14.0-427.13.1.el9_4.x86_64", 0, "rhel" },
		{ "fedora", "40", "6.10.6-200.fc40.x86_64", 0, "fedora" },
		{ "cos", "109", "6.1.100+", 0, "cos" },
		{ "flatcar", "3815.2.5", "6.1.96-flatcar", 0, "flatcar" },
		{ "bottlerocket", "1.20.0", "6.1.102", 0, "bottlerocket" },
		{ "talos", "1.7.6", "6.6.43-talos", 0, "talos" },
		{ "minikube", "", "5.10.57", 0, "minikube" },
		{ "ol", "8.10", "5.15.0-208.159.3.el8uek.x86_64", 0, "ol" },
		{ "opensuse-leap", "15.6", "6.4.0-150600.23.22-default", 0, "opensuse-leap" },
		{ "sles", "15.5", "5.14.21-150500.55.65-default", 0, "sles" },
		{ "NixOS", "24.05", "6.6.47", 0, "nixos" },
		{ "", "1", "6.1.0", -EINVAL, "" },
		{ NULL, "1", "6.1.0", -EINVAL, "" },
		{ "../etc", "1", "6.1.0", -EINVAL, "" },
		{ "a b", "1", "6.1.0", -EINVAL, "" },
	};
	char out[64], name[128];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		snprintf(name, sizeof(name), "target_id/%s %s %s", cases[i].id ? cases[i].id : "NULL",
			 cases[i].ver ? cases[i].ver : "NULL", cases[i].rel ? cases[i].rel : "NULL");
		int rc = pk_target_id__format(cases[i].id, cases[i].ver, cases[i].rel, out, sizeof(out));

		if (rc != cases[i].rc) {
			FAIL(name, "rc %d, want %d", rc, cases[i].rc);
			continue;
		}
		if (!rc && strcmp(out, cases[i].out)) {
			FAIL(name, "got '%s', want '%s'", out, cases[i].out);
			continue;
		}
		PASS(name);
	}
}

static void test_target_id_small_buffer(void)
{
	const char *name = "target_id/small_buffer";
	char out[8];

	CHECK_INT(name, pk_target_id__format("ubuntu", "", "5.15.0-1-lowlatency", out, sizeof(out)),
		  -ENAMETOOLONG);
	CHECK_INT(name, pk_target_id__format("amzn", "2023", "", out, sizeof(out)), -ENAMETOOLONG);
	CHECK_INT(name, pk_target_id__format("debian", "", "", out, sizeof(out)), 0);
	CHECK_STR(name, out, "debian");
	PASS(name);
}

/* ---- falcoctl's kernelrelease / kernelversion -------------------------------- */

struct names_case {
	const char *target, *version_id, *variant_id, *uname_r, *uname_v, *etc_version;
	int rc;
	const char *kr, *kv;
};

static const struct names_case names_cases[] = {
	/* debian: the package version in uname -v names the kernel */
	{ "debian", "12", "", "6.1.0-40-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)", NULL,
	  0, "6.1.153-1-amd64", "1" },
	{ "debian", "12", "", "6.1.0-40-arm64", "#1 SMP Debian 6.1.153-1 (2025-09-20)", NULL,
	  0, "6.1.153-1-arm64", "1" },
	{ "debian", "13", "", "6.12.57+deb13-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)",
	  NULL, 0, "6.12.57-1-amd64", "1" },
	{ "debian", "13", "", "6.12.57+deb13-cloud-amd64",
	  "#1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)", NULL, 0, "6.12.57-1-cloud-amd64", "1" },
	/* falcoctl debian_test.go: an ABI release of the backported rt kernel */
	{ "debian", "10", "", "5.10.0-0.deb10.22-rt-amd64",
	  "#1 SMP PREEMPT_RT Debian 5.10.178-3~deb10u1 (2023-05-27)", NULL, 0, "5.10.178-3-rt-amd64", "1" },
	{ "debian", "10", "", "5.10.0-0.deb10.22-rt-amd64", "5.10.178-3", NULL, 0, "5.10.178-3-rt-amd64", "1" },
	{ "debian", "10", "", "5.10.0-0.deb10.22-amd64", "5.10.178-3", NULL, 0, "5.10.178-3-amd64", "1" },
	/* falcoctl's regex stops at -N: a backport's ~bpo12+1 is not kept */
	{ "debian", "12", "", "6.12.38+deb12-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.38-1~bpo12+1 (2025-07-20)",
	  NULL, 0, "6.12.38-1-amd64", "1" },
	/* no arch falcoctl knows: the version alone */
	{ "debian", "12", "", "6.1.0-40-686-pae", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)", NULL,
	  0, "6.1.153-1", "1" },
	/* a kernel Debian did not build: generic */
	{ "debian", "12", "", "6.18.44-custom", "#3 SMP PREEMPT_DYNAMIC Tue Nov 18 10:00:00 UTC 2025", NULL,
	  0, "6.18.44-custom", "3" },
	{ "debian", "12", "", "6.18.44-custom", "SMP", NULL, -EINVAL, "", "" },
	/* ubuntu: uname -v's upload number, "-Ubuntu" cut */
	{ "ubuntu-generic", "20.04", "", "5.15.0-101-generic",
	  "#111~20.04.1-Ubuntu SMP Mon Mar 11 15:44:43 UTC 2024", NULL, 0, "5.15.0-101-generic", "111~20.04.1" },
	{ "ubuntu-aws", "22.04", "", "6.5.0-1014-aws", "#14~22.04.1-Ubuntu SMP Thu Feb 15 15:27:06 UTC 2024",
	  NULL, 0, "6.5.0-1014-aws", "14~22.04.1" },
	{ "ubuntu-generic", "22.04", "", "5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
	  NULL, 0, "5.15.0-91-generic", "101" },
	{ "ubuntu-generic", "24.04", "", "6.8.0-31-generic", "#1 SMP PREEMPT_DYNAMIC Tue, 10 Oct 2023 21:10:21 +0000",
	  NULL, 0, "6.8.0-31-generic", "1" },
	{ "ubuntu-generic", "22.04", "", "5.15.0-91-generic", "#", NULL, -EINVAL, "", "" },
	{ "ubuntu-generic", "22.04", "", "5.15.0-91-generic", "", NULL, -EINVAL, "", "" },
	/* rpm distributions and the rest: uname -r and #N */
	{ "centos", "7", "", "3.10.0-1160.el7.x86_64", "#1 SMP Mon Oct 19 16:18:59 UTC 2020", NULL,
	  0, "3.10.0-1160.el7.x86_64", "1" },
	{ "rhel", "", "", "4.18.0-513.5.1.el8_9.x86_64", "#1 SMP Fri Sep 29 05:21:10 EDT 2023", NULL,
	  0, "4.18.0-513.5.1.el8_9.x86_64", "1" },
	{ "fedora", "39", "", "6.5.6-300.fc39.x86_64", "#1 SMP PREEMPT_DYNAMIC Fri Oct  6 19:57:21 UTC 2023", NULL,
	  0, "6.5.6-300.fc39.x86_64", "1" },
	{ "amazonlinux2", "2", "", "5.10.205-195.807.amzn2.x86_64", "#1 SMP Tue Jan 16 18:28:59 UTC 2024", NULL,
	  0, "5.10.205-195.807.amzn2.x86_64", "1" },
	{ "amazonlinux2023", "2023", "", "6.1.72-96.166.amzn2023.aarch64", "#1 SMP Wed Jan 10 22:11:01 UTC 2024",
	  NULL, 0, "6.1.72-96.166.amzn2023.aarch64", "1" },
	{ NULL, "", "", "6.1.0", "#7 SMP", NULL, 0, "6.1.0", "7" },
	{ "", "", "", "6.1.0", "#7 SMP", NULL, 0, "6.1.0", "7" },
	/* flatcar: the OS release is the kernel's name */
	{ "flatcar", "3815.2.0", "", "6.1.73-flatcar", "#1 SMP PREEMPT_DYNAMIC Mon Jan 15 22:44:27 -00 2024", NULL,
	  0, "3815.2.0", "1" },
	{ "flatcar", "", "", "6.1.73-flatcar", "#1 SMP", NULL, -EINVAL, "", "" },
	/* bottlerocket: 1_<VERSION_ID>-<first word of VARIANT_ID> */
	{ "bottlerocket", "1.19.2", "aws-k8s-1.28", "6.1.72", "#1 SMP Fri Feb  2 22:38:10 UTC 2024", NULL,
	  0, "6.1.72", "1_1.19.2-aws" },
	{ "bottlerocket", "1.19.2", "metal", "6.1.72", "junk", NULL, 0, "6.1.72", "1_1.19.2-metal" },
	{ "bottlerocket", "1.19.2", "", "6.1.72", "#1 SMP", NULL, -EINVAL, "", "" },
	/* minikube: 1_<x.y.z of /etc/VERSION> */
	{ "minikube", "2023.02.9", "", "5.10.207", "#1 SMP Thu Apr 18 22:45:33 UTC 2024", "v1.33.0\n",
	  0, "5.10.207", "1_1.33.0" },
	{ "minikube", "2021.02.12", "", "4.19.235", "#1 SMP", "v1.26.0-1655407986-14197\n",
	  0, "4.19.235", "1_1.26.0" },
	{ "minikube", "", "", "4.19.235", "#1 SMP", "none\n", -EINVAL, "", "" },
	{ "minikube", "", "", "4.19.235", "#1 SMP", NULL, -EINVAL, "", "" },
	/* talos: 1_<VERSION_ID> */
	{ "talos", "v1.6.4", "", "6.1.74-talos", "#1 SMP Tue Feb  6 10:47:27 UTC 2024", NULL, 0, "6.1.74-talos",
	  "1_v1.6.4" },
	{ "talos", "", "", "6.1.74-talos", "#1 SMP", NULL, -EINVAL, "", "" },
	/* no release, nothing */
	{ "debian", "12", "", "", "#1 SMP", NULL, -EINVAL, "", "" },
	{ "debian", "12", "", NULL, "#1 SMP", NULL, -EINVAL, "", "" },
};

static void test_falco_names(void)
{
	char name[160];

	for (size_t i = 0; i < PK_ARRAY_SIZE(names_cases); i++) {
		const struct names_case *c = &names_cases[i];
		struct pk_os_release os = { 0 };
		struct pk_falco_names n;
		struct pk_error e = { 0 };
		int rc;

		snprintf(name, sizeof(name), "falco_names/%zu %s %s %.30s", i, c->target ? c->target : "NULL",
			 c->uname_r ? c->uname_r : "NULL", c->uname_v);
		snprintf(os.version_id, sizeof(os.version_id), "%s", c->version_id);
		snprintf(os.variant_id, sizeof(os.variant_id), "%s", c->variant_id);
		memset(&n, 'x', sizeof(n));
		rc = pk_falco_names__compute(c->target, &os, c->uname_r, c->uname_v, c->etc_version, &n, &e);
		if (rc != c->rc) {
			FAIL(name, "rc %d (%s), want %d", rc, pk_error__str(&e), c->rc);
			continue;
		}
		if (strcmp(n.kernelrelease, c->kr) || strcmp(n.kernelversion, c->kv)) {
			FAIL(name, "got '%s' '%s', want '%s' '%s'", n.kernelrelease, n.kernelversion, c->kr, c->kv);
			continue;
		}
		if (rc && (!e.msg[0] || e.code != rc)) {
			FAIL(name, "no reason for %d", rc);
			continue;
		}
		PASS(name);
	}
}

/* a name that does not fit is refused whole, never cut */
static void test_falco_names_limits(void)
{
	const char *name = "falco_names/limits";
	struct pk_os_release os = { 0 };
	struct pk_falco_names n;
	struct pk_error e = { 0 };
	char longv[400];

	memset(longv, '7', sizeof(longv) - 1);
	longv[0] = '#';
	longv[sizeof(longv) - 1] = 0;
	CHECK_INT(name, pk_falco_names__compute("centos", &os, "3.10.0", longv, NULL, &n, &e), -ENAMETOOLONG);
	CHECK_STR(name, n.kernelversion, "");
	CHECK_STR(name, n.kernelrelease, "");
	CHECK_INT(name, pk_falco_names__compute("ubuntu-generic", &os, "5.15.0-1-generic", longv, NULL, &n, &e),
		  -ENAMETOOLONG);
	/* the longest os-release fields still fit */
	memset(os.version_id, '1', sizeof(os.version_id) - 1);
	memset(os.variant_id, 'a', sizeof(os.variant_id) - 1);
	CHECK_INT(name, pk_falco_names__compute("bottlerocket", &os, "6.1.72", "#1", NULL, &n, &e), 0);
	CHECK_INT(name, strlen(n.kernelversion), 2 + 63 + 1 + 63);
	CHECK_INT(name, pk_falco_names__compute("debian", NULL, "6.1.0-40-amd64", "#1 SMP", NULL, &n, NULL), 0);
	CHECK_INT(name, pk_falco_names__compute("flatcar", NULL, "6.1.73", "#1", NULL, &n, NULL), -EINVAL);
	CHECK_INT(name, pk_falco_names__compute("debian", NULL, "6.1.0", "#1", NULL, NULL, &e), -EINVAL);
	PASS(name);
}

/* The agent asks the repository for what the farm publishes: for one kernel,
 * the host's names from (uname -r, uname -v, os-release) must equal the catalog's
 * from (uname -r, package version) in pk_deb_kernel__name. Real pairs. */
static void test_names_meet_catalog(void)
{
	static const struct {
		const char *distro, *os_id, *uname_r, *uname_v, *pkg_version;
	} cases[] = {
		{ "debian", "debian", "6.1.0-40-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)",
		  "6.1.153-1" },
		{ "debian", "debian", "6.1.0-40-cloud-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)",
		  "6.1.153-1" },
		{ "debian", "debian", "6.1.0-40-rt-amd64", "#1 SMP PREEMPT_RT Debian 6.1.153-1 (2025-09-20)",
		  "6.1.153-1" },
		{ "debian", "debian", "6.1.0-40-arm64", "#1 SMP Debian 6.1.153-1 (2025-09-20)", "6.1.153-1" },
		{ "debian", "debian", "6.12.57+deb13-amd64", "#1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1 (2025-11-05)",
		  "6.12.57-1" },
		{ "debian", "debian", "6.12.48+deb13-cloud-amd64",
		  "#1 SMP PREEMPT_DYNAMIC Debian 6.12.48-1 (2025-09-20)", "6.12.48-1" },
		{ "debian", "debian", "5.10.0-35-rt-amd64", "#1 SMP PREEMPT_RT Debian 5.10.237-1 (2025-05-19)",
		  "5.10.237-1" },
		{ "ubuntu", "ubuntu", "5.15.0-101-generic", "#111~20.04.1-Ubuntu SMP Mon Mar 11 15:44:43 UTC 2024",
		  "5.15.0-101.111~20.04.1" },
		{ "ubuntu", "ubuntu", "5.15.0-91-generic", "#101-Ubuntu SMP Tue Nov 14 13:30:08 UTC 2023",
		  "5.15.0-91.101" },
		{ "ubuntu", "ubuntu", "6.5.0-1014-aws", "#14~22.04.1-Ubuntu SMP Thu Feb 15 15:27:06 UTC 2024",
		  "6.5.0-1014.14~22.04.1" },
		{ "ubuntu", "ubuntu", "5.15.0-1051-azure-fde", "#59-Ubuntu SMP Wed Oct 25 12:49:02 UTC 2023",
		  "5.15.0-1051.59" },
	};
	char name[160];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		char *fl, *t, *kr, *kv, target[64];
		struct pk_falco_names n;
		struct pk_error e = { 0 };
		int r;

		snprintf(name, sizeof(name), "names_meet_catalog/%s %s", cases[i].distro, cases[i].uname_r);
		r = pk_deb_kernel__name(cases[i].distro, cases[i].uname_r, cases[i].pkg_version, &fl, &t, &kr, &kv);
		if (r) {
			FAIL(name, "catalog: %d", r);
			continue;
		}
		if (pk_target_id__format(cases[i].os_id, "", cases[i].uname_r, target, sizeof(target)) ||
		    pk_falco_names__compute(target, NULL, cases[i].uname_r, cases[i].uname_v, NULL, &n, &e))
			FAIL(name, "host: %s", pk_error__str(&e));
		else if (strcmp(target, t) || strcmp(n.kernelrelease, kr) || strcmp(n.kernelversion, kv))
			FAIL(name, "host %s %s %s, catalog %s %s %s", target, n.kernelrelease, n.kernelversion,
			     t, kr, kv);
		else
			PASS(name);
		free(fl), free(t), free(kr), free(kv);
	}
}

/* ---- the repository key ------------------------------------------------------ */

static void fake_host(struct pk_host *h, const char *os_id, const char *vid, const char *target,
		      const char *uname_r, const char *uname_v, const char *machine)
{
	memset(h, 0, sizeof(*h));
	snprintf(h->os.id, sizeof(h->os.id), "%s", os_id);
	snprintf(h->os.version_id, sizeof(h->os.version_id), "%s", vid);
	snprintf(h->target_id, sizeof(h->target_id), "%s", target);
	snprintf(h->kernel_release, sizeof(h->kernel_release), "%s", uname_r);
	snprintf(h->uname_version, sizeof(h->uname_version), "%s", uname_v);
	snprintf(h->arch, sizeof(h->arch), "%s", machine);
	pk_falco_names__compute(h->target_id, &h->os, h->kernel_release, h->uname_version, NULL, &h->falco,
				&h->falco_error);
}

static void test_repo_key(void)
{
	const char *name = "repo_key/paths";
	struct pk_repo_key k;
	struct pk_error e = { 0 };
	struct pk_host h;

	fake_host(&h, "debian", "12", "debian", "6.1.0-40-amd64",
		  "#1 SMP PREEMPT_DYNAMIC Debian 6.1.153-1 (2025-09-20)", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "p0123456789abcde", &k, &e), 0);
	CHECK_INT(name, e.code, 0);
	CHECK_STR(name, k.target, "debian");
	CHECK_STR(name, k.kernelrelease, "6.1.153-1-amd64");
	CHECK_STR(name, k.kernelversion, "1");
	CHECK_STR(name, k.legacy_object, "p0123456789abcde/x86_64/probekit_debian_6.1.153-1-amd64_1.o");
	CHECK_STR(name, k.reduced_btf, "p0123456789abcde/btf/debian/12/x86_64/6.1.0-40-amd64.btf");
	CHECK_STR(name, k.core_object, "p0123456789abcde/x86_64/probe.core.bpf.o");
	CHECK_STR(name, k.btf_object, "p0123456789abcde/x86_64/probe.btf.bpf.o");

	/* btfhub's arch name in the BTF path, uname -m in the object paths */
	fake_host(&h, "ubuntu", "22.04", "ubuntu-aws", "6.5.0-1014-aws",
		  "#14~22.04.1-Ubuntu SMP Thu Feb 15 15:27:06 UTC 2024", "aarch64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), 0);
	CHECK_STR(name, k.legacy_object, "pv/aarch64/probekit_ubuntu-aws_6.5.0-1014-aws_14~22.04.1.o");
	CHECK_STR(name, k.reduced_btf, "pv/btf/ubuntu/22.04/arm64/6.5.0-1014-aws.btf");
	CHECK_STR(name, k.core_object, "pv/aarch64/probe.core.bpf.o");
	PASS(name);
}

static void test_repo_key_refusals(void)
{
	const char *name = "repo_key/refusals";
	struct pk_repo_key k;
	struct pk_error e = { 0 };
	struct pk_host h;

	/* undetermined: no legacy object, no reduced BTF, CO-RE objects still */
	fake_host(&h, "", "", "", "6.1.0", "#1 SMP", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), -EINVAL);
	CHECK_STR(name, k.target, "");
	CHECK_STR(name, k.kernelrelease, "6.1.0");
	CHECK_STR(name, k.legacy_object, "");
	CHECK_STR(name, k.reduced_btf, "");
	CHECK_STR(name, k.core_object, "pv/x86_64/probe.core.bpf.o");
	CHECK(name, strstr(e.msg, "undetermined") && strstr(e.msg, "no legacy object path") &&
	      strstr(e.msg, "no os-release ID"), "reason '%s'", e.msg);

	/* hostile ID: refused as target id by pk_target_id__format, and as a component */
	fake_host(&h, "../../x", "12", "", "6.1.0-40-amd64", "#1 SMP", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), -EINVAL);
	CHECK_STR(name, k.legacy_object, "");
	CHECK_STR(name, k.reduced_btf, "");
	CHECK(name, strstr(e.msg, "os-release ID is not an os id") &&
	      strstr(e.msg, "os-release ID '../../x' cannot be a path component"), "reason '%s'", e.msg);
	/* ".." passes the os id alphabet but is no path component */
	fake_host(&h, "..", "12", "..", "6.1.0-40-amd64", "#1 SMP", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), -EINVAL);
	CHECK_STR(name, k.target, "");
	CHECK_STR(name, k.legacy_object, "");
	CHECK_STR(name, k.reduced_btf, "");
	/* flatcar's VERSION_ID becomes the kernelrelease: "a/b" must not */
	fake_host(&h, "flatcar", "a/b", "flatcar", "6.1.73-flatcar", "#1 SMP", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), -EINVAL);
	CHECK_STR(name, k.kernelrelease, "");
	CHECK_STR(name, k.legacy_object, "");
	CHECK_STR(name, k.reduced_btf, "");
	CHECK(name, strstr(e.msg, "kernelrelease 'a/b' cannot be a path component"), "reason '%s'", e.msg);
	/* names that cannot be made: the reason carried through */
	fake_host(&h, "talos", "", "talos", "6.1.74-talos", "#1 SMP", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), -EINVAL);
	CHECK(name, strstr(e.msg, "talos: os-release has no VERSION_ID"), "reason '%s'", e.msg);
	CHECK_STR(name, k.target, "talos");
	CHECK_STR(name, k.legacy_object, "");
	/* a bad machine: no path at all; a bad probe version: nothing */
	fake_host(&h, "debian", "12", "debian", "6.1.0-40-amd64", "#1 SMP", "x/86");
	CHECK_INT(name, pk_repo_key__from_host(&h, "pv", &k, &e), -EINVAL);
	CHECK(name, !k.legacy_object[0] && !k.reduced_btf[0] && !k.core_object[0] && !k.btf_object[0],
	      "a path without machine");
	fake_host(&h, "debian", "12", "debian", "6.1.0-40-amd64", "#1 SMP", "x86_64");
	CHECK_INT(name, pk_repo_key__from_host(&h, "..", &k, &e), -EINVAL);
	CHECK(name, !k.target[0] && !k.core_object[0], "filled with a bad probe version");
	CHECK_INT(name, pk_repo_key__from_host(&h, NULL, &k, NULL), -EINVAL);
	CHECK_INT(name, pk_repo_key__from_host(NULL, "pv", &k, NULL), -EINVAL);
	PASS(name);
}

/* ---- CapEff ---------------------------------------------------------------- */

static void test_cap_eff(void)
{
	const char *name = "cap_eff/parse";
	const char *s1 = "Name:\tcat\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
			 "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n";
	const char *s2 = "CapEff:\t00000000a80425fb";
	uint64_t v = 0;

	CHECK_INT(name, pk_proc_status__parse_cap_eff(s1, strlen(s1), &v), 0);
	CHECK(name, v == 0x1ffffffffffULL, "got %llx", (unsigned long long)v);
	CHECK_INT(name, pk_proc_status__parse_cap_eff(s2, strlen(s2), &v), 0);
	CHECK(name, v == 0xa80425fbULL, "got %llx", (unsigned long long)v);
	CHECK_INT(name, pk_proc_status__parse_cap_eff("Name:\tx\n", 8, &v), -ENOENT);
	CHECK_INT(name, pk_proc_status__parse_cap_eff("CapEff:\t\n", 9, &v), -EINVAL);
	CHECK_INT(name, pk_proc_status__parse_cap_eff("CapEff:\t12x\n", 12, &v), -EINVAL);
	CHECK_INT(name, pk_proc_status__parse_cap_eff("CapEff:\t11111111111111111\n", 26, &v), -EINVAL);
	/* len cuts the value: only what is inside len counts */
	CHECK_INT(name, pk_proc_status__parse_cap_eff(s2, strlen(s2) - 8, &v), 0);
	CHECK(name, v == 0, "got %llx", (unsigned long long)v);
	PASS(name);
}

/* ---- the archive's arch names ---------------------------------------------- */

static void test_btf_arch(void)
{
	const char *name = "btf_arch/btfhub names";

	CHECK_STR(name, pk_host__btf_arch("aarch64"), "arm64");
	CHECK_STR(name, pk_host__btf_arch("x86_64"), "x86_64");
	CHECK_STR(name, pk_host__btf_arch("s390x"), "s390x");
	PASS(name);
}

/* ---- pk_host__detect on fake roots ---------------------------------------- */

static int write_file(const char *root, const char *rel, const char *text)
{
	char path[4096], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = 0;
		if (mkdir(path, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return pk_file__write_atomic(path, text, strlen(text));
}

static void remove_file(const char *root, const char *rel)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	remove(path);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static const char *status_all_caps = "Name:\tx\nCapEff:\t000001ffffffffff\n";

static void test_detect_fake_boot_btf(const char *release)
{
	const char *name = "detect/fake_root_boot_vmlinux";
	char root[] = "/tmp/pk-host-XXXXXX", rel[256], want[4096];
	struct pk_host h;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	snprintf(rel, sizeof(rel), "boot/vmlinux-%s", release);
	if (write_file(root, "etc/os-release",
		       "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"22.04\"\nPRETTY_NAME=\"Ubuntu 22.04 LTS\"\n") ||
	    write_file(root, rel, "not really an ELF") ||
	    write_file(root, "usr/lib/os-release", "ID=ignored\n") ||
	    write_file(root, "proc/self/status", "Name:\tx\nCapEff:\t0000008000200000\n")) {
		FAIL(name, "cannot build fake root %s", root);
		rm_rf(root);
		return;
	}
	PK_HOST_OPTS(opts, .root = root);
	int rc = pk_host__detect(&h, &opts);

	snprintf(want, sizeof(want), "%s/boot/vmlinux-%s", root, release);
	rm_rf(root);
	CHECK_INT(name, rc, 0);
	CHECK_STR(name, h.kernel_release, release);
	CHECK_STR(name, h.os.id, "ubuntu");
	CHECK_STR(name, h.os.version_id, "22.04");
	CHECK_STR(name, h.os.pretty_name, "Ubuntu 22.04 LTS");
	CHECK(name, h.btf_source == PK_KERNEL_BTF_FILE, "btf source %s", pk_kernel_btf__str(h.btf_source));
	CHECK_STR(name, h.btf_path, want);
	CHECK(name, h.cap_bpf && h.cap_sys_admin && !h.cap_perfmon, "caps bpf %d perfmon %d admin %d",
	      h.cap_bpf, h.cap_perfmon, h.cap_sys_admin);
	CHECK(name, h.target_id[0] && !strncmp(h.target_id, "ubuntu-", 7), "target id '%s'",
	      h.target_id);
	PASS(name);
}

/* the later libbpf locations, /usr/lib/os-release fallback, trailing slash in root */
static void test_detect_fake_modules_btf(const char *release)
{
	const char *name = "detect/fake_root_modules_build_vmlinux";
	char root[] = "/tmp/pk-host-XXXXXX", rel[256], want[4096], rootslash[64];
	struct pk_host h;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	snprintf(rel, sizeof(rel), "lib/modules/%s/build/vmlinux", release);
	snprintf(rootslash, sizeof(rootslash), "%s/", root);
	if (write_file(root, "usr/lib/os-release", "ID=\"amzn\"\nVERSION_ID=\"2023\"\n") ||
	    write_file(root, rel, "x") || write_file(root, "proc/self/status", status_all_caps)) {
		FAIL(name, "cannot build fake root %s", root);
		rm_rf(root);
		return;
	}
	snprintf(rel, sizeof(rel), "usr/lib/debug/boot/vmlinux-%s", release);	/* later: loses */
	write_file(root, rel, "x");
	PK_HOST_OPTS(opts, .root = rootslash);
	int rc = pk_host__detect(&h, &opts);

	snprintf(want, sizeof(want), "%s/lib/modules/%s/build/vmlinux", root, release);
	rm_rf(root);
	CHECK_INT(name, rc, 0);
	CHECK_STR(name, h.os.id, "amzn");
	CHECK_STR(name, h.target_id, "amazonlinux2023");
	CHECK(name, h.btf_source == PK_KERNEL_BTF_FILE, "btf source %s", pk_kernel_btf__str(h.btf_source));
	CHECK_STR(name, h.btf_path, want);
	CHECK(name, h.cap_bpf && h.cap_perfmon && h.cap_sys_admin, "caps");
	PASS(name);
}

static void test_detect_fake_sysfs_wins(const char *release)
{
	const char *name = "detect/fake_root_sysfs_wins";
	char root[] = "/tmp/pk-host-XXXXXX", rel[256], want[4096];
	struct pk_host h;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	snprintf(rel, sizeof(rel), "boot/vmlinux-%s", release);
	if (write_file(root, "etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n") ||
	    write_file(root, rel, "x") || write_file(root, "sys/kernel/btf/vmlinux", "x")) {
		FAIL(name, "cannot build fake root %s", root);
		rm_rf(root);
		return;
	}
	PK_HOST_OPTS(opts, .root = root);
	int rc = pk_host__detect(&h, &opts);

	snprintf(want, sizeof(want), "%s/sys/kernel/btf/vmlinux", root);
	rm_rf(root);
	CHECK_INT(name, rc, 0);
	CHECK_STR(name, h.target_id, "debian");
	CHECK(name, h.btf_source == PK_KERNEL_BTF_SYSFS, "btf source %s", pk_kernel_btf__str(h.btf_source));
	CHECK_STR(name, h.btf_path, want);
	/* no proc/self/status under the fake root: no caps claimed */
	CHECK(name, !h.cap_bpf && !h.cap_perfmon && !h.cap_sys_admin, "caps from nowhere");
	PASS(name);
}

static void test_lockdown(void)
{
	const char *name = "lockdown/parse";
	static const struct {
		const char *text;
		int rc;
		const char *want;
	} cases[] = {
		{ "[none] integrity confidentiality\n", 0, "none" },
		{ "none integrity [confidentiality]\n", 0, "confidentiality" },
		{ "none [integrity] confidentiality", 0, "integrity" },
		{ "none integrity confidentiality\n", -EINVAL, "" },	/* nothing chosen */
		{ "[none] [integrity]\n", -EINVAL, "" },		/* two chosen */
		{ "[]\n", -EINVAL, "" },
		{ "[none\n", -EINVAL, "" },
		{ "none]\n", -EINVAL, "" },
		{ "[No ne]\n", -EINVAL, "" },
		{ "[averyveryveryverylongmodename]", -EINVAL, "" },	/* > out */
		{ "", -EINVAL, "" },
	};
	char out[24];

	for (size_t i = 0; i < PK_ARRAY_SIZE(cases); i++) {
		int rc = pk_lockdown__parse(cases[i].text, strlen(cases[i].text), out, sizeof(out));

		CHECK(name, rc == cases[i].rc, "'%s': rc %d, want %d", cases[i].text, rc, cases[i].rc);
		CHECK(name, !strcmp(out, cases[i].want), "'%s': '%s', want '%s'", cases[i].text, out,
		      cases[i].want);
	}
	/* len cuts the text: a bracket past len does not count */
	CHECK_INT(name, pk_lockdown__parse("[none]", 5, out, sizeof(out)), -EINVAL);
	PASS(name);
}

static void test_detect_fake_lockdown(void)
{
	const char *name = "detect/fake_root_lockdown";
	char root[] = "/tmp/pk-host-XXXXXX";
	struct pk_host h;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	if (write_file(root, "sys/kernel/security/lockdown", "none integrity [confidentiality]\n")) {
		FAIL(name, "cannot build fake root %s", root);
		rm_rf(root);
		return;
	}
	PK_HOST_OPTS(opts, .root = root);
	int rc = pk_host__detect(&h, &opts);

	rm_rf(root);
	CHECK_INT(name, rc, 0);
	CHECK_STR(name, h.lockdown, "confidentiality");
	PASS(name);
}

static void test_detect_fake_empty(void)
{
	const char *name = "detect/fake_root_empty";
	char root[] = "/tmp/pk-host-XXXXXX";
	struct pk_host h;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	PK_HOST_OPTS(opts, .root = root);
	int rc = pk_host__detect(&h, &opts);

	rm_rf(root);
	CHECK_INT(name, rc, 0);
	CHECK(name, h.kernel_release[0], "no kernel release");
	CHECK_STR(name, h.os.id, "");
	CHECK_STR(name, h.os_error.msg, "");
	CHECK_INT(name, h.os_error.code, 0);
	CHECK_STR(name, h.target_id, "");
	CHECK(name, h.btf_source == PK_KERNEL_BTF_NONE, "btf source %s", pk_kernel_btf__str(h.btf_source));
	CHECK_STR(name, h.btf_path, "");
	CHECK_STR(name, pk_kernel_btf__str(h.btf_source), "none");
	CHECK_STR(name, h.lockdown, "");	/* no securityfs: unknown */
	PASS(name);
}

static void test_detect_fake_quirks(void)
{
	const char *name = "detect/fake_root_bad_os_release_and_fallbacks";
	char root[] = "/tmp/pk-host-XXXXXX";
	struct pk_host h, h2, h3;
	int rc, rc2, rc3;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	PK_HOST_OPTS(opts, .root = root);
	/* malformed /etc/os-release: not fatal, reason kept, no fallback to /usr/lib */
	write_file(root, "etc/os-release", "ID=debian\nPRETTY_NAME=\"oops\n");
	write_file(root, "usr/lib/os-release", "ID=other\n");
	rc = pk_host__detect(&h, &opts);
	/* no os-release at all, /etc/centos-release: falcoctl's release-file check */
	remove_file(root, "etc/os-release");
	remove_file(root, "usr/lib/os-release");
	write_file(root, "etc/centos-release", "CentOS Linux release 7.9.2009 (Core)\n");
	write_file(root, "etc/redhat-release", "CentOS Linux release 7.9.2009 (Core)\n");
	rc2 = pk_host__detect(&h2, &opts);
	/* minikube: /etc/VERSION with x.y.z overrides the os-release id */
	write_file(root, "etc/os-release", "NAME=Buildroot\nID=buildroot\nVERSION_ID=2021.02.12\n");
	write_file(root, "etc/VERSION", "v1.26.0-1655407986-14197\n");
	rc3 = pk_host__detect(&h3, &opts);
	rm_rf(root);

	CHECK_INT(name, rc, 0);
	CHECK_STR(name, h.os.id, "");
	CHECK_STR(name, h.os_error.msg, "line 2: unterminated quote");
	CHECK_INT(name, h.os_error.code, -EINVAL);
	CHECK_STR(name, h.target_id, "");
	CHECK_INT(name, rc2, 0);
	CHECK_STR(name, h2.os.id, "");
	CHECK_STR(name, h2.target_id, "centos");
	CHECK_INT(name, rc3, 0);
	CHECK_STR(name, h3.os.id, "buildroot");
	CHECK_STR(name, h3.target_id, "minikube");
	PASS(name);
}

/* another host: os files under os_root, the rest under root, uname given */
static void test_detect_host_root(void)
{
	const char *name = "detect/host_root_and_uname";
	char root[] = "/tmp/pk-host-XXXXXX", hostroot[64];
	struct pk_host h, h2;
	int rc, rc2;

	CHECK(name, mkdtemp(root), "mkdtemp: %s", strerror(errno));
	snprintf(hostroot, sizeof(hostroot), "%s/host", root);
	write_file(root, "etc/os-release", "ID=fedora\nVERSION_ID=39\n");
	write_file(root, "proc/self/status", status_all_caps);
	write_file(root, "host/etc/os-release",
		   "NAME=Bottlerocket\nID=bottlerocket\nVERSION_ID=1.19.2\nVARIANT_ID=aws-k8s-1.28\n");
	{
		PK_HOST_OPTS(opts, .root = root, .os_root = hostroot, .uname_r = "6.1.72",
			     .uname_v = "#1 SMP Fri Feb  2 22:38:10 UTC 2024", .machine = "aarch64");

		rc = pk_host__detect(&h, &opts);
	}
	/* minikube under the host root */
	write_file(root, "host/etc/os-release", "ID=buildroot\nVERSION_ID=2023.02.9\n");
	write_file(root, "host/etc/VERSION", "v1.33.0\n");
	{
		PK_HOST_OPTS(opts, .root = root, .os_root = hostroot, .uname_r = "5.10.207");

		rc2 = pk_host__detect(&h2, &opts);
	}
	rm_rf(root);
	CHECK_INT(name, rc, 0);
	CHECK_STR(name, h.os.id, "bottlerocket");
	CHECK_STR(name, h.os.variant_id, "aws-k8s-1.28");
	CHECK_STR(name, h.target_id, "bottlerocket");
	CHECK_STR(name, h.kernel_release, "6.1.72");
	CHECK_STR(name, h.kernel_version, "1");
	CHECK_STR(name, h.arch, "aarch64");
	CHECK_STR(name, h.falco.kernelrelease, "6.1.72");
	CHECK_STR(name, h.falco.kernelversion, "1_1.19.2-aws");
	CHECK_INT(name, h.falco_error.code, 0);
	CHECK(name, h.cap_bpf, "proc read outside root");
	CHECK_INT(name, rc2, 0);
	CHECK_STR(name, h2.target_id, "minikube");
	CHECK_STR(name, h2.falco.kernelversion, "1_1.33.0");
	{
		char big[80];
		PK_HOST_OPTS(opts, .uname_r = big);

		memset(big, 'a', sizeof(big) - 1);
		big[sizeof(big) - 1] = 0;
		CHECK_INT(name, pk_host__detect(&h, &opts), -EINVAL);
	}
	PASS(name);
}

/* options struct: an older caller's shorter struct is read up to its size; a
 * newer caller's longer one is refused when it sets fields we do not know */
static void test_detect_opts(void)
{
	const char *name = "detect/opts_size";
	struct {
		struct pk_host_opts o;
		long newer_field;
	} big = { .o = { .sz = sizeof(big), .root = "/nonexistent" }, .newer_field = 1 };
	struct pk_host_opts old = { .sz = offsetof(struct pk_host_opts, root), .root = "/nonexistent" };
	struct pk_host h;

	CHECK_INT(name, pk_host__detect(&h, &big.o), -EINVAL);
	big.newer_field = 0;
	CHECK_INT(name, pk_host__detect(&h, &big.o), 0);
	CHECK(name, h.btf_source == PK_KERNEL_BTF_NONE || access("/nonexistent", F_OK) == 0,
	      "root '/nonexistent' not used: btf %s", h.btf_path);
	/* too short to have .root: detection of the real root */
	CHECK_INT(name, pk_host__detect(&h, &old), 0);
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0)
		CHECK_STR(name, h.btf_path, "/sys/kernel/btf/vmlinux");
	PASS(name);
}

static void test_detect_real_host(void)
{
	const char *name = "detect/real_host";
	struct utsname u;
	struct pk_host h;

	CHECK_INT(name, pk_host__detect(&h, NULL), 0);
	CHECK(name, uname(&u) == 0, "uname");
	CHECK_STR(name, h.kernel_release, u.release);
	CHECK_STR(name, h.arch, u.machine);
	CHECK(name, h.is_root == (geteuid() == 0), "is_root %d", h.is_root);
	if (access("/sys/kernel/btf/vmlinux", R_OK) == 0) {
		CHECK(name, h.btf_source == PK_KERNEL_BTF_SYSFS, "btf source %s",
		      pk_kernel_btf__str(h.btf_source));
		CHECK_STR(name, h.btf_path, "/sys/kernel/btf/vmlinux");
	}
	if (h.is_root)
		CHECK(name, h.cap_sys_admin, "root without CAP_SYS_ADMIN in CapEff?");
	if (access("/etc/os-release", R_OK) == 0 || access("/usr/lib/os-release", R_OK) == 0) {
		CHECK(name, h.os.id[0], "os-release present but no ID: '%s'",
		      pk_error__str(&h.os_error));
		CHECK(name, h.target_id[0], "no target id");
	}
	printf("# host: %s %s (%s) os=%s %s target=%s btf=%s %s root=%d bpf=%d perfmon=%d admin=%d\n",
	       h.kernel_release, h.kernel_version, h.arch, h.os.id, h.os.version_id, h.target_id,
	       pk_kernel_btf__str(h.btf_source), h.btf_path, h.is_root, h.cap_bpf, h.cap_perfmon,
	       h.cap_sys_admin);
	PASS(name);
}

int main(void)
{
	struct utsname u;

	for (size_t i = 0; i < PK_ARRAY_SIZE(osr_cases); i++)
		check_osr(&osr_cases[i]);
	test_osr_nul_byte();
	test_osr_not_terminated();
	test_kernel_version();
	test_kernel_version_small_buffer();
	test_target_id();
	test_target_id_small_buffer();
	test_falco_names();
	test_falco_names_limits();
	test_names_meet_catalog();
	test_repo_key();
	test_repo_key_refusals();
	test_cap_eff();
	test_btf_arch();
	test_lockdown();
	if (uname(&u)) {
		FAIL("detect/uname", "%s", strerror(errno));
		return UNIT_EXIT();
	}
	test_detect_fake_boot_btf(u.release);
	test_detect_fake_modules_btf(u.release);
	test_detect_fake_sysfs_wins(u.release);
	test_detect_fake_empty();
	test_detect_fake_lockdown();
	test_detect_fake_quirks();
	test_detect_host_root();
	test_detect_opts();
	test_detect_real_host();
	return UNIT_EXIT();
}
